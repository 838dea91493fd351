/* zhitong — the split of one claim across the funds (docs/spec/split.md).
 *
 * Pure functions: no I/O, no allocation, no SQL, no globals. The caller
 * brings the policy, the registry facts and the person's accumulators; the
 * split returns the amounts, the new accumulators and a trace that lets an
 * auditor redo every sum by hand. */
#ifndef ZHITONG_SPLIT_H
#define ZHITONG_SPLIT_H

#include "claim.h"
#include "policy.h"

/* Rejection codes, in precedence order (docs/spec/interfaces.md). Stable: never
 * renumbered or reused. */
typedef enum {
	ZT_REJ_NONE = 0,
	ZT_REJ_SCHEMA_INVALID = 1,
	ZT_REJ_DUPLICATE_CLAIM_NO = 2,
	ZT_REJ_UNKNOWN_HOSPITAL = 3,
	ZT_REJ_UNKNOWN_PERSON = 4,
	ZT_REJ_BAD_DATES = 5,
	ZT_REJ_NO_POLICY = 6,
	ZT_REJ_AMOUNT_MISMATCH = 7,
	ZT_REJ_NOT_SETTLED = 8,
	/* Claim v2 (docs/spec/claim-v2-national.md §3), after amount-mismatch
	 * in this order; and rules v2 (docs/spec/rules-v2.md §2), right after
	 * no-policy. Appended, so precedence is zt_reject_rank's, not the
	 * number's. */
	ZT_REJ_NATIONAL_MISSING = 9,
	ZT_REJ_NATIONAL_UNEXPECTED = 10,
	ZT_REJ_NATIONAL_MISMATCH = 11,
	ZT_REJ_NO_CATALOG = 12,
} zt_reject;
#define ZT_REJ_LAST ZT_REJ_NO_CATALOG /* the highest number (rules v2 came last) */
const char *zt_reject_name(zt_reject r);
/* The place of a rejection code in the precedence of docs/spec/interfaces.md
 * and its v2 additions (lower is checked first): schema-invalid,
 * duplicate-claim-no, unknown-hospital, unknown-person, bad-dates,
 * no-policy, no-catalog, amount-mismatch, national-missing,
 * national-unexpected, national-mismatch. not-settled (reversal) and
 * ZT_REJ_NONE come last. */
int zt_reject_rank(zt_reject r);

/* §1: the classification of a claim's items. */
struct zt_classified {
	zt_fen medfee_sumamt;
	zt_fen fulamt_ownpay_amt;
	zt_fen overlmt_selfpay;
	zt_fen preselfpay_amt;
	zt_fen inscp_scp_amt;
};

/* A person's accumulators for one calendar year (docs/spec/split.md §0). */
struct zt_accum {
	zt_fen basic_paid;
	zt_fen critical_base;
	zt_fen critical_paid;
	zt_fen assistance_paid;
	int relief_count;                          /* = policy relief_count */
	zt_fen relief_paid[ZT_RELIEF_MAX];         /* by policy relief index */
};

/* Facts about the claim from the registries, never from the claim. */
struct zt_split_ctx {
	int hospital_level; /* 1..4 */
	bool in_county;
	zt_category category;
};

/* How each fund's amount came about. Every field an auditor needs. */
struct zt_trace_basic {
	zt_fen inscp;
	zt_fen level_deductible;      /* <level deductible> */
	zt_bp level_ratio_bp;         /* <level ratio> */
	bool adjusted;                /* the category's <adjust> applied */
	zt_bp deductible_factor_bp;
	zt_bp ratio_bonus_bp;
	zt_fen deductible;            /* D after adjust */
	zt_bp ratio_bp;               /* R after adjust */
	zt_fen act_pay_dedc;          /* min(D, inscp) */
	zt_fen raw;                   /* rhu((inscp − dedc) × R) */
	zt_fen annual_cap;            /* ZT_CAP_NONE = none */
	zt_fen paid_before, paid_after;
	zt_fen pay;
};

struct zt_trace_segment {
	zt_fen from, to;     /* [from, to) ∩ [before, after) actually covered */
	zt_bp ratio_bp;      /* tier ratio + bonus, ≤ 10000 */
	zt_fen tier_from, tier_to; /* the tier's band; tier_to = ZT_CAP_NONE if open */
};

struct zt_trace_critical {
	zt_fen inscp, hifp_pay, preselfpay_added; /* b = inscp − hifp (+ pre) */
	zt_fen base;                 /* b */
	zt_fen before, after;        /* cumulative critical base */
	bool adjusted;
	zt_fen threshold;
	zt_bp ratio_bonus_bp;
	bool own_tiers;              /* the adjust's tiers replaced the policy's */
	int segment_count;
	struct zt_trace_segment segments[ZT_TIERS_MAX];
	__int128 weighted;           /* Σ |segment| × ratio (fen·bp), before rounding */
	zt_fen raw;                  /* rhu(weighted, 10000) */
	zt_fen annual_cap;
	zt_fen paid_before, paid_after;
	zt_fen pay;
};

struct zt_trace_assistance {
	bool eligible;               /* category listed under <assistance> */
	zt_fen base;                 /* inscp − hifp − hifmi (+ pre) */
	zt_fen preselfpay_added;
	zt_fen deductible;
	zt_bp ratio_bp;
	zt_fen raw;
	zt_fen annual_cap;
	zt_fen paid_before, paid_after;
	zt_fen pay;
};

struct zt_trace_relief {
	bool eligible;
	zt_fen gap_before;
	zt_bp ratio_bp;
	zt_fen raw;                  /* rhu(gap × ratio) */
	zt_fen annual_cap;
	zt_fen paid_before, paid_after;
	zt_fen pay;
	zt_fen gap_after;
};

struct zt_trace_cap {
	bool applies;                /* category capped and a cap on this side */
	zt_bp cap_bp;
	zt_fen psn0;                 /* medfee − hifp − hifmi − maf */
	zt_fen target;               /* floor(medfee × cap) */
	zt_fen gap;                  /* max(0, psn0 − target) */
	zt_fen gap_left;             /* after the relief funds */
	bool remainder_to_hospital;
};

struct zt_split_result {
	struct zt_classified cls;
	zt_fen act_pay_dedc;
	zt_bp pool_prop_bp;           /* R, printed as pool_prop_selfpay */
	zt_fen hifp_pay, hifmi_pay, maf_pay, oth_pay;
	zt_fen fund_pay_sumamt, hosp_part_amt, psn_part_amt;
	zt_fen critical_base_added;   /* b of §3, needed by reversal */
	zt_fen relief_pay[ZT_RELIEF_MAX];

	struct zt_trace_basic basic;
	struct zt_trace_critical critical;
	struct zt_trace_assistance assistance;
	struct zt_trace_cap cap;
	struct zt_trace_relief relief[ZT_RELIEF_MAX];

	struct zt_accum accum_after;

	/* Settled on top of the national platform (zt_split_supplementary):
	 * hifp_pay, hifmi_pay and maf_pay are the national amounts, the basic,
	 * critical and assistance traces are empty, and pool_prop_selfpay is
	 * absent from the answer (docs/spec/claim-v2-national.md §1, §4). */
	bool supplementary;
	bool pool_prop_absent;
};

/* The national platform's settlement of the same stay, as a claim v2
 * carries it in <national> (docs/spec/claim-v2-national.md §1): the three
 * national funds' amounts, and the five bill fields all or none. */
struct zt_national_amounts {
	zt_fen hifp_pay, hifmi_pay, maf_pay;
	bool has_bill;
	zt_fen fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc;
};

/* What the split classifies one item with (docs/spec/rules-v2.md §2): the
 * claim's own chrgitm_lv, selfpay_prop and pric_uplmt_amt, or what the
 * catalogue in force says of its code (catalog.h, zt_catalog_classify).
 * The claim itself is never changed: its own values stay for the digest. */
struct zt_catalog_entry;
struct zt_item_class {
	int chrgitm_lv;               /* 1 甲, 2 乙, 3 丙 */
	bool has_selfpay_prop;
	zt_bp selfpay_prop_bp;
	bool has_pric_uplmt;
	zt_q4 pric_uplmt_amt;
	/* From the catalogue: the entry in force for the item's code on the
	 * discharge date (NULL: not found, so 03 without ceiling; or no
	 * catalogue was in force, so the claim's own values). */
	const struct zt_catalog_entry *entry;
	bool differs;                 /* class or ceiling is not what the hospital sent */
};

/* §1. Checks every amount (price × quantity, the sum) and classifies.
 * Returns ZT_REJ_NONE, ZT_REJ_AMOUNT_MISMATCH or ZT_REJ_SCHEMA_INVALID (a
 * value out of range), with `msg` (ZT_MESSAGE_BYTES_MAX) saying which item
 * and why. */
zt_reject zt_classify(struct zt_classified *out, const struct zt_policy *p,
                      const struct zt_claim *c, char *msg);
/* The same with the effective values of each item: `eff` holds
 * c->item_count values (zt_catalog_classify), or is NULL for the claim's
 * own (then exactly zt_classify). The amounts checked are the claim's
 * (price × quantity, the sum); only the class, the self-pay ratio and the
 * ceiling come from `eff`. */
zt_reject zt_classify_items(struct zt_classified *out, const struct zt_policy *p,
                            const struct zt_claim *c, const struct zt_item_class *eff,
                            char *msg);

/* §2–§5. Splits a classified claim under a full policy. Returns 0, or
 * ZT_ERANGE if an accumulator would overflow (the claim is then refused,
 * nothing moved); ZT_EINTERNAL for a supplementary policy.
 * Asserts conservation:
 *   fund_pay_sumamt + hosp_part_amt + psn_part_amt == medfee_sumamt. */
int zt_split(struct zt_split_result *out, const struct zt_policy *p,
             const struct zt_split_ctx *ctx, const struct zt_classified *cls,
             const struct zt_accum *before);

/* docs/spec/claim-v2-national.md §3, what needs no store, in its order:
 * national-missing (the policy in force is supplementary and the claim has
 * no <national>: `nat` NULL), national-unexpected (the policy is full and
 * the claim has one), national-mismatch (hifp_pay + hifmi_pay + maf_pay >
 * medfee_sumamt; or the bill fields are given and do not add up to
 * medfee_sumamt). Returns ZT_REJ_NONE or the code, with `msg`
 * (ZT_MESSAGE_BYTES_MAX) saying why; ZT_REJ_SCHEMA_INVALID for an amount
 * out of range (the reader's guarantee broken). The third case of
 * national-mismatch — the national setl_id already stands under another
 * claim's live settlement — needs the store: the caller checks it after
 * this. Pure. */
zt_reject zt_national_check(const struct zt_policy *p, const struct zt_national_amounts *nat,
                            zt_fen medfee_sumamt, char *msg);

/* docs/spec/claim-v2-national.md §4: the supplementary split, for a claim
 * that passed zt_national_check under a supplementary policy.
 *   hifp_pay, hifmi_pay, maf_pay := the national amounts;
 *   the bill fields (cls in the result) and act_pay_dedc := the national
 *   ones if given, else `cls` (zhitong's own classification, with the
 *   catalogue if one is in force) and act_pay_dedc 0;
 *   docs/spec/split.md §5 unchanged: the personal cap, the relief funds in
 *   file order with their yearly accumulators, the remainder.
 * Only the relief funds' accumulators move (accum_after's basic, critical
 * and assistance totals are `before`'s); pool_prop_selfpay is absent.
 * Returns 0; ZT_ERANGE if a relief accumulator would overflow; ZT_EINTERNAL
 * for inputs no caller may pass (a full policy, national amounts that
 * zt_national_check refuses). Asserts conservation. Pure: no I/O, no
 * allocation. */
int zt_split_supplementary(struct zt_split_result *out, const struct zt_policy *p,
                           const struct zt_split_ctx *ctx, const struct zt_classified *cls,
                           const struct zt_national_amounts *nat, const struct zt_accum *before);

/* One paying fund of a result, in setldetail order. */
enum zt_fund_kind { ZT_FUND_BASIC, ZT_FUND_CRITICAL, ZT_FUND_ASSISTANCE, ZT_FUND_RELIEF };
struct zt_fund_share {
	enum zt_fund_kind kind;
	int relief_index;             /* for ZT_FUND_RELIEF */
	const char *fund_code;        /* points into the policy */
	zt_fen amount;
};
/* Lists the funds paying more than 0, in the order of docs/spec/split.md §5.
 * For a supplementary result, only the relief funds (zhitong settled
 * those; the national amounts stay in setlinfo). Returns the count
 * (≤ 3 + ZT_RELIEF_MAX). */
int zt_split_shares(struct zt_fund_share out[3 + ZT_RELIEF_MAX],
                    const struct zt_policy *p, const struct zt_split_result *r);

#endif
