/* zhitong — the slip as a printable A5 HTML page (docs/slip.md "HTML").
 *
 * One self-contained document: inline CSS with @page size A5 and print
 * rules, the QR code as inline SVG, no script, no external resource (a
 * Content-Security-Policy says so to the browser), every text escaped. */
#ifndef ZHITONG_SLIP_HTML_H
#define ZHITONG_SLIP_HTML_H

#include "zhitong/render.h"
#include "zhitong/slip.h"

/* Renders slip `s` (checked with zt_slip_check first) through `write`. */
int zt_slip_render_html(zt_write_fn write, void *ctx, const struct zt_slip *s);

#endif
