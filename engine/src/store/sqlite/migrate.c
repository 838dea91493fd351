/* zhitong — the SQLite store's schema: the numbered migrations of
 * schema/sqlite/ (PRAGMA user_version), each applied in its own
 * transaction. A migration may have a step in C between two parts of its
 * SQL, at a line "-- zt:step NAME": 009 converts the trace fragments of the
 * rows stored before it into data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

extern const unsigned char zt_sql_001[], zt_sql_002[], zt_sql_003[], zt_sql_004[], zt_sql_005[],
	zt_sql_006[], zt_sql_007[], zt_sql_008[], zt_sql_009[], zt_sql_010[], zt_sql_011[], zt_sql_012[],
	zt_sql_013[], zt_sql_014[], zt_sql_015[], zt_sql_016[], zt_sql_017[], zt_sql_018[];
extern const size_t zt_sql_001_len, zt_sql_002_len, zt_sql_003_len, zt_sql_004_len,
	zt_sql_005_len, zt_sql_006_len, zt_sql_007_len, zt_sql_008_len, zt_sql_009_len,
	zt_sql_010_len, zt_sql_011_len, zt_sql_012_len, zt_sql_013_len, zt_sql_014_len, zt_sql_015_len,
	zt_sql_016_len, zt_sql_017_len, zt_sql_018_len;

static int convert_traces(struct sq *q);

/* Migration 012's step: the audit records written before the chain,
 * chained (agg/audit.c). */
static int chain_audit(struct sq *q) { return zt_db_audit_chain_old(&q->zdb, q->path); }

/* Migrations in order; index i brings user_version from i to i + 1. */
static const struct {
	const unsigned char *sql;
	const size_t *len;
	int (*step)(struct sq *q); /* at its "-- zt:step" line, or NULL */
} migrations[] = {
	{zt_sql_001, &zt_sql_001_len, NULL}, /* the clearing core */
	{zt_sql_002, &zt_sql_002_len, NULL}, /* advances */
	{zt_sql_003, &zt_sql_003_len, NULL}, /* batches and payer files */
	{zt_sql_004, &zt_sql_004_len, NULL}, /* bank statements and reconciliation */
	{zt_sql_005, &zt_sql_005_len, NULL}, /* the audit trail's own count */
	{zt_sql_006, &zt_sql_006_len, NULL}, /* a single advance is a plan */
	{zt_sql_007, &zt_sql_007_len, NULL}, /* money owed back to funds; integer guards */
	{zt_sql_008, &zt_sql_008_len, NULL}, /* finding claims: by person, by discharge date */
	{zt_sql_009, &zt_sql_009_len, convert_traces}, /* traces as data */
	{zt_sql_010, &zt_sql_010_len, NULL}, /* claim v2, the national platform */
	{zt_sql_011, &zt_sql_011_len, NULL}, /* rules v2: catalogues, category periods */
	{zt_sql_012, &zt_sql_012_len, chain_audit}, /* users; the audit chain (agg/audit.c) */
	{zt_sql_013, &zt_sql_013_len, NULL}, /* policy versions: amendments, approval */
	{zt_sql_014, &zt_sql_014_len, NULL}, /* the console's passwords, login lockout */
	{zt_sql_015, &zt_sql_015_len, NULL}, /* Idempotency-Key answers (agg/idempotency.c) */
	{zt_sql_016, &zt_sql_016_len, NULL}, /* persons by ID number */
	{zt_sql_017, &zt_sql_017_len, NULL}, /* several pools (issue 13 §2) */
	{zt_sql_018, &zt_sql_018_len, NULL}, /* each pool its own books */
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof *migrations))
_Static_assert(sizeof migrations / sizeof *migrations == ZT_STORE_VERSION,
               "ZT_STORE_VERSION is the number of migrations");

static const char STEP_MARK[] = "-- zt:step ";

static int user_version(struct sq *q, int *out)
{
	sqlite3_stmt *p = NULL;
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &p, NULL) != SQLITE_OK)
		return sq_error(q, "read schema version");
	int rc = sqlite3_step(p);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(p, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : sq_error(q, "read schema version");
	sqlite3_finalize(p);
	return rc;
}

/* Runs migration i (SQL, its step at the mark, the rest of its SQL) and
 * sets user_version, inside the caller's transaction. */
static int apply(struct sq *q, int i)
{
	size_t len = *migrations[i].len;
	char *sql = malloc(len + 64);
	if (!sql)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	memcpy(sql, migrations[i].sql, len);
	snprintf(sql + len, 64, ";\nPRAGMA user_version = %d;", i + 1);
	char *mark = migrations[i].step ? strstr(sql, STEP_MARK) : NULL;
	int rc;
	if (migrations[i].step && !mark)
		rc = zt_error_set(ZT_EINTERNAL, "migration %d has no step mark", i + 1);
	else if (!mark)
		rc = sq_exec(q, sql);
	else {
		char *rest = strchr(mark, '\n'); /* after the mark's line */
		*mark = '\0';
		if ((rc = sq_exec(q, sql)) == 0 && (rc = migrations[i].step(q)) == 0)
			rc = sq_exec(q, rest ? rest + 1 : "");
	}
	free(sql);
	return rc;
}

int sq_migrate(struct zt_store *s, int *from_version, int *to_version)
{
	struct sq *q = sq_of(s);
	int v, rc;
	if ((rc = user_version(q, &v)) != 0)
		return rc;
	if (from_version)
		*from_version = v;
	if (v > MIGRATION_COUNT)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d, newer than this "
		                    "zhitong (%d): upgrade zhitong", q->path, v, MIGRATION_COUNT);
	for (int i = v; i < MIGRATION_COUNT; i++) {
		if ((rc = sq_exec(q, "BEGIN IMMEDIATE")) != 0)
			return rc;
		if ((rc = apply(q, i)) == 0)
			rc = sq_exec(q, "COMMIT");
		if (rc) {
			sq_reset_all(q);
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	if (to_version)
		*to_version = MIGRATION_COUNT;
	return 0;
}

int sq_check_version(struct zt_store *s)
{
	struct sq *q = sq_of(s);
	int v, rc;
	if ((rc = user_version(q, &v)) != 0)
		return rc;
	if (v == 0)
		return zt_error_set(ZT_EINVAL, "database '%s' is not initialised: run 'zhitong --db %s init'",
		                    q->path, q->path);
	if (v < MIGRATION_COUNT)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d: run 'zhitong --db %s "
		                    "init' to migrate it to %d", q->path, v, q->path, MIGRATION_COUNT);
	if (v > MIGRATION_COUNT)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d, newer than this "
		                    "zhitong (%d)", q->path, v, MIGRATION_COUNT);
	return 0;
}

/* ---- 009: the old trace fragments become data ------------------------------------ */

static const char SQL_OLD_TRACES[] =
	"SELECT f.settlement_id, f.seq, f.kind, f.slot, f.trace, s.kind, s.hospital_level, "
	"s.category, COALESCE(s.reason, ''), COALESCE(o.setl_id, ''), s.setl_id "
	"FROM settlement_fund f JOIN settlement s ON s.id = f.settlement_id "
	"LEFT JOIN settlement o ON o.id = s.reverses ORDER BY f.settlement_id, f.seq";
static const char SQL_SET_TRACE[] =
	"UPDATE settlement_fund SET (" ZT_DB_TRACE_COLUMN_NAMES ") = (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, "
	"?29, ?30) WHERE settlement_id = ?1 AND seq = ?2";

/* One stored share, as the step reads it. */
struct old_share {
	int64_t row;
	int seq;
	const char *fund_kind, *slot, *xml, *setl_kind, *category, *reason, *of, *setl_id;
	int xml_len, level;
};

/* The trace of share `o` as data, checked: read back as the store will read
 * it, it says what the old fragment says, attribute by attribute (the
 * list every renderer writes, trace.h). */
static int old_trace(struct zt_fund_trace *t, const struct old_share *o)
{
	int cat = -1;
	for (int c = 0; c < ZT_CAT_COUNT; c++)
		if (strcmp(zt_category_names[c], o->category) == 0)
			cat = c;
	if (cat < 0)
		return zt_error_set(ZT_EINTERNAL, "settlement %s has no category", o->setl_id);
	int rc = zt_trace_parse_xml(t, o->xml, (size_t)o->xml_len, o->level, (zt_category)cat);
	if (rc)
		return rc;
	bool reversal = strcmp(o->setl_kind, "reverse") == 0;
	if ((t->kind == ZT_TRACE_REVERSAL) != reversal ||
	    (!reversal && strcmp(zt_trace_kind_names[t->kind], o->fund_kind) != 0))
		return zt_error_set(ZT_EINTERNAL, "its trace is of kind %s", zt_trace_kind_names[t->kind]);
	struct zt_fund_trace back = *t;
	zt_db_trace_complete(&back, o->level, o->category, o->of, o->reason, o->slot);
	if ((rc = zt_trace_check_xml(o->xml, (size_t)o->xml_len, &back)) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(ZT_EINTERNAL, "its trace would not read back as it was written "
		                    "(%s)", why);
	}
	return 0;
}

static int store_trace(struct sq *q, const struct old_share *o, const struct zt_fund_trace *t)
{
	/* the columns as the store writes them (agg/traces.c) */
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(&q->zdb, SQL_SET_TRACE, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, o->row);
	zt_db_bind_int(p, 2, o->seq);
	zt_db_trace_bind(p, 3, t);
	if ((rc = zt_db_run(&q->zdb, p, "store a trace as data")) != 0)
		return rc;
	return zt_db_trace_segments_put(&q->zdb, o->row, o->seq, t);
}

static void read_old(sqlite3_stmt *p, struct old_share *o)
{
	o->row = sqlite3_column_int64(p, 0);
	o->seq = sqlite3_column_int(p, 1);
	o->fund_kind = sq_col_text(p, 2);
	o->slot = sq_col_text(p, 3);
	o->xml = sq_col_text(p, 4);
	o->xml_len = sqlite3_column_bytes(p, 4);
	o->setl_kind = sq_col_text(p, 5);
	o->level = sqlite3_column_int(p, 6);
	o->category = sq_col_text(p, 7);
	o->reason = sq_col_text(p, 8);
	o->of = sq_col_text(p, 9);
	o->setl_id = sq_col_text(p, 10);
}

static int convert_traces(struct sq *q)
{
	sqlite3_stmt *p;
	int rc = sq_stmt_own(q, SQL_OLD_TRACES, &p), step;
	if (rc)
		return rc;
	struct zt_fund_trace *t = malloc(sizeof *t);
	if (!t)
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
	while (rc == 0 && (step = sqlite3_step(p)) == SQLITE_ROW) {
		struct old_share o;
		read_old(p, &o);
		if ((rc = old_trace(t, &o)) != 0) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			zt_error_set(rc, "database '%s': migration 9: share %s/%d: %s", q->path, o.setl_id,
			             o.seq, why);
		} else
			rc = store_trace(q, &o, t);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = sq_error(q, "read the traces to convert");
	sqlite3_finalize(p);
	free(t);
	return rc;
}
