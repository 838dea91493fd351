/* zhitong — the answers stay what they were (issue 8: traces stored as
 * data). tests/cases/golden holds what zhitong answered before the traces
 * were stored in columns (recorded from main, see its README): the answers
 * of the four vector worlds, reversals, `claim show` in XML and text,
 * `claim quote --format text`, the records of the payer files. Each is made
 * again here and compared byte for byte; and a database of schema 8, whose
 * traces are XML fragments, is migrated and must show exactly what it
 * showed before. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const reversed[] = {"ZY1004-000005", "ZY1004-000011", "ZY1004-000032",
                                       "ZY1004-000002"};

static char *golden(const char *name)
{
	char rel[200];
	snprintf(rel, sizeof rel, "golden/%s", name);
	char *text = zt_test_slurp(zt_test_case(rel));
	cr_assert(text, "golden file %s is missing", name);
	return text;
}


static void same(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return;
	size_t i = 0;
	while (got[i] && got[i] == want[i])
		i++;
	size_t from = i > 80 ? i - 80 : 0;
	cr_assert_fail("%s differs from its golden answer at byte %zu:\ngot:  ...%.200s\nwant: ...%.200s",
	               what, i, got + from, want + from);
}

static void same_as(const char *what, char *got, const char *golden_name)
{
	char *want = golden(golden_name);
	same(what, got, want);
	free(want);
	free(got);
}

/* Local times of `claim show` (when it was settled) are the run's own. */
static char *without_times(char *text)
{
	regex_t re;
	cr_assert_eq(regcomp(&re, "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{2}:[0-9]{2}",
	                     REG_EXTENDED), 0);
	regmatch_t m;
	char *p = text;
	while (regexec(&re, p, 1, &m, 0) == 0) {
		memset(p + m.rm_so, 'T', (size_t)(m.rm_eo - m.rm_so));
		p += m.rm_eo;
	}
	regfree(&re);
	return text;
}

static const char *world_db(const char *w, const char *name)
{
	char rel[200];
	const char *db = tmp_path(name);
	static char keep[4][600];
	static int next;
	char *d = keep[next++ % 4];
	snprintf(d, 600, "%s", db);
	free(zt_test_ok("--db '%s' init", d));
	snprintf(rel, sizeof rel, "vectors/world-%s/registry.xml", w);
	free(zt_test_ok("--db '%s' registry load '%s'", d, zt_test_case(rel)));
	snprintf(rel, sizeof rel, "vectors/world-%s/policy.xml", w);
	free(zt_test_ok("--db '%s' rules load '%s'", d, zt_test_case(rel)));
	return d;
}

static const char *claims_of(const char *w)
{
	char rel[200];
	snprintf(rel, sizeof rel, "vectors/world-%s/claims.xml", w);
	return zt_test_case(rel);
}

static void world_answers(const char *w)
{
	char name[64];
	const char *db = world_db(w, "quote.db");
	char *out = zt_test_ok("--db '%s' claim quote '%s' --format text", db, claims_of(w));
	snprintf(name, sizeof name, "%s-quote.txt", w);
	same_as("claim quote --format text", out, name);
	db = world_db(w, "submit.db");
	out = zt_test_ok("--db '%s' claim submit '%s' --by desk", db, claims_of(w));
	snprintf(name, sizeof name, "%s-submit.xml", w);
	same_as("claim submit", out, name);
	/* submitting again answers the stored settlements: the same bytes */
	out = zt_test_ok("--db '%s' claim submit '%s' --by desk", db, claims_of(w));
	same_as("claim submit again", out, name);
}

Test(golden, world_1001_answers_as_before) { world_answers("1001"); }
Test(golden, world_1002_answers_as_before) { world_answers("1002"); }
Test(golden, world_1003_answers_as_before) { world_answers("1003"); }
Test(golden, world_1004_answers_as_before) { world_answers("1004"); }

/* The hospital of claim `n` in the answer of world 1004. */
static void hospital_of(char out[32], const char *n)
{
	char *answer = golden("1004-submit.xml");
	char key[64];
	snprintf(key, sizeof key, "\" claim_no=\"%s\"", n);
	char *at = strstr(answer, key);
	cr_assert(at, "claim %s is not in the answer", n);
	char *q = at;
	while (q > answer && strncmp(q, "fixmedins_code=\"", 16) != 0)
		q--;
	snprintf(out, 32, "%.*s", (int)(at - q - 16), q + 16);
	free(answer);
}

/* claim show of the reversed claims, in XML and in text. */
static void shows_as_before(const char *db, bool same_times)
{
	for (size_t i = 0; i < sizeof reversed / sizeof *reversed; i++) {
		char h[32], name[64];
		hospital_of(h, reversed[i]);
		char *out = zt_test_ok("--db '%s' claim show --hospital %s --claim-no %s --format xml", db, h,
		               reversed[i]);
		snprintf(name, sizeof name, "1004-show-%s.xml", reversed[i]);
		same_as("claim show --format xml", out, name);
		out = zt_test_ok("--db '%s' claim show --hospital %s --claim-no %s", db, h, reversed[i]);
		snprintf(name, sizeof name, "1004-show-%s.txt", reversed[i]);
		if (same_times) {
			same_as("claim show", out, name);
		} else {
			char *want = without_times(golden(name));
			same("claim show", without_times(out), want);
			free(want);
			free(out);
		}
	}
}

/* The <records> of the payer file of each fund's batch. */
static void payer_records_as_before(const char *db, bool create)
{
	static const char *const funds[] = {"390100", "390200", "610100", "610103", "610104", "610105"};
	char key[600];
	snprintf(key, sizeof key, "%s", tmp_path("ed.pem"));
	struct run r = sh("test -f '%s' || openssl genpkey -algorithm ed25519 -out '%s'", key, key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	for (size_t i = 0; i < sizeof funds / sizeof *funds; i++) {
		char id[32], name[64];
		snprintf(id, sizeof id, "B%s-000001", funds[i]);
		if (create) {
			free(zt_test_ok("--db '%s' batch create --fund %s --by maker", db, funds[i]));
			free(zt_test_ok("--db '%s' batch approve %s --by checker", db, id));
		}
		const char *file = tmp_path(id);
		free(zt_test_ok("--db '%s' batch export %s --out '%s' --key '%s' --by maker --force", db, id,
		        file, key));
		char *text = zt_test_slurp(file);
		cr_assert(text);
		char *from = strstr(text, "  <records>"), *to = strstr(text, "</records>");
		cr_assert(from && to, "%s has no records", id);
		while (from > text && from[-1] != '\n')
			from--;
		to += strlen("</records>");
		char *got = strndup(from, (size_t)(to - from) + 1); /* with its line break */
		snprintf(name, sizeof name, "1004-batch-%s.xml", funds[i]);
		same_as("the payer file's records", got, name);
		free(text);
	}
}

Test(golden, reversals_shows_and_payer_files_answer_as_before, .timeout = 120)
{
	const char *db = world_db("1004", "zt.db");
	free(zt_test_ok("--db '%s' claim submit '%s' --by desk", db, claims_of("1004")));
	for (size_t i = 0; i < sizeof reversed / sizeof *reversed; i++) {
		char h[32], name[64];
		hospital_of(h, reversed[i]);
		char *out = zt_test_ok("--db '%s' claim reverse --hospital %s --claim-no %s --reason 'golden %s' "
		               "--by desk", db, h, reversed[i], reversed[i]);
		snprintf(name, sizeof name, "1004-reverse-%s.xml", reversed[i]);
		same_as("claim reverse", out, name);
	}
	shows_as_before(db, false);
	payer_records_as_before(db, true);
	char *out = zt_test_ok("--db '%s' verify", db);
	cr_assert(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
}

/* The worked example: a relief fund with a Chinese name, a reversal whose
 * reason needs escaping. */
Test(golden, the_worked_example_and_its_reversal_answer_as_before)
{
	char db[600];
	snprintf(db, sizeof db, "%s", tmp_path("sample.db"));
	free(zt_test_ok("--db '%s' init", db));
	free(zt_test_ok("--db '%s' registry load '%s/rules/registry-510101.xml'", db, ZT_TEST_SOURCE_DIR));
	free(zt_test_ok("--db '%s' rules load '%s/rules/sample-510101-2017.xml'", db, ZT_TEST_SOURCE_DIR));
	char *out = zt_test_ok("--db '%s' claim submit '%s' --by desk", db,
	               zt_test_case("claims/worked-example.xml"));
	same_as("claim submit", out, "sample-submit.xml");
	out = zt_test_ok("--db '%s' claim reverse --hospital H51010101 --claim-no ZY2017-000123 --reason "
	         "'重复收费 & <退回> \"全部\" '\\''再报'\\''' --by desk", db);
	same_as("claim reverse", out, "sample-reverse.xml");
	out = zt_test_ok("--db '%s' claim show --hospital H51010101 --claim-no ZY2017-000123 --format xml", db);
	same_as("claim show --format xml", out, "sample-show.xml");
	out = zt_test_ok("--db '%s' claim show --hospital H51010101 --claim-no ZY2017-000123", db);
	char *want = without_times(golden("sample-show.txt"));
	same("claim show", without_times(out), want);
	free(want);
	free(out);
}

Test(golden, a_database_of_schema_8_shows_after_migrating_what_it_showed_before, .timeout = 120)
{
	char db[600];
	snprintf(db, sizeof db, "%s", tmp_path("v8.db"));
	char rel[200];
	snprintf(rel, sizeof rel, "golden/1004-v8.dump");
	/* a dump does not carry PRAGMA user_version */
	struct run r = sh("(cat '%s'; echo 'PRAGMA user_version = 8;') | sqlite3 '%s'",
	                  zt_test_case(rel), db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	free(zt_test_ok("--db '%s' init", db));
	shows_as_before(db, true);
	payer_records_as_before(db, false);
	char *out = zt_test_ok("--db '%s' verify", db);
	cr_assert(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);
}
