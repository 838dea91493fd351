/* zhitong — fuzz target: the lexical rule of every text input (text.h).
 *
 * The input is a text from outside. What zt_text_check accepts must be
 * strict UTF-8 (no overlong form, no surrogate, nothing above U+10FFFF —
 * checked by a second decoder below) without a control character (C0,
 * DEL, C1), a line or paragraph separator, a format character of those
 * the rule names, or a noncharacter; as an identifier, without white
 * space; within its length in characters, counted the same by
 * zt_text_chars. zt_text_visible must turn anything into text the rule
 * accepts as a line, within its buffer. The JSON reader's UTF-8 gate
 * (zt_json_utf8_check) must take exactly strict UTF-8. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/text.h"

/* Strict UTF-8, decoded again: the code points in cps, or -1. */
static long decode(uint32_t *cps, size_t cap, const uint8_t *s, size_t n)
{
	size_t i = 0, count = 0;
	while (i < n) {
		uint8_t b = s[i];
		uint32_t cp;
		size_t len;
		if (b < 0x80)
			cp = b, len = 1;
		else if (b >= 0xC2 && b <= 0xDF)
			cp = b & 0x1Fu, len = 2;
		else if (b >= 0xE0 && b <= 0xEF)
			cp = b & 0x0Fu, len = 3;
		else if (b >= 0xF0 && b <= 0xF4)
			cp = b & 0x07u, len = 4;
		else
			return -1;
		if (n - i < len)
			return -1;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return -1;
			cp = cp << 6 | (s[i + k] & 0x3Fu);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		if (count < cap)
			cps[count] = cp;
		count++;
		i += len;
	}
	return (long)count;
}

/* Characters no text may hold, whatever the Unicode version: controls,
 * the separators, the bidirectional controls and zero-width characters
 * the rule names, the byte-order mark, noncharacters. */
static bool never(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF || c == 0x00AD ||
	       (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

/* White space an identifier may not hold (Zs and the other White_Space). */
static bool space(uint32_t c)
{
	return c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x202F || c == 0x205F || c == 0x3000 || c == 0x85;
}

static void accepted(const uint8_t *s, size_t n, size_t max, enum zt_text_kind kind)
{
	static uint32_t cps[4096];
	long count = decode(cps, sizeof cps / sizeof *cps, s, n);
	ZT_FUZZ_CHECK(count >= 0, "accepted text that is not strict UTF-8");
	ZT_FUZZ_CHECK((size_t)count <= max, "accepted %ld characters, limit %zu", count, max);
	ZT_FUZZ_CHECK(zt_text_chars((const char *)s, n) == (size_t)count, "counted %zu, not %ld",
	              zt_text_chars((const char *)s, n), count);
	for (long i = 0; i < count && i < 4096; i++) {
		ZT_FUZZ_CHECK(!never(cps[i]), "accepted U+%04X at character %ld", (unsigned)cps[i],
		              i + 1);
		if (kind == ZT_TEXT_IDENT)
			ZT_FUZZ_CHECK(!space(cps[i]), "an identifier holds U+%04X", (unsigned)cps[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16 * 1024)
		return 0;
	const char *s = (const char *)data;
	size_t max = (size_t)-1;

	/* The JSON reader's own UTF-8 gate (json.h) takes exactly strict
	 * UTF-8, and counts its characters. */
	static uint32_t cps[16 * 1024];
	long want = decode(cps, sizeof cps / sizeof *cps, data, size);
	size_t json_chars = 0, bad = SIZE_MAX;
	int jrc = zt_json_utf8_check(&json_chars, &bad, s, size);
	ZT_FUZZ_CHECK((jrc == 0) == (want >= 0), "json's UTF-8 check %d, strict decoder %ld", jrc,
	              want);
	ZT_FUZZ_CHECK(jrc != 0 || json_chars == (size_t)want, "%zu characters, not %ld", json_chars,
	              want);
	ZT_FUZZ_CHECK(jrc == 0 || (bad < size && decode(cps, 0, data, bad) >= 0),
	              "bad byte at %zu of %zu", bad, size);
	bool ident_ok = false;
	for (int k = 0; k < 2; k++) {
		enum zt_text_kind kind = k ? ZT_TEXT_IDENT : ZT_TEXT_LINE;
		int rc = zt_text_check("<field>", s, size, max, kind);
		if (rc == 0) {
			accepted(data, size, max, kind);
			/* the limit counts characters, refusing one more, never cutting */
			size_t chars = zt_text_chars(s, size);
			ZT_FUZZ_CHECK(zt_text_check(NULL, s, size, chars, kind) == 0, "%zu of %zu", chars,
			              chars);
			if (chars)
				ZT_FUZZ_CHECK(zt_text_check(NULL, s, size, chars - 1, kind) == ZT_EINVAL,
				              "%zu characters within %zu", chars, chars - 1);
		} else {
			ZT_FUZZ_CHECK(rc == ZT_EINVAL, "refused with %d", rc);
			const char *m = zt_error_last();
			ZT_FUZZ_CHECK(strncmp(m, "<field> ", 8) == 0, "message '%s'", m);
		}
		/* an identifier is a line too */
		if (kind == ZT_TEXT_IDENT && rc == 0) {
			ident_ok = true;
			ZT_FUZZ_CHECK(zt_text_check(NULL, s, size, max, ZT_TEXT_LINE) == 0,
			              "an identifier that is no line");
		}
	}

	/* What zt_text_visible makes of anything is visible text, within its
	 * buffer, for every size of buffer. */
	char *z = zt_fuzz_strndup(data, size);
	size_t caps[] = {1, 2, 5, 17, 64, 300, 4096};
	for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
		char *out = malloc(caps[i]);
		ZT_FUZZ_CHECK(out != NULL, "out of memory");
		zt_text_visible(out, caps[i], z);
		size_t len = strlen(out);
		ZT_FUZZ_CHECK(len < caps[i], "visible text of %zu bytes in %zu", len, caps[i]);
		ZT_FUZZ_CHECK(zt_text_check(NULL, out, len, (size_t)-1, ZT_TEXT_LINE) == 0,
		              "made visible, still refused: %s", zt_error_last());
		/* an identifier has nothing to show otherwise: kept as it is */
		if (ident_ok && caps[i] > size)
			ZT_FUZZ_CHECK(len == size && memcmp(out, data, size) == 0,
			              "an identifier shown as '%s'", out);
		free(out);
	}
	free(z);
	return 0;
}
