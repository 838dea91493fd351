/* zhitong — ISO 20022 files: the pain.001.001.03 we send for advances and
 * the camt.053 (001.02, 001.08) statements we reconcile (docs/spec/money-flow.md
 * "Advances", "Reconciliation"; docs/spec/background-formats.md §1, §2).
 *
 * Every file the tests write or read as "valid" is also checked with the
 * stock `xmllint --schema` against the official XSD in schema/iso20022, so
 * the embedded validation is not the only judge. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/iso20022.h"
#include "zhitong/limits.h"
#include "zhitong/xml.h"

#define XSD_DIR ZT_TEST_SOURCE_DIR "/schema/iso20022/"
#define PAIN_XSD XSD_DIR "pain.001.001.03.xsd"
#define CAMT02_XSD XSD_DIR "camt.053.001.02.xsd"
#define CAMT08_XSD XSD_DIR "camt.053.001.08.xsd"

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Files in the test's directory whose name starts with `prefix`. */
static int count_files(const char *prefix)
{
	int n = 0;
	DIR *d = opendir(zt_test_tmpdir());
	cr_assert(d != NULL);
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* ==== pain.001.001.03 ================================================ */

static const struct zt_pain_party POOL = {"某县健康扶贫资金专户", "6222020200112233445", NULL};

static struct zt_pain_msg msg(const struct zt_pain_tx *txs, size_t n)
{
	return (struct zt_pain_msg){
		.msg_id = "ADV-MSG-0001",
		.created = "2024-03-01T09:30:00",
		.initiator_name = "某县医保中心",
		.pmt_inf_id = "ADV-PMT-0001",
		.execution_date = 20240302,
		.debtor = POOL,
		.tx_count = n,
		.txs = txs,
	};
}

static struct zt_pain_tx tx(const char *id, zt_fen amount)
{
	return (struct zt_pain_tx){
		.end_to_end_id = id,
		.amount = amount,
		.currency = "CNY",
		.creditor = {"县人民医院", "110060149018001234567", "PCBCCNBJ"},
		.remittance = "预拨付 2024-03",
	};
}

static void write_ok(const struct zt_pain_msg *m, const char *path)
{
	int rc = zt_pain001_write(m, path, NULL);
	cr_assert_eq(rc, 0, "%s", zt_error_last());
	cr_assert(zt_test_xmllint_valid(PAIN_XSD, path), "xmllint refuses %s", path);
}

Test(pain001_write, one_transaction_is_valid_and_counted)
{
	struct zt_pain_tx t = tx("ADV-2024-03-H001", 1);
	struct zt_pain_msg m = msg(&t, 1);
	const char *path = tmp_path("one.xml");
	unlink(path);
	write_ok(&m, path);
	xmlDocPtr doc = zt_test_pain_load(path);
	zt_test_pain_expect(doc, "string(/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs)", "1");
	zt_test_pain_expect(doc, "string(/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum)", "0.01");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:NbOfTxs)", "1");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:CtrlSum)", "0.01");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf/p:PmtId/p:EndToEndId)", "ADV-2024-03-H001");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf/p:Amt/p:InstdAmt)", "0.01");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf/p:Amt/p:InstdAmt/@Ccy)", "CNY");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:ReqdExctnDt)", "2024-03-02");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:PmtMtd)", "TRF");
	zt_test_pain_expect(doc, "string(//p:RmtInf/p:Ustrd)", "预拨付 2024-03");
	xmlFreeDoc(doc);
	cr_expect_eq(count_files("one.xml.tmp"), 0, "the temporary file is gone");
	cr_expect_eq(count_files(".one.xml."), 0, "the temporary file is gone");
}

/* The byte-exact file for a fixed message (a reviewed golden copy). */
Test(pain001_write, matches_the_reviewed_golden_file)
{
	struct zt_pain_tx t[2] = {tx("ADV-2024-03-H001", 5000000), tx("ADV-2024-03-H002", 1234567)};
	t[1].creditor = (struct zt_pain_party){"Kreisklinik", "DE89370400440532013000", NULL};
	t[1].remittance = NULL;
	struct zt_pain_msg m = msg(t, 2);
	const char *path = tmp_path("golden.xml");
	write_ok(&m, path);
	char *got = zt_test_slurp(path);
	char *want = zt_test_slurp(zt_test_case("pain001/two_transactions.xml"));
	cr_assert(want != NULL);
	cr_expect_str_eq(got, want);
	cr_expect(zt_test_xmllint_valid(PAIN_XSD, zt_test_case("pain001/two_transactions.xml")));
	free(got);
	free(want);
}

Test(pain001_write, accounts_and_agents)
{
	struct zt_pain_tx t[3] = {tx("A-1", 100), tx("A-2", 200), tx("A-3", 300)};
	t[1].creditor = (struct zt_pain_party){"Kreisklinik", "DE89370400440532013000", "COBADEFFXXX"};
	/* IBAN-shaped, wrong check digits: an account number, not an IBAN */
	t[2].creditor = (struct zt_pain_party){"Klinik", "DE00370400440532013000", NULL};
	struct zt_pain_msg m = msg(t, 3);
	const char *path = tmp_path("acct.xml");
	write_ok(&m, path);
	xmlDocPtr doc = zt_test_pain_load(path);
	zt_test_pain_expect(doc, "string(//p:DbtrAcct/p:Id/p:Othr/p:Id)", "6222020200112233445");
	zt_test_pain_expect(doc, "count(//p:DbtrAcct/p:Id/p:IBAN)", "0");
	zt_test_pain_expect(doc, "string(//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id)", "NOTPROVIDED");
	zt_test_pain_expect(doc, "string(//p:Dbtr/p:Nm)", "某县健康扶贫资金专户");
	zt_test_pain_expect(doc, "string(//p:InitgPty/p:Nm)", "某县医保中心");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[1]/p:CdtrAcct/p:Id/p:Othr/p:Id)", "110060149018001234567");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[1]/p:CdtrAgt/p:FinInstnId/p:BIC)", "PCBCCNBJ");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[2]/p:CdtrAcct/p:Id/p:IBAN)", "DE89370400440532013000");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[2]/p:CdtrAgt/p:FinInstnId/p:BIC)", "COBADEFFXXX");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[3]/p:CdtrAcct/p:Id/p:Othr/p:Id)", "DE00370400440532013000");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[3]/p:CdtrAgt/p:FinInstnId/p:Othr/p:Id)", "NOTPROVIDED");
	xmlFreeDoc(doc);
}

Test(pain001_write, amounts_are_exact_at_both_ends)
{
	struct zt_pain_tx t[2] = {tx("E-1", 1), tx("E-2", 1234567890123456)};
	struct zt_pain_msg m = msg(t, 2);
	const char *path = tmp_path("exact.xml");
	write_ok(&m, path);
	xmlDocPtr doc = zt_test_pain_load(path);
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt)", "0.01");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[2]/p:Amt/p:InstdAmt)", "12345678901234.56");
	zt_test_pain_expect(doc, "string(//p:GrpHdr/p:CtrlSum)", "12345678901234.57");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:CtrlSum)", "12345678901234.57");
	zt_test_pain_expect(doc, "string(//p:GrpHdr/p:NbOfTxs)", "2");
	xmlFreeDoc(doc);
}

Test(pain001_write, a_thousand_transactions_count_and_sum)
{
	enum { N = 1000 };
	static char ids[N][16];
	static struct zt_pain_tx t[N];
	zt_fen sum = 0;
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "ADV-%04d", i);
		/* varied cents so a lost or doubled transaction changes the sum */
		t[i] = tx(ids[i], (zt_fen)(i + 1) * 100037 + i % 100);
		sum += t[i].amount;
	}
	t[N - 1].amount = 99999999999999; /* 999999999999.99 yuan: the sum needs 17 digits */
	sum += 99999999999999 - ((zt_fen)N * 100037 + (N - 1) % 100);
	struct zt_pain_msg m = msg(t, N);
	const char *path = tmp_path("thousand.xml");
	write_ok(&m, path);
	xmlDocPtr doc = zt_test_pain_load(path);
	char want[ZT_FMT_BYTES];
	zt_format_amount(want, sum);
	zt_test_pain_expect(doc, "string(//p:GrpHdr/p:NbOfTxs)", "1000");
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:NbOfTxs)", "1000");
	zt_test_pain_expect(doc, "count(//p:CdtTrfTxInf)", "1000");
	zt_test_pain_expect(doc, "string(//p:GrpHdr/p:CtrlSum)", want);
	zt_test_pain_expect(doc, "string(//p:PmtInf/p:CtrlSum)", want);
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[1000]/p:Amt/p:InstdAmt)", "999999999999.99");
	zt_test_pain_expect(doc, "string(//p:CdtTrfTxInf[500]/p:PmtId/p:EndToEndId)", "ADV-0499");
	/* the sum over the file itself, in fen, digit by digit */
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(c, BAD_CAST "p", BAD_CAST "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03");
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST "//p:InstdAmt", c);
	zt_fen file_sum = 0;
	for (int i = 0; i < o->nodesetval->nodeNr; i++) {
		xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
		zt_fen v;
		cr_assert_eq(zt_parse_amount(&v, (const char *)s, strlen((const char *)s)), 0);
		file_sum += v;
		xmlFree(s);
	}
	cr_expect_eq(file_sum, sum);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(c);
	xmlFreeDoc(doc);
}

/* A refused message leaves nothing at the path and nothing beside it. */
static void expect_refused(const struct zt_pain_msg *m, int code, const char *needle)
{
	const char *path = tmp_path("refused.xml");
	unlink(path);
	zt_error_clear();
	int rc = zt_pain001_write(m, path, NULL);
	cr_expect_eq(rc, code, "rc %d (%s), expected %d", rc, zt_error_last(), code);
	cr_expect(strstr(zt_error_last(), needle) != NULL, "message '%s' lacks '%s'", zt_error_last(),
	          needle);
	cr_expect(!exists(path), "nothing may be left at the path");
	cr_expect_eq(count_files("refused.xml"), 0, "no temporary file may be left");
	cr_expect_eq(count_files(".refused.xml."), 0, "no temporary file may be left");
}

Test(pain001_write, refuses_an_end_to_end_id_of_36_characters)
{
	struct zt_pain_tx t[2] = {tx("OK-1", 100), tx("ADV-2024-03-H001-0123456789ABCDEFGHI", 100)};
	cr_assert_eq(strlen(t[1].end_to_end_id), 36);
	struct zt_pain_msg m = msg(t, 2);
	expect_refused(&m, ZT_EINVAL, "EndToEndId of transaction 2");
	expect_refused(&m, ZT_EINVAL, "longer than 35 characters");
	t[1].end_to_end_id = "ADV-2024-03-H001-0123456789ABCDEFGH"; /* 35: fine */
	const char *path = tmp_path("thirty-five.xml");
	write_ok(&m, path);
}

Test(pain001_write, refuses_invalid_fields_by_name)
{
	struct zt_pain_tx t[2] = {tx("R-1", 100), tx("R-2", 200)};
	struct zt_pain_msg m = msg(t, 2);

	t[1].end_to_end_id = "R_2"; /* '_' is outside the allowed set */
	expect_refused(&m, ZT_EINVAL, "character outside");
	t[1].end_to_end_id = "R-2 ";
	expect_refused(&m, ZT_EINVAL, "space");
	t[1].end_to_end_id = "";
	expect_refused(&m, ZT_EINVAL, "missing");
	t[1].end_to_end_id = "R-1";
	expect_refused(&m, ZT_ECONFLICT, "'R-1' is used twice");
	t[1].end_to_end_id = "R-2";

	t[1].amount = 0;
	expect_refused(&m, ZT_ERANGE, "amount");
	t[1].amount = -100;
	expect_refused(&m, ZT_ERANGE, "amount");
	t[1].amount = ZT_FEN_MAX + 1;
	expect_refused(&m, ZT_ERANGE, "amount");
	t[1].amount = 200;

	t[1].currency = "cny";
	expect_refused(&m, ZT_EINVAL, "currency");
	t[1].currency = "USD";
	expect_refused(&m, ZT_EINVAL, "differs");
	t[1].currency = "CNY";

	t[1].creditor.bic = "PCBCCNB";
	expect_refused(&m, ZT_EINVAL, "BIC");
	t[1].creditor.bic = NULL;
	t[1].creditor.iban_or_account = "6222 0202 0011";
	expect_refused(&m, ZT_EINVAL, "account");
	t[1].creditor.iban_or_account = "12345678901234567890123456789012345";
	expect_refused(&m, ZT_EINVAL, "34 characters");
	t[1].creditor.iban_or_account = "110060149018001234567";
	t[1].creditor.name = "县人民医院\n";
	expect_refused(&m, ZT_EINVAL, "control character");
	t[1].creditor.name = "\xe5\x8e\xbf\xff";
	expect_refused(&m, ZT_EINVAL, "UTF-8");
	t[1].creditor.name = NULL;
	expect_refused(&m, ZT_EINVAL, "name is missing");
	t[1].creditor.name = "县人民医院";

	/* 140 characters is the limit, counted in characters, not bytes */
	char rmt[141 * 3 + 1] = "";
	for (int i = 0; i < 141; i++)
		strcat(rmt, "款");
	t[1].remittance = rmt;
	expect_refused(&m, ZT_EINVAL, "longer than 140 characters");
	rmt[140 * 3] = '\0';
	const char *ok = tmp_path("rmt140.xml");
	write_ok(&m, ok);
	t[1].remittance = NULL;

	m.msg_id = "MSG/0001/ÄÖ";
	expect_refused(&m, ZT_EINVAL, "MsgId");
	m.msg_id = "ADV-MSG-0001";
	m.pmt_inf_id = NULL;
	expect_refused(&m, ZT_EINVAL, "PmtInfId");
	m.pmt_inf_id = "ADV-PMT-0001";
	m.created = "2024-03-01 09:30:00";
	expect_refused(&m, ZT_EINVAL, "creation time");
	m.created = "2024-03-01T09:30:00+08:00";
	m.execution_date = 20230229;
	expect_refused(&m, ZT_EINVAL, "execution date");
	m.execution_date = 20240302;
	m.tx_count = 0;
	expect_refused(&m, ZT_EINVAL, "at least one transaction");
	m.tx_count = 2;
	m.debtor.iban_or_account = "";
	expect_refused(&m, ZT_EINVAL, "debtor: account is missing");
}

Test(pain001_write, never_writes_over_another_file_and_fails_whole)
{
	/* a payment file may be one not yet sent: never replaced */
	const char *path = zt_test_write("replace.xml", "the previous instruction\n");
	struct zt_pain_tx t[2] = {tx("P-1", 100), tx("P-1", 100)};
	struct zt_pain_msg m = msg(t, 2);
	cr_assert_neq(zt_pain001_write(&m, path, NULL), 0);
	char *kept = zt_test_slurp(path);
	cr_expect_str_eq(kept, "the previous instruction\n");
	free(kept);
	t[1].end_to_end_id = "P-2";
	cr_expect_eq(zt_pain001_write(&m, path, NULL), ZT_ECONFLICT);
	cr_expect(strstr(zt_error_last(), "exists"), "%s", zt_error_last());
	kept = zt_test_slurp(path);
	cr_expect_str_eq(kept, "the previous instruction\n");
	free(kept);
	cr_expect_eq(count_files(".replace.xml."), 0, "no temporary file may be left");
	/* a new name is written; the same message again is the same file */
	const char *fresh = tmp_path("fresh.xml");
	enum zt_outfile_result res;
	cr_assert_eq(zt_pain001_write(&m, fresh, &res), 0, "%s", zt_error_last());
	cr_expect_eq(res, ZT_OUT_NEW);
	cr_assert_eq(zt_pain001_write(&m, fresh, &res), 0, "%s", zt_error_last());
	cr_expect_eq(res, ZT_OUT_SAME);
	cr_expect_eq(count_files(".fresh.xml."), 0);
	/* never through a symbolic link, whose target stays as it was */
	const char *link = tmp_path("link.xml");
	cr_assert_eq(symlink(path, link), 0);
	cr_expect_eq(zt_pain001_write(&m, link, NULL), ZT_EINVAL);
	kept = zt_test_slurp(path);
	cr_expect_str_eq(kept, "the previous instruction\n");
	free(kept);
}

Test(pain001_write, reports_an_unwritable_place)
{
	struct zt_pain_tx t = tx("U-1", 100);
	struct zt_pain_msg m = msg(&t, 1);
	int rc = zt_pain001_write(&m, "/nonexistent-zt-dir/pain.xml", NULL);
	cr_expect_eq(rc, ZT_EIO);
	cr_expect(strstr(zt_error_last(), "/nonexistent-zt-dir/pain.xml") != NULL, "%s",
	          zt_error_last());
}

Test(pain001_check_id, the_allowed_characters)
{
	cr_expect_eq(zt_pain001_check_id("id", "a-Z/0?:().,'+ 9"), 0);
	cr_expect_eq(zt_pain001_check_id("id", "ab*"), ZT_EINVAL);
	cr_expect_eq(zt_pain001_check_id("id", "批次"), ZT_EINVAL);
	cr_expect_eq(zt_pain001_check_id("id", " a"), ZT_EINVAL);
	cr_expect_eq(zt_pain001_check_id("id", NULL), ZT_EINVAL);
}

/* ==== camt.053 ========================================================= */

#define MAX_GOT 64

struct got {
	size_t n;
	int stop_at; /* return 7 from the callback with this 1-based number */
	struct zt_camt_statement st[MAX_GOT];
	struct zt_camt_entry e[MAX_GOT];
};

static int collect(void *ctx, const struct zt_camt_statement *st, const struct zt_camt_entry *e)
{
	struct got *g = ctx;
	cr_assert_lt(g->n, MAX_GOT);
	g->st[g->n] = *st;
	g->e[g->n] = *e;
	g->n++;
	return g->stop_at && (int)g->n == g->stop_at ? 7 : 0;
}

static struct got *read_ok(const char *file, const char *xsd)
{
	const char *path = zt_test_case(file);
	cr_assert(zt_test_xmllint_valid(xsd, path), "xmllint refuses fixture %s", path);
	struct got *g = calloc(1, sizeof *g);
	int rc = zt_camt053_read(path, collect, g);
	cr_assert_eq(rc, 0, "%s", zt_error_last());
	return g;
}

struct want {
	const char *ref;
	bool credit;
	zt_fen amount;
	zt_date booked, value;
	const char *status;
	bool reversal;
	const char *e2e, *rmt, *tx_ref;
};

static void expect_entry(const struct zt_camt_entry *e, const struct want *w, size_t i)
{
	cr_expect_str_eq(e->entry_ref, w->ref, "entry %zu ref", i);
	cr_expect_eq(e->credit, w->credit, "entry %zu credit", i);
	cr_expect_eq(e->amount, w->amount, "entry %zu amount %lld", i, (long long)e->amount);
	cr_expect_str_eq(e->currency, "CNY", "entry %zu currency", i);
	cr_expect_eq(e->booking_date, w->booked, "entry %zu booked %d", i, (int)e->booking_date);
	cr_expect_eq(e->value_date, w->value, "entry %zu value %d", i, (int)e->value_date);
	cr_expect_str_eq(e->status, w->status, "entry %zu status", i);
	cr_expect_eq(e->reversal, w->reversal, "entry %zu reversal", i);
	cr_expect_str_eq(e->end_to_end_id, w->e2e, "entry %zu e2e", i);
	cr_expect_str_eq(e->remittance, w->rmt, "entry %zu remittance", i);
	cr_expect_str_eq(e->tx_ref, w->tx_ref, "entry %zu tx_ref", i);
	cr_expect_eq(strlen(e->digest), 64, "entry %zu digest", i);
	cr_expect_eq(strspn(e->digest, "0123456789abcdef"), 64, "entry %zu digest is hex", i);
}

Test(camt053_read, version_02_every_field)
{
	/* the real-file traits this fixture exists for */
	char *raw = zt_test_slurp(zt_test_case("camt053/v02_statement.xml"));
	cr_assert(raw && memcmp(raw, "\xef\xbb\xbf<?xml", 8) == 0, "starts with a UTF-8 BOM");
	cr_assert(strstr(raw, "\n\t\t\t<Ntry>") != NULL, "indented with tabs");
	free(raw);
	struct got *g = read_ok("camt053/v02_statement.xml", CAMT02_XSD);
	static const struct want w[] = {
		{"BS20240301001", true, 12345678, 20240301, 20240301, "BOOK", false, "",
		 "BATCH-2024-0001 城乡居民医保基金 结算款", "TX-1 PAYER-MSG-7"},
		{"NR-2", false, 5000000, 20240301, 20240302, "BOOK", false, "ADV-2024-03-H001",
		 "预拨付 县人民医院", ""},
		{"BS20240301003#1", true, 10000, 20240301, 20240301, "BOOK", false, "E2E-A",
		 "BATCH-2024-0002", ""},
		{"BS20240301003#2", true, 15050, 20240301, 20240301, "BOOK", false, "E2E-B", "", "INS-B"},
		{"BS20240301003#3", true, 4950, 20240301, 20240301, "BOOK", false, "E2E-C", "", ""},
		{"", true, 8800, 20240301, 0, "BOOK", false, "", "", ""},
		{"", true, 8800, 20240301, 0, "BOOK", false, "", "", ""},
		{"BS20240301009", false, 10000, 20240301, 20240301, "BOOK", true, "", "", ""},
	};
	cr_assert_eq(g->n, sizeof w / sizeof *w);
	for (size_t i = 0; i < g->n; i++) {
		expect_entry(&g->e[i], &w[i], i);
		cr_expect_str_eq(g->st[i].msg_id, "STMT-MSG-20240301");
		cr_expect_str_eq(g->st[i].stmt_id, "STMT-20240301-001");
		cr_expect_str_eq(g->st[i].account, "6222020200112233445");
		cr_expect_str_eq(g->st[i].currency, "CNY");
		cr_expect_eq(g->st[i].version, 2);
	}
	/* two identical entries without references stay two */
	cr_expect_str_neq(g->e[5].digest, g->e[6].digest);
	free(g);
}

Test(camt053_read, version_08_every_field)
{
	struct got *g = read_ok("camt053/v08_statement.xml", CAMT08_XSD);
	static const struct want w[] = {
		{"BS20240302001", true, 9876543, 20240302, 20240302, "BOOK", false, "",
		 "医疗救助基金 BATCH-2024-0003 回款", "CNAPS-556677"},
		{"BS20240302002", false, 2000000, 20240302, 20240303, "BOOK", false, "ADV-2024-03-H002",
		 "", ""},
		{"NR-B3#1", true, 100000, 20240302, 0, "BOOK", false, "E2E-X", "BATCH-2024-0004", "PMT-9"},
		{"NR-B3#2", true, 1, 20240302, 0, "BOOK", false, "E2E-Y", "", ""},
		{"", true, 1234, 0, 0, "PDNG", false, "", "", ""},
		{"BS20240302005", true, 2000000, 20240302, 0, "BOOK", true, "ADV-2024-03-H002", "", ""},
		/* a batch whose transactions have no amounts is reported whole */
		{"BS20240302006", true, 70000, 20240302, 0, "BOOK", false, "", "part one part two", ""},
		/* parts that do not add up to the booking are not reported as parts */
		{"BS20240302007", true, 2500, 20240302, 0, "BOOK", false, "", "", ""},
		/* one transaction: what was booked, not what was sent */
		{"BS20240302008", true, 9950, 20240302, 0, "BOOK", false, "E2E-FEE", "BATCH-2024-0005",
		 "INS-8"},
		/* a net booking splits into parts of both directions */
		{"", false, 8000, 20240302, 0, "BOOK", false, "ADV-2024-03-H003", "", ""},
		{"", true, 3000, 20240302, 0, "BOOK", false, "", "", ""},
	};
	cr_assert_eq(g->n, sizeof w / sizeof *w);
	for (size_t i = 0; i < g->n; i++) {
		expect_entry(&g->e[i], &w[i], i);
		cr_expect_str_eq(g->st[i].msg_id, "STMT-MSG-20240302");
		cr_expect_str_eq(g->st[i].stmt_id, "STMT-20240302-001");
		cr_expect_str_eq(g->st[i].account, "DE89370400440532013000");
		cr_expect_str_eq(g->st[i].currency, "CNY", "from the balance: no Acct/Ccy");
		cr_expect_eq(g->st[i].version, 8);
	}
	free(g);
}

Test(camt053_read, digests_are_stable_and_follow_the_documented_form)
{
	struct got *a = read_ok("camt053/v02_statement.xml", CAMT02_XSD);
	struct got *b = read_ok("camt053/v02_statement.xml", CAMT02_XSD);
	cr_assert_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		cr_expect_str_eq(a->e[i].digest, b->e[i].digest, "re-import of entry %zu", i);
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(a->e[i].digest, a->e[j].digest, "entries %zu and %zu", j, i);
	}
	/* iso20022.h fixes the canonical form; recompute it for the two
	 * unreferenced entries (occurrences 1 and 2) */
	for (int k = 1; k <= 2; k++) {
		char canon[1024];
		snprintf(canon, sizeof canon,
		         "zt-camt-entry-v1\n"
		         "account=19:6222020200112233445\ncurrency=3:CNY\ncredit=1:C\namount=4:8800\n"
		         "booking_date=8:20240301\nvalue_date=1:0\nstatus=4:BOOK\nreversal=1:0\n"
		         "entry_ref=0:\nend_to_end_id=0:\ntx_ref=0:\nremittance=0:\nn=%d\n", k);
		unsigned char md[32];
		unsigned int mdlen;
		cr_assert_eq(EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL), 1);
		char hex[65];
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		cr_expect_str_eq(a->e[4 + k].digest, hex, "occurrence %d", k);
	}
	free(a);
	free(b);
}

Test(camt053_read, a_callback_can_stop_the_reading)
{
	struct got *g = calloc(1, sizeof *g);
	g->stop_at = 2;
	int rc = zt_camt053_read(zt_test_case("camt053/v08_statement.xml"), collect, g);
	cr_expect_eq(rc, 7);
	cr_expect_eq(g->n, 2);
	free(g);
}

/* Refused before a single callback, with the given code and message. */
static void expect_camt_refused(const char *path, int code, const char *needle)
{
	struct got *g = calloc(1, sizeof *g);
	zt_error_clear();
	int rc = zt_camt053_read(path, collect, g);
	cr_expect_eq(rc, code, "%s: rc %d (%s), expected %d", path, rc, zt_error_last(), code);
	cr_expect_eq(g->n, 0, "%s: %zu callbacks made", path, g->n);
	cr_expect(strstr(zt_error_last(), needle) != NULL, "%s: message '%s' lacks '%s'", path,
	          zt_error_last(), needle);
	free(g);
}

Test(camt053_hostile, doctype_with_an_external_entity)
{
	expect_camt_refused(zt_test_case("camt053/doctype_xxe.xml"), ZT_EMALFORMED, "DOCTYPE");
}

Test(camt053_hostile, billion_laughs)
{
	expect_camt_refused(zt_test_case("camt053/billion_laughs.xml"), ZT_EMALFORMED, "DOCTYPE");
}

Test(camt053_hostile, not_well_formed)
{
	expect_camt_refused(zt_test_case("camt053/not_well_formed.xml"), ZT_EMALFORMED,
	                    "not well-formed");
	expect_camt_refused(zt_test_write("empty.xml", ""), ZT_EMALFORMED, "empty");
	expect_camt_refused(zt_test_write("garbage.xml", "MT940 :20:STMT"), ZT_EMALFORMED,
	                    "not well-formed");
}

Test(camt053_hostile, another_message_type)
{
	expect_camt_refused(zt_test_case("camt053/camt052_report.xml"), ZT_EINVAL,
	                    "urn:iso:std:iso:20022:tech:xsd:camt.052.001.02");
	const char *p = zt_test_write("no-ns.xml", "<Document><BkToCstmrStmt/></Document>");
	expect_camt_refused(p, ZT_EINVAL, "not a camt.053");
}

Test(camt053_hostile, schema_invalid_missing_amount)
{
	const char *path = zt_test_case("camt053/missing_amt.xml");
	cr_expect(!zt_test_xmllint_valid(CAMT02_XSD, path), "the fixture must be schema-invalid");
	expect_camt_refused(path, ZT_EINVAL, "missing_amt.xml:11:");
}

Test(camt053_hostile, amount_with_a_third_decimal)
{
	const char *path = zt_test_case("camt053/three_decimals.xml");
	cr_expect(zt_test_xmllint_valid(CAMT08_XSD, path), "the fixture is valid XSD");
	expect_camt_refused(path, ZT_EINVAL, "'1.005' is not a whole number of fen");
}

/* The v08 fixture with one piece of text replaced. */
static const char *v08_with(const char *name, const char *from, const char *to)
{
	char *text = zt_test_slurp(zt_test_case("camt053/v08_statement.xml"));
	cr_assert(text);
	char *at = strstr(text, from);
	cr_assert(at, "'%s' not in the fixture", from);
	size_t n = strlen(text) + strlen(to) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	const char *path = zt_test_write(name, out);
	free(out);
	free(text);
	return path;
}

Test(camt053_hostile, values_the_fields_cannot_hold)
{
	/* 15 digits before the point: valid XSD (18 total), above the 16,2 range */
	const char *p = v08_with("big.xml", "<Amt Ccy=\"CNY\">0.01</Amt>",
	                         "<Amt Ccy=\"CNY\">123456789012345.00</Amt>");
	cr_expect(zt_test_xmllint_valid(CAMT08_XSD, p));
	expect_camt_refused(p, ZT_ERANGE, "above");
	/* a transaction amount with a non-zero fifth decimal */
	p = v08_with("tx5.xml", "<Amt Ccy=\"CNY\">0.01</Amt>", "<Amt Ccy=\"CNY\">0.01001</Amt>");
	cr_expect(zt_test_xmllint_valid(CAMT08_XSD, p));
	expect_camt_refused(p, ZT_EINVAL, "whole number of fen");
	/* 35 Chinese characters are a valid Max35Text but 105 bytes: never cut */
	char ref[35 * 3 + 64] = "<AcctSvcrRef>";
	for (int i = 0; i < 35; i++)
		strcat(ref, "参");
	strcat(ref, "</AcctSvcrRef>");
	p = v08_with("longref.xml", "<AcctSvcrRef>BS20240302005</AcctSvcrRef>", ref);
	cr_expect(zt_test_xmllint_valid(CAMT08_XSD, p));
	expect_camt_refused(p, ZT_ERANGE, "entry reference");
}

Test(camt053_read, trailing_zero_decimals_and_signs)
{
	const char *p = v08_with("zeros.xml", "<Amt Ccy=\"CNY\">0.01</Amt>",
	                         "<Amt Ccy=\"CNY\">+000.01000</Amt>");
	cr_assert(zt_test_xmllint_valid(CAMT08_XSD, p));
	struct got *g = calloc(1, sizeof *g);
	cr_assert_eq(zt_camt053_read(p, collect, g), 0, "%s", zt_error_last());
	cr_expect_eq(g->e[3].amount, 1);
	free(g);
}

static struct got *read_path(const char *path)
{
	struct got *g = calloc(1, sizeof *g);
	cr_assert_eq(zt_camt053_read(path, collect, g), 0, "%s", zt_error_last());
	return g;
}

Test(camt053_read, long_remittance_keeps_whole_lines_only)
{
	/* five lines of 140 characters: three fit in 511 bytes with their
	 * separators, the fourth would have to be cut, so it and the fifth
	 * are left out; the digest still sees all five */
	char lines[5][141], rmt[5 * 160 + 32] = "<RmtInf>";
	for (int i = 0; i < 5; i++) {
		memset(lines[i], 'A' + i, 140);
		lines[i][140] = '\0';
		strcat(rmt, "<Ustrd>");
		strcat(rmt, lines[i]);
		strcat(rmt, "</Ustrd>");
	}
	strcat(rmt, "</RmtInf>");
	const char *from = "<RmtInf><Ustrd>医疗救助基金 BATCH-2024-0003 回款</Ustrd></RmtInf>";
	const char *five = v08_with("five.xml", from, rmt);
	cr_assert(zt_test_xmllint_valid(CAMT08_XSD, five));
	struct got *g = read_path(five);
	char want[512];
	snprintf(want, sizeof want, "%s %s %s", lines[0], lines[1], lines[2]);
	cr_expect_str_eq(g->e[0].remittance, want);

	/* the same entry with only the three lines that were kept */
	char three[3 * 160 + 32] = "<RmtInf>";
	for (int i = 0; i < 3; i++) {
		strcat(three, "<Ustrd>");
		strcat(three, lines[i]);
		strcat(three, "</Ustrd>");
	}
	strcat(three, "</RmtInf>");
	struct got *h = read_path(v08_with("three.xml", from, three));
	cr_expect_str_eq(h->e[0].remittance, want);
	cr_expect_str_neq(g->e[0].digest, h->e[0].digest, "the digest covers every line");
	cr_expect_str_eq(g->e[1].digest, h->e[1].digest, "other entries are unchanged");
	free(g);
	free(h);
}

Test(camt053_read, missing_file)
{
	struct got *g = calloc(1, sizeof *g);
	int rc = zt_camt053_read("/nonexistent-zt-dir/stmt.xml", collect, g);
	cr_expect_lt(rc, 0);
	cr_expect_eq(g->n, 0);
	cr_expect(strstr(zt_error_last(), "/nonexistent-zt-dir/stmt.xml") != NULL, "%s",
	          zt_error_last());
	free(g);
}
