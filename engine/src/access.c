/* zhitong — who may do what (see access.h, docs/spec/service.md "Users,
 * roles and tokens"). */
#include "zhitong/access.h"

#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/text.h"

static const struct {
	unsigned role;
	const char *name;
} roles[ZT_USER_ROLE_COUNT] = {
	{ZT_USER_DESK, "desk"},       {ZT_USER_FUND_ADMIN, "fund-admin"}, {ZT_USER_FINANCE, "finance"},
	{ZT_USER_AUDITOR, "auditor"}, {ZT_USER_ADMIN, "admin"},
};

const char *zt_user_role_name(unsigned role)
{
	for (size_t i = 0; i < ZT_USER_ROLE_COUNT; i++)
		if (roles[i].role == role)
			return roles[i].name;
	return NULL;
}

int zt_user_role_parse(unsigned *out, const char *name)
{
	*out = 0;
	for (size_t i = 0; name && i < ZT_USER_ROLE_COUNT; i++)
		if (strcmp(roles[i].name, name) == 0) {
			*out = roles[i].role;
			return 0;
		}
	return zt_error_set(ZT_EINVAL,
	                    "unknown role '%.40s' (desk, fund-admin, finance, auditor or admin)",
	                    name ? name : "");
}

#define DESK ZT_USER_DESK
#define FUND ZT_USER_FUND_ADMIN
#define FIN ZT_USER_FINANCE
#define AUD ZT_USER_AUDITOR
#define ADM ZT_USER_ADMIN

/* docs/spec/service.md, the table of roles:
 *   desk        submit, quote, reverse, look up and print slips for the
 *               claims of its hospital(s) only
 *   fund-admin  read claims of its fund(s); create, approve, reject,
 *               reopen, export, send its funds' batches
 *   finance     advances, statements, reconciliation, reports; sees
 *               amounts, never diagnoses, items or full ID numbers
 *   auditor     reads everything, the audit trail and verify; changes
 *               nothing (so: every operation that changes nothing)
 *   admin       users, registry, catalogues, policies; no money movement
 *               (and the service's metrics, with the auditor) */
static const struct zt_op_info ops[ZT_OP_COUNT] = {
	[ZT_OP_CLAIM_SUBMIT] = {"claim-submit", DESK, true, true},
	[ZT_OP_CLAIM_QUOTE] = {"claim-quote", DESK | AUD, false, false},
	[ZT_OP_CLAIM_REVERSE] = {"claim-reverse", DESK, true, true},
	[ZT_OP_CLAIM_READ] = {"claim-read", DESK | FUND | FIN | AUD, false, false},
	[ZT_OP_SLIP] = {"slip", DESK | AUD, false, false},
	[ZT_OP_PERSON_LOOKUP] = {"person-lookup", DESK | AUD, false, false},
	[ZT_OP_HOSPITAL_REPORT] = {"hospital-report", DESK | FIN | AUD, false, false},
	[ZT_OP_BATCH_READ] = {"batch-read", FUND | FIN | AUD, false, false},
	[ZT_OP_BATCH_WRITE] = {"batch-write", FUND, true, true},
	[ZT_OP_ADVANCE_READ] = {"advance-read", FIN | AUD, false, false},
	[ZT_OP_ADVANCE_WRITE] = {"advance-write", FIN, true, true},
	[ZT_OP_RECONCILE_READ] = {"reconcile-read", FIN | AUD, false, false},
	[ZT_OP_RECONCILE_WRITE] = {"reconcile-write", FIN, true, true},
	[ZT_OP_FINANCE_REPORT] = {"finance-report", FIN | AUD, false, false},
	[ZT_OP_VERIFY] = {"verify", AUD, false, false},
	[ZT_OP_AUDIT_READ] = {"audit-read", AUD, false, false},
	[ZT_OP_METRICS] = {"metrics", AUD | ADM, false, false},
	[ZT_OP_USER_ADMIN] = {"user-admin", ADM, true, false},
	[ZT_OP_REFERENCE_WRITE] = {"reference-write", ADM, true, false},
};

const struct zt_op_info *zt_op_info(enum zt_op op)
{
	return (unsigned)op < ZT_OP_COUNT ? &ops[op] : NULL;
}

unsigned zt_access_roles(enum zt_op op)
{
	return (unsigned)op < ZT_OP_COUNT ? ops[op].roles : 0;
}

bool zt_access_allows(unsigned r, enum zt_op op)
{
	return (r & zt_access_roles(op)) != 0;
}

unsigned zt_access_view(unsigned r)
{
	unsigned v = 0;
	if (r & (DESK | FUND | AUD))
		v |= ZT_VIEW_AMOUNTS | ZT_VIEW_CLINICAL | ZT_VIEW_IDENTITY;
	if (r & FIN)
		v |= ZT_VIEW_AMOUNTS;
	return v;
}

/* ---- scope ------------------------------------------------------------ */

void zt_scope_init(struct zt_scope *s)
{
	memset(s, 0, sizeof *s);
}

static void list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void zt_scope_free(struct zt_scope *s)
{
	if (!s)
		return;
	list_free(s->hospitals, s->hospital_count);
	list_free(s->funds, s->fund_count);
	list_free(s->pools, s->pool_count);
	zt_scope_init(s);
}

/* The index of the first entry >= code (binary search). */
static size_t lower_bound(char *const *list, size_t n, const char *code)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(list[mid], code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool list_has(char *const *list, size_t n, const char *code)
{
	if (!code)
		return false;
	size_t i = lower_bound(list, n, code);
	return i < n && strcmp(list[i], code) == 0;
}

static int list_add(char ***list, size_t *n, const char *code, const char *what)
{
	size_t len = code ? strnlen(code, ZT_TEXT_BYTES_MAX + 1) : 0;
	if (len == 0)
		return zt_error_set(ZT_EINVAL, "%s: an empty code", what);
	if (len > ZT_TEXT_BYTES_MAX)
		return zt_error_set(ZT_EINVAL, "%s: a code over %d characters", what,
		                    ZT_CODE_CHARS_MAX);
	int rc = zt_text_check(what, code, len, ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT);
	if (rc)
		return rc;
	size_t at = lower_bound(*list, *n, code);
	if (at < *n && strcmp((*list)[at], code) == 0)
		return 0;
	if (*n >= ZT_SCOPE_ENTRIES_MAX)
		return zt_error_set(ZT_ERANGE, "%s: more than %d codes", what, ZT_SCOPE_ENTRIES_MAX);
	char *copy = zt_strdup(code);
	char **grown = copy ? zt_realloc(*list, (*n + 1) * sizeof **list) : NULL;
	if (!grown) {
		free(copy);
		return zt_error_set(ZT_ENOMEM, "%s: out of memory", what);
	}
	memmove(grown + at + 1, grown + at, (*n - at) * sizeof *grown);
	grown[at] = copy;
	*list = grown;
	(*n)++;
	return 0;
}

int zt_scope_add_hospital(struct zt_scope *s, const char *code)
{
	return list_add(&s->hospitals, &s->hospital_count, code, "hospital");
}

int zt_scope_add_fund(struct zt_scope *s, const char *code)
{
	return list_add(&s->funds, &s->fund_count, code, "fund");
}

int zt_scope_add_pool(struct zt_scope *s, const char *pool)
{
	return list_add(&s->pools, &s->pool_count, pool, "pool");
}

bool zt_scope_admits_pool(const struct zt_scope *s, const char *pool)
{
	return !s || s->pool_count == 0 || list_has(s->pools, s->pool_count, pool);
}

bool zt_scope_has_hospital(const struct zt_scope *s, const char *code)
{
	return s && list_has(s->hospitals, s->hospital_count, code);
}

bool zt_scope_has_fund(const struct zt_scope *s, const char *code)
{
	return s && list_has(s->funds, s->fund_count, code);
}

int zt_scope_check(unsigned r, const struct zt_scope *s)
{
	const char *name = zt_user_role_name(r);
	if (!name)
		return zt_error_set(ZT_EINVAL, "a user has exactly one role");
	size_t h = s ? s->hospital_count : 0, f = s ? s->fund_count : 0;
	if (r == DESK && h == 0)
		return zt_error_set(ZT_EINVAL, "a desk needs at least one --hospital");
	if (r == FUND && f == 0)
		return zt_error_set(ZT_EINVAL, "a fund-admin needs at least one --fund");
	if (r != DESK && h > 0)
		return zt_error_set(ZT_EINVAL, "a user of role '%s' has no --hospital (only a desk has)",
		                    name);
	if (r != FUND && f > 0)
		return zt_error_set(ZT_EINVAL,
		                    "a user of role '%s' has no --fund (only a fund-admin has)", name);
	return 0;
}

bool zt_access_in_scope(unsigned r, const struct zt_scope *s, const char *hospital,
                        const char *const *funds, size_t fund_count)
{
	if (r & (FIN | AUD | ADM))
		return true;
	if ((r & DESK) && zt_scope_has_hospital(s, hospital))
		return true;
	if (r & FUND)
		for (size_t i = 0; i < fund_count; i++)
			if (zt_scope_has_fund(s, funds[i]))
				return true;
	return false;
}
