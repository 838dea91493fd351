/* zhitong — the split of one claim across the funds (docs/spec/split.md §1–§5).
 *
 * Pure: no I/O, no allocation, no globals. Every step is computed into a
 * local result and copied out only when the whole split has succeeded, so
 * a caller never sees half a settlement. All arithmetic is integer and
 * overflow-checked; the only rounding is the half-up `rhu` of the spec,
 * except the personal cap, which rounds down. */
#include "zhitong/split.h"

/* Conservation is asserted in every build, release included: a split
 * that loses or makes a fen must stop here, never reach the ledger. */
#undef NDEBUG
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"

/* Price and quantity are in 1/10000 units, so their product is in 1/10^8
 * yuan: dividing by 10^6 gives fen. */
#define Q4_PRODUCT_PER_FEN INT64_C(1000000)

const char *zt_reject_name(zt_reject r)
{
	switch (r) {
	case ZT_REJ_NONE: return "";
	case ZT_REJ_SCHEMA_INVALID: return "schema-invalid";
	case ZT_REJ_DUPLICATE_CLAIM_NO: return "duplicate-claim-no";
	case ZT_REJ_UNKNOWN_HOSPITAL: return "unknown-hospital";
	case ZT_REJ_UNKNOWN_PERSON: return "unknown-person";
	case ZT_REJ_BAD_DATES: return "bad-dates";
	case ZT_REJ_NO_POLICY: return "no-policy";
	case ZT_REJ_AMOUNT_MISMATCH: return "amount-mismatch";
	case ZT_REJ_NOT_SETTLED: return "not-settled";
	case ZT_REJ_NATIONAL_MISSING: return "national-missing";
	case ZT_REJ_NATIONAL_UNEXPECTED: return "national-unexpected";
	case ZT_REJ_NATIONAL_MISMATCH: return "national-mismatch";
	}
	return "unknown";
}

/* ---- §1 classification ------------------------------------------------ */

static zt_reject reject(char *msg, zt_reject code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static zt_reject reject(char *msg, zt_reject code, const char *fmt, ...)
{
	if (msg) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, ZT_MESSAGE_BYTES_MAX, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* "item 3" is the item's position; the hospital's own line number is added
 * when it says something else, so the desk can find the line either way. */
#define LABEL_BYTES (64 + ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX))
static const char *item_label(char out[LABEL_BYTES], int index, const struct zt_item *it)
{
	char pos[16];
	snprintf(pos, sizeof pos, "%d", index + 1);
	if (it->feedetl_sn[0] == '\0' || strcmp(it->feedetl_sn, pos) == 0)
		snprintf(out, LABEL_BYTES, "item %s", pos);
	else
		snprintf(out, LABEL_BYTES, "item %s (feedetl_sn '%s')", pos, it->feedetl_sn);
	return out;
}

static bool q4_in_range(zt_q4 v) { return v >= 0 && v <= ZT_Q4_MAX; }
static bool fen_in_range(zt_fen v) { return v >= 0 && v <= ZT_FEN_MAX; }
static bool bp_in_range(zt_bp v) { return v >= 0 && v <= ZT_BP_ONE; }

zt_reject zt_classify(struct zt_classified *out, const struct zt_policy *p,
                      const struct zt_claim *c, char *msg)
{
	struct zt_classified k = {0};
	zt_fen sum = 0;
	char label[LABEL_BYTES];
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	zt_reject rc = ZT_REJ_NONE;

	/* The policy parser guarantees this; a wrong one is a bug, not input. */
	assert(bp_in_range(p->b_selfpay_ratio_bp));
	if (msg)
		msg[0] = '\0';

	if (c->item_count < 1 || c->item_count > ZT_ITEMS_PER_CLAIM_MAX || !c->items) {
		rc = reject(msg, ZT_REJ_SCHEMA_INVALID, "a claim has 1 to %d items, not %d",
		            ZT_ITEMS_PER_CLAIM_MAX, c->item_count);
		goto done;
	}
	if (!fen_in_range(c->medfee_sumamt)) {
		rc = reject(msg, ZT_REJ_SCHEMA_INVALID, "medfee_sumamt is out of range");
		goto done;
	}

	/* Range first, over every item: schema-invalid takes precedence over
	 * amount-mismatch (docs/spec/interfaces.md), whichever item comes first. */
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		if (it->chrgitm_lv < 1 || it->chrgitm_lv > 3) {
			rc = reject(msg, ZT_REJ_SCHEMA_INVALID, "%s: chrgitm_lv %d is not 01, 02 or 03",
			            item_label(label, i, it), it->chrgitm_lv);
			goto done;
		}
		if (!q4_in_range(it->pric) || !q4_in_range(it->cnt) ||
		    !fen_in_range(it->det_item_fee_sumamt) ||
		    (it->has_pric_uplmt && !q4_in_range(it->pric_uplmt_amt)) ||
		    (it->has_selfpay_prop && !bp_in_range(it->selfpay_prop_bp))) {
			rc = reject(msg, ZT_REJ_SCHEMA_INVALID, "%s: a value is out of range",
			            item_label(label, i, it));
			goto done;
		}
	}

	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		/* Both factors are below 10^18, so the product fits in 128 bits. */
		zt_fen amt = it->det_item_fee_sumamt, expect, over = 0;
		if (zt_rhu128(&expect, (__int128)it->pric * it->cnt, Q4_PRODUCT_PER_FEN)) {
			rc = reject(msg, ZT_REJ_AMOUNT_MISMATCH, "%s: price × quantity would overflow",
			            item_label(label, i, it));
			goto done;
		}
		if (amt != expect) {
			rc = reject(msg, ZT_REJ_AMOUNT_MISMATCH,
			            "%s: amount %s is not price × quantity (%s)", item_label(label, i, it),
			            zt_format_amount(a, amt), zt_format_amount(b, expect));
			goto done;
		}

		if (it->has_pric_uplmt && it->pric > it->pric_uplmt_amt) {
			/* ≤ pric × cnt, which was just shown to fit. */
			if (zt_rhu128(&over, (__int128)(it->pric - it->pric_uplmt_amt) * it->cnt,
			              Q4_PRODUCT_PER_FEN))
				goto overflow;
			over = zt_min(amt, over);
		}
		zt_fen base = amt - over;

		switch (it->chrgitm_lv) {
		case 1:
			if (zt_add(&k.inscp_scp_amt, k.inscp_scp_amt, base))
				goto overflow;
			break;
		case 2: {
			zt_bp r = it->has_selfpay_prop ? it->selfpay_prop_bp : p->b_selfpay_ratio_bp;
			zt_fen pre;
			if (zt_mul_ratio(&pre, base, r) ||
			    zt_add(&k.preselfpay_amt, k.preselfpay_amt, pre) ||
			    zt_add(&k.inscp_scp_amt, k.inscp_scp_amt, base - pre))
				goto overflow;
			break;
		}
		default:
			if (zt_add(&k.fulamt_ownpay_amt, k.fulamt_ownpay_amt, base))
				goto overflow;
			break;
		}
		if (zt_add(&k.overlmt_selfpay, k.overlmt_selfpay, over) || zt_add(&sum, sum, amt))
			goto overflow;
	}

	if (sum != c->medfee_sumamt) {
		rc = reject(msg, ZT_REJ_AMOUNT_MISMATCH, "medfee_sumamt %s is not the sum of the items (%s)",
		            zt_format_amount(a, c->medfee_sumamt), zt_format_amount(b, sum));
		goto done;
	}
	k.medfee_sumamt = sum;
	assert(k.medfee_sumamt ==
	       k.fulamt_ownpay_amt + k.overlmt_selfpay + k.preselfpay_amt + k.inscp_scp_amt);
	*out = k;
	goto done;

overflow:
	rc = reject(msg, ZT_REJ_AMOUNT_MISMATCH, "the sum of the items would overflow");
done:
	return rc;
}

/* ---- §2–§5 the split --------------------------------------------------- */

/* A person's yearly total after this claim: ZT_ERANGE naming the total
 * when it would overflow (the claim is refused, never wrapped). */
static int add_yearly(zt_fen *out, zt_fen before, zt_fen add, const char *what, const char *fund)
{
	if (!__builtin_add_overflow(before, add, out))
		return 0;
	return zt_error_set(ZT_ERANGE, "the person's yearly %s%s%s would overflow", what,
	                    fund ? " of fund " : "", fund ? fund : "");
}

static zt_fen min_room(zt_fen raw, zt_fen cap, zt_fen paid)
{
	return zt_min(raw, zt_cap_room(cap, paid));
}

static zt_bp add_bonus(zt_bp ratio, zt_bp bonus)
{
	int32_t r = ratio + bonus; /* both ≤ 10000: no overflow */
	return r > ZT_BP_ONE ? ZT_BP_ONE : r;
}

static bool valid_cap(zt_fen cap) { return cap == ZT_CAP_NONE || cap >= 0; }

/* The inputs come from our own parsers and store; anything outside their
 * guarantees is a broken invariant, refused before any money moves. */
static int check_inputs(const struct zt_policy *p, const struct zt_split_ctx *ctx,
                        const struct zt_classified *cls, const struct zt_accum *before)
{
	if (ctx->hospital_level < 1 || ctx->hospital_level > ZT_LEVELS)
		return zt_error_set(ZT_EINTERNAL, "split: hospital level %d is not 1..4",
		                    ctx->hospital_level);
	if ((int)ctx->category < 0 || ctx->category >= ZT_CAT_COUNT)
		return zt_error_set(ZT_EINTERNAL, "split: category %d is unknown", (int)ctx->category);
	if (cls->medfee_sumamt < 0 || cls->fulamt_ownpay_amt < 0 || cls->overlmt_selfpay < 0 ||
	    cls->preselfpay_amt < 0 || cls->inscp_scp_amt < 0)
		return zt_error_set(ZT_EINTERNAL, "split: a classified amount is negative");
	zt_fen parts;
	if (zt_add(&parts, cls->fulamt_ownpay_amt, cls->overlmt_selfpay) ||
	    zt_add(&parts, parts, cls->preselfpay_amt) || zt_add(&parts, parts, cls->inscp_scp_amt) ||
	    parts != cls->medfee_sumamt)
		return zt_error_set(ZT_EINTERNAL, "split: the classified parts do not add up");
	if (before->basic_paid < 0 || before->critical_base < 0 || before->critical_paid < 0 ||
	    before->assistance_paid < 0)
		return zt_error_set(ZT_EINTERNAL, "split: an accumulator is negative");
	if (p->relief_count < 0 || p->relief_count > ZT_RELIEF_MAX || p->tier_count < 1 ||
	    p->tier_count > ZT_TIERS_MAX)
		return zt_error_set(ZT_EINTERNAL, "split: the policy's lists are out of range");
	for (int i = 0; i < p->relief_count; i++)
		if (before->relief_paid[i] < 0)
			return zt_error_set(ZT_EINTERNAL, "split: an accumulator is negative");
	const struct zt_critical_adjust *ca = &p->critical_adjust[ctx->category];
	if (ca->present && (ca->tier_count < 0 || ca->tier_count > ZT_TIERS_MAX))
		return zt_error_set(ZT_EINTERNAL, "split: the policy's lists are out of range");
	if (!valid_cap(p->basic_annual_cap_fen) || !valid_cap(p->critical_annual_cap_fen))
		return zt_error_set(ZT_EINTERNAL, "split: an annual cap is negative");
	return 0;
}

/* §2 */
static int split_basic(struct zt_split_result *r, const struct zt_policy *p,
                       const struct zt_split_ctx *ctx, const struct zt_accum *before)
{
	struct zt_trace_basic *t = &r->basic;
	const struct zt_level *lv = &p->levels[ctx->hospital_level - 1];
	const struct zt_basic_adjust *adj = &p->basic_adjust[ctx->category];
	int rc = 0;

	t->inscp = r->cls.inscp_scp_amt;
	t->level_deductible = lv->deductible_fen;
	t->level_ratio_bp = lv->ratio_bp;
	t->adjusted = adj->present && (ctx->in_county || !adj->in_county_only);
	t->deductible_factor_bp = t->adjusted ? adj->deductible_factor_bp : ZT_BP_ONE;
	t->ratio_bonus_bp = t->adjusted ? adj->ratio_bonus_bp : 0;
	t->deductible = lv->deductible_fen;
	t->ratio_bp = lv->ratio_bp;
	if (t->adjusted) {
		if ((rc = zt_mul_ratio(&t->deductible, lv->deductible_fen, t->deductible_factor_bp)))
			goto done;
		t->ratio_bp = add_bonus(lv->ratio_bp, t->ratio_bonus_bp);
	}
	t->act_pay_dedc = zt_min(t->deductible, t->inscp);
	if ((rc = zt_mul_ratio(&t->raw, t->inscp - t->act_pay_dedc, t->ratio_bp)))
		goto done;
	t->annual_cap = p->basic_annual_cap_fen;
	t->paid_before = before->basic_paid;
	t->pay = min_room(t->raw, t->annual_cap, t->paid_before);
	if ((rc = add_yearly(&t->paid_after, t->paid_before, t->pay, "basic-insurance total", NULL)))
		goto done;

	r->act_pay_dedc = t->act_pay_dedc;
	r->pool_prop_bp = t->ratio_bp;
	r->hifp_pay = t->pay;
	r->accum_after.basic_paid = t->paid_after;
done:
	return rc;
}

/* §3 */
static int split_critical(struct zt_split_result *r, const struct zt_policy *p,
                          const struct zt_split_ctx *ctx, const struct zt_accum *before)
{
	struct zt_trace_critical *t = &r->critical;
	const struct zt_critical_adjust *adj = &p->critical_adjust[ctx->category];
	const struct zt_tier *tiers = p->tiers;
	int tier_count = p->tier_count;
	int rc = 0;

	t->inscp = r->cls.inscp_scp_amt;
	t->hifp_pay = r->hifp_pay;
	t->preselfpay_added = p->critical_include_preselfpay ? r->cls.preselfpay_amt : 0;
	/* hifp ≤ inscp − deductible, so the base is never negative. */
	if ((rc = zt_add(&t->base, t->inscp - t->hifp_pay, t->preselfpay_added)))
		goto done;
	t->before = before->critical_base;
	if ((rc = add_yearly(&t->after, t->before, t->base, "critical-illness base", NULL)))
		goto done;

	t->adjusted = adj->present && (ctx->in_county || !adj->in_county_only);
	t->threshold = p->critical_threshold_fen;
	t->ratio_bonus_bp = 0;
	t->annual_cap = p->critical_annual_cap_fen;
	if (t->adjusted) {
		if (adj->has_threshold)
			t->threshold = adj->threshold_fen;
		t->ratio_bonus_bp = adj->ratio_bonus_bp;
		if (adj->has_annual_cap)
			t->annual_cap = adj->annual_cap_fen;
		if (adj->tier_count > 0) {
			t->own_tiers = true;
			tiers = adj->tiers;
			tier_count = adj->tier_count;
		}
	}

	/* Tiers are absolute bands of the year's cumulative base; this claim
	 * pays for the part of [before, after) that falls in each band. */
	zt_fen lower = t->threshold;
	for (int i = 0; i < tier_count; i++) {
		bool open = tiers[i].upto_fen == ZT_CAP_NONE;
		zt_fen band_from = zt_max(t->threshold, lower);
		zt_fen band_to = open ? INT64_MAX : tiers[i].upto_fen;
		if (!open)
			lower = tiers[i].upto_fen;
		zt_fen from = zt_max(t->before, band_from);
		zt_fen to = zt_min(t->after, band_to);
		if (to <= from)
			continue;
		struct zt_trace_segment *s = &t->segments[t->segment_count++];
		s->from = from;
		s->to = to;
		s->ratio_bp = add_bonus(tiers[i].ratio_bp, t->ratio_bonus_bp);
		s->tier_from = band_from;
		s->tier_to = open ? ZT_CAP_NONE : band_to;
		/* ≤ 16 terms of < 2^63 × 10^4: far inside 128 bits. */
		t->weighted += (__int128)(to - from) * s->ratio_bp;
		if (open)
			break;
	}
	if ((rc = zt_rhu128(&t->raw, t->weighted, ZT_BP_ONE)))
		goto done;
	t->paid_before = before->critical_paid;
	t->pay = min_room(t->raw, t->annual_cap, t->paid_before);
	if ((rc = add_yearly(&t->paid_after, t->paid_before, t->pay, "critical-illness total", NULL)))
		goto done;

	r->hifmi_pay = t->pay;
	r->critical_base_added = t->base;
	r->accum_after.critical_base = t->after;
	r->accum_after.critical_paid = t->paid_after;
done:
	return rc;
}

/* §4 */
static int split_assistance(struct zt_split_result *r, const struct zt_policy *p,
                            const struct zt_split_ctx *ctx, const struct zt_accum *before)
{
	struct zt_trace_assistance *t = &r->assistance;
	const struct zt_assist_category *ac = &p->assistance[ctx->category];
	int rc = 0;

	t->eligible = ac->present;
	t->paid_before = before->assistance_paid;
	t->paid_after = before->assistance_paid;
	t->annual_cap = ZT_CAP_NONE;
	if (!t->eligible)
		goto out;

	t->preselfpay_added = p->assistance_include_preselfpay ? r->cls.preselfpay_amt : 0;
	/* Negative when critical insurance, counting the pre-self-paid part,
	 * paid more than what is left of inscp: then nothing is assisted. */
	if ((rc = zt_add(&t->base, r->cls.inscp_scp_amt - r->hifp_pay - r->hifmi_pay,
	                 t->preselfpay_added)))
		goto done;
	t->deductible = ac->deductible_fen;
	t->ratio_bp = ac->ratio_bp;
	t->annual_cap = ac->annual_cap_fen;
	zt_fen above = t->base > t->deductible ? t->base - t->deductible : 0;
	if ((rc = zt_mul_ratio(&t->raw, above, t->ratio_bp)))
		goto done;
	t->pay = min_room(t->raw, t->annual_cap, t->paid_before);
	if ((rc = add_yearly(&t->paid_after, t->paid_before, t->pay, "assistance total", NULL)))
		goto done;
out:
	r->maf_pay = t->pay;
	r->accum_after.assistance_paid = t->paid_after;
done:
	return rc;
}

/* §5 */
static int split_cap(struct zt_split_result *r, const struct zt_policy *p,
                     const struct zt_split_ctx *ctx, const struct zt_accum *before)
{
	struct zt_trace_cap *t = &r->cap;
	zt_fen medfee = r->cls.medfee_sumamt;
	int rc = 0;

	t->psn0 = medfee - r->hifp_pay - r->hifmi_pay - r->maf_pay;
	t->applies = p->cap_categories[ctx->category] &&
	             (ctx->in_county ? p->has_cap_in_county : p->has_cap_out_of_county);
	t->remainder_to_hospital = t->applies && ctx->in_county &&
	                           p->remainder == ZT_REMAINDER_HOSPITAL;

	r->accum_after.relief_count = p->relief_count;
	for (int i = 0; i < p->relief_count; i++) {
		r->relief[i].paid_before = before->relief_paid[i];
		r->relief[i].paid_after = before->relief_paid[i];
		r->relief[i].annual_cap = p->relief[i].annual_cap_fen;
		r->relief[i].ratio_bp = p->relief[i].ratio_bp;
		r->accum_after.relief_paid[i] = before->relief_paid[i];
	}

	if (!t->applies) {
		r->psn_part_amt = t->psn0;
		goto done;
	}

	t->cap_bp = ctx->in_county ? p->cap_in_county_bp : p->cap_out_of_county_bp;
	/* Down, never up: the patient must not pay a fen above the cap. */
	if ((rc = zt_mul_ratio_floor(&t->target, medfee, t->cap_bp)))
		goto done;
	t->gap = t->psn0 > t->target ? t->psn0 - t->target : 0;

	zt_fen gap = t->gap;
	for (int i = 0; i < p->relief_count; i++) {
		const struct zt_relief *f = &p->relief[i];
		struct zt_trace_relief *tr = &r->relief[i];
		tr->eligible = f->categories[ctx->category] && (ctx->in_county || !f->in_county_only);
		if (!tr->eligible)
			continue;
		tr->gap_before = gap;
		if ((rc = zt_mul_ratio(&tr->raw, gap, f->ratio_bp)))
			goto done;
		tr->pay = min_room(tr->raw, f->annual_cap_fen, tr->paid_before);
		if ((rc = add_yearly(&tr->paid_after, tr->paid_before, tr->pay, "relief total", f->fund)))
			goto done;
		gap -= tr->pay;
		tr->gap_after = gap;
		r->relief_pay[i] = tr->pay;
		r->accum_after.relief_paid[i] = tr->paid_after;
		r->oth_pay += tr->pay; /* ≤ the gap: cannot overflow */
	}
	if (t->remainder_to_hospital) {
		r->hosp_part_amt = gap;
		gap = 0;
	}
	t->gap_left = gap;
	r->psn_part_amt = t->psn0 - r->oth_pay - r->hosp_part_amt;
done:
	return rc;
}

int zt_split(struct zt_split_result *out, const struct zt_policy *p,
             const struct zt_split_ctx *ctx, const struct zt_classified *cls,
             const struct zt_accum *before)
{
	struct zt_split_result r;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = check_inputs(p, ctx, cls, before)))
		goto done;
	r.cls = *cls;
	if ((rc = split_basic(&r, p, ctx, before)) || (rc = split_critical(&r, p, ctx, before)) ||
	    (rc = split_assistance(&r, p, ctx, before)) || (rc = split_cap(&r, p, ctx, before)))
		goto done;
	if ((rc = zt_add(&r.fund_pay_sumamt, r.hifp_pay, r.hifmi_pay)) ||
	    (rc = zt_add(&r.fund_pay_sumamt, r.fund_pay_sumamt, r.maf_pay)) ||
	    (rc = zt_add(&r.fund_pay_sumamt, r.fund_pay_sumamt, r.oth_pay)))
		goto done;

	assert(r.hifp_pay >= 0 && r.hifmi_pay >= 0 && r.maf_pay >= 0 && r.oth_pay >= 0);
	assert(r.hosp_part_amt >= 0 && r.psn_part_amt >= 0 && r.cap.psn0 >= 0);
	assert(r.fund_pay_sumamt + r.hosp_part_amt + r.psn_part_amt == r.cls.medfee_sumamt);
	*out = r;
done:
	/* An overflow of an accumulator is the caller's ZT_ERANGE; rhu only
	 * fails on overflow here, as every operand has been checked ≥ 0. */
	return rc;
}

int zt_split_shares(struct zt_fund_share out[3 + ZT_RELIEF_MAX], const struct zt_policy *p,
                    const struct zt_split_result *r)
{
	int n = 0;
	if (r->hifp_pay > 0)
		out[n++] = (struct zt_fund_share){ZT_FUND_BASIC, -1, p->basic_fund, r->hifp_pay};
	if (r->hifmi_pay > 0)
		out[n++] = (struct zt_fund_share){ZT_FUND_CRITICAL, -1, p->critical_fund, r->hifmi_pay};
	if (r->maf_pay > 0)
		out[n++] = (struct zt_fund_share){ZT_FUND_ASSISTANCE, -1, p->assistance_fund,
		                                  r->maf_pay};
	for (int i = 0; i < p->relief_count && i < ZT_RELIEF_MAX; i++)
		if (r->relief_pay[i] > 0)
			out[n++] = (struct zt_fund_share){ZT_FUND_RELIEF, i, p->relief[i].fund,
			                                  r->relief_pay[i]};
	return n;
}
