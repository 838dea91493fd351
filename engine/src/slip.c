/* zhitong — the patient's slip as data: identity numbers, names, checks and
 * the figures every renderer shows (see slip.h, docs/slip.md). Pure: no I/O,
 * no clock. */
#define _GNU_SOURCE /* timegm */
#include "zhitong/slip.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/date.h" /* zt_date_days_between: the engine's day arithmetic */

/* ---- identity numbers ------------------------------------------------------ */

/* GB 11643-1999: weights of the first 17 digits and the check characters
 * by sum mod 11 (ISO 7064 MOD 11-2). */
static const int id_weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char id_check[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

void zt_id_no_mask(char out[ZT_ID_NO_BYTES], const char *id_no)
{
	size_t n = id_no ? strnlen(id_no, ZT_ID_NO_BYTES) : 0;
	if (n >= ZT_ID_NO_BYTES)
		n = ZT_ID_NO_BYTES - 1; /* longer than 18: not a number, all masked */
	for (size_t i = 0; i < n; i++)
		out[i] = '*';
	out[n] = '\0';
	if (n == ZT_ID_NO_BYTES - 1 && strlen(id_no) == n) {
		memcpy(out, id_no, 6);
		memcpy(out + 14, id_no + 14, 4);
	}
}

static bool date_real(zt_date d)
{
	char buf[ZT_FMT_BYTES];
	zt_date back;
	if (d < 10101 || d > 99991231)
		return false;
	zt_format_date(buf, d);
	return zt_parse_date(&back, buf, strlen(buf)) == 0 && back == d;
}

int zt_id_no_read(struct zt_id_no_facts *out, const char *id_no)
{
	char masked[ZT_ID_NO_BYTES];
	zt_id_no_mask(masked, id_no);
	if (!id_no || strlen(id_no) != 18)
		return zt_error_set(ZT_EINVAL, "identity number '%s' is not 18 characters", masked);
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (id_no[i] < '0' || id_no[i] > '9')
			return zt_error_set(ZT_EINVAL,
			                    "identity number '%s' has a character other than a digit "
			                    "in position %d",
			                    masked, i + 1);
		sum += (id_no[i] - '0') * id_weight[i];
	}
	zt_date birth = 0;
	for (int i = 6; i < 14; i++)
		birth = birth * 10 + (id_no[i] - '0');
	if (!date_real(birth) || birth < 18000101)
		return zt_error_set(ZT_EINVAL, "identity number '%s': digits 7-14 are not a birth date",
		                    masked);
	char want = id_check[sum % 11];
	if (id_no[17] != want)
		return zt_error_set(ZT_EINVAL, "identity number '%s': check character is '%c', not '%c'",
		                    masked, id_no[17], want);
	out->birth_date = birth;
	out->sex = ((id_no[16] - '0') % 2) ? ZT_SEX_MALE : ZT_SEX_FEMALE;
	return 0;
}

int zt_age_on(struct zt_age *out, zt_date birth, zt_date on)
{
	if (!date_real(birth) || !date_real(on) || on < birth)
		return zt_error_set(ZT_EINVAL, "no age on %d for a birth on %d", (int)on, (int)birth);
	int by = birth / 10000, bmd = birth % 10000, oy = on / 10000, omd = on % 10000;
	/* (month, day) compared as mmdd: 29 February (0229) is reached on 0301
	 * in a common year, which has no 0229. */
	struct zt_age a = {.years = oy - by - (omd < bmd)};
	if (a.years == 0) {
		int bm = bmd / 100, bd = bmd % 100, om = omd / 100, od = omd % 100;
		a.months = (oy - by) * 12 + om - bm - (od < bd);
		if (a.months == 0)
			a.days = (int)zt_date_days_between(birth, on);
	}
	*out = a;
	return 0;
}

char *zt_age_text(char out[ZT_FMT_BYTES], const struct zt_age *a)
{
	if (a->years > 0)
		snprintf(out, ZT_FMT_BYTES, "%d岁", a->years);
	else if (a->months > 0)
		snprintf(out, ZT_FMT_BYTES, "%d个月", a->months);
	else
		snprintf(out, ZT_FMT_BYTES, "%d天", a->days);
	return out;
}

const char *zt_sex_name(enum zt_sex s)
{
	return s == ZT_SEX_MALE ? "男" : s == ZT_SEX_FEMALE ? "女" : NULL;
}

/* ---- the fixed names --------------------------------------------------------- */

/* docs/spec/background-domain.md §1.6, med_chrgitm_type. */
static const char *const charge_type_names[ZT_CHARGE_TYPE_COUNT] = {
	"床位费", "诊察费", "检查费",   "化验费",   "治疗费", "手术费",     "护理费",
	"卫生材料费", "西药费", "中药饮片费", "中成药费", "一般诊疗费", "挂号费", "其他费",
};

const char *zt_charge_type_name(int type)
{
	return type >= 1 && type <= ZT_CHARGE_TYPE_COUNT ? charge_type_names[type - 1] : NULL;
}

int zt_charge_type_parse(const char *code)
{
	if (!code || strlen(code) != 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' ||
	    code[1] > '9')
		return 0;
	int t = (code[0] - '0') * 10 + (code[1] - '0');
	return t >= 1 && t <= ZT_CHARGE_TYPE_COUNT ? t : 0;
}

/* Indexed by zt_category (policy.h). */
static const char *const category_names_zh[ZT_CAT_COUNT] = {
	[ZT_CAT_GENERAL] = "普通居民",
	[ZT_CAT_POOR] = "脱贫人口",
	[ZT_CAT_LOWINC] = "低保对象",
	[ZT_CAT_DESTITUTE] = "特困人员",
};

const char *zt_category_name_zh(zt_category c)
{
	return (unsigned)c < ZT_CAT_COUNT ? category_names_zh[c] : NULL;
}

/* ---- the person ----------------------------------------------------------- */

int zt_slip_person_init(struct zt_slip_person *out, const char *name, const char *psn_no,
                        const char *id_no, zt_category category, const char *insurance,
                        zt_date adm_date)
{
	struct zt_id_no_facts f;
	struct zt_age age;
	int rc = zt_id_no_read(&f, id_no);
	if (rc)
		return rc;
	if (!date_real(adm_date) || adm_date < f.birth_date) {
		char masked[ZT_ID_NO_BYTES], d[ZT_FMT_BYTES];
		zt_id_no_mask(masked, id_no);
		return zt_error_set(ZT_EINVAL, "person '%s': admitted on %s, before the birth date of '%s'",
		                    psn_no ? psn_no : "", zt_format_date(d, adm_date), masked);
	}
	if ((rc = zt_age_on(&age, f.birth_date, adm_date)) != 0)
		return rc;
	if (zt_category_name_zh(category) == NULL)
		return zt_error_set(ZT_EINVAL, "person '%s': category %d is not one",
		                    psn_no ? psn_no : "", (int)category);
	*out = (struct zt_slip_person){.name = name, .psn_no = psn_no, .sex = f.sex, .age = age,
	                               .category = category, .insurance = insurance};
	zt_id_no_mask(out->id_masked, id_no);
	return 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

char *zt_slip_insurance_name(char *out, size_t cap, const char *basic_fund_name)
{
	if (cap == 0)
		return out;
	const char *s = basic_fund_name ? basic_fund_name : "";
	size_t n = strlen(s);
	if (ends_with(s, n, "统筹基金"))
		n -= strlen("统筹基金");
	else if (ends_with(s, n, "基金"))
		n -= strlen("基金");
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* never cut a character in two */
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* ---- checks ---------------------------------------------------------------- */

static bool text_set(const char *s) { return s && *s; }

static int need_text(const char *s, const char *what)
{
	return text_set(s) ? 0 : zt_error_set(ZT_EINVAL, "slip: %s is missing", what);
}

/* sum += v, with v ≥ 0 and no overflow. */
static int add_amount(zt_fen *sum, zt_fen v, const char *what)
{
	char a[ZT_FMT_BYTES];
	if (v < 0)
		return zt_error_set(ZT_EINVAL, "slip: %s is negative (%s)", what, zt_format_amount(a, v));
	if (__builtin_add_overflow(*sum, v, sum) || *sum > ZT_FEN_MAX)
		return zt_error_set(ZT_ERANGE, "slip: the sum of %s overflows", what);
	return 0;
}

static int sum_is_total(zt_fen sum, zt_fen total, const char *what)
{
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	if (sum == total)
		return 0;
	return zt_error_set(ZT_EINVAL, "slip: %s add up to %s, not the total %s", what,
	                    zt_format_amount(a, sum), zt_format_amount(b, total));
}

static int check_texts(const struct zt_slip *s)
{
	int rc;
	if ((rc = need_text(s->setl_id, "setl_id")) || (rc = need_text(s->claim_no, "claim_no")) ||
	    (rc = need_text(s->hospital_code, "the hospital's code")) ||
	    (rc = need_text(s->hospital_name, "the hospital's name")) ||
	    (rc = need_text(s->person.name, "the person's name")) ||
	    (rc = need_text(s->person.psn_no, "psn_no")) ||
	    (rc = need_text(s->person.id_masked, "the masked identity number")) ||
	    (rc = need_text(s->person.insurance, "the insurance")) ||
	    (rc = need_text(s->diag_code, "the diagnosis code")) ||
	    (rc = need_text(s->settled_at_utc, "the settlement time")) ||
	    (rc = need_text(s->clerk, "the clerk")))
		return rc;
	if (s->is_void && (rc = need_text(s->void_setl_id, "the reversal's setl_id")) != 0)
		return rc;
	if ((!s->person.id_unreadable && zt_sex_name(s->person.sex) == NULL) ||
	    zt_category_name_zh(s->person.category) == NULL)
		return zt_error_set(ZT_EINVAL, "slip: the person's sex or category is not set");
	if (!date_real(s->adm_date) || !date_real(s->dscg_date) || s->adm_date > s->dscg_date)
		return zt_error_set(ZT_EINVAL, "slip: admission %d and discharge %d are not real dates in order",
		                    (int)s->adm_date, (int)s->dscg_date);
	return 0;
}

static int check_funds(const struct zt_slip *s, zt_fen *paid)
{
	int rc;
	if (s->fund_count < 0 || s->fund_count > ZT_SLIP_FUNDS_MAX || (s->fund_count && !s->funds))
		return zt_error_set(ZT_EINVAL, "slip: %d fund lines (at most %d)", s->fund_count,
		                    ZT_SLIP_FUNDS_MAX);
	bool county_seen = false;
	for (int i = 0; i < s->fund_count; i++) {
		const struct zt_slip_fund *f = &s->funds[i];
		if ((rc = need_text(f->code, "a fund's code")) || (rc = need_text(f->name, "a fund's name")))
			return rc;
		if (f->national && county_seen)
			return zt_error_set(ZT_EINVAL, "slip: national fund '%s' after the county's funds",
			                    f->code);
		if (f->national && !text_set(s->national_setl_id))
			return zt_error_set(ZT_EINVAL, "slip: national fund '%s' without the national setl_id",
			                    f->code);
		county_seen = county_seen || !f->national;
		if ((rc = add_amount(paid, f->paid_fen, "the funds")))
			return rc;
		if (f->has_year_total && f->year_total_fen < f->paid_fen)
			return zt_error_set(ZT_EINVAL, "slip: fund '%s' paid more than its yearly total",
			                    f->code);
	}
	return 0;
}

int zt_slip_check(const struct zt_slip *s)
{
	int rc;
	if ((rc = check_texts(s)))
		return rc;
	zt_fen charges = 0, split = 0, paid = 0;
	for (int i = 0; i < ZT_CHARGE_TYPE_COUNT; i++)
		if ((rc = add_amount(&charges, s->charge_fen[i], "the charges")))
			return rc;
	if ((rc = sum_is_total(charges, s->medfee_sumamt_fen, "the charges")))
		return rc;
	const zt_fen parts[4] = {s->fulamt_ownpay_fen, s->preselfpay_fen, s->overlmt_selfpay_fen,
	                         s->inscp_scp_fen};
	for (int i = 0; i < 4; i++)
		if ((rc = add_amount(&split, parts[i], "the bill's parts")))
			return rc;
	if ((rc = sum_is_total(split, s->medfee_sumamt_fen, "the bill's parts")))
		return rc;
	if (s->act_pay_dedc_fen < 0 || s->act_pay_dedc_fen > s->inscp_scp_fen)
		return zt_error_set(ZT_EINVAL, "slip: the deductible is not within the policy's range");
	if ((rc = check_funds(s, &paid)) || (rc = add_amount(&paid, s->hosp_part_fen, "the shares")) ||
	    (rc = add_amount(&paid, s->psn_part_fen, "the shares")))
		return rc;
	if ((rc = sum_is_total(paid, s->medfee_sumamt_fen, "the funds, the hospital and the patient")))
		return rc;
	if (s->has_deposit && s->deposit_fen < 0)
		return zt_error_set(ZT_EINVAL, "slip: the deposit is negative");
	if (s->has_year_psn_part && s->year_psn_part_fen < s->psn_part_fen)
		return zt_error_set(ZT_EINVAL, "slip: the patient's yearly share is below this stay's");
	if (s->has_cap && (s->cap_ratio_bp < 0 || s->cap_ratio_bp > ZT_BP_ONE || s->cap_fen < 0))
		return zt_error_set(ZT_EINVAL, "slip: the personal cap is out of range");
	return 0;
}

/* ---- derived figures ------------------------------------------------------- */

int64_t zt_slip_days(zt_date adm_date, zt_date dscg_date)
{
	int64_t d = zt_date_days_between(adm_date, dscg_date);
	return d < 1 ? 1 : d;
}

char *zt_slip_percent(char out[ZT_FMT_BYTES], zt_fen part, zt_fen total)
{
	int64_t hundredths;
	if (total <= 0 || part < 0 || zt_rhu128(&hundredths, (__int128)part * 10000, total) != 0) {
		zt_error_clear();
		snprintf(out, ZT_FMT_BYTES, "—");
		return out;
	}
	snprintf(out, ZT_FMT_BYTES, "%lld.%02lld%%", (long long)(hundredths / 100),
	         (long long)(hundredths % 100));
	return out;
}

char *zt_slip_ratio_percent(char out[ZT_FMT_BYTES], zt_bp r)
{
	int whole = r / 100, frac = r % 100;
	if (r < 0)
		snprintf(out, ZT_FMT_BYTES, "—");
	else if (frac == 0)
		snprintf(out, ZT_FMT_BYTES, "%d%%", whole);
	else if (frac % 10 == 0)
		snprintf(out, ZT_FMT_BYTES, "%d.%d%%", whole, frac / 10);
	else
		snprintf(out, ZT_FMT_BYTES, "%d.%02d%%", whole, frac);
	return out;
}

void zt_slip_deposit_balance(const struct zt_slip *s, zt_fen *refund_out, zt_fen *due_out)
{
	zt_fen deposit = s->has_deposit ? s->deposit_fen : 0;
	*refund_out = deposit > s->psn_part_fen ? deposit - s->psn_part_fen : 0;
	*due_out = s->psn_part_fen > deposit ? s->psn_part_fen - deposit : 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ", exactly. */
static bool parse_utc(time_t *out, const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	if (!s || strlen(s) != sizeof form - 1)
		return false;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
			return false;
	struct tm tm = {0};
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
	    !date_real((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday))
		return false;
	*out = timegm(&tm);
	return true;
}

char *zt_slip_local_time(char out[ZT_FMT_BYTES], const char *utc, int32_t offset_s)
{
	time_t t;
	struct tm tm;
	if (offset_s < -18 * 3600 || offset_s > 18 * 3600 || !parse_utc(&t, utc)) {
		snprintf(out, ZT_FMT_BYTES, "%s", utc ? utc : "");
		return out;
	}
	t += offset_s;
	gmtime_r(&t, &tm);
	int a = offset_s < 0 ? -offset_s : offset_s;
	char off[16];
	if (a % 60)
		snprintf(off, sizeof off, "%c%02d:%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600,
		         a / 60 % 60, a % 60);
	else
		snprintf(off, sizeof off, "%c%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	char full[96]; /* "2017-03-10 16:00:00 +08:00" is 26 bytes; the compiler cannot know */
	snprintf(full, sizeof full, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
	snprintf(out, ZT_FMT_BYTES, "%.*s", ZT_FMT_BYTES - 1, full);
	return out;
}

int zt_slip_code_content(struct zt_slipcode_content *out,
                         struct zt_slipcode_fund funds[ZT_SLIP_FUNDS_MAX],
                         const struct zt_slip *s)
{
	if (s->fund_count < 0 || s->fund_count > ZT_SLIP_FUNDS_MAX)
		return zt_error_set(ZT_EINVAL, "slip: %d fund lines (at most %d)", s->fund_count,
		                    ZT_SLIP_FUNDS_MAX);
	for (int i = 0; i < s->fund_count; i++)
		funds[i] = (struct zt_slipcode_fund){s->funds[i].code, s->funds[i].paid_fen};
	*out = (struct zt_slipcode_content){
		.setl_id = s->setl_id,
		.hospital_code = s->hospital_code,
		.claim_no = s->claim_no,
		.psn_no = s->person.psn_no,
		.medfee_sumamt_fen = s->medfee_sumamt_fen,
		.fund_count = s->fund_count,
		.funds = funds,
		.psn_part_fen = s->psn_part_fen,
	};
	return 0;
}

/* ---- arena ------------------------------------------------------------------ */

#define ARENA_BLOCK_BYTES 4096u

struct zt_slip_arena_block {
	struct zt_slip_arena_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

void *zt_slip_arena_alloc(struct zt_slip_arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	size_t need = (n + align - 1) / align * align;
	if (need < n) {
		zt_error_set(ZT_ENOMEM, "slip arena: %zu bytes", n);
		return NULL;
	}
	struct zt_slip_arena_block *b = a->head;
	if (!b || b->cap - b->used < need) {
		size_t cap = need > ARENA_BLOCK_BYTES ? need : ARENA_BLOCK_BYTES;
		b = zt_malloc(sizeof *b + cap);
		if (!b) {
			zt_error_set(ZT_ENOMEM, "slip arena: out of memory");
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	memset(p, 0, need);
	return p;
}

char *zt_slip_arena_strdup(struct zt_slip_arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = zt_slip_arena_alloc(a, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void zt_slip_arena_free(struct zt_slip_arena *a)
{
	struct zt_slip_arena_block *b = a->head;
	while (b) {
		struct zt_slip_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}
