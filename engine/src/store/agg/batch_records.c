/* zhitong — the records of a batch, for every engine (store.h
 * batches.records): one statement of the cursor's own walks the batch in
 * file order, each record with its trace, a critical-illness share with one
 * row per tier segment; the cursor folds those rows into one record, reading
 * one row ahead. The statement orders by the share alone, an order the
 * index batch_share_by_batch gives as it is read: a share's segment rows
 * come together, in no promised order, and each goes to its place by its
 * number k (ordering by k as well had SQLite sort each record's rows, a
 * sorter per record: most of issue 8's export cost). SQLite streams them: memory stays flat whatever the
 * batch's size. PostgreSQL reads the rows when the cursor opens, so that
 * reading them uses no connection (another thread may read the cursor
 * while the store works). TODO (issue 13): memory grows with the batch
 * there; a server-side cursor (DECLARE … FETCH 1000) on a connection of the
 * cursor's own would keep it flat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"

/* The trace's columns come last (from C_TRACE on). */
enum {
	C_SETL_ID, C_SEQ, C_KIND, C_REVERSES, C_HOSPITAL, C_CLAIM_NO, C_PSN_NO, C_DSCG_DATE,
	C_AMOUNT, C_PAYABLE, C_FUND_KIND, C_REJECT_REASON, C_LEVEL, C_CATEGORY, C_REASON, C_SLOT,
	C_ROW, C_SEGMENT, C_TIER_FROM, C_PSN_NAME = C_TIER_FROM + 5, C_ID_NO, C_ADM_DATE,
	C_MAINDIAG, C_SUMAMT, C_TRACE
};

/* INDEXED BY (SQLite): a claim is found by its id, never by its batch.
 * Without the reviewer's fields (ZT_BATCH_RECORDS_NO_REVIEW: a payer file
 * of version 1) neither the person nor the claim's row is read: the index
 * claim_for_batch covers what is left. */
#define REVIEW_COLUMNS                                                                          \
	"COALESCE(p.name, ''), COALESCE(p.id_no, ''), c.adm_date, c.dscg_maindiag_code, "          \
	"c.medfee_sumamt, "
#define REVIEW_JOIN "LEFT JOIN person p ON p.psn_no = c.psn_no "
#define SQL_RECORDS(indexed_by, review_columns, review_join)                                    \
	"SELECT s.setl_id, b.seq, s.kind, COALESCE(o.setl_id, ''), s.fixmedins_code, c.claim_no, " \
	"s.psn_no, c.dscg_date, f.amount, b.payable, f.kind, COALESCE(j.reason, ''), " \
	"s.hospital_level, s.category, COALESCE(s.reason, ''), f.slot, b.settlement_id, g.k, "      \
	"g.tier_from, g.tier_to, g.covered_from, g.covered_to, g.ratio_bp, "                        \
	review_columns ZT_DB_TRACE_COLUMNS_OF("f.") " "                                              \
	"FROM batch_share b JOIN settlement_fund f ON f.settlement_id = b.settlement_id "           \
	"AND f.seq = b.seq JOIN settlement s ON s.id = b.settlement_id "                            \
	"JOIN claim c " indexed_by "ON c.id = s.claim_id "                                           \
	"LEFT JOIN settlement o ON o.id = s.reverses "                                              \
	review_join                                                                                 \
	"LEFT JOIN batch_reject j ON j.settlement_id = b.settlement_id AND j.seq = b.seq "          \
	"LEFT JOIN settlement_trace_segment g ON g.settlement_id = b.settlement_id AND g.seq = b.seq " \
	"WHERE b.batch_id = ?1 AND (?2 = 0 OR j.reason IS NOT NULL) "                               \
	"ORDER BY b.batch_id, b.settlement_id, b.seq"
#define NO_REVIEW_COLUMNS "'', '', 0, '', 0, "
static const char SQL_RECORDS_SQLITE[] =
	SQL_RECORDS("INDEXED BY claim_for_batch ", REVIEW_COLUMNS, REVIEW_JOIN);
static const char SQL_RECORDS_PG[] = SQL_RECORDS("", REVIEW_COLUMNS, REVIEW_JOIN);
static const char SQL_RECORDS_BRIEF_SQLITE[] =
	SQL_RECORDS("INDEXED BY claim_for_batch ", NO_REVIEW_COLUMNS, "");
static const char SQL_RECORDS_BRIEF_PG[] = SQL_RECORDS("", NO_REVIEW_COLUMNS, "");

struct zt_batch_cursor {
	struct zt_db *q;
	struct zt_db_stmt *p;
	bool pending; /* p holds the first row of the next record */
	bool done;
	char *id; /* the batch's, bound: the caller's may be a stack buffer */
	int64_t row;  /* of the record being read */
	int seq;
	/* the record's strings, copied: the statement moves on to read ahead */
	char setl_id[32], kind[8], reverses[32], fund_kind[12];
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char psn_name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)], id_no[32];
	char maindiag[ZT_UTF8_BYTES(ZT_DIAG_CHARS_MAX)];
	char *reject_reason;
	size_t reason_cap;
	unsigned segments; /* of the record: bit k - 1 set once segment k is read */
	struct zt_batch_record rec;
};

int zt_db_batch_records(struct zt_store *s, const char *id, unsigned what,
                     struct zt_batch_cursor **out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_batch_cursor *c = calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	c->q = q;
	if (!(c->id = strdup(id))) {
		free(c);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	bool brief = what & ZT_BATCH_RECORDS_NO_REVIEW;
	int rc = zt_db_prepare_own(q, brief ? zt_db_sql(q, SQL_RECORDS_BRIEF_SQLITE, SQL_RECORDS_BRIEF_PG)
	                                    : zt_db_sql(q, SQL_RECORDS_SQLITE, SQL_RECORDS_PG),
	                           &c->p);
	if (rc) {
		free(c->id);
		free(c);
		return rc;
	}
	zt_db_bind_text(c->p, 1, c->id);
	zt_db_bind_int(c->p, 2, (what & ZT_BATCH_RECORDS_REJECTED) != 0);
	/* the first row read now (PostgreSQL reads them all here) */
	if ((rc = zt_db_row(q, c->p, "read batch records")) < 0) {
		zt_db_finalize(c->p);
		free(c->id);
		free(c);
		return rc;
	}
	c->pending = rc == 1;
	c->done = rc == 0;
	*out = c;
	return 0;
}

static int copy_reason(struct zt_batch_cursor *c, const char *v)
{
	size_t n = strlen(v) + 1;
	if (n > c->reason_cap) {
		char *r = realloc(c->reject_reason, n);
		if (!r)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		c->reject_reason = r;
		c->reason_cap = n;
	}
	memcpy(c->reject_reason, v, n);
	return 0;
}

/* The record of the row the statement is on (its first). */
static int start_record(struct zt_batch_cursor *c)
{
	struct zt_db_stmt *p = c->p;
	struct zt_batch_record *r = &c->rec;
	zt_db_column_copy(c->setl_id, sizeof c->setl_id, p, C_SETL_ID);
	zt_db_column_copy(c->kind, sizeof c->kind, p, C_KIND);
	zt_db_column_copy(c->reverses, sizeof c->reverses, p, C_REVERSES);
	zt_db_column_copy(c->hospital, sizeof c->hospital, p, C_HOSPITAL);
	zt_db_column_copy(c->claim_no, sizeof c->claim_no, p, C_CLAIM_NO);
	zt_db_column_copy(c->psn_no, sizeof c->psn_no, p, C_PSN_NO);
	zt_db_column_copy(c->fund_kind, sizeof c->fund_kind, p, C_FUND_KIND);
	zt_db_column_copy(c->psn_name, sizeof c->psn_name, p, C_PSN_NAME);
	zt_db_column_copy(c->id_no, sizeof c->id_no, p, C_ID_NO);
	zt_db_column_copy(c->maindiag, sizeof c->maindiag, p, C_MAINDIAG);
	int rc = copy_reason(c, zt_db_column_text(p, C_REJECT_REASON));
	if (rc == 0)
		rc = zt_db_trace_read(p, C_TRACE, &r->trace);
	if (rc)
		return rc;
	zt_db_trace_complete(&r->trace, zt_db_column_int(p, C_LEVEL), zt_db_column_text(p, C_CATEGORY),
	                  c->reverses, zt_db_column_text(p, C_REASON), zt_db_column_text(p, C_SLOT));
	r->setl_id = c->setl_id;
	r->seq = c->seq = zt_db_column_int(p, C_SEQ);
	r->kind = c->kind;
	r->reverses = c->reverses;
	r->fixmedins_code = c->hospital;
	r->claim_no = c->claim_no;
	r->psn_no = c->psn_no;
	r->dscg_date = zt_db_column_int(p, C_DSCG_DATE);
	r->amount = zt_db_column_int64(p, C_AMOUNT);
	r->payable = zt_db_column_int(p, C_PAYABLE) != 0;
	r->fund_kind = c->fund_kind;
	r->reject_reason = c->reject_reason;
	r->psn_name = c->psn_name;
	r->id_no = c->id_no;
	r->adm_date = zt_db_column_int(p, C_ADM_DATE);
	r->dscg_maindiag_code = c->maindiag;
	r->medfee_sumamt = zt_db_column_int64(p, C_SUMAMT);
	c->row = zt_db_column_int64(p, C_ROW);
	return 0;
}

/* A tier segment of the record, if the row has one, in its place k (the
 * rows of a share come in no promised order). */
static int add_segment(struct zt_batch_cursor *c)
{
	_Static_assert(ZT_TIERS_MAX <= 32, "a segment's bit in an unsigned");
	if (zt_db_column_null(c->p, C_SEGMENT))
		return 0;
	struct zt_fund_trace *t = &c->rec.trace;
	struct zt_trace_critical *x = &t->u.critical;
	int64_t k = zt_db_column_int64(c->p, C_SEGMENT);
	if (t->kind != ZT_TRACE_CRITICAL || k < 1 || k > ZT_TIERS_MAX ||
	    (c->segments >> (k - 1) & 1u))
		return zt_error_set(ZT_EINTERNAL, "share %s/%d has a tier segment it cannot have "
		                    "(%lld)", c->setl_id, c->seq, (long long)k);
	c->segments |= 1u << (k - 1);
	/* zt_db_trace_segment_read fills segment_count and adds to the sum */
	int count = x->segment_count;
	x->segment_count = (int)k - 1;
	zt_db_trace_segment_read(c->p, C_TIER_FROM, x);
	x->segment_count = count > (int)k ? count : (int)k;
	return 0;
}

/* Every segment from 1 to the last one read is there. */
static int segments_whole(const struct zt_batch_cursor *c)
{
	const struct zt_fund_trace *t = &c->rec.trace;
	int n = t->kind == ZT_TRACE_CRITICAL ? t->u.critical.segment_count : 0;
	unsigned want = n >= 32 ? ~0u : (1u << n) - 1u;
	if (c->segments == want)
		return 0;
	return zt_error_set(ZT_EINTERNAL, "share %s/%d lacks a tier segment below its %d: run "
	                    "'zhitong verify'", c->setl_id, c->seq, n);
}

int zt_db_batch_next(struct zt_batch_cursor *c, struct zt_batch_record *out)
{
	if (c->done)
		return 0;
	int step = c->pending ? 1 : zt_db_row(c->q, c->p, "read batch records");
	c->pending = false;
	if (step <= 0) {
		c->done = true;
		return step;
	}
	c->segments = 0;
	int rc = start_record(c);
	if (rc == 0)
		rc = add_segment(c);
	/* the rows that follow with the same share are its segments */
	while (rc == 0 && (step = zt_db_row(c->q, c->p, "read batch records")) == 1) {
		if (zt_db_column_int64(c->p, C_ROW) != c->row ||
		    zt_db_column_int(c->p, C_SEQ) != c->seq) {
			c->pending = true;
			break;
		}
		rc = add_segment(c);
	}
	if (rc == 0 && step < 0)
		rc = step;
	if (rc == 0)
		rc = segments_whole(c);
	if (rc)
		return rc;
	c->done = step == 0;
	*out = c->rec;
	return 1;
}

void zt_db_batch_records_close(struct zt_batch_cursor *c)
{
	if (!c)
		return;
	zt_db_finalize(c->p); /* the cursor's own statement */
	free(c->reject_reason);
	free(c->id);
	free(c);
}
