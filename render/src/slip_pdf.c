/* zhitong — the slip as one A5 PDF page with Pango and Cairo (see
 * slip_pdf.h, docs/slip.md "PDF"). */
#include "zhitong/slip_pdf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "qr.h"
#include "slip_doc.h"
#include "zhitong/error.h"

/* Lengths in points (1/72 in), the PDF's unit. */
#define MM (72.0 / 25.4)
#define PAGE_W (148.0 * MM)
#define PAGE_H (210.0 * MM)
#define MARGIN (9.0 * MM)
#define QR_SIZE (30.0 * MM)
#define COL_GAP (5.0 * MM)
#define ROW_GAP 1.6
#define SECTION_GAP 5.0
/* Font sizes. */
#define PT_BODY 8.5
#define PT_SMALL 7.0
#define PT_HEAD 9.5
#define PT_TITLE 15.0
#define PT_MARK 12.0
#define PT_WATERMARK 84.0

struct rgb {
	double r, g, b;
};
static const struct rgb black = {0, 0, 0}, grey = {0.33, 0.33, 0.33}, red = {0.8, 0, 0};

struct pw {
	cairo_t *cr;
	PangoContext *pc;
	PangoFontDescription *body, *small, *bold, *head, *title, *mark;
	bool draw;
	int unknown; /* characters no font has */
};

/* ---- text ------------------------------------------------------------------------- */

/* Lays `s` out in `width` points (0: one line, no wrap) and, when drawing,
 * shows it with its top-left at (x, y) — for PANGO_ALIGN_RIGHT, its right
 * edge at x + width. `note`, if any, follows in the small grey face.
 * Returns the height; *w_out (if not NULL) gets the width used. */
static double text(struct pw *p, const char *s, const char *note, PangoFontDescription *f,
                   struct rgb c, double x, double y, double width, PangoAlignment align,
                   double *w_out)
{
	PangoLayout *l = pango_layout_new(p->pc);
	pango_layout_set_font_description(l, f);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_alignment(l, align);
	}
	if (note) {
		/* "label  note": the note in the small grey face */
		GString *g = g_string_new(s);
		g_string_append(g, "  ");
		guint start = (guint)g->len;
		g_string_append(g, note);
		pango_layout_set_text(l, g->str, (int)g->len);
		PangoAttrList *attrs = pango_attr_list_new();
		PangoAttribute *a = pango_attr_font_desc_new(p->small);
		a->start_index = start;
		a->end_index = (guint)g->len;
		pango_attr_list_insert(attrs, a);
		a = pango_attr_foreground_new((guint16)(grey.r * 65535), (guint16)(grey.g * 65535),
		                              (guint16)(grey.b * 65535));
		a->start_index = start;
		a->end_index = (guint)g->len;
		pango_attr_list_insert(attrs, a);
		pango_layout_set_attributes(l, attrs);
		pango_attr_list_unref(attrs);
		g_string_free(g, TRUE);
	} else {
		pango_layout_set_text(l, s, -1);
	}
	p->unknown += pango_layout_get_unknown_glyphs_count(l);
	PangoRectangle ink, logical;
	pango_layout_get_extents(l, &ink, &logical);
	double h = (double)logical.height / PANGO_SCALE;
	if (w_out)
		*w_out = (double)(logical.x + logical.width) / PANGO_SCALE;
	if (p->draw) {
		cairo_set_source_rgb(p->cr, c.r, c.g, c.b);
		cairo_move_to(p->cr, x, y);
		pango_cairo_show_layout(p->cr, l);
	}
	g_object_unref(l);
	return h;
}

static double natural_width(struct pw *p, const char *s, PangoFontDescription *f)
{
	double w = 0;
	bool draw = p->draw;
	p->draw = false;
	text(p, s, NULL, f, black, 0, 0, 0, PANGO_ALIGN_LEFT, &w);
	p->draw = draw;
	return w;
}

/* ---- rows ------------------------------------------------------------------------- */

/* One row in a column at x of width `cw`; fields put their values at
 * x + label_w. Returns the row's height. */
static double draw_row(struct pw *p, const struct doc_row *r, double x, double y, double cw,
                       double label_w)
{
	PangoFontDescription *f = r->kind == DOC_TOTAL ? p->bold : p->body;
	double hl, hv, aw = 0;
	switch (r->kind) {
	case DOC_FIELD:
		hl = text(p, r->label, NULL, p->body, grey, x, y, label_w, PANGO_ALIGN_LEFT, NULL);
		hv = text(p, r->value, NULL, p->body, black, x + label_w, y, cw - label_w,
		          PANGO_ALIGN_LEFT, NULL);
		return fmax(hl, hv);
	case DOC_AMOUNT:
	case DOC_TOTAL:
		aw = natural_width(p, r->value, f);
		hv = text(p, r->value, NULL, f, black, x, y, cw, PANGO_ALIGN_RIGHT, NULL);
		hl = text(p, r->label, r->note, f, black, x, y, cw - aw - 3.0 * MM, PANGO_ALIGN_LEFT,
		          NULL);
		return fmax(hl, hv);
	case DOC_SUBHEAD:
		return text(p, r->label, NULL, p->bold, grey, x, y, cw, PANGO_ALIGN_LEFT, NULL);
	case DOC_NOTE:
		return text(p, r->label, NULL, p->small, grey, x, y, cw, PANGO_ALIGN_LEFT, NULL);
	}
	return 0;
}

/* The label column of a section's fields: its widest label, at most 40%
 * of the column. */
static double label_width(struct pw *p, const struct slip_doc *d, const struct doc_section *sec,
                          double cw)
{
	double w = 0;
	for (int k = sec->first; k < sec->first + sec->count; k++)
		if (d->rows[k].kind == DOC_FIELD)
			w = fmax(w, natural_width(p, d->rows[k].label, p->body));
	return fmin(w + 2.0 * MM, 0.4 * cw);
}

static bool pairable(const struct doc_row *r)
{
	return r->kind == DOC_FIELD || r->kind == DOC_AMOUNT;
}

/* A section's rows from y in width w; pairs side by side where the section
 * allows it. Returns the y below. */
static double rows(struct pw *p, const struct slip_doc *d, const struct doc_section *sec,
                   double x, double y, double w)
{
	double half = (w - COL_GAP) / 2;
	double lw_full = label_width(p, d, sec, w), lw_half = label_width(p, d, sec, half);
	int end = sec->first + sec->count;
	for (int k = sec->first; k < end;) {
		const struct doc_row *r = &d->rows[k];
		if (sec->pairs && pairable(r)) {
			double h = draw_row(p, r, x, y, half, lw_half);
			if (k + 1 < end && pairable(&d->rows[k + 1])) {
				h = fmax(h, draw_row(p, &d->rows[k + 1], x + half + COL_GAP, y, half, lw_half));
				k++;
			}
			y += h + ROW_GAP;
			k++;
			continue;
		}
		y += draw_row(p, r, x, y, w, lw_full) + ROW_GAP;
		k++;
	}
	return y;
}

static int qr_rect(void *ctx, int x, int y, int len)
{
	cairo_rectangle(ctx, x, y, len, 1);
	return 0;
}

/* The QR code as filled rectangles, QR_SIZE square with its top-left at
 * (x, y). */
static int draw_qr(struct pw *p, const char *qr_text, double x, double y)
{
	struct zt_qr q;
	int rc = zt_qr_encode(&q, qr_text);
	if (rc || !p->draw)
		goto done;
	double module = QR_SIZE / (q.width + 2 * ZT_QR_QUIET);
	cairo_save(p->cr);
	cairo_translate(p->cr, x, y);
	cairo_scale(p->cr, module, module);
	cairo_new_path(p->cr);
	zt_qr_runs(&q, qr_rect, p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	cairo_fill(p->cr);
	cairo_restore(p->cr);
done:
	zt_qr_free(&q);
	return rc;
}

/* The whole page from the top margin; returns the y below the content. */
static int page(struct pw *p, const struct slip_doc *d, double *bottom)
{
	double x = MARGIN, w = PAGE_W - 2 * MARGIN, y = MARGIN;
	y += text(p, d->title, NULL, p->title, black, x, y, w, PANGO_ALIGN_CENTER, NULL) + 1.0 * MM;
	if (d->is_void) {
		double mw = natural_width(p, d->void_mark, p->mark), pad = 1.5 * MM;
		double mh = text(p, d->void_mark, NULL, p->mark, red, x, y + pad / 2, w, PANGO_ALIGN_CENTER,
		                 NULL);
		if (p->draw) {
			cairo_set_source_rgb(p->cr, red.r, red.g, red.b);
			cairo_set_line_width(p->cr, 1.2);
			cairo_rectangle(p->cr, x + (w - mw) / 2 - pad, y, mw + 2 * pad, mh + pad);
			cairo_stroke(p->cr);
		}
		y += mh + pad + 1.5 * MM;
	}
	for (int i = 0; i < d->section_count; i++) {
		const struct doc_section *sec = &d->sections[i];
		if (i == d->footer)
			continue;
		if (sec->title) {
			y += text(p, sec->title, NULL, p->head, black, x, y, w, PANGO_ALIGN_LEFT, NULL) + 0.8;
			if (p->draw) {
				cairo_set_source_rgb(p->cr, 0, 0, 0);
				cairo_set_line_width(p->cr, 0.6);
				cairo_move_to(p->cr, x, y);
				cairo_line_to(p->cr, x + w, y);
				cairo_stroke(p->cr);
			}
			y += 2.0;
		}
		y = rows(p, d, sec, x, y, w) + SECTION_GAP;
	}
	/* the footer: its fields on the left, the QR code on the right */
	if (p->draw) {
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		cairo_set_line_width(p->cr, 0.6);
		cairo_move_to(p->cr, x, y);
		cairo_line_to(p->cr, x + w, y);
		cairo_stroke(p->cr);
	}
	y += 2.0;
	double fw = d->qr_text ? w - QR_SIZE - COL_GAP : w;
	double fy = rows(p, d, &d->sections[d->footer], x, y, fw);
	if (d->qr_text) {
		int rc = draw_qr(p, d->qr_text, x + w - QR_SIZE, y);
		if (rc)
			return rc;
		fy = fmax(fy, y + QR_SIZE);
	}
	*bottom = fy;
	return 0;
}

/* A large pale 作废 across the page. */
static void watermark(struct pw *p, const struct slip_doc *d)
{
	double w = natural_width(p, d->void_mark, p->mark) * PT_WATERMARK / PT_MARK;
	cairo_save(p->cr);
	cairo_translate(p->cr, PAGE_W / 2, PAGE_H / 2);
	cairo_rotate(p->cr, -M_PI / 6);
	PangoFontDescription *f = pango_font_description_copy(p->mark);
	pango_font_description_set_absolute_size(f, PT_WATERMARK * PANGO_SCALE);
	PangoLayout *l = pango_layout_new(p->pc);
	pango_layout_set_font_description(l, f);
	pango_layout_set_text(l, d->void_mark, -1);
	PangoRectangle ink, logical;
	pango_layout_get_extents(l, &ink, &logical);
	pango_cairo_update_context(p->cr, p->pc);
	cairo_move_to(p->cr, -w / 2, -(double)logical.height / PANGO_SCALE / 2);
	cairo_set_source_rgba(p->cr, red.r, red.g, red.b, 0.16);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
	pango_font_description_free(f);
	cairo_restore(p->cr);
}

/* ---- fonts ------------------------------------------------------------------------- */

static PangoFontDescription *face(const char *families, double pt, bool bold)
{
	PangoFontDescription *f = pango_font_description_new();
	pango_font_description_set_family(f, families);
	pango_font_description_set_absolute_size(f, pt * PANGO_SCALE);
	pango_font_description_set_weight(f, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	return f;
}

static void pw_fonts(struct pw *p, const char *families)
{
	p->body = face(families, PT_BODY, false);
	p->small = face(families, PT_SMALL, false);
	p->bold = face(families, PT_BODY, true);
	p->head = face(families, PT_HEAD, true);
	p->title = face(families, PT_TITLE, true);
	p->mark = face(families, PT_MARK, true);
}

static void pw_free_fonts(struct pw *p)
{
	PangoFontDescription *all[] = {p->body, p->small, p->bold, p->head, p->title, p->mark};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (all[i])
			pango_font_description_free(all[i]);
}

/* Text as Pango lays it out for PDF: no hinting, metrics unhinted, so the
 * measuring pass and the drawing pass agree and the PDF scales cleanly. */
static PangoContext *new_context(PangoFontMap *fm)
{
	PangoContext *pc = pango_font_map_create_context(fm);
	cairo_font_options_t *o = cairo_font_options_create();
	cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(pc, o);
	cairo_font_options_destroy(o);
	pango_context_set_language(pc, pango_language_from_string("zh-cn"));
	return pc;
}

/* ---- the document ------------------------------------------------------------------ */

struct sink {
	zt_write_fn write;
	void *ctx;
	int rc;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct sink *k = closure;
	if (k->rc == 0)
		k->rc = k->write(k->ctx, data, length);
	return k->rc ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Measures the page on a recording surface: its content's bottom, and
 * whether every character has a font. */
static int measure(struct pw *p, const struct slip_doc *d, double *bottom)
{
	cairo_surface_t *rs = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
	p->cr = cairo_create(rs);
	pango_cairo_update_context(p->cr, p->pc);
	p->draw = false;
	int rc = page(p, d, bottom);
	cairo_destroy(p->cr);
	cairo_surface_destroy(rs);
	p->cr = NULL;
	if (rc == 0 && p->unknown > 0)
		rc = zt_error_set(ZT_EINVAL,
		                  "pdf slip: %d character(s) have no installed font "
		                  "(install fonts-noto-cjk and fonts-hanazono)",
		                  p->unknown);
	return rc;
}

static bool stored_timestamp(const char *s)
{
	return s && strlen(s) == 20 && s[4] == '-' && s[10] == 'T' && s[19] == 'Z';
}

static int draw(struct pw *p, const struct slip_doc *d, const struct zt_slip *s, double bottom,
                struct sink *k)
{
	cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(sink_write, k, PAGE_W, PAGE_H);
	cairo_pdf_surface_restrict_to_version(surf, CAIRO_PDF_VERSION_1_5);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, d->title);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "zhitong");
	/* the settlement's time, not the clock's: one slip, one file */
	if (stored_timestamp(s->settled_at_utc)) {
		cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATE_DATE, s->settled_at_utc);
		cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_MOD_DATE, s->settled_at_utc);
	}
	p->cr = cairo_create(surf);
	/* too much for the page (many funds): the whole page scaled to fit */
	double avail = PAGE_H - 2 * MARGIN, used = bottom - MARGIN;
	if (used > avail) {
		double f = avail / used;
		cairo_translate(p->cr, PAGE_W * (1 - f) / 2, MARGIN * (1 - f));
		cairo_scale(p->cr, f, f);
	}
	pango_cairo_update_context(p->cr, p->pc);
	p->draw = true;
	int rc = page(p, d, &bottom);
	if (rc == 0 && d->is_void)
		watermark(p, d);
	cairo_show_page(p->cr);
	cairo_destroy(p->cr);
	p->cr = NULL;
	cairo_surface_finish(surf);
	cairo_status_t st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	if (rc == 0 && k->rc)
		rc = k->rc;
	if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
		rc = zt_error_set(ZT_EIO, "pdf slip: %s", cairo_status_to_string(st));
	return rc;
}

int zt_slip_render_pdf(zt_write_fn write, void *ctx, const struct zt_slip *s,
                       const struct zt_slip_pdf_opts *o)
{
	const char *families = o && o->font_families ? o->font_families : ZT_SLIP_PDF_FONTS;
	struct slip_doc d;
	struct pw p = {0};
	struct sink k = {write, ctx, 0};
	double bottom = 0;
	PangoFontMap *fm = NULL;
	int rc = slip_doc_build(&d, s);
	if (rc)
		goto done;
	/* a font map of its own: nothing shared with other threads */
	fm = pango_cairo_font_map_new();
	p.pc = new_context(fm);
	pw_fonts(&p, families);
	if ((rc = measure(&p, &d, &bottom)) == 0)
		rc = draw(&p, &d, s, bottom, &k);
done:
	pw_free_fonts(&p);
	if (p.pc)
		g_object_unref(p.pc);
	if (fm)
		g_object_unref(fm);
	slip_doc_free(&d);
	return rc;
}
