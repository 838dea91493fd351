/* zhitong — group commit: many front doors' inputs share one durable
 * commit (issue 11 §4, docs/spec/service.md "Endpoints").
 *
 * A commit on SQLite (WAL, synchronous=FULL) or PostgreSQL
 * (synchronous_commit on) waits for the disk: one fsync, a few
 * milliseconds, which serialised writers pay one after another. A group
 * takes every input waiting when its leader starts, settles them one after
 * another in ONE write transaction — each input's claims each in their
 * own savepoint, so a rejected claim never touches its neighbours — and
 * commits once; then each input's sink gets `committed`. Inputs are
 * settled in the order they arrived and each sees what the inputs before
 * it wrote, so one person's claims from two desks are serialised exactly
 * as with a transaction each. An input that fails whole (malformed, a
 * storage error, its sink's error) makes the leader roll the group back,
 * answer that input with its error, and settle the others again from
 * their first byte (their `reset` called first): its neighbours never fail
 * with it. A crash at any instant leaves the store as before the group.
 *
 * No thread of its own: the first waiting submitter leads (leader /
 * follower), the others sleep until their input is answered. A bulk input
 * (zt_settle_job.bulk) is settled in chunks of the group's chunk size,
 * each its own transaction, and between two chunks every input that
 * arrived meanwhile is settled first: desks are never stuck behind bulk
 * work. A bulk input must have been checked well-formed before
 * (zt_settle_check), so that a malformed one stores nothing. */
#ifndef ZHITONG_SETTLE_GROUP_H
#define ZHITONG_SETTLE_GROUP_H

#include "settle.h"

struct zt_settle_group;

struct zt_settle_job {
	const struct zt_source *src; /* must rewind (a retry reads it again) */
	enum zt_claim_format format;
	const struct zt_settle_opts *o; /* never a quote */
	const struct zt_settle_sink *sink;
	/* Before the input is settled again: forget what the sink was handed.
	 * Called on the leader's thread. NULL: nothing to forget. */
	void (*reset)(void *ctx);
	void *reset_ctx;
	bool bulk; /* chunks of the group's chunk size, desks between them */
};

/* A group over the store `target` (zt_store_open), which it opens when
 * first needed and keeps; chunk: claims per transaction of a bulk input
 * (0: 200); max: inputs per group (0: 256). */
int zt_settle_group_new(struct zt_settle_group **out, const char *target,
                        const struct zt_store_options *so, unsigned chunk, unsigned max);
/* Settles the job's input and returns as zt_settle_source would (the
 * sink's callbacks run on whichever thread leads the group). */
int zt_settle_group_submit(struct zt_settle_group *g, const struct zt_settle_job *job,
                           struct zt_settle_stats *stats);
/* What the group did so far: commits, inputs committed, retries. */
struct zt_settle_group_stats {
	uint64_t commits, inputs, retries, chunks;
};
void zt_settle_group_stats(struct zt_settle_group *g, struct zt_settle_group_stats *out);
/* Checkpoints run so far by the group's checkpointer (settle_group.c:
 * the group's commits never checkpoint; a thread of its own does, passive,
 * at most every 100 ms after a commit). */
uint64_t zt_settle_group_checkpoints(struct zt_settle_group *g);
/* Whether a checkpoint has run, and finished, since the group's last
 * commit (true too before any commit). */
bool zt_settle_group_checkpointed(struct zt_settle_group *g);
/* Checkpoints that restarted the log (settle_group.c: once the log passes
 * its bound, a RESTART checkpoint lets the next commit write it from its
 * beginning: the log's size stays about its bound under any load). */
uint64_t zt_settle_group_restarts(struct zt_settle_group *g);
/* The log's bound in pages (default 16,384: 64 MiB of 4 KiB pages; 0: the
 * default). */
void zt_settle_group_set_log_pages(struct zt_settle_group *g, long long pages);
/* Inputs waiting for a leader (not those being settled). */
unsigned zt_settle_group_waiting(struct zt_settle_group *g);
/* Every submit must have returned. */
void zt_settle_group_free(struct zt_settle_group *g);

#endif
