/* zhitong — `reconcile import`: a camt.053 statement read, its entries
 * stored once and matched (see reconcile.h). */
#include <openssl/evp.h>

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

/* ---- import ---------------------------------------------------------------- */

struct import_ctx {
	struct session ss;
	const struct zt_scope *scope;
	const char *path;
	char file_sha256[65];
	char account[64];    /* the account every statement must be of */
	int64_t import_row;  /* 0 until the first entry */
	int64_t first_row;   /* the first row stored by this import */
};

/* The statement's SHA-256 (stored with the import before its first entry),
 * read through once; then the source is rewound or, if it reads once, its
 * bytes are kept in a temporary file (*spool) that the import reads. */
static int statement_digest(char out[65], const struct zt_source *src, FILE **spool)
{
	int rc = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32];
	char *buf = zt_malloc(65536);
	unsigned int len = 0;
	*spool = NULL;
	if (!md || !buf || (!src->rewind && !(*spool = tmpfile()))) {
		rc = zt_error_set(ZT_ENOMEM, "cannot read '%s': out of memory or temporary space",
		                  zt_source_name(src));
		goto done;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 is not available");
		goto done;
	}
	ssize_t r;
	while ((r = src->read(src->ctx, buf, 65536)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)r);
		if (*spool && fwrite(buf, 1, (size_t)r, *spool) != (size_t)r) {
			rc = zt_error_set(ZT_EIO, "cannot keep '%s' in a temporary file", zt_source_name(src));
			goto done;
		}
	}
	if (r < 0) {
		rc = (int)r;
		goto done;
	}
	EVP_DigestFinal_ex(md, dig, &len);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	if (*spool)
		rc = fseeko(*spool, 0, SEEK_SET) == 0 ? 0 : zt_error_set(ZT_EIO, "cannot read '%s' again",
		                                                          zt_source_name(src));
	else
		rc = src->rewind(src->ctx);
done:
	EVP_MD_CTX_free(md);
	free(buf);
	if (rc && *spool) {
		fclose(*spool);
		*spool = NULL;
	}
	return rc;
}

/* A booked entry of the statement as it is stored: its ref is the bank's,
 * or the reader's digest when the bank gives none. */
static void entry_of(struct zt_recon_entry *e, const struct zt_camt_statement *st,
                     const struct zt_camt_entry *ce)
{
	memset(e, 0, sizeof *e);
	if (ce->entry_ref[0])
		zt_text_put(e->ref, sizeof e->ref, ce->entry_ref);
	else
		snprintf(e->ref, sizeof e->ref, "sha256:%s", ce->digest);
	zt_text_put(e->stmt_id, sizeof e->stmt_id, st->stmt_id);
	zt_text_put(e->account, sizeof e->account, st->account);
	zt_text_put(e->digest, sizeof e->digest, ce->digest);
	e->credit = ce->credit;
	e->amount = ce->amount;
	zt_text_put(e->currency, sizeof e->currency, ce->currency);
	e->booking_date = ce->booking_date;
	e->value_date = ce->value_date;
	e->reversal = ce->reversal;
	zt_text_put(e->end_to_end_id, sizeof e->end_to_end_id, ce->end_to_end_id);
	zt_text_put(e->remittance, sizeof e->remittance, ce->remittance);
	zt_text_put(e->tx_ref, sizeof e->tx_ref, ce->tx_ref);
}

static int import_entry(void *vctx, const struct zt_camt_statement *st,
                        const struct zt_camt_entry *ce)
{
	struct import_ctx *c = vctx;
	struct zt_recon_import_result *r = c->ss.res;
	int rc;
	r->reported++;
	if (!c->import_row) {
		zt_text_put(r->msg_id, sizeof r->msg_id, st->msg_id);
		r->version = st->version;
		if ((rc = c->ss.s->ops->bank.import_start(c->ss.s, c->path, c->file_sha256, st->version,
		                                      st->msg_id, c->ss.actor, &c->import_row)))
			return rc;
	}
	/* Several pools: the statement is of the pool whose account it names. */
	const char *pool;
	if (!c->account[0] && c->ss.cfg.pools &&
	    (rc = zt_recon_pool_of(&c->ss.cfg, st->account, &pool)) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(rc, "%s: statement %s: %s", c->path, st->stmt_id, why);
	}
	if (!c->account[0] && c->ss.cfg.pools && !zt_scope_admits_pool(c->scope, pool))
		return zt_error_set(ZT_ENOTFOUND, "%s: statement %s: account '%s' is no pool's account "
		                    "of yours", c->path, st->stmt_id, st->account);
	/* The pool's statement and no other: another account's money must
	 * never pay our batches. */
	if (!c->account[0])
		zt_text_put(c->account, sizeof c->account, st->account);
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
	entry_of(&e, st, ce);
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

/* Every entry of the statement stored and matched. It is read on a second
 * thread: parsing and validating overlap with the matching and the writes
 * of the entries before. */
static int import_entries(struct import_ctx *c, const struct zt_source *src)
{
	struct zt_camt_stream *cs = NULL;
	int rc = zt_camt053_stream_open(&cs, src);
	if (rc)
		return rc;
	const struct zt_camt_statement *cst;
	const struct zt_camt_entry *ce;
	while ((rc = zt_camt053_stream_next(cs, &cst, &ce)) == 1)
		if ((rc = import_entry(c, cst, ce)))
			break;
	zt_camt053_stream_close(cs);
	return rc;
}

int zt_recon_import(struct zt_store *s, const struct zt_recon_import_req *req,
                    struct zt_recon_import_result *out)
{
	struct import_ctx c;
	memset(&c, 0, sizeof c);
	c.path = zt_source_name(req->statement);
	c.scope = req->scope;
	FILE *spool = NULL;
	bool in_txn = false;
	int rc = recon_session_start(&c.ss, s, req->cfg, req->actor, out);
	if (rc || (rc = statement_digest(c.file_sha256, req->statement, &spool)))
		goto done;
	const struct zt_source *again = req->statement;
	struct zt_source kept;
	if (spool) {
		kept = zt_source_file(spool, c.path);
		again = &kept;
	}
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)))
		goto done;
	in_txn = true;
	if ((rc = recon_session_due(&c.ss)))
		goto done;
	zt_text_put(c.account, sizeof c.account, c.ss.cfg.pool_account);
	if (!c.account[0] && !c.ss.cfg.pools && (rc = c.ss.s->ops->bank.account(c.ss.s, c.account)))
		goto done;
	/* One transaction holds everything: a file refused anywhere (XSD, any
	 * value) is rolled back whole and leaves no trace, not even a line in
	 * the log of imports; so the statement is read in one validating pass. */
	if ((rc = import_entries(&c, again)))
		goto done;
	if (c.import_row &&
	    (rc = c.ss.s->ops->bank.import_finish(c.ss.s, c.import_row, out->reported, out->stored,
	                                       out->known, out->not_booked)))
		goto done;
	/* Entries that were waiting for a payer's answer may be payable now. */
	if ((rc = c.ss.s->ops->bank.open_entries(c.ss.s, c.first_row ? c.first_row : INT64_MAX,
	                                      recon_retry_open, &c.ss)))
		goto done;
	/* its audit record carries the statement file's SHA-256 */
	unsigned char sha[ZT_AUDIT_HASH_BYTES];
	char detail[200];
	snprintf(detail, sizeof detail, "%s: %lld reported, %lld stored, %lld known, %lld matched",
	         out->msg_id, (long long)out->reported, (long long)out->stored,
	         (long long)out->known, (long long)(out->matched + out->rematched));
	if ((rc = zt_audit_hash_from_hex(sha, c.file_sha256)) ||
	    (rc = recon_audit(&c.ss, "reconcile import", zt_source_name(req->statement), sha,
	                      detail)))
		goto done;
	rc = s->ops->commit(s);
	in_txn = false;
done:
	if (in_txn)
		s->ops->rollback(s);
	if (spool)
		fclose(spool);
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
