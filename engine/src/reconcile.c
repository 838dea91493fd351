/* zhitong — bank reconciliation: the matching rules and the operations
 * around them (see reconcile.h; the user's guide is docs/reconciliation.md).
 * No SQL here: the store's part is store_reconcile.c. */
#include "zhitong/reconcile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"

/* ---- configuration ------------------------------------------------------ */

int zt_recon_config_load(struct zt_recon_config *out, const struct zt_config *cfg)
{
	memset(out, 0, sizeof *out);
	out->date_tolerance_days = ZT_RECON_DATE_TOLERANCE_DEFAULT;
	out->expected_within_days = ZT_RECON_EXPECTED_WITHIN_DEFAULT;
	out->future_days = ZT_RECON_FUTURE_DAYS_DEFAULT;
	snprintf(out->currency, sizeof out->currency, "CNY");
	if (!cfg)
		return 0;
	int64_t v;
	int rc = zt_config_int(cfg, "reconcile", "date-tolerance-days",
	                       ZT_RECON_DATE_TOLERANCE_DEFAULT, 0, 366, &v);
	if (rc)
		return rc;
	out->date_tolerance_days = (int)v;
	if ((rc = zt_config_int(cfg, "reconcile", "expected-within-days",
	                        ZT_RECON_EXPECTED_WITHIN_DEFAULT, 1, 3660, &v)))
		return rc;
	out->expected_within_days = (int)v;
	if ((rc = zt_config_int(cfg, "reconcile", "future-days", ZT_RECON_FUTURE_DAYS_DEFAULT, 0, 366,
	                        &v)))
		return rc;
	out->future_days = (int)v;
	if ((rc = zt_config_amount(cfg, "reconcile", "amount-tolerance", 0, &out->amount_tolerance)))
		return rc;
	if (out->amount_tolerance < 0)
		return zt_error_set(ZT_EINVAL, "%s: [reconcile] amount-tolerance may not be negative",
		                    zt_config_path(cfg));
	const char *acct = zt_config_get(cfg, "pool", "account");
	if (acct && strlen(acct) >= sizeof out->pool_account)
		return zt_error_set(ZT_EINVAL, "%s: [pool] account is longer than %zu characters",
		                    zt_config_path(cfg), sizeof out->pool_account - 1);
	snprintf(out->pool_account, sizeof out->pool_account, "%s", acct ? acct : "");
	const char *ccy = zt_config_get(cfg, "pool", "currency");
	if (ccy) {
		if (strlen(ccy) != 3)
			return zt_error_set(ZT_EINVAL, "%s: [pool] currency '%s' is not an ISO 4217 code",
			                    zt_config_path(cfg), ccy);
		snprintf(out->currency, sizeof out->currency, "%s", ccy);
	}
	return 0;
}

/* ---- words -------------------------------------------------------------- */

const char *const zt_recon_kind_names[ZT_RECON_KINDS] = {
	[ZT_RECON_AMOUNT] = "amount",       [ZT_RECON_UNKNOWN] = "unknown",
	[ZT_RECON_DUPLICATE] = "duplicate", [ZT_RECON_AMBIGUOUS] = "ambiguous",
	[ZT_RECON_DATE] = "date",           [ZT_RECON_MISSING] = "missing",
	[ZT_RECON_REVERSAL] = "reversal",
};

const char *zt_recon_kind_name(enum zt_recon_kind k)
{
	if ((unsigned)k >= ZT_RECON_KINDS)
		return "?";
	return zt_recon_kind_names[k];
}

int zt_recon_kind_parse(enum zt_recon_kind *out, const char *name)
{
	for (size_t i = 0; i < ZT_RECON_KINDS; i++)
		if (strcmp(name, zt_recon_kind_names[i]) == 0) {
			*out = (enum zt_recon_kind)i;
			return 0;
		}
	return zt_error_set(ZT_EINVAL, "'%s' is no kind of exception", name);
}

const char *const zt_recon_resolution_names[ZT_RECON_RESOLUTIONS] = {
	[ZT_RECON_ACCEPT] = "accept",       [ZT_RECON_MATCH] = "match",
	[ZT_RECON_REFUND] = "refund",       [ZT_RECON_WRITE_OFF] = "write-off",
	[ZT_RECON_IGNORE] = "ignore",       [ZT_RECON_SETTLED] = "settled",
};

const char *zt_recon_resolution_name(enum zt_recon_resolution r)
{
	if ((unsigned)r >= ZT_RECON_RESOLUTIONS)
		return "?";
	return zt_recon_resolution_names[r];
}

int zt_recon_resolution_parse(enum zt_recon_resolution *out,
                              char target_out[ZT_RECON_TARGET_BYTES], const char *as)
{
	target_out[0] = '\0';
	if (strncmp(as, "match:", 6) == 0) {
		const char *t = as + 6;
		size_t n = strlen(t);
		if (n == 0 || n >= ZT_RECON_TARGET_BYTES || t[0] == ',' || t[n - 1] == ',' ||
		    strstr(t, ",,") || strchr(t, ' '))
			return zt_error_set(ZT_EINVAL, "--as '%s': match: wants batch ids separated by "
			                    "commas, or one advance id", as);
		memcpy(target_out, t, n + 1);
		*out = ZT_RECON_MATCH;
		return 0;
	}
	static const enum zt_recon_resolution plain[] = {ZT_RECON_ACCEPT, ZT_RECON_REFUND,
	                                                 ZT_RECON_WRITE_OFF, ZT_RECON_IGNORE};
	for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
		if (strcmp(as, zt_recon_resolution_names[plain[i]]) == 0) {
			*out = plain[i];
			return 0;
		}
	return zt_error_set(ZT_EINVAL, "--as '%s': one of accept, match:ID[,ID...], refund, "
	                    "write-off, ignore", as);
}

/* ---- batch ids in free text ---------------------------------------------- */

static bool token_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '-' || c == '_';
}

static bool alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* B + the fund code (6) + '-' + the fund's batch number (digits). */
static bool batch_shaped(const char *t, size_t n)
{
	if (n < 9 || n >= ZT_ID_BYTES || t[0] != 'B' || t[7] != '-')
		return false;
	for (size_t i = 1; i < 7; i++)
		if (!alnum((unsigned char)t[i]))
			return false;
	for (size_t i = 8; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

size_t zt_recon_batch_tokens(const char *text, char ids[][ZT_ID_BYTES], size_t *n,
                             size_t max)
{
	size_t lost = 0;
	const unsigned char *p = (const unsigned char *)text;
	while (*p) {
		if (!token_char(*p)) {
			p++;
			continue;
		}
		const unsigned char *start = p;
		while (*p && token_char(*p))
			p++;
		size_t len = (size_t)(p - start);
		if (!batch_shaped((const char *)start, len))
			continue;
		bool seen = false;
		for (size_t i = 0; i < *n && !seen; i++)
			seen = strlen(ids[i]) == len && memcmp(ids[i], start, len) == 0;
		if (seen)
			continue;
		if (*n >= max) {
			lost++;
			continue;
		}
		memcpy(ids[*n], start, len);
		ids[*n][len] = '\0';
		(*n)++;
	}
	return lost;
}

/* ---- the rules ------------------------------------------------------------- */

static void decision_init(struct zt_recon_decision *out)
{
	memset(out, 0, sizeof *out);
	out->candidate = -1;
}

static int exception(struct zt_recon_decision *out, enum zt_recon_kind kind, int candidate,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int exception(struct zt_recon_decision *out, enum zt_recon_kind kind, int candidate,
                     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out->verdict = ZT_RECON_EXCEPTION;
	out->kind = kind;
	out->candidate = candidate;
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
	return 0;
}

static bool too_early(const struct zt_recon_config *cfg, zt_date booked, zt_date reference)
{
	return reference && booked &&
	       zt_date_days_between(booked, reference) > cfg->date_tolerance_days;
}

int zt_recon_decide_credit(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                           const struct zt_recon_batch *b, size_t n,
                           struct zt_recon_decision *out)
{
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], y3[ZT_FMT_BYTES], d1[ZT_FMT_BYTES],
		d2[ZT_FMT_BYTES];
	decision_init(out);
	if (n == 0 || n > ZT_RECON_BATCHES_MAX || amount <= 0)
		return zt_error_set(ZT_EINTERNAL, "credit rule called with %zu batches, %lld fen", n,
		                    (long long)amount);
	int one = n == 1 ? 0 : -1;
	/* A batch that was never exported cannot have been billed: money for it
	 * is too early whatever its date. */
	for (size_t i = 0; i < n; i++)
		if (b[i].status == ZT_BATCH_DRAFT || b[i].status == ZT_BATCH_APPROVED ||
		    b[i].status == ZT_BATCH_REJECTED)
			return exception(out, ZT_RECON_DATE, one,
			                 "paid before batch %s was exported (it is %s)", b[i].id,
			                 zt_batch_status_name(b[i].status));
	/* Exported but not yet handed to the payer: the payment waits until the
	 * hand-over is recorded. A sent batch is due its whole total until the
	 * payer's answer says otherwise (batch.h): it can be paid. */
	for (size_t i = 0; i < n; i++)
		if (b[i].status == ZT_BATCH_EXPORTED) {
			out->verdict = ZT_RECON_HOLD;
			snprintf(out->detail, sizeof out->detail,
			         "batch %s is exported: waiting until it is sent", b[i].id);
			return 0;
		}
	zt_fen sum = 0, owes[ZT_RECON_BATCHES_MAX];
	for (size_t i = 0; i < n; i++) {
		int rc = zt_batch_owes(&owes[i], b[i].due, b[i].paid, b[i].returned);
		if (rc)
			return rc;
		zt_fen owed = owes[i];
		if (owed == 0)
			return n == 1
			               ? exception(out, ZT_RECON_DUPLICATE, 0,
			                           "batch %s is paid already (%s)", b[i].id,
			                           zt_format_amount(y1, b[i].paid))
			               : exception(out, ZT_RECON_AMBIGUOUS, -1,
			                           "names %zu batches, and %s is paid already", n, b[i].id);
		/* A batch the pool owes money back: alone, a credit for it is not
		 * owed at all; with batches the payer owes, it may be netted, once
		 * the payer has answered for it (what it accepted is known). */
		if (owed < 0 && n == 1)
			return exception(out, ZT_RECON_AMOUNT, 0,
			                 "over by %s: batch %s owes nothing, the pool owes its fund %s back",
			                 zt_format_amount(y1, amount), b[i].id,
			                 zt_format_amount(y2, -owed));
		if (owed < 0 && !b[i].answered)
			return exception(out, ZT_RECON_AMBIGUOUS, -1,
			                 "names %zu batches, and %s, owed %s back, has no answer from "
			                 "the payer", n, b[i].id, zt_format_amount(y1, -owed));
		if (too_early(cfg, booked, b[i].exported))
			return exception(out, ZT_RECON_DATE, one,
			                 "booked %s, %lld days before batch %s was exported on %s",
			                 zt_format_date(d1, booked),
			                 (long long)zt_date_days_between(booked, b[i].exported), b[i].id,
			                 zt_format_date(d2, b[i].exported));
		if (__builtin_add_overflow(sum, owed, &sum))
			return zt_error_set(ZT_ERANGE, "the batches named owe more than can be counted");
	}
	if (n == 1) {
		zt_fen owed = sum;
		if (amount > owed)
			return exception(out, ZT_RECON_AMOUNT, 0,
			                 "over by %s: batch %s owes %s, the credit is %s",
			                 zt_format_amount(y1, amount - owed), b[0].id,
			                 zt_format_amount(y2, owed), zt_format_amount(y3, amount));
		out->verdict = ZT_RECON_PAY;
		out->pay[0] = amount;
		/* Within the tolerance a shortfall is the banks' charges: the pool
		 * bears it and the batch is paid. Beyond it, an instalment. */
		if (amount < owed && owed - amount <= cfg->amount_tolerance)
			out->written_off[0] = owed - amount;
		return 0;
	}
	if (amount != sum)
		return exception(out, ZT_RECON_AMBIGUOUS, -1,
		                 "names %zu batches owing %s together; the credit is %s", n,
		                 zt_format_amount(y1, sum), zt_format_amount(y2, amount));
	/* Exactly the net of what they owe and are owed: the payer netted what
	 * the pool owes it back (pay < 0). */
	out->verdict = ZT_RECON_PAY;
	for (size_t i = 0; i < n; i++)
		out->pay[i] = owes[i];
	return 0;
}

/* A debit confirming money the pool sent out (an advance, a repayment to
 * a fund): the same amount, once, not booked before it was issued. */
static int decide_payout(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                         const char *what, const char *id, zt_fen issued_amount,
                         const char *issued_at, bool confirmed, struct zt_recon_decision *out)
{
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], y3[ZT_FMT_BYTES], d1[ZT_FMT_BYTES],
		d2[ZT_FMT_BYTES];
	if (confirmed)
		return exception(out, ZT_RECON_DUPLICATE, 0,
		                 "%s %s was confirmed by another bank entry already", what, id);
	if (amount != issued_amount)
		return exception(out, ZT_RECON_AMOUNT, 0, "%s by %s: %s %s is %s, the debit is %s",
		                 amount < issued_amount ? "short" : "over",
		                 zt_format_amount(y1, amount < issued_amount ? issued_amount - amount
		                                                             : amount - issued_amount),
		                 what, id, zt_format_amount(y2, issued_amount),
		                 zt_format_amount(y3, amount));
	zt_date issued = zt_timestamp_local_date(issued_at); /* the pool's day */
	if (too_early(cfg, booked, issued))
		return exception(out, ZT_RECON_DATE, 0,
		                 "booked %s, %lld days before %s %s was issued on %s",
		                 zt_format_date(d1, booked),
		                 (long long)zt_date_days_between(booked, issued), what, id,
		                 zt_format_date(d2, issued));
	out->verdict = ZT_RECON_PAY;
	return 0;
}

int zt_recon_decide_debit(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                          const char *end_to_end_id, const struct zt_advance *a, bool confirmed,
                          struct zt_recon_decision *out)
{
	decision_init(out);
	if (!a)
		return end_to_end_id && end_to_end_id[0]
		               ? exception(out, ZT_RECON_UNKNOWN, -1,
		                           "a debit whose EndToEndId '%s' is no advance or repayment",
		                           end_to_end_id)
		               : exception(out, ZT_RECON_UNKNOWN, -1,
		                           "a debit without EndToEndId: no advance is named");
	return decide_payout(cfg, amount, booked, "advance", a->advance_id, a->amount, a->issued_at,
	                     confirmed, out);
}

int zt_recon_decide_repayment(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                              const struct zt_batch_return *r, struct zt_recon_decision *out)
{
	decision_init(out);
	return decide_payout(cfg, amount, booked, "repayment", r->return_id, r->amount, r->at,
	                     r->confirmed, out);
}

/* ---- a matching session ---------------------------------------------------- */

void zt_recon_batch_due(struct zt_recon_batch *b)
{
	b->due = b->answered ? b->accepted_total : b->total; /* zt_batch_due */
}

/* A batch for the rules: ZT_ENOTFOUND (no message) if there is none. */
static int read_batch(struct zt_store *s, const char *id, struct zt_recon_batch *b)
{
	int rc = s->ops->bank.batch(s, id, b);
	if (rc == 0)
		zt_recon_batch_due(b);
	return rc;
}

/* Whether a batch that went to the payer still owes something: sent,
 * accepted or part-paid, and not paid all it is due. */
static int owing(struct zt_recon_batch *b, bool *out)
{
	zt_fen owes = 0;
	zt_recon_batch_due(b);
	*out = false;
	if (b->status != ZT_BATCH_SENT && b->status != ZT_BATCH_ACCEPTED &&
	    b->status != ZT_BATCH_PART_PAID)
		return 0;
	int rc = zt_batch_owes(&owes, b->due, b->paid, b->returned);
	*out = rc == 0 && owes > 0;
	return rc;
}

struct session {
	struct zt_store *s;
	struct zt_recon_config cfg;
	const char *actor; /* = who */
	char who[ZT_ACTOR_BYTES]; /* normalised (actor.h) */
	zt_date today; /* the pool's day of the run (docs/spec/rules-v2.md §5) */
	struct zt_recon_import_result *res;
	size_t exc_cap;
	bool due_open; /* an overdue exception may be open: payments look for it */
};

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
	snprintf(r->exceptions[r->exception_count++], ZT_ID_BYTES, "%s", exc_id);
	return 0;
}

static void fund_account(char out[32], const char *fund_code)
{
	snprintf(out, 32, "fund:%s", fund_code);
}

/* The entry's money into suspense:bank, with the bank side booked. */
static int book_suspense(struct session *ss, const struct zt_recon_entry *e)
{
	if (e->amount == 0)
		return 0;
	return e->credit ? ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_POOL_BANK, ZT_ACCOUNT_SUSPENSE,
	                                     e->amount, "suspense", e->ref}, 0)
	                 : ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_SUSPENSE, ZT_ACCOUNT_POOL_BANK,
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
	char fund[32];
	fund_account(fund, b->fund_code);
	struct zt_batch_return r;
	memset(&r, 0, sizeof r);
	snprintf(r.batch_id, sizeof r.batch_id, "%s", b->id);
	r.netted = true;
	r.amount = amount;
	r.entry_row = e->row;
	snprintf(r.entry_ref, sizeof r.entry_ref, "%s", e->ref);
	snprintf(r.actor, sizeof r.actor, "%s", ss->actor);
	int rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){fund, from, amount, "netted", e->ref}, 0);
	return rc ? rc : zt_batch_add_return(ss->s, &r);
}

/* Pays batches from an entry: the match, its parts, the ledger and each
 * batch's paid and status. `from` is pool:bank for a fresh entry, or
 * suspense:bank once it has been booked there. pay[i] < 0 is a batch owed
 * back that the payer netted (only among several batches). */
static int pay_batches(struct session *ss, const struct zt_recon_entry *e, const char *from,
                       int64_t exception_row, const struct zt_recon_batch *b, size_t n,
                       const zt_fen *pay, const zt_fen *written_off)
{
	int64_t match_row;
	zt_fen from_bank = 0;
	for (size_t i = 0; i < n; i++)
		if (written_off[i] < 0 || (pay[i] < 0 && (written_off[i] != 0 || n == 1)) ||
		    __builtin_add_overflow(from_bank, pay[i], &from_bank))
			return zt_error_set(ZT_EINTERNAL, "bank entry %s: a payment part is out of range",
			                    e->ref);
	/* Conservation: an entry never pays out more than the bank booked. */
	if (from_bank > e->amount || from_bank < 0)
		return zt_error_set(ZT_EINTERNAL, "bank entry %s of %lld fen would pay %lld fen", e->ref,
		                    (long long)e->amount, (long long)from_bank);
	int rc = ss->s->ops->bank.match_put(ss->s, e->row, NULL, NULL, exception_row, ss->actor,
	                                  &match_row);
	const char *ref = e->ref;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (pay[i] < 0) {
			rc = net_batch(ss, e, from, &b[i], -pay[i]);
			continue;
		}
		zt_fen total;
		if (__builtin_add_overflow(pay[i], written_off[i], &total))
			return zt_error_set(ZT_ERANGE, "payment out of range");
		if (total == 0)
			continue;
		char fund[32];
		fund_account(fund, b[i].fund_code);
		if ((rc = ss->s->ops->bank.alloc_put(ss->s, match_row, b[i].id, pay[i], written_off[i])))
			break;
		if (pay[i] > 0 &&
		    (rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){from, fund, pay[i], "payment", ref}, 0)))
			break;
		if (written_off[i] > 0 &&
		    (rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_WRITE_OFF, fund, written_off[i],
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
	snprintf(x.batch_id, sizeof x.batch_id, "%s", batch_id ? batch_id : "");
	snprintf(x.advance_id, sizeof x.advance_id, "%s", advance_id ? advance_id : "");
	snprintf(x.return_id, sizeof x.return_id, "%s", return_id ? return_id : "");
	x.amount = e->amount;
	x.since = e->booking_date;
	snprintf(x.detail, sizeof x.detail, "%s", detail);
	snprintf(x.raised_by, sizeof x.raised_by, "%s", ss->actor);
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

enum outcome { MATCHED, HELD, EXCEPTION };

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
	for (size_t i = 0; i < n; i++) {
		rc = read_batch(ss->s, ids[i], &b[i]);
		if (rc == ZT_ENOTFOUND) {
			snprintf(detail, sizeof detail, "names batch %.35s, which does not exist", ids[i]);
			return raise_exc(ss, e, ZT_RECON_UNKNOWN, NULL, NULL, NULL, detail);
		}
		if (rc)
			return rc;
	}
	struct zt_recon_decision d;
	if ((rc = zt_recon_decide_credit(&ss->cfg, e->amount, e->booking_date, b, n, &d)))
		return rc;
	switch (d.verdict) {
	case ZT_RECON_PAY:
		*out = MATCHED;
		return pay_batches(ss, e, in_suspense ? ZT_ACCOUNT_SUSPENSE : ZT_ACCOUNT_POOL_BANK, 0, b,
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
static int confirm_payout(struct session *ss, const struct zt_recon_entry *e,
                          const char *advance_id, const char *return_id, int64_t exception_row,
                          bool in_suspense)
{
	int64_t match_row;
	int rc = ss->s->ops->bank.match_put(ss->s, e->row, advance_id, return_id, exception_row,
	                                  ss->actor, &match_row);
	/* The advance or repayment transfer booked the outflow when it was
	 * issued; an entry booked to suspense meanwhile is taken back out. */
	if (rc == 0 && in_suspense)
		rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_POOL_BANK, ZT_ACCOUNT_SUSPENSE, e->amount,
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
			return confirm_payout(ss, e, NULL, r.return_id, 0, in_suspense);
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
		return confirm_payout(ss, e, a.advance_id, NULL, 0, in_suspense);
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
			rc = read_batch(ss->s, ids[0], &b);
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
static int match_entry(struct session *ss, const struct zt_recon_entry *e, bool in_suspense,
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

/* ---- import ---------------------------------------------------------------- */

struct import_ctx {
	struct session ss;
	const char *path;
	char file_sha256[65];
	char account[64];    /* the account every statement must be of */
	int64_t import_row;  /* 0 until the first entry */
	int64_t first_row;   /* the first row stored by this import */
};

static int sha256_file(char out[65], const char *path)
{
	int rc = 0;
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], dig[32];
	unsigned int len = 0;
	size_t r;
	if (!f || !md) {
		rc = zt_error_set(f ? ZT_ENOMEM : ZT_EIO, "cannot read '%s'", path);
		goto done;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 is not available");
		goto done;
	}
	while ((r = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(md, buf, r);
	if (ferror(f)) {
		rc = zt_error_set(ZT_EIO, "cannot read '%s'", path);
		goto done;
	}
	EVP_DigestFinal_ex(md, dig, &len);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
done:
	EVP_MD_CTX_free(md);
	if (f)
		fclose(f);
	return rc;
}

static int import_entry(void *vctx, const struct zt_camt_statement *st,
                        const struct zt_camt_entry *ce)
{
	struct import_ctx *c = vctx;
	struct zt_recon_import_result *r = c->ss.res;
	int rc;
	r->reported++;
	if (!c->import_row) {
		snprintf(r->msg_id, sizeof r->msg_id, "%s", st->msg_id);
		r->version = st->version;
		if ((rc = c->ss.s->ops->bank.import_start(c->ss.s, c->path, c->file_sha256, st->version,
		                                      st->msg_id, c->ss.actor, &c->import_row)))
			return rc;
	}
	/* The pool's statement and no other: another account's money must
	 * never pay our batches. */
	if (!c->account[0])
		snprintf(c->account, sizeof c->account, "%s", st->account);
	if (strcmp(st->account, c->account) != 0)
		return zt_error_set(ZT_EINVAL, "%s: statement %s is of account '%s', not the pool's "
		                    "account '%s'%s", c->path, st->stmt_id, st->account, c->account,
		                    c->ss.cfg.pool_account[0] ? " ([pool] account)"
		                                              : " (of the statements imported before)");
	if (strcmp(ce->currency, c->ss.cfg.currency) != 0)
		return zt_error_set(ZT_EINVAL, "%s: statement %s: an entry in %s, the pool's account is "
		                    "in %s", c->path, st->stmt_id, ce->currency, c->ss.cfg.currency);
	/* Pending and expected entries come back booked on a later statement. */
	if (strcmp(ce->status, "BOOK") != 0) {
		r->not_booked++;
		return 0;
	}
	if (ce->booking_date == 0)
		return zt_error_set(ZT_EINVAL, "%s: statement %s: a booked entry without a booking date",
		                    c->path, st->stmt_id);
	struct zt_recon_entry e;
	memset(&e, 0, sizeof e);
	if (ce->entry_ref[0])
		snprintf(e.ref, sizeof e.ref, "%s", ce->entry_ref);
	else
		snprintf(e.ref, sizeof e.ref, "sha256:%s", ce->digest);
	snprintf(e.stmt_id, sizeof e.stmt_id, "%s", st->stmt_id);
	snprintf(e.account, sizeof e.account, "%s", st->account);
	snprintf(e.digest, sizeof e.digest, "%s", ce->digest);
	e.credit = ce->credit;
	e.amount = ce->amount;
	snprintf(e.currency, sizeof e.currency, "%s", ce->currency);
	e.booking_date = ce->booking_date;
	e.value_date = ce->value_date;
	e.reversal = ce->reversal;
	snprintf(e.end_to_end_id, sizeof e.end_to_end_id, "%s", ce->end_to_end_id);
	snprintf(e.remittance, sizeof e.remittance, "%s", ce->remittance);
	snprintf(e.tx_ref, sizeof e.tx_ref, "%s", ce->tx_ref);
	bool was_new;
	if ((rc = c->ss.s->ops->bank.entry_put(c->ss.s, c->import_row, &e, &e.row, &was_new)))
		return rc;
	if (!was_new) {
		r->known++;
		return 0;
	}
	r->stored++;
	if (!c->first_row)
		c->first_row = e.row;
	enum outcome o;
	if ((rc = match_entry(&c->ss, &e, false, &o)))
		return rc;
	if (o == MATCHED)
		r->matched++;
	else if (o == HELD)
		r->held++;
	return 0;
}

static int retry_open(void *vctx, const struct zt_recon_entry *e)
{
	struct session *ss = vctx;
	enum outcome o;
	int rc = match_entry(ss, e, true, &o);
	if (rc == 0 && o == MATCHED)
		ss->res->rematched++;
	return rc;
}

static int session_start(struct session *ss, struct zt_store *s, const struct zt_config *cfg,
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
static int session_due(struct session *ss)
{
	return ss->s->ops->bank.due_open(ss->s, &ss->due_open);
}

int zt_recon_import(struct zt_store *s, const struct zt_config *cfg, const char *path,
                    const char *actor, struct zt_recon_import_result *out)
{
	struct import_ctx c;
	memset(&c, 0, sizeof c);
	c.path = path;
	int rc = session_start(&c.ss, s, cfg, actor, out);
	bool in_txn = false;
	if (rc)
		goto done;
	if ((rc = sha256_file(c.file_sha256, path)))
		goto done;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = session_due(&c.ss)))
		goto done;
	snprintf(c.account, sizeof c.account, "%s", c.ss.cfg.pool_account);
	if (!c.account[0] && (rc = c.ss.s->ops->bank.account(c.ss.s, c.account)))
		goto done;
	/* One transaction holds everything: a file refused anywhere (XSD, any
	 * value) is rolled back whole and leaves no trace, not even a line in
	 * the log of imports; so the statement is read in one validating pass. */
	/* Read on a second thread: parsing and validating overlap with the
	 * matching and the writes of the entries before. */
	struct zt_camt_stream *cs = NULL;
	if ((rc = zt_camt053_stream_open(&cs, path)))
		goto done;
	const struct zt_camt_statement *cst;
	const struct zt_camt_entry *ce;
	while ((rc = zt_camt053_stream_next(cs, &cst, &ce)) == 1)
		if ((rc = import_entry(&c, cst, ce)))
			break;
	zt_camt053_stream_close(cs);
	if (rc)
		goto done;
	if (c.import_row &&
	    (rc = c.ss.s->ops->bank.import_finish(c.ss.s, c.import_row, out->reported, out->stored,
	                                       out->known, out->not_booked)))
		goto done;
	/* Entries that were waiting for a payer's answer may be payable now. */
	if ((rc = c.ss.s->ops->bank.open_entries(c.ss.s, c.first_row ? c.first_row : INT64_MAX,
	                                      retry_open, &c.ss)))
		goto done;
	rc = s->ops->commit(s);
	in_txn = false;
done:
	if (in_txn)
		s->ops->rollback(s);
	if (rc) {
		/* A failed import stored nothing: say so in the counts too. */
		char keep[ZT_MESSAGE_BYTES_MAX];
		snprintf(keep, sizeof keep, "%s", zt_error_last());
		zt_recon_import_result_free(out);
		zt_error_set(rc, "%s", keep);
	}
	return rc;
}

void zt_recon_import_result_free(struct zt_recon_import_result *r)
{
	free(r->exceptions);
	memset(r, 0, sizeof *r);
}

/* ---- overdue --------------------------------------------------------------- */

struct due_ctx {
	struct session *ss;
	zt_date as_of;
};

static int due_batch(void *vctx, const struct zt_recon_batch *sent)
{
	struct due_ctx *c = vctx;
	char d1[ZT_FMT_BYTES], y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], y3[ZT_FMT_BYTES];
	struct zt_recon_batch x_b = *sent, *b = &x_b;
	bool due, exists;
	int rc = owing(b, &due);
	if (rc || !due)
		return rc;
	enum zt_recon_kind kind = b->paid == 0 ? ZT_RECON_MISSING : ZT_RECON_AMOUNT;
	rc = c->ss->s->ops->bank.due_exists(c->ss->s, kind, b->id, NULL, NULL, &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_exception x;
	memset(&x, 0, sizeof x);
	x.kind = kind;
	snprintf(x.batch_id, sizeof x.batch_id, "%.35s", b->id);
	if ((rc = zt_batch_owes(&x.amount, b->due, b->paid, b->returned)))
		return rc;
	x.since = zt_date_add(b->sent, c->ss->cfg.expected_within_days);
	if (kind == ZT_RECON_MISSING)
		snprintf(x.detail, sizeof x.detail,
		         "batch %s went to the payer on %s; nothing was paid within %d days (%s owed)",
		         b->id, zt_format_date(d1, b->sent), c->ss->cfg.expected_within_days,
		         zt_format_amount(y1, b->due));
	else
		snprintf(x.detail, sizeof x.detail,
		         "short by %s: batch %s went to the payer on %s; %s of %s was paid within %d days",
		         zt_format_amount(y1, x.amount), b->id, zt_format_date(d1, b->sent),
		         zt_format_amount(y2, b->paid), zt_format_amount(y3, b->due),
		         c->ss->cfg.expected_within_days);
	snprintf(x.raised_by, sizeof x.raised_by, "%s", c->ss->actor);
	if ((rc = c->ss->s->ops->bank.exception_put(c->ss->s, &x)))
		return rc;
	c->ss->due_open = true;
	return note_exception(c->ss, x.exc_id);
}

static int due_advance(void *vctx, const struct zt_advance *a)
{
	struct due_ctx *c = vctx;
	char d1[ZT_FMT_BYTES], y1[ZT_FMT_BYTES];
	bool exists;
	int rc = c->ss->s->ops->bank.due_exists(c->ss->s, ZT_RECON_MISSING, NULL, a->advance_id, NULL,
	                                   &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_exception x;
	memset(&x, 0, sizeof x);
	x.kind = ZT_RECON_MISSING;
	snprintf(x.advance_id, sizeof x.advance_id, "%s", a->advance_id);
	x.amount = a->amount;
	x.since = zt_date_add(a->execution_date, c->ss->cfg.expected_within_days);
	snprintf(x.detail, sizeof x.detail,
	         "advance %s of %s to %s, to be executed on %s: no bank debit within %d days",
	         a->advance_id, zt_format_amount(y1, a->amount), a->hospital,
	         zt_format_date(d1, a->execution_date), c->ss->cfg.expected_within_days);
	snprintf(x.raised_by, sizeof x.raised_by, "%s", c->ss->actor);
	if ((rc = c->ss->s->ops->bank.exception_put(c->ss->s, &x)))
		return rc;
	c->ss->due_open = true;
	return note_exception(c->ss, x.exc_id);
}

static int due_return(void *vctx, const struct zt_batch_return *r)
{
	struct due_ctx *c = vctx;
	char d1[ZT_FMT_BYTES], y1[ZT_FMT_BYTES];
	bool exists;
	int rc = c->ss->s->ops->bank.due_exists(c->ss->s, ZT_RECON_MISSING, r->batch_id, NULL,
	                                   r->return_id, &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_exception x;
	memset(&x, 0, sizeof x);
	x.kind = ZT_RECON_MISSING;
	snprintf(x.batch_id, sizeof x.batch_id, "%s", r->batch_id);
	snprintf(x.return_id, sizeof x.return_id, "%s", r->return_id);
	x.amount = r->amount;
	x.since = zt_date_add(r->execution_date, c->ss->cfg.expected_within_days);
	snprintf(x.detail, sizeof x.detail,
	         "repayment %s of %s to fund %s for batch %s, to be executed on %s: no bank debit "
	         "within %d days", r->return_id, zt_format_amount(y1, r->amount), r->fund_code,
	         r->batch_id, zt_format_date(d1, r->execution_date), c->ss->cfg.expected_within_days);
	snprintf(x.raised_by, sizeof x.raised_by, "%s", c->ss->actor);
	if ((rc = c->ss->s->ops->bank.exception_put(c->ss->s, &x)))
		return rc;
	c->ss->due_open = true;
	return note_exception(c->ss, x.exc_id);
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

int zt_recon_match(struct zt_store *s, const struct zt_config *cfg, zt_date as_of,
                   const char *actor, struct zt_recon_import_result *out)
{
	struct session ss;
	bool in_txn = false;
	if (zt_date_as_of(&as_of, as_of, "--as-of") != 0) {
		memset(out, 0, sizeof *out);
		return ZT_EINVAL; /* nothing is overdue on a day that has not come */
	}
	int rc = session_start(&ss, s, cfg, actor, out);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = session_due(&ss)) ||
	    (rc = ss.s->ops->bank.open_entries(ss.s, INT64_MAX, retry_open, &ss)) ||
	    (rc = raise_due(&ss, as_of)))
		goto done;
	rc = s->ops->commit(s);
	in_txn = false;
done:
	if (in_txn)
		s->ops->rollback(s);
	return rc;
}

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
		rc = read_batch(ss->s, id, &b[n]);
		if (rc == ZT_ENOTFOUND)
			return zt_error_set(ZT_ENOTFOUND, "there is no batch '%s'", id);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (strcmp(b[i].id, id) == 0)
				return zt_error_set(ZT_EINVAL, "match: batch %s is named twice", id);
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
	rc = pay_batches(ss, e, ZT_ACCOUNT_SUSPENSE, x->row, b, n, pay, wo);
	if (rc == 0 && excess > 0)
		rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_SUSPENSE, ZT_ACCOUNT_REFUND, excess, "refund",
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
	return confirm_payout(ss, e, advance_id, NULL, x->row, true);
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
	return confirm_payout(ss, e, NULL, return_id, x->row, true);
}

static bool batch_shaped_id(const char *id)
{
	return batch_shaped(id, strlen(id)) || strchr(id, ',') != NULL;
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
		const char *other = res == ZT_RECON_REFUND ? ZT_ACCOUNT_REFUND : ZT_ACCOUNT_WRITE_OFF;
		const char *kind = zt_recon_resolution_name(res);
		return e.credit ? ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_SUSPENSE, other, e.amount, kind,
		                                    e.ref}, 0)
		                : ss->s->ops->ledger.post(ss->s, &(struct zt_posting){other, ZT_ACCOUNT_SUSPENSE, e.amount, kind,
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
	int rc = read_batch(ss->s, x->batch_id, &b);
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
	char fund[32];
	fund_account(fund, b.fund_code);
	if ((rc = ss->s->ops->bank.match_put(ss->s, 0, NULL, NULL, x->row, ss->actor, &match_row)) ||
	    (rc = ss->s->ops->bank.alloc_put(ss->s, match_row, b.id, pay, wo)) ||
	    (rc = ss->s->ops->ledger.post(ss->s, &(struct zt_posting){ZT_ACCOUNT_WRITE_OFF, fund, wo, "write-off", x->exc_id},
	                            0)) ||
	    (rc = zt_batch_pay(ss->s, b.id, wo, ss->actor, x->exc_id)))
		return rc;
	/* The batch is now paid: its other overdue exceptions are moot. */
	char note[160];
	snprintf(note, sizeof note, "written off by %s", x->exc_id);
	return ss->s->ops->bank.settle_due(ss->s, -1, b.id, NULL, NULL, note, ss->actor, NULL);
}

int zt_recon_resolve(struct zt_store *s, const struct zt_config *cfg, const char *exc_id,
                     const char *as, const char *actor, const char *note)
{
	struct session ss;
	struct zt_recon_import_result unused;
	struct zt_recon_exception x;
	enum zt_recon_resolution res;
	char target[ZT_RECON_TARGET_BYTES];
	bool in_txn = false;
	int rc = zt_recon_resolution_parse(&res, target, as);
	if (rc)
		return rc;
	if (!note || !note[0])
		return zt_error_set(ZT_EINVAL, "a resolution needs a --note saying why");
	_Static_assert(ZT_TEXT_BYTES >= ZT_UTF8_BYTES(ZT_TEXT_CHARS_MAX), "a note fits");
	if ((rc = zt_text_check("--note", note, strlen(note), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE)))
		return rc;
	if ((rc = session_start(&ss, s, cfg, actor, &unused)) || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = session_due(&ss)) || (rc = ss.s->ops->bank.exception_get(ss.s, exc_id, &x)))
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
	rc = ss.s->ops->bank.resolution_put(ss.s, x.row, res, target, note, ss.actor);
	if (rc == 0)
		rc = x.entry_row ? resolve_entry(&ss, &x, res, target) : resolve_due(&ss, &x, res);
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

int zt_recon_exceptions(struct zt_store *s, bool open_only,
                        int (*cb)(void *ctx, const struct zt_recon_exception *x), void *ctx)
{
	return s->ops->bank.exceptions(s, open_only, cb, ctx);
}

/* ---- report ------------------------------------------------------------------ */

struct grow {
	void **items;
	size_t *n;
	size_t cap, size;
};

static void *grow_push(struct grow *g)
{
	if (*g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		void *q = zt_realloc(*g->items, cap * g->size);
		if (!q) {
			zt_error_set(ZT_ENOMEM, "out of memory");
			return NULL;
		}
		*g->items = q;
		g->cap = cap;
	}
	return (char *)*g->items + g->size * (*g->n)++;
}

struct report_ctx {
	struct zt_store *s;
	struct zt_recon_report *r;
	struct grow funds, hospitals, exceptions, open, days, overdue;
};

static int rep_fund(void *vctx, const struct zt_recon_fund_line *f)
{
	struct report_ctx *c = vctx;
	struct zt_recon_fund_line *p = grow_push(&c->funds);
	if (!p)
		return ZT_ENOMEM;
	*p = *f;
	/* billed - paid - written off + returned: < 0 is owed back */
	if (__builtin_sub_overflow(p->billed, p->paid, &p->outstanding) ||
	    __builtin_sub_overflow(p->outstanding, p->written_off, &p->outstanding) ||
	    __builtin_add_overflow(p->outstanding, p->returned, &p->outstanding))
		return zt_error_set(ZT_ERANGE, "fund %s: what is outstanding would overflow",
		                    p->fund_code);
	return 0;
}

static int rep_hospital(void *vctx, const struct zt_advance_status *h)
{
	struct report_ctx *c = vctx;
	struct zt_recon_hospital_line *p = grow_push(&c->hospitals);
	if (!p)
		return ZT_ENOMEM;
	memset(p, 0, sizeof *p);
	snprintf(p->hospital, sizeof p->hospital, "%s", h->hospital);
	p->advanced = h->advanced;
	p->earned = h->earned;
	p->balance = h->balance;
	return 0;
}

static int rep_exception(void *vctx, const struct zt_recon_exception *x)
{
	struct report_ctx *c = vctx;
	struct zt_recon_exception *p = grow_push(&c->exceptions);
	if (!p)
		return ZT_ENOMEM;
	*p = *x;
	return 0;
}

static int rep_open(void *vctx, const struct zt_recon_open_line *o)
{
	struct report_ctx *c = vctx;
	struct zt_recon_open_line *p = grow_push(&c->open);
	if (!p)
		return ZT_ENOMEM;
	*p = *o;
	return 0;
}

static int rep_day(void *vctx, const struct zt_recon_day *d)
{
	struct report_ctx *c = vctx;
	struct zt_recon_day *p = grow_push(&c->days);
	if (!p)
		return ZT_ENOMEM;
	*p = *d;
	return 0;
}

/* What zt_recon_match would raise on as_of (raise_due), read only: each
 * batch or advance overdue that has no exception of that kind yet. */
static int rep_due_batch(void *vctx, const struct zt_recon_batch *sent)
{
	struct report_ctx *c = vctx;
	struct zt_recon_batch x_b = *sent, *b = &x_b;
	bool due, exists;
	int rc = owing(b, &due);
	if (rc || !due)
		return rc;
	enum zt_recon_kind kind = b->paid == 0 ? ZT_RECON_MISSING : ZT_RECON_AMOUNT;
	rc = c->s->ops->bank.due_exists(c->s, kind, b->id, NULL, NULL, &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_overdue *p = grow_push(&c->overdue);
	if (!p)
		return ZT_ENOMEM;
	memset(p, 0, sizeof *p);
	p->kind = kind;
	snprintf(p->batch_id, sizeof p->batch_id, "%.35s", b->id);
	if ((rc = zt_batch_owes(&p->amount, b->due, b->paid, b->returned)))
		return rc;
	p->since = zt_date_add(b->sent, c->r->cfg.expected_within_days);
	return 0;
}

static int rep_due_advance(void *vctx, const struct zt_advance *a)
{
	struct report_ctx *c = vctx;
	bool exists;
	int rc = c->s->ops->bank.due_exists(c->s, ZT_RECON_MISSING, NULL, a->advance_id, NULL,
	                                   &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_overdue *p = grow_push(&c->overdue);
	if (!p)
		return ZT_ENOMEM;
	memset(p, 0, sizeof *p);
	p->kind = ZT_RECON_MISSING;
	snprintf(p->advance_id, sizeof p->advance_id, "%s", a->advance_id);
	p->amount = a->amount;
	p->since = zt_date_add(a->execution_date, c->r->cfg.expected_within_days);
	return 0;
}

static int rep_due_return(void *vctx, const struct zt_batch_return *r)
{
	struct report_ctx *c = vctx;
	bool exists;
	int rc = c->s->ops->bank.due_exists(c->s, ZT_RECON_MISSING, r->batch_id, NULL, r->return_id,
	                                   &exists);
	if (rc || exists)
		return rc;
	struct zt_recon_overdue *p = grow_push(&c->overdue);
	if (!p)
		return ZT_ENOMEM;
	memset(p, 0, sizeof *p);
	p->kind = ZT_RECON_MISSING;
	snprintf(p->batch_id, sizeof p->batch_id, "%s", r->batch_id);
	snprintf(p->return_id, sizeof p->return_id, "%s", r->return_id);
	p->amount = r->amount;
	p->since = zt_date_add(r->execution_date, c->r->cfg.expected_within_days);
	return 0;
}

int zt_recon_report(struct zt_store *s, const struct zt_config *cfg, zt_date as_of,
                    struct zt_recon_report *out)
{
	memset(out, 0, sizeof *out);
	int rc;
	if ((rc = zt_date_as_of(&out->as_of, as_of, "--as-of")))
		return rc;
	if ((rc = zt_recon_config_load(&out->cfg, cfg)))
		return rc;
	struct report_ctx c = {
		.s = s,
		.r = out,
		.funds = {(void **)&out->funds, &out->fund_count, 0, sizeof *out->funds},
		.hospitals = {(void **)&out->hospitals, &out->hospital_count, 0, sizeof *out->hospitals},
		.exceptions = {(void **)&out->exceptions, &out->exception_count, 0,
		               sizeof *out->exceptions},
		.open = {(void **)&out->open, &out->open_count, 0, sizeof *out->open},
		.days = {(void **)&out->days, &out->day_count, 0, sizeof *out->days},
		.overdue = {(void **)&out->overdue, &out->overdue_count, 0, sizeof *out->overdue},
	};
	zt_date cutoff = zt_date_add(out->as_of, -out->cfg.expected_within_days - 1);
	bool exists;
	if ((rc = c.s->ops->bank.report_funds(c.s, rep_fund, &c)) ||
	    (rc = zt_advance_status(s, rep_hospital, &c)) ||
	    (rc = c.s->ops->bank.exceptions(c.s, true, rep_exception, &c)) ||
	    (rc = c.s->ops->bank.report_open(c.s, rep_open, &c)) ||
	    (rc = c.s->ops->bank.report_days(c.s, rep_day, &c)) ||
	    (rc = c.s->ops->bank.sent_batches(c.s, cutoff, rep_due_batch, &c)) ||
	    (rc = c.s->ops->bank.due_advances(c.s, cutoff, rep_due_advance, &c)) ||
	    (rc = c.s->ops->bank.due_returns(c.s, cutoff, rep_due_return, &c)) ||
	    (rc = s->ops->ledger.balance(s, ZT_ACCOUNT_SUSPENSE, &out->suspense, &exists)) ||
	    (rc = s->ops->ledger.balance(s, ZT_ACCOUNT_POOL_BANK, &out->pool_bank, &exists)))
		goto done;
	for (size_t i = 0; i < out->hospital_count && rc == 0; i++)
		rc = c.s->ops->bank.confirmed(c.s, out->hospitals[i].hospital,
		                              &out->hospitals[i].confirmed);
done:
	if (rc)
		zt_recon_report_free(out);
	return rc;
}

void zt_recon_report_free(struct zt_recon_report *r)
{
	free(r->funds);
	free(r->hospitals);
	free(r->exceptions);
	free(r->open);
	free(r->days);
	free(r->overdue);
	memset(r, 0, sizeof *r);
}
