/* zhitong — the HTTP service core (docs/spec/service.md), on libmicrohttpd.
 *
 * A front door: it parses what comes in, hands a request to the handler
 * of its route, and sends what the handler answers. It holds no business
 * rule. What it does for every request, in this order, before a handler
 * sees it:
 *
 *   1. the client certificate, when --client-ca is given (403
 *      client-certificate-required without a verified one);
 *   2. the route: the path against the templates ("/v1/claims/{fixmedins_code}/
 *      {claim_no}"): 404 when no template matches, 405 with Allow when one
 *      matches under another method;
 *   3. the per-address rate limit (429 with Retry-After);
 *   4. the bearer token (never a query parameter), unless the route is
 *      public: 401 with WWW-Authenticate: Bearer when missing or refused by
 *      the authenticator;
 *   5. the per-user rate limit (429 with Retry-After);
 *   6. the role: 403 when zt_access_allows(the user's roles, the route's
 *      op) says no, decided before any object is looked up;
 *   7. the query (decoded, UTF-8, no parameter twice: 400), the path
 *      parameters (decoded, UTF-8: 400) and X-Operator (400 if not a name);
 *   8. the body: Content-Length over the route's limit is 413 before a byte
 *      of it is read; a chunked body is counted as it arrives (413 when it
 *      passes the limit); a Content-Type the route does not take, or a
 *      charset other than UTF-8, is 415;
 *
 * then the handler runs, on the connection's own thread: it may block
 * (a database commit, an fsync) without holding up any other connection
 * (see server.c for why one thread per connection). Every answer carries
 * X-Request-Id; every request gives one log line (request id, user,
 * operator, method, the route TEMPLATE, status, milliseconds) and counts
 * in /metrics. Errors are {"code": ..., "message": ...} JSON whatever the
 * request asked for.
 *
 * Wiring an endpoint:
 *
 *     static int get_claim(struct zt_request *r, void *ctx)
 *     {
 *             const char *h = zt_req_param(r, "fixmedins_code");   // decoded
 *             const struct zt_principal *who = zt_req_principal(r);
 *             ...
 *             if (not found or not in who's scope)
 *                     return zt_reply_error(r, 404, "not-found", "no such claim");
 *             return zt_reply_json(r, 200, writer);
 *     }
 *     static const struct zt_route routes[] = {
 *             {.method = "GET", .path = "/v1/claims/{fixmedins_code}/{claim_no}",
 *              .op = ZT_OP_CLAIM_READ,
 *              .handler = get_claim, .ctx = &app, .summary = "every settlement of a claim"},
 *             {.method = "POST", .path = "/v1/claims", .op = ZT_OP_CLAIM_SUBMIT,
 *              .bodies = ZT_BODY(ZT_FORMAT_JSON) | ZT_BODY(ZT_FORMAT_XML),
 *              .handler = post_claims, .ctx = &app},
 *     };
 *     zt_service_new(&s, &opts);
 *     zt_service_set_authenticator(s, users_authenticate, users);
 *     zt_service_add_builtin_routes(s);           // healthz, metrics, openapi.json
 *     for (...) zt_service_add_route(s, &routes[i]);
 *     return zt_service_run(s);                   // until SIGTERM / SIGINT
 */
#ifndef ZT_SERVICE_H
#define ZT_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zhitong/access.h"
#include "zhitong/config.h"
#include "zhitong/json.h"
#include "zhitong/limits.h"

/* ---- principals, authentication ---------------------------------------
 * Roles, operations, views and scopes are the engine's (zhitong/access.h):
 * a route names the class of operation it performs (`op`), the core asks
 * zt_access_allows(principal.roles, op) before the handler runs (403), and
 * the handler asks zt_access_in_scope for the object it found (404, the
 * same body as for one that does not exist) and zt_access_view for what it
 * may show. */

/* Who calls, as the authenticator tells it. */
struct zt_principal {
	char user[ZT_ACTOR_BYTES]; /* the user's name: logged, recorded */
	unsigned roles;           /* ZT_USER_* (access.h) */
	char token_id[32];        /* which of the user's tokens ("" if none): for the audit trail */
	struct zt_scope scope;    /* the hospitals of a desk, the funds of a fund
	                           * administrator: empty when the authenticator
	                           * is called, freed by the core afterwards */
};

/* Checks a bearer token (the text after "Bearer ", starting "zt_"). Returns
 * 0 with *out filled; ZT_ENOTFOUND for a token that is unknown, disabled or
 * past its grace (401); any other code is an internal error (500). Runs on
 * the request's thread, so it must be thread-safe. */
typedef int (*zt_authenticate_fn)(void *ctx, const char *token, struct zt_principal *out);

/* The web console's session (docs/spec/service.md: "a cookie only as the
 * web console's session, HttpOnly and SameSite=Strict, with a CSRF token
 * on every change"; tools/service/session.h). A request without an
 * Authorization header whose cookie ZT_SERVICE_SESSION_COOKIE is set is
 * checked by this function instead of the token's: 0 with *out filled and
 * the session's CSRF token in csrf; ZT_ENOTFOUND for a session that is
 * unknown or has ended (401). A request that is not GET or HEAD must then
 * carry that token in X-CSRF-Token (else 403 csrf-token-invalid). */
#define ZT_SERVICE_SESSION_COOKIE "zt_session"
#define ZT_SERVICE_CSRF_BYTES 65
typedef int (*zt_session_fn)(void *ctx, const char *session_id, struct zt_principal *out,
                             char csrf[ZT_SERVICE_CSRF_BYTES]);

/* ---- formats ---------------------------------------------------------- */

enum zt_format {
	ZT_FORMAT_NONE = 0,
	ZT_FORMAT_JSON, /* application/json */
	ZT_FORMAT_XML,  /* application/xml (text/xml is taken as the same) */
	ZT_FORMAT_TEXT, /* text/plain */
	ZT_FORMAT_HTML, /* text/html */
	ZT_FORMAT_CSV,  /* text/csv */
	ZT_FORMAT_PDF,  /* application/pdf */
	ZT_FORMAT_COUNT
};
#define ZT_BODY(f) (1u << (f))
/* The Content-Type sent with a format ("application/json",
 * "text/plain; charset=utf-8", ...). */
const char *zt_format_content_type(enum zt_format f);

/* ---- routes ----------------------------------------------------------- */

struct zt_request;
/* Answers the request with one of the zt_reply* functions and returns 0,
 * or returns an error code without answering (a 500 internal-error is
 * sent then, with zt_error_last() in the log, never to the client). */
typedef int (*zt_handler_fn)(struct zt_request *r, void *ctx);

#define ZT_ROUTE_PUBLIC 1u   /* no token (GET /healthz, GET /v1/slips/verify) */
#define ZT_ROUTE_ANY_ROLE 2u /* any authenticated user, whatever `op` (GET /v1/openapi.json) */

struct zt_route {
	const char *method;    /* "GET", "POST", ... */
	const char *path;      /* "/v1/settlements/{setl_id}": literal segments and
	                        * {name} segments (one whole segment each) */
	enum zt_op op;         /* what it does (access.h): who may, zt_access_roles(op).
	                        * Give it always: 0 is ZT_OP_CLAIM_SUBMIT */
	unsigned flags;        /* ZT_ROUTE_* */
	unsigned bodies;       /* ZT_BODY(ZT_FORMAT_JSON) | ...: the Content-Types
	                        * taken; 0: the route takes no body (413 for one) */
	size_t body_bytes_max; /* 0: the service's limit (opts.body_bytes_max) */
	zt_handler_fn handler;
	void *ctx;
	const char *summary;   /* one line for the OpenAPI document */
};

/* ---- the request, for handlers ------------------------------------------ */

const char *zt_req_method(const struct zt_request *r);
/* The route's template, "/v1/claims/{fixmedins_code}/{claim_no}". */
const char *zt_req_route(const struct zt_request *r);
/* The id sent back in X-Request-Id and written in the log line. */
const char *zt_req_id(const struct zt_request *r);
/* A path parameter, percent-decoded (valid UTF-8, no NUL). */
const char *zt_req_param(const struct zt_request *r, const char *name);
/* A query parameter, decoded ("+" is a space); NULL when absent, "" when
 * given empty. No parameter appears twice (the core refused that). */
const char *zt_req_query(const struct zt_request *r, const char *name);
/* ZT_EINVAL ("unknown query parameter 'x'") when the query holds a
 * parameter outside the NULL-terminated `allowed`. */
int zt_req_query_check(const struct zt_request *r, const char *const *allowed);
/* A request header (case-insensitive name), or NULL. */
const char *zt_req_header(const struct zt_request *r, const char *name);
/* The body, read whole (NUL-terminated; *len excludes the NUL). "" when
 * there was none. */
const char *zt_req_body(const struct zt_request *r, size_t *len);
/* The body's format from its Content-Type (ZT_FORMAT_NONE without body). */
enum zt_format zt_req_body_format(const struct zt_request *r);
/* NULL on a public route. */
const struct zt_principal *zt_req_principal(const struct zt_request *r);
/* X-Operator: the person at the desk (a name of 1..ZT_ACTOR_CHARS_MAX characters), or NULL. */
const char *zt_req_operator(const struct zt_request *r);
/* The client's address: the peer's, or, when the peer is a trusted proxy,
 * the rightmost untrusted address of X-Forwarded-For. */
const char *zt_req_client_address(const struct zt_request *r);
/* The verified client certificate's subject ("CN=H51010101,O=..."), or
 * NULL (no --client-ca, or plain HTTP). */
const char *zt_req_client_cert(const struct zt_request *r);
/* A cookie of the request, or NULL. */
const char *zt_req_cookie(const struct zt_request *r, const char *name);
/* Whether the client reached us over TLS: our own, or a trusted proxy's
 * (one of trusted_proxies that says X-Forwarded-Proto: https). A cookie
 * is Secure then. */
bool zt_req_secure(const struct zt_request *r);
/* Whether the caller was authenticated by a console session (not a token). */
bool zt_req_by_session(const struct zt_request *r);
/* The answer's format: the one of `offered` (in the handler's order of
 * preference) that Accept prefers; without Accept (or on a tie) the
 * request's own body format if offered, else offered[0] (JSON first for a
 * GET). ZT_FORMAT_NONE when Accept allows none of them: answer 406 then
 * (zt_reply_not_acceptable). */
enum zt_format zt_req_negotiate(const struct zt_request *r, const enum zt_format *offered,
                                size_t n);

/* From now on, the core keeps a copy of the answer (not of a file's:
 * zt_reply_fd); zt_req_captured gives it after the handler answered
 * (Idempotency-Key keeps it). */
void zt_req_capture(struct zt_request *r);
/* false when nothing was answered or kept. The strings live as long as r. */
bool zt_req_captured(const struct zt_request *r, unsigned *status, const char **content_type,
                     const char **body, size_t *len);

/* ---- answers ------------------------------------------------------------
 * One answer per request. Each returns 0, or ZT_ENOMEM / ZT_EINVAL (a
 * second answer), and may be returned straight from the handler. */

/* An extra header (Location, Idempotency-Replayed, ...), before the answer. */
int zt_reply_header(struct zt_request *r, const char *name, const char *value);
/* A body of a format (copied). */
int zt_reply(struct zt_request *r, unsigned status, enum zt_format f, const void *body,
             size_t len);
/* A body with any Content-Type (copied). */
int zt_reply_bytes(struct zt_request *r, unsigned status, const char *content_type,
                   const void *body, size_t len);
/* A malloc'd body, freed by the core after it is sent. */
int zt_reply_take(struct zt_request *r, unsigned status, const char *content_type, void *body,
                  size_t len);
/* A file's contents (a payer file of 460 MB): the core closes fd. */
int zt_reply_fd(struct zt_request *r, unsigned status, const char *content_type, int fd,
                uint64_t size);
/* The document of a finished JSON writer. */
int zt_reply_json(struct zt_request *r, unsigned status, const struct zt_json_writer *w);
/* {"code": code, "message": message} as JSON, whatever Accept says. */
int zt_reply_error(struct zt_request *r, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with the claim it is about (docs/spec/service.md "Errors"):
 * {"code", "message", "fixmedins_code", "claim_no"} (NULLs left out). */
int zt_reply_error_claim(struct zt_request *r, unsigned status, const char *code,
                         const char *message, const char *fixmedins_code, const char *claim_no);
/* 406 listing what the route offers. */
int zt_reply_not_acceptable(struct zt_request *r, const enum zt_format *offered, size_t n);

/* ---- the service ---------------------------------------------------------- */

/* docs/spec/service.md: the default address; TLS 1.2 or later. */
#define ZT_SERVICE_LISTEN "127.0.0.1:8440"
#define ZT_SERVICE_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct zt_service_opts {
	const char *listen;         /* "127.0.0.1:8440", "[::1]:8440", "0.0.0.0:443"; port 0: any */
	const char *metrics_listen; /* NULL, or a loopback ADDR:PORT serving /metrics and
	                             * /healthz without a token */
	const char *tls_cert;       /* PEM files; both or neither */
	const char *tls_key;
	const char *client_ca;      /* PEM: require a client certificate chaining to it */
	const char *tls_priorities; /* GnuTLS priority string; TLS 1.2 and 1.3 by default */
	bool insecure_http;         /* allow plain HTTP off loopback */
	unsigned idle_timeout_s;    /* close a connection idle this long */
	unsigned connections_max;
	unsigned connections_per_address_max;
	size_t body_bytes_max;      /* for a route that says 0 */
	unsigned user_rate_per_s, user_burst;       /* 0: no limit */
	unsigned address_rate_per_s, address_burst; /* 0: no limit */
	const char *trusted_proxies; /* "127.0.0.1 ::1 10.0.0.0/8": whose X-Forwarded-For counts */
	const char *log_path;        /* the request log; NULL: stderr */
	unsigned stop_timeout_s;     /* how long SIGTERM waits for requests in flight */
};

/* The defaults (limits.h ZT_SERVICE_*). */
void zt_service_opts_init(struct zt_service_opts *o);
/* Overrides the defaults with the [service] section of the configuration
 * (docs/service.md lists the keys). The strings stay owned by c. */
int zt_service_opts_config(struct zt_service_opts *o, const struct zt_config *c);

struct zt_service;

/* Checks the options (addresses, files, plain HTTP off loopback) without
 * binding anything. */
int zt_service_new(struct zt_service **out, const struct zt_service_opts *o);
void zt_service_free(struct zt_service *s);
void zt_service_set_authenticator(struct zt_service *s, zt_authenticate_fn fn, void *ctx);
void zt_service_set_session_authenticator(struct zt_service *s, zt_session_fn fn, void *ctx);
/* What GET /healthz asks of the store once a request has found it
 * unreachable (zt_reply_store_unavailable) and none has reached it since
 * (zt_req_store_reached): 0 when it answers again; otherwise ZT_E* with a
 * message (Chinese, for the operator) in `message`, and /healthz answers
 * 503 {"status": "store-unreachable", "message": …}. Called on /healthz's
 * thread; NULL (the default): /healthz says unreachable until a request
 * reaches the store. */
typedef int (*zt_health_fn)(void *ctx, char *message, size_t cap);
void zt_service_set_health(struct zt_service *s, zt_health_fn fn, void *ctx);
/* The store is unreachable (ZT_EUNAVAILABLE, a connection that cannot be
 * opened): 503 `store-unavailable` with Retry-After and a message in
 * Chinese saying the request was not done, or that its commit's outcome
 * is unknown, and that the same request sent again is done once. */
int zt_reply_store_unavailable(struct zt_request *r);
/* The store answered this request: /healthz is 200 again. */
void zt_req_store_reached(struct zt_request *r);
/* Before zt_service_start. ZT_EINVAL for a malformed template or a method
 * and template given twice. The route is copied (its strings are not). */
int zt_service_add_route(struct zt_service *s, const struct zt_route *r);
/* GET /healthz (public), GET /metrics (ZT_OP_METRICS), GET /v1/openapi.json
 * (every role; the routes that exist). */
int zt_service_add_builtin_routes(struct zt_service *s);
/* A counter of the service's own in /metrics ("zhitong_claims_settled_total"),
 * before zt_service_start; *index is for zt_service_count. */
int zt_service_add_counter(struct zt_service *s, const char *name, const char *help,
                           size_t *index);
void zt_service_count(struct zt_service *s, size_t index, uint64_t n);

/* Binds and starts serving. */
int zt_service_start(struct zt_service *s);
/* The bound port (after start), of the service and of --metrics-listen. */
unsigned zt_service_port(const struct zt_service *s);
unsigned zt_service_metrics_port(const struct zt_service *s);
/* Stops accepting, lets the requests in flight finish (answers now say
 * Connection: close, /healthz says 503), then stops. ZT_EBUSY if some were
 * still running after opts.stop_timeout_s: the daemon is left running then,
 * and the process should exit. */
int zt_service_stop(struct zt_service *s);
/* zhitong serve: blocks SIGTERM and SIGINT, starts, says where it listens
 * on stderr, waits for one of them, stops. */
int zt_service_run(struct zt_service *s);

#endif
