/* zhitong — what rules v2 and claim v2 add to a synthetic world, on
 * request (gen.h: catalog, periods, national). Each draws from a random
 * stream of its own, so a world without these options is byte for byte
 * the world it was before they existed, and turning one on changes only
 * what it is about.
 *
 *  - The catalogue (docs/spec/rules-v2.md §2) lists the world's item codes
 *    with their class, self-pay ratio and ceilings per hospital level, and
 *    departs from what hospitals send the way real ones do: 3% of the codes
 *    are missing, 3% have a gap in July between two entries, 3% change
 *    class on July 1, 6% have another class than the one every hospital
 *    sends; ceilings are set for some levels only, and some codes the
 *    hospitals send without a ceiling have one. One hospital in five sends
 *    another class for one code in seven (an outdated list).
 *  - Category periods (§3): one person in eight enters poverty during the
 *    year, leaves it, or moves from lowinc to destitute.
 *  - National worlds (docs/spec/claim-v2-national.md): the generator's
 *    own full policy — the one it writes without the option — settles
 *    every claim with the engine's split, in file order with each person's
 *    yearly totals, as the national platform would; the claims carry the
 *    result in <national>, half with the five bill fields, and one in
 *    fifty is made inconsistent (the three amounts above the bill, or the
 *    bill fields not adding up) so that it must be rejected
 *    national-mismatch. */
#include "gen_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/registry.h"
#include "zhitong/split.h"

/* ---- set-up ----------------------------------------------------------------- */

int gen_v2_prepare(struct world *g)
{
	const struct zt_gen_opts *o = g->o;
	g->periods_rng = rng_stream(o->seed, GEN_STREAM_PERIODS);
	g->national_rng = rng_stream(o->seed, GEN_STREAM_NATIONAL);
	if (o->periods || o->national) {
		g->persons = calloc((size_t)g->people, sizeof *g->persons);
		if (!g->persons)
			return zt_error_set(ZT_ENOMEM, "out of memory for %d people", g->people);
	}
	if (!o->national)
		return 0;
	g->national = calloc((size_t)g->people, sizeof *g->national);
	g->scratch = malloc(sizeof *g->scratch);
	if (!g->national || !g->scratch)
		return zt_error_set(ZT_ENOMEM, "out of memory for %d people", g->people);
	zt_claim_init(g->scratch);
	return gen_parse_hidden_policy(g);
}

void gen_v2_free(struct world *g)
{
	if (g->scratch)
		zt_claim_free(g->scratch);
	free(g->scratch);
	free(g->national);
	free(g->hidden);
	free(g->persons);
	g->scratch = NULL;
	g->national = NULL;
	g->hidden = NULL;
	g->persons = NULL;
}

/* ---- category periods --------------------------------------------------------- */

static const char *const category_names[] = {"general", "poor", "lowinc", "destitute"};

/* The value of an ENTER or LEAVE period: poor, or what differs from a
 * poor attribute. */
static int entered(int cat) { return cat == ZT_CAT_POOR ? ZT_CAT_DESTITUTE : ZT_CAT_POOR; }
static int left(int cat) { return cat == ZT_CAT_POOR ? ZT_CAT_LOWINC : ZT_CAT_POOR; }

static void period(struct xw *x, int value, zt_date from, zt_date to)
{
	char f[ZT_FMT_BYTES], t[ZT_FMT_BYTES];
	xw_start(x, "category");
	xw_attr(x, "value", category_names[value]);
	xw_attr(x, "from", zt_format_date(f, from));
	if (to)
		xw_attr(x, "to", zt_format_date(t, to));
	xw_end(x);
}

void gen_person_periods(struct world *g, struct xw *x, int i, int cat)
{
	if (!g->persons)
		return;
	struct gen_person *p = &g->persons[i];
	p->category = (uint8_t)cat;
	p->shape = GEN_PERIODS_NONE;
	if (!g->o->periods)
		return;
	struct rng *r = &g->periods_rng;
	uint64_t d = rng_below(r, 1000), shape = rng_below(r, 3);
	int days = leap(g->year) ? 366 : 365;
	p->day = date_of(g->year, 30 + (int)rng_below(r, (uint64_t)(days - 60)));
	if (d >= 125)
		return;
	p->shape = (uint8_t)(GEN_PERIODS_ENTER + shape);
	switch (p->shape) {
	case GEN_PERIODS_ENTER:
		period(x, entered(cat), p->day, 0);
		break;
	case GEN_PERIODS_LEAVE:
		period(x, left(cat), (zt_date)(g->year - 3) * 10000 + 101, p->day);
		break;
	default:
		period(x, ZT_CAT_LOWINC, (zt_date)(g->year - 1) * 10000 + 101, p->day);
		period(x, ZT_CAT_DESTITUTE, zt_date_add(p->day, 1), 0);
		break;
	}
}

/* What the registry says of a person on a day (zt_category_on of what
 * gen_person_periods wrote). */
static zt_category category_on(const struct world *g, uint32_t person, zt_date day)
{
	const struct gen_person *p = &g->persons[person];
	switch (p->shape) {
	case GEN_PERIODS_ENTER:
		return day >= p->day ? (zt_category)entered(p->category) : (zt_category)p->category;
	case GEN_PERIODS_LEAVE:
		return day <= p->day ? (zt_category)left(p->category) : (zt_category)p->category;
	case GEN_PERIODS_MOVE:
		return day <= p->day ? ZT_CAT_LOWINC : ZT_CAT_DESTITUTE;
	default:
		return (zt_category)p->category;
	}
}

/* ---- policies --------------------------------------------------------------------- */

/* The county's part of the full policy, on top of the national platform. */
void gen_supplementary_policy(struct world *g, struct xw *x)
{
	char id[48], name[96], from[16], to[16];
	snprintf(id, sizeof id, "%s-%d-supplementary", g->county, g->year);
	snprintf(name, sizeof name, "%s %d年健康扶贫补充结算政策", g->county, g->year);
	snprintf(from, sizeof from, "%d-01-01", g->year);
	snprintf(to, sizeof to, "%d-12-31", g->year);
	xw_start(x, "policy");
	xw_attr(x, "xmlns", "urn:zhitong:policy:2");
	xw_attr(x, "id", id);
	xw_attr(x, "name", name);
	xw_attr(x, "county", g->county);
	xw_attr(x, "effective-from", from);
	xw_attr(x, "effective-to", to);
	xw_attr(x, "mode", "supplementary");
	xw_nl(x);
	xw_empty(x, "items", (const char *[]){"b-selfpay-ratio", "0.10", NULL});
	xw_nl(x);
	xw_empty(x, "national-funds",
	         (const char *[]){"basic", "390100", "critical", "390200", "assistance", "610100", NULL});
	xw_nl(x);
	xw_empty(x, "personal-cap", (const char *[]){"categories", "poor lowinc destitute",
	                                             "in-county", "0.10", "out-of-county", "0.20", NULL});
	xw_nl(x);
	xw_empty(x, "relief", (const char *[]){"fund", "610103", "name", "卫生扶贫救助基金",
	                                       "categories", "poor destitute", "in-county-only", "true",
	                                       "ratio", "1", "annual-cap", "20000.00", NULL});
	xw_nl(x);
	xw_empty(x, "relief", (const char *[]){"fund", "610104", "name", "疾病应急救助基金",
	                                       "categories", "poor lowinc destitute",
	                                       "in-county-only", "false", "ratio", "0.50",
	                                       "annual-cap", "none", NULL});
	xw_nl(x);
	xw_empty(x, "remainder", (const char *[]){"to", "hospital", NULL});
	xw_nl(x);
	xw_end(x);
}

/* The national platform's policy: the full one `gen` writes without
 * --national, written to memory and read back with the engine's parser. */
int gen_parse_hidden_policy(struct world *g)
{
	struct xw x;
	int rc = xw_open_memory(&x, "hidden-policy.xml");
	if (rc)
		return rc;
	gen_full_policy(g, &x);
	xmlBufferPtr buf = x.buf;
	if ((rc = xw_close(&x, 0)) == 0) {
		g->hidden = malloc(sizeof *g->hidden);
		if (!g->hidden)
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
		else
			rc = zt_policy_parse(g->hidden, (const char *)xmlBufferContent(buf),
			                     (size_t)xmlBufferLength(buf), "hidden-policy.xml");
	}
	xmlBufferFree(buf);
	return rc;
}

/* ---- the catalogue ------------------------------------------------------------------ */

int gen_sent_class(const struct world *g, int hospital, const struct catalog_entry *e)
{
	if (!g->o->catalog || hospital % 5 != 4 || (e - g->catalog) % 7 != 3)
		return e->lv;
	return e->lv % 3 + 1;
}

static const char *const type_names[GEN_TYPES + 1] = {
	"", "床位费", "诊察费", "检查费", "化验费", "治疗费", "手术费", "护理费",
	"卫生材料费", "西药费", "中药饮片费", "中成药费", "一般诊疗费", "挂号费", "其他费"};

struct cat_line {
	const char *code;
	char name[64];
	int lv;
	bool one_digit;
	zt_bp selfpay; /* -1 none */
	zt_q4 ceiling[ZT_LEVELS]; /* 0 none */
	zt_date from, to;
};

static void cat_entry(struct xw *x, const struct cat_line *l)
{
	char buf[ZT_FMT_BYTES];
	xw_start(x, "entry");
	xw_attr(x, "code", l->code);
	xw_attr(x, "name", l->name);
	snprintf(buf, sizeof buf, l->one_digit ? "%d" : "%02d", l->lv);
	xw_attr(x, "chrgitm_lv", buf);
	if (l->lv == 2 && l->selfpay >= 0)
		xw_attr(x, "selfpay_prop", fmt_ratio(buf, l->selfpay, true));
	xw_attr(x, "from", zt_format_date(buf, l->from));
	if (l->to)
		xw_attr(x, "to", zt_format_date(buf, l->to));
	for (int lv = 0; lv < ZT_LEVELS; lv++) {
		if (!l->ceiling[lv])
			continue;
		char level[4], pric[ZT_FMT_BYTES];
		snprintf(level, sizeof level, "%d", lv + 1);
		xw_empty(x, "ceiling", (const char *[]){"level", level, "pric",
		                                        fmt_q4(pric, l->ceiling[lv], true), NULL});
	}
	xw_end(x);
	xw_nl(x);
}

static zt_q4 percent(zt_q4 v, int pct)
{
	zt_q4 r = v * pct / 100;
	return r > 0 ? r : 1;
}

/* The entries of one item of the world's list: returns how many (0 to 2). */
static int cat_world_entry(struct world *g, struct xw *x, struct rng *r, int k)
{
	static const zt_bp props[] = {0, 500, 1000, 1500, 2000, 3000};
	const struct catalog_entry *e = &g->catalog[k];
	uint64_t kind = rng_below(r, 1000), sp = rng_below(r, 1000), ce = rng_below(r, 1000),
	         to = rng_below(r, 2), prop = rng_below(r, COUNT(props));
	zt_date jan1 = (zt_date)g->year * 10000 + 101, dec31 = (zt_date)g->year * 10000 + 1231;
	struct cat_line l = {.code = e->code, .lv = e->lv, .one_digit = k % 4 == 1, .selfpay = -1,
	                     .from = jan1, .to = to ? dec31 : 0};
	snprintf(l.name, sizeof l.name, "%s项目%04d", type_names[e->type], k + 1);
	if (kind < 30)
		return 0; /* not in the catalogue: fully self-paid */
	if (kind >= 90 && kind < 150)
		l.lv = e->lv % 3 + 1; /* the insurer classes it otherwise */
	if (e->lv == 2 && e->selfpay_bp >= 0)
		l.selfpay = e->selfpay_bp;
	else if (sp < 300)
		l.selfpay = props[prop];
	if (e->ceiling) {
		l.ceiling[0] = percent(e->ceiling, 90);
		l.ceiling[1] = e->ceiling;
		l.ceiling[2] = percent(e->ceiling, 110);
		if (ce < 200)
			l.ceiling[3] = percent(e->ceiling, 120);
	} else if (ce < 100) {
		l.ceiling[0] = l.ceiling[1] = percent(e->pric, 80);
	}
	int n = 1;
	if (kind < 60) { /* a gap in July */
		l.to = (zt_date)g->year * 10000 + 630;
		cat_entry(x, &l);
		l.from = (zt_date)g->year * 10000 + 801;
		l.to = 0;
		n++;
	} else if (kind < 90) { /* another class from July 1 */
		l.to = (zt_date)g->year * 10000 + 630;
		cat_entry(x, &l);
		l.lv = e->lv % 3 + 1;
		l.from = (zt_date)g->year * 10000 + 701;
		l.to = 0;
		n++;
	}
	cat_entry(x, &l);
	return n;
}

int gen_write_catalog(struct world *g, const char *path)
{
	struct rng r = rng_stream(g->o->seed, GEN_STREAM_CATALOG);
	struct xw x = {0};
	char id[48], from[16], to[16];
	int rc = xw_open(&x, path, g->o->out_flags);
	if (rc)
		goto done;
	snprintf(id, sizeof id, "cat-%s-%d", g->county, g->year);
	snprintf(from, sizeof from, "%d-01-01", g->year);
	snprintf(to, sizeof to, "%d-12-31", g->year);
	xw_start(&x, "catalog");
	xw_attr(&x, "xmlns", "urn:zhitong:catalog:1");
	xw_attr(&x, "id", id);
	xw_attr(&x, "county", g->county);
	xw_attr(&x, "effective-from", from);
	xw_attr(&x, "effective-to", to);
	xw_nl(&x);
	int written = 0;
	for (int k = 0; k < g->catalog_count; k++)
		written += cat_world_entry(g, &x, &r, k);
	/* Padding: codes no claim uses, so that lookups run in a catalogue of
	 * a real one's size (the world's own are about 630 entries). */
	for (int k = g->catalog_count; written < g->o->catalog_entries && !x.bad; k++, written++) {
		char code[48];
		snprintf(code, sizeof code, "XP%02d%09dA001010100000", (int)rng_below(&r, 100), k);
		struct cat_line l = {.code = code, .lv = 1 + (int)rng_below(&r, 3), .selfpay = -1,
		                     .from = (zt_date)g->year * 10000 + 101};
		snprintf(l.name, sizeof l.name, "目录项目%07d", k + 1);
		if (rng_permille(&r, 300))
			l.ceiling[(int)rng_below(&r, ZT_LEVELS)] = (zt_q4)(1 + rng_below(&r, 10000)) * 100;
		cat_entry(&x, &l);
	}
	xw_end(&x);
done:
	return xw_close(&x, rc);
}

/* ---- national worlds ------------------------------------------------------------------ */

static const char *const departments[] = {"内科", "外科", "妇产科", "儿科", "骨科",
                                          "心血管内科", "神经内科", "肿瘤科", "中医科"};

/* The claim as the hospital sent it, for the hidden policy's split. */
static int scratch_claim(struct world *g, const struct gen_item *items, int n, zt_fen total)
{
	struct zt_claim *c = g->scratch;
	zt_claim_reset(c);
	c->medfee_sumamt = total;
	for (int i = 0; i < n; i++) {
		struct zt_item *it = zt_claim_add_item(c);
		if (!it)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		const struct catalog_entry *e = items[i].e;
		it->chrgitm_lv = items[i].lv;
		it->pric = e->pric;
		it->cnt = items[i].cnt;
		it->det_item_fee_sumamt = items[i].amt;
		it->has_pric_uplmt = e->ceiling != 0;
		it->pric_uplmt_amt = e->ceiling;
		it->has_selfpay_prop = e->selfpay_bp >= 0;
		it->selfpay_prop_bp = e->selfpay_bp >= 0 ? e->selfpay_bp : 0;
	}
	return 0;
}

/* What the national platform pays for this stay: the hidden full policy's
 * split, with the person's national totals of the year. */
static int national_split(struct zt_split_result *res, struct world *g,
                          const struct gen_hospital *h, uint32_t person, zt_date dscg)
{
	struct zt_classified cls;
	char msg[ZT_MESSAGE_BYTES_MAX];
	if (zt_classify(&cls, g->hidden, g->scratch, msg) != ZT_REJ_NONE)
		return zt_error_set(ZT_EINTERNAL, "generator: its own claim does not classify: %s", msg);
	struct gen_national_accum *a = &g->national[person];
	struct zt_accum before = {a->basic_paid, a->critical_base, a->critical_paid,
	                          a->assistance_paid, g->hidden->relief_count, {0}};
	struct zt_split_ctx ctx = {h->level, h->in_county, category_on(g, person, dscg)};
	int rc = zt_split(res, g->hidden, &ctx, &cls, &before);
	if (rc)
		return rc;
	a->basic_paid = res->accum_after.basic_paid;
	a->critical_base = res->accum_after.critical_base;
	a->critical_paid = res->accum_after.critical_paid;
	a->assistance_paid = res->accum_after.assistance_paid;
	return 0;
}

int gen_national_claim(struct world *g, struct xw *x, const struct gen_hospital *h,
                       uint32_t person, zt_date dscg, const struct gen_item *items, int n,
                       zt_fen total)
{
	struct rng *r = &g->national_rng;
	uint64_t ipt = rng_below(r, 1000), dept = rng_below(r, 1000), dep = rng_below(r, 1000),
	         dep_amt = rng_below(r, 50), bill = rng_below(r, 1000),
	         dept_k = rng_below(r, COUNT(departments));
	char buf[ZT_FMT_BYTES], text[64];
	struct zt_split_result res;
	int rc = scratch_claim(g, items, n, total);
	if (!rc)
		rc = national_split(&res, g, h, person, dscg);
	if (rc)
		return rc;
	if (ipt < 300) {
		snprintf(text, sizeof text, "IP%08llu", (unsigned long long)g->claim_index + 1);
		xw_el(x, "ipt_no", text);
	}
	if (dept < 300)
		xw_el(x, "dept_name", departments[dept_k]);
	/* A patient under a personal cap should pay no deposit (money-flow.md). */
	if (dep < 100 && category_on(g, person, dscg) == ZT_CAT_GENERAL)
		xw_el(x, "deposit", zt_format_amount(buf, (zt_fen)(dep_amt + 1) * 10000));

	zt_fen hifp = res.hifp_pay;
	zt_fen fulamt = res.cls.fulamt_ownpay_amt;
	uint64_t k = g->claim_index % 97;
	if (k == 50) /* inconsistent: more than the bill */
		hifp = total - res.hifmi_pay - res.maf_pay + 1;
	bool with_bill = bill < 500 || k == 80;
	if (k == 80) /* inconsistent: the bill does not add up */
		fulamt += 1;
	snprintf(text, sizeof text, "2304-%s-%08llu", h->code, (unsigned long long)g->claim_index + 1);
	xw_start(x, "national");
	xw_attr(x, "setl_id", text);
	xw_el(x, "hifp_pay", zt_format_amount(buf, hifp));
	xw_el(x, "hifmi_pay", zt_format_amount(buf, res.hifmi_pay));
	xw_el(x, "maf_pay", zt_format_amount(buf, res.maf_pay));
	if (with_bill) {
		xw_el(x, "fulamt_ownpay_amt", zt_format_amount(buf, fulamt));
		xw_el(x, "overlmt_selfpay", zt_format_amount(buf, res.cls.overlmt_selfpay));
		xw_el(x, "preselfpay_amt", zt_format_amount(buf, res.cls.preselfpay_amt));
		xw_el(x, "inscp_scp_amt", zt_format_amount(buf, res.cls.inscp_scp_amt));
		xw_el(x, "act_pay_dedc", zt_format_amount(buf, res.act_pay_dedc));
	}
	xw_end(x);
	return 0;
}
