/* zhitong — JSON bodies (docs/spec/service.md "Bodies"): the strict reader,
 * exact decimals from a number's text, limits, and the writer.
 *
 * The values are chosen where a binary fraction would change them:
 * 99999999999999.99 is stored by an IEEE 754 number as
 * 99999999999999.984375 (0.98 after truncation to fen), 0.29 × 100 as
 * 28.999999999999996, 1.005 as 1.00499999999999989..., and
 * 9007199254740993 is not representable at all (it reads as ...992). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/limits.h"

static struct zt_json_doc *parse_ok(const char *text)
{
	struct zt_json_doc *d = NULL;
	int rc = zt_json_parse(&d, text, strlen(text), NULL);
	cr_assert_eq(rc, 0, "'%s' refused: %s", text, zt_error_last());
	cr_assert_not_null(zt_json_root(d));
	return d;
}

/* Parses text that must be refused with `code`; the message must hold
 * `needle`. */
static void parse_refused_n(const char *text, size_t n, const struct zt_json_limits *lim, int code,
                            const char *needle)
{
	struct zt_json_doc *d = NULL;
	int rc = zt_json_parse(&d, text, n, lim);
	cr_assert_eq(rc, code, "'%.*s': expected %d, got %d (%s)", (int)(n > 80 ? 80 : n), text, code,
	             rc, zt_error_last());
	cr_assert_null(d);
	cr_assert(strstr(zt_error_last(), needle), "message '%s' lacks '%s'", zt_error_last(), needle);
	cr_assert(strncmp(zt_error_last(), "json: at byte ", 14) == 0, "no offset in '%s'",
	          zt_error_last());
}

static void parse_refused(const char *text, int code, const char *needle)
{
	parse_refused_n(text, strlen(text), NULL, code, needle);
}

/* ---- the tree ------------------------------------------------------ */

Test(json_parse, keeps_members_in_order_with_their_offsets)
{
	const char *t = "{\"b\": 1, \"a\": [true, false, null], \"c\": {\"d\": \"张三\"}}";
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *r = zt_json_root(d);
	cr_assert_eq(r->type, ZT_JSON_OBJECT);
	cr_assert_eq(r->count, 3);
	cr_assert_str_eq(r->members[0].key, "b");
	cr_assert_str_eq(r->members[1].key, "a");
	cr_assert_str_eq(r->members[2].key, "c");
	cr_assert_eq(r->members[0].offset, 1);
	cr_assert_eq(r->members[0].value->offset, 6);
	const struct zt_json *a = zt_json_find(r, "a");
	cr_assert_eq(a->type, ZT_JSON_ARRAY);
	cr_assert_eq(a->offset, 14);
	cr_assert_eq(a->count, 3);
	cr_assert_eq(a->items[0]->type, ZT_JSON_TRUE);
	cr_assert_eq(a->items[1]->type, ZT_JSON_FALSE);
	cr_assert_eq(a->items[2]->type, ZT_JSON_NULL);
	cr_assert_eq(a->items[1]->offset, 21);
	const struct zt_json *name = zt_json_find(zt_json_find(r, "c"), "d");
	cr_assert_eq(name->type, ZT_JSON_STRING);
	cr_assert_str_eq(name->text, "张三");
	cr_assert_eq(name->bytes, 6);
	cr_assert_eq(name->chars, 2, "lengths count characters");
	cr_assert_eq(name->offset, (size_t)(strstr(t, "\"张三\"") - t));
	zt_json_doc_free(d);
}

Test(json_parse, keeps_each_number_as_written)
{
	const char *t = "[12345678901234.56, 0.07, 1.005, 9007199254740993.00, 1e3, -0, 0, 99999999999999.99]";
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *r = zt_json_root(d);
	const char *want[] = {"12345678901234.56", "0.07", "1.005", "9007199254740993.00",
	                      "1e3", "-0", "0", "99999999999999.99"};
	cr_assert_eq(r->count, 8);
	const char *at = t + 1; /* each number starts after "[" or ", " */
	for (size_t i = 0; i < 8; i++) {
		cr_assert_eq(r->items[i]->type, ZT_JSON_NUMBER);
		cr_assert_str_eq(r->items[i]->text, want[i]);
		cr_assert_eq(r->items[i]->offset, (size_t)(at - t), "%s at %zu", want[i],
		             r->items[i]->offset);
		at = strchr(at, ',') + 2;
	}
	zt_json_doc_free(d);
}

Test(json_parse, places_a_value_at_the_very_end_of_the_text)
{
	struct zt_json_doc *d = parse_ok("  8000.5");
	cr_assert_eq(zt_json_root(d)->offset, 2);
	cr_assert_str_eq(zt_json_root(d)->text, "8000.5");
	zt_json_doc_free(d);
	d = parse_ok("\"x\"");
	cr_assert_eq(zt_json_root(d)->offset, 0);
	zt_json_doc_free(d);
}

Test(json_parse, decodes_escapes_and_surrogate_pairs)
{
	const char *t = "[\"a\\\"b\\\\c\\/d\\n\", \"\\u5f20\\u4e09\", \"\\ud83d\\ude00!\"]";
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *r = zt_json_root(d);
	cr_assert_str_eq(r->items[0]->text, "a\"b\\c/d\n");
	cr_assert_str_eq(r->items[1]->text, "张三");
	cr_assert_eq(r->items[1]->chars, 2);
	cr_assert_str_eq(r->items[2]->text, "\xF0\x9F\x98\x80!");
	cr_assert_eq(r->items[2]->chars, 2);
	cr_assert_eq(r->items[1]->offset, (size_t)(strstr(t, "\"\\u5f20") - t));
	cr_assert_eq(r->items[2]->offset, (size_t)(strstr(t, "\"\\ud83d") - t));
	zt_json_doc_free(d);
}

Test(json_parse, skips_a_leading_byte_order_mark)
{
	struct zt_json_doc *d = parse_ok("\xEF\xBB\xBF{\"a\": \"b\"}");
	cr_assert_eq(zt_json_root(d)->offset, 3);
	cr_assert_eq(zt_json_root(d)->members[0].offset, 4);
	zt_json_doc_free(d);
}

/* ---- what is refused ------------------------------------------------ */

Test(json_parse, refuses_duplicate_keys_naming_the_second)
{
	parse_refused("{\"a\": 1, \"b\": 2, \"a\": 3}", ZT_EMALFORMED, "at byte 17: duplicate key 'a'");
	/* the same key written differently is the same key */
	parse_refused("{\"a\": 1, \"\\u0061\": 2}", ZT_EMALFORMED, "duplicate key 'a'");
	/* in a nested object, and among many keys */
	parse_refused("[{\"x\": {\"k\": 1, \"k\": null}}]", ZT_EMALFORMED, "duplicate key 'k'");
	char big[8192];
	size_t n = (size_t)snprintf(big, sizeof big, "{");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "\"k%03d\": %d, ", i, i);
	snprintf(big + n, sizeof big - n, "\"k100\": 0}");
	parse_refused(big, ZT_EMALFORMED, "duplicate key 'k100'");
	/* keys that differ only in length or case are distinct */
	struct zt_json_doc *d = parse_ok("{\"a\": 1, \"aa\": 2, \"A\": 3, \"\": 4}");
	zt_json_doc_free(d);
}

struct bad_text {
	char text[48];
	int len; /* -1: strlen */
	int code;
	char needle[48];
};

ParameterizedTestParameters(json_parse, refuses_what_is_not_strict_json)
{
	static struct bad_text p[] = {
		{"", -1, ZT_EMALFORMED, "at byte 0: no value (the text is empty)"},
		{"   \n", -1, ZT_EMALFORMED, "no value"},
		{"{\"a\": 1} {}", -1, ZT_EMALFORMED, "at byte 9: trailing garbage"},
		{"[1 2]", -1, ZT_EMALFORMED, "at byte 3"},
		{"{\"a\": 1}x", -1, ZT_EMALFORMED, "at byte"},
		{"[1, 2,]", -1, ZT_EMALFORMED, "at byte"},
		{"{\"a\": 1,}", -1, ZT_EMALFORMED, "at byte"},
		{"{'a': 1}", -1, ZT_EMALFORMED, "at byte"},
		{"{a: 1}", -1, ZT_EMALFORMED, "at byte"},
		{"[01]", -1, ZT_EMALFORMED, "at byte 2"},
		{"[1.]", -1, ZT_EMALFORMED, "at byte"},
		{"[.5]", -1, ZT_EMALFORMED, "at byte"},
		{"[+1]", -1, ZT_EMALFORMED, "at byte"},
		{"[NaN]", -1, ZT_EMALFORMED, "at byte"},
		{"[Infinity]", -1, ZT_EMALFORMED, "at byte"},
		{"[1] // c", -1, ZT_EMALFORMED, "at byte"},
		{"/* c */ [1]", -1, ZT_EMALFORMED, "at byte"},
		{"{\"a\": 1", -1, ZT_EMALFORMED, "at byte 7: premature EOF"},
		{"[\"a\tb\"]", -1, ZT_EMALFORMED, "at byte"},
		{"[\"a\\x\"]", -1, ZT_EMALFORMED, "at byte"},
		{"[\"\\u12\"]", -1, ZT_EMALFORMED, "at byte"},
		{"[\"\\u0000\"]", -1, ZT_EMALFORMED, "at byte 2: a string holds U+0000"},
		{"{\"a\\u0000\": 1}", -1, ZT_EMALFORMED, "U+0000"},
		{"[\"\\ud800\"]", -1, ZT_EMALFORMED, "at byte 2: unpaired surrogate"},
		{"[\"\\udc00\"]", -1, ZT_EMALFORMED, "unpaired surrogate \\uDC00"},
		{"[\"\\ud800\\u0041\"]", -1, ZT_EMALFORMED, "unpaired surrogate \\uD800"},
		{"[\"\\ud800x\"]", -1, ZT_EMALFORMED, "unpaired surrogate"},
		{"[\"\\ude00\\ud83d\"]", -1, ZT_EMALFORMED, "unpaired surrogate \\uDE00"},
		/* not UTF-8: Latin-1, overlong, encoded surrogate, above U+10FFFF,
		 * truncated, stray continuation, outside a string too */
		{"[\"caf\xE9\"]", -1, ZT_EMALFORMED, "at byte 5: the text is not UTF-8"},
		{"[\"\xC0\x80\"]", -1, ZT_EMALFORMED, "at byte 2: the text is not UTF-8"},
		{"[\"\xE0\x80\xAF\"]", -1, ZT_EMALFORMED, "not UTF-8"},
		{"[\"\xED\xA0\x80\"]", -1, ZT_EMALFORMED, "at byte 2: the text is not UTF-8"},
		{"[\"\xF4\x90\x80\x80\"]", -1, ZT_EMALFORMED, "not UTF-8"},
		{"[\"\xF5\x80\x80\x80\"]", -1, ZT_EMALFORMED, "not UTF-8"},
		{"[\"\xE5\xBC\"]", -1, ZT_EMALFORMED, "at byte 2: the text is not UTF-8"},
		{"[\"\x80\"]", -1, ZT_EMALFORMED, "not UTF-8"},
		{"[\"ok\"]\xFF", -1, ZT_EMALFORMED, "at byte 6: the text is not UTF-8"},
		{"{\"\xFE\": 1}", -1, ZT_EMALFORMED, "at byte 2: the text is not UTF-8"},
		/* a NUL byte in the text */
		{"[\"a\0b\"]", 7, ZT_EMALFORMED, "at byte"},
	};
	return cr_make_param_array(struct bad_text, p, sizeof p / sizeof *p);
}

ParameterizedTest(struct bad_text *b, json_parse, refuses_what_is_not_strict_json)
{
	parse_refused_n(b->text, b->len < 0 ? strlen(b->text) : (size_t)b->len, NULL, b->code,
	                b->needle);
}

/* ---- limits --------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * times + tl + 1);
	cr_assert(s);
	memcpy(s, head, hl);
	for (size_t i = 0; i < times; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * times, tail, tl + 1);
	return s;
}

Test(json_limits, depth_is_counted_while_parsing)
{
	char ok[2 * ZT_JSON_DEPTH_MAX + 1], over[2 * ZT_JSON_DEPTH_MAX + 3];
	for (int i = 0; i < ZT_JSON_DEPTH_MAX; i++) {
		ok[i] = '[';
		ok[ZT_JSON_DEPTH_MAX + i] = ']';
	}
	ok[2 * ZT_JSON_DEPTH_MAX] = '\0';
	zt_json_doc_free(parse_ok(ok));
	snprintf(over, sizeof over, "[%s]", ok);
	parse_refused(over, ZT_ERANGE, "nested more than 16 deep");
	/* objects count too */
	char *objs = repeat("", "{\"a\":", ZT_JSON_DEPTH_MAX + 1, "1");
	parse_refused(objs, ZT_ERANGE, "nested more than");
	free(objs);
	/* a million opening brackets: refused at the first one too deep,
	 * without recursion or a tree of a million nodes */
	char *deep = repeat("", "[", 1000000, "");
	parse_refused(deep, ZT_ERANGE, "at byte 16: objects and arrays are nested more than 16 deep");
	free(deep);
}

Test(json_limits, strings_count_characters_not_bytes)
{
	struct zt_json_limits lim;
	zt_json_limits_default(&lim);
	lim.string_chars_max = 10;
	char *ten = repeat("[\"", "张", 10, "\"]"); /* 30 bytes, 10 characters */
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, ten, strlen(ten), &lim), 0, "%s", zt_error_last());
	cr_assert_eq(zt_json_root(d)->items[0]->chars, 10);
	cr_assert_eq(zt_json_root(d)->items[0]->bytes, 30);
	zt_json_doc_free(d);
	char *eleven = repeat("[\"", "张", 11, "\"]");
	parse_refused_n(eleven, strlen(eleven), &lim, ZT_ERANGE,
	                "at byte 1: a string has more than 10 characters");
	char *key = repeat("{\"", "k", 11, "\": 1}");
	parse_refused_n(key, strlen(key), &lim, ZT_ERANGE, "a key has more than 10 characters");
	char *num = repeat("[", "1", 11, "]");
	parse_refused_n(num, strlen(num), &lim, ZT_ERANGE, "a number has more than 10 characters");
	/* escapes count as the character they stand for */
	const char *esc = "[\"\\u5f20\\u5f20\\u5f20\\u5f20\\u5f20\\u5f20\\u5f20\\u5f20\\u5f20\\u5f20\"]";
	cr_assert_eq(zt_json_parse(&d, esc, strlen(esc), &lim), 0, "%s", zt_error_last());
	zt_json_doc_free(d);
	free(ten);
	free(eleven);
	free(key);
	free(num);
}

Test(json_limits, a_huge_string_is_refused_at_the_default_limit)
{
	char *huge = repeat("{\"reason\": \"", "x", 1000000, "\"}");
	parse_refused(huge, ZT_ERANGE, "at byte 11: a string has more than 4096 characters");
	free(huge);
	char *at = repeat("[\"", "x", ZT_JSON_STRING_CHARS_MAX, "\"]");
	zt_json_doc_free(parse_ok(at));
	free(at);
}

Test(json_limits, members_elements_values_and_bytes)
{
	struct zt_json_limits lim;
	zt_json_limits_default(&lim);
	lim.members_max = 3;
	lim.elements_max = 4;
	lim.values_max = 8;
	lim.bytes_max = 64;
	struct zt_json_doc *d = NULL;
	const char *ok = "{\"a\": [1, 2, 3, 4], \"b\": 1, \"c\": 2}"; /* 8 values */
	cr_assert_eq(zt_json_parse(&d, ok, strlen(ok), &lim), 0, "%s", zt_error_last());
	zt_json_doc_free(d);
	const char *m = "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}";
	parse_refused_n(m, strlen(m), &lim, ZT_ERANGE, "at byte 25: an object has more than 3 members");
	const char *e = "[1, 2, 3, 4, 5]";
	parse_refused_n(e, strlen(e), &lim, ZT_ERANGE, "at byte 13: an array has more than 4 elements");
	const char *v = "[[1, 2], [3, 4], [5, 6]]";
	parse_refused_n(v, strlen(v), &lim, ZT_ERANGE, "more than 8 values");
	char *b = repeat("[", "1,", 40, "1]");
	parse_refused_n(b, strlen(b), &lim, ZT_ERANGE, "longer than 64 bytes");
	free(b);
}

/* ---- exact decimals ---------------------------------------------- */

struct dec_case {
	char json[48];
	long long want; /* -1: refused */
	char needle[48];
};

static void run_decimal(const struct dec_case *c, int kind)
{
	char doc[96];
	snprintf(doc, sizeof doc, "{\"v\": %s}", c->json);
	struct zt_json_doc *d = parse_ok(doc);
	const struct zt_json *v = zt_json_find(zt_json_root(d), "v");
	int64_t got = -7;
	int rc;
	if (kind == 0) {
		zt_fen f = -7;
		rc = zt_json_to_amount(&f, v, "v");
		got = f;
	} else if (kind == 1) {
		zt_q4 q = -7;
		rc = zt_json_to_q4(&q, v, "v");
		got = q;
	} else {
		zt_bp r = -7;
		rc = zt_json_to_ratio(&r, v, "v");
		got = r;
	}
	if (c->want >= 0) {
		cr_assert_eq(rc, 0, "%s refused: %s", c->json, zt_error_last());
		cr_assert_eq(got, c->want, "%s read as %lld, not %lld", c->json, (long long)got, c->want);
	} else {
		cr_assert_neq(rc, 0, "%s was taken as %lld", c->json, (long long)got);
		cr_assert(strstr(zt_error_last(), "json: at byte 6: 'v'"), "%s", zt_error_last());
		cr_assert(strstr(zt_error_last(), c->needle), "'%s' lacks '%s'", zt_error_last(),
		          c->needle);
	}
	zt_json_doc_free(d);
}

ParameterizedTestParameters(json_amount, is_read_exactly_from_its_text)
{
	static struct dec_case p[] = {
		/* numbers: any of 0..2 decimals */
		{"12345678901234.56", 1234567890123456LL, ""},
		{"99999999999999.99", 9999999999999999LL, ""},
		{"0.07", 7, ""},
		{"0.29", 29, ""},
		{"8000.5", 800050, ""},
		{"8000", 800000, ""},
		{"0", 0, ""},
		{"0.1", 10, ""},
		{"10500.00", 1050000, ""},
		/* strings: exactly the lexical form of interfaces.md */
		{"\"10500.00\"", 1050000, ""},
		{"\"99999999999999.99\"", 9999999999999999LL, ""},
		{"\"0.07\"", 7, ""},
		/* refused numbers */
		{"1.005", -1, "amount 1.005 has more than 2 decimals"},
		{"0.001", -1, "more than 2 decimals"},
		{"8000.500", -1, "more than 2 decimals"},
		{"1e3", -1, "amount 1e3 has an exponent"},
		{"1E3", -1, "has an exponent"},
		{"1.5e2", -1, "has an exponent"},
		{"0e0", -1, "has an exponent"},
		{"-0", -1, "amount -0 is negative"},
		{"-0.00", -1, "is negative"},
		{"-1.50", -1, "is negative"},
		{"9007199254740993.00", -1, "more than 14 digits"},
		{"123456789012345", -1, "more than 14 digits"},
		{"100000000000000.00", -1, "more than 14 digits"},
		/* refused strings */
		{"\"10500.5\"", -1, "'10500.5' is not allowed"},
		{"\"10500\"", -1, "is not allowed"},
		{"\"1e3\"", -1, "is not allowed"},
		{"\"-0.00\"", -1, "is not allowed"},
		{"\"+1.00\"", -1, "is not allowed"},
		{"\"01.00\"", -1, "is not allowed"},
		{"\"1,000.00\"", -1, "is not allowed"},
		{"\"1.005\"", -1, "is not allowed"},
		{"\"\"", -1, "is not allowed"},
		{"\" 1.00\"", -1, "has white space around it"},
		{"\"1.00\\n\"", -1, "has white space around it"},
		{"\"123456789012345.00\"", -1, "more than 14 digits"},
		/* not a number at all */
		{"true", -1, "must be a string or a number, not a boolean"},
		{"[1]", -1, "not an array"},
		{"{}", -1, "not an object"},
	};
	return cr_make_param_array(struct dec_case, p, sizeof p / sizeof *p);
}

ParameterizedTest(struct dec_case *c, json_amount, is_read_exactly_from_its_text) { run_decimal(c, 0); }

ParameterizedTestParameters(json_q4, prices_and_quantities_have_four_decimals)
{
	static struct dec_case p[] = {
		{"1.005", 10050, ""},
		{"12.5", 125000, ""},
		{"3", 30000, ""},
		{"8000", 80000000, ""},
		{"0.0001", 1, ""},
		{"99999999999999.9999", 999999999999999999LL, ""},
		{"\"12.5\"", 125000, ""},
		{"\"12.5000\"", 125000, ""},
		{"\"3\"", 30000, ""},
		{"0.00001", -1, "number 0.00001 has more than 4 decimals"},
		{"2e1", -1, "has an exponent"},
		{"-1", -1, "is negative"},
		{"-0", -1, "is negative"},
		{"\"012.5\"", -1, "is not allowed"},
		{"\"12.\"", -1, "is not allowed"},
		{"123456789012345", -1, "more than 14 digits"},
	};
	return cr_make_param_array(struct dec_case, p, sizeof p / sizeof *p);
}

ParameterizedTest(struct dec_case *c, json_q4, prices_and_quantities_have_four_decimals)
{
	run_decimal(c, 1);
}

ParameterizedTestParameters(json_ratio, ratios_are_zero_to_one)
{
	static struct dec_case p[] = {
		{"0.85", 8500, ""},
		{"1", 10000, ""},
		{"0", 0, ""},
		{"0.0001", 1, ""},
		{"\"0.85\"", 8500, ""},
		{"1.0001", -1, "above 1"},
		{"2", -1, "above 1"},
		{"0.12345", -1, "more than 4 decimals"},
		{"-0.5", -1, "is negative"},
		{"5e-1", -1, "has an exponent"},
	};
	return cr_make_param_array(struct dec_case, p, sizeof p / sizeof *p);
}

ParameterizedTest(struct dec_case *c, json_ratio, ratios_are_zero_to_one) { run_decimal(c, 2); }

Test(json_amount, a_claim_body_reads_to_the_fen)
{
	const char *t = "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"ZY2017-000123\", "
	                "\"medfee_sumamt\": 12345678901234.56, \"psn_part_amt\": \"0.29\", "
	                "\"items\": [{\"pric\": 1.005, \"cnt\": \"3\", \"det_item_fee_sumamt\": 0.07}], "
	                "\"memo\": null}";
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *c = zt_json_root(d);
	static const char *const allowed[] = {"fixmedins_code", "claim_no", "medfee_sumamt",
	                                      "psn_part_amt", "items", "memo", NULL};
	cr_assert_eq(zt_json_check_members(c, allowed), 0, "%s", zt_error_last());
	zt_fen total = 0, psn = 0, fee = 0, absent = 42;
	bool present = true;
	cr_assert_eq(zt_json_get_amount(&total, NULL, c, "medfee_sumamt"), 0);
	cr_assert_eq(total, 1234567890123456LL);
	cr_assert_eq(zt_json_get_amount(&psn, NULL, c, "psn_part_amt"), 0);
	cr_assert_eq(psn, 29);
	/* null means absent */
	cr_assert_eq(zt_json_get_amount(&absent, &present, c, "memo"), 0);
	cr_assert(!present);
	cr_assert_eq(absent, 42);
	cr_assert_not_null(zt_json_find(c, "memo"));
	cr_assert_null(zt_json_member(c, "memo"));
	const struct zt_json *items = NULL;
	cr_assert_eq(zt_json_get_array(&items, NULL, c, "items"), 0);
	zt_q4 pric = 0, cnt = 0;
	cr_assert_eq(zt_json_get_q4(&pric, NULL, items->items[0], "pric"), 0);
	cr_assert_eq(pric, 10050);
	cr_assert_eq(zt_json_get_q4(&cnt, NULL, items->items[0], "cnt"), 0);
	cr_assert_eq(cnt, 30000);
	cr_assert_eq(zt_json_get_amount(&fee, NULL, items->items[0], "det_item_fee_sumamt"), 0);
	cr_assert_eq(fee, 7);
	const char *claim_no = NULL;
	cr_assert_eq(zt_json_get_text(&claim_no, NULL, c, "claim_no", ZT_CLAIM_NO_CHARS_MAX), 0);
	cr_assert_str_eq(claim_no, "ZY2017-000123");
	zt_json_doc_free(d);
}

Test(json_members, unknown_and_missing_members_are_named_with_their_place)
{
	const char *t = "{\"fixmedins_code\": \"H1\", \"medfee_sumamt\": \"1.00\", \"medfee_sumamnt\": \"2.00\"}";
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *c = zt_json_root(d);
	static const char *const allowed[] = {"fixmedins_code", "medfee_sumamt", NULL};
	cr_assert_eq(zt_json_check_members(c, allowed), ZT_EINVAL);
	cr_assert_str_eq(zt_error_last(), "json: at byte 50: unknown member 'medfee_sumamnt'");
	zt_fen v;
	cr_assert_eq(zt_json_get_amount(&v, NULL, c, "psn_part_amt"), ZT_EINVAL);
	cr_assert_str_eq(zt_error_last(), "json: at byte 0: 'psn_part_amt' is missing");
	/* a member of the wrong type */
	const struct zt_json *o = NULL;
	cr_assert_eq(zt_json_get_object(&o, NULL, c, "fixmedins_code"), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "'fixmedins_code' must be an object, not a string"));
	/* not an object at all */
	struct zt_json_doc *a = parse_ok("[1]");
	cr_assert_eq(zt_json_check_members(zt_json_root(a), allowed), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "expected an object, found an array"));
	zt_json_doc_free(a);
	zt_json_doc_free(d);
}

Test(json_members, integers_dates_texts_and_booleans)
{
	const char *t = "{\"limit\": 100, \"neg\": -5, \"frac\": 1.0, \"exp\": 1e2, \"mz\": -0, "
	                "\"big\": 99999999999999999999, \"d\": \"2017-02-28\", \"bad\": \"2017-02-29\", "
	                "\"name\": \"张三丰\", \"empty\": \"\", \"yes\": true}";
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *c = zt_json_root(d);
	int64_t i = 0;
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "limit", 1, 1000), 0);
	cr_assert_eq(i, 100);
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "neg", -10, 10), 0);
	cr_assert_eq(i, -5);
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "limit", 1, 99), ZT_EINVAL);
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "frac", 0, 10), ZT_EINVAL);
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "exp", 0, 1000), ZT_EINVAL);
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "mz", -10, 10), ZT_EINVAL);
	cr_assert_eq(zt_json_get_int(&i, NULL, c, "big", 0, INT64_MAX), ZT_EINVAL);
	zt_date dt = 0;
	cr_assert_eq(zt_json_get_date(&dt, NULL, c, "d"), 0);
	cr_assert_eq(dt, 20170228);
	cr_assert_eq(zt_json_get_date(&dt, NULL, c, "bad"), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "'bad': '2017-02-29' is not a real YYYY-MM-DD date"));
	const char *s = NULL;
	cr_assert_eq(zt_json_get_text(&s, NULL, c, "name", 3), 0);
	cr_assert_str_eq(s, "张三丰");
	cr_assert_eq(zt_json_get_text(&s, NULL, c, "name", 2), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "'name' is longer than 2 characters"));
	cr_assert_eq(zt_json_get_text(&s, NULL, c, "empty", 10), ZT_EINVAL);
	bool b = false;
	cr_assert_eq(zt_json_get_bool(&b, NULL, c, "yes"), 0);
	cr_assert(b);
	cr_assert_eq(zt_json_get_bool(&b, NULL, c, "name"), ZT_EINVAL);
	zt_json_doc_free(d);
}

Test(json_utf8, counts_characters_and_finds_the_first_bad_byte)
{
	size_t chars = 0, bad = 0;
	cr_assert_eq(zt_json_utf8_check(&chars, &bad, "a张\xF0\x9F\x98\x80", 8), 0);
	cr_assert_eq(chars, 3);
	cr_assert_eq(zt_json_utf8_check(&chars, &bad, "ab\xC1\xBF", 4), ZT_EINVAL);
	cr_assert_eq(bad, 2);
	cr_assert_eq(zt_json_utf8_check(&chars, &bad, "abc\xED\xBF\xBF", 6), ZT_EINVAL);
	cr_assert_eq(bad, 3);
	cr_assert_eq(zt_json_utf8_check(&chars, &bad, "\xF4\x8F\xBF\xBF", 4), 0, "U+10FFFF is fine");
}

/* ---- the writer -------------------------------------------------- */

static const char *written(struct zt_json_writer *w, size_t *len)
{
	const char *t = NULL;
	cr_assert_eq(zt_json_writer_result(w, &t, len), 0, "%s", zt_error_last());
	return t;
}

Test(json_write, escapes_strings_and_writes_amounts_as_exact_strings)
{
	struct zt_json_writer *w = NULL;
	cr_assert_eq(zt_json_writer_new(&w, false), 0);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "code");
	zt_json_write_string(w, "say \"hi\"\\\n\t\x01 张三 </x>");
	zt_json_write_key(w, "amounts");
	zt_json_write_array_begin(w);
	zt_json_write_amount(w, 800050);
	zt_json_write_amount(w, -1);
	zt_json_write_amount(w, 0);
	zt_json_write_amount(w, 9999999999999999LL);
	zt_json_write_amount(w, -1050000);
	zt_json_write_array_end(w);
	zt_json_write_key(w, "pric");
	zt_json_write_q4(w, 10050);
	zt_json_write_key(w, "ratio");
	zt_json_write_ratio(w, 8500);
	zt_json_write_key(w, "date");
	zt_json_write_date(w, 20170310);
	zt_json_write_key(w, "count");
	zt_json_write_int(w, 3);
	zt_json_write_key(w, "next");
	zt_json_write_null(w);
	zt_json_write_key(w, "genuine");
	zt_json_write_bool(w, true);
	zt_json_write_object_end(w);
	size_t len = 0;
	const char *t = written(w, &len);
	cr_assert_str_eq(t, "{\"code\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001 张三 </x>\","
	                    "\"amounts\":[\"8000.50\",\"-0.01\",\"0.00\",\"99999999999999.99\",\"-10500.00\"],"
	                    "\"pric\":\"1.0050\",\"ratio\":\"0.8500\",\"date\":\"2017-03-10\",\"count\":3,"
	                    "\"next\":null,\"genuine\":true}");
	cr_assert_eq(len, strlen(t));
	/* and it reads back to the same values */
	struct zt_json_doc *d = parse_ok(t);
	const struct zt_json *r = zt_json_root(d);
	cr_assert_str_eq(zt_json_find(r, "code")->text, "say \"hi\"\\\n\t\x01 张三 </x>");
	zt_fen v = 0;
	cr_assert_eq(zt_json_to_amount(&v, zt_json_find(r, "amounts")->items[3], "a"), 0);
	cr_assert_eq(v, 9999999999999999LL);
	zt_json_doc_free(d);
	zt_json_writer_free(w);
}

Test(json_write, refuses_bad_utf8_and_remembers_the_first_error)
{
	struct zt_json_writer *w = NULL;
	cr_assert_eq(zt_json_writer_new(&w, false), 0);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "name");
	cr_assert_eq(zt_json_write_string(w, "caf\xE9"), ZT_EINVAL);
	cr_assert_str_eq(zt_error_last(), "json: writing a string: the string is not UTF-8");
	cr_assert_eq(zt_json_write_string(w, "fine"), ZT_EINVAL, "the first error sticks");
	cr_assert_eq(zt_json_write_object_end(w), ZT_EINVAL);
	const char *t;
	size_t len;
	cr_assert_eq(zt_json_writer_result(w, &t, &len), ZT_EINVAL);
	zt_json_writer_free(w);
	/* an encoded surrogate, which yajl's own check would let by */
	cr_assert_eq(zt_json_writer_new(&w, false), 0);
	cr_assert_eq(zt_json_write_string(w, "\xED\xA0\x80"), ZT_EINVAL);
	zt_json_writer_free(w);
}

Test(json_write, an_unfinished_or_misplaced_value_is_an_error)
{
	struct zt_json_writer *w = NULL;
	cr_assert_eq(zt_json_writer_new(&w, false), 0);
	zt_json_write_array_begin(w);
	zt_json_write_int(w, 1);
	const char *t;
	size_t len;
	cr_assert_eq(zt_json_writer_result(w, &t, &len), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "still open"));
	zt_json_writer_free(w);
	cr_assert_eq(zt_json_writer_new(&w, false), 0);
	zt_json_write_object_begin(w);
	cr_assert_neq(zt_json_write_int(w, 1), 0, "a member needs a key");
	zt_json_writer_free(w);
}

Test(json_write, pretty_output_parses_the_same)
{
	struct zt_json_writer *w = NULL;
	cr_assert_eq(zt_json_writer_new(&w, true), 0);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "a");
	zt_json_write_array_begin(w);
	zt_json_write_amount(w, 12);
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
	size_t len;
	const char *t = written(w, &len);
	cr_assert(strchr(t, '\n'));
	struct zt_json_doc *d = parse_ok(t);
	cr_assert_str_eq(zt_json_find(zt_json_root(d), "a")->items[0]->text, "0.12");
	zt_json_doc_free(d);
	zt_json_writer_free(w);
}
