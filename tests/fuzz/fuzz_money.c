/* zhitong — fuzz target: the lexical parsers of money.h (amounts, caps,
 * prices and quantities, ratios, factors; docs/spec/interfaces.md "Lexical
 * rules") and the money arithmetic under them.
 *
 * The input is one text. Each parser must accept exactly what the rules
 * allow — checked against a second, independent reading of the rules
 * below — and what it accepts must be in range and format back to the same
 * text (padded to four decimals where fewer are allowed). The first bytes,
 * read as numbers, drive the rounding helpers against 128-bit arithmetic. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/money.h"

static bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The rule, read again: I[.F] where I is "0" or a digit 1-9 and at most
 * int_max - 1 more digits, F is frac_min..frac_max digits (a point needs at
 * least one). Leading and trailing XML white space is ignored. */
static bool rule(__int128 *v, const char *s, size_t n, int int_max, int frac_min, int frac_max)
{
	while (n && xml_space(s[0]))
		s++, n--;
	while (n && xml_space(s[n - 1]))
		n--;
	size_t i = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	size_t int_len = i;
	if (int_len == 0 || int_len > (size_t)int_max || (int_len > 1 && s[0] == '0'))
		return false;
	size_t frac_len = 0;
	if (i < n && s[i] == '.') {
		size_t start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_len = i - start;
		if (frac_len == 0)
			return false;
	}
	if (i != n || frac_len < (size_t)frac_min || frac_len > (size_t)frac_max)
		return false;
	__int128 x = 0;
	for (size_t k = 0; k < n; k++)
		if (s[k] != '.')
			x = x * 10 + (s[k] - '0');
	for (size_t k = frac_len; k < 4; k++)
		x *= 10;
	*v = x; /* in 1/10000 */
	return true;
}

/* The text without the white space around it, padded to `decimals`
 * decimals: what the formatter must give back. */
static void padded(char *out, size_t cap, const char *s, size_t n, int decimals)
{
	while (n && xml_space(s[0]))
		s++, n--;
	while (n && xml_space(s[n - 1]))
		n--;
	ZT_FUZZ_CHECK(n + 6 < cap, "accepted text of %zu bytes", n);
	memcpy(out, s, n);
	const char *dot = memchr(s, '.', n);
	size_t have = dot ? n - (size_t)(dot - s) - 1 : 0;
	if (!dot && decimals)
		out[n++] = '.';
	for (size_t k = have; k < (size_t)decimals; k++)
		out[n++] = '0';
	out[n] = '\0';
}

static void refused(int rc, const char *what)
{
	ZT_FUZZ_CHECK(rc == ZT_EINVAL || rc == ZT_ERANGE, "%s: code %d", what, rc);
	ZT_FUZZ_CHECK(zt_error_last()[0] != '\0', "%s refused without a message", what);
}

static void amounts(const char *s, size_t n)
{
	char fmt[ZT_FMT_BYTES], want[96];
	__int128 ref = 0;
	bool ok = rule(&ref, s, n, 14, 2, 2);
	zt_fen v = -7;
	int rc = zt_parse_amount(&v, s, n);
	ZT_FUZZ_CHECK((rc == 0) == ok, "amount '%.*s': parser %d, rule %d", (int)n, s, rc, ok);
	if (rc) {
		refused(rc, "amount");
		ZT_FUZZ_CHECK(v == -7, "a refused amount wrote its output");
	} else {
		ZT_FUZZ_CHECK(v >= 0 && v <= ZT_FEN_MAX, "amount %lld out of range", (long long)v);
		ZT_FUZZ_CHECK(ref == (__int128)v * 100, "amount '%.*s' read as %lld", (int)n, s,
		              (long long)v);
		padded(want, sizeof want, s, n, 2);
		ZT_FUZZ_CHECK(strcmp(zt_format_amount(fmt, v), want) == 0, "amount '%s' formats as '%s'",
		              want, fmt);
	}

	zt_fen cap = -7;
	int crc = zt_parse_cap(&cap, s, n);
	size_t b = 0, e = n;
	while (b < e && xml_space(s[b]))
		b++;
	while (e > b && xml_space(s[e - 1]))
		e--;
	if (e - b == 4 && memcmp(s + b, "none", 4) == 0)
		ZT_FUZZ_CHECK(crc == 0 && cap == ZT_CAP_NONE, "cap 'none' read as %d/%lld", crc,
		              (long long)cap);
	else
		ZT_FUZZ_CHECK(crc == rc && (rc != 0 || cap == v), "cap and amount differ on '%.*s'",
		              (int)n, s);
}

static void fourths(const char *s, size_t n)
{
	char fmt[ZT_FMT_BYTES], want[96];
	__int128 ref = 0;

	bool ok = rule(&ref, s, n, 14, 0, 4);
	zt_q4 q = -7;
	int rc = zt_parse_q4(&q, s, n);
	ZT_FUZZ_CHECK((rc == 0) == ok, "number '%.*s': parser %d, rule %d", (int)n, s, rc, ok);
	if (rc) {
		refused(rc, "number");
	} else {
		ZT_FUZZ_CHECK(q >= 0 && q <= ZT_Q4_MAX && ref == q, "number '%.*s' read as %lld", (int)n,
		              s, (long long)q);
		padded(want, sizeof want, s, n, 4);
		ZT_FUZZ_CHECK(strcmp(zt_format_q4(fmt, q), want) == 0, "number '%s' formats as '%s'",
		              want, fmt);
	}

	ok = rule(&ref, s, n, 1, 0, 4) && ref <= ZT_BP_ONE;
	zt_bp r = -7;
	rc = zt_parse_ratio(&r, s, n);
	ZT_FUZZ_CHECK((rc == 0) == ok, "ratio '%.*s': parser %d, rule %d", (int)n, s, rc, ok);
	if (rc) {
		refused(rc, "ratio");
	} else {
		ZT_FUZZ_CHECK(r >= 0 && r <= ZT_BP_ONE && ref == r, "ratio read as %d", r);
		padded(want, sizeof want, s, n, 4);
		ZT_FUZZ_CHECK(strcmp(zt_format_ratio(fmt, r), want) == 0, "ratio '%s' formats as '%s'",
		              want, fmt);
	}

	ok = rule(&ref, s, n, 2, 0, 4) && ref <= 10 * ZT_BP_ONE;
	zt_bp f = -7;
	rc = zt_parse_factor(&f, s, n);
	ZT_FUZZ_CHECK((rc == 0) == ok, "factor '%.*s': parser %d, rule %d", (int)n, s, rc, ok);
	if (rc) {
		refused(rc, "factor");
	} else {
		ZT_FUZZ_CHECK(f >= 0 && f <= 10 * ZT_BP_ONE && ref == f, "factor read as %d", f);
		padded(want, sizeof want, s, n, 4);
		ZT_FUZZ_CHECK(strcmp(zt_format_ratio(fmt, f), want) == 0, "factor '%s' formats as '%s'",
		              want, fmt);
	}
}

static uint64_t bytes_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The rounding helpers against 128-bit arithmetic, on an amount and a
 * ratio taken from the first ten bytes. */
static void arithmetic(const uint8_t *data, size_t size)
{
	if (size < 10)
		return;
	zt_fen x = (zt_fen)(bytes_le(data, 8) % (uint64_t)(ZT_FEN_MAX + 1));
	zt_bp r = (zt_bp)(bytes_le(data + 8, 2) % (10 * ZT_BP_ONE + 1));
	zt_fen up = -1, down = -1;
	ZT_FUZZ_CHECK(zt_mul_ratio(&up, x, r) == 0, "rhu(%lld x %d)", (long long)x, r);
	ZT_FUZZ_CHECK(zt_mul_ratio_floor(&down, x, r) == 0, "floor(%lld x %d)", (long long)x, r);
	__int128 p = (__int128)x * r;
	ZT_FUZZ_CHECK(down == (zt_fen)(p / ZT_BP_ONE), "floor(%lld x %d) = %lld", (long long)x, r,
	              (long long)down);
	ZT_FUZZ_CHECK(up == (zt_fen)((2 * p + ZT_BP_ONE) / (2 * ZT_BP_ONE)), "rhu(%lld x %d) = %lld",
	              (long long)x, r, (long long)up);
	ZT_FUZZ_CHECK(up - down == 0 || up - down == 1, "rhu and floor %lld apart",
	              (long long)(up - down));
	if (r <= ZT_BP_ONE)
		ZT_FUZZ_CHECK(up <= x, "%lld x %d rounds above the amount", (long long)x, r);

	zt_fen sum;
	int rc = zt_add(&sum, x, up);
	ZT_FUZZ_CHECK(rc == 0 && sum == x + up, "%lld + %lld", (long long)x, (long long)up);
	zt_fen big = INT64_MAX - (zt_fen)(bytes_le(data, 2));
	rc = zt_add(&sum, big, x);
	ZT_FUZZ_CHECK((rc == ZT_ERANGE) == (x > INT64_MAX - big), "overflow of %lld + %lld: %d",
	              (long long)big, (long long)x, rc);

	/* A reversal's amount is the same text with a minus; never "-0.00". */
	char pos[ZT_FMT_BYTES], neg[ZT_FMT_BYTES];
	zt_format_amount(pos, x);
	zt_format_amount(neg, -x);
	if (x == 0)
		ZT_FUZZ_CHECK(strcmp(neg, "0.00") == 0, "-0 formats as '%s'", neg);
	else
		ZT_FUZZ_CHECK(neg[0] == '-' && strcmp(neg + 1, pos) == 0, "'%s' negated is '%s'", pos,
		              neg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly the bytes given: the parsers take a length, not a C string. */
	const char *s = (const char *)data;
	amounts(s, size);
	fourths(s, size);
	arithmetic(data, size);
	return 0;
}
