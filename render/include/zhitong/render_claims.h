/* zhitong — claims for people: the desk's quote, `claim show`, `claim
 * list` as text and CSV, rendered from the use cases' data (claims.h).
 *
 * Pure: data in, bytes out on a FILE the caller owns; no store. Each
 * function returns 0 or ZT_EIO when the FILE fails (a message set). */
#ifndef ZHITONG_RENDER_CLAIMS_H
#define ZHITONG_RENDER_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zhitong/csv.h"
#include "zhitong/settle.h"
#include "zhitong/store.h"

/* ---- the desk's quote (claim quote --format text) ---------------------------- */

/* QUOTE (or SETTLED, already settled as S…) with the total, each fund's
 * amount under its kind's name, the hospital's and the patient's part. On
 * top of the national platform the national settlement number and each
 * national fund's amount under its name (国家平台) come before the
 * county's funds. */
int zt_quote_text_settlement(FILE *f, const struct zt_stored_settlement *st, bool replayed);
/* REJECTED with its code and message. */
int zt_quote_text_rejection(FILE *f, const struct zt_rejection *r);
/* "N claims: … quoted, … already settled, … rejected; nothing was stored". */
int zt_quote_text_summary(FILE *f, const struct zt_settle_stats *st);

/* A sink for zt_settle_source (settle.h) that spools the quote's text and
 * copies it, with the summary, to `out` only in `committed` (a quote is
 * shown only once the whole input is known to be well-formed). */
struct zt_quote_text_sink {
	FILE *out;
	FILE *spool;
};
void zt_quote_text_sink(struct zt_settle_sink *sink, struct zt_quote_text_sink *x, FILE *out);
void zt_quote_text_sink_free(struct zt_quote_text_sink *x);

/* ---- claim show ------------------------------------------------------------------ */

/* One settlement or reversal laid out for an auditor: the claim, the
 * person's category and the hospital's level, when and by whom, every
 * amount of setlinfo, each fund with its trace's lines. On top of the
 * national platform, first the whole stay in Chinese (国家医保信息平台结算
 * with its 平台结算号, each national fund's amount under its name, the
 * county's funds, 医院承担, 个人支付), and no pool_prop_selfpay. */
int zt_claim_show_text(FILE *f, const struct zt_stored_settlement *st);

/* ---- claim list ------------------------------------------------------------------- */

/* Text: a header, a line per settlement or reversal, a footer counting
 * them. CSV (RFC 4180, csv.h): the header of docs (setl_id,kind,…,reason)
 * and a row each. The counts are kept in the struct. */
struct zt_claim_list_render {
	bool csv;
	FILE *f;
	struct zt_csv w;
	int64_t settlements, reversals;
};
int zt_claim_list_begin(struct zt_claim_list_render *r, FILE *f, bool csv, bool bom);
/* A row (the callback of zt_claims_list: ctx is the render). */
int zt_claim_list_row(void *render, const struct zt_claim_line *l);
int zt_claim_list_end(struct zt_claim_list_render *r);

#endif
