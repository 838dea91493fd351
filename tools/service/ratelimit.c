/* zhitong — token buckets per key (see ratelimit.h).
 *
 * An open-addressing table (linear probing) of fixed capacity, at least
 * twice keys_max so probes stay short. The hash is FNV-1a mixed with a
 * per-table random seed, so nobody can aim many keys at one slot. When the
 * table holds keys_max keys and a new one comes, it is rebuilt without the
 * buckets that are full again (and, if that frees nothing, without the
 * one used longest ago): O(capacity) then, which only a flood pays. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "zhitong/error.h"

#define MILLI 1000 /* a token, in the units a bucket counts */

struct bucket {
	bool used;
	char key[ZT_RATELIMIT_KEY_BYTES];
	uint64_t hash;
	int64_t level; /* thousandths of a token */
	int64_t at_ms; /* when level was computed */
};

struct zt_ratelimit {
	pthread_mutex_t lock;
	int64_t rate_per_s; /* = thousandths of a token per millisecond */
	int64_t full;       /* burst × MILLI */
	size_t keys_max, count, cap; /* cap: a power of two */
	uint64_t seed;
	struct bucket *slots, *spare;
};

int zt_ratelimit_new(struct zt_ratelimit **out, uint32_t rate_per_s, uint32_t burst,
                     size_t keys_max)
{
	if (rate_per_s == 0 || burst == 0 || keys_max == 0)
		return zt_error_set(ZT_EINVAL, "rate limit: rate, burst and keys must be at least 1");
	struct zt_ratelimit *rl = calloc(1, sizeof *rl);
	if (!rl)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	rl->rate_per_s = rate_per_s;
	rl->full = (int64_t)burst * MILLI;
	rl->keys_max = keys_max;
	rl->cap = 16;
	while (rl->cap < keys_max * 2)
		rl->cap *= 2;
	rl->slots = calloc(rl->cap, sizeof *rl->slots);
	rl->spare = calloc(rl->cap, sizeof *rl->spare);
	if (!rl->slots || !rl->spare) {
		zt_ratelimit_free(rl);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	if (getrandom(&rl->seed, sizeof rl->seed, 0) != (ssize_t)sizeof rl->seed)
		rl->seed = (uint64_t)(uintptr_t)rl ^ 0x9E3779B97F4A7C15u;
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return 0;
}

void zt_ratelimit_free(struct zt_ratelimit *rl)
{
	if (!rl)
		return;
	if (rl->slots && rl->spare)
		pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl->spare);
	free(rl);
}

static uint64_t hash(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3u;
	}
	/* finalise (splitmix64) so the low bits depend on every byte */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebu;
	return h ^ (h >> 31);
}

/* The bucket's level at now_ms, refilled. */
static int64_t level_at(const struct zt_ratelimit *rl, const struct bucket *b, int64_t now_ms)
{
	int64_t elapsed = now_ms > b->at_ms ? now_ms - b->at_ms : 0;
	/* rate × elapsed cannot overflow once elapsed is capped at the time
	 * to refill from empty */
	int64_t to_full = rl->full / rl->rate_per_s + 1;
	if (elapsed >= to_full)
		return rl->full;
	int64_t l = b->level + elapsed * rl->rate_per_s;
	return l > rl->full ? rl->full : l;
}

static struct bucket *probe(struct bucket *slots, size_t cap, uint64_t h, const char *key)
{
	for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct bucket *b = &slots[i];
		if (!b->used || (b->hash == h && strcmp(b->key, key) == 0))
			return b;
	}
}

/* Rebuilds the table without full buckets; if none was full, without the
 * one used longest ago. */
static void make_room(struct zt_ratelimit *rl, int64_t now_ms)
{
	struct bucket *oldest = NULL;
	size_t kept = 0;
	for (size_t i = 0; i < rl->cap; i++) {
		struct bucket *b = &rl->slots[i];
		if (!b->used)
			continue;
		if (level_at(rl, b, now_ms) >= rl->full) {
			b->used = false;
			continue;
		}
		kept++;
		if (!oldest || b->at_ms < oldest->at_ms)
			oldest = b;
	}
	if (kept >= rl->keys_max && oldest) {
		oldest->used = false;
		kept--;
	}
	memset(rl->spare, 0, rl->cap * sizeof *rl->spare);
	for (size_t i = 0; i < rl->cap; i++) {
		struct bucket *b = &rl->slots[i];
		if (b->used)
			*probe(rl->spare, rl->cap, b->hash, b->key) = *b;
	}
	struct bucket *t = rl->slots;
	rl->slots = rl->spare;
	rl->spare = t;
	rl->count = kept;
}

int64_t zt_ratelimit_take(struct zt_ratelimit *rl, const char *key, int64_t now_ms)
{
	char k[ZT_RATELIMIT_KEY_BYTES];
	size_t n = strlen(key);
	if (n < sizeof k) {
		memcpy(k, key, n + 1);
	} else {
		n = (size_t)snprintf(k, sizeof k, "%.40s#%016llx", key,
		                     (unsigned long long)hash(~rl->seed, key, n));
	}
	uint64_t h = hash(rl->seed, k, n);

	pthread_mutex_lock(&rl->lock);
	struct bucket *b = probe(rl->slots, rl->cap, h, k);
	if (!b->used) {
		if (rl->count >= rl->keys_max) {
			make_room(rl, now_ms);
			b = probe(rl->slots, rl->cap, h, k);
		}
		b->used = true;
		b->hash = h;
		memcpy(b->key, k, n + 1);
		b->level = rl->full;
		b->at_ms = now_ms;
		rl->count++;
	}
	int64_t level = level_at(rl, b, now_ms);
	if (now_ms > b->at_ms)
		b->at_ms = now_ms;
	int64_t wait_ms = 0;
	if (level >= MILLI) {
		level -= MILLI;
	} else {
		wait_ms = (MILLI - level + rl->rate_per_s - 1) / rl->rate_per_s;
		if (wait_ms < 1)
			wait_ms = 1;
	}
	b->level = level;
	pthread_mutex_unlock(&rl->lock);
	return wait_ms;
}

size_t zt_ratelimit_keys(struct zt_ratelimit *rl)
{
	pthread_mutex_lock(&rl->lock);
	size_t n = rl->count;
	pthread_mutex_unlock(&rl->lock);
	return n;
}
