/* zhitong — what the claim fuzz targets (fuzz_claim.c: XML, fuzz_claim_json.c:
 * JSON) check of a claim stream (zhitong/claim_stream.h), shared.
 *
 * The input is read through a claim stream from a buffer source, twice:
 *   - the stream opens (only ZT_ENOMEM may refuse it);
 *   - each claim is either rejected schema-invalid with a code and a
 *     message, or read into a zt_claim whose every field obeys the lexical
 *     rules (docs/spec/interfaces.md): identifiers visible and within their
 *     lengths, real dates, amounts, prices and quantities in range, items
 *     unique, zt_claim_check passes, and its canonical items text reads back
 *     to the same text;
 *   - the input consumed never goes back and never passes the input's size;
 *   - the end is 0 or a whole-input refusal (ZT_EMALFORMED, ZT_EINVAL,
 *     ZT_ERANGE) with a message;
 *   - read again, the same input gives the same end and version and, when
 *     it was not refused whole, the same answers: the same verdict for each
 *     claim, the same rejection codes, the same claim digests
 *     (zt_claim_digest). (Of an input refused whole, how many claims were
 *     handed out before the refusal depends on the reader thread's timing:
 *     they are to be discarded, claim_stream.h.) */
#ifndef ZHITONG_FUZZ_CLAIM_CHECK_H
#define ZHITONG_FUZZ_CLAIM_CHECK_H

#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/claim.h"
#include "zhitong/claim_stream.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"
#include "zhitong/source.h"
#include "zhitong/text.h"

static void claim_ident(const char *what, const char *s, size_t max)
{
	ZT_FUZZ_CHECK(s[0] && zt_text_check(what, s, strlen(s), max, ZT_TEXT_IDENT) == 0, "%s '%s': %s",
	              what, s, zt_error_last());
}

static void claim_check(const struct zt_claim *c)
{
	ZT_FUZZ_CHECK(c->version == 1 || c->version == 2, "version %d", c->version);
	claim_ident("fixmedins_code", c->fixmedins_code, ZT_CODE_CHARS_MAX);
	claim_ident("claim_no", c->claim_no, ZT_CLAIM_NO_CHARS_MAX);
	claim_ident("psn_no", c->psn_no, ZT_CODE_CHARS_MAX);
	claim_ident("dscg_maindiag_code", c->dscg_maindiag_code, ZT_DIAG_CHARS_MAX);
	if (c->ipt_no[0])
		claim_ident("ipt_no", c->ipt_no, ZT_CODE_CHARS_MAX);
	if (c->dept_name[0])
		ZT_FUZZ_CHECK(zt_text_check("dept_name", c->dept_name, strlen(c->dept_name),
		                            ZT_NAME_CHARS_MAX, ZT_TEXT_LINE) == 0,
		              "dept_name '%s': %s", c->dept_name, zt_error_last());
	ZT_FUZZ_CHECK(c->version == 2 || (!c->ipt_no[0] && !c->dept_name[0] && !c->has_deposit &&
	                                  !c->has_national),
	              "v2 fields in a v1 claim");
	ZT_FUZZ_CHECK(zt_date_valid(c->adm_date) && zt_date_valid(c->dscg_date), "dates %d %d",
	              c->adm_date, c->dscg_date);
	ZT_FUZZ_CHECK(c->medfee_sumamt >= 0 && c->medfee_sumamt <= ZT_FEN_MAX, "medfee_sumamt %lld",
	              (long long)c->medfee_sumamt);
	ZT_FUZZ_CHECK(!c->has_deposit || (c->deposit >= 0 && c->deposit <= ZT_FEN_MAX), "deposit %lld",
	              (long long)c->deposit);
	if (c->has_national) {
		const struct zt_claim_national *n = &c->national;
		ZT_FUZZ_CHECK(zt_claim_check_national_setl_id(n->setl_id, strlen(n->setl_id)) == 0,
		              "setl_id '%s'", n->setl_id);
		const zt_fen v[] = {n->hifp_pay, n->hifmi_pay, n->maf_pay, n->fulamt_ownpay_amt,
		                    n->overlmt_selfpay, n->preselfpay_amt, n->inscp_scp_amt,
		                    n->act_pay_dedc};
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
			ZT_FUZZ_CHECK(v[i] >= 0 && v[i] <= ZT_FEN_MAX, "national amount %zu: %lld", i,
			              (long long)v[i]);
	}
	ZT_FUZZ_CHECK(c->item_count >= 1 && c->item_count <= ZT_ITEMS_PER_CLAIM_MAX, "%d items",
	              c->item_count);
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		claim_ident("feedetl_sn", it->feedetl_sn, ZT_CODE_CHARS_MAX);
		claim_ident("med_list_codg", it->med_list_codg, ZT_LIST_CODE_CHARS_MAX);
		ZT_FUZZ_CHECK(it->chrgitm_lv >= 1 && it->chrgitm_lv <= 3, "chrgitm_lv %d", it->chrgitm_lv);
		ZT_FUZZ_CHECK(it->pric >= 0 && it->pric <= ZT_Q4_MAX && it->cnt >= 0 &&
		                  it->cnt <= ZT_Q4_MAX,
		              "item %d: pric %lld cnt %lld", i, (long long)it->pric, (long long)it->cnt);
		ZT_FUZZ_CHECK(it->det_item_fee_sumamt >= 0 && it->det_item_fee_sumamt <= ZT_FEN_MAX,
		              "item %d: amount %lld", i, (long long)it->det_item_fee_sumamt);
		ZT_FUZZ_CHECK(!it->has_pric_uplmt ||
		                  (it->pric_uplmt_amt >= 0 && it->pric_uplmt_amt <= ZT_Q4_MAX),
		              "item %d: ceiling %lld", i, (long long)it->pric_uplmt_amt);
		ZT_FUZZ_CHECK(!it->has_selfpay_prop ||
		                  (it->selfpay_prop_bp >= 0 && it->selfpay_prop_bp <= ZT_BP_ONE),
		              "item %d: selfpay %d", i, it->selfpay_prop_bp);
		for (int k = 0; k < i; k++)
			ZT_FUZZ_CHECK(strcmp(c->items[k].feedetl_sn, it->feedetl_sn) != 0,
			              "feedetl_sn '%s' twice", it->feedetl_sn);
	}
	char msg[ZT_MESSAGE_BYTES_MAX];
	ZT_FUZZ_CHECK(zt_claim_check(c, msg, sizeof msg) == 0, "a claim read fails its check: %s", msg);
	/* the canonical items text reads back to itself (what verify relies on) */
	char *text = zt_claim_items_text(c);
	ZT_FUZZ_CHECK(text != NULL, "items text");
	struct zt_claim back;
	zt_claim_init(&back);
	ZT_FUZZ_CHECK(zt_claim_items_parse(&back, text, msg, sizeof msg) == 0, "items text: %s", msg);
	char *again = zt_claim_items_text(&back);
	ZT_FUZZ_CHECK(again && strcmp(text, again) == 0, "items text changed:\n%s\n%s", text, again);
	free(again);
	free(text);
	zt_claim_free(&back);
}

/* What one reading of the input answered. */
struct claim_answer {
	int status, version, count;
	size_t cap;
	struct claim_seen {
		bool rejected;
		zt_reject code;
		unsigned char digest[ZT_DIGEST_BYTES];
	} *seen;
};

static void claim_read(struct claim_answer *a, const uint8_t *data, size_t size,
                       enum zt_claim_format format)
{
	memset(a, 0, sizeof *a);
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, data, size, "claims");
	struct zt_claim_stream *s = NULL;
	int rc = zt_claim_stream_open(&s, &src, format);
	ZT_FUZZ_CHECK(rc == 0, "open: %d %s", rc, zt_error_last());
	const struct zt_claim_msg *m;
	uint64_t consumed = 0;
	while ((m = zt_claim_stream_next(s)) != NULL) {
		ZT_FUZZ_CHECK(m->bytes >= consumed && m->bytes <= size, "consumed %llu after %llu of %zu",
		              (unsigned long long)m->bytes, (unsigned long long)consumed, size);
		consumed = m->bytes;
		if ((size_t)a->count == a->cap) {
			a->cap = a->cap ? 2 * a->cap : 16;
			a->seen = realloc(a->seen, a->cap * sizeof *a->seen);
			ZT_FUZZ_CHECK(a->seen != NULL, "out of memory");
		}
		struct claim_seen *x = &a->seen[a->count++];
		memset(x, 0, sizeof *x);
		x->rejected = m->rejected;
		if (m->rejected) {
			ZT_FUZZ_CHECK(m->message[0] != '\0', "a claim rejected without a message");
			ZT_FUZZ_CHECK(memchr(m->message, '\0', sizeof m->message) != NULL,
			              "an unterminated message");
			ZT_FUZZ_CHECK(zt_reject_name(m->code) != NULL, "reject code %d", (int)m->code);
			x->code = m->code;
		} else {
			claim_check(&m->claim);
			ZT_FUZZ_CHECK(format == ZT_CLAIM_FORMAT_XML || m->claim.version == 2,
			              "a JSON claim of version %d", m->claim.version);
			ZT_FUZZ_CHECK(zt_claim_digest(x->digest, &m->claim, NULL) == 0, "digest: %s",
			              zt_error_last());
		}
	}
	a->status = zt_claim_stream_status(s);
	ZT_FUZZ_CHECK(a->status == 0 || ((a->status == ZT_EMALFORMED || a->status == ZT_EINVAL ||
	                                  a->status == ZT_ERANGE) &&
	                                 zt_error_last()[0]),
	              "status %d: %s", a->status, zt_error_last());
	a->version = zt_claim_stream_version(s);
	ZT_FUZZ_CHECK(a->version >= 0 && a->version <= 2, "version %d", a->version);
	zt_claim_stream_close(s);
}

/* Reads the input twice and compares the two answers; and the check of
 * a bulk submission (zt_settle_check, which walks an XML input without
 * building a claim) refuses exactly what the stream refuses, with the same
 * code, and counts what it hands out. */
static void claim_fuzz(const uint8_t *data, size_t size, enum zt_claim_format format)
{
	struct claim_answer a, b;
	claim_read(&a, data, size, format);
	claim_read(&b, data, size, format);
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, data, size, "claims");
	uint64_t n = 0;
	int checked = zt_settle_check(&src, format, &n);
	ZT_FUZZ_CHECK(checked == a.status, "the check answered %d (%s), the stream %d", checked,
	              checked ? zt_error_last() : "", a.status);
	ZT_FUZZ_CHECK(checked != 0 || n == (uint64_t)a.count, "the check counted %llu, the stream %d",
	              (unsigned long long)n, a.count);
	ZT_FUZZ_CHECK(a.status == b.status && a.version == b.version,
	              "read again: status %d/%d, version %d/%d", a.status, b.status, a.version,
	              b.version);
	ZT_FUZZ_CHECK(a.status != 0 || a.count == b.count, "read again: %d/%d claims", a.count,
	              b.count);
	for (int i = 0; a.status == 0 && i < a.count; i++) {
		const struct claim_seen *x = &a.seen[i], *y = &b.seen[i];
		ZT_FUZZ_CHECK(x->rejected == y->rejected && x->code == y->code &&
		                  memcmp(x->digest, y->digest, ZT_DIGEST_BYTES) == 0,
		              "claim %d differs when read again", i);
	}
	free(a.seen);
	free(b.seen);
}

#endif
