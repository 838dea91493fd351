/* zhitong — policies, written once over the store's driver (store.h
 * policies): each stored with its source text and that text's SHA-256; the
 * domain parses them (policy_set.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../db.h"

#define OPEN_END 99991231

static const char SQL_OVERLAP[] =
	"SELECT id, policy_id, effective_from, effective_to, digest FROM policy "
	"WHERE county = ?1 AND effective_from <= ?3 AND effective_to >= ?2 ORDER BY effective_from";
static const char SQL_INSERT[] =
	"INSERT INTO policy (policy_id, name, county, effective_from, effective_to, source_xml, "
	"digest, loaded_at, loaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
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
static int overlap(struct zt_db *q, const struct zt_policy *pol, const char *digest, int to,
                   int64_t *row_out)
{
	struct zt_db_stmt *p;
	int r = zt_db_prepare(q, SQL_OVERLAP, &p);
	if (r)
		return r;
	zt_db_bind_text(p, 1, pol->county);
	zt_db_bind_int(p, 2, pol->effective_from);
	zt_db_bind_int(p, 3, to);
	*row_out = 0;
	if ((r = zt_db_row(q, p, "check policy overlap")) <= 0)
		return r;
	int64_t row = zt_db_column_int64(p, 0);
	char other[128], from_s[ZT_FMT_BYTES], to_s[ZT_FMT_BYTES];
	zt_db_column_copy(other, sizeof other, p, 1);
	int of = zt_db_column_int(p, 2), ot = zt_db_column_int(p, 3);
	bool same = strcmp(zt_db_column_text(p, 4), digest) == 0;
	zt_db_done(p);
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
	struct zt_db *q = zt_db_of(s);
	char digest[65];
	sha256_hex(digest, xml, len);
	int to = pol->effective_to ? pol->effective_to : OPEN_END;
	int rc = overlap(q, pol, digest, to, row_out);
	*was_new = false;
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
	if ((rc = zt_db_insert_id(q, p, "store policy", row_out)) != 0)
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
		struct zt_stored_policy sp = {
			.row = zt_db_column_int64(p, 0),
			.policy_id = zt_db_column_text(p, 1),
			.xml = xml,
			.len = strlen(xml),
		};
		if ((rc = cb(ctx, &sp)) != 0)
			break;
	}
	zt_db_done(p);
	return rc ? rc : r;
}

const struct zt_store_policy_ops zt_db_policy_ops = {.put = put, .each = each};
