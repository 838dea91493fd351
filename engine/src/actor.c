/* zhitong — one spelling per person (see actor.h), on libunistring. */
#include "zhitong/actor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uniname.h>
#include <uninorm.h>
#include <unictype.h>
#include <unistr.h>

#include "zhitong/error.h"
#include "zhitong/text.h"

/* Beyond what zt_text_check refuses in any line of text: every other
 * default-ignorable code point (a Hangul filler, a variation selector …)
 * renders as nothing, so two names differing by one look the same. */
static int check_visible(const uint8_t *s, size_t len)
{
	size_t chars = 0;
	for (size_t i = 0; i < len;) {
		ucs4_t uc;
		int n = u8_mbtouc_unsafe(&uc, s + i, len - i);
		i += (size_t)(n > 0 ? n : 1);
		chars++;
		if (uc_is_property_default_ignorable_code_point(uc)) {
			char name[UNINAME_MAX];
			if (!unicode_character_name(uc, name))
				name[0] = '\0';
			return zt_error_set(ZT_EINVAL, "the name holds an invisible character (U+%04X%s%s) at "
			                    "character %zu: it would look like another person's name",
			                    (unsigned)uc, name[0] ? " " : "", name, chars);
		}
	}
	return 0;
}

int zt_actor_normalize(char out[ZT_ACTOR_BYTES], const char *name)
{
	out[0] = '\0';
	if (!name || !name[0])
		return zt_error_set(ZT_EINVAL, "who does this must be named (--by NAME)");
	size_t len = strlen(name);
	if (len > ZT_TEXT_BYTES_MAX)
		return zt_error_set(ZT_EINVAL, "the name is longer than %d characters: it is refused, "
		                    "not cut short", ZT_ACTOR_CHARS_MAX);
	int rc = zt_text_check("the name", name, len, (size_t)-1, ZT_TEXT_LINE);
	if (rc == 0)
		rc = check_visible((const uint8_t *)name, len);
	if (rc)
		return rc;

	/* NFKC first, so that what case folding sees is already composed and
	 * free of compatibility forms; u8_casefold then normalises its own
	 * result to NFKC again. */
	size_t nlen = 0, flen = 0;
	uint8_t *nfkc = u8_normalize(UNINORM_NFKC, (const uint8_t *)name, len, NULL, &nlen);
	uint8_t *folded = nfkc ? u8_casefold(nfkc, nlen, NULL, UNINORM_NFKC, NULL, &flen) : NULL;
	free(nfkc);
	if (!folded)
		return zt_error_set(errno == ENOMEM ? ZT_ENOMEM : ZT_EINVAL,
		                    "the name cannot be normalised: %s", strerror(errno));

	/* Trim, fold inner runs of white space to one space, count. */
	char buf[ZT_ACTOR_BYTES];
	size_t used = 0, chars = 0;
	bool space = false;
	for (size_t i = 0; i < flen;) {
		ucs4_t uc;
		int n = u8_mbtouc_unsafe(&uc, folded + i, flen - i);
		size_t step = (size_t)(n > 0 ? n : 1);
		if (uc_is_property_white_space(uc)) {
			space = used > 0;
			i += step;
			continue;
		}
		size_t need = step + (space ? 1 : 0);
		chars += 1 + (space ? 1 : 0);
		if (chars > ZT_ACTOR_CHARS_MAX || used + need >= sizeof buf) {
			free(folded);
			return zt_error_set(ZT_EINVAL, "the name is longer than %d characters: it is "
			                    "refused, not cut short", ZT_ACTOR_CHARS_MAX);
		}
		if (space)
			buf[used++] = ' ';
		space = false;
		memcpy(buf + used, folded + i, step);
		used += step;
		i += step;
	}
	free(folded);
	buf[used] = '\0';
	if (used == 0)
		return zt_error_set(ZT_EINVAL, "who does this must be named (--by NAME): the name is "
		                    "only white space");
	/* What normalisation made of a visible name is visible and checked
	 * again, so that the stored form obeys the same rule as the input. */
	if ((rc = zt_text_check("the name", buf, used, ZT_ACTOR_CHARS_MAX, ZT_TEXT_LINE)) != 0 ||
	    (rc = check_visible((const uint8_t *)buf, used)) != 0)
		return rc;
	memcpy(out, buf, used + 1);
	return 0;
}
