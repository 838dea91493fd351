/* zhitong — ISO 20022 bank files: the pain.001.001.03 credit transfer we
 * send (advances) and the camt.053 statements we read (reconciliation).
 *
 * Pure format modules: no database. Both validate against the official
 * XSDs embedded in the binary (schema/iso20022): a pain.001 is checked
 * before it is renamed into place, a camt.053 before the first entry is
 * reported (docs/spec/money-flow.md "Advances", "Reconciliation";
 * docs/spec/background-formats.md §1). */
#ifndef ZHITONG_ISO20022_H
#define ZHITONG_ISO20022_H

#include <stdbool.h>
#include <stddef.h>

#include "zhitong/money.h"
#include "zhitong/outfile.h"
#include "zhitong/source.h"

/* ---- pain.001.001.03 ------------------------------------------------ */

struct zt_pain_party {
	const char *name;            /* Nm: 1..140 characters                       */
	const char *iban_or_account; /* a valid IBAN (mod 97) goes to Id/IBAN; any
	                              * other account number (China has no IBAN) to
	                              * Id/Othr/Id: 1..34 of [A-Za-z0-9-/]          */
	const char *bic;             /* may be NULL → FinInstnId/Othr/Id NOTPROVIDED */
};

struct zt_pain_tx {
	const char *end_to_end_id; /* ≤35, [A-Za-z0-9/-?:().,'+ ], unique in the message */
	zt_fen amount;             /* > 0                                             */
	const char *currency;      /* "CNY"; every transaction in one currency        */
	struct zt_pain_party creditor;
	const char *remittance;    /* ≤140 characters, may be NULL (or "": none)      */
};

struct zt_pain_msg {
	const char *msg_id;         /* ≤35, same characters as EndToEndId              */
	const char *created;        /* xs:dateTime, e.g. "2024-03-01T09:30:00"         */
	const char *initiator_name; /* NULL: the debtor's name                         */
	const char *pmt_inf_id;     /* ≤35, same characters as EndToEndId              */
	zt_date execution_date;     /* ReqdExctnDt                                     */
	struct zt_pain_party debtor;
	size_t tx_count;            /* ≥ 1                                             */
	const struct zt_pain_tx *txs;
};

/* Writes one pain.001.001.03 message (one PmtInf, TRF) to `path` through
 * the safe output (outfile.h): streamed to a temporary file in the same
 * directory, fsync'd, read back and validated against the official XSD,
 * then renamed to `path` (and the directory fsync'd). NbOfTxs and CtrlSum
 * (group and PmtInf) are the count and exact sum of the transactions. An
 * invalid field is refused (ZT_EINVAL/ZT_ERANGE, naming the field) before
 * anything is written. A payment file is never written over another: an
 * existing file at `path` is refused (ZT_ECONFLICT) unless it holds exactly
 * these bytes (*result ZT_OUT_SAME, left as it is), and a symbolic link or
 * a directory there is refused (ZT_EINVAL). On any failure nothing is left
 * at `path` or beside it. The file is created readable by its owner only
 * (payment instructions). `result` may be NULL. */
int zt_pain001_write(const struct zt_pain_msg *m, const char *path,
                     enum zt_outfile_result *result);

struct zt_outfile;
/* zt_pain001_write but for the last step: the file is written, synced and
 * validated, and *out is left unpublished — nothing at `path` yet. The
 * caller publishes it (zt_outfile_publish) once what the file pays is
 * committed, so that a payment file never exists for money the ledger
 * does not hold, and frees it (zt_outfile_free, which removes an
 * unpublished file). */
int zt_pain001_prepare(const struct zt_pain_msg *m, const char *path, struct zt_outfile **out,
                       enum zt_outfile_result *result);

/* The rule for EndToEndId, MsgId and PmtInfId: 1..35 characters of
 * [A-Za-z0-9/-?:().,'+ ], no leading or trailing space. `what` names the
 * field in the message. 0 or ZT_EINVAL. */
int zt_pain001_check_id(const char *what, const char *id);

/* ---- camt.053.001.02 / .08 ------------------------------------------ */

struct zt_camt_entry {
	/* Entry AcctSvcrRef, else NtryRef, else "". When one entry is split
	 * into several transactions (below), "#k" is appended (k = 1-based
	 * position of the TxDtls in the entry) so that every reported
	 * transaction has its own reference. */
	char entry_ref[64];
	/* Hex SHA-256 of the canonical form below plus the occurrence number
	 * of that form in the file, so that identical unreferenced entries
	 * stay distinct and a re-imported file gives the same digests. */
	char digest[65];
	bool credit;           /* CdtDbtInd CRDT (a split transaction's own, v08)      */
	zt_fen amount;         /* ≥ 0                                              */
	char currency[4];
	zt_date booking_date;  /* BookgDt Dt, or the date part of DtTm; 0 if absent */
	zt_date value_date;    /* same for ValDt                                   */
	char status[8];        /* BOOK PDNG INFO FUTR (v02 text, v08 Cd or Prtry)  */
	bool reversal;         /* RvslInd true                                     */
	char end_to_end_id[36];/* Refs/EndToEndId; "" if absent or NOTPROVIDED     */
	/* TxDtls/RmtInf/Ustrd lines joined with ' '. Whole lines only: a line
	 * that would not fit (with the ones after it) is left out, never cut. */
	char remittance[512];
	/* The transaction's other Refs, space-separated, whole ones that fit, in
	 * this order: InstrId TxId PmtInfId MsgId AcctSvcrRef ClrSysRef
	 * (NOTPROVIDED skipped). */
	char tx_ref[64];
};

struct zt_camt_statement {
	char msg_id[64];   /* GrpHdr/MsgId                                   */
	char stmt_id[64];  /* Stmt/Id                                        */
	char account[64];  /* Acct/Id/IBAN or Acct/Id/Othr/Id                */
	char currency[4];  /* Acct/Ccy, else the currency of the first Bal   */
	int version;       /* 2 or 8                                         */
};

typedef int (*zt_camt_entry_cb)(void *ctx, const struct zt_camt_statement *st,
                                const struct zt_camt_entry *e);

/* Reads a camt.053.001.02 or .08 statement file (chosen by the root
 * namespace; anything else is refused) with the hardened XML rules, checks
 * it against the official XSD and every value it will report (amounts must
 * be whole fen, references must fit their fields), and only then calls
 * `cb` (may be NULL: check only) once per reported transaction, per
 * Stmt/Ntry:
 *  - no TxDtls, or exactly one: one call with the entry's booked amount
 *    and direction (and that one transaction's refs and remittance);
 *  - several TxDtls (over any number of NtryDtls): one call per TxDtls
 *    with its own amount (v08 TxDtls/Amt, else AmtDtls/TxAmt/Amt) and
 *    direction — provided each states an amount in the entry's currency
 *    and together, credits minus debits, they make exactly the entry's
 *    amount. Otherwise one call for the entry as a whole (its amount, the
 *    remittance of all its TxDtls, no EndToEndId or other refs): what was
 *    booked is never divided by guesswork.
 *
 * Returns 0, a negative ZT_E* (no callback made), or the first non-zero
 * value a callback returned (reading stops there).
 *
 * Canonical form hashed for `digest` (stable: stored digests depend on it):
 *   "zt-camt-entry-v1\n" then, each as NAME '=' LEN ':' BYTES '\n', in order:
 *   account currency credit(C|D) amount(fen) booking_date value_date status
 *   reversal(0|1) entry_ref(without "#k") end_to_end_id tx_ref remittance
 *   (the last two in full, before any shortening), then "n=" K '\n' where K
 *   is the 1-based occurrence of this same form in the file so far.
 *   Dates are yyyymmdd or 0; numbers in decimal. */
int zt_camt053_read(const char *path, zt_camt_entry_cb cb, void *ctx);
/* The same in a single pass, validating as it reports: entries already
 * reported stand even if a later part of the file is refused. Only for a
 * caller that undoes everything on an error (reconciliation imports a
 * statement in one transaction); twice as fast on big statements. */
int zt_camt053_read_once(const char *path, zt_camt_entry_cb cb, void *ctx);
/* zt_camt053_read_once on a statement from a source (source.h) — the
 * bytes of a request, an open file: the way the engine's use cases read
 * one. Messages name it by the source's name. */
int zt_camt053_read_source(const struct zt_source *src, zt_camt_entry_cb cb, void *ctx);

/* zt_camt053_read_source on a thread of its own, feeding a bounded ring, so
 * that parsing and validating the statement overlap with what the caller
 * does with each entry. Same contract: undo everything if the stream ends
 * in an error. */
struct zt_camt_stream;
/* `src` must outlive the stream; it is read on the stream's thread only. */
int zt_camt053_stream_open(struct zt_camt_stream **out, const struct zt_source *src);
/* 1 and the next entry (valid until the next call), 0 at the end, or the
 * refusal (negative, zt_error_last() set on the caller's thread). */
int zt_camt053_stream_next(struct zt_camt_stream *s, const struct zt_camt_statement **st,
                           const struct zt_camt_entry **e);
void zt_camt053_stream_close(struct zt_camt_stream *s);

#endif
