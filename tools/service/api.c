/* zhitong — what the endpoints share (see api.h): the store per request,
 * use-case failures as answers, the actor recorded, scope and view from
 * the access table, Idempotency-Key. */
#include "api.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/actor.h"
#include "zhitong/error.h"

/* The answer kept for one Idempotency-Key. */
struct zt_idem_entry {
	char *scope;                         /* user \n method \n path \n key */
	unsigned char body_sha[SHA256_DIGEST_LENGTH];
	bool done;                           /* false: the first request still runs */
	unsigned status;
	char *answer;
	size_t answer_len;
};

int zt_api_init(struct zt_api *a, const char *db)
{
	memset(a, 0, sizeof *a);
	a->db = db;
	if (pthread_mutex_init(&a->idem_lock, NULL) != 0)
		return zt_error_set(ZT_ENOMEM, "cannot create a lock");
	int rc = zt_settle_group_new(&a->group, db, NULL, ZT_API_CHUNK_CLAIMS, 0);
	if (rc)
		pthread_mutex_destroy(&a->idem_lock);
	return rc;
}

void zt_api_free(struct zt_api *a)
{
	for (size_t i = 0; i < a->idem_n; i++) {
		free(a->idem[i].scope); /* NULL for a key given back */
		free(a->idem[i].answer);
	}
	free(a->idem);
	zt_settle_group_free(a->group);
	pthread_mutex_destroy(&a->idem_lock);
	memset(a, 0, sizeof *a);
}

int zt_api_add_routes(struct zt_api *a, struct zt_service *s)
{
	a->service = s;
	int rc = zt_service_add_counter(s, "zhitong_claims_settled_total",
	                                "Claims newly settled through the service.", &a->claims_settled);
	if (rc == 0)
		rc = zt_service_add_counter(s, "zhitong_claims_rejected_total",
		                            "Claims rejected through the service.", &a->claims_rejected);
	if (rc == 0)
		rc = api_claims_routes(a, s);
	if (rc == 0)
		rc = api_reports_routes(a, s);
	return rc;
}

int api_store(struct zt_request *r, struct zt_api *a, bool readonly, struct zt_store **out)
{
	*out = NULL;
	const struct zt_store_options o = {.readonly = readonly};
	int rc = zt_store_open(out, a->db, &o);
	if (rc == 0)
		return 0;
	zt_reply_error(r, rc == ZT_EBUSY ? 503 : 500, "store-unavailable",
	               "the store cannot be opened (request id %s)", zt_req_id(r));
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
	case ZT_EBUSY:
		zt_reply_header(r, "Retry-After", "1");
		return zt_reply_error(r, 503, "busy", "the store is busy: try again");
	default:
		return rc; /* a 500, its cause in the log (the core) */
	}
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

/* ---- Idempotency-Key ------------------------------------------------------------ */

#define IDEM_KEY_CHARS_MAX 255

int api_idem_begin(struct zt_request *r, struct zt_api *a, bool *done, long *slot)
{
	*done = false;
	*slot = -1;
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
	SHA256((const unsigned char *)body, blen, sha);
	char *scope = NULL;
	const struct zt_principal *p = zt_req_principal(r);
	/* the path as the route names it, with its parameters: the template
	 * and the values, so one key on two claims are two keys */
	const char *h = zt_req_param(r, "fixmedins_code"), *n = zt_req_param(r, "claim_no");
	const char *parts[] = {p ? p->user : "", zt_req_method(r), zt_req_route(r), h ? h : "",
	                       n ? n : "", key};
	size_t cap = 1;
	for (size_t i = 0; i < 6; i++)
		cap += strlen(parts[i]) + 1;
	if (!(scope = malloc(cap)))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	snprintf(scope, cap, "%s\n%s\n%s\n%s\n%s\n%s", parts[0], parts[1], parts[2], parts[3],
	         parts[4], parts[5]);
	pthread_mutex_lock(&a->idem_lock);
	for (size_t i = 0; i < a->idem_n; i++) {
		struct zt_idem_entry *e = &a->idem[i];
		if (!e->scope || strcmp(e->scope, scope) != 0)
			continue;
		free(scope);
		*done = true;
		int rc;
		if (memcmp(e->body_sha, sha, sizeof sha) != 0)
			rc = zt_reply_error(r, 409, "idempotency-key-reused",
			                    "this Idempotency-Key was used with another body");
		else if (!e->done)
			rc = zt_reply_error(r, 409, "idempotency-in-progress",
			                    "the first request with this Idempotency-Key is still running");
		else {
			zt_reply_header(r, "Idempotency-Replayed", "true");
			rc = zt_reply_bytes(r, e->status, "application/json", e->answer, e->answer_len);
		}
		pthread_mutex_unlock(&a->idem_lock);
		return rc;
	}
	int rc = 0;
	if (a->idem_n == a->idem_cap) {
		size_t ncap = a->idem_cap ? 2 * a->idem_cap : 64;
		struct zt_idem_entry *ne = realloc(a->idem, ncap * sizeof *ne);
		if (!ne)
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
		else {
			a->idem = ne;
			a->idem_cap = ncap;
		}
	}
	if (rc == 0) {
		struct zt_idem_entry *e = &a->idem[a->idem_n];
		memset(e, 0, sizeof *e);
		e->scope = scope;
		memcpy(e->body_sha, sha, sizeof sha);
		*slot = (long)a->idem_n++;
		scope = NULL;
	}
	pthread_mutex_unlock(&a->idem_lock);
	free(scope);
	return rc;
}

void api_idem_end(struct zt_api *a, long slot, unsigned status, const char *body, size_t len)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&a->idem_lock);
	struct zt_idem_entry *e = &a->idem[slot];
	char *copy = status < 500 ? malloc(len + 1) : NULL;
	if (copy) {
		memcpy(copy, body, len);
		copy[len] = '\0';
		e->answer = copy;
		e->answer_len = len;
		e->status = status;
		e->done = true;
	} else {
		/* a 5xx is not kept (and neither is what cannot be): the key is
		 * free again */
		free(e->scope);
		e->scope = NULL;
	}
	pthread_mutex_unlock(&a->idem_lock);
}
