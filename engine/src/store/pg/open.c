/* zhitong — opening and closing the PostgreSQL store, and its table of
 * operations (store.h).
 *
 * The target is a libpq connection URI (postgresql://… or postgres://…),
 * handed to libpq as it is. The password is never in it: libpq reads it
 * from the password file ($PGPASSFILE, ~/.pgpass, or passfile= in the URI)
 * or a service file (service=NAME, $PGSERVICEFILE); messages show the target
 * with any password in it masked. docs/operations.md "PostgreSQL". */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg_int.h"
#include "zhitong/date.h"

static void pg_close(struct zt_store *s);

static struct zt_store_ops pg_ops;
static pthread_once_t pg_ops_once = PTHREAD_ONCE_INIT;

static void fill_ops(void)
{
	pg_ops = (struct zt_store_ops){
		.name = "postgresql",
		.close = pg_close,
		.migrate = pg_migrate,
		.check_version = pg_check_version,
		.begin = pg_begin,
		.commit = pg_commit,
		.rollback = pg_rollback,
		.savepoint = pg_savepoint,
		.release = pg_release,
		.rollback_to = pg_rollback_to,
		.contended = pg_contended,
		.failed_late = pg_failed_late,
		.round_trips = pg_round_trips,
		.now = pg_now_op,
		ZT_DB_AGGREGATE_OPS,
	};
}

/* The target as messages show it: "user:SECRET@" and "password=SECRET"
 * masked (a password belongs in the password file, never in a target). */
static void shown(char *out, size_t cap, const char *target)
{
	snprintf(out, cap, "%s", target);
	char *scheme = strstr(out, "://");
	if (scheme) {
		char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
		char *colon = strchr(auth, ':');
		if (at && (!slash || at < slash) && colon && colon < at) {
			memmove(colon + 4, at, strlen(at) + 1);
			memcpy(colon, ":***", 4);
		}
	}
	char *pw = strstr(out, "password=");
	if (pw) {
		char *end = pw + strlen("password=");
		size_t n = strcspn(end, "& ");
		memmove(end + 3, end + n, strlen(end + n) + 1);
		memcpy(end, "***", 3);
	}
}

static void notice(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs of the migrations (IF NOT EXISTS …): not for the user */
}

/* The settings of a session: UTF-8, the pool's zone for the days of
 * timestamps (zt_local_day), how long a writer waits for another (G1), and
 * a read-only session for a read-only store (G6). */
static int session(struct pg *q)
{
	PQsetNoticeProcessor(q->conn, notice, NULL);
	char set[400];
	const char *zone = zt_zone_name(zt_date_pool_zone());
	if (strchr(zone, '\''))
		return zt_error_set(ZT_EINVAL, "time zone '%s' cannot be named to PostgreSQL", zone);
	snprintf(set, sizeof set,
	         "SET client_encoding = 'UTF8'; SET lock_timeout = %d; SET TIME ZONE '%s';"
	         " SET default_transaction_read_only = %s; SET client_min_messages = warning",
	         q->busy_timeout_ms, zone, q->readonly ? "on" : "off");
	return pg_exec(q, set);
}

/* Connects to q->target: 0, or the message of libpq's failure in msg. */
static int connect_to(struct pg *q, char *msg, size_t cap)
{
	if (q->conn) {
		pg_ahead_drain(q); /* a lost connection's: forgotten, not read */
		PQfinish(q->conn);
	}
	q->conn = PQconnectdb(q->target);
	if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
		snprintf(msg, cap, "%s", q->conn ? PQerrorMessage(q->conn) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		return -1;
	}
	q->gen++;
	return 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tell(struct pg *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tell(struct pg *q, const char *fmt, ...)
{
	if (!q->log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *c = line; *c; c++) /* one line */
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	q->log(q->log_ctx, line);
}

bool pg_is_lost(struct pg *q)
{
	const char *st = q->sqlstate;
	return q->lost || !q->conn || PQstatus(q->conn) == CONNECTION_BAD || !strncmp(st, "08", 2) ||
	       !strcmp(st, "57P01") || !strcmp(st, "57P02") || !strcmp(st, "57P03");
}

void pg_lost(struct pg *q)
{
	if (q->lost)
		return;
	q->lost = true;
	q->lost_at_ms = monotonic_ms();
	q->retry_at_ms = 0; /* the first attempt at once */
	q->backoff_ms = 0;
	/* errmsg: the server's or libpq's message, no password in it */
	tell(q, "数据库 '%s' 的连接中断（%s%s%s），下一事务前重新连接", q->path,
	     q->sqlstate[0] ? q->sqlstate : "", q->sqlstate[0] ? ": " : "",
	     q->errmsg[0] ? q->errmsg : "connection lost");
}

/* What the lost connection knew, forgotten: its transaction, its queued
 * writes, its prepared statements (prepared again on the new connection:
 * pg_stmt compares gen), the writer token and with it the next rows and
 * the balances, the audit head (db.h audit_known). */
static void forget(struct pg *q)
{
	pg_reset_all(q);
	q->txn = PG_NO_TXN;
	q->in_savepoint = false;
	q->defer = false;
	q->pending = 0;
	q->lazy = q->careful = q->late = false;
	q->token[0] = '\0';
	q->now[0] = '\0';
	zt_db_ledger_clear(&q->zdb);
}

int pg_ready(struct pg *q)
{
	if (!q->lost && q->conn && PQstatus(q->conn) == CONNECTION_OK)
		return 0;
	if (!q->lost) {
		snprintf(q->sqlstate, sizeof q->sqlstate, "%s", "");
		snprintf(q->errmsg, sizeof q->errmsg, "%s",
		         q->conn ? PQerrorMessage(q->conn) : "no connection");
		q->errmsg[strcspn(q->errmsg, "\n")] = '\0';
		pg_lost(q);
	}
	int64_t now = monotonic_ms();
	if (now < q->retry_at_ms)
		return zt_error_set(ZT_EUNAVAILABLE,
		                    "database '%s' is unreachable: the connection was lost %lld ms ago; "
		                    "next attempt in %lld ms",
		                    q->path, (long long)(now - q->lost_at_ms),
		                    (long long)(q->retry_at_ms - now));
	forget(q);
	char msg[400];
	bool connected = connect_to(q, msg, sizeof msg) == 0;
	if (connected && session(q) != 0) {
		snprintf(msg, sizeof msg, "%s", zt_error_last());
		connected = false;
	}
	if (!connected) {
		q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : PG_BACKOFF_MIN_MS;
		if (q->backoff_ms > PG_BACKOFF_MAX_MS)
			q->backoff_ms = PG_BACKOFF_MAX_MS;
		q->retry_at_ms = monotonic_ms() + q->backoff_ms;
		return zt_error_set(ZT_EUNAVAILABLE,
		                    "database '%s' is unreachable: the connection was lost and cannot be "
		                    "made again (%s); next attempt in %d ms",
		                    q->path, msg, q->backoff_ms);
	}
	q->lost = false;
	q->backoff_ms = 0;
	q->retry_at_ms = 0;
	const char *host = PQhost(q->conn), *port = PQport(q->conn);
	tell(q, "数据库 '%s' 已重新连接（服务器 %s%s%s，中断 %lld 毫秒）", q->path,
	     host && host[0] ? host : "?", port && port[0] ? ":" : "", port ? port : "",
	     (long long)(monotonic_ms() - q->lost_at_ms));
	return 0;
}

int pg_open(struct zt_store **out, const char *target, const struct zt_store_options *o)
{
	*out = NULL;
	struct pg *q = calloc(1, sizeof *q);
	if (!q)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	pthread_once(&pg_ops_once, fill_ops);
	q->base.ops = &pg_ops;
	q->zdb.drv = &pg_driver;
	q->zdb.checks = pg_checks;
	q->zdb.pg = true;
	q->zdb.deltas.size = sizeof(struct zt_db_delta);
	q->zdb.accums.size = sizeof(struct zt_db_accum);
	shown(q->path, sizeof q->path, target);
	q->readonly = o->readonly;
	q->busy_timeout_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : ZT_STORE_BUSY_TIMEOUT_MS;
	q->log = o->log;
	q->log_ctx = o->log_ctx;
	int rc = 0;
	char msg[400];
	if (!(q->target = strdup(target))) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto fail;
	}
	if (connect_to(q, msg, sizeof msg) != 0) {
		rc = zt_error_set(ZT_EIO, "cannot open database '%s': %s", q->path, msg);
		goto fail;
	}
	if ((rc = session(q)) != 0)
		goto fail;
	*out = &q->base;
	return 0;
fail:
	pg_close(&q->base);
	return rc;
}

static void pg_close(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	if (q->conn && q->txn != PG_NO_TXN && !q->lost)
		pg_rollback(s);
	for (size_t i = 0; i < PG_CACHE_SLOTS; i++)
		pg_finalize(q->cache[i].stmt);
	if (q->conn) {
		pg_ahead_drain(q);
		PQfinish(q->conn);
	}
	zt_db_ledger_clear(&q->zdb);
	free(q->zdb.deltas.items);
	free(q->zdb.sp_balances);
	free(q->whats);
	free(q->queued);
	free(q->zdb.accums.items);
	free(q->zdb.claim_keys);
	if (q->target) /* it may hold a password (the target as given) */
		explicit_bzero(q->target, strlen(q->target));
	free(q->target);
	free(q);
}
