/* zhitong — the audit trail's use cases (docs/spec/service.md "Audit
 * trail"; issue 11): list, verify, head. The chain itself — canonical
 * form, hashes, the verifier, the head file — is audit.h's; the store
 * writes every record chained (store.h audit.write). Each use case is one
 * read snapshot.
 *
 *   list    zt_audit_trail_list: the records a filter selects, in order
 *   verify  zt_audit_trail_verify: the whole chain from record 1, against
 *           the store's count of records written and optionally a
 *           published head: the first record altered, removed, inserted,
 *           reordered or rewritten
 *   head    zt_audit_trail_head: the last record of an intact chain, to
 *           publish (zt_audit_head_write signs it) */
#ifndef ZHITONG_AUDIT_TRAIL_H
#define ZHITONG_AUDIT_TRAIL_H

#include "audit.h"
#include "store.h"

/* ZT_EINVAL for a --from or --to that is not a date (YYYY-MM-DD) or a
 * --from after --to. */
int zt_audit_trail_list(struct zt_store *s, const struct zt_audit_filter *f,
                        int (*cb)(void *ctx, const struct zt_audit_record *r), void *ctx);

/* 0 when intact (out->last the last record), ZT_EINVAL when not (out
 * names the first record concerned, as zt_audit_verify), or a storage
 * error. `head` (may be NULL) is a published head. */
int zt_audit_trail_verify(struct zt_store *s, const struct zt_audit_head *head,
                          struct zt_audit_verdict *out);

/* The same, inside a read transaction the caller holds (verify.c runs it
 * in verify's one snapshot). */
int zt_audit_trail_verify_in(struct zt_store *s, const struct zt_audit_head *head,
                             struct zt_audit_verdict *out);

/* The head of the chain, verified first: a broken chain has no head to
 * publish (ZT_EINVAL, the verifier's message). The empty trail's head is
 * record 0. */
int zt_audit_trail_head(struct zt_store *s, struct zt_audit_head *out);

#endif
