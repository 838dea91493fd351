/* zhitong — fuzz target: the time-zone file reader (date.h, RFC 8536 TZif
 * versions 1 to 4 with the POSIX TZ rule of the footer).
 *
 * The input is a zone file, put in a directory of its own that $TZDIR
 * names and loaded by name as the pool's zone would be. A file that is no
 * time-zone file is refused with a message; a loaded zone must answer for
 * any instant and any day of years 1 to 9999: offsets within a day, and
 * the first instant of each day really beginning it (the day before it
 * ends just before) — which holds only if the offsets, the transitions
 * and the footer's rule agree with each other. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/date.h"
#include "zhitong/error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZDIR", zt_fuzz_dir(), 1);
	return 0;
}

static void check_day(const struct zt_zone *z, zt_date d)
{
	int64_t t = zt_zone_day_start(z, d);
	zt_date got = zt_zone_date(z, t), before = zt_zone_date(z, t - 1);
	ZT_FUZZ_CHECK(got >= d && before < d, "day %d starts at %lld: local day %d, before it %d", d,
	              (long long)t, got, before);
}

static void check_instant(const struct zt_zone *z, int64_t t)
{
	/* Offsets of real zones stay within a day (the reader refuses others);
	 * the footer's rule allows ±24:59:59 and one hour of daylight time. */
	int32_t off = zt_zone_offset_s(z, t);
	ZT_FUZZ_CHECK(off > -26 * 3600 && off < 27 * 3600, "offset %d at %lld", off, (long long)t);
	zt_date d = zt_zone_date(z, t);
	ZT_FUZZ_CHECK(zt_date_valid(d), "instant %lld is on day %d", (long long)t, d);
}

/* Instants from 0001-01-03 to 9999-12-29: the years a date has. */
#define T_MIN (INT64_C(-62135596800) + 2 * 86400)
#define T_MAX (INT64_C(253402300799) - 2 * 86400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024 + 1)
		return 0; /* ZT_TZIF_BYTES_MAX: longer files are refused unread */
	zt_fuzz_write("Fuzz_Zone", data, size);
	struct zt_zone *z = NULL;
	int rc = zt_zone_load(&z, "Fuzz_Zone");
	if (rc) {
		ZT_FUZZ_CHECK(rc == ZT_EINVAL && z == NULL, "refused with %d", rc);
		ZT_FUZZ_CHECK(strstr(zt_error_last(), "Fuzz_Zone") != NULL, "message '%s'",
		              zt_error_last());
		return 0;
	}
	ZT_FUZZ_CHECK(strcmp(zt_zone_name(z), "Fuzz_Zone") == 0, "name '%s'", zt_zone_name(z));

	/* Every 1st of March and of October 1900-2100 (around the changes of
	 * most rules), and days of the whole range. */
	for (int y = 1900; y <= 2100; y++) {
		check_day(z, y * 10000 + 301);
		check_day(z, y * 10000 + 1001);
	}
	for (zt_date d = 10103; d <= 99991229; d += 1370000 + 101)
		if (zt_date_valid(d))
			check_day(z, d);
	/* Instants around the transitions the file lists (their 64-bit times
	 * sit after the 44-byte header of a version 2+ file; any 8 bytes of
	 * the input will do as instants to try). */
	for (size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
		uint64_t u = 0;
		for (int k = 0; k < 8; k++)
			u = u << 8 | data[i + (size_t)k];
		int64_t t = (int64_t)u;
		if (t < T_MIN || t > T_MAX)
			continue;
		check_instant(z, t - 1);
		check_instant(z, t);
		zt_date d = zt_zone_date(z, t);
		if (zt_date_valid(d) && d > 10103 && d < 99991229)
			check_day(z, d);
	}
	zt_zone_free(z);
	return 0;
}
