/* zhitong — payer gateways (docs/spec/money-flow.md "Batches": `batch send`) against
 * a real HTTPS payer (tests/payer_server.c) and a drop folder. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/error.h"
#include "zhitong/gateway.h"
#include "zhitong/text.h"

/* ---- helpers ------------------------------------------------------- */

/* a shell command's exit code, its output discarded (testutil.h) */
#define sh_code zt_test_sh_code

/* Fixed paths of one test's files. */
static char d[512], ca_crt[600], client_crt[600], client_key[600], batch_xml[600],
	batch_sig[600], server_log[600], save_dir[600], outbox[600], inbox[600];

static void path(char *dst, const char *name) { snprintf(dst, 600, "%s/%s", d, name); }


#define same_file zt_test_same_file

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Lines of the server's request log (0 if it wrote none). */
static int log_lines(void)
{
	size_t len;
	char *s = zt_test_slurp_n(server_log, &len);
	int n = 0;
	for (size_t i = 0; s && i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

static int log_has(const char *needle)
{
	size_t len;
	char *s = zt_test_slurp_n(server_log, &len);
	int found = s && strstr(s, needle) != NULL;
	free(s);
	return found;
}

/* A leaf certificate signed by CA, with SAN (or none) and extended key usage. */
static void leaf(const char *name, const char *ca, const char *san, const char *eku)
{
	zt_test_cert_leaf(d, name, ca, san, eku);
}

static void root_ca(const char *name) { zt_test_cert_root(d, name); }

static void files(void)
{
	snprintf(d, sizeof d, "%s", zt_test_tmpdir());
	path(batch_xml, "batch.xml");
	path(batch_sig, "batch.xml.sig");
	path(server_log, "server.log");
	path(save_dir, "received");
	path(outbox, "outbox");
	path(inbox, "inbox");
	path(ca_crt, "ca.crt");
	path(client_crt, "client.crt");
	path(client_key, "client.key");
	zt_test_write("batch.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                           "<settlement batch=\"B-2024-0001\"><record id=\"ZY-1/F2\" "
	                           "amount=\"1234.56\">张三</record></settlement>\n");
	/* a signature is binary: NULs and all */
	cr_assert_eq(sh_code("head -c 72 /dev/urandom > '%s' && printf '\\000\\001' >> '%s'", batch_sig,
	                batch_sig),
	             0);
}

/* ---- the scripted payer ------------------------------------------- */

static struct zt_test_server server = ZT_TEST_SERVER_NONE;

/* Starts payer_server with the given certificate (name in the temp dir)
 * and script; extra arguments (NULL-terminated) follow. */
static void start(const char *cert, const char *script, ...)
{
	va_list ap;
	va_start(ap, script);
	zt_test_payer_start(&server, ZT_TEST_PAYER_SERVER, d, cert, script, server_log, save_dir,
	                    ap);
	va_end(ap);
}

static void stop(void) { zt_test_server_stop(&server); }

static struct zt_gateway_config http_cfg(void)
{
	static char url[128];
	snprintf(url, sizeof url, "https://127.0.0.1:%d/batches", server.port);
	return (struct zt_gateway_config){.kind = "http",
	                                  .url = url,
	                                  .ca_file = ca_crt,
	                                  .connect_timeout_ms = 3000,
	                                  .total_timeout_ms = 10000,
	                                  .max_attempts = 3,
	                                  .backoff_initial_ms = 20,
	                                  .backoff_max_ms = 100};
}

static void http_setup(void)
{
	/* the payer is on 127.0.0.1: no proxy from the environment */
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	files();
	root_ca("ca");
	leaf("server", "ca", "IP:127.0.0.1,DNS:localhost", "serverAuth");
	leaf("client", "ca", NULL, "clientAuth");
}

TestSuite(http_gateway, .init = http_setup, .fini = stop, .timeout = 30);

/* ---- http ---------------------------------------------------------- */

Test(http_gateway, an_accepted_batch_returns_the_payers_receipt)
{
	start("server", "accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	int rc = zt_gateway_send(&cfg, "B-2024-0001", batch_xml, batch_sig, &r);
	cr_assert_eq(rc, 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_ACCEPTED);
	cr_assert_str_eq(r.receipt_id, "R-1");
	cr_assert_eq(r.attempts, 1);
	cr_assert_eq(r.http_status, 200);
	cr_assert_eq(r.reject_count, 0);
	cr_assert_eq(r.failure, ZT_GW_FAIL_NONE);
	/* the payer got the file and the signature byte for byte, as the
	 * two named parts, and the batch id as the idempotency key */
	char got[700];
	snprintf(got, sizeof got, "%s/1.file", save_dir);
	cr_assert(same_file(batch_xml, got), "file part differs");
	snprintf(got, sizeof got, "%s/1.signature", save_dir);
	cr_assert(same_file(batch_sig, got), "signature part differs");
	cr_assert_eq(log_lines(), 1);
	cr_assert(log_has("idem=B-2024-0001 "));
	zt_gateway_result_free(&r);
}

Test(http_gateway, rejected_records_are_listed_and_the_rest_accepted)
{
	start("server", "reject:ZY-1/F2=person not insured by this fund;ZY-7=duplicate claim", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-2", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_REJECTED);
	cr_assert_str_eq(r.receipt_id, "R-1");
	cr_assert_eq(r.reject_count, 2);
	cr_assert_str_eq(r.rejects[0].record_id, "ZY-1/F2");
	cr_assert_str_eq(r.rejects[0].reason, "person not insured by this fund");
	cr_assert_str_eq(r.rejects[1].record_id, "ZY-7");
	cr_assert_str_eq(r.rejects[1].reason, "duplicate claim");
	zt_gateway_result_free(&r);
	cr_assert_null(r.rejects);
	cr_assert_eq(r.reject_count, 0);
}

Test(http_gateway, a_whole_batch_refused_is_an_answer_with_its_reason)
{
	start("server", "refuse:signature does not verify", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-3", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_REJECTED);
	cr_assert_eq(r.reject_count, 0);
	cr_assert(strstr(r.message, "signature does not verify"), "%s", r.message);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_500_is_retried_with_the_same_idempotency_key_then_accepted)
{
	start("server", "status:500,accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-4", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_ACCEPTED);
	cr_assert_eq(r.attempts, 2);
	cr_assert_str_eq(r.receipt_id, "R-2");
	cr_assert_eq(log_lines(), 2);
	cr_assert(log_has("n=1 idem=B-4 ") && log_has("n=2 idem=B-4 "));
	zt_gateway_result_free(&r);
}

Test(http_gateway, too_many_requests_and_unavailable_are_retried)
{
	start("server", "status:429,status:503,status:408,accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	cfg.max_attempts = 4;
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-5", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_ACCEPTED);
	cr_assert_eq(r.attempts, 4);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_server_error_that_persists_fails_after_max_attempts)
{
	start("server", "status:503", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-6", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_HTTP);
	cr_assert_eq(r.http_status, 503);
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(log_lines(), 3);
	cr_assert(strstr(r.message, "503") && strstr(r.message, "3 attempts"), "%s", r.message);
	zt_gateway_result_free(&r);
}

/* A payer whose connection is reset after it read the request (a proxy
 * dropping it, a payer crashing): nothing was answered, so the send is
 * tried again with the same Idempotency-Key — the payer may have taken the
 * first one, and the key makes the second the same batch. */
Test(http_gateway, a_connection_reset_is_retried_with_the_same_idempotency_key)
{
	start("server", "reset,accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-R1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_ACCEPTED);
	cr_assert_eq(r.attempts, 2);
	cr_assert_str_eq(r.receipt_id, "R-2");
	cr_assert(log_has("n=1 idem=B-R1 ") && log_has("status=reset") && log_has("n=2 idem=B-R1 "));
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_connection_reset_every_time_fails_after_max_attempts_with_no_answer)
{
	start("server", "reset", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-R2", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_neq(r.status, ZT_GW_ACCEPTED);
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(log_lines(), 3);
	cr_assert(strstr(r.message, "3 attempts"), "%s", r.message);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_4xx_is_not_retried)
{
	static const char *scripts[] = {"status:400,accept", "status:409,accept", "status:501,accept"};
	static const int codes[] = {400, 409, 501};
	for (int i = 0; i < 3; i++) {
		unlink(server_log);
		start("server", scripts[i], NULL);
		struct zt_gateway_config cfg = http_cfg();
		struct zt_gateway_result r;
		cr_assert_eq(zt_gateway_send(&cfg, "B-7", batch_xml, batch_sig, &r), ZT_EIO);
		cr_assert_eq(r.failure, ZT_GW_FAIL_HTTP);
		cr_assert_eq(r.http_status, codes[i]);
		cr_assert_eq(r.attempts, 1, "%d must not be retried", codes[i]);
		cr_assert_eq(log_lines(), 1);
		cr_assert(strstr(r.message, "scripted answer"), "the payer's text is kept: %s",
		          r.message);
		zt_gateway_result_free(&r);
		stop();
	}
}

Test(http_gateway, a_payer_slower_than_the_timeout_fails_as_a_timeout_after_max_attempts)
{
	start("server", "sleep:4000", NULL);
	struct zt_gateway_config cfg = http_cfg();
	cfg.total_timeout_ms = 400;
	cfg.max_attempts = 2;
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-8", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_TIMEOUT, "%s", r.message);
	cr_assert_eq(r.attempts, 2);
	cr_assert(strstr(r.message, "timed out"), "%s", r.message);
	/* both requests reached the payer: it may well act on them, hence
	 * the idempotency key */
	cr_assert_eq(log_lines(), 2);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_server_certificate_from_another_ca_fails_at_once)
{
	root_ca("rogue-ca");
	leaf("rogue", "rogue-ca", "IP:127.0.0.1,DNS:localhost", "serverAuth");
	start("rogue", "accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-9", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_TLS, "%s", r.message);
	cr_assert_eq(r.attempts, 1, "certificate errors are not retried");
	cr_assert_eq(log_lines(), 0, "nothing may reach an unverified server");
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_server_certificate_for_another_host_fails_at_once)
{
	leaf("misnamed", "ca", "DNS:payer.example", "serverAuth");
	start("misnamed", "accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-10", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_TLS, "%s", r.message);
	cr_assert_eq(r.attempts, 1);
	cr_assert_eq(log_lines(), 0);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_payer_that_requires_a_client_certificate)
{
	start("server", "accept", "--trust", ca_crt, "--require-client-cert", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-11", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_HTTP);
	cr_assert_eq(r.http_status, 403);
	cr_assert_eq(r.attempts, 1);
	cr_assert(log_has("cert=none status=403"));
	zt_gateway_result_free(&r);

	cfg.client_cert = client_crt;
	cfg.client_key = client_key;
	cr_assert_eq(zt_gateway_send(&cfg, "B-11", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_ACCEPTED);
	cr_assert(log_has("cert=verified status=200"));
	zt_gateway_result_free(&r);
}

/* A TLS-level refusal: with TLS 1.3 it reaches the client as an alert
 * after its handshake, on the first read, not as a handshake failure. */
Test(http_gateway, a_tls_refusal_for_want_of_a_client_certificate_is_not_retried)
{
	char crt[600], key[600];
	snprintf(crt, sizeof crt, "%s/server.crt", d);
	snprintf(key, sizeof key, "%s/server.key", d);
	const char *argv[] = {"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", crt,
	                      "-key", key, "-CAfile", ca_crt, "-Verify", "1", "-www", NULL};
	zt_test_server_start(&server, argv);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-17", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_TLS, "%s", r.message);
	cr_assert_eq(r.attempts, 1, "%s", r.message);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_client_certificate_without_its_key_is_a_configuration_error)
{
	struct zt_gateway_config cfg = http_cfg();
	cfg.client_cert = client_crt;
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-12", batch_xml, batch_sig, &r), ZT_EINVAL);
	cr_assert_eq(r.failure, ZT_GW_FAIL_CONFIG);
	cr_assert_eq(r.attempts, 0);
	cfg.client_key = "/nonexistent/client.key";
	cr_assert_eq(zt_gateway_send(&cfg, "B-12", batch_xml, batch_sig, &r), ZT_ENOTFOUND);
	cr_assert_eq(r.failure, ZT_GW_FAIL_CONFIG);
	cr_assert(strstr(r.message, "client key"), "%s", r.message);
	zt_gateway_result_free(&r);
}

Test(http_gateway, an_unreachable_payer_is_retried_then_reported)
{
	/* a port nobody listens on: bind, note it, close */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	server.port = ntohs(sa.sin_port);
	close(s);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-13", batch_xml, batch_sig, &r), ZT_EIO);
	cr_assert_eq(r.failure, ZT_GW_FAIL_NETWORK, "%s", r.message);
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(r.http_status, 0);
	zt_gateway_result_free(&r);
}

Test(http_gateway, only_https_urls_are_used)
{
	struct zt_gateway_config cfg = http_cfg();
	cfg.url = "http://127.0.0.1:9/batches";
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-14", batch_xml, batch_sig, &r), ZT_EINVAL);
	cr_assert_eq(r.failure, ZT_GW_FAIL_CONFIG);
	cr_assert_eq(r.attempts, 0);
	cr_assert(strstr(r.message, "https"), "%s", r.message);
	/* the payer answers an upload at once: there is nothing to poll */
	cr_assert_eq(zt_gateway_poll(&cfg, "B-14", &r), ZT_EINVAL);
	cr_assert_eq(r.failure, ZT_GW_FAIL_CONFIG);
	zt_gateway_result_free(&r);
}

Test(http_gateway, an_answer_that_is_no_ack_for_this_batch_is_an_error_not_a_retry)
{
	start("server", "garbage", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	cr_assert_lt(zt_gateway_send(&cfg, "B-15", batch_xml, batch_sig, &r), 0);
	cr_assert_eq(r.failure, ZT_GW_FAIL_ANSWER, "%s", r.message);
	cr_assert_eq(r.attempts, 1);
	zt_gateway_result_free(&r);
	stop();

	start("server", "otherbatch", NULL);
	cfg = http_cfg();
	cr_assert_eq(zt_gateway_send(&cfg, "B-15", batch_xml, batch_sig, &r), ZT_ECONFLICT);
	cr_assert_eq(r.failure, ZT_GW_FAIL_ANSWER);
	cr_assert(strstr(r.message, "OTHER-1"), "%s", r.message);
	zt_gateway_result_free(&r);
}

Test(http_gateway, a_missing_file_sends_nothing)
{
	start("server", "accept", NULL);
	struct zt_gateway_config cfg = http_cfg();
	struct zt_gateway_result r;
	char missing[700];
	snprintf(missing, sizeof missing, "%s/missing.sig", d);
	cr_assert_eq(zt_gateway_send(&cfg, "B-16", batch_xml, missing, &r), ZT_ENOTFOUND);
	cr_assert_eq(r.failure, ZT_GW_FAIL_LOCAL);
	cr_assert_eq(r.attempts, 0);
	cr_assert_eq(log_lines(), 0);
	zt_gateway_result_free(&r);
}

/* ---- folder -------------------------------------------------------- */

static void folder_setup(void)
{
	files();
	cr_assert_eq(mkdir(outbox, 0755), 0);
	cr_assert_eq(mkdir(inbox, 0755), 0);
}

TestSuite(folder_gateway, .init = folder_setup, .timeout = 30);

static struct zt_gateway_config folder_cfg(void)
{
	return (struct zt_gateway_config){.kind = "folder", .outbox_dir = outbox, .inbox_dir = inbox};
}

static void outbox_path(char *dst, const char *name)
{
	snprintf(dst, 700, "%s/%s", outbox, name);
}

/* Names in the outbox, sorted, space-separated. */
static void outbox_listing(char *dst, size_t cap)
{
	struct dirent **names;
	int n = scandir(outbox, &names, NULL, alphasort);
	cr_assert_geq(n, 0);
	dst[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			strncat(dst, names[i]->d_name, cap - strlen(dst) - 2);
			strcat(dst, " ");
		}
		free(names[i]);
	}
	free(names);
}

Test(folder_gateway, drops_the_file_and_its_signature_complete)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-2024-0001", batch_xml, batch_sig, &r), 0, "%s",
	             r.message);
	cr_assert_eq(r.status, ZT_GW_PENDING);
	char xml[700], sig[700], list[1024];
	outbox_path(xml, "B-2024-0001.xml");
	outbox_path(sig, "B-2024-0001.xml.sig");
	cr_assert(same_file(batch_xml, xml));
	cr_assert(same_file(batch_sig, sig));
	outbox_listing(list, sizeof list);
	cr_assert_str_eq(list, "B-2024-0001.xml B-2024-0001.xml.sig ");
	zt_gateway_result_free(&r);
}

Test(folder_gateway, dropping_the_same_batch_again_changes_nothing)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	char xml[700], sig[700], list[1024];
	outbox_path(xml, "B-1.xml");
	outbox_path(sig, "B-1.xml.sig");
	struct stat before_x, before_s, after_x, after_s;
	cr_assert_eq(stat(xml, &before_x), 0);
	cr_assert_eq(stat(sig, &before_s), 0);
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_PENDING);
	cr_assert(strstr(r.message, "already"), "%s", r.message);
	cr_assert_eq(stat(xml, &after_x), 0);
	cr_assert_eq(stat(sig, &after_s), 0);
	cr_assert_eq(before_x.st_ino, after_x.st_ino, "the file was rewritten");
	cr_assert_eq(before_s.st_ino, after_s.st_ino, "the signature was rewritten");
	outbox_listing(list, sizeof list);
	cr_assert_str_eq(list, "B-1.xml B-1.xml.sig ");
	zt_gateway_result_free(&r);
}

Test(folder_gateway, other_bytes_under_a_dropped_batch_id_are_refused)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	const char *other = zt_test_write("other.xml", "<settlement batch=\"B-1\">changed</settlement>\n");
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", other, batch_sig, &r), ZT_ECONFLICT);
	cr_assert_eq(r.failure, ZT_GW_FAIL_LOCAL);
	char xml[700], list[1024];
	outbox_path(xml, "B-1.xml");
	cr_assert(same_file(batch_xml, xml), "the dropped file must stay as it was");
	outbox_listing(list, sizeof list);
	cr_assert_str_eq(list, "B-1.xml B-1.xml.sig ");
	zt_gateway_result_free(&r);
}

Test(folder_gateway, a_new_signature_of_the_same_bytes_replaces_the_old_one)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	/* SM2 signatures differ on every run over the same bytes */
	const char *resigned = zt_test_write("resigned.sig", "another valid signature");
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, resigned, &r), 0, "%s", r.message);
	char sig[700];
	outbox_path(sig, "B-1.xml.sig");
	cr_assert(same_file(resigned, sig));
	zt_gateway_result_free(&r);
}

Test(folder_gateway, a_crash_before_the_rename_leaves_only_part_files_the_next_send_completes)
{
	/* what a crash between write and rename leaves behind: partial
	 * .part files, and no complete name the payer would pick up */
	char xml_part[700], sig_part[700], xml[700], sig[700], list[1024];
	outbox_path(xml_part, "B-1.xml.part");
	outbox_path(sig_part, "B-1.xml.sig.part");
	outbox_path(xml, "B-1.xml");
	outbox_path(sig, "B-1.xml.sig");
	FILE *f = fopen(xml_part, "wb");
	cr_assert(f);
	fputs("<settlement batch=\"B-1\"><rec", f); /* cut short */
	fclose(f);
	f = fopen(sig_part, "wb");
	cr_assert(f);
	fputs("\x01\x02", f);
	fclose(f);
	cr_assert(!exists(xml) && !exists(sig));

	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert(same_file(batch_xml, xml));
	cr_assert(same_file(batch_sig, sig));
	outbox_listing(list, sizeof list);
	cr_assert_str_eq(list, "B-1.xml B-1.xml.sig ", "no .part may remain");
	zt_gateway_result_free(&r);
}

Test(folder_gateway, part_files_left_after_a_complete_drop_are_cleaned_up)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	char xml_part[700], list[1024];
	outbox_path(xml_part, "B-1.xml.part");
	FILE *f = fopen(xml_part, "wb");
	cr_assert(f);
	fputs("half", f);
	fclose(f);
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	outbox_listing(list, sizeof list);
	cr_assert_str_eq(list, "B-1.xml B-1.xml.sig ");
	zt_gateway_result_free(&r);
}

Test(folder_gateway, a_batch_id_that_is_no_plain_name_is_refused)
{
	static const char *bad[] = {"../B-1", ".hidden", "B/1", "", "B 1", "B-1\r\nX-Evil: 1",
	                            "an-id-that-is-far-too-long-for-a-batch-0123456789012345678901234567890"};
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(zt_gateway_send(&cfg, bad[i], batch_xml, batch_sig, &r), ZT_EINVAL,
		             "'%s'", bad[i]);
		cr_assert_eq(r.failure, ZT_GW_FAIL_CONFIG);
	}
	char list[1024];
	outbox_listing(list, sizeof list);
	cr_assert_str_eq(list, "");
	zt_gateway_result_free(&r);
}

Test(folder_gateway, poll_is_pending_until_the_ack_arrives_then_reads_it)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), 0, "%s", r.message);
	cr_assert_eq(zt_gateway_poll(&cfg, "B-1", &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_PENDING);

	zt_test_write("inbox/B-1.ack.xml",
	              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	              "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"B-1\" status=\"rejected\" "
	              "receipt=\"PAY-2024-77\">\n"
	              "  <reject record=\"ZY-1/F2\" reason=\"参保信息不符\"/>\n"
	              "</ack>\n");
	cr_assert_eq(zt_gateway_poll(&cfg, "B-1", &r), 0, "%s", r.message);
	cr_assert_eq(r.status, ZT_GW_REJECTED);
	cr_assert_str_eq(r.receipt_id, "PAY-2024-77");
	cr_assert_eq(r.reject_count, 1);
	cr_assert_str_eq(r.rejects[0].record_id, "ZY-1/F2");
	cr_assert_str_eq(r.rejects[0].reason, "参保信息不符");
	zt_gateway_result_free(&r);

	/* another batch still has no answer */
	cr_assert_eq(zt_gateway_poll(&cfg, "B-2", &r), 0);
	cr_assert_eq(r.status, ZT_GW_PENDING);
	zt_gateway_result_free(&r);
}

Test(folder_gateway, a_hostile_or_foreign_ack_file_is_refused)
{
	struct zt_gateway_config cfg = folder_cfg();
	struct zt_gateway_result r;
	zt_test_write("inbox/B-1.ack.xml",
	              "<?xml version=\"1.0\"?>\n<!DOCTYPE ack [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	              "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"B-1\" status=\"accepted\" "
	              "receipt=\"&x;\"/>\n");
	cr_assert_eq(zt_gateway_poll(&cfg, "B-1", &r), ZT_EMALFORMED);
	cr_assert_eq(r.failure, ZT_GW_FAIL_ANSWER);
	zt_test_write("inbox/B-2.ack.xml",
	              "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"B-9\" status=\"accepted\" "
	              "receipt=\"R\"/>");
	cr_assert_eq(zt_gateway_poll(&cfg, "B-2", &r), ZT_ECONFLICT);
	zt_gateway_result_free(&r);
}

Test(folder_gateway, a_missing_outbox_is_a_configuration_error)
{
	struct zt_gateway_config cfg = folder_cfg();
	cfg.outbox_dir = "/nonexistent/outbox";
	struct zt_gateway_result r;
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), ZT_EINVAL);
	cr_assert_eq(r.failure, ZT_GW_FAIL_CONFIG);
	cfg.kind = "sftp";
	cr_assert_eq(zt_gateway_send(&cfg, "B-1", batch_xml, batch_sig, &r), ZT_EINVAL);
	cr_assert(strstr(r.message, "sftp"), "%s", r.message);
	zt_gateway_result_free(&r);
}

/* ---- the ack format ------------------------------------------------ */

static int ack(struct zt_gateway_result *r, const char *xml)
{
	memset(r, 0, sizeof *r);
	return zt_gateway_parse_ack(r, xml, strlen(xml), "ack.xml", "B-1");
}

#define NS "xmlns=\"urn:zhitong:payer-ack:1\" "

Test(payer_ack, accepted_with_a_receipt)
{
	struct zt_gateway_result r;
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"accepted\" receipt=\"R-1\"/>"), 0,
	             "%s", zt_error_last());
	cr_assert_eq(r.status, ZT_GW_ACCEPTED);
	cr_assert_str_eq(r.receipt_id, "R-1");
	zt_gateway_result_free(&r);
}

Test(payer_ack, breaking_the_rules_of_the_format_is_refused)
{
	struct zt_gateway_result r;
	/* accepted, yet listing rejects */
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"accepted\" receipt=\"R\">"
	                     "<reject record=\"X\" reason=\"no\"/></ack>"),
	             ZT_EINVAL);
	/* records accepted but no receipt */
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"accepted\"/>"), ZT_EINVAL);
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"rejected\">"
	                     "<reject record=\"X\" reason=\"no\"/></ack>"),
	             ZT_EINVAL);
	/* schema: unknown status, a record rejected twice, wrong namespace */
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"maybe\" receipt=\"R\"/>"), ZT_EINVAL);
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"rejected\" receipt=\"R\">"
	                     "<reject record=\"X\" reason=\"a\"/><reject record=\"X\" reason=\"b\"/></ack>"),
	             ZT_EINVAL);
	cr_assert_eq(ack(&r, "<ack batch=\"B-1\" status=\"accepted\" receipt=\"R\"/>"), ZT_EINVAL);
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\""), ZT_EMALFORMED);
	cr_assert_null(r.rejects);
	zt_gateway_result_free(&r);
}

/* Found by fuzzing (tests/fuzz/regressions/payer_ack/): a character
 * reference in a reason (&#9;, &#10;, &#x200B; …) survives the
 * normalisation of attribute values and the schema's xs:string, and the
 * reason went on into the batch's answer, its stored rejects and the
 * message people read. A reason is one line of visible text (text.h): an
 * answer holding another one is refused whole. */
Test(payer_ack, a_reason_that_is_not_one_visible_line_is_refused)
{
	static const struct {
		const char *text; /* as written in the attribute */
		const char *why;  /* in the message */
	} bad[] = {
		{"refused&#10;twice", "control character (U+000A)"},
		{"tab&#9;bed", "control character (U+0009)"},
		{"cr&#13;", "control character (U+000D)"},
		{"next&#x85;line", "control character (U+0085)"},
		{"zero&#x200B;width", "invisible character (U+200B ZERO WIDTH SPACE)"},
		{"abc&#x202E;fed", "invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"line&#x2028;separator", "invisible character (U+2028 LINE SEPARATOR)"},
		{"bom&#xFEFF;", "invisible character (U+FEFF ZERO WIDTH NO-BREAK SPACE)"},
		{"non&#xFDD0;character", "noncharacter (U+FDD0)"},
	};
	struct zt_gateway_result r;
	char xml[1024];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		/* the whole batch refused with a reason */
		snprintf(xml, sizeof xml, "<ack " NS "batch=\"B-1\" status=\"rejected\" reason=\"%s\"/>",
		         bad[i].text);
		cr_expect_eq(ack(&r, xml), ZT_EINVAL, "accepted: %s", xml);
		cr_expect_eq(r.failure, ZT_GW_FAIL_ANSWER);
		cr_expect(strstr(r.message, "ack.xml: the reason holds") && strstr(r.message, bad[i].why),
		          "%s: %s", bad[i].text, r.message);
		/* one record of several refused with it */
		snprintf(xml, sizeof xml,
		         "<ack " NS "batch=\"B-1\" status=\"rejected\" receipt=\"R\">"
		         "<reject record=\"ZY-1/1\" reason=\"fine\"/>"
		         "<reject record=\"ZY-1/2\" reason=\"%s\"/></ack>",
		         bad[i].text);
		cr_expect_eq(ack(&r, xml), ZT_EINVAL, "accepted: %s", xml);
		cr_expect_null(r.rejects);
		cr_expect_eq(r.reject_count, 0);
		cr_expect(strstr(r.message, "the reason of record 'ZY-1/2' holds") &&
		              strstr(r.message, bad[i].why),
		          "%s: %s", bad[i].text, r.message);
		/* nothing invisible reaches the message */
		cr_expect_eq(zt_text_check(NULL, r.message, strlen(r.message), (size_t)-1, ZT_TEXT_LINE),
		             0, "%s", r.message);
	}
	/* visible text with inner spaces, CJK and references is a reason */
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"rejected\" receipt=\"R\">"
	                     "<reject record=\"ZY-1/2\" reason=\"参保信息不符 &amp; &#x4e00;\"/></ack>"),
	             0, "%s", r.message);
	cr_expect_str_eq(r.rejects[0].reason, "参保信息不符 & 一");
	zt_gateway_result_free(&r);
	/* literal line breaks in an attribute are spaces to XML already */
	cr_assert_eq(ack(&r, "<ack " NS "batch=\"B-1\" status=\"rejected\" reason=\"a\nb\tc\"/>"), 0,
	             "%s", r.message);
	cr_expect_str_eq(r.message, "batch 'B-1' rejected: a b c");
	zt_gateway_result_free(&r);
}

Test(payer_ack, a_long_reason_is_cut_at_a_character_boundary)
{
	/* 255 three-byte characters: within the schema, longer than the field */
	char reason[255 * 3 + 1] = "";
	for (int i = 0; i < 255; i++)
		strcat(reason, "拒");
	char xml[2048];
	snprintf(xml, sizeof xml,
	         "<ack " NS "batch=\"B-1\" status=\"rejected\" receipt=\"R\">"
	         "<reject record=\"X\" reason=\"%s\"/></ack>",
	         reason);
	struct zt_gateway_result r;
	cr_assert_eq(ack(&r, xml), 0, "%s", zt_error_last());
	cr_assert_eq(r.reject_count, 1);
	size_t n = strlen(r.rejects[0].reason);
	cr_assert_eq(n, 255 - 255 % 3, "cut to whole characters, got %zu bytes", n);
	cr_assert_eq(strncmp(r.rejects[0].reason, reason, n), 0);
	zt_gateway_result_free(&r);
}

/* ---- the payer port (payer_port.h): the gateways as the engine sees them -- */

#include "zhitong/config.h"
#include "zhitong/payer_port.h"

/* A port over `text` (a configuration), bound to fund 390100; *name its
 * gateway. */
static struct zt_config *bound_port(struct zt_gateway_port *gp, const char *text,
                                    const char **name)
{
	struct zt_config *cfg = NULL;
	cr_assert_eq(zt_config_parse(&cfg, "port.conf", text, strlen(text)), 0, "%s",
	             zt_error_last());
	zt_gateway_port_init(gp, cfg);
	cr_assert_eq(gp->port.bind(gp->port.ctx, "390100", name), 0, "%s", zt_error_last());
	return cfg;
}

static void port_end(struct zt_gateway_port *gp, struct zt_config *cfg)
{
	zt_gateway_port_free(gp);
	zt_config_free(cfg);
}

/* The folder gateway of fund 390100. */
static struct zt_config *folder_port(struct zt_gateway_port *gp)
{
	char text[2048];
	const char *name;
	snprintf(text, sizeof text, "[fund 390100]\ngateway = folder\noutbox = %s\ninbox = %s\n",
	         outbox, inbox);
	struct zt_config *cfg = bound_port(gp, text, &name);
	cr_assert_str_eq(name, "folder");
	return cfg;
}

TestSuite(payer_port, .init = folder_setup, .timeout = 30);

Test(payer_port, bind_chooses_the_funds_gateway_or_refuses_a_fund_without_one)
{
	struct zt_gateway_port gp;
	const char *name = NULL;
	struct zt_config *cfg = folder_port(&gp);
	cr_assert_eq(gp.port.bind(gp.port.ctx, "610100", &name), ZT_EINVAL);
	cr_assert(strstr(zt_error_last(), "no gateway for fund 610100"), "%s", zt_error_last());
	cr_assert_null(name);
	port_end(&gp, cfg);
}

Test(payer_port, a_drop_is_pending_and_the_polled_ack_is_the_engines_answer)
{
	struct zt_gateway_port gp;
	struct zt_batch_answer a;
	struct zt_config *cfg = folder_port(&gp);
	cr_assert_eq(gp.port.send(gp.port.ctx, "B-1", batch_xml, batch_sig, &a), 0, "%s",
	             zt_error_last());
	cr_assert_eq(a.outcome, ZT_BATCH_OUT_PENDING);
	cr_assert_eq(gp.port.poll(gp.port.ctx, "B-1", &a), 0);
	cr_assert_eq(a.outcome, ZT_BATCH_OUT_PENDING);
	zt_test_write("inbox/B-1.ack.xml",
	              "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"B-1\" status=\"rejected\" "
	              "receipt=\"PAY-9\">\n  <reject record=\"S1/1\" reason=\"not insured\"/>\n"
	              "</ack>\n");
	cr_assert_eq(gp.port.poll(gp.port.ctx, "B-1", &a), 0, "%s", zt_error_last());
	cr_assert_eq(a.outcome, ZT_BATCH_OUT_REJECTED);
	cr_assert_str_eq(a.receipt, "PAY-9");
	cr_assert_eq(a.reject_count, 1);
	cr_assert_str_eq(a.rejects[0].record_id, "S1/1");
	cr_assert_str_eq(a.rejects[0].reason, "not insured");
	cr_assert_null(a.gateway, "the engine names the bound gateway");
	port_end(&gp, cfg);
}

Test(payer_port, a_failure_before_anything_left_is_no_answer)
{
	struct zt_gateway_port gp;
	struct zt_batch_answer a;
	struct zt_config *cfg = folder_port(&gp);
	cr_assert_lt(gp.port.send(gp.port.ctx, "B-1", tmp_path("missing.xml"), batch_sig, &a), 0);
	port_end(&gp, cfg);
}

Test(payer_port, a_payer_out_of_reach_is_a_failed_hand_over_with_its_code)
{
	struct zt_gateway_port gp;
	struct zt_batch_answer a;
	const char *name;
	struct zt_config *cfg = bound_port(&gp, "[fund 390100]\ngateway = http\n"
	                                   "url = https://127.0.0.1:1/batches\nmax-attempts = 1\n"
	                                   "connect-timeout-ms = 2000\n", &name);
	cr_assert_str_eq(name, "http");
	cr_assert_eq(gp.port.send(gp.port.ctx, "B-1", batch_xml, batch_sig, &a), 0);
	cr_assert_eq(a.outcome, ZT_BATCH_OUT_FAILED);
	cr_assert_lt(a.error, 0);
	cr_assert_gt(strlen(a.message), 0);
	port_end(&gp, cfg);
}

Test(payer_port, an_ack_by_hand_reads_as_the_same_answers)
{
	struct zt_gateway_port gp;
	struct zt_batch_answer a;
	zt_gateway_port_init(&gp, NULL);
	const char *accepted = "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"B-1\" "
	                       "status=\"accepted\" receipt=\"R-1\"/>";
	cr_assert_eq(zt_gateway_port_ack(&gp, accepted, strlen(accepted), "a.xml", "B-1", &a), 0,
	             "%s", zt_error_last());
	cr_assert_eq(a.outcome, ZT_BATCH_OUT_ACCEPTED);
	cr_assert_str_eq(a.receipt, "R-1");
	const char *refused = "<ack xmlns=\"urn:zhitong:payer-ack:1\" batch=\"B-1\" "
	                      "status=\"rejected\" reason=\"bad signature\"/>";
	cr_assert_eq(zt_gateway_port_ack(&gp, refused, strlen(refused), "r.xml", "B-1", &a), 0, "%s",
	             zt_error_last());
	cr_assert_eq(a.outcome, ZT_BATCH_OUT_REFUSED);
	cr_assert(strstr(a.message, "bad signature"), "%s", a.message);
	cr_assert_eq(zt_gateway_port_ack(&gp, accepted, strlen(accepted), "a.xml", "B-9", &a),
	             ZT_ECONFLICT, "an ack for another batch");
	zt_gateway_port_free(&gp);
}
