/* zhitong — group commit and chunked bulk input (issue 11 §4,
 * engine/include/zhitong/settle_group.h, settle.h zt_settle_chunked).
 *
 * In process, with threads: N desks submitting at once share commits, one
 * of them failing whole never fails the others, and the accumulators are
 * exactly those of the same claims settled one transaction each; a crash
 * inside a group leaves the store as before the group; a malformed bulk
 * file stores nothing; a desk's claim is answered while a bulk input is
 * being settled, between two of its chunks.
 *
 * No timing: which inputs share a group is forced by a sink that holds
 * its leader until the others are queued (zt_settle_group_waiting), and
 * the order of answers is read from a log of events, never from a clock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/settle_group.h"

#define DESKS 12

/* ---- a desk: one input, its sink and its answer ----------------------------------- */

struct desk {
	struct zt_settle_group *g;
	char *body;
	bool bulk;
	struct zt_buffer_reader at;
	struct zt_source src;
	struct zt_settle_opts o;
	struct zt_settle_sink sink;
	struct zt_settle_stats st;
	int rc;
	int settled, rejected, committed, resets;
	/* held: the first settlement waits until this many inputs are queued */
	unsigned hold_until_waiting;
	/* the settlement after which the process dies (0: never) */
	int die_after;
	void (*on_settled)(struct desk *d); /* after each settlement, if set */
	int event;                          /* its `committed`, in the log's order */
	bool leading;                       /* its first outcome came */
	char msg[ZT_MESSAGE_BYTES_MAX];     /* its error's message */
};

/* Starts desk d and waits until its input is being settled (d must hold
 * its group): the desks started after it are the next group. */
static void *desk_run(void *arg);
static void start_leader(pthread_t *t, struct desk *d)
{
	pthread_create(t, NULL, desk_run, d);
	while (!__atomic_load_n(&d->leading, __ATOMIC_SEQ_CST))
		sched_yield();
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_next;

static int d_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	struct desk *d = ctx;
	(void)st;
	(void)replayed;
	d->settled++;
	__atomic_store_n(&d->leading, true, __ATOMIC_SEQ_CST);
	if (d->die_after && d->settled == d->die_after)
		abort(); /* the crash, inside the group's transaction */
	if (d->hold_until_waiting) {
		while (zt_settle_group_waiting(d->g) < d->hold_until_waiting)
			sched_yield();
		d->hold_until_waiting = 0;
	}
	if (d->on_settled)
		d->on_settled(d);
	return 0;
}

static int d_rejected(void *ctx, const struct zt_rejection *r)
{
	struct desk *d = ctx;
	(void)r;
	d->rejected++;
	return 0;
}

static int d_committed(void *ctx, const struct zt_settle_stats *st)
{
	struct desk *d = ctx;
	(void)st;
	d->committed++;
	pthread_mutex_lock(&log_lock);
	d->event = ++log_next;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

static void d_reset(void *ctx)
{
	struct desk *d = ctx;
	d->settled = d->rejected = 0;
	d->resets++;
}

static void desk_init(struct desk *d, struct zt_settle_group *g, char *body)
{
	memset(d, 0, sizeof *d);
	d->g = g;
	d->body = body;
	d->src = zt_source_buffer(&d->at, body, strlen(body), "a desk's claim");
	d->o = (struct zt_settle_opts){.actor = "desk"};
	d->sink = (struct zt_settle_sink){.settled = d_settled, .rejected = d_rejected,
	                                  .committed = d_committed, .ctx = d};
}

static void *desk_run(void *arg)
{
	struct desk *d = arg;
	const struct zt_settle_job job = {.src = &d->src, .format = ZT_CLAIM_FORMAT_XML, .o = &d->o,
	                                  .sink = &d->sink, .reset = d_reset, .reset_ctx = d,
	                                  .bulk = d->bulk};
	d->rc = zt_settle_group_submit(d->g, &job, &d->st);
	if (d->rc)
		snprintf(d->msg, sizeof d->msg, "%s", zt_error_last());
	return NULL;
}

/* A claim of the sample world for `psn`, small enough that no cap binds:
 * the year's totals do not depend on the order the claims settle in. */
static char *claim(const char *claim_no, const char *psn, int day)
{
	char dscg[16], *buf = malloc(4096);
	snprintf(dscg, sizeof dscg, "2017-03-%02d", day);
	return (char *)zt_test_claim_xml(buf, 4096, claim_no, psn, dscg, "1200.00");
}

/* <claims> of n claims of the sample world, for persons in turn. */
static char *claims_list(int n, const char *prefix, bool truncated)
{
	static const char *const psn[] = {"P0000001", "P0000002", "P0000003"};
	size_t cap = (size_t)n * 1024 + 256, len = 0;
	char *out = malloc(cap);
	len += (size_t)snprintf(out, cap, "<claims xmlns=\"urn:zhitong:claim:1\">\n");
	for (int i = 0; i < n; i++) {
		char no[32];
		snprintf(no, sizeof no, "%s-%05d", prefix, i);
		char *c = claim(no, psn[i % 3], 1 + i % 28);
		char *el = strstr(c, "<claim ");
		len += (size_t)snprintf(out + len, cap - len, "%s", el);
		free(c);
	}
	if (truncated)
		len -= 40; /* half-way through the last claim */
	else
		len += (size_t)snprintf(out + len, cap - len, "</claims>\n");
	out[len] = '\0';
	return out;
}

static const char *sample_db(const char *name)
{
	struct zt_store *s = zt_test_store(name);
	zt_test_load_sample(s);
	zt_store_close(s);
	return strdup(tmp_path(name));
}

static void expect_verify_clean(const char *db)
{
	free(zt_test_db_ok(db, "verify"));
}

/* Runs n desks in two groups: desk 0 leads one of its own and holds it
 * until the n - 1 others wait, which are then the second. */
static void two_groups(struct desk *d, int n)
{
	pthread_t t[DESKS];
	cr_assert(n <= DESKS);
	d[0].hold_until_waiting = (unsigned)n - 1;
	start_leader(&t[0], &d[0]);
	for (int i = 1; i < n; i++)
		pthread_create(&t[i], NULL, desk_run, &d[i]);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* ---- group commit ----------------------------------------------------------------- */

Test(group, concurrent_desks_share_commits_and_a_failing_one_fails_alone, .timeout = 300)
{
	const char *db = sample_db("group.db");
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 0, 0), 0, "%s", zt_error_last());
	static struct desk d[DESKS];
	char no[32];
	for (int i = 0; i < DESKS; i++) {
		snprintf(no, sizeof no, "G-%02d", i);
		/* two desks of one person: P0000001 has every other claim */
		desk_init(&d[i], g, claim(no, i % 2 ? "P0000001" : "P0000002", 1 + i));
	}
	/* one body malformed (refused whole), one claim of a stranger (rejected) */
	char *bad = d[5].body;
	bad[strlen(bad) - 12] = '\0';
	char *stranger = strstr(d[8].body, "P000000");
	memcpy(stranger, "P9999999", 8);
	/* the malformed one among the second group */
	two_groups(d, DESKS);

	struct zt_settle_group_stats gs;
	zt_settle_group_stats(g, &gs);
	cr_expect_eq(gs.commits, 2, "%llu commits for %d inputs", (unsigned long long)gs.commits,
	             DESKS);
	cr_expect_eq(gs.retries, 1, "the group settled again without the malformed input");
	zt_settle_group_free(g);
	for (int i = 0; i < DESKS; i++) {
		if (i == 5) {
			cr_expect_eq(d[i].rc, ZT_EMALFORMED, "the malformed body: %d", d[i].rc);
			cr_expect_eq(d[i].committed, 0);
			continue;
		}
		cr_expect_eq(d[i].rc, 0, "desk %d: %s", i, zt_error_last());
		cr_expect_eq(d[i].committed, 1, "desk %d told once", i);
		cr_expect_eq(d[i].settled + d[i].rejected, 1, "desk %d: its one outcome", i);
		cr_expect_eq(d[i].rejected, i == 8, "desk %d", i);
	}
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), DESKS - 2);

	/* the same claims, one transaction each, in another store: the same
	 * accumulators to the fen */
	const char *serial = sample_db("serial.db");
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, serial, NULL), 0);
	for (int i = 0; i < DESKS; i++) {
		struct zt_settle_stats st;
		int rc = zt_test_settle_buffer(s, d[i].body, strlen(d[i].body), ZT_CLAIM_FORMAT_XML,
		                               &d[i].o, NULL, &st);
		cr_assert_eq(rc, i == 5 ? ZT_EMALFORMED : 0);
	}
	zt_store_close(s);
	const char *q = "SELECT psn_no, year, slot, amount FROM accum ORDER BY 1, 2, 3";
	char *want = zt_test_rows(serial, "%s", q), *got = zt_test_rows(db, "%s", q);
	cr_expect(strlen(want) > 0);
	cr_expect_str_eq(got, want, "the accumulators of the group commit");
	free(want);
	free(got);
	expect_verify_clean(db);
	for (int i = 0; i < DESKS; i++)
		free(d[i].body);
}

Test(group, a_crash_inside_a_group_leaves_the_store_as_before_it, .timeout = 300)
{
	const char *db = sample_db("crash.db");
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct zt_settle_group *g;
		if (zt_settle_group_new(&g, db, NULL, 0, 0) != 0)
			_exit(3);
		static struct desk d[4];
		desk_init(&d[0], g, claim("C-0", "P0000001", 1));
		desk_init(&d[1], g, claim("C-1", "P0000001", 2));
		desk_init(&d[2], g, claim("C-2", "P0000002", 3));
		desk_init(&d[3], g, claim("C-3", "P0000003", 4));
		d[0].hold_until_waiting = 3; /* C-1..C-3 are one group */
		d[3].die_after = 1;          /* which dies at its last input */
		signal(SIGABRT, SIG_DFL);
		pthread_t t[4];
		start_leader(&t[0], &d[0]);
		for (int i = 1; i < 4; i++)
			pthread_create(&t[i], NULL, desk_run, &d[i]);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		_exit(4); /* never: the process aborts inside the second group */
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "the child did not crash (%d)", st);
	/* the first group committed, the second left nothing */
	cr_expect_str_eq(zt_test_rows(db, "SELECT claim_no FROM claim ORDER BY 1"), "C-0\n");
	expect_verify_clean(db);
	/* and the store goes on: the same claims again settle */
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 0, 0), 0);
	static struct desk again;
	desk_init(&again, g, claim("C-1", "P0000001", 2));
	desk_run(&again);
	cr_expect_eq(again.rc, 0, "%s", zt_error_last());
	zt_settle_group_free(g);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 2);
	expect_verify_clean(db);
}

/* ---- bulk input in chunks --------------------------------------------------------- */

Test(bulk, a_malformed_file_stores_nothing, .timeout = 300)
{
	const char *db = sample_db("bulk-bad.db");
	char *text = claims_list(120, "B", true);
	const char *file = zt_test_write("bad-bulk.xml", text);
	/* in process, chunks of 10 */
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0);
	FILE *f = fopen(file, "rb");
	struct zt_source src = zt_source_file(f, file);
	struct zt_settle_opts o = {.actor = "bulk"};
	struct zt_settle_stats st;
	cr_expect_eq(zt_settle_chunked(s, &src, ZT_CLAIM_FORMAT_XML, &o, NULL, &st, 10),
	             ZT_EMALFORMED, "%s", zt_error_last());
	fclose(f);
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM claim"), 0);
	/* and through the program */
	struct run r = zt_test_db(db, "claim submit --chunk 10 '%s'", file);
	cr_expect_eq(r.code, 2, "exit %d: %s", r.code, r.err);
	run_free(&r);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM claim"), 0);
	/* the same file whole settles in chunks, the same as in one transaction */
	free(text);
	text = claims_list(120, "B", false);
	file = zt_test_write("bulk.xml", text);
	char *chunked = zt_test_db_ok(db, "claim submit --chunk 7 '%s'", file);
	const char *one = sample_db("bulk-one.db");
	char *whole = zt_test_db_ok(one, "claim submit --chunk 0 '%s'", file);
	cr_expect_str_eq(chunked, whole, "the answer does not depend on the chunks");
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 120);
	const char *q = "SELECT psn_no, year, slot, amount FROM accum ORDER BY 1, 2, 3";
	char *a = zt_test_rows(db, "%s", q), *b = zt_test_rows(one, "%s", q);
	cr_expect_str_eq(a, b);
	expect_verify_clean(db);
	free(a);
	free(b);
	free(chunked);
	free(whole);
	free(text);
}

/* The bulk input's first settlement starts a desk and waits until it is
 * queued: the desk must be answered before the bulk input ends. */
static struct desk bulk_desk;
static pthread_t bulk_desk_thread;

static void start_desk(struct desk *b)
{
	if (b->settled != 1)
		return;
	pthread_create(&bulk_desk_thread, NULL, desk_run, &bulk_desk);
	while (zt_settle_group_waiting(b->g) < 1)
		sched_yield();
}

Test(bulk, a_desk_is_answered_between_the_chunks_of_a_bulk_input, .timeout = 300)
{
	const char *db = sample_db("bulk-desk.db");
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 20, 0), 0);
	static struct desk b;
	char *text = claims_list(200, "K", false);
	desk_init(&b, g, text);
	b.bulk = true;
	b.on_settled = start_desk;
	desk_init(&bulk_desk, g, claim("DESK-1", "P0000001", 28));
	desk_run(&b);
	pthread_join(bulk_desk_thread, NULL);
	cr_expect_eq(b.rc, 0, "%s", zt_error_last());
	cr_expect_eq(bulk_desk.rc, 0);
	cr_expect_eq(b.settled, 200);
	cr_expect_eq(bulk_desk.settled, 1);
	cr_expect_lt(bulk_desk.event, b.event, "the desk was answered before the bulk ended");
	struct zt_settle_group_stats gs;
	zt_settle_group_stats(g, &gs);
	/* at most 20 claims a chunk (fewer when a chunk's 10 ms run out) */
	cr_expect_geq(gs.chunks, 10, "200 claims in %llu chunks", (unsigned long long)gs.chunks);
	zt_settle_group_free(g);
	/* the desk's claim is in the store between the bulk's chunks: it was
	 * numbered after the first chunk's and before the bulk's last claim */
	long long desk_id = zt_test_sql_int(db, "SELECT s.id FROM settlement s JOIN claim c ON "
	                                        "c.id = s.claim_id WHERE c.claim_no = 'DESK-1'");
	cr_expect_gt(desk_id, 1);
	cr_expect_lt(desk_id, 201);
	expect_verify_clean(db);
	free(text);
}

/* ---- checkpoints off the commit path ------------------------------------------- */

/* The settlements the database FILE holds, without its write-ahead log:
 * what checkpoints have copied into it (a copy of the file alone, read). */
static long long in_the_file(const char *db, const char *copy)
{
	const char *to = tmp_path(copy);
	cr_assert_eq(zt_test_sh_code("rm -f '%s' '%s-wal' '%s-shm' && cp '%s' '%s'", to, to, to, db,
	                             to), 0);
	return zt_test_sql_int(to, "SELECT count(*) FROM settlement");
}

/* Settles 3 x 1000 claims in three transactions: some 2,000 pages of log,
 * well past the 1,000 after which SQLite's automatic checkpoint copies the
 * log into the file on commit. */
static void three_commits(struct zt_store *s, const char *prefix)
{
	struct zt_settle_opts o = {.actor = "desk"};
	struct zt_settle_stats st;
	for (int i = 0; i < 3; i++) {
		char p[16];
		snprintf(p, sizeof p, "%s%d", prefix, i);
		char *text = claims_list(1000, p, false);
		cr_assert_eq(zt_test_settle_buffer(s, text, strlen(text), ZT_CLAIM_FORMAT_XML, &o, NULL,
		                                   &st), 0, "%s", zt_error_last());
		cr_assert_eq(st.settled, 1000);
		free(text);
	}
}

Test(checkpoint, a_connection_with_checkpoints_apart_never_checkpoints_on_commit, .timeout = 300)
{
	const char *db = sample_db("apart.db");
	struct zt_store *s = NULL;
	const struct zt_store_options so = {.checkpoint_apart = true};
	cr_assert_eq(zt_store_open(&s, db, &so), 0, "%s", zt_error_last());
	cr_assert_not_null(s->ops->checkpoint);
	three_commits(s, "A");
	cr_expect_eq(in_the_file(db, "apart-1.db"), 0, "the commits checkpointed nothing");
	/* the owner's checkpoint, outside any transaction */
	cr_assert_eq(s->ops->checkpoint(s, ZT_CHECKPOINT_PASSIVE, NULL), 0, "%s", zt_error_last());
	cr_expect_eq(in_the_file(db, "apart-2.db"), 3000);
	zt_store_close(s);

	/* without the option, a commit itself checkpoints (as before) */
	const char *plain = sample_db("plain.db");
	cr_assert_eq(zt_store_open(&s, plain, NULL), 0);
	three_commits(s, "B");
	cr_expect_geq(in_the_file(plain, "plain-1.db"), 1000, "checkpointed on a commit");
	zt_store_close(s);
}

Test(checkpoint, the_group_checkpoints_on_a_thread_of_its_own_after_its_commits, .timeout = 300)
{
	const char *db = sample_db("group-ck.db");
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 100, 0), 0);
	static struct desk b;
	char *text = claims_list(1500, "C", false);
	desk_init(&b, g, text);
	b.bulk = true;
	desk_run(&b);
	cr_assert_eq(b.rc, 0, "%s", zt_error_last());
	cr_assert_eq(b.settled, 1500);
	struct zt_settle_group_stats gs;
	zt_settle_group_stats(g, &gs);
	cr_expect_geq(gs.chunks, 15);
	/* the checkpointer runs after the last commit (it is told of each;
	 * waited for, however slow the machine: no clock decides) */
	while (!zt_settle_group_checkpointed(g))
		sched_yield();
	/* nothing commits now: the checkpointer rests, the file is whole */
	cr_expect_eq(in_the_file(db, "group-ck-1.db"), 1500);
	cr_expect_geq(zt_settle_group_checkpoints(g), 1);
	zt_settle_group_free(g);
	expect_verify_clean(db);
	free(text);
}

/* Desks that keep the group busy: each submits lists of ten claims, one
 * after the other, as fast as they are answered. */
struct busy_desk {
	struct zt_settle_group *g;
	int id, lists, settled;
	int rc;
};

static void *busy_desk_run(void *arg)
{
	struct busy_desk *b = arg;
	for (int k = 0; k < b->lists && b->rc == 0; k++) {
		char prefix[24];
		snprintf(prefix, sizeof prefix, "W%d-%03d", b->id, k);
		char *text = claims_list(10, prefix, false);
		struct desk *d = malloc(sizeof *d);
		desk_init(d, b->g, text);
		desk_run(d);
		b->rc = d->rc;
		b->settled += d->settled;
		free(d);
		free(text);
	}
	return NULL;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Four busy desks, 1,600 claims, commits back to back: the log's largest
 * size while they ran, and the checkpoints that restarted it. */
static off_t busy_log(const char *db, long long bound, uint64_t *restarts)
{
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 0, 0), 0);
	zt_settle_group_set_log_pages(g, bound);
	enum { BUSY = 4 };
	static struct busy_desk b[BUSY];
	pthread_t t[BUSY];
	for (int i = 0; i < BUSY; i++) {
		b[i] = (struct busy_desk){.g = g, .id = i, .lists = 40};
		pthread_create(&t[i], NULL, busy_desk_run, &b[i]);
	}
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", db);
	off_t most = 0;
	for (;;) {
		off_t now = file_size(wal);
		most = now > most ? now : most;
		int running = 0;
		for (int i = 0; i < BUSY; i++)
			running += __atomic_load_n(&b[i].settled, __ATOMIC_SEQ_CST) < 400 &&
			           __atomic_load_n(&b[i].rc, __ATOMIC_SEQ_CST) == 0;
		if (!running)
			break;
		usleep(1000);
	}
	for (int i = 0; i < BUSY; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(b[i].rc, 0, "%s", zt_error_last());
		cr_assert_eq(b[i].settled, 400);
	}
	off_t now = file_size(wal);
	most = now > most ? now : most;
	*restarts = zt_settle_group_restarts(g);
	zt_settle_group_free(g);
	expect_verify_clean(db);
	return most;
}

/* The log stays about its bound however steadily the desks commit: with a
 * bound of 256 pages (1 MiB) the log of 1,600 claims never passes a few
 * MiB, where without a bound that reached (the same run with a bound above
 * anything it writes) it grows with every claim. The log's file keeps its
 * largest size (it is reused from its beginning), so its size at the end
 * is the largest it ever was. */
Test(checkpoint, the_log_is_restarted_once_past_its_bound_under_steady_commits, .timeout = 600)
{
	uint64_t restarts = 0, none = 0;
	off_t bounded = busy_log(sample_db("bounded.db"), 256, &restarts);
	off_t unbounded = busy_log(sample_db("unbounded.db"), 1LL << 40, &none);
	cr_log_info("log: %lld bytes with a bound of 256 pages (%llu restarts), %lld without",
	            (long long)bounded, (unsigned long long)restarts, (long long)unbounded);
	cr_expect_eq(none, 0, "no restart below the bound");
	cr_expect_geq(restarts, 1, "the log was restarted");
	cr_expect_lt(bounded, unbounded, "bounded %lld, unbounded %lld", (long long)bounded,
	             (long long)unbounded);
}

/* ---- the rules a group keeps parsed -------------------------------------------- */

/* The group parses the policies once and keeps them while the store's do
 * not change: a policy loaded by another process between two groups is
 * in force for the next. */
Test(group, a_policy_loaded_meanwhile_is_in_force_for_the_next_group, .timeout = 300)
{
	const char *db = sample_db("rules.db");
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, db, NULL, 0, 0), 0);
	static struct desk a, b, c;
	char *x = claim("R-1", "P0000001", 1);
	memcpy(strstr(x, "<dscg_date>2017"), "<dscg_date>2018", 15);
	desk_init(&a, g, x);
	desk_run(&a);
	cr_assert_eq(a.rc, 0, "%s", zt_error_last());
	cr_expect_eq(a.rejected, 1, "no policy in force on 2018-03-01 yet");
	/* a policy of 2018, loaded through the program */
	char *p = zt_test_slurp(ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml");
	cr_assert(p);
	char *id = strstr(p, "id=\"xx-2017\""), *from = strstr(p, "effective-from=\"2017"),
	     *to = strstr(p, "effective-to=\"2017");
	cr_assert(id && from && to);
	memcpy(id + 7, "2018", 4);
	memcpy(from + 16, "2018", 4);
	memcpy(to + 14, "2018", 4);
	const char *file = zt_test_write("policy-2018.xml", p);
	free(zt_test_db_ok(db, "rules load '%s'", file));
	desk_init(&b, g, strdup(x));
	memcpy(strstr(b.body, "R-1"), "R-2", 3);
	desk_run(&b);
	cr_expect_eq(b.rc, 0, "%s", zt_error_last());
	cr_expect_eq(b.settled, 1, "the 2018 policy is in force for the next group");
	/* and the 2017 one still is */
	desk_init(&c, g, claim("R-3", "P0000001", 2));
	desk_run(&c);
	cr_expect_eq(c.settled, 1);
	zt_settle_group_free(g);
	expect_verify_clean(db);
	free(p);
	free(x);
	free(b.body);
	free(c.body);
}

/* ---- on PostgreSQL (the fixture `pg`) ---------------------------------------------- */

Test(group_pg, concurrent_desks_share_commits_on_postgresql, .timeout = 300)
{
	char target[1200];
	zt_test_pg_sample(target, sizeof target, "group");
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, target, NULL, 0, 0), 0, "%s", zt_error_last());
	static struct desk d[DESKS];
	char no[32];
	for (int i = 0; i < DESKS; i++) {
		snprintf(no, sizeof no, "PG-%02d", i);
		desk_init(&d[i], g, claim(no, "P0000001", 1 + i));
	}
	d[3].body[strlen(d[3].body) - 12] = '\0'; /* malformed */
	two_groups(d, DESKS);
	struct zt_settle_group_stats gs;
	zt_settle_group_stats(g, &gs);
	zt_settle_group_free(g);
	cr_expect_eq(gs.commits, 2);
	cr_expect_eq(gs.retries, 1);
	for (int i = 0; i < DESKS; i++) {
		cr_expect_eq(d[i].rc, i == 3 ? ZT_EMALFORMED : 0, "desk %d", i);
		cr_expect_eq(d[i].settled, i == 3 ? d[i].settled : 1, "desk %d", i);
	}
	/* one person, eleven claims: the settlements numbered without a gap
	 * and the store consistent (verify checks the accumulators against
	 * the settlements) */
	char *list = zt_test_ok("--db '%s' claim list --person P0000001 --format csv", target);
	int lines = 0;
	for (const char *p = list; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 1 + DESKS - 1, "%s", list);
	cr_expect(strstr(list, "S000000000011"), "%s", list);
	free(list);
	char *v = zt_test_ok("--db '%s' verify", target);
	cr_expect(strstr(v, "OK: 0 violations"), "%s", v);
	free(v);
	for (int i = 0; i < DESKS; i++)
		free(d[i].body);
}

/* A desk's write that fails after its call returned (PostgreSQL sends a
 * claim's rows with the next claim's reads: store.h failed_late) fails the
 * group's transaction in another desk's call: the group is settled again,
 * each write read at once, and the desk whose claim failed is the one
 * answered with the error; the others are stored. */
Test(group_pg, a_write_failing_late_is_answered_to_its_own_desk, .timeout = 300)
{
	char target[1200];
	zt_test_pg_sample(target, sizeof target, "late");
	char *err = NULL;
	cr_assert_eq(zt_test_pg_exec(target,
	                             "CREATE SEQUENCE late_tries; CREATE FUNCTION late_refuse()"
	                             " RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	                             " IF NEW.claim_no = 'PL-04' THEN PERFORM nextval('late_tries');"
	                             " RAISE EXCEPTION 'refused for the test: %', NEW.claim_no"
	                             " USING ERRCODE = '23514'; END IF; RETURN NEW; END $$;"
	                             " CREATE TRIGGER late_refuse BEFORE INSERT ON claim FOR EACH ROW"
	                             " EXECUTE FUNCTION late_refuse()",
	                             &err),
	             0, "%s", err);
	struct zt_settle_group *g;
	cr_assert_eq(zt_settle_group_new(&g, target, NULL, 0, 0), 0, "%s", zt_error_last());
	static struct desk d[DESKS];
	char no[32];
	for (int i = 0; i < DESKS; i++) {
		snprintf(no, sizeof no, "PL-%02d", i);
		desk_init(&d[i], g, claim(no, i % 2 ? "P0000001" : "P0000002", 1 + i));
	}
	two_groups(d, DESKS);
	zt_settle_group_free(g);
	for (int i = 0; i < DESKS; i++) {
		if (i == 4) {
			cr_expect_neq(d[i].rc, 0, "the desk whose claim was refused");
			cr_expect(strstr(d[i].msg, "refused for the test: PL-04"), "%s", d[i].msg);
			cr_expect_eq(d[i].committed, 0);
			continue;
		}
		cr_expect_eq(d[i].rc, 0, "desk %d was answered another's error: %s", i, d[i].msg);
		cr_expect_eq(d[i].committed, 1, "desk %d", i);
	}
	char *n = zt_test_rows(target, "SELECT count(*) FROM settlement");
	cr_expect_str_eq(n, "11\n", "the other desks' claims stored");
	free(n);
	/* refused in the pipeline (surfacing in another desk's call), then
	 * again when the group was settled with each write read at once */
	char *tries = zt_test_rows(target, "SELECT last_value FROM late_tries");
	cr_expect_str_eq(tries, "2\n", "tries %s", tries);
	free(tries);
	char *v = zt_test_ok("--db '%s' verify", target);
	cr_expect(strstr(v, "OK: 0 violations"), "%s", v);
	free(v);
	for (int i = 0; i < DESKS; i++)
		free(d[i].body);
}
