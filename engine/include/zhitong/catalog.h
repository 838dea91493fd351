/* zhitong — the insurer's catalogue (医保目录, urn:zhitong:catalog:1) and
 * the classification rule of docs/spec/rules-v2.md §2.
 *
 * A catalogue says, for one county and a span of dates, what each item
 * code is: its class (chrgitm_lv 01 甲 / 02 乙 / 03 丙), its self-pay ratio
 * (02 entries only) and its unit-price ceiling per hospital level. When one
 * is in force on a claim's discharge date, it — not the hospital — decides
 * what the split classifies each item with.
 *
 * In memory a catalogue is an array of entries sorted by code, then by
 * from-date, with a hash index from each code to its run of entries: a
 * lookup by (code, date), made once per item on the claims path, is one
 * hash probe and a scan of the code's few entries. Built once (from a file,
 * or entry by entry from a store), then read-only: any number of threads
 * may look up in it at once. */
#ifndef ZHITONG_CATALOG_H
#define ZHITONG_CATALOG_H

#include <stddef.h>

#include "claim.h"
#include "limits.h"
#include "money.h"
#include "policy.h"
#include "source.h"
#include "split.h"

#define ZT_CATALOG_NS "urn:zhitong:catalog:1"

struct zt_catalog_info {
	char id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char county[ZT_COUNTY_BYTES];
	zt_date effective_from;
	zt_date effective_to; /* 0 = open-ended */
};

/* One entry. Dates are inclusive; `to` 0 means the entry ends with its
 * catalogue (zt_catalog_entry_end). */
struct zt_catalog_entry {
	const char *code;            /* the item code (med_list_codg) */
	const char *name;
	zt_date from, to;
	int chrgitm_lv;              /* 1 甲, 2 乙, 3 丙 */
	bool has_selfpay_prop;       /* 02 entries only; 0 is a value */
	zt_bp selfpay_prop_bp;
	bool has_ceiling[ZT_LEVELS]; /* by hospital level − 1 */
	zt_q4 ceiling[ZT_LEVELS];    /* unit price, 1/10000 yuan */
	long line;                   /* where it was read; 0 if not from a file */
};

struct zt_catalog;

/* ---- building ------------------------------------------------------------ */

/* A new, empty catalogue with the given header (checked: an identifier id,
 * six-digit county, real dates, effective-from ≤ effective-to). */
int zt_catalog_new(struct zt_catalog **out, const struct zt_catalog_info *info);
/* Adds a copy of `e` (its strings are copied). Refuses, ZT_EINVAL with a
 * message naming the entry, what breaks a rule of one entry: class 1..3,
 * selfpay_prop on a 02 entry only, a ratio and ceilings in range, from ≤
 * to, inside the catalogue's dates; ZT_ERANGE past ZT_CATALOG_ENTRIES_MAX.
 * (The file reader checks all of this first, with the file, line and
 * field; this guards catalogues built from elsewhere.) */
int zt_catalog_add(struct zt_catalog *c, const struct zt_catalog_entry *e);
/* Sorts the entries, refuses entries of one code that overlap in dates
 * (ZT_EINVAL, "FILE:LINE: <entry from>: …" naming both entries when they
 * have lines; `filename` may be NULL), and builds the index. After it,
 * only lookups. */
int zt_catalog_finish(struct zt_catalog *c, const char *filename);
void zt_catalog_free(struct zt_catalog *c);

/* ---- reading a file -------------------------------------------------------- */

/* Reads a catalogue document, streamed (memory is the catalogue's, not the
 * file's), validating it against schema/catalog.xsd and every format rule
 * of docs/spec/rules-v2.md §2; any rule broken refuses the whole file with
 * "FILE:LINE: <element attribute>: what" (ZT_EINVAL; ZT_EMALFORMED for XML
 * that is not well-formed or has a DOCTYPE; ZT_ENOTFOUND for a file that
 * cannot be opened). On success *out is a finished catalogue. */
int zt_catalog_parse_file(struct zt_catalog **out, const char *path);
/* The same from a source (source.h; messages name it by its name). */
int zt_catalog_parse_source(struct zt_catalog **out, const struct zt_source *src);
/* The same for a document in memory (tests, a catalogue kept in a store). */
int zt_catalog_parse(struct zt_catalog **out, const char *xml, size_t len,
                     const char *filename);

/* ---- use case: `catalog check` (catalog_check.c) ------------------------------ */

struct zt_catalog_check_res {
	struct zt_catalog_info info;
	size_t entries;
	size_t codes;                /* distinct item codes */
};
/* Reads and checks a catalogue document (zt_catalog_parse_source): every
 * rule of the format; needs no store. */
int zt_catalog_check(const struct zt_source *src, struct zt_catalog_check_res *res);

/* ---- lookups ----------------------------------------------------------------- */

const struct zt_catalog_info *zt_catalog_info(const struct zt_catalog *c);
size_t zt_catalog_count(const struct zt_catalog *c);
/* The i-th entry in code, then from-date order (i < zt_catalog_count). */
const struct zt_catalog_entry *zt_catalog_entry_at(const struct zt_catalog *c, size_t i);
/* The last day an entry is in force: its `to`, else its catalogue's
 * effective-to; 0 = open-ended. */
zt_date zt_catalog_entry_end(const struct zt_catalog *c, const struct zt_catalog_entry *e);
/* Whether the catalogue's dates contain `date`. */
bool zt_catalog_in_force(const struct zt_catalog *c, zt_date date);
/* The entry whose code is `code` and whose dates contain `date`, or NULL
 * (no entry for the code, or none in force that day: a gap between two
 * entries of a code). */
const struct zt_catalog_entry *zt_catalog_find(const struct zt_catalog *c, const char *code,
                                               zt_date date);

/* ---- the classification rule (docs/spec/rules-v2.md §2) -------------------- */

/* The values the split classifies each item of `claim` with (out[i] for
 * item i; `out` holds claim->item_count slots), given the catalogue in
 * force for the person's county on the discharge date (NULL: none is) and
 * the hospital's registered level (1..4):
 *   no catalogue     the claim's own chrgitm_lv, selfpay_prop and
 *                    pric_uplmt_amt, exactly as v1;
 *   entry found      chrgitm_lv := the entry's; selfpay_prop := the
 *                    entry's if it has one, else absent; pric_uplmt_amt :=
 *                    the entry's ceiling for the hospital's level, else
 *                    none (a ceiling the claim sent is ignored);
 *   not found        chrgitm_lv := 03, no ceiling, no selfpay_prop.
 * out[i].differs says that the class or the ceiling (presence or value)
 * is not what the hospital sent (its one-digit class forms were read as
 * the two-digit ones by the claim reader already). Pure: the claim is not
 * changed (its own values stay for the digest), nothing is allocated.
 * Returns the number of items that differ. */
int zt_catalog_classify(struct zt_item_class *out, const struct zt_catalog *cat,
                        int hospital_level, zt_date dscg_date, const struct zt_claim *claim);

/* ---- use cases with a store (catalog_store.c) ------------------------------- */

struct zt_store;           /* store.h */
struct zt_stored_catalog;  /* store.h */

struct zt_catalog_load_req {
	const struct zt_source *src; /* the document; its name is what messages name */
	const char *actor;           /* normalised here (actor.h) */
	const char *supersedes;      /* the id of the catalogue it supersedes, or NULL */
	bool approval_required;      /* [rules] approval = required: pending until approved */
};
struct zt_catalog_load_res {
	int64_t row;
	struct zt_catalog_info info;
	size_t entries;
	bool was_new;                /* false: the identical document was loaded already */
	bool pending;                /* waits for `catalog approve` */
	char superseded[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)]; /* "" if none */
	zt_date superseded_end;      /* its new last day */
};
/* `catalog load` (docs/spec/rules-v2.md §2): reads and checks the document
 * (zt_catalog_parse_source), then in one write transaction stores it with
 * every entry and an audit record. Refused (nothing stored): ZT_EINVAL for
 * a document that breaks a rule (file, line, field); ZT_ECONFLICT when its
 * dates overlap an active catalogue of its county (naming it), when its id
 * is taken by another document, or when the catalogue it supersedes was
 * used by settlements discharged on or after its effective-from (naming
 * how many); ZT_ENOTFOUND for an unknown --supersedes. The identical
 * document again changes nothing. With approval required the catalogue is
 * pending (never used) and the superseded one keeps its dates until the
 * approval. */
int zt_catalog_load(struct zt_store *s, const struct zt_catalog_load_req *req,
                    struct zt_catalog_load_res *res);

struct zt_catalog_approve_req {
	const char *id;
	const char *actor;           /* someone other than the loader */
};
/* `catalog approve ID --by NAME`: the checks of the load made again (the
 * overlap, the supersede and its settlements), then the catalogue is
 * active. ZT_ECONFLICT for the loader approving (maker-checker) or a
 * catalogue not pending; ZT_ENOTFOUND for an unknown id. */
int zt_catalog_approve(struct zt_store *s, const struct zt_catalog_approve_req *req,
                       struct zt_catalog_load_res *res);

/* `catalog show --county C --code CODE [--date D]`: for each catalogue of
 * the county, in load order, whose dates contain `date` (0: every one),
 * cb(catalogue, the entry of `code` in force on `date` — or, with date 0,
 * each entry of the code in turn —, NULL when it has none). */
int zt_catalog_show(struct zt_store *s, const char *county, const char *code, zt_date date,
                    int (*cb)(void *ctx, const struct zt_stored_catalog *c,
                              const struct zt_catalog *cat, const struct zt_catalog_entry *e),
                    void *ctx);

/* ---- the catalogues a settlement run uses (catalog_store.c) ----------------- */

/* The active catalogues of a store, their entries read on first use — or
 * taken from the process's cache of built catalogues, keyed by (county,
 * catalogue id, document digest): the service and bulk runs build each
 * catalogue once. */
struct zt_catalog_set {
	int count;
	struct zt_catalog_set_item *items;
};
/* Reads the headers of the active catalogues (entries are read by find). */
int zt_catalog_set_load(struct zt_catalog_set *out, struct zt_store *s);
void zt_catalog_set_free(struct zt_catalog_set *set);
/* The catalogue in force for `county` on `date` (docs/spec/rules-v2.md §2):
 * 0 with *out and *row_out, or with *out NULL when none is; its entries are
 * read from the store the first time (a storage error is returned). */
/* Empties that cache (catalog load and approve do: what is in force has
 * changed); runs under way keep what they hold. */
void zt_catalog_cache_clear(void);
int zt_catalog_set_find(struct zt_catalog_set *set, struct zt_store *s, const char *county,
                        zt_date date, const struct zt_catalog **out, int64_t *row_out);

#endif
