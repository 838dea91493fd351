/* zhitong — the audit trail in the SQLite store (store.h audit): appended,
 * never changed (triggers), its count kept apart (meta audit.last-id). */
#include "sqlite_int.h"

static const char SQL_AUDIT[] =
	"INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)";

static int add(struct zt_store *s, const char *actor, const char *action, const char *subject,
               const char *detail)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *p;
	int rc = sq_stmt(q, SQL_AUDIT, &p);
	if (rc)
		return rc;
	sq_bind_text(p, 1, sq_now(q));
	sq_bind_text(p, 2, actor);
	sq_bind_text(p, 3, action);
	sq_bind_text(p, 4, subject);
	sq_bind_text(p, 5, detail);
	return sq_run(q, p, "store audit record");
}

const struct zt_store_audit_ops sq_audit_ops = {.add = add};
