/* zhitong — calendar dates, instants and time zones (see date.h;
 * docs/spec/rules-v2.md §5).
 *
 * The zone reader follows RFC 8536 (TZif versions 1 to 4): the transitions
 * of the file, then the POSIX TZ rule of its footer for every instant after
 * the last one (a "slim" file lists transitions only until the rule takes
 * over; a "fat" one until 2037). Only what converting needs is kept: the
 * instant of each transition and the UTC offset from then on. Nothing here
 * calls localtime(), tzset() or setenv(): a zone is a value, and a loaded
 * one is never changed, so converting is safe from any thread. */
#include "zhitong/date.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"

/* ---- calendar dates ------------------------------------------------------ */

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return mdays[m - 1] + (m == 2 && is_leap(y));
}

bool zt_date_valid(zt_date d)
{
	int y = d / 10000, m = d / 100 % 100, dd = d % 100;
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && dd >= 1 && dd <= days_in_month(y, m);
}

static bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int zt_parse_date(zt_date *out, const char *s, size_t n)
{
	const char *orig = s;
	size_t orig_n = n;
	while (n && is_xml_space(*s)) {
		s++;
		n--;
	}
	while (n && is_xml_space(s[n - 1]))
		n--;
	if (n != 10 || s[4] != '-' || s[7] != '-')
		goto bad;
	int f[3] = {0, 0, 0};
	const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
	for (int k = 0; k < 3; k++)
		for (int j = 0; j < len[k]; j++) {
			char c = s[start[k] + j];
			if (c < '0' || c > '9')
				goto bad;
			f[k] = f[k] * 10 + (c - '0');
		}
	zt_date d = f[0] * 10000 + f[1] * 100 + f[2];
	if (!zt_date_valid(d))
		goto bad;
	*out = d;
	return 0;
bad:
	return zt_error_set(ZT_EINVAL, "date '%.*s' is not a real YYYY-MM-DD date",
	                    (int)(orig_n > 40 ? 40 : orig_n), orig);
}

char *zt_format_date(char out[ZT_FMT_BYTES], zt_date d)
{
	if (d < 0 || d > 99999999) { /* never a date; as printf says it */
		snprintf(out, ZT_FMT_BYTES, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
		return out;
	}
	/* "%04d-%02d-%02d" without printf: every record of a payer file has
	 * its dates (issue 8) */
	static const char ten[] = "0123456789";
	int y = d / 10000, m = d / 100 % 100, dd = d % 100;
	out[0] = ten[y / 1000];
	out[1] = ten[y / 100 % 10];
	out[2] = ten[y / 10 % 10];
	out[3] = ten[y % 10];
	out[4] = '-';
	out[5] = ten[m / 10];
	out[6] = ten[m % 10];
	out[7] = '-';
	out[8] = ten[dd / 10];
	out[9] = ten[dd % 10];
	out[10] = '\0';
	return out;
}

int64_t zt_date_day_number(zt_date d)
{
	int64_t y = d / 10000, m = d / 100 % 100, dd = d % 100;
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

zt_date zt_date_from_day_number(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return (zt_date)(y * 10000 + m * 100 + dd);
}

zt_date zt_date_add(zt_date d, int64_t days)
{
	return zt_date_from_day_number(zt_date_day_number(d) + days);
}

int64_t zt_date_days_between(zt_date from, zt_date to)
{
	return zt_date_day_number(to) - zt_date_day_number(from);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- the POSIX TZ rule (RFC 8536 §3.3, POSIX.1 TZ) ----------------------- */

/* One end of daylight saving time: a day of the year and a local time. */
struct rule_day {
	char kind;      /* 'J': Julian 1..365 without Feb 29; 'D': 0..365; 'M' */
	int n, m, w, d; /* J/D: n; M: month, week (5 = last), weekday (0 Sunday) */
	int32_t time_s; /* local time of the change, -167h..167h */
};

struct rule {
	int32_t std_s, dst_s; /* seconds east of UTC */
	bool has_dst;
	struct rule_day start, end;
};

static const char *rule_name(const char *p)
{
	if (*p == '<') {
		const char *q = ++p;
		while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
		       *q == '+' || *q == '-')
			q++;
		return *q == '>' && q - p >= 3 ? q + 1 : NULL;
	}
	const char *q = p;
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p >= 3 ? q : NULL;
}

/* [+-]h[h[h]][:mm[:ss]] with hours up to max_h, as seconds. */
static const char *rule_time(const char *p, int max_h, int32_t *out)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	int h = 0, mm = 0, ss = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 3) {
		h = h * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits || h > max_h)
		return NULL;
	for (int k = 0; k < 2 && *p == ':'; k++) {
		if (p[1] < '0' || p[1] > '5' || p[2] < '0' || p[2] > '9')
			return NULL;
		int v = (p[1] - '0') * 10 + (p[2] - '0');
		if (k == 0)
			mm = v;
		else
			ss = v;
		p += 3;
	}
	*out = sign * (h * 3600 + mm * 60 + ss);
	return p;
}

static const char *rule_number(const char *p, int lo, int hi, int *out)
{
	int v = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 4) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits || v < lo || v > hi)
		return NULL;
	*out = v;
	return p;
}

static const char *rule_day_parse(const char *p, struct rule_day *r)
{
	memset(r, 0, sizeof *r);
	if (*p == 'J') {
		r->kind = 'J';
		p = rule_number(p + 1, 1, 365, &r->n);
	} else if (*p == 'M') {
		r->kind = 'M';
		p = rule_number(p + 1, 1, 12, &r->m);
		if (p && *p == '.')
			p = rule_number(p + 1, 1, 5, &r->w);
		else
			p = NULL;
		if (p && *p == '.')
			p = rule_number(p + 1, 0, 6, &r->d);
		else
			p = NULL;
	} else {
		r->kind = 'D';
		p = rule_number(p, 0, 365, &r->n);
	}
	r->time_s = 2 * 3600;
	if (p && *p == '/')
		p = rule_time(p + 1, 167, &r->time_s);
	return p;
}

/* "CST-8", "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30", "IST-1GMT0,M10.5.0,M3.5.0/1". */
static bool rule_parse(const char *s, struct rule *r)
{
	memset(r, 0, sizeof *r);
	const char *p = rule_name(s);
	int32_t v;
	if (!p || !(p = rule_time(p, 24, &v)))
		return false;
	r->std_s = -v; /* POSIX counts hours west */
	if (!*p)
		return true;
	if (!(p = rule_name(p)))
		return false;
	r->has_dst = true;
	r->dst_s = r->std_s + 3600;
	if (*p && *p != ',') {
		if (!(p = rule_time(p, 24, &v)))
			return false;
		r->dst_s = -v;
	}
	if (!*p) { /* no rule given: POSIX leaves it to us; the US rule */
		r->start = (struct rule_day){'M', 0, 3, 2, 0, 7200};
		r->end = (struct rule_day){'M', 0, 11, 1, 0, 7200};
		return true;
	}
	if (*p != ',' || !(p = rule_day_parse(p + 1, &r->start)) || *p != ',' ||
	    !(p = rule_day_parse(p + 1, &r->end)))
		return false;
	return *p == '\0';
}

/* Day number of the rule's day in year y. */
static int64_t rule_day_in(const struct rule_day *r, int64_t y)
{
	int64_t jan1 = zt_date_day_number((zt_date)(y * 10000 + 101));
	switch (r->kind) {
	case 'J':
		return jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
	case 'D':
		return jan1 + r->n;
	default: {
		int64_t first = zt_date_day_number((zt_date)(y * 10000 + r->m * 100 + 1));
		int wd0 = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int day = 1 + (r->d - wd0 + 7) % 7 + (r->w - 1) * 7;
		while (day > days_in_month(y, r->m))
			day -= 7;
		return first + day - 1;
	}
	}
}

/* The changes of years y-1 … y+2 in time order: instant, and whether
 * daylight saving time begins there. Ties go to the later year (a rule of
 * DST all year ends one year at the instant it begins the next). */
struct change {
	int64_t at;
	bool dst;
};

static int rule_changes(const struct rule *r, int64_t y, struct change out[8])
{
	int n = 0;
	for (int64_t k = y - 1; k <= y + 2; k++) {
		if (k < 1 || k > 9999)
			continue;
		out[n++] = (struct change){rule_day_in(&r->start, k) * 86400 + r->start.time_s - r->std_s,
		                           true};
		out[n++] = (struct change){rule_day_in(&r->end, k) * 86400 + r->end.time_s - r->dst_s,
		                           false};
	}
	/* insertion sort, stable: equal instants keep year order */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && out[j - 1].at > out[j].at; j--) {
			struct change t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static int64_t year_of(int64_t t)
{
	return zt_date_from_day_number(floor_div(t, 86400)) / 10000;
}

static int32_t rule_offset(const struct rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_s;
	struct change c[8];
	int n = rule_changes(r, year_of(t + r->std_s), c);
	bool dst = false;
	for (int i = 0; i < n && c[i].at <= t; i++)
		dst = c[i].dst;
	return dst ? r->dst_s : r->std_s;
}

/* The first change of the rule after t, or INT64_MAX. */
static int64_t rule_next(const struct rule *r, int64_t t)
{
	if (!r->has_dst)
		return INT64_MAX;
	struct change c[8];
	int n = rule_changes(r, year_of(t + r->std_s), c);
	for (int i = 0; i < n; i++)
		if (c[i].at > t)
			return c[i].at;
	return INT64_MAX;
}

/* ---- zones ------------------------------------------------------------------ */

struct zt_zone {
	char name[ZT_TIMEZONE_NAME_BYTES];
	size_t n;           /* transitions */
	int64_t *at;        /* their instants, strictly ascending */
	int32_t *off;       /* the offset from at[i] on */
	int32_t off_before; /* before the first (time type 0) */
	bool has_rule;      /* the footer's rule, from the last transition on */
	struct rule rule;
};

void zt_zone_free(struct zt_zone *z)
{
	if (!z)
		return;
	free(z->at);
	free(z->off);
	free(z);
}

const char *zt_zone_name(const struct zt_zone *z) { return z->name; }

static int64_t be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* Parses a TZif file held in buf[0..len). false if it is not one. */
static bool tzif_parse(struct zt_zone *z, const unsigned char *buf, size_t len)
{
	if (len < 44 || memcmp(buf, "TZif", 4) != 0)
		return false;
	int version = buf[4];
	const unsigned char *h = buf;
	int tsize = 4;
	size_t pos = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pos + 44 > len || memcmp(h, "TZif", 4) != 0)
			return false;
		uint64_t isut = (uint64_t)be(h + 20, 4) & 0xffffffffu,
		         isstd = (uint64_t)be(h + 24, 4) & 0xffffffffu,
		         leap = (uint64_t)be(h + 28, 4) & 0xffffffffu,
		         timecnt = (uint64_t)be(h + 32, 4) & 0xffffffffu,
		         typecnt = (uint64_t)be(h + 36, 4) & 0xffffffffu,
		         charcnt = (uint64_t)be(h + 40, 4) & 0xffffffffu;
		uint64_t body = timecnt * (uint64_t)tsize + timecnt + typecnt * 6 + charcnt +
		                leap * (uint64_t)(tsize + 4) + isstd + isut;
		if (body > len - pos - 44)
			return false;
		if (pass == 0 && version >= '2') {
			/* skip the 32-bit block: the 64-bit one follows */
			pos += 44 + body;
			h = buf + pos;
			tsize = 8;
			continue;
		}
		/* Leap-second ("right/") zones count seconds differently. */
		if (typecnt == 0 || charcnt == 0 || leap != 0 || timecnt > ZT_TZIF_TRANSITIONS_MAX)
			return false;
		const unsigned char *tp = h + 44, *ip = tp + timecnt * (uint64_t)tsize,
		                    *ty = ip + timecnt;
		z->n = (size_t)timecnt;
		if (z->n) {
			z->at = zt_malloc(z->n * sizeof *z->at);
			z->off = zt_malloc(z->n * sizeof *z->off);
			if (!z->at || !z->off)
				return false;
		}
		for (size_t i = 0; i < z->n; i++) {
			z->at[i] = be(tp + i * (size_t)tsize, tsize);
			if (i && z->at[i] <= z->at[i - 1])
				return false;
			unsigned idx = ip[i];
			if (idx >= typecnt)
				return false;
			z->off[i] = (int32_t)be(ty + idx * 6, 4);
		}
		z->off_before = (int32_t)be(ty, 4);
		for (uint64_t i = 0; i < typecnt; i++) {
			int64_t o = be(ty + i * 6, 4);
			if (o < -25 * 3600 || o > 26 * 3600 || ty[i * 6 + 4] > 1)
				return false;
		}
		pos += 44 + body;
		break;
	}
	if (version >= '2') {
		/* footer: "\n" POSIX-TZ "\n" (may be empty) */
		if (pos >= len || buf[pos] != '\n')
			return false;
		const unsigned char *nl = memchr(buf + pos + 1, '\n', len - pos - 1);
		if (!nl)
			return false;
		size_t n = (size_t)(nl - (buf + pos + 1));
		if (n) {
			char tz[256];
			if (n >= sizeof tz)
				return false;
			memcpy(tz, buf + pos + 1, n);
			tz[n] = '\0';
			if (!rule_parse(tz, &z->rule))
				return false;
			z->has_rule = true;
		}
	}
	return true;
}

/* Zone names: components of [A-Za-z0-9._+-] separated by '/', none empty
 * nor starting with '.': never a path out of the database. */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= ZT_TIMEZONE_NAME_BYTES)
		return false;
	bool start = true;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (c == '/') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (start && c == '.')
			return false;
		start = false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return !start;
}

/* Zones known without the database (docs: the default must always work). */
static const char *builtin_rule(const char *name)
{
	if (strcmp(name, "Asia/Shanghai") == 0)
		return "CST-8";
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return "UTC0";
	return NULL;
}

int zt_zone_load(struct zt_zone **out, const char *name)
{
	*out = NULL;
	if (!name || !name_ok(name))
		return zt_error_set(ZT_EINVAL, "unknown time zone '%.60s': not an IANA zone name "
		                    "such as Asia/Shanghai", name ? name : "");
	struct zt_zone *z = zt_calloc(1, sizeof *z);
	if (!z)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	snprintf(z->name, sizeof z->name, "%s", name);
	const char *dir = getenv("TZDIR");
	if (!dir || !dir[0])
		dir = "/usr/share/zoneinfo";
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int rc = 0;
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		const char *b = builtin_rule(name);
		if (b && rule_parse(b, &z->rule)) {
			z->has_rule = true;
			goto done;
		}
		rc = zt_error_set(ZT_EINVAL, "unknown time zone '%s': %s%s", name,
		                  e == ENOENT ? "no such zone in " : strerror(e),
		                  e == ENOENT ? dir : "");
		goto done;
	}
	buf = zt_malloc(ZT_TZIF_BYTES_MAX);
	if (!buf) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	size_t len = fread(buf, 1, ZT_TZIF_BYTES_MAX, f);
	bool too_big = len == ZT_TZIF_BYTES_MAX && fgetc(f) != EOF;
	if (ferror(f) || too_big || !tzif_parse(z, buf, len))
		rc = zt_error_set(ZT_EINVAL, "unknown time zone '%s': %s is not a time-zone file",
		                  name, path);
done:
	if (f)
		fclose(f);
	free(buf);
	if (rc) {
		zt_zone_free(z);
		return rc;
	}
	*out = z;
	return 0;
}

int32_t zt_zone_offset_s(const struct zt_zone *z, int64_t t)
{
	if (z->n == 0 || t >= z->at[z->n - 1]) {
		if (z->has_rule)
			return rule_offset(&z->rule, t);
		return z->n ? z->off[z->n - 1] : z->off_before;
	}
	if (t < z->at[0])
		return z->off_before;
	size_t lo = 0, hi = z->n - 1; /* at[lo] <= t < at[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

/* The first instant after t at which the offset may change; INT64_MAX. */
static int64_t zone_next(const struct zt_zone *z, int64_t t)
{
	if (z->n && t < z->at[z->n - 1]) {
		size_t lo = 0, hi = z->n - 1;
		if (t < z->at[0])
			return z->at[0];
		while (hi - lo > 1) { /* at[lo] <= t < at[hi] */
			size_t mid = lo + (hi - lo) / 2;
			if (z->at[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		return z->at[hi];
	}
	return z->has_rule ? rule_next(&z->rule, t) : INT64_MAX;
}

zt_date zt_zone_date(const struct zt_zone *z, int64_t t)
{
	return zt_date_from_day_number(floor_div(t + zt_zone_offset_s(z, t), 86400));
}

int64_t zt_zone_day_start(const struct zt_zone *z, zt_date d)
{
	int64_t local = zt_date_day_number(d) * 86400;
	/* Walk the periods of constant offset around it, in time order: the
	 * first whose local clock reaches midnight holds it (or, if the clock
	 * jumped over midnight, begins the day). Offsets are within a day. */
	int64_t t = local - 2 * 86400, end = local + 2 * 86400;
	while (t < end) {
		int32_t off = zt_zone_offset_s(z, t);
		int64_t next = zone_next(z, t);
		if (next > end)
			next = end;
		if (local < t + off)
			return t;
		if (local < next + off)
			return local - off;
		t = next;
	}
	return local - zt_zone_offset_s(z, local);
}

/* ---- the pool's zone ----------------------------------------------------------- */

/* Used only when even the default cannot be loaded (out of memory). */
static struct zt_zone fixed_default = {
	.name = ZT_POOL_TIMEZONE_DEFAULT, .off_before = 8 * 3600};
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct zt_zone *default_zone;
static struct zt_zone *pool_zone;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void load_default(void)
{
	if (zt_zone_load(&default_zone, ZT_POOL_TIMEZONE_DEFAULT) != 0)
		default_zone = NULL;
}

const struct zt_zone *zt_date_pool_zone(void)
{
	pthread_mutex_lock(&pool_lock);
	const struct zt_zone *z = pool_zone;
	pthread_mutex_unlock(&pool_lock);
	if (z)
		return z;
	pthread_once(&default_once, load_default);
	return default_zone ? default_zone : &fixed_default;
}

int zt_date_set_pool_zone(const char *name)
{
	struct zt_zone *z = NULL;
	if (name && name[0]) {
		int rc = zt_zone_load(&z, name);
		if (rc)
			return rc;
	}
	pthread_mutex_lock(&pool_lock);
	struct zt_zone *old = pool_zone;
	pool_zone = z;
	pthread_mutex_unlock(&pool_lock);
	zt_zone_free(old);
	return 0;
}

static int64_t (*clock_now)(void *ctx);
static void *clock_ctx;

void zt_date_set_clock(int64_t (*now)(void *ctx), void *ctx)
{
	clock_now = now;
	clock_ctx = ctx;
}

int64_t zt_date_now(void) { return clock_now ? clock_now(clock_ctx) : (int64_t)time(NULL); }

zt_date zt_date_today(void) { return zt_zone_date(zt_date_pool_zone(), zt_date_now()); }

/* ---- timestamps ------------------------------------------------------------------ */

char *zt_timestamp_utc(char out[ZT_FMT_BYTES], int64_t t)
{
	int64_t days = floor_div(t, 86400), s = t - days * 86400;
	zt_date d = zt_date_from_day_number(days);
	snprintf(out, ZT_FMT_BYTES, "%04d-%02d-%02dT%02d:%02d:%02dZ", d / 10000, d / 100 % 100,
	         d % 100, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	return out;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The store's form, without a message: false if ts is not one. */
static bool parse_ts(int64_t *out, const char *ts)
{
	if (!ts || strlen(ts) != 20 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' ||
	    ts[13] != ':' || ts[16] != ':' || ts[19] != 'Z')
		return false;
	int y = digits(ts, 4), m = digits(ts + 5, 2), d = digits(ts + 8, 2), hh = digits(ts + 11, 2),
	    mm = digits(ts + 14, 2), ss = digits(ts + 17, 2);
	if (y < 0 || m < 0 || d < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return false;
	zt_date day = y * 10000 + m * 100 + d;
	if (!zt_date_valid(day))
		return false;
	*out = zt_date_day_number(day) * 86400 + hh * 3600 + mm * 60 + ss;
	return true;
}

int zt_timestamp_parse(int64_t *out, const char *ts)
{
	if (!parse_ts(out, ts))
		return zt_error_set(ZT_EINVAL, "'%.40s' is not a timestamp YYYY-MM-DDTHH:MM:SSZ",
		                    ts ? ts : "");
	return 0;
}

/* The instant of stored timestamp `ts` in the pool's zone: "2026-11-26
 * 09:30:00 +08:00" for people (`rfc3339` false), "2026-11-26T09:30:00+08:00"
 * for machines (true; RFC 3339 has no seconds in an offset: they are left
 * out). */
static char *timestamp_local(char out[ZT_FMT_BYTES], const char *ts, bool rfc3339)
{
	int64_t t;
	if (!parse_ts(&t, ts)) {
		snprintf(out, ZT_FMT_BYTES, "%s", ts ? ts : "");
		return out;
	}
	int32_t off = zt_zone_offset_s(zt_date_pool_zone(), t);
	int64_t local = t + off, days = floor_div(local, 86400), s = local - days * 86400;
	zt_date d = zt_date_from_day_number(days);
	int32_t a = off < 0 ? -off : off;
	char zone[16];
	if (a % 60 && !rfc3339)
		snprintf(zone, sizeof zone, "%c%02d:%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600),
		         (int)(a / 60 % 60), (int)(a % 60));
	else
		snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600),
		         (int)(a / 60 % 60));
	/* at most 19 + 1 + 9 characters: years have four digits here */
	char buf[96];
	int n = snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d%s%s", d / 10000,
	                 d / 100 % 100, d % 100, rfc3339 ? 'T' : ' ', (int)(s / 3600),
	                 (int)(s / 60 % 60), (int)(s % 60), rfc3339 ? "" : " ", zone);
	size_t len = n < 0 ? 0 : (size_t)n < ZT_FMT_BYTES ? (size_t)n : ZT_FMT_BYTES - 1;
	memcpy(out, buf, len);
	out[len] = '\0';
	return out;
}

char *zt_timestamp_local(char out[ZT_FMT_BYTES], const char *ts)
{
	return timestamp_local(out, ts, false);
}

char *zt_timestamp_rfc3339_local(char out[ZT_FMT_BYTES], const char *ts)
{
	return timestamp_local(out, ts, true);
}

zt_date zt_timestamp_local_date(const char *ts)
{
	int64_t t;
	if (!parse_ts(&t, ts))
		return 0;
	return zt_zone_date(zt_date_pool_zone(), t);
}

char *zt_timestamp_day_start(char out[ZT_FMT_BYTES], zt_date d)
{
	return zt_timestamp_utc(out, zt_zone_day_start(zt_date_pool_zone(), d));
}

int zt_date_as_of(zt_date *out, zt_date given, const char *what)
{
	zt_date today = zt_date_today();
	*out = given ? given : today;
	if (given > today) {
		char g[ZT_FMT_BYTES], t[ZT_FMT_BYTES];
		return zt_error_set(ZT_EINVAL, "%s %s is in the future (today is %s): nothing is known "
		                    "yet about that day", what, zt_format_date(g, given),
		                    zt_format_date(t, today));
	}
	return 0;
}
