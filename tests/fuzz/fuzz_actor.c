/* zhitong — fuzz target: one spelling per person (actor.h).
 *
 * The input is a name (--by, $ZHITONG_USER, $USER). A name refused says
 * why with ZT_EINVAL and leaves "" behind. A name accepted becomes a
 * stable spelling: text the rule of text.h accepts as a line, without an
 * invisible character, of 1..ZT_ACTOR_CHARS_MAX characters, trimmed, no
 * two spaces in a row, and the same once normalised again — so two
 * spellings of one person are never stored as two people. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/actor.h"
#include "zhitong/error.h"
#include "zhitong/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *name = zt_fuzz_strndup(data, size);
	char out[ZT_ACTOR_BYTES], again[ZT_ACTOR_BYTES];
	memset(out, 'x', sizeof out);
	int rc = zt_actor_normalize(out, name);
	if (rc) {
		ZT_FUZZ_CHECK(rc == ZT_EINVAL || rc == ZT_ENOMEM, "refused with %d", rc);
		ZT_FUZZ_CHECK(out[0] == '\0', "a refused name left '%s'", out);
		ZT_FUZZ_CHECK(zt_error_last()[0] != '\0', "refused without a message");
		free(name);
		return 0;
	}
	size_t len = strlen(out);
	ZT_FUZZ_CHECK(len > 0 && len < ZT_ACTOR_BYTES, "a name of %zu bytes", len);
	ZT_FUZZ_CHECK(zt_text_check(NULL, out, len, ZT_ACTOR_CHARS_MAX, ZT_TEXT_LINE) == 0,
	              "'%s': %s", out, zt_error_last());
	ZT_FUZZ_CHECK(out[0] != ' ' && out[len - 1] != ' ' && !strstr(out, "  "),
	              "'%s' is not trimmed", out);
	rc = zt_actor_normalize(again, out);
	ZT_FUZZ_CHECK(rc == 0, "'%s' normalised again is refused: %s", out, zt_error_last());
	ZT_FUZZ_CHECK(strcmp(out, again) == 0, "'%s' normalised again is '%s'", out, again);
	free(name);
	return 0;
}
