/* zhitong — the 'batch' commands (docs/spec/money-flow.md "Batches and settlement
 * files"; docs/batches.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/batch.h"
#include "zhitong/config.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"
#include "zhitong/gateway.h"
#include "zhitong/outfile.h"
#include "zhitong/sign.h"
#include "zhitong/xml.h"

static const char batch_help_fmt[] =
	"usage: zhitong --db PATH batch create --fund F [--through YYYY-MM-DD] --by NAME\n"
	"       zhitong --db PATH batch list [--fund F] [--status S] [--format text|csv] [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"       zhitong --db PATH batch show ID [--records]\n"
	"       zhitong --db PATH batch approve ID --by NAME\n"
	"       zhitong --db PATH batch reject ID --reason TEXT --by NAME\n"
	"       zhitong --db PATH batch reopen ID [--reason TEXT] --by NAME\n"
	"       zhitong --db PATH [--config PATH] batch export ID --out FILE [--force]\n"
	"                                    [--key PRIVATE.pem] [--by NAME]\n"
	"       zhitong --db PATH --config PATH batch send ID [--file FILE] [--key PUBKEY.pem]\n"
	"                                    [--by NAME]\n"
	"       zhitong --db PATH --config PATH batch poll ID [--by NAME]\n"
	"       zhitong --db PATH batch ack ID ACK.xml [--by NAME]\n"
	"       zhitong --db PATH --config PATH batch repay ID [--amount A] [--out FILE]\n"
	"                                 [--execution-date YYYY-MM-DD] --by NAME\n"
	"       zhitong batch verify FILE FILE.sig PUBKEY.pem\n"
	"\n"
	"create   puts every settled or reversed share of fund F that is in no batch yet\n"
	"         (discharged on or before --through, if given) into a new draft batch and\n"
	"         prints its id alone on one line; prints nothing and exits 0 when there\n"
	"         is nothing to batch. A share is in exactly one batch, ever. A reversal\n"
	"         waits until the batch of the settlement it reverses has the payer's answer.\n"
	"list     every batch; csv header: batch_id,fund,status,count,total,paid (yuan).\n"
	"         --out FILE writes it to FILE instead of stdout (see export for the rules).\n"
	"         Statuses: draft approved rejected exported sent accepted paid part-paid.\n"
	"show     a batch, its history (who did what, when), its hand-overs to the payer\n"
	"         and the records the payer rejected; --records lists every record.\n"
	"approve  maker-checker: whoever created (or reopened) a batch cannot approve it.\n"
	"reject   the checker refuses a draft, with a reason. Its shares stay in it;\n"
	"reopen   makes it a draft again, adding every share billable since (the\n"
	"         reversals and corrected claims that answer the objection), for a new\n"
	"         approval.\n"
	"export   writes the payer file FILE (schema/payer-file.xsd) and its detached\n"
	"         signature FILE.sig, with the private key --key or [signing] key;\n"
	"         the key's type decides the algorithm (Ed25519, or SM2 with SM3 and the\n"
	"         ID " ZT_SM2_DISTID "). Exporting again writes the same bytes: an\n"
	"         existing FILE with exactly those bytes is left as it is (a retried\n"
	"         export succeeds, its valid signature kept); a FILE or FILE.sig with\n"
	"         other bytes is refused unless --force; a symbolic link, a directory or\n"
	"         anything but a regular file at either name is refused even with --force.\n"
	"         Both are written to hidden temporary files beside them and synced; the\n"
	"         signature appears first, then the file, so a payer polling the\n"
	"         directory never sees a file without its signature; a failed export\n"
	"         (a bad key, a refusal, a full disk) leaves neither.\n"
	"         A payer checks the signature with the stock openssl command line:\n"
	"           Ed25519: %s\n"
	"           SM2:     %s\n"
	"send     checks that FILE is the file exported (its SHA-256) and that FILE.sig\n"
	"         verifies against it with --key PUBKEY.pem, else [signing] public-key,\n"
	"         else [signing] key (nothing unchecked is handed over); then\n"
	"         hands FILE and FILE.sig to the fund's gateway ([fund F] gateway = http\n"
	"         or folder) and records the payer's answer: accepted with its receipt, or\n"
	"         some records rejected with reasons (exit 1), or the batch refused whole\n"
	"         (exit 1; it can be sent again). A rejected record stays in its batch: the\n"
	"         hospital reverses the claim and submits it corrected, and both go to a\n"
	"         later batch, where the reversal is carried payable=\"false\", outside the\n"
	"         total. The batch id is the idempotency key: sending again is safe.\n"
	"poll     folder gateway: reads the payer's answer INBOX/ID.ack.xml if it is there.\n"
	"ack      records a payer's answer received by other means (payer-ack.xsd). An\n"
	"         answer that comes after a payment is recorded too; a second answer, or\n"
	"         one naming a record that is not in the batch, changes nothing (exit 2).\n"
	"         Rejected claims come off the total; a rejected reversal stays a credit.\n"
	"repay    pays back to the fund what the batch owes it (its reversals outweigh its\n"
	"         claims, or the payer paid for records it then rejected): a pain.001\n"
	"         credit transfer from [pool] to [fund F] account (FILE, default\n"
	"         repay-ID-R1.xml), EndToEndId ID-R1, booked at once; reconciliation\n"
	"         matches the bank's debit. --amount pays part of it.\n"
	"verify   checks FILE.sig against PUBKEY.pem (a public key or certificate), then\n"
	"         the file itself: schema, count, totals and digest. Exit 1 if either fails.\n"
	"\n"
	"Configuration (--config PATH or $ZHITONG_CONFIG):\n"
	"  [signing]\n"
	"  key = /etc/zhitong/pool-sm2.pem\n"
	"  public-key = /etc/zhitong/pool-sm2.pub.pem  # what send checks with (else key)\n"
	"  [fund 390100]\n"
	"  gateway = http                 # or: folder\n"
	"  url = https://payer.example/zhitong/batches\n"
	"  ca-file = /etc/zhitong/payer-ca.pem\n"
	"  client-cert = /etc/zhitong/pool.crt\n"
	"  client-key = /etc/zhitong/pool.key\n"
	"  connect-timeout-ms = 10000, total-timeout-ms = 300000, max-attempts = 5,\n"
	"  backoff-initial-ms = 200, backoff-max-ms = 30000 (one per line)\n"
	"  outbox = /srv/payer/outbox     # folder: where ID.xml and ID.xml.sig are dropped\n"
	"  inbox = /srv/payer/inbox       # folder: where the payer puts ID.ack.xml\n"
	"  account = 6222020200199887766  # repay: the fund's bank account (bic = optional)\n"
	"\n"
	"Exit status: 0 done; 1 the payer rejected records or refused the batch, or verify\n"
	"found a bad signature or file; 2 bad usage, an unknown batch or fund, or a step\n"
	"out of order (maker-checker included); 3 a storage or transport failure.\n";

static int help(FILE *f)
{
	fprintf(f, batch_help_fmt, zt_sign_openssl_verify_cmd(ZT_KEY_ED25519),
	        zt_sign_openssl_verify_cmd(ZT_KEY_SM2));
	return 0;
}

static const char *yuan(char b[ZT_FMT_BYTES], zt_fen v) { return zt_format_amount(b, v); }

static int load_config(const struct cli *c, struct zt_config **cfg)
{
	int rc = zt_config_load(cfg, c->config_path);
	return rc ? cli_fail(rc, "config") : 0;
}

/* ---- create / approve / reject / reopen ------------------------------ */

static int create(const struct cli *c, const struct args *a)
{
	const char *fund = args_get(a, "--fund"), *through_s = args_get(a, "--through");
	zt_date through = 0;
	if (!fund || a->npos != 1)
		return cli_usage("zhitong batch create --fund F [--through YYYY-MM-DD] --by NAME");
	if (through_s && zt_parse_date(&through, through_s, strlen(through_s)) != 0)
		return cli_usage("--through: %s", zt_error_last());
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	char id[ZT_ID_BYTES];
	int64_t n = 0;
	rc = zt_batch_create(s, fund, through, cli_actor(a), id, &n);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	if (n > 0) {
		char how[160];
		snprintf(how, sizeof how, "'zhitong batch list --fund %.32s' lists it (creating again "
		         "makes no second batch of the same shares)", fund);
		cli_stored(how, "batch '%s' was created", id);
		printf("%s\n", id);
	}
	return EXIT_DONE;
}

static int one_id(const struct args *a, const char *usage)
{
	if (a->npos != 2)
		return cli_usage("%s", usage);
	return 0;
}

static int approve(const struct cli *c, const struct args *a)
{
	int rc = one_id(a, "zhitong batch approve ID --by NAME");
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, 0, &s)))
		return rc;
	rc = zt_batch_approve(s, a->pos[1], cli_actor(a));
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	cli_stored("'zhitong batch show ID' shows it", "batch '%s' was approved", a->pos[1]);
	printf("%s approved by %s\n", a->pos[1], cli_actor(a));
	return EXIT_DONE;
}

static int reject(const struct cli *c, const struct args *a)
{
	const char *reason = args_get(a, "--reason");
	int rc = one_id(a, "zhitong batch reject ID --reason TEXT --by NAME");
	if (rc)
		return rc;
	if (!reason || !reason[0])
		return cli_usage("zhitong batch reject ID --reason TEXT --by NAME");
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)))
		return rc;
	rc = zt_batch_reject(s, a->pos[1], cli_actor(a), reason);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	cli_stored("'zhitong batch show ID' shows it", "batch '%s' was rejected", a->pos[1]);
	printf("%s rejected by %s: %s\n", a->pos[1], cli_actor(a), reason);
	return EXIT_DONE;
}

static int reopen(const struct cli *c, const struct args *a)
{
	int rc = one_id(a, "zhitong batch reopen ID [--reason TEXT] --by NAME");
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, 0, &s)))
		return rc;
	int64_t added = 0;
	rc = zt_batch_reopen(s, a->pos[1], cli_actor(a), args_get(a, "--reason"), &added);
	struct zt_batch b;
	if (rc == 0)
		rc = s->ops->batches.get(s, a->pos[1], &b);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	cli_stored("'zhitong batch show ID' shows it", "batch '%s' was reopened", b.id);
	char t[ZT_FMT_BYTES];
	printf("%s is a draft again: %lld records added, %lld in all, total %s\n", b.id,
	       (long long)added, (long long)b.count, yuan(t, b.total));
	return EXIT_DONE;
}

/* ---- list / show ------------------------------------------------------- */

struct list_ctx {
	bool csv;
	struct zt_csv w;
	FILE *f;
	bool has_status;
	enum zt_batch_status status;
	int64_t shown;
};

static int list_one(void *ctx, const struct zt_batch *b)
{
	struct list_ctx *l = ctx;
	char t[ZT_FMT_BYTES], p[ZT_FMT_BYTES], n[32];
	if (l->has_status && b->status != l->status)
		return 0;
	if (l->csv) {
		snprintf(n, sizeof n, "%lld", (long long)b->count);
		const char *row[] = {b->id, b->fund_code, zt_batch_status_name(b->status), n,
		                     yuan(t, b->total), yuan(p, b->paid)};
		zt_csv_row(&l->w, row, sizeof row / sizeof *row);
	} else {
		char when[ZT_FMT_BYTES]; /* in the pool's time zone */
		fprintf(l->f, "%-16s %-7s %-10s %9lld %16s %16s  %s %s\n", b->id, b->fund_code,
		        zt_batch_status_name(b->status), (long long)b->count, yuan(t, b->total),
		        yuan(p, b->paid), zt_timestamp_local(when, b->created_at), b->created_by);
	}
	l->shown++;
	return 0;
}

static int list(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format"), *st = args_get(a, "--status");
	struct list_ctx l = {0};
	if (!fmt)
		fmt = "text";
	if (a->npos != 1 || (strcmp(fmt, "text") != 0 && strcmp(fmt, "csv") != 0))
		return cli_usage("zhitong batch list [--fund F] [--status S] [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	if (st) {
		if (zt_batch_status_parse(&l.status, st) != 0)
			return cli_usage("--status: %s", zt_error_last());
		l.has_status = true;
	}
	l.csv = strcmp(fmt, "csv") == 0;
	int rc = cli_bom_check(a, l.csv);
	if (rc)
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	l.f = o.f;
	if (l.csv) {
		zt_csv_init(&l.w, o.f, args_flag(a, "--bom"));
		zt_csv_header(&l.w, "batch_id,fund,status,count,total,paid");
	} else {
		fprintf(o.f, "%-16s %-7s %-10s %9s %16s %16s  %s\n", "batch", "fund", "status",
		        "records", "total", "paid", "created");
	}
	rc = s->ops->batches.list(s, args_get(a, "--fund"), list_one, &l);
	zt_store_close(s);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}

static int show_event(void *ctx, const struct zt_batch_event *e)
{
	(void)ctx;
	char when[ZT_FMT_BYTES];
	printf("  %s  %-12s %-8s %10s -> %-10s %s\n", zt_timestamp_local(when, e->at), e->actor,
	       e->action,
	       e->status_from[0] ? e->status_from : "", e->status_to, e->detail);
	return 0;
}

static int show_send(void *ctx, const struct zt_batch_send_log *l)
{
	(void)ctx;
	char when[ZT_FMT_BYTES];
	printf("  %s  %-12s %-6s %-8s attempts %d, HTTP %d%s%s, %lld rejected: %s\n",
	       zt_timestamp_local(when, l->at), l->actor, l->gateway, l->outcome, l->attempts, l->http_status, l->receipt[0] ? ", receipt " : "",
	       l->receipt, (long long)l->rejected, l->message);
	return 0;
}

static int show_return(void *ctx, const struct zt_batch_return *r)
{
	char t[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	(void)ctx;
	if (r->netted)
		printf("  %s  %-12s netted  %14s  by the payer in bank entry %s\n", r->at, r->actor,
		       yuan(t, r->amount), r->entry_ref);
	else
		printf("  %s  %-12s repaid  %14s  %s, executed %s, %s: %s\n", r->at, r->actor,
		       yuan(t, r->amount), r->return_id, zt_format_date(d, r->execution_date),
		       r->confirmed ? "confirmed by the bank" : "not yet on a statement", r->file);
	return 0;
}

static void print_record(const struct zt_batch_record *r, bool with_reason)
{
	char t[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	printf("  %s/%d  %-7s %-10s %-14s %-12s %s %14s%s%s%s\n", r->setl_id, r->seq, r->kind,
	       r->fixmedins_code, r->claim_no, r->psn_no, zt_format_date(d, r->dscg_date),
	       yuan(t, r->amount), r->payable ? "" : "  (not payable)",
	       r->reverses[0] ? "  reverses " : "", r->reverses);
	if (with_reason && r->reject_reason[0])
		printf("      rejected by the payer: %s\n", r->reject_reason);
}

static int print_records(struct zt_store *s, const char *id, bool only_rejected)
{
	struct zt_batch_cursor *cur;
	struct zt_batch_record r;
	int rc = s->ops->batches.records(s, id, only_rejected, &cur), step;
	if (rc)
		return rc;
	while ((step = s->ops->batches.next(cur, &r)) > 0)
		print_record(&r, true);
	s->ops->batches.records_close(cur);
	return step < 0 ? step : 0;
}

static int show(const struct cli *c, const struct args *a)
{
	int rc = one_id(a, "zhitong batch show ID [--records]");
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct zt_batch b;
	char t[ZT_FMT_BYTES], u[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], w[ZT_FMT_BYTES];
	if ((rc = s->ops->batches.get(s, a->pos[1], &b)))
		goto done;
	printf("batch %s  fund %s %s  %s\n", b.id, b.fund_code, b.fund_name,
	       zt_batch_status_name(b.status));
	printf("  discharges %s to %s", zt_format_date(d1, b.period_from),
	       zt_format_date(d2, b.period_to));
	if (b.through)
		printf(" (through %s)", zt_format_date(d1, b.through));
	printf("\n  %lld records, total %s", (long long)b.count, yuan(t, b.total));
	if (b.info_count)
		printf(" (and %lld not payable, %s)", (long long)b.info_count, yuan(u, b.info_total));
	printf("\n  created %s by %s", zt_timestamp_local(w, b.created_at), b.created_by);
	if (b.approved_by[0])
		printf("; approved %s by %s", zt_timestamp_local(w, b.approved_at), b.approved_by);
	printf("\n");
	if (b.exported_at[0])
		printf("  exported %s: %s (%s signature)\n  file SHA-256 %s\n  record digest %s\n",
		       zt_timestamp_local(w, b.exported_at), b.file_path, b.key_type, b.file_sha256,
		       b.digest);
	if (b.answered)
		printf("  payer receipt %s; accepted %s (%lld records rejected); paid %s\n",
		       b.receipt[0] ? b.receipt : "-", yuan(t, b.accepted_total),
		       (long long)b.rejected_count, yuan(u, b.paid));
	else if (b.paid)
		printf("  no answer from the payer yet; paid %s\n", yuan(u, b.paid));
	/* money owed back to the fund (batch.h): what went back, what is left */
	zt_fen owes = 0;
	if (b.status >= ZT_BATCH_SENT &&
	    zt_batch_owes(&owes, zt_batch_due(&b), b.paid, b.returned) == 0 && (owes < 0 || b.returned)) {
		printf("  returned to the fund %s; ", yuan(t, b.returned));
		if (owes < 0)
			printf("still owed back %s (batch repay)\n", yuan(u, -owes));
		else if (owes > 0)
			printf("owes %s\n", yuan(u, owes));
		else
			printf("settled\n");
	}
	printf("history:\n");
	if ((rc = s->ops->batches.events(s, b.id, show_event, NULL)))
		goto done;
	printf("hand-overs:\n");
	if ((rc = s->ops->batches.sends(s, b.id, show_send, NULL)))
		goto done;
	if (b.returned) {
		printf("returned to the fund:\n");
		if ((rc = s->ops->batches.returns(s, b.id, show_return, NULL)))
			goto done;
	}
	if (b.rejected_count) {
		printf("rejected by the payer:\n");
		if ((rc = print_records(s, b.id, true)))
			goto done;
	}
	if (args_flag(a, "--records")) {
		printf("records:\n");
		rc = print_records(s, b.id, false);
	}
done:
	zt_store_close(s);
	return rc ? cli_fail(rc, NULL) : EXIT_DONE;
}

/* ---- export / verify ----------------------------------------------------- */

static int export_cmd(const struct cli *c, const struct args *a)
{
	const char *out = args_get(a, "--out"), *key = args_get(a, "--key");
	int rc = one_id(a, "zhitong batch export ID --out FILE [--force] [--key PRIVATE.pem]");
	if (rc)
		return rc;
	if (!out || !out[0])
		return cli_usage("zhitong batch export ID --out FILE [--force] [--key PRIVATE.pem]");
	struct zt_config *cfg = NULL;
	if (!key) {
		if ((rc = load_config(c, &cfg)))
			return rc;
		key = zt_config_get(cfg, "signing", "key");
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s))) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_batch_export_info info;
	rc = zt_batch_export(s, a->pos[1], out, key, cli_actor(a),
	                     args_flag(a, "--force") ? ZT_OUT_FORCE : 0, &info);
	zt_store_close(s);
	zt_config_free(cfg);
	if (rc)
		return cli_fail(rc, rc == ZT_EINVAL && (!key || !key[0]) ? "no-key" : NULL);
	cli_stored("exporting again writes the same file and says so, or 'zhitong batch show ID' "
	           "shows the export", "batch '%s' was exported to '%s' (+ .sig)", a->pos[1], out);
	char t[ZT_FMT_BYTES];
	printf("%s: %lld records, total %s, digest %s\n", out, (long long)info.count,
	       yuan(t, info.total), info.digest);
	printf("%s: %s signature\n", info.sig_path, info.key_type == ZT_KEY_SM2 ? "SM2" : "Ed25519");
	return EXIT_DONE;
}

static int verify(const struct args *a)
{
	if (a->npos != 4)
		return cli_usage("zhitong batch verify FILE FILE.sig PUBKEY.pem");
	const char *file = a->pos[1], *sig = a->pos[2], *pub = a->pos[3];
	enum zt_key_type kt;
	int rc = zt_sign_key_type(&kt, pub);
	if (rc)
		return cli_fail(rc, NULL);
	rc = zt_verify_file(file, sig, pub);
	if (rc == ZT_EINVAL) {
		fprintf(stderr, "zhitong: bad-signature: %s\n", zt_error_last());
		return EXIT_REJECTED;
	}
	if (rc)
		return cli_fail(rc, NULL);
	printf("%s: signature good (%s, %s)\n", file, kt == ZT_KEY_SM2 ? "SM2" : "Ed25519", pub);
	struct zt_batch_file_summary sum;
	rc = zt_batch_file_check(file, &sum);
	if (rc == ZT_EINVAL || rc == ZT_EMALFORMED) {
		fprintf(stderr, "zhitong: bad-file: %s\n", zt_error_last());
		return EXIT_REJECTED;
	}
	if (rc)
		return cli_fail(rc, NULL);
	char t[ZT_FMT_BYTES], u[ZT_FMT_BYTES];
	printf("%s: batch %s of fund %s: %lld records, total %s (%lld not payable, %s); digest %s\n",
	       file, sum.batch_id, sum.fund_code, (long long)sum.count, yuan(t, sum.total),
	       (long long)sum.info_count, yuan(u, sum.info_total), sum.digest);
	return EXIT_DONE;
}

/* ---- send / poll / ack ---------------------------------------------------- */

static int gateway_config(const struct zt_config *cfg, const char *fund,
                          struct zt_gateway_config *g)
{
	char sec[32];
	int64_t v;
	int rc;
	snprintf(sec, sizeof sec, "fund %s", fund);
	memset(g, 0, sizeof *g);
	g->kind = zt_config_get(cfg, sec, "gateway");
	if (!g->kind)
		return zt_error_set(ZT_EINVAL, "no gateway for fund %s: set [fund %s] gateway = http or "
		                    "folder in the configuration%s%s", fund, fund,
		                    zt_config_path(cfg)[0] ? " " : " (none given: --config PATH)",
		                    zt_config_path(cfg));
	g->url = zt_config_get(cfg, sec, "url");
	g->ca_file = zt_config_get(cfg, sec, "ca-file");
	g->client_cert = zt_config_get(cfg, sec, "client-cert");
	g->client_key = zt_config_get(cfg, sec, "client-key");
	g->outbox_dir = zt_config_get(cfg, sec, "outbox");
	g->inbox_dir = zt_config_get(cfg, sec, "inbox");
	static const struct {
		const char *key;
		int64_t max;
	} ints[] = {{"connect-timeout-ms", 3600000}, {"total-timeout-ms", 86400000},
	            {"max-attempts", 100}, {"backoff-initial-ms", 3600000},
	            {"backoff-max-ms", 3600000}};
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		if ((rc = zt_config_int(cfg, sec, ints[i].key, 0, 0, ints[i].max, &v)))
			return rc;
		switch (i) {
		case 0: g->connect_timeout_ms = (long)v; break;
		case 1: g->total_timeout_ms = (long)v; break;
		case 2: g->max_attempts = (int)v; break;
		case 3: g->backoff_initial_ms = (long)v; break;
		case 4: g->backoff_max_ms = (long)v; break;
		}
	}
	return 0;
}

/* Records a gateway result and says what became of the batch. */
static int record(struct zt_store *s, const char *id, const char *actor, const char *gateway,
                  int gw_rc, struct zt_gateway_result *r)
{
	struct zt_batch_answer ans = {.gateway = gateway, .receipt = r->receipt_id,
	                              .attempts = r->attempts, .http_status = r->http_status,
	                              .message = r->message};
	struct zt_batch_reject *rej = NULL;
	if (gw_rc < 0) {
		/* Nothing left this machine: nothing to record. */
		if (r->failure == ZT_GW_FAIL_CONFIG || r->failure == ZT_GW_FAIL_LOCAL)
			return cli_fail(gw_rc, "gateway");
		ans.outcome = ZT_BATCH_OUT_FAILED;
	} else if (r->status == ZT_GW_ACCEPTED) {
		ans.outcome = ZT_BATCH_OUT_ACCEPTED;
	} else if (r->status == ZT_GW_PENDING) {
		ans.outcome = ZT_BATCH_OUT_PENDING;
	} else if (r->reject_count == 0) {
		ans.outcome = ZT_BATCH_OUT_REFUSED;
	} else {
		ans.outcome = ZT_BATCH_OUT_REJECTED;
		rej = calloc(r->reject_count, sizeof *rej);
		if (!rej)
			return cli_fail(zt_error_set(ZT_ENOMEM, "out of memory"), NULL);
		for (size_t i = 0; i < r->reject_count; i++)
			rej[i] = (struct zt_batch_reject){r->rejects[i].record_id, r->rejects[i].reason};
		ans.rejects = rej;
		ans.reject_count = r->reject_count;
	}
	int rc = zt_batch_record_answer(s, id, actor, &ans);
	free(rej);
	if (rc)
		return cli_fail(rc, NULL);
	cli_stored("'zhitong batch show ID' shows what was recorded",
	           "the hand-over of batch '%s' and the payer's answer were recorded", id);
	struct zt_batch b;
	char t[ZT_FMT_BYTES], u[ZT_FMT_BYTES];
	switch (ans.outcome) {
	case ZT_BATCH_OUT_FAILED:
		zt_error_set(gw_rc, "batch '%s' did not reach the payer (%s): %s; send it again later: "
		             "the batch id keeps a repeat from being paid twice", id, gateway, r->message);
		return cli_fail(gw_rc, "gateway");
	case ZT_BATCH_OUT_PENDING:
		printf("%s: handed over (%s): %s; 'zhitong batch poll %s' reads the payer's answer\n", id,
		       gateway, r->message, id);
		return EXIT_DONE;
	case ZT_BATCH_OUT_REFUSED:
		printf("%s: refused whole by the payer: %s; the batch is exported again, to be sent "
		       "once fixed\n", id, r->message);
		return EXIT_REJECTED;
	case ZT_BATCH_OUT_ACCEPTED:
	case ZT_BATCH_OUT_REJECTED:
		break;
	}
	if ((rc = s->ops->batches.get(s, id, &b)))
		return cli_fail(rc, NULL);
	if (ans.outcome == ZT_BATCH_OUT_ACCEPTED) {
		printf("%s: accepted by the payer, receipt %s, total %s\n", id, b.receipt,
		       yuan(t, b.accepted_total));
		return EXIT_DONE;
	}
	printf("%s: accepted by the payer less %lld records, receipt %s: accepted %s of %s\n", id,
	       (long long)b.rejected_count, b.receipt[0] ? b.receipt : "-", yuan(t, b.accepted_total),
	       yuan(u, b.total));
	if ((rc = print_records(s, id, true)))
		return cli_fail(rc, NULL);
	return EXIT_REJECTED;
}

static int send_or_poll(const struct cli *c, const struct args *a, bool poll)
{
	int rc = one_id(a, poll ? "zhitong batch poll ID" : "zhitong batch send ID [--file FILE]");
	if (rc)
		return rc;
	const char *id = a->pos[1];
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	struct zt_gateway_config g;
	struct zt_gateway_result r = {0};
	struct zt_batch b;
	char file[ZT_BATCH_PATH_BYTES], sig[ZT_BATCH_PATH_BYTES + 4];
	int exit_code;
	if ((exit_code = load_config(c, &cfg)) || (exit_code = cli_open_store(c, 0, &s)))
		goto done;
	if ((rc = s->ops->batches.get(s, id, &b)) || (rc = gateway_config(cfg, b.fund_code, &g))) {
		exit_code = cli_fail(rc, NULL);
		goto done;
	}
	if (poll) {
		/* paid before its answer came: the answer is still awaited */
		bool waits = b.status == ZT_BATCH_SENT ||
		             ((b.status == ZT_BATCH_PART_PAID || b.status == ZT_BATCH_PAID) && !b.answered);
		if (!waits) {
			exit_code = cli_fail(zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: only a sent "
			                                  "batch waits for an answer", id,
			                                  zt_batch_status_name(b.status)), NULL);
			goto done;
		}
		rc = zt_gateway_poll(&g, id, &r);
		if (rc == 0 && r.status == ZT_GW_PENDING) {
			printf("%s: no answer from the payer yet\n", id);
			exit_code = EXIT_DONE;
			goto done;
		}
	} else {
		const char *key = args_get(a, "--key");
		if (!key || !key[0])
			key = zt_config_get(cfg, "signing", "public-key");
		if (!key || !key[0])
			key = zt_config_get(cfg, "signing", "key");
		if ((rc = zt_batch_prepare_send(s, id, args_get(a, "--file"), key, file, sig))) {
			exit_code = cli_fail(rc, NULL);
			goto done;
		}
		rc = zt_gateway_send(&g, id, file, sig, &r);
	}
	exit_code = record(s, id, cli_actor(a), g.kind, rc, &r);
done:
	zt_gateway_result_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return exit_code;
}

static int ack(const struct cli *c, const struct args *a)
{
	if (a->npos != 3)
		return cli_usage("zhitong batch ack ID ACK.xml");
	const char *id = a->pos[1];
	char *xml = NULL;
	size_t len = 0;
	struct zt_gateway_result r = {0};
	struct zt_store *s = NULL;
	int exit_code, rc = zt_read_file(&xml, &len, a->pos[2], ZT_PAYER_ACK_BYTES_MAX);
	if (rc)
		return cli_fail(rc, NULL);
	rc = zt_gateway_parse_ack(&r, xml, len, a->pos[2], id);
	free(xml);
	if (rc) {
		exit_code = cli_fail(rc, NULL);
		goto done;
	}
	if ((exit_code = cli_open_store(c, 0, &s)))
		goto done;
	exit_code = record(s, id, cli_actor(a), "manual", 0, &r);
done:
	zt_gateway_result_free(&r);
	zt_store_close(s);
	return exit_code;
}

/* ---- repay ----------------------------------------------------------------- */

static int repay(const struct cli *c, const struct args *a)
{
	const char *usage = "zhitong batch repay ID [--amount A] [--out FILE] "
	                    "[--execution-date YYYY-MM-DD] --by NAME";
	int rc = one_id(a, usage);
	if (rc)
		return rc;
	struct zt_batch_repay_req req = {.batch_id = a->pos[1], .actor = cli_actor(a),
	                                 .out_path = args_get(a, "--out")};
	const char *amount = args_get(a, "--amount"), *date = args_get(a, "--execution-date");
	if (amount && zt_parse_amount(&req.amount_fen, amount, strlen(amount)) != 0)
		return cli_usage("--amount: %s (yuan with two decimals, e.g. 5000.00)", zt_error_last());
	if (amount && req.amount_fen == 0)
		return cli_usage("--amount: more than 0.00, please");
	if (date && zt_parse_date(&req.execution_date, date, strlen(date)) != 0)
		return cli_usage("--execution-date: %s", zt_error_last());
	struct zt_config *cfg = NULL;
	if ((rc = load_config(c, &cfg)))
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s))) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_batch_return r;
	rc = zt_batch_repay(s, cfg, &req, &r);
	zt_store_close(s);
	zt_config_free(cfg);
	if (rc)
		return cli_fail(rc, NULL);
	char t[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	printf("%s %s fund %s %s\n", r.return_id, r.batch_id, r.fund_code, yuan(t, r.amount));
	fprintf(stderr, "zhitong: wrote %s: pain.001.001.03 MsgId %s, 1 transaction, CtrlSum %s, "
	        "execution date %s\n", r.file, r.msg_id, yuan(t, r.amount),
	        zt_format_date(d, r.execution_date));
	return EXIT_DONE;
}

int cmd_batch(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv,
	                    "--by --fund --through --format --status --reason --out --key --file "
	                    "--amount --execution-date",
	                    "--records --force --bom");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		help(a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (strcmp(sub, "create") == 0)
		return create(c, &a);
	if (strcmp(sub, "list") == 0)
		return list(c, &a);
	if (strcmp(sub, "show") == 0)
		return show(c, &a);
	if (strcmp(sub, "approve") == 0)
		return approve(c, &a);
	if (strcmp(sub, "reject") == 0)
		return reject(c, &a);
	if (strcmp(sub, "reopen") == 0)
		return reopen(c, &a);
	if (strcmp(sub, "export") == 0)
		return export_cmd(c, &a);
	if (strcmp(sub, "send") == 0)
		return send_or_poll(c, &a, false);
	if (strcmp(sub, "poll") == 0)
		return send_or_poll(c, &a, true);
	if (strcmp(sub, "ack") == 0)
		return ack(c, &a);
	if (strcmp(sub, "verify") == 0)
		return verify(&a);
	if (strcmp(sub, "repay") == 0)
		return repay(c, &a);
	return cli_usage("unknown batch command '%s' (create, list, show, approve, reject, reopen, "
	                 "export, send, poll, ack, repay, verify)", sub);
}
