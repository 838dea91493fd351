/* zhitong — the configuration file as documented (config.h; README
 * "Configuration"; issue 7, point 9): comments after values, section
 * headers read whole, the README's own example loaded as it stands. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "zhitong/config.h"
#include "zhitong/error.h"

static const char *conf(const char *text)
{
	const char *p = zt_test_write("zt.conf", text);
	chmod(p, 0600);
	return p;
}

static struct zt_config *load_ok(const char *text)
{
	struct zt_config *c = NULL;
	const char *p = conf(text);
	cr_assert_eq(zt_config_load(&c, p), 0, "%s\n---\n%s", zt_error_last(), text);
	return c;
}

/* Refused, with "PATH:LINE: " and `words` in the message. */
static void refused(const char *text, int line, const char *words)
{
	struct zt_config *c = NULL;
	const char *p = conf(text);
	cr_expect_eq(zt_config_load(&c, p), ZT_EINVAL, "accepted:\n%s", text);
	cr_expect_null(c);
	char where[700];
	snprintf(where, sizeof where, "%s:%d: ", p, line);
	const char *msg = zt_error_last();
	cr_expect(strncmp(msg, where, strlen(where)) == 0, "want '%s…' for\n%s\ngot %s", where, text, msg);
	cr_expect(strstr(msg, words) != NULL, "want '%s' for\n%s\ngot %s", words, text, msg);
}

static void expect_value(const struct zt_config *c, const char *section, const char *key,
                         const char *want)
{
	const char *v = zt_config_get(c, section, key);
	cr_expect(v != NULL, "[%s] %s is not set", section, key);
	if (v)
		cr_expect_str_eq(v, want, "[%s] %s", section, key);
}

/* ---- comments ------------------------------------------------------------- */

Test(config_comments, after_a_value_and_after_a_section_header)
{
	struct zt_config *c = load_ok("# a comment line\n"
	                              "; another\n"
	                              "   # indented\n"
	                              "[pool]   # the pool's bank account\n"
	                              "name = 某县健康扶贫资金专户   # in Chinese\n"
	                              "account = 6222020200112233445\t# a tab before it\n"
	                              "bic = ICBKCNBJSCN#not a comment: no white space before it\n"
	                              "currency = CNY # \n"
	                              "[fund 390100] #\n"
	                              "url = https://payer.example/zhitong#batches   # a fragment\n"
	                              "[advance]\n"
	                              "target-days = 30# 30 days, no space before the '#'\n");
	expect_value(c, "pool", "name", "某县健康扶贫资金专户");
	expect_value(c, "pool", "account", "6222020200112233445");
	expect_value(c, "pool", "bic", "ICBKCNBJSCN#not a comment: no white space before it");
	expect_value(c, "pool", "currency", "CNY");
	expect_value(c, "fund 390100", "url", "https://payer.example/zhitong#batches");
	/* '#' inside a word is text: the number is not a number */
	int64_t v;
	cr_expect_eq(zt_config_int(c, "advance", "target-days", 1, 1, 366, &v), ZT_EINVAL);
	zt_config_free(c);
	c = load_ok("[advance]\ntarget-days = 30   # thirty\nmin-topup = 100.00\t#\n");
	cr_expect_eq(zt_config_int(c, "advance", "target-days", 1, 1, 366, &v), 0);
	cr_expect_eq(v, 30);
	zt_fen f;
	cr_expect_eq(zt_config_amount(c, "advance", "min-topup", 0, &f), 0, "%s", zt_error_last());
	cr_expect_eq(f, 10000);
	zt_config_free(c);
}

Test(config_comments, a_key_whose_value_is_only_a_comment_is_refused)
{
	refused("[pool]\nname = Pool\nbic =   # to do\n", 3, "'bic' in [pool] has no value");
	refused("[pool]\nbic =\n", 2, "'bic' in [pool] has no value");
	refused("[pool]\n# name = x\n = 1\n", 3, "unknown setting ''");
}

/* ---- section headers -------------------------------------------------------- */

Test(config_sections, malformed_headers_are_refused_with_file_and_line)
{
	static const struct {
		const char *header, *words;
	} bad[] = {
		{"[fund 390100", "no closing ']'"},
		{"[pool", "no closing ']'"},
		{"[]", "no name"},
		{"[   ]", "no name"},
		{"[a b c]", "a section is one word ([pool]) or a kind and a name ([fund 390100])"},
		{"[fund 390100 extra]", "a section is one word"},
		{"[fund  ]", "section [fund] needs a name: [fund CODE]"},
		{"[hospital]", "section [hospital] needs a name"},
		{"[advance x]", "section [advance] takes no name (found [advance x])"},
		{"[signing key]", "section [signing] takes no name"},
		{"[pool] name = x", "text after ']'"},
		{"[pool]]", "text after ']'"},
		{"[pool]#note", "text after ']'"},
		{"[[pool]]", "'[' inside it"},
		{"[poo[l]", "'[' inside it"},
		{"[unknown]", "unknown section [unknown]"},
		{"[funds 390100]", "unknown section [funds 390100]"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[300];
		snprintf(text, sizeof text, "# line 1\n[advance]\ntarget-days = 30\n%s\nname = x\n",
		         bad[i].header);
		refused(text, 4, bad[i].words);
	}
}

Test(config_sections, well_formed_headers_are_read_with_their_white_space_collapsed)
{
	struct zt_config *c = load_ok("[ pool ]\nname = A\n"
	                              "[fund   390100]\ngateway = folder\n"
	                              "[hospital\tH51010101]   # tab inside\naccount = 1\n");
	expect_value(c, "pool", "name", "A");
	expect_value(c, "fund 390100", "gateway", "folder");
	expect_value(c, "hospital H51010101", "account", "1");
	zt_config_free(c);
}

Test(config_sections, a_key_outside_a_section_or_unknown_or_twice_is_refused)
{
	refused("name = x\n", 1, "expected 'key = value' inside a [section]");
	refused("[pool]\nnaem = x\n", 2, "unknown setting 'naem' in [pool]");
	refused("[pool]\nname = x\n\n[pool]\nname = y\n", 5, "'name' is set twice in [pool] (also line 2)");
	refused("[pool]\njust words\n", 2, "expected 'key = value'");
}

/* ---- dates ------------------------------------------------------------------ */

Test(config_dates, the_pool_time_zone_is_checked_at_load)
{
	static const char *const good[] = {"Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		char text[200];
		snprintf(text, sizeof text, "[pool]\ntimezone = %s   # the pool's zone\n", good[i]);
		struct zt_config *c = load_ok(text);
		expect_value(c, "pool", "timezone", good[i]);
		zt_config_free(c);
	}
	refused("[pool]\nname = P\ntimezone = Mars/Olympus\n", 3,
	        "[pool] timezone: unknown time zone 'Mars/Olympus'");
	refused("[pool]\ntimezone = ../../etc/passwd\n", 2, "unknown time zone");
	refused("[pool]\ntimezone = +08:00\n", 2, "unknown time zone");
	struct zt_config *c = load_ok("[reconcile]\nfuture-days = 5\n");
	int64_t v;
	cr_expect_eq(zt_config_int(c, "reconcile", "future-days", 3, 0, 366, &v), 0);
	cr_expect_eq(v, 5);
	zt_config_free(c);
}

/* ---- the README's example ------------------------------------------------------ */

/* The indented block that follows "### Configuration" in README.md, as a
 * file (malloc'd text). */
static char *readme_example(void)
{
	char *readme = zt_test_slurp(ZT_TEST_SOURCE_DIR "/README.md");
	cr_assert(readme != NULL);
	const char *p = strstr(readme, "\n### Configuration\n");
	cr_assert(p != NULL, "README.md has no '### Configuration'");
	/* the first line indented by four spaces, then every line that is
	 * indented or empty, up to the first that is neither */
	p = strstr(p, "\n    ");
	cr_assert(p != NULL);
	p++;
	size_t cap = strlen(p) + 1, len = 0;
	char *out = malloc(cap);
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (n >= 4 && strncmp(p, "    ", 4) == 0) {
			memcpy(out + len, p + 4, n - 4);
			len += n - 4;
		} else if (n != 0) {
			break;
		}
		out[len++] = '\n';
		p += n + (p[n] == '\n');
	}
	out[len] = '\0';
	free(readme);
	return out;
}

Test(config_readme, the_example_loads_and_means_what_it_says)
{
	char *text = readme_example();
	cr_assert(strstr(text, "[signing]") && strstr(text, "[reconcile]"), "%s", text);
	struct zt_config *c = load_ok(text);
	/* Every "key = value" line of the example, read by hand: the value is
	 * what precedes a '#' after white space, trimmed. */
	char section[128] = "";
	int checked = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *hash = NULL;
		for (char *q = line; *q && !hash; q++)
			if (*q == '#' && (q == line || isspace((unsigned char)q[-1])))
				hash = q;
		if (hash)
			*hash = '\0';
		char *eq = strchr(line, '=');
		if (line[0] == '[') {
			char *end = strchr(line, ']');
			cr_assert(end != NULL);
			*end = '\0';
			snprintf(section, sizeof section, "%s", line + 1);
			continue;
		}
		if (!eq)
			continue;
		*eq = '\0';
		char *key = line, *value = eq + 1;
		while (*key == ' ')
			key++;
		for (char *e = eq - 1; e >= key && *e == ' '; e--)
			*e = '\0';
		while (*value == ' ')
			value++;
		for (char *e = value + strlen(value) - 1; e >= value && *e == ' '; e--)
			*e = '\0';
		expect_value(c, section, key, value);
		checked++;
	}
	cr_expect(checked >= 20, "only %d settings checked", checked);
	expect_value(c, "pool", "bic", "ICBKCNBJSCN");
	expect_value(c, "pool", "timezone", "Asia/Shanghai");
	expect_value(c, "signing", "key", "/etc/zhitong/pool-sm2.pem");
	expect_value(c, "hospital H51010101", "target", "500000.00");
	expect_value(c, "fund 390100", "client-cert", "/etc/zhitong/pool.crt");
	int64_t v;
	cr_expect_eq(zt_config_int(c, "reconcile", "future-days", 3, 0, 366, &v), 0);
	cr_expect_eq(zt_config_int(c, "fund 390100", "max-attempts", 1, 1, 100, &v), 0);
	cr_expect_eq(v, 5);
	zt_config_free(c);
	free(text);
}

Test(config_readme, the_program_runs_with_it)
{
	char *text = readme_example();
	const char *p = conf(text);
	free(text);
	char *out = NULL, *err = NULL;
	int code = zt_test_run(&out, &err, "--db '%s' --config '%s' init", tmp_path("zt.db"), p);
	cr_expect_eq(code, 0, "%s%s", out, err);
	free(out);
	free(err);
}

/* ---- bytes that are no text, and the reader from memory --------------------- */

/* `n` bytes (NUL bytes included) as a configuration file. */
static const char *conf_bytes(const char *name, const char *bytes, size_t n)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/%s", zt_test_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	cr_assert(f != NULL, "cannot write %s", path);
	cr_assert_eq(fwrite(bytes, 1, n, f), n);
	fclose(f);
	chmod(path, 0600);
	return path;
}

/* Found by fuzzing (tests/fuzz/regressions/config/): a NUL byte ended what
 * was read of its line, so the rest of that line was read as nothing — a
 * file "\0" was an empty configuration, and a last line "currency = CN\0Y"
 * set CN. A NUL byte anywhere is refused, with its line, from a file and
 * from memory alike. */
Test(config_bytes, a_nul_byte_anywhere_is_refused_with_its_line)
{
	static const struct {
		const char *bytes;
		size_t n;
		int line;
	} cases[] = {
		{"\0", 1, 1},
		{"[pool]\nname = a\0b\n", 18, 2},
		{"[pool]\nname = ab\n\0", 18, 3},
		{"# a comment\0\n[pool]\n", 20, 1},
		{"[pool]\nname = x\ncurrency = CN\0Y", 31, 3},
		{"[pool\0]\n", 8, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *p = conf_bytes("nul.conf", cases[i].bytes, cases[i].n);
		char want[1200];
		struct zt_config *c = NULL;
		cr_expect_eq(zt_config_load(&c, p), ZT_EINVAL, "case %zu accepted", i);
		cr_expect_null(c);
		snprintf(want, sizeof want, "%s:%d: a NUL byte", p, cases[i].line);
		cr_expect(strncmp(zt_error_last(), want, strlen(want)) == 0, "case %zu: %s", i,
		          zt_error_last());
		cr_expect_eq(zt_config_parse(&c, "mem.conf", cases[i].bytes, cases[i].n), ZT_EINVAL,
		             "case %zu accepted from memory", i);
		cr_expect_null(c);
		snprintf(want, sizeof want, "mem.conf:%d: a NUL byte", cases[i].line);
		cr_expect(strncmp(zt_error_last(), want, strlen(want)) == 0, "case %zu: %s", i,
		          zt_error_last());
	}
}

Test(config_bytes, a_line_of_4096_bytes_is_read_and_a_longer_one_refused)
{
	for (size_t len = 4095; len <= 4098; len++) {
		char *text = malloc(len + 32);
		int n = snprintf(text, len + 32, "[pool]\nname = ");
		memset(text + n, 'x', len - (size_t)(n - 7));
		text[7 + len] = '\n';
		text[8 + len] = '\0';
		struct zt_config *c = NULL;
		int rc = zt_config_parse(&c, "long.conf", text, strlen(text));
		if (len <= ZT_CONFIG_LINE_BYTES_MAX) {
			cr_expect_eq(rc, 0, "%zu bytes: %s", len, zt_error_last());
			const char *v = zt_config_get(c, "pool", "name");
			cr_expect(v && strlen(v) == len - 7, "%zu bytes", len);
		} else {
			cr_expect_eq(rc, ZT_EINVAL, "%zu bytes accepted", len);
			cr_expect_str_eq(zt_error_last(), "long.conf:2: line longer than 4096 bytes");
		}
		zt_config_free(c);
		free(text);
	}
}

Test(config_bytes, the_reader_from_memory_reads_what_the_file_reader_reads)
{
	char *text = readme_example();
	struct zt_config *file = load_ok(text), *mem = NULL;
	cr_assert_eq(zt_config_parse(&mem, "README.md", text, strlen(text)), 0, "%s",
	             zt_error_last());
	cr_expect_str_eq(zt_config_path(mem), "README.md");
	static const char *const probe[][2] = {
		{"signing", "key"}, {"pool", "name"}, {"pool", "bic"}, {"pool", "timezone"},
		{"advance", "min-topup"}, {"hospital H51010101", "target"}, {"fund 390100", "url"},
		{"fund 610100", "inbox"}, {"reconcile", "future-days"}};
	for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
		const char *a = zt_config_get(file, probe[i][0], probe[i][1]);
		const char *b = zt_config_get(mem, probe[i][0], probe[i][1]);
		cr_expect(a && b && strcmp(a, b) == 0, "[%s] %s: '%s' and '%s'", probe[i][0],
		          probe[i][1], a ? a : "(none)", b ? b : "(none)");
	}
	zt_config_free(file);
	zt_config_free(mem);
	free(text);

	/* the text need not end with a NUL, and ends where its length says */
	const char *t = "[pool]\nname = abcdef   # more";
	cr_assert_eq(zt_config_parse(&mem, "m", t, 17), 0, "%s", zt_error_last());
	expect_value(mem, "pool", "name", "abc");
	zt_config_free(mem);
	/* nothing is an empty configuration; a refusal names the name given */
	cr_assert_eq(zt_config_parse(&mem, "m", "", 0), 0);
	cr_expect_null(zt_config_get(mem, "pool", "name"));
	zt_config_free(mem);
	mem = NULL;
	cr_expect_eq(zt_config_parse(&mem, "inline", "[pool]\nnaem = x\n", 16), ZT_EINVAL);
	cr_expect_null(mem);
	cr_expect_str_eq(zt_error_last(), "inline:2: unknown setting 'naem' in [pool]");
}
