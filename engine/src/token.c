/* zhitong — bearer tokens (see token.h, docs/spec/service.md "Users, roles
 * and tokens"). Pure but for RAND_bytes: no clock, no store. */
#include "zhitong/token.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "zhitong/error.h"

/* Crockford's base32 in lower case: 0-9 a-z without i, l, o, u. */
static const char b32[32] = "0123456789abcdefghjkmnpqrstvwxyz";

static int b32_value(char c)
{
	const char *p = c ? memchr(b32, c, sizeof b32) : NULL;
	return p ? (int)(p - b32) : -1;
}

#define TOKEN_BYTES (ZT_TOKEN_RANDOM_BYTES + ZT_TOKEN_CHECK_BYTES) /* 25: 40 characters */

/* 5 bytes make 8 characters, high bits first (RFC 4648 order). */
static void b32_encode(char *out, const unsigned char *in, size_t n)
{
	for (size_t g = 0; g < n / 5; g++) {
		const unsigned char *b = in + g * 5;
		uint64_t v = ((uint64_t)b[0] << 32) | ((uint64_t)b[1] << 24) | ((uint64_t)b[2] << 16) |
		             ((uint64_t)b[3] << 8) | b[4];
		for (int i = 0; i < 8; i++)
			out[g * 8 + (size_t)i] = b32[(v >> (35 - 5 * i)) & 31];
	}
}

/* 8 characters make 5 bytes; -1 for a character outside the alphabet. */
static int b32_decode(unsigned char *out, const char *in, size_t chars)
{
	for (size_t g = 0; g < chars / 8; g++) {
		uint64_t v = 0;
		for (size_t i = 0; i < 8; i++) {
			int d = b32_value(in[g * 8 + i]);
			if (d < 0)
				return -1;
			v = (v << 5) | (uint64_t)d;
		}
		for (int i = 0; i < 5; i++)
			out[g * 5 + (size_t)i] = (unsigned char)(v >> (32 - 8 * i));
	}
	return 0;
}

static int sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 0;
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	return 0;
}

/* The check of the random bytes: the first 5 bytes of their SHA-256. */
static int check_of(unsigned char out[ZT_TOKEN_CHECK_BYTES],
                    const unsigned char random[ZT_TOKEN_RANDOM_BYTES])
{
	unsigned char md[32];
	int rc = sha256(md, random, ZT_TOKEN_RANDOM_BYTES);
	if (rc == 0)
		memcpy(out, md, ZT_TOKEN_CHECK_BYTES);
	OPENSSL_cleanse(md, sizeof md);
	return rc;
}

int zt_token_generate(struct zt_token *out)
{
	unsigned char raw[TOKEN_BYTES];
	int rc = 0;
	memset(out, 0, sizeof *out);
	if (RAND_bytes(raw, ZT_TOKEN_RANDOM_BYTES) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "the random generator failed: no token made");
		goto done;
	}
	if ((rc = check_of(raw + ZT_TOKEN_RANDOM_BYTES, raw)))
		goto done;
	memcpy(out->text, ZT_TOKEN_PREFIX, ZT_TOKEN_PREFIX_CHARS);
	b32_encode(out->text + ZT_TOKEN_PREFIX_CHARS, raw, TOKEN_BYTES);
	out->text[ZT_TOKEN_CHARS] = '\0';
	if ((rc = zt_token_hash(&out->hash, out->text)))
		goto done;
	zt_token_id(out->id, &out->hash);
done:
	OPENSSL_cleanse(raw, sizeof raw);
	if (rc)
		zt_token_clear(out);
	return rc;
}

void zt_token_clear(struct zt_token *t)
{
	OPENSSL_cleanse(t->text, sizeof t->text);
}

int zt_token_parse(const char *text)
{
	if (!text)
		return zt_error_set(ZT_EINVAL, "no token");
	/* never strlen past what a token can be: the text may be anything */
	size_t n = strnlen(text, ZT_TOKEN_CHARS + 1);
	if (strncmp(text, ZT_TOKEN_PREFIX, ZT_TOKEN_PREFIX_CHARS) != 0)
		return zt_error_set(ZT_EINVAL, "the token does not start with '" ZT_TOKEN_PREFIX "'");
	if (n > ZT_TOKEN_CHARS)
		return zt_error_set(ZT_EINVAL, "the token is longer than %d characters", ZT_TOKEN_CHARS);
	if (n < ZT_TOKEN_CHARS)
		return zt_error_set(ZT_EINVAL, "the token is %zu characters, not %d", n, ZT_TOKEN_CHARS);
	unsigned char raw[TOKEN_BYTES], check[ZT_TOKEN_CHECK_BYTES];
	int rc = 0;
	for (size_t i = ZT_TOKEN_PREFIX_CHARS; i < ZT_TOKEN_CHARS; i++)
		if (b32_value(text[i]) < 0) {
			rc = zt_error_set(ZT_EINVAL,
			                  "the token has a character outside 0-9 a-z without i, l, o, u "
			                  "at character %zu",
			                  i + 1);
			goto done;
		}
	if (b32_decode(raw, text + ZT_TOKEN_PREFIX_CHARS, ZT_TOKEN_BODY_CHARS) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "token: base32 decoding failed");
		goto done;
	}
	if ((rc = check_of(check, raw)))
		goto done;
	if (CRYPTO_memcmp(check, raw + ZT_TOKEN_RANDOM_BYTES, ZT_TOKEN_CHECK_BYTES) != 0)
		rc = zt_error_set(ZT_EINVAL, "the token's check characters do not match: "
		                             "it was cut, mistyped or altered");
done:
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

int zt_token_hash(struct zt_token_hash *out, const char *text)
{
	memset(out, 0, sizeof *out);
	int rc = zt_token_parse(text);
	if (rc)
		return rc;
	return sha256(out->bytes, text, ZT_TOKEN_CHARS);
}

static const char hexdig[16] = "0123456789abcdef";

void zt_token_id(char out[ZT_TOKEN_ID_CHARS + 1], const struct zt_token_hash *h)
{
	for (size_t i = 0; i < ZT_TOKEN_ID_CHARS / 2; i++) {
		out[2 * i] = hexdig[h->bytes[i] >> 4];
		out[2 * i + 1] = hexdig[h->bytes[i] & 15];
	}
	out[ZT_TOKEN_ID_CHARS] = '\0';
}

bool zt_token_hash_equal(const struct zt_token_hash *a, const struct zt_token_hash *b)
{
	return CRYPTO_memcmp(a->bytes, b->bytes, ZT_TOKEN_HASH_BYTES) == 0;
}

void zt_token_hash_hex(char out[ZT_TOKEN_HASH_HEX_CHARS + 1], const struct zt_token_hash *h)
{
	for (size_t i = 0; i < ZT_TOKEN_HASH_BYTES; i++) {
		out[2 * i] = hexdig[h->bytes[i] >> 4];
		out[2 * i + 1] = hexdig[h->bytes[i] & 15];
	}
	out[ZT_TOKEN_HASH_HEX_CHARS] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int zt_token_hash_from_hex(struct zt_token_hash *out, const char *hex)
{
	memset(out, 0, sizeof *out);
	if (!hex || strnlen(hex, ZT_TOKEN_HASH_HEX_CHARS + 1) != ZT_TOKEN_HASH_HEX_CHARS)
		return zt_error_set(ZT_EINVAL, "a token hash is not 64 hex digits");
	for (size_t i = 0; i < ZT_TOKEN_HASH_BYTES; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(out, 0, sizeof *out);
			return zt_error_set(ZT_EINVAL, "a token hash is not 64 hex digits");
		}
		out->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* ---- rolling ---------------------------------------------------------- */

enum zt_token_match zt_token_match(const struct zt_token_keys *k,
                                   const struct zt_token_hash *presented, int64_t now_s)
{
	/* both comparisons always run; the branches after them are on public
	 * facts (whether a previous token exists, the clock) */
	bool cur = zt_token_hash_equal(&k->current, presented);
	bool prev = zt_token_hash_equal(&k->previous, presented);
	if (cur)
		return ZT_TOKEN_CURRENT;
	if (prev && k->has_previous && now_s < k->previous_until_s)
		return ZT_TOKEN_PREVIOUS;
	return ZT_TOKEN_REFUSED;
}

int zt_token_roll(struct zt_token_keys *k, const struct zt_token_hash *fresh, int64_t now_s,
                  int64_t grace_s)
{
	if (grace_s < 0 || grace_s > ZT_TOKEN_GRACE_S_MAX)
		return zt_error_set(ZT_EINVAL, "a token's grace of %lld s is outside 0 to %d s",
		                    (long long)grace_s, ZT_TOKEN_GRACE_S_MAX);
	int64_t until;
	if (__builtin_add_overflow(now_s, grace_s, &until))
		return zt_error_set(ZT_ERANGE, "a token's grace deadline overflows");
	static const struct zt_token_hash zero;
	bool had_current = !zt_token_hash_equal(&k->current, &zero);
	if (had_current && grace_s > 0) {
		k->previous = k->current;
		k->has_previous = true;
		k->previous_until_s = until;
	} else {
		memset(&k->previous, 0, sizeof k->previous);
		k->has_previous = false;
		k->previous_until_s = 0;
	}
	k->current = *fresh;
	return 0;
}

/* ---- durations -------------------------------------------------------- */

static const struct {
	char unit;
	int64_t seconds;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

void zt_duration_format(char out[24], int64_t s)
{
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (s != 0 && s % units[i].seconds == 0) {
			snprintf(out, 24, "%lld%c", (long long)(s / units[i].seconds), units[i].unit);
			return;
		}
	snprintf(out, 24, "%llds", (long long)s);
}

int zt_duration_parse(int64_t *out_s, const char *what, const char *text, int64_t max_s)
{
	*out_s = 0;
	what = what ? what : "the duration";
	if (!text || !*text)
		return zt_error_set(ZT_EINVAL, "%s is empty: give a number and a unit, as 30m, 24h or 7d",
		                    what);
	size_t n = strnlen(text, 32);
	size_t digits = 0;
	while (digits < n && text[digits] >= '0' && text[digits] <= '9')
		digits++;
	/* 12 digits of days is far past any maximum, and cannot overflow */
	if (digits == 0 || digits > 12 || n != digits + 1 || !strchr("smhd", text[digits]))
		return zt_error_set(ZT_EINVAL,
		                    "%s '%.32s' is not a duration: a number and one unit, s, m, h "
		                    "or d (30m, 24h, 7d)",
		                    what, text);
	int64_t v = 0;
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (text[i] - '0');
	int64_t unit = 1;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (units[i].unit == text[digits])
			unit = units[i].seconds;
	int64_t s;
	if (__builtin_mul_overflow(v, unit, &s) || s > max_s) {
		char most[24];
		zt_duration_format(most, max_s);
		return zt_error_set(ZT_EINVAL, "%s '%s' is over the most, %s", what, text, most);
	}
	*out_s = s;
	return 0;
}
