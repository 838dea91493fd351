/* zhitong — the service core's inner parts: pure functions (no sockets,
 * no clock) that the server uses and tests/test_service_core.c checks one
 * by one. Not for handlers: they use service.h. */
#ifndef ZT_SERVICE_INT_H
#define ZT_SERVICE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service.h"

/* ---- routes (route.c) ------------------------------------------------ */

#define ZT_ROUTE_SEGMENTS_MAX 16
#define ZT_ROUTES_MAX 256

struct zt_route_entry {
	struct zt_route r;
	size_t index;                          /* in the table: metrics, logs */
	size_t nseg;
	char *seg[ZT_ROUTE_SEGMENTS_MAX];      /* literal text, or the parameter's name */
	bool param[ZT_ROUTE_SEGMENTS_MAX];
};

struct zt_routes {
	struct zt_route_entry *e;
	size_t n;
};

/* A path parameter of a match: the raw (still percent-encoded) segment. */
struct zt_route_param {
	const char *name;
	const char *raw;
	size_t raw_len;
};

int zt_routes_add(struct zt_routes *t, const struct zt_route *r);
void zt_routes_free(struct zt_routes *t);
/* Matches a raw path ("/v1/claims/H1/ZY%2F1", no query). 0 with *out and
 * the parameters (pointing into `path`); ZT_ENOTFOUND when no template
 * matches the path; ZT_ECONFLICT when templates match it under other
 * methods only, listed in `allow` ("GET, POST"). Where a literal and a
 * parameter both match a segment, the literal wins. */
int zt_routes_match(const struct zt_routes *t, const char *method, const char *path,
                    const struct zt_route_entry **out, struct zt_route_param *params,
                    size_t *nparams, char *allow, size_t allow_cap);

/* ---- HTTP text (http.c) ------------------------------------------------ */

/* Percent-decodes n bytes into out (cap bytes, NUL-terminated). ZT_EINVAL
 * for a bad escape, a NUL, text that is not UTF-8, or more than cap - 1
 * bytes. */
int zt_percent_decode(char *out, size_t cap, const char *in, size_t n);
/* The token of "Authorization: Bearer zt_..." into out. ZT_ENOTFOUND when
 * the header is absent or empty; ZT_EINVAL when it is not a bearer token
 * of ours (another scheme, characters outside RFC 6750's token68, no
 * "zt_" prefix, longer than cap - 1). */
int zt_bearer_parse(char *out, size_t cap, const char *authorization);
/* Content-Type: the format (ZT_FORMAT_NONE for a type we do not take)
 * and whether its charset, if any, is UTF-8. */
void zt_content_type_parse(enum zt_format *format, bool *utf8, const char *content_type);
/* Accept negotiation (see zt_req_negotiate): q-values in thousandths, the
 * most specific matching range decides each format's q. */
enum zt_format zt_accept_pick(const char *accept, const enum zt_format *offered, size_t n,
                              enum zt_format preferred);
/* X-Operator: 1..ZT_ACTOR_CHARS_MAX (40) characters of UTF-8, no control character, no white
 * space around. */
bool zt_operator_valid(const char *s);

/* ---- addresses (netaddr.c) ---------------------------------------------- */

struct zt_cidr {
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint8_t bits;
	bool v4;
};

struct zt_cidrs {
	struct zt_cidr *v;
	size_t n;
};

/* "127.0.0.1 ::1 10.0.0.0/8, fd00::/8": addresses and networks separated
 * by spaces or commas. ZT_EINVAL naming the bad one (also for host bits
 * set beyond the prefix: "10.1.0.0/8"). */
int zt_cidrs_parse(struct zt_cidrs *out, const char *list);
void zt_cidrs_free(struct zt_cidrs *l);
/* Parses an address (IPv4, IPv6, an IPv4-mapped IPv6 address taken as
 * its IPv4 one); false if it is none. */
bool zt_addr_parse(uint8_t out[16], bool *v4, const char *text, size_t n);
bool zt_cidrs_contain(const struct zt_cidrs *l, const uint8_t addr[16], bool v4);
/* Formats an address ("10.0.0.1", "2001:db8::1"). */
void zt_addr_format(char *out, size_t cap, const uint8_t addr[16], bool v4);
bool zt_addr_is_loopback(const uint8_t addr[16], bool v4);
/* The client's address: `peer` unless it is trusted; then X-Forwarded-For
 * (all its headers joined with commas, in order) read from the right,
 * skipping trusted proxies: the first untrusted address is the client. If
 * every entry is trusted, the leftmost; if an entry is not an address, the
 * nearest trusted hop to its right (never a guess past garbage). */
void zt_client_address(char *out, size_t cap, const char *peer, const char *xff,
                       const struct zt_cidrs *trusted);
/* "ADDR:PORT" / "[V6]:PORT". */
int zt_listen_parse(uint8_t addr[16], bool *v4, unsigned *port, const char *text);

/* ---- metrics (metrics.c) ------------------------------------------------ */

#define ZT_METRICS_BUCKETS 14
#define ZT_METRICS_STATUSES 24
#define ZT_METRICS_COUNTERS_MAX 32

struct zt_metrics_route {
	const char *method, *route;
	_Atomic uint64_t status[ZT_METRICS_STATUSES];
	_Atomic uint64_t bucket[ZT_METRICS_BUCKETS]; /* not cumulative; summed when written */
	_Atomic uint64_t sum_us, count;
};

struct zt_metrics_counter {
	char name[96];
	char help[160];
	_Atomic uint64_t value;
};

struct zt_metrics {
	size_t nroutes;             /* + 1: the requests no route matched */
	struct zt_metrics_route *r;
	_Atomic int64_t in_flight;
	size_t ncounters;
	struct zt_metrics_counter counter[ZT_METRICS_COUNTERS_MAX];
};

/* One entry per route plus one for "unmatched", labelled from t. The
 * counters (added before) are kept. */
int zt_metrics_init(struct zt_metrics *m, const struct zt_routes *t);
void zt_metrics_free(struct zt_metrics *m);
void zt_metrics_observe(struct zt_metrics *m, size_t route_index, unsigned status,
                        uint64_t duration_us);
/* The Prometheus text exposition format, version 0.0.4 (malloc'd). */
int zt_metrics_render(struct zt_metrics *m, char **out, size_t *len);

/* ---- the service, for builtin.c ------------------------------------------- */

const struct zt_routes *zt_service_routes(const struct zt_service *s);
struct zt_metrics *zt_service_metrics(struct zt_service *s);
bool zt_service_stopping(const struct zt_service *s);
/* The health hook's answer (zt_service_set_health): 0 when none is set. */
int zt_service_health(struct zt_service *s, char *message, size_t cap);

#endif
