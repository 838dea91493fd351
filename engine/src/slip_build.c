/* zhitong — the slip's use case: a settlement from the store as the slip's
 * model (slip.h zt_slip_build, docs/slip.md "Assembling a slip"). The
 * renderers (render/) print it; nothing here writes a byte for people. */
#include "zhitong/slip.h"
#include "zhitong/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

/* Everything read for one slip: the settlement, its reversal, the policy. */
struct build {
	struct zt_store *s;
	struct zt_slip_arena *arena;
	struct zt_slip *out;
	struct zt_stored_settlement st, rev;
	bool reversed;
	struct zt_policy_set policies;
	const struct zt_policy *pol;
	int rc;
};

static const char *keep(struct build *b, const char *text)
{
	if (b->rc)
		return NULL;
	const char *p = zt_slip_arena_strdup(b->arena, text);
	if (!p)
		b->rc = ZT_ENOMEM;
	return p;
}

/* ---- which settlement ------------------------------------------------------------- */

/* The settlement's row: the claim's latest, or a setl_id's (a reversal's:
 * the settlement it reverses). */
static int find_row(struct zt_store *s, const struct zt_slip_req *req, int64_t *row)
{
	int rc;
	if (!req->setl_id) {
		struct zt_claim_ref ref;
		if (!req->hospital || !req->claim_no)
			return zt_error_set(ZT_EINVAL, "a slip needs a claim number with its hospital, or "
			                    "a setl_id");
		if ((rc = s->ops->claims.find(s, req->hospital, req->claim_no, &ref)) == ZT_ENOTFOUND)
			return zt_error_set(rc, "claim '%s' of hospital '%s' has never been settled",
			                    req->claim_no, req->hospital);
		*row = ref.settlement_row;
		return rc;
	}
	if ((rc = s->ops->claims.find_setl_id(s, req->setl_id, row)) == ZT_ENOTFOUND)
		return zt_error_set(rc, "there is no settlement '%s'", req->setl_id);
	if (rc)
		return rc;
	struct zt_stored_settlement *st = zt_malloc(sizeof *st);
	if (!st)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if ((rc = s->ops->claims.get(s, *row, st)) == 0 && strcmp(st->kind, "reverse") == 0 &&
	    (rc = s->ops->claims.find_setl_id(s, st->reverses_setl_id, row)) == ZT_ENOTFOUND)
		rc = zt_error_set(ZT_EINTERNAL, "reversal '%s' reverses '%s', which is not stored",
		                  req->setl_id, st->reverses_setl_id);
	free(st);
	return rc;
}

/* ---- the claim: diagnosis and the charges by type ------------------------------------ */

/* The canonical items (zt_claim_items_text): a line per item, tab-separated,
 * the charge type third and the amount in fen seventh. */
static int claim_seen(void *ctx, const struct zt_stored_claim *c)
{
	struct build *b = ctx;
	struct zt_slip *o = b->out;
	o->diag_code = keep(b, c->dscg_maindiag_code);
	/* claim v2's stay (docs/spec/claim-v2-national.md §1): shown when given */
	if (c->ipt_no)
		o->ipt_no = keep(b, c->ipt_no);
	if (c->dept_name)
		o->dept_name = keep(b, c->dept_name);
	o->has_deposit = c->has_deposit;
	o->deposit_fen = c->has_deposit ? c->deposit : 0;
	for (const char *line = c->items ? c->items : ""; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char type[8] = "";
		long long fen = 0;
		const char *f = line;
		for (int k = 0; k < 7 && f < line + n; k++) {
			const char *tab = memchr(f, '\t', (size_t)(line + n - f));
			size_t len = tab ? (size_t)(tab - f) : (size_t)(line + n - f);
			if (k == 2)
				snprintf(type, sizeof type, "%.*s", (int)(len < 7 ? len : 7), f);
			if (k == 6)
				fen = strtoll(f, NULL, 10);
			f = tab ? tab + 1 : line + n;
		}
		int t = zt_charge_type_parse(type);
		zt_fen *slot = &o->charge_fen[(t ? t : ZT_CHARGE_TYPE_COUNT) - 1]; /* 14 其他费 */
		if (__builtin_add_overflow(*slot, (zt_fen)fen, slot))
			return zt_error_set(ZT_ERANGE, "claim '%s': the charges overflow", c->claim_no);
		line += n + (end ? 1 : 0);
	}
	return 0;
}

/* ---- the person and the insurance --------------------------------------------------- */

static void insurance(struct build *b, char *out, size_t cap)
{
	struct zt_fund f;
	if (b->pol && b->pol->basic_fund[0] &&
	    b->s->ops->registry.get_fund(b->s, b->pol->basic_fund, &f) == 0)
		zt_slip_insurance_name(out, cap, f.name);
	else /* a supplementary policy names no basic fund of its own */
		snprintf(out, cap, "%s", "城乡居民基本医疗保险");
}

static int person(struct build *b, zt_category cat)
{
	struct zt_person p;
	int rc = b->s->ops->registry.get_person(b->s, b->st.psn_no, &p);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(rc, "person '%s' of settlement '%s' is not in the registry",
		                    b->st.psn_no, b->st.setl_id);
	if (rc)
		return rc;
	char ins[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	insurance(b, ins, sizeof ins);
	const char *name = keep(b, p.name), *psn_no = keep(b, p.psn_no), *in = keep(b, ins);
	struct zt_slip_person *o = &b->out->person;
	if (zt_slip_person_init(o, name, psn_no, p.id_no, cat, in, b->st.adm_date) != 0) {
		/* The registry's number cannot be read: print it masked, without
		 * what would come from it (docs/slip.md "Derived figures"). */
		zt_error_clear();
		*o = (struct zt_slip_person){.name = name, .psn_no = psn_no, .id_unreadable = true,
		                             .category = cat, .insurance = in};
		zt_id_no_mask(o->id_masked, p.id_no);
	}
	return b->rc;
}

/* ---- the funds, the cap, the year ----------------------------------------------------- */

/* The national amounts of a settlement standing on the national platform,
 * by national fund (docs/spec/claim-v2-national.md §5): codes and amounts,
 * the count of those not 0 (a reversal's are negative). */
static int national_parts(const struct zt_stored_settlement *st, const char *codes[3],
                          zt_fen amounts[3])
{
	const char *c[3] = {st->national_funds.basic, st->national_funds.critical,
	                    st->national_funds.assistance};
	const zt_fen a[3] = {st->hifp_pay, st->hifmi_pay, st->maf_pay};
	int n = 0;
	for (int i = 0; st->national_setl_id[0] && i < 3; i++)
		if (a[i] != 0)
			codes[n] = c[i], amounts[n++] = a[i];
	return n;
}

int zt_slip_stored_code_content(struct zt_slipcode_content *out,
                                struct zt_slipcode_fund funds[ZT_SLIP_FUNDS_MAX],
                                const struct zt_stored_settlement *st)
{
	const char *ncodes[3];
	zt_fen namounts[3];
	int n = national_parts(st, ncodes, namounts);
	if (n + st->fund_count > ZT_SLIP_FUNDS_MAX)
		return zt_error_set(ZT_EINVAL, "slip: %d fund lines (at most %d)", n + st->fund_count,
		                    ZT_SLIP_FUNDS_MAX);
	for (int i = 0; i < n; i++)
		funds[i] = (struct zt_slipcode_fund){.code = ncodes[i], .paid_fen = namounts[i]};
	for (int i = 0; i < st->fund_count; i++)
		funds[n + i] = (struct zt_slipcode_fund){.code = st->funds[i].fund_code,
		                                         .paid_fen = st->funds[i].amount};
	*out = (struct zt_slipcode_content){.setl_id = st->setl_id,
	                                    .hospital_code = st->fixmedins_code,
	                                    .claim_no = st->claim_no,
	                                    .psn_no = st->psn_no,
	                                    .medfee_sumamt_fen = st->cls.medfee_sumamt,
	                                    .fund_count = n + st->fund_count,
	                                    .funds = funds,
	                                    .psn_part_fen = st->psn_part_amt};
	return 0;
}

static int funds(struct build *b)
{
	struct zt_slip *o = b->out;
	struct zt_slip_fund *lines = zt_slip_arena_alloc(b->arena, sizeof *lines * ZT_SLIP_FUNDS_MAX);
	if (!lines)
		return ZT_ENOMEM;
	/* the lines the verification code covers (zt_slip_stored_code_content:
	 * the national funds first, then the county's), each under its name */
	struct zt_slipcode_content c;
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	int rc = zt_slip_stored_code_content(&c, f, &b->st);
	if (rc)
		return rc;
	if (b->st.national_setl_id[0])
		o->national_setl_id = keep(b, b->st.national_setl_id);
	int national = c.fund_count - b->st.fund_count;
	for (int i = 0; i < c.fund_count; i++) {
		struct zt_fund fund;
		rc = b->s->ops->registry.get_fund(b->s, f[i].code, &fund);
		if (rc && rc != ZT_ENOTFOUND)
			return rc;
		lines[o->fund_count++] = (struct zt_slip_fund){
			.code = keep(b, f[i].code), .name = keep(b, rc ? f[i].code : fund.name),
			.paid_fen = f[i].paid_fen, .national = i < national};
	}
	o->funds = lines;
	return b->rc;
}

/* The personal cap (docs/spec/split.md §5) of the person's category and the
 * claim's side, when the policy has one: floor(medfee × ratio). */
static void cap(struct build *b, zt_category cat)
{
	const struct zt_policy *p = b->pol;
	struct zt_slip *o = b->out;
	if (!p || (unsigned)cat >= ZT_CAT_COUNT || !p->cap_categories[cat])
		return;
	bool has = b->st.in_county ? p->has_cap_in_county : p->has_cap_out_of_county;
	zt_bp r = b->st.in_county ? p->cap_in_county_bp : p->cap_out_of_county_bp;
	if (!has)
		return;
	o->has_cap = true;
	o->cap_ratio_bp = r;
	o->cap_fen = (zt_fen)((__int128)o->medfee_sumamt_fen * r / ZT_BP_ONE);
}

/* The person's settlements of the year as of this one. */
struct year {
	char (*ids)[32];
	int n, cap;
	const char *upto;
	int rc;
};

static int year_line(void *ctx, const struct zt_claim_line *l)
{
	struct year *y = ctx;
	if (strcmp(l->setl_id, y->upto) > 0) /* later: setl_ids grow with their rows (G7) */
		return 0;
	if (y->n == y->cap) {
		int cap = y->cap ? y->cap * 2 : 16;
		void *p = zt_realloc(y->ids, sizeof *y->ids * (size_t)cap);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		y->ids = p;
		y->cap = cap;
	}
	snprintf(y->ids[y->n++], sizeof *y->ids, "%s", l->setl_id);
	return 0;
}

static int add_year(struct build *b, const struct zt_stored_settlement *x)
{
	struct zt_slip *o = b->out;
	struct zt_slip_fund *lines = (struct zt_slip_fund *)o->funds;
	if (__builtin_add_overflow(o->year_psn_part_fen, x->psn_part_amt, &o->year_psn_part_fen))
		return zt_error_set(ZT_ERANGE, "the yearly totals of '%s' overflow", x->psn_no);
	const char *ncodes[3];
	zt_fen namounts[3];
	int nn = national_parts(x, ncodes, namounts);
	for (int i = 0; i < nn; i++)
		for (int k = 0; k < o->fund_count; k++)
			if (lines[k].national && strcmp(lines[k].code, ncodes[i]) == 0 &&
			    __builtin_add_overflow(lines[k].year_total_fen,
			                           namounts[i], &lines[k].year_total_fen))
				return zt_error_set(ZT_ERANGE, "the yearly totals of '%s' overflow", x->psn_no);
	for (int i = 0; i < x->fund_count; i++)
		for (int k = 0; k < o->fund_count; k++)
			if (!lines[k].national && strcmp(lines[k].code, x->funds[i].fund_code) == 0 &&
			    __builtin_add_overflow(lines[k].year_total_fen, x->funds[i].amount,
			                           &lines[k].year_total_fen))
				return zt_error_set(ZT_ERANGE, "the yearly totals of '%s' overflow", x->psn_no);
	return 0;
}

static int year_totals(struct build *b)
{
	struct zt_slip *o = b->out;
	struct year y = {.upto = b->st.setl_id};
	const struct zt_claim_filter f = {.psn_no = b->st.psn_no, .from = b->st.year * 10000 + 101,
	                                  .to = b->st.year * 10000 + 1231};
	int rc = b->s->ops->claims.list(b->s, &f, year_line, &y);
	struct zt_stored_settlement *x = rc ? NULL : zt_malloc(sizeof *x);
	if (!rc && !x)
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
	for (int i = 0; rc == 0 && i < y.n; i++) {
		int64_t row;
		if ((rc = b->s->ops->claims.find_setl_id(b->s, y.ids[i], &row)) == 0 &&
		    (rc = b->s->ops->claims.get(b->s, row, x)) == 0)
			rc = add_year(b, x);
	}
	free(x);
	free(y.ids);
	if (rc)
		return rc;
	o->has_year_psn_part = true;
	struct zt_slip_fund *lines = (struct zt_slip_fund *)o->funds;
	for (int k = 0; k < o->fund_count; k++)
		lines[k].has_year_total = true;
	return 0;
}

/* ---- the whole slip --------------------------------------------------------------------- */

static void amounts(struct build *b)
{
	struct zt_slip *o = b->out;
	const struct zt_stored_settlement *st = &b->st;
	o->setl_id = keep(b, st->setl_id);
	o->claim_no = keep(b, st->claim_no);
	o->hospital_code = keep(b, st->fixmedins_code);
	o->adm_date = st->adm_date;
	o->dscg_date = st->dscg_date;
	o->medfee_sumamt_fen = st->cls.medfee_sumamt;
	o->fulamt_ownpay_fen = st->cls.fulamt_ownpay_amt;
	o->preselfpay_fen = st->cls.preselfpay_amt;
	o->overlmt_selfpay_fen = st->cls.overlmt_selfpay;
	o->inscp_scp_fen = st->cls.inscp_scp_amt;
	o->act_pay_dedc_fen = st->act_pay_dedc;
	o->hosp_part_fen = st->hosp_part_amt;
	o->psn_part_fen = st->psn_part_amt;
	o->settled_at_utc = keep(b, st->settled_at);
	o->clerk = keep(b, st->actor);
	int64_t t;
	if (zt_timestamp_parse(&t, st->settled_at) == 0)
		o->utc_offset_s = zt_zone_offset_s(zt_date_pool_zone(), t);
	else
		zt_error_clear();
	if (strcmp(zt_zone_name(zt_date_pool_zone()), "Asia/Shanghai") == 0)
		o->zone_label = "北京时间";
	if (b->reversed) {
		o->is_void = true;
		o->void_setl_id = keep(b, b->rev.setl_id);
		o->void_at_utc = keep(b, b->rev.settled_at);
		o->void_reason = keep(b, b->rev.reason);
	}
}

static int code(struct build *b, const struct zt_slip_req *req)
{
	struct zt_slip *o = b->out;
	struct zt_slipcode_content c;
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	char text[ZT_SLIPCODE_BYTES], qr[512];
	int rc = zt_slip_code_content(&c, f, o);
	if (rc == 0)
		rc = zt_slipcode_compute(text, req->key, req->key_len, req->key_id, &c);
	if (rc == 0)
		rc = zt_slipcode_qr_text(qr, sizeof qr, req->qr_prefix, text);
	if (rc)
		return rc;
	o->verify_code = keep(b, text);
	o->qr_text = keep(b, qr);
	return b->rc;
}

/* Reads everything of the slip in the caller's read transaction. */
static int assemble(struct build *b, const struct zt_slip_req *req)
{
	struct zt_store *s = b->s;
	struct zt_hospital h;
	int64_t row, rev_row = 0;
	int rc = find_row(s, req, &row);
	if (rc || (rc = s->ops->claims.get(s, row, &b->st)) ||
	    (rc = s->ops->claims.reversal_of(s, row, &rev_row)) ||
	    (rev_row && (rc = s->ops->claims.get(s, rev_row, &b->rev))))
		return rc;
	b->reversed = rev_row != 0;
	if ((rc = s->ops->registry.get_hospital(s, b->st.fixmedins_code, &h)) == ZT_ENOTFOUND)
		return zt_error_set(rc, "hospital '%s' of settlement '%s' is not in the registry",
		                    b->st.fixmedins_code, b->st.setl_id);
	if (rc || (rc = zt_policy_set_load(&b->policies, s)))
		return rc;
	const struct zt_policy_entry *pe = zt_policy_set_row(&b->policies, b->st.policy_row);
	b->pol = pe ? &pe->policy : NULL;
	int cat = zt_category_parse(b->st.category, strlen(b->st.category));
	if (cat < 0)
		return zt_error_set(ZT_EINTERNAL, "settlement '%s': category '%s' is not one",
		                    b->st.setl_id, b->st.category);
	amounts(b);
	b->out->hospital_name = keep(b, h.name);
	cap(b, (zt_category)cat);
	if ((rc = s->ops->claims.get_claim(s, b->st.claim_row, claim_seen, b)) ||
	    (rc = person(b, (zt_category)cat)) || (rc = funds(b)) || (rc = year_totals(b)))
		return rc;
	if (req->key && (rc = code(b, req)))
		return rc;
	return b->rc;
}

int zt_slip_build(struct zt_store *s, const struct zt_slip_req *req, struct zt_slip *out,
                  struct zt_slip_arena *arena)
{
	memset(out, 0, sizeof *out);
	struct build *b = zt_calloc(1, sizeof *b);
	if (!b)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	*b = (struct build){.s = s, .arena = arena, .out = out};
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc == 0) {
		rc = assemble(b, req);
		s->ops->rollback(s);
	}
	if (rc == ZT_ENOMEM && b->rc)
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = zt_slip_check(out);
	zt_policy_set_free(&b->policies);
	free(b);
	return rc;
}
