/* zhitong — one bounded producer/consumer ring (private).
 *
 * Every reader that runs on a thread of its own (claim_reader.c, the
 * camt.053 reader of camt053.c, the batch export's record read-ahead in
 * batch_file.c) hands what it reads to the consumer through this ring: the
 * producer runs on a thread the ring starts, fills the slots in order and
 * publishes each one; the consumer takes them in the same order. Memory is
 * the slots, whatever the size of the input.
 *
 * The slots are the caller's (an array of `slot_count` slots of
 * `slot_bytes` each, which may own buffers that are reused from one turn
 * to the next); the ring only says whose turn each one is:
 *
 *   producer   zt_ring_acquire() waits for a free slot (NULL when the
 *              consumer has stopped: return at once); fill it, then
 *              zt_ring_publish(). The producer function returns 0, or a
 *              ZT_E* code with its message set (zt_error_set) on its
 *              thread: the ring carries both to the consumer.
 *   consumer   zt_ring_next() hands out the next published slot, held
 *              until the next call; NULL at the end, or at once when the
 *              producer failed — slots already published are then never
 *              handed out (the consumer discards the whole input). After
 *              NULL, zt_ring_status() says which (and sets the producer's
 *              message on the consumer's thread); zt_ring_close() stops the
 *              producer if it is still going, joins it and returns its code
 *              without touching the thread's message (the consumer may be
 *              closing because it failed on its own).
 *
 * A side is woken only when the other one waits (a wake-up is a system
 * call): the ring costs two uncontended lock operations a slot. */
#ifndef ZHITONG_RING_H
#define ZHITONG_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "zhitong/limits.h"

struct zt_ring;
typedef int (*zt_ring_producer)(struct zt_ring *ring, void *arg);

/* In the owner's struct; fields private to ring.c. Zeroed memory is a ring
 * that was never started (zt_ring_close does nothing to it). */
struct zt_ring {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t thread;
	unsigned char *slots;
	size_t slot_bytes;
	unsigned slot_count, head, count;
	bool inited, started, held, done, stop;
	bool producer_waits, consumer_waits;
	zt_ring_producer produce;
	void *arg;
	int status;
	char status_msg[ZT_MESSAGE_BYTES_MAX];
};

/* Starts the producer thread: produce(ring, arg). ZT_ENOMEM if the thread
 * cannot be started (the ring is then closed already). */
int zt_ring_start(struct zt_ring *r, void *slots, size_t slot_bytes, unsigned slot_count,
                  zt_ring_producer produce, void *arg);

/* Producer side. */
void *zt_ring_acquire(struct zt_ring *r);
void zt_ring_publish(struct zt_ring *r);

/* Consumer side. */
void *zt_ring_next(struct zt_ring *r);
int zt_ring_status(struct zt_ring *r);
int zt_ring_close(struct zt_ring *r);

#endif
