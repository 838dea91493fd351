/* zhitong — every limit of limits.h holds at its edge: one over is refused,
 * exactly at it is accepted (issue 8 point 5).
 *
 * Most are driven in-process on buffers and small files; the cap on a
 * single claim also through the command line, measuring the program's peak
 * memory on a claim of 86 MB. Limits tested elsewhere are named in
 * limits.h (actor and text: tests/test_text.c; the national setl_id:
 * tests/test_claim_v2.c; JSON depth and strings: tests/test_json.c; the
 * slip key: tests/test_slipcode.c; the service's body: test_service_core). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/config.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/limits.h"
#include "zhitong/policy.h"
#include "zhitong/reconcile.h"
#include "zhitong/registry.h"
#include "zhitong/sign.h"
#include "zhitong/slipcode.h"
#include "zhitong/date.h"
#include "zhitong/xml.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"

/* ---- a growing string ---------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		cr_assert(n >= 0);
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		cr_assert(b->p);
	}
}

/* `n` copies of byte c. */
static void fill(struct buf *b, char c, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		cr_assert(b->p);
	}
	memset(b->p + b->len, c, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* ---- one claim ------------------------------------------------------------- */

#define CLAIM_HEAD                                                                                 \
	"<claim><fixmedins_code>H51010101</fixmedins_code><claim_no>%s</claim_no>"                     \
	"<psn_no>P0000002</psn_no><adm_date>2017-05-01</adm_date><dscg_date>2017-05-09</dscg_date>"    \
	"<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>%d.00</medfee_sumamt><items>"
#define ITEM                                                                                       \
	"<item><feedetl_sn>%d</feedetl_sn><med_list_codg>X%d</med_list_codg>"                          \
	"<med_chrgitm_type>09</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>1</pric>"             \
	"<cnt>1</cnt><det_item_fee_sumamt>1.00</det_item_fee_sumamt></item>\n"
#define GOOD_CLAIM                                                                                 \
	"<claim><fixmedins_code>H51010101</fixmedins_code><claim_no>%s</claim_no>"                     \
	"<psn_no>P0000002</psn_no><adm_date>2017-03-01</adm_date><dscg_date>2017-03-10</dscg_date>"    \
	"<dscg_maindiag_code>I63.900</dscg_maindiag_code><medfee_sumamt>100.00</medfee_sumamt>"        \
	"<items><item><feedetl_sn>1</feedetl_sn><med_list_codg>X1</med_list_codg>"                     \
	"<med_chrgitm_type>05</med_chrgitm_type><chrgitm_lv>01</chrgitm_lv><pric>100</pric><cnt>1</cnt>" \
	"<det_item_fee_sumamt>100.00</det_item_fee_sumamt></item></items></claim>\n"

/* A <claims> list: a good claim, then `middle` (a claim), then another good
 * one. */
static void list_around(struct buf *b, const char *middle)
{
	put(b, "<claims xmlns=\"urn:zhitong:claim:1\">\n" GOOD_CLAIM "%s" GOOD_CLAIM "</claims>\n",
	    "BEFORE", middle, "AFTER");
}

/* Reads the list: the good claims are read whatever the middle one was;
 * returns the middle one's outcome (its message; "" when it was read). */
static char *middle_outcome(const char *middle)
{
	struct buf b = {0};
	list_around(&b, middle);
	struct zt_test_claims g;
	zt_test_read_claims(&g, ZT_CLAIM_FORMAT_XML, b.p, b.len);
	cr_assert_eq(g.status, 0, "the file was refused: %s", g.status_msg);
	cr_assert_eq(g.n, 3);
	cr_assert(!g.c[0].rejected && !g.c[2].rejected, "%s / %s", g.c[0].message, g.c[2].message);
	cr_assert_str_eq(g.c[0].claim.claim_no, "BEFORE");
	cr_assert_str_eq(g.c[2].claim.claim_no, "AFTER");
	char *out = strdup(g.c[1].rejected ? g.c[1].message : "");
	if (g.c[1].rejected)
		cr_assert_str_eq(g.c[1].code, "schema-invalid");
	zt_test_claims_free(&g);
	free(b.p);
	return out;
}

static char *claim_of_items(int n)
{
	struct buf b = {0};
	put(&b, CLAIM_HEAD, "ITEMS", n);
	for (int i = 1; i <= n; i++)
		put(&b, ITEM, i, i);
	put(&b, "</items></claim>\n");
	return b.p;
}

Test(limits_claim, items_per_claim_while_it_streams)
{
	char *at = claim_of_items(ZT_ITEMS_PER_CLAIM_MAX), *over = claim_of_items(ZT_ITEMS_PER_CLAIM_MAX + 1);
	char *m = middle_outcome(at);
	cr_assert_str_eq(m, "", "%d items are a claim: %s", ZT_ITEMS_PER_CLAIM_MAX, m);
	free(m);
	m = middle_outcome(over);
	cr_assert(strstr(m, "more than 10000 items (ZT_ITEMS_PER_CLAIM_MAX)"), "%s", m);
	free(m);
	free(at);
	free(over);
}

/* A claim of `elements` elements: <claim> and elements-1 empty <x/>. */
static char *claim_of_elements(long elements)
{
	struct buf b = {0};
	put(&b, "<claim><claim_no>ELEMENTS</claim_no>");
	for (long i = 2; i < elements; i++)
		put(&b, "<x/>");
	put(&b, "</claim>\n");
	return b.p;
}

Test(limits_claim, elements_per_claim_while_it_streams)
{
	char *at = claim_of_elements(ZT_CLAIM_ELEMENTS_MAX), *over = claim_of_elements(ZT_CLAIM_ELEMENTS_MAX + 1);
	/* at the limit it is built and validated (and refused by the schema) */
	char *m = middle_outcome(at);
	cr_assert(strstr(m, "not expected") && !strstr(m, "ZT_CLAIM_ELEMENTS_MAX"), "%s", m);
	free(m);
	m = middle_outcome(over);
	cr_assert(strstr(m, "more than 120064 elements (ZT_CLAIM_ELEMENTS_MAX)"), "%s", m);
	free(m);
	free(at);
	free(over);
}

/* A valid claim of `bytes` bytes, from "<claim>" to "</claim>\n" included,
 * padded with comments inside <items>. */
static char *claim_of_bytes(size_t bytes)
{
	struct buf b = {0};
	put(&b, CLAIM_HEAD, "BYTES", 1);
	put(&b, ITEM, 1, 1);
	const char *tail = "</items></claim>\n";
	size_t room = bytes - b.len - strlen(tail);
	while (room > 0) {
		size_t chunk = room > (1u << 20) ? (1u << 20) : room;
		if (room - chunk < 8 && room != chunk)
			chunk = room - 8;
		put(&b, "<!--");
		fill(&b, 'c', chunk - 7);
		put(&b, "-->");
		room -= chunk;
	}
	put(&b, "%s", tail);
	cr_assert_eq(b.len, bytes);
	return b.p;
}

/* The parser reads ahead of the reader: a claim's bytes are counted to
 * within its chunk (limits.h). */
#define BYTES_RESOLUTION 4096

Test(limits_claim, bytes_per_claim_while_it_streams)
{
	char *at = claim_of_bytes(ZT_CLAIM_BYTES_MAX - BYTES_RESOLUTION);
	char *over = claim_of_bytes(ZT_CLAIM_BYTES_MAX + BYTES_RESOLUTION);
	char *m = middle_outcome(at);
	cr_assert_str_eq(m, "", "a claim at the limit is read: %s", m);
	free(m);
	m = middle_outcome(over);
	cr_assert(strstr(m, "larger than 16777216 bytes (ZT_CLAIM_BYTES_MAX)"), "%s", m);
	free(m);
	free(at);
	free(over);
}

Test(limits_claim, identifiers_at_their_length_and_one_over)
{
	static const struct {
		const char *field;
		int max;
	} f[] = {{"fixmedins_code", ZT_CODE_CHARS_MAX}, {"claim_no", ZT_CLAIM_NO_CHARS_MAX},
	         {"psn_no", ZT_CODE_CHARS_MAX},         {"dscg_maindiag_code", ZT_DIAG_CHARS_MAX},
	         {"feedetl_sn", ZT_CODE_CHARS_MAX},     {"med_list_codg", ZT_LIST_CODE_CHARS_MAX}};
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		for (int over = 0; over <= 1; over++) {
			char value[400] = "";
			for (int k = 0; k < f[i].max + over; k++)
				strcat(value, "码"); /* characters, not bytes */
			struct buf b = {0};
			put(&b, GOOD_CLAIM, "ID-1");
			char open[64], *at;
			snprintf(open, sizeof open, "<%s>", f[i].field);
			at = strstr(b.p, open) + strlen(open);
			struct buf c = {0};
			put(&c, "%.*s%s%s", (int)(at - b.p), b.p, value, strchr(at, '<'));
			char *m = middle_outcome(c.p);
			if (over)
				cr_assert(strstr(m, f[i].field), "%s of %d characters: '%s'", f[i].field,
				          f[i].max + 1, m);
			else
				cr_assert_str_eq(m, "", "%s of %d characters: %s", f[i].field, f[i].max, m);
			free(m);
			free(b.p);
			free(c.p);
		}
}

/* ---- the peak memory of one claim of 86 MB ---------------------------------- */

Test(limits_claim, an_86_mb_claim_is_refused_in_flat_memory_and_the_others_settle, .timeout = 300)
{
	const char *db = tmp_path("big.db");
	struct run r = sh("'%s' --db '%s' init && '%s' --db '%s' registry load '%s' && "
	                  "'%s' --db '%s' rules load '%s'",
	                  ZT_TEST_ZHITONG, db, ZT_TEST_ZHITONG, db, REGISTRY, ZT_TEST_ZHITONG, db, POLICY);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	const char *path = tmp_path("big.xml");
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "<claims xmlns=\"urn:zhitong:claim:1\">\n" GOOD_CLAIM, "BEFORE");
	fprintf(f, CLAIM_HEAD, "BIG", 1);
	long items = 0;
	while (ftell(f) < 86L * 1000 * 1000) {
		items++;
		fprintf(f, ITEM, (int)items, (int)items);
	}
	fprintf(f, "</items></claim>\n" GOOD_CLAIM "</claims>\n", "AFTER");
	cr_assert_eq(fclose(f), 0);
	long peak_kb = 0;
	char *out = NULL, *err = NULL;
	int code = zt_test_run_peak(&peak_kb, &out, &err, "--db '%s' claim submit '%s'", db, path);
	cr_assert_eq(code, 1, "exit %d: %s", code, err);
	cr_assert(strstr(out, "claim_no=\"BIG\" code=\"schema-invalid\">line 3: the claim has more "
	                      "than 10000 items (ZT_ITEMS_PER_CLAIM_MAX)"), "%.2000s", out);
	cr_assert_eq(zt_test_sql_int(db, "SELECT count(*) FROM settlement"), 2, "BEFORE and AFTER settle");
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer's shadow memory and quarantine are no measure */
	cr_log_info("peak %ld KiB under ASan (not checked)", peak_kb);
#else
	cr_assert_lt(peak_kb, 64 * 1024, "peak resident memory %ld KiB for an 86 MB claim", peak_kb);
#endif
	free(out);
	free(err);
	unlink(path);
}

/* ---- JSON ------------------------------------------------------------------ */

static char *json_claim_of_items(int n)
{
	struct buf b = {0};
	put(&b, "{\"fixmedins_code\": \"H51010101\", \"claim_no\": \"J\", \"psn_no\": \"P0000002\", "
	        "\"adm_date\": \"2017-05-01\", \"dscg_date\": \"2017-05-09\", \"dscg_maindiag_code\": "
	        "\"I63.900\", \"medfee_sumamt\": %d, \"items\": [", n);
	for (int i = 1; i <= n; i++)
		put(&b, "%s{\"feedetl_sn\": \"%d\", \"med_list_codg\": \"X\", \"med_chrgitm_type\": \"09\", "
		        "\"chrgitm_lv\": \"1\", \"pric\": 1, \"cnt\": 1, \"det_item_fee_sumamt\": 1}",
		    i > 1 ? ", " : "", i);
	put(&b, "]}");
	return b.p;
}

Test(limits_json, items_per_json_claim)
{
	char *at = json_claim_of_items(ZT_ITEMS_PER_CLAIM_MAX), *over = json_claim_of_items(ZT_ITEMS_PER_CLAIM_MAX + 1);
	struct zt_test_claims g;
	zt_test_read_claims(&g, ZT_CLAIM_FORMAT_JSON, at, strlen(at));
	cr_assert_eq(g.n, 1);
	cr_assert(!g.c[0].rejected, "%s", g.c[0].message);
	cr_assert_eq(g.c[0].claim.item_count, ZT_ITEMS_PER_CLAIM_MAX);
	zt_test_claims_free(&g);
	zt_test_read_claims(&g, ZT_CLAIM_FORMAT_JSON, over, strlen(over));
	cr_assert(g.c[0].rejected);
	cr_assert(strstr(g.c[0].message, "ZT_ITEMS_PER_CLAIM_MAX"), "%s", g.c[0].message);
	zt_test_claims_free(&g);
	free(at);
	free(over);
}

Test(limits_json, a_claims_body_of_json_bytes_max)
{
	/* a list of one claim padded with white space to the byte */
	for (int over = 0; over <= 1; over++) {
		struct buf b = {0};
		put(&b, "[%s", "{\"claim_no\": 1}");
		fill(&b, ' ', ZT_JSON_BYTES_MAX + (size_t)over - b.len - 1);
		put(&b, "]");
		cr_assert_eq(b.len, ZT_JSON_BYTES_MAX + (size_t)over);
		struct zt_test_claims g;
		zt_test_read_claims(&g, ZT_CLAIM_FORMAT_JSON, b.p, b.len);
		if (over) {
			cr_assert_eq(g.status, ZT_ERANGE, "%s", g.status_msg);
			cr_assert(strstr(g.status_msg, "larger than 8388608 bytes (ZT_JSON_BYTES_MAX)"), "%s",
			          g.status_msg);
		} else {
			cr_assert_eq(g.status, 0, "%s", g.status_msg);
			cr_assert_eq(g.n, 1);
			cr_assert(g.c[0].rejected, "read, and rejected for its own reasons");
		}
		zt_test_claims_free(&g);
		free(b.p);
	}
}

static void json_at_and_over(const char *what, struct buf *at, struct buf *over, const char *needle)
{
	struct zt_json_doc *d = NULL;
	cr_assert_eq(zt_json_parse(&d, at->p, at->len, NULL), 0, "%s at the limit: %s", what,
	             zt_error_last());
	zt_json_doc_free(d);
	cr_assert_eq(zt_json_parse(&d, over->p, over->len, NULL), ZT_ERANGE, "%s over the limit", what);
	cr_assert(strstr(zt_error_last(), needle), "%s: %s", what, zt_error_last());
	free(at->p);
	free(over->p);
	*at = (struct buf){0};
	*over = (struct buf){0};
}

Test(limits_json, the_default_members_elements_and_values)
{
	struct buf at = {0}, over = {0};
	for (int k = 0; k <= 1; k++) {
		struct buf *b = k ? &over : &at;
		put(b, "{");
		for (int i = 0; i < ZT_JSON_MEMBERS_MAX + k; i++)
			put(b, "%s\"m%d\": 0", i ? ", " : "", i);
		put(b, "}");
	}
	json_at_and_over("members", &at, &over, "more than 256 members");
	for (int k = 0; k <= 1; k++) {
		struct buf *b = k ? &over : &at;
		put(b, "[");
		for (int i = 0; i < ZT_JSON_ELEMENTS_MAX + k; i++)
			put(b, "%s0", i ? "," : "");
		put(b, "]");
	}
	json_at_and_over("elements", &at, &over, "more than 100000 elements");
	/* values: 10 arrays of 99,999 and the rest: the root counts too */
	for (int k = 0; k <= 1; k++) {
		struct buf *b = k ? &over : &at;
		long left = ZT_JSON_VALUES_MAX + k - 1; /* the root */
		put(b, "[");
		for (int a = 0; left > 0; a++) {
			long n = left - 1 > ZT_JSON_ELEMENTS_MAX - 1 ? ZT_JSON_ELEMENTS_MAX - 1 : left - 1;
			put(b, "%s[", a ? "," : "");
			for (long i = 0; i < n; i++)
				put(b, "%s0", i ? "," : "");
			put(b, "]");
			left -= n + 1;
		}
		put(b, "]");
	}
	json_at_and_over("values", &at, &over, "more than 1000000 values");
}

/* ---- documents read whole -------------------------------------------------- */

/* A file of `bytes` bytes: `head`, then `pad` bytes up to the size. */
static const char *file_of(const char *name, const char *head, char pad, size_t bytes)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	size_t hl = strlen(head);
	cr_assert(hl <= bytes);
	fwrite(head, 1, hl, f);
	char chunk[65536];
	memset(chunk, pad, sizeof chunk);
	for (size_t left = bytes - hl; left;) {
		size_t n = left > sizeof chunk ? sizeof chunk : left;
		fwrite(chunk, 1, n, f);
		left -= n;
	}
	cr_assert_eq(fclose(f), 0);
	return path;
}

/* Pads b to `bytes` bytes with comments of at most 1 MiB each (libxml2
 * takes no single token over 10 MB without XML_PARSE_HUGE). */
static void pad_with_comments(struct buf *b, size_t bytes)
{
	while (b->len < bytes) {
		size_t room = bytes - b->len;
		size_t chunk = room > (1u << 20) ? (1u << 20) : room;
		if (room - chunk < 9 && room != chunk)
			chunk = room - 9; /* leave room for a last comment */
		if (chunk < 8) {
			fill(b, '\n', chunk);
			continue;
		}
		put(b, "<!--");
		fill(b, 'c', chunk - 8);
		put(b, "-->\n");
	}
}

Test(limits_documents, a_policy_of_doc_bytes_max, .timeout = 120)
{
	char *policy = zt_test_slurp(POLICY);
	cr_assert(policy);
	struct zt_policy *p = malloc(sizeof *p);
	for (int over = 0; over <= 1; over++) {
		/* the sample policy, then comments after its root up to the size */
		struct buf b = {0};
		put(&b, "%s", policy);
		pad_with_comments(&b, ZT_DOC_BYTES_MAX + (size_t)over);
		cr_assert_eq(b.len, ZT_DOC_BYTES_MAX + (size_t)over);
		const char *path = tmp_path(over ? "over.xml" : "at.xml");
		FILE *f = fopen(path, "w");
		cr_assert(f && fwrite(b.p, 1, b.len, f) == b.len && fclose(f) == 0);
		struct run r = sh("'%s' rules check '%s'", ZT_TEST_ZHITONG, path);
		int rc = zt_policy_parse(p, b.p, b.len, "in memory");
		if (over) {
			cr_assert_eq(r.code, 2, "%s", r.out);
			cr_assert(strstr(r.err, "is larger than 67108864 bytes"), "%s", r.err);
			/* and in memory, where zt_xml_parse_doc checks it again */
			cr_assert_eq(rc, ZT_EMALFORMED);
			cr_assert(strstr(zt_error_last(), "larger than 67108864 bytes"), "%s", zt_error_last());
		} else {
			cr_assert_eq(r.code, 0, "%s", r.err);
			cr_assert(strstr(r.out, ": valid"), "%s", r.out);
			cr_assert_eq(rc, 0, "%s", zt_error_last());
		}
		run_free(&r);
		unlink(path);
		free(b.p);
	}
	free(p);
	free(policy);
}

Test(limits_documents, a_payer_ack_of_payer_ack_bytes_max)
{
	for (int over = 0; over <= 1; over++) {
		const char *path = file_of("ack.xml", "<ack/>", ' ', ZT_PAYER_ACK_BYTES_MAX + (size_t)over);
		char *text = NULL;
		size_t len = 0;
		int rc = zt_read_file(&text, &len, path, ZT_PAYER_ACK_BYTES_MAX);
		if (over) {
			cr_assert_eq(rc, ZT_EMALFORMED);
			cr_assert(strstr(zt_error_last(), "larger than 16777216 bytes"), "%s", zt_error_last());
		} else {
			cr_assert_eq(rc, 0, "%s", zt_error_last());
			cr_assert_eq(len, ZT_PAYER_ACK_BYTES_MAX);
		}
		free(text);
	}
}

Test(limits_documents, the_configuration_file_and_its_lines)
{
	struct zt_config *c = NULL;
	char head[ZT_CONFIG_LINE_BYTES_MAX + 64];
	/* a comment line of exactly ZT_CONFIG_LINE_BYTES_MAX bytes, and one more */
	for (int over = 0; over <= 1; over++) {
		memset(head, 0, sizeof head);
		head[0] = '#';
		memset(head + 1, 'x', ZT_CONFIG_LINE_BYTES_MAX - 1 + (size_t)over);
		strcat(head, "\n[pool]\ncurrency = CNY\n");
		const char *path = zt_test_write("line.conf", head);
		int rc = zt_config_load(&c, path);
		if (over) {
			cr_assert_eq(rc, ZT_EINVAL);
			cr_assert(strstr(zt_error_last(), ":1: line longer than 4096 bytes"), "%s", zt_error_last());
		} else {
			cr_assert_eq(rc, 0, "%s", zt_error_last());
			zt_config_free(c);
		}
	}
	/* a file of exactly ZT_CONFIG_BYTES_MAX bytes of comment lines, and one more */
	for (int over = 0; over <= 1; over++) {
		struct buf b = {0};
		put(&b, "[pool]\ncurrency = CNY\n");
		while (b.len + 1001 <= ZT_CONFIG_BYTES_MAX) {
			put(&b, "#");
			fill(&b, 'y', 998);
			put(&b, "\n");
		}
		size_t rest = ZT_CONFIG_BYTES_MAX + (size_t)over - b.len;
		put(&b, "#");
		fill(&b, 'z', rest - 2);
		put(&b, "\n");
		cr_assert_eq(b.len, ZT_CONFIG_BYTES_MAX + (size_t)over);
		const char *path = zt_test_write("big.conf", b.p);
		int rc = zt_config_load(&c, path);
		if (over) {
			cr_assert_eq(rc, ZT_EINVAL);
			cr_assert(strstr(zt_error_last(), "larger than 1048576 bytes"), "%s", zt_error_last());
		} else {
			cr_assert_eq(rc, 0, "%s", zt_error_last());
			zt_config_free(c);
		}
		free(b.p);
	}
}

Test(limits_documents, key_and_signature_files)
{
	const char *key = tmp_path("k.pem");
	struct run r = sh("openssl genpkey -algorithm ed25519 -out '%s'", key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *pem = zt_test_slurp(key);
	cr_assert(pem);
	/* text before the PEM block is skipped by the PEM reader: pad with it */
	for (int over = 0; over <= 1; over++) {
		struct buf b = {0};
		size_t want = ZT_KEY_FILE_BYTES_MAX + (size_t)over;
		while (b.len + 81 + strlen(pem) <= want) {
			fill(&b, 'p', 79);
			put(&b, "\n");
		}
		fill(&b, 'q', want - strlen(pem) - b.len - 1);
		put(&b, "\n%s", pem);
		cr_assert_eq(b.len, want);
		const char *path = zt_test_write("padded.pem", b.p);
		enum zt_key_type t;
		int rc = zt_sign_key_type(&t, path);
		if (over) {
			cr_assert_eq(rc, ZT_EMALFORMED);
			cr_assert(strstr(zt_error_last(), "larger than 65536 bytes"), "%s", zt_error_last());
		} else {
			cr_assert_eq(rc, 0, "%s", zt_error_last());
		}
		free(b.p);
	}
	/* a signature file is read up to ZT_SIGNATURE_BYTES_MAX: then it is
	 * checked (and is no signature); past it, it is not read */
	const char *data = zt_test_write("data.txt", "payer file\n");
	for (int over = 0; over <= 1; over++) {
		const char *sig = file_of("data.sig", "", 's', ZT_SIGNATURE_BYTES_MAX + (size_t)over);
		int rc = zt_sign_check(data, sig, key);
		cr_assert_neq(rc, 0);
		if (over)
			cr_assert(strstr(zt_error_last(), "larger than 1024 bytes"), "%s", zt_error_last());
		else
			cr_assert(!strstr(zt_error_last(), "larger than"), "%s", zt_error_last());
	}
	free(pem);
}

/* ---- policies and registries ---------------------------------------------- */

static int parse_policy(const char *xml)
{
	struct zt_policy *p = malloc(sizeof *p);
	int rc = zt_policy_parse(p, xml, strlen(xml), "p.xml");
	free(p);
	return rc;
}

/* The sample policy with `from` replaced by `to`. */
static char *policy_with(const char *from, const char *to)
{
	char *text = zt_test_slurp(POLICY);
	char *at = strstr(text, from);
	cr_assert(at, "%s", from);
	struct buf b = {0};
	put(&b, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	free(text);
	return b.p;
}

Test(limits_policy, tiers_and_relief_funds)
{
	for (int over = 0; over <= 1; over++) {
		struct buf t = {0};
		for (int i = 1; i < ZT_TIERS_MAX + over; i++)
			put(&t, "<tier upto=\"%d0000.00\" ratio=\"0.60\"/>\n", i);
		put(&t, "<tier ratio=\"0.80\"/>");
		char *x = policy_with("<tier upto=\"50000.00\" ratio=\"0.60\"/>\n    <tier upto=\"100000.00\" "
		                      "ratio=\"0.70\"/>\n    <tier ratio=\"0.80\"/>", t.p);
		int rc = parse_policy(x);
		if (over)
			cr_assert_neq(rc, 0, "%d tiers", ZT_TIERS_MAX + 1);
		else
			cr_assert_eq(rc, 0, "%d tiers: %s", ZT_TIERS_MAX, zt_error_last());
		free(x);
		free(t.p);

		struct buf r = {0};
		for (int i = 0; i < ZT_RELIEF_MAX + over; i++)
			put(&r, "<relief fund=\"6102%02d\" name=\"r%d\" categories=\"poor\" ratio=\"1\" "
			        "annual-cap=\"none\"/>\n", i, i);
		x = policy_with("<relief fund=\"610103\" name=\"卫生扶贫救助基金\" categories=\"poor\" "
		                "in-county-only=\"true\" ratio=\"1\" annual-cap=\"none\"/>", r.p);
		rc = parse_policy(x);
		if (over)
			cr_assert_neq(rc, 0, "%d relief funds", ZT_RELIEF_MAX + 1);
		else
			cr_assert_eq(rc, 0, "%d relief funds: %s", ZT_RELIEF_MAX, zt_error_last());
		free(x);
		free(r.p);
	}
}

Test(limits_policy, names_of_policies_and_registry_records)
{
	for (int over = 0; over <= 1; over++) {
		char name[400] = "", attr[500];
		for (int i = 0; i < ZT_NAME_CHARS_MAX + over; i++)
			strcat(name, "名");
		snprintf(attr, sizeof attr, "name=\"%s\"", name);
		char *x = policy_with("name=\"xx区2017年健康扶贫一站式结算政策\"", attr);
		int rc = parse_policy(x);
		cr_assert_eq(rc != 0, over, "a policy name of %d characters: %s", ZT_NAME_CHARS_MAX + over,
		             zt_error_last());
		free(x);
		char reg[1200];
		snprintf(reg, sizeof reg, "<registry xmlns=\"urn:zhitong:registry:1\"><hospital code=\"H1\" "
		                          "name=\"%s\" level=\"2\" county=\"510101\"/></registry>", name);
		rc = zt_registry_parse(reg, strlen(reg), "r.xml", NULL);
		cr_assert_eq(rc != 0, over, "a hospital name of %d characters: %s",
		             ZT_NAME_CHARS_MAX + over, zt_error_last());
	}
}

/* ---- ids ------------------------------------------------------------------- */

Test(limits_ids, a_batch_id_is_at_most_id_chars_max)
{
	/* B + fund + '-' + the number: 35 characters is an id, 36 names nothing */
	for (int over = 0; over <= 1; over++) {
		char id[64] = "B390100-";
		while ((int)strlen(id) < ZT_ID_CHARS_MAX + over)
			strcat(id, "1");
		char text[128], ids[4][ZT_ID_BYTES];
		snprintf(text, sizeof text, "paid %s, thanks", id);
		size_t n = 0;
		zt_recon_batch_tokens(text, ids, &n, 4);
		cr_assert_eq(n, over ? 0u : 1u, "%s", id);
		if (!over)
			cr_assert_str_eq(ids[0], id);
	}
}

/* ---- small files read whole --------------------------------------------------- */

Test(limits_documents, a_time_zone_file_of_tzif_bytes_max)
{
	/* a real zone padded after its footer (which ends the parse) */
	char *zone = NULL;
	size_t zone_len = 0;
	cr_assert_eq(zt_read_file(&zone, &zone_len, "/usr/share/zoneinfo/Asia/Shanghai", ZT_TZIF_BYTES_MAX),
	             0, "%s", zt_error_last());
	char tzdir[600], dir[620];
	snprintf(tzdir, sizeof tzdir, "%s/zoneinfo", zt_test_tmpdir());
	snprintf(dir, sizeof dir, "%s/Test", tzdir);
	struct run r = sh("mkdir -p '%s'", dir);
	run_free(&r);
	setenv("TZDIR", tzdir, 1); /* this test's process only */
	for (int over = 0; over <= 1; over++) {
		char path[700];
		snprintf(path, sizeof path, "%s/Padded%d", dir, over);
		FILE *f = fopen(path, "w");
		cr_assert(f);
		fwrite(zone, 1, zone_len, f);
		for (size_t i = zone_len; i < ZT_TZIF_BYTES_MAX + (size_t)over; i++)
			fputc('\n', f);
		cr_assert_eq(fclose(f), 0);
		struct zt_zone *z = NULL;
		char name[32];
		snprintf(name, sizeof name, "Test/Padded%d", over);
		int rc = zt_zone_load(&z, name);
		if (over) {
			cr_assert_eq(rc, ZT_EINVAL, "a zone file of %u bytes", ZT_TZIF_BYTES_MAX + 1);
		} else {
			cr_assert_eq(rc, 0, "%s", zt_error_last());
			cr_assert_eq(zt_zone_offset_s(z, 1489104000), 8 * 3600);
			zt_zone_free(z);
		}
	}
	free(zone);
}

Test(limits_documents, a_slip_key_of_slipcode_key_bytes_max)
{
	/* 32 and 1025 bytes are tested in tests/test_slipcode.c; here the top */
	for (int over = 0; over <= 1; over++) {
		const char *path = file_of("slip.key", "", 'k', ZT_SLIPCODE_KEY_BYTES_MAX + (size_t)over);
		struct run r = sh("chmod 600 '%s'", path);
		run_free(&r);
		unsigned char key[ZT_SLIPCODE_KEY_BYTES_MAX];
		size_t len = 0;
		int rc = zt_slipcode_key_read(key, &len, path);
		if (over) {
			cr_assert_eq(rc, ZT_EINVAL);
		} else {
			cr_assert_eq(rc, 0, "%s", zt_error_last());
			cr_assert_eq(len, ZT_SLIPCODE_KEY_BYTES_MAX);
		}
	}
}
