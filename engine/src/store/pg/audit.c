/* zhitong — the audit trail in the PostgreSQL store (store.h audit): appended,
 * never changed (triggers), its count kept apart (meta audit.last-id), each
 * record chained to the one before (audit.h; migration 002, SQLite's 010).
 * As the SQLite store's (sqlite/audit.c): the hash is zt_audit_append's.
 * The last record read is the last there is: a WRITE transaction holds the
 * writer row (G1, txn.c) and reads, under READ COMMITTED, what the previous
 * writer committed. */
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

static const char SQL_LAST[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
static const char SQL_INSERT[] =
	"INSERT INTO audit (id, at, actor, action, subject, detail, operator, token_id, client, "
	"digest, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
static const char SQL_EACH[] =
	"SELECT id, at, actor, operator, token_id, client, action, subject, digest, detail, "
	"prev_hash, hash FROM audit WHERE id > $1 AND ($2::text IS NULL OR substr(at, 1, 10) >= $2) "
	"AND ($3::text IS NULL OR substr(at, 1, 10) <= $3) AND ($4::text IS NULL OR actor = $4) "
	"ORDER BY id LIMIT $5";
static const char SQL_WRITTEN[] = "SELECT value::int8 FROM meta WHERE key = 'audit.last-id'";
static const char SQL_OLD[] = "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id";
static const char SQL_CHAIN[] = "UPDATE audit SET prev_hash = $2, hash = $3 WHERE id = $1";

static int last(struct pg *q, struct zt_audit_head *out)
{
	memset(out, 0, sizeof *out);
	struct pg_stmt *p;
	int r = pg_stmt(q, SQL_LAST, &p);
	if (r)
		return r;
	if ((r = pg_row(q, p, "read the last audit record")) <= 0)
		return r;
	out->seq = pg_col_int64(p, 0);
	if (zt_audit_hash_from_hex(out->hash, pg_col_text(p, 1)) != 0)
		memset(out->hash, 0, sizeof out->hash);
	pg_done(p);
	return 0;
}

static int write_record(struct zt_store *s, const struct zt_audit_write *w, int64_t *seq_out)
{
	struct pg *q = pg_of(s);
	struct zt_audit_head head;
	int rc = last(q, &head);
	if (rc)
		return rc;
	struct zt_audit_record r = {
		.time = pg_now(q),
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
	struct pg_stmt *p;
	if ((rc = pg_stmt(q, SQL_INSERT, &p)) != 0)
		return rc;
	pg_bind_int64(p, 1, r.seq);
	pg_bind_text(p, 2, r.time);
	pg_bind_text(p, 3, r.user);
	pg_bind_text(p, 4, r.action);
	pg_bind_text(p, 5, r.object);
	pg_bind_text(p, 6, r.detail);
	pg_bind_text(p, 7, r.operator_name);
	pg_bind_text(p, 8, r.token_id);
	pg_bind_text(p, 9, r.client);
	pg_bind_text(p, 10, r.has_digest ? digest : NULL);
	pg_bind_text(p, 11, prev);
	pg_bind_text(p, 12, hash);
	/* not deferred: the strings bound are this frame's */
	bool defer = q->defer;
	q->defer = false;
	rc = pg_run(q, p, "store audit record");
	q->defer = defer;
	if (rc == 0 && seq_out)
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

static const char *col_opt(struct pg_stmt *p, int i)
{
	return pg_col_null(p, i) ? NULL : pg_col_text(p, i);
}

static int each(struct zt_store *s, const struct zt_audit_filter *f,
                int (*cb)(void *ctx, const struct zt_audit_record *r), void *ctx)
{
	struct pg *q = pg_of(s);
	struct zt_audit_filter all = {0};
	if (!f)
		f = &all;
	struct pg_stmt *p;
	int rc = pg_stmt(q, SQL_EACH, &p), r;
	if (rc)
		return rc;
	pg_bind_int64(p, 1, f->after_seq);
	pg_bind_text(p, 2, f->from);
	pg_bind_text(p, 3, f->to);
	pg_bind_text(p, 4, f->actor);
	if (f->limit > 0)
		pg_bind_int64(p, 5, f->limit);
	while ((r = pg_row(q, p, "read the audit trail")) == 1) {
		struct zt_audit_record a = {
			.seq = pg_col_int64(p, 0),
			.time = pg_col_text(p, 1),
			.user = pg_col_text(p, 2),
			.operator_name = col_opt(p, 3),
			.token_id = col_opt(p, 4),
			.client = col_opt(p, 5),
			.action = pg_col_text(p, 6),
			.object = pg_col_text(p, 7),
			.detail = col_opt(p, 9),
		};
		if (col_opt(p, 8)) {
			a.has_digest = true;
			if (zt_audit_hash_from_hex(a.digest, pg_col_text(p, 8)) != 0)
				memset(a.digest, 0, sizeof a.digest);
		}
		if (zt_audit_hash_from_hex(a.prev_hash, pg_col_text(p, 10)) != 0)
			memset(a.prev_hash, 0, sizeof a.prev_hash);
		if (zt_audit_hash_from_hex(a.hash, pg_col_text(p, 11)) != 0)
			memset(a.hash, 0, sizeof a.hash);
		if ((rc = cb(ctx, &a)) != 0)
			break;
	}
	pg_done(p);
	return rc ? rc : r;
}

static int written(struct zt_store *s, int64_t *out)
{
	struct pg *q = pg_of(s);
	struct pg_stmt *p;
	*out = 0;
	int r = pg_stmt(q, SQL_WRITTEN, &p);
	if (r)
		return r;
	if ((r = pg_row(q, p, "read the audit trail's count")) <= 0)
		return r;
	*out = pg_col_int64(p, 0);
	pg_done(p);
	return 0;
}

/* Migration 002: the records written before it, chained in id order from
 * the zero hash, each numbered by its id (a gap stays a gap). */
int pg_audit_chain_old(struct pg *q)
{
	struct pg_stmt *p, *u = NULL;
	int rc = pg_stmt_own(q, SQL_OLD, &p), r;
	if (rc)
		return rc;
	if ((rc = pg_stmt_own(q, SQL_CHAIN, &u)) != 0) {
		pg_finalize(p);
		return rc;
	}
	struct zt_audit_head head = {0};
	while ((r = pg_row(q, p, "read the audit trail to chain")) == 1) {
		struct zt_audit_record a = {
			.time = pg_col_text(p, 1),
			.user = pg_col_text(p, 2),
			.action = pg_col_text(p, 3),
			.object = pg_col_text(p, 4),
			.detail = col_opt(p, 5),
		};
		head.seq = pg_col_int64(p, 0) - 1;
		if ((rc = zt_audit_append(&head, &a)) != 0) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			zt_error_set(rc, "database '%s': migration 10: audit record %lld: %s", q->path,
			             (long long)head.seq + 1, why);
			break;
		}
		char prev[ZT_AUDIT_HASH_HEX_CHARS + 1], hash[ZT_AUDIT_HASH_HEX_CHARS + 1];
		zt_audit_hash_hex(prev, a.prev_hash);
		zt_audit_hash_hex(hash, a.hash);
		pg_bind_int64(u, 1, a.seq);
		pg_bind_text(u, 2, prev);
		pg_bind_text(u, 3, hash);
		if ((rc = pg_run(q, u, "chain the audit trail")) != 0)
			break;
	}
	if (rc == 0 && r < 0)
		rc = r;
	pg_finalize(u);
	pg_finalize(p);
	return rc;
}

const struct zt_store_audit_ops pg_audit_ops = {
	.add = add,
	.write = write_record,
	.each = each,
	.written = written,
};
