/* zhitong — calendar dates, instants and the pool's time zone
 * (docs/spec/rules-v2.md §5).
 *
 * A date is a yyyymmdd integer (20170310) of the proleptic Gregorian
 * calendar, compared as an integer. An instant is whole seconds since
 * 1970-01-01T00:00:00Z. The store keeps instants as UTC timestamps
 * ("2026-11-26T01:30:00Z", ISO 8601 with Z); what people read is the same
 * instant in the pool's time zone with its offset ("2026-11-26 09:30:00
 * +08:00"), and "today" — the day after which a discharge lies in the
 * future, the as-of date of reports and advance plans, the execution date
 * of an advance, the default of every date option — is the date in the
 * pool's time zone.
 *
 * Time zones are read from the system's IANA time-zone database (Debian's
 * tzdata: $TZDIR, else /usr/share/zoneinfo), by a reader of its TZif files
 * of our own (RFC 8536, with the POSIX TZ rule of the footer for instants
 * after the last listed transition). A loaded zone is an immutable value:
 * converting never touches the process environment (no TZ, no tzset(), no
 * localtime()), so it is safe from any thread. The pool's zone is set once
 * at start (zt_date_set_pool_zone); until then, and when it is not
 * configured, it is Asia/Shanghai. */
#ifndef ZHITONG_DATE_H
#define ZHITONG_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int32_t zt_date;

/* Formatting buffers of ZT_FMT_BYTES are always large enough. */
#ifndef ZT_FMT_BYTES
#define ZT_FMT_BYTES 32
#endif

/* ---- calendar dates ------------------------------------------------------ */

/* A real YYYY-MM-DD (docs/spec/interfaces.md "Lexical rules"): leading and
 * trailing XML white space ignored; ZT_EINVAL with a message otherwise. */
int zt_parse_date(zt_date *out, const char *s, size_t n);
/* "2017-03-10". */
char *zt_format_date(char out[ZT_FMT_BYTES], zt_date d);
/* Whether d is a real calendar date (year 1..9999). */
bool zt_date_valid(zt_date d);

/* Days since 1970-01-01 (H. Hinnant's days_from_civil), and back. */
int64_t zt_date_day_number(zt_date d);
zt_date zt_date_from_day_number(int64_t days);
/* d + days (days may be negative); crosses months, years and leap days. */
zt_date zt_date_add(zt_date d, int64_t days);
/* to − from, in days. */
int64_t zt_date_days_between(zt_date from, zt_date to);

/* ---- time zones ---------------------------------------------------------- */

#define ZT_POOL_TIMEZONE_DEFAULT "Asia/Shanghai"
/* Longest zone name accepted ("America/Argentina/ComodRivadavia" is 32). */
#define ZT_TIMEZONE_NAME_BYTES 128

struct zt_zone;

/* Loads the IANA zone `name` ("Asia/Shanghai", "UTC", "America/New_York").
 * ZT_EINVAL "unknown time zone 'X'" for a name that is not one (a path, a
 * file that is not a TZif file, a name with characters no zone has).
 * Asia/Shanghai and UTC are known even without tzdata installed (China has
 * kept +08:00 without daylight saving since 1991). */
int zt_zone_load(struct zt_zone **out, const char *name);
void zt_zone_free(struct zt_zone *z);
const char *zt_zone_name(const struct zt_zone *z);
/* Seconds east of UTC in force at instant t ("+08:00" is 28800). */
int32_t zt_zone_offset_s(const struct zt_zone *z, int64_t t);
/* The local calendar date of instant t. */
zt_date zt_zone_date(const struct zt_zone *z, int64_t t);
/* The first instant of local day d (its midnight; where a zone skips
 * midnight, the instant the day begins). */
int64_t zt_zone_day_start(const struct zt_zone *z, zt_date d);

/* The pool's zone ([pool] timezone): set once at start-up, before any
 * thread uses dates. NULL or "" sets the default. ZT_EINVAL for an unknown
 * zone (the zone in force is then unchanged). */
int zt_date_set_pool_zone(const char *name);
/* Never NULL. */
const struct zt_zone *zt_date_pool_zone(void);
/* Seconds since the epoch, now: the clock's (the system's unless set). */
int64_t zt_date_now(void);
/* The clock every "now" and "today" of the engine and its stores reads
 * (nothing else calls time()): `now(ctx)` seconds since the epoch, or NULL
 * for the system clock. For tests, the kill test and the simulated year;
 * set before threads use dates, like the pool's zone. */
void zt_date_set_clock(int64_t (*now)(void *ctx), void *ctx);
/* Today in the pool's time zone: computed from the clock each call, so a
 * run computes it once and keeps it (settling never calls it per claim). */
zt_date zt_date_today(void);
/* The day a report or a plan is made "as of": `given`, or today when 0.
 * A day after today is refused (ZT_EINVAL, naming `what`, e.g. "--as-of"):
 * what is late or due is only known up to today. */
int zt_date_as_of(zt_date *out, zt_date given, const char *what);

/* ---- timestamps ---------------------------------------------------------- */

/* The store's form: "2026-11-26T01:30:00Z". */
char *zt_timestamp_utc(char out[ZT_FMT_BYTES], int64_t t);
/* Parses the store's form (exactly "YYYY-MM-DDTHH:MM:SSZ"). ZT_EINVAL. */
int zt_timestamp_parse(int64_t *out, const char *ts);
/* What people read: the instant of stored timestamp `ts` in the pool's
 * zone, "2026-11-26 09:30:00 +08:00". "" stays ""; text that is not a
 * stored timestamp is copied as it is (never hidden). */
char *zt_timestamp_local(char out[ZT_FMT_BYTES], const char *ts);
/* What machines read (docs/spec/service.md "Bodies": setl_time): the
 * same instant as RFC 3339 with the pool's offset,
 * "2026-11-26T09:30:00+08:00"; "" and text that is not a stored timestamp
 * as zt_timestamp_local. */
char *zt_timestamp_rfc3339_local(char out[ZT_FMT_BYTES], const char *ts);
/* The pool-local date of a stored timestamp; 0 if it is not one. */
zt_date zt_timestamp_local_date(const char *ts);
/* The stored form of the first instant of pool-local day d, for range
 * queries over stored timestamps (which compare as text). */
char *zt_timestamp_day_start(char out[ZT_FMT_BYTES], zt_date d);

#endif
