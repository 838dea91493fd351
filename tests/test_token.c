/* zhitong — bearer tokens (token.h, docs/spec/service.md "Users, roles and
 * tokens"): the text and its encoding, uniqueness, the stored hash and its
 * comparison, malformed tokens, the rolling rule with its grace, durations. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/token.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static struct zt_token fresh(void)
{
	struct zt_token t;
	cr_assert_eq(zt_token_generate(&t), 0, "%s", zt_error_last());
	return t;
}

Test(token_text, is_zt_and_40_crockford_characters_in_lower_case)
{
	for (int i = 0; i < 200; i++) {
		struct zt_token t = fresh();
		cr_assert_eq(strlen(t.text), 43, "%s", t.text);
		cr_assert_eq(strncmp(t.text, "zt_", 3), 0);
		for (size_t j = 3; j < 43; j++)
			cr_assert(strchr(alphabet, t.text[j]), "character %zu of %s", j, t.text);
		cr_assert_eq(zt_token_parse(t.text), 0, "%s", zt_error_last());
	}
}

/* An independent decoding: Crockford's alphabet mapped onto RFC 4648's,
 * coreutils' base32 -d, the first 20 bytes through openssl's SHA-256: its
 * first 5 bytes are the token's last 5. */
Test(token_text, decodes_with_coreutils_base32_and_its_check_is_sha256_of_the_random_bytes)
{
	for (int i = 0; i < 5; i++) {
		struct zt_token t = fresh();
		char cmd[512];
		snprintf(cmd, sizeof cmd,
		         "printf %%s '%s' | tr '0123456789abcdefghjkmnpqrstvwxyz' "
		         "'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567' | base32 -d",
		         t.text + 3);
		struct run all = sh("%s | od -An -v -tx1 | tr -d ' \\n'", cmd);
		cr_assert_eq(all.code, 0, "%s", all.err);
		cr_assert_eq(strlen(all.out), 50, "25 bytes: %s", all.out);
		struct run check = sh("%s | head -c 20 | openssl dgst -sha256 -binary | head -c 5 | "
		                      "od -An -v -tx1 | tr -d ' \\n'",
		                      cmd);
		cr_assert_eq(check.code, 0, "%s", check.err);
		cr_assert_str_eq(check.out, all.out + 40, "check of %s", t.text);
		run_free(&all);
		run_free(&check);
	}
}

Test(token_text, the_stored_hash_is_sha256_of_the_text_and_the_id_its_first_12_hex_digits)
{
	struct zt_token t = fresh();
	struct run r = sh("printf %%s '%s' | openssl dgst -sha256 -r | cut -c1-64", t.text);
	cr_assert_eq(r.code, 0);
	r.out[strcspn(r.out, "\n")] = '\0';
	char hex[65];
	zt_token_hash_hex(hex, &t.hash);
	cr_assert_str_eq(hex, r.out);
	cr_assert_eq(strlen(t.id), 12);
	cr_assert_eq(strncmp(t.id, hex, 12), 0, "%s vs %s", t.id, hex);
	char id[13];
	zt_token_id(id, &t.hash);
	cr_assert_str_eq(id, t.id);
	/* the id holds nothing of the token's text */
	cr_assert_null(strstr(t.text, t.id));
	run_free(&r);
}

Test(token_text, clear_wipes_the_text_and_keeps_hash_and_id)
{
	struct zt_token t = fresh();
	struct zt_token_hash h = t.hash;
	char id[13];
	strcpy(id, t.id);
	zt_token_clear(&t);
	for (size_t i = 0; i < sizeof t.text; i++)
		cr_assert_eq(t.text[i], 0);
	cr_assert(zt_token_hash_equal(&t.hash, &h));
	cr_assert_str_eq(t.id, id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(token_random, one_hundred_thousand_tokens_and_their_ids_are_all_different)
{
	enum { N = 100000 };
	char **texts = malloc(N * sizeof *texts), **ids = malloc(N * sizeof *ids);
	cr_assert(texts && ids);
	for (int i = 0; i < N; i++) {
		struct zt_token t = fresh();
		texts[i] = strdup(t.text);
		ids[i] = strdup(t.id);
	}
	qsort(texts, N, sizeof *texts, cmp_str);
	qsort(ids, N, sizeof *ids, cmp_str);
	for (int i = 1; i < N; i++) {
		cr_assert_str_neq(texts[i - 1], texts[i]);
		cr_assert_str_neq(ids[i - 1], ids[i]);
	}
	for (int i = 0; i < N; i++)
		free(texts[i]), free(ids[i]);
	free(texts);
	free(ids);
}

/* 160 random bits spread evenly over the 32 random characters: every
 * character of the alphabet at every place about 1/32 of the time (a
 * shifted or stuck bit would leave some never or always). */
Test(token_random, every_character_appears_evenly_at_every_place)
{
	enum { N = 32000 };
	static unsigned counts[32][32]; /* place, character */
	for (int i = 0; i < N; i++) {
		struct zt_token t = fresh();
		for (int p = 0; p < 32; p++)
			counts[p][strchr(alphabet, t.text[3 + p]) - alphabet]++;
	}
	/* expected 1000 each, standard deviation about 31 */
	for (int p = 0; p < 32; p++)
		for (int c = 0; c < 32; c++)
			cr_assert(counts[p][c] > 800 && counts[p][c] < 1200, "place %d '%c': %u", p,
			          alphabet[c], counts[p][c]);
}

Test(token_hash, a_presented_token_hashes_to_the_stored_hash_and_compares_equal)
{
	struct zt_token t = fresh(), u = fresh();
	struct zt_token_hash h;
	cr_assert_eq(zt_token_hash(&h, t.text), 0, "%s", zt_error_last());
	cr_assert(zt_token_hash_equal(&h, &t.hash));
	cr_assert_not(zt_token_hash_equal(&h, &u.hash));
	/* a difference in the last byte only */
	struct zt_token_hash g = h;
	g.bytes[31] ^= 1;
	cr_assert_not(zt_token_hash_equal(&h, &g));
	g = h;
	g.bytes[0] ^= 0x80;
	cr_assert_not(zt_token_hash_equal(&h, &g));
}

Test(token_hash, hex_round_trip_and_refusals)
{
	struct zt_token t = fresh();
	char hex[65];
	zt_token_hash_hex(hex, &t.hash);
	struct zt_token_hash back;
	cr_assert_eq(zt_token_hash_from_hex(&back, hex), 0);
	cr_assert(zt_token_hash_equal(&back, &t.hash));
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	cr_assert_eq(zt_token_hash_from_hex(&back, hex), 0, "upper case is read too");
	cr_assert(zt_token_hash_equal(&back, &t.hash));
	const char *bad[] = {NULL, "", "00", "g000000000000000000000000000000000000000000000000000000000000000",
	                     "000000000000000000000000000000000000000000000000000000000000000",
	                     "00000000000000000000000000000000000000000000000000000000000000000",
	                     " 000000000000000000000000000000000000000000000000000000000000000"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(zt_token_hash_from_hex(&back, bad[i]), ZT_EINVAL, "case %zu", i);
}

/* A malformed token is refused before it is hashed, and the message never
 * holds it (it may be a real token with a typo). */
static void refused(const char *text, const char *why)
{
	struct zt_token_hash h;
	memset(&h, 0xAA, sizeof h);
	cr_assert_eq(zt_token_parse(text), ZT_EINVAL, "'%s' taken", text ? text : "(null)");
	cr_assert(strstr(zt_error_last(), why), "'%s': %s", text ? text : "(null)", zt_error_last());
	if (text && strlen(text) > 6) {
		cr_assert_null(strstr(zt_error_last(), text + 3), "the message holds the token");
	}
	cr_assert_eq(zt_token_hash(&h, text), ZT_EINVAL);
	static const struct zt_token_hash zero;
	cr_assert(zt_token_hash_equal(&h, &zero), "nothing hashed");
}

Test(token_malformed, refused_with_the_reason_and_never_echoed)
{
	struct zt_token t = fresh();
	char buf[128];
	refused(NULL, "no token");
	refused("", "does not start with 'zt_'");
	refused("zt_", "is 3 characters, not 43");
	snprintf(buf, sizeof buf, "zt-%s", t.text + 3);
	refused(buf, "does not start with 'zt_'");
	snprintf(buf, sizeof buf, "ZT_%s", t.text + 3);
	refused(buf, "does not start with 'zt_'");
	snprintf(buf, sizeof buf, " %s", t.text);
	refused(buf, "does not start with 'zt_'");
	snprintf(buf, sizeof buf, "%.42s", t.text);
	refused(buf, "is 42 characters, not 43");
	snprintf(buf, sizeof buf, "%sa", t.text);
	refused(buf, "longer than 43");
	snprintf(buf, sizeof buf, "%s\n", t.text);
	refused(buf, "longer than 43");
	/* characters outside the alphabet, at a given place */
	const char outside[] = {'i', 'l', 'o', 'u', 'A', 'Z', ' ', '-', '_', '=', '+', '/', '\x80'};
	for (size_t i = 0; i < sizeof outside; i++) {
		snprintf(buf, sizeof buf, "%s", t.text);
		buf[10] = outside[i];
		refused(buf, "outside 0-9 a-z without i, l, o, u at character 11");
	}
	/* upper case of a valid token: refused, not folded */
	snprintf(buf, sizeof buf, "%s", t.text);
	for (char *p = buf + 3; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	if (strcmp(buf, t.text) != 0)
		refused(buf, "outside");
}

Test(token_malformed, any_one_character_changed_breaks_the_check)
{
	struct zt_token t = fresh();
	char buf[64];
	for (size_t place = 3; place < 43; place++)
		for (size_t c = 0; c < 32; c += 7) {
			snprintf(buf, sizeof buf, "%s", t.text);
			if (buf[place] == alphabet[c])
				continue;
			buf[place] = alphabet[c];
			refused(buf, "check characters do not match");
		}
	/* two characters swapped */
	snprintf(buf, sizeof buf, "%s", t.text);
	for (size_t place = 3; place + 1 < 43; place++)
		if (buf[place] != buf[place + 1]) {
			char c = buf[place];
			buf[place] = buf[place + 1];
			buf[place + 1] = c;
			refused(buf, "check characters do not match");
			break;
		}
}

/* ---- rolling ---------------------------------------------------------- */

static const int64_t t0 = 1764547200; /* 2025-12-01T00:00:00Z */

Test(token_roll, a_new_user_has_one_token_and_no_previous)
{
	struct zt_token a = fresh(), x = fresh();
	struct zt_token_keys k = {0};
	cr_assert_eq(zt_token_roll(&k, &a.hash, t0, ZT_TOKEN_GRACE_S_DEFAULT), 0);
	cr_assert_not(k.has_previous);
	cr_assert_eq(zt_token_match(&k, &a.hash, t0), ZT_TOKEN_CURRENT);
	cr_assert_eq(zt_token_match(&k, &a.hash, t0 + 10 * 365 * 86400LL), ZT_TOKEN_CURRENT,
	             "a current token does not expire");
	cr_assert_eq(zt_token_match(&k, &x.hash, t0), ZT_TOKEN_REFUSED);
	static const struct zt_token_hash zero;
	cr_assert_eq(zt_token_match(&k, &zero, t0), ZT_TOKEN_REFUSED, "the empty previous slot");
}

Test(token_roll, the_previous_token_is_valid_through_its_grace_and_dead_at_the_deadline)
{
	struct zt_token a = fresh(), b = fresh();
	struct zt_token_keys k = {0};
	cr_assert_eq(zt_token_roll(&k, &a.hash, t0, ZT_TOKEN_GRACE_S_DEFAULT), 0);
	int64_t rolled = t0 + 3600;
	int64_t grace;
	cr_assert_eq(zt_duration_parse(&grace, "--grace", "24h", ZT_TOKEN_GRACE_S_MAX), 0);
	cr_assert_eq(zt_token_roll(&k, &b.hash, rolled, grace), 0);
	cr_assert(k.has_previous);
	cr_assert_eq(k.previous_until_s, rolled + 86400);
	cr_assert_eq(zt_token_match(&k, &b.hash, rolled), ZT_TOKEN_CURRENT);
	cr_assert_eq(zt_token_match(&k, &a.hash, rolled), ZT_TOKEN_PREVIOUS);
	cr_assert_eq(zt_token_match(&k, &a.hash, rolled + 86400 - 1), ZT_TOKEN_PREVIOUS,
	             "the last second of the grace");
	cr_assert_eq(zt_token_match(&k, &a.hash, rolled + 86400), ZT_TOKEN_REFUSED, "the deadline");
	cr_assert_eq(zt_token_match(&k, &a.hash, rolled + 86400 * 30), ZT_TOKEN_REFUSED);
	cr_assert_eq(zt_token_match(&k, &b.hash, rolled + 86400 * 30), ZT_TOKEN_CURRENT);
}

Test(token_roll, rolling_again_within_the_grace_ends_the_oldest_token_at_once)
{
	struct zt_token a = fresh(), b = fresh(), c = fresh();
	struct zt_token_keys k = {0};
	cr_assert_eq(zt_token_roll(&k, &a.hash, t0, 3600), 0);
	cr_assert_eq(zt_token_roll(&k, &b.hash, t0 + 60, 3600), 0);
	cr_assert_eq(zt_token_roll(&k, &c.hash, t0 + 120, 3600), 0);
	cr_assert_eq(zt_token_match(&k, &a.hash, t0 + 121), ZT_TOKEN_REFUSED, "at most two tokens");
	cr_assert_eq(zt_token_match(&k, &b.hash, t0 + 121), ZT_TOKEN_PREVIOUS);
	cr_assert_eq(zt_token_match(&k, &c.hash, t0 + 121), ZT_TOKEN_CURRENT);
	cr_assert_eq(k.previous_until_s, t0 + 120 + 3600);
}

Test(token_roll, a_grace_of_zero_kills_the_old_token_now)
{
	struct zt_token a = fresh(), b = fresh();
	struct zt_token_keys k = {0};
	cr_assert_eq(zt_token_roll(&k, &a.hash, t0, 3600), 0);
	cr_assert_eq(zt_token_roll(&k, &b.hash, t0 + 5, 0), 0);
	cr_assert_not(k.has_previous);
	cr_assert_eq(zt_token_match(&k, &a.hash, t0 + 5), ZT_TOKEN_REFUSED);
	cr_assert_eq(zt_token_match(&k, &b.hash, t0 + 5), ZT_TOKEN_CURRENT);
}

Test(token_roll, a_grace_out_of_bounds_is_refused_and_changes_nothing)
{
	struct zt_token a = fresh(), b = fresh();
	struct zt_token_keys k = {0};
	cr_assert_eq(zt_token_roll(&k, &a.hash, t0, 3600), 0);
	struct zt_token_keys before = k;
	cr_assert_eq(zt_token_roll(&k, &b.hash, t0, -1), ZT_EINVAL);
	cr_assert_eq(zt_token_roll(&k, &b.hash, t0, ZT_TOKEN_GRACE_S_MAX + 1), ZT_EINVAL);
	cr_assert_eq(zt_token_roll(&k, &b.hash, INT64_MAX - 10, 3600), ZT_ERANGE);
	cr_assert_eq(memcmp(&k, &before, sizeof k), 0);
	cr_assert_eq(zt_token_roll(&k, &b.hash, t0, ZT_TOKEN_GRACE_S_MAX), 0, "the maximum itself");
}

/* ---- durations -------------------------------------------------------- */

Test(duration, numbers_with_one_unit)
{
	struct {
		const char *text;
		int64_t s;
	} ok[] = {{"0s", 0},      {"1s", 1},         {"90s", 90},          {"30m", 1800},
	          {"24h", 86400}, {"7d", 604800},    {"30d", 2592000},     {"007h", 25200},
	          {"720h", 2592000}, {"2592000s", 2592000}};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		int64_t s = -1;
		cr_assert_eq(zt_duration_parse(&s, "--grace", ok[i].text, ZT_TOKEN_GRACE_S_MAX), 0,
		             "%s: %s", ok[i].text, zt_error_last());
		cr_assert_eq(s, ok[i].s, "%s", ok[i].text);
	}
}

Test(duration, anything_else_is_refused_naming_the_option)
{
	const char *bad[] = {NULL, "", "30", "h", "1.5h", "-1h", "+1h", " 1h", "1h ", "1H", "1h30m",
	                     "1 h", "1w", "1y", "one day", "0x10s", "1e3s", "1ms",
	                     "9999999999999d" /* 13 digits */};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t s = 5;
		cr_assert_eq(zt_duration_parse(&s, "--grace", bad[i], ZT_TOKEN_GRACE_S_MAX), ZT_EINVAL,
		             "'%s' taken", bad[i] ? bad[i] : "(null)");
		cr_assert_eq(s, 0);
		cr_assert(strstr(zt_error_last(), "--grace"), "%s", zt_error_last());
	}
}

Test(duration, over_the_maximum_is_refused_saying_the_maximum)
{
	const char *over[] = {"31d", "721h", "2592001s", "999999999999d"};
	for (size_t i = 0; i < sizeof over / sizeof *over; i++) {
		int64_t s = 5;
		cr_assert_eq(zt_duration_parse(&s, "--grace", over[i], ZT_TOKEN_GRACE_S_MAX), ZT_EINVAL,
		             "%s", over[i]);
		cr_assert(strstr(zt_error_last(), "over the most, 30d"), "%s", zt_error_last());
	}
}

Test(duration, formatted_in_the_largest_unit_that_divides_it)
{
	struct {
		int64_t s;
		const char *text;
	} cases[] = {{0, "0s"}, {1, "1s"}, {90, "90s"}, {5400, "90m"}, {3600, "1h"},
	             {86400, "1d"}, {90000, "25h"}, {2592000, "30d"}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[24];
		zt_duration_format(out, cases[i].s);
		cr_assert_str_eq(out, cases[i].text);
		int64_t back;
		cr_assert_eq(zt_duration_parse(&back, NULL, out, INT64_MAX), 0);
		cr_assert_eq(back, cases[i].s);
	}
}
