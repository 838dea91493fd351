/* zhitong — claims as JSON (docs/spec/service.md "Bodies"; the fields of
 * claim v2, docs/spec/claim-v2-national.md §1): one claim object into a
 * zt_claim, and the claim stream over a JSON body (see claim_stream.h).
 *
 * A JSON claim carries the same fields with the same names as the XML
 * one, so it passes the same checks: what claim-v2.xsd says (required
 * members, lengths in characters, the lexical forms of amounts, codes and
 * dates, 1 to ZT_ITEMS_PER_CLAIM_MAX items) is said here in C, and what
 * the XML reader checks after the schema (identifiers by text.h, unique
 * feedetl_sn, the national setl_id, the five bill fields all or none) by
 * the same functions. The same claim read from either format gives the
 * same zt_claim, hence the same digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_reader.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/text.h"

static const char *const claim_members[] = {
	"fixmedins_code", "claim_no", "psn_no", "adm_date", "dscg_date", "dscg_maindiag_code",
	"medfee_sumamt", "items", "ipt_no", "dept_name", "deposit", "national", NULL};
static const char *const item_members[] = {
	"feedetl_sn", "med_list_codg", "med_chrgitm_type", "chrgitm_lv", "pric", "cnt",
	"det_item_fee_sumamt", "pric_uplmt_amt", "selfpay_prop", NULL};
static const char *const national_members[] = {
	"setl_id", "hifp_pay", "hifmi_pay", "maf_pay", "fulamt_ownpay_amt", "overlmt_selfpay",
	"preselfpay_amt", "inscp_scp_amt", "act_pay_dedc", NULL};

/* The message just set, placed at the member (json.c's messages say where
 * already; text.h's do not). */
static int at_member(int rc, const struct zt_json *v, const char *key)
{
	char m[ZT_MESSAGE_BYTES_MAX];
	snprintf(m, sizeof m, "%s", zt_error_last());
	return zt_error_set(rc, "json: at byte %zu: '%s': %s", v->offset, key, m);
}

/* A string member of 1..max_chars characters as an identifier or a name
 * (text.h) into dst; absent and not required: dst is left empty. A name is
 * taken as XML's xs:token takes it (ends trimmed, inner runs of spaces
 * folded to one) before its length is counted, so that the same name
 * gives the same claim in either format. */
static int text_member(char *dst, size_t cap, const struct zt_json *obj, const char *key,
                       size_t max_chars, enum zt_text_kind kind, bool required)
{
	const char *t;
	bool present = true;
	int rc = zt_json_get_text(&t, required ? NULL : &present, obj, key, 0);
	if (rc || !present)
		return rc;
	const struct zt_json *v = zt_json_member(obj, key);
	char folded[ZT_UTF8_BYTES(ZT_JSON_STRING_CHARS_MAX)];
	size_t used = 0;
	for (size_t i = 0; i < v->bytes && used + 1 < sizeof folded; i++) {
		if (kind == ZT_TEXT_LINE && t[i] == ' ' && (used == 0 || folded[used - 1] == ' '))
			continue;
		folded[used++] = t[i];
	}
	if (used && folded[used - 1] == ' ')
		used--;
	folded[used] = '\0';
	if (used == 0)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s' is empty", v->offset, key);
	if ((rc = zt_text_check(NULL, folded, used, max_chars, kind)) != 0)
		return at_member(rc, v, key);
	if (used >= cap)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s' is longer than %zu bytes",
		                    v->offset, key, cap - 1);
	memcpy(dst, folded, used + 1);
	return 0;
}

/* A code of the national lists: a string matching the XSD's pattern. */
static int code_member(char *dst, size_t cap, const struct zt_json *obj, const char *key,
                       bool (*ok)(const char *s, size_t n))
{
	const char *t;
	int rc = zt_json_get_text(&t, NULL, obj, key, cap - 1);
	if (rc)
		return rc;
	const struct zt_json *v = zt_json_member(obj, key);
	if (!ok(t, v->bytes))
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s': '%.*s' is not one of its codes",
		                    v->offset, key, (int)(v->bytes > 8 ? 8 : v->bytes), t);
	memcpy(dst, t, v->bytes + 1);
	return 0;
}

static bool digit(char c) { return c >= '0' && c <= '9'; }

/* 0[1-9]|1[0-4] */
static bool chrgitm_type_ok(const char *s, size_t n)
{
	return n == 2 && ((s[0] == '0' && s[1] >= '1' && s[1] <= '9') ||
	                  (s[0] == '1' && s[1] >= '0' && s[1] <= '4'));
}

/* 0?[123] */
static bool chrgitm_lv_ok(const char *s, size_t n)
{
	if (n == 2 && s[0] == '0')
		s++, n--;
	return n == 1 && digit(s[0]) && s[0] >= '1' && s[0] <= '3';
}

static int read_item(struct zt_item *it, const struct zt_json *v)
{
	char lv[3];
	int rc;
	if ((rc = zt_json_check_members(v, item_members)) != 0 ||
	    (rc = text_member(it->feedetl_sn, sizeof it->feedetl_sn, v, "feedetl_sn",
	                      ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT, true)) != 0 ||
	    (rc = text_member(it->med_list_codg, sizeof it->med_list_codg, v, "med_list_codg",
	                      ZT_LIST_CODE_CHARS_MAX, ZT_TEXT_IDENT, true)) != 0 ||
	    (rc = code_member(it->med_chrgitm_type, sizeof it->med_chrgitm_type, v,
	                      "med_chrgitm_type", chrgitm_type_ok)) != 0 ||
	    (rc = code_member(lv, sizeof lv, v, "chrgitm_lv", chrgitm_lv_ok)) != 0 ||
	    (rc = zt_json_get_q4(&it->pric, NULL, v, "pric")) != 0 ||
	    (rc = zt_json_get_q4(&it->cnt, NULL, v, "cnt")) != 0 ||
	    (rc = zt_json_get_amount(&it->det_item_fee_sumamt, NULL, v, "det_item_fee_sumamt")) != 0 ||
	    (rc = zt_json_get_q4(&it->pric_uplmt_amt, &it->has_pric_uplmt, v, "pric_uplmt_amt")) != 0 ||
	    (rc = zt_json_get_ratio(&it->selfpay_prop_bp, &it->has_selfpay_prop, v, "selfpay_prop")) != 0)
		return rc;
	it->chrgitm_lv = lv[strlen(lv) - 1] - '0';
	return 0;
}

static int read_items(struct zt_claim *c, const struct zt_json *obj)
{
	const struct zt_json *items;
	int rc = zt_json_get_array(&items, NULL, obj, "items");
	if (rc)
		return rc;
	if (items->count == 0)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: 'items' is empty: a claim has 1 to "
		                    "%d items", items->offset, ZT_ITEMS_PER_CLAIM_MAX);
	if (items->count > ZT_ITEMS_PER_CLAIM_MAX)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: 'items' has %zu items: a claim has 1 "
		                    "to %d (ZT_ITEMS_PER_CLAIM_MAX)", items->offset, items->count,
		                    ZT_ITEMS_PER_CLAIM_MAX);
	for (size_t i = 0; i < items->count; i++) {
		struct zt_item *it = zt_claim_add_item(c);
		if (!it)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		if ((rc = read_item(it, items->items[i])) != 0) {
			char m[ZT_MESSAGE_BYTES_MAX];
			snprintf(m, sizeof m, "%s", zt_error_last());
			return zt_error_set(rc, "item %zu: %s", i + 1, m);
		}
	}
	return 0;
}

static int read_national(struct zt_claim_national *n, const struct zt_json *obj)
{
	const struct zt_json *v;
	bool present;
	int rc = zt_json_get_object(&v, &present, obj, "national");
	if (rc || !present)
		return rc;
	const char *id;
	if ((rc = zt_json_check_members(v, national_members)) != 0 ||
	    (rc = zt_json_get_text(&id, NULL, v, "setl_id", 0)) != 0)
		return rc;
	const struct zt_json *idv = zt_json_member(v, "setl_id");
	if ((rc = zt_claim_check_national_setl_id(id, idv->bytes)) != 0)
		return at_member(rc, idv, "setl_id");
	memcpy(n->setl_id, id, idv->bytes + 1);
	if ((rc = zt_json_get_amount(&n->hifp_pay, NULL, v, "hifp_pay")) != 0 ||
	    (rc = zt_json_get_amount(&n->hifmi_pay, NULL, v, "hifmi_pay")) != 0 ||
	    (rc = zt_json_get_amount(&n->maf_pay, NULL, v, "maf_pay")) != 0)
		return rc;
	static const char *const bill[] = {"fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
	                                   "inscp_scp_amt", "act_pay_dedc"};
	zt_fen *const out[] = {&n->fulamt_ownpay_amt, &n->overlmt_selfpay, &n->preselfpay_amt,
	                       &n->inscp_scp_amt, &n->act_pay_dedc};
	int seen = 0;
	for (int i = 0; i < 5; i++) {
		if ((rc = zt_json_get_amount(out[i], &present, v, bill[i])) != 0)
			return rc;
		seen += present;
	}
	if (seen != 0 && seen != 5)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: 'national': fulamt_ownpay_amt, "
		                    "overlmt_selfpay, preselfpay_amt, inscp_scp_amt and act_pay_dedc "
		                    "come all five or not at all (%d given)", v->offset, seen);
	n->has_bill_fields = seen == 5;
	return 1; /* present */
}

int zt_claim_from_json(struct zt_claim *c, const struct zt_json *obj, char *msg, size_t msg_bytes)
{
	zt_claim_reset(c);
	c->version = 2;
	int rc;
	if ((rc = zt_json_check_members(obj, claim_members)) != 0)
		goto fail;
	/* the identity first, for the rejection's attributes */
	if ((rc = text_member(c->fixmedins_code, sizeof c->fixmedins_code, obj, "fixmedins_code",
	                      ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT, true)) != 0 ||
	    (rc = text_member(c->claim_no, sizeof c->claim_no, obj, "claim_no",
	                      ZT_CLAIM_NO_CHARS_MAX, ZT_TEXT_IDENT, true)) != 0 ||
	    (rc = text_member(c->psn_no, sizeof c->psn_no, obj, "psn_no", ZT_CODE_CHARS_MAX,
	                      ZT_TEXT_IDENT, true)) != 0 ||
	    (rc = zt_json_get_date(&c->adm_date, NULL, obj, "adm_date")) != 0 ||
	    (rc = zt_json_get_date(&c->dscg_date, NULL, obj, "dscg_date")) != 0 ||
	    (rc = text_member(c->dscg_maindiag_code, sizeof c->dscg_maindiag_code, obj,
	                      "dscg_maindiag_code", ZT_DIAG_CHARS_MAX, ZT_TEXT_IDENT, true)) != 0 ||
	    (rc = zt_json_get_amount(&c->medfee_sumamt, NULL, obj, "medfee_sumamt")) != 0 ||
	    (rc = read_items(c, obj)) != 0 ||
	    (rc = text_member(c->ipt_no, sizeof c->ipt_no, obj, "ipt_no", ZT_CODE_CHARS_MAX,
	                      ZT_TEXT_IDENT, false)) != 0 ||
	    (rc = text_member(c->dept_name, sizeof c->dept_name, obj, "dept_name",
	                      ZT_NAME_CHARS_MAX, ZT_TEXT_LINE, false)) != 0 ||
	    (rc = zt_json_get_amount(&c->deposit, &c->has_deposit, obj, "deposit")) != 0)
		goto fail;
	if ((rc = read_national(&c->national, obj)) < 0)
		goto fail;
	c->has_national = rc == 1;
	return zt_claim_check(c, msg, msg_bytes);
fail:
	if (rc != ZT_ENOMEM)
		rc = ZT_EINVAL; /* ZT_ERANGE of an amount too: the claim is schema-invalid */
	snprintf(msg, msg_bytes, "%s", zt_error_last());
	return rc;
}

/* ---- the stream over a JSON body --------------------------------------- */

struct json_stream {
	struct zt_claim_stream base;
	char *text;
	struct zt_json_doc *doc;
	const struct zt_json *const *claims; /* the list, or the one object */
	const struct zt_json *one;
	size_t count, next;
	int status;
	char status_msg[ZT_MESSAGE_BYTES_MAX];
	struct zt_claim_msg msg;
};

static void peek(char *dst, size_t cap, const struct zt_json *obj, const char *key)
{
	const struct zt_json *v = obj && obj->type == ZT_JSON_OBJECT ? zt_json_member(obj, key) : NULL;
	dst[0] = '\0';
	if (v && v->type == ZT_JSON_STRING && v->bytes < cap &&
	    zt_text_check(NULL, v->text, v->bytes, (size_t)-1, ZT_TEXT_IDENT) == 0)
		memcpy(dst, v->text, v->bytes + 1);
}

static const struct zt_claim_msg *json_next(struct zt_claim_stream *base)
{
	struct json_stream *s = (struct json_stream *)base;
	if (s->status || s->next >= s->count)
		return NULL;
	const struct zt_json *v = s->claims ? s->claims[s->next] : s->one;
	struct zt_claim_msg *m = &s->msg;
	s->next++;
	m->rejected = false;
	m->code = ZT_REJ_NONE;
	m->message[0] = m->hospital[0] = m->claim_no[0] = '\0';
	m->bytes = v->offset;
	int rc = v->type == ZT_JSON_OBJECT
	                 ? zt_claim_from_json(&m->claim, v, m->message, sizeof m->message)
	                 : zt_error_set(ZT_EINVAL, "json: at byte %zu: a claim is an object, not %s%s",
	                                v->offset, v->type == ZT_JSON_ARRAY ? "an " :
	                                v->type >= ZT_JSON_NUMBER ? "a " : "", zt_json_type_name(v->type));
	if (rc == ZT_ENOMEM) {
		s->status = rc;
		snprintf(s->status_msg, sizeof s->status_msg, "%s", zt_error_last());
		return NULL;
	}
	if (rc) {
		if (v->type != ZT_JSON_OBJECT)
			snprintf(m->message, sizeof m->message, "%s", zt_error_last());
		m->rejected = true;
		m->code = ZT_REJ_SCHEMA_INVALID;
		peek(m->hospital, sizeof m->hospital, v, "fixmedins_code");
		peek(m->claim_no, sizeof m->claim_no, v, "claim_no");
	}
	return m;
}

static int json_status(struct zt_claim_stream *base)
{
	struct json_stream *s = (struct json_stream *)base;
	if (s->status)
		zt_error_set(s->status, "%s", s->status_msg);
	return s->status;
}

static void json_close(struct zt_claim_stream *base)
{
	struct json_stream *s = (struct json_stream *)base;
	zt_json_doc_free(s->doc);
	free(s->text);
	zt_claim_free(&s->msg.claim);
	free(s);
}

static const struct claim_stream_ops json_ops = {json_next, json_status, json_close};

/* Reads and parses the whole body; a body that is not JSON, or not a claim
 * or a list of claims, is refused whole (the status). */
static int json_load(struct json_stream *s, const struct zt_source *src)
{
	size_t len;
	int rc = zt_source_read_all(&s->text, &len, src, ZT_JSON_BYTES_MAX);
	if (rc == ZT_ERANGE)
		return zt_error_set(rc, "%s is larger than %u bytes (ZT_JSON_BYTES_MAX)",
		                    zt_source_name(src), (unsigned)ZT_JSON_BYTES_MAX);
	if (rc == 0)
		rc = zt_json_parse(&s->doc, s->text, len, NULL);
	if (rc)
		return rc;
	const struct zt_json *root = zt_json_root(s->doc);
	if (root->type == ZT_JSON_ARRAY) {
		s->claims = root->items;
		s->count = root->count;
	} else if (root->type == ZT_JSON_OBJECT) {
		s->one = root;
		s->count = 1;
	} else {
		return zt_error_set(ZT_EINVAL, "%s: the body is %s, not a claim object or a list of "
		                    "claims", zt_source_name(src), zt_json_type_name(root->type));
	}
	return 0;
}

int zt_claim_json_open(struct zt_claim_stream **out, const struct zt_source *src)
{
	struct json_stream *s = zt_calloc(1, sizeof *s);
	if (!s)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	s->base.ops = &json_ops;
	s->base.version = 2; /* JSON has no namespace: claim v2, a superset of v1 */
	zt_claim_init(&s->msg.claim);
	int rc = json_load(s, src);
	if (rc == ZT_ENOMEM) {
		json_close(&s->base);
		return rc;
	}
	if (rc) {
		s->status = rc;
		snprintf(s->status_msg, sizeof s->status_msg, "%s", zt_error_last());
	}
	*out = &s->base;
	return 0;
}
