/* zhitong — claims read from a source, one at a time, whatever the format.
 *
 * A claim stream turns a source (source.h) into plain claims in input
 * order, each either read (struct zt_claim) or rejected as schema-invalid
 * in its place with a message, so that the settle pipeline takes claims
 * from either reader the same way:
 *
 *   XML   a <claim> or a <claims> list of claim v1 (urn:zhitong:claim:1) or
 *         v2 (urn:zhitong:claim:2), the version of the root's namespace
 *         (docs/spec/claim-v2-national.md §1). Streamed on a thread of its
 *         own: memory is the ring of ZT_READER_SLOTS claims plus one
 *         claim's tree, whatever the size of the file; a single claim is
 *         capped in bytes, items and elements while it streams
 *         (limits.h), before it is validated.
 *   JSON  an object (one claim) or an array (a list) of claims v2
 *         (docs/spec/service.md "Bodies"); the body is read whole (at most
 *         ZT_JSON_BYTES_MAX).
 *
 * A document that cannot be read at all (not well-formed, a DOCTYPE, not
 * JSON, an unknown root) is refused whole: next() returns NULL and
 * status() the refusal — claims handed out before are to be discarded.
 *
 *     struct zt_claim_stream *cs;
 *     rc = zt_claim_stream_open(&cs, &src, ZT_CLAIM_FORMAT_XML);
 *     const struct zt_claim_msg *m;
 *     while ((m = zt_claim_stream_next(cs)) != NULL)
 *             m->rejected ? answer_rejection(m) : settle(&m->claim);
 *     rc = zt_claim_stream_status(cs);   // 0, or the whole input refused
 *     zt_claim_stream_close(cs);
 */
#ifndef ZHITONG_CLAIM_STREAM_H
#define ZHITONG_CLAIM_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "claim.h"
#include "json.h"
#include "limits.h"
#include "source.h"
#include "split.h" /* zt_reject */

enum zt_claim_format {
	ZT_CLAIM_FORMAT_XML,
	ZT_CLAIM_FORMAT_JSON,
};

/* One claim as read. */
struct zt_claim_msg {
	bool rejected;                      /* schema-invalid: only the fields below */
	zt_reject code;
	char message[ZT_MESSAGE_BYTES_MAX];
	/* what could be read of the rejected claim's identity ("" if nothing) */
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
	struct zt_claim claim;              /* valid when !rejected */
	uint64_t bytes;                     /* input consumed when it was read (progress) */
};

struct zt_claim_stream;

/* Starts reading `src` (which must outlive the stream). Errors here are
 * ZT_ENOMEM or an embedded schema that does not compile (a bug); a bad
 * input shows at next()/status(). */
int zt_claim_stream_open(struct zt_claim_stream **out, const struct zt_source *src,
                         enum zt_claim_format format);
/* The next claim in input order, or NULL at the end or when the input is
 * refused. The previous message is released by this call. */
const struct zt_claim_msg *zt_claim_stream_next(struct zt_claim_stream *s);
/* The k-th claim after the one next() handed out last (1 <= k <=
 * ZT_CLAIM_STREAM_AHEAD), read now, or NULL past the end. The first call
 * moves *cur (what next() handed out) to a copy of its own; from then on
 * every message is a copy, valid until next() has passed it. */
#define ZT_CLAIM_STREAM_AHEAD 16
const struct zt_claim_msg *zt_claim_stream_peek(struct zt_claim_stream *s, int k,
                                                const struct zt_claim_msg **cur);
/* After next() returned NULL: 0, or the whole-input refusal
 * (ZT_EMALFORMED: not well-formed XML, a DOCTYPE, not JSON; ZT_EINVAL: not
 * a claim document; ZT_ERANGE: over a whole-document limit; ZT_ENOTFOUND:
 * the source could not be read) with zt_error_last() set. */
int zt_claim_stream_status(struct zt_claim_stream *s);
/* The claim format's version of the input (1 or 2), known once next() has
 * returned (a claim, or NULL at the end of a document that was read); 0
 * before, or when the input was refused before its root. */
int zt_claim_stream_version(struct zt_claim_stream *s);
/* Bytes of the input consumed as of the claim last handed out. */
uint64_t zt_claim_stream_bytes(struct zt_claim_stream *s);
/* Stops reading (if still going) and frees everything. NULL is fine. */
void zt_claim_stream_close(struct zt_claim_stream *s);

/* ---- JSON claims (claim_json.c) -------------------------------------
 *
 * One JSON claim object (docs/spec/service.md "Bodies", the fields of
 * claim v2) into out (reset first; out->version = 2). Members: those of
 * the XML format with the same names, `items` an array of item objects,
 * `national` an object whose `setl_id` is a member. Amounts, prices,
 * quantities and ratios are JSON strings in the lexical forms of
 * docs/spec/interfaces.md or JSON numbers without an exponent, read from
 * their text; identifiers pass the same checks as in XML (text.h), lengths
 * in characters; `null` is absent; an unknown member is refused. 0, or
 * ZT_EINVAL with a one-line message naming the member in msg
 * (ZT_MESSAGE_BYTES_MAX), and what could be read of the claim's identity in
 * out (a schema-invalid rejection); ZT_ENOMEM. */
int zt_claim_from_json(struct zt_claim *out, const struct zt_json *obj, char *msg,
                       size_t msg_bytes);

#endif
