/* zhitong — the trace of one fund share, as data (docs/spec/split.md; its
 * XML form is documented in schema/settlement.xsd, types basicTrace …
 * reversalTrace).
 *
 * Every input of the fund's formula, so that an auditor can redo the sum
 * with a pencil. The split fills the kind's struct (split.h); the store
 * keeps it in columns (one row per fund share, a row per tier segment),
 * never as text; the renderers write it as XML attributes or text lines
 * from this struct. */
#ifndef ZHITONG_TRACE_H
#define ZHITONG_TRACE_H

#include <stddef.h>
#include <stdio.h>

#include "limits.h"
#include "split.h"

enum zt_trace_kind {
	ZT_TRACE_BASIC,
	ZT_TRACE_CRITICAL,
	ZT_TRACE_ASSISTANCE,
	ZT_TRACE_RELIEF,
	ZT_TRACE_REVERSAL,
};
#define ZT_TRACE_KINDS 5
/* "basic" "critical" "assistance" "relief" "reversal": the element names
 * of settlement.xsd and the values of the store's trace_kind. */
extern const char *const zt_trace_kind_names[ZT_TRACE_KINDS];

/* A relief fund's trace: the split's, with the personal cap it closes. */
struct zt_trace_relief_share {
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)]; /* the fund's name in the policy */
	zt_bp cap_bp;                                /* the personal cap applied       */
	zt_fen psn0, target;
	struct zt_trace_relief fund;
};

/* The accumulator slots of a person's year: "basic", "crit_base",
 * "crit_paid", "assist", "relief:<fund code>" (with the NUL). */
#define ZT_SLOT_BYTES 16

/* A reversed share: what it took back out of which accumulator. */
struct zt_trace_reversal {
	char of[32];                                /* setl_id of the settlement reversed */
	char reason[ZT_UTF8_BYTES(ZT_TEXT_CHARS_MAX)];
	char slot[ZT_SLOT_BYTES];                   /* the accumulator                    */
	zt_fen paid_before, paid_after;
};

struct zt_fund_trace {
	enum zt_trace_kind kind;
	/* the registry facts the formulas used: the hospital's level (basic)
	 * and the person's category (the adjust of basic and critical, the
	 * category of assistance) */
	int hospital_level;
	zt_category category;
	union {
		struct zt_trace_basic basic;
		struct zt_trace_critical critical; /* weighted: Σ of its segments' */
		struct zt_trace_assistance assistance;
		struct zt_trace_relief_share relief;
		struct zt_trace_reversal reversal;
	} u;
};

/* The trace of share `sh` of split result `r` (zt_split_shares). */
void zt_trace_of_share(struct zt_fund_trace *out, const struct zt_policy *p,
                       const struct zt_split_ctx *ctx, const struct zt_split_result *r,
                       const struct zt_fund_share *sh);
/* The trace of the reversal of a share that moved accumulator `slot` from
 * paid_before to paid_after. */
void zt_trace_of_reversal(struct zt_fund_trace *out, const char *of, const char *reason,
                          const char *slot, zt_fen paid_before, zt_fen paid_after);
/* The weighted sum of a critical trace's segments (fen × bp). */
__int128 zt_trace_weighted(const struct zt_trace_critical *c);

/* ---- the trace as named values (trace_attrs.c) ---------------------------- */

/* settlement.xsd's attributes of the trace's element, in its order, each
 * with the text every rendering shows ("1234.50", "0.8500", "none"): the
 * renderers (render/: zhitong/render_trace.h) write XML, JSON and text
 * from this one list. */
#define ZT_TRACE_ATTRS_MAX 18
#define ZT_TRACE_VALUE_BYTES ZT_UTF8_BYTES(ZT_TEXT_CHARS_MAX)
struct zt_trace_attr {
	const char *name;
	char value[ZT_TRACE_VALUE_BYTES];
};
struct zt_trace_attrs {
	int n;
	struct zt_trace_attr a[ZT_TRACE_ATTRS_MAX];
};
/* The trace's element's; ZT_EINTERNAL for a trace of no kind. Its name is
 * zt_trace_kind_names[t->kind]; a critical trace's segments are each a
 * <segment> of their own (zt_trace_segment_attrs). */
int zt_trace_attrs(struct zt_trace_attrs *out, const struct zt_fund_trace *t);
void zt_trace_segment_attrs(struct zt_trace_attrs *out, const struct zt_trace_segment *g);
/* The value of `name` in the list, "" when it has none. */
const char *zt_trace_attr(const struct zt_trace_attrs *l, const char *name);

/* A renderer of the trace's XML element (render_trace.h zt_trace_xml is
 * the one): writes at most `cap` bytes with the NUL, returns the length or
 * a ZT_E* code. The payer file's writer takes one (batch.h), the engine
 * renders nothing itself. ZT_TRACE_XML_BYTES is always enough. */
#define ZT_TRACE_XML_BYTES 8192
typedef int zt_trace_xml_fn(char *out, size_t cap, const struct zt_fund_trace *t);

/* Reads a trace fragment zhitong wrote before traces were data (an XML
 * element of settlement.xsd) back into `out`, with the hardened XML reader
 * (xml.h): the conversion of old rows (SQLite migration 009). `hospital_level`
 * and `category` come from the settlement; the reversal's slot and reason
 * are read from the fragment. ZT_EMALFORMED or ZT_EINVAL with a message. */
int zt_trace_parse_xml(struct zt_fund_trace *out, const char *xml, size_t len,
                       int hospital_level, zt_category category);
/* Whether such a fragment says what `t` says: its element, every
 * attribute's name and value in order, and a critical trace's segments,
 * as zt_trace_attrs lists them (what every renderer writes). 0, or
 * ZT_EINTERNAL naming the first difference. */
int zt_trace_check_xml(const char *xml, size_t len, const struct zt_fund_trace *t);

#endif
