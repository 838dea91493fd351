/* zhitong — fuzz target: the registry reader (registry.h,
 * schema/registry.xsd; docs/spec/interfaces.md "Registry").
 *
 * PENDING: written against the reader as it was before the readers
 * refactor (zt_registry_parse from memory, zt_registry_parse_file
 * streamed); enabled after the refactor lands (tests/fuzz/CMakeLists.txt
 * ZT_FUZZ_PENDING_TARGETS): adjust read_both() to the new entry calls.
 *
 * The input is a registry file. Every record visited obeys the rules (codes
 * visible identifiers within their lengths, names visible lines, levels
 * 1..4, counties and funds six digits, id_no 17 digits and a digit or X);
 * the streamed reader and the reader from memory agree — a file is
 * accepted by both or refused by both, and the one from memory visits
 * nothing of a refused file. */
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

static int hospital(void *ctx, const struct zt_hospital *h, int line)
{
	(*(int *)ctx)++;
	ZT_FUZZ_CHECK(line > 0, "line %d", line);
	visible("hospital code", h->code, ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT);
	visible("hospital name", h->name, ZT_NAME_CHARS_MAX, ZT_TEXT_LINE);
	ZT_FUZZ_CHECK(h->level >= 1 && h->level <= 4, "level %d", h->level);
	ZT_FUZZ_CHECK(digits(h->county, 6), "county '%s'", h->county);
	return 0;
}

static int person(void *ctx, const struct zt_person *p, int line)
{
	(*(int *)ctx)++;
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
	return 0;
}

static int fund(void *ctx, const struct zt_fund *f, int line)
{
	(*(int *)ctx)++;
	ZT_FUZZ_CHECK(line > 0, "line %d", line);
	ZT_FUZZ_CHECK(digits(f->code, 6), "fund code '%s'", f->code);
	visible("fund name", f->name, ZT_NAME_CHARS_MAX, ZT_TEXT_LINE);
	return 0;
}

/* The readers' entry calls (adjust here after the refactor). */
static void read_both(const uint8_t *data, size_t size)
{
	int whole = 0, streamed = 0;
	struct zt_registry_visitor v = {&whole, hospital, person, fund};
	int rc = zt_registry_parse((const char *)data, size, "registry.xml", &v);
	if (rc)
		ZT_FUZZ_CHECK(rc < 0 && zt_error_last()[0] && whole == 0,
		              "refused (%d) after visiting %d records", rc, whole);
	v.ctx = &streamed;
	int rc2 = zt_registry_parse_file(zt_fuzz_file(data, size), &v);
	ZT_FUZZ_CHECK((rc == 0) == (rc2 == 0), "from memory %d, streamed %d", rc, rc2);
	if (rc == 0)
		ZT_FUZZ_CHECK(whole == streamed, "%d records from memory, %d streamed", whole, streamed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	read_both(data, size);
	return 0;
}
