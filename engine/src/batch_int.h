/* zhitong — private to the batch domain (batch.c, batch_rules.c). */
#ifndef ZHITONG_BATCH_INT_H
#define ZHITONG_BATCH_INT_H

#include "zhitong/batch.h"

/* Moves batch `id` from `from` to `to` if the life of a batch allows it
 * (ZT_EINTERNAL otherwise: a bug), recording the event; the store's
 * compare-and-set refuses (ZT_ECONFLICT) a batch no longer in `from`. */
int zt_batch_move(struct zt_store *s, const char *id, enum zt_batch_status from,
                  enum zt_batch_status to, const char *actor, const char *action,
                  const char *detail);
/* Adds to batch `b` (its id, fund, through, and what it holds already)
 * every share the rule takes (zt_batch_takes) and stores its new totals;
 * *added_out 0 when there was none to take (nothing is counted then).
 * ZT_ERANGE when a total would leave int64. */
int zt_batch_fill(struct zt_store *s, const struct zt_batch *b, int64_t *added_out);

#endif
