/* zhitong — the SQLite store (see store.h). Every SQL statement of the
 * engine is in this file, prepared once and bound with sqlite3_bind_*. */
#include "zhitong/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "store_int.h"
#include "zhitong/error.h"

extern const unsigned char zt_sql_001[], zt_sql_002[], zt_sql_003[], zt_sql_004[], zt_sql_005[],
	zt_sql_006[], zt_sql_007[], zt_sql_008[];
extern const size_t zt_sql_001_len, zt_sql_002_len, zt_sql_003_len, zt_sql_004_len,
	zt_sql_005_len, zt_sql_006_len, zt_sql_007_len, zt_sql_008_len;

/* Migrations in order; index i brings user_version from i to i + 1. */
static const struct {
	const unsigned char *sql;
	const size_t *len;
} migrations[] = {
	{zt_sql_001, &zt_sql_001_len}, /* the clearing core */
	{zt_sql_002, &zt_sql_002_len}, /* advances */
	{zt_sql_003, &zt_sql_003_len}, /* batches and payer files */
	{zt_sql_004, &zt_sql_004_len}, /* bank statements and reconciliation */
	{zt_sql_005, &zt_sql_005_len}, /* the audit trail's own count */
	{zt_sql_006, &zt_sql_006_len}, /* a single advance is a plan */
	{zt_sql_007, &zt_sql_007_len}, /* money owed back to funds; integer guards */
	{zt_sql_008, &zt_sql_008_len}, /* finding claims: by person, by discharge date */
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof *migrations))

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_PUT_HOSPITAL, S_PUT_PERSON, S_PUT_FUND,
	S_GET_HOSPITAL, S_GET_PERSON, S_GET_FUND,
	S_POLICY_OVERLAP, S_POLICY_INSERT, S_POLICY_ALL,
	S_FIND_CLAIM, S_ACCUM_GET, S_ACCUM_PUT,
	S_CLAIM_INSERT, S_SETTLEMENT_INSERT, S_FUND_INSERT, S_TRANSFER_INSERT,
	S_ACCOUNT_PUT, S_ACCOUNT_GET, S_MAX_SETTLEMENT,
	S_GET_SETTLEMENT, S_GET_FUNDS, S_HISTORY, S_AUDIT,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PUT_HOSPITAL] = "INSERT INTO hospital (code, name, level, county) VALUES (?1, ?2, ?3, ?4) "
	                   "ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
	                   "level = excluded.level, county = excluded.county",
	[S_PUT_PERSON] = "INSERT INTO person (psn_no, name, id_no, category, county) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (psn_no) DO UPDATE SET "
	                 "name = excluded.name, id_no = excluded.id_no, "
	                 "category = excluded.category, county = excluded.county",
	[S_PUT_FUND] = "INSERT INTO fund (code, name) VALUES (?1, ?2) "
	               "ON CONFLICT (code) DO UPDATE SET name = excluded.name",
	[S_GET_HOSPITAL] = "SELECT name, level, county FROM hospital WHERE code = ?1",
	[S_GET_PERSON] = "SELECT name, id_no, category, county FROM person WHERE psn_no = ?1",
	[S_GET_FUND] = "SELECT name FROM fund WHERE code = ?1",
	[S_POLICY_OVERLAP] = "SELECT id, policy_id, effective_from, effective_to, digest FROM policy "
	                     "WHERE county = ?1 AND effective_from <= ?3 AND effective_to >= ?2 "
	                     "ORDER BY effective_from",
	[S_POLICY_INSERT] = "INSERT INTO policy (policy_id, name, county, effective_from, effective_to, "
	                    "source_xml, digest, loaded_at, loaded_by) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_POLICY_ALL] = "SELECT id, source_xml, policy_id FROM policy ORDER BY id",
	[S_FIND_CLAIM] = "SELECT c.id, c.seq, c.digest, s.id, s.setl_id, "
	                 "EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = s.id) "
	                 "FROM claim c JOIN settlement s ON s.claim_id = c.id AND s.kind = 'settle' "
	                 "WHERE c.fixmedins_code = ?1 AND c.claim_no = ?2 ORDER BY c.seq DESC LIMIT 1",
	[S_ACCUM_GET] = "SELECT slot, amount FROM accum WHERE psn_no = ?1 AND year = ?2",
	[S_ACCUM_PUT] = "INSERT INTO accum (psn_no, year, slot, amount) VALUES (?1, ?2, ?3, ?4) "
	                "ON CONFLICT (psn_no, year, slot) DO UPDATE SET amount = excluded.amount",
	[S_CLAIM_INSERT] = "INSERT INTO claim (fixmedins_code, claim_no, seq, psn_no, adm_date, "
	                   "dscg_date, dscg_maindiag_code, medfee_sumamt, item_count, items, digest, "
	                   "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_SETTLEMENT_INSERT] =
		"INSERT INTO settlement (id, setl_id, claim_id, kind, reverses, reason, actor, policy_row, "
		"year, psn_no, fixmedins_code, category, hospital_level, in_county, medfee_sumamt, "
		"fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc, "
		"pool_prop_bp, hifp_pay, hifmi_pay, maf_pay, oth_pay, fund_pay_sumamt, hosp_part_amt, "
		"psn_part_amt, critical_base_added, settled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, "
		"?26, ?27, ?28, ?29, ?30)",
	[S_FUND_INSERT] = "INSERT INTO settlement_fund (settlement_id, seq, fund_code, kind, amount, "
	                  "slot, trace) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_TRANSFER_INSERT] = "INSERT INTO transfer (debit, credit, amount, kind, ref, settlement_id, at) "
	                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* The new balance, computed (overflow-checked) in C: SQLite's `+` would
	 * silently turn an int64 overflow into a floating-point balance. */
	[S_ACCOUNT_PUT] = "INSERT INTO account (name, balance) VALUES (?1, ?2) "
	                  "ON CONFLICT (name) DO UPDATE SET balance = excluded.balance",
	[S_ACCOUNT_GET] = "SELECT balance, typeof(balance) = 'integer' FROM account WHERE name = ?1",
	[S_MAX_SETTLEMENT] = "SELECT COALESCE(MAX(id), 0) FROM settlement",
	[S_GET_SETTLEMENT] =
		"SELECT s.setl_id, s.kind, COALESCE(o.setl_id, ''), COALESCE(s.reason, ''), s.actor, "
		"s.settled_at, s.claim_id, s.policy_row, p.policy_id, s.fixmedins_code, c.claim_no, "
		"s.psn_no, s.year, s.category, s.hospital_level, s.in_county, c.adm_date, c.dscg_date, "
		"s.medfee_sumamt, s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt, "
		"s.inscp_scp_amt, s.act_pay_dedc, s.pool_prop_bp, s.hifp_pay, s.hifmi_pay, s.maf_pay, "
		"s.oth_pay, s.fund_pay_sumamt, s.hosp_part_amt, s.psn_part_amt, s.critical_base_added "
		"FROM settlement s JOIN claim c ON c.id = s.claim_id "
		"JOIN policy p ON p.id = s.policy_row "
		"LEFT JOIN settlement o ON o.id = s.reverses WHERE s.id = ?1",
	[S_GET_FUNDS] = "SELECT fund_code, kind, amount, slot, trace FROM settlement_fund "
	                "WHERE settlement_id = ?1 ORDER BY seq",
	[S_HISTORY] = "SELECT s.id FROM settlement s JOIN claim c ON c.id = s.claim_id "
	              "WHERE c.fixmedins_code = ?1 AND c.claim_no = ?2 ORDER BY s.id",
	[S_AUDIT] = "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* Ledger balances are cached per account; within a transaction the new
 * balances collect here and are written once at commit (a settlement
 * touches the same few accounts again and again). `base` is the stored
 * balance, read when the transaction first touches the account (the write
 * lock is held: nobody else changes it), and every transfer is checked
 * against the balance it would make before it is written. */
struct delta {
	char *name;
	zt_fen base;    /* stored */
	zt_fen balance; /* after this transaction's transfers so far */
};

struct zt_store {
	sqlite3 *db;
	char path[1024];
	bool readonly;
	bool in_txn;
	sqlite3_stmt *stmt[S_COUNT];
	char now[32];
	int64_t next_settlement_id;
	struct delta *deltas;
	size_t delta_count, delta_cap;
	/* statements of the other store_*.c files, keyed by their SQL text */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[128];
	int cache_count;
};

static int db_error(struct zt_store *s, const char *what)
{
	int ec = sqlite3_errcode(s->db);
	int code = (ec == SQLITE_BUSY || ec == SQLITE_LOCKED) ? ZT_EBUSY : ZT_EIO;
	if (ec == SQLITE_CONSTRAINT)
		code = ZT_EINTERNAL; /* a CHECK guarding an invariant fired: a bug */
	if (ec == SQLITE_ERROR && strcmp(sqlite3_errmsg(s->db), "integer overflow") == 0)
		code = ZT_ERANGE; /* SUM() past int64: refused, never rounded */
	return zt_error_set(code, "database '%s': %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *st(struct zt_store *s, enum stmt_id id)
{
	sqlite3_stmt *p = s->stmt[id];
	if (!p) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &p, NULL) !=
		    SQLITE_OK) {
			db_error(s, "prepare");
			return NULL;
		}
		s->stmt[id] = p;
	}
	sqlite3_reset(p);
	sqlite3_clear_bindings(p);
	return p;
}

static void bind_text(sqlite3_stmt *p, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(p, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(p, i);
}

/* Runs a statement that returns no rows. */
static int run(struct zt_store *s, sqlite3_stmt *p, const char *what)
{
	if (!p)
		return ZT_EIO;
	int rc = sqlite3_step(p);
	sqlite3_reset(p);
	if (rc != SQLITE_DONE)
		return db_error(s, what);
	return 0;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *p, int col)
{
	const unsigned char *t = sqlite3_column_text(p, col);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void set_now(struct zt_store *s)
{
	zt_timestamp_utc(s->now, zt_date_now());
}

/* SQL zt_local_day(ts): the pool-local day (yyyymmdd) of a stored UTC
 * timestamp, NULL for NULL or anything else (docs/spec/rules-v2.md §5). */
static void sql_local_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *ts = sqlite3_value_text(argv[0]);
	zt_date d = ts ? zt_timestamp_local_date((const char *)ts) : 0;
	if (d)
		sqlite3_result_int(ctx, d);
	else
		sqlite3_result_null(ctx);
}

const char *zt_store_now(struct zt_store *s)
{
	if (!s->now[0])
		set_now(s);
	return s->now;
}

static int exec(struct zt_store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = zt_error_set(ZT_EIO, "database '%s': %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

/* A new database holds names and identity numbers: it is created for its
 * owner only, and SQLite gives its -wal and -shm files the database file's
 * mode. O_EXCL | O_NOFOLLOW: never through a symbolic link, never over
 * something that appeared meanwhile (SQLite then opens what is there). */
static int create_private(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0) {
		/* A link to nothing would have SQLite create its target, with
		 * the umask's mode: a new database is never made through a link. */
		if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
			return zt_error_set(ZT_EINVAL, "cannot create database '%s': it is a symbolic "
			                    "link to nothing (a new database is created at a path of "
			                    "its own, never through a link)", path);
		return 0; /* there already: SQLite decides whether it is a database */
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return zt_error_set(ZT_EIO, "cannot create database '%s': %s", path, strerror(errno));
	if (fd >= 0 && (fchmod(fd, 0600) != 0 || close(fd) != 0))
		return zt_error_set(ZT_EIO, "cannot create database '%s': %s", path, strerror(errno));
	return 0;
}

/* Whether a read-only open failed because the -wal / -shm files could not
 * be made: the database's directory is not writable for this user and
 * they are not there (a copy of a database, a read-only mount, or one
 * last written by an older zhitong, which did not keep them). */
static bool wal_files_missing(const char *path)
{
	char p[1100];
	snprintf(p, sizeof p, "%s-wal", path);
	return access(p, F_OK) != 0;
}

static int open_connection(struct zt_store *s, const char *path, int oflags, bool immutable)
{
	char uri[2200];
	const char *name = path;
	if (immutable) {
		/* file: URI with the path percent-encoded where it must be. */
		size_t n = (size_t)snprintf(uri, sizeof uri, "file:");
		for (const unsigned char *c = (const unsigned char *)path; *c && n + 4 < sizeof uri;
		     c++) {
			if (*c == '%' || *c == '?' || *c == '#')
				n += (size_t)snprintf(uri + n, sizeof uri - n, "%%%02X", *c);
			else
				uri[n++] = (char)*c;
		}
		snprintf(uri + n, sizeof uri - n, "?immutable=1");
		name = uri;
		oflags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(name, &s->db, oflags, NULL) != SQLITE_OK)
		return zt_error_set(ZT_EIO, "cannot open database '%s': %s", path,
		                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return 0;
}

int zt_store_open(struct zt_store **out, const char *path, int flags)
{
	struct zt_store *s = calloc(1, sizeof *s);
	if (!s)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	snprintf(s->path, sizeof s->path, "%s", path);
	s->readonly = flags & ZT_STORE_READONLY;
	int oflags = s->readonly ? SQLITE_OPEN_READONLY
	                         : SQLITE_OPEN_READWRITE | ((flags & ZT_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	oflags |= SQLITE_OPEN_NOMUTEX; /* a store handle belongs to one thread */
	int rc;
	if (!s->readonly && (flags & ZT_STORE_CREATE) && (rc = create_private(path)) != 0)
		goto fail;
	if ((rc = open_connection(s, path, oflags, false)) != 0)
		goto fail;
	sqlite3_extended_result_codes(s->db, 0);
	/* Writers wait for each other rather than fail: a desk's claim is
	 * never refused because another desk is settling. */
	const char *bt = getenv("ZHITONG_BUSY_TIMEOUT_MS");
	sqlite3_busy_timeout(s->db, bt ? atoi(bt) : 600000);
	if (!s->readonly) {
		/* WAL: readers never block the writer; synchronous=FULL: a
		 * committed settlement survives power loss. The -wal and -shm
		 * files stay when the last writer closes (persistent WAL), so a
		 * reader who may not create files in the directory — an auditor's
		 * account, a read-only copy — can still open the database. */
		int persist = 1;
		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
		/* journal_size_limit: with a persistent WAL, the last writer's
		 * close truncates it to nothing (and a checkpoint to 64 MiB)
		 * instead of leaving it at its largest. */
		if ((rc = exec(s, "PRAGMA journal_mode = WAL")) != 0 ||
		    (rc = exec(s, "PRAGMA synchronous = FULL")) != 0 ||
		    (rc = exec(s, "PRAGMA journal_size_limit = 67108864")) != 0)
			goto fail;
	} else {
		/* A read-only open reads nothing until the first statement: try
		 * one now, so that a database whose directory this user cannot
		 * write (and that has no -wal/-shm beside it to share) is opened
		 * as an immutable snapshot instead. No writer can be at work on
		 * it: a writer would have made the -wal file. */
		sqlite3_stmt *p = NULL;
		int step = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &p, NULL);
		if (step == SQLITE_OK)
			step = sqlite3_step(p);
		sqlite3_finalize(p);
		if (step != SQLITE_ROW && wal_files_missing(path)) {
			sqlite3_close(s->db);
			s->db = NULL;
			if ((rc = open_connection(s, path, oflags, true)) != 0)
				goto fail;
		}
	}
	/* temp_store: statement journals and ephemeral tables (an UPDATE
	 * under foreign keys opens one per statement) stay in memory. */
	if ((rc = exec(s, "PRAGMA foreign_keys = ON")) != 0 ||
	    (rc = exec(s, "PRAGMA cache_size = -16384")) != 0 ||
	    (rc = exec(s, "PRAGMA temp_store = MEMORY")) != 0)
		goto fail;
	if (sqlite3_create_function_v2(s->db, "zt_local_day", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	                               NULL, sql_local_day, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_error(s, "register zt_local_day");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	zt_store_close(s);
	return rc;
}

void zt_store_close(struct zt_store *s)
{
	if (!s)
		return;
	if (s->in_txn)
		zt_store_rollback(s);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (int i = 0; i < s->cache_count; i++)
		sqlite3_finalize(s->cache[i].stmt);
	sqlite3_close(s->db);
	for (size_t i = 0; i < s->delta_count; i++)
		free(s->deltas[i].name);
	free(s->deltas);
	free(s);
}

static int user_version(struct zt_store *s, int *out)
{
	sqlite3_stmt *p = NULL;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &p, NULL) != SQLITE_OK)
		return db_error(s, "read schema version");
	int rc = sqlite3_step(p);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(p, 0) : 0;
	sqlite3_finalize(p);
	return rc == SQLITE_ROW ? 0 : db_error(s, "read schema version");
}

int zt_store_migrate(struct zt_store *s, int *from_version, int *to_version)
{
	int v, rc;
	if ((rc = user_version(s, &v)) != 0)
		return rc;
	if (from_version)
		*from_version = v;
	if (v > MIGRATION_COUNT)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d, newer than this "
		                    "zhitong (%d): upgrade zhitong", s->path, v, MIGRATION_COUNT);
	for (int i = v; i < MIGRATION_COUNT; i++) {
		char *sql = malloc(*migrations[i].len + 64);
		if (!sql)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		memcpy(sql, migrations[i].sql, *migrations[i].len);
		snprintf(sql + *migrations[i].len, 64, ";\nPRAGMA user_version = %d;", i + 1);
		if ((rc = exec(s, "BEGIN IMMEDIATE")) == 0) {
			rc = exec(s, sql);
			if (rc == 0)
				rc = exec(s, "COMMIT");
			else
				exec(s, "ROLLBACK");
		}
		free(sql);
		if (rc)
			return rc;
	}
	if (to_version)
		*to_version = MIGRATION_COUNT;
	return 0;
}

int zt_store_check_version(struct zt_store *s)
{
	int v, rc;
	if ((rc = user_version(s, &v)) != 0)
		return rc;
	if (v == 0)
		return zt_error_set(ZT_EINVAL, "database '%s' is not initialised: run 'zhitong --db %s init'",
		                    s->path, s->path);
	if (v < MIGRATION_COUNT)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d: run 'zhitong --db %s "
		                    "init' to migrate it to %d", s->path, v, s->path, MIGRATION_COUNT);
	if (v > MIGRATION_COUNT)
		return zt_error_set(ZT_EINVAL, "database '%s' has schema version %d, newer than this "
		                    "zhitong (%d)", s->path, v, MIGRATION_COUNT);
	return 0;
}

/* ---- transactions ---------------------------------------------------- */

int zt_store_begin(struct zt_store *s)
{
	if (s->in_txn)
		return zt_error_set(ZT_EINTERNAL, "nested transaction");
	int rc = run(s, st(s, S_BEGIN), "begin");
	if (rc)
		return rc;
	s->in_txn = true;
	set_now(s);
	sqlite3_stmt *p = st(s, S_MAX_SETTLEMENT);
	if (!p || sqlite3_step(p) != SQLITE_ROW) {
		rc = db_error(s, "read settlement counter");
		zt_store_rollback(s);
		return rc;
	}
	s->next_settlement_id = sqlite3_column_int64(p, 0) + 1;
	sqlite3_reset(p);
	return 0;
}

static void clear_deltas(struct zt_store *s)
{
	for (size_t i = 0; i < s->delta_count; i++)
		free(s->deltas[i].name);
	s->delta_count = 0;
}

static int flush_deltas(struct zt_store *s)
{
	for (size_t i = 0; i < s->delta_count; i++) {
		if (s->deltas[i].balance == s->deltas[i].base)
			continue;
		sqlite3_stmt *p = st(s, S_ACCOUNT_PUT);
		if (!p)
			return ZT_EIO;
		bind_text(p, 1, s->deltas[i].name);
		sqlite3_bind_int64(p, 2, s->deltas[i].balance);
		int rc = run(s, p, "update account balance");
		if (rc)
			return rc;
	}
	clear_deltas(s);
	return 0;
}

int zt_store_commit(struct zt_store *s)
{
	if (!s->in_txn)
		return zt_error_set(ZT_EINTERNAL, "commit outside a transaction");
	int rc = flush_deltas(s);
	if (rc == 0)
		rc = run(s, st(s, S_COMMIT), "commit");
	if (rc) {
		zt_store_rollback(s);
		return rc;
	}
	s->in_txn = false;
	return 0;
}

void zt_store_rollback(struct zt_store *s)
{
	if (!s->in_txn)
		return;
	sqlite3_stmt *p = st(s, S_ROLLBACK);
	if (p) {
		sqlite3_step(p);
		sqlite3_reset(p);
	}
	clear_deltas(s);
	s->in_txn = false;
}

/* ---- registry --------------------------------------------------------- */

int zt_store_put_hospital(struct zt_store *s, const struct zt_hospital *h)
{
	sqlite3_stmt *p = st(s, S_PUT_HOSPITAL);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, h->code);
	bind_text(p, 2, h->name);
	sqlite3_bind_int(p, 3, h->level);
	bind_text(p, 4, h->county);
	return run(s, p, "store hospital");
}

int zt_store_put_person(struct zt_store *s, const struct zt_person *x)
{
	sqlite3_stmt *p = st(s, S_PUT_PERSON);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, x->psn_no);
	bind_text(p, 2, x->name);
	bind_text(p, 3, x->id_no);
	bind_text(p, 4, zt_category_name(x->category));
	bind_text(p, 5, x->county);
	return run(s, p, "store person");
}

int zt_store_put_fund(struct zt_store *s, const struct zt_fund *f)
{
	sqlite3_stmt *p = st(s, S_PUT_FUND);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, f->code);
	bind_text(p, 2, f->name);
	return run(s, p, "store fund");
}

static int step_row(struct zt_store *s, sqlite3_stmt *p, const char *what)
{
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(s, what);
}

int zt_store_get_hospital(struct zt_store *s, const char *code, struct zt_hospital *out)
{
	sqlite3_stmt *p = st(s, S_GET_HOSPITAL);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, code);
	int r = step_row(s, p, "read hospital");
	if (r <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	snprintf(out->code, sizeof out->code, "%s", code);
	copy_col(out->name, sizeof out->name, p, 0);
	out->level = sqlite3_column_int(p, 1);
	copy_col(out->county, sizeof out->county, p, 2);
	sqlite3_reset(p);
	return 0;
}

int zt_store_get_person(struct zt_store *s, const char *psn_no, struct zt_person *out)
{
	sqlite3_stmt *p = st(s, S_GET_PERSON);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, psn_no);
	int r = step_row(s, p, "read person");
	if (r <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	snprintf(out->psn_no, sizeof out->psn_no, "%s", psn_no);
	copy_col(out->name, sizeof out->name, p, 0);
	copy_col(out->id_no, sizeof out->id_no, p, 1);
	const char *cat = (const char *)sqlite3_column_text(p, 2);
	int c = cat ? zt_category_parse(cat, strlen(cat)) : -1;
	out->category = c < 0 ? ZT_CAT_GENERAL : (zt_category)c;
	copy_col(out->county, sizeof out->county, p, 3);
	sqlite3_reset(p);
	return c < 0 ? zt_error_set(ZT_EINTERNAL, "person '%s' has an unknown category", psn_no) : 0;
}

int zt_store_get_fund(struct zt_store *s, const char *code, struct zt_fund *out)
{
	sqlite3_stmt *p = st(s, S_GET_FUND);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, code);
	int r = step_row(s, p, "read fund");
	if (r <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	snprintf(out->code, sizeof out->code, "%s", code);
	copy_col(out->name, sizeof out->name, p, 0);
	sqlite3_reset(p);
	return 0;
}

/* ---- policies --------------------------------------------------------- */

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

#define OPEN_END 99991231

int zt_store_put_policy(struct zt_store *s, const struct zt_policy *pol, const char *xml,
                        size_t len, const char *actor, int64_t *row_out, int *was_new)
{
	char digest[65];
	sha256_hex(digest, xml, len);
	int to = pol->effective_to ? pol->effective_to : OPEN_END;
	sqlite3_stmt *p = st(s, S_POLICY_OVERLAP);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, pol->county);
	sqlite3_bind_int(p, 2, pol->effective_from);
	sqlite3_bind_int(p, 3, to);
	int r = step_row(s, p, "check policy overlap");
	if (r < 0)
		return r;
	if (r > 0) {
		int64_t row = sqlite3_column_int64(p, 0);
		char other[128], from_s[ZT_FMT_BYTES], to_s[ZT_FMT_BYTES];
		copy_col(other, sizeof other, p, 1);
		int of = sqlite3_column_int(p, 2), ot = sqlite3_column_int(p, 3);
		bool same = strcmp((const char *)sqlite3_column_text(p, 4), digest) == 0;
		sqlite3_reset(p);
		if (same) {
			*row_out = row;
			*was_new = 0;
			return 0;
		}
		zt_format_date(from_s, of);
		if (ot == OPEN_END)
			snprintf(to_s, sizeof to_s, "open-ended");
		else
			zt_format_date(to_s, ot);
		return zt_error_set(ZT_ECONFLICT,
		                    "policy '%s' for county %s overlaps policy '%s' (%s to %s) already loaded",
		                    pol->id, pol->county, other, from_s, to_s);
	}
	p = st(s, S_POLICY_INSERT);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, pol->id);
	bind_text(p, 2, pol->name);
	bind_text(p, 3, pol->county);
	sqlite3_bind_int(p, 4, pol->effective_from);
	sqlite3_bind_int(p, 5, to);
	sqlite3_bind_text(p, 6, xml, (int)len, SQLITE_STATIC);
	bind_text(p, 7, digest);
	bind_text(p, 8, zt_store_now(s));
	bind_text(p, 9, actor);
	int rc = run(s, p, "store policy");
	if (rc)
		return rc;
	*row_out = sqlite3_last_insert_rowid(s->db);
	*was_new = 1;
	return 0;
}

int zt_store_load_policies(struct zt_store *s, struct zt_policy_set *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *p = st(s, S_POLICY_ALL);
	if (!p)
		return ZT_EIO;
	int cap = 0, rc = 0, r;
	while ((r = step_row(s, p, "read policies")) > 0) {
		if (out->count == cap) {
			cap = cap ? cap * 2 : 8;
			struct zt_policy_entry *n = realloc(out->entries, (size_t)cap * sizeof *n);
			if (!n) {
				rc = zt_error_set(ZT_ENOMEM, "out of memory");
				break;
			}
			out->entries = n;
		}
		struct zt_policy_entry *e = &out->entries[out->count];
		e->row = sqlite3_column_int64(p, 0);
		const char *xml = (const char *)sqlite3_column_text(p, 1);
		int len = sqlite3_column_bytes(p, 1);
		char name[64];
		snprintf(name, sizeof name, "stored policy #%lld", (long long)e->row);
		if ((rc = zt_policy_parse(&e->policy, xml, (size_t)len, name)) != 0)
			break;
		out->count++;
	}
	sqlite3_reset(p);
	if (r < 0)
		rc = r;
	if (rc)
		zt_policy_set_free(out);
	return rc;
}

void zt_policy_set_free(struct zt_policy_set *set)
{
	free(set->entries);
	memset(set, 0, sizeof *set);
}

const struct zt_policy_entry *zt_policy_set_find(const struct zt_policy_set *set,
                                                 const char *county, zt_date date)
{
	for (int i = 0; i < set->count; i++) {
		const struct zt_policy *p = &set->entries[i].policy;
		if (strcmp(p->county, county) == 0 && p->effective_from <= date &&
		    (p->effective_to == 0 || date <= p->effective_to))
			return &set->entries[i];
	}
	return NULL;
}

/* ---- claims ----------------------------------------------------------- */

int zt_store_find_claim(struct zt_store *s, const char *hospital, const char *claim_no,
                        struct zt_claim_ref *out)
{
	sqlite3_stmt *p = st(s, S_FIND_CLAIM);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, hospital);
	bind_text(p, 2, claim_no);
	int r = step_row(s, p, "find claim");
	if (r <= 0)
		return r == 0 ? ZT_ENOTFOUND : r;
	out->claim_row = sqlite3_column_int64(p, 0);
	out->seq = sqlite3_column_int(p, 1);
	int n = sqlite3_column_bytes(p, 2);
	memset(out->digest, 0, sizeof out->digest);
	memcpy(out->digest, sqlite3_column_blob(p, 2), n < ZT_DIGEST_BYTES ? (size_t)n : ZT_DIGEST_BYTES);
	out->settlement_row = sqlite3_column_int64(p, 3);
	copy_col(out->setl_id, sizeof out->setl_id, p, 4);
	out->reversed = sqlite3_column_int(p, 5) != 0;
	sqlite3_reset(p);
	return 0;
}

static void relief_slot(char out[16], const char *fund) { snprintf(out, 16, "relief:%s", fund); }

int zt_store_get_accum(struct zt_store *s, const char *psn_no, int year,
                       const struct zt_policy *pol, struct zt_accum *out)
{
	memset(out, 0, sizeof *out);
	out->relief_count = pol->relief_count;
	sqlite3_stmt *p = st(s, S_ACCUM_GET);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, psn_no);
	sqlite3_bind_int(p, 2, year);
	int r;
	while ((r = step_row(s, p, "read accumulators")) > 0) {
		const char *slot = (const char *)sqlite3_column_text(p, 0);
		zt_fen v = sqlite3_column_int64(p, 1);
		if (strcmp(slot, "basic") == 0)
			out->basic_paid = v;
		else if (strcmp(slot, "crit_base") == 0)
			out->critical_base = v;
		else if (strcmp(slot, "crit_paid") == 0)
			out->critical_paid = v;
		else if (strcmp(slot, "assist") == 0)
			out->assistance_paid = v;
		else if (strncmp(slot, "relief:", 7) == 0) {
			for (int i = 0; i < pol->relief_count; i++)
				if (strcmp(slot + 7, pol->relief[i].fund) == 0)
					out->relief_paid[i] = v;
		}
	}
	sqlite3_reset(p);
	return r < 0 ? r : 0;
}

static int put_accum(struct zt_store *s, const char *psn_no, int year, const char *slot,
                     zt_fen before, zt_fen after)
{
	if (before == after)
		return 0;
	sqlite3_stmt *p = st(s, S_ACCUM_PUT);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, psn_no);
	sqlite3_bind_int(p, 2, year);
	bind_text(p, 3, slot);
	sqlite3_bind_int64(p, 4, after);
	return run(s, p, "store accumulator");
}

/* The stored balance of `account` (0 if it has none). A balance that is
 * not an integer (written by hand, or by a zhitong before the overflow
 * checks) is refused: `verify` names it. */
static int stored_balance(struct zt_store *s, const char *account, zt_fen *out)
{
	sqlite3_stmt *p = st(s, S_ACCOUNT_GET);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, account);
	int r = step_row(s, p, "read balance");
	if (r < 0)
		return r;
	*out = r ? sqlite3_column_int64(p, 0) : 0;
	bool integer = r == 0 || sqlite3_column_int(p, 1) != 0;
	sqlite3_reset(p);
	if (!integer)
		return zt_error_set(ZT_EINTERNAL, "account '%s' holds a balance that is not a whole "
		                    "number of fen: run 'zhitong verify'", account);
	return 0;
}

/* This transaction's delta of `account` (index *out), made with the stored
 * balance as its base on first use. */
static int find_delta(struct zt_store *s, const char *account, size_t *out)
{
	for (size_t i = 0; i < s->delta_count; i++)
		if (strcmp(s->deltas[i].name, account) == 0) {
			*out = i;
			return 0;
		}
	if (s->delta_count == s->delta_cap) {
		size_t cap = s->delta_cap ? s->delta_cap * 2 : 32;
		struct delta *n = realloc(s->deltas, cap * sizeof *n);
		if (!n)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		s->deltas = n;
		s->delta_cap = cap;
	}
	zt_fen base;
	int rc = stored_balance(s, account, &base);
	if (rc)
		return rc;
	char *name = strdup(account);
	if (!name)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	s->deltas[s->delta_count] = (struct delta){name, base, base};
	*out = s->delta_count++;
	return 0;
}

/* The balance `d` would have after moving by `amount`, or ZT_ERANGE naming
 * the account when it would leave the range of a balance (int64 fen). */
static int balance_after(zt_fen *out, const struct delta *d, zt_fen amount)
{
	if (!__builtin_add_overflow(d->balance, amount, out))
		return 0;
	char b[ZT_FMT_BYTES], a[ZT_FMT_BYTES], m[ZT_FMT_BYTES];
	/* amount is a transfer's (> 0) or its negation: never INT64_MIN */
	return zt_error_set(ZT_ERANGE, "ledger: the balance of account '%s' would overflow: %s %s "
	                    "%s is beyond %s%s", d->name, zt_format_amount(b, d->balance),
	                    amount < 0 ? "less" : "plus", zt_format_amount(a, amount < 0 ? -amount : amount),
	                    amount < 0 ? "-" : "", zt_format_amount(m, INT64_MAX));
}

int zt_store_transfer(struct zt_store *s, const char *debit, const char *credit, zt_fen amount,
                      const char *kind, const char *ref, int64_t settlement_row)
{
	if (amount <= 0 || strcmp(debit, credit) == 0)
		return zt_error_set(ZT_EINTERNAL, "transfer %s -> %s of %lld is not allowed", debit,
		                    credit, (long long)amount);
	/* Both balances are checked before anything is written. */
	size_t di, ci;
	zt_fen after_debit, after_credit;
	int rc = find_delta(s, debit, &di);
	if (rc || (rc = find_delta(s, credit, &ci)) ||
	    (rc = balance_after(&after_debit, &s->deltas[di], amount)) ||
	    (rc = balance_after(&after_credit, &s->deltas[ci], -amount)))
		return rc;
	sqlite3_stmt *p = st(s, S_TRANSFER_INSERT);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, debit);
	bind_text(p, 2, credit);
	sqlite3_bind_int64(p, 3, amount);
	bind_text(p, 4, kind);
	bind_text(p, 5, ref);
	if (settlement_row > 0)
		sqlite3_bind_int64(p, 6, settlement_row);
	bind_text(p, 7, zt_store_now(s));
	if ((rc = run(s, p, "store transfer")))
		return rc;
	s->deltas[di].balance = after_debit;
	s->deltas[ci].balance = after_credit;
	return 0;
}

int zt_store_account_balance(struct zt_store *s, const char *account, zt_fen *out)
{
	for (size_t i = 0; i < s->delta_count; i++)
		if (strcmp(s->deltas[i].name, account) == 0) {
			*out = s->deltas[i].balance;
			return 0;
		}
	return stored_balance(s, account, out);
}

/* The ledger legs of a settlement (sign +1) or of its reversal (-1):
 * each fund's share fund:<code> → hospital:<code> (the fund now owes the
 * pool; the hospital has earned that part of its advance), and the parts
 * outside the funds against the hospital's claims account. */
static int settlement_transfers(struct zt_store *s, int sign, const char *hospital,
                                const char *const *fund_codes, const zt_fen *amounts, int n,
                                zt_fen hosp_part, zt_fen psn_part, const char *setl_id,
                                int64_t row)
{
	char acct_h[64], acct_c[64], acct_b[64], acct_p[64], acct_f[32];
	snprintf(acct_h, sizeof acct_h, "hospital:%s", hospital);
	snprintf(acct_c, sizeof acct_c, "claims:%s", hospital);
	snprintf(acct_b, sizeof acct_b, "hospital-burden:%s", hospital);
	snprintf(acct_p, sizeof acct_p, "patient:%s", hospital);
	const char *kind = sign > 0 ? "settle" : "reverse";
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		snprintf(acct_f, sizeof acct_f, "fund:%s", fund_codes[i]);
		rc = sign > 0 ? zt_store_transfer(s, acct_f, acct_h, amounts[i], kind, setl_id, row)
		              : zt_store_transfer(s, acct_h, acct_f, amounts[i], kind, setl_id, row);
	}
	if (rc == 0 && hosp_part > 0)
		rc = sign > 0 ? zt_store_transfer(s, acct_b, acct_c, hosp_part, kind, setl_id, row)
		              : zt_store_transfer(s, acct_c, acct_b, hosp_part, kind, setl_id, row);
	if (rc == 0 && psn_part > 0)
		rc = sign > 0 ? zt_store_transfer(s, acct_p, acct_c, psn_part, kind, setl_id, row)
		              : zt_store_transfer(s, acct_c, acct_p, psn_part, kind, setl_id, row);
	return rc;
}

static const char *const fund_kind_names[] = {"basic", "critical", "assistance", "relief"};

static void share_slot(char out[16], const struct zt_fund_share *sh)
{
	switch (sh->kind) {
	case ZT_FUND_BASIC: snprintf(out, 16, "basic"); break;
	case ZT_FUND_CRITICAL: snprintf(out, 16, "crit_paid"); break;
	case ZT_FUND_ASSISTANCE: snprintf(out, 16, "assist"); break;
	case ZT_FUND_RELIEF: relief_slot(out, sh->fund_code); break;
	}
}

static int insert_settlement_row(struct zt_store *s, int64_t id, const char *setl_id,
                                 int64_t claim_row, const char *kind, int64_t reverses,
                                 const char *reason, const char *actor, int64_t policy_row,
                                 int year, const char *psn_no, const char *hospital,
                                 const char *category, int level, bool in_county,
                                 const struct zt_stored_settlement *v)
{
	sqlite3_stmt *p = st(s, S_SETTLEMENT_INSERT);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, id);
	bind_text(p, 2, setl_id);
	sqlite3_bind_int64(p, 3, claim_row);
	bind_text(p, 4, kind);
	if (reverses > 0)
		sqlite3_bind_int64(p, 5, reverses);
	bind_text(p, 6, reason);
	bind_text(p, 7, actor);
	sqlite3_bind_int64(p, 8, policy_row);
	sqlite3_bind_int(p, 9, year);
	bind_text(p, 10, psn_no);
	bind_text(p, 11, hospital);
	bind_text(p, 12, category);
	sqlite3_bind_int(p, 13, level);
	sqlite3_bind_int(p, 14, in_county);
	const zt_fen vals[] = {v->cls.medfee_sumamt, v->cls.fulamt_ownpay_amt, v->cls.overlmt_selfpay,
	                       v->cls.preselfpay_amt, v->cls.inscp_scp_amt, v->act_pay_dedc,
	                       v->pool_prop_bp, v->hifp_pay, v->hifmi_pay, v->maf_pay, v->oth_pay,
	                       v->fund_pay_sumamt, v->hosp_part_amt, v->psn_part_amt,
	                       v->critical_base_added};
	for (int i = 0; i < (int)(sizeof vals / sizeof *vals); i++)
		sqlite3_bind_int64(p, 15 + i, vals[i]);
	bind_text(p, 30, zt_store_now(s));
	return run(s, p, "store settlement");
}

static int insert_fund_row(struct zt_store *s, int64_t settlement_row, int seq, const char *code,
                           const char *kind, zt_fen amount, const char *slot, const char *trace)
{
	sqlite3_stmt *p = st(s, S_FUND_INSERT);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, settlement_row);
	sqlite3_bind_int(p, 2, seq);
	bind_text(p, 3, code);
	bind_text(p, 4, kind);
	sqlite3_bind_int64(p, 5, amount);
	bind_text(p, 6, slot);
	bind_text(p, 7, trace);
	return run(s, p, "store settlement fund");
}

static void make_setl_id(char out[32], int64_t id) { snprintf(out, 32, "S%012lld", (long long)id); }

int zt_store_write_settlement(struct zt_store *s, const struct zt_settle_write *w,
                              char setl_id_out[32], int64_t *row_out)
{
	if (!s->in_txn)
		return zt_error_set(ZT_EINTERNAL, "settlement outside a transaction");
	const struct zt_claim *c = w->claim;
	const struct zt_split_result *r = w->result;
	sqlite3_stmt *p = st(s, S_CLAIM_INSERT);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, c->fixmedins_code);
	bind_text(p, 2, c->claim_no);
	sqlite3_bind_int(p, 3, w->seq);
	bind_text(p, 4, c->psn_no);
	sqlite3_bind_int(p, 5, c->adm_date);
	sqlite3_bind_int(p, 6, c->dscg_date);
	bind_text(p, 7, c->dscg_maindiag_code);
	sqlite3_bind_int64(p, 8, c->medfee_sumamt);
	sqlite3_bind_int(p, 9, c->item_count);
	bind_text(p, 10, w->items_text);
	sqlite3_bind_blob(p, 11, w->digest, ZT_DIGEST_BYTES, SQLITE_STATIC);
	bind_text(p, 12, zt_store_now(s));
	int rc = run(s, p, "store claim");
	if (rc)
		return rc;
	int64_t claim_row = sqlite3_last_insert_rowid(s->db);

	int64_t id = s->next_settlement_id;
	char setl_id[32];
	make_setl_id(setl_id, id);
	struct zt_stored_settlement v = {
		.cls = r->cls, .act_pay_dedc = r->act_pay_dedc, .pool_prop_bp = r->pool_prop_bp,
		.hifp_pay = r->hifp_pay, .hifmi_pay = r->hifmi_pay, .maf_pay = r->maf_pay,
		.oth_pay = r->oth_pay, .fund_pay_sumamt = r->fund_pay_sumamt,
		.hosp_part_amt = r->hosp_part_amt, .psn_part_amt = r->psn_part_amt,
		.critical_base_added = r->critical_base_added,
	};
	rc = insert_settlement_row(s, id, setl_id, claim_row, "settle", 0, NULL, w->actor,
	                           w->policy_row, w->year, c->psn_no, c->fixmedins_code,
	                           zt_category_name(w->ctx->category), w->ctx->hospital_level,
	                           w->ctx->in_county, &v);
	if (rc)
		return rc;
	s->next_settlement_id++;

	const char *codes[3 + ZT_RELIEF_MAX];
	zt_fen amounts[3 + ZT_RELIEF_MAX];
	for (int i = 0; i < w->share_count; i++) {
		char slot[16];
		share_slot(slot, &w->shares[i]);
		rc = insert_fund_row(s, id, i + 1, w->shares[i].fund_code,
		                     fund_kind_names[w->shares[i].kind], w->shares[i].amount, slot,
		                     w->traces[i]);
		if (rc)
			return rc;
		codes[i] = w->shares[i].fund_code;
		amounts[i] = w->shares[i].amount;
	}

	const struct zt_accum *b = w->accum_before, *a = &r->accum_after;
	const char *psn = c->psn_no;
	if ((rc = put_accum(s, psn, w->year, "basic", b->basic_paid, a->basic_paid)) ||
	    (rc = put_accum(s, psn, w->year, "crit_base", b->critical_base, a->critical_base)) ||
	    (rc = put_accum(s, psn, w->year, "crit_paid", b->critical_paid, a->critical_paid)) ||
	    (rc = put_accum(s, psn, w->year, "assist", b->assistance_paid, a->assistance_paid)))
		return rc;
	for (int i = 0; i < w->policy->relief_count; i++) {
		char slot[16];
		relief_slot(slot, w->policy->relief[i].fund);
		if ((rc = put_accum(s, psn, w->year, slot, b->relief_paid[i], a->relief_paid[i])))
			return rc;
	}
	rc = settlement_transfers(s, +1, c->fixmedins_code, codes, amounts, w->share_count,
	                          r->hosp_part_amt, r->psn_part_amt, setl_id, id);
	if (rc)
		return rc;
	snprintf(setl_id_out, 32, "%s", setl_id);
	*row_out = id;
	return 0;
}

/* ---- reading settlements ----------------------------------------------- */

int zt_store_get_settlement(struct zt_store *s, int64_t row, struct zt_stored_settlement *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *p = st(s, S_GET_SETTLEMENT);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, row);
	int r = step_row(s, p, "read settlement");
	if (r <= 0)
		return r == 0 ? zt_error_set(ZT_ENOTFOUND, "settlement #%lld not found", (long long)row) : r;
	out->row = row;
	copy_col(out->setl_id, sizeof out->setl_id, p, 0);
	copy_col(out->kind, sizeof out->kind, p, 1);
	copy_col(out->reverses_setl_id, sizeof out->reverses_setl_id, p, 2);
	copy_col(out->reason, sizeof out->reason, p, 3);
	copy_col(out->actor, sizeof out->actor, p, 4);
	copy_col(out->settled_at, sizeof out->settled_at, p, 5);
	out->claim_row = sqlite3_column_int64(p, 6);
	out->policy_row = sqlite3_column_int64(p, 7);
	copy_col(out->policy_id, sizeof out->policy_id, p, 8);
	copy_col(out->fixmedins_code, sizeof out->fixmedins_code, p, 9);
	copy_col(out->claim_no, sizeof out->claim_no, p, 10);
	copy_col(out->psn_no, sizeof out->psn_no, p, 11);
	out->year = sqlite3_column_int(p, 12);
	copy_col(out->category, sizeof out->category, p, 13);
	out->hospital_level = sqlite3_column_int(p, 14);
	out->in_county = sqlite3_column_int(p, 15) != 0;
	out->adm_date = sqlite3_column_int(p, 16);
	out->dscg_date = sqlite3_column_int(p, 17);
	zt_fen *dst[] = {&out->cls.medfee_sumamt, &out->cls.fulamt_ownpay_amt,
	                 &out->cls.overlmt_selfpay, &out->cls.preselfpay_amt,
	                 &out->cls.inscp_scp_amt, &out->act_pay_dedc, NULL, &out->hifp_pay,
	                 &out->hifmi_pay, &out->maf_pay, &out->oth_pay, &out->fund_pay_sumamt,
	                 &out->hosp_part_amt, &out->psn_part_amt, &out->critical_base_added};
	for (int i = 0; i < (int)(sizeof dst / sizeof *dst); i++) {
		if (dst[i])
			*dst[i] = sqlite3_column_int64(p, 18 + i);
		else
			out->pool_prop_bp = sqlite3_column_int(p, 18 + i);
	}
	sqlite3_reset(p);

	p = st(s, S_GET_FUNDS);
	if (!p)
		return ZT_EIO;
	sqlite3_bind_int64(p, 1, row);
	while ((r = step_row(s, p, "read settlement funds")) > 0) {
		if (out->fund_count >= 3 + ZT_RELIEF_MAX) {
			sqlite3_reset(p);
			return zt_error_set(ZT_EINTERNAL, "settlement #%lld has too many funds", (long long)row);
		}
		struct zt_stored_fund *f = &out->funds[out->fund_count];
		copy_col(f->fund_code, sizeof f->fund_code, p, 0);
		copy_col(f->kind, sizeof f->kind, p, 1);
		f->amount = sqlite3_column_int64(p, 2);
		copy_col(f->slot, sizeof f->slot, p, 3);
		const char *t = (const char *)sqlite3_column_text(p, 4);
		f->trace = strdup(t ? t : "");
		if (!f->trace) {
			sqlite3_reset(p);
			zt_stored_settlement_free(out);
			return zt_error_set(ZT_ENOMEM, "out of memory");
		}
		out->fund_count++;
	}
	sqlite3_reset(p);
	if (r < 0) {
		zt_stored_settlement_free(out);
		return r;
	}
	return 0;
}

void zt_stored_settlement_free(struct zt_stored_settlement *stl)
{
	for (int i = 0; i < stl->fund_count; i++) {
		free(stl->funds[i].trace);
		stl->funds[i].trace = NULL;
	}
	stl->fund_count = 0;
}

int zt_store_claim_history(struct zt_store *s, const char *hospital, const char *claim_no,
                           int (*cb)(void *ctx, const struct zt_stored_settlement *st),
                           void *ctx)
{
	/* Collect the ids first: the callback may use the store. */
	int64_t ids[256];
	int n = 0, r;
	sqlite3_stmt *p = st(s, S_HISTORY);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, hospital);
	bind_text(p, 2, claim_no);
	while ((r = step_row(s, p, "read claim history")) > 0 && n < 256)
		ids[n++] = sqlite3_column_int64(p, 0);
	sqlite3_reset(p);
	if (r < 0)
		return r;
	if (n == 0)
		return ZT_ENOTFOUND;
	for (int i = 0; i < n; i++) {
		struct zt_stored_settlement stl;
		int rc = zt_store_get_settlement(s, ids[i], &stl);
		if (rc)
			return rc;
		rc = cb(ctx, &stl);
		zt_stored_settlement_free(&stl);
		if (rc)
			return rc;
	}
	return 0;
}

int zt_store_write_reversal(struct zt_store *s, const struct zt_stored_settlement *o,
                            const char *reason, const char *actor, const char *const *traces,
                            char setl_id_out[32], int64_t *row_out)
{
	if (!s->in_txn)
		return zt_error_set(ZT_EINTERNAL, "reversal outside a transaction");
	int64_t id = s->next_settlement_id;
	char setl_id[32];
	make_setl_id(setl_id, id);
	struct zt_stored_settlement v = {
		.cls = {-o->cls.medfee_sumamt, -o->cls.fulamt_ownpay_amt, -o->cls.overlmt_selfpay,
		        -o->cls.preselfpay_amt, -o->cls.inscp_scp_amt},
		.act_pay_dedc = -o->act_pay_dedc, .pool_prop_bp = o->pool_prop_bp,
		.hifp_pay = -o->hifp_pay, .hifmi_pay = -o->hifmi_pay, .maf_pay = -o->maf_pay,
		.oth_pay = -o->oth_pay, .fund_pay_sumamt = -o->fund_pay_sumamt,
		.hosp_part_amt = -o->hosp_part_amt, .psn_part_amt = -o->psn_part_amt,
		.critical_base_added = -o->critical_base_added,
	};
	int rc = insert_settlement_row(s, id, setl_id, o->claim_row, "reverse", o->row, reason,
	                               actor, o->policy_row, o->year, o->psn_no, o->fixmedins_code,
	                               o->category, o->hospital_level, o->in_county, &v);
	if (rc)
		return rc;
	s->next_settlement_id++;

	/* Take the claim's contributions back out of the accumulators. */
	struct {
		const char *slot;
		zt_fen amount;
	} back[4 + ZT_RELIEF_MAX];
	int nb = 0;
	back[nb].slot = "crit_base";
	back[nb++].amount = o->critical_base_added;
	const char *codes[3 + ZT_RELIEF_MAX];
	zt_fen amounts[3 + ZT_RELIEF_MAX];
	for (int i = 0; i < o->fund_count; i++) {
		const struct zt_stored_fund *f = &o->funds[i];
		if ((rc = insert_fund_row(s, id, i + 1, f->fund_code, f->kind, -f->amount, f->slot,
		                          traces[i])))
			return rc;
		back[nb].slot = f->slot;
		back[nb++].amount = f->amount;
		codes[i] = f->fund_code;
		amounts[i] = f->amount;
	}
	for (int i = 0; i < nb; i++) {
		if (back[i].amount == 0)
			continue;
		/* Read-modify-write within the write transaction. */
		sqlite3_stmt *p = st(s, S_ACCUM_GET);
		if (!p)
			return ZT_EIO;
		bind_text(p, 1, o->psn_no);
		sqlite3_bind_int(p, 2, o->year);
		zt_fen cur = 0;
		int r;
		while ((r = step_row(s, p, "read accumulators")) > 0)
			if (strcmp((const char *)sqlite3_column_text(p, 0), back[i].slot) == 0)
				cur = sqlite3_column_int64(p, 1);
		sqlite3_reset(p);
		if (r < 0)
			return r;
		if (cur < back[i].amount)
			return zt_error_set(ZT_EINTERNAL, "accumulator %s of '%s' %d would go below zero",
			                    back[i].slot, o->psn_no, o->year);
		if ((rc = put_accum(s, o->psn_no, o->year, back[i].slot, cur, cur - back[i].amount)))
			return rc;
	}
	rc = settlement_transfers(s, -1, o->fixmedins_code, codes, amounts, o->fund_count,
	                          o->hosp_part_amt, o->psn_part_amt, setl_id, id);
	if (rc)
		return rc;
	snprintf(setl_id_out, 32, "%s", setl_id);
	*row_out = id;
	return 0;
}

int zt_store_audit(struct zt_store *s, const char *actor, const char *action,
                   const char *subject, const char *detail)
{
	sqlite3_stmt *p = st(s, S_AUDIT);
	if (!p)
		return ZT_EIO;
	bind_text(p, 1, zt_store_now(s));
	bind_text(p, 2, actor);
	bind_text(p, 3, action);
	bind_text(p, 4, subject);
	bind_text(p, 5, detail);
	return run(s, p, "store audit record");
}

sqlite3 *zt_store_db(struct zt_store *s) { return s->db; }

int zt_store_stmt_peek(struct zt_store *s, const char *sql, sqlite3_stmt **out)
{
	*out = NULL;
	for (int i = 0; i < s->cache_count; i++)
		if (s->cache[i].sql == sql) {
			*out = s->cache[i].stmt;
			return 0;
		}
	return ZT_ENOTFOUND;
}

int zt_store_stmt(struct zt_store *s, const char *sql, sqlite3_stmt **out)
{
	for (int i = 0; i < s->cache_count; i++)
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].stmt);
			sqlite3_clear_bindings(s->cache[i].stmt);
			*out = s->cache[i].stmt;
			return 0;
		}
	sqlite3_stmt *p = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &p, NULL) != SQLITE_OK)
		return db_error(s, "prepare");
	if (s->cache_count < (int)(sizeof s->cache / sizeof *s->cache)) {
		s->cache[s->cache_count].sql = sql;
		s->cache[s->cache_count].stmt = p;
		s->cache_count++;
		*out = p;
		return 0;
	}
	sqlite3_finalize(p);
	return zt_error_set(ZT_EINTERNAL, "the statement cache is full");
}

bool zt_store_in_txn(const struct zt_store *s) { return s->in_txn; }
