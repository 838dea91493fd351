/* zhitong — the payer file of a batch (batch.h, docs/batches.md "The
 * settlement file"): written with libxml2's xmlTextWriter from a store
 * cursor read ahead on a second thread, so a batch of a million records
 * needs no more memory than one of ten; signed beside it; the export as a
 * use case. Reading a file back is batch_file_check.c. Nothing here speaks
 * SQL. */
#define _GNU_SOURCE
#include "zhitong/batch.h"
#include "zhitong/alloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#include "batch_int.h"
#include "zhitong/audit.h"
#include "ring.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/outfile.h"
#include "zhitong/store.h"
#include "zhitong/xml.h"

#define PAYER_FILE_NS_1 "urn:zhitong:payer-file:1"
#define PAYER_FILE_NS_2 "urn:zhitong:payer-file:2"
/* The writer's own buffer: large writes, few system calls. */
#define SINK_BYTES (256u * 1024u)
#define WRITEBACK_BYTES (8 * 1024 * 1024)
/* Records read ahead of the writer, in chunks: at most FEED_CHUNKS ×
 * FEED_RECORDS records (a few MB) are in memory at once. */
#define FEED_CHUNKS 4
#define FEED_RECORDS 2048

/* ---- writing the payer file ------------------------------------------ */

/* Where xmlTextWriter's bytes go: a buffer in front of the file
 * descriptor, hashing the whole file on the way. */
struct sink {
	int fd;
	EVP_MD_CTX *sha;
	unsigned char *buf;
	size_t len;
	int err_no; /* first write error */
	bool hash_failed;
	off_t written, flushed; /* bytes written; bytes handed to writeback */
};

static void sink_flush(struct sink *k)
{
	size_t off = 0;
	while (off < k->len && !k->err_no) {
		ssize_t w = write(k->fd, k->buf + off, k->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			k->err_no = errno;
		else
			off += (size_t)w;
	}
	k->written += (off_t)off;
	k->len = 0;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start writeback as we go, so that the fsync at the end waits for
	 * the last few megabytes, not for the whole file (a file of 1,000,000
	 * records is about 460 MB). Advisory: errors surface at fsync. */
	if (k->written - k->flushed >= WRITEBACK_BYTES) {
		(void)sync_file_range(k->fd, k->flushed, k->written - k->flushed,
		                      SYNC_FILE_RANGE_WRITE);
		k->flushed = k->written;
	}
#endif
}

static int sink_write(void *ctx, const char *data, int n)
{
	struct sink *k = ctx;
	if (k->err_no || n < 0)
		return -1;
	if (EVP_DigestUpdate(k->sha, data, (size_t)n) != 1)
		k->hash_failed = true;
	size_t len = (size_t)n;
	while (len) {
		size_t take = SINK_BYTES - k->len < len ? SINK_BYTES - k->len : len;
		memcpy(k->buf + k->len, data, take);
		k->len += take;
		data += take;
		len -= take;
		if (k->len == SINK_BYTES)
			sink_flush(k);
	}
	return k->err_no ? -1 : n;
}

static int sink_close(void *ctx)
{
	struct sink *k = ctx;
	sink_flush(k);
	return k->err_no ? -1 : 0;
}

#define W(call)                        \
	do {                               \
		if ((call) < 0)                \
			goto xml_failed;           \
	} while (0)
#define X(s) BAD_CAST(s)

static int write_header(xmlTextWriterPtr w, const struct zt_batch *b, int version)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], d3[ZT_FMT_BYTES], n[32];
	W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	W(xmlTextWriterStartElementNS(w, NULL, X("payer-file"),
	                              X(version == 2 ? PAYER_FILE_NS_2 : PAYER_FILE_NS_1)));
	W(xmlTextWriterWriteAttribute(w, X("version"), X(version == 2 ? "2" : "1")));
	W(xmlTextWriterStartElement(w, X("header")));
	W(xmlTextWriterWriteElement(w, X("batch"), X(b->id)));
	W(xmlTextWriterStartElement(w, X("fund")));
	W(xmlTextWriterWriteAttribute(w, X("code"), X(b->fund_code)));
	W(xmlTextWriterWriteString(w, X(b->fund_name)));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, X("period")));
	W(xmlTextWriterWriteAttribute(w, X("from"), X(zt_format_date(d1, b->period_from))));
	W(xmlTextWriterWriteAttribute(w, X("to"), X(zt_format_date(d2, b->period_to))));
	if (b->through)
		W(xmlTextWriterWriteAttribute(w, X("through"), X(zt_format_date(d3, b->through))));
	W(xmlTextWriterEndElement(w));
	snprintf(n, sizeof n, "%lld", (long long)b->count);
	W(xmlTextWriterWriteElement(w, X("count"), X(n)));
	W(xmlTextWriterWriteElement(w, X("total"), X(zt_format_amount(d1, b->total))));
	W(xmlTextWriterStartElement(w, X("created")));
	W(xmlTextWriterWriteAttribute(w, X("at"), X(b->created_at)));
	W(xmlTextWriterWriteAttribute(w, X("by"), X(b->created_by)));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, X("approved")));
	W(xmlTextWriterWriteAttribute(w, X("at"), X(b->approved_at)));
	W(xmlTextWriterWriteAttribute(w, X("by"), X(b->approved_by)));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w)); /* header */
	W(xmlTextWriterStartElement(w, X("records")));
	return 0;
xml_failed:
	return ZT_EIO;
}

/* A record's XML, built in one buffer and handed to the writer raw:
 * exactly what xmlTextWriter wrote element by element (indent "  ", the
 * record at the third level, its trace at the fourth; attribute values
 * escaped as it escapes them in a document declared UTF-8, xml.h
 * zt_xml_attr_escape: UTF-8 kept, unlike a trace's), at a fraction of
 * its cost — its calls were a third of an export's instructions (issue 8).
 * The writer still holds <records>: the first record's raw text closes its
 * start tag (the writer adds the ">", this the line break its own child
 * would have had) and the text after the last record is the indent of
 * </records>, since after raw text the writer does not indent an end tag. */
#define RECORD_XML_BYTES (ZT_TRACE_XML_BYTES + 8192)
struct record_xml {
	char b[RECORD_XML_BYTES];
	size_t n;
	bool full;
};

static void rx_put(struct record_xml *x, const char *s, size_t len)
{
	if (x->full || x->n + len >= sizeof x->b) {
		x->full = true;
		return;
	}
	memcpy(x->b + x->n, s, len);
	x->n += len;
}

static void rx_puts(struct record_xml *x, const char *s) { rx_put(x, s, strlen(s)); }

/* ` name="value"` */
static int rx_attr(struct record_xml *x, const char *name, const char *v)
{
	rx_put(x, " ", 1);
	rx_puts(x, name);
	rx_put(x, "=\"", 2);
	if (!x->full) {
		int rc = zt_xml_attr_escape(x->b, sizeof x->b, &x->n, v, false);
		if (rc == ZT_ERANGE)
			x->full = true;
		else if (rc)
			return rc;
	}
	rx_put(x, "\"", 1);
	return 0;
}

/* "SETL_ID/SEQ" without printf: this runs a million times a batch. */
static int record_id(char id[ZT_BATCH_RECORD_ID_BYTES], const struct zt_batch_record *r)
{
	size_t sl = strlen(r->setl_id);
	char digits[12];
	int nd = 0;
	for (unsigned v = (unsigned)r->seq; nd == 0 || v; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	if (r->seq < 1 || sl + 1 + (size_t)nd >= ZT_BATCH_RECORD_ID_BYTES)
		return zt_error_set(ZT_EINTERNAL, "record id of '%s' is out of range", r->setl_id);
	memcpy(id, r->setl_id, sl);
	id[sl] = '/';
	for (int i = 0; i < nd; i++)
		id[sl + 1 + (size_t)i] = digits[nd - 1 - i];
	id[sl + 1 + (size_t)nd] = '\0';
	return 0;
}

#define A(name, v)                                    \
	do {                                              \
		if ((rc = rx_attr(&x, name, v)) != 0)         \
			return rc;                                \
	} while (0)

static int write_record(xmlTextWriterPtr w, const struct zt_batch_record *r, const char *trace,
                        int version, bool first, EVP_MD_CTX *digest)
{
	char id[ZT_BATCH_RECORD_ID_BYTES], amount[ZT_FMT_BYTES], date[ZT_FMT_BYTES];
	char line[ZT_BATCH_DIGEST_LINE_BYTES];
	int rc = record_id(id, r);
	if (rc)
		return rc;
	if (strlen(r->claim_no) + strlen(r->psn_no) + strlen(r->fixmedins_code) > 1024)
		return zt_error_set(ZT_EINTERNAL, "record '%s' has fields beyond the limits", id);
	zt_format_amount(amount, r->amount);
	zt_format_date(date, r->dscg_date);
	struct record_xml x;
	x.n = 0;
	x.full = false;
	rx_puts(&x, first ? "\n    <record" : "    <record");
	A("id", id);
	A("setl_id", r->setl_id);
	if (r->reverses[0])
		A("reverses", r->reverses);
	A("fixmedins_code", r->fixmedins_code);
	A("claim_no", r->claim_no);
	A("psn_no", r->psn_no);
	A("dscg_date", date);
	A("kind", r->kind);
	A("amount", amount);
	if (!r->payable)
		A("payable", "false");
	if (version == 2) {
		/* What the payer's reviewer reads (payer-file-2.xsd); the
		 * digest line stays version 1's. */
		char adm[ZT_FMT_BYTES], sum[ZT_FMT_BYTES];
		A("psn_name", r->psn_name);
		A("id_no", r->id_no);
		A("adm_date", zt_format_date(adm, r->adm_date));
		A("dscg_maindiag_code", r->dscg_maindiag_code);
		A("medfee_sumamt", zt_format_amount(sum, r->medfee_sumamt));
	}
	/* The trace, rendered from its data (trace.h) as the settlement
	 * answer renders it. */
	rx_puts(&x, ">\n      <trace>");
	rx_puts(&x, trace);
	rx_puts(&x, "</trace>\n    </record>\n");
	if (x.full)
		return zt_error_set(ZT_EINTERNAL, "record '%s' does not fit in %d bytes of XML", id,
		                    RECORD_XML_BYTES);
	W(xmlTextWriterWriteRawLen(w, X(x.b), (int)x.n));
	size_t n = zt_batch_digest_line(line, id, r->setl_id, r->reverses, r->fixmedins_code, r->claim_no,
	                       r->psn_no, date, r->kind, amount, r->payable);
	if (EVP_DigestUpdate(digest, line, n) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	return 0;
xml_failed:
	return ZT_EIO;
}
#undef A

static int write_trailer(xmlTextWriterPtr w, int64_t count, zt_fen total, int64_t info_count,
                         zt_fen info_total, const char *digest_hex)
{
	char a[ZT_FMT_BYTES], n[32];
	W(xmlTextWriterEndElement(w)); /* records */
	W(xmlTextWriterStartElement(w, X("trailer")));
	snprintf(n, sizeof n, "%lld", (long long)count);
	W(xmlTextWriterWriteElement(w, X("count"), X(n)));
	W(xmlTextWriterWriteElement(w, X("total"), X(zt_format_amount(a, total))));
	W(xmlTextWriterStartElement(w, X("not-payable")));
	snprintf(n, sizeof n, "%lld", (long long)info_count);
	W(xmlTextWriterWriteAttribute(w, X("count"), X(n)));
	W(xmlTextWriterWriteAttribute(w, X("amount"), X(zt_format_amount(a, info_total))));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, X("digest")));
	W(xmlTextWriterWriteAttribute(w, X("algorithm"), X("SHA-256")));
	W(xmlTextWriterWriteString(w, X(digest_hex)));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w)); /* trailer */
	W(xmlTextWriterEndElement(w)); /* payer-file */
	W(xmlTextWriterEndDocument(w));
	return 0;
xml_failed:
	return ZT_EIO;
}

/* ---- reading ahead ---------------------------------------------------- */

/* The records come from the store on a thread of their own while this one
 * writes XML and hashes: reading a million records out of SQLite and
 * serialising them cost about the same, and overlap. The store handle is
 * used by that thread alone until it is joined (a handle belongs to one
 * thread at a time). Memory is bounded: FEED_CHUNKS chunks go round. */
struct chunk_rec {
	size_t setl_id, kind, reverses, hospital, claim_no, psn_no, fund_kind, trace, reason;
	size_t psn_name, id_no, maindiag;
	int seq;
	zt_date dscg_date, adm_date;
	zt_fen amount, medfee_sumamt;
	bool payable;
};

struct chunk {
	size_t n;
	struct chunk_rec recs[FEED_RECORDS];
	char *text;
	size_t used, cap;
};

struct feed {
	struct zt_store *s;
	const char *id;
	int version; /* of the payer file */
	zt_trace_xml_fn *trace_xml; /* the export's renderer (batch.h) */
	struct chunk chunks[FEED_CHUNKS];
	struct zt_ring ring; /* ring.h: the chunks go round */
};

static bool text_add(struct chunk *c, size_t *off, const char *v)
{
	size_t l = strlen(v) + 1;
	if (c->used + l > c->cap) {
		size_t cap = c->cap ? c->cap : 1u << 20;
		while (cap < c->used + l)
			cap *= 2;
		char *t = zt_realloc(c->text, cap);
		if (!t)
			return false;
		c->text = t;
		c->cap = cap;
	}
	memcpy(c->text + c->used, v, l);
	*off = c->used;
	c->used += l;
	return true;
}

/* The record into the chunk, its trace rendered (on the reading thread:
 * rendering a million traces overlaps with writing the file). */
static int chunk_add(struct chunk *c, const struct zt_batch_record *r, zt_trace_xml_fn *trace_xml)
{
	struct chunk_rec *x = &c->recs[c->n];
	char trace[ZT_TRACE_XML_BYTES];
	int n = trace_xml(trace, sizeof trace, &r->trace);
	if (n < 0)
		return n;
	if (!text_add(c, &x->setl_id, r->setl_id) || !text_add(c, &x->kind, r->kind) ||
	    !text_add(c, &x->reverses, r->reverses) || !text_add(c, &x->hospital, r->fixmedins_code) ||
	    !text_add(c, &x->claim_no, r->claim_no) || !text_add(c, &x->psn_no, r->psn_no) ||
	    !text_add(c, &x->fund_kind, r->fund_kind) || !text_add(c, &x->trace, trace) ||
	    !text_add(c, &x->reason, r->reject_reason) || !text_add(c, &x->psn_name, r->psn_name) ||
	    !text_add(c, &x->id_no, r->id_no) || !text_add(c, &x->maindiag, r->dscg_maindiag_code))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	x->seq = r->seq;
	x->dscg_date = r->dscg_date;
	x->amount = r->amount;
	x->payable = r->payable;
	x->adm_date = r->adm_date;
	x->medfee_sumamt = r->medfee_sumamt;
	c->n++;
	return 0;
}

/* Record i of the chunk (its trace not filled: *trace is it rendered). */
static void chunk_get(const struct chunk *c, size_t i, struct zt_batch_record *r,
                      const char **trace)
{
	const struct chunk_rec *x = &c->recs[i];
	const char *t = c->text;
	r->setl_id = t + x->setl_id;
	r->seq = x->seq;
	r->kind = t + x->kind;
	r->reverses = t + x->reverses;
	r->fixmedins_code = t + x->hospital;
	r->claim_no = t + x->claim_no;
	r->psn_no = t + x->psn_no;
	r->dscg_date = x->dscg_date;
	r->amount = x->amount;
	r->payable = x->payable;
	r->fund_kind = t + x->fund_kind;
	r->reject_reason = t + x->reason;
	r->psn_name = t + x->psn_name;
	r->id_no = t + x->id_no;
	r->dscg_maindiag_code = t + x->maindiag;
	r->adm_date = x->adm_date;
	r->medfee_sumamt = x->medfee_sumamt;
	*trace = t + x->trace;
}

static int feed_main(struct zt_ring *ring, void *arg)
{
	struct feed *f = arg;
	struct zt_batch_cursor *cur = NULL;
	struct zt_batch_record r;
	struct zt_store *s = f->s;
	unsigned what = f->version == 2 ? 0 : ZT_BATCH_RECORDS_NO_REVIEW;
	int rc = s->ops->batches.records(s, f->id, what, &cur), step = 1;
	struct chunk *c;
	while (rc == 0 && step > 0 && (c = zt_ring_acquire(ring)) != NULL) {
		/* The chunk is ours until it is published. */
		c->n = 0;
		c->used = 0;
		while (c->n < FEED_RECORDS && (step = s->ops->batches.next(cur, &r)) > 0)
			if ((rc = chunk_add(c, &r, f->trace_xml)) != 0)
				break;
		if (step < 0)
			rc = step;
		if (rc == 0 && c->n > 0)
			zt_ring_publish(ring);
	}
	if (cur)
		s->ops->batches.records_close(cur);
	return rc;
}

static int feed_start(struct feed *f, struct zt_store *s, const char *id, int version,
                      zt_trace_xml_fn *trace_xml)
{
	f->s = s;
	f->id = id;
	f->version = version;
	f->trace_xml = trace_xml;
	return zt_ring_start(&f->ring, f->chunks, sizeof f->chunks[0], FEED_CHUNKS, feed_main, f);
}

/* The next full chunk (NULL at the end or on the reader's failure, *rc
 * then says which); the previous one goes back to the reader. */
static struct chunk *feed_next(struct feed *f, int *rc)
{
	struct chunk *c = zt_ring_next(&f->ring);
	*rc = c ? 0 : zt_ring_status(&f->ring);
	return c;
}

/* Stops the reader (early, if it is still going) and frees everything;
 * returns the reader's failure if it had one (its message was set when
 * feed_next returned NULL). */
static int feed_end(struct feed *f)
{
	int rc = zt_ring_close(&f->ring);
	for (size_t i = 0; i < FEED_CHUNKS; i++) {
		free(f->chunks[i].text);
		f->chunks[i].text = NULL;
	}
	return rc;
}

/* What the records written add up to. */
struct written {
	int64_t count, info_count;
	zt_fen total, info_total;
};

/* Writes every record the feed brings, hashing its digest line and summing
 * it; *xml_failed when the writer failed (the caller says why). */
static int write_records(xmlTextWriterPtr w, struct feed *feed, const struct zt_batch *b,
                         int version, EVP_MD_CTX *digest, struct written *sum, bool *xml_failed)
{
	struct chunk *ch;
	struct zt_batch_record rec;
	const char *trace;
	int rc, r;
	while ((ch = feed_next(feed, &r)) != NULL) {
		for (size_t i = 0; i < ch->n; i++) {
			chunk_get(ch, i, &rec, &trace);
			if ((rc = write_record(w, &rec, trace, version, sum->count == 0, digest))) {
				*xml_failed = rc == ZT_EIO;
				return rc;
			}
			sum->count++;
			zt_fen *t = rec.payable ? &sum->total : &sum->info_total;
			if (__builtin_add_overflow(*t, rec.amount, t))
				return zt_error_set(ZT_ERANGE, "batch '%s': the total overflows", b->id);
			if (!rec.payable)
				sum->info_count++;
		}
	}
	/* the indent of </records> (write_record) */
	if (sum->count > 0 && xmlTextWriterWriteRaw(w, X("  ")) < 0) {
		*xml_failed = true;
		return ZT_EIO;
	}
	return feed_end(feed);
}

/* Conservation: the file bills exactly what the batch says — its total is
 * the sum of its payable records, its information sum that of the rest. */
static int check_sums(const struct zt_batch *b, const struct written *w)
{
	if (w->count == b->count && w->total == b->total && w->info_count == b->info_count &&
	    w->info_total == b->info_total)
		return 0;
	return zt_error_set(ZT_EINTERNAL, "batch '%s' says %lld records, %lld fen (%lld, %lld for "
	                    "information); its records are %lld, %lld fen (%lld, %lld): run "
	                    "'zhitong verify'", b->id, (long long)b->count, (long long)b->total,
	                    (long long)b->info_count, (long long)b->info_total, (long long)w->count,
	                    (long long)w->total, (long long)w->info_count, (long long)w->info_total);
}

/* The XML writer over the sink `k` (its buffer and hash ready). */
static int writer_open(xmlTextWriterPtr *w, struct sink *k)
{
	xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(sink_write, sink_close, k, NULL);
	if (!ob || !(*w = xmlNewTextWriter(ob))) {
		if (ob)
			xmlOutputBufferClose(ob);
		return zt_error_set(ZT_ENOMEM, "cannot start the XML writer");
	}
	if (xmlTextWriterSetIndent(*w, 1) < 0 || xmlTextWriterSetIndentString(*w, X("  ")) < 0)
		return ZT_EIO;
	return 0;
}

static int digest_hex(char out[ZT_BATCH_HEX_BYTES], EVP_MD_CTX *md_ctx)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_DigestFinal_ex(md_ctx, md, &mdlen) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	zt_batch_hex(out, md);
	return 0;
}

/* Streams batch `b` into `fd`; checks the records against the batch's
 * stored count and totals (check_sums). */
static int write_file(struct zt_store *s, const struct zt_batch *b, int version, int fd,
                      zt_trace_xml_fn *trace_xml, struct zt_batch_export_info *info)
{
	struct sink k = {.fd = fd, .sha = EVP_MD_CTX_new(), .buf = zt_malloc(SINK_BYTES)};
	struct feed feed = {0};
	struct written sum = {0};
	xmlTextWriterPtr w = NULL;
	EVP_MD_CTX *digest = EVP_MD_CTX_new();
	bool xml_failed = false;
	int rc = 0;
	if (!digest || !k.sha || !k.buf) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestInit_ex(digest, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(k.sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 is not available");
		goto done;
	}
	if ((rc = writer_open(&w, &k)) == ZT_EIO || (rc == 0 && (rc = write_header(w, b, version))))
		goto write_failed;
	if (rc || (rc = feed_start(&feed, s, b->id, version, trace_xml)))
		goto done;
	if ((rc = write_records(w, &feed, b, version, digest, &sum, &xml_failed)) && xml_failed)
		goto write_failed;
	if (rc || (rc = check_sums(b, &sum)) || (rc = digest_hex(info->digest, digest)))
		goto done;
	if ((rc = write_trailer(w, sum.count, sum.total, sum.info_count, sum.info_total,
	                        info->digest)))
		goto write_failed;
	xmlFreeTextWriter(w); /* flushes and closes the sink */
	w = NULL;
	if (k.err_no) {
		rc = zt_error_set(ZT_EIO, "cannot write the batch file: %s", strerror(k.err_no));
		goto done;
	}
	if (k.hash_failed) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	if ((rc = digest_hex(info->file_sha256, k.sha)))
		goto done;
	assert(sum.total == b->total && sum.count == b->count);
	info->count = sum.count;
	info->total = sum.total;
	goto done;
write_failed:
	rc = zt_error_set(ZT_EIO, "cannot write the batch file%s%s", k.err_no ? ": " : "",
	                  k.err_no ? strerror(k.err_no) : "");
done:
	if (feed.ring.inited) {
		/* This side failed first: its message is the one to keep. */
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		(void)feed_end(&feed);
		if (rc)
			zt_error_set(rc, "%s", msg);
	}
	xmlFreeTextWriter(w);
	EVP_MD_CTX_free(digest);
	EVP_MD_CTX_free(k.sha);
	free(k.buf);
	return rc;
}

/* The payer-file version of the batch's fund: `[fund F] payer-file`, 1
 * unless the configuration says 2 (docs/batches.md). */
static int payer_file_version(int *out, const struct zt_config *cfg, const char *fund_code)
{
	char section[64];
	int64_t v = 1;
	*out = 1;
	if (!cfg)
		return 0;
	snprintf(section, sizeof section, "fund %s", fund_code);
	int rc = zt_config_int(cfg, section, "payer-file", 1, 1, 2, &v);
	if (rc == 0)
		*out = (int)v;
	return rc;
}

static int exportable(const struct zt_batch *b)
{
	switch (b->status) {
	case ZT_BATCH_DRAFT:
	case ZT_BATCH_REJECTED:
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: it must be approved before it is "
		                    "exported", b->id, zt_batch_status_name(b->status));
	default:
		return 0;
	}
}

/* The signature beside a payer file. If a signature is already there and
 * is a valid signature of exactly these bytes with this key — an export
 * that is being retried; SM2 signatures differ from one signing to the
 * next — it is kept (*keep). Otherwise the new signature is written to the
 * output `sig` (which refuses a different file there, unless forced). */
static int prepare_signature(struct zt_outfile *sig, const char *file_tmp, const char *key_path,
                             bool *keep)
{
	*keep = false;
	if (zt_outfile_target_exists(sig) &&
	    zt_sign_check(file_tmp, zt_outfile_path(sig), key_path) == 0) {
		*keep = true;
		return 0;
	}
	unsigned char *bytes = NULL;
	size_t len = 0;
	int rc = zt_sign_bytes(&bytes, &len, file_tmp, key_path);
	if (rc == 0)
		rc = zt_outfile_write(sig, bytes, len);
	free(bytes);
	if (rc == 0)
		rc = zt_outfile_finish(sig, NULL);
	return rc;
}

/* What an export wrote: the first export moves the batch to exported and
 * keeps its digest; a later one is an event of the status it is in. */
static int record_export(struct zt_store *s, const char *id, const char *path,
                         const struct zt_batch_export_info *info, const char *actor)
{
	struct zt_batch b;
	const char *kt = info->key_type == ZT_KEY_SM2 ? "sm2" : "ed25519";
	char detail[ZT_BATCH_PATH_BYTES + 64];
	snprintf(detail, sizeof detail, "%.*s (%s)", ZT_BATCH_PATH_BYTES, path, kt);
	int rc = s->ops->begin(s, ZT_TXN_WRITE);
	if (rc)
		return rc;
	/* its audit record carries the file's SHA-256 */
	unsigned char sha[ZT_AUDIT_HASH_BYTES];
	if (zt_audit_hash_from_hex(sha, info->file_sha256) != 0)
		rc = zt_error_set(ZT_EINTERNAL, "batch '%s': the export's SHA-256 is not 64 hex digits",
		                  id);
	if (rc == 0 && (rc = s->ops->batches.get(s, id, &b)) == 0) {
		enum zt_batch_status to = b.status == ZT_BATCH_APPROVED ? ZT_BATCH_EXPORTED : b.status;
		rc = zt_batch_move_digest(s, id, b.status, to, actor, "export", detail, sha);
	}
	if (rc == 0)
		rc = s->ops->batches.set_exported(s, id, path, info->file_sha256, info->digest, kt);
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

/* An export that failed after it published (the file's publish after the
 * signature's, the recording in the store): what this call published goes
 * again — the file first, so that no payer sees a file without its
 * signature — and what was there before stays (outfile.h). The export's
 * own failure is the message to keep. */
static int withdraw(int rc, struct zt_outfile *file, struct zt_outfile *sig)
{
	char msg[ZT_MESSAGE_BYTES_MAX];
	snprintf(msg, sizeof msg, "%s", zt_error_last());
	struct zt_outfile *both[] = {file, sig};
	for (size_t i = 0; i < 2; i++)
		if (both[i] && zt_outfile_withdraw(both[i])) {
			/* Said with the failure: the caller must know a file stayed. */
			char left[ZT_MESSAGE_BYTES_MAX];
			snprintf(left, sizeof left, "%s", zt_error_last());
			return zt_error_set(rc, "%s; and then: %s", msg, left);
		}
	return zt_error_set(rc, "%s", msg);
}

int zt_batch_export(struct zt_store *s, const struct zt_batch_export_req *req,
                    struct zt_batch_export_info *info)
{
	struct zt_batch b;
	struct zt_outfile *file = NULL, *sig = NULL;
	char real[PATH_MAX];
	const char *id = req->id, *out_path = req->out_path, *key_path = req->key_path;
	const char *actor = req->actor;
	int out_flags = req->out_flags;
	memset(info, 0, sizeof *info);
	char who[ZT_ACTOR_BYTES];
	int rc = zt_batch_actor(who, &actor);
	if (rc)
		return rc;
	if ((size_t)snprintf(info->sig_path, sizeof info->sig_path, "%s.sig", out_path) >=
	    sizeof info->sig_path)
		return zt_error_set(ZT_EINVAL, "output path '%s' is too long", out_path);
	int version;
	if ((rc = s->ops->batches.get(s, id, &b)) || (rc = exportable(&b)) ||
	    (rc = payer_file_version(&version, req->config, b.fund_code)))
		return rc;
	if (!req->trace_xml)
		return zt_error_set(ZT_EINVAL, "batch export: no trace renderer given (batch.h)");
	if (!key_path || !key_path[0])
		return zt_error_set(ZT_EINVAL, "no signing key: give --key PRIVATE.pem or set [signing] "
		                    "key in the configuration (zhitong never makes a key up)");
	/* The key before the file: a wrong key must not leave a file
	 * without its signature. */
	if ((rc = zt_sign_key_type(&info->key_type, key_path)))
		return rc;
	/* Both outputs opened first: a symbolic link or a directory at either
	 * name is refused before a record is written. Both are public (the
	 * payer's transfer job may run as another user): 0644. */
	if ((rc = zt_outfile_open(&file, out_path, 0644, out_flags | ZT_OUT_WITHDRAWABLE)) ||
	    (rc = zt_outfile_open(&sig, info->sig_path, 0644, out_flags | ZT_OUT_WITHDRAWABLE)))
		goto done;
	if ((rc = write_file(s, &b, version, zt_outfile_fd(file), req->trace_xml, info)))
		goto done;
	/* Everything in the file comes from the store, so the records of an
	 * exported batch can only come out the same; if not, something changed
	 * under it, and the payer must not get a second version. */
	if (b.digest[0] && strcmp(b.digest, info->digest) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "batch '%s' was exported with record digest %s; its "
		                  "records now give %s: run 'zhitong verify'", id, b.digest, info->digest);
		goto done;
	}
	/* Both finished — written, synced, checked against what is there —
	 * before either is visible: a refusal or a failure (a bad key, a
	 * different file at either name) leaves neither. */
	bool keep_sig;
	if ((rc = zt_outfile_finish(file, NULL)) ||
	    (rc = prepare_signature(sig, zt_outfile_tmp_path(file), key_path, &keep_sig)))
		goto done;
	/* The signature first: a payer polling the directory who sees FILE
	 * finds FILE.sig beside it, never a file without its signature. A crash
	 * between the two leaves a signature alone, which a retried export
	 * keeps (it verifies) and no payer takes for a file. */
	if ((!keep_sig && (rc = zt_outfile_publish(sig))) || (rc = zt_outfile_publish(file)))
		goto done;
	if (!realpath(out_path, real))
		snprintf(real, sizeof real, "%s", out_path);
	rc = record_export(s, id, real, info, actor);
done:
	if (rc)
		rc = withdraw(rc, file, sig);
	zt_outfile_free(sig);
	zt_outfile_free(file);
	return rc;
}

