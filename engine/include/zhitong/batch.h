/* zhitong — payer batches and their signed settlement files (docs/spec/money-flow.md
 * "Batches and settlement files"; the user's guide is docs/batches.md).
 *
 * A batch bills one fund for claim shares: the rows of a settlement's
 * setldetail for that fund, settlements and reversals alike. A share is in
 * exactly one batch, ever: the store keys batch membership by the share,
 * and `batch create` runs in one BEGIN IMMEDIATE transaction, so two
 * creates at once serialise and the second gets only what is left.
 *
 * The life of a batch:
 *
 *   draft --approve--> approved --export--> exported --send--> sent --answer--> accepted
 *     |  (not by its maker)                    ^                 |              |
 *     +--reject--> rejected --reopen--> draft  +----refused------+   reconciliation:
 *                                                                   part-paid / paid
 *
 * A rejected batch keeps its shares (they are in it for ever); `reopen`
 * returns it to draft with every share that has become billable since —
 * typically the reversals and corrected claims that answer the checker's
 * objection — so its money is still billed, once, by that same batch, and a
 * checker who is neither its creator nor a reopener approves it again.
 *
 * A record the payer rejects stays in its batch, marked with the reason;
 * the accepted total of the batch leaves it out. The hospital then reverses
 * the claim (a negative share of the fund) and submits it corrected (a new
 * positive share); both go to a later batch. The reversal of a share the
 * payer rejected is carried in that file for information, payable="false",
 * and left out of its total: the payer is billed neither twice nor the
 * negative of something it never accepted. A reversal waits (is not
 * batched) while the batch holding the share it reverses has no answer yet,
 * so that this is always known when the reversal is batched.
 *
 * A payer's answer can only lower what it owes: the records it rejects
 * come off the total when they are claims (positive); a reversal it
 * rejects (a credit to it) stays a credit, so the accepted total is never
 * above the total. A batch is never paid more than it owes.
 *
 * Money owed back. A batch whose reversals outweigh its new claims has a
 * negative total: the pool owes the fund (so does a batch the payer paid
 * whole before its answer took records out). What a batch owes is
 *   owes = due - paid + returned      (due: accepted total, or total)
 * positive: the fund owes the pool; negative: the pool owes the fund; 0:
 * settled (paid). The pool pays it back with a credit transfer to the
 * fund (`batch repay`: a pain.001 whose EndToEndId the bank's debit names,
 * matched by reconciliation), or the payer nets it in a payment naming this
 * batch with batches it owes (reconciliation). See docs/batches.md.
 *
 * The zt_batch_* functions are the domain: the use cases (below: one per
 * operation, a request and a result as data; batch_lifecycle.c,
 * batch_file.c, batch_file_check.c, batch_send.c, batch_repay.c) open their
 * own transactions and decide, with the rules of batch_rules.c; the store's
 * batches operations (store.h) store and read, in the caller's
 * transaction. The payer is a port (struct zt_payer_port, below). */
#ifndef ZHITONG_BATCH_H
#define ZHITONG_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "config.h"
#include "money.h"
#include "policy.h"
#include "sign.h"
#include "trace.h"

struct zt_store; /* store.h */

/* "B390100-000001": B, the fund code, a dash, the fund's batch number
 * (six digits, more if ever needed). At most 35 characters: it goes into a
 * bank transfer's reference and is the gateway's idempotency key. */
#define ZT_BATCH_ID_BYTES 36
/* A record of the payer file is "SETL_ID/SEQ": the settlement and the
 * share's position in its setldetail. */
#define ZT_BATCH_RECORD_ID_BYTES 64
/* Hex SHA-256 and its NUL. */
#define ZT_BATCH_HEX_BYTES 65
#define ZT_BATCH_PATH_BYTES 1024
#define ZT_BATCH_ACTOR_BYTES ZT_ACTOR_BYTES /* actor.h */

enum zt_batch_status {
	ZT_BATCH_DRAFT,
	ZT_BATCH_APPROVED,
	ZT_BATCH_REJECTED, /* by the checker; `reopen` makes it a draft again */
	ZT_BATCH_EXPORTED,
	ZT_BATCH_SENT,
	ZT_BATCH_ACCEPTED, /* the payer answered; some records may be rejected */
	ZT_BATCH_PAID,
	ZT_BATCH_PART_PAID,
};
#define ZT_BATCH_STATUSES 8
/* "draft", "approved", … "part-paid": the names of `batch list` and of the
 * store, indexed by status (data: the store maps with it). */
extern const char *const zt_batch_status_names[ZT_BATCH_STATUSES];
const char *zt_batch_status_name(enum zt_batch_status st);
/* 0, or ZT_EINVAL for a name that is no status. */
int zt_batch_status_parse(enum zt_batch_status *out, const char *name);

struct zt_batch {
	char id[ZT_BATCH_ID_BYTES];
	char fund_code[ZT_FUND_CODE_BYTES];
	char fund_name[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	int64_t seq;
	enum zt_batch_status status;
	zt_date through;                 /* 0 when created without --through */
	zt_date period_from, period_to;  /* first and last discharge date */
	int64_t count;                   /* records in the file */
	zt_fen total;                    /* billed: the sum of the payable records */
	int64_t info_count;              /* records carried for information only */
	zt_fen info_total;               /* their sum, outside total */
	char created_at[32], created_by[ZT_BATCH_ACTOR_BYTES];
	char approved_at[32], approved_by[ZT_BATCH_ACTOR_BYTES]; /* "" until approved */
	char exported_at[32];            /* "" until exported */
	char file_path[ZT_BATCH_PATH_BYTES];
	char file_sha256[ZT_BATCH_HEX_BYTES];
	char digest[ZT_BATCH_HEX_BYTES];
	char key_type[8];                /* "ed25519" | "sm2" | "" */
	char receipt[128];               /* the payer's, "" until answered */
	bool answered;                   /* accepted_total is set */
	zt_fen accepted_total;           /* total less the records the payer rejected */
	int64_t rejected_count;          /* records the payer rejected */
	zt_fen paid;                     /* matched payments (reconciliation) */
	zt_fen returned;                 /* paid back to the fund (repaid or netted) */
	char pool[ZT_POOL_ID_BYTES];     /* the pool it bills for (config.h; issue 13) */
	/* the counties whose hospitals' shares it takes, as configured when it
	 * was created ("": every county) */
	char counties[ZT_POOL_COUNTIES_BYTES];
};

/* What the payer is due to pay for the batch: its accepted total once it
 * answered, its total before. */
zt_fen zt_batch_due(const struct zt_batch *b);
/* owes = due - paid + returned (see above); ZT_ERANGE if it overflows. */
int zt_batch_owes(zt_fen *out, zt_fen due, zt_fen paid, zt_fen returned);

/* One record of a batch, as the cursor yields it. The strings point into
 * the cursor and are valid until its next call. */
struct zt_batch_record {
	const char *setl_id;
	int seq;                   /* the share's position in its setldetail */
	const char *kind;          /* "settle" | "reverse" */
	const char *reverses;      /* setl_id reversed, "" for a settlement */
	const char *fixmedins_code;
	const char *claim_no;
	const char *psn_no;
	zt_date dscg_date;
	zt_fen amount;             /* negative for a reversal */
	bool payable;
	const char *fund_kind;     /* basic | critical | assistance | relief */
	const char *reject_reason; /* "" unless the payer rejected this record */
	struct zt_fund_trace trace;
	/* What a payer's reviewer reads (payer file version 2, `batch show
	 * --records`): the person and the claim's stay, diagnosis and bill. */
	const char *psn_name;
	const char *id_no;
	zt_date adm_date;
	const char *dscg_maindiag_code;
	zt_fen medfee_sumamt;
};

struct zt_batch_event {
	const char *at, *actor, *action;
	const char *status_from; /* "" for the creation */
	const char *status_to;
	const char *detail;      /* "" if none */
};

/* How a hand-over to the payer ended (batch_send). */
enum zt_batch_outcome {
	ZT_BATCH_OUT_ACCEPTED, /* every record accepted, with a receipt */
	ZT_BATCH_OUT_REJECTED, /* the payer accepted the batch less some records */
	ZT_BATCH_OUT_REFUSED,  /* the payer refused the whole batch (reason in message) */
	ZT_BATCH_OUT_PENDING,  /* handed over, no answer yet (drop folder) */
	ZT_BATCH_OUT_FAILED,   /* it did not reach the payer, or the answer was unusable */
};
const char *zt_batch_outcome_name(enum zt_batch_outcome o);

struct zt_batch_reject {
	const char *record_id; /* "SETL_ID/SEQ" */
	const char *reason;
};

/* A payer's answer, or the failure to get one, as `batch send`, `batch
 * poll` and `batch ack` hand it over (the gateways' result, translated by
 * the caller: the engine does not link the gateways, they link it). */
struct zt_batch_answer {
	enum zt_batch_outcome outcome;
	const char *gateway;  /* "http" | "folder" | "manual" */
	const char *receipt;  /* ACCEPTED, REJECTED */
	int attempts;
	int http_status;
	const char *message;  /* one line: the outcome, or what failed */
	size_t reject_count;  /* REJECTED */
	const struct zt_batch_reject *rejects;
	int error;            /* FAILED from a port: the transport's ZT_E* code */
};

struct zt_batch_send_log {
	const char *at, *actor, *gateway, *outcome, *receipt, *message;
	int attempts, http_status;
	int64_t rejected;
};

/* ---- what the store hands over and takes (store.h, batches) ----------- */

/* A share no batch holds yet, as the batch rule sees it (zt_batch_takes). */
struct zt_batch_candidate {
	int64_t settlement_row;
	int seq;                   /* the share's position in its setldetail */
	bool reversal;             /* of kind 'reverse'                      */
	zt_fen amount;
	zt_date dscg_date;
	const char *pool;          /* the pool it was settled for (settlement.pool) */
	/* a reversal: the share it reverses (the same seq of the settlement
	 * reversed) */
	const char *orig_batch_id; /* the batch holding it, "" if none (yet)  */
	enum zt_batch_status orig_batch_status;
	bool orig_rejected;        /* the payer rejected it                   */
};

/* What a batch's records add up to. */
struct zt_batch_totals {
	int64_t count;
	zt_fen total;              /* the payable records                   */
	int64_t info_count;
	zt_fen info_total;         /* the records carried for information   */
	zt_date period_from, period_to;
};

/* A record of a batch that the payer's rejections concern. */
struct zt_batch_rejected {
	const char *setl_id;
	int seq;
	zt_fen amount;
	bool payable;
	bool reversal;
	bool rejected;             /* the payer rejected this record          */
	bool reverses_rejected;    /* it reverses a record rejected in this batch */
};

/* The records of a batch, streamed (store.h batches.records). */
struct zt_batch_cursor;

/* ---- the rules (batch_rules.c: pure) -------------------------------- */

/* Whether a batch may move from `from` to `to` (the life above; from ==
 * to is a re-export or a repeated send). The payer's answer after a
 * payment moves part-paid or paid to part-paid or paid: `answer` says the
 * move is the answer's. */
bool zt_batch_move_allowed(enum zt_batch_status from, enum zt_batch_status to, bool answer);
/* Whether a batch being filled (`batch_id`) takes share `c`, and whether
 * it is payable: every share not in a batch is taken, a reversal only
 * once the batch holding the share it reverses has the payer's answer (or
 * is this batch, or there is none: then both go together), and the
 * reversal of a share the payer rejected is carried, not payable. */
bool zt_batch_takes(const struct zt_batch_candidate *c, const char *batch_id, bool *payable);
/* What the payer's rejections take off a batch's total: each payable claim
 * (a positive record) it rejected, and the payable reversal, in the same
 * batch, of a claim it rejected; never a rejected reversal (a credit to the
 * payer: an answer only lowers what it owes). Adds record `r` to *removed;
 * ZT_ERANGE on overflow. */
int zt_batch_rejection_takes_off(zt_fen *removed, const struct zt_batch_rejected *r);
/* Whether `actor` (normalised) made the batch's content: created it or
 * reopened it (names compared normalised: actor.h). */
int zt_batch_is_maker(struct zt_store *s, const struct zt_batch *b, const char *actor,
                      bool *out);

/* ---- money owed back ------------------------------------------------- */

/* "B390100-000002-R1": the batch id, -R, the batch's repayment number. */
#define ZT_BATCH_RETURN_ID_BYTES 36

/* Money paid back to a fund for a batch. */
struct zt_batch_return {
	int64_t row;
	char batch_id[ZT_BATCH_ID_BYTES];
	char fund_code[ZT_FUND_CODE_BYTES];
	bool netted;                               /* netted by the payer; else repaid  */
	char return_id[ZT_BATCH_RETURN_ID_BYTES];  /* repaid: the EndToEndId; "" netted */
	zt_fen amount;                             /* > 0                               */
	int64_t entry_row;                         /* netted: the bank entry (credit)   */
	char entry_ref[80];                        /* netted: its ref                   */
	char msg_id[36];                           /* repaid: the pain.001 MsgId         */
	char file[ZT_BATCH_PATH_BYTES];            /* repaid: the pain.001 written       */
	zt_date execution_date;                    /* repaid                             */
	char actor[ZT_BATCH_ACTOR_BYTES];
	char at[32];
	bool confirmed;                            /* repaid: a bank debit confirmed it  */
};

/* ---- in the caller's transaction (batch_rules.c) ---------------------- */

/* A payment matched to batch `id` (sent, accepted or part-paid: a payer may
 * pay before its answer arrives). Adds `amount_fen` (> 0, at most what the
 * batch owes: ZT_ECONFLICT beyond) to paid; the batch becomes paid when it
 * owes nothing more, part-paid before. ZT_ECONFLICT in any other status.
 * `ref` (the bank entry) goes into the event. */
int zt_batch_pay(struct zt_store *s, const char *id, zt_fen amount_fen, const char *actor,
                 const char *ref);
/* The same when the caller has just read the batch in this transaction (its
 * status, what it is due, what was paid and returned): one read less per
 * payment; the store's compare-and-set still checks the batch is as read. */
int zt_batch_pay_known(struct zt_store *s, const char *id, enum zt_batch_status status,
                       zt_fen due, zt_fen paid_before, zt_fen returned, zt_fen amount_fen,
                       const char *actor, const char *ref);
/* Records the payer's answer: accepted_total = total less what the
 * rejections take off (zt_batch_rejection_takes_off); sent -> accepted; an
 * answer after a payment (part-paid, paid) is recorded too and the batch
 * becomes paid or part-paid by what it then owes. ZT_ECONFLICT if the
 * batch has an answer already or is in another status; ZT_ERANGE if a sum
 * would overflow. */
int zt_batch_accept(struct zt_store *s, const char *id, const char *receipt, const char *actor);
/* Records money paid back to the fund for batch r->batch_id (the caller
 * books the ledger): r->amount (> 0) at most what the pool owes (-owes;
 * ZT_ECONFLICT beyond, or when the batch is not answered: accepted or
 * part-paid). The batch becomes paid when it owes nothing more, part-paid
 * before. Fills r->row, r->fund_code and r->at. */
int zt_batch_add_return(struct zt_store *s, struct zt_batch_return *r);

/* ---- use cases: one function per operation (docs/architecture.md) -------
 *
 * Each takes the store, a request and a result as data; each opens and
 * ends its own transactions, prints nothing, and names who acts in the
 * request (normalised: actor.h). Where they live: batch_lifecycle.c
 * (create, approve, reject, reopen, list, show), batch_file.c (the payer
 * file: export, verify), batch_send.c (send, poll, ack: the outcome of a
 * hand-over, with the payer behind a port), batch_repay.c (repay). */

/* `batch create`: every share of the fund that no batch holds and the rule
 * takes (zt_batch_takes; discharged on or before `through` if not 0)
 * becomes one new draft batch. res->id "" and res->batch.count 0 when
 * there is nothing to batch (nothing is written then). ZT_ENOTFOUND for
 * an unknown fund; ZT_ERANGE for a total past int64 (nothing stored). */
struct zt_batch_create_req {
	/* The pool it bills for (config.h zt_config_pool_pick: required when
	 * several are configured; NULL cfg: the default pool, every county):
	 * only the shares of hospitals of the pool's counties are taken. */
	const struct zt_config *cfg;
	const char *pool;
	const char *fund_code;
	zt_date through;           /* 0: every waiting share */
	const char *actor;
};
struct zt_batch_create_res {
	char id[ZT_BATCH_ID_BYTES];
	struct zt_batch batch;     /* as created: count, totals, period */
};
int zt_batch_create(struct zt_store *s, const struct zt_batch_create_req *req,
                    struct zt_batch_create_res *res);

/* A step of a batch's life by a person (approve, reject, reopen). */
struct zt_batch_step_req {
	const char *id;
	const char *actor;
	const char *reason;        /* reject: required; reopen: optional; one line */
};
struct zt_batch_step_res {
	struct zt_batch batch;     /* after the step */
	int64_t added;             /* reopen: records added */
};
/* Maker-checker: ZT_ECONFLICT when the actor created or reopened the
 * batch, or the batch is not a draft. */
int zt_batch_approve(struct zt_store *s, const struct zt_batch_step_req *req,
                     struct zt_batch_step_res *res);
/* draft -> rejected, with the checker's reason. */
int zt_batch_reject(struct zt_store *s, const struct zt_batch_step_req *req,
                    struct zt_batch_step_res *res);
/* rejected -> draft, adding every share that has become billable. */
int zt_batch_reopen(struct zt_store *s, const struct zt_batch_step_req *req,
                    struct zt_batch_step_res *res);

/* `batch list`: every batch (of one fund, in one status), one call of
 * `row` each; *count_out how many. */
struct zt_batch_list_req {
	const char *fund_code;     /* NULL: every fund */
	const char *pool;          /* NULL: every pool */
	bool has_status;
	enum zt_batch_status status;
};
int zt_batch_list(struct zt_store *s, const struct zt_batch_list_req *req,
                  int (*row)(void *ctx, const struct zt_batch *b), void *ctx, int64_t *count_out);

/* `batch show`: the batch and what it is owed, then each part in order,
 * each through its callback (NULL: skipped); `section` announces a part
 * before its rows (a part with nothing to show is left out: returns only
 * when money went back, rejected records only when the payer rejected
 * some, every record only when asked). */
enum zt_batch_part {
	ZT_BATCH_PART_HISTORY,     /* events */
	ZT_BATCH_PART_SENDS,       /* hand-overs */
	ZT_BATCH_PART_RETURNS,     /* money returned to the fund */
	ZT_BATCH_PART_REJECTED,    /* records the payer rejected */
	ZT_BATCH_PART_RECORDS,     /* every record */
};
struct zt_batch_view {
	struct zt_batch batch;
	bool owed_shown;           /* sent or later, and owed back or returned */
	zt_fen owes;               /* zt_batch_owes, when owed_shown */
};
struct zt_batch_show_visitor {
	void *ctx;
	int (*batch)(void *ctx, const struct zt_batch_view *v);
	int (*section)(void *ctx, enum zt_batch_part part);
	int (*event)(void *ctx, const struct zt_batch_event *e);
	int (*send)(void *ctx, const struct zt_batch_send_log *l);
	int (*ret)(void *ctx, const struct zt_batch_return *r);
	int (*record)(void *ctx, const struct zt_batch_record *r);
};
struct zt_batch_show_req {
	const char *id;
	bool records;              /* every record too */
};
int zt_batch_show(struct zt_store *s, const struct zt_batch_show_req *req,
                  const struct zt_batch_show_visitor *v);
/* The records of a batch (only those the payer rejected, if asked), one
 * call of `cb` each. */
int zt_batch_records_each(struct zt_store *s, const char *id, bool only_rejected,
                          int (*cb)(void *ctx, const struct zt_batch_record *r), void *ctx);

struct zt_batch_export_info {
	int64_t count;
	zt_fen total;
	char digest[ZT_BATCH_HEX_BYTES];      /* of the records (see docs/batches.md) */
	char file_sha256[ZT_BATCH_HEX_BYTES]; /* of the whole file */
	enum zt_key_type key_type;
	char sig_path[ZT_BATCH_PATH_BYTES + 4];
};
struct zt_config;
struct zt_batch_export_req {
	const char *id;
	const char *out_path;      /* the payer file; its signature is out_path.sig */
	const char *key_path;      /* the private key (NULL or "": ZT_EINVAL, no key is made) */
	const char *actor;
	int out_flags;             /* ZT_OUT_FORCE (outfile.h) */
	/* Where `[fund F] payer-file = 1|2` is read for the batch's fund (the
	 * payer-file format's version, docs/batches.md); NULL or absent: 1. */
	const struct zt_config *config;
	/* How each record's trace is written (render_trace.h zt_trace_xml):
	 * the engine renders nothing itself. NULL: ZT_EINVAL. */
	zt_trace_xml_fn *trace_xml;
};
/* Writes the payer file of batch req->id (approved or later) to `out_path`
 * and its detached signature to out_path.sig with the private key
 * `key_path`, both through the safe output (outfile.h): each written to a
 * temporary file beside it and synced; both checked against what is
 * already there before either appears; then the signature renamed into
 * place first and the file second, so that whoever sees the file finds its
 * signature. An existing file is left alone when it holds the same bytes
 * (a retried export succeeds; an existing signature that verifies against
 * them with this key is kept, as SM2 signatures of the same bytes differ),
 * refused (ZT_ECONFLICT) when it holds other bytes unless `out_flags` has
 * ZT_OUT_FORCE, and a symbolic link or a directory at either name is
 * refused (ZT_EINVAL) even then. Any failure — a bad key, a refusal, a
 * full disk, the export failing to be recorded in the store after both
 * were published — leaves neither file nor signature of this export
 * behind: what this call published is taken back (zt_outfile_withdraw),
 * while a file and signature that were already there with the same bytes
 * stay and a file that ZT_OUT_FORCE replaced is put back.
 * Everything in the file comes from the store, so exporting again gives the
 * same bytes; the first export moves the batch to exported and keeps the
 * record digest, which every later export must reproduce (ZT_EINTERNAL if
 * not: a record changed under the batch). The records are checked against
 * the batch's count and totals as they are written. */
int zt_batch_export(struct zt_store *s, const struct zt_batch_export_req *req,
                    struct zt_batch_export_info *res);

/* Before a hand-over: the batch is exported (or sent, for a retry), its
 * file — `file_override`, else where it was exported — is still the one
 * exported (same SHA-256), and FILE.sig is a valid signature of it with
 * the key in `key_path` (a public key, a certificate or the private key
 * that signed it). Fills the two paths. ZT_ECONFLICT for a file that is not
 * the one exported, ZT_EINVAL for a signature that does not verify,
 * ZT_ENOTFOUND for a missing signature, and ZT_EINVAL without a key: a
 * file is never handed over unchecked. */
int zt_batch_prepare_send(struct zt_store *s, const char *id, const char *file_override,
                          const char *key_path, char file_out[ZT_BATCH_PATH_BYTES],
                          char sig_out[ZT_BATCH_PATH_BYTES + 4]);
/* Records a hand-over and what the payer answered: the attempt always;
 * PENDING: exported -> sent; ACCEPTED/REJECTED: -> sent -> accepted, with
 * the receipt and the rejected records; REFUSED: back to exported, to be
 * sent again once fixed. ZT_ECONFLICT if the answer rejects a record that is
 * not in the batch (the attempt is then logged as failed, the batch stays
 * sent). */
int zt_batch_record_answer(struct zt_store *s, const char *id, const char *actor,
                           const struct zt_batch_answer *a);

/* ---- the payer, behind a port -------------------------------------------
 *
 * libzhitong does not link the gateways (HTTPS, a drop folder): whoever
 * sends — the CLI, the service, a test — passes the payer as a port, and
 * the engine decides what its answer, or its failure, does to the batch.
 * gateways/ builds one from the configuration (zhitong/payer_port.h).
 *
 * send and poll return 0 with *out filled: the payer's answer (ACCEPTED,
 * REJECTED with its rejects, REFUSED, PENDING: dropped, or no answer yet)
 * or FAILED — it did not reach the payer, or its answer was unusable —
 * with out->error the transport's ZT_E* code and out->message why. They
 * return a negative ZT_E* code (message set) when nothing left this
 * machine (a configuration, a local file): nothing is recorded then. The
 * answer's strings belong to the port and stay valid until its next call.
 * `bind` chooses the payer of the batch's fund before anything is checked;
 * its error stops the operation. */
struct zt_payer_port {
	void *ctx;
	int (*bind)(void *ctx, const char *fund_code, const char **gateway_name);
	int (*send)(void *ctx, const char *batch_id, const char *file, const char *sig,
	            struct zt_batch_answer *out);
	int (*poll)(void *ctx, const char *batch_id, struct zt_batch_answer *out);
};

struct zt_batch_send_req {
	const char *id;
	const char *file;          /* send: NULL: where it was exported */
	const char *key_path;      /* send: what the signature is checked with */
	const char *actor;
};
/* What came of a hand-over, a poll or an ack. */
struct zt_batch_send_res {
	enum zt_batch_outcome outcome;
	bool recorded;             /* the hand-over and the answer are stored */
	bool gateway_failed;       /* the error returned is the gateway's */
	char gateway[16];          /* "http" | "folder" | "manual" | a port's name */
	char message[256];         /* the gateway's line: the outcome, or what failed */
	struct zt_batch batch;     /* after (ACCEPTED, REJECTED, when recorded) */
};
/* `batch send`: checks the batch and its file (zt_batch_prepare_send),
 * hands it to the port and records what came of it
 * (zt_batch_record_answer). Business outcomes return 0 (res->outcome says
 * which); a hand-over that did not reach the payer is recorded and returns
 * the transport's code with "batch 'ID' did not reach the payer …"
 * (res->recorded and res->gateway_failed set): the batch stays as it was,
 * to be sent again. */
int zt_batch_send(struct zt_store *s, const struct zt_batch_send_req *req,
                  const struct zt_payer_port *port, struct zt_batch_send_res *res);
/* `batch poll`: a sent batch (or one paid before its answer) asks the port
 * for the answer; PENDING with res->recorded false when none has come
 * (nothing stored). ZT_ECONFLICT for a batch that waits for no answer. */
int zt_batch_poll(struct zt_store *s, const struct zt_batch_send_req *req,
                  const struct zt_payer_port *port, struct zt_batch_send_res *res);
/* `batch ack`: an answer that came some other way (its gateway "manual"
 * unless a->gateway says otherwise), recorded as a poll's would be. */
int zt_batch_ack(struct zt_store *s, const struct zt_batch_send_req *req,
                 const struct zt_batch_answer *a, struct zt_batch_send_res *res);

/* `batch verify`: a payer file and its signature, as a payer checks them;
 * no store. 0 with res->verdict for a file checked, good or bad (the
 * message set for a bad one); a negative code when it could not be. */
enum zt_batch_verdict {
	ZT_BATCH_FILE_GOOD,
	ZT_BATCH_FILE_BAD_SIGNATURE,
	ZT_BATCH_FILE_BAD_FILE,
};
struct zt_batch_verify_req {
	const char *file, *sig, *pubkey;
};
struct zt_batch_file_summary {
	char batch_id[ZT_BATCH_ID_BYTES];
	char fund_code[ZT_FUND_CODE_BYTES];
	int64_t count;
	zt_fen total;
	int64_t info_count;
	zt_fen info_total;
	char digest[ZT_BATCH_HEX_BYTES];
	int version; /* of the payer-file format: 1 or 2 (payer-file-2.xsd) */
};
struct zt_batch_verify_res {
	enum zt_batch_verdict verdict;
	enum zt_key_type key_type;
	struct zt_batch_file_summary summary; /* GOOD */
};
int zt_batch_verify(const struct zt_batch_verify_req *req, struct zt_batch_verify_res *res);

/* `batch repay`: pays back to the fund what batch `id` owes it (all of it,
 * or `amount_fen` when > 0), with a pain.001.001.03 credit transfer from
 * the pool's account ([pool]) to the fund's ([fund F] account, bic; the
 * fund's registry name), EndToEndId the new return id, written to
 * `out_path` (default "repay-<return id>.xml"; an existing file is never
 * replaced). In one transaction: the return, the transfer fund:F <-
 * pool:bank (kind repay, ref the return id) and an audit record; the file
 * is written beside its name first and published after the commit (a
 * failed transaction leaves no file; a crash between the two leaves the
 * repayment without its file, which req->rewrite writes again). The batch must be answered
 * by the payer (accepted or part-paid) and owe the fund money; its
 * approval by a second person is the approval of what it owes back.
 * ZT_ECONFLICT when it owes nothing back or less than `amount_fen`;
 * ZT_EINVAL for missing bank details. */
struct zt_batch_repay_req {
	const char *batch_id;
	zt_fen amount_fen;        /* 0: everything the batch is owed back */
	zt_date execution_date;   /* 0: today; never in the past          */
	const char *out_path;     /* NULL: repay-<return id>.xml           */
	const char *actor;
	/* The last repayment was recorded and its file is not at its path (a
	 * crash between the commit and the file's publication): write that file
	 * again from the record, booking nothing. Only a person who knows the
	 * file never reached the bank asks for it. */
	bool rewrite;
};
int zt_batch_repay(struct zt_store *s, const struct zt_config *cfg,
                   const struct zt_batch_repay_req *req, struct zt_batch_return *out);

/* What a payer file says, recomputed from its records (above). */
/* Reads a payer file as a stream, validates it against payer-file.xsd and
 * checks that its header and trailer agree with its records (count, total,
 * the records left out of the total, the digest). ZT_EINVAL (message says
 * what disagrees) or ZT_EMALFORMED for a file that fails. */
int zt_batch_file_check(const char *path, struct zt_batch_file_summary *out);

#endif
