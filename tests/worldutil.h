/* zhitong — test worlds read into plain structs (tests/cases/vectors/ and
* vectors-v2/, world-N: registry.xml, policy.xml, catalog.xml if any, claims.xml of v1 or
 * v2, expected.xml), so that the pure functions can be checked against the
 * settlements computed independently of the engine (tests/reference/).
 *
 * The claims are read here with libxml2 directly, not with the engine's
 * claim reader: the files are our own and valid, and claim v2's reader is
 * not what these tests are about. */
#ifndef ZT_WORLDUTIL_H
#define ZT_WORLDUTIL_H

#include <stdbool.h>

#include "zhitong/catalog.h"
#include "zhitong/claim.h"
#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/split.h"

struct zt_test_claim {
	struct zt_claim claim;
	bool v2;
	bool has_national;
	char national_setl_id[64];
	struct zt_national_amounts national;
};

struct zt_test_world {
	struct zt_policy policy;
	struct zt_catalog *catalog; /* NULL: the world has none */
	int hospital_count, person_count, claim_count;
	struct zt_hospital *hospitals;
	struct zt_person *people;
	struct zt_test_claim *claims;
};

/* One answer of expected.xml, in order. */
struct zt_test_answer {
	bool rejected;
	char code[32];              /* rejection code */
	char fixmedins_code[32], claim_no[48];
	zt_fen medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt,
		act_pay_dedc, hifp_pay, hifmi_pay, maf_pay, oth_pay, fund_pay_sumamt, hosp_part_amt,
		psn_part_amt, psn_cash_pay;
	bool has_pool_prop;
	zt_bp pool_prop_bp;
	int fund_count;
	char fund[3 + ZT_RELIEF_MAX][8];
	zt_fen fund_amt[3 + ZT_RELIEF_MAX];
	char national_setl_id[64]; /* "" if none */
};

/* Reads DIR's files (asserting that each reads); free with
 * zt_test_world_free. */
void zt_test_world_load(struct zt_test_world *w, const char *dir);
void zt_test_world_free(struct zt_test_world *w);
/* DIR/expected.xml: the count of answers, *out malloc'd. */
int zt_test_expected_load(struct zt_test_answer **out, const char *dir);

/* Settles DIR's claims in order with the pure functions alone — the
 * category on the discharge date (registry.h), the catalogue's
 * classification (catalog.h), zt_classify_items, zt_national_check (and a
 * national setl_id used twice, the store's part), zt_split or
 * zt_split_supplementary with each person's yearly totals — and expects
 * every answer of DIR/expected.xml to the fen. Returns the number settled;
 * *rejected the number rejected. */
int zt_test_world_check(const char *dir, int *rejected);

const struct zt_hospital *zt_test_world_hospital(const struct zt_test_world *w, const char *code);
const struct zt_person *zt_test_world_person(const struct zt_test_world *w, const char *psn_no);

#endif
