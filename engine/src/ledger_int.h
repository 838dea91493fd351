/* zhitong — the ledger's private parts: one pass over the hospitals'
 * accounts (ledger_hospitals.c). */
#ifndef ZHITONG_LEDGER_INT_H
#define ZHITONG_LEDGER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "zhitong/money.h"
#include "zhitong/registry.h"

struct zt_store;

#define HOSPITAL_PREFIX "hospital:"
#define HOSPITAL_PREFIX_LEN 9
#define FUND_PREFIX "fund:"
#define FUND_PREFIX_LEN 5

struct hosp {
	struct zt_hospital h;
	zt_fen advanced, earned, balance, window_earned;
	char since[32];
};

struct ledger_pass {
	struct hosp *v;
	size_t n, cap;
	/* The earnings window as store timestamps: the first instant of its
	 * first pool-local day and of the day after its last; from[0] == 0: no
	 * window. */
	char from[ZT_FMT_BYTES], until[ZT_FMT_BYTES];
};

/* Every hospital of the registry with its totals from the ledger (set
 * from/until first for a window, or leave from[0] = 0). */
int ledger_pass_run(struct zt_store *s, struct ledger_pass *p);
void ledger_pass_free(struct ledger_pass *p);
/* The hospital of `code` in a pass that has run, or NULL. */
struct hosp *find_hospital(const struct ledger_pass *p, const char *code);

#endif
