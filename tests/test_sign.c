/* zhitong — detached signatures a payer checks with the stock openssl CLI
 * (docs/spec/money-flow.md "Batches", docs/spec/background-formats.md §3). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/sign.h"

/* Runs a shell command (output discarded) and returns its exit code. */
/* a shell command's exit code, its output discarded (testutil.h) */
#define sh_code zt_test_sh_code

static char *path_in(const char *name)
{
	char *p = malloc(1024);
	snprintf(p, 1024, "%s/%s", zt_test_tmpdir(), name);
	return p;
}

/* A private key of the given openssl algorithm and its public half. */
static void make_key(const char *alg, const char *name)
{
	char *k = path_in(name);
	cr_assert_eq(sh_code("openssl genpkey -algorithm %s -out '%s'", alg, k), 0, "genpkey %s", alg);
	cr_assert_eq(sh_code("openssl pkey -in '%s' -pubout -out '%s.pub'", k, k), 0);
	free(k);
}

static const char *settlement =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<settlement batch=\"B-2024-0001\" fund=\"medical-aid\">\n"
	"  <record id=\"R1\" amount=\"1234.56\">张三 住院</record>\n"
	"</settlement>\n";

static void flip_byte(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	cr_assert(f);
	cr_assert_eq(fseek(f, off, SEEK_SET), 0);
	int c = fgetc(f);
	cr_assert_neq(c, EOF);
	cr_assert_eq(fseek(f, off, SEEK_SET), 0);
	fputc(c ^ 0x01, f);
	fclose(f);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The payer's commands (docs/spec/background-formats.md §3): pub, file, sig / pub, sig, file. */
#define ED_VERIFY "openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s'"
#define SM2_VERIFY "openssl dgst -sm3 -verify '%s' -sigopt distid:1234567812345678 -signature '%s' '%s'"

Test(sign_ed25519, signature_verifies_with_the_stock_openssl_command)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	cr_assert_eq(file_size(sig), 64, "Ed25519 signatures are 64 raw bytes");
	cr_assert_eq(sh_code(ED_VERIFY, pub, f, sig), 0);
	cr_assert_eq(zt_verify_file(f, sig, pub), 0, "%s", zt_error_last());
	free(k), free(pub), free(sig);
}

Test(sign_sm2, signature_verifies_with_stock_openssl_and_the_gm_t_distinguishing_id)
{
	make_key("SM2", "sm2.pem");
	char *k = path_in("sm2.pem"), *pub = path_in("sm2.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	cr_assert_eq(sh_code(SM2_VERIFY, pub, sig, f), 0);
	/* openssl's default (empty) ID must NOT verify: the ID is really in it */
	cr_assert_neq(sh_code("openssl dgst -sm3 -verify '%s' -signature '%s' '%s'", pub, sig, f), 0);
	cr_assert_eq(zt_verify_file(f, sig, pub), 0, "%s", zt_error_last());
	free(k), free(pub), free(sig);
}

Test(sign_ed25519, one_altered_byte_fails_both_verifiers)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	flip_byte(f, 60);
	cr_assert_neq(sh_code(ED_VERIFY, pub, f, sig), 0);
	cr_assert_eq(zt_verify_file(f, sig, pub), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "does not verify"), "%s", zt_error_last());
	free(k), free(pub), free(sig);
}

Test(sign_sm2, one_altered_byte_fails_both_verifiers)
{
	make_key("SM2", "sm2.pem");
	char *k = path_in("sm2.pem"), *pub = path_in("sm2.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	flip_byte(f, (long)strlen(settlement) - 3);
	cr_assert_neq(sh_code(SM2_VERIFY, pub, sig, f), 0);
	cr_assert_eq(zt_verify_file(f, sig, pub), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "does not verify"), "%s", zt_error_last());
	free(k), free(pub), free(sig);
}

Test(sign_verify, an_altered_signature_does_not_verify)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	flip_byte(sig, 10);
	cr_assert_eq(zt_verify_file(f, sig, pub), ZT_EINVAL);
	free(k), free(pub), free(sig);
}

Test(sign_ed25519, a_signature_made_by_the_openssl_cli_verifies)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("cli.sig");
	cr_assert_eq(sh_code("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s' -out '%s'", k, f, sig), 0);
	cr_assert_eq(zt_verify_file(f, sig, pub), 0, "%s", zt_error_last());
	free(k), free(pub), free(sig);
}

Test(sign_sm2, a_signature_made_by_the_openssl_cli_verifies)
{
	make_key("SM2", "sm2.pem");
	char *k = path_in("sm2.pem"), *pub = path_in("sm2.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("cli.sig"), *sig0 = path_in("cli-empty-id.sig");
	cr_assert_eq(sh_code("openssl dgst -sm3 -sign '%s' -sigopt distid:1234567812345678 -out '%s' '%s'",
	                k, sig, f), 0);
	cr_assert_eq(zt_verify_file(f, sig, pub), 0, "%s", zt_error_last());
	/* signed with openssl's default empty ID: not the agreed algorithm */
	cr_assert_eq(sh_code("openssl dgst -sm3 -sign '%s' -out '%s' '%s'", k, sig0, f), 0);
	cr_assert_eq(zt_verify_file(f, sig0, pub), ZT_EINVAL);
	free(k), free(pub), free(sig), free(sig0);
}

Test(sign_verify, a_signature_checked_with_another_key_does_not_verify)
{
	make_key("SM2", "sm2.pem");
	make_key("SM2", "other-sm2.pem");
	make_key("ed25519", "ed.pem");
	char *k = path_in("sm2.pem"), *other = path_in("other-sm2.pem.pub"),
	     *ed = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	cr_assert_eq(zt_verify_file(f, sig, other), ZT_EINVAL);
	cr_assert_eq(zt_verify_file(f, sig, ed), ZT_EINVAL);
	free(k), free(other), free(ed), free(sig);
}

Test(sign_verify, accepts_a_certificate_in_place_of_the_public_key)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *crt = path_in("ed.crt");
	cr_assert_eq(sh_code("openssl req -x509 -new -key '%s' -subj /CN=pool -days 2 -out '%s'", k, crt), 0);
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	cr_assert_eq(zt_verify_file(f, sig, crt), 0, "%s", zt_error_last());
	cr_assert_eq(sh_code("openssl pkeyutl -verify -certin -inkey '%s' -rawin -in '%s' -sigfile '%s'",
	                crt, f, sig), 0);
	free(k), free(crt), free(sig);
}

Test(sign_keys, an_rsa_or_plain_ec_key_is_refused_and_nothing_is_written)
{
	static const char *algs[][2] = {{"RSA -pkeyopt rsa_keygen_bits:1024", "RSA"},
	                                {"EC -pkeyopt ec_paramgen_curve:P-256", "EC"}};
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	for (size_t i = 0; i < 2; i++) {
		make_key(algs[i][0], "k.pem");
		char *k = path_in("k.pem");
		cr_assert_eq(zt_sign_file(f, k, sig), ZT_EMALFORMED, "%s", algs[i][1]);
		cr_assert(strstr(zt_error_last(), algs[i][1]) && strstr(zt_error_last(), "Ed25519"),
		          "message names the refused type: %s", zt_error_last());
		cr_assert_eq(file_size(sig), -1, "no signature may be written");
		free(k);
	}
	free(sig);
}

Test(sign_keys, a_missing_key_file_is_a_clear_error)
{
	const char *f = zt_test_write("batch.xml", settlement);
	char *k = path_in("no-such-key.pem"), *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), ZT_ENOTFOUND);
	cr_assert(strstr(zt_error_last(), "no-such-key.pem") &&
	          strstr(zt_error_last(), "does not exist"), "%s", zt_error_last());
	cr_assert_eq(file_size(sig), -1);
	free(k), free(sig);
}

Test(sign_keys, a_passphrase_protected_key_is_refused_without_a_prompt)
{
	char *k = path_in("enc.pem");
	cr_assert_eq(sh_code("openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret -out '%s'", k), 0);
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), ZT_EMALFORMED);
	cr_assert(strstr(zt_error_last(), "passphrase"), "%s", zt_error_last());
	free(k), free(sig);
}

Test(sign_keys, a_file_that_is_no_key_is_refused)
{
	const char *f = zt_test_write("batch.xml", settlement);
	const char *k = zt_test_write("notakey.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	char *sig = path_in("batch.xml.sig");
	cr_assert_eq(zt_sign_file(f, k, sig), ZT_EMALFORMED);
	cr_assert(strstr(zt_error_last(), "notakey.pem"), "%s", zt_error_last());
	/* a private key where the public one is expected is refused too */
	make_key("ed25519", "ed.pem");
	char *priv = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	cr_assert_eq(zt_sign_file(f, priv, sig), 0, "%s", zt_error_last());
	cr_assert_eq(zt_verify_file(f, sig, priv), ZT_EMALFORMED);
	cr_assert_eq(zt_sign_file(f, pub, sig), ZT_EMALFORMED);
	free(sig), free(priv), free(pub);
}

Test(sign_verify, unreadable_input_is_not_reported_as_a_bad_signature)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig"), *none = path_in("missing");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	cr_assert_eq(zt_verify_file(f, none, pub), ZT_ENOTFOUND);
	cr_assert_eq(zt_verify_file(none, sig, pub), ZT_ENOTFOUND);
	cr_assert_eq(zt_verify_file(f, sig, none), ZT_ENOTFOUND);
	cr_assert_eq(zt_verify_file(zt_test_tmpdir(), sig, pub), ZT_EIO, "a directory is no file");
	cr_assert_eq(zt_sign_file(none, k, sig), ZT_ENOTFOUND);
	free(k), free(pub), free(sig), free(none);
}

Test(sign_file, an_empty_file_is_refused)
{
	make_key("ed25519", "ed.pem");
	make_key("SM2", "sm2.pem");
	char *ed = path_in("ed.pem"), *sm = path_in("sm2.pem"), *sig = path_in("e.sig");
	const char *f = zt_test_write("empty.xml", "");
	cr_assert_eq(zt_sign_file(f, ed, sig), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "empty"), "%s", zt_error_last());
	cr_assert_eq(zt_sign_file(f, sm, sig), ZT_EINVAL);
	cr_assert_eq(file_size(sig), -1);
	free(ed), free(sm), free(sig);
}

/* Larger than any read buffer, so the mapped (Ed25519) and streamed (SM2)
 * paths cover many pages and chunks. */
Test(sign_file, a_multi_megabyte_file_verifies_with_the_openssl_cli)
{
	make_key("ed25519", "ed.pem");
	make_key("SM2", "sm2.pem");
	char *ed = path_in("ed.pem"), *edpub = path_in("ed.pem.pub");
	char *sm = path_in("sm2.pem"), *smpub = path_in("sm2.pem.pub");
	char *f = path_in("big.xml"), *s1 = path_in("b1.sig"), *s2 = path_in("b2.sig");
	cr_assert_eq(sh_code("head -c 9000001 /dev/urandom > '%s'", f), 0);
	cr_assert_eq(zt_sign_file(f, ed, s1), 0, "%s", zt_error_last());
	cr_assert_eq(zt_sign_file(f, sm, s2), 0, "%s", zt_error_last());
	cr_assert_eq(sh_code(ED_VERIFY, edpub, f, s1), 0);
	cr_assert_eq(sh_code(SM2_VERIFY, smpub, s2, f), 0);
	flip_byte(f, 8999999);
	cr_assert_eq(zt_verify_file(f, s1, edpub), ZT_EINVAL);
	cr_assert_eq(zt_verify_file(f, s2, smpub), ZT_EINVAL);
	free(ed), free(edpub), free(sm), free(smpub), free(f), free(s1), free(s2);
}

Test(sign_file, replaces_an_old_signature_and_leaves_no_temporary_file)
{
	make_key("ed25519", "ed.pem");
	char *k = path_in("ed.pem"), *pub = path_in("ed.pem.pub");
	const char *f = zt_test_write("batch.xml", settlement);
	const char *sig = zt_test_write("batch.xml.sig", "stale signature from a crashed run");
	cr_assert_eq(zt_sign_file(f, k, sig), 0, "%s", zt_error_last());
	cr_assert_eq(zt_verify_file(f, sig, pub), 0);
	struct stat st;
	cr_assert_eq(stat(sig, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644, "the signature is public");
	DIR *d = opendir(zt_test_tmpdir());
	cr_assert(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.') {
			files++;
			cr_assert(!strstr(e->d_name, ".sig."), "left behind: %s", e->d_name);
		}
	closedir(d);
	cr_assert_eq(files, 4, "key, public key, file and signature only");
	free(k), free(pub);
}

Test(sign_keys, reports_the_type_and_the_matching_openssl_command)
{
	make_key("ed25519", "ed.pem");
	make_key("SM2", "sm2.pem");
	char *ed = path_in("ed.pem"), *edpub = path_in("ed.pem.pub");
	char *sm = path_in("sm2.pem"), *smpub = path_in("sm2.pem.pub");
	enum zt_key_type t = 0;
	cr_assert_eq(zt_sign_key_type(&t, ed), 0);
	cr_assert_eq(t, ZT_KEY_ED25519);
	cr_assert_eq(zt_sign_key_type(&t, edpub), 0);
	cr_assert_eq(t, ZT_KEY_ED25519);
	cr_assert_eq(zt_sign_key_type(&t, sm), 0);
	cr_assert_eq(t, ZT_KEY_SM2);
	cr_assert_eq(zt_sign_key_type(&t, smpub), 0);
	cr_assert_eq(t, ZT_KEY_SM2);
	cr_assert_null(zt_sign_openssl_verify_cmd((enum zt_key_type)0));

	/* the help text's command, placeholders filled in, really verifies */
	const char *f = zt_test_write("batch.xml", settlement);
	char *sig = path_in("batch.xml.sig");
	const char *keys[2][2] = {{ed, edpub}, {sm, smpub}};
	enum zt_key_type types[2] = {ZT_KEY_ED25519, ZT_KEY_SM2};
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(zt_sign_file(f, keys[i][0], sig), 0, "%s", zt_error_last());
		const char *tmpl = zt_sign_openssl_verify_cmd(types[i]);
		cr_assert(tmpl);
		char cmd[2048] = "";
		for (const char *p = tmpl; *p;) {
			const char *rep = NULL;
			size_t skip = 0;
			if (!strncmp(p, "PUBKEY.pem", 10))
				rep = keys[i][1], skip = 10;
			else if (!strncmp(p, "FILE.sig", 8))
				rep = sig, skip = 8;
			else if (!strncmp(p, "FILE", 4))
				rep = f, skip = 4;
			if (rep) {
				strcat(cmd, rep);
				p += skip;
			} else {
				strncat(cmd, p++, 1);
			}
		}
		cr_assert_eq(sh_code("%s", cmd), 0, "%s", cmd);
	}
	free(ed), free(edpub), free(sm), free(smpub), free(sig);
}

/* ==== chunks.h: the one chunked read under SM2 signing and a payer file's
 * SHA-256 ==================================================================== */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "zhitong/chunks.h"

struct collected {
	unsigned char *bytes;
	size_t len, calls, largest;
	size_t stop_after; /* 0: never */
};

static int collect(void *ctx, const unsigned char *data, size_t len)
{
	struct collected *c = ctx;
	cr_assert(len > 0, "an empty chunk was handed on");
	c->bytes = realloc(c->bytes, c->len + len);
	memcpy(c->bytes + c->len, data, len);
	c->len += len;
	c->largest = len > c->largest ? len : c->largest;
	if (++c->calls == c->stop_after)
		return zt_error_set(ZT_ECONFLICT, "stop here");
	return 0;
}

static int open_file_of(const char *name, size_t n, unsigned char **bytes)
{
	*bytes = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		(*bytes)[i] = (unsigned char)(i * 131u + i / 251u);
	char *p = path_in(name);
	FILE *f = fopen(p, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(*bytes, 1, n, f), n);
	fclose(f);
	int fd = open(p, O_RDONLY);
	free(p);
	cr_assert(fd >= 0);
	return fd;
}

Test(chunks, every_byte_in_order_in_chunks_of_at_most_the_size)
{
	size_t sizes[] = {0, 1, 4095, 4096, 4097, 3 * 4096 + 1234, 1000000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		unsigned char *want;
		int fd = open_file_of("chunks.bin", sizes[i], &want);
		struct collected c = {0};
		cr_assert_eq(zt_read_chunks(fd, "chunks.bin", 4096, collect, &c), 0, "%s",
		             zt_error_last());
		close(fd);
		cr_expect_eq(c.len, sizes[i], "size %zu: %zu bytes read", sizes[i], c.len);
		cr_expect(c.len == 0 || memcmp(c.bytes, want, c.len) == 0, "size %zu: other bytes",
		          sizes[i]);
		cr_expect(c.largest <= 4096, "a chunk of %zu bytes", c.largest);
		cr_expect_eq(c.calls, (sizes[i] + 4095) / 4096, "size %zu: %zu chunks", sizes[i],
		             c.calls);
		free(c.bytes);
		free(want);
	}
}

Test(chunks, the_callbacks_failure_stops_the_reading_and_is_passed_up_unchanged)
{
	unsigned char *want;
	int fd = open_file_of("stop.bin", 10 * 1024, &want);
	struct collected c = {.stop_after = 2};
	cr_expect_eq(zt_read_chunks(fd, "stop.bin", 1024, collect, &c), ZT_ECONFLICT);
	cr_expect_str_eq(zt_error_last(), "stop here");
	cr_expect_eq(c.calls, 2, "no chunk after the failure");
	close(fd);
	free(c.bytes);
	free(want);
}

Test(chunks, short_reads_from_a_pipe_are_chunks_like_any_other)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < 50; i++) {
			char piece[7];
			memset(piece, 'a' + i % 26, sizeof piece);
			if (write(p[1], piece, sizeof piece) != (ssize_t)sizeof piece)
				_exit(1);
			usleep(1000);
		}
		_exit(0);
	}
	close(p[1]);
	struct collected c = {0};
	cr_assert_eq(zt_read_chunks(p[0], "pipe", 64 * 1024, collect, &c), 0, "%s",
	             zt_error_last());
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	cr_expect_eq(c.len, 350);
	for (size_t i = 0; i < c.len; i++)
		cr_assert_eq(c.bytes[i], 'a' + (i / 7) % 26, "byte %zu", i);
	free(c.bytes);
}

Test(chunks, a_read_error_names_the_file_and_a_zero_chunk_is_refused)
{
	char *dir = path_in("");
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert(fd >= 0);
	struct collected c = {0};
	cr_expect_eq(zt_read_chunks(fd, "a-directory", 4096, collect, &c), ZT_EIO);
	cr_expect(strstr(zt_error_last(), "cannot read 'a-directory'"), "%s", zt_error_last());
	cr_expect_eq(c.calls, 0);
	cr_expect_eq(zt_read_chunks(fd, "x", 0, collect, &c), ZT_EINVAL);
	close(fd);
	cr_expect_eq(zt_read_chunks(-1, "closed", 4096, collect, &c), ZT_EIO);
	free(dir);
}
