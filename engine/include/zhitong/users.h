/* zhitong — the service's users and their tokens: the use cases
 * (docs/spec/service.md "Users, roles and tokens"; issue 11).
 *
 *   add          zt_users_add: a new user with one role and its scope, and
 *                its first token (shown once: only its hash is stored)
 *   list         zt_users_list: every user, never a token
 *   disable      zt_users_disable (and enable): its tokens stop working
 *   token issue  zt_users_token_issue: a token for a user who has none
 *   token roll   zt_users_token_roll: a new token; the old one lives on
 *                for the grace period (token.h "Rolling")
 *   token revoke zt_users_token_revoke: every token of the user dies now
 *   authenticate zt_users_authenticate: which user a bearer token is, for
 *                the service (tools/service/service.h zt_authenticate_fn)
 *   actor check  zt_users_actor_check: whether the command line's --by may
 *                act (once a user exists, only an enabled user may)
 *
 * Who may change users: an administrator (access.h ZT_OP_USER_ADMIN) who
 * is an enabled user. The very first user is the exception — there is
 * nobody to ask yet —, and it must be an administrator, so that someone
 * can add the others. Every change is an audit record (action "user add",
 * "user disable", "user enable", "user token issue", "user token roll",
 * "user token revoke"; the token's id, never its text). Each use case
 * opens and ends its own transaction. */
#ifndef ZHITONG_USERS_H
#define ZHITONG_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "store.h"
#include "token.h"

struct zt_users_add_req {
	const char *name;            /* normalised (actor.h) before it is stored */
	const char *role;            /* "desk", "fund-admin", "finance", "auditor", "admin" */
	const char *const *hospitals; /* a desk's: at least one (zt_scope_check) */
	size_t hospital_count;
	const char *const *funds;    /* a fund administrator's: at least one */
	size_t fund_count;
	const char *const *pools;    /* any role: the pools it reaches (none: every pool) */
	size_t pool_count;
	const char *actor;           /* who adds it (normalised) */
};

/* What a change of tokens hands back: the user's name as stored and the
 * new token — its text to show ONCE, then zt_token_clear(&res->token). */
struct zt_users_token_res {
	char name[ZT_ACTOR_BYTES];
	struct zt_token token;
	bool had_previous;            /* roll: the replaced token lives until ... */
	int64_t previous_until_s;     /* ... this Unix second */
	char previous_id[ZT_TOKEN_ID_CHARS + 1];
};

/* Adds a user with its first token. ZT_EINVAL for a name that cannot be
 * one (actor.h), an unknown role, a scope the role does not take
 * (zt_scope_check: "a desk needs --hospital"), an actor who is not an
 * enabled administrator (or a first user who is not an administrator);
 * ZT_ECONFLICT for a name taken; ZT_EINVAL naming a hospital or fund that
 * is not in the registry. */
int zt_users_add(struct zt_store *s, const struct zt_users_add_req *req,
                 struct zt_users_token_res *res);

/* A user for people (never a token: its id only). Strings valid during the
 * callback. */
struct zt_user_line {
	const char *name, *role, *hospitals, *funds, *pools; /* codes joined by ',' */
	bool enabled;
	const char *created_by, *created_at;
	bool has_token;
	char token_id[ZT_TOKEN_ID_CHARS + 1];
	const char *token_at;
	bool has_previous;            /* a rolled token still in its grace at `now_s` */
	char previous_id[ZT_TOKEN_ID_CHARS + 1];
	int64_t previous_until_s;
};

/* Every user in name order, one read snapshot; `now_s` decides whether a
 * previous token is still in its grace (0: now). */
int zt_users_list(struct zt_store *s, int64_t now_s,
                  int (*cb)(void *ctx, const struct zt_user_line *u), void *ctx);

struct zt_users_change_req {
	const char *name;
	const char *actor;
	int64_t grace_s;  /* roll: how long the replaced token lives on */
	int64_t now_s;    /* roll: the clock (0: now) */
};

/* ZT_ENOTFOUND naming the user; ZT_EINVAL for an actor who may not, and
 * (disable) for an actor disabling themself. Disabling a disabled user,
 * enabling an enabled one, is a no-op (no audit record). */
int zt_users_disable(struct zt_store *s, const struct zt_users_change_req *req);
int zt_users_enable(struct zt_store *s, const struct zt_users_change_req *req);
/* A first token for a user who has none (new, or revoked): ZT_ECONFLICT
 * if it has one ("roll it"). */
int zt_users_token_issue(struct zt_store *s, const struct zt_users_change_req *req,
                         struct zt_users_token_res *res);
/* A new token; the current one stays valid for req->grace_s more seconds
 * (0: it dies now), an older previous one dies now (token.h). */
int zt_users_token_roll(struct zt_store *s, const struct zt_users_change_req *req,
                        struct zt_users_token_res *res);
/* Every token of the user dies now. */
int zt_users_token_revoke(struct zt_store *s, const struct zt_users_change_req *req);

/* Who a bearer token is. */
struct zt_users_principal {
	char user[ZT_ACTOR_BYTES];
	unsigned roles;               /* ZT_USER_* (== the service's ZT_ROLE_*) */
	struct zt_scope scope;        /* zt_scope_free when done */
	char token_id[ZT_TOKEN_ID_CHARS + 1];
	bool previous;                /* a rolled token, within its grace */
};

/* 0 with *out filled (the caller frees out->scope), or ZT_ENOTFOUND —
 * the service's 401 — for a token that is malformed, unknown, past its
 * grace, or of a disabled user (the message says which, never holding the
 * token). Reads without a transaction of its own: one statement. `now_s`
 * 0: now. Not thread-safe on one store handle: the caller serialises. */
int zt_users_authenticate(struct zt_store *s, const char *token, int64_t now_s,
                          struct zt_users_principal *out);

/* ---- the web console's passwords (issue 12; migration 013) ----------------
 * Passwords are hashed with argon2id (Debian's libargon2, RFC 9106's
 * second recommended option: 19 MiB, 2 passes, 1 lane, a 16-byte random
 * salt, a 32-byte tag), stored in libargon2's encoded form. After
 * ZT_LOGIN_FAILURES_MAX failed logins in a row the login is locked for
 * ZT_LOGIN_LOCK_S seconds (an audit record "user locked"); a good password
 * during the lock is refused as well. Tokens are not touched: systems keep
 * theirs. */
#define ZT_PASSWORD_CHARS_MIN 10
#define ZT_PASSWORD_BYTES_MAX 256
#define ZT_LOGIN_FAILURES_MAX 5
#define ZT_LOGIN_LOCK_S 900

/* Sets (or, password NULL, removes) the user's console password; clears a
 * lock. Who may: as for every change (an enabled administrator; the user
 * themself too). ZT_EINVAL for a password shorter than
 * ZT_PASSWORD_CHARS_MIN characters, longer than ZT_PASSWORD_BYTES_MAX
 * bytes, not UTF-8, or with a control character. Audit: "user password". */
int zt_users_password_set(struct zt_store *s, const struct zt_users_change_req *req,
                          const char *password);

/* A console login: 0 with *out (the caller frees out->scope; token_id is
 * "password"); ZT_ENOTFOUND for an unknown or disabled user, one without a
 * password, or a wrong password (one message for all: "wrong name or
 * password"); ZT_ECONFLICT while locked (*locked_until_s says until when).
 * A wrong password counts a failure (and may lock): a write transaction.
 * `now_s` 0: now. */
int zt_users_login(struct zt_store *s, const char *name, const char *password, int64_t now_s,
                   struct zt_users_principal *out, int64_t *locked_until_s);

/* Who the user `name` is now (for a console session: roles and scope as
 * they are at each request): ZT_ENOTFOUND for an unknown or disabled user.
 * One statement, no transaction of its own. */
int zt_users_principal_of(struct zt_store *s, const char *name, struct zt_users_principal *out);

/* Whether `actor` (normalised) may act on this database from the command
 * line: 0 when it holds no user at all (as before users existed), or when
 * the actor is an enabled user; ZT_EINVAL otherwise ("'bob' is not a user
 * of this database", "user 'bob' is disabled"). `source` names where the
 * name came from ("--by"). */
int zt_users_actor_check(struct zt_store *s, const char *actor, const char *source);

#endif
