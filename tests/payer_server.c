/* zhitong — a scripted HTTPS payer for the gateway tests (not installed).
 *
 *   payer_server --cert C --key K [--trust CA] [--require-client-cert]
 *                [--script A1,A2,...] [--log FILE] [--save DIR] [--lifetime S]
 *
 * Listens on 127.0.0.1, on a port the kernel picks, and prints that port
 * alone on one line on stdout. Each POST (multipart parts `file` and
 * `signature`) takes the next action of the script, the last one
 * repeating:
 *   accept                 200, ack accepted, receipt R-<n>
 *   reject:REC=why;REC=why 200, ack rejected listing those records
 *   refuse:why             200, ack rejecting the whole batch
 *   status:NNN             answer NNN with a text body
 *   sleep:MS               wait MS ms, then accept
 *   garbage                200 with a body that is no XML
 *   otherbatch             200, ack accepted for another batch
 *   reset                  no answer: the connection is reset (RST) after
 *                          the request was read
 * The ack's batch is the request's Idempotency-Key. With
 * --require-client-cert, a request without a client certificate that
 * chains to --trust gets 403. Each request appends one line to --log:
 *   n=1 idem=B-1 file=123 signature=64 cert=none|verified status=200
 * and with --save the parts are kept as DIR/<n>.file and DIR/<n>.signature.
 * Stops when stdin reaches end of file (the test closing its pipe, or
 * dying) and in any case after --lifetime seconds (default 60). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "server_args.h"

#define ACTIONS_MAX 32
#define BODY_BYTES_MAX (64u * 1024u * 1024u)

static char *actions[ACTIONS_MAX];
static int action_count;
static const char *log_path, *save_dir;
static bool require_cert;
static atomic_int requests;
static atomic_bool stopping;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

struct req {
	int n;
	struct MHD_PostProcessor *pp;
	size_t file_bytes, sig_bytes, body_bytes;
	FILE *file_out, *sig_out;
	char idem[128];
	const char *cert;
	bool bad; /* not a POST, not multipart, too big */
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "payer_server: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	static char empty[1];
	char *buf = NULL;
	size_t len = 0, cap = 0, r;
	char chunk[4096];
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + r + 1 > cap) {
			cap = (len + r + 1) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				exit(2);
		}
		memcpy(buf + len, chunk, r);
		len += r;
	}
	fclose(f);
	if (!buf)
		return empty;
	buf[len] = '\0';
	return buf;
}

static const char *verify_client(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return "none";
	gnutls_session_t s = (gnutls_session_t)ci->tls_session;
	unsigned int n = 0;
	if (!gnutls_certificate_get_peers(s, &n) || n == 0)
		return "none";
	unsigned int status = 0;
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
		return "invalid";
	return "verified";
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding, (void)off;
	struct req *r = cls;
	FILE *out = NULL;
	if (strcmp(key, "file") == 0) {
		r->file_bytes += size;
		out = r->file_out;
	} else if (strcmp(key, "signature") == 0) {
		r->sig_bytes += size;
		out = r->sig_out;
	}
	if (out && size && fwrite(data, 1, size, out) != size)
		return MHD_NO;
	return MHD_YES;
}

static void xml_escape(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 7 < cap; src++) {
		const char *e = NULL;
		switch (*src) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		}
		if (e) {
			memcpy(dst + n, e, strlen(e));
			n += strlen(e);
		} else {
			dst[n++] = *src;
		}
	}
	dst[n] = '\0';
}

/* Builds the answer for request `r` with action `a`; returns the status. */
static unsigned int answer(const struct req *r, const char *a, char *body, size_t cap)
{
	char batch[300];
	xml_escape(batch, sizeof batch, r->idem);
	const char *ns = "urn:zhitong:payer-ack:1";
	if (strncmp(a, "status:", 7) == 0) {
		unsigned int st = (unsigned int)atoi(a + 7);
		snprintf(body, cap, "scripted answer %u for request %d", st, r->n);
		return st;
	}
	if (strncmp(a, "sleep:", 6) == 0) {
		long ms = atol(a + 6);
		for (long slept = 0; slept < ms && !atomic_load(&stopping); slept += 20)
			usleep(20000);
		a = "accept";
	}
	if (strcmp(a, "accept") == 0) {
		snprintf(body, cap,
		         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		         "<ack xmlns=\"%s\" batch=\"%s\" status=\"accepted\" receipt=\"R-%d\"/>\n",
		         ns, batch, r->n);
	} else if (strcmp(a, "otherbatch") == 0) {
		snprintf(body, cap, "<ack xmlns=\"%s\" batch=\"OTHER-1\" status=\"accepted\" receipt=\"R-%d\"/>",
		         ns, r->n);
	} else if (strcmp(a, "garbage") == 0) {
		snprintf(body, cap, "<html><body>gateway error page</body>");
	} else if (strncmp(a, "refuse:", 7) == 0) {
		char why[600];
		xml_escape(why, sizeof why, a + 7);
		snprintf(body, cap, "<ack xmlns=\"%s\" batch=\"%s\" status=\"rejected\" reason=\"%s\"/>",
		         ns, batch, why);
	} else if (strncmp(a, "reject:", 7) == 0) {
		size_t n = (size_t)snprintf(body, cap,
		                            "<ack xmlns=\"%s\" batch=\"%s\" status=\"rejected\" receipt=\"R-%d\">",
		                            ns, batch, r->n);
		char *list = strdup(a + 7), *save = NULL;
		for (char *item = strtok_r(list, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(item, '=');
			if (!eq)
				continue;
			*eq = '\0';
			char rec[300], why[600];
			xml_escape(rec, sizeof rec, item);
			xml_escape(why, sizeof why, eq + 1);
			n += (size_t)snprintf(body + n, cap - n, "<reject record=\"%s\" reason=\"%s\"/>",
			                      rec, why);
		}
		free(list);
		snprintf(body + n, cap - n, "</ack>");
	} else {
		snprintf(body, cap, "unknown scripted action '%s'", a);
		return 500;
	}
	return 200;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
	(void)cls, (void)url, (void)version;
	struct req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->n = atomic_fetch_add(&requests, 1) + 1;
		const char *idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
		snprintf(r->idem, sizeof r->idem, "%s", idem ? idem : "");
		r->cert = verify_client(c);
		if (strcmp(method, "POST") != 0) {
			r->bad = true;
			return MHD_YES;
		}
		r->pp = MHD_create_post_processor(c, 64 * 1024, on_part, r);
		if (!r->pp)
			r->bad = true;
		if (save_dir) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%d.file", save_dir, r->n);
			r->file_out = fopen(p, "wb");
			snprintf(p, sizeof p, "%s/%d.signature", save_dir, r->n);
			r->sig_out = fopen(p, "wb");
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		r->body_bytes += *upload_data_size;
		if (r->body_bytes > BODY_BYTES_MAX)
			r->bad = true;
		if (!r->bad && r->pp && MHD_post_process(r->pp, upload_data, *upload_data_size) != MHD_YES)
			r->bad = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->file_out)
		fclose(r->file_out);
	if (r->sig_out)
		fclose(r->sig_out);
	r->file_out = r->sig_out = NULL;

	const size_t cap = 1 << 16;
	char *text = malloc(cap);
	if (!text)
		return MHD_NO;
	unsigned int status = 0;
	const char *a = actions[(r->n < action_count ? r->n : action_count) - 1];
	if (r->bad) {
		status = 400;
		snprintf(text, cap, "bad request");
	} else if (require_cert && strcmp(r->cert, "verified") != 0) {
		status = 403;
		snprintf(text, cap, "client certificate required (%s)", r->cert);
	}
	/* Log before answering: by the time the client has its answer, the
	 * test can read the line (the sleep action logs before it sleeps). */
	char st[16];
	if (status)
		snprintf(st, sizeof st, "%u", status);
	else
		snprintf(st, sizeof st, "%s", strncmp(a, "status:", 7) == 0 ? a + 7
		                              : strcmp(a, "reset") == 0      ? "reset"
		                                                               : "200");
	if (log_path) {
		pthread_mutex_lock(&log_lock);
		FILE *f = fopen(log_path, "a");
		if (f) {
			fprintf(f, "n=%d idem=%s file=%zu signature=%zu cert=%s status=%s\n", r->n,
			        r->idem, r->file_bytes, r->sig_bytes, r->cert, st);
			fclose(f);
		}
		pthread_mutex_unlock(&log_lock);
	}
	if (status == 0 && strcmp(a, "reset") == 0) {
		/* an abortive close: SO_LINGER 0 makes the kernel send RST */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci) {
			struct linger lg = {1, 0};
			setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		free(text);
		return MHD_NO;
	}
	if (status == 0)
		status = answer(r, a, text, cap);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	                        status == 200 ? "application/xml" : "text/plain");
	enum MHD_Result ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	struct req *r = *con_cls;
	if (!r)
		return;
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	if (r->file_out)
		fclose(r->file_out);
	if (r->sig_out)
		fclose(r->sig_out);
	free(r);
	*con_cls = NULL;
}

static const char *cert, *key, *trust;
static char *script;
static unsigned int lifetime = 60;

static bool option(const char *a, const char *v)
{
	if (!strcmp(a, "--require-client-cert"))
		require_cert = true;
	else if (!strcmp(a, "--cert"))
		cert = v;
	else if (!strcmp(a, "--key"))
		key = v;
	else if (!strcmp(a, "--trust"))
		trust = v;
	else if (!strcmp(a, "--script"))
		free(script), script = strdup(v);
	else if (!strcmp(a, "--log"))
		log_path = v;
	else if (!strcmp(a, "--save"))
		save_dir = v;
	else if (!strcmp(a, "--lifetime"))
		lifetime = (unsigned int)atoi(v);
	else
		return false;
	return true;
}

int main(int argc, char **argv)
{
	static const char *const flags[] = {"--require-client-cert", NULL};
	script = strdup("accept");
	int rc = zt_server_args("payer_server", argc, argv, flags, option);
	if (rc)
		return rc;
	if (!cert || !key) {
		fprintf(stderr, "payer_server: --cert and --key are required\n");
		return 2;
	}
	char *save = NULL;
	for (char *t = strtok_r(script, ",", &save); t && action_count < ACTIONS_MAX;
	     t = strtok_r(NULL, ",", &save))
		actions[action_count++] = t;
	if (action_count == 0)
		actions[action_count++] = "accept";

	/* the hard stop, whatever happens to the test that started us */
	alarm(lifetime);
	signal(SIGPIPE, SIG_IGN);

	char *cert_pem = slurp(cert), *key_pem = slurp(key), *trust_pem = trust ? slurp(trust) : NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_SOCK_ADDR, 0, &sa},
		{MHD_OPTION_HTTPS_MEM_CERT, 0, cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, key_pem},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, 10, NULL},
		/* asks for (does not demand) a client certificate; handler checks */
		{trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, trust_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, handler, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "payer_server: cannot start the daemon\n");
		return 1;
	}
	zt_server_print_port(d);

	char buf[256];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	atomic_store(&stopping, true);
	MHD_stop_daemon(d);
	/* slurp() returns a static empty string for an empty file */
	if (cert_pem[0])
		free(cert_pem);
	if (key_pem[0])
		free(key_pem);
	if (trust_pem && trust_pem[0])
		free(trust_pem);
	free(script);
	return 0;
}
