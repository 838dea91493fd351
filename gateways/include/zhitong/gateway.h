/* zhitong — handing a signed settlement file to a payer (docs/spec/money-flow.md
 * "Batches": `batch send`).
 *
 * One interface, two transports chosen per fund by configuration:
 *   - "http": an HTTPS POST (libcurl) of the file and its detached
 *     signature as multipart/form-data (parts `file` and `signature`),
 *     streamed from disk, with the batch id as `Idempotency-Key` so that a
 *     retried upload is not paid twice; retries with exponential back-off
 *     and jitter only where the request may not have been acted upon
 *     (timeouts, connection errors, HTTP 408/429/5xx but 501), never on
 *     4xx or TLS/certificate errors. The payer answers synchronously with
 *     an ack document (schema/payer-ack.xsd).
 *   - "folder": an atomic drop into a directory the payer collects
 *     (OUTBOX/BATCH.xml and OUTBOX/BATCH.xml.sig); the payer answers later
 *     with INBOX/BATCH.ack.xml, picked up by zt_gateway_poll.
 * A batch that is rejected in whole or in part is a business outcome, not
 * an error: the call returns 0 and the result says what was rejected. */
#ifndef ZHITONG_GATEWAY_H
#define ZHITONG_GATEWAY_H

#include <stddef.h>

#include "zhitong/limits.h"

/* An ack larger than ZT_PAYER_ACK_BYTES_MAX (limits.h) is not read. */

struct zt_gateway_config {
	const char *kind; /* "http" | "folder" */
	/* http */
	const char *url;         /* https:// only */
	const char *ca_file;     /* PEM CA(s) the payer's certificate must chain to;
	                            NULL: the system's trust store */
	const char *client_cert; /* PEM client certificate and its key, both or neither */
	const char *client_key;
	long connect_timeout_ms; /* 0: 10 s */
	long total_timeout_ms;   /* per attempt, whole transfer; 0: 300 s */
	int max_attempts;        /* 0: 5 */
	long backoff_initial_ms; /* wait before the 2nd attempt, doubling; 0: 200 ms */
	long backoff_max_ms;     /* cap of one wait (Retry-After too); 0: 30 s */
	/* folder */
	const char *outbox_dir;
	const char *inbox_dir;
};

enum zt_gateway_status {
	ZT_GW_ACCEPTED, /* every record accepted; receipt_id set */
	ZT_GW_REJECTED, /* rejects[] are refused, the rest accepted; with no
	                   rejects the whole batch is refused (reason in message) */
	ZT_GW_PENDING,  /* folder: dropped (send) or no ack yet (poll) */
};

/* Why a call failed (when it returns < 0). */
enum zt_gateway_failure {
	ZT_GW_FAIL_NONE,
	ZT_GW_FAIL_CONFIG,  /* bad configuration or batch id; nothing was sent */
	ZT_GW_FAIL_LOCAL,   /* the file or signature cannot be read, the outbox
	                       cannot be written; or the outbox already holds
	                       different bytes under this batch id */
	ZT_GW_FAIL_TIMEOUT, /* every attempt timed out: the payer MAY have the
	                       batch; send again later with the same batch id */
	ZT_GW_FAIL_NETWORK, /* could not connect / connection broken, after retries */
	ZT_GW_FAIL_TLS,     /* certificate or handshake problem (not retried) */
	ZT_GW_FAIL_HTTP,    /* a non-2xx answer that is not retried, or still
	                       failing after the last attempt: http_status */
	ZT_GW_FAIL_ANSWER,  /* a 2xx answer (or ack file) that is no valid ack for
	                       this batch */
};

struct zt_gateway_reject {
	char record_id[64];
	char reason[256]; /* UTF-8, cut at a character boundary if longer */
};

struct zt_gateway_result {
	enum zt_gateway_status status;
	enum zt_gateway_failure failure;
	char receipt_id[128];
	int attempts;    /* HTTP requests made (folder: 1 per send) */
	int http_status; /* of the last answer; 0 if none */
	size_t reject_count;
	struct zt_gateway_reject *rejects; /* malloc'd; zt_gateway_result_free */
	char message[256]; /* one line: the outcome, or what failed */
};

/* Sends `file_path` and its detached signature `sig_path` as batch
 * `batch_id` ([A-Za-z0-9][A-Za-z0-9._-]{0,63}: it is a file name and an
 * HTTP header). `*out` is always initialised (free it with
 * zt_gateway_result_free, whatever the return). Returns 0 when the payer
 * answered (http: ACCEPTED or REJECTED) or the files were dropped
 * (folder: PENDING; dropping the same bytes again is a no-op), or a
 * negative ZT_E* with out->failure and out->message saying why:
 * ZT_EINVAL bad configuration or batch id; ZT_ENOTFOUND / ZT_EIO a file
 * that cannot be read (the batch, its signature, a configured certificate
 * or key) or an outbox that cannot be written; ZT_ECONFLICT the outbox
 * holds other bytes for this batch, or the ack is for another batch;
 * ZT_EIO transport failures and non-2xx answers; the parser's code
 * (ZT_EMALFORMED, ZT_EINVAL) for an answer that is no valid ack. */
int zt_gateway_send(const struct zt_gateway_config *cfg, const char *batch_id,
                    const char *file_path, const char *sig_path, struct zt_gateway_result *out);

/* Folder gateway: reads INBOX/BATCH.ack.xml if the payer has put it there
 * (ACCEPTED or REJECTED), else PENDING; the file is left in place, so
 * polling again gives the same answer. An http gateway answers on send
 * and has nothing to poll (ZT_EINVAL). */
int zt_gateway_poll(const struct zt_gateway_config *cfg, const char *batch_id,
                    struct zt_gateway_result *out);

/* Reads an ack document (schema/payer-ack.xsd) for `batch_id` into *out
 * (status, receipt, rejects). `name` is used in messages. An ack for
 * another batch is ZT_ECONFLICT; one that breaks the rules of the format
 * (accepted with rejects, no receipt where records were accepted) is
 * ZT_EINVAL. Exposed for `batch` commands that take an ack by hand. */
int zt_gateway_parse_ack(struct zt_gateway_result *out, const char *xml, size_t len,
                         const char *name, const char *batch_id);

void zt_gateway_result_free(struct zt_gateway_result *r);

#endif
