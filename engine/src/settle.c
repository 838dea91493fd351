/* zhitong — settling claims (see settle.h): outcomes as data, to a sink.
 *
 * Anatomy of a claim, in this file:
 *   claim_reader.c    on its own thread: one <claim> subtree at a time,
 *                     validated against claim.xsd, converted to zt_claim
 *   settle_one()      the rejection codes in their order of precedence, then
 *                     accumulators → zt_classify → zt_split → traces →
 *                     the store's claims.write_settlement (claim, settlement,
 *                     funds with their traces, accumulators, the ledger
 *                     postings) inside the claim's savepoint → the sink
 *   finish()          commit (a quote: roll back), then the sink's committed:
 *                     only now may a front door deliver what it rendered
 */
#define _GNU_SOURCE
#include "zhitong/settle.h"
#include "zhitong/text.h"
#include "zhitong/alloc.h"

#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zhitong/audit.h"
#include "zhitong/catalog.h"
#include "zhitong/claim_stream.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"
#include "zhitong/trace.h"

#include "claim_reader.h"
#include "national_int.h"

/* ---- settling one claim ----------------------------------------------- */

/* Hospitals are few and the registry cannot change while the file's
 * transaction holds the write lock: remember the ones seen. */
#define HOSPITAL_CACHE 64

/* What settling a claim takes once it passed its checks. */
struct settling {
	const struct zt_claim *c;
	const struct zt_policy_entry *pe;
	struct zt_split_ctx ctx;
	struct zt_classified cls;
	unsigned char digest[ZT_DIGEST_BYTES];
	const char *items;
	int seq, year;
	int64_t catalog_row;            /* the catalogue in force, 0 if none */
	const struct zt_catalog *cat;
	int differs;                    /* items it classed otherwise than sent */
	struct zt_accum before;
	struct zt_split_result res;
	char pool[ZT_POOL_ID_BYTES];    /* of its hospital's county (pools.h) */
};

struct run {
	/* the claim being settled and its answer: one of each for the run,
	 * not a page zeroed per claim */
	struct settling claim;
	struct zt_stored_settlement answer;
	struct zt_hospital hospitals[HOSPITAL_CACHE];
	int hospital_count;
	struct zt_store *s;
	const struct zt_settle_opts *o;
	struct zt_policy_set policies;
	struct zt_catalog_set catalogs;  /* docs/spec/rules-v2.md §2 */
	struct zt_item_class *eff;       /* the values a catalogue gave each item */
	struct zt_catalog_item_diff *diffs;
	int eff_cap;
	const struct zt_settle_sink *sink; /* never NULL: a sink of no callbacks */
	struct zt_settle_stats *stats;
	zt_date today;
	char actor[ZT_ACTOR_BYTES]; /* o->actor normalised (actor.h) */
};

/* The run's totals (a summary for people): a file may hold more money than
 * an int64 counts even when every balance it moves fits; then the totals
 * stop and say so, never wrap. */
static void count_settlement(struct zt_settle_stats *x, const struct zt_stored_settlement *st)
{
	zt_fen *const sums[] = {&x->medfee_total, &x->fund_total, &x->hosp_total, &x->psn_total,
	                        &x->hifp_total,   &x->hifmi_total, &x->maf_total, &x->oth_total};
	const zt_fen adds[] = {st->cls.medfee_sumamt, st->fund_pay_sumamt, st->hosp_part_amt,
	                       st->psn_part_amt,      st->hifp_pay,        st->hifmi_pay,
	                       st->maf_pay,           st->oth_pay};
	zt_fen next[sizeof adds / sizeof *adds];
	if (x->totals_overflow)
		return;
	for (size_t i = 0; i < sizeof adds / sizeof *adds; i++)
		if (__builtin_add_overflow(*sums[i], adds[i], &next[i])) {
			x->totals_overflow = true;
			return;
		}
	for (size_t i = 0; i < sizeof adds / sizeof *adds; i++)
		*sums[i] = next[i];
}

static int reject(struct run *u, const char *hospital, const char *claim_no, zt_reject code,
                   const char *msg)
{
	u->stats->rejected++;
	u->stats->rejected_by[code]++;
	if (u->sink->rejected) {
		const struct zt_rejection r = {hospital ? hospital : "", claim_no ? claim_no : "", code,
		                               zt_reject_name(code), msg};
		return u->sink->rejected(u->sink->ctx, &r);
	}
	return 0;
}

/* A claim the front door's gate refused (zt_settle_opts.admit). */
static int refuse(struct run *u, const char *hospital, const char *claim_no)
{
	u->stats->rejected++;
	if (!u->sink->rejected)
		return 0;
	char msg[ZT_MESSAGE_BYTES_MAX];
	snprintf(msg, sizeof msg, "hospital '%s' is not one of this user's hospitals", hospital);
	const struct zt_rejection r = {hospital, claim_no ? claim_no : "", ZT_REJ_NONE,
	                               ZT_SETTLE_NOT_PERMITTED, msg};
	return u->sink->rejected(u->sink->ctx, &r);
}

static int get_hospital(struct run *u, const char *code, struct zt_hospital *out)
{
	for (int i = 0; i < u->hospital_count; i++)
		if (strcmp(u->hospitals[i].code, code) == 0) {
			*out = u->hospitals[i];
			return 0;
		}
	int rc = u->s->ops->registry.get_hospital(u->s, code, out);
	if (rc == 0 && u->hospital_count < HOSPITAL_CACHE)
		u->hospitals[u->hospital_count++] = *out;
	return rc;
}

/* ---- a person's accumulators (docs/spec/split.md §0) ------------------------ */

/* The slots of a person's year as the store holds them. */
#define SLOTS_MAX (4 + 4 * ZT_RELIEF_MAX)
struct slots {
	int n;
	struct {
		char slot[ZT_SLOT_BYTES];
		zt_fen amount;
	} v[SLOTS_MAX];
};

static int slot_seen(void *ctx, const char *slot, zt_fen amount)
{
	struct slots *x = ctx;
	if (x->n >= SLOTS_MAX)
		return zt_error_set(ZT_EINTERNAL, "a person has more than %d accumulators in a year",
		                    SLOTS_MAX);
	snprintf(x->v[x->n].slot, sizeof x->v[x->n].slot, "%s", slot);
	x->v[x->n++].amount = amount;
	return 0;
}

static zt_fen slot_value(const struct slots *x, const char *slot)
{
	for (int i = 0; i < x->n; i++)
		if (strcmp(x->v[i].slot, slot) == 0)
			return x->v[i].amount;
	return 0;
}

static void relief_slot(char out[ZT_SLOT_BYTES], const char *fund)
{
	snprintf(out, ZT_SLOT_BYTES, "relief:%s", fund);
}

/* The accumulator a fund's share moves. */
static void share_slot(char out[ZT_SLOT_BYTES], const struct zt_fund_share *sh)
{
	static const char *const slots[] = {"basic", "crit_paid", "assist"};
	if (sh->kind == ZT_FUND_RELIEF)
		relief_slot(out, sh->fund_code);
	else
		snprintf(out, ZT_SLOT_BYTES, "%s", slots[sh->kind]);
}

static int read_slots(struct zt_store *s, const char *psn_no, int year, struct slots *out)
{
	out->n = 0;
	return s->ops->claims.accum_get(s, psn_no, year, slot_seen, out);
}

/* The person's accumulators of `year` as the split of policy `pol` reads
 * them. */
static int read_accum(struct zt_store *s, const char *psn_no, int year, const struct zt_policy *pol,
                      struct zt_accum *out)
{
	struct slots x;
	int rc = read_slots(s, psn_no, year, &x);
	memset(out, 0, sizeof *out);
	out->relief_count = pol->relief_count;
	out->basic_paid = slot_value(&x, "basic");
	out->critical_base = slot_value(&x, "crit_base");
	out->critical_paid = slot_value(&x, "crit_paid");
	out->assistance_paid = slot_value(&x, "assist");
	for (int i = 0; i < pol->relief_count; i++) {
		char slot[ZT_SLOT_BYTES];
		relief_slot(slot, pol->relief[i].fund);
		out->relief_paid[i] = slot_value(&x, slot);
	}
	return rc;
}

/* ---- settling one claim ----------------------------------------------- */


/* docs/spec/claim-v2-national.md §3. Cut at `cap` if it must be: it names
 * the claim first. */
__attribute__((noinline)) static void national_message(char *msg, size_t cap, const struct zt_claim *c,
                             const char *policy_id)
{
	int n = snprintf(msg, cap, "claim '%s' carries the national settlement '%s', but the policy "
	                 "'%s' in force settles in full: send it without <national>", c->claim_no,
	                 c->national.setl_id, policy_id);
	if (n < 0)
		snprintf(msg, cap, "claim '%s' carries a national settlement", c->claim_no);
}

/* Room for the catalogue's values of `n` items. */
static int eff_reserve(struct run *u, int n)
{
	if (n <= u->eff_cap)
		return 0;
	struct zt_item_class *e = zt_realloc(u->eff, (size_t)n * sizeof *e);
	if (e)
		u->eff = e;
	struct zt_catalog_item_diff *d = e ? zt_realloc(u->diffs, (size_t)n * sizeof *d) : NULL;
	if (!e || !d)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	u->diffs = d;
	u->eff_cap = n;
	return 0;
}

/* [county C] catalog = required (docs/spec/rules-v2.md §2). */
static bool catalog_required(const struct run *u, const char *county)
{
	char section[32];
	if (!u->o->config)
		return false;
	snprintf(section, sizeof section, "county %s", county);
	const char *v = zt_config_get(u->o->config, section, "catalog");
	return v && strcmp(v, "required") == 0;
}

/* What the settlement took from the catalogue in force: which, and the
 * items whose class or ceiling is not what the hospital sent. */
static int store_catalog_use(struct run *u, const struct settling *k, int64_t settlement_row)
{
	const struct zt_claim *c = k->c;
	int n = 0;
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item_class *e = &u->eff[i];
		const struct zt_item *it = &c->items[i];
		if (!e->differs)
			continue;
		u->diffs[n++] = (struct zt_catalog_item_diff){
			.item = i + 1, .code = it->med_list_codg, .sent_lv = it->chrgitm_lv,
			.used_lv = e->chrgitm_lv, .sent_has_ceiling = it->has_pric_uplmt,
			.sent_ceiling = it->pric_uplmt_amt, .used_has_ceiling = e->has_pric_uplmt,
			.used_ceiling = e->pric_uplmt_amt, .found = e->entry != NULL,
		};
	}
	return u->s->ops->catalogs.settlement_put(u->s, settlement_row, k->catalog_row, n, u->diffs);
}

/* The checks after the claim number's, in the order of the rejection
 * codes: 0 with *ok when the claim can be split, 0 after a rejection, or a
 * storage error. */
static int check(struct run *u, struct settling *k, bool *ok)
{
	const struct zt_claim *c = k->c;
	char msg[ZT_MESSAGE_BYTES_MAX], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	struct zt_hospital h;
	struct zt_person p;
	zt_reject why = ZT_REJ_NONE;
	int rc = get_hospital(u, c->fixmedins_code, &h);
	if (rc == 0)
		rc = u->s->ops->registry.get_person(u->s, c->psn_no, &p);
	if (rc == ZT_ENOTFOUND) {
		bool person = get_hospital(u, c->fixmedins_code, &h) == 0;
		snprintf(msg, sizeof msg, "%s '%s' is not in the registry", person ? "person" : "hospital",
		         person ? c->psn_no : c->fixmedins_code);
		why = person ? ZT_REJ_UNKNOWN_PERSON : ZT_REJ_UNKNOWN_HOSPITAL;
	} else if (rc) {
		return rc;
	} else if (c->adm_date > c->dscg_date) {
		snprintf(msg, sizeof msg, "adm_date %s is after dscg_date %s",
		         zt_format_date(d1, c->adm_date), zt_format_date(d2, c->dscg_date));
		why = ZT_REJ_BAD_DATES;
	} else if (c->dscg_date > u->today) {
		snprintf(msg, sizeof msg, "dscg_date %s is in the future (today is %s)",
		         zt_format_date(d1, c->dscg_date), zt_format_date(d2, u->today));
		why = ZT_REJ_BAD_DATES;
	} else if (!(k->pe = zt_policy_set_find(&u->policies, p.county, c->dscg_date))) {
		snprintf(msg, sizeof msg, "no policy for county %s is in force on %s", p.county,
		         zt_format_date(d1, c->dscg_date));
		why = ZT_REJ_NO_POLICY;
	} else {
		/* docs/spec/rules-v2.md §2 and §3: what the discharge date says */
		const struct zt_catalog *cat;
		if ((rc = zt_catalog_set_find(&u->catalogs, u->s, p.county, c->dscg_date, &k->cat,
		                              &k->catalog_row)) != 0)
			return rc;
		cat = k->cat;
		if (!cat && catalog_required(u, p.county)) {
			snprintf(msg, sizeof msg, "no catalogue for county %s is in force on %s, and the "
			         "configuration requires one ([county %s] catalog = required)", p.county,
			         zt_format_date(d1, c->dscg_date), p.county);
			why = ZT_REJ_NO_CATALOG;
		} else if (cat) {
			if ((rc = eff_reserve(u, c->item_count)) != 0)
				return rc;
			k->differs = zt_catalog_classify(u->eff, cat, h.level, c->dscg_date, c);
			why = zt_classify_items(&k->cls, &k->pe->policy, c, u->eff, msg);
		} else {
			why = zt_classify(&k->cls, &k->pe->policy, c, msg);
		}
		zt_text_put(k->pool, sizeof k->pool, h.pool);
		k->ctx = (struct zt_split_ctx){h.level, strcmp(h.county, p.county) == 0,
		                               zt_person_category_on(&p, c->dscg_date)};
		/* docs/spec/claim-v2-national.md §3, by the policy's mode */
		if (why == ZT_REJ_NONE && c->has_national && k->pe->policy.mode == ZT_MODE_FULL) {
			national_message(msg, sizeof msg, c, k->pe->policy.id);
			why = ZT_REJ_NATIONAL_UNEXPECTED;
		} else if (why == ZT_REJ_NONE &&
		           (rc = zt_settle_national_check(u->s, &k->pe->policy, c, msg, &why)) != 0)
			return rc;
	}
	*ok = why == ZT_REJ_NONE;
	return *ok ? 0 : reject(u, c->fixmedins_code, c->claim_no, why, msg);
}


/* The answer of a fresh settlement, in the stored form (there is one way to
 * write an answer). */
static void as_stored(struct zt_stored_settlement *st, const struct settling *k,
                      const struct zt_fund_share *shares, const struct zt_fund_trace *traces,
                      int n)
{
	static const char *const kind_names[] = {"basic", "critical", "assistance", "relief"};
	const struct zt_split_result *r = &k->res;
	zt_text_put(st->fixmedins_code, sizeof st->fixmedins_code, k->c->fixmedins_code);
	zt_text_put(st->claim_no, sizeof st->claim_no, k->c->claim_no);
	zt_text_put(st->psn_no, sizeof st->psn_no, k->c->psn_no);
	st->adm_date = k->c->adm_date;
	st->dscg_date = k->c->dscg_date;
	st->cls = r->cls;
	st->act_pay_dedc = r->act_pay_dedc;
	st->pool_prop_bp = r->pool_prop_bp;
	st->hifp_pay = r->hifp_pay;
	st->hifmi_pay = r->hifmi_pay;
	st->maf_pay = r->maf_pay;
	st->oth_pay = r->oth_pay;
	st->fund_pay_sumamt = r->fund_pay_sumamt;
	st->hosp_part_amt = r->hosp_part_amt;
	st->psn_part_amt = r->psn_part_amt;
	st->fund_count = n;
	for (int i = 0; i < n; i++) {
		struct zt_stored_fund *f = &st->funds[i];
		zt_text_put(f->fund_code, sizeof f->fund_code, shares[i].fund_code);
		zt_text_put(f->kind, sizeof f->kind, kind_names[shares[i].kind]);
		f->amount = shares[i].amount;
		f->trace = traces[i];
	}
}

/* The accumulators the split moved, before and after. */
static int accum_changes(struct zt_accum_change *out, const struct zt_policy *pol,
                         const struct zt_accum *b, const struct zt_accum *a)
{
	static const char *const slots[] = {"basic", "crit_base", "crit_paid", "assist"};
	const zt_fen before[] = {b->basic_paid, b->critical_base, b->critical_paid, b->assistance_paid};
	const zt_fen after[] = {a->basic_paid, a->critical_base, a->critical_paid, a->assistance_paid};
	int n = 0;
	for (int i = 0; i < 4; i++, n++)
		out[n] = (struct zt_accum_change){.before = before[i], .after = after[i]},
		snprintf(out[n].slot, sizeof out[n].slot, "%s", slots[i]);
	for (int i = 0; i < pol->relief_count; i++, n++) {
		relief_slot(out[n].slot, pol->relief[i].fund);
		out[n].before = b->relief_paid[i];
		out[n].after = a->relief_paid[i];
	}
	return n;
}

/* Stores the settlement the split made of k (the claim's savepoint is the
 * caller's) and fills the answer `st`. */
static int store_settlement(struct run *u, struct settling *k, struct zt_stored_settlement *st)
{
	const struct zt_policy *pol = &k->pe->policy;
	struct zt_fund_share shares[3 + ZT_RELIEF_MAX];
	struct zt_fund_trace traces[3 + ZT_RELIEF_MAX];
	struct zt_share_write writes[3 + ZT_RELIEF_MAX];
	char slots[3 + ZT_RELIEF_MAX][ZT_SLOT_BYTES];
	const char *codes[3 + ZT_RELIEF_MAX];
	zt_fen amounts[3 + ZT_RELIEF_MAX];
	int n = zt_split_shares(shares, pol, &k->res);
	for (int i = 0; i < n; i++) {
		zt_trace_of_share(&traces[i], pol, &k->ctx, &k->res, &shares[i]);
		share_slot(slots[i], &shares[i]);
		writes[i] = (struct zt_share_write){shares[i].fund_code, shares[i].kind, shares[i].amount,
		                                    slots[i], &traces[i]};
		codes[i] = shares[i].fund_code;
		amounts[i] = shares[i].amount;
	}
	struct zt_accum_change accums[4 + ZT_RELIEF_MAX];
	struct zt_posting postings[ZT_SETTLEMENT_POSTINGS_MAX];
	struct zt_settlement_accounts names;
	int np = zt_ledger_settlement_postings(postings, &names, +1, k->c->fixmedins_code, k->pool,
	                                       codes, amounts, n, k->res.hosp_part_amt,
	                                       k->res.psn_part_amt);
	struct zt_national_funds nf;
	struct zt_national_accounts nn;
	if (k->res.supplementary) { /* the national amounts: docs/national.md "Money flow" */
		zt_policy_national_funds(&nf, pol);
		np += zt_ledger_national_postings(postings + np, &nn, +1, k->c->fixmedins_code, &nf,
		                                  k->res.hifp_pay, k->res.hifmi_pay, k->res.maf_pay);
	}
	const struct zt_settle_write w = {
		.claim = k->c, .digest = k->digest, .items_text = k->items, .seq = k->seq,
		.policy_row = k->pe->row, .year = k->year, .category = k->ctx.category,
		.hospital_level = k->ctx.hospital_level, .in_county = k->ctx.in_county,
		.result = &k->res, .share_count = n, .shares = writes,
		.accum_count = accum_changes(accums, pol, &k->before, &k->res.accum_after),
		.accums = accums, .posting_count = np, .postings = postings, .actor = u->actor,
		.pool = k->pool,
	};
	int64_t row;
	int rc = u->s->ops->claims.write_settlement(u->s, &w, st->setl_id, &row);
	if (rc == ZT_ERANGE) {
		/* A ledger balance would overflow: the whole file is refused
		 * (rolled back), naming the claim that would have done it. */
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		rc = zt_error_set(rc, "claim '%s' of '%s': %s", k->c->claim_no, k->c->fixmedins_code, msg);
	}
	if (rc == 0) {
		as_stored(st, k, shares, traces, n);
		/* what the store keeps beside the amounts: a fresh settlement is
		 * handed over as complete as a stored one read back */
		st->row = row;
		zt_text_put(st->kind, sizeof st->kind, "settle");
		zt_text_put(st->actor, sizeof st->actor, u->actor);
		zt_text_put(st->settled_at, sizeof st->settled_at, u->s->ops->now(u->s));
		zt_text_put(st->policy_id, sizeof st->policy_id, pol->id);
		zt_text_put(st->category, sizeof st->category, zt_category_name(k->ctx.category));
		st->policy_row = k->pe->row;
		st->year = k->year;
		st->hospital_level = k->ctx.hospital_level;
		st->in_county = k->ctx.in_county;
		st->critical_base_added = k->res.critical_base_added;
		rc = zt_settle_v2_record(u->s, row, k->c, pol, st);
	}
	/* in the claim's savepoint, with its rows: one fails, both go */
	if (rc == 0)
		rc = zt_settlement_audit(u->s, u->actor, "claim settle", st, st->setl_id);
	return rc;
}

/* The catalogue a stored settlement used, into it (none: ""). */
static int catalog_of(struct zt_store *s, struct zt_stored_settlement *st)
{
	struct zt_settlement_catalog sc;
	int rc = s->ops->catalogs.settlement_get(s, st->row, &sc, NULL, NULL);
	if (rc == ZT_ENOTFOUND)
		return 0;
	if (rc == 0) {
		snprintf(st->catalog_id, sizeof st->catalog_id, "%s", sc.catalog_id);
		st->catalog_differs = sc.differs;
	}
	return rc;
}

/* The same claim sent again, or another under a number in use: 0 with
 * *done when it was answered so (resent or rejected), or *seq the claim's
 * submission number. */
static int known_claim(struct run *u, const struct settling *k, int *seq, bool *done)
{
	const struct zt_claim *c = k->c;
	struct zt_claim_ref ref;
	*seq = 1;
	*done = false;
	int rc = u->s->ops->claims.find(u->s, c->fixmedins_code, c->claim_no, &ref);
	if (rc == ZT_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (ref.reversed) {
		*seq = ref.seq + 1;
		return 0;
	}
	*done = true;
	if (memcmp(ref.digest, k->digest, ZT_DIGEST_BYTES) != 0) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "claim '%s' of hospital '%s' was already settled as %s with "
		         "different contents; reverse it first to send a corrected claim", c->claim_no,
		         c->fixmedins_code, ref.setl_id);
		return reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_DUPLICATE_CLAIM_NO, msg);
	}
	struct zt_stored_settlement *prev = zt_malloc(sizeof *prev);
	if (!prev)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if ((rc = u->s->ops->claims.get(u->s, ref.settlement_row, prev)) == 0 &&
	    (rc = catalog_of(u->s, prev)) == 0) {
		u->stats->resent++;
		if (u->sink->settled)
			rc = u->sink->settled(u->sink->ctx, prev, true);
	}
	free(prev);
	return rc;
}

/* Settles one claim; returns 0 or a storage error (rejections are not errors). */
static int settle_one(struct run *u, const struct zt_claim *c)
{
	struct settling *k = &u->claim;
	struct zt_stored_settlement *st = &u->answer;
	/* the answer's shares are filled as they are written */
	memset(st, 0, offsetof(struct zt_stored_settlement, funds));
	memset(k, 0, offsetof(struct settling, before));
	char *items = zt_claim_items_text(c);
	bool done = false, ok = false;
	int rc = items ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc == 0) {
		k->c = c;
		k->items = items;
		rc = zt_claim_digest(k->digest, c, items);
	}
	/* the reads below in one round trip where the store can (store.h) */
	if (rc == 0 && u->s->ops->claims.prefetch)
		rc = u->s->ops->claims.prefetch(u->s, c->fixmedins_code, c->claim_no, c->psn_no,
		                                c->dscg_date / 10000);
	if (rc == 0)
		rc = known_claim(u, k, &k->seq, &done);
	if (rc == 0 && !done)
		rc = check(u, k, &ok);
	if (rc || !ok)
		goto out;
	k->year = c->dscg_date / 10000;
	const struct zt_policy *pol = &k->pe->policy;
	if ((rc = read_accum(u->s, c->psn_no, k->year, pol, &k->before)) != 0)
		goto out;
	rc = zt_settle_split(&k->res, pol, &k->ctx, &k->cls, c, &k->before);
	if (rc == ZT_ERANGE) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last()); /* names the yearly total */
		rc = reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_AMOUNT_MISMATCH, msg);
		goto out;
	}
	if (rc || (rc = store_settlement(u, k, st)) != 0)
		goto out;
	if (k->catalog_row) {
		if ((rc = store_catalog_use(u, k, st->row)) != 0)
			goto out;
		snprintf(st->catalog_id, sizeof st->catalog_id, "%s", zt_catalog_info(k->cat)->id);
		st->catalog_differs = k->differs;
	}
	assert(st->fund_pay_sumamt + st->hosp_part_amt + st->psn_part_amt == c->medfee_sumamt);
	count_settlement(u->stats, st);
	u->stats->settled++;
	if (u->sink->settled)
		rc = u->sink->settled(u->sink->ctx, st, false);
out:
	free(items);
	return rc;
}

/* One claim of a file in its own savepoint (store.h G2): whatever it wrote
 * before failing is undone, the other claims of the file are not. */
static int settle_in_savepoint(struct run *u, const struct zt_claim *c)
{
	struct zt_store *s = u->s;
	int rc = s->ops->savepoint(s);
	if (rc)
		return rc;
	if ((rc = settle_one(u, c)) != 0) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		s->ops->rollback_to(s);
		zt_error_set(rc, "%s", msg);
	}
	int r = s->ops->release(s);
	return rc ? rc : r;
}

/* ---- the stream --------------------------------------------------------- */

/* What the stream delivered, for the message when the answer cannot be. */
static void stored_text(char *buf, size_t cap, const struct zt_settle_stats *st,
                        const struct zt_source *src)
{
	snprintf(buf, cap, "the %llu claims of '%s' were answered (%llu settled, %llu settled "
	         "before, %llu rejected)", (unsigned long long)st->claims, zt_source_name(src),
	         (unsigned long long)st->settled, (unsigned long long)st->resent,
	         (unsigned long long)st->rejected);
}

/* ---- a run: the input settled in one or more steps ---------------------- */

/* An input being settled: the use case's state between the steps of a
 * front door that commits in chunks or shares its commits (settle.h). */
/* The policies and catalogues a run reads, parsed: kept from one
 * transaction to the next while the store's stay the same (their
 * fingerprint: each policy's row and size — policies are only ever added
 * — and each catalogue's header), so that a desk's claim does not parse
 * the county's policy again. */
struct zt_settle_rules {
	struct zt_policy_set policies;
	struct zt_catalog_set catalogs;
	uint64_t print;
	bool loaded;
	bool checked; /* in this transaction: zt_settle_rules_recheck clears it */
};

static void fnv(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * UINT64_C(1099511628211);
}

static int print_policy(void *ctx, const struct zt_stored_policy *p)
{
	fnv(ctx, &p->row, sizeof p->row);
	fnv(ctx, &p->len, sizeof p->len);
	return 0;
}

static int print_catalog(void *ctx, const struct zt_stored_catalog *c)
{
	fnv(ctx, &c->row, sizeof c->row);
	fnv(ctx, &c->ends, sizeof c->ends);
	fnv(ctx, &c->status, sizeof c->status);
	fnv(ctx, &c->supersedes, sizeof c->supersedes);
	fnv(ctx, c->digest, strlen(c->digest));
	return 0;
}

/* In the caller's transaction: the rules as the store holds them now. */
static int rules_load(struct zt_settle_rules *x, struct zt_store *s)
{
	if (x->loaded && x->checked)
		return 0;
	uint64_t h = UINT64_C(14695981039346656037);
	int rc = s->ops->policies.each(s, print_policy, &h);
	if (rc == 0)
		rc = s->ops->catalogs.each(s, NULL, print_catalog, &h);
	if (rc)
		return rc;
	x->checked = true;
	if (x->loaded && x->print == h)
		return 0;
	zt_policy_set_free(&x->policies);
	zt_catalog_set_free(&x->catalogs);
	x->loaded = false;
	if ((rc = zt_policy_set_load(&x->policies, s)) != 0 ||
	    (rc = zt_catalog_set_load(&x->catalogs, s)) != 0)
		return rc;
	x->print = h;
	x->loaded = true;
	return 0;
}

int zt_settle_rules_new(struct zt_settle_rules **out)
{
	if (!(*out = zt_calloc(1, sizeof **out)))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	return 0;
}

void zt_settle_rules_recheck(struct zt_settle_rules *x)
{
	x->checked = false;
}

void zt_settle_rules_free(struct zt_settle_rules *x)
{
	if (!x)
		return;
	zt_policy_set_free(&x->policies);
	zt_catalog_set_free(&x->catalogs);
	free(x);
}

struct zt_settle_run {
	struct run u;
	struct zt_settle_rules own, *rules;
	const struct zt_source *src;
	enum zt_claim_format format;
	struct zt_claim_stream *cs;
	const struct zt_claim_msg *m; /* the next claim, read ahead */
	int ahead; /* the claims from m on whose reads went ahead (store.h read_ahead) */
	bool begun, loaded, ended;
	uint64_t next_progress;
	int64_t step_ns; /* a step ends after this long too (0: never) */
	struct zt_store *watch; /* ... only while a writer waits on it (or NULL) */
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void zt_settle_run_step_contended(struct zt_settle_run *r, struct zt_store *s) { r->watch = s; }

void zt_settle_run_step_time(struct zt_settle_run *r, int64_t ns)
{
	r->step_ns = ns;
}

static const struct zt_settle_sink no_sink;

int zt_settle_run_open(struct zt_settle_run **out, const struct zt_source *src,
                       enum zt_claim_format format, const struct zt_settle_opts *o,
                       const struct zt_settle_sink *sink, struct zt_settle_stats *stats)
{
	*out = NULL;
	memset(stats, 0, sizeof *stats);
	/* Today is the pool's (docs/spec/rules-v2.md §5), taken once for the
	 * whole input: never per claim. A day that has not come is refused: a
	 * discharge may not be dated after it. */
	zt_date today = zt_date_today();
	if (o->today > today) {
		char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
		return zt_error_set(ZT_EINVAL, "--today %s is in the future: today is %s in %s",
		                    zt_format_date(d1, o->today), zt_format_date(d2, today),
		                    zt_zone_name(zt_date_pool_zone()));
	}
	/* On the heap: the hospital cache makes it large. */
	struct zt_settle_run *r = zt_calloc(1, sizeof *r);
	if (!r)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	struct run *u = &r->u;
	u->o = o;
	u->sink = sink ? sink : &no_sink;
	u->stats = stats;
	u->today = o->today ? o->today : today;
	r->rules = &r->own;
	r->src = src;
	r->format = format;
	r->next_progress = 1000;
	int rc = zt_actor_normalize(u->actor, o->actor);
	if (rc == 0)
		rc = zt_claim_stream_open(&r->cs, src, format);
	if (rc) {
		zt_settle_run_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* What a step read from the store is only good in its transaction: the
 * policies, the catalogues, the hospitals seen. */
static void run_unload(struct zt_settle_run *r)
{
	/* copies of the rules' sets: theirs to free */
	memset(&r->u.policies, 0, sizeof r->u.policies);
	memset(&r->u.catalogs, 0, sizeof r->u.catalogs);
	r->u.hospital_count = 0;
	r->loaded = false;
}

void zt_settle_run_share_rules(struct zt_settle_run *r, struct zt_settle_rules *rules)
{
	run_unload(r);
	r->rules = rules ? rules : &r->own;
}

static bool same_claim(const struct zt_claim_msg *a, const struct zt_claim *c)
{
	return !a->rejected && strcmp(a->claim.claim_no, c->claim_no) == 0 &&
	       strcmp(a->claim.fixmedins_code, c->fixmedins_code) == 0;
}

/* The reads of r->m and the claims after it sent before it is settled,
 * up to the window or the step's end (left: the claims from r->m on in
 * it), so that the server reads the next claims' while the engine settles
 * this one (store.h read_ahead, PostgreSQL). A claim number twice in the
 * window stops it there: the second is read when it comes, after the
 * first is written. */
static int read_ahead(struct zt_settle_run *r, struct zt_store *s, uint64_t left)
{
	while (r->ahead <= ZT_CLAIM_STREAM_AHEAD && (uint64_t)r->ahead < left) {
		const struct zt_claim_msg *m =
		        r->ahead ? zt_claim_stream_peek(r->cs, r->ahead, &r->m) : r->m;
		if (!m)
			return 0;
		if (!m->rejected) {
			const struct zt_claim *c = &m->claim;
			bool twice = false;
			for (int k = 0; k < r->ahead && !twice; k++)
				twice = same_claim(k ? zt_claim_stream_peek(r->cs, k, &r->m) : r->m, c);
			int sent = 0;
			int rc = twice ? 0
			               : s->ops->claims.read_ahead(s, c->fixmedins_code, c->claim_no,
			                                           c->psn_no, c->dscg_date / 10000, &sent);
			if (sent < 0 && r->ahead) { /* dropped: again from r->m */
				r->ahead = 0;
				continue;
			}
			if (rc || sent <= 0)
				return rc;
		}
		r->ahead++;
	}
	return 0;
}

int zt_settle_run_step(struct zt_settle_run *r, struct zt_store *s, uint64_t max, bool *done)
{
	struct run *u = &r->u;
	const struct zt_settle_opts *o = u->o;
	struct zt_settle_stats *stats = u->stats;
	int rc = 0;
	*done = false;
	if (r->ended) {
		*done = true;
		return 0;
	}
	u->s = s;
	run_unload(r);
	if (r->rules == &r->own)
		r->own.checked = false; /* a step is a transaction of its own */
	if ((rc = rules_load(r->rules, s)) != 0)
		return rc;
	/* shallow: a catalogue built on first use is built in the rules' set */
	u->policies = r->rules->policies;
	u->catalogs = r->rules->catalogs;
	r->loaded = true;
	/* The answer is in the version of the input, known with its first claim. */
	if (!r->begun) {
		r->m = zt_claim_stream_next(r->cs);
		r->begun = true;
		if (u->sink->begin &&
		    (rc = u->sink->begin(u->sink->ctx, zt_claim_stream_version(r->cs))) != 0)
			return rc;
	}
	int64_t until = r->step_ns ? mono_ns() + r->step_ns : 0;
	r->ahead = 0; /* what went ahead in the transaction before, gone with it */
	for (uint64_t n = 0; r->m && (max == 0 || n < max); n++) {
		/* at least one claim a step, whatever the clock says; and with a
		 * store that can tell, the clock ends it only while a writer
		 * waits (store.h contended) */
		if (until && n > 0 && mono_ns() >= until) {
			if (!r->watch || !r->watch->ops->contended ||
			    r->watch->ops->contended(r->watch) != 0)
				break;
			until = mono_ns() + r->step_ns;
		}
		if (s->ops->claims.read_ahead &&
		    (rc = read_ahead(r, s, max ? max - n : UINT64_MAX)) != 0)
			return rc;
		const struct zt_claim_msg *m = r->m;
		stats->claims++;
		const char *hospital = m->rejected ? m->hospital : m->claim.fixmedins_code;
		if (o->admit && hospital && hospital[0] && !o->admit(o->admit_ctx, hospital))
			rc = refuse(u, hospital, m->rejected ? m->claim_no : m->claim.claim_no);
		else
			rc = m->rejected ? reject(u, m->hospital, m->claim_no, m->code, m->message)
			                 : settle_in_savepoint(u, &m->claim);
		if (rc)
			return rc;
		if (o->progress && stats->claims >= r->next_progress) {
			r->next_progress += 1000;
			o->progress(o->progress_ctx, stats->claims, zt_claim_stream_bytes(r->cs),
			            r->src->size_hint);
		}
		r->m = zt_claim_stream_next(r->cs);
		if (r->ahead)
			r->ahead--;
	}
	if (r->m)
		return 0;
	r->ended = *done = true;
	return zt_claim_stream_status(r->cs); /* refused whole: the caller rolls back */
}

int zt_settle_run_committed(struct zt_settle_run *r)
{
	struct run *u = &r->u;
	int rc;
	if (!u->sink->committed || (rc = u->sink->committed(u->sink->ctx, u->stats)) == 0)
		return 0;
	char why[ZT_MESSAGE_BYTES_MAX], stored[ZT_MESSAGE_BYTES_MAX];
	snprintf(why, sizeof why, "%s", zt_error_last());
	if (u->o->quote)
		return zt_error_set(ZT_EIO, "cannot write the answer (%s); nothing was stored", why);
	stored_text(stored, sizeof stored, u->stats, r->src);
	return zt_error_set(ZT_ENOTDELIVERED, "%s and stored, but the answer could not be written "
	                    "(%s); submit the same file again to get the same answer (the stored "
	                    "settlements, the same setl_ids)", stored, why);
}

int zt_settle_run_rewind(struct zt_settle_run *r)
{
	if (!r->src->rewind)
		return zt_error_set(ZT_EINTERNAL, "'%s' cannot be read again", zt_source_name(r->src));
	zt_claim_stream_close(r->cs);
	r->cs = NULL;
	run_unload(r);
	memset(r->u.stats, 0, sizeof *r->u.stats);
	r->m = NULL;
	r->begun = r->ended = false;
	r->next_progress = 1000;
	int rc = r->src->rewind(r->src->ctx);
	return rc ? rc : zt_claim_stream_open(&r->cs, r->src, r->format);
}

int zt_settle_run_again(struct zt_settle_run *r, struct zt_store *s, uint64_t skip,
                        const struct zt_settle_stats *at, uint64_t max, int rc)
{
	char first[ZT_MESSAGE_BYTES_MAX];
	snprintf(first, sizeof first, "%s", zt_error_last());
	if (!r->src->rewind || !r->begun)
		return zt_error_set(rc, "%s", first);
	zt_claim_stream_close(r->cs);
	r->cs = NULL;
	run_unload(r);
	int again = r->src->rewind(r->src->ctx);
	if (again == 0)
		again = zt_claim_stream_open(&r->cs, r->src, r->format);
	if (again)
		return again;
	/* the sink has had its begin: the claims of the chunks before are
	 * stored and answered, passed over */
	r->m = zt_claim_stream_next(r->cs);
	for (uint64_t i = 0; i < skip && r->m; i++)
		r->m = zt_claim_stream_next(r->cs);
	*r->u.stats = *at;
	r->ended = false;
	int64_t step_ns = r->step_ns;
	r->step_ns = 0; /* as far as the chunk went, whatever the clock says */
	bool done;
	if ((again = s->ops->begin(s, ZT_TXN_WRITE)) == 0) {
		again = zt_settle_run_step(r, s, max, &done);
		s->ops->rollback(s);
	}
	r->step_ns = step_ns;
	return again ? again : zt_error_set(rc, "%s", first);
}

void zt_settle_run_close(struct zt_settle_run *r)
{
	if (!r)
		return;
	zt_claim_stream_close(r->cs);
	run_unload(r);
	zt_policy_set_free(&r->own.policies);
	zt_catalog_set_free(&r->own.catalogs);
	free(r->u.eff);
	free(r->u.diffs);
	free(r);
}

int zt_settle_check(const struct zt_source *src, enum zt_claim_format format, uint64_t *claims)
{
	struct zt_claim_stream *cs = NULL;
	*claims = 0;
	int rc = 0;
	if (format == ZT_CLAIM_FORMAT_XML) {
		rc = zt_claim_xml_check(src, claims); /* nothing built: a third of the cost */
	} else if ((rc = zt_claim_stream_open(&cs, src, format)) == 0) {
		while (zt_claim_stream_next(cs))
			++*claims;
		rc = zt_claim_stream_status(cs);
		zt_claim_stream_close(cs);
	}
	if (rc == 0 && src->rewind)
		rc = src->rewind(src->ctx);
	else if (rc == 0)
		rc = zt_error_set(ZT_EINTERNAL, "'%s' cannot be read again", zt_source_name(src));
	return rc;
}

/* ---- the whole input in one transaction ---------------------------------- */

int zt_settle_source(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                     const struct zt_settle_opts *o, const struct zt_settle_sink *sink,
                     struct zt_settle_stats *stats)
{
	struct zt_settle_run *r = NULL;
	bool done;
	int rc = zt_settle_run_open(&r, src, format, o, sink, stats);
	if (rc)
		return rc;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto out;
	if ((rc = zt_settle_run_step(r, s, 0, &done)) != 0) {
		s->ops->rollback(s);
		goto out;
	}
	if (o->quote)
		s->ops->rollback(s);
	else if ((rc = s->ops->commit(s)) != 0)
		goto out;
	rc = zt_settle_run_committed(r);
out:
	zt_settle_run_close(r);
	return rc;
}

int zt_settle_chunked(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                      const struct zt_settle_opts *o, const struct zt_settle_sink *sink,
                      struct zt_settle_stats *stats, uint64_t chunk)
{
	uint64_t n;
	memset(stats, 0, sizeof *stats);
	if (o->quote)
		return zt_error_set(ZT_EINTERNAL, "a quote is never chunked");
	/* the whole input first: a malformed one stores nothing */
	int rc = zt_settle_check(src, format, &n);
	if (rc)
		return rc;
	struct zt_settle_run *r = NULL;
	if ((rc = zt_settle_run_open(&r, src, format, o, sink, stats)) != 0)
		return rc;
	uint64_t committed = 0;
	zt_settle_run_step_time(r, ZT_SETTLE_CHUNK_NS);
	zt_settle_run_step_contended(r, s);
	for (bool done = false; !done;) {
		struct zt_settle_stats at = *stats; /* the chunk's start */
		if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
			break;
		if ((rc = zt_settle_run_step(r, s, chunk, &done)) != 0)
			s->ops->rollback(s);
		else
			rc = s->ops->commit(s); /* rolled back if it fails */
		if (rc) {
			/* a write that failed surfaced in a later call: the chunk
			 * again, each write read at once, to name its claim */
			if (s->ops->failed_late && s->ops->failed_late(s))
				rc = zt_settle_run_again(r, s, committed, &at, chunk, rc);
			break;
		}
		committed = stats->claims;
		/* between chunks, the writers that waited go first (store.h G1) */
		if (!done && s->ops->yield)
			s->ops->yield(s);
	}
	if (rc == 0)
		rc = zt_settle_run_committed(r);
	else if (committed) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		rc = zt_error_set(rc, "%s (the chunks before were committed: %llu claims answered, "
		                  "the rest not; submit the same file again to finish it, the settled "
		                  "claims are answered as before)", why,
		                  (unsigned long long)committed);
	}
	zt_settle_run_close(r);
	return rc;
}

/* ---- reversal ------------------------------------------------------------ */

/* Takes `amount` back out of accumulator `slot` (read into x): the change
 * and the trace of the share, or ZT_EINTERNAL below zero. */
static int take_back(struct zt_accum_change *a, const struct slots *x, const char *slot,
                     zt_fen amount, const struct zt_stored_settlement *o)
{
	snprintf(a->slot, sizeof a->slot, "%s", slot);
	a->before = slot_value(x, slot);
	if (a->before < amount)
		return zt_error_set(ZT_EINTERNAL, "accumulator %s of '%s' %d would go below zero", slot,
		                    o->psn_no, o->year);
	a->after = a->before - amount;
	return 0;
}

int zt_settle_reversal_write(struct zt_store *s, const struct zt_stored_settlement *o,
                             const char *reason, const char *actor, char setl_id[32], int64_t *row)
{
	struct slots x;
	struct zt_fund_trace traces[3 + ZT_RELIEF_MAX];
	struct zt_accum_change accums[4 + ZT_RELIEF_MAX];
	const char *codes[3 + ZT_RELIEF_MAX];
	zt_fen amounts[3 + ZT_RELIEF_MAX];
	int rc = read_slots(s, o->psn_no, o->year, &x), na = 0;
	if (rc == 0)
		rc = take_back(&accums[na++], &x, "crit_base", o->critical_base_added, o);
	for (int i = 0; rc == 0 && i < o->fund_count; i++) {
		const struct zt_stored_fund *f = &o->funds[i];
		struct zt_accum_change *a = &accums[na++];
		if ((rc = take_back(a, &x, f->slot, f->amount, o)) == 0)
			zt_trace_of_reversal(&traces[i], o->setl_id, reason, f->slot, a->before, a->after);
		codes[i] = f->fund_code;
		amounts[i] = f->amount;
	}
	if (rc)
		return rc;
	struct zt_posting postings[ZT_SETTLEMENT_POSTINGS_MAX];
	struct zt_settlement_accounts names;
	struct zt_national_accounts nn;
	/* the reversal is of the pool of what it reverses, wherever its
	 * hospital is now (issue 13 §2) */
	int np = zt_ledger_settlement_postings(postings, &names, -1, o->fixmedins_code, o->pool, codes,
	                                       amounts, o->fund_count, o->hosp_part_amt,
	                                       o->psn_part_amt);
	if (o->national_setl_id[0]) /* docs/spec/claim-v2-national.md §4: the national ones too */
		np += zt_ledger_national_postings(postings + np, &nn, -1, o->fixmedins_code,
		                                  &o->national_funds, o->hifp_pay, o->hifmi_pay,
		                                  o->maf_pay);
	const struct zt_reversal_write w = {
		.orig = o, .reason = reason, .actor = actor, .traces = traces,
		.accum_count = na, .accums = accums, .posting_count = np, .postings = postings,
	};
	return s->ops->claims.write_reversal(s, &w, setl_id, row);
}


/* ---- the audit record of a settlement ------------------------------------- */

/* A record per settlement, in the same transaction (savepoint) as the
 * settlement, rather than one record per commit chaining the settlements'
 * digests: the spec's "every change of state appends one record" read
 * literally, each record naming its claim so `audit list` answers "who
 * settled this", and no second scheme for verify to learn. Its cost is one
 * indexed read of the last record, a SHA-256 of ~300 bytes and one insert
 * beside the ~20 rows a settlement writes (README "Performance" states
 * the bulk figures with and without it). */
/* The audit line appended piece by piece (every settlement writes one). */
struct line_out {
	char *p;
	size_t n, cap;
	bool over;
};

static void line_put(struct line_out *o, const char *s)
{
	size_t len = strlen(s);
	if (o->over || len >= o->cap - o->n) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->n, s, len + 1);
	o->n += len;
}

static void line_int(struct line_out *o, int64_t v)
{
	char tmp[24], *e = tmp + sizeof tmp - 1;
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	*e = '\0';
	do {
		*--e = (char)('0' + a % 10);
		a /= 10;
	} while (a);
	if (v < 0)
		*--e = '-';
	line_put(o, e);
}

int zt_settlement_audit_line(char *out, size_t cap, const struct zt_stored_settlement *st)
{
	struct line_out o = {out, 0, cap, cap == 0};
	const char *const head[] = {st->setl_id, st->kind, st->reverses_setl_id,
	                            st->fixmedins_code, st->claim_no, st->psn_no};
	line_put(&o, "zhitong-settlement-1");
	for (int i = 0; i < 6; i++) {
		line_put(&o, "\t");
		line_put(&o, head[i]);
	}
	const zt_fen amounts[] = {st->fund_pay_sumamt, st->hosp_part_amt, st->psn_part_amt};
	for (int i = 0; i < 3; i++) {
		line_put(&o, "\t");
		line_int(&o, amounts[i]);
	}
	for (int i = 0; i < st->fund_count; i++) {
		const struct zt_stored_fund *f = &st->funds[i];
		line_put(&o, "\t");
		line_put(&o, f->fund_code);
		line_put(&o, ":");
		line_put(&o, f->kind);
		line_put(&o, ":");
		line_int(&o, f->amount);
	}
	if (o.over)
		return zt_error_set(ZT_ERANGE, "settlement %s: its audit line is over %zu bytes",
		                    st->setl_id, cap);
	return (int)o.n;
}

int zt_settlement_audit(struct zt_store *s, const char *actor, const char *action,
                        const struct zt_stored_settlement *st, const char *detail)
{
	char line[1024], subject[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) +
	                         ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX) + 8];
	unsigned char digest[ZT_AUDIT_HASH_BYTES];
	int n = zt_settlement_audit_line(line, sizeof line, st);
	if (n < 0)
		return n;
	int rc = zt_audit_digest(digest, line, (size_t)n);
	if (rc)
		return rc;
	snprintf(subject, sizeof subject, "claim %s/%s", st->fixmedins_code, st->claim_no);
	const struct zt_audit_write w = {.actor = actor, .action = action, .subject = subject,
	                                 .digest = digest, .detail = detail};
	return s->ops->audit.write(s, &w, NULL);
}
