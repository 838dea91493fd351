/* zhitong — ledger balance | transfers: reading the ledger (every transfer a debit and a credit). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/ledger_render.h"

static const char ledger_help[] =
	"usage: zhitong --db PATH ledger balance [ACCOUNT] [--pool P] [--format text|csv] [--bom]\n"
	"                                        [--out FILE [--force]]\n"
	"       zhitong --db PATH ledger transfers --account ACCOUNT [--pool P]\n"
	"                                          [--since YYYY-MM-DD]\n"
	"                                          [--format text|csv] [--bom]\n"
	"                                          [--out FILE [--force]]\n"
	"\n"
	"Every movement of money is a transfer: a debit account, a credit account, an\n"
	"amount, a kind (settle, reverse, advance, ...), a reference (setl_id, advance\n"
	"id, ...) and a unique id. Transfers are never changed; a correction is a new\n"
	"transfer. Balances are debit-positive and all of them sum to 0:\n"
	"  fund:CODE             > 0: what the fund owes the pool for settled claims\n"
	"  hospital:CODE         > 0: advance the hospital holds and has not yet earned;\n"
	"                        < 0: the hospital is advancing money itself\n"
	"  pool:bank             the pool's bank account as the books see it\n"
	"  hospital-burden:CODE  what the hospital bears under the policy\n"
	"  patient:CODE          personal payments taken at that hospital's desk\n"
	"  claims:CODE           the hospital's claims (the other side of the above)\n"
	"Each pool has its own books: the pool default's accounts are named as above,\n"
	"pool P's fund:CODE@P, pool:bank@P, suspense:bank@P, refund:bank@P and\n"
	"write-off:pool@P; a hospital's accounts are one, each transfer on them of the\n"
	"pool of its settlement.\n"
	"\n"
	"--pool P   pool P's books only: each account with the sum of P's transfers\n"
	"           (its settlements', its own accounts'); fund:CODE then names\n"
	"           fund:CODE@P. Without it, the database's books, every pool.\n"
	"\n"
	"balance    every account with its balance, or one (not-found, exit 2, if no\n"
	"           transfer has ever touched it). CSV header: account,balance\n"
	"transfers  the transfers of ACCOUNT in the order they were written, made on or\n"
	"           after --since (a day in the pool's time zone, [pool] timezone), with\n"
	"           the account's running balance (it starts from the balance of the\n"
	"           transfers before --since). Text shows when each was made in the\n"
	"           pool's time zone with its offset; CSV the stored UTC time.\n"
	"           CSV header: id,at,debit,credit,amount,kind,ref,balance\n"
	"\n"
	"Amounts are yuan with two decimals. CSV is RFC 4180 (fields quoted when they\n"
	"hold a comma, a quote or a line break), for spreadsheets and scripts; a text\n"
	"cell a spreadsheet would run as a formula (= + - @ first) is written as text,\n"
	"numbers (negative ones too) stay numbers; --bom adds a UTF-8 byte order mark\n"
	"(Excel on Chinese Windows). --out FILE writes to FILE instead of stdout: never\n"
	"over a different file unless --force, never through a symbolic link, whole or\n"
	"not at all.\n";

static bool want_csv(const struct args *a, int *bad)
{
	const char *f = args_get(a, "--format");
	*bad = 0;
	if (!f || strcmp(f, "text") == 0)
		return false;
	if (strcmp(f, "csv") == 0)
		return true;
	*bad = cli_usage("--format must be text or csv, not '%s'", f);
	return false;
}

/* A record that does not exist is "not-found" (main's code for ZT_ENOTFOUND
 * is about unreadable input files). */
static int fail(int rc) { return cli_fail(rc, rc == ZT_ENOTFOUND ? "not-found" : NULL); }

/* --pool P: a pool id ([A-Za-z0-9_-], 1 to 32), and with a configuration
 * one of its pools. */
static int pool_check(const struct cli *c, const struct args *a)
{
	const char *p = args_get(a, "--pool");
	if (!p)
		return 0;
	size_t n = strlen(p);
	bool ok = n >= 1 && n < ZT_POOL_ID_BYTES && strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	                                                      "klmnopqrstuvwxyz0123456789_-") == n;
	if (!ok)
		return cli_usage("--pool: '%s' is no pool id (1 to 32 letters, digits, '-' or '_')", p);
	if (!c->config_path || !c->config_path[0])
		return 0;
	struct zt_config *cfg = NULL;
	const char *id;
	int rc = zt_config_load(&cfg, c->config_path);
	if (rc == 0)
		rc = zt_config_pool_pick(cfg, p, &id);
	zt_config_free(cfg);
	return rc ? cli_fail(rc, NULL) : 0;
}

/* ---- balance -------------------------------------------------------------- */

static int balance(const struct cli *c, const struct args *a)
{
	int bad;
	bool csv = want_csv(a, &bad);
	if (bad)
		return bad;
	if (a->npos > 2)
		return cli_usage("zhitong ledger balance [ACCOUNT] [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	int rc = cli_bom_check(a, csv);
	struct zt_store *s;
	if (rc || (rc = pool_check(c, a)) || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct zt_ledger_out lo = {.csv = csv, .bom = args_flag(a, "--bom"), .f = o.f,
	                           .pool = args_get(a, "--pool")};
	struct zt_ledger_balances_req req = {a->npos == 2 ? a->pos[1] : NULL,
	                                     zt_ledger_render_balances_begin,
	                                     zt_ledger_render_balance_row, &lo, lo.pool};
	struct zt_ledger_balances_res res;
	if ((rc = zt_ledger_balances(s, &req, &res)) == 0)
		zt_ledger_render_balances_end(&lo, &res, req.account == NULL);
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

/* ---- transfers ------------------------------------------------------------ */

static int transfers(const struct cli *c, const struct args *a)
{
	int bad;
	bool csv = want_csv(a, &bad);
	if (bad)
		return bad;
	const char *account = args_get(a, "--account"), *since_s = args_get(a, "--since");
	if (!account || !account[0] || a->npos != 1)
		return cli_usage("zhitong ledger transfers --account ACCOUNT [--since YYYY-MM-DD] "
		                 "[--format text|csv] [--bom] [--out FILE [--force]]");
	zt_date since = 0;
	if (since_s && zt_parse_date(&since, since_s, strlen(since_s)) != 0)
		return cli_usage("--since: %s", zt_error_last());
	int rc = cli_bom_check(a, csv);
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct zt_ledger_out lo = {.csv = csv, .bom = args_flag(a, "--bom"), .f = o.f,
	                           .account = account, .since = since,
	                           .pool = args_get(a, "--pool")};
	struct zt_ledger_history_req req = {account, since, zt_ledger_render_history_begin,
	                                    zt_ledger_render_history_row, &lo, lo.pool};
	struct zt_ledger_history_res res;
	if ((rc = zt_ledger_history(s, &req, &res)) == 0)
		zt_ledger_render_history_end(&lo, &res);
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

int cmd_ledger(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--format --account --since --out --pool", "--force --bom");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(ledger_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	if (strcmp(a.pos[0], "balance") == 0)
		return balance(c, &a);
	if (strcmp(a.pos[0], "transfers") == 0)
		return transfers(c, &a);
	return cli_usage("unknown ledger command '%s' (balance, transfers)", a.pos[0]);
}
