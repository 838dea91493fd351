/* zhitong — hardened XML input and the embedded XSDs (see xml.h). */
#include "zhitong/xml.h"
#include "zhitong/alloc.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/text.h"
#include "xml_int.h"

/* Generated at build time from the XSDs in schema/ (engine/embed.cmake). */
extern const unsigned char zt_xsd_registry[], zt_xsd_policy[], zt_xsd_claim[],
	zt_xsd_settlement[];
extern const size_t zt_xsd_registry_len, zt_xsd_policy_len, zt_xsd_claim_len,
	zt_xsd_settlement_len;
extern const unsigned char zt_xsd_claim_ordered[];
extern const size_t zt_xsd_claim_ordered_len;
extern const unsigned char zt_xsd_pain001_03[], zt_xsd_camt053_02[], zt_xsd_camt053_08[];
extern const size_t zt_xsd_pain001_03_len, zt_xsd_camt053_02_len, zt_xsd_camt053_08_len;
extern const unsigned char zt_xsd_payer_ack[];
extern const size_t zt_xsd_payer_ack_len;
extern const unsigned char zt_xsd_payer_file[];
extern const size_t zt_xsd_payer_file_len;
extern const unsigned char zt_xsd_payer_file_2[];
extern const size_t zt_xsd_payer_file_2_len;
extern const unsigned char zt_xsd_catalog[], zt_xsd_registry_v2[], zt_xsd_policy_v2[];
extern const size_t zt_xsd_catalog_len, zt_xsd_registry_v2_len, zt_xsd_policy_v2_len;
extern const unsigned char zt_xsd_claim_v2[], zt_xsd_claim_v2_ordered[], zt_xsd_settlement_v2[];
extern const size_t zt_xsd_claim_v2_len, zt_xsd_claim_v2_ordered_len, zt_xsd_settlement_v2_len;

/* Options for every parse: no network, no entity substitution, no DTD
 * loading or validation, no XInclude, libxml2's default size limits kept
 * (no XML_PARSE_HUGE), errors collected instead of printed. */
#define ZT_XML_OPTIONS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | \
	 XML_PARSE_IGNORE_ENC)

static xmlParserInputPtr deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)id;
	if (ctxt)
		xmlStopParser(ctxt);
	zt_error_set(ZT_EMALFORMED, "external resource '%s' refused", url ? url : "?");
	return NULL;
}

/* alloc.c: libxml2's allocations through the engine's allocator, so that
 * a test can fail them too (alloc.h ZT_ALLOC_LIBXML2). */
void *zt_alloc_xml_malloc(size_t n);
void *zt_alloc_xml_realloc(void *p, size_t n);
char *zt_alloc_xml_strdup(const char *s);

static void init_once(void)
{
	/* before the parser's first allocation; what libxml2 allocated before
	 * (nothing, or plain malloc) is still released with free() */
	xmlMemSetup(free, zt_alloc_xml_malloc, zt_alloc_xml_realloc, zt_alloc_xml_strdup);
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_loader);
}

void zt_xml_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_once);
}

const char *zt_schema_text(enum zt_schema_id id, size_t *len)
{
	switch (id) {
	case ZT_SCHEMA_REGISTRY: *len = zt_xsd_registry_len; return (const char *)zt_xsd_registry;
	case ZT_SCHEMA_POLICY: *len = zt_xsd_policy_len; return (const char *)zt_xsd_policy;
	case ZT_SCHEMA_CLAIM: *len = zt_xsd_claim_len; return (const char *)zt_xsd_claim;
	case ZT_SCHEMA_SETTLEMENT: *len = zt_xsd_settlement_len; return (const char *)zt_xsd_settlement;
	case ZT_SCHEMA_PAIN001_03: *len = zt_xsd_pain001_03_len; return (const char *)zt_xsd_pain001_03;
	case ZT_SCHEMA_CAMT053_02: *len = zt_xsd_camt053_02_len; return (const char *)zt_xsd_camt053_02;
	case ZT_SCHEMA_CAMT053_08: *len = zt_xsd_camt053_08_len; return (const char *)zt_xsd_camt053_08;
	case ZT_SCHEMA_PAYER_ACK: *len = zt_xsd_payer_ack_len; return (const char *)zt_xsd_payer_ack;
	case ZT_SCHEMA_CLAIM_ORDERED: *len = zt_xsd_claim_ordered_len; return (const char *)zt_xsd_claim_ordered;
	case ZT_SCHEMA_PAYER_FILE: *len = zt_xsd_payer_file_len; return (const char *)zt_xsd_payer_file;
	case ZT_SCHEMA_CATALOG: *len = zt_xsd_catalog_len; return (const char *)zt_xsd_catalog;
	case ZT_SCHEMA_REGISTRY_V2: *len = zt_xsd_registry_v2_len; return (const char *)zt_xsd_registry_v2;
	case ZT_SCHEMA_POLICY_V2: *len = zt_xsd_policy_v2_len; return (const char *)zt_xsd_policy_v2;
	case ZT_SCHEMA_CLAIM_V2: *len = zt_xsd_claim_v2_len; return (const char *)zt_xsd_claim_v2;
	case ZT_SCHEMA_CLAIM_V2_ORDERED:
		*len = zt_xsd_claim_v2_ordered_len;
		return (const char *)zt_xsd_claim_v2_ordered;
	case ZT_SCHEMA_SETTLEMENT_V2:
		*len = zt_xsd_settlement_v2_len;
		return (const char *)zt_xsd_settlement_v2;
	case ZT_SCHEMA_PAYER_FILE_2:
		*len = zt_xsd_payer_file_2_len;
		return (const char *)zt_xsd_payer_file_2;
	case ZT_SCHEMA_COUNT: break;
	}
	*len = 0;
	return NULL;
}

static xmlSchemaPtr schemas[ZT_SCHEMA_COUNT];
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;

xmlSchemaPtr zt_schema(enum zt_schema_id id)
{
	zt_xml_init();
	pthread_mutex_lock(&schema_lock);
	xmlSchemaPtr s = schemas[id];
	if (!s) {
		size_t len;
		const char *text = zt_schema_text(id, &len);
		xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(text, (int)len);
		if (pc) {
			s = xmlSchemaParse(pc);
			xmlSchemaFreeParserCtxt(pc);
		}
		schemas[id] = s;
		if (!s)
			zt_error_set(ZT_EINTERNAL, "embedded schema %d does not compile", (int)id);
	}
	pthread_mutex_unlock(&schema_lock);
	return s;
}

/* ---- DOCTYPE detection on raw bytes -------------------------------- */

void zt_prolog_init(struct zt_prolog *p) { memset(p, 0, sizeof *p); }

/* Feeds bytes of the document's start. Returns 1 once the root element has
 * begun (stop feeding), -1 if a DOCTYPE (or any other "<!" markup that is
 * not a comment) appears in the prolog, 0 to keep going. */
int zt_prolog_feed(struct zt_prolog *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && !p->done; i++) {
		char c = buf[i];
		switch (p->state) {
		case ZT_PROLOG_TEXT:
			if (c == '<')
				p->state = ZT_PROLOG_LT;
			break;
		case ZT_PROLOG_LT:
			if (c == '?')
				p->state = ZT_PROLOG_PI;
			else if (c == '!')
				p->state = ZT_PROLOG_BANG;
			else {
				p->done = 1; /* the root element */
				return 1;
			}
			break;
		case ZT_PROLOG_BANG:
			if (c == '-')
				p->state = ZT_PROLOG_BANG_DASH;
			else {
				p->done = -1;
				return -1;
			}
			break;
		case ZT_PROLOG_BANG_DASH:
			if (c == '-') {
				p->state = ZT_PROLOG_COMMENT;
				p->dashes = 0;
			} else {
				p->done = -1;
				return -1;
			}
			break;
		case ZT_PROLOG_COMMENT:
			if (c == '-')
				p->dashes++;
			else if (c == '>' && p->dashes >= 2)
				p->state = ZT_PROLOG_TEXT;
			else
				p->dashes = 0;
			break;
		case ZT_PROLOG_PI:
			if (c == '?')
				p->state = ZT_PROLOG_PI_Q;
			break;
		case ZT_PROLOG_PI_Q:
			p->state = c == '>' ? ZT_PROLOG_TEXT : (c == '?' ? ZT_PROLOG_PI_Q : ZT_PROLOG_PI);
			break;
		}
	}
	return p->done;
}

/* ---- whole documents ---------------------------------------------- */

void zt_xml_errors_ignore(void *data, xmlErrorPtr e)
{
	(void)data;
	(void)e;
}

void zt_xml_errors_keep(void *data, xmlErrorPtr e)
{
	struct zt_xml_errors *fe = data;
	if (fe->set || !e || e->level < XML_ERR_ERROR)
		return;
	fe->set = true;
	fe->line = e->line;
	fe->schema = e->domain == XML_FROM_SCHEMASV || e->domain == XML_FROM_SCHEMASP;
	/* libxml2's schema errors quote the refused value: shown, not passed on. */
	zt_text_visible(fe->msg, sizeof fe->msg, e->message ? e->message : "error");
	size_t l = strlen(fe->msg);
	while (l && (fe->msg[l - 1] == '\n' || fe->msg[l - 1] == ' '))
		fe->msg[--l] = '\0';
}

int zt_xml_stream_end(const char *path, int r, const struct zt_xml_errors *e)
{
	int rc = zt_xml_reader_source_failed();
	if (rc) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		return zt_error_set(rc, "%s: %s", path, msg);
	}
	if (zt_xml_reader_refused_doctype())
		return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
	if (e->set)
		return e->schema ? zt_error_set(ZT_EINVAL, "%s:%d: %s", path, e->line, e->msg)
		                 : zt_error_set(ZT_EMALFORMED, "%s:%d: not well-formed XML: %s", path,
		                                e->line, e->msg);
	if (r != 0)
		return zt_error_set(ZT_EMALFORMED, "%s: not well-formed XML", path);
	return 0;
}

static void deny_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name;
	(void)ext;
	(void)sys;
	xmlParserCtxtPtr c = ctx;
	xmlStopParser(c);
	c->wellFormed = 0;
}

static int validate_doc(xmlSchemaPtr schema, xmlDocPtr doc, const char *filename)
{
	struct zt_xml_errors fe = {.set = false};
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	if (!vc)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	xmlSchemaSetValidStructuredErrors(vc, zt_xml_errors_keep, &fe);
	int rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		if (!fe.set)
			snprintf(fe.msg, sizeof fe.msg, "does not match the schema");
		return zt_error_set(ZT_EINVAL, "%s:%d: %s", filename, fe.line, fe.msg);
	}
	return 0;
}

/* XML 1.0 allows no U+0000 anywhere (§2.2), but libxml2's parser takes a
 * NUL after the root element for the end of the input: a document with
 * trailing NULs would be accepted whole and refused streamed. Both refuse
 * it here, before libxml2 sees it. */
static int refuse_nul(const char *filename, const char *buf, size_t len, size_t base)
{
	const char *z = memchr(buf, '\0', len);
	if (!z)
		return 0;
	size_t at = base + (size_t)(z - buf);
	return filename ? zt_error_set(ZT_EMALFORMED,
	                               "%s: not well-formed XML: a NUL byte at offset %zu",
	                               filename, at)
	                : zt_error_set(ZT_EMALFORMED, "not well-formed XML: a NUL byte at offset %zu",
	                               at);
}

int zt_xml_parse_doc_versions(xmlDocPtr *out, int *which, const char *xml, size_t len,
                              const char *filename, const char *const ns[],
                              const enum zt_schema_id ids[], int n)
{
	/* Well-formed first (against the first schema's rules for size and
	 * DOCTYPE, which are the same for every version), then the version;
	 * n == 0: well-formedness only (zt_xml_parse_own). */
	xmlDocPtr doc = NULL;
	zt_xml_init();
	if (len > ZT_DOC_BYTES_MAX)
		return zt_error_set(ZT_EMALFORMED, "%s: larger than %u bytes", filename,
		                    (unsigned)ZT_DOC_BYTES_MAX);
	struct zt_prolog pro;
	zt_prolog_init(&pro);
	if (zt_prolog_feed(&pro, xml, len) < 0)
		return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", filename);
	int nul = refuse_nul(filename, xml, len, 0);
	if (nul)
		return nul;
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	ctxt->sax->internalSubset = deny_dtd;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, filename, "UTF-8", ZT_XML_OPTIONS);
	int rc = 0;
	if (!doc || !ctxt->wellFormed) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
		rc = zt_error_set(ZT_EMALFORMED, "%s:%d: not well-formed XML: %s", filename,
		                  e ? e->line : 0,
		                  e && e->message ? e->message : "a DOCTYPE is not allowed");
		goto done;
	}
	if (n > 0) {
		const xmlNode *root = xmlDocGetRootElement(doc);
		const char *href =
		    root && root->ns && root->ns->href ? (const char *)root->ns->href : "";
		int k = 0;
		for (int i = 0; i < n; i++)
			if (strcmp(href, ns[i]) == 0)
				k = i;
		xmlSchemaPtr schema = zt_schema(ids[k]);
		if (!schema) {
			rc = ZT_EINTERNAL;
			goto done;
		}
		if ((rc = validate_doc(schema, doc, filename)) == 0)
			*which = k;
	}
done:
	xmlFreeParserCtxt(ctxt);
	if (rc) {
		xmlFreeDoc(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int zt_xml_parse_doc(xmlDocPtr *out, const char *xml, size_t len, const char *filename,
                     enum zt_schema_id schema_id)
{
	static const char *const any[] = {""};
	int which;
	return zt_xml_parse_doc_versions(out, &which, xml, len, filename, any, &schema_id, 1);
}

int zt_xml_parse_own(xmlDocPtr *out, const char *xml, size_t len, const char *filename)
{
	int which;
	return zt_xml_parse_doc_versions(out, &which, xml, len, filename, NULL, NULL, 0);
}

bool zt_xml_reader_root_ns(char *out, size_t out_bytes, xmlTextReaderPtr r)
{
	bool found = false;
	out[0] = '\0';
	if (r) {
		/* Errors are the full read's to report, not this peek's. */
		struct zt_xml_errors quiet = {.set = false};
		xmlTextReaderSetStructuredErrorHandler(r, zt_xml_errors_keep, &quiet);
		while (xmlTextReaderRead(r) == 1) {
			if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
				continue;
			const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
			if (ns && strlen((const char *)ns) < out_bytes)
				memcpy(out, ns, strlen((const char *)ns) + 1);
			found = true;
			break;
		}
		xmlFreeTextReader(r);
	}
	(void)zt_xml_reader_refused_doctype(); /* the full read finds it again */
	return found;
}

int zt_read_file(char **out, size_t *len_out, const char *path, size_t max_bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is not a regular file", path);
	}
	if ((size_t)st.st_size > max_bytes) {
		close(fd);
		return zt_error_set(ZT_EMALFORMED, "'%s' is larger than %zu bytes", path, max_bytes);
	}
	/* one byte more than the size: a file that grew past it is seen */
	size_t cap = (size_t)st.st_size + 2, len = 0;
	char *buf = zt_malloc(cap);
	if (!buf) {
		close(fd);
		return zt_error_set(ZT_ENOMEM, "out of memory reading '%s'", path);
	}
	for (;;) {
		if (len > max_bytes) {
			free(buf);
			close(fd);
			return zt_error_set(ZT_EMALFORMED, "'%s' is larger than %zu bytes", path, max_bytes);
		}
		if (len + 1 >= cap) {
			size_t ncap = cap * 2 > max_bytes + 2 ? max_bytes + 2 : cap * 2;
			char *nb = zt_realloc(buf, ncap);
			if (!nb) {
				free(buf);
				close(fd);
				return zt_error_set(ZT_ENOMEM, "out of memory reading '%s'", path);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return zt_error_set(ZT_EIO, "cannot read '%s': %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	return 0;
}

/* ---- streaming ---------------------------------------------------- */

static _Thread_local bool doctype_refused;
/* A source's read failure, kept for zt_xml_stream_end (libxml2 only sees
 * -1, and other messages may be set on this thread before the end). */
static _Thread_local int source_rc;
static _Thread_local char source_msg[ZT_MESSAGE_BYTES_MAX];

struct source_input {
	struct zt_source src;
	struct zt_prolog prolog;
	size_t offset; /* bytes read before this chunk */
};

static int source_read(void *ctx, char *buf, int len)
{
	struct source_input *in = ctx;
	ssize_t r = in->src.read(in->src.ctx, buf, (size_t)len);
	if (r < 0) {
		source_rc = (int)r;
		snprintf(source_msg, sizeof source_msg, "%s", zt_error_last());
		return -1;
	}
	if (r > 0 && refuse_nul(NULL, buf, (size_t)r, in->offset)) {
		source_rc = ZT_EMALFORMED;
		snprintf(source_msg, sizeof source_msg, "%s", zt_error_last());
		return -1;
	}
	in->offset += (size_t)r;
	if (!in->prolog.done && r > 0 && zt_prolog_feed(&in->prolog, buf, (size_t)r) < 0) {
		doctype_refused = true;
		return -1; /* refuse before libxml2 sees a byte of the DTD */
	}
	return (int)r;
}

static int source_close(void *ctx)
{
	free(ctx);
	return 0;
}

xmlTextReaderPtr zt_xml_reader_source(const struct zt_source *src)
{
	zt_xml_init();
	struct source_input *in = zt_calloc(1, sizeof *in);
	if (!in) {
		zt_error_set(ZT_ENOMEM, "out of memory");
		return NULL;
	}
	in->src = *src;
	zt_prolog_init(&in->prolog);
	source_rc = 0;
	doctype_refused = false;
	xmlTextReaderPtr r = xmlReaderForIO(source_read, source_close, in, zt_source_name(src),
	                                    "UTF-8", ZT_XML_OPTIONS);
	if (!r)
		zt_error_set(ZT_ENOMEM, "cannot create an XML reader");
	return r;
}

static void sax_error(void *data, xmlErrorPtr e)
{
	struct zt_xml_sax_walk *w = data;
	zt_xml_errors_keep(&w->errors, e);
}

int zt_xml_sax_source(const struct zt_source *src, const struct zt_xml_sax *h, void *user)
{
	zt_xml_init();
	const char *name = zt_source_name(src);
	struct zt_xml_sax_walk w = {.user = user};
	/* SAX2 with only the caller's element events: libxml2 builds nothing */
	xmlSAXHandler sax = {.initialized = XML_SAX2_MAGIC,
	                     .startElementNs = h->start,
	                     .endElementNs = h->end,
	                     .serror = sax_error};
	struct source_input in = {.src = *src};
	zt_prolog_init(&in.prolog);
	source_rc = 0;
	doctype_refused = false;
	char *buf = zt_malloc(ZT_XML_CHUNK_BYTES);
	xmlParserCtxtPtr ctxt = buf ? xmlCreatePushParserCtxt(&sax, &w, NULL, 0, name) : NULL;
	if (!ctxt) {
		free(buf);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	xmlCtxtUseOptions(ctxt, ZT_XML_OPTIONS);
	int r = 0, n;
	do {
		n = source_read(&in, buf, ZT_XML_CHUNK_BYTES);
		/* well-formedness decides, as for the reader: a namespace error
		 * (an undeclared prefix) is reported but not fatal */
		if (n < 0 || (xmlParseChunk(ctxt, buf, n, n == 0), !ctxt->wellFormed))
			r = -1;
	} while (r == 0 && n > 0);
	xmlFreeParserCtxt(ctxt);
	free(buf);
	if (r != 0) {
		int rc = zt_xml_stream_end(name, -1, &w.errors);
		return rc ? rc : zt_error_set(ZT_EMALFORMED, "%s: not well-formed XML", name);
	}
	if (w.refused)
		return zt_error_set(w.refused, "%s", w.message);
	return 0;
}

void zt_xml_sax_refuse(struct zt_xml_sax_walk *w, int rc)
{
	if (!w->refused) {
		w->refused = rc;
		snprintf(w->message, sizeof w->message, "%s", zt_error_last());
	}
}

int zt_xml_reader_memory(xmlTextReaderPtr *out, const char *xml, size_t len,
                         const char *filename)
{
	zt_xml_init();
	struct zt_prolog pro;
	zt_prolog_init(&pro);
	if (zt_prolog_feed(&pro, xml, len) < 0)
		return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", filename);
	int nul = refuse_nul(filename, xml, len, 0);
	if (nul)
		return nul;
	if (len > INT32_MAX)
		return zt_error_set(ZT_EMALFORMED, "%s: larger than %d bytes", filename, INT32_MAX);
	xmlTextReaderPtr r = xmlReaderForMemory(xml, (int)len, filename, "UTF-8", ZT_XML_OPTIONS);
	if (!r)
		return zt_error_set(ZT_ENOMEM, "cannot create an XML reader");
	*out = r;
	return 0;
}

static ssize_t fd_read(void *ctx, char *buf, size_t len)
{
	int fd = (int)(intptr_t)ctx;
	for (;;) {
		ssize_t r = read(fd, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return zt_error_set(ZT_ENOTFOUND, "cannot read: %s", strerror(errno));
		return r;
	}
}

xmlTextReaderPtr zt_xml_reader_fd(int fd, const char *filename)
{
	struct zt_source src = {.read = fd_read, .ctx = (void *)(intptr_t)fd, .name = filename};
	return zt_xml_reader_source(&src);
}

int zt_xml_reader_source_failed(void)
{
	int rc = source_rc;
	source_rc = 0;
	if (rc)
		zt_error_set(rc, "%s", source_msg);
	return rc;
}

bool zt_xml_reader_refused_doctype(void)
{
	bool b = doctype_refused;
	doctype_refused = false;
	return b;
}

/* ---- values ------------------------------------------------------- */

static _Thread_local char text_buf[ZT_UTF8_BYTES(4096)];

static bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

const char *zt_xml_text(const xmlNode *n, size_t *len)
{
	/* One text child with nothing to trim, the usual case: itself. */
	const xmlNode *one = n->children;
	if (one && !one->next && one->type == XML_TEXT_NODE && one->content) {
		const char *t = (const char *)one->content;
		size_t l = strlen(t);
		if (l < sizeof text_buf && (l == 0 || (!xml_space(t[0]) && !xml_space(t[l - 1])))) {
			*len = l;
			return t;
		}
	}
	/* Concatenate the text children (the schema allows no mixed content,
	 * so this is the element's value). */
	size_t used = 0;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		size_t l = strlen((const char *)c->content);
		if (used + l >= sizeof text_buf)
			l = sizeof text_buf - 1 - used;
		memcpy(text_buf + used, c->content, l);
		used += l;
	}
	text_buf[used] = '\0';
	char *s = text_buf;
	while (*s && xml_space(*s))
		s++;
	size_t l = strlen(s);
	while (l && xml_space(s[l - 1]))
		l--;
	s[l] = '\0';
	*len = l;
	return s;
}

const char *zt_xml_attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 && a->children &&
		    a->children->content)
			return (const char *)a->children->content;
	}
	return NULL;
}
