/* zhitong — the 'batch' commands (docs/spec/money-flow.md "Batches and settlement
 * files"; docs/batches.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/batch.h"
#include "zhitong/config.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"
#include "zhitong/batch_text.h"
#include "zhitong/payer_port.h"
#include "zhitong/outfile.h"
#include "zhitong/sign.h"
#include "zhitong/xml.h"
#include "zhitong/render_trace.h"

static const char batch_help_fmt[] =
	"usage: zhitong --db PATH [--config PATH] batch create --fund F [--pool P]\n"
	"                                    [--through YYYY-MM-DD] --by NAME\n"
	"       zhitong --db PATH batch list [--fund F] [--pool P] [--status S] [--format text|csv]\n"
	"                                    [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"       zhitong --db PATH batch show ID [--records [--format text|csv] [--bom]] [--out FILE]\n"
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
	"         With several [pool P] in the configuration, --pool P is required: the\n"
	"         batch takes only the shares of hospitals of P's counties.\n"
	"list     every batch; csv header: batch_id,fund,status,count,total,paid (yuan).\n"
	"         --out FILE writes it to FILE instead of stdout (see export for the rules).\n"
	"         Statuses: draft approved rejected exported sent accepted paid part-paid.\n"
	"show     a batch, its history (who did what, when), its hand-overs to the payer\n"
	"         and the records the payer rejected; --records lists every record.\n"
	"         --records --format csv: a row per record with what a payer's reviewer\n"
	"         reads: record_id,setl_id,kind,reverses,fixmedins_code,claim_no,psn_no,\n"
	"         psn_name,id_no,adm_date,dscg_date,dscg_maindiag_code,medfee_sumamt,\n"
	"         fund_kind,amount,payable,rejected,trace (amounts in yuan; --out FILE\n"
	"         is written 0600: the rows carry ID numbers).\n"
	"approve  maker-checker: whoever created (or reopened) a batch cannot approve it.\n"
	"reject   the checker refuses a draft, with a reason. Its shares stay in it;\n"
	"reopen   makes it a draft again, adding every share billable since (the\n"
	"         reversals and corrected claims that answer the objection), for a new\n"
	"         approval.\n"
	"export   writes the payer file FILE (schema/payer-file.xsd; with [fund F]\n"
	"         payer-file = 2, schema/payer-file-2.xsd: each record with the person's\n"
	"         name and ID number, the stay, diagnosis and bill) and its detached\n"
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
	"         matches the bank's debit. --amount pays part of it. The file appears\n"
	"         after the commit; --rewrite writes the file of the batch's last\n"
	"         repayment again from the record when a crash came between the two\n"
	"         (only if it never reached the bank).\n"
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

/* Text to stdout (render/: batch_text.h). */
static struct zt_batch_text to_stdout(void)
{
	return (struct zt_batch_text){zt_file_write, stdout, 0};
}

/* ---- create / approve / reject / reopen ------------------------------ */

static int create(const struct cli *c, const struct args *a)
{
	struct zt_batch_create_req req = {.pool = args_get(a, "--pool"),
	                                  .fund_code = args_get(a, "--fund"),
	                                  .actor = cli_actor(a)};
	const char *through_s = args_get(a, "--through");
	if (!req.fund_code || a->npos != 1)
		return cli_usage("zhitong batch create --fund F [--pool P] [--through YYYY-MM-DD] "
		                 "--by NAME");
	if (through_s && zt_parse_date(&req.through, through_s, strlen(through_s)) != 0)
		return cli_usage("--through: %s", zt_error_last());
	struct zt_config *cfg = NULL;
	struct zt_store *s;
	int rc = load_config(c, &cfg);
	if (rc)
		return rc;
	req.cfg = cfg;
	if ((rc = zt_config_pool_pick(cfg, req.pool, &req.pool)) != 0) {
		zt_config_free(cfg);
		return cli_usage("%s", zt_error_last());
	}
	if ((rc = cli_open_store(c, 0, &s))) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_batch_create_res res;
	rc = zt_batch_create(s, &req, &res);
	zt_store_close(s);
	zt_config_free(cfg);
	if (rc)
		return cli_fail(rc, NULL);
	if (res.batch.count > 0) {
		char how[160];
		snprintf(how, sizeof how, "'zhitong batch list --fund %.32s' lists it (creating again "
		         "makes no second batch of the same shares)", req.fund_code);
		cli_stored(how, "batch '%s' was created", res.id);
		printf("%s\n", res.id);
	}
	return EXIT_DONE;
}

static int one_id(const struct args *a, const char *usage)
{
	if (a->npos != 2)
		return cli_usage("%s", usage);
	return 0;
}

/* approve, reject, reopen: one step of the batch's life by a person. */
static int step(const struct cli *c, const struct args *a,
                int (*uc)(struct zt_store *, const struct zt_batch_step_req *,
                          struct zt_batch_step_res *),
                const char *done, struct zt_batch_step_res *res)
{
	const struct zt_batch_step_req req = {a->pos[1], cli_actor(a), args_get(a, "--reason")};
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	rc = uc(s, &req, res);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	cli_stored("'zhitong batch show ID' shows it", "batch '%s' was %s", a->pos[1], done);
	return EXIT_DONE;
}

static int approve(const struct cli *c, const struct args *a)
{
	struct zt_batch_step_res res;
	int rc = one_id(a, "zhitong batch approve ID --by NAME");
	if (rc || (rc = step(c, a, zt_batch_approve, "approved", &res)))
		return rc;
	printf("%s approved by %s\n", a->pos[1], cli_actor(a));
	return EXIT_DONE;
}

static int reject(const struct cli *c, const struct args *a)
{
	const char *reason = args_get(a, "--reason");
	struct zt_batch_step_res res;
	int rc = one_id(a, "zhitong batch reject ID --reason TEXT --by NAME");
	if (rc)
		return rc;
	if (!reason || !reason[0])
		return cli_usage("zhitong batch reject ID --reason TEXT --by NAME");
	if ((rc = step(c, a, zt_batch_reject, "rejected", &res)))
		return rc;
	printf("%s rejected by %s: %s\n", a->pos[1], cli_actor(a), reason);
	return EXIT_DONE;
}

static int reopen(const struct cli *c, const struct args *a)
{
	struct zt_batch_step_res res;
	int rc = one_id(a, "zhitong batch reopen ID [--reason TEXT] --by NAME");
	if (rc || (rc = step(c, a, zt_batch_reopen, "reopened", &res)))
		return rc;
	char t[ZT_FMT_BYTES];
	printf("%s is a draft again: %lld records added, %lld in all, total %s\n", res.batch.id,
	       (long long)res.added, (long long)res.batch.count, yuan(t, res.batch.total));
	return EXIT_DONE;
}

/* ---- list / show ------------------------------------------------------- */

static int list(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format"), *st = args_get(a, "--status");
	struct zt_batch_list_req req = {.fund_code = args_get(a, "--fund"),
	                                .pool = args_get(a, "--pool")};
	if (!fmt)
		fmt = "text";
	if (a->npos != 1 || (strcmp(fmt, "text") != 0 && strcmp(fmt, "csv") != 0))
		return cli_usage("zhitong batch list [--fund F] [--pool P] [--status S] [--format text|csv] [--bom] "
		                 "[--out FILE [--force]]");
	if (st) {
		if (zt_batch_status_parse(&req.status, st) != 0)
			return cli_usage("--status: %s", zt_error_last());
		req.has_status = true;
	}
	bool csv = strcmp(fmt, "csv") == 0;
	int rc = cli_bom_check(a, csv);
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
	struct zt_csv w;
	struct zt_batch_text t = {zt_file_write, o.f, 0};
	if (csv) {
		zt_csv_init(&w, o.f, args_flag(a, "--bom"));
		zt_batch_csv_header(&w);
		rc = zt_batch_list(s, &req, zt_batch_csv_row, &w, NULL);
	} else if ((rc = zt_batch_text_list_header(&t)) == 0) {
		rc = zt_batch_list(s, &req, zt_batch_text_list_row, &t, NULL);
	}
	zt_store_close(s);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}

#define SHOW_USAGE "zhitong batch show ID [--records [--format text|csv] [--bom] [--out FILE [--force]]]"

static int show(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format");
	bool records = args_flag(a, "--records");
	int rc = one_id(a, SHOW_USAGE);
	if (rc)
		return rc;
	if (!fmt)
		fmt = "text";
	if ((strcmp(fmt, "text") != 0 && strcmp(fmt, "csv") != 0))
		return cli_usage(SHOW_USAGE);
	bool csv = strcmp(fmt, "csv") == 0;
	if (csv && !records)
		return cli_usage("--format csv lists the records: give --records too");
	if ((rc = cli_bom_check(a, csv)))
		return rc;
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	/* The records carry ID numbers: a file written is the owner's (0600). */
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct zt_batch_text t = {zt_file_write, o.f, 0};
	struct zt_csv w;
	struct zt_batch_show_visitor v;
	if (csv) {
		zt_csv_init(&w, o.f, args_flag(a, "--bom"));
		zt_batch_csv_records_header(&w);
		zt_batch_csv_show(&v, &w);
	} else {
		zt_batch_text_show(&v, &t);
	}
	rc = zt_batch_show(s, &(struct zt_batch_show_req){a->pos[1], records}, &v);
	zt_store_close(s);
	return cli_out_close(&o, rc ? cli_fail(rc, NULL) : EXIT_DONE);
}

/* ---- export / verify ----------------------------------------------------- */

static int export_cmd(const struct cli *c, const struct args *a)
{
	struct zt_batch_export_req req = {.out_path = args_get(a, "--out"),
	                                  .key_path = args_get(a, "--key"), .actor = cli_actor(a),
	                                  .out_flags = args_flag(a, "--force") ? ZT_OUT_FORCE : 0,
	                                  .trace_xml = zt_trace_xml};
	int rc = one_id(a, "zhitong batch export ID --out FILE [--force] [--key PRIVATE.pem]");
	if (rc)
		return rc;
	req.id = a->pos[1];
	if (!req.out_path || !req.out_path[0])
		return cli_usage("zhitong batch export ID --out FILE [--force] [--key PRIVATE.pem]");
	/* the key, unless given, and the fund's payer-file version */
	struct zt_config *cfg = NULL;
	if ((rc = load_config(c, &cfg)))
		return rc;
	if (!req.key_path)
		req.key_path = zt_config_get(cfg, "signing", "key");
	req.config = cfg;
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s))) {
		zt_config_free(cfg);
		return rc;
	}
	struct zt_batch_export_info info;
	rc = zt_batch_export(s, &req, &info);
	zt_store_close(s);
	bool no_key = !req.key_path || !req.key_path[0];
	zt_config_free(cfg);
	if (rc)
		return cli_fail(rc, rc == ZT_EINVAL && no_key ? "no-key" : NULL);
	cli_stored("exporting again writes the same file and says so, or 'zhitong batch show ID' "
	           "shows the export", "batch '%s' was exported to '%s' (+ .sig)", req.id,
	           req.out_path);
	char t[ZT_FMT_BYTES];
	printf("%s: %lld records, total %s, digest %s\n", req.out_path, (long long)info.count,
	       yuan(t, info.total), info.digest);
	printf("%s: %s signature\n", info.sig_path, info.key_type == ZT_KEY_SM2 ? "SM2" : "Ed25519");
	return EXIT_DONE;
}

static int verify(const struct args *a)
{
	if (a->npos != 4)
		return cli_usage("zhitong batch verify FILE FILE.sig PUBKEY.pem");
	const struct zt_batch_verify_req req = {a->pos[1], a->pos[2], a->pos[3]};
	struct zt_batch_verify_res res;
	int rc = zt_batch_verify(&req, &res);
	if (rc)
		return cli_fail(rc, NULL);
	if (res.verdict == ZT_BATCH_FILE_BAD_SIGNATURE) {
		fprintf(stderr, "zhitong: bad-signature: %s\n", zt_error_last());
		return EXIT_REJECTED;
	}
	printf("%s: signature good (%s, %s)\n", req.file,
	       res.key_type == ZT_KEY_SM2 ? "SM2" : "Ed25519", req.pubkey);
	if (res.verdict == ZT_BATCH_FILE_BAD_FILE) {
		fprintf(stderr, "zhitong: bad-file: %s\n", zt_error_last());
		return EXIT_REJECTED;
	}
	const struct zt_batch_file_summary *sum = &res.summary;
	char t[ZT_FMT_BYTES], u[ZT_FMT_BYTES];
	printf("%s: batch %s of fund %s: %lld records, total %s (%lld not payable, %s); digest %s\n",
	       req.file, sum->batch_id, sum->fund_code, (long long)sum->count, yuan(t, sum->total),
	       (long long)sum->info_count, yuan(u, sum->info_total), sum->digest);
	return EXIT_DONE;
}

/* ---- send / poll / ack ---------------------------------------------------- */

/* What came of a hand-over, a poll or an ack (the use case decided it):
 * said, and its exit status. */
static int outcome(struct zt_store *s, const char *id, int rc,
                   const struct zt_batch_send_res *res)
{
	if (res->recorded)
		cli_stored("'zhitong batch show ID' shows what was recorded",
		           "the hand-over of batch '%s' and the payer's answer were recorded", id);
	if (rc)
		return cli_fail(rc, res->gateway_failed ? "gateway" : NULL);
	struct zt_batch_text t = to_stdout();
	if ((rc = zt_batch_text_outcome(&t, id, res)))
		return cli_fail(rc, NULL);
	switch (res->outcome) {
	case ZT_BATCH_OUT_REJECTED:
		if ((rc = zt_batch_records_each(s, id, true, zt_batch_text_record, &t)))
			return cli_fail(rc, NULL);
		return EXIT_REJECTED;
	case ZT_BATCH_OUT_REFUSED:
		return EXIT_REJECTED;
	default:
		return EXIT_DONE;
	}
}

static int send_or_poll(const struct cli *c, const struct args *a, bool poll)
{
	int rc = one_id(a, poll ? "zhitong batch poll ID" : "zhitong batch send ID [--file FILE]");
	if (rc)
		return rc;
	struct zt_batch_send_req req = {a->pos[1], args_get(a, "--file"), args_get(a, "--key"),
	                                cli_actor(a)};
	struct zt_config *cfg = NULL;
	struct zt_store *s = NULL;
	struct zt_gateway_port gp;
	struct zt_batch_send_res res;
	int exit_code;
	if ((exit_code = load_config(c, &cfg)) || (exit_code = cli_open_store(c, 0, &s)))
		goto done;
	if (!req.key_path || !req.key_path[0])
		req.key_path = zt_config_get(cfg, "signing", "public-key");
	if (!req.key_path || !req.key_path[0])
		req.key_path = zt_config_get(cfg, "signing", "key");
	zt_gateway_port_init(&gp, cfg);
	rc = poll ? zt_batch_poll(s, &req, &gp.port, &res) : zt_batch_send(s, &req, &gp.port, &res);
	exit_code = outcome(s, req.id, rc, &res);
	zt_gateway_port_free(&gp);
done:
	zt_store_close(s);
	zt_config_free(cfg);
	return exit_code;
}

static int ack(const struct cli *c, const struct args *a)
{
	if (a->npos != 3)
		return cli_usage("zhitong batch ack ID ACK.xml");
	const struct zt_batch_send_req req = {.id = a->pos[1], .actor = cli_actor(a)};
	char *xml = NULL;
	size_t len = 0;
	struct zt_gateway_port gp;
	struct zt_batch_answer ans;
	struct zt_batch_send_res res;
	struct zt_store *s = NULL;
	int exit_code, rc = zt_read_file(&xml, &len, a->pos[2], ZT_PAYER_ACK_BYTES_MAX);
	if (rc)
		return cli_fail(rc, NULL);
	zt_gateway_port_init(&gp, NULL);
	rc = zt_gateway_port_ack(&gp, xml, len, a->pos[2], req.id, &ans);
	free(xml);
	if (rc)
		exit_code = cli_fail(rc, NULL);
	else if ((exit_code = cli_open_store(c, 0, &s)) == 0)
		exit_code = outcome(s, req.id, zt_batch_ack(s, &req, &ans, &res), &res);
	zt_gateway_port_free(&gp);
	zt_store_close(s);
	return exit_code;
}

/* ---- repay ----------------------------------------------------------------- */

static int repay(const struct cli *c, const struct args *a)
{
	const char *usage = "zhitong batch repay ID [--amount A] [--out FILE] "
	                    "[--execution-date YYYY-MM-DD] [--rewrite] --by NAME";
	int rc = one_id(a, usage);
	if (rc)
		return rc;
	struct zt_batch_repay_req req = {.batch_id = a->pos[1], .actor = cli_actor(a),
	                                 .out_path = args_get(a, "--out"),
	                                 .rewrite = args_flag(a, "--rewrite")};
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
	if (req.rewrite)
		fprintf(stderr, "zhitong: repayment %s was recorded and its payment file was missing: "
		        "written again from what was recorded (nothing booked)\n", r.return_id);
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
	                    "--by --fund --pool --through --format --status --reason --out --key --file "
	                    "--amount --execution-date",
	                    "--records --force --bom --rewrite");
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
