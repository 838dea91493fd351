/* zhitong — fuzz target: the insurer's catalogue reader (catalog.h,
 * schema/catalog.xsd; docs/spec/rules-v2.md §2).
 *
 * The input is a catalogue file. Refused: a negative code with a message.
 * The reader from memory and the streamed reader of a file agree: the same
 * verdict, and for an accepted file the same entries. Accepted: a
 * catalogue the classification can rely on — an identifier id, a six-digit
 * county, real dates in order; entries sorted by code then date, each of
 * class 1..3, a self-pay ratio on 02 entries only and within 0..1,
 * ceilings in range, dates real, in order and inside the catalogue's; no
 * two entries of a code overlap, and looking an entry up by its code on
 * its first day finds it. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/catalog.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

static void check(const struct zt_catalog *c)
{
	const struct zt_catalog_info *info = zt_catalog_info(c);
	ZT_FUZZ_CHECK(info->id[0] && zt_text_check("id", info->id, strlen(info->id), ZT_NAME_CHARS_MAX,
	                                           ZT_TEXT_IDENT) == 0,
	              "id '%s'", info->id);
	ZT_FUZZ_CHECK(strlen(info->county) == 6 && strspn(info->county, "0123456789") == 6,
	              "county '%s'", info->county);
	ZT_FUZZ_CHECK(zt_date_valid(info->effective_from), "effective-from %d", info->effective_from);
	ZT_FUZZ_CHECK(info->effective_to == 0 || (zt_date_valid(info->effective_to) &&
	                                          info->effective_to >= info->effective_from),
	              "effective %d..%d", info->effective_from, info->effective_to);
	size_t n = zt_catalog_count(c);
	ZT_FUZZ_CHECK(n <= ZT_CATALOG_ENTRIES_MAX, "%zu entries", n);
	const struct zt_catalog_entry *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct zt_catalog_entry *e = zt_catalog_entry_at(c, i);
		ZT_FUZZ_CHECK(e && e->code && e->code[0] && e->name && e->name[0], "entry %zu", i);
		ZT_FUZZ_CHECK(zt_text_check("code", e->code, strlen(e->code), ZT_LIST_CODE_CHARS_MAX,
		                            ZT_TEXT_IDENT) == 0,
		              "code '%s': %s", e->code, zt_error_last());
		ZT_FUZZ_CHECK(zt_text_check("name", e->name, strlen(e->name), ZT_NAME_CHARS_MAX,
		                            ZT_TEXT_LINE) == 0,
		              "name '%s': %s", e->name, zt_error_last());
		ZT_FUZZ_CHECK(e->chrgitm_lv >= 1 && e->chrgitm_lv <= 3, "class %d", e->chrgitm_lv);
		ZT_FUZZ_CHECK(!e->has_selfpay_prop || (e->chrgitm_lv == 2 && e->selfpay_prop_bp >= 0 &&
		                                       e->selfpay_prop_bp <= ZT_BP_ONE),
		              "'%s': selfpay %d on class %d", e->code, e->selfpay_prop_bp, e->chrgitm_lv);
		for (int l = 0; l < ZT_LEVELS; l++)
			ZT_FUZZ_CHECK(!e->has_ceiling[l] || (e->ceiling[l] >= 0 && e->ceiling[l] <= ZT_Q4_MAX),
			              "'%s': ceiling %lld", e->code, (long long)e->ceiling[l]);
		ZT_FUZZ_CHECK(zt_date_valid(e->from) && e->from >= info->effective_from,
		              "'%s': from %d", e->code, e->from);
		zt_date end = zt_catalog_entry_end(c, e);
		ZT_FUZZ_CHECK(e->to == 0 || (zt_date_valid(e->to) && e->to >= e->from), "'%s': %d..%d",
		              e->code, e->from, e->to);
		ZT_FUZZ_CHECK(info->effective_to == 0 || (end != 0 && end <= info->effective_to),
		              "'%s' ends %d after the catalogue %d", e->code, end, info->effective_to);
		ZT_FUZZ_CHECK(e->line > 0, "'%s': line %ld", e->code, e->line);
		if (prev) {
			int cmp = strcmp(prev->code, e->code);
			ZT_FUZZ_CHECK(cmp < 0 || (cmp == 0 && prev->from < e->from), "not sorted at %zu", i);
			if (cmp == 0) {
				zt_date pend = zt_catalog_entry_end(c, prev);
				ZT_FUZZ_CHECK(pend != 0 && pend < e->from, "'%s': %d..%d overlaps %d", e->code,
				              prev->from, pend, e->from);
			}
		}
		const struct zt_catalog_entry *f = zt_catalog_find(c, e->code, e->from);
		ZT_FUZZ_CHECK(f == e, "'%s' on %d: found %p, not %p", e->code, e->from, (const void *)f,
		              (const void *)e);
		ZT_FUZZ_CHECK(zt_catalog_in_force(c, e->from), "'%s' from %d: not in force", e->code,
		              e->from);
		prev = e;
	}
}

static bool same(const struct zt_catalog *a, const struct zt_catalog *b)
{
	const struct zt_catalog_info *ia = zt_catalog_info(a), *ib = zt_catalog_info(b);
	if (zt_catalog_count(a) != zt_catalog_count(b) || strcmp(ia->id, ib->id) ||
	    strcmp(ia->county, ib->county) || ia->effective_from != ib->effective_from ||
	    ia->effective_to != ib->effective_to)
		return false;
	for (size_t i = 0; i < zt_catalog_count(a); i++) {
		const struct zt_catalog_entry *x = zt_catalog_entry_at(a, i), *y = zt_catalog_entry_at(b, i);
		if (strcmp(x->code, y->code) || strcmp(x->name, y->name) || x->from != y->from ||
		    x->to != y->to || x->chrgitm_lv != y->chrgitm_lv ||
		    x->has_selfpay_prop != y->has_selfpay_prop ||
		    (x->has_selfpay_prop && x->selfpay_prop_bp != y->selfpay_prop_bp) || x->line != y->line)
			return false;
		for (int l = 0; l < ZT_LEVELS; l++)
			if (x->has_ceiling[l] != y->has_ceiling[l] ||
			    (x->has_ceiling[l] && x->ceiling[l] != y->ceiling[l]))
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	struct zt_catalog *a = NULL, *b = NULL;
	int rc = zt_catalog_parse(&a, (const char *)data, size, "catalog.xml");
	if (rc)
		ZT_FUZZ_CHECK(rc < 0 && a == NULL && zt_error_last()[0], "refused %d: %s", rc,
		              zt_error_last());
	else
		check(a);
	int rc2 = zt_catalog_parse_file(&b, zt_fuzz_file(data, size));
	ZT_FUZZ_CHECK((rc == 0) == (rc2 == 0), "from memory %d, from a file %d (%s)", rc, rc2,
	              zt_error_last());
	if (rc == 0)
		ZT_FUZZ_CHECK(same(a, b), "the file and the memory readers differ");
	zt_catalog_free(a);
	zt_catalog_free(b);
	return 0;
}
