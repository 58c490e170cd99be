/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Task stacks: mmap'd, with a PROT_NONE guard page below so an overflow faults
 * (SIGSEGV) instead of silently overwriting a neighbour, and pooled so that
 * spawning a task does not cost an mmap/munmap pair.
 *
 * A pool belongs to one sio_thread and is used only from it (no locks). Stacks
 * are kept per size class. A released stack always goes to the warm list (kept
 * as is, pages resident): no system call on the spawn/exit path. Trimming,
 * called off the hot path, moves the warm stacks beyond a small warm set to the
 * cold list after handing their pages back to the kernel with MADV_DONTNEED
 * (memory freed, mapping kept, refilled with zero pages on the next touch);
 * beyond the cold limit it unmaps them.
 */
#ifndef SIO_ASYNC_STACK_H
#define SIO_ASYNC_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default usable stack size of a task. */
#define ASYNC_STACK_DEFAULT (64u * 1024)
/** Smallest stack accepted (smaller requests are rounded up to it). */
#define ASYNC_STACK_MIN (16u * 1024)
/** Largest stack accepted. */
#define ASYNC_STACK_MAX (64u * 1024 * 1024)
/** Distinct stack sizes pooled per thread; other sizes are mapped per task. */
#define ASYNC_STACK_CLASSES 4

/** Cache colours of the stack tops: successive stacks start this many 64-byte
 * lines apart, modulo this count (a page's worth with 4 KiB pages). */
#define ASYNC_STACK_COLORS 64u

/**
 * One stack. The descriptor itself lives at the very top of the mapping, so a
 * stack costs one mapping and no heap allocation; the usable stack is
 * [lo, hi), at least the class size, with hi 16-byte aligned a colour below
 * the descriptor.
 *
 * Why colours: every mapping is page-aligned, so without them the hot top of
 * every stack (the task control block and the innermost frames of a parked
 * task) would sit at the same offset in its page, hence in the same few sets
 * of an L1 cache indexed by the offset in the page; a thread switching among
 * more tasks than the cache has ways would miss on every switch. Each stack
 * is mapped one page larger so that the colour costs no usable space.
 */
struct async_stack {
	struct async_stack *next; /* free-list link while pooled */
	void *map;                /* start of the mapping (the guard page) */
	size_t map_len;           /* guard page + size */
	void *lo;                 /* lowest usable byte, just above the guard */
	void *hi;                 /* one past the highest usable byte */
	size_t size;              /* the class size: map_len less the guard and top pages */
	unsigned int vg_id;       /* Valgrind stack id (0 without Valgrind) */
	uint16_t color;           /* hi is this many cache lines below the descriptor */
	uint8_t cold;             /* pages were released with MADV_DONTNEED */
};

struct async_stack_class {
	size_t size;               /* 0: slot unused */
	struct async_stack *warm;  /* LIFO of resident stacks */
	struct async_stack *cold;  /* LIFO of released-page stacks */
	uint32_t nwarm;
	uint32_t ncold;
};

/** Counters, for tests and statistics. */
struct async_stack_stats {
	uint64_t mapped;   /* mmap calls made */
	uint64_t unmapped; /* munmap calls made */
	uint64_t reused;   /* gets served from the pool */
	uint64_t released; /* puts that dropped pages with MADV_DONTNEED */
	uint64_t in_use;   /* stacks handed out and not yet put back */
};

struct async_stack_pool {
	struct async_stack_class cls[ASYNC_STACK_CLASSES];
	size_t page;
	uint32_t warm_max;  /* per class */
	uint32_t cold_max;  /* per class */
	uint32_t next_color;
	struct async_stack_stats stats;
};

/** Initialise @pool: keep up to @warm_max resident and @cold_max released stacks per size. */
void async_stack_pool_init(struct async_stack_pool *pool, uint32_t warm_max, uint32_t cold_max);

/**
 * async_stack_pool_fini() - Unmap every pooled stack.
 * Return: the number of stacks still handed out (leaked; the caller reports them).
 */
uint64_t async_stack_pool_fini(struct async_stack_pool *pool);

/**
 * async_stack_get() - A stack of at least @size usable bytes (0: the default),
 * from the pool or freshly mapped.
 * Return: 0 and *@out; -EINVAL for @size above ASYNC_STACK_MAX; -ENOMEM when
 * mmap fails (address space or vm.max_map_count exhausted).
 */
int async_stack_get(struct async_stack_pool *pool, size_t size, struct async_stack **out);

/** async_stack_put() - Give @st back to @pool (which it came from). No system call. */
void async_stack_put(struct async_stack_pool *pool, struct async_stack *st);

/** async_stack_pool_needs_trim() - Whether a warm list is longer than the warm set. */
bool async_stack_pool_needs_trim(const struct async_stack_pool *pool);

/** async_stack_pool_trim() - Release the pages of warm stacks beyond the warm set (see above). */
void async_stack_pool_trim(struct async_stack_pool *pool);

/** async_stack_round() - The size class @size is rounded to (whole pages, min and default applied). */
size_t async_stack_round(const struct async_stack_pool *pool, size_t size);

#endif /* SIO_ASYNC_STACK_H */
