/* zhitong — `claim list --national-reversed` (render_national.h). */
#include "zhitong/render_national.h"

#include <errno.h>
#include <string.h>

#include "zhitong/error.h"

static int file_ok(FILE *f)
{
	if (ferror(f))
		return zt_error_set(ZT_EIO, "cannot write the list: %s", strerror(errno ? errno : EIO));
	return 0;
}

int zt_national_list_begin(struct zt_national_list_render *r, FILE *f, bool csv, bool bom)
{
	*r = (struct zt_national_list_render){.csv = csv, .f = f};
	if (csv) {
		zt_csv_init(&r->w, f, bom);
		zt_csv_header(&r->w, "national_setl_id,reversed_on,setl_id,fixmedins_code,claim_no,"
		                     "psn_no,dscg_date,medfee_sumamt,oth_pay,hosp_part_amt");
	} else
		fprintf(f, "%-40s %-10s  %-16s %-12s %-16s %-12s %14s %12s %12s\n", "national setl_id",
		        "reversed", "setl_id", "hospital", "claim_no", "person", "medfee_sumamt",
		        "oth_pay", "hosp_part");
	return file_ok(f);
}

int zt_national_list_row(void *render, const struct zt_national_reversed_line *l)
{
	struct zt_national_list_render *x = render;
	char on[ZT_FMT_BYTES], d[ZT_FMT_BYTES], m[ZT_FMT_BYTES], o[ZT_FMT_BYTES], h[ZT_FMT_BYTES];
	x->rows++;
	zt_format_date(on, l->reversed_on);
	zt_format_date(d, l->dscg_date);
	zt_format_amount(m, l->medfee_sumamt);
	zt_format_amount(o, l->oth_pay);
	zt_format_amount(h, l->hosp_part_amt);
	if (x->csv) {
		const char *row[] = {l->national_setl_id, on, l->setl_id, l->fixmedins_code,
		                     l->claim_no, l->psn_no, d, m, o, h};
		zt_csv_row(&x->w, row, sizeof row / sizeof *row);
	} else
		fprintf(x->f, "%-40s %-10s  %-16s %-12s %-16s %-12s %14s %12s %12s\n",
		        l->national_setl_id, on, l->setl_id, l->fixmedins_code, l->claim_no, l->psn_no,
		        m, o, h);
	return file_ok(x->f);
}

int zt_national_list_end(struct zt_national_list_render *r)
{
	if (!r->csv)
		fprintf(r->f, "%lld settlement%s to reverse: the national platform reversed the "
		        "national settlement %s stand%s on\n", (long long)r->rows,
		        r->rows == 1 ? "" : "s", r->rows == 1 ? "it" : "they", r->rows == 1 ? "s" : "");
	return file_ok(r->f);
}
