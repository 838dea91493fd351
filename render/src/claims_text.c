/* zhitong — claims for people: quote, show, list (see render_claims.h). */
#include "zhitong/render_claims.h"

#include <errno.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/render_settlement.h"
#include "zhitong/slip_text.h"
#include "zhitong/render_trace.h"

static int file_ok(FILE *f, const char *what)
{
	return ferror(f) ? zt_error_set(ZT_EIO, "cannot write %s: %s", what, strerror(errno)) : 0;
}

/* ---- the desk's quote ------------------------------------------------------- */

/* A fund's name for people: a relief fund's as its policy names it (its
 * trace keeps it; a reversal's trace has none), else its kind's. */
static const char *fund_label(const char *kind, const struct zt_fund_trace *t)
{
	if (strcmp(kind, "basic") == 0)
		return "基本医保";
	if (strcmp(kind, "critical") == 0)
		return "大病保险";
	if (strcmp(kind, "assistance") == 0)
		return "医疗救助";
	return t->kind == ZT_TRACE_RELIEF && t->u.relief.name[0] ? t->u.relief.name : "扶贫救助基金";
}

/* A line of a quote: the label padded to 44 display columns (CJK counted
 * double), the value right-aligned. */
static void quote_text_line(FILE *f, const char *label, const char *value)
{
	int pad = 44 - zt_text_width(label);
	fprintf(f, "  %s%*s %14s\n", label, pad > 0 ? pad : 0, "", value);
}

static void quote_line(FILE *f, const char *label, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	quote_text_line(f, label, zt_format_amount(b, v));
}

/* ---- the national part of a stay (docs/spec/claim-v2-national.md §4, §5) ------ */

/* The national funds of a settlement standing on the national platform, in
 * setlinfo's order: the field, the fund its policy named (national_funds)
 * and the fund's name as the national platform's 2304 calls its field. */
struct national_part {
	const char *code, *name;
	zt_fen amount;
};

static int national_parts(const struct zt_stored_settlement *st, struct national_part out[3])
{
	if (!st->national_setl_id[0])
		return 0;
	out[0] = (struct national_part){st->national_funds.basic, "基本医保统筹基金", st->hifp_pay};
	out[1] = (struct national_part){st->national_funds.critical, "大病保险", st->hifmi_pay};
	out[2] = (struct national_part){st->national_funds.assistance, "医疗救助", st->maf_pay};
	return 3;
}

/* A line of the national part: indent, label padded to `width` display
 * columns (CJK counted double), the amount right-aligned (or a text). */
static void cn_line(FILE *f, int indent, int width, const char *label, const char *value)
{
	int pad = width - zt_text_width(label);
	fprintf(f, "%*s%s%*s %16s\n", indent, "", label, pad > 0 ? pad : 0, "", value);
}

static void cn_amount(FILE *f, int indent, int width, const char *label, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	cn_line(f, indent, width, label, zt_format_amount(b, v));
}

int zt_quote_text_settlement(FILE *f, const struct zt_stored_settlement *st, bool replayed)
{
	char d[ZT_FMT_BYTES], label[120];
	fprintf(f, "%s  单据 %s  医院 %s  人员 %s  出院 %s%s%s\n", replayed ? "已结算" : "试算",
	        st->claim_no, st->fixmedins_code, st->psn_no, zt_format_date(d, st->dscg_date),
	        replayed ? "  结算号 " : "", replayed ? st->setl_id : "");
	quote_line(f, "医疗费总额", st->cls.medfee_sumamt);
	/* on top of the national platform: its settlement first, each national
	 * fund under its name, then the county's funds */
	struct national_part np[3];
	int nn = national_parts(st, np);
	if (nn)
		quote_text_line(f, "国家平台结算号", st->national_setl_id);
	for (int i = 0; i < nn; i++) {
		snprintf(label, sizeof label, "%s %s（国家平台）", np[i].code, np[i].name);
		quote_line(f, label, np[i].amount);
	}
	for (int i = 0; i < st->fund_count; i++) {
		snprintf(label, sizeof label, "%s %s", st->funds[i].fund_code,
		         fund_label(st->funds[i].kind, &st->funds[i].trace));
		quote_line(f, label, st->funds[i].amount);
	}
	quote_line(f, "医院承担", st->hosp_part_amt);
	quote_line(f, "个人支付", st->psn_part_amt);
	fputc('\n', f);
	return file_ok(f, "the quote");
}

int zt_quote_text_rejection(FILE *f, const struct zt_rejection *r)
{
	fprintf(f, "拒绝  单据 %s  医院 %s：%s：%s\n\n", r->claim_no[0] ? r->claim_no : "?",
	        r->hospital[0] ? r->hospital : "?", r->code_name, r->message);
	return file_ok(f, "the quote");
}

int zt_quote_text_summary(FILE *f, const struct zt_settle_stats *st)
{
	fprintf(f, "共 %llu 笔：试算 %llu 笔，已结算 %llu 笔，拒绝 %llu 笔；未保存任何数据\n",
	        (unsigned long long)st->claims, (unsigned long long)st->settled,
	        (unsigned long long)st->resent, (unsigned long long)st->rejected);
	return file_ok(f, "the quote");
}

static int qsink_begin(void *ctx, int version)
{
	struct zt_quote_text_sink *x = ctx;
	(void)version;
	if (!(x->spool = tmpfile()))
		return zt_error_set(ZT_EIO, "cannot create a spool file: %s", strerror(errno));
	return 0;
}

static int qsink_settled(void *ctx, const struct zt_stored_settlement *st, bool replayed)
{
	return zt_quote_text_settlement(((struct zt_quote_text_sink *)ctx)->spool, st, replayed);
}

static int qsink_rejected(void *ctx, const struct zt_rejection *r)
{
	return zt_quote_text_rejection(((struct zt_quote_text_sink *)ctx)->spool, r);
}

static int qsink_committed(void *ctx, const struct zt_settle_stats *stats)
{
	struct zt_quote_text_sink *x = ctx;
	int rc = zt_quote_text_summary(x->spool, stats);
	if (rc == 0 && x->out)
		rc = zt_render_spool_copy(x->out, x->spool);
	return rc;
}

void zt_quote_text_sink(struct zt_settle_sink *sink, struct zt_quote_text_sink *x, FILE *out)
{
	*x = (struct zt_quote_text_sink){.out = out};
	*sink = (struct zt_settle_sink){.begin = qsink_begin, .settled = qsink_settled,
	                                .rejected = qsink_rejected, .committed = qsink_committed,
	                                .ctx = x};
}

void zt_quote_text_sink_free(struct zt_quote_text_sink *x)
{
	if (x->spool)
		fclose(x->spool);
	x->spool = NULL;
}

/* ---- claim show ------------------------------------------------------------------ */

/* A settlement's field for people: its Chinese name (the national
 * platform's, docs/background-domain.md) beside the national field name,
 * padded to 46 display columns, the amount right-aligned. */
static void field_text(FILE *f, const char *name, const char *cn, const char *value)
{
	char label[96];
	snprintf(label, sizeof label, "%s %s", cn, name);
	cn_line(f, 2, 44, label, value);
}

static void amount_line(FILE *f, const char *name, const char *cn, zt_fen v)
{
	char b[ZT_FMT_BYTES];
	field_text(f, name, cn, zt_format_amount(b, v));
}

static const char *kind_cn(const char *kind)
{
	return strcmp(kind, "settle") == 0 ? "结算" : "冲销";
}

/* The whole stay of a settlement on top of the national platform, in
 * Chinese: the national settlement number, each national fund's amount
 * under its name, then the county's funds, the hospital's part and what
 * the patient pays (docs/spec/claim-v2-national.md §5: one account of the
 * whole stay). */
static int show_national(FILE *f, const struct zt_stored_settlement *st)
{
	char label[120];
	struct national_part np[3];
	int nn = national_parts(st, np);
	fprintf(f, "  国家医保信息平台结算  平台结算号 %s\n", st->national_setl_id);
	for (int i = 0; i < nn; i++) {
		snprintf(label, sizeof label, "%s %s", np[i].code, np[i].name);
		cn_amount(f, 4, 28, label, np[i].amount);
	}
	fprintf(f, "  本地救助基金%s\n", st->fund_count ? "" : "  无");
	for (int i = 0; i < st->fund_count; i++) {
		snprintf(label, sizeof label, "%s %s", st->funds[i].fund_code,
		         fund_label(st->funds[i].kind, &st->funds[i].trace));
		cn_amount(f, 4, 28, label, st->funds[i].amount);
	}
	cn_amount(f, 2, 30, "医院承担", st->hosp_part_amt);
	cn_amount(f, 2, 30, "个人支付", st->psn_part_amt);
	return file_ok(f, "the settlement");
}

static void show_head(FILE *f, const struct zt_stored_settlement *st)
{
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], when[ZT_FMT_BYTES];
	fprintf(f, "%s  %s%s%s  单据 %s  医院 %s  人员 %s（%s，%s）  医院等级 %d\n", st->setl_id,
	        kind_cn(st->kind), st->reverses_setl_id[0] ? " " : "", st->reverses_setl_id,
	        st->claim_no, st->fixmedins_code, st->psn_no, st->category,
	        st->in_county ? "县内" : "县外", st->hospital_level);
	fprintf(f, "  入院 %s，出院 %s；政策 %s；%s 经办人 %s%s%s\n", zt_format_date(d1, st->adm_date),
	        zt_format_date(d2, st->dscg_date), st->policy_id,
	        zt_timestamp_local(when, st->settled_at), st->actor, st->reason[0] ? "；原因：" : "",
	        st->reason);
	if (!st->catalog_id[0]) /* docs/spec/rules-v2.md §2 */
		return;
	fprintf(f, "  目录 %s：%lld 项按目录重新分类（与医院上传不同）\n", st->catalog_id,
	        (long long)st->catalog_differs);
	for (int i = 0; i < st->catalog_item_count; i++) {
		const struct zt_catalog_item_diff *d = &st->catalog_items[i];
		char c1[ZT_FMT_BYTES] = "无", c2[ZT_FMT_BYTES] = "无";
		if (d->sent_has_ceiling)
			zt_format_q4(c1, d->sent_ceiling);
		if (d->used_has_ceiling)
			zt_format_q4(c2, d->used_ceiling);
		fprintf(f, "    第 %d 项 %s：等级 0%d → 0%d%s，限价 %s → %s\n", d->item, d->code,
		        d->sent_lv, d->used_lv, d->found ? "" : "（目录中无此项）", c1, c2);
	}
}

int zt_claim_show_text(FILE *f, const struct zt_stored_settlement *st)
{
	char b[ZT_FMT_BYTES];
	int rc;
	show_head(f, st);
	if (st->national_setl_id[0] && (rc = show_national(f, st)) != 0)
		return rc;
	amount_line(f, "medfee_sumamt", "医疗费总额", st->cls.medfee_sumamt);
	amount_line(f, "fulamt_ownpay_amt", "全自费金额", st->cls.fulamt_ownpay_amt);
	amount_line(f, "overlmt_selfpay", "超限价自费费用", st->cls.overlmt_selfpay);
	amount_line(f, "preselfpay_amt", "先行自付金额", st->cls.preselfpay_amt);
	amount_line(f, "inscp_scp_amt", "符合政策范围金额", st->cls.inscp_scp_amt);
	amount_line(f, "act_pay_dedc", "实际支付起付线", st->act_pay_dedc);
	if (!st->national_setl_id[0]) /* absent on top of the national platform (§1) */
		field_text(f, "pool_prop_selfpay", "统筹基金支付比例",
		           zt_format_ratio(b, st->pool_prop_bp));
	amount_line(f, "hifp_pay", "基本医疗保险统筹基金支出", st->hifp_pay);
	amount_line(f, "hifmi_pay", "居民大病保险资金支出", st->hifmi_pay);
	amount_line(f, "maf_pay", "医疗救助基金支出", st->maf_pay);
	amount_line(f, "oth_pay", "其他支出", st->oth_pay);
	amount_line(f, "fund_pay_sumamt", "基金支付总额", st->fund_pay_sumamt);
	amount_line(f, "hosp_part_amt", "医院负担金额", st->hosp_part_amt);
	amount_line(f, "psn_part_amt", "个人负担总金额", st->psn_part_amt);
	fprintf(f, "  各基金：\n");
	for (int i = 0; i < st->fund_count; i++) {
		char label[96];
		snprintf(label, sizeof label, "%s %s", st->funds[i].fund_code,
		         fund_label(st->funds[i].kind, &st->funds[i].trace));
		cn_amount(f, 4, 42, label, st->funds[i].amount);
		rc = zt_trace_text(f, &st->funds[i].trace);
		if (rc < 0)
			return rc;
	}
	fprintf(f, "\n");
	return file_ok(f, "the settlement");
}

/* ---- claim list -------------------------------------------------------------------- */

/* The text list's heading: Chinese names padded by display width to the
 * columns of the rows (CJK counted double). */
static void list_head(FILE *f)
{
	static const struct {
		const char *name;
		int width, right;
	} col[] = {{"出院日期", 10, 0}, {"结算号", 16, 0}, {"类型", 8, 0},
	           {"医院", 12, 0},     {"单据号", 16, 0}, {"人员", 12, 0},
	           {"医疗费总额", 14, 1}, {"基金支付", 14, 1}, {"医院负担", 12, 1},
	           {"个人负担", 12, 1}};
	for (size_t i = 0; i < sizeof col / sizeof *col; i++) {
		int pad = col[i].width - zt_text_width(col[i].name);
		if (pad < 0)
			pad = 0;
		fprintf(f, "%s%*s%s%*s", i == 0 ? "" : i == 1 ? "  " : " ", col[i].right ? pad : 0, "",
		        col[i].name, col[i].right ? 0 : pad, "");
	}
	fputc('\n', f);
}

int zt_claim_list_begin(struct zt_claim_list_render *r, FILE *f, bool csv, bool bom)
{
	*r = (struct zt_claim_list_render){.csv = csv, .f = f};
	if (csv) {
		zt_csv_init(&r->w, f, bom);
		zt_csv_header(&r->w, "setl_id,kind,reverses,fixmedins_code,claim_no,psn_no,adm_date,"
		                     "dscg_date,medfee_sumamt,fund_pay_sumamt,hosp_part_amt,psn_part_amt,"
		                     "settled_at,actor,reason");
	} else {
		list_head(f);
	}
	return file_ok(f, "the list");
}

int zt_claim_list_row(void *render, const struct zt_claim_line *l)
{
	struct zt_claim_list_render *x = render;
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], m[ZT_FMT_BYTES], fu[ZT_FMT_BYTES],
		ho[ZT_FMT_BYTES], ps[ZT_FMT_BYTES];
	bool reversal = strcmp(l->kind, "reverse") == 0;
	*(reversal ? &x->reversals : &x->settlements) += 1;
	zt_format_date(d1, l->adm_date);
	zt_format_date(d2, l->dscg_date);
	zt_format_amount(m, l->medfee_sumamt);
	zt_format_amount(fu, l->fund_pay_sumamt);
	zt_format_amount(ho, l->hosp_part_amt);
	zt_format_amount(ps, l->psn_part_amt);
	if (x->csv) {
		const char *row[] = {l->setl_id, l->kind,   l->reverses, l->fixmedins_code,
		                     l->claim_no, l->psn_no, d1,          d2,
		                     m,           fu,        ho,          ps,
		                     l->settled_at, l->actor, l->reason};
		zt_csv_row(&x->w, row, sizeof row / sizeof *row);
		return file_ok(x->f, "the list");
	}
	fprintf(x->f, "%s  %-16s %s     %-12s %-16s %-12s %14s %14s %12s %12s%s%s%s%s\n", d2,
	        l->setl_id, kind_cn(l->kind), l->fixmedins_code, l->claim_no, l->psn_no, m, fu, ho,
	        ps, reversal ? "  冲销 " : "", l->reverses, l->reason[0] ? "：" : "", l->reason);
	return file_ok(x->f, "the list");
}

int zt_claim_list_end(struct zt_claim_list_render *r)
{
	if (!r->csv)
		fprintf(r->f, "结算 %lld 笔，冲销 %lld 笔\n", (long long)r->settlements,
		        (long long)r->reversals);
	return file_ok(r->f, "the list");
}
