/* zhitong serve — the authenticator over the store's users (serve_users.c). */
#ifndef ZT_CLI_SERVE_USERS_H
#define ZT_CLI_SERVE_USERS_H

#include "service.h"

struct cli;
struct cli_users_auth;

/* Opens the database read-only for the authenticator: 0, or the store's
 * error (no database yet: every request that needs a token is then 401). */
int cli_users_auth_open(struct cli_users_auth **out, const struct cli *c);
void cli_users_auth_free(struct cli_users_auth *a);
/* zt_authenticate_fn: ZT_ENOTFOUND (401) for a token that is malformed,
 * unknown, past its grace or of a disabled user; thread-safe. */
int cli_users_authenticate(void *ctx, const char *token, struct zt_principal *out);

/* The console's sessions (session.h) that cli_users_session looks in. */
struct zt_sessions;
void cli_users_auth_sessions(struct cli_users_auth *a, struct zt_sessions *sessions);
/* zt_session_fn: the session's user as it is now (ZT_ENOTFOUND, and the
 * session ended, when the user is gone or disabled); thread-safe. */
int cli_users_session(void *ctx, const char *sid, struct zt_principal *out,
                      char csrf[ZT_SERVICE_CSRF_BYTES]);

#endif
