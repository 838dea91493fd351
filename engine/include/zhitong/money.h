/* zhitong — exact money, ratios, prices and dates. No floating point.
 *
 * Money is integer fen (1/100 yuan). Ratios are basis points (1/10000).
 * Prices and quantities are integers in 1/10000 units ("q4"). Dates are
 * yyyymmdd integers (20170310), compared as integers. */
#ifndef ZHITONG_MONEY_H
#define ZHITONG_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t zt_fen;
typedef int32_t zt_bp;
typedef int64_t zt_q4;
typedef int32_t zt_date;

/* The national 16,2: at most 14 digits before the point. */
#define ZT_FEN_MAX INT64_C(9999999999999999)
/* No annual cap ("none"). */
#define ZT_CAP_NONE INT64_C(-1)
#define ZT_BP_ONE 10000
/* Prices and quantities: at most 14 integer digits, 4 decimals. */
#define ZT_Q4_MAX INT64_C(999999999999999999)

/* Strict lexical parsers (docs/spec/interfaces.md "Lexical rules"). Each takes the
 * text and its length, ignores leading/trailing XML white space, and
 * returns 0 or ZT_EINVAL/ZT_ERANGE with zt_error_last() set to a message
 * naming the offending text. */
int zt_parse_amount(zt_fen *out, const char *s, size_t n);  /* "1234.50"         */
int zt_parse_cap(zt_fen *out, const char *s, size_t n);     /* amount | "none"   */
int zt_parse_q4(zt_q4 *out, const char *s, size_t n);       /* "12.5", "3"       */
int zt_parse_ratio(zt_bp *out, const char *s, size_t n);    /* 0..1, ≤4 decimals */
int zt_parse_factor(zt_bp *out, const char *s, size_t n);   /* 0..10, ≤4 decimals*/
int zt_parse_date(zt_date *out, const char *s, size_t n);   /* real YYYY-MM-DD   */

/* Formatting. Buffers of ZT_FMT_BYTES are always large enough. */
#define ZT_FMT_BYTES 32
/* "-1234.50" for negatives (reversals); never "-0.00". */
char *zt_format_amount(char out[ZT_FMT_BYTES], zt_fen v);
/* "0.8500": always four decimals. */
char *zt_format_ratio(char out[ZT_FMT_BYTES], zt_bp v);
/* "12.5000": q4 with four decimals. */
char *zt_format_q4(char out[ZT_FMT_BYTES], zt_q4 v);
/* "2017-03-10". */
char *zt_format_date(char out[ZT_FMT_BYTES], zt_date d);
/* Today's date (UTC) as yyyymmdd. */
zt_date zt_date_today(void);
/* The day a report or a plan is made "as of": `given`, or today when 0.
 * A day after today is refused (ZT_EINVAL, naming `what`, e.g. "--as-of"):
 * what is late or due is only known up to today. */
int zt_date_as_of(zt_date *out, zt_date given, const char *what);

/* Half-up division of non-negative a by positive d: (2a + d) div (2d).
 * Uses 128-bit intermediates; returns ZT_ERANGE if the result does not
 * fit in int64. */
int zt_rhu128(int64_t *out, __int128 a, int64_t d);
/* rhu(x × r, 10000) for x ≥ 0 fen and r ≥ 0 bp. */
int zt_mul_ratio(zt_fen *out, zt_fen x, zt_bp r);
/* floor(x × r / 10000). */
int zt_mul_ratio_floor(zt_fen *out, zt_fen x, zt_bp r);
/* Checked add; ZT_ERANGE with a message on overflow. */
int zt_add(zt_fen *out, zt_fen a, zt_fen b);

static inline zt_fen zt_min(zt_fen a, zt_fen b) { return a < b ? a : b; }
static inline zt_fen zt_max(zt_fen a, zt_fen b) { return a > b ? a : b; }
/* What is left under an annual cap: max(0, cap − paid), or "unlimited"
 * (INT64_MAX) for ZT_CAP_NONE. */
static inline zt_fen zt_cap_room(zt_fen cap, zt_fen paid)
{
	if (cap == ZT_CAP_NONE)
		return INT64_MAX;
	return cap > paid ? cap - paid : 0;
}

#endif
