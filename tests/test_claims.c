/* zhitong — claims end to end through the command line (docs/spec/interfaces.md
 * "Claim", "Settlement result", "Command line"; docs/spec/split.md §6, §7).
 *
 * Every test runs the built `zhitong` on a fresh database of its own (the
 * vectors_v2 suite also settles through the use case of `claim submit` in
 * its own process) and reads what it prints with libxml2; the database is inspected with SQLite
 * (row counts, the accumulators) and with the `sqlite3` shell (a dump).
 * Amounts printed are compared as exact decimal text or as integer fen
 * parsed from that text, never as floating point.
 *
 * Data: the sample registry and policy of rules/, the vector worlds of
 * tests/cases/vectors and tests/cases/vectors-v2, one claim case per file in tests/cases/claims, and
 * worlds made by `zhitong gen`. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define SETTLEMENT_XSD ZT_TEST_SOURCE_DIR "/schema/settlement.xsd"
#define NS " xmlns=\"urn:zhitong:claim:1\""

/* ---- running things ------------------------------------------------------ */




/* zhitong --db DB ARGS (a shell fragment). */
/* zhitong --db DB …, from testutil */
#define zt zt_test_db


/* A fresh database with a registry and a policy loaded. */
static const char *fresh_db(const char *name, const char *registry, const char *policy)
{
	const char *db = tmp_path(name);
	static char keep[4][600];
	static int next;
	char *d = keep[next++ % 4];
	snprintf(d, 600, "%s", db);
	struct run r = zt(d, "init");
	cr_assert_eq(r.code, 0, "init: %s", r.err);
	run_free(&r);
	r = zt(d, "registry load '%s'", registry);
	cr_assert_eq(r.code, 0, "registry load: %s", r.err);
	run_free(&r);
	r = zt(d, "rules load '%s'", policy);
	cr_assert_eq(r.code, 0, "rules load: %s", r.err);
	run_free(&r);
	return d;
}

static const char *sample_db(void) { return fresh_db("zt.db", REGISTRY, POLICY); }

static const char *claim_case(const char *name)
{
	char rel[300];
	snprintf(rel, sizeof rel, "claims/%s", name);
	return zt_test_case(rel);
}

/* Submits and requires exit 0; returns stdout (caller frees). */
static char *submit_ok(const char *db, const char *file)
{
	struct run r = zt(db, "claim submit '%s'", file);
	cr_assert_eq(r.code, 0, "submit %s: exit %d\nstderr: %s\nstdout: %s", file, r.code, r.err, r.out);
	free(r.err);
	return r.out;
}

static void verify_ok(const char *db)
{
	struct run r = zt(db, "verify");
	cr_assert_eq(r.code, 0, "verify: exit %d\n%s%s", r.code, r.out, r.err);
	cr_assert(strstr(r.out, "OK: 0 violations"), "verify printed:\n%s", r.out);
	run_free(&r);
}

/* Writes a copy of a case with every `from` replaced by `to`. */
static const char *case_with(const char *name, const char *from, const char *to, const char *out_name)
{
	char *text = zt_test_slurp(claim_case(name));
	cr_assert(text, "cannot read %s", name);
	size_t fl = strlen(from), tl = strlen(to), cap = strlen(text) * 2 + 1024, len = 0;
	char *res = malloc(cap);
	for (const char *p = text; *p;) {
		if (strncmp(p, from, fl) == 0) {
			memcpy(res + len, to, tl);
			len += tl;
			p += fl;
		} else {
			res[len++] = *p++;
		}
	}
	res[len] = '\0';
	const char *path = zt_test_write(out_name, res);
	free(res);
	free(text);
	return path;
}

/* ---- the database --------------------------------------------------------- */

/* Rows of a query, columns joined by '|', one line per row (caller frees). */
static char *rows(const char *db, const char *sql) { return zt_test_rows(db, "%s", sql); }

static long long count(const char *db, const char *sql) { return zt_test_sql_int(db, sql); }

/* What a claim can leave behind, as one line to compare. */
static char *stored(const char *db)
{
	return rows(db, "SELECT 'claim=' || (SELECT count(*) FROM claim)"
	                " || ' settlement=' || (SELECT count(*) FROM settlement)"
	                " || ' settlement_fund=' || (SELECT count(*) FROM settlement_fund)"
	                " || ' accum=' || (SELECT count(*) FROM accum)"
	                " || ' accum_total=' || (SELECT COALESCE(SUM(amount), 0) FROM accum)"
	                " || ' transfer=' || (SELECT count(*) FROM transfer)"
	                " || ' account=' || (SELECT count(*) FROM account)"
	                " || ' balances=' || (SELECT COALESCE(SUM(abs(balance)), 0) FROM account)");
}

/* A person's non-zero accumulators (a zero row means the same as none). */
static char *accum_of(const char *db, const char *psn_no)
{
	char sql[300];
	snprintf(sql, sizeof sql,
	         "SELECT year, slot, amount FROM accum WHERE psn_no = '%s' AND amount <> 0 ORDER BY year, slot",
	         psn_no);
	return rows(db, sql);
}

/* ---- reading answers ------------------------------------------------------ */

static xmlDocPtr parse_xml(const char *text)
{
	cr_assert(text && text[0], "no XML to parse");
	xmlDocPtr d = xmlReadMemory(text, (int)strlen(text), "answer.xml", NULL,
	                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_HUGE);
	cr_assert(d != NULL, "not well-formed:\n%.2000s", text);
	return d;
}

static bool is_el(const xmlNode *n) { return n && n->type == XML_ELEMENT_NODE; }

static xmlNode *first_el(xmlNode *parent)
{
	xmlNode *c = parent ? parent->children : NULL;
	while (c && !is_el(c))
		c = c->next;
	return c;
}

static xmlNode *next_el(xmlNode *n)
{
	n = n ? n->next : NULL;
	while (n && !is_el(n))
		n = n->next;
	return n;
}

static int count_el(xmlNode *parent)
{
	int n = 0;
	for (xmlNode *c = first_el(parent); c; c = next_el(c))
		n++;
	return n;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	for (xmlNode *c = first_el(parent); c; c = next_el(c))
		if (strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The i-th answer (0-based) of a <settlements> document. */
static xmlNode *answer(xmlDocPtr d, int i)
{
	xmlNode *root = xmlDocGetRootElement(d);
	cr_assert(root && strcmp((const char *)root->name, "settlements") == 0, "root is not <settlements>");
	cr_assert(root->ns && strcmp((const char *)root->ns->href, "urn:zhitong:settlement:1") == 0,
	          "<settlements> is not in urn:zhitong:settlement:1");
	xmlNode *c = first_el(root);
	for (int k = 0; k < i && c; k++)
		c = next_el(c);
	cr_assert(c != NULL, "there is no answer #%d", i + 1);
	return c;
}

static int answers(xmlDocPtr d) { return count_el(xmlDocGetRootElement(d)); }

static char *rotate(void)
{
	static char bufs[16][4096];
	static int next;
	return bufs[next++ % 16];
}

/* An attribute's value, or NULL when absent. */
static const char *prop(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	if (!v)
		return NULL;
	char *b = rotate();
	snprintf(b, 4096, "%s", (const char *)v);
	xmlFree(v);
	return b;
}

static const char *text(xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *b = rotate();
	const char *s = v ? (const char *)v : "";
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	snprintf(b, 4096, "%s", s);
	size_t l = strlen(b);
	while (l && (b[l - 1] == ' ' || b[l - 1] == '\n' || b[l - 1] == '\t' || b[l - 1] == '\r'))
		b[--l] = '\0';
	xmlFree(v);
	return b;
}

static const char *const SETLINFO[] = {
	"medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
	"act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "hifmi_pay", "maf_pay", "oth_pay",
	"fund_pay_sumamt", "hosp_part_amt", "psn_part_amt", "psn_cash_pay"};
#define SETLINFO_FIELDS ((int)(sizeof SETLINFO / sizeof *SETLINFO))

static xmlNode *as_settlement(xmlNode *n)
{
	cr_assert_str_eq((const char *)n->name, "settlement", "expected a <settlement>, got <%s> (%s %s): %s",
	                 (const char *)n->name, prop(n, "code") ? prop(n, "code") : "",
	                 prop(n, "claim_no") ? prop(n, "claim_no") : "", text(n));
	return n;
}

/* A setlinfo field of a settlement, as printed. */
static const char *info(xmlNode *settlement, const char *field)
{
	xmlNode *si = child(as_settlement(settlement), "setlinfo");
	cr_assert(si, "no <setlinfo>");
	xmlNode *f = child(si, field);
	cr_assert(f, "no <%s> in <setlinfo>", field);
	return text(f);
}

/* Yuan text with exactly two decimals → integer fen (no floats). */
static long long fen(const char *s)
{
	const char *p = s;
	bool neg = *p == '-';
	if (neg)
		p++;
	long long v = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		v = v * 10 + (*p - '0');
	cr_assert(digits >= 1 && digits <= 14 && p[0] == '.' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	          p[2] <= '9' && p[3] == '\0', "'%s' is not an amount with two decimals", s);
	v = v * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return neg ? -v : v;
}

static long long info_fen(xmlNode *st, const char *field) { return fen(info(st, field)); }

/* The setldetail of a settlement as "code=amount code=amount". */
static const char *detail(xmlNode *settlement)
{
	xmlNode *sd = child(as_settlement(settlement), "setldetail");
	cr_assert(sd, "no <setldetail>");
	char line[4096] = "";
	for (xmlNode *f = first_el(sd); f; f = next_el(f)) {
		cr_assert_str_eq((const char *)f->name, "fund");
		size_t l = strlen(line);
		snprintf(line + l, sizeof line - l, "%s%s=%s", l ? " " : "", prop(f, "fund_pay_type"),
		         prop(f, "fund_payamt"));
	}
	char *b = rotate();
	snprintf(b, 4096, "%s", line);
	return b;
}

static void expect_rejection(xmlNode *n, const char *code, const char *hospital, const char *claim_no)
{
	cr_assert_str_eq((const char *)n->name, "rejection", "expected a <rejection code=%s>, got <%s>", code,
	                 (const char *)n->name);
	cr_assert_str_eq(prop(n, "code"), code, "message: %s", text(n));
	if (hospital)
		cr_assert_str_eq(prop(n, "fixmedins_code") ? prop(n, "fixmedins_code") : "(absent)", hospital);
	else
		cr_assert_null(prop(n, "fixmedins_code"));
	if (claim_no)
		cr_assert_str_eq(prop(n, "claim_no") ? prop(n, "claim_no") : "(absent)", claim_no);
	else
		cr_assert_null(prop(n, "claim_no"));
	cr_assert_gt(strlen(text(n)), 0, "a rejection explains itself");
}

/* Removes every ` setl_id="…"` (a quote has none; the rest must match). */
static char *without_setl_ids(const char *xml)
{
	char *res = strdup(xml), *w = res;
	for (const char *p = xml; *p;) {
		if (strncmp(p, " setl_id=\"", 10) == 0) {
			const char *q = strchr(p + 10, '"');
			cr_assert(q);
			p = q + 1;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return res;
}

/* Long texts (dumps): on a difference, show the first line that differs. */
#define same_text zt_test_same_text

static void xsd_valid(const char *xml)
{
	const char *f = zt_test_write("answer.xml", xml);
	struct run r = sh("xmllint --noout --schema '%s' '%s'", SETTLEMENT_XSD, f);
	cr_assert_eq(r.code, 0, "the answer does not validate against settlement.xsd:\n%s", r.err);
	run_free(&r);
}

/* ---- the vector worlds ---------------------------------------------------- */

/* Every setlinfo field and every setldetail line of every settlement,
 * in order, against expected.xml. */
static void check_world(const char *world)
{
	char dir[512], reg[600], pol[600], claims[600], exp_path[600];
	snprintf(dir, sizeof dir, "%s/vectors/%s", ZT_TEST_CASES, world);
	snprintf(reg, sizeof reg, "%s/registry.xml", dir);
	snprintf(pol, sizeof pol, "%s/policy.xml", dir);
	snprintf(claims, sizeof claims, "%s/claims.xml", dir);
	snprintf(exp_path, sizeof exp_path, "%s/expected.xml", dir);
	const char *db = fresh_db("world.db", reg, pol);
	char *out = submit_ok(db, claims);
	char *exp_text = zt_test_slurp(exp_path);
	cr_assert(exp_text);
	xmlDocPtr got = parse_xml(out), want = parse_xml(exp_text);
	int n = answers(want);
	cr_assert_eq(n, 40, "%s: expected.xml holds %d settlements", world, n);
	cr_assert_eq(answers(got), n, "%s: %d answers for %d claims", world, answers(got), n);
	for (int i = 0; i < n; i++) {
		xmlNode *g = as_settlement(answer(got, i)), *w = as_settlement(answer(want, i));
		char no[64];
		snprintf(no, sizeof no, "%s", prop(w, "claim_no"));
		cr_assert(prop(g, "setl_id") && prop(g, "setl_id")[0], "%s: no setl_id", no);
		static const char *const attrs[] = {"fixmedins_code", "claim_no", "psn_no"};
		for (int a = 0; a < 3; a++)
			cr_assert_str_eq(prop(g, attrs[a]), prop(w, attrs[a]), "%s: claim #%d: %s", world, i + 1,
			                 attrs[a]);
		/* the same fields in the same order */
		xmlNode *gf = first_el(child(g, "setlinfo")), *wf = first_el(child(w, "setlinfo"));
		int k = 0;
		for (; gf && wf; gf = next_el(gf), wf = next_el(wf), k++) {
			cr_assert_str_eq((const char *)gf->name, SETLINFO[k], "%s %s: field #%d", world, no, k + 1);
			cr_assert_str_eq((const char *)wf->name, SETLINFO[k]);
			char gv[64], wv[64];
			snprintf(gv, sizeof gv, "%s", text(gf));
			snprintf(wv, sizeof wv, "%s", text(wf));
			cr_expect_str_eq(gv, wv, "%s claim %s: <%s> is %s, expected %s", world, no, SETLINFO[k], gv, wv);
		}
		cr_assert(!gf && !wf && k == SETLINFO_FIELDS, "%s %s: setlinfo has other fields", world, no);
		char gd[512], wd[512];
		snprintf(gd, sizeof gd, "%s", detail(g));
		snprintf(wd, sizeof wd, "%s", detail(w));
		cr_expect_str_eq(gd, wd, "%s claim %s: setldetail is '%s', expected '%s'", world, no, gd, wd);
	}
	xmlFreeDoc(got);
	xmlFreeDoc(want);
	free(out);
	free(exp_text);
	verify_ok(db);
}

Test(vectors, world_1001_settles_every_claim_as_expected) { check_world("world-1001"); }
Test(vectors, world_1002_settles_every_claim_as_expected) { check_world("world-1002"); }
Test(vectors, world_1003_settles_every_claim_as_expected) { check_world("world-1003"); }
Test(vectors, world_1004_settles_every_claim_as_expected) { check_world("world-1004"); }

/* ---- the worlds of rules v2 and claim v2, end to end --------------------------------
 * tests/cases/vectors-v2: six worlds whose expected.xml was computed by
 * tests/reference/split_ref.py from the specification alone. Each is
 * loaded into a fresh database (registry v2, the catalogue, the policy),
 * its claims.xml submitted once through the use case of `claim submit`
 * (zt_settle_source, the answer rendered by the settlement XML sink as the
 * command line renders it) and every answer compared to expected.xml to
 * the fen; then `verify` must be clean. The same six through the built
 * program once more: vectors_v2.through_the_command_line. */

#define V2_CLAIMS_PER_WORLD 60
static const char *const V2_WORLDS[] = {"world-2001", "world-2002", "world-2003",
                                        "world-2004", "world-2101", "world-2102"};
#define V2_WORLD_COUNT ((int)(sizeof V2_WORLDS / sizeof *V2_WORLDS))

static const char *v2_file(const char *world, const char *name)
{
	char *b = rotate();
	snprintf(b, 4096, "%s/vectors-v2/%s/%s", ZT_TEST_CASES, world, name);
	return b;
}

/* A fresh database DIR/world.db with the world's registry, catalogue and
 * policy loaded through the program. No [rules] approval and no [county]
 * catalog setting: a catalogue takes effect when loaded, and a claim
 * discharged before its effective-from keeps its own values
 * (docs/spec/rules-v2.md §2), as the worlds expect. */
static const char *v2_world_db(const char *world)
{
	char name[64];
	snprintf(name, sizeof name, "%s.db", world);
	const char *db = tmp_path(name);
	static char keep[2][600];
	static int next;
	char *d = keep[next++ % 2];
	snprintf(d, 600, "%s", db);
	free(zt_test_db_ok(d, "init"));
	free(zt_test_db_ok(d, "registry load '%s'", v2_file(world, "registry.xml")));
	char *out = zt_test_db_ok(d, "catalog load '%s'", v2_file(world, "catalog.xml"));
	cr_assert(strstr(out, "loaded: catalogue") && !strstr(out, "pending"), "%s: catalog load: %s",
	          world, out);
	free(out);
	free(zt_test_db_ok(d, "rules load '%s'", v2_file(world, "policy.xml")));
	return d;
}

/* The claims of a claims file (the root's element children). */
static int claims_in(const char *path)
{
	char *t = zt_test_slurp(path);
	cr_assert(t, "cannot read %s", path);
	xmlDocPtr d = parse_xml(t);
	int n = count_el(xmlDocGetRootElement(d));
	xmlFreeDoc(d);
	free(t);
	return n;
}

/* The element children's names of `n`, as "a b c". */
static const char *child_names(xmlNode *n)
{
	char *b = rotate();
	b[0] = '\0';
	for (xmlNode *c = first_el(n); c; c = next_el(c)) {
		size_t l = strlen(b);
		snprintf(b + l, 4096 - l, "%s%s", l ? " " : "", (const char *)c->name);
	}
	return b;
}

static bool is_amount_field(const char *name) { return strcmp(name, "pool_prop_selfpay") != 0; }

/* Compares one answer of the engine (`g`) with the expected one (`w`):
 * a rejection's hospital, claim number and code; a settlement's
 * identifiers, every setlinfo field (the same fields in the same order:
 * pool_prop_selfpay absent where expected), every setldetail line and the
 * <national setl_id>. Counts the settlements that name catalogue `cat`. */
static void compare_answer(const char *world, int i, xmlNode *g, xmlNode *w, bool stored, const char *cat,
                           int *with_catalogue)
{
	const char *wname = (const char *)w->name;
	char no[64];
	snprintf(no, sizeof no, "%s", prop(w, "claim_no") ? prop(w, "claim_no") : "?");
	cr_assert_str_eq((const char *)g->name, wname, "%s claim #%d %s: <%s> (%s), expected <%s> %s",
	                 world, i + 1, no, (const char *)g->name, prop(g, "code") ? prop(g, "code") : "",
	                 wname, prop(w, "code") ? prop(w, "code") : "");
	static const char *const ids[] = {"fixmedins_code", "claim_no", "psn_no"};
	if (strcmp(wname, "rejection") == 0) {
		for (int a = 0; a < 2; a++)
			cr_assert_str_eq(prop(g, ids[a]) ? prop(g, ids[a]) : "(absent)", prop(w, ids[a]),
			                 "%s claim #%d: %s", world, i + 1, ids[a]);
		cr_expect_str_eq(prop(g, "code"), prop(w, "code"), "%s claim %s: rejected %s (%s), expected %s",
		                 world, no, prop(g, "code"), text(g), prop(w, "code"));
		return;
	}
	cr_assert_str_eq(wname, "settlement");
	for (int a = 0; a < 3; a++)
		cr_assert_str_eq(prop(g, ids[a]), prop(w, ids[a]), "%s claim #%d: %s", world, i + 1, ids[a]);
	if (stored)
		cr_assert(prop(g, "setl_id") && prop(g, "setl_id")[0], "%s %s: no setl_id", world, no);
	const char *gc = prop(g, "catalog");
	if (gc) {
		cr_expect_str_eq(gc, cat, "%s %s: settled under catalogue %s", world, no, gc);
		(*with_catalogue)++;
	}
	/* setlinfo, setldetail and, for a claim that carried one, national */
	char gk[200], wk[200];
	snprintf(gk, sizeof gk, "%s", child_names(g));
	snprintf(wk, sizeof wk, "%s", child_names(w));
	cr_assert_str_eq(gk, wk, "%s %s: the settlement holds <%s>, expected <%s>", world, no, gk, wk);
	xmlNode *gi = child(g, "setlinfo"), *wi = child(w, "setlinfo");
	snprintf(gk, sizeof gk, "%s", child_names(gi));
	snprintf(wk, sizeof wk, "%s", child_names(wi));
	cr_assert_str_eq(gk, wk, "%s %s: setlinfo has the fields\n  %s\nexpected\n  %s", world, no, gk, wk);
	xmlNode *wn = child(w, "national");
	cr_assert_eq(child(wi, "pool_prop_selfpay") == NULL, wn != NULL,
	             "%s %s: pool_prop_selfpay is absent exactly when the claim carried <national>", world,
	             no);
	for (xmlNode *gf = first_el(gi), *wf = first_el(wi); gf && wf; gf = next_el(gf), wf = next_el(wf)) {
		const char *field = (const char *)wf->name;
		char gv[64], wv[64];
		snprintf(gv, sizeof gv, "%s", text(gf));
		snprintf(wv, sizeof wv, "%s", text(wf));
		if (is_amount_field(field))
			cr_expect_eq(fen(gv), fen(wv), "%s claim %s: <%s> is %s, expected %s", world, no, field,
			             gv, wv);
		else
			cr_expect_str_eq(gv, wv, "%s claim %s: <%s> is %s, expected %s", world, no, field, gv, wv);
	}
	char gd[1024], wd[1024];
	snprintf(gd, sizeof gd, "%s", detail(g));
	snprintf(wd, sizeof wd, "%s", detail(w));
	cr_expect_str_eq(gd, wd, "%s claim %s: setldetail is '%s', expected '%s'", world, no, gd, wd);
	if (wn) {
		xmlNode *gn = child(g, "national");
		cr_expect_str_eq(prop(gn, "setl_id") ? prop(gn, "setl_id") : "(absent)", prop(wn, "setl_id"),
		                 "%s claim %s: <national setl_id>", world, no);
	}
}

/* A settlement document valid under the schema of its version
 * (settlement.xsd, settlement-v2.xsd). */
static void xsd_valid_as(const char *xml, const char *what)
{
	bool v2 = strstr(xml, "urn:zhitong:settlement:2") != NULL;
	const char *xsd = v2 ? ZT_TEST_SOURCE_DIR "/schema/settlement-v2.xsd" : SETTLEMENT_XSD;
	const char *f = zt_test_write("answer.xml", xml);
	struct run r = sh("xmllint --noout --schema '%s' '%s'", xsd, f);
	cr_assert_eq(r.code, 0, "%s does not validate against %s:\n%s", what, xsd, r.err);
	run_free(&r);
}

/* Every answer of `got` (the settlement XML of a submit) against the
 * world's expected.xml, both valid under the schema of their version;
 * returns the answers compared. */
static int compare_world(const char *world, const char *got_text)
{
	char *exp_text = zt_test_slurp(v2_file(world, "expected.xml"));
	char *cat_text = zt_test_slurp(v2_file(world, "catalog.xml"));
	cr_assert(exp_text && cat_text);
	xsd_valid_as(got_text, "the answer");
	xsd_valid_as(exp_text, "expected.xml");
	xmlDocPtr got = parse_xml(got_text), want = parse_xml(exp_text), catd = parse_xml(cat_text);
	char cat[64];
	xmlChar *cid = xmlGetProp(xmlDocGetRootElement(catd), BAD_CAST "id");
	cr_assert(cid);
	snprintf(cat, sizeof cat, "%s", (const char *)cid);
	xmlFree(cid);
	xmlNode *groot = xmlDocGetRootElement(got), *wroot = xmlDocGetRootElement(want);
	cr_assert_str_eq((const char *)groot->name, "settlements");
	cr_assert(groot->ns && wroot->ns);
	cr_assert_str_eq((const char *)groot->ns->href, (const char *)wroot->ns->href,
	                 "%s: the answer's version", world);
	int n = count_el(wroot), compared = 0, with_catalogue = 0;
	cr_assert_eq(count_el(groot), n, "%s: %d answers, %d expected", world, count_el(groot), n);
	xmlNode *g = first_el(groot), *w = first_el(wroot);
	for (; g && w; g = next_el(g), w = next_el(w), compared++)
		compare_answer(world, compared, g, w, true, cat, &with_catalogue);
	/* every world has its catalogue in force for some of the year */
	cr_expect_gt(with_catalogue, 0, "%s: no settlement names catalogue %s", world, cat);
	xmlFreeDoc(got);
	xmlFreeDoc(want);
	xmlFreeDoc(catd);
	free(exp_text);
	free(cat_text);
	return compared;
}

static int expected_rejections(const char *world)
{
	char *t = zt_test_slurp(v2_file(world, "expected.xml"));
	cr_assert(t);
	int n = 0;
	for (const char *p = t; (p = strstr(p, "<rejection ")); p++)
		n++;
	free(t);
	return n;
}

/* One world through the use case; returns the answers compared. */
static int check_world_v2(const char *world)
{
	const char *db = v2_world_db(world);
	const char *claims = v2_file(world, "claims.xml");
	int n_claims = claims_in(claims);
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert(mem);
	struct zt_settle_opts o = {.actor = "vectors-v2"};
	struct zt_settle_stats st;
	int rc = zt_test_settle_file(s, claims, &o, mem, &st);
	const char *err = rc ? zt_error_last() : "";
	cr_assert_eq(fclose(mem), 0);
	zt_store_close(s);
	cr_assert_eq(rc, 0, "%s: submit: %s", world, err);
	cr_assert_eq(st.claims, (uint64_t)n_claims, "%s: %llu claims read of %d", world,
	             (unsigned long long)st.claims, n_claims);
	cr_assert_eq(st.resent, 0);
	cr_expect_eq(st.rejected, (uint64_t)expected_rejections(world), "%s: %llu rejected", world,
	             (unsigned long long)st.rejected);
	int compared = compare_world(world, buf);
	free(buf);
	cr_assert_eq(compared, n_claims, "%s: %d answers compared for %d claims", world, compared,
	             n_claims);
	verify_ok(db);
	return compared;
}

Test(vectors_v2, world_2001_catalogue_and_periods)
{
	cr_assert_eq(check_world_v2("world-2001"), V2_CLAIMS_PER_WORLD);
}
Test(vectors_v2, world_2002_claims_v2_under_a_full_policy)
{
	cr_assert_eq(check_world_v2("world-2002"), V2_CLAIMS_PER_WORLD);
}
Test(vectors_v2, world_2003_a_catalogue_from_july)
{
	cr_assert_eq(check_world_v2("world-2003"), V2_CLAIMS_PER_WORLD);
}
Test(vectors_v2, world_2004_policy_v2_mode_full_catalogue_from_march)
{
	cr_assert_eq(check_world_v2("world-2004"), V2_CLAIMS_PER_WORLD);
}
Test(vectors_v2, world_2101_supplementary)
{
	cr_assert_eq(check_world_v2("world-2101"), V2_CLAIMS_PER_WORLD);
}
Test(vectors_v2, world_2102_supplementary_with_a_catalogue_from_april)
{
	cr_assert_eq(check_world_v2("world-2102"), V2_CLAIMS_PER_WORLD);
}

/* The same six worlds through `zhitong claim submit`: exit 1 (some claims
 * are rejected), the same answers, 360 in all, verify clean. */
Test(vectors_v2, through_the_command_line, .timeout = 300)
{
	int total = 0;
	for (int k = 0; k < V2_WORLD_COUNT; k++) {
		const char *db = v2_world_db(V2_WORLDS[k]);
		struct run r = zt(db, "claim submit '%s'", v2_file(V2_WORLDS[k], "claims.xml"));
		cr_assert_eq(r.code, 1, "%s: exit %d\n%s", V2_WORLDS[k], r.code, r.err);
		total += compare_world(V2_WORLDS[k], r.out);
		run_free(&r);
		verify_ok(db);
	}
	cr_assert_eq(total, V2_WORLD_COUNT * V2_CLAIMS_PER_WORLD);
	cr_assert_eq(total, 360);
}

/* ---- the worked example (docs/spec/split.md §7) ------------------------------------- */

Test(worked_example, settles_to_the_fen_as_in_split_md_section_7)
{
	const char *db = sample_db();
	char *out = submit_ok(db, claim_case("worked-example.xml"));
	xmlDocPtr d = parse_xml(out);
	cr_assert_eq(answers(d), 1);
	xmlNode *st = as_settlement(answer(d, 0));
	const char *setl_id = prop(st, "setl_id");
	cr_assert(setl_id && setl_id[0] && strlen(setl_id) <= 30, "setl_id '%s'", setl_id ? setl_id : "");
	cr_assert_str_eq(prop(st, "fixmedins_code"), "H51010101");
	cr_assert_str_eq(prop(st, "claim_no"), "ZY2017-000123");
	cr_assert_str_eq(prop(st, "psn_no"), "P0000001");
	cr_assert_null(prop(st, "reverses"));
	static const char *const want[SETLINFO_FIELDS] = {
		"10500.00", /* medfee_sumamt */
		"500.00",   /* fulamt_ownpay_amt: the 丙 item */
		"0.00",     /* overlmt_selfpay: 25.00 is under the 30.00 ceiling */
		"200.00",   /* preselfpay_amt: 10% of the 乙 item */
		"9800.00",  /* inscp_scp_amt */
		"200.00",   /* act_pay_dedc: 400.00 × 0.5 for the poor, in county */
		"0.8500",   /* pool_prop_selfpay: 0.80 + 0.05 */
		"8160.00",  /* hifp_pay: (9800 − 200) × 0.85 */
		"0.00",     /* hifmi_pay: base 1640 is under the poor threshold 5000 */
		"1148.00",  /* maf_pay: 1640 × 0.70 */
		"142.00",   /* oth_pay: psn0 1192 − target 1050 */
		"9450.00",  /* fund_pay_sumamt */
		"0.00",     /* hosp_part_amt: the relief fund closed the gap */
		"1050.00",  /* psn_part_amt: 10% of 10500 */
		"1050.00",  /* psn_cash_pay */
	};
	for (int i = 0; i < SETLINFO_FIELDS; i++)
		cr_expect_str_eq(info(st, SETLINFO[i]), want[i], "<%s>", SETLINFO[i]);
	cr_assert_str_eq(detail(st), "390100=8160.00 610100=1148.00 610103=142.00");

	/* each fund carries its trace, with the numbers of the example */
	xmlNode *sd = child(st, "setldetail");
	static const char *const kinds[] = {"basic", "assistance", "relief"};
	int i = 0;
	for (xmlNode *f = first_el(sd); f; f = next_el(f), i++) {
		cr_assert_eq(count_el(f), 1, "fund %s has no trace", prop(f, "fund_pay_type"));
		cr_assert_str_eq((const char *)first_el(f)->name, kinds[i]);
	}
	xmlNode *basic = first_el(first_el(sd));
	cr_expect_str_eq(prop(basic, "deductible"), "200.00");
	cr_expect_str_eq(prop(basic, "ratio"), "0.8500");
	cr_expect_str_eq(prop(basic, "pay"), "8160.00");
	xmlNode *assist = first_el(next_el(first_el(sd)));
	cr_expect_str_eq(prop(assist, "base"), "1640.00");
	cr_expect_str_eq(prop(assist, "pay"), "1148.00");
	xmlNode *relief = first_el(next_el(next_el(first_el(sd))));
	cr_expect_str_eq(prop(relief, "psn0"), "1192.00");
	cr_expect_str_eq(prop(relief, "target"), "1050.00");
	cr_expect_str_eq(prop(relief, "gap-after"), "0.00");
	xmlFreeDoc(d);

	xsd_valid(out);
	free(out);
	verify_ok(db);
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 1);
	char *acc = accum_of(db, "P0000001");
	cr_assert_str_eq(acc, "2017|assist|114800\n2017|basic|816000\n2017|crit_base|164000\n"
	                      "2017|relief:610103|14200\n");
	free(acc);
}

/* ---- rejections ------------------------------------------------------------- */

/* Submits `file` (with extra options) to a sample database that already
 * holds one settled claim; the answer must be exactly one rejection with
 * `code`, exit 1, and nothing of the claim stored. Returns the message. */
static const char *rejected(const char *file, const char *opts, const char *code, const char *hospital,
                            const char *claim_no)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("out-of-county.xml")));
	char *before = stored(db);
	struct run r = zt(db, "claim submit %s '%s'", opts, file);
	cr_assert_eq(r.code, 1, "exit %d, expected 1\nstderr: %s\nstdout: %s", r.code, r.err, r.out);
	xsd_valid(r.out);
	xmlDocPtr d = parse_xml(r.out);
	cr_assert_eq(answers(d), 1);
	xmlNode *n = answer(d, 0);
	expect_rejection(n, code, hospital, claim_no);
	const char *msg = text(n);
	char *after = stored(db);
	cr_assert_str_eq(after, before, "a rejected claim left something behind");
	xmlFreeDoc(d);
	run_free(&r);
	free(before);
	free(after);
	verify_ok(db);
	return msg;
}

Test(rejection, schema_invalid_when_a_required_element_is_missing)
{
	const char *m = rejected(claim_case("schema-missing-element.xml"), "", "schema-invalid", "H51010101",
	                         "BAD-MISSING");
	cr_expect(strstr(m, "dscg_maindiag_code"), "the message names what is missing: %s", m);
}

Test(rejection, schema_invalid_for_an_unknown_element)
{
	const char *m = rejected(claim_case("schema-unknown-element.xml"), "", "schema-invalid", "H51010101",
	                         "BAD-UNKNOWN");
	cr_expect(strstr(m, "ward"), "the message names the element: %s", m);
}

Test(rejection, schema_invalid_for_an_amount_with_one_decimal)
{
	rejected(claim_case("schema-amount-one-decimal.xml"), "", "schema-invalid", "H51010101", "BAD-1DEC");
}

Test(rejection, schema_invalid_for_an_amount_in_exponent_form)
{
	rejected(claim_case("schema-amount-exponent.xml"), "", "schema-invalid", "H51010101", "BAD-EXP");
}

Test(rejection, schema_invalid_for_a_negative_amount)
{
	rejected(claim_case("schema-amount-negative.xml"), "", "schema-invalid", "H51010101", "BAD-NEG");
}

Test(rejection, schema_invalid_for_an_amount_with_a_leading_zero)
{
	rejected(claim_case("schema-amount-leading-zero.xml"), "", "schema-invalid", "H51010101", "BAD-LEAD0");
}

Test(rejection, schema_invalid_for_a_repeated_feedetl_sn)
{
	const char *m = rejected(claim_case("schema-repeated-feedetl-sn.xml"), "", "schema-invalid",
	                         "H51010101", "BAD-SN");
	cr_expect(strstr(m, "feedetl_sn"), "%s", m);
}

Test(rejection, schema_invalid_for_a_31_character_psn_no)
{
	rejected(claim_case("schema-psn-no-31-chars.xml"), "", "schema-invalid", "H51010101", "BAD-PSN31");
}

Test(rejection, schema_invalid_for_an_impossible_date)
{
	const char *m = rejected(claim_case("schema-impossible-date.xml"), "", "schema-invalid", "H51010101",
	                         "BAD-DATE");
	/* the message says what is wrong with the date */
	cr_expect(strstr(m, "2017-02-30"), "the message should name the date: '%s'", m);
}

/* A claim of n items of 1.00 each. */
static const char *claim_of_items(int n, const char *claim_no)
{
	size_t cap = (size_t)n * 260 + 2048, len = 0;
	char *x = malloc(cap);
	len += (size_t)sprintf(x + len,
	                       "<claim xmlns=\"urn:zhitong:claim:1\"><fixmedins_code>H51010101</fixmedins_code>"
	                       "<claim_no>%s</claim_no><psn_no>P0000002</psn_no><adm_date>2017-05-01</adm_date>"
	                       "<dscg_date>2017-05-09</dscg_date><dscg_maindiag_code>I63.900</dscg_maindiag_code>"
	                       "<medfee_sumamt>%d.00</medfee_sumamt><items>\n",
	                       claim_no, n);
	for (int i = 1; i <= n; i++)
		len += (size_t)sprintf(x + len,
		                       "<item><feedetl_sn>%d</feedetl_sn><med_list_codg>X%d</med_list_codg>"
		                       "<med_chrgitm_type>09</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>1</pric>"
		                       "<cnt>1</cnt><det_item_fee_sumamt>1.00</det_item_fee_sumamt></item>\n",
		                       i, i);
	sprintf(x + len, "</items></claim>\n");
	char name[64];
	snprintf(name, sizeof name, "items-%d.xml", n);
	const char *path = zt_test_write(name, x);
	free(x);
	return path;
}

Test(rejection, schema_invalid_for_10001_items_never_truncated)
{
	/* counted while the claim streams: the 10,001st item stops the reading
	 * of the claim, before it is validated (limits.h) */
	const char *m = rejected(claim_of_items(10001, "ITEMS-10001"), "", "schema-invalid", "H51010101",
	                         "ITEMS-10001");
	cr_assert(strstr(m, "more than 10000 items (ZT_ITEMS_PER_CLAIM_MAX)"), "%s", m);
}

Test(rejection, ten_thousand_items_are_allowed)
{
	const char *db = sample_db();
	char *out = submit_ok(db, claim_of_items(10000, "ITEMS-10000"));
	xmlDocPtr d = parse_xml(out);
	/* general person, level 2: (10000 − 400) × 0.80 */
	cr_assert_str_eq(info(answer(d, 0), "medfee_sumamt"), "10000.00");
	cr_assert_str_eq(info(answer(d, 0), "hifp_pay"), "7680.00");
	cr_assert_eq(count(db, "SELECT item_count FROM claim"), 10000);
	xmlFreeDoc(d);
	free(out);
}

Test(rejection, duplicate_claim_no_for_the_same_pair_with_other_contents)
{
	const char *db = sample_db();
	char *first = submit_ok(db, claim_case("worked-example.xml"));
	char *before = stored(db);
	struct run r = zt(db, "claim submit '%s'", claim_case("worked-example-changed-item.xml"));
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xmlDocPtr d = parse_xml(r.out);
	expect_rejection(answer(d, 0), "duplicate-claim-no", "H51010101", "ZY2017-000123");
	char *after = stored(db);
	cr_assert_str_eq(after, before);
	/* the settlement made stands */
	char *again = submit_ok(db, claim_case("worked-example.xml"));
	cr_assert_str_eq(again, first);
	xmlFreeDoc(d);
	run_free(&r);
	free(first);
	free(again);
	free(before);
	free(after);
}

Test(rejection, unknown_hospital)
{
	rejected(claim_case("unknown-hospital.xml"), "", "unknown-hospital", "H99999999", "UNK-H");
}

Test(rejection, unknown_person)
{
	const char *m = rejected(claim_case("unknown-person.xml"), "", "unknown-person", "H51010101", "UNK-P");
	cr_expect(strstr(m, "P9999999"), "%s", m);
}

Test(rejection, bad_dates_when_admitted_after_discharge)
{
	rejected(claim_case("bad-dates-admission-after-discharge.xml"), "", "bad-dates", "H51010101", "BAD-ADM");
}

Test(rejection, bad_dates_when_discharged_in_the_future)
{
	rejected(claim_case("bad-dates-discharge-in-future.xml"), "", "bad-dates", "H51010101", "BAD-FUTURE");
}

Test(rejection, bad_dates_when_discharged_after_today)
{
	/* discharged 2017-03-10: the future on 2017-03-09, settled on the day itself */
	rejected(claim_case("worked-example.xml"), "--today 2017-03-09", "bad-dates", "H51010101",
	         "ZY2017-000123");
	const char *db = fresh_db("today.db", REGISTRY, POLICY);
	struct run r = zt(db, "claim submit --today 2017-03-10 '%s'", claim_case("worked-example.xml"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(rejection, no_policy_outside_the_policy_dates)
{
	rejected(claim_case("no-policy.xml"), "", "no-policy", "H51010101", "NO-POL");
}

Test(rejection, amount_mismatch_when_an_item_is_not_price_times_quantity)
{
	const char *m = rejected(claim_case("amount-mismatch-item.xml"), "", "amount-mismatch", "H51010101",
	                         "MISMATCH-ITEM");
	cr_expect(strstr(m, "2000.01") && strstr(m, "2000.00"), "%s", m);
}

Test(rejection, amount_mismatch_when_the_items_do_not_sum_to_medfee_sumamt)
{
	rejected(claim_case("amount-mismatch-sum.xml"), "", "amount-mismatch", "H51010101", "MISMATCH-SUM");
}

Test(rejection, amount_mismatch_when_price_times_quantity_overflows)
{
	rejected(claim_case("amount-mismatch-overflow.xml"), "", "amount-mismatch", "H51010101",
	         "MISMATCH-OVF");
}

Test(rejection, unknown_hospital_comes_before_bad_dates)
{
	rejected(claim_case("precedence-unknown-hospital-and-bad-dates.xml"), "", "unknown-hospital",
	         "H99999999", "PREC-1");
}

Test(rejection, unknown_person_comes_before_no_policy_and_amount_mismatch)
{
	rejected(claim_case("precedence-unknown-person-and-no-policy.xml"), "", "unknown-person", "H51010101",
	         "PREC-2");
}

Test(rejection, bad_dates_come_before_no_policy)
{
	rejected(claim_case("precedence-bad-dates-and-no-policy.xml"), "", "bad-dates", "H51010101", "PREC-3");
}

Test(rejection, schema_invalid_comes_before_everything)
{
	rejected(claim_case("precedence-schema-and-unknown-hospital.xml"), "", "schema-invalid", "H99999999",
	         "PREC-4");
}

Test(rejection, attributes_carry_only_what_could_be_read)
{
	const char *m = rejected(claim_case("schema-missing-fixmedins-code.xml"), "", "schema-invalid", NULL,
	                         "BAD-NO-HOSPITAL");
	cr_expect(strstr(m, "fixmedins_code"), "%s", m);

	/* an element that is not a claim, inside <claims>: nothing to read */
	const char *db = sample_db();
	char *good = zt_test_slurp(claim_case("worked-example.xml"));
	char x[8000];
	snprintf(x, sizeof x, "<claims" NS ">\n<note>not a claim</note>\n%s</claims>\n", strstr(good, "<claim "));
	struct run r = zt(db, "claim submit '%s'", zt_test_write("note.xml", x));
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xmlDocPtr d = parse_xml(r.out);
	cr_assert_eq(answers(d), 2);
	expect_rejection(answer(d, 0), "schema-invalid", NULL, NULL);
	cr_assert_str_eq(info(answer(d, 1), "hifp_pay"), "8160.00");
	xmlFreeDoc(d);
	run_free(&r);
	free(good);
}

Test(rejection, duplicate_claim_no_comes_before_unknown_person)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	const char *other = case_with("worked-example.xml", "P0000001", "P9999999", "other-person.xml");
	struct run r = zt(db, "claim submit '%s'", other);
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xmlDocPtr d = parse_xml(r.out);
	expect_rejection(answer(d, 0), "duplicate-claim-no", "H51010101", "ZY2017-000123");
	xmlFreeDoc(d);
	run_free(&r);
}

Test(rejection, rejected_and_settled_claims_are_answered_in_input_order)
{
	const char *db = sample_db();
	struct run r = zt(db, "claim submit '%s'", claim_case("mixed-settled-and-rejected.xml"));
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xsd_valid(r.out);
	xmlDocPtr d = parse_xml(r.out);
	cr_assert_eq(answers(d), 6);
	cr_assert_str_eq(prop(as_settlement(answer(d, 0)), "claim_no"), "MIX-1");
	expect_rejection(answer(d, 1), "unknown-hospital", "H99999999", "MIX-2");
	cr_assert_str_eq(prop(as_settlement(answer(d, 2)), "claim_no"), "MIX-3");
	expect_rejection(answer(d, 3), "amount-mismatch", "H51010101", "MIX-4");
	expect_rejection(answer(d, 4), "schema-invalid", "H51010101", "MIX-5");
	cr_assert_str_eq(prop(as_settlement(answer(d, 5)), "claim_no"), "MIX-6");
	/* the three settled claims, and only they, are stored */
	char *claims = rows(db, "SELECT claim_no FROM claim ORDER BY id");
	cr_assert_str_eq(claims, "MIX-1\nMIX-3\nMIX-6\n");
	cr_assert_eq(count(db, "SELECT count(*) FROM settlement"), 3);
	char *acc = accum_of(db, "P0000001");
	cr_assert_str_eq(acc, "", "the rejected claims of P0000001 moved its accumulators");
	free(acc);
	free(claims);
	xmlFreeDoc(d);
	run_free(&r);
	verify_ok(db);
}

Test(rejection, a_rejected_claim_no_can_be_used_again)
{
	const char *db = sample_db();
	struct run r = zt(db, "claim submit '%s'", claim_case("amount-mismatch-sum.xml"));
	cr_assert_eq(r.code, 1);
	run_free(&r);
	const char *fixed = case_with("worked-example.xml", "ZY2017-000123", "MISMATCH-SUM", "fixed.xml");
	char *out = submit_ok(db, fixed);
	xmlDocPtr d = parse_xml(out);
	cr_assert_str_eq(prop(as_settlement(answer(d, 0)), "claim_no"), "MISMATCH-SUM");
	cr_assert_str_eq(info(answer(d, 0), "hifp_pay"), "8160.00");
	xmlFreeDoc(d);
	free(out);
}

/* ---- idempotency --------------------------------------------------------------- */

Test(idempotency, the_same_claim_again_returns_the_same_settlement_and_stores_nothing)
{
	const char *db = sample_db();
	char *first = submit_ok(db, claim_case("worked-example.xml"));
	char *before = stored(db);
	char *audit_before = rows(db, "SELECT count(*) FROM audit");
	char *second = submit_ok(db, claim_case("worked-example.xml"));
	cr_assert_str_eq(second, first, "a resent claim is answered with the settlement already made");
	char *after = stored(db);
	cr_assert_str_eq(after, before);
	char *audit_after = rows(db, "SELECT count(*) FROM audit");
	cr_assert_str_eq(audit_after, audit_before);
	free(first);
	free(second);
	free(before);
	free(after);
	free(audit_before);
	free(audit_after);
}

Test(idempotency, the_same_claim_with_other_white_space_is_the_same_claim)
{
	const char *db = sample_db();
	char *first = submit_ok(db, claim_case("worked-example.xml"));
	char *before = stored(db);
	char *second = submit_ok(db, claim_case("worked-example-whitespace.xml"));
	cr_assert_str_eq(second, first);
	char *after = stored(db);
	cr_assert_str_eq(after, before);
	free(first);
	free(second);
	free(before);
	free(after);
}

Test(idempotency, the_same_claim_in_another_lexical_form_is_the_same_claim)
{
	const char *db = sample_db();
	char *first = submit_ok(db, claim_case("worked-example.xml"));
	char *before = stored(db);
	char *second = submit_ok(db, claim_case("worked-example-other-lexical-form.xml"));
	cr_assert_str_eq(second, first);
	char *after = stored(db);
	cr_assert_str_eq(after, before);
	free(first);
	free(second);
	free(before);
	free(after);
}

Test(idempotency, the_same_claim_twice_in_one_file_is_settled_once)
{
	const char *db = sample_db();
	char *c = zt_test_slurp(claim_case("worked-example.xml"));
	char *body = strstr(c, "<claim ");
	cr_assert(body);
	size_t n = strlen(body) * 2 + 200;
	char *list = malloc(n);
	snprintf(list, n, "<claims xmlns=\"urn:zhitong:claim:1\">\n%s%s</claims>\n", body, body);
	char *out = submit_ok(db, zt_test_write("twice.xml", list));
	xmlDocPtr d = parse_xml(out);
	cr_assert_eq(answers(d), 2);
	cr_assert_str_eq(prop(answer(d, 1), "setl_id"), prop(answer(d, 0), "setl_id"));
	cr_assert_str_eq(info(answer(d, 1), "hifp_pay"), "8160.00");
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 1);
	cr_assert_eq(count(db, "SELECT count(*) FROM settlement"), 1);
	xmlFreeDoc(d);
	free(out);
	free(list);
	free(c);
}

/* ---- claims of one person: tiers, caps (sample policy) ------------------------- */

/* One claim of one item at level `lv` (01 甲, 03 丙) for `amount` yuan. */
static const char *one_item_claim(const char *xml_ns, const char *hospital, const char *claim_no,
                                  const char *psn_no, const char *dscg, const char *lv, const char *amount)
{
	char *b = rotate();
	snprintf(b, 4096,
	         "<claim%s><fixmedins_code>%s</fixmedins_code><claim_no>%s</claim_no><psn_no>%s</psn_no>"
	         "<adm_date>%s</adm_date><dscg_date>%s</dscg_date><dscg_maindiag_code>C34.900</dscg_maindiag_code>"
	         "<medfee_sumamt>%s</medfee_sumamt><items><item><feedetl_sn>1</feedetl_sn>"
	         "<med_list_codg>X0001</med_list_codg><med_chrgitm_type>05</med_chrgitm_type>"
	         "<chrgitm_lv>%s</chrgitm_lv><pric>%s</pric><cnt>1</cnt><det_item_fee_sumamt>%s</det_item_fee_sumamt>"
	         "</item></items></claim>\n",
	         xml_ns, hospital, claim_no, psn_no, dscg, dscg, amount, lv, amount, amount);
	return b;
}

/* Five claims of P0000005 (poor, in county at H51010101, level 2): D =
 * 400 × 0.5 = 200.00, R = 0.85; critical threshold 5000 (poor), tiers
 * 0.65 / 0.75 / 0.85 with the bonus, no critical cap for the poor;
 * assistance 0.70 up to 30000.00 a year; personal cap 10%. */
static const char *tier_claims(void)
{
	char *x = malloc(20000);
	int l = sprintf(x, "<claims" NS ">\n");
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "T-1", "P0000005", "2017-02-10", "01", "100000.00"));
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "T-2", "P0000005", "2017-04-10", "01", "100000.00"));
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "T-3", "P0000005", "2017-06-10", "01", "100000.00"));
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "T-4", "P0000005", "2017-08-10", "01", "20000.00"));
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "T-5", "P0000005", "2017-10-10", "03", "10000.00"));
	sprintf(x + l, "</claims>\n");
	const char *p = zt_test_write("tiers.xml", x);
	free(x);
	return p;
}

struct want {
	const char *hifp, *hifmi, *maf, *oth, *hosp, *psn, *detail;
};

static void expect_amounts(xmlNode *st, const struct want *w)
{
	const char *no = prop(st, "claim_no");
	cr_expect_str_eq(info(st, "hifp_pay"), w->hifp, "%s hifp_pay", no);
	cr_expect_str_eq(info(st, "hifmi_pay"), w->hifmi, "%s hifmi_pay", no);
	cr_expect_str_eq(info(st, "maf_pay"), w->maf, "%s maf_pay", no);
	cr_expect_str_eq(info(st, "oth_pay"), w->oth, "%s oth_pay", no);
	cr_expect_str_eq(info(st, "hosp_part_amt"), w->hosp, "%s hosp_part_amt", no);
	cr_expect_str_eq(info(st, "psn_part_amt"), w->psn, "%s psn_part_amt", no);
	cr_expect_str_eq(detail(st), w->detail, "%s setldetail", no);
	cr_assert_eq(info_fen(st, "fund_pay_sumamt") + info_fen(st, "hosp_part_amt") +
	                 info_fen(st, "psn_part_amt"),
	             info_fen(st, "medfee_sumamt"), "%s does not conserve money", no);
}

Test(tiers, critical_tiers_are_crossed_across_claims_and_caps_bind)
{
	const char *db = sample_db();
	char *out = submit_ok(db, tier_claims());
	xmlDocPtr d = parse_xml(out);
	cr_assert_eq(answers(d), 5);
	static const struct want w[5] = {
		/* T-1, 100000.00: hifp (100000 − 200) × 0.85 = 84830.00. critical base
		 * 100000 − 84830 = 15170, cumulative 0 → 15170: [5000, 15170) × 0.65 =
		 * 6610.50. assistance (100000 − 84830 − 6610.50) × 0.70 = 8559.50 × 0.7
		 * = 5991.65. psn0 2567.85 < target 10000: no gap. */
		{"84830.00", "6610.50", "5991.65", "0.00", "0.00", "2567.85",
		 "390100=84830.00 390200=6610.50 610100=5991.65"},
		/* T-2: raw 84830.00 but only 150000 − 84830 = 65170.00 is left: the
		 * basic cap binds. base 34830, cumulative 15170 → 50000 (the tier
		 * edge): 34830 × 0.65 = 22639.50. assistance 12190.50 × 0.7 = 8533.35
		 * (paid 14525.00 now). psn0 3657.15. */
		{"65170.00", "22639.50", "8533.35", "0.00", "0.00", "3657.15",
		 "390100=65170.00 390200=22639.50 610100=8533.35"},
		/* T-3: basic exhausted → 0. base 100000, cumulative 50000 → 150000:
		 * [50000, 100000) × 0.75 = 37500 + [100000, 150000) × 0.85 = 42500 →
		 * 80000.00. assistance 20000 × 0.7 = 14000.00 (paid 28525.00). */
		{"0.00", "80000.00", "14000.00", "0.00", "0.00", "6000.00", "390200=80000.00 610100=14000.00"},
		/* T-4, 20000.00: cumulative 150000 → 170000 × 0.85 = 17000.00.
		 * assistance raw 3000 × 0.7 = 2100 but 30000 − 28525 = 1475.00 is
		 * left: the assistance cap binds. psn0 1525.00 < target 2000.00. */
		{"0.00", "17000.00", "1475.00", "0.00", "0.00", "1525.00", "390200=17000.00 610100=1475.00"},
		/* T-5, 10000.00 of 丙: nothing in scope, so no fund but relief: psn0
		 * 10000, target 1000.00, the relief fund pays the gap 9000.00. */
		{"0.00", "0.00", "0.00", "9000.00", "0.00", "1000.00", "610103=9000.00"},
	};
	for (int i = 0; i < 5; i++)
		expect_amounts(answer(d, i), &w[i]);
	cr_expect_str_eq(info(answer(d, 2), "act_pay_dedc"), "200.00", "the deductible applies to every claim");
	cr_expect_str_eq(info(answer(d, 4), "act_pay_dedc"), "0.00", "min(D, inscp 0)");
	/* the year's totals: basic 150000.00, critical base 170000.00, critical
	 * paid 126250.00, assistance 30000.00, relief 9000.00 */
	char *acc = accum_of(db, "P0000005");
	cr_assert_str_eq(acc, "2017|assist|3000000\n2017|basic|15000000\n2017|crit_base|17000000\n"
	                      "2017|crit_paid|12625000\n2017|relief:610103|900000\n");
	free(acc);
	xmlFreeDoc(d);
	free(out);
	verify_ok(db);
}

Test(tiers, the_critical_cap_binds_for_a_general_person_and_setldetail_may_be_empty)
{
	const char *db = sample_db();
	char *x = malloc(8000);
	int l = sprintf(x, "<claims" NS ">\n");
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "G-1", "P0000002", "2017-02-10", "01", "600000.00"));
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "G-2", "P0000002", "2017-03-10", "01", "10000.00"));
	sprintf(x + l, "</claims>\n");
	char *out = submit_ok(db, zt_test_write("general.xml", x));
	xmlDocPtr d = parse_xml(out);
	/* G-1: raw (600000 − 400) × 0.80 = 479680 > cap 150000.00. base 450000:
	 * [10000, 50000) × 0.6 = 24000 + [50000, 100000) × 0.7 = 35000 +
	 * [100000, 450000) × 0.8 = 280000 → 339000 > cap 300000.00. A general
	 * person has no assistance and no personal cap. */
	static const struct want g1 = {"150000.00", "300000.00", "0.00", "0.00", "0.00", "150000.00",
	                               "390100=150000.00 390200=300000.00"};
	/* G-2: both caps are used up: every fund pays 0 and setldetail is empty. */
	static const struct want g2 = {"0.00", "0.00", "0.00", "0.00", "0.00", "10000.00", ""};
	expect_amounts(answer(d, 0), &g1);
	expect_amounts(answer(d, 1), &g2);
	cr_assert_eq(count_el(child(answer(d, 1), "setldetail")), 0);
	xsd_valid(out);
	xmlFreeDoc(d);
	free(out);
	free(x);
	verify_ok(db);
}

/* docs/spec/split.md §0: the policy is the one in force on the discharge date; the
 * accumulators are per calendar year and carry across policy versions. */
Test(tiers, accumulators_carry_across_policy_versions_and_restart_each_year)
{
	const char *db = fresh_db("versions.db", REGISTRY, claim_case("policy-2017h1.xml"));
	struct run r = zt(db, "rules load '%s'", claim_case("policy-from-2017-07.xml"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *x = malloc(10000);
	int l = sprintf(x, "<claims" NS ">\n");
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "Y-1", "P0000002", "2017-03-10", "01", "100000.00"));
	char y2[4096];
	snprintf(y2, sizeof y2, "%s", one_item_claim("", "H51010101", "Y-2", "P0000002", "2017-07-02", "01", "100000.00"));
	char *adm = strstr(y2, "<adm_date>2017-07-02");
	cr_assert(adm);
	memcpy(adm + 10, "2017-06-25", 10); /* admitted under the first policy */
	l += sprintf(x + l, "%s", y2);
	l += sprintf(x + l, "%s", one_item_claim("", "H51010101", "Y-3", "P0000002", "2018-01-15", "01", "100000.00"));
	sprintf(x + l, "</claims>\n");
	char *out = submit_ok(db, zt_test_write("versions.xml", x));
	xmlDocPtr d = parse_xml(out);
	/* Y-1 (first policy, R 0.80): (100000 − 400) × 0.8 = 79680.00; critical
	 * base 20320, [10000, 20320) × 0.6 = 6192.00. */
	cr_expect_str_eq(info(answer(d, 0), "pool_prop_selfpay"), "0.8000");
	cr_expect_str_eq(info(answer(d, 0), "hifp_pay"), "79680.00");
	cr_expect_str_eq(info(answer(d, 0), "hifmi_pay"), "6192.00");
	/* Y-2 (discharged under the second policy, R 0.90, cap 100000.00): raw
	 * 89640.00 but 100000 − 79680 = 20320.00 is left of the year's cap; base
	 * 79680, cumulative 20320 → 100000: 29680 × 0.6 + 50000 × 0.7 = 52808.00. */
	cr_expect_str_eq(info(answer(d, 1), "pool_prop_selfpay"), "0.9000");
	cr_expect_str_eq(info(answer(d, 1), "hifp_pay"), "20320.00");
	cr_expect_str_eq(info(answer(d, 1), "hifmi_pay"), "52808.00");
	/* Y-3, a new year: everything starts at 0 again. raw 89640.00 is paid;
	 * base 10360, [10000, 10360) × 0.6 = 216.00. */
	cr_expect_str_eq(info(answer(d, 2), "hifp_pay"), "89640.00");
	cr_expect_str_eq(info(answer(d, 2), "hifmi_pay"), "216.00");
	char *acc = accum_of(db, "P0000002");
	cr_assert_str_eq(acc, "2017|basic|10000000\n2017|crit_base|10000000\n2017|crit_paid|5900000\n"
	                      "2018|basic|8964000\n2018|crit_base|1036000\n2018|crit_paid|21600\n");
	free(acc);
	xmlFreeDoc(d);
	free(out);
	free(x);
	verify_ok(db);
}

/* The largest amount the format allows (14 digits) is settled exactly:
 * nothing overflows on the way. */
Test(tiers, the_largest_allowed_amount_is_settled_to_the_fen)
{
	const char *db = sample_db();
	char x[5000];
	snprintf(x, sizeof x, "%s",
	         one_item_claim(NS, "H51010101", "HUGE-1", "P0000001", "2017-03-10", "01", "99999999999999.00"));
	char *out = submit_ok(db, zt_test_write("huge.xml", x));
	xmlDocPtr d = parse_xml(out);
	/* P0000001, poor, in county. basic: the cap, 150000.00. critical base
	 * 99999999849999.00: 45000 × 0.65 + 50000 × 0.75 + (99999999849999 −
	 * 100000) × 0.85 = 29250 + 37500 + 84999999787499.15. assistance: its
	 * cap, 30000.00. psn0 = 99999999999999 − 150000 − 84999999854249.15 −
	 * 30000 = 14999999965749.85; target floor(10%) = 9999999999999.90; the
	 * relief fund pays the gap 4999999965749.95. */
	static const struct want w = {"150000.00", "84999999854249.15", "30000.00", "4999999965749.95", "0.00",
	                              "9999999999999.90",
	                              "390100=150000.00 390200=84999999854249.15 610100=30000.00 610103=4999999965749.95"};
	expect_amounts(answer(d, 0), &w);
	xmlFreeDoc(d);
	free(out);
	verify_ok(db);
}

/* ---- text in claims -------------------------------------------------------- */

Test(text, lengths_are_counted_in_characters_not_bytes)
{
	const char *db = sample_db();
	char no40[200] = "", no41[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(no40, "住"); /* 3 bytes in UTF-8 */
	snprintf(no41, sizeof no41, "%s院", no40);
	const char *f40 = case_with("worked-example.xml", "ZY2017-000123", no40, "cjk40.xml");
	char *out = submit_ok(db, f40);
	xmlDocPtr d = parse_xml(out);
	cr_assert_str_eq(prop(as_settlement(answer(d, 0)), "claim_no"), no40);
	xmlFreeDoc(d);
	free(out);
	const char *f41 = case_with("worked-example.xml", "ZY2017-000123", no41, "cjk41.xml");
	struct run r = zt(db, "claim submit '%s'", f41);
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	d = parse_xml(r.out);
	expect_rejection(answer(d, 0), "schema-invalid", "H51010101", no41);
	xmlFreeDoc(d);
	run_free(&r);
}

Test(text, markup_characters_in_a_claim_no_are_escaped_in_the_answer)
{
	const char *db = sample_db();
	const char *f = case_with("worked-example.xml", "ZY2017-000123", "ZY&amp;&lt;1&gt;&quot;&apos;", "markup.xml");
	char *out = submit_ok(db, f);
	xsd_valid(out);
	xmlDocPtr d = parse_xml(out);
	cr_assert_str_eq(prop(as_settlement(answer(d, 0)), "claim_no"), "ZY&<1>\"'");
	xmlFreeDoc(d);
	free(out);
	char *stored_no = rows(db, "SELECT claim_no FROM claim");
	cr_assert_str_eq(stored_no, "ZY&<1>\"'\n");
	free(stored_no);
	struct run r = zt(db, "claim reverse --hospital H51010101 --claim-no 'ZY&<1>\"'\"'\"'' --reason x");
	cr_assert_eq(r.code, 0, "exit %d: %s%s", r.code, r.out, r.err);
	run_free(&r);
}

/* ---- identifiers (docs/spec/interfaces.md "Lexical rules") ----------------- */

static void refused(const char *file, const char *stderr_code);

/* Each identifier of the worked example, "<tag>value<", and what replaces
 * its value: head + a bad character + tail. */
static const struct {
	const char *tag, *value, *head, *tail;
	size_t max_chars;
} IDENTS[] = {
	{"fixmedins_code", "H51010101", "H510", "10101", 30},
	{"claim_no", "ZY2017-000123", "ZY2017", "-000123", 40},
	{"psn_no", "P0000001", "P000", "0001", 30},
	{"dscg_maindiag_code", "I63.900", "I63", ".900", 20},
	{"feedetl_sn", "1", "1", "0", 30},
	{"med_list_codg", "ZZ0001", "ZZ", "0001", 50},
};

/* Characters no identifier may hold anywhere: white space inside (XSD
 * pattern), controls, zero-width and bidirectional controls — some known
 * to libxml2's Unicode tables (the schema refuses them), some only to
 * libunistring's (the reader refuses them: U+2066, U+061C). */
static const char *const BAD_IN_IDENT[] = {
	" ",            /* an inner space */
	"\u00A0",       /* NO-BREAK SPACE */
	"\u3000",       /* IDEOGRAPHIC SPACE */
	"\u200B",       /* ZERO WIDTH SPACE */
	"\u200D",       /* ZERO WIDTH JOINER */
	"\uFEFF",       /* ZERO WIDTH NO-BREAK SPACE (BOM) */
	"\u00AD",       /* SOFT HYPHEN */
	"\u202E",       /* RIGHT-TO-LEFT OVERRIDE */
	"\u2066",       /* LEFT-TO-RIGHT ISOLATE (Unicode 6.3) */
	"\u061C",       /* ARABIC LETTER MARK (Unicode 6.3) */
	"\xC2\x85",     /* NEXT LINE, a C1 control */
	"\x7F",         /* DELETE */
	"&#x1B;[2J",    /* ESCAPE: not even allowed in XML 1.0, as a reference */
};

/* The worked example with `from` replaced by `to`, as one <claim> element
 * (no XML declaration), appended to buf. */
static void add_claim_variant(char *buf, size_t cap, const char *example, const char *from,
                              const char *to)
{
	const char *at = strstr(example, from);
	cr_assert(at, "%s is not in the worked example", from);
	const char *claim = strstr(example, "<claim ");
	size_t len = strlen(buf);
	snprintf(buf + len, cap - len, "%.*s%s%s", (int)(at - claim), claim, to, at + strlen(from));
}

Test(identifier, a_control_invisible_or_space_character_in_any_identifier_is_schema_invalid)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("out-of-county.xml")));
	char *before = stored(db);
	char *example = zt_test_slurp(claim_case("worked-example.xml"));
	size_t n_ident = sizeof IDENTS / sizeof *IDENTS, n_bad = sizeof BAD_IN_IDENT / sizeof *BAD_IN_IDENT;
	size_t cap = n_ident * n_bad * 2000 + 200;
	char *xml = malloc(cap);
	snprintf(xml, cap, "<claims" NS ">\n");
	for (size_t i = 0; i < n_ident; i++)
		for (size_t k = 0; k < n_bad; k++) {
			char from[120], to[160];
			snprintf(from, sizeof from, "<%s>%s<", IDENTS[i].tag, IDENTS[i].value);
			snprintf(to, sizeof to, "<%s>%s%s%s<", IDENTS[i].tag, IDENTS[i].head, BAD_IN_IDENT[k],
			         IDENTS[i].tail);
			add_claim_variant(xml, cap, example, from, to);
		}
	strcat(xml, "</claims>\n");
	struct run r = zt(db, "claim submit '%s'", zt_test_write("bad-idents.xml", xml));
	/* ESCAPE is not an XML 1.0 character: that refuses the whole file. */
	cr_assert_eq(r.code, 2, "exit %d: %s", r.code, r.err);
	cr_assert(strstr(r.err, "zhitong: malformed-xml: "), "%s", r.err);
	run_free(&r);

	/* Without it, every claim is rejected, each for its identifier. */
	n_bad--;
	snprintf(xml, cap, "<claims" NS ">\n");
	for (size_t i = 0; i < n_ident; i++)
		for (size_t k = 0; k < n_bad; k++) {
			char from[120], to[160];
			snprintf(from, sizeof from, "<%s>%s<", IDENTS[i].tag, IDENTS[i].value);
			snprintf(to, sizeof to, "<%s>%s%s%s<", IDENTS[i].tag, IDENTS[i].head, BAD_IN_IDENT[k],
			         IDENTS[i].tail);
			add_claim_variant(xml, cap, example, from, to);
		}
	strcat(xml, "</claims>\n");
	r = zt(db, "claim submit '%s'", zt_test_write("bad-idents.xml", xml));
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xsd_valid(r.out);
	xmlDocPtr d = parse_xml(r.out);
	cr_assert_eq(answers(d), (int)(n_ident * n_bad));
	for (size_t i = 0; i < n_ident; i++)
		for (size_t k = 0; k < n_bad; k++) {
			xmlNode *a = answer(d, (int)(i * n_bad + k));
			bool bad_hospital = strcmp(IDENTS[i].tag, "fixmedins_code") == 0;
			bool bad_no = strcmp(IDENTS[i].tag, "claim_no") == 0;
			/* The attributes carry only what could be read. */
			expect_rejection(a, "schema-invalid", bad_hospital ? NULL : "H51010101",
			                 bad_no ? NULL : "ZY2017-000123");
			const char *m = text(a);
			cr_expect(strstr(m, IDENTS[i].tag) || strstr(m, "pattern"),
			          "%s with %s: the message names the field: %s", IDENTS[i].tag,
			          BAD_IN_IDENT[k], m);
			/* The message shows the invisible character, never carries it. */
			if (k >= 3)
				cr_expect(!strstr(m, BAD_IN_IDENT[k]) && strstr(m, "U+"),
				          "%s: the message passes the character on: %s", IDENTS[i].tag, m);
		}
	xmlFreeDoc(d);
	run_free(&r);
	char *after = stored(db);
	cr_assert_str_eq(after, before, "a rejected claim left something behind");
	free(after);
	free(before);
	free(xml);
	free(example);
	verify_ok(db);
}

Test(identifier, characters_libxml2_does_not_know_are_refused_by_the_reader_with_their_name)
{
	char *example = zt_test_slurp(claim_case("worked-example.xml"));
	char xml[8000] = "";
	add_claim_variant(xml, sizeof xml, example, "<claim_no>ZY2017-000123<",
	                  "<claim_no>ZY\u2067-1<");
	const char *m = rejected(zt_test_write("rli.xml", xml), "", "schema-invalid", "H51010101", NULL);
	cr_expect(strstr(m, "<claim_no>: the value holds an invisible character (U+2067 RIGHT-TO-LEFT "
	                    "ISOLATE) at character 3"), "%s", m);
	xml[0] = '\0';
	add_claim_variant(xml, sizeof xml, example, "<med_list_codg>ZZ0001<",
	                  "<med_list_codg>ZZ\u061C0001<");
	m = rejected(zt_test_write("alm.xml", xml), "", "schema-invalid", "H51010101", "ZY2017-000123");
	cr_expect(strstr(m, "item 3: <med_list_codg>: the value holds an invisible character (U+061C "
	                    "ARABIC LETTER MARK) at character 3"), "%s", m);
	free(example);
}

Test(identifier, one_character_over_any_identifier_limit_is_refused_whole)
{
	char *example = zt_test_slurp(claim_case("worked-example.xml"));
	for (size_t i = 0; i < sizeof IDENTS / sizeof *IDENTS; i++) {
		char from[120], to[200], xml[8000] = "", name[64];
		snprintf(from, sizeof from, "<%s>%s<", IDENTS[i].tag, IDENTS[i].value);
		size_t have = strlen(IDENTS[i].head) + strlen(IDENTS[i].tail);
		for (size_t over = 0; over <= 1; over++) {
			size_t pad = IDENTS[i].max_chars + over - have;
			char fill[64];
			memset(fill, 'X', pad);
			fill[pad] = '\0';
			snprintf(to, sizeof to, "<%s>%s%s%s<", IDENTS[i].tag, IDENTS[i].head, fill,
			         IDENTS[i].tail);
			xml[0] = '\0';
			add_claim_variant(xml, sizeof xml, example, from, to);
			snprintf(name, sizeof name, "len-%s-%zu.xml", IDENTS[i].tag, over);
			if (!over) {
				/* Exactly at the limit: read whole (it settles or is
				 * rejected for another reason, never schema-invalid). */
				const char *db = sample_db();
				struct run r = zt(db, "claim submit '%s'", zt_test_write(name, xml));
				cr_expect(!strstr(r.out, "schema-invalid"), "%s at its limit: %s", IDENTS[i].tag,
				          r.out);
				run_free(&r);
				continue;
			}
			bool bad_hospital = strcmp(IDENTS[i].tag, "fixmedins_code") == 0;
			bool bad_no = strcmp(IDENTS[i].tag, "claim_no") == 0;
			char want_no[64];
			snprintf(want_no, sizeof want_no, "%s%s%s", IDENTS[i].head, fill, IDENTS[i].tail);
			/* An over-long value is echoed whole in the rejection, never cut. */
			rejected(zt_test_write(name, xml), "", "schema-invalid",
			         bad_hospital ? want_no : "H51010101", bad_no ? want_no : "ZY2017-000123");
		}
	}
	free(example);
}

Test(identifier, invalid_utf8_anywhere_in_a_claim_file_refuses_the_file_whole)
{
	/* overlong '/', a surrogate, a truncated sequence, a lone continuation
	 * byte, above U+10FFFF, and a byte that is never UTF-8 */
	static const char *const bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xE4\xB8", "\x80",
	                                  "\xF4\x90\x80\x80", "\xFF"};
	char *example = zt_test_slurp(claim_case("worked-example.xml"));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char to[64], xml[8000] = "", name[32];
		snprintf(to, sizeof to, "<claim_no>ZY%s1<", bad[i]);
		add_claim_variant(xml, sizeof xml, example, "<claim_no>ZY2017-000123<", to);
		snprintf(name, sizeof name, "utf8-%zu.xml", i);
		refused(zt_test_write(name, xml), "malformed-xml");
	}
	free(example);
}

/* ---- out of county -------------------------------------------------------- */

Test(out_of_county, no_adjust_no_relief_and_no_personal_cap_with_the_sample_policy)
{
	const char *db = sample_db();
	char *out = submit_ok(db, claim_case("out-of-county.xml"));
	xmlDocPtr d = parse_xml(out);
	xmlNode *st = answer(d, 0);
	/* P0000001 (510101) at H51010201 (510102, level 2): the poor basic adjust
	 * is in county only: D 400.00, R 0.80 → (9800 − 400) × 0.8 = 7520.00.
	 * critical base 2280 < 5000. assistance (in and out of county) 2280 ×
	 * 0.7 = 1596.00. The sample policy sets no out-of-county personal cap,
	 * so the patient keeps psn0 = 10500 − 7520 − 1596 = 1384.00. */
	cr_expect_str_eq(info(st, "act_pay_dedc"), "400.00");
	cr_expect_str_eq(info(st, "pool_prop_selfpay"), "0.8000");
	static const struct want w = {"7520.00", "0.00", "1596.00", "0.00", "0.00", "1384.00",
	                              "390100=7520.00 610100=1596.00"};
	expect_amounts(st, &w);
	xmlFreeDoc(d);
	free(out);
}

Test(out_of_county, the_remainder_stays_with_the_patient_and_in_county_only_relief_does_not_pay)
{
	const char *policy = claim_case("policy-cap-on-both-sides.xml");
	const char *db = fresh_db("both.db", REGISTRY, policy);
	char *x = malloc(20000);
	char *in = zt_test_slurp(claim_case("worked-example.xml"));
	char *ooc = zt_test_slurp(claim_case("out-of-county.xml"));
	snprintf(x, 20000, "<claims" NS ">\n%s%s</claims>\n", strstr(in, "<claim "), strstr(ooc, "<claim "));
	char *out = submit_ok(db, zt_test_write("sides.xml", x));
	xmlDocPtr d = parse_xml(out);
	/* in county: psn0 1192.00, target 1050.00, gap 142.00; the relief fund
	 * pays half (71.00) and the hospital takes the rest (71.00). */
	static const struct want w_in = {"8160.00", "0.00", "1148.00", "71.00", "71.00", "1050.00",
	                                 "390100=8160.00 610100=1148.00 610103=71.00"};
	/* out of county: psn0 1384.00, target 1050.00, gap 334.00; the relief
	 * fund is in county only and the hospital outside the county is not
	 * bound: the patient keeps the gap. */
	static const struct want w_out = {"7520.00", "0.00", "1596.00", "0.00", "0.00", "1384.00",
	                                  "390100=7520.00 610100=1596.00"};
	expect_amounts(answer(d, 0), &w_in);
	expect_amounts(answer(d, 1), &w_out);
	xmlFreeDoc(d);
	free(out);
	free(x);
	free(in);
	free(ooc);
	verify_ok(db);
}

/* ---- quote ------------------------------------------------------------------ */

static char *dump(const char *db)
{
	struct run r = sh("sqlite3 '%s' .dump", db);
	cr_assert_eq(r.code, 0, "sqlite3 .dump: %s", r.err);
	free(r.err);
	return r.out;
}

Test(quote, stores_nothing)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	char *before = dump(db);
	struct run r = zt(db, "claim quote '%s'", tier_claims());
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = zt(db, "claim quote '%s'", claim_case("mixed-settled-and-rejected.xml"));
	cr_assert_eq(r.code, 1, "%s", r.err);
	run_free(&r);
	char *after = dump(db);
	same_text(after, before, "a quote changed the database");
	free(before);
	free(after);
}

Test(quote, answers_exactly_what_submit_then_answers_without_setl_id)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	/* a file with a resent claim, new claims, and rejections */
	char *a = zt_test_slurp(claim_case("worked-example.xml"));
	char *m = zt_test_slurp(claim_case("mixed-settled-and-rejected.xml"));
	char *t = zt_test_slurp(tier_claims());
	char *x = malloc(strlen(a) + strlen(m) + strlen(t) + 200);
	char *mi = strstr(m, "<claims");
	mi = strchr(mi, '>') + 1;
	*strstr(mi, "</claims>") = '\0';
	char *ti = strchr(strstr(t, "<claims"), '>') + 1;
	*strstr(ti, "</claims>") = '\0';
	sprintf(x, "<claims" NS ">\n%s%s%s</claims>\n", strstr(a, "<claim "), mi, ti);
	const char *file = zt_test_write("mix-quote.xml", x);
	struct run q = zt(db, "claim quote '%s'", file);
	cr_assert_eq(q.code, 1, "%s", q.err);
	cr_assert_null(strstr(q.out, "setl_id="), "a quote has no setl_id");
	xsd_valid(q.out);
	struct run s = zt(db, "claim submit '%s'", file);
	cr_assert_eq(s.code, 1, "%s", s.err);
	char *s_plain = without_setl_ids(s.out);
	cr_assert_str_eq(q.out, s_plain, "the quote differs from the submission");
	xmlDocPtr d = parse_xml(s.out);
	cr_assert_eq(answers(d), 12);
	xmlFreeDoc(d);
	run_free(&q);
	run_free(&s);
	free(s_plain);
	free(a);
	free(m);
	free(t);
	free(x);
}

Test(quote, a_later_claim_of_a_person_in_the_file_sees_the_earlier_one)
{
	const char *db = sample_db();
	struct run r = zt(db, "claim quote '%s'", tier_claims());
	cr_assert_eq(r.code, 0, "%s", r.err);
	xmlDocPtr d = parse_xml(r.out);
	/* as in tiers.critical_tiers_are_crossed_across_claims_and_caps_bind */
	cr_assert_str_eq(info(answer(d, 1), "hifp_pay"), "65170.00");
	cr_assert_str_eq(info(answer(d, 1), "hifmi_pay"), "22639.50");
	cr_assert_str_eq(info(answer(d, 2), "hifmi_pay"), "80000.00");
	cr_assert_str_eq(info(answer(d, 3), "maf_pay"), "1475.00");
	xmlFreeDoc(d);
	run_free(&r);
	/* and nothing carried over: T-2 alone is quoted as a first claim */
	char *x = malloc(5000);
	snprintf(x, 5000, "%s", one_item_claim(NS, "H51010101", "T-2", "P0000005", "2017-04-10", "01", "100000.00"));
	r = zt(db, "claim quote '%s'", zt_test_write("t2.xml", x));
	cr_assert_eq(r.code, 0, "%s", r.err);
	d = parse_xml(r.out);
	cr_assert_str_eq(info(answer(d, 0), "hifp_pay"), "84830.00");
	cr_assert_str_eq(info(answer(d, 0), "hifmi_pay"), "6610.50");
	xmlFreeDoc(d);
	run_free(&r);
	free(x);
}

/* ---- reversal (docs/spec/split.md §6) ---------------------------------------------------- */

static struct run reverse(const char *db, const char *hospital, const char *claim_no)
{
	return zt(db, "claim reverse --hospital '%s' --claim-no '%s' --reason 'wrong ward'", hospital, claim_no);
}

/* "1.00" → "-1.00"; "0.00" stays. */
static const char *negated(const char *amount)
{
	char *b = rotate();
	if (strcmp(amount, "0.00") == 0)
		snprintf(b, 4096, "0.00");
	else
		snprintf(b, 4096, "-%s", amount);
	return b;
}

Test(reversal, negates_every_amount_and_names_the_original)
{
	const char *db = sample_db();
	char *orig_out = submit_ok(db, claim_case("worked-example.xml"));
	struct run r = reverse(db, "H51010101", "ZY2017-000123");
	cr_assert_eq(r.code, 0, "exit %d: %s", r.code, r.err);
	xsd_valid(r.out);
	xmlDocPtr od = parse_xml(orig_out), rd = parse_xml(r.out);
	xmlNode *o = as_settlement(answer(od, 0)), *v = as_settlement(answer(rd, 0));
	cr_assert_eq(answers(rd), 1);
	cr_assert_str_eq(prop(v, "reverses"), prop(o, "setl_id"));
	cr_assert(prop(v, "setl_id") && strcmp(prop(v, "setl_id"), prop(o, "setl_id")) != 0,
	          "the reversal has a setl_id of its own");
	cr_assert_str_eq(prop(v, "claim_no"), "ZY2017-000123");
	cr_assert_str_eq(prop(v, "psn_no"), "P0000001");
	for (int i = 0; i < SETLINFO_FIELDS; i++) {
		if (strcmp(SETLINFO[i], "pool_prop_selfpay") == 0) /* a ratio, not an amount */
			continue;
		cr_expect_str_eq(info(v, SETLINFO[i]), negated(info(o, SETLINFO[i])), "<%s>", SETLINFO[i]);
	}
	cr_assert_str_eq(detail(v), "390100=-8160.00 610100=-1148.00 610103=-142.00", "the same funds, negated");
	xmlFreeDoc(od);
	xmlFreeDoc(rd);
	run_free(&r);
	free(orig_out);
	verify_ok(db);
}

Test(reversal, takes_the_claims_contributions_out_of_the_accumulators)
{
	const char *db = sample_db();
	char *x = malloc(5000);
	snprintf(x, 5000, "%s", one_item_claim(NS, "H51010101", "R-1", "P0000005", "2017-02-10", "01", "30000.00"));
	free(submit_ok(db, zt_test_write("r1.xml", x)));
	char *after_first = accum_of(db, "P0000005");
	/* the second claim pays critical illness and relief, which the first did not */
	snprintf(x, 5000, "%s", one_item_claim(NS, "H51010101", "R-2", "P0000005", "2017-03-10", "01", "60000.00"));
	free(submit_ok(db, zt_test_write("r2.xml", x)));
	snprintf(x, 5000, "%s", one_item_claim(NS, "H51010101", "R-3", "P0000005", "2017-04-10", "03", "5000.00"));
	free(submit_ok(db, zt_test_write("r3.xml", x)));
	struct run r = reverse(db, "H51010101", "R-3");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = reverse(db, "H51010101", "R-2");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *after_reversals = accum_of(db, "P0000005");
	cr_assert_str_eq(after_reversals, after_first);
	free(after_first);
	free(after_reversals);
	free(x);
	verify_ok(db);
}

Test(reversal, a_later_claim_is_settled_as_if_the_reversed_one_never_happened)
{
	char *x = malloc(5000);
	const char *c1 = zt_test_write("c1.xml", strcpy(x, one_item_claim(NS, "H51010101", "L-1", "P0000005",
	                                                                    "2017-02-10", "01", "80000.00")));
	const char *c2 = zt_test_write("c2.xml", strcpy(x, one_item_claim(NS, "H51010101", "L-2", "P0000005",
	                                                                    "2017-03-10", "01", "90000.00")));
	const char *c3 = zt_test_write("c3.xml", strcpy(x, one_item_claim(NS, "H51010101", "L-3", "P0000005",
	                                                                    "2017-05-10", "01", "70000.00")));
	/* A: L-1, L-2, reverse L-2, L-3 */
	const char *a = sample_db();
	free(submit_ok(a, c1));
	free(submit_ok(a, c2));
	struct run r = reverse(a, "H51010101", "L-2");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *a3 = submit_ok(a, c3);
	/* B never saw L-2 */
	const char *b = fresh_db("never.db", REGISTRY, POLICY);
	free(submit_ok(b, c1));
	char *b3 = submit_ok(b, c3);
	char *a3p = without_setl_ids(a3), *b3p = without_setl_ids(b3);
	cr_assert_str_eq(a3p, b3p, "L-3 after a reversed L-2 differs from L-3 without it");
	char *aa = accum_of(a, "P0000005"), *ba = accum_of(b, "P0000005");
	cr_assert_str_eq(aa, ba);
	/* and L-2 did matter: without the reversal L-3 would be settled otherwise */
	const char *c = fresh_db("kept.db", REGISTRY, POLICY);
	free(submit_ok(c, c1));
	free(submit_ok(c, c2));
	char *c3o = submit_ok(c, c3);
	char *c3p = without_setl_ids(c3o);
	cr_assert_str_neq(c3p, b3p, "the test claims do not depend on each other");
	free(a3);
	free(b3);
	free(a3p);
	free(b3p);
	free(c3o);
	free(c3p);
	free(aa);
	free(ba);
	free(x);
	verify_ok(a);
}

Test(reversal, reversing_again_is_not_settled)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	struct run r = reverse(db, "H51010101", "ZY2017-000123");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *before = stored(db);
	r = reverse(db, "H51010101", "ZY2017-000123");
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xmlDocPtr d = parse_xml(r.out);
	cr_assert_eq(answers(d), 1);
	expect_rejection(answer(d, 0), "not-settled", "H51010101", "ZY2017-000123");
	char *after = stored(db);
	cr_assert_str_eq(after, before);
	xmlFreeDoc(d);
	run_free(&r);
	free(before);
	free(after);
}

Test(reversal, reversing_an_unknown_claim_is_not_settled)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	char *before = stored(db);
	struct run r = reverse(db, "H51010101", "NEVER-SENT");
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	xmlDocPtr d = parse_xml(r.out);
	expect_rejection(answer(d, 0), "not-settled", "H51010101", "NEVER-SENT");
	xmlFreeDoc(d);
	run_free(&r);
	/* a rejected claim was never settled either */
	free(submit_ok(db, claim_case("worked-example.xml")));
	struct run rj = zt(db, "claim submit '%s'", claim_case("unknown-person.xml"));
	cr_assert_eq(rj.code, 1);
	run_free(&rj);
	r = reverse(db, "H51010101", "UNK-P");
	cr_assert_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	d = parse_xml(r.out);
	expect_rejection(answer(d, 0), "not-settled", "H51010101", "UNK-P");
	char *after = stored(db);
	cr_assert_str_eq(after, before);
	xmlFreeDoc(d);
	run_free(&r);
	free(before);
	free(after);
}

Test(reversal, a_reversed_claim_no_is_settled_afresh_with_a_new_setl_id)
{
	const char *db = sample_db();
	char *first = submit_ok(db, claim_case("worked-example.xml"));
	struct run r = reverse(db, "H51010101", "ZY2017-000123");
	cr_assert_eq(r.code, 0, "%s", r.err);
	/* the corrected claim: item 3 changed */
	char *again = submit_ok(db, claim_case("worked-example-changed-item.xml"));
	xmlDocPtr d1 = parse_xml(first), dr = parse_xml(r.out), d2 = parse_xml(again);
	const char *id1 = prop(answer(d1, 0), "setl_id"), *idr = prop(answer(dr, 0), "setl_id"),
		   *id2 = prop(answer(d2, 0), "setl_id");
	cr_assert_str_neq(id2, id1);
	cr_assert_str_neq(id2, idr);
	/* 丙 600.00 instead of 500.00: the same funds, the patient pays 100 more
	 * (psn0 1292, target floor(10600 × 0.1) = 1060, relief 232) */
	cr_assert_str_eq(info(answer(d2, 0), "medfee_sumamt"), "10600.00");
	cr_assert_str_eq(info(answer(d2, 0), "hifp_pay"), "8160.00");
	cr_assert_str_eq(info(answer(d2, 0), "oth_pay"), "232.00");
	cr_assert_str_eq(info(answer(d2, 0), "psn_part_amt"), "1060.00");
	/* it is the live settlement now: resending returns it */
	char *resent = submit_ok(db, claim_case("worked-example-changed-item.xml"));
	cr_assert_str_eq(resent, again);
	/* and the original contents are now a different claim under that number */
	struct run old = zt(db, "claim submit '%s'", claim_case("worked-example.xml"));
	cr_assert_eq(old.code, 1);
	xmlDocPtr dold = parse_xml(old.out);
	expect_rejection(answer(dold, 0), "duplicate-claim-no", "H51010101", "ZY2017-000123");
	xmlFreeDoc(d1);
	xmlFreeDoc(dr);
	xmlFreeDoc(d2);
	xmlFreeDoc(dold);
	run_free(&r);
	run_free(&old);
	free(first);
	free(again);
	free(resent);
	verify_ok(db);
}

Test(reversal, claim_show_lists_both_settlements_and_the_reversal)
{
	const char *db = sample_db();
	char *first = submit_ok(db, claim_case("worked-example.xml"));
	struct run r = reverse(db, "H51010101", "ZY2017-000123");
	cr_assert_eq(r.code, 0, "%s", r.err);
	char *again = submit_ok(db, claim_case("worked-example-changed-item.xml"));
	xmlDocPtr d1 = parse_xml(first), dr = parse_xml(r.out), d2 = parse_xml(again);
	const char *id1 = prop(answer(d1, 0), "setl_id"), *idr = prop(answer(dr, 0), "setl_id"),
		   *id2 = prop(answer(d2, 0), "setl_id");

	struct run s = zt(db, "claim show --hospital H51010101 --claim-no ZY2017-000123 --format xml");
	cr_assert_eq(s.code, 0, "%s", s.err);
	xsd_valid(s.out);
	xmlDocPtr ds = parse_xml(s.out);
	cr_assert_eq(answers(ds), 3);
	cr_assert_str_eq(prop(answer(ds, 0), "setl_id"), id1);
	cr_assert_null(prop(answer(ds, 0), "reverses"));
	cr_assert_str_eq(info(answer(ds, 0), "medfee_sumamt"), "10500.00");
	cr_assert_str_eq(prop(answer(ds, 1), "setl_id"), idr);
	cr_assert_str_eq(prop(answer(ds, 1), "reverses"), id1);
	cr_assert_str_eq(info(answer(ds, 1), "medfee_sumamt"), "-10500.00");
	cr_assert_str_eq(prop(answer(ds, 2), "setl_id"), id2);
	cr_assert_str_eq(info(answer(ds, 2), "medfee_sumamt"), "10600.00");

	struct run t = zt(db, "claim show --hospital H51010101 --claim-no ZY2017-000123");
	cr_assert_eq(t.code, 0, "%s", t.err);
	cr_assert(strstr(t.out, id1) && strstr(t.out, idr) && strstr(t.out, id2), "%s", t.out);
	cr_assert(strstr(t.out, "wrong ward"), "the reason is shown:\n%s", t.out);

	struct run n = zt(db, "claim show --hospital H51010101 --claim-no NEVER-SENT");
	cr_assert_eq(n.code, 1, "exit %d", n.code);
	cr_assert_str_eq(n.out, "");
	xmlFreeDoc(d1);
	xmlFreeDoc(dr);
	xmlFreeDoc(d2);
	xmlFreeDoc(ds);
	run_free(&r);
	run_free(&s);
	run_free(&t);
	run_free(&n);
	free(first);
	free(again);
}

/* ---- files refused whole ---------------------------------------------------------- */

/* exit 2, nothing on stdout, nothing stored, one line on stderr. */
static void refused(const char *file, const char *stderr_code)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	char *before = dump(db);
	static const char *const cmds[] = {"submit", "quote"};
	for (int i = 0; i < 2; i++) {
		struct run r = zt(db, "claim %s '%s'", cmds[i], file);
		cr_assert_eq(r.code, 2, "claim %s: exit %d, expected 2\nstderr: %s", cmds[i], r.code, r.err);
		cr_assert_str_eq(r.out, "", "claim %s printed something", cmds[i]);
		char want[80];
		snprintf(want, sizeof want, "zhitong: %s: ", stderr_code);
		cr_assert(strncmp(r.err, want, strlen(want)) == 0, "stderr should start with '%s': %s", want, r.err);
		cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line on stderr: %s", r.err);
		run_free(&r);
	}
	char *after = dump(db);
	same_text(after, before, "a refused file changed the database");
	free(before);
	free(after);
}

Test(whole_file, a_truncated_file_is_refused_whole)
{
	refused(claim_case("not-well-formed-truncated.xml"), "malformed-xml");
}

Test(whole_file, a_mismatched_tag_after_good_claims_refuses_the_whole_file)
{
	refused(claim_case("not-well-formed-mismatched-tag.xml"), "malformed-xml");
}

Test(whole_file, a_root_other_than_claim_or_claims_is_schema_invalid)
{
	refused(claim_case("wrong-root.xml"), "schema-invalid");
}

Test(whole_file, a_claim_in_another_namespace_is_schema_invalid)
{
	refused(claim_case("wrong-namespace.xml"), "schema-invalid");
}

Test(whole_file, a_claim_without_namespace_is_schema_invalid)
{
	refused(claim_case("no-namespace.xml"), "schema-invalid");
}

Test(whole_file, an_empty_file_is_refused)
{
	refused(zt_test_write("empty.xml", ""), "malformed-xml");
}

Test(whole_file, a_missing_file_is_refused)
{
	const char *db = sample_db();
	struct run r = zt(db, "claim submit '%s'", tmp_path("no-such-file.xml"));
	cr_assert_eq(r.code, 2, "exit %d", r.code);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "no-such-file.xml"), "the message names the file: %s", r.err);
	run_free(&r);
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 0);
}

Test(whole_file, dash_reads_the_claims_from_stdin)
{
	const char *db = sample_db();
	struct run r = sh("cat '%s' | '%s' --db '%s' claim submit -", claim_case("worked-example.xml"),
	                  ZT_TEST_ZHITONG, db);
	cr_assert_eq(r.code, 0, "exit %d: %s", r.code, r.err);
	xmlDocPtr d = parse_xml(r.out);
	cr_assert_str_eq(info(answer(d, 0), "hifp_pay"), "8160.00");
	cr_assert_eq(count(db, "SELECT count(*) FROM claim"), 1);
	/* and the same from the file: the claim was already settled */
	char *again = submit_ok(db, claim_case("worked-example.xml"));
	cr_assert_str_eq(again, r.out);
	xmlFreeDoc(d);
	run_free(&r);
	free(again);
}

/* ---- property: generated worlds --------------------------------------------------- */

static void generated_world_conserves_money(int seed)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/world", zt_test_tmpdir());
	char *err = NULL;
	int rc = zt_test_run(NULL, &err, "gen --claims 3000 --seed %d --out '%s'", seed, dir);
	cr_assert_eq(rc, 0, "gen: %s", err);
	free(err);
	char reg[700], pol[700], claims[700];
	snprintf(reg, sizeof reg, "%s/registry.xml", dir);
	snprintf(pol, sizeof pol, "%s/policy.xml", dir);
	snprintf(claims, sizeof claims, "%s/claims.xml", dir);
	const char *db = fresh_db("gen.db", reg, pol);
	char *out = submit_ok(db, claims);
	xmlDocPtr d = parse_xml(out);
	int n = answers(d);
	cr_assert_eq(n, 3000);
	long long sum_hifp = 0, sum_fund = 0, sum_psn = 0;
	for (xmlNode *st = answer(d, 0); st; st = next_el(st)) {
		const char *id = prop(as_settlement(st), "setl_id");
		long long medfee = info_fen(st, "medfee_sumamt"), fund = info_fen(st, "fund_pay_sumamt"),
			  hosp = info_fen(st, "hosp_part_amt"), psn = info_fen(st, "psn_part_amt");
		cr_assert_eq(fund + hosp + psn, medfee, "%s: %lld + %lld + %lld != %lld", id, fund, hosp, psn, medfee);
		cr_assert_eq(info_fen(st, "hifp_pay") + info_fen(st, "hifmi_pay") + info_fen(st, "maf_pay") +
		                 info_fen(st, "oth_pay"),
		             fund, "%s: the four funds do not sum to fund_pay_sumamt", id);
		cr_assert_eq(info_fen(st, "fulamt_ownpay_amt") + info_fen(st, "overlmt_selfpay") +
		                 info_fen(st, "preselfpay_amt") + info_fen(st, "inscp_scp_amt"),
		             medfee, "%s: the classification does not sum to medfee_sumamt", id);
		cr_assert_eq(info_fen(st, "psn_cash_pay"), psn, "%s", id);
		long long detail_sum = 0;
		for (xmlNode *f = first_el(child(st, "setldetail")); f; f = next_el(f)) {
			long long a = fen(prop(f, "fund_payamt"));
			cr_assert_gt(a, 0, "%s: setldetail lists a fund paying %lld", id, a);
			detail_sum += a;
		}
		cr_assert_eq(detail_sum, fund, "%s: setldetail sums to %lld, fund_pay_sumamt is %lld", id, detail_sum,
		             fund);
		sum_hifp += info_fen(st, "hifp_pay");
		sum_fund += fund;
		sum_psn += psn;
	}
	/* what was printed is what was stored */
	cr_assert_eq(count(db, "SELECT SUM(hifp_pay) FROM settlement"), sum_hifp);
	cr_assert_eq(count(db, "SELECT SUM(fund_pay_sumamt) FROM settlement"), sum_fund);
	cr_assert_eq(count(db, "SELECT SUM(psn_part_amt) FROM settlement"), sum_psn);
	xmlFreeDoc(d);
	free(out);
	verify_ok(db);
	/* the world and its database are of no further use */
	struct run r = sh("rm -rf '%s'", zt_test_tmpdir());
	run_free(&r);
}

Test(property, generated_world_seed_1_conserves_money_to_the_fen) { generated_world_conserves_money(1); }
Test(property, generated_world_seed_2_conserves_money_to_the_fen) { generated_world_conserves_money(2); }
Test(property, generated_world_seed_3_conserves_money_to_the_fen) { generated_world_conserves_money(3); }

/* ---- verify detects damage ---------------------------------------------------------- */

static const char *settled_sample(void)
{
	const char *db = sample_db();
	free(submit_ok(db, claim_case("worked-example.xml")));
	free(submit_ok(db, tier_claims()));
	verify_ok(db);
	return db;
}

static void sql_ok(const char *db, const char *sql)
{
	struct run r = sh("sqlite3 '%s' \"%s\"", db, sql);
	cr_assert_eq(r.code, 0, "%s: %s", sql, r.err);
	run_free(&r);
}

Test(verify, names_an_accumulator_that_differs_from_its_settlements)
{
	const char *db = settled_sample();
	sql_ok(db, "UPDATE accum SET amount = amount + 1 WHERE psn_no = 'P0000005' AND year = 2017 AND slot = 'crit_paid'");
	struct run r = zt(db, "verify");
	cr_assert_eq(r.code, 1, "exit %d:\n%s", r.code, r.out);
	cr_assert(strstr(r.out, "VIOLATION  accumulators equal the sums of settlements: person P0000005 2017 crit_paid"),
	          "%s", r.out);
	cr_assert(strstr(r.out, "FAILED: 1 violation"), "%s", r.out);
	run_free(&r);
}

Test(verify, names_an_account_balance_that_differs_from_its_transfers)
{
	const char *db = settled_sample();
	char *name = rows(db, "SELECT name FROM account ORDER BY name LIMIT 1");
	name[strcspn(name, "\n")] = '\0';
	char sql[300];
	snprintf(sql, sizeof sql, "UPDATE account SET balance = balance - 100 WHERE name = '%s'", name);
	sql_ok(db, sql);
	struct run r = zt(db, "verify");
	cr_assert_eq(r.code, 1, "exit %d:\n%s", r.code, r.out);
	char want[300];
	snprintf(want, sizeof want, "VIOLATION  account balances equal their transfers: account %s", name);
	cr_assert(strstr(r.out, want), "no '%s' in:\n%s", want, r.out);
	cr_assert(strstr(r.out, "VIOLATION  ledger balances"), "the ledger no longer sums to 0:\n%s", r.out);
	run_free(&r);
	free(name);
}

/* Facts are never updated or deleted (schema/sqlite/001-core.sql). */
Test(verify, the_database_refuses_to_update_or_delete_facts)
{
	const char *db = settled_sample();
	char *before = dump(db);
	static const char *const sql[] = {
		"UPDATE claim SET medfee_sumamt = 0",
		"DELETE FROM claim",
		"UPDATE settlement SET hifp_pay = 0",
		"DELETE FROM settlement",
		"UPDATE settlement_fund SET amount = 1",
		"DELETE FROM settlement_fund",
		"UPDATE transfer SET amount = 1",
		"DELETE FROM transfer",
		"UPDATE audit SET actor = 'someone'",
		"DELETE FROM audit",
		"UPDATE policy SET source_xml = ''",
		"DELETE FROM policy",
	};
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		struct run r = sh("sqlite3 '%s' \"%s\"", db, sql[i]);
		cr_expect_neq(r.code, 0, "'%s' was allowed", sql[i]);
		cr_expect(strstr(r.err, "immutable"), "'%s': %s", sql[i], r.err);
		run_free(&r);
	}
	char *after = dump(db);
	same_text(after, before, "facts were changed");
	free(before);
	free(after);
	verify_ok(db);
}
