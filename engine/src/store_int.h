/* zhitong — private to the store module (store_*.c): every SQL statement of
 * the engine lives in a store_*.c file; nothing else includes sqlite3.h. */
#ifndef ZHITONG_STORE_INT_H
#define ZHITONG_STORE_INT_H

#include <sqlite3.h>

#include "zhitong/store.h"

/* The connection behind a store handle. */
sqlite3 *zt_store_db(struct zt_store *s);
/* Whether zt_store_begin() is in force. */
bool zt_store_in_txn(const struct zt_store *s);

#endif
