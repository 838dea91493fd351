/* zhitong — claim v2 and JSON claims (docs/spec/claim-v2-national.md §1, §3;
 * docs/spec/service.md "Bodies").
 *
 * The readers are driven in-process through claim_stream.h on buffers (the
 * same claim in XML v1, XML v2 and JSON, each field wrong in turn); the
 * settle pipeline through the command line (a v2 file is answered in
 * settlement v2, a claim with <national> is national-unexpected) and
 * in-process through zt_settle_source for a JSON body. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/settle.h"
#include "zhitong/store.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define SETTLEMENT_V2_XSD ZT_TEST_SOURCE_DIR "/schema/settlement-v2.xsd"
#define V1 "urn:zhitong:claim:1"
#define V2 "urn:zhitong:claim:2"

/* The digest of the worked example (tests/cases/claims/worked-example.xml)
 * as every earlier version of zhitong stored it: a v1 claim's canonical
 * form never changes, or a resent claim would no longer be "the same
 * claim again" in an existing database. */
#define WORKED_EXAMPLE_V1_DIGEST "087B212D8458E70DA128E34C6B809A1CBE57BBA5330926BEA6966EA643E4A1A0"

/* ---- building claims -------------------------------------------------------- */

/* The worked example of docs/spec/split.md §7 in namespace `ns`, with
 * `extra` inside <claim> (v2 fields) and `item_extra` inside its first
 * item. Static buffer. */
static const char *worked_xml(const char *ns, const char *extra)
{
	static char buf[16][6000];
	static int next;
	char *b = buf[next++ % 16];
	snprintf(b, 6000,
	         "<claim xmlns=\"%s\"><fixmedins_code>H51010101</fixmedins_code>"
	         "<claim_no>ZY2017-000123</claim_no><psn_no>P0000001</psn_no>"
	         "<adm_date>2017-03-01</adm_date><dscg_date>2017-03-10</dscg_date>"
	         "<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>10500.00</medfee_sumamt>"
	         "<items><item><feedetl_sn>1</feedetl_sn><med_list_codg>001201000010000-120100001</med_list_codg>"
	         "<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>8000</pric><cnt>1</cnt>"
	         "<det_item_fee_sumamt>8000.00</det_item_fee_sumamt></item>"
	         "<item><feedetl_sn>2</feedetl_sn><med_list_codg>XB01ACA056A001010100000</med_list_codg>"
	         "<med_chrgitm_type>09</med_chrgitm_type><chrgitm_lv>02</chrgitm_lv><pric>25.0000</pric>"
	         "<cnt>80</cnt><det_item_fee_sumamt>2000.00</det_item_fee_sumamt>"
	         "<pric_uplmt_amt>30.00</pric_uplmt_amt><selfpay_prop>0.10</selfpay_prop></item>"
	         "<item><feedetl_sn>3</feedetl_sn><med_list_codg>ZZ0001</med_list_codg>"
	         "<med_chrgitm_type>08</med_chrgitm_type><chrgitm_lv>03</chrgitm_lv><pric>500</pric><cnt>1</cnt>"
	         "<det_item_fee_sumamt>500.00</det_item_fee_sumamt></item></items>%s</claim>\n",
	         ns, extra ? extra : "");
	return b;
}

#define NATIONAL_FULL                                                                               \
	"<national setl_id=\"2304-51010120170310000123\"><hifp_pay>8160.00</hifp_pay>"                 \
	"<hifmi_pay>0.00</hifmi_pay><maf_pay>1148.00</maf_pay><fulamt_ownpay_amt>500.00</fulamt_ownpay_amt>" \
	"<overlmt_selfpay>0.00</overlmt_selfpay><preselfpay_amt>200.00</preselfpay_amt>"               \
	"<inscp_scp_amt>9800.00</inscp_scp_amt><act_pay_dedc>200.00</act_pay_dedc></national>"
#define V2_FIELDS                                                                                  \
	"<ipt_no>ZY-0042</ipt_no><dept_name>神经内科  一病区</dept_name><deposit>3000.00</deposit>" NATIONAL_FULL

/* The same worked example as JSON: amounts as strings and numbers mixed. */
static const char *worked_json(const char *extra)
{
	static char buf[4][6000];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, 6000,
	         "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"ZY2017-000123\", \"psn_no\": \"P0000001\",\n"
	         " \"adm_date\": \"2017-03-01\", \"dscg_date\": \"2017-03-10\", \"dscg_maindiag_code\": \"I63.900\",\n"
	         " \"medfee_sumamt\": \"10500.00\",\n"
	         " \"items\": [{\"feedetl_sn\": \"1\", \"med_list_codg\": \"001201000010000-120100001\",\n"
	         "             \"med_chrgitm_type\": \"05\", \"chrgitm_lv\": \"01\", \"pric\": \"8000\", \"cnt\": 1,\n"
	         "             \"det_item_fee_sumamt\": 8000},\n"
	         "            {\"feedetl_sn\": \"2\", \"med_list_codg\": \"XB01ACA056A001010100000\",\n"
	         "             \"med_chrgitm_type\": \"09\", \"chrgitm_lv\": \"02\", \"pric\": 25.0000, \"cnt\": \"80\",\n"
	         "             \"det_item_fee_sumamt\": \"2000.00\", \"pric_uplmt_amt\": 30, \"selfpay_prop\": \"0.10\"},\n"
	         "            {\"feedetl_sn\": \"3\", \"med_list_codg\": \"ZZ0001\", \"med_chrgitm_type\": \"08\",\n"
	         "             \"chrgitm_lv\": \"03\", \"pric\": 500, \"cnt\": 1, \"det_item_fee_sumamt\": 500.00,\n"
	         "             \"pric_uplmt_amt\": null}]%s}",
	         extra ? extra : "");
	return b;
}

#define JSON_V2_FIELDS                                                                             \
	", \"ipt_no\": \"ZY-0042\", \"dept_name\": \"神经内科  一病区\", \"deposit\": 3000,"          \
	" \"national\": {\"setl_id\": \"2304-51010120170310000123\", \"hifp_pay\": \"8160.00\","       \
	" \"hifmi_pay\": 0, \"maf_pay\": 1148, \"fulamt_ownpay_amt\": \"500.00\", \"overlmt_selfpay\": \"0.00\"," \
	" \"preselfpay_amt\": 200, \"inscp_scp_amt\": 9800.00, \"act_pay_dedc\": \"200.00\"}"

static void read_xml(struct zt_test_claims *g, const char *text)
{
	zt_test_read_claims(g, ZT_CLAIM_FORMAT_XML, text, strlen(text));
}

static void read_json(struct zt_test_claims *g, const char *text)
{
	zt_test_read_claims(g, ZT_CLAIM_FORMAT_JSON, text, strlen(text));
}

/* One claim, read. */
static void one_ok(struct zt_test_claims *g, enum zt_claim_format f, const char *text)
{
	zt_test_read_claims(g, f, text, strlen(text));
	cr_assert_eq(g->status, 0, "refused whole: %s\n%s", g->status_msg, text);
	cr_assert_eq(g->n, 1);
	cr_assert(!g->c[0].rejected, "rejected: %s\n%s", g->c[0].message, text);
}

/* One claim, rejected schema-invalid with `needle` in its message. */
static void one_rejected(enum zt_claim_format f, const char *text, const char *needle)
{
	struct zt_test_claims g;
	zt_test_read_claims(&g, f, text, strlen(text));
	cr_assert_eq(g.status, 0, "refused whole: %s\n%s", g.status_msg, text);
	cr_assert_eq(g.n, 1);
	cr_assert(g.c[0].rejected, "not rejected:\n%s", text);
	cr_assert_str_eq(g.c[0].code, "schema-invalid");
	cr_assert(strstr(g.c[0].message, needle), "expected '%s' in: %s\n%s", needle, g.c[0].message,
	          text);
	zt_test_claims_free(&g);
}

/* ---- XML v2 -------------------------------------------------------------------- */

Test(claim_v2_xml, every_v2_field_is_read)
{
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_XML, worked_xml(V2, V2_FIELDS));
	const struct zt_claim *c = &g.c[0].claim;
	cr_assert_eq(g.version, 2);
	cr_assert_eq(c->version, 2);
	cr_assert_str_eq(c->ipt_no, "ZY-0042");
	cr_assert_str_eq(c->dept_name, "神经内科 一病区", "inner runs fold to one space: '%s'", c->dept_name);
	cr_assert(c->has_deposit);
	cr_assert_eq(c->deposit, 300000);
	cr_assert(c->has_national);
	cr_assert_str_eq(c->national.setl_id, "2304-51010120170310000123");
	cr_assert_eq(c->national.hifp_pay, 816000);
	cr_assert_eq(c->national.hifmi_pay, 0);
	cr_assert_eq(c->national.maf_pay, 114800);
	cr_assert(c->national.has_bill_fields);
	cr_assert_eq(c->national.fulamt_ownpay_amt, 50000);
	cr_assert_eq(c->national.overlmt_selfpay, 0);
	cr_assert_eq(c->national.preselfpay_amt, 20000);
	cr_assert_eq(c->national.inscp_scp_amt, 980000);
	cr_assert_eq(c->national.act_pay_dedc, 20000);
	cr_assert_eq(c->item_count, 3);
	cr_assert_eq(c->medfee_sumamt, 1050000);
	zt_test_claims_free(&g);

	/* every v2 field is optional; <national> without its bill fields */
	one_ok(&g, ZT_CLAIM_FORMAT_XML, worked_xml(V2, NULL));
	cr_assert(!g.c[0].claim.has_deposit && !g.c[0].claim.has_national);
	cr_assert_str_eq(g.c[0].claim.ipt_no, "");
	zt_test_claims_free(&g);
	one_ok(&g, ZT_CLAIM_FORMAT_XML,
	       worked_xml(V2, "<national setl_id=\"N1\"><maf_pay>0.00</maf_pay><hifp_pay>1.00</hifp_pay>"
	                      "<hifmi_pay>2.00</hifmi_pay></national>"));
	cr_assert(g.c[0].claim.has_national && !g.c[0].claim.national.has_bill_fields);
	cr_assert_eq(g.c[0].claim.national.hifmi_pay, 200);
	zt_test_claims_free(&g);
}

Test(claim_v2_xml, the_version_is_the_roots_namespace_and_a_file_is_of_one_version)
{
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_XML, worked_xml(V1, NULL));
	cr_assert_eq(g.version, 1);
	cr_assert_eq(g.c[0].claim.version, 1);
	zt_test_claims_free(&g);

	/* a list of v2 with a v1 claim in it: that claim is rejected in its
	 * place, the others are read */
	char list[20000];
	const char *c2 = worked_xml(V2, NULL), *c1 = worked_xml(V1, NULL);
	snprintf(list, sizeof list, "<claims xmlns=\"%s\">\n%s%s%s</claims>\n", V2, c2, c1, c2);
	read_xml(&g, list);
	cr_assert_eq(g.status, 0, "%s", g.status_msg);
	cr_assert_eq(g.version, 2);
	cr_assert_eq(g.n, 3);
	cr_assert(!g.c[0].rejected && g.c[1].rejected && !g.c[2].rejected);
	cr_assert(strstr(g.c[1].message, "a file is of one version"), "%s", g.c[1].message);
	zt_test_claims_free(&g);
	/* and the reverse */
	snprintf(list, sizeof list, "<claims xmlns=\"%s\">\n%s%s</claims>\n", V1, c1, c2);
	read_xml(&g, list);
	cr_assert_eq(g.version, 1);
	cr_assert(!g.c[0].rejected && g.c[1].rejected, "%s", g.c[1].message);
	zt_test_claims_free(&g);

	/* a v2 field in a v1 claim is unknown to claim.xsd */
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V1, "<ipt_no>ZY-1</ipt_no>"), "ipt_no");
	/* a root in another namespace refuses the file whole */
	read_xml(&g, worked_xml("urn:zhitong:claim:3", NULL));
	cr_assert_eq(g.status, ZT_EINVAL);
	cr_assert(strstr(g.status_msg, "urn:zhitong:claim:2"), "%s", g.status_msg);
	zt_test_claims_free(&g);
}

Test(claim_v2_xml, a_v1_digest_is_byte_identical_to_earlier_versions)
{
	char *text = zt_test_slurp(zt_test_case("claims/worked-example.xml"));
	cr_assert(text);
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_XML, text);
	cr_assert_str_eq(zt_test_hex(g.c[0].digest), WORKED_EXAMPLE_V1_DIGEST);
	zt_test_claims_free(&g);
	/* the compact form of the same claim too */
	one_ok(&g, ZT_CLAIM_FORMAT_XML, worked_xml(V1, NULL));
	cr_assert_str_eq(zt_test_hex(g.c[0].digest), WORKED_EXAMPLE_V1_DIGEST);
	zt_test_claims_free(&g);
	free(text);
}

Test(claim_v2_xml, every_v2_field_is_part_of_the_claim)
{
	/* a v1 and a v2 claim of the same content are not the same claim, and
	 * each v2 field, present or not, changes the digest */
	const char *variants[] = {
		worked_xml(V1, NULL),
		worked_xml(V2, NULL),
		worked_xml(V2, "<ipt_no>ZY-0042</ipt_no>"),
		worked_xml(V2, "<ipt_no>ZY-0043</ipt_no>"),
		worked_xml(V2, "<dept_name>内科</dept_name>"),
		worked_xml(V2, "<deposit>0.00</deposit>"),
		worked_xml(V2, "<deposit>0.01</deposit>"),
		worked_xml(V2, "<national setl_id=\"N1\"><hifp_pay>0.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
		               "<maf_pay>0.00</maf_pay></national>"),
		worked_xml(V2, "<national setl_id=\"N2\"><hifp_pay>0.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
		               "<maf_pay>0.00</maf_pay></national>"),
		worked_xml(V2, "<national setl_id=\"N1\"><hifp_pay>0.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
		               "<maf_pay>0.01</maf_pay></national>"),
		worked_xml(V2, "<national setl_id=\"N1\"><hifp_pay>0.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
		               "<maf_pay>0.00</maf_pay><fulamt_ownpay_amt>0.00</fulamt_ownpay_amt>"
		               "<overlmt_selfpay>0.00</overlmt_selfpay><preselfpay_amt>0.00</preselfpay_amt>"
		               "<inscp_scp_amt>0.00</inscp_scp_amt><act_pay_dedc>0.00</act_pay_dedc></national>"),
		worked_xml(V2, V2_FIELDS),
	};
	enum { N = sizeof variants / sizeof *variants };
	char hex[N][65];
	for (int i = 0; i < N; i++) {
		struct zt_test_claims g;
		one_ok(&g, ZT_CLAIM_FORMAT_XML, variants[i]);
		snprintf(hex[i], 65, "%s", zt_test_hex(g.c[0].digest));
		zt_test_claims_free(&g);
		for (int k = 0; k < i; k++)
			cr_assert_str_neq(hex[i], hex[k], "variants %d and %d have one digest", k, i);
	}
	/* and the same v2 claim in another order and white space is the same */
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_XML,
	       worked_xml(V2, "<national setl_id=\"2304-51010120170310000123\"><act_pay_dedc> 200.00 </act_pay_dedc>"
	                      "<inscp_scp_amt>9800.00</inscp_scp_amt><preselfpay_amt>200.00</preselfpay_amt>"
	                      "<overlmt_selfpay>0.00</overlmt_selfpay><fulamt_ownpay_amt>500.00</fulamt_ownpay_amt>"
	                      "<maf_pay>1148.00</maf_pay><hifmi_pay>0.00</hifmi_pay><hifp_pay>8160.00</hifp_pay>"
	                      "</national><deposit>3000.00</deposit><dept_name> 神经内科\n一病区 </dept_name>"
	                      "<ipt_no>ZY-0042</ipt_no>"));
	cr_assert_str_eq(zt_test_hex(g.c[0].digest), hex[N - 1]);
	zt_test_claims_free(&g);
}

Test(claim_v2_xml, national_needs_its_three_amounts_and_all_five_bill_fields_or_none)
{
	static const char *const three[] = {"hifp_pay", "hifmi_pay", "maf_pay"};
	for (int skip = 0; skip < 3; skip++) {
		char n[600] = "<national setl_id=\"N1\">";
		for (int i = 0; i < 3; i++)
			if (i != skip)
				snprintf(n + strlen(n), sizeof n - strlen(n), "<%s>1.00</%s>", three[i], three[i]);
		strcat(n, "</national>");
		one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, n), three[skip]);
	}
	static const char *const five[] = {"fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
	                                   "inscp_scp_amt", "act_pay_dedc"};
	for (int count = 1; count <= 4; count++) {
		char n[900] = "<national setl_id=\"N1\"><hifp_pay>1.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
		              "<maf_pay>0.00</maf_pay>";
		for (int i = 0; i < count; i++)
			snprintf(n + strlen(n), sizeof n - strlen(n), "<%s>1.00</%s>", five[i], five[i]);
		strcat(n, "</national>");
		one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, n), "all five or not at all");
	}
	/* an amount in the wrong form, a repeated field */
	one_rejected(ZT_CLAIM_FORMAT_XML,
	             worked_xml(V2, "<national setl_id=\"N1\"><hifp_pay>1.0</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
	                            "<maf_pay>0.00</maf_pay></national>"),
	             "hifp_pay");
	one_rejected(ZT_CLAIM_FORMAT_XML,
	             worked_xml(V2, "<national setl_id=\"N1\"><hifp_pay>1.00</hifp_pay><hifp_pay>1.00</hifp_pay>"
	                            "<hifmi_pay>0.00</hifmi_pay><maf_pay>0.00</maf_pay></national>"),
	             "hifp_pay");
	one_rejected(ZT_CLAIM_FORMAT_XML,
	             worked_xml(V2, "<national><hifp_pay>1.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
	                            "<maf_pay>0.00</maf_pay></national>"),
	             "setl_id");
}

static const char *with_setl_id(const char *id)
{
	static char n[800];
	snprintf(n, sizeof n, "<national setl_id=\"%s\"><hifp_pay>1.00</hifp_pay><hifmi_pay>0.00</hifmi_pay>"
	                      "<maf_pay>0.00</maf_pay></national>", id);
	return worked_xml(V2, n);
}

Test(claim_v2_xml, the_national_setl_id_is_1_to_40_printable_ascii_without_spaces_never_trimmed)
{
	char forty[41], fortyone[42];
	memset(forty, 'A', 40);
	forty[40] = '\0';
	snprintf(fortyone, sizeof fortyone, "%s9", forty);
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_XML, with_setl_id(forty));
	cr_assert_str_eq(g.c[0].claim.national.setl_id, forty);
	zt_test_claims_free(&g);
	one_ok(&g, ZT_CLAIM_FORMAT_XML, with_setl_id("!~#&amp;&lt;*09az"));
	cr_assert_str_eq(g.c[0].claim.national.setl_id, "!~#&<*09az");
	zt_test_claims_free(&g);
	static const char *const bad[] = {"", " N1", "N1 ", "N 1", "N&#9;1", "N&#x3000;1", "张三", "N\xC2\xA0" "1"};
	one_rejected(ZT_CLAIM_FORMAT_XML, with_setl_id(fortyone), "setl_id");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		one_rejected(ZT_CLAIM_FORMAT_XML, with_setl_id(bad[i]), "setl_id");
}

Test(claim_v2_xml, ipt_no_is_an_identifier_and_dept_name_a_name)
{
	char thirty[31], fifty[200] = "";
	memset(thirty, '7', 30);
	thirty[30] = '\0';
	for (int i = 0; i < 50; i++)
		strcat(fifty, "科");
	char x[600];
	struct zt_test_claims g;
	snprintf(x, sizeof x, "<ipt_no>%s</ipt_no><dept_name>%s</dept_name>", thirty, fifty);
	one_ok(&g, ZT_CLAIM_FORMAT_XML, worked_xml(V2, x));
	cr_assert_str_eq(g.c[0].claim.ipt_no, thirty);
	cr_assert_str_eq(g.c[0].claim.dept_name, fifty);
	zt_test_claims_free(&g);
	snprintf(x, sizeof x, "<ipt_no>%s7</ipt_no>", thirty);
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, x), "ipt_no");
	snprintf(x, sizeof x, "<dept_name>%s科</dept_name>", fifty);
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, x), "dept_name");
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, "<ipt_no>ZY 1</ipt_no>"), "ipt_no");
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, "<ipt_no>ZY\xE2\x80\x8B" "1</ipt_no>"), "ipt_no");
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, "<dept_name>内\xE2\x80\xAE科</dept_name>"),
	             "dept_name");
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, "<dept_name> </dept_name>"), "dept_name");
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, "<deposit>-1.00</deposit>"), "deposit");
	one_rejected(ZT_CLAIM_FORMAT_XML, worked_xml(V2, "<deposit>1</deposit>"), "deposit");
}

/* ---- JSON ---------------------------------------------------------------------- */

Test(claim_json, the_worked_example_as_json_is_the_same_claim_as_in_xml_v2)
{
	struct zt_test_claims x, j;
	one_ok(&x, ZT_CLAIM_FORMAT_XML, worked_xml(V2, V2_FIELDS));
	one_ok(&j, ZT_CLAIM_FORMAT_JSON, worked_json(JSON_V2_FIELDS));
	cr_assert_eq(j.version, 2);
	cr_assert_eq(j.c[0].claim.version, 2);
	cr_assert_str_eq(zt_test_hex(j.c[0].digest), zt_test_hex(x.c[0].digest));
	cr_assert_str_eq(j.c[0].claim.dept_name, "神经内科 一病区");
	zt_test_claims_free(&x);
	zt_test_claims_free(&j);
	/* without the v2 fields: the same as the XML v2 claim, not the v1 one */
	struct zt_test_claims x1;
	one_ok(&x, ZT_CLAIM_FORMAT_XML, worked_xml(V2, NULL));
	one_ok(&x1, ZT_CLAIM_FORMAT_XML, worked_xml(V1, NULL));
	one_ok(&j, ZT_CLAIM_FORMAT_JSON, worked_json(NULL));
	cr_assert_str_eq(zt_test_hex(j.c[0].digest), zt_test_hex(x.c[0].digest));
	cr_assert_str_neq(zt_test_hex(j.c[0].digest), zt_test_hex(x1.c[0].digest));
	zt_test_claims_free(&x);
	zt_test_claims_free(&x1);
	zt_test_claims_free(&j);
}

/* A JSON claim of one item whose `member` (a path: "claim_no",
 * "items.pric", "national.setl_id") is `value` (JSON text; NULL: absent). */
static const char *json_with(const char *member, const char *value)
{
	static const char *const claim_keys[] = {"fixmedins_code", "claim_no", "psn_no", "adm_date",
	                                         "dscg_date", "dscg_maindiag_code", "medfee_sumamt", "ipt_no",
	                                         "dept_name", "deposit"};
	static const char *const claim_vals[] = {"\"H51010101\"", "\"J-1\"", "\"P0000001\"", "\"2017-03-01\"",
	                                         "\"2017-03-10\"", "\"I63.900\"", "\"100.00\"", "\"ZY-1\"",
	                                         "\"内科\"", "\"0.00\""};
	static const char *const item_keys[] = {"feedetl_sn", "med_list_codg", "med_chrgitm_type",
	                                        "chrgitm_lv", "pric", "cnt", "det_item_fee_sumamt",
	                                        "pric_uplmt_amt", "selfpay_prop"};
	static const char *const item_vals[] = {"\"1\"", "\"X1\"", "\"05\"", "\"01\"", "\"100\"", "\"1\"",
	                                        "\"100.00\"", "\"200\"", "\"0.10\""};
	static const char *const nat_keys[] = {"setl_id", "hifp_pay", "hifmi_pay", "maf_pay",
	                                       "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
	                                       "inscp_scp_amt", "act_pay_dedc"};
	static const char *const nat_vals[] = {"\"N1\"", "\"0.00\"", "\"0.00\"", "\"0.00\"", "\"0.00\"",
	                                       "\"0.00\"", "\"0.00\"", "\"100.00\"", "\"0.00\""};
	static char buf[4][4000];
	static int next;
	char *b = buf[next++ % 4];
	size_t len = 0;
	const char *path_item = strncmp(member, "items.", 6) == 0 ? member + 6 : NULL;
	const char *path_nat = strncmp(member, "national.", 9) == 0 ? member + 9 : NULL;
#define PUT(...) (len += (size_t)snprintf(b + len, 4000 - len, __VA_ARGS__))
	PUT("{");
	for (size_t i = 0; i < sizeof claim_keys / sizeof *claim_keys; i++) {
		const char *v = strcmp(member, claim_keys[i]) == 0 ? value : claim_vals[i];
		if (v)
			PUT("\"%s\": %s, ", claim_keys[i], v);
	}
	if (strcmp(member, "items") == 0) {
		if (value)
			PUT("\"items\": %s, ", value);
	} else {
		PUT("\"items\": [{");
		bool first = true;
		for (size_t i = 0; i < sizeof item_keys / sizeof *item_keys; i++) {
			const char *v = path_item && strcmp(path_item, item_keys[i]) == 0 ? value : item_vals[i];
			if (v)
				PUT("%s\"%s\": %s", first ? "" : ", ", item_keys[i], v);
			first = first && !v;
		}
		if (path_item && !strcmp(path_item, "extra"))
			PUT(", \"extra\": %s", value);
		PUT("}], ");
	}
	if (strcmp(member, "national") == 0) {
		PUT("\"national\": %s", value ? value : "null");
	} else {
		PUT("\"national\": {");
		bool first = true;
		for (size_t i = 0; i < sizeof nat_keys / sizeof *nat_keys; i++) {
			const char *v = path_nat && strcmp(path_nat, nat_keys[i]) == 0 ? value : nat_vals[i];
			if (v)
				PUT("%s\"%s\": %s", first ? "" : ", ", nat_keys[i], v);
			first = first && !v;
		}
		if (path_nat && !strcmp(path_nat, "extra"))
			PUT(", \"extra\": %s", value);
		PUT("}");
	}
	if (strcmp(member, "extra") == 0)
		PUT(", \"extra\": %s", value);
	PUT("}");
#undef PUT
	return b;
}

Test(claim_json, the_base_claim_of_these_tests_is_read)
{
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("none", NULL));
	const struct zt_claim *c = &g.c[0].claim;
	cr_assert_str_eq(c->claim_no, "J-1");
	cr_assert(c->has_national && c->national.has_bill_fields && c->has_deposit);
	cr_assert_eq(c->item_count, 1);
	zt_test_claims_free(&g);
}

Test(claim_json, every_member_wrong_in_turn_is_schema_invalid_naming_it)
{
	static const struct {
		const char *member, *value, *needle;
	} cases[] = {
		{"fixmedins_code", NULL, "'fixmedins_code' is missing"},
		{"fixmedins_code", "null", "'fixmedins_code' is missing"},
		{"fixmedins_code", "\"\"", "'fixmedins_code' is empty"},
		{"fixmedins_code", "\"H 1\"", "'fixmedins_code'"},
		{"fixmedins_code", "42", "'fixmedins_code' must be a string"},
		{"fixmedins_code", "\"H1234567890123456789012345678901\"", "'fixmedins_code'"},
		{"claim_no", "\"J\xE2\x80\x8B" "1\"", "'claim_no'"},
		{"claim_no", "[\"J-1\"]", "'claim_no' must be a string"},
		{"psn_no", NULL, "'psn_no' is missing"},
		{"psn_no", "\" P1\"", "'psn_no'"},
		{"adm_date", "\"2017-02-30\"", "'adm_date'"},
		{"adm_date", "\"2017-3-1\"", "'adm_date'"},
		{"adm_date", "20170301", "'adm_date' must be a date string"},
		{"dscg_date", NULL, "'dscg_date' is missing"},
		{"dscg_maindiag_code", "\"I63.900I63.900I63.900\"", "'dscg_maindiag_code'"},
		{"medfee_sumamt", "\"100\"", "'medfee_sumamt'"},
		{"medfee_sumamt", "\" 100.00\"", "white space"},
		{"medfee_sumamt", "100.001", "'medfee_sumamt'"},
		{"medfee_sumamt", "1e2", "exponent"},
		{"medfee_sumamt", "-100.00", "negative"},
		{"medfee_sumamt", "true", "'medfee_sumamt' must be a string or a number"},
		{"ipt_no", "\"ZY 1\"", "'ipt_no'"},
		{"ipt_no", "7", "'ipt_no' must be a string"},
		{"dept_name", "\"内\\u202e科\"", "'dept_name'"},
		{"dept_name", "\"a\\tb\"", "'dept_name'"},
		{"dept_name", "\"   \"", "'dept_name' is empty"},
		{"deposit", "\"1.0\"", "'deposit'"},
		{"items", NULL, "'items' is missing"},
		{"items", "[]", "'items' is empty"},
		{"items", "{}", "'items' must be an array"},
		{"items", "[1]", "item 1"},
		{"items.feedetl_sn", NULL, "'feedetl_sn' is missing"},
		{"items.med_list_codg", "\"X 1\"", "'med_list_codg'"},
		{"items.med_chrgitm_type", "\"15\"", "'med_chrgitm_type'"},
		{"items.med_chrgitm_type", "5", "'med_chrgitm_type' must be a string"},
		{"items.chrgitm_lv", "\"4\"", "'chrgitm_lv'"},
		{"items.chrgitm_lv", "\"001\"", "'chrgitm_lv'"},
		{"items.pric", "\"1.00001\"", "'pric'"},
		{"items.pric", "12.34567", "'pric'"},
		{"items.cnt", NULL, "'cnt' is missing"},
		{"items.det_item_fee_sumamt", "\"100.0\"", "'det_item_fee_sumamt'"},
		{"items.pric_uplmt_amt", "\"x\"", "'pric_uplmt_amt'"},
		{"items.selfpay_prop", "1.5", "'selfpay_prop'"},
		{"items.selfpay_prop", "\"0.12345\"", "'selfpay_prop'"},
		{"items.extra", "1", "unknown member 'extra'"},
		{"national", "[]", "'national' must be an object"},
		{"national.setl_id", NULL, "'setl_id' is missing"},
		{"national.setl_id", "\"N 1\"", "'setl_id'"},
		{"national.setl_id", "\"\"", "'setl_id'"},
		{"national.setl_id", "\"12345678901234567890123456789012345678901\"", "'setl_id'"},
		{"national.hifp_pay", NULL, "'hifp_pay' is missing"},
		{"national.hifmi_pay", "\"0\"", "'hifmi_pay'"},
		{"national.maf_pay", NULL, "'maf_pay' is missing"},
		{"national.fulamt_ownpay_amt", NULL, "all five or not at all (4 given)"},
		{"national.act_pay_dedc", "null", "all five or not at all (4 given)"},
		{"national.extra", "1", "unknown member 'extra'"},
		{"extra", "1", "unknown member 'extra'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		one_rejected(ZT_CLAIM_FORMAT_JSON, json_with(cases[i].member, cases[i].value), cases[i].needle);
	/* national.extra and items.extra need the member added, not replaced */
}

Test(claim_json, null_means_absent)
{
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("items.pric_uplmt_amt", "null"));
	zt_test_claims_free(&g);
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("national", "null"));
	cr_assert(!g.c[0].claim.has_national);
	zt_test_claims_free(&g);
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("deposit", "null"));
	cr_assert(!g.c[0].claim.has_deposit);
	zt_test_claims_free(&g);
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("ipt_no", "null"));
	cr_assert_str_eq(g.c[0].claim.ipt_no, "");
	zt_test_claims_free(&g);
	/* all five bill fields null: none given */
	char text[4000];
	snprintf(text, sizeof text, "%s", json_with("national",
	                                            "{\"setl_id\": \"N1\", \"hifp_pay\": 1, \"hifmi_pay\": 0, "
	                                            "\"maf_pay\": 0, \"fulamt_ownpay_amt\": null, "
	                                            "\"overlmt_selfpay\": null, \"preselfpay_amt\": null, "
	                                            "\"inscp_scp_amt\": null, \"act_pay_dedc\": null}"));
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, text);
	cr_assert(g.c[0].claim.has_national && !g.c[0].claim.national.has_bill_fields);
	zt_test_claims_free(&g);
}

Test(claim_json, amounts_are_strings_or_numbers_read_exactly)
{
	static const struct {
		const char *value;
		long long fen;
	} ok[] = {
		{"\"8000.50\"", 800050}, {"8000.5", 800050},  {"8000", 800000}, {"0.07", 7},
		{"0.1", 10},             {"0.29", 29},        {"1.15", 115},   {"\"0.00\"", 0},
		/* a double would make these ...98 or round them */
		{"99999999999999.99", INT64_C(9999999999999999)},
		{"\"99999999999999.99\"", INT64_C(9999999999999999)},
		{"12345678901234.57", INT64_C(1234567890123457)},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct zt_test_claims g;
		one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("deposit", ok[i].value));
		cr_assert_eq(g.c[0].claim.deposit, ok[i].fen, "%s: %lld", ok[i].value,
		             (long long)g.c[0].claim.deposit);
		zt_test_claims_free(&g);
	}
	static const char *const bad[] = {"\"8000.5\"", "8000.505", "1e3", "1E3", "-0.01", "\"-0.01\"",
	                                  "100000000000000.00", "\"01.00\"", "\"1.00 \""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		one_rejected(ZT_CLAIM_FORMAT_JSON, json_with("deposit", bad[i]), "'deposit'");
	/* quantities and prices: up to four decimals, exactly */
	struct zt_test_claims g;
	char *text = strdup(json_with("items.cnt", "12345678901234.5678"));
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, text);
	zt_test_claims_free(&g);
	free(text);
	one_rejected(ZT_CLAIM_FORMAT_JSON, json_with("items.cnt", "0.00001"), "'cnt'");
}

Test(claim_json, prices_quantities_and_ratios_as_numbers_are_exactly_their_text)
{
	/* values no binary fraction holds: as JSON numbers they give the claim
	 * they give as strings, to the last unit */
	static const struct {
		const char *member, *number, *string;
	} cases[] = {
		{"items.pric", "0.3", "\"0.3000\""},
		{"items.pric", "12345678901234.5679", "\"12345678901234.5679\""},
		{"items.cnt", "3.3333", "\"3.3333\""},
		{"items.cnt", "0.1", "\"0.1\""},
		{"items.selfpay_prop", "0.7", "\"0.7000\""},
		{"items.det_item_fee_sumamt", "0.29", "\"0.29\""},
		{"national.hifp_pay", "1.15", "\"1.15\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct zt_test_claims n, t;
		char *num = strdup(json_with(cases[i].member, cases[i].number));
		one_ok(&n, ZT_CLAIM_FORMAT_JSON, num);
		one_ok(&t, ZT_CLAIM_FORMAT_JSON, json_with(cases[i].member, cases[i].string));
		cr_assert_str_eq(zt_test_hex(n.c[0].digest), zt_test_hex(t.c[0].digest), "%s: %s",
		                 cases[i].member, cases[i].number);
		zt_test_claims_free(&n);
		zt_test_claims_free(&t);
		free(num);
	}
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("national.hifp_pay", "1.15"));
	cr_assert_eq(g.c[0].claim.national.hifp_pay, 115);
	zt_test_claims_free(&g);
	/* and the worked example in JSON (numbers and strings mixed) is the
	 * XML one */
	struct zt_test_claims x, j;
	one_ok(&x, ZT_CLAIM_FORMAT_XML, worked_xml(V2, NULL));
	one_ok(&j, ZT_CLAIM_FORMAT_JSON, worked_json(NULL));
	cr_assert_str_eq(zt_test_hex(j.c[0].digest), zt_test_hex(x.c[0].digest));
	zt_test_claims_free(&x);
	zt_test_claims_free(&j);
}

Test(claim_json, a_list_with_one_bad_claim_rejects_it_in_its_place)
{
	char list[20000];
	char *good = strdup(json_with("none", NULL));
	snprintf(list, sizeof list, "[%s, %s, \"not a claim\", %s]", good,
	         json_with("claim_no", "\"J 2\""), good);
	struct zt_test_claims g;
	read_json(&g, list);
	cr_assert_eq(g.status, 0, "%s", g.status_msg);
	cr_assert_eq(g.n, 4);
	cr_assert(!g.c[0].rejected);
	cr_assert(g.c[1].rejected);
	cr_assert(strstr(g.c[1].message, "'claim_no'"), "%s", g.c[1].message);
	cr_assert_str_eq(g.c[1].hospital, "H51010101", "what could be read is kept");
	cr_assert_str_eq(g.c[1].claim_no, "");
	cr_assert(g.c[2].rejected);
	cr_assert(strstr(g.c[2].message, "a claim is an object, not a string"), "%s", g.c[2].message);
	cr_assert(!g.c[3].rejected);
	zt_test_claims_free(&g);
	/* a list of one, and an empty list */
	snprintf(list, sizeof list, "[%s]", good);
	read_json(&g, list);
	cr_assert_eq(g.n, 1);
	cr_assert(!g.c[0].rejected);
	zt_test_claims_free(&g);
	read_json(&g, "[]");
	cr_assert_eq(g.status, 0);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(g.version, 2);
	zt_test_claims_free(&g);
	free(good);
}

Test(claim_json, a_body_that_is_not_a_claim_document_is_refused_whole)
{
	static const struct {
		const char *body;
		int code;
		const char *needle;
	} cases[] = {
		{"", ZT_EMALFORMED, "json"},
		{"{", ZT_EMALFORMED, "json"},
		{"<claim/>", ZT_EMALFORMED, "json"},
		{"{\"claim_no\": \"1\", \"claim_no\": \"2\"}", ZT_EMALFORMED, "duplicate"},
		{"[{}] []", ZT_EMALFORMED, "json"},
		{"\"a claim\"", ZT_EINVAL, "not a claim object or a list of claims"},
		{"42", ZT_EINVAL, "not a claim object or a list of claims"},
		{"\xC0\xAF", ZT_EMALFORMED, "not UTF-8"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct zt_test_claims g;
		read_json(&g, cases[i].body);
		cr_assert_eq(g.status, cases[i].code, "'%s': %d %s", cases[i].body, g.status, g.status_msg);
		cr_assert_eq(g.n, 0);
		cr_assert(strstr(g.status_msg, cases[i].needle), "'%s': %s", cases[i].body, g.status_msg);
		zt_test_claims_free(&g);
	}
}

Test(claim_json, lengths_are_characters_and_identifiers_are_checked_as_in_xml)
{
	char forty[200] = "\"", fortyone[200];
	for (int i = 0; i < 40; i++)
		strcat(forty, "号");
	snprintf(fortyone, sizeof fortyone, "%s号\"", forty);
	strcat(forty, "\"");
	struct zt_test_claims g;
	one_ok(&g, ZT_CLAIM_FORMAT_JSON, json_with("claim_no", forty));
	zt_test_claims_free(&g);
	one_rejected(ZT_CLAIM_FORMAT_JSON, json_with("claim_no", fortyone), "'claim_no'");
	/* the characters libxml2's tables do not know are refused here too */
	one_rejected(ZT_CLAIM_FORMAT_JSON, json_with("psn_no", "\"P\\u20661\""), "'psn_no'");
	/* U+0000 is not text: the parser refuses the body whole */
	read_json(&g, json_with("psn_no", "\"P\\u00001\""));
	cr_assert_eq(g.status, ZT_EMALFORMED, "%s", g.status_msg);
	zt_test_claims_free(&g);
	/* the same feedetl_sn twice */
	one_rejected(ZT_CLAIM_FORMAT_JSON,
	             json_with("items", "[{\"feedetl_sn\": \"1\", \"med_list_codg\": \"X\", \"med_chrgitm_type\": \"05\","
	                                " \"chrgitm_lv\": \"1\", \"pric\": 50, \"cnt\": 1, \"det_item_fee_sumamt\": 50},"
	                                " {\"feedetl_sn\": \"1\", \"med_list_codg\": \"X\", \"med_chrgitm_type\": \"05\","
	                                " \"chrgitm_lv\": \"1\", \"pric\": 50, \"cnt\": 1, \"det_item_fee_sumamt\": 50}]"),
	             "feedetl_sn '1' appears more than once");
}

/* ---- settling v2 --------------------------------------------------------------- */

/* zhitong --db DB …, from testutil */
#define zt zt_test_db

static const char *world_db(void)
{
	const char *db = tmp_path("v2.db");
	static char keep[600];
	snprintf(keep, sizeof keep, "%s", db);
	struct run r = zt(keep, "init");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = zt(keep, "registry load '%s'", REGISTRY);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = zt(keep, "rules load '%s'", POLICY);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	return keep;
}

static void valid_settlement_v2(const char *xml)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), "answer.xml", NULL, XML_PARSE_NONET);
	cr_assert(d, "not XML: %s", xml);
	/* schema/settlement-v2.xsd as the program embeds it (in this process
	 * the engine's loader refuses every file libxml2 would open itself) */
	char *xsd = zt_test_slurp(SETTLEMENT_V2_XSD);
	cr_assert(xsd);
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(xsd, (int)strlen(xsd));
	xmlSchemaPtr schema = xmlSchemaParse(pc);
	cr_assert(schema);
	free(xsd);
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	cr_assert_eq(xmlSchemaValidateDoc(vc, d), 0, "not a settlement v2:\n%s", xml);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(pc);
	xmlFreeDoc(d);
}

static char *setl_id_of(const char *out)
{
	const char *p = strstr(out, "setl_id=\"");
	cr_assert(p, "%s", out);
	p += 9;
	return strndup(p, strcspn(p, "\""));
}

Test(claim_v2_settle, a_v2_file_is_answered_in_settlement_v2_with_the_v1_content)
{
	const char *db = world_db();
	const char *v2 = zt_test_write("v2.xml", worked_xml(V2, "<ipt_no>ZY-0042</ipt_no><deposit>3000.00</deposit>"));
	struct run r = zt(db, "claim submit '%s'", v2);
	cr_assert_eq(r.code, 0, "%s%s", r.err, r.out);
	cr_assert(strstr(r.out, "<settlements xmlns=\"urn:zhitong:settlement:2\">"), "%s", r.out);
	/* docs/spec/split.md §7 to the fen */
	cr_assert(strstr(r.out, "<hifp_pay>8160.00</hifp_pay>"), "%s", r.out);
	cr_assert(strstr(r.out, "<maf_pay>1148.00</maf_pay>"), "%s", r.out);
	cr_assert(strstr(r.out, "<psn_part_amt>1050.00</psn_part_amt>"), "%s", r.out);
	cr_assert(strstr(r.out, "<pool_prop_selfpay>"), "no <national>: pool_prop_selfpay stays");
	valid_settlement_v2(r.out);
	char *id = setl_id_of(r.out);
	/* the same claim again: the stored settlement, nothing new */
	struct run again = zt(db, "claim submit '%s'", v2);
	cr_assert_eq(again.code, 0, "%s", again.err);
	char *id2 = setl_id_of(again.out);
	cr_assert_str_eq(id2, id);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 1);
	/* the same claim number with another v2 field: a different claim */
	struct run other = zt(db, "claim submit '%s'",
	                      zt_test_write("v2b.xml", worked_xml(V2, "<ipt_no>ZY-0043</ipt_no><deposit>3000.00</deposit>")));
	cr_assert_eq(other.code, 1, "%s", other.err);
	cr_assert(strstr(other.out, "code=\"duplicate-claim-no\""), "%s", other.out);
	/* and the same content as v1: not the same claim again either */
	struct run v1 = zt(db, "claim submit '%s'", zt_test_write("v1.xml", worked_xml(V1, NULL)));
	cr_assert_eq(v1.code, 1, "%s", v1.err);
	cr_assert(strstr(v1.out, "<settlements xmlns=\"urn:zhitong:settlement:1\">"), "%s", v1.out);
	cr_assert(strstr(v1.out, "code=\"duplicate-claim-no\""), "%s", v1.out);
	free(id);
	free(id2);
	run_free(&r);
	run_free(&again);
	run_free(&other);
	run_free(&v1);
}

Test(claim_v2_settle, a_claim_carrying_national_is_national_unexpected_while_every_policy_is_full)
{
	const char *db = world_db();
	struct run r = zt(db, "claim submit '%s'", zt_test_write("n.xml", worked_xml(V2, V2_FIELDS)));
	cr_assert_eq(r.code, 1, "%s%s", r.err, r.out);
	cr_assert(strstr(r.out, "code=\"national-unexpected\""), "%s", r.out);
	cr_assert(strstr(r.out, "2304-51010120170310000123"), "the message names it: %s", r.out);
	valid_settlement_v2(r.out);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM claim"), 0);
	run_free(&r);
	/* after amount-mismatch (docs/spec/claim-v2-national.md §3) */
	char *bad = strdup(worked_xml(V2, V2_FIELDS));
	char *at = strstr(bad, "10500.00");
	memcpy(at, "10400.00", 8);
	r = zt(db, "claim quote '%s'", zt_test_write("nm.xml", bad));
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.out, "code=\"amount-mismatch\""), "%s", r.out);
	run_free(&r);
	free(bad);
	/* and before it come the checks of v1: an unknown person */
	char *unknown = strdup(worked_xml(V2, V2_FIELDS));
	memcpy(strstr(unknown, "P0000001"), "P9999999", 8);
	r = zt(db, "claim quote '%s'", zt_test_write("nu.xml", unknown));
	cr_assert(strstr(r.out, "code=\"unknown-person\""), "%s", r.out);
	run_free(&r);
	free(unknown);
}

Test(claim_v2_settle, a_json_body_settles_through_the_same_pipeline)
{
	const char *db = world_db();
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, 0), 0, "%s", zt_error_last());
	char body[16000];
	char *one = strdup(worked_json(", \"ipt_no\": \"ZY-0042\""));
	snprintf(body, sizeof body, "[%s, %s, %s]", one, json_with("claim_no", "7"), one);
	struct zt_settle_opts o = {.actor = "desk1"};
	struct zt_settle_stats st;
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	cr_assert_eq(zt_test_settle_buffer(s, body, strlen(body), ZT_CLAIM_FORMAT_JSON, &o, f, &st), 0, "%s",
	             zt_error_last());
	fclose(f);
	cr_assert_eq(st.claims, 3);
	cr_assert_eq(st.settled, 1);
	cr_assert_eq(st.resent, 1, "the same claim twice in one body is settled once");
	cr_assert_eq(st.rejected, 1);
	cr_assert(strstr(out, "urn:zhitong:settlement:2"), "%s", out);
	cr_assert(strstr(out, "<hifp_pay>8160.00</hifp_pay>"), "%s", out);
	cr_assert(strstr(out, "'claim_no' must be a string"), "%s", out);
	valid_settlement_v2(out);
	free(out);
	/* the same claim from an XML v2 file is the same claim again */
	zt_store_close(s);
	struct run r = zt(db, "claim submit '%s'",
	                  zt_test_write("same.xml", worked_xml(V2, "<ipt_no>ZY-0042</ipt_no>")));
	cr_assert_eq(r.code, 0, "%s%s", r.err, r.out);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 1);
	run_free(&r);
	free(one);
}

Test(claim_v2_settle, a_body_that_is_not_json_stores_nothing)
{
	const char *db = world_db();
	struct zt_store *s = NULL;
	cr_assert_eq(zt_store_open(&s, db, 0), 0, "%s", zt_error_last());
	const char *body = "[{\"claim_no\": 1}, ";
	struct zt_buffer_reader at;
	struct zt_source src = zt_source_buffer(&at, body, strlen(body), "the request body");
	struct zt_settle_opts o = {.actor = "desk1"};
	struct zt_settle_stats st;
	cr_assert_eq(zt_settle_source(s, &src, ZT_CLAIM_FORMAT_JSON, &o, NULL, &st), ZT_EMALFORMED);
	cr_assert(strstr(zt_error_last(), "json: at byte"), "%s", zt_error_last());
	zt_store_close(s);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM claim"), 0);
}

Test(claim_v2_settle, the_national_codes_follow_the_others_with_stable_numbers)
{
	/* docs/spec/claim-v2-national.md §3: after amount-mismatch, never renumbered */
	cr_assert_eq(ZT_REJ_NATIONAL_MISSING, 9);
	cr_assert_eq(ZT_REJ_NATIONAL_UNEXPECTED, 10);
	cr_assert_eq(ZT_REJ_NATIONAL_MISMATCH, 11);
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NATIONAL_MISSING), "national-missing");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NATIONAL_UNEXPECTED), "national-unexpected");
	cr_assert_str_eq(zt_reject_name(ZT_REJ_NATIONAL_MISMATCH), "national-mismatch");
	cr_assert_eq(ZT_REJ_NO_CATALOG, 12);
	cr_assert_eq(ZT_REJ_LAST, ZT_REJ_NO_CATALOG); /* rejected_by[] holds every code */
}
