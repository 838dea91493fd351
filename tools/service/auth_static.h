/* zhitong — a fixed table of tokens as the service's authenticator: the
 * tests' users and `zhitong demo`'s one desk, until the store's users
 * (zt_users_authenticate) answer for `zhitong serve`. Tokens are compared
 * in constant time; nothing here is for production. */
#ifndef ZT_SERVICE_AUTH_STATIC_H
#define ZT_SERVICE_AUTH_STATIC_H

#include "service.h"

struct zt_static_user {
	const char *token;      /* "zt_…" */
	const char *user;
	unsigned roles;         /* ZT_USER_* */
	const char *hospitals;  /* "H1 H2" or NULL */
	const char *funds;      /* "F1" or NULL */
	const char *pools;      /* "A B" or NULL: every pool */
};

struct zt_static_auth {
	const struct zt_static_user *users;
	size_t n;
};

/* The zt_authenticate_fn over a struct zt_static_auth (ctx). */
int zt_static_authenticate(void *ctx, const char *token, struct zt_principal *out);

#endif
