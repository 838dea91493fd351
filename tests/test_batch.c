/* zhitong — payer batches (docs/spec/money-flow.md "Batches and settlement files"):
 * create / approve / export / verify / send through the command line,
 * with signatures checked by the stock openssl command line, a real HTTPS
 * payer (tests/payer_server.c) and a drop folder. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/store.h"
#include "zhitong/audit.h"
#include "zhitong/batch.h"
#include "zhitong/settle.h"
#include "zhitong/error.h"
#include "zhitong/sign.h"
#include "zhitong/xml.h"

#define FUND "390100"

/* ---- helpers ----------------------------------------------------------- */

static char d[512], db[600];

/* a shell command's exit code, its output discarded (testutil.h) */
#define sh_code zt_test_sh_code

/* stdout of a shell command, trailing newline removed (caller frees). */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	cr_assert(p, "popen %s", cmd);
	size_t cap = 4096, len = 0, r;
	char *buf = malloc(cap);
	while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += r;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	pclose(p);
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return buf;
}

/* The test's own view of the database, through the sqlite3 program. */
static char *sql(const char *q) { return sh_out("sqlite3 '%s' \"%s\"", db, q); }

static long long sql_int(const char *q)
{
	char *s = sql(q);
	long long v = atoll(s);
	free(s);
	return v;
}

/* zhitong --db DB ARGS; stdout and stderr into *out / *err if given. */
static int zt(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int zt(char **out, char **err, const char *fmt, ...)
{
	char args[7000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	return zt_test_run(out, err, "--db '%s' %s", db, args);
}

/* Runs zhitong and insists on exit 0. */
static char *ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ok(const char *fmt, ...)
{
	char args[7000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	char *out, *err;
	int rc = zt(&out, &err, "%s", args);
	cr_assert_eq(rc, 0, "zhitong %s: exit %d: %s", args, rc, err);
	free(err);
	return out;
}

static void path(char *dst, size_t cap, const char *name) { snprintf(dst, cap, "%s/%s", d, name); }


#define same_file zt_test_same_file

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* A fresh database with the sample registry and policy (county 510101). */
static void world(void)
{
	snprintf(d, sizeof d, "%s", zt_test_tmpdir());
	path(db, sizeof db, "zt.db");
	free(ok("init"));
	free(ok("registry load '%s/rules/registry-510101.xml'", ZT_TEST_SOURCE_DIR));
	free(ok("rules load '%s/rules/sample-510101-2017.xml'", ZT_TEST_SOURCE_DIR));
}

/* Settles one claim of a single class-A item of `amount` yuan. */
static void claim_amount(const char *claim_no, const char *psn, const char *dscg,
                         const char *amount)
{
	char name[128], xml[4096];
	snprintf(name, sizeof name, "claim-%s-%s.xml", claim_no, amount);
	zt_test_claim_xml(xml, sizeof xml, claim_no, psn, dscg, amount);
	const char *f = zt_test_write(name, xml);
	char *out, *err;
	int rc = zt(&out, &err, "claim submit '%s' --today 2017-12-31", f);
	cr_assert_eq(rc, 0, "claim %s: exit %d: %s %s", claim_no, rc, err, out);
	free(out);
	free(err);
}

static void claim(const char *claim_no, const char *dscg) { claim_amount(claim_no, "P0000002", dscg, "5000.00"); }

static void reverse(const char *claim_no)
{
	free(ok("claim reverse --hospital H51010101 --claim-no %s --reason 'payer rejected it' --by desk",
	        claim_no));
}

/* Runs `batch create` and returns its stdout (the id, or ""). */
static char *create(const char *extra)
{
	char *out = ok("batch create --fund " FUND " --by alice %s", extra ? extra : "");
	size_t l = strlen(out);
	while (l && out[l - 1] == '\n')
		out[--l] = '\0';
	return out;
}

/* The fund's shares in fen, from the settlement tables themselves. */
static long long fund_sum(const char *where)
{
	char q[1024];
	snprintf(q, sizeof q, "SELECT COALESCE(SUM(f.amount), 0) FROM settlement_fund f JOIN settlement s "
	                      "ON s.id = f.settlement_id WHERE f.fund_code = '" FUND "' %s",
	         where ? where : "");
	return sql_int(q);
}

static char *status_of(const char *id)
{
	char q[256];
	snprintf(q, sizeof q, "SELECT status FROM batch WHERE id = '%s'", id);
	return sql(q);
}

static void keys(void)
{
	cr_assert_eq(sh_code("cd '%s' && openssl genpkey -algorithm ed25519 -out ed.pem && "
	                "openssl pkey -in ed.pem -pubout -out ed.pub && "
	                "openssl genpkey -algorithm SM2 -out sm2.pem && "
	                "openssl pkey -in sm2.pem -pubout -out sm2.pub", d),
	             0, "cannot make keys");
}

/* The stock openssl command of sign.h, placeholders filled in. */
static int openssl_verify(enum zt_key_type t, const char *pub, const char *file)
{
	const char *tmpl = zt_sign_openssl_verify_cmd(t);
	char cmd[4096] = "";
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "PUBKEY.pem", 10)) {
			strcat(cmd, pub);
			p += 10;
		} else if (!strncmp(p, "FILE.sig", 8)) {
			strcat(cmd, file);
			strcat(cmd, ".sig");
			p += 8;
		} else if (!strncmp(p, "FILE", 4)) {
			strcat(cmd, file);
			p += 4;
		} else {
			strncat(cmd, p++, 1);
		}
	}
	return sh_code("%s", cmd);
}

/* create + approve: returns the id. */
static char *approved_batch(const char *extra)
{
	char *id = create(extra);
	cr_assert(id[0], "nothing to batch");
	free(ok("batch approve %s --by bob", id));
	return id;
}

static void export_with(const char *id, const char *file, const char *key)
{
	char f[700], k[700];
	path(f, sizeof f, file);
	path(k, sizeof k, key);
	free(ok("batch export %s --out '%s' --key '%s' --by carol", id, f, k));
}

/* ---- create --------------------------------------------------------------- */

TestSuite(batch_create, .init = world, .timeout = 120);

Test(batch_create, prints_the_new_batch_id_alone_and_nothing_when_there_is_nothing_to_batch)
{
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-04-10");
	char *out, *err;
	cr_assert_eq(zt(&out, &err, "batch create --fund " FUND " --by alice"), 0, "%s", err);
	cr_assert_str_eq(out, "B390100-000001\n");
	free(out);
	free(err);
	cr_assert_eq(zt(&out, &err, "batch create --fund " FUND " --by alice"), 0, "%s", err);
	cr_assert_str_eq(out, "", "nothing to batch prints nothing");
	cr_assert_str_eq(err, "");
	free(out);
	free(err);
	/* stored count and total are the fund's shares */
	cr_assert_eq(sql_int("SELECT count FROM batch WHERE id = 'B390100-000001'"), 2);
	cr_assert_eq(sql_int("SELECT total FROM batch WHERE id = 'B390100-000001'"), fund_sum(NULL));
	cr_assert_gt(fund_sum(NULL), 0);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch"), 1, "no empty batch is kept");
}

Test(batch_create, an_unknown_fund_is_refused)
{
	char *err;
	cr_assert_eq(zt(NULL, &err, "batch create --fund 999999 --by alice"), 2);
	cr_assert(strstr(err, "fund '999999' is not in the registry"), "%s", err);
	free(err);
}

Test(batch_create, through_cuts_by_discharge_date_and_the_rest_waits)
{
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-05-10");
	char *a = create("--through 2017-04-01");
	cr_assert_str_eq(a, "B390100-000001");
	cr_assert_eq(sql_int("SELECT count FROM batch WHERE id = 'B390100-000001'"), 1);
	cr_assert_eq(sql_int("SELECT period_to FROM batch WHERE id = 'B390100-000001'"), 20170310);
	char *b = create(NULL);
	cr_assert_str_eq(b, "B390100-000002");
	cr_assert_eq(sql_int("SELECT count FROM batch WHERE id = 'B390100-000002'"), 1);
	cr_assert_eq(sql_int("SELECT period_from FROM batch WHERE id = 'B390100-000002'"), 20170510);
	free(a);
	free(b);
}

/* Two processes started together: one transaction each, so the second gets
 * what the first left, and no share is in both. */
Test(batch_create, two_creates_at_once_split_the_shares_without_overlap)
{
	char name[32], date[16];
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof name, "K-%02d", i);
		snprintf(date, sizeof date, "2017-%02d-%02d", 1 + i % 12, 1 + i % 28);
		claim_amount(name, i % 2 ? "P0000002" : "P0000006", date, i % 3 ? "5000.00" : "7300.00");
	}
	long long shares = sql_int("SELECT count(*) FROM settlement_fund WHERE fund_code = '" FUND "'");
	cr_assert_eq(shares, 60, "every claim has a share of the basic fund");
	for (int round = 0; round < 3; round++) {
		char o1[700], o2[700];
		snprintf(o1, sizeof o1, "%s/create-1.out", d);
		snprintf(o2, sizeof o2, "%s/create-2.out", d);
		cr_assert_eq(sh_code("'%s' --db '%s' batch create --fund " FUND " --by alice > '%s' & "
		                "'%s' --db '%s' batch create --fund " FUND " --by bert > '%s' & wait",
		                ZT_TEST_ZHITONG, db, o1, ZT_TEST_ZHITONG, db, o2),
		             0);
		char *x = zt_test_slurp(o1), *y = zt_test_slurp(o2);
		cr_assert(x && y);
		/* each printed an id or nothing, never the same id */
		cr_assert(x[0] || y[0], "one of them made a batch");
		if (x[0] && y[0])
			cr_assert_str_neq(x, y);
		free(x);
		free(y);
		/* every share in exactly one batch: the union is all, no overlap */
		cr_assert_eq(sql_int("SELECT count(*) FROM batch_share"), shares);
		cr_assert_eq(sql_int("SELECT count(DISTINCT settlement_id || '/' || seq) FROM batch_share"),
		             shares);
		cr_assert_eq(sql_int("SELECT SUM(count) FROM batch"), shares);
		cr_assert_eq(sql_int("SELECT SUM(total) FROM batch"), fund_sum(NULL));
		/* more claims for the next round, of another person each round
		 * (a person's yearly cap would stop the fund paying) */
		char psn[16];
		snprintf(psn, sizeof psn, "P000000%d", 7 + round);
		for (int i = 0; i < 20; i++) {
			snprintf(name, sizeof name, "R%d-%02d", round, i);
			claim_amount(name, psn, "2017-06-15", "4100.00");
		}
		shares = sql_int("SELECT count(*) FROM settlement_fund WHERE fund_code = '" FUND "'");
	}
	char *out, *err;
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s %s", out, err);
	free(out);
	free(err);
}

/* ---- maker-checker, reject, reopen ------------------------------------------- */

TestSuite(batch_approve, .init = world, .timeout = 60);

Test(batch_approve, whoever_created_the_batch_cannot_approve_it)
{
	claim("C-1", "2017-03-10");
	char *id = create(NULL), *err, *st;
	cr_assert_eq(zt(NULL, &err, "batch approve %s --by alice", id), 2);
	cr_assert(strstr(err, "maker-checker") && strstr(err, "'alice'"), "%s", err);
	free(err);
	cr_assert_str_eq(st = status_of(id), "draft");
	free(st);
	free(ok("batch approve %s --by bob", id));
	cr_assert_str_eq(st = status_of(id), "approved");
	free(st);
	cr_assert_str_eq(st = sql("SELECT approved_by FROM batch"), "bob");
	free(st);
	/* approving twice is a step out of order */
	cr_assert_eq(zt(NULL, &err, "batch approve %s --by carol", id), 2);
	cr_assert(strstr(err, "only a draft"), "%s", err);
	free(err);
	free(id);
}

/* Maker-checker is not fooled by spelling (zhitong/actor.h): every name is
 * normalised before it is compared or stored, and a name with an invisible
 * or control character is refused outright. */
Test(batch_approve, the_maker_cannot_approve_under_another_spelling)
{
	claim("C-1", "2017-03-10");
	char *out = ok("batch create --fund " FUND " --by 'Alice '");
	out[strcspn(out, "\n")] = '\0';
	char *id = out, *err, *st;
	cr_assert_str_eq(st = sql("SELECT created_by FROM batch"), "alice", "stored normalised");
	free(st);
	/* the same person: case, spaces, fullwidth, circled, mathematical bold,
	 * a ligature-free compatibility form */
	static const char *const alice[] = {
		"alice", "ALICE", "' alice'", "'  Alice  '", "\"$(printf '\\357\\274\\241LICE')\"",
		"\"$(printf '\\342\\223\\220lice')\"", "\"$(printf '\\360\\235\\220\\232lice')\"",
		"\"$(printf '\\343\\200\\200alice\\302\\240')\"",
	};
	for (size_t i = 0; i < sizeof alice / sizeof *alice; i++) {
		cr_expect_eq(zt(NULL, &err, "batch approve %s --by %s", id, alice[i]), 2, "%s approved",
		             alice[i]);
		cr_expect(strstr(err, "zhitong: conflict: maker-checker: 'alice' made batch"), "%s: %s",
		          alice[i], err);
		free(err);
	}
	/* names that would look like alice's: refused, not cleaned */
	static const char *const hidden[] = {
		"\"$(printf 'ali\\342\\200\\213ce')\"",   /* ZERO WIDTH SPACE */
		"\"$(printf '\\342\\200\\256ecila')\"",   /* RIGHT-TO-LEFT OVERRIDE */
		"\"$(printf 'alice\\342\\201\\240')\"",    /* WORD JOINER */
		"\"$(printf 'ali\\302\\255ce')\"",          /* SOFT HYPHEN */
		"\"$(printf '\\343\\205\\244alice')\"",   /* HANGUL FILLER */
		"\"$(printf 'ali\\033ce')\"",                 /* a control character */
		"\"$(printf 'ali\\300\\257ce')\"",          /* ill-formed UTF-8 */
	};
	for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++) {
		cr_expect_eq(zt(NULL, &err, "batch approve %s --by %s", id, hidden[i]), 2, "%s approved",
		             hidden[i]);
		cr_expect(strstr(err, "zhitong: invalid: --by"), "%s: %s", hidden[i], err);
		free(err);
	}
	cr_assert_str_eq(st = status_of(id), "draft");
	free(st);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_event WHERE action = 'approve'"), 0);
	/* the reopener is a maker too, whatever the spelling */
	free(ok("batch reject %s --reason 'not yet' --by Bob", id));
	free(ok("batch reopen %s --by CAROL", id));
	cr_expect_eq(zt(NULL, &err, "batch approve %s --by ' carol'", id), 2);
	cr_expect(strstr(err, "maker-checker: 'carol' made batch"), "%s", err);
	free(err);
	out = ok("batch approve %s --by ' BOB '", id);
	char want[100];
	snprintf(want, sizeof want, "%s approved by bob\n", id);
	cr_expect_str_eq(out, want);
	free(out);
	cr_assert_str_eq(st = sql("SELECT approved_by FROM batch"), "bob");
	free(st);
	free(id);
}

Test(batch_approve, a_reason_is_one_line_of_at_most_120_characters)
{
	claim("C-1", "2017-03-10");
	char *id = create(NULL), *err, *st;
	static const char *const bad[] = {
		"\"$(printf 'two\\nlines')\"", "\"$(printf 'a\\tb')\"",
		"\"$(printf 'ok\\342\\200\\256kO')\"",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", /* 121 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_expect_eq(zt(NULL, &err, "batch reject %s --reason %s --by bob", id, bad[i]), 2);
		cr_expect(strstr(err, "zhitong: invalid: --reason "), "%zu: %s", i, err);
		free(err);
		cr_assert_str_eq(st = status_of(id), "draft", "%zu", i);
		free(st);
	}
	free(ok("batch reject %s --reason 'C-1 is wrong, see the desk' --by bob", id));
	cr_expect_eq(zt(NULL, &err, "batch reopen %s --reason \"$(printf 'a\\033b')\" --by alice",
	                id), 2);
	free(err);
	cr_assert_str_eq(st = status_of(id), "rejected");
	free(st);
	free(id);
}

Test(batch_approve, a_rejected_batch_keeps_its_shares_and_is_billed_once_reopened)
{
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-03-11");
	char *id = create(NULL), *err, *st, *out;
	long long before = sql_int("SELECT total FROM batch");
	cr_assert_eq(zt(NULL, &err, "batch reject %s --by bob", id), 2, "a reason is required");
	free(err);
	free(ok("batch reject %s --reason 'C-2 is wrong' --by bob", id));
	cr_assert_str_eq(st = status_of(id), "rejected");
	free(st);
	cr_assert_eq(zt(NULL, &err, "batch export %s --out x.xml --key none.pem", id), 2);
	free(err);
	/* the shares stay in the rejected batch: nothing for a new one */
	cr_assert_str_eq(out = create(NULL), "");
	free(out);
	/* the hospital answers the objection: C-2 reversed, settled again right */
	reverse("C-2");
	claim_amount("C-2", "P0000002", "2017-03-11", "4000.00");
	free(ok("batch reopen %s --reason 'C-2 corrected' --by alice", id));
	cr_assert_str_eq(st = status_of(id), "draft");
	free(st);
	cr_assert_eq(sql_int("SELECT count FROM batch"), 4, "C-1, C-2, its reversal, the new C-2");
	cr_assert_eq(sql_int("SELECT total FROM batch"), fund_sum(NULL));
	cr_assert_neq(sql_int("SELECT total FROM batch"), before);
	/* whoever created or reopened it cannot approve it */
	cr_assert_eq(zt(NULL, &err, "batch approve %s --by alice", id), 2);
	free(err);
	free(ok("batch approve %s --by bob", id));
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s %s", out, err);
	free(out);
	free(err);
	free(id);
}

/* ---- export and signatures -------------------------------------------------- */

TestSuite(batch_export, .init = world, .timeout = 60);

/* The signed payer file f verifies with the stock openssl command (the
 * payer needs nothing of ours) and with `batch verify` (`records` in its
 * line); after the sed expression `change`, both refuse it. */
static void both_verify_until_changed(enum zt_key_type t, const char *f, const char *p,
                                      const char *records, const char *change)
{
	cr_assert_eq(openssl_verify(t, p, f), 0, "openssl does not verify the signature");
	char *out, *err;
	cr_assert_eq(zt_test_run(&out, &err, "batch verify '%s' '%s.sig' '%s'", f, f, p), 0, "%s", err);
	cr_assert(strstr(out, "signature good") && strstr(out, records), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(sh_code("sed -i '%s' '%s'", change, f), 0);
	cr_assert_neq(openssl_verify(t, p, f), 0);
	cr_assert_eq(zt_test_run(NULL, &err, "batch verify '%s' '%s.sig' '%s'", f, f, p), 1);
	cr_assert(strstr(err, "bad-signature"), "%s", err);
	free(err);
}

static void check_signed(const char *key, enum zt_key_type t, const char *pub)
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-04-10");
	char *id = approved_batch(NULL);
	char f[700], p[700];
	path(f, sizeof f, "batch.xml");
	path(p, sizeof p, pub);
	export_with(id, "batch.xml", key);
	char sig[720];
	snprintf(sig, sizeof sig, "%s.sig", f);
	cr_assert(exists(f) && exists(sig));
	/* one byte changed: both refuse */
	both_verify_until_changed(t, f, p, "2 records", "s/<count>2</<count>3</");
	free(id);
}

Test(batch_export, an_ed25519_signature_verifies_with_the_stock_openssl_command)
{
	check_signed("ed.pem", ZT_KEY_ED25519, "ed.pub");
}

Test(batch_export, an_sm2_signature_verifies_with_the_stock_openssl_command)
{
	check_signed("sm2.pem", ZT_KEY_SM2, "sm2.pub");
}

Test(batch_export, the_file_is_valid_against_its_schema_and_carries_every_record_with_its_trace)
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-04-10");
	char *id = approved_batch(NULL);
	export_with(id, "batch.xml", "ed.pem");
	char f[700];
	path(f, sizeof f, "batch.xml");
	size_t len;
	char *xml = zt_test_slurp_n(f, &len);
	xmlDocPtr doc = NULL;
	zt_xml_init();
	cr_assert_eq(zt_xml_parse_doc(&doc, xml, len, f, ZT_SCHEMA_PAYER_FILE), 0, "%s",
	             zt_error_last());
	xmlFreeDoc(doc);
	/* the stand-alone schema file says the same */
	cr_assert_eq(sh_code("xmllint --noout --schema '%s/schema/payer-file.xsd' '%s'", ZT_TEST_SOURCE_DIR,
	                f),
	             0);
	cr_assert(strstr(xml, "<batch>B390100-000001</batch>"));
	cr_assert(strstr(xml, "<count>2</count>"));
	cr_assert(strstr(xml, "claim_no=\"C-1\"") && strstr(xml, "claim_no=\"C-2\""));
	cr_assert(strstr(xml, "dscg_date=\"2017-04-10\""));
	cr_assert(strstr(xml, "<trace><basic "), "the fund's trace is copied: %s", xml);
	cr_assert(strstr(xml, "<approved at=") && strstr(xml, "by=\"bob\""));
	/* a malformed copy fails the schema */
	char *bad = strdup(xml);
	char *k = strstr(bad, "kind=\"settle\"");
	memcpy(k, "kind=\"sattle\"", 13);
	cr_assert_eq(zt_xml_parse_doc(&doc, bad, len, "bad.xml", ZT_SCHEMA_PAYER_FILE), ZT_EINVAL);
	free(bad);
	free(xml);
	free(id);
}

Test(batch_export, exporting_again_writes_the_same_bytes)
{
	keys();
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL);
	export_with(id, "one.xml", "ed.pem");
	export_with(id, "two.xml", "sm2.pem");
	char a[700], b[700];
	path(a, sizeof a, "one.xml");
	path(b, sizeof b, "two.xml");
	cr_assert(same_file(a, b));
	char *st = status_of(id);
	cr_assert_str_eq(st, "exported");
	free(st);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_event WHERE action = 'export'"), 2);
	free(id);
}

Test(batch_export, a_draft_is_not_exported_and_no_key_is_made_up)
{
	keys();
	claim("C-1", "2017-03-10");
	char *id = create(NULL), *err, f[700];
	path(f, sizeof f, "batch.xml");
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem'", id, f, d), 2);
	cr_assert(strstr(err, "must be approved"), "%s", err);
	free(err);
	free(ok("batch approve %s --by bob", id));
	/* no --key and no configured key: refused, nothing written */
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s'", id, f), 2);
	cr_assert(strstr(err, "no signing key"), "%s", err);
	cr_assert(!exists(f));
	free(err);
	/* the configured key */
	char cfg[2048];
	snprintf(cfg, sizeof cfg, "[signing]\nkey = %s/sm2.pem\n", d);
	const char *c = zt_test_write("zhitong.conf", cfg);
	cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' --config '%s' batch export %s --out '%s'", db,
	                         c, id, f),
	             0, "%s", err);
	free(err);
	char p[700];
	path(p, sizeof p, "sm2.pub");
	cr_assert_eq(openssl_verify(ZT_KEY_SM2, p, f), 0);
	free(id);
}

Test(batch_export, help_gives_the_stock_openssl_commands)
{
	char *out;
	cr_assert_eq(zt_test_run(&out, NULL, "batch export --help"), 0);
	cr_assert(strstr(out, zt_sign_openssl_verify_cmd(ZT_KEY_ED25519)), "%s", out);
	cr_assert(strstr(out, zt_sign_openssl_verify_cmd(ZT_KEY_SM2)), "%s", out);
	free(out);
}

Test(batch_export, verify_catches_a_file_whose_totals_disagree_with_its_records)
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-04-10");
	char *id = approved_batch(NULL);
	export_with(id, "batch.xml", "ed.pem");
	char f[700], *err;
	path(f, sizeof f, "batch.xml");
	/* a total changed and the file signed again: the signature is good,
	 * the file is not */
	cr_assert_eq(sh_code("cd '%s' && sed -i '0,/<total>/s/<total>[0-9.]*</<total>1.00</' batch.xml && "
	                "openssl pkeyutl -sign -inkey ed.pem -rawin -in batch.xml -out batch.xml.sig",
	                d),
	             0);
	cr_assert_eq(zt_test_run(NULL, &err, "batch verify '%s' '%s.sig' '%s/ed.pub'", f, f, d), 1);
	cr_assert(strstr(err, "bad-file") && strstr(err, "total"), "%s", err);
	free(err);
	free(id);
}

/* ---- list and verify ---------------------------------------------------------- */

TestSuite(batch_list, .init = world, .timeout = 60);

static void yuan(char *dst, long long fen)
{
	sprintf(dst, "%s%lld.%02lld", fen < 0 ? "-" : "", llabs(fen) / 100, llabs(fen) % 100);
}

Test(batch_list, csv_is_exactly_the_fixed_format)
{
	claim("C-1", "2017-03-10");
	claim_amount("C-2", "P0000003", "2017-03-11", "8123.45");
	char *a = create(NULL);
	claim("C-3", "2017-05-10");
	char *b = approved_batch(NULL);
	char ta[32], tb[32], expect[512];
	yuan(ta, sql_int("SELECT SUM(f.amount) FROM settlement_fund f JOIN batch_share b ON "
	                 "b.settlement_id = f.settlement_id AND b.seq = f.seq WHERE b.batch_id = "
	                 "'B390100-000001'"));
	yuan(tb, sql_int("SELECT SUM(f.amount) FROM settlement_fund f JOIN batch_share b ON "
	                 "b.settlement_id = f.settlement_id AND b.seq = f.seq WHERE b.batch_id = "
	                 "'B390100-000002'"));
	snprintf(expect, sizeof expect,
	         "batch_id,fund,status,count,total,paid\n"
	         "B390100-000001,390100,draft,2,%s,0.00\n"
	         "B390100-000002,390100,approved,1,%s,0.00\n",
	         ta, tb);
	char *out = ok("batch list --format csv");
	cr_assert_str_eq(out, expect);
	free(out);
	free(a);
	free(b);
}

Test(batch_list, verify_is_clean_and_catches_a_tampered_batch_total)
{
	claim("C-1", "2017-03-10");
	char *id = create(NULL), *out, *err;
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s %s", out, err);
	cr_assert(strstr(out, "each batch total equals the sum of its records"), "%s", out);
	free(out);
	free(err);
	free(sql("UPDATE batch SET total = total + 1"));
	cr_assert_neq(zt(&out, &err, "verify"), 0);
	cr_assert(strstr(out, "VIOLATION") && strstr(out, "B390100-000001: stored 1 records"), "%s",
	          out);
	free(out);
	free(err);
	/* and a status moved behind the audit trail's back */
	free(sql("UPDATE batch SET total = total - 1, status = 'approved'"));
	cr_assert_neq(zt(&out, &err, "verify"), 0);
	cr_assert(strstr(out, "its last recorded change leaves it draft"), "%s", out);
	free(out);
	free(err);
	free(id);
}

/* ---- reversals and payer rejections ---------------------------------------------- */

/* Acks by hand (`batch ack`), so that these run without a payer. */
static int ack(const char *id, const char *body)
{
	char name[64], xml[2048];
	snprintf(name, sizeof name, "%s.ack.xml", id);
	snprintf(xml, sizeof xml, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" %s", id, body);
	const char *f = zt_test_write(name, xml);
	char *out, *err;
	int rc = zt(&out, &err, "batch ack %s '%s' --by payer-desk", id, f);
	free(out);
	free(err);
	return rc;
}

static char *record_id_of(const char *claim_no, const char *kind)
{
	char q[512];
	snprintf(q, sizeof q, "SELECT s.setl_id || '/' || f.seq FROM settlement s JOIN claim c ON "
	                      "c.id = s.claim_id JOIN settlement_fund f ON f.settlement_id = s.id AND "
	                      "f.fund_code = '" FUND "' WHERE c.claim_no = '%s' AND s.kind = '%s' "
	                      "ORDER BY s.id LIMIT 1", claim_no, kind);
	return sql(q);
}

TestSuite(batch_rejections, .init = world, .timeout = 60);

Test(batch_rejections, a_reversal_waits_until_the_payer_has_answered_for_its_original)
{
	keys();
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL), *out;
	export_with(id, "b1.xml", "ed.pem");
	reverse("C-1");
	/* the original's batch has no answer yet: the reversal waits */
	cr_assert_str_eq(out = create(NULL), "");
	free(out);
	cr_assert_eq(ack(id, "status=\"accepted\" receipt=\"R-9\"/>"), 0);
	char *st = status_of(id);
	cr_assert_str_eq(st, "accepted");
	free(st);
	/* the payer accepted C-1: its reversal is billed, negative */
	char *b2 = create(NULL);
	cr_assert_str_eq(b2, "B390100-000002");
	cr_assert_eq(sql_int("SELECT total FROM batch WHERE id = 'B390100-000002'"),
	             -sql_int("SELECT total FROM batch WHERE id = 'B390100-000001'"));
	free(b2);
	free(id);
}

Test(batch_rejections, a_rejected_record_is_corrected_in_a_later_batch_and_never_billed_twice)
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-03-11");
	char *id = approved_batch(NULL);
	export_with(id, "b1.xml", "ed.pem");
	long long c1 = fund_sum("AND s.setl_id = (SELECT s2.setl_id FROM settlement s2 JOIN claim c "
	                        "ON c.id = s2.claim_id WHERE c.claim_no = 'C-1')");
	long long total1 = sql_int("SELECT total FROM batch");
	char *rid = record_id_of("C-1", "settle"), body[512];
	snprintf(body, sizeof body,
	         "status=\"rejected\" receipt=\"R-5\"><reject record=\"%s\" reason=\"person not "
	         "insured by this fund\"/></ack>", rid);
	cr_assert_eq(ack(id, body), 1, "records rejected: exit 1");
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch"), total1 - c1);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_reject"), 1);
	char *out = ok("batch show %s", id);
	cr_assert(strstr(out, rid) && strstr(out, "person not insured by this fund"), "%s", out);
	free(out);
	/* the hospital reverses C-1 and submits it corrected */
	reverse("C-1");
	claim_amount("C-1", "P0000002", "2017-03-10", "3000.00");
	long long corrected = fund_sum("AND s.kind = 'settle' AND s.id = (SELECT MAX(id) FROM settlement)");
	char *b2 = create(NULL);
	cr_assert_str_eq(b2, "B390100-000002");
	/* the reversal is carried, not payable: the payer is billed the
	 * corrected claim only, never the negative of what it rejected */
	cr_assert_eq(sql_int("SELECT count FROM batch WHERE id = 'B390100-000002'"), 2);
	cr_assert_eq(sql_int("SELECT total FROM batch WHERE id = 'B390100-000002'"), corrected);
	cr_assert_eq(sql_int("SELECT info_total FROM batch WHERE id = 'B390100-000002'"), -c1);
	free(ok("batch approve %s --by bob", b2));
	export_with(b2, "b2.xml", "ed.pem");
	char f[700];
	path(f, sizeof f, "b2.xml");
	size_t len;
	char *xml = zt_test_slurp_n(f, &len);
	cr_assert(strstr(xml, "kind=\"reverse\"") && strstr(xml, "payable=\"false\""), "%s", xml);
	char np[128], c1y[32];
	yuan(c1y, -c1);
	snprintf(np, sizeof np, "<not-payable count=\"1\" amount=\"%s\"/>", c1y);
	cr_assert(strstr(xml, np), "%s", xml);
	free(xml);
	char *err;
	cr_assert_eq(zt_test_run(&out, &err, "batch verify '%s' '%s.sig' '%s/ed.pub'", f, f, d), 0,
	             "%s", err);
	free(out);
	free(err);
	/* over both batches the payer is asked for exactly what it accepted */
	cr_assert_eq(sql_int("SELECT SUM(COALESCE(accepted_total, total)) FROM batch"),
	             total1 - c1 + corrected);
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s %s", out, err);
	free(out);
	free(err);
	free(b2);
	free(rid);
	free(id);
}

Test(batch_rejections, a_rejected_record_and_its_reversal_in_the_same_batch_both_leave_the_total)
{
	keys();
	claim("C-1", "2017-03-10");
	claim_amount("C-2", "P0000003", "2017-03-11", "6000.00");
	reverse("C-1");
	char *id = approved_batch(NULL);
	cr_assert_eq(sql_int("SELECT count FROM batch"), 3);
	long long c2 = fund_sum("AND s.id = (SELECT s2.id FROM settlement s2 JOIN claim c ON c.id = "
	                        "s2.claim_id WHERE c.claim_no = 'C-2')");
	cr_assert_eq(sql_int("SELECT total FROM batch"), c2, "C-1 and its reversal cancel out");
	export_with(id, "b1.xml", "ed.pem");
	char *rid = record_id_of("C-1", "settle"), body[512];
	snprintf(body, sizeof body, "status=\"rejected\" receipt=\"R-5\"><reject record=\"%s\" "
	                            "reason=\"not insured\"/></ack>", rid);
	cr_assert_eq(ack(id, body), 1);
	/* without C-1 the payer owes C-2: not C-2 less the reversal of C-1 */
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch"), c2);
	char *out, *err;
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s", out);
	free(out);
	free(err);
	free(rid);
	free(id);
}

Test(batch_rejections, an_answer_about_a_record_never_sent_is_not_applied)
{
	keys();
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL), *err, *out;
	export_with(id, "b1.xml", "ed.pem");
	const char *f = zt_test_write("bad.ack.xml", "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch="
	                                            "\"B390100-000001\" status=\"rejected\" receipt=\"R\">"
	                                            "<reject record=\"S999/1\" reason=\"who?\"/></ack>");
	cr_assert_eq(zt(&out, &err, "batch ack %s '%s'", id, f), 2);
	cr_assert(strstr(err, "'S999/1', which is not in batch"), "%s", err);
	free(out);
	free(err);
	/* no state changes: the batch is as it was, only the attempt is logged */
	char *st = status_of(id);
	cr_assert_str_eq(st, "exported");
	free(st);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_reject"), 0);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_event WHERE action IN ('send', 'accept')"), 0);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch WHERE accepted_total IS NOT NULL"), 0);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_send WHERE outcome = 'failed'"), 1);
	free(id);
}

/* ---- sending: a real HTTPS payer --------------------------------------------------- */

static struct zt_test_server server = ZT_TEST_SERVER_NONE;
static char server_log[700], save_dir[700], ca_crt[700], conf[700];

static const char *payer_server(void)
{
#ifdef ZT_TEST_PAYER_SERVER
	return ZT_TEST_PAYER_SERVER;
#else
	/* built next to this test (tests/CMakeLists.txt builds it for the
	 * gateway tests) */
	static char p[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	snprintf(p, sizeof p, "%s/payer_server", dirname(self));
	return p;
#endif
}

static void leaf(const char *name, const char *ca, const char *san, const char *eku)
{
	zt_test_cert_leaf(d, name, ca, san, eku);
}

static void root_ca(const char *name) { zt_test_cert_root(d, name); }

static void start(const char *cert, const char *script, ...)
{
	va_list ap;
	va_start(ap, script);
	zt_test_payer_start(&server, payer_server(), d, cert, script, server_log, save_dir, ap);
	va_end(ap);
}

static void stop(void) { zt_test_server_stop(&server); }

/* The fund's gateway: this payer, this CA, short timeouts; `extra` lines. */
static void http_config(const char *extra)
{
	char text[4096];
	snprintf(text, sizeof text,
	         "[signing]\nkey = %s/ed.pem\n\n[fund " FUND "]\ngateway = http\n"
	         "url = https://127.0.0.1:%d/batches\nca-file = %s\nconnect-timeout-ms = 3000\n"
	         "total-timeout-ms = 10000\nmax-attempts = 3\nbackoff-initial-ms = 20\n"
	         "backoff-max-ms = 100\n%s",
	         d, server.port, ca_crt, extra ? extra : "");
	snprintf(conf, sizeof conf, "%s", zt_test_write("http.conf", text));
}

static int send_batch(char **out, char **err, const char *id)
{
	return zt_test_run(out, err, "--db '%s' --config '%s' batch send %s --by carol", db, conf, id);
}

static int log_lines(void)
{
	char *s = zt_test_slurp(server_log);
	int n = 0;
	for (char *p = s; p && *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

static bool log_has(const char *needle)
{
	char *s = zt_test_slurp(server_log);
	bool found = s && strstr(s, needle);
	free(s);
	return found;
}

static void http_setup(void)
{
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	world();
	keys();
	path(server_log, sizeof server_log, "server.log");
	path(save_dir, sizeof save_dir, "received");
	path(ca_crt, sizeof ca_crt, "ca.crt");
	root_ca("ca");
	leaf("server", "ca", "IP:127.0.0.1,DNS:localhost", "serverAuth");
}

TestSuite(batch_send_http, .init = http_setup, .fini = stop, .timeout = 90);

/* Two claims, batched, approved, exported: the id. */
static char *exported_batch(void)
{
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-03-11");
	char *id = approved_batch(NULL);
	export_with(id, "batch.xml", "ed.pem");
	return id;
}

Test(batch_send_http, an_accepted_batch_records_the_payers_receipt)
{
	char *id = exported_batch(), *out, *err, *st;
	start("server", "accept", NULL);
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	cr_assert(strstr(out, "accepted by the payer, receipt R-1"), "%s", out);
	cr_assert_str_eq(st = status_of(id), "accepted");
	free(st);
	cr_assert_str_eq(st = sql("SELECT receipt FROM batch"), "R-1");
	free(st);
	cr_assert_eq(sql_int("SELECT accepted_total - total FROM batch"), 0);
	cr_assert_str_eq(st = sql("SELECT gateway || ' ' || outcome || ' ' || attempts || ' ' || "
	                          "http_status FROM batch_send"), "http accepted 1 200");
	free(st);
	/* the payer got exactly the exported file and signature, keyed by the batch id */
	char got[800], f[700];
	path(f, sizeof f, "batch.xml");
	snprintf(got, sizeof got, "%s/1.file", save_dir);
	cr_assert(same_file(f, got));
	strcat(f, ".sig");
	snprintf(got, sizeof got, "%s/1.signature", save_dir);
	cr_assert(same_file(f, got));
	cr_assert(log_has("idem=B390100-000001 "));
	/* an accepted batch is not sent again */
	free(out);
	free(err);
	cr_assert_eq(send_batch(&out, &err, id), 2);
	cr_assert(strstr(err, "already accepted"), "%s", err);
	cr_assert_eq(log_lines(), 1);
	free(out);
	free(err);
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s", out);
	free(out);
	free(err);
	free(id);
}

Test(batch_send_http, some_records_rejected_are_recorded_then_billed_corrected_in_a_later_batch)
{
	char *id = exported_batch(), *out, *err;
	char *rid = record_id_of("C-2", "settle"), script[256];
	snprintf(script, sizeof script, "reject:%s=duplicate claim", rid);
	start("server", script, NULL);
	http_config(NULL);
	long long total1 = sql_int("SELECT total FROM batch");
	long long c2 = sql_int("SELECT f.amount FROM settlement_fund f JOIN settlement s ON s.id = "
	                       "f.settlement_id JOIN claim c ON c.id = s.claim_id WHERE c.claim_no = "
	                       "'C-2' AND f.fund_code = '" FUND "'");
	cr_assert_eq(send_batch(&out, &err, id), 1, "some records rejected: exit 1: %s %s", out, err);
	cr_assert(strstr(out, "less 1 records") && strstr(out, rid) && strstr(out, "duplicate claim"),
	          "%s", out);
	free(out);
	free(err);
	char *st = status_of(id);
	cr_assert_str_eq(st, "accepted");
	free(st);
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch"), total1 - c2);
	/* corrected: reversed and settled again; both in the next batch */
	reverse("C-2");
	claim_amount("C-2", "P0000002", "2017-03-11", "4500.00");
	long long fixed = fund_sum("AND s.id = (SELECT MAX(id) FROM settlement)");
	char *b2 = create(NULL);
	cr_assert_str_eq(b2, "B390100-000002");
	cr_assert_eq(sql_int("SELECT total FROM batch WHERE id = 'B390100-000002'"), fixed);
	cr_assert_eq(sql_int("SELECT info_count FROM batch WHERE id = 'B390100-000002'"), 1);
	free(ok("batch approve %s --by bob", b2));
	export_with(b2, "b2.xml", "ed.pem");
	stop();
	start("server", "accept", NULL);
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, b2), 0, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert_eq(sql_int("SELECT SUM(accepted_total) FROM batch"), total1 - c2 + fixed);
	out = ok("batch list --format csv");
	char expect[512], t1[32], t2[32];
	yuan(t1, total1);
	yuan(t2, fixed);
	snprintf(expect, sizeof expect,
	         "batch_id,fund,status,count,total,paid\nB390100-000001,390100,accepted,2,%s,0.00\n"
	         "B390100-000002,390100,accepted,2,%s,0.00\n", t1, t2);
	cr_assert_str_eq(out, expect);
	free(out);
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s", out);
	free(out);
	free(err);
	free(b2);
	free(rid);
	free(id);
}

Test(batch_send_http, a_500_then_success_is_one_hand_over_with_two_attempts)
{
	char *id = exported_batch(), *out, *err, *st;
	start("server", "status:500,accept", NULL);
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "accepted");
	free(st);
	cr_assert_str_eq(st = sql("SELECT outcome || ' ' || attempts || ' ' || receipt FROM batch_send"),
	                 "accepted 2 R-2");
	free(st);
	cr_assert(log_has("n=1 idem=B390100-000001 ") && log_has("n=2 idem=B390100-000001 "));
	free(id);
}

Test(batch_send_http, a_timeout_leaves_the_batch_exported_to_be_sent_again)
{
	char *id = exported_batch(), *out, *err, *st;
	start("server", "sleep:3000,accept", NULL);
	/* one attempt of 300 ms */
	char text[4096];
	snprintf(text, sizeof text,
	         "[signing]\npublic-key = %s/ed.pub\n\n"
	         "[fund " FUND "]\ngateway = http\nurl = https://127.0.0.1:%d/batches\nca-file = %s\n"
	         "total-timeout-ms = 300\nmax-attempts = 1\n", d, server.port, ca_crt);
	snprintf(conf, sizeof conf, "%s", zt_test_write("timeout.conf", text));
	cr_assert_eq(send_batch(&out, &err, id), 3, "%s %s", out, err);
	cr_assert(strstr(err, "timed out") && strstr(err, "send it again"), "%s", err);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "exported");
	free(st);
	cr_assert_str_eq(st = sql("SELECT outcome FROM batch_send"), "failed");
	free(st);
	/* the payer may have it: the same id goes again, and this time it answers */
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "accepted");
	free(st);
	cr_assert(log_has("n=2 idem=B390100-000001 "));
	free(id);
}

Test(batch_send_http, a_server_certificate_from_another_ca_sends_nothing)
{
	char *id = exported_batch(), *out, *err, *st;
	root_ca("rogue-ca");
	leaf("rogue", "rogue-ca", "IP:127.0.0.1,DNS:localhost", "serverAuth");
	start("rogue", "accept", NULL);
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, id), 3, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert_eq(log_lines(), 0, "nothing may reach an unverified server");
	cr_assert_str_eq(st = status_of(id), "exported");
	free(st);
	cr_assert_str_eq(st = sql("SELECT outcome || ' ' || attempts FROM batch_send"), "failed 1");
	free(st);
	free(id);
}

Test(batch_send_http, a_payer_that_requires_a_client_certificate_gets_the_configured_one)
{
	char *id = exported_batch(), *out, *err, *st;
	leaf("client", "ca", NULL, "clientAuth");
	start("server", "accept", "--trust", ca_crt, "--require-client-cert", NULL);
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, id), 3, "%s %s", out, err);
	cr_assert(strstr(err, "403"), "%s", err);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "exported");
	free(st);
	char extra[1600];
	snprintf(extra, sizeof extra, "client-cert = %s/client.crt\nclient-key = %s/client.key\n", d, d);
	http_config(extra);
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert(log_has("cert=verified status=200"));
	cr_assert_str_eq(st = status_of(id), "accepted");
	free(st);
	free(id);
}

Test(batch_send_http, a_batch_must_be_exported_and_unchanged_before_it_is_sent)
{
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL), *out, *err;
	start("server", "accept", NULL);
	http_config(NULL);
	cr_assert_eq(send_batch(&out, &err, id), 2);
	cr_assert(strstr(err, "exported"), "%s", err);
	free(out);
	free(err);
	export_with(id, "batch.xml", "ed.pem");
	cr_assert_eq(sh_code("cd '%s' && sed -i 's/C-1/C-9/' batch.xml", d), 0);
	cr_assert_eq(send_batch(&out, &err, id), 2);
	cr_assert(strstr(err, "not the file exported"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(log_lines(), 0);
	free(id);
}

/* ---- sending: a drop folder ----------------------------------------------------------- */

static char outbox[700], inbox[700];

static void folder_setup(void)
{
	world();
	keys();
	path(outbox, sizeof outbox, "outbox");
	path(inbox, sizeof inbox, "inbox");
	cr_assert_eq(mkdir(outbox, 0755), 0);
	cr_assert_eq(mkdir(inbox, 0755), 0);
	char text[2048];
	snprintf(text, sizeof text, "[signing]\npublic-key = %s/ed.pub\n\n[fund " FUND "]\n"
	         "gateway = folder\noutbox = %s\ninbox = %s\n", d, outbox, inbox);
	snprintf(conf, sizeof conf, "%s", zt_test_write("folder.conf", text));
}

TestSuite(batch_send_folder, .init = folder_setup, .timeout = 60);

static int poll_batch(char **out, char **err, const char *id)
{
	return zt_test_run(out, err, "--db '%s' --config '%s' batch poll %s --by carol", db, conf, id);
}

Test(batch_send_folder, drop_then_poll_until_the_payers_ack_arrives)
{
	char *id = exported_batch(), *out, *err, *st;
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	cr_assert(strstr(out, "batch poll"), "%s", out);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "sent");
	free(st);
	char f[700], dropped[800];
	path(f, sizeof f, "batch.xml");
	snprintf(dropped, sizeof dropped, "%s/%s.xml", outbox, id);
	cr_assert(same_file(f, dropped));
	strcat(f, ".sig");
	strcat(dropped, ".sig");
	cr_assert(same_file(f, dropped));
	/* no answer yet */
	cr_assert_eq(poll_batch(&out, &err, id), 0, "%s", err);
	cr_assert(strstr(out, "no answer"), "%s", out);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "sent");
	free(st);
	/* the payer's answer */
	char ackp[800], ackx[512];
	snprintf(ackp, sizeof ackp, "%s/%s.ack.xml", inbox, id);
	snprintf(ackx, sizeof ackx, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" "
	                            "status=\"accepted\" receipt=\"PAYER-77\"/>\n", id);
	FILE *a = fopen(ackp, "w");
	fputs(ackx, a);
	fclose(a);
	cr_assert_eq(poll_batch(&out, &err, id), 0, "%s", err);
	cr_assert(strstr(out, "receipt PAYER-77"), "%s", out);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "accepted");
	free(st);
	cr_assert_str_eq(st = sql("SELECT group_concat(outcome, ' ') FROM batch_send"),
	                 "pending accepted");
	free(st);
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s", out);
	free(out);
	free(err);
	free(id);
}

Test(batch_send_folder, a_crash_between_writing_and_renaming_leaves_part_files_the_next_send_completes)
{
	char *id = exported_batch(), *out, *err, *st;
	/* what a send that died before its renames leaves behind */
	char part[800], sig_part[800], dropped[800], f[700];
	snprintf(part, sizeof part, "%s/%s.xml.part", outbox, id);
	snprintf(sig_part, sizeof sig_part, "%s/%s.xml.sig.part", outbox, id);
	FILE *p = fopen(part, "w");
	fputs("<payer-file half written", p);
	fclose(p);
	p = fopen(sig_part, "w");
	fputs("xx", p);
	fclose(p);
	/* ... and an export that died before its rename */
	char tmp[800];
	snprintf(tmp, sizeof tmp, "%s/batch.xml.tmp.AbC123", d);
	p = fopen(tmp, "w");
	fputs("<payer-file", p);
	fclose(p);
	export_with(id, "batch.xml", "ed.pem");
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	free(out);
	free(err);
	path(f, sizeof f, "batch.xml");
	snprintf(dropped, sizeof dropped, "%s/%s.xml", outbox, id);
	cr_assert(same_file(f, dropped), "the complete file is in place");
	cr_assert(!exists(part) && !exists(sig_part), "no part file is left");
	cr_assert_str_eq(st = status_of(id), "sent");
	free(st);
	/* sending again drops nothing new and changes nothing */
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "sent");
	free(st);
	char p2[700];
	path(p2, sizeof p2, "ed.pub");
	cr_assert_eq(openssl_verify(ZT_KEY_ED25519, p2, dropped), 0);
	free(id);
}

Test(batch_send_folder, a_whole_batch_refused_goes_back_to_exported)
{
	char *id = exported_batch(), *out, *err, *st;
	cr_assert_eq(send_batch(&out, &err, id), 0, "%s %s", out, err);
	free(out);
	free(err);
	char ackp[800], ackx[512];
	snprintf(ackp, sizeof ackp, "%s/%s.ack.xml", inbox, id);
	snprintf(ackx, sizeof ackx, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" "
	                            "status=\"rejected\" reason=\"signature does not verify\"/>\n", id);
	FILE *a = fopen(ackp, "w");
	fputs(ackx, a);
	fclose(a);
	cr_assert_eq(poll_batch(&out, &err, id), 1, "%s", err);
	cr_assert(strstr(out, "refused whole") && strstr(out, "signature does not verify"), "%s", out);
	free(out);
	free(err);
	cr_assert_str_eq(st = status_of(id), "exported");
	free(st);
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s", out);
	free(out);
	free(err);
	free(id);
}

/* ---- the reconciliation hook ---------------------------------------------------------- */

TestSuite(batch_paid, .init = world, .timeout = 60);

static int pay(const char *id, long long fen)
{
	struct zt_store *s;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0, "%s", zt_error_last());
	cr_assert_eq(s->ops->begin(s, ZT_TXN_WRITE), 0);
	int rc = zt_batch_pay(s, id, fen, "reconcile", "BANK-1");
	if (rc == 0)
		cr_assert_eq(s->ops->commit(s), 0);
	else
		s->ops->rollback(s);
	zt_store_close(s);
	return rc;
}

Test(batch_paid, matched_payments_fill_the_paid_column_up_to_what_the_payer_accepted)
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-03-11");
	char *id = approved_batch(NULL), *out, *err, *st;
	cr_assert_eq(pay(id, 100), ZT_ECONFLICT, "an approved batch is not paid");
	export_with(id, "b.xml", "ed.pem");
	char *rid = record_id_of("C-2", "settle"), body[512];
	snprintf(body, sizeof body, "status=\"rejected\" receipt=\"R-1\"><reject record=\"%s\" "
	                            "reason=\"no\"/></ack>", rid);
	cr_assert_eq(ack(id, body), 1);
	long long due = sql_int("SELECT accepted_total FROM batch");
	cr_assert_eq(pay(id, 100), 0);
	cr_assert_str_eq(st = status_of(id), "part-paid");
	free(st);
	char line[256], t[32], p[32];
	yuan(t, sql_int("SELECT total FROM batch"));
	snprintf(line, sizeof line, "B390100-000001,390100,part-paid,2,%s,1.00\n", t);
	out = ok("batch list --format csv");
	cr_assert(strstr(out, line), "%s", out);
	free(out);
	cr_assert_eq(pay(id, due - 100), 0);
	cr_assert_str_eq(st = status_of(id), "paid");
	free(st);
	yuan(p, due);
	snprintf(line, sizeof line, "B390100-000001,390100,paid,2,%s,%s\n", t, p);
	out = ok("batch list --format csv");
	cr_assert(strstr(out, line), "%s", out);
	free(out);
	/* the moves are in the trail (the payments themselves were not matched
	 * to bank entries here: reconciliation's own checks would say so) */
	zt(&out, &err, "verify");
	cr_assert(strstr(out, "checked    batch status changes are recorded"), "%s", out);
	cr_assert(!strstr(out, "VIOLATION  batch status") && !strstr(out, "VIOLATION  each batch total"),
	          "%s", out);
	free(out);
	free(err);
	char *trail = sql("SELECT group_concat(status_to, ' ') FROM batch_event");
	cr_assert_str_eq(trail, "draft approved exported sent accepted part-paid paid");
	free(trail);
	free(rid);
	free(id);
}

/* ---- a payer's answer can never raise what it owes (issue 7, point 1) ----------------- */

TestSuite(batch_answers, .init = world, .timeout = 60);

static void verify_clean(void)
{
	char *out, *err;
	int rc = zt(&out, &err, "verify");
	cr_assert_eq(rc, 0, "verify: exit %d\n%s%s", rc, out, err);
	free(out);
	free(err);
}

/* The fund's share of a claim, in fen (its settlement, or its reversal). */
static long long share_of(const char *claim_no, const char *kind)
{
	char q[512];
	snprintf(q, sizeof q, "SELECT f.amount FROM settlement_fund f JOIN settlement s ON s.id = "
	                      "f.settlement_id JOIN claim c ON c.id = s.claim_id WHERE f.fund_code = '"
	                      FUND "' AND c.claim_no = '%s' AND s.kind = '%s' ORDER BY s.id LIMIT 1",
	         claim_no, kind);
	return sql_int(q);
}

/* Answers batch `id` rejecting the records of the claims listed ("C-1:settle C-2:reverse"). */
static int reject_claims(const char *id, const char *list)
{
	char body[2048] = "status=\"rejected\" receipt=\"R-7\">", copy[256];
	snprintf(copy, sizeof copy, "%s", list);
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
		char *colon = strchr(tok, ':');
		*colon = '\0';
		char *rid = record_id_of(tok, colon + 1);
		size_t l = strlen(body);
		snprintf(body + l, sizeof body - l, "<reject record=\"%s\" reason=\"no\"/>", rid);
		free(rid);
	}
	strcat(body, "</ack>");
	return ack(id, body);
}

/* B1 = C-1, accepted; then C-1 reversed and C-2 settled: B2 = the reversal
 * (a credit to the payer, payable: it accepted C-1) and C-2. */
static char *reversal_batch(void)
{
	keys();
	claim("C-1", "2017-03-10");
	char *b1 = approved_batch(NULL);
	export_with(b1, "b1.xml", "ed.pem");
	cr_assert_eq(ack(b1, "status=\"accepted\" receipt=\"R-1\"/>"), 0);
	free(b1);
	reverse("C-1");
	claim_amount("C-2", "P0000003", "2017-03-11", "6000.00");
	char *b2 = approved_batch(NULL);
	export_with(b2, "b2.xml", "ed.pem");
	cr_assert_eq(sql_int("SELECT count FROM batch WHERE id = 'B390100-000002'"), 2);
	return b2;
}

Test(batch_answers, a_rejected_reversal_alone_takes_nothing_off)
{
	char *b2 = reversal_batch();
	long long total = sql_int("SELECT total FROM batch WHERE id = 'B390100-000002'");
	cr_assert_eq(total, share_of("C-1", "reverse") + share_of("C-2", "settle"));
	cr_assert_eq(reject_claims(b2, "C-1:reverse"), 1);
	/* the payer refuses its credit: it still owes no more than the total */
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch WHERE id = 'B390100-000002'"), total);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_reject"), 1, "the rejection is recorded");
	verify_clean();
	free(b2);
}

Test(batch_answers, a_rejected_reversal_and_a_rejected_claim_take_off_the_claim_only)
{
	char *b2 = reversal_batch();
	long long total = sql_int("SELECT total FROM batch WHERE id = 'B390100-000002'");
	cr_assert_eq(reject_claims(b2, "C-1:reverse C-2:settle"), 1);
	long long accepted = sql_int("SELECT accepted_total FROM batch WHERE id = 'B390100-000002'");
	cr_assert_eq(accepted, total - share_of("C-2", "settle"));
	cr_assert_eq(accepted, share_of("C-1", "reverse"), "the credit stands: owed back");
	cr_assert(accepted <= total);
	verify_clean();
	free(b2);
}

Test(batch_answers, every_record_rejected)
{
	/* claims only: nothing is owed */
	keys();
	claim("C-1", "2017-03-10");
	claim_amount("C-2", "P0000003", "2017-03-11", "6000.00");
	char *id = approved_batch(NULL);
	export_with(id, "b1.xml", "ed.pem");
	cr_assert_eq(reject_claims(id, "C-1:settle C-2:settle"), 1);
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch"), 0);
	char *st = status_of(id);
	cr_assert_str_eq(st, "accepted");
	free(st);
	verify_clean();
	free(id);
}

Test(batch_answers, every_record_of_a_batch_with_a_reversal_rejected)
{
	char *b2 = reversal_batch();
	cr_assert_eq(reject_claims(b2, "C-2:settle C-1:reverse"), 1);
	/* C-2 is off; the reversal of C-1, which the payer accepted and paid
	 * for in B1, is still owed back */
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch WHERE id = 'B390100-000002'"),
	             share_of("C-1", "reverse"));
	verify_clean();
	free(b2);
}

Test(batch_answers, a_claim_and_its_reversal_in_one_batch_rejected_together_cancel_out)
{
	keys();
	claim("C-1", "2017-03-10");
	claim_amount("C-2", "P0000003", "2017-03-11", "6000.00");
	reverse("C-1");
	char *id = approved_batch(NULL);
	export_with(id, "b1.xml", "ed.pem");
	long long total = sql_int("SELECT total FROM batch");
	cr_assert_eq(total, share_of("C-2", "settle"));
	cr_assert_eq(reject_claims(id, "C-1:settle C-1:reverse"), 1);
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch"), total);
	verify_clean();
	free(id);
}

/* An answer that cannot be applied changes no state: not the status, not
 * the rejections, not the accepted total; the attempt alone is logged (when
 * the answer is a valid ack at all). */
static void unusable(const char *id, const char *rejects, const char *why, bool logged)
{
	char *before = sql("SELECT status, COALESCE(accepted_total, 'none'), (SELECT count(*) FROM "
	                   "batch_reject), (SELECT count(*) FROM batch_event) FROM batch WHERE id = "
	                   "'B390100-000001'");
	long long failed = sql_int("SELECT count(*) FROM batch_send WHERE outcome = 'failed'");
	char body[1024];
	snprintf(body, sizeof body, "status=\"rejected\" receipt=\"R-9\">%s</ack>", rejects);
	char name[64], xml[1200];
	snprintf(name, sizeof name, "%s.bad.xml", id);
	snprintf(xml, sizeof xml, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" %s", id, body);
	char *out, *err;
	cr_assert_eq(zt(&out, &err, "batch ack %s '%s'", id, zt_test_write(name, xml)), 2, "%s", err);
	cr_assert(strstr(err, why), "expected '%s' in: %s", why, err);
	free(out);
	free(err);
	char *after = sql("SELECT status, COALESCE(accepted_total, 'none'), (SELECT count(*) FROM "
	                  "batch_reject), (SELECT count(*) FROM batch_event) FROM batch WHERE id = "
	                  "'B390100-000001'");
	cr_assert_str_eq(after, before);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_send WHERE outcome = 'failed'"),
	             failed + logged);
	free(before);
	free(after);
}

Test(batch_answers, an_answer_naming_records_not_in_the_batch_changes_nothing)
{
	keys();
	claim("C-1", "2017-03-10");
	claim_amount("C-2", "P0000003", "2017-03-11", "6000.00");
	char *id = create("--through 2017-03-10");
	free(ok("batch approve %s --by bob", id));
	export_with(id, "b1.xml", "ed.pem");
	char *c1 = record_id_of("C-1", "settle"), *c2 = record_id_of("C-2", "settle"), r[400];
	/* C-2 is in no batch yet: a record of another (or no) batch */
	snprintf(r, sizeof r, "<reject record=\"%s\" reason=\"x\"/>", c2);
	unusable(id, r, "which is not in batch", true);
	/* unknown ids, well formed or not */
	unusable(id, "<reject record=\"S999999999999/1\" reason=\"x\"/>", "which is not in batch",
	         true);
	unusable(id, "<reject record=\"nonsense\" reason=\"x\"/>", "not a record id of batch", true);
	/* one good record and one unknown: nothing of it is applied */
	snprintf(r, sizeof r, "<reject record=\"%s\" reason=\"x\"/><reject record=\"S1/9\" "
	                      "reason=\"x\"/>", c1);
	unusable(id, r, "which is not in batch", true);
	/* the same record named twice: the ack's schema refuses it already */
	snprintf(r, sizeof r, "<reject record=\"%s\" reason=\"x\"/><reject record=\"%s\" "
	                      "reason=\"y\"/>", c1, c1);
	unusable(id, r, "Duplicate key-sequence", false);
	/* ... and the engine too, whatever hands it the answer */
	struct zt_store *s;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0);
	struct zt_batch_reject twice[] = {{c1, "x"}, {c1, "y"}};
	struct zt_batch_answer a = {.outcome = ZT_BATCH_OUT_REJECTED, .gateway = "http",
	                            .receipt = "R-3", .message = "two", .reject_count = 2,
	                            .rejects = twice};
	cr_assert_eq(zt_batch_record_answer(s, id, "payer-desk", &a), ZT_ECONFLICT);
	cr_assert(strstr(zt_error_last(), "names record"), "%s", zt_error_last());
	cr_assert(strstr(zt_error_last(), "twice"), "%s", zt_error_last());
	zt_store_close(s);
	char *st = status_of(id);
	cr_assert_str_eq(st, "exported");
	free(st);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_reject"), 0);
	/* a usable answer is taken afterwards, once */
	snprintf(r, sizeof r, "status=\"rejected\" receipt=\"R-1\"><reject record=\"%s\" "
	                      "reason=\"x\"/></ack>", c1);
	cr_assert_eq(ack(id, r), 1);
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch WHERE id = 'B390100-000001'"), 0);
	verify_clean();
	free(c1);
	free(c2);
	free(id);
}

Test(batch_answers, a_second_answer_changes_nothing)
{
	keys();
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL), *out, *err;
	export_with(id, "b1.xml", "ed.pem");
	cr_assert_eq(ack(id, "status=\"accepted\" receipt=\"R-1\"/>"), 0);
	long long total = sql_int("SELECT total FROM batch");
	char *rid = record_id_of("C-1", "settle"), xml[600];
	snprintf(xml, sizeof xml, "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"%s\" "
	                          "status=\"rejected\" receipt=\"R-2\"><reject record=\"%s\" "
	                          "reason=\"later\"/></ack>", id, rid);
	cr_assert_eq(zt(&out, &err, "batch ack %s '%s'", id, zt_test_write("again.xml", xml)), 2);
	cr_assert(strstr(err, "answer was recorded already (receipt R-1)"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(sql_int("SELECT accepted_total FROM batch"), total);
	cr_assert_eq(sql_int("SELECT count(*) FROM batch_reject"), 0);
	free(rid);
	free(id);
}

Test(batch_answers, a_batch_is_never_paid_beyond_what_it_owes)
{
	keys();
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL), *st;
	export_with(id, "b1.xml", "ed.pem");
	cr_assert_eq(ack(id, "status=\"accepted\" receipt=\"R-1\"/>"), 0);
	long long due = sql_int("SELECT accepted_total FROM batch");
	cr_assert_eq(pay(id, due + 1), ZT_ECONFLICT);
	cr_assert_eq(sql_int("SELECT paid FROM batch"), 0);
	cr_assert_eq(pay(id, due - 1), 0);
	cr_assert_eq(pay(id, 2), ZT_ECONFLICT, "one fen too many");
	cr_assert_eq(pay(id, 1), 0);
	cr_assert_str_eq(st = status_of(id), "paid");
	free(st);
	cr_assert_eq(pay(id, 1), ZT_ECONFLICT);
	cr_assert_eq(sql_int("SELECT paid FROM batch"), due);
	free(id);
}

/* ---- a batch larger than the writer's read-ahead ------------------------------------ */

static void big_setup(void)
{
	snprintf(d, sizeof d, "%s", zt_test_tmpdir());
	path(db, sizeof db, "zt.db");
}

TestSuite(batch_large, .init = big_setup, .timeout = 300);

/* Many chunks of read-ahead go round: every record arrives once, in order. */
Test(batch_large, a_batch_of_thousands_of_records_streams_whole_and_in_order)
{
	char w[700];
	path(w, sizeof w, "world");
	cr_assert_eq(zt_test_run(NULL, NULL, "gen --claims 12000 --seed 5 --out '%s'", w), 0);
	free(ok("init"));
	free(ok("registry load '%s/registry.xml'", w));
	free(ok("rules load '%s/policy.xml'", w));
	char *out, *err;
	cr_assert_eq(zt(&out, &err, "claim submit '%s/claims.xml' --today 2017-12-31", w), 0, "%s", err);
	free(out);
	free(err);
	keys();
	char *id = approved_batch(NULL);
	long long n = sql_int("SELECT count FROM batch");
	cr_assert_gt(n, 4 * 2048 + 1, "%lld records: not enough to go round the read-ahead", n);
	export_with(id, "big.xml", "ed.pem");
	char f[700];
	path(f, sizeof f, "big.xml");
	cr_assert_eq(zt_test_run(&out, &err, "batch verify '%s' '%s.sig' '%s/ed.pub'", f, f, d), 0,
	             "%s", err);
	free(out);
	free(err);
	char *lines = sh_out("grep -c '<record ' '%s'", f);
	cr_assert_eq(atoll(lines), n);
	free(lines);
	/* in settlement order, as the store has them */
	char *ids = sh_out("grep -o 'record id=\"[^\"]*\"' '%s' | cut -d'\"' -f2 | md5sum", f);
	char *want = sh_out("sqlite3 '%s' \"SELECT s.setl_id || '/' || b.seq FROM batch_share b JOIN "
	                    "settlement s ON s.id = b.settlement_id ORDER BY b.settlement_id, b.seq\" "
	                    "| md5sum", db);
	cr_assert_str_eq(ids, want);
	free(ids);
	free(want);
	cr_assert_eq(sh_code("xmllint --stream --noout --schema '%s/schema/payer-file.xsd' '%s'",
	                ZT_TEST_SOURCE_DIR, f),
	             0);
	free(id);
}

/* ---- the payer file and its signature never destroy anything ------------ */

TestSuite(batch_output, .init = world, .timeout = 120);

/* An approved batch of two claims, keys made; the file path in f. */
static char *output_batch(char f[700])
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-03-11");
	path(f, 700, "payer.xml");
	return approved_batch(NULL);
}

/* Files in the test directory whose name starts with `prefix`. */
static int count_prefix(const char *prefix)
{
	int n = 0;
	DIR *dir = opendir(d);
	cr_assert(dir);
	for (struct dirent *e; (e = readdir(dir));)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(dir);
	return n;
}

Test(batch_output, a_retried_export_writes_the_same_file_and_keeps_its_signature)
{
	char f[700], sig[710], *id = output_batch(f), *err;
	snprintf(sig, sizeof sig, "%s.sig", f);
	for (int k = 0; k < 2; k++) {
		/* SM2 signatures differ from one signing to the next: the one
		 * there, valid for these bytes, is kept */
		const char *key = k ? "sm2.pem" : "ed.pem";
		if (k) {
			unlink(f);
			unlink(sig);
		}
		export_with(id, "payer.xml", key);
		size_t n1, s1;
		char *before = zt_test_slurp_n(f, &n1), *sig_before = zt_test_slurp_n(sig, &s1);
		struct stat a, b;
		cr_assert_eq(stat(f, &a), 0);
		cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' batch export %s --out '%s' --key '%s/%s' "
		                         "--by carol", db, id, f, d, key), 0, "%s", err);
		free(err);
		cr_assert_eq(stat(f, &b), 0);
		cr_expect_eq(a.st_ino, b.st_ino, "the identical file is left as it was");
		size_t n2, s2;
		char *after = zt_test_slurp_n(f, &n2), *sig_after = zt_test_slurp_n(sig, &s2);
		cr_expect(n1 == n2 && memcmp(before, after, n1) == 0);
		cr_expect(s1 == s2 && memcmp(sig_before, sig_after, s1) == 0, "the signature is kept");
		free(before), free(after), free(sig_before), free(sig_after);
	}
	cr_expect_eq(count_prefix(".payer.xml"), 0, "no temporary file is left");
	free(id);
}

Test(batch_output, a_different_file_or_signature_there_is_refused_unless_forced)
{
	char f[700], sig[710], *id = output_batch(f), *err;
	snprintf(sig, sizeof sig, "%s.sig", f);
	/* another file under the name */
	const char *other = zt_test_write("payer.xml", "someone else's file\n");
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem'", id, other, d), 2);
	cr_expect(strstr(err, "conflict") && strstr(err, "--force"), "%s", err);
	free(err);
	char *kept = zt_test_slurp(f);
	cr_expect_str_eq(kept, "someone else's file\n");
	free(kept);
	cr_expect(!exists(sig), "no signature without its file");
	char *st = status_of(id);
	cr_expect_str_eq(st, "approved", "nothing was recorded");
	free(st);
	/* a foreign signature under FILE.sig: refused too, and the file is
	 * not written either (both or neither) */
	unlink(f);
	FILE *p = fopen(sig, "w");
	fputs("not a signature", p);
	fclose(p);
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem'", id, f, d), 2);
	cr_expect(strstr(err, ".sig"), "%s", err);
	free(err);
	cr_expect(!exists(f), "no file without its signature");
	kept = zt_test_slurp(sig);
	cr_expect_str_eq(kept, "not a signature");
	free(kept);
	/* --force replaces both */
	zt_test_write("payer.xml", "someone else's file\n");
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem' --force", id, f, d),
	             0, "%s", err);
	free(err);
	char pub[700];
	path(pub, sizeof pub, "ed.pub");
	cr_expect_eq(openssl_verify(ZT_KEY_ED25519, pub, f), 0, "file and signature belong together");
	cr_expect_eq(count_prefix(".payer.xml"), 0, "no temporary file is left");
	free(id);
}

Test(batch_output, never_through_a_symbolic_link_not_even_forced)
{
	char f[700], sig[710], target[700], *id = output_batch(f), *err;
	snprintf(sig, sizeof sig, "%s.sig", f);
	path(target, sizeof target, "precious.txt");
	zt_test_write("precious.txt", "do not touch\n");
	const char *forms[] = {"", "--force"};
	for (int k = 0; k < 2; k++) {
		/* the file's name a link to another file */
		cr_assert_eq(symlink(target, f), 0);
		cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem' %s", id, f, d,
		                forms[k]), 2, "%s", forms[k]);
		cr_expect(strstr(err, "symbolic link"), "%s", err);
		free(err);
		char *kept = zt_test_slurp(target);
		cr_expect_str_eq(kept, "do not touch\n", "the link's target is untouched");
		free(kept);
		cr_expect(!exists(sig));
		unlink(f);
		/* the signature's name a link */
		cr_assert_eq(symlink(target, sig), 0);
		cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem' %s", id, f, d,
		                forms[k]), 2);
		cr_expect(strstr(err, "symbolic link"), "%s", err);
		free(err);
		kept = zt_test_slurp(target);
		cr_expect_str_eq(kept, "do not touch\n");
		free(kept);
		cr_expect(!exists(f), "no file without its signature");
		unlink(sig);
	}
	/* a dangling link: nothing is created where it points */
	char nowhere[700];
	path(nowhere, sizeof nowhere, "nowhere.xml");
	cr_assert_eq(symlink(nowhere, f), 0);
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem' --force", id, f, d), 2);
	cr_expect(strstr(err, "symbolic link"), "%s", err);
	free(err);
	cr_expect(!exists(nowhere), "the dangling link was not followed");
	unlink(f);
	/* a directory */
	cr_assert_eq(mkdir(f, 0700), 0);
	cr_assert_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem' --force", id, f, d), 2);
	cr_expect(strstr(err, "directory"), "%s", err);
	free(err);
	rmdir(f);
	cr_expect_eq(count_prefix(".payer.xml"), 0, "no temporary file is left");
	char *st = status_of(id);
	cr_expect_str_eq(st, "approved", "nothing was recorded");
	free(st);
	free(id);
}

Test(batch_output, a_failed_export_leaves_neither_file_nor_signature)
{
	char f[700], sig[710], *id = output_batch(f), *err;
	snprintf(sig, sizeof sig, "%s.sig", f);
	/* a key that is no key, a public key, a missing key */
	zt_test_write("bad.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	const char *keys_[] = {"bad.pem", "ed.pub", "missing.pem"};
	for (int k = 0; k < 3; k++) {
		cr_expect_neq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/%s'", id, f, d, keys_[k]),
		              0, "%s", keys_[k]);
		free(err);
		cr_expect(!exists(f) && !exists(sig), "%s: nothing is left", keys_[k]);
	}
	/* a failure once the file is written: its signature cannot be put
	 * in place (a directory holds the name) */
	cr_assert_eq(mkdir(sig, 0700), 0);
	cr_expect_eq(zt(NULL, &err, "batch export %s --out '%s' --key '%s/ed.pem'", id, f, d), 2);
	cr_expect(strstr(err, "directory"), "%s", err);
	free(err);
	cr_expect(!exists(f), "no file without its signature");
	rmdir(sig);
	cr_expect_eq(count_prefix(".payer.xml"), 0, "no temporary file is left");
	char *st = status_of(id);
	cr_expect_str_eq(st, "approved", "nothing was recorded");
	free(st);
	free(id);
}

Test(batch_output, send_checks_the_signature_before_handing_the_file_over)
{
	char f[700], sig[710], *id = output_batch(f), *err;
	snprintf(sig, sizeof sig, "%s.sig", f);
	export_with(id, "payer.xml", "ed.pem");
	char obox[700], ibox[700], text[2200], conf_[700];
	path(obox, sizeof obox, "out");
	path(ibox, sizeof ibox, "in");
	cr_assert_eq(mkdir(obox, 0700), 0);
	cr_assert_eq(mkdir(ibox, 0700), 0);
	snprintf(text, sizeof text, "[fund " FUND "]\ngateway = folder\noutbox = %s\ninbox = %s\n",
	         obox, ibox);
	snprintf(conf_, sizeof conf_, "%s", zt_test_write("send.conf", text));
	char dropped[800];
	snprintf(dropped, sizeof dropped, "%s/%s.xml", obox, id);
	/* no key to check with: refused */
	cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' --config '%s' batch send %s", db, conf_, id), 2);
	cr_expect(strstr(err, "no key"), "%s", err);
	free(err);
	/* another key: the signature does not verify */
	cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' --config '%s' batch send %s --key '%s/sm2.pub'",
	                         db, conf_, id, d), 2);
	cr_expect(strstr(err, "does not verify"), "%s", err);
	free(err);
	/* a signature that was tampered with */
	size_t n;
	char *good = zt_test_slurp_n(sig, &n);
	FILE *p = fopen(sig, "wb");
	good[0] ^= 1;
	fwrite(good, 1, n, p);
	fclose(p);
	cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' --config '%s' batch send %s --key '%s/ed.pub'",
	                         db, conf_, id, d), 2);
	cr_expect(strstr(err, "does not verify"), "%s", err);
	free(err);
	cr_expect(!exists(dropped), "nothing was handed over");
	char *st = status_of(id);
	cr_expect_str_eq(st, "exported");
	free(st);
	/* the file itself changed: its SHA-256 is not the export's */
	good[0] ^= 1;
	p = fopen(sig, "wb");
	fwrite(good, 1, n, p);
	fclose(p);
	free(good);
	char *orig = zt_test_slurp_n(f, &n);
	p = fopen(f, "ab");
	fputs("<!-- -->", p);
	fclose(p);
	cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' --config '%s' batch send %s --key '%s/ed.pub'",
	                         db, conf_, id, d), 2);
	cr_expect(strstr(err, "SHA-256"), "%s", err);
	free(err);
	cr_expect(!exists(dropped), "nothing was handed over");
	p = fopen(f, "wb");
	fwrite(orig, 1, n, p);
	fclose(p);
	free(orig);
	/* the right public key (or the private key it was signed with) */
	cr_assert_eq(zt_test_run(NULL, &err, "--db '%s' --config '%s' batch send %s --key '%s/ed.pub'",
	                         db, conf_, id, d), 0, "%s", err);
	free(err);
	cr_expect(exists(dropped));
	st = status_of(id);
	cr_expect_str_eq(st, "sent");
	free(st);
	free(id);
}

Test(batch_output, list_csv_and_out)
{
	claim("C-1", "2017-03-10");
	char *id = approved_batch(NULL), *out, *err;
	cr_assert_eq(zt(&out, &err, "batch list --format csv"), 0, "%s", err);
	cr_expect(strncmp(out, "batch_id,", 9) == 0, "no byte order mark unless asked: %s", out);
	free(out), free(err);
	cr_assert_eq(zt(&out, &err, "batch list --format csv --bom"), 0, "%s", err);
	cr_expect(strncmp(out, "\xEF\xBB\xBF" "batch_id,", 12) == 0, "%s", out);
	free(out), free(err);
	cr_assert_eq(zt(NULL, &err, "batch list --bom"), 2, "--bom is for CSV");
	free(err);
	char f[700];
	path(f, sizeof f, "list.csv");
	cr_assert_eq(zt(&out, &err, "batch list --format csv --out '%s'", f), 0, "%s", err);
	cr_expect_str_eq(out, "", "the list went to the file");
	free(out), free(err);
	char *text = zt_test_slurp(f);
	cr_expect(strstr(text, id) && strstr(text, ",approved,1,"), "%s", text);
	free(text);
	struct stat st;
	cr_assert_eq(stat(f, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	/* the same list again: the same file, fine; another list: refused */
	cr_assert_eq(zt(NULL, &err, "batch list --format csv --out '%s'", f), 0, "%s", err);
	free(err);
	cr_assert_eq(zt(NULL, &err, "batch list --out '%s'", f), 2);
	cr_expect(strstr(err, "--force"), "%s", err);
	free(err);
	cr_assert_eq(zt(NULL, &err, "batch list --out '%s' --force", f), 0, "%s", err);
	free(err);
	free(id);
}

/* ---- the payer file, version 2 (issue 10 point 4) ------------------------------ */

TestSuite(payer_file_2, .init = world, .timeout = 120);

/* Exports with a configuration saying `[fund 390100] payer-file = VERSION`
 * (NULL: no such line); returns the exit status, *err the stderr. */
static int export_version(const char *id, const char *file, const char *key, const char *version,
                          char **err)
{
	char text[1024], f[700];
	snprintf(text, sizeof text, "[fund " FUND "]\n%s%s%s", version ? "payer-file = " : "",
	         version ? version : "", version ? "\n" : "");
	char conf_path[700];
	snprintf(conf_path, sizeof conf_path, "%s", zt_test_write("payer.conf", text));
	path(f, sizeof f, file);
	return zt_test_run(NULL, err, "--db '%s' --config '%s' batch export %s --out '%s' --key '%s/%s' "
	                   "--by carol", db, conf_path, id, f, d, key);
}

static void export_v2(const char *id, const char *file, const char *key)
{
	char *err = NULL;
	int rc = export_version(id, file, key, "2", &err);
	cr_assert_eq(rc, 0, "export: exit %d: %s", rc, err);
	free(err);
}

/* Three records of two people (C-1, C-3 of 陈爱华, C-2 of 黄长青). */
static char *three_records(void)
{
	keys();
	claim("C-1", "2017-03-10");
	claim_amount("C-2", "P0000003", "2017-03-11", "8123.45");
	claim_amount("C-3", "P0000002", "2017-03-12", "6000.00");
	return approved_batch(NULL);
}

Test(payer_file_2, the_file_is_valid_against_its_schema_and_carries_the_reviewers_fields)
{
	char *id = three_records();
	export_v2(id, "batch.xml", "ed.pem");
	char f[700];
	path(f, sizeof f, "batch.xml");
	size_t len;
	char *xml = zt_test_slurp_n(f, &len);
	xmlDocPtr doc = NULL;
	zt_xml_init();
	cr_assert_eq(zt_xml_parse_doc(&doc, xml, len, f, ZT_SCHEMA_PAYER_FILE_2), 0, "%s",
	             zt_error_last());
	xmlFreeDoc(doc);
	/* not a version 1 file */
	cr_assert_eq(zt_xml_parse_doc(&doc, xml, len, f, ZT_SCHEMA_PAYER_FILE), ZT_EINVAL);
	cr_assert_eq(sh_code("xmllint --noout --schema '%s/schema/payer-file-2.xsd' '%s'",
	                     ZT_TEST_SOURCE_DIR, f), 0);
	cr_assert(strstr(xml, "<payer-file version=\"2\" xmlns=\"urn:zhitong:payer-file:2\">"), "%s", xml);
	cr_assert(strstr(xml, "<count>3</count>"));
	/* every record: name, full ID number, stay, diagnosis, bill, share, trace */
	const char *want[][3] = {{"C-1", "陈爱华", "510101199211252631"},
	                         {"C-2", "黄长青", "51010119690913692X"},
	                         {"C-3", "陈爱华", "510101199211252631"}};
	const char *bill[] = {"5000.00", "8123.45", "6000.00"};
	for (size_t i = 0; i < 3; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "claim_no=\"%s\"", want[i][0]);
		char *r = strstr(xml, needle);
		cr_assert(r, "record %s missing", want[i][0]);
		char *end = strstr(r, "</record>");
		cr_assert(end);
		char *rec = strndup(r, (size_t)(end - r));
		char a[128], b[128], c[128];
		snprintf(a, sizeof a, "psn_name=\"%s\"", want[i][1]);
		snprintf(b, sizeof b, "id_no=\"%s\"", want[i][2]);
		snprintf(c, sizeof c, "medfee_sumamt=\"%s\"", bill[i]);
		cr_assert(strstr(rec, a) && strstr(rec, b) && strstr(rec, c), "%s", rec);
		cr_assert(strstr(rec, "adm_date=\"2017-01-01\"") &&
		          strstr(rec, "dscg_maindiag_code=\"I63.900\"") && strstr(rec, " amount=\"") &&
		          strstr(rec, "<trace><basic "), "%s", rec);
		free(rec);
	}
	/* a malformed ID number fails the schema */
	char *bad = strdup(xml);
	char *k = strstr(bad, "51010119690913692X");
	k[17] = 'Y';
	cr_assert_eq(zt_xml_parse_doc(&doc, bad, len, "bad.xml", ZT_SCHEMA_PAYER_FILE_2), ZT_EINVAL);
	free(bad);
	free(xml);
	free(id);
}

static void check_signed_v2(const char *key, enum zt_key_type t, const char *pub)
{
	char *id = three_records();
	export_v2(id, "batch.xml", key);
	char f[700], p[700];
	path(f, sizeof f, "batch.xml");
	path(p, sizeof p, pub);
	/* a reviewer's field changed: both refuse */
	both_verify_until_changed(t, f, p, "3 records", "s/黄长青/黄长清/");
	free(id);
}

Test(payer_file_2, an_ed25519_signature_verifies_with_the_stock_openssl_command)
{
	check_signed_v2("ed.pem", ZT_KEY_ED25519, "ed.pub");
}

Test(payer_file_2, an_sm2_signature_verifies_with_the_stock_openssl_command)
{
	check_signed_v2("sm2.pem", ZT_KEY_SM2, "sm2.pub");
}

Test(payer_file_2, verify_catches_a_changed_field_even_signed_again)
{
	char *id = three_records();
	export_v2(id, "batch.xml", "ed.pem");
	char f[700], *err;
	path(f, sizeof f, "batch.xml");
	const char *edits[][2] = {
		/* an ID number that is not one: the schema */
		{"s/id_no=\"51010119690913692X\"/id_no=\"5101011969091369\"/", "bad-file"},
		/* a record's amount: the digest and the totals */
		{"0,/ amount=\"[0-9.]*\"/s// amount=\"1.00\"/", "bad-file"},
		/* a record's bill missing: the schema */
		{"0,/ medfee_sumamt=\"[0-9.]*\"/s///", "bad-file"},
	};
	for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
		export_v2(id, "batch.xml", "ed.pem");
		cr_assert_eq(sh_code("cd '%s' && sed -i '%s' batch.xml && openssl pkeyutl -sign -inkey "
		                     "ed.pem -rawin -in batch.xml -out batch.xml.sig.new", d, edits[i][0]),
		             0);
		/* export again refuses a changed file at FILE: put the signature aside */
		char *out = NULL;
		cr_assert_eq(sh_code("cd '%s' && cp batch.xml edited.xml && cp batch.xml.sig.new "
		                     "edited.xml.sig && rm batch.xml batch.xml.sig batch.xml.sig.new", d),
		             0);
		cr_assert_eq(zt_test_run(&out, &err, "batch verify '%s/edited.xml' '%s/edited.xml.sig' "
		                         "'%s/ed.pub'", d, d, d), 1, "edit %zu: %s", i, out);
		cr_assert(strstr(err, edits[i][1]), "edit %zu: %s", i, err);
		free(out);
		free(err);
	}
	(void)f;
	free(id);
}

Test(payer_file_2, version_1_stays_the_default_byte_for_byte)
{
	char *id = three_records();
	char *err = NULL, a[700], b[700], c[700];
	cr_assert_eq(export_version(id, "none.xml", "ed.pem", NULL, &err), 0, "%s", err);
	free(err);
	cr_assert_eq(export_version(id, "one.xml", "ed.pem", "1", &err), 0, "%s", err);
	free(err);
	path(a, sizeof a, "none.xml");
	path(b, sizeof b, "one.xml");
	cr_assert(same_file(a, b), "payer-file = 1 is the default");
	size_t len;
	char *xml = zt_test_slurp_n(a, &len);
	cr_assert(strstr(xml, "<payer-file version=\"1\" xmlns=\"urn:zhitong:payer-file:1\">"));
	cr_assert_null(strstr(xml, "psn_name="));
	cr_assert_null(strstr(xml, "id_no="));
	free(xml);
	/* the record digest does not depend on the version */
	export_v2(id, "two.xml", "ed.pem");
	path(c, sizeof c, "two.xml");
	char *d1 = sh_out("grep -o '<digest[^<]*' '%s'", a), *d2 = sh_out("grep -o '<digest[^<]*' '%s'", c);
	cr_assert_str_eq(d1, d2);
	free(d1);
	free(d2);
	/* and `batch verify` passes both */
	for (int i = 0; i < 2; i++) {
		char *out;
		const char *p = i ? c : a;
		cr_assert_eq(zt_test_run(&out, &err, "batch verify '%s' '%s.sig' '%s/ed.pub'", p, p, d), 0,
		             "%s", err);
		free(out);
		free(err);
	}
	/* a version that is not one is refused, naming the key */
	cr_assert_eq(export_version(id, "three.xml", "ed.pem", "3", &err), 2, "%s", err);
	cr_assert(strstr(err, "payer-file"), "%s", err);
	free(err);
	path(c, sizeof c, "three.xml");
	cr_assert(!exists(c));
	free(id);
}

/* Issue 10 item 4: the version is chosen per fund. With `[fund 390100]
 * payer-file = 2`, the assistance fund's batch of the same claims is still
 * version 1; said of 610100 instead, the two swap. */
Test(payer_file_2, the_version_is_chosen_per_fund)
{
	char *basic = three_records();
	char *other = ok("batch create --fund 610100 --by alice");
	other[strcspn(other, "\n")] = '\0';
	cr_assert(strncmp(other, "B610100-", 8) == 0, "no batch of 610100: '%s'", other);
	free(ok("batch approve %s --by bob", other));
	const char *ids[] = {basic, other};
	for (int said = 0; said < 2; said++) {
		char text[200], conf_path[700];
		snprintf(text, sizeof text, "[fund %s]\npayer-file = 2\n", said ? "610100" : FUND);
		snprintf(conf_path, sizeof conf_path, "%s", zt_test_write("per-fund.conf", text));
		for (int i = 0; i < 2; i++) {
			char name[64], f[700], *err = NULL;
			snprintf(name, sizeof name, "per-fund-%d-%d.xml", said, i);
			path(f, sizeof f, name);
			int rc = zt_test_run(NULL, &err, "--db '%s' --config '%s' batch export %s --out '%s' "
			                     "--key '%s/ed.pem' --by carol", db, conf_path, ids[i], f, d);
			cr_assert_eq(rc, 0, "export %s: %s", ids[i], err);
			free(err);
			char *xml = zt_test_slurp(f);
			cr_assert(xml);
			const char *want = i == said ? "<payer-file version=\"2\" xmlns=\"urn:zhitong:payer-file:2\">"
			                             : "<payer-file version=\"1\" xmlns=\"urn:zhitong:payer-file:1\">";
			cr_expect(strstr(xml, want), "%s exported with [fund %s] payer-file = 2 is not %s",
			          ids[i], said ? "610100" : FUND, want);
			cr_expect_eq(strstr(xml, "psn_name=") != NULL, i == said, "%s", ids[i]);
			free(xml);
		}
	}
	free(other);
	free(basic);
}

Test(payer_file_2, batch_show_records_as_csv)
{
	char *id = three_records();
	char *out = ok("batch show %s --records --format csv", id);
	char *line = strtok(out, "\n");
	cr_assert_str_eq(line, "record_id,setl_id,kind,reverses,fixmedins_code,claim_no,psn_no,"
	                       "psn_name,id_no,adm_date,dscg_date,dscg_maindiag_code,medfee_sumamt,"
	                       "fund_kind,amount,payable,rejected,trace");
	int rows = 0;
	long long total = 0;
	while ((line = strtok(NULL, "\n")) != NULL) {
		rows++;
		cr_assert(strstr(line, ",H51010101,C-"), "%s", line);
		cr_assert(strstr(line, ",2017-01-01,2017-03-1") && strstr(line, ",I63.900,"), "%s", line);
		cr_assert(strstr(line, ",basic,") && strstr(line, ",true,,"), "%s", line);
		bool p2 = strstr(line, ",P0000002,陈爱华,510101199211252631,") != NULL;
		bool p3 = strstr(line, ",P0000003,黄长青,51010119690913692X,") != NULL;
		cr_assert(p2 != p3, "%s", line);
		/* the amount column: the fund's share */
		char *b = strstr(line, ",basic,") + 7;
		long long y = 0, f = 0;
		cr_assert_eq(sscanf(b, "%lld.%lld", &y, &f), 2, "%s", line);
		total += y * 100 + f;
	}
	cr_assert_eq(rows, 3);
	cr_assert_eq(total, sql_int("SELECT total FROM batch WHERE id = 'B390100-000001'"));
	free(out);
	/* --bom: the byte order mark first; csv wants --records; text is as before */
	out = ok("batch show %s --records --format csv --bom", id);
	cr_assert_eq(memcmp(out, "\xEF\xBB\xBF" "record_id,", 13), 0);
	free(out);
	char *err;
	cr_assert_eq(zt(NULL, &err, "batch show %s --format csv", id), 2);
	cr_assert(strstr(err, "--records"), "%s", err);
	free(err);
	cr_assert_eq(zt(NULL, &err, "batch show %s --bom", id), 2);
	free(err);
	out = ok("batch show %s --records", id);
	cr_assert(strstr(out, "batch B390100-000001") && strstr(out, "C-2"), "%s", out);
	free(out);
	/* an unknown batch */
	cr_assert_neq(zt(NULL, &err, "batch show B390100-000099 --records --format csv"), 0);
	cr_assert(strstr(err, "B390100-000099"), "%s", err);
	free(err);
	free(id);
}

/* ---- the audit trail (docs/spec/service.md "Audit trail") ------------------- */

TestSuite(batch_audit, .init = world, .timeout = 120);

/* The records of `action` on `subject` in the chain. */
static long long audited(const char *action, const char *subject)
{
	char q[512];
	snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE action = '%s' AND subject = '%s'",
	         action, subject);
	return sql_int(q);
}

/* The digest the chain holds for the settlement `setl_id` is the SHA-256 of
 * the settlement as stored (zt_settlement_audit_line), read back here. */
static void settle_digest_is_of_the_stored_settlement(const char *setl_id, const char *action)
{
	struct zt_store *s;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0);
	struct zt_stored_settlement *st = calloc(1, sizeof *st);
	int64_t row = 0;
	cr_assert_eq(s->ops->begin(s, ZT_TXN_READ), 0);
	cr_assert_eq(s->ops->claims.find_setl_id(s, setl_id, &row), 0, "%s", setl_id);
	cr_assert_eq(s->ops->claims.get(s, row, st), 0);
	s->ops->rollback(s);
	zt_store_close(s);
	char line[1024], hex[65], q[512];
	unsigned char md[32];
	int n = zt_settlement_audit_line(line, sizeof line, st);
	cr_assert_gt(n, 0);
	cr_assert(strstr(line, setl_id) && strstr(line, FUND ":"), "%s", line);
	cr_assert_eq(zt_audit_digest(md, line, (size_t)n), 0);
	zt_audit_hash_hex(hex, md);
	snprintf(q, sizeof q, "SELECT digest FROM audit WHERE action = '%s' AND "
	                      "(detail = '%s' OR detail LIKE '%s reverses %%')", action, setl_id, setl_id);
	char *got = sql(q);
	cr_assert_str_eq(got, hex, "%s %s: %s", action, setl_id, line);
	free(got);
	free(st);
}

Test(batch_audit, settlements_reversals_and_every_batch_step_are_chained_and_tampering_is_caught)
{
	keys();
	claim("C-1", "2017-03-10");
	claim("C-2", "2017-03-11");
	reverse("C-2");
	claim_amount("C-2", "P0000002", "2017-03-11", "4000.00");
	/* one record per settlement and per reversal, in the settlement's own
	 * transaction, with the digest of what was paid */
	cr_assert_eq(audited("claim settle", "claim H51010101/C-1"), 1);
	cr_assert_eq(audited("claim settle", "claim H51010101/C-2"), 2, "settled, then again");
	cr_assert_eq(audited("claim reverse", "claim H51010101/C-2"), 1);
	cr_assert_eq(sql_int("SELECT count(*) FROM audit WHERE action = 'claim settle'"),
	             sql_int("SELECT count(*) FROM settlement WHERE kind = 'settle'"));
	char *ids = sql("SELECT setl_id FROM settlement ORDER BY id");
	for (char *p = ids, *e; p && *p; p = e ? e + 1 : NULL) {
		if ((e = strchr(p, '\n')))
			*e = '\0';
		char *kind = sh_out("sqlite3 '%s' \"SELECT kind FROM settlement WHERE setl_id = '%s'\"",
		                    db, p);
		settle_digest_is_of_the_stored_settlement(p, strcmp(kind, "reverse") == 0
		                                                  ? "claim reverse" : "claim settle");
		free(kind);
	}
	free(ids);
	/* a quote stores nothing, its audit record neither */
	long long before = sql_int("SELECT count(*) FROM audit");
	char xml[4096];
	zt_test_claim_xml(xml, sizeof xml, "Q-1", "P0000002", "2017-05-01", "100.00");
	free(ok("claim quote '%s' --today 2017-12-31", zt_test_write("q.xml", xml)));
	cr_assert_eq(sql_int("SELECT count(*) FROM audit"), before);

	/* every step of the batch, by whom, from which status to which */
	char *id = create(NULL), subject[64], *st;
	snprintf(subject, sizeof subject, "batch %s", id);
	free(ok("batch reject %s --reason 'C-2 is wrong' --by bob", id));
	free(ok("batch reopen %s --by alice", id));
	char *err;
	cr_assert_eq(zt(NULL, &err, "batch approve %s --by alice", id), 2, "four eyes");
	free(err);
	free(ok("batch approve %s --by bob", id));
	export_with(id, "batch.xml", "ed.pem");
	const char *steps[] = {"batch create", "batch reject", "batch reopen", "batch approve",
	                       "batch export"};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		cr_expect_eq(audited(steps[i], subject), 1, "%s", steps[i]);
	cr_assert_str_eq(st = sql("SELECT actor || ' ' || detail FROM audit WHERE action = "
	                          "'batch approve'"), "bob draft -> approved");
	free(st);
	cr_assert_str_eq(st = sql("SELECT detail FROM audit WHERE action = 'batch reject'"),
	                 "draft -> rejected: C-2 is wrong");
	free(st);
	/* the export's record carries the payer file's SHA-256 */
	cr_assert_eq(sql_int("SELECT count(*) FROM audit a JOIN batch b ON a.subject = 'batch ' || "
	                     "b.id WHERE a.action = 'batch export' AND a.digest = b.file_sha256"), 1);
	/* the refused approval changed nothing: no record of it */
	cr_assert_eq(sql_int("SELECT count(*) FROM audit WHERE action = 'batch approve'"), 1);
	char *out;
	cr_assert_eq(zt(&out, &err, "audit verify"), 0, "%s %s", out, err);
	free(out);
	free(err);
	cr_assert_eq(zt(&out, &err, "verify"), 0, "%s %s", out, err);
	free(out);
	free(err);
	char *list = ok("audit list --format csv");
	cr_assert(strstr(list, ",claim settle,claim H51010101/C-1,"), "%s", list);
	cr_assert(strstr(list, ",batch export,batch "), "%s", list);
	free(list);

	/* behind zhitong's back: a settlement's record changed, or a batch
	 * step's, is named by audit verify */
	static const char *const tamper[] = {
		"UPDATE audit SET detail = 'S000000000099' WHERE id = (SELECT min(id) FROM audit "
		"WHERE action = 'claim settle')",
		"UPDATE audit SET digest = (SELECT digest FROM audit WHERE action = 'claim settle' "
		"ORDER BY id DESC LIMIT 1) WHERE id = (SELECT min(id) FROM audit WHERE action = "
		"'claim settle')",
		"UPDATE audit SET actor = 'alice' WHERE action = 'batch approve'",
		"DELETE FROM audit WHERE action = 'batch reject'",
	};
	char orig[sizeof db], copy[sizeof db];
	snprintf(orig, sizeof orig, "%s", db);
	path(copy, sizeof copy, "tampered.db");
	for (size_t i = 0; i < sizeof tamper / sizeof *tamper; i++) {
		cr_assert_eq(sh_code("cp '%s' '%s' && rm -f '%s-wal' && (test ! -e '%s-wal' || "
		                     "cp '%s-wal' '%s-wal')", orig, copy, copy, orig, orig, copy), 0);
		snprintf(db, sizeof db, "%s", copy);
		zt_test_sql(db, "DROP TRIGGER audit_immutable_u; DROP TRIGGER audit_immutable_d; %s",
		            tamper[i]);
		cr_expect_eq(zt(&out, &err, "audit verify"), 1, "%s: %s %s", tamper[i], out, err);
		cr_expect(strstr(out, i < 3 ? "was altered" : "was removed"), "%s: %s", tamper[i], out);
		free(out);
		free(err);
		snprintf(db, sizeof db, "%s", orig);
	}
	free(id);
}
