/* zhitong — the answer to "is this slip genuine?" as text, in Chinese, for
 * the person who asked (docs/slip.md "Checking a slip"). */
#ifndef ZHITONG_SLIP_VERIFY_H
#define ZHITONG_SLIP_VERIFY_H

#include "zhitong/render.h"
#include "zhitong/slip.h"

/* The verdict's first line, one per verdict ("真实" …). */
const char *zt_slip_verdict_zh(enum zt_slip_verdict v);

/* Renders the verdict of zt_slip_verify: for a genuine code the
 * settlement's number, hospital, person (masked), dates, the bill, one line
 * per paying fund under its own name, the hospital's and the patient's
 * shares, the time, and whether it still stands or has been reversed since
 * (已作废, with the reversal). Never echoes the text that was asked about. */
int zt_slip_verify_render_text(zt_write_fn write, void *ctx, const struct zt_slip_verify_res *r);

#endif
