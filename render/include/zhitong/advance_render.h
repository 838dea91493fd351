/* zhitong — advances rendered (render/src/advance_text.c): a plan, the
 * hospitals' status and the advances issued, as the text and CSV (csv.h)
 * of `zhitong advance`, for the CLI and the HTTP service alike. Pure:
 * data in, bytes out to a FILE. */
#ifndef ZHITONG_ADVANCE_RENDER_H
#define ZHITONG_ADVANCE_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "zhitong/advance.h"
#include "zhitong/csv.h"

struct zt_advance_out {
	FILE *f;
	bool csv;
	struct zt_csv w;
};
/* CSV with a UTF-8 byte order mark if `bom`. */
void zt_advance_out_init(struct zt_advance_out *o, FILE *f, bool csv, bool bom);

/* A plan (with its approval and issue when `with_state`). */
void zt_advance_render_plan(struct zt_advance_out *o, const struct zt_advance_plan *p,
                            bool with_state);
/* `advance status`: the header, then one row per hospital (a callback of
 * zt_advance_status, ctx the zt_advance_out). */
void zt_advance_render_status_header(struct zt_advance_out *o);
int zt_advance_render_status_row(void *ctx, const struct zt_advance_status *st);
/* `advance list`: the header, then one row per advance (zt_advance_list). */
void zt_advance_render_list_header(struct zt_advance_out *o);
int zt_advance_render_list_row(void *ctx, const struct zt_advance *x);

#endif
