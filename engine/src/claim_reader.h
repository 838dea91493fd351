/* zhitong — a claim file read on its own thread (private).
 *
 * The reader thread parses the file with the hardened streaming reader,
 * expands each <claim>, validates it against claim.xsd (libxml2's XSD
 * validator, the costliest step), converts it to a plain zt_claim and puts
 * it in a bounded ring. The settling thread takes claims from the ring, so
 * parsing and validation overlap with splitting and writing. Memory is the
 * ring (ZT_READER_SLOTS claims) plus one claim's subtree, whatever the size
 * of the file. */
#ifndef ZHITONG_CLAIM_READER_H
#define ZHITONG_CLAIM_READER_H

#include <stdint.h>

#include "zhitong/limits.h"
#include "zhitong/split.h"

#define ZT_READER_SLOTS 64

struct zt_claim_msg {
	bool rejected;                      /* schema-invalid: only the fields below */
	zt_reject code;
	char message[ZT_MESSAGE_BYTES_MAX];
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	struct zt_claim claim;              /* valid when !rejected */
};

struct zt_claim_stream;

/* Opens `path` ("-" = stdin) and starts the reader thread. *size_out is the
 * file size (0 if unknown). Errors opening the file are returned here. */
int zt_claim_stream_open(struct zt_claim_stream **out, const char *path, uint64_t *size_out);
/* The next claim in file order, or NULL at the end of the file or when the
 * file is refused. The previous message is released by this call. */
const struct zt_claim_msg *zt_claim_stream_next(struct zt_claim_stream *s);
/* After next() returned NULL: 0, or the whole-file refusal (ZT_EMALFORMED,
 * ZT_EINVAL) with zt_error_last() set on the calling thread. */
int zt_claim_stream_status(struct zt_claim_stream *s);
/* Bytes of the file the parser has consumed (for progress). */
uint64_t zt_claim_stream_bytes(struct zt_claim_stream *s);
/* Stops the thread (if still running), joins it and frees everything. */
void zt_claim_stream_close(struct zt_claim_stream *s);

#endif
