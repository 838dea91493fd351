/* zhitong — the claim stream over either reader (see claim_stream.h). */
#include "claim_reader.h"

#include "zhitong/error.h"

int zt_claim_stream_open(struct zt_claim_stream **out, const struct zt_source *src,
                         enum zt_claim_format format)
{
	switch (format) {
	case ZT_CLAIM_FORMAT_XML: return zt_claim_xml_open(out, src);
	case ZT_CLAIM_FORMAT_JSON: return zt_claim_json_open(out, src);
	}
	return zt_error_set(ZT_EINTERNAL, "unknown claim format %d", (int)format);
}

const struct zt_claim_msg *zt_claim_stream_next(struct zt_claim_stream *s)
{
	const struct zt_claim_msg *m = s->ops->next(s);
	if (m)
		s->bytes = m->bytes;
	return m;
}

int zt_claim_stream_status(struct zt_claim_stream *s) { return s->ops->status(s); }

int zt_claim_stream_version(struct zt_claim_stream *s) { return s->version; }

uint64_t zt_claim_stream_bytes(struct zt_claim_stream *s) { return s->bytes; }

void zt_claim_stream_close(struct zt_claim_stream *s)
{
	if (s)
		s->ops->close(s);
}
