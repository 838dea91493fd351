/* zhitong — the service's users and their token hashes, written once over
 * the store's driver (store.h users; SQLite's migration 012, PostgreSQL's
 * 004). Only hashes of tokens, as 64 hex digits: a token's text never
 * reaches the store. */
#include <string.h>

#include "../db.h"

#define USER_COLUMNS                                                                              \
	"name, roles, hospitals, funds, enabled, created_by, created_at, token_hash, token_at, "     \
	"prev_hash, prev_until, password_hash, failed_logins, locked_until, pools"

static const char SQL_EXISTS[] = "SELECT 1 FROM users WHERE name = ?1";
static const char SQL_PUT[] =
	"INSERT INTO users (name, roles, hospitals, funds, enabled, created_by, created_at, pools) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_GET[] = "SELECT " USER_COLUMNS " FROM users WHERE name = ?1";
static const char SQL_EACH[] = "SELECT " USER_COLUMNS " FROM users ORDER BY name COLLATE BINARY";
static const char SQL_COUNT[] = "SELECT count(*) FROM users";
static const char SQL_ENABLE[] = "UPDATE users SET enabled = ?2 WHERE name = ?1";
static const char SQL_KEYS[] =
	"UPDATE users SET token_hash = ?2, token_at = ?3, prev_hash = ?4, prev_until = ?5 "
	"WHERE name = ?1";
static const char SQL_BY_TOKEN[] =
	"SELECT " USER_COLUMNS " FROM users WHERE token_hash = ?1 UNION ALL SELECT " USER_COLUMNS
	" FROM users WHERE prev_hash = ?1 LIMIT 1";

static const char SQL_PASSWORD[] =
	"UPDATE users SET password_hash = ?2, password_at = ?3, failed_logins = 0, locked_until = 0 "
	"WHERE name = ?1";
static const char SQL_LOGIN[] =
	"UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE name = ?1";

static void read_user(struct zt_db_stmt *p, struct zt_stored_user *u)
{
	memset(u, 0, sizeof *u);
	u->name = zt_db_column_text(p, 0);
	u->roles = (unsigned)zt_db_column_int64(p, 1);
	u->hospitals = zt_db_column_text(p, 2);
	u->funds = zt_db_column_text(p, 3);
	u->enabled = zt_db_column_int(p, 4) != 0;
	u->created_by = zt_db_column_text(p, 5);
	u->created_at = zt_db_column_text(p, 6);
	u->has_token = !zt_db_column_null(p, 7) &&
	               zt_token_hash_from_hex(&u->keys.current, zt_db_column_text(p, 7)) == 0;
	u->token_at = zt_db_column_text(p, 8);
	u->keys.has_previous = !zt_db_column_null(p, 9) &&
	                       zt_token_hash_from_hex(&u->keys.previous, zt_db_column_text(p, 9)) == 0;
	u->keys.previous_until_s = zt_db_column_int64(p, 10);
	u->password_hash = zt_db_column_null(p, 11) ? NULL : zt_db_column_text(p, 11);
	u->failed_logins = zt_db_column_int64(p, 12);
	u->locked_until_s = zt_db_column_int64(p, 13);
	u->pools = zt_db_column_text(p, 14);
}

static int put(struct zt_store *s, const struct zt_stored_user *u)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_EXISTS, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, u->name);
	if ((r = zt_db_row(q, p, "read user")) < 0)
		return r;
	if (r == 1) {
		zt_db_done(p);
		return zt_error_set(ZT_ECONFLICT, "user '%s' exists", u->name);
	}
	if ((r = zt_db_prepare(q, SQL_PUT, &p)) != 0)
		return r;
	zt_db_bind_text(p, 1, u->name);
	zt_db_bind_int64(p, 2, u->roles);
	zt_db_bind_text(p, 3, u->hospitals ? u->hospitals : "");
	zt_db_bind_text(p, 4, u->funds ? u->funds : "");
	zt_db_bind_int(p, 5, u->enabled ? 1 : 0);
	zt_db_bind_text(p, 6, u->created_by);
	zt_db_bind_text(p, 7, zt_db_now(q));
	zt_db_bind_text(p, 8, u->pools ? u->pools : "");
	return zt_db_run(q, p, "store user");
}

static int walk(struct zt_db *q, struct zt_db_stmt *p, const char *what,
                int (*cb)(void *ctx, const struct zt_stored_user *u), void *ctx, int *seen)
{
	int rc = 0, r;
	*seen = 0;
	while ((r = zt_db_row(q, p, what)) == 1) {
		struct zt_stored_user u;
		read_user(p, &u);
		(*seen)++;
		if ((rc = cb(ctx, &u)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

static int get(struct zt_store *s, const char *name,
               int (*cb)(void *ctx, const struct zt_stored_user *u), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int seen, rc = zt_db_prepare(q, SQL_GET, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, name);
	rc = walk(q, p, "read user", cb, ctx, &seen);
	return rc ? rc : seen ? 0 : ZT_ENOTFOUND;
}

static int each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_user *u),
                void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int seen, rc = zt_db_prepare(q, SQL_EACH, &p);
	return rc ? rc : walk(q, p, "read users", cb, ctx, &seen);
}

static int count(struct zt_store *s, int64_t *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	*out = 0;
	int r = zt_db_prepare(q, SQL_COUNT, &p);
	if (r)
		return r;
	if ((r = zt_db_row(q, p, "count users")) <= 0)
		return r;
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

static int set_enabled(struct zt_store *s, const char *name, bool enabled)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ENABLE, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, name);
	zt_db_bind_int(p, 2, enabled ? 1 : 0);
	if ((rc = zt_db_run(q, p, "store user")) == 0 && zt_db_changes(q) != 1)
		rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
	return rc;
}

static int set_keys(struct zt_store *s, const char *name, const struct zt_token_keys *k)
{
	struct zt_db *q = zt_db_of(s);
	char cur[ZT_TOKEN_HASH_HEX_CHARS + 1], prev[ZT_TOKEN_HASH_HEX_CHARS + 1];
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_KEYS, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, name);
	if (k) {
		zt_token_hash_hex(cur, &k->current);
		zt_db_bind_text(p, 2, cur);
		zt_db_bind_text(p, 3, zt_db_now(q));
		if (k->has_previous) {
			zt_token_hash_hex(prev, &k->previous);
			zt_db_bind_text(p, 4, prev);
			zt_db_bind_int64(p, 5, k->previous_until_s);
		}
	}
	if ((rc = zt_db_run(q, p, "store user's token")) == 0 && zt_db_changes(q) != 1)
		rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
	return rc;
}

static int by_token(struct zt_store *s, const struct zt_token_hash *h,
                    int (*cb)(void *ctx, const struct zt_stored_user *u), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	char hex[ZT_TOKEN_HASH_HEX_CHARS + 1];
	zt_token_hash_hex(hex, h);
	struct zt_db_stmt *p;
	int seen, rc = zt_db_prepare(q, SQL_BY_TOKEN, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, hex);
	rc = walk(q, p, "find token", cb, ctx, &seen);
	return rc ? rc : seen ? 0 : ZT_ENOTFOUND;
}

static int set_password(struct zt_store *s, const char *name, const char *encoded)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_PASSWORD, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, name);
	if (encoded) {
		zt_db_bind_text(p, 2, encoded);
		zt_db_bind_text(p, 3, zt_db_now(q));
	}
	if ((rc = zt_db_run(q, p, "store user's password")) == 0 && zt_db_changes(q) != 1)
		rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
	return rc;
}

static int set_login(struct zt_store *s, const char *name, int64_t failed, int64_t until)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_LOGIN, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, name);
	zt_db_bind_int64(p, 2, failed);
	zt_db_bind_int64(p, 3, until);
	if ((rc = zt_db_run(q, p, "store user's logins")) == 0 && zt_db_changes(q) != 1)
		rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
	return rc;
}

const struct zt_store_user_ops zt_db_user_ops = {
	.put = put,
	.get = get,
	.each = each,
	.count = count,
	.set_enabled = set_enabled,
	.set_keys = set_keys,
	.by_token = by_token,
	.set_password = set_password,
	.set_login = set_login,
};
