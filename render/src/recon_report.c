/* zhitong — reconciliation as people and spreadsheets read it: the
 * exceptions (a line, a CSV row), the report as text, CSV and one HTML page
 * (see recon_render.h; docs/reconciliation.md). Pure: data in, bytes out. */
#include "zhitong/recon_render.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/date.h"
#include "zhitong/money.h"

#include "text_table.h"

static const char *yuan(char b[ZT_FMT_BYTES], zt_fen v) { return zt_format_amount(b, v); }

/* ---- output helpers ---------------------------------------------------------- */

static void html_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* What an exception is about: its batch or advance, else its bank entry. */
static const char *subject(const struct zt_recon_exception *x)
{
	return x->return_id[0] ? x->return_id
	       : x->batch_id[0] ? x->batch_id
	       : x->advance_id[0] ? x->advance_id
	                          : x->entry_ref;
}

void zt_recon_render_exception_line(FILE *f, const struct zt_recon_exception *x)
{
	char y[ZT_FMT_BYTES];
	fprintf(f, "%-11s %-9s %-20s %14s  %s\n", x->exc_id, zt_recon_kind_name(x->kind), subject(x),
	        yuan(y, x->amount), x->detail);
}


/* ---- exceptions ------------------------------------------------------------------ */



int zt_recon_render_exception_row(void *ctx, const struct zt_recon_exception *x)
{
	struct zt_recon_exceptions_out *l = ctx;
	char y[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	if (!l->csv) {
		zt_recon_render_exception_line(l->f, x);
		if (x->resolved)
			fprintf(l->f, "%11s %s by %s at %s%s%s: %s\n", "",
			        zt_recon_resolution_name(x->resolution), x->resolved_by,
			        zt_timestamp_local(d, x->resolved_at), x->target[0] ? ", " : "", x->target,
			        x->note);
		return 0;
	}
	const char *f[] = {x->exc_id,     zt_recon_kind_name(x->kind),
	                   x->entry_ref,  x->batch_id,
	                   x->advance_id, yuan(y, x->amount),
	                   zt_format_date(d, x->since), x->detail,
	                   x->raised_at,  x->raised_by,
	                   x->resolved ? zt_recon_resolution_name(x->resolution) : "",
	                   x->target,     x->note,
	                   x->resolved_at, x->resolved_by};
	zt_csv_row(&l->w, f, sizeof f / sizeof *f);
	return 0;
}

/* ---- report ------------------------------------------------------------------------ */

static const char *kind_zh(enum zt_recon_kind k);

static int64_t age(zt_date from, zt_date as_of)
{
	if (!from)
		return -1;
	int64_t d = zt_date_days_between(from, as_of);
	return d < 0 ? 0 : d;
}

static const char *age_text(char b[32], int64_t days)
{
	if (days < 0)
		snprintf(b, 32, "-");
	else
		snprintf(b, 32, "%lld", (long long)days);
	return b;
}

static const char *overdue_subject(const struct zt_recon_overdue *o)
{
	return o->return_id[0] ? o->return_id : o->batch_id[0] ? o->batch_id : o->advance_id;
}

/* The text report, for a terminal: the same sections as the HTML page, in
 * Chinese, each a table whose columns line up with Chinese names
 * (text_table.h). */
void zt_recon_render_report_text(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES], e[ZT_FMT_BYTES],
		g[32], n[32];
	struct zt_table t;
	fprintf(f, "资金对账报告（%s%s%s截至 %s，%s）\n", r->pools[0] ? "资金池 " : "", r->pools,
	        r->pools[0] ? "；" : "", zt_format_date(a, r->as_of), zt_zone_name(zt_date_pool_zone()));

	fputs("\n基金\n", f);
	static const bool fund_right[] = {false, false, true, true, true, true, true, true, true};
	zt_table_init(&t, 9, fund_right);
	zt_table_row(&t, (const char *const[]){"基金编码", "基金名称", "已开票", "已到账", "已核销",
	                                       "已退回", "未到账", "未结批次", "最早未结（天）"});
	for (size_t i = 0; i < r->fund_count; i++) {
		const struct zt_recon_fund_line *l = &r->funds[i];
		snprintf(n, sizeof n, "%lld", (long long)l->open_batches);
		zt_table_row(&t, (const char *const[]){
		                     l->fund_code, l->fund_name, yuan(a, l->billed), yuan(b, l->paid),
		                     yuan(c, l->written_off), yuan(e, l->returned),
		                     yuan(d, l->outstanding), n, age_text(g, age(l->oldest_sent, r->as_of))});
	}
	zt_table_print(&t, f, 0);
	zt_table_free(&t);

	fputs("\n医疗机构\n", f);
	static const bool hosp_right[] = {false, false, true, true, true, true};
	zt_table_init(&t, 6, hosp_right);
	zt_table_row(&t, (const char *const[]){"机构编码", "机构名称", "预付金额", "银行已确认",
	                                       "结算应得", "余额"});
	for (size_t i = 0; i < r->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &r->hospitals[i];
		if (!h->advanced && !h->earned && !h->balance)
			continue; /* nothing ever moved: the registry's other hospitals */
		zt_table_row(&t, (const char *const[]){h->hospital, h->name, yuan(a, h->advanced),
		                                       yuan(b, h->confirmed), yuan(c, h->earned),
		                                       yuan(d, h->balance)});
	}
	zt_table_print(&t, f, 0);
	zt_table_free(&t);

	fprintf(f, "\n未处理的异常：%zu\n", r->exception_count);
	if (r->exception_count) {
		static const bool exc_right[] = {false, false, false, true, true, false};
		zt_table_init(&t, 6, exc_right);
		zt_table_row(&t, (const char *const[]){"异常编号", "类型", "对象", "金额", "已过天数",
		                                       "说明"});
		for (size_t i = 0; i < r->exception_count; i++) {
			const struct zt_recon_exception *x = &r->exceptions[i];
			zt_table_row(&t, (const char *const[]){x->exc_id, kind_zh(x->kind), subject(x),
			                                       yuan(a, x->amount),
			                                       age_text(g, age(x->since, r->as_of)),
			                                       x->detail});
		}
		zt_table_print(&t, f, 0);
		zt_table_free(&t);
	}

	fprintf(f, "\n待批次发送后匹配的银行流水：%zu\n", r->open_count);
	if (r->open_count) {
		static const bool open_right[] = {false, false, true, false, false};
		zt_table_init(&t, 5, open_right);
		zt_table_row(&t, (const char *const[]){"银行流水", "收支", "金额", "记账日期", "附言"});
		for (size_t i = 0; i < r->open_count; i++) {
			const struct zt_recon_open_line *o = &r->open[i];
			zt_table_row(&t, (const char *const[]){o->ref, o->credit ? "收入" : "支出",
			                                       yuan(a, o->amount),
			                                       zt_format_date(b, o->booking_date),
			                                       o->remittance});
		}
		zt_table_print(&t, f, 0);
		zt_table_free(&t);
	}

	fprintf(f, "\n逾期未到、尚未列为异常：%zu%s\n", r->overdue_count,
	        r->overdue_count ? "（运行 zhitong reconcile match 将其列为异常）" : "");
	if (r->overdue_count) {
		static const bool over_right[] = {false, false, true, true};
		zt_table_init(&t, 4, over_right);
		zt_table_row(&t, (const char *const[]){"对象", "类型", "金额", "已过天数"});
		for (size_t i = 0; i < r->overdue_count; i++) {
			const struct zt_recon_overdue *o = &r->overdue[i];
			zt_table_row(&t, (const char *const[]){overdue_subject(o), kind_zh(o->kind),
			                                       yuan(a, o->amount),
			                                       age_text(g, age(o->since, r->as_of))});
		}
		zt_table_print(&t, f, 0);
		zt_table_free(&t);
	}
	fprintf(f, "\n统筹基金银行账户（pool:bank）余额 %s；待查账户（%s）余额 %s%s\n",
	        yuan(e, r->pool_bank), ZT_ACCOUNT_SUSPENSE, yuan(a, r->suspense),
	        r->pools[0] ? "（本报告所含资金池的账户）" : "");
}

/* returned was added last, so that the columns before keep their places */
#define CSV_COLUMNS 17

void zt_recon_render_report_csv(FILE *f, bool bom, const struct zt_recon_report *r)
{
	struct zt_csv cw, *w = &cw;
	zt_csv_init(w, f, bom);
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES], n[32], g[32],
		e[ZT_FMT_BYTES];
	zt_csv_header(w, "section,id,name,kind,billed,paid,written_off,outstanding,open_batches,"
	                 "age_days,advanced,confirmed,earned,balance,amount,detail,returned");
	for (size_t i = 0; i < r->fund_count; i++) {
		const struct zt_recon_fund_line *l = &r->funds[i];
		int64_t ag = age(l->oldest_sent, r->as_of);
		snprintf(n, sizeof n, "%lld", (long long)l->open_batches);
		const char *v[CSV_COLUMNS] = {"fund", l->fund_code, l->fund_name, NULL,
		                              yuan(a, l->billed), yuan(b, l->paid),
		                              yuan(c, l->written_off), yuan(d, l->outstanding), n,
		                              ag < 0 ? "" : age_text(g, ag)};
		v[16] = yuan(e, l->returned);
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &r->hospitals[i];
		const char *v[CSV_COLUMNS] = {"hospital", h->hospital, h->name};
		v[10] = yuan(a, h->advanced);
		v[11] = yuan(b, h->confirmed);
		v[12] = yuan(c, h->earned);
		v[13] = yuan(d, h->balance);
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->exception_count; i++) {
		const struct zt_recon_exception *x = &r->exceptions[i];
		const char *v[CSV_COLUMNS] = {"exception", x->exc_id, subject(x),
		                              zt_recon_kind_name(x->kind)};
		v[9] = age_text(g, age(x->since, r->as_of));
		v[14] = yuan(a, x->amount);
		v[15] = x->detail;
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->open_count; i++) {
		const struct zt_recon_open_line *o = &r->open[i];
		const char *v[CSV_COLUMNS] = {"waiting", o->ref, NULL, o->credit ? "credit" : "debit"};
		v[9] = age_text(g, age(o->booking_date, r->as_of));
		v[14] = yuan(a, o->amount);
		v[15] = o->remittance;
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->overdue_count; i++) {
		const struct zt_recon_overdue *o = &r->overdue[i];
		const char *v[CSV_COLUMNS] = {"overdue", overdue_subject(o), NULL, zt_recon_kind_name(o->kind)};
		v[9] = age_text(g, age(o->since, r->as_of));
		v[14] = yuan(a, o->amount);
		v[15] = "not raised yet: reconcile match raises it";
		zt_csv_row(w, v, CSV_COLUMNS);
	}
	for (size_t i = 0; i < r->day_count; i++) {
		const struct zt_recon_day *dd = &r->days[i];
		const char *v[CSV_COLUMNS] = {"day", zt_format_date(n, dd->day), NULL, NULL,
		                              yuan(a, dd->billed), yuan(b, dd->paid)};
		zt_csv_row(w, v, CSV_COLUMNS);
	}
}

/* ---- the HTML page and its chart -------------------------------------------------- */

#define CHART_W 720
#define CHART_H 260
#define CHART_LEFT 90
#define CHART_TOP 20
#define CHART_POINTS_MAX 120

struct point {
	zt_date day;
	zt_fen billed, paid; /* cumulative up to and including day */
};

/* Cumulative billed and paid per day, or per week when the days would be
 * too many to tell apart; ends on as_of. */
static size_t chart_points(const struct zt_recon_report *r, struct point *pts)
{
	if (r->day_count == 0)
		return 0;
	zt_date first = r->days[0].day;
	zt_date last = r->days[r->day_count - 1].day > r->as_of ? r->days[r->day_count - 1].day
	                                                        : r->as_of;
	int64_t span = zt_date_days_between(first, last) + 1;
	int64_t step = 1;
	while ((span + step - 1) / step > CHART_POINTS_MAX)
		step = step == 1 ? 7 : step * 2;
	size_t n = 0, k = 0;
	zt_fen billed = 0, paid = 0;
	for (int64_t off = 0; off < span && n < CHART_POINTS_MAX; off += step) {
		zt_date end = zt_date_add(first, (int)(off + step - 1));
		if (end > last)
			end = last;
		while (k < r->day_count && r->days[k].day <= end) {
			billed += r->days[k].billed;
			paid += r->days[k].paid;
			k++;
		}
		pts[n++] = (struct point){end, billed, paid};
	}
	return n;
}

static int64_t scale(zt_fen v, zt_fen max, int64_t px)
{
	if (max <= 0 || v <= 0)
		return 0;
	return (int64_t)((__int128)v * px / max);
}

/* The value axis: a step of 1, 2 or 5 × 10^k fen giving at most
 * CHART_TICKS_MAX intervals up to the first tick at or above `max`. */
#define CHART_TICKS_MAX 5
static zt_fen tick_step(zt_fen max)
{
	static const int mult[] = {1, 2, 5};
	for (zt_fen p = 1;; p *= 10)
		for (int i = 0; i < 3; i++) {
			zt_fen step = p * mult[i];
			if (max / step + (max % step != 0) <= CHART_TICKS_MAX || p > INT64_MAX / 100)
				return step;
		}
}

/* A tick's label: in 万元 from 10,000 yuan a step, in whole yuan from 1,
 * else with the fen. */
static const char *tick_label(char b[ZT_FMT_BYTES], zt_fen v, zt_fen step)
{
	if (v == 0)
		snprintf(b, ZT_FMT_BYTES, "0");
	else if (step >= 1000000 && v % 1000000 == 0)
		snprintf(b, ZT_FMT_BYTES, "%lld万", (long long)(v / 1000000));
	else if (step >= 100 && v % 100 == 0)
		snprintf(b, ZT_FMT_BYTES, "%lld", (long long)(v / 100));
	else
		zt_format_amount(b, v);
	return b;
}

static void polyline(FILE *f, const struct point *pts, size_t n, zt_fen max, bool paid,
                     const char *color)
{
	/* a lone point (everything on one day) sits at the right end */
	int64_t span = CHART_W - CHART_LEFT - 10;
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
	for (size_t i = 0; i < n; i++) {
		int64_t x = CHART_LEFT + (n == 1 ? span : (int64_t)i * span / (int64_t)(n - 1));
		int64_t y = CHART_TOP + CHART_H - scale(paid ? pts[i].paid : pts[i].billed, max, CHART_H);
		fprintf(f, "%s%lld,%lld", i ? " " : "", (long long)x, (long long)y);
	}
	fputs("\"/>\n", f);
	/* markers: the points are the data; the line only joins them */
	for (size_t i = 0; i < n; i++) {
		int64_t x = CHART_LEFT + (n == 1 ? span : (int64_t)i * span / (int64_t)(n - 1));
		int64_t y = CHART_TOP + CHART_H - scale(paid ? pts[i].paid : pts[i].billed, max, CHART_H);
		fprintf(f, "<circle cx=\"%lld\" cy=\"%lld\" r=\"3\" fill=\"%s\"/>\n", (long long)x,
		        (long long)y, color);
	}
}

/* The value axis: a tick, a grid line and a label at every step from 0 to
 * the top, which is the chart's full height. */
static void value_axis(FILE *f, zt_fen top, zt_fen step)
{
	char a[ZT_FMT_BYTES];
	for (zt_fen v = 0; v <= top; v += step) {
		int64_t y = CHART_TOP + CHART_H - scale(v, top, CHART_H);
		fprintf(f, "<line class=\"tick\" x1=\"%d\" y1=\"%lld\" x2=\"%d\" y2=\"%lld\" "
		           "stroke=\"%s\"/>\n",
		        CHART_LEFT - 5, (long long)y, v ? CHART_W : CHART_LEFT, (long long)y,
		        v ? "#ddd" : "#888");
		fprintf(f, "<text x=\"%d\" y=\"%lld\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
		        CHART_LEFT - 8, (long long)y + 4, tick_label(a, v, step));
		if (v > INT64_MAX - step)
			break;
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">金额（元）</text>\n", 4, CHART_TOP - 6);
}

static void chart(FILE *f, const struct zt_recon_report *r)
{
	struct point pts[CHART_POINTS_MAX];
	size_t n = chart_points(r, pts);
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	if (n == 0) {
		fputs("<p>尚无开票或到账。</p>\n", f);
		return;
	}
	zt_fen max = pts[n - 1].billed > pts[n - 1].paid ? pts[n - 1].billed : pts[n - 1].paid;
	zt_fen step = tick_step(max > 0 ? max : 1), top = step * (max / step + (max % step != 0));
	if (top == 0)
		top = step;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
	        "aria-label=\"累计开票与到账\">\n",
	        CHART_W + 20, CHART_TOP + CHART_H + 50);
	value_axis(f, top, step);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", CHART_LEFT,
	        CHART_TOP, CHART_LEFT, CHART_TOP + CHART_H);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", CHART_LEFT,
	        CHART_TOP + CHART_H + 16, zt_format_date(a, pts[0].day));
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%s</text>\n", CHART_W,
	        CHART_TOP + CHART_H + 16, zt_format_date(b, pts[n - 1].day));
	polyline(f, pts, n, top, false, "#1f5fbf");
	polyline(f, pts, n, top, true, "#2e8b3a");
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"#1f5fbf\"/>"
	           "<text x=\"%d\" y=\"%d\" font-size=\"12\">已开票 %s</text>\n",
	        CHART_LEFT, CHART_TOP + CHART_H + 32, CHART_LEFT + 16, CHART_TOP + CHART_H + 37,
	        yuan(a, pts[n - 1].billed));
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"#2e8b3a\"/>"
	           "<text x=\"%d\" y=\"%d\" font-size=\"12\">已到账 %s</text>\n",
	        CHART_LEFT + 220, CHART_TOP + CHART_H + 32, CHART_LEFT + 236,
	        CHART_TOP + CHART_H + 37, yuan(b, pts[n - 1].paid));
	fputs("</svg>\n", f);
}

/* An exception's kind as finance reads it. */
static const char *kind_zh(enum zt_recon_kind k)
{
	switch (k) {
	case ZT_RECON_AMOUNT: return "金额不符";
	case ZT_RECON_UNKNOWN: return "无法识别";
	case ZT_RECON_DUPLICATE: return "重复入账";
	case ZT_RECON_AMBIGUOUS: return "无法唯一匹配";
	case ZT_RECON_DATE: return "日期不符";
	case ZT_RECON_MISSING: return "逾期未到账";
	case ZT_RECON_REVERSAL: return "退回冲正";
	default: break;
	}
	return zt_recon_kind_name(k);
}

static void td(FILE *f, const char *s, bool num)
{
	fputs(num ? "<td class=\"n\">" : "<td>", f);
	html_put(f, s);
	fputs("</td>", f);
}

static void html_hospitals(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
	fputs("</table>\n<h2>医疗机构</h2>\n<table>\n<tr><th>机构编码</th><th>机构名称</th>"
	      "<th>预付金额</th><th>银行已确认</th><th>结算应得</th><th>余额</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->hospital_count; i++) {
		const struct zt_recon_hospital_line *h = &r->hospitals[i];
		if (!h->advanced && !h->earned && !h->balance)
			continue;
		fputs(h->balance < 0 ? "<tr class=\"bad\">" : "<tr>", f);
		td(f, h->hospital, false);
		td(f, h->name, false);
		td(f, yuan(a, h->advanced), true);
		td(f, yuan(b, h->confirmed), true);
		td(f, yuan(c, h->earned), true);
		td(f, yuan(d, h->balance), true);
		fputs("</tr>\n", f);
	}
}

static void html_exceptions(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], g[32];
	fprintf(f, "</table>\n<h2>未处理的异常（%zu）</h2>\n", r->exception_count);
	fputs("<table>\n<tr><th>异常编号</th><th>类型</th><th>对象</th><th>金额</th>"
	      "<th>已过天数</th><th>说明</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->exception_count; i++) {
		const struct zt_recon_exception *x = &r->exceptions[i];
		fputs("<tr>", f);
		td(f, x->exc_id, false);
		td(f, kind_zh(x->kind), false);
		td(f, subject(x), false);
		td(f, yuan(a, x->amount), true);
		td(f, age_text(g, age(x->since, r->as_of)), true);
		td(f, x->detail, false);
		fputs("</tr>\n", f);
	}
}

static void html_waiting_and_overdue(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], g[32];
	fprintf(f, "</table>\n<h2>待批次发送后匹配的银行流水（%zu）</h2>\n", r->open_count);
	fputs("<table>\n<tr><th>银行流水</th><th>收支</th><th>金额</th><th>记账日期</th>"
	      "<th>附言</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->open_count; i++) {
		const struct zt_recon_open_line *o = &r->open[i];
		fputs("<tr>", f);
		td(f, o->ref, false);
		td(f, o->credit ? "收入" : "支出", false);
		td(f, yuan(a, o->amount), true);
		td(f, zt_format_date(b, o->booking_date), false);
		td(f, o->remittance, false);
		fputs("</tr>\n", f);
	}
	fprintf(f, "</table>\n<h2>逾期未到、尚未列为异常（%zu）</h2>\n", r->overdue_count);
	if (r->overdue_count)
		fputs("<p>运行 zhitong reconcile match 将其列为异常。</p>\n", f);
	fputs("<table>\n<tr><th>对象</th><th>类型</th><th>金额</th><th>已过天数</th></tr>\n", f);
	for (size_t i = 0; i < r->overdue_count; i++) {
		const struct zt_recon_overdue *o = &r->overdue[i];
		fputs("<tr>", f);
		td(f, overdue_subject(o), false);
		td(f, kind_zh(o->kind), false);
		td(f, yuan(a, o->amount), true);
		td(f, age_text(g, age(o->since, r->as_of)), true);
		fputs("</tr>\n", f);
	}
	fprintf(f, "</table>\n<p>统筹基金银行账户（pool:bank）余额 %s；待查账户（suspense:bank）"
	           "余额 %s%s</p>\n</body>\n</html>\n",
	        yuan(a, r->pool_bank), yuan(b, r->suspense),
	        r->pools[0] ? "（本报告所含资金池的账户）" : "");
}

void zt_recon_render_report_html(FILE *f, const struct zt_recon_report *r)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES], g[32];
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>",
	      f);
	fprintf(f, "资金对账报告 %s</title>\n", zt_format_date(a, r->as_of));
	fputs("<style>body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\","
	      "\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:2em}"
	      "table{border-collapse:collapse;"
	      "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:3px 8px}th{background:#eee}"
	      "td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00}</style>\n"
	      "</head>\n<body>\n",
	      f);
	/* zone names are [A-Za-z0-9._+-/]: nothing to escape */
	/* pool ids are letters, digits, - and _ (config.h): nothing to escape */
	fprintf(f, "<h1>资金对账报告（%s%s%s截至 %s，%s）</h1>\n<h2>累计开票与到账</h2>\n",
	        r->pools[0] ? "资金池 " : "", r->pools, r->pools[0] ? "；" : "",
	        zt_format_date(a, r->as_of), zt_zone_name(zt_date_pool_zone()));
	chart(f, r);
	fputs("<h2>基金</h2>\n<table>\n<tr><th>基金编码</th><th>基金名称</th><th>已开票</th>"
	      "<th>已到账</th><th>已核销</th><th>已退回</th><th>未到账</th><th>未结批次</th>"
	      "<th>最早未结（天）</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->fund_count; i++) {
		const struct zt_recon_fund_line *l = &r->funds[i];
		snprintf(g, sizeof g, "%lld", (long long)l->open_batches);
		fputs("<tr>", f);
		td(f, l->fund_code, false);
		td(f, l->fund_name, false);
		td(f, yuan(a, l->billed), true);
		td(f, yuan(b, l->paid), true);
		td(f, yuan(c, l->written_off), true);
		td(f, yuan(d, l->returned), true);
		td(f, yuan(d, l->outstanding), true);
		td(f, g, true);
		td(f, age_text(g, age(l->oldest_sent, r->as_of)), true);
		fputs("</tr>\n", f);
	}
	html_hospitals(f, r);
	html_exceptions(f, r);
	html_waiting_and_overdue(f, r);
}

void zt_recon_exceptions_out_init(struct zt_recon_exceptions_out *o, FILE *f, bool csv, bool bom)
{
	*o = (struct zt_recon_exceptions_out){.csv = csv, .f = f};
	if (!csv)
		return;
	zt_csv_init(&o->w, f, bom);
	zt_csv_header(&o->w, "exception,kind,entry,batch,advance,amount,since,detail,raised_at,"
	                     "raised_by,resolution,target,note,resolved_at,resolved_by");
}
