/* zhitong — fuzz target: the policy reader (policy.h, schema/policy.xsd;
 * docs/spec/interfaces.md "Policy").
 *
 * The input is a policy file, v1 or v2 (full or supplementary;
 * docs/spec/rules-v2.md). Refused: a code and a message naming the
 * file. Accepted: a policy the split can rely on — real dates in order,
 * ratios within 0..1, factors within 0..10, amounts in range, tiers
 * increasing, at most ZT_RELIEF_MAX relief funds, every fund code six
 * digits. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"
#include "zhitong/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

static void amount(zt_fen v, bool cap, const char *what)
{
	ZT_FUZZ_CHECK((v >= 0 && v <= ZT_FEN_MAX) || (cap && v == ZT_CAP_NONE), "%s %lld", what,
	              (long long)v);
}

static void ratio(zt_bp v, zt_bp max, const char *what)
{
	ZT_FUZZ_CHECK(v >= 0 && v <= max, "%s %d", what, v);
}

static void check(const struct zt_policy *p)
{
	ZT_FUZZ_CHECK(zt_date_valid(p->effective_from), "effective-from %d", p->effective_from);
	ZT_FUZZ_CHECK(p->effective_to == 0 ||
	                  (zt_date_valid(p->effective_to) && p->effective_to >= p->effective_from),
	              "effective %d..%d", p->effective_from, p->effective_to);
	ratio(p->b_selfpay_ratio_bp, ZT_BP_ONE, "b-selfpay-ratio");
	amount(p->basic_annual_cap_fen, true, "basic annual-cap");
	for (int i = 0; i < ZT_LEVELS; i++) {
		amount(p->levels[i].deductible_fen, false, "deductible");
		ratio(p->levels[i].ratio_bp, ZT_BP_ONE, "level ratio");
	}
	for (int c = 0; c < ZT_CAT_COUNT; c++)
		if (p->basic_adjust[c].present) {
			ratio(p->basic_adjust[c].deductible_factor_bp, 10 * ZT_BP_ONE, "deductible-factor");
			ratio(p->basic_adjust[c].ratio_bonus_bp, ZT_BP_ONE, "ratio-bonus");
		}
	amount(p->critical_threshold_fen, false, "critical threshold");
	amount(p->critical_annual_cap_fen, true, "critical annual-cap");
	ZT_FUZZ_CHECK(p->tier_count >= 0 && p->tier_count <= ZT_TIERS_MAX, "%d tiers", p->tier_count);
	for (int i = 0; i < p->tier_count; i++) {
		amount(p->tiers[i].upto_fen, true, "tier upto");
		ratio(p->tiers[i].ratio_bp, ZT_BP_ONE, "tier ratio");
		if (i > 0 && p->tiers[i].upto_fen != ZT_CAP_NONE)
			ZT_FUZZ_CHECK(p->tiers[i - 1].upto_fen != ZT_CAP_NONE &&
			                  p->tiers[i].upto_fen > p->tiers[i - 1].upto_fen,
			              "tier %d: %lld after %lld", i, (long long)p->tiers[i].upto_fen,
			              (long long)p->tiers[i - 1].upto_fen);
	}
	ZT_FUZZ_CHECK(p->relief_count >= 0 && p->relief_count <= ZT_RELIEF_MAX, "%d relief funds",
	              p->relief_count);
	for (int i = 0; i < p->relief_count; i++) {
		ratio(p->relief[i].ratio_bp, ZT_BP_ONE, "relief ratio");
		amount(p->relief[i].annual_cap_fen, true, "relief annual-cap");
	}
	const char *codes[3 + ZT_RELIEF_MAX];
	int n = zt_policy_funds(p, codes);
	ZT_FUZZ_CHECK(n >= 0 && n <= 3 + ZT_RELIEF_MAX, "%d funds", n);
	for (int i = 0; i < n; i++) {
		ZT_FUZZ_CHECK(strlen(codes[i]) == 6, "fund code '%s'", codes[i]);
		for (int k = 0; k < 6; k++)
			ZT_FUZZ_CHECK(codes[i][k] >= '0' && codes[i][k] <= '9', "fund code '%s'", codes[i]);
	}
}

static void read(const uint8_t *data, size_t size)
{
	struct zt_policy *p = calloc(1, sizeof *p);
	ZT_FUZZ_CHECK(p != NULL, "out of memory");
	int rc = zt_policy_parse(p, (const char *)data, size, "policy.xml");
	if (rc)
		ZT_FUZZ_CHECK(rc < 0 && strstr(zt_error_last(), "policy.xml") != NULL, "refused %d: %s",
		              rc, zt_error_last());
	else
		check(p);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	read(data, size);
	return 0;
}
