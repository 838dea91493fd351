/* zhitong — batches as text and CSV (batch_text.h). */
#include "zhitong/batch_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/money.h"
#include "zhitong/render_trace.h"

/* A line: at most a path and a few fields. */
#define LINE_BYTES 4096

static int emit(struct zt_batch_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int emit(struct zt_batch_text *t, const char *fmt, ...)
{
	char buf[LINE_BYTES];
	if (t->rc)
		return t->rc;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return t->rc = zt_error_set(ZT_EINTERNAL, "cannot format a batch line");
	return t->rc = t->write(t->ctx, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static const char *yuan(char b[ZT_FMT_BYTES], zt_fen v) { return zt_format_amount(b, v); }

/* ---- list ------------------------------------------------------------- */

int zt_batch_text_list_header(struct zt_batch_text *t)
{
	return emit(t, "%-16s %-7s %-10s %9s %16s %16s  %s\n", "batch", "fund", "status", "records",
	            "total", "paid", "created");
}

int zt_batch_text_list_row(void *text, const struct zt_batch *b)
{
	char tt[ZT_FMT_BYTES], p[ZT_FMT_BYTES], when[ZT_FMT_BYTES]; /* in the pool's time zone */
	return emit(text, "%-16s %-7s %-10s %9lld %16s %16s  %s %s\n", b->id, b->fund_code,
	            zt_batch_status_name(b->status), (long long)b->count, yuan(tt, b->total),
	            yuan(p, b->paid), zt_timestamp_local(when, b->created_at), b->created_by);
}

void zt_batch_csv_header(struct zt_csv *c)
{
	zt_csv_header(c, "batch_id,fund,status,count,total,paid");
}

int zt_batch_csv_row(void *csv, const struct zt_batch *b)
{
	char t[ZT_FMT_BYTES], p[ZT_FMT_BYTES], n[32];
	snprintf(n, sizeof n, "%lld", (long long)b->count);
	const char *row[] = {b->id, b->fund_code, zt_batch_status_name(b->status), n,
	                     yuan(t, b->total), yuan(p, b->paid)};
	zt_csv_row(csv, row, sizeof row / sizeof *row);
	return 0;
}

void zt_batch_csv_records_header(struct zt_csv *c)
{
	zt_csv_header(c, "record_id,setl_id,kind,reverses,fixmedins_code,claim_no,psn_no,psn_name,"
	                 "id_no,adm_date,dscg_date,dscg_maindiag_code,medfee_sumamt,fund_kind,amount,"
	                 "payable,rejected,trace");
}

/* The trace's lines of `claim show` on one line, joined by "; ". */
static char *trace_line(const struct zt_fund_trace *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	int rc = zt_trace_text(f, t);
	if (fclose(f) != 0 || rc < 0) {
		free(text);
		return NULL;
	}
	char *o = text;
	bool line_start = true;
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			line_start = true;
			continue;
		}
		if (line_start && *p == ' ')
			continue;
		if (line_start && o != text) {
			*o++ = ';';
			*o++ = ' ';
		}
		line_start = false;
		*o++ = *p;
	}
	*o = '\0';
	return text;
}

int zt_batch_csv_record(void *csv, const struct zt_batch_record *r)
{
	char id[48], adm[ZT_FMT_BYTES], dscg[ZT_FMT_BYTES], sum[ZT_FMT_BYTES], amt[ZT_FMT_BYTES];
	char *trace = trace_line(&r->trace);
	if (!trace)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	snprintf(id, sizeof id, "%s/%d", r->setl_id, r->seq);
	const char *row[] = {id, r->setl_id, r->kind, r->reverses, r->fixmedins_code, r->claim_no,
	                     r->psn_no, r->psn_name, r->id_no, zt_format_date(adm, r->adm_date),
	                     zt_format_date(dscg, r->dscg_date), r->dscg_maindiag_code,
	                     yuan(sum, r->medfee_sumamt), r->fund_kind, yuan(amt, r->amount),
	                     r->payable ? "true" : "false", r->reject_reason, trace};
	zt_csv_row(csv, row, sizeof row / sizeof *row);
	free(trace);
	return 0;
}

static int skip_batch(void *ctx, const struct zt_batch_view *v) { return (void)ctx, (void)v, 0; }
static int skip_part(void *ctx, enum zt_batch_part p) { return (void)ctx, (void)p, 0; }
static int skip_event(void *ctx, const struct zt_batch_event *e) { return (void)ctx, (void)e, 0; }
static int skip_send(void *ctx, const struct zt_batch_send_log *l) { return (void)ctx, (void)l, 0; }
static int skip_return(void *ctx, const struct zt_batch_return *r) { return (void)ctx, (void)r, 0; }

void zt_batch_csv_show(struct zt_batch_show_visitor *v, struct zt_csv *c)
{
	*v = (struct zt_batch_show_visitor){c, skip_batch, skip_part, skip_event, skip_send,
	                                    skip_return, zt_batch_csv_record};
}

/* ---- show ------------------------------------------------------------- */

int zt_batch_text_record(void *text, const struct zt_batch_record *r)
{
	char t[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	int rc = emit(text, "  %s/%d  %-7s %-10s %-14s %-12s %s %14s%s%s%s\n", r->setl_id, r->seq,
	              r->kind, r->fixmedins_code, r->claim_no, r->psn_no,
	              zt_format_date(d, r->dscg_date), yuan(t, r->amount),
	              r->payable ? "" : "  (not payable)", r->reverses[0] ? "  reverses " : "",
	              r->reverses);
	if (rc == 0 && r->reject_reason[0])
		rc = emit(text, "      rejected by the payer: %s\n", r->reject_reason);
	return rc;
}

static int show_owed(struct zt_batch_text *t, const struct zt_batch_view *v)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	emit(t, "  returned to the fund %s; ", yuan(a, v->batch.returned));
	if (v->owes < 0)
		return emit(t, "still owed back %s (batch repay)\n", yuan(b, -v->owes));
	if (v->owes > 0)
		return emit(t, "owes %s\n", yuan(b, v->owes));
	return emit(t, "settled\n");
}

static int show_batch(void *text, const struct zt_batch_view *v)
{
	struct zt_batch_text *t = text;
	const struct zt_batch *b = &v->batch;
	char x[ZT_FMT_BYTES], u[ZT_FMT_BYTES], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], w[ZT_FMT_BYTES];
	emit(t, "batch %s  fund %s %s  %s\n", b->id, b->fund_code, b->fund_name,
	     zt_batch_status_name(b->status));
	emit(t, "  discharges %s to %s", zt_format_date(d1, b->period_from),
	     zt_format_date(d2, b->period_to));
	if (b->through)
		emit(t, " (through %s)", zt_format_date(d1, b->through));
	emit(t, "\n  %lld records, total %s", (long long)b->count, yuan(x, b->total));
	if (b->info_count)
		emit(t, " (and %lld not payable, %s)", (long long)b->info_count, yuan(u, b->info_total));
	emit(t, "\n  created %s by %s", zt_timestamp_local(w, b->created_at), b->created_by);
	if (b->approved_by[0])
		emit(t, "; approved %s by %s", zt_timestamp_local(w, b->approved_at), b->approved_by);
	emit(t, "\n");
	if (b->exported_at[0])
		emit(t, "  exported %s: %s (%s signature)\n  file SHA-256 %s\n  record digest %s\n",
		     zt_timestamp_local(w, b->exported_at), b->file_path, b->key_type, b->file_sha256,
		     b->digest);
	if (b->answered)
		emit(t, "  payer receipt %s; accepted %s (%lld records rejected); paid %s\n",
		     b->receipt[0] ? b->receipt : "-", yuan(x, b->accepted_total),
		     (long long)b->rejected_count, yuan(u, b->paid));
	else if (b->paid)
		emit(t, "  no answer from the payer yet; paid %s\n", yuan(u, b->paid));
	return v->owed_shown ? show_owed(t, v) : t->rc;
}

static int show_section(void *text, enum zt_batch_part part)
{
	static const char *const names[] = {"history:", "hand-overs:", "returned to the fund:",
	                                    "rejected by the payer:", "records:"};
	return emit(text, "%s\n", names[part]);
}

static int show_event(void *text, const struct zt_batch_event *e)
{
	char when[ZT_FMT_BYTES];
	return emit(text, "  %s  %-12s %-8s %10s -> %-10s %s\n", zt_timestamp_local(when, e->at),
	            e->actor, e->action, e->status_from[0] ? e->status_from : "", e->status_to,
	            e->detail);
}

static int show_send(void *text, const struct zt_batch_send_log *l)
{
	char when[ZT_FMT_BYTES];
	return emit(text, "  %s  %-12s %-6s %-8s attempts %d, HTTP %d%s%s, %lld rejected: %s\n",
	            zt_timestamp_local(when, l->at), l->actor, l->gateway, l->outcome, l->attempts,
	            l->http_status, l->receipt[0] ? ", receipt " : "", l->receipt,
	            (long long)l->rejected, l->message);
}

static int show_return(void *text, const struct zt_batch_return *r)
{
	char t[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	if (r->netted)
		return emit(text, "  %s  %-12s netted  %14s  by the payer in bank entry %s\n", r->at,
		            r->actor, yuan(t, r->amount), r->entry_ref);
	return emit(text, "  %s  %-12s repaid  %14s  %s, executed %s, %s: %s\n", r->at, r->actor,
	            yuan(t, r->amount), r->return_id, zt_format_date(d, r->execution_date),
	            r->confirmed ? "confirmed by the bank" : "not yet on a statement", r->file);
}

void zt_batch_text_show(struct zt_batch_show_visitor *v, struct zt_batch_text *t)
{
	*v = (struct zt_batch_show_visitor){t,          show_batch,  show_section,        show_event,
	                                    show_send, show_return, zt_batch_text_record};
}

/* ---- what came of a hand-over ------------------------------------------- */

int zt_batch_text_outcome(struct zt_batch_text *t, const char *id,
                          const struct zt_batch_send_res *res)
{
	const struct zt_batch *b = &res->batch;
	char x[ZT_FMT_BYTES], u[ZT_FMT_BYTES];
	switch (res->outcome) {
	case ZT_BATCH_OUT_PENDING:
		if (!res->recorded)
			return emit(t, "%s: no answer from the payer yet\n", id);
		return emit(t, "%s: handed over (%s): %s; 'zhitong batch poll %s' reads the payer's "
		            "answer\n", id, res->gateway, res->message, id);
	case ZT_BATCH_OUT_REFUSED:
		return emit(t, "%s: refused whole by the payer: %s; the batch is exported again, to be "
		            "sent once fixed\n", id, res->message);
	case ZT_BATCH_OUT_ACCEPTED:
		return emit(t, "%s: accepted by the payer, receipt %s, total %s\n", id, b->receipt,
		            yuan(x, b->accepted_total));
	case ZT_BATCH_OUT_REJECTED:
		return emit(t, "%s: accepted by the payer less %lld records, receipt %s: accepted %s of "
		            "%s\n", id, (long long)b->rejected_count, b->receipt[0] ? b->receipt : "-",
		            yuan(x, b->accepted_total), yuan(u, b->total));
	case ZT_BATCH_OUT_FAILED:
		break;
	}
	return t->rc;
}
