/* zhitong — catalogues in a store (see catalog.h): `catalog load`,
 * `approve`, `show`, and the set a settlement run classifies with
 * (docs/spec/rules-v2.md §2). The rules live here; the store stores. */
#include "zhitong/catalog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "zhitong/actor.h"
#include "zhitong/alloc.h"
#include "zhitong/amend.h"
#include "zhitong/error.h"
#include "zhitong/store.h"

#define OPEN_END 99991231


/* ---- the document's digest, taken as it is read ------------------------------ */

struct hashing {
	const struct zt_source *src;
	EVP_MD_CTX *md;
};

static ssize_t hashing_read(void *ctx, char *buf, size_t len)
{
	struct hashing *h = ctx;
	ssize_t n = h->src->read(h->src->ctx, buf, len);
	if (n > 0)
		EVP_DigestUpdate(h->md, buf, (size_t)n);
	return n;
}

/* ---- the rules of a load and an approval ------------------------------------- */

struct overlap_ctx {
	const struct zt_catalog_info *info;
	int64_t self_row, superseded_row;
	zt_date superseded_end;
	char other[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	zt_date other_from, other_end;
};

static int overlap_seen(void *ctx, const struct zt_stored_catalog *c)
{
	struct overlap_ctx *o = ctx;
	if (c->status != ZT_CATALOG_ACTIVE || c->row == o->self_row)
		return 0;
	zt_date end = zt_amend_end(c->row == o->superseded_row ? o->superseded_end : c->ends);
	if (c->info.effective_from <= zt_amend_end(o->info->effective_to) &&
	    o->info->effective_from <= end) {
		snprintf(o->other, sizeof o->other, "%s", c->info.id);
		o->other_from = c->info.effective_from;
		o->other_end = end == OPEN_END ? 0 : end;
		return 1;
	}
	return 0;
}

/* Checks what a catalogue with header `info` (row `self`, 0 before it is
 * stored) may do given the store, superseding `old` (NULL: none): 0 with
 * *old_end the old one's new last day, or the refusal. */
static int rules_check(struct zt_store *s, const struct zt_catalog_info *info, int64_t self,
                       const struct zt_stored_catalog *old, zt_date *old_end)
{
	int rc;
	*old_end = 0;
	if (old) {
		int64_t used = 0;
		if (strcmp(old->info.county, info->county) != 0)
			return zt_error_set(ZT_EINVAL, "catalogue '%s' is for county %s, not %s: it cannot "
			                    "supersede '%s'", info->id, info->county, old->info.county,
			                    old->info.id);
		if (old->status != ZT_CATALOG_ACTIVE)
			return zt_error_set(ZT_ECONFLICT, "catalogue '%s' is pending: approve it before "
			                    "superseding it", old->info.id);
		if ((rc = s->ops->catalogs.used(s, old->row, info->effective_from, &used)) != 0 ||
		    (rc = zt_amend_supersede_check(old_end, "catalogue", old->info.id,
		                                   old->info.effective_from, old->ends,
		                                   info->effective_from, used)) != 0)
			return rc;
	}
	struct overlap_ctx o = {.info = info, .self_row = self, .superseded_row = old ? old->row : 0,
	                        .superseded_end = *old_end};
	rc = s->ops->catalogs.each(s, info->county, overlap_seen, &o);
	if (rc == 1) {
		char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES], c[ZT_FMT_BYTES], d[ZT_FMT_BYTES];
		return zt_error_set(ZT_ECONFLICT, "catalogue '%s' for county %s (%s to %s) overlaps "
		                    "catalogue '%s' (%s to %s) already loaded: supersede it "
		                    "(--supersedes %s) or change the dates",
		                    info->id, info->county, zt_format_date(a, info->effective_from),
		                    zt_amend_format_end(b, info->effective_to), o.other,
		                    zt_format_date(c, o.other_from), zt_amend_format_end(d, o.other_end),
		                    o.other);
	}
	return rc;
}

/* Stores the catalogue's entries, in its order. */
static int put_entries(struct zt_store *s, int64_t row, const struct zt_catalog *cat)
{
	size_t n = zt_catalog_count(cat);
	for (size_t i = 0; i < n; i++) {
		int rc = s->ops->catalogs.put_entry(s, row, (int64_t)i, zt_catalog_entry_at(cat, i));
		if (rc)
			return rc;
	}
	return 0;
}

static int get_old(struct zt_store *s, const char *id, struct zt_stored_catalog *out)
{
	int rc = s->ops->catalogs.get(s, id, out);
	if (rc == ZT_ENOTFOUND)
		return zt_error_set(ZT_ENOTFOUND, "catalogue '%s' is not loaded", id);
	return rc;
}

int zt_catalog_load(struct zt_store *s, const struct zt_catalog_load_req *req,
                    struct zt_catalog_load_res *res)
{
	struct zt_catalog *cat = NULL;
	struct zt_stored_catalog *sc = zt_calloc(2, sizeof *sc), *old = sc + 1;
	char who[ZT_ACTOR_BYTES];
	bool txn = false;
	memset(res, 0, sizeof *res);
	zt_catalog_cache_clear(); /* what is in force changes */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = sc && md ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc || (rc = zt_actor_normalize(who, req->actor)) != 0)
		goto done;
	/* Read and check the whole document first, hashing it as it comes. */
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	struct hashing h = {req->src, md};
	struct zt_source hs = *req->src;
	hs.read = hashing_read;
	hs.ctx = &h;
	hs.rewind = NULL;
	if ((rc = zt_catalog_parse_source(&cat, &hs)) != 0)
		goto done;
	unsigned char digest[32];
	unsigned int dn = 0;
	EVP_DigestFinal_ex(md, digest, &dn);
	for (int i = 0; i < 32; i++)
		snprintf(sc->digest + 2 * i, 3, "%02x", digest[i]);
	sc->info = *zt_catalog_info(cat);
	sc->ends = sc->info.effective_to;
	sc->status = req->approval_required ? ZT_CATALOG_PENDING : ZT_CATALOG_ACTIVE;
	sc->entry_count = (int64_t)zt_catalog_count(cat);
	snprintf(sc->loaded_by, sizeof sc->loaded_by, "%s", who);
	res->info = sc->info;
	res->entries = zt_catalog_count(cat);

	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	zt_date old_end = 0;
	if (req->supersedes) {
		if ((rc = get_old(s, req->supersedes, old)) != 0)
			goto done;
		sc->supersedes = old->row;
	}
	struct zt_stored_catalog same;
	if (s->ops->catalogs.get(s, sc->info.id, &same) == 0 && strcmp(same.digest, sc->digest) == 0) {
		/* the identical document again: nothing to do, nothing to check */
		res->row = same.row;
		res->pending = same.status == ZT_CATALOG_PENDING;
		goto commit;
	}
	if ((rc = rules_check(s, &sc->info, 0, req->supersedes ? old : NULL, &old_end)) != 0 ||
	    (rc = s->ops->catalogs.put(s, sc, &res->row, &res->was_new)) != 0 ||
	    (rc = put_entries(s, res->row, cat)) != 0)
		goto done;
	res->pending = req->approval_required;
	if (req->supersedes && !res->pending) {
		if ((rc = s->ops->catalogs.set_ends(s, old->row, old_end)) != 0)
			goto done;
		snprintf(res->superseded, sizeof res->superseded, "%s", old->info.id);
		res->superseded_end = old_end;
	}
	char detail[256], d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES];
	snprintf(detail, sizeof detail, "county %s, %s to %s, %zu entries%s%s%s", sc->info.county,
	         zt_format_date(d1, sc->info.effective_from),
	         zt_amend_format_end(d2, sc->info.effective_to),
	         res->entries, req->supersedes ? ", supersedes " : "",
	         req->supersedes ? req->supersedes : "", res->pending ? ", pending approval" : "");
	if ((rc = s->ops->audit.add(s, who, "catalog load", sc->info.id, detail)) != 0)
		goto done;
commit:
	txn = false;
	rc = s->ops->commit(s);
done:
	if (txn)
		s->ops->rollback(s);
	if (rc)
		memset(res, 0, sizeof *res);
	zt_catalog_free(cat);
	EVP_MD_CTX_free(md);
	free(sc);
	return rc;
}

struct by_row {
	int64_t row;
	struct zt_stored_catalog *out;
};

static int by_row_seen(void *ctx, const struct zt_stored_catalog *c)
{
	struct by_row *b = ctx;
	if (c->row != b->row)
		return 0;
	*b->out = *c;
	return 1;
}

int zt_catalog_approve(struct zt_store *s, const struct zt_catalog_approve_req *req,
                       struct zt_catalog_load_res *res)
{
	struct zt_stored_catalog *sc = zt_calloc(2, sizeof *sc), *old = sc ? sc + 1 : NULL;
	char who[ZT_ACTOR_BYTES];
	bool txn = false;
	memset(res, 0, sizeof *res);
	zt_catalog_cache_clear(); /* what is in force changes */
	int rc = sc ? 0 : zt_error_set(ZT_ENOMEM, "out of memory");
	if (rc || (rc = zt_actor_normalize(who, req->actor)) != 0)
		goto done;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	txn = true;
	if ((rc = get_old(s, req->id, sc)) != 0)
		goto done;
	if (sc->status != ZT_CATALOG_PENDING) {
		rc = zt_error_set(ZT_ECONFLICT, "catalogue '%s' is not pending: it is in use since %s",
		                  sc->info.id, sc->approved_at[0] ? sc->approved_at : sc->loaded_at);
		goto done;
	}
	if (strcmp(sc->loaded_by, who) == 0) {
		rc = zt_error_set(ZT_EFOUREYES, "maker-checker: catalogue '%s' was loaded by %s: "
		                  "someone else must approve it", sc->info.id, sc->loaded_by);
		goto done;
	}
	if (sc->supersedes) {
		struct by_row b = {sc->supersedes, old};
		rc = s->ops->catalogs.each(s, sc->info.county, by_row_seen, &b);
		if (rc != 1) {
			if (rc == 0)
				rc = zt_error_set(ZT_EINTERNAL, "catalogue '%s' supersedes a catalogue that is "
				                  "not stored", sc->info.id);
			goto done;
		}
	}
	zt_date old_end = 0;
	/* the checks of the load, again: the store may have moved since */
	if ((rc = rules_check(s, &sc->info, sc->row, sc->supersedes ? old : NULL, &old_end)) != 0 ||
	    (rc = s->ops->catalogs.approve(s, sc->row, who)) != 0)
		goto done;
	if (sc->supersedes) {
		if ((rc = s->ops->catalogs.set_ends(s, old->row, old_end)) != 0)
			goto done;
		snprintf(res->superseded, sizeof res->superseded, "%s", old->info.id);
		res->superseded_end = old_end;
	}
	if ((rc = s->ops->audit.add(s, who, "catalog approve", sc->info.id, "")) != 0)
		goto done;
	res->row = sc->row;
	res->info = sc->info;
	res->entries = (size_t)sc->entry_count;
	res->was_new = true;
	txn = false;
	rc = s->ops->commit(s);
done:
	if (txn)
		s->ops->rollback(s);
	if (rc)
		memset(res, 0, sizeof *res);
	free(sc);
	return rc;
}

/* ---- building a catalogue from the store ------------------------------------- */

static int entry_seen(void *ctx, const struct zt_catalog_entry *e)
{
	return zt_catalog_add(ctx, e);
}

static int build(struct zt_catalog **out, struct zt_store *s, const struct zt_stored_catalog *c)
{
	int rc = zt_catalog_new(out, &c->info);
	if (rc == 0 && (rc = s->ops->catalogs.entries(s, c->row, entry_seen, *out)) == 0)
		rc = zt_catalog_finish(*out, NULL);
	if (rc) {
		zt_catalog_free(*out);
		*out = NULL;
	}
	return rc;
}

static bool in_force(const struct zt_stored_catalog *c, zt_date date)
{
	return c->status == ZT_CATALOG_ACTIVE && c->info.effective_from <= date &&
	       date <= zt_amend_end(c->ends);
}

/* ---- show ----------------------------------------------------------------------- */

struct show {
	int n, cap;
	struct zt_stored_catalog *v;
};

static int show_seen(void *ctx, const struct zt_stored_catalog *c)
{
	struct show *x = ctx;
	if (x->n == x->cap) {
		int cap = x->cap ? x->cap * 2 : 8;
		struct zt_stored_catalog *nv = zt_realloc(x->v, (size_t)cap * sizeof *nv);
		if (!nv)
			return zt_error_set(ZT_ENOMEM, "out of memory");
		x->v = nv;
		x->cap = cap;
	}
	x->v[x->n++] = *c;
	return 0;
}

int zt_catalog_show(struct zt_store *s, const char *county, const char *code, zt_date date,
                    int (*cb)(void *ctx, const struct zt_stored_catalog *c,
                              const struct zt_catalog *cat, const struct zt_catalog_entry *e),
                    void *ctx)
{
	struct show x = {0};
	int rc = s->ops->begin(s, ZT_TXN_READ);
	if (rc)
		return rc;
	rc = s->ops->catalogs.each(s, county, show_seen, &x);
	for (int i = 0; rc == 0 && i < x.n; i++) {
		const struct zt_stored_catalog *c = &x.v[i];
		if (date && !(c->info.effective_from <= date && date <= zt_amend_end(c->ends)))
			continue;
		struct zt_catalog *cat = NULL;
		if ((rc = build(&cat, s, c)) != 0)
			break;
		bool any = false;
		if (date) {
			const struct zt_catalog_entry *e = zt_catalog_find(cat, code, date);
			any = true;
			rc = cb(ctx, c, cat, e);
		} else {
			for (size_t j = 0; rc == 0 && j < zt_catalog_count(cat); j++) {
				const struct zt_catalog_entry *e = zt_catalog_entry_at(cat, j);
				if (strcmp(e->code, code) == 0) {
					any = true;
					rc = cb(ctx, c, cat, e);
				}
			}
		}
		if (rc == 0 && !any)
			rc = cb(ctx, c, cat, NULL);
		zt_catalog_free(cat);
	}
	s->ops->rollback(s); /* a read: nothing to keep */
	free(x.v);
	return rc;
}

/* ---- the built catalogues, kept for the process ---------------------------------
 *
 * Building a catalogue (its entries read and hashed) is the dear part of a
 * settlement run that uses one; the service settles each request in a run
 * of its own, over a store handle of its own. The built catalogues are
 * therefore kept for the process, keyed by (county, catalogue id, digest of
 * the document): a stored catalogue's entries never change (its document
 * is immutable), so a key names one content whichever store it is read
 * from. A built catalogue is only read once finished, so runs on several
 * threads share it; it is freed when the last run using it ends after it
 * left the cache. `catalog load` and `approve` empty the cache (what is in
 * force has changed: the next run builds what it needs). */

#define CACHE_SLOTS 8

struct cached {
	struct zt_catalog *cat;
	int refs;        /* runs using it, and 1 while in the cache */
	char key[ZT_COUNTY_BYTES + sizeof(((struct zt_catalog_info *)0)->id) + 65 + 2];
	unsigned long used; /* the tick of its last use: the oldest is replaced */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached *cache[CACHE_SLOTS];
static unsigned long cache_tick;

static void cached_put(struct cached *c) /* under the lock */
{
	if (c && --c->refs == 0) {
		zt_catalog_free(c->cat);
		free(c);
	}
}

static void cache_key(char *out, size_t cap, const struct zt_stored_catalog *h)
{
	snprintf(out, cap, "%s\x1f%s\x1f%s", h->info.county, h->info.id, h->digest);
}

/* The built catalogue of `h`, from the cache or built and kept: a
 * reference the caller gives back with cache_release. */
static int cache_get(struct cached **out, struct zt_store *s, const struct zt_stored_catalog *h)
{
	char key[sizeof((struct cached *)0)->key];
	cache_key(key, sizeof key, h);
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i] && strcmp(cache[i]->key, key) == 0) {
			cache[i]->refs++;
			cache[i]->used = ++cache_tick;
			*out = cache[i];
			pthread_mutex_unlock(&cache_lock);
			return 0;
		}
	pthread_mutex_unlock(&cache_lock);
	struct cached *c = zt_calloc(1, sizeof *c);
	if (!c)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = build(&c->cat, s, h);
	if (rc) {
		free(c);
		return rc;
	}
	snprintf(c->key, sizeof c->key, "%s", key);
	c->refs = 2; /* the caller's and the cache's */
	pthread_mutex_lock(&cache_lock);
	int slot = 0;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (!cache[i]) {
			slot = i;
			break;
		}
		if (cache[i]->used < cache[slot]->used)
			slot = i;
	}
	cached_put(cache[slot]);
	c->used = ++cache_tick;
	cache[slot] = c;
	pthread_mutex_unlock(&cache_lock);
	*out = c;
	return 0;
}

static void cache_release(struct cached *c)
{
	pthread_mutex_lock(&cache_lock);
	cached_put(c);
	pthread_mutex_unlock(&cache_lock);
}

void zt_catalog_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		cached_put(cache[i]);
		cache[i] = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
}

/* ---- the set a settlement run uses ---------------------------------------------- */

struct zt_catalog_set_item {
	struct zt_stored_catalog hdr;
	struct cached *cat; /* NULL until first used */
};

static int set_seen(void *ctx, const struct zt_stored_catalog *c)
{
	struct zt_catalog_set *set = ctx;
	if (c->status != ZT_CATALOG_ACTIVE)
		return 0;
	struct zt_catalog_set_item *n =
		zt_realloc(set->items, ((size_t)set->count + 1) * sizeof *n);
	if (!n)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	set->items = n;
	set->items[set->count++] = (struct zt_catalog_set_item){*c, NULL};
	return 0;
}

int zt_catalog_set_load(struct zt_catalog_set *out, struct zt_store *s)
{
	memset(out, 0, sizeof *out);
	int rc = s->ops->catalogs.each(s, NULL, set_seen, out);
	if (rc)
		zt_catalog_set_free(out);
	return rc;
}

void zt_catalog_set_free(struct zt_catalog_set *set)
{
	for (int i = 0; i < set->count; i++)
		if (set->items[i].cat)
			cache_release(set->items[i].cat);
	free(set->items);
	memset(set, 0, sizeof *set);
}

int zt_catalog_set_find(struct zt_catalog_set *set, struct zt_store *s, const char *county,
                        zt_date date, const struct zt_catalog **out, int64_t *row_out)
{
	*out = NULL;
	*row_out = 0;
	for (int i = 0; i < set->count; i++) {
		struct zt_catalog_set_item *it = &set->items[i];
		if (!in_force(&it->hdr, date) || strcmp(it->hdr.info.county, county) != 0)
			continue;
		if (!it->cat) {
			int rc = cache_get(&it->cat, s, &it->hdr);
			if (rc)
				return rc;
		}
		*out = it->cat->cat;
		*row_out = it->hdr.row;
		return 0;
	}
	return 0;
}
