/* zhitong — claims, settlements and accumulators, for every engine
 * (store.h claims). A settlement is written whole in the caller's write
 * transaction: the claim with its canonical items, the settlement, one row
 * per paying fund with its trace in columns, the person's accumulators and
 * the ledger postings the domain built. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db.h"
#include "zhitong/text.h"

static const char SQL_FIND_CLAIM[] =
	"SELECT c.id, c.seq, c.digest, s.id, s.setl_id, "
	"EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id) "
	"FROM claim c JOIN settlement s ON s.claim_id = c.id AND s.kind = 'settle' "
	"WHERE c.fixmedins_code = ?1 AND c.claim_no = ?2 ORDER BY c.seq DESC LIMIT 1";
static const char SQL_ACCUM_GET[] = "SELECT slot, amount FROM accum WHERE psn_no = ?1 AND year = ?2";
static const char SQL_ACCUM_PUT[] =
	"INSERT INTO accum (psn_no, year, slot, amount) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT (psn_no, year, slot) DO UPDATE SET amount = excluded.amount";
#define CLAIM_INSERT                                                                          \
	"INSERT INTO claim (fixmedins_code, claim_no, seq, psn_no, adm_date, dscg_date, "      \
	"dscg_maindiag_code, medfee_sumamt, item_count, items, digest, received_at, id) "      \
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
static const char SQL_CLAIM_INSERT[] = CLAIM_INSERT " RETURNING id";
static const char SQL_CLAIM_INSERT_NUMBERED[] = CLAIM_INSERT;
static const char SQL_SETTLEMENT_INSERT[] =
	"INSERT INTO settlement (id, setl_id, claim_id, kind, reverses, reason, actor, policy_row, "
	"year, psn_no, fixmedins_code, category, hospital_level, in_county, medfee_sumamt, "
	"fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc, "
	"pool_prop_bp, hifp_pay, hifmi_pay, maf_pay, oth_pay, fund_pay_sumamt, hosp_part_amt, "
	"psn_part_amt, critical_base_added, settled_at, pool) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	"?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, "
	"?26, ?27, ?28, ?29, ?30, ?31)";
#define SHARE_FIRST_TRACE 7
static const char SQL_SHARE_INSERT[] =
	"INSERT INTO settlement_fund (settlement_id, seq, fund_code, kind, amount, slot, "
	ZT_DB_TRACE_COLUMN_NAMES ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	"?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, "
	"?32, ?33, ?34)";
static const char SQL_GET_SETTLEMENT[] =
	"SELECT s.setl_id, s.kind, COALESCE(o.setl_id, ''), COALESCE(s.reason, ''), s.actor, "
	"s.settled_at, s.claim_id, s.policy_row, p.policy_id, s.fixmedins_code, c.claim_no, "
	"s.psn_no, s.year, s.category, s.hospital_level, s.in_county, c.adm_date, c.dscg_date, "
	"s.medfee_sumamt, s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt, "
	"s.inscp_scp_amt, s.act_pay_dedc, s.pool_prop_bp, s.hifp_pay, s.hifmi_pay, s.maf_pay, "
	"s.oth_pay, s.fund_pay_sumamt, s.hosp_part_amt, s.psn_part_amt, s.critical_base_added, "
	"s.pool FROM settlement s JOIN claim c ON c.id = s.claim_id JOIN policy p ON p.id = s.policy_row "
	"LEFT JOIN settlement o ON o.id = s.reverses WHERE s.id = ?1";
static const char SQL_GET_SHARES[] =
	"SELECT fund_code, kind, amount, slot, " ZT_DB_TRACE_COLUMN_NAMES " FROM settlement_fund "
	"WHERE settlement_id = ?1 ORDER BY seq";
static const char SQL_GET_SEGMENTS[] =
	"SELECT seq, tier_from, tier_to, covered_from, covered_to, ratio_bp "
	"FROM settlement_trace_segment WHERE settlement_id = ?1 ORDER BY seq, k";
static const char SQL_HISTORY[] = "SELECT s.id FROM settlement s JOIN claim c ON c.id = s.claim_id "
                                  "WHERE c.fixmedins_code = ?1 AND c.claim_no = ?2 ORDER BY s.id";
static const char SQL_BY_SETL_ID[] = "SELECT id FROM settlement WHERE setl_id = ?1";
static const char SQL_REVERSAL_OF[] = "SELECT id FROM settlement WHERE reverses = ?1";
static const char SQL_GET_CLAIM[] =
	"SELECT " ZT_DB_CLAIM_COLUMNS ", NULLIF(v.ipt_no, ''), NULLIF(v.dept_name, ''), v.deposit "
	"FROM claim LEFT JOIN claim_v2 v ON v.claim_id = claim.id WHERE claim.id = ?1";

/* One list, three ways in: by the person (claim_by_person), by the
 * hospital (the claim table's own (fixmedins_code, claim_no, seq) index),
 * or by discharge dates alone (claim_by_discharge). ?1 person, ?2
 * hospital (NULL: any), ?3 and ?4 the discharge dates, inclusive. */
#define LIST_SELECT                                                                               \
	"SELECT s.setl_id, s.kind, COALESCE(o.setl_id, ''), s.fixmedins_code, c.claim_no, "     \
	"s.psn_no, c.adm_date, c.dscg_date, s.medfee_sumamt, s.fund_pay_sumamt, s.hosp_part_amt, " \
	"s.psn_part_amt, s.settled_at, s.actor, COALESCE(s.reason, '') "                          \
	"FROM claim c JOIN settlement s ON s.claim_id = c.id "                                     \
	"LEFT JOIN settlement o ON o.id = s.reverses WHERE "
#define LIST_ORDER " ORDER BY c.dscg_date, c.fixmedins_code, c.claim_no, s.id"
static const char SQL_LIST_PERSON[] =
	LIST_SELECT "c.psn_no = ?1 AND (CAST(?2 AS TEXT) IS NULL OR c.fixmedins_code = ?2) "
	"AND c.dscg_date BETWEEN ?3 AND ?4" LIST_ORDER;
static const char SQL_LIST_HOSPITAL[] =
	LIST_SELECT "c.fixmedins_code = ?2 AND c.dscg_date BETWEEN ?3 AND ?4" LIST_ORDER;
static const char SQL_LIST_DAYS[] = LIST_SELECT "c.dscg_date BETWEEN ?3 AND ?4" LIST_ORDER;

static const char *const fund_kind_names[] = {"basic", "critical", "assistance", "relief"};

/* ---- finding --------------------------------------------------------------------- */

static int find(struct zt_store *s, const char *hospital, const char *claim_no,
                struct zt_claim_ref *out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_FIND_CLAIM, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, hospital);
	zt_db_bind_text(p, 2, claim_no);
	if ((r = zt_db_row(q, p, "find claim")) <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	out->claim_row = zt_db_column_int64(p, 0);
	out->seq = zt_db_column_int(p, 1);
	memset(out->digest, 0, sizeof out->digest);
	zt_db_column_blob(p, 2, out->digest, ZT_DIGEST_BYTES);
	out->settlement_row = zt_db_column_int64(p, 3);
	zt_db_column_copy(out->setl_id, sizeof out->setl_id, p, 4);
	out->reversed = zt_db_column_int(p, 5) != 0;
	zt_db_done(p);
	return 0;
}

/* One row id from a one-column query: 0 or ZT_ENOTFOUND (no message). */
static int one_row_id(struct zt_db *q, struct zt_db_stmt *p, int64_t *out)
{
	int r = zt_db_row(q, p, "find a settlement");
	if (r <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	*out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

static int find_setl_id(struct zt_store *s, const char *setl_id, int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_BY_SETL_ID, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, setl_id);
	return one_row_id(q, p, row_out);
}

static int reversal_of(struct zt_store *s, int64_t row, int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_REVERSAL_OF, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	*row_out = 0;
	rc = one_row_id(q, p, row_out);
	return rc == ZT_ENOTFOUND ? 0 : rc;
}

/* ---- rows later (db.h rows_later) ------------------------------------------------ */

static struct zt_db_accum *accum_at(struct zt_db *q, size_t i)
{
	return (struct zt_db_accum *)q->accums.items + i;
}

/* The last value kept for (psn_no, year, slot), or NULL. */
static const struct zt_db_accum *accum_kept(struct zt_db *q, const char *psn_no, int year,
                                            const char *slot)
{
	for (size_t i = q->accums.n; i-- > 0;) {
		const struct zt_db_accum *a = accum_at(q, i);
		if (a->year == year && strcmp(a->slot, slot) == 0 && strcmp(a->psn_no, psn_no) == 0)
			return a;
	}
	return NULL;
}

static uint64_t claim_key(const char *hospital, const char *claim_no)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (const char *c = hospital; *c; c++)
		h = (h ^ (unsigned char)*c) * UINT64_C(1099511628211);
	h = (h ^ 0xff) * UINT64_C(1099511628211);
	for (const char *c = claim_no; *c; c++)
		h = (h ^ (unsigned char)*c) * UINT64_C(1099511628211);
	return h | 1; /* 0 marks an empty slot */
}

static bool claim_key_has(const struct zt_db *q, uint64_t k)
{
	if (!q->claim_key_count)
		return false;
	for (size_t i = (size_t)k & (q->claim_key_cap - 1); q->claim_keys[i];
	     i = (i + 1) & (q->claim_key_cap - 1))
		if (q->claim_keys[i] == k)
			return true;
	return false;
}

/* A claim whose rows the server may not have yet: a read of it sends them
 * first (prefetch). */
static int claim_key_put(struct zt_db *q, const char *hospital, const char *claim_no)
{
	uint64_t k = claim_key(hospital, claim_no);
	if (claim_key_has(q, k))
		return 0;
	if (2 * (q->claim_key_count + 1) > q->claim_key_cap) {
		size_t cap = q->claim_key_cap ? 2 * q->claim_key_cap : 512;
		uint64_t *n = calloc(cap, sizeof *n);
		if (!n)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		for (size_t i = 0; i < q->claim_key_cap; i++)
			if (q->claim_keys[i]) {
				size_t j = (size_t)q->claim_keys[i] & (cap - 1);
				while (n[j])
					j = (j + 1) & (cap - 1);
				n[j] = q->claim_keys[i];
			}
		free(q->claim_keys);
		q->claim_keys = n;
		q->claim_key_cap = cap;
	}
	size_t i = (size_t)k & (q->claim_key_cap - 1);
	while (q->claim_keys[i])
		i = (i + 1) & (q->claim_key_cap - 1);
	q->claim_keys[i] = k;
	q->claim_key_count++;
	return 0;
}

void zt_db_later_clear(struct zt_db *q)
{
	q->accums.n = 0;
	if (q->claim_key_count)
		memset(q->claim_keys, 0, q->claim_key_cap * sizeof *q->claim_keys);
	q->claim_key_count = 0;
}

int zt_db_accums_flush(struct zt_db *q)
{
	int rc = 0;
	/* the last value of each key, once: one multi-row upsert may not
	 * touch a row twice */
	for (size_t i = q->accums.n; i-- > 0 && rc == 0;) {
		const struct zt_db_accum *a = accum_at(q, i);
		bool later = false;
		for (size_t j = i + 1; j < q->accums.n && !later; j++) {
			const struct zt_db_accum *b = accum_at(q, j);
			later = b->year == a->year && strcmp(b->slot, a->slot) == 0 &&
			        strcmp(b->psn_no, a->psn_no) == 0;
		}
		if (later)
			continue;
		struct zt_db_stmt *p;
		if ((rc = zt_db_prepare(q, SQL_ACCUM_PUT, &p)) != 0)
			break;
		zt_db_bind_text(p, 1, a->psn_no);
		zt_db_bind_int(p, 2, a->year);
		zt_db_bind_text(p, 3, a->slot);
		zt_db_bind_int64(p, 4, a->amount);
		rc = zt_db_run(q, p, "store accumulator");
	}
	q->accums.n = 0;
	return rc;
}

static int accum_get(struct zt_store *s, const char *psn_no, int year,
                     int (*cb)(void *ctx, const char *slot, zt_fen amount), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ACCUM_GET, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, psn_no);
	zt_db_bind_int(p, 2, year);
	/* the slots the server has, for the ones kept that it has not */
	char seen[8][ZT_SLOT_BYTES];
	int nseen = 0;
	bool all_seen = true;
	while ((r = zt_db_row(q, p, "read accumulators")) == 1) {
		const char *slot = zt_db_column_text(p, 0);
		zt_fen amount = zt_db_column_int64(p, 1);
		if (q->accums.n) {
			const struct zt_db_accum *a = accum_kept(q, psn_no, year, slot);
			if (a)
				amount = a->amount;
			if (nseen < 8)
				snprintf(seen[nseen++], ZT_SLOT_BYTES, "%s", slot);
			else
				all_seen = false;
		}
		if ((rc = cb(ctx, slot, amount)) != 0)
			break;
	}
	zt_db_done(p);
	if (rc || r < 0)
		return rc ? rc : r;
	if (!all_seen)
		return zt_error_set(ZT_EINTERNAL, "'%s' %d: too many accumulators", psn_no, year);
	/* kept and not on the server yet: the last value of each slot, once */
	for (size_t i = q->accums.n; i-- > 0 && rc == 0;) {
		const struct zt_db_accum *a = accum_at(q, i);
		if (a->year != year || strcmp(a->psn_no, psn_no) != 0)
			continue;
		bool done = false;
		for (int k = 0; k < nseen && !done; k++)
			done = strcmp(seen[k], a->slot) == 0;
		if (done)
			continue;
		if (nseen >= 8)
			return zt_error_set(ZT_EINTERNAL, "'%s' %d: too many accumulators", psn_no, year);
		snprintf(seen[nseen++], ZT_SLOT_BYTES, "%s", a->slot);
		rc = cb(ctx, a->slot, a->amount);
	}
	return rc;
}

/* The four reads of a claim, bound. */
static int claim_reads(struct zt_db *q, const char *hospital, const char *claim_no,
                       const char *psn_no, int year, struct zt_db_stmt *p[4])
{
	int rc = zt_db_prepare(q, SQL_FIND_CLAIM, &p[0]);
	if (rc == 0) {
		zt_db_bind_text(p[0], 1, hospital);
		zt_db_bind_text(p[0], 2, claim_no);
		rc = zt_db_prepare(q, SQL_ACCUM_GET, &p[1]);
	}
	if (rc == 0) {
		zt_db_bind_text(p[1], 1, psn_no);
		zt_db_bind_int(p[1], 2, year);
		rc = zt_db_hospital_stmt(q, hospital, &p[2]);
	}
	if (rc == 0)
		rc = zt_db_person_stmt(q, psn_no, &p[3]);
	return rc;
}

/* claims.prefetch (store.h): the reads of settling a claim in one go, where
 * the engine can (db.h prefetch) */
static int prefetch(struct zt_store *s, const char *hospital, const char *claim_no,
                    const char *psn_no, int year)
{
	struct zt_db *q = zt_db_of(s);
	if (!q->drv->prefetch)
		return 0;
	struct zt_db_stmt *p[4];
	int rc = claim_reads(q, hospital, claim_no, psn_no, year, p);
	if (rc == 0) {
		/* past the rows written since the last read unless they hold this
		 * claim (db.h rows_later): the accumulators are kept, the hospital
		 * and the person are no claim's rows */
		bool past = q->rows_later && !claim_key_has(q, claim_key(hospital, claim_no));
		rc = past ? zt_db_prefetch_past(q, p, 4) : zt_db_prefetch(q, p, 4);
	}
	return rc;
}

/* claims.read_ahead (store.h): only past the rows written (rows_later),
 * which the aggregates keep — the accumulators kept overlay what the
 * server read, whenever it read it — and only for a claim not written in
 * this transaction; a claim written between now and its prefetch is the
 * caller's to leave out (settle.c: a number twice in the window). */
static int read_ahead(struct zt_store *s, const char *hospital, const char *claim_no,
                      const char *psn_no, int year, int *sent)
{
	struct zt_db *q = zt_db_of(s);
	*sent = 0;
	if (!q->drv->read_ahead || !q->rows_later || claim_key_has(q, claim_key(hospital, claim_no)))
		return 0;
	struct zt_db_stmt *p[4];
	int rc = claim_reads(q, hospital, claim_no, psn_no, year, p);
	return rc ? rc : zt_db_read_ahead(q, p, 4, sent);
}

/* ---- writing ----------------------------------------------------------------------- */

/* The amounts of a settlement row (a reversal's negated). */
struct amounts {
	struct zt_classified cls;
	zt_fen act_pay_dedc;
	zt_bp pool_prop_bp;
	zt_fen hifp_pay, hifmi_pay, maf_pay, oth_pay, fund_pay_sumamt, hosp_part_amt, psn_part_amt;
	zt_fen critical_base_added;
};

/* What a settlement row says about itself, besides its amounts. */
struct row_facts {
	int64_t id, claim_row, reverses, policy_row;
	const char *setl_id, *kind, *reason, *actor, *psn_no, *hospital, *category;
	const char *pool; /* NULL: default */
	int year, level;
	bool in_county;
};

static int insert_settlement(struct zt_db *q, const struct row_facts *f, const struct amounts *v)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SETTLEMENT_INSERT, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, f->id);
	zt_db_bind_text(p, 2, f->setl_id);
	zt_db_bind_int64(p, 3, f->claim_row);
	zt_db_bind_text(p, 4, f->kind);
	if (f->reverses > 0)
		zt_db_bind_int64(p, 5, f->reverses);
	zt_db_bind_text(p, 6, f->reason);
	zt_db_bind_text(p, 7, f->actor);
	zt_db_bind_int64(p, 8, f->policy_row);
	zt_db_bind_int(p, 9, f->year);
	zt_db_bind_text(p, 10, f->psn_no);
	zt_db_bind_text(p, 11, f->hospital);
	zt_db_bind_text(p, 12, f->category);
	zt_db_bind_int(p, 13, f->level);
	zt_db_bind_int(p, 14, f->in_county);
	const zt_fen vals[] = {v->cls.medfee_sumamt, v->cls.fulamt_ownpay_amt, v->cls.overlmt_selfpay,
	                       v->cls.preselfpay_amt, v->cls.inscp_scp_amt, v->act_pay_dedc,
	                       v->pool_prop_bp, v->hifp_pay, v->hifmi_pay, v->maf_pay, v->oth_pay,
	                       v->fund_pay_sumamt, v->hosp_part_amt, v->psn_part_amt,
	                       v->critical_base_added};
	for (int i = 0; i < (int)(sizeof vals / sizeof *vals); i++)
		zt_db_bind_int64(p, 15 + i, vals[i]);
	zt_db_bind_text(p, 30, zt_db_now(q));
	zt_db_bind_text(p, 31, f->pool && f->pool[0] ? f->pool : ZT_POOL_DEFAULT);
	return zt_db_run(q, p, "store settlement");
}

static int insert_share(struct zt_db *q, int64_t row, int seq, const char *fund_code,
                        const char *kind, zt_fen amount, const char *slot,
                        const struct zt_fund_trace *trace)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_SHARE_INSERT, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	zt_db_bind_int(p, 2, seq);
	zt_db_bind_text(p, 3, fund_code);
	zt_db_bind_text(p, 4, kind);
	zt_db_bind_int64(p, 5, amount);
	zt_db_bind_text(p, 6, slot);
	zt_db_trace_bind(p, SHARE_FIRST_TRACE, trace);
	if ((rc = zt_db_run(q, p, "store settlement fund")) != 0)
		return rc;
	return zt_db_trace_segments_put(q, row, seq, trace);
}

static int put_accums(struct zt_db *q, const char *psn_no, int year, const struct zt_accum_change *a,
                      int n)
{
	for (int i = 0; i < n; i++) {
		if (a[i].before == a[i].after)
			continue;
		if (a[i].after < 0)
			return zt_error_set(ZT_EINTERNAL, "accumulator %s of '%s' %d would go below zero",
			                    a[i].slot, psn_no, year);
		if (q->rows_later) { /* kept, written at commit (db.h) */
			struct zt_db_accum *k = zt_db_rows_push(&q->accums);
			if (!k)
				return ZT_ENOMEM;
			if (strlen(psn_no) >= sizeof k->psn_no) {
				q->accums.n--;
				return zt_error_set(ZT_EINTERNAL, "person '%s': number too long", psn_no);
			}
			*k = (struct zt_db_accum){.year = year, .amount = a[i].after};
			zt_text_put(k->psn_no, sizeof k->psn_no, psn_no);
			zt_text_put(k->slot, sizeof k->slot, a[i].slot);
			continue;
		}
		struct zt_db_stmt *p;
		int rc = zt_db_prepare(q, SQL_ACCUM_PUT, &p);
		if (rc)
			return rc;
		zt_db_bind_text(p, 1, psn_no);
		zt_db_bind_int(p, 2, year);
		zt_db_bind_text(p, 3, a[i].slot);
		zt_db_bind_int64(p, 4, a[i].after);
		if ((rc = zt_db_run(q, p, "store accumulator")) != 0)
			return rc;
	}
	return 0;
}

/* The postings move exactly `total` (|medfee_sumamt|): what the funds,
 * the hospital and the patient bear of the bill, no more and no less. */
static int post_all(struct zt_db *q, const struct zt_posting *t, int n, zt_fen total,
                    const char *setl_id, int64_t row)
{
	zt_fen moved = 0;
	for (int i = 0; i < n; i++)
		if (__builtin_add_overflow(moved, t[i].amount, &moved))
			return zt_error_set(ZT_ERANGE, "%s: its transfers sum beyond int64", setl_id);
	if (moved != total)
		return zt_error_set(ZT_EINTERNAL, "%s: its transfers move %lld fen, the bill is %lld",
		                    setl_id, (long long)moved, (long long)total);
	for (int i = 0; i < n; i++) {
		struct zt_posting x = t[i];
		x.ref = setl_id;
		int rc = zt_db_ledger_post(q, &x, row);
		if (rc)
			return rc;
	}
	return 0;
}

static int insert_claim(struct zt_db *q, const struct zt_settle_write *w, int64_t *row_out)
{
	const struct zt_claim *c = w->claim;
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, q->next_claim_id ? SQL_CLAIM_INSERT_NUMBERED : SQL_CLAIM_INSERT, &p);
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, c->fixmedins_code);
	zt_db_bind_text(p, 2, c->claim_no);
	zt_db_bind_int(p, 3, w->seq);
	zt_db_bind_text(p, 4, c->psn_no);
	zt_db_bind_int(p, 5, c->adm_date);
	zt_db_bind_int(p, 6, c->dscg_date);
	zt_db_bind_text(p, 7, c->dscg_maindiag_code);
	zt_db_bind_int64(p, 8, c->medfee_sumamt);
	zt_db_bind_int(p, 9, c->item_count);
	zt_db_bind_text(p, 10, w->items_text);
	zt_db_bind_blob(p, 11, w->digest, ZT_DIGEST_BYTES);
	zt_db_bind_text(p, 12, zt_db_now(q));
	if (!q->next_claim_id) /* numbered by the database */
		return zt_db_insert_id(q, p, "store claim", row_out);
	/* numbered by the engine (db.h): the row is sent without waiting */
	zt_db_bind_int64(p, 13, q->next_claim_id);
	if ((rc = zt_db_run(q, p, "store claim")) != 0)
		return rc;
	*row_out = q->next_claim_id++;
	return 0;
}

/* The shares of a settlement add up to what its row says each kind of
 * fund paid, and to its fund_pay_sumamt. */
static int shares_add_up(const struct zt_settle_write *w)
{
	const struct zt_split_result *r = w->result;
	zt_fen by_kind[4] = {0}, all = 0;
	for (int i = 0; i < w->share_count; i++) {
		const struct zt_share_write *sh = &w->shares[i];
		if ((unsigned)sh->kind > ZT_FUND_RELIEF || sh->amount <= 0 ||
		    __builtin_add_overflow(by_kind[sh->kind], sh->amount, &by_kind[sh->kind]) ||
		    __builtin_add_overflow(all, sh->amount, &all))
			return zt_error_set(ZT_EINTERNAL, "claim '%s': share %d is not a fund's payment",
			                    w->claim->claim_no, i + 1);
	}
	/* settled on top of the national platform: the national amounts are
	 * no shares (docs/spec/claim-v2-national.md §4) */
	zt_fen nat = r->supplementary ? r->hifp_pay + r->hifmi_pay + r->maf_pay : 0;
	bool off = r->supplementary
	                   ? by_kind[ZT_FUND_BASIC] || by_kind[ZT_FUND_CRITICAL] ||
	                             by_kind[ZT_FUND_ASSISTANCE]
	                   : by_kind[ZT_FUND_BASIC] != r->hifp_pay ||
	                             by_kind[ZT_FUND_CRITICAL] != r->hifmi_pay ||
	                             by_kind[ZT_FUND_ASSISTANCE] != r->maf_pay;
	if (off || by_kind[ZT_FUND_RELIEF] != r->oth_pay || all + nat != r->fund_pay_sumamt)
		return zt_error_set(ZT_EINTERNAL, "claim '%s': its shares do not add up to what the "
		                    "funds pay", w->claim->claim_no);
	return 0;
}

static int write_settlement_rows(struct zt_store *s, const struct zt_settle_write *w,
                                 char setl_id_out[32], int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	const struct zt_split_result *r = w->result;
	int64_t claim_row, id = q->next_settlement_id;
	char setl_id[32];
	snprintf(setl_id, sizeof setl_id, "S%012lld", (long long)id);
	/* the split conserves the bill (split.h): what is stored does too */
	assert(r->fund_pay_sumamt + r->hosp_part_amt + r->psn_part_amt == r->cls.medfee_sumamt);
	int rc = zt_db_need_write(q, "settlement");
	if (rc || (rc = shares_add_up(w)) != 0)
		return rc;
	zt_db_defer(q, true); /* in one round trip (db.h) */
	if (q->rows_later && (rc = claim_key_put(q, w->claim->fixmedins_code, w->claim->claim_no)) != 0)
		return rc;
	if ((rc = insert_claim(q, w, &claim_row)) != 0)
		return rc;
	const struct amounts v = {
		.cls = r->cls, .act_pay_dedc = r->act_pay_dedc, .pool_prop_bp = r->pool_prop_bp,
		.hifp_pay = r->hifp_pay, .hifmi_pay = r->hifmi_pay, .maf_pay = r->maf_pay,
		.oth_pay = r->oth_pay, .fund_pay_sumamt = r->fund_pay_sumamt,
		.hosp_part_amt = r->hosp_part_amt, .psn_part_amt = r->psn_part_amt,
		.critical_base_added = r->critical_base_added,
	};
	const struct row_facts f = {
		.id = id, .claim_row = claim_row, .policy_row = w->policy_row, .setl_id = setl_id,
		.kind = "settle", .actor = w->actor, .psn_no = w->claim->psn_no,
		.hospital = w->claim->fixmedins_code, .category = zt_category_names[w->category],
		.year = w->year, .level = w->hospital_level, .in_county = w->in_county,
		.pool = w->pool,
	};
	if ((rc = insert_settlement(q, &f, &v)) != 0)
		return rc;
	q->next_settlement_id++;
	for (int i = 0; i < w->share_count; i++) {
		const struct zt_share_write *sh = &w->shares[i];
		if ((rc = insert_share(q, id, i + 1, sh->fund_code, fund_kind_names[sh->kind],
		                       sh->amount, sh->slot, sh->trace)) != 0)
			return rc;
	}
	if ((rc = put_accums(q, w->claim->psn_no, w->year, w->accums, w->accum_count)) != 0 ||
	    (rc = post_all(q, w->postings, w->posting_count, r->cls.medfee_sumamt, setl_id, id)) != 0)
		return rc;
	snprintf(setl_id_out, 32, "%s", setl_id);
	*row_out = id;
	return 0;
}

static int write_reversal_rows(struct zt_store *s, const struct zt_reversal_write *w,
                               char setl_id_out[32], int64_t *row_out)
{
	struct zt_db *q = zt_db_of(s);
	const struct zt_stored_settlement *o = w->orig;
	int64_t id = q->next_settlement_id;
	char setl_id[32];
	snprintf(setl_id, sizeof setl_id, "S%012lld", (long long)id);
	int rc = zt_db_need_write(q, "reversal");
	if (rc || (q->rows_later && (rc = claim_key_put(q, o->fixmedins_code, o->claim_no)) != 0))
		return rc;
	zt_db_defer(q, true); /* in one round trip (db.h) */
	const struct amounts v = {
		.cls = {-o->cls.medfee_sumamt, -o->cls.fulamt_ownpay_amt, -o->cls.overlmt_selfpay,
		        -o->cls.preselfpay_amt, -o->cls.inscp_scp_amt},
		.act_pay_dedc = -o->act_pay_dedc, .pool_prop_bp = o->pool_prop_bp,
		.hifp_pay = -o->hifp_pay, .hifmi_pay = -o->hifmi_pay, .maf_pay = -o->maf_pay,
		.oth_pay = -o->oth_pay, .fund_pay_sumamt = -o->fund_pay_sumamt,
		.hosp_part_amt = -o->hosp_part_amt, .psn_part_amt = -o->psn_part_amt,
		.critical_base_added = -o->critical_base_added,
	};
	const struct row_facts f = {
		.id = id, .claim_row = o->claim_row, .reverses = o->row, .policy_row = o->policy_row,
		.setl_id = setl_id, .kind = "reverse", .reason = w->reason, .actor = w->actor,
		.psn_no = o->psn_no, .hospital = o->fixmedins_code, .category = o->category,
		.year = o->year, .level = o->hospital_level, .in_county = o->in_county,
		.pool = o->pool,
	};
	if ((rc = insert_settlement(q, &f, &v)) != 0)
		return rc;
	q->next_settlement_id++;
	for (int i = 0; i < o->fund_count; i++) {
		const struct zt_stored_fund *sf = &o->funds[i];
		if ((rc = insert_share(q, id, i + 1, sf->fund_code, sf->kind, -sf->amount, sf->slot,
		                       &w->traces[i])) != 0)
			return rc;
	}
	if ((rc = put_accums(q, o->psn_no, o->year, w->accums, w->accum_count)) != 0 ||
	    (rc = post_all(q, w->postings, w->posting_count, o->cls.medfee_sumamt, setl_id, id)) != 0)
		return rc;
	snprintf(setl_id_out, 32, "%s", setl_id);
	*row_out = id;
	return 0;
}

/* The rows of a settlement or a reversal are sent without waiting (on
 * PostgreSQL: libpq's pipeline mode; SQLite runs each at once) and their results read once at the end: a failure of any
 * is the failure of the call, as it would be row by row. */
static int written(struct zt_db *q, int rc)
{
	zt_db_defer(q, false);
	int frc = zt_db_flush_late(q);
	return rc ? rc : frc;
}

static int write_settlement(struct zt_store *s, const struct zt_settle_write *w,
                            char setl_id_out[32], int64_t *row_out)
{
	return written(zt_db_of(s), write_settlement_rows(s, w, setl_id_out, row_out));
}

static int write_reversal(struct zt_store *s, const struct zt_reversal_write *w,
                          char setl_id_out[32], int64_t *row_out)
{
	return written(zt_db_of(s), write_reversal_rows(s, w, setl_id_out, row_out));
}

/* ---- reading ----------------------------------------------------------------------- */

static void read_settlement(struct zt_db_stmt *p, struct zt_stored_settlement *out)
{
	zt_db_column_copy(out->setl_id, sizeof out->setl_id, p, 0);
	zt_db_column_copy(out->kind, sizeof out->kind, p, 1);
	zt_db_column_copy(out->reverses_setl_id, sizeof out->reverses_setl_id, p, 2);
	zt_db_column_copy(out->reason, sizeof out->reason, p, 3);
	zt_db_column_copy(out->actor, sizeof out->actor, p, 4);
	zt_db_column_copy(out->settled_at, sizeof out->settled_at, p, 5);
	out->claim_row = zt_db_column_int64(p, 6);
	out->policy_row = zt_db_column_int64(p, 7);
	zt_db_column_copy(out->policy_id, sizeof out->policy_id, p, 8);
	zt_db_column_copy(out->fixmedins_code, sizeof out->fixmedins_code, p, 9);
	zt_db_column_copy(out->claim_no, sizeof out->claim_no, p, 10);
	zt_db_column_copy(out->psn_no, sizeof out->psn_no, p, 11);
	out->year = zt_db_column_int(p, 12);
	zt_db_column_copy(out->category, sizeof out->category, p, 13);
	out->hospital_level = zt_db_column_int(p, 14);
	out->in_county = zt_db_column_int(p, 15) != 0;
	out->adm_date = zt_db_column_int(p, 16);
	out->dscg_date = zt_db_column_int(p, 17);
	zt_fen *dst[] = {&out->cls.medfee_sumamt, &out->cls.fulamt_ownpay_amt,
	                 &out->cls.overlmt_selfpay, &out->cls.preselfpay_amt,
	                 &out->cls.inscp_scp_amt, &out->act_pay_dedc, NULL, &out->hifp_pay,
	                 &out->hifmi_pay, &out->maf_pay, &out->oth_pay, &out->fund_pay_sumamt,
	                 &out->hosp_part_amt, &out->psn_part_amt, &out->critical_base_added};
	for (int i = 0; i < (int)(sizeof dst / sizeof *dst); i++) {
		if (dst[i])
			*dst[i] = zt_db_column_int64(p, 18 + i);
		else
			out->pool_prop_bp = zt_db_column_int(p, 18 + i);
	}
	zt_db_column_copy(out->pool, sizeof out->pool, p, 33);
}

static int read_shares(struct zt_db *q, struct zt_stored_settlement *out)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_GET_SHARES, &p), r;
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, out->row);
	while ((r = zt_db_row(q, p, "read settlement funds")) == 1) {
		if (out->fund_count >= 3 + ZT_RELIEF_MAX) {
			zt_db_done(p);
			return zt_error_set(ZT_EINTERNAL, "settlement %s has too many funds", out->setl_id);
		}
		struct zt_stored_fund *f = &out->funds[out->fund_count++];
		zt_db_column_copy(f->fund_code, sizeof f->fund_code, p, 0);
		zt_db_column_copy(f->kind, sizeof f->kind, p, 1);
		f->amount = zt_db_column_int64(p, 2);
		zt_db_column_copy(f->slot, sizeof f->slot, p, 3);
		if ((rc = zt_db_trace_read(p, 4, &f->trace)) != 0) {
			zt_db_done(p);
			return rc;
		}
		zt_db_trace_complete(&f->trace, out->hospital_level, out->category, out->reverses_setl_id,
		                  out->reason, f->slot);
	}
	return r;
}

static int read_segments(struct zt_db *q, struct zt_stored_settlement *out)
{
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_GET_SEGMENTS, &p), r;
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, out->row);
	while ((r = zt_db_row(q, p, "read trace segments")) == 1) {
		int seq = zt_db_column_int(p, 0);
		struct zt_trace_critical *c = seq >= 1 && seq <= out->fund_count
		                                  ? &out->funds[seq - 1].trace.u.critical
		                                  : NULL;
		if (!c || out->funds[seq - 1].trace.kind != ZT_TRACE_CRITICAL ||
		    c->segment_count >= ZT_TIERS_MAX) {
			zt_db_done(p);
			return zt_error_set(ZT_EINTERNAL, "settlement %s: share %d has a tier segment it "
			                    "cannot have", out->setl_id, seq);
		}
		zt_db_trace_segment_read(p, 1, c);
	}
	return r;
}

static int get(struct zt_store *s, int64_t row, struct zt_stored_settlement *out)
{
	struct zt_db *q = zt_db_of(s);
	memset(out, 0, sizeof *out);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_GET_SETTLEMENT, &p);
	if (r)
		return r;
	zt_db_bind_int64(p, 1, row);
	if ((r = zt_db_row(q, p, "read settlement")) <= 0)
		return r == 0 ? zt_error_set(ZT_ENOTFOUND, "settlement #%lld not found", (long long)row) : r;
	out->row = row;
	read_settlement(p, out);
	zt_db_done(p);
	if ((r = read_shares(q, out)) == 0 && (r = read_segments(q, out)) == 0)
		r = zt_db_national_fill(q, out);
	return r;
}

struct zt_stored_claim zt_db_claim_of(struct zt_db_stmt *p, unsigned char digest[ZT_DB_DIGEST_CAP])
{
	struct zt_stored_claim c = {
		.row = zt_db_column_int64(p, 0), .fixmedins_code = zt_db_column_text(p, 1),
		.claim_no = zt_db_column_text(p, 2), .psn_no = zt_db_column_text(p, 3),
		.adm_date = zt_db_column_int(p, 4), .dscg_date = zt_db_column_int(p, 5),
		.dscg_maindiag_code = zt_db_column_text(p, 6), .medfee_sumamt = zt_db_column_int64(p, 7),
		.item_count = zt_db_column_int64(p, 8),
		.items = zt_db_column_null(p, 9) ? NULL : zt_db_column_text(p, 9),
		.digest = digest,
	};
	c.digest_bytes = zt_db_column_blob(p, 10, digest, ZT_DB_DIGEST_CAP);
	return c;
}


static int get_claim(struct zt_store *s, int64_t row,
                     int (*cb)(void *ctx, const struct zt_stored_claim *c), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_GET_CLAIM, &p);
	if (r)
		return r;
	zt_db_bind_int64(p, 1, row);
	if ((r = zt_db_row(q, p, "read claim")) <= 0)
		return r == 0 ? zt_error_set(ZT_ENOTFOUND, "claim #%lld not found", (long long)row) : r;
	unsigned char digest[ZT_DB_DIGEST_CAP];
	struct zt_stored_claim c = zt_db_claim_of(p, digest);
	/* a claim v2's stay (claim_v2, migration 010): NULL when absent */
	if (!zt_db_column_null(p, 11))
		c.ipt_no = zt_db_column_text(p, 11);
	if (!zt_db_column_null(p, 12))
		c.dept_name = zt_db_column_text(p, 12);
	if (!zt_db_column_null(p, 13)) {
		c.has_deposit = true;
		c.deposit = zt_db_column_int64(p, 13);
	}
	r = cb(ctx, &c);
	zt_db_done(p);
	return r;
}

static int history(struct zt_store *s, const char *hospital, const char *claim_no,
                   int (*cb)(void *ctx, const struct zt_stored_settlement *st), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	/* The ids first: the callback may use the store. */
	int64_t ids[256];
	int n = 0, r;
	struct zt_db_stmt *p;
	if ((r = zt_db_prepare(q, SQL_HISTORY, &p)) != 0)
		return r;
	zt_db_bind_text(p, 1, hospital);
	zt_db_bind_text(p, 2, claim_no);
	while (n < 256 && (r = zt_db_row(q, p, "read claim history")) == 1)
		ids[n++] = zt_db_column_int64(p, 0);
	zt_db_done(p);
	if (r < 0)
		return r;
	if (n == 0)
		return ZT_ENOTFOUND;
	struct zt_stored_settlement *st = malloc(sizeof *st);
	if (!st)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		if ((rc = get(s, ids[i], st)) == 0)
			rc = cb(ctx, st);
	free(st);
	return rc;
}

static int list(struct zt_store *s, const struct zt_claim_filter *f,
                int (*cb)(void *ctx, const struct zt_claim_line *l), void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	const char *sql = f->psn_no ? SQL_LIST_PERSON : f->hospital ? SQL_LIST_HOSPITAL : SQL_LIST_DAYS;
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, sql, &p), r;
	if (rc)
		return rc;
	zt_db_bind_text(p, 1, f->psn_no);
	zt_db_bind_text(p, 2, f->hospital);
	zt_db_bind_int64(p, 3, f->from);
	zt_db_bind_int64(p, 4, f->to ? f->to : 99991231);
	while ((r = zt_db_row(q, p, "list claims")) == 1) {
		struct zt_claim_line l = {
			.setl_id = zt_db_column_text(p, 0), .kind = zt_db_column_text(p, 1),
			.reverses = zt_db_column_text(p, 2), .fixmedins_code = zt_db_column_text(p, 3),
			.claim_no = zt_db_column_text(p, 4), .psn_no = zt_db_column_text(p, 5),
			.adm_date = (zt_date)zt_db_column_int64(p, 6),
			.dscg_date = (zt_date)zt_db_column_int64(p, 7),
			.medfee_sumamt = zt_db_column_int64(p, 8),
			.fund_pay_sumamt = zt_db_column_int64(p, 9),
			.hosp_part_amt = zt_db_column_int64(p, 10),
			.psn_part_amt = zt_db_column_int64(p, 11), .settled_at = zt_db_column_text(p, 12),
			.actor = zt_db_column_text(p, 13), .reason = zt_db_column_text(p, 14),
		};
		if ((rc = cb(ctx, &l)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

const struct zt_store_claim_ops zt_db_claim_ops = {
	.find = find,
	.accum_get = accum_get,
	.prefetch = prefetch,
	.read_ahead = read_ahead,
	.write_settlement = write_settlement,
	.write_reversal = write_reversal,
	.get = get,
	.get_claim = get_claim,
	.find_setl_id = find_setl_id,
	.reversal_of = reversal_of,
	.history = history,
	.list = list,
	.v2_put = zt_db_v2_put,
	.national_live = zt_db_national_live,
	.v2_each = zt_db_v2_each,
	.national_reversed_put = zt_db_national_reversed_put,
	.national_reversed_live = zt_db_national_reversed_live,
};
