/* zhitong — a fixed table of tokens (see auth_static.h). */
#include "auth_static.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"

/* Adds each code of a space-separated list. */
static int add_codes(struct zt_scope *s, const char *list,
                     int (*add)(struct zt_scope *s, const char *code))
{
	char code[ZT_CODE_CHARS_MAX + 1];
	for (const char *p = list; p && *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (n >= sizeof code)
			return zt_error_set(ZT_EINVAL, "a scope code is too long");
		memcpy(code, p, n);
		code[n] = '\0';
		int rc = add(s, code);
		if (rc)
			return rc;
		p += n;
	}
	return 0;
}

int zt_static_authenticate(void *ctx, const char *token, struct zt_principal *out)
{
	const struct zt_static_auth *a = ctx;
	size_t tl = strlen(token);
	const struct zt_static_user *found = NULL;
	/* every entry compared, in constant time for equal lengths */
	for (size_t i = 0; i < a->n; i++) {
		const char *t = a->users[i].token;
		if (strlen(t) == tl && CRYPTO_memcmp(t, token, tl) == 0)
			found = &a->users[i];
	}
	if (!found)
		return ZT_ENOTFOUND;
	snprintf(out->user, sizeof out->user, "%s", found->user);
	out->roles = found->roles;
	snprintf(out->token_id, sizeof out->token_id, "static");
	int rc = add_codes(&out->scope, found->hospitals, zt_scope_add_hospital);
	if (rc == 0)
		rc = add_codes(&out->scope, found->funds, zt_scope_add_fund);
	if (rc == 0)
		rc = add_codes(&out->scope, found->pools, zt_scope_add_pool);
	return rc;
}
