/* zhitong — the settlement answer as XML (schema/settlement.xsd,
 * settlement-v2.xsd), rendered from the use cases' data.
 *
 * One <settlements> document: a <settlement> per settlement or reversal
 * (setlinfo, setldetail with each fund's trace, trace.h) and a <rejection>
 * per rejected claim, in the order given. Byte for byte what zhitong has
 * always answered (tests/test_golden.c): libxml2's text writer, two spaces
 * of indent, the trace's element as render/src/trace.c writes it.
 *
 *   a writer    zt_settlement_xml_open / _settlement / _rejection / _finish
 *   a sink      zt_settlement_xml_sink: the outcomes of zt_settle_source
 *               (settle.h) spooled to a temporary file and copied to `out`
 *               only when the use case says the answer is final
 *   a document  zt_settlement_xml_write: stored settlements (claim show,
 *               claim reverse) */
#ifndef ZHITONG_RENDER_SETTLEMENT_H
#define ZHITONG_RENDER_SETTLEMENT_H

#include <stdbool.h>
#include <stdio.h>

#include "zhitong/settle.h"
#include "zhitong/store.h"

#define ZT_SETTLEMENT_NS_V1 "urn:zhitong:settlement:1"
/* The answer to a claim v2 (docs/spec/claim-v2-national.md §1): for now the
 * v1 content in the v2 namespace. */
#define ZT_SETTLEMENT_NS_V2 "urn:zhitong:settlement:2"

struct zt_settlement_xml;

/* Starts a <settlements> document of `version` (2: the v2 namespace; any
 * other: v1) on `f`, which the caller keeps. */
int zt_settlement_xml_open(struct zt_settlement_xml **out, FILE *f, int version);
/* One <settlement>; `with_setl_id` false in a quote (the number is given
 * back by the rollback). ZT_EIO when the writer fails. */
int zt_settlement_xml_settlement(struct zt_settlement_xml *w, const struct zt_stored_settlement *st,
                                 bool with_setl_id);
/* One <rejection code="…">message</rejection>; hospital and claim_no are
 * left out when empty. */
int zt_settlement_xml_rejection(struct zt_settlement_xml *w, const char *hospital,
                                const char *claim_no, const char *code, const char *message);
/* Ends the document and flushes it to the FILE; frees the writer. */
int zt_settlement_xml_finish(struct zt_settlement_xml *w);
/* Frees a writer not finished (NULL is fine). */
void zt_settlement_xml_free(struct zt_settlement_xml *w);

/* A whole document of stored settlements, in the order given. */
int zt_settlement_xml_write(FILE *out, int version, const struct zt_stored_settlement *const *list,
                            int n);

/* The answer of `claim submit` and `claim quote`: fills `sink` so that the
 * outcomes are written to a spool file while the input is read, and the
 * spool copied to `out` (NULL: nowhere) in `committed`. A failure to write
 * `out` sets the message to the system's reason alone (the use case says
 * the rest: settle.h). Free with zt_settlement_xml_sink_free. */
struct zt_settlement_xml_sink {
	FILE *out;
	bool quote;
	FILE *spool;
	struct zt_settlement_xml *w;
};
void zt_settlement_xml_sink(struct zt_settle_sink *sink, struct zt_settlement_xml_sink *x,
                            FILE *out, bool quote);
void zt_settlement_xml_sink_free(struct zt_settlement_xml_sink *x);

/* Copies what was spooled in `spool` to `out` (from its start) and flushes:
 * 0, or ZT_EIO with the system's reason alone as the message. */
int zt_render_spool_copy(FILE *out, FILE *spool);

#endif
