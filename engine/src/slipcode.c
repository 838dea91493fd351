/* zhitong — the slip's verification code (see slipcode.h, docs/slip.md). */
#include "zhitong/slipcode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"

#define DOMAIN_TAG "zhitong-slipcode-1"

/* Crockford's base32: 0-9 A-Z without I L O U. */
static const char b32[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The value of a character as read back (case-folded, O → 0, I and L → 1),
 * or -1. */
static int b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	const char *p = c ? memchr(b32, c, sizeof b32) : NULL;
	return p ? (int)(p - b32) : -1;
}

/* A key id as written: 1–2 characters of the alphabet, upper case. */
static int key_id_norm(char out[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1], const char *key_id)
{
	size_t n = key_id ? strlen(key_id) : 0;
	if (n < 1 || n > ZT_SLIPCODE_KEY_ID_CHARS_MAX)
		return zt_error_set(ZT_EINVAL, "slip key id '%.8s' is not 1 or 2 characters",
		                    key_id ? key_id : "");
	for (size_t i = 0; i < n; i++) {
		int v = b32_value(key_id[i]);
		char c = key_id[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		/* written ids use the alphabet itself: no O, I, L or U to fold */
		if (v < 0 || b32[v] != c)
			return zt_error_set(ZT_EINVAL,
			                    "slip key id '%s' has a character outside 0-9 A-Z "
			                    "without I L O U",
			                    key_id);
		out[i] = b32[v];
	}
	out[n] = '\0';
	return 0;
}

/* ---- canonical content -------------------------------------------------- */

struct canon {
	unsigned char *data;
	size_t len, cap;
};

static int canon_field(struct canon *c, const char *text, const char *what)
{
	if (!text || !*text)
		return zt_error_set(ZT_EINVAL, "slip code: %s is missing", what);
	size_t n = strlen(text);
	if (n > UINT32_MAX / 2)
		return zt_error_set(ZT_EINVAL, "slip code: %s is too long", what);
	if (c->cap - c->len < n + 4) {
		size_t cap = (c->cap + n + 4) * 2;
		unsigned char *p = zt_realloc(c->data, cap);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "slip code: out of memory");
		c->data = p;
		c->cap = cap;
	}
	unsigned char *p = c->data + c->len;
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	memcpy(p + 4, text, n);
	c->len += n + 4;
	return 0;
}

static int canon_amount(struct canon *c, zt_fen v, const char *what)
{
	char a[ZT_FMT_BYTES];
	return canon_field(c, zt_format_amount(a, v), what);
}

int zt_slipcode_canonical(unsigned char **out, size_t *len_out, const char *key_id,
                          const struct zt_slipcode_content *sc)
{
	struct canon c = {0};
	char kid[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1], count[16];
	int rc = key_id_norm(kid, key_id);
	if (rc)
		return rc;
	if (sc->fund_count < 0 || (sc->fund_count > 0 && !sc->funds))
		return zt_error_set(ZT_EINVAL, "slip code: %d funds", sc->fund_count);
	snprintf(count, sizeof count, "%d", sc->fund_count);
	if ((rc = canon_field(&c, DOMAIN_TAG, "the tag")) || (rc = canon_field(&c, kid, "the key id")) ||
	    (rc = canon_field(&c, sc->setl_id, "setl_id")) ||
	    (rc = canon_field(&c, sc->hospital_code, "the hospital code")) ||
	    (rc = canon_field(&c, sc->claim_no, "claim_no")) ||
	    (rc = canon_field(&c, sc->psn_no, "psn_no")) ||
	    (rc = canon_amount(&c, sc->medfee_sumamt_fen, "medfee_sumamt")) ||
	    (rc = canon_field(&c, count, "the number of funds")))
		goto done;
	for (int i = 0; i < sc->fund_count; i++)
		if ((rc = canon_field(&c, sc->funds[i].code, "a fund's code")) ||
		    (rc = canon_amount(&c, sc->funds[i].paid_fen, "a fund's amount")))
			goto done;
	if ((rc = canon_amount(&c, sc->psn_part_fen, "psn_part_amt")))
		goto done;
	*out = c.data;
	*len_out = c.len;
	c.data = NULL;
done:
	free(c.data);
	return rc;
}

/* ---- the code ------------------------------------------------------------ */

/* The truncated MAC of the content under the key. */
static int mac_of(unsigned char mac[ZT_SLIPCODE_MAC_BYTES], const unsigned char *key, size_t key_len,
                  const char *key_id, const struct zt_slipcode_content *sc)
{
	if (!key || key_len < ZT_SLIPCODE_KEY_BYTES_MIN)
		return zt_error_set(ZT_EINVAL, "slip key is shorter than %d bytes",
		                    ZT_SLIPCODE_KEY_BYTES_MIN);
	unsigned char *msg = NULL, full[32];
	size_t msg_len = 0, full_len = 0;
	int rc = zt_slipcode_canonical(&msg, &msg_len, key_id, sc);
	if (rc)
		return rc;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, msg, msg_len, full,
	               sizeof full, &full_len) ||
	    full_len != sizeof full)
		rc = zt_error_set(ZT_EINTERNAL, "slip code: HMAC-SHA256 failed");
	free(msg);
	if (rc == 0) {
		memcpy(mac, full, ZT_SLIPCODE_MAC_BYTES);
		mac[ZT_SLIPCODE_MAC_BYTES - 1] &= 0xF0; /* 100 bits: the last 4 are not in the code */
	}
	OPENSSL_cleanse(full, sizeof full);
	return rc;
}

/* Bits [5i, 5i+5) of the MAC, most significant first. */
static int mac_char(const unsigned char mac[ZT_SLIPCODE_MAC_BYTES], int i)
{
	int bit = 5 * i, byte = bit / 8, shift = bit % 8;
	unsigned v = (unsigned)mac[byte] << 8 | (byte + 1 < ZT_SLIPCODE_MAC_BYTES ? mac[byte + 1] : 0);
	return (int)((v >> (11 - shift)) & 31u);
}

int zt_slipcode_compute(char out[ZT_SLIPCODE_BYTES], const unsigned char *key, size_t key_len,
                        const char *key_id, const struct zt_slipcode_content *c)
{
	unsigned char mac[ZT_SLIPCODE_MAC_BYTES];
	char kid[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1];
	int rc = key_id_norm(kid, key_id);
	if (rc || (rc = mac_of(mac, key, key_len, kid, c)))
		return rc;
	size_t n = (size_t)snprintf(out, ZT_SLIPCODE_BYTES, "%s", kid);
	for (int i = 0; i < ZT_SLIPCODE_MAC_CHARS; i++) {
		if (i % 4 == 0)
			out[n++] = '-';
		out[n++] = b32[mac_char(mac, i)];
	}
	out[n] = '\0';
	return 0;
}

int zt_slipcode_parse(struct zt_slipcode *out, const char *text)
{
	int v[ZT_SLIPCODE_KEY_ID_CHARS_MAX + ZT_SLIPCODE_MAC_CHARS];
	int n = 0;
	for (const char *p = text ? text : ""; *p; p++) {
		if (*p == '-' || *p == ' ' || *p == '\t')
			continue;
		int x = b32_value(*p);
		if (x < 0 || n == (int)(sizeof v / sizeof *v))
			goto bad;
		v[n++] = x;
	}
	int kid = n - ZT_SLIPCODE_MAC_CHARS;
	if (kid < 1 || kid > ZT_SLIPCODE_KEY_ID_CHARS_MAX)
		goto bad;
	struct zt_slipcode c = {{0}, {0}};
	for (int i = 0; i < kid; i++)
		c.key_id[i] = b32[v[i]];
	for (int i = 0; i < ZT_SLIPCODE_MAC_CHARS; i++) {
		int bit = 5 * i;
		for (int k = 0; k < 5; k++, bit++)
			if (v[kid + i] & (16 >> k))
				c.mac[bit / 8] |= (unsigned char)(0x80u >> (bit % 8));
	}
	*out = c;
	return 0;
bad:
	return zt_error_set(ZT_EINVAL, "'%.40s' is not a slip code", text ? text : "");
}

bool zt_slipcode_equal(const struct zt_slipcode *a, const struct zt_slipcode *b)
{
	/* both structs are fully initialised (key ids NUL-padded) */
	int d = CRYPTO_memcmp(a->key_id, b->key_id, sizeof a->key_id);
	d |= CRYPTO_memcmp(a->mac, b->mac, sizeof a->mac);
	return d == 0;
}

int zt_slipcode_check(const struct zt_slipcode *code, const unsigned char *key, size_t key_len,
                      const struct zt_slipcode_content *c)
{
	struct zt_slipcode want = {{0}, {0}};
	memcpy(want.key_id, code->key_id, sizeof want.key_id);
	int rc = mac_of(want.mac, key, key_len, code->key_id, c);
	if (rc)
		return rc;
	bool ok = zt_slipcode_equal(&want, code);
	OPENSSL_cleanse(&want, sizeof want);
	return ok ? 0 : zt_error_set(ZT_EINVAL, "slip code '%s-…' is not genuine", code->key_id);
}

int zt_slipcode_qr_text(char *out, size_t cap, const char *prefix, const char *code)
{
	int n = snprintf(out, cap, "%s%s", prefix ? prefix : ZT_SLIPCODE_QR_PREFIX, code);
	if (n < 0 || (size_t)n >= cap)
		return zt_error_set(ZT_ERANGE, "the slip's QR text is longer than %zu bytes", cap);
	return 0;
}

const char *zt_slipcode_in_qr(const char *qr_text)
{
	const char *code = qr_text;
	for (const char *p = qr_text; *p; p++)
		if (*p == ':' || *p == '/' || *p == '=' || *p == '?')
			code = p + 1;
	return code;
}

/* ---- the key file -------------------------------------------------------- */

int zt_slipcode_key_read(unsigned char out[ZT_SLIPCODE_KEY_BYTES_MAX], size_t *len_out,
                         const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc = 0;
	if (fd < 0)
		return zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO,
		                    "slip key '%s' cannot be opened: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = zt_error_set(ZT_EIO, "slip key '%s' is not a regular file", path);
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = zt_error_set(ZT_EINVAL, "slip key '%s' is open to group or others (mode %03o): chmod 600 it",
		                  path, (unsigned)(st.st_mode & 0777));
		goto done;
	}
	if (st.st_size < ZT_SLIPCODE_KEY_BYTES_MIN || st.st_size > ZT_SLIPCODE_KEY_BYTES_MAX) {
		rc = zt_error_set(ZT_EINVAL, "slip key '%s' is %lld bytes (%d to %d)", path,
		                  (long long)st.st_size, ZT_SLIPCODE_KEY_BYTES_MIN,
		                  ZT_SLIPCODE_KEY_BYTES_MAX);
		goto done;
	}
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, out + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = zt_error_set(ZT_EIO, "slip key '%s' cannot be read", path);
			goto done;
		}
		len += (size_t)r;
	}
	*len_out = len;
done:
	close(fd);
	return rc;
}
