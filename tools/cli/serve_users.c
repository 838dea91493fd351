/* zhitong serve — the service's authenticator over the users of the store
 * (users.h zt_users_authenticate, wrapped as service.h's zt_authenticate_fn).
 * One read-only store handle, shared by the request threads under a mutex:
 * a lookup is one indexed statement. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "cli.h"
#include "serve_users.h"
#include "session.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/users.h"

struct cli_users_auth {
	pthread_mutex_t lock;
	struct zt_store *s;
	struct zt_sessions *sessions;
};

int cli_users_auth_open(struct cli_users_auth **out, const struct cli *c)
{
	*out = NULL;
	struct zt_store_options o;
	cli_store_options(&o, CLI_STORE_READONLY);
	zt_api_store_options(&o, "认证连接"); /* its loss and reconnection on stderr */
	struct zt_store *s = NULL;
	int rc = zt_store_open(&s, c->db_path, &o);
	if (rc == 0 && (rc = s->ops->check_version(s)) != 0) {
		zt_store_close(s);
		s = NULL;
	}
	if (rc)
		return rc;
	struct cli_users_auth *a = calloc(1, sizeof *a);
	if (!a) {
		zt_store_close(s);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&a->lock, NULL);
	a->s = s;
	*out = a;
	return 0;
}

void cli_users_auth_free(struct cli_users_auth *a)
{
	if (!a)
		return;
	zt_store_close(a->s);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int cli_users_authenticate(void *ctx, const char *token, struct zt_principal *out)
{
	struct cli_users_auth *a = ctx;
	struct zt_users_principal p;
	pthread_mutex_lock(&a->lock);
	int rc = zt_users_authenticate(a->s, token, 0, &p);
	/* the connection lost (a restart, a failover): the read once more,
	 * on the connection the store makes again (pg/open.c pg_ready) */
	if (rc == ZT_EUNAVAILABLE)
		rc = zt_users_authenticate(a->s, token, 0, &p);
	pthread_mutex_unlock(&a->lock);
	if (rc)
		return rc;
	snprintf(out->user, sizeof out->user, "%s", p.user);
	out->roles = p.roles; /* ZT_USER_* (access.h) */
	snprintf(out->token_id, sizeof out->token_id, "%s", p.token_id);
	out->scope = p.scope; /* the core frees it after the request */
	return 0;
}

void cli_users_auth_sessions(struct cli_users_auth *a, struct zt_sessions *sessions)
{
	a->sessions = sessions;
}

int cli_users_session(void *ctx, const char *sid, struct zt_principal *out,
                      char csrf[ZT_SERVICE_CSRF_BYTES])
{
	struct cli_users_auth *a = ctx;
	char user[ZT_ACTOR_BYTES];
	_Static_assert(ZT_SERVICE_CSRF_BYTES == ZT_SESSION_CSRF_CHARS + 1, "the CSRF token's size");
	if (!a->sessions)
		return ZT_ENOTFOUND;
	int rc = zt_sessions_lookup(a->sessions, sid, zt_date_now(), user, csrf);
	if (rc)
		return rc;
	/* the user as it is now: disabled, or its role changed, since the login */
	struct zt_users_principal p;
	pthread_mutex_lock(&a->lock);
	rc = zt_users_principal_of(a->s, user, &p);
	if (rc == ZT_EUNAVAILABLE) /* as above */
		rc = zt_users_principal_of(a->s, user, &p);
	pthread_mutex_unlock(&a->lock);
	if (rc) {
		if (rc == ZT_ENOTFOUND)
			zt_sessions_end(a->sessions, sid);
		return rc;
	}
	snprintf(out->user, sizeof out->user, "%s", p.user);
	out->roles = p.roles;
	snprintf(out->token_id, sizeof out->token_id, "%s", p.token_id);
	out->scope = p.scope;
	return 0;
}
