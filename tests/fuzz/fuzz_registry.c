/* zhitong — fuzz target: the registry reader (registry.h,
 * schema/registry.xsd; docs/spec/interfaces.md "Registry").
 *
 * The input is a registry file, v1 or v2 (urn:zhitong:registry:2: category
 * periods; docs/spec/rules-v2.md §3). Every record visited obeys the rules
 * (codes visible identifiers within their lengths, names visible lines,
 * levels 1..4, counties and funds six digits, id_no 17 digits and a digit
 * or X; periods only in v2, real dates in order, not overlapping, at most
 * ZT_CATEGORY_PERIODS_MAX); the streamed reader and the reader from memory
 * agree — a file is accepted by both or refused by both, an accepted file
 * gives both the same records in the same order, and the one from memory
 * visits nothing of a refused file. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/registry.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

static bool digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static void visible(const char *what, const char *s, size_t max, enum zt_text_kind kind)
{
	ZT_FUZZ_CHECK(s[0] && zt_text_check(what, s, strlen(s), max, kind) == 0, "%s '%s': %s", what,
	              s, zt_error_last());
}

/* What a reader visited: how many records and a hash of them in order. */
struct visits {
	int count;
	uint64_t hash;
};

static void mix(struct visits *v, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		v->hash = (v->hash ^ b[i]) * UINT64_C(1099511628211);
}

static void mix_str(struct visits *v, const char *s) { mix(v, s, strlen(s) + 1); }

static int hospital(void *ctx, const struct zt_hospital *h, int line)
{
	struct visits *v = ctx;
	v->count++;
	mix_str(v, h->code);
	mix_str(v, h->name);
	mix(v, &h->level, sizeof h->level);
	mix(v, &line, sizeof line);
	ZT_FUZZ_CHECK(line > 0, "line %d", line);
	visible("hospital code", h->code, ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT);
	visible("hospital name", h->name, ZT_NAME_CHARS_MAX, ZT_TEXT_LINE);
	ZT_FUZZ_CHECK(h->level >= 1 && h->level <= 4, "level %d", h->level);
	ZT_FUZZ_CHECK(digits(h->county, 6), "county '%s'", h->county);
	return 0;
}

static int person(void *ctx, const struct zt_person *p, int line)
{
	struct visits *v = ctx;
	v->count++;
	mix_str(v, p->psn_no);
	mix_str(v, p->name);
	mix_str(v, p->id_no);
	mix(v, &p->category, sizeof p->category);
	mix(v, &line, sizeof line);
	ZT_FUZZ_CHECK(line > 0, "line %d", line);
	visible("psn_no", p->psn_no, ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT);
	visible("name", p->name, ZT_NAME_CHARS_MAX, ZT_TEXT_LINE);
	ZT_FUZZ_CHECK(strlen(p->id_no) == 18 && digits(p->county, 6), "id_no '%s' county '%s'",
	              p->id_no, p->county);
	for (int i = 0; i < 17; i++)
		ZT_FUZZ_CHECK(p->id_no[i] >= '0' && p->id_no[i] <= '9', "id_no '%s'", p->id_no);
	ZT_FUZZ_CHECK((p->id_no[17] >= '0' && p->id_no[17] <= '9') || p->id_no[17] == 'X',
	              "id_no '%s'", p->id_no);
	ZT_FUZZ_CHECK(p->category >= 0 && p->category < ZT_CAT_COUNT, "category %d", (int)p->category);
	ZT_FUZZ_CHECK(p->version == 1 || p->version == 2, "version %d", p->version);
	ZT_FUZZ_CHECK(p->period_count >= 0 && p->period_count <= ZT_CATEGORY_PERIODS_MAX &&
	                  (p->version == 2 || p->period_count == 0),
	              "v%d: %d periods", p->version, p->period_count);
	for (int i = 0; i < p->period_count; i++) {
		const struct zt_category_period *a = &p->periods[i];
		mix(v, a, sizeof *a);
		ZT_FUZZ_CHECK(a->value >= 0 && a->value < ZT_CAT_COUNT, "period category %d",
		              (int)a->value);
		ZT_FUZZ_CHECK(zt_date_valid(a->from) && (a->to == 0 || (zt_date_valid(a->to) &&
		                                                        a->to >= a->from)),
		              "period %d..%d", a->from, a->to);
		for (int k = 0; k < i; k++) {
			const struct zt_category_period *b = &p->periods[k];
			bool apart = (a->to != 0 && a->to < b->from) || (b->to != 0 && b->to < a->from);
			ZT_FUZZ_CHECK(apart, "'%s': periods %d..%d and %d..%d overlap", p->psn_no, b->from,
			              b->to, a->from, a->to);
		}
	}
	return 0;
}

static int fund(void *ctx, const struct zt_fund *f, int line)
{
	struct visits *v = ctx;
	v->count++;
	mix_str(v, f->code);
	mix_str(v, f->name);
	mix(v, &line, sizeof line);
	ZT_FUZZ_CHECK(line > 0, "line %d", line);
	ZT_FUZZ_CHECK(digits(f->code, 6), "fund code '%s'", f->code);
	visible("fund name", f->name, ZT_NAME_CHARS_MAX, ZT_TEXT_LINE);
	return 0;
}

static void read_both(const uint8_t *data, size_t size)
{
	struct visits whole = {0, 0}, streamed = {0, 0};
	struct zt_registry_visitor v = {&whole, hospital, person, fund};
	int rc = zt_registry_parse((const char *)data, size, "registry.xml", &v);
	if (rc)
		ZT_FUZZ_CHECK(rc < 0 && zt_error_last()[0] && whole.count == 0,
		              "refused (%d) after visiting %d records", rc, whole.count);
	v.ctx = &streamed;
	int rc2 = zt_registry_parse_file(zt_fuzz_file(data, size), &v);
	ZT_FUZZ_CHECK((rc == 0) == (rc2 == 0), "from memory %d, streamed %d", rc, rc2);
	if (rc2)
		ZT_FUZZ_CHECK(rc2 < 0 && zt_error_last()[0], "streamed: refused %d without a message", rc2);
	if (rc == 0)
		ZT_FUZZ_CHECK(whole.count == streamed.count && whole.hash == streamed.hash,
		              "%d records from memory, %d streamed, or not the same", whole.count,
		              streamed.count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	read_both(data, size);
	return 0;
}
