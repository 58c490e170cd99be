/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file uring.h
 * The uring bdev module: a file or block device served through io_uring, one
 * ring per bdev per thread, completions reaped by a channel poller.
 *
 * Applications use the public API (spdk_io/bdev_modules.h). This header adds
 * the module object and the create call of the RPC glue, which hands the
 * reason of a failure back as text for the RPC's error message.
 */
#ifndef SIO_BDEV_MODULE_URING_H
#define SIO_BDEV_MODULE_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

/**
 * Parameters of bdev_uring_create as the RPC parses them (SPDK's names). No
 * opts_size: internal callers build it whole; all-zero means the defaults of
 * struct sio_bdev_uring_opts.
 */
struct bdev_uring_opts {
	const char *name;     /**< bdev name (required) */
	const char *filename; /**< file or block device (required) */
	uint32_t block_size;  /**< 0: detect */
	const char *uuid;     /**< text UUID, NULL: generated */
};

/** The module object (listed in meson as 'uring'). */
extern struct sio_bdev_module sio_bdev_module_uring;

/**
 * bdev_uring_create() - sio_bdev_uring_create() with the reason of a failure
 * written to @err instead of the log.
 * @bdev: receives the new bdev (may be NULL).
 * @err: receives a one-line reason on failure.
 * Context: the app thread.
 * Return: as sio_bdev_uring_create().
 */
int bdev_uring_create(const struct bdev_uring_opts *opts, struct sio_bdev **bdev, char *err,
		      size_t errlen);

/** bdev_uring_set_inline_memfs() - The name bench/ knew before sio_bdev_uring_set_inline_memfs(). */
static inline void bdev_uring_set_inline_memfs(bool enable)
{
	sio_bdev_uring_set_inline_memfs(enable);
}

#endif /* SIO_BDEV_MODULE_URING_H */
