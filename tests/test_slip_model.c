/* zhitong — the slip as data: identity numbers, ages, days in hospital, the
 * patient's share, the fixed names and the slip's own checks (slip.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/slip.h"

/* An identity number with its check character computed here, apart from
 * the engine (GB 11643-1999, ISO 7064 MOD 11-2). */
static const char *id_no(const char *area6, const char *birth8, const char *seq3)
{
	static char buf[4][ZT_ID_NO_BYTES];
	static int slot;
	char *out = buf[slot++ % 4];
	snprintf(out, ZT_ID_NO_BYTES, "%s%s%s", area6, birth8, seq3);
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = "10X98765432"[sum % 11];
	out[18] = '\0';
	return out;
}

Test(slip_id, the_standards_example_is_a_woman_born_on_31_december_1949)
{
	struct zt_id_no_facts f;
	/* GB 11643-1999's own example; its check character is X */
	cr_assert_eq(zt_id_no_read(&f, "11010519491231002X"), 0, "%s", zt_error_last());
	cr_expect_eq(f.birth_date, 19491231);
	cr_expect_eq(f.sex, ZT_SEX_FEMALE);
	cr_expect_str_eq(zt_sex_name(f.sex), "女");
}

Test(slip_id, digit_17_odd_is_male_even_is_female)
{
	for (int d = 0; d <= 9; d++) {
		char seq[4];
		snprintf(seq, sizeof seq, "00%d", d);
		struct zt_id_no_facts f;
		const char *id = id_no("510101", "19800615", seq);
		cr_assert_eq(zt_id_no_read(&f, id), 0, "%s: %s", id, zt_error_last());
		cr_expect_eq(f.sex, d % 2 ? ZT_SEX_MALE : ZT_SEX_FEMALE, "%s", id);
		cr_expect_str_eq(zt_sex_name(f.sex), d % 2 ? "男" : "女");
	}
}

Test(slip_id, check_characters_including_x_are_computed_and_enforced)
{
	int with_x = 0;
	for (int seq = 1; seq < 200; seq++) {
		char s[4];
		snprintf(s, sizeof s, "%03d", seq);
		char id[ZT_ID_NO_BYTES];
		snprintf(id, sizeof id, "%s", id_no("440524", "18800101", s));
		with_x += id[17] == 'X';
		struct zt_id_no_facts f;
		cr_assert_eq(zt_id_no_read(&f, id), 0, "%s: %s", id, zt_error_last());
		/* every other check character is refused */
		const char all[] = "0123456789X", right = id[17];
		for (const char *c = all; *c; c++) {
			if (*c == right)
				continue;
			id[17] = *c;
			cr_expect_eq(zt_id_no_read(&f, id), ZT_EINVAL, "%s accepted", id);
			cr_expect(strstr(zt_error_last(), "check character"), "%s", zt_error_last());
		}
	}
	cr_expect_gt(with_x, 0, "no X check character among 199 numbers");
}

Test(slip_id, bad_numbers_are_refused_and_the_message_shows_them_masked)
{
	struct zt_id_no_facts f;
	const char *bad[] = {
		"",                     /* empty */
		"51010119800615001",    /* 17 */
		"5101011980061500123",  /* 19 */
		"51010119800615001x",   /* lower-case x */
		"5101A1198006150013",   /* a letter */
		"510101198002300014",   /* 30 February */
		"510101198013010014",   /* month 13 */
		"510101000000000014",   /* no date at all */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_expect_eq(zt_id_no_read(&f, bad[i]), ZT_EINVAL, "'%s' accepted", bad[i]);
		if (strlen(bad[i]) == 18)
			cr_expect_null(strstr(zt_error_last(), bad[i]), "the full number in: %s",
			               zt_error_last());
	}
	/* a real date but a wrong check character */
	char id[ZT_ID_NO_BYTES];
	snprintf(id, sizeof id, "%s", id_no("510101", "19800615", "001"));
	id[17] = id[17] == '0' ? '1' : '0';
	cr_expect_eq(zt_id_no_read(&f, id), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "510101********"), "%s", zt_error_last());
}

Test(slip_id, one_masking_keeps_the_area_and_the_last_four)
{
	char m[ZT_ID_NO_BYTES];
	zt_id_no_mask(m, "11010519491231002X");
	cr_expect_str_eq(m, "110105********002X");
	zt_id_no_mask(m, "510101195001011234");
	cr_expect_str_eq(m, "510101********1234");
	/* anything that is not 18 characters is masked whole */
	zt_id_no_mask(m, "510101500101123");
	cr_expect_str_eq(m, "***************");
	zt_id_no_mask(m, "5101011950010112345678");
	cr_expect_str_eq(m, "******************");
	zt_id_no_mask(m, "");
	cr_expect_str_eq(m, "");
	zt_id_no_mask(m, NULL);
	cr_expect_str_eq(m, "");
}

static struct zt_age age(zt_date birth, zt_date on)
{
	struct zt_age a = {-1, -1, -1};
	cr_assert_eq(zt_age_on(&a, birth, on), 0, "%s", zt_error_last());
	return a;
}

Test(slip_age, completed_years_turn_on_the_birthday)
{
	cr_expect_eq(age(19500101, 20170301).years, 67);
	cr_expect_eq(age(19500302, 20170301).years, 66, "the day before the birthday");
	cr_expect_eq(age(19500301, 20170301).years, 67, "on the birthday");
	cr_expect_eq(age(19491231, 20170101).years, 67);
}

Test(slip_age, a_29_february_birthday_is_reached_on_1_march_in_a_common_year)
{
	const char *id = id_no("510101", "20000229", "013");
	struct zt_id_no_facts f;
	cr_assert_eq(zt_id_no_read(&f, id), 0, "%s", zt_error_last());
	cr_assert_eq(f.birth_date, 20000229);
	cr_expect_eq(age(f.birth_date, 20170228).years, 16, "28 February 2017: not yet 17");
	cr_expect_eq(age(f.birth_date, 20170301).years, 17, "1 March 2017: 17");
	cr_expect_eq(age(f.birth_date, 20160228).years, 15, "28 February 2016 (leap): not yet");
	cr_expect_eq(age(f.birth_date, 20160229).years, 16, "29 February 2016: the birthday");
	struct zt_slip_person p;
	cr_assert_eq(zt_slip_person_init(&p, "李", "P1", id, ZT_CAT_GENERAL, "险", 20170301), 0);
	cr_expect_eq(p.age.years, 17);
	cr_expect_eq(p.sex, ZT_SEX_MALE);
}

Test(slip_age, infants_in_months_and_newborns_in_days)
{
	char t[ZT_FMT_BYTES];
	struct zt_age a = age(20170115, 20170410);
	cr_expect_eq(a.years, 0);
	cr_expect_eq(a.months, 2);
	cr_expect_str_eq(zt_age_text(t, &a), "2个月");
	a = age(20170301, 20170312);
	cr_expect_eq(a.months, 0);
	cr_expect_eq(a.days, 11);
	cr_expect_str_eq(zt_age_text(t, &a), "11天");
	a = age(20170131, 20170228);
	cr_expect_eq(a.months, 0, "31 January to 28 February is not a full month");
	cr_expect_eq(a.days, 28);
	a = age(20170310, 20170310);
	cr_expect_str_eq(zt_age_text(t, &a), "0天");
	a = age(19500101, 20170301);
	cr_expect_str_eq(zt_age_text(t, &a), "67岁");
	cr_expect_eq(zt_age_on(&a, 20170311, 20170310), ZT_EINVAL, "born after the day");
}

Test(slip_person, refuses_a_bad_number_and_an_admission_before_birth)
{
	struct zt_slip_person p;
	cr_expect_eq(zt_slip_person_init(&p, "张三", "P1", "510101195001011234", ZT_CAT_POOR, "险",
	                                 20170301),
	             ZT_EINVAL, "wrong check character accepted");
	const char *id = id_no("510101", "20170305", "021");
	cr_expect_eq(zt_slip_person_init(&p, "张三", "P1", id, ZT_CAT_POOR, "险", 20170301), ZT_EINVAL);
	cr_expect_eq(zt_slip_person_init(&p, "张三", "P1", id, (zt_category)9, "险", 20170305),
	             ZT_EINVAL);
	cr_assert_eq(zt_slip_person_init(&p, "张三", "P1", id, ZT_CAT_LOWINC, "险", 20170305), 0);
	cr_expect_eq(strncmp(p.id_masked, "510101********", 14), 0, "%s", p.id_masked);
	cr_expect_eq(strcmp(p.id_masked + 14, id + 14), 0);
	cr_expect_eq(p.age.days, 0);
}

Test(slip_names, charge_types_01_to_14_and_nothing_else)
{
	const char *want[] = {"床位费", "诊察费", "检查费", "化验费", "治疗费", "手术费", "护理费",
	                      "卫生材料费", "西药费", "中药饮片费", "中成药费", "一般诊疗费", "挂号费",
	                      "其他费"};
	for (int t = 1; t <= ZT_CHARGE_TYPE_COUNT; t++) {
		char code[3];
		snprintf(code, sizeof code, "%02d", t);
		cr_expect_str_eq(zt_charge_type_name(t), want[t - 1]);
		cr_expect_eq(zt_charge_type_parse(code), t);
	}
	cr_expect_null(zt_charge_type_name(0));
	cr_expect_null(zt_charge_type_name(15));
	cr_expect_eq(zt_charge_type_parse("15"), 0);
	cr_expect_eq(zt_charge_type_parse("1"), 0);
	cr_expect_eq(zt_charge_type_parse("00"), 0);
	cr_expect_eq(zt_charge_type_parse(NULL), 0);
}

Test(slip_names, categories_in_chinese)
{
	cr_expect_str_eq(zt_category_name_zh(ZT_CAT_POOR), "脱贫人口");
	cr_expect_str_eq(zt_category_name_zh(ZT_CAT_LOWINC), "低保对象");
	cr_expect_str_eq(zt_category_name_zh(ZT_CAT_DESTITUTE), "特困人员");
	cr_expect_str_eq(zt_category_name_zh(ZT_CAT_GENERAL), "普通居民");
	cr_expect_null(zt_category_name_zh(ZT_CAT_COUNT));
	cr_expect_null(zt_category_name_zh((zt_category)-1));
}

Test(slip_names, the_insurance_from_the_basic_funds_name)
{
	char b[64];
	cr_expect_str_eq(zt_slip_insurance_name(b, sizeof b, "城乡居民基本医疗保险基金"),
	                 "城乡居民基本医疗保险");
	cr_expect_str_eq(zt_slip_insurance_name(b, sizeof b, "职工基本医疗保险统筹基金"),
	                 "职工基本医疗保险");
	cr_expect_str_eq(zt_slip_insurance_name(b, sizeof b, "新农合"), "新农合");
	/* cut on a character boundary, never inside one */
	cr_expect_str_eq(zt_slip_insurance_name(b, 8, "城乡居民基本医疗保险基金"), "城乡");
}

Test(slip_figures, days_in_hospital_count_the_admission_day_not_the_discharge_day)
{
	cr_expect_eq(zt_slip_days(20170301, 20170310), 9);
	cr_expect_eq(zt_slip_days(20170310, 20170310), 1, "in and out on one day is one day");
	cr_expect_eq(zt_slip_days(20170228, 20170301), 1);
	cr_expect_eq(zt_slip_days(20160228, 20160301), 2, "across 29 February");
	cr_expect_eq(zt_slip_days(20161231, 20170102), 2, "across a new year");
}

Test(slip_figures, the_patients_share_is_exact_with_one_half_up_rounding)
{
	char t[ZT_FMT_BYTES];
	cr_expect_str_eq(zt_slip_percent(t, 105000, 1050000), "10.00%");
	cr_expect_str_eq(zt_slip_percent(t, 1, 3), "33.33%");
	cr_expect_str_eq(zt_slip_percent(t, 2, 3), "66.67%");
	/* 1/8 = 12.5%: exact; 1/16000 = 0.00625% rounds half up to 0.01% */
	cr_expect_str_eq(zt_slip_percent(t, 1, 8), "12.50%");
	cr_expect_str_eq(zt_slip_percent(t, 1, 16000), "0.01%");
	cr_expect_str_eq(zt_slip_percent(t, 1, 20001), "0.00%");
	cr_expect_str_eq(zt_slip_percent(t, 0, 1050000), "0.00%");
	cr_expect_str_eq(zt_slip_percent(t, 1050000, 1050000), "100.00%");
	/* the largest bill: no overflow */
	cr_expect_str_eq(zt_slip_percent(t, ZT_FEN_MAX / 2, ZT_FEN_MAX), "50.00%");
	cr_expect_str_eq(zt_slip_percent(t, 5, 0), "—");
}

Test(slip_figures, ratios_as_percentages)
{
	char t[ZT_FMT_BYTES];
	cr_expect_str_eq(zt_slip_ratio_percent(t, 1000), "10%");
	cr_expect_str_eq(zt_slip_ratio_percent(t, 1050), "10.5%");
	cr_expect_str_eq(zt_slip_ratio_percent(t, 875), "8.75%");
	cr_expect_str_eq(zt_slip_ratio_percent(t, 10000), "100%");
	cr_expect_str_eq(zt_slip_ratio_percent(t, 1), "0.01%");
}

Test(slip_figures, local_time_with_the_pools_offset)
{
	char t[ZT_FMT_BYTES];
	cr_expect_str_eq(zt_slip_local_time(t, "2017-03-10T08:00:00Z", 28800),
	                 "2017-03-10 16:00:00 +08:00");
	cr_expect_str_eq(zt_slip_local_time(t, "2017-03-10T20:30:00Z", 28800),
	                 "2017-03-11 04:30:00 +08:00", "the next day in Beijing");
	cr_expect_str_eq(zt_slip_local_time(t, "2017-03-01T02:00:00Z", -5 * 3600),
	                 "2017-02-28 21:00:00 -05:00");
	cr_expect_str_eq(zt_slip_local_time(t, "2016-02-29T23:59:59Z", 0), "2016-02-29 23:59:59 +00:00");
	cr_expect_str_eq(zt_slip_local_time(t, "2017-03-10T08:00:00Z", 20700),
	                 "2017-03-10 13:45:00 +05:45");
	/* what is not a stored timestamp is shown as it is */
	cr_expect_str_eq(zt_slip_local_time(t, "2017-03-10 08:00", 28800), "2017-03-10 08:00");
	cr_expect_str_eq(zt_slip_local_time(t, "2017-02-30T08:00:00Z", 28800), "2017-02-30T08:00:00Z");
	cr_expect_str_eq(zt_slip_local_time(t, "2017-03-10T08:00:00Z", 19 * 3600),
	                 "2017-03-10T08:00:00Z");
}

/* ---- the slip's checks ---------------------------------------------------------- */

static struct zt_slip_fund funds[] = {
	{"390100", "城乡居民基本医疗保险基金", 816000, false, true, 816000},
	{"610100", "医疗救助基金", 114800, false, true, 114800},
	{"610103", "健康扶贫基金", 14200, false, true, 14200},
};

static struct zt_slip valid(void)
{
	struct zt_slip s = {
		.setl_id = "S1", .claim_no = "ZY1", .hospital_code = "H1", .hospital_name = "医院",
		.adm_date = 20170301, .dscg_date = 20170310, .diag_code = "I63.900",
		.medfee_sumamt_fen = 1050000, .fulamt_ownpay_fen = 50000, .preselfpay_fen = 20000,
		.inscp_scp_fen = 980000, .act_pay_dedc_fen = 20000, .fund_count = 3, .funds = funds,
		.psn_part_fen = 105000, .settled_at_utc = "2017-03-10T08:00:00Z", .clerk = "王",
	};
	s.charge_fen[4] = 800000;
	s.charge_fen[8] = 200000;
	s.charge_fen[7] = 50000;
	cr_assert_eq(zt_slip_person_init(&s.person, "张三", "P1", "11010519491231002X", ZT_CAT_POOR,
	                                 "城乡居民基本医疗保险", 20170301),
	             0);
	return s;
}

Test(slip_check, a_slip_that_adds_up_passes)
{
	struct zt_slip s = valid();
	cr_expect_eq(zt_slip_check(&s), 0, "%s", zt_error_last());
}

Test(slip_check, sums_that_do_not_add_up_are_refused)
{
	struct zt_slip s = valid();
	s.charge_fen[0] = 1;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "charges"), "%s", zt_error_last());
	s = valid();
	s.preselfpay_fen++;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "parts"), "%s", zt_error_last());
	s = valid();
	s.psn_part_fen++;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "the funds, the hospital and the patient"), "%s",
	          zt_error_last());
	s = valid();
	s.act_pay_dedc_fen = s.inscp_scp_fen + 1;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	s = valid();
	s.hosp_part_fen = -1;
	s.psn_part_fen++;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL, "a negative amount");
	s = valid();
	s.charge_fen[0] = ZT_FEN_MAX;
	s.charge_fen[1] = ZT_FEN_MAX;
	cr_expect_eq(zt_slip_check(&s), ZT_ERANGE, "an overflowing sum");
}

Test(slip_check, missing_texts_and_misplaced_funds_are_refused)
{
	struct zt_slip s = valid();
	s.clerk = "";
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "clerk"), "%s", zt_error_last());
	s = valid();
	s.person.name = NULL;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	s = valid();
	s.is_void = true;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL, "a void slip without the reversal");
	s.void_setl_id = "S2";
	cr_expect_eq(zt_slip_check(&s), 0, "%s", zt_error_last());
	s = valid();
	s.adm_date = 20170311;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL, "admission after discharge");
	/* a national fund after the county's, or without the national number */
	struct zt_slip_fund f[3];
	memcpy(f, funds, sizeof f);
	f[2].national = true;
	s = valid();
	s.funds = f;
	s.national_setl_id = "2304-1";
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	f[2].national = false;
	f[0].national = true;
	cr_expect_eq(zt_slip_check(&s), 0, "%s", zt_error_last());
	s.national_setl_id = NULL;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
	s = valid();
	s.fund_count = ZT_SLIP_FUNDS_MAX + 1;
	cr_expect_eq(zt_slip_check(&s), ZT_EINVAL);
}

Test(slip_check, deposit_balance_refund_or_due)
{
	struct zt_slip s = valid();
	zt_fen refund, due;
	zt_slip_deposit_balance(&s, &refund, &due);
	cr_expect_eq(refund, 0);
	cr_expect_eq(due, 105000, "without a deposit, everything is due");
	s.has_deposit = true;
	s.deposit_fen = 200000;
	zt_slip_deposit_balance(&s, &refund, &due);
	cr_expect_eq(refund, 95000);
	cr_expect_eq(due, 0);
	s.deposit_fen = 50000;
	zt_slip_deposit_balance(&s, &refund, &due);
	cr_expect_eq(refund, 0);
	cr_expect_eq(due, 55000);
	s.deposit_fen = 105000;
	zt_slip_deposit_balance(&s, &refund, &due);
	cr_expect_eq(refund + due, 0);
}

Test(slip_arena, strings_live_until_the_arena_is_freed)
{
	struct zt_slip_arena a = {0};
	char big[10000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	const char *p[200];
	for (int i = 0; i < 200; i++) {
		char s[32];
		snprintf(s, sizeof s, "名字%d", i);
		p[i] = zt_slip_arena_strdup(&a, s);
		cr_assert(p[i]);
	}
	const char *q = zt_slip_arena_strdup(&a, big);
	cr_assert(q);
	cr_expect_eq(strlen(q), sizeof big - 1);
	for (int i = 0; i < 200; i++) {
		char s[32];
		snprintf(s, sizeof s, "名字%d", i);
		cr_expect_str_eq(p[i], s);
	}
	cr_expect_null(zt_slip_arena_strdup(&a, NULL));
	zt_slip_arena_free(&a);
	cr_expect_null(a.head);
}
