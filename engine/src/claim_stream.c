/* zhitong — the claim stream over either reader (see claim_stream.h). */
#include "claim_reader.h"

#include "zhitong/error.h"

#include <stdlib.h>
#include <string.h>

int zt_claim_stream_open(struct zt_claim_stream **out, const struct zt_source *src,
                         enum zt_claim_format format)
{
	switch (format) {
	case ZT_CLAIM_FORMAT_XML: return zt_claim_xml_open(out, src);
	case ZT_CLAIM_FORMAT_JSON: return zt_claim_json_open(out, src);
	}
	return zt_error_set(ZT_EINTERNAL, "unknown claim format %d", (int)format);
}

#define RING (ZT_CLAIM_STREAM_AHEAD + 1)

/* m copied into the ring's slot i (its items buffer kept) */
static int ring_put(struct zt_claim_stream *s, int i, const struct zt_claim_msg *m)
{
	struct zt_claim_msg *d = &s->ring[i];
	struct zt_item *items = d->claim.items;
	int cap = d->claim.item_cap, n = m->claim.item_count > 0 ? m->claim.item_count : 0;
	if (n > cap) {
		struct zt_item *g = realloc(items, (size_t)n * sizeof *g);
		if (!g)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		items = g;
		cap = n;
	}
	*d = *m;
	d->claim.items = items;
	d->claim.item_cap = cap;
	if (n)
		memcpy(items, m->claim.items, (size_t)n * sizeof *items);
	return 0;
}

/* the next message of the reader into the ring, after those in it */
static const struct zt_claim_msg *ring_read(struct zt_claim_stream *s)
{
	if (s->ring_end)
		return NULL;
	const struct zt_claim_msg *m = s->ops->next(s);
	int i = (s->ring_head + s->ring_n) % RING;
	if (!m || ring_put(s, i, m) != 0) {
		s->ring_end = true; /* a copy that failed: the end (status says) */
		if (m)
			s->ring_failed = true;
		return NULL;
	}
	s->ring_n++;
	return &s->ring[i];
}

const struct zt_claim_msg *zt_claim_stream_next(struct zt_claim_stream *s)
{
	const struct zt_claim_msg *m;
	if (s->ring) {
		if (s->ring_n > 0) { /* the one handed out is passed */
			s->ring_head = (s->ring_head + 1) % RING;
			s->ring_n--;
		}
		m = s->ring_n ? &s->ring[s->ring_head] : ring_read(s);
	} else {
		m = s->ops->next(s);
	}
	if (m)
		s->bytes = m->bytes;
	return m;
}

const struct zt_claim_msg *zt_claim_stream_peek(struct zt_claim_stream *s, int k,
                                                const struct zt_claim_msg **cur)
{
	if (k < 1 || k > ZT_CLAIM_STREAM_AHEAD || !*cur)
		return NULL;
	if (!s->ring) {
		if (!(s->ring = calloc(RING, sizeof *s->ring)) || ring_put(s, 0, *cur) != 0) {
			free(s->ring);
			s->ring = NULL;
			return NULL;
		}
		s->ring_head = 0;
		s->ring_n = 1;
		*cur = &s->ring[0];
	}
	while (s->ring_n <= k)
		if (!ring_read(s))
			return NULL;
	return &s->ring[(s->ring_head + k) % RING];
}

int zt_claim_stream_status(struct zt_claim_stream *s)
{
	if (s->ring_failed)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	return s->ops->status(s);
}

int zt_claim_stream_version(struct zt_claim_stream *s) { return s->version; }

uint64_t zt_claim_stream_bytes(struct zt_claim_stream *s) { return s->bytes; }

void zt_claim_stream_close(struct zt_claim_stream *s)
{
	if (!s)
		return;
	if (s->ring) {
		for (int i = 0; i < RING; i++)
			free(s->ring[i].claim.items);
		free(s->ring);
	}
	s->ops->close(s);
}
