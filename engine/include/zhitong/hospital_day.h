/* zhitong — a hospital's day (docs/spec/service.md "Endpoints",
 * GET /v1/reports/hospital; the national platform's 3201 对总账,
 * docs/spec/background-domain.md §1.9): the count and the sum of each
 * amount over the settlements and reversals a hospital made on one
 * settlement date, in all and per fund, reversals counted with their
 * negated amounts (a refund is two rows, as in 3202). */
#ifndef ZHITONG_HOSPITAL_DAY_H
#define ZHITONG_HOSPITAL_DAY_H

#include <stdbool.h>
#include <stdint.h>

#include "zhitong/date.h"
#include "zhitong/limits.h"
#include "zhitong/money.h"
#include "zhitong/store.h"

#define ZT_HOSPITAL_DAY_FUNDS_MAX 32

struct zt_hospital_day_fund {
	char fund_code[ZT_FUND_CODE_BYTES]; /* fund_pay_type */
	int64_t count;                      /* settlements and reversals it paid in */
	zt_fen fund_payamt;
};

struct zt_hospital_day {
	int64_t setl_cnt;   /* fixmedins_setl_cnt: settlements and reversals */
	int64_t refd_cnt;   /* of them reversals (refd_setl_flag 1) */
	zt_fen medfee_sumamt, fund_pay_sumamt, hosp_part_amt, psn_part_amt;
	int fund_count;
	struct zt_hospital_day_fund funds[ZT_HOSPITAL_DAY_FUNDS_MAX]; /* by fund code */
};

/* The day `date` (the date of settled_at, in the pool's time zone) of
 * hospital `hospital`; `each` (may be NULL) gets every settlement and
 * reversal of it in setl_id order. One read snapshot. ZT_EINVAL for a
 * hospital that is not an identifier. */
int zt_hospital_day(struct zt_store *s, const char *hospital, zt_date date,
                    int (*each)(void *ctx, const struct zt_stored_settlement *st), void *ctx,
                    struct zt_hospital_day *out);

#endif
