/* zhitong — exact decimal parsing (docs/spec/interfaces.md "Lexical rules"). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/money.h"

static int amt(const char *s, zt_fen *v) { return zt_parse_amount(v, s, strlen(s)); }

Test(money_amount, accepts_two_decimals)
{
	zt_fen v;
	cr_assert_eq(amt("0.00", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(amt("1234.50", &v), 0);
	cr_assert_eq(v, 123450);
	cr_assert_eq(amt(" 10500.00\n", &v), 0);
	cr_assert_eq(v, 1050000);
	cr_assert_eq(amt("99999999999999.99", &v), 0);
	cr_assert_eq(v, ZT_FEN_MAX);
}

Test(money_amount, refuses_every_other_form)
{
	static const char *bad[] = {"1234.5", "1e3", "-0.00", "+1.00", "01.00", "1,234.00",
	                            "", ".50", "1.", "1.000", "100000000000000.00", "1 2.00",
	                            "0x10.00", "1.0O"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		zt_fen v = 42;
		cr_expect_neq(amt(bad[i], &v), 0, "'%s' should be refused", bad[i]);
		cr_expect_eq(v, 42, "'%s' must leave the output alone", bad[i]);
	}
}

Test(money_q4, prices_and_quantities)
{
	zt_q4 v;
	cr_assert_eq(zt_parse_q4(&v, "12.5", 4), 0);
	cr_assert_eq(v, 125000);
	cr_assert_eq(zt_parse_q4(&v, "3", 1), 0);
	cr_assert_eq(v, 30000);
	cr_assert_eq(zt_parse_q4(&v, "25.0000", 7), 0);
	cr_assert_eq(v, 250000);
	cr_assert_neq(zt_parse_q4(&v, "1.23456", 7), 0);
	cr_assert_neq(zt_parse_q4(&v, "-1", 2), 0);
}

Test(money_ratio, zero_to_one_four_decimals)
{
	zt_bp r;
	cr_assert_eq(zt_parse_ratio(&r, "0.85", 4), 0);
	cr_assert_eq(r, 8500);
	cr_assert_eq(zt_parse_ratio(&r, "1", 1), 0);
	cr_assert_eq(r, 10000);
	cr_assert_eq(zt_parse_ratio(&r, "0.0001", 6), 0);
	cr_assert_eq(r, 1);
	cr_assert_neq(zt_parse_ratio(&r, "1.0001", 6), 0);
	cr_assert_neq(zt_parse_ratio(&r, "1.5", 3), 0);
	cr_assert_neq(zt_parse_ratio(&r, "0.12345", 7), 0);
	cr_assert_eq(zt_parse_factor(&r, "10", 2), 0);
	cr_assert_eq(r, 100000);
	cr_assert_neq(zt_parse_factor(&r, "10.0001", 7), 0);
}

Test(money_date, real_calendar_dates_only)
{
	zt_date d;
	cr_assert_eq(zt_parse_date(&d, "2016-02-29", 10), 0);
	cr_assert_eq(d, 20160229);
	cr_assert_neq(zt_parse_date(&d, "2017-02-29", 10), 0);
	cr_assert_neq(zt_parse_date(&d, "1900-02-29", 10), 0);
	cr_assert_eq(zt_parse_date(&d, "2000-02-29", 10), 0);
	cr_assert_neq(zt_parse_date(&d, "2017-13-01", 10), 0);
	cr_assert_neq(zt_parse_date(&d, "2017-04-31", 10), 0);
	cr_assert_neq(zt_parse_date(&d, "2017-4-01", 9), 0);
}

Test(money_rounding, half_up_and_floor)
{
	zt_fen v;
	cr_assert_eq(zt_mul_ratio(&v, 5, 5000), 0); /* 2.5 → 3 */
	cr_assert_eq(v, 3);
	cr_assert_eq(zt_mul_ratio(&v, 3, 5000), 0); /* 1.5 → 2 */
	cr_assert_eq(v, 2);
	cr_assert_eq(zt_mul_ratio_floor(&v, 5, 5000), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(zt_mul_ratio(&v, ZT_FEN_MAX, 10000), 0);
	cr_assert_eq(v, ZT_FEN_MAX);
	cr_assert_eq(zt_add(&v, INT64_MAX, 1), ZT_ERANGE);
}

Test(money_format, amounts_and_ratios)
{
	char b[ZT_FMT_BYTES];
	cr_assert_str_eq(zt_format_amount(b, 1050000), "10500.00");
	cr_assert_str_eq(zt_format_amount(b, -816000), "-8160.00");
	cr_assert_str_eq(zt_format_amount(b, 5), "0.05");
	cr_assert_str_eq(zt_format_amount(b, 0), "0.00");
	cr_assert_str_eq(zt_format_ratio(b, 8500), "0.8500");
	cr_assert_str_eq(zt_format_ratio(b, 10000), "1.0000");
}

/* Formatted without printf (issue 8): the same text printf gives, at the
 * edges of every digit count and of int64, and for the negative ratio
 * printf alone still writes. */
Test(money_format, what_printf_would_write)
{
	char b[ZT_FMT_BYTES], want[ZT_FMT_BYTES];
	int64_t v = 1;
	for (int d = 0; d < 19; d++) {
		if (d)
			v *= 10; /* 10^d, to 10^18 */
		const int64_t cases[] = {v - 1, v, v + 1, -v, -(v - 1), -(v + 1)};
		for (int i = 0; i < 6; i++) {
			int64_t x = cases[i];
			uint64_t a = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
			snprintf(want, sizeof want, "%s%llu.%02llu", x < 0 ? "-" : "",
			         (unsigned long long)(a / 100), (unsigned long long)(a % 100));
			cr_assert_str_eq(zt_format_amount(b, x), want, "%lld", (long long)x);
		}
	}
	snprintf(want, sizeof want, "%lld.%02lld", (long long)(INT64_MAX / 100),
	         (long long)(INT64_MAX % 100));
	cr_assert_str_eq(zt_format_amount(b, INT64_MAX), want);
	cr_assert_str_eq(zt_format_amount(b, -INT64_MAX), "-92233720368547758.07");
	for (zt_bp r = 0; r <= 30000; r += 7) {
		snprintf(want, sizeof want, "%d.%04d", r / ZT_BP_ONE, r % ZT_BP_ONE);
		cr_assert_str_eq(zt_format_ratio(b, r), want, "%d", r);
	}
	cr_assert_str_eq(zt_format_ratio(b, 1), "0.0001");
	cr_assert_str_eq(zt_format_ratio(b, -5000), "0.-5000");
}

/* The formatters write without printf (issue 8: a payer file formats every
 * amount and date of a million records); they must say exactly what the
 * printf forms said, for every sign, width and carry. */
Test(money_format, the_same_text_as_printf_said)
{
	char got[ZT_FMT_BYTES], want[ZT_FMT_BYTES];
	static const zt_fen edges[] = {0, 1, -1, 9, 10, 99, 100, 101, -99, -100, -101, 999999, 1000000,
	                              INT64_MAX, INT64_MIN + 1, 4294967295LL, -4294967296LL};
	uint64_t x = 88172645463325252ULL; /* xorshift: many magnitudes */
	for (int i = 0; i < 20000; i++) {
		zt_fen v;
		if (i < (int)(sizeof edges / sizeof *edges)) {
			v = edges[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = (zt_fen)((x >> (x % 60)) >> 1) * (x & 1 ? -1 : 1);
		}
		uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		snprintf(want, sizeof want, "%s%llu.%02llu", v < 0 ? "-" : "",
		         (unsigned long long)(a / 100), (unsigned long long)(a % 100));
		cr_assert_str_eq(zt_format_amount(got, v), want, "amount %lld", (long long)v);
	}
	for (zt_bp v = -20000; v <= 120000; v += 7) {
		snprintf(want, sizeof want, "%d.%04d", v / ZT_BP_ONE, v % ZT_BP_ONE);
		cr_assert_str_eq(zt_format_ratio(got, v), want, "ratio %d", v);
	}
	cr_assert_str_eq(zt_format_ratio(got, 0), "0.0000");
	cr_assert_str_eq(zt_format_ratio(got, 7), "0.0007");
}
