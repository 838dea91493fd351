/* zhitong — the claim readers behind zhitong/claim_stream.h (private).
 *
 * A stream is a small vtable that each reader fills: claim_reader.c reads
 * XML on a thread of its own (parsing and XSD validation, the costliest
 * steps, overlap with splitting and writing on the caller's thread) and
 * hands claims over through the ring of ring.h; claim_json.c reads a JSON
 * body whole and converts one claim per next(). */
#ifndef ZHITONG_CLAIM_READER_H
#define ZHITONG_CLAIM_READER_H

#include "zhitong/claim_stream.h"

/* Claims read ahead of the settling thread (the ring's slots). */
#define ZT_READER_SLOTS 64

struct claim_stream_ops {
	const struct zt_claim_msg *(*next)(struct zt_claim_stream *s);
	int (*status)(struct zt_claim_stream *s);
	void (*close)(struct zt_claim_stream *s);
};

/* The head of every reader's stream. `version` is set by the reader before
 * it hands out its first claim or ends (the ring orders the two threads). */
struct zt_claim_stream {
	const struct claim_stream_ops *ops;
	int version;
	uint64_t bytes; /* of the message last handed out */
	/* read ahead (zt_claim_stream_peek): copies, the one handed out first */
	struct zt_claim_msg *ring;
	int ring_head, ring_n;
	bool ring_end, ring_failed;
};

int zt_claim_xml_open(struct zt_claim_stream **out, const struct zt_source *src);
int zt_claim_json_open(struct zt_claim_stream **out, const struct zt_source *src);
/* Reads a whole XML claim file and says whether the stream would refuse it
 * (the same errors), without building or validating a claim: 0 and the
 * claims (and whatever stands in a claim's place) counted. */
int zt_claim_xml_check(const struct zt_source *src, uint64_t *claims);

#endif
