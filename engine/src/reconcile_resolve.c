/* zhitong — reconciliation's exceptions and a person's resolution of
 * each (see reconcile.h; docs/reconciliation.md has the table). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile_int.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"
#include "zhitong/text.h"

/* ---- resolutions ------------------------------------------------------------- */

/* The statuses zt_batch_pay() takes a payment in. */
static bool payable(enum zt_batch_status st)
{
	return st == ZT_BATCH_SENT || st == ZT_BATCH_ACCEPTED || st == ZT_BATCH_PART_PAID;
}

/* A person's match of an entry held in suspense to the batches in `ids`
 * ("B1,B2"): one batch takes up to what it owes, several exactly what they
 * owe together (a batch owed back, answered by the payer, counting
 * negative: netted); an over-payment accepted pays what is owed and the
 * rest is owed back (refund:bank). */
static int resolve_batches(struct session *ss, const struct zt_recon_entry *e,
                           const struct zt_recon_exception *x, const char *ids, bool excess_ok)
{
	struct zt_recon_batch b[ZT_RECON_BATCHES_MAX];
	zt_fen pay[ZT_RECON_BATCHES_MAX] = {0}, wo[ZT_RECON_BATCHES_MAX] = {0};
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES];
	size_t n = 0;
	int rc;
	if (!e->credit)
		return zt_error_set(ZT_ECONFLICT, "%s: bank entry %s is a debit: it can confirm an "
		                    "advance, not pay a batch", x->exc_id, e->ref);
	for (const char *p = ids; *p;) {
		size_t len = strcspn(p, ",");
		char id[ZT_ID_BYTES];
		if (len >= sizeof id || n == ZT_RECON_BATCHES_MAX)
			return zt_error_set(ZT_EINVAL, "match: '%.*s' is no batch id (or too many)",
			                    (int)len, p);
		memcpy(id, p, len);
		id[len] = '\0';
		p += len + (p[len] == ',');
		rc = recon_read_batch(ss->s, id, &b[n]);
		if (rc == ZT_ENOTFOUND)
			return zt_error_set(ZT_ENOTFOUND, "there is no batch '%s'", id);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (strcmp(b[i].id, id) == 0)
				return zt_error_set(ZT_EINVAL, "match: batch %s is named twice", id);
		/* several pools: an account pays its own pool's batches only (the
		 * money is in its pool's suspense:bank) */
		const char *pool;
		if ((rc = recon_entry_pool(ss, e, &pool)))
			return rc;
		if (strcmp(pool, b[n].pool) != 0)
			return zt_error_set(ZT_EINVAL, "match: batch %s is of pool %s; bank entry %s is of "
			                    "account %s (pool %s)", id, b[n].pool, e->ref, e->account,
			                    pool);
		if (!payable(b[n].status))
			return zt_error_set(ZT_ECONFLICT, "batch %s is %s: a payment is matched to a batch "
			                    "sent to the payer that still owes", id,
			                    zt_batch_status_name(b[n].status));
		n++;
	}
	zt_fen sum = 0, owes[ZT_RECON_BATCHES_MAX];
	for (size_t i = 0; i < n; i++) {
		if ((rc = zt_batch_owes(&owes[i], b[i].due, b[i].paid, b[i].returned)))
			return rc;
		if (owes[i] == 0 || (owes[i] < 0 && (n == 1 || !b[i].answered)))
			return zt_error_set(ZT_ECONFLICT, "%s: batch %s owes nothing%s%s%s", x->exc_id,
			                    b[i].id, owes[i] < 0 ? ": its fund is owed " : "",
			                    owes[i] < 0 ? zt_format_amount(y1, -owes[i]) : "",
			                    owes[i] == 0 ? "" : n == 1 ? " back (batch repay)"
			                                                : " back, without the payer's answer");
		if (__builtin_add_overflow(sum, owes[i], &sum))
			return zt_error_set(ZT_ERANGE, "the batches owe more than can be counted");
	}
	zt_fen excess = 0;
	if (n == 1 && (e->amount <= sum || excess_ok)) {
		pay[0] = e->amount <= sum ? e->amount : sum;
		excess = e->amount - pay[0];
	} else if (n > 1 && e->amount == sum) {
		for (size_t i = 0; i < n; i++)
			pay[i] = owes[i];
	} else {
		return zt_error_set(ZT_ECONFLICT, "%s: the credit of %s %s %s owed by %s", x->exc_id,
		                    zt_format_amount(y1, e->amount),
		                    n == 1 ? "is more than the" : "is not the", zt_format_amount(y2, sum),
		                    ids);
	}
	/* The allocations and what is owed back sum to the entry. */
	zt_fen parts = excess;
	for (size_t i = 0; i < n; i++)
		parts += pay[i];
	assert(parts == e->amount);
	rc = recon_pay_batches(ss, e, ZT_ACCOUNT_SUSPENSE, x->row, b, n, pay, wo);
	char susp[ZT_ACCOUNT_NAME_BYTES], refund[ZT_ACCOUNT_NAME_BYTES];
	if (rc == 0 && excess > 0 && (rc = recon_entry_account(ss, e, ZT_ACCOUNT_SUSPENSE, susp)) == 0 &&
	    (rc = recon_entry_account(ss, e, ZT_ACCOUNT_REFUND, refund)) == 0)
		rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){susp, refund, excess, "refund",
		                       e->ref}, 0);
	return rc;
}

static int resolve_advance(struct session *ss, const struct zt_recon_entry *e,
                           const struct zt_recon_exception *x, const char *advance_id)
{
	struct zt_advance a;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES];
	bool confirmed;
	int rc = ss->s->ops->advances.get(ss->s, advance_id, &a);
	if (rc)
		return rc;
	if (e->credit)
		return zt_error_set(ZT_ECONFLICT, "%s: bank entry %s is a credit: only a debit confirms "
		                    "an advance", x->exc_id, e->ref);
	if ((rc = ss->s->ops->bank.advance_confirmed(ss->s, advance_id, &confirmed)))
		return rc;
	if (confirmed)
		return zt_error_set(ZT_ECONFLICT, "advance %s is confirmed already", advance_id);
	if (a.amount != e->amount)
		return zt_error_set(ZT_ECONFLICT, "%s: advance %s is %s, the debit %s: it cannot "
		                    "confirm it", x->exc_id, advance_id, zt_format_amount(y1, a.amount),
		                    zt_format_amount(y2, e->amount));
	return recon_confirm_payout(ss, e, advance_id, NULL, x->row, true);
}

static int resolve_return(struct session *ss, const struct zt_recon_entry *e,
                          const struct zt_recon_exception *x, const char *return_id)
{
	struct zt_batch_return r;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES];
	int rc = ss->s->ops->batches.return_get(ss->s, return_id, &r);
	if (rc == ZT_ENOTFOUND || (rc == 0 && r.netted))
		return zt_error_set(ZT_ENOTFOUND, "there is no repayment '%s'", return_id);
	if (rc)
		return rc;
	if (e->credit)
		return zt_error_set(ZT_ECONFLICT, "%s: bank entry %s is a credit: only a debit confirms "
		                    "a repayment", x->exc_id, e->ref);
	if (r.confirmed)
		return zt_error_set(ZT_ECONFLICT, "repayment %s is confirmed already", return_id);
	if (r.amount != e->amount)
		return zt_error_set(ZT_ECONFLICT, "%s: repayment %s is %s, the debit %s: it cannot "
		                    "confirm it", x->exc_id, return_id, zt_format_amount(y1, r.amount),
		                    zt_format_amount(y2, e->amount));
	return recon_confirm_payout(ss, e, NULL, return_id, x->row, true);
}

static bool batch_shaped_id(const char *id)
{
	return recon_batch_shaped(id, strlen(id)) || strchr(id, ',') != NULL;
}

static int resolve_entry(struct session *ss, const struct zt_recon_exception *x,
                         enum zt_recon_resolution res, const char *target)
{
	struct zt_recon_entry e;
	int rc = ss->s->ops->bank.entry_get(ss->s, x->entry_row, &e);
	if (rc)
		return rc;
	char y1[ZT_FMT_BYTES];
	switch (res) {
	case ZT_RECON_IGNORE:
		if (e.amount > 0)
			return zt_error_set(ZT_ECONFLICT, "%s: the %s of %s is in suspense: resolve it as "
			                    "accept, match:ID, refund or write-off", x->exc_id,
			                    e.credit ? "credit" : "debit", zt_format_amount(y1, e.amount));
		return 0;
	case ZT_RECON_REFUND:
	case ZT_RECON_WRITE_OFF: {
		if (e.amount == 0)
			return zt_error_set(ZT_ECONFLICT, "%s: an entry of 0.00 has nothing to %s: ignore it",
			                    x->exc_id, zt_recon_resolution_name(res));
		/* on the books of the pool of the entry's account */
		char other[ZT_ACCOUNT_NAME_BYTES], susp[ZT_ACCOUNT_NAME_BYTES];
		if ((rc = recon_entry_account(ss, &e, res == ZT_RECON_REFUND ? ZT_ACCOUNT_REFUND
		                                                             : ZT_ACCOUNT_WRITE_OFF,
		                              other)) ||
		    (rc = recon_entry_account(ss, &e, ZT_ACCOUNT_SUSPENSE, susp)))
			return rc;
		const char *kind = zt_recon_resolution_name(res);
		return e.credit ? ss->s->ops->ledger.post(ss->s, &(struct zt_posting){susp, other, e.amount, kind,
		                                    e.ref}, 0)
		                : ss->s->ops->ledger.post(ss->s, &(struct zt_posting){other, susp, e.amount, kind,
		                                    e.ref}, 0);
	}
	case ZT_RECON_ACCEPT:
	case ZT_RECON_MATCH:
		if (e.amount == 0)
			return zt_error_set(ZT_ECONFLICT, "%s: an entry of 0.00 pays nothing: ignore it",
			                    x->exc_id);
		if (e.reversal)
			return zt_error_set(ZT_ECONFLICT, "%s: a reversal by the bank is not a payment: "
			                    "resolve it as refund or write-off", x->exc_id);
		if (res == ZT_RECON_ACCEPT) {
			if (x->batch_id[0] && e.credit)
				return resolve_batches(ss, &e, x, x->batch_id, true);
			if (x->return_id[0] && !e.credit)
				return resolve_return(ss, &e, x, x->return_id);
			if (x->advance_id[0] && !e.credit)
				return resolve_advance(ss, &e, x, x->advance_id);
			return zt_error_set(ZT_ECONFLICT, "%s names no candidate to accept: resolve it as "
			                    "match:ID, refund or write-off", x->exc_id);
		}
		if (e.credit || batch_shaped_id(target))
			return resolve_batches(ss, &e, x, target, false);
		struct zt_batch_return r;
		if ((rc = ss->s->ops->batches.return_get(ss->s, target, &r)) == 0)
			return resolve_return(ss, &e, x, target);
		if (rc != ZT_ENOTFOUND)
			return rc;
		return resolve_advance(ss, &e, x, target);
	case ZT_RECON_SETTLED:
		break;
	}
	return zt_error_set(ZT_EINVAL, "settled is not a person's decision");
}

/* missing / short: no money is held; write-off gives up what the batch
 * still owes. */
static int resolve_due(struct session *ss, const struct zt_recon_exception *x,
                       enum zt_recon_resolution res)
{
	if (res == ZT_RECON_IGNORE)
		return 0;
	if (x->return_id[0])
		return zt_error_set(ZT_ECONFLICT, "%s (%s of repayment %s) holds no bank money: resolve "
		                    "it as ignore", x->exc_id, zt_recon_kind_name(x->kind), x->return_id);
	if (res != ZT_RECON_WRITE_OFF || !x->batch_id[0])
		return zt_error_set(ZT_ECONFLICT, "%s (%s of %s %s) holds no bank money: resolve it as "
		                    "ignore%s", x->exc_id, zt_recon_kind_name(x->kind),
		                    x->batch_id[0] ? "batch" : "advance",
		                    x->batch_id[0] ? x->batch_id : x->advance_id,
		                    x->batch_id[0] ? " or write-off" : "");
	struct zt_recon_batch b;
	int rc = recon_read_batch(ss->s, x->batch_id, &b);
	if (rc)
		return rc == ZT_ENOTFOUND ? zt_error_set(rc, "batch '%s' is gone", x->batch_id) : rc;
	if (!payable(b.status))
		return zt_error_set(ZT_ECONFLICT, "batch %s is %s: only what a batch sent to the payer "
		                    "owes can be written off", b.id, zt_batch_status_name(b.status));
	zt_fen pay = 0, wo;
	if ((rc = zt_batch_owes(&wo, b.due, b.paid, b.returned)))
		return rc;
	if (wo <= 0)
		return zt_error_set(ZT_ECONFLICT, "batch %s owes nothing", b.id);
	int64_t match_row;
	char fund[ZT_ACCOUNT_NAME_BYTES], write_off[ZT_ACCOUNT_NAME_BYTES];
	recon_fund_account(fund, b.fund_code, b.pool);
	zt_ledger_pool_account(write_off, ZT_ACCOUNT_WRITE_OFF, b.pool);
	if ((rc = ss->s->ops->bank.match_put(ss->s, 0, NULL, NULL, x->row, ss->actor, &match_row)) ||
	    (rc = ss->s->ops->bank.alloc_put(ss->s, match_row, b.id, pay, wo)) ||
	    (rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){write_off, fund, wo, "write-off", x->exc_id},
	                            0)) ||
	    (rc = zt_batch_pay(ss->s, b.id, wo, ss->actor, x->exc_id)))
		return rc;
	/* The batch is now paid: its other overdue exceptions are moot. */
	char note[160];
	snprintf(note, sizeof note, "written off by %s", x->exc_id);
	return ss->s->ops->bank.settle_due(ss->s, -1, b.id, NULL, NULL, note, ss->actor, NULL);
}

/* The decision checked before anything is read: a known word, a note. */
static int resolve_check(const struct zt_recon_resolve_req *req, enum zt_recon_resolution *res,
                         char target[ZT_RECON_TARGET_BYTES])
{
	int rc = zt_recon_resolution_parse(res, target, req->as);
	if (rc)
		return rc;
	if (!req->note || !req->note[0])
		return zt_error_set(ZT_EINVAL, "a resolution needs a --note saying why");
	_Static_assert(ZT_TEXT_BYTES >= ZT_UTF8_BYTES(ZT_TEXT_CHARS_MAX), "a note fits");
	return zt_text_check("--note", req->note, strlen(req->note), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE);
}

int zt_recon_resolve(struct zt_store *s, const struct zt_recon_resolve_req *req,
                     struct zt_recon_exception *out)
{
	struct session ss;
	struct zt_recon_import_result unused = {0};
	struct zt_recon_exception x;
	enum zt_recon_resolution res;
	char target[ZT_RECON_TARGET_BYTES];
	bool in_txn = false;
	int rc = resolve_check(req, &res, target);
	if (rc)
		return rc;
	if ((rc = recon_session_start(&ss, s, req->cfg, req->actor, &unused)) ||
	    (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = recon_session_due(&ss)) || (rc = ss.s->ops->bank.exception_get(ss.s, req->exc_id, &x)))
		goto done;
	if (x.resolved) {
		rc = zt_error_set(ZT_ECONFLICT, "%s was resolved already: %s by %s at %s", x.exc_id,
		                  zt_recon_resolution_name(x.resolution), x.resolved_by, x.resolved_at);
		goto done;
	}
	/* What was accepted is recorded by name, as a match would be. */
	if (res == ZT_RECON_ACCEPT)
		snprintf(target, sizeof target, "%s",
		         x.return_id[0] && !x.credit ? x.return_id
		                                     : x.batch_id[0] ? x.batch_id : x.advance_id);
	/* The decision first: what it books then sees this exception closed
	 * (a write-off that pays a batch closes the batch's other ones). */
	rc = ss.s->ops->bank.resolution_put(ss.s, x.row, res, target, req->note, ss.actor);
	if (rc == 0)
		rc = x.entry_row ? resolve_entry(&ss, &x, res, target) : resolve_due(&ss, &x, res);
	if (rc == 0) {
		char detail[ZT_TEXT_BYTES + ZT_RECON_TARGET_BYTES + 32];
		snprintf(detail, sizeof detail, "%s%s%s: %s", zt_recon_resolution_name(res),
		         target[0] ? " " : "", target, req->note);
		rc = recon_audit(&ss, "reconcile resolve", x.exc_id, NULL, detail);
	}
	if (rc == 0 && out)
		rc = ss.s->ops->bank.exception_get(ss.s, x.exc_id, out);
	if (rc == 0) {
		rc = s->ops->commit(s);
		in_txn = false;
	}
done:
	if (in_txn)
		s->ops->rollback(s);
	zt_recon_import_result_free(&unused);
	return rc;
}

int zt_recon_exceptions(struct zt_store *s, const struct zt_recon_exceptions_req *req,
                        zt_recon_exception_cb cb, void *ctx)
{
	return s->ops->bank.exceptions(s, req->open_only, cb, ctx);
}

int zt_recon_exception_get(struct zt_store *s, const char *exc_id, struct zt_recon_exception *out)
{
	return s->ops->bank.exception_get(s, exc_id, out);
}
