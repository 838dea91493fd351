/* zhitong — the settlement answer as XML (see render_settlement.h). */
#include "zhitong/render_settlement.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "zhitong/error.h"
#include "zhitong/render_trace.h"

struct zt_settlement_xml {
	xmlTextWriterPtr w;
	int rc; /* the first failure: later writes are skipped */
	int version;
};

static void ok(struct zt_settlement_xml *a, int r)
{
	if (r < 0 && a->rc == 0)
		a->rc = zt_error_set(ZT_EIO, "cannot write the answer");
}

int zt_settlement_xml_open(struct zt_settlement_xml **out, FILE *f, int version)
{
	*out = NULL;
	struct zt_settlement_xml *a = calloc(1, sizeof *a);
	xmlOutputBufferPtr obuf = a ? xmlOutputBufferCreateFile(f, NULL) : NULL;
	if (a && obuf)
		a->w = xmlNewTextWriter(obuf); /* owns obuf, which does not close the FILE */
	else if (obuf)
		xmlOutputBufferClose(obuf);
	if (!a || !a->w) {
		free(a);
		return zt_error_set(ZT_ENOMEM, "cannot create the XML writer");
	}
	a->version = version;
	xmlTextWriterSetIndent(a->w, 1);
	xmlTextWriterSetIndentString(a->w, BAD_CAST "  ");
	ok(a, xmlTextWriterStartDocument(a->w, "1.0", "UTF-8", NULL));
	ok(a, xmlTextWriterStartElementNS(a->w, NULL, BAD_CAST "settlements",
	                                  BAD_CAST(version == 2 ? ZT_SETTLEMENT_NS_V2
	                                                        : ZT_SETTLEMENT_NS_V1)));
	*out = a;
	return a->rc;
}

static void attr(struct zt_settlement_xml *a, const char *name, const char *v)
{
	ok(a, xmlTextWriterWriteAttribute(a->w, BAD_CAST name, BAD_CAST v));
}

/* One "<name>value</name>" line of <setlinfo>, at its depth in the
 * answer (<settlements>, <settlement>, <setlinfo>: three levels of the
 * writer's two-space indent). */
static size_t line(char *buf, size_t at, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *p = buf + at;
	memcpy(p, "      <", 7);
	memcpy(p + 7, name, n);
	p[7 + n] = '>';
	memcpy(p + 8 + n, value, v);
	memcpy(p + 8 + n + v, "</", 2);
	memcpy(p + 10 + n + v, name, n);
	memcpy(p + 10 + 2 * n + v, ">\n", 2);
	return at + 12 + 2 * n + v;
}

/* <setlinfo>: numbers only, nothing to escape, written as the writer
 * would indent them but in one piece (the writer's start, text and end of
 * each of fifteen elements cost more than the rest of the answer). The
 * writer, on the start tag, closes it with ">" (no line break) and, the
 * content being raw, puts no indent before the end tag: the content ends
 * with its indent. */
static void setlinfo(struct zt_settlement_xml *a, const struct zt_stored_settlement *st)
{
	static const char *const names[] = {
		"medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
		"inscp_scp_amt", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "hifmi_pay",
		"maf_pay", "oth_pay", "fund_pay_sumamt", "hosp_part_amt", "psn_part_amt",
		"psn_cash_pay"};
	/* No personal accounts for these residents: all of it is cash. */
	const zt_fen v[] = {
		st->cls.medfee_sumamt, st->cls.fulamt_ownpay_amt, st->cls.overlmt_selfpay,
		st->cls.preselfpay_amt, st->cls.inscp_scp_amt, st->act_pay_dedc, 0, st->hifp_pay,
		st->hifmi_pay, st->maf_pay, st->oth_pay, st->fund_pay_sumamt, st->hosp_part_amt,
		st->psn_part_amt, st->psn_part_amt};
	char buf[16 * 72], b[ZT_FMT_BYTES]; /* a line: 12 + 2 x 17 + 31 bytes at most */
	size_t n = 0;
	buf[n++] = '\n';
	for (int i = 0; i < 15; i++) {
		if (i == 6) {
			/* absent when the claim carried <national> (docs/spec/claim-v2-national.md §1) */
			if (!st->national_setl_id[0])
				n = line(buf, n, names[i], zt_format_ratio(b, st->pool_prop_bp));
			continue;
		}
		n = line(buf, n, names[i], zt_format_amount(b, v[i]));
	}
	memcpy(buf + n, "    ", 4);
	n += 4;
	ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "setlinfo"));
	ok(a, xmlTextWriterWriteRawLen(a->w, BAD_CAST buf, (int)n));
	ok(a, xmlTextWriterEndElement(a->w));
}

/* <setldetail>: each <fund> line in one piece, as setlinfo's lines (its
 * attributes escaped as the writer escapes them), the last with the
 * indent of the end tag. */
static void setldetail(struct zt_settlement_xml *a, const struct zt_stored_settlement *st)
{
	char b[ZT_FMT_BYTES], buf[ZT_TRACE_XML_BYTES + 256];
	ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "setldetail"));
	for (int i = 0; i < st->fund_count; i++) {
		const struct zt_stored_fund *f = &st->funds[i];
		size_t n = 0;
		if (i == 0)
			buf[n++] = '\n';
		memcpy(buf + n, "      ", 6);
		n += 6;
		int w = zt_trace_xml_fund(buf + n, sizeof buf - n - 6, f->fund_code,
		                          zt_format_amount(b, f->amount), &f->trace);
		if (w < 0) {
			if (a->rc == 0)
				a->rc = w;
			return;
		}
		n += (size_t)w;
		buf[n++] = '\n';
		if (i == st->fund_count - 1) {
			memcpy(buf + n, "    ", 4);
			n += 4;
		}
		ok(a, xmlTextWriterWriteRawLen(a->w, BAD_CAST buf, (int)n));
	}
	ok(a, xmlTextWriterEndElement(a->w));
}

int zt_settlement_xml_settlement(struct zt_settlement_xml *a, const struct zt_stored_settlement *st,
                                 bool with_setl_id)
{
	ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "settlement"));
	if (with_setl_id && st->setl_id[0])
		attr(a, "setl_id", st->setl_id);
	attr(a, "fixmedins_code", st->fixmedins_code);
	attr(a, "claim_no", st->claim_no);
	attr(a, "psn_no", st->psn_no);
	if (st->reverses_setl_id[0])
		attr(a, "reverses", st->reverses_setl_id);
	if (st->catalog_id[0]) { /* docs/spec/rules-v2.md §2 */
		char n[24];
		snprintf(n, sizeof n, "%lld", (long long)st->catalog_differs);
		attr(a, "catalog", st->catalog_id);
		attr(a, "catalog_differs", n);
	}
	if (a->version == 2 && st->national_setl_id[0]) { /* the national settlement it stands on */
		ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "national"));
		attr(a, "setl_id", st->national_setl_id);
		ok(a, xmlTextWriterEndElement(a->w));
	}
	setlinfo(a, st);
	setldetail(a, st);
	ok(a, xmlTextWriterEndElement(a->w));
	return a->rc;
}

int zt_settlement_xml_rejection(struct zt_settlement_xml *a, const char *hospital,
                                const char *claim_no, const char *code, const char *message)
{
	ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "rejection"));
	if (hospital && hospital[0])
		attr(a, "fixmedins_code", hospital);
	if (claim_no && claim_no[0])
		attr(a, "claim_no", claim_no);
	attr(a, "code", code);
	ok(a, xmlTextWriterWriteString(a->w, BAD_CAST message));
	ok(a, xmlTextWriterEndElement(a->w));
	return a->rc;
}

int zt_settlement_xml_finish(struct zt_settlement_xml *a)
{
	ok(a, xmlTextWriterEndElement(a->w));
	ok(a, xmlTextWriterEndDocument(a->w));
	int rc = a->rc;
	zt_settlement_xml_free(a);
	return rc;
}

void zt_settlement_xml_free(struct zt_settlement_xml *a)
{
	if (!a)
		return;
	xmlFreeTextWriter(a->w); /* flushes and closes obuf, not the FILE */
	free(a);
}

int zt_render_spool_copy(FILE *out, FILE *spool)
{
	int err = 0;
	if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
		err = errno ? errno : EIO;
	char buf[65536];
	size_t n;
	while (!err && (n = fread(buf, 1, sizeof buf, spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err = errno ? errno : EIO;
	if (!err && fflush(out) != 0)
		err = errno ? errno : EIO;
	return err ? zt_error_set(ZT_EIO, "%s", strerror(err)) : 0;
}

int zt_settlement_xml_write(FILE *out, int version, const struct zt_stored_settlement *const *list,
                            int n)
{
	struct zt_settlement_xml *w;
	int rc = zt_settlement_xml_open(&w, out, version);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = zt_settlement_xml_settlement(w, list[i], true);
	if (rc) {
		zt_settlement_xml_free(w);
		return rc;
	}
	if ((rc = zt_settlement_xml_finish(w)) == 0 && fflush(out) != 0)
		rc = zt_error_set(ZT_EIO, "%s", strerror(errno));
	return rc;
}

/* ---- the sink of zt_settle_source ---------------------------------------------- */

static int sink_begin(void *ctx, int version)
{
	struct zt_settlement_xml_sink *x = ctx;
	if (!(x->spool = tmpfile()))
		return zt_error_set(ZT_EIO, "cannot create a spool file: %s", strerror(errno));
	return zt_settlement_xml_open(&x->w, x->spool, version);
}

static int sink_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	struct zt_settlement_xml_sink *x = ctx;
	(void)replayed; /* the stored settlement is the answer either way */
	return zt_settlement_xml_settlement(x->w, st, !x->quote);
}

static int sink_rejected(void *ctx, const struct zt_rejection *r)
{
	struct zt_settlement_xml_sink *x = ctx;
	return zt_settlement_xml_rejection(x->w, r->hospital, r->claim_no, r->code_name, r->message);
}

static int sink_committed(void *ctx, const struct zt_settle_stats *stats)
{
	struct zt_settlement_xml_sink *x = ctx;
	(void)stats;
	int rc = zt_settlement_xml_finish(x->w);
	x->w = NULL;
	if (rc == 0 && x->out)
		rc = zt_render_spool_copy(x->out, x->spool);
	return rc;
}

void zt_settlement_xml_sink(struct zt_settle_sink *sink, struct zt_settlement_xml_sink *x,
                            FILE *out, bool quote)
{
	*x = (struct zt_settlement_xml_sink){.out = out, .quote = quote};
	*sink = (struct zt_settle_sink){.begin = sink_begin, .settled = sink_settled,
	                                .rejected = sink_rejected, .committed = sink_committed,
	                                .ctx = x};
}

void zt_settlement_xml_sink_free(struct zt_settlement_xml_sink *x)
{
	zt_settlement_xml_free(x->w);
	if (x->spool)
		fclose(x->spool);
	x->w = NULL;
	x->spool = NULL;
}
