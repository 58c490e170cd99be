/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded rings of pointers: single-producer/single-consumer and
 * multi-producer/single-consumer.
 *
 * Indices are free-running 64-bit counters (they never wrap in practice);
 * slot = index & mask. The producer side owns prod_head/prod_tail, the
 * consumer side owns cons_head, each on its own cache line so that the two
 * sides do not bounce one line between cores on every operation.
 *
 *   prod_head  next index a producer will claim (MPSC: claimed by CAS)
 *   prod_tail  every slot below it is written and visible to the consumer
 *   cons_head  every slot below it has been read; the producer may reuse it
 *
 * SPSC: prod_head == prod_tail always; the producer only uses prod_tail.
 * MPSC: a producer claims [head, head + n) by CAS on prod_head, writes its
 * slots, waits until prod_tail reaches head (earlier claimants published),
 * then moves prod_tail to head + n. The consumer thus sees entries in claim
 * order and never a hole.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env_internal.h"

/* Large enough for any queue in the library, small enough that the slot
 * array size cannot overflow. */
#define RING_COUNT_MAX (1ull << 30)

struct sio_ring {
	enum sio_ring_type type;
	size_t mask;

	/* MPSC producers' claim counter, alone on its line: producers CAS it,
	 * the consumer never reads it. */
	_Alignas(ENV_CACHE_LINE) atomic_size_t prod_head;
	/* The producers' last view of cons_head: re-read only when the ring
	 * looks full, so producers rarely touch the consumer's line. cons_head
	 * only grows, so a stale view under-counts free slots, which is safe.
	 * Shared by MPSC producers, so stored with release and loaded with
	 * acquire: a producer that trusts a view another producer fetched must
	 * also inherit that producer's acquire of cons_head. */
	atomic_size_t prod_cons_cache;

	/* Published by producers, read by the consumer. */
	_Alignas(ENV_CACHE_LINE) atomic_size_t prod_tail;

	/* Consumer side. */
	_Alignas(ENV_CACHE_LINE) atomic_size_t cons_head;
	/* Consumer's last view of prod_tail, for the same reason. */
	size_t cons_prod_cache;

	_Alignas(ENV_CACHE_LINE) void *slots[];
};

struct sio_ring *sio_ring_create(enum sio_ring_type type, size_t count)
{
	struct sio_ring *r;
	size_t cap = 1;
	void *mem;

	if ((type != SIO_RING_SP_SC && type != SIO_RING_MP_SC) || count == 0 ||
	    count > RING_COUNT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (cap < count)
		cap <<= 1;

	if (posix_memalign(&mem, ENV_CACHE_LINE, sizeof(*r) + cap * sizeof(void *)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	r = mem;
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->mask = cap - 1;
	atomic_init(&r->prod_head, 0);
	atomic_init(&r->prod_tail, 0);
	atomic_init(&r->cons_head, 0);
	return r;
}

void sio_ring_destroy(struct sio_ring *r)
{
	free(r);
}

size_t sio_ring_capacity(const struct sio_ring *r)
{
	return r ? r->mask + 1 : 0;
}

size_t sio_ring_count(const struct sio_ring *r)
{
	size_t tail, head, n;

	if (r == NULL)
		return 0;
	/* Read cons_head first: it only grows, and it never passes prod_tail,
	 * so a later prod_tail gives a difference that is never negative. */
	head = atomic_load_explicit(&((struct sio_ring *)r)->cons_head, memory_order_acquire);
	tail = atomic_load_explicit(&((struct sio_ring *)r)->prod_tail, memory_order_acquire);
	n = tail - head;
	return n > r->mask + 1 ? r->mask + 1 : n;
}

static inline void ring_copy_in(struct sio_ring *r, size_t idx, void *const *objs, size_t n)
{
	size_t mask = r->mask;

	for (size_t i = 0; i < n; i++)
		r->slots[(idx + i) & mask] = objs[i];
}

static inline void ring_copy_out(struct sio_ring *r, size_t idx, void **objs, size_t n)
{
	size_t mask = r->mask;

	for (size_t i = 0; i < n; i++)
		objs[i] = r->slots[(idx + i) & mask];
}

static size_t ring_enqueue_sp(struct sio_ring *r, void *const *objs, size_t n)
{
	size_t cap = r->mask + 1;
	size_t tail = atomic_load_explicit(&r->prod_tail, memory_order_relaxed);
	size_t cons = atomic_load_explicit(&r->prod_cons_cache, memory_order_relaxed);
	size_t free_slots = cap - (tail - cons);

	if (free_slots < n) {
		/* Acquire pairs with the release store of cons_head in
		 * sio_ring_dequeue(): the consumer has finished reading the
		 * slots it released before we overwrite them. The cache is
		 * private to the single producer, so relaxed suffices there. */
		cons = atomic_load_explicit(&r->cons_head, memory_order_acquire);
		atomic_store_explicit(&r->prod_cons_cache, cons, memory_order_relaxed);
		free_slots = cap - (tail - cons);
		if (n > free_slots)
			n = free_slots;
		if (n == 0)
			return 0;
	}
	ring_copy_in(r, tail, objs, n);
	/* Release pairs with the acquire load of prod_tail in
	 * sio_ring_dequeue(): the slot writes above are visible first. */
	atomic_store_explicit(&r->prod_tail, tail + n, memory_order_release);
	return n;
}

static size_t ring_enqueue_mp(struct sio_ring *r, void *const *objs, size_t n)
{
	size_t cap = r->mask + 1;
	size_t head, cons, free_slots, want = n;

	head = atomic_load_explicit(&r->prod_head, memory_order_relaxed);
	do {
		/* Acquire pairs with the release store below by whichever
		 * producer refreshed the cache. */
		cons = atomic_load_explicit(&r->prod_cons_cache, memory_order_acquire);
		/* A view older than our head's claimers used may put head more
		 * than a ring ahead of it: count that as full and refresh. */
		free_slots = head - cons >= cap ? 0 : cap - (head - cons);
		if (free_slots < want) {
			/* Acquire pairs with the release store of cons_head in
			 * sio_ring_dequeue(). */
			cons = atomic_load_explicit(&r->cons_head, memory_order_acquire);
			/* Release pairs with the acquire load of the cache above. */
			atomic_store_explicit(&r->prod_cons_cache, cons, memory_order_release);
			/* Still guarded: nothing orders our (relaxed) read of
			 * head before this load, so the pair may be
			 * inconsistent; "full" is the safe answer then. */
			free_slots = head - cons >= cap ? 0 : cap - (head - cons);
		}
		n = want > free_slots ? free_slots : want;
		if (n == 0)
			return 0;
		/* Relaxed CAS: it only hands out index ranges; slot contents are
		 * ordered by the prod_tail release below. On failure head is
		 * reloaded and free space recomputed. */
	} while (!atomic_compare_exchange_weak_explicit(&r->prod_head, &head, head + n,
						       memory_order_relaxed, memory_order_relaxed));

	ring_copy_in(r, head, objs, n);

	/* Publish in claim order. The acquire load pairs with the release
	 * store of prod_tail by the producer that claimed the range just before
	 * ours: its slot writes happen-before our release below, so a consumer
	 * that acquires our tail sees them too. */
	for (unsigned int spins = 0;
	     atomic_load_explicit(&r->prod_tail, memory_order_acquire) != head; spins++) {
		/* The producer ahead of us may have been preempted between its
		 * claim and its publish; with more runnable threads than cores,
		 * spinning on would keep it off the CPU. */
		if (spins < 256)
			env_cpu_relax();
		else
			sched_yield();
	}
	/* Release pairs with the acquire load of prod_tail in sio_ring_dequeue(). */
	atomic_store_explicit(&r->prod_tail, head + n, memory_order_release);
	return n;
}

size_t sio_ring_enqueue(struct sio_ring *r, void *const *objs, size_t n)
{
	if (r == NULL || objs == NULL || n == 0)
		return 0;
	if (r->type == SIO_RING_SP_SC)
		return ring_enqueue_sp(r, objs, n);
	return ring_enqueue_mp(r, objs, n);
}

size_t sio_ring_dequeue(struct sio_ring *r, void **objs, size_t n)
{
	size_t head, avail;

	if (r == NULL || objs == NULL || n == 0)
		return 0;
	head = atomic_load_explicit(&r->cons_head, memory_order_relaxed);
	avail = r->cons_prod_cache - head;
	if (avail < n) {
		/* Acquire pairs with the release store of prod_tail in
		 * ring_enqueue_sp()/ring_enqueue_mp(): slots below it are written. */
		r->cons_prod_cache = atomic_load_explicit(&r->prod_tail, memory_order_acquire);
		avail = r->cons_prod_cache - head;
		if (n > avail)
			n = avail;
		if (n == 0)
			return 0;
	}
	ring_copy_out(r, head, objs, n);
	/* Release pairs with the acquire load of cons_head in the enqueue
	 * paths: our slot reads complete before a producer may reuse them. */
	atomic_store_explicit(&r->cons_head, head + n, memory_order_release);
	return n;
}
