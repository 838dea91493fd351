/* zhitong-sim — a county's year, simulated day by day through the real use
 * cases (issue 15 point 4; README "Proof under stress").
 *
 * A generated world (gen.h: hospitals, thousands of people, a year of
 * claims) is settled on a fake clock (zt_date_set_clock: the store's "now"
 * and every use case's "today"), one day after another, as the county
 * would live it:
 *   - claims reach the desks a few days after discharge, in submissions of
 *     one to a handful of claims interleaved from the seed, some quoted
 *     first, some sent twice (the stored answer comes back), some reversed
 *     and resubmitted days later;
 *   - the registry changes (people enter poverty) and a policy amendment
 *     supersedes the year's policy from July (rules load --supersedes);
 *   - an advance plan is made, approved by another person and issued every
 *     week (the pain.001 debits come back on the bank statement);
 *   - every week each fund's shares are batched (made by a clerk, approved by
 *     a checker), exported and signed, and handed to a payer (a fake port)
 *     that accepts, rejects records, refuses, times out or answers days
 *     later;
 *   - the pool account's camt.053 statement comes every working day, with
 *     payments in full, in instalments, late, imported twice, and paid twice
 *     (an exception, refunded: money owed back);
 * and after every day the invariants are checked: zhitong verify (every
 * check of verify.h), the audit chain, each person's yearly totals against
 * the sum of the settlements the desks were answered, and that no capped
 * patient paid above the cap in county.
 *
 * Closing figures: days, claims, money moved, checks run and failed, and
 * the mission's measures: per hospital, yuan × days below zero (money the
 * hospital advanced itself) with the weekly advances, and the largest
 * patient share above the cap. A failure names its seed and day; the same
 * seed replays it exactly (deterministic: own PRNG, fake clock).
 *
 * This is a tool, not the engine: it may use doubles for printing only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "zhitong/advance.h"
#include "zhitong/audit.h"
#include "zhitong/audit_trail.h"
#include "zhitong/batch.h"
#include "zhitong/claims.h"
#include "zhitong/config.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/gen.h"
#include "zhitong/money.h"
#include "zhitong/policy.h"
#include "zhitong/reconcile.h"
#include "zhitong/registry.h"
#include "zhitong/render_trace.h"
#include "zhitong/settle.h"
#include "zhitong/settle_group.h"
#include "zhitong/source.h"
#include "zhitong/store.h"
#include "zhitong/verify.h"

#define POOL_ACCOUNT "6222020200112233445"
#define COUNTY "510101"
#define NAT_COUNTY "510123"
#define YEAR 2017
#define MAX_HOSP 64

static const char *const FUNDS[] = {"390100", "390200", "610100", "610103", "610104"};
#define NFUNDS 5

/* ---- the seed's randomness (splitmix64: never rand()) ------------------- */

struct rng {
	uint64_t s;
};
static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static uint64_t below(struct rng *r, uint64_t n) { return n ? rnd(r) % n : 0; }
static bool permille(struct rng *r, unsigned p) { return below(r, 1000) < p; }

/* ---- the world ------------------------------------------------------------ */

enum { C_WAITING, C_SETTLED, C_REVERSED };

struct claim {
	const char *xml; /* into the claims file */
	size_t len;
	zt_date dscg, due; /* discharge; the day a desk sends it (again) */
	char hosp[16], claim_no[32];
	int person; /* index: P%08d - 1; the national county's Q%08d after them */
	int state;
	bool national; /* claim v2 of the county on top of the national platform */
	bool rejected; /* national-mismatch: the platform's amounts do not add up */
};

struct person {
	zt_fen slot[3 + 8]; /* basic, crit_base, crit_paid, assist, relief:<fund> by FUNDS index */
	bool touched;
};

struct batch {
	char id[40];
	int fund;
	int state;      /* 0 sent waiting answer, 1 answered (accepted), 2 refused, 3 done */
	zt_date answer_day;
	int outcome;    /* enum zt_batch_outcome decided by the payer */
	zt_fen due;     /* what the payer owes once accepted */
	zt_fen paid;
	zt_date pay_day;
	int pay_kind;   /* 0 full, 1 two instalments, 2 late, 3 twice */
	int instalment;
	zt_fen total;   /* as exported */
	zt_date prepay_day; /* the payer pays it in full before its (late) answer; 0: no */
};

struct entry {
	bool credit;
	zt_fen amount;
	char e2e[40], ustrd[40];
};

struct sim {
	uint64_t seed;
	int days, claims_n, hospitals_n, people_n;
	bool keep, verbose, no_advances;
	char dir[512], db[600], cfg_path[600], key[600], world[600], nworld[600];
	struct zt_store *s;
	struct zt_settle_group *group;
	int64_t via_service;
	struct zt_config *cfg;
	struct rng r;
	zt_date day;
	int64_t tick; /* seconds into the day, for ordered timestamps */
	char *claims_text, *nat_text;
	int nat_claims, np_main; /* the national county's claims; the full county's people */
	int64_t nat_settled, nat_mismatch;
	zt_fen nat_medfee, nat_oth;
	struct claim *c;
	int nc;
	int *done; /* claims settled (an index may repeat after a resubmission) */
	int ndone;
	struct person *p;
	int np;
	struct zt_policy pol[3];
	int npol;
	char hosp[MAX_HOSP][16];
	int nh;
	zt_fen below_fen_days[MAX_HOSP]; /* Σ max(0, −balance) per day */
	int below_days[MAX_HOSP];
	struct batch *b;
	int nb, cap_b;
	struct entry *pend; /* advances' debits for the next statement */
	int npend, cap_pend;
	char last_statement[700];
	int stmt_no;
	/* what the year did */
	int64_t submitted, settled, replayed, rejected, quoted, reversed, resubmitted;
	int64_t plans, advances, batches, accepted, rejected_batches, refused, timeouts, late_answers;
	int64_t statements, reimports, payments, instalments, late_payments, twice_paid, refunds;
	int64_t registry_changes, amendments, prepaid, repaid;
	zt_fen repaid_fen;
	zt_fen medfee, funds_paid, advanced, bank_in, bank_out, refunded;
	int64_t checks, failures;
	zt_fen cap_over_max; /* the largest patient share above the cap, in county */
	int64_t capped_claims;
	/* the fake payer's answer, valid until its next call */
	struct zt_batch_reject rej[3];
	char rej_id[3][64];
	char receipt[64], msg[128];
};


static int64_t sim_now(void *ctx)
{
	struct sim *m = ctx;
	return zt_zone_day_start(zt_date_pool_zone(), m->day) + 8 * 3600 + m->tick;
}
static void tick(struct sim *m) { m->tick += 7; }

/* The command that runs this year again, to the same day and answer. */
static void replay_line(const struct sim *m)
{
	fprintf(stderr,
	        "zhitong-sim: replay: zhitong-sim --seed %llu --days %d --claims %d --hospitals %d "
	        "--people %d%s\n",
	        (unsigned long long)m->seed, m->days, m->claims_n, m->hospitals_n, m->people_n,
	        m->no_advances ? " --no-advances" : "");
}

static void die(struct sim *m, const char *what, int rc)
{
	char d[ZT_FMT_BYTES];
	fprintf(stderr, "zhitong-sim: FAILED on day %s (seed %llu): %s: %s (%d)\n",
	        zt_format_date(d, m->day), (unsigned long long)m->seed, what,
	        rc ? zt_error_last() : "", rc);
	replay_line(m);
	exit(1);
}
#define CHECK(m, call, what)              \
	do {                              \
		int rc_ = (call);         \
		if (rc_)                  \
			die(m, what, rc_); \
	} while (0)

static void failure(struct sim *m, const char *fmt, ...)
{
	va_list ap;
	char d[ZT_FMT_BYTES];
	m->failures++;
	fprintf(stderr, "zhitong-sim: invariant broken on day %s (seed %llu): ",
	        zt_format_date(d, m->day), (unsigned long long)m->seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- files ------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, 65536, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void make_key(struct sim *m)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f = k ? fopen(m->key, "wx") : NULL;
	if (!f || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1 || fclose(f) != 0)
		die(m, "signing key", zt_error_set(ZT_EIO, "cannot make '%s'", m->key));
	EVP_PKEY_free(k);
}

/* WORLD/NAME read whole (or the run ends). */
static char *world_file(struct sim *m, const char *world, const char *name, size_t *len)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", world, name);
	char *text = slurp(path, len);
	if (!text)
		die(m, "read the generated world", zt_error_set(ZT_EIO, "cannot read '%s'", path));
	return text;
}

/* The text of <tag>…</tag> in [p, end). */
static bool elem(const char *p, const char *end, const char *tag, char *out, size_t cap)
{
	char open[40], close[40];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = memmem(p, (size_t)(end - p), open, strlen(open));
	if (!a)
		return false;
	a += strlen(open);
	const char *b = memmem(a, (size_t)(end - a), close, strlen(close));
	if (!b || (size_t)(b - a) >= cap)
		return false;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
	return true;
}

static int person_index(const struct sim *m, const char *psn)
{
	int i = atoi(psn + 1) - 1;
	if (i < 0)
		return -1;
	if (psn[0] == 'P')
		return i < m->np_main ? i : -1;
	if (psn[0] == 'Q')
		return m->np_main + i < m->np ? m->np_main + i : -1;
	return -1;
}

static void psn_of(const struct sim *m, int i, char out[16])
{
	if (i < m->np_main)
		snprintf(out, 16, "P%08d", i + 1);
	else
		snprintf(out, 16, "Q%08d", i - m->np_main + 1);
}

/* Generated worlds number their people alike (P00000001 …): the national
 * county's become Q00000001 …, in its registry and its claims (the same
 * length, in place). */
static void rename_people(char *text, size_t len, const char *from)
{
	size_t fl = strlen(from);
	for (char *p = text; (p = memmem(p, len - (size_t)(p - text), from, fl)) != NULL; p += fl)
		p[fl - 1] = 'Q';
}

/* The generated claims file cut into its claims: each is sent on its own
 * day, with the root element around it. */
static void load_claims(struct sim *m, const char *world, bool national)
{
	size_t len;
	char *text = world_file(m, world, "claims.xml", &len);
	if (national) {
		rename_people(text, len, "<psn_no>P");
		m->nat_text = text;
	} else {
		m->claims_text = text;
	}
	int cap = m->claims_n + m->nat_claims + 2;
	if (!m->c) {
		m->c = calloc((size_t)cap, sizeof *m->c);
		/* room for every claim and every resubmission (at most one per claim sent) */
		m->done = calloc(2 * (size_t)cap, sizeof *m->done);
	}
	const char *p = text, *end = text + len;
	while ((p = memmem(p, (size_t)(end - p), "<claim>", 7)) != NULL) {
		const char *q = memmem(p, (size_t)(end - p), "</claim>", 8);
		if (!q || m->nc >= cap)
			die(m, "cut the claims file", ZT_EINTERNAL);
		q += 8;
		struct claim *c = &m->c[m->nc++];
		char d[32], psn[32];
		c->xml = p;
		c->len = (size_t)(q - p);
		c->national = national;
		if (!elem(p, q, "dscg_date", d, sizeof d) || zt_parse_date(&c->dscg, d, strlen(d)) ||
		    !elem(p, q, "fixmedins_code", c->hosp, sizeof c->hosp) ||
		    !elem(p, q, "claim_no", c->claim_no, sizeof c->claim_no) ||
		    !elem(p, q, "psn_no", psn, sizeof psn))
			die(m, "read a generated claim", ZT_EINTERNAL);
		c->person = person_index(m, psn);
		if (c->person < 0)
			die(m, "a generated claim's person", ZT_EINTERNAL);
		/* a desk sends it on the day of discharge or up to a week later */
		c->due = zt_date_add(c->dscg, (int64_t)below(&m->r, 8));
		p = q;
	}
}

/* ---- the people's yearly totals, as the desks were answered --------------- */

static int slot_index(const char *slot)
{
	static const char *const fixed[] = {"basic", "crit_base", "crit_paid", "assist"};
	for (int i = 0; i < 4; i++)
		if (strcmp(slot, fixed[i]) == 0)
			return i;
	if (strncmp(slot, "relief:", 7) == 0)
		for (int i = 0; i < NFUNDS; i++)
			if (strcmp(slot + 7, FUNDS[i]) == 0)
				return 4 + i;
	return -1;
}

static const struct zt_policy *policy_of(struct sim *m, const char *id)
{
	for (int i = 0; i < m->npol; i++)
		if (strcmp(m->pol[i].id, id) == 0)
			return &m->pol[i];
	return NULL;
}

/* What one settlement (or reversal, its amounts negative) adds to its
 * person's year; and the cap: a capped patient in county pays at most
 * floor(medfee × cap) (docs/spec/split.md §5; the remainder goes to the
 * hospital). */
static void count_settlement(struct sim *m, const struct zt_stored_settlement *st)
{
	int pi = person_index(m, st->psn_no);
	if (pi < 0) {
		failure(m, "settlement %s names person %s outside the world", st->setl_id, st->psn_no);
		return;
	}
	struct person *p = &m->p[pi];
	p->touched = true;
	p->slot[1] += st->critical_base_added;
	for (int i = 0; i < st->fund_count; i++) {
		/* the accumulator a share moves: by its kind (trace.h's slots) */
		const struct zt_stored_fund *f = &st->funds[i];
		char slot[ZT_SLOT_BYTES + 8];
		if (strcmp(f->kind, "basic") == 0)
			snprintf(slot, sizeof slot, "basic");
		else if (strcmp(f->kind, "critical") == 0)
			snprintf(slot, sizeof slot, "crit_paid");
		else if (strcmp(f->kind, "assistance") == 0)
			snprintf(slot, sizeof slot, "assist");
		else
			snprintf(slot, sizeof slot, "relief:%s", f->fund_code);
		int k = slot_index(slot);
		if (k < 0) {
			failure(m, "settlement %s: share of fund %s of kind '%s'", st->setl_id,
			        f->fund_code, f->kind);
			continue;
		}
		p->slot[k] += st->funds[i].amount;
	}
	if (strcmp(st->kind, "settle") != 0)
		return;
	m->medfee += st->cls.medfee_sumamt;
	m->funds_paid += st->fund_pay_sumamt;
	if (st->psn_no[0] == 'Q') {
		m->nat_settled++;
		m->nat_medfee += st->cls.medfee_sumamt;
		m->nat_oth += st->oth_pay;
	}
	const struct zt_policy *pol = policy_of(m, st->policy_id);
	zt_category cat = zt_category_parse(st->category, strlen(st->category));
	if (!pol || (int)cat < 0) {
		failure(m, "settlement %s: policy '%s' or category '%s' unknown", st->setl_id,
		        st->policy_id, st->category);
		return;
	}
	if (st->in_county && pol->cap_categories[cat] && pol->has_cap_in_county &&
	    pol->remainder == ZT_REMAINDER_HOSPITAL) {
		zt_fen target;
		if (zt_mul_ratio_floor(&target, st->cls.medfee_sumamt, pol->cap_in_county_bp))
			die(m, "the cap", ZT_ERANGE);
		m->capped_claims++;
		zt_fen over = st->psn_part_amt - target;
		if (over > m->cap_over_max)
			m->cap_over_max = over;
		if (over > 0) {
			char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
			failure(m, "settlement %s: patient %s paid %s, above the cap %s", st->setl_id,
			        st->psn_no, zt_format_amount(a, st->psn_part_amt),
			        zt_format_amount(b, target));
		}
	}
}

struct desk {
	struct sim *m;
	struct claim **cs;
	int n;
	bool quote;
	int64_t settled, replayed, rejected;
};

static int sink_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	struct desk *d = ctx;
	if (replayed) {
		d->replayed++;
		return 0;
	}
	d->settled++;
	if (!d->quote)
		count_settlement(d->m, st);
	return 0;
}

static int sink_rejected(void *ctx, const struct zt_rejection *r)
{
	struct desk *d = ctx;
	d->rejected++;
	/* claim v2-national.md §3: a claim whose national amounts do not add
	 * up is rejected national-mismatch (the generator writes one in fifty) */
	for (int i = 0; i < d->n; i++)
		if (d->cs[i]->national && strcmp(d->cs[i]->claim_no, r->claim_no) == 0 &&
		    strcmp(d->cs[i]->hosp, r->hospital) == 0 &&
		    strcmp(r->code_name, "national-mismatch") == 0) {
			if (!d->quote) {
				d->cs[i]->rejected = true;
				d->m->nat_mismatch++;
			}
			return 0;
		}
	failure(d->m, "claim %s/%s was rejected %s: %s", r->hospital, r->claim_no, r->code_name,
	        r->message);
	return 0;
}

/* A desk sends claims (a quote first, now and then). */
/* One desk at a time: a group never settles an input again (only when
 * another input of its group fails whole). */
static void group_reset(void *ctx)
{
	struct desk *d = ctx;
	failure(d->m, "the group commit settled an input again");
}

static void send_claims(struct sim *m, struct claim **cs, int n, bool quote, const char *desk,
                        bool via_service)
{
	const char *head = cs[0]->national ? "<claims xmlns=\"urn:zhitong:claim:2\">\n"
	                                   : "<claims xmlns=\"urn:zhitong:claim:1\">\n";
	static const char tail[] = "</claims>\n";
	size_t len = strlen(head) + sizeof tail - 1;
	for (int i = 0; i < n; i++)
		len += cs[i]->len + 1;
	char *buf = malloc(len + 1), *o = buf;
	if (!buf)
		die(m, "memory", ZT_ENOMEM);
	o = stpcpy(o, head);
	for (int i = 0; i < n; i++) {
		memcpy(o, cs[i]->xml, cs[i]->len);
		o += cs[i]->len;
		*o++ = '\n';
	}
	o = stpcpy(o, tail);
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, buf, (size_t)(o - buf), desk);
	struct desk d = {.m = m, .cs = cs, .n = n, .quote = quote};
	int64_t before = 0; /* sent before and not reversed: their stored answer comes back */
	for (int i = 0; i < n; i++)
		before += cs[i]->state == C_SETTLED;
	struct zt_settle_sink sink = {.settled = sink_settled, .rejected = sink_rejected, .ctx = &d};
	struct zt_settle_opts so = {.quote = quote, .actor = desk, .config = m->cfg};
	struct zt_settle_stats st;
	tick(m);
	int rc;
	if (quote) {
		rc = zt_claims_quote(m->s, &src, ZT_CLAIM_FORMAT_XML, &so, &sink, &st);
	} else if (via_service) {
		/* the service's way: the group commit (settle_group.h), on a
		 * connection of its own */
		const struct zt_settle_job job = {.src = &src, .format = ZT_CLAIM_FORMAT_XML, .o = &so,
		                                  .sink = &sink, .reset = group_reset, .reset_ctx = &d};
		rc = zt_settle_group_submit(m->group, &job, &st);
		m->via_service += n;
	} else {
		rc = zt_settle_source(m->s, &src, ZT_CLAIM_FORMAT_XML, &so, &sink, &st);
	}
	free(buf);
	if (rc)
		die(m, quote ? "claim quote" : "claim submit", rc);
	if (quote) {
		m->quoted += n;
		return;
	}
	if (d.replayed != before || d.settled + d.replayed + d.rejected != n)
		failure(m, "%s sent %d claims (%lld sent before): %lld settled, %lld answered again",
		        desk, n, (long long)before, (long long)d.settled, (long long)d.replayed);
	m->submitted += n;
	m->settled += d.settled;
	m->replayed += d.replayed;
	m->rejected += d.rejected;
	for (int i = 0; i < n; i++) {
		if (cs[i]->rejected) {
			cs[i]->state = C_WAITING;
			cs[i]->due = 0; /* never again: it stays rejected */
			continue;
		}
		if (cs[i]->state != C_SETTLED && m->ndone < 2 * m->claims_n + 2)
			m->done[m->ndone++] = (int)(cs[i] - m->c);
		cs[i]->state = C_SETTLED;
	}
}

static void reverse_claim(struct sim *m, struct claim *c)
{
	struct zt_claims_reverse_res *res = calloc(1, sizeof *res);
	if (!res)
		die(m, "memory", ZT_ENOMEM);
	tick(m);
	CHECK(m,
	      zt_claims_reverse(m->s,
	                        &(struct zt_claims_reverse_req){c->hosp, c->claim_no,
	                                                        "simulated: corrected by the hospital",
	                                                        "desk-reversal", NULL},
	                        res),
	      "claim reverse");
	if (res->rejected)
		failure(m, "claim %s/%s could not be reversed: %s", c->hosp, c->claim_no, res->message);
	else
		count_settlement(m, &res->reversal);
	free(res);
	m->reversed++;
	c->state = C_REVERSED;
	c->due = zt_date_add(m->day, 1 + (int64_t)below(&m->r, 5));
}

static void claims_of_the_day(struct sim *m)
{
	struct claim **today = malloc(((size_t)m->nc + 1) * sizeof *today);
	int n = 0;
	for (int i = 0; i < m->nc; i++)
		if (m->c[i].state != C_SETTLED && m->c[i].due == m->day)
			today[n++] = &m->c[i];
	/* the desks' order: shuffled from the seed */
	for (int i = n - 1; i > 0; i--) {
		int j = (int)below(&m->r, (uint64_t)i + 1);
		struct claim *t = today[i];
		today[i] = today[j];
		today[j] = t;
	}
	for (int i = 0; i < n;) {
		int k = 1 + (int)below(&m->r, 6);
		if (k > n - i)
			k = n - i;
		/* a submission holds the claims of one county (v1 or v2) */
		for (int j = i + 1; j < i + k; j++)
			if (today[j]->national != today[i]->national) {
				k = j - i;
				break;
			}
		char desk[32];
		snprintf(desk, sizeof desk, "desk-%02d", (int)below(&m->r, 12) + 1);
		int again = 0;
		for (int j = i; j < i + k; j++)
			again += today[j]->state == C_REVERSED;
		if (permille(&m->r, 150))
			send_claims(m, today + i, k, true, desk, false);
		/* desks 1 to 6 send through the service's group commit */
		send_claims(m, today + i, k, false, desk, atoi(desk + 5) <= 6);
		m->resubmitted += again;
		/* between two submissions, another desk's work */
		if (m->ndone > 0 && permille(&m->r, 200)) {
			struct claim *c = &m->c[m->done[below(&m->r, (uint64_t)m->ndone)]];
			if (c->state == C_SETTLED) {
				if (permille(&m->r, 600))
					reverse_claim(m, c);
				else
					send_claims(m, &c, 1, false, "desk-resend", false); /* its stored answer */
			}
		}
		i += k;
	}
	free(today);
}

/* ---- invariants ------------------------------------------------------------ */

struct vctx {
	struct sim *m;
};
static void v_violation(void *ctx, const char *check, const char *msg)
{
	failure(((struct vctx *)ctx)->m, "verify: %s: %s", check, msg);
}
static void v_checked(void *ctx, const char *check, int64_t count)
{
	(void)check;
	(void)count;
	((struct vctx *)ctx)->m->checks++;
}

struct slots {
	zt_fen v[3 + 8];
	bool unknown;
};
static int accum_cb(void *ctx, const char *slot, zt_fen amount)
{
	struct slots *s = ctx;
	int k = slot_index(slot);
	if (k < 0)
		s->unknown = true;
	else
		s->v[k] = amount;
	return 0;
}

static void check_day(struct sim *m, bool everyone)
{
	struct vctx vc = {m};
	struct zt_verify_report rep = {.ctx = &vc, .violation = v_violation, .checked = v_checked};
	int64_t violations = 0;
	CHECK(m, zt_verify(m->s, &rep, &violations), "verify");
	if (violations)
		failure(m, "verify: %lld violations", (long long)violations);
	struct zt_audit_verdict av;
	int rc = zt_audit_trail_verify(m->s, NULL, &av);
	m->checks++;
	if (rc)
		failure(m, "audit verify: %s", av.message);
	/* each person's yearly totals are the sum of their settlements */
	CHECK(m, m->s->ops->begin(m->s, ZT_TXN_READ), "read");
	for (int i = 0; i < m->np; i++) {
		struct person *p = &m->p[i];
		if (!p->touched && !everyone)
			continue;
		char psn[16];
		psn_of(m, i, psn);
		struct slots got = {0};
		rc = m->s->ops->claims.accum_get(m->s, psn, YEAR, accum_cb, &got);
		if (rc) {
			m->s->ops->rollback(m->s);
			die(m, "accumulators", rc);
		}
		m->checks++;
		if (got.unknown || memcmp(got.v, p->slot, sizeof got.v) != 0)
			failure(m, "person %s: yearly totals (basic %lld, crit_paid %lld, assist %lld) "
			        "are not the sum of the settlements (%lld, %lld, %lld)",
			        psn, (long long)got.v[0], (long long)got.v[2], (long long)got.v[3],
			        (long long)p->slot[0], (long long)p->slot[2], (long long)p->slot[3]);
		p->touched = false;
	}
	m->s->ops->rollback(m->s);
	m->checks++; /* the cap, checked on every settlement as it is answered */
}

/* ---- hospitals' own money ------------------------------------------------------ */

static int status_cb(void *ctx, const struct zt_advance_status *st)
{
	struct sim *m = ctx;
	int i;
	for (i = 0; i < m->nh; i++)
		if (strcmp(m->hosp[i], st->hospital) == 0)
			break;
	if (i == m->nh) {
		if (m->nh == MAX_HOSP)
			return 0;
		snprintf(m->hosp[m->nh++], sizeof m->hosp[0], "%s", st->hospital);
	}
	if (st->balance < 0) {
		m->below_fen_days[i] += -st->balance;
		m->below_days[i]++;
	}
	return 0;
}

/* An entry of a statement to come (abort()s when memory runs out). */
static void add_entry(struct entry **es, int *n, int *cap, bool credit, zt_fen amount,
                      const char *e2e, const char *ustrd)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*es = realloc(*es, (size_t)*cap * sizeof **es);
		if (!*es)
			abort();
	}
	struct entry *e = &(*es)[(*n)++];
	memset(e, 0, sizeof *e);
	e->credit = credit;
	e->amount = amount;
	snprintf(e->e2e, sizeof e->e2e, "%s", e2e ? e2e : "");
	snprintf(e->ustrd, sizeof e->ustrd, "%s", ustrd ? ustrd : "");
}

/* ---- advances ------------------------------------------------------------------- */

static void advances(struct sim *m)
{
	struct zt_advance_plan plan = {0};
	struct zt_advance_issued is = {0};
	tick(m);
	CHECK(m, zt_advance_plan(m->s, &(struct zt_advance_plan_req){.cfg = m->cfg, .actor = "finance-wang"}, &plan),
	      "advance plan");
	m->plans++;
	if (plan.line_count == 0 || plan.total == 0) {
		zt_advance_plan_free(&plan);
		return;
	}
	tick(m);
	CHECK(m, zt_advance_approve(m->s, &(struct zt_advance_approve_req){plan.plan_id, "director-li"}),
	      "advance approve");
	char out[800];
	snprintf(out, sizeof out, "%s/out/advance-%s.xml", m->dir, plan.plan_id);
	tick(m);
	CHECK(m,
	      zt_advance_issue(m->s,
	                       &(struct zt_advance_issue_req){.cfg = m->cfg, .plan_id = plan.plan_id,
	                                                      .actor = "finance-wang", .out_path = out},
	                       &is),
	      "advance issue");
	for (size_t i = 0; i < is.count; i++) { /* the bank's debits, on the next statement */
		add_entry(&m->pend, &m->npend, &m->cap_pend, false, is.advances[i].amount,
		          is.advances[i].advance_id, NULL);
		m->advanced += is.advances[i].amount;
		m->advances++;
	}
	zt_advance_issued_free(&is);
	zt_advance_plan_free(&plan);
}

/* ---- the payer: a fake port ------------------------------------------------------ */

static struct batch *batch_of(struct sim *m, const char *id)
{
	for (int i = 0; i < m->nb; i++)
		if (strcmp(m->b[i].id, id) == 0)
			return &m->b[i];
	return NULL;
}

static int port_bind(void *ctx, const char *fund, const char **gw)
{
	(void)ctx;
	(void)fund;
	*gw = "sim";
	return 0;
}

struct recs {
	struct sim *m;
	int n, want;
	uint64_t pick;
};
static int rec_cb(void *ctx, const struct zt_batch_record *r)
{
	struct recs *x = ctx;
	struct sim *m = x->m;
	/* the first payable settlement records whose index the seed chose */
	if (x->n < x->want && r->payable && r->amount > 0 && (x->pick++ % 7) == 0) {
		snprintf(m->rej_id[x->n], sizeof m->rej_id[0], "%s/%d", r->setl_id, r->seq);
		m->rej[x->n].record_id = m->rej_id[x->n];
		m->rej[x->n].reason = "simulated: person not insured on the discharge date";
		x->n++;
	}
	return 0;
}

/* The payer's answer to batch b, decided when it was sent. */
static void answer(struct sim *m, struct batch *b, struct zt_batch_answer *out)
{
	memset(out, 0, sizeof *out);
	out->gateway = "sim";
	out->attempts = 1;
	snprintf(m->receipt, sizeof m->receipt, "R-%s", b->id);
	out->receipt = m->receipt;
	out->outcome = (enum zt_batch_outcome)b->outcome;
	out->message = zt_batch_outcome_name(out->outcome);
	if (b->outcome == ZT_BATCH_OUT_REJECTED) {
		struct recs x = {m, 0, 1 + (int)below(&m->r, 2), below(&m->r, 5)};
		if (zt_batch_records_each(m->s, b->id, false, rec_cb, &x))
			die(m, "batch records", ZT_EINTERNAL);
		if (x.n == 0)
			out->outcome = ZT_BATCH_OUT_ACCEPTED;
		out->reject_count = (size_t)x.n;
		out->rejects = m->rej;
	} else if (b->outcome == ZT_BATCH_OUT_REFUSED) {
		out->message = "simulated: the file arrived after the payer's cut-off";
	}
}

static int port_send(void *ctx, const char *id, const char *file, const char *sig,
                     struct zt_batch_answer *out)
{
	struct sim *m = ctx;
	(void)file;
	(void)sig;
	struct batch *b = batch_of(m, id);
	if (!b)
		return zt_error_set(ZT_EINTERNAL, "the simulation lost batch %s", id);
	uint64_t d = below(&m->r, 100);
	if (d < 6) { /* a gateway timeout: the batch stays exported, sent again later */
		memset(out, 0, sizeof *out);
		out->outcome = ZT_BATCH_OUT_FAILED;
		out->gateway = "sim";
		out->attempts = 3;
		out->error = ZT_EIO;
		out->message = "simulated: the payer did not answer in time";
		m->timeouts++;
		return 0;
	}
	b->outcome = d < 70 ? ZT_BATCH_OUT_ACCEPTED : d < 85 ? ZT_BATCH_OUT_REJECTED
	             : d < 90 ? ZT_BATCH_OUT_REFUSED : ZT_BATCH_OUT_PENDING;
	if (b->outcome == ZT_BATCH_OUT_PENDING) { /* a late answer, days later */
		b->outcome = permille(&m->r, 700) ? ZT_BATCH_OUT_ACCEPTED : ZT_BATCH_OUT_REJECTED;
		b->answer_day = zt_date_add(m->day, 4 + (int64_t)below(&m->r, 10));
		/* half of them paid in full before the answer: a rejection then
		 * leaves the pool owing the fund's payer money back */
		if (permille(&m->r, 500))
			b->prepay_day = zt_date_add(m->day, 1 + (int64_t)below(&m->r, 3));
		memset(out, 0, sizeof *out);
		out->outcome = ZT_BATCH_OUT_PENDING;
		out->gateway = "sim";
		out->attempts = 1;
		out->message = "simulated: received, no answer yet";
		m->late_answers++;
		return 0;
	}
	answer(m, b, out);
	return 0;
}

static int port_poll(void *ctx, const char *id, struct zt_batch_answer *out)
{
	struct sim *m = ctx;
	struct batch *b = batch_of(m, id);
	if (!b)
		return zt_error_set(ZT_EINTERNAL, "the simulation lost batch %s", id);
	if (m->day < b->answer_day) {
		memset(out, 0, sizeof *out);
		out->outcome = ZT_BATCH_OUT_PENDING;
		out->gateway = "sim";
		out->message = "simulated: no answer yet";
		return 0;
	}
	answer(m, b, out);
	return 0;
}

/* The payer paid for records it then rejected: the pool pays the
 * difference back (batch repay; its pain.001 debit comes back on the next
 * statement, where it confirms the repayment). */
static void repay(struct sim *m, struct batch *b)
{
	struct zt_batch_return ret;
	char out[800];
	snprintf(out, sizeof out, "%s/out/repay-%s.xml", m->dir, b->id);
	tick(m);
	CHECK(m,
	      zt_batch_repay(m->s, m->cfg,
	                     &(struct zt_batch_repay_req){.batch_id = b->id, .out_path = out,
	                                                  .actor = "finance-wang"},
	                     &ret),
	      "batch repay");
	if (ret.amount != b->paid - b->due)
		failure(m, "batch %s: repaid %lld fen, owed back %lld", b->id, (long long)ret.amount,
		        (long long)(b->paid - b->due));
	add_entry(&m->pend, &m->npend, &m->cap_pend, false, ret.amount, ret.return_id, NULL);
	m->repaid++;
	m->repaid_fen += ret.amount;
}

/* What came of a send or a poll. */
static void answered(struct sim *m, struct batch *b, const struct zt_batch_send_res *res)
{
	switch (res->outcome) {
	case ZT_BATCH_OUT_ACCEPTED:
	case ZT_BATCH_OUT_REJECTED:
		if (res->outcome == ZT_BATCH_OUT_ACCEPTED)
			m->accepted++;
		else
			m->rejected_batches++;
		b->state = 1;
		b->due = res->batch.accepted_total;
		if (b->paid > 0) { /* paid before the answer */
			b->state = 3;
			if (b->paid > b->due)
				repay(m, b);
			break;
		}
		uint64_t d = below(&m->r, 100);
		b->pay_kind = d < 70 ? 0 : d < 82 ? 1 : d < 92 ? 2 : 3;
		b->pay_day = zt_date_add(m->day, b->pay_kind == 2 ? 25 + (int64_t)below(&m->r, 20)
		                                                    : 2 + (int64_t)below(&m->r, 6));
		break;
	case ZT_BATCH_OUT_REFUSED:
		m->refused++;
		b->state = 2; /* exported again: sent again next week */
		break;
	case ZT_BATCH_OUT_PENDING:
	case ZT_BATCH_OUT_FAILED:
		b->state = 0;
		if (res->outcome == ZT_BATCH_OUT_FAILED)
			b->answer_day = -1; /* send again */
		break;
	}
}

static const struct zt_payer_port *port(struct sim *m)
{
	static struct zt_payer_port p = {.bind = port_bind, .send = port_send, .poll = port_poll};
	p.ctx = m;
	return &p;
}

static void send_batch(struct sim *m, struct batch *b)
{
	struct zt_batch_send_res res;
	b->answer_day = 0;
	tick(m);
	int rc = zt_batch_send(m->s, &(struct zt_batch_send_req){b->id, NULL, m->key, "clerk-zhao"},
	                       port(m), &res);
	if (rc && !(res.gateway_failed && res.recorded))
		die(m, "batch send", rc);
	if (rc) {
		b->state = 0;
		b->answer_day = -1;
		return;
	}
	answered(m, b, &res);
}

static void batches(struct sim *m)
{
	for (int f = 0; f < NFUNDS; f++) {
		struct zt_batch_create_res made;
		tick(m);
		CHECK(m, zt_batch_create(m->s, &(struct zt_batch_create_req){.cfg = m->cfg, .fund_code = FUNDS[f], .actor = "clerk-zhao"},
		                         &made),
		      "batch create");
		if (!made.id[0])
			continue;
		struct zt_batch_step_res ok;
		tick(m);
		CHECK(m, zt_batch_approve(m->s, &(struct zt_batch_step_req){made.id, "checker-qian", NULL},
		                          &ok),
		      "batch approve");
		char file[800];
		snprintf(file, sizeof file, "%s/out/%s.xml", m->dir, made.id);
		struct zt_batch_export_info info;
		tick(m);
		CHECK(m,
		      zt_batch_export(m->s,
		                      &(struct zt_batch_export_req){.id = made.id, .out_path = file,
		                                                    .key_path = m->key,
		                                                    .actor = "clerk-zhao",
		                                                    .trace_xml = zt_trace_xml},
		                      &info),
		      "batch export");
		if (m->nb == m->cap_b) {
			m->cap_b = m->cap_b ? m->cap_b * 2 : 64;
			m->b = realloc(m->b, (size_t)m->cap_b * sizeof *m->b);
			if (!m->b)
				die(m, "memory", ZT_ENOMEM);
		}
		struct batch *b = &m->b[m->nb++];
		memset(b, 0, sizeof *b);
		snprintf(b->id, sizeof b->id, "%s", made.id);
		b->fund = f;
		b->total = made.batch.total;
		m->batches++;
		send_batch(m, b);
	}
}

/* Each day: sends again what failed or was refused (after a week), asks for
 * the answers that are due. */
static void payer_day(struct sim *m, bool resend)
{
	for (int i = 0; i < m->nb; i++) {
		struct batch *b = &m->b[i];
		if ((b->state == 2 && resend) || (b->state == 0 && b->answer_day == -1)) {
			send_batch(m, b);
		} else if (b->state == 0 && b->answer_day > 0 && m->day >= b->answer_day) {
			struct zt_batch_send_res res;
			tick(m);
			CHECK(m,
			      zt_batch_poll(m->s, &(struct zt_batch_send_req){b->id, NULL, m->key, "clerk-zhao"},
			                    port(m), &res),
			      "batch poll");
			answered(m, b, &res);
		}
	}
}

/* ---- the bank --------------------------------------------------------------------- */

static void import(struct sim *m, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(m, "statement", zt_error_set(ZT_EIO, "cannot open '%s'", path));
	struct zt_source src = zt_source_file(f, path);
	struct zt_recon_import_result r;
	memset(&r, 0, sizeof r);
	tick(m);
	int rc = zt_recon_import(m->s, &(struct zt_recon_import_req){.cfg = m->cfg, .statement = &src, .actor = "finance-sun"}, &r);
	fclose(f);
	if (rc)
		die(m, "reconcile import", rc);
	/* a payment made twice is an exception: refunded to the payer (money
	 * owed back, out of suspense) */
	for (size_t i = 0; i < r.exception_count; i++) {
		struct zt_recon_exception e;
		CHECK(m, zt_recon_exception_get(m->s, r.exceptions[i], &e), "reconcile exception");
		if (e.kind == ZT_RECON_DUPLICATE || e.kind == ZT_RECON_AMOUNT) {
			tick(m);
			CHECK(m,
			      zt_recon_resolve(m->s,
			                       &(struct zt_recon_resolve_req){m->cfg, r.exceptions[i], "refund",
			                                                      "finance-sun",
			                                                      "simulated: paid twice, refunded"},
			                       NULL),
			      "reconcile resolve");
			m->refunds++;
			m->refunded += e.amount;
		}
	}
	zt_recon_import_result_free(&r);
}

static void statement(struct sim *m)
{
	struct entry *es = NULL;
	int n = 0, cap = 0;
	for (int i = 0; i < m->npend; i++)
		add_entry(&es, &n, &cap, false, m->pend[i].amount, m->pend[i].e2e, NULL);
	for (int i = 0; i < m->npend; i++)
		m->bank_out += m->pend[i].amount;
	m->npend = 0;
	for (int i = 0; i < m->nb; i++) {
		struct batch *b = &m->b[i];
		if (b->state == 0 && b->prepay_day && m->day >= b->prepay_day && b->paid == 0 &&
		    b->total > 0) {
			b->paid = b->total;
			m->bank_in += b->total;
			m->payments++;
			m->prepaid++;
			add_entry(&es, &n, &cap, true, b->total, NULL, b->id);
			continue;
		}
		if (b->state != 1 || m->day < b->pay_day || b->due <= 0)
			continue;
		zt_fen amount = b->due - b->paid;
		if (b->pay_kind == 1 && b->instalment == 0) {
			amount = b->due / 2;
			b->instalment = 1;
			b->pay_day = zt_date_add(m->day, 3 + (int64_t)below(&m->r, 10));
			m->instalments++;
		} else {
			b->state = 3;
			if (b->pay_kind == 2)
				m->late_payments++;
		}
		if (amount <= 0)
			continue;
		b->paid += amount;
		m->bank_in += amount;
		m->payments++;
		add_entry(&es, &n, &cap, true, amount, NULL, b->id);
		if (b->pay_kind == 3 && b->state == 3) { /* the payer pays it twice */
			add_entry(&es, &n, &cap, true, amount, NULL, b->id);
			m->bank_in += amount;
			m->twice_paid++;
		}
	}
	if (n == 0) {
		free(es);
		return;
	}
	char date[ZT_FMT_BYTES], path[700];
	zt_format_date(date, m->day);
	m->stmt_no++;
	snprintf(path, sizeof path, "%s/bank/camt053-%04d.xml", m->dir, m->stmt_no);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(m, "statement", zt_error_set(ZT_EIO, "cannot write '%s'", path));
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
	        "<GrpHdr><MsgId>SIM-%04d</MsgId><CreDtTm>%sT18:00:00+08:00</CreDtTm></GrpHdr><Stmt>"
	        "<Id>SIM-%04d-1</Id><CreDtTm>%sT18:00:00+08:00</CreDtTm>"
	        "<Acct><Id><Othr><Id>" POOL_ACCOUNT "</Id></Othr></Id><Ccy>CNY</Ccy></Acct>"
	        "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">0.00</Amt>"
	        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>"
	        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">0.00</Amt>"
	        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n",
	        m->stmt_no, date, m->stmt_no, date, date, date);
	for (int i = 0; i < n; i++) {
		char a[ZT_FMT_BYTES];
		const char *d = es[i].credit ? "CRDT" : "DBIT";
		zt_format_amount(a, es[i].amount);
		fprintf(f,
		        "<Ntry><Amt Ccy=\"CNY\">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
		        "<BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt>"
		        "<AcctSvcrRef>BS%04d-%04d</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>%s</Cd>"
		        "<SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
		        "<Refs><EndToEndId>%s</EndToEndId></Refs><Amt Ccy=\"CNY\">%s</Amt>"
		        "<CdtDbtInd>%s</CdtDbtInd>",
		        a, d, date, date, m->stmt_no, i + 1, es[i].credit ? "RCDT" : "ICDT",
		        es[i].e2e[0] ? es[i].e2e : "NOTPROVIDED", a, d);
		if (es[i].ustrd[0])
			fprintf(f, "<RmtInf><Ustrd>%s</Ustrd></RmtInf>", es[i].ustrd);
		fprintf(f, "</TxDtls></NtryDtls></Ntry>\n");
	}
	fprintf(f, "</Stmt></BkToCstmrStmt></Document>\n");
	if (fclose(f) != 0)
		die(m, "statement", zt_error_set(ZT_EIO, "cannot write '%s'", path));
	free(es);
	import(m, path);
	m->statements++;
	/* the same statement fetched twice from the bank: every entry known */
	if (permille(&m->r, 100)) {
		import(m, path);
		m->reimports++;
	}
	snprintf(m->last_statement, sizeof m->last_statement, "%s", path);
}

/* ---- registry and policy changes ------------------------------------------------- */

/* People entering poverty: a registry document with their new category. */
static void registry_change(struct sim *m)
{
	size_t len;
	char *reg = world_file(m, m->world, "registry.xml", &len);
	char *first = strstr(reg, "<person ");
	char *close = strstr(reg, "</registry>");
	if (!first || !close)
		die(m, "registry", ZT_EINTERNAL);
	/* the root element as generated, then only the people who change */
	const char *rs = strstr(reg, "<registry");
	const char *root_end = rs ? strchr(rs, '>') : NULL;
	if (!root_end || root_end > first)
		die(m, "registry", ZT_EINTERNAL);
	size_t cap = len + 1024, n = (size_t)(root_end + 1 - reg);
	char *doc = malloc(cap);
	if (!doc)
		die(m, "memory", ZT_ENOMEM);
	memcpy(doc, reg, n);
	doc[n++] = '\n';
	int changed = 0;
	for (char *p = first; p && p < close; p = strstr(p + 1, "<person ")) {
		char *e = strstr(p, "/>");
		char *cat = strstr(p, "category=\"general\"");
		const char *per = e ? strstr(p, "<period") : NULL;
		if (!e || !cat || cat > e || (per && per < e) || !permille(&m->r, 30))
			continue;
		size_t l = (size_t)(e + 2 - p);
		memcpy(doc + n, p, (size_t)(cat - p));
		n += (size_t)(cat - p);
		memcpy(doc + n, "category=\"poor\"   ", 18);
		n += 18;
		size_t rest = l - (size_t)(cat - p) - 18;
		memcpy(doc + n, cat + 18, rest);
		n += rest;
		doc[n++] = '\n';
		changed++;
		if (n + 1024 > cap)
			break;
	}
	n += (size_t)snprintf(doc + n, cap - n, "</registry>\n");
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, doc, n, "registry-change.xml");
	struct zt_registry_load_res res;
	tick(m);
	CHECK(m, zt_registry_load(m->s, &(struct zt_registry_load_req){&src, "registrar-zhou"}, &res),
	      "registry load");
	m->registry_changes += changed;
	free(doc);
	free(reg);
}

static void load_policy(struct sim *m, const char *xml, size_t len, const char *name,
                        const char *supersedes)
{
	if (m->npol == 3)
		die(m, "policies", ZT_EINTERNAL);
	CHECK(m, zt_policy_parse(&m->pol[m->npol], xml, len, name), "policy parse");
	struct zt_rules_res res;
	tick(m);
	CHECK(m,
	      zt_rules_load(m->s,
	                    &(struct zt_rules_req){.xml = xml, .len = len, .name = name,
	                                           .actor = "policy-office", .supersedes = supersedes},
	                    &res),
	      "rules load");
	m->npol++;
}

/* The amendment: from ten days after it is announced (in the full year:
 * announced on 20 June, from 1 July) the county lowers the in-county cap. */
static void amendment(struct sim *m)
{
	char eff[ZT_FMT_BYTES], repl[64];
	zt_format_date(eff, zt_date_add(m->day, 11));
	snprintf(repl, sizeof repl, "effective-from=\"%s\"", eff);
	size_t len;
	char *x = world_file(m, m->world, "policy.xml", &len);
	char *out = malloc(len + 64), *o = out;
	const char *p = x, *id = strstr(x, "id=\"" COUNTY "-2017\"");
	const char *from = strstr(x, "effective-from=\"2017-01-01\"");
	const char *capp = strstr(x, "in-county=\"");
	if (!id || !from || !capp || !(id < from))
		die(m, "amend the policy", zt_error_set(ZT_EINTERNAL, "unexpected generated policy"));
	o = mempcpy(o, p, (size_t)(id - p));
	o = stpcpy(o, "id=\"" COUNTY "-2017-amended\"");
	p = id + strlen("id=\"" COUNTY "-2017\"");
	o = mempcpy(o, p, (size_t)(from - p));
	o = stpcpy(o, repl);
	p = from + strlen("effective-from=\"2017-01-01\"");
	if (capp > p) {
		o = mempcpy(o, p, (size_t)(capp - p));
		o = stpcpy(o, "in-county=\"0.08\"");
		p = strchr(capp + 11, '"') + 1;
	}
	o = stpcpy(o, p);
	load_policy(m, out, (size_t)(o - out), "policy-amended.xml", COUNTY "-2017");
	m->amendments++;
	free(out);
	free(x);
}

/* ---- the year ------------------------------------------------------------------- */

static void setup(struct sim *m)
{
	char cmd[800];
	if (!m->dir[0]) {
		snprintf(m->dir, sizeof m->dir, "/tmp/zhitong-sim-XXXXXX");
		if (!mkdtemp(m->dir))
			die(m, "work directory", zt_error_set(ZT_EIO, "mkdtemp"));
	} else if (mkdir(m->dir, 0700) != 0 && errno != EEXIST) {
		die(m, "work directory", zt_error_set(ZT_EIO, "cannot make '%s'", m->dir));
	}
	snprintf(m->db, sizeof m->db, "%s/year.db", m->dir);
	snprintf(m->key, sizeof m->key, "%s/sign-ed25519.pem", m->dir);
	snprintf(m->world, sizeof m->world, "%s/world", m->dir);
	snprintf(m->nworld, sizeof m->nworld, "%s/world-national", m->dir);
	snprintf(m->cfg_path, sizeof m->cfg_path, "%s/zhitong.conf", m->dir);
	snprintf(cmd, sizeof cmd, "%s/out", m->dir);
	mkdir(cmd, 0700);
	snprintf(cmd, sizeof cmd, "%s/bank", m->dir);
	mkdir(cmd, 0700);
	unlink(m->db);
	unlink(m->key);
	make_key(m);

	struct zt_gen_opts go = {.claims = (uint64_t)m->claims_n, .seed = m->seed, .county = COUNTY,
	                         .year = YEAR, .hospitals = m->hospitals_n, .people = m->people_n,
	                         .out_flags = 1 /* ZT_OUT_FORCE */};
	CHECK(m, zt_gen_world(&go, m->world), "generate the world");
	/* a second county, 510123, settling on top of the national platform
	 * (docs/spec/claim-v2-national.md): a supplementary policy, claim v2
	 * with each stay's national settlement */
	int nat_people = m->people_n / 10 < 50 ? 50 : m->people_n / 10;
	m->nat_claims = m->claims_n / 10;
	struct zt_gen_opts gn = {.claims = (uint64_t)m->nat_claims, .seed = m->seed + 1,
	                         .county = NAT_COUNTY, .year = YEAR,
	                         .hospitals = m->hospitals_n / 4 < 2 ? 2 : m->hospitals_n / 4,
	                         .people = nat_people, .out_flags = 1, .national = true};
	CHECK(m, zt_gen_world(&gn, m->nworld), "generate the national county");
	m->np_main = m->people_n;
	m->np = m->people_n + nat_people;
	m->p = calloc((size_t)m->np, sizeof *m->p);
	load_claims(m, m->world, false);
	load_claims(m, m->nworld, true);

	struct zt_store_options so = {.create = true};
	CHECK(m, zt_store_open(&m->s, m->db, &so), "open the store");
	CHECK(m, m->s->ops->migrate(m->s, NULL, NULL), "migrate");
	CHECK(m, zt_settle_group_new(&m->group, m->db, NULL, 0, 0), "the group commit");
}

static int hospital_cfg(void *ctx, const struct zt_hospital *h)
{
	FILE *f = ctx;
	static int n;
	fprintf(f, "\n[hospital %s]\naccount = 62220202%011d\n", h->code, ++n);
	return 0;
}

static void load_world(struct sim *m, const char *world, bool national)
{
	size_t len;
	char *reg = world_file(m, world, "registry.xml", &len);
	if (national)
		rename_people(reg, len, "psn_no=\"P");
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, reg, len,
	                                        national ? "registry-national.xml" : "registry.xml");
	struct zt_registry_load_res rr;
	tick(m);
	CHECK(m, zt_registry_load(m->s, &(struct zt_registry_load_req){&src, "registrar-zhou"}, &rr),
	      "registry load");
	free(reg);
	char *x = world_file(m, world, "policy.xml", &len);
	load_policy(m, x, len, national ? "policy-national.xml" : "policy.xml", NULL);
	free(x);
}

static void first_day(struct sim *m)
{
	FILE *f;
	load_world(m, m->world, false);
	load_world(m, m->nworld, true);
	f = fopen(m->cfg_path, "w");
	if (!f)
		die(m, "configuration", zt_error_set(ZT_EIO, "cannot write '%s'", m->cfg_path));
	fprintf(f, "[signing]\nkey = %s\n\n[pool]\nname = 模拟县健康扶贫资金专户\naccount = %s\n"
	           "bic = ICBKCNBJSCN\ncurrency = CNY\n\n[advance]\ntarget-days = 14\n",
	        m->key, POOL_ACCOUNT);
	for (int i = 0; i < NFUNDS; i++) /* where money owed back to a fund's payer goes */
		fprintf(f, "\n[fund %s]\naccount = 4402%015d\n", FUNDS[i], i + 1);
	CHECK(m, m->s->ops->registry.each_hospital(m->s, hospital_cfg, f), "hospitals");
	if (fclose(f) != 0)
		die(m, "configuration", zt_error_set(ZT_EIO, "cannot write '%s'", m->cfg_path));
	CHECK(m, zt_config_load(&m->cfg, m->cfg_path), "configuration");
}

static void one_day(struct sim *m, int n)
{
	m->tick = 0;
	int wd = (int)((zt_date_day_number(m->day) + 4) % 7); /* 0 Sunday */
	if (n == 0)
		first_day(m);
	/* in the full year: 15 February and 20 July; the amendment on 20 June */
	if (n == m->days * 45 / 365 || n == m->days * 200 / 365)
		registry_change(m);
	if (n == m->days * 170 / 365 && m->amendments == 0)
		amendment(m);
	claims_of_the_day(m);
	if (wd == 1 && !m->no_advances)
		advances(m);
	payer_day(m, wd == 3);
	if (wd == 5)
		batches(m);
	if (wd >= 1 && wd <= 5)
		statement(m);
	if (wd == 5) {
		struct zt_recon_import_result mr;
		memset(&mr, 0, sizeof mr);
		tick(m);
		CHECK(m, zt_recon_match(m->s, &(struct zt_recon_match_req){m->cfg, 0, "finance-sun"}, &mr),
		      "reconcile match");
		zt_recon_import_result_free(&mr);
	}
	CHECK(m, zt_advance_status(m->s, status_cb, m), "advance status");
	check_day(m, n % 30 == 29 || n == m->days - 1);
}

static int exc_cb(void *ctx, const struct zt_recon_exception *x)
{
	int64_t *by_kind = ctx;
	if ((int)x->kind >= 0 && (int)x->kind < ZT_RECON_KINDS)
		by_kind[x->kind]++;
	return 0;
}

/* The exceptions still open at the end, by kind (a late payment is
 * `missing` until it comes; what nobody resolved stays in suspense). */
static void open_exceptions(struct sim *m)
{
	int64_t by_kind[ZT_RECON_KINDS] = {0};
	CHECK(m, zt_recon_exceptions(m->s, &(struct zt_recon_exceptions_req){true}, exc_cb, by_kind),
	      "reconcile exceptions");
	printf("exceptions  open at the end:");
	int64_t all = 0;
	for (int k = 0; k < ZT_RECON_KINDS; k++)
		if (by_kind[k]) {
			printf(" %s %lld", zt_recon_kind_name((enum zt_recon_kind)k), (long long)by_kind[k]);
			all += by_kind[k];
		}
	printf(all ? "\n" : " none\n");
}

static void usage(FILE *f)
{
	fputs("usage: zhitong-sim [--seed N] [--days N] [--claims N] [--hospitals N] [--people N]\n"
	      "                   [--dir D] [--keep] [--verbose] [--no-advances]\n"
	      "A county's year of 2017, day by day from 1 January, through the use cases on a\n"
	      "fake clock, and a second county settling on top of the national platform (a\n"
	      "tenth of the claims and people); every invariant checked after every day.\n"
	      "Defaults: --seed 1 --days 365 --claims 24000 --hospitals 40 --people 5000.\n"
	      "--dir D works in D (else a temporary directory, removed unless --keep).\n"
	      "--no-advances: no advance plans (the hospitals' own money without them).\n"
	      "Exit 0: no invariant broken; 1: a failure (its seed and day are printed: the\n"
	      "same arguments replay it); 2: bad arguments.\n",
	      f);
}

int main(int argc, char **argv)
{
	struct sim m = {.seed = 1, .days = 365, .claims_n = 24000, .hospitals_n = 40,
	                .people_n = 5000};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--keep") == 0) {
			m.keep = true;
		} else if (strcmp(a, "--verbose") == 0) {
			m.verbose = true;
		} else if (strcmp(a, "--no-advances") == 0) {
			m.no_advances = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (v && strcmp(a, "--dir") == 0) {
			snprintf(m.dir, sizeof m.dir, "%s", v);
			i++;
		} else if (v && (strcmp(a, "--seed") == 0 || strcmp(a, "--days") == 0 ||
		                 strcmp(a, "--claims") == 0 || strcmp(a, "--hospitals") == 0 ||
		                 strcmp(a, "--people") == 0)) {
			char *end;
			errno = 0;
			unsigned long long x = strtoull(v, &end, 10);
			if (errno || *end || !*v) {
				usage(stderr);
				return 2;
			}
			if (strcmp(a, "--seed") == 0)
				m.seed = x;
			else if (x < 1 || x > 1000000) {
				usage(stderr);
				return 2;
			} else if (strcmp(a, "--days") == 0)
				m.days = (int)(x > 365 ? 365 : x);
			else if (strcmp(a, "--claims") == 0)
				m.claims_n = (int)x;
			else if (strcmp(a, "--hospitals") == 0)
				m.hospitals_n = (int)(x > MAX_HOSP ? MAX_HOSP : x);
			else
				m.people_n = (int)x;
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	m.r.s = m.seed * 0x2545f4914f6cdd1dULL + 17;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m.day = YEAR * 10000 + 101;
	zt_date_set_clock(sim_now, &m);
	setup(&m);
	zt_date first = m.day;
	for (int n = 0; n < m.days; n++) {
		m.day = zt_date_add(first, n);
		one_day(&m, n);
		if (m.verbose) {
			char d[ZT_FMT_BYTES];
			fprintf(stderr, "zhitong-sim: %s: %lld claims settled, %lld failures\n",
			        zt_format_date(d, m.day), (long long)m.settled, (long long)m.failures);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	printf("zhitong-sim: seed %llu, %d days from %d-01-01, %d hospitals, %d people (%.1f s)\n",
	       (unsigned long long)m.seed, m.days, YEAR, m.nh, m.np,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("claims      %lld submitted: %lld settled, %lld answered again (replayed), %lld "
	       "rejected; %lld quoted; %lld reversed, %lld resubmitted; %lld sent through the "
	       "service's group commit\n",
	       (long long)m.submitted, (long long)m.settled, (long long)m.replayed,
	       (long long)m.rejected, (long long)m.quoted, (long long)m.reversed,
	       (long long)m.resubmitted, (long long)m.via_service);
	printf("national    county " NAT_COUNTY " on top of the national platform: %lld settled "
	       "(billed %s, relief funds %s), %lld rejected national-mismatch\n",
	       (long long)m.nat_settled, zt_format_amount(a, m.nat_medfee),
	       zt_format_amount(b, m.nat_oth), (long long)m.nat_mismatch);
	printf("changes     %lld people entered poverty (registry loads), %lld policy amendment "
	       "(--supersedes)\n",
	       (long long)m.registry_changes, (long long)m.amendments);
	char e[ZT_FMT_BYTES];
	printf("money       billed %s, funds' shares %s, advanced %s; pool account: in %s, out %s\n",
	       zt_format_amount(a, m.medfee), zt_format_amount(b, m.funds_paid),
	       zt_format_amount(c, m.advanced), zt_format_amount(d, m.bank_in),
	       zt_format_amount(e, m.bank_out));
	printf("advances    %lld plans (weekly), %lld advances paid\n", (long long)m.plans,
	       (long long)m.advances);
	printf("batches     %lld: %lld accepted, %lld with rejected records, %lld refusals, %lld "
	       "timeouts, %lld answered late\n",
	       (long long)m.batches, (long long)m.accepted, (long long)m.rejected_batches,
	       (long long)m.refused, (long long)m.timeouts, (long long)m.late_answers);
	printf("owed back   %lld batches paid before the payer answered; %lld then owed money "
	       "back, repaid (batch repay), %s\n",
	       (long long)m.prepaid, (long long)m.repaid, zt_format_amount(a, m.repaid_fen));
	printf("bank        %lld statements (%lld imported twice), %lld payments (%lld in "
	       "instalments, %lld late, %lld paid twice: %lld refunded, %s)\n",
	       (long long)m.statements, (long long)m.reimports, (long long)m.payments,
	       (long long)m.instalments, (long long)m.late_payments, (long long)m.twice_paid,
	       (long long)m.refunds, zt_format_amount(a, m.refunded));
	open_exceptions(&m);
	printf("checks      %lld invariant checks after %d days, %lld failures\n",
	       (long long)m.checks, m.days, (long long)m.failures);
	printf("cap         %lld capped claims in county; largest patient share above the cap: %s\n",
	       (long long)m.capped_claims, zt_format_amount(a, m.cap_over_max));
	printf("hospitals advancing money themselves (yuan x days below zero, days):\n");
	zt_fen total = 0;
	int hosp_below = 0;
	for (int i = 0; i < m.nh; i++) {
		total += m.below_fen_days[i];
		if (m.below_days[i] == 0)
			continue;
		hosp_below++;
		printf("  %-12s %18s yuan-days  %3d days\n", m.hosp[i],
		       zt_format_amount(a, m.below_fen_days[i]), m.below_days[i]);
	}
	printf("  %d of %d hospitals below zero at some day's end; in all %s yuan-days\n", hosp_below,
	       m.nh, zt_format_amount(a, total));
	zt_config_free(m.cfg);
	zt_settle_group_free(m.group);
	zt_store_close(m.s);
	if (!m.keep) {
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", m.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "zhitong-sim: could not remove %s\n", m.dir);
	} else {
		printf("kept %s\n", m.dir);
	}
	free(m.c);
	free(m.done);
	free(m.p);
	free(m.b);
	free(m.pend);
	free(m.claims_text);
	free(m.nat_text);
	if (m.failures) {
		fprintf(stderr, "zhitong-sim: %lld failures (seed %llu)\n", (long long)m.failures,
		        (unsigned long long)m.seed);
		replay_line(&m);
		return 1;
	}
	return 0;
}
