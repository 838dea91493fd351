/* zhitong — the 'ledger' commands. Placeholder until the money-flow work lands. */
#include "cli.h"
#include "zhitong/error.h"

int cmd_ledger(const struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_fail(zt_error_set(ZT_EINVAL, "'ledger' is not available in this build"), "usage");
}
