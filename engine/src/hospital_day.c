/* zhitong — a hospital's day (hospital_day.h): the hospital's settlement
 * lines read once, those of the day kept by setl_id, then each settlement
 * read with its shares and summed. */
#include "zhitong/hospital_day.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/text.h"

struct day_ids {
	zt_date date;
	char (*id)[32];
	size_t n, cap;
};

static int keep_line(void *ctx, const struct zt_claim_line *l)
{
	struct day_ids *d = ctx;
	/* settled_at is stored in UTC; the day is its date in the pool's zone
	 * (docs/spec/service.md "Endpoints"), which differs from the UTC date
	 * for eight hours of every day */
	zt_date on = zt_timestamp_local_date(l->settled_at);
	if (!on || on != d->date)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		void *p = realloc(d->id, cap * sizeof *d->id);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		d->id = p;
		d->cap = cap;
	}
	snprintf(d->id[d->n++], sizeof *d->id, "%s", l->setl_id);
	return 0;
}

static int by_id(const void *a, const void *b) { return strcmp(a, b); }

static int add_fund(struct zt_hospital_day *out, const struct zt_stored_fund *f)
{
	int i = 0;
	while (i < out->fund_count && strcmp(out->funds[i].fund_code, f->fund_code) < 0)
		i++;
	if (i == out->fund_count || strcmp(out->funds[i].fund_code, f->fund_code) != 0) {
		if (out->fund_count == ZT_HOSPITAL_DAY_FUNDS_MAX)
			return zt_error_set(ZT_ERANGE, "more than %d funds in a day",
			                    ZT_HOSPITAL_DAY_FUNDS_MAX);
		memmove(&out->funds[i + 1], &out->funds[i],
		        (size_t)(out->fund_count - i) * sizeof *out->funds);
		memset(&out->funds[i], 0, sizeof *out->funds);
		snprintf(out->funds[i].fund_code, sizeof out->funds[i].fund_code, "%s", f->fund_code);
		out->fund_count++;
	}
	out->funds[i].count++;
	return zt_add(&out->funds[i].fund_payamt, out->funds[i].fund_payamt, f->amount);
}

static int add(struct zt_hospital_day *out, const struct zt_stored_settlement *st)
{
	int rc;
	out->setl_cnt++;
	if (strcmp(st->kind, "reverse") == 0)
		out->refd_cnt++;
	if ((rc = zt_add(&out->medfee_sumamt, out->medfee_sumamt, st->cls.medfee_sumamt)) ||
	    (rc = zt_add(&out->fund_pay_sumamt, out->fund_pay_sumamt, st->fund_pay_sumamt)) ||
	    (rc = zt_add(&out->hosp_part_amt, out->hosp_part_amt, st->hosp_part_amt)) ||
	    (rc = zt_add(&out->psn_part_amt, out->psn_part_amt, st->psn_part_amt)))
		return rc;
	for (int i = 0; i < st->fund_count; i++)
		if ((rc = add_fund(out, &st->funds[i])) != 0)
			return rc;
	return 0;
}

int zt_hospital_day(struct zt_store *s, const char *hospital, zt_date date,
                    int (*each)(void *ctx, const struct zt_stored_settlement *st), void *ctx,
                    struct zt_hospital_day *out)
{
	memset(out, 0, sizeof *out);
	int rc = zt_text_check("fixmedins_code", hospital, strlen(hospital), ZT_CODE_CHARS_MAX,
	                       ZT_TEXT_IDENT);
	if (rc)
		return rc;
	if (!hospital[0])
		return zt_error_set(ZT_EINVAL, "fixmedins_code is empty");
	struct day_ids d = {.date = date};
	struct zt_stored_settlement *st = malloc(sizeof *st);
	if (!st)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if ((rc = s->ops->begin(s, ZT_TXN_READ)) != 0) {
		free(st);
		return rc;
	}
	const struct zt_claim_filter f = {.hospital = hospital};
	rc = s->ops->claims.list(s, &f, keep_line, &d);
	if (rc == 0 && d.n)
		qsort(d.id, d.n, sizeof *d.id, by_id);
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		int64_t row = 0;
		if ((rc = s->ops->claims.find_setl_id(s, d.id[i], &row)) != 0 ||
		    (rc = s->ops->claims.get(s, row, st)) != 0)
			break;
		if ((rc = add(out, st)) == 0 && each)
			rc = each(ctx, st);
	}
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	free(d.id);
	free(st);
	return rc;
}
