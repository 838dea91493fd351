/* zhitong — reading the registry (urn:zhitong:registry:1 and :2, see
 * registry.h).
 *
 * Loading is all or nothing (docs/spec/interfaces.md: "a file with one bad record
 * changes nothing"), so the whole document is checked before the visitor
 * sees its first record: first against schema/registry.xsd (or
 * registry-v2.xsd, by the root's namespace), then record by record here.
 * The second walk converts again rather than keeping every record in
 * memory; a registry can hold hundreds of thousands of people. What is
 * kept is one compact set of the keys seen (docs/spec/rules-v2.md §3: a
 * hospital code, psn_no or fund code given twice refuses the file). */
#include "zhitong/registry.h"
#include "zhitong/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhitong/error.h"
#include "zhitong/xml.h"
#include "field_int.h"
#include "xml_int.h"

enum record_kind { REC_HOSPITAL, REC_PERSON, REC_FUND };

/* ---- keys seen in one file ------------------------------------------------- */

/* An open-addressing set of "kind + key" strings with the line each was
 * first given on: about 30 bytes a record (the keys in blocks that never
 * move, 16 bytes a slot at load ≤ 1/2), so a file of 400,000 people costs
 * some 12 MB while it is read, and nothing after. */
#define KEYS_BLOCK_BYTES (256u * 1024u)
struct key_block {
	struct key_block *next;
	size_t used;
	char data[KEYS_BLOCK_BYTES];
};
struct key_slot {
	const char *key; /* NULL: empty */
	uint32_t hash;
	int32_t line;
};
struct keyset {
	struct key_block *blocks;
	struct key_slot *slots;
	size_t mask, count;
};

static void keyset_free(struct keyset *k)
{
	for (struct key_block *b = k->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(k->slots);
	memset(k, 0, sizeof *k);
}

static uint32_t key_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int keyset_grow(struct keyset *k)
{
	size_t n = k->slots ? (k->mask + 1) * 2 : 1024;
	struct key_slot *slots = zt_calloc(n, sizeof *slots);
	if (!slots)
		return zt_error_set(ZT_ENOMEM, "out of memory for the registry's keys");
	for (size_t i = 0; k->slots && i <= k->mask; i++) {
		if (!k->slots[i].key)
			continue;
		size_t j = k->slots[i].hash & (n - 1);
		while (slots[j].key)
			j = (j + 1) & (n - 1);
		slots[j] = k->slots[i];
	}
	free(k->slots);
	k->slots = slots;
	k->mask = n - 1;
	return 0;
}

/* Adds kind+key; if it was there, returns 1 with *first_line its line. */
static int keyset_add(struct keyset *k, char kind, const char *key, int line, int *first_line)
{
	char buf[2 + ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	snprintf(buf, sizeof buf, "%c%s", kind, key);
	if ((k->count + 1) * 2 > (k->slots ? k->mask + 1 : 0)) {
		int rc = keyset_grow(k);
		if (rc)
			return rc;
	}
	uint32_t h = key_hash(buf);
	size_t j = h & k->mask;
	for (; k->slots[j].key; j = (j + 1) & k->mask)
		if (k->slots[j].hash == h && strcmp(k->slots[j].key, buf) == 0) {
			*first_line = k->slots[j].line;
			return 1;
		}
	size_t n = strlen(buf) + 1;
	if (!k->blocks || KEYS_BLOCK_BYTES - k->blocks->used < n) {
		struct key_block *b = zt_malloc(sizeof *b);
		if (!b)
			return zt_error_set(ZT_ENOMEM, "out of memory for the registry's keys");
		b->next = k->blocks;
		b->used = 0;
		k->blocks = b;
	}
	char *dst = k->blocks->data + k->blocks->used;
	memcpy(dst, buf, n);
	k->blocks->used += n;
	k->slots[j] = (struct key_slot){dst, h, line};
	k->count++;
	return 0;
}

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

static int read_date(zt_date *out, const char *f, const xmlNode *n, const char *attr,
                     bool required)
{
	const char *v;
	int rc = zt_field_raw(&v, f, n, attr, required);
	if (rc || !v)
		return rc;
	if ((rc = zt_parse_date(out, v, strlen(v))))
		return zt_field_wrap(rc, f, n, attr);
	return 0;
}

/* Registry v2: the <category value from to> children of a person, each a
 * real span, at most ZT_CATEGORY_PERIODS_MAX, none overlapping another
 * (refused at the later one, naming the earlier). */
static int read_periods(struct zt_person *p, const char *f, const xmlNode *person)
{
	const xmlNode *at[ZT_CATEGORY_PERIODS_MAX];
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	for (const xmlNode *n = zt_field_element(person->children); n; n = zt_field_element(n->next)) {
		if (!zt_field_is(n, ZT_REGISTRY_NS_V2, "category"))
			return zt_field_fail(ZT_EINVAL, f, n, NULL, "element not allowed here");
		if (p->period_count == ZT_CATEGORY_PERIODS_MAX)
			return zt_field_fail(ZT_EINVAL, f, n, NULL, "more than %d category periods",
			                     ZT_CATEGORY_PERIODS_MAX);
		struct zt_category_period q = {0};
		int rc = zt_field_category(&q.value, f, n, "value");
		if (!rc)
			rc = read_date(&q.from, f, n, "from", true);
		if (!rc)
			rc = read_date(&q.to, f, n, "to", false);
		if (rc)
			return rc;
		if (q.to && q.to < q.from)
			return zt_field_fail(ZT_EINVAL, f, n, "to", "%s is before from %s",
			                     zt_format_date(a, q.to), zt_format_date(b, q.from));
		for (int i = 0; i < p->period_count; i++) {
			const struct zt_category_period *o = &p->periods[i];
			int x, y;
			struct zt_category_period two[2] = {*o, q};
			if (!zt_category_periods_overlap(two, 2, &x, &y))
				continue;
			return zt_field_fail(ZT_EINVAL, f, n, "from",
			                     "the period %s to %s overlaps the period of line %ld (%s to "
			                     "%s): periods of one person must not overlap",
			                     zt_format_date(a, q.from), q.to ? zt_format_date(b, q.to) : "open",
			                     zt_field_line(at[i]), zt_format_date(c, o->from),
			                     o->to ? zt_format_date(d, o->to) : "open");
		}
		at[p->period_count] = n;
		p->periods[p->period_count++] = q;
	}
	return 0;
}

static int read_person(struct zt_person *p, const char *f, const xmlNode *n, int version)
{
	p->version = version;
	int rc = zt_field_ident(p->psn_no, sizeof p->psn_no, ZT_CODE_CHARS_MAX, f, n, "psn_no", true);
	if (!rc)
		rc = zt_field_token(p->name, sizeof p->name, ZT_NAME_CHARS_MAX, f, n, "name", true);
	if (!rc)
		rc = read_id_no(p->id_no, f, n);
	if (!rc)
		rc = zt_field_category(&p->category, f, n, "category");
	if (!rc)
		rc = zt_field_digits(p->county, ZT_COUNTY_BYTES - 1, f, n, "county");
	if (!rc)
		rc = read_periods(p, f, n);
	return rc;
}

static int read_fund(struct zt_fund *fund, const char *f, const xmlNode *n)
{
	int rc = zt_field_digits(fund->code, ZT_FUND_CODE_BYTES - 1, f, n, "code");
	if (!rc)
		rc = zt_field_token(fund->name, sizeof fund->name, ZT_NAME_CHARS_MAX, f, n, "name", true);
	return rc;
}

static const char *ns_of(int version) { return version == 2 ? ZT_REGISTRY_NS_V2 : ZT_REGISTRY_NS; }

static int read_record(struct record *rec, const char *f, const xmlNode *n, int version)
{
	memset(rec, 0, sizeof *rec);
	const char *ns = ns_of(version);
	if (zt_field_is(n, ns, "hospital")) {
		rec->kind = REC_HOSPITAL;
		return read_hospital(&rec->u.hospital, f, n);
	}
	if (zt_field_is(n, ns, "person")) {
		rec->kind = REC_PERSON;
		return read_person(&rec->u.person, f, n, version);
	}
	if (zt_field_is(n, ns, "fund")) {
		rec->kind = REC_FUND;
		return read_fund(&rec->u.fund, f, n);
	}
	return zt_field_fail(ZT_EINVAL, f, n, NULL, "element not allowed here");
}

/* The record's key has not been given before in the file. */
static int check_unique(struct keyset *keys, const struct record *rec, const char *f,
                        const xmlNode *n)
{
	static const struct {
		char kind;
		const char *attr, *what;
	} names[] = {[REC_HOSPITAL] = {'H', "code", "hospital code"},
	             [REC_PERSON] = {'P', "psn_no", "psn_no"},
	             [REC_FUND] = {'F', "code", "fund code"}};
	const char *key = rec->kind == REC_HOSPITAL ? rec->u.hospital.code
	                  : rec->kind == REC_PERSON ? rec->u.person.psn_no
	                                            : rec->u.fund.code;
	int first = 0;
	int rc = keyset_add(keys, names[rec->kind].kind, key, (int)zt_field_line(n), &first);
	if (rc <= 0)
		return rc;
	return zt_field_fail(ZT_EINVAL, f, n, names[rec->kind].attr,
	                     "%s '%s' is given twice in the file (first on line %d): one record "
	                     "for each", names[rec->kind].what, key, first);
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

static const char *const registry_ns[] = {ZT_REGISTRY_NS, ZT_REGISTRY_NS_V2};
static const enum zt_schema_id registry_schemas[] = {ZT_SCHEMA_REGISTRY, ZT_SCHEMA_REGISTRY_V2};

int zt_registry_parse(const char *xml, size_t len, const char *filename,
                      const struct zt_registry_visitor *v)
{
	xmlDocPtr doc = NULL;
	struct keyset keys = {0};
	/* A person holds its periods: kept off the stack. */
	struct record *rec = zt_malloc(sizeof *rec);
	if (!filename)
		filename = "(registry)";
	int which = 0, rc;
	if (!rec) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	rc = zt_xml_parse_doc_versions(&doc, &which, xml, len, filename, registry_ns,
	                               registry_schemas, 2);
	if (rc)
		goto done;
	int version = which + 1;
	const xmlNode *root = xmlDocGetRootElement(doc);
	if (!zt_field_is(root, ns_of(version), "registry")) {
		rc = zt_field_fail(ZT_EINVAL, filename, root, NULL,
		                   "the root must be a v1 or v2 <registry>");
		goto done;
	}
	for (const xmlNode *n = zt_field_element(root->children); n; n = zt_field_element(n->next)) {
		if ((rc = read_record(rec, filename, n, version)) ||
		    (rc = check_unique(&keys, rec, filename, n)))
			goto done;
	}
	if (!v)
		goto done; /* validation only */
	for (const xmlNode *n = zt_field_element(root->children); n; n = zt_field_element(n->next)) {
		rc = read_record(rec, filename, n, version);
		if (!rc)
			rc = visit(v, rec, (int)zt_field_line(n));
		if (rc)
			goto done;
	}
done:
	keyset_free(&keys);
	free(rec);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- streaming ---------------------------------------------------------- */

/* A registry can hold every resident of a county (hundreds of thousands of
 * people), so it is streamed. */
/* The version decides the schema, which the streaming validator needs
 * before the first byte. A source cannot be read twice, so its head is
 * read ahead (PEEK_BYTES, more if the root is further), the root's
 * namespace looked up in it, and
 * the reader then gets the head again followed by the rest. */
#define PEEK_BYTES (64u * 1024u)
struct replay {
	const struct zt_source *src;
	char *head;
	size_t len, off;
	bool ended; /* the source ended inside the head */
};

static ssize_t replay_read(void *ctx, char *buf, size_t len)
{
	struct replay *p = ctx;
	if (p->off < p->len) {
		size_t n = p->len - p->off < len ? p->len - p->off : len;
		memcpy(buf, p->head + p->off, n);
		p->off += n;
		return (ssize_t)n;
	}
	return p->ended ? 0 : p->src->read(p->src->ctx, buf, len);
}

/* Reads on until the head holds `want` bytes or the source ends; 0 or the
 * source's error. */
static int replay_fill(struct replay *p, size_t want)
{
	char *h = zt_realloc(p->head, want);
	if (!h)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	p->head = h;
	while (p->len < want && !p->ended) {
		ssize_t n = p->src->read(p->src->ctx, p->head + p->len, want - p->len);
		if (n < 0)
			return (int)n;
		if (n == 0)
			p->ended = true;
		p->len += (size_t)n;
	}
	return 0;
}

/* The root's namespace ("" if none: anything else is validated as v1,
 * whose schema then says what is wrong), reading ahead as far as the root
 * element, at most ZT_DOC_BYTES_MAX (a prolog of comments can be long). */
static int head_ns(char *out, size_t out_bytes, struct replay *p, const char *name)
{
	for (size_t want = PEEK_BYTES;; want *= 2) {
		int rc = replay_fill(p, want);
		if (rc)
			return rc;
		xmlTextReaderPtr r = NULL;
		int made = zt_xml_reader_memory(&r, p->head, p->len, name);
		if (made == ZT_ENOMEM) /* never read a v2 file as v1 for want of memory */
			return made;
		if (made != 0)
			r = NULL; /* (a refused DOCTYPE: the full read reports it) */
		bool found = zt_xml_reader_root_ns(out, out_bytes, r);
		if (found || p->ended || want >= ZT_DOC_BYTES_MAX)
			return 0;
	}
}

/* Walks the records of a reader that validates as it goes. */
static int walk(xmlTextReaderPtr reader, int version, const char *path,
                const struct zt_registry_visitor *v, struct zt_xml_errors *se)
{
	struct keyset keys = {0};
	struct record *rec = zt_malloc(sizeof *rec);
	bool seen_root = false;
	int rc = 0, r;
	if (!rec)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	while ((r = xmlTextReaderRead(reader)) == 1) {
		if (se->set)
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
			continue; /* the schema checks that it is a <registry> */
		}
		if (depth != 1)
			continue;
		xmlNodePtr n = xmlTextReaderExpand(reader);
		if (!n || se->set)
			break;
		if ((rc = read_record(rec, path, n, version)) != 0 ||
		    (rc = check_unique(&keys, rec, path, n)) != 0)
			goto done;
		if (v && (rc = visit(v, rec, (int)zt_field_line(n))) != 0)
			goto done;
	}
	/* the first error: the source's, the validator's or the parser's */
	if ((rc = zt_xml_stream_end(path, r, se)) != 0) {
		/* reported */
	} else if (!seen_root) {
		rc = zt_error_set(ZT_EMALFORMED, "%s: no root element", path);
	} else if (xmlTextReaderIsValid(reader) != 1) {
		rc = zt_error_set(ZT_EINVAL, "%s: does not match the registry schema", path);
	}
done:
	keyset_free(&keys);
	free(rec);
	return rc;
}

/* Streamed: the document is validated against registry.xsd (or
 * registry-v2.xsd) as it goes, and one record at a time is expanded,
 * checked and visited. A record is visited only after everything before
 * it — and the record itself — validated; an error later in the document
 * stops the walk, and the caller, which runs the visits in one
 * transaction, rolls them back: nothing of a bad document is ever
 * stored. */
int zt_registry_parse_source(const struct zt_source *src, const struct zt_registry_visitor *v)
{
	const char *path = zt_source_name(src);
	struct replay p = {.src = src};
	struct zt_xml_errors se = {.set = false};
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlTextReaderPtr reader = NULL;
	char ns[64];
	int rc = head_ns(ns, sizeof ns, &p, path);
	if (rc)
		goto done;
	int version = strcmp(ns, ZT_REGISTRY_NS_V2) == 0 ? 2 : 1;
	xmlSchemaPtr schema = zt_schema(registry_schemas[version - 1]);
	if (!schema) {
		rc = ZT_EINTERNAL;
		goto done;
	}
	struct zt_source again = {replay_read, &p, src->size_hint, path, NULL};
	vc = xmlSchemaNewValidCtxt(schema);
	reader = zt_xml_reader_source(&again);
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
	rc = walk(reader, version, path, v, &se);
done:
	xmlFreeTextReader(reader);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	free(p.head);
	return rc;
}

int zt_registry_parse_file(const char *path, const struct zt_registry_visitor *v)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is not a regular file", path);
	}
	struct zt_source src = zt_source_file(f, path);
	int rc = zt_registry_parse_source(&src, v);
	fclose(f);
	return rc;
}

/* ---- a person's category on a day (docs/spec/rules-v2.md §3) --------------- */

static bool period_holds(const struct zt_category_period *p, zt_date date)
{
	return date >= p->from && (p->to == 0 || date <= p->to);
}

zt_category zt_category_on(zt_category fallback, const struct zt_category_period *periods,
                           int count, zt_date date)
{
	for (int i = 0; i < count; i++)
		if (period_holds(&periods[i], date))
			return periods[i].value;
	return fallback;
}

zt_category zt_person_category_on(const struct zt_person *p, zt_date date)
{
	return zt_category_on(p->category, p->periods, p->period_count, date);
}

bool zt_category_periods_overlap(const struct zt_category_period *periods, int count, int *a,
                                 int *b)
{
	/* Two spans overlap when each begins before the other ends. */
	for (int i = 0; i < count; i++)
		for (int j = i + 1; j < count; j++) {
			const struct zt_category_period *p = &periods[i], *q = &periods[j];
			if ((p->to == 0 || q->from <= p->to) && (q->to == 0 || p->from <= q->to)) {
				*a = i;
				*b = j;
				return true;
			}
		}
	return false;
}
