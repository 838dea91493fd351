/* zhitong — `claim list --national-reversed` as text and CSV: the live
 * settlements standing on a national settlement the national platform
 * reversed (national.h). Pure: data in, bytes out on a FILE the caller
 * owns. Each function returns 0 or ZT_EIO when the FILE fails. */
#ifndef ZHITONG_RENDER_NATIONAL_H
#define ZHITONG_RENDER_NATIONAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zhitong/csv.h"
#include "zhitong/store.h"

/* CSV header:
 * national_setl_id,reversed_on,setl_id,fixmedins_code,claim_no,psn_no,dscg_date,
 * medfee_sumamt,oth_pay,hosp_part_amt */
struct zt_national_list_render {
	bool csv;
	FILE *f;
	struct zt_csv w;
	int64_t rows;
};
int zt_national_list_begin(struct zt_national_list_render *r, FILE *f, bool csv, bool bom);
/* A row (the callback of zt_national_reversed_list: ctx is the render). */
int zt_national_list_row(void *render, const struct zt_national_reversed_line *l);
int zt_national_list_end(struct zt_national_list_render *r);

#endif
