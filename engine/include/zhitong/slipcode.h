/* zhitong — the slip's verification code (docs/slip.md "The verification
 * code").
 *
 * A slip carries a code anyone can check: HMAC-SHA256 under the pool's
 * slip key over the slip's canonical content (setl_id, hospital code,
 * claim number, psn_no, total, each fund's code and amount in the slip's
 * order, what the patient pays), truncated to 100 bits and written as 20
 * characters of Crockford's base32, after a key id of 1–2 characters so
 * that the key can be rotated:
 *
 *     K1-7GQ4-Z0PA-3MXE-TT9W-C5RB
 *
 * Crockford's alphabet (0-9 A-Z without I L O U) because the code is typed
 * from paper: it has no I/1, L/1 or O/0 pair to confuse, and reading it
 * back forgives them (O is 0, I and L are 1), case and dashes and spaces
 * are ignored. The canonical content is a sequence of length-prefixed
 * fields (below), so no two different contents give the same bytes.
 * Nothing here reads the clock or the store. */
#ifndef ZHITONG_SLIPCODE_H
#define ZHITONG_SLIPCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"
#include "money.h"

/* 100 bits of the MAC: 20 base32 characters. */
#define ZT_SLIPCODE_MAC_CHARS 20
/* The 100 bits in 13 bytes, the last 4 bits zero. */
#define ZT_SLIPCODE_MAC_BYTES 13
#define ZT_SLIPCODE_KEY_ID_CHARS_MAX 2
/* "K1-7GQ4-Z0PA-3MXE-TT9W-C5RB" and its NUL fit. */
#define ZT_SLIPCODE_BYTES 32
/* The key: ZT_SLIPCODE_KEY_BYTES_MIN to _MAX bytes (limits.h). */
/* What the QR code says unless the pool configures a verify URL: this
 * prefix and the code ("zhitong:slip:2:K1-7GQ4-…"); version 1 was the old
 * unsigned "zhitong:slip:1|…" text. */
#define ZT_SLIPCODE_QR_PREFIX "zhitong:slip:2:"

struct zt_slipcode_fund {
	const char *code;
	zt_fen paid_fen;
};

/* What a code covers. The funds are the slip's fund lines in its order
 * (national funds first, then the county's in setldetail order). */
struct zt_slipcode_content {
	const char *setl_id;
	const char *hospital_code;
	const char *claim_no;
	const char *psn_no;
	zt_fen medfee_sumamt_fen;
	int fund_count;
	const struct zt_slipcode_fund *funds;
	zt_fen psn_part_fen;
};

/* The canonical bytes the MAC is computed over: each field as a 4-byte
 * big-endian length followed by its bytes, in this order:
 *   "zhitong-slipcode-1", key id (upper case), setl_id, hospital code,
 *   claim number, psn_no, medfee_sumamt, the number of funds (decimal),
 *   then per fund its code and amount, then psn_part_amt;
 * amounts as zt_format_amount writes them ("10500.00"). Malloc'd; the
 * caller frees. ZT_EINVAL for a missing text or a bad key id, ZT_ENOMEM. */
int zt_slipcode_canonical(unsigned char **out, size_t *len_out, const char *key_id,
                          const struct zt_slipcode_content *c);

/* The code of `c` under `key` (at least ZT_SLIPCODE_KEY_BYTES_MIN bytes)
 * with key id `key_id` (1–2 characters of Crockford's alphabet), in its
 * display form: key id, then the 20 characters in groups of 4, joined by
 * dashes. ZT_EINVAL for a short key or a bad key id or content. */
int zt_slipcode_compute(char out[ZT_SLIPCODE_BYTES], const unsigned char *key, size_t key_len,
                        const char *key_id, const struct zt_slipcode_content *c);

/* A code as read back. */
struct zt_slipcode {
	char key_id[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1]; /* upper case */
	unsigned char mac[ZT_SLIPCODE_MAC_BYTES];
};

/* Reads a code as a person typed it: case, dashes and spaces ignored, O
 * read as 0, I and L as 1; 21 or 22 characters remain (a key id of 1 or 2,
 * then 20). ZT_EINVAL "'TEXT' is not a slip code" otherwise. */
int zt_slipcode_parse(struct zt_slipcode *out, const char *text);

/* Constant-time equality of two codes (key id and MAC). */
bool zt_slipcode_equal(const struct zt_slipcode *a, const struct zt_slipcode *b);

/* Whether `code` is genuine for content `c` under `key` (the key of the
 * code's key id, chosen by the caller): 0 genuine; ZT_EINVAL not genuine
 * (or the key unusable). Compares in constant time. */
int zt_slipcode_check(const struct zt_slipcode *code, const unsigned char *key, size_t key_len,
                      const struct zt_slipcode_content *c);

/* The QR code's text: `prefix` (NULL: ZT_SLIPCODE_QR_PREFIX; or a verify
 * URL such as "https://pool.example/slip/verify?code=") followed by the
 * code. ZT_ERANGE if it does not fit in `cap`. */
int zt_slipcode_qr_text(char *out, size_t cap, const char *prefix, const char *code);
/* The code inside a QR code's text: what follows its last ':', '/', '='
 * or '?' (the whole text if none). */
const char *zt_slipcode_in_qr(const char *qr_text);

/* Reads the pool's slip key ([slip] key, a file path) into `out` (room
 * for ZT_SLIPCODE_KEY_BYTES_MAX). Its bytes are the key as they are.
 * Refused: a file that group or others may read or write (chmod 600), a
 * file shorter than ZT_SLIPCODE_KEY_BYTES_MIN or longer than
 * ZT_SLIPCODE_KEY_BYTES_MAX, anything but a regular file. ZT_ENOTFOUND,
 * ZT_EIO, ZT_EINVAL; the message names the path, never the key. */
int zt_slipcode_key_read(unsigned char out[ZT_SLIPCODE_KEY_BYTES_MAX], size_t *len_out,
                         const char *path);

#endif
