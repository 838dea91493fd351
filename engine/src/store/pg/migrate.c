/* zhitong — the PostgreSQL store's schema: the numbered migrations of
 * schema/pg/, each applied in its own transaction, the version kept in
 * meta 'schema.version' (SQLite: PRAGMA user_version). The versions are
 * the store port's (ZT_STORE_VERSION): pg 001 brings a database to the
 * version SQLite's 001 to 009 make; each later SQLite migration gets its
 * PostgreSQL twin here, which brings it one further. Two zhitong init at
 * once: the second waits for the first (an advisory lock) and finds the
 * work done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

extern const unsigned char zt_pg_sql_001[], zt_pg_sql_002[], zt_pg_sql_003[], zt_pg_sql_004[],
	zt_pg_sql_005[], zt_pg_sql_006[], zt_pg_sql_007[], zt_pg_sql_008[], zt_pg_sql_009[],
	zt_pg_sql_010[];
extern const size_t zt_pg_sql_001_len, zt_pg_sql_002_len, zt_pg_sql_003_len, zt_pg_sql_004_len,
	zt_pg_sql_005_len, zt_pg_sql_006_len, zt_pg_sql_007_len, zt_pg_sql_008_len, zt_pg_sql_009_len,
	zt_pg_sql_010_len;

/* Migration 004's step (SQLite's 012): the audit records written before
 * the chain, chained (agg/audit.c). */
static int chain_audit(struct pg *q) { return zt_db_audit_chain_old(&q->zdb, q->path); }

/* A migration may have a step in C at a line "-- zt:step NAME", as
 * SQLite's (sqlite/migrate.c). */
static const struct {
	const unsigned char *sql;
	const size_t *len;
	int to_version;
	int (*step)(struct pg *q);
} migrations[] = {
	{zt_pg_sql_001, &zt_pg_sql_001_len, 9, NULL}, /* SQLite's 001 to 009 */
	{zt_pg_sql_002, &zt_pg_sql_002_len, 10, NULL}, /* SQLite's 010: claim v2, the national platform */
	{zt_pg_sql_003, &zt_pg_sql_003_len, 11, NULL}, /* SQLite's 011: rules v2 */
	{zt_pg_sql_004, &zt_pg_sql_004_len, 12, chain_audit}, /* SQLite's 012: users, the audit chain */
	{zt_pg_sql_005, &zt_pg_sql_005_len, 13, NULL}, /* SQLite's 013: policy versions */
	{zt_pg_sql_006, &zt_pg_sql_006_len, 14, NULL}, /* SQLite's 014: passwords, lockout */
	{zt_pg_sql_007, &zt_pg_sql_007_len, 15, NULL}, /* SQLite's 015: Idempotency-Key answers */
	{zt_pg_sql_008, &zt_pg_sql_008_len, 16, NULL}, /* SQLite's 016: persons by ID number */
	{zt_pg_sql_009, &zt_pg_sql_009_len, 17, NULL}, /* SQLite's 017: several pools */
	{zt_pg_sql_010, &zt_pg_sql_010_len, 18, NULL}, /* SQLite's 018: each pool its own books */
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof *migrations))
#define LAST_VERSION 18
_Static_assert(LAST_VERSION == ZT_STORE_VERSION,
               "a new SQLite migration needs its twin in schema/pg/ (migrate.c)");

static const char SQL_HAS_META[] = "SELECT (to_regclass('meta') IS NOT NULL)::int";
static const char SQL_VERSION[] =
	"SELECT COALESCE((SELECT value::int8 FROM meta WHERE key = 'schema.version'), 0)";

static int read_version(struct pg *q, int *out);

/* Outside a transaction, a connection lost while idle is made again and
 * the version read once more (a read: nothing to undo). */
static int version(struct pg *q, int *out)
{
	int rc = q->txn == PG_NO_TXN ? pg_ready(q) : 0;
	if (rc == 0 && (rc = read_version(q, out)) == ZT_EUNAVAILABLE && q->txn == PG_NO_TXN &&
	    (rc = pg_ready(q)) == 0)
		rc = read_version(q, out);
	return rc;
}

static int read_version(struct pg *q, int *out)
{
	int rc = 0;
	PGresult *r = PQexec(q->conn, SQL_HAS_META);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    atoi(PQgetvalue(r, 0, 0)) == 0) {
		PQclear(r);
		*out = 0;
		return 0;
	}
	PQclear(r);
	r = PQexec(q->conn, SQL_VERSION);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		*out = atoi(PQgetvalue(r, 0, 0));
	else {
		pg_keep_error(q, r);
		rc = pg_error(q, "read schema version"); /* ZT_EUNAVAILABLE when lost */
	}
	PQclear(r);
	return rc;
}

static int apply(struct pg *q, int i)
{
	size_t len = *migrations[i].len;
	char *sql = malloc(len + 1);
	if (!sql)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	memcpy(sql, migrations[i].sql, len);
	sql[len] = '\0';
	char *mark = migrations[i].step ? strstr(sql, "-- zt:step ") : NULL;
	int rc;
	if (migrations[i].step && !mark)
		rc = zt_error_set(ZT_EINTERNAL, "migration to %d has no step mark",
		                  migrations[i].to_version);
	else if (!mark)
		rc = pg_exec(q, sql);
	else {
		char *rest = strchr(mark, '\n'); /* after the mark's line */
		*mark = '\0';
		if ((rc = pg_exec(q, sql)) == 0 && (rc = migrations[i].step(q)) == 0 && rest)
			rc = pg_exec(q, rest + 1);
	}
	free(sql);
	if (rc)
		return rc;
	char set[160];
	snprintf(set, sizeof set, "INSERT INTO meta (key, value) VALUES ('schema.version', '%d') "
	         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", migrations[i].to_version);
	return pg_exec(q, set);
}

int pg_migrate(struct zt_store *s, int *from_version, int *to_version)
{
	struct pg *q = pg_of(s);
	int v, rc;
	if (q->readonly)
		return zt_error_set(ZT_EINVAL, "database '%s' is open for reading only", q->path);
	/* one migrating zhitong at a time (a lock of this database, held to commit) */
	if ((rc = pg_exec(q, "BEGIN; SELECT pg_advisory_xact_lock(7245, 1)")) != 0)
		return rc;
	if ((rc = version(q, &v)) != 0)
		goto fail;
	if (from_version)
		*from_version = v;
	int v0 = v;
	if (v > LAST_VERSION) {
		rc = zt_error_set(ZT_EINVAL, "database '%s' has schema version %d, newer than this "
		                  "zhitong (%d): upgrade zhitong", q->path, v, LAST_VERSION);
		goto fail;
	}
	for (int i = 0; i < MIGRATION_COUNT; i++) {
		if (migrations[i].to_version <= v)
			continue;
		if ((rc = apply(q, i)) != 0)
			goto fail;
		v = migrations[i].to_version;
	}
	/* what the open connections know of the tables holds no more (txn.c) */
	if (v != v0 &&
	    (rc = pg_exec(q, "UPDATE meta SET value = 'migrated' WHERE key = 'writer'")) != 0)
		goto fail;
	if ((rc = pg_exec(q, "COMMIT")) != 0)
		goto fail;
	if (to_version)
		*to_version = LAST_VERSION;
	return 0;
fail:
	PQclear(PQexec(q->conn, "ROLLBACK"));
	return rc;
}

int pg_check_version(struct zt_store *s)
{
	struct pg *q = pg_of(s);
	int v, rc;
	if ((rc = version(q, &v)) != 0)
		return rc;
	if (v == 0)
		return zt_error_set(ZT_EINVAL, "database '%s' is not initialised: run 'zhitong --db %s init'",
		                    q->path, q->path);
	if (v < LAST_VERSION)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d: run 'zhitong --db %s "
		                    "init' to migrate it to %d", q->path, v, q->path, LAST_VERSION);
	if (v > LAST_VERSION)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d, newer than this "
		                    "zhitong (%d)", q->path, v, LAST_VERSION);
	return 0;
}
