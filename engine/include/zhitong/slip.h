/* zhitong — the patient's settlement slip (住院费用结算单) as plain data.
 *
 * A slip is what a patient takes home at discharge: the bill by national
 * charge type, how it splits, one line per paying fund under that fund's
 * own registered name, what the hospital bears, what the patient pays, the
 * deposit's refund or the amount still due, and a verification code
 * (slipcode.h) that anyone can check. docs/slip.md describes every field
 * and the three renderings (text, HTML, PDF: render/include/zhitong/).
 *
 * The model is plain data filled by an assembler (from the store, later:
 * docs/slip.md "Assembling a slip") and read by renderers that do no
 * arithmetic on money of their own: every derived figure (days in
 * hospital, the patient's share in percent, the refund or amount due, the
 * local settlement time, the age) comes from the functions below, so the
 * three renderings cannot disagree. Strings are UTF-8, owned by the caller
 * or by a slip arena (zt_slip_arena), and must outlive the slip. Money is
 * zt_fen, dates zt_date; the settlement time is the stored UTC timestamp
 * plus the pool's offset. Nothing here does I/O. */
#ifndef ZHITONG_SLIP_H
#define ZHITONG_SLIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"
#include "policy.h"
#include "slipcode.h"

/* ---- identity numbers (GB 11643-1999) ------------------------------------ */

/* 18 characters + NUL. */
#define ZT_ID_NO_BYTES 19

/* GB/T 2261.1 codes: 1 男, 2 女. */
enum zt_sex { ZT_SEX_MALE = 1, ZT_SEX_FEMALE = 2 };

struct zt_id_no_facts {
	zt_date birth_date; /* digits 7–14 */
	enum zt_sex sex;    /* digit 17: odd 男, even 女 */
};

/* Reads a citizen identity number: 17 digits and a check digit (a digit or
 * an upper-case X), the birth date a real calendar date, the check digit
 * right (ISO 7064 MOD 11-2). ZT_EINVAL otherwise, with a message that
 * shows the number masked only (the full number never reaches a log). */
int zt_id_no_read(struct zt_id_no_facts *out, const char *id_no);

/* The one masking of an identity number on anything printed: the first 6
 * characters (the area code) and the last 4 stay, every character between
 * becomes '*' ("510101********1234"): the birth date is hidden, the number
 * can still be matched against the patient's card. Any other length is not
 * a number this slip prints: every character becomes '*' (at most 18).
 * Always NUL-terminated. */
void zt_id_no_mask(char out[ZT_ID_NO_BYTES], const char *id_no);

/* Age in completed years (周岁) on a day, and for a child under one year
 * the completed months, for one under a month the days. A birthday on 29
 * February is reached on 1 March in a common year (the day after 28
 * February, as civil practice counts it). ZT_EINVAL if `on` is before
 * `birth` or either is not a real date. */
struct zt_age {
	int years;
	int months; /* only when years == 0 */
	int days;   /* only when years == 0 && months == 0 */
};
int zt_age_on(struct zt_age *out, zt_date birth, zt_date on);
/* "67岁", "3个月", "12天". */
char *zt_age_text(char out[ZT_FMT_BYTES], const struct zt_age *a);

/* "男" / "女". */
const char *zt_sex_name(enum zt_sex s);

/* ---- the fixed names ------------------------------------------------------ */

/* National charge types (med_chrgitm_type, docs/spec/background-domain.md
 * §1.6): 01 床位费 … 14 其他费. */
#define ZT_CHARGE_TYPE_COUNT 14
/* The Chinese name of charge type `type` (1..14), NULL for any other. */
const char *zt_charge_type_name(int type);
/* "01".."14" → 1..14; 0 for anything else. */
int zt_charge_type_parse(const char *code);

/* The Chinese name of a person's category: 普通居民, 脱贫人口, 低保对象,
 * 特困人员; NULL for a value out of range. */
const char *zt_category_name_zh(zt_category c);

/* ---- the slip ------------------------------------------------------------- */

/* More fund lines than any policy names: 3 national funds on top of 3 of
 * the county's own and ZT_RELIEF_MAX relief funds, with room to spare. */
#define ZT_SLIP_FUNDS_MAX 32

struct zt_slip_person {
	const char *name;
	const char *psn_no;
	/* The registry's identity number could not be read (a wrong check
	 * character, digits that are no birth date, a birth after the
	 * admission): the slip still prints, the number masked as it is, but
	 * without sex and age, which would come from it. */
	bool id_unreadable;
	enum zt_sex sex;                   /* unless id_unreadable */
	struct zt_age age;                 /* at admission, unless id_unreadable */
	char id_masked[ZT_ID_NO_BYTES];    /* zt_id_no_mask: the full number is not kept */
	zt_category category;
	const char *insurance;             /* 险种: 城乡居民基本医疗保险 */
};

/* Fills a person from the registry's facts: sex and age (at `adm_date`)
 * from the identity number, which is validated (zt_id_no_read) and kept
 * masked only. `name`, `psn_no` and `insurance` are referenced, not
 * copied. ZT_EINVAL for a bad identity number or an admission before the
 * birth date. */
int zt_slip_person_init(struct zt_slip_person *out, const char *name, const char *psn_no,
                        const char *id_no, zt_category category, const char *insurance,
                        zt_date adm_date);

/* The insurance (险种) a basic fund stands for, from its registered name:
 * the name without a trailing "统筹基金" or "基金" ("城乡居民基本医疗保险基金"
 * → "城乡居民基本医疗保险"). Truncates to `cap` bytes on a UTF-8 boundary. */
char *zt_slip_insurance_name(char *out, size_t cap, const char *basic_fund_name);

/* One paying fund: its own registered name and code, never merged with
 * another fund of the same kind. */
struct zt_slip_fund {
	const char *code;       /* fund_pay_type, "390100" */
	const char *name;       /* the fund's registered name */
	zt_fen paid_fen;        /* paid by this settlement */
	bool national;          /* paid on the national platform (claim v2 <national>) */
	bool has_year_total;    /* the pool holds this fund's yearly total for the person */
	zt_fen year_total_fen;  /* paid for the person this year, this settlement included */
};

struct zt_slip {
	/* the settlement and the stay */
	const char *setl_id;
	const char *claim_no;
	const char *hospital_code;
	const char *hospital_name;
	const char *ipt_no;          /* 住院号 (claim v2), NULL or "": not shown */
	const char *dept_name;       /* 科室 (claim v2), NULL or "": not shown */
	struct zt_slip_person person;
	zt_date adm_date, dscg_date;
	const char *diag_code;       /* dscg_maindiag_code */

	/* the bill: by national charge type (index type − 1) and its split */
	zt_fen charge_fen[ZT_CHARGE_TYPE_COUNT];
	zt_fen medfee_sumamt_fen;
	zt_fen fulamt_ownpay_fen;    /* 全自费 */
	zt_fen preselfpay_fen;       /* 先行自付 */
	zt_fen overlmt_selfpay_fen;  /* 超限价自付 */
	zt_fen inscp_scp_fen;        /* 政策范围内 */
	zt_fen act_pay_dedc_fen;     /* 起付线 (part of inscp_scp) */

	/* who pays: national funds first (with the national settlement
	 * number), then the county's in setldetail order */
	const char *national_setl_id; /* NULL: not settled on top of the national platform */
	int fund_count;
	const struct zt_slip_fund *funds;
	zt_fen hosp_part_fen;         /* 医院承担 */
	zt_fen psn_part_fen;          /* 个人支付 */
	bool has_cap;                 /* a personal cap (个人自付封顶) applied to this stay */
	zt_bp cap_ratio_bp;           /* of the bill */
	zt_fen cap_fen;               /* floor(medfee × ratio): the most the patient pays */
	bool has_year_psn_part;
	zt_fen year_psn_part_fen;     /* the person's own share this year, this stay included */
	bool has_deposit;             /* 预交金 (claim v2 <deposit>) */
	zt_fen deposit_fen;

	/* when, by whom, and whether it still stands */
	const char *settled_at_utc;   /* the stored timestamp "2017-03-10T08:00:00Z" */
	int32_t utc_offset_s;         /* the pool's offset then (+08:00: 28800) */
	const char *zone_label;       /* shown after the offset ("北京时间"), NULL: none */
	const char *clerk;            /* 经办人 */
	bool is_void;                 /* reversed: 作废 */
	const char *void_setl_id;     /* the reversal's setl_id */
	const char *void_at_utc;      /* its stored timestamp */
	const char *void_reason;      /* its reason (作废原因), NULL or "": not shown */

	/* verification (slipcode.h): printed code and the QR code's text */
	const char *verify_code;      /* display form, NULL: none */
	const char *qr_text;          /* NULL: no QR code */
};

/* Checks what every renderer relies on, so that no renderer prints a slip
 * that does not add up: the required texts present (setl_id, claim_no,
 * hospital code and name, person's name and psn_no and masked number,
 * insurance, diagnosis, settlement time, clerk; the person's sex unless
 * the identity number is unreadable; the reversal's setl_id on a void slip; the national setl_id when a national fund is listed, national
 * funds first), real dates with admission ≤ discharge, no negative amount,
 * and the sums: the charges and the split each add up to medfee_sumamt, the
 * deductible is within inscp_scp, the funds + the hospital + the patient
 * add up to medfee_sumamt. ZT_EINVAL with a message naming the first
 * failure. */
int zt_slip_check(const struct zt_slip *s);

/* ---- derived figures (one definition each, for every renderer) ------------ */

/* Days in hospital (住院天数): discharge − admission, counting the day of
 * admission and not the day of discharge (算入不算出), and 1 for a stay
 * that begins and ends on one day — as the national front page of the
 * inpatient record (住院病案首页) counts them. */
int64_t zt_slip_days(zt_date adm_date, zt_date dscg_date);

/* `part` as a percentage of `total`, with two decimals, half-up, from the
 * fen in integers with one rounding: rhu(part × 10000 / total) hundredths
 * of a percent ("10.00%"). "—" when total is 0. For part, total ≥ 0. */
char *zt_slip_percent(char out[ZT_FMT_BYTES], zt_fen part, zt_fen total);

/* A ratio in basis points as a percentage without trailing zeros: 1000 →
 * "10%", 1050 → "10.5%", 875 → "8.75%". */
char *zt_slip_ratio_percent(char out[ZT_FMT_BYTES], zt_bp r);

/* Deposit against what the patient pays: the refund (退还) when the
 * deposit exceeds it, the amount still due (补缴) otherwise; the other one
 * is 0. Without a deposit, everything is due. */
void zt_slip_deposit_balance(const struct zt_slip *s, zt_fen *refund_out, zt_fen *due_out);

/* A stored UTC timestamp ("2017-03-10T08:00:00Z") as local time with the
 * offset: "2017-03-10 16:00:00 +08:00". Text that is not a stored
 * timestamp, or an offset beyond ±18 hours, is copied as it is (never
 * hidden). */
char *zt_slip_local_time(char out[ZT_FMT_BYTES], const char *utc, int32_t offset_s);

/* The canonical content the verification code covers (slipcode.h), taken
 * from the slip: its setl_id, hospital code, claim number, psn_no, total,
 * every fund line in the slip's order (code, amount) and the patient's
 * part. `funds` has room for ZT_SLIP_FUNDS_MAX; the content points into
 * the slip and `funds`. ZT_EINVAL if the slip has too many funds. */
int zt_slip_code_content(struct zt_slipcode_content *out,
                         struct zt_slipcode_fund funds[ZT_SLIP_FUNDS_MAX],
                         const struct zt_slip *s);

/* The same content from a stored settlement, without building its slip:
 * its fund lines (the national funds of a settlement on top of the
 * national platform first, those paying other than 0, then setldetail's),
 * which zt_slip_build prints in this order and zt_slip_verify looks for,
 * so that both cover the same bytes. Points into `st` and `funds`. */
struct zt_stored_settlement; /* store.h */
int zt_slip_stored_code_content(struct zt_slipcode_content *out,
                                struct zt_slipcode_fund funds[ZT_SLIP_FUNDS_MAX],
                                const struct zt_stored_settlement *st);

/* ---- an arena for the assembler's strings ----------------------------------- */

/* Strings copied here live until zt_slip_arena_free: an assembler that
 * reads a slip from the store copies its texts here and frees them in one
 * call. Zero-initialise before use. */
struct zt_slip_arena {
	struct zt_slip_arena_block *head;
};
/* A copy of `s` (NULL stays NULL); NULL with ZT_ENOMEM set on failure. */
char *zt_slip_arena_strdup(struct zt_slip_arena *a, const char *s);
/* `n` zeroed bytes, aligned for any type; NULL with ZT_ENOMEM set. */
void *zt_slip_arena_alloc(struct zt_slip_arena *a, size_t n);
void zt_slip_arena_free(struct zt_slip_arena *a);

/* ---- the use case: a slip from the store (slip_build.c) ----------------------- */

struct zt_store; /* store.h */

struct zt_slip_req {
	/* either the claim's latest settlement … */
	const char *hospital, *claim_no;
	/* … or this setl_id (a reversal's gives the settlement it reverses) */
	const char *setl_id;
	/* The verification code (slipcode.h): computed under `key` (key_len
	 * bytes) with `key_id` when a key is given; no code and no QR code
	 * otherwise. `qr_prefix` NULL: ZT_SLIPCODE_QR_PREFIX. */
	const unsigned char *key;
	size_t key_len;
	const char *key_id;
	const char *qr_prefix;
};

/* Assembles the slip of a settlement from the store (docs/slip.md
 * "Assembling a slip"), in one read snapshot: the settlement and its claim
 * (the items summed by charge type), the hospital, the person (the
 * identity number masked; sex and age from it when it can be read), the
 * insurance from the basic fund's registered name, one line per paying
 * fund under its registered name in setldetail's order, the personal cap
 * that applied, the yearly totals as of this settlement (the person's
 * settlements and reversals of the year up to and including it), the
 * settlement time with the pool's offset, the clerk, and — for a
 * settlement that was reversed — void with the reversal's setl_id and
 * time. The slip is checked (zt_slip_check) before it is returned. Strings
 * and the fund lines live in `arena` (zero-initialised; the caller frees
 * it). ZT_ENOTFOUND with a message when there is no such settlement;
 * storage errors. */
int zt_slip_build(struct zt_store *s, const struct zt_slip_req *req, struct zt_slip *out,
                  struct zt_slip_arena *arena);

/* ---- the pool's slip keys ([slip], [slip-key ID]; slip_keys.c) ------------------ */

struct zt_config; /* config.h */

/* One key: its id (1–2 characters of Crockford's alphabet, upper case)
 * and its bytes. */
struct zt_slip_key {
	char id[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1];
	size_t len;
	unsigned char bytes[ZT_SLIPCODE_KEY_BYTES_MAX];
};

/* The keys of a pool: the one slips are signed with ([slip] key, with
 * [slip] key-id, default "K1") and the retired ones kept to check old slips
 * ([slip-key ID] key), at most ZT_SLIP_KEYS_MAX in all. */
struct zt_slip_keys {
	int count;
	int signing;                 /* index of the signing key; -1: no [slip] key */
	struct zt_slip_key key[ZT_SLIP_KEYS_MAX];
	char verify_url[ZT_SLIP_VERIFY_URL_BYTES]; /* [slip] verify-url, "": the default QR text */
};

/* Reads the keys the configuration names (zt_slipcode_key_read for each:
 * private files of 32 to 1024 bytes). No [slip] section: no key, count 0
 * and signing -1. Refused (ZT_EINVAL, naming the setting): a bad key id, a
 * key id given twice, a [slip-key] without a key, more than
 * ZT_SLIP_KEYS_MAX keys, a verify-url that is not https:// or http://;
 * the key file's own errors. Wipe the keys with zt_slip_keys_wipe. */
int zt_slip_keys_load(struct zt_slip_keys *out, const struct zt_config *cfg);
/* The key of id `id` (case ignored), or NULL. */
const struct zt_slip_key *zt_slip_keys_find(const struct zt_slip_keys *k, const char *id);
/* Overwrites the keys' bytes (OPENSSL_cleanse). */
void zt_slip_keys_wipe(struct zt_slip_keys *k);

/* ---- the use case: is a slip genuine? (slip_verify.c) ------------------------------ */

struct zt_slip_verify_req {
	const char *code;            /* as typed or read from the QR code (its text is accepted) */
	const char *setl_id;         /* NULL: the settlement is looked for among all of them */
	const struct zt_slip_keys *keys;
};

enum zt_slip_verdict {
	ZT_SLIP_NOT_GENUINE = 0,     /* no stored settlement gives this code */
	ZT_SLIP_NOT_A_CODE,          /* the text is not a slip code at all */
	ZT_SLIP_UNKNOWN_KEY,         /* no key of the code's key id: not of this pool */
	ZT_SLIP_GENUINE,             /* a stored settlement's code: `slip` is its slip */
};

struct zt_slip_verify_res {
	enum zt_slip_verdict verdict;
	char code[ZT_SLIPCODE_BYTES]; /* genuine: the code in its display form */
	char key_id[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1];
	/* genuine: the settlement's slip as it stands now (is_void when it has
	 * been reversed since), built under the code's key */
	struct zt_slip slip;
	struct zt_slip_arena arena;
};

/* Checks a slip's verification code (docs/slip.md "Checking a slip"): reads
 * the code (zt_slipcode_parse, or the code inside a QR text), takes the
 * key of its key id, and recomputes the code of the settlement named by
 * `setl_id` (a reversal's names the settlement it reverses) or, without
 * one, of every stored settlement in turn until one matches, from what is
 * stored (zt_slip_build, so the content is the printed slip's). The
 * verdict is an answer, not an error: 0 with res->verdict set. Storage
 * errors; ZT_EINVAL without keys. Free with zt_slip_verify_res_free. */
int zt_slip_verify(struct zt_store *s, const struct zt_slip_verify_req *req,
                   struct zt_slip_verify_res *res);
void zt_slip_verify_res_free(struct zt_slip_verify_res *res);

#endif
