/* zhitong — `reconcile import`: a camt.053 statement read, its entries
 * stored once and matched (see reconcile.h). */
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile_int.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"

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
	if ((rc = recon_match_entry(&c->ss, &e, false, &o)))
		return rc;
	if (o == MATCHED)
		r->matched++;
	else if (o == HELD)
		r->held++;
	return 0;
}

int zt_recon_import(struct zt_store *s, const struct zt_config *cfg, const char *path,
                    const char *actor, struct zt_recon_import_result *out)
{
	struct import_ctx c;
	memset(&c, 0, sizeof c);
	c.path = path;
	int rc = recon_session_start(&c.ss, s, cfg, actor, out);
	bool in_txn = false;
	if (rc)
		goto done;
	if ((rc = sha256_file(c.file_sha256, path)))
		goto done;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = recon_session_due(&c.ss)))
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
	                                      recon_retry_open, &c.ss)))
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
