/* zhitong — reading the registry (urn:zhitong:registry:1, see registry.h).
 *
 * Loading is all or nothing (interfaces.md: "a file with one bad record
 * changes nothing"), so the whole document is checked before the visitor
 * sees its first record: first against schema/registry.xsd, then record by
 * record here. The second walk converts again rather than keeping every
 * record in memory; a registry can hold hundreds of thousands of people. */
#include "zhitong/registry.h"

#include <string.h>

#include "zhitong/error.h"
#include "zhitong/xml.h"
#include "field_int.h"

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
	int rc = zt_field_token(h->code, sizeof h->code, ZT_CODE_CHARS_MAX, f, n, "code", true);
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
	int rc = zt_field_token(p->psn_no, sizeof p->psn_no, ZT_CODE_CHARS_MAX, f, n, "psn_no", true);
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
