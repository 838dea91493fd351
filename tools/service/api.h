/* zhitong — the endpoints of docs/spec/service.md over the engine's use
 * cases. Each api_*.c file wires one family of endpoints; this header is
 * what they share (api.c). A handler parses the request, asks the access
 * table (access.h) what the caller may reach and see, calls one use case
 * and renders its data (render/): it holds no business rule.
 *
 *     struct zt_api app;
 *     zt_api_init(&app, "zhitong.db");
 *     zt_service_new(&s, &opts);
 *     zt_service_set_authenticator(s, ...);
 *     zt_service_add_builtin_routes(s);
 *     zt_api_add_routes(&app, s);
 *     zt_service_run(s);
 *     zt_api_free(&app);
 *
 * Every request opens its own store handle (a connection, with SQLite):
 * requests run on their connections' threads at once, and the store
 * serialises writers per person exactly (store.h G1). Claims submitted
 * share their commits instead (settle_group.h: one write connection, one
 * fsync for every desk waiting). */
#ifndef ZT_SERVICE_API_H
#define ZT_SERVICE_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "service.h"
#include "zhitong/json.h"
#include "zhitong/settle_group.h"
#include "zhitong/store.h"

/* Idempotency-Key (docs/spec/service.md "Endpoints"): an answer is kept
 * 7 days; a key held by a request still running is leased for an hour, so
 * that a process that died mid-request frees it. */
#define ZT_IDEM_KEEP_S (7 * 86400)
#define ZT_IDEM_LEASE_S 3600
#define API_IDEM_ROUTES_MAX 64
#define API_IDEM_UNFREED_MAX 64

struct idem_route;
struct zt_sessions;
struct zt_slip_keys;

struct zt_api {
	const char *db;              /* the store's target (zt_store_open) */
	/* The loaded configuration, handed to settle as the CLI does ([county C]
	 * catalog = required: docs/spec/rules-v2.md §2), and [pool], [advance],
	 * [reconcile], [hospital H] for finance's endpoints; NULL: none. Owned
	 * by the caller, alive while the service runs. */
	const struct zt_config *config;
	const char *files_dir;       /* where the service writes files (pain.001): [service] files */
	struct zt_service *service;
	size_t claims_settled;       /* counters in /metrics */
	size_t claims_rejected;
	/* Idempotency-Key: the answers of non-claim POSTs by user, method,
	 * path and key are kept in the store (store.h idempotency); these
	 * wrap the POST routes' handlers (api_add_routes). */
	struct idem_route *idem_routes[API_IDEM_ROUTES_MAX];
	size_t idem_routes_n;
	/* the clock of Idempotency-Key (Unix seconds; NULL: time()) and a hook
	 * called while a key is held, before the handler runs: for tests */
	int64_t (*now)(void *ctx);
	void *now_ctx;
	void (*idem_held)(void *ctx);
	void *idem_held_ctx;
	/* The pool's slip keys ([slip] key): the code on the slips and
	 * GET /v1/slips/verify (api_slips.c); NULL: no code, 503 there. */
	const struct zt_slip_keys *slip_keys;
	/* The web console's sessions (session.h), or NULL: no console. */
	struct zt_sessions *sessions;
	struct zt_settle_group *group; /* POST /v1/claims: group commit */
	/* Idempotency-Keys a 5xx answer should have freed while the store
	 * could not be reached (api_idem_end): freed by the next
	 * api_idem_begin that reaches it, so that the desk's retry with the
	 * same key runs instead of waiting out the lease (409 in progress). */
	pthread_mutex_t idem_lock;
	struct {
		char scope[65];
		int64_t since; /* Unix seconds: past the lease, forgotten */
	} idem_unfreed[API_IDEM_UNFREED_MAX];
	size_t idem_unfreed_n;
};

/* A list of more claims than this is a bulk input, settled in chunks of
 * this many claims with the desks' claims between them (issue 11 §4):
 * about 20 ms of work a chunk on this machine. */
#define ZT_API_CHUNK_CLAIMS 200

int zt_api_init(struct zt_api *a, const char *db);
/* The options of the service's long-lived connections (the group commit's,
 * the authenticator's): their loss and reconnection told on stderr, one
 * line each, `whose` naming the connection. */
void zt_api_store_options(struct zt_store_options *o, const char *whose);
/* zt_health_fn (service.h) over the api's store: opens it and reads its
 * version: 0, or ZT_E* with the message (asked only after a request found
 * the store unreachable). */
int api_health(void *ctx, char *message, size_t cap);
void zt_api_free(struct zt_api *a);
/* Every endpoint (before zt_service_start). */
int zt_api_add_routes(struct zt_api *a, struct zt_service *s);

/* ---- shared by the api_*.c files ------------------------------------------ */

/* Opens the store for this request; on failure answers 503 and
 * returns non-zero (the handler returns 0 then: answered). */
int api_store(struct zt_request *r, struct zt_api *a, bool readonly, struct zt_store **out);
/* Answers the error of a use case that failed whole (rc < 0): 400 for a
 * malformed or invalid input, 409 four-eyes for a maker-checker refusal,
 * 503 busy, 503 store-unavailable (ZT_EUNAVAILABLE: the connection lost;
 * Retry-After), 500 otherwise. Returns 0. */
int api_fail(struct zt_request *r, int rc);
/* As api_fail, and ZT_ECONFLICT, the object's state refusing the step,
 * 409 `state_code` ("batch-state", "plan-state" ...). ZT_EFOUREYES, the
 * maker-checker refusal, is 409 four-eyes in both (docs/spec/service.md
 * "Bodies"). Returns 0. */
int api_fail_state(struct zt_request *r, int rc, const char *state_code);
/* Answers `status` with the JSON value `write` writes of `ctx`: the writer
 * made, filled, sent and freed in this one place. */
typedef void (*api_write_fn)(struct zt_json_writer *w, const void *ctx);
int api_reply_with(struct zt_request *r, unsigned status, api_write_fn write, const void *ctx);
/* Who is recorded: the user, and "user/operator" with an X-Operator
 * (normalised, actor.h). 400 answered and non-zero when they do not fit. */
int api_actor(struct zt_request *r, char out[ZT_ACTOR_BYTES]);
/* The roles of the caller that the route's op admits (for zt_access_in_scope). */
unsigned api_roles(struct zt_request *r, enum zt_op op);
/* Whether the caller reaches an object of `hospital` paid by `funds`. */
/* Whether the caller's scope reaches pool `pool` (access.h zt_scope_admits_pool). */
bool api_pool_in_scope(struct zt_request *r, const char *pool);
/* The pool a request acts for: `want` (a body's or query's "pool"), else
 * the caller's only pool, else the configuration's only pool
 * (zt_config_pool_pick). 0 with *out; else answered — 400 for no pool
 * named where several are configured, 404 for a pool that is not
 * configured or not the caller's — and non-zero. */
int api_pool_pick(struct zt_request *r, const struct zt_config *cfg, const char *want,
                  const char **out);
bool api_in_scope(struct zt_request *r, enum zt_op op, const char *hospital,
                  const char *const *funds, size_t n);
/* The view of the caller (zt_access_view). */
unsigned api_view(struct zt_request *r);
/* Idempotency-Key for a non-claim POST: 0 and *done when the request was
 * answered from what is kept (or refused 409); 0 and !*done to go on,
 * then api_idem_end after answering: the answer is kept, a 5xx is not. */
struct api_idem {
	char scope[65];
	bool held;
};
int api_idem_begin(struct zt_request *r, struct zt_api *a, bool *done, struct api_idem *k);
void api_idem_end(struct zt_request *r, struct zt_api *a, struct api_idem *k);
/* Adds routes; every POST among them takes Idempotency-Key (its handler
 * wrapped in api_idem_begin / api_idem_end). */
int api_add_routes(struct zt_api *a, struct zt_service *s, const struct zt_route *routes,
                   size_t n);

/* JSON members that may be absent: a string ("" is null), a date (0 is null). */
void api_json_text_or_null(struct zt_json_writer *w, const char *key, const char *v);
void api_json_date_or_null(struct zt_json_writer *w, const char *key, zt_date d);
/* A member: a string, a whole number, an amount (two decimals), a boolean. */
void api_json_str(struct zt_json_writer *w, const char *key, const char *v);
void api_json_int(struct zt_json_writer *w, const char *key, int64_t v);
void api_json_amount(struct zt_json_writer *w, const char *key, zt_fen v);
void api_json_bool(struct zt_json_writer *w, const char *key, bool v);
/* A small JSON body: an object of the NULL-terminated `members` (no body:
 * *doc and *root NULL). 0, or answered 400 (malformed-json,
 * invalid-request) and non-zero. Free *doc with zt_json_doc_free. */
int api_json_object_body(struct zt_request *r, const char *const *members,
                         struct zt_json_doc **doc, const struct zt_json **root);
/* A list read in one go: 200 {"KEY": [what fill writes]} from a read-only
 * store, or the use case's failure (api_fail). */
typedef int (*api_fill_fn)(struct zt_store *s, struct zt_json_writer *w, void *ctx);
int api_reply_list(struct zt_request *r, struct zt_api *a, const char *key, api_fill_fn fill,
                   void *ctx);

int api_claims_routes(struct zt_api *a, struct zt_service *s);
int api_reports_routes(struct zt_api *a, struct zt_service *s);
int api_console_routes(struct zt_api *a, struct zt_service *s);
int api_slips_routes(struct zt_api *a, struct zt_service *s);
int api_batches_routes(struct zt_api *a, struct zt_service *s);
int api_money_routes(struct zt_api *a, struct zt_service *s);
struct zt_batch;
void api_batch_json(struct zt_json_writer *w, const struct zt_batch *b);

#endif
