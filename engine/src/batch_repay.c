/* zhitong — money owed back to a fund (batch.h: `batch repay`): the
 * pool's credit transfer, booked and recorded in one transaction. */
#include "zhitong/batch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_int.h"
#include "zhitong/error.h"
#include "zhitong/iso20022.h"
#include "zhitong/ledger.h"
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

int zt_batch_repay(struct zt_store *s, const struct zt_config *cfg,
                   const struct zt_batch_repay_req *req, struct zt_batch_return *out)
{
	struct zt_batch b;
	struct zt_fund fund;
	char y1[ZT_FMT_BYTES], y2[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	char acct[ZT_FUND_CODE_BYTES + 8], remit[200], detail[400];
	bool txn = false, file_written = false;
	zt_date today = zt_date_today();
	memset(out, 0, sizeof *out);
	char who[ZT_ACTOR_BYTES];
	const char *actor = req->actor;
	int rc = zt_batch_actor(who, &actor);
	if (rc)
		return rc;
	zt_date exec_date = req->execution_date ? req->execution_date : today;
	if (exec_date < today)
		return zt_error_set(ZT_EINVAL, "batch repay: execution date %s is in the past (today is "
		                    "%s)", zt_format_date(d1, exec_date), zt_format_date(d2, today));
	if (req->amount_fen < 0 || req->amount_fen > ZT_FEN_MAX)
		return zt_error_set(ZT_EINVAL, "batch repay: the amount must be more than 0.00");
	if (req->out_path && strlen(req->out_path) >= ZT_BATCH_PATH_BYTES)
		return zt_error_set(ZT_EINVAL, "batch repay: output path is longer than %d bytes",
		                    ZT_BATCH_PATH_BYTES - 1);
	/* The pool pays (the debtor), as it pays advances. */
	struct party pool = {zt_config_get(cfg, "pool", "name"), zt_config_get(cfg, "pool", "account"),
	                     zt_config_get(cfg, "pool", "bic")};
	const char *currency = zt_config_get(cfg, "pool", "currency");
	if (!currency || !currency[0])
		currency = "CNY";
	if (!pool.account || !pool.account[0] || !pool.name || !pool.name[0])
		return zt_error_set(ZT_EINVAL, "configuration '%s': [pool] %s is not set: money is paid "
		                    "back from the pool's bank account, which needs its name and account",
		                    config_where(cfg), !pool.account || !pool.account[0] ? "account"
		                                                                         : "name");
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	txn = true;
	if ((rc = s->ops->batches.get(s, req->batch_id, &b)))
		goto done;
	zt_fen owes;
	if ((rc = zt_batch_owes(&owes, zt_batch_due(&b), b.paid, b.returned)))
		goto done;
	if (!b.answered || owes >= 0) {
		rc = !b.answered ? zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: money goes back once "
		                                "the payer has answered for the batch", b.id,
		                                zt_batch_status_name(b.status))
		                 : zt_error_set(ZT_ECONFLICT, "batch '%s' owes its fund nothing back (%s "
		                                "%s)", b.id, owes > 0 ? "it owes" : "it is settled:",
		                                zt_format_amount(y1, owes));
		goto done;
	}
	zt_fen amount = req->amount_fen ? req->amount_fen : -owes;
	if (amount > -owes) {
		rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is owed back %s: %s is more", b.id,
		                  zt_format_amount(y1, -owes), zt_format_amount(y2, amount));
		goto done;
	}
	if ((rc = s->ops->registry.get_fund(s, b.fund_code, &fund))) {
		if (rc == ZT_ENOTFOUND)
			rc = zt_error_set(rc, "fund '%s' is not in the registry", b.fund_code);
		goto done;
	}
	/* The fund is paid (the creditor), on its account of the configuration. */
	char section[ZT_FUND_CODE_BYTES + 8];
	snprintf(section, sizeof section, "fund %s", b.fund_code);
	struct party payee = {fund.name, zt_config_get(cfg, section, "account"),
	                      zt_config_get(cfg, section, "bic")};
	if (!payee.account || !payee.account[0]) {
		rc = zt_error_set(ZT_EINVAL, "configuration '%s': no bank account for fund %s (set [fund "
		                  "%s] account): it cannot be paid back", config_where(cfg), b.fund_code,
		                  b.fund_code);
		goto done;
	}
	int64_t count;
	if ((rc = s->ops->batches.repay_count(s, b.id, &count)))
		goto done;
	out->netted = false;
	snprintf(out->batch_id, sizeof out->batch_id, "%s", b.id);
	if ((size_t)snprintf(out->return_id, sizeof out->return_id, "%s-R%lld", b.id,
	                     (long long)count + 1) >= sizeof out->return_id) {
		rc = zt_error_set(ZT_EINVAL, "batch '%s': its repayment id would be longer than 35 "
		                  "characters", b.id);
		goto done;
	}
	if ((rc = zt_pain001_check_id("EndToEndId", out->return_id)))
		goto done;
	snprintf(out->msg_id, sizeof out->msg_id, "%s", out->return_id);
	if (req->out_path && req->out_path[0])
		snprintf(out->file, sizeof out->file, "%s", req->out_path);
	else
		snprintf(out->file, sizeof out->file, "repay-%s.xml", out->return_id);
	/* Never replace a payment file: it may be one not yet sent. */
	struct stat sb;
	if (lstat(out->file, &sb) == 0) {
		rc = zt_error_set(ZT_ECONFLICT, "'%s' already exists: a payment file is never "
		                  "overwritten (move it away, or give --out)", out->file);
		goto done;
	}
	out->amount = amount;
	out->execution_date = exec_date;
	snprintf(out->actor, sizeof out->actor, "%s", actor);
	snprintf(acct, sizeof acct, "fund:%s", b.fund_code);
	snprintf(detail, sizeof detail, "%s %s to fund %s, file %.200s", out->return_id,
	         zt_format_amount(y1, amount), b.fund_code, out->file);
	if ((rc = zt_batch_add_return(s, out)) ||
	    (rc = s->ops->ledger.post(s, &(struct zt_posting){acct, ZT_ACCOUNT_POOL_BANK, amount, "repay", out->return_id},
	                            0)) ||
	    (rc = s->ops->audit.add(s, actor, "batch repay", b.id, detail)))
		goto done;
	snprintf(remit, sizeof remit, "repayment %s of batch %s to fund %s", out->return_id, b.id,
	         b.fund_code);
	struct zt_pain_tx tx = {
		.end_to_end_id = out->return_id,
		.amount = amount,
		.currency = currency,
		.creditor = {payee.name, payee.account, payee.bic},
		.remittance = remit,
	};
	struct zt_pain_msg m = {
		.msg_id = out->msg_id,
		.created = s->ops->now(s),
		.pmt_inf_id = out->msg_id,
		.execution_date = exec_date,
		.debtor = {pool.name, pool.account, pool.bic},
		.tx_count = 1,
		.txs = &tx,
	};
	enum zt_outfile_result written = ZT_OUT_SAME;
	if ((rc = zt_pain001_write(&m, out->file, &written)))
		goto done;
	/* Only a file this call made is removed if the commit fails. */
	file_written = written != ZT_OUT_SAME;
	rc = s->ops->commit(s);
	txn = false; /* a failed commit has rolled back */
	if (rc == 0)
		file_written = false; /* the committed repayment's file: keep it */
done:
	if (txn)
		s->ops->rollback(s);
	if (file_written && unlink(out->file) != 0 && errno != ENOENT) {
		int unlink_errno = errno;
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		zt_error_set(rc, "%s; and the payment file '%s' could not be removed (%s): delete it, "
		             "nothing was recorded", why, out->file, strerror(unlink_errno));
	}
	return rc;
}

