/* zhitong — reconciliation rendered (render/src/recon_report.c): what the
 * use cases of reconcile.h return, as text, CSV (through the CSV writer,
 * csv.h) and HTML, for the CLI and the HTTP service alike.
 *
 * Pure: data in, bytes out to a FILE (a file, stdout, or an
 * open_memstream buffer for a response body); no store. Every format is
 * the one `zhitong reconcile` has always printed (docs/reconciliation.md). */
#ifndef ZHITONG_RECON_RENDER_H
#define ZHITONG_RECON_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "zhitong/csv.h"
#include "zhitong/reconcile.h"

/* One exception on one line: id, kind, what it is about, amount, detail. */
void zt_recon_render_exception_line(FILE *f, const struct zt_recon_exception *x);

/* The list of exceptions, text (a line each, and a line for its
 * resolution) or CSV (with its header, `bom`: a UTF-8 byte order mark). */
struct zt_recon_exceptions_out {
	bool csv;
	struct zt_csv w;
	FILE *f;
};
void zt_recon_exceptions_out_init(struct zt_recon_exceptions_out *o, FILE *f, bool csv, bool bom);
/* A zt_recon_exception_cb: ctx is the zt_recon_exceptions_out. */
int zt_recon_render_exception_row(void *ctx, const struct zt_recon_exception *x);

/* The report: text; CSV, one table with a `section` column; HTML, one
 * self-contained page with a chart of billed against paid. */
void zt_recon_render_report_text(FILE *f, const struct zt_recon_report *r);
void zt_recon_render_report_csv(FILE *f, bool bom, const struct zt_recon_report *r);
void zt_recon_render_report_html(FILE *f, const struct zt_recon_report *r);

#endif
