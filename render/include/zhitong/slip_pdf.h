/* zhitong — the slip as one A5 PDF page (docs/slip.md "PDF").
 *
 * Pango lays the text out and Cairo writes the PDF with every font
 * embedded as a subset, so the slip shows the same on any machine. The
 * main font is Noto Sans CJK SC (Debian fonts-noto-cjk); characters it
 * lacks — names from CJK Extension B and beyond — come from HanaMinB
 * (fonts-hanazono), named second in the font list so that fontconfig
 * falls back to it. A character no installed font has is refused rather
 * than printed as a blank box. The QR code is drawn as vector paths.
 *
 * This module is its own library (zhitong_render_pdf): it pulls in GLib,
 * Pango, Cairo and fontconfig, which libzhitong and the text and HTML
 * renderers do without. */
#ifndef ZHITONG_SLIP_PDF_H
#define ZHITONG_SLIP_PDF_H

#include "zhitong/render.h"
#include "zhitong/slip.h"

/* The font list (Pango family list: the first font that has a character
 * draws it). */
#define ZT_SLIP_PDF_FONTS "Noto Sans CJK SC,HanaMinB"

struct zt_slip_pdf_opts {
	const char *font_families; /* NULL: ZT_SLIP_PDF_FONTS */
};

/* Renders slip `s` (checked with zt_slip_check first) as a PDF document of
 * one A5 page through `write`. ZT_EINVAL for a slip with a character that
 * no installed font covers (the message says which packages to install).
 * `o` may be NULL. */
int zt_slip_render_pdf(zt_write_fn write, void *ctx, const struct zt_slip *s,
                       const struct zt_slip_pdf_opts *o);

#endif
