/* SPDX-License-Identifier: BSD-3-Clause */
/* Guarded, pooled task stacks: see stack.h. */
#include "async/stack.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "async/sanitizer.h"

#ifndef MAP_STACK
#define MAP_STACK 0
#endif

void async_stack_pool_init(struct async_stack_pool *pool, uint32_t warm_max, uint32_t cold_max)
{
	memset(pool, 0, sizeof(*pool));
	pool->page = (size_t)sysconf(_SC_PAGESIZE);
	pool->warm_max = warm_max;
	pool->cold_max = cold_max;
}

size_t async_stack_round(const struct async_stack_pool *pool, size_t size)
{
	if (size == 0)
		size = ASYNC_STACK_DEFAULT;
	if (size < ASYNC_STACK_MIN)
		size = ASYNC_STACK_MIN;
	return (size + pool->page - 1) & ~(pool->page - 1);
}

static struct async_stack *stack_map(struct async_stack_pool *pool, size_t size)
{
	/* Guard page, the stack, and a page for the descriptor and the colour. */
	size_t len = pool->page + size + pool->page;
	uint32_t color = pool->next_color++ % ASYNC_STACK_COLORS;
	struct async_stack *st;
	char *map;

	/* MAP_NORESERVE: most of a stack is never touched, so don't charge the
	 * whole of it against overcommit accounting. */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	if (mprotect(map, pool->page, PROT_NONE) != 0) {
		munmap(map, len);
		return NULL;
	}
	st = (struct async_stack *)(map + len - sizeof(*st));
	st = (struct async_stack *)((uintptr_t)st & ~(uintptr_t)63);
	memset(st, 0, sizeof(*st));
	st->map = map;
	st->map_len = len;
	st->lo = map + pool->page;
	/* The descriptor and the largest colour (63 lines) fit in the extra page
	 * with 4 KiB pages; with larger pages the colours just stay inside it. */
	st->hi = (void *)(((uintptr_t)st - (uintptr_t)color * 64) & ~(uintptr_t)15);
	st->color = (uint16_t)color;
	st->size = size;
#ifdef SIO_HAVE_VALGRIND_H
	st->vg_id = VALGRIND_STACK_REGISTER(st->lo, st->hi);
#endif
	pool->stats.mapped++;
	return st;
}

/*
 * Frames of a task that never returned (it switched away for good) leave
 * their ASan redzones poisoned: cleared before a stack is reused, and
 * before it is unmapped, as the kernel may hand the range to the next
 * mmap() (an AIO ring did, in test_aio_bdev), whose reads would then hit a
 * dead frame's redzone.
 */
static void stack_unpoison(struct async_stack *st)
{
#if ASYNC_ASAN
	__asan_unpoison_memory_region(st->lo, (size_t)((char *)st->hi - (char *)st->lo));
#else
	(void)st;
#endif
}

static void stack_unmap(struct async_stack_pool *pool, struct async_stack *st)
{
#ifdef SIO_HAVE_VALGRIND_H
	VALGRIND_STACK_DEREGISTER(st->vg_id);
#endif
	pool->stats.unmapped++;
	stack_unpoison(st);
	munmap(st->map, st->map_len);
}

static struct async_stack_class *class_find(struct async_stack_pool *pool, size_t size,
					    bool create)
{
	struct async_stack_class *empty = NULL;

	for (int i = 0; i < ASYNC_STACK_CLASSES; i++) {
		if (pool->cls[i].size == size)
			return &pool->cls[i];
		if (pool->cls[i].size == 0 && empty == NULL)
			empty = &pool->cls[i];
	}
	if (create && empty != NULL)
		empty->size = size;
	return create ? empty : NULL;
}

int async_stack_get(struct async_stack_pool *pool, size_t size, struct async_stack **out)
{
	struct async_stack_class *c;
	struct async_stack *st = NULL;

	if (size > ASYNC_STACK_MAX)
		return -EINVAL;
	size = async_stack_round(pool, size);
	c = class_find(pool, size, false);
	if (c != NULL && c->warm != NULL) {
		st = c->warm;
		c->warm = st->next;
		c->nwarm--;
	} else if (c != NULL && c->cold != NULL) {
		st = c->cold;
		c->cold = st->next;
		c->ncold--;
	}
	if (st != NULL) {
		pool->stats.reused++;
	} else {
		st = stack_map(pool, size);
		if (st == NULL)
			return -ENOMEM;
	}
	stack_unpoison(st); /* the next task starts clean */
	st->next = NULL;
	st->cold = 0;
	pool->stats.in_use++;
	*out = st;
	return 0;
}

void async_stack_put(struct async_stack_pool *pool, struct async_stack *st)
{
	struct async_stack_class *c = class_find(pool, st->size, true);

	pool->stats.in_use--;
	if (c == NULL) {
		/* Every class slot is taken by other sizes: not pooled. */
		stack_unmap(pool, st);
		return;
	}
	/* No system call here: excess stacks are trimmed later, off the hot path. */
	st->next = c->warm;
	c->warm = st;
	c->nwarm++;
}

bool async_stack_pool_needs_trim(const struct async_stack_pool *pool)
{
	for (int i = 0; i < ASYNC_STACK_CLASSES; i++) {
		if (pool->cls[i].nwarm > pool->warm_max)
			return true;
	}
	return false;
}

void async_stack_pool_trim(struct async_stack_pool *pool)
{
	for (int i = 0; i < ASYNC_STACK_CLASSES; i++) {
		struct async_stack_class *c = &pool->cls[i];

		while (c->nwarm > pool->warm_max) {
			struct async_stack *st = c->warm;

			c->warm = st->next;
			c->nwarm--;
			if (c->ncold >= pool->cold_max) {
				stack_unmap(pool, st);
				continue;
			}
			/* Drop every page but the top one, which holds this
			 * descriptor (MADV_DONTNEED refills anonymous memory with
			 * zeroes on the next touch). */
			uintptr_t top_page = (uintptr_t)st & ~(uintptr_t)(pool->page - 1);

			if (top_page > (uintptr_t)st->lo) {
#if ASYNC_ASAN
				__asan_unpoison_memory_region(st->lo, top_page - (uintptr_t)st->lo);
#endif
				madvise(st->lo, top_page - (uintptr_t)st->lo, MADV_DONTNEED);
				pool->stats.released++;
			}
			st->cold = 1;
			st->next = c->cold;
			c->cold = st;
			c->ncold++;
		}
	}
}

uint64_t async_stack_pool_fini(struct async_stack_pool *pool)
{
	for (int i = 0; i < ASYNC_STACK_CLASSES; i++) {
		struct async_stack_class *c = &pool->cls[i];
		struct async_stack *st;

		while ((st = c->warm) != NULL) {
			c->warm = st->next;
			stack_unmap(pool, st);
		}
		while ((st = c->cold) != NULL) {
			c->cold = st->next;
			stack_unmap(pool, st);
		}
		c->nwarm = c->ncold = 0;
		c->size = 0;
	}
	return pool->stats.in_use;
}
