/* zhitong — the calculation trace of each fund share (private). */
#ifndef ZHITONG_TRACE_H
#define ZHITONG_TRACE_H

#include "zhitong/split.h"

/* The trace of one paying fund as an XML fragment (settlement.xsd types
 * basicTrace … reliefTrace), malloc'd. NULL with zt_error_last() set on
 * failure. */
char *zt_trace_fund(const struct zt_policy *p, const struct zt_split_ctx *ctx,
                    const struct zt_split_result *r, const struct zt_fund_share *sh);
/* The trace of a reversed fund share (reversalTrace). */
char *zt_trace_reversal(const char *of, const char *reason, const char *slot, zt_fen before,
                        zt_fen after);

#endif
