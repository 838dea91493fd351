/* zhitong — users and the audit trail rendered (render/src/users_text.c):
 * `user list` and `audit list` as text and CSV (csv.h), for the CLI and
 * the service alike. Pure: rows in, bytes out to a FILE; never a token
 * (users.h hands out its id only). */
#ifndef ZHITONG_USERS_RENDER_H
#define ZHITONG_USERS_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "zhitong/audit.h"
#include "zhitong/csv.h"
#include "zhitong/users.h"

struct zt_users_out {
	bool csv, bom;
	struct zt_csv w;
	FILE *f;
	int64_t rows;
};

/* Starts the output (the CSV header). */
void zt_users_render_begin(struct zt_users_out *o);
/* zt_users_list's callback (ctx: the zt_users_out). */
int zt_users_render_row(void *ctx, const struct zt_user_line *u);
/* The end: text says "no users" when there were none. */
void zt_users_render_end(struct zt_users_out *o);

/* `audit list`: the same for audit records (zt_audit_trail_list). */
void zt_audit_render_begin(struct zt_users_out *o);
int zt_audit_render_row(void *ctx, const struct zt_audit_record *r);
void zt_audit_render_end(struct zt_users_out *o);

#endif
