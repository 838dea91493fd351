/* zhitong — who is this at the desk (see persons.h). */
#include "zhitong/persons.h"

#include <stdio.h>
#include <string.h>

#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/text.h"

static int slot_seen(void *ctx, const char *slot, zt_fen amount)
{
	struct zt_person_lookup_res *r = ctx;
	if (r->slot_count >= ZT_PERSON_SLOTS_MAX)
		return zt_error_set(ZT_EINTERNAL, "a person has more than %d accumulators in a year",
		                    ZT_PERSON_SLOTS_MAX);
	snprintf(r->slots[r->slot_count].slot, sizeof r->slots[r->slot_count].slot, "%s", slot);
	r->slots[r->slot_count++].amount = amount;
	return 0;
}

int zt_person_lookup(struct zt_store *s, const struct zt_person_lookup_req *req,
                     struct zt_person_lookup_res *out)
{
	memset(out, 0, sizeof *out);
	const char *key = req->psn_no ? req->psn_no : req->id_no;
	if (!key || (req->psn_no && req->id_no))
		return zt_error_set(ZT_EINVAL, "a person is looked up by psn_no or by id_no");
	int rc = zt_text_check(req->psn_no ? "psn_no" : "id_no", key, strlen(key),
	                       ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT);
	if (rc)
		return rc;
	out->date = req->date ? req->date : zt_date_today();
	out->year = out->date / 10000;
	if ((rc = s->ops->begin(s, ZT_TXN_READ)) != 0)
		return rc;
	rc = req->psn_no ? s->ops->registry.get_person(s, key, &out->person)
	                 : s->ops->registry.find_person_by_id_no(s, key, &out->person);
	if (rc == 0)
		rc = s->ops->claims.accum_get(s, out->person.psn_no, out->year, slot_seen, out);
	s->ops->rollback(s);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(rc, "there is no person %s", req->psn_no ? key : "of that ID number");
	if (rc == 0)
		out->category = zt_person_category_on(&out->person, out->date);
	return rc;
}
