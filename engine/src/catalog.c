/* zhitong — the catalogue in memory, its lookups, and the classification
 * rule of docs/spec/rules-v2.md §2 (see catalog.h; the file reader is
 * catalog_reader.c).
 *
 * Layout: entries in one array, sorted by code then from-date, so the
 * entries of a code are one run; their strings in an arena of blocks that
 * never move (entries point into it); and an open-addressing hash table
 * (linear probing, load at most 1/2) from each distinct code to its run.
 * A lookup hashes the code once, compares a 32-bit hash before any string,
 * and scans the run (one entry for almost every code) for the entry whose
 * dates contain the day. */
#include "zhitong/catalog.h"

/* A lookup that returns a wrong entry would misclassify money: the
 * invariants below are asserted in every build. */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/text.h"

#define ARENA_BLOCK_BYTES (256u * 1024u)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

struct slot {
	uint32_t hash;
	uint32_t first; /* index of the code's first entry */
	uint32_t count; /* entries of the code; 0 = an empty slot */
};

struct zt_catalog {
	struct zt_catalog_info info;
	struct zt_catalog_entry *entries;
	size_t count, cap;
	struct arena_block *arena;
	struct slot *slots;
	size_t slot_mask;
	bool finished;
};

/* ---- strings ------------------------------------------------------------- */

static const char *arena_copy(struct zt_catalog *c, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_block *b = c->arena;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
		b = zt_malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = c->arena;
		b->used = 0;
		b->cap = cap;
		c->arena = b;
	}
	char *dst = b->data + b->used;
	memcpy(dst, s, n);
	b->used += n;
	return dst;
}

/* FNV-1a, 64 bits folded to 32: the codes are short ASCII strings. */
static uint32_t code_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* ---- building -------------------------------------------------------------- */

static bool valid_header(const struct zt_catalog_info *info)
{
	size_t idn = strnlen(info->id, sizeof info->id);
	if (idn == 0 || idn == sizeof info->id ||
	    zt_text_check("the catalogue's id", info->id, idn, ZT_NAME_CHARS_MAX, ZT_TEXT_IDENT))
		return false;
	if (strnlen(info->county, sizeof info->county) != ZT_COUNTY_BYTES - 1 ||
	    strspn(info->county, "0123456789") != ZT_COUNTY_BYTES - 1)
		return false;
	return zt_date_valid(info->effective_from) &&
	       (info->effective_to == 0 ||
	        (zt_date_valid(info->effective_to) && info->effective_to >= info->effective_from));
}

int zt_catalog_new(struct zt_catalog **out, const struct zt_catalog_info *info)
{
	if (!valid_header(info))
		return zt_error_set(ZT_EINVAL, "catalogue '%.50s': bad header (id, county or dates)",
		                    info->id);
	struct zt_catalog *c = zt_calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	c->info = *info;
	*out = c;
	return 0;
}

zt_date zt_catalog_entry_end(const struct zt_catalog *c, const struct zt_catalog_entry *e)
{
	return e->to ? e->to : c->info.effective_to;
}

bool zt_catalog_in_force(const struct zt_catalog *c, zt_date date)
{
	return date >= c->info.effective_from &&
	       (c->info.effective_to == 0 || date <= c->info.effective_to);
}

/* The rules of one entry, without a file to point at (catalog_reader.c
 * checks the same with the line and the field first). */
static const char *entry_fault(const struct zt_catalog *c, const struct zt_catalog_entry *e)
{
	if (!e->code || !e->code[0] || strlen(e->code) > ZT_UTF8_BYTES(ZT_LIST_CODE_CHARS_MAX) - 1)
		return "no code, or a code too long";
	if (!e->name || strlen(e->name) > ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX) - 1)
		return "no name, or a name too long";
	if (e->chrgitm_lv < 1 || e->chrgitm_lv > 3)
		return "chrgitm_lv is not 01, 02 or 03";
	if (e->has_selfpay_prop && e->chrgitm_lv != 2)
		return "selfpay_prop is allowed on 02 entries only";
	if (e->has_selfpay_prop && (e->selfpay_prop_bp < 0 || e->selfpay_prop_bp > ZT_BP_ONE))
		return "selfpay_prop is not 0..1";
	for (int l = 0; l < ZT_LEVELS; l++)
		if (e->has_ceiling[l] && (e->ceiling[l] < 0 || e->ceiling[l] > ZT_Q4_MAX))
			return "a ceiling is out of range";
	if (!zt_date_valid(e->from) || (e->to && (!zt_date_valid(e->to) || e->to < e->from)))
		return "its dates are not a span (from <= to)";
	zt_date end = zt_catalog_entry_end(c, e);
	if (!zt_catalog_in_force(c, e->from) || (end && !zt_catalog_in_force(c, end)))
		return "its dates are not inside the catalogue's";
	return NULL;
}

int zt_catalog_add(struct zt_catalog *c, const struct zt_catalog_entry *e)
{
	assert(!c->finished);
	const char *fault = entry_fault(c, e);
	if (fault)
		return zt_error_set(ZT_EINVAL, "catalogue '%s': entry '%.50s': %s", c->info.id,
		                    e->code ? e->code : "", fault);
	if (c->count >= ZT_CATALOG_ENTRIES_MAX)
		return zt_error_set(ZT_ERANGE, "catalogue '%s': more than %d entries", c->info.id,
		                    ZT_CATALOG_ENTRIES_MAX);
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct zt_catalog_entry *n = zt_realloc(c->entries, cap * sizeof *n);
		if (!n)
			return zt_error_set(ZT_ENOMEM, "out of memory for %zu catalogue entries", cap);
		c->entries = n;
		c->cap = cap;
	}
	struct zt_catalog_entry k = *e;
	k.code = arena_copy(c, e->code);
	k.name = arena_copy(c, e->name);
	if (!k.code || !k.name)
		return zt_error_set(ZT_ENOMEM, "out of memory for the catalogue's names");
	c->entries[c->count++] = k;
	return 0;
}

static int by_code_then_from(const void *a, const void *b)
{
	const struct zt_catalog_entry *x = a, *y = b;
	int d = strcmp(x->code, y->code);
	if (d)
		return d;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Entries of one code, sorted by from: each must end before the next
 * begins (checking neighbours is enough: an overlap with a later entry
 * implies one with the next). Reported at the entry that comes later in
 * the file, naming the other. */
static int check_overlaps(const struct zt_catalog *c, const char *filename)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], d[ZT_FMT_BYTES], e[ZT_FMT_BYTES];
	for (size_t i = 1; i < c->count; i++) {
		const struct zt_catalog_entry *p = &c->entries[i - 1], *q = &c->entries[i];
		if (strcmp(p->code, q->code) != 0)
			continue;
		zt_date p_end = zt_catalog_entry_end(c, p);
		if (p_end != 0 && p_end < q->from)
			continue;
		const struct zt_catalog_entry *at = q->line >= p->line ? q : p;
		const struct zt_catalog_entry *other = at == q ? p : q;
		zt_date at_end = zt_catalog_entry_end(c, at), other_end = zt_catalog_entry_end(c, other);
		char where[64] = "";
		if (other->line)
			snprintf(where, sizeof where, " of line %ld", other->line);
		char text[ZT_MESSAGE_BYTES_MAX];
		snprintf(text, sizeof text,
		         "entry '%s' (%s to %s) overlaps the entry%s (%s to %s): entries of one code "
		         "must not overlap in dates", at->code, zt_format_date(a, at->from),
		         at_end ? zt_format_date(b, at_end) : "open", where,
		         zt_format_date(d, other->from), other_end ? zt_format_date(e, other_end) : "open");
		if (filename && at->line)
			return zt_error_set(ZT_EINVAL, "%s:%ld: <entry from>: %s", filename, at->line, text);
		return zt_error_set(ZT_EINVAL, "catalogue '%s': %s", c->info.id, text);
	}
	return 0;
}

int zt_catalog_finish(struct zt_catalog *c, const char *filename)
{
	assert(!c->finished);
	if (c->count > 1)
		qsort(c->entries, c->count, sizeof *c->entries, by_code_then_from);
	int rc = check_overlaps(c, filename);
	if (rc)
		return rc;
	size_t slots = 16;
	while (slots < 2 * c->count)
		slots *= 2;
	c->slots = zt_calloc(slots, sizeof *c->slots);
	if (!c->slots)
		return zt_error_set(ZT_ENOMEM, "out of memory for the catalogue's index");
	c->slot_mask = slots - 1;
	for (size_t i = 0; i < c->count;) {
		size_t j = i + 1;
		while (j < c->count && strcmp(c->entries[j].code, c->entries[i].code) == 0)
			j++;
		uint32_t h = code_hash(c->entries[i].code);
		size_t k = h & c->slot_mask;
		while (c->slots[k].count)
			k = (k + 1) & c->slot_mask;
		c->slots[k] = (struct slot){h, (uint32_t)i, (uint32_t)(j - i)};
		i = j;
	}
	c->finished = true;
	return 0;
}

void zt_catalog_free(struct zt_catalog *c)
{
	if (!c)
		return;
	for (struct arena_block *b = c->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(c->slots);
	free(c->entries);
	free(c);
}

/* ---- lookups ------------------------------------------------------------------ */

const struct zt_catalog_info *zt_catalog_info(const struct zt_catalog *c) { return &c->info; }

size_t zt_catalog_count(const struct zt_catalog *c) { return c->count; }

const struct zt_catalog_entry *zt_catalog_entry_at(const struct zt_catalog *c, size_t i)
{
	assert(c->finished && i < c->count);
	return &c->entries[i];
}

const struct zt_catalog_entry *zt_catalog_find(const struct zt_catalog *c, const char *code,
                                               zt_date date)
{
	assert(c->finished);
	uint32_t h = code_hash(code);
	for (size_t k = h & c->slot_mask; c->slots[k].count; k = (k + 1) & c->slot_mask) {
		const struct slot *s = &c->slots[k];
		if (s->hash != h || strcmp(c->entries[s->first].code, code) != 0)
			continue;
		for (uint32_t i = s->first; i < s->first + s->count; i++) {
			const struct zt_catalog_entry *e = &c->entries[i];
			if (e->from > date)
				break; /* sorted by from: none later can hold the day */
			zt_date end = zt_catalog_entry_end(c, e);
			if (end == 0 || date <= end)
				return e;
		}
		return NULL;
	}
	return NULL;
}

/* ---- the classification rule ----------------------------------------------------- */

int zt_catalog_classify(struct zt_item_class *out, const struct zt_catalog *cat,
                        int hospital_level, zt_date dscg_date, const struct zt_claim *claim)
{
	assert(hospital_level >= 1 && hospital_level <= ZT_LEVELS);
	/* A catalogue whose dates do not contain the day is not in force:
	 * then none is, and the claim's own values apply. */
	if (cat && !zt_catalog_in_force(cat, dscg_date))
		cat = NULL;
	int differ = 0;
	for (int i = 0; i < claim->item_count; i++) {
		const struct zt_item *it = &claim->items[i];
		struct zt_item_class k = {0};
		if (!cat) {
			k = (struct zt_item_class){it->chrgitm_lv, it->has_selfpay_prop, it->selfpay_prop_bp,
			                           it->has_pric_uplmt, it->pric_uplmt_amt, NULL, false};
			out[i] = k;
			continue;
		}
		const struct zt_catalog_entry *e = zt_catalog_find(cat, it->med_list_codg, dscg_date);
		if (e) {
			k.chrgitm_lv = e->chrgitm_lv;
			k.has_selfpay_prop = e->has_selfpay_prop;
			k.selfpay_prop_bp = e->has_selfpay_prop ? e->selfpay_prop_bp : 0;
			k.has_pric_uplmt = e->has_ceiling[hospital_level - 1];
			k.pric_uplmt_amt = k.has_pric_uplmt ? e->ceiling[hospital_level - 1] : 0;
			k.entry = e;
		} else {
			k.chrgitm_lv = 3; /* not in the catalogue: fully self-paid */
		}
		k.differs = k.chrgitm_lv != it->chrgitm_lv || k.has_pric_uplmt != it->has_pric_uplmt ||
		            (k.has_pric_uplmt && k.pric_uplmt_amt != it->pric_uplmt_amt);
		differ += k.differs;
		out[i] = k;
	}
	return differ;
}
