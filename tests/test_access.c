/* zhitong — who may do what (access.h, docs/spec/service.md "Users, roles
 * and tokens"): the five roles by name, the table of operations checked
 * against the specification's sentences, what finance sees, scopes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/access.h"
#include "zhitong/error.h"

static const unsigned every_role[] = {ZT_USER_DESK, ZT_USER_FUND_ADMIN, ZT_USER_FINANCE,
                                      ZT_USER_AUDITOR, ZT_USER_ADMIN};

Test(roles, the_five_names_of_the_specification_round_trip)
{
	const char *names[] = {"desk", "fund-admin", "finance", "auditor", "admin"};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_str_eq(zt_user_role_name(every_role[i]), names[i]);
		unsigned r = 0;
		cr_assert_eq(zt_user_role_parse(&r, names[i]), 0);
		cr_assert_eq(r, every_role[i]);
	}
	cr_assert_null(zt_user_role_name(0));
	cr_assert_null(zt_user_role_name(ZT_USER_DESK | ZT_USER_ADMIN), "not one role");
	cr_assert_null(zt_user_role_name(1u << 5));
}

Test(roles, unknown_names_are_refused)
{
	const char *bad[] = {"Desk", "fund_admin", "fundadmin", "root", "", " desk", "desk ", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		unsigned r = 7;
		cr_assert_eq(zt_user_role_parse(&r, bad[i]), ZT_EINVAL);
		cr_assert_eq(r, 0);
		cr_assert(strstr(zt_error_last(), "desk, fund-admin, finance, auditor or admin"), "%s",
		          zt_error_last());
	}
}

Test(access_table, every_operation_has_a_name_and_a_role)
{
	for (int op = 0; op < ZT_OP_COUNT; op++) {
		const struct zt_op_info *i = zt_op_info((enum zt_op)op);
		cr_assert_not_null(i);
		cr_assert_not_null(i->name, "op %d", op);
		cr_assert_neq(i->roles, 0, "%s: nobody may", i->name);
		cr_assert_eq(i->roles & ~ZT_USER_ROLES_ALL, 0);
		cr_assert(!i->moves_money || i->changes, "%s moves money without a change", i->name);
		for (int other = 0; other < op; other++)
			cr_assert_str_neq(zt_op_info((enum zt_op)other)->name, i->name);
	}
	cr_assert_null(zt_op_info(ZT_OP_COUNT));
	cr_assert_eq(zt_access_roles(ZT_OP_COUNT), 0);
	cr_assert_not(zt_access_allows(ZT_USER_ROLES_ALL, ZT_OP_COUNT));
}

/* "auditor: reads everything, the audit trail and verify; changes nothing" */
Test(access_table, an_auditor_may_do_exactly_what_changes_nothing)
{
	for (int op = 0; op < ZT_OP_COUNT; op++) {
		const struct zt_op_info *i = zt_op_info((enum zt_op)op);
		cr_assert_eq(zt_access_allows(ZT_USER_AUDITOR, (enum zt_op)op), !i->changes, "%s",
		             i->name);
	}
	cr_assert(zt_access_allows(ZT_USER_AUDITOR, ZT_OP_AUDIT_READ));
	cr_assert(zt_access_allows(ZT_USER_AUDITOR, ZT_OP_VERIFY));
}

/* "admin: users, registry, catalogues, policies; no money movement" */
Test(access_table, an_administrator_moves_no_money_and_reads_no_claim)
{
	for (int op = 0; op < ZT_OP_COUNT; op++) {
		const struct zt_op_info *i = zt_op_info((enum zt_op)op);
		if (i->moves_money)
			cr_assert_not(zt_access_allows(ZT_USER_ADMIN, (enum zt_op)op), "%s", i->name);
	}
	cr_assert(zt_access_allows(ZT_USER_ADMIN, ZT_OP_USER_ADMIN));
	cr_assert(zt_access_allows(ZT_USER_ADMIN, ZT_OP_REFERENCE_WRITE));
	cr_assert_not(zt_access_allows(ZT_USER_ADMIN, ZT_OP_CLAIM_READ));
	cr_assert_eq(zt_access_view(ZT_USER_ADMIN), 0);
	/* and only the administrator manages users and reference data */
	cr_assert_eq(zt_access_roles(ZT_OP_USER_ADMIN), ZT_USER_ADMIN);
	cr_assert_eq(zt_access_roles(ZT_OP_REFERENCE_WRITE), ZT_USER_ADMIN);
}

/* Each role's changes, exactly: the sentences of the specification. */
Test(access_table, each_role_changes_exactly_what_the_specification_gives_it)
{
	struct {
		unsigned role;
		enum zt_op ops[8];
		size_t n;
	} changes[] = {
		{ZT_USER_DESK, {ZT_OP_CLAIM_SUBMIT, ZT_OP_CLAIM_REVERSE}, 2},
		{ZT_USER_FUND_ADMIN, {ZT_OP_BATCH_WRITE}, 1},
		{ZT_USER_FINANCE, {ZT_OP_ADVANCE_WRITE, ZT_OP_RECONCILE_WRITE}, 2},
		{ZT_USER_AUDITOR, {0}, 0},
		{ZT_USER_ADMIN, {ZT_OP_USER_ADMIN, ZT_OP_REFERENCE_WRITE}, 2},
	};
	for (size_t c = 0; c < 5; c++)
		for (int op = 0; op < ZT_OP_COUNT; op++) {
			const struct zt_op_info *i = zt_op_info((enum zt_op)op);
			if (!i->changes)
				continue;
			bool listed = false;
			for (size_t j = 0; j < changes[c].n; j++)
				listed |= changes[c].ops[j] == (enum zt_op)op;
			cr_assert_eq(zt_access_allows(changes[c].role, (enum zt_op)op), listed, "%s %s",
			             zt_user_role_name(changes[c].role), i->name);
		}
}

Test(access_table, a_desk_submits_quotes_reverses_looks_up_and_prints_slips)
{
	enum zt_op desk[] = {ZT_OP_CLAIM_SUBMIT, ZT_OP_CLAIM_QUOTE,   ZT_OP_CLAIM_REVERSE,
	                     ZT_OP_CLAIM_READ,   ZT_OP_SLIP,          ZT_OP_PERSON_LOOKUP,
	                     ZT_OP_HOSPITAL_REPORT};
	for (int op = 0; op < ZT_OP_COUNT; op++) {
		bool listed = false;
		for (size_t j = 0; j < sizeof desk / sizeof *desk; j++)
			listed |= desk[j] == (enum zt_op)op;
		cr_assert_eq(zt_access_allows(ZT_USER_DESK, (enum zt_op)op), listed, "%s",
		             zt_op_info((enum zt_op)op)->name);
	}
	/* batches, advances, the audit trail are not a desk's */
	cr_assert_not(zt_access_allows(ZT_USER_DESK, ZT_OP_BATCH_READ));
	cr_assert_not(zt_access_allows(ZT_USER_DESK, ZT_OP_AUDIT_READ));
}

/* "finance: sees amounts, never diagnoses, items or full ID numbers" */
Test(access_view, finance_sees_amounts_only)
{
	cr_assert_eq(zt_access_view(ZT_USER_FINANCE), ZT_VIEW_AMOUNTS);
	cr_assert_not(zt_access_allows(ZT_USER_FINANCE, ZT_OP_PERSON_LOOKUP));
	cr_assert_not(zt_access_allows(ZT_USER_FINANCE, ZT_OP_SLIP));
	unsigned all = ZT_VIEW_AMOUNTS | ZT_VIEW_CLINICAL | ZT_VIEW_IDENTITY;
	cr_assert_eq(zt_access_view(ZT_USER_DESK), all);
	cr_assert_eq(zt_access_view(ZT_USER_FUND_ADMIN), all);
	cr_assert_eq(zt_access_view(ZT_USER_AUDITOR), all);
	/* every role that reads claims sees at least the amounts */
	for (size_t i = 0; i < 5; i++)
		if (zt_access_allows(every_role[i], ZT_OP_CLAIM_READ))
			cr_assert(zt_access_view(every_role[i]) & ZT_VIEW_AMOUNTS);
}

/* ---- scope ------------------------------------------------------------ */

Test(scope, codes_are_kept_sorted_once_and_found)
{
	struct zt_scope s;
	zt_scope_init(&s);
	const char *h[] = {"H51010103", "H51010101", "H51010102", "H51010101"};
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(zt_scope_add_hospital(&s, h[i]), 0, "%s", zt_error_last());
	cr_assert_eq(s.hospital_count, 3);
	cr_assert_str_eq(s.hospitals[0], "H51010101");
	cr_assert_str_eq(s.hospitals[2], "H51010103");
	for (size_t i = 0; i < 4; i++)
		cr_assert(zt_scope_has_hospital(&s, h[i]));
	cr_assert_not(zt_scope_has_hospital(&s, "H51010104"));
	cr_assert_not(zt_scope_has_hospital(&s, "H5101010"), "no prefix match");
	cr_assert_not(zt_scope_has_hospital(&s, "h51010101"), "codes are exact");
	cr_assert_not(zt_scope_has_hospital(&s, NULL));
	cr_assert_not(zt_scope_has_fund(&s, "H51010101"), "a hospital is not a fund");
	zt_scope_free(&s);
	cr_assert_eq(s.hospital_count, 0);
	cr_assert_null(s.hospitals);
}

Test(scope, a_code_that_is_not_an_identifier_is_refused)
{
	struct zt_scope s;
	zt_scope_init(&s);
	const char *bad[] = {NULL, "", "H5101 0101", " H51010101", "H51010101\t",
	                     "H5101\xe2\x80\x8b" "0101", /* zero-width space */
	                     "H510101012345678901234567890123" /* 31 characters */, "\xff"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(zt_scope_add_hospital(&s, bad[i]), ZT_EINVAL, "case %zu", i);
		cr_assert_eq(zt_scope_add_fund(&s, bad[i]), ZT_EINVAL, "case %zu", i);
	}
	cr_assert_eq(s.hospital_count + s.fund_count, 0);
	cr_assert_eq(zt_scope_add_fund(&s, "中央财政-610100"), 0, "non-ASCII identifiers are codes");
	zt_scope_free(&s);
}

Test(scope, at_most_the_limit_of_codes)
{
	struct zt_scope s;
	zt_scope_init(&s);
	char code[16];
	for (int i = 0; i < ZT_SCOPE_ENTRIES_MAX; i++) {
		snprintf(code, sizeof code, "F%05d", i);
		cr_assert_eq(zt_scope_add_fund(&s, code), 0);
	}
	cr_assert_eq(zt_scope_add_fund(&s, "F00000"), 0, "one already there is no new entry");
	cr_assert_eq(zt_scope_add_fund(&s, "G"), ZT_ERANGE);
	cr_assert_eq(s.fund_count, ZT_SCOPE_ENTRIES_MAX);
	zt_scope_free(&s);
}

Test(scope, each_role_has_the_scope_it_uses_and_no_other)
{
	struct zt_scope none, hosp, fund, both;
	zt_scope_init(&none);
	zt_scope_init(&hosp);
	zt_scope_init(&fund);
	zt_scope_init(&both);
	cr_assert_eq(zt_scope_add_hospital(&hosp, "H51010101"), 0);
	cr_assert_eq(zt_scope_add_fund(&fund, "610100"), 0);
	cr_assert_eq(zt_scope_add_hospital(&both, "H51010101"), 0);
	cr_assert_eq(zt_scope_add_fund(&both, "610100"), 0);

	cr_assert_eq(zt_scope_check(ZT_USER_DESK, &hosp), 0);
	cr_assert_eq(zt_scope_check(ZT_USER_DESK, &none), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "a desk needs at least one --hospital"));
	cr_assert_eq(zt_scope_check(ZT_USER_DESK, NULL), ZT_EINVAL);
	cr_assert_eq(zt_scope_check(ZT_USER_DESK, &both), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "no --fund"), "%s", zt_error_last());

	cr_assert_eq(zt_scope_check(ZT_USER_FUND_ADMIN, &fund), 0);
	cr_assert_eq(zt_scope_check(ZT_USER_FUND_ADMIN, &none), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "a fund-admin needs at least one --fund"));
	cr_assert_eq(zt_scope_check(ZT_USER_FUND_ADMIN, &hosp), ZT_EINVAL);

	unsigned unscoped[] = {ZT_USER_FINANCE, ZT_USER_AUDITOR, ZT_USER_ADMIN};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(zt_scope_check(unscoped[i], &none), 0);
		cr_assert_eq(zt_scope_check(unscoped[i], NULL), 0);
		cr_assert_eq(zt_scope_check(unscoped[i], &hosp), ZT_EINVAL);
		cr_assert_eq(zt_scope_check(unscoped[i], &fund), ZT_EINVAL);
	}
	cr_assert_eq(zt_scope_check(ZT_USER_DESK | ZT_USER_AUDITOR, &hosp), ZT_EINVAL,
	             "exactly one role");
	cr_assert_eq(zt_scope_check(0, &none), ZT_EINVAL);
	zt_scope_free(&none);
	zt_scope_free(&hosp);
	zt_scope_free(&fund);
	zt_scope_free(&both);
}

Test(scope, a_desk_reaches_its_hospitals_a_fund_admin_its_funds_and_others_everything)
{
	struct zt_scope desk, fa;
	zt_scope_init(&desk);
	zt_scope_init(&fa);
	cr_assert_eq(zt_scope_add_hospital(&desk, "H51010101"), 0);
	cr_assert_eq(zt_scope_add_hospital(&desk, "H51010102"), 0);
	cr_assert_eq(zt_scope_add_fund(&fa, "610100"), 0);
	const char *funds_a[] = {"390100", "610100"}, *funds_b[] = {"390100", "610103"};

	cr_assert(zt_access_in_scope(ZT_USER_DESK, &desk, "H51010101", funds_a, 2));
	cr_assert(zt_access_in_scope(ZT_USER_DESK, &desk, "H51010102", NULL, 0));
	cr_assert_not(zt_access_in_scope(ZT_USER_DESK, &desk, "H51010103", funds_a, 2),
	              "another hospital's claim: 404");
	cr_assert_not(zt_access_in_scope(ZT_USER_DESK, &desk, NULL, funds_a, 2),
	              "a batch is no desk's");

	cr_assert(zt_access_in_scope(ZT_USER_FUND_ADMIN, &fa, "H51010103", funds_a, 2));
	cr_assert_not(zt_access_in_scope(ZT_USER_FUND_ADMIN, &fa, "H51010101", funds_b, 2),
	              "its fund did not pay");
	cr_assert(zt_access_in_scope(ZT_USER_FUND_ADMIN, &fa, NULL, funds_a + 1, 1), "its batch");
	cr_assert_not(zt_access_in_scope(ZT_USER_FUND_ADMIN, &fa, NULL, funds_b + 1, 1));

	unsigned unscoped[] = {ZT_USER_FINANCE, ZT_USER_AUDITOR, ZT_USER_ADMIN};
	for (size_t i = 0; i < 3; i++)
		cr_assert(zt_access_in_scope(unscoped[i], NULL, "H99999999", funds_b, 2));
	cr_assert_not(zt_access_in_scope(0, &desk, "H51010101", funds_a, 2), "no role, no reach");
	zt_scope_free(&desk);
	zt_scope_free(&fa);
}
