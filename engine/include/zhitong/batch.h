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
 * Functions named zt_store_batch_* are the store's (SQL, store_batches.c);
 * the ones that change state expect the caller's transaction. The zt_batch_*
 * functions are the domain (batch.c): they open their own transactions. */
#ifndef ZHITONG_BATCH_H
#define ZHITONG_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "money.h"
#include "policy.h"
#include "sign.h"
#include "store.h"

/* "B390100-000001": B, the fund code, a dash, the fund's batch number
 * (six digits, more if ever needed). At most ZT_ID_CHARS_MAX (35)
 * characters: it goes into a bank transfer's reference and is the
 * gateway's idempotency key. A batch id is held in ZT_ID_BYTES; the old
 * name stays as an alias while the store files still use it. */
#define ZT_BATCH_ID_BYTES ZT_ID_BYTES
/* A record of the payer file is "SETL_ID/SEQ": the settlement and the
 * share's position in its setldetail. */
#define ZT_BATCH_RECORD_ID_BYTES 64
/* Hex SHA-256 and its NUL. */
#define ZT_BATCH_HEX_BYTES 65
#define ZT_BATCH_PATH_BYTES 1024
#define ZT_BATCH_ACTOR_BYTES ZT_ACTOR_BYTES /* alias of limits.h's, for the store files */

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
/* "draft", "approved", … "part-paid" (the names of `batch list`). */
const char *zt_batch_status_name(enum zt_batch_status st);
/* 0, or ZT_EINVAL for a name that is no status. */
int zt_batch_status_parse(enum zt_batch_status *out, const char *name);

struct zt_batch {
	char id[ZT_ID_BYTES];
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
	char created_at[32], created_by[ZT_ACTOR_BYTES];
	char approved_at[32], approved_by[ZT_ACTOR_BYTES]; /* "" until approved */
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
	const char *trace;         /* XML fragment (settlement.xsd *Trace types) */
	const char *reject_reason; /* "" unless the payer rejected this record */
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
};

struct zt_batch_send_log {
	const char *at, *actor, *gateway, *outcome, *receipt, *message;
	int attempts, http_status;
	int64_t rejected;
};

/* ---- store (store_batches.c) --------------------------------------- */

/* Puts every share of `fund_code` that is in no batch yet — discharged on
 * or before `through` (0: any date), and for a reversal, only once the
 * batch of the share it reverses has the payer's answer — into a new draft
 * batch. In the caller's transaction. *count_out 0 means there was nothing
 * to batch: the caller rolls back (the empty batch row must not stay). */
int zt_store_batch_create(struct zt_store *s, const char *fund_code, zt_date through,
                          const char *actor, char id_out[ZT_ID_BYTES],
                          int64_t *count_out);
/* The same selection, added to the rejected batch `id` (which becomes a
 * draft again); its count, total and period are recomputed. */
int zt_store_batch_reopen(struct zt_store *s, const char *id, const char *actor,
                          const char *reason, int64_t *added_out);
/* 0, or ZT_ENOTFOUND (message set). */
int zt_store_batch_get(struct zt_store *s, const char *id, struct zt_batch *out);
/* Every batch, of one fund or (NULL) all, in creation order. */
int zt_store_batch_list(struct zt_store *s, const char *fund_code,
                        int (*cb)(void *ctx, const struct zt_batch *b), void *ctx);
/* Moves `id` from `from` to `to` and records the event (from == to
 * records an event without a move, e.g. a re-export). ZT_ECONFLICT if the
 * batch is not in `from`. */
int zt_store_batch_set_status(struct zt_store *s, const char *id, enum zt_batch_status from,
                              enum zt_batch_status to, const char *actor, const char *action,
                              const char *detail);
/* Whether `actor` made the batch's content: created it or reopened it. */
int zt_store_batch_is_maker(struct zt_store *s, const char *id, const char *actor,
                            bool *out);
/* draft -> approved, with the approver. */
int zt_store_batch_set_approved(struct zt_store *s, const char *id, const char *actor);
/* Stores what the export wrote (the first export sets the digest). */
int zt_store_batch_set_exported(struct zt_store *s, const char *id, const char *file_path,
                                const char *file_sha256, const char *digest,
                                const char *key_type, const char *actor);
/* Appends to the log of hand-overs. */
int zt_store_batch_add_send(struct zt_store *s, const char *id, const char *actor,
                            const struct zt_batch_answer *a);
/* Marks the records the payer rejected. ZT_ECONFLICT (nothing marked) if
 * one is not in the batch or is named twice. */
int zt_store_batch_reject_records(struct zt_store *s, const char *id,
                                  const struct zt_batch_reject *rejects, size_t n);
/* Records the payer's answer: accepted_total = total less the payable
 * claims (positive records) it rejected and less the payable reversals, in
 * this batch, of claims it rejected (a rejected claim and its reversal
 * billed together cancel out). A rejected reversal takes nothing off: the
 * accepted total is never above the total. sent -> accepted; an answer
 * that comes after a payment (part-paid, paid) is recorded too, and the
 * batch becomes paid or part-paid by what it then owes (an answer that
 * takes records out of a batch paid whole leaves money owed back).
 * ZT_ECONFLICT if the batch has an answer already or is in another
 * status; ZT_ERANGE if a sum would overflow. */
int zt_store_batch_set_accepted(struct zt_store *s, const char *id, const char *receipt,
                                const char *actor);
/* The reconciliation hook: a payment matched to batch `id` (sent,
 * accepted or part-paid). Adds `amount_fen` (> 0, at most what the batch
 * owes: ZT_ECONFLICT beyond) to paid; the batch becomes paid when it owes
 * nothing more, part-paid before. ZT_ECONFLICT in any other status. `ref`
 * (the bank entry) goes into the event. */
int zt_store_batch_add_payment(struct zt_store *s, const char *id, zt_fen amount_fen,
                               const char *actor, const char *ref);
/* The same when the caller has just read the batch in this transaction
 * (its status, what it is due, what was paid and returned): one statement
 * less per payment, and the update still checks that the batch is as
 * read. */
int zt_store_batch_pay_known(struct zt_store *s, const char *id, enum zt_batch_status status,
                             zt_fen due, zt_fen paid_before, zt_fen returned, zt_fen amount_fen,
                             const char *actor, const char *ref);

/* ---- money owed back (store_batches.c, repay.c) ---------------------- */

/* "B390100-000002-R1": the batch id, -R, the batch's repayment number
 * (an id: ZT_ID_BYTES; the old name is an alias). */
#define ZT_BATCH_RETURN_ID_BYTES ZT_ID_BYTES

/* Money paid back to a fund for a batch. */
struct zt_batch_return {
	int64_t row;
	char batch_id[ZT_ID_BYTES];
	char fund_code[ZT_FUND_CODE_BYTES];
	bool netted;                               /* netted by the payer; else repaid  */
	char return_id[ZT_ID_BYTES];  /* repaid: the EndToEndId; "" netted */
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

/* Records money paid back to the fund for batch `id` (the caller books the
 * ledger): r->amount (> 0) at most what the pool owes (-owes; ZT_ECONFLICT
 * beyond, or when the batch is not answered: accepted or part-paid).
 * Adds it to returned; the batch becomes paid when it owes nothing more,
 * part-paid before. Fills r->row and r->at. In the caller's transaction. */
int zt_store_batch_add_return(struct zt_store *s, struct zt_batch_return *r);
/* The number of repayments of a batch so far (for the next return id). */
int zt_store_batch_repay_count(struct zt_store *s, const char *id, int64_t *out);
/* 0, or ZT_ENOTFOUND (no message). */
int zt_store_batch_return_get(struct zt_store *s, const char *return_id,
                              struct zt_batch_return *out);
/* The returns of a batch, oldest first. */
int zt_store_batch_returns(struct zt_store *s, const char *id,
                           int (*cb)(void *ctx, const struct zt_batch_return *r), void *ctx);

/* Streams the records of batch `id` in file order (settlement, then
 * share), with constant memory whatever the batch's size. */
struct zt_batch_cursor;
int zt_store_batch_records(struct zt_store *s, const char *id, bool only_rejected,
                           struct zt_batch_cursor **out);
/* 1 and *out filled, 0 at the end, or a negative ZT_E*. */
int zt_batch_cursor_next(struct zt_batch_cursor *c, struct zt_batch_record *out);
void zt_batch_cursor_free(struct zt_batch_cursor *c);

int zt_store_batch_events(struct zt_store *s, const char *id,
                          int (*cb)(void *ctx, const struct zt_batch_event *e), void *ctx);
int zt_store_batch_sends(struct zt_store *s, const char *id,
                         int (*cb)(void *ctx, const struct zt_batch_send_log *l), void *ctx);

/* ---- domain (batch.c) ---------------------------------------------- */

/* `batch create`: id_out "" and *count_out 0 when there is nothing to
 * batch (nothing is written then). ZT_ENOTFOUND for an unknown fund. */
int zt_batch_create(struct zt_store *s, const char *fund_code, zt_date through,
                    const char *actor, char id_out[ZT_ID_BYTES], int64_t *count_out);
/* Maker-checker: ZT_ECONFLICT when `actor` created or reopened the batch,
 * or the batch is not a draft. */
int zt_batch_approve(struct zt_store *s, const char *id, const char *actor);
/* draft -> rejected, with the checker's reason. */
int zt_batch_reject(struct zt_store *s, const char *id, const char *actor, const char *reason);
/* rejected -> draft, adding every share that has become billable. */
int zt_batch_reopen(struct zt_store *s, const char *id, const char *actor, const char *reason,
                    int64_t *added_out);

struct zt_batch_export_info {
	int64_t count;
	zt_fen total;
	char digest[ZT_BATCH_HEX_BYTES];      /* of the records (see docs/batches.md) */
	char file_sha256[ZT_BATCH_HEX_BYTES]; /* of the whole file */
	enum zt_key_type key_type;
	char sig_path[ZT_BATCH_PATH_BYTES + 4];
};
/* Writes the payer file of batch `id` (approved or later) to `out_path`
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
 * full disk — leaves neither file nor signature of this export behind.
 * Everything in the file comes from the store, so exporting again gives the
 * same bytes; the first export moves the batch to exported and keeps the
 * record digest, which every later export must reproduce (ZT_EINTERNAL if
 * not: a record changed under the batch). */
int zt_batch_export(struct zt_store *s, const char *id, const char *out_path,
                    const char *key_path, const char *actor, int out_flags,
                    struct zt_batch_export_info *info);

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

/* `batch repay`: pays back to the fund what batch `id` owes it (all of it,
 * or `amount_fen` when > 0), with a pain.001.001.03 credit transfer from
 * the pool's account ([pool]) to the fund's ([fund F] account, bic; the
 * fund's registry name), EndToEndId the new return id, written to
 * `out_path` (default "repay-<return id>.xml"; an existing file is never
 * replaced). In one transaction: the return, the transfer fund:F <-
 * pool:bank (kind repay, ref the return id) and an audit record; the file
 * is removed again if the transaction fails. The batch must be answered
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
};
int zt_batch_repay(struct zt_store *s, const struct zt_config *cfg,
                   const struct zt_batch_repay_req *req, struct zt_batch_return *out);

/* What a payer file says, recomputed from its records. */
struct zt_batch_file_summary {
	char batch_id[ZT_ID_BYTES];
	char fund_code[ZT_FUND_CODE_BYTES];
	int64_t count;
	zt_fen total;
	int64_t info_count;
	zt_fen info_total;
	char digest[ZT_BATCH_HEX_BYTES];
};
/* Reads a payer file as a stream, validates it against payer-file.xsd and
 * checks that its header and trailer agree with its records (count, total,
 * the records left out of the total, the digest). ZT_EINVAL (message says
 * what disagrees) or ZT_EMALFORMED for a file that fails. */
int zt_batch_file_check(const char *path, struct zt_batch_file_summary *out);

#endif
