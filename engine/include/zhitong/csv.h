/* zhitong — CSV for spreadsheets and scripts: one writer for every CSV
 * zhitong prints (batch list, reconcile report and exceptions, advance
 * plan/show/status/list, ledger balance/transfers, claim list, batch show
 * --records).
 *
 * Quoting is RFC 4180 (a cell holding a comma, a quotation mark, CR or LF is
 * quoted and its quotes doubled); lines end with LF. A cell is also made
 * safe for spreadsheets (OWASP "CSV injection"): text that begins with
 * '=', '+', '-', '@', a tab or a carriage return — which Excel, WPS and
 * LibreOffice would take for a formula — is written with a leading single
 * quote and quoted ("'=HYPERLINK(…)"), so it shows as the text it is and
 * never runs. A number in the form zhitong writes amounts and counts in
 * (-?digits[.digits]: "-12.50", "0.00", "42") is left as it is and stays a
 * number. Names, remittance text, reasons and notes come from outside and
 * may hold anything; the writer, not each command, takes care of it.
 *
 * A UTF-8 byte order mark on request (--bom) makes Excel on a Chinese
 * Windows read the file as UTF-8 rather than GBK. */
#ifndef ZHITONG_CSV_H
#define ZHITONG_CSV_H

#include <stdbool.h>
#include <stdio.h>

struct zt_csv {
	FILE *f;
	bool row_started;
};

/* Starts a CSV document on `f`, with a UTF-8 byte order mark if `bom`. */
void zt_csv_init(struct zt_csv *c, FILE *f, bool bom);
/* The header line, given as constant text ("a,b,c"): written as it is. */
void zt_csv_header(struct zt_csv *c, const char *names);
/* One cell (NULL is an empty cell). */
void zt_csv_cell(struct zt_csv *c, const char *v);
/* Ends the row. */
void zt_csv_end(struct zt_csv *c);
/* n cells and the end of the row. */
void zt_csv_row(struct zt_csv *c, const char *const *cells, size_t n);

/* Whether `v` is a number as zhitong writes them: -?[0-9]+(\.[0-9]+)? */
bool zt_csv_is_number(const char *v);
/* Whether a spreadsheet would take `v` for a formula (see above). */
bool zt_csv_needs_neutralising(const char *v);

#endif
