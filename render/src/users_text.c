/* zhitong — `user list` and `audit list` as text and CSV (users_render.h). */
#include <inttypes.h>
#include <stdio.h>

#include "zhitong/date.h"
#include "zhitong/users_render.h"

void zt_users_render_begin(struct zt_users_out *o)
{
	o->rows = 0;
	if (!o->csv)
		return;
	zt_csv_init(&o->w, o->f, o->bom);
	zt_csv_header(&o->w, "name,role,hospitals,funds,enabled,token_id,token_at,previous_token_id,"
	                     "previous_until,created_by,created_at,pools");
}

/* A Unix second as the store writes times ("2026-12-02T01:54:37Z"). */
static void utc(char out[ZT_FMT_BYTES], int64_t s)
{
	zt_timestamp_utc(out, s);
}

int zt_users_render_row(void *ctx, const struct zt_user_line *u)
{
	struct zt_users_out *o = ctx;
	char until[ZT_FMT_BYTES] = "";
	if (u->has_previous)
		utc(until, u->previous_until_s);
	o->rows++;
	if (o->csv) {
		const char *cells[] = {u->name, u->role, u->hospitals, u->funds,
		                       u->enabled ? "yes" : "no", u->has_token ? u->token_id : "",
		                       u->has_token ? u->token_at : "", u->has_previous ? u->previous_id : "",
		                       until, u->created_by, u->created_at, u->pools ? u->pools : ""};
		zt_csv_row(&o->w, cells, sizeof cells / sizeof *cells);
		return 0;
	}
	const char *scope = u->hospitals[0] ? u->hospitals : u->funds[0] ? u->funds : "-";
	fprintf(o->f, "%-20s %-10s %-24s %-8s ", u->name, u->role, scope,
	        u->enabled ? "enabled" : "disabled");
	if (u->has_token)
		fprintf(o->f, "token %s (%s)", u->token_id, u->token_at);
	else
		fputs("no token", o->f);
	if (u->has_previous)
		fprintf(o->f, "; previous %s until %s", u->previous_id, until);
	/* the pools it reaches (issue 13 §2); none named: every pool */
	if (u->pools && u->pools[0])
		fprintf(o->f, "; pools %s", u->pools);
	fputc('\n', o->f);
	return 0;
}

void zt_users_render_end(struct zt_users_out *o)
{
	if (!o->csv && o->rows == 0)
		fputs("no users: the command line takes any --by (README \"Users and tokens\")\n", o->f);
}

void zt_audit_render_begin(struct zt_users_out *o)
{
	o->rows = 0;
	if (!o->csv)
		return;
	zt_csv_init(&o->w, o->f, o->bom);
	zt_csv_header(&o->w, "seq,time,user,operator,token_id,client,action,object,digest,detail,"
	                     "prev_hash,hash");
}

int zt_audit_render_row(void *ctx, const struct zt_audit_record *r)
{
	struct zt_users_out *o = ctx;
	char seq[24], digest[ZT_AUDIT_HASH_HEX_CHARS + 1] = "", prev[ZT_AUDIT_HASH_HEX_CHARS + 1],
		hash[ZT_AUDIT_HASH_HEX_CHARS + 1];
	snprintf(seq, sizeof seq, "%" PRId64, r->seq);
	if (r->has_digest)
		zt_audit_hash_hex(digest, r->digest);
	zt_audit_hash_hex(prev, r->prev_hash);
	zt_audit_hash_hex(hash, r->hash);
	o->rows++;
	if (o->csv) {
		const char *cells[] = {seq, r->time, r->user, r->operator_name, r->token_id, r->client,
		                       r->action, r->object, digest, r->detail, prev, hash};
		zt_csv_row(&o->w, cells, sizeof cells / sizeof *cells);
		return 0;
	}
	fprintf(o->f, "%6s  %s  %s", seq, r->time, r->user);
	if (r->operator_name)
		fprintf(o->f, " (operator %s)", r->operator_name);
	if (r->token_id)
		fprintf(o->f, " [token %s]", r->token_id);
	if (r->client)
		fprintf(o->f, " from %s", r->client);
	fprintf(o->f, "  %s", r->action);
	if (r->object[0])
		fprintf(o->f, " %s", r->object);
	if (r->detail && r->detail[0])
		fprintf(o->f, ": %s", r->detail);
	fprintf(o->f, "  #%.12s\n", hash);
	return 0;
}

void zt_audit_render_end(struct zt_users_out *o)
{
	if (!o->csv && o->rows == 0)
		fputs("no audit records\n", o->f);
}
