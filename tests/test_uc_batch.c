/* zhitong — the batch use cases called directly (batch.h): create,
 * approve, export, send and poll through a fake payer port that accepts,
 * rejects records, refuses, times out, fails before sending, or answers
 * late; the batch's state and totals asserted as data. The command line
 * itself is test_batch.c's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/batch.h"
#include "zhitong/error.h"
#include "zhitong/store.h"
#include "zhitong/render_trace.h"

#define FUND "390100"

/* ---- a payer that does what the test says ------------------------------ */

enum fake_mode { ACCEPT, REJECT_FIRST, REJECT_UNKNOWN, REFUSE, TIME_OUT, LOCAL_FAILURE, PENDING };

struct fake_payer {
	enum fake_mode send_mode, poll_mode;
	int binds, sends, polls;
	char first_record[64];
	struct zt_batch_reject reject;
};

static int fake_bind(void *ctx, const char *fund_code, const char **name)
{
	struct fake_payer *f = ctx;
	cr_assert_str_eq(fund_code, FUND);
	f->binds++;
	*name = "fake";
	return 0;
}

static int fake_answer(struct fake_payer *f, enum fake_mode m, struct zt_batch_answer *out)
{
	*out = (struct zt_batch_answer){.attempts = 1, .receipt = "R-1", .message = "as told"};
	switch (m) {
	case ACCEPT:
		out->outcome = ZT_BATCH_OUT_ACCEPTED;
		break;
	case REJECT_FIRST:
	case REJECT_UNKNOWN:
		f->reject = (struct zt_batch_reject){m == REJECT_FIRST ? f->first_record : "S999/1",
		                                     "not insured"};
		out->outcome = ZT_BATCH_OUT_REJECTED;
		out->rejects = &f->reject;
		out->reject_count = 1;
		break;
	case REFUSE:
		out->outcome = ZT_BATCH_OUT_REFUSED;
		out->message = "bad signature";
		break;
	case TIME_OUT:
		out->outcome = ZT_BATCH_OUT_FAILED;
		out->error = ZT_EIO;
		out->message = "timed out after 5 attempts";
		break;
	case LOCAL_FAILURE:
		return zt_error_set(ZT_EINVAL, "the outbox is not configured");
	case PENDING:
		out->outcome = ZT_BATCH_OUT_PENDING;
		out->receipt = "";
		out->message = "dropped";
		break;
	}
	return 0;
}

static int fake_send(void *ctx, const char *id, const char *file, const char *sig,
                     struct zt_batch_answer *out)
{
	struct fake_payer *f = ctx;
	cr_assert(id[0] && file[0] && sig[0]);
	f->sends++;
	return fake_answer(f, f->send_mode, out);
}

static int fake_poll(void *ctx, const char *id, struct zt_batch_answer *out)
{
	struct fake_payer *f = ctx;
	cr_assert(id[0]);
	f->polls++;
	return fake_answer(f, f->poll_mode, out);
}

/* ---- a world with an exported batch ------------------------------------ */

static struct zt_store *s;
static char key[1024], batch_id[ZT_BATCH_ID_BYTES];

static void world(void)
{
	s = zt_test_store("zt.db");
	zt_test_load_sample(s);
	zt_test_settle(s, "UC-1", "P0000002", "2017-03-01", "5000.00");
	zt_test_settle(s, "UC-2", "P0000003", "2017-03-02", "7000.00");
	zt_test_settle(s, "UC-3", "P0000001", "2017-03-03", "3000.00");
	snprintf(key, sizeof key, "%s", tmp_path("pool.pem"));
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s'", key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void fini(void) { zt_store_close(s); }

struct sums {
	int64_t count, payable;
	zt_fen total;
	char first[64];
	zt_fen first_amount;
};

static int add_record(void *ctx, const struct zt_batch_record *r)
{
	struct sums *m = ctx;
	if (m->count++ == 0) {
		snprintf(m->first, sizeof m->first, "%s/%d", r->setl_id, r->seq);
		m->first_amount = r->amount;
	}
	if (r->payable) {
		m->payable++;
		m->total += r->amount;
	}
	return 0;
}

static struct sums records_of(const char *id, bool only_rejected)
{
	struct sums m = {0};
	cr_assert_eq(zt_batch_records_each(s, id, only_rejected, add_record, &m), 0, "%s",
	             zt_error_last());
	return m;
}

static struct zt_batch batch(const char *id)
{
	struct zt_batch b;
	cr_assert_eq(s->ops->batches.get(s, id, &b), 0, "%s", zt_error_last());
	return b;
}

static int count_send(void *ctx, const struct zt_batch_send_log *l)
{
	(void)l;
	++*(int *)ctx;
	return 0;
}

static int sends_logged(const char *id)
{
	int n = 0;
	cr_assert_eq(s->ops->batches.sends(s, id, count_send, &n), 0);
	return n;
}

/* Created by alice, approved by bob, exported: the batch of every share. */
static void exported(struct fake_payer *f)
{
	struct zt_batch_create_res made;
	struct zt_batch_step_res step;
	struct zt_batch_export_info info;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = FUND, .through = 0, .actor = "alice"}, &made), 0,
	             "%s", zt_error_last());
	snprintf(batch_id, sizeof batch_id, "%s", made.id);
	cr_assert_eq(zt_batch_approve(s, &(struct zt_batch_step_req){batch_id, "bob", NULL}, &step),
	             0, "%s", zt_error_last());
	cr_assert_eq(step.batch.status, ZT_BATCH_APPROVED);
	const struct zt_batch_export_req req = {batch_id, tmp_path("batch.xml"), key, "carol", 0, NULL,
	                                        zt_trace_xml};
	cr_assert_eq(zt_batch_export(s, &req, &info), 0, "%s", zt_error_last());
	cr_assert_eq(info.count, made.batch.count);
	cr_assert_eq(info.total, made.batch.total);
	cr_assert_eq(batch(batch_id).status, ZT_BATCH_EXPORTED);
	snprintf(f->first_record, sizeof f->first_record, "%s", records_of(batch_id, false).first);
}

static int send(struct fake_payer *f, struct zt_batch_send_res *res)
{
	const struct zt_payer_port port = {f, fake_bind, fake_send, fake_poll};
	return zt_batch_send(s, &(struct zt_batch_send_req){batch_id, NULL, key, "carol"}, &port, res);
}

static int poll(struct fake_payer *f, struct zt_batch_send_res *res)
{
	const struct zt_payer_port port = {f, fake_bind, fake_send, fake_poll};
	return zt_batch_poll(s, &(struct zt_batch_send_req){batch_id, NULL, NULL, "carol"}, &port,
	                     res);
}

TestSuite(uc_batch, .init = world, .fini = fini, .timeout = 60);

Test(uc_batch, create_takes_every_share_and_its_total_is_the_sum_of_its_records)
{
	struct zt_batch_create_res made;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = FUND, .through = 0, .actor = "alice"}, &made), 0,
	             "%s", zt_error_last());
	struct sums m = records_of(made.id, false);
	cr_assert_eq(made.batch.count, 3);
	cr_assert_eq(m.count, 3);
	cr_assert_eq(made.batch.total, m.total);
	cr_assert_gt(made.batch.total, 0);
	cr_assert_eq(made.batch.status, ZT_BATCH_DRAFT);
	cr_assert_str_eq(made.batch.created_by, "alice");
	/* nothing left: no second batch, no number used */
	struct zt_batch_create_res again;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = FUND, .through = 0, .actor = "alice"}, &again), 0);
	cr_assert_str_eq(again.id, "");
	cr_assert_eq(again.batch.count, 0);
}

Test(uc_batch, through_cuts_by_discharge_date)
{
	struct zt_batch_create_res made;
	zt_date through;
	cr_assert_eq(zt_parse_date(&through, "2017-03-02", 10), 0);
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = FUND, .through = through, .actor = "alice"}, &made),
	             0, "%s", zt_error_last());
	cr_assert_eq(made.batch.count, 2);
	cr_assert_eq(made.batch.period_to, through);
	cr_assert_eq(records_of(made.id, false).total, made.batch.total);
}

Test(uc_batch, an_unknown_fund_is_refused)
{
	struct zt_batch_create_res made;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = "999999", .through = 0, .actor = "alice"}, &made),
	             ZT_ENOTFOUND);
	cr_assert_str_eq(zt_error_last(), "fund '999999' is not in the registry");
}

Test(uc_batch, the_maker_cannot_approve_under_any_spelling_and_a_checker_can)
{
	struct zt_batch_create_res made;
	struct zt_batch_step_res res;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = FUND, .through = 0, .actor = "alice"}, &made), 0);
	const char *spellings[] = {"alice", "Alice ", "ＡＬＩＣＥ"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(zt_batch_approve(s, &(struct zt_batch_step_req){made.id, spellings[i], NULL},
		                              &res), ZT_EFOUREYES, "%s", spellings[i]);
		cr_assert(strstr(zt_error_last(), "maker-checker"));
	}
	cr_assert_eq(batch(made.id).status, ZT_BATCH_DRAFT);
	cr_assert_eq(zt_batch_approve(s, &(struct zt_batch_step_req){made.id, "Bob", NULL}, &res), 0);
	cr_assert_str_eq(res.batch.approved_by, "bob");
	cr_assert_eq(res.batch.status, ZT_BATCH_APPROVED);
}

Test(uc_batch, a_rejected_batch_keeps_its_shares_and_reopens_with_what_came_since)
{
	struct zt_batch_create_res made;
	struct zt_batch_step_res res;
	cr_assert_eq(zt_batch_create(s, &(struct zt_batch_create_req){.fund_code = FUND, .through = 0, .actor = "alice"}, &made), 0);
	cr_assert_eq(zt_batch_reject(s, &(struct zt_batch_step_req){made.id, "bob", NULL}, &res),
	             ZT_EINVAL, "a rejection needs a reason");
	cr_assert_eq(zt_batch_reject(s, &(struct zt_batch_step_req){made.id, "bob", "wrong month"},
	                             &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.batch.status, ZT_BATCH_REJECTED);
	zt_test_settle(s, "UC-4", "P0000002", "2017-04-01", "1000.00");
	cr_assert_eq(zt_batch_reopen(s, &(struct zt_batch_step_req){made.id, "carol", "fixed"}, &res),
	             0, "%s", zt_error_last());
	cr_assert_eq(res.added, 1);
	cr_assert_eq(res.batch.count, 4);
	cr_assert_eq(res.batch.status, ZT_BATCH_DRAFT);
	cr_assert_eq(res.batch.total, records_of(made.id, false).total);
	/* the reopener made it too */
	cr_assert_eq(zt_batch_approve(s, &(struct zt_batch_step_req){made.id, "carol", NULL}, &res),
	             ZT_EFOUREYES);
}

Test(uc_batch, sent_and_accepted_bills_the_whole_total)
{
	struct fake_payer f = {.send_mode = ACCEPT};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_ACCEPTED);
	cr_assert(res.recorded);
	cr_assert_str_eq(res.gateway, "fake");
	cr_assert_eq(res.batch.status, ZT_BATCH_ACCEPTED);
	cr_assert_eq(res.batch.accepted_total, res.batch.total);
	cr_assert_str_eq(res.batch.receipt, "R-1");
	cr_assert_eq(f.binds, 1);
	cr_assert_eq(f.sends, 1);
	cr_assert_eq(sends_logged(batch_id), 1);
}

Test(uc_batch, a_rejected_record_comes_off_the_accepted_total_and_stays_in_the_batch)
{
	struct fake_payer f = {.send_mode = REJECT_FIRST};
	struct zt_batch_send_res res;
	exported(&f);
	struct sums all = records_of(batch_id, false);
	cr_assert_eq(send(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_REJECTED);
	cr_assert_eq(res.batch.status, ZT_BATCH_ACCEPTED);
	cr_assert_eq(res.batch.rejected_count, 1);
	cr_assert_eq(res.batch.count, 3);
	cr_assert_eq(res.batch.total, all.total);
	cr_assert_eq(res.batch.accepted_total, all.total - all.first_amount);
	struct sums rejected = records_of(batch_id, true);
	cr_assert_eq(rejected.count, 1);
	cr_assert_str_eq(rejected.first, f.first_record);
}

Test(uc_batch, a_timeout_is_logged_and_leaves_the_batch_to_be_sent_again)
{
	struct fake_payer f = {.send_mode = TIME_OUT};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), ZT_EIO);
	cr_assert(strstr(zt_error_last(), "did not reach the payer (fake): timed out"),
	          "%s", zt_error_last());
	cr_assert(res.recorded);
	cr_assert(res.gateway_failed);
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_FAILED);
	cr_assert_eq(batch(batch_id).status, ZT_BATCH_EXPORTED);
	cr_assert_eq(sends_logged(batch_id), 1);
	f.send_mode = ACCEPT;
	cr_assert_eq(send(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.batch.status, ZT_BATCH_ACCEPTED);
	cr_assert_eq(sends_logged(batch_id), 2);
}

Test(uc_batch, a_failure_before_sending_records_nothing)
{
	struct fake_payer f = {.send_mode = LOCAL_FAILURE};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), ZT_EINVAL);
	cr_assert_str_eq(zt_error_last(), "the outbox is not configured");
	cr_assert(!res.recorded);
	cr_assert(res.gateway_failed);
	cr_assert_eq(batch(batch_id).status, ZT_BATCH_EXPORTED);
	cr_assert_eq(sends_logged(batch_id), 0);
}

Test(uc_batch, refused_whole_goes_back_to_exported)
{
	struct fake_payer f = {.send_mode = REFUSE};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_REFUSED);
	cr_assert_str_eq(res.message, "bad signature");
	cr_assert_eq(batch(batch_id).status, ZT_BATCH_EXPORTED);
	cr_assert(!batch(batch_id).answered);
}

Test(uc_batch, an_answer_naming_a_record_not_in_the_batch_is_not_applied)
{
	struct fake_payer f = {.send_mode = REJECT_UNKNOWN};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), ZT_ECONFLICT);
	struct zt_batch b = batch(batch_id);
	cr_assert_eq(b.status, ZT_BATCH_EXPORTED);
	cr_assert(!b.answered);
	cr_assert_eq(b.rejected_count, 0);
	cr_assert_eq(sends_logged(batch_id), 1, "the attempt is logged as failed");
}

Test(uc_batch, a_late_answer_is_polled_once_it_has_come)
{
	struct fake_payer f = {.send_mode = PENDING, .poll_mode = PENDING};
	struct zt_batch_send_res res;
	exported(&f);
	/* polling an exported batch: it waits for no answer */
	cr_assert_eq(poll(&f, &res), ZT_ECONFLICT);
	cr_assert_eq(f.polls, 0);
	cr_assert_eq(send(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_PENDING);
	cr_assert(res.recorded);
	cr_assert_eq(batch(batch_id).status, ZT_BATCH_SENT);
	/* no answer yet: nothing stored */
	cr_assert_eq(poll(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_PENDING);
	cr_assert(!res.recorded);
	cr_assert_eq(sends_logged(batch_id), 1);
	cr_assert_eq(batch(batch_id).status, ZT_BATCH_SENT);
	/* it came, rejecting a record */
	f.poll_mode = REJECT_FIRST;
	cr_assert_eq(poll(&f, &res), 0, "%s", zt_error_last());
	cr_assert_eq(res.outcome, ZT_BATCH_OUT_REJECTED);
	cr_assert_eq(res.batch.status, ZT_BATCH_ACCEPTED);
	cr_assert_lt(res.batch.accepted_total, res.batch.total);
	cr_assert_eq(f.polls, 2);
	/* a second answer is refused and changes nothing */
	f.poll_mode = ACCEPT;
	cr_assert_eq(poll(&f, &res), ZT_ECONFLICT);
	cr_assert_eq(batch(batch_id).rejected_count, 1);
}

Test(uc_batch, an_ack_by_hand_is_recorded_as_manual)
{
	struct fake_payer f = {.send_mode = PENDING};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), 0);
	const struct zt_batch_answer a = {.outcome = ZT_BATCH_OUT_ACCEPTED, .receipt = "BY-HAND",
	                                  .message = "by post"};
	cr_assert_eq(zt_batch_ack(s, &(struct zt_batch_send_req){.id = batch_id, .actor = "dora"}, &a,
	                          &res), 0, "%s", zt_error_last());
	cr_assert_str_eq(res.gateway, "manual");
	cr_assert_eq(res.batch.status, ZT_BATCH_ACCEPTED);
	cr_assert_str_eq(res.batch.receipt, "BY-HAND");
}

/* ---- list and show as data ----------------------------------------------- */

static int count_row(void *ctx, const struct zt_batch *b)
{
	(void)b;
	++*(int *)ctx;
	return 0;
}

struct parts {
	int order[8], n;
	int64_t records;
};

static int on_part(void *ctx, enum zt_batch_part p)
{
	struct parts *x = ctx;
	x->order[x->n++] = (int)p;
	return 0;
}

static int on_record(void *ctx, const struct zt_batch_record *r)
{
	(void)r;
	((struct parts *)ctx)->records++;
	return 0;
}

Test(uc_batch, list_filters_by_status_and_show_visits_its_parts_in_order)
{
	struct fake_payer f = {.send_mode = REJECT_FIRST};
	struct zt_batch_send_res res;
	exported(&f);
	cr_assert_eq(send(&f, &res), 0);
	int64_t n = 0;
	int rows = 0;
	struct zt_batch_list_req req = {.fund_code = FUND, .has_status = true,
	                                .status = ZT_BATCH_DRAFT};
	cr_assert_eq(zt_batch_list(s, &req, count_row, &rows, &n), 0);
	cr_assert_eq(n, 0);
	req.status = ZT_BATCH_ACCEPTED;
	cr_assert_eq(zt_batch_list(s, &req, count_row, &rows, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(rows, 1);
	struct parts x = {0};
	const struct zt_batch_show_visitor v = {.ctx = &x, .section = on_part, .record = on_record};
	cr_assert_eq(zt_batch_show(s, &(struct zt_batch_show_req){batch_id, true}, &v), 0);
	cr_assert_eq(x.n, 4);
	cr_assert_eq(x.order[0], ZT_BATCH_PART_HISTORY);
	cr_assert_eq(x.order[1], ZT_BATCH_PART_SENDS);
	cr_assert_eq(x.order[2], ZT_BATCH_PART_REJECTED);
	cr_assert_eq(x.order[3], ZT_BATCH_PART_RECORDS);
	cr_assert_eq(x.records, 1 + 3);
}
