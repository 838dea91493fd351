/* zhitong — handing a batch to its payer and what comes of it (batch.h):
 * the checks before a hand-over, the outcome of the payer's answer or of a
 * failure to reach it — decided here, for every front door — and the
 * send, poll and ack use cases, with the payer behind a port
 * (struct zt_payer_port) so that libzhitong links no gateway. */
#include "zhitong/batch.h"
#include "zhitong/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "batch_int.h"
#include "zhitong/chunks.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

#define READ_CHUNK_BYTES (256u * 1024u)

/* ---- sending ------------------------------------------------------------ */

static int sha256_update(void *ctx, const unsigned char *data, size_t len)
{
	if (EVP_DigestUpdate(ctx, data, len) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	return 0;
}

/* The SHA-256 of the file at `path`, read in chunks (chunks.h). */
static int file_sha256(char out[ZT_BATCH_HEX_BYTES], const char *path)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO, "cannot open '%s': %s", path,
		                  strerror(errno));
		goto done;
	}
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = zt_read_chunks(fd, path, READ_CHUNK_BYTES, sha256_update, sha)))
		goto done;
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	zt_batch_hex(out, md);
done:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(sha);
	return rc;
}

int zt_batch_prepare_send(struct zt_store *s, const char *id, const char *file_override,
                          const char *key_path, char file_out[ZT_BATCH_PATH_BYTES],
                          char sig_out[ZT_BATCH_PATH_BYTES + 4])
{
	struct zt_batch b;
	char sha[ZT_BATCH_HEX_BYTES];
	int rc = s->ops->batches.get(s, id, &b);
	if (rc)
		return rc;
	switch (b.status) {
	case ZT_BATCH_EXPORTED:
	case ZT_BATCH_SENT:
		break;
	case ZT_BATCH_DRAFT:
	case ZT_BATCH_APPROVED:
	case ZT_BATCH_REJECTED:
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: it is sent once approved and "
		                    "exported (with its signature)", id, zt_batch_status_name(b.status));
	default:
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is already %s by the payer%s%s", id,
		                    zt_batch_status_name(b.status), b.receipt[0] ? ", receipt " : "",
		                    b.receipt);
	}
	const char *file = file_override && file_override[0] ? file_override : b.file_path;
	if ((size_t)snprintf(file_out, ZT_BATCH_PATH_BYTES, "%s", file) >= ZT_BATCH_PATH_BYTES ||
	    (size_t)snprintf(sig_out, ZT_BATCH_PATH_BYTES + 4, "%s.sig", file) >=
		    ZT_BATCH_PATH_BYTES + 4)
		return zt_error_set(ZT_EINVAL, "path '%s' is too long", file);
	if ((rc = file_sha256(sha, file_out)))
		return rc;
	if (strcmp(sha, b.file_sha256) != 0)
		return zt_error_set(ZT_ECONFLICT, "'%s' is not the file exported for batch '%s' (its "
		                    "SHA-256 differs): export the batch again", file_out, id);
	if (access(sig_out, R_OK) != 0)
		return zt_error_set(ZT_ENOTFOUND, "the signature '%s' is missing: export the batch "
		                    "again", sig_out);
	/* The payer gets nothing we have not checked ourselves: the signature
	 * must verify against these very bytes. */
	if (!key_path || !key_path[0])
		return zt_error_set(ZT_EINVAL, "cannot check the signature '%s' before sending it: no "
		                    "key (give --key PUBKEY.pem, or set [signing] public-key or key in "
		                    "the configuration)", sig_out);
	rc = zt_sign_check(file_out, sig_out, key_path);
	if (rc == ZT_EINVAL)
		return zt_error_set(ZT_EINVAL, "batch '%s' is not sent: its signature '%s' does not "
		                    "verify against '%s' with key '%s' (export the batch again)", id,
		                    sig_out, file_out, key_path);
	return rc;
}

/* The payer has the batch: exported -> sent (a second hand-over of a sent
 * batch is recorded as such). */
static int mark_sent(struct zt_store *s, const struct zt_batch *b, const char *actor,
                     const char *detail)
{
	enum zt_batch_status from = b->status == ZT_BATCH_SENT ? ZT_BATCH_SENT : ZT_BATCH_EXPORTED;
	return zt_batch_move(s, b->id, from, ZT_BATCH_SENT, actor, "send", detail);
}

/* Logs a hand-over and what came of it. */
static int add_send(struct zt_store *s, const char *id, const char *actor,
                    const struct zt_batch_answer *a)
{
	const struct zt_batch_send_log l = {
		.actor = actor,
		.gateway = a->gateway ? a->gateway : "manual",
		.outcome = zt_batch_outcome_name(a->outcome),
		.receipt = a->receipt,
		.message = a->message ? a->message : "",
		.attempts = a->attempts,
		.http_status = a->http_status,
		.rejected = a->outcome == ZT_BATCH_OUT_REJECTED ? (int64_t)a->reject_count : 0,
	};
	int rc = s->ops->batches.add_send(s, id, &l);
	if (rc)
		return rc;
	/* the payer's answer as logged (the status it moves is its own record) */
	char detail[ZT_MESSAGE_BYTES_MAX];
	snprintf(detail, sizeof detail, "%s %s%s%s", l.gateway, l.outcome, l.message[0] ? ": " : "",
	         l.message);
	const struct zt_batch_event e = {.actor = actor, .action = "answer", .detail = detail};
	return zt_batch_audit(s, id, NULL, NULL, &e, NULL);
}

/* An answer that cannot be applied (it rejects a record never sent, or
 * names one twice): nothing of it is applied and the batch stays as it
 * was; the hand-over is logged as failed, for a corrected answer (`batch
 * ack`). Returns ZT_ECONFLICT with `why`. */
static int unusable_answer(struct zt_store *s, const char *id, const char *actor,
                           const struct zt_batch_answer *a, const char *why)
{
	char saved[ZT_MESSAGE_BYTES_MAX], msg[ZT_MESSAGE_BYTES_MAX + 32];
	snprintf(saved, sizeof saved, "%s", why);
	s->ops->rollback(s);
	struct zt_batch_answer f = *a;
	snprintf(msg, sizeof msg, "unusable answer: %s", saved);
	f.outcome = ZT_BATCH_OUT_FAILED;
	f.message = msg;
	f.reject_count = 0;
	f.rejects = NULL;
	int rc = s->ops->begin(s, ZT_TXN_WRITE);
	if (rc)
		return rc;
	if ((rc = add_send(s, id, actor, &f)) == 0 && (rc = s->ops->commit(s)) == 0)
		return zt_error_set(ZT_ECONFLICT, "%s", saved);
	s->ops->rollback(s);
	return rc;
}

int zt_batch_record_answer(struct zt_store *s, const char *id, const char *actor,
                           const struct zt_batch_answer *a)
{
	struct zt_batch b;
	char detail[400];
	char who[ZT_ACTOR_BYTES];
	int rc = zt_batch_actor(who, &actor);
	if (rc || (rc = s->ops->begin(s, ZT_TXN_WRITE)))
		return rc;
	if ((rc = s->ops->batches.get(s, id, &b)))
		goto done;
	/* A payer may pay before its answer reaches us: a part-paid or paid
	 * batch without an answer still takes it (zt_batch_accept
	 * settles what it then owes). A second answer is refused. */
	bool paid_first = (b.status == ZT_BATCH_PART_PAID || b.status == ZT_BATCH_PAID) &&
	                  !b.answered;
	if (b.status != ZT_BATCH_EXPORTED && b.status != ZT_BATCH_SENT && !paid_first) {
		rc = b.answered ? zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: the payer's answer was "
		                               "recorded already (receipt %s)", id,
		                               zt_batch_status_name(b.status),
		                               b.receipt[0] ? b.receipt : "-")
		                : zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: no answer is expected "
		                               "for it", id, zt_batch_status_name(b.status));
		goto done;
	}
	if ((rc = add_send(s, id, actor, a)))
		goto done;
	snprintf(detail, sizeof detail, "%s: %s", a->gateway ? a->gateway : "manual",
	         a->message ? a->message : zt_batch_outcome_name(a->outcome));
	switch (a->outcome) {
	case ZT_BATCH_OUT_FAILED:
		break; /* it did not arrive: the status stays */
	case ZT_BATCH_OUT_PENDING:
		if (!paid_first)
			rc = mark_sent(s, &b, actor, detail);
		break;
	case ZT_BATCH_OUT_REFUSED:
		/* Refused whole (a bad signature, a wrong fund): back to exported,
		 * to be sent again once the cause is fixed; the batch id stays.
		 * Not once the payer has paid for it: logged, nothing changes. */
		if (paid_first) {
			if ((rc = s->ops->commit(s)) == 0)
				rc = zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: the payer's refusal of the "
				                  "whole batch is logged, but a batch it has paid is not sent "
				                  "again", id, zt_batch_status_name(b.status));
			return rc;
		}
		if ((rc = mark_sent(s, &b, actor, detail)) == 0)
			rc = zt_batch_move(s, id, ZT_BATCH_SENT, ZT_BATCH_EXPORTED, actor, "refused",
			                   a->message);
		break;
	case ZT_BATCH_OUT_ACCEPTED:
	case ZT_BATCH_OUT_REJECTED:
		if (a->outcome == ZT_BATCH_OUT_REJECTED &&
		    (rc = s->ops->batches.reject_records(s, id, a->rejects, a->reject_count)) ==
			    ZT_ECONFLICT)
			return unusable_answer(s, id, actor, a, zt_error_last());
		if (rc == 0 && !paid_first)
			rc = mark_sent(s, &b, actor, detail);
		if (rc == 0)
			rc = zt_batch_accept(s, id, a->receipt, actor);
		break;
	}
done:
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}


/* ---- the use cases: send, poll, ack ----------------------------------- */

static void res_from(struct zt_batch_send_res *res, const char *gateway,
                     const struct zt_batch_answer *a)
{
	res->outcome = a->outcome;
	snprintf(res->gateway, sizeof res->gateway, "%s", gateway ? gateway : "manual");
	snprintf(res->message, sizeof res->message, "%s", a->message ? a->message : "");
}

/* Records what came of a hand-over (`a`, or the port's failure `port_rc`
 * when nothing left this machine) and reads the batch back: the outcome,
 * the same whatever the front door. */
static int outcome(struct zt_store *s, const char *id, const char *actor, const char *gateway,
                   int port_rc, struct zt_batch_answer *a, struct zt_batch_send_res *res)
{
	if (port_rc < 0) {
		/* Nothing left this machine: nothing to record. */
		res->gateway_failed = true;
		return port_rc;
	}
	if (!a->gateway)
		a->gateway = gateway;
	res_from(res, a->gateway, a);
	int rc = zt_batch_record_answer(s, id, actor, a);
	if (rc)
		return rc;
	res->recorded = true;
	if (a->outcome == ZT_BATCH_OUT_FAILED) {
		res->gateway_failed = true;
		return zt_error_set(a->error < 0 ? a->error : ZT_EIO, "batch '%s' did not reach the "
		                    "payer (%s): %s; send it again later: the batch id keeps a repeat "
		                    "from being paid twice", id, res->gateway, res->message);
	}
	return s->ops->batches.get(s, id, &res->batch);
}

/* The batch a port acts on, with the payer of its fund chosen. */
static int bound(struct zt_store *s, const char *id, const struct zt_payer_port *port,
                 struct zt_batch *b, const char **gateway)
{
	int rc = s->ops->batches.get(s, id, b);
	*gateway = NULL;
	if (rc == 0 && port->bind)
		rc = port->bind(port->ctx, b->fund_code, gateway);
	return rc;
}

int zt_batch_send(struct zt_store *s, const struct zt_batch_send_req *req,
                  const struct zt_payer_port *port, struct zt_batch_send_res *res)
{
	struct zt_batch b;
	struct zt_batch_answer a = {0};
	const char *gateway;
	char file[ZT_BATCH_PATH_BYTES], sig[ZT_BATCH_PATH_BYTES + 4];
	memset(res, 0, sizeof *res);
	int rc = bound(s, req->id, port, &b, &gateway);
	if (rc || (rc = zt_batch_prepare_send(s, req->id, req->file, req->key_path, file, sig)))
		return rc;
	rc = port->send(port->ctx, req->id, file, sig, &a);
	return outcome(s, req->id, req->actor, gateway, rc, &a, res);
}

int zt_batch_poll(struct zt_store *s, const struct zt_batch_send_req *req,
                  const struct zt_payer_port *port, struct zt_batch_send_res *res)
{
	struct zt_batch b;
	struct zt_batch_answer a = {0};
	const char *gateway;
	memset(res, 0, sizeof *res);
	int rc = bound(s, req->id, port, &b, &gateway);
	if (rc)
		return rc;
	/* paid before its answer came: the answer is still awaited */
	bool waits = b.status == ZT_BATCH_SENT ||
	             ((b.status == ZT_BATCH_PART_PAID || b.status == ZT_BATCH_PAID) && !b.answered);
	if (!waits)
		return zt_error_set(ZT_ECONFLICT, "batch '%s' is %s: only a sent batch waits for an "
		                    "answer", req->id, zt_batch_status_name(b.status));
	rc = port->poll(port->ctx, req->id, &a);
	if (rc == 0 && a.outcome == ZT_BATCH_OUT_PENDING) {
		res_from(res, a.gateway ? a.gateway : gateway, &a); /* no answer yet: nothing stored */
		return 0;
	}
	return outcome(s, req->id, req->actor, gateway, rc, &a, res);
}

int zt_batch_ack(struct zt_store *s, const struct zt_batch_send_req *req,
                 const struct zt_batch_answer *a, struct zt_batch_send_res *res)
{
	struct zt_batch_answer copy = *a;
	memset(res, 0, sizeof *res);
	return outcome(s, req->id, req->actor, "manual", 0, &copy, res);
}
