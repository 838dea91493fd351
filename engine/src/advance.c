/* zhitong — advances to hospitals (see advance.h): the plan, maker-checker,
 * issuing (ledger transfers and the bank's pain.001), and the status of
 * each hospital. No SQL here, and no reading of the ledger: a hospital's
 * totals come from ledger_hospitals.c (ledger_int.h); the store's port
 * (store.h) reads and writes. */
#include "zhitong/advance.h"
#include "zhitong/alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhitong/error.h"
#include "zhitong/iso20022.h"
#include "zhitong/outfile.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"
#include "zhitong/text.h"
#include "ledger_int.h"

/* ---- dates ------------------------------------------------------------ */

/* "20240301": the pool-local day of a store timestamp (docs/spec/rules-v2.md
 * §5), for the ids of plans and advances. */
static void compact_day(char out[9], const char *ts)
{
	snprintf(out, 9, "%08d", (int)zt_timestamp_local_date(ts));
}

/* ---- small checks ------------------------------------------------------ */

/* Who does this, normalised (actor.h) into `who`, *name pointed at it:
 * that spelling is what maker-checker compares and what is recorded. */
static int check_actor(char who[ZT_ACTOR_BYTES], const char *what, const char **name)
{
	int rc = zt_actor_normalize(who, *name);
	if (rc) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(rc, "%s: %s", what, why);
	}
	*name = who;
	return 0;
}

/* Whether two recorded names are one person. Names recorded before names
 * were normalised are normalised now for the comparison. */
static bool same_person(const char *a, const char *b)
{
	char na[ZT_ACTOR_BYTES], nb[ZT_ACTOR_BYTES];
	if (zt_actor_normalize(na, a) != 0 || zt_actor_normalize(nb, b) != 0)
		return strcmp(a, b) == 0;
	return strcmp(na, nb) == 0;
}

int zt_advance_topup(zt_fen *out, zt_fen target, zt_fen balance, zt_fen min_topup)
{
	if (target < 0 || min_topup < 0)
		return zt_error_set(ZT_EINTERNAL, "negative advance target or minimum top-up");
	zt_fen gap;
	if (__builtin_sub_overflow(target, balance, &gap))
		return zt_error_set(ZT_ERANGE, "top-up of target %lld less balance %lld fen overflows",
		                    (long long)target, (long long)balance);
	if (gap <= 0 || (balance >= 0 && gap < min_topup))
		gap = 0;
	*out = gap;
	return 0;
}

/* ---- status ------------------------------------------------------------ */

int zt_advance_status(struct zt_store *s,
                      int (*cb)(void *ctx, const struct zt_advance_status *st), void *ctx)
{
	struct ledger_pass p = {0};
	int rc = ledger_pass_run(s, &p);
	for (size_t i = 0; rc == 0 && i < p.n; i++) {
		struct zt_advance_status st = {
			.hospital = p.v[i].h.code,
			.county = p.v[i].h.county,
			.advanced = p.v[i].advanced,
			.earned = p.v[i].earned,
			.balance = p.v[i].balance,
		};
		snprintf(st.advancing_since, sizeof st.advancing_since, "%s", p.v[i].since);
		rc = cb(ctx, &st);
	}
	ledger_pass_free(&p);
	return rc;
}

/* ---- plans ------------------------------------------------------------- */

void zt_advance_plan_free(struct zt_advance_plan *p)
{
	if (!p)
		return;
	free(p->lines);
	p->lines = NULL;
	p->line_count = 0;
}

struct section_check {
	const struct ledger_pass *pass;
	const char *path;
};

/* A [hospital H] section for a hospital the registry does not know is a
 * typo in a code, and its target would silently never apply. */
static int check_hospital_section(void *ctx, const char *code)
{
	struct section_check *c = ctx;
	if (!find_hospital(c->pass, code))
		return zt_error_set(ZT_EINVAL, "configuration '%s': [hospital %s]: no hospital with that "
		                    "code in the registry", c->path, code);
	return 0;
}

static int plan_settings(const struct zt_config *cfg, int *days_out, zt_fen *min_topup_out)
{
	int64_t days;
	int rc = zt_config_int(cfg, "advance", "target-days", ZT_TARGET_DAYS_DEFAULT, 1,
	                       ZT_TARGET_DAYS_MAX, &days);
	if (rc == 0)
		rc = zt_config_amount(cfg, "advance", "min-topup", 0, min_topup_out);
	if (rc == 0)
		*days_out = (int)days;
	return rc;
}

static int plan_lines(const struct zt_config *cfg, const struct ledger_pass *pass,
                      const char *counties, struct zt_advance_plan *pl)
{
	pl->lines = zt_calloc(pass->n ? pass->n : 1, sizeof *pl->lines);
	if (!pl->lines)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	pl->total = 0;
	for (size_t i = 0; i < pass->n; i++) {
		const struct hosp *x = &pass->v[i];
		/* the pool advances to the hospitals of its counties (issue 13 §2) */
		if (!zt_config_counties_has(counties, x->h.county))
			continue;
		struct zt_advance_plan_line *l = &pl->lines[pl->line_count++];
		snprintf(l->hospital, sizeof l->hospital, "%s", x->h.code);
		char section[sizeof x->h.code + 16];
		snprintf(section, sizeof section, "hospital %s", x->h.code);
		l->fixed_target = zt_config_get(cfg, section, "target") != NULL;
		l->window_earned = x->window_earned;
		l->balance = x->balance;
		int rc;
		if (l->fixed_target) {
			if ((rc = zt_config_amount(cfg, section, "target", 0, &l->target)) != 0)
				return rc;
		} else {
			/* Net earnings can be negative when reversals of older
			 * claims outweigh new ones; a target is never negative. */
			l->target = zt_max(0, x->window_earned);
		}
		if ((rc = zt_advance_topup(&l->topup, l->target, l->balance, pl->min_topup)) != 0)
			return rc;
		if (__builtin_add_overflow(pl->total, l->topup, &pl->total))
			return zt_error_set(ZT_ERANGE, "advance plan: the total of the top-ups would "
			                    "overflow at hospital %s (top-up %lld fen)", l->hospital,
			                    (long long)l->topup);
	}
	return 0;
}

int zt_advance_plan(struct zt_store *s, const struct zt_advance_plan_req *req,
                    struct zt_advance_plan *out)
{
	const struct zt_config *cfg = req->cfg;
	zt_date as_of = req->as_of;
	const char *actor = req->actor;
	memset(out, 0, sizeof *out);
	struct ledger_pass pass = {0};
	bool txn = false;
	int rc;
	zt_date today = zt_date_today();
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];

	char who[ZT_ACTOR_BYTES];
	if ((rc = check_actor(who, "advance plan", &actor)) != 0)
		goto done;
	if (as_of == 0)
		as_of = today;
	if (as_of > today) {
		rc = zt_error_set(ZT_EINVAL, "advance plan: as-of %s is after today (%s): earnings of "
		                  "days to come are not known", zt_format_date(d1, as_of),
		                  zt_format_date(d2, today));
		goto done;
	}
	const char *pool;
	if ((rc = plan_settings(cfg, &out->target_days, &out->min_topup)) != 0 ||
	    (rc = zt_config_pool_pick(cfg, req->pool, &pool)) != 0)
		goto done;
	snprintf(out->pool, sizeof out->pool, "%s", pool);
	out->as_of = as_of;
	out->window_from = zt_date_add(as_of, -(int64_t)(out->target_days - 1));
	zt_timestamp_day_start(pass.from, out->window_from);
	zt_timestamp_day_start(pass.until, zt_date_add(as_of, 1));

	/* The balances read and the plan stored belong to one snapshot. */
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	if ((rc = ledger_pass_run(s, &pass)) != 0)
		goto done;
	struct section_check sc = {&pass, zt_config_path(cfg)};
	if ((rc = zt_config_each_section(cfg, "hospital", check_hospital_section, &sc)) != 0)
		goto done;
	if ((rc = plan_lines(cfg, &pass, zt_config_pool_counties(cfg, pool), out)) != 0)
		goto done;

	int64_t last_plan;
	if ((rc = s->ops->advances.plan_last_row(s, &last_plan)) != 0 ||
	    (rc = s->ops->advances.last_row(s, &out->advance_seen)) != 0)
		goto done;
	const char *now = s->ops->now(s);
	char day[9];
	compact_day(day, now);
	out->row = last_plan + 1;
	snprintf(out->plan_id, sizeof out->plan_id, "PLAN-%s-%04lld", day, (long long)out->row);
	snprintf(out->made_by, sizeof out->made_by, "%s", actor);
	snprintf(out->made_at, sizeof out->made_at, "%s", now);
	if ((rc = s->ops->advances.plan_put(s, out)) != 0)
		goto done;
	char detail[160];
	snprintf(detail, sizeof detail, "as of %s, %d days, %zu hospitals, total %s%s%.32s",
	         zt_format_date(d1, as_of), out->target_days, out->line_count,
	         zt_format_amount(d2, out->total), req->pool ? ", pool " : "",
	         req->pool ? out->pool : "");
	if ((rc = s->ops->audit.add(s, actor, "advance plan", out->plan_id, detail)) != 0)
		goto done;
	rc = s->ops->commit(s);
	txn = false;
done:
	if (txn)
		s->ops->rollback(s);
	ledger_pass_free(&pass);
	if (rc)
		zt_advance_plan_free(out);
	return rc;
}

/* A single advance asked for: who, which hospital, an amount above 0. */
static int check_request(const struct zt_advance_request_req *req, char who[ZT_ACTOR_BYTES],
                         const char **actor)
{
	int rc = check_actor(who, "advance plan", actor);
	if (rc)
		return rc;
	if (!req->hospital || !req->hospital[0])
		return zt_error_set(ZT_EINVAL, "advance plan: a single advance names its hospital");
	if ((rc = zt_text_check("--hospital", req->hospital, strlen(req->hospital),
	                        ZT_CODE_CHARS_MAX, ZT_TEXT_IDENT)) != 0)
		return rc;
	if (req->amount <= 0 || req->amount > ZT_FEN_MAX)
		return zt_error_set(ZT_EINVAL, "advance plan: the amount of a single advance must be "
		                    "more than 0.00");
	return 0;
}

int zt_advance_request(struct zt_store *s, const struct zt_advance_request_req *req,
                       struct zt_advance_plan *out)
{
	const char *hospital = req->hospital, *actor = req->actor;
	zt_fen amount = req->amount;
	memset(out, 0, sizeof *out);
	bool txn = false;
	char who[ZT_ACTOR_BYTES], b[ZT_FMT_BYTES];
	int rc = check_request(req, who, &actor);
	if (rc)
		goto done;
	out->lines = zt_calloc(1, sizeof *out->lines);
	if (!out->lines) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	struct zt_hospital h;
	if ((rc = s->ops->registry.get_hospital(s, hospital, &h)) != 0) {
		if (rc == ZT_ENOTFOUND)
			rc = zt_error_set(ZT_ENOTFOUND, "hospital '%s' is not in the registry", hospital);
		goto done;
	}
	const char *pool = zt_config_pool_of_county(req->cfg, h.county);
	if (!pool) {
		rc = zt_error_set(ZT_EINVAL, "hospital '%s' is of county %s, which no [pool] of the "
		                  "configuration serves", h.code, h.county);
		goto done;
	}
	snprintf(out->pool, sizeof out->pool, "%s", pool);
	struct zt_advance_plan_line *l = &out->lines[0];
	out->line_count = 1;
	snprintf(l->hospital, sizeof l->hospital, "%s", h.code);
	l->requested = true;
	l->topup = amount;
	char acct[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) + HOSPITAL_PREFIX_LEN];
	snprintf(acct, sizeof acct, HOSPITAL_PREFIX "%s", h.code);
	rc = zt_ledger_balance(s, acct, &l->balance);
	if (rc == ZT_ENOTFOUND) {
		l->balance = 0;
		rc = 0;
	}
	int64_t last_plan;
	if (rc || (rc = s->ops->advances.plan_last_row(s, &last_plan)) != 0 ||
	    (rc = s->ops->advances.last_row(s, &out->advance_seen)) != 0)
		goto done;
	const char *now = s->ops->now(s);
	char day[9];
	compact_day(day, now);
	out->row = last_plan + 1;
	out->as_of = out->window_from = zt_date_today();
	out->target_days = 1;
	out->total = amount;
	snprintf(out->plan_id, sizeof out->plan_id, "PLAN-%s-%04lld", day, (long long)out->row);
	snprintf(out->made_by, sizeof out->made_by, "%s", actor);
	snprintf(out->made_at, sizeof out->made_at, "%s", now);
	if ((rc = s->ops->advances.plan_put(s, out)) != 0)
		goto done;
	char detail[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) + 64];
	snprintf(detail, sizeof detail, "a single advance of %s to %s", zt_format_amount(b, amount),
	         h.code);
	if ((rc = s->ops->audit.add(s, actor, "advance plan", out->plan_id, detail)) != 0)
		goto done;
	rc = s->ops->commit(s);
	txn = false;
done:
	if (txn)
		s->ops->rollback(s);
	if (rc)
		zt_advance_plan_free(out);
	return rc;
}

int zt_advance_plan_get(struct zt_store *s, const char *plan_id, struct zt_advance_plan *out)
{
	return s->ops->advances.plan_get(s, plan_id, out);
}

struct plan_id_list {
	char (*id)[ZT_ID_BYTES];
	size_t n, cap;
};

static int keep_plan_id(void *ctx, const char *plan_id)
{
	struct plan_id_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		void *p = realloc(l->id, cap * sizeof *l->id);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		l->id = p;
		l->cap = cap;
	}
	snprintf(l->id[l->n++], sizeof *l->id, "%s", plan_id);
	return 0;
}

int zt_advance_plans(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance_plan *p),
                     void *ctx)
{
	struct plan_id_list l = {0};
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	/* the ids first: a plan is read with its lines by another statement */
	rc = s->ops->advances.plan_ids(s, keep_plan_id, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		struct zt_advance_plan p;
		if ((rc = s->ops->advances.plan_get(s, l.id[i], &p)) == 0) {
			rc = cb(ctx, &p);
			zt_advance_plan_free(&p);
		}
	}
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	free(l.id);
	return rc;
}

/* A plan's balances are stale once another advance has gone to one of the
 * hospitals it pays: paying it would top them up twice. */
static int check_not_stale(struct zt_store *s, const struct zt_advance_plan *pl)
{
	struct zt_advance a;
	int rc = s->ops->advances.newer(s, pl->row, pl->advance_seen, &a);
	if (rc == ZT_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	return zt_error_set(ZT_ECONFLICT, "plan %s is stale: advance %s (%s) went to %s after it was "
	                    "made; make a new plan", pl->plan_id, a.advance_id, a.issued_at,
	                    a.hospital);
}

int zt_advance_approve(struct zt_store *s, const struct zt_advance_approve_req *req)
{
	const char *plan_id = req->plan_id, *actor = req->actor;
	struct zt_advance_plan pl = {0};
	bool txn = false;
	int rc;
	char who[ZT_ACTOR_BYTES];
	if ((rc = check_actor(who, "advance approve", &actor)) != 0)
		goto done;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	if ((rc = s->ops->advances.plan_get(s, plan_id, &pl)) != 0)
		goto done;
	if (same_person(pl.made_by, actor)) {
		rc = zt_error_set(ZT_EFOUREYES, "maker-checker: plan %s was made by %s: someone else "
		                  "must approve it", pl.plan_id, pl.made_by);
		goto done;
	}
	if (pl.approved_by[0]) {
		rc = zt_error_set(ZT_ECONFLICT, "plan %s is already approved (by %s at %s)", pl.plan_id,
		                  pl.approved_by, pl.approved_at);
		goto done;
	}
	if (pl.issued_msg_id[0]) {
		rc = zt_error_set(ZT_ECONFLICT, "plan %s is already issued", pl.plan_id);
		goto done;
	}
	if ((rc = check_not_stale(s, &pl)) != 0)
		goto done;
	if ((rc = s->ops->advances.approval_put(s, pl.row, actor)) != 0)
		goto done;
	char detail[ZT_ACTOR_BYTES + 64], b[ZT_FMT_BYTES];
	snprintf(detail, sizeof detail, "total %s, made by %s", zt_format_amount(b, pl.total),
	         pl.made_by);
	if ((rc = s->ops->audit.add(s, actor, "advance approve", pl.plan_id, detail)) != 0)
		goto done;
	rc = s->ops->commit(s);
	txn = false;
done:
	if (txn)
		s->ops->rollback(s);
	zt_advance_plan_free(&pl);
	return rc;
}

/* ---- issuing ----------------------------------------------------------- */

void zt_advance_issued_free(struct zt_advance_issued *r)
{
	if (!r)
		return;
	free(r->advances);
	r->advances = NULL;
	r->count = 0;
}

/* Who is paid, from the configuration: the bank details never live in the
 * database, so a changed account applies from the next payment on. */
struct payee {
	const char *name, *account, *bic;
};

struct pool_cfg {
	const char *name, *account, *bic, *currency;
};

/* The paying pool's bank details: the plan's pool's section. */
static int pool_settings(const struct zt_config *cfg, const char *pool, struct pool_cfg *p)
{
	const char *path = zt_config_path(cfg);
	if (!zt_config_pool_section(cfg, pool))
		return zt_error_set(ZT_EINVAL, "configuration '%s': no [pool %s]: the plan is of pool "
		                    "%s, which pays it", path[0] ? path : "(none)", pool, pool);
	p->name = zt_config_pool_get(cfg, pool, "name");
	p->account = zt_config_pool_get(cfg, pool, "account");
	p->bic = zt_config_pool_get(cfg, pool, "bic");
	p->currency = zt_config_pool_get(cfg, pool, "currency");
	if (!p->currency || !p->currency[0])
		p->currency = "CNY";
	if (!p->account || !p->account[0] || !p->name || !p->name[0])
		return zt_error_set(ZT_EINVAL, "configuration '%s': [pool] %s is not set: an advance is "
		                    "paid from the pool's bank account, which needs its name and account",
		                    path[0] ? path : "(none; --config or $ZHITONG_CONFIG)",
		                    !p->account || !p->account[0] ? "account" : "name");
	return 0;
}

/* Fills payees[i] for each advance; names every hospital without an
 * account at once, so that one run of the configuration fixes them all. */
static int payee_settings(const struct zt_config *cfg, const struct zt_advance *adv, size_t n,
                          const char *const *registry_names, struct payee *payees)
{
	char missing[400] = "";
	size_t nmissing = 0, len = 0;
	for (size_t i = 0; i < n; i++) {
		char section[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) + 16];
		snprintf(section, sizeof section, "hospital %s", adv[i].hospital);
		payees[i].account = zt_config_get(cfg, section, "account");
		payees[i].bic = zt_config_get(cfg, section, "bic");
		payees[i].name = zt_config_get(cfg, section, "name");
		if (!payees[i].name || !payees[i].name[0])
			payees[i].name = registry_names[i];
		if (!payees[i].account || !payees[i].account[0]) {
			if (len < sizeof missing - 40) {
				int w = snprintf(missing + len, sizeof missing - len, "%s%s",
				                 nmissing ? ", " : "", adv[i].hospital);
				if (w > 0)
					len += (size_t)w;
			}
			nmissing++;
		}
	}
	if (nmissing) {
		const char *path = zt_config_path(cfg);
		return zt_error_set(ZT_EINVAL, "configuration '%s': no bank account for %s (set "
		                    "[hospital CODE] account): %s cannot be paid",
		                    path[0] ? path : "(none; --config or $ZHITONG_CONFIG)", missing,
		                    nmissing == 1 ? "it" : "they");
	}
	return 0;
}

static int write_pain(const struct pool_cfg *pool, const struct zt_advance *adv,
                      const struct payee *payees, size_t n, const char *msg_id,
                      const char *created, zt_date execution_date, const char *path,
                      struct zt_outfile **file)
{
	struct zt_pain_tx *txs = zt_calloc(n, sizeof *txs);
	char(*remit)[160] = zt_calloc(n, sizeof *remit);
	int rc;
	if (!txs || !remit) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (adv[i].plan_id[0])
			snprintf(remit[i], sizeof remit[i], "advance %s to %s, plan %s", adv[i].advance_id,
			         adv[i].hospital, adv[i].plan_id);
		else
			snprintf(remit[i], sizeof remit[i], "advance %s to %s", adv[i].advance_id,
			         adv[i].hospital);
		txs[i] = (struct zt_pain_tx){
			.end_to_end_id = adv[i].advance_id,
			.amount = adv[i].amount,
			.currency = pool->currency,
			.creditor = {payees[i].name, payees[i].account, payees[i].bic},
			.remittance = remit[i],
		};
	}
	struct zt_pain_msg m = {
		.msg_id = msg_id,
		.created = created,
		.initiator_name = NULL,
		.pmt_inf_id = msg_id, /* one payment block per message */
		.execution_date = execution_date,
		.debtor = {pool->name, pool->account, pool->bic},
		.tx_count = n,
		.txs = txs,
	};
	rc = zt_pain001_prepare(&m, path, file, NULL);
done:
	free(remit);
	free(txs);
	return rc;
}

static int check_issue_req(const struct zt_advance_issue_req *req, zt_date today)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	/* Only an approved plan is paid: a single advance too is a plan (of
	 * one line, zt_advance_request), approved by another person. */
	if (!req->plan_id || !req->plan_id[0])
		return zt_error_set(ZT_EINVAL, "advance issue: give the approved plan to pay; a single "
		                    "advance is planned with 'advance plan --hospital H --amount X', "
		                    "approved by another person, then issued like any plan");
	if (req->out_path && strlen(req->out_path) >= ZT_ADVANCE_PATH_BYTES)
		return zt_error_set(ZT_EINVAL, "advance issue: output path is longer than %d bytes",
		                    ZT_ADVANCE_PATH_BYTES - 1);
	if (req->execution_date && req->execution_date < today)
		return zt_error_set(ZT_EINVAL, "advance issue: execution date %s is in the past "
		                    "(today is %s)", zt_format_date(d1, req->execution_date),
		                    zt_format_date(d2, today));
	return 0;
}

/* The advances of a plan: one per line with a top-up. */
static int plan_advances(struct zt_store *s, const char *plan_id, struct zt_advance_plan *pl,
                         struct zt_advance **adv, size_t *n)
{
	int rc = s->ops->advances.plan_get(s, plan_id, pl);
	if (rc)
		return rc;
	if (pl->issued_msg_id[0])
		return zt_error_set(ZT_ECONFLICT, "plan %s was already issued (message %s at %s): a plan "
		                    "is paid once", pl->plan_id, pl->issued_msg_id, pl->issued_at);
	if (!pl->approved_by[0])
		return zt_error_set(ZT_ECONFLICT, "plan %s is not approved: 'advance approve %s --by "
		                    "NAME' by someone other than %s", pl->plan_id, pl->plan_id,
		                    pl->made_by);
	if (same_person(pl->made_by, pl->approved_by))
		return zt_error_set(ZT_EFOUREYES, "maker-checker: plan %s was approved by its maker %s",
		                    pl->plan_id, pl->made_by);
	if ((rc = check_not_stale(s, pl)) != 0)
		return rc;
	*adv = zt_calloc(pl->line_count ? pl->line_count : 1, sizeof **adv);
	if (!*adv)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	for (size_t i = 0; i < pl->line_count; i++) {
		if (pl->lines[i].topup <= 0)
			continue;
		struct zt_advance *a = &(*adv)[(*n)++];
		snprintf(a->hospital, sizeof a->hospital, "%s", pl->lines[i].hospital);
		a->amount = pl->lines[i].topup;
		a->plan_row = pl->row;
		snprintf(a->plan_id, sizeof a->plan_id, "%s", pl->plan_id);
		snprintf(a->made_by, sizeof a->made_by, "%s", pl->made_by);
		snprintf(a->approved_by, sizeof a->approved_by, "%s", pl->approved_by);
	}
	if (*n == 0)
		return zt_error_set(ZT_EINVAL, "plan %s has no top-up to pay", pl->plan_id);
	return 0;
}

/* The payee of each advance: the registry's name unless [hospital H]
 * names it, and its account (refused without one). The payees point into
 * *reg_out (the registry's hospitals): free both after them. */
static int issue_payees(struct zt_store *s, const struct zt_config *cfg,
                        const struct zt_advance *adv, size_t n, struct payee **out,
                        struct zt_hospital **reg_out)
{
	struct zt_hospital *reg = zt_calloc(n, sizeof *reg);
	const char **names = zt_calloc(n, sizeof *names);
	struct payee *payees = zt_calloc(n, sizeof *payees);
	int rc = 0;
	if (!reg || !names || !payees)
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
	/* Every hospital paid is in the registry (the plan's are, by the
	 * foreign key); its registry name is the default payee name. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = s->ops->registry.get_hospital(s, adv[i].hospital, &reg[i]);
		if (rc == ZT_ENOTFOUND)
			rc = zt_error_set(ZT_ENOTFOUND, "hospital '%s' is not in the registry",
			                  adv[i].hospital);
		names[i] = reg[i].name;
	}
	if (rc == 0)
		rc = payee_settings(cfg, adv, n, names, payees);
	if (rc == 0) {
		*out = payees;
		*reg_out = reg;
		payees = NULL;
		reg = NULL;
	}
	free(reg);
	free(names);
	free(payees);
	return rc;
}

/* Numbers the advances after the last one, names the file after the plan
 * and refuses a file that exists (never replaced: it may be one not yet
 * sent; the writer, outfile.h, refuses it again if one appears meanwhile,
 * and a symbolic link or a directory at the name). */
static int issue_name(struct zt_store *s, const struct zt_advance_issue_req *req,
                      const struct zt_advance_plan *pl, struct zt_advance *adv, size_t n,
                      struct zt_advance_issued *out)
{
	int64_t last;
	int rc = s->ops->advances.last_row(s, &last);
	if (rc)
		return rc;
	char day[9];
	compact_day(day, s->ops->now(s));
	for (size_t i = 0; i < n; i++) {
		adv[i].row = last + 1 + (int64_t)i;
		snprintf(adv[i].advance_id, sizeof adv[i].advance_id, "ADV-%s-%06lld", day,
		         (long long)adv[i].row);
	}
	/* The file is named and identified by the plan (issued once). */
	snprintf(out->msg_id, sizeof out->msg_id, "%s", pl->plan_id);
	if (req->out_path && req->out_path[0])
		snprintf(out->path, sizeof out->path, "%s", req->out_path);
	else
		snprintf(out->path, sizeof out->path, "advance-%s.xml", out->msg_id);
	struct stat st;
	if (lstat(out->path, &st) == 0)
		return zt_error_set(ZT_ECONFLICT, "'%s' already exists: a payment file is never "
		                    "overwritten (move it away, or give --out)", out->path);
	return 0;
}

/* One advance row and one transfer pool:bank -> hospital:H per advance
 * (the bank of the plan's pool: pool:bank@P, ledger.h), and the line of
 * the audit trail. The transfers move the plan's total. */
static int issue_book(struct zt_store *s, const struct zt_advance_plan *pl, struct zt_advance *adv,
                      size_t n, const char *actor, zt_date exec_date,
                      struct zt_advance_issued *out)
{
	char acct[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) + HOSPITAL_PREFIX_LEN];
	char bank[ZT_ACCOUNT_NAME_BYTES];
	zt_ledger_pool_account(bank, ZT_ACCOUNT_POOL_BANK, pl->pool);
	const char *now = s->ops->now(s);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct zt_advance *a = &adv[i];
		snprintf(a->msg_id, sizeof a->msg_id, "%s", out->msg_id);
		snprintf(a->issued_by, sizeof a->issued_by, "%s", actor);
		snprintf(a->issued_at, sizeof a->issued_at, "%s", now);
		snprintf(a->file, sizeof a->file, "%s", out->path);
		a->execution_date = exec_date;
		snprintf(acct, sizeof acct, HOSPITAL_PREFIX "%s", a->hospital);
		if ((rc = s->ops->advances.put(s, a)) == 0)
			rc = s->ops->ledger.post(s, &(struct zt_posting){acct, bank, a->amount, "advance",
			                                                  a->advance_id}, 0);
		if (rc == 0 && __builtin_add_overflow(out->total, a->amount, &out->total))
			rc = zt_error_set(ZT_ERANGE, "advance issue: the total of the advances would "
			                  "overflow at %s", a->advance_id);
	}
	if (rc)
		return rc;
	/* Conservation: what left the pool is what the plan approved. */
	assert(out->total == pl->total);
	char detail[ZT_ACTOR_BYTES + 200], b[ZT_FMT_BYTES];
	snprintf(detail, sizeof detail, "%zu advance%s, total %s, approved by %s, file %.100s", n,
	         n == 1 ? "" : "s", zt_format_amount(b, out->total), adv[0].approved_by, out->path);
	return s->ops->audit.add(s, actor, "advance issue", out->msg_id, detail);
}

struct plan_advances_ctx {
	const char *plan_id;
	struct zt_advance *adv;
	size_t n, cap;
	int rc;
};

static int collect_plan_advance(void *ctx, const struct zt_advance *a)
{
	struct plan_advances_ctx *c = ctx;
	if (strcmp(a->plan_id, c->plan_id) != 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct zt_advance *m = zt_realloc(c->adv, cap * sizeof *m);
		if (!m)
			return c->rc = zt_error_set(ZT_ENOMEM, "out of memory");
		c->adv = m;
		c->cap = cap;
	}
	c->adv[c->n++] = *a;
	return 0;
}

/* A plan issued before whose payment file is not at its recorded path: a
 * crash came between the commit and the file's publication (the file is
 * published only after the commit, so that no payment file ever exists for
 * advances the ledger does not hold) — or the file was sent and moved
 * away, which only a person knows: asked with req->rewrite, the file is
 * written again from what was recorded — the same MsgId, advances,
 * amounts, creation time and execution date — and nothing is booked: a
 * plan is paid once. Any other issued plan is refused as before. */
static int issue_again(struct zt_store *s, const struct zt_advance_issue_req *req,
                       const struct zt_advance_plan *pl, const struct pool_cfg *pool,
                       struct zt_advance_issued *out)
{
	struct plan_advances_ctx c = {.plan_id = pl->plan_id};
	struct payee *payees = NULL;
	struct zt_hospital *reg = NULL;
	struct zt_outfile *file = NULL;
	struct stat st;
	int rc = s->ops->advances.each(s, collect_plan_advance, &c);
	if (rc == 0)
		rc = c.rc;
	if (rc)
		goto done;
	if (c.n == 0 || lstat(c.adv[0].file, &st) == 0 || errno != ENOENT) {
		rc = zt_error_set(ZT_ECONFLICT, "plan %s was already issued (message %s at %s): a plan "
		                  "is paid once", pl->plan_id, pl->issued_msg_id, pl->issued_at);
		goto done;
	}
	if (!req->rewrite) {
		rc = zt_error_set(ZT_ECONFLICT, "plan %s was already issued (message %s at %s) and its "
		                  "payment file '%s' is not there: if the issue was interrupted before "
		                  "the file was written, write it again from the record with --rewrite; "
		                  "if the file was sent and moved away, do not (a plan is paid once)",
		                  pl->plan_id, pl->issued_msg_id, pl->issued_at, c.adv[0].file);
		goto done;
	}
	snprintf(out->msg_id, sizeof out->msg_id, "%s", c.adv[0].msg_id);
	snprintf(out->path, sizeof out->path, "%s", c.adv[0].file);
	for (size_t i = 0; i < c.n; i++)
		if (__builtin_add_overflow(out->total, c.adv[i].amount, &out->total)) {
			rc = zt_error_set(ZT_ERANGE, "plan %s: the total overflows", pl->plan_id);
			goto done;
		}
	if ((rc = issue_payees(s, req->cfg, c.adv, c.n, &payees, &reg)) != 0 ||
	    (rc = write_pain(pool, c.adv, payees, c.n, out->msg_id, c.adv[0].issued_at,
	                     c.adv[0].execution_date, out->path, &file)) != 0 ||
	    (rc = zt_outfile_publish(file)) != 0)
		goto done;
	out->rewritten = true;
	out->count = c.n;
	out->advances = c.adv;
	c.adv = NULL;
done:
	zt_outfile_free(file);
	free(c.adv);
	free(payees);
	free(reg);
	return rc;
}

int zt_advance_issue(struct zt_store *s, const struct zt_advance_issue_req *req,
                     struct zt_advance_issued *out)
{
	memset(out, 0, sizeof *out);
	struct zt_advance_plan pl = {0};
	struct zt_advance *adv = NULL;
	struct payee *payees = NULL;
	struct zt_hospital *reg = NULL;
	struct zt_outfile *file = NULL;
	size_t n = 0;
	bool txn = false;
	zt_date today = zt_date_today();
	struct pool_cfg pool;
	char who[ZT_ACTOR_BYTES];
	const char *actor = req->actor;
	int rc;
	if ((rc = check_actor(who, "advance issue", &actor)) != 0 ||
	    (rc = check_issue_req(req, today)) != 0)
		goto done;
	zt_date exec_date = req->execution_date ? req->execution_date : today;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	if ((rc = s->ops->advances.plan_get(s, req->plan_id, &pl)) != 0 ||
	    (rc = pool_settings(req->cfg, pl.pool, &pool)) != 0)
		goto done;
	if (pl.issued_msg_id[0]) {
		rc = issue_again(s, req, &pl, &pool, out);
		goto done; /* nothing booked: the transaction is rolled back */
	}
	zt_advance_plan_free(&pl);
	memset(&pl, 0, sizeof pl);
	if ((rc = plan_advances(s, req->plan_id, &pl, &adv, &n)) != 0 ||
	    (rc = issue_payees(s, req->cfg, adv, n, &payees, &reg)) != 0 ||
	    (rc = issue_name(s, req, &pl, adv, n, out)) != 0 ||
	    (rc = issue_book(s, &pl, adv, n, actor, exec_date, out)) != 0 ||
	    (rc = write_pain(&pool, adv, payees, n, out->msg_id, s->ops->now(s), exec_date,
	                     out->path, &file)) != 0)
		goto done;
	/* The file is written, synced and validated but not visible yet: the
	 * advances are committed first, then the file appears under its name.
	 * A crash between the two leaves the advances recorded and no file,
	 * which issuing the plan again writes (issue_again); never a payment
	 * file for money the ledger does not hold. */
	rc = s->ops->commit(s);
	txn = false; /* a failed commit has rolled back */
	if (rc)
		goto done;
	if ((rc = zt_outfile_publish(file)) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		rc = zt_error_set(rc, "the advances of plan %s are recorded but their payment file could "
		                  "not be written (%s): run 'zhitong advance issue --plan %s --rewrite' to write it",
		                  pl.plan_id, why, pl.plan_id);
		goto done;
	}
	out->count = n;
	out->advances = adv;
	adv = NULL;
done:
	if (txn)
		s->ops->rollback(s);
	zt_outfile_free(file); /* an unpublished file is removed */
	free(adv);
	free(payees);
	free(reg);
	zt_advance_plan_free(&pl);
	return rc;
}

int zt_advance_list(struct zt_store *s, int (*cb)(void *ctx, const struct zt_advance *a), void *ctx)
{
	return s->ops->advances.each(s, cb, ctx);
}

/* The hospitals admitted, by their code, then their advances. */
struct admitted {
	bool (*admit)(void *ctx, const char *county);
	void *admit_ctx;
	char (*codes)[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)];
	size_t n, cap;
	int (*cb)(void *ctx, const struct zt_advance *a);
	void *ctx;
};

static int admit_hospital(void *ctx, const struct zt_advance_status *st)
{
	struct admitted *h = ctx;
	if (!h->admit(h->admit_ctx, st->county))
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		void *grown = zt_realloc(h->codes, cap * sizeof *h->codes);
		if (!grown)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		h->codes = grown;
		h->cap = cap;
	}
	zt_text_put(h->codes[h->n++], sizeof *h->codes, st->hospital);
	return 0;
}

static int admitted_advance(void *ctx, const struct zt_advance *x)
{
	struct admitted *h = ctx;
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->codes[i], x->hospital) == 0)
			return h->cb(h->ctx, x);
	return 0;
}

int zt_advance_list_admitted(struct zt_store *s, bool (*admit)(void *ctx, const char *county),
                             void *admit_ctx,
                             int (*cb)(void *ctx, const struct zt_advance *a), void *ctx)
{
	if (!admit)
		return zt_advance_list(s, cb, ctx);
	struct admitted h = {.admit = admit, .admit_ctx = admit_ctx, .cb = cb, .ctx = ctx};
	int rc = zt_advance_status(s, admit_hospital, &h);
	if (rc == 0)
		rc = zt_advance_list(s, admitted_advance, &h);
	free(h.codes);
	return rc;
}
