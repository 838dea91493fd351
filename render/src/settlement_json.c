/* zhitong — the settlement answer as JSON (see render_settlement_json.h).
 * The writer remembers its first failure (json.h): the calls are not
 * checked one by one, the last one's code is returned. */
#include "zhitong/date.h"
#include "zhitong/render_settlement_json.h"

#include <string.h>

#include "zhitong/access.h"
#include "zhitong/money.h"
#include "zhitong/text.h"
#include "zhitong/render_trace.h"

static void amount(struct zt_json_writer *w, const char *key, zt_fen v)
{
	zt_json_write_key(w, key);
	zt_json_write_amount(w, v);
}

static void text(struct zt_json_writer *w, const char *key, const char *v)
{
	zt_json_write_key(w, key);
	zt_json_write_string(w, v);
}

static void setlinfo(struct zt_json_writer *w, const struct zt_stored_settlement *st)
{
	char b[ZT_FMT_BYTES];
	zt_json_write_key(w, "setlinfo");
	zt_json_write_object_begin(w);
	amount(w, "medfee_sumamt", st->cls.medfee_sumamt);
	amount(w, "fulamt_ownpay_amt", st->cls.fulamt_ownpay_amt);
	amount(w, "overlmt_selfpay", st->cls.overlmt_selfpay);
	amount(w, "preselfpay_amt", st->cls.preselfpay_amt);
	amount(w, "inscp_scp_amt", st->cls.inscp_scp_amt);
	amount(w, "act_pay_dedc", st->act_pay_dedc);
	/* absent when the claim carried <national> (docs/spec/claim-v2-national.md §1) */
	if (!st->national_setl_id[0])
		text(w, "pool_prop_selfpay", zt_format_ratio(b, st->pool_prop_bp));
	amount(w, "hifp_pay", st->hifp_pay);
	amount(w, "hifmi_pay", st->hifmi_pay);
	amount(w, "maf_pay", st->maf_pay);
	amount(w, "oth_pay", st->oth_pay);
	amount(w, "fund_pay_sumamt", st->fund_pay_sumamt);
	amount(w, "hosp_part_amt", st->hosp_part_amt);
	amount(w, "psn_part_amt", st->psn_part_amt);
	/* no personal accounts for these residents: all of it is cash */
	amount(w, "psn_cash_pay", st->psn_part_amt);
	zt_json_write_object_end(w);
}

/* The national settlement a settlement stands on (settlement v2's
 * <national setl_id>), with the national amounts and the funds its policy
 * named for them (docs/spec/claim-v2-national.md §4, §5). */
static void national(struct zt_json_writer *w, const struct zt_stored_settlement *st)
{
	zt_json_write_key(w, "national");
	zt_json_write_object_begin(w);
	text(w, "setl_id", st->national_setl_id);
	amount(w, "hifp_pay", st->hifp_pay);
	amount(w, "hifmi_pay", st->hifmi_pay);
	amount(w, "maf_pay", st->maf_pay);
	zt_json_write_key(w, "national_funds");
	zt_json_write_object_begin(w);
	text(w, "basic", st->national_funds.basic);
	text(w, "critical", st->national_funds.critical);
	text(w, "assistance", st->national_funds.assistance);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
}

int zt_settlement_json(struct zt_json_writer *w, const struct zt_stored_settlement *st,
                       bool with_setl_id, unsigned view)
{
	char b[ZT_FMT_BYTES], m[ZT_PSN_MASK_BYTES];
	zt_json_write_object_begin(w);
	if (with_setl_id && st->setl_id[0])
		text(w, "setl_id", st->setl_id);
	if (with_setl_id && st->settled_at[0]) /* docs/spec/service.md "Bodies" */
		text(w, "setl_time", zt_timestamp_rfc3339_local(b, st->settled_at));
	text(w, "kind", st->kind[0] ? st->kind : "settle");
	if (st->reverses_setl_id[0])
		text(w, "reverses", st->reverses_setl_id);
	text(w, "fixmedins_code", st->fixmedins_code);
	text(w, "claim_no", st->claim_no);
	text(w, "psn_no", view & ZT_VIEW_IDENTITY ? st->psn_no : zt_psn_no_mask(m, st->psn_no));
	if (st->national_setl_id[0])
		national(w, st);
	setlinfo(w, st);
	zt_json_write_key(w, "setldetail");
	zt_json_write_array_begin(w);
	int rc = 0;
	for (int i = 0; rc == 0 && i < st->fund_count; i++) {
		const struct zt_stored_fund *f = &st->funds[i];
		zt_json_write_object_begin(w);
		text(w, "fund_pay_type", f->fund_code);
		amount(w, "fund_payamt", f->amount);
		zt_json_write_key(w, "trace");
		rc = zt_trace_json(w, &f->trace);
		zt_json_write_object_end(w);
	}
	zt_json_write_array_end(w);
	int rc2 = zt_json_write_object_end(w);
	return rc ? rc : rc2;
}

int zt_claim_line_json(struct zt_json_writer *w, const struct zt_claim_line *l, unsigned view)
{
	char b[ZT_FMT_BYTES], m[ZT_PSN_MASK_BYTES];
	zt_json_write_object_begin(w);
	text(w, "setl_id", l->setl_id);
	text(w, "kind", l->kind);
	if (l->reverses && l->reverses[0])
		text(w, "reverses", l->reverses);
	text(w, "fixmedins_code", l->fixmedins_code);
	text(w, "claim_no", l->claim_no);
	text(w, "psn_no", view & ZT_VIEW_IDENTITY ? l->psn_no : zt_psn_no_mask(m, l->psn_no));
	zt_json_write_key(w, "adm_date");
	zt_json_write_date(w, l->adm_date);
	zt_json_write_key(w, "dscg_date");
	zt_json_write_date(w, l->dscg_date);
	amount(w, "medfee_sumamt", l->medfee_sumamt);
	amount(w, "fund_pay_sumamt", l->fund_pay_sumamt);
	amount(w, "hosp_part_amt", l->hosp_part_amt);
	amount(w, "psn_part_amt", l->psn_part_amt);
	text(w, "setl_time", zt_timestamp_rfc3339_local(b, l->settled_at));
	return zt_json_write_object_end(w);
}

int zt_settlement_json_error(struct zt_json_writer *w, const char *code, const char *message,
                             const char *hospital, const char *claim_no)
{
	zt_json_write_object_begin(w);
	text(w, "code", code);
	text(w, "message", message);
	if (hospital && hospital[0])
		text(w, "fixmedins_code", hospital);
	if (claim_no && claim_no[0])
		text(w, "claim_no", claim_no);
	return zt_json_write_object_end(w);
}
