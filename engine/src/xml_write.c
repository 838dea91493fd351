/* zhitong — attribute values written as libxml2's writer writes them
 * (xml.h zt_xml_attr_escape), for the XML that zhitong writes straight
 * into a buffer: a trace (render/src/trace.c) and a payer file's records
 * (batch_file.c), a million of each in a large batch. */
#include "zhitong/xml.h"

#include <stdbool.h>
#include <string.h>

#include "zhitong/error.h"

/* The UTF-8 sequence at s as a code point and its length (0: invalid). */
static size_t utf8(const unsigned char *s, unsigned *cp)
{
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (n == 0 || s[0] >= 0xF8)
		return 0;
	*cp = s[0] & (0x3Fu >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3F);
	}
	return n;
}

static bool plain(unsigned char c, bool ascii)
{
	return c && (c < 0x80 || !ascii) && c != '<' && c != '>' && c != '&' && c != '"' &&
	       c != '\n' && c != '\r' && c != '\t';
}

int zt_xml_attr_escape(char *buf, size_t cap, size_t *n, const char *v, bool ascii)
{
	size_t at = *n;
	for (const unsigned char *s = (const unsigned char *)v; *s;) {
		/* a run written as it is, in one piece: numbers and codes are */
		const unsigned char *run = s;
		while (plain(*s, ascii))
			s++;
		size_t len = (size_t)(s - run);
		if (at + len >= cap)
			goto full;
		memcpy(buf + at, run, len);
		at += len;
		if (!*s)
			break;
		char ref[16];
		const char *rep = NULL;
		switch (*s) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		case '\t': rep = "&#9;"; break;
		}
		if (rep) {
			len = strlen(rep);
			s++;
		} else {
			/* beyond ASCII: "&#x%X;" (no output encoding) */
			unsigned cp;
			size_t k = utf8(s, &cp);
			if (k == 0)
				return zt_error_set(ZT_EINVAL, "text to write in XML is not UTF-8");
			char *end = ref + sizeof ref, *p = end;
			*--p = ';';
			do
				*--p = "0123456789ABCDEF"[cp & 0xF];
			while (cp >>= 4);
			*--p = 'x';
			*--p = '#';
			*--p = '&';
			rep = p;
			len = (size_t)(end - p);
			s += k;
		}
		if (at + len >= cap)
			goto full;
		memcpy(buf + at, rep, len);
		at += len;
	}
	*n = at;
	return 0;
full:
	*n = at;
	return zt_error_set(ZT_ERANGE, "text to write in XML does not fit in %zu bytes", cap);
}
