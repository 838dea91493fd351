/* zhitong — opening and closing the PostgreSQL store, and its table of
 * operations (store.h).
 *
 * The target is a libpq connection URI (postgresql://… or postgres://…),
 * handed to libpq as it is. The password is never in it: libpq reads it
 * from the password file ($PGPASSFILE, ~/.pgpass, or passfile= in the URI)
 * or a service file (service=NAME, $PGSERVICEFILE); messages show the target
 * with any password in it masked. docs/operations.md "PostgreSQL". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	int rc = 0;
	q->conn = PQconnectdb(target);
	if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
		char msg[400];
		snprintf(msg, sizeof msg, "%s", q->conn ? PQerrorMessage(q->conn) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		rc = zt_error_set(ZT_EIO, "cannot open database '%s': %s", q->path, msg);
		goto fail;
	}
	PQsetNoticeProcessor(q->conn, notice, NULL);
	/* Settings of the session: UTF-8, the pool's zone for the days of
	 * timestamps (zt_local_day), how long a writer waits for another (G1),
	 * and a read-only session for a read-only store (G6). */
	char set[400];
	const char *zone = zt_zone_name(zt_date_pool_zone());
	snprintf(set, sizeof set,
	         "SET client_encoding = 'UTF8'; SET lock_timeout = %d; SET TIME ZONE '%s';"
	         " SET default_transaction_read_only = %s; SET client_min_messages = warning",
	         q->busy_timeout_ms, zone, q->readonly ? "on" : "off");
	if (strchr(zone, '\'')) {
		rc = zt_error_set(ZT_EINVAL, "time zone '%s' cannot be named to PostgreSQL", zone);
		goto fail;
	}
	if ((rc = pg_exec(q, set)) != 0)
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
	if (q->conn && q->txn != PG_NO_TXN)
		pg_rollback(s);
	for (size_t i = 0; i < PG_CACHE_SLOTS; i++)
		pg_finalize(q->cache[i].stmt);
	if (q->conn)
		PQfinish(q->conn);
	zt_db_ledger_clear(&q->zdb);
	free(q->zdb.deltas.items);
	free(q->zdb.sp_balances);
	free(q->whats);
	free(q->queued);
	free(q->zdb.accums.items);
	free(q->zdb.claim_keys);
	free(q);
}
