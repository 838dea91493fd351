/* zhitong — the world and the operations of the stress tests (stress.h). */
#define _GNU_SOURCE
#include "stress.h"
#include "zhitong/source.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/advance.h"
#include "zhitong/batch.h"
#include "zhitong/config.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/reconcile.h"
#include "zhitong/registry.h"
#include "zhitong/settle.h"
#include "zhitong/store.h"
#include "zhitong/render_trace.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"

static void write_config(struct zt_stress_world *w)
{
	char text[3000];
	snprintf(text, sizeof text,
	         "[signing]\n"
	         "key = %s\n"
	         "\n"
	         ZT_TEST_POOL_INI,
	         w->key);
	snprintf(w->cfg, sizeof w->cfg, "%s", zt_test_write("zhitong.ini", text));
}

void zt_stress_world(struct zt_stress_world *w, int flags, char plan_id[40])
{
	memset(w, 0, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "%s", zt_test_tmpdir());
	snprintf(w->db, sizeof w->db, "%s/world.db", w->dir);
	snprintf(w->key, sizeof w->key, "%s/k.pem", w->dir);
	zt_format_date(w->today, zt_date_today());
	snprintf(w->today8, sizeof w->today8, "%.4s%.2s%.2s", w->today, w->today + 5, w->today + 8);
	write_config(w);
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s'", w->key);
	cr_assert_eq(r.code, 0, "openssl genpkey: %s", r.err);
	run_free(&r);
	free(zt_test_ok("--db '%s' init", w->db));
	free(zt_test_ok("--db '%s' registry load '%s'", w->db, REGISTRY));
	free(zt_test_ok("--db '%s' rules load '%s'", w->db, POLICY));
	free(zt_test_ok("--db '%s' claim submit '%s'", w->db, WORKED_EXAMPLE));
	if (flags & (ZT_STRESS_BATCH_APPROVED | ZT_STRESS_BATCH_ACCEPTED)) {
		char *id = zt_test_ok("--db '%s' batch create --fund 390100 --by alice", w->db);
		cr_assert_str_eq(id, ZT_STRESS_B1 "\n");
		free(id);
		free(zt_test_ok("--db '%s' batch approve " ZT_STRESS_B1 " --by bob", w->db));
	}
	if (flags & ZT_STRESS_BATCH_ACCEPTED) {
		free(zt_test_ok("--db '%s' batch export " ZT_STRESS_B1 " --out '%s/B1.xml' --key '%s' "
		                "--by carol",
		                w->db, w->dir, w->key));
		const char *ack = zt_test_write("B1.ack.xml",
		                                "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"" ZT_STRESS_B1
		                                "\" status=\"accepted\" receipt=\"R-1\"/>\n");
		free(zt_test_ok("--db '%s' batch ack " ZT_STRESS_B1 " '%s' --by carol", w->db, ack));
	}
	if (flags & ZT_STRESS_PLAN_APPROVED) {
		char *plan = zt_test_ok("--db '%s' advance plan --hospital H51010101 --amount 20000.00 "
		                        "--by erin",
		                        w->db);
		char id[40];
		cr_assert_eq(sscanf(plan, "%39s", id), 1, "advance plan printed '%s'", plan);
		free(plan);
		free(zt_test_ok("--db '%s' advance approve %s --by dora", w->db, id));
		if (plan_id)
			snprintf(plan_id, 40, "%s", id);
	}
}

void zt_stress_copy(const char *from, const char *to)
{
	struct run r = sh("rm -f '%s' '%s-wal' '%s-shm' '%s-journal' && cp '%s' '%s'", to, to, to, to,
	                  from, to);
	cr_assert_eq(r.code, 0, "copy %s: %s", from, r.err);
	run_free(&r);
}

char *zt_stress_dump(const char *db)
{
	struct run r = sh("sqlite3 '%s' .dump", db);
	cr_assert_eq(r.code, 0, "dump %s: %s", db, r.err);
	free(r.err);
	return r.out;
}

static bool digits(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool hex64(const char *p)
{
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

char *zt_stress_answer(const char *db)
{
	char *d = zt_stress_dump(db);
	char *o = d;
	bool audit_line = false;
	for (const char *p = d; *p;) {
		if (p == d || p[-1] == '\n')
			audit_line = strncmp(p, "INSERT INTO audit ", 18) == 0;
		/* an audit record's hashes take in its time (audit.h): 'H' */
		if (audit_line && p[0] == '\'' && hex64(p + 1) && p[65] == '\'') {
			memcpy(o, "'H'", 3);
			o += 3;
			p += 66;
			continue;
		}
		/* 'YYYY-MM-DD[T ]HH:MM...' up to the closing quote */
		if (p[0] == '\'' && digits(p + 1, 4) && p[5] == '-' && digits(p + 6, 2) && p[8] == '-' &&
		    digits(p + 9, 2) && (p[11] == 'T' || p[11] == ' ') && digits(p + 12, 2) &&
		    p[14] == ':') {
			const char *q = strchr(p + 1, '\'');
			if (q) {
				memcpy(o, "'T'", 3);
				o += 3;
				p = q + 1;
				continue;
			}
		}
		*o++ = *p++;
	}
	*o = '\0';
	return d;
}

void zt_stress_verify(const char *db, const char *what)
{
	char *out = NULL, *err = NULL;
	int code = zt_test_run(&out, &err, "--db '%s' verify", db);
	cr_assert_eq(code, 0, "%s: verify failed:\n%s%s", what, out, err);
	free(out);
	free(err);
}

/* ---- the operations -------------------------------------------------------- */

int zt_stress_settle(const char *db, const char *claims, char **answer)
{
	struct zt_store *s = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	int rc = zt_store_open(&s, db, NULL);
	if (rc == 0) {
		struct zt_settle_stats st;
		struct zt_settle_opts o = {.actor = "stress-test"};
		rc = zt_test_settle_file(s, claims, &o, out, &st);
	}
	zt_store_close(s);
	fclose(out);
	if (answer)
		*answer = buf;
	else
		free(buf);
	return rc;
}

struct reg_load {
	struct zt_store *s;
};

static int reg_hospital(void *ctx, const struct zt_hospital *h, int line)
{
	(void)line;
	struct zt_store *s = ((struct reg_load *)ctx)->s;
	return s->ops->registry.put_hospital(s, h);
}

static int reg_person(void *ctx, const struct zt_person *p, int line)
{
	(void)line;
	struct zt_store *s = ((struct reg_load *)ctx)->s;
	return s->ops->registry.put_person(s, p);
}

static int reg_fund(void *ctx, const struct zt_fund *f, int line)
{
	(void)line;
	struct zt_store *s = ((struct reg_load *)ctx)->s;
	return s->ops->registry.put_fund(s, f);
}

int zt_stress_registry_load(const char *db, const char *registry)
{
	struct zt_store *s = NULL;
	int rc = zt_store_open(&s, db, NULL);
	if (rc)
		goto done;
	struct reg_load l = {s};
	struct zt_registry_visitor v = {&l, reg_hospital, reg_person, reg_fund};
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	rc = zt_registry_parse_file(registry, &v);
	if (rc == 0)
		rc = s->ops->audit.add(s, "stress-test", "registry load", registry, "stress");
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
done:
	zt_store_close(s);
	return rc;
}

int zt_stress_batch_create(const char *db, const char *fund, char *id)
{
	struct zt_store *s = NULL;
	int rc = zt_store_open(&s, db, NULL);
	struct zt_batch_create_res res;
	if (rc == 0 &&
	    (rc = zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = fund, .through = 0, .actor = "alice"}, &res)) == 0)
		memcpy(id, res.id, sizeof res.id);
	zt_store_close(s);
	return rc;
}

int zt_stress_batch_export_flags(const struct zt_stress_world *w, const char *db, const char *id,
                                 const char *out, int out_flags)
{
	struct zt_store *s = NULL;
	int rc = zt_store_open(&s, db, NULL);
	struct zt_batch_export_info info;
	if (rc == 0)
		rc = zt_batch_export(
		    s, &(struct zt_batch_export_req){.id = id, .out_path = out, .key_path = w->key,
		                                     .actor = "carol", .out_flags = out_flags,
		                                     .trace_xml = zt_trace_xml},
		    &info);
	zt_store_close(s);
	return rc;
}

int zt_stress_batch_export(const struct zt_stress_world *w, const char *db, const char *id,
                           const char *out)
{
	return zt_stress_batch_export_flags(w, db, id, out, 0);
}

int zt_stress_recon_import(const struct zt_stress_world *w, const char *db, const char *path)
{
	struct zt_store *s = NULL;
	struct zt_config *cfg = NULL;
	struct zt_recon_import_result r;
	memset(&r, 0, sizeof r);
	int rc = zt_config_load(&cfg, w->cfg);
	if (rc == 0)
		rc = zt_store_open(&s, db, NULL);
	FILE *f = NULL;
	if (rc == 0 && !(f = fopen(path, "rb")))
		rc = zt_error_set(ZT_ENOTFOUND, "cannot open '%s'", path);
	if (rc == 0) {
		struct zt_source src = zt_source_file(f, path);
		rc = zt_recon_import(
		    s, &(struct zt_recon_import_req){.cfg = cfg, .statement = &src, .actor = "frank"}, &r);
	}
	if (f)
		fclose(f);
	zt_recon_import_result_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

int zt_stress_advance_issue(const struct zt_stress_world *w, const char *db, const char *plan_id,
                            const char *out)
{
	struct zt_store *s = NULL;
	struct zt_config *cfg = NULL;
	struct zt_advance_issued r;
	memset(&r, 0, sizeof r);
	int rc = zt_config_load(&cfg, w->cfg);
	if (rc == 0)
		rc = zt_store_open(&s, db, NULL);
	if (rc == 0) {
		struct zt_advance_issue_req req = {
		    .cfg = cfg, .plan_id = plan_id, .actor = "erin", .out_path = out};
		rc = zt_advance_issue(s, &req, &r);
	}
	zt_advance_issued_free(&r);
	zt_store_close(s);
	zt_config_free(cfg);
	return rc;
}

const char *zt_stress_statement(const struct zt_stress_world *w)
{
	const struct zt_test_entry e = {1, "8160.00", "BS-STRESS-1", NULL, ZT_STRESS_B1};
	return zt_test_camt("statement.xml", "STRESS-1", w->today, &e, 1);
}

/* ---- one operation of a sweep -------------------------------------------- */

#define STRESS_MIXED ZT_TEST_CASES "/claims/mixed-settled-and-rejected.xml"
#define STRESS_REGISTRY_V2 ZT_TEST_SOURCE_DIR "/rules/registry-510101-v2.xml"

int zt_stress_run_settle(struct zt_stress_op *o) { return zt_stress_settle(o->db, STRESS_MIXED, NULL); }
int zt_stress_run_registry(struct zt_stress_op *o)
{
	return zt_stress_registry_load(o->db, STRESS_REGISTRY_V2);
}
int zt_stress_run_batch_create(struct zt_stress_op *o)
{
	char id[64] = "";
	return zt_stress_batch_create(o->db, "390100", id);
}
int zt_stress_run_batch_export(struct zt_stress_op *o)
{
	return zt_stress_batch_export_flags(o->w, o->db, ZT_STRESS_B1, o->out, o->out_flags);
}
int zt_stress_run_import(struct zt_stress_op *o)
{
	return zt_stress_recon_import(o->w, o->db, zt_stress_statement(o->w));
}
int zt_stress_run_advance(struct zt_stress_op *o)
{
	return zt_stress_advance_issue(o->w, o->db, o->plan_id, o->out);
}

void zt_stress_op_init(struct zt_stress_op *o, struct zt_stress_world *w, int world_flags,
                       const char *name, int (*run)(struct zt_stress_op *o))
{
	memset(o, 0, sizeof *o);
	zt_stress_world(w, world_flags, o->plan_id);
	o->name = name;
	o->w = w;
	o->run = run;
	snprintf(o->db, sizeof o->db, "%s/run.db", w->dir);
	snprintf(o->out, sizeof o->out, "%s/out.xml", w->dir);
}

void zt_stress_op_clear_out(struct zt_stress_op *o)
{
	struct run r = sh("rm -f '%s' '%s.sig'", o->out, o->out);
	run_free(&r);
}
