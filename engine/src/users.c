/* zhitong — the service's users and their tokens: the use cases (users.h).
 * The rules are access.h's (roles, scope) and token.h's (generation,
 * hashing, rolling); the store keeps names, scopes and hashes (store.h
 * users); every change is one write transaction with its audit record. */
#include <argon2.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/actor.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/users.h"

/* ---- reading a stored user -------------------------------------------------- */

struct user_copy {
	bool found;
	char name[ZT_ACTOR_BYTES];
	unsigned roles;
	bool enabled;
	bool has_token;
	struct zt_token_keys keys;
	struct zt_scope scope;
	int rc; /* a scope that does not read back */
};

/* "a,b,c" into the scope. */
static int scope_split(struct zt_scope *sc, const char *list,
                       int (*add)(struct zt_scope *sc, const char *code))
{
	char code[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) + 1];
	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		if (n >= sizeof code)
			return zt_error_set(ZT_EINTERNAL, "a stored scope holds a code too long");
		memcpy(code, list, n);
		code[n] = '\0';
		int rc = add(sc, code);
		if (rc)
			return rc;
		list = end ? end + 1 : NULL;
	}
	return 0;
}

static int copy_user(void *ctx, const struct zt_stored_user *u)
{
	struct user_copy *c = ctx;
	c->found = true;
	snprintf(c->name, sizeof c->name, "%s", u->name);
	c->roles = u->roles;
	c->enabled = u->enabled;
	c->has_token = u->has_token;
	c->keys = u->keys;
	if (!u->has_token)
		memset(&c->keys, 0, sizeof c->keys);
	c->rc = scope_split(&c->scope, u->hospitals, zt_scope_add_hospital);
	if (c->rc == 0)
		c->rc = scope_split(&c->scope, u->funds, zt_scope_add_fund);
	if (c->rc == 0)
		c->rc = scope_split(&c->scope, u->pools, zt_scope_add_pool);
	return 0;
}

static int get_user(struct zt_store *s, const char *name, struct user_copy *c)
{
	memset(c, 0, sizeof *c);
	zt_scope_init(&c->scope);
	int rc = s->ops->users.get(s, name, copy_user, c);
	if (rc == 0)
		rc = c->rc;
	return rc;
}

/* The scope as the store keeps it: codes joined by ','. */
static int scope_join(char **out, char *const *codes, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(codes[i]) + 1;
	char *s = malloc(len), *p = s;
	if (!s)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", codes[i]);
	*out = s;
	return 0;
}

/* ---- who may change users ---------------------------------------------------- */

/* The actor must be an enabled user who may do ZT_OP_USER_ADMIN; with no
 * user at all, anyone may add the first (*first set). In the caller's
 * transaction. */
static int may_admin(struct zt_store *s, const char *actor, bool *first)
{
	int64_t n;
	int rc = s->ops->users.count(s, &n);
	if (rc)
		return rc;
	*first = n == 0;
	if (*first)
		return 0;
	struct user_copy c;
	rc = get_user(s, actor, &c);
	zt_scope_free(&c.scope);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(ZT_EINVAL, "'%s' is not a user of this database: only an "
		                    "administrator may change users", actor);
	if (rc)
		return rc;
	if (!c.enabled)
		return zt_error_set(ZT_EINVAL, "user '%s' is disabled", actor);
	if (!zt_access_allows(c.roles, ZT_OP_USER_ADMIN))
		return zt_error_set(ZT_EINVAL, "user '%s' is %s: only an administrator may change users",
		                    actor, zt_user_role_name(c.roles) ? zt_user_role_name(c.roles) : "?");
	return 0;
}

static int normalize(char out[ZT_ACTOR_BYTES], const char *what, const char *name)
{
	if (!name || !name[0])
		return zt_error_set(ZT_EINVAL, "%s is missing", what);
	int rc = zt_actor_normalize(out, name);
	if (rc) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		zt_error_set(rc, "%s: %s", what, why);
	}
	return rc;
}

static int64_t now_or(int64_t now_s) { return now_s > 0 ? now_s : zt_date_now(); }

static int audit(struct zt_store *s, const char *actor, const char *action, const char *name,
                 const char *detail)
{
	struct zt_audit_write w = {.actor = actor, .action = action, .subject = name,
	                           .detail = detail};
	return s->ops->audit.write(s, &w, NULL);
}

/* ---- add ------------------------------------------------------------------------- */

static int add_check(const struct zt_users_add_req *r, char name[ZT_ACTOR_BYTES],
                     char actor[ZT_ACTOR_BYTES], unsigned *role, struct zt_scope *sc)
{
	int rc;
	if ((rc = normalize(name, "the user's name", r->name)) != 0 ||
	    (rc = normalize(actor, "who adds the user (--by)", r->actor)) != 0)
		return rc;
	if (!r->role)
		return zt_error_set(ZT_EINVAL, "a user needs a role (--role desk, fund-admin, finance, "
		                    "auditor or admin)");
	if ((rc = zt_user_role_parse(role, r->role)) != 0)
		return rc;
	for (size_t i = 0; i < r->hospital_count; i++)
		if ((rc = zt_scope_add_hospital(sc, r->hospitals[i])) != 0)
			return rc;
	for (size_t i = 0; i < r->fund_count; i++)
		if ((rc = zt_scope_add_fund(sc, r->funds[i])) != 0)
			return rc;
	for (size_t i = 0; i < r->pool_count; i++)
		if ((rc = zt_scope_add_pool(sc, r->pools[i])) != 0)
			return rc;
	return zt_scope_check(*role, sc);
}

/* Every code of the scope is in the registry. */
static int scope_known(struct zt_store *s, const struct zt_scope *sc)
{
	for (size_t i = 0; i < sc->hospital_count; i++) {
		struct zt_hospital h;
		int rc = s->ops->registry.get_hospital(s, sc->hospitals[i], &h);
		if (rc == ZT_ENOTFOUND)
			return zt_error_set(ZT_EINVAL, "hospital '%s' is not in the registry",
			                    sc->hospitals[i]);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < sc->fund_count; i++) {
		struct zt_fund f;
		int rc = s->ops->registry.get_fund(s, sc->funds[i], &f);
		if (rc == ZT_ENOTFOUND)
			return zt_error_set(ZT_EINVAL, "fund '%s' is not in the registry", sc->funds[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int zt_users_add(struct zt_store *s, const struct zt_users_add_req *r,
                 struct zt_users_token_res *res)
{
	memset(res, 0, sizeof *res);
	char name[ZT_ACTOR_BYTES], actor[ZT_ACTOR_BYTES];
	unsigned role = 0;
	struct zt_scope sc;
	zt_scope_init(&sc);
	char *hospitals = NULL, *funds = NULL, *pools = NULL;
	bool first = false, txn = false;
	int rc = add_check(r, name, actor, &role, &sc);
	if (rc == 0)
		rc = scope_join(&hospitals, sc.hospitals, sc.hospital_count);
	if (rc == 0)
		rc = scope_join(&funds, sc.funds, sc.fund_count);
	if (rc == 0)
		rc = scope_join(&pools, sc.pools, sc.pool_count);
	if (rc == 0 && (rc = s->ops->begin(s, ZT_TXN_WRITE)) == 0)
		txn = true;
	if (rc == 0)
		rc = may_admin(s, actor, &first);
	if (rc == 0 && first && role != ZT_USER_ADMIN)
		rc = zt_error_set(ZT_EINVAL, "the first user must be an administrator (--role admin), "
		                  "who then adds the others");
	if (rc == 0)
		rc = scope_known(s, &sc);
	if (rc == 0) {
		struct zt_stored_user u = {.name = name, .roles = role, .hospitals = hospitals,
		                           .funds = funds, .pools = pools, .enabled = true,
		                           .created_by = actor};
		rc = s->ops->users.put(s, &u);
	}
	struct zt_token_keys k = {0};
	if (rc == 0)
		rc = zt_token_generate(&res->token);
	if (rc == 0)
		rc = zt_token_roll(&k, &res->token.hash, zt_date_now(), 0);
	if (rc == 0)
		rc = s->ops->users.set_keys(s, name, &k);
	if (rc == 0) {
		char detail[ZT_MESSAGE_BYTES_MAX];
		int n = snprintf(detail, sizeof detail, "role %s", zt_user_role_name(role));
		if (sc.hospital_count && n >= 0 && (size_t)n < sizeof detail)
			n += snprintf(detail + n, sizeof detail - (size_t)n, ", hospitals %.200s", hospitals);
		if (sc.fund_count && n >= 0 && (size_t)n < sizeof detail)
			n += snprintf(detail + n, sizeof detail - (size_t)n, ", funds %.200s", funds);
		if (sc.pool_count && n >= 0 && (size_t)n < sizeof detail)
			n += snprintf(detail + n, sizeof detail - (size_t)n, ", pools %.200s", pools);
		if (n >= 0 && (size_t)n < sizeof detail)
			snprintf(detail + n, sizeof detail - (size_t)n, ", token %s", res->token.id);
		rc = audit(s, actor, "user add", name, detail);
	}
	if (rc == 0)
		rc = s->ops->commit(s);
	else if (txn)
		s->ops->rollback(s);
	if (rc == 0)
		snprintf(res->name, sizeof res->name, "%s", name);
	else
		zt_token_clear(&res->token);
	free(hospitals);
	free(funds);
	free(pools);
	zt_scope_free(&sc);
	return rc;
}

/* ---- list ----------------------------------------------------------------------- */

struct list_ctx {
	int64_t now_s;
	int (*cb)(void *ctx, const struct zt_user_line *u);
	void *ctx;
};

static int list_one(void *ctx, const struct zt_stored_user *u)
{
	struct list_ctx *l = ctx;
	const char *role = zt_user_role_name(u->roles);
	struct zt_user_line line = {
		.name = u->name,
		.role = role ? role : "?",
		.hospitals = u->hospitals,
		.funds = u->funds,
		.pools = u->pools,
		.enabled = u->enabled,
		.created_by = u->created_by,
		.created_at = u->created_at,
		.has_token = u->has_token,
		.token_at = u->token_at,
	};
	if (u->has_token)
		zt_token_id(line.token_id, &u->keys.current);
	if (u->has_token && u->keys.has_previous && l->now_s < u->keys.previous_until_s) {
		line.has_previous = true;
		zt_token_id(line.previous_id, &u->keys.previous);
		line.previous_until_s = u->keys.previous_until_s;
	}
	return l->cb(l->ctx, &line);
}

int zt_users_list(struct zt_store *s, int64_t now_s,
                  int (*cb)(void *ctx, const struct zt_user_line *u), void *ctx)
{
	struct list_ctx l = {.now_s = now_or(now_s), .cb = cb, .ctx = ctx};
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = s->ops->users.each(s, list_one, &l);
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	return rc;
}

/* ---- changes ------------------------------------------------------------------- */

/* Opens the write transaction, checks the actor, reads the user. */
static int change_start(struct zt_store *s, const struct zt_users_change_req *r,
                        char name[ZT_ACTOR_BYTES], char actor[ZT_ACTOR_BYTES],
                        struct user_copy *u)
{
	memset(u, 0, sizeof *u);
	zt_scope_init(&u->scope);
	bool first;
	int rc;
	if ((rc = normalize(name, "the user's name", r->name)) != 0 ||
	    (rc = normalize(actor, "who changes the user (--by)", r->actor)) != 0)
		return rc;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		return rc;
	if ((rc = may_admin(s, actor, &first)) == 0) {
		rc = get_user(s, name, u);
		if (rc == ZT_ENOTFOUND)
			rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
	}
	if (rc)
		s->ops->rollback(s);
	return rc;
}

static int change_end(struct zt_store *s, int rc, struct user_copy *u)
{
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	zt_scope_free(&u->scope);
	return rc;
}

static int set_enabled(struct zt_store *s, const struct zt_users_change_req *r, bool enabled)
{
	char name[ZT_ACTOR_BYTES], actor[ZT_ACTOR_BYTES];
	struct user_copy u;
	int rc = change_start(s, r, name, actor, &u);
	if (rc) {
		zt_scope_free(&u.scope);
		return rc;
	}
	if (!enabled && strcmp(name, actor) == 0)
		rc = zt_error_set(ZT_EINVAL, "user '%s' cannot disable themself: another administrator "
		                  "can", name);
	else if (u.enabled != enabled) {
		rc = s->ops->users.set_enabled(s, name, enabled);
		if (rc == 0)
			rc = audit(s, actor, enabled ? "user enable" : "user disable", name, NULL);
	}
	return change_end(s, rc, &u);
}

int zt_users_disable(struct zt_store *s, const struct zt_users_change_req *r)
{
	return set_enabled(s, r, false);
}

int zt_users_enable(struct zt_store *s, const struct zt_users_change_req *r)
{
	return set_enabled(s, r, true);
}

/* issue (roll false) or roll: a new token, in the open transaction. */
static int new_token(struct zt_store *s, const struct zt_users_change_req *r, bool roll,
                     const char *name, const char *actor, struct user_copy *u,
                     struct zt_users_token_res *res)
{
	if (!roll && u->has_token) {
		char cur[ZT_TOKEN_ID_CHARS + 1];
		zt_token_id(cur, &u->keys.current);
		return zt_error_set(ZT_ECONFLICT, "user '%s' has a token (%s): roll it ('user token "
		                    "roll %s') or revoke it first", name, cur, name);
	}
	int64_t now_s = now_or(r->now_s);
	struct zt_token_keys k = u->has_token ? u->keys : (struct zt_token_keys){0};
	bool had = u->has_token;
	int rc = zt_token_generate(&res->token);
	if (rc == 0)
		rc = zt_token_roll(&k, &res->token.hash, now_s, had ? r->grace_s : 0);
	if (rc == 0)
		rc = s->ops->users.set_keys(s, name, &k);
	char detail[ZT_MESSAGE_BYTES_MAX];
	if (rc == 0 && k.has_previous) {
		res->had_previous = true;
		res->previous_until_s = k.previous_until_s;
		zt_token_id(res->previous_id, &k.previous);
		char grace[24];
		zt_duration_format(grace, r->grace_s);
		snprintf(detail, sizeof detail, "token %s; token %s valid for %s more", res->token.id,
		         res->previous_id, grace);
	} else if (rc == 0 && had) {
		char old[ZT_TOKEN_ID_CHARS + 1];
		zt_token_id(old, &u->keys.current);
		snprintf(detail, sizeof detail, "token %s; token %s ended", res->token.id, old);
	} else if (rc == 0)
		snprintf(detail, sizeof detail, "token %s", res->token.id);
	if (rc == 0)
		rc = audit(s, actor, roll ? "user token roll" : "user token issue", name, detail);
	if (rc == 0)
		snprintf(res->name, sizeof res->name, "%s", name);
	return rc;
}

static int token_change(struct zt_store *s, const struct zt_users_change_req *r, bool roll,
                        struct zt_users_token_res *res)
{
	memset(res, 0, sizeof *res);
	if (roll && (r->grace_s < 0 || r->grace_s > ZT_TOKEN_GRACE_S_MAX))
		return zt_error_set(ZT_EINVAL, "the grace must be between 0s and 30d");
	char name[ZT_ACTOR_BYTES], actor[ZT_ACTOR_BYTES];
	struct user_copy u;
	int rc = change_start(s, r, name, actor, &u);
	if (rc) {
		zt_scope_free(&u.scope);
		return rc;
	}
	rc = new_token(s, r, roll, name, actor, &u, res);
	rc = change_end(s, rc, &u);
	if (rc)
		zt_token_clear(&res->token);
	return rc;
}

int zt_users_token_issue(struct zt_store *s, const struct zt_users_change_req *r,
                         struct zt_users_token_res *res)
{
	return token_change(s, r, false, res);
}

int zt_users_token_roll(struct zt_store *s, const struct zt_users_change_req *r,
                        struct zt_users_token_res *res)
{
	return token_change(s, r, true, res);
}

int zt_users_token_revoke(struct zt_store *s, const struct zt_users_change_req *r)
{
	char name[ZT_ACTOR_BYTES], actor[ZT_ACTOR_BYTES];
	struct user_copy u;
	int rc = change_start(s, r, name, actor, &u);
	if (rc) {
		zt_scope_free(&u.scope);
		return rc;
	}
	if (!u.has_token)
		rc = zt_error_set(ZT_ECONFLICT, "user '%s' has no token", name);
	if (rc == 0)
		rc = s->ops->users.set_keys(s, name, NULL);
	if (rc == 0) {
		char detail[ZT_MESSAGE_BYTES_MAX], cur[ZT_TOKEN_ID_CHARS + 1];
		zt_token_id(cur, &u.keys.current);
		int n = snprintf(detail, sizeof detail, "token %s ended", cur);
		if (u.keys.has_previous && n > 0) {
			char prev[ZT_TOKEN_ID_CHARS + 1];
			zt_token_id(prev, &u.keys.previous);
			snprintf(detail + n, sizeof detail - (size_t)n, ", token %s ended", prev);
		}
		rc = audit(s, actor, "user token revoke", name, detail);
	}
	return change_end(s, rc, &u);
}

/* ---- authenticate ------------------------------------------------------------- */

int zt_users_authenticate(struct zt_store *s, const char *token, int64_t now_s,
                          struct zt_users_principal *out)
{
	memset(out, 0, sizeof *out);
	zt_scope_init(&out->scope);
	struct zt_token_hash h;
	if (zt_token_hash(&h, token) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(ZT_ENOTFOUND, "%s", why);
	}
	struct user_copy u;
	memset(&u, 0, sizeof u);
	zt_scope_init(&u.scope);
	int rc = s->ops->users.by_token(s, &h, copy_user, &u);
	if (rc == 0)
		rc = u.rc;
	if (rc == ZT_ENOTFOUND)
		rc = zt_error_set(ZT_ENOTFOUND, "unknown token");
	enum zt_token_match m = ZT_TOKEN_REFUSED;
	if (rc == 0 && u.has_token)
		m = zt_token_match(&u.keys, &h, now_or(now_s));
	if (rc == 0 && m == ZT_TOKEN_REFUSED)
		rc = zt_error_set(ZT_ENOTFOUND, "the token is past its grace");
	else if (rc == 0 && !u.enabled)
		rc = zt_error_set(ZT_ENOTFOUND, "user '%s' is disabled", u.name);
	if (rc) {
		zt_scope_free(&u.scope);
		return rc;
	}
	snprintf(out->user, sizeof out->user, "%s", u.name);
	out->roles = u.roles;
	out->scope = u.scope; /* handed over */
	zt_token_id(out->token_id, &h);
	out->previous = m == ZT_TOKEN_PREVIOUS;
	return 0;
}

/* ---- the command line's actor --------------------------------------------------- */

int zt_users_actor_check(struct zt_store *s, const char *actor, const char *source)
{
	int64_t n;
	int rc = s->ops->users.count(s, &n);
	if (rc || n == 0)
		return rc;
	struct user_copy u;
	rc = get_user(s, actor, &u);
	zt_scope_free(&u.scope);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(ZT_EINVAL, "%s: '%s' is not a user of this database (see 'zhitong "
		                    "user list')", source, actor);
	if (rc == 0 && !u.enabled)
		return zt_error_set(ZT_EINVAL, "%s: user '%s' is disabled", source, actor);
	return rc;
}

/* ---- the console's passwords -------------------------------------------------- */

/* RFC 9106 §4, the second recommended option: little memory, for a server
 * that many log in to at once on two cores. */
#define ARGON2_T 2
#define ARGON2_M_KIB 19456
#define ARGON2_P 1
#define ARGON2_SALT_BYTES 16
#define ARGON2_TAG_BYTES 32
#define ARGON2_ENCODED_BYTES 128

static int password_check(const char *pw)
{
	if (!pw)
		return zt_error_set(ZT_EINVAL, "no password given");
	size_t bytes = strlen(pw);
	if (bytes > ZT_PASSWORD_BYTES_MAX)
		return zt_error_set(ZT_EINVAL, "the password is longer than %d bytes",
		                    ZT_PASSWORD_BYTES_MAX);
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p;) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
		                                             : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0)
			return zt_error_set(ZT_EINVAL, "the password is not UTF-8");
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return zt_error_set(ZT_EINVAL, "the password is not UTF-8");
		if (c < 0x20 || c == 0x7f)
			return zt_error_set(ZT_EINVAL, "the password holds a control character");
		p += n;
		chars++;
	}
	if (chars < ZT_PASSWORD_CHARS_MIN)
		return zt_error_set(ZT_EINVAL, "a password has at least %d characters",
		                    ZT_PASSWORD_CHARS_MIN);
	return 0;
}

static int password_hash(char out[ARGON2_ENCODED_BYTES], const char *pw)
{
	unsigned char salt[ARGON2_SALT_BYTES];
	if (RAND_bytes(salt, sizeof salt) != 1)
		return zt_error_set(ZT_EINTERNAL, "no random bytes for a salt");
	int r = argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, pw, strlen(pw), salt,
	                              sizeof salt, ARGON2_TAG_BYTES, out, ARGON2_ENCODED_BYTES);
	if (r != ARGON2_OK)
		return zt_error_set(r == ARGON2_MEMORY_ALLOCATION_ERROR ? ZT_ENOMEM : ZT_EINTERNAL,
		                    "argon2id: %s", argon2_error_message(r));
	return 0;
}

int zt_users_password_set(struct zt_store *s, const struct zt_users_change_req *r,
                          const char *password)
{
	char encoded[ARGON2_ENCODED_BYTES];
	int rc = password ? password_check(password) : 0;
	if (rc == 0 && password)
		rc = password_hash(encoded, password); /* before the write lock: it takes time */
	if (rc)
		return rc;
	char name[ZT_ACTOR_BYTES], actor[ZT_ACTOR_BYTES];
	struct user_copy u;
	bool self = false;
	if ((rc = normalize(name, "the user's name", r->name)) == 0 &&
	    (rc = normalize(actor, "who sets the password (--by)", r->actor)) == 0)
		self = strcmp(name, actor) == 0;
	if (rc)
		return rc;
	if (self) {
		/* a user may set their own: no administrator needed */
		memset(&u, 0, sizeof u);
		zt_scope_init(&u.scope);
		if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
			return rc;
		rc = get_user(s, name, &u);
		if (rc == ZT_ENOTFOUND)
			rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
		else if (rc == 0 && !u.enabled)
			rc = zt_error_set(ZT_EINVAL, "user '%s' is disabled", name);
	} else if ((rc = change_start(s, r, name, actor, &u)) != 0) {
		zt_scope_free(&u.scope);
		return rc;
	}
	if (rc == 0)
		rc = s->ops->users.set_password(s, name, password ? encoded : NULL);
	if (rc == 0)
		rc = audit(s, actor, "user password", name,
		           password ? "password set (argon2id)" : "password removed");
	explicit_bzero(encoded, sizeof encoded);
	return change_end(s, rc, &u);
}

struct login_copy {
	struct user_copy u;
	char encoded[ARGON2_ENCODED_BYTES];
	bool has_password;
	int64_t failed, locked_until;
};

static int copy_login(void *ctx, const struct zt_stored_user *su)
{
	struct login_copy *l = ctx;
	l->has_password = su->password_hash &&
	                  strlen(su->password_hash) < sizeof l->encoded;
	if (l->has_password)
		snprintf(l->encoded, sizeof l->encoded, "%s", su->password_hash);
	l->failed = su->failed_logins;
	l->locked_until = su->locked_until_s;
	return copy_user(&l->u, su);
}

/* A hash to verify against when there is none, so that an unknown name
 * takes as long as a wrong password. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_encoded[ARGON2_ENCODED_BYTES];
static void dummy_make(void)
{
	if (password_hash(dummy_encoded, "zhitong-no-such-user") != 0)
		dummy_encoded[0] = '\0';
}

int zt_users_login(struct zt_store *s, const char *name_in, const char *password, int64_t now_s,
                   struct zt_users_principal *out, int64_t *locked_until_s)
{
	memset(out, 0, sizeof *out);
	zt_scope_init(&out->scope);
	*locked_until_s = 0;
	char name[ZT_ACTOR_BYTES];
	bool named = name_in && zt_actor_normalize(name, name_in) == 0;
	bool pw_ok_form = password && strlen(password) <= ZT_PASSWORD_BYTES_MAX;
	int64_t now = now_or(now_s);
	struct login_copy l;
	memset(&l, 0, sizeof l);
	zt_scope_init(&l.u.scope);
	int rc = 0;
	if (named && (rc = s->ops->users.get(s, name, copy_login, &l)) == 0)
		rc = l.u.rc;
	if (rc && rc != ZT_ENOTFOUND) {
		zt_scope_free(&l.u.scope);
		return rc;
	}
	bool known = named && rc == 0 && l.u.found;
	if (known && l.locked_until > now) {
		zt_scope_free(&l.u.scope);
		*locked_until_s = l.locked_until;
		return zt_error_set(ZT_ECONFLICT, "the login of '%s' is locked after %d failures",
		                    name, ZT_LOGIN_FAILURES_MAX);
	}
	bool good = false;
	if (known && l.has_password && pw_ok_form)
		good = argon2id_verify(l.encoded, password, strlen(password)) == ARGON2_OK;
	else {
		pthread_once(&dummy_once, dummy_make);
		if (dummy_encoded[0] && pw_ok_form)
			(void)argon2id_verify(dummy_encoded, password, strlen(password));
	}
	explicit_bzero(l.encoded, sizeof l.encoded);
	rc = 0;
	if (known && l.has_password && (!good || l.failed > 0)) {
		/* count the failure (or clear the count) in a transaction of
		 * its own: read again, so that two failing at once count two */
		if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) == 0) {
			struct login_copy now_l;
			memset(&now_l, 0, sizeof now_l);
			zt_scope_init(&now_l.u.scope);
			rc = s->ops->users.get(s, name, copy_login, &now_l);
			zt_scope_free(&now_l.u.scope);
			explicit_bzero(now_l.encoded, sizeof now_l.encoded);
			int64_t failed = good ? 0 : now_l.failed + 1, until = 0;
			if (failed >= ZT_LOGIN_FAILURES_MAX) {
				until = now + ZT_LOGIN_LOCK_S;
				failed = 0;
			}
			if (rc == 0)
				rc = s->ops->users.set_login(s, name, failed, until);
			if (rc == 0 && until) {
				char detail[96];
				snprintf(detail, sizeof detail, "%d failed logins: locked for %ds",
				         ZT_LOGIN_FAILURES_MAX, ZT_LOGIN_LOCK_S);
				rc = audit(s, name, "user locked", name, detail);
			}
			if (rc == 0)
				rc = s->ops->commit(s);
			else
				s->ops->rollback(s);
			if (rc == 0 && until)
				*locked_until_s = until;
		}
	}
	if (rc == 0 && (!good || !l.u.enabled))
		rc = zt_error_set(ZT_ENOTFOUND, "wrong name or password");
	if (rc) {
		zt_scope_free(&l.u.scope);
		return rc;
	}
	snprintf(out->user, sizeof out->user, "%s", l.u.name);
	out->roles = l.u.roles;
	out->scope = l.u.scope; /* handed over */
	snprintf(out->token_id, sizeof out->token_id, "password");
	return 0;
}

int zt_users_principal_of(struct zt_store *s, const char *name, struct zt_users_principal *out)
{
	memset(out, 0, sizeof *out);
	zt_scope_init(&out->scope);
	struct user_copy u;
	int rc = get_user(s, name, &u);
	if (rc == 0 && !u.enabled)
		rc = zt_error_set(ZT_ENOTFOUND, "user '%s' is disabled", name);
	else if (rc == ZT_ENOTFOUND)
		rc = zt_error_set(ZT_ENOTFOUND, "no user '%s'", name);
	if (rc) {
		zt_scope_free(&u.scope);
		return rc;
	}
	snprintf(out->user, sizeof out->user, "%s", u.name);
	out->roles = u.roles;
	out->scope = u.scope;
	snprintf(out->token_id, sizeof out->token_id, "session");
	return 0;
}
