/* zhitong — settling claim files (see settle.h).
 *
 * Anatomy of a claim, in this file:
 *   claim_reader.c    on its own thread: one <claim> subtree at a time,
 *                     validated against claim.xsd, converted to zt_claim
 *   settle_one()      the rejection codes in their order of precedence, then
 *                     accumulators → zt_classify → zt_split → traces →
 *                     the store's claims.write_settlement (claim, settlement,
 *                     funds with their traces, accumulators, the ledger
 *                     postings) inside the claim's savepoint → the answer
 */
#define _GNU_SOURCE
#include "zhitong/settle.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "xml_int.h"
#include "zhitong/alloc.h"
#include "zhitong/claim_stream.h"
#include "zhitong/error.h"
#include "zhitong/ledger.h"
#include "zhitong/store.h"
#include "zhitong/trace.h"
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
		char xml[ZT_TRACE_XML_BYTES];
		int n = zt_trace_xml(xml, sizeof xml, &f->trace);
		if (n < 0 && a->rc == 0)
			a->rc = n;
		else if (n >= 0)
			w_ok(a, xmlTextWriterWriteRaw(a->w, BAD_CAST xml));
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

/* What settling a claim takes once it passed its checks. */
struct settling {
	const struct zt_claim *c;
	const struct zt_policy_entry *pe;
	struct zt_split_ctx ctx;
	struct zt_classified cls;
	unsigned char digest[ZT_DIGEST_BYTES];
	const char *items;
	int seq, year;
	struct zt_accum before;
	struct zt_split_result res;
};

struct run {
	/* the claim being settled and its answer: one of each for the run,
	 * not a page zeroed per claim */
	struct settling claim;
	struct zt_stored_settlement answer;
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
	int rc = u->s->ops->registry.get_hospital(u->s, code, out);
	if (rc == 0 && u->hospital_count < HOSPITAL_CACHE)
		u->hospitals[u->hospital_count++] = *out;
	return rc;
}

/* ---- a person's accumulators (docs/spec/split.md §0) ------------------------ */

/* The slots of a person's year as the store holds them. */
#define SLOTS_MAX (4 + 4 * ZT_RELIEF_MAX)
struct slots {
	int n;
	struct {
		char slot[ZT_SLOT_BYTES];
		zt_fen amount;
	} v[SLOTS_MAX];
};

static int slot_seen(void *ctx, const char *slot, zt_fen amount)
{
	struct slots *x = ctx;
	if (x->n >= SLOTS_MAX)
		return zt_error_set(ZT_EINTERNAL, "a person has more than %d accumulators in a year",
		                    SLOTS_MAX);
	snprintf(x->v[x->n].slot, sizeof x->v[x->n].slot, "%s", slot);
	x->v[x->n++].amount = amount;
	return 0;
}

static zt_fen slot_value(const struct slots *x, const char *slot)
{
	for (int i = 0; i < x->n; i++)
		if (strcmp(x->v[i].slot, slot) == 0)
			return x->v[i].amount;
	return 0;
}

static void relief_slot(char out[ZT_SLOT_BYTES], const char *fund)
{
	snprintf(out, ZT_SLOT_BYTES, "relief:%s", fund);
}

/* The accumulator a fund's share moves. */
static void share_slot(char out[ZT_SLOT_BYTES], const struct zt_fund_share *sh)
{
	static const char *const slots[] = {"basic", "crit_paid", "assist"};
	if (sh->kind == ZT_FUND_RELIEF)
		relief_slot(out, sh->fund_code);
	else
		snprintf(out, ZT_SLOT_BYTES, "%s", slots[sh->kind]);
}

static int read_slots(struct zt_store *s, const char *psn_no, int year, struct slots *out)
{
	out->n = 0;
	return s->ops->claims.accum_get(s, psn_no, year, slot_seen, out);
}

/* The person's accumulators of `year` as the split of policy `pol` reads
 * them. */
static int read_accum(struct zt_store *s, const char *psn_no, int year, const struct zt_policy *pol,
                      struct zt_accum *out)
{
	struct slots x;
	int rc = read_slots(s, psn_no, year, &x);
	memset(out, 0, sizeof *out);
	out->relief_count = pol->relief_count;
	out->basic_paid = slot_value(&x, "basic");
	out->critical_base = slot_value(&x, "crit_base");
	out->critical_paid = slot_value(&x, "crit_paid");
	out->assistance_paid = slot_value(&x, "assist");
	for (int i = 0; i < pol->relief_count; i++) {
		char slot[ZT_SLOT_BYTES];
		relief_slot(slot, pol->relief[i].fund);
		out->relief_paid[i] = slot_value(&x, slot);
	}
	return rc;
}

/* ---- settling one claim ----------------------------------------------- */


/* The checks after the claim number's, in the order of the rejection
 * codes: 0 with *ok when the claim can be split, 0 after a rejection, or a
 * storage error. */
static int check(struct run *u, struct settling *k, bool *ok)
{
	const struct zt_claim *c = k->c;
	char msg[ZT_MESSAGE_BYTES_MAX], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	struct zt_hospital h;
	struct zt_person p;
	zt_reject why = ZT_REJ_NONE;
	int rc = get_hospital(u, c->fixmedins_code, &h);
	if (rc == 0)
		rc = u->s->ops->registry.get_person(u->s, c->psn_no, &p);
	if (rc == ZT_ENOTFOUND) {
		bool person = get_hospital(u, c->fixmedins_code, &h) == 0;
		snprintf(msg, sizeof msg, "%s '%s' is not in the registry", person ? "person" : "hospital",
		         person ? c->psn_no : c->fixmedins_code);
		why = person ? ZT_REJ_UNKNOWN_PERSON : ZT_REJ_UNKNOWN_HOSPITAL;
	} else if (rc) {
		return rc;
	} else if (c->adm_date > c->dscg_date) {
		snprintf(msg, sizeof msg, "adm_date %s is after dscg_date %s",
		         zt_format_date(d1, c->adm_date), zt_format_date(d2, c->dscg_date));
		why = ZT_REJ_BAD_DATES;
	} else if (c->dscg_date > u->today) {
		snprintf(msg, sizeof msg, "dscg_date %s is in the future (today is %s)",
		         zt_format_date(d1, c->dscg_date), zt_format_date(d2, u->today));
		why = ZT_REJ_BAD_DATES;
	} else if (!(k->pe = zt_policy_set_find(&u->policies, p.county, c->dscg_date))) {
		snprintf(msg, sizeof msg, "no policy for county %s is in force on %s", p.county,
		         zt_format_date(d1, c->dscg_date));
		why = ZT_REJ_NO_POLICY;
	} else {
		why = zt_classify(&k->cls, &k->pe->policy, c, msg);
		k->ctx = (struct zt_split_ctx){h.level, strcmp(h.county, p.county) == 0, p.category};
		/* docs/spec/claim-v2-national.md §3: every policy is full for now */
		if (why == ZT_REJ_NONE && c->has_national) {
			snprintf(msg, sizeof msg,
			         "claim '%s' carries the national settlement '%s', but the policy '%s' "
			         "in force settles in full: send it without <national>",
			         c->claim_no, c->national.setl_id, k->pe->policy.id);
			why = ZT_REJ_NATIONAL_UNEXPECTED;
		}
	}
	*ok = why == ZT_REJ_NONE;
	if (!*ok)
		reject(u, c->fixmedins_code, c->claim_no, why, msg);
	return 0;
}

/* The answer of a fresh settlement, in the stored form (there is one way to
 * write an answer). */
static void as_stored(struct zt_stored_settlement *st, const struct settling *k,
                      const struct zt_fund_share *shares, const struct zt_fund_trace *traces,
                      int n)
{
	static const char *const kind_names[] = {"basic", "critical", "assistance", "relief"};
	const struct zt_split_result *r = &k->res;
	snprintf(st->fixmedins_code, sizeof st->fixmedins_code, "%s", k->c->fixmedins_code);
	snprintf(st->claim_no, sizeof st->claim_no, "%s", k->c->claim_no);
	snprintf(st->psn_no, sizeof st->psn_no, "%s", k->c->psn_no);
	st->adm_date = k->c->adm_date;
	st->dscg_date = k->c->dscg_date;
	st->cls = r->cls;
	st->act_pay_dedc = r->act_pay_dedc;
	st->pool_prop_bp = r->pool_prop_bp;
	st->hifp_pay = r->hifp_pay;
	st->hifmi_pay = r->hifmi_pay;
	st->maf_pay = r->maf_pay;
	st->oth_pay = r->oth_pay;
	st->fund_pay_sumamt = r->fund_pay_sumamt;
	st->hosp_part_amt = r->hosp_part_amt;
	st->psn_part_amt = r->psn_part_amt;
	st->fund_count = n;
	for (int i = 0; i < n; i++) {
		struct zt_stored_fund *f = &st->funds[i];
		snprintf(f->fund_code, sizeof f->fund_code, "%s", shares[i].fund_code);
		snprintf(f->kind, sizeof f->kind, "%s", kind_names[shares[i].kind]);
		f->amount = shares[i].amount;
		f->trace = traces[i];
	}
}

/* The accumulators the split moved, before and after. */
static int accum_changes(struct zt_accum_change *out, const struct zt_policy *pol,
                         const struct zt_accum *b, const struct zt_accum *a)
{
	static const char *const slots[] = {"basic", "crit_base", "crit_paid", "assist"};
	const zt_fen before[] = {b->basic_paid, b->critical_base, b->critical_paid, b->assistance_paid};
	const zt_fen after[] = {a->basic_paid, a->critical_base, a->critical_paid, a->assistance_paid};
	int n = 0;
	for (int i = 0; i < 4; i++, n++)
		out[n] = (struct zt_accum_change){.before = before[i], .after = after[i]},
		snprintf(out[n].slot, sizeof out[n].slot, "%s", slots[i]);
	for (int i = 0; i < pol->relief_count; i++, n++) {
		relief_slot(out[n].slot, pol->relief[i].fund);
		out[n].before = b->relief_paid[i];
		out[n].after = a->relief_paid[i];
	}
	return n;
}

/* Stores the settlement the split made of k (the claim's savepoint is the
 * caller's) and fills the answer `st`. */
static int store_settlement(struct run *u, struct settling *k, struct zt_stored_settlement *st)
{
	const struct zt_policy *pol = &k->pe->policy;
	struct zt_fund_share shares[3 + ZT_RELIEF_MAX];
	struct zt_fund_trace traces[3 + ZT_RELIEF_MAX];
	struct zt_share_write writes[3 + ZT_RELIEF_MAX];
	char slots[3 + ZT_RELIEF_MAX][ZT_SLOT_BYTES];
	const char *codes[3 + ZT_RELIEF_MAX];
	zt_fen amounts[3 + ZT_RELIEF_MAX];
	int n = zt_split_shares(shares, pol, &k->res);
	for (int i = 0; i < n; i++) {
		zt_trace_of_share(&traces[i], pol, &k->ctx, &k->res, &shares[i]);
		share_slot(slots[i], &shares[i]);
		writes[i] = (struct zt_share_write){shares[i].fund_code, shares[i].kind, shares[i].amount,
		                                    slots[i], &traces[i]};
		codes[i] = shares[i].fund_code;
		amounts[i] = shares[i].amount;
	}
	struct zt_accum_change accums[4 + ZT_RELIEF_MAX];
	struct zt_posting postings[ZT_SETTLEMENT_POSTINGS_MAX];
	struct zt_settlement_accounts names;
	int np = zt_ledger_settlement_postings(postings, &names, +1, k->c->fixmedins_code, codes,
	                                       amounts, n, k->res.hosp_part_amt, k->res.psn_part_amt);
	const struct zt_settle_write w = {
		.claim = k->c, .digest = k->digest, .items_text = k->items, .seq = k->seq,
		.policy_row = k->pe->row, .year = k->year, .category = k->ctx.category,
		.hospital_level = k->ctx.hospital_level, .in_county = k->ctx.in_county,
		.result = &k->res, .share_count = n, .shares = writes,
		.accum_count = accum_changes(accums, pol, &k->before, &k->res.accum_after),
		.accums = accums, .posting_count = np, .postings = postings, .actor = u->actor,
	};
	int64_t row;
	int rc = u->s->ops->claims.write_settlement(u->s, &w, st->setl_id, &row);
	if (rc == ZT_ERANGE) {
		/* A ledger balance would overflow: the whole file is refused
		 * (rolled back), naming the claim that would have done it. */
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		rc = zt_error_set(rc, "claim '%s' of '%s': %s", k->c->claim_no, k->c->fixmedins_code, msg);
	}
	if (rc == 0)
		as_stored(st, k, shares, traces, n);
	return rc;
}

/* The same claim sent again, or another under a number in use: 0 with
 * *done when it was answered so (resent or rejected), or *seq the claim's
 * submission number. */
static int known_claim(struct run *u, const struct settling *k, int *seq, bool *done)
{
	const struct zt_claim *c = k->c;
	struct zt_claim_ref ref;
	*seq = 1;
	*done = false;
	int rc = u->s->ops->claims.find(u->s, c->fixmedins_code, c->claim_no, &ref);
	if (rc == ZT_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (ref.reversed) {
		*seq = ref.seq + 1;
		return 0;
	}
	*done = true;
	if (memcmp(ref.digest, k->digest, ZT_DIGEST_BYTES) != 0) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "claim '%s' of hospital '%s' was already settled as %s with "
		         "different contents; reverse it first to send a corrected claim", c->claim_no,
		         c->fixmedins_code, ref.setl_id);
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_DUPLICATE_CLAIM_NO, msg);
		return 0;
	}
	struct zt_stored_settlement *prev = zt_malloc(sizeof *prev);
	if (!prev)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if ((rc = u->s->ops->claims.get(u->s, ref.settlement_row, prev)) == 0) {
		answer_settlement(&u->ans, prev, !u->o->quote);
		if (u->o->on_settlement)
			u->o->on_settlement(u->o->answer_ctx, prev, true);
		u->stats->resent++;
	}
	free(prev);
	return rc;
}

/* Settles one claim; returns 0 or a storage error (rejections are not errors). */
static int settle_one(struct run *u, const struct zt_claim *c)
{
	struct settling *k = &u->claim;
	struct zt_stored_settlement *st = &u->answer;
	/* the answer's shares are filled as they are written */
	memset(st, 0, offsetof(struct zt_stored_settlement, funds));
	memset(k, 0, offsetof(struct settling, before));
	char *items = zt_claim_items_text(c);
	bool done = false, ok = false;
	int rc = items ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc == 0) {
		k->c = c;
		k->items = items;
		rc = zt_claim_digest(k->digest, c, items);
	}
	if (rc == 0)
		rc = known_claim(u, k, &k->seq, &done);
	if (rc == 0 && !done)
		rc = check(u, k, &ok);
	if (rc || !ok)
		goto out;
	k->year = c->dscg_date / 10000;
	const struct zt_policy *pol = &k->pe->policy;
	if ((rc = read_accum(u->s, c->psn_no, k->year, pol, &k->before)) != 0)
		goto out;
	rc = zt_split(&k->res, pol, &k->ctx, &k->cls, &k->before);
	if (rc == ZT_ERANGE) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last()); /* names the yearly total */
		reject(u, c->fixmedins_code, c->claim_no, ZT_REJ_AMOUNT_MISMATCH, msg);
		rc = 0;
		goto out;
	}
	if (rc || (rc = store_settlement(u, k, st)) != 0)
		goto out;
	assert(st->fund_pay_sumamt + st->hosp_part_amt + st->psn_part_amt == c->medfee_sumamt);
	answer_settlement(&u->ans, st, !u->o->quote);
	if (u->o->on_settlement)
		u->o->on_settlement(u->o->answer_ctx, st, false);
	count_settlement(u->stats, st);
	u->stats->settled++;
out:
	free(items);
	return rc;
}

/* One claim of a file in its own savepoint (store.h G2): whatever it wrote
 * before failing is undone, the other claims of the file are not. */
static int settle_in_savepoint(struct run *u, const struct zt_claim *c)
{
	struct zt_store *s = u->s;
	int rc = s->ops->savepoint(s);
	if (rc)
		return rc;
	if ((rc = settle_one(u, c)) != 0) {
		char msg[ZT_MESSAGE_BYTES_MAX];
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		s->ops->rollback_to(s);
		zt_error_set(rc, "%s", msg);
	}
	int r = s->ops->release(s);
	return rc ? rc : r;
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
	struct run *u = zt_calloc(1, sizeof *u);
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
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	in_txn = true;
	if ((rc = zt_policy_set_load(&u->policies, s)) != 0)
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
		else if ((rc = settle_in_savepoint(u, &m->claim)) != 0)
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
		s->ops->rollback(s);
	else if ((rc = s->ops->commit(s)) != 0)
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
		s->ops->rollback(s);
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

/* Takes `amount` back out of accumulator `slot` (read into x): the change
 * and the trace of the share, or ZT_EINTERNAL below zero. */
static int take_back(struct zt_accum_change *a, const struct slots *x, const char *slot,
                     zt_fen amount, const struct zt_stored_settlement *o)
{
	snprintf(a->slot, sizeof a->slot, "%s", slot);
	a->before = slot_value(x, slot);
	if (a->before < amount)
		return zt_error_set(ZT_EINTERNAL, "accumulator %s of '%s' %d would go below zero", slot,
		                    o->psn_no, o->year);
	a->after = a->before - amount;
	return 0;
}

int zt_settle_reversal_write(struct zt_store *s, const struct zt_stored_settlement *o,
                             const char *reason, const char *actor, char setl_id[32], int64_t *row)
{
	struct slots x;
	struct zt_fund_trace traces[3 + ZT_RELIEF_MAX];
	struct zt_accum_change accums[4 + ZT_RELIEF_MAX];
	const char *codes[3 + ZT_RELIEF_MAX];
	zt_fen amounts[3 + ZT_RELIEF_MAX];
	int rc = read_slots(s, o->psn_no, o->year, &x), na = 0;
	if (rc == 0)
		rc = take_back(&accums[na++], &x, "crit_base", o->critical_base_added, o);
	for (int i = 0; rc == 0 && i < o->fund_count; i++) {
		const struct zt_stored_fund *f = &o->funds[i];
		struct zt_accum_change *a = &accums[na++];
		if ((rc = take_back(a, &x, f->slot, f->amount, o)) == 0)
			zt_trace_of_reversal(&traces[i], o->setl_id, reason, f->slot, a->before, a->after);
		codes[i] = f->fund_code;
		amounts[i] = f->amount;
	}
	if (rc)
		return rc;
	struct zt_posting postings[ZT_SETTLEMENT_POSTINGS_MAX];
	struct zt_settlement_accounts names;
	const struct zt_reversal_write w = {
		.orig = o, .reason = reason, .actor = actor, .traces = traces,
		.accum_count = na, .accums = accums,
		.posting_count = zt_ledger_settlement_postings(postings, &names, -1, o->fixmedins_code,
		                                               codes, amounts, o->fund_count,
		                                               o->hosp_part_amt, o->psn_part_amt),
		.postings = postings,
	};
	return s->ops->claims.write_reversal(s, &w, setl_id, row);
}

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
	bool in_txn = false;
	const char *stored = NULL; /* what was committed, once it is */
	char stored_buf[ZT_MESSAGE_BYTES_MAX / 2], how[ZT_MESSAGE_BYTES_MAX / 2];
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	in_txn = true;
	struct zt_claim_ref ref;
	rc = s->ops->claims.find(s, hospital, claim_no, &ref);
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
		s->ops->rollback(s);
		in_txn = false;
		goto finish;
	} else if (rc) {
		goto done;
	}
	char setl_id[32];
	int64_t row;
	if ((rc = s->ops->claims.get(s, ref.settlement_row, &orig)) != 0 ||
	    (rc = zt_settle_reversal_write(s, &orig, reason, actor, setl_id, &row)) != 0)
		goto done;
	char detail[ZT_MESSAGE_BYTES_MAX + 64];
	snprintf(detail, sizeof detail, "%s reverses %s: %s", setl_id, orig.setl_id, reason);
	char subject[128];
	snprintf(subject, sizeof subject, "claim %s/%s", hospital, claim_no);
	if ((rc = s->ops->audit.add(s, actor, "claim reverse", subject, detail)) != 0)
		goto done;
	if ((rc = s->ops->claims.get(s, row, &rev)) != 0)
		goto done;
	if ((rc = s->ops->commit(s)) != 0) {
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
		s->ops->rollback(s);
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
