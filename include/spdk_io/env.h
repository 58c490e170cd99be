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
#include <sys/types.h>
#include <sys/uio.h>

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
 * @opts_size: sizeof(*opts) as the caller was compiled with. Only that many
 *             bytes are written, and opts->opts_size is set to it, so a
 *             program built against an older, smaller struct keeps working.
 *
 * Context: any thread. A NULL @opts or an @opts_size too small to hold
 * opts_size itself is ignored.
 */
void sio_env_opts_init(struct sio_env_opts *opts, size_t opts_size);

/**
 * sio_env_init() - Initialise the environment once per process.
 * @opts: options; NULL means defaults. Fields beyond opts->opts_size keep
 *        their defaults.
 *
 * Validates the core mask and main core, and sets the DMA memory mode. With
 * hugepages=true it maps mem_size_mb of hugepages now (at least one 2 MiB
 * page, as a probe when mem_size_mb is 0); if none are free and mem_size_mb
 * is 0 it notes that and carries on with ordinary memory.
 *
 * Context: any OS thread, once; not concurrently with sio_env_fini().
 * Return: 0; -EALREADY if already initialised; -EINVAL for a bad core mask
 * (malformed, or selecting no core), a main core outside the mask, or a bad
 * opts_size; -ENOMEM if hugepages were asked for and mem_size_mb of them
 * could not be reserved.
 */
int sio_env_init(const struct sio_env_opts *opts);

/**
 * sio_env_fini() - Release what sio_env_init() took.
 *
 * Unmaps the hugepage reservation and every empty chunk; DMA memory still
 * allocated is reported through the log and stays valid. New DMA memory is
 * ordinary memory afterwards.
 *
 * Context: any OS thread, after all users are gone.
 * Return: 0; -EINVAL if the env was not initialised.
 */
int sio_env_fini(void);

/**
 * sio_env_is_initialized() - Whether sio_env_init() succeeded and no fini followed.
 *
 * Context: any thread.
 */
bool sio_env_is_initialized(void);

/**
 * sio_env_uses_hugepages() - Whether new DMA memory comes from hugepages.
 *
 * True after sio_env_init() with hugepages=true mapped its reservation (or a
 * one-page probe when mem_size_mb is 0), until the kernel runs out of free
 * hugepages for a new chunk or sio_env_fini() is called.
 *
 * Context: any thread.
 */
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
 * @align: alignment, a power of two up to 2 MiB, or 0 for the default (64 bytes).
 *         Alignments below 64 are raised to 64: no two allocations share a
 *         cache line.
 *
 * Memory is carved from 2 MiB chunks: hugepages when sio_env_init() asked for
 * them and the kernel has free ones, else anonymous pages (locked in RAM when
 * the process may). Every allocation is registered for sio_dma_lookup().
 *
 * Context: any thread; takes a mutex and may map memory: not for the I/O
 * path (allocate up front, reuse).
 * Return: the buffer, or NULL with errno set: EINVAL for a zero or absurd
 * size or a bad alignment; ENOMEM when memory or address space runs out.
 */
void *sio_dma_malloc(size_t size, size_t align);

/**
 * sio_dma_zmalloc() - As sio_dma_malloc(), zero-filled.
 *
 * Context: as sio_dma_malloc().
 * Return: as sio_dma_malloc().
 */
void *sio_dma_zmalloc(size_t size, size_t align);

/**
 * sio_dma_free() - Free memory from sio_dma_malloc()/sio_dma_zmalloc().
 * @buf: the pointer returned by the allocation, or NULL (no-op).
 *
 * Context: any thread; takes a mutex and waits for concurrent
 * sio_dma_lookup() calls to leave the old registry. A pointer that is not the
 * start of a live DMA allocation (foreign, interior, already freed) is
 * reported through the log and ignored, never freed.
 */
void sio_dma_free(void *buf);

/**
 * sio_dma_lookup() - Find the DMA allocation containing @addr.
 * @addr: any address inside a live allocation: [base, base + len).
 * @region: filled on success; @region->len is the size that was asked for.
 *
 * Context: any thread; lock-free (two atomic counter updates and a binary
 * search), safe concurrently with allocation and free.
 * Return: 0; -ENOENT if @addr is not inside a live DMA allocation; -EINVAL
 * if @addr or @region is NULL.
 */
int sio_dma_lookup(const void *addr, struct sio_dma_region *region);

/** An owned DMA buffer: the seed's DmaBuf. One owner; free once. */
struct sio_dma_buf;

/**
 * sio_dma_buf_alloc() - Allocate a DMA buffer of @len bytes aligned to @align.
 * @len: bytes, > 0.
 * @align: as for sio_dma_malloc().
 *
 * Context: as sio_dma_malloc().
 * Return: the buffer, owned by the caller, or NULL with errno set (EINVAL,
 * ENOMEM, as sio_dma_malloc()). Free with sio_dma_buf_free().
 */
struct sio_dma_buf *sio_dma_buf_alloc(size_t len, size_t align);

/**
 * sio_dma_buf_alloc_zeroed() - As sio_dma_buf_alloc(), zero-filled.
 *
 * Context: as sio_dma_malloc().
 * Return: as sio_dma_buf_alloc().
 */
struct sio_dma_buf *sio_dma_buf_alloc_zeroed(size_t len, size_t align);

/**
 * sio_dma_buf_data() - The buffer's bytes.
 *
 * Context: any thread. Return: the data pointer; NULL if @buf is NULL.
 */
void *sio_dma_buf_data(const struct sio_dma_buf *buf);

/**
 * sio_dma_buf_len() - The buffer's length in bytes.
 *
 * Context: any thread. Return: the length; 0 if @buf is NULL.
 */
size_t sio_dma_buf_len(const struct sio_dma_buf *buf);

/**
 * sio_dma_buf_free() - Free @buf and its memory (NULL is a no-op).
 *
 * Context: any thread, by the owner, once.
 */
void sio_dma_buf_free(struct sio_dma_buf *buf);

/* ------------------------------------------------------------------------ */
/* Object pools                                                             */
/* ------------------------------------------------------------------------ */

/**
 * A pool of fixed-size objects with per-OS-thread caches.
 *
 * Objects live in one region at a 64-byte-aligned stride. Free objects sit in
 * a shared stock (behind a spinlock) or in an OS thread's private cache: a
 * get or put that its cache can serve takes no lock and no atomic
 * read-modify-write. A cache that runs empty refills half its capacity from
 * the stock; one that runs full returns half. When an OS thread exits, its
 * caches go back to the stock.
 *
 * Objects cached by one thread are not visible to another: a get can fail
 * with objects still free in other threads' caches. Size pools with
 * count >= needed + threads * cache_size.
 */
struct sio_mempool;

/** Cache size to pass when the pool should pick one: count / (4 * CPUs), at most 256. */
#define SIO_MEMPOOL_CACHE_DEFAULT ((size_t)-1)

/**
 * sio_mempool_create() - Create a pool of @count objects of @elt_size bytes.
 * @name: for logs and statistics (copied, truncated to 31 characters).
 * @count: number of objects, > 0.
 * @elt_size: bytes per object, > 0; objects are 64-byte aligned.
 * @cache_size: objects each OS thread may keep in its private cache (0 = no
 *              cache, at most 512, SIO_MEMPOOL_CACHE_DEFAULT = pool's choice).
 * @dma: objects come from DMA-able memory (sio_dma_lookup() finds them).
 *
 * Context: any thread; allocates.
 * Return: the pool, or NULL with errno set: EINVAL for a NULL name, zero
 * count or size, a cache over 512, or a total size that overflows; ENOMEM.
 */
struct sio_mempool *sio_mempool_create(const char *name, size_t count, size_t elt_size,
				       size_t cache_size, bool dma);

/**
 * sio_mempool_destroy() - Destroy @mp (NULL is a no-op). Objects still out
 * are reported through the log (a leak), and their memory is released with
 * the pool.
 *
 * Context: any thread, once no other thread uses the pool.
 */
void sio_mempool_destroy(struct sio_mempool *mp);

/**
 * sio_mempool_get() - Take one object.
 * @mp: the pool.
 *
 * Context: any thread; no lock when the calling thread's cache has objects.
 * Return: the object (contents undefined), or NULL with errno ENOMEM when the
 * stock and this thread's cache are empty, EINVAL when @mp is NULL.
 */
void *sio_mempool_get(struct sio_mempool *mp);

/**
 * sio_mempool_get_bulk() - Take @n objects, all or none.
 * @mp: the pool.
 * @objs: array of at least @n slots, filled on success.
 * @n: how many; 0 succeeds at once.
 *
 * Context: any thread; no lock when this thread's cache holds @n objects.
 * Return: 0; -ENOMEM if fewer than @n are available to this thread (nothing
 * taken); -EINVAL if @mp is NULL or @objs is NULL with @n > 0.
 */
int sio_mempool_get_bulk(struct sio_mempool *mp, void **objs, size_t n);

/**
 * sio_mempool_put() - Return @obj to @mp.
 * @mp: the pool @obj came from.
 * @obj: the object; NULL is ignored.
 *
 * Context: any thread, not only the one that took it; no lock while this
 * thread's cache has room. A pointer that is not an object of @mp is
 * reported through the log and ignored; a double put that would overfill the
 * pool is reported and dropped.
 */
void sio_mempool_put(struct sio_mempool *mp, void *obj);

/**
 * sio_mempool_put_bulk() - Return @n objects, as sio_mempool_put() each.
 *
 * Context: any thread.
 */
void sio_mempool_put_bulk(struct sio_mempool *mp, void *const *objs, size_t n);

/**
 * sio_mempool_count() - Objects free: the stock plus every thread's cache.
 *
 * Context: any thread; takes the stock lock. Approximate while other threads
 * use the pool. Return: the count; 0 for NULL.
 */
size_t sio_mempool_count(const struct sio_mempool *mp);

/**
 * sio_mempool_in_use() - Objects currently taken: capacity minus free.
 *
 * Context: any thread; as sio_mempool_count(). Return: the count; 0 for NULL.
 */
size_t sio_mempool_in_use(const struct sio_mempool *mp);

/**
 * sio_mempool_obj_size() - The element size given at creation.
 *
 * Context: any thread. Return: the size; 0 for NULL.
 */
size_t sio_mempool_obj_size(const struct sio_mempool *mp);

/**
 * sio_mempool_capacity() - The object count given at creation.
 *
 * Context: any thread. Return: the count; 0 for NULL.
 */
size_t sio_mempool_capacity(const struct sio_mempool *mp);

/* ------------------------------------------------------------------------ */
/* Lock-free rings                                                          */
/* ------------------------------------------------------------------------ */

/** Who may enqueue and dequeue concurrently. */
enum sio_ring_type {
	SIO_RING_SP_SC, /**< one producer thread, one consumer thread */
	SIO_RING_MP_SC, /**< any number of producer threads, one consumer thread */
};

/**
 * A bounded ring of pointers, lock-free, FIFO. The producer and consumer
 * indices sit on separate cache lines. With SIO_RING_MP_SC, concurrent
 * producers' bursts are each contiguous and appear in the order the
 * producers claimed their slots.
 */
struct sio_ring;

/**
 * sio_ring_create() - Create a ring holding at least @count pointers.
 * @type: who may enqueue and dequeue concurrently.
 * @count: 1 .. 2^30, rounded up to a power of two.
 *
 * Context: any thread; allocates.
 * Return: the ring, or NULL with errno set: EINVAL for a bad type or count;
 * ENOMEM.
 */
struct sio_ring *sio_ring_create(enum sio_ring_type type, size_t count);

/**
 * sio_ring_destroy() - Destroy @r (NULL is a no-op). Entries still in it
 * are not freed.
 *
 * Context: any thread, once no producer or consumer uses the ring.
 */
void sio_ring_destroy(struct sio_ring *r);

/**
 * sio_ring_enqueue() - Append up to @n pointers (a burst).
 * @r: the ring.
 * @objs: the pointers; NULL entries are allowed and come out as NULL.
 * @n: how many.
 *
 * Context: the producer side: one thread at a time for SIO_RING_SP_SC, any
 * threads for SIO_RING_MP_SC. Lock-free, no allocation, never waits for
 * another producer: with MP_SC, a producer preempted in the middle of its
 * enqueue only delays the consumer's view of the entries claimed after its
 * own (other producers keep enqueueing until the ring is full).
 * Return: how many were enqueued, the first ones of @objs in order (0..@n);
 * fewer than @n means the ring was full; 0 also for NULL arguments.
 */
size_t sio_ring_enqueue(struct sio_ring *r, void *const *objs, size_t n);

/**
 * sio_ring_dequeue() - Remove up to @n pointers, oldest first.
 * @r: the ring.
 * @objs: where to store them.
 * @n: at most this many.
 *
 * Context: the single consumer thread. Lock-free, no allocation, never
 * waits: with MP_SC it returns the entries published so far and stops at the
 * first one whose producer is still inside sio_ring_enqueue(), so it may
 * return fewer than sio_ring_count() promised (or 0).
 * Return: how many were dequeued; 0 when empty or for NULL arguments.
 */
size_t sio_ring_dequeue(struct sio_ring *r, void **objs, size_t n);

/**
 * sio_ring_count() - Entries in the ring (a snapshot).
 *
 * Exact for SIO_RING_SP_SC. For SIO_RING_MP_SC an upper bound: it also counts
 * slots that a producer has claimed but not yet published; it never misses
 * an entry whose sio_ring_enqueue() has returned. 0 therefore means "nothing
 * enqueued and not yet dequeued", which is what an idle check needs.
 *
 * Context: any thread. Return: the count (at most the capacity); 0 for NULL.
 */
size_t sio_ring_count(const struct sio_ring *r);

/**
 * sio_ring_ready() - Whether sio_ring_dequeue() would return an entry now.
 *
 * Unlike sio_ring_count(), an MP_SC slot that a producer has claimed and not
 * yet published does not count: this is the check for a consumer deciding
 * whether to sleep, when every producer wakes it after it published (a
 * producer stalled between claim and publish would otherwise keep the
 * consumer polling for nothing until it runs again). Not an idle check for
 * shutdown: an entry on its way is not "nothing" there; use sio_ring_count().
 *
 * Context: the single consumer thread. Return: true or false; false for NULL.
 */
bool sio_ring_ready(const struct sio_ring *r);

/**
 * sio_ring_capacity() - Entries the ring can hold (a power of two).
 *
 * Context: any thread. Return: the capacity; 0 for NULL.
 */
size_t sio_ring_capacity(const struct sio_ring *r);

/* ------------------------------------------------------------------------ */
/* CPU sets and core masks                                                  */
/* ------------------------------------------------------------------------ */

/** Number of cores a struct sio_cpuset can name: 0 .. SIO_CPUSET_MAX - 1. */
#define SIO_CPUSET_MAX 1024

/** A set of CPU cores. Caller-allocated; zero it with sio_cpuset_zero(). */
struct sio_cpuset {
	uint64_t bits[SIO_CPUSET_MAX / 64];
};

/*
 * The set operations below take any thread, never fail, and treat a NULL set
 * or a core >= SIO_CPUSET_MAX as empty / a no-op rather than crashing.
 */

/** sio_cpuset_zero() - Make @set empty. */
void sio_cpuset_zero(struct sio_cpuset *set);
/** sio_cpuset_set() - Add @cpu to @set (ignored when @cpu >= SIO_CPUSET_MAX). */
void sio_cpuset_set(struct sio_cpuset *set, unsigned int cpu);
/** sio_cpuset_clear() - Remove @cpu from @set. */
void sio_cpuset_clear(struct sio_cpuset *set, unsigned int cpu);
/** sio_cpuset_is_set() - Whether @cpu is in @set. */
bool sio_cpuset_is_set(const struct sio_cpuset *set, unsigned int cpu);
/** sio_cpuset_count() - Number of cores in @set. */
unsigned int sio_cpuset_count(const struct sio_cpuset *set);
/** sio_cpuset_equal() - Whether @a and @b hold the same cores (two NULLs are equal). */
bool sio_cpuset_equal(const struct sio_cpuset *a, const struct sio_cpuset *b);
/** sio_cpuset_next() - First core > @prev in @set (pass -1 to start); -1 when none is left. */
int sio_cpuset_next(const struct sio_cpuset *set, int prev);

/**
 * sio_cpuset_parse() - Parse SPDK's core-mask forms.
 * @set: filled on success, untouched on error.
 * @str: a hex mask with or without "0x" ("0x3", "3", "ff"), or a list of
 *       cores and inclusive ranges ("[0,2-3]"; brackets optional, so "0-3" and
 *       "1,4" are lists). Without brackets, a string holding ',' or '-' is a
 *       list, anything else a hex mask. Surrounding spaces are allowed.
 *
 * A mask of all zeros ("0x0") parses to an empty set; sio_env_init() rejects it.
 *
 * Context: any thread.
 * Return: 0; -EINVAL for NULL, an empty or malformed string ("", "0x", "zz",
 * "[0,", "[3-1]"), or a core >= SIO_CPUSET_MAX.
 */
int sio_cpuset_parse(struct sio_cpuset *set, const char *str);

/**
 * sio_cpuset_format() - Write @set as a hex mask "0x..." into @buf
 * (lowercase, no leading zeros; "0x0" when empty).
 *
 * Context: any thread.
 * Return: characters written (excluding the NUL); -ENOSPC if @len is too
 * small (@buf then holds garbage); -EINVAL for NULL.
 */
int sio_cpuset_format(const struct sio_cpuset *set, char *buf, size_t len);

/**
 * sio_cpuset_format_list() - Write @set as a list "[0,2-3]" ("[]" when empty).
 *
 * Context: any thread.
 * Return: as sio_cpuset_format().
 */
int sio_cpuset_format_list(const struct sio_cpuset *set, char *buf, size_t len);

/**
 * sio_cpu_count() - Number of online CPUs (at least 1).
 *
 * Context: any thread.
 */
unsigned int sio_cpu_count(void);

/**
 * sio_cpuset_first_absent() - The first core of @set this machine lacks
 * (numbered sio_cpu_count() or above), for refusing a core mask up front
 * rather than failing to pin later.
 * Context: any thread. Return: that core, or -1 when it has them all (or @set is NULL).
 */
int sio_cpuset_first_absent(const struct sio_cpuset *set);

/**
 * sio_cpu_current() - Core the calling OS thread runs on now.
 *
 * Context: any thread; the answer may be stale at once unless the thread is pinned.
 * Return: the core number; a negative errno if the kernel cannot say.
 */
int sio_cpu_current(void);

/**
 * sio_cpu_pin_current() - Pin the calling OS thread to @cpu.
 *
 * Context: any OS thread; affects only the caller.
 * Return: 0; -EINVAL for a core that does not exist or is outside the
 * process's allowed set; other negative errno from the kernel.
 */
int sio_cpu_pin_current(unsigned int cpu);

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Ticks: the invariant TSC when the CPU reports one (cpuid 0x80000007,
 * EDX bit 8), its rate calibrated once against CLOCK_MONOTONIC by the first
 * call (about 20 ms); else CLOCK_MONOTONIC nanoseconds. All of these take any
 * thread. Conversions round down and saturate at UINT64_MAX.
 */

/** sio_get_ticks() - A monotonic tick count, comparable between threads. */
uint64_t sio_get_ticks(void);

/** sio_get_ticks_hz() - Ticks per second of sio_get_ticks(). */
uint64_t sio_get_ticks_hz(void);

/** sio_ticks_to_us() - Convert a tick interval to microseconds. */
uint64_t sio_ticks_to_us(uint64_t ticks);

/** sio_us_to_ticks() - Convert microseconds to ticks. */
uint64_t sio_us_to_ticks(uint64_t us);

/** sio_ticks_to_ns() - Convert a tick interval to nanoseconds. */
uint64_t sio_ticks_to_ns(uint64_t ticks);

/** sio_ns_to_ticks() - Convert nanoseconds to ticks. */
uint64_t sio_ns_to_ticks(uint64_t ns);

/** sio_ticks_are_tsc() - Whether ticks are the invariant TSC (else CLOCK_MONOTONIC ns). */
bool sio_ticks_are_tsc(void);

/* ------------------------------------------------------------------------ */
/* DMA registration of user memory; PCI devices through VFIO                */
/* ------------------------------------------------------------------------ */

/**
 * sio_dma_register() - Make a buffer the caller allocated usable for DMA.
 * @addr: start of the buffer (any alignment).
 * @len: bytes, > 0.
 *
 * The buffer joins the registry sio_dma_lookup() searches, and while a VFIO
 * container is open (sio_vfio_device_open()) the pages it touches are mapped
 * into the IOMMU at an I/O virtual address the env chooses (they are pinned
 * by the kernel for as long as they are mapped). A container opened later
 * maps it then. The memory stays the caller's: unregister before freeing it.
 *
 * Context: any thread; takes the DMA mutex and may issue an ioctl: not for
 * the I/O path (register once, reuse).
 * Return: 0; -EINVAL for NULL @addr, zero @len or a range that wraps;
 * -EEXIST if the range overlaps a live DMA allocation or registration;
 * -ENOMEM; a negative errno of the IOMMU mapping (-EFAULT for memory the
 * kernel cannot pin, -ENOSPC when the IOVA space is used up).
 */
int sio_dma_register(void *addr, size_t len);

/**
 * sio_dma_unregister() - Undo sio_dma_register().
 * @addr: the @addr given to sio_dma_register().
 *
 * The IOMMU mapping goes first: a device that still targets the buffer then
 * faults instead of writing into memory the caller reuses.
 *
 * Context: any thread, as sio_dma_register().
 * Return: 0; -EINVAL for NULL; -ENOENT if @addr does not start a registration.
 */
int sio_dma_unregister(void *addr);

/** Bytes of a PCI address string "DDDD:BB:DD.F" with its NUL. */
#define SIO_PCI_BDF_LEN 13

/** A PCI function opened through VFIO (container, group and device). */
struct sio_vfio_device;

/**
 * sio_vfio_device_open() - Open the PCI function @bdf, bound to vfio-pci.
 * @bdf: "DDDD:BB:DD.F" (or "BB:DD.F", domain 0).
 * @out: the device on success.
 *
 * The first device opened creates the process's VFIO container with the
 * type-1 IOMMU and maps every DMA chunk and registration into it (IOVAs
 * chosen by the env, from 4 GiB up: below the 39-bit limit of common
 * IOMMUs and above the x86 MSI window); later DMA memory is mapped as it
 * is created. Every device shares the container, so one IOVA is valid for
 * all of them. Bus mastering and memory decoding are enabled. The group is
 * shared with other devices of the same IOMMU group.
 *
 * Context: any thread; blocking system calls: not for the I/O path.
 * Return: 0; -EINVAL for a malformed @bdf or NULL @out; -ENODEV if there is
 * no such PCI function or it is not bound to vfio-pci; -ENOENT without
 * /dev/vfio/vfio or the group's node; -EACCES without permission on them;
 * -EBUSY if the group is not viable (another device of the group is bound to
 * a kernel driver) or is held by another process; -ENOTSUP if the kernel
 * offers no type-1 IOMMU; -ENOMEM; a negative errno of the DMA mapping.
 * Everything taken is released on every error path.
 */
int sio_vfio_device_open(const char *bdf, struct sio_vfio_device **out);

/**
 * sio_vfio_device_close() - Close @dev: unmap its BARs, release its group
 * (and the container, with every IOMMU mapping, after the last device).
 * @dev: the device, or NULL (no-op).
 *
 * Stop the device's DMA first (disable it): a closed container's IOVAs no
 * longer reach memory.
 *
 * Context: any thread; not concurrently with calls on @dev.
 */
void sio_vfio_device_close(struct sio_vfio_device *dev);

/**
 * sio_vfio_device_map_bar() - Map BAR @bar of @dev into the process.
 * @bar: 0..5.
 * @addr: set to the mapping (uncached device memory: access it with volatile
 *        loads and stores of the width the device expects).
 * @len: set to its length in bytes.
 *
 * The mapping lives until sio_vfio_device_close(); mapping a BAR twice
 * returns the same address.
 *
 * Context: any thread; not concurrently with sio_vfio_device_close().
 * Return: 0; -EINVAL for a bad argument; -ENODEV for a BAR the device does
 * not have; -ENOTSUP for a BAR VFIO does not let us mmap; -ENOMEM.
 */
int sio_vfio_device_map_bar(struct sio_vfio_device *dev, unsigned int bar, void **addr,
			    size_t *len);

/**
 * sio_vfio_device_get_bdf() - The normalised PCI address of @dev ("DDDD:BB:DD.F").
 *
 * Context: any thread. Return: the string, owned by @dev; NULL for NULL.
 */
const char *sio_vfio_device_get_bdf(const struct sio_vfio_device *dev);

/**
 * sio_pci_vfio_list() - List PCI functions bound to vfio-pci by class code.
 * @class_code: 24-bit class code to match (0x010802: NVM Express).
 * @class_mask: bits of @class_code that must match (0xffffff: all).
 * @bdfs: filled with up to @max addresses, sorted.
 * @max: capacity of @bdfs (0 to only count).
 *
 * Reads sysfs (/sys/bus/pci/devices/ * /class and driver).
 *
 * Context: any thread; blocking file reads.
 * Return: the number of matching functions (may exceed @max); -EINVAL for
 * NULL @bdfs with @max > 0; -ENOENT without sysfs PCI; -ENOMEM.
 */
int sio_pci_vfio_list(uint32_t class_code, uint32_t class_mask, char (*bdfs)[SIO_PCI_BDF_LEN],
		      size_t max);

/* ------------------------------------------------------------------------ */
/* CRC32C                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the
 * NVMe/TCP header and data digests and of the blobstore's metadata pages.
 * The conventional value of a buffer starts the register at SIO_CRC32C_INIT
 * and XORs the result with SIO_CRC32C_XOR: sio_crc32c("123456789", 9) is
 * 0xE3069283. The _update() forms work on the raw register (no inversions)
 * so a value can be computed piecewise: crc = SIO_CRC32C_INIT; crc =
 * sio_crc32c_update(crc, a, n); ...; value = crc ^ SIO_CRC32C_XOR.
 * One implementation serves the whole library: the SSE4.2 instruction for
 * short buffers and isa-l's crc32_iscsi() for long ones when the build found
 * libisal, slicing-by-8 tables on a CPU without SSE4.2 (docs/env.md).
 */

/** Initial value of the raw CRC32C register. */
#define SIO_CRC32C_INIT 0xFFFFFFFFu
/** Final XOR that turns the raw register into the conventional CRC32C value. */
#define SIO_CRC32C_XOR 0xFFFFFFFFu

/**
 * sio_crc32c_update() - Feed @len bytes into a raw CRC32C register.
 * @crc: the register (SIO_CRC32C_INIT to start).
 * @buf: the bytes; may be NULL when @len is 0. Any alignment.
 * @len: byte count.
 *
 * Uses the fastest implementation this build and CPU have, chosen per call
 * by @len; no allocation, no lock.
 * Context: any thread; reentrant.
 * Return: the updated register (no error case).
 */
uint32_t sio_crc32c_update(uint32_t crc, const void *buf, size_t len);

/**
 * sio_crc32c() - The CRC32C of one buffer (initial value and final XOR applied).
 * @buf: the bytes; may be NULL when @len is 0.
 * @len: byte count.
 *
 * Context: any thread; reentrant.
 * Return: the CRC32C in host order (NVMe/TCP stores it little-endian).
 */
uint32_t sio_crc32c(const void *buf, size_t len);

/**
 * sio_crc32c_iov() - Feed the first @len bytes of an iovec array into a raw register.
 * @crc: the register (SIO_CRC32C_INIT to start).
 * @iov: the segments, read in order; zero-length ones are skipped.
 * @iovcnt: number of entries in @iov.
 * @len: bytes to feed.
 *
 * Context: any thread; reentrant.
 * Return: the updated register; if the iovecs hold fewer than @len bytes,
 * all of them are fed.
 */
uint32_t sio_crc32c_iov(uint32_t crc, const struct iovec *iov, int iovcnt, size_t len);

/* ------------------------------------------------------------------------ */
/* Base64                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Base64 of RFC 4648 section 4: the standard alphabet (A-Z a-z 0-9 + /), '='
 * padding to a multiple of four characters, no line breaks. The NVMe key
 * interchange formats (keyring.h) and SPDK's bdev_get_histogram reply use it.
 */

/**
 * sio_base64_encoded_len() - Characters sio_base64_encode() writes for @len bytes.
 * @len: byte count, below SIZE_MAX / 4 * 3 (larger ones wrap).
 *
 * Context: any thread.
 * Return: 4 * ceil(@len / 3), not counting the NUL.
 */
static inline size_t sio_base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

/**
 * sio_base64_decoded_max() - The most bytes sio_base64_decode() can make of @len characters.
 * @len: character count.
 *
 * Context: any thread.
 * Return: @len / 4 * 3; the result is up to two bytes shorter when the text ends in '='.
 */
static inline size_t sio_base64_decoded_max(size_t len)
{
	return len / 4 * 3;
}

/**
 * sio_base64_encode() - Encode @len bytes as padded base64 text.
 * @dst: receives sio_base64_encoded_len(@len) characters and a NUL.
 * @dst_size: bytes available at @dst.
 * @src: the bytes; may be NULL when @len is 0.
 * @len: byte count.
 *
 * No allocation.
 * Context: any thread; reentrant.
 * Return: the characters written, not counting the NUL; -EINVAL @dst NULL, or
 * @src NULL with @len not 0; -ENOSPC @dst_size below
 * sio_base64_encoded_len(@len) + 1 (nothing written).
 */
ssize_t sio_base64_encode(char *dst, size_t dst_size, const void *src, size_t len);

/**
 * sio_base64_decode() - Decode padded base64 text.
 * @dst: receives the bytes (not NUL-terminated).
 * @dst_size: bytes available at @dst; sio_base64_decoded_max(@len) always suffices.
 * @src: the text, @len characters, no NUL needed; may be NULL when @len is 0.
 * @len: character count: a multiple of 4 (0 decodes to nothing).
 *
 * Strict about shape: every character is of the alphabet except one or two
 * '=' closing the text; no white space, no line breaks, no URL-safe alphabet.
 * The bits of the last character that fall beyond the data are not checked.
 * @dst may be partly written when the text is refused.
 * Context: any thread; reentrant.
 * Return: the bytes decoded; -EINVAL @len not a multiple of 4, a character
 * outside the alphabet, '=' anywhere but the end, or a NULL pointer with
 * @len not 0; -ENOSPC the bytes do not fit in @dst_size (nothing written).
 */
ssize_t sio_base64_decode(void *dst, size_t dst_size, const char *src, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_ENV_H */
