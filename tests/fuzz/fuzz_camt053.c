/* zhitong — fuzz target: the bank statement reader (iso20022.h,
 * camt.053.001.02 and .08; docs/reconciliation.md).
 *
 * The input is a statement. Every entry reported obeys iso20022.h: an
 * amount in whole fen within range, a currency of three capitals, real
 * dates or none, a known status, a digest of 64 hex digits; the two-pass
 * reader and the single-pass one agree — the same verdict, and for an
 * accepted statement the same entries with the same digests. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/iso20022.h"
#include "zhitong/xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	zt_xml_init();
	return 0;
}

#define KEEP 64

struct seen {
	int count;
	char digests[KEEP][65];
};

static int entry(void *ctx, const struct zt_camt_statement *st, const struct zt_camt_entry *e)
{
	struct seen *s = ctx;
	ZT_FUZZ_CHECK(st->version == 2 || st->version == 8, "version %d", st->version);
	ZT_FUZZ_CHECK(e->amount >= 0 && e->amount <= ZT_FEN_MAX, "amount %lld", (long long)e->amount);
	ZT_FUZZ_CHECK(strlen(e->currency) == 3, "currency '%s'", e->currency);
	for (int i = 0; i < 3; i++)
		ZT_FUZZ_CHECK(e->currency[i] >= 'A' && e->currency[i] <= 'Z', "currency '%s'",
		              e->currency);
	ZT_FUZZ_CHECK(e->booking_date == 0 || zt_date_valid(e->booking_date), "booking %d",
	              e->booking_date);
	ZT_FUZZ_CHECK(e->value_date == 0 || zt_date_valid(e->value_date), "value %d", e->value_date);
	ZT_FUZZ_CHECK(strlen(e->digest) == 64 && strspn(e->digest, "0123456789abcdef") == 64,
	              "digest '%s'", e->digest);
	ZT_FUZZ_CHECK(strlen(e->status) < sizeof e->status && strlen(e->entry_ref) < sizeof e->entry_ref,
	              "unterminated field");
	for (int i = 0; i < s->count && i < KEEP; i++)
		ZT_FUZZ_CHECK(strcmp(s->digests[i], e->digest) != 0, "digest '%s' twice", e->digest);
	if (s->count < KEEP)
		memcpy(s->digests[s->count], e->digest, 65);
	s->count++;
	return 0;
}

static void read_both(const uint8_t *data, size_t size)
{
	const char *path = zt_fuzz_file(data, size);
	struct seen a = {0}, b = {0};
	int rc = zt_camt053_read(path, entry, &a);
	if (rc)
		ZT_FUZZ_CHECK(rc < 0 && a.count == 0 && zt_error_last()[0],
		              "refused (%d) after %d entries", rc, a.count);
	int rc2 = zt_camt053_read_once(path, entry, &b);
	ZT_FUZZ_CHECK((rc == 0) == (rc2 == 0), "two passes %d, one pass %d", rc, rc2);
	if (rc == 0) {
		ZT_FUZZ_CHECK(a.count == b.count, "%d entries, then %d", a.count, b.count);
		for (int i = 0; i < a.count && i < KEEP; i++)
			ZT_FUZZ_CHECK(strcmp(a.digests[i], b.digests[i]) == 0, "entry %d differs", i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	read_both(data, size);
	return 0;
}
