/* zhitong — the text of HTTP: percent-decoding, bearer tokens,
 * Content-Type and Accept, X-Operator, roles and formats (see
 * service_int.h). Pure functions. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "service_int.h"
#include "zhitong/error.h"
#include "zhitong/json.h"

/* ---- formats ------------------------------------------------------------ */

static const struct {
	const char *media;   /* what Accept and Content-Type name */
	const char *alias;   /* another name taken for it, or NULL */
	const char *content; /* what we send */
} formats[ZT_FORMAT_COUNT] = {
	[ZT_FORMAT_NONE] = {"", NULL, "application/octet-stream"},
	[ZT_FORMAT_JSON] = {"application/json", NULL, "application/json"},
	[ZT_FORMAT_XML] = {"application/xml", "text/xml", "application/xml; charset=utf-8"},
	[ZT_FORMAT_TEXT] = {"text/plain", NULL, "text/plain; charset=utf-8"},
	[ZT_FORMAT_HTML] = {"text/html", NULL, "text/html; charset=utf-8"},
	[ZT_FORMAT_CSV] = {"text/csv", NULL, "text/csv; charset=utf-8"},
	[ZT_FORMAT_PDF] = {"application/pdf", NULL, "application/pdf"},
};

const char *zt_format_content_type(enum zt_format f)
{
	return f > ZT_FORMAT_NONE && f < ZT_FORMAT_COUNT ? formats[f].content : formats[0].content;
}

/* ---- percent-decoding --------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int zt_percent_decode(char *out, size_t cap, const char *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '%') {
			int hi = n - i >= 3 ? hexval(in[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(in[i + 2]) : -1;
			if (lo < 0)
				return zt_error_set(ZT_EINVAL, "a bad %%-escape");
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return zt_error_set(ZT_EINVAL, "a NUL character");
		if (o + 1 >= cap)
			return zt_error_set(ZT_EINVAL, "longer than %zu bytes", cap - 1);
		out[o++] = c;
	}
	out[o] = '\0';
	if (zt_json_utf8_check(NULL, NULL, out, o) != 0)
		return zt_error_set(ZT_EINVAL, "not UTF-8");
	return 0;
}

/* ---- Authorization: Bearer ---------------------------------------------- */

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool token_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
	       c == '/';
}

int zt_bearer_parse(char *out, size_t cap, const char *h)
{
	if (!h)
		return ZT_ENOTFOUND;
	while (*h == ' ' || *h == '\t')
		h++;
	if (!*h)
		return ZT_ENOTFOUND;
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return zt_error_set(ZT_EINVAL, "the Authorization header is not 'Bearer TOKEN'");
	h += 7;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = 0;
	while (token_char(h[n]))
		n++;
	size_t end = n;
	while (h[end] == '=')
		end++;
	size_t len = end;
	while (h[end] == ' ' || h[end] == '\t')
		end++;
	if (len == 0 || h[end] != '\0')
		return zt_error_set(ZT_EINVAL, "the bearer token holds characters a token cannot");
	if (len < 4 || strncmp(h, "zt_", 3) != 0)
		return zt_error_set(ZT_EINVAL, "the bearer token is not a zhitong token (zt_...)");
	if (len >= cap)
		return zt_error_set(ZT_EINVAL, "the bearer token is too long");
	memcpy(out, h, len);
	out[len] = '\0';
	return 0;
}

/* ---- media types ------------------------------------------------------- */

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Length of a media type "type/subtype" at s (up to ';', ',' or blank). */
static size_t media_len(const char *s)
{
	size_t n = 0;
	while (s[n] && s[n] != ';' && s[n] != ',' && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

static bool media_is(const char *s, size_t n, const char *name)
{
	return name && strlen(name) == n && strncasecmp(s, name, n) == 0;
}

void zt_content_type_parse(enum zt_format *format, bool *utf8, const char *ct)
{
	*format = ZT_FORMAT_NONE;
	*utf8 = true;
	if (!ct)
		return;
	const char *s = skip_ows(ct);
	size_t n = media_len(s);
	for (int f = ZT_FORMAT_JSON; f < ZT_FORMAT_COUNT; f++)
		if (media_is(s, n, formats[f].media) || media_is(s, n, formats[f].alias))
			*format = (enum zt_format)f;
	/* parameters: only charset matters, and it must be UTF-8 */
	for (const char *p = strchr(s + n, ';'); p; p = strchr(p + 1, ';')) {
		const char *a = skip_ows(p + 1);
		if (strncasecmp(a, "charset", 7) != 0)
			continue;
		a = skip_ows(a + 7);
		if (*a != '=')
			continue;
		a = skip_ows(a + 1);
		bool quoted = *a == '"';
		a += quoted;
		size_t v = 0;
		while (a[v] && a[v] != ';' && a[v] != '"' && a[v] != ' ' && a[v] != '\t')
			v++;
		if (!(v == 5 && strncasecmp(a, "utf-8", 5) == 0))
			*utf8 = false;
	}
}

/* q=0.5 → 500; q=1 → 1000; -1 if malformed (RFC 9110 §12.4.2). */
static int qvalue(const char *s, size_t n)
{
	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	int q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	int scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}


enum zt_format zt_accept_pick(const char *accept, const enum zt_format *offered, size_t n,
                              enum zt_format preferred)
{
	bool have_pref = false;
	for (size_t i = 0; i < n; i++)
		have_pref |= offered[i] == preferred;
	enum zt_format dflt = have_pref ? preferred : (n ? offered[0] : ZT_FORMAT_NONE);
	if (!accept || !*skip_ows(accept))
		return dflt;
	/* each offered format: its q, and how specific the range that gave it */
	int q[ZT_FORMAT_COUNT], spec[ZT_FORMAT_COUNT];
	for (size_t i = 0; i < n; i++)
		q[i] = 0, spec[i] = 0;
	const char *p = accept;
	for (int ranges = 0; *p && ranges < ZT_SERVICE_ACCEPT_RANGES_MAX; ranges++) {
		p = skip_ows(p);
		const char *m = p;
		size_t ml = media_len(m);
		p += ml;
		int rq = 1000;
		/* parameters up to the next comma */
		while (*p && *p != ',') {
			if (*p == ';') {
				const char *a = skip_ows(p + 1);
				if ((a[0] == 'q' || a[0] == 'Q') && a[1] == '=') {
					a += 2;
					size_t vl = 0;
					while (a[vl] && a[vl] != ';' && a[vl] != ',' && a[vl] != ' ' && a[vl] != '\t')
						vl++;
					rq = qvalue(a, vl);
				}
			}
			p++;
		}
		if (*p == ',')
			p++;
		const char *slash = memchr(m, '/', ml);
		if (!slash || rq < 0)
			continue; /* not a media range: ignored */
		size_t tl = (size_t)(slash - m);
		for (size_t i = 0; i < n && i < ZT_FORMAT_COUNT; i++) {
			enum zt_format f = offered[i];
			for (int k = 0; k < 2; k++) {
				const char *name = k ? formats[f].alias : formats[f].media;
				if (!name)
					continue;
				const char *ns = strchr(name, '/');
				int s = 0;
				if (media_is(m, ml, name))
					s = 3;
				else if (ml - tl == 2 && slash[1] == '*' && (size_t)(ns - name) == tl &&
				         strncasecmp(m, name, tl) == 0)
					s = 2;
				else if (ml == 3 && memcmp(m, "*/*", 3) == 0)
					s = 1;
				if (s > spec[i]) {
					spec[i] = s;
					q[i] = rq;
				}
			}
		}
	}
	int best_q = 0;
	enum zt_format best = ZT_FORMAT_NONE;
	for (size_t i = 0; i < n && i < ZT_FORMAT_COUNT; i++) {
		if (q[i] > best_q || (q[i] == best_q && q[i] > 0 && offered[i] == dflt)) {
			best_q = q[i];
			best = offered[i];
		}
	}
	return best;
}

/* ---- X-Operator ----------------------------------------------------------- */

bool zt_operator_valid(const char *s)
{
	size_t n = strlen(s), chars = 0;
	if (n == 0 || zt_json_utf8_check(&chars, NULL, s, n) != 0 || chars > ZT_ACTOR_CHARS_MAX)
		return false;
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F)
			return false;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] < 0xA0)
			return false;
	}
	return true;
}
