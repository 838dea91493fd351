/* zhitong — the pools as the database knows them (issue 13 §2: each pool
 * its own books).
 *
 * A settlement belongs to the pool of its hospital's county and is booked
 * on that pool's accounts (ledger.h zt_ledger_pool_account). `claim
 * submit` may run without a configuration, so the database keeps the
 * pools' counties and accounts as the configuration last said (tables
 * pool_county and pool_account, migration 018): every command run with a
 * configuration that may write (`zhitong --config FILE …`, `zhitong serve`)
 * records them when they differ (a copy of the configuration, not a fact:
 * no audit record; `zhitong status` shows them). A
 * county no pool lists is the pool "default"'s; nothing recorded: every
 * county is. */
#ifndef ZHITONG_POOLS_H
#define ZHITONG_POOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct zt_store; /* store.h */

/* One place of a pool: a county it serves or the account it holds. */
struct zt_pool_place {
	bool account;                /* false: key is a county */
	char key[64];                /* a six-digit county, or the account */
	char pool[ZT_POOL_ID_BYTES];
};

/* The configuration's places (the counties its pools list, their
 * accounts) into the database when they differ from what it holds, in
 * one write transaction; *changed (may be NULL) says whether they did. A
 * configuration without counties nor accounts leaves nothing recorded
 * (every county is then the pool default's). */
int zt_pools_record(struct zt_store *s, const struct zt_config *cfg, bool *changed);

/* What the database holds (`zhitong status`): the counties in code
 * order, then the accounts. */
int zt_pools_each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_pool_place *p),
                  void *ctx);

/* The pool of bank account `account`: the configuration's (cfg may be
 * NULL), else the database's, else ZT_POOL_DEFAULT. */
int zt_pools_of_account(struct zt_store *s, const struct zt_config *cfg, const char *account,
                        char pool[ZT_POOL_ID_BYTES]);

#endif
