/* zhitong — the routes every service has: GET /healthz, GET /metrics and
 * GET /v1/openapi.json (docs/spec/service.md "Endpoints").
 *
 * The OpenAPI document is, for now, a placeholder written from the route
 * table: every route that exists with its method, path parameters, who may
 * call it and the error shape. The bodies' schemas come with the
 * endpoints. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_int.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/limits.h"

static int healthz(struct zt_request *r, void *ctx)
{
	struct zt_service *s = ctx;
	bool stopping = zt_service_stopping(s);
	/* 503 while stopping, so a load balancer sends new work elsewhere */
	if (stopping) {
		const char *body = "{\"status\":\"stopping\"}";
		return zt_reply(r, 503, ZT_FORMAT_JSON, body, strlen(body));
	}
	/* and while the store cannot be reached (its connection lost and not
	 * made again yet): the process lives, it answers 503 until then */
	char why[ZT_MESSAGE_BYTES_MAX];
	if (zt_service_health(s, why, sizeof why) != 0) {
		struct zt_json_writer *w = NULL;
		int rc = zt_json_writer_new(&w, false);
		if (rc)
			return rc;
		zt_json_write_object_begin(w);
		zt_json_write_key(w, "status");
		zt_json_write_string(w, "store-unreachable");
		zt_json_write_key(w, "message");
		zt_json_write_string(w, why);
		zt_json_write_object_end(w);
		zt_reply_header(r, "Retry-After", "1");
		rc = zt_reply_json(r, 503, w);
		zt_json_writer_free(w);
		return rc;
	}
	const char *body = "{\"status\":\"ok\"}";
	return zt_reply(r, 200, ZT_FORMAT_JSON, body, strlen(body));
}

static int metrics(struct zt_request *r, void *ctx)
{
	char *text = NULL;
	size_t len = 0;
	int rc = zt_metrics_render(zt_service_metrics(ctx), &text, &len);
	if (rc)
		return rc;
	return zt_reply_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static void write_roles(struct zt_json_writer *w, unsigned roles)
{
	zt_json_write_array_begin(w);
	for (unsigned b = 1; b <= ZT_USER_ADMIN; b <<= 1)
		if (roles & b)
			zt_json_write_string(w, zt_user_role_name(b));
	zt_json_write_array_end(w);
}

static void write_operation(struct zt_json_writer *w, const struct zt_route_entry *e)
{
	char method[16];
	size_t i = 0;
	for (; e->r.method[i] && i + 1 < sizeof method; i++)
		method[i] = (char)tolower((unsigned char)e->r.method[i]);
	method[i] = '\0';
	zt_json_write_key(w, method);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "summary");
	zt_json_write_string(w, e->r.summary ? e->r.summary : "");
	if (e->r.flags & ZT_ROUTE_PUBLIC) {
		zt_json_write_key(w, "security");
		zt_json_write_array_begin(w);
		zt_json_write_array_end(w);
	} else {
		bool any_role = e->r.flags & ZT_ROUTE_ANY_ROLE;
		zt_json_write_key(w, "x-zhitong-roles");
		write_roles(w, any_role ? ZT_USER_ROLES_ALL : zt_access_roles(e->r.op));
		if (!any_role) {
			zt_json_write_key(w, "x-zhitong-op");
			zt_json_write_string(w, zt_op_info(e->r.op)->name);
		}
	}
	bool any = false;
	for (size_t k = 0; k < e->nseg; k++)
		any |= e->param[k];
	if (any) {
		zt_json_write_key(w, "parameters");
		zt_json_write_array_begin(w);
		for (size_t k = 0; k < e->nseg; k++) {
			if (!e->param[k])
				continue;
			zt_json_write_object_begin(w);
			zt_json_write_key(w, "name");
			zt_json_write_string(w, e->seg[k]);
			zt_json_write_key(w, "in");
			zt_json_write_string(w, "path");
			zt_json_write_key(w, "required");
			zt_json_write_bool(w, true);
			zt_json_write_key(w, "schema");
			zt_json_write_object_begin(w);
			zt_json_write_key(w, "type");
			zt_json_write_string(w, "string");
			zt_json_write_object_end(w);
			zt_json_write_object_end(w);
		}
		zt_json_write_array_end(w);
	}
	if (e->r.bodies) {
		zt_json_write_key(w, "requestBody");
		zt_json_write_object_begin(w);
		zt_json_write_key(w, "content");
		zt_json_write_object_begin(w);
		for (int f = ZT_FORMAT_JSON; f < ZT_FORMAT_COUNT; f++) {
			if (!(e->r.bodies & ZT_BODY(f)))
				continue;
			const char *ct = zt_format_content_type((enum zt_format)f);
			char media[64];
			size_t ml = strcspn(ct, ";");
			snprintf(media, sizeof media, "%.*s", (int)ml, ct);
			zt_json_write_key(w, media);
			zt_json_write_object_begin(w);
			zt_json_write_object_end(w);
		}
		zt_json_write_object_end(w);
		zt_json_write_object_end(w);
	}
	zt_json_write_key(w, "responses");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "default");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "description");
	zt_json_write_string(w, "an error");
	zt_json_write_key(w, "content");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "application/json");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "schema");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "$ref");
	zt_json_write_string(w, "#/components/schemas/Error");
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
}

static void write_string_property(struct zt_json_writer *w, const char *name)
{
	zt_json_write_key(w, name);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "type");
	zt_json_write_string(w, "string");
	zt_json_write_object_end(w);
}

static int openapi(struct zt_request *r, void *ctx)
{
	const struct zt_routes *t = zt_service_routes(ctx);
	struct zt_json_writer *w = NULL;
	int rc = zt_json_writer_new(&w, true);
	if (rc)
		return rc;
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "openapi");
	zt_json_write_string(w, "3.0.3");
	zt_json_write_key(w, "info");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "title");
	zt_json_write_string(w, "zhitong");
	zt_json_write_key(w, "version");
	zt_json_write_string(w, "0.1.0");
	zt_json_write_key(w, "description");
	zt_json_write_string(w, "The routes this service has (docs/spec/service.md); the shapes "
	                        "of their bodies come with each endpoint.");
	zt_json_write_object_end(w);
	zt_json_write_key(w, "security");
	zt_json_write_array_begin(w);
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "bearer");
	zt_json_write_array_begin(w);
	zt_json_write_array_end(w);
	zt_json_write_object_end(w);
	zt_json_write_array_end(w);
	zt_json_write_key(w, "paths");
	zt_json_write_object_begin(w);
	for (size_t i = 0; i < t->n; i++) {
		const struct zt_route_entry *e = &t->e[i];
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(t->e[j].r.path, e->r.path) == 0;
		if (seen)
			continue; /* written with the first route of its path */
		zt_json_write_key(w, e->r.path);
		zt_json_write_object_begin(w);
		for (size_t j = i; j < t->n; j++)
			if (strcmp(t->e[j].r.path, e->r.path) == 0)
				write_operation(w, &t->e[j]);
		zt_json_write_object_end(w);
	}
	zt_json_write_object_end(w);
	zt_json_write_key(w, "components");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "securitySchemes");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "bearer");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "type");
	zt_json_write_string(w, "http");
	zt_json_write_key(w, "scheme");
	zt_json_write_string(w, "bearer");
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_key(w, "schemas");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "Error");
	zt_json_write_object_begin(w);
	zt_json_write_key(w, "type");
	zt_json_write_string(w, "object");
	zt_json_write_key(w, "required");
	zt_json_write_array_begin(w);
	zt_json_write_string(w, "code");
	zt_json_write_string(w, "message");
	zt_json_write_array_end(w);
	zt_json_write_key(w, "properties");
	zt_json_write_object_begin(w);
	write_string_property(w, "code");
	write_string_property(w, "message");
	write_string_property(w, "fixmedins_code");
	write_string_property(w, "claim_no");
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	zt_json_write_object_end(w);
	rc = zt_reply_json(r, 200, w);
	zt_json_writer_free(w);
	return rc;
}

int zt_service_add_builtin_routes(struct zt_service *s)
{
	const struct zt_route routes[] = {
		{.method = "GET", .path = "/healthz", .flags = ZT_ROUTE_PUBLIC, .handler = healthz,
		 .ctx = s, .summary = "liveness: 200, or 503 while stopping or while the store is unreachable"},
		{.method = "GET", .path = "/metrics", .op = ZT_OP_METRICS,
		 .handler = metrics, .ctx = s,
		 .summary = "requests, latencies and counters in the Prometheus text format"},
		{.method = "GET", .path = "/v1/openapi.json", .flags = ZT_ROUTE_ANY_ROLE, .handler = openapi,
		 .ctx = s, .summary = "this document"},
	};
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		int rc = zt_service_add_route(s, &routes[i]);
		if (rc)
			return rc;
	}
	return 0;
}
