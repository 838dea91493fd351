/* zhitong — money owed back to a fund (batch.h: `batch repay`): the
 * pool's credit transfer, booked and recorded in one transaction. */
#include "zhitong/batch.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_int.h"
#include "zhitong/error.h"
#include "zhitong/iso20022.h"
#include "zhitong/ledger.h"
#include "zhitong/outfile.h"
#include "zhitong/store.h"

/* ---- money owed back: the pool's credit transfer ----------------------- */

/* A party of the pain.001: from the configuration, where bank details live
 * (never in the database: a changed account applies from the next
 * payment on). */
struct party {
	const char *name, *account, *bic;
};

static const char *config_where(const struct zt_config *cfg)
{
	const char *path = zt_config_path(cfg);
	return path[0] ? path : "(none; --config or $ZHITONG_CONFIG)";
}

/* The request checked before anything is read: the date, the amount, the
 * path, the pool's account. */
static int repay_request(const struct zt_batch_repay_req *req, const struct zt_config *cfg,
                         const char *pool_id, zt_date *exec_date, struct party *pool)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	zt_date today = zt_date_today();
	*exec_date = req->execution_date ? req->execution_date : today;
	if (*exec_date < today)
		return zt_error_set(ZT_EINVAL, "batch repay: execution date %s is in the past (today "
		                    "is %s)", zt_format_date(d1, *exec_date), zt_format_date(d2, today));
	if (req->amount_fen < 0 || req->amount_fen > ZT_FEN_MAX)
		return zt_error_set(ZT_EINVAL, "batch repay: the amount must be more than 0.00");
	if (req->out_path && strlen(req->out_path) >= ZT_BATCH_PATH_BYTES)
		return zt_error_set(ZT_EINVAL, "batch repay: output path is longer than %d bytes",
		                    ZT_BATCH_PATH_BYTES - 1);
	/* The batch's pool pays (the debtor), as it pays advances. */
	*pool = (struct party){zt_config_pool_get(cfg, pool_id, "name"),
	                       zt_config_pool_get(cfg, pool_id, "account"),
	                       zt_config_pool_get(cfg, pool_id, "bic")};
	if (!pool->account || !pool->account[0] || !pool->name || !pool->name[0])
		return zt_error_set(ZT_EINVAL, "configuration '%s': [pool] %s is not set: money is paid "
		                    "back from the pool's bank account, which needs its name and account",
		                    config_where(cfg), !pool->account || !pool->account[0] ? "account"
		                                                                           : "name");
	return 0;
}

/* What goes back: all the batch is owed back, or the part asked for; the
 * batch must have the payer's answer. In the caller's transaction. */
static int repay_amount(const struct zt_batch *b, zt_fen asked, zt_fen *amount)
{
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES];
	zt_fen owes;
	int rc = zt_batch_owes(&owes, zt_batch_due(b), b->paid, b->returned);
	if (rc)
		return rc;
	if (!b->answered)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: money goes back once the payer "
		                    "has answered for the batch", b->id, zt_batch_status_name(b->status));
	if (owes >= 0)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' owes its fund nothing back (%s %s)", b->id,
		                    owes > 0 ? "it owes" : "it is settled:", zt_format_amount(y1, owes));
	*amount = asked ? asked : -owes;
	if (*amount > -owes)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is owed back %s: %s is more", b->id,
		                    zt_format_amount(y1, -owes), zt_format_amount(y2, *amount));
	assert(*amount > 0 && *amount <= -owes);
	return 0;
}

/* The fund is paid (the creditor), on its account of the configuration. */
static int repay_payee(struct zt_store *s, const struct zt_config *cfg, const char *fund_code,
                       struct zt_fund *fund, struct party *payee)
{
	int rc = s->ops->registry.get_fund(s, fund_code, fund);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(rc, "fund '%s' is not in the registry", fund_code);
	if (rc)
		return rc;
	char section[ZT_FUND_CODE_BYTES + 8];
	snprintf(section, sizeof section, "fund %s", fund_code);
	*payee = (struct party){fund->name, zt_config_get(cfg, section, "account"),
	                        zt_config_get(cfg, section, "bic")};
	if (!payee->account || !payee->account[0])
		return zt_error_set(ZT_EINVAL, "configuration '%s': no bank account for fund %s (set "
		                    "[fund %s] account): it cannot be paid back", config_where(cfg),
		                    fund_code, fund_code);
	return 0;
}

/* The return's id (the EndToEndId and MsgId) and its file, never one that
 * exists. */
static int repay_ids(struct zt_store *s, const struct zt_batch *b, const char *out_path,
                     struct zt_batch_return *out)
{
	int64_t count;
	int rc = s->ops->batches.repay_count(s, b->id, &count);
	if (rc)
		return rc;
	out->netted = false;
	snprintf(out->batch_id, sizeof out->batch_id, "%s", b->id);
	if ((size_t)snprintf(out->return_id, sizeof out->return_id, "%s-R%lld", b->id,
	                     (long long)count + 1) >= sizeof out->return_id)
		return zt_error_set(ZT_EINVAL, "batch '%s': its repayment id would be longer than 35 "
		                    "characters", b->id);
	if ((rc = zt_pain001_check_id("EndToEndId", out->return_id)))
		return rc;
	snprintf(out->msg_id, sizeof out->msg_id, "%s", out->return_id);
	if (out_path && out_path[0])
		snprintf(out->file, sizeof out->file, "%s", out_path);
	else
		snprintf(out->file, sizeof out->file, "repay-%s.xml", out->return_id);
	/* Never replace a payment file: it may be one not yet sent. */
	struct stat sb;
	if (lstat(out->file, &sb) == 0)
		return zt_error_set(ZT_ECONFLICT, "'%s' already exists: a payment file is never "
		                    "overwritten (move it away, or give --out)", out->file);
	return 0;
}

/* The return recorded, its money booked (fund:F <- pool:bank, kind repay,
 * on the books of the batch's pool) and audited, in the caller's
 * transaction. */
static int repay_book(struct zt_store *s, const struct zt_batch *b, const char *actor,
                      struct zt_batch_return *out)
{
	char acct[ZT_ACCOUNT_NAME_BYTES], bank[ZT_ACCOUNT_NAME_BYTES], y[ZT_FMT_BYTES], detail[400];
	char base[ZT_FUND_CODE_BYTES + 8];
	snprintf(base, sizeof base, "fund:%s", b->fund_code);
	zt_ledger_pool_account(acct, base, b->pool);
	zt_ledger_pool_account(bank, ZT_ACCOUNT_POOL_BANK, b->pool);
	snprintf(detail, sizeof detail, "%s %s to fund %s, file %.200s", out->return_id,
	         zt_format_amount(y, out->amount), b->fund_code, out->file);
	const struct zt_posting p = {acct, bank, out->amount, "repay", out->return_id};
	int rc = zt_batch_add_return(s, out);
	if (rc == 0)
		rc = s->ops->ledger.post(s, &p, 0);
	if (rc == 0)
		rc = s->ops->audit.add(s, actor, "batch repay", b->id, detail);
	return rc;
}

/* The pain.001 credit transfer, written and validated beside its name and
 * left unpublished in *file (created: the message's creation time). */
static int repay_file(const struct zt_batch *b, const struct party *pool,
                      const struct party *payee, const char *currency, const char *created,
                      const struct zt_batch_return *out, struct zt_outfile **file)
{
	char remit[200];
	snprintf(remit, sizeof remit, "repayment %s of batch %s to fund %s", out->return_id, b->id,
	         b->fund_code);
	struct zt_pain_tx tx = {
		.end_to_end_id = out->return_id,
		.amount = out->amount,
		.currency = currency,
		.creditor = {payee->name, payee->account, payee->bic},
		.remittance = remit,
	};
	struct zt_pain_msg m = {
		.msg_id = out->msg_id,
		.created = created,
		.pmt_inf_id = out->msg_id,
		.execution_date = out->execution_date,
		.debtor = {pool->name, pool->account, pool->bic},
		.tx_count = 1,
		.txs = &tx,
	};
	return zt_pain001_prepare(&m, out->file, file, NULL);
}

/* Everything of a repayment but the commit, in the caller's transaction. */
static int repay_in(struct zt_store *s, const struct zt_config *cfg,
                    const struct zt_batch_repay_req *req, const char *actor,
                    const struct party *pool, struct zt_batch_return *out,
                    struct zt_outfile **file)
{
	struct zt_batch b;
	struct zt_fund fund;
	struct party payee = {0};
	int rc = s->ops->batches.get(s, req->batch_id, &b);
	const char *currency = rc ? NULL : zt_config_pool_get(cfg, b.pool, "currency");
	if (!currency || !currency[0])
		currency = "CNY";
	if (rc || (rc = repay_amount(&b, req->amount_fen, &out->amount)) ||
	    (rc = repay_payee(s, cfg, b.fund_code, &fund, &payee)) ||
	    (rc = repay_ids(s, &b, req->out_path, out)))
		return rc;
	snprintf(out->actor, sizeof out->actor, "%s", actor);
	if ((rc = repay_book(s, &b, actor, out)))
		return rc;
	return repay_file(&b, pool, &payee, currency, s->ops->now(s), out, file);
}

struct missing_ctx {
	struct zt_batch_return r;
	bool found;
};

/* The batch's last repayment, if its file is not at its recorded path. */
static int last_repayment(void *ctx, const struct zt_batch_return *r)
{
	struct missing_ctx *m = ctx;
	if (r->netted || !r->file[0])
		return 0;
	struct stat sb;
	m->found = lstat(r->file, &sb) != 0 && errno == ENOENT;
	if (m->found)
		m->r = *r;
	return 0;
}

/* --rewrite: the last repayment of the batch was recorded and its file is
 * not there (a crash between the commit and the file's publication; the
 * file is published after the commit so that no payment file exists for
 * money the ledger does not hold). Its file is written again from the
 * record — the same MsgId, amount, execution date and creation time —
 * and nothing is booked. Only a person who knows the file never reached
 * the bank asks for it. */
static int repay_rewrite(struct zt_store *s, const struct zt_config *cfg,
                         const struct zt_batch_repay_req *req, const struct party *pool,
                         struct zt_batch_return *out)
{
	struct missing_ctx m = {.found = false};
	struct zt_batch b;
	struct zt_fund fund;
	struct party payee = {0};
	struct zt_outfile *file = NULL;
	int rc = s->ops->batches.get(s, req->batch_id, &b);
	const char *currency = rc ? NULL : zt_config_pool_get(cfg, b.pool, "currency");
	if (!currency || !currency[0])
		currency = "CNY";
	if (rc || (rc = s->ops->batches.returns(s, b.id, last_repayment, &m)))
		return rc;
	if (!m.found)
		return zt_error_set(ZT_ECONFLICT, "batch '%s': --rewrite writes the file of its last "
		                    "repayment when that file is missing, and it is not", b.id);
	if ((rc = repay_payee(s, cfg, b.fund_code, &fund, &payee)))
		return rc;
	*out = m.r;
	rc = repay_file(&b, pool, &payee, currency, m.r.at, out, &file);
	if (rc == 0)
		rc = zt_outfile_publish(file);
	zt_outfile_free(file);
	return rc;
}

int zt_batch_repay(struct zt_store *s, const struct zt_config *cfg,
                   const struct zt_batch_repay_req *req, struct zt_batch_return *out)
{
	struct party pool = {0};
	struct zt_outfile *file = NULL;
	char who[ZT_ACTOR_BYTES];
	const char *actor = req->actor;
	memset(out, 0, sizeof *out);
	int rc = zt_batch_actor(who, &actor);
	/* the batch's pool pays it back (issue 13 §2): read first, it never changes */
	struct zt_batch b = {.pool = ZT_POOL_DEFAULT};
	if (rc == 0 && req->batch_id && (rc = s->ops->begin(s, ZT_TXN_READ)) == 0) {
		rc = s->ops->batches.get(s, req->batch_id, &b);
		s->ops->rollback(s);
		if (rc == ZT_ENOTFOUND) /* said below, in its order */
			rc = 0;
	}
	if (rc || (rc = repay_request(req, cfg, b.pool, &out->execution_date, &pool)) ||
	    (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	if (req->rewrite) {
		rc = repay_rewrite(s, cfg, req, &pool, out);
		s->ops->rollback(s); /* nothing booked */
		return rc;
	}
	/* The file is written beside its name, the repayment committed, and
	 * only then the file appears: a failed commit leaves nothing, a crash
	 * between the two the repayment without its file (--rewrite). */
	if ((rc = repay_in(s, cfg, req, actor, &pool, out, &file)) != 0)
		s->ops->rollback(s);
	else if ((rc = s->ops->commit(s)) == 0 && (rc = zt_outfile_publish(file)) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		rc = zt_error_set(rc, "repayment %s is recorded but its payment file could not be "
		                  "written (%s): run 'zhitong batch repay %s --rewrite' to write it",
		                  out->return_id, why, req->batch_id);
	}
	zt_outfile_free(file); /* an unpublished file is removed */
	return rc;
}
