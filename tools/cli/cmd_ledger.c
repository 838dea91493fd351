/* zhitong — ledger balance | transfers: reading the ledger (every transfer a debit and a credit). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"

static const char ledger_help[] =
	"usage: zhitong --db PATH ledger balance [ACCOUNT] [--format text|csv] [--bom]\n"
	"                                        [--out FILE [--force]]\n"
	"       zhitong --db PATH ledger transfers --account ACCOUNT [--since YYYY-MM-DD]\n"
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

/* ---- balance -------------------------------------------------------------- */

struct balance_ctx {
	bool csv;
	struct zt_csv w;
	FILE *f;
	zt_fen sum;
	bool overflow;
};

static int print_balance(void *ctx, const char *account, zt_fen balance)
{
	struct balance_ctx *c = ctx;
	char b[ZT_FMT_BYTES];
	zt_format_amount(b, balance);
	if (c->csv) {
		const char *row[] = {account, b};
		zt_csv_row(&c->w, row, 2);
	} else {
		fprintf(c->f, "%-40s %18s\n", account, b);
	}
	if (__builtin_add_overflow(c->sum, balance, &c->sum))
		c->overflow = true;
	return 0;
}

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
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct balance_ctx bc = {.csv = csv, .f = o.f};
	zt_fen one = 0;
	if (a->npos == 2 && (rc = zt_ledger_balance(s, a->pos[1], &one)) != 0)
		goto done;
	if (csv) {
		zt_csv_init(&bc.w, o.f, args_flag(a, "--bom"));
		zt_csv_header(&bc.w, "account,balance");
	} else {
		fprintf(o.f, "%-40s %18s\n", "account", "balance");
	}
	if (a->npos == 2) {
		print_balance(&bc, a->pos[1], one);
	} else {
		rc = s->ops->ledger.balances(s, print_balance, &bc);
		if (rc == 0 && !csv) {
			char b[ZT_FMT_BYTES];
			/* The books balance: every transfer debits and credits
			 * the same amount, so this is 0 unless they were tampered
			 * with (verify says where). */
			fprintf(o.f, "%-40s %18s\n", "(sum of all balances)",
			        bc.overflow ? "overflow" : zt_format_amount(b, bc.sum));
		}
	}
done:
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

/* ---- transfers ------------------------------------------------------------ */

struct transfers_ctx {
	bool csv;
	struct zt_csv w;
	FILE *f;
	const char *account;
	zt_fen running;
	int64_t count;
};

static int print_transfer(void *ctx, const struct zt_transfer *t)
{
	struct transfers_ctx *c = ctx;
	if (__builtin_add_overflow(c->running, zt_transfer_effect(t, c->account), &c->running))
		return zt_error_set(ZT_ERANGE, "running balance of '%s' overflows", c->account);
	c->count++;
	char amt[ZT_FMT_BYTES], bal[ZT_FMT_BYTES], id[24];
	zt_format_amount(amt, t->amount);
	zt_format_amount(bal, c->running);
	snprintf(id, sizeof id, "%lld", (long long)t->id);
	if (c->csv) {
		const char *row[] = {id, t->at, t->debit, t->credit, amt, t->kind, t->ref, bal};
		zt_csv_row(&c->w, row, sizeof row / sizeof *row);
	} else {
		char when[ZT_FMT_BYTES]; /* in the pool's time zone */
		fprintf(c->f, "%8s  %-26s  %-24s  %-24s %14s  %-8s %-22s %16s\n", id,
		        zt_timestamp_local(when, t->at), t->debit, t->credit, amt, t->kind, t->ref, bal);
	}
	return 0;
}

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
	struct transfers_ctx tc = {.csv = csv, .f = o.f, .account = account};
	zt_fen now;
	/* Same answer as `ledger balance`: an unknown account is not-found. */
	if ((rc = zt_ledger_balance(s, account, &now)) != 0 ||
	    (rc = zt_ledger_opening_balance(s, account, since, &tc.running)) != 0)
		goto done;
	if (csv) {
		zt_csv_init(&tc.w, o.f, args_flag(a, "--bom"));
		zt_csv_header(&tc.w, "id,at,debit,credit,amount,kind,ref,balance");
	} else {
		char b[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
		if (since)
			fprintf(o.f, "%s since %s: opening balance %s\n", account,
			        zt_format_date(d, since), zt_format_amount(b, tc.running));
		else
			fprintf(o.f, "%s: all transfers\n", account);
		fprintf(o.f, "%8s  %-26s  %-24s  %-24s %14s  %-8s %-22s %16s\n", "id", "at", "debit",
		        "credit", "amount", "kind", "ref", "balance");
	}
	if ((rc = zt_ledger_transfers(s, account, since, print_transfer, &tc)) != 0)
		goto done;
	if (!csv) {
		char b[ZT_FMT_BYTES];
		fprintf(o.f, "%lld transfer%s; balance %s\n", (long long)tc.count,
		        tc.count == 1 ? "" : "s", zt_format_amount(b, tc.running));
	}
done:
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

int cmd_ledger(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--format --account --since --out", "--force --bom");
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
