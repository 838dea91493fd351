/* zhitong — hostile input (docs/spec/interfaces.md: a file that is not well-formed
 * or not a v1 document is refused whole; CONVENTIONS "XML": no network, no
 * entity expansion, no DTD, limits on everything from outside).
 *
 * Each class of hostile document is given to every command that reads XML
 * — claim submit, claim quote, registry load, rules load, rules check — and
 * must be refused with exit 2: nothing on stdout, nothing stored, no file
 * read on the document's behalf (the text of /etc/passwd never appears), and
 * the process neither hangs (`timeout 20`) nor balloons in memory (the peak
 * resident size of the children stays under HOSTILE_RSS_MAX_KB).
 *
 * The cases are in tests/cases/hostile, one per file and format
 * (claim-*, registry-*, policy-*); the two that are big by nature, 10,000
 * levels of nesting and a 20 MB text node, are written at run time. A claim
 * file holds a good claim before the hostile one: refusing the file whole
 * means the good claim is not settled either. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "testutil.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
/* Far above what refusing a document needs, far below what expanding one
 * of these would take. */
#define HOSTILE_RSS_MAX_KB (512L * 1024)
/* A line of /etc/passwd: if it shows up anywhere, a file was read. */
#define PASSWD_TEXT "root:x:0"





static void must(const char *db, const char *args)
{
	struct run r = sh("'%s' --db '%s' %s", ZT_TEST_ZHITONG, db, args);
	cr_assert_eq(r.code, 0, "%s: %s", args, r.err);
	run_free(&r);
}

static long long count(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *p = NULL;
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &p, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	long long n = sqlite3_step(p) == SQLITE_ROW ? sqlite3_column_int64(p, 0) : -1;
	sqlite3_finalize(p);
	sqlite3_close(h);
	return n;
}

/* ---- what every refusal must look like ---------------------------------- */

enum format { F_CLAIM, F_REGISTRY, F_POLICY };

static void no_passwd(const struct run *r, const char *what)
{
	cr_expect_null(strstr(r->out, PASSWD_TEXT), "%s: /etc/passwd on stdout", what);
	cr_expect_null(strstr(r->err, PASSWD_TEXT), "%s: /etc/passwd on stderr", what);
}

static void peak_memory_bounded(const char *what)
{
	struct rusage ru;
	cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	cr_expect_lt(ru.ru_maxrss, HOSTILE_RSS_MAX_KB, "%s: a child peaked at %ld kB", what, ru.ru_maxrss);
}

/* Exit 2, empty stdout, one line "zhitong: CODE: …" on stderr. */
static void refused_run(const struct run *r, const char *what)
{
	cr_expect_eq(r->code, 2, "%s: exit %d, expected 2 (124 = timed out)\nstderr: %.600s\nstdout: %.600s", what,
	             r->code, r->err, r->out);
	cr_expect_str_eq(r->out, "", "%s: stdout is not empty", what);
	/* refused as a document, not for some other reason */
	cr_expect(strncmp(r->err, "zhitong: malformed-xml: ", 24) == 0 ||
	              strncmp(r->err, "zhitong: schema-invalid: ", 25) == 0,
	          "%s: stderr: %.600s", what, r->err);
	size_t l = strlen(r->err);
	cr_expect(l > 0 && strchr(r->err, '\n') == r->err + l - 1, "%s: not one line on stderr: %.600s", what,
	          r->err);
	no_passwd(r, what);
}

static const char *claim_db(void)
{
	const char *db = tmp_path("claims.db");
	must(db, "init");
	must(db, "registry load '" REGISTRY "'");
	must(db, "rules load '" POLICY "'");
	return db;
}

static void nothing_settled(const char *db, const char *what)
{
	static const char *const tables[] = {"claim", "settlement", "settlement_fund", "accum", "transfer",
	                                     "account"};
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		char sql[100];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		cr_expect_eq(count(db, sql), 0, "%s: %s has rows", what, tables[i]);
	}
}

/* claim submit and claim quote refuse `file`. */
static void claim_refused(const char *file)
{
	const char *db = claim_db();
	static const char *const cmds[] = {"submit", "quote"};
	for (int i = 0; i < 2; i++) {
		char what[700];
		snprintf(what, sizeof what, "claim %s %s", cmds[i], strrchr(file, '/') + 1);
		struct run r = sh("timeout 20 '%s' --db '%s' claim %s '%s'", ZT_TEST_ZHITONG, db, cmds[i], file);
		refused_run(&r, what);
		run_free(&r);
		nothing_settled(db, what);
	}
	peak_memory_bounded(file);
}

static void registry_refused(const char *file)
{
	const char *db = tmp_path("registry.db");
	must(db, "init");
	char what[700];
	snprintf(what, sizeof what, "registry load %s", strrchr(file, '/') + 1);
	struct run r = sh("timeout 20 '%s' --db '%s' registry load '%s'", ZT_TEST_ZHITONG, db, file);
	refused_run(&r, what);
	run_free(&r);
	cr_expect_eq(count(db, "SELECT count(*) FROM hospital"), 0, "%s: hospitals stored", what);
	cr_expect_eq(count(db, "SELECT count(*) FROM person"), 0, "%s: people stored", what);
	cr_expect_eq(count(db, "SELECT count(*) FROM fund"), 0, "%s: funds stored", what);
	peak_memory_bounded(file);
}

static void rules_refused(const char *file)
{
	const char *db = tmp_path("rules.db");
	must(db, "init");
	must(db, "registry load '" REGISTRY "'");
	char what[700];
	snprintf(what, sizeof what, "rules load %s", strrchr(file, '/') + 1);
	struct run r = sh("timeout 20 '%s' --db '%s' rules load '%s'", ZT_TEST_ZHITONG, db, file);
	refused_run(&r, what);
	run_free(&r);
	cr_expect_eq(count(db, "SELECT count(*) FROM policy"), 0, "%s: a policy was stored", what);
	snprintf(what, sizeof what, "rules check %s", strrchr(file, '/') + 1);
	r = sh("timeout 20 '%s' rules check '%s'", ZT_TEST_ZHITONG, file);
	refused_run(&r, what);
	run_free(&r);
	peak_memory_bounded(file);
}

static void refused_everywhere(const char *class_name)
{
	char rel[200];
	snprintf(rel, sizeof rel, "hostile/claim-%s.xml", class_name);
	claim_refused(zt_test_case(rel));
	snprintf(rel, sizeof rel, "hostile/registry-%s.xml", class_name);
	registry_refused(zt_test_case(rel));
	snprintf(rel, sizeof rel, "hostile/policy-%s.xml", class_name);
	rules_refused(zt_test_case(rel));
}

/* ---- the classes ---------------------------------------------------------- */

Test(hostile, an_external_entity_is_refused) { refused_everywhere("external-entity"); }
Test(hostile, an_external_dtd_is_refused) { refused_everywhere("external-dtd"); }
Test(hostile, parameter_entities_are_refused) { refused_everywhere("parameter-entities"); }
Test(hostile, billion_laughs_is_refused) { refused_everywhere("billion-laughs"); }
Test(hostile, quadratic_blowup_is_refused) { refused_everywhere("quadratic-blowup"); }
Test(hostile, invalid_utf8_is_refused) { refused_everywhere("invalid-utf8"); }
Test(hostile, latin1_bytes_in_a_utf8_document_are_refused) { refused_everywhere("latin1-bytes"); }
Test(hostile, a_nul_byte_is_refused) { refused_everywhere("nul-byte"); }
/* libxml2 takes a NUL after the root for the end of the input; XML allows
 * none anywhere (found by fuzz_registry: tests/fuzz/regressions/registry). */
Test(hostile, nul_bytes_after_the_root_are_refused) { refused_everywhere("trailing-nul"); }

/* Writes a document of `format` with `bulk` (`reps` copies of `unit`,
 * then `reps` copies of `close`) where a value is read. */
static const char *big_document(enum format f, const char *name, const char *unit, const char *close_unit,
                                long reps)
{
	const char *path = tmp_path(name);
	FILE *o = fopen(path, "wb");
	cr_assert(o);
	static const char good_claim[] =
		"<claim><fixmedins_code>H51010101</fixmedins_code><claim_no>HOSTILE-GOOD</claim_no>"
		"<psn_no>P0000002</psn_no><adm_date>2017-03-01</adm_date><dscg_date>2017-03-10</dscg_date>"
		"<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>100.00</medfee_sumamt><items><item>"
		"<feedetl_sn>1</feedetl_sn><med_list_codg>X1</med_list_codg><med_chrgitm_type>05</med_chrgitm_type>"
		"<chrgitm_lv>01</chrgitm_lv><pric>100</pric><cnt>1</cnt><det_item_fee_sumamt>100.00</det_item_fee_sumamt>"
		"</item></items></claim>\n";
	if (f == F_CLAIM)
		fprintf(o, "<claims xmlns=\"urn:zhitong:claim:1\">\n%s<claim><fixmedins_code>", good_claim);
	else if (f == F_REGISTRY)
		fprintf(o, "<registry xmlns=\"urn:zhitong:registry:1\">\n<fund code=\"390100\" name=\"x\"/>\n"
		           "<hospital code=\"H1\" name=\"x\" level=\"2\" county=\"510101\">");
	char *policy = f == F_POLICY ? zt_test_slurp(POLICY) : NULL;
	char *after_items = NULL;
	if (f == F_POLICY) {
		/* the sample policy, with the bulk inside <items> */
		cr_assert(policy);
		static const char items[] = "<items b-selfpay-ratio=\"0.10\"/>";
		char *at = strstr(policy, items);
		cr_assert(at);
		*at = '\0';
		after_items = at + strlen(items);
		fprintf(o, "%s<items b-selfpay-ratio=\"0.10\">", policy);
	}
	for (long i = 0; i < reps; i++)
		fputs(unit, o);
	for (long i = 0; i < reps; i++)
		fputs(close_unit, o);
	if (f == F_CLAIM)
		fprintf(o, "</fixmedins_code><claim_no>HOSTILE-1</claim_no></claim>\n</claims>\n");
	else if (f == F_REGISTRY)
		fprintf(o, "</hospital>\n</registry>\n");
	else
		fprintf(o, "</items>%s", after_items);
	free(policy);
	cr_assert_eq(fclose(o), 0);
	return path;
}

Test(hostile, ten_thousand_levels_of_nesting_are_refused)
{
	claim_refused(big_document(F_CLAIM, "claim-deep.xml", "<x>", "</x>", 10000));
	registry_refused(big_document(F_REGISTRY, "registry-deep.xml", "<x>", "</x>", 10000));
	rules_refused(big_document(F_POLICY, "policy-deep.xml", "<x>", "</x>", 10000));
}

Test(hostile, a_20_mb_text_node_is_refused)
{
	/* 20 × 2^20 bytes of text in one node */
	static char chunk[1025];
	memset(chunk, 'A', 1024);
	claim_refused(big_document(F_CLAIM, "claim-20mb.xml", chunk, "", 20 * 1024));
	registry_refused(big_document(F_REGISTRY, "registry-20mb.xml", chunk, "", 20 * 1024));
	rules_refused(big_document(F_POLICY, "policy-20mb.xml", chunk, "", 20 * 1024));
	struct run r = sh("rm -rf '%s'", zt_test_tmpdir());
	run_free(&r);
}

/* A bomb of elements inside one claim (80 MB of <x/>, 20 million
 * elements): before it was expanded whole (2.5 GB); now the claim stops
 * being built at ZT_CLAIM_ELEMENTS_MAX, is rejected in its place and read
 * no further in flat memory, and the good claim before it settles. The
 * same for 80 MB of text past ZT_CLAIM_BYTES_MAX. (libxml2's reader itself
 * keeps the comments inside an element until the element ends: 40 MB of
 * comments cost some 100 MB with or without zhitong, `xmllint --stream`
 * too; that is libxml2's, and bounded by its own limits.) */
static void claim_rejected_in_flat_memory(const char *file, const char *limit)
{
	const char *db = claim_db();
	long peak_kb = 0;
	char *out = NULL, *err = NULL;
	int code = zt_test_run_peak(&peak_kb, &out, &err, "--db '%s' claim submit '%s'", db, file);
	cr_assert_eq(code, 1, "exit %d: %s", code, err);
	cr_assert(strstr(out, "claim_no=\"HOSTILE-GOOD\""), "%.1000s", out);
	cr_assert(strstr(out, "code=\"schema-invalid\""), "%.1000s", out);
	cr_assert(strstr(out, limit), "expected %s in: %.1000s", limit, out);
	cr_assert_eq(count(db, "SELECT count(*) FROM settlement"), 1);
#if !defined(__SANITIZE_ADDRESS__)
	cr_assert_lt(peak_kb, 64 * 1024, "%s: peak %ld KiB", file, peak_kb);
#endif
	free(out);
	free(err);
}

Test(hostile, a_claim_of_twenty_million_elements_is_rejected_without_being_built, .timeout = 300)
{
	claim_rejected_in_flat_memory(big_document(F_CLAIM, "claim-elements.xml", "<x/>", "", 20000000),
	                              "ZT_CLAIM_ELEMENTS_MAX");
	/* 80 MB of 1 KB elements: under the element limit, over the byte one */
	static char unit[1024 + 8];
	memset(unit, 't', sizeof unit - 1);
	memcpy(unit, "<x>", 3);
	memcpy(unit + sizeof unit - 5, "</x>", 4);
	claim_rejected_in_flat_memory(big_document(F_CLAIM, "claim-bytes.xml", unit, "", 80000),
	                              "ZT_CLAIM_BYTES_MAX");
	struct run r = sh("rm -rf '%s'", zt_test_tmpdir());
	run_free(&r);
}

/* ---- XInclude: never processed ---------------------------------------------- */

/* An <xi:include> is an unknown element to a v1 document: the claim is
 * schema-invalid (exit 1, one rejection) or the file is refused (exit 2);
 * either way nothing included is read and nothing is stored. */
static void claim_include_not_processed(const char *file)
{
	const char *db = claim_db();
	static const char *const cmds[] = {"submit", "quote"};
	for (int i = 0; i < 2; i++) {
		struct run r = sh("timeout 20 '%s' --db '%s' claim %s '%s'", ZT_TEST_ZHITONG, db, cmds[i], file);
		no_passwd(&r, cmds[i]);
		if (r.code == 2) {
			refused_run(&r, cmds[i]);
		} else {
			cr_expect_eq(r.code, 1, "claim %s: exit %d\n%s%s", cmds[i], r.code, r.out, r.err);
			cr_expect(strstr(r.out, "code=\"schema-invalid\""), "claim %s: %s", cmds[i], r.out);
			cr_expect_null(strstr(r.out, "<settlement "), "claim %s settled an XInclude: %s", cmds[i], r.out);
		}
		run_free(&r);
		nothing_settled(db, cmds[i]);
	}
}

Test(hostile, xinclude_of_etc_passwd_is_not_processed)
{
	claim_include_not_processed(zt_test_case("hostile/claim-xinclude.xml"));
	registry_refused(zt_test_case("hostile/registry-xinclude.xml"));
	rules_refused(zt_test_case("hostile/policy-xinclude.xml"));
}

/* The included text would make a valid claim and the included element a
 * valid registry record: neither must take effect. */
Test(hostile, xinclude_of_a_harmless_file_is_not_processed_either)
{
	const char *code = zt_test_write("code.txt", "H51010101");
	char claim[2000];
	snprintf(claim, sizeof claim,
	         "<claim xmlns=\"urn:zhitong:claim:1\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	         "<fixmedins_code><xi:include href=\"%s\" parse=\"text\"/></fixmedins_code>"
	         "<claim_no>XI-1</claim_no><psn_no>P0000002</psn_no><adm_date>2017-03-01</adm_date>"
	         "<dscg_date>2017-03-10</dscg_date><dscg_maindiag_code>I63.900</dscg_maindiag_code>"
	         "<medfee_sumamt>100.00</medfee_sumamt><items><item><feedetl_sn>1</feedetl_sn>"
	         "<med_list_codg>X1</med_list_codg><med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv>"
	         "<pric>100</pric><cnt>1</cnt><det_item_fee_sumamt>100.00</det_item_fee_sumamt></item></items></claim>\n",
	         code);
	claim_include_not_processed(zt_test_write("xi-claim.xml", claim));

	const char *fund = zt_test_write("fund.xml", "<fund xmlns=\"urn:zhitong:registry:1\" code=\"390200\" name=\"x\"/>\n");
	char reg[1000];
	snprintf(reg, sizeof reg,
	         "<registry xmlns=\"urn:zhitong:registry:1\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	         "<xi:include href=\"%s\"/></registry>\n",
	         fund);
	registry_refused(zt_test_write("xi-registry.xml", reg));
}

/* ---- the good parts of these files are fine ------------------------------------ */

/* The hostile files differ from good ones only in the hostile part: without
 * it the same commands succeed, so the refusals above are for the hostility
 * and not for something else in the files. */
Test(hostile, the_same_documents_without_the_hostile_part_are_accepted)
{
	char *text = zt_test_slurp(zt_test_case("hostile/claim-nul-byte.xml"));
	cr_assert(text);
	/* the NUL ends the string: rebuild the claim around the cut */
	char *cut = NULL;
	for (char *at = text; (at = strstr(at, "<fixmedins_code>")) != NULL; at++)
		cut = at; /* the last one: the hostile claim's */
	cr_assert(cut);
	char fixed[6000];
	snprintf(fixed, sizeof fixed, "%.*s<fixmedins_code>H51010101</fixmedins_code><claim_no>HOSTILE-1</claim_no>"
	                              "<psn_no>P0000002</psn_no><adm_date>2017-03-01</adm_date><dscg_date>2017-03-10</dscg_date>"
	                              "<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>100.00</medfee_sumamt>"
	                              "<items><item><feedetl_sn>1</feedetl_sn><med_list_codg>X1</med_list_codg>"
	                              "<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>100</pric>"
	                              "<cnt>1</cnt><det_item_fee_sumamt>100.00</det_item_fee_sumamt></item></items></claim>\n"
	                              "</claims>\n",
	         (int)(cut - text), text);
	const char *db = claim_db();
	struct run r = sh("'%s' --db '%s' claim submit '%s'", ZT_TEST_ZHITONG, db, zt_test_write("fixed.xml", fixed));
	cr_assert_eq(r.code, 0, "exit %d: %s%s", r.code, r.out, r.err);
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 2);
	run_free(&r);
	free(text);

	struct run p = sh("'%s' rules check '%s'", ZT_TEST_ZHITONG,
	                  big_document(F_POLICY, "policy-shallow.xml", "", "", 0));
	cr_assert_eq(p.code, 0, "%s", p.err);
	run_free(&p);

	const char *rdb = tmp_path("ok-registry.db");
	must(rdb, "init");
	struct run g = sh("'%s' --db '%s' registry load '%s'", ZT_TEST_ZHITONG, rdb,
	                  big_document(F_REGISTRY, "registry-shallow.xml", "", "", 0));
	/* a hospital with empty content is a valid record */
	cr_assert_eq(g.code, 0, "%s", g.err);
	cr_assert_eq(count(rdb, "SELECT count(*) FROM hospital"), 1);
	run_free(&g);
}

/* docs/spec/interfaces.md: text is UTF-8. A document declaring another encoding is
 * read as UTF-8 regardless (XML_PARSE_IGNORE_ENC): its Latin-1 bytes are
 * refused, never converted. */
Test(hostile, a_declared_latin1_document_is_read_as_utf8_and_refused)
{
	const char *path = zt_test_write("declared-latin1.xml",
	                                 "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
	                                 "<claim xmlns=\"urn:zhitong:claim:1\"><fixmedins_code>H51010101"
	                                 "</fixmedins_code><claim_no>Z\xe9</claim_no></claim>\n");
	claim_refused(path);
}
