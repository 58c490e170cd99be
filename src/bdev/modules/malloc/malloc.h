/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file malloc.h
 * The malloc bdev: a RAM disk in DMA-able memory. Data round-trips; unmap and
 * write_zeroes zero the range; compare is supported. Copies run inline with
 * memcpy; completions are deferred to a per-thread poller.
 */
#ifndef SIO_BDEV_MALLOC_H
#define SIO_BDEV_MALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "spdk_io/bdev_module.h"

/** Parameters of a malloc bdev (bdev_malloc_create, plus test knobs). */
struct sio_bdev_malloc_opts {
	const char *name;             /**< NULL: "Malloc<N>" with the first free N */
	const char *uuid;             /**< text UUID, or NULL for a random one */
	uint32_t block_size;          /**< bytes, a multiple of 512 */
	uint64_t num_blocks;          /**< > 0 */
	uint32_t optimal_io_boundary; /**< blocks; I/O crossing it is split (0 = none) */
	uint32_t max_transfer_blocks; /**< not in the RPC: split I/O larger than this (0 = none) */
	uint32_t buf_align;           /**< not in the RPC: require this buffer alignment (bounce others) */
};

/** sio_bdev_malloc_opts_init() - Zero @opts and set block_size 512. */
void sio_bdev_malloc_opts_init(struct sio_bdev_malloc_opts *opts);

/**
 * sio_bdev_malloc_create() - Allocate (zeroed) and register a malloc bdev.
 * Context: the app thread (a sio_thread).
 * Return: 0 and *@out; -EINVAL bad parameters; -EEXIST name or UUID taken; -ENOMEM.
 */
int sio_bdev_malloc_create(const struct sio_bdev_malloc_opts *opts, struct sio_bdev **out);

/**
 * sio_bdev_malloc_delete() - Unregister malloc bdev @name; @cb(@cb_arg, rc) once freed.
 * Context: a sio_thread. Return: 0 (started); -ENODEV; -EBUSY.
 */
int sio_bdev_malloc_delete(const char *name, sio_done_cb cb, void *cb_arg);

extern struct sio_bdev_module sio_bdev_module_malloc;

#endif
