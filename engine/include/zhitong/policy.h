/* zhitong — a county's settlement policy (urn:zhitong:policy:1), parsed.
 *
 * The struct is plain data with fixed-size arrays so the split can take it
 * by pointer without allocation. Semantics: docs/spec/split.md; format:
 * docs/spec/interfaces.md "Policy". */
#ifndef ZHITONG_POLICY_H
#define ZHITONG_POLICY_H

#include "limits.h"
#include "money.h"

#define ZT_POLICY_NS "urn:zhitong:policy:1"
/* v1 plus mode="full|supplementary" (docs/spec/claim-v2-national.md §2). */
#define ZT_POLICY_NS_V2 "urn:zhitong:policy:2"

/* full: zhitong settles everything of docs/spec/split.md. supplementary:
 * the national platform has settled basic, critical illness and
 * assistance; zhitong settles the personal cap, the relief funds and the
 * remainder on top of the national amounts (zt_split_supplementary). */
enum zt_policy_mode { ZT_MODE_FULL = 0, ZT_MODE_SUPPLEMENTARY = 1 };

typedef enum {
	ZT_CAT_GENERAL = 0,
	ZT_CAT_POOR = 1,
	ZT_CAT_LOWINC = 2,
	ZT_CAT_DESTITUTE = 3,
	ZT_CAT_COUNT = 4
} zt_category;

/* "general" "poor" "lowinc" "destitute", indexed by category (data: the
 * store maps with it too). */
extern const char *const zt_category_names[ZT_CAT_COUNT];
/* "general" … → enum; returns -1 if unknown. */
int zt_category_parse(const char *s, size_t n);
const char *zt_category_name(zt_category c);
/* "full", "supplementary". */
const char *zt_policy_mode_name(enum zt_policy_mode m);

#define ZT_LEVELS 4     /* hospital levels 1..4, index level-1 */
#define ZT_FUND_CODE_BYTES 7 /* six digits + NUL */
#define ZT_COUNTY_BYTES 7

struct zt_tier {
	zt_fen upto_fen; /* exclusive upper edge, cumulative; ZT_CAP_NONE = open */
	zt_bp ratio_bp;
};

struct zt_level {
	zt_fen deductible_fen;
	zt_bp ratio_bp;
};

struct zt_basic_adjust {
	bool present;
	zt_bp deductible_factor_bp; /* default 10000; up to 100000 (×10) */
	zt_bp ratio_bonus_bp;       /* default 0 */
	bool in_county_only;        /* default false */
};

struct zt_critical_adjust {
	bool present;
	bool has_threshold;
	zt_fen threshold_fen;
	zt_bp ratio_bonus_bp;
	bool has_annual_cap;
	zt_fen annual_cap_fen; /* may be ZT_CAP_NONE when has_annual_cap */
	bool in_county_only;
	int tier_count;        /* 0 = use the policy's tiers */
	struct zt_tier tiers[ZT_TIERS_MAX];
};

struct zt_assist_category {
	bool present;
	zt_fen deductible_fen; /* per admission, default 0 */
	zt_bp ratio_bp;
	zt_fen annual_cap_fen; /* default ZT_CAP_NONE */
};

struct zt_relief {
	char fund[ZT_FUND_CODE_BYTES];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	bool categories[ZT_CAT_COUNT];
	bool in_county_only; /* default true */
	zt_bp ratio_bp;      /* default 10000 */
	zt_fen annual_cap_fen;
};

enum zt_remainder { ZT_REMAINDER_PATIENT = 0, ZT_REMAINDER_HOSPITAL = 1 };

struct zt_policy {
	char id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char county[ZT_COUNTY_BYTES];
	zt_date effective_from;
	zt_date effective_to; /* 0 = open-ended */

	zt_bp b_selfpay_ratio_bp;

	char basic_fund[ZT_FUND_CODE_BYTES];
	zt_fen basic_annual_cap_fen;
	struct zt_level levels[ZT_LEVELS];
	struct zt_basic_adjust basic_adjust[ZT_CAT_COUNT];

	char critical_fund[ZT_FUND_CODE_BYTES];
	zt_fen critical_threshold_fen;
	zt_fen critical_annual_cap_fen;
	bool critical_include_preselfpay;
	int tier_count;
	struct zt_tier tiers[ZT_TIERS_MAX];
	struct zt_critical_adjust critical_adjust[ZT_CAT_COUNT];

	char assistance_fund[ZT_FUND_CODE_BYTES];
	bool assistance_include_preselfpay;
	struct zt_assist_category assistance[ZT_CAT_COUNT];

	bool cap_categories[ZT_CAT_COUNT]; /* <personal-cap categories> */
	bool has_cap_in_county;
	zt_bp cap_in_county_bp;
	bool has_cap_out_of_county;
	zt_bp cap_out_of_county_bp;

	int relief_count;
	struct zt_relief relief[ZT_RELIEF_MAX];

	enum zt_remainder remainder;

	/* Policy v2 (docs/spec/claim-v2-national.md §2). A v1 document reads as
	 * version 1, mode full. A supplementary policy has no basic, critical
	 * or assistance part (their fields stay empty, tier_count 0) and names
	 * the national funds instead, under which the national amounts are
	 * recorded and shown. */
	int version;
	enum zt_policy_mode mode;
	char national_basic_fund[ZT_FUND_CODE_BYTES];
	char national_critical_fund[ZT_FUND_CODE_BYTES];
	char national_assistance_fund[ZT_FUND_CODE_BYTES];
};

/* Reads, validates (XSD + every rule of docs/spec/interfaces.md) and converts a
 * policy document held in memory, v1 or v2 (told apart by the root's
 * namespace; a v2 policy's shape must fit its mode: a supplementary one
 * has <national-funds> and none of <basic>, <critical>, <assistance>). `filename` is only used in messages,
 * which name the file, the line and the field:
 *   "rules/x.xml:12: <tier upto>: tiers must increase (50000.00 after 60000.00)"
 * On failure *out is untouched and zt_error_last() holds that message. */
int zt_policy_parse(struct zt_policy *out, const char *xml, size_t len,
                    const char *filename);
/* Same, reading the file (size capped by ZT_DOC_BYTES_MAX). */
int zt_policy_parse_file(struct zt_policy *out, const char *path);

/* Every fund code the policy names, in split order (basic, critical,
 * assistance — the national funds of a supplementary policy —, relief…).
 * Returns the count written to `codes`. */
int zt_policy_funds(const struct zt_policy *p,
                    const char *codes[3 + ZT_RELIEF_MAX]);

/* ---- use cases: `rules check`, `rules load` (policy_load.c) ------------------ */

struct zt_store; /* store.h */
struct zt_rules_req {
	const char *xml;     /* the policy document, as loaded (and stored) */
	size_t len;
	const char *name;    /* what messages and the audit record call it (the file) */
	const char *actor;   /* load: normalised here (actor.h) */
	/* docs/spec/rules-v2.md §4 (load only; at most one of the two): the id
	 * of the version this one corrects (--replaces) or continues from its
	 * effective-from (--supersedes); NULL: none. */
	const char *replaces, *supersedes;
	bool approval_required; /* [rules] approval = required: stored pending */
};
struct zt_rules_res {
	char policy_id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char county[ZT_COUNTY_BYTES];
	zt_date effective_from, effective_to; /* to 0: open-ended */
	enum zt_policy_mode mode;
	int version;
	int fund_count;      /* funds the policy names */
	bool was_new;        /* load: stored now (false: the identical policy was there) */
	int64_t row;         /* load: the stored policy's row */
	bool pending;        /* load: waits for 'rules approve' (never used until then) */
	char replaced[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];   /* the version replaced now, or "" */
	char superseded[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)]; /* the version superseded now, or "" */
	zt_date superseded_end;                            /* its new last day */
};
/* Checks a policy document (schema and every rule of the format); needs no
 * store. ZT_EINVAL or ZT_ERANGE for a document that breaks a rule, with a
 * message naming the file, the line and the field. */
int zt_rules_check(const struct zt_rules_req *req, struct zt_rules_res *res);
/* The same, then in one write transaction: every fund it names must be
 * registered (ZT_EINVAL), it must overlap no stored policy of its county
 * (ZT_ECONFLICT), and it is stored with its source text and an audit
 * record; the identical policy again is a no-op (res->was_new false). A
 * county keeps one mode within a calendar year: a policy whose years meet
 * those of a stored policy of its county in the other mode is refused
 * (ZT_ECONFLICT; docs/spec/claim-v2-national.md §2). */
int zt_rules_load(struct zt_store *s, const struct zt_rules_req *req, struct zt_rules_res *res);
/*
 * Amendments (docs/spec/rules-v2.md §4), made by zt_rules_load with
 * req->replaces or req->supersedes, each refused (the message says why) and
 * the store left as it was:
 *  - a version is named by its id; the id of a version not replaced is
 *    not given again, but by the version that replaces it (ZT_ECONFLICT);
 *  - --replaces ID: ID (active or pending, of the same county) is marked
 *    replaced and kept for the record; refused ZT_ECONFLICT, naming how
 *    many, while settlements not reversed used it;
 *  - --supersedes ID: ID (active, same county) ends the day before the new
 *    version's effective-from, which must lie after ID's effective-from
 *    and not after its effective-to (ZT_EINVAL); refused ZT_ECONFLICT,
 *    naming how many, while settlements not reversed of claims discharged
 *    from that day on used it;
 *  - the new version may overlap no other active version of its county
 *    (ZT_ECONFLICT) and keeps the county's one mode a year.
 * With req->approval_required the new version is stored pending and
 * nothing else changes until zt_rules_approve.
 */
/* `rules approve ID --by NAME`: the pending version ID made active by
 * someone other than its loader (ZT_ECONFLICT otherwise), the checks of its
 * load made again (the store may have moved since), its replace or
 * supersede carried out then. res as for a load. */
int zt_rules_approve(struct zt_store *s, const char *id, const char *actor,
                     struct zt_rules_res *res);

/* `rules list` and `rules show`: each stored version (id NULL: all; else
 * those named id, replaced ones too), in load order, with how many
 * settlements not reversed used it. */
struct zt_stored_policy; /* store.h */
int zt_rules_each(struct zt_store *s, const char *id,
                  int (*cb)(void *ctx, const struct zt_stored_policy *p, int64_t used),
                  void *ctx);

/* ---- the loaded policies (policy_set.c) ------------------------------------ */

struct zt_store; /* store.h */
struct zt_policy_entry {
	int64_t row;
	struct zt_policy policy;
	/* its version state (store.h zt_stored_policy): only an active one is
	 * ever in force, from its effective-from to `ends` (0: open-ended;
	 * earlier than its effective-to once superseded) */
	int status;                       /* enum zt_policy_status */
	zt_date ends;
	int64_t replaces, supersedes;     /* rows, 0: none */
	char loaded_by[ZT_ACTOR_BYTES];
};
struct zt_policy_set {
	int count;
	struct zt_policy_entry *entries;
};
/* Reads and parses every stored policy (cheap: a county has a handful). */
int zt_policy_set_load(struct zt_policy_set *out, struct zt_store *s);
void zt_policy_set_free(struct zt_policy_set *set);
/* The policy of `county` in force on `date` (an active version, to its
 * end), or NULL. */
const struct zt_policy_entry *zt_policy_set_find(const struct zt_policy_set *set,
                                                 const char *county, zt_date date);
/* The policy stored as row `row`, or NULL. */
const struct zt_policy_entry *zt_policy_set_row(const struct zt_policy_set *set, int64_t row);

#endif
