/* zhitong — fuzz target: the configuration reader (config.h).
 *
 * The input is a configuration file, read from memory (zt_config_parse)
 * and, for the same answer, from a file (zt_config_load). What is accepted
 * must be what config.h describes: every value one trimmed line of visible
 * text (text.h) that the file really holds, section names one or two
 * words, a file holding a NUL byte never accepted (the rest of its line
 * would be read as nothing); every typed getter answers a value or
 * ZT_EINVAL with a message. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/text.h"

/* The sections and keys of config.c's table (a key added there and not
 * here is only not checked). */
static const char *const fixed_sections[] = {"signing", "pool", "advance", "reconcile",
                                             "store", "service", NULL};
static const char *const named_kinds[] = {"fund", "hospital", NULL};
static const char *const keys[] = {
	"key", "public-key", "name", "account", "bic", "currency", "bank-name", "timezone",
	"target-days", "min-topup", "target", "gateway", "url", "ca-file", "client-cert",
	"client-key", "connect-timeout-ms", "total-timeout-ms", "max-attempts",
	"backoff-initial-ms", "backoff-max-ms", "outbox", "inbox", "date-tolerance-days",
	"expected-within-days", "amount-tolerance", "future-days", "busy-timeout-ms", "listen",
	"metrics-listen", "tls-cert", "tls-key", "client-ca", "tls-priorities", "idle-timeout-s",
	"max-connections", "max-connections-per-address", "max-body-bytes", "user-rate-per-s",
	"user-burst", "address-rate-per-s", "address-burst", "trusted-proxy", "log",
	"stop-timeout-s", NULL};

struct walk {
	const struct zt_config *a, *b; /* from memory, from the file */
	const uint8_t *data;
	size_t size;
	size_t values;
};

static void check_section(struct walk *w, const char *section)
{
	for (const char *const *k = keys; *k; k++) {
		const char *v = zt_config_get(w->a, section, *k);
		const char *v2 = zt_config_get(w->b, section, *k);
		ZT_FUZZ_CHECK((v == NULL) == (v2 == NULL) && (!v || strcmp(v, v2) == 0),
		              "[%s] %s: '%s' from memory, '%s' from the file", section, *k,
		              v ? v : "(none)", v2 ? v2 : "(none)");
		if (!v)
			continue;
		w->values++;
		size_t n = strlen(v);
		ZT_FUZZ_CHECK(n > 0, "[%s] %s is empty", section, *k);
		ZT_FUZZ_CHECK(!isspace((unsigned char)v[0]) && !isspace((unsigned char)v[n - 1]),
		              "[%s] %s = '%s' is not trimmed", section, *k, v);
		ZT_FUZZ_CHECK(zt_text_check(NULL, v, n, (size_t)-1, ZT_TEXT_LINE) == 0,
		              "[%s] %s: %s", section, *k, zt_error_last());
		for (size_t i = 1; i < n; i++)
			ZT_FUZZ_CHECK(!(v[i] == '#' && isspace((unsigned char)v[i - 1])),
			              "[%s] %s = '%s' holds a comment", section, *k, v);
		ZT_FUZZ_CHECK(memmem(w->data, w->size, v, n) != NULL,
		              "[%s] %s = '%s' is not in the file", section, *k, v);

		int64_t i64 = 0;
		int rc = zt_config_int(w->a, section, *k, 0, INT64_MIN, INT64_MAX, &i64);
		ZT_FUZZ_CHECK(rc == 0 || (rc == ZT_EINVAL && zt_error_last()[0]), "int: %d", rc);
		rc = zt_config_int(w->a, section, *k, 5, 1, 10, &i64);
		ZT_FUZZ_CHECK(rc == ZT_EINVAL || (rc == 0 && i64 >= 1 && i64 <= 10), "int: %d %lld", rc,
		              (long long)i64);
		zt_fen fen = -1;
		rc = zt_config_amount(w->a, section, *k, 0, &fen);
		ZT_FUZZ_CHECK(rc == ZT_EINVAL || (rc == 0 && fen >= 0 && fen <= ZT_FEN_MAX),
		              "amount: %d %lld", rc, (long long)fen);
	}
}

struct named {
	struct walk *w;
	const char *kind;
};

static int each_named(void *ctx, const char *name)
{
	struct named *n = ctx;
	ZT_FUZZ_CHECK(name[0] != '\0', "[%s] without its name", n->kind);
	for (const char *p = name; *p; p++)
		ZT_FUZZ_CHECK(!isspace((unsigned char)*p) && *p != '[' && *p != ']',
		              "section name '%s'", name);
	char section[300];
	snprintf(section, sizeof section, "%s %s", n->kind, name);
	check_section(n->w, section);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	struct zt_config *a = NULL, *b = NULL;
	int rc = zt_config_parse(&a, "fuzz.conf", (const char *)data, size);
	char msg[2048];
	snprintf(msg, sizeof msg, "%s", zt_error_last());

	const char *path = zt_fuzz_file(data, size);
	chmod(path, 0600);
	int rc2 = zt_config_load(&b, path);
	ZT_FUZZ_CHECK(rc == rc2, "from memory %d (%s), from the file %d (%s)", rc, msg, rc2,
	              zt_error_last());
	if (rc) {
		ZT_FUZZ_CHECK(rc == ZT_EINVAL && a == NULL && b == NULL, "refused with %d", rc);
		ZT_FUZZ_CHECK(strncmp(msg, "fuzz.conf:", 10) == 0, "message '%s'", msg);
		return 0;
	}
	ZT_FUZZ_CHECK(memchr(data, '\0', size) == NULL, "a file holding a NUL byte was accepted");
	ZT_FUZZ_CHECK(strcmp(zt_config_path(a), "fuzz.conf") == 0, "path '%s'", zt_config_path(a));

	struct walk w = {.a = a, .b = b, .data = data, .size = size};
	for (const char *const *s = fixed_sections; *s; s++)
		check_section(&w, *s);
	for (const char *const *k = named_kinds; *k; k++) {
		struct named n = {&w, *k};
		ZT_FUZZ_CHECK(zt_config_each_section(a, *k, each_named, &n) == 0, "each %s", *k);
	}
	zt_config_free(a);
	zt_config_free(b);
	return 0;
}
