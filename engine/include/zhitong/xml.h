/* zhitong — hardened XML input and the embedded XSDs.
 *
 * Every document is read with libxml2 options that never touch the network
 * or the file system and never expand entities; any DOCTYPE is refused
 * outright (docs/spec/background-formats.md §2); then the document is validated
 * against the project's own XSD, compiled from schema/ into the binary,
 * before a single value is read. */
#ifndef ZHITONG_XML_H
#define ZHITONG_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

enum zt_schema_id {
	ZT_SCHEMA_REGISTRY,
	ZT_SCHEMA_POLICY,
	ZT_SCHEMA_CLAIM,
	ZT_SCHEMA_SETTLEMENT,
	ZT_SCHEMA_PAIN001_03,   /* official ISO 20022 schemas, schema/iso20022 */
	ZT_SCHEMA_CAMT053_02,
	ZT_SCHEMA_CAMT053_08,
	ZT_SCHEMA_PAYER_ACK,    /* schema/payer-ack.xsd: a payer's answer to a batch */
	ZT_SCHEMA_CLAIM_ORDERED, /* claim.xsd with xs:all as xs:sequence (a fast pre-check) */
	ZT_SCHEMA_PAYER_FILE,   /* schema/payer-file.xsd: the settlement file of a batch */
	ZT_SCHEMA_CATALOG,      /* schema/catalog.xsd: the insurer's catalogue (rules-v2 §2) */
	ZT_SCHEMA_REGISTRY_V2,  /* schema/registry-v2.xsd: v1 + category periods (rules-v2 §3) */
	ZT_SCHEMA_POLICY_V2,    /* schema/policy-v2.xsd: v1 + mode (claim-v2-national §2) */
	ZT_SCHEMA_CLAIM_V2,     /* schema/claim-v2.xsd (docs/spec/claim-v2-national.md §1) */
	ZT_SCHEMA_CLAIM_V2_ORDERED, /* its xs:sequence variant */
	ZT_SCHEMA_SETTLEMENT_V2, /* schema/settlement-v2.xsd: the answer to a claim v2 */
	ZT_SCHEMA_PAYER_FILE_2, /* schema/payer-file-2.xsd: v1 + the reviewer's fields */
	ZT_SCHEMA_COUNT
};

/* Once per process, before threads: initialises libxml2 and installs an
 * external-entity loader that refuses everything. Idempotent. */
void zt_xml_init(void);

/* The compiled schema (built on first use, kept for the process). NULL
 * with zt_error_last() set if the embedded XSD fails to compile (a bug). */
xmlSchemaPtr zt_schema(enum zt_schema_id id);
/* The XSD text as embedded (for `zhitong schema NAME`). */
const char *zt_schema_text(enum zt_schema_id id, size_t *len);

/* Parses a document held in memory with the safe options, refuses any
 * DTD, then validates it against `schema`. On failure returns
 * ZT_EMALFORMED (not well-formed / hostile) or ZT_EINVAL (schema), with a
 * message "FILE:LINE: what". *out is owned by the caller (xmlFreeDoc). */
int zt_xml_parse_doc(xmlDocPtr *out, const char *xml, size_t len,
                     const char *filename, enum zt_schema_id schema);

/* The same for a format with several versions, told apart by the root
 * element's namespace: `ns[i]` is validated against `ids[i]` (n choices)
 * and *which is set to i. A root in none of them is validated against
 * ids[0], whose schema then names what is wrong. */
int zt_xml_parse_doc_versions(xmlDocPtr *out, int *which, const char *xml, size_t len,
                              const char *filename, const char *const ns[],
                              const enum zt_schema_id ids[], int n);

/* The same without a schema, for what zhitong itself wrote and stored
 * without one (the trace fragments of schema versions before 9): still no
 * DTD, no entity, no network; only well-formedness is checked. */
int zt_xml_parse_own(xmlDocPtr *out, const char *xml, size_t len, const char *filename);

/* Reads a whole file (at most `max_bytes`) into a malloc'd, NUL-terminated
 * buffer. A missing or unreadable file is ZT_ENOTFOUND (an unusable input,
 * exit 2), not ZT_EIO (which means the store failed). Every document is
 * read as UTF-8 whatever its declaration says (docs/spec/interfaces.md: text is
 * UTF-8): bytes that are not UTF-8 are refused, never converted. */
int zt_read_file(char **out, size_t *len_out, const char *path, size_t max_bytes);

/* A streaming reader over a file descriptor with the same safe options
 * (no DTD, no entities, no network). The caller checks for DOCTYPE nodes
 * (XML_READER_TYPE_DOCUMENT_TYPE) and refuses them. */
xmlTextReaderPtr zt_xml_reader_fd(int fd, const char *filename);

/* The same over a document in memory (which must outlive the reader). A
 * DOCTYPE is refused before the reader is made (ZT_EMALFORMED). */
int zt_xml_reader_memory(xmlTextReaderPtr *out, const char *xml, size_t len,
                         const char *filename);

/* Trimmed text content of an element (leading/trailing XML white space
 * removed): pointer into a buffer owned by the node's document
 * (valid until the next call on the same thread) and its length. */
const char *zt_xml_text(const xmlNode *n, size_t *len);
/* Attribute value (no namespace) or NULL; same lifetime rule. */
const char *zt_xml_attr(const xmlNode *n, const char *name);

/* Appends v to buf at *n as libxml2's writer writes an attribute's value
 * (xmlBufAttrSerializeTxtContent): & < > " and line feed, carriage return
 * and tab as references; with `ascii` (a document written without an
 * encoding: a trace) every character beyond ASCII as a hexadecimal
 * character reference, without (a document that declares UTF-8: the payer
 * file) as it is. *n moves past it, and buf[*n] stays free for a NUL. 0,
 * ZT_EINVAL for text that is not UTF-8 (`ascii`), ZT_ERANGE when it does
 * not fit (*n then says how far it got). */
int zt_xml_attr_escape(char *buf, size_t cap, size_t *n, const char *v, bool ascii);

#endif
