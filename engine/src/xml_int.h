/* zhitong — private XML helpers shared by the readers. */
#ifndef ZHITONG_XML_INT_H
#define ZHITONG_XML_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xmlschemas.h>

enum zt_prolog_state {
	ZT_PROLOG_TEXT, ZT_PROLOG_LT, ZT_PROLOG_BANG, ZT_PROLOG_BANG_DASH,
	ZT_PROLOG_COMMENT, ZT_PROLOG_PI, ZT_PROLOG_PI_Q
};

/* Incremental scanner of a document's prolog that spots a DOCTYPE before
 * the parser would read it. */
struct zt_prolog {
	enum zt_prolog_state state;
	int dashes;
	int done; /* 0 scanning, 1 root reached, -1 DOCTYPE seen */
};
void zt_prolog_init(struct zt_prolog *p);
int zt_prolog_feed(struct zt_prolog *p, const char *buf, size_t n);

/* Validates one element (or, with node NULL, the whole doc) against the
 * schema; on failure ZT_EINVAL with "FILE:LINE: message". */
int zt_xml_validate_node(xmlSchemaPtr schema, xmlDocPtr doc, xmlNodePtr node,
                         const char *filename);

/* True (once) if the last streaming reader on this thread stopped because
 * the document has a DOCTYPE. */
bool zt_xml_reader_refused_doctype(void);

#endif
