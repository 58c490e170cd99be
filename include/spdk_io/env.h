/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file env.h
 * The env layer: the environment the rest of spdk-io stands on.
 *
 * DMA-able memory (hugepage-backed when asked for and available, ordinary
 * anonymous memory otherwise), fixed-size object pools with per-thread
 * caches, lock-free rings, CPU sets and core masks, and a tick clock.
 *
 * Everything here except sio_env_init()/sio_env_fini() works without the env
 * being initialised: DMA allocations then come from anonymous memory.
 */
#ifndef SPDK_IO_ENV_H
#define SPDK_IO_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Environment                                                              */
/* ------------------------------------------------------------------------ */

/** Options for sio_env_init(). Fill with sio_env_opts_init() first. */
struct sio_env_opts {
	/** Size of this struct as the caller knows it; set by sio_env_opts_init(). */
	size_t opts_size;
	/** Process name used in logs and hugetlbfs file names. Default "spdk-io". */
	const char *name;
	/** Core mask in SPDK's forms ("0x3", "[0,2-3]"). Default "0x1". */
	const char *core_mask;
	/** DMA memory to reserve up front, in MiB; 0 means grow on demand. Default 0. */
	size_t mem_size_mb;
	/** Back DMA memory with hugepages when the machine has them. Default false. */
	bool hugepages;
	/** Do not touch PCI devices (no VFIO). Default true until the PCIe driver exists. */
	bool no_pci;
	/** Main core; -1 means the first core of core_mask. Default -1. */
	int main_core;
};

/**
 * sio_env_opts_init() - Fill @opts with defaults.
 * @opts: options to fill.
 * @opts_size: sizeof(*opts) as the caller was compiled with.
 *
 * Context: any thread.
 */
void sio_env_opts_init(struct sio_env_opts *opts, size_t opts_size);

/**
 * sio_env_init() - Initialise the environment once per process.
 * @opts: options; NULL means defaults.
 *
 * Context: any OS thread, once; not concurrently with sio_env_fini().
 * Return: 0; -EALREADY if already initialised; -EINVAL for a bad core mask,
 * main core outside the mask or bad opts_size; -ENOMEM if hugepages were asked
 * for and mem_size_mb could not be reserved.
 */
int sio_env_init(const struct sio_env_opts *opts);

/**
 * sio_env_fini() - Release what sio_env_init() took.
 *
 * Context: any OS thread, after all users are gone.
 * Return: 0; -EINVAL if the env was not initialised.
 */
int sio_env_fini(void);

/** sio_env_is_initialized() - Whether sio_env_init() succeeded and no fini followed. */
bool sio_env_is_initialized(void);

/** sio_env_uses_hugepages() - Whether DMA memory currently comes from hugepages. */
bool sio_env_uses_hugepages(void);

struct sio_cpuset;

/**
 * sio_env_get_core_mask() - Copy the core mask given to sio_env_init() into @set.
 * @set: filled on success.
 *
 * Context: any thread.
 * Return: 0; -EINVAL if @set is NULL or the env is not initialised.
 */
int sio_env_get_core_mask(struct sio_cpuset *set);

/**
 * sio_env_get_main_core() - The main core chosen by sio_env_init().
 *
 * Context: any thread.
 * Return: the core number; -EINVAL if the env is not initialised.
 */
int sio_env_get_main_core(void);

/* ------------------------------------------------------------------------ */
/* DMA-able memory                                                          */
/* ------------------------------------------------------------------------ */

/** Where a DMA allocation lives. */
struct sio_dma_region {
	void *base;      /**< start of the allocation */
	size_t len;      /**< usable length in bytes */
	uint64_t iova;   /**< I/O virtual address of base (== vaddr until VFIO maps it) */
	bool hugepage;   /**< backed by hugepages */
};

/**
 * sio_dma_malloc() - Allocate DMA-able memory.
 * @size: bytes, > 0.
 * @align: alignment, a power of two, or 0 for the default (64 bytes).
 *
 * Context: any thread. Not for the I/O path: allocate up front, reuse.
 * Return: the buffer, or NULL with errno set (EINVAL bad size/alignment,
 * ENOMEM out of memory).
 */
void *sio_dma_malloc(size_t size, size_t align);

/** sio_dma_zmalloc() - As sio_dma_malloc(), zero-filled. */
void *sio_dma_zmalloc(size_t size, size_t align);

/**
 * sio_dma_free() - Free memory from sio_dma_malloc()/sio_dma_zmalloc().
 * @buf: the pointer returned by the allocation, or NULL (no-op).
 *
 * Context: any thread. A pointer that is not the start of a live DMA
 * allocation is reported through the log and ignored, never freed.
 */
void sio_dma_free(void *buf);

/**
 * sio_dma_lookup() - Find the DMA allocation containing @addr.
 * @addr: any address inside a live allocation.
 * @region: filled on success.
 *
 * Context: any thread; lock-free readers.
 * Return: 0; -ENOENT if @addr is not inside a live DMA allocation; -EINVAL on NULL.
 */
int sio_dma_lookup(const void *addr, struct sio_dma_region *region);

/** An owned DMA buffer: the seed's DmaBuf. */
struct sio_dma_buf;

/**
 * sio_dma_buf_alloc() - Allocate a DMA buffer of @len bytes aligned to @align.
 * Return: the buffer, or NULL with errno set. Free with sio_dma_buf_free().
 */
struct sio_dma_buf *sio_dma_buf_alloc(size_t len, size_t align);
/** sio_dma_buf_alloc_zeroed() - As sio_dma_buf_alloc(), zero-filled. */
struct sio_dma_buf *sio_dma_buf_alloc_zeroed(size_t len, size_t align);
/** sio_dma_buf_data() - The buffer's bytes. */
void *sio_dma_buf_data(const struct sio_dma_buf *buf);
/** sio_dma_buf_len() - The buffer's length in bytes. */
size_t sio_dma_buf_len(const struct sio_dma_buf *buf);
/** sio_dma_buf_free() - Free @buf (NULL is a no-op). */
void sio_dma_buf_free(struct sio_dma_buf *buf);

/* ------------------------------------------------------------------------ */
/* Object pools                                                             */
/* ------------------------------------------------------------------------ */

/** A pool of fixed-size objects with per-OS-thread caches. */
struct sio_mempool;

/** Cache size to pass when the pool should pick one. */
#define SIO_MEMPOOL_CACHE_DEFAULT ((size_t)-1)

/**
 * sio_mempool_create() - Create a pool of @count objects of @elt_size bytes.
 * @name: for logs and statistics (copied).
 * @count: number of objects, > 0.
 * @elt_size: bytes per object, > 0; objects are 64-byte aligned.
 * @cache_size: objects each OS thread may keep in its private cache (0 = no
 *              cache, SIO_MEMPOOL_CACHE_DEFAULT = pool's choice).
 * @dma: objects come from DMA-able memory.
 *
 * Context: any thread.
 * Return: the pool, or NULL with errno set (EINVAL, ENOMEM).
 */
struct sio_mempool *sio_mempool_create(const char *name, size_t count, size_t elt_size,
				       size_t cache_size, bool dma);

/**
 * sio_mempool_destroy() - Destroy @mp. Objects still out are reported through
 * the log (a leak), and their memory is released with the pool.
 * Context: any thread, once no other thread uses the pool.
 */
void sio_mempool_destroy(struct sio_mempool *mp);

/**
 * sio_mempool_get() - Take one object.
 * Context: any thread; no lock when the calling thread's cache has objects.
 * Return: the object, or NULL when the pool is empty.
 */
void *sio_mempool_get(struct sio_mempool *mp);

/**
 * sio_mempool_get_bulk() - Take @n objects, all or none.
 * Return: 0; -ENOMEM if fewer than @n are free (nothing taken); -EINVAL.
 */
int sio_mempool_get_bulk(struct sio_mempool *mp, void **objs, size_t n);

/** sio_mempool_put() - Return @obj (taken from @mp) to the pool. Any thread. */
void sio_mempool_put(struct sio_mempool *mp, void *obj);

/** sio_mempool_put_bulk() - Return @n objects. Any thread. */
void sio_mempool_put_bulk(struct sio_mempool *mp, void *const *objs, size_t n);

/** sio_mempool_count() - Objects free (shared pool plus every cache). Approximate under concurrency. */
size_t sio_mempool_count(const struct sio_mempool *mp);

/** sio_mempool_in_use() - Objects currently taken. Approximate under concurrency. */
size_t sio_mempool_in_use(const struct sio_mempool *mp);

/** sio_mempool_obj_size() - The element size given at creation. */
size_t sio_mempool_obj_size(const struct sio_mempool *mp);

/** sio_mempool_capacity() - The object count given at creation (0 for NULL). */
size_t sio_mempool_capacity(const struct sio_mempool *mp);

/* ------------------------------------------------------------------------ */
/* Lock-free rings                                                          */
/* ------------------------------------------------------------------------ */

/** Who may enqueue and dequeue concurrently. */
enum sio_ring_type {
	SIO_RING_SP_SC, /**< one producer thread, one consumer thread */
	SIO_RING_MP_SC, /**< any number of producer threads, one consumer thread */
};

/** A bounded ring of pointers. */
struct sio_ring;

/**
 * sio_ring_create() - Create a ring holding at least @count pointers.
 * @count is rounded up to a power of two.
 * Return: the ring, or NULL with errno set (EINVAL, ENOMEM).
 */
struct sio_ring *sio_ring_create(enum sio_ring_type type, size_t count);

/** sio_ring_destroy() - Destroy @r (entries still in it are not freed). */
void sio_ring_destroy(struct sio_ring *r);

/**
 * sio_ring_enqueue() - Append up to @n pointers.
 * Context: the producer side (any thread for MP_SC).
 * Return: how many were enqueued, in order (0..@n); fewer than @n means full.
 */
size_t sio_ring_enqueue(struct sio_ring *r, void *const *objs, size_t n);

/**
 * sio_ring_dequeue() - Remove up to @n pointers, oldest first.
 * Context: the single consumer.
 * Return: how many were dequeued.
 */
size_t sio_ring_dequeue(struct sio_ring *r, void **objs, size_t n);

/** sio_ring_count() - Entries in the ring (a snapshot). */
size_t sio_ring_count(const struct sio_ring *r);

/** sio_ring_capacity() - Entries the ring can hold. */
size_t sio_ring_capacity(const struct sio_ring *r);

/* ------------------------------------------------------------------------ */
/* CPU sets and core masks                                                  */
/* ------------------------------------------------------------------------ */

#define SIO_CPUSET_MAX 1024

/** A set of CPU cores. Caller-allocated; zero it with sio_cpuset_zero(). */
struct sio_cpuset {
	uint64_t bits[SIO_CPUSET_MAX / 64];
};

void sio_cpuset_zero(struct sio_cpuset *set);
void sio_cpuset_set(struct sio_cpuset *set, unsigned int cpu);
void sio_cpuset_clear(struct sio_cpuset *set, unsigned int cpu);
bool sio_cpuset_is_set(const struct sio_cpuset *set, unsigned int cpu);
unsigned int sio_cpuset_count(const struct sio_cpuset *set);
bool sio_cpuset_equal(const struct sio_cpuset *a, const struct sio_cpuset *b);
/** sio_cpuset_next() - First core > @prev in @set (pass -1 to start); -1 when none is left. */
int sio_cpuset_next(const struct sio_cpuset *set, int prev);

/**
 * sio_cpuset_parse() - Parse SPDK's core-mask forms: hex "0x3" / "3", or a list
 * "[0,2-3]" (brackets optional).
 * Return: 0; -EINVAL for an empty, malformed or out-of-range string (@set untouched).
 */
int sio_cpuset_parse(struct sio_cpuset *set, const char *str);

/**
 * sio_cpuset_format() - Write @set as a hex mask "0x..." into @buf.
 * Return: characters written (excluding NUL); -ENOSPC if @len is too small.
 */
int sio_cpuset_format(const struct sio_cpuset *set, char *buf, size_t len);

/** sio_cpuset_format_list() - Write @set as a list "[0,2-3]". Return as sio_cpuset_format(). */
int sio_cpuset_format_list(const struct sio_cpuset *set, char *buf, size_t len);

/** sio_cpu_count() - Number of online CPUs. */
unsigned int sio_cpu_count(void);

/** sio_cpu_current() - Core the calling OS thread runs on now. */
int sio_cpu_current(void);

/**
 * sio_cpu_pin_current() - Pin the calling OS thread to @cpu.
 * Return: 0; -EINVAL for a core that does not exist; other negative errno from the kernel.
 */
int sio_cpu_pin_current(unsigned int cpu);

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

/** sio_get_ticks() - A monotonic tick count (TSC when invariant, else CLOCK_MONOTONIC ns). */
uint64_t sio_get_ticks(void);

/** sio_get_ticks_hz() - Ticks per second of sio_get_ticks(). */
uint64_t sio_get_ticks_hz(void);

/** sio_ticks_to_us() - Convert a tick interval to microseconds. */
uint64_t sio_ticks_to_us(uint64_t ticks);

/** sio_us_to_ticks() - Convert microseconds to ticks. */
uint64_t sio_us_to_ticks(uint64_t us);

/** sio_ticks_to_ns() - Convert a tick interval to nanoseconds (saturates). */
uint64_t sio_ticks_to_ns(uint64_t ticks);

/** sio_ns_to_ticks() - Convert nanoseconds to ticks (saturates). */
uint64_t sio_ns_to_ticks(uint64_t ns);

/** sio_ticks_are_tsc() - Whether ticks are the invariant TSC (else CLOCK_MONOTONIC ns). */
bool sio_ticks_are_tsc(void);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_ENV_H */
