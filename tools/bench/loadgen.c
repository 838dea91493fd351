/* zhitong-loadgen — an HTTP load generator that does not hide a stall
 * (issue 11 "Proof"; README "Performance").
 *
 * Open loop (the default): request i is due at start + i / rate, whatever
 * happened to the requests before it, and its latency is measured from
 * that scheduled time to the last byte of its answer. A server that stalls
 * for 200 ms delays every request due during the stall, and each of them
 * counts its wait — unlike a closed loop (each connection sends its next
 * request when the last answer came), which sends nothing during a stall
 * and so records one slow request per connection instead of hundreds:
 * "coordinated omission". Sending never waits for an answer: a pool of
 * keep-alive connections, grown on demand up to --max-connections; a
 * request due when every connection is busy waits in a queue, and that
 * wait counts in its latency too.
 *
 * One thread, one epoll loop over non-blocking sockets speaking HTTP/1.1
 * itself (no pipelining: one request at a time per connection), a timerfd
 * armed at the next due time with a timer slack of 1 ns. Why not libcurl's
 * multi interface: per request it costs several times the CPU of this loop
 * (handle reuse, header callbacks, its own timers), and its timers are in
 * milliseconds; at several thousand requests a second on 2 cores shared
 * with the server under test, the generator's own cost and jitter would be
 * in the figures. The generator reports both: its CPU per request and its
 * send lag (actual send minus scheduled time); when the lag is not far
 * below the latencies, the figures measure the generator, and it says so.
 *
 * Latencies go into a log-linear histogram of our own (HdrHistogram's
 * layout: 128 linear sub-buckets per power of two of nanoseconds, so every
 * value is kept within 1/128 = 0.8 %), reported as p50/p90/p99/p99.9/max
 * and, with --histogram, as CSV.
 *
 * Also: --closed (a closed loop of --connections, for throughput),
 * --find-max (open-loop steps, the rate doubled then bisected, until p99
 * passes --p99-max: the highest rate that held), --fsync-probe DIR (what
 * a 4 KiB write and fdatasync cost on that disk, measured in the same run:
 * the physical floor of a durable commit).
 *
 * This is a tool, not the engine: times and rates are doubles here. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PROG "zhitong-loadgen"

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the histogram ------------------------------------------------------- */

#define SUB_BITS 7
#define SUB (1 << SUB_BITS)           /* 128 sub-buckets per power of two */
#define TOP_BITS 42                   /* values up to 2^42 ns, 73 minutes */
#define BUCKETS ((TOP_BITS - SUB_BITS + 1) * SUB)

struct hist {
	uint64_t count[BUCKETS];
	uint64_t total;
	int64_t min, max;
	double sum;
};

static void hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = INT64_MAX;
}

static size_t hist_index(int64_t v)
{
	if (v < 0)
		v = 0;
	if (v >= (int64_t)1 << TOP_BITS)
		v = ((int64_t)1 << TOP_BITS) - 1;
	if (v < SUB)
		return (size_t)v;
	int msb = 63 - __builtin_clzll((unsigned long long)v);
	int shift = msb - SUB_BITS;
	return (size_t)(shift + 1) * SUB + (size_t)((v >> shift) - SUB);
}

/* The lowest and highest value a bucket stands for. */
static int64_t hist_low(size_t i)
{
	if (i < SUB)
		return (int64_t)i;
	int shift = (int)(i / SUB) - 1;
	return (int64_t)(i % SUB + SUB) << shift;
}

static int64_t hist_high(size_t i)
{
	if (i < SUB)
		return (int64_t)i;
	int shift = (int)(i / SUB) - 1;
	return ((int64_t)(i % SUB + SUB + 1) << shift) - 1;
}

static void hist_add(struct hist *h, int64_t v)
{
	h->count[hist_index(v)]++;
	h->total++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* The value at quantile q (0..1): the highest value of the bucket that
 * holds the ceil(q × total)-th value, never above the largest seen. */
static int64_t hist_quantile(const struct hist *h, double q)
{
	if (!h->total)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->total);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank) {
			int64_t v = hist_high(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

static double hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : 0;
}

static bool hist_csv(const struct hist *h, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "low_us,high_us,count,cumulative_fraction\n");
	uint64_t seen = 0;
	for (size_t i = 0; i < BUCKETS; i++) {
		if (!h->count[i])
			continue;
		seen += h->count[i];
		fprintf(f, "%.3f,%.3f,%" PRIu64 ",%.6f\n", (double)hist_low(i) / 1e3,
		        (double)hist_high(i) / 1e3, h->count[i], (double)seen / (double)h->total);
	}
	return fclose(f) == 0;
}

/* ---- options ----------------------------------------------------------------- */

enum mode { MODE_OPEN, MODE_CLOSED, MODE_FIND_MAX, MODE_FSYNC_ONLY };

struct opts {
	enum mode mode;
	const char *url;
	const char *method;
	const char *body_path, *persons_path, *content_type;
	const char *token_env, *token_file;
	const char *headers[32];
	int header_count;
	uint64_t seq_start;
	const char *run_id;
	double rate;
	int64_t duration_ns, warmup_ns, timeout_ns, pause_ns;
	int connections, max_connections;
	const char *histogram_path, *answered_path;
	bool json;
	const char *fsync_dir;
	int fsync_count;
	int64_t p99_max_ns;
	double start_rate, precision;
	uint64_t max_errors;
	int max_steps;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [--rate R] [--duration D] [options] URL           open loop\n"
	        "       " PROG " --closed [--connections N] [--duration D] [options] URL\n"
	        "       " PROG " --find-max [--p99-max D] [--start-rate R] [options] URL\n"
	        "       " PROG " --fsync-probe DIR [--fsync-count N]\n"
	        "Requests:\n"
	        "  --method M          GET, POST, PUT or DELETE (default POST with --body, else GET)\n"
	        "  --body FILE         a template; each request gets its own copy with {SEQ}\n"
	        "                      (the request's number), {RUN} (--run-id) and {PSN} (a\n"
	        "                      person of --persons, in turn) replaced\n"
	        "  --persons FILE      one value a line for {PSN}\n"
	        "  --content-type T    default from --body's name: .json application/json,\n"
	        "                      .xml application/xml\n"
	        "  --header 'N: V'     an extra header (repeatable); never Authorization:\n"
	        "  --token-env VAR     Authorization: Bearer $VAR\n"
	        "  --token-file FILE   Authorization: Bearer (the first line of FILE)\n"
	        "                      (a token is never taken on the command line: ps shows it)\n"
	        "  --seq-start N       the first {SEQ} (default 1)\n"
	        "  --run-id TEXT       {RUN} (default: the start time, hex seconds)\n"
	        "Load:\n"
	        "  --rate R            open loop: requests a second (default 1000)\n"
	        "  --duration D        measured time, per step with --find-max (default 30s; 10s)\n"
	        "  --warmup D          sent at the rate first, not counted (default 0s)\n"
	        "  --connections N     open loop: connections opened first (default 16);\n"
	        "                      closed loop: the connections (default 32)\n"
	        "  --max-connections N open loop: the pool grows to at most N (default 512)\n"
	        "  --timeout D         an answer later than this is an error (default 30s)\n"
	        "  --closed            closed loop: each connection sends when answered\n"
	        "  --find-max          steps of open loop, the rate doubled from --start-rate\n"
	        "                      (default 250) then bisected to --precision (default 0.05),\n"
	        "                      until p99 passes --p99-max (default 10ms) or more than\n"
	        "                      --max-errors (default 0) fail; --pause D between steps\n"
	        "                      (default 1s), at most --max-steps (default 16)\n"
	        "Reports:\n"
	        "  --histogram FILE    the latency histogram as CSV (low_us,high_us,count,\n"
	        "                      cumulative_fraction)\n"
	        "  --json              the summary as one JSON object\n"
	        "  --answered FILE     the {SEQ} of every request answered 2xx, one a line,\n"
	        "                      written as each answer comes (warm-up included): what\n"
	        "                      a client was told is done (tests/pg/drill)\n"
	        "  --fsync-probe DIR   first, write 4 KiB and fdatasync --fsync-count times\n"
	        "                      (default 1000) in a file in DIR: p50, p99, mean\n"
	        "Durations: 250us, 10ms, 30s, 2m (a bare number is seconds).\n"
	        "Latency is measured from each request's scheduled send time (closed loop: its\n"
	        "send) to the last byte of its answer. Exit 0 when every answer was 2xx (with\n"
	        "--find-max: a rate held), 1 otherwise, 2 for a usage error, 3 when the URL\n"
	        "cannot be reached at all.\n");
}

static int64_t parse_duration(const char *opt, const char *s)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || !isfinite(v))
		die(2, "%s '%s' is not a duration (250us, 10ms, 30s, 2m)", opt, s);
	double scale = 1e9;
	if (!strcmp(end, "us"))
		scale = 1e3;
	else if (!strcmp(end, "ms"))
		scale = 1e6;
	else if (!strcmp(end, "s") || !*end)
		scale = 1e9;
	else if (!strcmp(end, "m"))
		scale = 60e9;
	else
		die(2, "%s '%s' is not a duration (250us, 10ms, 30s, 2m)", opt, s);
	if (v * scale > 1e15)
		die(2, "%s '%s' is too long", opt, s);
	return (int64_t)llround(v * scale);
}

static double parse_positive(const char *opt, const char *s)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || !isfinite(v))
		die(2, "%s '%s' is not a positive number", opt, s);
	return v;
}

static long parse_count(const char *opt, const char *s, long min, long max)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die(2, "%s '%s' is not a whole number from %ld to %ld", opt, s, min, max);
	return v;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->mode = MODE_OPEN;
	o->seq_start = 1;
	o->rate = 1000;
	o->duration_ns = -1;
	o->timeout_ns = 30 * (int64_t)1000000000;
	o->pause_ns = 1000000000;
	o->connections = -1;
	o->max_connections = 512;
	o->fsync_count = 1000;
	o->p99_max_ns = 10000000;
	o->start_rate = 250;
	o->precision = 0.05;
	o->max_steps = 16;
	bool rate_given = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (die(2, "%s needs a value (try --help)", a), ""))
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--rate")) {
			o->rate = parse_positive(a, ARG());
			rate_given = true;
		} else if (!strcmp(a, "--duration"))
			o->duration_ns = parse_duration(a, ARG());
		else if (!strcmp(a, "--warmup"))
			o->warmup_ns = parse_duration(a, ARG());
		else if (!strcmp(a, "--timeout"))
			o->timeout_ns = parse_duration(a, ARG());
		else if (!strcmp(a, "--pause"))
			o->pause_ns = parse_duration(a, ARG());
		else if (!strcmp(a, "--connections"))
			o->connections = (int)parse_count(a, ARG(), 1, 65536);
		else if (!strcmp(a, "--max-connections"))
			o->max_connections = (int)parse_count(a, ARG(), 1, 65536);
		else if (!strcmp(a, "--method"))
			o->method = ARG();
		else if (!strcmp(a, "--body"))
			o->body_path = ARG();
		else if (!strcmp(a, "--persons"))
			o->persons_path = ARG();
		else if (!strcmp(a, "--content-type"))
			o->content_type = ARG();
		else if (!strcmp(a, "--header")) {
			const char *h = ARG();
			if (!strncasecmp(h, "authorization", 13))
				die(2, "--header: a token is never given on the command line, where ps "
				       "shows it: use --token-env VAR or --token-file FILE");
			if (!strchr(h, ':') || strpbrk(h, "\r\n"))
				die(2, "--header '%s' is not 'Name: value'", h);
			if (o->header_count == (int)(sizeof o->headers / sizeof *o->headers))
				die(2, "--header: at most %zu", sizeof o->headers / sizeof *o->headers);
			o->headers[o->header_count++] = h;
		} else if (!strcmp(a, "--token-env"))
			o->token_env = ARG();
		else if (!strcmp(a, "--token-file"))
			o->token_file = ARG();
		else if (!strcmp(a, "--seq-start"))
			o->seq_start = (uint64_t)parse_count(a, ARG(), 0, LONG_MAX);
		else if (!strcmp(a, "--run-id"))
			o->run_id = ARG();
		else if (!strcmp(a, "--closed"))
			o->mode = MODE_CLOSED;
		else if (!strcmp(a, "--find-max"))
			o->mode = MODE_FIND_MAX;
		else if (!strcmp(a, "--p99-max"))
			o->p99_max_ns = parse_duration(a, ARG());
		else if (!strcmp(a, "--start-rate"))
			o->start_rate = parse_positive(a, ARG());
		else if (!strcmp(a, "--precision"))
			o->precision = parse_positive(a, ARG());
		else if (!strcmp(a, "--max-errors"))
			o->max_errors = (uint64_t)parse_count(a, ARG(), 0, LONG_MAX);
		else if (!strcmp(a, "--max-steps"))
			o->max_steps = (int)parse_count(a, ARG(), 1, 100);
		else if (!strcmp(a, "--histogram"))
			o->histogram_path = ARG();
		else if (!strcmp(a, "--json"))
			o->json = true;
		else if (!strcmp(a, "--answered"))
			o->answered_path = ARG();
		else if (!strcmp(a, "--fsync-probe"))
			o->fsync_dir = ARG();
		else if (!strcmp(a, "--fsync-count"))
			o->fsync_count = (int)parse_count(a, ARG(), 1, 1000000);
		else if (a[0] == '-' && a[1])
			die(2, "unknown option '%s' (try --help)", a);
		else if (o->url)
			die(2, "one URL only ('%s' and '%s')", o->url, a);
		else
			o->url = a;
#undef ARG
	}
	if (!o->url && !o->fsync_dir)
		die(2, "no URL (try --help)");
	if (!o->url)
		o->mode = MODE_FSYNC_ONLY;
	if (o->duration_ns < 0)
		o->duration_ns = (o->mode == MODE_FIND_MAX ? 10 : 30) * (int64_t)1000000000;
	if (o->duration_ns == 0 && o->mode != MODE_FSYNC_ONLY)
		die(2, "--duration must be above 0");
	if (o->connections < 0)
		o->connections = o->mode == MODE_CLOSED ? 32 : 16;
	if (o->mode == MODE_CLOSED && rate_given)
		die(2, "--rate is for the open loop; --closed sends as fast as answers come");
	if (o->mode != MODE_CLOSED && o->connections > o->max_connections)
		o->max_connections = o->connections;
	if (o->token_env && o->token_file)
		die(2, "--token-env or --token-file, not both");
	if (o->precision >= 1)
		die(2, "--precision is a fraction below 1 (0.05 is 5 %%)");
}

/* ---- files -------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(2, "'%s': %s", path, strerror(errno));
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			die(1, "out of memory");
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		if (cap > 64u << 20)
			die(2, "'%s': over 64 MiB", path);
		cap *= 2;
		buf = realloc(buf, cap + 1);
	}
	if (ferror(f))
		die(2, "'%s': %s", path, strerror(errno));
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* ---- the target and the requests ------------------------------------------------ */

struct target {
	char host[256];  /* as in the URL, for Host: */
	char path[4096];
	char name[256], port[16];
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

static void parse_url(struct target *t, const char *url)
{
	if (!strncmp(url, "https://", 8))
		die(2, "'%s': https is not spoken here; point it at zhitong serve's plain loopback "
		       "listener (or a TLS proxy's backend)",
		    url);
	if (strncmp(url, "http://", 7))
		die(2, "'%s' is not an http:// URL", url);
	const char *hp = url + 7, *slash = strchr(hp, '/');
	size_t hl = slash ? (size_t)(slash - hp) : strlen(hp);
	if (hl == 0 || hl >= sizeof t->host)
		die(2, "'%s': no host", url);
	memcpy(t->host, hp, hl);
	t->host[hl] = '\0';
	snprintf(t->path, sizeof t->path, "%s", slash ? slash : "/");
	char name[256], port[16] = "80";
	if (t->host[0] == '[') {
		const char *close = strchr(t->host, ']');
		if (!close)
			die(2, "'%s': a bracketed address without ']'", url);
		snprintf(name, sizeof name, "%.*s", (int)(close - t->host - 1), t->host + 1);
		if (close[1] == ':')
			snprintf(port, sizeof port, "%s", close + 2);
		else if (close[1])
			die(2, "'%s': text after ']'", url);
	} else {
		const char *colon = strrchr(t->host, ':');
		if (colon) {
			snprintf(name, sizeof name, "%.*s", (int)(colon - t->host), t->host);
			snprintf(port, sizeof port, "%s", colon + 1);
		} else
			snprintf(name, sizeof name, "%s", t->host);
	}
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->port, sizeof t->port, "%s", port);
}

/* The target's address (once: every connection goes to it). */
static void resolve(struct target *t, const char *url)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	int rc = getaddrinfo(t->name, t->port, &hints, &ai);
	if (rc)
		die(3, "'%s': %s", url, gai_strerror(rc));
	memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
	t->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

enum seg_kind { SEG_TEXT, SEG_SEQ, SEG_RUN, SEG_PSN };
struct seg {
	enum seg_kind kind;
	const char *text;
	size_t len;
};

struct requests {
	const char *method;
	char *head;      /* request line and fixed headers, without Content-Length */
	size_t head_len;
	bool has_body;
	bool empty_body; /* POST or PUT without --body: Content-Length: 0 */
	struct seg segs[256];
	int seg_count;
	size_t body_fixed; /* bytes of literal text */
	char run_id[64];
	char **persons;
	size_t person_count;
	char *body_text, *persons_text; /* what segs and persons point into */
	uint64_t seq_next;
};

static void add_seg(struct requests *q, enum seg_kind k, const char *text, size_t len)
{
	if (q->seg_count == (int)(sizeof q->segs / sizeof *q->segs))
		die(2, "--body: more than 255 placeholders");
	q->segs[q->seg_count++] = (struct seg){k, text, len};
	if (k == SEG_TEXT)
		q->body_fixed += len;
}

static void split_template(struct requests *q, const char *t, size_t n)
{
	static const struct {
		const char *name;
		enum seg_kind kind;
	} ph[] = {{"{SEQ}", SEG_SEQ}, {"{RUN}", SEG_RUN}, {"{PSN}", SEG_PSN}};
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] != '{')
			continue;
		for (size_t k = 0; k < 3; k++)
			if (n - i >= 5 && !memcmp(t + i, ph[k].name, 5)) {
				if (i > from)
					add_seg(q, SEG_TEXT, t + from, i - from);
				add_seg(q, ph[k].kind, NULL, 0);
				from = i + 5;
				i += 4;
				break;
			}
	}
	if (n > from)
		add_seg(q, SEG_TEXT, t + from, n - from);
}

static char *read_token(const struct opts *o)
{
	const char *tok = NULL;
	char *owned = NULL;
	if (o->token_env) {
		tok = getenv(o->token_env);
		if (!tok || !*tok)
			die(2, "--token-env: $%s is not set", o->token_env);
		owned = strdup(tok);
	} else if (o->token_file) {
		owned = slurp(o->token_file, NULL);
		owned[strcspn(owned, "\r\n")] = '\0';
		if (!*owned)
			die(2, "--token-file '%s': the first line is empty", o->token_file);
	} else
		return NULL;
	for (const char *p = owned; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			die(2, "the token holds a character that cannot go in a header");
	return owned;
}

static void build_requests(struct requests *q, const struct opts *o, const struct target *t)
{
	memset(q, 0, sizeof *q);
	size_t blen = 0;
	char *body = o->body_path ? slurp(o->body_path, &blen) : NULL;
	q->has_body = body != NULL;
	q->method = o->method ? o->method : body ? "POST" : "GET";
	if (strcmp(q->method, "GET") && strcmp(q->method, "POST") && strcmp(q->method, "PUT") &&
	    strcmp(q->method, "DELETE"))
		die(2, "--method '%s': GET, POST, PUT or DELETE", q->method);
	q->body_text = body;
	if (body)
		split_template(q, body, blen); /* segments point into body */
	q->empty_body = !body && (!strcmp(q->method, "POST") || !strcmp(q->method, "PUT"));
	if (o->persons_path) {
		char *text = q->persons_text = slurp(o->persons_path, NULL);
		for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
			if (!*line)
				continue;
			if (strlen(line) > 64)
				die(2, "--persons '%s': a line over 64 bytes", o->persons_path);
			q->persons = realloc(q->persons, (q->person_count + 1) * sizeof *q->persons);
			if (!q->persons)
				die(1, "out of memory");
			q->persons[q->person_count++] = line;
		}
		if (!q->person_count)
			die(2, "--persons '%s' holds no line", o->persons_path);
	}
	for (int i = 0; i < q->seg_count; i++)
		if (q->segs[i].kind == SEG_PSN && !q->person_count)
			die(2, "--body uses {PSN}: give --persons FILE");
	if (o->run_id)
		snprintf(q->run_id, sizeof q->run_id, "%s", o->run_id);
	else
		snprintf(q->run_id, sizeof q->run_id, "%llx", (unsigned long long)time(NULL));
	q->seq_next = o->seq_start;

	const char *ctype = o->content_type;
	if (!ctype && o->body_path) {
		const char *dot = strrchr(o->body_path, '.');
		ctype = dot && !strcasecmp(dot, ".json") ? "application/json"
		        : dot && !strcasecmp(dot, ".xml") ? "application/xml"
		                                           : "application/octet-stream";
	}
	char *token = read_token(o);
	size_t cap = 8192 + strlen(t->path) + (token ? strlen(token) : 0);
	for (int i = 0; i < o->header_count; i++)
		cap += strlen(o->headers[i]) + 2;
	q->head = malloc(cap);
	if (!q->head)
		die(1, "out of memory");
	int n = snprintf(q->head, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: " PROG "\r\n",
	                 q->method, t->path, t->host);
	for (int i = 0; i < o->header_count; i++)
		n += snprintf(q->head + n, cap - (size_t)n, "%s\r\n", o->headers[i]);
	if (token) {
		n += snprintf(q->head + n, cap - (size_t)n, "Authorization: Bearer %s\r\n", token);
		memset(token, 0, strlen(token));
		free(token);
	}
	if (ctype)
		n += snprintf(q->head + n, cap - (size_t)n, "Content-Type: %s\r\n", ctype);
	q->head_len = (size_t)n;
}

/* ---- connections ----------------------------------------------------------------- */

enum cstate { C_CLOSED, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
	int fd;
	enum cstate state;
	bool want_out;
	char *out;
	size_t out_len, out_off, out_cap;
	char *in;
	size_t in_len, in_cap;
	/* the request in flight */
	uint64_t seq;           /* its {SEQ} */
	bool has_req;
	bool measured;          /* counted (not warm-up) */
	int64_t sched_ns, sent_ns;
	bool in_idle;           /* an entry in the idle stack names it (maybe stale) */
	/* its answer, as far as parsed */
	size_t head_end;        /* bytes of the status line and headers, 0 until known */
	int status;
	int64_t clen;           /* -1: none */
	bool chunked, close_after, until_eof;
	size_t chunk_at;        /* next chunk header */
};

enum failure { F_CONNECT, F_CLOSED, F_TIMEOUT, F_BAD, F_COUNT };
static const char *const failure_names[F_COUNT] = {"connect", "closed", "timeout", "bad-answer"};

struct stats {
	struct hist lat, lag;
	uint64_t scheduled, sent, answered, ok;
	uint64_t status[600];
	uint64_t failures[F_COUNT];
	int64_t first_sched_ns, last_sched_ns, last_answer_ns, first_send_ns, last_send_ns;
	uint64_t queued;        /* requests that waited for a connection */
	size_t queue_peak;
	int busy_peak;
	uint64_t opened, closed_by_server;
	double cpu_s;
	double wall_s;
};

struct gen {
	const struct opts *o;
	const struct target *t;
	struct requests *q;
	int ep, timer;
	struct conn *conns;
	int nconns;        /* allocated slots */
	int open_count;    /* not C_CLOSED */
	int busy;
	int *idle;         /* stack of idle connection indices */
	int idle_n;
	/* due requests waiting for a connection: their scheduled times and whether counted */
	int64_t *wait_sched;
	bool *wait_measured;
	size_t wait_head, wait_n, wait_cap;
	char *scratch;
	size_t scratch_cap;
	struct stats *st;
	FILE *answered;    /* --answered */
	bool closed_loop, stopping;
	int64_t armed_ns; /* what the timer is set to (0: off) */
	int64_t closed_until_ns, measure_from_ns;
};

static void ep_set(struct gen *g, struct conn *c, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0),
	                         .data.u32 = (uint32_t)(c - g->conns)};
	if (epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die(1, "epoll_ctl: %s", strerror(errno));
	c->want_out = out;
}

static void conn_close(struct gen *g, struct conn *c)
{
	if (c->state == C_CLOSED)
		return;
	if (c->state == C_BUSY)
		g->busy--;
	epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = C_CLOSED;
	c->has_req = false;
	c->in_len = 0;
	g->open_count--;
}

/* Opens connection slot i (non-blocking connect). false if the socket
 * cannot even be made. */
static bool conn_open(struct gen *g, int i)
{
	struct conn *c = &g->conns[i];
	int fd = socket(g->t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)&g->t->addr, g->t->addr_len) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return false;
	}
	c->fd = fd;
	c->state = C_CONNECTING;
	c->has_req = false;
	c->in_len = 0;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u32 = (uint32_t)i};
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die(1, "epoll_ctl: %s", strerror(errno));
	c->want_out = true;
	g->open_count++;
	g->st->opened++;
	return true;
}

/* A free slot (closed), or -1 at --max-connections. */
static int free_slot(struct gen *g)
{
	for (int i = 0; i < g->nconns; i++)
		if (g->conns[i].state == C_CLOSED)
			return i;
	return -1;
}

static void make_request(struct gen *g, struct conn *c)
{
	struct requests *q = g->q;
	uint64_t seq = q->seq_next++;
	c->seq = seq;
	size_t blen = 0;
	if (q->has_body) {
		size_t need = q->body_fixed + (size_t)q->seg_count * 72 + 1;
		if (need > g->scratch_cap) {
			g->scratch_cap = need * 2;
			g->scratch = realloc(g->scratch, g->scratch_cap);
			if (!g->scratch)
				die(1, "out of memory");
		}
		for (int i = 0; i < q->seg_count; i++) {
			const struct seg *s = &q->segs[i];
			char num[32];
			const char *text = s->text;
			size_t len = s->len;
			if (s->kind == SEG_SEQ) {
				len = (size_t)snprintf(num, sizeof num, "%" PRIu64, seq);
				text = num;
			} else if (s->kind == SEG_RUN) {
				text = q->run_id;
				len = strlen(text);
			} else if (s->kind == SEG_PSN) {
				text = q->persons[(seq - g->o->seq_start) % q->person_count];
				len = strlen(text);
			}
			memcpy(g->scratch + blen, text, len);
			blen += len;
		}
	}
	size_t need = q->head_len + 64 + blen;
	if (need > c->out_cap) {
		c->out_cap = need * 2;
		c->out = realloc(c->out, c->out_cap);
		if (!c->out)
			die(1, "out of memory");
	}
	memcpy(c->out, q->head, q->head_len);
	size_t n = q->head_len;
	if (q->has_body || q->empty_body)
		n += (size_t)snprintf(c->out + n, c->out_cap - n, "Content-Length: %zu\r\n\r\n", blen);
	else
		n += (size_t)snprintf(c->out + n, c->out_cap - n, "\r\n");
	if (blen)
		memcpy(c->out + n, g->scratch, blen);
	c->out_len = n + blen;
	c->out_off = 0;
	c->in_len = 0;
	c->head_end = 0;
	c->status = 0;
	c->clen = -1;
	c->chunked = c->close_after = c->until_eof = false;
}


static void try_write(struct gen *g, struct conn *c);
static void drain(struct gen *g);
static void start_on(struct gen *g, struct conn *c, int64_t sched, bool measured);

/* The connection is free for the next request. */
static void conn_ready(struct gen *g, struct conn *c)
{
	if (c->state == C_BUSY)
		g->busy--;
	c->state = C_IDLE;
	c->has_req = false;
	if (g->closed_loop) {
		int64_t t = now_ns();
		if (!g->stopping && t < g->closed_until_ns)
			start_on(g, c, t, t >= g->measure_from_ns);
		return;
	}
	if (!c->in_idle) {
		c->in_idle = true;
		g->idle[g->idle_n++] = (int)(c - g->conns);
	}
	drain(g);
}

/* The request in flight on c (if any) failed; the connection is closed. */
static void fail_request(struct gen *g, struct conn *c, enum failure f)
{
	if (c->has_req && c->measured)
		g->st->failures[f]++;
	c->has_req = false;
	conn_close(g, c);
}

static void try_write(struct gen *g, struct conn *c)
{
	if (c->state != C_BUSY || !c->has_req)
		return;
	while (c->out_off < c->out_len) {
		if (c->out_off == 0)
			c->sent_ns = now_ns();
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!c->want_out)
				ep_set(g, c, true);
			return;
		}
		if (w < 0) {
			fail_request(g, c, F_CLOSED);
			return;
		}
		if (c->out_off == 0 && c->measured) {
			g->st->sent++;
			hist_add(&g->st->lag, c->sent_ns - c->sched_ns);
			if (!g->st->first_send_ns)
				g->st->first_send_ns = c->sent_ns;
			if (c->sent_ns > g->st->last_send_ns)
				g->st->last_send_ns = c->sent_ns;
		}
		c->out_off += (size_t)w;
	}
	if (c->want_out)
		ep_set(g, c, false);
}

/* Starts the request due at `sched` on connection c (idle, or connecting). */
static void start_on(struct gen *g, struct conn *c, int64_t sched, bool measured)
{
	c->has_req = true;
	c->measured = measured;
	c->sched_ns = sched;
	make_request(g, c);
	g->busy++;
	if (g->busy > g->st->busy_peak)
		g->st->busy_peak = g->busy;
	if (c->state == C_IDLE) {
		c->state = C_BUSY;
		try_write(g, c);
	}
}

/* Hands the queued requests, oldest first, to idle connections, then to
 * new ones up to --max-connections; what remains waits for an answer. */
static void drain(struct gen *g)
{
	while (g->wait_n) {
		struct conn *c = NULL;
		while (g->idle_n && !c) {
			struct conn *k = &g->conns[g->idle[--g->idle_n]];
			k->in_idle = false;
			if (k->state == C_IDLE)
				c = k;
		}
		if (!c) {
			int slot = free_slot(g);
			if (slot < 0 || !conn_open(g, slot))
				return;
			c = &g->conns[slot];
		}
		int64_t sched = g->wait_sched[g->wait_head];
		bool m = g->wait_measured[g->wait_head];
		g->wait_head = (g->wait_head + 1) % g->wait_cap;
		g->wait_n--;
		start_on(g, c, sched, m);
	}
}

/* The request due at `sched` (counted or not): queued, then drained at
 * once if a connection is free or can be opened. */
static void dispatch(struct gen *g, int64_t sched, bool measured)
{
	if (measured)
		g->st->scheduled++;
	if (g->wait_n == g->wait_cap) {
		size_t cap = g->wait_cap ? g->wait_cap * 2 : 1024;
		int64_t *ts = malloc(cap * sizeof *ts);
		bool *m = malloc(cap * sizeof *m);
		if (!ts || !m)
			die(1, "out of memory");
		for (size_t i = 0; i < g->wait_n; i++) {
			ts[i] = g->wait_sched[(g->wait_head + i) % g->wait_cap];
			m[i] = g->wait_measured[(g->wait_head + i) % g->wait_cap];
		}
		free(g->wait_sched);
		free(g->wait_measured);
		g->wait_sched = ts;
		g->wait_measured = m;
		g->wait_head = 0;
		g->wait_cap = cap;
	}
	size_t at = (g->wait_head + g->wait_n) % g->wait_cap;
	g->wait_sched[at] = sched;
	g->wait_measured[at] = measured;
	g->wait_n++;
	drain(g);
	if (g->wait_n) {
		if (measured)
			g->st->queued++;
		if (g->wait_n > g->st->queue_peak)
			g->st->queue_peak = g->wait_n;
	}
}

/* ---- answers ----------------------------------------------------------------------- */

static bool header_is(const char *line, size_t n, const char *name, const char **value, size_t *vn)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return false;
	const char *v = line + k + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*value = v;
	*vn = (size_t)(end - v);
	return true;
}

static bool has_token(const char *v, size_t n, const char *token)
{
	size_t k = strlen(token);
	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(v + i, token, k))
			return true;
	return false;
}

/* Parses the status line and headers once they are all in. -1 for an
 * answer that is not HTTP, 0 when more is needed, 1 when done. */
static int parse_head(struct conn *c)
{
	char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!end)
		return c->in_len > 65536 ? -1 : 0;
	c->head_end = (size_t)(end - c->in) + 4;
	if (c->in_len < 12 || memcmp(c->in, "HTTP/1.", 7) || c->in[8] != ' ' ||
	    !isdigit((unsigned char)c->in[9]) || !isdigit((unsigned char)c->in[10]) ||
	    !isdigit((unsigned char)c->in[11]))
		return -1;
	c->status = (c->in[9] - '0') * 100 + (c->in[10] - '0') * 10 + (c->in[11] - '0');
	if (c->status < 100 || c->status > 599)
		return -1;
	c->clen = -1;
	c->chunked = c->close_after = false;
	if (c->in[7] == '0')
		c->close_after = true; /* HTTP/1.0 */
	char *line = memchr(c->in, '\n', c->head_end) + 1;
	while (line < c->in + c->head_end - 2) {
		char *nl = memchr(line, '\n', (size_t)(c->in + c->head_end - line));
		size_t n = (size_t)(nl - line) - 1; /* without \r */
		const char *v;
		size_t vn;
		if (header_is(line, n, "content-length", &v, &vn)) {
			char num[24];
			if (vn == 0 || vn >= sizeof num)
				return -1;
			memcpy(num, v, vn);
			num[vn] = '\0';
			char *e = NULL;
			long long l = strtoll(num, &e, 10);
			if (*e || l < 0)
				return -1;
			c->clen = l;
		} else if (header_is(line, n, "transfer-encoding", &v, &vn))
			c->chunked = has_token(v, vn, "chunked");
		else if (header_is(line, n, "connection", &v, &vn) && has_token(v, vn, "close"))
			c->close_after = true;
		line = nl + 1;
	}
	c->chunk_at = c->head_end;
	c->until_eof = false;
	if (c->status == 204 || c->status == 304 || c->status < 200)
		c->clen = 0;
	else if (!c->chunked && c->clen < 0)
		c->until_eof = c->close_after = true;
	return 1;
}

/* Whether the body is complete: -1 malformed, 0 more needed, 1 done. */
static int body_done(struct conn *c)
{
	if (c->until_eof)
		return 0;
	if (!c->chunked) {
		if (c->in_len > c->head_end + (size_t)c->clen)
			return -1; /* more than one answer: we never pipeline */
		return c->in_len == c->head_end + (size_t)c->clen;
	}
	for (;;) {
		char *p = c->in + c->chunk_at;
		size_t left = c->in_len - c->chunk_at;
		char *nl = memmem(p, left, "\r\n", 2);
		if (!nl)
			return left > 1024 ? -1 : 0;
		char *e = NULL;
		unsigned long long size = strtoull(p, &e, 16);
		if (e == p || (e != nl && *e != ';'))
			return -1;
		size_t hdr = (size_t)(nl - p) + 2;
		if (size == 0) {
			/* trailers end with an empty line */
			char *q = p + hdr;
			size_t rest = left - hdr;
			if (rest >= 2 && !memcmp(q, "\r\n", 2))
				return rest == 2 ? 1 : -1;
			char *fin = memmem(q, rest, "\r\n\r\n", 4);
			if (!fin)
				return 0;
			return fin + 4 == c->in + c->in_len ? 1 : -1;
		}
		if (left < hdr + size + 2)
			return 0;
		if (memcmp(p + hdr + size, "\r\n", 2))
			return -1;
		c->chunk_at += hdr + (size_t)size + 2;
	}
}

static void complete(struct gen *g, struct conn *c)
{
	int64_t t = now_ns();
	if (g->answered && c->status >= 200 && c->status < 300 &&
	    (fprintf(g->answered, "%" PRIu64 "\n", c->seq) < 0 || fflush(g->answered)))
		die(1, "--answered: %s", strerror(errno));
	if (c->measured) {
		struct stats *st = g->st;
		st->answered++;
		st->status[c->status]++;
		if (c->status >= 200 && c->status < 300)
			st->ok++;
		hist_add(&st->lat, t - c->sched_ns);
		if (t > st->last_answer_ns)
			st->last_answer_ns = t;
	}
	c->has_req = false;
	if (c->close_after) {
		conn_close(g, c);
		return;
	}
	c->in_len = 0;
	conn_ready(g, c);
}

static void on_readable(struct gen *g, struct conn *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < 4096) {
			c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
			if (c->in_cap > (64u << 20)) {
				fail_request(g, c, F_BAD);
				return;
			}
			c->in = realloc(c->in, c->in_cap);
			if (!c->in)
				die(1, "out of memory");
		}
		ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			/* closed by the server */
			if (c->has_req && c->state == C_BUSY && c->head_end && c->until_eof) {
				complete(g, c);
				conn_close(g, c);
				return;
			}
			if (c->has_req && c->measured && c->state == C_BUSY)
				g->st->closed_by_server++;
			fail_request(g, c, F_CLOSED);
			return;
		}
		if (!c->has_req || c->state != C_BUSY) {
			fail_request(g, c, F_BAD); /* bytes nobody asked for */
			return;
		}
		c->in_len += (size_t)r;
		for (;;) {
			if (!c->head_end) {
				int h = parse_head(c);
				if (h < 0) {
					fail_request(g, c, F_BAD);
					return;
				}
				if (h == 0)
					break;
				if (c->status < 200) { /* 100 Continue and the like: skip */
					memmove(c->in, c->in + c->head_end, c->in_len - c->head_end);
					c->in_len -= c->head_end;
					c->head_end = 0;
					continue;
				}
			}
			int b = body_done(c);
			if (b < 0) {
				fail_request(g, c, F_BAD);
				return;
			}
			if (b == 1) {
				complete(g, c);
				return;
			}
			break;
		}
	}
}

static void on_event(struct gen *g, struct conn *c, uint32_t ev)
{
	if (c->state == C_CLOSED)
		return;
	if (c->state == C_CONNECTING) {
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			bool had = c->has_req;
			if (had && c->measured)
				g->st->failures[F_CONNECT]++;
			c->has_req = false;
			if (had) {
				c->state = C_BUSY; /* so that closing counts it off busy */
			}
			conn_close(g, c);
			return;
		}
		if (c->has_req) {
			c->state = C_BUSY;
			try_write(g, c);
		} else {
			ep_set(g, c, false);
			conn_ready(g, c);
		}
		return;
	}
	if (ev & EPOLLOUT)
		try_write(g, c);
	if (c->state != C_CLOSED && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		on_readable(g, c);
}

static void check_timeouts(struct gen *g, int64_t t)
{
	for (int i = 0; i < g->nconns; i++) {
		struct conn *c = &g->conns[i];
		if (c->state == C_CLOSED || !c->has_req)
			continue;
		if (t > c->sched_ns + g->o->timeout_ns) {
			if (c->state == C_CONNECTING) {
				if (c->measured)
					g->st->failures[F_TIMEOUT]++;
				c->has_req = false;
				c->state = C_BUSY;
				conn_close(g, c);
			} else
				fail_request(g, c, F_TIMEOUT);
		}
	}
	/* requests that waited for a connection past their timeout */
	while (g->wait_n && t > g->wait_sched[g->wait_head] + g->o->timeout_ns) {
		if (g->wait_measured[g->wait_head])
			g->st->failures[F_TIMEOUT]++;
		g->wait_head = (g->wait_head + 1) % g->wait_cap;
		g->wait_n--;
	}
}

static void arm_timer(struct gen *g, int64_t at_ns)
{
	if (at_ns == g->armed_ns)
		return;
	g->armed_ns = at_ns;
	struct itimerspec its = {0};
	if (at_ns > 0) {
		its.it_value.tv_sec = at_ns / 1000000000;
		its.it_value.tv_nsec = at_ns % 1000000000;
	}
	if (timerfd_settime(g->timer, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die(1, "timerfd_settime: %s", strerror(errno));
}

#define TIMER_TAG UINT32_MAX

static void requests_free(struct requests *q)
{
	free(q->head);
	free(q->persons);
	free(q->persons_text);
	free(q->body_text);
}

static void gen_free(struct gen *g)
{
	for (int i = 0; i < g->nconns; i++) {
		if (g->conns[i].state != C_CLOSED)
			close(g->conns[i].fd);
		free(g->conns[i].out);
		free(g->conns[i].in);
	}
	free(g->conns);
	free(g->idle);
	free(g->wait_sched);
	free(g->wait_measured);
	free(g->scratch);
	close(g->ep);
	close(g->timer);
}

static void gen_init(struct gen *g, const struct opts *o, const struct target *t, struct requests *q)
{
	memset(g, 0, sizeof *g);
	g->o = o;
	g->t = t;
	g->q = q;
	g->nconns = o->mode == MODE_CLOSED ? o->connections : o->max_connections;
	g->conns = calloc((size_t)g->nconns, sizeof *g->conns);
	g->idle = calloc((size_t)g->nconns, sizeof *g->idle);
	if (!g->conns || !g->idle)
		die(1, "out of memory");
	for (int i = 0; i < g->nconns; i++)
		g->conns[i].fd = -1;
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g->ep < 0 || g->timer < 0)
		die(1, "epoll/timerfd: %s", strerror(errno));
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TIMER_TAG};
	epoll_ctl(g->ep, EPOLL_CTL_ADD, g->timer, &ev);
}

/* Runs the loop until `done` says so or `until_ns` passes (0: no limit). */
static void loop_once(struct gen *g, int timeout_ms)
{
	struct epoll_event evs[256];
	int n = epoll_wait(g->ep, evs, 256, timeout_ms);
	if (n < 0 && errno != EINTR)
		die(1, "epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u32 == TIMER_TAG) {
			uint64_t x;
			while (read(g->timer, &x, sizeof x) > 0) {
			}
			continue;
		}
		on_event(g, &g->conns[evs[i].data.u32], evs[i].events);
	}
}

/* Opens `n` connections and waits until they are up (the pool is warm
 * before the clock starts). false if none could be made. */
static bool warm_pool(struct gen *g, int n)
{
	for (int i = 0; i < n; i++)
		if (!conn_open(g, i))
			return false;
	int64_t until = now_ns() + 5 * (int64_t)1000000000;
	while (now_ns() < until) {
		int connecting = 0;
		for (int i = 0; i < n; i++)
			connecting += g->conns[i].state == C_CONNECTING;
		if (!connecting)
			break;
		loop_once(g, 10);
	}
	int up = 0;
	for (int i = 0; i < n; i++)
		up += g->conns[i].state == C_IDLE;
	g->st->opened = 0; /* the warm pool is not the run's doing */
	return up > 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void stats_init(struct stats *st)
{
	memset(st, 0, sizeof *st);
	hist_init(&st->lat);
	hist_init(&st->lag);
}

/* One open-loop run at `rate` for warmup + duration: the stats of the
 * measured part. */
static void run_open(struct gen *g, struct stats *st, double rate)
{
	const struct opts *o = g->o;
	g->st = st;
	g->closed_loop = false;
	uint64_t warm_n = (uint64_t)floor((double)o->warmup_ns / 1e9 * rate);
	uint64_t total = warm_n + (uint64_t)floor((double)o->duration_ns / 1e9 * rate);
	if (total == warm_n)
		total = warm_n + 1;
	double cpu0 = cpu_seconds();
	int64_t t0 = now_ns() + 2000000; /* 2 ms from now */
	uint64_t i = 0;
	int64_t last_check = t0;
	st->first_sched_ns = t0 + (int64_t)((double)warm_n * 1e9 / rate);
	for (;;) {
		int64_t t = now_ns();
		while (i < total) {
			int64_t due = t0 + (int64_t)((double)i * 1e9 / rate);
			if (due > t)
				break;
			dispatch(g, due, i >= warm_n);
			if (i >= warm_n)
				st->last_sched_ns = due;
			i++;
		}
		if (t - last_check > 10000000) {
			check_timeouts(g, t);
			last_check = t;
		}
		drain(g);
		if (i >= total && g->busy == 0 && g->wait_n == 0)
			break;
		arm_timer(g, i < total ? t0 + (int64_t)((double)i * 1e9 / rate) : 0);
		loop_once(g, 10);
	}
	arm_timer(g, 0);
	st->cpu_s = cpu_seconds() - cpu0;
	st->wall_s = (double)(now_ns() - t0) / 1e9;
}

static void run_closed(struct gen *g, struct stats *st)
{
	const struct opts *o = g->o;
	g->st = st;
	g->closed_loop = true;
	g->stopping = false;
	double cpu0 = cpu_seconds();
	int64_t t0 = now_ns();
	g->measure_from_ns = t0 + o->warmup_ns;
	g->closed_until_ns = g->measure_from_ns + o->duration_ns;
	st->first_sched_ns = g->measure_from_ns;
	/* every connection starts with a request */
	g->idle_n = 0;
	for (int i = 0; i < g->nconns; i++) {
		g->conns[i].in_idle = false;
		if (g->conns[i].state == C_IDLE)
			conn_ready(g, &g->conns[i]);
	}
	int64_t last_check = t0;
	for (;;) {
		int64_t t = now_ns();
		if (t - last_check > 10000000) {
			check_timeouts(g, t);
			last_check = t;
		}
		/* a connection the server closed is opened again */
		if (t < g->closed_until_ns)
			for (int i = 0; i < g->nconns; i++)
				if (g->conns[i].state == C_CLOSED)
					conn_open(g, i);
		if (t >= g->closed_until_ns && g->busy == 0)
			break;
		loop_once(g, 10);
	}
	g->stopping = true;
	st->last_sched_ns = g->closed_until_ns;
	st->scheduled = st->sent;
	st->cpu_s = cpu_seconds() - cpu0;
	st->wall_s = (double)(now_ns() - t0) / 1e9;
}

/* ---- the fsync probe ----------------------------------------------------------------- */

struct fsync_result {
	bool ran;
	struct hist overwrite, append;
	char dir[PATH_MAX];
};

static void fsync_series(struct hist *h, const char *dir, int count, bool append)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/.zhitong-loadgen-fsync.XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		die(2, "--fsync-probe '%s': %s", dir, strerror(errno));
	unlink(path);
	static char block[4096];
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (char)(i * 131 + 7);
	enum { BLOCKS = 1024 };
	if (!append) {
		/* a 4 MiB file on disk first: then each write changes data only */
		for (int i = 0; i < BLOCKS; i++)
			if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
				die(1, "--fsync-probe: write: %s", strerror(errno));
		if (fsync(fd) < 0)
			die(1, "--fsync-probe: fsync: %s", strerror(errno));
	}
	for (int i = 0; i < count; i++) {
		block[0] = (char)i;
		int64_t t = now_ns();
		ssize_t w = append ? write(fd, block, sizeof block)
		                   : pwrite(fd, block, sizeof block, (off_t)(i % BLOCKS) * 4096);
		if (w != (ssize_t)sizeof block || fdatasync(fd) < 0)
			die(1, "--fsync-probe: %s", strerror(errno));
		hist_add(h, now_ns() - t);
	}
	close(fd);
}

static void fsync_probe(struct fsync_result *f, const char *dir, int count)
{
	f->ran = true;
	snprintf(f->dir, sizeof f->dir, "%s", dir);
	hist_init(&f->overwrite);
	hist_init(&f->append);
	fsync_series(&f->overwrite, dir, count, false);
	fsync_series(&f->append, dir, count, true);
}

/* ---- reports --------------------------------------------------------------------------- */

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

static uint64_t errors_of(const struct stats *st)
{
	uint64_t e = st->answered - st->ok;
	for (int f = 0; f < F_COUNT; f++)
		e += st->failures[f];
	return e;
}

/* Requests sent per second, from the first send to the last (as they
 * went out, not as they were scheduled), and answers per second from the
 * first scheduled send to the last answer. */
static double sent_rate(const struct stats *st)
{
	double span = (double)(st->last_send_ns - st->first_send_ns) / 1e9;
	return st->sent > 1 && span > 0 ? (double)(st->sent - 1) / span : 0;
}

static double answered_rate(const struct stats *st, bool closed)
{
	if (closed) {
		double span = (double)(st->last_sched_ns - st->first_sched_ns) / 1e9;
		return span > 0 ? (double)st->answered / span : 0;
	}
	double span = (double)(st->last_answer_ns - st->first_sched_ns) / 1e9;
	return st->answered > 1 && span > 0 ? (double)st->answered / span : 0;
}

static void text_stats(const struct stats *st, bool closed)
{
	printf("requests      %" PRIu64 " %s, %" PRIu64 " sent, %" PRIu64 " answered (%" PRIu64
	       " 2xx)\n",
	       st->scheduled, closed ? "sent" : "scheduled", st->sent, st->answered, st->ok);
	printf("status       ");
	for (int s = 100; s < 600; s++)
		if (st->status[s])
			printf(" %d: %" PRIu64, s, st->status[s]);
	for (int f = 0; f < F_COUNT; f++)
		if (st->failures[f])
			printf(" %s: %" PRIu64, failure_names[f], st->failures[f]);
	printf("\n");
	uint64_t e = errors_of(st);
	printf("errors        %" PRIu64 " (%.3f %%)\n", e,
	       st->scheduled ? 100.0 * (double)e / (double)st->scheduled : 0.0);
	if (closed)
		printf("throughput    %.1f answers/s\n", answered_rate(st, true));
	else
		printf("rate          %.1f sent/s, %.1f answered/s\n", sent_rate(st),
		       answered_rate(st, false));
	const struct hist *h = &st->lat;
	printf("latency (ms)  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f  (from "
	       "the %s)\n",
	       ms(hist_quantile(h, .5)), ms(hist_quantile(h, .9)), ms(hist_quantile(h, .99)),
	       ms(hist_quantile(h, .999)), ms(h->total ? h->max : 0), hist_mean(h) / 1e6,
	       closed ? "send" : "scheduled send");
	if (!closed)
		printf("send lag (ms) p50 %.3f  p99 %.3f  max %.3f  (actual send - scheduled)\n",
		       ms(hist_quantile(&st->lag, .5)), ms(hist_quantile(&st->lag, .99)),
		       ms(st->lag.total ? st->lag.max : 0));
	printf("connections   %" PRIu64 " opened during the run, %d busy at most, %" PRIu64
	       " closed by the server mid-request",
	       st->opened, st->busy_peak, st->closed_by_server);
	if (!closed)
		printf(", %" PRIu64 " requests waited for one (queue at most %zu)", st->queued,
		       st->queue_peak);
	printf("\n");
	printf("generator     %.2f s CPU, %.1f us a request\n", st->cpu_s,
	       st->sent ? st->cpu_s * 1e6 / (double)st->sent : 0);
	if (!closed && st->lag.total && hist_quantile(&st->lag, .99) > 1000000)
		printf("warning       the generator fell behind its schedule (send lag p99 over 1 ms): "
		       "these figures include its own delay\n");
}

static void json_hist(const char *name, const struct hist *h)
{
	printf("\"%s\":{\"count\":%" PRIu64 ",\"p50\":%" PRId64 ",\"p90\":%" PRId64 ",\"p99\":%" PRId64
	       ",\"p999\":%" PRId64 ",\"max\":%" PRId64 ",\"mean\":%" PRId64 "}",
	       name, h->total, (hist_quantile(h, .5) + 500) / 1000, (hist_quantile(h, .9) + 500) / 1000,
	       (hist_quantile(h, .99) + 500) / 1000, (hist_quantile(h, .999) + 500) / 1000,
	       h->total ? (h->max + 500) / 1000 : 0, (int64_t)llround(hist_mean(h) / 1000));
}

static void json_stats(const struct stats *st, bool closed)
{
	printf("\"requests\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"ok\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"status\":{",
	       st->scheduled, st->sent, st->answered, st->ok, errors_of(st));
	bool first = true;
	for (int s = 100; s < 600; s++)
		if (st->status[s]) {
			printf("%s\"%d\":%" PRIu64, first ? "" : ",", s, st->status[s]);
			first = false;
		}
	printf("},\"failures\":{");
	for (int f = 0; f < F_COUNT; f++)
		printf("%s\"%s\":%" PRIu64, f ? "," : "", failure_names[f], st->failures[f]);
	printf("},\"sent_per_s\":%.3f,\"answered_per_s\":%.3f,", closed ? answered_rate(st, true) : sent_rate(st),
	       answered_rate(st, closed));
	json_hist("latency_us", &st->lat);
	printf(",");
	json_hist("send_lag_us", &st->lag);
	printf(",\"connections_opened\":%" PRIu64 ",\"busy_peak\":%d,\"closed_by_server\":%" PRIu64
	       ",\"queued\":%" PRIu64 ",\"queue_peak\":%zu,\"cpu_s\":%.3f,\"cpu_us_per_request\":%.3f",
	       st->opened, st->busy_peak, st->closed_by_server, st->queued, st->queue_peak, st->cpu_s,
	       st->sent ? st->cpu_s * 1e6 / (double)st->sent : 0);
}

static void text_fsync(const struct fsync_result *f)
{
	printf("fsync probe   %s: 4 KiB write + fdatasync, %" PRIu64 " times each\n", f->dir,
	       f->overwrite.total);
	const struct hist *hs[2] = {&f->overwrite, &f->append};
	const char *names[2] = {"overwrite", "append   "};
	for (int i = 0; i < 2; i++)
		printf("  %s   p50 %.3f ms  p99 %.3f ms  mean %.3f ms  max %.3f ms  (%.0f a second, "
		       "one after another)\n",
		       names[i], ms(hist_quantile(hs[i], .5)), ms(hist_quantile(hs[i], .99)),
		       hist_mean(hs[i]) / 1e6, ms(hs[i]->max),
		       hist_mean(hs[i]) > 0 ? 1e9 / hist_mean(hs[i]) : 0);
}

/* A JSON string of text (UTF-8 passed through). */
static void json_str(const char *text)
{
	putchar('"');
	for (const char *p = text; *p; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	putchar('"');
}

static void json_fsync(const struct fsync_result *f)
{
	printf("\"fsync\":{\"dir\":");
	json_str(f->dir);
	printf(",");
	json_hist("overwrite_us", &f->overwrite);
	printf(",");
	json_hist("append_us", &f->append);
	printf("}");
}

/* ---- main ------------------------------------------------------------------------------- */

static bool step_held(const struct stats *st, const struct opts *o)
{
	return st->answered == st->scheduled && errors_of(st) <= o->max_errors &&
	       hist_quantile(&st->lat, .99) <= o->p99_max_ns;
}

static void raise_fd_limit(int want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)want + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)want + 64 ? rl.rlim_max : (rlim_t)want + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_args(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	struct fsync_result fs = {0};
	if (o.fsync_dir)
		fsync_probe(&fs, o.fsync_dir, o.fsync_count);
	if (o.mode == MODE_FSYNC_ONLY) {
		if (o.json) {
			printf("{\"mode\":\"fsync\",");
			json_fsync(&fs);
			printf("}\n");
		} else
			text_fsync(&fs);
		return 0;
	}

	struct target t;
	parse_url(&t, o.url);
	struct requests q;
	build_requests(&q, &o, &t);
	resolve(&t, o.url);
	raise_fd_limit(o.mode == MODE_CLOSED ? o.connections : o.max_connections);
	struct gen g;
	gen_init(&g, &o, &t, &q);
	if (o.answered_path && !(g.answered = fopen(o.answered_path, "w")))
		die(1, "--answered '%s': %s", o.answered_path, strerror(errno));
	struct stats warm;
	stats_init(&warm);
	g.st = &warm;
	if (!warm_pool(&g, o.connections))
		die(3, "'%s': no connection could be made", o.url);

	static struct stats st; /* the histograms are large */
	int code = 0;
	if (o.mode == MODE_OPEN || o.mode == MODE_CLOSED) {
		stats_init(&st);
		bool closed = o.mode == MODE_CLOSED;
		if (closed)
			run_closed(&g, &st);
		else
			run_open(&g, &st, o.rate);
		code = errors_of(&st) || st.answered != st.scheduled ? 1 : 0;
		if (o.histogram_path && !hist_csv(&st.lat, o.histogram_path))
			die(1, "--histogram '%s': %s", o.histogram_path, strerror(errno));
		if (o.json) {
			printf("{\"mode\":\"%s\",\"url\":", closed ? "closed" : "open");
			json_str(o.url);
			printf(",\"method\":\"%s\",", q.method);
			if (closed)
				printf("\"connections\":%d,", o.connections);
			else
				printf("\"rate_per_s\":%.3f,", o.rate);
			printf("\"duration_s\":%.3f,\"warmup_s\":%.3f,", (double)o.duration_ns / 1e9,
			       (double)o.warmup_ns / 1e9);
			json_stats(&st, closed);
			if (fs.ran) {
				printf(",");
				json_fsync(&fs);
			}
			printf("}\n");
		} else {
			if (fs.ran)
				text_fsync(&fs);
			if (closed)
				printf("closed loop   %d connections for %.1f s to %s %s\n", o.connections,
				       (double)o.duration_ns / 1e9, q.method, o.url);
			else
				printf("open loop     %.1f requests/s for %.1f s to %s %s\n", o.rate,
				       (double)o.duration_ns / 1e9, q.method, o.url);
			text_stats(&st, closed);
		}
		gen_free(&g);
		requests_free(&q);
		return code;
	}

	/* --find-max */
	double lo = 0, hi = 0, r = o.start_rate;
	static struct stats best;
	stats_init(&best);
	if (o.json)
	{
		printf("{\"mode\":\"find-max\",\"url\":");
		json_str(o.url);
		printf(",\"p99_max_us\":%" PRId64 ",\"steps\":[", o.p99_max_ns / 1000);
	}
	else {
		if (fs.ran)
			text_fsync(&fs);
		printf("find-max      %s %s: the highest open-loop rate with p99 <= %.3f ms and at most "
		       "%" PRIu64 " errors, %.1f s a step\n",
		       q.method, o.url, ms(o.p99_max_ns), o.max_errors, (double)o.duration_ns / 1e9);
	}
	for (int step = 0; step < o.max_steps; step++) {
		stats_init(&st);
		run_open(&g, &st, r);
		bool held = step_held(&st, &o);
		if (o.json) {
			printf("%s{\"rate_per_s\":%.3f,\"held\":%s,", step ? "," : "", r, held ? "true" : "false");
			json_stats(&st, false);
			printf("}");
		} else
			printf("  %9.1f/s  p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  errors %" PRIu64
			       "  send lag p99 %.3f ms  %s\n",
			       r, ms(hist_quantile(&st.lat, .5)), ms(hist_quantile(&st.lat, .99)),
			       ms(st.lat.total ? st.lat.max : 0), errors_of(&st),
			       ms(hist_quantile(&st.lag, .99)), held ? "held" : "failed");
		fflush(stdout);
		if (held) {
			lo = r;
			memcpy(&best, &st, sizeof best);
		} else
			hi = r;
		if (hi > 0 && (hi - lo) / hi <= o.precision)
			break;
		r = hi > 0 ? (lo + hi) / 2 : r * 2;
		/* the server drains what the last step left */
		int64_t until = now_ns() + o.pause_ns;
		while (now_ns() < until)
			loop_once(&g, 10);
	}
	if (o.json) {
		printf("],\"max_rate_per_s\":%.3f", lo);
		if (lo > 0) {
			printf(",\"at_max\":{");
			json_stats(&best, false);
			printf("}");
		}
		if (fs.ran) {
			printf(",");
			json_fsync(&fs);
		}
		printf("}\n");
	} else if (lo > 0)
		printf("max rate      %.1f requests/s held (p99 %.3f ms)%s\n", lo,
		       ms(hist_quantile(&best.lat, .99)),
		       hi > 0 ? "" : "; the last step held too: raise --max-steps to go higher");
	else
		printf("max rate      none held (the lowest tried, %.1f requests/s, failed)\n", hi);
	gen_free(&g);
	requests_free(&q);
	return lo > 0 ? 0 : 1;
}
