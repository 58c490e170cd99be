/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded rings of pointers: single-producer/single-consumer and
 * multi-producer/single-consumer.
 *
 * Indices are free-running counters; slot = index & mask. Only differences
 * and equality of indices are ever used, so wrapping is harmless. Producer
 * and consumer indices sit on cache lines of their own, so the two sides do
 * not bounce one line between cores on every operation.
 *
 *   prod_head  MPSC: next index a producer will claim (by CAS)
 *   prod_tail  SPSC: every slot below it is written and visible
 *   cons_head  every slot below it has been read; producers may reuse it
 *
 * SPSC: the producer writes its slots and moves prod_tail with one release
 * store per burst; slots are bare pointers.
 *
 * MPSC: every slot carries a sequence number next to its pointer. A producer
 * claims [head, head + n) with one CAS on prod_head, writes each pointer and
 * then publishes that slot alone by storing seq = index + 1 (release). It
 * never waits for another producer. The consumer reads slots in index order
 * and stops at the first whose seq is not index + 1 (its producer has not
 * published yet): a producer preempted between claim and publish delays only
 * the consumer's view past its own slots, and the others keep enqueueing
 * until the ring is full.
 *
 * Why seq == index + 1 cannot be stale: a producer writes the slot of index i
 * only once cons_head > i - capacity, and the consumer reads index i only
 * after index i - capacity; so when the consumer looks at index i the slot
 * holds either the seq of i - capacity (i - capacity + 1) or that of i, never
 * a later lap. Slots start zeroed, which no index matches (index + 1 >= 1,
 * and a first-lap index i expects i + 1 while the slot holds 0).
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

/* An MPSC slot: 16 bytes, four to a cache line. */
struct ring_slot {
	/* index + 1 once the pointer for that index is published. */
	atomic_size_t seq;
	void *ptr;
};

struct sio_ring {
	/* Read-mostly: read by both sides on every call, written at creation. */
	enum sio_ring_type type;
	size_t mask;
	/* Test hook run by an MPSC producer between claim and publish. */
	void (*claim_hook)(void *arg);
	void *claim_hook_arg;
	/* What calloc() returned, for free(). */
	void *mem;

	/* MPSC producers' claim counter: producers CAS it; the consumer never
	 * touches it (only sio_ring_count() reads it). */
	_Alignas(ENV_CACHE_LINE) atomic_size_t prod_head;
	/* The producers' last view of cons_head: re-read only when the ring
	 * looks full, so producers rarely touch the consumer's line. cons_head
	 * only grows, so a stale view under-counts free slots, which is safe.
	 * Shared by MPSC producers, so stored with release and loaded with
	 * acquire: a producer that trusts a view another producer fetched must
	 * also inherit that producer's acquire of cons_head. */
	atomic_size_t prod_cons_cache;

	/* SPSC only: published by the producer, read by the consumer. */
	_Alignas(ENV_CACHE_LINE) atomic_size_t prod_tail;

	/* Consumer side. */
	_Alignas(ENV_CACHE_LINE) atomic_size_t cons_head;
	/* SPSC consumer's last view of prod_tail, for the same reason. */
	size_t cons_prod_cache;

	/* void *[cap] for SPSC, struct ring_slot[cap] for MPSC. */
	_Alignas(ENV_CACHE_LINE) unsigned char slots[];
};

static inline void **ring_sp_slots(struct sio_ring *r)
{
	return (void **)(void *)r->slots;
}

static inline struct ring_slot *ring_mp_slots(struct sio_ring *r)
{
	return (struct ring_slot *)(void *)r->slots;
}

struct sio_ring *sio_ring_create(enum sio_ring_type type, size_t count)
{
	struct sio_ring *r;
	size_t cap = 1, slot_size;
	void *mem;

	if ((type != SIO_RING_SP_SC && type != SIO_RING_MP_SC) || count == 0 ||
	    count > RING_COUNT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (cap < count)
		cap <<= 1;
	slot_size = type == SIO_RING_MP_SC ? sizeof(struct ring_slot) : sizeof(void *);

	/* calloc() because MPSC slots must start with seq 0; for a large ring
	 * it hands out fresh zero pages without touching them. Over-allocated
	 * by a line to align the structure by hand. */
	mem = calloc(1, sizeof(*r) + cap * slot_size + ENV_CACHE_LINE);
	if (mem == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	r = (struct sio_ring *)env_align_up((uintptr_t)mem, ENV_CACHE_LINE);
	r->type = type;
	r->mask = cap - 1;
	r->mem = mem;
	atomic_init(&r->prod_head, 0);
	atomic_init(&r->prod_cons_cache, 0);
	atomic_init(&r->prod_tail, 0);
	atomic_init(&r->cons_head, 0);
	return r;
}

void sio_ring_destroy(struct sio_ring *r)
{
	if (r != NULL)
		free(r->mem);
}

void env_ring_set_claim_hook(struct sio_ring *r, void (*fn)(void *arg), void *arg)
{
	r->claim_hook = fn;
	r->claim_hook_arg = arg;
}

bool sio_ring_ready(const struct sio_ring *r)
{
	struct sio_ring *w = (struct sio_ring *)r;
	size_t head;

	if (r == NULL)
		return false;
	/* Relaxed: only the consumer (the caller) writes cons_head. */
	head = atomic_load_explicit(&w->cons_head, memory_order_relaxed);
	/* Acquire, as the dequeue's: pairs with the producer's publish. */
	if (r->type == SIO_RING_SP_SC)
		return atomic_load_explicit(&w->prod_tail, memory_order_acquire) != head;
	return atomic_load_explicit(&ring_mp_slots(w)[head & r->mask].seq, memory_order_acquire) ==
	       head + 1;
}

size_t sio_ring_capacity(const struct sio_ring *r)
{
	return r ? r->mask + 1 : 0;
}

size_t sio_ring_count(const struct sio_ring *r)
{
	struct sio_ring *w = (struct sio_ring *)r;
	size_t tail, head, n;

	if (r == NULL)
		return 0;
	/* Read cons_head first: it only grows and never passes prod_tail or
	 * prod_head, so a later read of those gives a difference that is never
	 * negative. Acquire keeps the second load after the first. */
	head = atomic_load_explicit(&w->cons_head, memory_order_acquire);
	/* MPSC counts claimed slots, published or not: an over-estimate while
	 * a producer is inside sio_ring_enqueue(), never an under-estimate of
	 * what is published. Acquire (both) pairs with nothing in particular:
	 * it only orders the two loads; no slot is read here. */
	if (r->type == SIO_RING_MP_SC)
		tail = atomic_load_explicit(&w->prod_head, memory_order_acquire);
	else
		tail = atomic_load_explicit(&w->prod_tail, memory_order_acquire);
	n = tail - head;
	return n > r->mask + 1 ? r->mask + 1 : n;
}

static size_t ring_enqueue_sp(struct sio_ring *r, void *const *objs, size_t n)
{
	size_t cap = r->mask + 1, mask = r->mask;
	size_t tail = atomic_load_explicit(&r->prod_tail, memory_order_relaxed);
	size_t cons = atomic_load_explicit(&r->prod_cons_cache, memory_order_relaxed);
	size_t free_slots = cap - (tail - cons);
	void **slots = ring_sp_slots(r);

	if (free_slots < n) {
		/* Acquire pairs with the release store of cons_head in
		 * ring_dequeue_sp(): the consumer has finished reading the
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
	for (size_t i = 0; i < n; i++)
		slots[(tail + i) & mask] = objs[i];
	/* Release pairs with the acquire load of prod_tail in
	 * ring_dequeue_sp(): the slot writes above are visible first. */
	atomic_store_explicit(&r->prod_tail, tail + n, memory_order_release);
	return n;
}

static size_t ring_enqueue_mp(struct sio_ring *r, void *const *objs, size_t n)
{
	size_t cap = r->mask + 1, mask = r->mask;
	size_t head, cons, free_slots, want = n;
	struct ring_slot *slots = ring_mp_slots(r);

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
			 * ring_dequeue_mp(): the consumer has finished reading
			 * every slot below cons before we overwrite one. */
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
		/* Relaxed CAS: it only hands out index ranges. Slot reuse is
		 * ordered by the acquire of cons_head above (the range we win
		 * lies below cons + cap), slot contents by the seq release
		 * below. On failure head is reloaded and free space recomputed. */
	} while (!atomic_compare_exchange_weak_explicit(&r->prod_head, &head, head + n,
						       memory_order_relaxed, memory_order_relaxed));

	if (__builtin_expect(r->claim_hook != NULL, 0))
		r->claim_hook(r->claim_hook_arg);

	for (size_t i = 0; i < n; i++) {
		struct ring_slot *s = &slots[(head + i) & mask];

		s->ptr = objs[i];
		/* Release pairs with the acquire load of seq in
		 * ring_dequeue_mp(): the pointer is visible before the slot
		 * counts as published. */
		atomic_store_explicit(&s->seq, head + i + 1, memory_order_release);
	}
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

static size_t ring_dequeue_sp(struct sio_ring *r, void **objs, size_t n)
{
	size_t head, avail, mask = r->mask;
	void **slots = ring_sp_slots(r);

	head = atomic_load_explicit(&r->cons_head, memory_order_relaxed);
	avail = r->cons_prod_cache - head;
	if (avail < n) {
		/* Acquire pairs with the release store of prod_tail in
		 * ring_enqueue_sp(): slots below it are written. */
		r->cons_prod_cache = atomic_load_explicit(&r->prod_tail, memory_order_acquire);
		avail = r->cons_prod_cache - head;
		if (n > avail)
			n = avail;
		if (n == 0)
			return 0;
	}
	for (size_t i = 0; i < n; i++)
		objs[i] = slots[(head + i) & mask];
	/* Release pairs with the acquire load of cons_head in
	 * ring_enqueue_sp(): our slot reads complete before the producer may
	 * reuse them. */
	atomic_store_explicit(&r->cons_head, head + n, memory_order_release);
	return n;
}

static size_t ring_dequeue_mp(struct sio_ring *r, void **objs, size_t n)
{
	size_t head, i, mask = r->mask;
	struct ring_slot *slots = ring_mp_slots(r);

	/* Relaxed: only this thread writes cons_head. */
	head = atomic_load_explicit(&r->cons_head, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		struct ring_slot *s = &slots[(head + i) & mask];

		/* Acquire pairs with the release store of seq in
		 * ring_enqueue_mp(): the slot's pointer is written. Stop at
		 * the first slot not yet published: its producer is between
		 * claim and publish, and waiting for it is not our job. */
		if (atomic_load_explicit(&s->seq, memory_order_acquire) != head + i + 1)
			break;
		objs[i] = s->ptr;
	}
	if (i == 0)
		return 0;
	/* Release pairs with the acquire load of cons_head in
	 * ring_enqueue_mp(): our slot reads complete before a producer may
	 * reuse the slots. */
	atomic_store_explicit(&r->cons_head, head + i, memory_order_release);
	return i;
}

size_t sio_ring_dequeue(struct sio_ring *r, void **objs, size_t n)
{
	if (r == NULL || objs == NULL || n == 0)
		return 0;
	if (r->type == SIO_RING_SP_SC)
		return ring_dequeue_sp(r, objs, n);
	return ring_dequeue_mp(r, objs, n);
}
