/* zhitong — a token bucket per key (a user, an address), for 429 answers
 * (docs/spec/service.md "Starting it": requests over a per-user rate get
 * 429 with Retry-After).
 *
 * Each key has a bucket of `burst` tokens that refills at `rate_per_s`
 * tokens a second; a request takes one token or is refused, told how long
 * until one is there. The time is given by the caller (any monotonic
 * clock in milliseconds), so the module is tested on a fake clock. Integer
 * arithmetic only: a bucket holds thousandths of a token.
 *
 * At most `keys_max` keys are tracked, so a flood of new addresses cannot
 * grow it: when it is full, buckets that have refilled completely are
 * dropped (a full bucket is the same as no bucket), and if none has, the
 * one used longest ago. Thread-safe. */
#ifndef ZT_RATELIMIT_H
#define ZT_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct zt_ratelimit;

/* rate_per_s ≥ 1, burst ≥ 1, keys_max ≥ 1. */
int zt_ratelimit_new(struct zt_ratelimit **out, uint32_t rate_per_s, uint32_t burst,
                     size_t keys_max);
void zt_ratelimit_free(struct zt_ratelimit *rl);
/* Takes a token from `key`'s bucket at `now_ms`. Returns 0 when taken,
 * else the milliseconds until a token is there (≥ 1). A clock that goes
 * back is taken as standing still. A key of ZT_RATELIMIT_KEY_BYTES or more
 * (a user name of many Chinese characters) is kept as its first 40 bytes
 * and a 64-bit digest of the whole. */
#define ZT_RATELIMIT_KEY_BYTES 64
int64_t zt_ratelimit_take(struct zt_ratelimit *rl, const char *key, int64_t now_ms);
/* Keys tracked now. */
size_t zt_ratelimit_keys(struct zt_ratelimit *rl);

#endif
