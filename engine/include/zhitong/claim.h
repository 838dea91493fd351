/* zhitong — a hospital's discharge claim (urn:zhitong:claim:1 and, with
 * the fields of docs/spec/claim-v2-national.md §1, urn:zhitong:claim:2). */
#ifndef ZHITONG_CLAIM_H
#define ZHITONG_CLAIM_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"
#include "money.h"

#define ZT_CLAIM_NS "urn:zhitong:claim:1"
#define ZT_CLAIM_V2_NS "urn:zhitong:claim:2"

struct zt_item {
	char feedetl_sn[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char med_list_codg[ZT_UTF8_BYTES(ZT_LIST_CODE_CHARS_MAX)];
	char med_chrgitm_type[3]; /* "01".."14" */
	int chrgitm_lv;           /* 1 甲, 2 乙, 3 丙 */
	zt_q4 pric;
	zt_q4 cnt;
	zt_fen det_item_fee_sumamt;
	bool has_pric_uplmt;
	zt_q4 pric_uplmt_amt;
	bool has_selfpay_prop;
	zt_bp selfpay_prop_bp;
};

/* The national platform's settlement of the same stay (claim v2
 * <national>): the three fund amounts always, the five bill fields all or
 * none (has_bill_fields). */
struct zt_claim_national {
	char setl_id[ZT_NATIONAL_SETL_ID_CHARS_MAX + 1]; /* printable ASCII, no space */
	zt_fen hifp_pay, hifmi_pay, maf_pay;
	bool has_bill_fields;
	zt_fen fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc;
};

struct zt_claim {
	int version; /* 1 or 2: the claim format it was read in (JSON: 2) */
	char fixmedins_code[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	zt_date adm_date;
	zt_date dscg_date;
	char dscg_maindiag_code[ZT_UTF8_BYTES(ZT_DIAG_CHARS_MAX)];
	zt_fen medfee_sumamt;
	/* v2 only (empty / false in a v1 claim) */
	char ipt_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];      /* "" = absent */
	char dept_name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];   /* "" = absent */
	bool has_deposit;
	zt_fen deposit;
	bool has_national;
	struct zt_claim_national national;
	int item_count;
	int item_cap;          /* allocated slots in items */
	struct zt_item *items; /* owned; reused from claim to claim */
};

void zt_claim_init(struct zt_claim *c);
void zt_claim_free(struct zt_claim *c);
/* Empties the claim but keeps the item buffer. */
void zt_claim_reset(struct zt_claim *c);
/* Appends a zeroed item (growing the buffer); NULL past the item limit. */
struct zt_item *zt_claim_add_item(struct zt_claim *c);

/* SHA-256 over a canonical, unambiguous serialisation of every field and
 * every item in order (the header fields, then the canonical item lines):
 * two claims are "equal after parsing" iff their digests are equal. Pass
 * the items text if you have it, to serialise the items only once. A v1
 * claim's form is the one stored since the first version (so stored
 * digests keep matching); a v2 claim's names its version and every v2
 * field, so a v1 and a v2 claim are never "the same claim again"
 * (docs/spec/claim-v2-national.md §1). */
#define ZT_DIGEST_BYTES 32
int zt_claim_digest(unsigned char out[ZT_DIGEST_BYTES], const struct zt_claim *c,
                    const char *items_text /* zt_claim_items_text(c), or NULL */);

/* What no schema can say, checked by every reader after the claim is
 * built: feedetl_sn unique within the claim; a v2 <national>'s setl_id of
 * 1..ZT_NATIONAL_SETL_ID_CHARS_MAX printable ASCII characters without a
 * space (never trimmed). ZT_EINVAL with the reason in msg (one line,
 * ZT_MESSAGE_BYTES_MAX), which is then a schema-invalid rejection. */
int zt_claim_check(const struct zt_claim *c, char *msg, size_t msg_bytes);
/* 0 if s[0..len) is a national setl_id (above), else ZT_EINVAL with a
 * message. */
int zt_claim_check_national_setl_id(const char *s, size_t len);

/* The canonical item lines ("sn\tcode\ttype\tlv\tpric\tcnt\tamt\tceiling\tselfpay\n"
 * per item, numbers in their exact integer units, absent optionals empty):
 * what the store keeps for audit and what the digest covers. Returns a
 * malloc'd string. */
char *zt_claim_items_text(const struct zt_claim *c);
/* The inverse, for `verify`: replaces c's items by those of a canonical
 * items text. ZT_EINVAL with `msg` saying which line is not one (msg is
 * not the thread's error: this runs inside a query). The text of a
 * parsed claim, serialised again, must equal the text given. */
int zt_claim_items_parse(struct zt_claim *c, const char *items_text, char *msg,
                         size_t msg_bytes);

#endif
