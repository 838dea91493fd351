/* zhitong — the lexical rule of every text input (see text.h), on
 * libunistring's character database. */
#include "zhitong/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <uniname.h>
#include <unictype.h>
#include <unistr.h>

#include "zhitong/error.h"
#include "zhitong/limits.h"

size_t zt_text_chars(const char *s, size_t len)
{
	return u8_mbsnlen((const uint8_t *)s, len);
}

/* "U+200B ZERO WIDTH SPACE", or "U+0009" for a character without a name. */
static void describe(char *buf, size_t size, ucs4_t uc)
{
	char name[UNINAME_MAX];
	if (unicode_character_name(uc, name))
		snprintf(buf, size, "U+%04X %s", (unsigned)uc, name);
	else
		snprintf(buf, size, "U+%04X", (unsigned)uc);
}

/* What is wrong with one character, or NULL. */
static const char *refuse(ucs4_t uc, enum zt_text_kind kind)
{
	/* Printable ASCII, most of every code and number: no table needed
	 * (the space is Zs, white space in an identifier). */
	if (uc > 0x20 && uc < 0x7F)
		return NULL;
	if (uc == 0x20)
		return kind == ZT_TEXT_IDENT ? "white space" : NULL;
	if (uc_is_general_category(uc, UC_CATEGORY_Cc))
		return "a control character";
	if (uc_is_general_category(uc, UC_CATEGORY_Cf) ||
	    uc_is_general_category(uc, UC_CATEGORY_Zl) ||
	    uc_is_general_category(uc, UC_CATEGORY_Zp))
		return "an invisible character";
	if (uc_is_property_not_a_character(uc))
		return "a noncharacter";
	if (kind == ZT_TEXT_IDENT) {
		if (uc_is_general_category(uc, UC_CATEGORY_Z) || uc_is_property_white_space(uc))
			return "white space";
		if (uc_is_property_default_ignorable_code_point(uc))
			return "an invisible character";
	}
	return NULL;
}

void zt_text_put(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void zt_text_visible(char *dst, size_t cap, const char *src)
{
	if (cap == 0)
		return;
	const uint8_t *s = (const uint8_t *)src;
	size_t len = strlen(src), used = 0;
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		int n = u8_mbtoucr(&uc, s + i, len - i);
		char rep[16];
		const char *out = (const char *)s + i;
		size_t out_len = n > 0 ? (size_t)n : 1;
		if (n <= 0) {
			snprintf(rep, sizeof rep, "<0x%02X>", s[i]);
			out = rep;
			out_len = strlen(rep);
			n = 1;
		} else if (uc == '\t' || uc == '\n' || uc == '\r') {
			out = " ";
			out_len = 1;
		} else if (refuse(uc, ZT_TEXT_LINE) || uc_is_property_default_ignorable_code_point(uc)) {
			snprintf(rep, sizeof rep, "<U+%04X>", (unsigned)uc);
			out = rep;
			out_len = strlen(rep);
		}
		if (used + out_len >= cap)
			break;
		memcpy(dst + used, out, out_len);
		used += out_len;
		i += (size_t)n;
	}
	dst[used] = '\0';
}

int zt_text_check(const char *what, const char *s, size_t len, size_t max_chars,
                  enum zt_text_kind kind)
{
	if (!what)
		what = "the value";
	/* printable ASCII alone (most codes and numbers): valid UTF-8, one
	 * character a byte, nothing refuse() refuses but the space in an
	 * identifier */
	size_t k = 0;
	unsigned char lo = kind == ZT_TEXT_IDENT ? 0x21 : 0x20;
	while (k < len && (unsigned char)s[k] >= lo && (unsigned char)s[k] < 0x7F)
		k++;
	if (k == len && len <= max_chars)
		return 0;
	const uint8_t *u = (const uint8_t *)s;
	const uint8_t *bad = u8_check(u, len);
	if (bad)
		return zt_error_set(ZT_EINVAL, "%s is not valid UTF-8 (byte %zu: an overlong, "
		                    "surrogate, truncated or out-of-range sequence)", what,
		                    (size_t)(bad - u) + 1);
	size_t chars = 0;
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		int n = u8_mbtouc_unsafe(&uc, u + i, len - i);
		i += (size_t)(n > 0 ? n : 1);
		chars++;
		const char *why = refuse(uc, kind);
		if (why) {
			char d[UNINAME_MAX + 16];
			describe(d, sizeof d, uc);
			return zt_error_set(ZT_EINVAL, "%s holds %s (%s) at character %zu%s", what, why, d,
			                    chars,
			                    kind == ZT_TEXT_IDENT ? ": an identifier is one word of visible "
			                                            "characters"
			                    : uc == '\t' || uc == '\n' || uc == '\r'
			                        ? ": it is one line, without tabs or line breaks"
			                        : "");
		}
	}
	if (chars > max_chars)
		return zt_error_set(ZT_EINVAL, "%s is longer than %zu characters (%zu): it is refused, "
		                    "not cut short", what, max_chars, chars);
	return 0;
}

char *zt_psn_no_mask(char out[ZT_PSN_MASK_BYTES], const char *psn_no)
{
	size_t n = psn_no ? strlen(psn_no) : 0;
	snprintf(out, ZT_PSN_MASK_BYTES, "****%s", n > 4 ? psn_no + n - 4 : "");
	return out;
}
