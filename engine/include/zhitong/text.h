/* zhitong — the lexical rule of every text input (docs/spec/interfaces.md
 * "Lexical rules"): valid UTF-8, and nothing a reader cannot see.
 *
 * Every text that comes from outside — claim and registry fields, policy
 * names, configuration values, command-line arguments, --reason, --note,
 * the names of people (zhitong/actor.h) — passes zt_text_check() before it
 * is compared, stored or echoed. The character classes come from
 * libunistring (Unicode 14 on Debian 12), never from tables of our own:
 *
 *   refused everywhere   ill-formed UTF-8 (overlong forms, surrogates,
 *                        truncated sequences, above U+10FFFF); control
 *                        characters (Cc: C0, DEL, C1 — so no tab and no line
 *                        break: every field is one line); format characters
 *                        (Cf: zero-width space and joiners, soft hyphen,
 *                        bidirectional controls such as U+202E, the BOM);
 *                        line and paragraph separators (Zl, Zp);
 *                        noncharacters (U+FFFE, U+FDD0 …)
 *   identifiers also     any white space (Zs, so an inner space too) and any
 *                        other default-ignorable code point (Hangul fillers,
 *                        variation selectors …)
 *
 * Names and free text may hold inner spaces (and variation selectors, which
 * some rare characters of names need). Length is counted in characters
 * (code points); anything longer than its limit is refused whole, never
 * truncated. */
#ifndef ZHITONG_TEXT_H
#define ZHITONG_TEXT_H

#include <stddef.h>

enum zt_text_kind {
	ZT_TEXT_LINE,  /* a name or one line of free text: inner spaces allowed */
	ZT_TEXT_IDENT, /* an identifier (code, number, id): no white space at all */
};

/* 0 if s[0..len) is valid UTF-8 of at most max_chars characters (SIZE_MAX:
 * no limit) holding nothing `kind` refuses; else ZT_EINVAL with a message
 * "WHAT holds an invisible character U+200B ZERO WIDTH SPACE at character
 * 4" (the bad text itself is never echoed: it is what cannot be shown).
 * `what` names the field ("--reason", "<claim_no>"); NULL says "the value".
 * An empty text passes: whether a field is required is the caller's
 * business. */
int zt_text_check(const char *what, const char *s, size_t len, size_t max_chars,
                  enum zt_text_kind kind);

/* The number of characters of valid UTF-8 s[0..len). */
size_t zt_text_chars(const char *s, size_t len);

/* Copies `src` into dst (cap bytes, always terminated, cut at a character
 * boundary if it must be) so that it shows what it holds: tabs and line
 * breaks become spaces, every other character zt_text_check refuses in a
 * line of text or that is default-ignorable becomes "<U+200B>", and a byte
 * that is not UTF-8 "<0xC0>".
 * For messages that quote outside text (libxml2's schema errors quote the
 * value they refuse): a message never carries an invisible character to a
 * terminal or a hospital's system. */
void zt_text_visible(char *dst, size_t cap, const char *src);

/* snprintf(dst, cap, "%s", src) without printf (cap > 0): src cut to cap - 1
 * bytes, NUL-terminated. For the copies on hot paths (a settlement copies
 * about twenty strings, a statement entry eight). */
void zt_text_put(char *dst, size_t cap, const char *src);

/* The one masking of a person's number (psn_no) shown to a role that sees
 * no identity (zhitong/access.h ZT_VIEW_IDENTITY; docs/spec/service.md
 * "Bodies"): "****" and its last four characters ("****0001"); a number of
 * four characters or fewer is "****" alone. Always NUL-terminated. (An
 * identity number printed on a slip: zt_id_no_mask, slip.h.) */
#define ZT_PSN_MASK_BYTES 9
char *zt_psn_no_mask(char out[ZT_PSN_MASK_BYTES], const char *psn_no);

#endif
