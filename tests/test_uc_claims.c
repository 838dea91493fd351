/* zhitong — the claims' and the slip's use cases, called directly (no
 * program, no rendering): settling a buffer through a sink and the
 * outcomes as data, replay, rejections, quote, what a sink's failure does,
 * reversal, show, list, and the slip's assembly with its totals conserving
 * to the fen. The command line is tested in test_claims.c, test_slip.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/claims.h"
#include "zhitong/error.h"
#include "zhitong/slip.h"
#include "zhitong/slipcode.h"

/* ---- a sink that records the outcomes ------------------------------------------ */

#define OUTCOMES_MAX 16
struct outcome {
	bool rejected, replayed;
	struct zt_stored_settlement st;
	char code[32], hospital[32], claim_no[48], message[300];
};
struct record {
	int version, begun, committed;
	int n;
	struct outcome o[OUTCOMES_MAX];
	int fail_settled, fail_committed; /* a ZT_E* to return, or 0 */
};

static int rec_begin(void *ctx, int version)
{
	struct record *r = ctx;
	r->begun++;
	r->version = version;
	return 0;
}

static int rec_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	struct record *r = ctx;
	cr_assert(r->begun == 1 && r->n < OUTCOMES_MAX && !r->committed);
	r->o[r->n++] = (struct outcome){.replayed = replayed, .st = *st};
	return r->fail_settled ? zt_error_set(r->fail_settled, "the sink is full") : 0;
}

static int rec_rejected(void *ctx, const struct zt_rejection *j)
{
	struct record *r = ctx;
	cr_assert(r->begun == 1 && r->n < OUTCOMES_MAX && !r->committed);
	struct outcome *o = &r->o[r->n++];
	*o = (struct outcome){.rejected = true};
	cr_assert_str_eq(j->code_name, zt_reject_name(j->code));
	snprintf(o->code, sizeof o->code, "%s", j->code_name);
	snprintf(o->hospital, sizeof o->hospital, "%s", j->hospital);
	snprintf(o->claim_no, sizeof o->claim_no, "%s", j->claim_no);
	snprintf(o->message, sizeof o->message, "%s", j->message);
	return 0;
}

static int rec_committed(void *ctx, const struct zt_settle_stats *st)
{
	struct record *r = ctx;
	(void)st;
	r->committed++;
	return r->fail_committed ? zt_error_set(r->fail_committed, "No space left on device") : 0;
}

static struct zt_settle_sink sink_of(struct record *r)
{
	return (struct zt_settle_sink){rec_begin, rec_settled, rec_rejected, rec_committed, r};
}

static struct zt_store *open_db(const char *db)
{
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	return s;
}

/* The claims of `xml` settled (or quoted) in `s` into a new record. */
static int settle(struct zt_store *s, const char *text, enum zt_claim_format fmt, bool quote,
                  struct record *r, struct zt_settle_stats *st)
{
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, text, strlen(text), "the test's claims");
	struct zt_settle_sink sink = sink_of(r);
	struct zt_settle_opts o = {.actor = "Desk One "};
	return quote ? zt_claims_quote(s, &src, fmt, &o, &sink, st)
	             : zt_settle_source(s, &src, fmt, &o, &sink, st);
}

/* The worked example (docs/spec/split.md §7) as one <claim>, its claim
 * number replaced by `claim_no`, without the XML declaration. */
static char *worked(const char *claim_no)
{
	char *x = zt_test_slurp(zt_test_case("claims/worked-example.xml"));
	cr_assert(x);
	char *p = strstr(x, "<claim ");
	const char *old = "ZY2017-000123";
	char *n = strstr(p, old);
	cr_assert(p && n);
	char *out = malloc(strlen(x) + 64);
	sprintf(out, "%.*s%s%s", (int)(n - p), p, claim_no, n + strlen(old));
	free(x);
	return out;
}

/* <claims> of the given <claim> elements. */
static char *list_of(const char *a, const char *b, const char *c)
{
	char *out = malloc(strlen(a) + (b ? strlen(b) : 0) + (c ? strlen(c) : 0) + 128);
	sprintf(out, "<claims xmlns=\"urn:zhitong:claim:1\">%s%s%s</claims>", a, b ? b : "",
	        c ? c : "");
	/* the elements keep their own xmlns, which is the same */
	return out;
}

static void expect_conserves(const struct zt_stored_settlement *st)
{
	zt_fen funds = 0;
	for (int i = 0; i < st->fund_count; i++)
		funds += st->funds[i].amount;
	cr_expect_eq(funds, st->fund_pay_sumamt, "the funds add up to fund_pay_sumamt");
	cr_expect_eq(st->fund_pay_sumamt + st->hosp_part_amt + st->psn_part_amt,
	             st->cls.medfee_sumamt, "the settlement conserves its bill");
}

static void expect_worked_example(const struct zt_stored_settlement *st)
{
	cr_expect_eq(st->cls.medfee_sumamt, 1050000);
	cr_expect_eq(st->hifp_pay, 816000);
	cr_expect_eq(st->maf_pay, 114800);
	cr_expect_eq(st->oth_pay, 14200);
	cr_expect_eq(st->psn_part_amt, 105000);
	cr_expect_eq(st->hosp_part_amt, 0);
	cr_assert_eq(st->fund_count, 3);
	cr_expect_str_eq(st->funds[0].fund_code, "390100");
	cr_expect_eq(st->funds[0].trace.kind, ZT_TRACE_BASIC, "the trace is data");
	cr_expect_eq(st->funds[0].trace.u.basic.pay, 816000);
	cr_expect_eq(st->funds[0].trace.u.basic.deductible, 20000, "D halved for the poor");
	expect_conserves(st);
}

/* ---- settle --------------------------------------------------------------------------- */

Test(uc_settle, a_buffer_settles_through_the_sink_in_input_order_as_data)
{
	const char *db = zt_test_sample_db("a.db");
	struct zt_store *s = open_db(db);
	char *w = worked("ZY-1"), *u = worked("ZY-2"), *d = worked("ZY-3");
	/* ZY-2 of a person not registered, ZY-3 discharged before its admission */
	memcpy(strstr(u, "P0000001"), "P9999999", 8);
	memcpy(strstr(d, "<adm_date>2017-03-01"), "<adm_date>2017-04-01", 20);
	char *text = list_of(w, u, d);
	struct record r = {0};
	struct zt_settle_stats st;
	cr_assert_eq(settle(s, text, ZT_CLAIM_FORMAT_XML, false, &r, &st), 0, "%s", zt_error_last());
	cr_expect_eq(r.version, 1);
	cr_expect_eq(r.committed, 1, "told once, after the commit");
	cr_assert_eq(r.n, 3);
	cr_expect(!r.o[0].rejected && !r.o[0].replayed);
	cr_expect_str_eq(r.o[0].st.setl_id, "S000000000001");
	cr_expect_str_eq(r.o[0].st.claim_no, "ZY-1");
	cr_expect_str_eq(r.o[0].st.kind, "settle");
	expect_worked_example(&r.o[0].st);
	cr_expect(r.o[1].rejected);
	cr_expect_str_eq(r.o[1].code, "unknown-person");
	cr_expect_str_eq(r.o[1].claim_no, "ZY-2");
	cr_expect(strstr(r.o[1].message, "P9999999"), "%s", r.o[1].message);
	cr_expect(r.o[2].rejected);
	cr_expect_str_eq(r.o[2].code, "bad-dates");
	cr_expect_eq(st.claims, 3);
	cr_expect_eq(st.settled, 1);
	cr_expect_eq(st.rejected, 2);
	cr_expect_eq(st.rejected_by[ZT_REJ_UNKNOWN_PERSON], 1);
	cr_expect_eq(st.psn_total, 105000);
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 1);
	cr_expect_str_eq(zt_test_rows(db, "SELECT actor FROM settlement"), "desk one\n",
	                 "the actor normalised");
	free(text);
	free(w);
	free(u);
	free(d);
}

Test(uc_settle, the_same_claim_again_is_replayed_with_the_stored_settlement)
{
	const char *db = zt_test_sample_db("b.db");
	struct zt_store *s = open_db(db);
	char *w = worked("ZY-1");
	struct record r1 = {0}, r2 = {0};
	struct zt_settle_stats st;
	cr_assert_eq(settle(s, w, ZT_CLAIM_FORMAT_XML, false, &r1, &st), 0);
	cr_assert_eq(settle(s, w, ZT_CLAIM_FORMAT_XML, false, &r2, &st), 0, "%s", zt_error_last());
	cr_assert_eq(r2.n, 1);
	cr_expect(r2.o[0].replayed);
	cr_expect_str_eq(r2.o[0].st.setl_id, r1.o[0].st.setl_id);
	expect_worked_example(&r2.o[0].st);
	cr_expect_eq(st.resent, 1);
	cr_expect_eq(st.settled, 0);
	/* another claim under the number: duplicate-claim-no */
	char *changed = worked("ZY-1");
	memcpy(strstr(changed, "I63.900"), "I63.901", 7);
	struct record r3 = {0};
	cr_assert_eq(settle(s, changed, ZT_CLAIM_FORMAT_XML, false, &r3, &st), 0);
	cr_assert_eq(r3.n, 1);
	cr_expect_str_eq(r3.o[0].code, "duplicate-claim-no");
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 1);
	free(w);
	free(changed);
}

Test(uc_settle, one_claim_and_a_stream_of_it_are_the_same)
{
	char *w = worked("ZY-1");
	char *l = list_of(w, NULL, NULL);
	const char *texts[] = {w, l};
	struct record r[2] = {0};
	for (int i = 0; i < 2; i++) {
		char name[16];
		snprintf(name, sizeof name, "one%d.db", i);
		struct zt_store *s = open_db(zt_test_sample_db(name));
		struct zt_settle_stats st;
		cr_assert_eq(settle(s, texts[i], ZT_CLAIM_FORMAT_XML, false, &r[i], &st), 0);
		zt_store_close(s);
		cr_assert_eq(r[i].n, 1);
	}
	struct zt_stored_settlement *a = &r[0].o[0].st, *b = &r[1].o[0].st;
	cr_expect_str_eq(a->setl_id, b->setl_id);
	cr_expect_eq(memcmp(&a->cls, &b->cls, sizeof a->cls), 0);
	cr_expect_eq(a->fund_count, b->fund_count);
	for (int i = 0; i < a->fund_count; i++)
		cr_expect_eq(a->funds[i].amount, b->funds[i].amount);
	free(w);
	free(l);
}

Test(uc_settle, a_quote_delivers_the_outcomes_and_stores_nothing)
{
	const char *db = zt_test_sample_db("q.db");
	struct zt_store *s = open_db(db);
	char *w = worked("ZY-1");
	for (int k = 0; k < 2; k++) {
		struct record r = {0};
		struct zt_settle_stats st;
		cr_assert_eq(settle(s, w, ZT_CLAIM_FORMAT_XML, true, &r, &st), 0, "%s",
		             zt_error_last());
		cr_expect_eq(r.committed, 1);
		cr_assert_eq(r.n, 1);
		cr_expect(!r.o[0].replayed, "a quote again is a quote again: nothing was kept");
		expect_worked_example(&r.o[0].st);
	}
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 0);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM transfer"), 0);
	free(w);
}

Test(uc_settle, an_answer_that_cannot_be_delivered_after_the_commit_is_not_delivered)
{
	const char *db = zt_test_sample_db("nd.db");
	struct zt_store *s = open_db(db);
	char *w = worked("ZY-1");
	struct record r = {.fail_committed = ZT_EIO};
	struct zt_settle_stats st;
	cr_expect_eq(settle(s, w, ZT_CLAIM_FORMAT_XML, false, &r, &st), ZT_ENOTDELIVERED);
	const char *m = zt_error_last();
	cr_expect(strstr(m, "the 1 claims of 'the test's claims' were answered (1 settled") &&
	          strstr(m, "and stored, but the answer could not be written (No space left on "
	                    "device)") &&
	          strstr(m, "submit the same file again"), "%s", m);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 1, "stored");
	/* a quote that cannot be delivered stored nothing, and says so */
	struct record q = {.fail_committed = ZT_EIO};
	cr_expect_eq(settle(s, w, ZT_CLAIM_FORMAT_XML, true, &q, &st), ZT_EIO);
	cr_expect(strstr(zt_error_last(), "nothing was stored"), "%s", zt_error_last());
	zt_store_close(s);
	free(w);
}

Test(uc_settle, a_sink_that_fails_before_the_commit_leaves_nothing)
{
	const char *db = zt_test_sample_db("sf.db");
	struct zt_store *s = open_db(db);
	char *w = worked("ZY-1");
	struct record r = {.fail_settled = ZT_EIO};
	struct zt_settle_stats st;
	cr_expect_eq(settle(s, w, ZT_CLAIM_FORMAT_XML, false, &r, &st), ZT_EIO);
	cr_expect_str_eq(zt_error_last(), "the sink is full");
	cr_expect_eq(r.committed, 0);
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 0);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM accum"), 0);
	free(w);
}

Test(uc_settle, an_input_refused_half_way_is_never_committed)
{
	const char *db = zt_test_sample_db("half.db");
	struct zt_store *s = open_db(db);
	char *w = worked("ZY-1");
	char *text = malloc(strlen(w) + 128);
	sprintf(text, "<claims xmlns=\"urn:zhitong:claim:1\">%s<claim><fixmedins_code>", w);
	struct record r = {0};
	struct zt_settle_stats st;
	cr_expect_eq(settle(s, text, ZT_CLAIM_FORMAT_XML, false, &r, &st), ZT_EMALFORMED);
	cr_expect_eq(r.committed, 0, "what was handed over before is to be discarded");
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 0);
	free(text);
	free(w);
}

Test(uc_settle, a_json_body_answers_in_version_2)
{
	const char *db = zt_test_sample_db("json.db");
	struct zt_store *s = open_db(db);
	struct record r = {0};
	struct zt_settle_stats st;
	cr_assert_eq(settle(s, "[{\"claim_no\": 1}]", ZT_CLAIM_FORMAT_JSON, false, &r, &st), 0, "%s",
	             zt_error_last());
	cr_expect_eq(r.version, 2);
	cr_assert_eq(r.n, 1);
	cr_expect_str_eq(r.o[0].code, "schema-invalid");
	zt_store_close(s);
}

/* ---- reverse, show, list ----------------------------------------------------------------- */

static struct zt_store *settled_world(const char *name, const char *db_out[1])
{
	const char *db = zt_test_sample_db(name);
	struct zt_store *s = open_db(db);
	char *a = worked("ZY-1"), *b = worked("ZY-2");
	char *l = list_of(a, b, NULL);
	struct record r = {0};
	struct zt_settle_stats st;
	cr_assert_eq(settle(s, l, ZT_CLAIM_FORMAT_XML, false, &r, &st), 0, "%s", zt_error_last());
	cr_assert_eq(st.settled, 2);
	free(a);
	free(b);
	free(l);
	if (db_out)
		db_out[0] = db;
	return s;
}

/* docs/spec/service.md: reversal by setl_id, so that a late retry never
 * reverses a corrected claim. */
Test(uc_reverse, by_setl_id_a_retry_replays_and_never_reverses_the_corrected_claim)
{
	const char *db;
	struct zt_store *s = settled_world("revid.db", &db);
	struct zt_claims_reverse_res *res = malloc(sizeof *res);
	struct zt_claims_reverse_req req = {"H51010101", "ZY-2", "wrong ward", "clerk",
	                                    "S000000000002"};
	cr_assert_eq(zt_claims_reverse(s, &req, res), 0, "%s", zt_error_last());
	cr_assert(!res->rejected && !res->replayed, "%s", res->message);
	cr_expect_str_eq(res->reversal.setl_id, "S000000000003");
	/* the same request again: the same reversal, nothing written */
	cr_assert_eq(zt_claims_reverse(s, &req, res), 0);
	cr_expect(!res->rejected && res->replayed);
	cr_expect_str_eq(res->reversal.setl_id, "S000000000003");
	cr_expect_str_eq(res->reversal.reverses_setl_id, "S000000000002");
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 3);
	/* the corrected claim is settled under the same number … */
	char *c = worked("ZY-2");
	struct record r = {0};
	struct zt_settle_stats st;
	cr_assert_eq(settle(s, c, ZT_CLAIM_FORMAT_XML, false, &r, &st), 0, "%s", zt_error_last());
	cr_assert_eq(st.settled, 1);
	free(c);
	/* … and a late retry of the first reversal still changes nothing */
	cr_assert_eq(zt_claims_reverse(s, &req, res), 0);
	cr_expect(res->replayed);
	cr_expect_str_eq(res->reversal.setl_id, "S000000000003");
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 4);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement WHERE kind = 'reverse'"), 1);
	/* another claim's settlement, a reversal's id, an unknown id: not-settled */
	const char *others[] = {"S000000000001", "S000000000003", "S000000000099"};
	for (size_t i = 0; i < 3; i++) {
		req.setl_id = others[i];
		cr_assert_eq(zt_claims_reverse(s, &req, res), 0);
		cr_expect(res->rejected && !res->replayed, "%s", others[i]);
	}
	/* the live one (S000000000004) is reversed by its own id */
	req.setl_id = "S000000000004";
	cr_assert_eq(zt_claims_reverse(s, &req, res), 0);
	cr_expect(!res->rejected && !res->replayed, "%s", res->message);
	cr_expect_str_eq(res->reversal.reverses_setl_id, "S000000000004");
	zt_store_close(s);
	free(res);
}

Test(uc_reverse, returns_the_reversing_settlement_as_data)
{
	const char *db;
	struct zt_store *s = settled_world("rev.db", &db);
	struct zt_claims_reverse_res *res = malloc(sizeof *res);
	const struct zt_claims_reverse_req req = {"H51010101", "ZY-2", "wrong ward", "Clerk ", NULL};
	cr_assert_eq(zt_claims_reverse(s, &req, res), 0, "%s", zt_error_last());
	cr_expect(!res->rejected);
	const struct zt_stored_settlement *v = &res->reversal;
	cr_expect_str_eq(v->kind, "reverse");
	cr_expect_str_eq(v->setl_id, "S000000000003");
	cr_expect_str_eq(v->reverses_setl_id, "S000000000002");
	cr_expect_str_eq(v->reason, "wrong ward");
	cr_expect_str_eq(v->actor, "clerk");
	cr_expect_eq(v->cls.medfee_sumamt, -1050000);
	cr_expect_eq(v->psn_part_amt, -105000);
	cr_assert_eq(v->fund_count, 3);
	for (int i = 0; i < v->fund_count; i++) {
		cr_expect_lt(v->funds[i].amount, 0);
		cr_expect_eq(v->funds[i].trace.kind, ZT_TRACE_REVERSAL);
	}
	expect_conserves(v);
	/* again, and a claim never settled: not-settled, not an error */
	cr_assert_eq(zt_claims_reverse(s, &req, res), 0);
	cr_expect(res->rejected);
	cr_expect(strstr(res->message, "already reversed"), "%s", res->message);
	const struct zt_claims_reverse_req none = {"H51010101", "ZY-9", "x", "clerk", NULL};
	cr_assert_eq(zt_claims_reverse(s, &none, res), 0);
	cr_expect(res->rejected);
	cr_expect(strstr(res->message, "has not been settled"), "%s", res->message);
	/* a request that is not one */
	const struct zt_claims_reverse_req bad[] = {
		{"H51010101", "ZY-1", "", "clerk", NULL},
		{"H51010101", "ZY-1", "two\nlines", "clerk", NULL},
		{"H 51010101", "ZY-1", "x", "clerk", NULL},
		{"H51010101", "ZY-1", "x", "\xe2\x80\x8b", NULL},
		{"H51010101", "ZY-1", "x", "clerk", "S 1"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_eq(zt_claims_reverse(s, &bad[i], res), ZT_EINVAL, "request %zu", i);
	zt_store_close(s);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 3);
	cr_expect_eq(zt_test_sql_int(db, "SELECT count(*) FROM audit WHERE action = 'claim reverse'"),
	             1);
	free(res);
}

struct shown {
	int n;
	char ids[8][32];
};

static int shown_one(void *ctx, const struct zt_stored_settlement *st)
{
	struct shown *x = ctx;
	cr_assert(x->n < 8);
	snprintf(x->ids[x->n++], 32, "%s", st->setl_id);
	return 0;
}

Test(uc_show, by_claim_number_and_by_setl_id)
{
	struct zt_store *s = settled_world("show.db", NULL);
	struct zt_claims_reverse_res *res = malloc(sizeof *res);
	cr_assert_eq(zt_claims_reverse(s, &(struct zt_claims_reverse_req){"H51010101", "ZY-1", "x",
	                                                                  "clerk", NULL}, res), 0);
	free(res);
	struct {
		struct zt_claims_show_req req;
		int n;
		const char *first, *second;
	} cases[] = {
		{{"H51010101", "ZY-1", NULL}, 2, "S000000000001", "S000000000003"},
		{{NULL, NULL, "S000000000001"}, 2, "S000000000001", "S000000000003"},
		{{NULL, NULL, "S000000000003"}, 1, "S000000000003", NULL},
		{{"H51010101", "ZY-2", NULL}, 1, "S000000000002", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct shown x = {0};
		cr_assert_eq(zt_claims_show(s, &cases[i].req, shown_one, &x), 0, "%s", zt_error_last());
		cr_expect_eq(x.n, cases[i].n, "case %zu", i);
		cr_expect_str_eq(x.ids[0], cases[i].first);
		if (cases[i].second)
			cr_expect_str_eq(x.ids[1], cases[i].second);
	}
	struct shown x = {0};
	cr_expect_eq(zt_claims_show(s, &(struct zt_claims_show_req){NULL, NULL, "S000000000099"},
	                            shown_one, &x), ZT_ENOTFOUND);
	cr_expect_str_eq(zt_error_last(), "there is no settlement or reversal 'S000000000099'");
	cr_expect_eq(zt_claims_show(s, &(struct zt_claims_show_req){"H51010101", "ZY-7", NULL},
	                            shown_one, &x), ZT_ENOTFOUND);
	cr_expect_str_eq(zt_error_last(), "claim 'ZY-7' of hospital 'H51010101' has never been settled");
	cr_expect_eq(zt_claims_show(s, &(struct zt_claims_show_req){"H51010101", NULL, "S1"},
	                            shown_one, &x), ZT_EINVAL);
	cr_expect_eq(x.n, 0);
	zt_store_close(s);
}

struct listed {
	int n;
	zt_fen medfee;
};

static int listed_one(void *ctx, const struct zt_claim_line *l)
{
	struct listed *x = ctx;
	x->n++;
	x->medfee += l->medfee_sumamt;
	return 0;
}

Test(uc_list, by_person_hospital_and_discharge_dates)
{
	struct zt_store *s = settled_world("list.db", NULL);
	struct {
		struct zt_claim_filter f;
		int n;
	} cases[] = {
		{{0}, 2},
		{{.psn_no = "P0000001"}, 2},
		{{.psn_no = "P0000002"}, 0},
		{{.hospital = "H51010101"}, 2},
		{{.hospital = "H51010102"}, 0},
		{{.from = 20170310, .to = 20170310}, 2},
		{{.from = 20170311}, 0},
		{{.to = 20170309}, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct listed x = {0};
		cr_assert_eq(zt_claims_list(s, &cases[i].f, listed_one, &x), 0, "%s", zt_error_last());
		cr_expect_eq(x.n, cases[i].n, "case %zu", i);
		cr_expect_eq(x.medfee, 1050000 * (zt_fen)cases[i].n);
	}
	struct listed x = {0};
	cr_expect_eq(zt_claims_list(s, &(struct zt_claim_filter){.from = 20170311, .to = 20170310},
	                            listed_one, &x), ZT_EINVAL);
	zt_store_close(s);
}

/* ---- the slip ---------------------------------------------------------------------------- */

static void expect_slip_conserves(const struct zt_slip *sl)
{
	zt_fen charges = 0, paid = 0;
	for (int i = 0; i < ZT_CHARGE_TYPE_COUNT; i++)
		charges += sl->charge_fen[i];
	cr_expect_eq(charges, sl->medfee_sumamt_fen, "the charges add up to the bill");
	cr_expect_eq(sl->fulamt_ownpay_fen + sl->preselfpay_fen + sl->overlmt_selfpay_fen +
	             sl->inscp_scp_fen, sl->medfee_sumamt_fen, "the bill's parts add up");
	for (int i = 0; i < sl->fund_count; i++)
		paid += sl->funds[i].paid_fen;
	cr_expect_eq(paid + sl->hosp_part_fen + sl->psn_part_fen, sl->medfee_sumamt_fen,
	             "funds, hospital and patient add up to the bill, to the fen");
	cr_expect_eq(zt_slip_check(sl), 0, "%s", zt_error_last());
}

Test(uc_slip, the_fields_of_a_settlement_and_its_totals)
{
	struct zt_store *s = settled_world("slip.db", NULL);
	struct zt_slip sl;
	struct zt_slip_arena arena = {0};
	cr_assert_eq(zt_slip_build(s, &(struct zt_slip_req){.hospital = "H51010101",
	                                                    .claim_no = "ZY-1"}, &sl, &arena), 0,
	             "%s", zt_error_last());
	cr_expect_str_eq(sl.setl_id, "S000000000001");
	cr_expect_str_eq(sl.claim_no, "ZY-1");
	cr_expect_str_eq(sl.hospital_code, "H51010101");
	cr_expect_str_eq(sl.hospital_name, "xx区人民医院");
	cr_expect_str_eq(sl.person.name, "张三");
	cr_expect_str_eq(sl.person.psn_no, "P0000001");
	cr_expect_str_eq(sl.person.id_masked, "510101********1234");
	cr_expect(sl.person.id_unreadable, "the sample's number has a wrong check character");
	cr_expect_eq(sl.person.category, ZT_CAT_POOR);
	cr_expect_str_eq(sl.person.insurance, "城乡居民基本医疗保险");
	cr_expect_str_eq(sl.diag_code, "I63.900");
	cr_expect_eq(sl.adm_date, 20170301);
	cr_expect_eq(sl.dscg_date, 20170310);
	cr_expect_eq(sl.charge_fen[5 - 1], 800000, "治疗费");
	cr_expect_eq(sl.charge_fen[9 - 1], 200000, "西药费");
	cr_expect_eq(sl.charge_fen[8 - 1], 50000, "卫生材料费");
	cr_expect_eq(sl.medfee_sumamt_fen, 1050000);
	cr_assert_eq(sl.fund_count, 3);
	cr_expect_str_eq(sl.funds[0].code, "390100");
	cr_expect_str_eq(sl.funds[0].name, "城乡居民基本医疗保险基金");
	cr_expect_eq(sl.funds[0].paid_fen, 816000);
	cr_expect_str_eq(sl.funds[2].name, "卫生扶贫救助基金");
	cr_expect(sl.has_cap);
	cr_expect_eq(sl.cap_ratio_bp, 1000);
	cr_expect_eq(sl.cap_fen, 105000);
	cr_expect_str_eq(sl.clerk, "desk one");
	cr_expect_eq(sl.utc_offset_s, 8 * 3600);
	cr_expect(!sl.is_void);
	cr_expect_null(sl.verify_code, "no key, no code");
	/* the first claim of the year: its totals are its own */
	cr_expect(sl.has_year_psn_part);
	cr_expect_eq(sl.year_psn_part_fen, sl.psn_part_fen);
	for (int i = 0; i < sl.fund_count; i++)
		cr_expect_eq(sl.funds[i].year_total_fen, sl.funds[i].paid_fen);
	expect_slip_conserves(&sl);
	zt_slip_arena_free(&arena);
	zt_store_close(s);
}

Test(uc_slip, the_yearly_totals_are_as_of_the_settlement)
{
	struct zt_store *s = settled_world("year.db", NULL);
	struct zt_slip one, two;
	struct zt_slip_arena arena = {0};
	cr_assert_eq(zt_slip_build(s, &(struct zt_slip_req){.setl_id = "S000000000001"}, &one,
	                           &arena), 0);
	cr_assert_eq(zt_slip_build(s, &(struct zt_slip_req){.setl_id = "S000000000002"}, &two,
	                           &arena), 0);
	/* the second stay: the first one's and its own, fund by fund */
	cr_expect_eq(two.year_psn_part_fen, one.psn_part_fen + two.psn_part_fen);
	cr_assert_eq(two.fund_count, one.fund_count);
	for (int i = 0; i < two.fund_count; i++)
		cr_expect_eq(two.funds[i].year_total_fen, one.funds[i].paid_fen + two.funds[i].paid_fen,
		             "fund %s", two.funds[i].code);
	/* the first stay's slip does not count the later one */
	cr_expect_eq(one.year_psn_part_fen, one.psn_part_fen);
	expect_slip_conserves(&two);
	zt_slip_arena_free(&arena);
	zt_store_close(s);
}

Test(uc_slip, a_reversed_settlement_is_void_whichever_id_names_it)
{
	struct zt_store *s = settled_world("void.db", NULL);
	struct zt_claims_reverse_res *res = malloc(sizeof *res);
	cr_assert_eq(zt_claims_reverse(s, &(struct zt_claims_reverse_req){"H51010101", "ZY-1",
	                                                                  "wrong ward", "clerk", NULL}, res),
	             0);
	free(res);
	const struct zt_slip_req reqs[] = {{.setl_id = "S000000000001"},
	                                   {.setl_id = "S000000000003"},
	                                   {.hospital = "H51010101", .claim_no = "ZY-1"}};
	for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
		struct zt_slip sl;
		struct zt_slip_arena arena = {0};
		cr_assert_eq(zt_slip_build(s, &reqs[i], &sl, &arena), 0, "%s", zt_error_last());
		cr_expect_str_eq(sl.setl_id, "S000000000001", "req %zu", i);
		cr_expect(sl.is_void);
		cr_expect_str_eq(sl.void_setl_id, "S000000000003");
		cr_expect_str_eq(sl.void_reason, "wrong ward");
		cr_expect(sl.void_at_utc && sl.void_at_utc[0]);
		/* the amounts stay the original's: the slip of what was reversed */
		cr_expect_eq(sl.psn_part_fen, 105000);
		expect_slip_conserves(&sl);
		zt_slip_arena_free(&arena);
	}
	zt_store_close(s);
}

Test(uc_slip, none_for_what_was_never_settled)
{
	struct zt_store *s = settled_world("none.db", NULL);
	struct zt_slip sl;
	struct zt_slip_arena arena = {0};
	cr_expect_eq(zt_slip_build(s, &(struct zt_slip_req){.setl_id = "S000000000042"}, &sl, &arena),
	             ZT_ENOTFOUND);
	cr_expect_str_eq(zt_error_last(), "there is no settlement 'S000000000042'");
	cr_expect_eq(zt_slip_build(s, &(struct zt_slip_req){.hospital = "H51010101",
	                                                    .claim_no = "ZY-404"}, &sl, &arena),
	             ZT_ENOTFOUND);
	cr_expect(strstr(zt_error_last(), "'ZY-404'"), "%s", zt_error_last());
	cr_expect_eq(zt_slip_build(s, &(struct zt_slip_req){0}, &sl, &arena), ZT_EINVAL);
	zt_slip_arena_free(&arena);
	zt_store_close(s);
}

Test(uc_slip, with_a_key_the_code_verifies)
{
	struct zt_store *s = settled_world("code.db", NULL);
	static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
	struct zt_slip sl;
	struct zt_slip_arena arena = {0};
	const struct zt_slip_req req = {.setl_id = "S000000000002", .key = key, .key_len = sizeof key,
	                                .key_id = "K1"};
	cr_assert_eq(zt_slip_build(s, &req, &sl, &arena), 0, "%s", zt_error_last());
	cr_assert(sl.verify_code && sl.qr_text);
	cr_expect_eq(strncmp(sl.qr_text, ZT_SLIPCODE_QR_PREFIX, strlen(ZT_SLIPCODE_QR_PREFIX)), 0);
	struct zt_slipcode code;
	struct zt_slipcode_content c;
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	cr_assert_eq(zt_slipcode_parse(&code, zt_slipcode_in_qr(sl.qr_text)), 0);
	cr_assert_eq(zt_slip_code_content(&c, f, &sl), 0);
	cr_expect_eq(zt_slipcode_check(&code, key, sizeof key, &c), 0, "genuine");
	sl.psn_part_fen += 1;
	cr_assert_eq(zt_slip_code_content(&c, f, &sl), 0);
	cr_expect_eq(zt_slipcode_check(&code, key, sizeof key, &c), ZT_EINVAL, "a fen changed");
	zt_slip_arena_free(&arena);
	zt_store_close(s);
}

/* zt_slip_verify, the use case `slip verify` and the service call: the
 * verdict as data, the slip of a genuine code, void after a reversal. */
Test(uc_slip, verify_gives_the_verdict_and_the_slip_as_it_stands)
{
	struct zt_store *s = settled_world("verify.db", NULL);
	struct zt_slip_keys *keys = calloc(1, sizeof *keys);
	cr_assert(keys);
	struct zt_slip_verify_res res;
	/* no key: refused, not answered */
	const struct zt_slip_verify_req none = {.code = "K1-0000-0000-0000-0000-0000", .keys = keys};
	cr_expect_eq(zt_slip_verify(s, &none, &res), ZT_EINVAL);
	zt_slip_verify_res_free(&res);
	keys->count = 2;
	keys->signing = 0;
	keys->key[0] = (struct zt_slip_key){.id = "K2", .len = 32};
	keys->key[1] = (struct zt_slip_key){.id = "K1", .len = 32};
	memcpy(keys->key[0].bytes, "0123456789abcdef0123456789abcdef", 32);
	memcpy(keys->key[1].bytes, "fedcba9876543210fedcba9876543210", 32);
	cr_expect(zt_slip_keys_find(keys, "k1") == &keys->key[1]);
	cr_expect_null(zt_slip_keys_find(keys, "K3"));
	char codes[2][ZT_SLIPCODE_BYTES];
	for (int k = 0; k < 2; k++) {
		struct zt_slip sl;
		struct zt_slip_arena arena = {0};
		const struct zt_slip_req req = {.setl_id = "S000000000002", .key = keys->key[k].bytes,
		                                .key_len = 32, .key_id = keys->key[k].id};
		cr_assert_eq(zt_slip_build(s, &req, &sl, &arena), 0, "%s", zt_error_last());
		snprintf(codes[k], sizeof codes[k], "%s", sl.verify_code);
		zt_slip_arena_free(&arena);
	}
	for (int k = 0; k < 2; k++) {
		const struct zt_slip_verify_req req = {.code = codes[k], .keys = keys};
		cr_assert_eq(zt_slip_verify(s, &req, &res), 0, "%s", zt_error_last());
		cr_expect_eq(res.verdict, ZT_SLIP_GENUINE, "%s", codes[k]);
		cr_expect_str_eq(res.code, codes[k]);
		cr_expect_str_eq(res.slip.setl_id, "S000000000002");
		cr_expect_str_eq(res.slip.claim_no, "ZY-2");
		cr_expect(!res.slip.is_void);
		zt_fen sum = res.slip.hosp_part_fen + res.slip.psn_part_fen;
		for (int i = 0; i < res.slip.fund_count; i++)
			sum += res.slip.funds[i].paid_fen;
		cr_expect_eq(sum, res.slip.medfee_sumamt_fen, "the amounts add up");
		zt_slip_verify_res_free(&res);
	}
	/* the other settlement named: not genuine; unknown key id; not a code */
	struct {
		struct zt_slip_verify_req req;
		enum zt_slip_verdict want;
	} cases[] = {
		{{.code = codes[0], .setl_id = "S000000000001", .keys = keys}, ZT_SLIP_NOT_GENUINE},
		{{.code = codes[0], .setl_id = "S999999999999", .keys = keys}, ZT_SLIP_NOT_GENUINE},
		{{.code = "K3-0000-0000-0000-0000-0000", .keys = keys}, ZT_SLIP_UNKNOWN_KEY},
		{{.code = "K1-0000-0000-0000-0000-0000", .keys = keys}, ZT_SLIP_NOT_GENUINE},
		{{.code = "not a code", .keys = keys}, ZT_SLIP_NOT_A_CODE},
		{{.code = NULL, .keys = keys}, ZT_SLIP_NOT_A_CODE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert_eq(zt_slip_verify(s, &cases[i].req, &res), 0, "%zu: %s", i, zt_error_last());
		cr_expect_eq(res.verdict, cases[i].want, "case %zu", i);
		cr_expect_eq(res.slip.setl_id, NULL, "case %zu: no slip", i);
		zt_slip_verify_res_free(&res);
	}
	/* reversed: still genuine, now void */
	struct zt_claims_reverse_res *rr = malloc(sizeof *rr);
	const struct zt_claims_reverse_req rq = {.hospital = "H51010101", .claim_no = "ZY-2", .reason = "wrong ward", .actor = "clerk"};
	cr_assert_eq(zt_claims_reverse(s, &rq, rr), 0, "%s", zt_error_last());
	free(rr);
	const struct zt_slip_verify_req again = {.code = codes[1], .keys = keys};
	cr_assert_eq(zt_slip_verify(s, &again, &res), 0, "%s", zt_error_last());
	cr_expect_eq(res.verdict, ZT_SLIP_GENUINE);
	cr_expect(res.slip.is_void);
	cr_expect_str_eq(res.slip.void_reason, "wrong ward");
	zt_slip_verify_res_free(&res);
	zt_slip_keys_wipe(keys);
	cr_expect_eq(keys->count, 0);
	free(keys);
	zt_store_close(s);
}
