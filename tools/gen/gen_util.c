/* zhitong — the generator's small tools (gen_int.h): its deterministic
 * random streams, an XML writer with a sticky error, numbers and dates as
 * text. */
#include "gen_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/outfile.h"

/* ---- deterministic randomness ------------------------------------------ */

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same stream on
 * every platform, unlike rand(). */
uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-high (Lemire); the bias is below 2^-32
 * for every n used here, invisible in a synthetic world. */
uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

bool rng_permille(struct rng *r, unsigned permille)
{
	return rng_below(r, 1000) < permille;
}

/* Independent streams per file, so the registry does not change when only
 * the number of claims does (as long as the number of people is fixed). */
struct rng rng_stream(uint64_t seed, uint64_t stream)
{
	struct rng r = {seed ^ (stream * UINT64_C(0xD1B54A32D192ED03))};
	rng_next(&r);
	return r;
}

/* ---- a writer with a sticky error (like ferror) ------------------------ */

void xw_check(struct xw *x, int rc)
{
	if (rc < 0)
		x->bad = true;
}

/* Each file through the safe output (outfile.h): the same seed gives the
 * same bytes, so generating again into the same directory succeeds and
 * leaves the files as they are; other files there are refused unless
 * ZT_OUT_FORCE. */
int xw_open(struct xw *x, const char *path, int out_flags)
{
	x->path = path;
	x->bad = false;
	int rc = zt_outfile_open(&x->file, path, 0644, out_flags);
	if (rc)
		return rc;
	FILE *f = zt_outfile_stream(x->file);
	xmlOutputBufferPtr ob = f ? xmlOutputBufferCreateFile(f, NULL) : NULL;
	x->w = ob ? xmlNewTextWriter(ob) : NULL;
	if (!x->w) {
		if (ob)
			xmlOutputBufferClose(ob);
		zt_outfile_free(x->file);
		x->file = NULL;
		return zt_error_set(ZT_EIO, "cannot write '%s'", path);
	}
	xw_check(x, xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL));
	return 0;
}

void xw_start(struct xw *x, const char *name)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
}

void xw_end(struct xw *x)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterEndElement(x->w));
}

void xw_attr(struct xw *x, const char *name, const char *value)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value));
}

void xw_el(struct xw *x, const char *name, const char *text)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text));
}

/* A line break between records keeps the files readable with head/grep. */
void xw_nl(struct xw *x)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterWriteRaw(x->w, BAD_CAST "\n"));
}

/* Ends the document and commits the file; the one place a late write
 * error (disk full at the final flush) is noticed. Safe on a never-opened
 * xw. On failure nothing is left at the path. */
int xw_close(struct xw *x, int rc)
{
	if (!x->w) {
		zt_outfile_free(x->file);
		x->file = NULL;
		return rc;
	}
	if (rc == 0 && !x->bad) {
		xw_check(x, xmlTextWriterEndDocument(x->w));
		if (!x->bad)
			xw_check(x, xmlTextWriterFlush(x->w));
	}
	xmlFreeTextWriter(x->w); /* closes its buffer, not the stream */
	x->w = NULL;
	if (rc == 0 && x->bad)
		rc = zt_error_set(ZT_EIO, "cannot write '%s'", x->path);
	if (rc == 0 && x->file)
		rc = zt_outfile_commit(x->file, NULL);
	zt_outfile_free(x->file);
	x->file = NULL;
	return rc;
}

int xw_open_memory(struct xw *x, const char *name)
{
	memset(x, 0, sizeof *x);
	x->path = name;
	x->buf = xmlBufferCreate();
	x->w = x->buf ? xmlNewTextWriterMemory(x->buf, 0) : NULL;
	if (!x->w) {
		if (x->buf)
			xmlBufferFree(x->buf);
		x->buf = NULL;
		return zt_error_set(ZT_ENOMEM, "out of memory for '%s'", name);
	}
	xw_check(x, xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL));
	return 0;
}

/* ---- numbers and dates as text ----------------------------------------- */

/* "12.5000" → "12.5", "3.0000" → "3": the shortest form the format allows. */
char *trim_decimals(char *s)
{
	char *dot = strchr(s, '.');
	if (!dot)
		return s;
	char *end = s + strlen(s);
	while (end > dot + 1 && end[-1] == '0')
		end--;
	if (end == dot + 1)
		end = dot;
	*end = '\0';
	return s;
}

char *fmt_q4(char out[ZT_FMT_BYTES], zt_q4 v, bool shortest)
{
	zt_format_q4(out, v);
	return shortest ? trim_decimals(out) : out;
}

char *fmt_ratio(char out[ZT_FMT_BYTES], zt_bp v, bool shortest)
{
	zt_format_ratio(out, v);
	return shortest ? trim_decimals(out) : out;
}

bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Day of the year (0-based) → yyyymmdd. */
zt_date date_of(int y, int doy)
{
	int m = 1;
	while (doy >= month_days(y, m)) {
		doy -= month_days(y, m);
		m++;
	}
	return y * 10000 + m * 100 + doy + 1;
}

/* A county in the same prefecture: same first four digits. */
void neighbour_county(char out[ZT_COUNTY_BYTES], const char *county, int k)
{
	int c = atoi(county);
	snprintf(out, ZT_COUNTY_BYTES, "%06d", c / 100 * 100 + (c % 100 + 2 * k + 1) % 100);
}

/* GB 11643-1999 citizen number: area(6) birth(8) sequence(3) check. */
void make_id_no(char out[19], struct rng *r, const char *county, int year)
{
	int by = year - 1 - (int)rng_below(r, 86); /* ages 1..86 */
	int bm = 1 + (int)rng_below(r, 12);
	int bd = 1 + (int)rng_below(r, (uint64_t)month_days(by, bm));
	char buf[64];
	snprintf(buf, sizeof buf, "%.6s%04d%02d%02d%03d", county, by, bm, bd, 1 + (int)rng_below(r, 999));
	memcpy(out, buf, 17);
	static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * weight[i];
	out[17] = "10X98765432"[sum % 11];
	out[18] = '\0';
}

/* <el a1=v1 a2=v2 …/> from a NULL-terminated list of name/value pairs. */
void xw_empty(struct xw *x, const char *el, const char *const *attrs)
{
	xw_start(x, el);
	for (; attrs[0]; attrs += 2)
		xw_attr(x, attrs[0], attrs[1]);
	xw_end(x);
}
