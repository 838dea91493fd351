/* zhitong — fuzz target: calendar dates and timestamps (date.h).
 *
 * The input is one text, read as a date (YYYY-MM-DD, docs/spec/interfaces.md
 * "Lexical rules") and as a stored timestamp (YYYY-MM-DDTHH:MM:SSZ). Each
 * must be accepted exactly when it is a real one (checked against a second
 * reading of the calendar below) and format back to the same text. An
 * accepted date then drives the day arithmetic (day numbers, adding days)
 * and the first instant of that day in zones with daylight saving time,
 * half-hour offsets and a skipped day, which must begin the day. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/date.h"
#include "zhitong/error.h"

static bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* The Gregorian calendar, read again. */
static bool real_day(int y, int m, int d)
{
	static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = y % 400 == 0 || (y % 4 == 0 && y % 100 != 0);
	return d <= days[m] + (m == 2 && leap);
}

static bool rule_date(zt_date *out, const char *s, size_t n)
{
	while (n && xml_space(s[0]))
		s++, n--;
	while (n && xml_space(s[n - 1]))
		n--;
	int y, m, d;
	if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
	    !digits(s + 8, 2, &d) || !real_day(y, m, d))
		return false;
	*out = y * 10000 + m * 100 + d;
	return true;
}

/* zt_timestamp_parse takes a C string: its text ends at the first NUL. */
static bool rule_timestamp(const char *s)
{
	int y, mo, d, h, mi, sec;
	return strlen(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
	       s[13] == ':' && s[16] == ':' && s[19] == 'Z' && digits(s, 4, &y) &&
	       digits(s + 5, 2, &mo) && digits(s + 8, 2, &d) && digits(s + 11, 2, &h) &&
	       digits(s + 14, 2, &mi) && digits(s + 17, 2, &sec) && real_day(y, mo, d) && h < 24 &&
	       mi < 60 && sec < 60;
}

/* Zones of every kind (loaded once): none, northern and southern daylight
 * saving time, a half-hour change, a day skipped (Samoa, 2011-12-30). */
static const char *const zone_names[] = {"Asia/Shanghai", "America/New_York",
                                          "America/Sao_Paulo", "Australia/Lord_Howe",
                                          "Pacific/Apia", "Europe/Dublin"};
#define ZONES (sizeof zone_names / sizeof *zone_names)
static struct zt_zone *zones[ZONES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < ZONES; i++)
		if (zt_zone_load(&zones[i], zone_names[i]) != 0) {
			fprintf(stderr, "fuzz_date: %s (is tzdata installed?)\n", zt_error_last());
			abort();
		}
	return 0;
}

static void day_start(const struct zt_zone *z, zt_date d, const char *name)
{
	int64_t t = zt_zone_day_start(z, d);
	zt_date got = zt_zone_date(z, t), before = zt_zone_date(z, t - 1);
	ZT_FUZZ_CHECK(got >= d && before < d, "%s: day %d starts at %lld, local %d (before: %d)",
	              name, d, (long long)t, got, before);
}

static void dates(const char *s, size_t n, const uint8_t *raw)
{
	zt_date ref = 0, d = -1;
	bool ok = rule_date(&ref, s, n);
	int rc = zt_parse_date(&d, s, n);
	ZT_FUZZ_CHECK((rc == 0) == ok, "date '%.*s': parser %d, rule %d", (int)n, s, rc, ok);
	if (rc) {
		ZT_FUZZ_CHECK(rc == ZT_EINVAL && zt_error_last()[0], "date refused with %d", rc);
		ZT_FUZZ_CHECK(d == -1, "a refused date wrote its output");
		return;
	}
	ZT_FUZZ_CHECK(d == ref && zt_date_valid(d), "date '%.*s' read as %d", (int)n, s, d);
	char buf[ZT_FMT_BYTES];
	size_t b = 0;
	while (xml_space(s[b]))
		b++;
	ZT_FUZZ_CHECK(memcmp(zt_format_date(buf, d), s + b, 10) == 0 && strlen(buf) == 10,
	              "date %d formats as '%s'", d, buf);

	int64_t day = zt_date_day_number(d);
	ZT_FUZZ_CHECK(zt_date_from_day_number(day) == d, "day number %lld of %d", (long long)day, d);
	/* Some days later or earlier, from the bytes after the text's start. */
	int64_t k = (int64_t)(((uint32_t)raw[0] << 16 | (uint32_t)raw[1] << 8 | raw[2]) % 4000000) -
	            2000000;
	zt_date e = zt_date_add(d, k);
	int64_t ed = day + k;
	if (ed >= zt_date_day_number(10101) && ed <= zt_date_day_number(99991231)) {
		ZT_FUZZ_CHECK(zt_date_valid(e), "%d + %lld days = %d", d, (long long)k, e);
		ZT_FUZZ_CHECK(zt_date_days_between(d, e) == k, "%d + %lld days = %d", d, (long long)k,
		              e);
		ZT_FUZZ_CHECK(k <= 0 || e > d, "%d + %lld days = %d", d, (long long)k, e);
	}
	for (size_t i = 0; i < ZONES; i++)
		day_start(zones[i], d, zone_names[i]);
}

static void timestamps(const char *s)
{
	int64_t t = -1;
	bool ok = rule_timestamp(s);
	int rc = zt_timestamp_parse(&t, s);
	ZT_FUZZ_CHECK((rc == 0) == ok, "timestamp '%s': parser %d, rule %d", s, rc, ok);
	char buf[ZT_FMT_BYTES], local[ZT_FMT_BYTES];
	zt_timestamp_local(local, s);
	ZT_FUZZ_CHECK(strlen(local) < ZT_FMT_BYTES, "local time too long");
	if (rc) {
		ZT_FUZZ_CHECK(zt_timestamp_local_date(s) == 0, "'%s' has a local date", s);
		/* text that is not a timestamp is shown as it is, cut to fit */
		ZT_FUZZ_CHECK(strncmp(local, s, ZT_FMT_BYTES - 1) == 0, "'%s' shown as '%s'", s, local);
		return;
	}
	ZT_FUZZ_CHECK(strcmp(zt_timestamp_utc(buf, t), s) == 0, "timestamp '%s' formats as '%s'", s,
	              buf);
	zt_date d = zt_timestamp_local_date(s);
	ZT_FUZZ_CHECK(zt_date_valid(d) || d / 10000 == 0 || d / 10000 == 10000,
	              "'%s' is on local day %d", s, d);
	char day[ZT_FMT_BYTES];
	if (zt_date_valid(d))
		ZT_FUZZ_CHECK(strncmp(local, zt_format_date(day, d), 10) == 0, "'%s' shown as '%s'", s,
		              local);
	for (size_t i = 0; i < ZONES; i++) {
		int32_t off = zt_zone_offset_s(zones[i], t);
		ZT_FUZZ_CHECK(off > -26 * 3600 && off < 26 * 3600, "%s: offset %d at %s", zone_names[i],
		              off, s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0; /* the forms are short; longer text only costs time */
	char *s = zt_fuzz_strndup(data, size);
	uint8_t raw[3] = {0, 0, 0};
	memcpy(raw, data, size < 3 ? size : 3);
	dates(s, size, raw);
	timestamps(s);
	free(s);
	return 0;
}
