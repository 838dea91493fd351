/* zhitong — policies in the PostgreSQL store (store.h policies): each stored
 * with its source text and that text's SHA-256; the domain parses them
 * (policy_set.c). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "pg_int.h"

#define OPEN_END 99991231

static const char SQL_OVERLAP[] =
	"SELECT id, policy_id, effective_from, effective_to, digest FROM policy "
	"WHERE county = $1 AND effective_from <= $3 AND effective_to >= $2 ORDER BY effective_from";
static const char SQL_INSERT[] =
	"INSERT INTO policy (policy_id, name, county, effective_from, effective_to, source_xml, "
	"digest, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
static const char SQL_ALL[] = "SELECT id, policy_id, source_xml FROM policy ORDER BY id";

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A policy of the county whose dates overlap: the same document (its row)
 * or ZT_ECONFLICT naming it; 0 with *row_out 0 when there is none. */
static int overlap(struct pg *q, const struct zt_policy *pol, const char *digest, int to,
                   int64_t *row_out)
{
	struct pg_stmt *p;
	int r = pg_stmt(q, SQL_OVERLAP, &p);
	if (r)
		return r;
	pg_bind_text(p, 1, pol->county);
	pg_bind_int(p, 2, pol->effective_from);
	pg_bind_int(p, 3, to);
	*row_out = 0;
	if ((r = pg_row(q, p, "check policy overlap")) <= 0)
		return r;
	int64_t row = pg_col_int64(p, 0);
	char other[128], from_s[ZT_FMT_BYTES], to_s[ZT_FMT_BYTES];
	pg_col_copy(other, sizeof other, p, 1);
	int of = pg_col_int(p, 2), ot = pg_col_int(p, 3);
	bool same = strcmp(pg_col_text(p, 4), digest) == 0;
	pg_done(p);
	if (same) {
		*row_out = row;
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

static int put(struct zt_store *s, const struct zt_policy *pol, const char *xml, size_t len,
               const char *actor, int64_t *row_out, bool *was_new)
{
	struct pg *q = pg_of(s);
	char digest[65];
	sha256_hex(digest, xml, len);
	int to = pol->effective_to ? pol->effective_to : OPEN_END;
	int rc = overlap(q, pol, digest, to, row_out);
	*was_new = false;
	if (rc || *row_out)
		return rc;
	struct pg_stmt *p;
	if ((rc = pg_stmt(q, SQL_INSERT, &p)) != 0)
		return rc;
	pg_bind_text(p, 1, pol->id);
	pg_bind_text(p, 2, pol->name);
	pg_bind_text(p, 3, pol->county);
	pg_bind_int(p, 4, pol->effective_from);
	pg_bind_int(p, 5, to);
	pg_bind_textn(p, 6, xml, len);
	pg_bind_text(p, 7, digest);
	pg_bind_text(p, 8, pg_now(q));
	pg_bind_text(p, 9, actor);
	if ((rc = pg_insert_id(q, p, "store policy", row_out)) != 0)
		return rc;
	*was_new = true;
	return 0;
}

static int each(struct zt_store *s, int (*cb)(void *ctx, const struct zt_stored_policy *p),
                void *ctx)
{
	struct pg *q = pg_of(s);
	struct pg_stmt *p;
	int rc = pg_stmt(q, SQL_ALL, &p), r;
	if (rc)
		return rc;
	while ((r = pg_row(q, p, "read policies")) == 1) {
		struct zt_stored_policy sp = {
			.row = pg_col_int64(p, 0),
			.policy_id = pg_col_text(p, 1),
			.xml = pg_col_text(p, 2),
			.len = (size_t)pg_col_bytes(p, 2),
		};
		if ((rc = cb(ctx, &sp)) != 0)
			break;
	}
	pg_done(p);
	return rc ? rc : r;
}

const struct zt_store_policy_ops pg_policy_ops = {.put = put, .each = each};
