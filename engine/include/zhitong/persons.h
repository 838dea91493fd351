/* zhitong — who is this at the desk: a person by psn_no or by ID number,
 * the category on a date and the year's totals so far (docs/spec/service.md
 * "GET /v1/persons", the national platform's 1101). A use case: the store
 * and a request in, data out; one read snapshot. */
#ifndef ZHITONG_PERSONS_H
#define ZHITONG_PERSONS_H

#include "registry.h"
#include "store.h"
#include "trace.h"

#define ZT_PERSON_SLOTS_MAX 32

struct zt_person_lookup_req {
	const char *psn_no;   /* one of the two */
	const char *id_no;
	zt_date date;         /* the day asked about; 0: today in the pool's zone */
};

struct zt_person_lookup_res {
	struct zt_person person;
	zt_date date;
	zt_category category;         /* on `date` (rules-v2.md §3) */
	int year;                     /* of `date`: the totals' year */
	int slot_count;               /* the accumulators written that year */
	struct {
		char slot[ZT_SLOT_BYTES]; /* basic, critical, critical-base, assistance, relief:F */
		zt_fen amount;
	} slots[ZT_PERSON_SLOTS_MAX];
};

/* ZT_EINVAL for a request naming neither or both, or a number that is not
 * an identifier; ZT_ENOTFOUND with a message when there is no such person. */
int zt_person_lookup(struct zt_store *s, const struct zt_person_lookup_req *req,
                     struct zt_person_lookup_res *out);

#endif
