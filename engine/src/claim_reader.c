/* zhitong — reading claim XML on a thread of its own (see claim_reader.h).
 *
 * The reader thread walks the file with the hardened streaming reader.
 * Each <claim> is kept whole in the reader's own tree — xmlTextReader-
 * Preserve on its start tag: the reader frees nothing of it while it walks
 * it, and nothing is copied — only while it stays under ZT_CLAIM_BYTES_MAX
 * bytes of input, ZT_ITEMS_PER_CLAIM_MAX items and ZT_CLAIM_ELEMENTS_MAX
 * elements (limits.h); past any of them what was kept is freed and the
 * rest of the claim is freed behind the reader as it is skipped (flat
 * memory), and the claim is rejected in its place, while the file's other
 * claims go on. A kept claim is validated against its version's XSD (the
 * ordered variant first: it is several times faster, and a claim valid
 * under it is valid; the real XSD decides the others), converted to a
 * plain zt_claim and put in the ring (ring.h); the reader, once past it,
 * leaves it in its tree (it is preserved): it is freed here then. */
#define _GNU_SOURCE
#include "claim_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "xml_int.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

struct xml_stream {
	struct zt_claim_stream base;
	struct zt_source src;
	const char *name;
	/* the reader thread's */
	xmlTextReaderPtr reader;
	uint64_t delivered; /* bytes handed to the parser (counted_read) */
	/* the last claim kept in the reader's tree (preserved): freed once
	 * the reader has gone past it */
	xmlNodePtr kept;
	const char *ns;                /* the file's claim namespace (by its root) */
	xmlSchemaValidCtxtPtr vctxt;   /* claim.xsd or claim-v2.xsd: decides */
	xmlSchemaValidCtxtPtr ordered; /* its xs:sequence variant: a fast first try */
	struct zt_xml_errors parse_errors; /* the reader's: the file is refused */
	struct zt_xml_errors claim_errors; /* one claim's schema errors: it is rejected */
	/* shared through the ring */
	struct zt_claim_msg *slots;
	struct zt_ring ring;
};

/* ---- keeping one <claim> while it streams ------------------------------- */

enum over { OVER_NONE, OVER_BYTES, OVER_ITEMS, OVER_ELEMENTS };

struct built {
	xmlNodePtr claim;   /* the <claim> in the reader's tree */
	enum over over;
	long line;          /* of the <claim> start tag */
	long items, elements;
	char hospital[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char claim_no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
};

static bool is_elem(const xmlNode *n) { return n->type == XML_ELEMENT_NODE; }

static bool named(const xmlNode *n, const char *name)
{
	return n && strcmp((const char *)n->name, name) == 0;
}

/* Best effort: the text of a direct child, for the rejection attributes —
 * whole if it fits, and only if it holds no white space, control or
 * invisible character (such a value is what could not be read: it is not
 * passed on to the hospital's system). */
static void peek_child(const xmlNode *claim, const char *name, char *dst, size_t cap)
{
	dst[0] = '\0';
	for (const xmlNode *c = claim ? claim->children : NULL; c; c = c->next)
		if (is_elem(c) && named(c, name)) {
			size_t len;
			const char *t = zt_xml_text(c, &len);
			if (len < cap && zt_text_check(NULL, t, len, (size_t)-1, ZT_TEXT_IDENT) == 0)
				snprintf(dst, cap, "%.*s", (int)len, t);
			return;
		}
}

/* The line of the reader's node: libxml2 keeps lines past 65535 of a text
 * node beside it, and of an element only through its children, which the
 * reader may not have read yet: then the parser's line is close. */
static long reader_line(xmlTextReaderPtr rd)
{
	xmlNodePtr cur = xmlTextReaderCurrentNode(rd);
	long line = cur ? xmlGetLineNo(cur) : -1;
	return line > 0 && line < 65535 ? line : xmlTextReaderGetParserLineNumber(rd);
}

/* Unlinks and frees n and every sibling before it. The reader has gone
 * past them and the parser has closed them: nothing refers to them. */
static void free_before(xmlNodePtr n)
{
	for (xmlNodePtr p = n ? n->prev : NULL, prev; p; p = prev) {
		prev = p->prev;
		xmlUnlinkNode(p);
		xmlFreeNode(p);
	}
}

/* Frees every child of n (all closed). */
static void free_children(xmlNodePtr n)
{
	while (n && n->children) {
		xmlNodePtr c = n->children;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
}

/* Stops keeping: the identity is kept for the rejection, what the reader
 * has gone past freed — the siblings before its node and before each of
 * its ancestors inside the claim —; what it reads of the claim from now on
 * is freed behind it (skip_behind). */
static void stop_keeping(struct built *b, xmlTextReaderPtr rd, enum over why)
{
	b->over = why;
	peek_child(b->claim, "fixmedins_code", b->hospital, sizeof b->hospital);
	peek_child(b->claim, "claim_no", b->claim_no, sizeof b->claim_no);
	for (xmlNodePtr n = xmlTextReaderCurrentNode(rd); n && n != b->claim; n = n->parent)
		free_before(n);
}

/* While a claim over a limit is skipped, the reader frees nothing of it
 * (it is preserved): what it has gone past is freed here, as the reader
 * itself does outside preserved nodes — the siblings before its node and,
 * on an end tag, the children of the element it ends. The node's
 * ancestors, still open, stay. */
static void skip_behind(xmlTextReaderPtr rd, int type, int depth, int base)
{
	xmlNodePtr cur = xmlTextReaderCurrentNode(rd);
	if (!cur || depth <= base)
		return;
	free_before(cur);
	if (type == XML_READER_TYPE_END_ELEMENT)
		free_children(cur);
}

/* The claim the reader has gone past, freed (the reader leaves a preserved
 * node in its tree). */
static void free_kept(struct xml_stream *s)
{
	if (!s->kept)
		return;
	xmlUnlinkNode(s->kept);
	xmlFreeNode(s->kept);
	s->kept = NULL;
}

/* Keeps the <claim> the reader stands on, up to and including its end; the
 * reader is left on its end tag (or on the empty element). Returns 1, or
 * what xmlTextReaderRead() returned when the file ended or broke inside
 * the claim; ZT_ENOMEM (< -1) when the reader cannot keep it. */
static int build_claim(struct xml_stream *s, struct built *b)
{
	xmlTextReaderPtr rd = s->reader;
	memset(b, 0, sizeof *b);
	int base = xmlTextReaderDepth(rd);
	long start = xmlTextReaderByteConsumed(rd);
	b->line = reader_line(rd);
	if (!(b->claim = xmlTextReaderPreserve(rd)))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	s->kept = b->claim;
	bool in_items = false;
	for (unsigned seen = 0;; seen++) {
		int type = xmlTextReaderNodeType(rd), depth = -1;
		/* bytes of input the parser has consumed since the start tag: its
		 * read-ahead makes this exact to within a chunk (a few KiB). Text
		 * is what grows it: looked at on every text node, else now and
		 * then (elements are bounded by their own limit) — and only once
		 * the parser has been handed that many bytes since the start tag
		 * at all: it cannot have consumed more than it was given. */
		bool text = type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
		            type == XML_READER_TYPE_WHITESPACE ||
		            type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
		if (!b->over && (text || seen % 16 == 0) &&
		    s->delivered - (uint64_t)start > ZT_CLAIM_BYTES_MAX &&
		    xmlTextReaderByteConsumed(rd) - start > (long)ZT_CLAIM_BYTES_MAX)
			stop_keeping(b, rd, OVER_BYTES);
		if (type == XML_READER_TYPE_ELEMENT) {
			depth = xmlTextReaderDepth(rd);
			if (depth == base + 1)
				in_items = xmlStrEqual(xmlTextReaderConstLocalName(rd), BAD_CAST "items");
			if (!b->over && ++b->elements > ZT_CLAIM_ELEMENTS_MAX)
				stop_keeping(b, rd, OVER_ELEMENTS);
			if (!b->over && depth == base + 2 && in_items &&
			    xmlStrEqual(xmlTextReaderConstLocalName(rd), BAD_CAST "item") &&
			    ++b->items > ZT_ITEMS_PER_CLAIM_MAX)
				stop_keeping(b, rd, OVER_ITEMS);
			if (depth == base && xmlTextReaderIsEmptyElement(rd) == 1)
				break;
		} else if (type == XML_READER_TYPE_END_ELEMENT &&
		           (depth = xmlTextReaderDepth(rd)) == base) {
			break;
		} /* text, comments and processing instructions: kept as they are */
		if (b->over)
			skip_behind(rd, type, depth < 0 ? xmlTextReaderDepth(rd) : depth, base);
		int r = xmlTextReaderRead(rd);
		if (r != 1)
			return r;
	}
	if (b->over)
		free_children(b->claim);
	return 1;
}

static void over_message(char *msg, const struct built *b)
{
	switch (b->over) {
	case OVER_BYTES:
		snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %ld: the claim is larger than %u bytes "
		         "(ZT_CLAIM_BYTES_MAX): it was skipped unread", b->line,
		         (unsigned)ZT_CLAIM_BYTES_MAX);
		break;
	case OVER_ITEMS:
		snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %ld: the claim has more than %d items "
		         "(ZT_ITEMS_PER_CLAIM_MAX): it was skipped unread", b->line,
		         ZT_ITEMS_PER_CLAIM_MAX);
		break;
	case OVER_ELEMENTS:
		snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %ld: the claim has more than %d elements "
		         "(ZT_CLAIM_ELEMENTS_MAX): it was skipped unread", b->line,
		         ZT_CLAIM_ELEMENTS_MAX);
		break;
	case OVER_NONE:
		break;
	}
}

/* ---- converting one validated <claim> ----------------------------------- */

/* An identifier (docs/spec/interfaces.md "Lexical rules"): the schema's
 * pattern has refused most of what this refuses; libunistring knows the
 * characters libxml2's older tables do not (U+2066..U+2069, U+061C …).
 * Too long is refused whole, never cut. */
static int copy_ident(char *dst, size_t cap, size_t max_chars, const xmlNode *n)
{
	size_t len;
	const char *t = zt_xml_text(n, &len);
	int rc = zt_text_check(NULL, t, len, max_chars, ZT_TEXT_IDENT);
	if (rc)
		return rc;
	if (len >= cap)
		return zt_error_set(ZT_EINVAL, "is longer than %zu bytes", cap - 1);
	memcpy(dst, t, len);
	dst[len] = '\0';
	return 0;
}

/* A name as xs:token sees it: XML white space runs fold to one space. */
static int copy_name(char *dst, size_t cap, size_t max_chars, const xmlNode *n)
{
	size_t len, used = 0, i = 0;
	const char *t = zt_xml_text(n, &len);
	for (; i < len && used + 1 < cap; i++) {
		bool space = t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r';
		if (space && used && dst[used - 1] == ' ')
			continue;
		dst[used++] = space ? ' ' : t[i];
	}
	dst[used] = '\0';
	int rc = i < len ? zt_error_set(ZT_EINVAL, "has more than %zu characters", max_chars)
	                 : zt_text_check(NULL, dst, used, max_chars, ZT_TEXT_LINE);
	if (rc)
		dst[0] = '\0';
	return rc;
}

static int read_item(struct zt_item *it, const xmlNode *item, int index, char *msg)
{
	for (const xmlNode *c = item->children; c; c = c->next) {
		if (!is_elem(c))
			continue;
		const char *name = (const char *)c->name;
		size_t len;
		const char *t = zt_xml_text(c, &len);
		int rc = 0;
		if (strcmp(name, "feedetl_sn") == 0)
			rc = copy_ident(it->feedetl_sn, sizeof it->feedetl_sn, ZT_CODE_CHARS_MAX, c);
		else if (strcmp(name, "med_list_codg") == 0)
			rc = copy_ident(it->med_list_codg, sizeof it->med_list_codg, ZT_LIST_CODE_CHARS_MAX,
			                c);
		else if (strcmp(name, "med_chrgitm_type") == 0)
			rc = copy_ident(it->med_chrgitm_type, sizeof it->med_chrgitm_type, 2, c);
		else if (strcmp(name, "chrgitm_lv") == 0)
			it->chrgitm_lv = len ? t[len - 1] - '0' : 0; /* "01" or "1" (schema-checked) */
		else if (strcmp(name, "pric") == 0)
			rc = zt_parse_q4(&it->pric, t, len);
		else if (strcmp(name, "cnt") == 0)
			rc = zt_parse_q4(&it->cnt, t, len);
		else if (strcmp(name, "det_item_fee_sumamt") == 0)
			rc = zt_parse_amount(&it->det_item_fee_sumamt, t, len);
		else if (strcmp(name, "pric_uplmt_amt") == 0) {
			it->has_pric_uplmt = true;
			rc = zt_parse_q4(&it->pric_uplmt_amt, t, len);
		} else if (strcmp(name, "selfpay_prop") == 0) {
			it->has_selfpay_prop = true;
			rc = zt_parse_ratio(&it->selfpay_prop_bp, t, len);
		}
		if (rc) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "item %d: <%s>: %.400s", index, name,
			         zt_error_last());
			return -1;
		}
	}
	return 0;
}

/* <national> of a claim v2 (claim-v2.xsd has checked its shape). */
static int read_national(struct zt_claim_national *n, const xmlNode *e, char *msg)
{
	const char *id = zt_xml_attr(e, "setl_id");
	if (!id || zt_claim_check_national_setl_id(id, strlen(id)) != 0) {
		snprintf(msg, ZT_MESSAGE_BYTES_MAX, "<national setl_id>: %.400s",
		         id ? zt_error_last() : "is missing");
		return -1;
	}
	snprintf(n->setl_id, sizeof n->setl_id, "%s", id);
	static const char *const bill[] = {"fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
	                                   "inscp_scp_amt", "act_pay_dedc"};
	zt_fen *const bill_out[] = {&n->fulamt_ownpay_amt, &n->overlmt_selfpay, &n->preselfpay_amt,
	                            &n->inscp_scp_amt, &n->act_pay_dedc};
	int bill_seen = 0;
	for (const xmlNode *c = e->children; c; c = c->next) {
		if (!is_elem(c))
			continue;
		const char *name = (const char *)c->name;
		size_t len;
		const char *t = zt_xml_text(c, &len);
		zt_fen *out = NULL;
		if (strcmp(name, "hifp_pay") == 0)
			out = &n->hifp_pay;
		else if (strcmp(name, "hifmi_pay") == 0)
			out = &n->hifmi_pay;
		else if (strcmp(name, "maf_pay") == 0)
			out = &n->maf_pay;
		for (int i = 0; i < 5 && !out; i++)
			if (strcmp(name, bill[i]) == 0) {
				out = bill_out[i];
				bill_seen++;
			}
		if (out && zt_parse_amount(out, t, len) != 0) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "<national>: <%s>: %.400s", name, zt_error_last());
			return -1;
		}
	}
	/* all five or none (claim-v2-national.md §1): XSD 1.0 cannot say it */
	if (bill_seen != 0 && bill_seen != 5) {
		snprintf(msg, ZT_MESSAGE_BYTES_MAX, "<national>: fulamt_ownpay_amt, overlmt_selfpay, "
		         "preselfpay_amt, inscp_scp_amt and act_pay_dedc come all five or not at all "
		         "(%d given)", bill_seen);
		return -1;
	}
	n->has_bill_fields = bill_seen == 5;
	return 0;
}

/* One field of <claim> other than <items>. */
static int read_field(struct zt_claim *c, const xmlNode *e, char *msg)
{
	const char *name = (const char *)e->name;
	size_t len;
	const char *t = zt_xml_text(e, &len);
	int rc = 0;
	if (strcmp(name, "fixmedins_code") == 0)
		rc = copy_ident(c->fixmedins_code, sizeof c->fixmedins_code, ZT_CODE_CHARS_MAX, e);
	else if (strcmp(name, "claim_no") == 0)
		rc = copy_ident(c->claim_no, sizeof c->claim_no, ZT_CLAIM_NO_CHARS_MAX, e);
	else if (strcmp(name, "psn_no") == 0)
		rc = copy_ident(c->psn_no, sizeof c->psn_no, ZT_CODE_CHARS_MAX, e);
	else if (strcmp(name, "dscg_maindiag_code") == 0)
		rc = copy_ident(c->dscg_maindiag_code, sizeof c->dscg_maindiag_code, ZT_DIAG_CHARS_MAX, e);
	else if (strcmp(name, "adm_date") == 0)
		rc = zt_parse_date(&c->adm_date, t, len);
	else if (strcmp(name, "dscg_date") == 0)
		rc = zt_parse_date(&c->dscg_date, t, len);
	else if (strcmp(name, "medfee_sumamt") == 0)
		rc = zt_parse_amount(&c->medfee_sumamt, t, len);
	else if (c->version == 2 && strcmp(name, "ipt_no") == 0)
		rc = copy_ident(c->ipt_no, sizeof c->ipt_no, ZT_CODE_CHARS_MAX, e);
	else if (c->version == 2 && strcmp(name, "dept_name") == 0)
		rc = copy_name(c->dept_name, sizeof c->dept_name, ZT_NAME_CHARS_MAX, e);
	else if (c->version == 2 && strcmp(name, "deposit") == 0) {
		c->has_deposit = true;
		rc = zt_parse_amount(&c->deposit, t, len);
	} else if (c->version == 2 && strcmp(name, "national") == 0) {
		c->has_national = true;
		return read_national(&c->national, e, msg);
	}
	if (rc) {
		snprintf(msg, ZT_MESSAGE_BYTES_MAX, "<%s>: %.400s", name, zt_error_last());
		return -1;
	}
	return 0;
}

/* Validates and converts one built <claim> into m: 0 (read or rejected),
 * or ZT_ENOMEM, which stops the stream (never a claim's rejection). */
static int read_claim(struct xml_stream *s, xmlNodePtr node, struct zt_claim_msg *m)
{
	struct zt_claim *c = &m->claim;
	zt_claim_reset(c);
	c->version = s->base.version;
	char *msg = m->message;
	/* Valid under the ordered variant implies valid under the XSD; only a
	 * claim the variant refuses is validated again, by the XSD itself. */
	bool valid = xmlSchemaValidateOneElement(s->ordered, node) == 0;
	s->claim_errors.set = false;
	if (!valid && xmlSchemaValidateOneElement(s->vctxt, node) != 0) {
		if (s->claim_errors.set)
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %d: %.400s", s->claim_errors.line,
			         s->claim_errors.msg);
		else
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %ld: the claim does not match the schema",
			         xmlGetLineNo(node));
		goto invalid;
	}
	for (const xmlNode *e = node->children; e; e = e->next) {
		if (!is_elem(e))
			continue;
		if (!named(e, "items")) {
			if (read_field(c, e, msg))
				goto invalid;
			continue;
		}
		int index = 0;
		for (const xmlNode *it = e->children; it; it = it->next) {
			if (!is_elem(it))
				continue;
			struct zt_item *item = zt_claim_add_item(c);
			if (!item && c->item_count < ZT_ITEMS_PER_CLAIM_MAX)
				return zt_error_set(ZT_ENOMEM, "out of memory");
			if (!item) {
				snprintf(msg, ZT_MESSAGE_BYTES_MAX, "more than %d items",
				         ZT_ITEMS_PER_CLAIM_MAX);
				goto invalid;
			}
			if (read_item(item, it, ++index, msg))
				goto invalid;
		}
	}
	int rc = zt_claim_check(c, msg, ZT_MESSAGE_BYTES_MAX);
	if (rc == ZT_ENOMEM)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc != 0)
		goto invalid;
	return 0;
invalid:
	m->rejected = true;
	m->code = ZT_REJ_SCHEMA_INVALID;
	peek_child(node, "fixmedins_code", m->hospital, sizeof m->hospital);
	peek_child(node, "claim_no", m->claim_no, sizeof m->claim_no);
	return 0;
}

/* Reads the <claim> the reader stands on into m: built under the limits,
 * validated, converted. Returns as build_claim. */
static int read_one(struct xml_stream *s, struct zt_claim_msg *m)
{
	struct built b;
	m->rejected = false;
	m->code = ZT_REJ_NONE;
	m->hospital[0] = m->claim_no[0] = m->message[0] = '\0';
	free_kept(s); /* the claim before, now behind the reader */
	int r = build_claim(s, &b);
	if (r == 1 && b.over) {
		m->rejected = true;
		m->code = ZT_REJ_SCHEMA_INVALID;
		over_message(m->message, &b);
		snprintf(m->hospital, sizeof m->hospital, "%s", b.hospital);
		snprintf(m->claim_no, sizeof m->claim_no, "%s", b.claim_no);
	} else if (r == 1) {
		int rc = read_claim(s, b.claim, m);
		if (rc)
			r = rc; /* out of memory */
	}
	return r;
}

/* ---- the reader thread -------------------------------------------------- */

static void not_a_claim(struct xml_stream *s, const char *name, const char *ns, long line)
{
	struct zt_claim_msg *m = zt_ring_acquire(&s->ring);
	if (!m)
		return;
	m->rejected = true;
	m->code = ZT_REJ_SCHEMA_INVALID;
	m->hospital[0] = m->claim_no[0] = '\0';
	if (ns && strcmp(name, "claim") == 0 &&
	    (strcmp(ns, ZT_CLAIM_NS) == 0 || strcmp(ns, ZT_CLAIM_V2_NS) == 0))
		snprintf(m->message, sizeof m->message, "line %ld: a <claim> of %s in a file of %s: a "
		         "file is of one version", line, ns, s->ns);
	else
		snprintf(m->message, sizeof m->message, "line %ld: <%.100s> is not allowed in <claims>",
		         line, name);
	m->bytes = (uint64_t)xmlTextReaderByteConsumed(s->reader);
	zt_ring_publish(&s->ring);
}

/* The root decides the version (1 or 2) and the schemas. */
static int use_version(struct xml_stream *s, int version)
{
	xmlSchemaPtr schema = zt_schema(version == 2 ? ZT_SCHEMA_CLAIM_V2 : ZT_SCHEMA_CLAIM);
	xmlSchemaPtr ordered =
		zt_schema(version == 2 ? ZT_SCHEMA_CLAIM_V2_ORDERED : ZT_SCHEMA_CLAIM_ORDERED);
	if (!schema || !ordered)
		return ZT_EINTERNAL;
	s->vctxt = xmlSchemaNewValidCtxt(schema);
	s->ordered = xmlSchemaNewValidCtxt(ordered);
	if (!s->vctxt || !s->ordered)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	xmlSchemaSetValidStructuredErrors(s->vctxt, zt_xml_errors_keep, &s->claim_errors);
	xmlSchemaSetValidStructuredErrors(s->ordered, zt_xml_errors_ignore, NULL);
	s->ns = version == 2 ? ZT_CLAIM_V2_NS : ZT_CLAIM_NS;
	s->base.version = version;
	return 0;
}

/* The version (1 or 2) a root element names, and whether it is a list;
 * ZT_EINVAL if it is neither a <claim> nor a <claims> of either. */
static int root_version(const char *file, const char *name, const char *ns, bool *list)
{
	int version = !ns ? 0 : strcmp(ns, ZT_CLAIM_NS) == 0 ? 1
	                      : strcmp(ns, ZT_CLAIM_V2_NS) == 0 ? 2 : 0;
	*list = strcmp(name, "claims") == 0;
	if (!version || (!*list && strcmp(name, "claim") != 0))
		return zt_error_set(ZT_EINVAL, "%s: the root element is <%.100s>%s%.200s, not a "
		                    "<claim> or <claims> in namespace %s or %s", file, name,
		                    ns ? " in namespace " : "", ns ? ns : "", ZT_CLAIM_NS,
		                    ZT_CLAIM_V2_NS);
	return version;
}

/* How a walk of the reader ended: 0, or the error that refuses the file. */
static int walk_end(const char *file, int r, bool seen_root, const struct zt_xml_errors *e)
{
	if (r == 0) {
		/* the reader takes a failed read after the root element for the
		 * end of the input: the source's refusal (a NUL byte) still holds */
		const struct zt_xml_errors none = {0};
		int rc = zt_xml_stream_end(file, 0, &none);
		if (rc)
			return rc;
	} else {
		int rc = zt_xml_stream_end(file, r, e);
		return rc ? rc : zt_error_set(ZT_EMALFORMED, "%s: not well-formed XML", file);
	}
	if (!seen_root)
		return zt_error_set(ZT_EMALFORMED, "%s: no root element", file);
	return 0;
}

/* A root that is not a claim's refuses the file, but a file that is not
 * well-formed is refused as such first, wherever the fault (what the
 * check of a bulk input, zt_claim_xml_check, answers too). */
static int refuse_root(struct xml_stream *s, int rc)
{
	char why[ZT_MESSAGE_BYTES_MAX];
	snprintf(why, sizeof why, "%s", zt_error_last());
	int r;
	while ((r = xmlTextReaderRead(s->reader)) == 1)
		;
	int end = walk_end(s->name, r, true, &s->parse_errors);
	return end ? end : zt_error_set(rc, "%s", why);
}

static int reader_main(struct zt_ring *ring, void *arg)
{
	struct xml_stream *s = arg;
	xmlTextReaderPtr reader = s->reader;
	int r = 1, root_depth = -1;
	bool list = false, seen_root = false, positioned = false;
	for (;;) {
		if (!positioned && (r = xmlTextReaderRead(reader)) != 1)
			break;
		positioned = false;
		int type = xmlTextReaderNodeType(reader);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE)
			return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", s->name);
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(reader);
		const char *name = (const char *)xmlTextReaderConstLocalName(reader);
		const char *ns = (const char *)xmlTextReaderConstNamespaceUri(reader);
		if (!seen_root) {
			seen_root = true;
			root_depth = depth;
			int version = root_version(s->name, name, ns, &list);
			if (version < 0)
				return refuse_root(s, version);
			int rc = use_version(s, version);
			if (rc)
				return rc;
			if (list)
				continue;
		} else if (!list || depth != root_depth + 1) {
			continue;
		}
		if (list && !(ns && strcmp(ns, s->ns) == 0 && strcmp(name, "claim") == 0)) {
			/* skipped unbuilt: xmlTextReaderNext frees as it goes */
			not_a_claim(s, name, ns, reader_line(reader));
			if ((r = xmlTextReaderNext(reader)) != 1)
				break;
			positioned = true;
			continue;
		}
		struct zt_claim_msg *m = zt_ring_acquire(ring);
		if (!m)
			return 0; /* the consumer stopped */
		r = read_one(s, m);
		if (r < -1)
			return r; /* out of memory */
		if (r != 1)
			break;
		m->bytes = (uint64_t)xmlTextReaderByteConsumed(reader);
		zt_ring_publish(ring);
		if (!list)
			break;
	}
	if (r == 1 && !list) /* the rest of the document must be well-formed too */
		while ((r = xmlTextReaderRead(reader)) == 1)
			;
	return walk_end(s->name, r, seen_root, &s->parse_errors);
}

/* ---- the consumer's side -------------------------------------------------- */

static const struct zt_claim_msg *xml_next(struct zt_claim_stream *base)
{
	struct xml_stream *s = (struct xml_stream *)base;
	return zt_ring_next(&s->ring);
}

static int xml_status(struct zt_claim_stream *base)
{
	struct xml_stream *s = (struct xml_stream *)base;
	return zt_ring_status(&s->ring);
}

static void xml_close(struct zt_claim_stream *base)
{
	struct xml_stream *s = (struct xml_stream *)base;
	(void)zt_ring_close(&s->ring);
	if (s->vctxt)
		xmlSchemaFreeValidCtxt(s->vctxt);
	if (s->ordered)
		xmlSchemaFreeValidCtxt(s->ordered);
	if (s->reader)
		xmlFreeTextReader(s->reader);
	if (s->slots)
		for (int i = 0; i < ZT_READER_SLOTS; i++)
			zt_claim_free(&s->slots[i].claim);
	free(s->slots);
	free(s);
}

static const struct claim_stream_ops xml_ops = {xml_next, xml_status, xml_close};

/* The source, its bytes counted on their way to the parser (build_claim). */
static ssize_t counted_read(void *ctx, char *buf, size_t len)
{
	struct xml_stream *s = ctx;
	ssize_t r = s->src.read(s->src.ctx, buf, len);
	if (r > 0)
		s->delivered += (uint64_t)r;
	return r;
}

int zt_claim_xml_open(struct zt_claim_stream **out, const struct zt_source *src)
{
	struct xml_stream *s = zt_calloc(1, sizeof *s);
	if (!s)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	s->base.ops = &xml_ops;
	s->src = *src;
	s->name = zt_source_name(src);
	int rc = 0;
	s->slots = zt_calloc(ZT_READER_SLOTS, sizeof *s->slots);
	struct zt_source counted = {.read = counted_read, .ctx = s, .size_hint = src->size_hint,
	                            .name = src->name};
	s->reader = s->slots ? zt_xml_reader_source(&counted) : NULL;
	if (!s->reader) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto fail;
	}
	xmlTextReaderSetStructuredErrorHandler(s->reader, zt_xml_errors_keep, &s->parse_errors);
	/* The schemas compile here, once per process, not on the reader thread. */
	if (!zt_schema(ZT_SCHEMA_CLAIM) || !zt_schema(ZT_SCHEMA_CLAIM_ORDERED)) {
		rc = ZT_EINTERNAL;
		goto fail;
	}
	rc = zt_ring_start(&s->ring, s->slots, sizeof *s->slots, ZT_READER_SLOTS, reader_main, s);
	if (rc)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	xml_close(&s->base);
	return rc;
}

/* ---- the whole file checked, nothing built -------------------------------- */

/* The refusals of reader_main — a DOCTYPE, not well-formed, a wrong root
 * (not well-formed first) — with the same options, by SAX2 element events
 * alone: nothing is built or validated, a walk at the cost of parsing. */
struct check {
	const char *file;
	int depth;
	bool list;
	uint64_t claims;
};

static void check_start(void *ctx, const xmlChar *name, const xmlChar *prefix,
                        const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attrs,
                        int nb_defaulted, const xmlChar **attrs)
{
	(void)prefix, (void)nb_ns, (void)ns, (void)nb_attrs, (void)nb_defaulted, (void)attrs;
	struct zt_xml_sax_walk *w = ctx;
	struct check *c = w->user;
	if (c->depth++ == 0) {
		int rc = root_version(c->file, (const char *)name, (const char *)uri, &c->list);
		if (rc < 0)
			zt_xml_sax_refuse(w, rc);
		else if (!c->list)
			c->claims = 1;
	} else if (c->list && c->depth == 2) {
		c->claims++; /* a claim, or what is rejected in a claim's place */
	}
}

static void check_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	(void)name, (void)prefix, (void)uri;
	struct zt_xml_sax_walk *w = ctx;
	((struct check *)w->user)->depth--;
}

int zt_claim_xml_check(const struct zt_source *src, uint64_t *claims)
{
	struct check c = {.file = zt_source_name(src)};
	static const struct zt_xml_sax h = {check_start, check_end};
	*claims = 0;
	int rc = zt_xml_sax_source(src, &h, &c);
	if (rc == 0)
		*claims = c.claims;
	return rc;
}
