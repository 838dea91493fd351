/* zhitong — who does something: one spelling per person.
 *
 * Maker-checker compares names: the person who made a batch or an advance
 * plan cannot approve it. A comparison of raw bytes is fooled by spelling —
 * `alice`, `Alice `, fullwidth `ＡＬＩＣＥ`, `ⓐlice` are one person to anyone
 * who reads them, and `ali<U+200B>ce` looks like `alice`. So every name —
 * --by, $ZHITONG_USER, $USER, and every name an engine function records as
 * maker, approver, issuer, importer or resolver — goes through
 * zt_actor_normalize() before it is compared or stored, and only its result
 * is ever compared or stored:
 *
 *   1. refused: ill-formed UTF-8, control characters, and every invisible
 *      character — format characters (zero-width space and joiners, soft
 *      hyphen, bidirectional controls such as U+202E), line and paragraph
 *      separators, noncharacters, and any other default-ignorable code point
 *      (Hangul fillers, variation selectors …): a name that holds one would
 *      look like another person's, so it is refused, not silently cleaned;
 *   2. Unicode NFKC, then full case folding (libunistring's u8_casefold with
 *      UNINORM_NFKC): fullwidth forms, ligatures, circled letters and other
 *      compatibility forms become their plain letters, capitals small;
 *   3. white space trimmed at both ends, inner runs folded to one space;
 *   4. at most ZT_ACTOR_CHARS_MAX characters (limits.h) after all of this,
 *      else refused — never truncated; empty is refused.
 *
 * The result is stable: normalising it again gives it back. Names recorded
 * by earlier versions of zhitong stay as they were stored. */
#ifndef ZHITONG_ACTOR_H
#define ZHITONG_ACTOR_H

#include "limits.h"

/* A normalised name with its NUL: ZT_ACTOR_BYTES (limits.h). */

/* Normalises `name` into out (see above). ZT_EINVAL with a message saying
 * why ("the name holds an invisible character U+200B ZERO WIDTH SPACE at
 * character 4"), out = "". out may not overlap name. */
int zt_actor_normalize(char out[ZT_ACTOR_BYTES], const char *name);

#endif
