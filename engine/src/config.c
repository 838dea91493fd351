/* zhitong — the configuration file (see config.h). */
#include "zhitong/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zhitong/error.h"

/* Every key the engine knows, per section kind. A key outside this list is
 * an error: a misspelt setting must not silently fall back to a default. */
static const struct {
	const char *section; /* first word of the section name */
	const char *keys;    /* space-separated */
} known[] = {
	{"signing", " key public-key "},
	{"pool", " name account bic currency bank-name "},
	{"advance", " target-days min-topup "},
	{"hospital", " target account bic name "},
	{"fund", " gateway url ca-file client-cert client-key connect-timeout-ms total-timeout-ms "
	         "max-attempts backoff-initial-ms backoff-max-ms outbox inbox account bic "},
	{"reconcile", " date-tolerance-days expected-within-days amount-tolerance "},
	{"store", " busy-timeout-ms "},
	{"service", " listen metrics-listen tls-cert tls-key client-ca tls-priorities idle-timeout-s "
	            "max-connections max-connections-per-address max-body-bytes user-rate-per-s "
	            "user-burst address-rate-per-s address-burst trusted-proxy log stop-timeout-s "},
};

struct entry {
	char *section, *key, *value;
	int line;
};

struct zt_config {
	char path[1024];
	struct entry *e;
	size_t n, cap;
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

static bool section_known(const char *section)
{
	char kind[128];
	snprintf(kind, sizeof kind, "%s", section);
	char *sp = strchr(kind, ' ');
	bool two = sp != NULL;
	if (sp)
		*sp = '\0';
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strcmp(known[i].section, kind) == 0)
			return two == (strcmp(kind, "fund") == 0 || strcmp(kind, "hospital") == 0);
	return false;
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
	free(c);
}

int zt_config_load(struct zt_config **out, const char *path)
{
	struct zt_config *c = calloc(1, sizeof *c);
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
	char line[4096], section[128] = "";
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = zt_error_set(ZT_EINVAL, "%s:%d: line too long", path, lineno);
			break;
		}
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end || end[1]) {
				rc = zt_error_set(ZT_EINVAL, "%s:%d: malformed section header", path, lineno);
				break;
			}
			*end = '\0';
			char *name = trim(s + 1);
			/* collapse inner white space to one space */
			char norm[128];
			size_t k = 0;
			for (char *p = name; *p && k + 1 < sizeof norm; p++) {
				if (isspace((unsigned char)*p)) {
					if (k && norm[k - 1] != ' ')
						norm[k++] = ' ';
				} else
					norm[k++] = *p;
			}
			norm[k] = '\0';
			if (!section_known(norm)) {
				rc = zt_error_set(ZT_EINVAL, "%s:%d: unknown section [%s]", path, lineno, norm);
				break;
			}
			snprintf(section, sizeof section, "%s", norm);
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
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			struct entry *ne = realloc(c->e, cap * sizeof *ne);
			if (!ne) {
				rc = zt_error_set(ZT_ENOMEM, "out of memory");
				break;
			}
			c->e = ne;
			c->cap = cap;
		}
		struct entry *e = &c->e[c->n];
		e->section = strdup(section);
		e->key = strdup(key);
		e->value = strdup(value);
		e->line = lineno;
		c->n++;
		if (!e->section || !e->key || !e->value) {
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
			break;
		}
	}
	fclose(f);
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
