/* zhitong — the 'reconcile' commands. Placeholder until the reconciliation work lands. */
#include "cli.h"
#include "zhitong/error.h"

int cmd_reconcile(const struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_fail(zt_error_set(ZT_EINVAL, "'reconcile' is not available in this build"), "usage");
}
