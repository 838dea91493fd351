/* zhitong — /metrics in the Prometheus text exposition format 0.0.4 (see
 * service_int.h): requests by route template, method and status, a latency
 * histogram per route, requests in flight, and the service's own counters.
 *
 * Every number is an atomic integer updated without a lock; durations are
 * kept in microseconds and written as seconds with six decimals, so no
 * binary fraction is made here either. Labels are route TEMPLATES, never
 * paths: a path holds person numbers, and would make one series per
 * person. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_int.h"
#include "zhitong/error.h"

/* Upper bounds in microseconds: 1 ms .. 10 s (the targets are
 * p50 ≤ 2 ms and p99 ≤ 10 ms for a desk, 50 ms under bulk load). */
static const uint64_t bucket_us[ZT_METRICS_BUCKETS] = {
	500,     1000,    2000,    5000,    10000,   25000,   50000,
	100000,  250000,  500000,  1000000, 2500000, 5000000, 10000000,
};

/* The statuses the core and handlers answer; anything else counts as the
 * last entry (0, written "other"). */
static const unsigned statuses[ZT_METRICS_STATUSES] = {
	200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 406, 408,
	409, 410, 413, 415, 422, 429, 499, 500, 502, 503, 504, 0,
};

static size_t status_index(unsigned status)
{
	for (size_t i = 0; i + 1 < ZT_METRICS_STATUSES; i++)
		if (statuses[i] == status)
			return i;
	return ZT_METRICS_STATUSES - 1;
}

int zt_metrics_init(struct zt_metrics *m, const struct zt_routes *t)
{
	m->nroutes = t->n;
	atomic_store(&m->in_flight, 0);
	m->r = calloc(t->n + 1, sizeof *m->r);
	if (!m->r)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n; i++) {
		m->r[i].method = t->e[i].r.method;
		m->r[i].route = t->e[i].r.path;
	}
	m->r[t->n].method = "";
	m->r[t->n].route = "unmatched";
	return 0;
}

void zt_metrics_free(struct zt_metrics *m)
{
	free(m->r);
	m->r = NULL;
}

void zt_metrics_observe(struct zt_metrics *m, size_t route_index, unsigned status,
                        uint64_t duration_us)
{
	if (route_index > m->nroutes)
		route_index = m->nroutes;
	struct zt_metrics_route *r = &m->r[route_index];
	atomic_fetch_add_explicit(&r->status[status_index(status)], 1, memory_order_relaxed);
	size_t b = 0;
	while (b < ZT_METRICS_BUCKETS && duration_us > bucket_us[b])
		b++;
	if (b < ZT_METRICS_BUCKETS)
		atomic_fetch_add_explicit(&r->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_us, duration_us, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
}

struct out {
	char *buf;
	size_t len, cap;
	int rc;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->rc)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->rc = zt_error_set(ZT_EINTERNAL, "metrics: cannot format");
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap + (size_t)n + 1) * 2;
		char *nb = realloc(o->buf, cap);
		if (!nb) {
			o->rc = zt_error_set(ZT_ENOMEM, "out of memory");
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
}

/* A label value: backslash, quote and newline escaped. Templates hold
 * none of them, but the format is kept whatever a route is called. */
static void label(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			put(o, "\\%c", *s);
		else if (*s == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *s);
	}
}

static void labels(struct out *o, const struct zt_metrics_route *r)
{
	put(o, "{method=\"");
	label(o, r->method);
	put(o, "\",route=\"");
	label(o, r->route);
	put(o, "\"");
}

static void seconds(struct out *o, uint64_t us)
{
	put(o, "%llu.%06llu", (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
}

int zt_metrics_render(struct zt_metrics *m, char **text, size_t *len)
{
	struct out o = {0};
	put(&o, "# HELP zhitong_http_requests_total HTTP requests answered, by route template, "
	        "method and status.\n# TYPE zhitong_http_requests_total counter\n");
	for (size_t i = 0; i <= m->nroutes; i++) {
		struct zt_metrics_route *r = &m->r[i];
		for (size_t s = 0; s < ZT_METRICS_STATUSES; s++) {
			uint64_t v = atomic_load_explicit(&r->status[s], memory_order_relaxed);
			if (!v)
				continue;
			put(&o, "zhitong_http_requests_total");
			labels(&o, r);
			if (statuses[s])
				put(&o, ",status=\"%u\"} %llu\n", statuses[s], (unsigned long long)v);
			else
				put(&o, ",status=\"other\"} %llu\n", (unsigned long long)v);
		}
	}
	put(&o, "# HELP zhitong_http_request_duration_seconds Time from a request's headers to its "
	        "answer handed over for sending, by route template.\n"
	        "# TYPE zhitong_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= m->nroutes; i++) {
		struct zt_metrics_route *r = &m->r[i];
		uint64_t cum = 0;
		for (size_t b = 0; b < ZT_METRICS_BUCKETS; b++) {
			cum += atomic_load_explicit(&r->bucket[b], memory_order_relaxed);
			put(&o, "zhitong_http_request_duration_seconds_bucket");
			labels(&o, r);
			put(&o, ",le=\"");
			seconds(&o, bucket_us[b]);
			put(&o, "\"} %llu\n", (unsigned long long)cum);
		}
		/* read count after the buckets: +Inf is never below a bucket */
		uint64_t count = atomic_load_explicit(&r->count, memory_order_relaxed);
		if (count < cum)
			count = cum;
		put(&o, "zhitong_http_request_duration_seconds_bucket");
		labels(&o, r);
		put(&o, ",le=\"+Inf\"} %llu\n", (unsigned long long)count);
		put(&o, "zhitong_http_request_duration_seconds_sum");
		labels(&o, r);
		put(&o, "} ");
		seconds(&o, atomic_load_explicit(&r->sum_us, memory_order_relaxed));
		put(&o, "\nzhitong_http_request_duration_seconds_count");
		labels(&o, r);
		put(&o, "} %llu\n", (unsigned long long)count);
	}
	put(&o, "# HELP zhitong_http_requests_in_flight Requests being read, handled or answered.\n"
	        "# TYPE zhitong_http_requests_in_flight gauge\nzhitong_http_requests_in_flight %lld\n",
	    (long long)atomic_load(&m->in_flight));
	for (size_t i = 0; i < m->ncounters; i++) {
		struct zt_metrics_counter *c = &m->counter[i];
		put(&o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", c->name, c->help, c->name, c->name,
		    (unsigned long long)atomic_load(&c->value));
	}
	if (o.rc) {
		free(o.buf);
		return o.rc;
	}
	*text = o.buf;
	*len = o.len;
	return 0;
}
