/* zhitong — the configuration file (--config PATH or $ZHITONG_CONFIG).
 *
 * A small INI dialect, read strictly:
 *
 *   # comment
 *   [signing]
 *   key = /etc/zhitong/pool-ed25519.pem
 *
 *   [fund 390100]
 *   gateway = http
 *   url = https://payer.example/zhitong/batches
 *
 * Section names are one or two words ("pool", "fund 390100", "hospital
 * H51010101"); keys are [a-z0-9.-]+; values run to the end of the line or
 * to a comment, trimmed. A comment starts with '#' at the start of a line
 * or after white space (`key = value   # note`, `[pool]   # note`); a '#'
 * inside a word is part of the value (`url = https://host/a#b`), so a value
 * cannot hold white space followed by '#'. A line starting with ';' is a
 * comment too. A malformed section header (`[fund 390100`, `[]`, `[a b c]`,
 * `[fund]`, text after `]`), an unknown section or key, a key
 * without a value or set twice, a line over 4095 bytes, a NUL byte, and a
 * [pool] timezone the system's tzdata does not know are refused at load time with the file and line, so a typo
 * never silently falls back to a default. The file holds paths to keys and
 * certificates, never the secrets themselves. */
#ifndef ZHITONG_CONFIG_H
#define ZHITONG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"
#include "policy.h" /* ZT_COUNTY_BYTES */

struct zt_config;

/* Loads and checks `path`; NULL or "" gives an empty configuration (every
 * setting at its default). */
int zt_config_load(struct zt_config **out, const char *path);
/* The same on a configuration held in memory (len bytes of text, which
 * need not be NUL-terminated); `name` stands for the path in messages
 * ("NAME:LINE: ...") and in zt_config_path. */
int zt_config_parse(struct zt_config **out, const char *name, const char *text, size_t len);
void zt_config_free(struct zt_config *c);
/* The path it was loaded from ("" if none). */
const char *zt_config_path(const struct zt_config *c);

/* The value of `key` in `section` ("fund 390100"), or NULL. */
const char *zt_config_get(const struct zt_config *c, const char *section, const char *key);
/* Typed getters: `dflt` when absent; ZT_EINVAL (message with file:line) if
 * present but malformed. */
int zt_config_int(const struct zt_config *c, const char *section, const char *key, int64_t dflt,
                  int64_t min, int64_t max, int64_t *out);
int zt_config_amount(const struct zt_config *c, const char *section, const char *key,
                     zt_fen dflt, zt_fen *out);

/* Calls cb for every section whose first word is `kind` ("fund"), with
 * the second word ("390100"). */
int zt_config_each_section(const struct zt_config *c, const char *kind,
                           int (*cb)(void *ctx, const char *name), void *ctx);

/* ---- pools (issue 13: several pools in one database) ----------------------------
 *
 *   [pool]               the only pool, id "default" (the file of before)
 *   [pool A]             or one section per pool, each named ([A-Za-z0-9_-],
 *   counties = 510101    at most 32); with more than one, each lists the
 *                        counties it serves (six-digit codes, separated by
 *                        white space or commas), a county in one pool only
 *
 * A settlement belongs to the pool of its hospital's county (registry):
 * the pool advances to that hospital, bills its claims' funds and is paid
 * into its account. [pool] and [pool A] together are refused, as are
 * pools with differing time zones (the process keeps one). */
#define ZT_POOL_DEFAULT "default"
#define ZT_POOL_ID_BYTES 33
/* a pool's `counties` as written, at most this long with its NUL */
#define ZT_POOL_COUNTIES_BYTES 1024

/* How many pools (1 when the file has no pool section: the default pool,
 * every setting absent), and the id of the i-th in file order. */
size_t zt_config_pool_count(const struct zt_config *c);
const char *zt_config_pool_id(const struct zt_config *c, size_t i);
/* The section of pool `pool` ("pool" or "pool A"), NULL if not configured. */
const char *zt_config_pool_section(const struct zt_config *c, const char *pool);
/* A setting of a pool's section, or NULL. */
const char *zt_config_pool_get(const struct zt_config *c, const char *pool, const char *key);
/* The pool's `counties` as written, NULL when it takes every county (the
 * only pool, without a list). */
const char *zt_config_pool_counties(const struct zt_config *c, const char *pool);
/* Whether `county` is in a `counties` list (NULL: every county). Pure. */
bool zt_config_counties_has(const char *counties, const char *county);
/* The pool an operation acts for: `want` if configured; NULL or "" the
 * only pool. ZT_EINVAL naming the pools for an unknown pool, and for none
 * named when several are configured ("name one with --pool"). *id_out
 * lives as long as the configuration. */
int zt_config_pool_pick(const struct zt_config *c, const char *want, const char **id_out);
/* The pool serving `county`, or NULL. */
const char *zt_config_pool_of_county(const struct zt_config *c, const char *county);
/* The pool whose `account` is `account`, or NULL. */
const char *zt_config_pool_of_account(const struct zt_config *c, const char *account);

#endif
