/* zhitong — fuzz target: the JSON claim reader (zhitong/claim_stream.h
 * ZT_CLAIM_FORMAT_JSON, claim_json.c: the claims of the service's request
 * bodies; docs/spec/service.md "Bodies").
 *
 * The input is a body (one claim object or an array of them), read from a
 * buffer source twice; what is checked is in claim_check.h: each claim
 * rejected with a code and a message or read into a claim v2 that obeys the
 * lexical rules, a whole-body refusal with a code and a message, and the
 * same answers and digests when read again. */
#include "claim_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	claim_fuzz(data, size, ZT_CLAIM_FORMAT_JSON);
	return 0;
}
