/* zhitong — camt.053.001.02 / .08 bank statement reader (see iso20022.h).
 *
 * A statement is read from a source (source.h) as a stream: its first
 * bytes give the root namespace, which picks the official XSD; one <Ntry>
 * at a time is expanded, checked (an amount of 1.005 is valid XSD but not
 * whole fen) and reported while libxml2 validates the stream. The reader
 * of a path reads it twice, validating first, so that its caller never
 * sees half a statement from a file that is refused. */
#include "zhitong/iso20022.h"
#include "zhitong/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <openssl/evp.h>

#include "ring.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/xml.h"
#include "xml_int.h"

#define CAMT_NS_02 "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
#define CAMT_NS_08 "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
#define DIGEST_TAG "zt-camt-entry-v1\n"

/* ---- small growing strings ---------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static int sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = zt_realloc(b->p, cap);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* A space-joined list kept twice: in full (for the digest) and as whole
 * items that fit into the caller's fixed field. Once an item does not fit,
 * later ones are left out too, so the field is always a prefix of the
 * list and never a cut item. */
struct joined {
	struct sbuf full;
	char *dst;
	size_t cap, dlen;
	bool closed;
};

static void jn_start(struct joined *j, char *dst, size_t cap)
{
	sb_reset(&j->full);
	j->dst = dst;
	j->cap = cap;
	j->dlen = 0;
	j->closed = false;
	dst[0] = '\0';
}

static int jn_add(struct joined *j, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	int rc = 0;
	if (j->full.len && (rc = sb_add(&j->full, " ", 1)))
		return rc;
	if ((rc = sb_add(&j->full, s, n)))
		return rc;
	size_t sep = j->dlen ? 1 : 0;
	if (!j->closed && j->dlen + sep + n < j->cap) {
		if (sep)
			j->dst[j->dlen++] = ' ';
		memcpy(j->dst + j->dlen, s, n);
		j->dlen += n;
		j->dst[j->dlen] = '\0';
	} else {
		j->closed = true;
	}
	return 0;
}

/* ---- occurrences of one canonical form ---------------------------- */

struct occ_slot {
	unsigned char key[32];
	size_t count; /* 0: empty */
};

struct occ_table {
	struct occ_slot *slots;
	size_t cap, used;
};

static size_t occ_hash(const unsigned char key[32])
{
	size_t h;
	memcpy(&h, key, sizeof h); /* a SHA-256 is already uniform */
	return h;
}

/* Counts one more occurrence of `key` and returns the new count. */
static int occ_next(struct occ_table *t, const unsigned char key[32], size_t *out)
{
	if ((t->used + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct occ_slot *s = zt_calloc(cap, sizeof *s);
		if (!s)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].count)
				continue;
			size_t k = occ_hash(t->slots[i].key) & (cap - 1);
			while (s[k].count)
				k = (k + 1) & (cap - 1);
			s[k] = t->slots[i];
		}
		free(t->slots);
		t->slots = s;
		t->cap = cap;
	}
	size_t k = occ_hash(key) & (t->cap - 1);
	while (t->slots[k].count && memcmp(t->slots[k].key, key, 32) != 0)
		k = (k + 1) & (t->cap - 1);
	if (!t->slots[k].count) {
		memcpy(t->slots[k].key, key, 32);
		t->used++;
	}
	*out = ++t->slots[k].count;
	return 0;
}

static void occ_clear(struct occ_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->used = 0;
}

/* ---- the walk ----------------------------------------------------- */

struct walker {
	EVP_MD *sha256;  /* fetched once: an implicit fetch per digest is slow */
	EVP_MD_CTX *md;
	EVP_MD_CTX *md_more; /* the canonical form's digest, carried on (digest) */
	const char *path;
	int version;
	bool report; /* false: check only */
	zt_camt_entry_cb cb;
	void *ctx;
	struct zt_camt_statement st;
	struct occ_table occ;
	struct joined rmt, refs;
	struct sbuf canon;
};

static long line_of(const xmlNode *n) { return xmlGetLineNo(n); }

/* Bytes of the longest prefix of `s` of at most `max` bytes that does not
 * cut a UTF-8 sequence (messages quote at most that much). */
static int quote_len(const char *s, int max)
{
	int n = 0;
	while (s[n] && n < max)
		n++;
	if (s[n])
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	return n;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	if (!n)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static const xmlNode *next_named(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->next; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* child(child(...)) along a '/'-separated path. */
static const xmlNode *at(const xmlNode *n, const char *path)
{
	char name[32];
	while (n && *path) {
		size_t l = strcspn(path, "/");
		if (l >= sizeof name)
			return NULL;
		memcpy(name, path, l);
		name[l] = '\0';
		n = child(n, name);
		path += l + (path[l] == '/');
	}
	return n;
}

/* Copies an element's trimmed text into a fixed field; a value that does
 * not fit is refused rather than cut (a cut reference could match another
 * one). A missing element gives "". */
static int copy_text(struct walker *w, char *dst, size_t cap, const xmlNode *n, const char *what)
{
	dst[0] = '\0';
	if (!n)
		return 0;
	size_t len;
	const char *s = zt_xml_text(n, &len);
	if (len >= cap)
		return zt_error_set(ZT_ERANGE, "%s:%ld: %s '%.*s...' is longer than %zu bytes", w->path,
		                    line_of(n), what, quote_len(s, 40), s, cap - 1);
	memcpy(dst, s, len + 1);
	return 0;
}

/* xs:decimal (optional sign, up to 5 fraction digits in these schemas) to
 * whole fen, digit by digit: no binary fractions, and no rounding of a third decimal. */
static int parse_fen(struct walker *w, const xmlNode *n, zt_fen *out)
{
	size_t len;
	const char *s = zt_xml_text(n, &len);
	size_t i = 0;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i + 1 < len && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9')
		i++; /* leading zeros */
	int64_t v = 0;
	int int_digits = 0, frac_digits = 0;
	bool any = false;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
		if (++int_digits > 14)
			return zt_error_set(ZT_ERANGE, "%s:%ld: amount '%.40s' is above 99999999999999.99",
			                    w->path, line_of(n), s);
		v = v * 10 + (s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
			if (++frac_digits <= 2)
				v = v * 10 + (s[i] - '0');
			else if (s[i] != '0')
				return zt_error_set(ZT_EINVAL,
				                    "%s:%ld: amount '%.40s' is not a whole number of fen",
				                    w->path, line_of(n), s);
		}
	}
	if (!any || i != len)
		return zt_error_set(ZT_EINVAL, "%s:%ld: amount '%.40s' is not a decimal number", w->path,
		                    line_of(n), s);
	for (; frac_digits < 2; frac_digits++)
		v *= 10;
	if (neg && v != 0)
		return zt_error_set(ZT_EINVAL, "%s:%ld: amount '%.40s' is negative", w->path, line_of(n), s);
	*out = v;
	return 0;
}

/* An Amt element (amount with its Ccy attribute). */
static int parse_amount(struct walker *w, const xmlNode *n, zt_fen *amount, char ccy[4])
{
	int rc = parse_fen(w, n, amount);
	if (rc)
		return rc;
	const char *c = zt_xml_attr(n, "Ccy");
	if (!c || strlen(c) != 3)
		return zt_error_set(ZT_EINVAL, "%s:%ld: amount without a three-letter Ccy", w->path,
		                    line_of(n));
	memcpy(ccy, c, 4);
	return 0;
}

/* BookgDt / ValDt: <Dt> or <DtTm>; a date-time counts on its own date. */
static int parse_when(struct walker *w, const xmlNode *choice, zt_date *out)
{
	*out = 0;
	if (!choice)
		return 0;
	const xmlNode *n = child(choice, "Dt");
	if (!n)
		n = child(choice, "DtTm");
	if (!n)
		return zt_error_set(ZT_EINVAL, "%s:%ld: date without Dt or DtTm", w->path, line_of(choice));
	size_t len;
	const char *s = zt_xml_text(n, &len);
	if (len < 10 || (len > 10 && s[10] != 'T'))
		return zt_error_set(ZT_EINVAL, "%s:%ld: date '%.40s' is not YYYY-MM-DD", w->path,
		                    line_of(n), s);
	int rc = zt_parse_date(out, s, 10);
	if (rc) {
		/* prefix the place; the message is copied, as it is also the target */
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(rc, "%s:%ld: %s", w->path, line_of(n), why);
	}
	return 0;
}

static bool is_true(const xmlNode *n)
{
	if (!n)
		return false;
	size_t len;
	const char *s = zt_xml_text(n, &len);
	return strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
}

static bool not_provided(const char *s, size_t n)
{
	return n == 0 || (n == 11 && memcmp(s, "NOTPROVIDED", 11) == 0);
}

/* Entry-level values, the same for every transaction of the entry. */
struct entry_base {
	struct zt_camt_entry e; /* amount, currency, credit, dates, status, reversal */
	char ref[64];           /* AcctSvcrRef or NtryRef */
	long line;
};

static int read_base(struct walker *w, const xmlNode *ntry, struct entry_base *b)
{
	int rc;
	memset(b, 0, sizeof *b);
	b->line = line_of(ntry);
	if ((rc = parse_amount(w, child(ntry, "Amt"), &b->e.amount, b->e.currency)))
		return rc;
	size_t len;
	const char *cd = zt_xml_text(child(ntry, "CdtDbtInd"), &len);
	b->e.credit = strcmp(cd, "CRDT") == 0;
	b->e.reversal = is_true(child(ntry, "RvslInd"));
	const xmlNode *sts = child(ntry, "Sts");
	if (w->version == 8) {
		/* v08: <Sts><Cd>BOOK</Cd></Sts> (or a proprietary code) */
		const xmlNode *c = child(sts, "Cd");
		sts = c ? c : child(sts, "Prtry");
	}
	if ((rc = copy_text(w, b->e.status, sizeof b->e.status, sts, "status")))
		return rc;
	if ((rc = parse_when(w, child(ntry, "BookgDt"), &b->e.booking_date)) ||
	    (rc = parse_when(w, child(ntry, "ValDt"), &b->e.value_date)))
		return rc;
	const xmlNode *ref = child(ntry, "AcctSvcrRef");
	if (!ref)
		ref = child(ntry, "NtryRef");
	return copy_text(w, b->ref, sizeof b->ref, ref, "entry reference");
}

/* The transaction's own amount, if it states one. */
static const xmlNode *tx_amount(const struct walker *w, const xmlNode *tx)
{
	const xmlNode *a = w->version == 8 ? child(tx, "Amt") : NULL;
	return a ? a : at(tx, "AmtDtls/TxAmt/Amt");
}

static int add_remittance(struct walker *w, const xmlNode *tx)
{
	int rc = 0;
	const xmlNode *rmt = child(tx, "RmtInf");
	for (const xmlNode *u = child(rmt, "Ustrd"); u && !rc; u = next_named(u, "Ustrd")) {
		size_t len;
		const char *s = zt_xml_text(u, &len);
		rc = jn_add(&w->rmt, s, len);
	}
	return rc;
}

static int add_refs(struct walker *w, const xmlNode *tx)
{
	static const char *const order[] = {"InstrId", "TxId", "PmtInfId", "MsgId", "AcctSvcrRef",
	                                    "ClrSysRef"};
	const xmlNode *refs = child(tx, "Refs");
	int rc = 0;
	for (size_t i = 0; i < sizeof order / sizeof *order && !rc; i++) {
		const xmlNode *r = child(refs, order[i]);
		if (!r)
			continue;
		size_t len;
		const char *s = zt_xml_text(r, &len);
		if (!not_provided(s, len))
			rc = jn_add(&w->refs, s, len);
	}
	return rc;
}

/* The decimal digits of v, at the end of a buffer ending at `end`; returns
 * where they start. Without printf: an entry's digest has thirteen
 * fields, a statement a hundred thousand entries (issue 8). */
static char *decimal(char *end, unsigned long long v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

/* "NAME=N:" then the value and a line break */
static int canon_field(struct sbuf *c, const char *name, const char *v, size_t n)
{
	char head[64];
	size_t nl = strlen(name);
	if (nl > sizeof head - 24)
		return zt_error_set(ZT_EINTERNAL, "digest field '%s' has too long a name", name);
	memcpy(head, name, nl);
	head[nl] = '=';
	char num[24], *end = num + sizeof num, *d = decimal(end, n);
	memcpy(head + nl + 1, d, (size_t)(end - d));
	size_t h = nl + 1 + (size_t)(end - d);
	head[h++] = ':';
	int rc = sb_add(c, head, h);
	if (!rc)
		rc = sb_add(c, v, n);
	if (!rc)
		rc = sb_add(c, "\n", 1);
	return rc;
}

static int canon_str(struct sbuf *c, const char *name, const char *v)
{
	return canon_field(c, name, v, strlen(v));
}

/* "%lld" */
static int canon_int(struct sbuf *c, const char *name, long long v)
{
	char num[32], *end = num + sizeof num - 1;
	*end = '\0';
	char *d = decimal(end, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
	if (v < 0)
		*--d = '-';
	return canon_field(c, name, d, (size_t)(end - d));
}

static void hex(char out[65], const unsigned char md[32])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

/* Fills e->digest from the entry and the full remittance/refs lists. */
static int digest(struct walker *w, struct zt_camt_entry *e, const char *base_ref)
{
	struct sbuf *c = &w->canon;
	int rc;
	sb_reset(c);
	if ((rc = sb_add(c, DIGEST_TAG, strlen(DIGEST_TAG))) ||
	    (rc = canon_str(c, "account", w->st.account)) ||
	    (rc = canon_str(c, "currency", e->currency)) ||
	    (rc = canon_str(c, "credit", e->credit ? "C" : "D")) ||
	    (rc = canon_int(c, "amount", e->amount)) ||
	    (rc = canon_int(c, "booking_date", e->booking_date)) ||
	    (rc = canon_int(c, "value_date", e->value_date)) ||
	    (rc = canon_str(c, "status", e->status)) ||
	    (rc = canon_str(c, "reversal", e->reversal ? "1" : "0")) ||
	    (rc = canon_str(c, "entry_ref", base_ref)) ||
	    (rc = canon_str(c, "end_to_end_id", e->end_to_end_id)) ||
	    (rc = canon_field(c, "tx_ref", w->refs.full.p ? w->refs.full.p : "", w->refs.full.len)) ||
	    (rc = canon_field(c, "remittance", w->rmt.full.p ? w->rmt.full.p : "", w->rmt.full.len)))
		return rc;
	/* SHA-256 of the form (which occurrence of it this is), then of the
	 * form and "n=%zu\n": the second carries the first's state on instead
	 * of hashing the form again (issue 8) */
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t k = 0;
	if (EVP_DigestInit_ex(w->md, w->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(w->md, c->p, c->len) != 1 || EVP_MD_CTX_copy_ex(w->md_more, w->md) != 1 ||
	    EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 || mdlen != 32)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	if ((rc = occ_next(&w->occ, md, &k)))
		return rc;
	char n[32], *end = n + sizeof n, *d;
	*--end = '\n';
	d = decimal(end, k);
	*--d = '=';
	*--d = 'n';
	if (EVP_DigestUpdate(w->md_more, d, (size_t)(n + sizeof n - d)) != 1 ||
	    EVP_DigestFinal_ex(w->md_more, md, &mdlen) != 1 || mdlen != 32)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	hex(e->digest, md);
	return 0;
}

/* TxDtls of every NtryDtls of an entry, in document order. */
static const xmlNode *first_tx(const xmlNode *ntry, const xmlNode **dtls)
{
	for (const xmlNode *d = child(ntry, "NtryDtls"); d; d = next_named(d, "NtryDtls")) {
		const xmlNode *t = child(d, "TxDtls");
		if (t) {
			*dtls = d;
			return t;
		}
	}
	return NULL;
}

static const xmlNode *next_tx(const xmlNode *t, const xmlNode **dtls)
{
	const xmlNode *n = next_named(t, "TxDtls");
	for (const xmlNode *d = *dtls; !n && (d = next_named(d, "NtryDtls"));) {
		n = child(d, "TxDtls");
		*dtls = d;
	}
	return n;
}

/* A transaction's direction: its own CdtDbtInd (v08 only), else the
 * entry's. */
static bool tx_credit(const struct walker *w, const xmlNode *tx, bool entry_credit)
{
	const xmlNode *cd = w->version == 8 ? child(tx, "CdtDbtInd") : NULL;
	size_t len;
	return cd ? strcmp(zt_xml_text(cd, &len), "CRDT") == 0 : entry_credit;
}

/* One reported transaction. `tx` is its TxDtls (NULL: the entry reported
 * whole, with the remittance of all its TxDtls); `k` its 1-based position
 * when the entry is split, and then it carries its own amount (0: the
 * entry's amount and direction, which are what was booked). */
static int emit(struct walker *w, const struct entry_base *b, const xmlNode *ntry,
                const xmlNode *tx, size_t k)
{
	struct zt_camt_entry e = b->e;
	int rc;
	jn_start(&w->rmt, e.remittance, sizeof e.remittance);
	jn_start(&w->refs, e.tx_ref, sizeof e.tx_ref);
	if (tx) {
		if (k > 0) {
			if ((rc = parse_amount(w, tx_amount(w, tx), &e.amount, e.currency)))
				return rc;
			e.credit = tx_credit(w, tx, e.credit);
		}
		if ((rc = copy_text(w, e.end_to_end_id, sizeof e.end_to_end_id,
		                    at(tx, "Refs/EndToEndId"), "EndToEndId")))
			return rc;
		if (strcmp(e.end_to_end_id, "NOTPROVIDED") == 0)
			e.end_to_end_id[0] = '\0';
		if ((rc = add_remittance(w, tx)) || (rc = add_refs(w, tx)))
			return rc;
	} else {
		const xmlNode *dtls = NULL;
		for (const xmlNode *t = first_tx(ntry, &dtls); t; t = next_tx(t, &dtls))
			if ((rc = add_remittance(w, t)))
				return rc;
	}
	if (k == 0) {
		memcpy(e.entry_ref, b->ref, sizeof e.entry_ref);
	} else if (b->ref[0]) {
		int l = snprintf(e.entry_ref, sizeof e.entry_ref, "%s#%zu", b->ref, k);
		if (l < 0 || (size_t)l >= sizeof e.entry_ref)
			return zt_error_set(ZT_ERANGE, "%s:%ld: entry reference '%s' is too long to number "
			                    "its transactions", w->path, b->line, b->ref);
	}
	if (!w->report)
		return 0; /* the checking pass: every value above is checked */
	if ((rc = digest(w, &e, b->ref)))
		return rc;
	return w->cb ? w->cb(w->ctx, &w->st, &e) : 0;
}

/* Whether the entry's TxDtls can be reported one by one: each states an
 * amount in the entry's currency, and together (credits minus debits)
 * they are exactly the amount booked. Anything less (no amounts, charges
 * taken, another currency) would make the parts a guess. Every amount is
 * parsed either way, so a malformed one refuses the file. */
static int splittable(struct walker *w, const struct entry_base *b, const xmlNode *ntry,
                      bool *out)
{
	bool ok = true;
	zt_fen net = 0;
	const xmlNode *dtls = NULL;
	for (const xmlNode *t = first_tx(ntry, &dtls); t; t = next_tx(t, &dtls)) {
		const xmlNode *amt = tx_amount(w, t);
		if (!amt) {
			ok = false;
			continue;
		}
		zt_fen v;
		char ccy[4];
		int rc = parse_amount(w, amt, &v, ccy);
		if (rc)
			return rc;
		if (strcmp(ccy, b->e.currency) != 0)
			ok = false;
		if (!tx_credit(w, t, b->e.credit))
			v = -v;
		if (__builtin_add_overflow(net, v, &net))
			ok = false;
	}
	*out = ok && net == (b->e.credit ? b->e.amount : -b->e.amount);
	return 0;
}

static int walk_entry(struct walker *w, const xmlNode *ntry)
{
	struct entry_base b;
	int rc = read_base(w, ntry, &b);
	if (rc)
		return rc;
	size_t n = 0;
	const xmlNode *dtls = NULL;
	for (const xmlNode *t = first_tx(ntry, &dtls); t; t = next_tx(t, &dtls))
		n++;
	bool split = false;
	if ((rc = splittable(w, &b, ntry, &split)))
		return rc;
	dtls = NULL;
	const xmlNode *t = first_tx(ntry, &dtls);
	if (n <= 1)
		return emit(w, &b, ntry, t, 0); /* the booked amount, the one transaction's refs */
	if (!split)
		return emit(w, &b, ntry, NULL, 0);
	size_t k = 0;
	for (; t; t = next_tx(t, &dtls))
		if ((rc = emit(w, &b, ntry, t, ++k)))
			return rc;
	return 0;
}

/* Statement-level fields, as the stream meets them (schema order: Id …
 * Acct … Bal+ … Ntry*). The currency is the account's, else the first
 * balance's. */
static int statement_field(struct walker *w, const char *name, const xmlNode *n, bool *have_ccy,
                           bool *seen_bal)
{
	int rc = 0;
	if (strcmp(name, "Id") == 0) {
		rc = copy_text(w, w->st.stmt_id, sizeof w->st.stmt_id, n, "statement Id");
	} else if (strcmp(name, "Acct") == 0) {
		const xmlNode *id = at(n, "Id/IBAN");
		if (!id)
			id = at(n, "Id/Othr/Id");
		if ((rc = copy_text(w, w->st.account, sizeof w->st.account, id, "account")))
			return rc;
		const xmlNode *ccy = child(n, "Ccy");
		if (ccy) {
			rc = copy_text(w, w->st.currency, sizeof w->st.currency, ccy, "account currency");
			*have_ccy = true;
		}
	} else if (strcmp(name, "Bal") == 0 && !*seen_bal) {
		*seen_bal = true;
		if (!*have_ccy) {
			const xmlNode *amt = child(n, "Amt");
			const char *c = amt ? zt_xml_attr(amt, "Ccy") : NULL;
			snprintf(w->st.currency, sizeof w->st.currency, "%s", c && strlen(c) == 3 ? c : "");
		}
	}
	return rc;
}

/* One pass over the statement as a stream: a single <Ntry> (or <GrpHdr>,
 * or a statement field) is expanded at a time and freed as the reader moves
 * on, so memory does not grow with the statement. With `schema`, libxml2
 * validates the stream against the official XSD as it goes. */
static int stream_pass(struct walker *w, xmlSchemaPtr schema, const struct zt_source *src)
{
	struct zt_xml_errors se = {.set = false};
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlTextReaderPtr reader = zt_xml_reader_source(src);
	int rc = 0, r = 0;
	if (!reader)
		return ZT_ENOMEM;
	xmlTextReaderSetStructuredErrorHandler(reader, zt_xml_errors_keep, &se);
	if (schema) {
		vc = xmlSchemaNewValidCtxt(schema);
		if (!vc) {
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
			goto done;
		}
		xmlSchemaSetValidStructuredErrors(vc, zt_xml_errors_keep, &se);
		if (xmlTextReaderSchemaValidateCtxt(reader, vc, 0) != 0) {
			rc = zt_error_set(ZT_EINTERNAL, "%s: cannot validate while reading", w->path);
			goto done;
		}
	}
	occ_clear(&w->occ);
	memset(&w->st, 0, sizeof w->st);
	w->st.version = w->version;
	bool in_stmt = false, have_ccy = false, seen_bal = false;
	while ((r = xmlTextReaderRead(reader)) == 1 && !se.set) {
		int type = xmlTextReaderNodeType(reader);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", w->path);
			goto done;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(reader);
		const char *name = (const char *)xmlTextReaderConstLocalName(reader);
		if (depth == 2) {
			in_stmt = strcmp(name, "Stmt") == 0;
			if (in_stmt) {
				w->st.stmt_id[0] = w->st.account[0] = w->st.currency[0] = '\0';
				have_ccy = seen_bal = false;
			} else if (strcmp(name, "GrpHdr") == 0) {
				const xmlNode *g = xmlTextReaderExpand(reader);
				if (!g || se.set)
					break;
				if ((rc = copy_text(w, w->st.msg_id, sizeof w->st.msg_id, child(g, "MsgId"),
				                    "MsgId")))
					goto done;
			}
			continue;
		}
		if (depth != 3 || !in_stmt)
			continue;
		const xmlNode *n = xmlTextReaderExpand(reader);
		if (!n || se.set)
			break;
		if (strcmp(name, "Ntry") == 0)
			rc = walk_entry(w, n);
		else
			rc = statement_field(w, name, n, &have_ccy, &seen_bal);
		if (rc)
			goto done;
	}
	if ((rc = zt_xml_stream_end(w->path, r, &se)) == 0 && schema &&
	    xmlTextReaderIsValid(reader) != 1)
		rc = zt_error_set(ZT_EINVAL, "%s: does not match the camt.053 schema", w->path);
done:
	xmlFreeTextReader(reader);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	return rc;
}

/* ---- entry point -------------------------------------------------- */

/* The namespace of the root element, found with a reader that stops at
 * the first element (the same safe options; the prolog has already been
 * checked for a DOCTYPE). */
static int root_namespace(char *out, size_t cap, const char *buf, size_t len, const char *path)
{
	int rc = 0;
	out[0] = '\0';
	xmlTextReaderPtr r = xmlReaderForMemory(buf, (int)len, path, "UTF-8",
	                                        XML_PARSE_NONET | XML_PARSE_NOERROR |
	                                        XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
	if (!r)
		return zt_error_set(ZT_ENOMEM, "cannot create an XML reader");
	xmlResetLastError(); /* the message below must be this parse's */
	int ret;
	while ((ret = xmlTextReaderRead(r)) == 1 && xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
		;
	if (ret != 1) {
		const xmlError *e = xmlGetLastError();
		rc = zt_error_set(ZT_EMALFORMED, "%s:%d: not well-formed XML: %s", path, e ? e->line : 0,
		                  e && e->message ? e->message : "no root element");
		goto done;
	}
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
	snprintf(out, cap, "%s", ns ? (const char *)ns : "");
done:
	xmlFreeTextReader(r);
	return rc;
}

/* The statement's first bytes, read once to find the root's namespace, then
 * handed to the XML reader before the rest of the source. */
enum { SNIFF_BYTES = 64 * 1024 };
struct sniffed {
	const struct zt_source *rest;
	char *head;
	size_t len, off;
};

static ssize_t sniffed_read(void *ctx, char *buf, size_t len)
{
	struct sniffed *h = ctx;
	if (h->off < h->len) {
		size_t n = h->len - h->off < len ? h->len - h->off : len;
		memcpy(buf, h->head + h->off, n);
		h->off += n;
		return (ssize_t)n;
	}
	return h->rest->read(h->rest->ctx, buf, len);
}

/* Reads the head of `src`, refuses a DOCTYPE, picks the version and the
 * schema by the root's namespace. */
static int sniff(struct walker *w, struct sniffed *h, const struct zt_source *src,
                 xmlSchemaPtr *xsd)
{
	char ns[128];
	int rc;
	h->rest = src;
	while (h->len < SNIFF_BYTES) {
		ssize_t r = src->read(src->ctx, h->head + h->len, SNIFF_BYTES - h->len);
		if (r < 0)
			return (int)r;
		if (r == 0)
			break;
		h->len += (size_t)r;
	}
	if (h->len == 0)
		return zt_error_set(ZT_EMALFORMED, "%s: the file is empty", w->path);
	h->head[h->len] = '\0';
	struct zt_prolog pro;
	zt_prolog_init(&pro);
	if (zt_prolog_feed(&pro, h->head, h->len) < 0)
		return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", w->path);
	if ((rc = root_namespace(ns, sizeof ns, h->head, h->len, w->path)))
		return rc;
	enum zt_schema_id schema;
	if (strcmp(ns, CAMT_NS_02) == 0) {
		w->version = 2;
		schema = ZT_SCHEMA_CAMT053_02;
	} else if (strcmp(ns, CAMT_NS_08) == 0) {
		w->version = 8;
		schema = ZT_SCHEMA_CAMT053_08;
	} else {
		return zt_error_set(ZT_EINVAL, "%s: not a camt.053.001.02 or .08 statement (namespace "
		                    "'%s')", w->path, ns);
	}
	*xsd = zt_schema(schema);
	return *xsd ? 0 : ZT_EINTERNAL;
}

/* One pass over `src`: validating against the XSD (`validate`), reporting
 * to the walker's callback (`report`), or both at once. */
static int camt_pass(const struct zt_source *src, zt_camt_entry_cb cb, void *ctx, bool validate,
                     bool report)
{
	struct walker w = {.path = zt_source_name(src), .cb = cb, .ctx = ctx, .report = report};
	struct sniffed h = {.head = zt_malloc(SNIFF_BYTES + 1)};
	xmlSchemaPtr xsd = NULL;
	int rc = 0;
	zt_xml_init();
	w.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	w.md = EVP_MD_CTX_new();
	w.md_more = EVP_MD_CTX_new();
	if (!h.head || !w.sha256 || !w.md || !w.md_more) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = sniff(&w, &h, src, &xsd)))
		goto done;
	struct zt_source whole = {.read = sniffed_read, .ctx = &h, .name = w.path};
	rc = stream_pass(&w, validate ? xsd : NULL, &whole);
done:
	occ_clear(&w.occ);
	free(w.rmt.full.p);
	free(w.refs.full.p);
	free(w.canon.p);
	EVP_MD_CTX_free(w.md);
	EVP_MD_CTX_free(w.md_more);
	EVP_MD_free(w.sha256);
	free(h.head);
	return rc;
}

/* A regular file opened for a pass; its name names it in messages. */
static int open_statement(FILE **out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	FILE *f = NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || !(f = fdopen(fd, "rb"))) {
		close(fd);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is not a regular file", path);
	}
	*out = f;
	return 0;
}

static int camt_read_path(const char *path, zt_camt_entry_cb cb, void *ctx, bool validate,
                          bool report)
{
	FILE *f = NULL;
	int rc = open_statement(&f, path);
	if (rc)
		return rc;
	struct zt_source src = zt_source_file(f, path);
	rc = camt_pass(&src, cb, ctx, validate, report);
	fclose(f);
	return rc;
}

int zt_camt053_read(const char *path, zt_camt_entry_cb cb, void *ctx)
{
	/* Two passes: the first validates the whole statement against the
	 * official XSD and checks every value, reporting nothing; only then
	 * does the second report the entries. A refused file makes no
	 * callback at all. */
	int rc = camt_read_path(path, cb, ctx, true, false);
	return rc ? rc : camt_read_path(path, cb, ctx, false, true);
}

int zt_camt053_read_once(const char *path, zt_camt_entry_cb cb, void *ctx)
{
	return camt_read_path(path, cb, ctx, true, true);
}

int zt_camt053_read_source(const struct zt_source *src, zt_camt_entry_cb cb, void *ctx)
{
	return camt_pass(src, cb, ctx, true, true);
}

/* ---- on a thread of its own ------------------------------------------- */

#define CAMT_RING 128

struct camt_slot {
	struct zt_camt_statement st;
	struct zt_camt_entry e;
};

struct zt_camt_stream {
	const struct zt_source *src;
	struct camt_slot *slots;
	struct zt_ring ring;
};

/* The reader thread's callback: wait for room, copy, publish. Returns
 * non-zero to stop the read when the consumer has gone away. */
static int stream_put(void *ctx, const struct zt_camt_statement *st, const struct zt_camt_entry *e)
{
	struct zt_camt_stream *s = ctx;
	struct camt_slot *slot = zt_ring_acquire(&s->ring);
	if (!slot)
		return ZT_EINTERNAL;
	slot->st = *st;
	slot->e = *e;
	zt_ring_publish(&s->ring);
	return 0;
}

static int stream_main(struct zt_ring *ring, void *arg)
{
	(void)ring;
	struct zt_camt_stream *s = arg;
	return zt_camt053_read_source(s->src, stream_put, s);
}

int zt_camt053_stream_open(struct zt_camt_stream **out, const struct zt_source *src)
{
	struct zt_camt_stream *s = zt_calloc(1, sizeof *s);
	if (!s || !(s->slots = zt_calloc(CAMT_RING, sizeof *s->slots))) {
		free(s);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	s->src = src;
	zt_xml_init(); /* before the thread: libxml2's globals are set up once */
	int rc = zt_ring_start(&s->ring, s->slots, sizeof *s->slots, CAMT_RING, stream_main, s);
	if (rc) {
		zt_camt053_stream_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int zt_camt053_stream_next(struct zt_camt_stream *s, const struct zt_camt_statement **st,
                           const struct zt_camt_entry **e)
{
	const struct camt_slot *slot = zt_ring_next(&s->ring);
	if (!slot) /* the end, or refused somewhere: the caller undoes what it did */
		return zt_ring_status(&s->ring);
	*st = &slot->st;
	*e = &slot->e;
	return 1;
}

void zt_camt053_stream_close(struct zt_camt_stream *s)
{
	if (!s)
		return;
	(void)zt_ring_close(&s->ring);
	free(s->slots);
	free(s);
}
