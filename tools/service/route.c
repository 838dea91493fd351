/* zhitong — the route table: method + path template → handler and roles
 * (see service_int.h). Templates are checked when added, so a typo in a
 * route is a start-up error, not a 404 in production. */
#include <stdlib.h>
#include <string.h>

#include "service_int.h"
#include "zhitong/error.h"

static bool name_char(char c) { return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'); }

/* Literal segments: unreserved characters of RFC 3986 only, so a literal
 * compares equal to the raw path without decoding. */
static bool literal_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static void entry_free(struct zt_route_entry *e)
{
	for (size_t i = 0; i < e->nseg; i++)
		free(e->seg[i]);
	e->nseg = 0;
}

int zt_routes_add(struct zt_routes *t, const struct zt_route *r)
{
	const char *p = r->path;
	if (!r->method || !r->method[0] || !p || p[0] != '/' || !r->handler)
		return zt_error_set(ZT_EINVAL, "route '%s %s': needs a method, a path from '/' and a handler",
		                    r->method ? r->method : "", p ? p : "");
	if (t->n >= ZT_ROUTES_MAX)
		return zt_error_set(ZT_EINVAL, "more than %d routes", ZT_ROUTES_MAX);
	struct zt_route_entry e = {.r = *r, .index = t->n};
	int rc = 0;
	if (strcmp(p, "/") != 0) {
		while (*p == '/') {
			const char *s = ++p;
			while (*p && *p != '/')
				p++;
			size_t n = (size_t)(p - s);
			if (n == 0 && *p == '\0' && e.nseg > 0 && e.nseg < ZT_ROUTE_SEGMENTS_MAX) {
				/* a trailing '/' ("/console/"): an empty last literal */
				if (!(e.seg[e.nseg] = strdup(""))) {
					rc = zt_error_set(ZT_ENOMEM, "out of memory");
					goto fail;
				}
				e.param[e.nseg++] = false;
				break;
			}
			if (n == 0 || e.nseg >= ZT_ROUTE_SEGMENTS_MAX) {
				rc = zt_error_set(ZT_EINVAL, "route '%s %s': empty segment or too many segments",
				                  r->method, r->path);
				goto fail;
			}
			bool param = s[0] == '{';
			if (param) {
				if (n < 3 || s[n - 1] != '}')
					goto bad;
				s++;
				n -= 2;
			}
			for (size_t i = 0; i < n; i++)
				if (!(param ? name_char(s[i]) : literal_char(s[i])))
					goto bad;
			if (param)
				for (size_t i = 0; i < e.nseg; i++)
					if (e.param[i] && strlen(e.seg[i]) == n && memcmp(e.seg[i], s, n) == 0) {
						rc = zt_error_set(ZT_EINVAL, "route '%s %s': parameter '%.*s' twice",
						                  r->method, r->path, (int)n, s);
						goto fail;
					}
			if (!(e.seg[e.nseg] = strndup(s, n))) {
				rc = zt_error_set(ZT_ENOMEM, "out of memory");
				goto fail;
			}
			e.param[e.nseg++] = param;
		}
		if (*p)
			goto bad;
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].r.method, r->method) == 0 && strcmp(t->e[i].r.path, r->path) == 0) {
			rc = zt_error_set(ZT_EINVAL, "route '%s %s' is added twice", r->method, r->path);
			goto fail;
		}
	struct zt_route_entry *ne = realloc(t->e, (t->n + 1) * sizeof *ne);
	if (!ne) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto fail;
	}
	t->e = ne;
	t->e[t->n++] = e;
	return 0;
bad:
	rc = zt_error_set(ZT_EINVAL,
	                  "route '%s %s': a segment is a literal of [A-Za-z0-9._~-] or a whole "
	                  "{name} of [a-z0-9_]",
	                  r->method, r->path);
fail:
	entry_free(&e);
	return rc;
}

void zt_routes_free(struct zt_routes *t)
{
	for (size_t i = 0; i < t->n; i++)
		entry_free(&t->e[i]);
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

/* Does e match the split path? Its specificity (one bit per segment, a
 * literal 1, from the left) lets the more literal template win. */
static bool matches(const struct zt_route_entry *e, const char *const *seg, const size_t *len,
                    size_t nseg, uint32_t *specificity)
{
	if (e->nseg != nseg)
		return false;
	uint32_t spec = 0;
	for (size_t i = 0; i < nseg; i++) {
		spec <<= 1;
		if (e->param[i]) {
			if (len[i] == 0)
				return false;
			continue;
		}
		if (strlen(e->seg[i]) != len[i] || memcmp(e->seg[i], seg[i], len[i]) != 0)
			return false;
		spec |= 1;
	}
	*specificity = spec;
	return true;
}

int zt_routes_match(const struct zt_routes *t, const char *method, const char *path,
                    const struct zt_route_entry **out, struct zt_route_param *params,
                    size_t *nparams, char *allow, size_t allow_cap)
{
	const char *seg[ZT_ROUTE_SEGMENTS_MAX];
	size_t len[ZT_ROUTE_SEGMENTS_MAX], nseg = 0;
	if (!path || path[0] != '/')
		return ZT_ENOTFOUND;
	if (strcmp(path, "/") != 0) {
		for (const char *p = path; *p == '/';) {
			const char *s = ++p;
			while (*p && *p != '/')
				p++;
			if (nseg >= ZT_ROUTE_SEGMENTS_MAX)
				return ZT_ENOTFOUND;
			seg[nseg] = s;
			len[nseg++] = (size_t)(p - s);
		}
	}
	const struct zt_route_entry *best = NULL;
	uint32_t best_spec = 0;
	bool any = false;
	if (allow_cap)
		allow[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct zt_route_entry *e = &t->e[i];
		uint32_t spec;
		if (!matches(e, seg, len, nseg, &spec))
			continue;
		any = true;
		if (strcmp(e->r.method, method) == 0) {
			if (!best || spec > best_spec) {
				best = e;
				best_spec = spec;
			}
		}
	}
	if (!any)
		return ZT_ENOTFOUND;
	if (!best) {
		/* Allow: the methods of every template that matches, once each */
		size_t used = 0;
		for (size_t i = 0; i < t->n; i++) {
			uint32_t spec;
			const char *m = t->e[i].r.method;
			if (!matches(&t->e[i], seg, len, nseg, &spec))
				continue;
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = strcmp(t->e[j].r.method, m) == 0 &&
				       matches(&t->e[j], seg, len, nseg, &spec);
			if (seen)
				continue;
			size_t ml = strlen(m);
			if (used + ml + 3 > allow_cap)
				break;
			if (used) {
				memcpy(allow + used, ", ", 2);
				used += 2;
			}
			memcpy(allow + used, m, ml + 1);
			used += ml;
		}
		return ZT_ECONFLICT;
	}
	*out = best;
	*nparams = 0;
	for (size_t i = 0; i < nseg; i++)
		if (best->param[i]) {
			params[*nparams].name = best->seg[i];
			params[*nparams].raw = seg[i];
			params[*nparams].raw_len = len[i];
			(*nparams)++;
		}
	return 0;
}
