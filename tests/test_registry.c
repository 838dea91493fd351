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
#define expectation zt_test_expectation

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

/* ---- registry v2: category periods (docs/spec/rules-v2.md §3) ------------------- */

static const char v2doc[] =
	"<registry xmlns='urn:zhitong:registry:2'>\n"
	"  <hospital code='H1' name='医院' level='2' county='510101'/>\n"
	"  <person psn_no='P1' name='张三' id_no='510101195001011234' category='general'"
	" county='510101'>\n"
	"    <category value='poor' from='2016-03-01' to='2019-12-31'/>\n"
	"    <category value='lowinc' from='2020-01-01'/>\n"
	"  </person>\n"
	"  <person psn_no='P2' name='李四' id_no='51010119600202567X' category='poor'"
	" county='510101'/>\n"
	"  <fund code='390100' name='基本医保'/>\n"
	"</registry>\n";

Test(registry_v2, reads_each_person_with_its_periods)
{
	struct seen s = {0};
	cr_assert_eq(parse(&s, v2doc, "v2.xml"), 0, "%s", zt_error_last());
	cr_assert_str_eq(s.kind, "HPPF");
	const struct zt_person *p = &s.person[1];
	cr_assert_eq(p->version, 2);
	cr_assert_eq(p->category, ZT_CAT_GENERAL);
	cr_assert_eq(p->period_count, 2);
	cr_assert_eq(p->periods[0].value, ZT_CAT_POOR);
	cr_assert_eq(p->periods[0].from, 20160301);
	cr_assert_eq(p->periods[0].to, 20191231);
	cr_assert_eq(p->periods[1].value, ZT_CAT_LOWINC);
	cr_assert_eq(p->periods[1].from, 20200101);
	cr_assert_eq(p->periods[1].to, 0, "open-ended");
	cr_assert_eq(s.line[1], 3);
	cr_assert_eq(s.person[2].period_count, 0);
	cr_assert_eq(s.person[2].version, 2);
	/* v1 people: version 1, no periods */
	struct seen s1 = {0};
	cr_assert_eq(parse(&s1, good, "v1.xml"), 0);
	cr_assert_eq(s1.person[1].version, 1);
	cr_assert_eq(s1.person[1].period_count, 0);
}

Test(registry_v2, the_streamed_reader_reads_v1_and_v2_alike)
{
	struct seen a = {0}, b = {0};
	struct zt_registry_visitor v = {&a, on_hospital, on_person, on_fund};
	cr_assert_eq(zt_registry_parse_file(zt_test_write("v2.xml", v2doc), &v), 0, "%s",
	             zt_error_last());
	cr_assert_eq(a.count, 4);
	cr_assert_eq(a.person[1].period_count, 2);
	cr_assert_eq(a.person[1].periods[1].value, ZT_CAT_LOWINC);
	v.ctx = &b;
	cr_assert_eq(zt_registry_parse_file(zt_test_write("v1.xml", good), &v), 0, "%s",
	             zt_error_last());
	cr_assert_eq(b.count, 5);
	cr_assert_eq(b.person[1].version, 1);
	/* the sample registry v2 */
	struct seen c = {0};
	v.ctx = &c;
	cr_assert_eq(zt_registry_parse_file(ZT_TEST_SOURCE_DIR "/rules/registry-510101-v2.xml", &v), 0,
	             "%s", zt_error_last());
	cr_assert_eq(c.people, 3);
	cr_assert_eq(zt_person_category_on(&c.person[0], 20170531), ZT_CAT_GENERAL);
	cr_assert_eq(zt_person_category_on(&c.person[0], 20170601), ZT_CAT_POOR);
	cr_assert_eq(zt_person_category_on(&c.person[2], 20170930), ZT_CAT_LOWINC);
	cr_assert_eq(zt_person_category_on(&c.person[2], 20171001), ZT_CAT_DESTITUTE);
}

Test(registry_v2, every_bad_case_is_refused_by_the_streamed_reader_too)
{
	DIR *dir = opendir(ZT_TEST_CASES "/registry");
	cr_assert_not_null(dir);
	struct dirent *e;
	int count = 0;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "bad-", 4) != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/registry/%s", ZT_TEST_CASES, e->d_name);
		struct seen s = {0};
		struct zt_registry_visitor v = {&s, on_hospital, on_person, on_fund};
		int rc = zt_registry_parse_file(path, &v);
		cr_expect_neq(rc, 0, "%s was accepted", e->d_name);
		char *doc = zt_test_slurp(path);
		long line = -1;
		char text[256];
		cr_assert(expectation(doc, &line, text, sizeof text));
		/* The streamed reader says where XML stops being well-formed only
		 * as libxml2's reader does (no line): the file is named. */
		if (rc && strstr(zt_error_last(), "not well-formed")) {
			cr_expect(strstr(zt_error_last(), path), "%s", zt_error_last());
			free(doc);
			count++;
			continue;
		}
		if (rc && line >= 0) {
			char prefix[1100];
			snprintf(prefix, sizeof prefix, "%s:%ld:", path, line);
			cr_expect(strncmp(zt_error_last(), prefix, strlen(prefix)) == 0,
			          "%s: message should start '%s': %s", e->d_name, prefix, zt_error_last());
		}
		if (rc)
			cr_expect(strstr(zt_error_last(), text), "%s: should say '%s': %s", e->d_name, text,
			          zt_error_last());
		free(doc);
		count++;
	}
	closedir(dir);
	cr_assert_geq(count, 40);
}

Test(registry_v2, periods_that_touch_are_fine_and_one_day_of_overlap_is_not)
{
	static const char *const fmt =
		"<registry xmlns='urn:zhitong:registry:2'>\n"
		"<person psn_no='P1' name='a' id_no='510101195001011234' category='general' county='510101'>\n"
		"<category value='poor' from='2017-01-01' to='%s'/>\n"
		"<category value='lowinc' from='2017-07-01'/>\n"
		"</person></registry>\n";
	char doc[1024];
	struct seen s = {0};
	snprintf(doc, sizeof doc, fmt, "2017-06-30");
	cr_assert_eq(parse(&s, doc, "touch.xml"), 0, "%s", zt_error_last());
	snprintf(doc, sizeof doc, fmt, "2017-07-01");
	cr_assert_eq(parse(&s, doc, "overlap.xml"), ZT_EINVAL);
	cr_assert(strncmp(zt_error_last(), "overlap.xml:4: <category from>:", 31) == 0, "%s",
	          zt_error_last());
	/* the order in the file is free */
	static const char rev[] =
		"<registry xmlns='urn:zhitong:registry:2'>\n"
		"<person psn_no='P1' name='a' id_no='510101195001011234' category='general' county='510101'>\n"
		"<category value='lowinc' from='2017-07-01'/>\n"
		"<category value='poor' from='2017-01-01' to='2017-06-30'/>\n"
		"</person></registry>\n";
	memset(&s, 0, sizeof s);
	cr_assert_eq(parse(&s, rev, "rev.xml"), 0, "%s", zt_error_last());
	cr_assert_eq(zt_person_category_on(&s.person[0], 20170630), ZT_CAT_POOR);
	cr_assert_eq(zt_person_category_on(&s.person[0], 20170701), ZT_CAT_LOWINC);
}

Test(category_on, first_and_last_day_included_open_ended_and_none)
{
	const struct zt_category_period p[] = {
		{ZT_CAT_POOR, 20170301, 20170630},
		{ZT_CAT_DESTITUTE, 20170701, 20170701},
		{ZT_CAT_LOWINC, 20180101, 0},
	};
	struct {
		zt_date day;
		zt_category want;
	} cases[] = {
		{20170228, ZT_CAT_GENERAL},   /* before the first period: the attribute */
		{20170301, ZT_CAT_POOR},      /* its first day */
		{20170415, ZT_CAT_POOR},
		{20170630, ZT_CAT_POOR},      /* its last day */
		{20170701, ZT_CAT_DESTITUTE}, /* a period of one day */
		{20170702, ZT_CAT_GENERAL},   /* between periods: none holds the day */
		{20171231, ZT_CAT_GENERAL},
		{20180101, ZT_CAT_LOWINC},    /* open-ended: from its first day */
		{99991231, ZT_CAT_LOWINC},    /* for ever */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		cr_expect_eq(zt_category_on(ZT_CAT_GENERAL, p, 3, cases[i].day), cases[i].want, "%d",
		             (int)cases[i].day);
	cr_assert_eq(zt_category_on(ZT_CAT_POOR, NULL, 0, 20170101), ZT_CAT_POOR, "no periods");
	struct zt_person person = {.category = ZT_CAT_DESTITUTE, .period_count = 3};
	memcpy(person.periods, p, sizeof p);
	cr_assert_eq(zt_person_category_on(&person, 20170702), ZT_CAT_DESTITUTE);
	cr_assert_eq(zt_person_category_on(&person, 20170630), ZT_CAT_POOR);
}

Test(category_on, overlapping_periods_are_found)
{
	int a, b;
	const struct zt_category_period ok[] = {{ZT_CAT_POOR, 20170101, 20170630},
	                                        {ZT_CAT_POOR, 20170701, 0}};
	cr_assert_not(zt_category_periods_overlap(ok, 2, &a, &b));
	const struct zt_category_period touch[] = {{ZT_CAT_POOR, 20170101, 20170701},
	                                           {ZT_CAT_POOR, 20170701, 0}};
	cr_assert(zt_category_periods_overlap(touch, 2, &a, &b));
	cr_assert(a == 0 && b == 1);
	const struct zt_category_period open[] = {{ZT_CAT_POOR, 20180101, 20181231},
	                                          {ZT_CAT_LOWINC, 20150101, 0},
	                                          {ZT_CAT_POOR, 20100101, 20101231}};
	cr_assert(zt_category_periods_overlap(open, 3, &a, &b));
	cr_assert(a == 0 && b == 1);
	cr_assert_not(zt_category_periods_overlap(open + 1, 2, &a, &b));
}

/* ---- a key given twice refuses the file (v1 and v2 alike) ------------------------ */

Test(registry_duplicates, a_key_twice_is_refused_and_a_file_of_keys_once_is_not)
{
	/* the same string as a hospital code, a psn_no and a fund code is fine */
	static const char mixed[] =
		"<registry xmlns='urn:zhitong:registry:1'>\n"
		"<hospital code='390100' name='a' level='1' county='510101'/>\n"
		"<person psn_no='390100' name='b' id_no='510101195001011234' category='poor' county='510101'/>\n"
		"<fund code='390100' name='c'/>\n"
		"</registry>\n";
	struct seen s = {0};
	cr_assert_eq(parse(&s, mixed, "mixed.xml"), 0, "%s", zt_error_last());
	cr_assert_eq(s.count, 3);
	/* through registry load: refused, nothing stored */
	const char *db = tmp_path("dup.db");
	char *out = NULL, *err = NULL;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", db), 0, "%s", err);
	free(out);
	free(err);
	const char *path = zt_test_case("registry/bad-duplicate-psn-no.xml");
	int rc = zt_test_run(&out, &err, "--db '%s' registry load '%s'", db, path);
	cr_assert_eq(rc, 2, "%s", err);
	cr_assert(strstr(err, "psn_no 'P1' is given twice in the file (first on line 4)"), "%s", err);
	free(out);
	free(err);
	struct run r = sh("sqlite3 '%s' 'SELECT count(*) FROM person; SELECT count(*) FROM fund'", db);
	cr_assert_str_eq(r.out, "0\n0\n", "a refused file stored nothing");
	run_free(&r);
}

Test(registry_duplicates, found_in_a_large_streamed_file)
{
	/* 50,000 people, the last a repeat of the 17th */
	const char *path = tmp_path("big.xml");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("<registry xmlns='urn:zhitong:registry:2'>\n", f);
	for (int i = 1; i <= 50000; i++)
		fprintf(f, "<person psn_no='P%08d' name='n' id_no='510101195001011234' category='poor'"
		           " county='510101'/>\n", i);
	fputs("<person psn_no='P00000017' name='n' id_no='510101195001011234' category='poor'"
	      " county='510101'/>\n</registry>\n", f);
	fclose(f);
	struct seen s = {0};
	struct zt_registry_visitor v = {&s, NULL, on_person, NULL};
	cr_assert_eq(zt_registry_parse_file(path, &v), ZT_EINVAL);
	char want[1200];
	snprintf(want, sizeof want, "%s:50002: <person psn_no>: psn_no 'P00000017' is given twice in "
	                            "the file (first on line 18)", path);
	cr_assert(strstr(zt_error_last(), want), "%s", zt_error_last());
	cr_assert_eq(s.people, 50000, "the walk stopped at the repeat");
}
