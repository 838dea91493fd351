/* zhitong — the patient's slip as a PDF (libharu), with a QR code
 * (libqrencode) that carries the settlement's identity and amounts so a
 * desk can look it up. Chinese text uses libharu's built-in SimSun with
 * the GBK encoding (UTF-8 converted with iconv); the font is referenced,
 * not embedded, as every Chinese PDF reader has it. */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>
#include <qrencode.h>

#include "cli.h"
#include "slip.h"
#include "zhitong/error.h"

static void on_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
	int *failed = user;
	*failed = 1;
	zt_error_set(ZT_EINTERNAL, "PDF: libharu error 0x%04x (%u)", (unsigned)error_no,
	             (unsigned)detail_no);
}

/* UTF-8 → GBK for the CNS font; characters GBK lacks become '?'. */
static void to_gbk(char *out, size_t cap, const char *utf8)
{
	iconv_t cd = iconv_open("GBK//TRANSLIT", "UTF-8");
	if (cd == (iconv_t)-1) {
		snprintf(out, cap, "%s", utf8);
		return;
	}
	char *in = (char *)utf8, *o = out;
	size_t inleft = strlen(utf8), outleft = cap - 1;
	while (inleft > 0) {
		if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
			if (outleft == 0)
				break;
			*o++ = '?';
			outleft--;
			in++;
			inleft--;
		}
	}
	*o = '\0';
	iconv_close(cd);
}

/* Latin text is drawn in Helvetica and Chinese in SimSun, run by run: the
 * Latin glyphs of a CJK CMap are not present in every substitute font. */
static HPDF_Font latin_font;

static void text(HPDF_Page page, HPDF_Font font, float size, float x, float y, const char *utf8)
{
	const char *p = utf8;
	while (*p) {
		bool ascii = (unsigned char)*p < 0x80;
		const char *q = p;
		while (*q && (((unsigned char)*q < 0x80) == ascii))
			q++;
		char run[512], gbk[512];
		size_t n = (size_t)(q - p) < sizeof run - 1 ? (size_t)(q - p) : sizeof run - 1;
		memcpy(run, p, n);
		run[n] = '\0';
		HPDF_Font f = ascii ? latin_font : font;
		const char *drawn = run;
		if (!ascii) {
			to_gbk(gbk, sizeof gbk, run);
			drawn = gbk;
		}
		HPDF_Page_SetFontAndSize(page, f, size);
		HPDF_Page_BeginText(page);
		HPDF_Page_TextOut(page, x, y, drawn);
		HPDF_Page_EndText(page);
		x += HPDF_Page_TextWidth(page, drawn);
		p = q;
	}
}

static void text_right(HPDF_Page page, HPDF_Font font, float size, float right, float y,
                       const char *ascii)
{
	HPDF_Page_SetFontAndSize(page, font, size);
	float w = HPDF_Page_TextWidth(page, ascii);
	HPDF_Page_BeginText(page);
	HPDF_Page_TextOut(page, right - w, y, ascii);
	HPDF_Page_EndText(page);
}

int zt_slip_pdf(FILE *out, const struct slip *s)
{
	int failed = 0, rc = 0;
	HPDF_Doc pdf = HPDF_New(on_hpdf_error, &failed);
	if (!pdf)
		return zt_error_set(ZT_ENOMEM, "cannot create a PDF document");
	HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
	HPDF_UseCNSFonts(pdf);
	HPDF_UseCNSEncodings(pdf);
	HPDF_Font cjk = HPDF_GetFont(pdf, "SimSun", "GBK-EUC-H");
	HPDF_Font mono = HPDF_GetFont(pdf, "Courier", NULL);
	latin_font = HPDF_GetFont(pdf, "Helvetica", NULL);
	HPDF_Page page = HPDF_AddPage(pdf);
	/* A5 portrait: what a desk printer takes. */
	HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A5, HPDF_PAGE_PORTRAIT);
	float W = HPDF_Page_GetWidth(page), H = HPDF_Page_GetHeight(page);
	float x = 36, right = W - 36, y = H - 50;
	char line[512], amount[ZT_FMT_BYTES];

	text(page, cjk, 16, x, y, "住院结算单  Settlement slip");
	y -= 24;
	if (s->void_text) {
		/* A reversed settlement: no bill any more, and the slip says so
		 * before anything else. */
		HPDF_Page_SetRGBFill(page, 0.7f, 0, 0);
		text(page, cjk, 20, x, y, "作废  VOID");
		y -= 16;
		text(page, cjk, 10, x, y, s->void_text);
		HPDF_Page_SetRGBFill(page, 0, 0, 0);
		y -= 22;
	}
	snprintf(line, sizeof line, "%s (%s)", s->hospital_name, s->hospital);
	text(page, cjk, 10, x, y, line);
	y -= 15;
	snprintf(line, sizeof line, "%s  %s  %s", s->person_name, s->psn_no, s->id_masked);
	text(page, cjk, 10, x, y, line);
	y -= 15;
	snprintf(line, sizeof line, "%s - %s   claim %s   settlement %s", s->adm, s->dscg,
	         s->claim_no, s->setl_id);
	text(page, cjk, 10, x, y, line);
	y -= 26;
	for (int i = 0; i < s->row_count; i++) {
		bool last = i == s->row_count - 1;
		if (last) {
			HPDF_Page_SetLineWidth(page, 0.8f);
			HPDF_Page_MoveTo(page, x, y + 13);
			HPDF_Page_LineTo(page, right, y + 13);
			HPDF_Page_Stroke(page);
		}
		text(page, cjk, last ? 12 : 11, x, y, s->rows[i].label);
		text_right(page, mono, last ? 12 : 11, right, y, zt_format_amount(amount, s->rows[i].amount));
		y -= last ? 22 : 17;
	}
	snprintf(line, sizeof line, "Settled %s.%s", s->settled_at,
	         s->void_text ? "" : " Keep this slip.");
	text(page, cjk, 9, x, y, line);

	/* QR code: the settlement's identity and amounts. */
	QRcode *qr = QRcode_encodeString(s->qr_text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr) {
		float module = 3.0f, qx = right - (float)qr->width * module, qy = 40;
		HPDF_Page_SetGrayFill(page, 0);
		for (int r = 0; r < qr->width; r++)
			for (int c = 0; c < qr->width; c++)
				if (qr->data[r * qr->width + c] & 1)
					HPDF_Page_Rectangle(page, qx + (float)c * module,
					                    qy + (float)(qr->width - 1 - r) * module, module, module);
		HPDF_Page_Fill(page);
		QRcode_free(qr);
	}
	if (failed || HPDF_SaveToStream(pdf) != HPDF_OK) {
		rc = failed ? ZT_EINTERNAL : zt_error_set(ZT_EINTERNAL, "cannot render the PDF");
		goto done;
	}
	HPDF_ResetStream(pdf);
	for (;;) {
		HPDF_BYTE buf[8192];
		HPDF_UINT32 n = sizeof buf;
		HPDF_STATUS st = HPDF_ReadFromStream(pdf, buf, &n);
		if (n && fwrite(buf, 1, n, out) != n) {
			rc = zt_error_set(ZT_EIO, "cannot write the PDF");
			break;
		}
		if (st == HPDF_STREAM_EOF)
			break;
		if (st != HPDF_OK) {
			rc = zt_error_set(ZT_EINTERNAL, "cannot read the PDF stream");
			break;
		}
	}
done:
	HPDF_Free(pdf);
	return rc;
}
