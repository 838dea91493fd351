/* zhitong — the claims' use cases (see claims.h): quote, reverse, show,
 * list. Settling itself is settle.c. */
#include "zhitong/claims.h"
#include "zhitong/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/text.h"

int zt_claims_quote(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                    const struct zt_settle_opts *o, const struct zt_settle_sink *sink,
                    struct zt_settle_stats *stats)
{
	struct zt_settle_opts q = *o;
	q.quote = true;
	return zt_settle_source(s, src, format, &q, sink, stats);
}

/* ---- reverse ---------------------------------------------------------------- */

/* What the front door gives is checked as a claim's fields would be: it is
 * looked up, echoed in the answer and recorded. */
static int reverse_req_check(const struct zt_claims_reverse_req *r, char who[ZT_ACTOR_BYTES])
{
	int rc = zt_actor_normalize(who, r->actor);
	if (rc == 0 && (!r->reason || !r->reason[0]))
		rc = zt_error_set(ZT_EINVAL, "a reversal needs a reason (--reason TEXT)");
	if (rc == 0 && (!r->hospital || !r->claim_no))
		rc = zt_error_set(ZT_EINVAL, "a reversal needs the hospital and the claim number");
	if (rc == 0)
		rc = zt_text_check("--reason", r->reason, strlen(r->reason), ZT_TEXT_CHARS_MAX,
		                   ZT_TEXT_LINE);
	if (rc == 0)
		rc = zt_text_check("--hospital", r->hospital, strlen(r->hospital), ZT_CODE_CHARS_MAX,
		                   ZT_TEXT_IDENT);
	if (rc == 0)
		rc = zt_text_check("--claim-no", r->claim_no, strlen(r->claim_no),
		                   ZT_CLAIM_NO_CHARS_MAX, ZT_TEXT_IDENT);
	if (rc == 0 && r->setl_id)
		rc = zt_text_check("setl_id", r->setl_id, strlen(r->setl_id), 31, ZT_TEXT_IDENT);
	return rc;
}

/* In the caller's write transaction: the reversal of `ref`'s settlement,
 * its audit record, and the reversal as stored into res. */
static int reverse_write(struct zt_store *s, const struct zt_claims_reverse_req *r,
                         const char *actor, const struct zt_claim_ref *ref,
                         struct zt_claims_reverse_res *res)
{
	struct zt_stored_settlement *orig = zt_malloc(sizeof *orig);
	if (!orig)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	char setl_id[32], detail[ZT_MESSAGE_BYTES_MAX + 64];
	int64_t row;
	int rc = s->ops->claims.get(s, ref->settlement_row, orig);
	if (rc == 0)
		rc = zt_settle_reversal_write(s, orig, r->reason, actor, setl_id, &row);
	if (rc == 0)
		rc = s->ops->claims.get(s, row, &res->reversal);
	if (rc == 0) {
		/* verify's AUDITED check finds it by this detail's start */
		snprintf(detail, sizeof detail, "%s reverses %s: %s", setl_id, orig->setl_id, r->reason);
		rc = zt_settlement_audit(s, actor, "claim reverse", &res->reversal, detail);
	}
	free(orig);
	return rc;
}

/* In the write transaction, for a reversal naming its setl_id: done when
 * the answer is known without writing — that settlement is not one of
 * this claim (rejected) or is reversed already (replayed, its reversal). */
static int reverse_by_setl_id(struct zt_store *s, const struct zt_claims_reverse_req *r,
                              struct zt_claims_reverse_res *res, bool *done)
{
	int64_t row = 0, rev_row = 0;
	int rc = s->ops->claims.find_setl_id(s, r->setl_id, &row);
	if (rc == 0 && (rc = s->ops->claims.get(s, row, &res->reversal)) == 0 &&
	    (strcmp(res->reversal.fixmedins_code, r->hospital) != 0 ||
	     strcmp(res->reversal.claim_no, r->claim_no) != 0 ||
	     strcmp(res->reversal.kind, "settle") != 0))
		rc = ZT_ENOTFOUND;
	if (rc == ZT_ENOTFOUND) {
		memset(&res->reversal, 0, sizeof res->reversal);
		snprintf(res->message, sizeof res->message,
		         "claim '%s' of hospital '%s' has no settlement %s", r->claim_no, r->hospital,
		         r->setl_id);
		res->rejected = *done = true;
		return 0;
	}
	if (rc == 0)
		rc = s->ops->claims.reversal_of(s, row, &rev_row);
	if (rc == 0 && rev_row) {
		rc = s->ops->claims.get(s, rev_row, &res->reversal);
		res->replayed = *done = rc == 0;
		return rc;
	}
	memset(&res->reversal, 0, sizeof res->reversal);
	return rc;
}

int zt_claims_reverse(struct zt_store *s, const struct zt_claims_reverse_req *r,
                      struct zt_claims_reverse_res *res)
{
	memset(res, 0, sizeof *res);
	char actor[ZT_ACTOR_BYTES];
	int rc = reverse_req_check(r, actor);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		return rc;
	struct zt_claim_ref ref;
	if (r->setl_id) {
		bool done = false;
		if ((rc = reverse_by_setl_id(s, r, res, &done)) != 0 || done) {
			s->ops->rollback(s);
			return rc;
		}
	}
	rc = s->ops->claims.find(s, r->hospital, r->claim_no, &ref);
	if (rc == 0 && r->setl_id && strcmp(ref.setl_id, r->setl_id) != 0 && !ref.reversed) {
		snprintf(res->message, sizeof res->message,
		         "%s is not the live settlement of claim '%s' of hospital '%s' (%s is)",
		         r->setl_id, r->claim_no, r->hospital, ref.setl_id);
		res->rejected = true;
		s->ops->rollback(s);
		return 0;
	}
	if (rc == ZT_ENOTFOUND || (rc == 0 && ref.reversed)) {
		snprintf(res->message, sizeof res->message, "claim '%s' of hospital '%s' %s", r->claim_no,
		         r->hospital, rc == 0 ? "was already reversed" : "has not been settled");
		res->rejected = true;
		s->ops->rollback(s);
		return 0;
	}
	if (rc == 0)
		rc = reverse_write(s, r, actor, &ref, res);
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

/* ---- show ---------------------------------------------------------------------- */

/* The settlement `setl_id` and, for a settlement that was reversed, its
 * reversal, in that order. */
static int by_setl_id(struct zt_store *s, const char *setl_id,
                      int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx)
{
	int64_t row, rev_row = 0;
	int rc = s->ops->claims.find_setl_id(s, setl_id, &row);
	if (rc == 0)
		rc = s->ops->claims.reversal_of(s, row, &rev_row);
	if (rc)
		return rc;
	struct zt_stored_settlement *st = zt_malloc(sizeof *st);
	if (!st)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	for (int i = 0; i < 2 && rc == 0; i++) {
		int64_t r = i ? rev_row : row;
		if (!r)
			break;
		if ((rc = s->ops->claims.get(s, r, st)) == 0)
			rc = cb(ctx, st);
	}
	free(st);
	return rc;
}

static int claims_show(struct zt_store *s, const struct zt_claims_show_req *req,
                       int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx);

/* ---- show: with what the catalogue made of the items (rules-v2.md §2) -------- */

struct with_catalog {
	struct zt_store *s;
	int (*cb)(void *ctx, const struct zt_stored_settlement *st);
	void *ctx;
	struct zt_stored_settlement st;
	struct zt_catalog_item_diff *items;
	char *codes; /* ZT_UTF8_BYTES(ZT_LIST_CODE_CHARS_MAX) per item */
	int n, cap;
};

#define CODE_BYTES ZT_UTF8_BYTES(ZT_LIST_CODE_CHARS_MAX)

static int diff_seen(void *ctx, const struct zt_catalog_item_diff *d)
{
	struct with_catalog *w = ctx;
	if (w->n == w->cap) {
		int cap = w->cap ? 2 * w->cap : 16;
		struct zt_catalog_item_diff *ni = zt_realloc(w->items, (size_t)cap * sizeof *ni);
		if (ni)
			w->items = ni;
		char *nc = ni ? zt_realloc(w->codes, (size_t)cap * CODE_BYTES) : NULL;
		if (!ni || !nc)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		w->codes = nc;
		w->cap = cap;
	}
	w->items[w->n] = *d;
	snprintf(w->codes + (size_t)w->n * CODE_BYTES, CODE_BYTES, "%s", d->code);
	w->n++;
	return 0;
}

static int show_one(void *ctx, const struct zt_stored_settlement *st)
{
	struct with_catalog *w = ctx;
	struct zt_settlement_catalog sc;
	w->st = *st;
	w->n = 0;
	int rc = w->s->ops->catalogs.settlement_get(w->s, st->row, &sc, diff_seen, w);
	if (rc == ZT_ENOTFOUND)
		return w->cb(w->ctx, st);
	if (rc)
		return rc;
	snprintf(w->st.catalog_id, sizeof w->st.catalog_id, "%s", sc.catalog_id);
	w->st.catalog_differs = sc.differs;
	for (int i = 0; i < w->n; i++)
		w->items[i].code = w->codes + (size_t)i * CODE_BYTES;
	w->st.catalog_items = w->items;
	w->st.catalog_item_count = w->n;
	return w->cb(w->ctx, &w->st);
}

int zt_claims_show(struct zt_store *s, const struct zt_claims_show_req *req,
                   int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx)
{
	struct with_catalog *w = zt_calloc(1, sizeof *w);
	if (!w)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	*w = (struct with_catalog){.s = s, .cb = cb, .ctx = ctx};
	int rc = claims_show(s, req, show_one, w);
	free(w->items);
	free(w->codes);
	free(w);
	return rc;
}

static int claims_show(struct zt_store *s, const struct zt_claims_show_req *req,
                       int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx)
{
	if (req->setl_id ? req->hospital || req->claim_no : !req->hospital || !req->claim_no)
		return zt_error_set(ZT_EINVAL, "show takes a claim number with its hospital, or a "
		                    "setl_id");
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = req->setl_id ? by_setl_id(s, req->setl_id, cb, ctx)
	                  : s->ops->claims.history(s, req->hospital, req->claim_no, cb, ctx);
	s->ops->rollback(s);
	if (rc == ZT_ENOTFOUND && req->setl_id)
		return zt_error_set(rc, "there is no settlement or reversal '%s'", req->setl_id);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(rc, "claim '%s' of hospital '%s' has never been settled",
		                    req->claim_no, req->hospital);
	return rc;
}

/* ---- list ------------------------------------------------------------------------ */

int zt_claims_list(struct zt_store *s, const struct zt_claim_filter *f,
                   int (*cb)(void *ctx, const struct zt_claim_line *l), void *ctx)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	if (f->from && f->to && f->from > f->to)
		return zt_error_set(ZT_EINVAL, "--from %s is after --to %s", zt_format_date(d1, f->from),
		                    zt_format_date(d2, f->to));
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = s->ops->claims.list(s, f, cb, ctx);
	s->ops->rollback(s);
	return rc;
}
