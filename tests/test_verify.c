/* zhitong — `verify` sees everything stored (issue 7, point 12).
 *
 * Each test builds a small world through the command line — the worked
 * example settled, reversed and settled again, an advance plan made,
 * approved and issued — then edits the database file by hand as someone
 * with the file could (the sqlite3 C API, foreign keys off as they are by
 * default, triggers dropped where they stand in the way) and asserts that
 * `zhitong verify` names the violation and exits 1. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"
#define TAB "char(9)"
#define NL "char(10)"

static char *zt_ok(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *zt_ok(const char *db, const char *fmt, ...)
{
	char args[4000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	char *out = NULL, *err = NULL;
	int code = zt_test_run(&out, &err, "--db '%s' %s", db, args);
	cr_assert_eq(code, 0, "zhitong %s: exit %d\n%s%s", args, code, out, err);
	free(err);
	return out;
}

/* The world: claim rows 1 and 2 (ZY2017-000123 settled, reversed, settled
 * again: settlements S…1, S…2 reversing it, S…3), the audit records 1 to 8
 * (registry load, rules load, claim settle, claim reverse, claim settle,
 * advance plan, approve, issue), one advance. */
static const char *world(void)
{
	static char db[600];
	snprintf(db, sizeof db, "%s", tmp_path("zt.db"));
	const char *cfg = zt_test_write("zt.conf", "[pool]\n"
	                                           "name = Pool\n"
	                                           "account = 6222020200112233445\n"
	                                           "[hospital H51010101]\n"
	                                           "account = 4402000000000000001\n");
	free(zt_ok(db, "init"));
	free(zt_ok(db, "registry load '%s'", REGISTRY));
	free(zt_ok(db, "rules load '%s'", POLICY));
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	free(zt_ok(db, "claim reverse --hospital H51010101 --claim-no ZY2017-000123 --reason 'wrong "
	               "ward' --by desk1"));
	free(zt_ok(db, "claim submit '%s'", WORKED_EXAMPLE));
	char *plan = zt_ok(db, "--config '%s' advance plan --by alice", cfg);
	plan[strcspn(plan, "\n")] = '\0';
	free(zt_ok(db, "advance approve %s --by bob", plan));
	free(zt_ok(db, "--config '%s' advance issue --plan %s --by carol --out '%s'", cfg, plan,
	           tmp_path("advance.xml")));
	free(plan);
	char *n = zt_test_rows(db, "SELECT (SELECT count(*) FROM claim) || ' ' || (SELECT count(*) "
	                           "FROM settlement) || ' ' || (SELECT max(id) FROM audit)");
	cr_assert_str_eq(n, "2 3 8\n");
	free(n);
	return db;
}

static void verify_ok(const char *db)
{
	struct run r = sh("'%s' --db '%s' verify", ZT_TEST_ZHITONG, db);
	cr_assert_eq(r.code, 0, "verify: exit %d\n%s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "%s", r.out);
	run_free(&r);
}

/* verify exits 1 and prints, for each (check, text) pair, a violation of
 * that check whose message holds that text. */
static void expect_violations(const char *db, const char *const *want)
{
	char *out = NULL, *err = NULL;
	int code = zt_test_run(&out, &err, "--db '%s' verify", db);
	cr_expect_eq(code, 1, "verify exit %d\n%s%s", code, out, err);
	for (int i = 0; want[i]; i += 2) {
		char head[300];
		snprintf(head, sizeof head, "VIOLATION  %s: ", want[i]);
		bool seen = false;
		for (const char *p = strstr(out, head); p && !seen; p = strstr(p + 1, head)) {
			size_t n = strcspn(p, "\n");
			char *line = strndup(p, n);
			seen = strstr(line, want[i + 1]) != NULL;
			free(line);
		}
		cr_expect(seen, "no violation of '%s' saying '%s' in\n%s", want[i], want[i + 1], out);
	}
	free(out);
	free(err);
}

#define EXPECT(db, ...)                                                                             \
	do {                                                                                            \
		const char *const w_[] = {__VA_ARGS__, NULL};                                               \
		expect_violations(db, w_);                                                                  \
	} while (0)

Test(verify_world, is_clean_as_built)
{
	verify_ok(world());
}

/* ---- claims against their digest, their items and their settlement ----- */

Test(verify_claims, an_item_amount_changed)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER claim_immutable_u; UPDATE claim SET items = replace(items, "
	                TAB "||'800000'||" TAB "||" TAB "||" NL ", " TAB "||'800001'||" TAB "||" TAB
	                "||" NL ") WHERE id = 2");
	EXPECT(db, "claims match their digest and their items",
	       "claim H51010101/ZY2017-000123 (row 2): item 1 ('1'): amount 8000.01 is not price × "
	       "quantity");
}

Test(verify_claims, an_item_changed_consistently_no_longer_adds_up)
{
	const char *db = world();
	/* price 8000.01 × 1 = 8000.01: the item is right, the claim is not */
	zt_test_sql(db, "DROP TRIGGER claim_immutable_u; UPDATE claim SET items = replace(items, "
	                TAB "||'80000000'||" TAB "||'10000'||" TAB "||'800000'||" TAB ", " TAB
	                "||'80000100'||" TAB "||'10000'||" TAB "||'800001'||" TAB ") WHERE id = 2");
	EXPECT(db, "claims match their digest and their items",
	       "(row 2): its items add up to 10500.01, medfee_sumamt is 10500.00");
}

Test(verify_claims, a_claim_changed_throughout_no_longer_matches_its_digest_nor_its_settlement)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER claim_immutable_u; UPDATE claim SET medfee_sumamt = 1050001,"
	                " items = replace(items, " TAB "||'80000000'||" TAB "||'10000'||" TAB
	                "||'800000'||" TAB ", " TAB "||'80000100'||" TAB "||'10000'||" TAB
	                "||'800001'||" TAB ") WHERE id = 2");
	EXPECT(db, "claims match their digest and their items",
	       "(row 2): its stored fields no longer match its digest (SHA-256 of the canonical claim)",
	       "settlements agree with their claim",
	       "S000000000003: medfee_sumamt 1050000, its claim H51010101/ZY2017-000123 says 1050001");
}

Test(verify_claims, a_field_of_the_claim_changed)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER claim_immutable_u;"
	                " UPDATE claim SET dscg_maindiag_code = 'X00.000' WHERE id = 1");
	EXPECT(db, "claims match their digest and their items", "(row 1): its stored fields no longer "
	                                                        "match its digest");
}

Test(verify_claims, an_item_deleted)
{
	const char *db = world();
	/* the third line goes; item_count still says 3 */
	zt_test_sql(db, "DROP TRIGGER claim_immutable_u; UPDATE claim SET items = substr(items, 1, "
	                "instr(items, " NL "||'3'||" TAB ")) WHERE id = 2");
	EXPECT(db, "claims match their digest and their items", "(row 2): 2 item lines, item_count says 3");
	/* and with the count changed to match, the sum gives it away */
	zt_test_sql(db, "UPDATE claim SET item_count = 2 WHERE id = 2");
	EXPECT(db, "claims match their digest and their items",
	       "(row 2): its items add up to 10000.00, medfee_sumamt is 10500.00");
}

Test(verify_claims, a_total_changed)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER claim_immutable_u;"
	                " UPDATE claim SET medfee_sumamt = medfee_sumamt + 100 WHERE id = 2");
	EXPECT(db, "claims match their digest and their items",
	       "(row 2): its items add up to 10500.00, medfee_sumamt is 10501.00",
	       "settlements agree with their claim", "S000000000003: medfee_sumamt 1050000, its claim");
}

Test(verify_claims, a_settlement_total_changed_with_its_parts)
{
	const char *db = world();
	/* conservation kept: only the claim and the ledger can tell */
	zt_test_sql(db, "DROP TRIGGER settlement_immutable_u; UPDATE settlement SET medfee_sumamt ="
	                " medfee_sumamt + 100, psn_part_amt = psn_part_amt + 100, fulamt_ownpay_amt ="
	                " fulamt_ownpay_amt + 100 WHERE id = 3");
	EXPECT(db, "settlements agree with their claim",
	       "S000000000003: medfee_sumamt 1050100, its claim H51010101/ZY2017-000123 says 1050000",
	       "settlements are in the ledger", "S000000000003");
}

/* ---- rows that are gone ------------------------------------------------- */

Test(verify_gone, the_claim_row_of_a_settlement)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER claim_immutable_d; DELETE FROM claim WHERE id = 2");
	EXPECT(db, "settlements agree with their claim", "S000000000003: its claim (row 2) is gone",
	       "the schema's guards are in place", "trigger claim_immutable_d is missing");
}

Test(verify_gone, a_claim_row_in_the_middle)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER claim_immutable_d; DELETE FROM claim WHERE id = 1");
	EXPECT(db, "settlements agree with their claim", "S000000000001: its claim (row 1) is gone",
	       "settlements agree with their claim", "S000000000002: its claim (row 1) is gone",
	       "claims, settlements and transfers run without gaps", "claim row 1 is missing");
}

Test(verify_gone, the_person)
{
	const char *db = world();
	zt_test_sql(db, "DELETE FROM person WHERE psn_no = 'P0000001'");
	EXPECT(db, "settlements refer to stored rows",
	       "S000000000001: person 'P0000001' is not in the registry",
	       "settlements refer to stored rows",
	       "S000000000003: person 'P0000001' is not in the registry");
}

Test(verify_gone, the_hospital)
{
	const char *db = world();
	zt_test_sql(db, "DELETE FROM hospital WHERE code = 'H51010101'");
	EXPECT(db, "settlements refer to stored rows",
	       "S000000000003: hospital 'H51010101' is not in the registry",
	       /* the advance names it too: the generic check of every reference */
	       "every other reference resolves", "advance row 1: hospital refers to a row of hospital");
}

Test(verify_gone, the_policy)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER policy_immutable_d; DELETE FROM policy");
	EXPECT(db, "settlements refer to stored rows", "S000000000001: its policy (row 1) is gone",
	       "settlements refer to stored rows", "S000000000003: its policy (row 1) is gone");
}

Test(verify_gone, a_fund)
{
	const char *db = world();
	zt_test_sql(db, "DELETE FROM fund WHERE code = '610103'");
	EXPECT(db, "settlements refer to stored rows",
	       "S000000000001: fund '610103' is not in the registry");
}

Test(verify_gone, a_settlement_row)
{
	const char *db = world();
	/* the reversal: the claim number was then settled again without one */
	zt_test_sql(db, "DROP TRIGGER settlement_immutable_d; DELETE FROM settlement WHERE id = 2");
	EXPECT(db, "claims, settlements and transfers run without gaps", "settlement row 2 is missing",
	       "every claim is settled once; a number is reused only after a reversal",
	       "claim H51010101/ZY2017-000123 was settled again (submission 2) without a reversal of "
	       "submission 1",
	       "settlements refer to stored rows", "(S000000000002) names settlement row 2, which is gone");
}

Test(verify_gone, a_fund_share)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER settlement_fund_immutable_d;"
	                " DELETE FROM settlement_fund WHERE settlement_id = 3 AND seq = 1");
	EXPECT(db, "settlement funds sum up", "S000000000003: funds in setldetail sum to");
}

Test(verify_gone, a_referenced_row_of_another_part)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER advance_immutable_u; UPDATE advance SET plan_row = 99");
	EXPECT(db, "every other reference resolves",
	       "advance row 1: plan_row refers to a row of advance_plan that is gone");
}

/* ---- policies and the schema's guards ---------------------------------- */

Test(verify_policy, an_edited_policy_no_longer_matches_its_digest)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER policy_immutable_u;"
	                " UPDATE policy SET source_xml = replace(source_xml, 'ratio=\"0.80\"', 'ratio=\"0.90\"')");
	EXPECT(db, "policies match their digest", "policy xx-2017 (row 1): its stored XML no longer has "
	                                          "its SHA-256");
}

Test(verify_policy, a_dropped_trigger_is_a_violation_by_itself)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER transfer_immutable_u; DROP TRIGGER recon_alloc_immutable_d");
	EXPECT(db, "the schema's guards are in place", "trigger transfer_immutable_u is missing",
	       "the schema's guards are in place", "trigger recon_alloc_immutable_d is missing");
}

/* ---- the audit trail ---------------------------------------------------- */

Test(verify_audit, a_record_deleted_in_the_middle)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER audit_immutable_d; DELETE FROM audit WHERE id = 4");
	EXPECT(db, "the audit trail has no gap", "audit record 4 is missing",
	       "what was done is in the audit trail", "reversal S000000000002 has no audit record");
}

Test(verify_audit, the_last_record_deleted)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER audit_immutable_d; DELETE FROM audit WHERE id = 8");
	EXPECT(db, "the audit trail has no gap", "audit record 8 was written and is gone",
	       "what was done is in the audit trail", "the issue of PLAN-");
}

Test(verify_audit, every_record_deleted)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER audit_immutable_d; DELETE FROM audit");
	EXPECT(db, "the audit trail has no gap", "audit records 1 to 8 were written and are gone",
	       "what was done is in the audit trail", "policy xx-2017 (row 1) has no audit record",
	       "what was done is in the audit trail", "advance plan PLAN-");
}

Test(verify_audit, a_record_inserted_out_of_order)
{
	const char *db = world();
	/* the next id, but dated before the record it follows */
	zt_test_sql(db, "INSERT INTO audit (at, actor, action, subject, detail) VALUES"
	                " ('2020-01-01T00:00:00Z', 'mallory', 'claim reverse', 'claim X/Y', 'x')");
	EXPECT(db, "the audit trail has no gap",
	       "audit record 9 (2020-01-01T00:00:00Z) is dated before record 8");
}

Test(verify_audit, a_record_inserted_with_an_id_of_its_own)
{
	const char *db = world();
	zt_test_sql(db, "INSERT INTO audit (id, at, actor, action, subject) VALUES"
	                " (12, '2999-01-01T00:00:00Z', 'mallory', 'note', 'x')");
	EXPECT(db, "the audit trail has no gap", "audit records 9 to 11 are missing");
}

Test(verify_audit, a_record_inserted_behind_the_count)
{
	const char *db = world();
	zt_test_sql(db, "DROP TRIGGER audit_last_id; INSERT INTO audit (at, actor, action, subject)"
	                " VALUES ('2999-01-01T00:00:00Z', 'mallory', 'note', 'x')");
	EXPECT(db, "the audit trail has no gap",
	       "audit record 9 was not written by zhitong (its count stops at 8)",
	       "the schema's guards are in place", "trigger audit_last_id is missing");
	zt_test_sql(db, "DELETE FROM meta WHERE key = 'audit.last-id'");
	EXPECT(db, "the audit trail has no gap",
	       "the count of audit records written (meta audit.last-id) is missing");
}
