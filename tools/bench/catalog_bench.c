/* zhitong-catalog-bench — the insurer's catalogue (docs/spec/rules-v2.md
 * §2) at the size of a real one: how long a catalogue of 200,000 entries
 * takes to read, what it costs in memory, and what a lookup by (code, date)
 * costs the claims path, where one is made for every item.
 *
 * The catalogue is a generated world's (gen.h, --catalog) padded to
 * --entries with codes no claim uses; the claims are that world's. Timed in
 * this process:
 *   read       zt_catalog_parse_file (streamed, validated, every rule)
 *   lookups    --lookups zt_catalog_find of codes drawn from the catalogue
 *              (9 in 10) and codes it does not list (1 in 10), on dates
 *              across the year
 *   classify   zt_catalog_classify + zt_classify_items over every claim of
 *              the world, against zt_classify alone (the v1 path), items
 *              per second both ways
 * Reading is given in wall and CPU seconds, the rest in CPU seconds: on a
 * machine shared with other work the CPU time is what the step costs.
 * This is a tool, not the engine: timings are doubles here. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "zhitong/catalog.h"
#include "zhitong/error.h"
#include "zhitong/gen.h"
#include "zhitong/policy.h"
#include "zhitong/split.h"
#include "zhitong/xml.h"

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a machine shared with other work, what
 * the step itself costs (the wall clock says what it took). */
static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static uint64_t rng_state = 20170310;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The world's claims, read with libxml2 (the bench measures the
 * catalogue, not the claim reader). */
static const xmlNode *el(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static const char *text(const xmlNode *n, const char *name)
{
	static char buf[128];
	const xmlNode *c = el(n, name);
	if (!c)
		return NULL;
	xmlChar *t = xmlNodeGetContent(c);
	snprintf(buf, sizeof buf, "%s", (const char *)t);
	xmlFree(t);
	return buf;
}

static int read_claims(struct zt_claim **out, int *count, const char *path)
{
	char *xml = NULL;
	size_t len = 0;
	int rc = zt_read_file(&xml, &len, path, 1u << 30);
	if (rc)
		return rc;
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, path, "UTF-8", XML_PARSE_NONET | XML_PARSE_HUGE);
	free(xml);
	if (!doc)
		return zt_error_set(ZT_EMALFORMED, "%s: not readable", path);
	int n = 0, cap = 1024;
	struct zt_claim *claims = calloc((size_t)cap, sizeof *claims);
	for (const xmlNode *c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (n == cap)
			claims = realloc(claims, (size_t)(cap *= 2) * sizeof *claims);
		struct zt_claim *k = &claims[n++];
		zt_claim_init(k);
		zt_parse_date(&k->dscg_date, text(c, "dscg_date"), 10);
		const char *m = text(c, "medfee_sumamt");
		zt_parse_amount(&k->medfee_sumamt, m, strlen(m));
		for (const xmlNode *i = el(c, "items")->children; i; i = i->next) {
			if (i->type != XML_ELEMENT_NODE)
				continue;
			struct zt_item *it = zt_claim_add_item(k);
			snprintf(it->med_list_codg, sizeof it->med_list_codg, "%s", text(i, "med_list_codg"));
			it->chrgitm_lv = atoi(text(i, "chrgitm_lv"));
			const char *v = text(i, "pric");
			zt_parse_q4(&it->pric, v, strlen(v));
			v = text(i, "cnt");
			zt_parse_q4(&it->cnt, v, strlen(v));
			v = text(i, "det_item_fee_sumamt");
			zt_parse_amount(&it->det_item_fee_sumamt, v, strlen(v));
			if ((v = text(i, "pric_uplmt_amt")) != NULL) {
				it->has_pric_uplmt = true;
				zt_parse_q4(&it->pric_uplmt_amt, v, strlen(v));
			}
			if ((v = text(i, "selfpay_prop")) != NULL) {
				it->has_selfpay_prop = true;
				zt_parse_ratio(&it->selfpay_prop_bp, v, strlen(v));
			}
		}
	}
	xmlFreeDoc(doc);
	*out = claims;
	*count = n;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: zhitong-catalog-bench [--entries N] [--lookups N] [--claims N] [--dir D]\n"
	           "  --entries N   catalogue entries (default 200000)\n"
	           "  --lookups N   lookups timed (default 1000000)\n"
	           "  --claims N    claims of the world classified (default 20000)\n"
	           "  --dir D       work in D (default a new directory under /tmp, removed)\n");
}

int main(int argc, char **argv)
{
	long entries = 200000, lookups = 1000000, nclaims = 20000;
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc)
			entries = atol(argv[++i]);
		else if (strcmp(argv[i], "--lookups") == 0 && i + 1 < argc)
			lookups = atol(argv[++i]);
		else if (strcmp(argv[i], "--claims") == 0 && i + 1 < argc)
			nclaims = atol(argv[++i]);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	char tmp[] = "/tmp/zhitong-catalog-bench-XXXXXX";
	if (!dir && !(dir = mkdtemp(tmp))) {
		perror("mkdtemp");
		return 1;
	}
	zt_xml_init();
	char path[4096];
	struct zt_gen_opts o = {.claims = (uint64_t)nclaims, .seed = 7, .catalog = true,
	                        .catalog_entries = (int)entries};
	double t0 = now_seconds();
	if (zt_gen_world(&o, dir) != 0) {
		fprintf(stderr, "gen: %s\n", zt_error_last());
		return 1;
	}
	printf("world: %ld claims, a catalogue of %ld entries (gen %.2f s)\n", nclaims, entries,
	       now_seconds() - t0);

	long rss0 = rss_kb();
	snprintf(path, sizeof path, "%s/catalog.xml", dir);
	struct zt_catalog *cat = NULL;
	t0 = now_seconds();
	double c0 = cpu_seconds();
	if (zt_catalog_parse_file(&cat, path) != 0) {
		fprintf(stderr, "catalogue: %s\n", zt_error_last());
		return 1;
	}
	double t_read = now_seconds() - t0, c_read = cpu_seconds() - c0;
	size_t n = zt_catalog_count(cat);
	printf("read       %zu entries in %.3f s (%.3f s of CPU, %.0f entries/s), peak RSS +%.1f MiB\n",
	       n, t_read, c_read, (double)n / c_read, (double)(rss_kb() - rss0) / 1024.0);

	/* the codes to look up, drawn before the clock starts */
	const char **codes = malloc((size_t)lookups * sizeof *codes);
	zt_date *days = malloc((size_t)lookups * sizeof *days);
	static const char *const missing[] = {"XZ00NOT0000A001010100000", "001999999990000-999999999",
	                                      "C99999999999999999999", "ZZ9999"};
	for (long i = 0; i < lookups; i++) {
		uint64_t r = rnd();
		codes[i] = r % 10 == 0 ? missing[r / 10 % 4] : zt_catalog_entry_at(cat, r / 10 % n)->code;
		days[i] = 20170101 + (zt_date)(r / 100 % 12) * 100 + (zt_date)(r / 2000 % 28);
	}
	long found = 0;
	t0 = cpu_seconds();
	for (long i = 0; i < lookups; i++)
		found += zt_catalog_find(cat, codes[i], days[i]) != NULL;
	double t_find = cpu_seconds() - t0;
	printf("lookups    %ld in %.3f s of CPU: %.0f ns each (%ld found)\n", lookups, t_find,
	       t_find * 1e9 / (double)lookups, found);

	/* the claims path's part: classify every claim with and without */
	struct zt_claim *claims = NULL;
	int count = 0;
	snprintf(path, sizeof path, "%s/claims.xml", dir);
	if (read_claims(&claims, &count, path) != 0) {
		fprintf(stderr, "claims: %s\n", zt_error_last());
		return 1;
	}
	struct zt_policy pol;
	snprintf(path, sizeof path, "%s/policy.xml", dir);
	if (zt_policy_parse_file(&pol, path) != 0) {
		fprintf(stderr, "policy: %s\n", zt_error_last());
		return 1;
	}
	long items = 0;
	for (int i = 0; i < count; i++)
		items += claims[i].item_count;
	struct zt_item_class *eff = malloc(ZT_ITEMS_PER_CLAIM_MAX * sizeof *eff);
	struct zt_classified cls;
	char msg[ZT_MESSAGE_BYTES_MAX];
	int differ = 0;
	const int rounds = 5;
	t0 = cpu_seconds();
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < count; i++)
			zt_classify(&cls, &pol, &claims[i], msg);
	double t_v1 = (cpu_seconds() - t0) / rounds;
	t0 = cpu_seconds();
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < count; i++) {
			differ += zt_catalog_classify(eff, cat, 1 + i % 4, claims[i].dscg_date, &claims[i]);
			zt_classify_items(&cls, &pol, &claims[i], eff, msg);
		}
	double t_v2 = (cpu_seconds() - t0) / rounds;
	printf("classify   %d claims, %ld items: %.1f ms without a catalogue, %.1f ms with one "
	       "(+%.0f ns an item; %d items differ)\n",
	       count, items, t_v1 * 1e3, t_v2 * 1e3, (t_v2 - t_v1) * 1e9 / (double)items,
	       differ / rounds);
	/* against `claim submit`: about 10,000 claims/s of 20 items (README) */
	printf("           the catalogue adds %.2f%% to a claims path of 100 us a claim\n",
	       (t_v2 - t_v1) / (double)count * 1e6 / 100.0 * 100.0);

	free(eff);
	for (int i = 0; i < count; i++)
		zt_claim_free(&claims[i]);
	free(claims);
	free(codes);
	free(days);
	zt_catalog_free(cat);
	if (dir == tmp) {
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}
