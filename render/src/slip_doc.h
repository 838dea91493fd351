/* zhitong — the slip as an ordered list of labelled rows, shared by the
 * text, HTML and PDF renderers so that they show the same content with the
 * same Chinese labels (docs/slip.md "Layout"). Private to render/. */
#ifndef ZT_SLIP_DOC_H
#define ZT_SLIP_DOC_H

#include <stdbool.h>

#include "zhitong/slip.h"

enum doc_row_kind {
	DOC_FIELD,   /* label: value (text)                          */
	DOC_AMOUNT,  /* label [note] … amount, the amount right-aligned */
	DOC_TOTAL,   /* an amount row that stands out                 */
	DOC_SUBHEAD, /* a heading inside a section (label only)       */
	DOC_NOTE,    /* a sentence (label only)                       */
};

struct doc_row {
	enum doc_row_kind kind;
	const char *label;
	const char *value; /* the text, or the formatted amount */
	const char *note;  /* NULL, or a code shown beside the label (a fund's code) */
};

struct doc_section {
	const char *title; /* NULL: none */
	bool pairs;        /* wide renderings may put two rows side by side */
	bool amounts;      /* values are right-aligned */
	int first, count;  /* rows[first .. first+count) */
};

#define DOC_SECTIONS_MAX 12
/* Every row the slip can have: header and person (17), charges (15),
 * split (5), funds (2 + 2 subheads + funds + total), shares (7), year
 * totals (funds + 1), footer (7). */
#define DOC_ROWS_MAX (64 + 2 * ZT_SLIP_FUNDS_MAX)

struct slip_doc {
	const char *title;
	bool is_void;
	const char *void_mark; /* "作废" */
	struct doc_section sections[DOC_SECTIONS_MAX];
	int section_count;
	struct doc_row rows[DOC_ROWS_MAX];
	int row_count;
	int footer;             /* index of the footer section (fields beside the QR code) */
	const char *qr_text;    /* NULL: none */
	struct zt_slip_arena arena; /* formatted texts */
};

/* Checks the slip (zt_slip_check, and every text valid UTF-8 without
 * control characters) and lays it out. Free with slip_doc_free (also after
 * a failure). */
int slip_doc_build(struct slip_doc *out, const struct zt_slip *s);
void slip_doc_free(struct slip_doc *d);

/* The notice under the verification code. */
#define DOC_VERIFY_NOTE "扫描二维码或输入验证码，可核验本单真伪"

#endif
