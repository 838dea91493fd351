/* zhitong — the claims' endpoints (docs/spec/service.md "Endpoints"):
 *
 *   POST /v1/claims                                   claim submit
 *   POST /v1/quotes                                   claim quote
 *   POST /v1/claims/{fixmedins_code}/{claim_no}/reversal   claim reverse, by setl_id
 *   GET  /v1/claims/{fixmedins_code}/{claim_no}       every settlement and reversal
 *   GET  /v1/settlements/{setl_id}                    one settlement
 *   GET  /v1/settlements?…                            search, cursor paging
 *   GET  /v1/settlements/{setl_id}/slip               the slip: text, HTML or PDF
 *
 * over the use cases of claims.h, settle.h and slip.h, rendered by
 * render_settlement_json.h / render_settlement.h and the slip renderers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "zhitong/access.h"
#include "zhitong/claim.h"
#include "zhitong/claims.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/render.h"
#include "zhitong/settle_group.h"
#include "zhitong/render_settlement.h"
#include "zhitong/render_settlement_json.h"
#include "zhitong/slip.h"
#include "zhitong/slip_html.h"
#include "zhitong/slip_pdf.h"
#include "zhitong/slip_text.h"

/* ---- submit and quote ------------------------------------------------------------ */

/* A JSON array or a <claims> root is a list (even of one); a JSON object
 * or a <claim> root is one claim (docs/spec/service.md "Bodies"). */
static bool body_is_list(const char *b, size_t n, enum zt_format f)
{
	size_t i = 0;
	if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB &&
	    (unsigned char)b[2] == 0xBF)
		i = 3;
	if (f == ZT_FORMAT_JSON) {
		while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
			i++;
		return i < n && b[i] == '[';
	}
	/* the first element that is not <?…?> nor <!…> */
	while (i < n) {
		const char *lt = memchr(b + i, '<', n - i);
		if (!lt)
			return false;
		i = (size_t)(lt - b) + 1;
		if (i < n && (b[i] == '?' || b[i] == '!'))
			continue;
		size_t s = i;
		while (i < n && b[i] != ' ' && b[i] != '>' && b[i] != '/' && b[i] != '\t' &&
		       b[i] != '\r' && b[i] != '\n')
			i++;
		const char *name = b + s;
		size_t len = i - s;
		const char *colon = memchr(name, ':', len);
		if (colon) {
			len -= (size_t)(colon + 1 - name);
			name = colon + 1;
		}
		return len == 6 && memcmp(name, "claims", 6) == 0;
	}
	return false;
}

struct submit {
	struct zt_request *r;
	struct zt_api *a;
	bool quote, list;
	enum zt_format answer;   /* JSON or XML */
	unsigned view;
	struct zt_json_writer *w; /* JSON */
	struct zt_settle_sink xml_sink;
	struct zt_settlement_xml_sink xml;
	FILE *xml_out;
	char *xml_text;
	size_t xml_len;
	/* the outcome of a single claim */
	int outcomes;
	bool settled, replayed, rejected;
	char setl_id[32], code[48], message[ZT_MESSAGE_BYTES_MAX];
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)], claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
};

static int on_begin(void *ctx, int version)
{
	struct submit *x = ctx;
	if (x->answer == ZT_FORMAT_XML)
		return x->xml_sink.begin ? x->xml_sink.begin(x->xml_sink.ctx, version) : 0;
	return x->list ? zt_json_write_array_begin(x->w) : 0;
}

static int on_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	struct submit *x = ctx;
	if (x->outcomes++ == 0) {
		x->settled = !replayed;
		x->replayed = replayed;
		snprintf(x->setl_id, sizeof x->setl_id, "%s", st->setl_id);
	}
	if (x->answer == ZT_FORMAT_XML)
		return x->xml_sink.settled(x->xml_sink.ctx, st, replayed);
	if (x->list) {
		zt_json_write_object_begin(x->w);
		zt_json_write_key(x->w, "status");
		zt_json_write_string(x->w, replayed ? "replayed" : "settled");
		zt_json_write_key(x->w, "settlement");
	}
	int rc = zt_settlement_json(x->w, st, !x->quote, x->view);
	if (x->list)
		rc = zt_json_write_object_end(x->w);
	return rc;
}

static int on_rejected(void *ctx, const struct zt_rejection *rj)
{
	struct submit *x = ctx;
	if (x->outcomes++ == 0) {
		x->rejected = true;
		snprintf(x->code, sizeof x->code, "%s", rj->code_name);
		snprintf(x->message, sizeof x->message, "%s", rj->message);
		snprintf(x->hospital, sizeof x->hospital, "%s", rj->hospital);
		snprintf(x->claim_no, sizeof x->claim_no, "%s", rj->claim_no);
	}
	if (x->answer == ZT_FORMAT_XML)
		return x->xml_sink.rejected(x->xml_sink.ctx, rj);
	if (!x->list)
		return 0; /* answered as an error */
	zt_json_write_object_begin(x->w);
	zt_json_write_key(x->w, "status");
	zt_json_write_string(x->w, "rejected");
	zt_json_write_key(x->w, "error");
	zt_settlement_json_error(x->w, rj->code_name, rj->message, rj->hospital, rj->claim_no);
	return zt_json_write_object_end(x->w);
}

static int on_committed(void *ctx, const struct zt_settle_stats *stats)
{
	struct submit *x = ctx;
	/* counted once final: a group settled again after a neighbour's
	 * failure hands the outcomes over again (settle_group.h) */
	if (!x->quote)
		zt_service_count(x->a->service, x->a->claims_settled, stats->settled);
	zt_service_count(x->a->service, x->a->claims_rejected, stats->rejected);
	if (x->answer == ZT_FORMAT_XML)
		return x->xml_sink.committed(x->xml_sink.ctx, stats);
	return x->list ? zt_json_write_array_end(x->w) : 0;
}

static bool admit(void *ctx, const char *hospital)
{
	struct submit *x = ctx;
	return api_in_scope(x->r, x->quote ? ZT_OP_CLAIM_QUOTE : ZT_OP_CLAIM_SUBMIT, hospital, NULL,
	                    0);
}

/* Text for XML (a character or an attribute value): the five escapes. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f);
		}
}

/* A single XML claim rejected: the error of docs/spec/service.md "Errors",
 * <error code="CODE" fixmedins_code="…" claim_no="…">message</error>, as
 * the JSON error carries the same members; a list (<claims>, even of one)
 * keeps the documented <settlements> answer with its <rejection>s
 * (interfaces.md). */
static int reply_xml_error(struct zt_request *r, unsigned status, const struct submit *x)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error code=\"", f);
	xml_text(f, x->code);
	fputc('"', f);
	if (x->hospital[0]) {
		fputs(" fixmedins_code=\"", f);
		xml_text(f, x->hospital);
		fputc('"', f);
	}
	if (x->claim_no[0]) {
		fputs(" claim_no=\"", f);
		xml_text(f, x->claim_no);
		fputc('"', f);
	}
	fputc('>', f);
	xml_text(f, x->message);
	fputs("</error>\n", f);
	if (fclose(f) != 0) {
		free(text);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	return zt_reply_take(r, status, zt_format_content_type(ZT_FORMAT_XML), text, len);
}

/* The status of a single claim's answer. */
static unsigned single_status(const struct submit *x)
{
	if (x->rejected) {
		if (strcmp(x->code, ZT_SETTLE_NOT_PERMITTED) == 0)
			return 403;
		if (!x->quote && strcmp(x->code, "duplicate-claim-no") == 0)
			return 409;
		return 422;
	}
	return x->settled && !x->quote ? 201 : 200;
}

/* Before the group settles the body again (settle_group.h): what the sink
 * was handed is forgotten. */
static void submit_reset(void *ctx)
{
	struct submit *x = ctx;
	x->outcomes = 0;
	x->settled = x->replayed = x->rejected = false;
	x->setl_id[0] = x->code[0] = x->message[0] = x->hospital[0] = x->claim_no[0] = '\0';
	if (x->answer == ZT_FORMAT_XML) {
		zt_settlement_xml_sink_free(&x->xml);
		zt_settlement_xml_sink(&x->xml_sink, &x->xml, x->xml_out, x->quote);
		return;
	}
	zt_json_writer_free(x->w);
	x->w = NULL;
	if (zt_json_writer_new(&x->w, false) != 0)
		x->w = NULL; /* the sink's callbacks then fail: the body is answered 500 */
}

/* Settles the body through the group commit (docs/spec/service.md
 * "Endpoints"; settle_group.h): a list of more than a chunk is a bulk
 * input, checked well-formed whole first and settled in chunks with the
 * desks' claims between them. */
static int submit_grouped(struct submit *x, struct zt_api *a, const struct zt_source *src,
                          enum zt_claim_format cf, const struct zt_settle_opts *o,
                          const struct zt_settle_sink *sink, struct zt_settle_stats *st)
{
	uint64_t n = 0;
	int rc = 0;
	if (x->list && (rc = zt_settle_check(src, cf, &n)) != 0)
		return rc;
	const struct zt_settle_job job = {.src = src, .format = cf, .o = o, .sink = sink,
	                                  .reset = submit_reset, .reset_ctx = x,
	                                  .bulk = n > ZT_API_CHUNK_CLAIMS};
	return zt_settle_group_submit(a->group, &job, st);
}

static int claims_post(struct zt_request *r, struct zt_api *a, bool quote)
{
	size_t len = 0;
	const char *body = zt_req_body(r, &len);
	enum zt_format bf = zt_req_body_format(r);
	if (len == 0)
		return zt_reply_error(r, 400, "invalid-request", "the body holds no claim");
	static const enum zt_format offered[] = {ZT_FORMAT_JSON, ZT_FORMAT_XML};
	struct submit *x = calloc(1, sizeof *x);
	if (!x)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	x->r = r;
	x->a = a;
	x->quote = quote;
	x->list = body_is_list(body, len, bf);
	x->view = api_view(r);
	x->answer = zt_req_negotiate(r, offered, 2);
	struct zt_store *s = NULL;
	int rc = 0;
	if (x->answer == ZT_FORMAT_NONE) {
		rc = zt_reply_not_acceptable(r, offered, 2);
		goto done;
	}
	char actor[ZT_ACTOR_BYTES];
	if (api_actor(r, actor) != 0)
		goto done;
	if (x->answer == ZT_FORMAT_XML) {
		if (!(x->xml_out = open_memstream(&x->xml_text, &x->xml_len))) {
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
			goto done;
		}
		zt_settlement_xml_sink(&x->xml_sink, &x->xml, x->xml_out, quote);
	} else if ((rc = zt_json_writer_new(&x->w, false)) != 0) {
		goto done;
	}
	if (quote && api_store(r, a, false, &s) != 0)
		goto done;
	const struct zt_settle_sink sink = {.begin = on_begin, .settled = on_settled,
	                                    .rejected = on_rejected, .committed = on_committed,
	                                    .ctx = x};
	const struct zt_settle_opts o = {.quote = quote, .actor = actor, .admit = admit,
	                                 .admit_ctx = x, .config = a->config};
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, body, len, "the request body");
	struct zt_settle_stats st;
	enum zt_claim_format cf = bf == ZT_FORMAT_JSON ? ZT_CLAIM_FORMAT_JSON : ZT_CLAIM_FORMAT_XML;
	rc = quote ? zt_claims_quote(s, &src, cf, &o, &sink, &st)
	           : submit_grouped(x, a, &src, cf, &o, &sink, &st);
	zt_store_close(s);
	if (rc) {
		rc = api_fail(r, rc);
		goto done;
	}
	if (!x->list && x->outcomes != 1) {
		rc = zt_reply_error(r, 400, "invalid-request", "the body holds no claim");
		goto done;
	}
	unsigned status = x->list ? 200 : single_status(x);
	if (!x->list && x->rejected) {
		rc = x->answer == ZT_FORMAT_JSON
		             ? zt_reply_error_claim(r, status, x->code, x->message, x->hospital,
		                                    x->claim_no)
		             : reply_xml_error(r, status, x);
		goto done;
	}
	if (!x->list && status == 201 && x->setl_id[0]) {
		char loc[64];
		snprintf(loc, sizeof loc, "/v1/settlements/%s", x->setl_id);
		zt_reply_header(r, "Location", loc);
	}
	if (x->answer == ZT_FORMAT_XML) {
		fflush(x->xml_out);
		rc = zt_reply(r, status, ZT_FORMAT_XML, x->xml_text, x->xml_len);
	} else {
		rc = zt_reply_json(r, status, x->w);
	}
done:
	zt_json_writer_free(x->w);
	if (x->answer == ZT_FORMAT_XML && x->xml_out)
		zt_settlement_xml_sink_free(&x->xml);
	if (x->xml_out)
		fclose(x->xml_out);
	free(x->xml_text);
	free(x);
	return rc;
}

static int post_claims(struct zt_request *r, void *ctx) { return claims_post(r, ctx, false); }
static int post_quotes(struct zt_request *r, void *ctx) { return claims_post(r, ctx, true); }

/* ---- reversal ---------------------------------------------------------------------- */

static int post_reversal(struct zt_request *r, void *ctx)
{
	struct zt_api *a = ctx;
	const char *h = zt_req_param(r, "fixmedins_code"), *n = zt_req_param(r, "claim_no");
	/* not the caller's hospital: the same answer as a claim that is not there */
	if (!api_in_scope(r, ZT_OP_CLAIM_REVERSE, h, NULL, 0))
		return zt_reply_error_claim(r, 404, "not-found", "no such claim", h, n);
	bool done;
	struct api_idem k;
	int rc = api_idem_begin(r, a, &done, &k);
	if (rc || done)
		return rc;
	size_t len = 0;
	const char *body = zt_req_body(r, &len);
	struct zt_json_doc *d = NULL;
	struct zt_json_writer *w = NULL;
	struct zt_claims_reverse_res *res = NULL;
	struct zt_store *s = NULL;
	const char *setl_id = NULL, *reason = NULL;
	bool has_id = false, has_reason = false;
	unsigned status = 500;
	static const char *const members[] = {"setl_id", "reason", NULL};
	if ((rc = zt_json_writer_new(&w, false)) != 0)
		goto done;
	if (zt_json_parse(&d, body, len, NULL) != 0) {
		status = 400;
		rc = zt_settlement_json_error(w, "malformed-json", zt_error_last(), h, n);
		goto answer;
	}
	const struct zt_json *root = zt_json_root(d);
	zt_error_clear();
	if (zt_json_check_members(root, members) != 0 ||
	    zt_json_get_text(&setl_id, &has_id, root, "setl_id", 31) != 0 ||
	    zt_json_get_text(&reason, &has_reason, root, "reason", ZT_TEXT_CHARS_MAX) != 0 ||
	    !has_id || !has_reason) {
		char m[ZT_MESSAGE_BYTES_MAX];
		snprintf(m, sizeof m, "the body is {\"setl_id\": \"S…\", \"reason\": \"…\"}%s%s",
		         zt_error_last()[0] ? ": " : "", zt_error_last());
		status = 400;
		rc = zt_settlement_json_error(w, "invalid-request", m, h, n);
		goto answer;
	}
	char actor[ZT_ACTOR_BYTES];
	if (api_actor(r, actor) != 0)
		goto done; /* answered 400: kept */
	if (!(res = malloc(sizeof *res))) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if (api_store(r, a, false, &s) != 0)
		goto done; /* answered 5xx: not kept */
	const struct zt_claims_reverse_req req = {h, n, reason, actor, setl_id};
	rc = zt_claims_reverse(s, &req, res);
	zt_store_close(s);
	if (rc == ZT_EINVAL) {
		status = 400;
		rc = zt_settlement_json_error(w, "invalid-request", zt_error_last(), h, n);
	} else if (rc) {
		rc = api_fail(r, rc);
		goto done;
	} else if (res->rejected) {
		status = 409;
		rc = zt_settlement_json_error(w, "not-settled", res->message, h, n);
	} else {
		status = res->replayed ? 200 : 201;
		rc = zt_settlement_json(w, &res->reversal, true, api_view(r));
	}
answer:
	if (rc == 0)
		rc = zt_reply_json(r, status, w);
done:
	/* what was answered is kept (a 5xx, or no answer, is not) */
	api_idem_end(r, a, &k);
	zt_json_writer_free(w);
	free(res);
	zt_json_doc_free(d);
	return rc;
}

/* ---- show -------------------------------------------------------------------------- */

#define SHOW_MAX 64

struct shown {
	int n;
	bool more;
	struct zt_stored_settlement st[SHOW_MAX];
	/* the fee lines of the claim as last settled, for a caller who sees
	 * items (ZT_VIEW_CLINICAL); NULL when not read */
	struct zt_claim *items;
};

static int collect(void *ctx, const struct zt_stored_settlement *st)
{
	struct shown *c = ctx;
	if (c->n == SHOW_MAX) {
		c->more = true;
		return 0;
	}
	c->st[c->n++] = *st;
	return 0;
}

/* Whether the caller reaches settlement st (its hospital, the funds it paid). */
static bool reaches(struct zt_request *r, const struct zt_stored_settlement *st)
{
	const char *funds[3 + ZT_RELIEF_MAX];
	size_t nf = 0;
	for (int i = 0; i < st->fund_count && nf < sizeof funds / sizeof *funds; i++)
		funds[nf++] = st->funds[i].fund_code;
	return api_in_scope(r, ZT_OP_CLAIM_READ, st->fixmedins_code, funds, nf);
}

/* The claim's canonical items (zt_claim_items_text) into c->items. */
static int items_seen(void *ctx, const struct zt_stored_claim *x)
{
	struct zt_claim *c = ctx;
	char msg[ZT_MESSAGE_BYTES_MAX];
	if (!x->items)
		return 0;
	if (zt_claim_items_parse(c, x->items, msg, sizeof msg) != 0)
		return zt_error_set(ZT_EINTERNAL, "claim #%lld: stored items: %s", (long long)x->row, msg);
	return 0;
}

/* The fee lines of the claim as it was last settled (the claim of the
 * newest settlement), read in their own snapshot. */
static int read_items(struct zt_store *s, struct shown *c)
{
	int64_t row = c->st[c->n - 1].claim_row;
	c->items = calloc(1, sizeof *c->items);
	if (!c->items)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	zt_claim_init(c->items);
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = s->ops->claims.get_claim(s, row, items_seen, c->items);
	s->ops->rollback(s);
	return rc;
}

/* "items": the claim's fee lines with the names and lexical forms of the
 * claim itself (docs/spec/service.md "Bodies"), an extension member of the
 * claim's history (docs/openapi.json ClaimHistory). */
static int write_items(struct zt_json_writer *w, const struct zt_claim *c)
{
	zt_json_write_key(w, "items");
	zt_json_write_array_begin(w);
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		char lv[4];
		snprintf(lv, sizeof lv, "%02d", it->chrgitm_lv);
		const char *text[][2] = {{"feedetl_sn", it->feedetl_sn},
		                         {"med_list_codg", it->med_list_codg},
		                         {"med_chrgitm_type", it->med_chrgitm_type},
		                         {"chrgitm_lv", lv}};
		zt_json_write_object_begin(w);
		for (size_t k = 0; k < sizeof text / sizeof *text; k++) {
			zt_json_write_key(w, text[k][0]);
			zt_json_write_string(w, text[k][1]);
		}
		zt_json_write_key(w, "pric");
		zt_json_write_q4(w, it->pric);
		zt_json_write_key(w, "cnt");
		zt_json_write_q4(w, it->cnt);
		zt_json_write_key(w, "det_item_fee_sumamt");
		zt_json_write_amount(w, it->det_item_fee_sumamt);
		if (it->has_pric_uplmt) {
			zt_json_write_key(w, "pric_uplmt_amt");
			zt_json_write_q4(w, it->pric_uplmt_amt);
		}
		if (it->has_selfpay_prop) {
			zt_json_write_key(w, "selfpay_prop");
			zt_json_write_ratio(w, it->selfpay_prop_bp);
		}
		zt_json_write_object_end(w);
	}
	return zt_json_write_array_end(w);
}

static int reply_shown(struct zt_request *r, const struct shown *c, bool one, const char *h,
                       const char *n)
{
	static const enum zt_format offered[] = {ZT_FORMAT_JSON, ZT_FORMAT_XML};
	enum zt_format f = zt_req_negotiate(r, offered, 2);
	if (f == ZT_FORMAT_NONE)
		return zt_reply_not_acceptable(r, offered, 2);
	if (f == ZT_FORMAT_XML) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		if (!m)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		const struct zt_stored_settlement *list[SHOW_MAX];
		for (int i = 0; i < c->n; i++)
			list[i] = &c->st[i];
		int rc = zt_settlement_xml_write(m, 2, list, one ? 1 : c->n);
		fclose(m);
		if (rc == 0)
			rc = zt_reply(r, 200, ZT_FORMAT_XML, text, len);
		free(text);
		return rc;
	}
	struct zt_json_writer *w = NULL;
	int rc = zt_json_writer_new(&w, false);
	unsigned view = api_view(r);
	if (rc == 0 && one) {
		rc = zt_settlement_json(w, &c->st[0], true, view);
	} else if (rc == 0) {
		zt_json_write_object_begin(w);
		zt_json_write_key(w, "fixmedins_code");
		zt_json_write_string(w, h);
		zt_json_write_key(w, "claim_no");
		zt_json_write_string(w, n);
		zt_json_write_key(w, "settlements");
		zt_json_write_array_begin(w);
		for (int i = 0; rc == 0 && i < c->n; i++)
			rc = zt_settlement_json(w, &c->st[i], true, view);
		zt_json_write_array_end(w);
		if (rc == 0 && c->items)
			rc = write_items(w, c->items);
		rc = rc ? rc : zt_json_write_object_end(w);
	}
	if (rc == 0)
		rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

static int show(struct zt_request *r, struct zt_api *a, const struct zt_claims_show_req *req)
{
	struct shown *c = calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	struct zt_store *s = NULL;
	int rc = 0;
	if (api_store(r, a, true, &s) != 0)
		goto done;
	rc = zt_claims_show(s, req, collect, c);
	bool mine = rc == 0 && c->n > 0;
	for (int i = 0; mine && i < c->n; i++)
		mine = reaches(r, &c->st[i]);
	/* a claim's history carries its items for those who see them
	 * (docs/spec/service.md "Roles": finance never does) */
	if (mine && !req->setl_id && (api_view(r) & ZT_VIEW_CLINICAL))
		rc = read_items(s, c);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND || (rc == 0 && !mine)) {
		/* not there and not the caller's: one answer */
		rc = req->setl_id
		             ? zt_reply_error(r, 404, "not-found", "there is no settlement or reversal '%s'",
		                              req->setl_id)
		             : zt_reply_error(r, 404, "not-found",
		                              "claim '%s' of hospital '%s' has never been settled",
		                              req->claim_no, req->hospital);
		goto done;
	}
	if (rc) {
		rc = api_fail(r, rc);
		goto done;
	}
	if (req->setl_id) {
		/* the one asked for (a settlement comes before its reversal) */
		for (int i = 0; i < c->n; i++)
			if (strcmp(c->st[i].setl_id, req->setl_id) == 0 && i) {
				c->st[0] = c->st[i];
				break;
			}
	}
	rc = reply_shown(r, c, req->setl_id != NULL, req->hospital, req->claim_no);
done:
	if (c->items) {
		zt_claim_free(c->items);
		free(c->items);
	}
	free(c);
	return rc;
}

static int get_claim(struct zt_request *r, void *ctx)
{
	const char *h = zt_req_param(r, "fixmedins_code"), *n = zt_req_param(r, "claim_no");
	const struct zt_claims_show_req req = {.hospital = h, .claim_no = n};
	return show(r, ctx, &req);
}

static int get_settlement(struct zt_request *r, void *ctx)
{
	const struct zt_claims_show_req req = {.setl_id = zt_req_param(r, "setl_id")};
	return show(r, ctx, &req);
}

/* ---- search -------------------------------------------------------------------------- */

#define SEARCH_LIMIT_DEFAULT 100
#define SEARCH_LIMIT_MAX 1000

struct hit {
	char setl_id[32];
	char kind[8], reverses[32];
	char fixmedins_code[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	zt_date adm_date, dscg_date;
	zt_fen medfee, fund, hosp, psn;
	char settled_at[32];
	bool by_funds; /* a fund administrator's: reached if one of its funds paid it */
};

struct search {
	struct zt_request *r;
	zt_date setl_from, setl_to;
	const char *after;
	struct hit *h;
	size_t n, cap;
	int rc;
};

static int search_row(void *ctx, const struct zt_claim_line *l)
{
	struct search *x = ctx;
	if (x->after && strcmp(l->setl_id, x->after) <= 0)
		return 0;
	if (x->setl_from || x->setl_to) {
		/* the day of settled_at (stored in UTC) in the pool's zone:
		 * docs/spec/service.md "Endpoints" */
		zt_date d = zt_timestamp_local_date(l->settled_at);
		if (!d)
			return 0;
		if ((x->setl_from && d < x->setl_from) || (x->setl_to && d > x->setl_to))
			return 0;
	}
	/* a desk's hospitals, or any for a role without a scope; a fund
	 * administrator reaches a line by the funds that paid it, which the
	 * line does not say: decided once the lines are in order (funds_reach) */
	bool by_funds = false;
	if (!api_in_scope(x->r, ZT_OP_CLAIM_READ, l->fixmedins_code, NULL, 0)) {
		if (!(api_roles(x->r, ZT_OP_CLAIM_READ) & ZT_USER_FUND_ADMIN))
			return 0;
		by_funds = true;
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		struct hit *nh = realloc(x->h, cap * sizeof *nh);
		if (!nh)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		x->h = nh;
		x->cap = cap;
	}
	struct hit *h = &x->h[x->n++];
	memset(h, 0, sizeof *h);
	snprintf(h->setl_id, sizeof h->setl_id, "%s", l->setl_id);
	snprintf(h->kind, sizeof h->kind, "%s", l->kind);
	snprintf(h->reverses, sizeof h->reverses, "%s", l->reverses);
	snprintf(h->fixmedins_code, sizeof h->fixmedins_code, "%s", l->fixmedins_code);
	snprintf(h->claim_no, sizeof h->claim_no, "%s", l->claim_no);
	snprintf(h->psn_no, sizeof h->psn_no, "%s", l->psn_no);
	snprintf(h->settled_at, sizeof h->settled_at, "%s", l->settled_at);
	h->adm_date = l->adm_date;
	h->dscg_date = l->dscg_date;
	h->medfee = l->medfee_sumamt;
	h->fund = l->fund_pay_sumamt;
	h->hosp = l->hosp_part_amt;
	h->psn = l->psn_part_amt;
	h->by_funds = by_funds;
	return 0;
}

struct reach {
	struct zt_request *r;
	const char *setl_id;
	bool yes;
};

static int reach_one(void *ctx, const struct zt_stored_settlement *st)
{
	struct reach *x = ctx;
	if (strcmp(st->setl_id, x->setl_id) == 0)
		x->yes = reaches(x->r, st);
	return 0;
}

/* Whether the caller reaches hit h by the funds that paid it (a reversal:
 * those of the settlement it reverses, the same shares negated), read with
 * the settlement (zt_claims_show): only for the lines a page shows, so a
 * fund administrator's search reads as many settlements as it answers,
 * plus those of other funds before them. */
static int funds_reach(struct zt_request *r, struct zt_store *s, const struct hit *h, bool *yes)
{
	struct reach x = {.r = r, .setl_id = h->setl_id};
	const struct zt_claims_show_req req = {.setl_id = h->setl_id};
	int rc = zt_claims_show(s, &req, reach_one, &x);
	*yes = rc == 0 && x.yes;
	return rc == ZT_ENOTFOUND ? 0 : rc;
}

static int by_setl_id(const void *p, const void *q)
{
	return strcmp(((const struct hit *)p)->setl_id, ((const struct hit *)q)->setl_id);
}

/* The cursor: the last setl_id given and a digest of the filters, so that
 * a cursor is never read under other filters. */
static unsigned long long filters_digest(struct zt_request *r)
{
	static const char *const keys[] = {"psn_no", "fixmedins_code", "dscg_from", "dscg_to",
	                                   "setl_from", "setl_to", "limit"};
	unsigned long long h = 1469598103934665603ULL;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const char *v = zt_req_query(r, keys[i]);
		for (const char *p = v ? v : "\x01"; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xFF) * 1099511628211ULL;
	}
	return h;
}

static int query_date(zt_date *out, struct zt_request *r, const char *key)
{
	const char *v = zt_req_query(r, key);
	*out = 0;
	if (v && zt_parse_date(out, v, strlen(v)) != 0) {
		int rc = zt_reply_error(r, 400, "invalid-query", "%s: %s", key, zt_error_last());
		return rc ? rc : 1;
	}
	return 0;
}

static int search_settlements(struct zt_request *r, void *ctx)
{
	static const char *const allowed[] = {"psn_no", "fixmedins_code", "dscg_from", "dscg_to",
	                                      "setl_from", "setl_to", "limit", "after", NULL};
	if (zt_req_query_check(r, allowed) != 0)
		return zt_reply_error(r, 400, "invalid-query", "%s", zt_error_last());
	struct search x = {.r = r};
	struct zt_claim_filter f = {.psn_no = zt_req_query(r, "psn_no"),
	                            .hospital = zt_req_query(r, "fixmedins_code")};
	int qrc;
	if ((qrc = query_date(&f.from, r, "dscg_from")) || (qrc = query_date(&f.to, r, "dscg_to")) ||
	    (qrc = query_date(&x.setl_from, r, "setl_from")) ||
	    (qrc = query_date(&x.setl_to, r, "setl_to")))
		return qrc < 0 ? qrc : 0;
	long limit = SEARCH_LIMIT_DEFAULT;
	const char *lv = zt_req_query(r, "limit");
	if (lv) {
		char *end;
		limit = strtol(lv, &end, 10);
		if (!lv[0] || *end || limit < 1 || limit > SEARCH_LIMIT_MAX)
			return zt_reply_error(r, 400, "invalid-query", "limit is 1 to %d", SEARCH_LIMIT_MAX);
	}
	unsigned long long digest = filters_digest(r);
	char after[32] = "";
	const char *cur = zt_req_query(r, "after");
	if (cur) {
		unsigned long long d = 0;
		char id[32];
		if (sscanf(cur, "%31[A-Z0-9].%16llx", id, &d) != 2 || d != digest)
			return zt_reply_error(r, 400, "invalid-cursor",
			                      "this cursor is not one of this search's");
		snprintf(after, sizeof after, "%s", id);
		x.after = after;
	}
	/* a desk without the hospital named sees none of it: the same as none */
	struct zt_store *s = NULL;
	int rc = 0;
	if (api_store(r, ctx, true, &s) != 0)
		return 0;
	rc = zt_claims_list(s, &f, search_row, &x);
	if (x.n)
		qsort(x.h, x.n, sizeof *x.h, by_setl_id);
	/* the page: the first `limit` lines the caller reaches, in order */
	size_t shown = 0;
	bool more = false;
	for (size_t i = 0; rc == 0 && i < x.n; i++) {
		bool yes = true;
		if (x.h[i].by_funds && ((rc = funds_reach(r, s, &x.h[i], &yes)) != 0 || !yes))
			continue;
		if (shown == (size_t)limit) {
			more = true;
			break;
		}
		x.h[shown++] = x.h[i];
	}
	zt_store_close(s);
	if (rc) {
		free(x.h);
		return api_fail(r, rc);
	}
	unsigned view = api_view(r);
	struct zt_json_writer *w = NULL;
	if ((rc = zt_json_writer_new(&w, false)) != 0) {
		free(x.h);
		return rc;
	}
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "settlements");
	zt_json_write_array_begin(w);
	for (size_t i = 0; i < shown; i++) {
		const struct hit *h = &x.h[i];
		const struct zt_claim_line l = {
		    .setl_id = h->setl_id, .kind = h->kind, .reverses = h->reverses,
		    .fixmedins_code = h->fixmedins_code, .claim_no = h->claim_no, .psn_no = h->psn_no,
		    .adm_date = h->adm_date, .dscg_date = h->dscg_date, .medfee_sumamt = h->medfee,
		    .fund_pay_sumamt = h->fund, .hosp_part_amt = h->hosp, .psn_part_amt = h->psn,
		    .settled_at = h->settled_at, .actor = "", .reason = ""};
		zt_claim_line_json(w, &l, view);
	}
	zt_json_write_array_end(w);
	zt_json_write_key(w, "next");
	if (more) {
		char next[64];
		snprintf(next, sizeof next, "%s.%016llx", x.h[shown - 1].setl_id, digest);
		zt_json_write_string(w, next);
	} else {
		zt_json_write_null(w);
	}
	zt_json_write_object_end(w);
	free(x.h);
	rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

/* ---- slip ---------------------------------------------------------------------------- */

static int get_slip(struct zt_request *r, void *ctx)
{
	static const enum zt_format offered[] = {ZT_FORMAT_TEXT, ZT_FORMAT_HTML, ZT_FORMAT_PDF};
	enum zt_format f = zt_req_negotiate(r, offered, 3);
	if (f == ZT_FORMAT_NONE)
		return zt_reply_not_acceptable(r, offered, 3);
	const char *setl_id = zt_req_param(r, "setl_id");
	/* the verification code under the pool's signing key, if it has one */
	const struct zt_slip_keys *keys = ((struct zt_api *)ctx)->slip_keys;
	const struct zt_slip_key *k = keys && keys->signing >= 0 ? &keys->key[keys->signing] : NULL;
	const struct zt_slip_req req = {.setl_id = setl_id,
	                                .key = k ? k->bytes : NULL,
	                                .key_len = k ? k->len : 0,
	                                .key_id = k ? k->id : NULL,
	                                .qr_prefix = keys && keys->verify_url[0] ? keys->verify_url
	                                                                         : NULL};
	struct zt_slip sl;
	struct zt_slip_arena arena = {0};
	struct zt_store *s = NULL;
	if (api_store(r, ctx, true, &s) != 0)
		return 0;
	int rc = zt_slip_build(s, &req, &sl, &arena);
	zt_store_close(s);
	if (rc == ZT_ENOTFOUND || (rc == 0 && !api_in_scope(r, ZT_OP_SLIP, sl.hospital_code, NULL, 0))) {
		zt_slip_arena_free(&arena);
		return zt_reply_error(r, 404, "not-found", "there is no settlement or reversal '%s'",
		                      setl_id);
	}
	if (rc) {
		zt_slip_arena_free(&arena);
		return api_fail(r, rc);
	}
	struct zt_strbuf b = {0};
	if (f == ZT_FORMAT_PDF) {
		rc = zt_slip_render_pdf(zt_strbuf_write, &b, &sl, NULL);
	} else if (f == ZT_FORMAT_HTML) {
		rc = zt_slip_render_html(zt_strbuf_write, &b, &sl);
	} else {
		const struct zt_slip_text_opts o = {0};
		rc = zt_slip_render_text(zt_strbuf_write, &b, &sl, &o);
	}
	zt_slip_arena_free(&arena);
	if (rc == 0)
		rc = zt_reply(r, 200, f, b.data ? b.data : "", b.len);
	zt_strbuf_free(&b);
	return rc;
}

/* ---- the routes ---------------------------------------------------------------------- */

int api_claims_routes(struct zt_api *a, struct zt_service *s)
{
	const unsigned both = ZT_BODY(ZT_FORMAT_JSON) | ZT_BODY(ZT_FORMAT_XML);
	const struct zt_route routes[] = {
		{.method = "POST", .path = "/v1/claims", .op = ZT_OP_CLAIM_SUBMIT, .bodies = both,
		 .handler = post_claims, .ctx = a,
		 .summary = "claim submit: one claim (201, 200 again, 409, 422, 403) or a list (200)"},
		{.method = "POST", .path = "/v1/quotes", .op = ZT_OP_CLAIM_QUOTE, .bodies = both,
		 .handler = post_quotes, .ctx = a, .summary = "claim quote: nothing stored"},
		{.method = "POST", .path = "/v1/claims/{fixmedins_code}/{claim_no}/reversal",
		 .op = ZT_OP_CLAIM_REVERSE, .bodies = ZT_BODY(ZT_FORMAT_JSON), .body_bytes_max = 16384,
		 .handler = post_reversal, .ctx = a,
		 .summary = "claim reverse by setl_id: 201, 200 the same reversal again, 409 not-settled"},
		{.method = "GET", .path = "/v1/claims/{fixmedins_code}/{claim_no}",
		 .op = ZT_OP_CLAIM_READ, .handler = get_claim, .ctx = a,
		 .summary = "every settlement and reversal under the claim"},
		{.method = "GET", .path = "/v1/settlements/{setl_id}", .op = ZT_OP_CLAIM_READ,
		 .handler = get_settlement, .ctx = a, .summary = "one settlement with its trace"},
		{.method = "GET", .path = "/v1/settlements", .op = ZT_OP_CLAIM_READ,
		 .handler = search_settlements, .ctx = a,
		 .summary = "search by person, hospital, discharge or settlement dates; cursor paging"},
		{.method = "GET", .path = "/v1/settlements/{setl_id}/slip", .op = ZT_OP_SLIP,
		 .handler = get_slip, .ctx = a, .summary = "the slip: text/plain, text/html or application/pdf"},
	};
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		int rc = zt_service_add_route(s, &routes[i]);
		if (rc)
			return rc;
	}
	return 0;
}
