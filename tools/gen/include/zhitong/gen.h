/* zhitong — synthetic worlds: a registry, a policy and a claims file.
 *
 * For benchmarks, demos and tests. The world is deterministic for a given
 * seed (own PRNG, never rand()), uses no floating point, and is written
 * streaming, so memory stays flat however many claims are asked for.
 * Every claim it writes settles: its person is registered in the county
 * the policy covers, dates lie inside the policy year, every item amount is
 * rhu(pric × cnt, 10^6) and every total is the exact sum. */
#ifndef ZHITONG_GEN_H
#define ZHITONG_GEN_H

#include <stdint.h>

struct zt_gen_opts {
	uint64_t claims;  /* claims to write (0 is allowed: an empty <claims>) */
	uint64_t seed;
	const char *county; /* the policy's county, 6 digits; NULL = "510101" */
	int year;           /* policy year; 0 = 2017. Dates fall anywhere in it, so
	                     * a year not yet over gives discharges in the future,
	                     * which the engine rejects. */
	int hospitals;      /* 0 = 12; at most 9999 */
	int people;         /* 0 = max(50, claims/4) capped at 200000 */
	/* outfile.h flags for the three files: 0 refuses a file that is there
	 * with other bytes (the same seed writes the same bytes: generating
	 * again succeeds), ZT_OUT_FORCE replaces it. */
	int out_flags;
	/* Called every 10,000 claims and once at the end, if set. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* Writes OUTDIR/registry.xml, OUTDIR/policy.xml and OUTDIR/claims.xml
 * (creating OUTDIR and its parents if missing), each through the safe
 * output (outfile.h). Returns 0, ZT_EINVAL for bad options (or a symbolic
 * link or directory at a file's name), ZT_ECONFLICT for a file that is
 * there with other bytes (without ZT_OUT_FORCE), ZT_EIO if a file cannot be
 * written. */
int zt_gen_world(const struct zt_gen_opts *o, const char *outdir);

#endif
