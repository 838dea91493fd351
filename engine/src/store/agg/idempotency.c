/* zhitong — the answers kept for Idempotency-Key, written once over the
 * store's driver (store.h idempotency; SQLite's migration 013,
 * PostgreSQL's 005). Keys arrive as the SHA-256 of their scope (user,
 * method, path, key): the client's text is not kept. */
#include <stdlib.h>
#include <string.h>

#include "../db.h"

static const char SQL_PURGE[] = "DELETE FROM idempotency WHERE expires_s <= ?1";
static const char SQL_GET[] =
	"SELECT body_sha, status, content_type, answer FROM idempotency WHERE scope = ?1";
static const char SQL_TAKE[] =
	"INSERT INTO idempotency (scope, body_sha, created_at, expires_s) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_KEEP[] =
	"UPDATE idempotency SET status = ?2, content_type = ?3, answer = ?4, expires_s = ?5 "
	"WHERE scope = ?1 AND status IS NULL";
static const char SQL_DROP[] = "DELETE FROM idempotency WHERE scope = ?1";

static int take(struct zt_store *s, const char *scope, const char *body_sha, int64_t now_s,
                int64_t lease_s, bool *taken, struct zt_stored_idem *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	memset(out, 0, sizeof *out);
	*taken = false;
	int rc = zt_db_need_write(q, "keep an Idempotency-Key");
	/* what has expired is absent: gone before the key is looked at */
	if (rc == 0 && (rc = zt_db_prepare(q, SQL_PURGE, &p)) == 0) {
		zt_db_bind_int64(p, 1, now_s);
		rc = zt_db_run(q, p, "forget expired Idempotency-Keys");
	}
	if (rc || (rc = zt_db_prepare(q, SQL_GET, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, scope);
	int r = zt_db_row(q, p, "read Idempotency-Key");
	if (r < 0)
		return r;
	if (r == 1) {
		zt_db_column_copy(out->body_sha, sizeof out->body_sha, p, 0);
		out->done = !zt_db_column_null(p, 1);
		if (out->done) {
			out->status = (unsigned)zt_db_column_int64(p, 1);
			zt_db_column_copy(out->content_type, sizeof out->content_type, p, 2);
			const char *a = zt_db_column_text(p, 3);
			out->answer_len = strlen(a);
			if (!(out->answer = malloc(out->answer_len + 1))) {
				zt_db_done(p);
				return zt_error_set(ZT_ENOMEM, "out of memory");
			}
			memcpy(out->answer, a, out->answer_len + 1);
		}
		zt_db_done(p);
		return 0;
	}
	if ((rc = zt_db_prepare(q, SQL_TAKE, &p)) != 0)
		return rc;
	zt_db_bind_text(p, 1, scope);
	zt_db_bind_text(p, 2, body_sha);
	zt_db_bind_text(p, 3, zt_db_now(q));
	zt_db_bind_int64(p, 4, lease_s);
	if ((rc = zt_db_run(q, p, "keep an Idempotency-Key")) == 0)
		*taken = true;
	return rc;
}

static int keep(struct zt_store *s, const char *scope, unsigned status, const char *content_type,
                const char *answer, size_t len, int64_t expires_s)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	if (memchr(answer, '\0', len))
		return zt_error_set(ZT_EINVAL, "an answer with a NUL byte is not kept");
	char *text = malloc(len + 1);
	if (!text)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	memcpy(text, answer, len);
	text[len] = '\0';
	int rc = zt_db_prepare(q, SQL_KEEP, &p);
	if (rc == 0) {
		zt_db_bind_text(p, 1, scope);
		zt_db_bind_int64(p, 2, status);
		zt_db_bind_text(p, 3, content_type);
		zt_db_bind_text(p, 4, text);
		zt_db_bind_int64(p, 5, expires_s);
		rc = zt_db_run(q, p, "keep an Idempotency-Key's answer");
	}
	free(text);
	return rc;
}

static int drop(struct zt_store *s, const char *scope)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_DROP, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, scope);
	return zt_db_run(q, p, "free an Idempotency-Key");
}

const struct zt_store_idem_ops zt_db_idem_ops = {
	.take = take,
	.keep = keep,
	.drop = drop,
};
