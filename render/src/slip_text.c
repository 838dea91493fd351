/* zhitong — the slip as text for a terminal or a receipt printer (see
 * slip_text.h, docs/slip.md "Text"). */
#include "zhitong/slip_text.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unilbrk.h>
#include <unistr.h>
#include <uniwidth.h>

#include "slip_doc.h"
#include "zhitong/error.h"

/* Widths are those of a UTF-8 terminal: East Asian wide and fullwidth
 * characters take two columns, ambiguous ones one. */
#define ENC "UTF-8"

int zt_text_width(const char *utf8)
{
	size_t n = strlen(utf8);
	if (u8_check((const uint8_t *)utf8, n) != NULL)
		return -1;
	return u8_width((const uint8_t *)utf8, n, ENC);
}

static int cols(const char *s, size_t n) { return u8_width((const uint8_t *)s, n, ENC); }

struct tw {
	struct zt_strbuf out;
	int width;
	int rc;
};

static void put(struct tw *t, const char *s, size_t n)
{
	if (!t->rc)
		t->rc = zt_strbuf_write(&t->out, s, n);
}

static void puts_(struct tw *t, const char *s) { put(t, s, strlen(s)); }

static void spaces(struct tw *t, int n)
{
	static const char sp[] = "                                ";
	while (n > 0) {
		int k = n < (int)sizeof sp - 1 ? n : (int)sizeof sp - 1;
		put(t, sp, (size_t)k);
		n -= k;
	}
}

static void rule(struct tw *t, char c)
{
	char line[ZT_SLIP_TEXT_COLS_MAX + 1];
	memset(line, c, (size_t)t->width);
	line[t->width] = '\n';
	put(t, line, (size_t)t->width + 1);
}

/* ---- wrapping ------------------------------------------------------------------ */

/* Receives one line of a wrapped text (no trailing spaces) and its width. */
typedef void (*line_fn)(struct tw *t, int index, const char *s, size_t n, int w, void *ctx);

/* Greedy wrapping of s: the first line at most first_w columns, the next
 * ones next_w, broken at the opportunities of UAX #14 (libunistring), or
 * inside a word only when a word alone is wider than the line. */
static void wrap(struct tw *t, const char *s, int first_w, int next_w, line_fn emit, void *ctx)
{
	size_t n = strlen(s), pos = 0;
	char *brk = malloc(n ? n : 1);
	if (!brk) {
		if (!t->rc)
			t->rc = zt_error_set(ZT_ENOMEM, "text slip: out of memory");
		return;
	}
	u8_possible_linebreaks((const uint8_t *)s, n, ENC, brk);
	for (int line = 0; pos < n || line == 0; line++) {
		while (line > 0 && pos < n && s[pos] == ' ')
			pos++;
		if (line > 0 && pos >= n)
			break;
		int limit = line == 0 ? first_w : next_w, w = 0;
		size_t cur = pos, end = n, last = 0;
		while (cur < n) {
			int len = u8_mblen((const uint8_t *)s + cur, n - cur);
			if (len <= 0)
				len = 1;
			int cw = cols(s + cur, (size_t)len);
			if (cur > pos && brk[cur] == UC_BREAK_POSSIBLE)
				last = cur;
			if (w + cw > limit) {
				/* break at the last opportunity, else inside the word;
				 * a line holds at least one character */
				end = last > pos ? last : (cur > pos ? cur : cur + (size_t)len);
				break;
			}
			w += cw;
			cur += (size_t)len;
		}
		size_t e = end;
		while (e > pos && s[e - 1] == ' ')
			e--;
		emit(t, line, s + pos, e - pos, cols(s + pos, e - pos), ctx);
		pos = end;
	}
	free(brk);
}

/* ---- rows ------------------------------------------------------------------ */

struct field_ctx {
	const char *prefix; /* "label：" */
	int indent;
};

static void field_line(struct tw *t, int index, const char *s, size_t n, int w, void *vctx)
{
	struct field_ctx *c = vctx;
	if (index == 0)
		puts_(t, c->prefix);
	else
		spaces(t, c->indent);
	put(t, s, n);
	puts_(t, "\n");
}

static void field(struct tw *t, const struct doc_row *r)
{
	char prefix[256];
	snprintf(prefix, sizeof prefix, "%s：", r->label);
	int pw = zt_text_width(prefix), vw = zt_text_width(r->value);
	struct field_ctx c = {prefix, pw};
	/* A long label, or a value that fits whole on a line of its own but
	 * not after its label (a code, a time): the value goes on the lines
	 * below, indented, rather than broken. */
	if (pw > t->width / 2 || (pw + vw > t->width && vw <= t->width - 2)) {
		wrap(t, prefix, t->width, t->width - 2, field_line, &(struct field_ctx){"", 2});
		c = (struct field_ctx){"  ", 2};
		pw = 2;
	}
	wrap(t, r->value, t->width - pw, t->width - pw, field_line, &c);
}

struct amount_ctx {
	const char *amount;
	int amount_w;
};

static void amount_line(struct tw *t, int index, const char *s, size_t n, int w, void *vctx)
{
	struct amount_ctx *c = vctx;
	if (index > 0)
		spaces(t, 2);
	put(t, s, n);
	if (index == 0) {
		spaces(t, t->width - w - c->amount_w);
		puts_(t, c->amount);
	}
	puts_(t, "\n");
}

static void amount(struct tw *t, const struct doc_row *r)
{
	char left[512];
	snprintf(left, sizeof left, "%s%s%s", r->label, r->note ? " " : "", r->note ? r->note : "");
	struct amount_ctx c = {r->value, zt_text_width(r->value)};
	int room = t->width - c.amount_w - 1; /* at least one space before the amount */
	wrap(t, left, room, room - 2, amount_line, &c);
}

static void plain_line(struct tw *t, int index, const char *s, size_t n, int w, void *ctx)
{
	const char *indent = ctx;
	puts_(t, indent);
	put(t, s, n);
	puts_(t, "\n");
}

static void centered(struct tw *t, const char *s)
{
	int w = zt_text_width(s);
	if (w < t->width)
		spaces(t, (t->width - w) / 2);
	wrap(t, s, t->width, t->width, plain_line, "");
}

static void text_row(struct tw *t, const struct doc_row *r)
{
	char head[256];
	switch (r->kind) {
	case DOC_FIELD:
		field(t, r);
		break;
	case DOC_AMOUNT:
	case DOC_TOTAL:
		amount(t, r);
		break;
	case DOC_SUBHEAD:
		snprintf(head, sizeof head, "〔%s〕", r->label);
		wrap(t, head, t->width, t->width, plain_line, "");
		break;
	case DOC_NOTE:
		wrap(t, r->label, t->width, t->width, plain_line, "");
		break;
	}
}

static void render(struct tw *t, const struct slip_doc *d)
{
	centered(t, d->title);
	if (d->is_void) {
		char mark[64];
		snprintf(mark, sizeof mark, "【%s】", d->void_mark);
		centered(t, mark);
	}
	rule(t, '=');
	for (int i = 0; i < d->section_count; i++) {
		const struct doc_section *sec = &d->sections[i];
		if (i > 0)
			rule(t, '-');
		if (sec->title) {
			char head[256];
			snprintf(head, sizeof head, "【%s】", sec->title);
			wrap(t, head, t->width, t->width, plain_line, "");
		}
		for (int k = sec->first; k < sec->first + sec->count; k++)
			text_row(t, &d->rows[k]);
	}
	rule(t, '=');
}

/* ---- encoding ------------------------------------------------------------------- */

static int to_gb18030(struct zt_strbuf *out, const char *in, size_t n)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	if (cd == (iconv_t)-1)
		return zt_error_set(ZT_EINTERNAL, "iconv cannot convert UTF-8 to GB18030: %s",
		                    strerror(errno));
	int rc = 0;
	char chunk[4096];
	char *src = (char *)in;
	size_t left = n;
	while (left > 0 && rc == 0) {
		char *dst = chunk;
		size_t room = sizeof chunk;
		size_t r = iconv(cd, &src, &left, &dst, &room);
		if (r == (size_t)-1 && errno != E2BIG)
			rc = zt_error_set(ZT_EINVAL, "text slip: byte %zu has no GB18030 form",
			                  (size_t)(src - in));
		else
			rc = zt_strbuf_write(out, chunk, sizeof chunk - room);
	}
	iconv_close(cd);
	return rc;
}

int zt_slip_render_text(zt_write_fn write, void *ctx, const struct zt_slip *s,
                        const struct zt_slip_text_opts *o)
{
	struct zt_slip_text_opts opts = o ? *o : (struct zt_slip_text_opts){0};
	if (opts.width_cols == 0)
		opts.width_cols = ZT_SLIP_TEXT_COLS_80MM;
	if (opts.width_cols < ZT_SLIP_TEXT_COLS_MIN || opts.width_cols > ZT_SLIP_TEXT_COLS_MAX)
		return zt_error_set(ZT_EINVAL, "text slip: width %d is not %d to %d columns",
		                    opts.width_cols, ZT_SLIP_TEXT_COLS_MIN, ZT_SLIP_TEXT_COLS_MAX);
	if (opts.encoding != ZT_TEXT_UTF8 && opts.encoding != ZT_TEXT_GB18030)
		return zt_error_set(ZT_EINVAL, "text slip: unknown encoding %d", (int)opts.encoding);
	struct slip_doc d;
	struct tw t = {.width = opts.width_cols};
	struct zt_strbuf gb = {0};
	int rc = slip_doc_build(&d, s);
	if (rc)
		goto done;
	render(&t, &d);
	if ((rc = t.rc))
		goto done;
	if (opts.encoding == ZT_TEXT_GB18030) {
		if ((rc = to_gb18030(&gb, t.out.data, t.out.len)) == 0)
			rc = write(ctx, gb.data, gb.len);
	} else {
		rc = write(ctx, t.out.data, t.out.len);
	}
done:
	zt_strbuf_free(&gb);
	zt_strbuf_free(&t.out);
	slip_doc_free(&d);
	return rc;
}
