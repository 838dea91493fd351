/* zhitong — the HTTPS payer gateway (libcurl; docs/spec/background-formats.md §6). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "gateway_int.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TOTAL_TIMEOUT_MS 300000L
#define DEFAULT_MAX_ATTEMPTS 5
#define DEFAULT_BACKOFF_INITIAL_MS 200L
#define DEFAULT_BACKOFF_MAX_MS 30000L
/* Whatever the configuration says: a typo of 500 attempts would hammer
 * the payer for hours. */
#define ATTEMPTS_MAX 20

/* The configuration with its defaults filled in. */
struct plan {
	long connect_timeout_ms, total_timeout_ms, backoff_initial_ms, backoff_max_ms;
	int max_attempts;
};

struct body {
	char *p;
	size_t len, cap;
	bool overflow;
};

/* What one request came back with. */
struct attempt {
	CURLcode cc;
	long status;
	curl_off_t retry_after_s;
	char err[CURL_ERROR_SIZE];
	struct body body;
};

static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;
	if (n > ZT_PAYER_ACK_BYTES_MAX - b->len) {
		b->overflow = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->overflow = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static bool curl_transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool curl_tls(CURLcode c, const char *err)
{
	/* With TLS 1.3 the server judges the client certificate after the
	 * client has finished its handshake, so a refusal arrives as an alert
	 * on the first read or write ("tlsv13 alert certificate required"):
	 * a deliberate no, not a broken connection. */
	if ((c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR) && strstr(err, " alert "))
		return true;
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* Answers that say "not processed, try again": request timeout, too many
 * requests, and server errors except "not implemented", which will not
 * change by waiting. */
static bool http_transient(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599 && s != 501);
}

static int make_plan(struct plan *p, const struct zt_gateway_config *cfg,
                     struct zt_gateway_result *out)
{
	if (!cfg->url || strncasecmp(cfg->url, "https://", 8) != 0)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
		                  "http gateway: the url must be https://");
	if (!cfg->client_cert != !cfg->client_key)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
		                  "http gateway: a client certificate needs its key and vice versa");
	if (cfg->connect_timeout_ms < 0 || cfg->total_timeout_ms < 0 || cfg->max_attempts < 0 ||
	    cfg->max_attempts > ATTEMPTS_MAX || cfg->backoff_initial_ms < 0 ||
	    cfg->backoff_max_ms < 0)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
		                  "http gateway: timeouts and back-off must be >= 0 ms and attempts "
		                  "0-%d",
		                  ATTEMPTS_MAX);
	p->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms
	                                                : DEFAULT_CONNECT_TIMEOUT_MS;
	p->total_timeout_ms = cfg->total_timeout_ms ? cfg->total_timeout_ms : DEFAULT_TOTAL_TIMEOUT_MS;
	p->max_attempts = cfg->max_attempts ? cfg->max_attempts : DEFAULT_MAX_ATTEMPTS;
	p->backoff_initial_ms = cfg->backoff_initial_ms ? cfg->backoff_initial_ms
	                                                : DEFAULT_BACKOFF_INITIAL_MS;
	p->backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
	if (p->backoff_initial_ms > p->backoff_max_ms)
		p->backoff_initial_ms = p->backoff_max_ms;
	return 0;
}

/* The wait before attempt `done + 1`: doubling from the initial value up
 * to the cap, half of it random ("equal jitter") so that many senders
 * that failed together do not retry in step; a longer Retry-After from
 * the payer wins, up to the cap. */
static long backoff_ms(const struct plan *p, int done, curl_off_t retry_after_s)
{
	long d = p->backoff_initial_ms;
	for (int i = 1; i < done && d < p->backoff_max_ms; i++)
		d *= 2;
	if (d > p->backoff_max_ms)
		d = p->backoff_max_ms;
	unsigned int r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (unsigned int)time(NULL) * 2654435761u + (unsigned int)done;
	d = d / 2 + (long)(r % (unsigned long)(d / 2 + 1));
	if (retry_after_s > 0) {
		long ra = retry_after_s >= p->backoff_max_ms / 1000 ? p->backoff_max_ms
		                                                    : (long)retry_after_s * 1000;
		if (ra > d)
			d = ra;
	}
	return d;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#define SETOPT(h, opt, val)                                                          \
	do {                                                                         \
		if ((cc = curl_easy_setopt(h, opt, val)) != CURLE_OK)                \
			goto setopt_failed;                                          \
	} while (0)

/* One POST. Returns 0 with the outcome in *a, or < 0 if the request could
 * not even be set up. */
static int one_attempt(struct attempt *a, const struct zt_gateway_config *cfg,
                       const struct plan *p, const char *batch_id, const char *file_path,
                       const char *sig_path, struct zt_gateway_result *out)
{
	CURL *h = NULL;
	curl_mime *mime = NULL;
	struct curl_slist *hdrs = NULL, *more;
	curl_mimepart *part;
	CURLcode cc = CURLE_OK;
	char idem[128];
	int rc = 0;
	a->err[0] = '\0';
	h = curl_easy_init();
	if (!h) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ENOMEM, "cannot create a curl handle");
		goto done;
	}
	mime = curl_mime_init(h);
	if (!mime) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ENOMEM, "out of memory");
		goto done;
	}
	/* curl opens and streams each part from disk when it sends it */
	if (!(part = curl_mime_addpart(mime)) || curl_mime_name(part, "file") ||
	    curl_mime_filedata(part, file_path) || curl_mime_type(part, "application/xml") ||
	    !(part = curl_mime_addpart(mime)) || curl_mime_name(part, "signature") ||
	    curl_mime_filedata(part, sig_path) ||
	    curl_mime_type(part, "application/octet-stream")) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ENOMEM, "cannot build the upload");
		goto done;
	}
	snprintf(idem, sizeof idem, "Idempotency-Key: %s", batch_id);
	/* An empty Expect: stops curl waiting up to 1 s for "100 Continue". */
	const char *lines[] = {idem, "Expect:", "Accept: application/xml"};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		if (!(more = curl_slist_append(hdrs, lines[i]))) {
			rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ENOMEM, "out of memory");
			goto done;
		}
		hdrs = more;
	}
	SETOPT(h, CURLOPT_URL, cfg->url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L); /* a redirected POST is an answer, not a route */
	SETOPT(h, CURLOPT_MIMEPOST, mime);
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	SETOPT(h, CURLOPT_USERAGENT, "zhitong-gateway/1");
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (cfg->ca_file)
		SETOPT(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->client_cert) {
		SETOPT(h, CURLOPT_SSLCERT, cfg->client_cert);
		SETOPT(h, CURLOPT_SSLCERTTYPE, "PEM");
		SETOPT(h, CURLOPT_SSLKEY, cfg->client_key);
		SETOPT(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, p->connect_timeout_ms);
	SETOPT(h, CURLOPT_TIMEOUT_MS, p->total_timeout_ms);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for timeouts: safe in threads */
	SETOPT(h, CURLOPT_ERRORBUFFER, a->err);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &a->body);

	a->cc = curl_easy_perform(h);
	a->status = 0;
	a->retry_after_s = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &a->retry_after_s);
	if (!a->err[0])
		snprintf(a->err, sizeof a->err, "%s", curl_easy_strerror(a->cc));
	goto done;
setopt_failed:
	rc = zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL, "http gateway: libcurl refused an option: %s",
	                curl_easy_strerror(cc));
done:
	curl_slist_free_all(hdrs);
	curl_mime_free(mime);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

/* The start of an error body, on one line, for the message. */
static void snippet(char *dst, size_t cap, const struct body *b)
{
	size_t n = 0;
	for (; n < b->len && n + 1 < cap; n++) {
		unsigned char c = (unsigned char)b->p[n];
		dst[n] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	/* cut short inside a UTF-8 character: drop all of it */
	while (n > 0 && n < b->len && ((unsigned char)b->p[n] & 0xC0) == 0x80)
		n--;
	dst[n] = '\0';
}

int zt_gw_http_send(const struct zt_gateway_config *cfg, const char *batch_id,
                    const char *file_path, const char *sig_path, struct zt_gateway_result *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct plan p = {0};
	struct attempt a = {0};
	size_t size;
	int rc;
	if ((rc = make_plan(&p, cfg, out)))
		return rc;
	const char *files[] = {cfg->ca_file, cfg->client_cert, cfg->client_key};
	const char *what[] = {"CA file", "client certificate", "client key"};
	for (int i = 0; i < 3; i++)
		if (files[i] && (rc = zt_gw_check_input(out, &size, what[i], files[i]))) {
			out->failure = ZT_GW_FAIL_CONFIG;
			return rc;
		}
	if ((rc = zt_gw_check_input(out, &size, "batch file", file_path)) ||
	    (rc = zt_gw_check_input(out, &size, "signature", sig_path)))
		return rc;
	pthread_once(&once, global_init);

	for (;;) {
		free(a.body.p);
		memset(&a, 0, sizeof a);
		if ((rc = one_attempt(&a, cfg, &p, batch_id, file_path, sig_path, out)))
			goto done;
		out->attempts++;
		out->http_status = (int)a.status;
		bool last = out->attempts >= p.max_attempts;
		if (a.cc == CURLE_OK && a.status >= 200 && a.status <= 299) {
			char name[64];
			snprintf(name, sizeof name, "payer answer (HTTP %ld)", a.status);
			rc = zt_gateway_parse_ack(out, a.body.p ? a.body.p : "", a.body.len, name, batch_id);
			goto done;
		}
		if (a.cc == CURLE_OK) {
			char text[160];
			snippet(text, sizeof text, &a.body);
			if (!http_transient(a.status) || last) {
				char when[32] = "(not retried)";
				if (http_transient(a.status))
					snprintf(when, sizeof when, "after %d attempts", out->attempts);
				rc = zt_gw_fail(out, ZT_GW_FAIL_HTTP, ZT_EIO,
				                "batch '%s': the payer answered HTTP %ld %s: %s", batch_id,
				                a.status, when, text);
				goto done;
			}
		} else if (a.body.overflow) {
			rc = zt_gw_fail(out, ZT_GW_FAIL_ANSWER, ZT_EIO,
			                "batch '%s': the payer's answer exceeds %u bytes", batch_id,
			                (unsigned)ZT_PAYER_ACK_BYTES_MAX);
			goto done;
		} else if (curl_tls(a.cc, a.err) || !curl_transient(a.cc)) {
			bool tls = curl_tls(a.cc, a.err);
			rc = zt_gw_fail(out, tls ? ZT_GW_FAIL_TLS : ZT_GW_FAIL_NETWORK, ZT_EIO,
			                "batch '%s': %s talking to the payer (not retried): %s", batch_id,
			                tls ? "TLS failure" : "failure", a.err);
			goto done;
		} else if (last) {
			bool timeout = a.cc == CURLE_OPERATION_TIMEDOUT;
			rc = zt_gw_fail(out, timeout ? ZT_GW_FAIL_TIMEOUT : ZT_GW_FAIL_NETWORK, ZT_EIO,
			                "batch '%s': %s after %d attempt%s: %s", batch_id,
			                timeout ? "the payer timed out" : "cannot reach the payer",
			                out->attempts, out->attempts == 1 ? "" : "s", a.err);
			goto done;
		}
		sleep_ms(backoff_ms(&p, out->attempts, a.retry_after_s));
	}
done:
	free(a.body.p);
	return rc;
}
