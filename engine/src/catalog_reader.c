/* zhitong — reading a catalogue document (urn:zhitong:catalog:1, see
 * catalog.h; docs/spec/rules-v2.md §2).
 *
 * Streamed: libxml2's reader validates against schema/catalog.xsd as it
 * goes, and each <entry> is expanded, checked value by value and added
 * only after it (and everything before it) validated, so memory is the
 * catalogue's, never the document's. Any rule broken refuses the whole
 * file with "FILE:LINE: <element attribute>: what"; the rules that span
 * entries (one code's entries must not overlap) are checked when the
 * catalogue is finished, naming both lines. */
#include "zhitong/catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhitong/error.h"
#include "zhitong/xml.h"
#include "field_int.h"
#include "xml_int.h"

struct reader {
	const char *file;
	struct zt_catalog *cat;
	struct zt_catalog_info info;
};

static bool named(const xmlNode *n, const char *name) { return zt_field_is(n, ZT_CATALOG_NS, name); }

static int read_date(zt_date *out, const struct reader *r, const xmlNode *n, const char *attr,
                     bool required)
{
	const char *v;
	int rc = zt_field_raw(&v, r->file, n, attr, required);
	if (rc || !v)
		return rc;
	if ((rc = zt_parse_date(out, v, strlen(v))))
		return zt_field_wrap(rc, r->file, n, attr);
	return 0;
}

static int read_header(struct reader *r, const xmlNode *root)
{
	struct zt_catalog_info *h = &r->info;
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	memset(h, 0, sizeof *h);
	if (!named(root, "catalog"))
		return zt_field_fail(ZT_EINVAL, r->file, root, NULL, "the root must be a v1 <catalog>");
	int rc = zt_field_ident(h->id, sizeof h->id, ZT_NAME_CHARS_MAX, r->file, root, "id", true);
	if (!rc)
		rc = zt_field_digits(h->county, ZT_COUNTY_BYTES - 1, r->file, root, "county");
	if (!rc)
		rc = read_date(&h->effective_from, r, root, "effective-from", true);
	if (!rc)
		rc = read_date(&h->effective_to, r, root, "effective-to", false);
	if (rc)
		return rc;
	if (h->effective_to && h->effective_to < h->effective_from)
		return zt_field_fail(ZT_EINVAL, r->file, root, "effective-to",
		                     "%s is before effective-from %s", zt_format_date(a, h->effective_to),
		                     zt_format_date(b, h->effective_from));
	return zt_catalog_new(&r->cat, h);
}

/* "01" "02" "03", or the one-digit forms "1" "2" "3" (as in claims). */
static int read_class(int *out, const struct reader *r, const xmlNode *n)
{
	char v[8];
	int rc = zt_field_token(v, sizeof v, 2, r->file, n, "chrgitm_lv", true);
	if (rc)
		return rc;
	const char *d = v[0] == '0' && v[1] ? v + 1 : v;
	if (strlen(d) != 1 || d[0] < '1' || d[0] > '3')
		return zt_field_fail(ZT_EINVAL, r->file, n, "chrgitm_lv",
		                     "'%s' is not 01, 02 or 03 (or 1, 2, 3)", v);
	*out = d[0] - '0';
	return 0;
}

/* The entry's span: real dates, from ≤ to, inside the catalogue's. */
static int check_span(const struct reader *r, const xmlNode *n, zt_date from, zt_date to)
{
	const struct zt_catalog_info *h = &r->info;
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	if (to && to < from)
		return zt_field_fail(ZT_EINVAL, r->file, n, "to", "%s is before from %s",
		                     zt_format_date(a, to), zt_format_date(b, from));
	if (from < h->effective_from)
		return zt_field_fail(ZT_EINVAL, r->file, n, "from",
		                     "%s is before the catalogue's effective-from %s: every entry lies "
		                     "inside its catalogue's dates",
		                     zt_format_date(a, from), zt_format_date(b, h->effective_from));
	if (h->effective_to && from > h->effective_to)
		return zt_field_fail(ZT_EINVAL, r->file, n, "from",
		                     "%s is after the catalogue's effective-to %s: every entry lies "
		                     "inside its catalogue's dates",
		                     zt_format_date(a, from), zt_format_date(b, h->effective_to));
	if (h->effective_to && to > h->effective_to)
		return zt_field_fail(ZT_EINVAL, r->file, n, "to",
		                     "%s is after the catalogue's effective-to %s: every entry lies "
		                     "inside its catalogue's dates",
		                     zt_format_date(a, to), zt_format_date(b, h->effective_to));
	return 0;
}

/* The <ceiling> children: a level 1..4 at most once, a unit price. */
static int read_ceilings(struct zt_catalog_entry *e, const struct reader *r, const xmlNode *entry)
{
	const xmlNode *at[ZT_LEVELS] = {NULL};
	for (const xmlNode *n = zt_field_element(entry->children); n; n = zt_field_element(n->next)) {
		if (!named(n, "ceiling"))
			return zt_field_fail(ZT_EINVAL, r->file, n, NULL, "element not allowed here");
		int level;
		int rc = zt_field_int(&level, 1, ZT_LEVELS, r->file, n, "level");
		if (rc)
			return rc;
		if (at[level - 1])
			return zt_field_fail(ZT_EINVAL, r->file, n, "level",
			                     "level %d has a ceiling already (line %ld): at most one "
			                     "ceiling per level", level, zt_field_line(at[level - 1]));
		at[level - 1] = n;
		const char *v;
		if ((rc = zt_field_raw(&v, r->file, n, "pric", true)))
			return rc;
		if ((rc = zt_parse_q4(&e->ceiling[level - 1], v, strlen(v))))
			return zt_field_wrap(rc, r->file, n, "pric");
		e->has_ceiling[level - 1] = true;
	}
	return 0;
}

static int read_entry(const struct reader *r, const xmlNode *n)
{
	char code[ZT_UTF8_BYTES(ZT_LIST_CODE_CHARS_MAX)], name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	struct zt_catalog_entry e = {.code = code, .name = name, .line = zt_field_line(n)};
	if (!named(n, "entry"))
		return zt_field_fail(ZT_EINVAL, r->file, n, NULL, "element not allowed here");
	int rc = zt_field_ident(code, sizeof code, ZT_LIST_CODE_CHARS_MAX, r->file, n, "code", true);
	if (!rc)
		rc = zt_field_token(name, sizeof name, ZT_NAME_CHARS_MAX, r->file, n, "name", true);
	if (!rc)
		rc = read_class(&e.chrgitm_lv, r, n);
	if (!rc)
		rc = read_date(&e.from, r, n, "from", true);
	if (!rc)
		rc = read_date(&e.to, r, n, "to", false);
	if (!rc)
		rc = check_span(r, n, e.from, e.to);
	if (rc)
		return rc;
	const char *v = zt_xml_attr(n, "selfpay_prop");
	if (v) {
		if (e.chrgitm_lv != 2)
			return zt_field_fail(ZT_EINVAL, r->file, n, "selfpay_prop",
			                     "is allowed on 02 entries only (this entry is 0%d)",
			                     e.chrgitm_lv);
		if ((rc = zt_parse_ratio(&e.selfpay_prop_bp, v, strlen(v))))
			return zt_field_wrap(rc, r->file, n, "selfpay_prop");
		e.has_selfpay_prop = true;
	}
	if ((rc = read_ceilings(&e, r, n)))
		return rc;
	if ((rc = zt_catalog_add(r->cat, &e)))
		return zt_field_wrap(rc, r->file, n, NULL);
	return 0;
}

/* The walk shared by files and memory: the root's attributes when its
 * start tag has been read (and validated), then each entry when its
 * subtree has. Frees the reader (before the validation context it
 * holds). */
static int walk(struct reader *r, xmlTextReaderPtr reader)
{
	struct zt_xml_errors se = {.set = false};
	int rc = 0, ret;
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlSchemaPtr schema = zt_schema(ZT_SCHEMA_CATALOG);
	if (!schema) {
		rc = ZT_EINTERNAL;
		goto done;
	}
	if (!(vc = xmlSchemaNewValidCtxt(schema))) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	xmlSchemaSetValidStructuredErrors(vc, zt_xml_errors_keep, &se);
	xmlTextReaderSetStructuredErrorHandler(reader, zt_xml_errors_keep, &se);
	if (xmlTextReaderSchemaValidateCtxt(reader, vc, 0) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "cannot validate '%s' while reading it", r->file);
		goto done;
	}
	bool seen_root = false;
	while ((ret = xmlTextReaderRead(reader)) == 1) {
		if (se.set)
			break;
		int type = xmlTextReaderNodeType(reader);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", r->file);
			goto done;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(reader);
		if (depth == 0) {
			seen_root = true;
			if ((rc = read_header(r, xmlTextReaderCurrentNode(reader))))
				goto done;
			continue;
		}
		if (depth != 1)
			continue;
		xmlNodePtr n = xmlTextReaderExpand(reader);
		if (!n || se.set)
			break;
		if ((rc = read_entry(r, n)))
			goto done;
	}
	if ((rc = zt_xml_stream_end(r->file, ret, &se)) != 0)
		goto done;
	if (!seen_root || !r->cat)
		rc = zt_error_set(ZT_EMALFORMED, "%s: no root element", r->file);
	else if (xmlTextReaderIsValid(reader) != 1)
		rc = zt_error_set(ZT_EINVAL, "%s: does not match the catalogue schema", r->file);
	else
		rc = zt_catalog_finish(r->cat, r->file);
done:
	xmlFreeTextReader(reader);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	return rc;
}

static int finish(struct zt_catalog **out, struct reader *r, int rc)
{
	if (rc) {
		zt_catalog_free(r->cat);
		return rc;
	}
	*out = r->cat;
	return 0;
}

int zt_catalog_parse_file(struct zt_catalog **out, const char *path)
{
	struct reader r = {.file = path};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is not a regular file", path);
	}
	int rc;
	xmlTextReaderPtr reader = zt_xml_reader_fd(fd, path);
	if (!reader)
		rc = ZT_ENOMEM;
	else
		rc = walk(&r, reader);
	close(fd);
	return finish(out, &r, rc);
}

int zt_catalog_parse_source(struct zt_catalog **out, const struct zt_source *src)
{
	struct reader r = {.file = zt_source_name(src)};
	xmlTextReaderPtr reader = zt_xml_reader_source(src);
	return finish(out, &r, reader ? walk(&r, reader) : ZT_ENOMEM);
}

int zt_catalog_parse(struct zt_catalog **out, const char *xml, size_t len, const char *filename)
{
	if (!filename)
		filename = "(catalogue)";
	struct reader r = {.file = filename};
	xmlTextReaderPtr reader = NULL;
	int rc = zt_xml_reader_memory(&reader, xml, len, filename);
	if (rc == 0)
		rc = walk(&r, reader);
	return finish(out, &r, rc);
}
