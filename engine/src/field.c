/* zhitong — reading values out of validated documents (see field_int.h).
 *
 * The XSD has already checked the forms; these readers check them again
 * (a schema edit must not be able to let a bad value through to a
 * fixed-size buffer) and turn them into C values with messages that point
 * at the line. */
#include "field_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

long zt_field_line(const xmlNode *n) { return n ? xmlGetLineNo((xmlNode *)n) : 0; }

static void field_name(char *buf, size_t size, const xmlNode *n, const char *attr)
{
	const char *elem = n && n->name ? (const char *)n->name : "?";
	if (attr)
		snprintf(buf, size, "<%s %s>", elem, attr);
	else
		snprintf(buf, size, "<%s>", elem);
}

int zt_field_fail(int code, const char *file, const xmlNode *n, const char *attr,
                  const char *fmt, ...)
{
	char what[ZT_MESSAGE_BYTES_MAX], field[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	field_name(field, sizeof field, n, attr);
	return zt_error_set(code, "%s:%ld: %s: %s", file, zt_field_line(n), field, what);
}

int zt_field_wrap(int code, const char *file, const xmlNode *n, const char *attr)
{
	/* Copy first: the callee's message lives in the buffer we overwrite. */
	char what[ZT_MESSAGE_BYTES_MAX];
	snprintf(what, sizeof what, "%s", zt_error_last());
	return zt_field_fail(code, file, n, attr, "%s", what);
}

bool zt_field_is(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

const xmlNode *zt_field_element(const xmlNode *n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

int zt_field_raw(const char **out, const char *file, const xmlNode *n, const char *attr,
                 bool required)
{
	const char *v = zt_xml_attr(n, attr);
	if (!v && required)
		return zt_field_fail(ZT_EINVAL, file, n, attr, "is required");
	*out = v;
	return 0;
}

int zt_field_token(char *dst, size_t dst_bytes, size_t max_chars, const char *file,
                   const xmlNode *n, const char *attr, bool required)
{
	const char *v;
	int rc = zt_field_raw(&v, file, n, attr, required);
	if (rc || !v)
		return rc;
	while (is_space(*v))
		v++;
	/* Collapse into a local buffer so a refused value leaves dst alone. */
	char buf[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	size_t used = 0, chars = 0;
	for (const char *s = v; *s;) {
		size_t run = 0;
		while (is_space(s[run]))
			run++;
		if (run) {
			s += run;
			if (!*s)
				break; /* trailing white space */
			if (used + 1 >= dst_bytes || used + 1 >= sizeof buf)
				goto too_long;
			buf[used++] = ' ';
			chars++;
			continue;
		}
		/* A UTF-8 continuation byte does not start a character. */
		if (((unsigned char)*s & 0xC0) != 0x80)
			chars++;
		if (chars > max_chars || used + 1 >= dst_bytes || used + 1 >= sizeof buf)
			goto too_long;
		buf[used++] = *s++;
	}
	if (chars > max_chars)
		goto too_long;
	if (used == 0)
		return zt_field_fail(ZT_EINVAL, file, n, attr, "must not be empty");
	buf[used] = '\0';
	/* A name or a word of text: no control or invisible character (the
	 * schema's pattern says so too, with libxml2's older Unicode tables). */
	if (zt_text_check(NULL, buf, used, max_chars, ZT_TEXT_LINE) != 0)
		return zt_field_wrap(ZT_EINVAL, file, n, attr);
	memcpy(dst, buf, used + 1);
	return 0;
too_long:
	return zt_field_fail(ZT_EINVAL, file, n, attr, "is longer than %zu characters", max_chars);
}

int zt_field_ident(char *dst, size_t dst_bytes, size_t max_chars, const char *file,
                   const xmlNode *n, const char *attr, bool required)
{
	char buf[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	buf[0] = '\0';
	int rc = zt_field_token(buf, dst_bytes < sizeof buf ? dst_bytes : sizeof buf, max_chars, file,
	                        n, attr, required);
	if (rc || !buf[0])
		return rc; /* refused, or absent and not required: dst keeps its default */
	if (zt_text_check(NULL, buf, strlen(buf), max_chars, ZT_TEXT_IDENT) != 0)
		return zt_field_wrap(ZT_EINVAL, file, n, attr);
	memcpy(dst, buf, strlen(buf) + 1);
	return 0;
}

int zt_field_digits(char *dst, size_t ndigits, const char *file, const xmlNode *n,
                    const char *attr)
{
	char buf[32];
	if (ndigits + 1 > sizeof buf)
		return zt_field_fail(ZT_EINTERNAL, file, n, attr, "%zu digits is too many", ndigits);
	int rc = zt_field_token(buf, sizeof buf, sizeof buf - 1, file, n, attr, true);
	if (rc)
		return rc;
	bool ok = strlen(buf) == ndigits;
	for (size_t i = 0; ok && i < ndigits; i++)
		ok = buf[i] >= '0' && buf[i] <= '9';
	if (!ok)
		return zt_field_fail(ZT_EINVAL, file, n, attr, "'%s' is not %zu digits", buf, ndigits);
	memcpy(dst, buf, ndigits + 1);
	return 0;
}

int zt_field_int(int *out, int min, int max, const char *file, const xmlNode *n,
                 const char *attr)
{
	char buf[16];
	int rc = zt_field_token(buf, sizeof buf, 9, file, n, attr, true);
	if (rc)
		return rc;
	long v = 0;
	bool ok = true;
	for (const char *s = buf; ok && *s; s++) {
		ok = *s >= '0' && *s <= '9';
		v = v * 10 + (*s - '0');
	}
	if (!ok || v < min || v > max)
		return zt_field_fail(ZT_EINVAL, file, n, attr, "'%s' is not a whole number %d..%d",
		                     buf, min, max);
	*out = (int)v;
	return 0;
}

int zt_field_category(zt_category *out, const char *file, const xmlNode *n, const char *attr)
{
	char buf[16];
	int rc = zt_field_token(buf, sizeof buf, 12, file, n, attr, true);
	if (rc)
		return rc;
	int c = zt_category_parse(buf, strlen(buf));
	if (c < 0)
		return zt_field_fail(ZT_EINVAL, file, n, attr,
		                     "unknown category '%s' (general, poor, lowinc or destitute)", buf);
	*out = (zt_category)c;
	return 0;
}
