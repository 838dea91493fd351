/* zhitong — claim values, their canonical form and digest (see claim.h). */
#include "zhitong/claim.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "digest_int.h"
#include "zhitong/alloc.h"
#include "zhitong/error.h"

void zt_claim_init(struct zt_claim *c) { memset(c, 0, sizeof *c); }

void zt_claim_free(struct zt_claim *c)
{
	free(c->items);
	memset(c, 0, sizeof *c);
}

void zt_claim_reset(struct zt_claim *c)
{
	struct zt_item *items = c->items;
	int cap = c->item_cap;
	memset(c, 0, sizeof *c);
	c->items = items;
	c->item_cap = cap;
}

struct zt_item *zt_claim_add_item(struct zt_claim *c)
{
	if (c->item_count >= ZT_ITEMS_PER_CLAIM_MAX)
		return NULL;
	if (c->item_count == c->item_cap) {
		int cap = c->item_cap ? c->item_cap * 2 : 64;
		if (cap > ZT_ITEMS_PER_CLAIM_MAX)
			cap = ZT_ITEMS_PER_CLAIM_MAX;
		struct zt_item *n = zt_realloc(c->items, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		c->items = n;
		c->item_cap = cap;
	}
	struct zt_item *it = &c->items[c->item_count++];
	memset(it, 0, sizeof *it);
	return it;
}

/* Appends the decimal digits of v (v >= 0 here: every field is checked
 * non-negative by the parsers; a negative one is written with its sign). */
static char *put_int(char *p, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*p++ = '-';
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t l = strlen(s);
	memcpy(p, s, l);
	return p + l;
}

/* One item as a canonical line. Text fields cannot contain tabs or
 * newlines after XML white-space collapsing, so the form is unambiguous.
 * Hand-formatted: this runs for every item of every claim. */
static int item_line(char *buf, size_t cap, const struct zt_item *it)
{
	(void)cap; /* ITEM_LINE_MAX bounds every field */
	char *p = buf;
	p = put_str(p, it->feedetl_sn);
	*p++ = '\t';
	p = put_str(p, it->med_list_codg);
	*p++ = '\t';
	p = put_str(p, it->med_chrgitm_type);
	*p++ = '\t';
	p = put_int(p, it->chrgitm_lv);
	*p++ = '\t';
	p = put_int(p, it->pric);
	*p++ = '\t';
	p = put_int(p, it->cnt);
	*p++ = '\t';
	p = put_int(p, it->det_item_fee_sumamt);
	*p++ = '\t';
	if (it->has_pric_uplmt)
		p = put_int(p, it->pric_uplmt_amt);
	*p++ = '\t';
	if (it->has_selfpay_prop)
		p = put_int(p, it->selfpay_prop_bp);
	*p++ = '\n';
	*p = '\0';
	return (int)(p - buf);
}

#define ITEM_LINE_MAX (ZT_UTF8_BYTES(ZT_CODE_CHARS_MAX) + ZT_UTF8_BYTES(ZT_LIST_CODE_CHARS_MAX) + 128)

char *zt_claim_items_text(const struct zt_claim *c)
{
	size_t cap = (size_t)c->item_count * 96 + 64, len = 0;
	char *buf = zt_malloc(cap);
	if (!buf) {
		zt_error_set(ZT_ENOMEM, "out of memory");
		return NULL;
	}
	char line[ITEM_LINE_MAX];
	for (int i = 0; i < c->item_count; i++) {
		int n = item_line(line, sizeof line, &c->items[i]);
		if (len + (size_t)n + 1 > cap) {
			cap = (cap + (size_t)n) * 2;
			char *nb = zt_realloc(buf, cap);
			if (!nb) {
				free(buf);
				zt_error_set(ZT_ENOMEM, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* The v2 fields as four canonical lines (none holds a tab or a line
 * break: identifiers, a one-line name, numbers, printable ASCII). */
static int v2_lines(char *buf, size_t cap, const struct zt_claim *c)
{
	char deposit[24] = "", national[ZT_NATIONAL_SETL_ID_CHARS_MAX + 8 * 24] = "";
	if (c->has_deposit)
		snprintf(deposit, sizeof deposit, "%lld", (long long)c->deposit);
	if (c->has_national) {
		const struct zt_claim_national *n = &c->national;
		int k = snprintf(national, sizeof national, "%s\t%lld\t%lld\t%lld", n->setl_id,
		                 (long long)n->hifp_pay, (long long)n->hifmi_pay, (long long)n->maf_pay);
		if (n->has_bill_fields && k > 0)
			snprintf(national + k, sizeof national - (size_t)k, "\t%lld\t%lld\t%lld\t%lld\t%lld",
			         (long long)n->fulamt_ownpay_amt, (long long)n->overlmt_selfpay,
			         (long long)n->preselfpay_amt, (long long)n->inscp_scp_amt,
			         (long long)n->act_pay_dedc);
	}
	return snprintf(buf, cap, "%s\n%s\n%s\n%s\n", c->ipt_no, c->dept_name, deposit, national);
}

int zt_claim_digest(unsigned char out[ZT_DIGEST_BYTES], const struct zt_claim *c,
                    const char *items_text)
{
	char *own = NULL;
	if (!items_text) {
		own = zt_claim_items_text(c);
		if (!own)
			return ZT_ENOMEM;
		items_text = own;
	}
	/* v1: exactly the form digests have been stored in since version 1 */
	char head[2048];
	int n = snprintf(head, sizeof head, "zhitong-claim-%d\n%s\n%s\n%s\n%d\n%d\n%s\n%lld\n%d\n",
	                 c->version == 2 ? 2 : 1, c->fixmedins_code, c->claim_no, c->psn_no,
	                 c->adm_date, c->dscg_date, c->dscg_maindiag_code,
	                 (long long)c->medfee_sumamt, c->item_count);
	if (c->version == 2 && n > 0 && (size_t)n < sizeof head)
		n += v2_lines(head + n, sizeof head - (size_t)n, c);
	assert(n > 0 && (size_t)n < sizeof head);
	int rc = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	if (!md || EVP_DigestInit_ex(md, zt_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, head, (size_t)n) != 1 ||
	    EVP_DigestUpdate(md, items_text, strlen(items_text)) != 1 ||
	    EVP_DigestFinal_ex(md, out, &len) != 1 || len != ZT_DIGEST_BYTES)
		rc = zt_error_set(ZT_EINTERNAL, "sha256 failed");
	EVP_MD_CTX_free(md);
	free(own);
	return rc;
}

/* ---- what no schema can say ----------------------------------------- */

int zt_claim_check_national_setl_id(const char *s, size_t len)
{
	if (len == 0 || len > ZT_NATIONAL_SETL_ID_CHARS_MAX)
		return zt_error_set(ZT_EINVAL, "the national setl_id has %zu characters: it has 1 to %d",
		                    len, ZT_NATIONAL_SETL_ID_CHARS_MAX);
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return zt_error_set(ZT_EINVAL, "the national setl_id holds %s at character %zu: "
			                    "it is printable ASCII without spaces",
			                    s[i] == ' ' ? "a space" : "a character outside printable ASCII",
			                    i + 1);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int zt_claim_check(const struct zt_claim *c, char *msg, size_t msg_bytes)
{
	if (c->has_national &&
	    zt_claim_check_national_setl_id(c->national.setl_id, strlen(c->national.setl_id)) != 0) {
		snprintf(msg, msg_bytes, "<national>: %s", zt_error_last());
		return ZT_EINVAL;
	}
	if (c->item_count < 2)
		return 0;
	const char **sorted = zt_malloc((size_t)c->item_count * sizeof *sorted);
	if (!sorted) {
		snprintf(msg, msg_bytes, "out of memory");
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	for (int i = 0; i < c->item_count; i++)
		sorted[i] = c->items[i].feedetl_sn;
	qsort(sorted, (size_t)c->item_count, sizeof *sorted, cmp_str);
	int rc = 0;
	for (int i = 1; i < c->item_count && rc == 0; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0) {
			snprintf(msg, msg_bytes, "feedetl_sn '%.60s' appears more than once", sorted[i]);
			rc = ZT_EINVAL;
		}
	free(sorted);
	return rc;
}

/* One decimal field of a canonical line: digits with an optional leading
 * '-', at most 18 of them; empty when `empty_ok` (an absent optional). */
static bool parse_field_int(int64_t *out, bool *present, const char *s, size_t n, bool empty_ok)
{
	*present = n > 0;
	if (n == 0)
		return empty_ok;
	size_t i = s[0] == '-';
	if (i == n || n - i > 18)
		return false;
	int64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = s[0] == '-' ? -v : v;
	return true;
}

int zt_claim_items_parse(struct zt_claim *c, const char *text, char *msg, size_t msg_bytes)
{
	c->item_count = 0;
	const char *p = text;
	int line = 0;
	while (*p) {
		line++;
		const char *end = strchr(p, '\n');
		if (!end) {
			snprintf(msg, msg_bytes, "item line %d does not end with a line break", line);
			return ZT_EINVAL;
		}
		const char *f[9];
		size_t len[9];
		int nf = 0;
		const char *q = p;
		while (nf < 9) {
			const char *tab = memchr(q, '\t', (size_t)(end - q));
			const char *stop = tab ? tab : end;
			f[nf] = q;
			len[nf++] = (size_t)(stop - q);
			if (!tab)
				break;
			q = tab + 1;
		}
		if (nf != 9 || f[8] + len[8] != end) {
			snprintf(msg, msg_bytes, "item line %d has %s fields, not 9", line,
			         nf < 9 ? "fewer" : "more");
			return ZT_EINVAL;
		}
		if (c->item_count >= ZT_ITEMS_PER_CLAIM_MAX) {
			snprintf(msg, msg_bytes, "more than %d item lines", ZT_ITEMS_PER_CLAIM_MAX);
			return ZT_EINVAL;
		}
		struct zt_item *it = zt_claim_add_item(c);
		if (!it) {
			snprintf(msg, msg_bytes, "out of memory");
			return ZT_ENOMEM;
		}
		int64_t lv = 0, sp = 0;
		bool present;
		bool ok = len[0] < sizeof it->feedetl_sn && len[1] < sizeof it->med_list_codg &&
		          len[2] < sizeof it->med_chrgitm_type;
		if (ok) {
			memcpy(it->feedetl_sn, f[0], len[0]);
			memcpy(it->med_list_codg, f[1], len[1]);
			memcpy(it->med_chrgitm_type, f[2], len[2]);
		}
		ok = ok && parse_field_int(&lv, &present, f[3], len[3], false) &&
		     parse_field_int(&it->pric, &present, f[4], len[4], false) &&
		     parse_field_int(&it->cnt, &present, f[5], len[5], false) &&
		     parse_field_int(&it->det_item_fee_sumamt, &present, f[6], len[6], false) &&
		     parse_field_int(&it->pric_uplmt_amt, &it->has_pric_uplmt, f[7], len[7], true) &&
		     parse_field_int(&sp, &it->has_selfpay_prop, f[8], len[8], true) &&
		     lv >= INT32_MIN && lv <= INT32_MAX && sp >= INT32_MIN && sp <= INT32_MAX;
		if (!ok) {
			snprintf(msg, msg_bytes, "item line %d is not a canonical item line", line);
			return ZT_EINVAL;
		}
		it->chrgitm_lv = (int)lv;
		it->selfpay_prop_bp = (zt_bp)sp;
		p = end + 1;
	}
	return 0;
}
