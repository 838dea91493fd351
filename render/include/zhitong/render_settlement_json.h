/* zhitong — the settlement answer as JSON (docs/spec/service.md "Bodies"):
 * the same fields as the XML one (render_settlement.h) under the national
 * names — setl_id, setl_time, setlinfo {…}, setldetail [{fund_pay_type,
 * fund_payamt, trace {…}}] —, amounts as strings with two decimals
 * (negative in a reversal). A settlement on top of the national platform
 * (claim v2 with <national>) carries `national` {setl_id, hifp_pay,
 * hifmi_pay, maf_pay, national_funds {basic, critical, assistance}} and,
 * as settlement v2's XML, no pool_prop_selfpay
 * (docs/spec/claim-v2-national.md §1).
 *
 * Written for the HTTP service by the h11-api branch; render_settlement.h
 * may grow its own JSON writer on another branch: the two are to be merged
 * into one (the names here are prefixed zt_settlement_json_). */
#ifndef ZHITONG_RENDER_SETTLEMENT_JSON_H
#define ZHITONG_RENDER_SETTLEMENT_JSON_H

#include <stdbool.h>

#include "zhitong/json.h"
#include "zhitong/store.h"

/* One settlement or reversal as a JSON object. `with_setl_id` false in a
 * quote (the rollback gives the number back). `view` is zt_access_view's
 * (access.h): without ZT_VIEW_IDENTITY the person's number is masked (its
 * last four characters kept). */
int zt_settlement_json(struct zt_json_writer *w, const struct zt_stored_settlement *st,
                       bool with_setl_id, unsigned view);
/* One line of a search (docs/spec/service.md "Endpoints": GET
 * /v1/settlements): setl_id, kind, reverses (when one), fixmedins_code,
 * claim_no, psn_no (masked as above without ZT_VIEW_IDENTITY), adm_date,
 * dscg_date, the four amounts and setl_time (RFC 3339 with the pool's
 * offset). The line's actor and reason are not shown. */
int zt_claim_line_json(struct zt_json_writer *w, const struct zt_claim_line *l, unsigned view);
/* {"code", "message", "fixmedins_code", "claim_no"} (empty ones left out). */
int zt_settlement_json_error(struct zt_json_writer *w, const char *code, const char *message,
                             const char *hospital, const char *claim_no);

#endif
