/* zhitong — a fund share's trace rendered (render/src/trace.c), from the
 * engine's list of its named values (trace.h zt_trace_attrs): the XML
 * element of settlement.xsd, the JSON object of the service and the text
 * lines of `claim show`. Pure: data in, bytes out. */
#ifndef ZHITONG_RENDER_TRACE_H
#define ZHITONG_RENDER_TRACE_H

#include <stddef.h>
#include <stdio.h>

#include "zhitong/trace.h"

/* The trace as the XML element of settlement.xsd (<basic …/> …), as
 * zhitong has always written it: attributes in a fixed order, characters
 * beyond ASCII as character references. Writes at most `cap` bytes with
 * the NUL; returns the length, or ZT_ERANGE (message set) when it does
 * not fit (ZT_TRACE_XML_BYTES is always enough), ZT_EINVAL for text that
 * is not UTF-8. A zt_trace_xml_fn: what the payer file is written with. */
zt_trace_xml_fn zt_trace_xml;
/* A settlement's <fund fund_pay_type="…" fund_payamt="…">trace</fund>,
 * the attributes escaped as the writer does; the same returns (give it
 * ZT_TRACE_XML_BYTES and two fund codes' and an amount's room more). */
int zt_trace_xml_fund(char *buf, size_t cap, const char *fund_code, const char *amount,
                      const struct zt_fund_trace *t);
/* The trace as the lines of `claim show`: the formula of its kind with its
 * numbers filled in, each line indented by six spaces. */
int zt_trace_text(FILE *out, const struct zt_fund_trace *t);
/* The trace as a JSON object (the service's settlement JSON,
 * docs/spec/service.md "Bodies"): "kind" (the XML element's name) and the
 * XML element's attributes under the same names, as strings with the same
 * text; a critical trace's segments as "segments": [{…}]. */
struct zt_json_writer;
int zt_trace_json(struct zt_json_writer *w, const struct zt_fund_trace *t);

#endif
