/* zhitong — settling on top of the national platform (national.h): the
 * national amounts' ledger legs, and the national platform's list of
 * reversed settlements (docs/spec/claim-v2-national.md, docs/national.md). */
#include "zhitong/national.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/actor.h"
#include "zhitong/alloc.h"
#include "zhitong/claim.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/store.h"

/* ---- the ledger ------------------------------------------------------------ */

int zt_ledger_national_postings(struct zt_posting *out, struct zt_national_accounts *names,
                                int sign, const char *hospital, const struct zt_national_funds *f,
                                zt_fen hifp_pay, zt_fen hifmi_pay, zt_fen maf_pay)
{
	const char *codes[3] = {f->basic, f->critical, f->assistance};
	const zt_fen amounts[3] = {hifp_pay, hifmi_pay, maf_pay};
	const char *kind = sign > 0 ? "settle" : "reverse";
	snprintf(names->claims, sizeof names->claims, "claims:%s", hospital);
	int k = 0;
	for (int i = 0; i < 3; i++) {
		if (amounts[i] <= 0)
			continue;
		snprintf(names->funds[i], sizeof names->funds[i], ZT_ACCOUNT_NATIONAL_PREFIX "%s",
		         codes[i]);
		out[k++] = (struct zt_posting){sign > 0 ? names->funds[i] : names->claims,
		                               sign > 0 ? names->claims : names->funds[i], amounts[i],
		                               kind, NULL};
	}
	return k;
}

/* ---- the reversed list ------------------------------------------------------- */

#define LINE_BYTES_MAX 4096 /* a line of the platform's list: two short cells and a few more */
#define COLUMNS_MAX 64

/* The cells of one CSV line (RFC 4180, no line break inside a cell),
 * unquoted in place: *n cells, ZT_EINVAL for a broken quote. */
static int split_cells(char *line, char *cells[COLUMNS_MAX], int *n)
{
	*n = 0;
	char *r = line;
	for (;;) {
		if (*n == COLUMNS_MAX)
			return zt_error_set(ZT_EINVAL, "more than %d columns", COLUMNS_MAX);
		char *w = r, *cell = r;
		if (*r == '"') {
			for (r++;; r++) {
				if (!*r)
					return zt_error_set(ZT_EINVAL, "a quoted cell is not closed");
				if (*r == '"' && r[1] == '"')
					*w++ = '"', r++;
				else if (*r == '"') {
					r++;
					break;
				} else
					*w++ = *r;
			}
			if (*r && *r != ',')
				return zt_error_set(ZT_EINVAL, "text after a quoted cell");
		} else {
			while (*r && *r != ',')
				w++, r++;
		}
		cells[(*n)++] = cell;
		bool more = *r == ',';
		*w = '\0';
		if (!more)
			return 0;
		r++;
	}
}

struct import {
	struct zt_store *s;
	const struct zt_national_import_req *req;
	struct zt_national_import_res *res;
	char actor[ZT_ACTOR_BYTES];
	int col_id, col_date, columns;
};

static int header(struct import *x, char *line)
{
	char *cells[COLUMNS_MAX];
	int n, rc = split_cells(line, cells, &n);
	if (rc)
		return rc;
	x->col_id = x->col_date = -1;
	x->columns = n;
	for (int i = 0; i < n; i++) {
		int *col = strcmp(cells[i], "setl_id") == 0       ? &x->col_id
		           : strcmp(cells[i], "reversed_on") == 0 ? &x->col_date
		                                                  : NULL;
		if (col && *col >= 0)
			return zt_error_set(ZT_EINVAL, "column '%s' twice", cells[i]);
		if (col)
			*col = i;
	}
	if (x->col_id < 0 || x->col_date < 0)
		return zt_error_set(ZT_EINVAL, "the header names no '%s' column (setl_id,reversed_on "
		                    "expected)", x->col_id < 0 ? "setl_id" : "reversed_on");
	return 0;
}

static int record(struct import *x, char *line)
{
	char *cells[COLUMNS_MAX];
	int n, rc = split_cells(line, cells, &n);
	if (rc)
		return rc;
	if (n != x->columns)
		return zt_error_set(ZT_EINVAL, "%d cells, the header names %d columns", n, x->columns);
	const char *id = cells[x->col_id], *on = cells[x->col_date];
	zt_date date;
	if ((rc = zt_claim_check_national_setl_id(id, strlen(id))) != 0)
		return rc;
	if ((rc = zt_parse_date(&date, on, strlen(on))) != 0)
		return rc;
	bool was_new;
	if ((rc = x->s->ops->claims.national_reversed_put(x->s, id, date, x->req->name, x->actor,
	                                                   &was_new)) != 0)
		return rc;
	x->res->lines++;
	if (was_new)
		x->res->added++;
	else
		x->res->known++;
	return 0;
}

/* Every line of f: the header, then the records; blank lines are skipped. */
static int read_lines(struct import *x, FILE *f)
{
	char *line = zt_malloc(LINE_BYTES_MAX + 2);
	if (!line)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = 0;
	long no = 0;
	bool seen_header = false;
	while (rc == 0 && fgets(line, LINE_BYTES_MAX + 2, f)) {
		no++;
		size_t len = strlen(line);
		if (len > LINE_BYTES_MAX && line[len - 1] != '\n') {
			rc = zt_error_set(ZT_EINVAL, "%s:%ld: the line is longer than %d bytes",
			                  x->req->name, no, LINE_BYTES_MAX);
			break;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		char *p = line;
		if (no == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0) /* a spreadsheet's BOM */
			p += 3;
		if (!*p)
			continue;
		rc = seen_header ? record(x, p) : header(x, p);
		seen_header = true;
		if (rc) {
			char why[ZT_MESSAGE_BYTES_MAX];
			snprintf(why, sizeof why, "%s", zt_error_last());
			rc = zt_error_set(rc, "%s:%ld: %s", x->req->name, no, why);
		}
	}
	if (rc == 0 && ferror(f))
		rc = zt_error_set(ZT_EIO, "%s: cannot read the file", x->req->name);
	if (rc == 0 && !seen_header)
		rc = zt_error_set(ZT_EINVAL, "%s: the file is empty: a header line setl_id,reversed_on "
		                  "is expected", x->req->name);
	free(line);
	return rc;
}

static int count_line(void *ctx, const struct zt_national_reversed_line *l)
{
	(void)l;
	(*(int64_t *)ctx)++;
	return 0;
}

int zt_national_reversed_import(struct zt_store *s, const struct zt_national_import_req *req,
                                struct zt_national_import_res *res)
{
	memset(res, 0, sizeof *res);
	struct import x = {.s = s, .req = req, .res = res};
	int rc = zt_actor_normalize(x.actor, req->actor);
	if (rc)
		return rc;
	FILE *f = fopen(req->path, "rb");
	if (!f)
		return zt_error_set(ZT_EINVAL, "cannot open '%s'", req->path);
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0) {
		fclose(f);
		return rc;
	}
	char detail[96];
	if ((rc = read_lines(&x, f)) == 0 &&
	    (rc = s->ops->claims.national_reversed_live(s, count_line, &res->live)) == 0) {
		snprintf(detail, sizeof detail, "%lld settlements, %lld new", (long long)res->lines,
		         (long long)res->added);
		rc = s->ops->audit.add(s, x.actor, "national-reversed import", req->name, detail);
	}
	fclose(f);
	if (rc == 0)
		return s->ops->commit(s);
	s->ops->rollback(s);
	return rc;
}

struct listing {
	int (*row)(void *ctx, const struct zt_national_reversed_line *l);
	void *ctx;
	int64_t n;
};

static int list_line(void *ctx, const struct zt_national_reversed_line *l)
{
	struct listing *w = ctx;
	w->n++;
	return w->row ? w->row(w->ctx, l) : 0;
}

int zt_national_reversed_list(struct zt_store *s,
                              int (*row)(void *ctx, const struct zt_national_reversed_line *l),
                              void *ctx, int64_t *count)
{
	struct listing w = {row, ctx, 0};
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	if ((rc = s->ops->claims.national_reversed_live(s, list_line, &w)) == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	*count = w.n;
	return rc;
}
