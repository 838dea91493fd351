/* zhitong — the slip's verification code (slipcode.h): what it covers, how it
 * is typed back, what makes it not genuine, the key file. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/slip.h"
#include "zhitong/slipcode.h"

static const unsigned char key_a[32] = "pool-510101-slip-key-0000000001";
static const unsigned char key_b[32] = "pool-510102-slip-key-0000000001";

static struct zt_slipcode_fund funds[] = {
	{"390100", 816000},
	{"610100", 114800},
	{"610103", 7100},
	{"610104", 7100},
};

static struct zt_slipcode_content content(void)
{
	return (struct zt_slipcode_content){
		.setl_id = "S510101-000001",
		.hospital_code = "H51010101",
		.claim_no = "ZY2017-000123",
		.psn_no = "P0000001",
		.medfee_sumamt_fen = 1050000,
		.fund_count = 4,
		.funds = funds,
		.psn_part_fen = 105000,
	};
}

static const char *code_of(const unsigned char *key, const char *kid,
                           const struct zt_slipcode_content *c)
{
	static char buf[4][ZT_SLIPCODE_BYTES];
	static int slot;
	char *out = buf[slot++ % 4];
	cr_assert_eq(zt_slipcode_compute(out, key, 32, kid, c), 0, "%s", zt_error_last());
	return out;
}

/* 0 genuine, else not. */
static int check(const char *text, const unsigned char *key, const struct zt_slipcode_content *c)
{
	struct zt_slipcode code;
	cr_assert_eq(zt_slipcode_parse(&code, text), 0, "%s", zt_error_last());
	return zt_slipcode_check(&code, key, 32, c);
}

Test(slipcode, a_key_id_and_20_crockford_characters_in_groups_of_4)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	cr_assert_eq(strlen(code), 2 + 5 * 5, "%s", code);
	cr_expect_eq(strncmp(code, "K1-", 3), 0, "%s", code);
	for (int g = 0; g < 5; g++) {
		const char *p = code + 3 + 5 * g;
		for (int i = 0; i < 4; i++)
			cr_expect(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", p[i]) && p[i], "%s", code);
		cr_expect(p[4] == (g < 4 ? '-' : '\0'), "%s", code);
	}
	cr_expect_str_eq(code_of(key_a, "K1", &c), code, "not deterministic");
	cr_expect_eq(check(code, key_a, &c), 0, "%s", zt_error_last());
	/* a one-character key id */
	const char *one = code_of(key_a, "7", &c);
	cr_expect_eq(strlen(one), 1 + 25, "%s", one);
	cr_expect_eq(check(one, key_a, &c), 0, "%s", zt_error_last());
}

/* The first 100 bits of an HMAC-SHA256 computed by the openssl command
 * over the canonical bytes, in Crockford's base32, computed here. */
Test(slipcode, the_mac_is_hmac_sha256_as_openssl_computes_it)
{
	struct zt_slipcode_content c = content();
	unsigned char *canon = NULL;
	size_t len = 0;
	cr_assert_eq(zt_slipcode_canonical(&canon, &len, "K1", &c), 0);
	/* the canonical form starts with its tag, length-prefixed */
	cr_expect_eq(memcmp(canon, "\0\0\0\x12zhitong-slipcode-1\0\0\0\x02K1", 4 + 18 + 4 + 2), 0);
	const char *path = tmp_path("canon.bin");
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(canon, 1, len, f), len);
	fclose(f);
	free(canon);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key_a[i]);
	struct run r = sh("openssl dgst -sha256 -mac HMAC -macopt hexkey:%s -r %s", hex, path);
	cr_assert_eq(r.code, 0, "%s", r.err);
	unsigned char mac[32];
	for (int i = 0; i < 32; i++) {
		unsigned v;
		cr_assert_eq(sscanf(r.out + 2 * i, "%2x", &v), 1, "%s", r.out);
		mac[i] = (unsigned char)v;
	}
	run_free(&r);
	char want[32] = "K1";
	int n = 2;
	for (int i = 0; i < 20; i++) {
		if (i % 4 == 0)
			want[n++] = '-';
		int v = 0;
		for (int b = 5 * i; b < 5 * i + 5; b++)
			v = v << 1 | ((mac[b / 8] >> (7 - b % 8)) & 1);
		want[n++] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[v];
	}
	want[n] = '\0';
	cr_expect_str_eq(code_of(key_a, "K1", &c), want);
}

Test(slipcode, typed_back_case_dashes_spaces_and_look_alikes_forgiven)
{
	struct zt_slipcode_content c = content();
	char code[ZT_SLIPCODE_BYTES];
	snprintf(code, sizeof code, "%s", code_of(key_a, "K1", &c));
	struct zt_slipcode a, b;
	cr_assert_eq(zt_slipcode_parse(&a, code), 0);
	cr_expect_str_eq(a.key_id, "K1");
	/* lower case, no dashes, spaces */
	char typed[64];
	size_t n = 0;
	for (const char *p = code; *p; p++)
		if (*p != '-') {
			typed[n++] = (char)tolower((unsigned char)*p);
			if (n % 5 == 3)
				typed[n++] = ' ';
		}
	typed[n] = '\0';
	cr_assert_eq(zt_slipcode_parse(&b, typed), 0, "%s", typed);
	cr_expect(zt_slipcode_equal(&a, &b), "%s vs %s", code, typed);
	/* O for 0, I or L for 1 */
	for (char *p = typed; *p; p++)
		if (*p == '0')
			*p = 'O';
		else if (*p == '1')
			*p = (p - typed) % 2 ? 'I' : 'l';
	cr_assert_eq(zt_slipcode_parse(&b, typed), 0, "%s", typed);
	cr_expect(zt_slipcode_equal(&a, &b), "%s vs %s", code, typed);
	cr_expect_eq(check(typed, key_a, &c), 0);
}

Test(slipcode, what_is_not_a_code_is_refused)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	char buf[64];
	struct zt_slipcode x;
	const char *bad[] = {"", "K1", "K1-ABCD-EFGH-JKMN-PQRS", /* 16 */
	                     "K12-ABCD-EFGH-JKMN-PQRS-TVWX", /* key id of 3 */
	                     "K1-ABCD-EFGH-JKMN-PQRS-TVWU", /* U */
	                     "K1-ABCD-EFGH-JKMN-PQRS-TVW!", "K1_ABCD_EFGH_JKMN_PQRS_TVWX"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_expect_eq(zt_slipcode_parse(&x, bad[i]), ZT_EINVAL, "'%s' accepted", bad[i]);
		cr_expect(strstr(zt_error_last(), "is not a slip code"), "%s", zt_error_last());
	}
	snprintf(buf, sizeof buf, "%sA", code);
	cr_expect_eq(zt_slipcode_parse(&x, buf), ZT_EINVAL, "one character too many");
	cr_expect_eq(zt_slipcode_parse(&x, NULL), ZT_EINVAL);
}

Test(slipcode, key_ids_are_one_or_two_unambiguous_characters)
{
	struct zt_slipcode_content c = content();
	char out[ZT_SLIPCODE_BYTES];
	const char *bad[] = {"", "ABC", "I", "O", "L", "U", "K-", "中"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_eq(zt_slipcode_compute(out, key_a, 32, bad[i], &c), ZT_EINVAL, "'%s' accepted",
		             bad[i]);
	cr_expect_eq(zt_slipcode_compute(out, key_a, 32, NULL, &c), ZT_EINVAL);
	cr_assert_eq(zt_slipcode_compute(out, key_a, 32, "k1", &c), 0);
	cr_expect_eq(strncmp(out, "K1-", 3), 0, "%s", out);
	cr_expect_str_eq(out, code_of(key_a, "K1", &c));
	/* a key shorter than 256 bits is refused */
	cr_expect_eq(zt_slipcode_compute(out, key_a, 31, "K1", &c), ZT_EINVAL);
	cr_expect_eq(zt_slipcode_compute(out, NULL, 0, "K1", &c), ZT_EINVAL);
}

Test(slipcode, a_changed_amount_is_not_genuine)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	struct zt_slipcode_fund f[4];
	c.medfee_sumamt_fen += 1;
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "total + 0.01");
	cr_expect(strstr(zt_error_last(), "not genuine"), "%s", zt_error_last());
	c = content();
	c.psn_part_fen -= 100;
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "patient pays 1.00 less");
	for (int i = 0; i < 4; i++) {
		memcpy(f, funds, sizeof f);
		f[i].paid_fen += 1;
		c = content();
		c.funds = f;
		cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "fund %d + 0.01", i);
	}
	c = content();
	cr_expect_eq(check(code, key_a, &c), 0, "the original is genuine");
}

Test(slipcode, a_changed_person_settlement_hospital_or_claim_is_not_genuine)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	c.psn_no = "P0000002";
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "another person");
	c = content();
	c.setl_id = "S510101-000002";
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "another settlement");
	c = content();
	c.hospital_code = "H51010102";
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "another hospital");
	c = content();
	c.claim_no = "ZY2017-000124";
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "another claim");
}

Test(slipcode, a_changed_fund_is_not_genuine)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	struct zt_slipcode_fund f[4];
	memcpy(f, funds, sizeof f);
	f[3].code = "610105";
	c.funds = f;
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "another fund's code");
	/* the same amounts under the funds in another order */
	memcpy(f, funds, sizeof f);
	f[0] = funds[1];
	f[1] = funds[0];
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "funds reordered");
	/* a fund left out (its amount moved to the patient) or one added */
	c = content();
	c.fund_count = 3;
	c.psn_part_fen += 7100;
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "a fund left out");
	struct zt_slipcode_fund five[5];
	memcpy(five, funds, sizeof funds);
	five[4] = (struct zt_slipcode_fund){"640100", 0};
	c = content();
	c.funds = five;
	c.fund_count = 5;
	cr_expect_eq(check(code, key_a, &c), ZT_EINVAL, "a fund added");
}

Test(slipcode, another_key_another_key_id_or_another_pool_is_not_genuine)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	cr_expect_eq(check(code, key_b, &c), ZT_EINVAL, "another key");
	/* the same MAC characters under another key id */
	char other[ZT_SLIPCODE_BYTES];
	snprintf(other, sizeof other, "K2%s", code + 2);
	cr_expect_eq(check(other, key_a, &c), ZT_EINVAL, "another key id, same key");
	/* another pool: its own key, the same numbers on its slip */
	const char *theirs = code_of(key_b, "K1", &c);
	cr_expect_str_neq(theirs, code);
	cr_expect_eq(check(theirs, key_a, &c), ZT_EINVAL, "a code of another pool");
	/* one key, two key ids: two codes */
	cr_expect_str_neq(code_of(key_a, "K2", &c) + 2, code + 2);
	/* one flipped character anywhere */
	for (size_t i = 3; i < strlen(code); i++) {
		if (code[i] == '-')
			continue;
		char t[ZT_SLIPCODE_BYTES];
		snprintf(t, sizeof t, "%s", code);
		t[i] = t[i] == 'Z' ? 'Y' : 'Z';
		cr_expect_eq(check(t, key_a, &c), ZT_EINVAL, "%s", t);
	}
}

Test(slipcode, the_canonical_form_cannot_be_shifted_between_fields)
{
	struct zt_slipcode_content a = content(), b = content();
	a.setl_id = "S1";
	a.hospital_code = "0H1";
	b.setl_id = "S10";
	b.hospital_code = "H1";
	cr_expect_str_neq(code_of(key_a, "K1", &a), code_of(key_a, "K1", &b));
	unsigned char *ca, *cb;
	size_t la, lb;
	cr_assert_eq(zt_slipcode_canonical(&ca, &la, "K1", &a), 0);
	cr_assert_eq(zt_slipcode_canonical(&cb, &lb, "K1", &b), 0);
	cr_expect(la != lb || memcmp(ca, cb, la) != 0);
	free(ca);
	free(cb);
	/* a missing text is refused, not encoded as empty */
	a = content();
	a.psn_no = "";
	char out[ZT_SLIPCODE_BYTES];
	cr_expect_eq(zt_slipcode_compute(out, key_a, 32, "K1", &a), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "psn_no"), "%s", zt_error_last());
}

Test(slipcode, a_slip_model_gives_its_content_in_its_fund_order)
{
	struct zt_slip_fund sf[] = {
		{"390100", "城乡居民基本医疗保险基金", 816000, true, false, 0},
		{"610100", "医疗救助基金", 114800, true, false, 0},
		{"610103", "健康扶贫基金", 7100, false, true, 7100},
		{"610104", "精准脱贫基金", 7100, false, true, 7100},
	};
	struct zt_slip s = {.setl_id = "S510101-000001", .hospital_code = "H51010101",
	                    .claim_no = "ZY2017-000123", .medfee_sumamt_fen = 1050000,
	                    .fund_count = 4, .funds = sf, .psn_part_fen = 105000};
	s.person.psn_no = "P0000001";
	struct zt_slipcode_content c;
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	cr_assert_eq(zt_slip_code_content(&c, f, &s), 0);
	struct zt_slipcode_content want = content();
	cr_expect_str_eq(code_of(key_a, "K1", &c), code_of(key_a, "K1", &want));
	s.fund_count = ZT_SLIP_FUNDS_MAX + 1;
	cr_expect_eq(zt_slip_code_content(&c, f, &s), ZT_EINVAL);
}

Test(slipcode, the_qr_text_carries_the_code)
{
	struct zt_slipcode_content c = content();
	const char *code = code_of(key_a, "K1", &c);
	char qr[128];
	cr_assert_eq(zt_slipcode_qr_text(qr, sizeof qr, NULL, code), 0);
	cr_expect_eq(strncmp(qr, "zhitong:slip:2:", 15), 0, "%s", qr);
	cr_expect_str_eq(zt_slipcode_in_qr(qr), code);
	cr_assert_eq(zt_slipcode_qr_text(qr, sizeof qr, "https://yb.example.cn/slip/verify?code=", code),
	             0);
	cr_expect_str_eq(zt_slipcode_in_qr(qr), code);
	cr_assert_eq(zt_slipcode_qr_text(qr, sizeof qr, "https://yb.example.cn/v/", code), 0);
	cr_expect_str_eq(zt_slipcode_in_qr(qr), code);
	cr_expect_str_eq(zt_slipcode_in_qr(code), code, "a bare code");
	cr_expect_eq(zt_slipcode_qr_text(qr, 20, NULL, code), ZT_ERANGE);
}

static const char *key_file(const char *name, size_t len, mode_t mode)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	for (size_t i = 0; i < len; i++)
		fputc((int)(i * 37 % 256), f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

Test(slipcode, the_key_file_is_private_and_long_enough)
{
	unsigned char key[ZT_SLIPCODE_KEY_BYTES_MAX];
	size_t len = 0;
	cr_assert_eq(zt_slipcode_key_read(key, &len, key_file("ok.key", 32, 0600)), 0, "%s",
	             zt_error_last());
	cr_expect_eq(len, 32);
	cr_expect_eq(key[1], 37);
	cr_expect_eq(zt_slipcode_key_read(key, &len, key_file("ro.key", 64, 0400)), 0);
	cr_expect_eq(len, 64);
	const mode_t open_modes[] = {0640, 0604, 0620, 0660, 0644, 0606};
	for (size_t i = 0; i < sizeof open_modes / sizeof *open_modes; i++) {
		char name[32];
		snprintf(name, sizeof name, "open%zu.key", i);
		cr_expect_eq(zt_slipcode_key_read(key, &len, key_file(name, 32, open_modes[i])), ZT_EINVAL,
		             "mode %o accepted", (unsigned)open_modes[i]);
		cr_expect(strstr(zt_error_last(), "chmod 600"), "%s", zt_error_last());
	}
	cr_expect_eq(zt_slipcode_key_read(key, &len, key_file("short.key", 31, 0600)), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "31 bytes"), "%s", zt_error_last());
	cr_expect_eq(zt_slipcode_key_read(key, &len, key_file("long.key", 1025, 0600)), ZT_EINVAL);
	cr_expect_eq(zt_slipcode_key_read(key, &len, tmp_path("missing.key")), ZT_ENOTFOUND);
	cr_expect_eq(zt_slipcode_key_read(key, &len, zt_test_tmpdir()), ZT_EIO, "a directory");
}
