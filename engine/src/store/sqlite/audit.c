/* zhitong — the audit trail in the SQLite store (store.h audit): appended,
 * never changed (triggers), its count kept apart (meta audit.last-id), each
 * record chained to the one before (audit.h; migration 012). The chain's
 * hash is zt_audit_append's, never this file's: the store reads the last
 * record's number and hash, hands the record to the engine's pure function
 * and stores what it returns. Writers are serialised (BEGIN IMMEDIATE, G1),
 * so the last record read is the last record there is. */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

static const char SQL_LAST[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
static const char SQL_INSERT[] =
	"INSERT INTO audit (id, at, actor, action, subject, detail, operator, token_id, client, "
	"digest, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_EACH[] =
	"SELECT id, at, actor, operator, token_id, client, action, subject, digest, detail, "
	"prev_hash, hash FROM audit WHERE id > ?1 AND (?2 IS NULL OR substr(at, 1, 10) >= ?2) "
	"AND (?3 IS NULL OR substr(at, 1, 10) <= ?3) AND (?4 IS NULL OR actor = ?4) "
	"ORDER BY id LIMIT ?5";
static const char SQL_WRITTEN[] =
	"SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'audit.last-id'";
static const char SQL_OLD[] = "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id";
static const char SQL_CHAIN[] = "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1";

/* The last record's number and hash (a hash that is not one reads as
 * zeros: `audit verify` names that record). */
static int last(struct sq *q, struct zt_audit_head *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *p;
	int r = sq_stmt(q, SQL_LAST, &p);
	if (r)
		return r;
	if ((r = sq_row(q, p, "read the last audit record")) <= 0)
		return r;
	out->seq = sqlite3_column_int64(p, 0);
	if (zt_audit_hash_from_hex(out->hash, sq_col_text(p, 1)) != 0)
		memset(out->hash, 0, sizeof out->hash);
	sq_done(p);
	return 0;
}

static int write_record(struct zt_store *s, const struct zt_audit_write *w, int64_t *seq_out)
{
	struct sq *q = sq_of(s);
	struct zt_audit_head head;
	int rc = last(q, &head);
	if (rc)
		return rc;
	struct zt_audit_record r = {
		.time = sq_now(q),
		.user = w->actor,
		.operator_name = w->operator_name,
		.token_id = w->token_id,
		.client = w->client,
		.action = w->action,
		.object = w->subject ? w->subject : "",
		.detail = w->detail,
	};
	if (w->digest) {
		r.has_digest = true;
		memcpy(r.digest, w->digest, ZT_AUDIT_HASH_BYTES);
	}
	if ((rc = zt_audit_append(&head, &r)) != 0)
		return rc;
	char digest[ZT_AUDIT_HASH_HEX_CHARS + 1], prev[ZT_AUDIT_HASH_HEX_CHARS + 1],
		hash[ZT_AUDIT_HASH_HEX_CHARS + 1];
	zt_audit_hash_hex(digest, r.digest);
	zt_audit_hash_hex(prev, r.prev_hash);
	zt_audit_hash_hex(hash, r.hash);
	sqlite3_stmt *p;
	if ((rc = sq_stmt(q, SQL_INSERT, &p)) != 0)
		return rc;
	sqlite3_bind_int64(p, 1, r.seq);
	sq_bind_text(p, 2, r.time);
	sq_bind_text(p, 3, r.user);
	sq_bind_text(p, 4, r.action);
	sq_bind_text(p, 5, r.object);
	sq_bind_text(p, 6, r.detail);
	sq_bind_text(p, 7, r.operator_name);
	sq_bind_text(p, 8, r.token_id);
	sq_bind_text(p, 9, r.client);
	sq_bind_text(p, 10, r.has_digest ? digest : NULL);
	sq_bind_text(p, 11, prev);
	sq_bind_text(p, 12, hash);
	if ((rc = sq_run(q, p, "store audit record")) == 0 && seq_out)
		*seq_out = r.seq;
	return rc;
}

static int add(struct zt_store *s, const char *actor, const char *action, const char *subject,
               const char *detail)
{
	struct zt_audit_write w = {.actor = actor, .action = action, .subject = subject,
	                           .detail = detail};
	return write_record(s, &w, NULL);
}

static const char *col_opt(sqlite3_stmt *p, int i)
{
	return sqlite3_column_type(p, i) == SQLITE_NULL ? NULL : sq_col_text(p, i);
}

static int each(struct zt_store *s, const struct zt_audit_filter *f,
                int (*cb)(void *ctx, const struct zt_audit_record *r), void *ctx)
{
	struct sq *q = sq_of(s);
	struct zt_audit_filter all = {0};
	if (!f)
		f = &all;
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_EACH, &p), r;
	if (rc)
		return rc;
	sqlite3_bind_int64(p, 1, f->after_seq);
	sq_bind_text(p, 2, f->from);
	sq_bind_text(p, 3, f->to);
	sq_bind_text(p, 4, f->actor);
	sqlite3_bind_int64(p, 5, f->limit > 0 ? f->limit : -1);
	while ((r = sq_row(q, p, "read the audit trail")) == 1) {
		struct zt_audit_record a = {
			.seq = sqlite3_column_int64(p, 0),
			.time = sq_col_text(p, 1),
			.user = sq_col_text(p, 2),
			.operator_name = col_opt(p, 3),
			.token_id = col_opt(p, 4),
			.client = col_opt(p, 5),
			.action = sq_col_text(p, 6),
			.object = sq_col_text(p, 7),
			.detail = col_opt(p, 9),
		};
		if (col_opt(p, 8)) {
			a.has_digest = true;
			if (zt_audit_hash_from_hex(a.digest, sq_col_text(p, 8)) != 0)
				memset(a.digest, 0, sizeof a.digest);
		}
		if (zt_audit_hash_from_hex(a.prev_hash, sq_col_text(p, 10)) != 0)
			memset(a.prev_hash, 0, sizeof a.prev_hash);
		if (zt_audit_hash_from_hex(a.hash, sq_col_text(p, 11)) != 0)
			memset(a.hash, 0, sizeof a.hash);
		if ((rc = cb(ctx, &a)) != 0)
			break;
	}
	sq_done(p);
	return rc ? rc : r;
}

static int written(struct zt_store *s, int64_t *out)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	*out = 0;
	int r = sq_stmt(q, SQL_WRITTEN, &p);
	if (r)
		return r;
	if ((r = sq_row(q, p, "read the audit trail's count")) <= 0)
		return r;
	*out = sqlite3_column_int64(p, 0);
	sq_done(p);
	return 0;
}

/* Migration 010: the records written before it, chained in id order from
 * the zero hash, each numbered by its id (a gap stays a gap). */
int sq_audit_chain_old(struct sq *q)
{
	sqlite3_stmt *p, *u;
	int rc = sq_stmt_own(q, SQL_OLD, &p), step = SQLITE_DONE;
	if (rc)
		return rc;
	struct zt_audit_head head = {0};
	while (rc == 0 && (step = sqlite3_step(p)) == SQLITE_ROW) {
		struct zt_audit_record r = {
			.time = sq_col_text(p, 1),
			.user = sq_col_text(p, 2),
			.action = sq_col_text(p, 3),
			.object = sq_col_text(p, 4),
			.detail = col_opt(p, 5),
		};
		head.seq = sqlite3_column_int64(p, 0) - 1;
		if ((rc = zt_audit_append(&head, &r)) != 0) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			zt_error_set(rc, "database '%s': migration 10: audit record %lld: %s", q->path,
			             (long long)head.seq + 1, why);
			break;
		}
		char prev[ZT_AUDIT_HASH_HEX_CHARS + 1], hash[ZT_AUDIT_HASH_HEX_CHARS + 1];
		zt_audit_hash_hex(prev, r.prev_hash);
		zt_audit_hash_hex(hash, r.hash);
		if ((rc = sq_stmt(q, SQL_CHAIN, &u)) != 0)
			break;
		sqlite3_bind_int64(u, 1, r.seq);
		sq_bind_text(u, 2, prev);
		sq_bind_text(u, 3, hash);
		rc = sq_run(q, u, "chain the audit trail");
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = sq_error(q, "read the audit trail to chain");
	sqlite3_finalize(p);
	return rc;
}

const struct zt_store_audit_ops sq_audit_ops = {
	.add = add,
	.write = write_record,
	.each = each,
	.written = written,
};
