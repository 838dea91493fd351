/* zhitong — the audit trail (store.h audit), once over the driver (db.h):
 * appended, never changed (triggers), its count kept apart (meta
 * audit.last-id), each record chained to the one before (audit.h; SQLite's
 * migration 012, PostgreSQL's 004). The chain's hash is zt_audit_append's,
 * never this file's: the store reads the last record's number and hash,
 * hands the record to the engine's pure function and stores what it
 * returns. Writers are serialised (G1: SQLite's BEGIN IMMEDIATE, the
 * PostgreSQL writer row read under READ COMMITTED), so the last record read
 * is the last record there is. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../db.h"
#include "zhitong/audit.h"

static const char SQL_LAST[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
static const char SQL_INSERT[] =
	"INSERT INTO audit (id, at, actor, action, subject, detail, operator, token_id, client, "
	"digest, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
/* the text parameters cast: PostgreSQL cannot type a bare NULL test */
static const char SQL_EACH[] =
	"SELECT id, at, actor, operator, token_id, client, action, subject, digest, detail, "
	"prev_hash, hash FROM audit WHERE id > ?1 "
	"AND (CAST(?2 AS TEXT) IS NULL OR substr(at, 1, 10) >= CAST(?2 AS TEXT)) "
	"AND (CAST(?3 AS TEXT) IS NULL OR substr(at, 1, 10) <= CAST(?3 AS TEXT)) "
	"AND (CAST(?4 AS TEXT) IS NULL OR actor = CAST(?4 AS TEXT)) ORDER BY id LIMIT ?5";
static const char SQL_WRITTEN[] =
	"SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'audit.last-id'";
static const char SQL_OLD[] = "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id";
static const char SQL_CHAIN[] = "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1";

/* A hash column read back; one that is not a hash reads as zeros (`audit
 * verify` names that record). */
static void hash_of(unsigned char out[ZT_AUDIT_HASH_BYTES], struct zt_db_stmt *p, int i)
{
	if (zt_audit_hash_from_hex(out, zt_db_column_text(p, i)) != 0)
		memset(out, 0, ZT_AUDIT_HASH_BYTES);
}

static const char *col_opt(struct zt_db_stmt *p, int i)
{
	return zt_db_column_null(p, i) ? NULL : zt_db_column_text(p, i);
}

_Static_assert(sizeof ((struct zt_db *)0)->audit_hash == ZT_AUDIT_HASH_BYTES, "db.h audit_hash");

/* The last record's number and hash (none: zeros): as this transaction
 * wrote it, else read. */
static int last(struct zt_db *q, struct zt_audit_head *out)
{
	memset(out, 0, sizeof *out);
	if (q->audit_known) { /* the record this connection wrote last (db.h) */
		out->seq = q->audit_seq;
		memcpy(out->hash, q->audit_hash, ZT_AUDIT_HASH_BYTES);
		return 0;
	}
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_LAST, &p);
	if (r)
		return r;
	if ((r = zt_db_row(q, p, "read the last audit record")) <= 0)
		return r;
	out->seq = zt_db_column_int64(p, 0);
	hash_of(out->hash, p, 1);
	zt_db_done(p);
	return 0;
}

static int write_record(struct zt_store *s, const struct zt_audit_write *w, int64_t *seq_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_audit_head head;
	int rc = last(q, &head);
	if (rc)
		return rc;
	struct zt_audit_record r = {
		.time = zt_db_now(q),
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
	struct zt_db_stmt *p;
	if ((rc = zt_db_prepare(q, SQL_INSERT, &p)) != 0)
		return rc;
	zt_db_bind_int64(p, 1, r.seq);
	zt_db_bind_text(p, 2, r.time);
	zt_db_bind_text(p, 3, r.user);
	zt_db_bind_text(p, 4, r.action);
	zt_db_bind_text(p, 5, r.object);
	zt_db_bind_text(p, 6, r.detail);
	zt_db_bind_text(p, 7, r.operator_name);
	zt_db_bind_text(p, 8, r.token_id);
	zt_db_bind_text(p, 9, r.client);
	zt_db_bind_text(p, 10, r.has_digest ? digest : NULL);
	zt_db_bind_text(p, 11, prev);
	zt_db_bind_text(p, 12, hash);
	/* sent without waiting, its failure this call's or, where the engine
	 * reports failures late, the transaction's (db.h flush_late) */
	zt_db_defer(q, true);
	rc = zt_db_run(q, p, "store audit record");
	zt_db_defer(q, false);
	int frc = zt_db_flush_late(q);
	if (rc || (rc = frc) != 0) {
		q->audit_known = false;
		return rc;
	}
	q->audit_known = true;
	q->audit_seq = r.seq;
	memcpy(q->audit_hash, r.hash, ZT_AUDIT_HASH_BYTES);
	if (seq_out)
		*seq_out = r.seq;
	return 0;
}

static int add(struct zt_store *s, const char *actor, const char *action, const char *subject,
               const char *detail)
{
	struct zt_audit_write w = {.actor = actor, .action = action, .subject = subject,
	                           .detail = detail};
	return write_record(s, &w, NULL);
}

static int each(struct zt_store *s, const struct zt_audit_filter *f,
                int (*cb)(void *ctx, const struct zt_audit_record *r), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_audit_filter all = {0};
	if (!f)
		f = &all;
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_EACH, &p), r;
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, f->after_seq);
	zt_db_bind_text(p, 2, f->from);
	zt_db_bind_text(p, 3, f->to);
	zt_db_bind_text(p, 4, f->actor);
	zt_db_bind_int64(p, 5, f->limit > 0 ? f->limit : INT64_MAX);
	while ((r = zt_db_row(q, p, "read the audit trail")) == 1) {
		struct zt_audit_record a = {
			.seq = zt_db_column_int64(p, 0),
			.time = zt_db_column_text(p, 1),
			.user = zt_db_column_text(p, 2),
			.operator_name = col_opt(p, 3),
			.token_id = col_opt(p, 4),
			.client = col_opt(p, 5),
			.action = zt_db_column_text(p, 6),
			.object = zt_db_column_text(p, 7),
			.detail = col_opt(p, 9),
		};
		if (col_opt(p, 8)) {
			a.has_digest = true;
			hash_of(a.digest, p, 8);
		}
		hash_of(a.prev_hash, p, 10);
		hash_of(a.hash, p, 11);
		if ((rc = cb(ctx, &a)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int written(struct zt_store *s, int64_t *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	*out = 0;
	int r = zt_db_prepare(q, SQL_WRITTEN, &p);
	if (r)
		return r;
	if ((r = zt_db_row(q, p, "read the audit trail's count")) <= 0)
		return r;
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

/* Chains one old record (its number its id) and stores its hashes. */
static int chain_one(struct zt_db *db, struct zt_db_stmt *u, struct zt_audit_head *head,
                     struct zt_db_stmt *p, const char *path)
{
	struct zt_audit_record a = {
		.time = zt_db_column_text(p, 1),
		.user = zt_db_column_text(p, 2),
		.action = zt_db_column_text(p, 3),
		.object = zt_db_column_text(p, 4),
		.detail = col_opt(p, 5),
	};
	head->seq = zt_db_column_int64(p, 0) - 1;
	int rc = zt_audit_append(head, &a);
	if (rc) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(rc, "database '%s': migration 10: audit record %lld: %s", path,
		                    (long long)head->seq + 1, why);
	}
	char prev[ZT_AUDIT_HASH_HEX_CHARS + 1], hash[ZT_AUDIT_HASH_HEX_CHARS + 1];
	zt_audit_hash_hex(prev, a.prev_hash);
	zt_audit_hash_hex(hash, a.hash);
	zt_db_bind_int64(u, 1, a.seq);
	zt_db_bind_text(u, 2, prev);
	zt_db_bind_text(u, 3, hash);
	return zt_db_run(db, u, "chain the audit trail");
}

int zt_db_audit_chain_old(struct zt_db *db, const char *path)
{
	struct zt_db_stmt *p, *u = NULL;
	int rc = zt_db_prepare_own(db, SQL_OLD, &p), r;
	if (rc)
		return rc;
	if ((rc = zt_db_prepare_own(db, SQL_CHAIN, &u)) != 0) {
		zt_db_finalize(p);
		return rc;
	}
	struct zt_audit_head head = {0};
	db->audit_known = false;
	while ((r = zt_db_row(db, p, "read the audit trail to chain")) == 1)
		if ((rc = chain_one(db, u, &head, p, path)) != 0)
			break;
	if (rc == 0 && r < 0)
		rc = r;
	zt_db_finalize(u);
	zt_db_finalize(p);
	return rc;
}

const struct zt_store_audit_ops zt_db_audit_ops = {
	.add = add,
	.write = write_record,
	.each = each,
	.written = written,
};
