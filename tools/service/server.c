/* zhitong — the HTTP server: libmicrohttpd daemons, the life of a request,
 * answers, the request log, a clean stop (see service.h for the order of
 * the checks).
 *
 * Threads. libmicrohttpd runs in thread-per-connection mode
 * (MHD_USE_THREAD_PER_CONNECTION with an internal polling thread that only
 * accepts). Handlers block: a claim is committed and fsync'd before its
 * 2xx, and a bulk submission can run for minutes. In a thread pool or an
 * event loop, a blocked handler holds up every connection that shares its
 * thread: a desk would wait behind a bulk file, which the issue forbids
 * ("desks are never stuck behind bulk work"). With a thread per
 * connection, each connection waits only for its own work; how the work
 * itself is shared (group commit, chunks of a bulk file) is the store's
 * business, not the network's. The threads are bounded by
 * max-connections and max-connections-per-address; a thread costs its
 * stack's address space, not its size, until it is used.
 *
 * Paths are routed undecoded (libmicrohttpd's unescaping is turned off),
 * so "%2F" inside a claim number stays inside its segment; path and query
 * parameters are decoded here, after routing. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "ratelimit.h"
#include "service_int.h"
#include "zhitong/error.h"

#define EXTRA_HEADERS_MAX 8
#define ADDR_TEXT 64
/* A chunked body past its limit is still read (and thrown away) for this
 * much more, so that a client that overshoots a little gets its 413; a
 * client that keeps sending has its connection closed. */
#define DRAIN_BYTES_MIN (64u * 1024u)

/* ---- the service --------------------------------------------------------- */

struct listener {
	struct zt_service *s;
	struct MHD_Daemon *d;
	MHD_socket quiesced;
	bool metrics_only; /* --metrics-listen: /metrics and /healthz, no token */
	unsigned port;
	uint8_t addr[16];
	bool v4;
	unsigned want_port;
};

struct zt_service {
	struct zt_service_opts o;
	struct zt_routes routes;
	struct zt_metrics metrics;
	struct zt_cidrs trusted;
	struct zt_ratelimit *user_rl, *addr_rl;
	zt_authenticate_fn auth;
	void *auth_ctx;
	zt_session_fn session_auth;
	void *session_ctx;
	zt_health_fn health;
	void *health_ctx;
	/* a request found the store unreachable, none reached it since */
	_Atomic bool store_lost;
	size_t store_unavailable; /* the counter of the 503s (metrics) */
	char *cert_pem, *key_pem, *ca_pem;
	struct listener main, mon;
	bool has_mon, started, stopped;
	int log_fd;
	_Atomic bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int64_t running; /* requests begun and not completed, both listeners */
	uint32_t id_prefix;
	_Atomic uint32_t id_next;
};

/* What one TCP connection carries across its requests. */
struct conn {
	char peer[ADDR_TEXT];
	bool cert_checked, cert_ok;
	char *cert_subject;
};

struct kv {
	char *key, *value;
};

struct zt_request {
	struct zt_service *s;
	struct listener *l;
	struct MHD_Connection *c;
	struct conn *conn;
	const struct zt_route_entry *route;
	char id[17];
	char method[16];
	uint64_t start_us;
	struct kv params[ZT_ROUTE_SEGMENTS_MAX];
	size_t nparams;
	struct kv query[ZT_SERVICE_QUERY_PARAMS_MAX];
	size_t nquery;
	bool query_bad;
	struct zt_principal principal;
	bool authenticated;
	bool by_session;
	char operator_[ZT_ACTOR_BYTES];
	bool has_operator;
	char client[ADDR_TEXT];
	enum zt_format body_format;
	char *body;
	size_t body_len, body_cap, body_max, drained;
	bool too_big;
	bool has_body; /* Content-Length > 0 or chunked */
	/* the answer */
	unsigned status;
	struct MHD_Response *resp;
	struct kv extra[EXTRA_HEADERS_MAX];
	size_t nextra;
	bool queued;
	bool counted;     /* in /metrics and out of in_flight (account()) */
	const char *note; /* for the log line: why a 500 */
	/* a copy of the answer, for Idempotency-Key (zt_req_capture) */
	bool capture;
	char *cap_body;
	size_t cap_len;
	char cap_type[96];
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- options -------------------------------------------------------------- */

void zt_service_opts_init(struct zt_service_opts *o)
{
	memset(o, 0, sizeof *o);
	o->listen = ZT_SERVICE_LISTEN;
	o->tls_priorities = ZT_SERVICE_TLS_PRIORITIES;
	o->idle_timeout_s = ZT_SERVICE_IDLE_TIMEOUT_S;
	o->connections_max = ZT_SERVICE_CONNECTIONS_MAX;
	o->connections_per_address_max = ZT_SERVICE_CONNECTIONS_PER_ADDRESS_MAX;
	o->body_bytes_max = ZT_SERVICE_BODY_BYTES_MAX;
	o->user_rate_per_s = ZT_SERVICE_USER_RATE_PER_S;
	o->user_burst = ZT_SERVICE_USER_BURST;
	o->address_rate_per_s = ZT_SERVICE_ADDRESS_RATE_PER_S;
	o->address_burst = ZT_SERVICE_ADDRESS_BURST;
	o->stop_timeout_s = ZT_SERVICE_STOP_TIMEOUT_S;
}

static int cfg_unsigned(const struct zt_config *c, const char *key, unsigned *v, int64_t min,
                        int64_t max)
{
	int64_t x = 0;
	int rc = zt_config_int(c, "service", key, *v, min, max, &x);
	if (rc == 0)
		*v = (unsigned)x;
	return rc;
}

int zt_service_opts_config(struct zt_service_opts *o, const struct zt_config *c)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{"listen", offsetof(struct zt_service_opts, listen)},
		{"metrics-listen", offsetof(struct zt_service_opts, metrics_listen)},
		{"tls-cert", offsetof(struct zt_service_opts, tls_cert)},
		{"tls-key", offsetof(struct zt_service_opts, tls_key)},
		{"client-ca", offsetof(struct zt_service_opts, client_ca)},
		{"tls-priorities", offsetof(struct zt_service_opts, tls_priorities)},
		{"trusted-proxy", offsetof(struct zt_service_opts, trusted_proxies)},
		{"log", offsetof(struct zt_service_opts, log_path)},
	};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		const char *v = zt_config_get(c, "service", strs[i].key);
		if (v)
			*(const char **)((char *)o + strs[i].off) = v;
	}
	int rc;
	int64_t body = (int64_t)o->body_bytes_max;
	if ((rc = cfg_unsigned(c, "idle-timeout-s", &o->idle_timeout_s, 1, 3600)) ||
	    (rc = cfg_unsigned(c, "max-connections", &o->connections_max, 1, 100000)) ||
	    (rc = cfg_unsigned(c, "max-connections-per-address", &o->connections_per_address_max, 1,
	                       100000)) ||
	    (rc = zt_config_int(c, "service", "max-body-bytes", body, 1024, INT64_C(1) << 32, &body)) ||
	    (rc = cfg_unsigned(c, "user-rate-per-s", &o->user_rate_per_s, 0, 1000000)) ||
	    (rc = cfg_unsigned(c, "user-burst", &o->user_burst, 1, 1000000)) ||
	    (rc = cfg_unsigned(c, "address-rate-per-s", &o->address_rate_per_s, 0, 1000000)) ||
	    (rc = cfg_unsigned(c, "address-burst", &o->address_burst, 1, 1000000)) ||
	    (rc = cfg_unsigned(c, "stop-timeout-s", &o->stop_timeout_s, 1, 3600)))
		return rc;
	o->body_bytes_max = (size_t)body;
	/* check the list now, with the file's name in the message */
	struct zt_cidrs l;
	if (o->trusted_proxies && (rc = zt_cidrs_parse(&l, o->trusted_proxies)) != 0) {
		char m[ZT_MESSAGE_BYTES_MAX];
		snprintf(m, sizeof m, "%s", zt_error_last());
		return zt_error_set(rc, "%s: [service] %s", zt_config_path(c), m);
	}
	if (o->trusted_proxies)
		zt_cidrs_free(&l);
	return 0;
}

/* ---- set-up ------------------------------------------------------------------ */

/* A PEM file, whole. A private key readable by others is refused. */
static int read_pem(char **out, const char *path, const char *what, bool secret)
{
	int rc = 0;
	char *buf = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return zt_error_set(ZT_EINVAL, "%s '%s': %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > ZT_SERVICE_PEM_BYTES_MAX) {
		rc = zt_error_set(ZT_EINVAL, "%s '%s' is not a PEM file of at most 1 MiB", what, path);
		goto done;
	}
	if (secret && (st.st_mode & (S_IROTH | S_IWOTH))) {
		rc = zt_error_set(ZT_EINVAL, "%s '%s' can be read by everyone: chmod o-rw it", what, path);
		goto done;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		rc = zt_error_set(ZT_EIO, "%s '%s': cannot read it", what, path);
		goto done;
	}
	buf[st.st_size] = '\0';
	*out = buf;
	buf = NULL;
done:
	free(buf);
	fclose(f);
	return rc;
}

int zt_service_new(struct zt_service **out, const struct zt_service_opts *o)
{
	int rc = 0;
	struct zt_service *s = calloc(1, sizeof *s);
	if (!s)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	s->o = *o;
	s->log_fd = STDERR_FILENO;
	s->main.s = s->mon.s = s;
	s->main.quiesced = s->mon.quiesced = MHD_INVALID_SOCKET;
	s->mon.metrics_only = true;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (getrandom(&s->id_prefix, sizeof s->id_prefix, 0) != (ssize_t)sizeof s->id_prefix)
		s->id_prefix = (uint32_t)getpid() ^ (uint32_t)time(NULL);

	if ((rc = zt_listen_parse(s->main.addr, &s->main.v4, &s->main.want_port,
	                          o->listen ? o->listen : ZT_SERVICE_LISTEN)) != 0)
		goto fail;
	bool tls = o->tls_cert || o->tls_key;
	if (tls && !(o->tls_cert && o->tls_key)) {
		rc = zt_error_set(ZT_EINVAL, "TLS needs both a certificate and its key (--tls-cert and --tls-key)");
		goto fail;
	}
	if (o->client_ca && !tls) {
		rc = zt_error_set(ZT_EINVAL, "a client CA (--client-ca) needs TLS (--tls-cert and --tls-key)");
		goto fail;
	}
	if (!tls && !o->insecure_http && !zt_addr_is_loopback(s->main.addr, s->main.v4)) {
		rc = zt_error_set(ZT_EINVAL,
		                  "plain HTTP on '%s' is refused outside loopback: give --tls-cert and "
		                  "--tls-key, or --insecure-http when a TLS proxy on this host fronts it",
		                  o->listen);
		goto fail;
	}
	if (o->metrics_listen) {
		if ((rc = zt_listen_parse(s->mon.addr, &s->mon.v4, &s->mon.want_port, o->metrics_listen)))
			goto fail;
		if (!zt_addr_is_loopback(s->mon.addr, s->mon.v4)) {
			rc = zt_error_set(ZT_EINVAL, "the metrics listener '%s' must be on loopback (it has no token)",
			                  o->metrics_listen);
			goto fail;
		}
		s->has_mon = true;
	}
	if (tls && ((rc = read_pem(&s->cert_pem, o->tls_cert, "TLS certificate", false)) ||
	            (rc = read_pem(&s->key_pem, o->tls_key, "TLS key", true))))
		goto fail;
	if (o->client_ca && (rc = read_pem(&s->ca_pem, o->client_ca, "client CA", false)))
		goto fail;
	if ((rc = zt_cidrs_parse(&s->trusted, o->trusted_proxies)) != 0)
		goto fail;
	if (o->user_rate_per_s &&
	    (rc = zt_ratelimit_new(&s->user_rl, o->user_rate_per_s,
	                           o->user_burst ? o->user_burst : o->user_rate_per_s, ZT_SERVICE_RATE_KEYS_MAX)))
		goto fail;
	if (o->address_rate_per_s &&
	    (rc = zt_ratelimit_new(&s->addr_rl, o->address_rate_per_s,
	                           o->address_burst ? o->address_burst : o->address_rate_per_s,
	                           ZT_SERVICE_RATE_KEYS_MAX)))
		goto fail;
	if (o->log_path) {
		s->log_fd = open(o->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (s->log_fd < 0) {
			rc = zt_error_set(ZT_EIO, "request log '%s': %s", o->log_path, strerror(errno));
			s->log_fd = STDERR_FILENO;
			goto fail;
		}
	}
	if ((rc = zt_service_add_counter(s, "zhitong_store_unavailable_total",
	                                 "Requests answered 503 store-unavailable: the store's "
	                                 "connection lost or not made.",
	                                 &s->store_unavailable)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	zt_service_free(s);
	return rc;
}

void zt_service_set_authenticator(struct zt_service *s, zt_authenticate_fn fn, void *ctx)
{
	s->auth = fn;
	s->auth_ctx = ctx;
}

void zt_service_set_health(struct zt_service *s, zt_health_fn fn, void *ctx)
{
	s->health = fn;
	s->health_ctx = ctx;
}

int zt_service_health(struct zt_service *s, char *message, size_t cap)
{
	message[0] = '\0';
	if (!atomic_load(&s->store_lost))
		return 0;
	if (!s->health) {
		snprintf(message, cap, "数据库无法连接（最近的请求未能连上）");
		return ZT_EUNAVAILABLE;
	}
	int rc = s->health(s->health_ctx, message, cap);
	if (rc == 0)
		atomic_store(&s->store_lost, false);
	return rc;
}

void zt_req_store_reached(struct zt_request *r)
{
	if (atomic_load_explicit(&r->s->store_lost, memory_order_relaxed))
		atomic_store(&r->s->store_lost, false);
}

void zt_service_set_session_authenticator(struct zt_service *s, zt_session_fn fn, void *ctx)
{
	s->session_auth = fn;
	s->session_ctx = ctx;
}

int zt_service_add_route(struct zt_service *s, const struct zt_route *r)
{
	if (s->started)
		return zt_error_set(ZT_EINVAL, "route '%s %s' added after the start", r->method, r->path);
	return zt_routes_add(&s->routes, r);
}

int zt_service_add_counter(struct zt_service *s, const char *name, const char *help,
                           size_t *index)
{
	if (s->started || s->metrics.ncounters >= ZT_METRICS_COUNTERS_MAX)
		return zt_error_set(ZT_EINVAL, "counter '%s': too many, or added after the start", name);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (p > name && *p >= '0' && *p <= '9')))
			return zt_error_set(ZT_EINVAL, "counter '%s': a name is [a-z_][a-z0-9_]*", name);
	struct zt_metrics_counter *c = &s->metrics.counter[s->metrics.ncounters];
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->help, sizeof c->help, "%s", help);
	for (char *p = c->help; *p; p++)
		if (*p == '\n' || *p == '\\')
			*p = ' ';
	*index = s->metrics.ncounters++;
	return 0;
}

void zt_service_count(struct zt_service *s, size_t index, uint64_t n)
{
	if (index < s->metrics.ncounters)
		atomic_fetch_add(&s->metrics.counter[index].value, n);
}

const struct zt_routes *zt_service_routes(const struct zt_service *s) { return &s->routes; }
struct zt_metrics *zt_service_metrics(struct zt_service *s) { return &s->metrics; }
bool zt_service_stopping(const struct zt_service *s) { return atomic_load(&s->stopping); }

void zt_service_free(struct zt_service *s)
{
	if (!s)
		return;
	if (s->started && !s->stopped) {
		if (s->main.d)
			MHD_stop_daemon(s->main.d);
		if (s->mon.d)
			MHD_stop_daemon(s->mon.d);
	}
	if (s->main.quiesced != MHD_INVALID_SOCKET)
		close(s->main.quiesced);
	if (s->mon.quiesced != MHD_INVALID_SOCKET)
		close(s->mon.quiesced);
	zt_routes_free(&s->routes);
	zt_metrics_free(&s->metrics);
	zt_cidrs_free(&s->trusted);
	zt_ratelimit_free(s->user_rl);
	zt_ratelimit_free(s->addr_rl);
	free(s->cert_pem);
	if (s->key_pem) {
		explicit_bzero(s->key_pem, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s->ca_pem);
	if (s->log_fd != STDERR_FILENO)
		close(s->log_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
}

/* ---- the request's accessors ----------------------------------------------- */

const char *zt_req_method(const struct zt_request *r) { return r->method; }
const char *zt_req_route(const struct zt_request *r) { return r->route ? r->route->r.path : ""; }
const char *zt_req_id(const struct zt_request *r) { return r->id; }

const char *zt_req_param(const struct zt_request *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *zt_req_query(const struct zt_request *r, const char *name)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, name) == 0)
			return r->query[i].value;
	return NULL;
}

int zt_req_query_check(const struct zt_request *r, const char *const *allowed)
{
	for (size_t i = 0; i < r->nquery; i++) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, r->query[i].key) == 0;
		if (!ok)
			return zt_error_set(ZT_EINVAL, "unknown query parameter '%.64s'", r->query[i].key);
	}
	return 0;
}

const char *zt_req_header(const struct zt_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *zt_req_body(const struct zt_request *r, size_t *len)
{
	if (len)
		*len = r->body ? r->body_len : 0;
	return r->body ? r->body : "";
}

enum zt_format zt_req_body_format(const struct zt_request *r) { return r->body_format; }

const struct zt_principal *zt_req_principal(const struct zt_request *r)
{
	return r->authenticated ? &r->principal : NULL;
}

const char *zt_req_operator(const struct zt_request *r)
{
	return r->has_operator ? r->operator_ : NULL;
}

const char *zt_req_client_address(const struct zt_request *r) { return r->client; }

const char *zt_req_cookie(const struct zt_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, name);
}

bool zt_req_secure(const struct zt_request *r)
{
	if (r->s->cert_pem && !r->l->metrics_only)
		return true;
	const char *proto = zt_req_header(r, "X-Forwarded-Proto");
	if (!proto || strcasecmp(proto, "https") != 0 || !r->conn)
		return false;
	uint8_t a[16];
	bool v4;
	return zt_addr_parse(a, &v4, r->conn->peer, strlen(r->conn->peer)) &&
	       zt_cidrs_contain(&r->s->trusted, a, v4);
}

bool zt_req_by_session(const struct zt_request *r) { return r->by_session; }

const char *zt_req_client_cert(const struct zt_request *r)
{
	return r->conn && r->conn->cert_ok ? r->conn->cert_subject : NULL;
}

enum zt_format zt_req_negotiate(const struct zt_request *r, const enum zt_format *offered,
                                size_t n)
{
	return zt_accept_pick(zt_req_header(r, "Accept"), offered, n, r->body_format);
}

/* ---- answers --------------------------------------------------------------------- */

int zt_reply_header(struct zt_request *r, const char *name, const char *value)
{
	if (r->nextra >= EXTRA_HEADERS_MAX)
		return zt_error_set(ZT_EINVAL, "more than %d extra headers", EXTRA_HEADERS_MAX);
	for (const char *p = value; *p; p++)
		if (*p == '\r' || *p == '\n')
			return zt_error_set(ZT_EINVAL, "header '%s': a line break in its value", name);
	struct kv *h = &r->extra[r->nextra];
	if (!(h->key = strdup(name)) || !(h->value = strdup(value))) {
		free(h->key);
		h->key = NULL;
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	r->nextra++;
	return 0;
}

static int set_response(struct zt_request *r, unsigned status, const char *content_type,
                        struct MHD_Response *resp)
{
	if (!resp)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	if (r->resp) {
		MHD_destroy_response(resp);
		return zt_error_set(ZT_EINVAL, "the request is answered already");
	}
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	r->resp = resp;
	r->status = status;
	return 0;
}

/* Keeps a copy of the answer when asked to (zt_req_capture). */
static int capture(struct zt_request *r, const char *content_type, const void *body, size_t len)
{
	if (!r->capture || r->resp)
		return 0;
	free(r->cap_body);
	if (!(r->cap_body = malloc(len + 1)))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	memcpy(r->cap_body, body, len);
	r->cap_body[len] = '\0';
	r->cap_len = len;
	snprintf(r->cap_type, sizeof r->cap_type, "%s", content_type ? content_type : "");
	return 0;
}

void zt_req_capture(struct zt_request *r) { r->capture = true; }

bool zt_req_captured(const struct zt_request *r, unsigned *status, const char **content_type,
                     const char **body, size_t *len)
{
	if (!r->resp || !r->cap_body)
		return false;
	*status = r->status;
	*content_type = r->cap_type;
	*body = r->cap_body;
	*len = r->cap_len;
	return true;
}

int zt_reply_bytes(struct zt_request *r, unsigned status, const char *content_type,
                   const void *body, size_t len)
{
	int rc = capture(r, content_type, body, len);
	if (rc)
		return rc;
	return set_response(r, status, content_type,
	                    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY));
}

int zt_reply(struct zt_request *r, unsigned status, enum zt_format f, const void *body, size_t len)
{
	return zt_reply_bytes(r, status, zt_format_content_type(f), body, len);
}

int zt_reply_take(struct zt_request *r, unsigned status, const char *content_type, void *body,
                  size_t len)
{
	if (capture(r, content_type, body, len) != 0) {
		free(body);
		return ZT_ENOMEM;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(body);
	return set_response(r, status, content_type, resp);
}

int zt_reply_fd(struct zt_request *r, unsigned status, const char *content_type, int fd,
                uint64_t size)
{
	struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
	if (!resp)
		close(fd);
	return set_response(r, status, content_type, resp);
}

int zt_reply_json(struct zt_request *r, unsigned status, const struct zt_json_writer *w)
{
	const char *t = NULL;
	size_t len = 0;
	int rc = zt_json_writer_result(w, &t, &len);
	if (rc)
		return rc;
	return zt_reply(r, status, ZT_FORMAT_JSON, t, len);
}

/* A message for the client: one line, valid UTF-8 (other bytes become '?'). */
static void clean_message(char *m)
{
	size_t n = strlen(m), bad;
	for (char *p = m; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (zt_json_utf8_check(NULL, &bad, m, n) != 0)
		m[bad] = '?';
}

static int error_body(struct zt_request *r, unsigned status, const char *code, const char *message,
                      const char *fixmedins_code, const char *claim_no)
{
	char m[ZT_MESSAGE_BYTES_MAX];
	snprintf(m, sizeof m, "%s", message);
	clean_message(m);
	struct zt_json_writer *w = NULL;
	int rc = zt_json_writer_new(&w, false);
	if (rc)
		return rc;
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "code");
	zt_json_write_string(w, code);
	zt_json_write_key(w, "message");
	zt_json_write_string(w, m);
	if (fixmedins_code) {
		zt_json_write_key(w, "fixmedins_code");
		zt_json_write_string(w, fixmedins_code);
	}
	if (claim_no) {
		zt_json_write_key(w, "claim_no");
		zt_json_write_string(w, claim_no);
	}
	zt_json_write_object_end(w);
	rc = zt_reply_json(r, status, w);
	zt_json_writer_free(w);
	return rc;
}

int zt_reply_error(struct zt_request *r, unsigned status, const char *code, const char *fmt, ...)
{
	char m[ZT_MESSAGE_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	return error_body(r, status, code, m, NULL, NULL);
}

int zt_reply_error_claim(struct zt_request *r, unsigned status, const char *code,
                         const char *message, const char *fixmedins_code, const char *claim_no)
{
	return error_body(r, status, code, message, fixmedins_code, claim_no);
}

int zt_reply_not_acceptable(struct zt_request *r, const enum zt_format *offered, size_t n)
{
	char list[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof list; i++) {
		const char *ct = zt_format_content_type(offered[i]);
		size_t tl = strcspn(ct, ";");
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%.*s", i ? ", " : "",
		                         (int)tl, ct);
	}
	return zt_reply_error(r, 406, "not-acceptable", "this answer comes as %s", list);
}

/* ---- the request log ---------------------------------------------------------------- */

/* A quoted log value: quotes, backslashes and control bytes escaped, and a
 * run of 15 or more digits (an identity number slipped into a name) left
 * out: the log never holds an ID number. */
static size_t log_quote(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	if (cap < 4)
		return 0;
	out[o++] = '"';
	for (size_t i = 0; s[i] && o + 6 < cap; i++) {
		size_t run = 0;
		while ((s[i + run] >= '0' && s[i + run] <= '9') ||
		       (run && (s[i + run] == 'X' || s[i + run] == 'x')))
			run++;
		if (run >= 15) {
			memcpy(out + o, "***", 3);
			o += 3;
			i += run - 1;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7F) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

static void log_request(struct zt_request *r, unsigned status, uint64_t us)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char user[2 * ZT_ACTOR_BYTES], op[2 * ZT_ACTOR_BYTES];
	if (r->authenticated)
		log_quote(user, sizeof user, r->principal.user);
	else
		snprintf(user, sizeof user, "-");
	if (r->has_operator)
		log_quote(op, sizeof op, r->operator_);
	else
		snprintf(op, sizeof op, "-");
	char line[1024];
	int n = snprintf(line, sizeof line,
	                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ req=%s user=%s operator=%s "
	                 "method=%s route=%s status=%u ms=%llu.%llu client=%s%s%s\n",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, ts.tv_nsec / 1000000, r->id, user, op, r->method,
	                 r->route ? r->route->r.path : "-", status,
	                 (unsigned long long)(us / 1000), (unsigned long long)(us % 1000 / 100),
	                 r->client[0] ? r->client : "-", r->note ? " note=" : "",
	                 r->note ? r->note : "");
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	if (line[len - 1] != '\n')
		line[len - 1] = '\n';
	/* one write per line: lines of concurrent requests never interleave */
	for (size_t off = 0; off < len;) {
		ssize_t w = write(r->s->log_fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

/* ---- the life of a request ---------------------------------------------------------- */

static void request_free(struct zt_request *r)
{
	for (size_t i = 0; i < r->nparams; i++)
		free(r->params[i].value);
	for (size_t i = 0; i < r->nquery; i++) {
		free(r->query[i].key);
		free(r->query[i].value);
	}
	for (size_t i = 0; i < r->nextra; i++) {
		free(r->extra[i].key);
		free(r->extra[i].value);
	}
	zt_scope_free(&r->principal.scope);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->body);
	free(r->cap_body);
	free(r);
}

/* Counts the request in /metrics and takes it out of in_flight, once.
 * Called when its answer is handed to libmicrohttpd, which sends it only
 * after the access handler has returned on this same thread (one thread
 * per connection): so the count happens before the client can read a byte
 * of the answer, and a client that asks /metrics after reading an answer
 * always finds it counted. (Counting in on_completed, after the last byte
 * went out, let the next request of the same client overtake it.) */
static void account(struct zt_request *r, unsigned status)
{
	if (r->counted || r->l->metrics_only)
		return;
	r->counted = true;
	zt_metrics_observe(&r->s->metrics, r->route ? r->route->index : r->s->routes.n, status,
	                   now_us() - r->start_us);
	atomic_fetch_sub(&r->s->metrics.in_flight, 1);
}

/* Sends the answer the request holds (a 500 if it holds none). */
static enum MHD_Result queue(struct zt_request *r)
{
	if (!r->resp) {
		r->note = r->note ? r->note : "no-answer";
		if (zt_reply_error(r, 500, "internal-error", "the request failed (request id %s)", r->id))
			return MHD_NO;
	}
	struct MHD_Response *resp = r->resp;
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < r->nextra; i++)
		MHD_add_response_header(resp, r->extra[i].key, r->extra[i].value);
	if (atomic_load(&r->s->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ok = MHD_queue_response(r->c, r->status, resp);
	MHD_destroy_response(resp);
	r->resp = NULL;
	r->queued = ok == MHD_YES;
	if (r->queued)
		account(r, r->status);
	return ok;
}

/* An error decided at the headers. With a body on its way, it is sent at
 * once and the body is never read (libmicrohttpd then closes the
 * connection); without one, it is sent at the end of the request, which
 * keeps the connection open for the next. */
static enum MHD_Result refuse(struct zt_request *r, unsigned status, const char *code,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result refuse(struct zt_request *r, unsigned status, const char *code,
                              const char *fmt, ...)
{
	char m[ZT_MESSAGE_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (error_body(r, status, code, m, NULL, NULL) != 0)
		return MHD_NO;
	return r->has_body ? queue(r) : MHD_YES;
}

int zt_reply_store_unavailable(struct zt_request *r)
{
	/* the client tries again in a second: a lost connection is made again
	 * at the next request, within a few seconds while a standby is
	 * promoted (docs/operations.md "A failover") */
	atomic_store(&r->s->store_lost, true);
	zt_service_count(r->s, r->s->store_unavailable, 1);
	zt_reply_header(r, "Retry-After", "1");
	return zt_reply_error(r, 503, "store-unavailable",
	                      "数据库暂时无法连接：本请求没有完成，或其提交结果未知（请求号 %s）。"
	                      "请稍后重发同一请求：同一申请（或同一 Idempotency-Key）只办理一次，"
	                      "已办理的返回原结果。",
	                      r->id);
}

static enum MHD_Result rate_limited(struct zt_request *r, int64_t wait_ms, const char *whose)
{
	char secs[24];
	snprintf(secs, sizeof secs, "%lld", (long long)((wait_ms + 999) / 1000));
	zt_reply_header(r, "Retry-After", secs);
	return refuse(r, 429, "rate-limited", "too many requests from this %s: retry after %s s",
	              whose, secs);
}

static int64_t now_ms(void) { return (int64_t)(now_us() / 1000); }

/* The client certificate of a connection, checked once. */
static void check_client_cert(struct conn *cn, struct MHD_Connection *c)
{
	if (cn->cert_checked)
		return;
	cn->cert_checked = true;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	gnutls_session_t sess = (gnutls_session_t)ci->tls_session;
	unsigned int n = 0, status = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(sess, &n);
	if (!certs || n == 0)
		return;
	/* the chain to --client-ca, the dates, and (if it says) a client
	 * certificate's purpose */
	gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
	                                 (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
	if (gnutls_certificate_verify_peers(sess, &purpose, 1, &status) < 0 || status != 0)
		return;
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	gnutls_datum_t dn = {NULL, 0};
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
		cn->cert_subject = strndup((const char *)dn.data, dn.size);
		cn->cert_ok = cn->cert_subject != NULL;
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
}

struct collect {
	struct zt_request *r;
	char *xff;
	size_t xff_len;
	bool too_long;
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct collect *x = cls;
	if (strcasecmp(key, "X-Forwarded-For") != 0 || !value)
		return MHD_YES;
	size_t vl = strlen(value);
	char *n = realloc(x->xff, x->xff_len + vl + 2);
	if (!n) {
		x->too_long = true;
		return MHD_NO;
	}
	x->xff = n;
	if (x->xff_len)
		x->xff[x->xff_len++] = ',';
	memcpy(x->xff + x->xff_len, value, vl + 1);
	x->xff_len += vl;
	return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct zt_request *r = cls;
	if (r->nquery >= ZT_SERVICE_QUERY_PARAMS_MAX) {
		r->query_bad = true;
		return MHD_NO;
	}
	size_t kl = strlen(key), vl = value ? strlen(value) : 0;
	struct kv *q = &r->query[r->nquery];
	q->key = malloc(kl + 1);
	q->value = malloc(vl + 1);
	if (!q->key || !q->value || zt_percent_decode(q->key, kl + 1, key, kl) != 0 ||
	    zt_percent_decode(q->value, vl + 1, value ? value : "", vl) != 0) {
		free(q->key);
		free(q->value);
		r->query_bad = true;
		return MHD_NO;
	}
	r->nquery++;
	return MHD_YES;
}

/* The address key of the per-address limit: an IPv6 client is limited by
 * its /64, as one host can hold the whole of one. */
static void address_key(char *out, size_t cap, const char *addr)
{
	uint8_t a[16];
	bool v4;
	if (zt_addr_parse(a, &v4, addr, strlen(addr)) && !v4) {
		memset(a + 8, 0, 8);
		char t[ADDR_TEXT];
		zt_addr_format(t, sizeof t, a, false);
		snprintf(out, cap, "a:%s/64", t);
	} else {
		snprintf(out, cap, "a:%s", addr);
	}
}

/* Everything decided at the headers, before a byte of the body: returns
 * MHD_YES to go on reading, or the result of queueing a refusal. */
static enum MHD_Result begin(struct zt_request *r, const char *url, const char *method)
{
	struct zt_service *s = r->s;
	struct MHD_Connection *c = r->c;
	const char *cl = zt_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = zt_req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	uint64_t length = 0;
	if (cl)
		for (const char *p = cl; *p >= '0' && *p <= '9' && length < (UINT64_C(1) << 60); p++)
			length = length * 10 + (uint64_t)(*p - '0');
	bool chunked = te && strcasestr(te, "chunked");
	r->has_body = length > 0 || chunked;

	/* the client's address */
	struct collect x = {.r = r};
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_xff, &x);
	zt_client_address(r->client, sizeof r->client, r->conn ? r->conn->peer : "?", x.xff,
	                  &s->trusted);
	free(x.xff);

	if (r->l->metrics_only) {
		if (strcmp(method, "GET") == 0 && strcmp(url, "/metrics") == 0)
			return MHD_YES;
		if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
			return MHD_YES;
		return refuse(r, 404, "not-found", "this listener serves GET /metrics and GET /healthz");
	}

	/* 1. the client certificate */
	if (s->ca_pem && r->conn) {
		check_client_cert(r->conn, c);
		if (!r->conn->cert_ok)
			return refuse(r, 403, "client-certificate-required",
			              "a client certificate issued by this service's client CA is required");
	}

	/* 2. the route */
	struct zt_route_param params[ZT_ROUTE_SEGMENTS_MAX];
	size_t nparams = 0;
	char allow[128];
	int rc = zt_routes_match(&s->routes, method, url, &r->route, params, &nparams, allow,
	                         sizeof allow);
	if (rc == ZT_ENOTFOUND) {
		r->route = NULL;
		return refuse(r, 404, "not-found", "no such resource");
	}
	if (rc == ZT_ECONFLICT) {
		r->route = NULL;
		zt_reply_header(r, "Allow", allow);
		return refuse(r, 405, "method-not-allowed", "%s is not allowed here (allowed: %s)",
		              method, allow);
	}
	const struct zt_route *route = &r->route->r;

	/* 3. per address */
	if (s->addr_rl) {
		char key[ADDR_TEXT + 8];
		address_key(key, sizeof key, r->client);
		int64_t wait = zt_ratelimit_take(s->addr_rl, key, now_ms());
		if (wait)
			return rate_limited(r, wait, "address");
	}

	/* 4. the token */
	if (!(route->flags & ZT_ROUTE_PUBLIC)) {
		if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "access_token")) {
			zt_reply_header(r, "WWW-Authenticate", "Bearer realm=\"zhitong\", error=\"invalid_request\"");
			return refuse(r, 401, "unauthorized",
			              "a token goes in the Authorization header, never in the query");
		}
		/* the console's session: a cookie, only without Authorization */
		const char *sid = s->session_auth && !zt_req_header(r, "Authorization")
		                          ? zt_req_cookie(r, ZT_SERVICE_SESSION_COOKIE)
		                          : NULL;
		char token[ZT_SERVICE_TOKEN_BYTES];
		if (sid) {
			char csrf[ZT_SERVICE_CSRF_BYTES] = "";
			rc = s->session_auth(s->session_ctx, sid, &r->principal, csrf);
			if (rc == ZT_ENOTFOUND || rc == ZT_EINVAL)
				return refuse(r, 401, "session-ended",
				              "the console session is unknown or has ended: log in again");
			if (rc == ZT_EUNAVAILABLE) {
				r->note = "store-unavailable";
				zt_reply_store_unavailable(r);
				return r->has_body ? queue(r) : MHD_YES;
			}
			if (rc) {
				r->note = "authenticator-failed";
				return refuse(r, 500, "internal-error",
				              "the session could not be checked (request id %s)", r->id);
			}
			const char *given = zt_req_header(r, "X-CSRF-Token");
			bool safe = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
			bool ok = safe || (given && strlen(given) == strlen(csrf) && csrf[0] &&
			                   CRYPTO_memcmp(given, csrf, strlen(csrf)) == 0);
			explicit_bzero(csrf, sizeof csrf);
			if (!ok)
				return refuse(r, 403, "csrf-token-invalid",
				              "a change from the console needs its X-CSRF-Token");
			r->by_session = true;
			goto authenticated;
		}
		rc = zt_bearer_parse(token, sizeof token, zt_req_header(r, "Authorization"));
		if (rc == ZT_ENOTFOUND) {
			zt_reply_header(r, "WWW-Authenticate", "Bearer realm=\"zhitong\"");
			return refuse(r, 401, "unauthorized", "this needs 'Authorization: Bearer TOKEN'");
		}
		if (rc == 0)
			rc = s->auth ? s->auth(s->auth_ctx, token, &r->principal) : ZT_ENOTFOUND;
		explicit_bzero(token, sizeof token);
		if (rc == ZT_EINVAL || rc == ZT_ENOTFOUND) {
			zt_reply_header(r, "WWW-Authenticate", "Bearer realm=\"zhitong\", error=\"invalid_token\"");
			return refuse(r, 401, "unauthorized", "the token is unknown, disabled or expired");
		}
		if (rc == ZT_EUNAVAILABLE) {
			r->note = "store-unavailable";
			zt_reply_store_unavailable(r);
			return r->has_body ? queue(r) : MHD_YES;
		}
		if (rc) {
			r->note = "authenticator-failed";
			return refuse(r, 500, "internal-error", "the token could not be checked (request id %s)",
			              r->id);
		}
	authenticated:
		r->authenticated = true;

		/* 5. per user */
		if (s->user_rl) {
			char key[ZT_ACTOR_BYTES + 4];
			snprintf(key, sizeof key, "u:%s", r->principal.user);
			int64_t wait = zt_ratelimit_take(s->user_rl, key, now_ms());
			if (wait)
				return rate_limited(r, wait, "user");
		}

		/* 6. the role, before anything is looked up */
		if (!(route->flags & ZT_ROUTE_ANY_ROLE) && !zt_access_allows(r->principal.roles, route->op))
			return refuse(r, 403, "forbidden", "this role may not do this");
	}

	/* 7. query, path parameters, operator */
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, r);
	if (r->query_bad)
		return refuse(r, 400, "invalid-query",
		              "the query is not UTF-8, has a bad %%-escape or more than %d parameters",
		              ZT_SERVICE_QUERY_PARAMS_MAX);
	for (size_t i = 0; i < r->nquery; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->query[i].key, r->query[j].key) == 0)
				return refuse(r, 400, "invalid-query", "query parameter '%.64s' is given twice",
				              r->query[i].key);
	for (size_t i = 0; i < nparams; i++) {
		struct kv *p = &r->params[r->nparams];
		p->key = (char *)params[i].name;
		if (!(p->value = malloc(params[i].raw_len + 1)))
			return MHD_NO;
		r->nparams++;
		if (zt_percent_decode(p->value, params[i].raw_len + 1, params[i].raw, params[i].raw_len))
			return refuse(r, 400, "invalid-path", "path parameter '%s' is %s", params[i].name,
			              zt_error_last());
	}
	const char *op = zt_req_header(r, "X-Operator");
	if (op) {
		if (!zt_operator_valid(op))
			return refuse(r, 400, "invalid-operator",
			              "X-Operator must be a name of 1 to %d characters of UTF-8",
			              ZT_ACTOR_CHARS_MAX);
		snprintf(r->operator_, sizeof r->operator_, "%s", op);
		r->has_operator = true;
	}

	/* 8. the body, from its headers */
	r->body_max = route->body_bytes_max ? route->body_bytes_max : s->o.body_bytes_max;
	if (r->has_body) {
		if (!route->bodies)
			return refuse(r, 413, "body-too-large", "%s %s takes no body", method, route->path);
		bool utf8;
		zt_content_type_parse(&r->body_format, &utf8,
		                      zt_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE));
		if (!utf8)
			return refuse(r, 415, "unsupported-media-type", "only UTF-8 bodies are taken");
		if (r->body_format == ZT_FORMAT_NONE || !(route->bodies & ZT_BODY(r->body_format)))
			return refuse(r, 415, "unsupported-media-type",
			              "%s %s takes %s%s%s", method, route->path,
			              route->bodies & ZT_BODY(ZT_FORMAT_JSON) ? "application/json" : "",
			              (route->bodies & ZT_BODY(ZT_FORMAT_JSON)) &&
			                      (route->bodies & ~ZT_BODY(ZT_FORMAT_JSON))
			                  ? " or "
			                  : "",
			              route->bodies & ZT_BODY(ZT_FORMAT_XML) ? "application/xml" : "");
		if (length > r->body_max)
			return refuse(r, 413, "body-too-large", "the body is over the limit of %zu bytes",
			              r->body_max);
		r->body_cap = chunked ? 0 : (size_t)length + 1;
		if (r->body_cap && !(r->body = malloc(r->body_cap)))
			return MHD_NO;
	}
	return MHD_YES;
}

/* A piece of the body: kept up to the limit, then counted and dropped. */
static enum MHD_Result take_body(struct zt_request *r, const char *data, size_t n)
{
	if (r->too_big) {
		r->drained += n;
		size_t allowance = r->body_max > DRAIN_BYTES_MIN ? r->body_max : DRAIN_BYTES_MIN;
		return r->drained > allowance ? MHD_NO : MHD_YES; /* no: close the connection */
	}
	if (n > r->body_max - r->body_len) {
		r->too_big = true;
		r->drained = r->body_len + n - r->body_max;
		free(r->body);
		r->body = NULL;
		r->body_len = r->body_cap = 0;
		return MHD_YES;
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > r->body_max + 1)
			cap = r->body_max + 1;
		char *nb = realloc(r->body, cap);
		if (!nb)
			return MHD_NO;
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	return MHD_YES;
}

static enum MHD_Result serve_metrics(struct zt_request *r)
{
	char *text = NULL;
	size_t len = 0;
	if (zt_metrics_render(&r->s->metrics, &text, &len) != 0)
		return MHD_NO;
	zt_reply_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	return queue(r);
}

static void dispatch(struct zt_request *r)
{
	if (r->body) {
		r->body[r->body_len] = '\0';
	}
	zt_error_clear();
	int rc = r->route->r.handler(r, r->route->r.ctx);
	if (rc == ZT_EUNAVAILABLE && !r->resp) { /* a handler that passed the store's loss on */
		r->note = "store-unavailable";
		zt_reply_store_unavailable(r);
	} else if (rc && !r->resp)
		r->note = "handler-error";
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct zt_service *s = l->s;
	struct zt_request *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->s = s;
		r->l = l;
		r->c = c;
		zt_scope_init(&r->principal.scope);
		r->start_us = now_us();
		snprintf(r->id, sizeof r->id, "%08x%08x", s->id_prefix,
		         atomic_fetch_add(&s->id_next, 1) + 1);
		snprintf(r->method, sizeof r->method, "%s", method);
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		r->conn = ci ? ci->socket_context : NULL;
		pthread_mutex_lock(&s->lock);
		s->running++;
		pthread_mutex_unlock(&s->lock);
		if (!l->metrics_only)
			atomic_fetch_add(&s->metrics.in_flight, 1);
		*con_cls = r;
		return begin(r, url, method);
	}
	if (r->queued) { /* answered at the headers: the rest is not read */
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->resp) /* refused at the headers, and there was no body */
		return queue(r);
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		return take_body(r, upload, n);
	}
	if (r->too_big)
		return refuse(r, 413, "body-too-large", "the body is over the limit of %zu bytes",
		              r->body_max);
	if (l->metrics_only) {
		if (strcmp(url, "/metrics") == 0)
			return serve_metrics(r);
		const char *h = atomic_load(&s->stopping) ? "{\"status\":\"stopping\"}" : "{\"status\":\"ok\"}";
		zt_reply_bytes(r, atomic_load(&s->stopping) ? 503 : 200, "application/json", h, strlen(h));
		return queue(r);
	}
	dispatch(r);
	return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct zt_service *s = l->s;
	struct zt_request *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	/* 499: the client went away (or the connection timed out) before its
	 * answer was sent */
	unsigned status = r->queued && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 499;
	if (r->queued && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->note)
		r->note = "answer-not-delivered";
	uint64_t us = now_us() - r->start_us;
	if (!l->metrics_only) {
		/* an answer never queued (the client went away while its body
		 * was read) counts now, as 499; one queued counted then, under
		 * its status, and a failure to deliver it is in the log line */
		account(r, status);
		log_request(r, status, us);
	}
	request_free(r);
	pthread_mutex_lock(&s->lock);
	if (--s->running == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn *cn = calloc(1, sizeof *cn);
		if (!cn)
			return;
		snprintf(cn->peer, sizeof cn->peer, "?");
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			uint8_t a[16] = {0};
			char t[ADDR_TEXT];
			if (sa->sa_family == AF_INET) {
				memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
				zt_addr_format(cn->peer, sizeof cn->peer, a, true);
			} else if (sa->sa_family == AF_INET6) {
				memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
				zt_addr_format(t, sizeof t, a, false);
				bool v4;
				/* an IPv4 client on a dual-stack socket: its IPv4 form */
				if (zt_addr_parse(a, &v4, t, strlen(t)))
					zt_addr_format(cn->peer, sizeof cn->peer, a, v4);
			}
		}
		*socket_context = cn;
	} else {
		struct conn *cn = *socket_context;
		if (cn) {
			free(cn->cert_subject);
			free(cn);
		}
		*socket_context = NULL;
	}
}

/* Routing sees the path as sent: %2F stays inside its segment. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char m[512];
	vsnprintf(m, sizeof m, fmt, ap);
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
		m[--n] = '\0';
	fprintf(stderr, "zhitong: http: %s\n", m);
}

static int start_listener(struct zt_service *s, struct listener *l)
{
	struct sockaddr_in sa4 = {.sin_family = AF_INET};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
	void *sa;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (l->v4) {
		memcpy(&sa4.sin_addr, l->addr, 4);
		sa4.sin_port = htons((uint16_t)l->want_port);
		sa = &sa4;
	} else {
		memcpy(&sa6.sin6_addr, l->addr, 16);
		sa6.sin6_port = htons((uint16_t)l->want_port);
		sa = &sa6;
		flags |= MHD_USE_IPv6;
	}
	bool tls = !l->metrics_only && s->cert_pem;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem o[24];
	size_t n = 0;
#define OPT(opt, v, p) o[n++] = (struct MHD_OptionItem){(opt), (intptr_t)(v), (void *)(p)}
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL); /* first, to log the rest */
	OPT(MHD_OPTION_SOCK_ADDR, 0, sa);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, l);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, l);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, s->o.idle_timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, l->metrics_only ? 16u : s->o.connections_max, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    l->metrics_only ? 16u : s->o.connections_per_address_max, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	if (tls) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, s->o.tls_priorities);
		if (s->ca_pem)
			OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca_pem);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_ARRAY, o,
	                        MHD_OPTION_END);
	char addr[ADDR_TEXT];
	zt_addr_format(addr, sizeof addr, l->addr, l->v4);
	if (!l->d)
		return zt_error_set(ZT_EIO,
		                    "cannot serve on %s port %u (in use, not an address of this host, "
		                    "or a TLS certificate, key or priority string libmicrohttpd refused)",
		                    addr, l->want_port);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
	l->port = di ? di->port : l->want_port;
	return 0;
}

int zt_service_start(struct zt_service *s)
{
	if (s->started)
		return zt_error_set(ZT_EINVAL, "the service is started already");
	int rc = zt_metrics_init(&s->metrics, &s->routes);
	if (rc)
		return rc;
	s->started = true;
	if ((rc = start_listener(s, &s->main)) != 0)
		return rc;
	if (s->has_mon && (rc = start_listener(s, &s->mon)) != 0)
		return rc;
	return 0;
}

unsigned zt_service_port(const struct zt_service *s) { return s->main.port; }
unsigned zt_service_metrics_port(const struct zt_service *s) { return s->mon.port; }

int zt_service_stop(struct zt_service *s)
{
	if (!s->started || s->stopped)
		return 0;
	atomic_store(&s->stopping, true);
	if (s->main.d)
		s->main.quiesced = MHD_quiesce_daemon(s->main.d);
	if (s->mon.d)
		s->mon.quiesced = MHD_quiesce_daemon(s->mon.d);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += s->o.stop_timeout_s;
	pthread_mutex_lock(&s->lock);
	while (s->running > 0)
		if (pthread_cond_timedwait(&s->idle, &s->lock, &deadline) == ETIMEDOUT)
			break;
	int64_t left = s->running;
	pthread_mutex_unlock(&s->lock);
	if (left > 0)
		return zt_error_set(ZT_EBUSY, "%lld requests still running after %u s",
		                    (long long)left, s->o.stop_timeout_s);
	if (s->main.d)
		MHD_stop_daemon(s->main.d);
	if (s->mon.d)
		MHD_stop_daemon(s->mon.d);
	s->main.d = s->mon.d = NULL;
	s->stopped = true;
	return 0;
}

int zt_service_run(struct zt_service *s)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* blocked before any thread exists, so every thread inherits it and
	 * only sigwait below sees the signals */
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	int rc = zt_service_start(s);
	if (rc) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	char addr[ADDR_TEXT];
	zt_addr_format(addr, sizeof addr, s->main.addr, s->main.v4);
	fprintf(stderr, "zhitong: serving on %s://%s%s%s:%u%s\n", s->cert_pem ? "https" : "http",
	        s->main.v4 ? "" : "[", addr, s->main.v4 ? "" : "]", s->main.port,
	        s->ca_pem ? " (client certificates required)" : "");
	if (s->has_mon) {
		zt_addr_format(addr, sizeof addr, s->mon.addr, s->mon.v4);
		fprintf(stderr, "zhitong: metrics on http://%s%s%s:%u/metrics\n", s->mon.v4 ? "" : "[",
		        addr, s->mon.v4 ? "" : "]", s->mon.port);
	}
	fflush(stderr);
	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	pthread_mutex_lock(&s->lock);
	long long running = (long long)s->running;
	pthread_mutex_unlock(&s->lock);
	fprintf(stderr, "zhitong: %s: stopping; %lld requests in flight\n", strsignal(sig), running);
	rc = zt_service_stop(s);
	if (rc == 0)
		fprintf(stderr, "zhitong: stopped\n");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
