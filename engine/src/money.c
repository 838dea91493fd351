/* zhitong — exact decimal parsing and formatting (see money.h).
 *
 * Text goes straight to integers; anything the lexical rules of
 * docs/spec/interfaces.md do not allow is refused, never "fixed up". */
#include "zhitong/money.h"

#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"

static bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void trim(const char **s, size_t *n)
{
	while (*n && is_xml_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_xml_space((*s)[*n - 1]))
		(*n)--;
}

/* Parses "I[.F]" with no sign, no leading zeros (except a lone 0), at most
 * int_max integer digits and between frac_min and frac_max fraction digits;
 * returns the value scaled by 10^scale. */
static int parse_decimal(int64_t *out, const char *s, size_t n, int int_max,
                         int frac_min, int frac_max, int scale, const char *what)
{
	const char *orig = s;
	size_t orig_n = n;
	trim(&s, &n);
	size_t i = 0;
	int64_t v = 0;
	int int_digits = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (int_digits >= int_max)
			return zt_error_set(ZT_ERANGE, "%s '%.*s' has more than %d digits before the point",
			                    what, (int)(orig_n > 40 ? 40 : orig_n), orig, int_max);
		v = v * 10 + (s[i] - '0');
		int_digits++;
		i++;
	}
	if (int_digits == 0 || (int_digits > 1 && s[0] == '0'))
		goto bad;
	int frac_digits = 0;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (frac_digits >= frac_max)
				goto bad;
			v = v * 10 + (s[i] - '0');
			frac_digits++;
			i++;
		}
		if (frac_digits == 0)
			goto bad;
	}
	if (i != n || frac_digits < frac_min)
		goto bad;
	for (int k = frac_digits; k < scale; k++)
		v *= 10;
	*out = v;
	return 0;
bad:
	return zt_error_set(ZT_EINVAL, "%s '%.*s' is not allowed", what,
	                    (int)(orig_n > 40 ? 40 : orig_n), orig);
}

int zt_parse_amount(zt_fen *out, const char *s, size_t n)
{
	int64_t v = 0;
	int rc = parse_decimal(&v, s, n, 14, 2, 2, 2, "amount");
	if (rc)
		return rc;
	*out = v;
	return 0;
}

int zt_parse_cap(zt_fen *out, const char *s, size_t n)
{
	const char *t = s;
	size_t m = n;
	trim(&t, &m);
	if (m == 4 && memcmp(t, "none", 4) == 0) {
		*out = ZT_CAP_NONE;
		return 0;
	}
	return zt_parse_amount(out, s, n);
}

int zt_parse_q4(zt_q4 *out, const char *s, size_t n)
{
	return parse_decimal(out, s, n, 14, 0, 4, 4, "number");
}

int zt_parse_ratio(zt_bp *out, const char *s, size_t n)
{
	int64_t v = 0;
	int rc = parse_decimal(&v, s, n, 1, 0, 4, 4, "ratio");
	if (rc)
		return rc;
	if (v > ZT_BP_ONE)
		return zt_error_set(ZT_ERANGE, "ratio '%.*s' is above 1", (int)(n > 40 ? 40 : n), s);
	*out = (zt_bp)v;
	return 0;
}

int zt_parse_factor(zt_bp *out, const char *s, size_t n)
{
	int64_t v = 0;
	int rc = parse_decimal(&v, s, n, 2, 0, 4, 4, "factor");
	if (rc)
		return rc;
	if (v > 10 * ZT_BP_ONE)
		return zt_error_set(ZT_ERANGE, "factor '%.*s' is above 10", (int)(n > 40 ? 40 : n), s);
	*out = (zt_bp)v;
	return 0;
}

/* The digits of v right-aligned before `end`, at least `width` of them;
 * returns where they start. */
static char *digits_before(char *end, uint64_t v, int width)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (--width > 0 || v);
	return p;
}

/* "%s%llu.%02llu" without printf: a payer file or a statement formats
 * every amount of every record (issue 8). */
char *zt_format_amount(char out[ZT_FMT_BYTES], zt_fen v)
{
	_Static_assert(ZT_FMT_BYTES >= 24, "INT64_MIN as an amount fits");
	/* INT64_MIN has no positive counterpart; amounts never get near it. */
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char tmp[24], *end = tmp + sizeof tmp;
	char *p = digits_before(end, a % 100, 2);
	*--p = '.';
	p = digits_before(p, a / 100, 1);
	if (v < 0)
		*--p = '-';
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return out;
}

char *zt_format_ratio(char out[ZT_FMT_BYTES], zt_bp v)
{
	if (v < 0) { /* never a ratio; C's division says what it says */
		snprintf(out, ZT_FMT_BYTES, "%d.%04d", v / ZT_BP_ONE, v % ZT_BP_ONE);
		return out;
	}
	char tmp[24], *end = tmp + sizeof tmp;
	char *p = digits_before(end, (uint64_t)(v % ZT_BP_ONE), 4);
	*--p = '.';
	p = digits_before(p, (uint64_t)(v / ZT_BP_ONE), 1);
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return out;
}

char *zt_format_q4(char out[ZT_FMT_BYTES], zt_q4 v)
{
	snprintf(out, ZT_FMT_BYTES, "%lld.%04lld", (long long)(v / 10000), (long long)(v % 10000));
	return out;
}

int zt_rhu128(int64_t *out, __int128 a, int64_t d)
{
	if (a < 0 || d <= 0)
		return zt_error_set(ZT_EINTERNAL, "rhu of a negative value");
	__int128 q = (2 * a + d) / (2 * (__int128)d);
	if (q > INT64_MAX)
		return zt_error_set(ZT_ERANGE, "amount would overflow");
	*out = (int64_t)q;
	return 0;
}

int zt_mul_ratio(zt_fen *out, zt_fen x, zt_bp r)
{
	return zt_rhu128(out, (__int128)x * r, ZT_BP_ONE);
}

int zt_mul_ratio_floor(zt_fen *out, zt_fen x, zt_bp r)
{
	if (x < 0 || r < 0)
		return zt_error_set(ZT_EINTERNAL, "floor of a negative value");
	__int128 q = (__int128)x * r / ZT_BP_ONE;
	if (q > INT64_MAX)
		return zt_error_set(ZT_ERANGE, "amount would overflow");
	*out = (zt_fen)q;
	return 0;
}

int zt_add(zt_fen *out, zt_fen a, zt_fen b)
{
	if (__builtin_add_overflow(a, b, out))
		return zt_error_set(ZT_ERANGE, "amount would overflow");
	return 0;
}
