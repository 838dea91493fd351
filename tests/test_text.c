/* zhitong — text that comes from outside (zhitong/text.h) and the names of
 * people (zhitong/actor.h): one spelling per person, whatever is typed;
 * nothing invisible, no control character, no ill-formed UTF-8, anywhere;
 * nothing cut short.
 *
 * The library functions first, class by class, then every route a text
 * takes in through the command line: --by, $ZHITONG_USER, $USER, --reason,
 * --note, any argument, the configuration file. Maker-checker across
 * spellings is tested where the makers are: test_batch.c (batch approve)
 * and test_advance.c (advance approve); claim and registry identifiers in
 * test_claims.c and test_registry.c. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/actor.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/text.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"

static const char *norm(const char *name)
{
	static char out[4][ZT_ACTOR_BYTES];
	static int next;
	char *o = out[next++ % 4];
	int rc = zt_actor_normalize(o, name);
	cr_assert_eq(rc, 0, "'%s' was refused: %s", name, zt_error_last());
	return o;
}

/* ==== one spelling per person ============================================ */

Test(actor, one_person_whatever_the_case_spacing_or_compatibility_form)
{
	static const char *const alice[] = {
		"alice",         "Alice",          "ALICE",          "aLiCe",
		" alice",        "alice ",         "\talice\n" + 1,  "  Alice  ",
		"\u3000Alice\u00A0",               /* ideographic and no-break spaces */
		"\uFF21\uFF2C\uFF29\uFF23\uFF25", /* fullwidth ＡＬＩＣＥ */
		"\uFF41lice",                      /* fullwidth ａ */
		"\u24D0\u24DB\u24D8\u24D2\u24D4", /* circled ⓐⓛⓘⓒⓔ */
		"\u24B6lice",                      /* circled capital Ⓐ */
		"\U0001D41Alice",                  /* MATHEMATICAL BOLD SMALL A */
		"\u1D2C\u1D38\u1D35\u1D9C\u1D31"  /* modifier letters ᴬᴸᴵᶜᴱ */,
	};
	for (size_t i = 0; i < sizeof alice / sizeof *alice; i++) {
		char o[ZT_ACTOR_BYTES];
		int rc = zt_actor_normalize(o, alice[i]);
		if (i == 6) {
			/* a leading tab is a control character, never white space */
			cr_expect_eq(rc, ZT_EINVAL, "a tab in a name was accepted");
			continue;
		}
		cr_assert_eq(rc, 0, "spelling %zu refused: %s", i, zt_error_last());
		cr_expect_str_eq(o, "alice", "spelling %zu", i);
	}
}

Test(actor, ligatures_sharp_s_numerals_and_inner_spaces_fold_too)
{
	cr_expect_str_eq(norm("\uFB01ona"), "fiona");   /* ﬁ ligature */
	cr_expect_str_eq(norm("Stra\u00DFe"), "strasse"); /* ß */
	cr_expect_str_eq(norm("STRASSE"), "strasse");
	cr_expect_str_eq(norm("Zhang   San"), "zhang san");
	cr_expect_str_eq(norm(" Zhang\u3000San "), "zhang san");
	cr_expect_str_eq(norm("desk\uFF11"), "desk1");      /* fullwidth digit */
	cr_expect_str_eq(norm("\u216B"), "xii");            /* Roman numeral Ⅻ */
	cr_expect_str_eq(norm("\u5F20\u4E09"), "\u5F20\u4E09"); /* 张三 stays */
	cr_expect_str_eq(norm("e\u0301"), "\u00E9");        /* composed */
	cr_expect_str_eq(norm("\u00C9"), "\u00E9");
}

Test(actor, the_normal_form_is_stable)
{
	static const char *const names[] = {"ＡＬＩＣＥ", "Stra\u00DFe", "\uFB03x", "\u1E9E",
	                                    "\u0130stanbul", "\u03A3\u039F\u03A3", "\u2460\u2461",
	                                    "e\u0301\u0327", "\uFF76\uFF9E", "\u3300"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char once[ZT_ACTOR_BYTES], twice[ZT_ACTOR_BYTES];
		cr_assert_eq(zt_actor_normalize(once, names[i]), 0, "%zu: %s", i, zt_error_last());
		cr_assert_eq(zt_actor_normalize(twice, once), 0, "%zu: %s", i, zt_error_last());
		cr_expect_str_eq(twice, once, "name %zu is not stable", i);
	}
}

/* Invisible characters are refused, not cleaned: a name holding one would
 * look like another person's. */
Test(actor, invisible_and_control_characters_are_refused_by_name)
{
	static const struct {
		const char *name, *says;
	} bad[] = {
		{"ali\u200Bce", "invisible character (U+200B ZERO WIDTH SPACE) at character 4"},
		{"ali\u200Cce", "(U+200C ZERO WIDTH NON-JOINER)"},
		{"ali\u200Dce", "(U+200D ZERO WIDTH JOINER)"},
		{"\u2060alice", "(U+2060 WORD JOINER) at character 1"},
		{"alice\uFEFF", "(U+FEFF ZERO WIDTH NO-BREAK SPACE)"},
		{"ali\u00ADce", "(U+00AD SOFT HYPHEN)"},
		{"ali\u202Ece", "(U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"\u202Dalice", "(U+202D LEFT-TO-RIGHT OVERRIDE)"},
		{"ali\u2066ce", "(U+2066 LEFT-TO-RIGHT ISOLATE)"},
		{"ali\u200Fce", "(U+200F RIGHT-TO-LEFT MARK)"},
		{"ali\u061Cce", "(U+061C ARABIC LETTER MARK)"},
		{"\u3164alice", "(U+3164 HANGUL FILLER)"},
		{"alice\uFE0F", "(U+FE0F VARIATION SELECTOR-16)"},
		{"ali\u034Fce", "(U+034F COMBINING GRAPHEME JOINER)"},
		{"ali\u2028ce", "(U+2028 LINE SEPARATOR)"},
		{"ali\tce", "a control character (U+0009) at character 4: it is one line"},
		{"alice\n", "a control character (U+000A)"},
		{"\x1B[2Jalice", "a control character (U+001B)"},
		{"ali\x7F" "ce", "a control character (U+007F)"},
		{"ali\xC2\x85" "ce", "a control character (U+0085)"},
		{"alice\xEF\xBF\xBF", "a noncharacter (U+FFFF)"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char o[ZT_ACTOR_BYTES] = "x";
		cr_expect_eq(zt_actor_normalize(o, bad[i].name), ZT_EINVAL, "%zu was accepted as '%s'", i,
		             o);
		cr_expect_str_eq(o, "", "%zu: out is left empty", i);
		cr_expect(strstr(zt_error_last(), bad[i].says), "%zu: '%s' should say '%s'", i,
		          zt_error_last(), bad[i].says);
		/* the message never carries the character itself */
		cr_expect(strncmp(zt_error_last(), "the name holds", 14) == 0, "%s", zt_error_last());
	}
}

Test(actor, ill_formed_utf8_is_refused)
{
	static const char *const bad[] = {
		"ali\xC0\xAF" "ce",         /* overlong '/' */
		"ali\xE0\x80\xAF" "ce",     /* overlong, three bytes */
		"ali\xED\xA0\x80" "ce",     /* a surrogate, U+D800 */
		"ali\xED\xBF\xBF" "ce",     /* a surrogate, U+DFFF */
		"alice\xE4\xB8",            /* truncated at the end */
		"ali\xE4" "ce",             /* truncated inside */
		"ali\x80" "ce",             /* a lone continuation byte */
		"ali\xF4\x90\x80\x80" "ce", /* above U+10FFFF */
		"ali\xF8\x88\x80\x80\x80" "ce", /* a five-byte form */
		"ali\xFF" "ce",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char o[ZT_ACTOR_BYTES];
		cr_expect_eq(zt_actor_normalize(o, bad[i]), ZT_EINVAL, "%zu was accepted", i);
		cr_expect(strstr(zt_error_last(), "is not valid UTF-8"), "%zu: %s", i, zt_error_last());
	}
}

static void repeat(char *buf, size_t cap, const char *unit, int n)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		strncat(buf, unit, cap - strlen(buf) - 1);
}

/* The limit is in characters after normalisation; longer is refused,
 * never cut. */
Test(actor, forty_characters_after_normalisation_and_never_cut)
{
	char in[2000], o[ZT_ACTOR_BYTES];
	static const struct {
		const char *unit; /* one character, or a ligature of two */
		int per_unit;
	} units[] = {{"a", 1}, {"\u5F20", 1}, {"\uFF21", 1}, {"\U0001D41A", 1}, {"\uFB01", 2}};
	for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
		int fit = ZT_ACTOR_CHARS_MAX / units[k].per_unit;
		repeat(in, sizeof in, units[k].unit, fit);
		cr_expect_eq(zt_actor_normalize(o, in), 0, "unit %zu x %d: %s", k, fit, zt_error_last());
		cr_expect_eq(zt_text_chars(o, strlen(o)), (size_t)(fit * units[k].per_unit));
		repeat(in, sizeof in, units[k].unit, fit + 1);
		cr_expect_eq(zt_actor_normalize(o, in), ZT_EINVAL, "unit %zu x %d was accepted", k,
		             fit + 1);
		cr_expect(strstr(zt_error_last(), "longer than 40 characters: it is refused, not cut"),
		          "%s", zt_error_last());
		cr_expect_str_eq(o, "");
	}
	/* White space at the ends does not count; inner runs count once. */
	repeat(in, sizeof in, "a", 40);
	strcat(in, "      ");
	cr_expect_eq(zt_actor_normalize(o, in), 0, "%s", zt_error_last());
	repeat(in, sizeof in, "a", 19);
	strcat(in, "     ");
	repeat(in + strlen(in), sizeof in - strlen(in), "b", 20);
	cr_expect_eq(zt_actor_normalize(o, in), 0, "%s", zt_error_last());
	cr_expect_eq(strlen(o), 40u);
	/* Nothing, only white space, and far too much are refused. */
	cr_expect_eq(zt_actor_normalize(o, NULL), ZT_EINVAL);
	cr_expect_eq(zt_actor_normalize(o, ""), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "must be named"), "%s", zt_error_last());
	cr_expect_eq(zt_actor_normalize(o, " \u3000 "), ZT_EINVAL);
	char *huge = malloc(100001);
	memset(huge, 'a', 100000);
	huge[100000] = '\0';
	cr_expect_eq(zt_actor_normalize(o, huge), ZT_EINVAL);
	free(huge);
}

/* ==== the lexical rule ======================================================= */

Test(text, a_line_keeps_inner_spaces_an_identifier_does_not)
{
	static const char *const spaces[] = {" ", "\u00A0", "\u3000", "\u2003", "\u202F"};
	for (size_t i = 0; i < sizeof spaces / sizeof *spaces; i++) {
		char s[32];
		snprintf(s, sizeof s, "ab%scd", spaces[i]);
		cr_expect_eq(zt_text_check("x", s, strlen(s), 40, ZT_TEXT_LINE), 0, "%zu: %s", i,
		             zt_error_last());
		cr_expect_eq(zt_text_check("x", s, strlen(s), 40, ZT_TEXT_IDENT), ZT_EINVAL, "%zu", i);
		cr_expect(strstr(zt_error_last(), "x holds white space"), "%s", zt_error_last());
	}
	/* Hangul filler and variation selectors: allowed in a name (some rare
	 * characters of names need a variation selector), not in an identifier. */
	cr_expect_eq(zt_text_check("x", "\u845B\U000E0100", 7, 40, ZT_TEXT_LINE), 0, "%s",
	             zt_error_last());
	cr_expect_eq(zt_text_check("x", "\u845B\U000E0100", 7, 40, ZT_TEXT_IDENT), ZT_EINVAL);
	cr_expect_eq(zt_text_check("x", "", 0, 40, ZT_TEXT_IDENT), 0, "empty is the caller's business");
}

/* Printable ASCII passes without the character tables (issue 8): what it
 * decides is what the tables decide — every visible character passes, the
 * space only in a line, DEL and the controls never, and too long is too
 * long. */
Test(text, printable_ascii_alone_is_decided_as_by_the_tables)
{
	char all[96];
	size_t n = 0;
	for (int c = 0x21; c < 0x7F; c++)
		all[n++] = (char)c;
	all[n] = '\0';
	cr_expect_eq(zt_text_check("x", all, n, n, ZT_TEXT_IDENT), 0, "%s", zt_error_last());
	cr_expect_eq(zt_text_check("x", all, n, n - 1, ZT_TEXT_IDENT), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "longer than 93 characters (94)"), "%s", zt_error_last());
	cr_expect_eq(zt_text_check("x", "a b", 3, 40, ZT_TEXT_LINE), 0);
	cr_expect_eq(zt_text_check("x", "a b", 3, 40, ZT_TEXT_IDENT), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "x holds white space (U+0020"), "%s", zt_error_last());
	cr_expect_eq(zt_text_check("x", "ab\x7f", 3, 40, ZT_TEXT_LINE), ZT_EINVAL);
	cr_expect(strstr(zt_error_last(), "a control character"), "%s", zt_error_last());
	cr_expect_eq(zt_text_check("x", "a\tb", 3, 40, ZT_TEXT_LINE), ZT_EINVAL);
	cr_expect_eq(zt_text_check("x", "a\0b", 3, 40, ZT_TEXT_LINE), ZT_EINVAL);
}

Test(text, lengths_are_characters_and_longer_is_refused)
{
	char s[400];
	repeat(s, sizeof s, "\u4F4F", 120);
	cr_expect_eq(zt_text_check("--reason", s, strlen(s), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE), 0);
	repeat(s, sizeof s, "\u4F4F", 121);
	cr_expect_eq(zt_text_check("--reason", s, strlen(s), ZT_TEXT_CHARS_MAX, ZT_TEXT_LINE),
	             ZT_EINVAL);
	cr_expect_str_eq(zt_error_last(), "--reason is longer than 120 characters (121): it is "
	                                  "refused, not cut short");
}

Test(text, messages_show_what_cannot_be_seen)
{
	char out[200];
	zt_text_visible(out, sizeof out, "a\u200Bb\tc\nd\x1B[0m\xC0\xAF" "e\u202Ef \u5F20");
	cr_expect_str_eq(out, "a<U+200B>b c d<U+001B>[0m<0xC0><0xAF>e<U+202E>f \u5F20");
	/* cut at a character boundary, always terminated */
	zt_text_visible(out, 6, "ab\u5F20\u5F20");
	cr_expect_str_eq(out, "ab\u5F20");
	/* an error message is shown the same way */
	zt_error_set(ZT_EINVAL, "batch '%s' not found", "B\u202E1");
	cr_expect_str_eq(zt_error_last(), "batch 'B<U+202E>1' not found");
}

/* ==== every route in through the command line ============================== */

static const char *fresh_db(void)
{
	static char db[600];
	snprintf(db, sizeof db, "%s", tmp_path("zt.db"));
	char *out, *err;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' init", db), 0, "%s", err);
	free(out);
	free(err);
	return db;
}

static char *query(const char *db, const char *sql)
{
	struct run r = sh("sqlite3 '%s' \"%s\"", db, sql);
	cr_assert_eq(r.code, 0, "%s: %s", sql, r.err);
	free(r.err);
	return r.out;
}

/* `registry load` as the shell line `env` (environment assignments, or
 * "") and `by` (a shell word, or NULL for no --by): exit code, stderr. */
static int load_as(const char *db, const char *env, const char *by, char **err)
{
	struct run r = sh("env -u ZHITONG_USER -u USER %s '%s' --db '%s' registry load '%s'%s%s", env,
	                  ZT_TEST_ZHITONG, db, REGISTRY, by ? " --by " : "", by ? by : "");
	free(r.out);
	*err = r.err;
	return r.code;
}

/* Who is recorded: --by, else $ZHITONG_USER, else $USER, else "unknown",
 * each normalised. */
Test(cli_names, by_then_zhitong_user_then_user_each_normalised)
{
	const char *db = fresh_db();
	static const struct {
		const char *env, *by, *recorded;
	} cases[] = {
		{"", "' Alice '", "alice"},
		{"ZHITONG_USER=bob USER=carol", "\"$(printf '\\357\\274\\241lice')\"", "alice"},
		{"ZHITONG_USER=' BOB ' USER=carol", NULL, "bob"},
		{"ZHITONG_USER= USER='Carol  Chen'", NULL, "carol chen"},
		{"USER=\"$(printf '\\342\\223\\222arol')\"", NULL, "carol"},
		{"", NULL, "unknown"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *err;
		cr_assert_eq(load_as(db, cases[i].env, cases[i].by, &err), 0, "%zu: %s", i, err);
		free(err);
		char *who = query(db, "SELECT actor FROM audit ORDER BY id DESC LIMIT 1");
		char want[64];
		snprintf(want, sizeof want, "%s\n", cases[i].recorded);
		cr_expect_str_eq(who, want, "case %zu", i);
		free(who);
	}
}

Test(cli_names, a_name_that_cannot_be_normalised_is_refused_from_every_source)
{
	const char *db = fresh_db();
	static const struct {
		const char *env, *by, *says;
	} cases[] = {
		{"", "\"$(printf 'ali\\342\\200\\213ce')\"",
		 "zhitong: invalid: --by holds an invisible character (U+200B ZERO WIDTH SPACE) at "
		 "character 4"},
		{"", "\"$(printf 'ali\\343\\205\\244ce')\"",
		 "zhitong: invalid: --by: the name holds an invisible character (U+3164 HANGUL FILLER) "
		 "at character 4: it would look like another person's name"},
		{"", "\"$(printf 'ali\\342\\200\\256ce')\"", "(U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"", "\"$(printf 'ali\\tce')\"", "zhitong: invalid: --by holds a control character"},
		{"", "\"$(printf 'ali\\300\\257ce')\"", "zhitong: invalid: --by is not valid UTF-8"},
		{"", "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddX",
		 "zhitong: invalid: --by: the name is longer than 40 characters"},
		{"ZHITONG_USER=\"$(printf 'bo\\342\\201\\240b')\"", NULL,
		 "zhitong: invalid: $ZHITONG_USER: the name holds an invisible character (U+2060 WORD "
		 "JOINER)"},
		{"USER=\"$(printf 'car\\033ol')\"", NULL,
		 "zhitong: invalid: $USER: the name holds a control character (U+001B)"},
		{"USER=\"$(printf 'car\\355\\240\\200ol')\"", NULL,
		 "zhitong: invalid: $USER: the name is not valid UTF-8"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *err;
		cr_expect_eq(load_as(db, cases[i].env, cases[i].by, &err), 2, "case %zu", i);
		cr_expect(strstr(err, cases[i].says), "case %zu: '%s' should say '%s'", i, err,
		          cases[i].says);
		free(err);
	}
	char *n = query(db, "SELECT (SELECT count(*) FROM audit) || ' ' || (SELECT count(*) FROM"
	                    " hospital)");
	cr_expect_str_eq(n, "0 0\n", "a refused name let the command run");
	free(n);
	/* The same spellings with --by given are fine: --by comes first. */
	char *err;
	cr_expect_eq(load_as(db, "USER=\"$(printf 'car\\033ol')\"", "dora", &err), 0, "%s", err);
	free(err);
}

/* A settled worked example, for the reversal routes. */
static const char *settled_db(void)
{
	const char *db = fresh_db();
	char *out, *err;
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' registry load '%s'", db, REGISTRY), 0, "%s",
	             err);
	free(out);
	free(err);
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' rules load '%s'", db, POLICY), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(zt_test_run(&out, &err, "--db '%s' claim submit '%s'", db, WORKED_EXAMPLE), 0,
	             "%s", err);
	free(out);
	free(err);
	return db;
}

static char *settlements(const char *db)
{
	return query(db, "SELECT count(*) || ' ' || COALESCE(group_concat(kind), '') FROM settlement");
}

/* Every option value and argument is one line of valid UTF-8 without
 * control or invisible characters: refused before the command runs, named
 * by its option or position, never echoed. */
Test(cli_text, every_argument_is_one_line_of_valid_utf8)
{
	const char *db = settled_db();
	char *before = settlements(db);
	static const struct {
		const char *args, *says;
	} cases[] = {
		{"--reason \"$(printf 'wrong\\tward')\"",
		 "zhitong: invalid: --reason holds a control character (U+0009) at character 6: it is "
		 "one line, without tabs or line breaks"},
		{"--reason \"$(printf 'wrong\\nward')\"", "--reason holds a control character (U+000A)"},
		{"--reason \"$(printf 'wrong\\rward')\"", "--reason holds a control character (U+000D)"},
		{"--reason \"$(printf 'wrong \\033[31mward')\"", "(U+001B)"},
		{"--reason \"$(printf 'wrong\\302\\233ward')\"", "(U+009B)"},
		{"--reason \"$(printf 'wrong\\342\\200\\213ward')\"",
		 "--reason holds an invisible character (U+200B ZERO WIDTH SPACE)"},
		{"--reason \"$(printf 'wrong\\342\\200\\256ward')\"", "(U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"--reason \"$(printf 'wrong\\342\\200\\250ward')\"", "(U+2028 LINE SEPARATOR)"},
		{"--reason \"$(printf 'wrong \\300\\240ward')\"", "--reason is not valid UTF-8 (byte 7"},
		{"--reason \"$(printf 'wrong \\355\\240\\200ward')\"", "--reason is not valid UTF-8"},
		{"--reason \"$(printf 'wrong \\344\\275')\"", "--reason is not valid UTF-8"},
		{"--reason=\"$(printf 'wrong\\tward')\"", "--reason holds a control character"},
		{"--reason x --by \"$(printf 'a\\tb')\"", "--by holds a control character"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct run r = sh("'%s' --db '%s' claim reverse --hospital H51010101 --claim-no "
		                  "ZY2017-000123 %s", ZT_TEST_ZHITONG, db, cases[i].args);
		cr_expect_eq(r.code, 2, "case %zu: exit %d", i, r.code);
		cr_expect_str_eq(r.out, "", "case %zu printed an answer", i);
		cr_expect(strstr(r.err, cases[i].says), "case %zu: '%s' should say '%s'", i, r.err,
		          cases[i].says);
		run_free(&r);
	}
	/* identifiers given on the command line, positional arguments, global
	 * options */
	static const struct {
		const char *args, *says;
	} more[] = {
		{"claim reverse --hospital \"$(printf 'H5101\\342\\200\\21301')\" --claim-no "
		 "ZY2017-000123 --reason x", "--hospital holds an invisible character (U+200B"},
		{"claim reverse --hospital 'H5101 0101' --claim-no ZY2017-000123 --reason x",
		 "--hospital holds white space (U+0020 SPACE)"},
		{"claim show --hospital H51010101 --claim-no \"$(printf 'ZY\\033]0;x\\007')\"",
		 "--claim-no holds a control character (U+001B)"},
		{"claim submit \"$(printf 'claims\\377.xml')\"",
		 "argument 2 of 'claim' is not valid UTF-8"},
		{"batch approve \"$(printf 'B1\\342\\200\\256')\" --by bob",
		 "argument 2 of 'batch' holds an invisible character (U+202E"},
		{"\"$(printf 'cl\\033aim')\" submit x.xml", "the command holds a control character"},
		{"claim \"--rea$(printf '\\033')son\" x", "an option's name holds a control character"},
	};
	for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
		struct run r = sh("'%s' --db '%s' %s", ZT_TEST_ZHITONG, db, more[i].args);
		cr_expect_eq(r.code, 2, "more %zu: exit %d", i, r.code);
		cr_expect(strstr(r.err, more[i].says), "more %zu: '%s' should say '%s'", i, r.err,
		          more[i].says);
		run_free(&r);
	}
	struct run r = sh("'%s' --db \"$(printf 'x\\ny.db')\" status", ZT_TEST_ZHITONG);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "zhitong: invalid: --db holds a control character (U+000A)"), "%s",
	          r.err);
	run_free(&r);
	r = sh("ZHITONG_CONFIG=\"$(printf 'a\\342\\200\\217.conf')\" '%s' --db '%s' status",
	       ZT_TEST_ZHITONG, db);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "--config holds an invisible character (U+200F"), "%s", r.err);
	run_free(&r);
	char *after = settlements(db);
	cr_expect_str_eq(after, before, "a refused argument changed the database");
	free(after);
	free(before);
}

/* One line of free text: at most 120 characters, counted as characters;
 * longer is refused whole (nothing recorded), never cut. */
Test(cli_text, a_reason_or_note_over_120_characters_is_refused_whole)
{
	const char *db = settled_db();
	char *before = settlements(db);
	char reason[1000];
	repeat(reason, sizeof reason, "\u51B2", 121); /* 冲, three bytes */
	struct run r = sh("'%s' --db '%s' claim reverse --hospital H51010101 --claim-no "
	                  "ZY2017-000123 --reason '%s'", ZT_TEST_ZHITONG, db, reason);
	cr_expect_eq(r.code, 2, "exit %d", r.code);
	cr_expect(strstr(r.err, "zhitong: invalid: --reason is longer than 120 characters (121)"),
	          "%s", r.err);
	run_free(&r);
	char *after = settlements(db);
	cr_expect_str_eq(after, before);
	free(after);
	repeat(reason, sizeof reason, "x", 121);
	r = sh("'%s' --db '%s' reconcile resolve EXC-000001 --as ignore --by grace --note '%s'",
	       ZT_TEST_ZHITONG, db, reason);
	cr_expect_eq(r.code, 2, "exit %d", r.code);
	cr_expect(strstr(r.err, "--note is longer than 120 characters (121)"), "%s", r.err);
	run_free(&r);
	/* A claim number one over its limit is refused, not looked up cut. */
	r = sh("'%s' --db '%s' claim reverse --hospital H51010101 --claim-no "
	       "ZY2017-000123xxxxxxxxxxxxxxxxxxxxxxxxxxxx --reason x", ZT_TEST_ZHITONG, db);
	cr_expect_eq(r.code, 2, "exit %d", r.code);
	cr_expect(strstr(r.err, "--claim-no is longer than 40 characters (41)"), "%s", r.err);
	run_free(&r);
	/* Exactly 120 characters, inner spaces and all, are kept whole. */
	repeat(reason, sizeof reason, "\u51B2 ", 60);
	reason[strlen(reason) - 1] = '\0';
	strcat(reason, "\u51B2");
	r = sh("'%s' --db '%s' claim reverse --hospital H51010101 --claim-no ZY2017-000123 --by "
	       "desk --reason '%s'", ZT_TEST_ZHITONG, db, reason);
	cr_expect_eq(r.code, 0, "exit %d: %s", r.code, r.err);
	run_free(&r);
	char *stored = query(db, "SELECT reason FROM settlement WHERE kind = 'reverse'");
	char want[1000];
	snprintf(want, sizeof want, "%s\n", reason);
	cr_expect_str_eq(stored, want);
	free(stored);
	free(before);
}

/* ==== configuration values ================================================= */

Test(config_text, a_value_is_one_line_of_valid_utf8_without_invisible_characters)
{
	static const struct {
		const char *value, *says;
	} bad[] = {
		{"Pool\x01" "Account", "the value holds a control character (U+0001)"},
		{"Pool\x7F", "(U+007F)"},
		{"Pool\xC2\x85" "x", "(U+0085)"},
		{"\u67D0\u53BF\u200B\u4E13\u6237", "an invisible character (U+200B ZERO WIDTH SPACE)"},
		{"6222\u202E0202", "(U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"pool\xC0\xAF", "the value is not valid UTF-8"},
		{"pool\xED\xA0\x80", "the value is not valid UTF-8"},
		{"pool\xE4\xB8", "the value is not valid UTF-8"},
		{"pool\tname", "a control character (U+0009)"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[300];
		snprintf(text, sizeof text, "[pool]\nname = %s\naccount = 1\n", bad[i].value);
		const char *path = zt_test_write("bad.conf", text);
		struct zt_config *c = NULL;
		cr_expect_eq(zt_config_load(&c, path), ZT_EINVAL, "%zu was accepted", i);
		char want[700];
		snprintf(want, sizeof want, "%s:2: [pool] name: ", path);
		cr_expect(strstr(zt_error_last(), want) && strstr(zt_error_last(), bad[i].says),
		          "%zu: '%s' should say '%s' and '%s'", i, zt_error_last(), want, bad[i].says);
		zt_config_free(c);
	}
	/* Inner spaces, Chinese text: fine. */
	const char *good = zt_test_write("good.conf", "[pool]\nname = \u67D0\u53BF \u5065\u5EB7"
	                                              "\u6276\u8D2B\u3000\u4E13\u6237\n");
	struct zt_config *c = NULL;
	cr_assert_eq(zt_config_load(&c, good), 0, "%s", zt_error_last());
	cr_expect_str_eq(zt_config_get(c, "pool", "name"),
	                 "\u67D0\u53BF \u5065\u5EB7\u6276\u8D2B\u3000\u4E13\u6237");
	zt_config_free(c);
}
