/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA-able memory.
 *
 * Memory comes in chunks: 2 MiB hugepage mappings (MAP_HUGETLB) when the env
 * was initialised with hugepages and the kernel has free ones, else anonymous
 * mappings, locked in RAM where the process may (mlock). Allocations are
 * carved from chunks first-fit, 64-byte granular; an allocation too big for
 * a standard chunk gets a chunk of its own. A chunk that becomes empty is
 * unmapped, except the one reserved up front by sio_env_init().
 *
 * Every live allocation is in a registry, a sorted array of regions that
 * sio_dma_lookup() binary-searches without a lock. Writers (under g_dma_lock)
 * build a new array and publish it with one pointer store; the old array is
 * freed after a grace period: readers announce themselves on one of two
 * counters picked by g_epoch's parity; the writer flips the epoch and waits
 * for the retired parity's counter to drain, twice (see dma_synchronize()).
 * Any reader that could still hold the old array is counted on one of the
 * two; any reader counted later loads the new one.
 *
 * IOVAs: a chunk's I/O virtual address is its virtual address until a VFIO
 * container is open (vfio.c); from then on every chunk, and every buffer
 * the caller registered (sio_dma_register(), a "user" chunk that is never
 * carved), is mapped into the IOMMU at an IOVA handed out here, 2 MiB
 * aligned, from 4 GiB up. IOVAs are not reused within one container's life:
 * the space (2^39 bytes on a 39-bit IOMMU) outlasts any test or benchmark;
 * a long-lived process that churns chunks would want a free list.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "env_internal.h"
#include "dma_internal.h"
#include "vfio_internal.h"

#define DMA_MIN_ALIGN 64
#define DMA_PAGE_SIZE 4096ul
#define DMA_HUGEPAGE_SIZE (2ul << 20)
/* Standard chunk; bigger requests get a chunk of their own. */
#define DMA_CHUNK_SIZE (2ul << 20)

struct dma_extent {
	size_t off;
	size_t len;
	struct dma_extent *next;
};

struct dma_chunk {
	char *base;
	size_t len;
	bool hugepage;
	bool reserved;           /* kept mapped while empty (sio_env_init's reservation) */
	bool user;               /* sio_dma_register(): the caller's memory, never carved */
	bool iommu_mapped;       /* mapped into the VFIO container at iova */
	/* IOVA of base: written under g_dma_lock, read by lock-free lookups. */
	_Atomic uint64_t iova;
	size_t used;             /* bytes handed out */
	struct dma_extent *free; /* free extents, sorted by offset, coalesced */
	struct dma_chunk *next;
};

struct dma_entry {
	uintptr_t base;
	size_t len;   /* usable length asked for */
	size_t taken; /* bytes carved from the chunk (len rounded up to 64) */
	struct dma_chunk *chunk;
};

struct dma_table {
	size_t n;
	struct dma_entry e[];
};

static pthread_mutex_t g_dma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dma_chunk *g_chunks;
static bool g_dma_hugepages;     /* try hugepages for new chunks */
static bool g_dma_huge_warned;   /* said once that hugepages ran out */
static _Atomic(struct dma_table *) g_table;
static atomic_uint g_epoch;
static atomic_ulong g_readers[2];
static int g_dma_vfio_fd = -1;   /* the VFIO container while one is open */
static uint64_t g_dma_iova_next; /* next free IOVA in it */

#define DMA_IOVA_BASE (1ull << 32)

/* ---- registry ------------------------------------------------------------ */

static void dma_synchronize(void)
{
	/*
	 * Two flips, each waiting for the parity it retires to drain. A reader
	 * may read the epoch, stall, and only then count itself: it is then
	 * counted on a parity that is one flip stale, which a single flip does
	 * not wait for. Any reader that could hold the old table counted itself
	 * before the publish; whichever parity it chose, one of the two phases
	 * waits for it.
	 *
	 * seq_cst on the flips, the counter reads and the readers' increment
	 * and table load puts them in one total order: a reader whose increment
	 * comes after our read of zero also loads the table after the publish
	 * that preceded this call.
	 */
	for (int phase = 0; phase < 2; phase++) {
		unsigned int old = atomic_fetch_add_explicit(&g_epoch, 1, memory_order_seq_cst);

		for (unsigned int spins = 0;
		     atomic_load_explicit(&g_readers[old & 1], memory_order_seq_cst) != 0; spins++) {
			/* Readers hold their count for a binary search; yield
			 * only when one was likely preempted. */
			if (spins < 1024)
				env_cpu_relax();
			else
				sched_yield();
		}
	}
}

/* Publish @t, then free the table it replaced once no reader can hold it.
 * Called with g_dma_lock held. */
static void dma_table_publish(struct dma_table *t)
{
	struct dma_table *old = atomic_exchange_explicit(&g_table, t, memory_order_seq_cst);

	if (old != NULL) {
		dma_synchronize();
		free(old);
	}
}

/* Index of the first entry with base > @addr. */
static size_t dma_table_upper(const struct dma_table *t, uintptr_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->e[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int dma_table_insert(const struct dma_entry *ent)
{
	struct dma_table *cur = atomic_load_explicit(&g_table, memory_order_relaxed);
	size_t n = cur ? cur->n : 0, pos = cur ? dma_table_upper(cur, ent->base) : 0;
	struct dma_table *t = malloc(sizeof(*t) + (n + 1) * sizeof(t->e[0]));

	if (t == NULL)
		return -ENOMEM;
	t->n = n + 1;
	if (n > 0) {
		memcpy(t->e, cur->e, pos * sizeof(t->e[0]));
		memcpy(&t->e[pos + 1], &cur->e[pos], (n - pos) * sizeof(t->e[0]));
	}
	t->e[pos] = *ent;
	dma_table_publish(t);
	return 0;
}

/* Find the entry starting exactly at @addr; returns its index or -1. */
static ssize_t dma_table_find_exact(const struct dma_table *t, uintptr_t addr)
{
	size_t i;

	if (t == NULL)
		return -1;
	i = dma_table_upper(t, addr);
	if (i == 0 || t->e[i - 1].base != addr)
		return -1;
	return (ssize_t)(i - 1);
}

static int dma_table_remove(size_t idx)
{
	struct dma_table *cur = atomic_load_explicit(&g_table, memory_order_relaxed);
	struct dma_table *t = malloc(sizeof(*t) + (cur->n - 1) * sizeof(t->e[0]));

	if (t == NULL)
		return -ENOMEM;
	t->n = cur->n - 1;
	memcpy(t->e, cur->e, idx * sizeof(t->e[0]));
	memcpy(&t->e[idx], &cur->e[idx + 1], (cur->n - idx - 1) * sizeof(t->e[0]));
	dma_table_publish(t);
	return 0;
}

int sio_dma_lookup(const void *addr, struct sio_dma_region *region)
{
	struct dma_table *t;
	unsigned int idx;
	uintptr_t a = (uintptr_t)addr;
	int rc = -ENOENT;

	if (addr == NULL || region == NULL)
		return -EINVAL;

	/* Announce ourselves on the current parity; seq_cst pairs with the
	 * epoch flip and counter reads in dma_synchronize(). */
	idx = atomic_load_explicit(&g_epoch, memory_order_seq_cst) & 1;
	atomic_fetch_add_explicit(&g_readers[idx], 1, memory_order_seq_cst);
	t = atomic_load_explicit(&g_table, memory_order_seq_cst);
	if (t != NULL) {
		size_t i = dma_table_upper(t, a);

		if (i > 0 && a - t->e[i - 1].base < t->e[i - 1].len) {
			const struct dma_entry *e = &t->e[i - 1];

			region->base = (void *)e->base;
			region->len = e->len;
			region->iova = atomic_load_explicit(&e->chunk->iova, memory_order_relaxed) +
				       (e->base - (uintptr_t)e->chunk->base);
			region->hugepage = e->chunk->hugepage;
			rc = 0;
		}
	}
	/* Release pairs with the seq_cst counter read in dma_synchronize(): our
	 * reads of the table are done before the writer may free it. */
	atomic_fetch_sub_explicit(&g_readers[idx], 1, memory_order_release);
	return rc;
}

/* ---- IOMMU --------------------------------------------------------------- */

/* Map @c into the open container, if any. Called with g_dma_lock held. */
static int dma_chunk_iommu_map(struct dma_chunk *c)
{
	uint64_t iova;
	int rc;

	if (g_dma_vfio_fd < 0 || c->iommu_mapped)
		return 0;
	iova = env_align_up(g_dma_iova_next, DMA_HUGEPAGE_SIZE);
	rc = env_vfio_dma_map(g_dma_vfio_fd, c->base, c->len, iova);
	if (rc != 0)
		return rc;
	g_dma_iova_next = iova + c->len;
	c->iommu_mapped = true;
	atomic_store_explicit(&c->iova, iova, memory_order_relaxed);
	return 0;
}

/* Called with g_dma_lock held. */
static void dma_chunk_iommu_unmap(struct dma_chunk *c)
{
	if (!c->iommu_mapped)
		return;
	env_vfio_dma_unmap(g_dma_vfio_fd, atomic_load_explicit(&c->iova, memory_order_relaxed),
			   c->len);
	c->iommu_mapped = false;
	atomic_store_explicit(&c->iova, (uint64_t)(uintptr_t)c->base, memory_order_relaxed);
}

int env_dma_vfio_attach(int container_fd)
{
	struct dma_chunk *c;
	int rc = 0;

	pthread_mutex_lock(&g_dma_lock);
	g_dma_vfio_fd = container_fd;
	if (g_dma_iova_next < DMA_IOVA_BASE)
		g_dma_iova_next = DMA_IOVA_BASE;
	for (c = g_chunks; c != NULL && rc == 0; c = c->next)
		rc = dma_chunk_iommu_map(c);
	if (rc != 0) {
		for (c = g_chunks; c != NULL; c = c->next)
			dma_chunk_iommu_unmap(c);
		g_dma_vfio_fd = -1;
	}
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

void env_dma_vfio_detach(void)
{
	pthread_mutex_lock(&g_dma_lock);
	for (struct dma_chunk *c = g_chunks; c != NULL; c = c->next)
		dma_chunk_iommu_unmap(c);
	g_dma_vfio_fd = -1;
	pthread_mutex_unlock(&g_dma_lock);
}

/* ---- chunks -------------------------------------------------------------- */

enum dma_map_mode {
	DMA_MAP_PLAIN,     /* ordinary pages */
	DMA_MAP_TRY_HUGE,  /* hugepages, else ordinary pages */
	DMA_MAP_HUGE_ONLY, /* hugepages, populated now, or nothing */
};

static struct dma_chunk *dma_chunk_map(size_t len, enum dma_map_mode mode)
{
	bool try_huge = mode != DMA_MAP_PLAIN;
	bool populate = mode == DMA_MAP_HUGE_ONLY;

	struct dma_chunk *c = calloc(1, sizeof(*c));
	struct dma_extent *ext = calloc(1, sizeof(*ext));
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0);
	void *p = MAP_FAILED;

	if (c == NULL || ext == NULL)
		goto err;
	if (try_huge) {
		size_t hlen = env_align_up(len, DMA_HUGEPAGE_SIZE);

		p = mmap(NULL, hlen, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB, -1, 0);
		if (p != MAP_FAILED) {
			len = hlen;
			c->hugepage = true;
		} else if (mode == DMA_MAP_HUGE_ONLY) {
			goto err;
		} else if (!g_dma_huge_warned) {
			g_dma_huge_warned = true;
			SIO_WARNLOG("no free hugepages for %zu bytes; DMA memory falls back to "
				    "ordinary pages", hlen);
		}
	}
	if (p == MAP_FAILED) {
		len = env_align_up(len, DMA_PAGE_SIZE);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p == MAP_FAILED)
			goto err;
		/* Pinning keeps the pages resident for a device; without the
		 * privilege or the rlimit it fails, and unpinned pages still
		 * work for every in-process user. */
		if (mlock(p, len) != 0)
			SIO_DEBUGLOG(ENV_LOG_FLAG, "mlock of %zu bytes failed (%d); memory not pinned",
				     len, errno);
	}
	c->base = p;
	c->len = len;
	atomic_init(&c->iova, (uint64_t)(uintptr_t)p);
	/* With a container open the device must see the chunk before any
	 * allocation in it is handed out. */
	if (dma_chunk_iommu_map(c) != 0) {
		munmap(p, len);
		goto err;
	}
	env_poison(p, len);
	ext->off = 0;
	ext->len = len;
	c->free = ext;
	c->next = g_chunks;
	g_chunks = c;
	return c;
err:
	free(c);
	free(ext);
	errno = ENOMEM;
	return NULL;
}

static void dma_chunk_unmap(struct dma_chunk *c)
{
	struct dma_chunk **pp;

	for (pp = &g_chunks; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	/* The IOMMU forgets the pages before they go back to the kernel. */
	dma_chunk_iommu_unmap(c);
	if (c->user) {
		free(c);
		return;
	}
	env_unpoison(c->base, c->len);
	munmap(c->base, c->len);
	while (c->free) {
		struct dma_extent *e = c->free;

		c->free = e->next;
		free(e);
	}
	free(c);
}

/* Carve @len bytes aligned to @align from @c; returns the offset or -1. */
static ssize_t dma_chunk_carve(struct dma_chunk *c, size_t len, size_t align)
{
	for (struct dma_extent **pp = &c->free; *pp; pp = &(*pp)->next) {
		struct dma_extent *e = *pp;
		uintptr_t start = (uintptr_t)c->base + e->off;
		size_t pad = env_align_up(start, align) - start;

		if (e->len < pad || e->len - pad < len)
			continue;
		size_t off = e->off + pad;
		size_t tail = e->len - pad - len;

		if (pad > 0 && tail > 0) {
			struct dma_extent *t = malloc(sizeof(*t));

			if (t == NULL)
				return -1;
			t->off = off + len;
			t->len = tail;
			t->next = e->next;
			e->len = pad;
			e->next = t;
		} else if (pad > 0) {
			e->len = pad;
		} else if (tail > 0) {
			e->off = off + len;
			e->len = tail;
		} else {
			*pp = e->next;
			free(e);
		}
		c->used += len;
		return (ssize_t)off;
	}
	return -1;
}

/* Give [off, off + len) back to @c, merging with neighbours. */
static int dma_chunk_release(struct dma_chunk *c, size_t off, size_t len)
{
	struct dma_extent **pp = &c->free, *prev = NULL, *e;

	while (*pp && (*pp)->off < off) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (prev && prev->off + prev->len == off) {
		prev->len += len;
		if (prev->next && prev->off + prev->len == prev->next->off) {
			e = prev->next;
			prev->len += e->len;
			prev->next = e->next;
			free(e);
		}
	} else if (*pp && off + len == (*pp)->off) {
		(*pp)->off = off;
		(*pp)->len += len;
	} else {
		e = malloc(sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		e->off = off;
		e->len = len;
		e->next = *pp;
		*pp = e;
	}
	c->used -= len;
	return 0;
}

/* ---- allocation ---------------------------------------------------------- */

void *sio_dma_malloc(size_t size, size_t align)
{
	struct dma_chunk *c;
	struct dma_entry ent;
	size_t taken;
	ssize_t off = -1;
	int err = ENOMEM;

	if (size == 0 || size > (SIZE_MAX >> 2) || (align != 0 && !env_is_pow2(align)) ||
	    align > DMA_HUGEPAGE_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	if (align < DMA_MIN_ALIGN)
		align = DMA_MIN_ALIGN;
	/* 64-byte granules: no two allocations share a cache line. */
	taken = env_align_up(size, DMA_MIN_ALIGN);

	pthread_mutex_lock(&g_dma_lock);
	for (c = g_chunks; c; c = c->next) {
		off = dma_chunk_carve(c, taken, align);
		if (off >= 0)
			break;
	}
	if (c == NULL) {
		size_t want = taken + (align > DMA_PAGE_SIZE ? align : 0);

		c = dma_chunk_map(want > DMA_CHUNK_SIZE ? want : DMA_CHUNK_SIZE,
				  g_dma_hugepages ? DMA_MAP_TRY_HUGE : DMA_MAP_PLAIN);
		if (c == NULL)
			goto out;
		off = dma_chunk_carve(c, taken, align);
		if (off < 0) {
			dma_chunk_unmap(c);
			goto out;
		}
	}
	ent.base = (uintptr_t)c->base + (size_t)off;
	ent.len = size;
	ent.taken = taken;
	ent.chunk = c;
	if (dma_table_insert(&ent) != 0) {
		dma_chunk_release(c, (size_t)off, taken);
		if (c->used == 0 && !c->reserved)
			dma_chunk_unmap(c);
		goto out;
	}
	pthread_mutex_unlock(&g_dma_lock);
	/* The 64-byte rounding past @size stays poisoned: overruns show. */
	env_unpoison((void *)ent.base, size);
	return (void *)ent.base;
out:
	pthread_mutex_unlock(&g_dma_lock);
	errno = err;
	return NULL;
}

void *sio_dma_zmalloc(size_t size, size_t align)
{
	void *p = sio_dma_malloc(size, align);

	/* Freed extents are reused without being cleared, so zero here. */
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void sio_dma_free(void *buf)
{
	struct dma_table *t;
	struct dma_entry ent;
	ssize_t idx;

	if (buf == NULL)
		return;
	pthread_mutex_lock(&g_dma_lock);
	t = atomic_load_explicit(&g_table, memory_order_relaxed);
	idx = dma_table_find_exact(t, (uintptr_t)buf);
	if (idx < 0) {
		pthread_mutex_unlock(&g_dma_lock);
		SIO_ERRLOG("sio_dma_free(%p): not the start of a live DMA allocation; ignored", buf);
		return;
	}
	ent = t->e[idx];
	if (ent.chunk->user) {
		pthread_mutex_unlock(&g_dma_lock);
		SIO_ERRLOG("sio_dma_free(%p): registered memory; use sio_dma_unregister()", buf);
		return;
	}
	if (dma_table_remove((size_t)idx) != 0) {
		pthread_mutex_unlock(&g_dma_lock);
		SIO_ERRLOG("sio_dma_free(%p): out of memory for the registry; allocation kept", buf);
		return;
	}
	env_poison((void *)ent.base, ent.taken);
	if (dma_chunk_release(ent.chunk, ent.base - (uintptr_t)ent.chunk->base, ent.taken) != 0)
		SIO_ERRLOG("sio_dma_free(%p): out of memory; %zu bytes not reusable", buf, ent.taken);
	if (ent.chunk->used == 0 && !ent.chunk->reserved)
		dma_chunk_unmap(ent.chunk);
	pthread_mutex_unlock(&g_dma_lock);
}

/* ---- registered user memory ---------------------------------------------- */

int sio_dma_register(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	struct dma_table *t;
	struct dma_chunk *c;
	struct dma_entry ent;
	size_t i;
	int rc;

	if (addr == NULL || len == 0 || a + len < a)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	/* The IOMMU maps whole pages: the chunk is the page span of the buffer. */
	c->base = (char *)(a & ~(DMA_PAGE_SIZE - 1));
	c->len = env_align_up(a + len, DMA_PAGE_SIZE) - (uintptr_t)c->base;
	c->user = true;
	c->used = len;
	atomic_init(&c->iova, (uint64_t)(uintptr_t)c->base);
	pthread_mutex_lock(&g_dma_lock);
	t = atomic_load_explicit(&g_table, memory_order_relaxed);
	if (t != NULL) {
		i = dma_table_upper(t, a + len - 1);
		if (i > 0 && t->e[i - 1].base + t->e[i - 1].len > a) {
			rc = -EEXIST;
			goto fail;
		}
	}
	/* Two registrations must not share a page either: unmapping one would
	 * take the other's page out of the IOMMU. */
	for (struct dma_chunk *o = g_chunks; o != NULL; o = o->next) {
		if (o->user && (uintptr_t)o->base < (uintptr_t)c->base + c->len &&
		    (uintptr_t)c->base < (uintptr_t)o->base + o->len) {
			rc = -EEXIST;
			goto fail;
		}
	}
	rc = dma_chunk_iommu_map(c);
	if (rc != 0)
		goto fail;
	ent.base = a;
	ent.len = len;
	ent.taken = len;
	ent.chunk = c;
	rc = dma_table_insert(&ent);
	if (rc != 0) {
		dma_chunk_iommu_unmap(c);
		goto fail;
	}
	c->next = g_chunks;
	g_chunks = c;
	pthread_mutex_unlock(&g_dma_lock);
	return 0;
fail:
	pthread_mutex_unlock(&g_dma_lock);
	free(c);
	return rc;
}

int sio_dma_unregister(void *addr)
{
	struct dma_table *t;
	struct dma_chunk *c;
	ssize_t idx;
	int rc;

	if (addr == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_dma_lock);
	t = atomic_load_explicit(&g_table, memory_order_relaxed);
	idx = dma_table_find_exact(t, (uintptr_t)addr);
	if (idx < 0 || !t->e[idx].chunk->user) {
		pthread_mutex_unlock(&g_dma_lock);
		return -ENOENT;
	}
	c = t->e[idx].chunk;
	rc = dma_table_remove((size_t)idx);
	if (rc == 0)
		dma_chunk_unmap(c); /* IOMMU unmap; the memory stays the caller's */
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

/* ---- env hooks ----------------------------------------------------------- */

int env_dma_init(bool hugepages, size_t reserve_bytes)
{
	struct dma_chunk *c;
	int rc = 0;

	pthread_mutex_lock(&g_dma_lock);
	g_dma_hugepages = false;
	g_dma_huge_warned = false;
	if (hugepages) {
		/* Map the reservation now (at least one hugepage, as a probe):
		 * failing here beats discovering the shortage mid-I/O, and tells
		 * sio_env_uses_hugepages() the truth from the start. */
		size_t want = reserve_bytes > DMA_HUGEPAGE_SIZE ? reserve_bytes : DMA_HUGEPAGE_SIZE;

		c = dma_chunk_map(want, DMA_MAP_HUGE_ONLY);
		if (c != NULL) {
			c->reserved = true;
			g_dma_hugepages = true;
		} else if (reserve_bytes > 0) {
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&g_dma_lock);
	return rc;
}

void env_dma_fini(void)
{
	struct dma_chunk *c, *next;

	pthread_mutex_lock(&g_dma_lock);
	g_dma_hugepages = false;
	for (c = g_chunks; c; c = next) {
		next = c->next;
		c->reserved = false;
		if (c->user)
			SIO_WARNLOG("env fini: %zu bytes at %p still registered for DMA", c->used,
				    (void *)c->base);
		else if (c->used == 0)
			dma_chunk_unmap(c);
		else
			SIO_WARNLOG("env fini: %zu bytes of DMA memory still allocated in a %s chunk",
				    c->used, c->hugepage ? "hugepage" : "plain");
	}
	pthread_mutex_unlock(&g_dma_lock);
}

bool env_dma_uses_hugepages(void)
{
	bool r;

	pthread_mutex_lock(&g_dma_lock);
	/* Once a hugepage chunk could not be had, new memory is plain. */
	r = g_dma_hugepages && !g_dma_huge_warned;
	pthread_mutex_unlock(&g_dma_lock);
	return r;
}

/* ---- owned buffers ------------------------------------------------------- */

struct sio_dma_buf {
	void *data;
	size_t len;
};

static struct sio_dma_buf *dma_buf_alloc(size_t len, size_t align, bool zero)
{
	struct sio_dma_buf *b = malloc(sizeof(*b));

	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->data = zero ? sio_dma_zmalloc(len, align) : sio_dma_malloc(len, align);
	if (b->data == NULL) {
		int err = errno;

		free(b);
		errno = err;
		return NULL;
	}
	b->len = len;
	return b;
}

struct sio_dma_buf *sio_dma_buf_alloc(size_t len, size_t align)
{
	return dma_buf_alloc(len, align, false);
}

struct sio_dma_buf *sio_dma_buf_alloc_zeroed(size_t len, size_t align)
{
	return dma_buf_alloc(len, align, true);
}

void *sio_dma_buf_data(const struct sio_dma_buf *buf)
{
	return buf ? buf->data : NULL;
}

size_t sio_dma_buf_len(const struct sio_dma_buf *buf)
{
	return buf ? buf->len : 0;
}

void sio_dma_buf_free(struct sio_dma_buf *buf)
{
	if (buf == NULL)
		return;
	sio_dma_free(buf->data);
	free(buf);
}
