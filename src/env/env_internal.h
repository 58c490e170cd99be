/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the files of the env layer. Not installed; other layers
 * must not include it.
 */
#ifndef SIO_ENV_INTERNAL_H
#define SIO_ENV_INTERNAL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "spdk_io/env.h"
#include "spdk_io/log.h"

#define ENV_CACHE_LINE 64

/* Log component of this layer, for SIO_DEBUGLOG("env", ...). */
#define ENV_LOG_FLAG "env"

static inline void env_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * A test-and-test-and-set spinlock for short critical sections (a few dozen
 * pointer moves). After a burst of spinning it yields the CPU: on a machine
 * with fewer cores than runnable threads the holder may be preempted, and
 * spinning on would only burn the time slice the holder needs.
 */
struct env_spinlock {
	atomic_bool locked;
};

static inline void env_spin_init(struct env_spinlock *l)
{
	atomic_init(&l->locked, false);
}

static inline void env_spin_lock(struct env_spinlock *l)
{
	unsigned int spins = 0;

	for (;;) {
		/* Acquire pairs with the release in env_spin_unlock(): the previous
		 * holder's writes are visible once we own the lock. */
		if (!atomic_exchange_explicit(&l->locked, true, memory_order_acquire))
			return;
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			if (++spins < 128)
				env_cpu_relax();
			else
				sched_yield();
		}
	}
}

static inline void env_spin_unlock(struct env_spinlock *l)
{
	/* Release pairs with the acquire exchange in env_spin_lock(). */
	atomic_store_explicit(&l->locked, false, memory_order_release);
}

static inline bool env_is_pow2(size_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static inline size_t env_align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/*
 * Under AddressSanitizer, memory that no caller owns (free pool objects, free
 * or padding DMA bytes) is poisoned, so a use after put/free or an overrun is
 * reported where it happens. No-ops otherwise. Poisoned ranges must be
 * unpoisoned before their pages are unmapped: the shadow outlives the mapping.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ENV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENV_ASAN 1
#endif
#endif
#ifdef ENV_ASAN
#include <sanitizer/asan_interface.h>
#define env_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define env_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define env_poison(p, n) ((void)(p), (void)(n))
#define env_unpoison(p, n) ((void)(p), (void)(n))
#endif

/* Page-granular backing memory for pools: DMA memory when @dma, else plain
 * anonymous memory. Returns NULL with errno set. */
void *env_mem_alloc(size_t len, bool dma);
void env_mem_free(void *p, size_t len, bool dma);

/*
 * Test hook: @fn(@arg) runs in every MP_SC producer of @r after it has claimed
 * its slots and before it publishes them, so a test can stall a producer at
 * the worst moment. NULL removes it. Set it before producers start.
 */
void env_ring_set_claim_hook(struct sio_ring *r, void (*fn)(void *arg), void *arg);

#endif /* SIO_ENV_INTERNAL_H */
