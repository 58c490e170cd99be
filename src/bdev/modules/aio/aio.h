/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aio.h
 * The aio bdev module: a file or block device served through Linux AIO
 * (libaio), one io_context per bdev per thread, completions reaped by a
 * channel poller.
 *
 * Applications use the public API (spdk_io/bdev_modules.h). This header adds
 * the module object and the create call of the RPC glue, which hands the
 * reason of a failure back as text for the RPC's error message.
 */
#ifndef SIO_BDEV_MODULE_AIO_H
#define SIO_BDEV_MODULE_AIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

/**
 * Parameters of bdev_aio_create as the RPC parses them (SPDK's names). No
 * opts_size: internal callers build it whole; all-zero means the defaults of
 * struct sio_bdev_aio_opts.
 */
struct bdev_aio_opts {
	const char *name;     /**< bdev name (required) */
	const char *filename; /**< file or block device (required) */
	uint32_t block_size;  /**< 0: detect */
	const char *uuid;     /**< text UUID, NULL: generated */
	bool readonly;        /**< open the file read-only; writes are unsupported */
	bool fallocate;       /**< offer unmap and write_zeroes through fallocate(2) */
	bool nowait;          /**< submit with RWF_NOWAIT, retrying without it on -EAGAIN */
};

/** The module object (listed in meson as 'aio'). */
extern struct sio_bdev_module sio_bdev_module_aio;

/**
 * bdev_aio_create() - sio_bdev_aio_create() with the reason of a failure
 * written to @err instead of the log.
 * @bdev: receives the new bdev (may be NULL).
 * @err: receives a one-line reason on failure.
 * Context: the app thread.
 * Return: as sio_bdev_aio_create().
 */
int bdev_aio_create(const struct bdev_aio_opts *opts, struct sio_bdev **bdev, char *err,
		      size_t errlen);

#endif /* SIO_BDEV_MODULE_AIO_H */
