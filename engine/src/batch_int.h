/* zhitong — private to the batch domain (batch_lifecycle.c, batch_file.c,
 * batch_file_check.c, batch_send.c, batch_repay.c, batch_rules.c). */
#ifndef ZHITONG_BATCH_INT_H
#define ZHITONG_BATCH_INT_H

#include <string.h>

#include "zhitong/batch.h"

/* Moves batch `id` from `from` to `to` if the life of a batch allows it
 * (ZT_EINTERNAL otherwise: a bug), recording the event; the store's
 * compare-and-set refuses (ZT_ECONFLICT) a batch no longer in `from`. */
int zt_batch_move(struct zt_store *s, const char *id, enum zt_batch_status from,
                  enum zt_batch_status to, const char *actor, const char *action,
                  const char *detail);
/* The audit record of a batch's event (docs/spec/service.md "Audit trail":
 * every batch step appends one), in the caller's write transaction:
 * action "batch " + e->action, subject "batch ID", detail "FROM -> TO" (or
 * the status it stays in; none with `to` NULL) and e->detail, and `digest` (of the file an
 * export wrote, or NULL). Every writer of a batch event calls it. */
int zt_batch_audit(struct zt_store *s, const char *id, const char *from, const char *to,
                   const struct zt_batch_event *e, const unsigned char *digest);
/* zt_batch_move with `digest` for its audit record. */
int zt_batch_move_digest(struct zt_store *s, const char *id, enum zt_batch_status from,
                         enum zt_batch_status to, const char *actor, const char *action,
                         const char *detail, const unsigned char *digest);

/* Adds to batch `b` (its id, fund, through, and what it holds already)
 * every share the rule takes (zt_batch_takes) and stores its new totals;
 * *added_out 0 when there was none to take (nothing is counted then).
 * ZT_ERANGE when a total would leave int64. */
int zt_batch_fill(struct zt_store *s, const struct zt_batch *b, int64_t *added_out);

/* Who does this, normalised (actor.h) into `who`, and *actor pointed at
 * it: that spelling is what maker-checker compares, what is recorded and
 * what goes into the payer file (created/approved by). (batch_lifecycle.c) */
int zt_batch_actor(char who[ZT_ACTOR_BYTES], const char **actor);
/* 32 bytes of a SHA-256 as 64 lowercase hex digits. */
void zt_batch_hex(char out[ZT_BATCH_HEX_BYTES], const unsigned char *md);

/* One canonical digest line: ten fields of at most a few hundred bytes. */
#define ZT_BATCH_DIGEST_LINE_BYTES 2048

/* Appends `v` and a separator to a digest line. */
static inline void zt_batch_line_add(char *line, size_t *n, const char *v, char sep)
{
	size_t l = strlen(v);
	if (*n + l + 1 >= ZT_BATCH_DIGEST_LINE_BYTES)
		l = 0; /* cannot happen with the store's field limits; the caller checks */
	memcpy(line + *n, v, l);
	*n += l;
	line[(*n)++] = sep;
}

/* The canonical line of one record (see payer-file.xsd, "digest"): what
 * the export hashes and what `batch verify` hashes again. */
static inline size_t zt_batch_digest_line(char line[ZT_BATCH_DIGEST_LINE_BYTES], const char *id,
                                          const char *setl_id, const char *reverses,
                                          const char *hospital, const char *claim_no,
                                          const char *psn_no, const char *date,
                                          const char *kind, const char *amount, bool payable)
{
	size_t n = 0;
	zt_batch_line_add(line, &n, id, '\t');
	zt_batch_line_add(line, &n, setl_id, '\t');
	zt_batch_line_add(line, &n, reverses, '\t');
	zt_batch_line_add(line, &n, hospital, '\t');
	zt_batch_line_add(line, &n, claim_no, '\t');
	zt_batch_line_add(line, &n, psn_no, '\t');
	zt_batch_line_add(line, &n, date, '\t');
	zt_batch_line_add(line, &n, kind, '\t');
	zt_batch_line_add(line, &n, amount, '\t');
	zt_batch_line_add(line, &n, payable ? "true" : "false", '\n');
	return n;
}

#endif
