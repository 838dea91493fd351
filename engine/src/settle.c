/* zhitong — settling claim files (see settle.h).
 *
 * Anatomy of a claim, in this file:
 *   claim_reader.c    on its own thread: one <claim> subtree at a time,
 *                     validated against claim.xsd, converted to zt_claim
 *   settle_one()      the rejection codes in their order of precedence, then
 *                     accumulators → zt_classify → zt_split → traces →
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
#include "zhitong/claim_stream.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

#define SETTLEMENT_NS "urn:zhitong:settlement:1"
/* The answer to a claim v2 (docs/spec/claim-v2-national.md §1): for now the
 * v1 content in the v2 namespace (a claim with <national> is refused). */
#define SETTLEMENT_V2_NS "urn:zhitong:settlement:2"

/* ---- the answer ------------------------------------------------------- */

struct answer {
	FILE *spool;
	xmlOutputBufferPtr obuf;
	xmlTextWriterPtr w;
	int rc;
};

static int answer_open(struct answer *a, int version)
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
	    xmlTextWriterStartElementNS(a->w, NULL, BAD_CAST "settlements",
	                                BAD_CAST(version == 2 ? SETTLEMENT_V2_NS : SETTLEMENT_NS)) < 0)
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

/* Copies the spooled answer to `out` (NULL: nowhere). `stored` says what
 * was committed before, for the message when the answer cannot be written:
 * then the caller gets ZT_ENOTDELIVERED, never a plain I/O error that would
 * read as "nothing happened". */
static int answer_emit(struct answer *a, FILE *out, const char *stored, const char *how)
{
	if (!out)
		return 0;
	int err = 0;
	if (fflush(a->spool) != 0 || fseek(a->spool, 0, SEEK_SET) != 0)
		err = errno ? errno : EIO;
	char buf[65536];
	size_t n;
	while (!err && (n = fread(buf, 1, sizeof buf, a->spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err = errno ? errno : EIO;
	if (!err && fflush(out) != 0)
		err = errno ? errno : EIO;
	if (!err)
		return 0;
	if (stored)
		return zt_error_set(ZT_ENOTDELIVERED, "%s and stored, but the answer could not be "
		                    "written (%s); %s", stored, strerror(err), how);
	return zt_error_set(ZT_EIO, "cannot write the answer (%s); nothing was stored",
	                    strerror(err));
}

static void answer_close(struct answer *a)
{
	if (a->w)
		xmlFreeTextWriter(a->w);
	if (a->spool)
		fclose(a->spool);
	memset(a, 0, sizeof *a);
}

/* ---- settling one claim ----------------------------------------------- */

/* Hospitals are few and the registry cannot change while the file's
 * transaction holds the write lock: remember the ones seen. */
#define HOSPITAL_CACHE 64

struct run {
	struct zt_hospital hospitals[HOSPITAL_CACHE];
	int hospital_count;
	struct zt_store *s;
	const struct zt_settle_opts *o;
	struct zt_policy_set policies;
	struct answer ans;
	struct zt_settle_stats *stats;
	zt_date today;
	char actor[ZT_ACTOR_BYTES]; /* o->actor normalised (actor.h) */
};

/* The run's totals (a summary for people): a file may hold more money than
 * an int64 counts even when every balance it moves fits; then the totals
 * stop and say so, never wrap. */
static void count_settlement(struct zt_settle_stats *x, const struct zt_stored_settlement *st)
{
	zt_fen *const sums[] = {&x->medfee_total, &x->fund_total, &x->hosp_total, &x->psn_total,
	                        &x->hifp_total,   &x->hifmi_total, &x->maf_total, &x->oth_total};
	const zt_fen adds[] = {st->cls.medfee_sumamt, st->fund_pay_sumamt, st->hosp_part_amt,
	                       st->psn_part_amt,      st->hifp_pay,        st->hifmi_pay,
	                       st->maf_pay,           st->oth_pay};
	zt_fen next[sizeof adds / sizeof *adds];
	if (x->totals_overflow)
		return;
	for (size_t i = 0; i < sizeof adds / sizeof *adds; i++)
		if (__builtin_add_overflow(*sums[i], adds[i], &next[i])) {
			x->totals_overflow = true;
			return;
		}
	for (size_t i = 0; i < sizeof adds / sizeof *adds; i++)
		*sums[i] = next[i];
}

static void reject(struct run *u, const char *hospital, const char *claim_no, zt_reject code,
                   const char *msg)
{
	u->stats->rejected++;
	u->stats->rejected_by[code]++;
	answer_rejection(&u->ans, hospital, claim_no, code, msg);
	if (u->o->on_rejection)
		u->o->on_rejection(u->o->answer_ctx, hospital, claim_no, zt_reject_name(code), msg);
}

static int get_hospital(struct run *u, const char *code, struct zt_hospital *out)
{
	for (int i = 0; i < u->hospital_count; i++)
		if (strcmp(u->hospitals[i].code, code) == 0) {
			*out = u->hospitals[i];
			return 0;
		}
	int rc = zt_store_get_hospital(u->s, code, out);
	if (rc == 0 && u->hospital_count < HOSPITAL_CACHE)
		u->hospitals[u->hospital_count++] = *out;
	return rc;
}

/* Settles one claim; returns 0 or a storage error (rejections are not errors). */
static int settle_one(struct run *u, const struct zt_claim *c)
{
	char msg[ZT_MESSAGE_BYTES_MAX];
	unsigned char digest[ZT_DIGEST_BYTES];
	char *items = zt_claim_items_text(c);
	if (!items)
		return ZT_ENOMEM;
	int rc = zt_claim_digest(digest, c, items);
	if (rc) {
		free(items);
		return rc;
	}
	char *traces[3 + ZT_RELIEF_MAX] = {0};
	int n = 0;
	struct zt_stored_settlement st = {0};

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
				rc = 0;
				goto done;
			}
			struct zt_stored_settlement prev;
			if ((rc = zt_store_get_settlement(u->s, ref.settlement_row, &prev)) != 0)
				goto done;
			answer_settlement(&u->ans, &prev, !u->o->quote);
			if (u->o->on_settlement)
				u->o->on_settlement(u->o->answer_ctx, &prev, true);
			zt_stored_settlement_free(&prev);
			u->stats->resent++;
			goto done;
		}
		seq = ref.seq + 1;
	} else if (rc != ZT_ENOTFOUND) {
		goto done;
	}

	struct zt_hospital h;
	rc = get_hospital(u, c->fixmedins_code, &h);
	if (rc == ZT_ENOTFOUND) {
		snprintf(msg, sizeof msg, "hospital '%s' is not in the registry", c->fixmedins_code);
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_UNKNOWN_HOSPITAL, msg);
		rc = 0;
		goto done;
	} else if (rc) {
		goto done;
	}
	struct zt_person p;
	rc = zt_store_get_person(u->s, c->psn_no, &p);
	if (rc == ZT_ENOTFOUND) {
		snprintf(msg, sizeof msg, "person '%s' is not in the registry", c->psn_no);
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_UNKNOWN_PERSON, msg);
		rc = 0;
		goto done;
	} else if (rc) {
		goto done;
	}
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	if (c->adm_date > c->dscg_date) {
		snprintf(msg, sizeof msg, "adm_date %s is after dscg_date %s",
		         zt_format_date(d1, c->adm_date), zt_format_date(d2, c->dscg_date));
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_BAD_DATES, msg);
		rc = 0;
		goto done;
	}
	if (c->dscg_date > u->today) {
		snprintf(msg, sizeof msg, "dscg_date %s is in the future (today is %s)",
		         zt_format_date(d1, c->dscg_date), zt_format_date(d2, u->today));
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_BAD_DATES, msg);
		rc = 0;
		goto done;
	}
	const struct zt_policy_entry *pe = zt_policy_set_find(&u->policies, p.county, c->dscg_date);
	if (!pe) {
		snprintf(msg, sizeof msg, "no policy for county %s is in force on %s", p.county,
		         zt_format_date(d1, c->dscg_date));
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_NO_POLICY, msg);
		rc = 0;
		goto done;
	}
	const struct zt_policy *pol = &pe->policy;

	struct zt_classified cls;
	zt_reject rj = zt_classify(&cls, pol, c, msg);
	if (rj != ZT_REJ_NONE) {
		reject(u, c->fixmedins_code, c->claim_no, rj, msg);
		rc = 0;
		goto done;
	}
	/* docs/spec/claim-v2-national.md §3: every policy is full for now */
	if (c->has_national) {
		snprintf(msg, sizeof msg, "claim '%s' carries the national settlement '%s', but the "
		         "policy '%s' in force settles in full: send it without <national>",
		         c->claim_no, c->national.setl_id, pol->id);
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_NATIONAL_UNEXPECTED, msg);
		rc = 0;
		goto done;
	}

	struct zt_split_ctx ctx = {
		.hospital_level = h.level,
		.in_county = strcmp(h.county, p.county) == 0,
		.category = p.category,
	};
	int year = c->dscg_date / 10000;
	struct zt_accum before;
	if ((rc = zt_store_get_accum(u->s, c->psn_no, year, pol, &before)) != 0)
		goto done;
	struct zt_split_result res;
	rc = zt_split(&res, pol, &ctx, &cls, &before);
	if (rc == ZT_ERANGE) {
		snprintf(msg, sizeof msg, "%s", zt_error_last()); /* names the yearly total */
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_AMOUNT_MISMATCH, msg);
		rc = 0;
		goto done;
	} else if (rc) {
		goto done;
	}
	assert(res.fund_pay_sumamt + res.hosp_part_amt + res.psn_part_amt == cls.medfee_sumamt);

	struct zt_fund_share shares[3 + ZT_RELIEF_MAX];
	n = zt_split_shares(shares, pol, &res);
	for (int i = 0; i < n; i++) {
		traces[i] = zt_trace_fund(pol, &ctx, &res, &shares[i]);
		if (!traces[i]) {
			rc = ZT_ENOMEM;
			goto done;
		}
	}
	struct zt_settle_write w = {
		.claim = c, .digest = digest, .items_text = items, .seq = seq,
		.policy_row = pe->row, .policy = pol, .ctx = &ctx, .year = year,
		.accum_before = &before, .result = &res, .share_count = n, .shares = shares,
		.traces = (const char *const *)traces, .actor = u->actor,
	};
	int64_t row;
	rc = zt_store_write_settlement(u->s, &w, st.setl_id, &row);
	if (rc == ZT_ERANGE) {
		/* A ledger balance would overflow: the whole file is refused
		 * (rolled back), naming the claim that would have done it. */
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		rc = zt_error_set(rc, "claim '%s' of '%s': %s", c->claim_no, c->fixmedins_code, msg);
	}
	if (rc)
		goto done;

	snprintf(st.fixmedins_code, sizeof st.fixmedins_code, "%s", c->fixmedins_code);
	snprintf(st.claim_no, sizeof st.claim_no, "%s", c->claim_no);
	snprintf(st.psn_no, sizeof st.psn_no, "%s", c->psn_no);
	st.adm_date = c->adm_date;
	st.dscg_date = c->dscg_date;
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
	static const char *const kind_names[] = {"basic", "critical", "assistance", "relief"};
	for (int i = 0; i < n; i++) {
		snprintf(st.funds[i].fund_code, sizeof st.funds[i].fund_code, "%s", shares[i].fund_code);
		snprintf(st.funds[i].kind, sizeof st.funds[i].kind, "%s", kind_names[shares[i].kind]);
		st.funds[i].amount = shares[i].amount;
		st.funds[i].trace = traces[i];
	}
	answer_settlement(&u->ans, &st, !u->o->quote);
	if (u->o->on_settlement)
		u->o->on_settlement(u->o->answer_ctx, &st, false);
	count_settlement(u->stats, &st);
	u->stats->settled++;
done:
	for (int i = 0; i < n; i++)
		free(traces[i]);
	free(items);
	return rc;
}

/* ---- the stream --------------------------------------------------------- */

int zt_settle_source(struct zt_store *s, const struct zt_source *src, enum zt_claim_format format,
                     const struct zt_settle_opts *o, FILE *out, struct zt_settle_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	/* Today is the pool's (docs/spec/rules-v2.md §5), taken once for the
	 * whole file: never per claim. A day that has not come is refused: a
	 * discharge may not be dated after it. */
	zt_date today = zt_date_today();
	if (o->today > today) {
		char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
		return zt_error_set(ZT_EINVAL, "--today %s is in the future: today is %s in %s",
		                    zt_format_date(d1, o->today), zt_format_date(d2, today),
		                    zt_zone_name(zt_date_pool_zone()));
	}
	/* On the heap: the hospital cache makes it large. */
	struct run *u = calloc(1, sizeof *u);
	if (!u)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	u->s = s;
	u->o = o;
	u->stats = stats;
	u->today = o->today ? o->today : today;
	struct zt_claim_stream *cs = NULL;
	uint64_t size = src->size_hint;
	bool in_txn = false, answer_ok = false;
	int rc;

	if ((rc = zt_actor_normalize(u->actor, o->actor)) != 0) {
		free(u);
		return rc;
	}
	if ((rc = zt_store_begin(s)) != 0)
		goto done;
	in_txn = true;
	if ((rc = zt_store_load_policies(s, &u->policies)) != 0)
		goto done;
	if ((rc = zt_claim_stream_open(&cs, src, format)) != 0)
		goto done;

	/* The answer is in the version of the input, known with its first claim. */
	const struct zt_claim_msg *m = zt_claim_stream_next(cs);
	if ((rc = answer_open(&u->ans, zt_claim_stream_version(cs))) != 0)
		goto done;
	answer_ok = true;
	uint64_t next_progress = 1000;
	for (; m != NULL; m = zt_claim_stream_next(cs)) {
		stats->claims++;
		if (m->rejected)
			reject(u, m->hospital, m->claim_no, m->code, m->message);
		else if ((rc = settle_one(u, &m->claim)) != 0)
			goto done;
		if (u->ans.rc) {
			rc = u->ans.rc;
			goto done;
		}
		if (o->progress && stats->claims >= next_progress) {
			next_progress += 1000;
			o->progress(o->progress_ctx, stats->claims, zt_claim_stream_bytes(cs), size);
		}
	}
	if ((rc = zt_claim_stream_status(cs)) != 0)
		goto done; /* refused whole: roll back everything */
	if ((rc = answer_finish(&u->ans)) != 0)
		goto done;
	in_txn = false;
	if (o->quote)
		zt_store_rollback(s);
	else if ((rc = zt_store_commit(s)) != 0)
		goto done;
	char stored[ZT_MESSAGE_BYTES_MAX];
	snprintf(stored, sizeof stored, "the %llu claims of '%s' were answered (%llu settled, %llu "
	         "settled before, %llu rejected)", (unsigned long long)stats->claims,
	         zt_source_name(src), (unsigned long long)stats->settled,
	         (unsigned long long)stats->resent, (unsigned long long)stats->rejected);
	rc = answer_emit(&u->ans, out, o->quote ? NULL : stored,
	                 "submit the same file again to get the same answer (the stored "
	                 "settlements, the same setl_ids)");
done:
	zt_claim_stream_close(cs);
	if (in_txn)
		zt_store_rollback(s);
	if (answer_ok)
		answer_close(&u->ans);
	zt_policy_set_free(&u->policies);
	free(u);
	return rc;
}

/* ---- the file (until the use cases take a source from the front door) --- */

/* The claims file at `path` ("-": stdin), opened for reading. */
static int open_claims(FILE **out, const char *path)
{
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return zt_error_set(ZT_ENOTFOUND, "'%s' is a directory", path);
	}
	if (!(*out = fdopen(fd, "rb"))) {
		close(fd);
		return zt_error_set(ZT_ENOMEM, "cannot open '%s': %s", path, strerror(errno));
	}
	return 0;
}

int zt_settle_file(struct zt_store *s, const char *path, const struct zt_settle_opts *o,
                   FILE *out, struct zt_settle_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	FILE *f = NULL;
	int rc = open_claims(&f, path);
	if (rc)
		return rc;
	struct zt_source src = zt_source_file(f, path);
	rc = zt_settle_source(s, &src, ZT_CLAIM_FORMAT_XML, o, out, stats);
	fclose(f);
	return rc;
}

/* ---- reversal ------------------------------------------------------------ */

int zt_settle_reverse(struct zt_store *s, const char *hospital, const char *claim_no,
                      const char *reason, const char *actor, FILE *out, bool *rejected)
{
	*rejected = false;
	/* What the command line gives is checked as a claim's fields would be:
	 * it is looked up, echoed in the answer and recorded. */
	char who[ZT_ACTOR_BYTES];
	int rc = zt_actor_normalize(who, actor);
	if (rc == 0 && (!reason || !reason[0]))
		rc = zt_error_set(ZT_EINVAL, "a reversal needs a reason (--reason TEXT)");
	if (rc == 0)
		rc = zt_text_check("--reason", reason, strlen(reason), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE);
	if (rc == 0)
		rc = zt_text_check("--hospital", hospital, strlen(hospital), ZT_CODE_CHARS_MAX,
		                   ZT_TEXT_IDENT);
	if (rc == 0)
		rc = zt_text_check("--claim-no", claim_no, strlen(claim_no), ZT_CLAIM_NO_CHARS_MAX,
		                   ZT_TEXT_IDENT);
	if (rc)
		return rc;
	actor = who;
	struct answer a;
	if ((rc = answer_open(&a, 1)) != 0)
		return rc;
	struct zt_stored_settlement orig = {0}, rev = {0};
	char *traces[3 + ZT_RELIEF_MAX] = {0};
	bool in_txn = false;
	struct zt_policy_set set = {0};
	const char *stored = NULL; /* what was committed, once it is */
	char stored_buf[ZT_MESSAGE_BYTES_MAX / 2], how[ZT_MESSAGE_BYTES_MAX / 2];
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
	snprintf(stored_buf, sizeof stored_buf, "claim '%s' of hospital '%s' was reversed by %s "
	         "(reversing %s)", claim_no, hospital, rev.setl_id, orig.setl_id);
	snprintf(how, sizeof how, "'zhitong claim show --setl-id %s' prints it (reversing again "
	         "answers not-settled)", rev.setl_id);
	stored = stored_buf;
finish:
	if ((rc = answer_finish(&a)) == 0)
		rc = answer_emit(&a, out, stored, how);
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
	int rc = answer_open(&a, 1);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++)
		answer_settlement(&a, list[i], true);
	if ((rc = answer_finish(&a)) == 0)
		rc = answer_emit(&a, out, NULL, NULL);
	answer_close(&a);
	return rc;
}
