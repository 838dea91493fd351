/* zhitong — the registry (urn:zhitong:registry:1): hospitals, people, funds. */
#ifndef ZHITONG_REGISTRY_H
#define ZHITONG_REGISTRY_H

#include "limits.h"
#include "policy.h"

#define ZT_REGISTRY_NS "urn:zhitong:registry:1"

struct zt_hospital {
	char code[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	int level; /* 1..4 */
	char county[ZT_COUNTY_BYTES];
};

struct zt_person {
	char psn_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	char id_no[19];
	zt_category category;
	char county[ZT_COUNTY_BYTES];
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
 * record. Errors name the file, line and field. */
int zt_registry_parse(const char *xml, size_t len, const char *filename,
                      const struct zt_registry_visitor *v);

/* The same for a file, streamed (memory flat in the file's size): records
 * are visited as they are read, each only after it validated, and the walk
 * stops at the first error — run the visits in one transaction and roll
 * back on error, so a bad file stores nothing. */
int zt_registry_parse_file(const char *path, const struct zt_registry_visitor *v);

#endif
