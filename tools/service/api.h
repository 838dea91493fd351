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
#include <stddef.h>

#include "service.h"
#include "zhitong/json.h"
#include "zhitong/settle_group.h"
#include "zhitong/store.h"

struct zt_idem_entry;

struct zt_api {
	const char *db;              /* the store's target (zt_store_open) */
	struct zt_service *service;
	size_t claims_settled;       /* counters in /metrics */
	size_t claims_rejected;
	/* Idempotency-Key (docs/spec/service.md): the answers of non-claim
	 * POSTs by user, method, path and key. In memory for now: kept while
	 * the process runs (TODO: in the store, for 7 days). */
	pthread_mutex_t idem_lock;
	struct zt_idem_entry *idem;
	size_t idem_n, idem_cap;
	struct zt_settle_group *group; /* POST /v1/claims: group commit */
};

/* A list of more claims than this is a bulk input, settled in chunks of
 * this many claims with the desks' claims between them (issue 11 §4):
 * about 20 ms of work a chunk on this machine. */
#define ZT_API_CHUNK_CLAIMS 200

int zt_api_init(struct zt_api *a, const char *db);
void zt_api_free(struct zt_api *a);
/* Every endpoint (before zt_service_start). */
int zt_api_add_routes(struct zt_api *a, struct zt_service *s);

/* ---- shared by the api_*.c files ------------------------------------------ */

/* Opens the store for this request; on failure answers 503/500 and
 * returns non-zero (the handler returns 0 then: answered). */
int api_store(struct zt_request *r, struct zt_api *a, bool readonly, struct zt_store **out);
/* Answers the error of a use case that failed whole (rc < 0): 400 for a
 * malformed or invalid input, 503 busy, 500 otherwise. Returns 0. */
int api_fail(struct zt_request *r, int rc);
/* Who is recorded: the user, and "user/operator" with an X-Operator
 * (normalised, actor.h). 400 answered and non-zero when they do not fit. */
int api_actor(struct zt_request *r, char out[ZT_ACTOR_BYTES]);
/* The roles of the caller that the route's op admits (for zt_access_in_scope). */
unsigned api_roles(struct zt_request *r, enum zt_op op);
/* Whether the caller reaches an object of `hospital` paid by `funds`. */
bool api_in_scope(struct zt_request *r, enum zt_op op, const char *hospital,
                  const char *const *funds, size_t n);
/* The view of the caller (zt_access_view). */
unsigned api_view(struct zt_request *r);
/* Idempotency-Key for a non-claim POST: 0 and *done when the request was
 * answered from what is kept (or refused 409/422); 0 and !*done to go on,
 * then api_idem_end with the answer to keep. */
int api_idem_begin(struct zt_request *r, struct zt_api *a, bool *done, long *slot);
void api_idem_end(struct zt_api *a, long slot, unsigned status, const char *body, size_t len);

int api_claims_routes(struct zt_api *a, struct zt_service *s);
int api_reports_routes(struct zt_api *a, struct zt_service *s);

#endif
