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

#include <stdbool.h>
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
	/* Rules v2 and claim v2 (all off by default: the same three v1 files,
	 * byte for byte, as before these options existed).
	 *   catalog: also OUTDIR/catalog.xml, the insurer's catalogue of the
	 *     world (docs/spec/rules-v2.md §2): entries with and without
	 *     ceilings per level, codes left out of it, codes whose class
	 *     changes mid-year or that have a gap between two entries, classes
	 *     that differ from what every hospital sends; and some hospitals
	 *     send a class of their own for some codes (claims.xml changes).
	 *   catalog_entries: pad the catalogue to this many entries with codes
	 *     no claim uses (0, or fewer than the world's own: the world's own
	 *     codes only, about 630 entries).
	 *   periods: registry.xml in v2, with category periods (§3) for about
	 *     one person in eight: entering poverty, leaving it, moving from
	 *     lowinc to destitute during the year.
	 *   national: a supplementary world (docs/spec/claim-v2-national.md):
	 *     policy.xml is a supplementary policy v2 of the county; claims.xml
	 *     is claim v2, each claim with <national> holding what the
	 *     generator's own full policy (the policy.xml of a world without
	 *     this option) settles for the stay with the engine's split, half
	 *     of them with the five bill fields, and about one in fifty
	 *     inconsistent (to be rejected national-mismatch). */
	bool catalog;
	int catalog_entries;
	bool periods;
	bool national;
	/* Called every 10,000 claims and once at the end, if set. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* Writes OUTDIR/registry.xml, OUTDIR/policy.xml and OUTDIR/claims.xml
 * (and OUTDIR/catalog.xml with `catalog`)
 * (creating OUTDIR and its parents if missing), each through the safe
 * output (outfile.h). Returns 0, ZT_EINVAL for bad options (or a symbolic
 * link or directory at a file's name), ZT_ECONFLICT for a file that is
 * there with other bytes (without ZT_OUT_FORCE), ZT_EIO if a file cannot be
 * written. */
int zt_gen_world(const struct zt_gen_opts *o, const char *outdir);

#endif
