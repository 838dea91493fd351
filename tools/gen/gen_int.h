/* zhitong — the generator's insides, shared by its files:
 *   gen.c       the world: hospitals, people, the policy, the item list,
 *               the claims, and zt_gen_world;
 *   gen_v2.c    what rules v2 and claim v2 add, on request: the
 *               catalogue, category periods, supplementary worlds with the
 *               national amounts of a hidden full policy;
 *   gen_util.c  random streams, the XML writer, numbers and dates as text.
 * Nothing here is public: gen.h is. */
#ifndef ZT_GEN_INT_H
#define ZT_GEN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/xmlwriter.h>

#include "zhitong/claim.h"
#include "zhitong/gen.h"
#include "zhitong/limits.h"
#include "zhitong/money.h"
#include "zhitong/policy.h"

#define GEN_PROGRESS_EVERY 10000
#define GEN_HOSPITALS_MAX 9999
#define GEN_PEOPLE_DEFAULT_MAX 200000
/* ~140 bytes a person: 400,000 keeps registry.xml under ZT_DOC_BYTES_MAX. */
#define GEN_PEOPLE_MAX 400000
#define GEN_ITEMS_MAX 40
#define GEN_CATALOG_PER_TYPE 40
#define GEN_CATALOG_EXPENSIVE 12 /* per expensive type */
#define GEN_TYPES 14
#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Independent random streams of a seed, one per purpose, so that turning
 * an option on never changes what the others draw. */
enum gen_stream {
	GEN_STREAM_REGISTRY = 1,
	GEN_STREAM_ITEMS = 2,
	GEN_STREAM_CLAIMS = 3,
	GEN_STREAM_PERIODS = 5,
	GEN_STREAM_CATALOG = 6,
	GEN_STREAM_NATIONAL = 7,
};

/* ---- deterministic randomness (gen_util.c) ------------------------------ */

struct rng {
	uint64_t s;
};
uint64_t rng_next(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n);
bool rng_permille(struct rng *r, unsigned permille);
struct rng rng_stream(uint64_t seed, uint64_t stream);

/* ---- a writer with a sticky error (like ferror) ------------------------- */

struct xw {
	xmlTextWriterPtr w;
	struct zt_outfile *file;
	const char *path;
	bool bad;
	xmlBufferPtr buf; /* xw_open_memory: the document, kept by xw_close */
};
void xw_check(struct xw *x, int rc);
int xw_open(struct xw *x, const char *path, int out_flags);
/* A document in memory (x->buf), for what the generator reads back itself. */
int xw_open_memory(struct xw *x, const char *name);
void xw_start(struct xw *x, const char *name);
void xw_end(struct xw *x);
void xw_attr(struct xw *x, const char *name, const char *value);
void xw_el(struct xw *x, const char *name, const char *text);
void xw_nl(struct xw *x);
/* <el a1=v1 a2=v2 …/> from a NULL-terminated list of name/value pairs. */
void xw_empty(struct xw *x, const char *el, const char *const *attrs);
int xw_close(struct xw *x, int rc);

/* ---- numbers and dates as text ------------------------------------------ */

char *trim_decimals(char *s);
char *fmt_q4(char out[ZT_FMT_BYTES], zt_q4 v, bool shortest);
char *fmt_ratio(char out[ZT_FMT_BYTES], zt_bp v, bool shortest);
bool leap(int y);
int month_days(int y, int m);
zt_date date_of(int y, int doy);
void neighbour_county(char out[ZT_COUNTY_BYTES], const char *county, int k);
void make_id_no(char out[19], struct rng *r, const char *county, int year);

/* ---- the world ------------------------------------------------------------- */

struct gen_hospital {
	char code[24];
	int level;
	bool in_county;
	bool short_numbers; /* prints "3" rather than "3.0000" */
	bool short_levels;  /* prints "2" rather than "02" */
	uint64_t claims;    /* claim_no sequence of this hospital */
};

struct catalog_entry {
	char code[48];
	int type;         /* 1..14 */
	int lv;           /* 1..3 */
	zt_q4 pric;
	zt_q4 ceiling;    /* 0 = none */
	zt_bp selfpay_bp; /* -1 = none; only on level 2 */
};

struct gen_item {
	const struct catalog_entry *e;
	zt_q4 cnt;
	zt_fen amt;
	int lv; /* the class the hospital sends */
};

/* A person's category over the year (registry v2, gen_v2.c). */
enum gen_period_shape {
	GEN_PERIODS_NONE,  /* the category attribute all year */
	GEN_PERIODS_ENTER, /* general, then poor from `day` on */
	GEN_PERIODS_LEAVE, /* poor for years, until `day`; then the attribute */
	GEN_PERIODS_MOVE,  /* lowinc until `day`, destitute from the day after */
};
struct gen_person {
	uint8_t category;    /* zt_category of the attribute */
	uint8_t shape;       /* enum gen_period_shape */
	zt_date day;
};

/* What the national platform has paid a person this year (the hidden
 * policy's accumulators, gen_v2.c). */
struct gen_national_accum {
	zt_fen basic_paid, critical_base, critical_paid, assistance_paid;
};

struct world {
	const struct zt_gen_opts *o;
	char county[ZT_COUNTY_BYTES];
	int year;
	int hospital_count;
	int people;
	struct gen_hospital *hospitals;
	int *in_hospitals, in_hospital_count;   /* indexes into hospitals */
	int *out_hospitals, out_hospital_count;
	uint32_t *claimants, claimant_count;    /* person numbers in the county */
	uint32_t *chronic, chronic_count;       /* the 5% with many admissions */
	struct catalog_entry *catalog;          /* GEN_TYPES × per type, then expensive */
	int catalog_count;
	int expensive_first;

	/* Rules v2 and claim v2, on request (gen_v2.c). */
	struct gen_person *persons;             /* with periods or national: every person */
	struct rng periods_rng;
	struct zt_policy *hidden;               /* national: the full policy it settles with */
	struct gen_national_accum *national;    /* by person */
	struct rng national_rng;
	uint64_t claim_index;                   /* claims written so far */
	struct zt_claim *scratch;               /* national: the claim as sent */
};

/* ---- gen_v2.c -------------------------------------------------------------- */

/* Called before anything is written: allocates what the options need. */
int gen_v2_prepare(struct world *g);
void gen_v2_free(struct world *g);
/* Registry v2: draws person i's periods (attribute category `cat`) and
 * writes them as <category> children of the open <person>. */
void gen_person_periods(struct world *g, struct xw *x, int i, int cat);
/* The policy document written without --national, as the hidden policy
 * of a supplementary world, and the supplementary policy itself. */
void gen_full_policy(struct world *g, struct xw *x);
void gen_supplementary_policy(struct world *g, struct xw *x);
int gen_parse_hidden_policy(struct world *g);
/* The class a hospital sends for an item (some send another than the
 * catalogue's, in a world with a catalogue). */
int gen_sent_class(const struct world *g, int hospital, const struct catalog_entry *e);
/* catalog.xml */
int gen_write_catalog(struct world *g, const char *path);
/* The claim v2 parts of a claim: ipt_no, dept_name, deposit, and
 * <national> with the hidden policy's amounts. */
int gen_national_claim(struct world *g, struct xw *x, const struct gen_hospital *h,
                       uint32_t person, zt_date dscg, const struct gen_item *items, int n,
                       zt_fen total);

#endif
