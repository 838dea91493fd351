/* zhitong — settling claim files: read, check, split, store, answer.
 *
 * The stateful shell around the pure split: it streams a claim file,
 * checks each claim in the order of the rejection codes, reads the
 * person's accumulators, calls zt_classify and zt_split, writes everything
 * in the caller-visible transaction, and answers in the settlement format.
 *
 * A file is settled in one transaction: a file that turns out not to be
 * well-formed half-way is refused whole with nothing stored (docs/spec/interfaces.md),
 * and a crash at any instant leaves the database as before the file, so a
 * retry gives the same answer. The answer is spooled to a temporary file
 * and written to `out` only after the commit. */
#ifndef ZHITONG_SETTLE_H
#define ZHITONG_SETTLE_H

#include <stdint.h>
#include <stdio.h>

#include "claim_stream.h"
#include "source.h"
#include "split.h"
#include "store.h"

struct zt_settle_stats {
	uint64_t claims;      /* claims read */
	uint64_t settled;     /* newly settled (or, in a quote, would be) */
	uint64_t resent;      /* identical resend: the stored settlement returned */
	uint64_t rejected;
	uint64_t rejected_by[ZT_REJ_LAST + 1];
	zt_fen medfee_total, fund_total, hosp_total, psn_total;
	zt_fen hifp_total, hifmi_total, maf_total, oth_total;
	bool totals_overflow; /* the totals passed int64: they stop at the claims before */
};

struct zt_settle_opts {
	bool quote;           /* answer, then roll everything back */
	const char *actor;    /* recorded with each settlement */
	zt_date today;        /* discharge dates after this are bad-dates (0 = today, in the
	                       * pool's time zone); after today: ZT_EINVAL */
	/* Called now and then with the bytes consumed and the file size
	 * (0 if unknown, e.g. a pipe). */
	void (*progress)(void *ctx, uint64_t claims, uint64_t bytes, uint64_t size);
	void *progress_ctx;
	/* Optional: each answer also as data, in input order, for another
	 * rendering than the XML (the desk's text of `claim quote --format
	 * text`). Called while the file is read, before it is known to be
	 * whole: a caller spools what it renders and shows it only when
	 * zt_settle_file returns 0. `stored_before` marks an identical resend
	 * answered with the stored settlement; `code` is a rejection code name. */
	void (*on_settlement)(void *ctx, const struct zt_stored_settlement *st, bool stored_before);
	void (*on_rejection)(void *ctx, const char *hospital, const char *claim_no, const char *code,
	                     const char *message);
	void *answer_ctx;
};

/* Settles (or quotes) every claim of the file at `path` ("-" = stdin) and
 * writes one <settlements> document to `out` (NULL: none; the answer
 * callbacks of `o` may render it instead).
 * Returns 0 when the file was processed (look at stats->rejected for exit
 * status 1), ZT_EMALFORMED / ZT_EINVAL when the file is refused whole
 * (nothing written to out, nothing stored), a storage error, or
 * ZT_ENOTDELIVERED when the settlements were committed but the answer could
 * not be written to `out` (a closed pipe, a full disk): the message says
 * so, and submitting the same file again returns the stored settlements. */
int zt_settle_file(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                   FILE *out, struct zt_settle_stats *stats);

/* The same for claims read from a source (source.h) in either format
 * (claim_stream.h): what zt_settle_file does once it has opened the path,
 * and what the use cases will call with a request's body. The answer is a
 * settlement v1 document for a v1 input, v2 for a v2 or JSON input (for
 * now the v1 content in the v2 namespace: a v2 claim carrying <national>
 * is rejected national-unexpected, docs/spec/claim-v2-national.md §3). */
int zt_settle_source(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                     const struct zt_settle_opts *o, FILE *out, struct zt_settle_stats *stats);

/* Reverses the live settlement of (hospital, claim_no) per docs/spec/split.md §6 and
 * writes the reversing settlement (or a not-settled rejection) as a
 * <settlements> document. *rejected is set when nothing was reversed.
 * ZT_ENOTDELIVERED when the reversal was committed but could not be written
 * to `out` (the message names it and how to see it: claim show). */
int zt_settle_reverse(struct zt_store *s, const char *hospital, const char *claim_no,
                      const char *reason, const char *actor, FILE *out, bool *rejected);

/* Writes the reversal of stored settlement `orig` (docs/spec/split.md §6) in
 * the caller's write transaction: a settlement of kind 'reverse' with its
 * shares and their traces, the accumulators taken back (ZT_EINTERNAL if one
 * would go below zero), the opposite postings. No audit record: the
 * caller's. */
int zt_settle_reversal_write(struct zt_store *s, const struct zt_stored_settlement *orig,
                             const char *reason, const char *actor, char setl_id_out[32],
                             int64_t *row_out);

/* Writes a stored settlement as one <settlement> element of a complete
 * <settlements> document (used by `claim show --format xml`). */
int zt_settle_write_stored(FILE *out, const struct zt_stored_settlement *const *list, int n);

#endif
