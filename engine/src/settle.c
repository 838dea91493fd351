/* zhitong — settling claim files (see settle.h).
 *
 * Anatomy of a claim, in this file:
 *   read_claim()      one <claim> subtree, expanded by the streaming reader,
 *                     validated against claim.xsd, converted to zt_claim
 *   check_claim()     the rejection codes in their order of precedence
 *   settle_one()      accumulators → zt_classify → zt_split → traces →
 *                     zt_store_write_settlement (claim, settlement, funds,
 *                     accumulators, ledger) → the answer
 */
#define _GNU_SOURCE
#include "zhitong/settle.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "trace.h"
#include "xml_int.h"
#include "zhitong/error.h"
#include "zhitong/xml.h"

#define SETTLEMENT_NS "urn:zhitong:settlement:1"

/* ---- the answer ------------------------------------------------------- */

struct answer {
	FILE *spool;
	xmlOutputBufferPtr obuf;
	xmlTextWriterPtr w;
	int rc;
};

static int answer_open(struct answer *a)
{
	memset(a, 0, sizeof *a);
	a->spool = tmpfile();
	if (!a->spool)
		return zt_error_set(ZT_EIO, "cannot create a spool file: %s", strerror(errno));
	a->obuf = xmlOutputBufferCreateFile(a->spool, NULL);
	a->w = a->obuf ? xmlNewTextWriter(a->obuf) : NULL;
	if (!a->w) {
		fclose(a->spool);
		return zt_error_set(ZT_ENOMEM, "cannot create the XML writer");
	}
	xmlTextWriterSetIndent(a->w, 1);
	xmlTextWriterSetIndentString(a->w, BAD_CAST "  ");
	if (xmlTextWriterStartDocument(a->w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElementNS(a->w, NULL, BAD_CAST "settlements", BAD_CAST SETTLEMENT_NS) < 0)
		a->rc = zt_error_set(ZT_EIO, "cannot write the answer");
	return a->rc;
}

static void w_ok(struct answer *a, int r)
{
	if (r < 0 && a->rc == 0)
		a->rc = zt_error_set(ZT_EIO, "cannot write the answer");
}

static void w_elem_amount(struct answer *a, const char *name, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	w_ok(a, xmlTextWriterWriteElement(a->w, BAD_CAST name, BAD_CAST zt_format_amount(b, v)));
}

static void w_attr(struct answer *a, const char *name, const char *v)
{
	w_ok(a, xmlTextWriterWriteAttribute(a->w, BAD_CAST name, BAD_CAST v));
}

/* One <settlement>, from the stored form (fresh settlements are put in
 * that form too, so there is exactly one way to write an answer). */
static void answer_settlement(struct answer *a, const struct zt_stored_settlement *st,
                              bool with_setl_id)
{
	char b[ZT_FMT_BYTES];
	w_ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "settlement"));
	if (with_setl_id && st->setl_id[0])
		w_attr(a, "setl_id", st->setl_id);
	w_attr(a, "fixmedins_code", st->fixmedins_code);
	w_attr(a, "claim_no", st->claim_no);
	w_attr(a, "psn_no", st->psn_no);
	if (st->reverses_setl_id[0])
		w_attr(a, "reverses", st->reverses_setl_id);
	w_ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "setlinfo"));
	w_elem_amount(a, "medfee_sumamt", st->cls.medfee_sumamt);
	w_elem_amount(a, "fulamt_ownpay_amt", st->cls.fulamt_ownpay_amt);
	w_elem_amount(a, "overlmt_selfpay", st->cls.overlmt_selfpay);
	w_elem_amount(a, "preselfpay_amt", st->cls.preselfpay_amt);
	w_elem_amount(a, "inscp_scp_amt", st->cls.inscp_scp_amt);
	w_elem_amount(a, "act_pay_dedc", st->act_pay_dedc);
	w_ok(a, xmlTextWriterWriteElement(a->w, BAD_CAST "pool_prop_selfpay",
	                                  BAD_CAST zt_format_ratio(b, st->pool_prop_bp)));
	w_elem_amount(a, "hifp_pay", st->hifp_pay);
	w_elem_amount(a, "hifmi_pay", st->hifmi_pay);
	w_elem_amount(a, "maf_pay", st->maf_pay);
	w_elem_amount(a, "oth_pay", st->oth_pay);
	w_elem_amount(a, "fund_pay_sumamt", st->fund_pay_sumamt);
	w_elem_amount(a, "hosp_part_amt", st->hosp_part_amt);
	w_elem_amount(a, "psn_part_amt", st->psn_part_amt);
	/* No personal accounts for these residents: all of it is cash. */
	w_elem_amount(a, "psn_cash_pay", st->psn_part_amt);
	w_ok(a, xmlTextWriterEndElement(a->w));
	w_ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "setldetail"));
	for (int i = 0; i < st->fund_count; i++) {
		const struct zt_stored_fund *f = &st->funds[i];
		w_ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "fund"));
		w_attr(a, "fund_pay_type", f->fund_code);
		w_attr(a, "fund_payamt", zt_format_amount(b, f->amount));
		if (f->trace && f->trace[0])
			w_ok(a, xmlTextWriterWriteRaw(a->w, BAD_CAST f->trace));
		w_ok(a, xmlTextWriterEndElement(a->w));
	}
	w_ok(a, xmlTextWriterEndElement(a->w));
	w_ok(a, xmlTextWriterEndElement(a->w));
}

static void answer_rejection(struct answer *a, const char *hospital, const char *claim_no,
                             zt_reject code, const char *msg)
{
	w_ok(a, xmlTextWriterStartElement(a->w, BAD_CAST "rejection"));
	if (hospital && hospital[0])
		w_attr(a, "fixmedins_code", hospital);
	if (claim_no && claim_no[0])
		w_attr(a, "claim_no", claim_no);
	w_attr(a, "code", zt_reject_name(code));
	w_ok(a, xmlTextWriterWriteString(a->w, BAD_CAST msg));
	w_ok(a, xmlTextWriterEndElement(a->w));
}

/* Finishes the document. The spool stays open for answer_emit. */
static int answer_finish(struct answer *a)
{
	w_ok(a, xmlTextWriterEndElement(a->w));
	w_ok(a, xmlTextWriterEndDocument(a->w));
	xmlFreeTextWriter(a->w); /* closes obuf, which does not close the FILE */
	a->w = NULL;
	return a->rc;
}

static int answer_emit(struct answer *a, FILE *out)
{
	if (fflush(a->spool) != 0 || fseek(a->spool, 0, SEEK_SET) != 0)
		return zt_error_set(ZT_EIO, "cannot read back the answer: %s", strerror(errno));
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, a->spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return zt_error_set(ZT_EIO, "cannot write the answer: %s", strerror(errno));
	if (fflush(out) != 0)
		return zt_error_set(ZT_EIO, "cannot write the answer: %s", strerror(errno));
	return 0;
}

static void answer_close(struct answer *a)
{
	if (a->w)
		xmlFreeTextWriter(a->w);
	if (a->spool)
		fclose(a->spool);
	memset(a, 0, sizeof *a);
}

/* ---- reading one claim ------------------------------------------------ */

struct reader {
	const char *filename;
	xmlSchemaValidCtxtPtr vctxt;
	char first_error[ZT_MESSAGE_BYTES_MAX];
	int first_error_line;
	bool has_error;
	struct zt_claim claim;
	const char **sn_sort; /* scratch for the feedetl_sn uniqueness check */
	int sn_cap;
};

static void reader_error(void *data, xmlErrorPtr e)
{
	struct reader *r = data;
	if (r->has_error || !e || e->level < XML_ERR_ERROR)
		return;
	r->has_error = true;
	r->first_error_line = e->line;
	snprintf(r->first_error, sizeof r->first_error, "%s", e->message ? e->message : "invalid");
	size_t l = strlen(r->first_error);
	while (l && (r->first_error[l - 1] == '\n' || r->first_error[l - 1] == ' '))
		r->first_error[--l] = '\0';
}

static bool is_elem(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE;
}

static const char *local(const xmlNode *n) { return (const char *)n->name; }

/* Best effort: the text of a direct child, for the rejection attributes. */
static void peek_child(const xmlNode *claim, const char *name, char *dst, size_t cap)
{
	dst[0] = '\0';
	for (const xmlNode *c = claim->children; c; c = c->next)
		if (is_elem(c) && strcmp(local(c), name) == 0) {
			size_t len;
			const char *t = zt_xml_text(c, &len);
			if (len < cap)
				snprintf(dst, cap, "%.*s", (int)len, t);
			return;
		}
}

static int copy_text(char *dst, size_t cap, const xmlNode *n)
{
	size_t len;
	const char *t = zt_xml_text(n, &len);
	if (len >= cap)
		return -1;
	memcpy(dst, t, len);
	dst[len] = '\0';
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Converts a schema-valid <item>; returns 0 or -1 with msg set. */
static int read_item(struct zt_item *it, const xmlNode *item, int index, char *msg)
{
	for (const xmlNode *c = item->children; c; c = c->next) {
		if (!is_elem(c))
			continue;
		const char *name = local(c);
		size_t len;
		const char *t = zt_xml_text(c, &len);
		int rc = 0;
		if (strcmp(name, "feedetl_sn") == 0)
			rc = copy_text(it->feedetl_sn, sizeof it->feedetl_sn, c);
		else if (strcmp(name, "med_list_codg") == 0)
			rc = copy_text(it->med_list_codg, sizeof it->med_list_codg, c);
		else if (strcmp(name, "med_chrgitm_type") == 0)
			rc = copy_text(it->med_chrgitm_type, sizeof it->med_chrgitm_type, c);
		else if (strcmp(name, "chrgitm_lv") == 0)
			it->chrgitm_lv = t[len - 1] - '0'; /* "01"/"1" … (schema-checked) */
		else if (strcmp(name, "pric") == 0)
			rc = zt_parse_q4(&it->pric, t, len);
		else if (strcmp(name, "cnt") == 0)
			rc = zt_parse_q4(&it->cnt, t, len);
		else if (strcmp(name, "det_item_fee_sumamt") == 0)
			rc = zt_parse_amount(&it->det_item_fee_sumamt, t, len);
		else if (strcmp(name, "pric_uplmt_amt") == 0) {
			it->has_pric_uplmt = true;
			rc = zt_parse_q4(&it->pric_uplmt_amt, t, len);
		} else if (strcmp(name, "selfpay_prop") == 0) {
			it->has_selfpay_prop = true;
			rc = zt_parse_ratio(&it->selfpay_prop_bp, t, len);
		}
		if (rc) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "item %d: <%s>: %s", index, name,
			         rc == -1 ? "too long" : zt_error_last());
			return -1;
		}
	}
	return 0;
}

/* Validates and converts one <claim>. Returns ZT_REJ_NONE or
 * ZT_REJ_SCHEMA_INVALID with msg set. */
static zt_reject read_claim(struct reader *r, xmlNodePtr node, char *msg)
{
	struct zt_claim *c = &r->claim;
	zt_claim_reset(c);
	r->has_error = false;
	if (xmlSchemaValidateOneElement(r->vctxt, node) != 0) {
		if (r->has_error)
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %d: %.400s", r->first_error_line,
			         r->first_error);
		else
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %ld: the claim does not match the schema",
			         xmlGetLineNo(node));
		return ZT_REJ_SCHEMA_INVALID;
	}
	for (const xmlNode *e = node->children; e; e = e->next) {
		if (!is_elem(e))
			continue;
		const char *name = local(e);
		size_t len;
		int rc = 0;
		if (strcmp(name, "items") == 0) {
			int index = 0;
			for (const xmlNode *it = e->children; it; it = it->next) {
				if (!is_elem(it))
					continue;
				struct zt_item *item = zt_claim_add_item(c);
				if (!item) {
					snprintf(msg, ZT_MESSAGE_BYTES_MAX, "more than %d items",
					         ZT_ITEMS_PER_CLAIM_MAX);
					return ZT_REJ_SCHEMA_INVALID;
				}
				if (read_item(item, it, ++index, msg))
					return ZT_REJ_SCHEMA_INVALID;
			}
			continue;
		}
		const char *t = zt_xml_text(e, &len);
		if (strcmp(name, "fixmedins_code") == 0)
			rc = copy_text(c->fixmedins_code, sizeof c->fixmedins_code, e);
		else if (strcmp(name, "claim_no") == 0)
			rc = copy_text(c->claim_no, sizeof c->claim_no, e);
		else if (strcmp(name, "psn_no") == 0)
			rc = copy_text(c->psn_no, sizeof c->psn_no, e);
		else if (strcmp(name, "dscg_maindiag_code") == 0)
			rc = copy_text(c->dscg_maindiag_code, sizeof c->dscg_maindiag_code, e);
		else if (strcmp(name, "adm_date") == 0)
			rc = zt_parse_date(&c->adm_date, t, len);
		else if (strcmp(name, "dscg_date") == 0)
			rc = zt_parse_date(&c->dscg_date, t, len);
		else if (strcmp(name, "medfee_sumamt") == 0)
			rc = zt_parse_amount(&c->medfee_sumamt, t, len);
		if (rc) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "<%s>: %s", name,
			         rc == -1 ? "too long" : zt_error_last());
			return ZT_REJ_SCHEMA_INVALID;
		}
	}
	/* feedetl_sn is unique within the claim. */
	if (c->item_count > r->sn_cap) {
		const char **n = realloc(r->sn_sort, (size_t)c->item_count * sizeof *n);
		if (!n) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "out of memory");
			return ZT_REJ_SCHEMA_INVALID;
		}
		r->sn_sort = n;
		r->sn_cap = c->item_count;
	}
	for (int i = 0; i < c->item_count; i++)
		r->sn_sort[i] = c->items[i].feedetl_sn;
	qsort(r->sn_sort, (size_t)c->item_count, sizeof *r->sn_sort, cmp_str);
	for (int i = 1; i < c->item_count; i++)
		if (strcmp(r->sn_sort[i - 1], r->sn_sort[i]) == 0) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "feedetl_sn '%s' appears more than once",
			         r->sn_sort[i]);
			return ZT_REJ_SCHEMA_INVALID;
		}
	return ZT_REJ_NONE;
}

/* ---- settling one claim ----------------------------------------------- */

struct run {
	struct zt_store *s;
	const struct zt_settle_opts *o;
	struct zt_policy_set policies;
	struct answer ans;
	struct reader rd;
	struct zt_settle_stats *stats;
	zt_date today;
};

static void count_settlement(struct zt_settle_stats *x, const struct zt_stored_settlement *st)
{
	x->medfee_total += st->cls.medfee_sumamt;
	x->fund_total += st->fund_pay_sumamt;
	x->hosp_total += st->hosp_part_amt;
	x->psn_total += st->psn_part_amt;
	x->hifp_total += st->hifp_pay;
	x->hifmi_total += st->hifmi_pay;
	x->maf_total += st->maf_pay;
	x->oth_total += st->oth_pay;
}

static void reject(struct run *u, const char *hospital, const char *claim_no, zt_reject code,
                   const char *msg)
{
	u->stats->rejected++;
	u->stats->rejected_by[code]++;
	answer_rejection(&u->ans, hospital, claim_no, code, msg);
}

/* Settles r->claim; returns 0 or a storage error (rejections are not errors). */
static int settle_one(struct run *u)
{
	const struct zt_claim *c = &u->rd.claim;
	char msg[ZT_MESSAGE_BYTES_MAX];
	unsigned char digest[ZT_DIGEST_BYTES];
	int rc = zt_claim_digest(digest, c);
	if (rc)
		return rc;

	/* duplicate-claim-no, or an identical resend */
	struct zt_claim_ref ref;
	int seq = 1;
	rc = zt_store_find_claim(u->s, c->fixmedins_code, c->claim_no, &ref);
	if (rc == 0) {
		if (!ref.reversed) {
			if (memcmp(ref.digest, digest, ZT_DIGEST_BYTES) != 0) {
				snprintf(msg, sizeof msg, "claim '%s' of hospital '%s' was already settled as %s "
				         "with different contents; reverse it first to send a corrected claim",
				         c->claim_no, c->fixmedins_code, ref.setl_id);
				reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_DUPLICATE_CLAIM_NO, msg);
				return 0;
			}
			struct zt_stored_settlement st;
			if ((rc = zt_store_get_settlement(u->s, ref.settlement_row, &st)) != 0)
				return rc;
			answer_settlement(&u->ans, &st, !u->o->quote);
			zt_stored_settlement_free(&st);
			u->stats->resent++;
			return 0;
		}
		seq = ref.seq + 1;
	} else if (rc != ZT_ENOTFOUND) {
		return rc;
	}

	struct zt_hospital h;
	rc = zt_store_get_hospital(u->s, c->fixmedins_code, &h);
	if (rc == ZT_ENOTFOUND) {
		snprintf(msg, sizeof msg, "hospital '%s' is not in the registry", c->fixmedins_code);
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_UNKNOWN_HOSPITAL, msg);
		return 0;
	} else if (rc) {
		return rc;
	}
	struct zt_person p;
	rc = zt_store_get_person(u->s, c->psn_no, &p);
	if (rc == ZT_ENOTFOUND) {
		snprintf(msg, sizeof msg, "person '%s' is not in the registry", c->psn_no);
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_UNKNOWN_PERSON, msg);
		return 0;
	} else if (rc) {
		return rc;
	}
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	if (c->adm_date > c->dscg_date) {
		snprintf(msg, sizeof msg, "adm_date %s is after dscg_date %s",
		         zt_format_date(d1, c->adm_date), zt_format_date(d2, c->dscg_date));
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_BAD_DATES, msg);
		return 0;
	}
	if (c->dscg_date > u->today) {
		snprintf(msg, sizeof msg, "dscg_date %s is in the future (today is %s)",
		         zt_format_date(d1, c->dscg_date), zt_format_date(d2, u->today));
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_BAD_DATES, msg);
		return 0;
	}
	const struct zt_policy_entry *pe = zt_policy_set_find(&u->policies, p.county, c->dscg_date);
	if (!pe) {
		snprintf(msg, sizeof msg, "no policy for county %s is in force on %s", p.county,
		         zt_format_date(d1, c->dscg_date));
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_NO_POLICY, msg);
		return 0;
	}
	const struct zt_policy *pol = &pe->policy;

	struct zt_classified cls;
	zt_reject rj = zt_classify(&cls, pol, c, msg);
	if (rj != ZT_REJ_NONE) {
		reject(u, c->fixmedins_code, c->claim_no, rj, msg);
		return 0;
	}

	struct zt_split_ctx ctx = {
		.hospital_level = h.level,
		.in_county = strcmp(h.county, p.county) == 0,
		.category = p.category,
	};
	int year = c->dscg_date / 10000;
	struct zt_accum before;
	if ((rc = zt_store_get_accum(u->s, c->psn_no, year, pol, &before)) != 0)
		return rc;
	struct zt_split_result res;
	rc = zt_split(&res, pol, &ctx, &cls, &before);
	if (rc == ZT_ERANGE) {
		snprintf(msg, sizeof msg, "the claim's amounts would overflow the person's yearly totals");
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_AMOUNT_MISMATCH, msg);
		return 0;
	} else if (rc) {
		return rc;
	}
	assert(res.fund_pay_sumamt + res.hosp_part_amt + res.psn_part_amt == cls.medfee_sumamt);

	struct zt_fund_share shares[3 + ZT_RELIEF_MAX];
	int n = zt_split_shares(shares, pol, &res);
	char *traces[3 + ZT_RELIEF_MAX] = {0};
	struct zt_stored_settlement st = {0};
	for (int i = 0; i < n; i++) {
		traces[i] = zt_trace_fund(pol, &ctx, &res, &shares[i]);
		if (!traces[i]) {
			rc = ZT_ENOMEM;
			goto done;
		}
	}
	char *items = zt_claim_items_text(c);
	if (!items) {
		rc = ZT_ENOMEM;
		goto done;
	}
	struct zt_settle_write w = {
		.claim = c, .digest = digest, .items_text = items, .seq = seq,
		.policy_row = pe->row, .policy = pol, .ctx = &ctx, .year = year,
		.accum_before = &before, .result = &res, .share_count = n, .shares = shares,
		.traces = (const char *const *)traces, .actor = u->o->actor,
	};
	int64_t row;
	rc = zt_store_write_settlement(u->s, &w, st.setl_id, &row);
	free(items);
	if (rc)
		goto done;

	snprintf(st.fixmedins_code, sizeof st.fixmedins_code, "%s", c->fixmedins_code);
	snprintf(st.claim_no, sizeof st.claim_no, "%s", c->claim_no);
	snprintf(st.psn_no, sizeof st.psn_no, "%s", c->psn_no);
	st.cls = res.cls;
	st.act_pay_dedc = res.act_pay_dedc;
	st.pool_prop_bp = res.pool_prop_bp;
	st.hifp_pay = res.hifp_pay;
	st.hifmi_pay = res.hifmi_pay;
	st.maf_pay = res.maf_pay;
	st.oth_pay = res.oth_pay;
	st.fund_pay_sumamt = res.fund_pay_sumamt;
	st.hosp_part_amt = res.hosp_part_amt;
	st.psn_part_amt = res.psn_part_amt;
	st.fund_count = n;
	for (int i = 0; i < n; i++) {
		snprintf(st.funds[i].fund_code, sizeof st.funds[i].fund_code, "%s", shares[i].fund_code);
		st.funds[i].amount = shares[i].amount;
		st.funds[i].trace = traces[i];
	}
	answer_settlement(&u->ans, &st, !u->o->quote);
	count_settlement(u->stats, &st);
	u->stats->settled++;
done:
	for (int i = 0; i < n; i++)
		free(traces[i]);
	return rc;
}

/* ---- the file --------------------------------------------------------- */

static int open_input(const char *path, int *fd_out, uint64_t *size_out)
{
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_EINVAL, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	*size_out = 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		*size_out = (uint64_t)sb.st_size;
	else if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return zt_error_set(ZT_EINVAL, "'%s' is a directory", path);
	}
	*fd_out = fd;
	return 0;
}

static int process_claim_node(struct run *u, xmlNodePtr node)
{
	char msg[ZT_MESSAGE_BYTES_MAX];
	u->stats->claims++;
	zt_reject rj = read_claim(&u->rd, node, msg);
	if (rj != ZT_REJ_NONE) {
		char hosp[ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX)], no[ZT_UTF8_BYTES(ZT_CLAIM_NO_CHARS_MAX)];
		peek_child(node, "fixmedins_code", hosp, sizeof hosp);
		peek_child(node, "claim_no", no, sizeof no);
		reject(u, hosp, no, rj, msg);
		return 0;
	}
	return settle_one(u);
}

int zt_settle_file(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                   FILE *out, struct zt_settle_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	struct run u = {.s = s, .o = o, .stats = stats};
	u.today = o->today ? o->today : zt_date_today();
	u.rd.filename = path;
	zt_claim_init(&u.rd.claim);
	int fd = -1, rc;
	uint64_t size = 0;
	xmlTextReaderPtr reader = NULL;
	bool in_txn = false, answer_open_ok = false;

	xmlSchemaPtr schema = zt_schema(ZT_SCHEMA_CLAIM);
	if (!schema)
		return ZT_EINTERNAL;
	if ((rc = open_input(path, &fd, &size)) != 0)
		return rc;
	reader = zt_xml_reader_fd(fd, path);
	if (!reader) {
		close(fd);
		return ZT_ENOMEM;
	}
	u.rd.vctxt = xmlSchemaNewValidCtxt(schema);
	if (!u.rd.vctxt) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	xmlSchemaSetValidStructuredErrors(u.rd.vctxt, reader_error, &u.rd);
	struct reader *rdp = &u.rd;
	xmlTextReaderSetStructuredErrorHandler(reader, reader_error, rdp);

	if ((rc = answer_open(&u.ans)) != 0)
		goto done;
	answer_open_ok = true;
	if ((rc = zt_store_begin(s)) != 0)
		goto done;
	in_txn = true;
	if ((rc = zt_store_load_policies(s, &u.policies)) != 0)
		goto done;

	/* The root decides the mode: one <claim>, or a <claims> list. After a
	 * claim, xmlTextReaderNext() skips its subtree (freeing it: memory stays
	 * flat) and leaves the reader on the next sibling already. */
	int r = 1, root_depth = -1;
	bool list = false, seen_root = false, positioned = false;
	uint64_t next_progress = 1000;
	for (;;) {
		if (!positioned && (r = xmlTextReaderRead(reader)) != 1)
			break;
		positioned = false;
		int type = xmlTextReaderNodeType(reader);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
			goto done;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(reader);
		const char *name = (const char *)xmlTextReaderConstLocalName(reader);
		const char *ns = (const char *)xmlTextReaderConstNamespaceUri(reader);
		bool our_ns = ns && strcmp(ns, ZT_CLAIM_NS) == 0;
		if (!seen_root) {
			seen_root = true;
			root_depth = depth;
			if (our_ns && strcmp(name, "claims") == 0) {
				list = true;
				continue;
			}
			if (!(our_ns && strcmp(name, "claim") == 0)) {
				rc = zt_error_set(ZT_EINVAL, "%s: the root element is <%s>%s%s, not a v1 <claim> or "
				                  "<claims> in namespace %s", path, name, ns ? " in namespace " : "",
				                  ns ? ns : "", ZT_CLAIM_NS);
				goto done;
			}
		} else if (!list || depth != root_depth + 1) {
			continue;
		}
		xmlNodePtr node = xmlTextReaderExpand(reader);
		if (!node) {
			r = -1;
			break;
		}
		if (list && !(our_ns && strcmp(name, "claim") == 0)) {
			char msg[ZT_MESSAGE_BYTES_MAX];
			snprintf(msg, sizeof msg, "line %ld: <%s> is not allowed in <claims>",
			         xmlGetLineNo(node), name);
			stats->claims++;
			reject(&u, NULL, NULL, ZT_REJ_SCHEMA_INVALID, msg);
		} else if ((rc = process_claim_node(&u, node)) != 0) {
			goto done;
		}
		if (u.ans.rc) {
			rc = u.ans.rc;
			goto done;
		}
		if (o->progress && stats->claims >= next_progress) {
			next_progress += 1000;
			o->progress(o->progress_ctx, stats->claims,
			            (uint64_t)xmlTextReaderByteConsumed(reader), size);
		}
		if (!list)
			break;
		if ((r = xmlTextReaderNext(reader)) != 1)
			break;
		positioned = true;
	}
	if (r == 1 && !list) {
		/* A single <claim>: the rest of the document must still be well-formed. */
		while ((r = xmlTextReaderRead(reader)) == 1)
			;
	}
	if (r != 0) {
		if (zt_xml_reader_refused_doctype())
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
		else if (u.rd.has_error)
			rc = zt_error_set(ZT_EMALFORMED, "%s:%d: not well-formed XML: %s", path,
			                  u.rd.first_error_line, u.rd.first_error);
		else
			rc = zt_error_set(ZT_EMALFORMED, "%s: not well-formed XML", path);
		goto done;
	}
	if (!seen_root) {
		rc = zt_error_set(ZT_EMALFORMED, "%s: no root element", path);
		goto done;
	}
	if ((rc = answer_finish(&u.ans)) != 0)
		goto done;
	if (o->quote) {
		zt_store_rollback(s);
		in_txn = false;
	} else {
		in_txn = false;
		if ((rc = zt_store_commit(s)) != 0)
			goto done;
	}
	rc = answer_emit(&u.ans, out);
done:
	if (in_txn)
		zt_store_rollback(s);
	if (answer_open_ok)
		answer_close(&u.ans);
	zt_policy_set_free(&u.policies);
	if (u.rd.vctxt)
		xmlSchemaFreeValidCtxt(u.rd.vctxt);
	free(u.rd.sn_sort);
	zt_claim_free(&u.rd.claim);
	xmlFreeTextReader(reader); /* frees the IO context; the fd is ours */
	close(fd);
	return rc;
}

/* ---- reversal ------------------------------------------------------------ */

int zt_settle_reverse(struct zt_store *s, const char *hospital, const char *claim_no,
                      const char *reason, const char *actor, FILE *out, bool *rejected)
{
	*rejected = false;
	struct answer a;
	int rc = answer_open(&a);
	if (rc)
		return rc;
	struct zt_stored_settlement orig = {0}, rev = {0};
	char *traces[3 + ZT_RELIEF_MAX] = {0};
	bool in_txn = false;
	struct zt_policy_set set = {0};
	if ((rc = zt_store_begin(s)) != 0)
		goto done;
	in_txn = true;
	struct zt_claim_ref ref;
	rc = zt_store_find_claim(s, hospital, claim_no, &ref);
	if (rc == ZT_ENOTFOUND || (rc == 0 && ref.reversed)) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		if (rc == 0)
			snprintf(msg, sizeof msg, "claim '%s' of hospital '%s' was already reversed", claim_no,
			         hospital);
		else
			snprintf(msg, sizeof msg, "claim '%s' of hospital '%s' has not been settled", claim_no,
			         hospital);
		answer_rejection(&a, hospital, claim_no, ZT_REJ_NOT_SETTLED, msg);
		*rejected = true;
		rc = 0;
		zt_store_rollback(s);
		in_txn = false;
		goto finish;
	} else if (rc) {
		goto done;
	}
	if ((rc = zt_store_get_settlement(s, ref.settlement_row, &orig)) != 0)
		goto done;
	/* The accumulators before the reversal, for the traces. */
	if ((rc = zt_store_load_policies(s, &set)) != 0)
		goto done;
	const struct zt_policy *pol = NULL;
	for (int i = 0; i < set.count; i++)
		if (set.entries[i].row == orig.policy_row)
			pol = &set.entries[i].policy;
	if (!pol) {
		rc = zt_error_set(ZT_EINTERNAL, "policy #%lld of %s is missing",
		                  (long long)orig.policy_row, orig.setl_id);
		goto done;
	}
	struct zt_accum acc;
	if ((rc = zt_store_get_accum(s, orig.psn_no, orig.year, pol, &acc)) != 0)
		goto done;
	for (int i = 0; i < orig.fund_count; i++) {
		const struct zt_stored_fund *f = &orig.funds[i];
		zt_fen before = 0;
		if (strcmp(f->slot, "basic") == 0)
			before = acc.basic_paid;
		else if (strcmp(f->slot, "crit_paid") == 0)
			before = acc.critical_paid;
		else if (strcmp(f->slot, "assist") == 0)
			before = acc.assistance_paid;
		else
			for (int k = 0; k < pol->relief_count; k++)
				if (strcmp(f->slot + 7, pol->relief[k].fund) == 0)
					before = acc.relief_paid[k];
		traces[i] = zt_trace_reversal(orig.setl_id, reason, f->slot, before, before - f->amount);
		if (!traces[i]) {
			rc = ZT_ENOMEM;
			goto done;
		}
	}
	char setl_id[32];
	int64_t row;
	if ((rc = zt_store_write_reversal(s, &orig, reason, actor, (const char *const *)traces,
	                                  setl_id, &row)) != 0)
		goto done;
	char detail[ZT_MESSAGE_BYTES_MAX + 64];
	snprintf(detail, sizeof detail, "%s reverses %s: %s", setl_id, orig.setl_id, reason);
	char subject[128];
	snprintf(subject, sizeof subject, "claim %s/%s", hospital, claim_no);
	if ((rc = zt_store_audit(s, actor, "claim reverse", subject, detail)) != 0)
		goto done;
	if ((rc = zt_store_get_settlement(s, row, &rev)) != 0)
		goto done;
	if ((rc = zt_store_commit(s)) != 0) {
		in_txn = false;
		goto done;
	}
	in_txn = false;
	answer_settlement(&a, &rev, true);
finish:
	if ((rc = answer_finish(&a)) == 0)
		rc = answer_emit(&a, out);
done:
	if (in_txn)
		zt_store_rollback(s);
	for (int i = 0; i < 3 + ZT_RELIEF_MAX; i++)
		free(traces[i]);
	zt_stored_settlement_free(&orig);
	zt_stored_settlement_free(&rev);
	zt_policy_set_free(&set);
	answer_close(&a);
	return rc;
}

int zt_settle_write_stored(FILE *out, const struct zt_stored_settlement *const *list, int n)
{
	struct answer a;
	int rc = answer_open(&a);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++)
		answer_settlement(&a, list[i], true);
	if ((rc = answer_finish(&a)) == 0)
		rc = answer_emit(&a, out);
	answer_close(&a);
	return rc;
}
