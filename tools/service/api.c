/* zhitong — what the endpoints share (see api.h): the store per request,
 * use-case failures as answers, the actor recorded, scope and view from
 * the access table, Idempotency-Key. */
#include "api.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zhitong/actor.h"
#include "zhitong/error.h"

/* One line on stderr (store.h zt_store_options log). */
static void store_log(void *ctx, const char *line)
{
	fprintf(stderr, "zhitong serve: %s%s%s\n", ctx ? (const char *)ctx : "", ctx ? "：" : "", line);
}

void zt_api_store_options(struct zt_store_options *o, const char *whose)
{
	o->log = store_log;
	o->log_ctx = (void *)(uintptr_t)whose; /* a string of static storage */
}

int zt_api_init(struct zt_api *a, const char *db)
{
	memset(a, 0, sizeof *a);
	a->db = db;
	pthread_mutex_init(&a->idem_lock, NULL);
	struct zt_store_options o = {0};
	zt_api_store_options(&o, "结算连接");
	return zt_settle_group_new(&a->group, db, &o, ZT_API_CHUNK_CLAIMS, 0);
}

int api_health(void *ctx, char *message, size_t cap)
{
	struct zt_api *a = ctx;
	/* a connection of its own, one statement */
	const struct zt_store_options o = {.readonly = true};
	struct zt_store *s = NULL;
	int rc = zt_store_open(&s, a->db, &o);
	if (rc == 0)
		rc = s->ops->check_version(s);
	zt_store_close(s);
	if (rc)
		snprintf(message, cap, "数据库无法连接：%s", zt_error_last());
	return rc;
}

void zt_api_free(struct zt_api *a)
{
	for (size_t i = 0; i < a->idem_routes_n; i++)
		free(a->idem_routes[i]);
	zt_settle_group_free(a->group);
	pthread_mutex_destroy(&a->idem_lock);
	memset(a, 0, sizeof *a);
}

int zt_api_add_routes(struct zt_api *a, struct zt_service *s)
{
	a->service = s;
	zt_service_set_health(s, api_health, a);
	int rc = zt_service_add_counter(s, "zhitong_claims_settled_total",
	                                "Claims newly settled through the service.", &a->claims_settled);
	if (rc == 0)
		rc = zt_service_add_counter(s, "zhitong_claims_rejected_total",
		                            "Claims rejected through the service.", &a->claims_rejected);
	if (rc == 0)
		rc = api_claims_routes(a, s);
	if (rc == 0)
		rc = api_reports_routes(a, s);
	if (rc == 0)
		rc = api_slips_routes(a, s);
	if (rc == 0)
		rc = api_console_routes(a, s);
	if (rc == 0)
		rc = api_batches_routes(a, s);
	if (rc == 0)
		rc = api_money_routes(a, s);
	return rc;
}

int api_store(struct zt_request *r, struct zt_api *a, bool readonly, struct zt_store **out)
{
	*out = NULL;
	const struct zt_store_options o = {.readonly = readonly};
	int rc = zt_store_open(out, a->db, &o);
	if (rc == 0) {
		zt_req_store_reached(r);
		return 0;
	}
	/* unreachable (PostgreSQL down, a failover under way) or, with SQLite,
	 * the file out of reach: the client tries again */
	fprintf(stderr, "zhitong serve: request %s: %s\n", zt_req_id(r), zt_error_last());
	zt_reply_store_unavailable(r);
	return rc;
}

int api_fail(struct zt_request *r, int rc)
{
	const char *m = zt_error_last();
	switch (rc) {
	case ZT_EMALFORMED:
		return zt_reply_error(r, 400,
		                      zt_req_body_format(r) == ZT_FORMAT_JSON ? "malformed-json"
		                                                              : "malformed-xml",
		                      "%s", m);
	case ZT_EINVAL:
		return zt_reply_error(r, 400, "invalid-request", "%s", m);
	case ZT_ERANGE:
		return zt_reply_error(r, 413, "limit-exceeded", "%s", m);
	case ZT_ENOTFOUND:
		return zt_reply_error(r, 404, "not-found", "%s", m);
	case ZT_EFOUREYES: /* the engine's own code for it (error.h) */
		return zt_reply_error(r, 409, "four-eyes", "%s", m);
	case ZT_EBUSY:
		zt_reply_header(r, "Retry-After", "1");
		return zt_reply_error(r, 503, "busy", "the store is busy: try again");
	case ZT_EUNAVAILABLE: /* the connection lost: the store makes it again */
		fprintf(stderr, "zhitong serve: request %s: %s\n", zt_req_id(r), m);
		return zt_reply_store_unavailable(r);
	default:
		return rc; /* a 500, its cause in the log (the core) */
	}
}

int api_fail_state(struct zt_request *r, int rc, const char *state_code)
{
	if (rc == ZT_ECONFLICT)
		return zt_reply_error(r, 409, state_code, "%s", zt_error_last());
	return api_fail(r, rc);
}

int api_reply_with(struct zt_request *r, unsigned status, api_write_fn write, const void *ctx)
{
	struct zt_json_writer *w = NULL;
	int rc = zt_json_writer_new(&w, false);
	if (rc)
		return rc;
	write(w, ctx);
	rc = zt_reply_json(r, status, w);
	zt_json_writer_free(w);
	return rc;
}

int api_actor(struct zt_request *r, char out[ZT_ACTOR_BYTES])
{
	const struct zt_principal *p = zt_req_principal(r);
	const char *op = zt_req_operator(r);
	char both[2 * ZT_ACTOR_BYTES + 2];
	if (op)
		snprintf(both, sizeof both, "%s/%s", p->user, op);
	else
		snprintf(both, sizeof both, "%s", p->user);
	if (zt_actor_normalize(out, both) != 0) {
		zt_reply_error(r, 400, "invalid-operator", "user and X-Operator together: %s",
		               zt_error_last());
		return ZT_EINVAL;
	}
	return 0;
}

unsigned api_roles(struct zt_request *r, enum zt_op op)
{
	const struct zt_principal *p = zt_req_principal(r);
	return p ? p->roles & zt_access_roles(op) : 0;
}

bool api_pool_in_scope(struct zt_request *r, const char *pool)
{
	const struct zt_principal *p = zt_req_principal(r);
	return p && zt_scope_admits_pool(&p->scope, pool);
}

int api_pool_pick(struct zt_request *r, const struct zt_config *cfg, const char *want,
                  const char **out)
{
	const struct zt_principal *p = zt_req_principal(r);
	if ((!want || !want[0]) && p && p->scope.pool_count == 1)
		want = p->scope.pools[0];
	if (zt_config_pool_pick(cfg, want, out) != 0) {
		if (!want || !want[0])
			zt_reply_error(r, 400, "invalid-request", "%s", zt_error_last());
		else
			zt_reply_error(r, 404, "not-found", "no such pool");
		return 1;
	}
	if (!api_pool_in_scope(r, *out)) {
		zt_reply_error(r, 404, "not-found", "no such pool");
		return 1;
	}
	return 0;
}

bool api_in_scope(struct zt_request *r, enum zt_op op, const char *hospital,
                  const char *const *funds, size_t n)
{
	const struct zt_principal *p = zt_req_principal(r);
	return p && zt_access_in_scope(api_roles(r, op), &p->scope, hospital, funds, n);
}

unsigned api_view(struct zt_request *r)
{
	const struct zt_principal *p = zt_req_principal(r);
	return p ? zt_access_view(p->roles) : 0;
}

/* ---- JSON helpers ------------------------------------------------------------------- */

void api_json_text_or_null(struct zt_json_writer *w, const char *key, const char *v)
{
	zt_json_write_key(w, key);
	if (v && v[0])
		zt_json_write_string(w, v);
	else
		zt_json_write_null(w);
}

void api_json_date_or_null(struct zt_json_writer *w, const char *key, zt_date d)
{
	zt_json_write_key(w, key);
	if (d)
		zt_json_write_date(w, d);
	else
		zt_json_write_null(w);
}

void api_json_str(struct zt_json_writer *w, const char *key, const char *v)
{
	zt_json_write_key(w, key);
	zt_json_write_string(w, v);
}

void api_json_int(struct zt_json_writer *w, const char *key, int64_t v)
{
	zt_json_write_key(w, key);
	zt_json_write_int(w, v);
}

void api_json_amount(struct zt_json_writer *w, const char *key, zt_fen v)
{
	zt_json_write_key(w, key);
	zt_json_write_amount(w, v);
}

void api_json_bool(struct zt_json_writer *w, const char *key, bool v)
{
	zt_json_write_key(w, key);
	zt_json_write_bool(w, v);
}

int api_json_object_body(struct zt_request *r, const char *const *members,
                         struct zt_json_doc **doc, const struct zt_json **root)
{
	size_t len = 0;
	const char *body = zt_req_body(r, &len);
	*doc = NULL;
	*root = NULL;
	if (len == 0)
		return 0;
	if (zt_json_parse(doc, body, len, NULL) != 0) {
		zt_reply_error(r, 400, "malformed-json", "%s", zt_error_last());
		return 1;
	}
	*root = zt_json_root(*doc);
	zt_error_clear();
	if ((*root)->type != ZT_JSON_OBJECT || zt_json_check_members(*root, members) != 0) {
		zt_reply_error(r, 400, "invalid-request", "the body is an object%s%s",
		               zt_error_last()[0] ? ": " : "", zt_error_last());
		zt_json_doc_free(*doc);
		*doc = NULL;
		*root = NULL;
		return 1;
	}
	return 0;
}

int api_reply_list(struct zt_request *r, struct zt_api *a, const char *key, api_fill_fn fill,
                   void *ctx)
{
	struct zt_json_writer *w = NULL;
	struct zt_store *s = NULL;
	int rc = zt_json_writer_new(&w, false);
	if (rc)
		return rc;
	if (api_store(r, a, true, &s) == 0) {
		zt_json_write_object_begin(w);
		zt_json_write_key(w, key);
		zt_json_write_array_begin(w);
		rc = fill(s, w, ctx);
		zt_store_close(s);
		zt_json_write_array_end(w);
		zt_json_write_object_end(w);
		rc = rc ? api_fail(r, rc) : zt_reply_json(r, 200, w);
	}
	zt_json_writer_free(w);
	return rc;
}

/* ---- Idempotency-Key ------------------------------------------------------------ */

#define IDEM_KEY_CHARS_MAX 255

static void hex_of(char out[65], const unsigned char sha[SHA256_DIGEST_LENGTH])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = digits[sha[i] >> 4];
		out[2 * i + 1] = digits[sha[i] & 15];
	}
	out[64] = '\0';
}

/* The key's scope (docs/spec/service.md: "scoped to the user, the method
 * and the path"): the user, the method and the path as the route names it
 * with each parameter's decoded value, so one key on two claims or two
 * batches is two keys. Hashed: the store keeps no client text. */
static int idem_scope(struct zt_request *r, const char *key, char out[65])
{
	const struct zt_principal *p = zt_req_principal(r);
	const char *user = p ? p->user : "", *route = zt_req_route(r);
	/* NUL-separated: no part runs into the next */
	size_t cap = strlen(user) + strlen(zt_req_method(r)) + strlen(route) + strlen(key) + 4;
	for (const char *t = strchr(route, '{'); t; t = strchr(t + 1, '{')) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(t + 1, "}"), t + 1);
		const char *v = zt_req_param(r, name);
		cap += (v ? strlen(v) : 0) + 1;
	}
	char *buf = malloc(cap), *w = buf;
	if (!buf)
		return zt_error_set(ZT_ENOMEM, "out of memory");
#define PUT(text, n)                                                                              \
	do {                                                                                      \
		memcpy(w, text, n);                                                               \
		w += n;                                                                           \
	} while (0)
	PUT(user, strlen(user) + 1);
	PUT(zt_req_method(r), strlen(zt_req_method(r)) + 1);
	for (const char *t = route; *t;) {
		const char *open = strchr(t, '{');
		if (!open) {
			PUT(t, strlen(t));
			break;
		}
		PUT(t, (size_t)(open - t));
		size_t nl = strcspn(open + 1, "}");
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)nl, open + 1);
		const char *v = zt_req_param(r, name);
		v = v ? v : "";
		PUT(v, strlen(v) + 1);
		t = open + 1 + nl + (open[1 + nl] ? 1 : 0);
	}
	PUT("", 1);
	PUT(key, strlen(key));
#undef PUT
	unsigned char sha[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)buf, (size_t)(w - buf), sha);
	free(buf);
	hex_of(out, sha);
	return 0;
}

int api_idem_begin(struct zt_request *r, struct zt_api *a, bool *done, struct api_idem *k)
{
	*done = false;
	memset(k, 0, sizeof *k);
	const char *key = zt_req_header(r, "Idempotency-Key");
	if (!key)
		return 0;
	size_t kl = strlen(key);
	if (kl == 0 || kl > IDEM_KEY_CHARS_MAX) {
		*done = true;
		return zt_reply_error(r, 400, "invalid-idempotency-key",
		                      "Idempotency-Key is 1 to %d characters", IDEM_KEY_CHARS_MAX);
	}
	size_t blen = 0;
	const char *body = zt_req_body(r, &blen);
	unsigned char sha[SHA256_DIGEST_LENGTH];
	char body_hex[65];
	SHA256((const unsigned char *)body, blen, sha);
	hex_of(body_hex, sha);
	int rc = idem_scope(r, key, k->scope);
	if (rc)
		return rc;
	struct zt_store *s = NULL;
	if (api_store(r, a, false, &s) != 0) {
		*done = true;
		return 0;
	}
	int64_t now = a->now ? a->now(a->now_ctx) : (int64_t)time(NULL);
	struct zt_stored_idem kept;
	bool taken = false;
	char unfreed[API_IDEM_UNFREED_MAX][65];
	size_t nu = 0;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) == 0) {
		/* the keys a 5xx left held while the store was out of reach:
		 * freed first (those still within their lease: past it, a key
		 * may be someone else's) */
		pthread_mutex_lock(&a->idem_lock);
		for (size_t i = 0; i < a->idem_unfreed_n; i++)
			if (a->idem_unfreed[i].since + ZT_IDEM_LEASE_S > now)
				memcpy(unfreed[nu++], a->idem_unfreed[i].scope, 65);
		pthread_mutex_unlock(&a->idem_lock);
		for (size_t i = 0; i < nu && rc == 0; i++)
			rc = s->ops->idempotency.drop(s, unfreed[i]);
		if (rc == 0)
			rc = s->ops->idempotency.take(s, k->scope, body_hex, now, now + ZT_IDEM_LEASE_S,
			                              &taken, &kept);
		if (rc == 0)
			rc = s->ops->commit(s);
		else
			s->ops->rollback(s);
		if (rc == 0 && nu) { /* freed: off the list (those added meanwhile stay) */
			pthread_mutex_lock(&a->idem_lock);
			for (size_t i = 0; i < a->idem_unfreed_n;) {
				bool freed = a->idem_unfreed[i].since + ZT_IDEM_LEASE_S <= now;
				for (size_t j = 0; j < nu && !freed; j++)
					freed = !strcmp(unfreed[j], a->idem_unfreed[i].scope);
				if (freed)
					a->idem_unfreed[i] = a->idem_unfreed[--a->idem_unfreed_n];
				else
					i++;
			}
			pthread_mutex_unlock(&a->idem_lock);
		}
	}
	zt_store_close(s);
	if (rc) {
		*done = true;
		return api_fail(r, rc);
	}
	if (taken) {
		k->held = true;
		zt_req_capture(r);
		if (a->idem_held)
			a->idem_held(a->idem_held_ctx);
		return 0;
	}
	*done = true;
	if (strcmp(kept.body_sha, body_hex) != 0)
		rc = zt_reply_error(r, 409, "idempotency-key-reused",
		                    "this Idempotency-Key was used with another body");
	else if (!kept.done)
		rc = zt_reply_error(r, 409, "idempotency-in-progress",
		                    "the first request with this Idempotency-Key is still running");
	else if ((rc = zt_reply_header(r, "Idempotency-Replayed", "true")) == 0)
		rc = zt_reply_bytes(r, kept.status, kept.content_type, kept.answer, kept.answer_len);
	free(kept.answer);
	return rc;
}

void api_idem_end(struct zt_request *r, struct zt_api *a, struct api_idem *k)
{
	if (!k->held)
		return;
	k->held = false;
	unsigned status = 0;
	const char *ct = NULL, *body = NULL;
	size_t len = 0;
	bool answered = zt_req_captured(r, &status, &ct, &body, &len);
	struct zt_store *s = NULL;
	const struct zt_store_options o = {0};
	int rc = zt_store_open(&s, a->db, &o);
	if (rc == 0 && (rc = s->ops->begin(s, ZT_TXN_WRITE)) == 0) {
		int64_t now = a->now ? a->now(a->now_ctx) : (int64_t)time(NULL);
		/* a 5xx (or no answer: the core's 500) is not kept: the key is
		 * free again */
		if (answered && status < 500)
			rc = s->ops->idempotency.keep(s, k->scope, status, ct, body, len,
			                              now + ZT_IDEM_KEEP_S);
		else
			rc = s->ops->idempotency.drop(s, k->scope);
		if (rc == 0)
			rc = s->ops->commit(s);
		else
			s->ops->rollback(s);
	}
	zt_store_close(s);
	/* the answer stands; a key that could not be kept is left to its lease,
	 * one a 5xx could not free is freed by the next request that reaches
	 * the store (api_idem_begin) */
	bool queued = false;
	if (rc && !(answered && status < 500)) {
		int64_t now = a->now ? a->now(a->now_ctx) : (int64_t)time(NULL);
		pthread_mutex_lock(&a->idem_lock);
		if (a->idem_unfreed_n < API_IDEM_UNFREED_MAX) {
			memcpy(a->idem_unfreed[a->idem_unfreed_n].scope, k->scope, 65);
			a->idem_unfreed[a->idem_unfreed_n++].since = now;
			queued = true;
		}
		pthread_mutex_unlock(&a->idem_lock);
	}
	if (rc)
		fprintf(stderr, "zhitong serve: request %s: Idempotency-Key not %s: %s\n", zt_req_id(r),
		        queued ? "freed yet (freed at the next request that reaches the store)" : "kept",
		        zt_error_last());
}

/* A route whose POST takes Idempotency-Key: the handler runs between
 * api_idem_begin and api_idem_end. */
struct idem_route {
	struct zt_api *a;
	zt_handler_fn handler;
	void *ctx;
};

static int idem_handler(struct zt_request *r, void *ctx)
{
	struct idem_route *ir = ctx;
	bool done;
	struct api_idem k;
	int rc = api_idem_begin(r, ir->a, &done, &k);
	if (rc || done)
		return rc;
	rc = ir->handler(r, ir->ctx);
	api_idem_end(r, ir->a, &k);
	return rc;
}

int api_add_routes(struct zt_api *a, struct zt_service *s, const struct zt_route *routes,
                   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct zt_route rt = routes[i];
		if (strcmp(rt.method, "POST") == 0) {
			if (a->idem_routes_n == API_IDEM_ROUTES_MAX)
				return zt_error_set(ZT_EINTERNAL, "more than %d POST routes",
				                    API_IDEM_ROUTES_MAX);
			struct idem_route *ir = malloc(sizeof *ir);
			if (!ir)
				return zt_error_set(ZT_ENOMEM, "out of memory");
			*ir = (struct idem_route){a, rt.handler, rt.ctx};
			a->idem_routes[a->idem_routes_n++] = ir;
			rt.handler = idem_handler;
			rt.ctx = ir;
		}
		int rc = zt_service_add_route(s, &rt);
		if (rc)
			return rc;
	}
	return 0;
}
