/* zhitong — fuzz target: a payer's answer to a batch (gateway.h
 * zt_gateway_parse_ack, schema/payer-ack.xsd; docs/batches.md).
 *
 * The input is the body of a payer's answer for batch B390100-000001.
 * Refused: a negative code, failure ZT_GW_FAIL_ANSWER, nothing allocated
 * left behind. Accepted: what the format promises — ACCEPTED without
 * rejects and with a receipt, REJECTED with each rejected record once, a
 * receipt wherever records were accepted — and what reaches the database
 * and the people reading it (receipt, records, reasons, the message) is
 * one line of visible text (text.h). Reading a second answer into the
 * same result leaks nothing. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/gateway.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

#define BATCH "B390100-000001"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

static void line(const char *what, const char *s)
{
	ZT_FUZZ_CHECK(zt_text_check(what, s, strlen(s), (size_t)-1, ZT_TEXT_LINE) == 0, "%s",
	              zt_error_last());
}

static void check(const struct zt_gateway_result *r, int rc)
{
	line("the message", r->message);
	if (rc) {
		ZT_FUZZ_CHECK(rc < 0, "code %d", rc);
		ZT_FUZZ_CHECK(r->failure == ZT_GW_FAIL_ANSWER, "failure %d", (int)r->failure);
		ZT_FUZZ_CHECK(r->rejects == NULL && r->reject_count == 0, "rejects left behind");
		ZT_FUZZ_CHECK(r->message[0] != '\0', "refused without a message");
		return;
	}
	ZT_FUZZ_CHECK(r->failure == ZT_GW_FAIL_NONE, "failure %d", (int)r->failure);
	line("the receipt", r->receipt_id);
	if (r->status == ZT_GW_ACCEPTED) {
		ZT_FUZZ_CHECK(r->reject_count == 0 && r->receipt_id[0], "accepted: %zu rejects, '%s'",
		              r->reject_count, r->receipt_id);
		return;
	}
	ZT_FUZZ_CHECK(r->status == ZT_GW_REJECTED, "status %d", (int)r->status);
	ZT_FUZZ_CHECK(r->reject_count == 0 || r->receipt_id[0], "records accepted without a receipt");
	for (size_t i = 0; i < r->reject_count; i++) {
		const struct zt_gateway_reject *x = &r->rejects[i];
		ZT_FUZZ_CHECK(x->record_id[0] && x->reason[0], "reject %zu: '%s' '%s'", i, x->record_id,
		              x->reason);
		line("a record", x->record_id);
		line("a reason", x->reason);
		for (size_t k = 0; k < i; k++)
			ZT_FUZZ_CHECK(strcmp(r->rejects[k].record_id, x->record_id) != 0,
			              "record '%s' rejected twice", x->record_id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	struct zt_gateway_result r;
	memset(&r, 0, sizeof r);
	int rc = zt_gateway_parse_ack(&r, (const char *)data, size, "ack.xml", BATCH);
	check(&r, rc);
	/* the same result again: the first answer's rejects must not leak */
	int rc2 = zt_gateway_parse_ack(&r, (const char *)data, size, "ack.xml", BATCH);
	ZT_FUZZ_CHECK(rc2 == rc, "%d, then %d", rc, rc2);
	check(&r, rc2);
	zt_gateway_result_free(&r);
	ZT_FUZZ_CHECK(r.rejects == NULL && r.reject_count == 0, "freed, rejects remain");
	return 0;
}
