/* zhitong — test worlds read into plain structs (see worldutil.h). */
#include "worldutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "zhitong/error.h"
#include "testutil.h"
#include "zhitong/money.h"

/* ---- registry --------------------------------------------------------------- */

static int on_hospital(void *ctx, const struct zt_hospital *h, int line)
{
	(void)line;
	struct zt_test_world *w = ctx;
	w->hospitals = realloc(w->hospitals, (size_t)(w->hospital_count + 1) * sizeof *w->hospitals);
	cr_assert_not_null(w->hospitals);
	w->hospitals[w->hospital_count++] = *h;
	return 0;
}

static int on_person(void *ctx, const struct zt_person *p, int line)
{
	(void)line;
	struct zt_test_world *w = ctx;
	w->people = realloc(w->people, (size_t)(w->person_count + 1) * sizeof *w->people);
	cr_assert_not_null(w->people);
	w->people[w->person_count++] = *p;
	return 0;
}

const struct zt_hospital *zt_test_world_hospital(const struct zt_test_world *w, const char *code)
{
	for (int i = 0; i < w->hospital_count; i++)
		if (strcmp(w->hospitals[i].code, code) == 0)
			return &w->hospitals[i];
	return NULL;
}

const struct zt_person *zt_test_world_person(const struct zt_test_world *w, const char *psn_no)
{
	for (int i = 0; i < w->person_count; i++)
		if (strcmp(w->people[i].psn_no, psn_no) == 0)
			return &w->people[i];
	return NULL;
}

/* ---- claims ------------------------------------------------------------------ */

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The element's text, trimmed, in a static buffer; NULL if absent. */
static const char *text(const xmlNode *n, const char *name)
{
	static char buf[256];
	const xmlNode *c = child(n, name);
	if (!c)
		return NULL;
	xmlChar *t = xmlNodeGetContent(c);
	const char *s = (const char *)t;
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	snprintf(buf, sizeof buf, "%s", s);
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\n' || buf[l - 1] == '\t'))
		buf[--l] = '\0';
	xmlFree(t);
	return buf;
}

static void copy_text(char *dst, size_t n, const xmlNode *el, const char *name)
{
	const char *t = text(el, name);
	cr_assert_not_null(t, "<%s> missing", name);
	snprintf(dst, n, "%s", t);
}

static zt_fen amount_of(const xmlNode *el, const char *name)
{
	const char *t = text(el, name);
	zt_fen v = 0;
	cr_assert(t && zt_parse_amount(&v, t, strlen(t)) == 0, "<%s>: %s", name, zt_error_last());
	return v;
}

static zt_q4 q4_of(const char *t)
{
	zt_q4 v = 0;
	cr_assert(zt_parse_q4(&v, t, strlen(t)) == 0, "%s", zt_error_last());
	return v;
}

static zt_date date_of(const xmlNode *el, const char *name)
{
	const char *t = text(el, name);
	zt_date d = 0;
	cr_assert(t && zt_parse_date(&d, t, strlen(t)) == 0, "<%s>", name);
	return d;
}

static void read_item(struct zt_item *it, const xmlNode *n)
{
	copy_text(it->feedetl_sn, sizeof it->feedetl_sn, n, "feedetl_sn");
	copy_text(it->med_list_codg, sizeof it->med_list_codg, n, "med_list_codg");
	copy_text(it->med_chrgitm_type, sizeof it->med_chrgitm_type, n, "med_chrgitm_type");
	it->chrgitm_lv = atoi(text(n, "chrgitm_lv"));
	it->pric = q4_of(text(n, "pric"));
	it->cnt = q4_of(text(n, "cnt"));
	it->det_item_fee_sumamt = amount_of(n, "det_item_fee_sumamt");
	const char *t = text(n, "pric_uplmt_amt");
	if ((it->has_pric_uplmt = t != NULL))
		it->pric_uplmt_amt = q4_of(t);
	t = text(n, "selfpay_prop");
	if ((it->has_selfpay_prop = t != NULL))
		cr_assert_eq(zt_parse_ratio(&it->selfpay_prop_bp, t, strlen(t)), 0);
}

static void read_national(struct zt_test_claim *tc, const xmlNode *n)
{
	tc->has_national = true;
	xmlChar *id = xmlGetProp(n, BAD_CAST "setl_id");
	snprintf(tc->national_setl_id, sizeof tc->national_setl_id, "%s", (const char *)id);
	xmlFree(id);
	struct zt_national_amounts *a = &tc->national;
	a->hifp_pay = amount_of(n, "hifp_pay");
	a->hifmi_pay = amount_of(n, "hifmi_pay");
	a->maf_pay = amount_of(n, "maf_pay");
	if ((a->has_bill = child(n, "fulamt_ownpay_amt") != NULL)) {
		a->fulamt_ownpay_amt = amount_of(n, "fulamt_ownpay_amt");
		a->overlmt_selfpay = amount_of(n, "overlmt_selfpay");
		a->preselfpay_amt = amount_of(n, "preselfpay_amt");
		a->inscp_scp_amt = amount_of(n, "inscp_scp_amt");
		a->act_pay_dedc = amount_of(n, "act_pay_dedc");
	}
}

/* The whole file through xmlReadMemory: the engine's entity loader, which
 * refuses every external resource, would refuse xmlReadFile's too. */
static xmlDocPtr read_doc(const char *path)
{
	char *xml = zt_test_slurp(path);
	cr_assert_not_null(xml, "%s", path);
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), path, "UTF-8", XML_PARSE_NONET);
	free(xml);
	return doc;
}

static void read_claims(struct zt_test_world *w, const char *path)
{
	xmlDocPtr doc = read_doc(path);
	cr_assert_not_null(doc, "%s", path);
	const xmlNode *root = xmlDocGetRootElement(doc);
	bool v2 = root->ns && strcmp((const char *)root->ns->href, "urn:zhitong:claim:2") == 0;
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		w->claims = realloc(w->claims, (size_t)(w->claim_count + 1) * sizeof *w->claims);
		cr_assert_not_null(w->claims);
		struct zt_test_claim *tc = &w->claims[w->claim_count++];
		memset(tc, 0, sizeof *tc);
		tc->v2 = v2;
		struct zt_claim *k = &tc->claim;
		zt_claim_init(k);
		copy_text(k->fixmedins_code, sizeof k->fixmedins_code, c, "fixmedins_code");
		copy_text(k->claim_no, sizeof k->claim_no, c, "claim_no");
		copy_text(k->psn_no, sizeof k->psn_no, c, "psn_no");
		copy_text(k->dscg_maindiag_code, sizeof k->dscg_maindiag_code, c, "dscg_maindiag_code");
		k->adm_date = date_of(c, "adm_date");
		k->dscg_date = date_of(c, "dscg_date");
		k->medfee_sumamt = amount_of(c, "medfee_sumamt");
		for (const xmlNode *it = child(c, "items")->children; it; it = it->next)
			if (it->type == XML_ELEMENT_NODE)
				read_item(zt_claim_add_item(k), it);
		const xmlNode *nat = child(c, "national");
		if (nat)
			read_national(tc, nat);
	}
	xmlFreeDoc(doc);
}

void zt_test_world_load(struct zt_test_world *w, const char *dir)
{
	char path[1024];
	memset(w, 0, sizeof *w);
	snprintf(path, sizeof path, "%s/registry.xml", dir);
	char *xml = zt_test_slurp(path);
	struct zt_registry_visitor v = {w, on_hospital, on_person, NULL};
	cr_assert_eq(zt_registry_parse(xml, strlen(xml), path, &v), 0, "%s", zt_error_last());
	free(xml);
	snprintf(path, sizeof path, "%s/policy.xml", dir);
	cr_assert_eq(zt_policy_parse_file(&w->policy, path), 0, "%s", zt_error_last());
	snprintf(path, sizeof path, "%s/catalog.xml", dir);
	if (access(path, R_OK) == 0)
		cr_assert_eq(zt_catalog_parse_file(&w->catalog, path), 0, "%s", zt_error_last());
	snprintf(path, sizeof path, "%s/claims.xml", dir);
	read_claims(w, path);
}

void zt_test_world_free(struct zt_test_world *w)
{
	for (int i = 0; i < w->claim_count; i++)
		zt_claim_free(&w->claims[i].claim);
	free(w->claims);
	free(w->people);
	free(w->hospitals);
	zt_catalog_free(w->catalog);
	memset(w, 0, sizeof *w);
}

/* ---- expected.xml ---------------------------------------------------------------- */

static void attr(char *dst, size_t n, const xmlNode *el, const char *name)
{
	xmlChar *v = xmlGetProp(el, BAD_CAST name);
	snprintf(dst, n, "%s", v ? (const char *)v : "");
	xmlFree(v);
}

static void read_answer(struct zt_test_answer *a, const xmlNode *s)
{
	memset(a, 0, sizeof *a);
	attr(a->fixmedins_code, sizeof a->fixmedins_code, s, "fixmedins_code");
	attr(a->claim_no, sizeof a->claim_no, s, "claim_no");
	if (strcmp((const char *)s->name, "rejection") == 0) {
		a->rejected = true;
		attr(a->code, sizeof a->code, s, "code");
		return;
	}
	const xmlNode *i = child(s, "setlinfo");
	a->medfee_sumamt = amount_of(i, "medfee_sumamt");
	a->fulamt_ownpay_amt = amount_of(i, "fulamt_ownpay_amt");
	a->overlmt_selfpay = amount_of(i, "overlmt_selfpay");
	a->preselfpay_amt = amount_of(i, "preselfpay_amt");
	a->inscp_scp_amt = amount_of(i, "inscp_scp_amt");
	a->act_pay_dedc = amount_of(i, "act_pay_dedc");
	const char *pool = text(i, "pool_prop_selfpay");
	if ((a->has_pool_prop = pool != NULL))
		cr_assert_eq(zt_parse_ratio(&a->pool_prop_bp, pool, strlen(pool)), 0, "%s", pool);
	a->hifp_pay = amount_of(i, "hifp_pay");
	a->hifmi_pay = amount_of(i, "hifmi_pay");
	a->maf_pay = amount_of(i, "maf_pay");
	a->oth_pay = amount_of(i, "oth_pay");
	a->fund_pay_sumamt = amount_of(i, "fund_pay_sumamt");
	a->hosp_part_amt = amount_of(i, "hosp_part_amt");
	a->psn_part_amt = amount_of(i, "psn_part_amt");
	a->psn_cash_pay = amount_of(i, "psn_cash_pay");
	for (const xmlNode *f = child(s, "setldetail")->children; f; f = f->next) {
		if (f->type != XML_ELEMENT_NODE)
			continue;
		cr_assert_lt(a->fund_count, 3 + ZT_RELIEF_MAX);
		attr(a->fund[a->fund_count], sizeof a->fund[0], f, "fund_pay_type");
		char amt[32];
		attr(amt, sizeof amt, f, "fund_payamt");
		cr_assert_eq(zt_parse_amount(&a->fund_amt[a->fund_count], amt, strlen(amt)), 0);
		a->fund_count++;
	}
	const xmlNode *nat = child(s, "national");
	if (nat)
		attr(a->national_setl_id, sizeof a->national_setl_id, nat, "setl_id");
}

int zt_test_expected_load(struct zt_test_answer **out, const char *dir)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/expected.xml", dir);
	xmlDocPtr doc = read_doc(path);
	cr_assert_not_null(doc, "%s", path);
	int n = 0;
	struct zt_test_answer *a = NULL;
	for (const xmlNode *s = xmlDocGetRootElement(doc)->children; s; s = s->next) {
		if (s->type != XML_ELEMENT_NODE)
			continue;
		a = realloc(a, (size_t)(n + 1) * sizeof *a);
		cr_assert_not_null(a);
		read_answer(&a[n++], s);
	}
	xmlFreeDoc(doc);
	*out = a;
	return n;
}

/* ---- the pure functions against expected.xml ------------------------------------------ */

struct person_year {
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	int year;
	struct zt_accum accum;
};

static struct zt_accum *accum_of(struct person_year **py, int *n, const char *psn_no, int year,
                                 int relief_count)
{
	for (int i = 0; i < *n; i++)
		if ((*py)[i].year == year && strcmp((*py)[i].psn_no, psn_no) == 0)
			return &(*py)[i].accum;
	*py = realloc(*py, (size_t)(*n + 1) * sizeof **py);
	cr_assert_not_null(*py);
	struct person_year *p = &(*py)[(*n)++];
	memset(p, 0, sizeof *p);
	snprintf(p->psn_no, sizeof p->psn_no, "%s", psn_no);
	p->year = year;
	p->accum.relief_count = relief_count;
	return &p->accum;
}

/* What the pure functions say of one claim, before the split: a rejection
 * code, or ZT_REJ_NONE with the classification. */
static zt_reject checks(struct zt_classified *cls, const struct zt_test_world *w,
                        const struct zt_test_claim *tc, const struct zt_hospital *h,
                        const struct zt_person *p, char **ids, int nids, struct zt_item_class *eff)
{
	const struct zt_claim *c = &tc->claim;
	const struct zt_policy *pol = &w->policy;
	char msg[ZT_MESSAGE_BYTES_MAX];
	if (!h)
		return ZT_REJ_UNKNOWN_HOSPITAL;
	if (!p)
		return ZT_REJ_UNKNOWN_PERSON;
	if (c->adm_date > c->dscg_date)
		return ZT_REJ_BAD_DATES;
	if (strcmp(p->county, pol->county) != 0 || c->dscg_date < pol->effective_from ||
	    (pol->effective_to && c->dscg_date > pol->effective_to))
		return ZT_REJ_NO_POLICY;
	const struct zt_catalog *cat = w->catalog;
	if (cat && strcmp(zt_catalog_info(cat)->county, p->county) != 0)
		cat = NULL;
	zt_catalog_classify(eff, cat, h->level, c->dscg_date, c);
	zt_reject rj = zt_classify_items(cls, pol, c, eff, msg);
	if (rj != ZT_REJ_NONE)
		return rj;
	rj = zt_national_check(pol, tc->has_national ? &tc->national : NULL, c->medfee_sumamt, msg);
	if (rj != ZT_REJ_NONE)
		return rj;
	/* The store's part of national-mismatch: a national settlement that
	 * already stands under another claim. */
	for (int i = 0; tc->has_national && i < nids; i++)
		if (strcmp(ids[i], tc->national_setl_id) == 0)
			return ZT_REJ_NATIONAL_MISMATCH;
	return ZT_REJ_NONE;
}

static void compare(const struct zt_test_answer *a, const struct zt_split_result *r,
                    const struct zt_policy *pol, const struct zt_test_claim *tc)
{
	const char *n = tc->claim.claim_no;
	cr_expect_eq(r->cls.medfee_sumamt, a->medfee_sumamt, "%s medfee", n);
	cr_expect_eq(r->cls.fulamt_ownpay_amt, a->fulamt_ownpay_amt, "%s fulamt_ownpay_amt", n);
	cr_expect_eq(r->cls.overlmt_selfpay, a->overlmt_selfpay, "%s overlmt_selfpay", n);
	cr_expect_eq(r->cls.preselfpay_amt, a->preselfpay_amt, "%s preselfpay_amt", n);
	cr_expect_eq(r->cls.inscp_scp_amt, a->inscp_scp_amt, "%s inscp_scp_amt", n);
	cr_expect_eq(r->act_pay_dedc, a->act_pay_dedc, "%s act_pay_dedc", n);
	cr_expect_eq(!r->pool_prop_absent, a->has_pool_prop, "%s pool_prop_selfpay present", n);
	if (a->has_pool_prop)
		cr_expect_eq(r->pool_prop_bp, a->pool_prop_bp, "%s pool_prop_selfpay", n);
	cr_expect_eq(r->hifp_pay, a->hifp_pay, "%s hifp_pay %lld", n, (long long)r->hifp_pay);
	cr_expect_eq(r->hifmi_pay, a->hifmi_pay, "%s hifmi_pay %lld", n, (long long)r->hifmi_pay);
	cr_expect_eq(r->maf_pay, a->maf_pay, "%s maf_pay %lld", n, (long long)r->maf_pay);
	cr_expect_eq(r->oth_pay, a->oth_pay, "%s oth_pay %lld", n, (long long)r->oth_pay);
	cr_expect_eq(r->fund_pay_sumamt, a->fund_pay_sumamt, "%s fund_pay_sumamt", n);
	cr_expect_eq(r->hosp_part_amt, a->hosp_part_amt, "%s hosp_part_amt", n);
	cr_expect_eq(r->psn_part_amt, a->psn_part_amt, "%s psn_part_amt", n);
	cr_expect_eq(r->psn_part_amt, a->psn_cash_pay, "%s psn_cash_pay", n);
	struct zt_fund_share shares[3 + ZT_RELIEF_MAX];
	int k = zt_split_shares(shares, pol, r);
	cr_expect_eq(k, a->fund_count, "%s: %d funds, expected %d", n, k, a->fund_count);
	for (int i = 0; i < k && i < a->fund_count; i++) {
		cr_expect_str_eq(shares[i].fund_code, a->fund[i], "%s fund %d", n, i);
		cr_expect_eq(shares[i].amount, a->fund_amt[i], "%s fund %s", n, a->fund[i]);
	}
	cr_expect_str_eq(tc->has_national ? tc->national_setl_id : "", a->national_setl_id,
	                 "%s national setl_id", n);
}

int zt_test_world_check(const char *dir, int *rejected)
{
	struct zt_test_world w;
	struct zt_test_answer *ans = NULL;
	zt_test_world_load(&w, dir);
	int n = zt_test_expected_load(&ans, dir);
	cr_assert_eq(n, w.claim_count, "%s: %d answers for %d claims", dir, n, w.claim_count);
	struct person_year *py = NULL;
	int npy = 0, nids = 0, settled = 0;
	char **ids = calloc((size_t)w.claim_count + 1, sizeof *ids);
	*rejected = 0;
	for (int i = 0; i < w.claim_count; i++) {
		const struct zt_test_claim *tc = &w.claims[i];
		const struct zt_claim *c = &tc->claim;
		const struct zt_test_answer *a = &ans[i];
		cr_assert_str_eq(a->claim_no, c->claim_no, "%s: answers out of order", dir);
		const struct zt_hospital *h = zt_test_world_hospital(&w, c->fixmedins_code);
		const struct zt_person *p = zt_test_world_person(&w, c->psn_no);
		struct zt_item_class *eff = calloc((size_t)c->item_count, sizeof *eff);
		struct zt_classified cls;
		zt_reject rj = checks(&cls, &w, tc, h, p, ids, nids, eff);
		free(eff);
		if (rj != ZT_REJ_NONE || a->rejected) {
			cr_expect(a->rejected, "%s %s: rejected %s, expected settled", dir, c->claim_no,
			          zt_reject_name(rj));
			cr_expect_str_eq(zt_reject_name(rj), a->code, "%s %s", dir, c->claim_no);
			(*rejected)++;
			continue;
		}
		struct zt_split_ctx ctx = {h->level, strcmp(h->county, p->county) == 0,
		                           zt_person_category_on(p, c->dscg_date)};
		struct zt_accum *acc = accum_of(&py, &npy, p->psn_no, (int)(c->dscg_date / 10000),
		                                w.policy.relief_count);
		struct zt_split_result r;
		int rc = tc->has_national
		                 ? zt_split_supplementary(&r, &w.policy, &ctx, &cls, &tc->national, acc)
		                 : zt_split(&r, &w.policy, &ctx, &cls, acc);
		cr_assert_eq(rc, 0, "%s %s: %s", dir, c->claim_no, zt_error_last());
		compare(a, &r, &w.policy, tc);
		*acc = r.accum_after;
		if (tc->has_national)
			ids[nids++] = strdup(tc->national_setl_id);
		settled++;
	}
	for (int i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(py);
	free(ans);
	zt_test_world_free(&w);
	return settled;
}
