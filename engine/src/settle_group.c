/* zhitong — group commit (see settle_group.h).
 *
 * Checkpoints off the commit path: the group's connection never
 * checkpoints on commit (store.h checkpoint_apart; SQLite's automatic
 * checkpoint would otherwise copy the write-ahead log into the database
 * and fsync it inside whichever desk's commit crossed 1000 pages, that
 * desk waiting for it). A thread of the group's own, on a connection of
 * its own, runs a passive checkpoint instead — at most every
 * CHECKPOINT_EVERY_MS, and only after a commit — which waits for no one
 * and which no commit waits for.
 *
 * A bounded log: under steady load a passive checkpoint copies the log
 * but the log is never started afresh (that needs a moment when
 * everything is copied and no reader reads from it before the next
 * commit), so it grew without end — 1.7 GB after 30,000 claims, every
 * read and every checkpoint slower. Once the log passes the bound
 * (g->log_pages) and a passive checkpoint has left little to copy
 * (RESTART_TAIL_PAGES), the checkpointer runs a RESTART checkpoint:
 * writers wait while it copies that little and the readers leave the log
 * (a few milliseconds; it gives up after a few tens), then the next
 * commit writes the log from its beginning. Past four times the bound it
 * restarts whatever is left to copy. */
#include "zhitong/settle_group.h"
#include "zhitong/alloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zhitong/error.h"

struct job {
	const struct zt_settle_job *j;
	struct zt_settle_stats *stats;
	struct zt_settle_run *run;
	struct job *next;
	uint64_t committed; /* a bulk input: claims in chunks committed */
	bool ran;           /* settled in a group that was rolled back since */
	bool answered;      /* the leader's: rc and msg are final */
	bool done;          /* under the lock: answered, its submitter may go */
	bool promoted;      /* under the lock: its submitter leads next */
	pthread_cond_t wake; /* done or promoted */
	int rc;
	char msg[ZT_MESSAGE_BYTES_MAX];
};

struct zt_settle_group {
	pthread_mutex_t lock;
	struct job *desk, **desk_tail; /* in arrival order */
	struct job *bulk, **bulk_tail;
	bool leading;
	unsigned chunk, max;
	char *target;
	struct zt_store_options so;
	struct zt_store *s; /* the leader's; opened when first needed */
	struct job **list;  /* the leader's: a group's inputs */
	struct zt_settle_rules *rules; /* the leader's: policies, catalogues parsed */
	struct zt_settle_group_stats st;
	/* the checkpointer (above): its own lock, never held across a commit */
	pthread_mutex_t ck_lock;
	pthread_cond_t ck_wake;
	pthread_t ck_thread;
	bool ck_started, ck_stop, ck_running;
	uint64_t ck_commits; /* commits since the last checkpoint */
	uint64_t ck_done;    /* checkpoints run */
	uint64_t ck_restarts; /* of which restarted the log */
	long long log_pages;  /* the log's bound */
};

#define CHECKPOINT_EVERY_MS 100
#define LOG_PAGES_DEFAULT 16384 /* 64 MiB of 4 KiB pages */
#define RESTART_TAIL_PAGES 64

int zt_settle_group_new(struct zt_settle_group **out, const char *target,
                        const struct zt_store_options *so, unsigned chunk, unsigned max)
{
	struct zt_settle_group *g = zt_calloc(1, sizeof *g);
	if (!g || !(g->target = strdup(target)) ||
	    !(g->list = zt_malloc((max ? max : 256) * sizeof *g->list)) ||
	    zt_settle_rules_new(&g->rules) != 0) {
		if (g) {
			free(g->target);
			free(g->list);
		}
		free(g);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->ck_lock, NULL);
	pthread_cond_init(&g->ck_wake, NULL);
	g->desk_tail = &g->desk;
	g->bulk_tail = &g->bulk;
	g->chunk = chunk ? chunk : 200;
	g->max = max ? max : 256;
	if (so)
		g->so = *so;
	g->so.readonly = g->so.create = false;
	g->so.checkpoint_apart = true;
	g->log_pages = LOG_PAGES_DEFAULT;
	*out = g;
	return 0;
}

/* ---- the checkpointer ------------------------------------------------------- */

static void *checkpointer(void *arg)
{
	struct zt_settle_group *g = arg;
	struct zt_store *ck = NULL;
	struct zt_store_options so = g->so;
	so.checkpoint_apart = false; /* it commits nothing */
	pthread_mutex_lock(&g->ck_lock);
	while (!g->ck_stop) {
		if (g->ck_commits == 0) {
			pthread_cond_wait(&g->ck_wake, &g->ck_lock);
			continue;
		}
		g->ck_commits = 0;
		g->ck_running = true;
		pthread_mutex_unlock(&g->ck_lock);
		/* a failure (the store unreachable for a moment) is left to the
		 * next round: the log only grows meanwhile, no commit fails */
		bool restarted = false;
		if (ck || zt_store_open(&ck, g->target, &so) == 0) {
			struct zt_checkpoint c = {0};
			int rc = ck->ops->checkpoint(ck, ZT_CHECKPOINT_PASSIVE, &c);
			pthread_mutex_lock(&g->ck_lock);
			long long bound = g->log_pages;
			pthread_mutex_unlock(&g->ck_lock);
			if (rc == 0 && c.log_pages >= bound &&
			    (c.log_pages - c.copied_pages <= RESTART_TAIL_PAGES ||
			     c.log_pages >= 4 * bound)) {
				rc = ck->ops->checkpoint(ck, ZT_CHECKPOINT_RESTART, &c);
				restarted = rc == 0 && c.restarted;
			}
			if (rc != 0) {
				zt_store_close(ck);
				ck = NULL;
			}
		}
		pthread_mutex_lock(&g->ck_lock);
		g->ck_running = false;
		g->ck_done++;
		g->ck_restarts += restarted;
		/* then rest, unless stopped: what commits meanwhile waits for the next */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!g->ck_stop &&
		       pthread_cond_timedwait(&g->ck_wake, &g->ck_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&g->ck_lock);
	zt_store_close(ck);
	return NULL;
}

/* After a commit of the leader's, outside the group's lock: the
 * checkpointer told (started on the first commit of a store that has
 * checkpoints; if it cannot start, the log is checkpointed by the next
 * connection that opens it for writing, as before). */
static void committed(struct zt_settle_group *g)
{
	if (!g->s || !g->s->ops->checkpoint)
		return;
	pthread_mutex_lock(&g->ck_lock);
	if (!g->ck_started && !g->ck_stop)
		g->ck_started = pthread_create(&g->ck_thread, NULL, checkpointer, g) == 0;
	g->ck_commits++;
	pthread_cond_signal(&g->ck_wake);
	pthread_mutex_unlock(&g->ck_lock);
}

uint64_t zt_settle_group_checkpoints(struct zt_settle_group *g)
{
	pthread_mutex_lock(&g->ck_lock);
	uint64_t n = g->ck_done;
	pthread_mutex_unlock(&g->ck_lock);
	return n;
}

uint64_t zt_settle_group_restarts(struct zt_settle_group *g)
{
	pthread_mutex_lock(&g->ck_lock);
	uint64_t n = g->ck_restarts;
	pthread_mutex_unlock(&g->ck_lock);
	return n;
}

void zt_settle_group_set_log_pages(struct zt_settle_group *g, long long pages)
{
	pthread_mutex_lock(&g->ck_lock);
	g->log_pages = pages > 0 ? pages : LOG_PAGES_DEFAULT;
	pthread_mutex_unlock(&g->ck_lock);
}

bool zt_settle_group_checkpointed(struct zt_settle_group *g)
{
	pthread_mutex_lock(&g->ck_lock);
	bool done = g->ck_commits == 0 && !g->ck_running;
	pthread_mutex_unlock(&g->ck_lock);
	return done;
}

void zt_settle_group_free(struct zt_settle_group *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->ck_lock);
	g->ck_stop = true;
	pthread_cond_signal(&g->ck_wake);
	pthread_mutex_unlock(&g->ck_lock);
	if (g->ck_started)
		pthread_join(g->ck_thread, NULL);
	/* the last writer's close checkpoints what is left (SQLite) */
	zt_store_close(g->s);
	pthread_cond_destroy(&g->ck_wake);
	pthread_mutex_destroy(&g->ck_lock);
	pthread_mutex_destroy(&g->lock);
	free(g->target);
	free(g->list);
	zt_settle_rules_free(g->rules);
	free(g);
}

void zt_settle_group_stats(struct zt_settle_group *g, struct zt_settle_group_stats *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->st;
	pthread_mutex_unlock(&g->lock);
}

unsigned zt_settle_group_waiting(struct zt_settle_group *g)
{
	unsigned n = 0;
	pthread_mutex_lock(&g->lock);
	for (struct job *x = g->desk; x; x = x->next)
		n++;
	for (struct job *x = g->bulk; x; x = x->next)
		n++;
	pthread_mutex_unlock(&g->lock);
	return n;
}

/* The job's answer, its message kept (the submitter's thread sets it again). */
static void answer(struct job *x, int rc)
{
	x->rc = rc;
	if (rc)
		snprintf(x->msg, sizeof x->msg, "%s", zt_error_last());
	zt_settle_run_close(x->run);
	x->run = NULL;
	x->answered = true;
}

/* The store, opened when first needed; after a failed begin or commit it
 * is closed, so the next group opens it again — but for a lost connection
 * (ZT_EUNAVAILABLE), which the store makes again itself, its back-off
 * kept (PostgreSQL: pg/open.c). */
static int store(struct zt_settle_group *g)
{
	return g->s ? 0 : zt_store_open(&g->s, g->target, &g->so);
}

static void store_drop(struct zt_settle_group *g)
{
	zt_store_close(g->s);
	g->s = NULL;
}

/* Settles x's input (again, if it ran in a group rolled back) into the
 * open transaction. */
static int settle_into(struct zt_settle_group *g, struct job *x, uint64_t max, bool *done)
{
	int rc = 0;
	if (!x->run) {
		rc = zt_settle_run_open(&x->run, x->j->src, x->j->format, x->j->o, x->j->sink,
		                        x->stats);
		if (rc == 0)
			zt_settle_run_share_rules(x->run, g->rules);
		if (rc == 0 && x->j->bulk)
			zt_settle_run_step_time(x->run, ZT_SETTLE_CHUNK_NS);
	} else if (x->ran) {
		if (x->j->reset)
			x->j->reset(x->j->reset_ctx);
		rc = zt_settle_run_rewind(x->run);
	}
	x->ran = true;
	return rc ? rc : zt_settle_run_step(x->run, g->s, max, done);
}

/* One group: the desks' inputs n of `list`, one transaction, one commit.
 * An input that fails is answered with its error and the group settled
 * again without it. */
/* Whether the transaction that failed failed late (store.h failed_late),
 * once per group: settled again, the store writes at once. */
static bool late(struct zt_settle_group *g, bool *retried)
{
	if (*retried || !g->s->ops->failed_late || !g->s->ops->failed_late(g->s))
		return false;
	*retried = true;
	return true;
}

static void desk_group(struct zt_settle_group *g, struct job **list, unsigned n, unsigned *retries)
{
	unsigned live = n;
	bool late_retried = false, lost_retried = false;
	while (live) {
		int rc = store(g);
		if (rc == 0 && (rc = g->s->ops->begin(g->s, ZT_TXN_WRITE)) != 0 && rc != ZT_EUNAVAILABLE)
			store_drop(g);
		zt_settle_rules_recheck(g->rules);
		if (rc) {
			for (unsigned i = 0; i < n; i++)
				if (!list[i]->answered)
					answer(list[i], rc);
			return;
		}
		struct job *failed = NULL;
		for (unsigned i = 0; i < n && !failed; i++) {
			struct job *x = list[i];
			bool done;
			if (!x->answered && (rc = settle_into(g, x, 0, &done)) != 0)
				failed = x;
		}
		if (failed && rc == ZT_EUNAVAILABLE && !lost_retried) {
			/* the connection lost before the commit: nothing of the
			 * group is stored; all again, once, on the connection the
			 * store makes again at begin (else each answered 503) */
			lost_retried = true;
			g->s->ops->rollback(g->s);
			continue;
		}
		if (failed && rc != ZT_EUNAVAILABLE && late(g, &late_retried)) {
			/* a write of an input before it may have failed (store.h
			 * failed_late): all again, each write read at once */
			g->s->ops->rollback(g->s);
			continue;
		}
		if (failed) {
			char msg[ZT_MESSAGE_BYTES_MAX];
			snprintf(msg, sizeof msg, "%s", zt_error_last());
			g->s->ops->rollback(g->s);
			zt_error_set(rc, "%s", msg);
			answer(failed, rc);
			live--;
			++*retries;
			continue;
		}
		if ((rc = g->s->ops->commit(g->s)) != 0) {
			/* lost during COMMIT (ZT_EUNAVAILABLE): committed or not,
			 * nobody knows; never settled again here — each input is
			 * answered so, and the same claim sent again is answered
			 * as stored or settled once (settle.c known_claim) */
			if (rc != ZT_EUNAVAILABLE && late(g, &late_retried))
				continue; /* rolled back: all again, each write read at once */
			if (rc != ZT_EUNAVAILABLE)
				store_drop(g);
			for (unsigned i = 0; i < n; i++)
				if (!list[i]->answered)
					answer(list[i], rc);
			return;
		}
		committed(g);
		for (unsigned i = 0; i < n; i++)
			if (!list[i]->answered)
				answer(list[i], zt_settle_run_committed(list[i]->run));
		return;
	}
}

/* One chunk of a bulk input in its own transaction: true when the input
 * is answered. */
static bool bulk_chunk(struct zt_settle_group *g, struct job *x)
{
	bool done = false, fresh = !x->ran; /* a chunk after those committed */
	struct zt_settle_stats at = *x->stats; /* the chunk's start */
	int rc = store(g);
	if (rc == 0 && (rc = g->s->ops->begin(g->s, ZT_TXN_WRITE)) != 0 && rc != ZT_EUNAVAILABLE)
		store_drop(g);
	zt_settle_rules_recheck(g->rules);
	bool ran = rc == 0;
	if (rc == 0 && (rc = settle_into(g, x, g->chunk, &done)) != 0)
		g->s->ops->rollback(g->s);
	else if (rc == 0 && (rc = g->s->ops->commit(g->s)) != 0 && rc != ZT_EUNAVAILABLE &&
	         !(g->s->ops->failed_late && g->s->ops->failed_late(g->s)))
		store_drop(g);
	if (rc && rc != ZT_EUNAVAILABLE && ran && fresh && g->s && x->run && g->s->ops->failed_late &&
	    g->s->ops->failed_late(g->s))
		/* a write failed, reported in a later call: the chunk again, each
		 * write read at once, to name its claim */
		rc = zt_settle_run_again(x->run, g->s, x->committed, &at, g->chunk, rc);
	if (rc == 0) {
		committed(g);
		x->ran = false; /* committed: never settled again */
		x->committed = x->stats->claims;
		if (done)
			answer(x, zt_settle_run_committed(x->run));
		return done;
	}
	if (x->committed) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		zt_error_set(rc, "%s (the chunks before were committed: %llu claims answered, the "
		             "rest not; submit the same input again to finish it, the settled claims "
		             "are answered as before)", why, (unsigned long long)x->committed);
	}
	answer(x, rc);
	return true;
}

/* The leader's round, the lock held on entry and on return: every desk
 * input waiting (up to max) in one group, then one chunk of the first
 * bulk input. */
static void lead(struct zt_settle_group *g)
{
	struct job **list = g->list;
	unsigned n = 0;
	if (g->desk) {
		while (g->desk && n < g->max) {
			list[n++] = g->desk;
			g->desk = g->desk->next;
		}
		if (!g->desk)
			g->desk_tail = &g->desk;
	}
	struct job *b = g->bulk;
	if (b && !(g->bulk = b->next))
		g->bulk_tail = &g->bulk;
	pthread_mutex_unlock(&g->lock);

	unsigned retries = 0;
	if (n)
		desk_group(g, list, n, &retries);
	bool bulk_done = b ? bulk_chunk(g, b) : false;

	pthread_mutex_lock(&g->lock);
	if (n) {
		g->st.commits++;
		g->st.inputs += n - retries;
		g->st.retries += retries;
	}
	if (b) {
		g->st.chunks++;
		if (!bulk_done) { /* behind whatever arrived meanwhile */
			b->next = NULL;
			*g->bulk_tail = b;
			g->bulk_tail = &b->next;
		}
	}
	/* each submitter woken alone: a broadcast would wake every waiting
	 * thread (hundreds, under load) for each group */
	for (unsigned i = 0; i < n; i++) {
		list[i]->done = true;
		pthread_cond_signal(&list[i]->wake);
	}
	if (bulk_done) {
		b->done = true;
		pthread_cond_signal(&b->wake);
	}
}

/* The lock held: leadership to the first input waiting, if any. */
static void hand_over(struct zt_settle_group *g)
{
	struct job *next = g->desk ? g->desk : g->bulk;
	if (!next) {
		g->leading = false;
		return;
	}
	next->promoted = true;
	pthread_cond_signal(&next->wake);
}

int zt_settle_group_submit(struct zt_settle_group *g, const struct zt_settle_job *j,
                           struct zt_settle_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	if (j->o->quote)
		return zt_error_set(ZT_EINTERNAL, "a quote is never group-committed");
	struct job x = {.j = j, .stats = stats};
	pthread_cond_init(&x.wake, NULL);
	pthread_mutex_lock(&g->lock);
	if (j->bulk) {
		*g->bulk_tail = &x;
		g->bulk_tail = &x.next;
	} else {
		*g->desk_tail = &x;
		g->desk_tail = &x.next;
	}
	if (!g->leading) {
		g->leading = true;
		x.promoted = true;
	}
	for (;;) {
		while (!x.done && !x.promoted)
			pthread_cond_wait(&x.wake, &g->lock);
		if (x.done)
			break;
		/* the leader, until its own input is answered */
		x.promoted = false;
		while (!x.done)
			lead(g);
		hand_over(g);
		break;
	}
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&x.wake);
	if (x.rc)
		zt_error_set(x.rc, "%s", x.msg);
	return x.rc;
}
