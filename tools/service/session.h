/* zhitong — the web console's sessions (docs/spec/service.md "Users, roles
 * and tokens": a cookie only as the console's session, HttpOnly and
 * SameSite=Strict, with a CSRF token on every change; issue 12).
 *
 * A session is made by a password login (users.h zt_users_login) and kept
 * in the serving process only: by the SHA-256 of its id, never the id, so
 * that a memory dump does not hand out live cookies. It ends at logout,
 * after ZT_SESSION_IDLE_S without a request, ZT_SESSION_MAX_S after the
 * login, or when the process stops (a restart logs everyone out). Each
 * session has its own CSRF token, which the console sends back in
 * X-CSRF-Token on every request that is not GET or HEAD. Thread-safe. */
#ifndef ZT_SERVICE_SESSION_H
#define ZT_SERVICE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "zhitong/limits.h"

#define ZT_SESSION_COOKIE "zt_session"
#define ZT_SESSION_ID_CHARS 64   /* 32 random bytes in hex */
#define ZT_SESSION_CSRF_CHARS 64
#define ZT_SESSION_IDLE_S (30 * 60)
#define ZT_SESSION_MAX_S (12 * 3600)
#define ZT_SESSIONS_MAX 10000

struct zt_sessions;

int zt_sessions_new(struct zt_sessions **out);
void zt_sessions_free(struct zt_sessions *t);
/* A new session of `user`: its id (for the cookie) and CSRF token. The
 * oldest session goes when ZT_SESSIONS_MAX are open. */
int zt_sessions_create(struct zt_sessions *t, const char *user, int64_t now_s,
                       char id[ZT_SESSION_ID_CHARS + 1], char csrf[ZT_SESSION_CSRF_CHARS + 1]);
/* The session of `id`, if live at now_s (and touched): 0 with its user and
 * CSRF token; ZT_ENOTFOUND otherwise. */
int zt_sessions_lookup(struct zt_sessions *t, const char *id, int64_t now_s,
                       char user[ZT_ACTOR_BYTES], char csrf[ZT_SESSION_CSRF_CHARS + 1]);
/* Ends the session of `id` (nothing if there is none). */
void zt_sessions_end(struct zt_sessions *t, const char *id);
/* Whether `given` is the CSRF token `want`, in constant time. */
bool zt_sessions_csrf_ok(const char *want, const char *given);

#endif
