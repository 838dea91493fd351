/* zhitong — `zhitong verify` (verify.h): the list of checks, run in one read
 * snapshot, each by the store that implements it or, for what only the
 * engine can re-derive (a claim's canonical form and digest), here over the
 * store's read of the stored claims. */
#include "zhitong/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/audit_trail.h"
#include "zhitong/claim.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

#define STORE ZT_VERIFY_BY_STORE
#define C(id, name, proves) [id] = {id, STORE, name, proves}

const struct zt_verify_check zt_verify_checks[ZT_VERIFY_CHECKS] = {
	C(ZT_VERIFY_CONSERVATION, "settlement conservation",
	  "each settlement's funds, hospital part and patient part add up to its bill, and its "
	  "classification too"),
	C(ZT_VERIFY_SHARES_SUM, "settlement funds sum up",
	  "the fund shares of a settlement add up to what it says each kind of fund paid"),
	C(ZT_VERIFY_REVERSALS_MIRROR, "reversals mirror their settlement",
	  "a reversal is the exact negation of the settlement it reverses"),
	C(ZT_VERIFY_LEDGER_BALANCES, "ledger balances",
	  "the balances of all accounts sum to zero, and each pool's books on their own: no transfer "
	  "moves money between two pools' accounts"),
	C(ZT_VERIFY_ACCOUNT_TRANSFERS, "account balances equal their transfers",
	  "each kept balance is the sum of its account's transfers"),
	C(ZT_VERIFY_WHOLE_FEN, "money is stored as whole fen",
	  "every amount kept is an integer, never a SQLite REAL an overflow made"),
	C(ZT_VERIFY_SETTLEMENTS_POSTED, "settlements are in the ledger",
	  "each settlement's transfers move its fund shares and its whole bill, its fund shares on "
	  "the books of the pool it was settled for"),
	C(ZT_VERIFY_ACCUMULATORS, "accumulators equal the sums of settlements",
	  "each person's yearly totals are the sums of their settlements less reversals"),
	C(ZT_VERIFY_ONE_LIVE_SETTLEMENT, "a claim number has at most one live settlement",
	  "no claim is paid twice"),
	[ZT_VERIFY_CLAIM_DIGESTS] = {ZT_VERIFY_CLAIM_DIGESTS, ZT_VERIFY_BY_DOMAIN,
	  "claims match their digest and their items",
	  "each stored claim is the canonical claim it was settled as: its items, their sums and "
	  "its SHA-256"},
	C(ZT_VERIFY_SETTLEMENT_CLAIM, "settlements agree with their claim",
	  "each settlement's bill, person, hospital, year and setl_id agree with its claim row"),
	C(ZT_VERIFY_SETTLEMENT_REFS, "settlements refer to stored rows",
	  "every hospital, person, policy, fund and settlement a settlement names is stored"),
	C(ZT_VERIFY_SHARE_SLOTS, "fund shares move their own accumulator",
	  "each fund share moves the accumulator of its kind"),
	C(ZT_VERIFY_SHARE_TRACES, "fund shares carry their trace",
	  "each fund share carries the trace of its kind, paying what it paid and moving its "
	  "accumulator by that; each critical share its tier segments"),
	C(ZT_VERIFY_SETTLED_ONCE,
	  "every claim is settled once; a number is reused only after a reversal",
	  "each claim row has one settlement and a claim number comes back only reversed"),
	C(ZT_VERIFY_NO_GAPS, "claims, settlements and transfers run without gaps",
	  "no claim, settlement or transfer was deleted"),
	C(ZT_VERIFY_POLICY_DIGESTS, "policies match their digest",
	  "each stored policy is the document that was loaded"),
	C(ZT_VERIFY_AUDIT_GAPS, "the audit trail has no gap",
	  "no audit record was deleted, reordered or added behind zhitong's back"),
	/* the chain is the engine's (audit.h): re-derived here, not by a store read */
	[ZT_VERIFY_AUDIT_CHAIN] = {ZT_VERIFY_AUDIT_CHAIN, ZT_VERIFY_BY_DOMAIN,
	  "the audit trail's hash chain is intact",
	  "no audit record was altered, removed, inserted or reordered since it was written "
	  "(docs/spec/service.md \"Audit trail\")"},
	C(ZT_VERIFY_AUDITED, "what was done is in the audit trail",
	  "every policy load, reversal and advance plan, approval and issue is recorded"),
	C(ZT_VERIFY_REFERENCES, "every other reference resolves",
	  "no row refers to a row that is gone"),
	C(ZT_VERIFY_GUARDS, "the schema's guards are in place",
	  "the store's own refusals (immutability, whole fen) are all there"),
	C(ZT_VERIFY_ADVANCE_TRANSFER, "each advance has exactly one transfer of its amount",
	  "each advance paid is in the ledger once, from its plan's pool's bank to its hospital"),
	C(ZT_VERIFY_ADVANCE_TRANSFERS_OWNED, "every advance transfer belongs to an advance",
	  "no advance money moved without an advance"),
	C(ZT_VERIFY_PLAN_ISSUED_ONCE, "a plan is issued at most once, whole, as approved",
	  "each plan was paid once, every line of it, after its approval"),
	C(ZT_VERIFY_PLAN_LINES, "plan lines are never negative and follow the top-up rule",
	  "each plan line's top-up is what the rule gives and the plan's total is their sum"),
	C(ZT_VERIFY_ADVANCE_MAKER, "the maker of an advance is not its approver",
	  "every advance was made and approved by two people"),
	C(ZT_VERIFY_SHARE_ONE_BATCH, "each claim share is in at most one batch",
	  "no share is billed twice, nor to a fund that does not owe it"),
	C(ZT_VERIFY_BATCH_SHARES_EXIST, "every share of a batch exists",
	  "each batch bills shares that exist and rejections of its own records"),
	C(ZT_VERIFY_BATCH_TOTALS, "each batch total equals the sum of its records",
	  "each batch's count and totals, and its accepted total, are its records'"),
	C(ZT_VERIFY_BATCH_INFO_RECORDS,
	  "a record left out of a total reverses a record the payer rejected",
	  "only the reversal of a rejected record is carried outside a total"),
	C(ZT_VERIFY_BATCH_EVENTS, "batch status changes are recorded",
	  "each batch moved only by allowed steps, each recorded, ending where it is"),
	C(ZT_VERIFY_BATCH_BOUNDS, "no batch is accepted or paid beyond what it billed",
	  "no batch was accepted, paid or paid back beyond its bill"),
	C(ZT_VERIFY_BATCH_RETURNS, "money returned to a fund is its returns, each booked once",
	  "each return to a fund is in the ledger once"),
	C(ZT_VERIFY_FUND_BALANCE, "each fund's billed, paid, written off and returned add up",
	  "each fund's batches and its ledger account say the same, pool by pool"),
	C(ZT_VERIFY_ENTRY_MATCHED_ONCE, "each bank entry matches at most one thing",
	  "no bank money was counted twice"),
	C(ZT_VERIFY_BATCH_PAID, "each batch's paid is what was matched to it",
	  "each batch's paid is the bank money matched to it"),
	C(ZT_VERIFY_BATCH_STATUS_PAID, "each batch's status agrees with what it was paid",
	  "a paid batch owes nothing and a part-paid one was paid something"),
	C(ZT_VERIFY_ENTRY_BOOKED,
	  "each bank entry is booked once, and its payments reach its batches' funds",
	  "each bank entry is in the books once, through suspense or to its funds"),
	C(ZT_VERIFY_RECON_TRANSFERS, "every reconciliation transfer has its bank entry or decision",
	  "no reconciliation money moved without a bank entry or a decision"),
	C(ZT_VERIFY_EXCEPTIONS_RESOLVED, "exceptions are resolved at most once, and as they say",
	  "each exception was decided once and its decision carried out"),
	C(ZT_VERIFY_SUSPENSE, "suspense:bank holds exactly the unexplained entries",
	  "what is in suspense is exactly the bank money nobody has explained yet"),
	C(ZT_VERIFY_RULES_IN_FORCE, "settlements used the policy and catalogue in force",
	  "each settlement not reversed used a policy version and a catalogue of its county in use "
	  "on its discharge date; the versions in use of a county, its catalogues and a person's "
	  "category periods do not overlap; a second person approved what was approved"),
};

/* ---- claims re-derived --------------------------------------------------------- */

/* What a claim read in claim v2 carries beside its claim row (store.h
 * claims.v2_each), by claim row. */
struct v2_fields {
	int64_t row;
	char ipt_no[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	char dept_name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	bool has_deposit, has_national;
	zt_fen deposit;
	struct zt_claim_national national;
};

struct claim_check {
	struct zt_claim c;
	const struct zt_verify_report *r;
	int64_t checked, found;
	struct v2_fields *v2; /* in claim row order */
	size_t v2_count, v2_cap;
};

static int v2_seen(void *ctx, int64_t claim_row, const struct zt_claim *c)
{
	struct claim_check *k = ctx;
	if (k->v2_count == k->v2_cap) {
		size_t cap = k->v2_cap ? 2 * k->v2_cap : 64;
		void *p = zt_realloc(k->v2, cap * sizeof *k->v2);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		k->v2 = p;
		k->v2_cap = cap;
	}
	struct v2_fields *f = &k->v2[k->v2_count++];
	f->row = claim_row;
	snprintf(f->ipt_no, sizeof f->ipt_no, "%s", c->ipt_no);
	snprintf(f->dept_name, sizeof f->dept_name, "%s", c->dept_name);
	f->has_deposit = c->has_deposit;
	f->deposit = c->deposit;
	f->has_national = c->has_national;
	f->national = c->national;
	return 0;
}

/* The claim v2 fields of claim row `row`, or NULL for a v1 claim. */
static const struct v2_fields *v2_of(const struct claim_check *k, int64_t row)
{
	size_t lo = 0, hi = k->v2_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->v2[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->v2_count && k->v2[lo].row == row ? &k->v2[lo] : NULL;
}

static void problem_msg(char *msg, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem_msg(char *msg, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, cap, fmt, ap);
	va_end(ap);
}

/* What is wrong with the items of x (parsed into c), "" if nothing. */
static void items_problem(char *msg, size_t cap, struct zt_claim *c, const struct zt_stored_claim *x)
{
	char a1[ZT_FMT_BYTES], a2[ZT_FMT_BYTES];
	zt_fen sum = 0;
	for (int i = 0; i < c->item_count; i++) {
		const struct zt_item *it = &c->items[i];
		int64_t want;
		if (it->pric < 0 || it->cnt < 0 ||
		    zt_rhu128(&want, (__int128)it->pric * it->cnt, 1000000) != 0 ||
		    want != it->det_item_fee_sumamt)
			return problem_msg(msg, cap, "item %d ('%s'): amount %s is not price × quantity",
			                   i + 1, it->feedetl_sn, zt_format_amount(a1, it->det_item_fee_sumamt));
		if (__builtin_add_overflow(sum, it->det_item_fee_sumamt, &sum))
			return problem_msg(msg, cap, "its items add up to more than can be counted");
	}
	if (sum != x->medfee_sumamt)
		problem_msg(msg, cap, "its items add up to %s, medfee_sumamt is %s",
		            zt_format_amount(a1, sum), zt_format_amount(a2, x->medfee_sumamt));
}

/* NULL for a claim whose stored row is what the engine wrote, else the
 * first thing wrong, in words: its items are not canonical lines, their
 * number is not item_count, an item's amount is not rhu(price × quantity,
 * 10^6), the items do not add up to medfee_sumamt, or the row no longer has
 * the SHA-256 of the canonical claim it was stored with (claim.h). */
static int claim_problem(char *msg, size_t cap, struct zt_claim *c, const struct zt_stored_claim *x,
                         const struct v2_fields *v2)
{
	msg[0] = '\0';
	zt_claim_reset(c);
	if (v2) { /* docs/spec/claim-v2-national.md §1: its digest covers them */
		c->version = 2;
		snprintf(c->ipt_no, sizeof c->ipt_no, "%s", v2->ipt_no);
		snprintf(c->dept_name, sizeof c->dept_name, "%s", v2->dept_name);
		c->has_deposit = v2->has_deposit;
		c->deposit = v2->deposit;
		c->has_national = v2->has_national;
		c->national = v2->national;
	}
	snprintf(c->fixmedins_code, sizeof c->fixmedins_code, "%s", x->fixmedins_code);
	snprintf(c->claim_no, sizeof c->claim_no, "%s", x->claim_no);
	snprintf(c->psn_no, sizeof c->psn_no, "%s", x->psn_no);
	snprintf(c->dscg_maindiag_code, sizeof c->dscg_maindiag_code, "%s", x->dscg_maindiag_code);
	c->adm_date = x->adm_date;
	c->dscg_date = x->dscg_date;
	c->medfee_sumamt = x->medfee_sumamt;
	if (!x->items)
		snprintf(msg, cap, "it has no items");
	else if (zt_claim_items_parse(c, x->items, msg, cap) != 0)
		; /* msg says which line */
	else if (c->item_count != x->item_count)
		snprintf(msg, cap, "%d item lines, item_count says %lld", c->item_count,
		         (long long)x->item_count);
	else
		items_problem(msg, cap, c, x);
	if (msg[0])
		return 0;
	char *again = zt_claim_items_text(c);
	if (!again)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	unsigned char digest[ZT_DIGEST_BYTES];
	if (strcmp(again, x->items) != 0)
		snprintf(msg, cap, "its items are not in canonical form");
	else if (zt_claim_digest(digest, c, again) != 0)
		snprintf(msg, cap, "its digest cannot be computed");
	else if (x->digest_bytes != ZT_DIGEST_BYTES || memcmp(x->digest, digest, ZT_DIGEST_BYTES) != 0)
		snprintf(msg, cap, "its stored fields no longer match its digest (SHA-256 of the "
		         "canonical claim)");
	free(again);
	return 0;
}

static int check_claim(void *ctx, const struct zt_stored_claim *x)
{
	struct claim_check *k = ctx;
	char msg[ZT_MESSAGE_BYTES_MAX], line[ZT_MESSAGE_BYTES_MAX + 160];
	k->checked++;
	int rc = claim_problem(msg, sizeof msg, &k->c, x, v2_of(k, x->row));
	if (rc || !msg[0])
		return rc;
	k->found++;
	snprintf(line, sizeof line, "claim %s/%s (row %lld): %s", x->fixmedins_code, x->claim_no,
	         (long long)x->row, msg);
	if (k->r->violation)
		k->r->violation(k->r->ctx, zt_verify_checks[ZT_VERIFY_CLAIM_DIGESTS].name, line);
	return 0;
}

/* The audit trail's chain, walked inside verify's own read snapshot: the
 * first record altered, removed, inserted or reordered is named
 * (audit_trail.h zt_audit_trail_verify_in). */
static int audit_chain(struct zt_store *s, const struct zt_verify_report *r, int64_t *checked,
                       int64_t *found)
{
	struct zt_audit_verdict *v = zt_calloc(1, sizeof *v);
	if (!v)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = zt_audit_trail_verify_in(s, NULL, v);
	*checked = v->records;
	if (rc == ZT_EINVAL) {
		(*found)++;
		if (r->violation)
			r->violation(r->ctx, zt_verify_checks[ZT_VERIFY_AUDIT_CHAIN].name, v->message);
		rc = 0;
	}
	free(v);
	return rc;
}

static int run_domain(struct zt_store *s, enum zt_verify_check_id id,
                      const struct zt_verify_report *r, int64_t *checked, int64_t *found)
{
	if (id == ZT_VERIFY_AUDIT_CHAIN)
		return audit_chain(s, r, checked, found);
	if (id != ZT_VERIFY_CLAIM_DIGESTS)
		return zt_error_set(ZT_EINTERNAL, "verify: check %d has no code", (int)id);
	struct claim_check *k = zt_calloc(1, sizeof *k);
	if (!k)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	zt_claim_init(&k->c);
	k->r = r;
	int rc = s->ops->claims.v2_each(s, v2_seen, k);
	if (rc == 0)
		rc = s->ops->verify.claims(s, check_claim, k);
	*checked = k->checked;
	*found += k->found;
	zt_claim_free(&k->c);
	free(k->v2);
	free(k);
	return rc;
}

/* A live settlement on a national settlement the platform reversed. */
static int warn_reversed(void *ctx, const struct zt_national_reversed_line *l)
{
	const struct zt_verify_report *r = ctx;
	char msg[ZT_MESSAGE_BYTES_MAX + 200], on[ZT_FMT_BYTES];
	if (snprintf(msg, sizeof msg, "%s (claim %s/%s) stands on national settlement %s, which the "
	             "national platform reversed on %s: reverse it ('zhitong claim reverse')",
	             l->setl_id, l->fixmedins_code, l->claim_no, l->national_setl_id,
	             zt_format_date(on, l->reversed_on)) < 0)
		msg[0] = '\0';
	if (r->warning)
		r->warning(r->ctx, msg);
	return 0;
}

int zt_verify(struct zt_store *s, const struct zt_verify_report *r, int64_t *violations)
{
	*violations = 0;
	/* one read transaction: every check sees the same snapshot */
	int rc = s->ops->begin(s, ZT_TXN_READ);
	for (int i = 0; rc == 0 && i < ZT_VERIFY_CHECKS; i++) {
		const struct zt_verify_check *c = &zt_verify_checks[i];
		int64_t checked = 0;
		rc = c->by == ZT_VERIFY_BY_STORE ? s->ops->verify.run(s, c->id, r, &checked, violations)
		                                 : run_domain(s, c->id, r, &checked, violations);
		if (rc == 0 && r->checked)
			r->checked(r->ctx, c->name, checked);
	}
	if (rc == 0)
		rc = s->ops->claims.national_reversed_live(s, warn_reversed, (void *)r);
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	return rc;
}
