/* zhitong — one bounded producer/consumer ring (see ring.h). */
#include "ring.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "zhitong/error.h"

static void *ring_main(void *arg)
{
	struct zt_ring *r = arg;
	int rc = r->produce(r, r->arg);
	pthread_mutex_lock(&r->lock);
	r->done = true;
	r->status = rc;
	if (rc)
		snprintf(r->status_msg, sizeof r->status_msg, "%s", zt_error_last());
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int zt_ring_start(struct zt_ring *r, void *slots, size_t slot_bytes, unsigned slot_count,
                  zt_ring_producer produce, void *arg)
{
	assert(slot_count > 0 && slot_bytes > 0);
	memset(r, 0, sizeof *r);
	r->slots = slots;
	r->slot_bytes = slot_bytes;
	r->slot_count = slot_count;
	r->produce = produce;
	r->arg = arg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	r->inited = true;
	if (pthread_create(&r->thread, NULL, ring_main, r) != 0) {
		zt_ring_close(r);
		return zt_error_set(ZT_ENOMEM, "cannot start a reader thread");
	}
	r->started = true;
	return 0;
}

void *zt_ring_acquire(struct zt_ring *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->count == r->slot_count && !r->stop) {
		r->producer_waits = true;
		pthread_cond_wait(&r->changed, &r->lock);
		r->producer_waits = false;
	}
	void *slot = NULL;
	if (!r->stop)
		slot = r->slots + (size_t)((r->head + r->count) % r->slot_count) * r->slot_bytes;
	pthread_mutex_unlock(&r->lock);
	/* the slot is the producer's until it is published */
	return slot;
}

void zt_ring_publish(struct zt_ring *r)
{
	pthread_mutex_lock(&r->lock);
	assert(r->count < r->slot_count);
	r->count++;
	if (r->consumer_waits)
		pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

void *zt_ring_next(struct zt_ring *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->held) {
		r->held = false;
		r->head = (r->head + 1) % r->slot_count;
		r->count--;
		if (r->producer_waits)
			pthread_cond_broadcast(&r->changed);
	}
	while (r->count == 0 && !r->done) {
		r->consumer_waits = true;
		pthread_cond_wait(&r->changed, &r->lock);
		r->consumer_waits = false;
	}
	void *slot = NULL;
	if (r->count > 0 && !(r->done && r->status)) {
		slot = r->slots + (size_t)r->head * r->slot_bytes;
		r->held = true;
	}
	pthread_mutex_unlock(&r->lock);
	return slot;
}

int zt_ring_status(struct zt_ring *r)
{
	if (!r->inited)
		return 0;
	pthread_mutex_lock(&r->lock);
	int st = r->done ? r->status : 0;
	if (st)
		zt_error_set(st, "%s", r->status_msg);
	pthread_mutex_unlock(&r->lock);
	return st;
}

int zt_ring_close(struct zt_ring *r)
{
	if (!r->inited)
		return 0;
	if (r->started) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
		r->started = false;
	}
	/* the message is not set again: the caller may be failing on its own */
	int st = r->done ? r->status : 0;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	r->inited = false;
	return st;
}
