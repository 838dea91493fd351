/* zhitong — the audit trail's hash chain (audit.h, docs/spec/service.md
 * "Audit trail"): the canonical form and its hash checked independently,
 * a long chain verified, and every way of tampering with it — altered,
 * removed (in the middle, at the start, at the end), inserted, reordered,
 * swapped, rewritten after a published head — caught and the first record
 * concerned named; heads signed with Ed25519 and SM2 checked with the stock
 * openssl command. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "zhitong/audit.h"
#include "zhitong/error.h"
#include "zhitong/outfile.h"

/* ---- a chain in memory, as a store would hold it -------------------------- */

struct chain {
	struct zt_audit_record *r;
	size_t n, cap;
	char **strings; /* everything the records point to */
	size_t ns, scap;
};

static const char *keep(struct chain *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *keep(struct chain *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	if (c->ns == c->scap) {
		c->scap = c->scap ? c->scap * 2 : 1024;
		c->strings = realloc(c->strings, c->scap * sizeof *c->strings);
		cr_assert(c->strings);
	}
	c->strings[c->ns++] = s;
	return s;
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->ns; i++)
		free(c->strings[i]);
	free(c->strings);
	free(c->r);
	memset(c, 0, sizeof *c);
}

/* The contents of record i (0-based), varied: some with an operator,
 * token id, client, digest or detail, some without. */
static struct zt_audit_record content(struct chain *c, size_t i)
{
	struct zt_audit_record r = {0};
	r.time = keep(c, "2026-12-%02zuT%02zu:%02zu:%02zuZ", 1 + i / 86400 % 28, i / 3600 % 24,
	              i / 60 % 60, i % 60);
	r.user = i % 7 == 0 ? "admin" : i % 3 == 0 ? "fin1" : "desk-h51010101";
	r.operator_name = i % 3 == 1 ? (i % 2 ? "张三" : "李四") : NULL;
	r.token_id = i % 5 == 0 ? NULL : "3b7f0c9a1d22";
	r.client = i % 4 == 0 ? NULL : "10.1.2.3";
	r.action = i % 3 == 0 ? "batch.approve" : "claim.settle";
	r.object = keep(c, "S510101-%06zu", i + 1);
	if (i % 2 == 0) {
		r.has_digest = true;
		cr_assert_eq(zt_audit_digest(r.digest, r.object, strlen(r.object)), 0);
	}
	r.detail = i % 6 == 0 ? keep(c, "total %zu.%02zu", i * 37 % 100000, i % 100) : NULL;
	return r;
}

static void push(struct chain *c, struct zt_audit_record r)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->r = realloc(c->r, c->cap * sizeof *c->r);
		cr_assert(c->r);
	}
	c->r[c->n++] = r;
}

/* A chain of n records appended as a store would, and its head. */
static struct zt_audit_head build(struct chain *c, size_t n)
{
	struct zt_audit_head head = {0};
	for (size_t i = 0; i < n; i++) {
		struct zt_audit_record r = content(c, i);
		cr_assert_eq(zt_audit_append(&head, &r), 0, "%s", zt_error_last());
		cr_assert_eq(r.seq, (int64_t)i + 1);
		push(c, r);
	}
	return head;
}

/* The head of the chain as it stands at record `seq` (1-based). */
static struct zt_audit_head head_at(const struct chain *c, int64_t seq)
{
	struct zt_audit_head h = {0};
	h.seq = seq;
	memcpy(h.hash, c->r[seq - 1].hash, 32);
	snprintf(h.time, sizeof h.time, "%s", c->r[seq - 1].time);
	return h;
}

struct feed {
	const struct chain *c;
	size_t i;
};

static int next(void *ctx, struct zt_audit_record *out)
{
	struct feed *f = ctx;
	if (f->i >= f->c->n)
		return 0;
	*out = f->c->r[f->i++];
	return 1;
}

static int verify(struct zt_audit_verdict *v, const struct chain *c, int64_t last_seq,
                  const struct zt_audit_head *head)
{
	struct feed f = {c, 0};
	struct zt_audit_anchors a = {.last_seq = last_seq, .head = head};
	return zt_audit_verify(v, next, &f, &a);
}

/* The chain must fail verification, naming `seq` as `fault`, with a
 * message holding `says`. */
static void caught(const struct chain *c, int64_t last_seq, const struct zt_audit_head *head,
                   enum zt_audit_fault fault, int64_t seq, const char *says)
{
	struct zt_audit_verdict v;
	int rc = verify(&v, c, last_seq, head);
	cr_assert_eq(rc, ZT_EINVAL, "not caught (%s expected at %" PRId64 ")",
	             zt_audit_fault_name(fault), seq);
	cr_assert_eq(v.fault, fault, "%s, not %s: %s", zt_audit_fault_name(v.fault),
	             zt_audit_fault_name(fault), v.message);
	cr_assert_eq(v.seq, seq, "record %" PRId64 ", not %" PRId64 ": %s", v.seq, seq, v.message);
	cr_assert(strstr(v.message, says), "%s", v.message);
	cr_assert_str_eq(zt_error_last(), v.message);
	cr_assert_null(strchr(v.message, '\n'));
}

static void intact(const struct chain *c, int64_t last_seq, const struct zt_audit_head *head,
                   int64_t last)
{
	struct zt_audit_verdict v;
	cr_assert_eq(verify(&v, c, last_seq, head), 0, "%s", v.message);
	cr_assert_eq(v.fault, ZT_AUDIT_INTACT);
	cr_assert_eq(v.seq, 0);
	cr_assert_str_eq(v.message, "");
	cr_assert_eq(v.last.seq, last);
}

/* The attacker's tools. */
static void rehash_from(struct chain *c, size_t i) /* recompute i and everything after */
{
	for (; i < c->n; i++) {
		if (i > 0)
			memcpy(c->r[i].prev_hash, c->r[i - 1].hash, 32);
		else
			memset(c->r[i].prev_hash, 0, 32);
		cr_assert_eq(zt_audit_record_hash(c->r[i].hash, &c->r[i]), 0, "%s", zt_error_last());
	}
}

static void renumber(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->r[i].seq = (int64_t)i + 1;
}

static void remove_at(struct chain *c, size_t i, size_t count)
{
	memmove(c->r + i, c->r + i + count, (c->n - i - count) * sizeof *c->r);
	c->n -= count;
}

static void insert_at(struct chain *c, size_t i, struct zt_audit_record r)
{
	push(c, r);
	memmove(c->r + i + 1, c->r + i, (c->n - 1 - i) * sizeof *c->r);
	c->r[i] = r;
}

static void swap_contents(struct chain *c, size_t i, size_t j) /* rows keep their numbers */
{
	struct zt_audit_record t = c->r[i];
	c->r[i] = c->r[j];
	c->r[j] = t;
	int64_t s = c->r[i].seq;
	c->r[i].seq = c->r[j].seq;
	c->r[j].seq = s;
}

/* ---- the canonical form ---------------------------------------------------- */

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static size_t field(unsigned char *out, const void *data, size_t n, bool absent)
{
	be32(out, absent ? 0xFFFFFFFFu : (uint32_t)n);
	if (absent)
		return 4;
	memcpy(out + 4, data, n);
	return 4 + n;
}

Test(audit_canonical, is_length_prefixed_fields_in_the_documented_order)
{
	struct zt_audit_record r = {
		.seq = 258,
		.time = "2026-12-02T01:54:37Z",
		.user = "desk1",
		.operator_name = "张三",
		.token_id = NULL,
		.client = "",
		.action = "claim.settle",
		.object = "S510101-000001",
		.has_digest = true,
		.detail = NULL,
	};
	for (int i = 0; i < 32; i++)
		r.digest[i] = (unsigned char)i;
	unsigned char want[512];
	size_t n = 0;
	unsigned char seq[8] = {0, 0, 0, 0, 0, 0, 1, 2};
	n += field(want + n, "zhitong-audit-1", 15, false);
	n += field(want + n, seq, 8, false);
	n += field(want + n, r.time, strlen(r.time), false);
	n += field(want + n, "desk1", 5, false);
	n += field(want + n, "张三", strlen("张三"), false);
	n += field(want + n, NULL, 0, true);
	n += field(want + n, "", 0, false);
	n += field(want + n, "claim.settle", 12, false);
	n += field(want + n, "S510101-000001", 14, false);
	n += field(want + n, r.digest, 32, false);
	n += field(want + n, NULL, 0, true);
	unsigned char *got = NULL;
	size_t len = 0;
	cr_assert_eq(zt_audit_canonical(&got, &len, &r), 0, "%s", zt_error_last());
	cr_assert_eq(len, n);
	cr_assert_eq(memcmp(got, want, n), 0);
	free(got);
}

/* SHA-256(prev || canonical) as openssl computes it. */
Test(audit_canonical, the_hash_is_sha256_of_the_previous_hash_and_the_record_per_openssl)
{
	struct chain c = {0};
	build(&c, 3);
	for (size_t i = 0; i < 3; i++) {
		unsigned char *canon = NULL;
		size_t len = 0;
		cr_assert_eq(zt_audit_canonical(&canon, &len, &c.r[i]), 0);
		const char *path = tmp_path("record.bin");
		FILE *f = fopen(path, "wb");
		cr_assert(f);
		fwrite(c.r[i].prev_hash, 1, 32, f);
		fwrite(canon, 1, len, f);
		fclose(f);
		free(canon);
		struct run r = sh("openssl dgst -sha256 -r '%s' | cut -c1-64", path);
		cr_assert_eq(r.code, 0);
		r.out[strcspn(r.out, "\n")] = '\0';
		char hex[65];
		zt_audit_hash_hex(hex, c.r[i].hash);
		cr_assert_str_eq(hex, r.out, "record %zu", i + 1);
		run_free(&r);
	}
	/* the chain: each record's previous hash is the last one's hash, the first's zero */
	static const unsigned char zero[32];
	cr_assert_eq(memcmp(c.r[0].prev_hash, zero, 32), 0);
	cr_assert_eq(memcmp(c.r[1].prev_hash, c.r[0].hash, 32), 0);
	cr_assert_eq(memcmp(c.r[2].prev_hash, c.r[1].hash, 32), 0);
	chain_free(&c);
}

static void hash_of(unsigned char out[32], const struct zt_audit_record *r)
{
	cr_assert_eq(zt_audit_record_hash(out, r), 0, "%s", zt_error_last());
}

Test(audit_canonical, absent_and_empty_differ_and_no_byte_moves_between_fields)
{
	struct zt_audit_record a = {.seq = 1, .time = "2026-12-02T01:54:37Z", .user = "ab",
	                            .action = "c", .object = ""};
	unsigned char h1[32], h2[32];
	hash_of(h1, &a);
	struct zt_audit_record b = a;
	b.operator_name = "";
	hash_of(h2, &b);
	cr_assert_neq(memcmp(h1, h2, 32), 0, "operator absent and empty");
	b = a;
	b.detail = "";
	hash_of(h2, &b);
	cr_assert_neq(memcmp(h1, h2, 32), 0, "detail absent and empty");
	b = a;
	b.has_digest = true; /* zeros */
	hash_of(h2, &b);
	cr_assert_neq(memcmp(h1, h2, 32), 0, "no digest and a zero digest");
	b = a;
	b.user = "a";
	b.action = "bc";
	hash_of(h2, &b);
	cr_assert_neq(memcmp(h1, h2, 32), 0, "a byte moved from user to action");
	b = a;
	b.seq = 2;
	hash_of(h2, &b);
	cr_assert_neq(memcmp(h1, h2, 32), 0, "the sequence number is in the hash");
	b = a;
	b.prev_hash[31] = 1;
	hash_of(h2, &b);
	cr_assert_neq(memcmp(h1, h2, 32), 0, "the previous hash is in the hash");
}

Test(audit_canonical, a_record_missing_what_it_needs_is_refused)
{
	struct zt_audit_record ok = {.seq = 1, .time = "2026-12-02T01:54:37Z", .user = "u",
	                             .action = "a", .object = "o"};
	unsigned char h[32];
	hash_of(h, &ok);
	struct {
		struct zt_audit_record r;
		const char *says;
	} bad[] = {
		{ok, "sequence numbers start at 1"}, {ok, "no time"}, {ok, "no time"},
		{ok, "not printable ASCII"},         {ok, "over 40"}, {ok, "no user"},
		{ok, "no user"},                     {ok, "no action"}, {ok, "no object"},
	};
	bad[0].r.seq = 0;
	bad[1].r.time = NULL;
	bad[2].r.time = "";
	bad[3].r.time = "2026-12-02 01:54:37Z";
	bad[4].r.time = "2026-12-02T01:54:37.000000000000000000000Z";
	bad[5].r.user = NULL;
	bad[6].r.user = "";
	bad[7].r.action = NULL;
	bad[8].r.object = NULL;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(zt_audit_record_hash(h, &bad[i].r), ZT_EINVAL, "case %zu", i);
		cr_assert(strstr(zt_error_last(), bad[i].says), "case %zu: %s", i, zt_error_last());
	}
	/* append refuses it and leaves the head as it was */
	struct zt_audit_head head = {0}, before;
	cr_assert_eq(zt_audit_append(&head, &ok), 0);
	before = head;
	struct zt_audit_record r = bad[5].r;
	cr_assert_eq(zt_audit_append(&head, &r), ZT_EINVAL);
	cr_assert_eq(memcmp(&head, &before, sizeof head), 0);
}

/* ---- verifying an intact chain --------------------------------------------- */

Test(audit_verify, a_chain_of_twenty_thousand_records_verifies_with_its_anchors)
{
	struct chain c = {0};
	struct zt_audit_head head = build(&c, 20000);
	intact(&c, 0, NULL, 20000);
	intact(&c, 20000, NULL, 20000);
	intact(&c, 20000, &head, 20000);
	struct zt_audit_head mid = head_at(&c, 12345);
	intact(&c, 20000, &mid, 20000);
	struct zt_audit_verdict v;
	cr_assert_eq(verify(&v, &c, 0, NULL), 0);
	cr_assert_eq(v.records, 20000);
	cr_assert_eq(memcmp(v.last.hash, head.hash, 32), 0);
	cr_assert_str_eq(v.last.time, head.time);
	chain_free(&c);
}

Test(audit_verify, the_empty_chain_is_intact_and_its_head_is_record_zero)
{
	struct chain c = {0};
	struct zt_audit_head zero = {0};
	intact(&c, 0, &zero, 0);
	struct zt_audit_head h = {.seq = 1};
	caught(&c, 0, &h, ZT_AUDIT_REMOVED, 1, "before the published head");
	caught(&c, 3, NULL, ZT_AUDIT_REMOVED, 1, "audit records 1 to 3 were removed");
}

static int failing(void *ctx, struct zt_audit_record *out)
{
	int *calls = ctx;
	if ((*calls)++ < 2) {
		static struct chain c;
		if (!c.n)
			build(&c, 2);
		*out = c.r[*calls - 1];
		return 1;
	}
	return zt_error_set(ZT_EIO, "the store failed");
}

Test(audit_verify, a_feeder_error_is_returned_as_it_is)
{
	int calls = 0;
	struct zt_audit_verdict v;
	cr_assert_eq(zt_audit_verify(&v, failing, &calls, NULL), ZT_EIO);
	cr_assert_str_eq(zt_error_last(), "the store failed");
	cr_assert_eq(v.records, 2);
}

/* ---- altered ------------------------------------------------------------------ */

Test(audit_altered, any_field_changed_names_the_record)
{
	enum { N = 1000, AT = 500 }; /* record 500 is index 499 */
	for (int field_no = 0; field_no < 13; field_no++) {
		struct chain c = {0};
		build(&c, N);
		struct zt_audit_record *r = &c.r[AT - 1];
		switch (field_no) {
		case 0: r->time = "2026-12-01T00:00:00Z"; break;
		case 1: r->user = "someone-else"; break;
		case 2: r->operator_name = r->operator_name ? NULL : "王五"; break;
		case 3: r->token_id = r->token_id ? NULL : "000000000000"; break;
		case 4: r->client = r->client ? "10.9.9.9" : "10.1.2.3"; break;
		case 5: r->action = "claim.reverse"; break;
		case 6: r->object = "S510101-999999"; break;
		case 7: r->has_digest = !r->has_digest; break;
		case 8: r->has_digest = true; r->digest[7] ^= 1; break;
		case 9: r->detail = r->detail ? NULL : "total 0.01"; break;
		case 10: r->prev_hash[0] ^= 1; break;
		case 11: r->hash[31] ^= 0x80; break;
		case 12: r->time = "2026-12-01 00:00:00"; break; /* not even a record */
		}
		caught(&c, N, NULL, ZT_AUDIT_ALTERED, AT, "audit record 500 was altered");
		chain_free(&c);
	}
}

Test(audit_altered, the_first_and_the_last_record_too)
{
	struct chain c = {0};
	build(&c, 50);
	c.r[0].user = "x";
	caught(&c, 50, NULL, ZT_AUDIT_ALTERED, 1, "audit record 1 was altered");
	chain_free(&c);
	build(&c, 50);
	c.r[49].detail = "x";
	caught(&c, 50, NULL, ZT_AUDIT_ALTERED, 50, "audit record 50 was altered");
	chain_free(&c);
}

Test(audit_altered, a_record_rewritten_with_its_own_hash_breaks_the_next_link)
{
	struct chain c = {0};
	build(&c, 1000);
	c.r[499].user = "someone-else";
	hash_of(c.r[499].hash, &c.r[499]);
	caught(&c, 1000, NULL, ZT_AUDIT_ALTERED, 500, "record 501 does not follow it");
	chain_free(&c);
	/* the first record made to start elsewhere */
	build(&c, 10);
	c.r[0].prev_hash[0] = 1;
	hash_of(c.r[0].hash, &c.r[0]);
	caught(&c, 10, NULL, ZT_AUDIT_ALTERED, 1, "does not start the chain");
	chain_free(&c);
}

/* ---- removed ------------------------------------------------------------------ */

Test(audit_removed, a_record_in_the_middle)
{
	struct chain c = {0};
	build(&c, 1000);
	remove_at(&c, 499, 1);
	caught(&c, 1000, NULL, ZT_AUDIT_REMOVED, 500, "audit record 500 was removed: record 501 follows record 499");
	caught(&c, 0, NULL, ZT_AUDIT_REMOVED, 500, "audit record 500 was removed");
	chain_free(&c);
	build(&c, 1000);
	remove_at(&c, 499, 3);
	caught(&c, 0, NULL, ZT_AUDIT_REMOVED, 500, "audit records 500 to 502 were removed");
	chain_free(&c);
}

Test(audit_removed, a_record_in_the_middle_and_the_rest_renumbered)
{
	struct chain c = {0};
	build(&c, 1000);
	remove_at(&c, 499, 1);
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_REMOVED, 500, "the records after it were renumbered");
	chain_free(&c);
	build(&c, 1000);
	remove_at(&c, 499, 20);
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_REMOVED, 500, "audit records 500 to 519 were removed");
	chain_free(&c);
}

Test(audit_removed, the_first_records)
{
	struct chain c = {0};
	build(&c, 100);
	remove_at(&c, 0, 1);
	caught(&c, 0, NULL, ZT_AUDIT_REMOVED, 1, "audit record 1 was removed: the trail starts at record 2");
	chain_free(&c);
	build(&c, 100);
	remove_at(&c, 0, 5);
	caught(&c, 0, NULL, ZT_AUDIT_REMOVED, 1, "audit records 1 to 5 were removed");
	chain_free(&c);
}

/* The last record leaves no gap and no broken link: only an anchor outside
 * the chain sees it gone — the store's count of records ever written, or a
 * published head that covers it. */
Test(audit_removed, the_last_record_is_caught_against_the_count_or_a_head)
{
	struct chain c = {0};
	struct zt_audit_head head = build(&c, 1000);
	c.n--;
	intact(&c, 0, NULL, 999); /* the chain alone cannot tell */
	caught(&c, 1000, NULL, ZT_AUDIT_REMOVED, 1000,
	       "audit record 1000 was removed: the trail ends at record 999 but 1000 were written");
	caught(&c, 0, &head, ZT_AUDIT_REMOVED, 1000, "before the published head (record 1000)");
	c.n -= 9;
	caught(&c, 1000, NULL, ZT_AUDIT_REMOVED, 991, "audit records 991 to 1000 were removed");
	/* a head taken earlier does not cover what came after it */
	struct zt_audit_head early = head_at(&c, 900);
	intact(&c, 0, &early, 990);
	chain_free(&c);
}

/* ---- inserted ----------------------------------------------------------------- */

Test(audit_inserted, a_forged_record_with_a_good_hash_and_the_rest_renumbered)
{
	struct chain c = {0};
	build(&c, 1000);
	struct zt_audit_record x = content(&c, 7);
	x.user = "mallory";
	x.seq = 500;
	memcpy(x.prev_hash, c.r[498].hash, 32);
	hash_of(x.hash, &x);
	insert_at(&c, 499, x);
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_INSERTED, 500,
	       "audit record 500 was inserted: the record written as 500 is now at position 501");
	chain_free(&c);
}

Test(audit_inserted, a_forged_record_with_a_bad_hash_and_the_rest_renumbered)
{
	struct chain c = {0};
	build(&c, 1000);
	struct zt_audit_record x = content(&c, 7);
	x.user = "mallory";
	memset(x.hash, 0x5a, 32);
	insert_at(&c, 499, x);
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_INSERTED, 500, "audit record 500 was inserted");
	chain_free(&c);
}

Test(audit_inserted, a_copy_of_a_record_a_repeated_number_and_records_past_the_count)
{
	struct chain c = {0};
	build(&c, 1000);
	insert_at(&c, 500, c.r[499]); /* a copy after record 500 */
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_INSERTED, 501, "a copy of record 500");
	chain_free(&c);

	build(&c, 1000);
	insert_at(&c, 500, c.r[499]); /* the same, numbers kept: 500 twice */
	caught(&c, 0, NULL, ZT_AUDIT_INSERTED, 500, "audit record 500 appears twice");
	chain_free(&c);

	/* appended behind the store's back: a good chain, but the count says less */
	struct zt_audit_head head = build(&c, 1000);
	struct zt_audit_record x = content(&c, 1000);
	cr_assert_eq(zt_audit_append(&head, &x), 0);
	push(&c, x);
	intact(&c, 0, NULL, 1001);
	caught(&c, 1000, NULL, ZT_AUDIT_INSERTED, 1001, "the store counts 1000 records written");
	chain_free(&c);
}

Test(audit_inserted, records_spliced_in_between_two_that_follow_each_other)
{
	/* records 500 and 501 put in, with their own good hashes, and record
	 * 500 of old (now 502) rehashed to fit its new number but still
	 * pointing at 499 */
	struct chain c = {0};
	build(&c, 1000);
	for (int k = 0; k < 2; k++) {
		struct zt_audit_record x = content(&c, 2000 + (size_t)k);
		x.seq = 500 + k;
		memcpy(x.prev_hash, c.r[498 + k].hash, 32);
		hash_of(x.hash, &x);
		insert_at(&c, 499 + (size_t)k, x);
	}
	c.r[501].seq = 502;
	hash_of(c.r[501].hash, &c.r[501]);
	/* and the rest renumbered and rehashed, each still linked */
	for (size_t i = 502; i < c.n; i++) {
		c.r[i].seq = (int64_t)i + 1;
		memcpy(c.r[i].prev_hash, c.r[i - 1].hash, 32);
		hash_of(c.r[i].hash, &c.r[i]);
	}
	caught(&c, 0, NULL, ZT_AUDIT_INSERTED, 500,
	       "audit record 500 was inserted: record 502 follows record 499, not 501");
	chain_free(&c);
}

/* ---- reordered and swapped ----------------------------------------------------- */

Test(audit_reordered, two_neighbours_swapped)
{
	struct chain c = {0};
	build(&c, 1000);
	swap_contents(&c, 499, 500);
	caught(&c, 0, NULL, ZT_AUDIT_REORDERED, 500,
	       "audit record 500 is out of place: it is now at position 501, and position 500 "
	       "holds the record written as 501");
	chain_free(&c);
}

Test(audit_reordered, two_far_apart_swapped)
{
	struct chain c = {0};
	build(&c, 1000);
	swap_contents(&c, 499, 699);
	caught(&c, 0, NULL, ZT_AUDIT_REORDERED, 500, "holds the record written as 700");
	chain_free(&c);
	/* with the last record */
	build(&c, 1000);
	swap_contents(&c, 9, 999);
	caught(&c, 1000, NULL, ZT_AUDIT_REORDERED, 10, "holds the record written as 1000");
	chain_free(&c);
}

Test(audit_reordered, a_record_moved_later_or_earlier)
{
	struct chain c = {0};
	build(&c, 1000);
	struct zt_audit_record m = c.r[499];
	remove_at(&c, 499, 1);
	insert_at(&c, 502, m); /* 500 now after 503 */
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_REORDERED, 500, "audit record 500 is out of place");
	chain_free(&c);

	build(&c, 1000);
	m = c.r[509];
	remove_at(&c, 509, 1);
	insert_at(&c, 499, m); /* 510 now before 500 */
	renumber(&c);
	caught(&c, 0, NULL, ZT_AUDIT_REORDERED, 500, "holds the record written as 510");
	chain_free(&c);
}

Test(audit_reordered, records_given_out_of_sequence)
{
	struct chain c = {0};
	build(&c, 100);
	struct zt_audit_record t = c.r[49];
	c.r[49] = c.r[50];
	c.r[50] = t; /* 50 and 51 exchanged, numbers with them */
	caught(&c, 0, NULL, ZT_AUDIT_REORDERED, 50, "audit record 50 is out of place: it comes after record 51");
	chain_free(&c);
	build(&c, 100);
	c.r[60] = c.r[40]; /* 41 again after 60 */
	caught(&c, 0, NULL, ZT_AUDIT_REORDERED, 41, "audit record 41 comes after record 60");
	chain_free(&c);
}

/* ---- a published head ------------------------------------------------------------ */

/* Record 500 rewritten and every hash after it recomputed: a consistent
 * chain, which only a head taken at or after record 500 refutes. */
static void rewrite_500(struct chain *c)
{
	c->r[499].detail = "total 0.00";
	rehash_from(c, 499);
}

Test(audit_head, a_rewrite_at_or_before_the_head_is_caught_after_it_is_not)
{
	int64_t heads[] = {500, 501, 800, 1000};
	for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
		struct chain c = {0};
		build(&c, 1000);
		struct zt_audit_head published = head_at(&c, heads[i]);
		rewrite_500(&c);
		intact(&c, 1000, NULL, 1000);
		char says[96];
		snprintf(says, sizeof says, "audit record %" PRId64 " is not the published head's",
		         heads[i]);
		caught(&c, 1000, &published, ZT_AUDIT_REWRITTEN, heads[i], says);
		snprintf(says, sizeof says, "a record at or before %" PRId64 " was rewritten", heads[i]);
		caught(&c, 1000, &published, ZT_AUDIT_REWRITTEN, heads[i], says);
		chain_free(&c);
	}
	/* a head taken before the rewritten record does not cover it */
	struct chain c = {0};
	build(&c, 1000);
	struct zt_audit_head before = head_at(&c, 499);
	rewrite_500(&c);
	intact(&c, 1000, &before, 1000);
	chain_free(&c);
}

Test(audit_head, text_form_and_strict_reading)
{
	struct chain c = {0};
	build(&c, 3);
	struct zt_audit_head h = head_at(&c, 3);
	char text[256], hex[65];
	cr_assert_eq(zt_audit_head_format(text, sizeof text, &h), 0);
	zt_audit_hash_hex(hex, h.hash);
	char want[256];
	snprintf(want, sizeof want, "zhitong audit head 1\nsequence 3\nsha256 %s\ntime %s\n", hex,
	         h.time);
	cr_assert_str_eq(text, want);
	struct zt_audit_head back;
	cr_assert_eq(zt_audit_head_parse(&back, text, strlen(text)), 0, "%s", zt_error_last());
	cr_assert_eq(back.seq, 3);
	cr_assert_eq(memcmp(back.hash, h.hash, 32), 0);
	cr_assert_str_eq(back.time, h.time);
	struct zt_audit_head empty = {0};
	cr_assert_eq(zt_audit_head_format(text, sizeof text, &empty), 0);
	cr_assert_str_eq(text, "zhitong audit head 1\nsequence 0\nsha256 "
	                       "0000000000000000000000000000000000000000000000000000000000000000\n");
	cr_assert_eq(zt_audit_head_parse(&back, text, strlen(text)), 0, "%s", zt_error_last());
	cr_assert_eq(back.seq, 0);
	cr_assert_eq(zt_audit_head_format(text, 40, &h), ZT_ERANGE);

	char upper[65];
	snprintf(upper, sizeof upper, "%s", hex);
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	struct {
		char text[400];
		const char *says;
	} bad[12];
	int n = 0;
#define BAD(says_, ...) (snprintf(bad[n].text, sizeof bad[n].text, __VA_ARGS__), bad[n++].says = says_)
	BAD("line 1", "zhitong audit head 2\nsequence 3\nsha256 %s\ntime %s\n", hex, h.time);
	BAD("line 2", "zhitong audit head 1\nsequence -3\nsha256 %s\ntime %s\n", hex, h.time);
	BAD("line 2", "zhitong audit head 1\nsequence 03\nsha256 %s\ntime %s\n", hex, h.time);
	BAD("line 2", "zhitong audit head 1\nsequence  3\nsha256 %s\ntime %s\n", hex, h.time);
	BAD("line 3", "zhitong audit head 1\nsequence 3\nsha256 %.63s\ntime %s\n", hex, h.time);
	BAD("lower case", "zhitong audit head 1\nsequence 3\nsha256 %s\ntime %s\n", upper, h.time);
	BAD("line 4", "zhitong audit head 1\nsequence 3\nsha256 %s\ntime %s x\n", hex, h.time);
	BAD("line 4", "zhitong audit head 1\nsequence 3\nsha256 %s\ntime %s", hex, h.time);
	BAD("text after line 4", "zhitong audit head 1\nsequence 3\nsha256 %s\ntime %s\n\n", hex, h.time);
	BAD("no time line", "zhitong audit head 1\nsequence 3\nsha256 %s\n", hex);
	BAD("line 1", "zhitong audit head 1\r\nsequence 3\r\nsha256 %s\r\ntime %s\r\n", hex, h.time);
	BAD("sequence 0", "zhitong audit head 1\nsequence 0\nsha256 %s\n", hex);
#undef BAD
	for (int i = 0; i < n; i++) {
		cr_assert_eq(zt_audit_head_parse(&back, bad[i].text, strlen(bad[i].text)), ZT_EINVAL,
		             "case %d taken", i);
		cr_assert(strstr(zt_error_last(), bad[i].says), "case %d: %s", i, zt_error_last());
	}
	chain_free(&c);
}

/* a shell command's exit code, its output discarded (testutil.h) */
#define sh_code zt_test_sh_code

/* The payer's commands for batch files (README "Batches"), on a head. */
#define ED_VERIFY "openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s'"
#define SM2_VERIFY \
	"openssl dgst -sm3 -verify '%s' -sigopt distid:1234567812345678 -signature '%s' '%s'"

static void signed_head(const char *alg)
{
	const char *key = tmp_path("pool.pem"), *pub = tmp_path("pool.pub.pem");
	cr_assert_eq(sh_code("openssl genpkey -algorithm %s -out '%s'", alg, key), 0);
	cr_assert_eq(sh_code("openssl pkey -in '%s' -pubout -out '%s'", key, pub), 0);
	struct chain c = {0};
	struct zt_audit_head head = build(&c, 500);
	const char *path = tmp_path("audit-head-500");
	char sig[1024];
	snprintf(sig, sizeof sig, "%s.sig", path);
	cr_assert_eq(zt_audit_head_write(path, &head, key, 0), 0, "%s", zt_error_last());
	bool ed = strcmp(alg, "ed25519") == 0;
	if (ed)
		cr_assert_eq(sh_code(ED_VERIFY, pub, path, sig), 0, "openssl does not verify the head");
	else
		cr_assert_eq(sh_code(SM2_VERIFY, pub, sig, path), 0, "openssl does not verify the head");
	struct zt_audit_head back;
	cr_assert_eq(zt_audit_head_read(&back, path, pub), 0, "%s", zt_error_last());
	cr_assert_eq(back.seq, 500);
	cr_assert_eq(memcmp(back.hash, head.hash, 32), 0);
	intact(&c, 500, &back, 500);
	/* written again, the same: nothing changes; the file is 0644 */
	cr_assert_eq(zt_audit_head_write(path, &head, key, 0), 0, "%s", zt_error_last());
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);

	/* the head edited to the sequence of a rewritten chain: signature broken */
	char *text = zt_test_slurp(path);
	char *p = strstr(text, "sequence 500");
	cr_assert(p);
	p[11] = '1';
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	if (ed)
		cr_assert_neq(sh_code(ED_VERIFY, pub, path, sig), 0);
	else
		cr_assert_neq(sh_code(SM2_VERIFY, pub, sig, path), 0);
	cr_assert_eq(zt_audit_head_read(&back, path, pub), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "its signature does not verify"), "%s", zt_error_last());
	/* unsigned, it reads (the caller asked for no check) */
	cr_assert_eq(zt_audit_head_read(&back, path, NULL), 0, "%s", zt_error_last());
	cr_assert_eq(back.seq, 501);
	chain_free(&c);
}

Test(audit_head, signed_with_ed25519_checked_by_the_openssl_command)
{
	signed_head("ed25519");
}

Test(audit_head, signed_with_sm2_checked_by_the_openssl_command)
{
	signed_head("SM2");
}

/* The whole story: a head published (signed) at record 800, then record
 * 123 rewritten and the chain recomputed behind the engine's back; the
 * head read back from its file catches it. */
Test(audit_head, a_rewrite_after_a_published_signed_head_is_caught)
{
	const char *key = tmp_path("pool.pem"), *pub = tmp_path("pool.pub.pem");
	cr_assert_eq(sh_code("openssl genpkey -algorithm ed25519 -out '%s'", key), 0);
	cr_assert_eq(sh_code("openssl pkey -in '%s' -pubout -out '%s'", key, pub), 0);
	struct chain c = {0};
	build(&c, 800);
	struct zt_audit_head at800 = head_at(&c, 800);
	const char *path = tmp_path("head");
	cr_assert_eq(zt_audit_head_write(path, &at800, key, 0), 0, "%s", zt_error_last());
	/* the trail goes on */
	struct zt_audit_head now = at800;
	for (size_t i = 800; i < 1200; i++) {
		struct zt_audit_record r = content(&c, i);
		cr_assert_eq(zt_audit_append(&now, &r), 0);
		push(&c, r);
	}
	struct zt_audit_head read;
	cr_assert_eq(zt_audit_head_read(&read, path, pub), 0, "%s", zt_error_last());
	intact(&c, 1200, &read, 1200);
	/* the rewrite */
	c.r[122].user = "nobody";
	rehash_from(&c, 122);
	intact(&c, 1200, NULL, 1200);
	caught(&c, 1200, &read, ZT_AUDIT_REWRITTEN, 800, "a record at or before 800 was rewritten");
	chain_free(&c);
}

Test(audit_head, reading_refuses_what_is_not_a_head)
{
	struct zt_audit_head h;
	cr_assert_eq(zt_audit_head_read(&h, tmp_path("missing"), NULL), ZT_ENOTFOUND);
	const char *big = tmp_path("big");
	FILE *f = fopen(big, "w");
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	cr_assert_eq(zt_audit_head_read(&h, big, NULL), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "not a head"), "%s", zt_error_last());
	const char *junk = zt_test_write("junk", "zhitong audit head 1\nsequence x\n");
	cr_assert_eq(zt_audit_head_read(&h, junk, NULL), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "line 2"), "%s", zt_error_last());
	cr_assert(strstr(zt_error_last(), junk), "names the file: %s", zt_error_last());
	/* a signature asked for and missing */
	const char *pub = tmp_path("k.pub");
	cr_assert_eq(sh_code("openssl genpkey -algorithm ed25519 -out '%s.key' && openssl pkey -in "
	                     "'%s.key' -pubout -out '%s'",
	                     pub, pub, pub),
	             0);
	struct chain c = {0};
	struct zt_audit_head head = build(&c, 2);
	const char *unsigned_head = tmp_path("unsigned-head");
	cr_assert_eq(zt_audit_head_write(unsigned_head, &head, NULL, 0), 0, "%s", zt_error_last());
	cr_assert_neq(zt_audit_head_read(&h, unsigned_head, pub), 0);
	cr_assert_eq(zt_audit_head_read(&h, unsigned_head, NULL), 0);
	/* an existing head with other contents is not replaced */
	struct zt_audit_head other = head_at(&c, 1);
	cr_assert_eq(zt_audit_head_write(unsigned_head, &other, NULL, 0), ZT_ECONFLICT);
	cr_assert_eq(zt_audit_head_write(unsigned_head, &other, NULL, ZT_OUT_FORCE), 0);
	chain_free(&c);
}

Test(audit_hex, round_trip_and_refusals)
{
	unsigned char h[32], back[32];
	for (int i = 0; i < 32; i++)
		h[i] = (unsigned char)(i * 37);
	char hex[65];
	zt_audit_hash_hex(hex, h);
	cr_assert_eq(zt_audit_hash_from_hex(back, hex), 0);
	cr_assert_eq(memcmp(h, back, 32), 0);
	cr_assert_eq(zt_audit_hash_from_hex(back, "00"), ZT_EINVAL);
	cr_assert_eq(zt_audit_hash_from_hex(back, NULL), ZT_EINVAL);
	hex[5] = 'g';
	cr_assert_eq(zt_audit_hash_from_hex(back, hex), ZT_EINVAL);
	cr_assert_str_eq(zt_audit_fault_name(ZT_AUDIT_REORDERED), "reordered");
	cr_assert_str_eq(zt_audit_fault_name(ZT_AUDIT_INTACT), "intact");
}
