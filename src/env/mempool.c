/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixed-size object pools with per-OS-thread caches.
 *
 * Objects sit in one page-granular region, each at a 64-byte-aligned stride.
 * Free objects are either in the pool's shared stock (a LIFO array behind a
 * spinlock) or in some thread's cache. A thread reaches its cache through a
 * thread-local array indexed by the pool's registry slot; the entry carries
 * the pool's never-reused uid, so an entry left over from a destroyed pool
 * whose slot was reused is recognised as stale and never dereferenced.
 *
 * Cached get and put touch only the calling thread's cache: no lock, no
 * atomic read-modify-write. When a cache runs empty it refills half of its
 * capacity from the stock under the lock; when it runs full it flushes half.
 *
 * When a thread exits, a pthread key destructor returns its cached objects to
 * the stock and frees the cache for the next thread to adopt. Lock order is
 * g_reg_lock, then a pool's stock lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_internal.h"

#define MEMPOOL_NAME_MAX 32
#define MEMPOOL_CACHE_MAX 512
#define MEMPOOL_CACHE_DEFAULT_MAX 256

struct mempool_cache {
	/* Written only by the owning thread; read by sio_mempool_count(). */
	atomic_size_t len;
	size_t cap;
	/* Owned by a live thread. Changed under the pool's stock lock. */
	bool owned;
	struct mempool_cache *next;
	void *objs[];
};

struct sio_mempool {
	char name[MEMPOOL_NAME_MAX];
	size_t count;
	size_t elt_size;
	size_t stride;
	size_t cache_size;
	bool dma;
	uint32_t slot;  /* index into g_pools and the thread-local arrays */
	uint64_t uid;   /* never reused, tells live cache entries from stale ones */
	char *mem;      /* first object */
	char *mem_end;  /* one past the last object */
	size_t mem_len; /* mapped length */

	_Alignas(ENV_CACHE_LINE) struct env_spinlock lock;
	/* Objects in stock; written under lock, read racily by count(). */
	atomic_size_t stock_len;
	void **stock;
	struct mempool_cache *caches; /* every cache of this pool; under lock */
};

struct mempool_tls_ent {
	uint64_t uid;
	struct mempool_cache *cache;
};

static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sio_mempool **g_pools; /* by slot; NULL = free slot */
static uint32_t g_pools_len;
static uint64_t g_next_uid = 1;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_exit_key;

static __thread struct mempool_tls_ent *tls_ents;
static __thread uint32_t tls_nents;

static void mempool_thread_exit(void *arg);

static void mempool_key_init(void)
{
	/* Failure only loses the exit-time flush: cached objects of exiting
	 * threads then stay cached (counted free, not reusable). */
	if (pthread_key_create(&g_exit_key, mempool_thread_exit) != 0)
		SIO_ERRLOG("mempool: no thread-exit key; caches of exiting threads are stranded");
}

static size_t mempool_default_cache(size_t count)
{
	size_t c = count / (4 * (size_t)sio_cpu_count());

	return c > MEMPOOL_CACHE_DEFAULT_MAX ? MEMPOOL_CACHE_DEFAULT_MAX : c;
}

static int mempool_register(struct sio_mempool *mp)
{
	uint32_t slot;

	pthread_mutex_lock(&g_reg_lock);
	for (slot = 0; slot < g_pools_len; slot++) {
		if (g_pools[slot] == NULL)
			break;
	}
	if (slot == g_pools_len) {
		uint32_t nlen = g_pools_len ? g_pools_len * 2 : 16;
		struct sio_mempool **np = realloc(g_pools, nlen * sizeof(*np));

		if (np == NULL) {
			pthread_mutex_unlock(&g_reg_lock);
			return -ENOMEM;
		}
		memset(np + g_pools_len, 0, (nlen - g_pools_len) * sizeof(*np));
		g_pools = np;
		g_pools_len = nlen;
	}
	g_pools[slot] = mp;
	mp->slot = slot;
	mp->uid = g_next_uid++;
	pthread_mutex_unlock(&g_reg_lock);
	return 0;
}

struct sio_mempool *sio_mempool_create(const char *name, size_t count, size_t elt_size,
				       size_t cache_size, bool dma)
{
	struct sio_mempool *mp;
	size_t stride, len;
	int err = ENOMEM;

	if (name == NULL || count == 0 || elt_size == 0 || elt_size > SIZE_MAX / 2 ||
	    (cache_size != SIO_MEMPOOL_CACHE_DEFAULT && cache_size > MEMPOOL_CACHE_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	stride = env_align_up(elt_size, ENV_CACHE_LINE);
	if (count > SIZE_MAX / stride) {
		errno = EINVAL;
		return NULL;
	}
	len = count * stride;
	if (cache_size == SIO_MEMPOOL_CACHE_DEFAULT)
		cache_size = mempool_default_cache(count);

	mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		goto err;
	mp->stock = malloc(count * sizeof(void *));
	if (mp->stock == NULL)
		goto err_mp;
	mp->mem_len = len;
	mp->mem = env_mem_alloc(len, dma);
	if (mp->mem == NULL) {
		err = errno;
		goto err_stock;
	}
	snprintf(mp->name, sizeof(mp->name), "%s", name);
	mp->count = count;
	mp->elt_size = elt_size;
	mp->stride = stride;
	mp->cache_size = cache_size;
	mp->dma = dma;
	mp->mem_end = mp->mem + len;
	env_spin_init(&mp->lock);
	env_poison(mp->mem, len);
	/* Stack order so the first get returns the lowest address. */
	for (size_t i = 0; i < count; i++)
		mp->stock[i] = mp->mem + (count - 1 - i) * stride;
	atomic_init(&mp->stock_len, count);

	pthread_once(&g_key_once, mempool_key_init);
	if (mempool_register(mp) != 0)
		goto err_mem;
	return mp;

err_mem:
	env_mem_free(mp->mem, len, dma);
err_stock:
	free(mp->stock);
err_mp:
	free(mp);
err:
	errno = err;
	return NULL;
}

static size_t mempool_free_count(struct sio_mempool *mp)
{
	size_t n;

	env_spin_lock(&mp->lock);
	n = atomic_load_explicit(&mp->stock_len, memory_order_relaxed);
	for (struct mempool_cache *c = mp->caches; c; c = c->next)
		n += atomic_load_explicit(&c->len, memory_order_relaxed);
	env_spin_unlock(&mp->lock);
	return n;
}

void sio_mempool_destroy(struct sio_mempool *mp)
{
	struct mempool_cache *c, *next;
	size_t free_n;

	if (mp == NULL)
		return;

	pthread_mutex_lock(&g_reg_lock);
	g_pools[mp->slot] = NULL;
	pthread_mutex_unlock(&g_reg_lock);

	free_n = mempool_free_count(mp);
	if (free_n < mp->count)
		SIO_ERRLOG("mempool '%s' destroyed with %zu of %zu objects still in use (leaked)",
			   mp->name, mp->count - free_n, mp->count);

	for (c = mp->caches; c; c = next) {
		next = c->next;
		free(c);
	}
	env_unpoison(mp->mem, mp->mem_len);
	env_mem_free(mp->mem, mp->mem_len, mp->dma);
	free(mp->stock);
	free(mp);
}

/* Attach a cache of @mp to the calling thread (first use on this thread). */
static struct mempool_cache *mempool_cache_attach(struct sio_mempool *mp)
{
	struct mempool_cache *c, *fresh;

	if (mp->slot >= tls_nents) {
		uint32_t nlen = mp->slot + 16;
		struct mempool_tls_ent *ne = realloc(tls_ents, nlen * sizeof(*ne));

		if (ne == NULL)
			return NULL;
		memset(ne + tls_nents, 0, (nlen - tls_nents) * sizeof(*ne));
		tls_ents = ne;
		tls_nents = nlen;
		/* Any non-NULL value arms the destructor for this thread. */
		pthread_setspecific(g_exit_key, ne);
	}

	/* Allocate before taking the spinlock, so no one spins on malloc. */
	fresh = malloc(sizeof(*fresh) + mp->cache_size * sizeof(void *));
	env_spin_lock(&mp->lock);
	for (c = mp->caches; c; c = c->next) {
		if (!c->owned)
			break;
	}
	if (c == NULL && fresh != NULL) {
		c = fresh;
		fresh = NULL;
		atomic_init(&c->len, 0);
		c->cap = mp->cache_size;
		c->next = mp->caches;
		mp->caches = c;
	}
	if (c != NULL)
		c->owned = true;
	env_spin_unlock(&mp->lock);
	free(fresh);
	if (c == NULL)
		return NULL;

	tls_ents[mp->slot].uid = mp->uid;
	tls_ents[mp->slot].cache = c;
	return c;
}

static inline struct mempool_cache *mempool_cache(struct sio_mempool *mp)
{
	if (mp->cache_size == 0)
		return NULL;
	if (__builtin_expect(mp->slot < tls_nents && tls_ents[mp->slot].uid == mp->uid, 1))
		return tls_ents[mp->slot].cache;
	return mempool_cache_attach(mp);
}

/* Move up to @n objects from the stock into @objs; returns how many. */
static size_t mempool_stock_take(struct sio_mempool *mp, void **objs, size_t n)
{
	size_t len = atomic_load_explicit(&mp->stock_len, memory_order_relaxed);

	if (n > len)
		n = len;
	len -= n;
	memcpy(objs, &mp->stock[len], n * sizeof(void *));
	atomic_store_explicit(&mp->stock_len, len, memory_order_relaxed);
	return n;
}

static void mempool_stock_give(struct sio_mempool *mp, void *const *objs, size_t n)
{
	size_t len = atomic_load_explicit(&mp->stock_len, memory_order_relaxed);

	/* Only a double put can overfill the stock; refuse rather than write
	 * past the array. */
	if (__builtin_expect(n > mp->count - len, 0)) {
		SIO_ERRLOG("mempool '%s': more objects returned than exist (double put?); %zu dropped",
			   mp->name, n - (mp->count - len));
		n = mp->count - len;
	}
	memcpy(&mp->stock[len], objs, n * sizeof(void *));
	atomic_store_explicit(&mp->stock_len, len + n, memory_order_relaxed);
}

static void mempool_thread_exit(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_reg_lock);
	for (uint32_t i = 0; i < tls_nents && i < g_pools_len; i++) {
		struct sio_mempool *mp = g_pools[i];
		struct mempool_cache *c = tls_ents[i].cache;

		/* A stale entry (pool destroyed, slot maybe reused) is skipped:
		 * its cache was freed with its pool. */
		if (mp == NULL || tls_ents[i].uid != mp->uid)
			continue;
		env_spin_lock(&mp->lock);
		mempool_stock_give(mp, c->objs, atomic_load_explicit(&c->len, memory_order_relaxed));
		atomic_store_explicit(&c->len, 0, memory_order_relaxed);
		c->owned = false;
		env_spin_unlock(&mp->lock);
	}
	pthread_mutex_unlock(&g_reg_lock);
	free(tls_ents);
	tls_ents = NULL;
	tls_nents = 0;
}

static inline bool mempool_owns(const struct sio_mempool *mp, const void *obj)
{
	const char *p = obj;

	return p >= mp->mem && p < mp->mem_end && ((size_t)(p - mp->mem) % mp->stride) == 0;
}

void *sio_mempool_get(struct sio_mempool *mp)
{
	struct mempool_cache *c;
	void *obj = NULL;
	size_t len;

	if (mp == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = mempool_cache(mp);
	if (__builtin_expect(c != NULL, 1)) {
		len = atomic_load_explicit(&c->len, memory_order_relaxed);
		if (__builtin_expect(len == 0, 0)) {
			/* Refill to half capacity, plus the one we hand out. */
			env_spin_lock(&mp->lock);
			len = mempool_stock_take(mp, c->objs, c->cap / 2 + 1);
			env_spin_unlock(&mp->lock);
			if (len == 0)
				goto empty;
		}
		obj = c->objs[--len];
		atomic_store_explicit(&c->len, len, memory_order_relaxed);
		env_unpoison(obj, mp->elt_size);
		return obj;
	}

	env_spin_lock(&mp->lock);
	mempool_stock_take(mp, &obj, 1);
	env_spin_unlock(&mp->lock);
	if (obj != NULL) {
		env_unpoison(obj, mp->elt_size);
		return obj;
	}
empty:
	errno = ENOMEM;
	return NULL;
}

int sio_mempool_get_bulk(struct sio_mempool *mp, void **objs, size_t n)
{
	struct mempool_cache *c;
	size_t from_cache = 0, len = 0;

	if (mp == NULL || (objs == NULL && n > 0))
		return -EINVAL;
	if (n == 0)
		return 0;
	c = mempool_cache(mp);
	if (c != NULL) {
		len = atomic_load_explicit(&c->len, memory_order_relaxed);
		if (len >= n) {
			/* Hand out the most recently cached (warmest) first. */
			for (size_t i = 0; i < n; i++)
				objs[i] = c->objs[len - 1 - i];
			atomic_store_explicit(&c->len, len - n, memory_order_relaxed);
			goto out;
		}
	}

	env_spin_lock(&mp->lock);
	if (atomic_load_explicit(&mp->stock_len, memory_order_relaxed) + len < n) {
		env_spin_unlock(&mp->lock);
		return -ENOMEM;
	}
	for (; from_cache < len; from_cache++)
		objs[from_cache] = c->objs[len - 1 - from_cache];
	mempool_stock_take(mp, objs + from_cache, n - from_cache);
	env_spin_unlock(&mp->lock);
	if (c != NULL)
		atomic_store_explicit(&c->len, 0, memory_order_relaxed);
out:
	for (size_t i = 0; i < n; i++)
		env_unpoison(objs[i], mp->elt_size);
	return 0;
}

/* Push @obj onto @c, which holds *@len objects; flush the older half to the
 * stock first when full. The caller stores *@len back when done. */
static inline void mempool_cache_push(struct sio_mempool *mp, struct mempool_cache *c,
				      size_t *len, void *obj)
{
	if (__builtin_expect(*len == c->cap, 0)) {
		/* Flush the older half, keeping the warm objects local. */
		size_t half = c->cap / 2 + 1;

		env_spin_lock(&mp->lock);
		mempool_stock_give(mp, c->objs, half);
		env_spin_unlock(&mp->lock);
		memmove(c->objs, c->objs + half, (*len - half) * sizeof(void *));
		*len -= half;
	}
	c->objs[(*len)++] = obj;
}

/* Whether @obj may go back to @mp; poisons it when it may, logs when not. */
static bool mempool_check_put(const struct sio_mempool *mp, const void *obj)
{
	if (__builtin_expect(mempool_owns(mp, obj), 1)) {
		env_poison((void *)obj, mp->stride);
		return true;
	}
	SIO_ERRLOG("mempool '%s': %p is not one of its objects; ignored", mp->name, obj);
	return false;
}

void sio_mempool_put(struct sio_mempool *mp, void *obj)
{
	struct mempool_cache *c;
	size_t len;

	if (mp == NULL || obj == NULL || !mempool_check_put(mp, obj))
		return;
	c = mempool_cache(mp);
	if (__builtin_expect(c != NULL, 1)) {
		len = atomic_load_explicit(&c->len, memory_order_relaxed);
		mempool_cache_push(mp, c, &len, obj);
		atomic_store_explicit(&c->len, len, memory_order_relaxed);
		return;
	}
	env_spin_lock(&mp->lock);
	mempool_stock_give(mp, &obj, 1);
	env_spin_unlock(&mp->lock);
}

void sio_mempool_put_bulk(struct sio_mempool *mp, void *const *objs, size_t n)
{
	struct mempool_cache *c;
	size_t len;

	if (mp == NULL || objs == NULL || n == 0)
		return;
	c = mempool_cache(mp);
	if (c != NULL) {
		len = atomic_load_explicit(&c->len, memory_order_relaxed);
		for (size_t i = 0; i < n; i++) {
			if (objs[i] != NULL && mempool_check_put(mp, objs[i]))
				mempool_cache_push(mp, c, &len, objs[i]);
		}
		atomic_store_explicit(&c->len, len, memory_order_relaxed);
		return;
	}
	env_spin_lock(&mp->lock);
	for (size_t i = 0; i < n; i++) {
		if (objs[i] == NULL)
			continue;
		if (!mempool_owns(mp, objs[i])) {
			/* Log outside the spinlock: the sink may be slow. */
			env_spin_unlock(&mp->lock);
			mempool_check_put(mp, objs[i]);
			env_spin_lock(&mp->lock);
			continue;
		}
		env_poison(objs[i], mp->stride);
		mempool_stock_give(mp, &objs[i], 1);
	}
	env_spin_unlock(&mp->lock);
}

size_t sio_mempool_count(const struct sio_mempool *mp)
{
	if (mp == NULL)
		return 0;
	return mempool_free_count((struct sio_mempool *)mp);
}

size_t sio_mempool_in_use(const struct sio_mempool *mp)
{
	size_t free_n;

	if (mp == NULL)
		return 0;
	free_n = mempool_free_count((struct sio_mempool *)mp);
	return free_n > mp->count ? 0 : mp->count - free_n;
}

size_t sio_mempool_obj_size(const struct sio_mempool *mp)
{
	return mp ? mp->elt_size : 0;
}

size_t sio_mempool_capacity(const struct sio_mempool *mp)
{
	return mp ? mp->count : 0;
}
