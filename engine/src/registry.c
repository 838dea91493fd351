/* zhitong — reading the registry (urn:zhitong:registry:1, see registry.h).
 *
 * Loading is all or nothing (docs/spec/interfaces.md: "a file with one bad record
 * changes nothing"), so the whole document is checked before the visitor
 * sees its first record: first against schema/registry.xsd, then record by
 * record here. The second walk converts again rather than keeping every
 * record in memory; a registry can hold hundreds of thousands of people. */
#include "zhitong/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhitong/error.h"
#include "zhitong/xml.h"
#include "field_int.h"
#include "xml_int.h"

enum record_kind { REC_HOSPITAL, REC_PERSON, REC_FUND };

struct record {
	enum record_kind kind;
	union {
		struct zt_hospital hospital;
		struct zt_person person;
		struct zt_fund fund;
	} u;
};

static int read_hospital(struct zt_hospital *h, const char *f, const xmlNode *n)
{
	int rc = zt_field_ident(h->code, sizeof h->code, ZT_CODE_CHARS_MAX, f, n, "code", true);
	if (!rc)
		rc = zt_field_token(h->name, sizeof h->name, ZT_NAME_CHARS_MAX, f, n, "name", true);
	if (!rc)
		rc = zt_field_int(&h->level, 1, 4, f, n, "level");
	if (!rc)
		rc = zt_field_digits(h->county, ZT_COUNTY_BYTES - 1, f, n, "county");
	return rc;
}

/* 17 digits and a digit or X (the check digit itself is not verified). */
static int read_id_no(char out[19], const char *f, const xmlNode *n)
{
	char buf[32];
	int rc = zt_field_token(buf, sizeof buf, sizeof buf - 1, f, n, "id_no", true);
	if (rc)
		return rc;
	bool ok = strlen(buf) == 18;
	for (int i = 0; ok && i < 17; i++)
		ok = buf[i] >= '0' && buf[i] <= '9';
	ok = ok && ((buf[17] >= '0' && buf[17] <= '9') || buf[17] == 'X');
	if (!ok)
		return zt_field_fail(ZT_EINVAL, f, n, "id_no",
		                     "'%s' is not 17 digits followed by a digit or X", buf);
	memcpy(out, buf, 19);
	return 0;
}

static int read_person(struct zt_person *p, const char *f, const xmlNode *n)
{
	int rc = zt_field_ident(p->psn_no, sizeof p->psn_no, ZT_CODE_CHARS_MAX, f, n, "psn_no", true);
	if (!rc)
		rc = zt_field_token(p->name, sizeof p->name, ZT_NAME_CHARS_MAX, f, n, "name", true);
	if (!rc)
		rc = read_id_no(p->id_no, f, n);
	if (!rc)
		rc = zt_field_category(&p->category, f, n, "category");
	if (!rc)
		rc = zt_field_digits(p->county, ZT_COUNTY_BYTES - 1, f, n, "county");
	return rc;
}

static int read_fund(struct zt_fund *fund, const char *f, const xmlNode *n)
{
	int rc = zt_field_digits(fund->code, ZT_FUND_CODE_BYTES - 1, f, n, "code");
	if (!rc)
		rc = zt_field_token(fund->name, sizeof fund->name, ZT_NAME_CHARS_MAX, f, n, "name", true);
	return rc;
}

static int read_record(struct record *rec, const char *f, const xmlNode *n)
{
	memset(rec, 0, sizeof *rec);
	if (zt_field_is(n, ZT_REGISTRY_NS, "hospital")) {
		rec->kind = REC_HOSPITAL;
		return read_hospital(&rec->u.hospital, f, n);
	}
	if (zt_field_is(n, ZT_REGISTRY_NS, "person")) {
		rec->kind = REC_PERSON;
		return read_person(&rec->u.person, f, n);
	}
	if (zt_field_is(n, ZT_REGISTRY_NS, "fund")) {
		rec->kind = REC_FUND;
		return read_fund(&rec->u.fund, f, n);
	}
	return zt_field_fail(ZT_EINVAL, f, n, NULL, "element not allowed here");
}

static int visit(const struct zt_registry_visitor *v, const struct record *rec, int line)
{
	switch (rec->kind) {
	case REC_HOSPITAL:
		return v->hospital ? v->hospital(v->ctx, &rec->u.hospital, line) : 0;
	case REC_PERSON:
		return v->person ? v->person(v->ctx, &rec->u.person, line) : 0;
	case REC_FUND:
		return v->fund ? v->fund(v->ctx, &rec->u.fund, line) : 0;
	}
	return zt_error_set(ZT_EINTERNAL, "unknown registry record kind %d", (int)rec->kind);
}

int zt_registry_parse(const char *xml, size_t len, const char *filename,
                      const struct zt_registry_visitor *v)
{
	xmlDocPtr doc = NULL;
	struct record rec;
	if (!filename)
		filename = "(registry)";
	int rc = zt_xml_parse_doc(&doc, xml, len, filename, ZT_SCHEMA_REGISTRY);
	if (rc)
		goto done;
	const xmlNode *root = xmlDocGetRootElement(doc);
	if (!zt_field_is(root, ZT_REGISTRY_NS, "registry")) {
		rc = zt_field_fail(ZT_EINVAL, filename, root, NULL, "the root must be a v1 <registry>");
		goto done;
	}
	for (const xmlNode *n = zt_field_element(root->children); n; n = zt_field_element(n->next)) {
		rc = read_record(&rec, filename, n);
		if (rc)
			goto done;
	}
	if (!v)
		goto done; /* validation only */
	for (const xmlNode *n = zt_field_element(root->children); n; n = zt_field_element(n->next)) {
		rc = read_record(&rec, filename, n);
		if (!rc)
			rc = visit(v, &rec, (int)zt_field_line(n));
		if (rc)
			goto done;
	}
done:
	xmlFreeDoc(doc);
	return rc;
}

/* ---- streaming ---------------------------------------------------------- */

/* A registry can hold every resident of a county (hundreds of thousands of
 * people), so the file is streamed: libxml2's reader validates against
 * registry.xsd as it goes, and one record at a time is expanded, checked
 * and visited. A record is visited only after everything before it — and
 * the record itself — validated; an error later in the file stops the walk,
 * and the caller, which runs the visits in one transaction, rolls them
 * back: nothing of a bad file is ever stored. */
int zt_registry_parse_file(const char *path, const struct zt_registry_visitor *v)
{
	xmlSchemaPtr schema = zt_schema(ZT_SCHEMA_REGISTRY);
	if (!schema)
		return ZT_EINTERNAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is not a regular file", path);
	}
	struct zt_xml_errors se = {.set = false};
	int rc = 0, r;
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	xmlTextReaderPtr reader = zt_xml_reader_fd(fd, path);
	if (!vc || !reader) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	xmlSchemaSetValidStructuredErrors(vc, zt_xml_errors_keep, &se);
	xmlTextReaderSetStructuredErrorHandler(reader, zt_xml_errors_keep, &se);
	if (xmlTextReaderSchemaValidateCtxt(reader, vc, 0) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "cannot validate '%s' while reading it", path);
		goto done;
	}
	struct record rec;
	bool seen_root = false;
	while ((r = xmlTextReaderRead(reader)) == 1) {
		if (se.set)
			break;
		int type = xmlTextReaderNodeType(reader);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
			goto done;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(reader);
		if (depth == 0) {
			seen_root = true;
			continue; /* the schema checks that it is a v1 <registry> */
		}
		if (depth != 1)
			continue;
		xmlNodePtr n = xmlTextReaderExpand(reader);
		if (!n || se.set)
			break;
		if ((rc = read_record(&rec, path, n)) != 0)
			goto done;
		if (v && (rc = visit(v, &rec, (int)zt_field_line(n))) != 0)
			goto done;
	}
	/* the first error, from the validator or from the parser */
	if ((rc = zt_xml_stream_end(path, r, &se)) != 0) {
		/* reported */
	} else if (!seen_root) {
		rc = zt_error_set(ZT_EMALFORMED, "%s: no root element", path);
	} else if (xmlTextReaderIsValid(reader) != 1) {
		rc = zt_error_set(ZT_EINVAL, "%s: does not match the registry schema", path);
	}
done:
	xmlFreeTextReader(reader);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	close(fd);
	return rc;
}
