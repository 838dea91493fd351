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
	/* docs/spec/claim-v2-national.md §3, checked after amount-mismatch */
	ZT_REJ_NATIONAL_MISSING = 9,
	ZT_REJ_NATIONAL_UNEXPECTED = 10,
	ZT_REJ_NATIONAL_MISMATCH = 11,
} zt_reject;
#define ZT_REJ_LAST ZT_REJ_NATIONAL_MISMATCH
const char *zt_reject_name(zt_reject r);

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
};

/* §1. Checks every amount (price × quantity, the sum) and classifies.
 * Returns ZT_REJ_NONE, ZT_REJ_AMOUNT_MISMATCH or ZT_REJ_SCHEMA_INVALID (a
 * value out of range), with `msg` (ZT_MESSAGE_BYTES_MAX) saying which item
 * and why. */
zt_reject zt_classify(struct zt_classified *out, const struct zt_policy *p,
                      const struct zt_claim *c, char *msg);

/* §2–§5. Splits a classified claim. Returns 0, or ZT_ERANGE if an
 * accumulator would overflow (the claim is then refused, nothing moved).
 * Asserts conservation:
 *   fund_pay_sumamt + hosp_part_amt + psn_part_amt == medfee_sumamt. */
int zt_split(struct zt_split_result *out, const struct zt_policy *p,
             const struct zt_split_ctx *ctx, const struct zt_classified *cls,
             const struct zt_accum *before);

/* One paying fund of a result, in setldetail order. */
enum zt_fund_kind { ZT_FUND_BASIC, ZT_FUND_CRITICAL, ZT_FUND_ASSISTANCE, ZT_FUND_RELIEF };
struct zt_fund_share {
	enum zt_fund_kind kind;
	int relief_index;             /* for ZT_FUND_RELIEF */
	const char *fund_code;        /* points into the policy */
	zt_fen amount;
};
/* Lists the funds paying more than 0, in the order of docs/spec/split.md §5.
 * Returns the count (≤ 3 + ZT_RELIEF_MAX). */
int zt_split_shares(struct zt_fund_share out[3 + ZT_RELIEF_MAX],
                    const struct zt_policy *p, const struct zt_split_result *r);

#endif
