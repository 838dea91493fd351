/* zhitong — the patient's settlement slip, as data for its renderers. */
#ifndef ZT_SLIP_H
#define ZT_SLIP_H

#include <stdio.h>

#include "zhitong/money.h"

struct slip_row {
	const char *label;
	zt_fen amount;
};

struct slip {
	const char *setl_id, *hospital, *hospital_name, *person_name, *psn_no, *id_masked;
	const char *claim_no, *adm, *dscg, *settled_at;
	const char *void_text; /* NULL, or "作废 VOID: reversed by …": printed first */
	int row_count;
	struct slip_row rows[8];
	char qr_text[640];
};

/* Writes the slip as a one-page A5 PDF. */
int zt_slip_pdf(FILE *out, const struct slip *s);

#endif
