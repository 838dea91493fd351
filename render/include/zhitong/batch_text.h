/* zhitong — batches as people read them (docs/batches.md): `batch list`
 * as text or CSV, `batch show`, a record line, and what came of a
 * hand-over. From the use cases' data (batch.h); bytes out through a write
 * callback (render.h), CSV through the engine's CSV writer (csv.h). The
 * CLI and the service share them. */
#ifndef ZHITONG_BATCH_TEXT_H
#define ZHITONG_BATCH_TEXT_H

#include "zhitong/batch.h"
#include "zhitong/csv.h"
#include "zhitong/render.h"

/* Where the text goes; the first write error stops the rendering and is
 * returned by every later call. */
struct zt_batch_text {
	zt_write_fn write;
	void *ctx;
	int rc;
};

/* `batch list --format text`: the header line, then a line per batch. */
int zt_batch_text_list_header(struct zt_batch_text *t);
int zt_batch_text_list_row(void *text, const struct zt_batch *b);
/* `batch list --format csv`: batch_id,fund,status,count,total,paid. */
void zt_batch_csv_header(struct zt_csv *c);
int zt_batch_csv_row(void *csv, const struct zt_batch *b);

/* `batch show ID --records --format csv`: a row per record with what the
 * payer's reviewer reads (docs/batches.md "The records as CSV"). */
void zt_batch_csv_records_header(struct zt_csv *c);
int zt_batch_csv_record(void *csv, const struct zt_batch_record *r);
/* A visitor for zt_batch_show (with records) that writes only those rows
 * (the header written first by the caller). */
void zt_batch_csv_show(struct zt_batch_show_visitor *v, struct zt_csv *c);

/* One record, with the payer's reason on a second line if it rejected it. */
int zt_batch_text_record(void *text, const struct zt_batch_record *r);
/* A visitor for zt_batch_show that writes `batch show`. */
void zt_batch_text_show(struct zt_batch_show_visitor *v, struct zt_batch_text *t);
/* The line of what came of a hand-over, a poll or an ack (the rejected
 * records are written after it with zt_batch_text_record). */
int zt_batch_text_outcome(struct zt_batch_text *t, const char *id,
                          const struct zt_batch_send_res *res);

#endif
