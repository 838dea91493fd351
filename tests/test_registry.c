/* zhitong — reading the registry (docs/spec/interfaces.md "Registry").
 *
 * Every tests/cases/registry/bad-*.xml must be refused before a single
 * record is visited, with a message naming the file and the line; its
 * "<!-- expect: LINE: TEXT -->" comment pins both. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/registry.h"
#include "zhitong/xml.h"

/* What the visitor saw, in order. */
#define SEEN_MAX 64
struct seen {
	int count;
	char kind[SEEN_MAX];
	int line[SEEN_MAX];
	struct zt_hospital hospital[SEEN_MAX];
	struct zt_person person[SEEN_MAX];
	struct zt_fund fund[SEEN_MAX];
	int stop_at; /* return ZT_ECONFLICT on this visit (1-based); 0 never */
	int hospitals, people, funds; /* totals, for files larger than SEEN_MAX */
};

static int note(struct seen *s, char kind, int line)
{
	if (s->count < SEEN_MAX) {
		s->kind[s->count] = kind;
		s->line[s->count] = line;
	}
	s->count++;
	return s->stop_at && s->count == s->stop_at ? ZT_ECONFLICT : 0;
}

static int on_hospital(void *ctx, const struct zt_hospital *h, int line)
{
	struct seen *s = ctx;
	if (s->count < SEEN_MAX)
		s->hospital[s->count] = *h;
	s->hospitals++;
	return note(s, 'H', line);
}

static int on_person(void *ctx, const struct zt_person *p, int line)
{
	struct seen *s = ctx;
	if (s->count < SEEN_MAX)
		s->person[s->count] = *p;
	s->people++;
	return note(s, 'P', line);
}

static int on_fund(void *ctx, const struct zt_fund *f, int line)
{
	struct seen *s = ctx;
	if (s->count < SEEN_MAX)
		s->fund[s->count] = *f;
	s->funds++;
	return note(s, 'F', line);
}

static int parse(struct seen *s, const char *xml, const char *name)
{
	struct zt_registry_visitor v = {s, on_hospital, on_person, on_fund};
	return zt_registry_parse(xml, strlen(xml), name, &v);
}

static int parse_file(struct seen *s, const char *path)
{
	char *xml = zt_test_slurp(path);
	cr_assert_not_null(xml, "cannot read %s", path);
	int rc = parse(s, xml, path);
	free(xml);
	return rc;
}

static const char good[] =
	"<?xml version='1.0' encoding='UTF-8'?>\n"
	"<registry xmlns='urn:zhitong:registry:1'>\n"
	"  <hospital code='H51010101' name='xx区人民医院' level='2' county='510101'/>\n"
	"  <person psn_no='P0000001' name='张三' id_no='510101195001011234'\n"
	"          category='poor' county='510101'/>\n"
	"  <fund code='390100' name='城乡居民基本医疗保险基金'/>\n"
	"  <!-- comments between records are fine -->\n"
	"  <person psn_no=' P0000002 ' name='李  四' id_no='51010119600202567X' category='destitute' county='510102'/>\n"
	"  <hospital code='H4' name='省医院' level='4' county='510102'/>\n"
	"</registry>\n";

Test(registry_load, visits_every_record_in_document_order)
{
	struct seen s = {0};
	cr_assert_eq(parse(&s, good, "reg.xml"), 0, "%s", zt_error_last());
	cr_assert_eq(s.count, 5);
	cr_assert_str_eq(s.kind, "HPFPH");
	static const int lines[] = {3, 5, 6, 8, 9};
	for (int i = 0; i < 5; i++)
		cr_expect_eq(s.line[i], lines[i], "record %d", i);

	cr_assert_str_eq(s.hospital[0].code, "H51010101");
	cr_assert_str_eq(s.hospital[0].name, "xx区人民医院");
	cr_assert_eq(s.hospital[0].level, 2);
	cr_assert_str_eq(s.hospital[0].county, "510101");

	cr_assert_str_eq(s.person[1].psn_no, "P0000001");
	cr_assert_str_eq(s.person[1].name, "张三");
	cr_assert_str_eq(s.person[1].id_no, "510101195001011234");
	cr_assert_eq(s.person[1].category, ZT_CAT_POOR);
	cr_assert_str_eq(s.person[1].county, "510101");

	cr_assert_str_eq(s.fund[2].code, "390100");
	cr_assert_str_eq(s.fund[2].name, "城乡居民基本医疗保险基金");

	cr_assert_str_eq(s.person[3].psn_no, "P0000002", "white space around a value is ignored");
	cr_assert_str_eq(s.person[3].name, "李 四");
	cr_assert_str_eq(s.person[3].id_no, "51010119600202567X");
	cr_assert_eq(s.person[3].category, ZT_CAT_DESTITUTE);

	cr_assert_eq(s.hospital[4].level, 4);
}

Test(registry_load, an_empty_registry_visits_nothing)
{
	struct seen s = {0};
	cr_assert_eq(parse(&s, "<registry xmlns='urn:zhitong:registry:1'/>", "empty.xml"), 0);
	cr_assert_eq(s.count, 0);
}

Test(registry_load, a_visitor_error_stops_the_walk_and_is_returned)
{
	struct seen s = {.stop_at = 2};
	cr_assert_eq(parse(&s, good, "reg.xml"), ZT_ECONFLICT);
	cr_assert_eq(s.count, 2);
}

Test(registry_load, missing_callbacks_skip_their_records)
{
	struct seen s = {0};
	struct zt_registry_visitor v = {&s, NULL, on_person, NULL};
	cr_assert_eq(zt_registry_parse(good, strlen(good), "reg.xml", &v), 0);
	cr_assert_eq(s.count, 2);
	cr_assert_str_eq(s.kind, "PP");
}

Test(registry_load, without_a_visitor_it_only_validates)
{
	cr_assert_eq(zt_registry_parse(good, strlen(good), "reg.xml", NULL), 0);
	static const char bad[] = "<registry xmlns='urn:zhitong:registry:1'>\n"
	                          "<fund code='3901' name='x'/></registry>";
	cr_assert_eq(zt_registry_parse(bad, strlen(bad), "bad.xml", NULL), ZT_EINVAL);
	cr_assert(strncmp(zt_error_last(), "bad.xml:2:", 10) == 0, "%s", zt_error_last());
}

Test(registry_load, a_bad_last_record_means_nothing_is_visited)
{
	static const char doc[] =
		"<registry xmlns='urn:zhitong:registry:1'>\n"
		"  <fund code='390100' name='a'/>\n"
		"  <fund code='390200' name='b'/>\n"
		"  <person psn_no='P1' name='c' id_no='510101195001011234' category='rich' county='510101'/>\n"
		"</registry>\n";
	struct seen s = {0};
	cr_assert_eq(parse(&s, doc, "late.xml"), ZT_EINVAL);
	cr_assert_eq(s.count, 0, "a file with one bad record changes nothing");
	cr_assert(strncmp(zt_error_last(), "late.xml:4:", 11) == 0, "%s", zt_error_last());
	cr_assert(strstr(zt_error_last(), "rich") != NULL, "%s", zt_error_last());
}

/* Reads "<!-- expect: LINE: TEXT -->" (line -1 when only TEXT is given). */
static bool expectation(const char *doc, long *line, char *text, size_t text_size)
{
	const char *e = strstr(doc, "<!-- expect: ");
	if (!e)
		return false;
	e += strlen("<!-- expect: ");
	const char *end = strstr(e, " -->");
	if (!end)
		return false;
	char *after;
	*line = strtol(e, &after, 10);
	if (after != e && *after == ':') {
		e = after + 1;
		while (e < end && *e == ' ')
			e++;
	} else {
		*line = -1;
	}
	snprintf(text, text_size, "%.*s", (int)(end - e), e);
	return true;
}

Test(registry_load, refuses_every_bad_case_naming_file_and_line)
{
	DIR *dir = opendir(ZT_TEST_CASES "/registry");
	cr_assert_not_null(dir);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "bad-", 4) != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/registry/%s", ZT_TEST_CASES, e->d_name);
		struct seen s = {0};
		int rc = parse_file(&s, path);
		count++;
		cr_expect_neq(rc, 0, "%s was accepted", e->d_name);
		cr_expect_eq(s.count, 0, "%s: %d records visited before the refusal", e->d_name,
		             s.count);
		if (rc == 0)
			continue;
		const char *msg = zt_error_last();
		cr_log_info("%s: %s", e->d_name, msg);
		char *doc = zt_test_slurp(path);
		long line = -1;
		char text[256];
		cr_assert(expectation(doc, &line, text, sizeof text), "%s has no expect comment",
		          e->d_name);
		if (line >= 0) {
			char prefix[1100];
			snprintf(prefix, sizeof prefix, "%s:%ld:", path, line);
			cr_expect(strncmp(msg, prefix, strlen(prefix)) == 0,
			          "%s: message should start '%s': %s", e->d_name, prefix, msg);
		} else {
			cr_expect(strstr(msg, path) != NULL, "%s: file not named: %s", e->d_name, msg);
		}
		cr_expect(strstr(msg, text) != NULL, "%s: message should say '%s': %s", e->d_name,
		          text, msg);
		free(doc);
	}
	closedir(dir);
	cr_assert_geq(count, 20, "the bad cases were not found");
}

/* docs/spec/interfaces.md "Lexical rules": names may hold inner spaces
 * (runs fold to one, as xs:token does), identifiers may not; through
 * `registry load`, a refused file stores nothing. */
Test(registry_load, names_hold_inner_spaces_and_identifiers_do_not)
{
	char name50[200] = "";
	for (int i = 0; i < 50; i++)
		strcat(name50, "院");
	char doc[2000];
	snprintf(doc, sizeof doc,
	         "<registry xmlns='urn:zhitong:registry:1'>\n"
	         "  <hospital code='H1' name='County  Hospital No. 1' level='2' county='510101'/>\n"
	         "  <person psn_no='P1' name='Zhang San' id_no='510101195001011234'"
	         " category='poor' county='510101'/>\n"
	         "  <fund code='390100' name='城乡居民\u3000医疗保险'/>\n"
	         "  <hospital code='H2' name='%s' level='1' county='510101'/>\n"
	         "</registry>\n", name50);
	struct seen s = {0};
	cr_assert_eq(parse(&s, doc, "names.xml"), 0, "%s", zt_error_last());
	cr_expect_str_eq(s.hospital[0].name, "County Hospital No. 1");
	cr_expect_str_eq(s.person[1].name, "Zhang San");
	cr_expect_str_eq(s.fund[2].name, "城乡居民\u3000医疗保险");
	cr_expect_str_eq(s.hospital[3].name, name50, "50 characters of three bytes each");

	const char *db = tmp_path("zt.db");
	char *out = NULL, *err = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", db), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' registry load '%s'", db,
	                         zt_test_write("names.xml", doc)), 0, "%s", err);
	free(out);
	free(err);
	/* The same file with one identifier holding an inner space, or a
	 * zero-width space: refused with the line, and nothing of it stored. */
	static const char *const bad_codes[] = {"P 2", "P\u200B2", "P\u20662"};
	for (size_t i = 0; i < sizeof bad_codes / sizeof *bad_codes; i++) {
		char bad[2400];
		snprintf(bad, sizeof bad,
		         "<registry xmlns='urn:zhitong:registry:1'>\n"
		         "  <hospital code='H3' name='New Hospital' level='2' county='510101'/>\n"
		         "  <person psn_no='%s' name='Li Si' id_no='510101195001011234'"
		         " category='poor' county='510101'/>\n"
		         "</registry>\n", bad_codes[i]);
		const char *path = zt_test_write("bad.xml", bad);
		int rc = zt_test_run(&out, &err, "--db '%s' registry load '%s'", db, path);
		cr_expect_eq(rc, 2, "%s: exit %d", bad_codes[i], rc);
		char want[1100];
		snprintf(want, sizeof want, "%s:3: ", path);
		cr_expect(strstr(err, want), "%s: the message names the line: %s", bad_codes[i], err);
		free(out);
		free(err);
	}
	struct run r = sh("sqlite3 '%s' \"SELECT count(*) FROM hospital WHERE code = 'H3'\"", db);
	cr_expect_str_eq(r.out, "0\n", "a refused file stored a record");
	run_free(&r);
}

/* The shipped sample registry holds what the worked example needs. */
Test(registry_sample, has_the_worked_example_and_every_sample_fund)
{
	struct seen s = {0};
	cr_assert_eq(parse_file(&s, ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"), 0, "%s",
	             zt_error_last());
	cr_assert_geq(s.people, 20);
	cr_assert_eq(s.funds, 4);
	cr_assert_geq(s.hospitals, 6);
	bool h = false, p = false;
	int funds = 0, levels[5] = {0}, categories[ZT_CAT_COUNT] = {0};
	for (int i = 0; i < s.count && i < SEEN_MAX; i++) {
		if (s.kind[i] == 'H') {
			if (strcmp(s.hospital[i].county, "510101") == 0)
				levels[s.hospital[i].level]++;
			if (strcmp(s.hospital[i].code, "H51010101") == 0)
				h = s.hospital[i].level == 2 && strcmp(s.hospital[i].county, "510101") == 0;
		} else if (s.kind[i] == 'P') {
			if (strcmp(s.person[i].county, "510101") == 0)
				categories[s.person[i].category]++;
			if (strcmp(s.person[i].psn_no, "P0000001") == 0)
				p = s.person[i].category == ZT_CAT_POOR &&
				    strcmp(s.person[i].county, "510101") == 0;
		} else {
			static const char *const want[] = {"390100", "390200", "610100", "610103"};
			for (size_t k = 0; k < 4; k++)
				funds += strcmp(s.fund[i].code, want[k]) == 0;
		}
	}
	cr_assert(h, "H51010101: level 2 in 510101");
	cr_assert(p, "P0000001: poor in 510101");
	cr_assert_eq(funds, 4);
	for (int l = 1; l <= 4; l++)
		cr_expect_gt(levels[l], 0, "no level-%d hospital in 510101", l);
	for (int c = 0; c < ZT_CAT_COUNT; c++)
		cr_expect_gt(categories[c], 0, "no %s person in 510101", zt_category_name(c));
}

Test(registry_vectors, all_four_load_with_every_record)
{
	for (int w = 1001; w <= 1004; w++) {
		char rel[64];
		snprintf(rel, sizeof rel, "vectors/world-%d/registry.xml", w);
		const char *path = zt_test_case(rel);
		char *xml = zt_test_slurp(path);
		cr_assert_not_null(xml);
		int elements = 0;
		for (const char *q = xml; (q = strstr(q, "<hospital ")) != NULL; q++)
			elements++;
		for (const char *q = xml; (q = strstr(q, "<person ")) != NULL; q++)
			elements++;
		for (const char *q = xml; (q = strstr(q, "<fund ")) != NULL; q++)
			elements++;
		struct seen s = {0};
		cr_assert_eq(parse(&s, xml, path), 0, "%s", zt_error_last());
		cr_expect_eq(s.count, elements, "world-%d", w);
		cr_expect_gt(s.people, 0);
		cr_expect_gt(s.hospitals, 0);
		free(xml);
	}
}
