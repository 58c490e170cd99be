/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev_modules.h
 * Creating and deleting the built-in bdevs from C: the same operations as
 * their JSON-RPC methods (bdev_malloc_create, bdev_null_create, ...), for an
 * application that builds its bdevs in code instead of through a JSON config
 * or RPC. Once created, a bdev is used through bdev.h like any other.
 *
 * Options structs follow the library's ABI rule: the first field is
 * `size_t opts_size`; fill the struct with `sio_bdev_X_opts_init(&o,
 * sizeof(o))` and then set fields. Create functions read only the fields that
 * fit in opts->opts_size (fields beyond it take their defaults), so a program
 * built against an older, smaller struct keeps working; an opts_size smaller
 * than the opts_size field itself, or larger than the library's struct, is
 * refused with -EINVAL. Create functions copy what they keep (names, UUIDs,
 * file names): @opts and its strings may be freed as soon as the call returns.
 *
 * Create, delete and rescan run on a sio_thread; the examples here and the
 * RPC server use the app thread (the main task of sio_app_run() runs there).
 * A delete callback runs once on the deleting thread, by message, never
 * inside the delete call, after every descriptor of the bdev has been closed
 * (their holders get SIO_BDEV_EVENT_REMOVE first). It may be NULL.
 *
 * Virtual bdevs (delay, error, passthru) claim their base bdev: it cannot be
 * claimed again or opened for writing by anyone else, and removing it
 * removes them first.
 */
#ifndef SPDK_IO_BDEV_MODULES_H
#define SPDK_IO_BDEV_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/async.h"
#include "spdk_io/bdev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* malloc: a RAM disk                                                       */
/* ------------------------------------------------------------------------ */

/**
 * Parameters of a malloc bdev (bdev_malloc_create's, plus two knobs the RPC
 * lacks). The data lives in zeroed DMA-able memory; unmap and write_zeroes
 * zero the range; compare is supported.
 */
struct sio_bdev_malloc_opts {
	size_t opts_size;             /**< set by sio_bdev_malloc_opts_init() */
	const char *name;             /**< NULL: "Malloc<N>" with the first free N; default NULL */
	const char *uuid;             /**< text UUID, or NULL for a random one; default NULL */
	uint32_t block_size;          /**< bytes, a multiple of 512; default 512 */
	uint64_t num_blocks;          /**< > 0; default 0 (must be set) */
	uint32_t optimal_io_boundary; /**< blocks; I/O crossing it is split (0 = none); default 0 */
	uint32_t max_transfer_blocks; /**< split I/O larger than this (0 = none); default 0 */
	uint32_t buf_align;           /**< bounce buffers not aligned to this power of two (0, 1 = none); default 0 */
};

/**
 * sio_bdev_malloc_opts_init() - Fill @opts with the defaults listed in
 * struct sio_bdev_malloc_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_malloc_opts_init(struct sio_bdev_malloc_opts *opts, size_t opts_size);

/**
 * sio_bdev_malloc_create() - Allocate a zeroed malloc bdev and register it.
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, block_size not a multiple
 * of 512, zero num_blocks or a size that overflows, buf_align not a power of
 * two, bad UUID); -EEXIST (name or UUID taken); -ENOMEM.
 */
int sio_bdev_malloc_create(const struct sio_bdev_malloc_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_malloc_delete() - Unregister malloc bdev @name and free its memory;
 * @cb(@cb_arg, rc) once it is gone.
 * Context: a sio_thread (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no malloc bdev has that
 * name); -EBUSY (already being deleted).
 */
int sio_bdev_malloc_delete(const char *name, sio_done_cb cb, void *cb_arg);

/* ------------------------------------------------------------------------ */
/* null: stores nothing (SPDK's semantics)                                  */
/* ------------------------------------------------------------------------ */

/**
 * Parameters of a null bdev (bdev_null_create's). A null bdev stores
 * nothing, as SPDK's does: writes, unmap, write_zeroes and flush succeed and
 * are discarded; a read succeeds without touching the caller's buffer, which
 * keeps whatever it held (zeroes when it is a freshly allocated zeroed DMA
 * buffer, from sio_dma_zmalloc()). It measures the layers above it.
 */
struct sio_bdev_null_opts {
	size_t opts_size;    /**< set by sio_bdev_null_opts_init() */
	const char *name;    /**< required; default NULL */
	const char *uuid;    /**< text UUID, or NULL for a random one; default NULL */
	uint32_t block_size; /**< bytes, a multiple of 512; default 512 */
	uint64_t num_blocks; /**< > 0; default 0 (must be set) */
};

/**
 * sio_bdev_null_opts_init() - Fill @opts with the defaults listed in struct
 * sio_bdev_null_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_null_opts_init(struct sio_bdev_null_opts *opts, size_t opts_size);

/**
 * sio_bdev_null_create() - Create and register a null bdev.
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, no name, block_size not a
 * multiple of 512, zero num_blocks, bad UUID); -EEXIST (name or UUID taken);
 * -ENOMEM.
 */
int sio_bdev_null_create(const struct sio_bdev_null_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_null_delete() - Unregister null bdev @name; @cb(@cb_arg, rc) once gone.
 * Context: a sio_thread (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no null bdev has that
 * name); -EBUSY (already being deleted).
 */
int sio_bdev_null_delete(const char *name, sio_done_cb cb, void *cb_arg);

/* ------------------------------------------------------------------------ */
/* aio and uring: a file or block device                                    */
/* ------------------------------------------------------------------------ */

/**
 * Parameters of an aio bdev (bdev_aio_create's): a file or block device
 * served through Linux AIO. docs/bdev.md tells how the file is opened
 * (O_DIRECT when the file system allows it) and how block_size is detected.
 */
struct sio_bdev_aio_opts {
	size_t opts_size;     /**< set by sio_bdev_aio_opts_init() */
	const char *name;     /**< required; default NULL */
	const char *filename; /**< file or block device, required; default NULL */
	uint32_t block_size;  /**< power of two, 512..65536; 0 = detect; default 0 */
	const char *uuid;     /**< text UUID, or NULL for a random one; default NULL */
	bool readonly;        /**< open read-only: writes are unsupported; default false */
	bool fallocate;       /**< offer unmap and write_zeroes through fallocate(2); default false */
	bool nowait;          /**< submit with RWF_NOWAIT, retrying without it on -EAGAIN; default false */
};

/**
 * sio_bdev_aio_opts_init() - Fill @opts with the defaults listed in struct
 * sio_bdev_aio_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_aio_opts_init(struct sio_bdev_aio_opts *opts, size_t opts_size);

/**
 * sio_bdev_aio_create() - Open @opts->filename and register an aio bdev over
 * it. On failure the reason is logged (the RPC returns it as its message).
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, no name or file, bad block
 * size or UUID, empty file); -ENOENT, -EACCES, -EISDIR and other errors of
 * opening the file; -EEXIST (name or UUID taken); -ENOMEM.
 */
int sio_bdev_aio_create(const struct sio_bdev_aio_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_aio_delete() - Unregister aio bdev @name and close its file;
 * @cb(@cb_arg, rc) once gone.
 * Context: a sio_thread (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no aio bdev has that
 * name); -EBUSY (already being deleted).
 */
int sio_bdev_aio_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_aio_rescan() - Re-read the size of the file behind aio bdev @name
 * and resize the bdev if it changed (open descriptors get SIO_BDEV_EVENT_RESIZE).
 * Context: the app thread.
 * Return: 0; -ENODEV (NULL @name, or no aio bdev has that name); -EBUSY
 * (shrinking with descriptors open); the errno of reading the size.
 */
int sio_bdev_aio_rescan(const char *name);

/**
 * Parameters of a uring bdev (bdev_uring_create's): a file or block device
 * served through io_uring. Opening and block_size as for aio.
 */
struct sio_bdev_uring_opts {
	size_t opts_size;     /**< set by sio_bdev_uring_opts_init() */
	const char *name;     /**< required; default NULL */
	const char *filename; /**< file or block device, required; default NULL */
	uint32_t block_size;  /**< power of two, 512..65536; 0 = detect; default 0 */
	const char *uuid;     /**< text UUID, or NULL for a random one; default NULL */
};

/**
 * sio_bdev_uring_opts_init() - Fill @opts with the defaults listed in struct
 * sio_bdev_uring_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_uring_opts_init(struct sio_bdev_uring_opts *opts, size_t opts_size);

/**
 * sio_bdev_uring_create() - Open @opts->filename and register a uring bdev
 * over it. On failure the reason is logged (the RPC returns it as its message).
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, no name or file, bad block
 * size or UUID, empty file); -ENOENT, -EACCES, -EISDIR and other errors of
 * opening the file; -ENOSYS or -EPERM (io_uring unavailable here); -EEXIST
 * (name or UUID taken); -ENOMEM.
 */
int sio_bdev_uring_create(const struct sio_bdev_uring_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_uring_delete() - Unregister uring bdev @name and close its file;
 * @cb(@cb_arg, rc) once gone.
 * Context: a sio_thread (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no uring bdev has that
 * name); -EBUSY (already being deleted).
 */
int sio_bdev_uring_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_uring_rescan() - Re-read the size of the file behind uring bdev
 * @name and resize the bdev if it changed (open descriptors get
 * SIO_BDEV_EVENT_RESIZE).
 * Context: the app thread.
 * Return: 0; -ENODEV (NULL @name, or no uring bdev has that name); -EBUSY
 * (shrinking with descriptors open); the errno of reading the size.
 */
int sio_bdev_uring_rescan(const char *name);

/**
 * sio_bdev_uring_set_inline_memfs() - Whether uring bdevs created from now on
 * over a tmpfs/ramfs file copy reads and writes in their poller (true)
 * instead of going through io_uring, which hands every I/O on such files to
 * a kernel worker thread (the copy is 2-3x faster). Default false: a uring
 * bdev does its data I/O through io_uring, as its name promises.
 * Context: the app thread; applies to bdevs created afterwards.
 */
void sio_bdev_uring_set_inline_memfs(bool enable);

/* ------------------------------------------------------------------------ */
/* delay: latency added to a base bdev                                      */
/* ------------------------------------------------------------------------ */

/** Which latency sio_bdev_delay_update_latency() changes (SPDK's latency_type). */
enum sio_bdev_delay_latency {
	SIO_BDEV_DELAY_AVG_READ = 0,  /**< "avg_read": most reads */
	SIO_BDEV_DELAY_P99_READ = 1,  /**< "p99_read": one read in a hundred */
	SIO_BDEV_DELAY_AVG_WRITE = 2, /**< "avg_write": most writes, unmaps, write_zeroes */
	SIO_BDEV_DELAY_P99_WRITE = 3, /**< "p99_write": one of those in a hundred */
};

/**
 * Parameters of a delay bdev (bdev_delay_create's). Each completion is held
 * back until its latency has passed (by a poller, nothing sleeps); each p99
 * figure must not be below its average.
 */
struct sio_bdev_delay_opts {
	size_t opts_size;              /**< set by sio_bdev_delay_opts_init() */
	const char *name;              /**< required; default NULL */
	const char *base_bdev_name;    /**< bdev to wrap, required; default NULL */
	const char *uuid;              /**< text UUID, or NULL for a random one; default NULL */
	uint64_t avg_read_latency_us;  /**< default 0 */
	uint64_t p99_read_latency_us;  /**< default 0 */
	uint64_t avg_write_latency_us; /**< default 0 */
	uint64_t p99_write_latency_us; /**< default 0 */
};

/**
 * sio_bdev_delay_opts_init() - Fill @opts with the defaults listed in struct
 * sio_bdev_delay_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_delay_opts_init(struct sio_bdev_delay_opts *opts, size_t opts_size);

/**
 * sio_bdev_delay_create() - Create delay bdev @opts->name over (and claiming)
 * @opts->base_bdev_name, with the same geometry.
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted or its base goes.
 * Context: a sio_thread, which then holds the base's descriptor: delete the
 * bdev on that thread, and keep the thread alive while the bdev exists.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, no name or base name, a p99
 * latency below its average, bad UUID); -ENODEV (no such base); -EPERM (base
 * already claimed); -EEXIST (name or UUID taken); -ENOMEM.
 */
int sio_bdev_delay_create(const struct sio_bdev_delay_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_delay_delete() - Unregister delay bdev @name, releasing its base;
 * @cb(@cb_arg, rc) once gone.
 * Context: the thread that created it (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no delay bdev has that
 * name); -EBUSY (already being deleted).
 */
int sio_bdev_delay_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_delay_update_latency() - Set one latency of delay bdev @name, in
 * µs; I/O submitted afterwards gets it.
 * Context: any thread.
 * Return: 0; -EINVAL (NULL @name, bad @which, or a p99 figure that would be
 * below its average); -ENODEV (no delay bdev has that name).
 */
int sio_bdev_delay_update_latency(const char *name, enum sio_bdev_delay_latency which,
				  uint64_t latency_us);

/* ------------------------------------------------------------------------ */
/* error: failures injected over a base bdev                                */
/* ------------------------------------------------------------------------ */

/** Parameters of an error bdev (bdev_error_create's). Its name is "EE_<base_name>". */
struct sio_bdev_error_opts {
	size_t opts_size;      /**< set by sio_bdev_error_opts_init() */
	const char *base_name; /**< bdev to wrap, required; default NULL */
	const char *uuid;      /**< text UUID, or NULL for a random one; default NULL */
};

/**
 * sio_bdev_error_opts_init() - Fill @opts with the defaults listed in struct
 * sio_bdev_error_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_error_opts_init(struct sio_bdev_error_opts *opts, size_t opts_size);

/**
 * sio_bdev_error_create() - Create error bdev "EE_<base_name>" over (and
 * claiming) @opts->base_name, with the same geometry. It passes I/O through
 * until an injection is armed (sio_bdev_error_inject()).
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted or its base goes.
 * Context: a sio_thread, which then holds the base's descriptor: delete the
 * bdev on that thread, and keep the thread alive while the bdev exists.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, no base name, bad UUID);
 * -ENODEV (no such base); -EPERM (base already claimed); -EEXIST (name or
 * UUID taken); -ENOMEM.
 */
int sio_bdev_error_create(const struct sio_bdev_error_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_error_delete() - Unregister error bdev @name ("EE_..."), releasing
 * its base; @cb(@cb_arg, rc) once gone.
 * Context: the thread that created it (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no error bdev has that
 * name); -EBUSY (already being deleted).
 */
int sio_bdev_error_delete(const char *name, sio_done_cb cb, void *cb_arg);

/** What an armed injection does (SPDK's bdev_error_inject_error error_type). */
enum sio_bdev_error_type {
	SIO_BDEV_ERROR_FAILURE = 1,      /**< complete with -EIO without reaching the base */
	SIO_BDEV_ERROR_PENDING = 2,      /**< never complete until a reset (then -ECANCELED) */
	SIO_BDEV_ERROR_CORRUPT_DATA = 3, /**< writes: corrupt before; reads: corrupt after */
	SIO_BDEV_ERROR_NOMEM = 4,        /**< complete with -ENOMEM (the caller retries) */
	SIO_BDEV_ERROR_NVME_FAILURE = 5, /**< complete with -EIO (as an NVMe status error) */
};

/** One injection (bdev_error_inject_error's parameters). */
struct sio_bdev_error_inject_opts {
	size_t opts_size; /**< set by sio_bdev_error_inject_opts_init() */
	/**
	 * 1u << sio_bdev_io_type for each type to hit; 0 clears every
	 * injection of the bdev. Default 0.
	 */
	uint32_t io_type_mask;
	enum sio_bdev_error_type error_type; /**< default SIO_BDEV_ERROR_FAILURE */
	uint32_t num;             /**< how many I/O of each type to hit (0 counts as 1); default 1 */
	uint64_t corrupt_offset;  /**< CORRUPT_DATA: byte of the I/O's data to corrupt; default 0 */
	uint8_t corrupt_value;    /**< CORRUPT_DATA: XORed into that byte (0 means 0xff); default 0 */
};

/**
 * sio_bdev_error_inject_opts_init() - Fill @opts with the defaults listed in
 * struct sio_bdev_error_inject_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_error_inject_opts_init(struct sio_bdev_error_inject_opts *opts, size_t opts_size);

/**
 * sio_bdev_error_inject() - Arm an injection on error bdev @name for each
 * type in @opts->io_type_mask (replacing what was armed for those types), or
 * with a mask of 0 clear them all.
 * @opts: read during the call only.
 * Context: any thread; I/O submitted afterwards sees it.
 * Return: 0; -EINVAL (NULL argument, bad opts_size, bad error_type);
 * -ENODEV (no error bdev has that name).
 */
int sio_bdev_error_inject(const char *name, const struct sio_bdev_error_inject_opts *opts);

/* ------------------------------------------------------------------------ */
/* passthru: forwards everything to a base bdev                             */
/* ------------------------------------------------------------------------ */

/** Parameters of a passthru bdev (bdev_passthru_create's). */
struct sio_bdev_passthru_opts {
	size_t opts_size;           /**< set by sio_bdev_passthru_opts_init() */
	const char *name;           /**< required; default NULL */
	const char *base_bdev_name; /**< bdev to wrap, required; default NULL */
	const char *uuid;           /**< text UUID, or NULL for a random one; default NULL */
};

/**
 * sio_bdev_passthru_opts_init() - Fill @opts with the defaults listed in
 * struct sio_bdev_passthru_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; only that many
 *             bytes are written. Nothing is written when @opts is NULL or
 *             @opts_size cannot hold opts_size itself.
 * Context: any thread.
 */
void sio_bdev_passthru_opts_init(struct sio_bdev_passthru_opts *opts, size_t opts_size);

/**
 * sio_bdev_passthru_create() - Create passthru bdev @opts->name over (and
 * claiming) @opts->base_bdev_name, with the same geometry; every I/O is
 * forwarded unchanged.
 * @opts: read during the call only (strings copied).
 * @out: receives the bdev (may be NULL); it lives until deleted or its base goes.
 * Context: a sio_thread, which then holds the base's descriptor: delete the
 * bdev on that thread, and keep the thread alive while the bdev exists.
 * Return: 0; -EINVAL (NULL @opts, bad opts_size, no name or base name, bad
 * UUID); -ENODEV (no such base); -EPERM (base already claimed); -EEXIST
 * (name or UUID taken); -ENOMEM.
 */
int sio_bdev_passthru_create(const struct sio_bdev_passthru_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_passthru_delete() - Unregister passthru bdev @name, releasing its
 * base; @cb(@cb_arg, rc) once gone.
 * Context: the thread that created it (@cb runs there).
 * Return: 0 (started); -EINVAL (NULL @name); -ENODEV (no passthru bdev has
 * that name); -EBUSY (already being deleted).
 */
int sio_bdev_passthru_delete(const char *name, sio_done_cb cb, void *cb_arg);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_BDEV_MODULES_H */
