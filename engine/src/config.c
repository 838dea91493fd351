/* zhitong — the configuration file (see config.h). */
#define _GNU_SOURCE /* fmemopen */
#include "zhitong/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zhitong/alloc.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/text.h"

/* Every key the engine knows, per section kind. A key outside this list is
 * an error: a misspelt setting must not silently fall back to a default. */
static const struct {
	const char *section; /* first word of the section name */
	const char *keys;    /* space-separated */
} known[] = {
	{"signing", " key public-key "},
	{"pool", " name account bic currency bank-name timezone counties "},
	{"advance", " target-days min-topup "},
	{"hospital", " target account bic name "},
	{"fund", " gateway url ca-file client-cert client-key connect-timeout-ms total-timeout-ms "
	         "max-attempts backoff-initial-ms backoff-max-ms outbox inbox account bic payer-file "},
	{"reconcile", " date-tolerance-days expected-within-days amount-tolerance future-days "},
	{"store", " busy-timeout-ms "},
	/* docs/spec/rules-v2.md §2, §4 */
	{"county", " catalog "},
	{"rules", " approval "},
	{"slip", " key key-id verify-url "},
	{"slip-key", " key "},
	{"cli", " actor "}, /* users.h: "os", the account running the command */
	{"service", " listen metrics-listen tls-cert tls-key client-ca tls-priorities idle-timeout-s "
	            "max-connections max-connections-per-address max-body-bytes user-rate-per-s "
	            "user-burst address-rate-per-s address-burst trusted-proxy log stop-timeout-s files "},
};

struct entry {
	char *section, *key, *value;
	int line;
};

struct zt_config {
	char path[1024];
	struct entry *e;
	size_t n, cap;
	/* the first entry of each pool section, in file order (index_pools):
	 * the pools are looked up per claim and per hospital */
	size_t *pool_at, npools;
};

static char *trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	return s;
}

static bool key_known(const char *section, const char *key)
{
	char kind[128], pat[80];
	snprintf(kind, sizeof kind, "%s", section);
	char *sp = strchr(kind, ' ');
	if (sp)
		*sp = '\0';
	snprintf(pat, sizeof pat, " %s ", key);
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strcmp(known[i].section, kind) == 0)
			return strstr(known[i].keys, pat) != NULL;
	return false;
}

/* Cuts a comment off the line: a '#' at its start or after white space
 * starts one (`key = value   # note`, `[pool]   # note`); a '#' inside a
 * word is text (`url = https://host/a#b`). So a value can hold a '#' but
 * never white space followed by '#'. A line starting with ';' is a comment
 * too (the INI habit). */
static void strip_comment(char *s)
{
	if (*s == ';') {
		*s = '\0';
		return;
	}
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
}

static bool pool_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n >= ZT_POOL_ID_BYTES)
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

/* A trimmed line "[…]" as a section name in `out` ("pool", "fund 390100":
 * inner white space collapsed to one space), checked whole: one closing
 * ']' at the end, a kind the engine knows, and a name exactly for the
 * kinds that take one. ZT_EINVAL with file:line. */
static int parse_section(char out[128], const char *s, const char *path, int lineno)
{
	size_t n = strlen(s);
	const char *close = strchr(s, ']');
	if (!close)
		return zt_error_set(ZT_EINVAL, "%s:%d: malformed section header '%.60s': no closing ']'",
		                    path, lineno, s);
	if (memchr(s + 1, '[', n - 1))
		return zt_error_set(ZT_EINVAL, "%s:%d: malformed section header '%.60s': '[' inside it",
		                    path, lineno, s);
	if (close != s + n - 1)
		return zt_error_set(ZT_EINVAL, "%s:%d: malformed section header '%.60s': text after ']'",
		                    path, lineno, s);
	char word[3][128];
	int words = 0;
	size_t k = 0;
	for (const char *p = s + 1; p <= close; p++) {
		if (p < close && !isspace((unsigned char)*p)) {
			if (words == 3)
				break;
			if (k + 1 >= sizeof word[0])
				return zt_error_set(ZT_EINVAL, "%s:%d: section name too long", path, lineno);
			word[words][k++] = *p;
			continue;
		}
		if (k) {
			word[words++][k] = '\0';
			k = 0;
		}
	}
	if (words == 0)
		return zt_error_set(ZT_EINVAL, "%s:%d: malformed section header '%s': no name", path,
		                    lineno, s);
	if (words > 2)
		return zt_error_set(ZT_EINVAL, "%s:%d: malformed section header '%.60s': a section is "
		                    "one word ([pool]) or a kind and a name ([fund 390100])",
		                    path, lineno, s);
	bool kind = false, named = strcmp(word[0], "fund") == 0 || strcmp(word[0], "hospital") == 0 ||
	                         strcmp(word[0], "county") == 0 || strcmp(word[0], "slip-key") == 0;
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		kind |= strcmp(known[i].section, word[0]) == 0;
	if (!kind)
		return zt_error_set(ZT_EINVAL, "%s:%d: unknown section [%s%s%s]", path, lineno, word[0],
		                    words == 2 ? " " : "", words == 2 ? word[1] : "");
	if (named && words == 1)
		return zt_error_set(ZT_EINVAL, "%s:%d: section [%s] needs a name: [%s %s]", path, lineno,
		                    word[0], word[0], "CODE");
	/* [pool] or [pool P] (issue 13: several pools in one database) */
	if (!named && words == 2 && strcmp(word[0], "pool") != 0)
		return zt_error_set(ZT_EINVAL, "%s:%d: section [%s] takes no name (found [%s %s])", path,
		                    lineno, word[0], word[0], word[1]);
	size_t l0 = strlen(word[0]), l1 = words == 2 ? strlen(word[1]) : 0;
	if (l0 + 1 + l1 >= 128)
		return zt_error_set(ZT_EINVAL, "%s:%d: section name too long", path, lineno);
	if (words == 2 && strcmp(word[0], "pool") == 0 && !pool_id_ok(word[1]))
		return zt_error_set(ZT_EINVAL, "%s:%d: [pool %.60s]: a pool id is 1 to %d letters, "
		                    "digits, '-' or '_'", path, lineno, word[1], ZT_POOL_ID_BYTES - 1);
	memcpy(out, word[0], l0 + 1);
	if (words == 2) {
		out[l0] = ' ';
		memcpy(out + l0 + 1, word[1], l1 + 1);
	}
	return 0;
}

/* [pool] timezone: an IANA zone the system's tzdata knows
 * (docs/spec/rules-v2.md §5), refused here with file:line. */
static int check_timezone(const char *value, const char *path, int lineno)
{
	struct zt_zone *z = NULL;
	int rc = zt_zone_load(&z, value);
	zt_zone_free(z);
	if (rc) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(rc, "%s:%d: [pool] timezone: %s", path, lineno, why);
	}
	return 0;
}

void zt_config_free(struct zt_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	free(c->pool_at);
	free(c);
}

/* The next line of f, without its '\n', into line[cap]: 1, 0 at the end of
 * the file, or ZT_EINVAL for a line too long or holding a NUL byte (which
 * fgets would pass over: the rest of the line would be read as nothing). */
static int read_line(FILE *f, char *line, size_t cap, const char *path, int lineno)
{
	size_t n = 0;
	int ch;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0')
			return zt_error_set(ZT_EINVAL, "%s:%d: a NUL byte: not a text file", path, lineno);
		if (n + 1 >= cap)
			return zt_error_set(ZT_EINVAL, "%s:%d: line longer than %d bytes", path, lineno,
			                    ZT_CONFIG_LINE_BYTES_MAX);
		line[n++] = (char)ch;
	}
	line[n] = '\0';
	return ch == EOF && n == 0 ? 0 : 1;
}

static int index_pools(struct zt_config *c);
static int check_pools(const struct zt_config *c);

/* Reads every line of f into c; c->path names it in messages. */
static int read_lines(struct zt_config *c, FILE *f)
{
	const char *path = c->path;
	char line[ZT_CONFIG_LINE_BYTES_MAX + 1], section[128] = ""; /* the line, NUL */
	int lineno = 0, rc = 0, more;
	size_t total = 0;
	while ((more = read_line(f, line, sizeof line, path, lineno + 1)) != 0) {
		lineno++;
		if (more < 0) {
			rc = more;
			break;
		}
		total += strlen(line) + 1;
		if (total > ZT_CONFIG_BYTES_MAX) {
			rc = zt_error_set(ZT_EINVAL, "configuration '%s' is larger than %u bytes", path,
			                  (unsigned)ZT_CONFIG_BYTES_MAX);
			break;
		}
		strip_comment(trim(line));
		char *s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			if ((rc = parse_section(section, s, path, lineno)) != 0)
				break;
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq || !section[0]) {
			rc = zt_error_set(ZT_EINVAL, "%s:%d: expected 'key = value' inside a [section]", path,
			                  lineno);
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		if (!*value) {
			rc = zt_error_set(ZT_EINVAL, "%s:%d: '%s' in [%s] has no value", path, lineno, key,
			                  section);
			break;
		}
		if (!key_known(section, key)) {
			rc = zt_error_set(ZT_EINVAL, "%s:%d: unknown setting '%s' in [%s]", path, lineno, key,
			                  section);
			break;
		}
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0) {
				rc = zt_error_set(ZT_EINVAL, "%s:%d: '%s' is set twice in [%s] (also line %d)",
				                  path, lineno, key, section, c->e[i].line);
				break;
			}
		if (rc)
			break;
		/* A value is one line of valid UTF-8 without control or invisible
		 * characters (text.h): it names accounts and banks and is echoed. */
		if (zt_text_check(NULL, value, strlen(value), (size_t)-1, ZT_TEXT_LINE) != 0) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			rc = zt_error_set(ZT_EINVAL, "%s:%d: [%s] %s: %s", path, lineno, section, key, why);
			break;
		}
		if (strncmp(section, "pool", 4) == 0 && strcmp(key, "timezone") == 0 &&
		    (rc = check_timezone(value, path, lineno)) != 0)
			break;
		/* docs/spec/rules-v2.md §2, §4: one of two words, never a guess */
		if ((strcmp(key, "catalog") == 0 || strcmp(key, "approval") == 0) &&
		    strcmp(value, "required") != 0 && strcmp(value, "optional") != 0) {
			rc = zt_error_set(ZT_EINVAL, "%s:%d: [%s] %s must be 'required' or 'optional', "
			                  "not '%s'", path, lineno, section, key, value);
			break;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			struct entry *ne = zt_realloc(c->e, cap * sizeof *ne);
			if (!ne) {
				rc = zt_error_set(ZT_ENOMEM, "out of memory");
				break;
			}
			c->e = ne;
			c->cap = cap;
		}
		struct entry *e = &c->e[c->n];
		e->section = zt_strdup(section);
		e->key = zt_strdup(key);
		e->value = zt_strdup(value);
		e->line = lineno;
		c->n++;
		if (!e->section || !e->key || !e->value) {
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0)
		rc = index_pools(c);
	return rc ? rc : check_pools(c);
}

int zt_config_load(struct zt_config **out, const char *path)
{
	struct zt_config *c = zt_calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if (!path || !path[0]) {
		*out = c;
		return 0;
	}
	snprintf(c->path, sizeof c->path, "%s", path);
	FILE *f = fopen(path, "r");
	if (!f) {
		zt_config_free(c);
		return zt_error_set(ZT_EINVAL, "cannot open configuration '%s': %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IWOTH)) {
		fclose(f);
		zt_config_free(c);
		return zt_error_set(ZT_EINVAL, "configuration '%s' is writable by everyone: refusing it",
		                    path);
	}
	int rc = read_lines(c, f);
	fclose(f);
	if (rc) {
		zt_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int zt_config_parse(struct zt_config **out, const char *name, const char *text, size_t len)
{
	struct zt_config *c = zt_calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	snprintf(c->path, sizeof c->path, "%s", name ? name : "");
	int rc = 0;
	if (len) {
		/* The very reader of files, on the bytes given. */
		FILE *f = fmemopen((void *)text, len, "r");
		if (!f)
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
		else {
			rc = read_lines(c, f);
			fclose(f);
		}
	}
	if (rc) {
		zt_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

const char *zt_config_path(const struct zt_config *c) { return c->path; }

static const struct entry *find(const struct zt_config *c, const char *section, const char *key)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

const char *zt_config_get(const struct zt_config *c, const char *section, const char *key)
{
	const struct entry *e = find(c, section, key);
	return e ? e->value : NULL;
}

int zt_config_int(const struct zt_config *c, const char *section, const char *key, int64_t dflt,
                  int64_t min, int64_t max, int64_t *out)
{
	const struct entry *e = find(c, section, key);
	if (!e) {
		*out = dflt;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(e->value, &end, 10);
	if (errno || end == e->value || *end || v < min || v > max)
		return zt_error_set(ZT_EINVAL, "%s:%d: [%s] %s must be a whole number from %lld to %lld",
		                    c->path, e->line, section, key, (long long)min, (long long)max);
	*out = v;
	return 0;
}

int zt_config_amount(const struct zt_config *c, const char *section, const char *key,
                     zt_fen dflt, zt_fen *out)
{
	const struct entry *e = find(c, section, key);
	if (!e) {
		*out = dflt;
		return 0;
	}
	if (zt_parse_amount(out, e->value, strlen(e->value)) != 0)
		return zt_error_set(ZT_EINVAL, "%s:%d: [%s] %s: %s", c->path, e->line, section, key,
		                    zt_error_last());
	return 0;
}

int zt_config_each_section(const struct zt_config *c, const char *kind,
                           int (*cb)(void *ctx, const char *name), void *ctx)
{
	size_t kl = strlen(kind);
	for (size_t i = 0; c && i < c->n; i++) {
		const char *s = c->e[i].section;
		if (strncmp(s, kind, kl) != 0 || s[kl] != ' ')
			continue;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->e[j].section, s) == 0)
				seen = true;
		if (seen)
			continue;
		int rc = cb(ctx, s + kl + 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- pools (issue 13) ------------------------------------------------------------ */

/* The pool id of a section ("pool": the default pool; "pool P": P), or NULL. */
static const char *pool_id_of(const char *section)
{
	if (strcmp(section, "pool") == 0)
		return ZT_POOL_DEFAULT;
	return strncmp(section, "pool ", 5) == 0 ? section + 5 : NULL;
}

/* Indexes the pool sections once the file is read (each once, in file
 * order). */
static int index_pools(struct zt_config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!pool_id_of(c->e[i].section))
			continue;
		bool seen = false;
		for (size_t k = 0; k < c->npools && !seen; k++)
			seen = strcmp(c->e[c->pool_at[k]].section, c->e[i].section) == 0;
		if (seen)
			continue;
		size_t *grown = zt_realloc(c->pool_at, (c->npools + 1) * sizeof *grown);
		if (!grown)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		c->pool_at = grown;
		c->pool_at[c->npools++] = i;
	}
	return 0;
}

/* The i-th pool section (in file order), or NULL. */
static const struct entry *pool_nth(const struct zt_config *c, size_t want)
{
	return c && want < c->npools ? &c->e[c->pool_at[want]] : NULL;
}

size_t zt_config_pool_count(const struct zt_config *c)
{
	return c && c->npools ? c->npools : 1;
}

const char *zt_config_pool_id(const struct zt_config *c, size_t i)
{
	const struct entry *e = pool_nth(c, i);
	return e ? pool_id_of(e->section) : i == 0 ? ZT_POOL_DEFAULT : NULL;
}

static const struct entry *pool_find(const struct zt_config *c, const char *pool)
{
	const struct entry *e;
	for (size_t i = 0; (e = pool_nth(c, i)) != NULL; i++)
		if (strcmp(pool_id_of(e->section), pool) == 0)
			return e;
	return NULL;
}

const char *zt_config_pool_section(const struct zt_config *c, const char *pool)
{
	const struct entry *e = pool ? pool_find(c, pool) : NULL;
	if (e)
		return e->section;
	/* no pool configured at all: the default pool, every setting absent */
	return pool && !pool_nth(c, 0) && strcmp(pool, ZT_POOL_DEFAULT) == 0 ? "pool" : NULL;
}

const char *zt_config_pool_get(const struct zt_config *c, const char *pool, const char *key)
{
	const char *section = zt_config_pool_section(c, pool);
	return section ? zt_config_get(c, section, key) : NULL;
}

const char *zt_config_pool_counties(const struct zt_config *c, const char *pool)
{
	return zt_config_pool_get(c, pool, "counties");
}

bool zt_config_counties_has(const char *counties, const char *county)
{
	if (!counties)
		return true;
	size_t n = strlen(county);
	for (const char *p = counties; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t k = strcspn(p, " \t,");
		if (k && k == n && memcmp(p, county, n) == 0)
			return true;
		p += k;
	}
	return false;
}

/* "A, B" into buf: the pools configured, for messages. */
static const char *pool_names(const struct zt_config *c, char *buf, size_t cap)
{
	size_t n = zt_config_pool_count(c), k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && k < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", zt_config_pool_id(c, i));
	return buf;
}

int zt_config_pool_pick(const struct zt_config *c, const char *want, const char **id_out)
{
	char names[512];
	if (!want || !want[0]) {
		if (zt_config_pool_count(c) == 1) {
			*id_out = zt_config_pool_id(c, 0);
			return 0;
		}
		return zt_error_set(ZT_EINVAL, "several pools are configured (%s): name one with --pool",
		                    pool_names(c, names, sizeof names));
	}
	if (!zt_config_pool_section(c, want))
		return zt_error_set(ZT_EINVAL, "no pool '%.40s' in the configuration (pools: %s)", want,
		                    pool_names(c, names, sizeof names));
	*id_out = zt_config_pool_id(c, 0);
	for (size_t i = 0; i < zt_config_pool_count(c); i++)
		if (strcmp(zt_config_pool_id(c, i), want) == 0)
			*id_out = zt_config_pool_id(c, i);
	return 0;
}

const char *zt_config_pool_of_county(const struct zt_config *c, const char *county)
{
	size_t n = zt_config_pool_count(c);
	for (size_t i = 0; i < n; i++) {
		const char *id = zt_config_pool_id(c, i);
		if (zt_config_counties_has(zt_config_pool_counties(c, id), county))
			return id;
	}
	return NULL;
}

const char *zt_config_pool_of_account(const struct zt_config *c, const char *account)
{
	size_t n = zt_config_pool_count(c);
	for (size_t i = 0; i < n; i++) {
		const char *id = zt_config_pool_id(c, i), *a = zt_config_pool_get(c, id, "account");
		if (a && account && strcmp(a, account) == 0)
			return id;
	}
	return NULL;
}

/* The rules of several pools, checked once the file is read: [pool] alone,
 * or [pool P] sections; with more than one, each lists its counties, no
 * county is in two pools, and they share one time zone (the process keeps
 * one: dates and times people read). ZT_EINVAL with file:line. */
static int check_pool(const struct zt_config *c, size_t i, size_t n, const char **lists,
                      const char **zonep, const struct entry **zone_ep);

static int check_pools(const struct zt_config *c)
{
	size_t n = 0;
	const struct entry *e, *plain = NULL, *named = NULL;
	for (; (e = pool_nth(c, n)) != NULL; n++)
		*(strcmp(e->section, "pool") == 0 ? &plain : &named) = e;
	if (plain && named)
		return zt_error_set(ZT_EINVAL, "%s:%d: [pool] beside [%s] (line %d): with several pools "
		                    "every one is named, [pool ID]", c->path, plain->line, named->section,
		                    named->line);
	const char *zone = NULL;
	const struct entry *zone_e = NULL;
	/* each pool's counties, read once: a province has many */
	const char **lists = zt_calloc(n ? n : 1, sizeof *lists);
	if (!lists)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		const struct entry *ce = find(c, pool_nth(c, i)->section, "counties");
		lists[i] = ce ? ce->value : "";
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = check_pool(c, i, n, lists, &zone, &zone_e);
	free(lists);
	return rc;
}

/* Pool i of n (check_pools): its counties, in no pool before it, and its
 * time zone, the one of the pools before it. */
static int check_pool(const struct zt_config *c, size_t i, size_t n, const char **lists,
                      const char **zonep, const struct entry **zone_ep)
{
	const char *zone = *zonep;
	const struct entry *zone_e = *zone_ep;
	const struct entry *p = pool_nth(c, i);
	const struct entry *ce = find(c, p->section, "counties");
	if (!ce && n > 1)
		return zt_error_set(ZT_EINVAL, "%s:%d: [%s] needs 'counties' (the six-digit county "
		                    "codes it serves): several pools are configured", c->path,
		                    p->line, p->section);
	if (ce && strlen(ce->value) >= ZT_POOL_COUNTIES_BYTES)
		return zt_error_set(ZT_EINVAL, "%s:%d: [%s] counties is longer than %d bytes",
		                    c->path, ce->line, p->section, ZT_POOL_COUNTIES_BYTES - 1);
	if (ce && !ce->value[strspn(ce->value, " \t,")])
		return zt_error_set(ZT_EINVAL, "%s:%d: [%s] counties names no county", c->path,
		                    ce->line, p->section);
	for (const char *q = ce ? ce->value : ""; *q;) {
		while (*q == ' ' || *q == '\t' || *q == ',')
			q++;
		size_t k = strcspn(q, " \t,");
		if (!k)
			break;
		char county[16];
		bool digits = k == ZT_COUNTY_BYTES - 1;
		for (size_t d = 0; d < k && digits; d++)
			digits = isdigit((unsigned char)q[d]);
		if (!digits)
			return zt_error_set(ZT_EINVAL, "%s:%d: [%s] counties: '%.*s' is not a six-digit "
			                    "county code", c->path, ce->line, p->section,
			                    (int)(k < 20 ? k : 20), q);
		memcpy(county, q, k);
		county[k] = '\0';
		for (size_t j = 0; j < i; j++) {
			const char *other = pool_id_of(pool_nth(c, j)->section);
			if (zt_config_counties_has(lists[j], county))
				return zt_error_set(ZT_EINVAL, "%s:%d: [%s] counties: %s is already in pool "
				                    "%s", c->path, ce->line, p->section, county, other);
		}
		q += k;
	}
	const struct entry *tz = find(c, p->section, "timezone");
	const char *z = tz ? tz->value : "Asia/Shanghai";
	if (zone && strcmp(zone, z) != 0)
		return zt_error_set(ZT_EINVAL, "%s:%d: [%s] timezone %s differs from %s (line %d): "
		                    "the pools of one database keep one time zone", c->path,
		                    tz ? tz->line : p->line, p->section, z, zone,
		                    zone_e ? zone_e->line : 0);
	*zonep = z;
	*zone_ep = tz;
	return 0;
}
