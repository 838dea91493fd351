/* zhitong — a tiny HTTP server for the load generator's tests and for
 * measuring the generator's own overhead (not installed).
 *
 *   loadgen_server [--stall-every MS --stall MS] [--service-us US]
 *                  [--delay-every N --delay MS] [--fail-every N] [--status N]
 *                  [--thread-per-connection] [--log FILE] [--lifetime S]
 *
 * Listens on 127.0.0.1, on a port the kernel picks, and prints that port
 * alone on one line on stdout. Answers every request (any method, any
 * path) with `--status` (default 200) and a small JSON body, keep-alive.
 * By default one thread runs everything (libmicrohttpd's epoll loop), so
 * that a pause in a handler pauses the whole server, as a stalled process
 * would:
 *   --stall-every P --stall S   a request handled in the first S ms of each
 *                               P ms (counted from the start) waits until
 *                               the S ms are over: the server stalls S ms
 *                               every P ms
 *   --service-us US             every request takes US µs (a sleep): the
 *                               server's capacity is about 1e6/US a second
 *   --delay-every N --delay MS  every Nth request waits MS ms (with
 *                               --thread-per-connection, only its own)
 *   --fail-every N              every Nth request is answered 503
 * Each request appends one line to --log:
 *   n=12 method=POST auth=Bearer%20zt_... body=<the body, \n as \\n>
 * Stops when stdin reaches end of file (the test closing its pipe, or
 * dying) and in any case after --lifetime seconds (default 120). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server_args.h"

static long stall_every_ms, stall_ms, service_us, delay_every, delay_ms, fail_every;
static unsigned status_code = 200;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long requests;
static int64_t start_ns;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	if (ns <= 0)
		return;
	struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

struct req {
	char *body;
	size_t len, cap;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
	(void)cls, (void)url, (void)version;
	struct req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->len + *upload_size + 1 > r->cap) {
			r->cap = (r->len + *upload_size + 1) * 2;
			char *p = realloc(r->body, r->cap);
			if (!p)
				return MHD_NO;
			r->body = p;
		}
		memcpy(r->body + r->len, upload_data, *upload_size);
		r->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	long n = atomic_fetch_add(&requests, 1) + 1;
	if (stall_every_ms > 0 && stall_ms > 0) {
		int64_t period = stall_every_ms * 1000000L, in = (now_ns() - start_ns) % period;
		if (in < stall_ms * 1000000L)
			sleep_ns(stall_ms * 1000000L - in);
	}
	if (service_us > 0)
		sleep_ns(service_us * 1000L);
	if (delay_every > 0 && n % delay_every == 0)
		sleep_ns(delay_ms * 1000000L);
	unsigned status = fail_every > 0 && n % fail_every == 0 ? 503 : status_code;
	if (log_file) {
		const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		pthread_mutex_lock(&log_lock);
		fprintf(log_file, "n=%ld method=%s auth=", n, method);
		for (const char *p = auth ? auth : "-"; *p; p++)
			fputs(*p == ' ' ? "%20" : (char[]){*p, 0}, log_file);
		fputs(" body=", log_file);
		for (size_t i = 0; i < r->len; i++)
			fputs(r->body[i] == '\n' ? "\\n" : (char[]){r->body[i], 0}, log_file);
		fputc('\n', log_file);
		pthread_mutex_unlock(&log_lock);
	}
	char text[64];
	int len = snprintf(text, sizeof text, "{\"n\":%ld,\"status\":%u}\n", n, status);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer((size_t)len, text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	enum MHD_Result ok = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void done(void *cls, struct MHD_Connection *conn, void **con_cls,
                 enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)conn, (void)code;
	struct req *r = *con_cls;
	if (r) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

static atomic_bool stopping;

static void *watch_stdin(void *arg)
{
	(void)arg;
	char buf[256];
	while (read(0, buf, sizeof buf) > 0) {
	}
	atomic_store(&stopping, true);
	return NULL;
}

static long lifetime_s = 120;
static bool per_connection;
static const char *log_path;

static bool option(const char *a, const char *v)
{
	if (!strcmp(a, "--thread-per-connection"))
		per_connection = true;
	else if (!strcmp(a, "--stall-every"))
		stall_every_ms = atol(v);
	else if (!strcmp(a, "--stall"))
		stall_ms = atol(v);
	else if (!strcmp(a, "--service-us"))
		service_us = atol(v);
	else if (!strcmp(a, "--delay-every"))
		delay_every = atol(v);
	else if (!strcmp(a, "--delay"))
		delay_ms = atol(v);
	else if (!strcmp(a, "--fail-every"))
		fail_every = atol(v);
	else if (!strcmp(a, "--status"))
		status_code = (unsigned)atoi(v);
	else if (!strcmp(a, "--log"))
		log_path = v;
	else if (!strcmp(a, "--lifetime"))
		lifetime_s = atol(v);
	else
		return false;
	return true;
}

int main(int argc, char **argv)
{
	static const char *const alone[] = {"--thread-per-connection", NULL};
	int rc = zt_server_args("loadgen_server", argc, argv, alone, option);
	if (rc)
		return rc;
	if (log_path && !(log_file = fopen(log_path, "w"))) {
		perror(log_path);
		return 1;
	}
	start_ns = now_ns();
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	flags |= per_connection ? MHD_USE_THREAD_PER_CONNECTION : MHD_USE_EPOLL;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL,
	                                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	                                        MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
	                                        MHD_OPTION_CONNECTION_LIMIT, 2000u,
	                                        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "loadgen_server: cannot start\n");
		return 1;
	}
	zt_server_print_port(d);
	pthread_t t;
	pthread_create(&t, NULL, watch_stdin, NULL);
	pthread_detach(t);
	int64_t until = now_ns() + lifetime_s * 1000000000L;
	while (!atomic_load(&stopping) && now_ns() < until)
		sleep_ns(20000000);
	MHD_stop_daemon(d);
	if (log_file)
		fclose(log_file);
	return 0;
}
