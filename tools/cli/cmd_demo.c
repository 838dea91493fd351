/* zhitong — demo: the whole flow on sample data. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli.h"
#include "zhitong/catalog.h"
#include "zhitong/error.h"
#include "zhitong/advance.h"
#include "zhitong/batch.h"
#include "zhitong/config.h"
#include "zhitong/gen.h"
#include "zhitong/outfile.h"
#include "zhitong/claims.h"
#include "zhitong/render_trace.h"
#include "zhitong/slip_text.h"

extern const unsigned char zt_sample_policy[], zt_sample_registry[];
extern const size_t zt_sample_policy_len, zt_sample_registry_len;

/* The worked example of docs/spec/split.md §7 (docs/spec/interfaces.md "Claim"). */
static const char worked_example[] =
	"<claim xmlns=\"urn:zhitong:claim:1\">\n"
	"  <fixmedins_code>H51010101</fixmedins_code>\n"
	"  <claim_no>ZY2017-000123</claim_no>\n"
	"  <psn_no>P0000001</psn_no>\n"
	"  <adm_date>2017-03-01</adm_date>\n"
	"  <dscg_date>2017-03-10</dscg_date>\n"
	"  <dscg_maindiag_code>I63.900</dscg_maindiag_code>\n"
	"  <medfee_sumamt>10500.00</medfee_sumamt>\n"
	"  <items>\n"
	"    <item><feedetl_sn>1</feedetl_sn><med_list_codg>001201000010000-120100001</med_list_codg>"
	"<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>8000</pric>"
	"<cnt>1</cnt><det_item_fee_sumamt>8000.00</det_item_fee_sumamt></item>\n"
	"    <item><feedetl_sn>2</feedetl_sn><med_list_codg>XB01ACA056A001010100000</med_list_codg>"
	"<med_chrgitm_type>09</med_chrgitm_type><chrgitm_lv>02</chrgitm_lv><pric>25.0000</pric>"
	"<cnt>80</cnt><det_item_fee_sumamt>2000.00</det_item_fee_sumamt>"
	"<pric_uplmt_amt>30.00</pric_uplmt_amt><selfpay_prop>0.10</selfpay_prop></item>\n"
	"    <item><feedetl_sn>3</feedetl_sn><med_list_codg>ZZ0001</med_list_codg>"
	"<med_chrgitm_type>08</med_chrgitm_type><chrgitm_lv>03</chrgitm_lv><pric>500</pric>"
	"<cnt>1</cnt><det_item_fee_sumamt>500.00</det_item_fee_sumamt></item>\n"
	"  </items>\n"
	"</claim>\n";

static int write_file(const char *path, const void *data, size_t len)
{
	return zt_outfile_write_all(path, data, len, 0644, 0, NULL);
}

/* The demo's claims file to the settle use case; the answers are not
 * shown (no sink): the demo prints its own summary. */
/* The world's catalogue, loaded as `catalog load` does. */
static int demo_catalog(struct zt_store *s, const char *path, const char *actor)
{
	FILE *f = NULL;
	struct zt_catalog_load_res res;
	int rc = cli_open_doc(&f, path);
	if (rc)
		return rc;
	struct zt_source src = zt_source_file(f, path);
	rc = zt_catalog_load(s, &(struct zt_catalog_load_req){&src, actor, NULL, false}, &res);
	fclose(f);
	if (rc == 0)
		fprintf(stderr, "zhitong: %s: catalogue '%s' loaded, %zu entries\n", path, res.info.id,
		        res.entries);
	return rc;
}

static int demo_settle(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                       struct zt_settle_stats *st)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct zt_source src = zt_source_file(f, path);
	int rc = zt_settle_source(s, &src, ZT_CLAIM_FORMAT_XML, o, NULL, st);
	fclose(f);
	return rc;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* label padded to `cols` display columns (a CJK character is two) */
static void print_label(const char *label, int cols)
{
	int w = zt_text_width(label);
	printf("  %s%*s", label, w >= 0 && w < cols ? cols - w : 0, "");
}

static void amount_line(const char *label, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	print_label(label, 40);
	printf(" %18s\n", zt_format_amount(b, v));
}

static void yuan_line(const char *label, zt_fen v, zt_fen of_total)
{
	char b[ZT_FMT_BYTES];
	/* share in basis points, integer math */
	long long bp = of_total ? (long long)((__int128)v * 10000 / of_total) : 0;
	print_label(label, 40);
	printf(" %18s  %3lld.%02lld%%\n", zt_format_amount(b, v), bp / 100, bp % 100);
}

/* The demo's throwaway signing key. zhitong never makes a key by itself: a
 * deployment configures its own ([signing] key); the demo says loudly that
 * it made this one, for this run only. */
static int demo_key(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!k)
		return zt_error_set(ZT_EINTERNAL, "cannot make the demo's Ed25519 key");
	int rc = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
		rc = zt_error_set(ZT_EIO, "cannot write the demo key '%s'", path);
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	/* and its public half, for the payer's check with stock openssl */
	char pub[700];
	snprintf(pub, sizeof pub, "%.600s.pub", path);
	struct zt_outfile *o = NULL;
	if (rc == 0 && (rc = zt_outfile_open(&o, pub, 0644, 0)) == 0) {
		FILE *p = zt_outfile_stream(o);
		if (!p || PEM_write_PUBKEY(p, k) != 1)
			rc = zt_error_set(ZT_EIO, "cannot write the demo public key '%s'", pub);
		else
			rc = zt_outfile_commit(o, NULL);
	}
	zt_outfile_free(o);
	EVP_PKEY_free(k);
	return rc;
}

struct demo_cfg {
	FILE *f;
	int n;
};

/* Every hospital gets an account and a float target in the demo's
 * configuration: the advances pay each one ahead, before its claims. */
static int demo_hospital_cfg(void *ctx, const struct zt_hospital *h)
{
	struct demo_cfg *d = ctx;
	d->n++;
	fprintf(d->f, "\n[hospital %s]\ntarget = %s\naccount = 62220202%011d\n", h->code,
	        h->level >= 3 ? "1500000.00" : "600000.00", d->n);
	return 0;
}

static int demo_config(struct zt_store *s, const char *dir, const char *key, char *path, size_t cap)
{
	snprintf(path, cap, "%s/zhitong.conf", dir);
	struct zt_outfile *o = NULL;
	int rc = zt_outfile_open(&o, path, 0600, 0);
	FILE *f = rc == 0 ? zt_outfile_stream(o) : NULL;
	if (!f) {
		zt_outfile_free(o);
		return rc ? rc : ZT_EIO;
	}
	fprintf(f, "# zhitong demo configuration (written by `zhitong demo`)\n"
	           "[signing]\nkey = %s\n\n"
	           "[pool]\nname = 示范县健康扶贫资金专户\naccount = 6222020200000000001\ncurrency = CNY\n\n"
	           "[advance]\ntarget-days = 30\n",
	        key);
	static const char *const funds[] = {"390100", "390200", "610100", "610103", "610104"};
	for (size_t i = 0; i < sizeof funds / sizeof *funds; i++) {
		fprintf(f, "\n[fund %s]\ngateway = folder\noutbox = %s/outbox/%s\ninbox = %s/inbox/%s\n",
		        funds[i], dir, funds[i], dir, funds[i]);
		char d[700];
		for (int k = 0; k < 2; k++) {
			snprintf(d, sizeof d, "%s/%s", dir, k ? "inbox" : "outbox");
			mkdir(d, 0700);
			snprintf(d, sizeof d, "%s/%s/%s", dir, k ? "inbox" : "outbox", funds[i]);
			if (mkdir(d, 0700) != 0 && errno != EEXIST) {
				zt_outfile_free(o);
				return zt_error_set(ZT_EIO, "cannot make '%s': %s", d, strerror(errno));
			}
		}
	}
	struct demo_cfg d = {f, 0};
	rc = s->ops->registry.each_hospital(s, demo_hospital_cfg, &d);
	if (rc == 0)
		rc = zt_outfile_commit(o, NULL);
	zt_outfile_free(o);
	return rc;
}

struct demo_status {
	int hospitals, advancing;
	zt_fen advanced, earned;
	char example[160];
};

static int demo_status_cb(void *ctx, const struct zt_advance_status *st)
{
	struct demo_status *d = ctx;
	d->hospitals++;
	d->advanced += st->advanced;
	d->earned += st->earned;
	if (st->advancing_since[0]) {
		char b[ZT_FMT_BYTES], when[ZT_FMT_BYTES];
		if (d->advancing++ == 0) /* in the pool's time, as people read it */
			snprintf(d->example, sizeof d->example, "%s 自 %s 起垫付 %s 元", st->hospital,
			         zt_timestamp_local(when, st->advancing_since),
			         zt_format_amount(b, -st->balance));
	}
	return 0;
}

/* One run of the demo: what its steps share. */
struct demo {
	const struct cli *c;
	char dir[32], db[512], key[600], conf[700], pain[700];
	bool user_db;
	struct zt_store *s;
	struct zt_config *cfg;
	struct zt_settle_opts so;
	struct zt_advance_plan plan;
	struct zt_advance_issued issued;
	struct zt_settle_stats st, nst; /* the generated county's, the national one's */
	double settle_s;
	uint64_t nclaims, seed;
};

static const char demo_help[] =
	"usage: zhitong [--db PATH] demo [--claims N] [--seed S] [--keep]\n\n"
	"The whole flow on sample data, on a fresh database (a temporary one unless\n"
	"--db is given): loads the sample registry and policy, settles the worked\n"
	"example of docs/spec/split.md, generates N claims (default 3000) in a second county\n"
	"and settles them, then N/10 + 1 claims of a third county that settles its part on\n"
	"top of the national platform (a supplementary policy, docs/national.md),\n"
	"reverses one, runs verify, and prints a summary and the worked example's\n"
	"settlement with its trace; then starts the HTTP service on a free loopback\n"
	"port, submits a claim over HTTP as a desk's system would, prints the answer\n"
	"and stops it. --keep keeps the temporary directory.";

/* 1. the sample registry and policy (rules/), and the worked example */
static int demo_samples(struct demo *d)
{
	char path[700];
	struct zt_settle_stats ex;
	int rc;
	snprintf(path, sizeof path, "%s/registry-510101.xml", d->dir);
	if ((rc = write_file(path, zt_sample_registry, zt_sample_registry_len)) ||
	    (rc = cli_registry_load(d->s, path, d->so.actor, false)))
		return rc;
	snprintf(path, sizeof path, "%s/sample-510101-2017.xml", d->dir);
	if ((rc = write_file(path, zt_sample_policy, zt_sample_policy_len)) ||
	    (rc = cli_rules_load(d->s, path, d->so.actor, false)))
		return rc;
	snprintf(path, sizeof path, "%s/worked-example.xml", d->dir);
	if ((rc = write_file(path, worked_example, sizeof worked_example - 1)))
		return rc;
	return demo_settle(d->s, path, &d->so, &ex);
}

/* 2. a generated world in a second county, with the insurer's catalogue
 * and people whose category changes in the year (docs/rules-v2.md) */
static int demo_world(struct demo *d)
{
	char world[400], path[700];
	int rc;
	snprintf(world, sizeof world, "%s/world", d->dir);
	struct zt_gen_opts go = {.claims = d->nclaims, .seed = d->seed, .county = "510122",
	                         .year = 2017, .catalog = true, .periods = true};
	if (isatty(2))
		go.progress = cli_gen_progress;
	if ((rc = zt_gen_world(&go, world)))
		return rc;
	snprintf(path, sizeof path, "%s/registry.xml", world);
	if ((rc = cli_registry_load(d->s, path, d->so.actor, false)))
		return rc;
	snprintf(path, sizeof path, "%s/policy.xml", world);
	if ((rc = cli_rules_load(d->s, path, d->so.actor, false)))
		return rc;
	snprintf(path, sizeof path, "%s/catalog.xml", world);
	return demo_catalog(d->s, path, d->so.actor);
}

/* 3. advances: the pool pays every hospital ahead, maker-checker */
static int demo_advances(struct demo *d)
{
	int rc;
	snprintf(d->key, sizeof d->key, "%s/demo-signing-ed25519.pem", d->dir);
	if ((rc = demo_key(d->key)) || (rc = demo_config(d->s, d->dir, d->key, d->conf, sizeof d->conf)) ||
	    (rc = zt_config_load(&d->cfg, d->conf)))
		return rc;
	fprintf(stderr, "zhitong: demo: made a throwaway Ed25519 signing key for this run only: %s\n"
	                "zhitong: demo: configuration %s (pool account, hospital floats, a folder "
	                "gateway per fund)\n", d->key, d->conf);
	snprintf(d->pain, sizeof d->pain, "%s/advances-pain001.xml", d->dir);
	struct zt_advance_plan_req preq = {.cfg = d->cfg, .actor = "demo-finance"};
	if ((rc = zt_advance_plan(d->s, &preq, &d->plan)) ||
	    (rc = zt_advance_approve(d->s, &(struct zt_advance_approve_req){d->plan.plan_id,
	                                                                     "demo-director"})))
		return rc;
	struct zt_advance_issue_req ireq = {.cfg = d->cfg, .actor = "demo-finance",
	                                    .out_path = d->pain, .plan_id = d->plan.plan_id};
	if ((rc = zt_advance_issue(d->s, &ireq, &d->issued)))
		return rc;
	fprintf(stderr, "zhitong: demo: advance plan %s made by demo-finance, approved by "
	                "demo-director, issued: %zu advances, %s\n", d->plan.plan_id,
	        d->issued.count, d->pain);
	return 0;
}

/* 4. the claims; a third county, 510123, settling its part on top of the
 * national platform (docs/national.md): a supplementary world of 2018,
 * after the full county's claims (generated worlds number their people
 * alike); and one claim reversed and settled afresh */
static int demo_claims(struct demo *d)
{
	char path[700], nworld[400];
	struct timespec ts;
	int rc;
	snprintf(path, sizeof path, "%s/world/claims.xml", d->dir);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((rc = demo_settle(d->s, path, &d->so, &d->st)))
		return rc;
	d->settle_s = seconds_since(&ts);
	fprintf(stderr, "zhitong: %s: %llu claims settled, %llu rejected in %.2f s\n", path,
	        (unsigned long long)d->st.settled, (unsigned long long)d->st.rejected, d->settle_s);
	snprintf(nworld, sizeof nworld, "%s/world-national", d->dir);
	struct zt_gen_opts gn = {.claims = d->nclaims / 10 + 1, .seed = d->seed + 1,
	                         .county = "510123", .year = 2018, .national = true};
	if ((rc = zt_gen_world(&gn, nworld)))
		return rc;
	snprintf(path, sizeof path, "%s/registry.xml", nworld);
	if ((rc = cli_registry_load(d->s, path, d->so.actor, false)))
		return rc;
	snprintf(path, sizeof path, "%s/policy.xml", nworld);
	if ((rc = cli_rules_load(d->s, path, d->so.actor, false)))
		return rc;
	snprintf(path, sizeof path, "%s/claims.xml", nworld);
	if ((rc = demo_settle(d->s, path, &d->so, &d->nst)))
		return rc;
	struct zt_claims_reverse_res *rev = malloc(sizeof *rev);
	rc = rev ? zt_claims_reverse(d->s, &(struct zt_claims_reverse_req){"H51010101",
	                             "ZY2017-000123", "demo: reversed and resubmitted", d->so.actor,
	                             NULL}, rev)
	         : zt_error_set(ZT_ENOMEM, "out of memory");
	free(rev);
	if (rc)
		return rc;
	struct zt_settle_stats ex;
	snprintf(path, sizeof path, "%s/worked-example.xml", d->dir);
	return demo_settle(d->s, path, &d->so, &ex);
}

static void demo_summary(const struct demo *d)
{
	const struct zt_settle_stats *st = &d->st, *nst = &d->nst;
	printf("结算生成的住院费用 %llu 笔（拒付 %llu 笔），用时 %.2f 秒，每秒 %.0f 笔\n",
	       (unsigned long long)st->settled, (unsigned long long)st->rejected, d->settle_s,
	       d->settle_s > 0 ? (double)st->settled / d->settle_s : 0.0);
	amount_line("医疗费用总额（medfee_sumamt）", st->medfee_total);
	yuan_line("基本医保统筹基金（hifp_pay）", st->hifp_total, st->medfee_total);
	yuan_line("大病保险（hifmi_pay）", st->hifmi_total, st->medfee_total);
	yuan_line("医疗救助（maf_pay）", st->maf_total, st->medfee_total);
	yuan_line("扶贫救助基金（oth_pay）", st->oth_total, st->medfee_total);
	yuan_line("医院负担（hosp_part_amt）", st->hosp_total, st->medfee_total);
	yuan_line("个人负担（psn_part_amt）", st->psn_total, st->medfee_total);
	printf("在国家平台结算之上结算县 510123 的住院费用 %llu 笔（与国家平台不符拒付 %llu 笔，"
	       "national-mismatch）：\n",
	       (unsigned long long)nst->settled, (unsigned long long)nst->rejected);
	amount_line("医疗费用总额（medfee_sumamt）", nst->medfee_total);
	yuan_line("国家平台支付（hifp+hifmi+maf）", nst->hifp_total + nst->hifmi_total +
	          nst->maf_total, nst->medfee_total);
	yuan_line("扶贫救助基金（oth_pay）", nst->oth_total, nst->medfee_total);
	yuan_line("医院负担（hosp_part_amt）", nst->hosp_total, nst->medfee_total);
	yuan_line("个人负担（psn_part_amt）", nst->psn_total, nst->medfee_total);
}

static int demo_advance_status(const struct demo *d)
{
	char b[ZT_FMT_BYTES];
	struct demo_status ds = {0};
	int rc = zt_advance_status(d->s, demo_status_cb, &ds);
	if (rc)
		return rc;
	printf("预付款：已预拨 %zu 笔（%s 元），交银行的 pain.001 文件：%s\n", d->issued.count,
	       zt_format_amount(b, d->issued.total), d->pain);
	printf("  %d 家医院结算应得 %s 元（抵预付款）", ds.hospitals,
	       zt_format_amount(b, ds.earned));
	if (ds.advancing)
		printf("；%d 家医院在自行垫付（如 %s），下一期预付计划补足",
		       ds.advancing, ds.example);
	printf("\n");
	return 0;
}

/* 6. one batch of a fund: created, approved by another, exported and
 * signed, sent through the fund's gateway (a folder here) */
static int demo_batch(struct demo *d, const char *fund)
{
	char file[800], amt[ZT_FMT_BYTES];
	struct zt_batch_create_res made;
	struct zt_batch_step_res approved;
	struct zt_batch_export_info info;
	int rc;
	if ((rc = zt_batch_create(d->s, &(struct zt_batch_create_req){.fund_code = fund, .actor = "demo-clerk"},
	                           &made)))
		return rc;
	char *id = made.id;
	if (!id[0])
		return 0;
	snprintf(file, sizeof file, "%s/%s.xml", d->dir, id);
	if ((rc = zt_batch_approve(d->s, &(struct zt_batch_step_req){id, "demo-fund-admin", NULL},
	                           &approved)) ||
	    (rc = zt_batch_export(d->s, &(struct zt_batch_export_req){id, file, d->key, "demo-clerk",
	                                                               0, NULL, zt_trace_xml},
	                          &info)))
		return rc;
	struct cli cb = *d->c;
	cb.db_path = d->db;
	cb.config_path = d->conf;
	char *send_argv[] = {"batch", "send", id, "--by", "demo-clerk", NULL};
	/* `batch send` reports to stdout in its own words; the demo says it
	 * once below, in Chinese (its failures still reach stderr) */
	fflush(stdout);
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, STDOUT_FILENO);
	int sent = cmd_batch(&cb, 5, send_argv);
	fflush(stdout);
	if (saved >= 0 && null >= 0)
		dup2(saved, STDOUT_FILENO);
	if (saved >= 0)
		close(saved);
	if (null >= 0)
		close(null);
	if (sent != EXIT_DONE)
		return zt_error_set(ZT_EIO, "sending batch %s failed", id);
	printf("  %-16s 基金 %s  %7lld 条  %16s 元  已放入发件箱，待回执  %s（及 .sig 签名）\n", id, fund,
	       (long long)info.count, zt_format_amount(amt, info.total), file);
	return 0;
}

static int demo_batches(struct demo *d)
{
	static const char *const funds[] = {"390100", "390200", "610100", "610103", "610104"};
	printf("结算批次（demo-clerk 创建，demo-fund-admin 审核，签名后发送）：\n");
	fflush(stdout);
	for (size_t i = 0; i < sizeof funds / sizeof *funds; i++) {
		int rc = demo_batch(d, funds[i]);
		if (rc)
			return rc;
	}
	printf("  付款方可用标准 openssl 核验文件签名，例如：\n"
	       "    openssl pkeyutl -verify -pubin -inkey %s.pub -rawin -in %s/B390100-000001.xml "
	       "-sigfile %s/B390100-000001.xml.sig\n", d->key, d->dir, d->dir);
	return 0;
}

/* Steps 1 to 7 on the open store: 0, or the failure. */
static int demo_flow(struct demo *d, int64_t *violations)
{
	int rc;
	struct zt_verify_report vr = {0};
	if ((rc = demo_samples(d)) || (rc = demo_world(d)) || (rc = demo_advances(d)) ||
	    (rc = demo_claims(d)))
		return rc;
	demo_summary(d);
	if ((rc = demo_advance_status(d)) || (rc = demo_batches(d)))
		return rc;
	/* 7. verify */
	if ((rc = zt_verify(d->s, &vr, violations)))
		return rc;
	printf("已冲销规范示例并重新结算；一致性核验（verify）：违规 %lld 项。\n",
	       (long long)*violations);
	return 0;
}

static int demo_args(struct demo *d, const struct args *a)
{
	d->nclaims = 3000;
	d->seed = 2017;
	if ((args_get(a, "--claims") && cli_parse_u64(args_get(a, "--claims"), &d->nclaims)) ||
	    (args_get(a, "--seed") && cli_parse_u64(args_get(a, "--seed"), &d->seed)))
		return cli_usage("--claims and --seed take whole numbers");
	snprintf(d->dir, sizeof d->dir, "/tmp/zhitong-demo-XXXXXX");
	if (!mkdtemp(d->dir))
		return cli_fail(zt_error_set(ZT_EIO, "cannot make a temporary directory"), NULL);
	d->user_db = getenv("ZHITONG_DB") != NULL || strcmp(d->c->db_path, "./zhitong.db") != 0;
	if (d->user_db)
		snprintf(d->db, sizeof d->db, "%s", d->c->db_path);
	else
		snprintf(d->db, sizeof d->db, "%s/demo.db", d->dir);
	if (d->user_db && access(d->db, F_OK) == 0) {
		fprintf(stderr, "zhitong: usage: the demo needs a fresh database; '%s' exists\n", d->db);
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

static void demo_free(struct demo *d)
{
	zt_advance_plan_free(&d->plan);
	zt_advance_issued_free(&d->issued);
	zt_config_free(d->cfg);
	d->cfg = NULL;
	zt_store_close(d->s);
	d->s = NULL;
}

int cmd_demo(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--claims --seed", "--keep");
	if (rc)
		return rc;
	if (a.help) {
		puts(demo_help);
		return EXIT_DONE;
	}
	struct demo *d = calloc(1, sizeof *d);
	if (!d)
		return cli_fail(zt_error_set(ZT_ENOMEM, "out of memory"), NULL);
	d->c = c;
	d->so.actor = "demo";
	if ((rc = demo_args(d, &a)) != EXIT_DONE) {
		free(d);
		return rc;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("zhitong 演示：数据库 %s，工作目录 %s\n\n", d->db, d->dir);
	struct zt_store_options sto;
	cli_store_options(&sto, CLI_STORE_CREATE);
	int64_t violations = 0;
	if ((rc = zt_store_open(&d->s, d->db, &sto)) || (rc = d->s->ops->migrate(d->s, NULL, NULL)) ||
	    (rc = demo_flow(d, &violations))) {
		demo_free(d);
		free(d);
		return cli_fail(rc, NULL);
	}
	printf("演示全程用时 %.2f 秒。\n\n", seconds_since(&t0));
	demo_free(d);
	/* the worked example, as an auditor sees it */
	printf("docs/spec/split.md §7 的规范示例（贫困人口，县级医院，县域内住院）：\n\n");
	fflush(stdout);
	struct cli c2 = *c;
	c2.db_path = d->db;
	char *show_argv[] = {"claim", "show", "--hospital", "H51010101", "--claim-no", "ZY2017-000123",
	                     NULL};
	rc = cmd_claim(&c2, 6, show_argv);
	/* the service: a desk's system submits a claim over HTTP (demo_service.c) */
	if (rc == EXIT_DONE && (rc = demo_service(&c2, d->dir)) != 0)
		rc = cli_fail(rc, "demo");
	if (!d->user_db && !args_flag(&a, "--keep")) {
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "zhitong: could not remove %s\n", d->dir);
	}
	free(d);
	return violations ? EXIT_REJECTED : rc;
}
