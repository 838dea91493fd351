/* zhitong — the per-user and per-address token buckets behind 429 (docs/spec/service.md
 * "Starting it"), on a fake clock: the caller gives the time. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"
#include "zhitong/error.h"

static struct zt_ratelimit *make(uint32_t rate, uint32_t burst, size_t keys)
{
	struct zt_ratelimit *rl = NULL;
	cr_assert_eq(zt_ratelimit_new(&rl, rate, burst, keys), 0, "%s", zt_error_last());
	return rl;
}

Test(ratelimit, a_burst_then_the_rate)
{
	struct zt_ratelimit *rl = make(10, 3, 16);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", 0), 0, "token %d of the burst", i);
	cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", 0), 100, "10 a second: the next in 100 ms");
	cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", 60), 40);
	cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", 99), 1);
	cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", 100), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", 100), 100);
	/* a steady 10 a second goes through */
	for (int64_t t = 200; t <= 2000; t += 100)
		cr_assert_eq(zt_ratelimit_take(rl, "u:desk1", t), 0, "at %lld ms", (long long)t);
	zt_ratelimit_free(rl);
}

Test(ratelimit, refused_requests_take_nothing)
{
	struct zt_ratelimit *rl = make(1, 1, 16);
	cr_assert_eq(zt_ratelimit_take(rl, "a:10.0.0.1", 0), 0);
	/* hammering while limited does not push the next token further away */
	for (int64_t t = 0; t < 1000; t += 10)
		cr_assert_eq(zt_ratelimit_take(rl, "a:10.0.0.1", t), 1000 - t);
	cr_assert_eq(zt_ratelimit_take(rl, "a:10.0.0.1", 1000), 0);
	zt_ratelimit_free(rl);
}

Test(ratelimit, keys_have_their_own_buckets)
{
	struct zt_ratelimit *rl = make(1, 2, 16);
	cr_assert_eq(zt_ratelimit_take(rl, "u:a", 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "u:a", 0), 0);
	cr_assert_gt(zt_ratelimit_take(rl, "u:a", 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "u:b", 0), 0, "another user is not limited by u:a");
	cr_assert_eq(zt_ratelimit_take(rl, "a:a", 0), 0);
	cr_assert_eq(zt_ratelimit_keys(rl), 3);
	zt_ratelimit_free(rl);
}

Test(ratelimit, an_idle_bucket_refills_to_its_burst_only)
{
	struct zt_ratelimit *rl = make(5, 4, 16);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(zt_ratelimit_take(rl, "k", 0), 0);
	int64_t hour = 3600 * 1000;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(zt_ratelimit_take(rl, "k", hour), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "k", hour), 200, "an hour idle still gives a burst of 4");
	/* a far-off time does not overflow */
	cr_assert_eq(zt_ratelimit_take(rl, "k", INT64_MAX / 2), 0);
	zt_ratelimit_free(rl);
}

Test(ratelimit, a_clock_that_goes_back_stands_still)
{
	struct zt_ratelimit *rl = make(1, 1, 16);
	cr_assert_eq(zt_ratelimit_take(rl, "k", 5000), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "k", 1000), 1000, "no refill from going back");
	cr_assert_eq(zt_ratelimit_take(rl, "k", 5999), 1);
	cr_assert_eq(zt_ratelimit_take(rl, "k", 6000), 0);
	zt_ratelimit_free(rl);
}

Test(ratelimit, slow_rates_round_the_wait_up)
{
	struct zt_ratelimit *rl = make(3, 1, 16);
	cr_assert_eq(zt_ratelimit_take(rl, "k", 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "k", 0), 334, "1000/3 ms, rounded up");
	cr_assert_eq(zt_ratelimit_take(rl, "k", 333), 1);
	cr_assert_eq(zt_ratelimit_take(rl, "k", 334), 0);
	zt_ratelimit_free(rl);
}

Test(ratelimit, a_flood_of_keys_stays_bounded_dropping_full_buckets_first)
{
	struct zt_ratelimit *rl = make(1, 1, 8);
	char key[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "a:2001:db8:%x::/64", i);
		cr_assert_eq(zt_ratelimit_take(rl, key, 0), 0, "a new key has its burst");
		cr_assert_leq(zt_ratelimit_keys(rl), 8);
	}
	zt_ratelimit_free(rl);

	/* a limited key survives new keys while others are full again */
	rl = make(1, 2, 4);
	cr_assert_eq(zt_ratelimit_take(rl, "limited", 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "limited", 0), 0); /* empty now */
	cr_assert_eq(zt_ratelimit_take(rl, "old1", 0), 0);    /* half full */
	cr_assert_eq(zt_ratelimit_take(rl, "old2", 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "fresh", 500), 0); /* 4 keys: the table is full */
	/* at 1000 ms old1 and old2 are full again, "limited" is half full:
	 * a new key drops the full ones and keeps the others */
	cr_assert_eq(zt_ratelimit_take(rl, "x", 1000), 0);
	cr_assert_eq(zt_ratelimit_keys(rl), 3);
	cr_assert_eq(zt_ratelimit_take(rl, "limited", 1000), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "limited", 1000), 1000, "its bucket was kept, not renewed");
	zt_ratelimit_free(rl);

	/* none full: the one used longest ago goes */
	rl = make(1, 1, 2);
	cr_assert_eq(zt_ratelimit_take(rl, "a", 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "b", 10), 0);
	cr_assert_eq(zt_ratelimit_take(rl, "c", 20), 0); /* drops a */
	cr_assert_eq(zt_ratelimit_keys(rl), 2);
	cr_assert_eq(zt_ratelimit_take(rl, "b", 20), 990, "b was kept");
	zt_ratelimit_free(rl);
}

Test(ratelimit, long_keys_stay_distinct)
{
	struct zt_ratelimit *rl = make(1, 1, 16);
	char a[300], b[300];
	memset(a, 'x', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[250] = 'y'; /* differs past the 40 bytes kept as text */
	cr_assert_eq(zt_ratelimit_take(rl, a, 0), 0);
	cr_assert_eq(zt_ratelimit_take(rl, b, 0), 0, "a different long key has its own bucket");
	cr_assert_gt(zt_ratelimit_take(rl, a, 0), 0);
	cr_assert_gt(zt_ratelimit_take(rl, b, 0), 0);
	zt_ratelimit_free(rl);
}

Test(ratelimit, refuses_a_zero_rate_burst_or_size)
{
	struct zt_ratelimit *rl = NULL;
	cr_assert_eq(zt_ratelimit_new(&rl, 0, 1, 1), ZT_EINVAL);
	cr_assert_eq(zt_ratelimit_new(&rl, 1, 0, 1), ZT_EINVAL);
	cr_assert_eq(zt_ratelimit_new(&rl, 1, 1, 0), ZT_EINVAL);
}

struct taker {
	struct zt_ratelimit *rl;
	int granted;
};

static void *take_many(void *arg)
{
	struct taker *t = arg;
	for (int i = 0; i < 2000; i++)
		t->granted += zt_ratelimit_take(t->rl, "u:shared", 0) == 0;
	return NULL;
}

Test(ratelimit, threads_share_one_bucket_exactly)
{
	struct zt_ratelimit *rl = make(1, 1000, 16);
	pthread_t th[4];
	struct taker t[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (struct taker){rl, 0};
		pthread_create(&th[i], NULL, take_many, &t[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += t[i].granted;
	}
	cr_assert_eq(total, 1000, "exactly the burst was granted across threads, not %d", total);
	zt_ratelimit_free(rl);
}
