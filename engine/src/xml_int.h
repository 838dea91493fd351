/* zhitong — private XML helpers shared by the readers. */
#ifndef ZHITONG_XML_INT_H
#define ZHITONG_XML_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xmlschemas.h>

#include "zhitong/limits.h"
#include "zhitong/source.h"
#include "zhitong/xml.h"

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

/* The first error libxml2 reports (parser or schema validator), kept for
 * one message with its line: install zt_xml_errors_keep as the structured
 * error handler of a reader or a validation context. */
struct zt_xml_errors {
	char msg[ZT_MESSAGE_BYTES_MAX];
	int line;
	bool set;
	bool schema; /* from the schema validator, not the parser */
};
void zt_xml_errors_keep(void *data, xmlErrorPtr e);
/* A handler that drops every error (a validation whose complaints are never
 * shown). */
void zt_xml_errors_ignore(void *data, xmlErrorPtr e);

/* How a streaming read ended: `r` is the last xmlTextReaderRead() result.
 * 0 if it ended cleanly; else ZT_EMALFORMED (a DOCTYPE, not well-formed) or
 * ZT_EINVAL (the schema), with the message naming the file and line. */
int zt_xml_stream_end(const char *path, int r, const struct zt_xml_errors *e);

/* A streaming reader over a source (source.h) with the safe options of
 * zt_xml_reader_fd; messages name the source. */
xmlTextReaderPtr zt_xml_reader_source(const struct zt_source *src);

/* A walk of a source with SAX2 element events only (nothing is built),
 * with the options, NUL and DOCTYPE refusals of zt_xml_reader_source.
 * The handlers get the walk (struct zt_xml_sax_walk *) as their first
 * argument; a handler refuses the document with zt_xml_sax_refuse (after
 * zt_error_set), and the walk goes on to the end: a document that is not
 * well-formed is refused as such first (ZT_EMALFORMED naming the file and
 * line), else with the first refusal; 0 if neither. */
struct zt_xml_sax {
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
};
struct zt_xml_sax_walk {
	void *user;
	struct zt_xml_errors errors;
	int refused;
	char message[ZT_MESSAGE_BYTES_MAX];
};
#define ZT_XML_CHUNK_BYTES 65536
int zt_xml_sax_source(const struct zt_source *src, const struct zt_xml_sax *h, void *user);
void zt_xml_sax_refuse(struct zt_xml_sax_walk *w, int rc);

/* The namespace of the first element `r` reads ("" if none), quietly;
 * frees `r` (NULL: ""). For a peek at a document's version. Whether an
 * element was read. */
bool zt_xml_reader_root_ns(char *out, size_t out_bytes, xmlTextReaderPtr r);

/* Once, after a streaming read ended: the source's read failure on this
 * thread (its code, with its message set again), or 0. */
int zt_xml_reader_source_failed(void);

/* True (once) if the last streaming reader on this thread stopped because
 * the document has a DOCTYPE. */
bool zt_xml_reader_refused_doctype(void);

#endif
