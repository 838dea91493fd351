/* zhitong — policy amendments end to end (issue 9 point 3;
 * docs/spec/rules-v2.md §4): rules list / show, load --replaces and
 * --supersedes with their refusals naming how many settlements stand in the
 * way, a person's yearly totals carried across the versions of a year, and
 * the approval by a second person ([rules] approval = required). The main
 * flows run on SQLite and on the PostgreSQL server of the fixture `pg`.
 *
 * Amounts are worked by hand from rules/sample-510101-2017.xml, never from
 * the engine's code: a general person at H51010101 (level 2, in county), one
 * class-01 item of 1000.00: basic (1000.00 − 400.00) × 0.80 = 480.00, the
 * rest (520.00) the person's (the critical threshold 10000.00 is far). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"

/* ---- documents ----------------------------------------------------------------- */

/* `text` with the first `from` replaced by `to` (which must be there). */
static char *swap(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from), *out;
	cr_assert(at, "no '%s' in the sample policy", from);
	cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	free(text);
	return out;
}

/* The sample policy as version `id` from `from` to `to`, with the basic
 * annual cap `cap` and the level 2 ratio `ratio2`. */
static const char *version(const char *file, const char *id, const char *from, const char *to,
                           const char *cap, const char *ratio2)
{
	char *t = zt_test_slurp(POLICY), buf[128];
	snprintf(buf, sizeof buf, " id=\"%s\"", id);
	t = swap(t, " id=\"xx-2017\"", buf);
	snprintf(buf, sizeof buf, "effective-from=\"%s\"", from);
	t = swap(t, "effective-from=\"2017-01-01\"", buf);
	snprintf(buf, sizeof buf, "effective-to=\"%s\"", to);
	t = swap(t, "effective-to=\"2017-12-31\"", buf);
	snprintf(buf, sizeof buf, "annual-cap=\"%s\"", cap);
	t = swap(t, "annual-cap=\"150000.00\"", buf);
	snprintf(buf, sizeof buf, "<level code=\"2\" deductible=\"400.00\" ratio=\"%s\"/>", ratio2);
	t = swap(t, "<level code=\"2\" deductible=\"400.00\" ratio=\"0.80\"/>", buf);
	const char *p = zt_test_write(file, t);
	free(t);
	return p;
}

/* ---- a world on either store --------------------------------------------------------- */

struct world {
	char db[1200];
	const char *conf; /* NULL: no configuration */
	bool pg;
};

static struct run z(const struct world *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct run z(const struct world *w, const char *fmt, ...)
{
	char args[4000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	return w->conf ? zt_test_dbc(w->db, w->conf, "%s", args) : zt_test_db(w->db, "%s", args);
}

/* Runs and expects exit `code`; returns stdout and stderr, joined. */
static char *zx(const struct world *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static char *zx(const struct world *w, int code, const char *fmt, ...)
{
	char args[4000], *both;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	struct run r = z(w, "%s", args);
	cr_assert_eq(r.code, code, "zhitong %s: exit %d, not %d\nstderr: %s\nstdout: %s", args, r.code,
	             code, r.err, r.out);
	cr_assert(asprintf(&both, "%s%s", r.out, r.err) > 0);
	run_free(&r);
	return both;
}

static void has(const char *out, const char *want)
{
	cr_expect(strstr(out, want) != NULL, "no '%s' in:\n%s", want, out);
}

/* A new store with the sample registry and the sample policy xx-2017,
 * loaded by alice. */
static void world_new(struct world *w, const char *name, bool pg)
{
	memset(w, 0, sizeof *w);
	w->pg = pg;
	if (pg)
		zt_test_pg_create(w->db, sizeof w->db, name, NULL);
	else
		snprintf(w->db, sizeof w->db, "%s", tmp_path(name));
	free(zx(w, 0, "init"));
	free(zx(w, 0, "registry load '%s'", REGISTRY));
	free(zx(w, 0, "rules load '%s' --by alice", POLICY));
}

/* Settles one class-01 item of 1000.00 at H51010101; the answer. */
static char *settle(const struct world *w, const char *claim_no, const char *psn_no,
                    const char *dscg)
{
	char xml[4096], file[64];
	zt_test_claim_xml(xml, sizeof xml, claim_no, psn_no, dscg, "1000.00");
	snprintf(file, sizeof file, "%s.xml", claim_no);
	return zx(w, 0, "claim submit '%s' --by desk", zt_test_write(file, xml));
}

static void settle_expect(const struct world *w, const char *claim_no, const char *psn_no,
                          const char *dscg, const char *hifp, const char *psn_part)
{
	char *out = settle(w, claim_no, psn_no, dscg), want[128];
	snprintf(want, sizeof want, "<hifp_pay>%s</hifp_pay>", hifp);
	has(out, want);
	snprintf(want, sizeof want, "<psn_part_amt>%s</psn_part_amt>", psn_part);
	has(out, want);
	free(out);
}

static void reverse(const struct world *w, const char *claim_no)
{
	free(zx(w, 0, "claim reverse --hospital H51010101 --claim-no %s --reason amend --by desk",
	        claim_no));
}

static void verify_clean(const struct world *w)
{
	char *out = zx(w, 0, "verify");
	has(out, "OK: 0 violations");
	free(out);
}

/* `rules list`'s line of one version: id county from to ends status count. */
static void listed(const struct world *w, const char *id, const char *ends, const char *status,
                   int used)
{
	char *out = zx(w, 0, "rules list"), want[200];
	snprintf(want, sizeof want, "%-24s 510101 ", id);
	const char *line = strstr(out, want);
	cr_assert(line, "no %s in:\n%s", id, out);
	char got[200];
	snprintf(got, sizeof got, "%.*s", (int)strcspn(line, "\n"), line);
	snprintf(want, sizeof want, " %s ", ends);
	cr_expect(strstr(got, want), "%s: not ending %s", got, ends);
	snprintf(want, sizeof want, " %-8s %11d", status, used);
	cr_expect(strstr(got, want), "%s: not '%s'", got, want);
	free(out);
}

/* ---- supersede ---------------------------------------------------------------------- */

/* v2-2017 from 2017-07-01: basic annual cap 500.00, level 2 ratio 0.50.
 *   A  P0000006 2017-03-01 under xx-2017: 480.00 (basic total 480.00)
 *   B  P0000010 2017-06-30 under xx-2017 (its last day): 480.00
 *   C  P0000006 2017-07-01 under v2-2017: (1000.00 − 400.00) × 0.50 =
 *      300.00, but the year's basic total carries: 500.00 − 480.00 = 20.00
 *      left; the person pays 980.00
 *   D  P0000002 2017-07-01 under v2-2017, nothing paid before: 300.00 */
static void supersede_flow(const struct world *w)
{
	settle_expect(w, "A", "P0000006", "2017-03-01", "480.00", "520.00");
	char *out = zx(w, 0, "rules load '%s' --supersedes xx-2017 --by alice",
	               version("v2.xml", "v2-2017", "2017-07-01", "2017-12-31", "500.00", "0.50"));
	has(out, "policy 'xx-2017' now ends on 2017-06-30");
	free(out);
	listed(w, "xx-2017", "2017-06-30", "active", 1);
	listed(w, "v2-2017", "2017-12-31", "active", 0);
	settle_expect(w, "B", "P0000010", "2017-06-30", "480.00", "520.00");
	settle_expect(w, "C", "P0000006", "2017-07-01", "20.00", "980.00");
	settle_expect(w, "D", "P0000002", "2017-07-01", "300.00", "700.00");
	listed(w, "xx-2017", "2017-06-30", "active", 2);
	listed(w, "v2-2017", "2017-12-31", "active", 2);
	/* a reversal gives the total back across the versions: C again pays
	 * the same 20.00, and after A's reversal a new claim under v2 finds
	 * 500.00 − 20.00 = 480.00 left: 300.00 */
	reverse(w, "C");
	settle_expect(w, "C", "P0000006", "2017-07-01", "20.00", "980.00");
	reverse(w, "A");
	settle_expect(w, "E", "P0000006", "2017-07-02", "300.00", "700.00");
	out = zx(w, 0, "rules show xx-2017");
	has(out, "policy xx-2017 (#1), county 510101: active");
	has(out, "2017-01-01 to 2017-12-31; in force to 2017-06-30");
	has(out, "settlements  1 (not reversed)");
	free(out);
	out = zx(w, 0, "rules show v2-2017");
	has(out, "supersedes   xx-2017 (#1)");
	has(out, "settlements  3 (not reversed)");
	free(out);
	verify_clean(w);
}

Test(amend, supersede_ends_the_old_version_and_the_totals_carry_across_the_year)
{
	struct world w;
	world_new(&w, "sup.db", false);
	supersede_flow(&w);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT amount FROM accum WHERE psn_no = 'P0000006' "
	                                   "AND year = 2017 AND slot = 'basic'"), 32000,
	             "20.00 + 300.00 of E and the second C, in fen");
	char *rows = zt_test_rows(w.db, "SELECT c.claim_no, p.policy_id FROM settlement s "
	                                "JOIN claim c ON c.id = s.claim_id JOIN policy p ON "
	                                "p.id = s.policy_row WHERE s.kind = 'settle' ORDER BY s.id");
	cr_expect_str_eq(rows, "A|xx-2017\nB|xx-2017\nC|v2-2017\nD|v2-2017\nC|v2-2017\nE|v2-2017\n");
	free(rows);
}

Test(amend, supersede_on_postgresql, .timeout = 300)
{
	struct world w;
	world_new(&w, "amend_sup", true);
	supersede_flow(&w);
}

/* Refused while settlements of claims discharged from the new start on
 * used the old version, naming how many; one before that day is no
 * obstacle; nothing changes on a refusal. */
Test(amend, supersede_is_refused_naming_the_settlements_in_the_way)
{
	struct world w;
	world_new(&w, "sup2.db", false);
	free(settle(&w, "EARLY", "P0000006", "2017-06-30"));
	free(settle(&w, "AUG", "P0000006", "2017-08-01"));
	free(settle(&w, "SEP", "P0000010", "2017-09-01"));
	const char *v2 = version("v2.xml", "v2-2017", "2017-07-01", "2017-12-31", "500.00", "0.50");
	char *out = zx(&w, 2, "rules load '%s' --supersedes xx-2017", v2);
	has(out, "zhitong: conflict: ");
	has(out, "policy 'xx-2017' cannot be superseded from 2017-07-01: 2 settlements discharged "
	         "on or after that day used it (reverse them first)");
	free(out);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM policy"), 1);
	listed(&w, "xx-2017", "2017-12-31", "active", 3);
	reverse(&w, "AUG");
	out = zx(&w, 2, "rules load '%s' --supersedes xx-2017", v2);
	has(out, ": 1 settlement discharged on or after that day used it (reverse it first)");
	free(out);
	reverse(&w, "SEP");
	free(zx(&w, 0, "rules load '%s' --supersedes xx-2017", v2));
	listed(&w, "xx-2017", "2017-06-30", "active", 1);
	/* AUG again: settled under the new version */
	settle_expect(&w, "AUG", "P0000006", "2017-08-01", "20.00", "980.00");
	verify_clean(&w);
}

/* The new start must lie after the old one's and not after its end; the
 * old version must exist, be of the same county and be in use. */
Test(amend, supersede_dates_and_names_must_fit)
{
	struct world w;
	world_new(&w, "sup3.db", false);
	char *out = zx(&w, 2, "rules load '%s' --supersedes xx-2017",
	               version("s1.xml", "s1", "2017-01-01", "2017-12-31", "500.00", "0.50"));
	has(out, "zhitong: invalid: ");
	has(out, "the new version's effective-from 2017-01-01 must lie after the effective-from of "
	         "policy 'xx-2017' (2017-01-01)");
	free(out);
	out = zx(&w, 2, "rules load '%s' --supersedes xx-2017",
	         version("s2.xml", "s2", "2018-01-01", "2018-12-31", "500.00", "0.50"));
	has(out, "lies after the effective-to of policy 'xx-2017' (2017-12-31): nothing is left to "
	         "supersede");
	free(out);
	/* the last day itself is allowed: one day left to the old version
	 * would be 2017-12-30 */
	out = zx(&w, 2, "rules load '%s' --supersedes nope-2017",
	         version("s3.xml", "s3", "2017-07-01", "2017-12-31", "500.00", "0.50"));
	has(out, "zhitong: input: ");
	has(out, "policy 'nope-2017' is not loaded");
	free(out);
	char *t = zt_test_slurp(version("s4.xml", "s4", "2017-07-01", "2017-12-31", "500.00", "0.50"));
	t = swap(t, "county=\"510101\"", "county=\"510102\"");
	out = zx(&w, 2, "rules load '%s' --supersedes xx-2017", zt_test_write("s4b.xml", t));
	has(out, "policy 's4' is for county 510102, not 510101: it cannot supersede policy 'xx-2017'");
	free(out);
	free(t);
	out = zx(&w, 2, "rules load '%s' --supersedes xx-2017 --replaces xx-2017",
	         version("s5.xml", "s5", "2017-12-31", "2017-12-31", "500.00", "0.50"));
	has(out, "one or the other");
	free(out);
	/* a new version needs its own id: the superseded one stays in use */
	out = zx(&w, 2, "rules load '%s' --supersedes xx-2017",
	         version("s7.xml", "xx-2017", "2017-07-01", "2017-12-31", "500.00", "0.50"));
	has(out, "policy id 'xx-2017' is taken by a version already loaded (active)");
	free(out);
	out = zx(&w, 0, "rules load '%s' --supersedes xx-2017",
	         version("s6.xml", "s6", "2017-12-31", "2017-12-31", "500.00", "0.50"));
	has(out, "policy 'xx-2017' now ends on 2017-12-30");
	free(out);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM policy"), 2, "refusals store nothing");
	verify_clean(&w);
}

/* ---- replace ------------------------------------------------------------------------ */

/* A correction of a version nothing used: the old one is kept, marked
 * replaced, and never used again; the correction may keep the id. */
Test(amend, replace_corrects_a_version_no_settlement_used)
{
	struct world w;
	world_new(&w, "rep.db", false);
	/* the level 2 ratio should have been 0.70: (1000.00 − 400.00) × 0.70 */
	char *out = zx(&w, 0, "rules load '%s' --replaces xx-2017 --by alice",
	               version("fix.xml", "xx-2017", "2017-01-01", "2017-12-31", "150000.00",
	                       "0.70"));
	has(out, "policy 'xx-2017' is replaced (kept for the record, never used again)");
	free(out);
	settle_expect(&w, "R-1", "P0000006", "2017-03-01", "420.00", "580.00");
	out = zx(&w, 0, "rules show xx-2017");
	has(out, "policy xx-2017 (#1), county 510101: replaced");
	has(out, "in force to never (not in use)");
	has(out, "policy xx-2017 (#2), county 510101: active");
	has(out, "replaces     xx-2017 (#1)");
	free(out);
	out = zx(&w, 0, "rules list");
	cr_expect(strstr(out, "replaced           0") && strstr(out, "active             1"), "%s", out);
	free(out);
	/* a replaced version is gone for amendments */
	out = zx(&w, 2, "rules load '%s' --replaces xx-2017",
	         version("fix2.xml", "xx-2017", "2017-01-01", "2017-12-31", "150000.00", "0.75"));
	has(out, "policy 'xx-2017' cannot be replaced: 1 settlement used it");
	free(out);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM policy_version WHERE "
	                                   "status = 'replaced'"), 1);
	verify_clean(&w);
}

Test(amend, replace_is_refused_while_a_settlement_used_it)
{
	struct world w;
	world_new(&w, "rep2.db", false);
	free(settle(&w, "R-1", "P0000006", "2017-03-01"));
	const char *fix = version("fix.xml", "xx-2017-b", "2017-01-01", "2017-12-31", "150000.00",
	                          "0.70");
	char *out = zx(&w, 2, "rules load '%s' --replaces xx-2017", fix);
	has(out, "zhitong: conflict: ");
	has(out, "policy 'xx-2017' cannot be replaced: 1 settlement used it (a replacement corrects "
	         "a version nothing used; supersede it from a later date, or reverse them first)");
	free(out);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM policy"), 1);
	reverse(&w, "R-1");
	free(zx(&w, 0, "rules load '%s' --replaces xx-2017", fix));
	settle_expect(&w, "R-1", "P0000006", "2017-03-01", "420.00", "580.00");
	listed(&w, "xx-2017", "2017-12-31", "replaced", 0);
	listed(&w, "xx-2017-b", "2017-12-31", "active", 1);
	verify_clean(&w);
}

/* Without an amendment a version may not overlap one in use nor take an
 * id in use; the identical document again is a no-op. */
Test(amend, overlaps_and_ids_in_use_are_refused)
{
	struct world w;
	world_new(&w, "ovl.db", false);
	char *out = zx(&w, 2, "rules load '%s'",
	               version("o1.xml", "o1", "2017-07-01", "2018-06-30", "500.00", "0.50"));
	has(out, "policy 'o1' for county 510101 overlaps policy 'xx-2017' (2017-01-01 to 2017-12-31) "
	         "already loaded: supersede it (--supersedes xx-2017)");
	free(out);
	out = zx(&w, 2, "rules load '%s'",
	         version("o2.xml", "xx-2017", "2018-01-01", "2018-12-31", "500.00", "0.50"));
	has(out, "policy id 'xx-2017' is taken by a version already loaded (active)");
	free(out);
	out = zx(&w, 0, "rules load '%s'", POLICY);
	has(out, "was already loaded (identical)");
	free(out);
	free(zx(&w, 0, "rules load '%s'",
	        version("o3.xml", "xx-2018", "2018-01-01", "2018-12-31", "500.00", "0.50")));
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM policy"), 2);
}

/* ---- approval by a second person ------------------------------------------------------ */

static void approval_flow(struct world *w)
{
	w->conf = zt_test_write(w->pg ? "appr-pg.conf" : "appr.conf",
	                        "[rules]\napproval = required\n");
	char *out = zx(w, 0, "rules load '%s' --supersedes xx-2017 --by alice",
	               version("v2.xml", "v2-2017", "2017-07-01", "2017-12-31", "500.00", "0.50"));
	has(out, "pending approval");
	cr_expect(strstr(out, "now ends") == NULL, "%s", out);
	free(out);
	listed(w, "v2-2017", "2017-12-31", "pending", 0);
	listed(w, "xx-2017", "2017-12-31", "active", 0);
	/* pending: never used */
	settle_expect(w, "P-1", "P0000006", "2017-08-01", "480.00", "520.00");
	out = zx(w, 2, "rules approve v2-2017 --by alice");
	has(out, "maker-checker: policy 'v2-2017' was loaded by alice: someone else must approve it");
	free(out);
	/* the checks of the load again: P-1 stands in the way now */
	out = zx(w, 2, "rules approve v2-2017 --by bob");
	has(out, "policy 'xx-2017' cannot be superseded from 2017-07-01: 1 settlement discharged on "
	         "or after that day used it");
	free(out);
	listed(w, "v2-2017", "2017-12-31", "pending", 0);
	reverse(w, "P-1");
	out = zx(w, 0, "rules approve v2-2017 --by bob");
	has(out, "approved: policy 'v2-2017' for county 510101");
	has(out, "policy 'xx-2017' now ends on 2017-06-30");
	free(out);
	out = zx(w, 2, "rules approve v2-2017 --by carol");
	has(out, "policy 'v2-2017' is not pending");
	free(out);
	/* a pending correction leaves the version it corrects in use */
	out = zx(w, 0, "rules load '%s' --replaces v2-2017 --by alice",
	         version("v3.xml", "v3-2017", "2017-07-01", "2017-12-31", "500.00", "0.60"));
	has(out, "pending approval");
	free(out);
	settle_expect(w, "P-1", "P0000006", "2017-08-01", "300.00", "700.00");
	out = zx(w, 0, "rules show v2-2017");
	has(out, "by alice");
	has(out, "approved     ");
	has(out, " by bob");
	free(out);
	out = zx(w, 2, "rules approve v3-2017 --by bob");
	has(out, "policy 'v2-2017' cannot be replaced: 1 settlement used it");
	free(out);
	verify_clean(w);
}

Test(amend, approval_by_a_second_person_with_the_checks_made_again)
{
	struct world w;
	world_new(&w, "appr.db", false);
	approval_flow(&w);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM audit WHERE action = "
	                                   "'rules approve'"), 1);
	cr_expect_eq(zt_test_sql_int(w.db, "SELECT COUNT(*) FROM audit WHERE action = "
	                                   "'rules load'"), 3);
}

Test(amend, approval_on_postgresql, .timeout = 300)
{
	struct world w;
	world_new(&w, "amend_appr", true);
	approval_flow(&w);
}

/* A plain load pending is not in force: a claim it would cover finds no
 * policy until it is approved. */
Test(amend, a_pending_version_is_never_used)
{
	struct world w;
	world_new(&w, "pend.db", false);
	w.conf = zt_test_write("pend.conf", "[rules]\napproval = required\n");
	free(zx(&w, 0, "rules load '%s' --by alice",
	        version("y18.xml", "xx-2018", "2018-01-01", "2018-12-31", "500.00", "0.50")));
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "N-1", "P0000006", "2018-03-01", "1000.00");
	char *out = zx(&w, 1, "claim submit '%s'", zt_test_write("n1.xml", xml));
	has(out, "code=\"no-policy\"");
	free(out);
	free(zx(&w, 0, "rules approve xx-2018 --by bob"));
	free(zx(&w, 0, "claim submit '%s'", zt_test_write("n1.xml", xml)));
}

/* ---- verify sees what was changed behind zhitong's back -------------------------------- */

#define REGISTRY_V2 ZT_TEST_SOURCE_DIR "/rules/registry-510101-v2.xml"

/* A clean world with a superseded policy, a catalogue, category periods
 * and settlements under each; then each damage, on a copy, found. */
Test(amend, verify_finds_rules_v2_rows_changed_behind_its_back)
{
	struct world w;
	world_new(&w, "vfy.db", false);
	free(zx(&w, 0, "registry load '%s'", REGISTRY_V2));
	free(zx(&w, 0, "catalog load '%s'",
	        zt_test_write("cat.xml", "<catalog xmlns=\"urn:zhitong:catalog:1\" id=\"cat-1\" "
	                                 "county=\"510101\" effective-from=\"2017-01-01\" "
	                                 "effective-to=\"2017-12-31\"><entry code=\"001201000010000-"
	                                 "120100001\" name=\"治疗费\" chrgitm_lv=\"01\" "
	                                 "from=\"2017-01-01\"/></catalog>\n")));
	free(zx(&w, 0, "rules load '%s' --supersedes xx-2017",
	        version("v2.xml", "v2-2017", "2017-07-01", "2017-12-31", "500.00", "0.50")));
	free(settle(&w, "V-1", "P0000006", "2017-03-01"));
	free(settle(&w, "V-2", "P0000006", "2017-08-01"));
	verify_clean(&w);
	static const struct {
		const char *sql, *finding;
	} damage[] = {
		{"DROP TRIGGER policy_version_guard_u; UPDATE policy_version SET ends = 20170228 "
		 "WHERE policy = 1",
		 "settlement S000000000001 used policy xx-2017 (active, 20170101 to 20170228), not in "
		 "force on 20170301"},
		{"DROP TRIGGER policy_version_guard_u; UPDATE policy_version SET status = 'replaced' "
		 "WHERE policy = 2",
		 "settlement S000000000002 used policy v2-2017 (replaced, "},
		{"DROP TRIGGER policy_version_guard_u; UPDATE policy_version SET ends = 20171231 "
		 "WHERE policy = 1",
		 "policies xx-2017 and v2-2017 of county 510101 are both in use on 20170701"},
		{"DROP TRIGGER policy_version_guard_u; UPDATE policy_version SET ends = 20180101 "
		 "WHERE policy = 2",
		 "policy v2-2017 (row 2) ends on 20180101, outside its dates"},
		{"DROP TRIGGER policy_version_immutable_d; DELETE FROM policy_version WHERE policy = 2",
		 "policy v2-2017 (row 2) has no version state"},
		{"UPDATE catalog SET ends = 20170630", /* the guard lets an end move earlier */
		 "settlement S000000000002 used catalogue cat-1 (active, 20170101 to 20170630), not in "
		 "force on 20170801 for county 510101"},
		{"INSERT INTO person_category (psn_no, seq, category, from_date, to_date) "
		 "VALUES ('P0000002', 9, 'lowinc', 20170901, 20170930)",
		 "the category periods 0 and 9 of person P0000002 overlap"},
		{"DROP TRIGGER policy_version_guard_u; UPDATE policy_version SET approved_by = 'alice', "
		 "approved_at = '2026-01-01T00:00:00Z' WHERE policy = 1",
		 "policy xx-2017 (row 1) was approved by its loader alice"},
		{"UPDATE catalog SET approved_by = loaded_by, approved_at = loaded_at",
		 "was approved by its loader"},
	};
	for (size_t i = 0; i < sizeof damage / sizeof *damage; i++) {
		struct world v = w;
		char name[32];
		snprintf(name, sizeof name, "vfy-%zu.db", i);
		snprintf(v.db, sizeof v.db, "%s", tmp_path(name));
		size_t len = 0;
		char *cp = zt_test_slurp_n(w.db, &len);
		FILE *f = fopen(v.db, "wb");
		cr_assert(f && fwrite(cp, 1, len, f) == len);
		fclose(f);
		free(cp);
		zt_test_sql(v.db, "%s", damage[i].sql);
		char *out = zx(&v, 1, "verify");
		has(out, "VIOLATION  settlements used the policy and catalogue in force: ");
		has(out, damage[i].finding);
		free(out);
	}
}
