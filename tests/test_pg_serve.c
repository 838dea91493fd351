/* zhitong — two `zhitong serve` processes on one PostgreSQL database at once
 * (issue 13 point 1): desks send claims of the same person through both,
 * concurrently; every claim is settled (201), `verify` is clean (it
 * re-derives the accumulators from the settlements), and the settlements
 * are exactly those of the same claims submitted one after another in the
 * order of their setl_ids into a fresh database: each claim saw the totals
 * of every claim before it, whichever process settled it. Against the
 * server of the CTest fixture `pg` (tests/pg/). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "httputil.h"
#include "testutil.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"

#define SERVERS 2
#define DESKS_PER_SERVER 2
#define CLAIMS_PER_DESK 8
#define CLAIMS (SERVERS * DESKS_PER_SERVER * CLAIMS_PER_DESK)

/* The worked example's claim (person P0000001) under another claim number,
 * its first item dearer by 100 yuan a claim: the amounts differ, so the
 * order in which a person's claims are settled shows in their results. */
static char *claim_body(int desk, int i)
{
	char *x = zt_test_slurp(WORKED_EXAMPLE);
	cr_assert(x);
	char *open = strstr(x, "<claim xmlns=");
	cr_assert(open);
	char *body = strdup(open), no[32], *at;
	free(x);
	snprintf(no, sizeof no, "ZY2017-T%d-%02d", desk, i);
	int extra = 100 * (desk * CLAIMS_PER_DESK + i + 1);
	static const char *const from[] = {
		"<claim_no>ZY2017-000123</claim_no>", "<medfee_sumamt>10500.00</medfee_sumamt>",
		"<pric>8000</pric>", "<det_item_fee_sumamt>8000.00</det_item_fee_sumamt>",
	};
	char to[4][64];
	snprintf(to[0], sizeof to[0], "<claim_no>%s</claim_no>", no);
	snprintf(to[1], sizeof to[1], "<medfee_sumamt>%d.00</medfee_sumamt>", 10500 + extra);
	snprintf(to[2], sizeof to[2], "<pric>%d</pric>", 8000 + extra);
	snprintf(to[3], sizeof to[3], "<det_item_fee_sumamt>%d.00</det_item_fee_sumamt>", 8000 + extra);
	for (int k = 0; k < 4; k++) {
		at = strstr(body, from[k]);
		cr_assert(at, "the worked example has no %s", from[k]);
		size_t fl = strlen(from[k]), tl = strlen(to[k]), bl = strlen(body);
		char *n = malloc(bl - fl + tl + 1);
		cr_assert(n);
		memcpy(n, body, (size_t)(at - body));
		memcpy(n + (at - body), to[k], tl);
		memcpy(n + (at - body) + tl, at + fl, bl - (size_t)(at - body) - fl + 1);
		free(body);
		body = n;
	}
	return body;
}

struct desk {
	int id;
	unsigned port;
	const char *token;
	char *bodies[CLAIMS_PER_DESK];
	long status[CLAIMS_PER_DESK];
	char error[CLAIMS_PER_DESK][512];
};

static pthread_barrier_t start;

static void *desk_run(void *arg)
{
	struct desk *d = arg;
	pthread_barrier_wait(&start);
	for (int i = 0; i < CLAIMS_PER_DESK; i++) {
		struct zt_http_call c = {.port = d->port, .method = "POST", .path = "/v1/claims",
		                         .token = d->token, .body = d->bodies[i],
		                         .content_type = "application/xml"};
		struct zt_http_resp r = zt_http(&c);
		d->status[i] = r.status;
		snprintf(d->error[i], sizeof d->error[i], "%.255s %.150s", r.error, r.body ? r.body : "");
		zt_http_free(&r);
	}
	return NULL;
}

/* The claim list of the person as CSV, each row cut to what a settlement
 * is (setl_id … psn_part_amt: not its time, its user or a reason), in
 * the order of the setl_ids. */
static char *settlements_of(const char *db)
{
	struct run r = sh("'%s' --db '%s' claim list --person P0000001 --format csv | tail -n +2 | "
	                  "cut -d, -f1-12 | sort",
	                  ZT_TEST_ZHITONG, db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	char *out = strdup(r.out);
	run_free(&r);
	return out;
}

Test(pg_serve, two_servers_on_one_database_settle_one_persons_claims_exactly, .timeout = 600)
{
	char target[1200], *err = NULL, *out = NULL;
	zt_test_pg_create(target, sizeof target, "serve2", NULL);
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", target), 0, "%s", err);
	free(out);
	free(err);
	free(zt_test_ok("--db '%s' registry load '%s'", target, REGISTRY));
	free(zt_test_ok("--db '%s' rules load '%s'", target, POLICY));
	char *token = zt_test_desk_token(target);
	const char *conf = zt_test_write("zhitong.conf", "[service]\n"
	                                 "user-rate-per-s = 1000000\nuser-burst = 1000000\n"
	                                 "address-rate-per-s = 1000000\naddress-burst = 1000000\n");

	pid_t pid[SERVERS];
	unsigned port[SERVERS];
	for (int s = 0; s < SERVERS; s++) {
		char name[32];
		snprintf(name, sizeof name, "serve%d.err", s);
		pid[s] = zt_test_serve(target, conf, tmp_path(name), &port[s]);
	}
	cr_assert_neq(port[0], port[1]);

	curl_global_init(CURL_GLOBAL_DEFAULT); /* before the threads */
	static struct desk desks[SERVERS * DESKS_PER_SERVER];
	pthread_t th[SERVERS * DESKS_PER_SERVER];
	for (int k = 0; k < SERVERS * DESKS_PER_SERVER; k++) {
		desks[k].id = k;
		desks[k].port = port[k % SERVERS];
		desks[k].token = token;
		for (int i = 0; i < CLAIMS_PER_DESK; i++)
			desks[k].bodies[i] = claim_body(k, i);
	}
	cr_assert_eq(pthread_barrier_init(&start, NULL, SERVERS * DESKS_PER_SERVER), 0);
	for (int k = 0; k < SERVERS * DESKS_PER_SERVER; k++)
		cr_assert_eq(pthread_create(&th[k], NULL, desk_run, &desks[k]), 0);
	for (int k = 0; k < SERVERS * DESKS_PER_SERVER; k++)
		pthread_join(th[k], NULL);
	for (int s = 0; s < SERVERS; s++) {
		kill(pid[s], SIGTERM);
		int st;
		cr_assert_eq(waitpid(pid[s], &st, 0), pid[s]);
	}
	for (int k = 0; k < SERVERS * DESKS_PER_SERVER; k++)
		for (int i = 0; i < CLAIMS_PER_DESK; i++)
			cr_assert_eq(desks[k].status[i], 201, "desk %d claim %d: %ld %s", k, i,
			             desks[k].status[i], desks[k].error[i]);

	out = zt_test_ok("--db '%s' verify", target);
	cr_assert(strstr(out, "OK: 0 violations"), "%s", out);
	free(out);

	/* The order the two servers settled them in, and the same claims one
	 * after another in that order into a fresh SQLite database. */
	char *pg = settlements_of(target);
	size_t cap = 1 << 20, len = 0;
	char *replay = malloc(cap);
	cr_assert(replay);
	len += (size_t)snprintf(replay, cap, "<claims xmlns=\"urn:zhitong:claim:1\">\n");
	int rows = 0;
	bool shares_differ = false;
	int switches = 0, last_server = -1;
	long share_first = 0;
	for (char *line = pg; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		int k, i;
		char *no = strstr(line, ",ZY2017-T");
		cr_assert(no && sscanf(no, ",ZY2017-T%d-%d,", &k, &i) == 2, "%s", line);
		cr_assert(k >= 0 && k < SERVERS * DESKS_PER_SERVER && i >= 0 && i < CLAIMS_PER_DESK);
		/* the servers' claims interleave in the order of the setl_ids */
		if (rows > 0 && k % SERVERS != last_server)
			switches++;
		last_server = k % SERVERS;
		/* the fund's share of the claim (medfee_sumamt, fund_pay_sumamt:
		 * fields 9 and 10), in millionths */
		const char *f = line;
		for (int n = 0; n < 8; n++)
			f = strchr(f, ',') + 1;
		double medfee = atof(f), fund = atof(strchr(f, ',') + 1);
		long share = lround(fund / medfee * 1e6);
		if (rows == 0)
			share_first = share;
		else if (share != share_first)
			shares_differ = true;
		const char *b = strstr(desks[k].bodies[i], ">") + 1; /* inside <claim xmlns=…> */
		const char *e = strstr(b, "</claim>");
		len += (size_t)snprintf(replay + len, cap - len, "<claim>%.*s</claim>\n", (int)(e - b), b);
		cr_assert_lt(len, cap - 100);
		rows++;
	}
	cr_assert_eq(rows, CLAIMS, "%s", pg);
	/* both at once: not all of one server's claims before the other's (the
	 * desks start together at a barrier and send one claim at a time) */
	cr_assert_geq(switches, 2, "the servers did not settle at once\n%s", pg);
	/* the totals before a claim change its result (the caps, the
	 * assistance's brackets): the order is what the replay checks */
	cr_assert(shares_differ, "every claim got the same share: the order would not show\n%s", pg);
	snprintf(replay + len, cap - len, "</claims>\n");
	const char *file = zt_test_write("replay.xml", replay);
	const char *serial = zt_test_sample_db("serial.db");
	free(zt_test_ok("--db '%s' claim submit '%s' --by desk1", serial, file));
	char *one = settlements_of(serial);
	zt_test_same_text(pg, one, "the two servers' settlements and the same claims one after another");
	free(one);
	free(pg);
	free(replay);
	free(token);
	for (int k = 0; k < SERVERS * DESKS_PER_SERVER; k++)
		for (int i = 0; i < CLAIMS_PER_DESK; i++)
			free(desks[k].bodies[i]);
}
