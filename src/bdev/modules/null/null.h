/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file null.h
 * The null bdev: writes are discarded, reads return zeroes (or, with
 * zero_reads off, leave the buffer untouched, for benchmarks of the layer
 * itself). Completions are deferred to a per-thread poller.
 */
#ifndef SIO_BDEV_NULL_H
#define SIO_BDEV_NULL_H

#include <stdbool.h>
#include <stdint.h>

#include "spdk_io/bdev_module.h"

/** Parameters of a null bdev (bdev_null_create). */
struct sio_bdev_null_opts {
	const char *name;      /**< required */
	const char *uuid;      /**< text UUID, or NULL for a random one */
	uint32_t block_size;   /**< bytes, a multiple of 512 (or 512..64 KiB power of two) */
	uint64_t num_blocks;   /**< > 0 */
	/**
	 * Reads fill the buffer with zeroes (default true). Off, a read leaves
	 * the buffer as it is: the pure cost of the bdev layer, as SPDK's null
	 * bdev does.
	 */
	bool zero_reads;
};

/** sio_bdev_null_opts_init() - Defaults: no name, 512-byte blocks, zero_reads on. */
void sio_bdev_null_opts_init(struct sio_bdev_null_opts *opts);

/**
 * sio_bdev_null_set_default_zero_reads() - zero_reads of null bdevs created
 * by bdev_null_create (RPC or JSON config), which has no such parameter.
 * Default true; a benchmark tool turns it off to measure the layer alone, as
 * SPDK's null bdev (which leaves read buffers untouched) does.
 * Context: any thread; applies to bdevs created afterwards.
 */
void sio_bdev_null_set_default_zero_reads(bool zero_reads);

/** sio_bdev_null_get_default_zero_reads() - The current default (see above). */
bool sio_bdev_null_get_default_zero_reads(void);

/**
 * sio_bdev_null_create() - Create and register a null bdev.
 * Context: the app thread (a sio_thread).
 * Return: 0 and *@out; -EINVAL bad parameters (no name, block size not a
 * multiple of 512, zero blocks, bad UUID); -EEXIST name or UUID taken; -ENOMEM.
 */
int sio_bdev_null_create(const struct sio_bdev_null_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_null_delete() - Unregister the null bdev @name; @cb(@cb_arg, rc) when gone.
 * Context: a sio_thread. Return: 0 (started); -ENODEV no null bdev of that name; -EBUSY.
 */
int sio_bdev_null_delete(const char *name, sio_done_cb cb, void *cb_arg);

extern struct sio_bdev_module sio_bdev_module_null;

#endif
