/* zhitong — synthetic worlds (gen.h): deterministic, valid, exact, and
 * covering every case the split distinguishes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/gen.h"
#include "zhitong/limits.h"
#include "zhitong/money.h"
#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/xml.h"

#define WORLD_CLAIMS 2000

static const char *make_world(const char *name, uint64_t claims, uint64_t seed)
{
	static char dirs[4][512];
	static int next;
	char *dir = dirs[next++ % 4];
	snprintf(dir, 512, "%s/%s", zt_test_tmpdir(), name);
	struct zt_gen_opts o = {.claims = claims, .seed = seed};
	int rc = zt_gen_world(&o, dir);
	cr_assert_eq(rc, 0, "zt_gen_world: %s", zt_error_last());
	return dir;
}

static char *file_of(const char *dir, const char *name)
{
	static char paths[4][700];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, 700, "%s/%s", dir, name);
	return p;
}

/* Parses and validates against the embedded XSD, as the engine reads. */
static xmlDocPtr parse(const char *dir, const char *name, enum zt_schema_id schema)
{
	char *xml = NULL;
	size_t len = 0;
	const char *path = file_of(dir, name);
	cr_assert_eq(zt_read_file(&xml, &len, path, 256u << 20), 0, "%s", zt_error_last());
	xmlDocPtr doc = NULL;
	int rc = zt_xml_parse_doc(&doc, xml, len, path, schema);
	free(xml);
	cr_assert_eq(rc, 0, "%s does not validate: %s", name, zt_error_last());
	return doc;
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Trimmed text of the child element `name` (copied into buf), or NULL. */
static const char *child(const xmlNode *n, const char *name, char *buf, size_t size)
{
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (!named(c, name))
			continue;
		size_t len;
		const char *t = zt_xml_text(c, &len);
		cr_assert_lt(len, size, "<%s> is too long", name);
		memcpy(buf, t, len);
		buf[len] = '\0';
		return buf;
	}
	return NULL;
}

static const xmlNode *child_el(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* ---- the registry, as plain arrays --------------------------------------- */

struct reg_hospital {
	char code[32], county[8];
	int level;
};
struct reg_person {
	char psn_no[32], county[8], id_no[24];
	int category;
	int claims;
};
struct reg {
	int hospitals, people, funds;
	struct reg_hospital h[64];
	struct reg_person *p;
	char fund[16][8];
};

static void load_registry(struct reg *r, const char *dir)
{
	memset(r, 0, sizeof *r);
	xmlDocPtr doc = parse(dir, "registry.xml", ZT_SCHEMA_REGISTRY);
	int n = 0;
	for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next)
		n += named(c, "person");
	r->p = calloc((size_t)n, sizeof *r->p);
	for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (named(c, "hospital")) {
			cr_assert_lt(r->hospitals, 64);
			struct reg_hospital *h = &r->h[r->hospitals++];
			snprintf(h->code, sizeof h->code, "%s", zt_xml_attr(c, "code"));
			snprintf(h->county, sizeof h->county, "%s", zt_xml_attr(c, "county"));
			h->level = atoi(zt_xml_attr(c, "level"));
		} else if (named(c, "person")) {
			struct reg_person *p = &r->p[r->people++];
			snprintf(p->psn_no, sizeof p->psn_no, "%s", zt_xml_attr(c, "psn_no"));
			snprintf(p->county, sizeof p->county, "%s", zt_xml_attr(c, "county"));
			snprintf(p->id_no, sizeof p->id_no, "%s", zt_xml_attr(c, "id_no"));
			const char *cat = zt_xml_attr(c, "category");
			p->category = zt_category_parse(cat, strlen(cat));
		} else if (named(c, "fund")) {
			cr_assert_lt(r->funds, 16);
			snprintf(r->fund[r->funds++], 8, "%s", zt_xml_attr(c, "code"));
		}
	}
	xmlFreeDoc(doc);
}

static struct reg_hospital *find_hospital(struct reg *r, const char *code)
{
	for (int i = 0; i < r->hospitals; i++)
		if (strcmp(r->h[i].code, code) == 0)
			return &r->h[i];
	return NULL;
}

static struct reg_person *find_person(struct reg *r, const char *psn_no)
{
	for (int i = 0; i < r->people; i++)
		if (strcmp(r->p[i].psn_no, psn_no) == 0)
			return &r->p[i];
	return NULL;
}

/* ---- tests ----------------------------------------------------------------- */

Test(gen_world, same_seed_gives_byte_identical_files)
{
	const char *a = make_world("a", 300, 42);
	const char *b = make_world("b", 300, 42);
	static const char *const files[] = {"registry.xml", "policy.xml", "claims.xml"};
	for (int i = 0; i < 3; i++) {
		char *x = zt_test_slurp(file_of(a, files[i]));
		char *y = zt_test_slurp(file_of(b, files[i]));
		cr_assert(x && y);
		cr_assert_gt(strlen(x), 100);
		cr_expect_str_eq(x, y, "%s differs between two runs with one seed", files[i]);
		free(x);
		free(y);
	}
}

Test(gen_world, another_seed_gives_another_world)
{
	const char *a = make_world("a", 300, 42);
	const char *b = make_world("b", 300, 43);
	char *x = zt_test_slurp(file_of(a, "claims.xml"));
	char *y = zt_test_slurp(file_of(b, "claims.xml"));
	cr_expect_str_neq(x, y);
	free(x);
	free(y);
	x = zt_test_slurp(file_of(a, "registry.xml"));
	y = zt_test_slurp(file_of(b, "registry.xml"));
	cr_expect_str_neq(x, y);
	free(x);
	free(y);
}

static int count_record(void *ctx, int line)
{
	(void)line;
	(*(int *)ctx)++;
	return 0;
}
static int on_hospital(void *ctx, const struct zt_hospital *h, int line) { (void)h; return count_record(ctx, line); }
static int on_person(void *ctx, const struct zt_person *p, int line) { (void)p; return count_record(ctx, line); }
static int on_fund(void *ctx, const struct zt_fund *f, int line) { (void)f; return count_record(ctx, line); }

Test(gen_world, files_pass_the_schemas_and_the_engine_readers)
{
	const char *dir = make_world("w", WORLD_CLAIMS, 7);
	xmlFreeDoc(parse(dir, "claims.xml", ZT_SCHEMA_CLAIM));
	xmlFreeDoc(parse(dir, "registry.xml", ZT_SCHEMA_REGISTRY));
	xmlFreeDoc(parse(dir, "policy.xml", ZT_SCHEMA_POLICY));

	struct zt_policy p;
	cr_assert_eq(zt_policy_parse_file(&p, file_of(dir, "policy.xml")), 0, "%s", zt_error_last());
	cr_expect_str_eq(p.county, "510101");
	cr_expect_eq(p.effective_from, 20170101);
	cr_expect_eq(p.effective_to, 20171231);
	cr_expect_eq(p.tier_count, 3);
	cr_expect_eq(p.critical_adjust[ZT_CAT_POOR].tier_count, 3, "poor has tiers of its own");
	cr_expect(p.basic_adjust[ZT_CAT_POOR].present);
	cr_expect(p.has_cap_in_county && p.cap_in_county_bp == 1000);
	cr_expect(p.has_cap_out_of_county && p.cap_out_of_county_bp == 2000);
	cr_expect_eq(p.relief_count, 2);
	cr_expect(p.relief[0].in_county_only && p.relief[0].annual_cap_fen != ZT_CAP_NONE);
	cr_expect_eq(p.remainder, ZT_REMAINDER_HOSPITAL);
	for (int c = ZT_CAT_POOR; c <= ZT_CAT_DESTITUTE; c++)
		cr_expect(p.assistance[c].present, "assistance for %s", zt_category_name(c));

	char *xml = NULL;
	size_t len = 0;
	cr_assert_eq(zt_read_file(&xml, &len, file_of(dir, "registry.xml"), ZT_DOC_BYTES_MAX), 0);
	int records = 0;
	struct zt_registry_visitor v = {&records, on_hospital, on_person, on_fund};
	cr_assert_eq(zt_registry_parse(xml, len, "registry.xml", &v), 0, "%s", zt_error_last());
	free(xml);
	cr_expect_eq(records, 12 + 500 + 5, "12 hospitals, max(50, 2000/4) people, 5 funds");

	/* Every fund the policy names is registered. */
	struct reg r;
	load_registry(&r, dir);
	const char *codes[3 + ZT_RELIEF_MAX];
	int n = zt_policy_funds(&p, codes);
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < r.funds; j++)
			found |= strcmp(codes[i], r.fund[j]) == 0;
		cr_expect(found, "fund %s is not in the registry", codes[i]);
	}
	free(r.p);
}

static zt_q4 q4_of(const xmlNode *item, const char *name)
{
	char buf[64];
	const char *t = child(item, name, buf, sizeof buf);
	cr_assert(t, "<%s> missing", name);
	zt_q4 v;
	cr_assert_eq(zt_parse_q4(&v, t, strlen(t)), 0, "%s", zt_error_last());
	return v;
}

static zt_fen amount_of(const xmlNode *n, const char *name)
{
	char buf[64];
	const char *t = child(n, name, buf, sizeof buf);
	cr_assert(t, "<%s> missing", name);
	zt_fen v;
	cr_assert_eq(zt_parse_amount(&v, t, strlen(t)), 0, "%s", zt_error_last());
	return v;
}

Test(gen_world, every_item_amount_is_price_times_quantity_half_up)
{
	const char *dir = make_world("w", WORLD_CLAIMS, 7);
	xmlDocPtr doc = parse(dir, "claims.xml", ZT_SCHEMA_CLAIM);
	int claims = 0, items = 0, rounded = 0;
	for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (!named(c, "claim"))
			continue;
		claims++;
		__int128 sum = 0;
		for (xmlNode *it = child_el(c, "items")->children; it; it = it->next) {
			if (!named(it, "item"))
				continue;
			items++;
			__int128 product = (__int128)q4_of(it, "pric") * q4_of(it, "cnt"); /* 1e-8 yuan */
			zt_fen want = (zt_fen)((2 * product + 1000000) / 2000000);
			rounded += product % 1000000 != 0;
			zt_fen amt = amount_of(it, "det_item_fee_sumamt");
			cr_assert_eq(amt, want, "claim %d item %d: %lld fen, price × quantity is %lld", claims,
			             items, (long long)amt, (long long)want);
			sum += amt;
		}
		cr_assert_eq(amount_of(c, "medfee_sumamt"), (zt_fen)sum, "claim %d: total is not the sum",
		             claims);
	}
	xmlFreeDoc(doc);
	cr_expect_eq(claims, WORLD_CLAIMS);
	cr_expect_gt(items, WORLD_CLAIMS * 15, "about 20 items a claim");
	cr_expect_lt(items, WORLD_CLAIMS * 25);
	cr_expect_gt(rounded, 100, "prices with four decimals make amounts that need rounding");
}

Test(gen_world, covers_every_category_level_side_type_and_item_level)
{
	const char *dir = make_world("w", WORLD_CLAIMS, 7);
	struct reg r;
	load_registry(&r, dir);
	xmlDocPtr doc = parse(dir, "claims.xml", ZT_SCHEMA_CLAIM);
	int by_category[ZT_CAT_COUNT] = {0}, by_level[5] = {0}, in_county = 0, out_county = 0;
	int by_type[15] = {0}, lv_two_digit[4] = {0}, lv_one_digit[4] = {0};
	int over_limit = 0, under_limit = 0, selfpay_on_02 = 0;
	char buf[64], buf2[64];
	for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (!named(c, "claim"))
			continue;
		struct reg_hospital *h = find_hospital(&r, child(c, "fixmedins_code", buf, sizeof buf));
		struct reg_person *p = find_person(&r, child(c, "psn_no", buf, sizeof buf));
		cr_assert(h && p);
		by_category[p->category]++;
		by_level[h->level]++;
		if (strcmp(h->county, p->county) == 0)
			in_county++;
		else
			out_county++;
		for (xmlNode *it = child_el(c, "items")->children; it; it = it->next) {
			if (!named(it, "item"))
				continue;
			by_type[atoi(child(it, "med_chrgitm_type", buf, sizeof buf))]++;
			const char *lv = child(it, "chrgitm_lv", buf, sizeof buf);
			(strlen(lv) == 2 ? lv_two_digit : lv_one_digit)[atoi(lv)]++;
			if (child(it, "selfpay_prop", buf2, sizeof buf2) && atoi(lv) == 2)
				selfpay_on_02++;
			if (child(it, "pric_uplmt_amt", buf2, sizeof buf2)) {
				zt_q4 ceiling;
				cr_assert_eq(zt_parse_q4(&ceiling, buf2, strlen(buf2)), 0);
				if (q4_of(it, "pric") > ceiling)
					over_limit++;
				else
					under_limit++;
			}
		}
	}
	xmlFreeDoc(doc);
	free(r.p);
	for (int i = 0; i < ZT_CAT_COUNT; i++)
		cr_expect_gt(by_category[i], 20, "claims of %s people: %d", zt_category_name(i), by_category[i]);
	for (int i = 1; i <= 4; i++)
		cr_expect_gt(by_level[i], 20, "claims at level-%d hospitals: %d", i, by_level[i]);
	cr_expect_gt(in_county, WORLD_CLAIMS / 2, "most claims are in the county");
	cr_expect_gt(out_county, 20, "some claims are out of the county");
	for (int t = 1; t <= 14; t++)
		cr_expect_gt(by_type[t], 20, "items of charge type %02d: %d", t, by_type[t]);
	for (int l = 1; l <= 3; l++) {
		cr_expect_gt(lv_two_digit[l], 20, "items of level 0%d", l);
		cr_expect_gt(lv_one_digit[l], 20, "items of level %d (one-digit form)", l);
	}
	cr_expect_gt(over_limit, 20, "items priced above their ceiling");
	cr_expect_gt(under_limit, 20, "items priced within their ceiling");
	cr_expect_gt(selfpay_on_02, 20, "02 items with their own self-pay ratio");
}

Test(gen_world, some_people_are_admitted_five_times_or_more_and_run_up_large_bills)
{
	const char *dir = make_world("w", WORLD_CLAIMS, 7);
	struct reg r;
	load_registry(&r, dir);
	xmlDocPtr doc = parse(dir, "claims.xml", ZT_SCHEMA_CLAIM);
	char buf[64];
	int large = 0;
	for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (!named(c, "claim"))
			continue;
		find_person(&r, child(c, "psn_no", buf, sizeof buf))->claims++;
		large += amount_of(c, "medfee_sumamt") >= 3000000; /* 30,000.00 */
	}
	xmlFreeDoc(doc);
	int frequent = 0, frequent_poor = 0;
	for (int i = 0; i < r.people; i++) {
		frequent += r.p[i].claims >= 5;
		frequent_poor += r.p[i].claims >= 5 && r.p[i].category == ZT_CAT_POOR;
	}
	free(r.p);
	cr_expect_gt(frequent, 10, "people with at least 5 claims: %d", frequent);
	cr_expect_gt(frequent_poor, 0);
	cr_expect_gt(large, 20, "claims of 30,000.00 or more: %d", large);
}

static bool valid_id_no(const char *id)
{
	static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	if (strlen(id) != 18)
		return false;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (id[i] < '0' || id[i] > '9')
			return false;
		sum += (id[i] - '0') * weight[i];
	}
	return id[17] == "10X98765432"[sum % 11];
}

Test(gen_world, claims_name_registered_records_and_keep_their_own_rules)
{
	const char *dir = make_world("w", WORLD_CLAIMS, 7);
	struct reg r;
	load_registry(&r, dir);
	for (int i = 0; i < r.people; i++)
		cr_assert(valid_id_no(r.p[i].id_no), "id_no '%s' has a wrong check digit", r.p[i].id_no);
	int people_elsewhere = 0, hospitals_elsewhere = 0;
	for (int i = 0; i < r.people; i++)
		people_elsewhere += strcmp(r.p[i].county, "510101") != 0;
	for (int i = 0; i < r.hospitals; i++)
		hospitals_elsewhere += strcmp(r.h[i].county, "510101") != 0;
	cr_expect_gt(people_elsewhere, 0);
	cr_expect_lt(people_elsewhere, r.people / 4);
	cr_expect_gt(hospitals_elsewhere, 0);
	cr_expect_lt(hospitals_elsewhere, r.hospitals / 2);

	xmlDocPtr doc = parse(dir, "claims.xml", ZT_SCHEMA_CLAIM);
	/* (hospital, claim_no) pairs seen, as "code claim_no" strings. */
	char (*keys)[80] = calloc(WORLD_CLAIMS, sizeof *keys);
	int nkeys = 0, reused_numbers = 0;
	char buf[64], buf2[64];
	for (xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (!named(c, "claim"))
			continue;
		const char *hosp = child(c, "fixmedins_code", buf, sizeof buf);
		cr_assert(find_hospital(&r, hosp), "unknown hospital '%s'", hosp);
		const char *no = child(c, "claim_no", buf2, sizeof buf2);
		char key[80];
		snprintf(key, sizeof key, "%s %s", hosp, no);
		for (int i = 0; i < nkeys; i++) {
			cr_assert_str_neq(keys[i], key, "claim_no repeated in one hospital: %s", key);
			reused_numbers += strcmp(strchr(keys[i], ' '), strchr(key, ' ')) == 0;
		}
		snprintf(keys[nkeys++], 80, "%s", key);

		struct reg_person *p = find_person(&r, child(c, "psn_no", buf, sizeof buf));
		cr_assert(p, "unknown person '%s'", buf);
		cr_assert_str_eq(p->county, "510101", "claims are for people the policy covers");

		zt_date adm, dscg;
		const char *t = child(c, "adm_date", buf, sizeof buf);
		cr_assert_eq(zt_parse_date(&adm, t, strlen(t)), 0, "%s", zt_error_last());
		t = child(c, "dscg_date", buf, sizeof buf);
		cr_assert_eq(zt_parse_date(&dscg, t, strlen(t)), 0, "%s", zt_error_last());
		cr_assert(adm <= dscg && adm >= 20170101 && dscg <= 20171231, "dates %d..%d", adm, dscg);

		char sns[64][32];
		int n = 0;
		for (xmlNode *it = child_el(c, "items")->children; it; it = it->next) {
			if (!named(it, "item"))
				continue;
			cr_assert_lt(n, 40, "at most 40 items a claim");
			child(it, "feedetl_sn", sns[n], sizeof sns[n]);
			for (int i = 0; i < n; i++)
				cr_assert_str_neq(sns[i], sns[n], "feedetl_sn repeated in %s", key);
			n++;
		}
		cr_assert_geq(n, 1);
	}
	xmlFreeDoc(doc);
	free(keys);
	free(r.p);
	cr_expect_gt(reused_numbers, 0, "claim numbers are per hospital, so they recur across hospitals");
}

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *calls = ctx;
	cr_expect_eq(total, 25000);
	cr_assert_lt(calls[0], 7);
	cr_expect_gt(done, calls[0] ? calls[calls[0]] : 0, "progress runs forward");
	calls[++calls[0]] = done;
}

Test(gen_world, reports_progress_every_10000_claims_and_at_the_end)
{
	uint64_t calls[8] = {0};
	struct zt_gen_opts o = {.claims = 25000, .seed = 1, .people = 100,
	                        .progress = count_progress, .progress_ctx = calls};
	char dir[600];
	snprintf(dir, sizeof dir, "%s/p", zt_test_tmpdir());
	cr_assert_eq(zt_gen_world(&o, dir), 0, "%s", zt_error_last());
	cr_assert_eq(calls[0], 3);
	cr_expect_eq(calls[1], 10000);
	cr_expect_eq(calls[2], 20000);
	cr_expect_eq(calls[3], 25000);
}

Test(gen_world, honours_county_year_hospitals_people_and_a_new_directory)
{
	struct zt_gen_opts o = {.claims = 50, .seed = 3, .county = "360721", .year = 2020,
	                        .hospitals = 5, .people = 9};
	char dir[600];
	snprintf(dir, sizeof dir, "%s/o/missing/parents", zt_test_tmpdir());
	cr_assert_eq(zt_gen_world(&o, dir), 0, "%s", zt_error_last());
	struct reg r;
	load_registry(&r, dir);
	cr_expect_eq(r.hospitals, 5);
	cr_expect_eq(r.people, 9);
	cr_expect_str_eq(r.h[0].code, "H360721001");
	cr_expect_str_eq(r.p[0].psn_no, "P00000001");
	free(r.p);
	struct zt_policy p;
	cr_assert_eq(zt_policy_parse_file(&p, file_of(dir, "policy.xml")), 0, "%s", zt_error_last());
	cr_expect_str_eq(p.county, "360721");
	cr_expect_eq(p.effective_from, 20200101);
	cr_expect_eq(p.effective_to, 20201231);
	char *claims = zt_test_slurp(file_of(dir, "claims.xml"));
	cr_expect(strstr(claims, "<adm_date>2020-") != NULL);
	cr_expect(strstr(claims, "<adm_date>2017-") == NULL);
	free(claims);
}

Test(gen_world, zero_claims_is_an_empty_claims_list)
{
	const char *dir = make_world("z", 0, 1);
	xmlDocPtr doc = parse(dir, "claims.xml", ZT_SCHEMA_CLAIM);
	xmlNode *root = xmlDocGetRootElement(doc);
	cr_expect_str_eq((const char *)root->name, "claims");
	cr_expect_null(child_el(root, "claim"));
	xmlFreeDoc(doc);
}

Test(gen_world, refuses_options_out_of_range)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/bad", zt_test_tmpdir());
	struct zt_gen_opts o = {.claims = 1, .county = "5101"};
	cr_expect_eq(zt_gen_world(&o, dir), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "5101") != NULL, "%s", zt_error_last());
	o = (struct zt_gen_opts){.claims = 1, .hospitals = -1};
	cr_expect_eq(zt_gen_world(&o, dir), ZT_EINVAL);
	o = (struct zt_gen_opts){.claims = 1, .people = 1000000};
	cr_expect_eq(zt_gen_world(&o, dir), ZT_EINVAL);
	o = (struct zt_gen_opts){.claims = 1, .year = 10000};
	cr_expect_eq(zt_gen_world(&o, dir), ZT_EINVAL);
	o = (struct zt_gen_opts){.claims = 1};
	cr_expect_eq(zt_gen_world(&o, ""), ZT_EINVAL);
	cr_expect_eq(zt_gen_world(&o, "/proc/no-such-place/x"), ZT_EIO);
}

/* ==== rules v2 and claim v2 worlds (gen.h: catalog, periods, national) ========== */

#include <openssl/evp.h>

#include "worldutil.h"
#include "zhitong/catalog.h"
#include "zhitong/split.h"

static const char *gen_v2(const char *name, uint64_t claims, uint64_t seed, bool catalog,
                          int entries, bool periods, bool national)
{
	static char dirs[4][512];
	static int next;
	char *dir = dirs[next++ % 4];
	snprintf(dir, 512, "%s/%s", zt_test_tmpdir(), name);
	struct zt_gen_opts o = {.claims = claims, .seed = seed, .catalog = catalog,
	                        .catalog_entries = entries, .periods = periods, .national = national};
	cr_assert_eq(zt_gen_world(&o, dir), 0, "zt_gen_world: %s", zt_error_last());
	return dir;
}

static void sha256_hex(char out[65], const char *path)
{
	char *text = zt_test_slurp(path);
	cr_assert_not_null(text, "%s", path);
	unsigned char md[32];
	unsigned int n = 0;
	cr_assert(EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL));
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	free(text);
}

Test(gen_v2, without_the_options_a_world_is_byte_for_byte_what_it_was)
{
	/* digests of `zhitong gen --claims 50 --seed 3 --county 360721 --year
	 * 2020` taken before the options existed */
	struct zt_gen_opts o = {.claims = 50, .seed = 3, .county = "360721", .year = 2020};
	const char *dir = tmp_path("pinned");
	cr_assert_eq(zt_gen_world(&o, dir), 0, "%s", zt_error_last());
	static const struct {
		const char *file, *sha256;
	} pinned[] = {
		{"registry.xml", "31053d5873de995523c5e90e93804aaa6692765f7d5878ff4390ababd385bd89"},
		{"policy.xml", "863edc11066196165859d32b827f787f5f177f005f96e66bffbf04d9099b4672"},
		{"claims.xml", "83e468a92114b7be608db70e42077cd8735830b2a515e26a3246575ab630ce24"},
	};
	for (size_t i = 0; i < 3; i++) {
		char hex[65];
		sha256_hex(hex, file_of(dir, pinned[i].file));
		cr_expect_str_eq(hex, pinned[i].sha256, "%s changed", pinned[i].file);
	}
	struct run r = sh("test -e '%s'", file_of(dir, "catalog.xml"));
	cr_assert_neq(r.code, 0, "no catalogue unless asked");
	run_free(&r);
}

Test(gen_v2, a_catalogue_departs_from_what_hospitals_send_in_every_way)
{
	const char *plain = gen_v2("plain", 1000, 9, false, 0, false, false);
	const char *dir = gen_v2("cat", 1000, 9, true, 0, false, false);
	/* the registry and the policy are the plain world's */
	char a[65], b[65];
	sha256_hex(a, file_of(plain, "registry.xml"));
	sha256_hex(b, file_of(dir, "registry.xml"));
	cr_assert_str_eq(a, b);
	sha256_hex(a, file_of(plain, "policy.xml"));
	sha256_hex(b, file_of(dir, "policy.xml"));
	cr_assert_str_eq(a, b);

	struct zt_test_world w;
	zt_test_world_load(&w, dir);
	cr_assert_not_null(w.catalog);
	const struct zt_catalog *cat = w.catalog;
	cr_assert_str_eq(zt_catalog_info(cat)->id, "cat-510101-2017");
	int twice = 0, per_level = 0, no_ceiling = 0, selfpay = 0, one_level_only = 0;
	for (size_t k = 0; k < zt_catalog_count(cat); k++) {
		const struct zt_catalog_entry *e = zt_catalog_entry_at(cat, k);
		if (k > 0 && strcmp(e->code, zt_catalog_entry_at(cat, k - 1)->code) == 0)
			twice++;
		int levels = e->has_ceiling[0] + e->has_ceiling[1] + e->has_ceiling[2] + e->has_ceiling[3];
		per_level += levels > 0 && levels < 4;
		one_level_only += levels == 2;
		no_ceiling += levels == 0;
		selfpay += e->has_selfpay_prop;
	}
	cr_expect_gt(twice, 10, "codes with a gap or a change of class");
	cr_expect_gt(per_level, 20, "ceilings for some levels only");
	cr_expect_gt(one_level_only, 5);
	cr_expect_gt(no_ceiling, 100);
	cr_expect_gt(selfpay, 20);
	/* classified against the claims: items not found, items that differ,
	 * and every hospital level */
	int not_found = 0, differ = 0, gap = 0, items = 0;
	for (int i = 0; i < w.claim_count; i++) {
		const struct zt_claim *c = &w.claims[i].claim;
		const struct zt_hospital *h = zt_test_world_hospital(&w, c->fixmedins_code);
		struct zt_item_class *eff = calloc((size_t)c->item_count, sizeof *eff);
		differ += zt_catalog_classify(eff, cat, h->level, c->dscg_date, c);
		for (int k = 0; k < c->item_count; k++, items++) {
			if (!eff[k].entry) {
				not_found++;
				/* in the gap of a code the catalogue lists at other times */
				gap += zt_catalog_find(cat, c->items[k].med_list_codg, 20170101) != NULL;
			}
		}
		free(eff);
	}
	cr_expect_gt(not_found, items / 100, "%d of %d items not found", not_found, items);
	cr_expect_gt(gap, 0, "some items fall in a gap");
	cr_expect_gt(differ, items / 20, "%d of %d items differ", differ, items);
	zt_test_world_free(&w);

	/* padded to an exact size */
	dir = gen_v2("padded", 10, 9, true, 5000, false, false);
	struct zt_catalog *big = NULL;
	cr_assert_eq(zt_catalog_parse_file(&big, file_of(dir, "catalog.xml")), 0, "%s",
	             zt_error_last());
	cr_assert_eq(zt_catalog_count(big), 5000);
	zt_catalog_free(big);
}

Test(gen_v2, periods_give_the_same_people_dated_categories)
{
	const char *plain = gen_v2("plain", 400, 5, false, 0, false, false);
	const char *dir = gen_v2("periods", 400, 5, false, 0, true, false);
	struct zt_test_world a, b;
	zt_test_world_load(&a, plain);
	zt_test_world_load(&b, dir);
	cr_assert_eq(a.person_count, b.person_count);
	int with = 0, changes = 0;
	for (int i = 0; i < a.person_count; i++) {
		const struct zt_person *p = &a.people[i], *q = &b.people[i];
		cr_assert_str_eq(p->psn_no, q->psn_no);
		cr_assert_eq(p->category, q->category, "the attribute is the same");
		cr_assert_str_eq(p->county, q->county);
		cr_assert_eq(p->version, 1);
		cr_assert_eq(q->version, 2);
		with += q->period_count > 0;
		if (zt_person_category_on(q, 20170101) != zt_person_category_on(q, 20171231))
			changes++;
	}
	cr_expect_gt(with, a.person_count / 20, "%d of %d people", with, a.person_count);
	cr_expect_lt(with, a.person_count / 4);
	cr_expect_gt(changes, a.person_count / 20, "categories change during the year");
	/* the claims are the same claims */
	char x[65], y[65];
	sha256_hex(x, file_of(plain, "claims.xml"));
	sha256_hex(y, file_of(dir, "claims.xml"));
	cr_assert_str_eq(x, y);
	zt_test_world_free(&a);
	zt_test_world_free(&b);
}

Test(gen_v2, national_worlds_carry_the_hidden_policys_amounts)
{
	const char *plain = gen_v2("plain", 2000, 11, false, 0, true, false);
	const char *dir = gen_v2("national", 2000, 11, false, 0, true, true);
	struct zt_test_world hidden, w;
	zt_test_world_load(&hidden, plain); /* the full policy the national platform applies */
	zt_test_world_load(&w, dir);
	cr_assert_eq(w.policy.mode, ZT_MODE_SUPPLEMENTARY);
	cr_assert_str_eq(w.policy.national_basic_fund, hidden.policy.basic_fund);
	cr_assert_eq(w.claim_count, hidden.claim_count);
	struct zt_accum *acc = calloc((size_t)w.person_count, sizeof *acc);
	int bill = 0, mismatch_sum = 0, mismatch_bill = 0, checked = 0;
	char msg[ZT_MESSAGE_BYTES_MAX];
	for (int i = 0; i < w.claim_count; i++) {
		const struct zt_test_claim *tc = &w.claims[i];
		cr_assert(tc->v2 && tc->has_national, "claim %d", i);
		cr_assert_str_eq(tc->claim.claim_no, hidden.claims[i].claim.claim_no);
		const struct zt_hospital *h = zt_test_world_hospital(&w, tc->claim.fixmedins_code);
		const struct zt_person *p = zt_test_world_person(&w, tc->claim.psn_no);
		int pi = (int)(p - w.people);
		struct zt_classified cls;
		cr_assert_eq(zt_classify(&cls, &hidden.policy, &tc->claim, msg), ZT_REJ_NONE, "%s", msg);
		struct zt_split_ctx ctx = {h->level, strcmp(h->county, p->county) == 0,
		                           zt_person_category_on(p, tc->claim.dscg_date)};
		acc[pi].relief_count = hidden.policy.relief_count;
		struct zt_split_result r;
		cr_assert_eq(zt_split(&r, &hidden.policy, &ctx, &cls, &acc[pi]), 0);
		acc[pi] = r.accum_after;
		for (int k = 0; k < ZT_RELIEF_MAX; k++)
			acc[pi].relief_paid[k] = 0;
		bill += tc->national.has_bill;
		zt_reject rj = zt_national_check(&w.policy, &tc->national, tc->claim.medfee_sumamt, msg);
		if (rj != ZT_REJ_NONE) {
			cr_assert_eq(rj, ZT_REJ_NATIONAL_MISMATCH, "%s", msg);
			if (strstr(msg, "hifp_pay + hifmi_pay"))
				mismatch_sum++;
			else
				mismatch_bill++;
			continue;
		}
		cr_expect_eq(tc->national.hifp_pay, r.hifp_pay, "claim %d", i);
		cr_expect_eq(tc->national.hifmi_pay, r.hifmi_pay, "claim %d", i);
		cr_expect_eq(tc->national.maf_pay, r.maf_pay, "claim %d", i);
		if (tc->national.has_bill) {
			cr_expect_eq(tc->national.inscp_scp_amt, r.cls.inscp_scp_amt);
			cr_expect_eq(tc->national.act_pay_dedc, r.act_pay_dedc);
		}
		checked++;
	}
	cr_expect_gt(bill, w.claim_count / 3);
	cr_expect_lt(bill, w.claim_count * 2 / 3);
	cr_expect_geq(mismatch_sum, 10);
	cr_expect_geq(mismatch_bill, 10);
	cr_expect_lt(mismatch_sum + mismatch_bill, w.claim_count / 20);
	cr_expect_gt(checked, w.claim_count * 9 / 10);
	free(acc);
	zt_test_world_free(&hidden);
	zt_test_world_free(&w);
}

/* The generator's worlds settled by the reference implementation
 * (tests/reference/split_ref.py) and by the engine's pure functions agree
 * to the fen: a cross-check of both on worlds neither was written for. */
static void reference_agrees(const char *dir)
{
	struct run r = sh("python3 '%s/reference/split_ref.py' '%s' --out '%s/expected.xml'",
	                  ZT_TEST_SOURCE_DIR "/tests", dir, dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	int rejected = 0;
	int settled = zt_test_world_check(dir, &rejected);
	cr_assert_gt(settled, 0);
	cr_log_info("%s: %d settled, %d rejected", dir, settled, rejected);
}

Test(gen_v2, the_reference_and_the_pure_functions_agree_on_a_catalogue_world, .timeout = 120)
{
	reference_agrees(gen_v2("ref-cat", 600, 21, true, 0, true, false));
}

Test(gen_v2, the_reference_and_the_pure_functions_agree_on_a_national_world, .timeout = 120)
{
	reference_agrees(gen_v2("ref-nat", 600, 22, true, 0, true, true));
}

Test(gen_v2, the_command_takes_the_options)
{
	const char *dir = tmp_path("cli");
	char *out = NULL, *err = NULL;
	int rc = zt_test_run(&out, &err, "gen --claims 30 --seed 2 --out '%s' --catalog "
	                                 "--catalog-entries 900 --periods --national", dir);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(err, "catalog.xml"), "%s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "catalog check '%s/catalog.xml'", dir);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, ": 900 entries"), "%s", out);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "rules check '%s/policy.xml'", dir);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, "(supplementary): valid"), "%s", out);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "gen --claims 3 --seed 2 --out '%s' --catalog-entries 9", dir);
	cr_assert_eq(rc, 2, "entries without a catalogue: %s", err);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "gen --claims 3 --seed 2 --out '%s/x' --catalog "
	                             "--catalog-entries -5", dir);
	cr_assert_eq(rc, 2);
	free(out);
	free(err);
	rc = zt_test_run(&out, &err, "gen --help");
	cr_assert_eq(rc, 0);
	cr_assert(strstr(out, "--national") && strstr(out, "--periods") && strstr(out, "--catalog"));
	free(out);
	free(err);
}
