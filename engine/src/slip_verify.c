/* zhitong — the slip's verification as a use case (slip.h zt_slip_verify,
 * docs/slip.md "Checking a slip"): a code in, the verdict out, with the
 * settlement's slip as it stands now when the code is genuine. What the
 * verdict looks like to people is the renderer's (render/slip_verify.c). */
#include "zhitong/slip.h"
#include "zhitong/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"
#include "zhitong/store.h"

/* The settlements (not the reversals), by setl_id. */
struct ids {
	char (*id)[32];
	int n, cap;
};

static int collect(void *ctx, const struct zt_claim_line *l)
{
	struct ids *x = ctx;
	if (strcmp(l->kind, "settle") != 0)
		return 0;
	if (x->n == x->cap) {
		int cap = x->cap ? x->cap * 2 : 64;
		void *p = zt_realloc(x->id, sizeof *x->id * (size_t)cap);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		x->id = p;
		x->cap = cap;
	}
	snprintf(x->id[x->n++], sizeof *x->id, "%s", l->setl_id);
	return 0;
}

/* The setl_id whose stored content gives `code` under `key`, in `found`
 * ("" when none), looking at every settlement in one read snapshot. */
static int search(struct zt_store *s, const struct zt_slipcode *code,
                  const struct zt_slip_key *key, char found[32])
{
	struct ids x = {0};
	struct zt_stored_settlement *st = zt_malloc(sizeof *st);
	/* the content a settlement's code covers, from its stored row
	 * (zt_slip_stored_code_content: the slip's fund lines, the national
	 * ones first); used only to find the candidate, the verdict is the
	 * built slip's */
	struct zt_slipcode_fund f[ZT_SLIP_FUNDS_MAX];
	struct zt_slipcode_content c;
	const struct zt_claim_filter all = {0};
	found[0] = '\0';
	if (!st)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc) {
		free(st);
		return rc;
	}
	rc = s->ops->claims.list(s, &all, collect, &x);
	for (int i = 0; rc == 0 && i < x.n && !found[0]; i++) {
		int64_t row;
		if ((rc = s->ops->claims.find_setl_id(s, x.id[i], &row)) ||
		    (rc = s->ops->claims.get(s, row, st)))
			break;
		if ((rc = zt_slip_stored_code_content(&c, f, st)))
			break;
		if (zt_slipcode_check(code, key->bytes, key->len, &c) == 0)
			snprintf(found, 32, "%s", st->setl_id);
		else
			zt_error_clear();
	}
	s->ops->rollback(s);
	free(st);
	free(x.id);
	return rc;
}

int zt_slip_verify(struct zt_store *s, const struct zt_slip_verify_req *req,
                   struct zt_slip_verify_res *res)
{
	memset(res, 0, sizeof *res);
	res->verdict = ZT_SLIP_NOT_A_CODE;
	if (!req->keys || req->keys->count == 0)
		return zt_error_set(ZT_EINVAL, "no slip key is configured ([slip] key): slips cannot "
		                    "be checked");
	struct zt_slipcode code;
	const char *text = req->code ? zt_slipcode_in_qr(req->code) : "";
	if (zt_slipcode_parse(&code, text) != 0) {
		zt_error_clear();
		return 0;
	}
	memcpy(res->key_id, code.key_id, sizeof res->key_id);
	const struct zt_slip_key *key = zt_slip_keys_find(req->keys, code.key_id);
	if (!key) {
		res->verdict = ZT_SLIP_UNKNOWN_KEY;
		return 0;
	}
	res->verdict = ZT_SLIP_NOT_GENUINE;
	char setl_id[32];
	int rc;
	if (req->setl_id)
		snprintf(setl_id, sizeof setl_id, "%s", req->setl_id);
	else if ((rc = search(s, &code, key, setl_id)) != 0)
		return rc;
	if (!setl_id[0])
		return 0;
	/* The candidate's slip, under the code's key: genuine only when the
	 * printed slip's own content gives this code. */
	const struct zt_slip_req sr = {.setl_id = setl_id, .key = key->bytes,
	                               .key_len = key->len, .key_id = key->id};
	rc = zt_slip_build(s, &sr, &res->slip, &res->arena);
	if (rc == ZT_ENOTFOUND) {
		zt_error_clear();
		zt_slip_verify_res_free(res);
		res->verdict = ZT_SLIP_NOT_GENUINE;
		memcpy(res->key_id, code.key_id, sizeof res->key_id);
		return 0;
	}
	if (rc) {
		zt_slip_verify_res_free(res);
		return rc;
	}
	struct zt_slipcode built;
	if (zt_slipcode_parse(&built, res->slip.verify_code) != 0) {
		zt_slip_verify_res_free(res);
		return zt_error_set(ZT_EINTERNAL, "the slip of '%s' has no readable code", setl_id);
	}
	if (!zt_slipcode_equal(&built, &code)) {
		zt_slip_verify_res_free(res);
		res->verdict = ZT_SLIP_NOT_GENUINE;
		memcpy(res->key_id, code.key_id, sizeof res->key_id);
		return 0;
	}
	res->verdict = ZT_SLIP_GENUINE;
	snprintf(res->code, sizeof res->code, "%s", res->slip.verify_code);
	return 0;
}

void zt_slip_verify_res_free(struct zt_slip_verify_res *res)
{
	zt_slip_arena_free(&res->arena);
	memset(res, 0, sizeof *res);
}
