/* zhitong — reconciliation: matching one stored bank entry and booking
 * what it pays (see reconcile.h, reconcile_int.h), used by the import,
 * `reconcile match` and the resolutions; and `reconcile match` itself
 * with what is overdue. The decisions are the pure rules of
 * reconcile_rules.c. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile_int.h"
#include "zhitong/text.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"
#include "zhitong/audit.h"
#include "zhitong/date.h"

/* ---- a matching session ---------------------------------------------------- */

/* A batch for the rules: ZT_ENOTFOUND (no message) if there is none. */
int recon_read_batch(struct zt_store *s, const char *id, struct zt_recon_batch *b)
{
	int rc = s->ops->bank.batch(s, id, b);
	if (rc == 0)
		zt_recon_batch_due(b);
	return rc;
}

/* Keeps a raised exception's id in the operation's result. */
static int note_exception(struct session *ss, const char *exc_id)
{
	struct zt_recon_import_result *r = ss->res;
	if (r->exception_count == ss->exc_cap) {
		size_t cap = ss->exc_cap ? ss->exc_cap * 2 : 16;
		void *p = zt_realloc(r->exceptions, cap * sizeof *r->exceptions);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		r->exceptions = p;
		ss->exc_cap = cap;
	}
	zt_text_put(r->exceptions[r->exception_count++], ZT_ID_BYTES, exc_id);
	return 0;
}

void recon_fund_account(char out[ZT_ACCOUNT_NAME_BYTES], const char *fund_code, const char *pool)
{
	char base[40];
	snprintf(base, sizeof base, "fund:%s", fund_code);
	zt_ledger_pool_account(out, base, pool);
}

int recon_entry_pool(struct session *ss, const struct zt_recon_entry *e, const char **pool)
{
	if (!ss->pool[0] || strcmp(ss->pool_of, e->account) != 0) {
		int rc = zt_pools_of_account(ss->s, ss->cfg.pools, e->account, ss->pool);
		if (rc) {
			ss->pool[0] = '\0';
			return rc;
		}
		zt_text_put(ss->pool_of, sizeof ss->pool_of, e->account);
	}
	*pool = ss->pool;
	return 0;
}

int recon_entry_account(struct session *ss, const struct zt_recon_entry *e, const char *base,
                        char out[ZT_ACCOUNT_NAME_BYTES])
{
	const char *pool;
	int rc = recon_entry_pool(ss, e, &pool);
	if (rc == 0)
		zt_ledger_pool_account(out, base, pool);
	return rc;
}

/* The entry's money into suspense:bank, with the bank side booked (the
 * books of the entry's account's pool). */
static int book_suspense(struct session *ss, const struct zt_recon_entry *e)
{
	if (e->amount == 0)
		return 0;
	char bank[ZT_ACCOUNT_NAME_BYTES], susp[ZT_ACCOUNT_NAME_BYTES];
	int rc = recon_entry_account(ss, e, ZT_ACCOUNT_POOL_BANK, bank);
	if (rc || (rc = recon_entry_account(ss, e, ZT_ACCOUNT_SUSPENSE, susp)))
		return rc;
	return e->credit ? ss->s->ops->ledger.post(ss->s, &(struct zt_posting){bank, susp,
	                                     e->amount, "suspense", e->ref}, 0)
	                 : ss->s->ops->ledger.post(ss->s, &(struct zt_posting){susp, bank,
	                                     e->amount, "suspense", e->ref}, 0);
}

/* Closes the overdue exceptions about a batch once it has been paid (all:
 * missing and short) or paid in part (missing). */
static int settle_batch_due(struct session *ss, const struct zt_recon_batch *after,
                            const char *ref)
{
	if (!ss->due_open)
		return 0;
	char note[160];
	zt_fen owes;
	int rc = zt_batch_owes(&owes, after->due, after->paid, after->returned);
	if (rc)
		return rc;
	snprintf(note, sizeof note, "paid by bank entry %s", ref);
	int kind = owes <= 0 ? -1 : (int)ZT_RECON_MISSING;
	return ss->s->ops->bank.settle_due(ss->s, kind, after->id, NULL, NULL, note, ss->actor, NULL);
}

/* What the payer netted of a batch owed back to its fund, out of its
 * credit: booked as returned to the fund (debit fund:F, credit `from`). */
static int net_batch(struct session *ss, const struct zt_recon_entry *e, const char *from,
                     const struct zt_recon_batch *b, zt_fen amount)
{
	char fund[ZT_ACCOUNT_NAME_BYTES];
	recon_fund_account(fund, b->fund_code, b->pool);
	struct zt_batch_return r;
	memset(&r, 0, sizeof r);
	zt_text_put(r.batch_id, sizeof r.batch_id, b->id);
	r.netted = true;
	r.amount = amount;
	r.entry_row = e->row;
	zt_text_put(r.entry_ref, sizeof r.entry_ref, e->ref);
	zt_text_put(r.actor, sizeof r.actor, ss->actor);
	int rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){fund, from, amount, "netted", e->ref}, 0);
	return rc ? rc : zt_batch_add_return(ss->s, &r);
}

/* Pays batches from an entry: the match, its parts, the ledger and each
 * batch's paid and status. `from` is pool:bank for a fresh entry, or
 * suspense:bank once it has been booked there. pay[i] < 0 is a batch owed
 * back that the payer netted (only among several batches). */
int recon_pay_batches(struct session *ss, const struct zt_recon_entry *e, const char *from,
                       int64_t exception_row, const struct zt_recon_batch *b, size_t n,
                       const zt_fen *pay, const zt_fen *written_off)
{
	int64_t match_row;
	zt_fen from_bank = 0;
	char from_acct[ZT_ACCOUNT_NAME_BYTES], write_off[ZT_ACCOUNT_NAME_BYTES];
	int rc = recon_entry_account(ss, e, from, from_acct);
	if (rc)
		return rc;
	from = from_acct;
	for (size_t i = 0; i < n; i++)
		if (written_off[i] < 0 || (pay[i] < 0 && (written_off[i] != 0 || n == 1)) ||
		    __builtin_add_overflow(from_bank, pay[i], &from_bank))
			return zt_error_set(ZT_EINTERNAL, "bank entry %s: a payment part is out of range",
			                    e->ref);
	/* Conservation: an entry never pays out more than the bank booked. */
	if (from_bank > e->amount || from_bank < 0)
		return zt_error_set(ZT_EINTERNAL, "bank entry %s of %lld fen would pay %lld fen", e->ref,
		                    (long long)e->amount, (long long)from_bank);
	rc = ss->s->ops->bank.match_put(ss->s, e->row, NULL, NULL, exception_row, ss->actor,
	                              &match_row);
	const char *ref = e->ref;
	zt_fen moved = 0; /* out of `from`, netting counted negative */
	for (size_t i = 0; i < n && rc == 0; i++) {
		moved += pay[i]; /* no overflow: their sum was checked above */
		if (pay[i] < 0) {
			rc = net_batch(ss, e, from, &b[i], -pay[i]);
			continue;
		}
		zt_fen total;
		if (__builtin_add_overflow(pay[i], written_off[i], &total))
			return zt_error_set(ZT_ERANGE, "payment out of range");
		if (total == 0)
			continue;
		char fund[ZT_ACCOUNT_NAME_BYTES];
		recon_fund_account(fund, b[i].fund_code, b[i].pool);
		zt_ledger_pool_account(write_off, ZT_ACCOUNT_WRITE_OFF, b[i].pool);
		if ((rc = ss->s->ops->bank.alloc_put(ss->s, match_row, b[i].id, pay[i], written_off[i])))
			break;
		if (pay[i] > 0 &&
		    (rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){from, fund, pay[i], "payment", ref}, 0)))
			break;
		if (written_off[i] > 0 &&
		    (rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){write_off, fund, written_off[i],
		                            "write-off", ref}, 0)))
			break;
		if ((rc = zt_batch_pay_known(ss->s, b[i].id, b[i].status, b[i].due, b[i].paid,
		                                   b[i].returned, total, ss->actor, ref)))
			break;
		struct zt_recon_batch after = b[i];
		if (__builtin_add_overflow(after.paid, total, &after.paid))
			return zt_error_set(ZT_ERANGE, "batch %s: what was paid would overflow", b[i].id);
		rc = settle_batch_due(ss, &after, ref);
	}
	/* Conservation: the allocations are what the entry pays, no more. */
	assert(rc != 0 || (moved == from_bank && moved <= e->amount));
	return rc;
}

static int raise_exc(struct session *ss, const struct zt_recon_entry *e,
                     enum zt_recon_kind kind, const char *batch_id, const char *advance_id,
                     const char *return_id, const char *detail)
{
	struct zt_recon_exception x;
	memset(&x, 0, sizeof x);
	x.kind = kind;
	x.entry_row = e->row;
	zt_text_put(x.batch_id, sizeof x.batch_id, batch_id ? batch_id : "");
	zt_text_put(x.advance_id, sizeof x.advance_id, advance_id ? advance_id : "");
	zt_text_put(x.return_id, sizeof x.return_id, return_id ? return_id : "");
	x.amount = e->amount;
	x.since = e->booking_date;
	zt_text_put(x.detail, sizeof x.detail, detail);
	zt_text_put(x.raised_by, sizeof x.raised_by, ss->actor);
	int rc = ss->s->ops->bank.exception_put(ss->s, &x);
	return rc ? rc : note_exception(ss, x.exc_id);
}

/* An advance named by the entry's EndToEndId: 0 and *found, or 0 and not
 * found. */
static int find_advance(struct session *ss, const char *id, struct zt_advance *a, bool *found)
{
	*found = false;
	if (!id[0])
		return 0;
	int rc = ss->s->ops->advances.get(ss->s, id, a);
	if (rc == ZT_ENOTFOUND) {
		zt_error_clear();
		return 0;
	}
	if (rc == 0)
		*found = true;
	return rc;
}

/* Every batch id an entry names: EndToEndId, the remittance, the other
 * references. */
static size_t names(const struct zt_recon_entry *e, char ids[][ZT_ID_BYTES], size_t *n)
{
	*n = 0;
	size_t lost = zt_recon_batch_tokens(e->end_to_end_id, ids, n, ZT_RECON_BATCHES_MAX);
	lost += zt_recon_batch_tokens(e->remittance, ids, n, ZT_RECON_BATCHES_MAX);
	lost += zt_recon_batch_tokens(e->tx_ref, ids, n, ZT_RECON_BATCHES_MAX);
	return lost;
}

static int match_credit(struct session *ss, const struct zt_recon_entry *e, bool in_suspense,
                        enum outcome *out)
{
	char ids[ZT_RECON_BATCHES_MAX][ZT_ID_BYTES];
	struct zt_recon_batch b[ZT_RECON_BATCHES_MAX];
	size_t n;
	char detail[ZT_RECON_DETAIL_BYTES];
	int rc;
	*out = EXCEPTION;
	if (names(e, ids, &n) > 0) {
		snprintf(detail, sizeof detail, "names more than %d batches", ZT_RECON_BATCHES_MAX);
		return raise_exc(ss, e, ZT_RECON_AMBIGUOUS, NULL, NULL, NULL, detail);
	}
	if (n == 0) {
		struct zt_advance a;
		bool found;
		if ((rc = find_advance(ss, e->end_to_end_id, &a, &found)))
			return rc;
		if (found) {
			snprintf(detail, sizeof detail,
			         "a credit naming advance %s: money coming back is not matched",
			         a.advance_id);
			return raise_exc(ss, e, ZT_RECON_UNKNOWN, NULL, a.advance_id, NULL, detail);
		}
		return raise_exc(ss, e, ZT_RECON_UNKNOWN, NULL, NULL, NULL, "a credit naming no batch");
	}
	/* several pools: the entry's account's pool, whose batches only it pays
	 * (with a configuration, its pool's; without, the database's) */
	const char *pool;
	if ((rc = recon_entry_pool(ss, e, &pool)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = recon_read_batch(ss->s, ids[i], &b[i]);
		if (rc == ZT_ENOTFOUND) {
			snprintf(detail, sizeof detail, "names batch %.35s, which does not exist", ids[i]);
			return raise_exc(ss, e, ZT_RECON_UNKNOWN, NULL, NULL, NULL, detail);
		}
		if (rc)
			return rc;
		if (strcmp(b[i].pool, pool) != 0) {
			snprintf(detail, sizeof detail, "names batch %.35s of pool %.32s: account %.40s "
			         "is pool %.32s's", ids[i], b[i].pool, e->account, pool);
			return raise_exc(ss, e, ZT_RECON_UNKNOWN, NULL, NULL, NULL, detail);
		}
	}
	struct zt_recon_decision d;
	if ((rc = zt_recon_decide_credit(&ss->cfg, e->amount, e->booking_date, b, n, &d)))
		return rc;
	switch (d.verdict) {
	case ZT_RECON_PAY:
		*out = MATCHED;
		return recon_pay_batches(ss, e, in_suspense ? ZT_ACCOUNT_SUSPENSE : ZT_ACCOUNT_POOL_BANK, 0, b,
		                   n, d.pay, d.written_off);
	case ZT_RECON_HOLD:
		*out = HELD;
		return 0;
	case ZT_RECON_EXCEPTION:
		break;
	}
	return raise_exc(ss, e, d.kind, d.candidate >= 0 ? b[d.candidate].id : NULL, NULL, NULL,
	                 d.detail);
}

/* A debit confirming an advance or a repayment (one of the ids is set). */
int recon_confirm_payout(struct session *ss, const struct zt_recon_entry *e,
                          const char *advance_id, const char *return_id, int64_t exception_row,
                          bool in_suspense)
{
	int64_t match_row;
	int rc = ss->s->ops->bank.match_put(ss->s, e->row, advance_id, return_id, exception_row,
	                                  ss->actor, &match_row);
	/* The advance or repayment transfer booked the outflow when it was
	 * issued; an entry booked to suspense meanwhile is taken back out. */
	char bank[ZT_ACCOUNT_NAME_BYTES], susp[ZT_ACCOUNT_NAME_BYTES];
	if (rc == 0 && in_suspense && (rc = recon_entry_account(ss, e, ZT_ACCOUNT_POOL_BANK, bank)) == 0 &&
	    (rc = recon_entry_account(ss, e, ZT_ACCOUNT_SUSPENSE, susp)) == 0)
		rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){bank, susp, e->amount,
		                       "confirm", e->ref}, 0);
	if (rc == 0 && ss->due_open) {
		char note[160];
		snprintf(note, sizeof note, "confirmed by bank entry %s", e->ref);
		rc = ss->s->ops->bank.settle_due(ss->s, ZT_RECON_MISSING, NULL, advance_id, return_id,
		                               note, ss->actor, NULL);
	}
	return rc;
}

/* A repayment named by the entry's EndToEndId: 0 and *found, or 0 and not
 * found. */
static int find_return(struct session *ss, const char *id, struct zt_batch_return *r,
                       bool *found)
{
	*found = false;
	if (!id[0])
		return 0;
	int rc = ss->s->ops->batches.return_get(ss->s, id, r);
	if (rc == ZT_ENOTFOUND)
		return 0;
	if (rc == 0)
		*found = !r->netted;
	return rc;
}

static int match_debit(struct session *ss, const struct zt_recon_entry *e, bool in_suspense,
                       enum outcome *out)
{
	struct zt_advance a;
	struct zt_batch_return r;
	bool found, confirmed = false, is_return = false;
	struct zt_recon_decision d;
	*out = EXCEPTION;
	int rc = find_advance(ss, e->end_to_end_id, &a, &found);
	if (rc == 0 && !found && (rc = find_return(ss, e->end_to_end_id, &r, &is_return)) == 0 &&
	    is_return) {
		if ((rc = zt_recon_decide_repayment(&ss->cfg, e->amount, e->booking_date, &r, &d)))
			return rc;
		if (d.verdict == ZT_RECON_PAY) {
			*out = MATCHED;
			return recon_confirm_payout(ss, e, NULL, r.return_id, 0, in_suspense);
		}
		return raise_exc(ss, e, d.kind, r.batch_id, NULL, r.return_id, d.detail);
	}
	if (rc == 0 && found)
		rc = ss->s->ops->bank.advance_confirmed(ss->s, a.advance_id, &confirmed);
	if (rc || (rc = zt_recon_decide_debit(&ss->cfg, e->amount, e->booking_date,
	                                      e->end_to_end_id, found ? &a : NULL, confirmed, &d)))
		return rc;
	if (d.verdict == ZT_RECON_PAY) {
		*out = MATCHED;
		return recon_confirm_payout(ss, e, a.advance_id, NULL, 0, in_suspense);
	}
	return raise_exc(ss, e, d.kind, NULL, d.candidate >= 0 ? a.advance_id : NULL, NULL,
	                 d.detail);
}

/* A fresh entry booked after the import day plus future-days: no bank
 * books days ahead, so a person looks at it (a `date` exception) before it
 * pays or confirms anything. The batch it names (one that exists) or the
 * advance is kept as the candidate for `resolve --as accept`. */
static int raise_future(struct session *ss, const struct zt_recon_entry *e)
{
	char ids[ZT_RECON_BATCHES_MAX][ZT_ID_BYTES], detail[ZT_RECON_DETAIL_BYTES];
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	const char *batch = NULL, *advance = NULL;
	struct zt_advance a;
	struct zt_recon_batch b;
	bool found = false;
	size_t n;
	int rc;
	if (e->credit) {
		if (names(e, ids, &n) == 0 && n == 1) {
			rc = recon_read_batch(ss->s, ids[0], &b);
			if (rc == 0)
				batch = b.id;
			else if (rc == ZT_ENOTFOUND)
				zt_error_clear();
			else
				return rc;
		}
	} else {
		if ((rc = find_advance(ss, e->end_to_end_id, &a, &found)))
			return rc;
		if (found)
			advance = a.advance_id;
	}
	snprintf(detail, sizeof detail,
	         "booked %s, after the import day %s plus %d days ([reconcile] future-days): "
	         "a day that has not come", zt_format_date(d1, e->booking_date),
	         zt_format_date(d2, ss->today), ss->cfg.future_days);
	return raise_exc(ss, e, ZT_RECON_DATE, batch, advance, NULL, detail);
}

/* Matches one stored entry that is neither matched nor in an exception.
 * A fresh entry not matched is booked to suspense here. */
int recon_match_entry(struct session *ss, const struct zt_recon_entry *e, bool in_suspense,
                       enum outcome *out)
{
	int rc;
	*out = EXCEPTION;
	if (!in_suspense && e->booking_date > zt_date_add(ss->today, ss->cfg.future_days)) {
		rc = raise_future(ss, e);
	} else if (e->amount == 0) {
		rc = raise_exc(ss, e, ZT_RECON_UNKNOWN, NULL, NULL, NULL, "an entry of 0.00");
	} else if (e->reversal) {
		char ids[ZT_RECON_BATCHES_MAX][ZT_ID_BYTES], detail[ZT_RECON_DETAIL_BYTES];
		size_t n;
		names(e, ids, &n);
		struct zt_advance a;
		bool found;
		if ((rc = find_advance(ss, e->end_to_end_id, &a, &found)))
			return rc;
		snprintf(detail, sizeof detail, "the bank reverses an earlier %s%s%s",
		         e->credit ? "debit" : "credit",
		         found ? " of advance " : n == 1 ? " for batch " : "",
		         found ? a.advance_id : n == 1 ? ids[0] : "");
		rc = raise_exc(ss, e, ZT_RECON_REVERSAL, n == 1 && !found ? ids[0] : NULL,
		               found ? a.advance_id : NULL, NULL, detail);
	} else {
		rc = e->credit ? match_credit(ss, e, in_suspense, out)
		               : match_debit(ss, e, in_suspense, out);
	}
	if (rc == 0 && *out != MATCHED && !in_suspense)
		rc = book_suspense(ss, e);
	return rc;
}

int recon_retry_open(void *vctx, const struct zt_recon_entry *e)
{
	struct session *ss = vctx;
	enum outcome o;
	int rc = recon_match_entry(ss, e, true, &o);
	if (rc == 0 && o == MATCHED)
		ss->res->rematched++;
	return rc;
}

int recon_session_start(struct session *ss, struct zt_store *s, const struct zt_config *cfg,
                         const char *actor, struct zt_recon_import_result *out)
{
	memset(out, 0, sizeof *out);
	memset(ss, 0, sizeof *ss);
	ss->s = s;
	ss->actor = ss->who;
	ss->today = zt_date_today();
	ss->res = out;
	int rc = zt_actor_normalize(ss->who, actor);
	if (rc == 0)
		rc = zt_recon_config_load(&ss->cfg, cfg);
	return rc;
}

/* In the session's transaction: whether payments must look for overdue
 * exceptions to close (rarely: most imports find none open). */
int recon_session_due(struct session *ss)
{
	return ss->s->ops->bank.due_open(ss->s, &ss->due_open);
}

/* ---- overdue --------------------------------------------------------------- */

struct due_ctx {
	struct session *ss;
	zt_date as_of;
};

int recon_overdue_raised(struct zt_store *s, const struct zt_recon_overdue *o, bool *out)
{
	return s->ops->bank.due_exists(s, o->kind, o->batch_id[0] ? o->batch_id : NULL,
	                               o->advance_id[0] ? o->advance_id : NULL,
	                               o->return_id[0] ? o->return_id : NULL, out);
}

/* Raises what is overdue, unless an exception of its kind is open about it. */
static int raise_overdue(struct due_ctx *c, const struct zt_recon_overdue *o, const char *detail)
{
	bool exists;
	int rc = recon_overdue_raised(c->ss->s, o, &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_exception x;
	memset(&x, 0, sizeof x);
	x.kind = o->kind;
	zt_text_put(x.batch_id, sizeof x.batch_id, o->batch_id);
	zt_text_put(x.advance_id, sizeof x.advance_id, o->advance_id);
	zt_text_put(x.return_id, sizeof x.return_id, o->return_id);
	x.amount = o->amount;
	x.since = o->since;
	zt_text_put(x.detail, sizeof x.detail, detail);
	zt_text_put(x.raised_by, sizeof x.raised_by, c->ss->actor);
	if ((rc = c->ss->s->ops->bank.exception_put(c->ss->s, &x)))
		return rc;
	c->ss->due_open = true;
	return note_exception(c->ss, x.exc_id);
}

static int due_batch(void *vctx, const struct zt_recon_batch *sent)
{
	struct due_ctx *c = vctx;
	char d1[ZT_FMT_BYTES], y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], y3[ZT_FMT_BYTES];
	char detail[ZT_RECON_DETAIL_BYTES];
	struct zt_recon_overdue o;
	struct zt_recon_batch b = *sent;
	bool due;
	int rc = recon_overdue_batch(&c->ss->cfg, sent, &o, &due);
	if (rc || !due)
		return rc;
	zt_recon_batch_due(&b);
	int days = c->ss->cfg.expected_within_days;
	if (o.kind == ZT_RECON_MISSING)
		snprintf(detail, sizeof detail,
		         "batch %s went to the payer on %s; nothing was paid within %d days (%s owed)",
		         b.id, zt_format_date(d1, b.sent), days, zt_format_amount(y1, b.due));
	else
		snprintf(detail, sizeof detail,
		         "short by %s: batch %s went to the payer on %s; %s of %s was paid within %d days",
		         zt_format_amount(y1, o.amount), b.id, zt_format_date(d1, b.sent),
		         zt_format_amount(y2, b.paid), zt_format_amount(y3, b.due), days);
	return raise_overdue(c, &o, detail);
}

static int due_advance(void *vctx, const struct zt_advance *a)
{
	struct due_ctx *c = vctx;
	char d1[ZT_FMT_BYTES], y1[ZT_FMT_BYTES], detail[ZT_RECON_DETAIL_BYTES];
	struct zt_recon_overdue o;
	recon_overdue_advance(&c->ss->cfg, a, &o);
	snprintf(detail, sizeof detail,
	         "advance %s of %s to %s, to be executed on %s: no bank debit within %d days",
	         a->advance_id, zt_format_amount(y1, a->amount), a->hospital,
	         zt_format_date(d1, a->execution_date), c->ss->cfg.expected_within_days);
	return raise_overdue(c, &o, detail);
}

static int due_return(void *vctx, const struct zt_batch_return *r)
{
	struct due_ctx *c = vctx;
	char d1[ZT_FMT_BYTES], y1[ZT_FMT_BYTES], detail[ZT_RECON_DETAIL_BYTES];
	struct zt_recon_overdue o;
	recon_overdue_return(&c->ss->cfg, r, &o);
	snprintf(detail, sizeof detail,
	         "repayment %s of %s to fund %s for batch %s, to be executed on %s: no bank debit "
	         "within %d days", r->return_id, zt_format_amount(y1, r->amount), r->fund_code,
	         r->batch_id, zt_format_date(d1, r->execution_date), c->ss->cfg.expected_within_days);
	return raise_overdue(c, &o, detail);
}

/* Raises `missing` and short `amount` for what was due more than
 * expected-within-days before as_of: due on day D, late on D + N + 1. */
static int raise_due(struct session *ss, zt_date as_of)
{
	struct due_ctx c = {ss, as_of};
	zt_date cutoff = zt_date_add(as_of, -ss->cfg.expected_within_days - 1);
	int rc = ss->s->ops->bank.sent_batches(ss->s, cutoff, due_batch, &c);
	if (rc == 0)
		rc = ss->s->ops->bank.due_advances(ss->s, cutoff, due_advance, &c);
	if (rc == 0)
		rc = ss->s->ops->bank.due_returns(ss->s, cutoff, due_return, &c);
	return rc;
}

int recon_audit(struct session *ss, const char *action, const char *subject,
                const unsigned char *digest, const char *detail)
{
	const struct zt_recon_import_result *r = ss->res;
	char line[ZT_MESSAGE_BYTES_MAX + 200];
	snprintf(line, sizeof line, "%s%s%zu exceptions raised", detail ? detail : "",
	         detail && detail[0] ? "; " : "", r ? r->exception_count : (size_t)0);
	for (size_t i = 0; r && i < r->exception_count && strlen(line) < ZT_MESSAGE_BYTES_MAX; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? ", " : ": ",
		         r->exceptions[i]);
	const struct zt_audit_write w = {.actor = ss->actor, .action = action,
	                                 .subject = subject ? subject : "", .digest = digest,
	                                 .detail = line};
	return ss->s->ops->audit.write(ss->s, &w, NULL);
}

int zt_recon_match(struct zt_store *s, const struct zt_recon_match_req *req,
                   struct zt_recon_import_result *out)
{
	struct session ss;
	bool in_txn = false;
	zt_date as_of;
	if (zt_date_as_of(&as_of, req->as_of, "--as-of") != 0) {
		memset(out, 0, sizeof *out);
		return ZT_EINVAL; /* nothing is overdue on a day that has not come */
	}
	int rc = recon_session_start(&ss, s, req->cfg, req->actor, out);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = recon_session_due(&ss)) ||
	    (rc = ss.s->ops->bank.open_entries(ss.s, INT64_MAX, recon_retry_open, &ss)) ||
	    (rc = raise_due(&ss, as_of)))
		goto done;
	char detail[96], day[ZT_FMT_BYTES];
	snprintf(detail, sizeof detail, "as of %s: %lld waiting entries matched",
	         zt_format_date(day, as_of), (long long)out->rematched);
	if ((rc = recon_audit(&ss, "reconcile match", "", NULL, detail)))
		goto done;
	rc = s->ops->commit(s);
	in_txn = false;
done:
	if (in_txn)
		s->ops->rollback(s);
	if (rc) /* nothing was raised: the result says so */
		zt_recon_import_result_free(out);
	return rc;
}
