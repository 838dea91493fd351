/* zhitong — reconciliation's rules: the configuration, the words, batch
 * ids in free text and the decisions on an entry (see reconcile.h). Pure:
 * no store, no I/O; the operations around them are reconcile_match.c
 * (booking an entry), reconcile_import.c, reconcile_resolve.c and
 * reconcile_report.c. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile_int.h"
#include "zhitong/error.h"
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
	/* one pool: its account; several: the statement's pool's (zt_recon_pool_of) */
	const char *only = zt_config_pool_count(cfg) == 1 ? zt_config_pool_id(cfg, 0) : NULL;
	out->pools = only ? NULL : cfg;
	const char *acct = only ? zt_config_pool_get(cfg, only, "account") : NULL;
	if (acct && strlen(acct) >= sizeof out->pool_account)
		return zt_error_set(ZT_EINVAL, "%s: [pool] account is longer than %zu characters",
		                    zt_config_path(cfg), sizeof out->pool_account - 1);
	snprintf(out->pool_account, sizeof out->pool_account, "%s", acct ? acct : "");
	const char *ccy = only ? zt_config_pool_get(cfg, only, "currency") : NULL;
	if (ccy) {
		if (strlen(ccy) != 3)
			return zt_error_set(ZT_EINVAL, "%s: [pool] currency '%s' is not an ISO 4217 code",
			                    zt_config_path(cfg), ccy);
		snprintf(out->currency, sizeof out->currency, "%s", ccy);
	}
	return 0;
}

int zt_recon_pool_of(struct zt_recon_config *rc, const char *account, const char **pool)
{
	*pool = NULL;
	if (!rc->pools)
		return 0;
	*pool = zt_config_pool_of_account(rc->pools, account);
	if (!*pool)
		return zt_error_set(ZT_EINVAL, "%s: account '%s' is no pool's account ([pool P] account): "
		                    "a statement is of one of the pools", zt_config_path(rc->pools),
		                    account);
	snprintf(rc->pool_account, sizeof rc->pool_account, "%s", account);
	const char *ccy = zt_config_pool_get(rc->pools, *pool, "currency");
	if (ccy && strlen(ccy) != 3)
		return zt_error_set(ZT_EINVAL, "%s: [pool %s] currency '%s' is not an ISO 4217 code",
		                    zt_config_path(rc->pools), *pool, ccy);
	snprintf(rc->currency, sizeof rc->currency, "%s", ccy ? ccy : "CNY");
	return 0;
}

const char *zt_recon_exception_pool(const struct zt_config *cfg,
                                    const struct zt_recon_exception *x)
{
	const char *pool = x->account[0] ? zt_config_pool_of_account(cfg, x->account) : NULL;
	if (pool)
		return pool;
	if (x->subject_pool[0])
		return x->subject_pool;
	/* one pool: everything is its own */
	return zt_config_pool_count(cfg) == 1 ? zt_config_pool_id(cfg, 0) : NULL;
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
bool recon_batch_shaped(const char *t, size_t n)
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
		if (!recon_batch_shaped((const char *)start, len))
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

/* A batch not yet billed: never exported (too early: `date`), or exported
 * and not yet handed to the payer (the payment waits). True if decided. */
static bool credit_by_status(const struct zt_recon_batch *b, size_t n,
                             struct zt_recon_decision *out)
{
	int one = n == 1 ? 0 : -1;
	for (size_t i = 0; i < n; i++)
		if (b[i].status == ZT_BATCH_DRAFT || b[i].status == ZT_BATCH_APPROVED ||
		    b[i].status == ZT_BATCH_REJECTED)
			return exception(out, ZT_RECON_DATE, one,
			                 "paid before batch %s was exported (it is %s)", b[i].id,
			                 zt_batch_status_name(b[i].status)) == 0;
	/* A sent batch is due its whole total until the payer's answer says
	 * otherwise (batch.h): it can be paid. */
	for (size_t i = 0; i < n; i++)
		if (b[i].status == ZT_BATCH_EXPORTED) {
			out->verdict = ZT_RECON_HOLD;
			snprintf(out->detail, sizeof out->detail,
			         "batch %s is exported: waiting until it is sent", b[i].id);
			return true;
		}
	return false;
}

/* What each batch owes (owes[i]) and all together (*sum), unless one of
 * them decides the credit already (*decided: an exception). */
static int credit_owes(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                       const struct zt_recon_batch *b, size_t n, zt_fen *owes, zt_fen *sum,
                       struct zt_recon_decision *out, bool *decided)
{
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	int one = n == 1 ? 0 : -1;
	*decided = true;
	*sum = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = zt_batch_owes(&owes[i], b[i].due, b[i].paid, b[i].returned);
		if (rc)
			return rc;
		zt_fen owed = owes[i];
		if (owed == 0)
			return n == 1 ? exception(out, ZT_RECON_DUPLICATE, 0, "batch %s is paid already (%s)",
			                          b[i].id, zt_format_amount(y1, b[i].paid))
			              : exception(out, ZT_RECON_AMBIGUOUS, -1,
			                          "names %zu batches, and %s is paid already", n, b[i].id);
		/* A batch the pool owes money back: alone, a credit for it is not
		 * owed at all; with batches the payer owes, it may be netted, once
		 * the payer has answered for it (what it accepted is known). */
		if (owed < 0 && n == 1)
			return exception(out, ZT_RECON_AMOUNT, 0,
			                 "over by %s: batch %s owes nothing, the pool owes its fund %s back",
			                 zt_format_amount(y1, amount), b[i].id, zt_format_amount(y2, -owed));
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
		if (__builtin_add_overflow(*sum, owed, sum))
			return zt_error_set(ZT_ERANGE, "the batches named owe more than can be counted");
	}
	*decided = false;
	return 0;
}

int zt_recon_decide_credit(const struct zt_recon_config *cfg, zt_fen amount, zt_date booked,
                           const struct zt_recon_batch *b, size_t n,
                           struct zt_recon_decision *out)
{
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], y3[ZT_FMT_BYTES];
	decision_init(out);
	if (n == 0 || n > ZT_RECON_BATCHES_MAX || amount <= 0)
		return zt_error_set(ZT_EINTERNAL, "credit rule called with %zu batches, %lld fen", n,
		                    (long long)amount);
	if (credit_by_status(b, n, out))
		return 0;
	zt_fen sum, owes[ZT_RECON_BATCHES_MAX];
	bool decided;
	int rc = credit_owes(cfg, amount, booked, b, n, owes, &sum, out, &decided);
	if (rc || decided)
		return rc;
	if (n == 1) {
		if (amount > sum)
			return exception(out, ZT_RECON_AMOUNT, 0,
			                 "over by %s: batch %s owes %s, the credit is %s",
			                 zt_format_amount(y1, amount - sum), b[0].id,
			                 zt_format_amount(y2, sum), zt_format_amount(y3, amount));
		out->verdict = ZT_RECON_PAY;
		out->pay[0] = amount;
		/* Within the tolerance a shortfall is the banks' charges: the pool
		 * bears it and the batch is paid. Beyond it, an instalment. */
		if (amount < sum && sum - amount <= cfg->amount_tolerance)
			out->written_off[0] = sum - amount;
		assert(out->pay[0] + out->written_off[0] <= sum); /* never more than it owes */
		return 0;
	}
	if (amount != sum)
		return exception(out, ZT_RECON_AMBIGUOUS, -1,
		                 "names %zu batches owing %s together; the credit is %s", n,
		                 zt_format_amount(y1, sum), zt_format_amount(y2, amount));
	/* Exactly the net of what they owe and are owed: the payer netted what
	 * the pool owes it back (pay < 0). The parts sum to the credit. */
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

void zt_recon_batch_due(struct zt_recon_batch *b)
{
	b->due = b->answered ? b->accepted_total : b->total; /* zt_batch_due */
}

/* ---- what is overdue ------------------------------------------------------- */

/* Whether a batch that went to the payer still owes something: sent,
 * accepted or part-paid, and not paid all it is due. */
int recon_owing(struct zt_recon_batch *b, bool *out)
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

int recon_overdue_batch(const struct zt_recon_config *cfg, const struct zt_recon_batch *sent,
                        struct zt_recon_overdue *out, bool *due)
{
	struct zt_recon_batch b = *sent;
	memset(out, 0, sizeof *out);
	int rc = recon_owing(&b, due);
	if (rc || !*due)
		return rc;
	out->kind = b.paid == 0 ? ZT_RECON_MISSING : ZT_RECON_AMOUNT;
	snprintf(out->batch_id, sizeof out->batch_id, "%.35s", b.id);
	out->since = zt_date_add(b.sent, cfg->expected_within_days);
	return zt_batch_owes(&out->amount, b.due, b.paid, b.returned);
}

void recon_overdue_advance(const struct zt_recon_config *cfg, const struct zt_advance *a,
                           struct zt_recon_overdue *out)
{
	memset(out, 0, sizeof *out);
	out->kind = ZT_RECON_MISSING;
	snprintf(out->advance_id, sizeof out->advance_id, "%s", a->advance_id);
	out->amount = a->amount;
	out->since = zt_date_add(a->execution_date, cfg->expected_within_days);
}

void recon_overdue_return(const struct zt_recon_config *cfg, const struct zt_batch_return *r,
                          struct zt_recon_overdue *out)
{
	memset(out, 0, sizeof *out);
	out->kind = ZT_RECON_MISSING;
	snprintf(out->batch_id, sizeof out->batch_id, "%s", r->batch_id);
	snprintf(out->return_id, sizeof out->return_id, "%s", r->return_id);
	out->amount = r->amount;
	out->since = zt_date_add(r->execution_date, cfg->expected_within_days);
}
