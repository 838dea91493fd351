/* zhitong — fuzz target: the XML claim reader (zhitong/claim_stream.h
 * ZT_CLAIM_FORMAT_XML, claim_reader.c: the streaming reader of `claim
 * submit`; schema/claim.xsd and claim-v2.xsd).
 *
 * The input is a claim file (claim v1 or v2, one claim or a list), read
 * from a buffer source twice; what is checked is in claim_check.h: each
 * claim rejected with a code and a message or read into a claim that obeys
 * the lexical rules, a whole-input refusal with a code and a message, and
 * the same answers and digests when read again. */
#include "claim_check.h"
#include "zhitong/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	claim_fuzz(data, size, ZT_CLAIM_FORMAT_XML);
	return 0;
}
