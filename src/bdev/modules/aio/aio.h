/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aio.h
 * The aio bdev module: a file or block device served through Linux AIO
 * (libaio), one io_context per bdev per thread, completions reaped by a
 * channel poller. Private to the module and its RPC glue (bdev_aio_create /
 * _delete / _rescan).
 */
#ifndef SIO_BDEV_MODULE_AIO_H
#define SIO_BDEV_MODULE_AIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/bdev_module.h"

/** Parameters of bdev_aio_create, named as in SPDK's RPC. */
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
 * bdev_aio_create() - Open @opts->filename and register a bdev over it.
 * @bdev: receives the new bdev (may be NULL).
 * @err: receives a one-line reason on failure.
 * Context: the app thread.
 * Return: 0; -EINVAL (missing name or file, bad block size or UUID, empty
 * file); -ENOENT, -EACCES and other open errors; -ENOSYS when Linux AIO is
 * unavailable; -EEXIST for a taken name or UUID; -ENOMEM.
 */
int bdev_aio_create(const struct bdev_aio_opts *opts, struct sio_bdev **bdev, char *err,
		      size_t errlen);

/**
 * bdev_aio_delete() - Unregister the aio bdev @name; @cb(@cb_arg, rc) runs
 * once it is gone.
 * Context: a sio_thread (the app thread for the RPC).
 * Return: 0 (started); -ENODEV when no aio bdev has that name; -EBUSY when
 * already being deleted.
 */
int bdev_aio_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * bdev_aio_rescan() - Re-read the size of the file behind @name and resize
 * the bdev when it changed.
 * Context: the app thread.
 * Return: 0; -ENODEV for an unknown name; -EBUSY when shrinking with open
 * descriptors; the errno of reading the size.
 */
int bdev_aio_rescan(const char *name);

#endif /* SIO_BDEV_MODULE_AIO_H */
