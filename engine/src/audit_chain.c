/* zhitong — the audit trail's hash chain (see audit.h, docs/spec/service.md
 * "Audit trail"). No store and no clock: records come in through a
 * callback, heads through files. */
#define _GNU_SOURCE
#include "zhitong/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest_int.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/outfile.h"
#include "zhitong/sign.h"

#define TAG "zhitong-audit-1"
#define ABSENT 0xFFFFFFFFu

static const unsigned char zero_hash[ZT_AUDIT_HASH_BYTES];

/* ---- the canonical form ------------------------------------------------ */

/* Where the canonical bytes go: a growing buffer, or a digest (through a
 * small stage: one EVP_DigestUpdate a record, not two a field). */
struct sink {
	unsigned char *buf;
	size_t len, cap;
	EVP_MD_CTX *md;
	size_t staged;
	unsigned char stage[512];
};

static int sink_flush(struct sink *k)
{
	if (k->staged && EVP_DigestUpdate(k->md, k->stage, k->staged) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	k->staged = 0;
	return 0;
}

static int sink_put(struct sink *k, const void *data, size_t n)
{
	if (k->md) {
		if (n > sizeof k->stage - k->staged) {
			int rc = sink_flush(k);
			if (rc)
				return rc;
			if (n > sizeof k->stage)
				return EVP_DigestUpdate(k->md, data, n) == 1
				               ? 0
				               : zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		}
		if (n)
			memcpy(k->stage + k->staged, data, n);
		k->staged += n;
		return 0;
	}
	if (k->cap - k->len < n) {
		size_t cap = k->cap ? k->cap : 256;
		while (cap - k->len < n)
			cap *= 2;
		unsigned char *p = zt_realloc(k->buf, cap);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "audit record: out of memory");
		k->buf = p;
		k->cap = cap;
	}
	if (n)
		memcpy(k->buf + k->len, data, n);
	k->len += n;
	return 0;
}

static int put_field(struct sink *k, const void *data, size_t n, bool absent)
{
	uint32_t len = absent ? ABSENT : (uint32_t)n;
	unsigned char be[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
	                       (unsigned char)(len >> 8), (unsigned char)len};
	int rc = sink_put(k, be, 4);
	return rc ? rc : absent ? 0 : sink_put(k, data, n);
}

static int put_text(struct sink *k, const char *s, const char *what, bool required, int64_t seq)
{
	if (!s) {
		if (required)
			return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": no %s", seq, what);
		return put_field(k, NULL, 0, true);
	}
	size_t n = strnlen(s, (size_t)ZT_AUDIT_FIELD_BYTES_MAX + 1);
	if (n > ZT_AUDIT_FIELD_BYTES_MAX)
		return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": its %s is over %u bytes", seq,
		                    what, ZT_AUDIT_FIELD_BYTES_MAX);
	return put_field(k, s, n, false);
}

static int check_time(const char *t, int64_t seq)
{
	size_t n = t ? strnlen(t, ZT_AUDIT_TIME_CHARS_MAX + 1) : 0;
	if (n == 0)
		return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": no time", seq);
	if (n > ZT_AUDIT_TIME_CHARS_MAX)
		return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": its time is over %d characters",
		                    seq, ZT_AUDIT_TIME_CHARS_MAX);
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return zt_error_set(ZT_EINVAL,
			                    "audit record %" PRId64 ": its time is not printable ASCII", seq);
	return 0;
}

/* The canonical form of r as if its sequence number were `seq`. */
static int emit(struct sink *k, const struct zt_audit_record *r, int64_t seq)
{
	if (seq < 1)
		return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": sequence numbers start at 1",
		                    seq);
	int rc = check_time(r->time, seq);
	if (rc)
		return rc;
	if (!r->user || !*r->user)
		return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": no user", seq);
	if (!r->action || !*r->action)
		return zt_error_set(ZT_EINVAL, "audit record %" PRId64 ": no action", seq);
	unsigned char be[8];
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)((uint64_t)seq >> (56 - 8 * i));
	if ((rc = put_field(k, TAG, sizeof TAG - 1, false)) || (rc = put_field(k, be, 8, false)) ||
	    (rc = put_text(k, r->time, "time", true, seq)) ||
	    (rc = put_text(k, r->user, "user", true, seq)) ||
	    (rc = put_text(k, r->operator_name, "operator", false, seq)) ||
	    (rc = put_text(k, r->token_id, "token id", false, seq)) ||
	    (rc = put_text(k, r->client, "client", false, seq)) ||
	    (rc = put_text(k, r->action, "action", true, seq)) ||
	    (rc = put_text(k, r->object, "object", true, seq)) ||
	    (rc = put_field(k, r->digest, ZT_AUDIT_HASH_BYTES, !r->has_digest)) ||
	    (rc = put_text(k, r->detail, "detail", false, seq)))
		return rc;
	return 0;
}

int zt_audit_canonical(unsigned char **out, size_t *len_out, const struct zt_audit_record *r)
{
	struct sink k = {0};
	*out = NULL;
	*len_out = 0;
	int rc = emit(&k, r, r->seq);
	if (rc) {
		free(k.buf);
		return rc;
	}
	*out = k.buf;
	*len_out = k.len;
	return 0;
}

/* SHA-256(prev || canonical form of r as record `seq`), on a reused context. */
static int hash_as(unsigned char out[ZT_AUDIT_HASH_BYTES], EVP_MD_CTX *md,
                   const struct zt_audit_record *r, int64_t seq)
{
	struct sink k = {.md = md};
	unsigned int n = 0;
	if (EVP_DigestInit_ex(md, zt_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, r->prev_hash, ZT_AUDIT_HASH_BYTES) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	int rc = emit(&k, r, seq);
	if (rc || (rc = sink_flush(&k)) != 0)
		return rc;
	if (EVP_DigestFinal_ex(md, out, &n) != 1 || n != ZT_AUDIT_HASH_BYTES)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	return 0;
}

int zt_audit_record_hash(unsigned char out[ZT_AUDIT_HASH_BYTES], const struct zt_audit_record *r)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		return zt_error_set(ZT_ENOMEM, "audit record: out of memory");
	int rc = hash_as(out, md, r, r->seq);
	EVP_MD_CTX_free(md);
	return rc;
}

int zt_audit_digest(unsigned char out[ZT_AUDIT_HASH_BYTES], const void *data, size_t len)
{
	unsigned int n = 0;
	if (EVP_Digest(data, len, out, &n, zt_sha256(), NULL) != 1 || n != ZT_AUDIT_HASH_BYTES)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	return 0;
}

int zt_audit_append(struct zt_audit_head *head, struct zt_audit_record *r)
{
	struct zt_audit_record next = *r;
	unsigned char h[ZT_AUDIT_HASH_BYTES];
	if (__builtin_add_overflow(head->seq, 1, &next.seq))
		return zt_error_set(ZT_ERANGE, "the audit trail's sequence is exhausted");
	memcpy(next.prev_hash, head->hash, ZT_AUDIT_HASH_BYTES);
	int rc = zt_audit_record_hash(h, &next);
	if (rc)
		return rc;
	memcpy(next.hash, h, ZT_AUDIT_HASH_BYTES);
	*r = next;
	head->seq = next.seq;
	memcpy(head->hash, h, ZT_AUDIT_HASH_BYTES);
	snprintf(head->time, sizeof head->time, "%s", next.time);
	return 0;
}

/* ---- hex -------------------------------------------------------------- */

void zt_audit_hash_hex(char out[ZT_AUDIT_HASH_HEX_CHARS + 1],
                       const unsigned char hash[ZT_AUDIT_HASH_BYTES])
{
	static const char d[16] = "0123456789abcdef";
	for (size_t i = 0; i < ZT_AUDIT_HASH_BYTES; i++) {
		out[2 * i] = d[hash[i] >> 4];
		out[2 * i + 1] = d[hash[i] & 15];
	}
	out[ZT_AUDIT_HASH_HEX_CHARS] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits exactly (n = 64) into n/2 bytes; -1 otherwise. */
static int hex_decode(unsigned char *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int zt_audit_hash_from_hex(unsigned char out[ZT_AUDIT_HASH_BYTES], const char *hex)
{
	if (!hex || strnlen(hex, ZT_AUDIT_HASH_HEX_CHARS + 1) != ZT_AUDIT_HASH_HEX_CHARS ||
	    hex_decode(out, hex, ZT_AUDIT_HASH_HEX_CHARS) != 0) {
		memset(out, 0, ZT_AUDIT_HASH_BYTES);
		return zt_error_set(ZT_EINVAL, "an audit hash is not 64 hex digits");
	}
	return 0;
}

/* ---- the head ----------------------------------------------------------- */

#define HEAD_FIRST "zhitong audit head 1"

int zt_audit_head_format(char *out, size_t cap, const struct zt_audit_head *h)
{
	char hex[ZT_AUDIT_HASH_HEX_CHARS + 1];
	zt_audit_hash_hex(hex, h->hash);
	int n;
	if (h->seq < 0)
		return zt_error_set(ZT_EINVAL, "an audit head's sequence is negative");
	if (h->time[0])
		n = snprintf(out, cap, HEAD_FIRST "\nsequence %" PRId64 "\nsha256 %s\ntime %s\n", h->seq,
		             hex, h->time);
	else
		n = snprintf(out, cap, HEAD_FIRST "\nsequence %" PRId64 "\nsha256 %s\n", h->seq, hex);
	if (n < 0 || (size_t)n >= cap)
		return zt_error_set(ZT_ERANGE, "an audit head does not fit in %zu bytes", cap);
	return 0;
}

/* The next line of text[*pos..len) without its "\n" (which must be there). */
static bool next_line(const char **line, size_t *n, const char *text, size_t len, size_t *pos)
{
	if (*pos >= len)
		return false;
	const char *s = text + *pos, *nl = memchr(s, '\n', len - *pos);
	if (!nl)
		return false;
	*line = s;
	*n = (size_t)(nl - s);
	*pos += *n + 1;
	return true;
}

static bool line_is(const char *line, size_t n, const char *key, const char **value, size_t *vn)
{
	size_t k = strlen(key);
	if (n <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
		return false;
	*value = line + k + 1;
	*vn = n - k - 1;
	return true;
}

int zt_audit_head_parse(struct zt_audit_head *out, const char *text, size_t len)
{
	memset(out, 0, sizeof *out);
	size_t pos = 0, n = 0, vn = 0;
	const char *line = NULL, *v = NULL;
	if (memchr(text, '\0', len))
		return zt_error_set(ZT_EINVAL, "audit head: it holds a NUL byte");
	if (!next_line(&line, &n, text, len, &pos) || n != strlen(HEAD_FIRST) ||
	    memcmp(line, HEAD_FIRST, n) != 0)
		return zt_error_set(ZT_EINVAL, "audit head: line 1 is not '" HEAD_FIRST "'");
	if (!next_line(&line, &n, text, len, &pos) || !line_is(line, n, "sequence", &v, &vn) ||
	    vn > 18 || (vn > 1 && v[0] == '0'))
		return zt_error_set(ZT_EINVAL, "audit head: line 2 is not 'sequence N'");
	int64_t seq = 0;
	for (size_t i = 0; i < vn; i++) {
		if (v[i] < '0' || v[i] > '9')
			return zt_error_set(ZT_EINVAL, "audit head: line 2 is not 'sequence N'");
		seq = seq * 10 + (v[i] - '0');
	}
	if (!next_line(&line, &n, text, len, &pos) || !line_is(line, n, "sha256", &v, &vn) ||
	    vn != ZT_AUDIT_HASH_HEX_CHARS || hex_decode(out->hash, v, vn) != 0)
		return zt_error_set(ZT_EINVAL, "audit head: line 3 is not 'sha256' and 64 hex digits");
	for (size_t i = 0; i < vn; i++)
		if (v[i] >= 'A' && v[i] <= 'F')
			return zt_error_set(ZT_EINVAL, "audit head: line 3's hex digits are not lower case");
	out->seq = seq;
	if (pos < len) {
		if (!next_line(&line, &n, text, len, &pos) || !line_is(line, n, "time", &v, &vn) ||
		    vn > ZT_AUDIT_TIME_CHARS_MAX)
			return zt_error_set(ZT_EINVAL, "audit head: line 4 is not 'time' and a timestamp");
		for (size_t i = 0; i < vn; i++)
			if (v[i] <= ' ' || v[i] > '~')
				return zt_error_set(ZT_EINVAL, "audit head: line 4 is not 'time' and a timestamp");
		memcpy(out->time, v, vn);
		out->time[vn] = '\0';
	}
	if (pos != len)
		return zt_error_set(ZT_EINVAL, "audit head: text after line %d", out->time[0] ? 4 : 3);
	if (seq == 0 && (memcmp(out->hash, zero_hash, ZT_AUDIT_HASH_BYTES) != 0 || out->time[0]))
		return zt_error_set(ZT_EINVAL,
		                    "audit head: sequence 0 (the empty trail) has a zero hash and no time");
	if (seq > 0 && !out->time[0])
		return zt_error_set(ZT_EINVAL, "audit head: no time line");
	return 0;
}

int zt_audit_head_write(const char *path, const struct zt_audit_head *h, const char *key_pem_path,
                        int out_flags)
{
	char text[256], sig_path[4096];
	struct zt_outfile *file = NULL, *sig = NULL;
	unsigned char *sig_bytes = NULL;
	size_t sig_len = 0;
	int rc = zt_audit_head_format(text, sizeof text, h);
	if (rc)
		return rc;
	if (key_pem_path && snprintf(sig_path, sizeof sig_path, "%s.sig", path) >= (int)sizeof sig_path)
		return zt_error_set(ZT_EINVAL, "audit head '%s': the path is too long", path);
	if ((rc = zt_outfile_open(&file, path, 0644, out_flags)) ||
	    (rc = zt_outfile_write(file, text, strlen(text))) || (rc = zt_outfile_finish(file, NULL)))
		goto done;
	if (key_pem_path) {
		if ((rc = zt_outfile_open(&sig, sig_path, 0644, out_flags | ZT_OUT_WITHDRAWABLE)))
			goto done;
		/* written again: a signature there that holds for these bytes stays
		 * (an SM2 signature is never the same twice) */
		bool kept = zt_outfile_target_exists(sig) &&
		            zt_sign_check(zt_outfile_tmp_path(file), sig_path, key_pem_path) == 0;
		zt_error_clear();
		if (!kept && ((rc = zt_sign_bytes(&sig_bytes, &sig_len, zt_outfile_tmp_path(file),
		                                  key_pem_path)) ||
		              (rc = zt_outfile_write(sig, sig_bytes, sig_len)) ||
		              (rc = zt_outfile_finish(sig, NULL)) || (rc = zt_outfile_publish(sig))))
			goto done;
	}
	rc = zt_outfile_publish(file);
	if (rc && sig) {
		/* the head did not appear: nor does the signature published for it
		 * (what was there before stays; outfile.h) */
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		char left[ZT_MESSAGE_BYTES_MAX] = "";
		if (zt_outfile_withdraw(sig))
			snprintf(left, sizeof left, "; and then: %s", zt_error_last());
		zt_error_set(rc, "%s%s", why, left);
	}
done:
	free(sig_bytes);
	zt_outfile_free(sig);
	zt_outfile_free(file);
	return rc;
}

int zt_audit_head_read(struct zt_audit_head *out, const char *path, const char *pub_pem_path)
{
	char buf[ZT_AUDIT_HEAD_BYTES_MAX + 1], sig_path[4096];
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO, "audit head '%s': %s", path,
		                    strerror(errno));
	size_t len = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = zt_error_set(ZT_EIO, "audit head '%s': %s", path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > ZT_AUDIT_HEAD_BYTES_MAX) {
			rc = zt_error_set(ZT_EINVAL, "audit head '%s': over %d bytes: not a head", path,
			                  ZT_AUDIT_HEAD_BYTES_MAX);
			goto done;
		}
	}
	if (pub_pem_path) {
		if (snprintf(sig_path, sizeof sig_path, "%s.sig", path) >= (int)sizeof sig_path) {
			rc = zt_error_set(ZT_EINVAL, "audit head '%s': the path is too long", path);
			goto done;
		}
		if ((rc = zt_verify_file(path, sig_path, pub_pem_path))) {
			if (rc == ZT_EINVAL)
				zt_error_set(ZT_EINVAL, "audit head '%s': its signature does not verify with '%s'",
				             path, pub_pem_path);
			goto done;
		}
	}
	if ((rc = zt_audit_head_parse(out, buf, len))) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		zt_error_set(rc, "'%s': %s", path, msg);
	}
done:
	close(fd);
	return rc;
}

/* ---- verifying ------------------------------------------------------------ */

const char *zt_audit_fault_name(enum zt_audit_fault f)
{
	switch (f) {
	case ZT_AUDIT_INTACT: return "intact";
	case ZT_AUDIT_ALTERED: return "altered";
	case ZT_AUDIT_REMOVED: return "removed";
	case ZT_AUDIT_INSERTED: return "inserted";
	case ZT_AUDIT_REORDERED: return "reordered";
	case ZT_AUDIT_REWRITTEN: return "rewritten";
	}
	return "?";
}

/* How far the verifier looks, around a record that does not match its
 * hash, for the place it was written for (2 × WINDOW hashes, once), and
 * how many verified hashes it keeps to tell where an inserted stretch
 * began. */
#define WINDOW 256

struct walk {
	EVP_MD_CTX *md;
	struct zt_audit_verdict *out;
	/* the last WINDOW records verified, oldest first overwritten */
	int64_t win_seq[WINDOW];
	unsigned char win_hash[WINDOW][ZT_AUDIT_HASH_BYTES];
	size_t win_n, win_at;
};

static int fault(struct walk *w, enum zt_audit_fault f, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fault(struct walk *w, enum zt_audit_fault f, int64_t seq, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->out->message, sizeof w->out->message, fmt, ap);
	va_end(ap);
	w->out->fault = f;
	w->out->seq = seq;
	return zt_error_set(ZT_EINVAL, "%s", w->out->message);
}

static void window_push(struct walk *w, int64_t seq, const unsigned char *hash)
{
	w->win_seq[w->win_at] = seq;
	memcpy(w->win_hash[w->win_at], hash, ZT_AUDIT_HASH_BYTES);
	w->win_at = (w->win_at + 1) % WINDOW;
	if (w->win_n < WINDOW)
		w->win_n++;
}

/* The sequence number of a verified record in the window with this hash, or 0. */
static int64_t window_find(const struct walk *w, const unsigned char *hash)
{
	for (size_t i = 0; i < w->win_n; i++)
		if (memcmp(w->win_hash[i], hash, ZT_AUDIT_HASH_BYTES) == 0)
			return w->win_seq[i];
	return 0;
}

/* Whether r's hash is right for record number `seq`; a record that cannot
 * be put in canonical form is wrong for every number. */
static int written_as(bool *yes, struct walk *w, const struct zt_audit_record *r, int64_t seq)
{
	unsigned char h[ZT_AUDIT_HASH_BYTES];
	*yes = false;
	int rc = hash_as(h, w->md, r, seq);
	if (rc == ZT_EINVAL)
		return 0;
	if (rc)
		return rc;
	*yes = memcmp(h, r->hash, ZT_AUDIT_HASH_BYTES) == 0;
	return 0;
}

/* A record at position `pos` that does not match its hash: the verdict
 * waits until the records after it say whether it was moved there,
 * inserted, or altered where it stands. */
struct pending {
	bool active;
	int64_t pos;        /* the place in the chain where it broke */
	int64_t written_as; /* the place the record found there was written for, or 0 */
	unsigned char prev_hash[ZT_AUDIT_HASH_BYTES], hash[ZT_AUDIT_HASH_BYTES]; /* its own */
	char why[160];      /* why it cannot be hashed at all, or "" */
	int64_t gap_to;     /* or: records pos..gap_to-1 are missing, record gap_to came */
};

int zt_audit_verify(struct zt_audit_verdict *out, zt_audit_next_fn next, void *ctx,
                    const struct zt_audit_anchors *anchors)
{
	memset(out, 0, sizeof *out);
	struct walk w = {.out = out};
	struct pending p = {0};
	struct zt_audit_record r;
	const struct zt_audit_head *head = anchors ? anchors->head : NULL;
	int64_t last_count = anchors ? anchors->last_seq : 0;
	int64_t e = 1; /* the number the next record must have */
	unsigned char prev[ZT_AUDIT_HASH_BYTES] = {0};
	int rc = 0;
	if (!(w.md = EVP_MD_CTX_new()))
		return zt_error_set(ZT_ENOMEM, "audit verify: out of memory");
	if (head && head->seq < 0) {
		rc = zt_error_set(ZT_EINVAL, "audit verify: the head's sequence is negative");
		goto done;
	}

	for (;;) {
		memset(&r, 0, sizeof r);
		int got = next(ctx, &r);
		if (got < 0) {
			rc = got;
			goto done;
		}
		if (got == 0)
			break;
		out->records++;

		if (p.active && p.gap_to) {
			/* do the missing records come later? */
			if (r.seq >= p.pos && r.seq < p.gap_to) {
				rc = fault(&w, ZT_AUDIT_REORDERED, r.seq,
				           "audit record %" PRId64 " is out of place: it comes after record %" PRId64
				           " (records reordered)",
				           r.seq, p.gap_to);
				goto done;
			}
			continue;
		}
		if (p.active) {
			/* Where was the record at p.pos written? The record written
			 * just before it carries its previous hash as its own; the one
			 * written just after it, its hash as previous. */
			if (!p.written_as) {
				if (memcmp(r.hash, p.prev_hash, ZT_AUDIT_HASH_BYTES) == 0 && r.seq + 1 != p.pos)
					p.written_as = r.seq + 1;
				else if (memcmp(r.prev_hash, p.hash, ZT_AUDIT_HASH_BYTES) == 0 &&
				         r.seq - 1 != p.pos && r.seq > 1)
					p.written_as = r.seq - 1;
			}
			/* and where is the record written for p.pos? */
			bool yes;
			if ((rc = written_as(&yes, &w, &r, p.pos)))
				goto done;
			if (yes && p.written_as) {
				rc = fault(&w, ZT_AUDIT_REORDERED, p.pos,
				           "audit record %" PRId64 " is out of place: it is now at position "
				           "%" PRId64 ", and position %" PRId64 " holds the record written as %" PRId64
				           " (records reordered)",
				           p.pos, r.seq, p.pos, p.written_as);
				goto done;
			}
			if (yes) {
				rc = fault(&w, ZT_AUDIT_INSERTED, p.pos,
				           "audit record %" PRId64 " was inserted: the record written as %" PRId64
				           " follows it (now numbered %" PRId64 ")",
				           p.pos, p.pos, r.seq);
				goto done;
			}
			continue;
		}

		if (r.seq < e) {
			if (r.seq == e - 1)
				rc = fault(&w, ZT_AUDIT_INSERTED, r.seq,
				           "audit record %" PRId64 " appears twice (a record was inserted)", r.seq);
			else
				rc = fault(&w, ZT_AUDIT_REORDERED, r.seq,
				           "audit record %" PRId64 " comes after record %" PRId64
				           " (records reordered)",
				           r.seq, e - 1);
			goto done;
		}
		if (r.seq > e) {
			/* removed, unless the missing ones come later */
			p.active = true;
			p.pos = e;
			p.gap_to = r.seq;
			continue;
		}

		unsigned char h[ZT_AUDIT_HASH_BYTES];
		int hrc = hash_as(h, w.md, &r, e);
		if (hrc && hrc != ZT_EINVAL) {
			rc = hrc;
			goto done;
		}
		if (hrc == 0 && memcmp(h, r.hash, ZT_AUDIT_HASH_BYTES) == 0) {
			if (memcmp(r.prev_hash, prev, ZT_AUDIT_HASH_BYTES) != 0) {
				int64_t j = window_find(&w, r.prev_hash);
				if (j > 0 && j < e - 1)
					rc = fault(&w, ZT_AUDIT_INSERTED, j + 1,
					           "audit record %" PRId64 " was inserted: record %" PRId64
					           " follows record %" PRId64 ", not %" PRId64,
					           j + 1, e, j, e - 1);
				else if (e == 1)
					rc = fault(&w, ZT_AUDIT_ALTERED, 1,
					           "audit record 1 was altered: it does not start the chain "
					           "(its previous hash is not zero)");
				else
					rc = fault(&w, ZT_AUDIT_ALTERED, e - 1,
					           "audit record %" PRId64 " was altered: record %" PRId64
					           " does not follow it (record %" PRId64
					           " was rewritten with a new hash, or records removed after it)",
					           e - 1, e, e - 1);
				goto done;
			}
			memcpy(prev, r.hash, ZT_AUDIT_HASH_BYTES);
			window_push(&w, e, r.hash);
			out->last.seq = e;
			memcpy(out->last.hash, r.hash, ZT_AUDIT_HASH_BYTES);
			snprintf(out->last.time, sizeof out->last.time, "%s", r.time);
			if (head && head->seq == e &&
			    memcmp(head->hash, r.hash, ZT_AUDIT_HASH_BYTES) != 0) {
				char a[ZT_AUDIT_HASH_HEX_CHARS + 1], b[ZT_AUDIT_HASH_HEX_CHARS + 1];
				zt_audit_hash_hex(a, r.hash);
				zt_audit_hash_hex(b, head->hash);
				rc = fault(&w, ZT_AUDIT_REWRITTEN, e,
				           "audit record %" PRId64 " is not the published head's (hash %.16s…, "
				           "the head says %.16s…): a record at or before %" PRId64
				           " was rewritten",
				           e, a, b, e);
				goto done;
			}
			e++;
			continue;
		}

		if (e > 1 && memcmp(r.hash, prev, ZT_AUDIT_HASH_BYTES) == 0) {
			rc = fault(&w, ZT_AUDIT_INSERTED, e,
			           "audit record %" PRId64 " was inserted: it is a copy of record %" PRId64, e,
			           e - 1);
			goto done;
		}
		/* r does not match its hash as record e: written for another place? */
		p.active = true;
		p.pos = e;
		memcpy(p.prev_hash, r.prev_hash, ZT_AUDIT_HASH_BYTES);
		memcpy(p.hash, r.hash, ZT_AUDIT_HASH_BYTES);
		if (hrc == ZT_EINVAL) {
			/* "audit record N: its time is ..." without its subject */
			const char *why = zt_error_last(), *colon = strstr(why, ": ");
			snprintf(p.why, sizeof p.why, "%s", colon ? colon + 2 : why);
		}
		for (int64_t d = 1; d <= WINDOW && !p.written_as; d++) {
			int64_t cand[2] = {e + d, e - d};
			for (int i = 0; i < 2 && !p.written_as; i++) {
				bool yes;
				if (cand[i] < 1)
					continue;
				if ((rc = written_as(&yes, &w, &r, cand[i])))
					goto done;
				if (yes)
					p.written_as = cand[i];
			}
		}
		if (p.written_as && p.written_as < e) {
			/* the record written as s sits at e: those at s..e-1 were put in before it */
			rc = fault(&w, ZT_AUDIT_INSERTED, p.written_as,
			           "audit record %" PRId64 " was inserted: the record written as %" PRId64
			           " is now at position %" PRId64,
			           p.written_as, p.written_as, e);
			goto done;
		}
	}

	if (p.active && p.gap_to) {
		if (p.pos == 1 && p.gap_to == 2)
			rc = fault(&w, ZT_AUDIT_REMOVED, 1,
			           "audit record 1 was removed: the trail starts at record 2");
		else if (p.pos == 1)
			rc = fault(&w, ZT_AUDIT_REMOVED, 1,
			           "audit records 1 to %" PRId64 " were removed: the trail starts at record %" PRId64,
			           p.gap_to - 1, p.gap_to);
		else if (p.gap_to == p.pos + 1)
			rc = fault(&w, ZT_AUDIT_REMOVED, p.pos,
			           "audit record %" PRId64 " was removed: record %" PRId64
			           " follows record %" PRId64,
			           p.pos, p.gap_to, p.pos - 1);
		else
			rc = fault(&w, ZT_AUDIT_REMOVED, p.pos,
			           "audit records %" PRId64 " to %" PRId64 " were removed: record %" PRId64
			           " follows record %" PRId64,
			           p.pos, p.gap_to - 1, p.gap_to, p.pos - 1);
		goto done;
	}
	if (p.active) {
		if (p.written_as == p.pos + 1)
			rc = fault(&w, ZT_AUDIT_REMOVED, p.pos,
			           "audit record %" PRId64 " was removed: the records after it were renumbered "
			           "(position %" PRId64 " holds the record written as %" PRId64 ")",
			           p.pos, p.pos, p.written_as);
		else if (p.written_as > p.pos)
			rc = fault(&w, ZT_AUDIT_REMOVED, p.pos,
			           "audit records %" PRId64 " to %" PRId64 " were removed: the records after "
			           "them were renumbered (position %" PRId64 " holds the record written as %" PRId64
			           ")",
			           p.pos, p.written_as - 1, p.pos, p.written_as);
		else if (p.written_as)
			rc = fault(&w, ZT_AUDIT_REORDERED, p.pos,
			           "audit record %" PRId64 " is out of place: position %" PRId64
			           " holds the record written as %" PRId64 " (records reordered)",
			           p.pos, p.pos, p.written_as);
		else if (p.why[0])
			rc = fault(&w, ZT_AUDIT_ALTERED, p.pos,
			           "audit record %" PRId64 " was altered: %s", p.pos, p.why);
		else
			rc = fault(&w, ZT_AUDIT_ALTERED, p.pos,
			           "audit record %" PRId64 " was altered: its contents do not match its hash",
			           p.pos);
		goto done;
	}
	if (last_count > 0 && e - 1 < last_count) {
		if (e == last_count)
			rc = fault(&w, ZT_AUDIT_REMOVED, e,
			           "audit record %" PRId64 " was removed: the trail ends at record %" PRId64
			           " but %" PRId64 " were written",
			           e, e - 1, last_count);
		else
			rc = fault(&w, ZT_AUDIT_REMOVED, e,
			           "audit records %" PRId64 " to %" PRId64 " were removed: the trail ends at "
			           "record %" PRId64 " but %" PRId64 " were written",
			           e, last_count, e - 1, last_count);
		goto done;
	}
	if (last_count > 0 && e - 1 > last_count) {
		rc = fault(&w, ZT_AUDIT_INSERTED, last_count + 1,
		           "audit record %" PRId64 " was inserted: the store counts %" PRId64
		           " records written, the trail holds %" PRId64,
		           last_count + 1, last_count, e - 1);
		goto done;
	}
	if (head && head->seq > e - 1) {
		rc = fault(&w, ZT_AUDIT_REMOVED, e,
		           "audit record %" PRId64 " was removed: the trail ends at record %" PRId64
		           ", before the published head (record %" PRId64 ")",
		           e, e - 1, head->seq);
		goto done;
	}
	if (head && head->seq == 0 && memcmp(head->hash, zero_hash, ZT_AUDIT_HASH_BYTES) != 0) {
		rc = fault(&w, ZT_AUDIT_REWRITTEN, 0, "the published head is record 0 with a hash");
		goto done;
	}
done:
	EVP_MD_CTX_free(w.md);
	return rc;
}
