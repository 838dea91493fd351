/* zhitong — the slip as a printable A5 HTML page (see slip_html.h,
 * docs/slip.md "HTML"). */
#include "zhitong/slip_html.h"

#include <stdio.h>
#include <string.h>

#include "qr.h"
#include "slip_doc.h"
#include "zhitong/error.h"

struct hw {
	zt_write_fn write;
	void *ctx;
	int rc;
};

static void put(struct hw *h, const char *s)
{
	if (!h->rc)
		h->rc = h->write(h->ctx, s, strlen(s));
}

/* Text into an element or an attribute: & < > " ' escaped. */
static void esc(struct hw *h, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		if (!h->rc && s > run)
			h->rc = h->write(h->ctx, run, (size_t)(s - run));
		put(h, e);
		run = s + 1;
	}
	if (!h->rc && s > run)
		h->rc = h->write(h->ctx, run, (size_t)(s - run));
}

/* A5 is 148 mm × 210 mm. On screen the page is drawn at that size; in
 * print the @page rule sets it. Fonts are the reader's own (no download):
 * the same CJK families as the PDF, then the common ones of other
 * systems. */
static const char css[] =
	"@page{size:A5 portrait;margin:0}"
	"*{box-sizing:border-box}"
	"html{background:#fff;color:#000;"
	"font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"Source Han Sans SC\",\"HanaMinB\","
	"\"PingFang SC\",\"Microsoft YaHei\",sans-serif;font-size:7.5pt;line-height:1.3}"
	"body{margin:0}"
	".slip{position:relative;width:148mm;min-height:210mm;margin:0 auto;padding:7mm 9mm;"
	"overflow:hidden}"
	"h1{font-size:13pt;text-align:center;margin:0 0 1mm;letter-spacing:.2em}"
	"h2{font-size:8.5pt;margin:1.6mm 0 .6mm;padding-bottom:.3mm;border-bottom:.3mm solid #000}"
	"h3{font-size:7.5pt;font-weight:bold;margin:.6mm 0 .2mm;color:#444}"
	".void-mark{text-align:center;color:#c00;font-size:11pt;font-weight:bold;"
	"border:.5mm solid #c00;width:20mm;margin:0 auto 1mm}"
	".void-watermark{position:absolute;top:75mm;left:0;width:100%;text-align:center;"
	"font-size:72pt;font-weight:bold;color:rgba(204,0,0,.16);transform:rotate(-30deg);"
	"pointer-events:none}"
	"dl{display:grid;margin:0;column-gap:3mm;row-gap:0}"
	"dl.f{grid-template-columns:max-content 1fr}"
	"dl.f.p{grid-template-columns:max-content 1fr max-content 1fr}"
	"dl.a{grid-template-columns:1fr max-content}"
	"dl.a.p{grid-template-columns:1fr max-content 1fr max-content;column-gap:5mm}"
	"dt{color:#444;overflow-wrap:anywhere}"
	"dd{margin:0;overflow-wrap:anywhere}"
	"dl.a dd{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"dl.a dt{color:#000}"
	"dt .code{color:#666;font-size:6.5pt;margin-left:1.5mm}"
	"dt.total,dd.total{font-weight:bold}"
	"dl.p dt.total{grid-column:1 / 4}dl.p dd.total{grid-column:4}"
	"p.note{margin:.5mm 0 0;font-size:6.5pt;color:#444}"
	"footer{display:flex;justify-content:space-between;align-items:flex-end;gap:4mm;"
	"margin-top:1.6mm;border-top:.3mm solid #000;padding-top:1mm}"
	"footer>div{flex:1}"
	"svg.qr{width:24mm;height:24mm;flex:none}"
	"@media print{.slip{margin:0}}";

static void dl_open(struct hw *h, const struct doc_section *sec)
{
	put(h, sec->amounts ? "<dl class=\"a" : "<dl class=\"f");
	put(h, sec->pairs ? " p\">" : "\">");
}

static void row(struct hw *h, const struct doc_row *r)
{
	const char *total = r->kind == DOC_TOTAL ? " class=\"total\"" : "";
	put(h, "<dt");
	put(h, total);
	put(h, ">");
	esc(h, r->label);
	if (r->note) {
		put(h, "<span class=\"code\">");
		esc(h, r->note);
		put(h, "</span>");
	}
	put(h, "</dt><dd");
	put(h, total);
	put(h, ">");
	esc(h, r->value);
	put(h, "</dd>");
}

static void section_body(struct hw *h, const struct slip_doc *d, const struct doc_section *sec)
{
	bool open = false;
	for (int k = sec->first; k < sec->first + sec->count; k++) {
		const struct doc_row *r = &d->rows[k];
		if (r->kind == DOC_SUBHEAD || r->kind == DOC_NOTE) {
			if (open)
				put(h, "</dl>");
			open = false;
			put(h, r->kind == DOC_SUBHEAD ? "<h3>" : "<p class=\"note\">");
			esc(h, r->label);
			put(h, r->kind == DOC_SUBHEAD ? "</h3>" : "</p>");
			continue;
		}
		if (!open)
			dl_open(h, sec);
		open = true;
		row(h, r);
	}
	if (open)
		put(h, "</dl>");
}

static int svg_run(void *ctx, int x, int y, int len)
{
	struct hw *h = ctx;
	char p[64];
	snprintf(p, sizeof p, "M%d %dh%dv1h-%dz", x, y, len, len);
	put(h, p);
	return h->rc;
}

/* The QR code as one SVG path of dark runs on a white square (quiet zone
 * included), crisp at any scale. */
static int qr_svg(struct hw *h, const char *text)
{
	struct zt_qr q;
	int rc = zt_qr_encode(&q, text);
	if (rc)
		return rc;
	char head[256];
	int size = q.width + 2 * ZT_QR_QUIET;
	snprintf(head, sizeof head,
	         "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	         "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"核验二维码\">"
	         "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	         size, size, size, size);
	put(h, head);
	zt_qr_runs(&q, svg_run, h);
	put(h, "\"/></svg>");
	zt_qr_free(&q);
	return h->rc;
}

int zt_slip_render_html(zt_write_fn write, void *ctx, const struct zt_slip *s)
{
	struct slip_doc d;
	struct hw h = {write, ctx, 0};
	int rc = slip_doc_build(&d, s);
	if (rc)
		goto done;
	put(&h, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'unsafe-inline'\">\n<title>");
	esc(&h, d.title);
	put(&h, " ");
	esc(&h, s->setl_id);
	put(&h, "</title>\n<style>");
	put(&h, css);
	put(&h, "</style></head>\n<body><article class=\"slip\">\n");
	if (d.is_void) {
		put(&h, "<div class=\"void-watermark\" aria-hidden=\"true\">");
		esc(&h, d.void_mark);
		put(&h, "</div>\n");
	}
	put(&h, "<header><h1>");
	esc(&h, d.title);
	put(&h, "</h1>");
	if (d.is_void) {
		put(&h, "<p class=\"void-mark\">");
		esc(&h, d.void_mark);
		put(&h, "</p>");
	}
	for (int i = 0; i < d.section_count; i++) {
		const struct doc_section *sec = &d.sections[i];
		if (i == d.footer) {
			put(&h, "<footer><div>");
			section_body(&h, &d, sec);
			put(&h, "</div>");
			if (d.qr_text && !h.rc && (rc = qr_svg(&h, d.qr_text)) != 0)
				goto done;
			put(&h, "</footer>\n");
			continue;
		}
		put(&h, i == 0 ? "" : "<section>");
		if (sec->title) {
			put(&h, "<h2>");
			esc(&h, sec->title);
			put(&h, "</h2>");
		}
		section_body(&h, &d, sec);
		put(&h, i == 0 ? "</header>\n" : "</section>\n");
	}
	put(&h, "</article></body></html>\n");
	rc = h.rc;
done:
	slip_doc_free(&d);
	return rc;
}
