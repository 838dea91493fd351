/* zhitong — registry load, rules check and load, catalog check, init and
 * status as use cases (registry.h, policy.h, catalog.h, verify.h), called
 * directly: their summaries and refusals as data. The command line is
 * test_registry.c's and test_policy.c's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/catalog.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/store.h"
#include "zhitong/verify.h"

static const char *rules(const char *name)
{
	static char p[8][1024];
	static int i;
	i = (i + 1) % 8;
	snprintf(p[i], sizeof p[i], "%s/rules/%s", ZT_TEST_SOURCE_DIR, name);
	return p[i];
}

static int registry_load_text(struct zt_store *s, const char *name, const char *xml,
                              struct zt_registry_load_res *res)
{
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, xml, strlen(xml), name);
	return zt_registry_load(s, &(struct zt_registry_load_req){&src, "loader"}, res);
}

static int registry_load_file(struct zt_store *s, const char *path,
                              struct zt_registry_load_res *res)
{
	char *xml = zt_test_slurp(path);
	int rc = registry_load_text(s, path, xml, res);
	free(xml);
	return rc;
}

static int rules_file(struct zt_store *s, const char *path, struct zt_rules_res *res)
{
	char *xml = zt_test_slurp(path);
	const struct zt_rules_req req = {.xml = xml, .len = strlen(xml), .name = path, .actor = "loader"};
	int rc = s ? zt_rules_load(s, &req, res) : zt_rules_check(&req, res);
	free(xml);
	return rc;
}

static long long audits(const char *action)
{
	char q[200];
	snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE action = '%s'", action);
	return zt_test_sql_int(zt_test_store_target(), q);
}

TestSuite(uc_registry, .timeout = 60);

Test(uc_registry, load_returns_what_it_upserted_and_audits_it)
{
	struct zt_store *s = zt_test_store("zt.db");
	struct zt_registry_load_res res;
	cr_assert_eq(registry_load_file(s, rules("registry-510101.xml"), &res), 0, "%s",
	             zt_error_last());
	cr_assert_eq(res.hospitals, 12);
	cr_assert_eq(res.people, 28);
	cr_assert_eq(res.funds, 4);
	struct zt_person p;
	cr_assert_eq(s->ops->registry.get_person(s, "P0000002", &p), 0);
	/* v2 over it: the people it names replaced, counted */
	cr_assert_eq(registry_load_file(s, rules("registry-510101-v2.xml"), &res), 0, "%s",
	             zt_error_last());
	cr_assert_eq(res.hospitals, 0);
	cr_assert_eq(res.people, 3);
	zt_store_close(s);
	cr_assert_eq(audits("registry load"), 2);
}

Test(uc_registry, a_bad_record_anywhere_stores_nothing_and_names_the_line)
{
	struct zt_store *s = zt_test_store("zt.db");
	struct zt_registry_load_res res = {.hospitals = 99};
	const char *xml =
		"<registry xmlns=\"urn:zhitong:registry:1\">\n"
		"  <hospital code=\"H1\" name=\"A\" level=\"2\" county=\"510101\"/>\n"
		"  <hospital code=\"H1\" name=\"B\" level=\"2\" county=\"510101\"/>\n"
		"</registry>\n";
	cr_assert_eq(registry_load_text(s, "twice.xml", xml, &res), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "twice.xml:3:"), "%s", zt_error_last());
	cr_assert(strstr(zt_error_last(), "given twice"), "%s", zt_error_last());
	cr_assert_eq(res.hospitals, 0, "a refused document counts nothing");
	struct zt_hospital h;
	cr_assert_eq(s->ops->registry.get_hospital(s, "H1", &h), ZT_ENOTFOUND);
	const char *bad_level =
		"<registry xmlns=\"urn:zhitong:registry:1\">\n"
		"  <hospital code=\"H2\" name=\"A\" level=\"5\" county=\"510101\"/>\n"
		"</registry>\n";
	cr_assert_eq(registry_load_text(s, "level.xml", bad_level, &res), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "level.xml:2:"), "%s", zt_error_last());
	cr_assert_eq(registry_load_text(s, "dtd.xml", "<!DOCTYPE r><registry/>", &res), ZT_EMALFORMED);
	zt_store_close(s);
	cr_assert_eq(audits("registry load"), 0);
}

TestSuite(uc_rules, .timeout = 60);

Test(uc_rules, check_summarises_a_policy_without_a_store)
{
	struct zt_rules_res res;
	cr_assert_eq(rules_file(NULL, rules("sample-510101-2017.xml"), &res), 0, "%s",
	             zt_error_last());
	cr_assert_str_eq(res.policy_id, "xx-2017");
	cr_assert_str_eq(res.county, "510101");
	cr_assert_eq(res.effective_from, 20170101);
	cr_assert_eq(res.effective_to, 20171231);
	cr_assert_eq(res.mode, ZT_MODE_FULL);
	cr_assert_gt(res.fund_count, 2);
	cr_assert_eq(rules_file(NULL, rules("sample-510102-2017-supplementary.xml"), &res), 0, "%s",
	             zt_error_last());
	cr_assert_eq(res.mode, ZT_MODE_SUPPLEMENTARY);
	cr_assert_eq(res.version, 2);
}

Test(uc_rules, load_stores_once_and_says_whether_it_was_new)
{
	struct zt_store *s = zt_test_store("zt.db");
	struct zt_registry_load_res reg;
	struct zt_rules_res res;
	cr_assert_eq(registry_load_file(s, rules("registry-510101.xml"), &reg), 0);
	cr_assert_eq(rules_file(s, rules("sample-510101-2017.xml"), &res), 0, "%s", zt_error_last());
	cr_assert(res.was_new);
	cr_assert_gt(res.row, 0);
	int64_t row = res.row;
	cr_assert_eq(rules_file(s, rules("sample-510101-2017.xml"), &res), 0, "%s", zt_error_last());
	cr_assert(!res.was_new);
	cr_assert_eq(res.row, row);
	zt_store_close(s);
	cr_assert_eq(audits("rules load"), 1);
}

Test(uc_rules, load_refuses_what_may_not_be_loaded)
{
	struct zt_store *s = zt_test_store("zt.db");
	struct zt_rules_res res;
	/* a fund not registered */
	cr_assert_eq(rules_file(s, rules("sample-510101-2017.xml"), &res), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "is not in the registry (load it with 'registry load' "
	                                  "first)"), "%s", zt_error_last());
	/* a supplementary policy whose national funds are not registered */
	cr_assert_eq(rules_file(s, rules("sample-510102-2017-supplementary.xml"), &res), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "fund '390100' named by the policy is not in the "
	                                  "registry"), "%s", zt_error_last());
	/* an overlap with a loaded policy of the county */
	struct zt_registry_load_res reg;
	cr_assert_eq(registry_load_file(s, rules("registry-510101.xml"), &reg), 0);
	cr_assert_eq(rules_file(s, rules("sample-510101-2017.xml"), &res), 0, "%s", zt_error_last());
	char *xml = zt_test_slurp(rules("sample-510101-2017.xml"));
	char *id = strstr(xml, "xx-2017");
	cr_assert(id);
	memcpy(id, "zz", 2);
	const struct zt_rules_req req = {.xml = xml, .len = strlen(xml), .name = "other.xml",
	                                 .actor = "loader"};
	cr_assert_eq(zt_rules_load(s, &req, &res), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "overlaps policy 'xx-2017'"), "%s", zt_error_last());
	free(xml);
	zt_store_close(s);
	cr_assert_eq(audits("rules load"), 1);
}

TestSuite(uc_catalog, .timeout = 60);

Test(uc_catalog, check_counts_entries_and_codes)
{
	const char *path = rules("catalog-510101-2017.xml");
	FILE *f = fopen(path, "rb");
	cr_assert(f);
	struct zt_source src = zt_source_file(f, path);
	struct zt_catalog_check_res res;
	cr_assert_eq(zt_catalog_check(&src, &res), 0, "%s", zt_error_last());
	fclose(f);
	cr_assert_str_eq(res.info.id, "cat-510101-2017");
	cr_assert_str_eq(res.info.county, "510101");
	cr_assert_eq(res.entries, 13);
	cr_assert_eq(res.codes, 11);
	struct zt_buffer_reader at;
	const char *bad = "<catalog xmlns=\"urn:zhitong:catalog:1\"/>";
	src = zt_source_buffer(&at, bad, strlen(bad), "bad.xml");
	cr_assert_eq(zt_catalog_check(&src, &res), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "bad.xml"), "%s", zt_error_last());
}

/* A built catalogue is kept for the process (catalog.h): two runs over two
 * store handles share it; a catalogue load empties the cache, while a run
 * under way keeps what it holds. */
Test(uc_catalog, runs_share_the_built_catalogue_until_a_load)
{
	struct zt_store *s = zt_test_store("zt.db");
	const char *path = rules("catalog-510101-2017.xml");
	FILE *f = fopen(path, "rb");
	cr_assert(f);
	struct zt_source src = zt_source_file(f, path);
	struct zt_catalog_load_res res;
	cr_assert_eq(zt_catalog_load(s, &(struct zt_catalog_load_req){.src = &src, .actor = "loader"}, &res), 0,
	             "%s", zt_error_last());
	fclose(f);
	struct zt_store *s2 = NULL;
	cr_assert_eq(zt_store_open(&s2, zt_test_store_target(), NULL), 0, "%s", zt_error_last());
	struct zt_catalog_set a, b, c;
	const struct zt_catalog *ca, *cb, *cc, *none;
	int64_t row, row2;
	cr_assert_eq(zt_catalog_set_load(&a, s), 0, "%s", zt_error_last());
	cr_assert_eq(zt_catalog_set_find(&a, s, "510101", 20170601, &ca, &row), 0);
	cr_assert(ca && row == res.row);
	cr_assert_eq(zt_catalog_set_find(&a, s, "510101", 20180601, &none, &row2), 0);
	cr_assert_null(none, "not in force on that day");
	cr_assert_eq(zt_catalog_set_load(&b, s2), 0, "%s", zt_error_last());
	cr_assert_eq(zt_catalog_set_find(&b, s2, "510101", 20170601, &cb, &row2), 0);
	cr_assert_eq(cb, ca, "built once for both runs");
	zt_catalog_set_free(&b);
	/* the identical document again: nothing new, the cache emptied */
	f = fopen(path, "rb");
	src = zt_source_file(f, path);
	cr_assert_eq(zt_catalog_load(s, &(struct zt_catalog_load_req){.src = &src, .actor = "loader"}, &res), 0);
	fclose(f);
	cr_assert(!res.was_new);
	cr_assert_eq(zt_catalog_set_load(&c, s2), 0, "%s", zt_error_last());
	cr_assert_eq(zt_catalog_set_find(&c, s2, "510101", 20170601, &cc, &row2), 0);
	cr_assert(cc && cc != ca, "built again after the load");
	cr_assert_eq(zt_catalog_count(ca), zt_catalog_count(cc), "the run under way reads its own");
	cr_assert(zt_catalog_find(ca, "001201000010000-120100001", 20170601));
	zt_catalog_set_free(&a);
	zt_catalog_set_free(&c);
	zt_store_close(s2);
	zt_store_close(s);
}

TestSuite(uc_admin, .timeout = 60);

static void count_table(void *ctx, const char *table, int64_t rows)
{
	(void)table;
	cr_assert_geq(rows, 0);
	++*(int *)ctx;
}

Test(uc_admin, init_migrates_once_and_status_counts_every_table)
{
	struct zt_store *s = NULL;
	struct zt_store_options o = {.create = true};
	struct zt_init_res init;
	char db[1024];
	zt_test_db_target(db, sizeof db, "new.db");
	cr_assert_eq(zt_store_open(&s, db, &o), 0, "%s", zt_error_last());
	cr_assert_eq(zt_init(s, &init), 0, "%s", zt_error_last());
	cr_assert_eq(init.from_version, 0);
	cr_assert_eq(init.to_version, ZT_STORE_VERSION);
	cr_assert_eq(zt_init(s, &init), 0);
	cr_assert_eq(init.from_version, ZT_STORE_VERSION);
	cr_assert_eq(init.to_version, ZT_STORE_VERSION);
	int tables = 0;
	struct zt_status_res st;
	cr_assert_eq(zt_status(s, count_table, &tables, &st), 0, "%s", zt_error_last());
	cr_assert_eq(st.version, ZT_STORE_VERSION);
	cr_assert_gt(tables, 10);
	zt_store_close(s);
}

Test(uc_registry, a_v2_registry_is_told_by_its_root_even_after_a_long_prolog)
{
	struct zt_store *s = zt_test_store("zt.db");
	struct zt_registry_load_res res;
	size_t pad = 200 * 1024;
	const char *body =
		"<registry xmlns=\"urn:zhitong:registry:2\">\n"
		"  <fund code=\"390100\" name=\"basic\"/>\n"
		"  <person psn_no=\"P1\" name=\"A\" id_no=\"510101199211252631\" category=\"general\" "
		"county=\"510101\"><category value=\"poor\" from=\"2017-06-01\"/></person>\n"
		"</registry>\n";
	char *xml = malloc(pad + strlen(body) + 16);
	cr_assert(xml);
	memcpy(xml, "<!--", 4);
	memset(xml + 4, 'x', pad);
	strcpy(xml + 4 + pad, "-->\n");
	strcat(xml, body);
	cr_assert_eq(registry_load_text(s, "long.xml", xml, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.people, 1);
	cr_assert_eq(res.funds, 1);
	free(xml);
	zt_store_close(s);
}
