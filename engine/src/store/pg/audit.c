/* zhitong — the audit trail in the PostgreSQL store (store.h audit): appended,
 * never changed (triggers), its count kept apart (meta audit.last-id). */
#include "pg_int.h"

static const char SQL_AUDIT[] =
	"INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)";

static int add(struct zt_store *s, const char *actor, const char *action, const char *subject,
               const char *detail)
{
	struct pg *q = pg_of(s);
	struct pg_stmt *p;
	int rc = pg_stmt(q, SQL_AUDIT, &p);
	if (rc)
		return rc;
	pg_bind_text(p, 1, pg_now(q));
	pg_bind_text(p, 2, actor);
	pg_bind_text(p, 3, action);
	pg_bind_text(p, 4, subject);
	pg_bind_text(p, 5, detail);
	return pg_run(q, p, "store audit record");
}

const struct zt_store_audit_ops pg_audit_ops = {.add = add};
