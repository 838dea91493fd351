/* zhitong — the PostgreSQL store's helpers (pg_int.h): the statement cache,
 * binding, reading, errors. Every file of the PostgreSQL store uses these
 * and no others. */
#include <inttypes.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

static void keep_error(struct pg *q, const PGresult *r);

/* ---- the statement cache ----------------------------------------------------- */

static size_t slot_of(const char *sql)
{
	uintptr_t k = (uintptr_t)sql;
	k ^= k >> 17;
	k *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(k >> 40) & (PG_CACHE_SLOTS - 1);
}

/* The highest $N of a statement's text; types[i] 0 (PostgreSQL infers it)
 * for a parameter the text uses, text for one it does not (a statement of
 * a family that shares its numbering may leave one out). */
static int params_of(const char *sql, Oid types[PG_PARAMS_MAX])
{
	int n = 0;
	for (int i = 0; i < PG_PARAMS_MAX; i++)
		types[i] = 25; /* text */
	for (const char *c = sql; *c; c++)
		if (*c == '$' && c[1] >= '0' && c[1] <= '9') {
			int v = (int)strtol(c + 1, NULL, 10);
			if (v > n)
				n = v;
			if (v >= 1 && v <= PG_PARAMS_MAX)
				types[v - 1] = 0;
		}
	return n;
}

/* The text PostgreSQL is sent (db.h): ?N becomes $N, and COLLATE BINARY
 * (SQLite's byte order) becomes COLLATE "C". A text in PostgreSQL's own
 * spelling passes unchanged. NULL when out of memory. */
static char *rewrite(const char *sql)
{
	static const char binary[] = "COLLATE BINARY", c[] = "COLLATE \"C\"";
	size_t n = strlen(sql);
	char *out = malloc(n + n / 8 + 16), *o = out; /* "C" is no longer than BINARY */
	if (!out)
		return NULL;
	for (const char *i = sql; *i;) {
		if (*i == '?' && i[1] >= '0' && i[1] <= '9') {
			*o++ = '$';
			i++;
		} else if (!strncmp(i, binary, sizeof binary - 1)) {
			memcpy(o, c, sizeof c - 1);
			o += sizeof c - 1;
			i += sizeof binary - 1;
		} else
			*o++ = *i++;
	}
	*o = '\0';
	return out;
}

/* ---- rows written together ---------------------------------------------------
 *
 * A claim's rows are a dozen INSERTs of one row each (the claim, its
 * settlement, shares, trace segments, accumulators, transfers, its audit
 * record): each costs the server a statement — bind, executor start and
 * end — more than its row. In a lazy write transaction (txn.c) their
 * results are not read anyway, so a batchable INSERT run deferred does
 * not go to the server at once: its row waits in the statement's queue,
 * a JSON object keyed by column, and the queue goes as one statement,
 *     INSERT INTO t (cols) SELECT cols FROM json_populate_recordset(NULL::t, $1::json) …
 * (its ON CONFLICT kept) when anything else is sent: the next statement
 * that is no such row, a read, a flush, the commit. The tables go in the
 * order of their first row (a settlement's after its claim's, a share's
 * after its settlement's: every foreign key points back) and the rows of
 * a table in their order (triggers number and chain as row by row). A
 * failure is a late one (txn.c) and the chunk is settled again with
 * every write read at once, naming its claim. */

/* The batch statement of an INSERT INTO t (c1, …) VALUES ($a, …) [ON
 * CONFLICT …], each value a parameter used once and no parameter
 * elsewhere; p->bsql stays NULL for any other text. */
static void batch_of(struct pg_stmt *p)
{
	const char *t = p->text + strspn(p->text, " \t\n");
	if (strncmp(t, "INSERT INTO ", 12) != 0 || strstr(t, "RETURNING"))
		return;
	const char *name = t + 12, *c = name + strcspn(name, " (");
	size_t name_len = (size_t)(c - name);
	if (strncmp(c, " (", 2) != 0)
		return;
	const char *cols = c + 2, *cols_end = strchr(cols, ')');
	if (!cols_end || strncmp(cols_end, ") VALUES (", 10) != 0)
		return;
	char *keys[PG_PARAMS_MAX] = {0};
	const char *v = cols_end + 10, *col = cols;
	bool ok = true;
	int k = 0;
	while (ok) {
		size_t col_len = strcspn(col, ",)");
		while (col_len && col[col_len - 1] == ' ')
			col_len--;
		int n = 0;
		if (*v != '$' || (n = (int)strtol(v + 1, (char **)&v, 10)) < 1 || n > p->nparams ||
		    keys[n - 1] || col_len == 0 || col_len > 60) {
			ok = false;
			break;
		}
		if (!(keys[n - 1] = malloc(col_len + 4))) {
			ok = false;
			break;
		}
		snprintf(keys[n - 1], col_len + 4, "\"%.*s\":", (int)col_len, col);
		k++;
		col += col_len + strspn(col + col_len, " ");
		if (*col == ')' && *v == ')')
			break;
		if (*col != ',' || strncmp(v, ", ", 2) != 0) {
			ok = false;
			break;
		}
		col += 1 + strspn(col + 1, " ");
		v += 2;
	}
	const char *rest = ok ? v + 1 : "";
	ok = ok && k == p->nparams && (!*rest || !strncmp(rest, " ON CONFLICT", 12)) &&
	     !strchr(rest, '$');
	size_t cap = 2 * strlen(t) + 128;
	char *sql = ok ? malloc(cap) : NULL;
	if (sql)
		snprintf(sql, cap, "%.*s SELECT %.*s FROM json_populate_recordset(NULL::%.*s, $1::json)%s",
		         (int)(cols_end + 1 - t), t, (int)(cols_end - cols), cols, (int)name_len, name,
		         rest);
	if (!sql) {
		for (int i = 0; i < PG_PARAMS_MAX; i++)
			free(keys[i]);
		return;
	}
	p->bsql = sql;
	memcpy(p->bkey, keys, sizeof keys);
}

static bool grow(struct pg_stmt *p, size_t more)
{
	if (p->blen + more < p->bcap)
		return true;
	size_t cap = p->bcap ? p->bcap : 4096;
	while (cap <= p->blen + more)
		cap *= 2;
	char *b = realloc(p->bjson, cap);
	if (!b)
		return false;
	p->bjson = b;
	p->bcap = cap;
	return true;
}

static void put(struct pg_stmt *p, const char *s, size_t n)
{
	memcpy(p->bjson + p->blen, s, n);
	p->blen += n;
}

/* A value as a JSON string: text escaped; bytes (a bytea bound in binary)
 * as PostgreSQL's hex input, \x… */
static bool put_value(struct pg_stmt *p, int i)
{
	const char *v = p->values[i];
	if (!v) {
		if (!grow(p, 4))
			return false;
		put(p, "null", 4);
		return true;
	}
	static const char hex[] = "0123456789abcdef";
	if (p->formats[i]) {
		size_t n = (size_t)p->lengths[i];
		if (!grow(p, 2 * n + 6))
			return false;
		put(p, "\"\\\\x", 4);
		for (size_t k = 0; k < n; k++) {
			unsigned char b = (unsigned char)v[k];
			p->bjson[p->blen++] = hex[b >> 4];
			p->bjson[p->blen++] = hex[b & 15];
		}
		put(p, "\"", 1);
		return true;
	}
	size_t n = strlen(v);
	if (!grow(p, 6 * n + 2))
		return false;
	p->bjson[p->blen++] = '"';
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)v[k];
		if (ch == '"' || ch == '\\') {
			p->bjson[p->blen++] = '\\';
			p->bjson[p->blen++] = (char)ch;
		} else if (ch < 0x20) {
			p->bjson[p->blen++] = '\\';
			p->bjson[p->blen++] = 'u';
			put(p, "00", 2);
			p->bjson[p->blen++] = hex[ch >> 4];
			p->bjson[p->blen++] = hex[ch & 15];
		} else
			p->bjson[p->blen++] = (char)ch;
	}
	p->bjson[p->blen++] = '"';
	return true;
}

/* p's row, as bound now, queued */
static int queue_row(struct pg *q, struct pg_stmt *p, const char *what)
{
	if (p->bepoch != q->sp_epoch) { /* the first row since the savepoint */
		p->bepoch = q->sp_epoch;
		p->bmark_rows = p->brows;
		p->bmark_len = p->blen;
	}
	if (p->brows == 0) {
		if (q->nqueued >= q->queued_cap) {
			int cap = q->queued_cap ? 2 * q->queued_cap : 16;
			struct pg_stmt **n = realloc(q->queued, (size_t)cap * sizeof *n);
			if (!n)
				return zt_error_set(ZT_ENOMEM, "out of memory");
			q->queued = n;
			q->queued_cap = cap;
		}
		q->queued[q->nqueued++] = p;
		p->blen = 0;
		snprintf(p->bwhat, sizeof p->bwhat, "%s", what);
	}
	if (!grow(p, 2))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	put(p, p->brows ? ",{" : "[{", 2);
	for (int i = 0, first = 1; i < p->nparams; i++) {
		size_t kl = strlen(p->bkey[i]);
		if (!grow(p, kl + 1))
			return zt_error_set(ZT_ENOMEM, "out of memory");
		if (!first)
			put(p, ",", 1);
		first = 0;
		put(p, p->bkey[i], kl);
		if (!put_value(p, i))
			return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	if (!grow(p, 2))
		return zt_error_set(ZT_ENOMEM, "out of memory");
	put(p, "}", 1);
	p->brows++;
	q->changes = 1;
	return 0;
}

static int enter_pipeline(struct pg *q, const char *what);
static int push_what(struct pg *q, const char *what);

/* One statement of p's rows, the first `rows` of them (up to byte len). */
static int send_part(struct pg *q, struct pg_stmt *p, int rows, size_t len)
{
	char keep[2] = {p->bjson[len], p->bjson[len + 1]}; /* grow kept a byte free */
	p->bjson[len] = ']';
	p->bjson[len + 1] = '\0';
	const char *values[1] = {p->bjson};
	int rc = push_what(q, p->bwhat);
	char bname[sizeof p->name + 1];
	snprintf(bname, sizeof bname, "%sb", p->name);
	if (rc == 0 && (p->name[0] ? PQsendQueryPrepared(q->conn, bname, 1, values, NULL, NULL, 0)
	                           : PQsendQueryParams(q->conn, p->bsql, 1, NULL, values, NULL, NULL,
	                                               0)) != 1) {
		keep_error(q, NULL);
		rc = pg_error(q, p->bwhat);
	}
	p->bjson[len] = keep[0];
	p->bjson[len + 1] = keep[1];
	if (rc)
		return rc;
	q->pending++;
	q->batches++;
	q->batch_rows += (uint64_t)rows;
	if (rows == p->brows) {
		p->brows = 0;
		p->blen = 0;
		return 0;
	}
	/* the rest, ",{…}…", becomes "[{…}…" */
	memmove(p->bjson, p->bjson + len, p->blen - len);
	p->bjson[0] = '[';
	p->blen -= len;
	p->brows -= rows;
	return 0;
}

static void unqueue_empty(struct pg *q)
{
	int k = 0;
	for (int i = 0; i < q->nqueued; i++)
		if (q->queued[i]->brows)
			q->queued[k++] = q->queued[i];
	q->nqueued = k;
}

int pg_send_rows(struct pg *q)
{
	if (!q->nqueued && !q->sp_lazy)
		return 0;
	pg_ahead_drain(q);
	int rc = enter_pipeline(q, q->nqueued ? q->queued[0]->bwhat : "savepoint");
	if (rc == 0 && q->sp_lazy) {
		/* something of the claim goes now: the rows of the claims before,
		 * then its SAVEPOINT, then its own */
		for (int i = 0; i < q->nqueued && rc == 0; i++) {
			struct pg_stmt *p = q->queued[i];
			int before = p->bepoch == q->sp_epoch ? p->bmark_rows : p->brows;
			if (before)
				rc = send_part(q, p, before, p->bepoch == q->sp_epoch ? p->bmark_len : p->blen);
		}
		if (rc == 0 && (rc = push_what(q, "savepoint")) == 0 &&
		    PQsendQueryParams(q->conn, "SAVEPOINT zt_claim", 0, NULL, NULL, NULL, NULL, 0) != 1) {
			keep_error(q, NULL);
			rc = pg_error(q, "savepoint");
		}
		if (rc == 0) {
			q->pending++;
			q->sp_lazy = false;
			unqueue_empty(q);
		}
	}
	for (int i = 0; i < q->nqueued && rc == 0; i++)
		rc = send_part(q, q->queued[i], q->queued[i]->brows, q->queued[i]->blen);
	if (rc)
		pg_drop_rows(q);
	q->nqueued = 0;
	/* the server has every claim written now (db.h rows_later) */
	if (q->zdb.claim_key_count) {
		memset(q->zdb.claim_keys, 0, q->zdb.claim_key_cap * sizeof *q->zdb.claim_keys);
		q->zdb.claim_key_count = 0;
	}
	return rc;
}

void pg_drop_rows(struct pg *q)
{
	for (int i = 0; i < q->nqueued; i++)
		q->queued[i]->brows = 0, q->queued[i]->blen = 0;
	q->nqueued = 0;
}

void pg_drop_rows_since_savepoint(struct pg *q)
{
	for (int i = 0; i < q->nqueued; i++) {
		struct pg_stmt *p = q->queued[i];
		if (p->bepoch == q->sp_epoch) {
			p->brows = p->bmark_rows;
			p->blen = p->bmark_len;
		}
	}
	unqueue_empty(q);
}

/* A new statement for sql, its text rewritten and its parameters counted. */
static int new_stmt(struct pg *q, const char *sql, struct pg_stmt **out, Oid types[PG_PARAMS_MAX])
{
	*out = NULL;
	struct pg_stmt *p = calloc(1, sizeof *p);
	if (!p)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	p->base.drv = &pg_driver;
	p->q = q;
	p->sql = sql;
	if (!(p->text = rewrite(sql))) {
		free(p);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	p->nparams = params_of(p->text, types);
	p->reads = !strncasecmp(p->text + strspn(p->text, " \t\n"), "SELECT", 6);
	if (p->nparams > PG_PARAMS_MAX) {
		int n = p->nparams;
		free(p->text);
		free(p);
		return zt_error_set(ZT_EINTERNAL, "a statement with %d parameters", n);
	}
	*out = p;
	return 0;
}

/* The result read ahead, dropped. */
static void drop_pre(struct pg_stmt *p)
{
	PQclear(p->pre);
	free(p->pre_key);
	p->pre = NULL;
	p->pre_key = NULL;
	p->pre_len = 0;
}

static void free_stmt(struct pg_stmt *p)
{
	if (p) {
		drop_pre(p);
		free(p->bsql);
		free(p->bjson);
		for (int i = 0; i < PG_PARAMS_MAX; i++)
			free(p->bkey[i]);
		free(p->text);
		free(p);
	}
}

static void reset(struct pg_stmt *p)
{
	pg_done(p);
	for (int i = 0; i < p->nparams; i++) {
		p->values[i] = NULL;
		p->lengths[i] = 0;
		p->formats[i] = 0;
	}
}

/* Prepares p on the server, on this connection. */
static int prepare(struct pg *q, struct pg_stmt *p)
{
	Oid types[PG_PARAMS_MAX];
	params_of(p->text, types);
	int rc = pg_flush(q);
	if (rc)
		return rc;
	q->round_trips++;
	PGresult *r = PQprepare(q->conn, p->name, p->text, p->nparams, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		snprintf(q->sqlstate, sizeof q->sqlstate, "%s", st ? st : "");
		snprintf(q->errmsg, sizeof q->errmsg, "%s", PQresultErrorMessage(r));
		q->errmsg[strcspn(q->errmsg, "\n")] = '\0';
		PQclear(r);
		return pg_error(q, "prepare");
	}
	PQclear(r);
	if (p->bsql) {
		/* its rows' statement too (send_part), under its name and a "b":
		 * a batch then costs no parse and no plan (a few of them a chunk,
		 * util.c pg_read_ahead) */
		char bname[sizeof p->name + 1];
		snprintf(bname, sizeof bname, "%sb", p->name);
		q->round_trips++;
		r = PQprepare(q->conn, bname, p->bsql, 1, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			snprintf(q->sqlstate, sizeof q->sqlstate, "%s", st ? st : "");
			snprintf(q->errmsg, sizeof q->errmsg, "%s", PQresultErrorMessage(r));
			q->errmsg[strcspn(q->errmsg, "\n")] = '\0';
		}
		PQclear(r);
		if (!ok)
			return pg_error(q, "prepare");
	}
	p->gen = q->gen;
	return 0;
}

int pg_stmt(struct pg *q, const char *sql, struct pg_stmt **out)
{
	*out = NULL;
	/* outside a transaction, a lost connection is made again first */
	int rc = q->txn == PG_NO_TXN ? pg_ready(q) : 0;
	if (rc)
		return rc;
	size_t i = slot_of(sql);
	while (q->cache[i].sql && q->cache[i].sql != sql)
		i = (i + 1) & (PG_CACHE_SLOTS - 1);
	if (q->cache[i].sql) {
		struct pg_stmt *p = q->cache[i].stmt;
		reset(p);
		/* prepared on a connection lost since: again, under its name */
		if (p->gen != q->gen && (rc = prepare(q, p)) != 0)
			return rc;
		*out = p;
		return 0;
	}
	if (q->cache_count >= PG_CACHE_SLOTS / 2)
		return zt_error_set(ZT_EINTERNAL, "database '%s': the statement cache is full", q->path);
	Oid types[PG_PARAMS_MAX];
	struct pg_stmt *p;
	if ((rc = new_stmt(q, sql, &p, types)) != 0)
		return rc;
	snprintf(p->name, sizeof p->name, "zt%d", q->cache_count + 1);
	batch_of(p); /* before prepare: its rows' statement is prepared too */
	if ((rc = prepare(q, p)) != 0) {
		free_stmt(p);
		return rc;
	}
	q->cache[i].sql = sql;
	q->cache[i].stmt = p;
	q->cache_count++;
	*out = p;
	return 0;
}

int pg_stmt_own(struct pg *q, const char *sql, struct pg_stmt **out)
{
	Oid types[PG_PARAMS_MAX];
	*out = NULL;
	int rc = q->txn == PG_NO_TXN ? pg_ready(q) : 0;
	return rc ? rc : new_stmt(q, sql, out, types);
}

void pg_finalize(struct pg_stmt *p)
{
	if (!p)
		return;
	pg_done(p);
	free_stmt(p);
}

void pg_done(struct pg_stmt *p)
{
	if (p && p->res) {
		PQclear(p->res);
		p->res = NULL;
	}
	if (p)
		p->row = p->rows = 0;
}

void pg_reset_all(struct pg *q)
{
	for (size_t i = 0; i < PG_CACHE_SLOTS; i++)
		if (q->cache[i].stmt) {
			pg_done(q->cache[i].stmt);
			drop_pre(q->cache[i].stmt);
		}
}

/* A statement's bindings as one string of bytes: for each parameter its
 * format, its length and its bytes (NULL: a mark of its own). NULL when
 * out of memory. */
static char *bind_key(const struct pg_stmt *p, size_t *len)
{
	size_t n = 0;
	for (int i = 0; i < p->nparams; i++)
		n += 1 + sizeof(size_t) +
		     (p->values[i] ? (p->formats[i] ? (size_t)p->lengths[i] : strlen(p->values[i])) : 0);
	char *k = malloc(n + 1), *o = k;
	if (!k)
		return NULL;
	for (int i = 0; i < p->nparams; i++) {
		size_t l = p->values[i] ? (p->formats[i] ? (size_t)p->lengths[i] : strlen(p->values[i])) : 0;
		*o++ = (char)(p->values[i] ? 1 + p->formats[i] : 0);
		memcpy(o, &l, sizeof l);
		o += sizeof l;
		if (l)
			memcpy(o, p->values[i], l);
		o += l;
	}
	*len = n;
	return k;
}

/* The results up to the pipeline's sync read and dropped (or the
 * connection's end). */
static void sync_drain(struct pg *q)
{
	for (PGresult *r; (r = PQgetResult(q->conn)) != NULL || PQstatus(q->conn) == CONNECTION_OK;) {
		if (!r)
			continue;
		bool synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (synced)
			break;
	}
}

/* The results of the pipeline, up to and with its sync: first those of
 * the q->pending writes sent before (a failure names its statement; in a
 * lazy transaction it is a late one, txn.c), then those of the n reads
 * ps (kept for their next pg_row). Leaves pipeline mode. */
static int pipeline_end(struct pg *q, struct pg_stmt *const *ps, int n, int rc)
{
	q->round_trips++;
	if (PQpipelineSync(q->conn) != 1) {
		if (rc == 0) {
			keep_error(q, NULL);
			rc = pg_error(q, q->pending ? q->whats[0] : "read ahead");
		}
		PQexitPipelineMode(q->conn);
		q->pending = 0;
		return rc;
	}
	int wrc = 0;
	for (int i = 0; i < q->pending + n; i++) {
		struct pg_stmt *p = i >= q->pending ? ps[i - q->pending] : NULL;
		PGresult *r = PQgetResult(q->conn);
		if (!r) /* the connection lost */
			break;
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_FATAL_ERROR && rc == 0) {
			keep_error(q, r);
			rc = pg_error(q, p ? "read ahead" : q->whats[i]);
			if (!p)
				wrc = rc;
		} else if (p && st == PGRES_TUPLES_OK && rc == 0 &&
		           (p->pre_key = bind_key(p, &p->pre_len)) != NULL) {
			p->pre = r;
			p->pre_writes = q->writes;
			r = NULL;
		}
		PQclear(r);
		while ((r = PQgetResult(q->conn)) != NULL)
			PQclear(r);
	}
	sync_drain(q);
	PQexitPipelineMode(q->conn);
	if (rc == 0 && PQstatus(q->conn) != CONNECTION_OK) {
		/* lost before every result came: never taken for a success */
		keep_error(q, NULL);
		rc = pg_error(q, q->pending ? q->whats[0] : "read ahead");
		wrc = q->pending ? rc : 0;
	}
	q->pending = 0;
	/* a read past the rows inside a claim whose SAVEPOINT was not sent
	 * (txn.c): no ROLLBACK TO undoes its failure, the transaction's too */
	if (rc && !wrc && q->lazy && q->sp_lazy)
		wrc = rc;
	if (wrc && q->lazy && !q->late) { /* a write that went unread: the transaction's */
		q->late = q->careful = true;
		q->late_rc = wrc;
		snprintf(q->late_msg, sizeof q->late_msg, "%s", zt_error_last());
	}
	return rc;
}

int pg_prefetch(struct pg *q, struct pg_stmt *const *ps, int n)
{
	int rc = pg_send_rows(q);
	return rc ? rc : pg_prefetch_past(q, ps, n);
}

/* ---- reads sent ahead ------------------------------------------------------ */

static void ahead_free(struct pg_ahead *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->key[i]);
		a->key[i] = NULL;
		PQclear(a->res[i]);
		a->res[i] = NULL;
	}
	a->n = 0;
	a->received = false;
	a->writes = 0;
	free(a->whats);
	a->whats = NULL;
}

/* The results of the rows group a sent before its reads: a failure is
 * the transaction's, a late one (txn.c), as pipeline_end has it. */
static void ahead_writes(struct pg *q, struct pg_ahead *a)
{
	int wrc = 0;
	for (int i = 0; i < a->writes; i++) {
		PGresult *r = PQgetResult(q->conn), *more;
		if (!r) { /* the connection lost: the transaction with it */
			keep_error(q, NULL);
			wrc = wrc ? wrc : pg_error(q, a->whats ? a->whats[i] : "write rows");
			break;
		}
		while ((more = PQgetResult(q->conn)) != NULL)
			PQclear(more);
		if (PQresultStatus(r) == PGRES_FATAL_ERROR && wrc == 0) {
			keep_error(q, r);
			wrc = pg_error(q, a->whats ? a->whats[i] : "write rows");
		}
		PQclear(r);
	}
	a->writes = 0;
	if (wrc && q->txn != PG_NO_TXN && q->lazy && !q->late) {
		q->late = q->careful = true;
		q->late_rc = wrc;
		snprintf(q->late_msg, sizeof q->late_msg, "%s", zt_error_last());
	}
}

/* the i-th result of group a: read already, or from the connection (the
 * rest of its statement's results passed over) */
static PGresult *ahead_result(struct pg *q, struct pg_ahead *a, int i)
{
	if (a->received) {
		PGresult *r = a->res[i];
		a->res[i] = NULL;
		return r;
	}
	PGresult *r = PQgetResult(q->conn), *more;
	if (r)
		while ((more = PQgetResult(q->conn)) != NULL)
			PQclear(more);
	return r;
}


void pg_ahead_receive(struct pg *q)
{
	for (int k = 0; k < q->ahead_n; k++) {
		struct pg_ahead *a = &q->ahead[(q->ahead_head + k) % PG_AHEAD_MAX];
		if (a->received)
			continue;
		if (q->lost || PQstatus(q->conn) != CONNECTION_OK)
			return;
		ahead_writes(q, a);
		for (int i = 0; i < a->n; i++)
			a->res[i] = ahead_result(q, a, i);
		sync_drain(q);
		a->received = true;
	}
	if (q->ahead_n && PQpipelineStatus(q->conn) != PQ_PIPELINE_OFF)
		PQexitPipelineMode(q->conn);
}

/* The head group's results: each kept for its statement's next pg_row
 * (as pipeline_end keeps them), then its sync. */
static int ahead_take(struct pg *q, bool keep)
{
	struct pg_ahead *a = &q->ahead[q->ahead_head];
	int rc = 0;
	bool received = a->received;
	if (!received)
		ahead_writes(q, a);
	for (int i = 0; i < a->n; i++) {
		struct pg_stmt *p = a->p[i];
		PGresult *r = ahead_result(q, a, i);
		if (!r)
			break; /* the connection lost: the next call says so */
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) {
			if (rc == 0) {
				keep_error(q, r);
				rc = pg_error(q, "read ahead");
			}
		} else if (keep && st == PGRES_TUPLES_OK && rc == 0) {
			drop_pre(p);
			p->pre = r;
			p->pre_key = a->key[i];
			p->pre_len = a->len[i];
			p->pre_writes = q->writes;
			a->key[i] = NULL;
			r = NULL;
		}
		PQclear(r);
	}
	if (!received)
		sync_drain(q);
	ahead_free(a);
	q->ahead_head = (q->ahead_head + 1) % PG_AHEAD_MAX;
	if (--q->ahead_n == 0 && PQpipelineStatus(q->conn) != PQ_PIPELINE_OFF)
		PQexitPipelineMode(q->conn);
	/* a read that failed inside the transaction failed the transaction */
	if (rc && q->txn != PG_NO_TXN && q->lazy && !q->late) {
		q->late = q->careful = true;
		q->late_rc = rc;
		snprintf(q->late_msg, sizeof q->late_msg, "%s", zt_error_last());
	}
	return rc;
}

void pg_ahead_drain(struct pg *q)
{
	if (!q->ahead_n)
		return;
	q->ahead_dropped = true;
	char keep[ZT_MESSAGE_BYTES_MAX];
	snprintf(keep, sizeof keep, "%s", zt_error_last());
	while (q->ahead_n) {
		if (q->lost || !q->conn || PQstatus(q->conn) != CONNECTION_OK) {
			while (q->ahead_n) {
				ahead_free(&q->ahead[q->ahead_head]);
				q->ahead_head = (q->ahead_head + 1) % PG_AHEAD_MAX;
				q->ahead_n--;
			}
			break;
		}
		ahead_take(q, false);
	}
	(void)zt_error_set(0, "%s", keep);
}

int pg_read_ahead(struct pg *q, struct pg_stmt *const *ps, int n, int *sent)
{
	*sent = 0;
	if (q->ahead_dropped) {
		q->ahead_dropped = false;
		*sent = -1;
		return 0;
	}
	if (n > 4 || q->ahead_n == PG_AHEAD_MAX || q->pending || q->late || q->careful ||
	    (!q->ahead_n && PQpipelineStatus(q->conn) != PQ_PIPELINE_OFF))
		return 0;
	for (int i = 0; i < n; i++)
		if (!ps[i]->name[0] || !ps[i]->reads)
			return 0;
	if (PQpipelineStatus(q->conn) == PQ_PIPELINE_OFF && PQenterPipelineMode(q->conn) != 1) {
		keep_error(q, NULL);
		return pg_error(q, "read ahead");
	}
	struct pg_ahead *a = &q->ahead[(q->ahead_head + q->ahead_n) % PG_AHEAD_MAX];
	a->n = 0;
	int rc = 0;
	/* The rows of the claims settled so far go first, when they are
	 * enough to be worth a statement per table: the server writes them
	 * while the client settles the claims whose reads follow, instead of
	 * all of the chunk's at its commit while the client waits. Between
	 * two claims only (no savepoint of a claim open or unsent); the reads
	 * after them see them, as a read after pg_send_rows would. */
	size_t bytes = 0;
	for (int i = 0; i < q->nqueued; i++)
		bytes += q->queued[i]->blen;
	if (bytes >= PG_ROWS_AHEAD_BYTES && q->lazy && !q->sp_lazy && !q->in_savepoint) {
		for (int i = 0; i < q->nqueued && rc == 0; i++)
			rc = send_part(q, q->queued[i], q->queued[i]->brows, q->queued[i]->blen);
		if (rc == 0 && q->pending && !(a->whats = malloc((size_t)q->pending * sizeof *a->whats)))
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
		if (a->whats)
			memcpy(a->whats, q->whats, (size_t)q->pending * sizeof *a->whats);
		a->writes = q->pending;
		if (rc)
			pg_drop_rows(q);
		q->nqueued = 0;
		q->pending = 0;
		/* the server has every claim written now (db.h rows_later) */
		if (q->zdb.claim_key_count) {
			memset(q->zdb.claim_keys, 0, q->zdb.claim_key_cap * sizeof *q->zdb.claim_keys);
			q->zdb.claim_key_count = 0;
		}
		if (rc) { /* what was sent is in the pipeline: a group to read */
			PQpipelineSync(q->conn);
			q->ahead_n++;
			pg_ahead_drain(q);
			if (!q->late) {
				q->late = q->careful = true;
				q->late_rc = rc;
				snprintf(q->late_msg, sizeof q->late_msg, "%s", zt_error_last());
			}
			return rc;
		}
	}
	for (int i = 0; i < n && rc == 0; i++) {
		struct pg_stmt *p = ps[i];
		a->p[i] = p;
		if (!(a->key[i] = bind_key(p, &a->len[i])))
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
		else if (PQsendQueryPrepared(q->conn, p->name, p->nparams, p->values, p->lengths,
		                             p->formats, 0) != 1) {
			keep_error(q, NULL);
			rc = pg_error(q, "read ahead");
			free(a->key[i]);
			a->key[i] = NULL;
		}
		if (a->key[i])
			a->n = i + 1;
	}
	if (rc == 0 && PQpipelineSync(q->conn) != 1) {
		keep_error(q, NULL);
		rc = pg_error(q, "read ahead");
	}
	/* sent or not, the group is in the pipeline now: read its results
	 * (dropped) before anything else */
	q->ahead_n++;
	if (rc) {
		pg_ahead_drain(q);
		return rc;
	}
	q->round_trips++;
	*sent = 1;
	return 0;
}

/* Whether the head group is these statements bound as they are now. */
static bool ahead_match(struct pg *q, struct pg_stmt *const *ps, int n)
{
	const struct pg_ahead *a = &q->ahead[q->ahead_head];
	if (a->n != n)
		return false;
	bool same = true;
	for (int i = 0; i < n && same; i++) {
		size_t len;
		char *k = a->p[i] == ps[i] ? bind_key(ps[i], &len) : NULL;
		same = k && len == a->len[i] && memcmp(k, a->key[i], len) == 0;
		free(k);
	}
	return same;
}

int pg_prefetch_past(struct pg *q, struct pg_stmt *const *ps, int n)
{
	if (q->ahead_n) {
		if (ahead_match(q, ps, n))
			return ahead_take(q, true);
		/* another read (contended's): nothing written since, those
		 * read ahead stay good, kept for their claims */
		pg_ahead_receive(q);
	}
	if (PQpipelineStatus(q->conn) == PQ_PIPELINE_OFF && PQenterPipelineMode(q->conn) != 1) {
		keep_error(q, NULL);
		return pg_error(q, "read ahead");
	}
	int sent = 0, rc = 0;
	for (; sent < n; sent++) {
		struct pg_stmt *p = ps[sent];
		drop_pre(p);
		pg_done(p);
		if (!p->name[0] || !p->reads ||
		    PQsendQueryPrepared(q->conn, p->name, p->nparams, p->values, p->lengths, p->formats,
		                        0) != 1)
			break;
	}
	if (sent < n)
		rc = zt_error_set(ZT_EINTERNAL, "database '%s': read ahead: %s", q->path,
		                  !ps[sent]->name[0] || !ps[sent]->reads ? "not a cached SELECT"
		                                                         : PQerrorMessage(q->conn));
	/* the writes queued before them go in the same round trip */
	return pipeline_end(q, ps, sent, rc);
}

/* The result read ahead for p's execution now, if it is still what the
 * execution would read (NULL otherwise; dropped either way). */
static PGresult *take_pre(struct pg *q, struct pg_stmt *p)
{
	if (!p->pre)
		return NULL;
	PGresult *r = NULL;
	size_t len;
	char *k = p->pre_writes == q->writes ? bind_key(p, &len) : NULL;
	if (k && len == p->pre_len && memcmp(k, p->pre_key, len) == 0) {
		r = p->pre;
		p->pre = NULL;
	}
	free(k);
	drop_pre(p);
	return r;
}

/* ---- errors ---------------------------------------------------------------- */

static void keep_error(struct pg *q, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	snprintf(q->sqlstate, sizeof q->sqlstate, "%s", st ? st : "");
	snprintf(q->errmsg, sizeof q->errmsg, "%s", msg ? msg : PQerrorMessage(q->conn));
	/* one line */
	for (char *c = q->errmsg; *c; c++)
		if (*c == '\n')
			*c = (c[1] ? ' ' : '\0');
}

void pg_keep_error(struct pg *q, const PGresult *r) { keep_error(q, r); }

int pg_error_as(struct pg *q, const char *what, bool conflict)
{
	const char *st = q->sqlstate;
	int code = ZT_EIO;
	if (pg_is_lost(q)) { /* the connection lost: made again later (open.c) */
		pg_lost(q);
		return zt_error_set(ZT_EUNAVAILABLE, "database '%s': %s: the connection was lost: %s",
		                    q->path, what, q->errmsg);
	}
	/* 55P03 lock_not_available (lock_timeout), 40P01 deadlock, 40001
	 * serialisation, 57014 statement timeout: a writer waited too long (G1) */
	if (!strcmp(st, "55P03") || !strcmp(st, "40P01") || !strcmp(st, "40001") ||
	    !strcmp(st, "57014"))
		code = ZT_EBUSY;
	/* class 23: a constraint; P0001: a guard's trigger (facts are immutable) */
	else if (!strncmp(st, "23", 2) || !strcmp(st, "P0001"))
		code = conflict ? ZT_ECONFLICT : ZT_EINTERNAL;
	else if (!strcmp(st, "22003"))
		code = ZT_ERANGE; /* past int8: refused, never rounded */
	return zt_error_set(code, "database '%s': %s: %s", q->path, what, q->errmsg);
}

int pg_error(struct pg *q, const char *what) { return pg_error_as(q, what, false); }

int pg_flush(struct pg *q)
{
	pg_ahead_drain(q);
	int rc = pg_send_rows(q);
	if (rc)
		return rc;
	if (PQpipelineStatus(q->conn) == PQ_PIPELINE_OFF)
		return 0;
	return pipeline_end(q, NULL, 0, 0);
}

static int enter_pipeline(struct pg *q, const char *what)
{
	if (PQpipelineStatus(q->conn) == PQ_PIPELINE_OFF && PQenterPipelineMode(q->conn) != 1) {
		keep_error(q, NULL);
		return pg_error(q, what);
	}
	return 0;
}

/* what the next pending statement does, for its failure's message */
static int push_what(struct pg *q, const char *what)
{
	if (q->pending >= q->whats_cap) {
		int cap = q->whats_cap ? 2 * q->whats_cap : 64;
		char(*w)[64] = realloc(q->whats, (size_t)cap * sizeof *w);
		if (!w)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		q->whats = w;
		q->whats_cap = cap;
	}
	snprintf(q->whats[q->pending], sizeof q->whats[q->pending], "%s", what);
	return 0;
}

/* A write sent without waiting for its result (q->defer); a batchable
 * row in a lazy transaction queued instead (rows written together). */
static int send_deferred(struct pg *q, struct pg_stmt *p, const char *what)
{
	if (p->bsql && q->lazy && q->txn == PG_TXN_WRITE)
		return queue_row(q, p, what);
	pg_ahead_drain(q);
	int rc = pg_send_rows(q);
	if (rc || (rc = enter_pipeline(q, what)) != 0 || (rc = push_what(q, what)) != 0)
		return rc;
	if ((p->name[0] ? PQsendQueryPrepared(q->conn, p->name, p->nparams, p->values, p->lengths,
	                                      p->formats, 0)
	                : PQsendQueryParams(q->conn, p->text, p->nparams, NULL, p->values, p->lengths,
	                                    p->formats, 0)) != 1) {
		keep_error(q, NULL);
		return pg_error(q, what);
	}
	q->pending++;
	q->changes = 1;
	return 0;
}

static PGresult *execute(struct pg_stmt *p)
{
	struct pg *q = p->q;
	pg_ahead_drain(q);
	q->round_trips++;
	if (p->name[0])
		return PQexecPrepared(q->conn, p->name, p->nparams, p->values, p->lengths, p->formats, 0);
	return PQexecParams(q->conn, p->text, p->nparams, NULL, p->values, p->lengths, p->formats, 0);
}

int pg_run(struct pg *q, struct pg_stmt *p, const char *what)
{
	pg_done(p);
	if (!p->reads)
		q->writes++;
	if (q->defer)
		return send_deferred(q, p, what);
	int rc = pg_flush(q);
	if (rc)
		return rc;
	PGresult *r = execute(p);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		const char *n = PQcmdTuples(r);
		q->changes = n && n[0] ? strtoll(n, NULL, 10) : 0;
	} else {
		keep_error(q, r);
		rc = pg_error(q, what);
	}
	PQclear(r);
	pg_done(p); /* the bindings stay, as sqlite3_reset keeps them */
	return rc;
}

static int simple(struct pg *q, const char *sql)
{
	if (pg_flush(q) != 0)
		return -1;
	q->writes++;
	q->round_trips++;
	PGresult *r = PQexec(q->conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		keep_error(q, r);
	PQclear(r);
	return ok ? 0 : -1;
}

int pg_run_as(struct pg *q, struct pg_stmt *p, const char *what, bool conflict)
{
	if (q->txn != PG_TXN_WRITE)
		return pg_run(q, p, what);
	if (simple(q, "SAVEPOINT zt_stmt") != 0)
		return pg_error(q, what);
	int rc = pg_run(q, p, what);
	if (rc) {
		char keep[sizeof q->errmsg];
		char st[6];
		memcpy(keep, q->errmsg, sizeof keep);
		memcpy(st, q->sqlstate, sizeof st);
		simple(q, "ROLLBACK TO SAVEPOINT zt_stmt");
		simple(q, "RELEASE SAVEPOINT zt_stmt");
		memcpy(q->errmsg, keep, sizeof keep);
		memcpy(q->sqlstate, st, sizeof st);
		return pg_error_as(q, what, conflict);
	}
	if (simple(q, "RELEASE SAVEPOINT zt_stmt") != 0)
		return pg_error(q, what);
	return 0;
}

int pg_row(struct pg *q, struct pg_stmt *p, const char *what)
{
	if (!p->res) {
		/* read ahead (pg_prefetch, pg_prefetch_past): nothing to send */
		if (!(p->res = take_pre(q, p))) {
			/* writes queued: sent with this read, one round trip */
			int rc = (PQpipelineStatus(q->conn) != PQ_PIPELINE_OFF || q->nqueued || q->sp_lazy) &&
			                 p->name[0] && p->reads
			         ? pg_prefetch(q, &p, 1)
			         : pg_flush(q);
			if (rc)
				return rc;
			if (!(p->res = take_pre(q, p)))
				p->res = execute(p);
		}
		if (!p->reads)
			q->writes++;
		if (PQresultStatus(p->res) != PGRES_TUPLES_OK) {
			keep_error(q, p->res);
			pg_done(p);
			return pg_error(q, what);
		}
		p->rows = PQntuples(p->res);
		p->row = -1;
	}
	if (++p->row < p->rows)
		return 1;
	pg_done(p);
	return 0;
}

PGresult *pg_query(struct pg *q, const char *sql)
{
	if (pg_flush(q) != 0)
		return NULL;
	q->writes++;
	q->round_trips++;
	PGresult *r = PQexec(q->conn, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	keep_error(q, r);
	PQclear(r);
	return NULL;
}

int pg_exec(struct pg *q, const char *sql)
{
	if (simple(q, sql) != 0)
		return pg_error(q, "run");
	return 0;
}

int pg_need_write(struct pg *q, const char *what)
{
	if (q->txn != PG_TXN_WRITE)
		return zt_error_set(ZT_EINTERNAL, "%s outside a write transaction", what);
	return 0;
}

const char *pg_now(struct pg *q)
{
	if (q->txn == PG_NO_TXN || !q->now[0])
		zt_timestamp_utc(q->now, zt_date_now());
	return q->now;
}

/* ---- binding and reading ---------------------------------------------------- */

void pg_bind_text(struct pg_stmt *p, int i, const char *v)
{
	if (i < 1 || i > p->nparams)
		return;
	p->values[i - 1] = v;
	p->lengths[i - 1] = 0;
	p->formats[i - 1] = 0;
}

void pg_bind_opt(struct pg_stmt *p, int i, const char *v) { pg_bind_text(p, i, v && v[0] ? v : NULL); }

void pg_bind_textn(struct pg_stmt *p, int i, const char *v, size_t len)
{
	/* binary format: the bytes as they are, no terminator needed */
	pg_bind_blob(p, i, v, len);
}

void pg_bind_blob(struct pg_stmt *p, int i, const void *v, size_t len)
{
	if (i < 1 || i > p->nparams)
		return;
	p->values[i - 1] = v;
	p->lengths[i - 1] = (int)len;
	p->formats[i - 1] = 1;
}

void pg_bind_int64(struct pg_stmt *p, int i, int64_t v)
{
	if (i < 1 || i > p->nparams)
		return;
	snprintf(p->num[i - 1], sizeof p->num[i - 1], "%" PRId64, v);
	pg_bind_text(p, i, p->num[i - 1]);
}

void pg_bind_int(struct pg_stmt *p, int i, int v) { pg_bind_int64(p, i, v); }

void pg_bind_null(struct pg_stmt *p, int i) { pg_bind_text(p, i, NULL); }

bool pg_col_null(struct pg_stmt *p, int i)
{
	return !p->res || PQgetisnull(p->res, p->row, i);
}

const char *pg_col_text(struct pg_stmt *p, int i)
{
	if (pg_col_null(p, i))
		return "";
	return PQgetvalue(p->res, p->row, i);
}

int pg_col_bytes(struct pg_stmt *p, int i)
{
	return pg_col_null(p, i) ? 0 : PQgetlength(p->res, p->row, i);
}

int64_t pg_col_int64(struct pg_stmt *p, int i)
{
	const char *v = pg_col_text(p, i);
	if (v[0] == 't')
		return 1;
	if (v[0] == 'f')
		return 0;
	return strtoll(v, NULL, 10);
}

int pg_col_int(struct pg_stmt *p, int i) { return (int)pg_col_int64(p, i); }

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pg_col_blob(struct pg_stmt *p, int i, unsigned char *out, int cap)
{
	const char *v = pg_col_text(p, i);
	if (v[0] != '\\' || v[1] != 'x')
		return 0;
	int n = 0;
	for (v += 2; v[0] && v[1] && n < cap; v += 2) {
		int hi = hexval(v[0]), lo = hexval(v[1]);
		if (hi < 0 || lo < 0)
			break;
		out[n++] = (unsigned char)(hi << 4 | lo);
	}
	return n;
}

void pg_col_copy(char *dst, size_t cap, struct pg_stmt *p, int i)
{
	snprintf(dst, cap, "%s", pg_col_text(p, i));
}

int pg_col_name(struct pg_stmt *p, int i, const char *const *names, int n, int otherwise)
{
	const char *v = pg_col_text(p, i);
	for (int k = 0; k < n; k++)
		if (strcmp(names[k], v) == 0)
			return k;
	return otherwise;
}

int pg_insert_id(struct pg *q, struct pg_stmt *p, const char *what, int64_t *row_out)
{
	int r = pg_row(q, p, what);
	if (r == 1) {
		*row_out = pg_col_int64(p, 0);
		q->changes = 1;
		pg_done(p);
		return 0;
	}
	q->changes = 0;
	*row_out = 0;
	return r;
}
