/* zhitong — the registry (urn:zhitong:registry:1): hospitals, people, funds. */
#ifndef ZHITONG_REGISTRY_H
#define ZHITONG_REGISTRY_H

#include "config.h" /* ZT_POOL_ID_BYTES */
#include "limits.h"
#include "policy.h"
#include "source.h"

#define ZT_REGISTRY_NS "urn:zhitong:registry:1"
/* v1 plus category periods (docs/spec/rules-v2.md §3). */
#define ZT_REGISTRY_NS_V2 "urn:zhitong:registry:2"

struct zt_hospital {
	char code[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	int level; /* 1..4 */
	char county[ZT_COUNTY_BYTES];
	/* read, not written: the pool of its county as the database knows it
	 * (the configuration's [pool P] counties, recorded by zt_pools_record:
	 * pools.h), ZT_POOL_DEFAULT for a county of no pool (issue 13 §2) */
	char pool[ZT_POOL_ID_BYTES];
};

/* A span of days in which a person has a category (first and last day
 * included; to 0 = open-ended). */
struct zt_category_period {
	zt_category value;
	zt_date from, to;
};

struct zt_person {
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char id_no[19];
	zt_category category;   /* where no period holds the day */
	char county[ZT_COUNTY_BYTES];
	/* Registry v2: the person's periods, in file order, not overlapping;
	 * none in v1. `version` is the format the record was read from (1 or
	 * 2; 0 for a person not read from a file). */
	int version;
	int period_count;
	struct zt_category_period periods[ZT_CATEGORY_PERIODS_MAX];
};

struct zt_fund {
	char code[ZT_FUND_CODE_BYTES];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
};

/* Callbacks receive each record in document order, already validated.
 * A non-zero return stops the walk and is returned. */
struct zt_registry_visitor {
	void *ctx;
	int (*hospital)(void *ctx, const struct zt_hospital *h, int line);
	int (*person)(void *ctx, const struct zt_person *p, int line);
	int (*fund)(void *ctx, const struct zt_fund *f, int line);
};

/* Validates the whole document (XSD + rules) first, then visits every
 * record. Errors name the file, line and field. Reads registry v1
 * (urn:zhitong:registry:1) and v2 (urn:zhitong:registry:2: v1 plus
 * <category value from to> periods of a person, which must not overlap).
 * In either, a hospital code, a psn_no or a fund code given twice in one
 * file refuses the file (docs/spec/rules-v2.md §3). */
int zt_registry_parse(const char *xml, size_t len, const char *filename,
                      const struct zt_registry_visitor *v);

/* The same for a file, streamed (memory flat in the file's size): records
 * are visited as they are read, each only after it validated, and the walk
 * stops at the first error — run the visits in one transaction and roll
 * back on error, so a bad file stores nothing. */
int zt_registry_parse_file(const char *path, const struct zt_registry_visitor *v);
/* The same from a source (source.h; messages name it by its name). */
int zt_registry_parse_source(const struct zt_source *src, const struct zt_registry_visitor *v);

/* ---- use case: `registry load` (registry_load.c) ----------------------------- */

struct zt_store; /* store.h */
struct zt_registry_load_req {
	const struct zt_source *src; /* the document; its name is what messages and the
	                              * audit record name */
	const char *actor;           /* normalised here (actor.h) */
};
struct zt_registry_load_res {
	int64_t hospitals, people, funds; /* records upserted */
};
/* Upserts every hospital, person and fund of the document in one write
 * transaction, with an audit record: all of it or nothing (a bad record
 * anywhere stores nothing; its error names the document, the line and the
 * field). ZT_EINVAL for a document that breaks a rule. */
int zt_registry_load(struct zt_store *s, const struct zt_registry_load_req *req,
                     struct zt_registry_load_res *res);

/* A person's category on a day (docs/spec/rules-v2.md §3): the value of the
 * period whose from..to (both included; to 0 = open) contains `date`, else
 * `fallback` (the person's category attribute). Pure. */
zt_category zt_category_on(zt_category fallback, const struct zt_category_period *periods,
                           int count, zt_date date);
/* The same for a person as read. */
zt_category zt_person_category_on(const struct zt_person *p, zt_date date);
/* Whether the periods overlap; if so, *a and *b (a < b) are two that do.
 * Pure; for periods that come from elsewhere than a file (a store). */
bool zt_category_periods_overlap(const struct zt_category_period *periods, int count, int *a,
                                 int *b);

#endif
