/* zhitong — policies, written once over the store's driver (store.h
 * policies): each stored with its source text and that text's SHA-256, and
 * its version state beside it (policy_version, docs/spec/rules-v2.md §4);
 * the domain parses them (policy_set.c) and decides what may be loaded
 * (policy_load.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../db.h"

#define OPEN_END 99991231

static const char SQL_SAME[] =
	"SELECT p.id FROM policy p JOIN policy_version v ON v.policy = p.id "
	"WHERE p.policy_id = ?1 AND p.digest = ?2 AND v.status <> 'replaced' ORDER BY p.id";
static const char SQL_INSERT[] =
	"INSERT INTO policy (policy_id, name, county, effective_from, effective_to, source_xml, "
	"digest, loaded_at, loaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
static const char SQL_VERSION[] =
	"INSERT INTO policy_version (policy, status, ends, replaces, supersedes) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_ALL[] =
	"SELECT p.id, p.policy_id, p.source_xml, p.county, p.effective_from, p.effective_to, "
	"v.ends, v.status, COALESCE(v.replaces, 0), COALESCE(v.supersedes, 0), p.digest, "
	"p.loaded_at, p.loaded_by, COALESCE(v.approved_at, ''), COALESCE(v.approved_by, '') "
	"FROM policy p JOIN policy_version v ON v.policy = p.id ORDER BY p.id";
static const char SQL_ENDS[] =
	"UPDATE policy_version SET ends = ?2 WHERE policy = ?1 AND status = 'active'";
static const char SQL_APPROVE[] =
	"UPDATE policy_version SET status = 'active', approved_at = ?2, approved_by = ?3 "
	"WHERE policy = ?1 AND status = 'pending'";
static const char SQL_REPLACED[] =
	"UPDATE policy_version SET status = 'replaced' WHERE policy = ?1 AND status <> 'replaced'";
/* Settlements, not reversed, of claims discharged on or after ?2. */
static const char SQL_USED[] =
	"SELECT COUNT(*) FROM settlement st JOIN claim c ON c.id = st.claim_id "
	"WHERE st.policy_row = ?1 AND st.kind = 'settle' AND c.dscg_date >= ?2 "
	"AND NOT EXISTS (SELECT 1 FROM settlement r WHERE r.reverses = st.id)";

static const char *const STATUS[] = {"pending", "active", "replaced"};

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The row of the identical document (same id, same digest) not replaced, or 0. */
static int same(struct zt_db *q, const char *policy_id, const char *digest, int64_t *row_out)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_SAME, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, policy_id);
	zt_db_bind_text(p, 2, digest);
	*row_out = 0;
	if ((r = zt_db_row(q, p, "find a policy")) <= 0)
		return r;
	*row_out = zt_db_column_int64(p, 0);
	zt_db_done(p);
	return 0;
}

static void bind_row_or_null(struct zt_db_stmt *p, int i, int64_t row)
{
	if (row)
		zt_db_bind_int64(p, i, row);
	else
		zt_db_bind_null(p, i);
}

static int put(struct zt_store *s, const struct zt_policy *pol, const char *xml, size_t len,
               const char *actor, const struct zt_policy_put *how, int64_t *row_out,
               bool *was_new)
{
	static const struct zt_policy_put plain = {0};
	struct zt_db *q = zt_db_of(s);
	char digest[65];
	if (!how)
		how = &plain;
	sha256_hex(digest, xml, len);
	int to = pol->effective_to ? pol->effective_to : OPEN_END;
	*was_new = false;
	int rc = same(q, pol->id, digest, row_out);
	if (rc || *row_out)
		return rc;
	/* the source text is bound as text: a terminated copy of its bytes (a
	 * parsed XML document holds no NUL) */
	char *text = malloc(len + 1);
	if (!text)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	memcpy(text, xml, len);
	text[len] = '\0';
	struct zt_db_stmt *p;
	if ((rc = zt_db_prepare(q, SQL_INSERT, &p)) != 0)
		goto done;
	zt_db_bind_text(p, 1, pol->id);
	zt_db_bind_text(p, 2, pol->name);
	zt_db_bind_text(p, 3, pol->county);
	zt_db_bind_int(p, 4, pol->effective_from);
	zt_db_bind_int(p, 5, to);
	zt_db_bind_text(p, 6, text);
	zt_db_bind_text(p, 7, digest);
	zt_db_bind_text(p, 8, zt_db_now(q));
	zt_db_bind_text(p, 9, actor);
	if ((rc = zt_db_insert_id(q, p, "store policy", row_out)) != 0 ||
	    (rc = zt_db_prepare(q, SQL_VERSION, &p)) != 0)
		goto done;
	zt_db_bind_int64(p, 1, *row_out);
	zt_db_bind_text(p, 2, how->pending ? "pending" : "active");
	zt_db_bind_int(p, 3, to);
	bind_row_or_null(p, 4, how->replaces);
	bind_row_or_null(p, 5, how->supersedes);
	if ((rc = zt_db_run(q, p, "store policy version")) != 0)
		goto done;
	*was_new = true;
done:
	free(text);
	return rc;
}

static int each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_policy *p),
                void *ctx)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, SQL_ALL, &p), r;
	if (rc)
		return rc;
	while ((r = zt_db_row(q, p, "read policies")) == 1) {
		const char *xml = zt_db_column_text(p, 2);
		int to = zt_db_column_int(p, 5), ends = zt_db_column_int(p, 6);
		struct zt_stored_policy sp = {
			.row = zt_db_column_int64(p, 0),
			.policy_id = zt_db_column_text(p, 1),
			.xml = xml,
			.len = strlen(xml),
			.county = zt_db_column_text(p, 3),
			.effective_from = zt_db_column_int(p, 4),
			.effective_to = to == OPEN_END ? 0 : to,
			.ends = ends == OPEN_END ? 0 : ends,
			.status = zt_db_column_name(p, 7, STATUS, 3, -1),
			.replaces = zt_db_column_int64(p, 8),
			.supersedes = zt_db_column_int64(p, 9),
			.digest = zt_db_column_text(p, 10),
			.loaded_at = zt_db_column_text(p, 11),
			.loaded_by = zt_db_column_text(p, 12),
			.approved_at = zt_db_column_text(p, 13),
			.approved_by = zt_db_column_text(p, 14),
		};
		if ((int)sp.status < 0) {
			rc = zt_error_set(ZT_EINTERNAL, "policy #%lld: unknown status", (long long)sp.row);
			break;
		}
		if ((rc = cb(ctx, &sp)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

/* One UPDATE of one row: ZT_ECONFLICT `what` when it changed none. */
static int update(struct zt_store *s, const char *sql, int64_t row, const char *a, const char *b,
                  int ends, const char *what)
{
	struct zt_db *q = zt_db_of(s);
	struct zt_db_stmt *p;
	int rc = zt_db_prepare(q, sql, &p);
	if (rc)
		return rc;
	zt_db_bind_int64(p, 1, row);
	if (a) {
		zt_db_bind_text(p, 2, a);
		zt_db_bind_text(p, 3, b);
	} else if (ends) {
		zt_db_bind_int(p, 2, ends);
	}
	if ((rc = zt_db_run(q, p, what)) != 0)
		return rc;
	return zt_db_changes(q) == 1
		       ? 0
		       : zt_error_set(ZT_ECONFLICT, "%s: policy #%lld is not in the state it must be in",
		                      what, (long long)row);
}

static int set_ends(struct zt_store *s, int64_t row, zt_date ends)
{
	return update(s, SQL_ENDS, row, NULL, NULL, ends ? ends : OPEN_END, "end policy");
}

static int approve(struct zt_store *s, int64_t row, const char *actor)
{
	return update(s, SQL_APPROVE, row, zt_db_now(zt_db_of(s)), actor, 0, "approve policy");
}

static int mark_replaced(struct zt_store *s, int64_t row)
{
	return update(s, SQL_REPLACED, row, NULL, NULL, 0, "replace policy");
}

static int used(struct zt_store *s, int64_t row, zt_date from, int64_t *out)
{
	return zt_db_count_used(zt_db_of(s), SQL_USED, row, from, "count settlements of a policy", out);
}

const struct zt_store_policy_ops zt_db_policy_ops = {
	.put = put, .each = each, .set_ends = set_ends, .approve = approve,
	.mark_replaced = mark_replaced, .used = used,
};
