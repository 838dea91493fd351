/* zhitong — synthetic worlds (see gen.h; tools/gen, not part of libzhitong).
 *
 * Shape of a world, chosen to exercise every rule of docs/spec/split.md at realistic
 * proportions rather than to be statistically faithful:
 *  - hospitals of the four levels, one in four outside the county
 *    (referrals go up: those are mostly city and province hospitals);
 *  - people of the four categories (general 55%, poor 25%, lowinc 12%,
 *    destitute 8%), 90% registered in the county; claims are only written
 *    for those, since people registered elsewhere fall under another
 *    county's policy, which this world does not have;
 *  - a catalogue of list items per charge type with fixed prices, levels,
 *    ceilings and self-pay ratios, so one code always means one price;
 *  - 5% of the people are chronic or critical patients who get a fifth of
 *    all admissions, a third of them large (surgery, implants, targeted
 *    drugs), so they cross the critical-illness threshold, its tiers and
 *    the annual caps during the year;
 *  - hospitals differ in how their systems print numbers ("3" or
 *    "3.0000") and levels ("2" or "02"), as real ones do.
 * Files are written with xmlTextWriter, one claim at a time. */
#include "zhitong/gen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/xmlwriter.h>

#include "zhitong/error.h"
#include "zhitong/outfile.h"
#include "zhitong/limits.h"
#include "zhitong/money.h"
#include "zhitong/policy.h"
#include "zhitong/xml.h"
#include "gen_int.h"



/* ---- the world ---------------------------------------------------------- */

static const char *const place_names[] = {"锦江", "青羊", "金牛", "武侯", "成华",
                                          "龙泉", "新都", "温江", "双流", "郫都"};
static const char *const town_names[] = {"城关", "东山", "西河", "南坪", "北岭", "青龙",
                                         "白马", "石桥", "新场", "永安", "太平", "黄龙"};
static const char *const level2_names[] = {"人民医院", "中医医院", "妇幼保健院",
                                           "第二人民医院"};
static const char *const level3_names[] = {"市第一人民医院", "市中心医院", "市第三人民医院",
                                           "市中医医院"};
static const char *const level4_names[] = {"省人民医院", "省肿瘤医院", "医科大学附属医院",
                                           "省妇幼保健院"};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                       "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
                                       "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
static const char *const given_names[] = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强",
                                          "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
                                          "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华",
                                          "文", "华", "玉兰", "红", "国强", "志刚"};

/* Hospital layout, repeated every 12: mostly township and county hospitals
 * in the county; the out-of-county ones are where patients get referred. */
static const struct {
	int level;
	bool out;
} hospital_slots[12] = {{2, false}, {1, false}, {1, false}, {3, false}, {4, true}, {1, false},
                        {2, false}, {3, true},  {1, false}, {4, false}, {1, false}, {2, true}};

static const char *path_join(char *buf, size_t n, const char *dir, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

static int write_registry(struct world *g, const char *path)
{
	struct rng r = rng_stream(g->o->seed, GEN_STREAM_REGISTRY);
	struct xw x = {0};
	int rc = xw_open(&x, path, g->o->out_flags);
	if (rc)
		goto done;
	xw_start(&x, "registry");
	xw_attr(&x, "xmlns", g->o->periods ? "urn:zhitong:registry:2" : "urn:zhitong:registry:1");
	xw_nl(&x);

	int per_level[5] = {0};
	for (int i = 0; i < g->hospital_count; i++) {
		struct gen_hospital *h = &g->hospitals[i];
		int slot = i % 12;
		h->level = hospital_slots[slot].level;
		h->in_county = !hospital_slots[slot].out;
		h->short_numbers = i % 3 == 1;
		h->short_levels = i % 4 == 2;
		char county[ZT_COUNTY_BYTES];
		if (h->in_county)
			snprintf(county, sizeof county, "%s", g->county);
		else
			neighbour_county(county, g->county, h->level >= 4 ? 2 : 1 + i % 2);
		snprintf(h->code, sizeof h->code, "H%s%03d", county, i + 1);
		if (h->in_county)
			g->in_hospitals[g->in_hospital_count++] = i;
		else
			g->out_hospitals[g->out_hospital_count++] = i;

		const char *place = place_names[atoi(county) % (int)COUNT(place_names)];
		int nth = per_level[h->level]++;
		char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)], suffix[32] = "";
		switch (h->level) {
		case 1:
			if (nth >= (int)COUNT(town_names))
				snprintf(suffix, sizeof suffix, "第%d分院", nth / (int)COUNT(town_names) + 1);
			snprintf(name, sizeof name, "%s区%s镇卫生院%s", place,
			         town_names[nth % (int)COUNT(town_names)], suffix);
			break;
		case 2:
			if (nth >= (int)COUNT(level2_names))
				snprintf(suffix, sizeof suffix, "第%d分院", nth / (int)COUNT(level2_names) + 1);
			snprintf(name, sizeof name, "%s区%s%s", place,
			         level2_names[nth % (int)COUNT(level2_names)], suffix);
			break;
		case 3:
			if (nth >= (int)COUNT(level3_names))
				snprintf(suffix, sizeof suffix, "第%d分院", nth / (int)COUNT(level3_names) + 1);
			snprintf(name, sizeof name, "成都%s%s",
			         level3_names[nth % (int)COUNT(level3_names)], suffix);
			break;
		default:
			if (nth >= (int)COUNT(level4_names))
				snprintf(suffix, sizeof suffix, "第%d分院", nth / (int)COUNT(level4_names) + 1);
			snprintf(name, sizeof name, "四川%s%s",
			         level4_names[nth % (int)COUNT(level4_names)], suffix);
			break;
		}
		char level[4];
		snprintf(level, sizeof level, "%d", h->level);
		xw_start(&x, "hospital");
		xw_attr(&x, "code", h->code);
		xw_attr(&x, "name", name);
		xw_attr(&x, "level", level);
		xw_attr(&x, "county", county);
		xw_end(&x);
		xw_nl(&x);
	}

	static const char *const category_names[] = {"general", "poor", "lowinc", "destitute"};
	for (int i = 0; i < g->people; i++) {
		/* The first four make sure every category exists in a tiny world. */
		int cat;
		if (i < 4) {
			cat = i;
		} else {
			uint64_t d = rng_below(&r, 100);
			cat = d < 55 ? 0 : d < 80 ? 1 : d < 92 ? 2 : 3;
		}
		bool in_county = i < 4 || !rng_permille(&r, 100);
		char county[ZT_COUNTY_BYTES];
		if (in_county)
			snprintf(county, sizeof county, "%s", g->county);
		else
			neighbour_county(county, g->county, (int)rng_below(&r, 3));
		if (in_county) {
			g->claimants[g->claimant_count++] = (uint32_t)i;
			if (rng_permille(&r, 50))
				g->chronic[g->chronic_count++] = (uint32_t)i;
		}

		char psn_no[16], name[32], id_no[19];
		snprintf(psn_no, sizeof psn_no, "P%08d", i + 1);
		const char *given = given_names[rng_below(&r, COUNT(given_names))];
		/* One more character for some one-character given names (UTF-8: 3 bytes). */
		const char *given2 = "";
		if (strlen(given) == 3 && rng_permille(&r, 400)) {
			given2 = given_names[rng_below(&r, COUNT(given_names))];
			if (strlen(given2) != 3)
				given2 = "";
		}
		snprintf(name, sizeof name, "%s%s%s", surnames[rng_below(&r, COUNT(surnames))], given, given2);
		make_id_no(id_no, &r, county, g->year);
		xw_start(&x, "person");
		xw_attr(&x, "psn_no", psn_no);
		xw_attr(&x, "name", name);
		xw_attr(&x, "id_no", id_no);
		xw_attr(&x, "category", category_names[cat]);
		xw_attr(&x, "county", county);
		gen_person_periods(g, &x, i, cat);
		xw_end(&x);
		xw_nl(&x);
	}
	if (g->chronic_count == 0)
		g->chronic[g->chronic_count++] = g->claimants[0];

	static const struct {
		const char *code, *name;
	} funds[] = {
		{"390100", "城乡居民基本医疗保险基金"},
		{"390200", "城乡居民大病保险资金"},
		{"610100", "城乡医疗救助基金"},
		{"610103", "卫生扶贫救助基金"},
		{"610104", "疾病应急救助基金"},
	};
	for (size_t i = 0; i < COUNT(funds); i++) {
		xw_start(&x, "fund");
		xw_attr(&x, "code", funds[i].code);
		xw_attr(&x, "name", funds[i].name);
		xw_end(&x);
		xw_nl(&x);
	}
	xw_end(&x);
done:
	return xw_close(&x, rc);
}


/* The policy of docs/spec/interfaces.md's example with every optional feature on:
 * an out-of-county personal cap, a poor tier list of its own, two relief
 * funds of which only the first is tied to the county and capped. */
void gen_full_policy(struct world *g, struct xw *x)
{
	char id[32], name[96], from[16], to[16];
	snprintf(id, sizeof id, "%s-%d", g->county, g->year);
	snprintf(name, sizeof name, "%s %d年健康扶贫一站式结算政策", g->county, g->year);
	snprintf(from, sizeof from, "%d-01-01", g->year);
	snprintf(to, sizeof to, "%d-12-31", g->year);

	xw_start(x, "policy");
	xw_attr(x, "xmlns", "urn:zhitong:policy:1");
	xw_attr(x, "id", id);
	xw_attr(x, "name", name);
	xw_attr(x, "county", g->county);
	xw_attr(x, "effective-from", from);
	xw_attr(x, "effective-to", to);
	xw_nl(x);
	xw_empty(x, "items", (const char *[]){"b-selfpay-ratio", "0.10", NULL});
	xw_nl(x);

	xw_start(x, "basic");
	xw_attr(x, "fund", "390100");
	xw_attr(x, "annual-cap", "150000.00");
	xw_empty(x, "level", (const char *[]){"code", "1", "deductible", "100.00", "ratio", "0.90", NULL});
	xw_empty(x, "level", (const char *[]){"code", "2", "deductible", "400.00", "ratio", "0.80", NULL});
	xw_empty(x, "level", (const char *[]){"code", "3", "deductible", "800.00", "ratio", "0.65", NULL});
	xw_empty(x, "level", (const char *[]){"code", "4", "deductible", "1000.00", "ratio", "0.55", NULL});
	xw_empty(x, "adjust", (const char *[]){"category", "poor", "deductible-factor", "0.5",
	                                        "ratio-bonus", "0.05", "in-county-only", "true", NULL});
	xw_empty(x, "adjust", (const char *[]){"category", "destitute", "deductible-factor", "0",
	                                        "ratio-bonus", "0.05", NULL});
	xw_end(x);
	xw_nl(x);

	xw_start(x, "critical");
	xw_attr(x, "fund", "390200");
	xw_attr(x, "threshold", "10000.00");
	xw_attr(x, "annual-cap", "300000.00");
	xw_attr(x, "include-preselfpay", "false");
	xw_empty(x, "tier", (const char *[]){"upto", "50000.00", "ratio", "0.60", NULL});
	xw_empty(x, "tier", (const char *[]){"upto", "100000.00", "ratio", "0.70", NULL});
	xw_empty(x, "tier", (const char *[]){"ratio", "0.80", NULL});
	xw_start(x, "adjust");
	xw_attr(x, "category", "poor");
	xw_attr(x, "threshold", "5000.00");
	xw_attr(x, "ratio-bonus", "0.05");
	xw_attr(x, "annual-cap", "none");
	xw_empty(x, "tier", (const char *[]){"upto", "30000.00", "ratio", "0.60", NULL});
	xw_empty(x, "tier", (const char *[]){"upto", "80000.00", "ratio", "0.70", NULL});
	xw_empty(x, "tier", (const char *[]){"ratio", "0.80", NULL});
	xw_end(x);
	xw_end(x);
	xw_nl(x);

	xw_start(x, "assistance");
	xw_attr(x, "fund", "610100");
	xw_attr(x, "include-preselfpay", "false");
	xw_empty(x, "category", (const char *[]){"code", "destitute", "deductible", "0.00", "ratio", "1",
	                                          "annual-cap", "none", NULL});
	xw_empty(x, "category", (const char *[]){"code", "lowinc", "deductible", "200.00", "ratio", "0.70",
	                                          "annual-cap", "30000.00", NULL});
	xw_empty(x, "category", (const char *[]){"code", "poor", "deductible", "0.00", "ratio", "0.70",
	                                          "annual-cap", "30000.00", NULL});
	xw_end(x);
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

static int write_policy(struct world *g, const char *path)
{
	struct xw x = {0};
	int rc = xw_open(&x, path, g->o->out_flags);
	if (rc)
		goto done;
	if (g->o->national)
		gen_supplementary_policy(g, &x);
	else
		gen_full_policy(g, &x);
done:
	return xw_close(&x, rc);
}

/* Per national charge type: share of the items (per cent; drugs, tests
 * and consumables dominate real bills), unit price range in yuan for
 * ordinary and for expensive entries (surgery, implants, targeted drugs;
 * 0 = none), and the decimals of list prices. */
static const struct {
	int share;
	int lo, hi;
	int ex_lo, ex_hi;
	int decimals; /* 0, 2 or 4 */
} type_bands[GEN_TYPES + 1] = {
	[1] = {6, 20, 120, 0, 0, 0},          /* 床位费 bed, per day */
	[2] = {4, 5, 30, 0, 0, 0},            /* 诊察费 consultation */
	[3] = {10, 30, 800, 0, 0, 2},         /* 检查费 examination */
	[4] = {14, 5, 300, 0, 0, 2},          /* 化验费 laboratory */
	[5] = {10, 10, 1500, 2000, 20000, 2}, /* 治疗费 treatment */
	[6] = {2, 200, 8000, 5000, 40000, 0}, /* 手术费 surgery */
	[7] = {5, 10, 60, 0, 0, 0},           /* 护理费 nursing, per day */
	[8] = {10, 1, 1500, 2000, 50000, 4},  /* 卫生材料费 consumables */
	[9] = {20, 0, 200, 500, 10000, 4},    /* 西药费 western drugs */
	[10] = {5, 0, 50, 0, 0, 4},           /* 中药饮片费 herbal pieces */
	[11] = {8, 1, 200, 0, 0, 4},          /* 中成药费 patent medicines */
	[12] = {2, 10, 20, 0, 0, 0},          /* 一般诊疗费 general treatment */
	[13] = {2, 1, 50, 0, 0, 0},           /* 挂号费 registration */
	[14] = {2, 1, 200, 0, 0, 2},          /* 其他费 other */
};

/* A list price in [lo, hi) yuan, skewed towards the cheap end (a uniform
 * draw below a uniform draw: mean a quarter of the range) as price lists
 * are, with the decimals the type is priced in. */
static zt_q4 random_price(struct rng *r, int lo, int hi, int decimals)
{
	uint64_t x = rng_below(r, (uint64_t)(hi - lo) * 10000);
	x = rng_below(r, x + 1);
	zt_q4 q = (zt_q4)lo * 10000 + (zt_q4)x;
	if (decimals == 0)
		q = q / 10000 * 10000;
	else if (decimals == 2)
		q = q / 100 * 100;
	if (q < 500) /* nothing on the list costs less than 0.05 */
		q += 500;
	return q;
}

static int random_type(struct rng *r)
{
	int d = (int)rng_below(r, 100);
	for (int t = 1; t < GEN_TYPES; t++) {
		if (d < type_bands[t].share)
			return t;
		d -= type_bands[t].share;
	}
	return GEN_TYPES;
}

static void make_code(char out[48], struct rng *r, int type, int serial)
{
	const char *L = "ABCDEFGHJKLMNPRSTV";
	switch (type) {
	case 9: /* national drug code: X + ATC-like + dosage form + maker */
		snprintf(out, 48, "X%c%02d%c%c%c%03dA%03d010100000", L[rng_below(r, 18)],
		         (int)rng_below(r, 100), L[rng_below(r, 18)], L[rng_below(r, 18)],
		         L[rng_below(r, 18)], serial, (int)rng_below(r, 1000));
		break;
	case 11:
		snprintf(out, 48, "Z%c%02d%c%c%03dB%03d010100000", L[rng_below(r, 18)],
		         (int)rng_below(r, 100), L[rng_below(r, 18)], L[rng_below(r, 18)], serial,
		         (int)rng_below(r, 1000));
		break;
	case 10:
		snprintf(out, 48, "T%03d%06d", serial, (int)rng_below(r, 1000000));
		break;
	case 8: /* medical consumables: C + class digits */
		snprintf(out, 48, "C%02d%02d%02d%02d%03d%07d", (int)rng_below(r, 20), (int)rng_below(r, 100),
		         (int)rng_below(r, 100), (int)rng_below(r, 100), serial, (int)rng_below(r, 10000000));
		break;
	default: /* service items: 00 + class + item - local sub-code */
		snprintf(out, 48, "00%02d%02d%05d%04d-%02d%07d", type, (int)rng_below(r, 100),
		         (int)rng_below(r, 100000), serial, type, (int)rng_below(r, 10000000));
		break;
	}
}

static void make_entry(struct catalog_entry *e, struct rng *r, int type, int serial, bool expensive)
{
	e->type = type;
	make_code(e->code, r, type, serial);
	uint64_t d = rng_below(r, 100);
	e->lv = d < 55 ? 1 : d < 85 ? 2 : 3;
	if (expensive)
		e->pric = random_price(r, type_bands[type].ex_lo, type_bands[type].ex_hi,
		                       type_bands[type].decimals);
	else
		e->pric = random_price(r, type_bands[type].lo, type_bands[type].hi, type_bands[type].decimals);
	e->ceiling = 0;
	if (rng_permille(r, expensive ? 250 : 100)) {
		/* Half the ceilings sit below the price, so over-limit applies. */
		int pct = rng_permille(r, 500) ? 60 + (int)rng_below(r, 40) : 100 + (int)rng_below(r, 50);
		e->ceiling = e->pric * pct / 100;
		if (e->ceiling == 0)
			e->ceiling = 1;
	}
	e->selfpay_bp = -1;
	if (e->lv == 2 && rng_permille(r, 400)) {
		static const zt_bp props[] = {0, 500, 1000, 1500, 2000, 3000, 10000};
		e->selfpay_bp = props[rng_below(r, COUNT(props))];
	}
}

static int build_catalog(struct world *g)
{
	struct rng r = rng_stream(g->o->seed, GEN_STREAM_ITEMS);
	int expensive_types = 0;
	for (int t = 1; t <= GEN_TYPES; t++)
		expensive_types += type_bands[t].ex_hi > 0;
	g->catalog_count = GEN_TYPES * GEN_CATALOG_PER_TYPE + expensive_types * GEN_CATALOG_EXPENSIVE;
	g->catalog = calloc((size_t)g->catalog_count, sizeof *g->catalog);
	if (!g->catalog)
		return zt_error_set(ZT_ENOMEM, "out of memory for the item catalogue");
	int n = 0;
	for (int t = 1; t <= GEN_TYPES; t++)
		for (int i = 0; i < GEN_CATALOG_PER_TYPE; i++, n++)
			make_entry(&g->catalog[n], &r, t, n + 1, false);
	g->expensive_first = n;
	for (int t = 1; t <= GEN_TYPES; t++)
		if (type_bands[t].ex_hi > 0)
			for (int i = 0; i < GEN_CATALOG_EXPENSIVE; i++, n++)
				make_entry(&g->catalog[n], &r, t, n + 1, true);
	return 0;
}

static zt_q4 random_count(struct rng *r, const struct catalog_entry *e, int days, bool expensive)
{
	static const zt_q4 drugs[] = {10000, 20000, 30000, 5000, 12500, 60000, 100000, 140000, 200000, 280000};
	static const zt_q4 herbs[] = {100000, 125000, 150000, 300000, 62500, 90000};
	static const zt_q4 usual[] = {10000, 10000, 10000, 20000, 5000, 12500, 30000};
	static const zt_q4 dear[] = {10000, 10000, 10000, 20000, 5000};
	if (expensive)
		return dear[rng_below(r, COUNT(dear))];
	switch (e->type) {
	case 1: case 7: return (zt_q4)(days > 0 ? days : 1) * 10000; /* per day in hospital */
	case 9: case 11: return drugs[rng_below(r, COUNT(drugs))];
	case 10: return herbs[rng_below(r, COUNT(herbs))];
	default: return usual[rng_below(r, COUNT(usual))];
	}
}

static const char *const diagnoses[] = {"I63.900", "J18.900", "E11.900", "I10.x00", "K35.800",
                                        "S72.000", "O80.000", "J44.100", "I25.100", "K80.100",
                                        "M17.900", "N20.000", "A15.000", "I50.900", "J20.900"};
static const char *const grave_diagnoses[] = {"C34.900", "C16.900", "C22.000", "N18.500",
                                              "C50.900", "I21.900", "I61.900", "C18.900"};

static int write_claim(struct world *g, struct xw *x, struct rng *r, struct gen_item *items)
{
	bool chronic = rng_permille(r, 200);
	uint32_t person = chronic ? g->chronic[rng_below(r, g->chronic_count)]
	                          : g->claimants[rng_below(r, g->claimant_count)];
	bool large = chronic && rng_permille(r, 350);
	bool out = g->out_hospital_count > 0 && rng_permille(r, large ? 400 : 150);
	struct gen_hospital *h = out ? &g->hospitals[g->out_hospitals[rng_below(r, (uint64_t)g->out_hospital_count)]]
	                             : &g->hospitals[g->in_hospitals[rng_below(r, (uint64_t)g->in_hospital_count)]];

	int year_days = leap(g->year) ? 366 : 365;
	int los = (int)rng_below(r, 8) + (int)rng_below(r, 8);
	if (large || rng_permille(r, 50))
		los += (int)rng_below(r, 30);
	int adm = (int)rng_below(r, (uint64_t)(year_days - los));
	char adm_s[ZT_FMT_BYTES], dscg_s[ZT_FMT_BYTES];
	zt_format_date(adm_s, date_of(g->year, adm));
	zt_format_date(dscg_s, date_of(g->year, adm + los));

	int n = 1 + (int)rng_below(r, GEN_ITEMS_MAX);
	zt_fen total = 0;
	int per_type = GEN_CATALOG_PER_TYPE;
	int expensive_count = g->catalog_count - g->expensive_first;
	for (int i = 0; i < n; i++) {
		bool dear = large && (i == 0 || rng_permille(r, 100));
		const struct catalog_entry *e =
			dear ? &g->catalog[g->expensive_first + (int)rng_below(r, (uint64_t)expensive_count)]
			     : &g->catalog[(random_type(r) - 1) * per_type + (int)rng_below(r, (uint64_t)per_type)];
		items[i].e = e;
		items[i].lv = gen_sent_class(g, (int)(h - g->hospitals), e);
		items[i].cnt = random_count(r, e, los, dear);
		int rc = zt_rhu128(&items[i].amt, (__int128)e->pric * items[i].cnt, 1000000);
		if (rc)
			return rc;
		rc = zt_add(&total, total, items[i].amt);
		if (rc)
			return rc;
	}

	char buf[ZT_FMT_BYTES], psn_no[16], claim_no[48];
	snprintf(psn_no, sizeof psn_no, "P%08u", person + 1);
	snprintf(claim_no, sizeof claim_no, "ZY%d-%06llu", g->year, (unsigned long long)++h->claims);
	xw_start(x, "claim");
	xw_el(x, "fixmedins_code", h->code);
	xw_el(x, "claim_no", claim_no);
	xw_el(x, "psn_no", psn_no);
	xw_el(x, "adm_date", adm_s);
	xw_el(x, "dscg_date", dscg_s);
	xw_el(x, "dscg_maindiag_code", large || (chronic && rng_permille(r, 500))
	                                   ? grave_diagnoses[rng_below(r, COUNT(grave_diagnoses))]
	                                   : diagnoses[rng_below(r, COUNT(diagnoses))]);
	xw_el(x, "medfee_sumamt", zt_format_amount(buf, total));
	xw_start(x, "items");
	for (int i = 0; i < n; i++) {
		const struct catalog_entry *e = items[i].e;
		xw_start(x, "item");
		snprintf(buf, sizeof buf, "%d", i + 1);
		xw_el(x, "feedetl_sn", buf);
		xw_el(x, "med_list_codg", e->code);
		snprintf(buf, sizeof buf, "%02d", e->type);
		xw_el(x, "med_chrgitm_type", buf);
		snprintf(buf, sizeof buf, h->short_levels ? "%d" : "%02d", items[i].lv);
		xw_el(x, "chrgitm_lv", buf);
		xw_el(x, "pric", fmt_q4(buf, e->pric, h->short_numbers));
		xw_el(x, "cnt", fmt_q4(buf, items[i].cnt, h->short_numbers));
		xw_el(x, "det_item_fee_sumamt", zt_format_amount(buf, items[i].amt));
		if (e->ceiling)
			xw_el(x, "pric_uplmt_amt", fmt_q4(buf, e->ceiling, h->short_numbers));
		if (e->selfpay_bp >= 0)
			xw_el(x, "selfpay_prop", fmt_ratio(buf, e->selfpay_bp, h->short_numbers));
		xw_end(x);
	}
	xw_end(x);
	if (g->o->national) {
		int rc = gen_national_claim(g, x, h, person, date_of(g->year, adm + los), items, n,
		                            total);
		if (rc)
			return rc;
	}
	xw_end(x);
	xw_nl(x);
	g->claim_index++;
	return 0;
}


static int write_claims(struct world *g, const char *path)
{
	struct rng r = rng_stream(g->o->seed, GEN_STREAM_CLAIMS);
	struct gen_item items[GEN_ITEMS_MAX];
	struct xw x = {0};
	int rc = xw_open(&x, path, g->o->out_flags);
	if (rc)
		goto done;
	xw_start(&x, "claims");
	xw_attr(&x, "xmlns", g->o->national ? "urn:zhitong:claim:2" : "urn:zhitong:claim:1");
	xw_nl(&x);
	for (uint64_t i = 0; i < g->o->claims; i++) {
		rc = write_claim(g, &x, &r, items);
		if (rc)
			goto done;
		if (x.bad) {
			rc = zt_error_set(ZT_EIO, "cannot write '%s'", path);
			goto done;
		}
		if (g->o->progress && (i + 1) % GEN_PROGRESS_EVERY == 0 && i + 1 < g->o->claims)
			g->o->progress(g->o->progress_ctx, i + 1, g->o->claims);
	}
	xw_end(&x);
done:
	rc = xw_close(&x, rc);
	if (rc == 0 && g->o->progress)
		g->o->progress(g->o->progress_ctx, g->o->claims, g->o->claims);
	return rc;
}

static int check_opts(const struct zt_gen_opts *o, struct world *g)
{
	const char *county = o->county ? o->county : "510101";
	if (strlen(county) != 6 || strspn(county, "0123456789") != 6)
		return zt_error_set(ZT_EINVAL, "county '%s' is not 6 digits", county);
	snprintf(g->county, sizeof g->county, "%s", county);
	g->year = o->year ? o->year : 2017;
	if (g->year < 1950 || g->year > 9999)
		return zt_error_set(ZT_EINVAL, "year %d is out of range (1950..9999)", g->year);
	g->hospital_count = o->hospitals ? o->hospitals : 12;
	if (g->hospital_count < 1 || g->hospital_count > GEN_HOSPITALS_MAX)
		return zt_error_set(ZT_EINVAL, "hospitals %d is out of range (1..%d)", g->hospital_count,
		                    GEN_HOSPITALS_MAX);
	if (o->people) {
		g->people = o->people;
	} else {
		uint64_t p = o->claims / 4;
		g->people = p < 50 ? 50 : p > GEN_PEOPLE_DEFAULT_MAX ? GEN_PEOPLE_DEFAULT_MAX : (int)p;
	}
	if (g->people < 1 || g->people > GEN_PEOPLE_MAX)
		return zt_error_set(ZT_EINVAL, "people %d is out of range (1..%d)", g->people, GEN_PEOPLE_MAX);
	if (o->catalog_entries < 0 || o->catalog_entries > ZT_CATALOG_ENTRIES_MAX)
		return zt_error_set(ZT_EINVAL, "catalogue entries %d are out of range (0..%d)",
		                    o->catalog_entries, ZT_CATALOG_ENTRIES_MAX);
	if (o->catalog_entries && !o->catalog)
		return zt_error_set(ZT_EINVAL, "catalogue entries are given without a catalogue");
	return 0;
}

/* mkdir -p: each missing component of `dir`, using buf as scratch. */
static int make_dirs(char *buf, size_t size, const char *dir)
{
	snprintf(buf, size, "%s", dir);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return zt_error_set(ZT_EIO, "cannot create '%s': %s", buf, strerror(errno));
		*p = c;
		if (c == '\0')
			return 0;
	}
}

int zt_gen_world(const struct zt_gen_opts *o, const char *outdir)
{
	struct world g = {.o = o};
	char path[4096];
	int rc = check_opts(o, &g);
	if (rc)
		goto done;
	if (!outdir || !outdir[0]) {
		rc = zt_error_set(ZT_EINVAL, "no output directory");
		goto done;
	}
	if (strlen(outdir) + 16 > sizeof path) {
		rc = zt_error_set(ZT_EINVAL, "output directory name is too long");
		goto done;
	}
	rc = make_dirs(path, sizeof path, outdir);
	if (rc)
		goto done;
	zt_xml_init();
	g.hospitals = calloc((size_t)g.hospital_count, sizeof *g.hospitals);
	g.in_hospitals = calloc((size_t)g.hospital_count, sizeof *g.in_hospitals);
	g.out_hospitals = calloc((size_t)g.hospital_count, sizeof *g.out_hospitals);
	g.claimants = calloc((size_t)g.people, sizeof *g.claimants);
	g.chronic = calloc((size_t)g.people, sizeof *g.chronic);
	if (!g.hospitals || !g.in_hospitals || !g.out_hospitals || !g.claimants || !g.chronic) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory for %d people", g.people);
		goto done;
	}
	if ((rc = gen_v2_prepare(&g)))
		goto done;
	rc = write_registry(&g, path_join(path, sizeof path, outdir, "registry.xml"));
	if (rc)
		goto done;
	rc = write_policy(&g, path_join(path, sizeof path, outdir, "policy.xml"));
	if (rc)
		goto done;
	rc = build_catalog(&g);
	if (rc)
		goto done;
	if (o->catalog &&
	    (rc = gen_write_catalog(&g, path_join(path, sizeof path, outdir, "catalog.xml"))))
		goto done;
	rc = write_claims(&g, path_join(path, sizeof path, outdir, "claims.xml"));
done:
	gen_v2_free(&g);
	free(g.catalog);
	free(g.chronic);
	free(g.claimants);
	free(g.out_hospitals);
	free(g.in_hospitals);
	free(g.hospitals);
	return rc;
}
