/* zhitong — settling on top of the national platform: the checks, the
 * split and the record that settle.c dispatches to for a supplementary
 * policy (national_int.h; docs/spec/claim-v2-national.md §3, §4). */
#include "national_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"

void zt_policy_national_funds(struct zt_national_funds *out, const struct zt_policy *p)
{
	memset(out, 0, sizeof *out);
	snprintf(out->basic, sizeof out->basic, "%s", p->national_basic_fund);
	snprintf(out->critical, sizeof out->critical, "%s", p->national_critical_fund);
	snprintf(out->assistance, sizeof out->assistance, "%s", p->national_assistance_fund);
}

static void national_of(struct zt_national_amounts *out, const struct zt_claim *c)
{
	const struct zt_claim_national *n = &c->national;
	*out = (struct zt_national_amounts){
		.hifp_pay = n->hifp_pay, .hifmi_pay = n->hifmi_pay, .maf_pay = n->maf_pay,
		.has_bill = n->has_bill_fields, .fulamt_ownpay_amt = n->fulamt_ownpay_amt,
		.overlmt_selfpay = n->overlmt_selfpay, .preselfpay_amt = n->preselfpay_amt,
		.inscp_scp_amt = n->inscp_scp_amt, .act_pay_dedc = n->act_pay_dedc,
	};
}

/* §3: "the national setl_id already stands under another claim's live
 * settlement (one national settlement pays one stay once)". */
static int used_elsewhere(struct zt_store *s, const struct zt_claim *c, char *msg, zt_reject *why)
{
	int64_t row;
	int rc = s->ops->claims.national_live(s, c->national.setl_id, &row);
	if (rc == ZT_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	struct zt_stored_settlement *o = zt_malloc(sizeof *o);
	if (!o)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if ((rc = s->ops->claims.get(s, row, o)) == 0) {
		int n = snprintf(msg, ZT_MESSAGE_BYTES_MAX, "the national settlement '%s' already stands under "
		         "settlement %s of claim '%s' of hospital '%s': one national settlement pays one "
		         "stay once (reverse %s first)", c->national.setl_id, o->setl_id, o->claim_no,
		         o->fixmedins_code, o->setl_id);
		if (n < 0) /* cut, it names the national settlement first */
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "the national settlement is in use");
		*why = ZT_REJ_NATIONAL_MISMATCH;
	}
	free(o);
	return rc;
}

int zt_settle_national_check(struct zt_store *s, const struct zt_policy *pol,
                             const struct zt_claim *c, char *msg, zt_reject *why)
{
	*why = ZT_REJ_NONE;
	if (pol->mode != ZT_MODE_SUPPLEMENTARY)
		return 0;
	struct zt_national_amounts nat;
	if (c->has_national)
		national_of(&nat, c);
	*why = zt_national_check(pol, c->has_national ? &nat : NULL, c->medfee_sumamt, msg);
	if (*why != ZT_REJ_NONE || !c->has_national)
		return 0;
	return used_elsewhere(s, c, msg, why);
}

int zt_settle_split(struct zt_split_result *out, const struct zt_policy *p,
                    const struct zt_split_ctx *ctx, const struct zt_classified *cls,
                    const struct zt_claim *c, const struct zt_accum *before)
{
	if (p->mode != ZT_MODE_SUPPLEMENTARY)
		return zt_split(out, p, ctx, cls, before);
	struct zt_national_amounts nat;
	national_of(&nat, c);
	return zt_split_supplementary(out, p, ctx, cls, &nat, before);
}

int zt_settle_v2_record(struct zt_store *s, int64_t row, const struct zt_claim *c,
                        const struct zt_policy *p, struct zt_stored_settlement *st)
{
	bool on_national = p->mode == ZT_MODE_SUPPLEMENTARY && c->has_national;
	struct zt_national_funds f;
	zt_policy_national_funds(&f, p);
	st->claim_version = c->version == 2 ? 2 : 1;
	st->national_setl_id[0] = '\0';
	memset(&st->national_funds, 0, sizeof st->national_funds);
	if (on_national) {
		snprintf(st->national_setl_id, sizeof st->national_setl_id, "%s", c->national.setl_id);
		st->national_funds = f;
	}
	if (c->version != 2)
		return 0;
	return s->ops->claims.v2_put(s, row, c, on_national ? &f : NULL);
}
