/* zhitong — payer batches (see batch.h): the domain around the store's
 * batch tables. The payer file is written here with libxml2's
 * xmlTextWriter from a store cursor, so a batch of a million records needs
 * no more memory than one of ten; nothing here speaks SQL. */
#define _GNU_SOURCE
#include "zhitong/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#include "batch_int.h"
#include "xml_int.h"
#include "ring.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/iso20022.h"
#include "zhitong/ledger.h"
#include "zhitong/text.h"
#include "zhitong/outfile.h"
#include "zhitong/store.h"
#include "zhitong/xml.h"

#define PAYER_FILE_NS "urn:zhitong:payer-file:1"
/* The writer's own buffer: large writes, few system calls. */
#define SINK_BYTES (256u * 1024u)
#define WRITEBACK_BYTES (8 * 1024 * 1024)
/* Records read ahead of the writer, in chunks: at most FEED_CHUNKS ×
 * FEED_RECORDS records (a few MB) are in memory at once. */
#define FEED_CHUNKS 4
#define FEED_RECORDS 2048
#define READ_CHUNK_BYTES (256u * 1024u)
/* One canonical digest line: ten fields of at most a few hundred bytes. */
#define DIGEST_LINE_BYTES 2048

/* Who does this, normalised (actor.h) into `who`, and *actor pointed at
 * it: that spelling is what maker-checker compares, what is recorded and
 * what goes into the payer file (created/approved by). */
static int check_actor(char who[ZT_ACTOR_BYTES], const char **actor)
{
	int rc = zt_actor_normalize(who, *actor);
	if (rc == 0)
		*actor = who;
	return rc;
}

static void hex(char out[ZT_BATCH_HEX_BYTES], const unsigned char *md)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

/* ---- status changes -------------------------------------------------- */

/* A new draft batch of fund `fund_code` with every share it takes; *count
 * 0 (nothing written: the caller rolls back) when there is none. In the
 * caller's transaction. */
static int create_in(struct zt_store *s, const char *fund_code, zt_date through,
                     const char *actor, char id_out[ZT_BATCH_ID_BYTES], int64_t *count)
{
	struct zt_batch b = {.through = through};
	snprintf(b.fund_code, sizeof b.fund_code, "%s", fund_code);
	snprintf(b.created_by, sizeof b.created_by, "%s", actor);
	/* numbered under the write lock: nobody else can take the same number */
	int rc = s->ops->batches.next_seq(s, fund_code, &b.seq);
	if (rc)
		return rc;
	if ((size_t)snprintf(b.id, sizeof b.id, "B%s-%06lld", fund_code, (long long)b.seq) >=
	    sizeof b.id)
		return zt_error_set(ZT_EINVAL, "fund code '%s' makes a batch id that is too long",
		                    fund_code);
	if ((rc = s->ops->batches.insert(s, &b)) || (rc = zt_batch_fill(s, &b, count)) || !*count)
		return rc;
	char detail[64];
	snprintf(detail, sizeof detail, "%lld records", (long long)*count);
	const struct zt_batch_event e = {.actor = actor, .action = "create", .status_from = "",
	                                 .status_to = zt_batch_status_name(ZT_BATCH_DRAFT),
	                                 .detail = detail};
	if ((rc = s->ops->batches.add_event(s, b.id, &e)) == 0)
		snprintf(id_out, ZT_BATCH_ID_BYTES, "%s", b.id);
	return rc;
}

int zt_batch_create(struct zt_store *s, const char *fund_code, zt_date through,
                    const char *actor, char id_out[ZT_ID_BYTES], int64_t *count_out)
{
	struct zt_fund f;
	id_out[0] = '\0';
	*count_out = 0;
	char who[ZT_ACTOR_BYTES];
	int rc = check_actor(who, &actor);
	if (rc)
		return rc;
	rc = s->ops->registry.get_fund(s, fund_code, &f);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(ZT_ENOTFOUND, "fund '%s' is not in the registry", fund_code);
	if (rc)
		return rc;
	/* One write transaction from the choice of shares to their insertion:
	 * a second create waits for it and then finds them taken. */
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	rc = create_in(s, fund_code, through, actor, id_out, count_out);
	if (rc == 0 && *count_out == 0) {
		s->ops->rollback(s); /* nothing to batch: no empty batch, no number used */
		return 0;
	}
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	if (rc) {
		id_out[0] = '\0';
		*count_out = 0;
	}
	return rc;
}

int zt_batch_approve(struct zt_store *s, const char *id, const char *actor)
{
	struct zt_batch b;
	bool maker = false;
	char who[ZT_ACTOR_BYTES];
	int rc = check_actor(who, &actor);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	if ((rc = s->ops->batches.get(s, id, &b)))
		goto done;
	if (b.status != ZT_BATCH_DRAFT) {
		rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: only a draft can be approved", id,
		                  zt_batch_status_name(b.status));
		goto done;
	}
	if ((rc = zt_batch_is_maker(s, &b, actor, &maker)))
		goto done;
	if (maker) {
		rc = zt_error_set(ZT_ECONFLICT, "maker-checker: '%s' made batch '%s' (created or "
		                  "reopened it) and cannot approve it: another person must", actor, id);
		goto done;
	}
	if ((rc = zt_batch_move(s, id, ZT_BATCH_DRAFT, ZT_BATCH_APPROVED, actor, "approve", NULL)) == 0)
		rc = s->ops->batches.set_approved(s, id, actor);
done:
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

int zt_batch_reject(struct zt_store *s, const char *id, const char *actor, const char *reason)
{
	struct zt_batch b;
	char who[ZT_ACTOR_BYTES];
	int rc = check_actor(who, &actor);
	if (rc)
		return rc;
	if (!reason || !reason[0])
		return zt_error_set(ZT_EINVAL, "a rejection needs a reason (--reason TEXT)");
	if ((rc = zt_text_check("--reason", reason, strlen(reason), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE)))
		return rc;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	if ((rc = s->ops->batches.get(s, id, &b)))
		goto done;
	if (b.status != ZT_BATCH_DRAFT) {
		rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: only a draft can be rejected", id,
		                  zt_batch_status_name(b.status));
		goto done;
	}
	rc = zt_batch_move(s, id, ZT_BATCH_DRAFT, ZT_BATCH_REJECTED, actor, "reject", reason);
done:
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

/* rejected -> draft with every share that has become billable, in the
 * caller's transaction. */
static int reopen_in(struct zt_store *s, const char *id, const char *actor, const char *reason,
                     int64_t *added_out)
{
	struct zt_batch b;
	int rc = s->ops->batches.get(s, id, &b);
	if (rc)
		return rc;
	if (b.status != ZT_BATCH_REJECTED)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: only a rejected batch is reopened",
		                    id, zt_batch_status_name(b.status));
	if ((rc = zt_batch_fill(s, &b, added_out)))
		return rc;
	char detail[600];
	snprintf(detail, sizeof detail, "%lld records added%s%s", (long long)*added_out,
	         reason && reason[0] ? ": " : "", reason ? reason : "");
	return zt_batch_move(s, id, ZT_BATCH_REJECTED, ZT_BATCH_DRAFT, actor, "reopen", detail);
}

int zt_batch_reopen(struct zt_store *s, const char *id, const char *actor, const char *reason,
                    int64_t *added_out)
{
	char who[ZT_ACTOR_BYTES];
	int rc = check_actor(who, &actor);
	*added_out = 0;
	if (rc == 0 && reason)
		rc = zt_text_check("--reason", reason, strlen(reason), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	rc = reopen_in(s, id, actor, reason, added_out);
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	*added_out = 0;
	return rc;
}

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

/* Appends `v` and a separator to a digest line. */
static void line_add(char *line, size_t *n, const char *v, char sep)
{
	size_t l = strlen(v);
	if (*n + l + 1 >= DIGEST_LINE_BYTES)
		l = 0; /* cannot happen with the store's field limits; the caller checks */
	memcpy(line + *n, v, l);
	*n += l;
	line[(*n)++] = sep;
}

/* The canonical line of one record (see payer-file.xsd, "digest"). */
static size_t digest_line(char line[DIGEST_LINE_BYTES], const char *id, const char *setl_id,
                          const char *reverses, const char *hospital, const char *claim_no,
                          const char *psn_no, const char *date, const char *kind,
                          const char *amount, bool payable)
{
	size_t n = 0;
	line_add(line, &n, id, '\t');
	line_add(line, &n, setl_id, '\t');
	line_add(line, &n, reverses, '\t');
	line_add(line, &n, hospital, '\t');
	line_add(line, &n, claim_no, '\t');
	line_add(line, &n, psn_no, '\t');
	line_add(line, &n, date, '\t');
	line_add(line, &n, kind, '\t');
	line_add(line, &n, amount, '\t');
	line_add(line, &n, payable ? "true" : "false", '\n');
	return n;
}

#define W(call)                        \
	do {                               \
		if ((call) < 0)                \
			goto xml_failed;           \
	} while (0)
#define X(s) BAD_CAST(s)

static int write_header(xmlTextWriterPtr w, const struct zt_batch *b)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], d3[ZT_FMT_BYTES], n[32];
	W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	W(xmlTextWriterStartElementNS(w, NULL, X("payer-file"), X(PAYER_FILE_NS)));
	W(xmlTextWriterWriteAttribute(w, X("version"), X("1")));
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

static int write_record(xmlTextWriterPtr w, const struct zt_batch_record *r, const char *trace,
                        EVP_MD_CTX *digest)
{
	char id[ZT_BATCH_RECORD_ID_BYTES], amount[ZT_FMT_BYTES], date[ZT_FMT_BYTES];
	char line[DIGEST_LINE_BYTES];
	/* "SETL_ID/SEQ" without printf: this runs a million times a batch. */
	size_t sl = strlen(r->setl_id);
	char digits[12];
	int nd = 0;
	for (unsigned v = (unsigned)r->seq; nd == 0 || v; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	if (r->seq < 1 || sl + 1 + (size_t)nd >= sizeof id)
		return zt_error_set(ZT_EINTERNAL, "record id of '%s' is out of range", r->setl_id);
	memcpy(id, r->setl_id, sl);
	id[sl] = '/';
	for (int i = 0; i < nd; i++)
		id[sl + 1 + (size_t)i] = digits[nd - 1 - i];
	id[sl + 1 + (size_t)nd] = '\0';
	if (strlen(r->claim_no) + strlen(r->psn_no) + strlen(r->fixmedins_code) > 1024)
		return zt_error_set(ZT_EINTERNAL, "record '%s' has fields beyond the limits", id);
	zt_format_amount(amount, r->amount);
	zt_format_date(date, r->dscg_date);
	W(xmlTextWriterStartElement(w, X("record")));
	W(xmlTextWriterWriteAttribute(w, X("id"), X(id)));
	W(xmlTextWriterWriteAttribute(w, X("setl_id"), X(r->setl_id)));
	if (r->reverses[0])
		W(xmlTextWriterWriteAttribute(w, X("reverses"), X(r->reverses)));
	W(xmlTextWriterWriteAttribute(w, X("fixmedins_code"), X(r->fixmedins_code)));
	W(xmlTextWriterWriteAttribute(w, X("claim_no"), X(r->claim_no)));
	W(xmlTextWriterWriteAttribute(w, X("psn_no"), X(r->psn_no)));
	W(xmlTextWriterWriteAttribute(w, X("dscg_date"), X(date)));
	W(xmlTextWriterWriteAttribute(w, X("kind"), X(r->kind)));
	W(xmlTextWriterWriteAttribute(w, X("amount"), X(amount)));
	if (!r->payable)
		W(xmlTextWriterWriteAttribute(w, X("payable"), X("false")));
	/* The trace, rendered from its data (trace.h) as the settlement
	 * answer renders it. */
	W(xmlTextWriterStartElement(w, X("trace")));
	W(xmlTextWriterWriteRaw(w, X(trace)));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w));
	size_t n = digest_line(line, id, r->setl_id, r->reverses, r->fixmedins_code, r->claim_no,
	                       r->psn_no, date, r->kind, amount, r->payable);
	if (EVP_DigestUpdate(digest, line, n) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	return 0;
xml_failed:
	return ZT_EIO;
}

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
	int seq;
	zt_date dscg_date;
	zt_fen amount;
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
static int chunk_add(struct chunk *c, const struct zt_batch_record *r)
{
	struct chunk_rec *x = &c->recs[c->n];
	char trace[ZT_TRACE_XML_BYTES];
	int n = zt_trace_xml(trace, sizeof trace, &r->trace);
	if (n < 0)
		return n;
	if (!text_add(c, &x->setl_id, r->setl_id) || !text_add(c, &x->kind, r->kind) ||
	    !text_add(c, &x->reverses, r->reverses) || !text_add(c, &x->hospital, r->fixmedins_code) ||
	    !text_add(c, &x->claim_no, r->claim_no) || !text_add(c, &x->psn_no, r->psn_no) ||
	    !text_add(c, &x->fund_kind, r->fund_kind) || !text_add(c, &x->trace, trace) ||
	    !text_add(c, &x->reason, r->reject_reason))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	x->seq = r->seq;
	x->dscg_date = r->dscg_date;
	x->amount = r->amount;
	x->payable = r->payable;
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
	*trace = t + x->trace;
}

static int feed_main(struct zt_ring *ring, void *arg)
{
	struct feed *f = arg;
	struct zt_batch_cursor *cur = NULL;
	struct zt_batch_record r;
	struct zt_store *s = f->s;
	int rc = s->ops->batches.records(s, f->id, false, &cur), step = 1;
	struct chunk *c;
	while (rc == 0 && step > 0 && (c = zt_ring_acquire(ring)) != NULL) {
		/* The chunk is ours until it is published. */
		c->n = 0;
		c->used = 0;
		while (c->n < FEED_RECORDS && (step = s->ops->batches.next(cur, &r)) > 0)
			if ((rc = chunk_add(c, &r)) != 0)
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

static int feed_start(struct feed *f, struct zt_store *s, const char *id)
{
	f->s = s;
	f->id = id;
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

/* Streams batch `b` into `fd`; checks the records against the batch's
 * stored count and totals (conservation: the file bills exactly what the
 * batch says). */
static int write_file(struct zt_store *s, const struct zt_batch *b, int fd,
                      struct zt_batch_export_info *info)
{
	struct sink k = {.fd = fd};
	struct feed feed = {0};
	xmlTextWriterPtr w = NULL;
	EVP_MD_CTX *digest = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	int64_t count = 0, info_count = 0;
	zt_fen total = 0, info_total = 0;
	int rc = 0, r;
	k.sha = EVP_MD_CTX_new();
	k.buf = zt_malloc(SINK_BYTES);
	if (!digest || !k.sha || !k.buf) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DigestInit_ex(digest, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(k.sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 is not available");
		goto done;
	}
	xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(sink_write, sink_close, &k, NULL);
	if (!ob || !(w = xmlNewTextWriter(ob))) {
		if (ob)
			xmlOutputBufferClose(ob);
		rc = zt_error_set(ZT_ENOMEM, "cannot start the XML writer");
		goto done;
	}
	if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, X("  ")) < 0 ||
	    (rc = write_header(w, b)) != 0)
		goto write_failed;
	if ((rc = feed_start(&feed, s, b->id)))
		goto done;
	struct chunk *ch;
	struct zt_batch_record rec;
	const char *trace;
	while ((ch = feed_next(&feed, &r)) != NULL) {
		for (size_t i = 0; i < ch->n; i++) {
			chunk_get(ch, i, &rec, &trace);
			if ((rc = write_record(w, &rec, trace, digest)) == ZT_EIO)
				goto write_failed;
			if (rc)
				goto done;
			count++;
			zt_fen *sum = rec.payable ? &total : &info_total;
			if (__builtin_add_overflow(*sum, rec.amount, sum)) {
				rc = zt_error_set(ZT_ERANGE, "batch '%s': the total overflows", b->id);
				goto done;
			}
			if (!rec.payable)
				info_count++;
		}
	}
	if ((rc = feed_end(&feed)))
		goto done;
	if (count != b->count || total != b->total || info_count != b->info_count ||
	    info_total != b->info_total) {
		rc = zt_error_set(ZT_EINTERNAL, "batch '%s' says %lld records, %lld fen (%lld, %lld for "
		                  "information); its records are %lld, %lld fen (%lld, %lld): run "
		                  "'zhitong verify'", b->id, (long long)b->count, (long long)b->total,
		                  (long long)b->info_count, (long long)b->info_total, (long long)count,
		                  (long long)total, (long long)info_count, (long long)info_total);
		goto done;
	}
	unsigned int mdlen = 0;
	if (EVP_DigestFinal_ex(digest, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	hex(info->digest, md);
	if ((rc = write_trailer(w, count, total, info_count, info_total, info->digest)))
		goto write_failed;
	xmlFreeTextWriter(w); /* flushes and closes the sink */
	w = NULL;
	if (k.err_no) {
		rc = zt_error_set(ZT_EIO, "cannot write the batch file: %s", strerror(k.err_no));
		goto done;
	}
	if (k.hash_failed || EVP_DigestFinal_ex(k.sha, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	hex(info->file_sha256, md);
	info->count = count;
	info->total = total;
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
	if ((rc = s->ops->batches.get(s, id, &b)) == 0) {
		enum zt_batch_status to = b.status == ZT_BATCH_APPROVED ? ZT_BATCH_EXPORTED : b.status;
		rc = zt_batch_move(s, id, b.status, to, actor, "export", detail);
	}
	if (rc == 0)
		rc = s->ops->batches.set_exported(s, id, path, info->file_sha256, info->digest, kt);
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

int zt_batch_export(struct zt_store *s, const char *id, const char *out_path,
                    const char *key_path, const char *actor, int out_flags,
                    struct zt_batch_export_info *info)
{
	struct zt_batch b;
	struct zt_outfile *file = NULL, *sig = NULL;
	char real[PATH_MAX];
	memset(info, 0, sizeof *info);
	char who[ZT_ACTOR_BYTES];
	int rc = check_actor(who, &actor);
	if (rc)
		return rc;
	if ((size_t)snprintf(info->sig_path, sizeof info->sig_path, "%s.sig", out_path) >=
	    sizeof info->sig_path)
		return zt_error_set(ZT_EINVAL, "output path '%s' is too long", out_path);
	if ((rc = s->ops->batches.get(s, id, &b)) || (rc = exportable(&b)))
		return rc;
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
	if ((rc = zt_outfile_open(&file, out_path, 0644, out_flags)) ||
	    (rc = zt_outfile_open(&sig, info->sig_path, 0644, out_flags)))
		goto done;
	if ((rc = write_file(s, &b, zt_outfile_fd(file), info)))
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
	zt_outfile_free(sig);
	zt_outfile_free(file);
	return rc;
}

/* ---- sending ------------------------------------------------------------ */

static int file_sha256(char out[ZT_BATCH_HEX_BYTES], const char *path)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char *buf = zt_malloc(READ_CHUNK_BYTES);
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO, "cannot open '%s': %s", path,
		                  strerror(errno));
		goto done;
	}
	if (!buf || !sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		ssize_t r = read(fd, buf, READ_CHUNK_BYTES);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = zt_error_set(ZT_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(sha, buf, (size_t)r) != 1) {
			rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
			goto done;
		}
	}
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	hex(out, md);
done:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(sha);
	free(buf);
	return rc;
}

int zt_batch_prepare_send(struct zt_store *s, const char *id, const char *file_override,
                          const char *key_path, char file_out[ZT_BATCH_PATH_BYTES],
                          char sig_out[ZT_BATCH_PATH_BYTES + 4])
{
	struct zt_batch b;
	char sha[ZT_BATCH_HEX_BYTES];
	int rc = s->ops->batches.get(s, id, &b);
	if (rc)
		return rc;
	switch (b.status) {
	case ZT_BATCH_EXPORTED:
	case ZT_BATCH_SENT:
		break;
	case ZT_BATCH_DRAFT:
	case ZT_BATCH_APPROVED:
	case ZT_BATCH_REJECTED:
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: it is sent once approved and "
		                    "exported (with its signature)", id, zt_batch_status_name(b.status));
	default:
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is already %s by the payer%s%s", id,
		                    zt_batch_status_name(b.status), b.receipt[0] ? ", receipt " : "",
		                    b.receipt);
	}
	const char *file = file_override && file_override[0] ? file_override : b.file_path;
	if ((size_t)snprintf(file_out, ZT_BATCH_PATH_BYTES, "%s", file) >= ZT_BATCH_PATH_BYTES ||
	    (size_t)snprintf(sig_out, ZT_BATCH_PATH_BYTES + 4, "%s.sig", file) >=
		    ZT_BATCH_PATH_BYTES + 4)
		return zt_error_set(ZT_EINVAL, "path '%s' is too long", file);
	if ((rc = file_sha256(sha, file_out)))
		return rc;
	if (strcmp(sha, b.file_sha256) != 0)
		return zt_error_set(ZT_ECONFLICT, "'%s' is not the file exported for batch '%s' (its "
		                    "SHA-256 differs): export the batch again", file_out, id);
	if (access(sig_out, R_OK) != 0)
		return zt_error_set(ZT_ENOTFOUND, "the signature '%s' is missing: export the batch "
		                    "again", sig_out);
	/* The payer gets nothing we have not checked ourselves: the signature
	 * must verify against these very bytes. */
	if (!key_path || !key_path[0])
		return zt_error_set(ZT_EINVAL, "cannot check the signature '%s' before sending it: no "
		                    "key (give --key PUBKEY.pem, or set [signing] public-key or key in "
		                    "the configuration)", sig_out);
	rc = zt_sign_check(file_out, sig_out, key_path);
	if (rc == ZT_EINVAL)
		return zt_error_set(ZT_EINVAL, "batch '%s' is not sent: its signature '%s' does not "
		                    "verify against '%s' with key '%s' (export the batch again)", id,
		                    sig_out, file_out, key_path);
	return rc;
}

/* The payer has the batch: exported -> sent (a second hand-over of a sent
 * batch is recorded as such). */
static int mark_sent(struct zt_store *s, const struct zt_batch *b, const char *actor,
                     const char *detail)
{
	enum zt_batch_status from = b->status == ZT_BATCH_SENT ? ZT_BATCH_SENT : ZT_BATCH_EXPORTED;
	return zt_batch_move(s, b->id, from, ZT_BATCH_SENT, actor, "send", detail);
}

/* Logs a hand-over and what came of it. */
static int add_send(struct zt_store *s, const char *id, const char *actor,
                    const struct zt_batch_answer *a)
{
	const struct zt_batch_send_log l = {
		.actor = actor,
		.gateway = a->gateway ? a->gateway : "manual",
		.outcome = zt_batch_outcome_name(a->outcome),
		.receipt = a->receipt,
		.message = a->message ? a->message : "",
		.attempts = a->attempts,
		.http_status = a->http_status,
		.rejected = a->outcome == ZT_BATCH_OUT_REJECTED ? (int64_t)a->reject_count : 0,
	};
	return s->ops->batches.add_send(s, id, &l);
}

/* An answer that cannot be applied (it rejects a record never sent, or
 * names one twice): nothing of it is applied and the batch stays as it
 * was; the hand-over is logged as failed, for a corrected answer (`batch
 * ack`). Returns ZT_ECONFLICT with `why`. */
static int unusable_answer(struct zt_store *s, const char *id, const char *actor,
                           const struct zt_batch_answer *a, const char *why)
{
	char saved[ZT_MESSAGE_BYTES_MAX], msg[ZT_MESSAGE_BYTES_MAX + 32];
	snprintf(saved, sizeof saved, "%s", why);
	s->ops->rollback(s);
	struct zt_batch_answer f = *a;
	snprintf(msg, sizeof msg, "unusable answer: %s", saved);
	f.outcome = ZT_BATCH_OUT_FAILED;
	f.message = msg;
	f.reject_count = 0;
	f.rejects = NULL;
	int rc = s->ops->begin(s, ZT_TXN_WRITE);
	if (rc)
		return rc;
	if ((rc = add_send(s, id, actor, &f)) == 0 && (rc = s->ops->commit(s)) == 0)
		return zt_error_set(ZT_ECONFLICT, "%s", saved);
	s->ops->rollback(s);
	return rc;
}

int zt_batch_record_answer(struct zt_store *s, const char *id, const char *actor,
                           const struct zt_batch_answer *a)
{
	struct zt_batch b;
	char detail[400];
	char who[ZT_ACTOR_BYTES];
	int rc = check_actor(who, &actor);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	if ((rc = s->ops->batches.get(s, id, &b)))
		goto done;
	/* A payer may pay before its answer reaches us: a part-paid or paid
	 * batch without an answer still takes it (zt_batch_accept
	 * settles what it then owes). A second answer is refused. */
	bool paid_first = (b.status == ZT_BATCH_PART_PAID || b.status == ZT_BATCH_PAID) &&
	                  !b.answered;
	if (b.status != ZT_BATCH_EXPORTED && b.status != ZT_BATCH_SENT && !paid_first) {
		rc = b.answered ? zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: the payer's answer was "
		                               "recorded already (receipt %s)", id,
		                               zt_batch_status_name(b.status),
		                               b.receipt[0] ? b.receipt : "-")
		                : zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: no answer is expected "
		                               "for it", id, zt_batch_status_name(b.status));
		goto done;
	}
	if ((rc = add_send(s, id, actor, a)))
		goto done;
	snprintf(detail, sizeof detail, "%s: %s", a->gateway ? a->gateway : "manual",
	         a->message ? a->message : zt_batch_outcome_name(a->outcome));
	switch (a->outcome) {
	case ZT_BATCH_OUT_FAILED:
		break; /* it did not arrive: the status stays */
	case ZT_BATCH_OUT_PENDING:
		if (!paid_first)
			rc = mark_sent(s, &b, actor, detail);
		break;
	case ZT_BATCH_OUT_REFUSED:
		/* Refused whole (a bad signature, a wrong fund): back to exported,
		 * to be sent again once the cause is fixed; the batch id stays.
		 * Not once the payer has paid for it: logged, nothing changes. */
		if (paid_first) {
			if ((rc = s->ops->commit(s)) == 0)
				rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: the payer's refusal of the "
				                  "whole batch is logged, but a batch it has paid is not sent "
				                  "again", id, zt_batch_status_name(b.status));
			return rc;
		}
		if ((rc = mark_sent(s, &b, actor, detail)) == 0)
			rc = zt_batch_move(s, id, ZT_BATCH_SENT, ZT_BATCH_EXPORTED, actor, "refused",
			                   a->message);
		break;
	case ZT_BATCH_OUT_ACCEPTED:
	case ZT_BATCH_OUT_REJECTED:
		if (a->outcome == ZT_BATCH_OUT_REJECTED &&
		    (rc = s->ops->batches.reject_records(s, id, a->rejects, a->reject_count)) ==
			    ZT_ECONFLICT)
			return unusable_answer(s, id, actor, a, zt_error_last());
		if (rc == 0 && !paid_first)
			rc = mark_sent(s, &b, actor, detail);
		if (rc == 0)
			rc = zt_batch_accept(s, id, a->receipt, actor);
		break;
	}
done:
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

/* ---- reading a payer file back ------------------------------------------ */

struct check {
	const char *path;
	char first_error[400];
	int first_error_line;
	bool has_error;
};

static void on_reader_error(void *data, xmlErrorPtr e)
{
	struct check *c = data;
	if (c->has_error || !e || e->level < XML_ERR_ERROR)
		return;
	c->has_error = true;
	c->first_error_line = e->line;
	snprintf(c->first_error, sizeof c->first_error, "%s", e->message ? e->message : "invalid");
	size_t l = strlen(c->first_error);
	while (l && (c->first_error[l - 1] == '\n' || c->first_error[l - 1] == ' '))
		c->first_error[--l] = '\0';
}

/* An attribute's value (NULL if absent); copied into buf. */
static const char *attr(xmlTextReaderPtr r, const char *name, char *buf, size_t cap)
{
	xmlChar *v = xmlTextReaderGetAttribute(r, X(name));
	if (!v)
		return NULL;
	snprintf(buf, cap, "%s", (const char *)v);
	xmlFree(v);
	return buf;
}

static int parse_amount(zt_fen *out, const char *s)
{
	bool neg = s[0] == '-';
	int rc = zt_parse_amount(out, s + neg, strlen(s + neg));
	if (rc == 0 && neg)
		*out = -*out;
	return rc;
}

int zt_batch_file_check(const char *path, struct zt_batch_file_summary *out)
{
	struct check c = {.path = path};
	xmlTextReaderPtr r = NULL;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC), step;
	int section = 0; /* 1 header, 2 records, 3 trailer */
	int64_t h_count = -1, t_count = -1, np_count = -1;
	zt_fen h_total = 0, t_total = 0, np_amount = 0;
	char t_digest[ZT_BATCH_HEX_BYTES] = "";
	memset(out, 0, sizeof *out);
	if (fd < 0) {
		rc = zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO, "cannot open '%s': %s", path,
		                  strerror(errno));
		goto done;
	}
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	xmlSchemaPtr schema = zt_schema(ZT_SCHEMA_PAYER_FILE);
	if (!schema) {
		rc = ZT_EINTERNAL;
		goto done;
	}
	if (!(r = zt_xml_reader_fd(fd, path))) {
		rc = ZT_ENOMEM;
		goto done;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_reader_error, &c);
	if (xmlTextReaderSetSchema(r, schema) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "cannot validate against payer-file.xsd");
		goto done;
	}
	while ((step = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
			goto done;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(r);
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		if (depth == 1) {
			section = !strcmp(name, "header") ? 1 : !strcmp(name, "records") ? 2 : 3;
			continue;
		}
		if (depth != 2)
			continue; /* traces */
		char a1[256], a2[256];
		if (section == 2) {
			char id[80], setl[40], rev[40], hosp[200], claim[200], psn[200], date[16], kind[16],
				amount[40], payable[8], line[DIGEST_LINE_BYTES];
			zt_fen v = 0;
			if (!attr(r, "id", id, sizeof id) || !attr(r, "setl_id", setl, sizeof setl) ||
			    !attr(r, "fixmedins_code", hosp, sizeof hosp) ||
			    !attr(r, "claim_no", claim, sizeof claim) || !attr(r, "psn_no", psn, sizeof psn) ||
			    !attr(r, "dscg_date", date, sizeof date) || !attr(r, "kind", kind, sizeof kind) ||
			    !attr(r, "amount", amount, sizeof amount))
				continue; /* the schema reports it */
			if (!attr(r, "reverses", rev, sizeof rev))
				rev[0] = '\0';
			bool pay = !attr(r, "payable", payable, sizeof payable) ||
			           !(strcmp(payable, "false") == 0 || strcmp(payable, "0") == 0);
			if (parse_amount(&v, amount) != 0) {
				rc = zt_error_set(ZT_EINVAL, "%s: record '%s': amount '%s' is not an amount", path,
				                  id, amount);
				goto done;
			}
			size_t n = digest_line(line, id, setl, rev, hosp, claim, psn, date, kind, amount, pay);
			if (EVP_DigestUpdate(sha, line, n) != 1) {
				rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
				goto done;
			}
			out->count++;
			zt_fen *sum = pay ? &out->total : &out->info_total;
			if (__builtin_add_overflow(*sum, v, sum)) {
				rc = zt_error_set(ZT_ERANGE, "%s: the total overflows", path);
				goto done;
			}
			if (!pay)
				out->info_count++;
			continue;
		}
		/* header and trailer values */
		if (!strcmp(name, "fund") && section == 1) {
			if (!attr(r, "code", out->fund_code, sizeof out->fund_code))
				out->fund_code[0] = '\0';
			continue;
		}
		if (!strcmp(name, "not-payable")) {
			if (attr(r, "count", a1, sizeof a1) && attr(r, "amount", a2, sizeof a2)) {
				np_count = strtoll(a1, NULL, 10);
				if (parse_amount(&np_amount, a2) != 0)
					np_count = -2;
			}
			continue;
		}
		xmlChar *text = xmlTextReaderReadString(r);
		const char *t = text ? (const char *)text : "";
		if (!strcmp(name, "batch"))
			snprintf(out->batch_id, sizeof out->batch_id, "%s", t);
		else if (!strcmp(name, "count"))
			*(section == 1 ? &h_count : &t_count) = strtoll(t, NULL, 10);
		else if (!strcmp(name, "total") && parse_amount(section == 1 ? &h_total : &t_total, t))
			*(section == 1 ? &h_count : &t_count) = -2;
		else if (!strcmp(name, "digest"))
			snprintf(t_digest, sizeof t_digest, "%s", t);
		xmlFree(text);
	}
	if (step < 0 || c.has_error || !xmlTextReaderIsValid(r)) {
		if (zt_xml_reader_refused_doctype())
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
		else
			rc = zt_error_set(ZT_EINVAL, "%s:%d: %s", path, c.first_error_line,
			                  c.has_error ? c.first_error : "not a valid payer file");
		goto done;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	hex(out->digest, md);
	char x1[ZT_FMT_BYTES], x2[ZT_FMT_BYTES];
	if (h_count != out->count || t_count != out->count)
		rc = zt_error_set(ZT_EINVAL, "%s: header and trailer say %lld and %lld records; the "
		                  "file has %lld", path, (long long)h_count, (long long)t_count,
		                  (long long)out->count);
	else if (h_total != out->total || t_total != out->total)
		rc = zt_error_set(ZT_EINVAL, "%s: header and trailer say total %s and %s; its payable "
		                  "records sum to %s", path, zt_format_amount(x1, h_total),
		                  zt_format_amount(x2, t_total), zt_format_amount(x1, out->total));
	else if (np_count != out->info_count || np_amount != out->info_total)
		rc = zt_error_set(ZT_EINVAL, "%s: the trailer says %lld records not payable; the file "
		                  "has %lld, summing to %s", path, (long long)np_count,
		                  (long long)out->info_count, zt_format_amount(x1, out->info_total));
	else if (strcmp(t_digest, out->digest) != 0)
		rc = zt_error_set(ZT_EINVAL, "%s: the trailer's digest is %s; the records give %s", path,
		                  t_digest, out->digest);
done:
	xmlFreeTextReader(r);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(sha);
	return rc;
}

/* ---- money owed back: the pool's credit transfer ----------------------- */

/* A party of the pain.001: from the configuration, where bank details live
 * (never in the database: a changed account applies from the next
 * payment on). */
struct party {
	const char *name, *account, *bic;
};

static const char *config_where(const struct zt_config *cfg)
{
	const char *path = zt_config_path(cfg);
	return path[0] ? path : "(none; --config or $ZHITONG_CONFIG)";
}

int zt_batch_repay(struct zt_store *s, const struct zt_config *cfg,
                   const struct zt_batch_repay_req *req, struct zt_batch_return *out)
{
	struct zt_batch b;
	struct zt_fund fund;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	char acct[ZT_FUND_CODE_BYTES + 8], remit[200], detail[400];
	bool txn = false, file_written = false;
	zt_date today = zt_date_today();
	memset(out, 0, sizeof *out);
	char who[ZT_ACTOR_BYTES];
	const char *actor = req->actor;
	int rc = check_actor(who, &actor);
	if (rc)
		return rc;
	zt_date exec_date = req->execution_date ? req->execution_date : today;
	if (exec_date < today)
		return zt_error_set(ZT_EINVAL, "batch repay: execution date %s is in the past (today is "
		                    "%s)", zt_format_date(d1, exec_date), zt_format_date(d2, today));
	if (req->amount_fen < 0 || req->amount_fen > ZT_FEN_MAX)
		return zt_error_set(ZT_EINVAL, "batch repay: the amount must be more than 0.00");
	if (req->out_path && strlen(req->out_path) >= ZT_BATCH_PATH_BYTES)
		return zt_error_set(ZT_EINVAL, "batch repay: output path is longer than %d bytes",
		                    ZT_BATCH_PATH_BYTES - 1);
	/* The pool pays (the debtor), as it pays advances. */
	struct party pool = {zt_config_get(cfg, "pool", "name"), zt_config_get(cfg, "pool", "account"),
	                     zt_config_get(cfg, "pool", "bic")};
	const char *currency = zt_config_get(cfg, "pool", "currency");
	if (!currency || !currency[0])
		currency = "CNY";
	if (!pool.account || !pool.account[0] || !pool.name || !pool.name[0])
		return zt_error_set(ZT_EINVAL, "configuration '%s': [pool] %s is not set: money is paid "
		                    "back from the pool's bank account, which needs its name and account",
		                    config_where(cfg), !pool.account || !pool.account[0] ? "account"
		                                                                         : "name");
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	txn = true;
	if ((rc = s->ops->batches.get(s, req->batch_id, &b)))
		goto done;
	zt_fen owes;
	if ((rc = zt_batch_owes(&owes, zt_batch_due(&b), b.paid, b.returned)))
		goto done;
	if (!b.answered || owes >= 0) {
		rc = !b.answered ? zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: money goes back once "
		                                "the payer has answered for the batch", b.id,
		                                zt_batch_status_name(b.status))
		                 : zt_error_set(ZT_ECONFLICT, "batch '%s' owes its fund nothing back (%s "
		                                "%s)", b.id, owes > 0 ? "it owes" : "it is settled:",
		                                zt_format_amount(y1, owes));
		goto done;
	}
	zt_fen amount = req->amount_fen ? req->amount_fen : -owes;
	if (amount > -owes) {
		rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is owed back %s: %s is more", b.id,
		                  zt_format_amount(y1, -owes), zt_format_amount(y2, amount));
		goto done;
	}
	if ((rc = s->ops->registry.get_fund(s, b.fund_code, &fund))) {
		if (rc == ZT_ENOTFOUND)
			rc = zt_error_set(rc, "fund '%s' is not in the registry", b.fund_code);
		goto done;
	}
	/* The fund is paid (the creditor), on its account of the configuration. */
	char section[ZT_FUND_CODE_BYTES + 8];
	snprintf(section, sizeof section, "fund %s", b.fund_code);
	struct party payee = {fund.name, zt_config_get(cfg, section, "account"),
	                      zt_config_get(cfg, section, "bic")};
	if (!payee.account || !payee.account[0]) {
		rc = zt_error_set(ZT_EINVAL, "configuration '%s': no bank account for fund %s (set [fund "
		                  "%s] account): it cannot be paid back", config_where(cfg), b.fund_code,
		                  b.fund_code);
		goto done;
	}
	int64_t count;
	if ((rc = s->ops->batches.repay_count(s, b.id, &count)))
		goto done;
	out->netted = false;
	snprintf(out->batch_id, sizeof out->batch_id, "%s", b.id);
	if ((size_t)snprintf(out->return_id, sizeof out->return_id, "%s-R%lld", b.id,
	                     (long long)count + 1) >= sizeof out->return_id) {
		rc = zt_error_set(ZT_EINVAL, "batch '%s': its repayment id would be longer than 35 "
		                  "characters", b.id);
		goto done;
	}
	if ((rc = zt_pain001_check_id("EndToEndId", out->return_id)))
		goto done;
	snprintf(out->msg_id, sizeof out->msg_id, "%s", out->return_id);
	if (req->out_path && req->out_path[0])
		snprintf(out->file, sizeof out->file, "%s", req->out_path);
	else
		snprintf(out->file, sizeof out->file, "repay-%s.xml", out->return_id);
	/* Never replace a payment file: it may be one not yet sent. */
	struct stat sb;
	if (lstat(out->file, &sb) == 0) {
		rc = zt_error_set(ZT_ECONFLICT, "'%s' already exists: a payment file is never "
		                  "overwritten (move it away, or give --out)", out->file);
		goto done;
	}
	out->amount = amount;
	out->execution_date = exec_date;
	snprintf(out->actor, sizeof out->actor, "%s", actor);
	snprintf(acct, sizeof acct, "fund:%s", b.fund_code);
	snprintf(detail, sizeof detail, "%s %s to fund %s, file %.200s", out->return_id,
	         zt_format_amount(y1, amount), b.fund_code, out->file);
	if ((rc = zt_batch_add_return(s, out)) ||
	    (rc = s->ops->ledger.post(s, &(struct zt_posting){acct, ZT_ACCOUNT_POOL_BANK, amount, "repay", out->return_id},
	                            0)) ||
	    (rc = s->ops->audit.add(s, actor, "batch repay", b.id, detail)))
		goto done;
	snprintf(remit, sizeof remit, "repayment %s of batch %s to fund %s", out->return_id, b.id,
	         b.fund_code);
	struct zt_pain_tx tx = {
		.end_to_end_id = out->return_id,
		.amount = amount,
		.currency = currency,
		.creditor = {payee.name, payee.account, payee.bic},
		.remittance = remit,
	};
	struct zt_pain_msg m = {
		.msg_id = out->msg_id,
		.created = s->ops->now(s),
		.pmt_inf_id = out->msg_id,
		.execution_date = exec_date,
		.debtor = {pool.name, pool.account, pool.bic},
		.tx_count = 1,
		.txs = &tx,
	};
	enum zt_outfile_result written = ZT_OUT_SAME;
	if ((rc = zt_pain001_write(&m, out->file, &written)))
		goto done;
	/* Only a file this call made is removed if the commit fails. */
	file_written = written != ZT_OUT_SAME;
	rc = s->ops->commit(s);
	txn = false; /* a failed commit has rolled back */
	if (rc == 0)
		file_written = false; /* the committed repayment's file: keep it */
done:
	if (txn)
		s->ops->rollback(s);
	if (file_written && unlink(out->file) != 0 && errno != ENOENT) {
		int unlink_errno = errno;
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		zt_error_set(rc, "%s; and the payment file '%s' could not be removed (%s): delete it, "
		             "nothing was recorded", why, out->file, strerror(unlink_errno));
	}
	return rc;
}
