/* zhitong — bearer tokens of the service's users (docs/spec/service.md
 * "Users, roles and tokens").
 *
 * The text. A token is 160 random bits from OpenSSL's RAND_bytes (the
 * specification asks for at least 128) and a 40-bit check, written as 40
 * characters of Crockford's base32 alphabet in lower case after the
 * prefix "zt_" — 43 characters in all:
 *
 *     zt_d0bkmt7mp2jfhnyqg0gd6cj6yjj4wkxxczrrn13n      (id e31767fc779b)
 *        |-- 160 random bits -----------|-check-|
 *
 * Crockford's alphabet (0-9 a-z without i, l, o, u) as for the slip's
 * code: no 0/o or 1/l pair to confuse when a token is read over a
 * shoulder, only letters and digits (one click of the mouse selects the whole
 * token, no character needs escaping in a header, a shell or a
 * configuration file). The check is the first 5 bytes of SHA-256 of the
 * 20 random bytes: a token cut short, mistyped or pasted with a character
 * changed is refused by zt_token_parse before it is hashed or looked up,
 * and a secret scanner can tell a real token from a look-alike. The form
 * is strict: no upper case, no folding, no padding, nothing before or
 * after (a token is copied, never typed from paper).
 *
 * What is stored. Only SHA-256 of the token's 43 characters, never the
 * token: the database (and its backups) cannot be replayed as tokens. A
 * plain hash, not an HMAC under a pepper: a pepper protects secrets an
 * attacker can guess (passwords) against someone holding the hashes; a
 * 160-bit random token cannot be guessed, so a stolen hash is useless
 * without the pepper or with it, and a pepper would be one more key to
 * keep, rotate and lose (losing it would kill every token at once). The
 * store finds a user by the hash (an index on it: the lookup compares
 * hashes, never the secret, so its timing tells nothing of the token),
 * then compares in constant time (CRYPTO_memcmp).
 *
 * The token id. What logs and the audit trail name: the first 12 hex
 * digits of the hash (48 bits; a collision among a pool's few thousand
 * tokens has a chance below one in ten million, and the id only names,
 * it never authenticates). It can be computed from the stored hash, so a
 * store needs no column for it; it says nothing usable about the token.
 *
 * Rolling. `user token NAME` gives a user a new token; the one it
 * replaces stays valid until a grace deadline (--grace, 24 hours by
 * default, at most ZT_TOKEN_GRACE_S_MAX), so a hospital can change its
 * systems over without downtime. A user holds at most two tokens: the
 * current one and at most one previous one. Rolling again inside the
 * grace ends the older previous token at once. zt_token_match decides
 * which of a user's tokens a presented hash is, at an instant, and is a
 * pure function: the store keeps the hashes and the deadline, the caller
 * gives the clock. Whether the user is enabled is the store's business.
 *
 * Nothing here prints a token: messages never hold one (a refused token
 * may be a real one with a typo). zt_token_clear wipes a generated token
 * from memory once it has been shown. */
#ifndef ZHITONG_TOKEN_H
#define ZHITONG_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define ZT_TOKEN_PREFIX "zt_"
#define ZT_TOKEN_PREFIX_CHARS 3
/* 160 random bits and a 40-bit check: 25 bytes, 40 base32 characters. */
#define ZT_TOKEN_RANDOM_BYTES 20
#define ZT_TOKEN_CHECK_BYTES 5
#define ZT_TOKEN_BODY_CHARS 40
#define ZT_TOKEN_CHARS (ZT_TOKEN_PREFIX_CHARS + ZT_TOKEN_BODY_CHARS) /* 43 */
/* SHA-256. */
#define ZT_TOKEN_HASH_BYTES 32
#define ZT_TOKEN_HASH_HEX_CHARS 64
/* The public id: 12 hex digits of the hash. */
#define ZT_TOKEN_ID_CHARS 12
/* docs/spec/service.md: --grace 24h. */
#define ZT_TOKEN_GRACE_S_DEFAULT (24 * 3600)

struct zt_token_hash {
	unsigned char bytes[ZT_TOKEN_HASH_BYTES];
};

/* A token as generated: shown once, then cleared; only `hash` and `id`
 * are kept. */
struct zt_token {
	char text[ZT_TOKEN_CHARS + 1];
	struct zt_token_hash hash;
	char id[ZT_TOKEN_ID_CHARS + 1];
};

/* A new token from RAND_bytes. ZT_EINTERNAL if the generator fails (no
 * token is made then: never a weak one). */
int zt_token_generate(struct zt_token *out);
/* Wipes the token's text (OPENSSL_cleanse); the hash and id stay. */
void zt_token_clear(struct zt_token *t);

/* 0 if `text` is a token's form exactly: "zt_", 40 characters of the
 * alphabet, the check right. ZT_EINVAL otherwise, with a message saying
 * what is wrong and never holding the text ("the token is 42 characters,
 * not 43"). NULL is refused too. */
int zt_token_parse(const char *text);
/* SHA-256 of a presented token, after zt_token_parse (ZT_EINVAL as it
 * says: nothing is hashed that is not of the form). */
int zt_token_hash(struct zt_token_hash *out, const char *text);
/* The id of a hash: 12 lower-case hex digits. */
void zt_token_id(char out[ZT_TOKEN_ID_CHARS + 1], const struct zt_token_hash *h);
/* Constant-time equality (CRYPTO_memcmp). */
bool zt_token_hash_equal(const struct zt_token_hash *a, const struct zt_token_hash *b);
/* The hash as 64 lower-case hex digits (for a store that keeps text), and
 * back (ZT_EINVAL unless exactly 64 hex digits, either case). */
void zt_token_hash_hex(char out[ZT_TOKEN_HASH_HEX_CHARS + 1], const struct zt_token_hash *h);
int zt_token_hash_from_hex(struct zt_token_hash *out, const char *hex);

/* ---- rolling ---------------------------------------------------------- */

/* What a store keeps of one user's tokens. */
struct zt_token_keys {
	struct zt_token_hash current;
	bool has_previous;
	struct zt_token_hash previous;
	int64_t previous_until_s; /* Unix seconds: the previous token is valid while now < this */
};

enum zt_token_match {
	ZT_TOKEN_REFUSED = 0, /* neither token, or the previous one past its deadline */
	ZT_TOKEN_CURRENT = 1,
	ZT_TOKEN_PREVIOUS = 2, /* valid, within its grace */
};

/* Which of the user's tokens `presented` is at `now_s`. Both hashes are
 * compared whatever the outcome (constant time: the answer's timing does
 * not say which token matched). */
enum zt_token_match zt_token_match(const struct zt_token_keys *k,
                                   const struct zt_token_hash *presented, int64_t now_s);

/* Makes `fresh` the current token at `now_s`: the current one becomes the
 * previous, valid for `grace_s` more seconds (0: it dies now, and no
 * previous is kept); an older previous token is dropped. A new user:
 * zero `k` and roll once (has_previous stays false). ZT_EINVAL for a
 * negative grace or one over ZT_TOKEN_GRACE_S_MAX, ZT_ERANGE if the
 * deadline would overflow; `k` is unchanged then. */
int zt_token_roll(struct zt_token_keys *k, const struct zt_token_hash *fresh, int64_t now_s,
                  int64_t grace_s);

/* ---- durations -------------------------------------------------------- */

/* A duration as an option takes it: digits and one unit, s (seconds), m
 * (minutes), h (hours) or d (days): "90s", "30m", "24h", "7d", "0s". No
 * sign, no space, no fraction, no compound ("1h30m"), no bare number (is
 * "30" minutes or days?). Refused with ZT_EINVAL, naming `what`
 * ("--grace"): anything else, and a duration over `max_s` seconds
 * ("--grace '31d' is over the most, 30d"). */
int zt_duration_parse(int64_t *out_s, const char *what, const char *text, int64_t max_s);
/* "24h": the largest unit that divides it exactly ("0s" for 0). */
void zt_duration_format(char out[24], int64_t s);

#endif
