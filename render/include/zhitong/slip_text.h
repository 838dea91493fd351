/* zhitong — the slip as text: a terminal, a 58 mm or 80 mm receipt printer
 * (docs/slip.md "Text").
 *
 * Every line is at most `width_cols` display columns wide, a CJK character
 * counting two (libunistring's widths for UTF-8); labels and values that do
 * not fit are wrapped at the line-break opportunities of UAX #14, and
 * amounts end at the right edge, one under the other. All labels are
 * Chinese. Thermal printers that take GB18030 get it converted (iconv);
 * every Unicode character has a GB18030 form, names from CJK Extension B
 * included. */
#ifndef ZHITONG_SLIP_TEXT_H
#define ZHITONG_SLIP_TEXT_H

#include "zhitong/render.h"
#include "zhitong/slip.h"

/* 58 mm paper: 32 columns of a 12×24 font; 80 mm: 48. */
#define ZT_SLIP_TEXT_COLS_58MM 32
#define ZT_SLIP_TEXT_COLS_80MM 48
#define ZT_SLIP_TEXT_COLS_MIN 32
#define ZT_SLIP_TEXT_COLS_MAX 160

enum zt_text_encoding {
	ZT_TEXT_UTF8 = 0,
	ZT_TEXT_GB18030 = 1,
};

struct zt_slip_text_opts {
	int width_cols;                /* 0: ZT_SLIP_TEXT_COLS_80MM */
	enum zt_text_encoding encoding;
};

/* Renders slip `s` (checked with zt_slip_check first: a slip that does not
 * add up is refused with ZT_EINVAL) through `write`. `o` may be NULL. */
int zt_slip_render_text(zt_write_fn write, void *ctx, const struct zt_slip *s,
                        const struct zt_slip_text_opts *o);

/* Display columns of UTF-8 text (CJK two), as the text renderer counts
 * them; -1 for text that is not valid UTF-8. */
int zt_text_width(const char *utf8);

#endif
