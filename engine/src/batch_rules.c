/* zhitong — the rules of batches (batch.h; docs/batches.md): the names of
 * the statuses, which moves are allowed, which shares a batch takes, what a
 * payer's answer takes off, what a payment or a return makes of a batch.
 * The store compares-and-sets what these decide (store.h batches). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_int.h"
#include "zhitong/text.h"
#include "zhitong/actor.h"
#include "zhitong/audit.h"
#include "zhitong/batch.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

const char *const zt_batch_status_names[ZT_BATCH_STATUSES] = {
	[ZT_BATCH_DRAFT] = "draft",       [ZT_BATCH_APPROVED] = "approved",
	[ZT_BATCH_REJECTED] = "rejected", [ZT_BATCH_EXPORTED] = "exported",
	[ZT_BATCH_SENT] = "sent",         [ZT_BATCH_ACCEPTED] = "accepted",
	[ZT_BATCH_PAID] = "paid",         [ZT_BATCH_PART_PAID] = "part-paid",
};

const char *zt_batch_status_name(enum zt_batch_status st)
{
	return (unsigned)st < ZT_BATCH_STATUSES ? zt_batch_status_names[st] : "?";
}

int zt_batch_status_parse(enum zt_batch_status *out, const char *name)
{
	for (int i = 0; i < ZT_BATCH_STATUSES; i++)
		if (strcmp(zt_batch_status_names[i], name) == 0) {
			*out = (enum zt_batch_status)i;
			return 0;
		}
	return zt_error_set(ZT_EINVAL, "'%s' is no batch status (draft approved rejected exported "
	                    "sent accepted paid part-paid)", name);
}

const char *zt_batch_outcome_name(enum zt_batch_outcome o)
{
	switch (o) {
	case ZT_BATCH_OUT_ACCEPTED: return "accepted";
	case ZT_BATCH_OUT_REJECTED: return "rejected";
	case ZT_BATCH_OUT_REFUSED: return "refused";
	case ZT_BATCH_OUT_PENDING: return "pending";
	case ZT_BATCH_OUT_FAILED: return "failed";
	}
	return "failed";
}

zt_fen zt_batch_due(const struct zt_batch *b) { return b->answered ? b->accepted_total : b->total; }

int zt_batch_owes(zt_fen *out, zt_fen due, zt_fen paid, zt_fen returned)
{
	zt_fen v;
	/* never INT64_MIN either: what is owed back is -owes */
	if (__builtin_sub_overflow(due, paid, &v) || __builtin_add_overflow(v, returned, out) ||
	    *out == INT64_MIN)
		return zt_error_set(ZT_ERANGE, "what the batch owes would overflow");
	return 0;
}

/* ---- moves -------------------------------------------------------------------- */

#define D ZT_BATCH_DRAFT
#define AP ZT_BATCH_APPROVED
#define RJ ZT_BATCH_REJECTED
#define EX ZT_BATCH_EXPORTED
#define SE ZT_BATCH_SENT
#define AC ZT_BATCH_ACCEPTED
#define PD ZT_BATCH_PAID
#define PP ZT_BATCH_PART_PAID

/* The life of a batch (batch.h): from -> to. */
static const bool moves[ZT_BATCH_STATUSES][ZT_BATCH_STATUSES] = {
	[D] = {[AP] = true, [RJ] = true},
	[RJ] = {[D] = true},
	[AP] = {[EX] = true},
	[EX] = {[SE] = true},
	[SE] = {[SE] = true, [EX] = true, [AC] = true, [PP] = true, [PD] = true},
	[AC] = {[PP] = true, [PD] = true},
	[PP] = {[PP] = true, [PD] = true},
};

bool zt_batch_move_allowed(enum zt_batch_status from, enum zt_batch_status to, bool answer)
{
	if ((unsigned)from >= ZT_BATCH_STATUSES || (unsigned)to >= ZT_BATCH_STATUSES)
		return false;
	/* the payer's answer after a payment: settled, or not (short, or owed back) */
	if (answer && (from == PP || from == PD) && (to == PP || to == PD))
		return true;
	return moves[from][to];
}

int zt_batch_audit(struct zt_store *s, const char *id, const char *from, const char *to,
                   const struct zt_batch_event *e, const unsigned char *digest)
{
	char action[64], subject[ZT_BATCH_ID_BYTES + 8], detail[ZT_MESSAGE_BYTES_MAX + 64];
	snprintf(action, sizeof action, "batch %s", e->action);
	snprintf(subject, sizeof subject, "batch %s", id);
	const char *d = e->detail && e->detail[0] ? e->detail : NULL;
	if (!to)
		zt_text_put(detail, sizeof detail, d ? d : "");
	else if (from && from[0] && strcmp(from, to) != 0)
		snprintf(detail, sizeof detail, "%s -> %s%s%s", from, to, d ? ": " : "", d ? d : "");
	else
		snprintf(detail, sizeof detail, "%s%s%s", to, d ? ": " : "", d ? d : "");
	const struct zt_audit_write w = {.actor = e->actor, .action = action, .subject = subject,
	                                 .digest = digest, .detail = detail};
	return s->ops->audit.write(s, &w, NULL);
}

int zt_batch_move_digest(struct zt_store *s, const char *id, enum zt_batch_status from,
                         enum zt_batch_status to, const char *actor, const char *action,
                         const char *detail, const unsigned char *digest)
{
	bool answer = strcmp(action, "accept") == 0, export = strcmp(action, "export") == 0;
	if (!zt_batch_move_allowed(from, to, answer) && !(export && from == to))
		return zt_error_set(ZT_EINTERNAL, "batch '%s': %s from %s to %s is no allowed move", id,
		                    action, zt_batch_status_name(from), zt_batch_status_name(to));
	const struct zt_batch_event e = {.actor = actor, .action = action, .detail = detail};
	int rc = s->ops->batches.set_status(s, id, from, to, &e);
	return rc ? rc
	          : zt_batch_audit(s, id, zt_batch_status_name(from), zt_batch_status_name(to), &e,
	                           digest);
}

int zt_batch_move(struct zt_store *s, const char *id, enum zt_batch_status from,
                  enum zt_batch_status to, const char *actor, const char *action, const char *detail)
{
	return zt_batch_move_digest(s, id, from, to, actor, action, detail, NULL);
}

/* ---- which shares ---------------------------------------------------------------- */

bool zt_batch_takes(const struct zt_batch_candidate *c, const char *batch_id, bool *payable)
{
	*payable = true;
	if (!c->reversal)
		return true;
	/* a reversal waits until the payer answered for the batch holding the
	 * share it reverses, so that whether it accepted it is known; a
	 * reversal of a share it rejected is carried, not billed */
	bool together = !c->orig_batch_id[0] || strcmp(c->orig_batch_id, batch_id) == 0;
	enum zt_batch_status st = c->orig_batch_status;
	if (!together && st != ZT_BATCH_ACCEPTED && st != ZT_BATCH_PAID && st != ZT_BATCH_PART_PAID)
		return false;
	*payable = !c->orig_rejected;
	return true;
}

struct fill {
	struct zt_store *s;
	const char *id;
	const char *pool;     /* the batch's: it takes the shares settled for it */
	int64_t count, info_count, added;
	__int128 total, info_total; /* checked to fit once all are in */
	zt_date from, to;
};

static int take(void *ctx, const struct zt_batch_candidate *c)
{
	struct fill *f = ctx;
	bool payable;
	/* one pool's batch never bills another pool's claims (issue 13 §2):
	 * a share is of the pool its settlement was made for, whichever
	 * county its hospital is in now — a hospital that moved has its
	 * shares of before billed by its old pool, once */
	if (strcmp(f->pool, c->pool ? c->pool : ZT_POOL_DEFAULT) != 0)
		return 0;
	if (!zt_batch_takes(c, f->id, &payable))
		return 0;
	int rc = f->s->ops->batches.add_share(f->s, f->id, c->settlement_row, c->seq, payable);
	if (rc)
		return rc;
	f->added++;
	if (payable) {
		f->count++;
		f->total += c->amount;
	} else {
		f->info_count++;
		f->info_total += c->amount;
	}
	if (!f->from || c->dscg_date < f->from)
		f->from = c->dscg_date;
	if (c->dscg_date > f->to)
		f->to = c->dscg_date;
	return 0;
}

int zt_batch_fill(struct zt_store *s, const struct zt_batch *b, int64_t *added_out)
{
	struct fill f = {.s = s, .id = b->id, .pool = b->pool[0] ? b->pool : ZT_POOL_DEFAULT,
	                 .count = b->count - b->info_count,
	                 .info_count = b->info_count, .total = b->total, .info_total = b->info_total,
	                 .from = b->count ? b->period_from : 0, .to = b->count ? b->period_to : 0};
	*added_out = 0;
	int rc = s->ops->batches.candidates(s, b->fund_code, b->through, take, &f);
	if (rc)
		return rc;
	int64_t count = f.count + f.info_count;
	if (f.total > INT64_MAX || f.total < INT64_MIN || f.info_total > INT64_MAX ||
	    f.info_total < INT64_MIN) {
		char m[ZT_FMT_BYTES];
		return zt_error_set(ZT_ERANGE, "batch '%s': the total of the %lld shares of fund %s "
		                    "would overflow: it is beyond %s", b->id, (long long)count,
		                    b->fund_code, zt_format_amount(m, INT64_MAX));
	}
	*added_out = f.added;
	if (f.added == 0)
		return 0;
	const struct zt_batch_totals t = {count, (zt_fen)f.total, f.info_count, (zt_fen)f.info_total,
	                                  f.from, f.to};
	return s->ops->batches.set_totals(s, b->id, &t);
}

/* ---- who made it ----------------------------------------------------------------- */

struct maker {
	const char *actor;
	bool found;
};

/* Whether `name`, as stored, is `actor` (normalised): compared in C on
 * normalised names, whatever spelling was stored. */
static bool same_person(const char *name, const char *actor)
{
	char n[ZT_ACTOR_BYTES];
	if (zt_actor_normalize(n, name) != 0)
		return false; /* not a name anyone can have */
	return strcmp(n, actor) == 0;
}

static int reopener(void *ctx, const struct zt_batch_event *e)
{
	struct maker *m = ctx;
	if (strcmp(e->action, "reopen") == 0 && same_person(e->actor, m->actor))
		m->found = true;
	return 0;
}

int zt_batch_is_maker(struct zt_store *s, const struct zt_batch *b, const char *actor, bool *out)
{
	struct maker m = {actor, same_person(b->created_by, actor)};
	int rc = m.found ? 0 : s->ops->batches.events(s, b->id, reopener, &m);
	*out = m.found;
	return rc;
}

/* ---- payments, answers, returns -------------------------------------------------- */

int zt_batch_pay_known(struct zt_store *s, const char *id, enum zt_batch_status status,
                       zt_fen due, zt_fen paid_before, zt_fen returned, zt_fen amount_fen,
                       const char *actor, const char *ref)
{
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], detail[200];
	/* A payer may pay before its answer reaches us (drop folder): a sent
	 * batch is due its whole total until the answer says otherwise. */
	if (status != ZT_BATCH_SENT && status != ZT_BATCH_ACCEPTED && status != ZT_BATCH_PART_PAID)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: a payment is matched to a sent or "
		                    "accepted batch", id, zt_batch_status_name(status));
	zt_fen paid, owes;
	if (amount_fen <= 0 || __builtin_add_overflow(paid_before, amount_fen, &paid))
		return zt_error_set(ZT_ERANGE, "batch '%s': payment of %lld fen is out of range", id,
		                    (long long)amount_fen);
	int rc = zt_batch_owes(&owes, due, paid_before, returned);
	if (rc)
		return rc;
	/* Never paid beyond what it billed: the rules of reconciliation stop
	 * an over-payment before it gets here; this is the last guard. */
	if (amount_fen > owes)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' owes %s: a payment of %s would pay it "
		                    "more than it billed", id, zt_format_amount(y1, owes > 0 ? owes : 0),
		                    zt_format_amount(y2, amount_fen));
	enum zt_batch_status to = amount_fen == owes ? ZT_BATCH_PAID : ZT_BATCH_PART_PAID;
	snprintf(detail, sizeof detail, "%lld fen%s%s", (long long)amount_fen, ref ? " by " : "",
	         ref ? ref : "");
	const struct zt_batch_event e = {.actor = actor, .action = "payment", .detail = detail};
	int rc2 = s->ops->batches.set_paid(s, id, status, to, paid_before, paid, returned, &e);
	return rc2 ? rc2
	           : zt_batch_audit(s, id, zt_batch_status_name(status), zt_batch_status_name(to),
	                            &e, NULL);
}

int zt_batch_pay(struct zt_store *s, const char *id, zt_fen amount_fen, const char *actor,
                 const char *ref)
{
	struct zt_batch b;
	int rc = s->ops->batches.get(s, id, &b);
	return rc ? rc
	          : zt_batch_pay_known(s, id, b.status, zt_batch_due(&b), b.paid, b.returned,
	                               amount_fen, actor, ref);
}

int zt_batch_rejection_takes_off(zt_fen *removed, const struct zt_batch_rejected *r)
{
	if (!r->payable || !((r->amount > 0 && r->rejected) || (r->reversal && r->reverses_rejected)))
		return 0;
	if (__builtin_add_overflow(*removed, r->amount, removed))
		return zt_error_set(ZT_ERANGE, "the records the payer rejected sum beyond what can be "
		                    "counted");
	return 0;
}

static int take_off(void *ctx, const struct zt_batch_rejected *r)
{
	return zt_batch_rejection_takes_off(ctx, r);
}

/* What the payer's answer leaves the batch owing: accepted and the status. */
static int answered(struct zt_store *s, const struct zt_batch *b, zt_fen *accepted,
                    enum zt_batch_status *to)
{
	zt_fen removed = 0;
	int rc = s->ops->batches.rejected_records(s, b->id, take_off, &removed);
	if (rc == ZT_ERANGE || (rc == 0 && __builtin_sub_overflow(b->total, removed, accepted)))
		return zt_error_set(ZT_ERANGE, "batch '%s': the records the payer rejected sum beyond "
		                    "what can be counted", b->id);
	if (rc)
		return rc;
	if (removed < 0)
		return zt_error_set(ZT_EINTERNAL, "batch '%s': the payer's rejections would raise its "
		                    "total by %lld fen", b->id, (long long)-removed);
	/* sent: the payer's answer; after a payment, what the batch then owes
	 * says whether it is settled (paid) or not (part-paid: short, or money
	 * owed back when the payer paid for records it then rejected). */
	*to = ZT_BATCH_ACCEPTED;
	if (b->status != ZT_BATCH_SENT) {
		zt_fen owes;
		if ((rc = zt_batch_owes(&owes, *accepted, b->paid, b->returned)))
			return rc;
		*to = owes == 0 ? ZT_BATCH_PAID : ZT_BATCH_PART_PAID;
	}
	return 0;
}

int zt_batch_accept(struct zt_store *s, const char *id, const char *receipt, const char *actor)
{
	struct zt_batch b;
	char t[ZT_FMT_BYTES];
	int rc = s->ops->batches.get(s, id, &b);
	if (rc)
		return rc;
	if (b.answered)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' has the payer's answer already (receipt "
		                    "%s, accepted %s)", id, b.receipt[0] ? b.receipt : "-",
		                    zt_format_amount(t, b.accepted_total));
	if (b.status != ZT_BATCH_SENT && b.status != ZT_BATCH_PART_PAID && b.status != ZT_BATCH_PAID)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: no answer is expected for it", id,
		                    zt_batch_status_name(b.status));
	zt_fen accepted = 0;
	enum zt_batch_status to = ZT_BATCH_ACCEPTED;
	if ((rc = answered(s, &b, &accepted, &to)) != 0 ||
	    (rc = zt_batch_move(s, id, b.status, to, actor, "accept", receipt)) != 0)
		return rc;
	return s->ops->batches.set_answer(s, id, receipt, accepted);
}

int zt_batch_add_return(struct zt_store *s, struct zt_batch_return *r)
{
	struct zt_batch b;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], detail[200];
	int rc = s->ops->batches.get(s, r->batch_id, &b);
	if (rc)
		return rc;
	/* Money goes back once the payer has said what it accepts. */
	if (!b.answered || (b.status != ZT_BATCH_ACCEPTED && b.status != ZT_BATCH_PART_PAID))
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s%s: money is paid back for a batch "
		                    "the payer has answered that owes the fund", b.id,
		                    zt_batch_status_name(b.status),
		                    b.answered ? "" : " without the payer's answer");
	zt_fen owes, returned;
	if ((rc = zt_batch_owes(&owes, zt_batch_due(&b), b.paid, b.returned)))
		return rc;
	if (r->amount <= 0 || __builtin_add_overflow(b.returned, r->amount, &returned))
		return zt_error_set(ZT_ERANGE, "batch '%s': a return of %lld fen is out of range", b.id,
		                    (long long)r->amount);
	/* Never more than the pool owes: owes is negative by what it owes. */
	if (owes >= 0 || r->amount > -owes)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is owed back %s: %s is more", b.id,
		                    zt_format_amount(y1, owes < 0 ? -owes : 0),
		                    zt_format_amount(y2, r->amount));
	enum zt_batch_status to = r->amount == -owes ? ZT_BATCH_PAID : ZT_BATCH_PART_PAID;
	zt_text_put(r->fund_code, sizeof r->fund_code, b.fund_code);
	snprintf(detail, sizeof detail, "%lld fen %s %s", (long long)r->amount,
	         r->netted ? "netted by bank entry" : "repaid by", r->netted ? r->entry_ref : r->return_id);
	const struct zt_batch_event e = {.actor = r->actor, .action = r->netted ? "netted" : "repay",
	                                 .detail = detail};
	if ((rc = s->ops->batches.add_return(s, r, b.status, to, b.returned, returned, &e)))
		return rc;
	/* a repayment's own record is repay_book's ("batch repay", with its
	 * file); a return netted by a bank entry has only this one */
	return r->netted ? zt_batch_audit(s, b.id, zt_batch_status_name(b.status),
	                                  zt_batch_status_name(to), &e, NULL)
	                 : 0;
}
