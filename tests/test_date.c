/* zhitong — dates people live in (docs/spec/rules-v2.md §5; issue 7,
 * point 8): the date module (date.h) checked against the C library's own
 * reading of the same tzdata, and "today" and the times people read
 * through the command line. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "testutil.h"
#include "zhitong/date.h"
#include "zhitong/error.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"

static int64_t ts(const char *s)
{
	int64_t t;
	cr_assert_eq(zt_timestamp_parse(&t, s), 0, "%s", zt_error_last());
	return t;
}

static struct zt_zone *zone(const char *name)
{
	struct zt_zone *z = NULL;
	cr_assert_eq(zt_zone_load(&z, name), 0, "%s: %s", name, zt_error_last());
	return z;
}

/* ==== calendar ============================================================== */

Test(date_calendar, day_numbers_round_trip_every_day_from_1900_to_2100)
{
	int64_t n = zt_date_day_number(19000101);
	cr_expect_eq(zt_date_day_number(19700101), 0);
	cr_expect_eq(zt_date_day_number(20000301), 11017);
	for (zt_date d = 19000101; d < 21010101; d = zt_date_add(d, 1), n++) {
		cr_assert(zt_date_valid(d), "%d", d);
		cr_assert_eq(zt_date_day_number(d), n, "%d", d);
		cr_assert_eq(zt_date_from_day_number(n), d);
	}
	cr_expect_eq(zt_date_add(20240228, 1), 20240229);
	cr_expect_eq(zt_date_add(21000228, 1), 21000301);
	cr_expect_eq(zt_date_add(20250101, -1), 20241231);
	cr_expect_eq(zt_date_days_between(20240101, 20250101), 366);
	cr_expect(!zt_date_valid(20230229));
	cr_expect(!zt_date_valid(20231301));
	cr_expect(!zt_date_valid(0));
}

Test(date_calendar, timestamps_are_the_stores_form_exactly)
{
	cr_expect_eq(ts("1970-01-01T00:00:00Z"), 0);
	cr_expect_eq(ts("2026-11-25T23:30:00Z"), 1795649400);
	char b[ZT_FMT_BYTES];
	cr_expect_str_eq(zt_timestamp_utc(b, 1795649400), "2026-11-25T23:30:00Z");
	cr_expect_str_eq(zt_timestamp_utc(b, -1), "1969-12-31T23:59:59Z");
	static const char *const bad[] = {"", "2026-11-25", "2026-11-25 23:30:00Z",
	                                  "2026-11-25T23:30:00", "2026-02-30T00:00:00Z",
	                                  "2026-11-25T24:00:00Z", "2026-11-25T23:30:00+08:00",
	                                  "2026-11-25T23:30:0xZ"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t t;
		cr_expect_eq(zt_timestamp_parse(&t, bad[i]), ZT_EINVAL, "'%s'", bad[i]);
	}
}

/* ==== zones ==================================================================== */

Test(date_zone, shanghai_is_eight_hours_ahead_and_a_discharge_at_0730_is_today)
{
	struct zt_zone *z = zone("Asia/Shanghai");
	cr_expect_str_eq(zt_zone_name(z), "Asia/Shanghai");
	/* 07:30 Beijing time on 2026-11-26 is 23:30 UTC on the 25th */
	int64_t t = ts("2026-11-25T23:30:00Z");
	cr_expect_eq(zt_zone_offset_s(z, t), 8 * 3600);
	cr_expect_eq(zt_zone_date(z, t), 20261126);
	/* around local midnight */
	cr_expect_eq(zt_zone_date(z, ts("2026-11-25T15:59:59Z")), 20261125);
	cr_expect_eq(zt_zone_date(z, ts("2026-11-25T16:00:00Z")), 20261126);
	cr_expect_eq(zt_zone_day_start(z, 20261126), ts("2026-11-25T16:00:00Z"));
	/* the daylight saving of 1986-1991 and the local mean time before 1901 */
	cr_expect_eq(zt_zone_offset_s(z, ts("1988-07-01T00:00:00Z")), 9 * 3600);
	cr_expect_eq(zt_zone_offset_s(z, ts("1900-01-01T00:00:00Z")), 8 * 3600 + 5 * 60 + 43);
	zt_zone_free(z);
}

Test(date_zone, utc_has_no_offset)
{
	struct zt_zone *z = zone("UTC");
	for (int64_t t = ts("1960-01-01T00:00:00Z"); t < ts("2100-01-01T00:00:00Z"); t += 7777777)
		cr_assert_eq(zt_zone_offset_s(z, t), 0);
	cr_expect_eq(zt_zone_date(z, ts("2026-11-25T23:59:59Z")), 20261125);
	cr_expect_eq(zt_zone_date(z, ts("2026-11-26T00:00:00Z")), 20261126);
	cr_expect_eq(zt_zone_day_start(z, 20261126), ts("2026-11-26T00:00:00Z"));
	zt_zone_free(z);
}

Test(date_zone, new_york_and_berlin_change_at_their_daylight_saving_instants)
{
	struct zt_zone *ny = zone("America/New_York"), *be = zone("Europe/Berlin");
	/* 2026: New York springs forward on March 8 at 07:00Z, falls back on
	 * November 1 at 06:00Z; Berlin on March 29 and October 25 at 01:00Z. */
	cr_expect_eq(zt_zone_offset_s(ny, ts("2026-03-08T06:59:59Z")), -5 * 3600);
	cr_expect_eq(zt_zone_offset_s(ny, ts("2026-03-08T07:00:00Z")), -4 * 3600);
	cr_expect_eq(zt_zone_offset_s(ny, ts("2026-11-01T05:59:59Z")), -4 * 3600);
	cr_expect_eq(zt_zone_offset_s(ny, ts("2026-11-01T06:00:00Z")), -5 * 3600);
	cr_expect_eq(zt_zone_offset_s(be, ts("2026-03-29T00:59:59Z")), 3600);
	cr_expect_eq(zt_zone_offset_s(be, ts("2026-03-29T01:00:00Z")), 7200);
	cr_expect_eq(zt_zone_offset_s(be, ts("2026-10-25T00:59:59Z")), 7200);
	cr_expect_eq(zt_zone_offset_s(be, ts("2026-10-25T01:00:00Z")), 3600);
	/* far beyond the transitions listed in the file: the footer's rule */
	cr_expect_eq(zt_zone_offset_s(ny, ts("2090-07-04T12:00:00Z")), -4 * 3600);
	cr_expect_eq(zt_zone_offset_s(ny, ts("2090-12-25T12:00:00Z")), -5 * 3600);
	/* local midnight in summer and in winter */
	cr_expect_eq(zt_zone_date(ny, ts("2026-07-02T03:59:59Z")), 20260701);
	cr_expect_eq(zt_zone_date(ny, ts("2026-07-02T04:00:00Z")), 20260702);
	cr_expect_eq(zt_zone_date(ny, ts("2026-11-02T04:59:59Z")), 20261101);
	cr_expect_eq(zt_zone_date(ny, ts("2026-11-02T05:00:00Z")), 20261102);
	cr_expect_eq(zt_zone_day_start(ny, 20260308), ts("2026-03-08T05:00:00Z"));
	cr_expect_eq(zt_zone_day_start(ny, 20260309), ts("2026-03-09T04:00:00Z"));
	cr_expect_eq(zt_zone_day_start(be, 20261025), ts("2026-10-24T22:00:00Z"));
	cr_expect_eq(zt_zone_day_start(be, 20261026), ts("2026-10-25T23:00:00Z"));
	zt_zone_free(ny);
	zt_zone_free(be);
}

static void use_libc_zone(const char *name)
{
	char tz[200];
	snprintf(tz, sizeof tz, ":%s", name);
	setenv("TZ", tz, 1);
	tzset();
}

static void expect_as_libc(const struct zt_zone *z, const char *name, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	cr_assert(localtime_r(&tt, &tm) != NULL);
	zt_date d = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	char b[ZT_FMT_BYTES];
	cr_assert_eq(zt_zone_offset_s(z, t), tm.tm_gmtoff, "%s at %s: offset %d, the C library says %ld",
	             name, zt_timestamp_utc(b, t), zt_zone_offset_s(z, t), tm.tm_gmtoff);
	cr_assert_eq(zt_zone_date(z, t), d, "%s at %s: date %d, the C library says %d", name,
	             zt_timestamp_utc(b, t), zt_zone_date(z, t), d);
}

/* Samples 1901-2100 every ~11 hours and, wherever the C library's offset
 * changes between two samples, finds the instant of the change and checks
 * the seconds around it. */
static void agree_with_libc(const char *name)
{
	struct zt_zone *z = zone(name);
	use_libc_zone(name);
	int64_t end = ts("2100-01-01T00:00:00Z"), step = 40007;
	int64_t prev = ts("1901-01-01T00:00:00Z");
	expect_as_libc(z, name, prev);
	for (int64_t t = prev + step; t < end; prev = t, t += step) {
		time_t a = (time_t)prev, b = (time_t)t;
		struct tm ta, tb;
		localtime_r(&a, &ta);
		localtime_r(&b, &tb);
		expect_as_libc(z, name, t);
		if (ta.tm_gmtoff == tb.tm_gmtoff)
			continue;
		int64_t lo = prev, hi = t; /* offset(lo) != offset(hi) */
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;
			time_t m = (time_t)mid;
			struct tm tmid;
			localtime_r(&m, &tmid);
			if (tmid.tm_gmtoff == ta.tm_gmtoff)
				lo = mid;
			else
				hi = mid;
		}
		expect_as_libc(z, name, hi - 1);
		expect_as_libc(z, name, hi);
	}
	zt_zone_free(z);
}

Test(date_zone, agrees_with_the_c_library_for_every_kind_of_zone)
{
	static const char *const zones[] = {
		"Asia/Shanghai",      "UTC",              "America/New_York", "Europe/Berlin",
		"Europe/Dublin",      /* negative DST */  "Australia/Sydney", /* southern */
		"Australia/Lord_Howe", /* 30 min DST */   "America/Santiago", /* DST at 24:00 */
		"America/Havana",     /* at midnight */   "Asia/Kolkata",     "Asia/Kathmandu",
		"Pacific/Chatham",    "Pacific/Kiritimati", "America/St_Johns", "Africa/Casablanca",
		"America/Nuuk",       /* rule times < 0 */ "Asia/Jerusalem",  /* rule times > 24h */
		"Antarctica/Troll",   "Pacific/Apia",     /* a day skipped */ "Etc/GMT+12",
	};
	for (size_t i = 0; i < sizeof zones / sizeof *zones; i++)
		agree_with_libc(zones[i]);
}

Test(date_zone, every_day_starts_where_its_date_begins)
{
	static const char *const zones[] = {"Asia/Shanghai",  "America/New_York", "America/Santiago",
	                                    "America/Havana", "Australia/Lord_Howe", "Pacific/Apia",
	                                    "Asia/Kathmandu", "Europe/Dublin"};
	for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
		struct zt_zone *z = zone(zones[i]);
		for (zt_date d = 19900101; d < 20400101; d = zt_date_add(d, 1)) {
			int64_t s = zt_zone_day_start(z, d);
			/* the first instant whose date is d, or later (a day skipped) */
			cr_assert(zt_zone_date(z, s) >= d && zt_zone_date(z, s - 1) < d,
			          "%s %d: starts at %lld (date %d, before it %d)", zones[i], d, (long long)s,
			          zt_zone_date(z, s), zt_zone_date(z, s - 1));
		}
		zt_zone_free(z);
	}
	/* Samoa went from 2011-12-29 to 2011-12-31: the 30th begins when the 31st does */
	struct zt_zone *z = zone("Pacific/Apia");
	cr_expect_eq(zt_zone_day_start(z, 20111230), zt_zone_day_start(z, 20111231));
	zt_zone_free(z);
	/* Santiago skips from 24:00 to 01:00: the day begins at 01:00 local */
	z = zone("America/Santiago");
	cr_expect_eq(zt_zone_day_start(z, 20260906), ts("2026-09-06T04:00:00Z"));
	zt_zone_free(z);
}

Test(date_zone, a_slim_file_is_read_through_its_footer_rule)
{
	/* zic -b slim lists only the transitions the footer cannot give */
	const char *dir = tmp_path("slim");
	const char *src = zt_test_write("slim.zi", "Rule\tUS\t2007\tmax\t-\tMar\tSun>=8\t2:00\t1:00\tD\n"
	                                           "Rule\tUS\t2007\tmax\t-\tNov\tSun>=1\t2:00\t0\tS\n"
	                                           "Zone\tTest/Slim\t-5:00\tUS\tE%sT\n");
	struct run r = sh("zic -b slim -d '%s' '%s'", dir, src);
	cr_assert_eq(r.code, 0, "zic: %s", r.err);
	run_free(&r);
	setenv("TZDIR", dir, 1);
	agree_with_libc("Test/Slim");
	struct zt_zone *z = zone("Test/Slim");
	cr_expect_eq(zt_zone_offset_s(z, ts("2026-07-01T00:00:00Z")), -4 * 3600);
	cr_expect_eq(zt_zone_offset_s(z, ts("2026-01-01T00:00:00Z")), -5 * 3600);
	zt_zone_free(z);
}

Test(date_zone, an_unknown_or_unsafe_name_is_refused)
{
	char longname[300];
	memset(longname, 'A', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	static const char *const bad[] = {
		"Mars/Olympus", "", "../../etc/passwd", "/etc/localtime", "Asia/../Asia/Shanghai",
		".hidden", "Asia//Shanghai", "Asia/Shanghai/", "Asia/Shang hai", "asia/shanghai ",
		"zone.tab", "Asia", "right/UTC", "Asia/Shanghai\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct zt_zone *z = (struct zt_zone *)1;
		cr_expect_eq(zt_zone_load(&z, bad[i]), ZT_EINVAL, "'%s' was accepted", bad[i]);
		cr_expect_null(z);
		cr_expect(strstr(zt_error_last(), "unknown time zone '"), "%s", zt_error_last());
	}
	struct zt_zone *z = NULL;
	cr_expect_eq(zt_zone_load(&z, longname), ZT_EINVAL);
	cr_expect_eq(zt_zone_load(&z, NULL), ZT_EINVAL);
}

Test(date_zone, a_broken_file_is_refused_and_the_default_needs_no_tzdata)
{
	const char *dir = tmp_path("tz");
	struct run r = sh("mkdir -p '%s/Bad' '%s/Good' && cp /usr/share/zoneinfo/America/New_York "
	                  "'%s/Good/NY' && head -c 100 '%s/Good/NY' > '%s/Bad/Truncated' && "
	                  ": > '%s/Bad/Empty' && printf 'TZif2junkjunkjunk' > '%s/Bad/Garbage' && "
	                  "sed 's/EST5EDT,M3.2.0,M11.1.0/EST5EDT,M13.2.0,M11.1.0/' '%s/Good/NY' > "
	                  "'%s/Bad/Footer'",
	                  dir, dir, dir, dir, dir, dir, dir, dir, dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	setenv("TZDIR", dir, 1);
	struct zt_zone *z = NULL;
	static const char *const bad[] = {"Bad/Truncated", "Bad/Empty", "Bad/Garbage", "Bad/Footer",
	                                  "America/New_York"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_expect_eq(zt_zone_load(&z, bad[i]), ZT_EINVAL, "%s was accepted", bad[i]);
		cr_expect(strstr(zt_error_last(), "unknown time zone"), "%s", zt_error_last());
	}
	z = zone("Good/NY");
	cr_expect_eq(zt_zone_offset_s(z, ts("2026-07-01T00:00:00Z")), -4 * 3600);
	zt_zone_free(z);
	/* Asia/Shanghai (the default) and UTC are known without the database */
	z = zone("Asia/Shanghai");
	cr_expect_eq(zt_zone_offset_s(z, ts("2026-07-01T00:00:00Z")), 8 * 3600);
	cr_expect_eq(zt_zone_date(z, ts("2026-11-25T23:30:00Z")), 20261126);
	zt_zone_free(z);
	z = zone("UTC");
	cr_expect_eq(zt_zone_offset_s(z, ts("2026-07-01T00:00:00Z")), 0);
	zt_zone_free(z);
}

/* ==== the pool's zone ============================================================ */

Test(date_pool, is_asia_shanghai_unless_set_and_keeps_its_zone_when_refused)
{
	cr_expect_str_eq(zt_zone_name(zt_date_pool_zone()), "Asia/Shanghai");
	cr_expect_eq(zt_date_set_pool_zone("America/New_York"), 0);
	cr_expect_str_eq(zt_zone_name(zt_date_pool_zone()), "America/New_York");
	cr_expect_eq(zt_date_set_pool_zone("Mars/Olympus"), ZT_EINVAL);
	cr_expect_str_eq(zt_zone_name(zt_date_pool_zone()), "America/New_York");
	cr_expect_eq(zt_date_set_pool_zone(NULL), 0);
	cr_expect_str_eq(zt_zone_name(zt_date_pool_zone()), "Asia/Shanghai");
}

/* The date `offset_s` east of UTC at the moment, by plain arithmetic. */
static zt_date date_at(int64_t now, int offset_s)
{
	return zt_date_from_day_number((now + offset_s) / 86400);
}

Test(date_pool, today_is_the_date_in_the_pool_zone)
{
	static const struct {
		const char *zone;
		int offset_s;
	} fixed[] = {{"Asia/Shanghai", 8 * 3600}, {"UTC", 0}, {"Pacific/Kiritimati", 14 * 3600},
	             {"Etc/GMT+12", -12 * 3600}, {"Asia/Kolkata", 5 * 3600 + 1800}};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		cr_assert_eq(zt_date_set_pool_zone(fixed[i].zone), 0);
		int64_t t0 = time(NULL);
		zt_date today = zt_date_today();
		int64_t t1 = time(NULL);
		cr_expect(today == date_at(t0, fixed[i].offset_s) || today == date_at(t1, fixed[i].offset_s),
		          "%s: today %d", fixed[i].zone, today);
	}
}

Test(date_pool, people_read_a_stored_time_in_the_pool_zone_with_its_offset)
{
	char b[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	static const struct {
		const char *zone, *ts, *local;
		zt_date date;
	} cases[] = {
		{"Asia/Shanghai", "2026-11-25T23:30:00Z", "2026-11-26 07:30:00 +08:00", 20261126},
		{"Asia/Shanghai", "2026-11-26T01:30:00Z", "2026-11-26 09:30:00 +08:00", 20261126},
		{"Asia/Shanghai", "1900-01-01T00:00:00Z", "1900-01-01 08:05:43 +08:05:43", 19000101},
		{"UTC", "2026-11-25T23:30:00Z", "2026-11-25 23:30:00 +00:00", 20261125},
		{"America/New_York", "2026-07-01T12:00:00Z", "2026-07-01 08:00:00 -04:00", 20260701},
		{"America/New_York", "2026-12-01T03:00:00Z", "2026-11-30 22:00:00 -05:00", 20261130},
		{"Asia/Kathmandu", "2026-01-01T00:00:00Z", "2026-01-01 05:45:00 +05:45", 20260101},
		{"America/St_Johns", "2026-01-01T00:00:00Z", "2025-12-31 20:30:00 -03:30", 20251231},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert_eq(zt_date_set_pool_zone(cases[i].zone), 0);
		cr_expect_str_eq(zt_timestamp_local(b, cases[i].ts), cases[i].local, "%s", cases[i].zone);
		cr_expect_eq(zt_timestamp_local_date(cases[i].ts), cases[i].date, "%s %s", cases[i].zone,
		             cases[i].ts);
	}
	/* what is not a stored time is shown as it is, never hidden */
	cr_expect_str_eq(zt_timestamp_local(b, ""), "");
	cr_expect_str_eq(zt_timestamp_local(b, "garbage"), "garbage");
	cr_expect_str_eq(zt_timestamp_local(b, "2026-02-30T00:00:00Z"), "2026-02-30T00:00:00Z");
	cr_expect_eq(zt_timestamp_local_date("garbage"), 0);
	/* the first instant of a local day, as the store writes times */
	cr_assert_eq(zt_date_set_pool_zone("Asia/Shanghai"), 0);
	cr_expect_str_eq(zt_timestamp_day_start(d, 20261126), "2026-11-25T16:00:00Z");
	cr_assert_eq(zt_date_set_pool_zone("America/New_York"), 0);
	cr_expect_str_eq(zt_timestamp_day_start(d, 20260308), "2026-03-08T05:00:00Z");
	cr_expect_str_eq(zt_timestamp_day_start(d, 20260701), "2026-07-01T04:00:00Z");
}

/* ==== through the command line ===================================================== */

/* zhitong ARGS (testutil.h) */
#define zt(...) zt_test_cmd(__VA_ARGS__)

static const char *config(const char *name, const char *text)
{
	const char *p = zt_test_write(name, text);
	chmod(p, 0600);
	return p;
}

static const char *zone_config(const char *name, const char *zone_name)
{
	char text[200];
	snprintf(text, sizeof text, "[pool]\ntimezone = %s\n", zone_name);
	return config(name, text);
}

/* A database with the sample registry and `policy` loaded. */
static const char *fresh_db(const char *name, const char *policy)
{
	static char db[4][600];
	static int next;
	char *d = db[next++ % 4];
	snprintf(d, 600, "%s", tmp_path(name));
	const char *steps[] = {"init", "registry load '" REGISTRY "'", NULL};
	for (int i = 0; steps[i]; i++) {
		struct run r = zt("--db '%s' %s", d, steps[i]);
		cr_assert_eq(r.code, 0, "%s: %s", steps[i], r.err);
		run_free(&r);
	}
	struct run r = zt("--db '%s' rules load '%s'", d, policy);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	return d;
}

/* A copy of `path` with every `from` replaced by `to`. */
static const char *with(const char *path, const char *name, const char *from, const char *to,
                        const char *from2, const char *to2)
{
	char *text = zt_test_slurp(path);
	cr_assert(text != NULL, "%s", path);
	size_t cap = strlen(text) * 2 + 64, o = 0;
	char *out = malloc(cap);
	for (const char *p = text; *p;) {
		if (strncmp(p, from, strlen(from)) == 0) {
			o += (size_t)sprintf(out + o, "%s", to);
			p += strlen(from);
		} else if (from2 && strncmp(p, from2, strlen(from2)) == 0) {
			o += (size_t)sprintf(out + o, "%s", to2);
			p += strlen(from2);
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	const char *w = zt_test_write(name, out);
	free(out);
	free(text);
	return w;
}

Test(local_today, a_today_after_the_pool_s_today_is_refused)
{
	const char *db = fresh_db("zt.db", POLICY);
	char sh_today[ZT_FMT_BYTES], tomorrow[ZT_FMT_BYTES];
	int64_t now = time(NULL);
	zt_format_date(sh_today, date_at(now, 8 * 3600));
	zt_format_date(tomorrow, zt_date_add(date_at(now, 8 * 3600), 1));
	static const char *const cmds[] = {"claim submit", "claim quote"};
	for (int i = 0; i < 2; i++) {
		struct run r = zt("--db '%s' %s --today %s '%s'", db, cmds[i], tomorrow, WORKED_EXAMPLE);
		cr_expect_eq(r.code, 2, "%s: %s%s", cmds[i], r.out, r.err);
		char want[200];
		snprintf(want, sizeof want, "--today %s is in the future: today is ", tomorrow);
		cr_expect(strstr(r.err, want) && strstr(r.err, " in Asia/Shanghai"), "%s", r.err);
		cr_expect_str_eq(r.out, "");
		run_free(&r);
	}
	char *n = zt_test_rows(db, "SELECT count(*) FROM claim");
	cr_expect_str_eq(n, "0\n");
	free(n);
	struct run r = zt("--db '%s' claim submit --today %s '%s'", db, sh_today, WORKED_EXAMPLE);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

Test(local_today, today_follows_the_configured_zone)
{
	const char *db = fresh_db("zt.db", POLICY);
	/* Kiritimati (+14) is always at least a day ahead of Etc/GMT+12 (-12) */
	char kiri[ZT_FMT_BYTES];
	zt_format_date(kiri, date_at(time(NULL), 14 * 3600));
	const char *ahead = zone_config("kiri.conf", "Pacific/Kiritimati");
	const char *behind = zone_config("gmt12.conf", "Etc/GMT+12");
	struct run r = zt("--db '%s' --config '%s' claim quote --today %s '%s'", db, ahead, kiri,
	                  WORKED_EXAMPLE);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = zt("--db '%s' --config '%s' claim quote --today %s '%s'", db, behind, kiri, WORKED_EXAMPLE);
	cr_expect_eq(r.code, 2, "%s", r.err);
	cr_expect(strstr(r.err, " in Etc/GMT+12"), "%s", r.err);
	run_free(&r);
}

Test(local_today, a_discharge_dated_today_in_the_pool_zone_is_not_in_the_future)
{
	/* the policy in force whatever the day the test runs */
	const char *policy = with(POLICY, "policy.xml", "effective-to=\"2017-12-31\"",
	                          "effective-to=\"2099-12-31\"", NULL, NULL);
	const char *db = fresh_db("zt.db", policy);
	char kiri[ZT_FMT_BYTES];
	zt_format_date(kiri, date_at(time(NULL), 14 * 3600));
	char adm[64], dscg[64];
	snprintf(adm, sizeof adm, "<adm_date>%s</adm_date>", kiri);
	snprintf(dscg, sizeof dscg, "<dscg_date>%s</dscg_date>", kiri);
	const char *claim = with(WORKED_EXAMPLE, "today.xml", "<adm_date>2017-03-01</adm_date>", adm,
	                         "<dscg_date>2017-03-10</dscg_date>", dscg);
	/* In Kiritimati it is that day: settled. Twenty-six hours behind, it
	 * has not come: bad-dates. */
	struct run r = zt("--db '%s' --config '%s' claim quote '%s'", db,
	                  zone_config("kiri.conf", "Pacific/Kiritimati"), claim);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "<settlement "), "%s", r.out);
	run_free(&r);
	r = zt("--db '%s' --config '%s' claim quote '%s'", db, zone_config("gmt12.conf", "Etc/GMT+12"),
	       claim);
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	char want[120];
	snprintf(want, sizeof want, "dscg_date %s is in the future", kiri);
	cr_expect(strstr(r.out, "code=\"bad-dates\"") && strstr(r.out, want), "%s", r.out);
	run_free(&r);
	/* and the default, Asia/Shanghai: a discharge of its today is settled */
	char sh[ZT_FMT_BYTES];
	zt_format_date(sh, date_at(time(NULL), 8 * 3600));
	snprintf(adm, sizeof adm, "<adm_date>%s</adm_date>", sh);
	snprintf(dscg, sizeof dscg, "<dscg_date>%s</dscg_date>", sh);
	claim = with(WORKED_EXAMPLE, "today-sh.xml", "<adm_date>2017-03-01</adm_date>", adm,
	             "<dscg_date>2017-03-10</dscg_date>", dscg);
	r = zt("--db '%s' claim submit '%s'", db, claim);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(local_today, an_unknown_time_zone_is_refused_with_file_and_line)
{
	const char *db = fresh_db("zt.db", POLICY);
	static const char *const bad[] = {"Mars/Olympus", "../../etc/passwd", "CST-8", "Beijing"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[200];
		snprintf(text, sizeof text, "# the pool\n[pool]\nname = Pool\ntimezone = %s\n", bad[i]);
		const char *cfg = config("bad.conf", text);
		static const char *const cmds[] = {"verify", "status", "claim quote '" WORKED_EXAMPLE "'"};
		for (int k = 0; k < 3; k++) {
			struct run r = zt("--db '%s' --config '%s' %s", db, cfg, cmds[k]);
			cr_expect_eq(r.code, 2, "%s with %s: %s", cmds[k], bad[i], r.err);
			char want[300];
			snprintf(want, sizeof want, "zhitong: config: %s:4: [pool] timezone: unknown time zone '%s'",
			         cfg, bad[i]);
			cr_expect(strncmp(r.err, want, strlen(want)) == 0, "want %s\ngot %s", want, r.err);
			run_free(&r);
		}
	}
	/* a known zone, with a comment after it */
	const char *cfg = config("ok.conf", "[pool]\ntimezone = Asia/Shanghai   # Beijing time\n");
	struct run r = zt("--db '%s' --config '%s' verify", db, cfg);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

Test(local_today, show_and_slip_print_the_settlement_time_in_the_pool_zone)
{
	const char *db = fresh_db("zt.db", POLICY);
	struct run r = zt("--db '%s' claim submit '%s'", db, WORKED_EXAMPLE);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *at = zt_test_rows(db, "SELECT settled_at FROM settlement");
	at[strcspn(at, "\n")] = '\0';
	static const char *const zones[] = {"Asia/Shanghai", "UTC", "America/New_York",
	                                    "Asia/Kathmandu"};
	for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
		char name[64], local[ZT_FMT_BYTES], want[200];
		snprintf(name, sizeof name, "z%zu.conf", i);
		const char *cfg = zone_config(name, zones[i]);
		cr_assert_eq(zt_date_set_pool_zone(zones[i]), 0);
		zt_timestamp_local(local, at);
		r = zt("--db '%s' --config '%s' claim show --hospital H51010101 --claim-no ZY2017-000123",
		       db, cfg);
		cr_expect_eq(r.code, 0, "%s", r.err);
		snprintf(want, sizeof want, "；%s 经办人 ", local);
		cr_expect(strstr(r.out, want), "%s: want '%s' in\n%s", zones[i], want, r.out);
		run_free(&r);
		r = zt("--db '%s' --config '%s' slip --hospital H51010101 --claim-no ZY2017-000123", db,
		       cfg);
		snprintf(want, sizeof want, "%s", local); /* 结算时间 in the pool's zone */
		cr_expect(strstr(r.out, want), "%s: want '%s' in\n%s", zones[i], want, r.out);
		run_free(&r);
		r = zt("--db '%s' --config '%s' slip --hospital H51010101 --claim-no ZY2017-000123 "
		       "--format html", db, cfg);
		cr_expect(strstr(r.out, want), "%s: want '%s' in\n%s", zones[i], want, r.out);
		run_free(&r);
	}
	/* the default is Asia/Shanghai */
	r = zt("--db '%s' claim show --hospital H51010101 --claim-no ZY2017-000123", db);
	cr_expect(strstr(r.out, " +08:00 经办人 "), "%s", r.out);
	run_free(&r);
	free(at);
}

static int64_t fixed_clock(void *ctx) { return *(const int64_t *)ctx; }

Test(date_clock, today_and_now_follow_the_clock_that_is_set)
{
	/* 2017-03-31T16:30:00Z: already 2017-04-01 00:30 in Shanghai */
	int64_t t = 1490977800;
	cr_assert_eq(zt_date_set_pool_zone("Asia/Shanghai"), 0);
	zt_date_set_clock(fixed_clock, &t);
	cr_expect_eq(zt_date_now(), t);
	cr_expect_eq(zt_date_today(), 20170401);
	t += 86400 * 30; /* the clock moves: so does today */
	cr_expect_eq(zt_date_today(), 20170501);
	zt_date as_of;
	cr_expect_eq(zt_date_as_of(&as_of, 20170502, "--as-of"), ZT_EINVAL);
	cr_expect_eq(zt_date_as_of(&as_of, 20170501, "--as-of"), 0);
	zt_date_set_clock(NULL, NULL);
	int64_t sys = (int64_t)time(NULL);
	cr_expect(zt_date_now() >= sys && zt_date_now() <= sys + 5, "back to the system clock");
}

/* zt_format_date writes without printf (issue 8: every record of a payer
 * file has its dates): the same text as "%04d-%02d-%02d" said, for every
 * day from 1900 to 2100 and for values that are no date. */
Test(date_calendar, formats_as_printf_said_for_every_day_and_for_nonsense)
{
	char got[ZT_FMT_BYTES], want[ZT_FMT_BYTES];
	int n = 0;
	for (zt_date d = 19000101; d <= 21001231; d = zt_date_add(d, 1), n++) {
		snprintf(want, sizeof want, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
		cr_assert_str_eq(zt_format_date(got, d), want);
	}
	cr_assert_gt(n, 73000);
	static const zt_date odd[] = {0, 1, 99, 100, 10000, 99991231, 99999999, 100000000, -1,
	                              -20170101, 20171399, 2147483647};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		zt_date d = odd[i];
		snprintf(want, sizeof want, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
		cr_assert_str_eq(zt_format_date(got, d), want, "%d", d);
	}
}
