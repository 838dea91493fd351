/* zhitong — fuzz target: the claim file reader (claim_reader.h, the
 * streaming reader of `claim submit`; schema/claim.xsd).
 *
 * PENDING: written against the reader as it was before the readers
 * refactor (zt_claim_stream_open on a path, private header); enabled after
 * the refactor lands (tests/fuzz/CMakeLists.txt ZT_FUZZ_PENDING_TARGETS):
 * adjust read_all() to the new entry call.
 *
 * The input is a claim file. Refused whole: ZT_EMALFORMED or ZT_EINVAL
 * with a message. Each claim either rejected schema-invalid with a message
 * or read into a zt_claim whose every field obeys the lexical rules
 * (docs/spec/interfaces.md): identifiers visible and within their lengths,
 * real dates, amounts, prices and quantities in range, and its canonical
 * items text reading back to the same text. */
#include <stdbool.h>
#include <string.h>

#include "claim_reader.h"
#include "fuzz.h"
#include "zhitong/claim.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

static void ident(const char *what, const char *s, size_t max)
{
	ZT_FUZZ_CHECK(s[0] && zt_text_check(what, s, strlen(s), max, ZT_TEXT_IDENT) == 0, "%s '%s': %s",
	              what, s, zt_error_last());
}

static void check_claim(const struct zt_claim *c)
{
	ident("fixmedins_code", c->fixmedins_code, ZT_CODE_CHARS_MAX);
	ident("claim_no", c->claim_no, ZT_CLAIM_NO_CHARS_MAX);
	ident("psn_no", c->psn_no, ZT_CODE_CHARS_MAX);
	ident("dscg_maindiag_code", c->dscg_maindiag_code, ZT_DIAG_CHARS_MAX);
	ZT_FUZZ_CHECK(zt_date_valid(c->adm_date) && zt_date_valid(c->dscg_date), "dates %d %d",
	              c->adm_date, c->dscg_date);
	ZT_FUZZ_CHECK(c->medfee_sumamt >= 0 && c->medfee_sumamt <= ZT_FEN_MAX, "medfee_sumamt %lld",
	              (long long)c->medfee_sumamt);
	ZT_FUZZ_CHECK(c->item_count >= 1 && c->item_count <= ZT_ITEMS_PER_CLAIM_MAX, "%d items",
	              c->item_count);
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		ident("feedetl_sn", it->feedetl_sn, ZT_CODE_CHARS_MAX);
		ident("med_list_codg", it->med_list_codg, ZT_LIST_CODE_CHARS_MAX);
		ZT_FUZZ_CHECK(it->chrgitm_lv >= 1 && it->chrgitm_lv <= 3, "chrgitm_lv %d", it->chrgitm_lv);
		ZT_FUZZ_CHECK(it->pric >= 0 && it->pric <= ZT_Q4_MAX && it->cnt >= 0 &&
		                  it->cnt <= ZT_Q4_MAX,
		              "item %d: pric %lld cnt %lld", i, (long long)it->pric, (long long)it->cnt);
		ZT_FUZZ_CHECK(it->det_item_fee_sumamt >= 0 && it->det_item_fee_sumamt <= ZT_FEN_MAX,
		              "item %d: amount %lld", i, (long long)it->det_item_fee_sumamt);
		ZT_FUZZ_CHECK(!it->has_selfpay_prop ||
		                  (it->selfpay_prop_bp >= 0 && it->selfpay_prop_bp <= ZT_BP_ONE),
		              "item %d: selfpay %d", i, it->selfpay_prop_bp);
		for (int k = 0; k < i; k++)
			ZT_FUZZ_CHECK(strcmp(c->items[k].feedetl_sn, it->feedetl_sn) != 0,
			              "feedetl_sn '%s' twice", it->feedetl_sn);
	}
	/* the canonical items text reads back to itself (what verify relies on) */
	char *text = zt_claim_items_text(c);
	ZT_FUZZ_CHECK(text != NULL, "items text");
	struct zt_claim back;
	zt_claim_init(&back);
	char msg[256];
	ZT_FUZZ_CHECK(zt_claim_items_parse(&back, text, msg, sizeof msg) == 0, "items text: %s", msg);
	char *again = zt_claim_items_text(&back);
	ZT_FUZZ_CHECK(again && strcmp(text, again) == 0, "items text changed:\n%s\n%s", text, again);
	free(again);
	free(text);
	zt_claim_free(&back);
}

/* The reader's entry call (adjust here after the refactor). */
static void read_all(const uint8_t *data, size_t size)
{
	const char *path = zt_fuzz_file(data, size);
	struct zt_claim_stream *s = NULL;
	uint64_t file_size = 0;
	int rc = zt_claim_stream_open(&s, path, &file_size);
	if (rc) {
		ZT_FUZZ_CHECK(rc < 0 && zt_error_last()[0], "open: %d", rc);
		return;
	}
	const struct zt_claim_msg *m;
	while ((m = zt_claim_stream_next(s)) != NULL) {
		if (m->rejected)
			ZT_FUZZ_CHECK(m->message[0] != '\0', "a claim rejected without a message");
		else
			check_claim(&m->claim);
	}
	rc = zt_claim_stream_status(s);
	ZT_FUZZ_CHECK(rc == 0 || ((rc == ZT_EMALFORMED || rc == ZT_EINVAL) && zt_error_last()[0]),
	              "status %d", rc);
	zt_claim_stream_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	read_all(data, size);
	return 0;
}
