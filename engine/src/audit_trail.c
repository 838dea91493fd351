/* zhitong — the audit trail's use cases (audit_trail.h): the store's
 * records fed to the pure verifier of audit.h, a page at a time (constant
 * memory whatever the trail's length), in one read snapshot. */
#include <stdlib.h>
#include <string.h>

#include "zhitong/audit_trail.h"
#include "zhitong/date.h"
#include "zhitong/error.h"

static int date_check(const char *what, const char *v)
{
	zt_date d;
	if (v && (strlen(v) != 10 || zt_parse_date(&d, v, strlen(v)) != 0))
		return zt_error_set(ZT_EINVAL, "%s '%.40s' is not a date (YYYY-MM-DD)", what, v);
	return 0;
}

int zt_audit_trail_list(struct zt_store *s, const struct zt_audit_filter *f,
                        int (*cb)(void *ctx, const struct zt_audit_record *r), void *ctx)
{
	int rc;
	if (f && ((rc = date_check("--from", f->from)) != 0 || (rc = date_check("--to", f->to)) != 0))
		return rc;
	if (f && f->from && f->to && strcmp(f->from, f->to) > 0)
		return zt_error_set(ZT_EINVAL, "--from %s is after --to %s", f->from, f->to);
	if ((rc = s->ops->begin(s, ZT_TXN_READ)) != 0)
		return rc;
	rc = s->ops->audit.each(s, f, cb, ctx);
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	return rc;
}

/* ---- the feeder: pages of records, copied ---------------------------------------- */

#define PAGE 256

struct copy {
	struct zt_audit_record r;
	char *strings; /* every string of r, one allocation */
};

struct feeder {
	struct zt_store *s;
	int64_t after;
	struct copy page[PAGE];
	size_t n, at;
	bool end;
	int rc;
};

static size_t slen(const char *v) { return v ? strlen(v) + 1 : 0; }

static const char *put(char **p, const char *v)
{
	if (!v)
		return NULL;
	size_t n = strlen(v) + 1;
	memcpy(*p, v, n);
	const char *at = *p;
	*p += n;
	return at;
}

static int keep(void *ctx, const struct zt_audit_record *r)
{
	struct feeder *f = ctx;
	struct copy *c = &f->page[f->n];
	size_t len = slen(r->time) + slen(r->user) + slen(r->operator_name) + slen(r->token_id) +
	             slen(r->client) + slen(r->action) + slen(r->object) + slen(r->detail);
	char *p = malloc(len ? len : 1);
	if (!p)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	c->strings = p;
	c->r = *r;
	c->r.time = put(&p, r->time);
	c->r.user = put(&p, r->user);
	c->r.operator_name = put(&p, r->operator_name);
	c->r.token_id = put(&p, r->token_id);
	c->r.client = put(&p, r->client);
	c->r.action = put(&p, r->action);
	c->r.object = put(&p, r->object);
	c->r.detail = put(&p, r->detail);
	f->n++;
	f->after = r->seq;
	return 0;
}

static void page_free(struct feeder *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->page[i].strings);
	f->n = f->at = 0;
}

static int next(void *ctx, struct zt_audit_record *out)
{
	struct feeder *f = ctx;
	if (f->at == f->n) {
		if (f->end)
			return 0;
		page_free(f);
		struct zt_audit_filter flt = {.after_seq = f->after, .limit = PAGE};
		int rc = f->s->ops->audit.each(f->s, &flt, keep, f);
		if (rc)
			return rc;
		if (f->n < PAGE)
			f->end = true;
		if (f->n == 0)
			return 0;
	}
	*out = f->page[f->at++].r;
	return 1;
}

int zt_audit_trail_verify_in(struct zt_store *s, const struct zt_audit_head *head,
                             struct zt_audit_verdict *out)
{
	memset(out, 0, sizeof *out);
	struct feeder *f = calloc(1, sizeof *f);
	if (!f)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	f->s = s;
	struct zt_audit_anchors anchors = {.head = head};
	int rc = s->ops->audit.written(s, &anchors.last_seq);
	if (rc == 0)
		rc = zt_audit_verify(out, next, f, &anchors);
	page_free(f);
	free(f);
	return rc;
}

int zt_audit_trail_verify(struct zt_store *s, const struct zt_audit_head *head,
                          struct zt_audit_verdict *out)
{
	memset(out, 0, sizeof *out);
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = zt_audit_trail_verify_in(s, head, out);
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	return rc;
}

int zt_audit_trail_head(struct zt_store *s, struct zt_audit_head *out)
{
	memset(out, 0, sizeof *out);
	struct zt_audit_verdict *v = malloc(sizeof *v);
	if (!v)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = zt_audit_trail_verify(s, NULL, v);
	if (rc == 0)
		*out = v->last;
	free(v);
	return rc;
}
