/* zhitong — allocation failures (issue 15 point 2; README "Proof under
 * stress"): the engine's allocator (alloc.h) fails its 1st, 2nd, … Nth
 * allocation during a representative operation until the operation
 * succeeds. Every run ends in the clean run's answer or in a clean error
 * (ZT_ENOMEM with its message for the engine's own allocations; any
 * negative code with a message for libxml2's, which reports running out of
 * memory as a parse error), the database exactly as it was (a failed
 * operation changes nothing: compared as a whole .dump; the world itself
 * passes verify), and nothing leaked (the ASan build runs the same sweep
 * with LeakSanitizer). Each operation runs in this process through the
 * library; the world is built through the CLI (stress.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"
#include "testutil.h"
#include "zhitong/alloc.h"
#include "zhitong/claim_stream.h"
#include "zhitong/error.h"

/* Fails allocation n = 1, 1 + step, 1 + 2 step, … of `scopes` until the
 * operation no longer reaches the failure; returns the runs made. */
static int sweep(struct zt_stress_op *o, unsigned scopes, int max_runs)
{
	struct zt_stress_world *w = o->w;
	char *base = zt_stress_dump(w->db);

	/* the clean run: its answer and how many allocations it makes */
	zt_stress_copy(w->db, o->db);
	zt_stress_op_clear_out(o);
	zt_alloc_fail_nth(0, scopes);
	int rc = o->run(o);
	unsigned long total = zt_alloc_count();
	zt_alloc_fail_nth(0, 0);
	cr_assert_eq(rc, 0, "%s: the clean run failed: %d %s", o->name, rc, zt_error_last());
	if (total == 0) {
		cr_log_info("%s: no allocation of scope %u", o->name, scopes);
		free(base);
		return 0;
	}
	char *clean = zt_stress_answer(o->db);
	unsigned long step = total / (unsigned long)max_runs + 1;

	int runs = 0, failed = 0;
	for (unsigned long n = 1;; n += step) {
		zt_stress_copy(w->db, o->db);
		zt_stress_op_clear_out(o);
		zt_error_clear();
		zt_alloc_fail_nth(n, scopes);
		rc = o->run(o);
		bool fired = zt_alloc_failed();
		zt_alloc_fail_nth(0, 0);
		runs++;
		if (rc != 0) {
			failed++;
			cr_assert(fired, "%s: allocation %lu: failed (%d %s) without the fault", o->name, n,
			          rc, zt_error_last());
			if (scopes == ZT_ALLOC_ENGINE)
				cr_expect_eq(rc, ZT_ENOMEM, "%s: allocation %lu: code %d (%s), not ZT_ENOMEM",
				             o->name, n, rc, zt_error_last());
			else
				cr_expect_lt(rc, 0, "%s: allocation %lu: code %d", o->name, n, rc);
			cr_expect(zt_error_last()[0] != '\0', "%s: allocation %lu: no message", o->name, n);
			char *now = zt_stress_dump(o->db);
			cr_assert_str_eq(now, base, "%s: allocation %lu failed (%s) but changed the database",
			                 o->name, n, zt_error_last());
			free(now);
		} else {
			char *now = zt_stress_answer(o->db);
			if (strcmp(now, clean) != 0) {
				zt_test_write("answer-clean.sql", clean);
				zt_test_write("answer-now.sql", now);
			}
			cr_assert_str_eq(now, clean, "%s: allocation %lu: succeeded with another answer (%s)",
			                 o->name, n, tmp_path("answer-*.sql"));
			free(now);
		}
		if (!fired)
			break;
		cr_assert_lt(n, total + 10 * step + 100, "%s: allocation %lu: never succeeds", o->name, n);
	}
	cr_expect_gt(failed, 0, "%s: no injected failure made the operation fail", o->name);
	cr_log_info("%s: %lu allocations in the clean run, %d runs (every %lu), %d failed cleanly",
	            o->name, total, runs, step, failed);
	/* the operation still works afterwards, and the answer verifies */
	zt_stress_copy(w->db, o->db);
	zt_stress_op_clear_out(o);
	cr_assert_eq(o->run(o), 0, "%s: after the sweep: %s", o->name, zt_error_last());
	zt_stress_verify(o->db, o->name);
	free(clean);
	free(base);
	return runs;
}

static void both_sweeps(struct zt_stress_op *o)
{
	zt_stress_verify(o->w->db, "the world");
	sweep(o, ZT_ALLOC_ENGINE, 100000);
	/* libxml2's allocations are many (schemas, trees): sampled, and only on
	 * demand (ZT_ALLOC_LIBXML2=1): libxml2 2.9.14 does not survive every
	 * failed allocation yet (README "Proof under stress", what is left) */
	const char *x = getenv("ZT_ALLOC_LIBXML2");
	if (x && strcmp(x, "1") == 0)
		sweep(o, ZT_ALLOC_LIBXML2, 150);
}

Test(alloc, settling_a_claim_file, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, 0, "claim submit", zt_stress_run_settle);
	both_sweeps(&o);
}

Test(alloc, loading_a_registry, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, 0, "registry load", zt_stress_run_registry);
	both_sweeps(&o);
}

Test(alloc, creating_a_batch, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, 0, "batch create", zt_stress_run_batch_create);
	both_sweeps(&o);
}

Test(alloc, exporting_a_batch, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_APPROVED, "batch export", zt_stress_run_batch_export);
	both_sweeps(&o);
}

Test(alloc, importing_a_statement, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_BATCH_ACCEPTED, "reconcile import", zt_stress_run_import);
	both_sweeps(&o);
}

Test(alloc, issuing_an_advance, .timeout = 600)
{
	struct zt_stress_world w;
	struct zt_stress_op o;
	zt_stress_op_init(&o, &w, ZT_STRESS_PLAN_APPROVED, "advance issue", zt_stress_run_advance);
	both_sweeps(&o);
}

/* ---- the claim readers: out of memory is never a claim's rejection ---------- */

/* Reads `text` through a claim stream: the status, and each claim's verdict
 * and digest as text (malloc'd). */
static int read_stream(char **answer, enum zt_claim_format format, const char *text)
{
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, text, strlen(text), "claims");
	struct zt_claim_stream *s = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	int rc = zt_claim_stream_open(&s, &src, format);
	if (rc == 0) {
		const struct zt_claim_msg *m;
		while ((m = zt_claim_stream_next(s)) != NULL) {
			unsigned char d[ZT_DIGEST_BYTES];
			if (m->rejected)
				fprintf(out, "rejected %d %s\n", (int)m->code, m->message);
			else if ((rc = zt_claim_digest(d, &m->claim, NULL)) == 0)
				fprintf(out, "read %s\n", zt_test_hex(d));
			else
				break;
		}
		if (rc == 0)
			rc = zt_claim_stream_status(s);
	}
	zt_claim_stream_close(s);
	fclose(out);
	*answer = buf;
	return rc;
}

static void sweep_stream(enum zt_claim_format format, const char *text)
{
	char *clean = NULL;
	zt_alloc_fail_nth(0, ZT_ALLOC_ENGINE);
	cr_assert_eq(read_stream(&clean, format, text), 0, "clean read: %s", zt_error_last());
	unsigned long total = zt_alloc_count();
	cr_assert_gt(total, 0);
	int failed = 0;
	for (unsigned long n = 1;; n++) {
		char *answer = NULL;
		zt_alloc_fail_nth(n, ZT_ALLOC_ENGINE);
		int rc = read_stream(&answer, format, text);
		bool fired = zt_alloc_failed();
		zt_alloc_fail_nth(0, 0);
		if (rc) {
			failed++;
			cr_assert_eq(rc, ZT_ENOMEM, "allocation %lu: %d %s", n, rc, zt_error_last());
		} else {
			cr_assert_str_eq(answer, clean, "allocation %lu: read otherwise", n);
		}
		free(answer);
		if (!fired)
			break;
		cr_assert_lt(n, total + 100);
	}
	cr_expect_gt(failed, 0);
	free(clean);
}

Test(alloc, a_claim_stream_stops_on_out_of_memory_and_never_rejects_for_it, .timeout = 120)
{
	char *xml = zt_test_slurp(ZT_TEST_CASES "/claims/mixed-settled-and-rejected.xml");
	cr_assert_not_null(xml);
	sweep_stream(ZT_CLAIM_FORMAT_XML, xml);
	free(xml);
	/* a list of 3 claims, one with 70 items (the item buffer grows past 64) */
	char *big = malloc(200000);
	cr_assert_not_null(big);
	size_t n = (size_t)sprintf(big, "<claims xmlns=\"urn:zhitong:claim:1\">");
	for (int c = 0; c < 3; c++) {
		int items = c == 1 ? 70 : 2;
		n += (size_t)sprintf(big + n,
		                     "<claim><fixmedins_code>H51010101</fixmedins_code><claim_no>A-%d</claim_no>"
		                     "<psn_no>P0000001</psn_no><adm_date>2017-03-01</adm_date>"
		                     "<dscg_date>2017-03-10</dscg_date><dscg_maindiag_code>I63.900"
		                     "</dscg_maindiag_code><medfee_sumamt>%d.00</medfee_sumamt><items>",
		                     c, items);
		for (int i = 1; i <= items; i++)
			n += (size_t)sprintf(big + n,
			                     "<item><feedetl_sn>%d</feedetl_sn><med_list_codg>ZZ0001"
			                     "</med_list_codg><med_chrgitm_type>08</med_chrgitm_type>"
			                     "<chrgitm_lv>03</chrgitm_lv><pric>1</pric><cnt>1</cnt>"
			                     "<det_item_fee_sumamt>1.00</det_item_fee_sumamt></item>",
			                     i);
		n += (size_t)sprintf(big + n, "</items></claim>");
	}
	sprintf(big + n, "</claims>");
	sweep_stream(ZT_CLAIM_FORMAT_XML, big);
	free(big);
	char *json = zt_test_slurp(ZT_TEST_SOURCE_DIR "/tests/fuzz/corpus/claim_json/list-of-two.json");
	cr_assert_not_null(json);
	sweep_stream(ZT_CLAIM_FORMAT_JSON, json);
	free(json);
}
