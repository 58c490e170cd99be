/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file uring.h
 * The uring bdev module: a file or block device served through io_uring, one
 * ring per bdev per thread, completions reaped by a channel poller. Private to
 * the module and its RPC glue (bdev_uring_create / _delete / _rescan).
 */
#ifndef SIO_BDEV_MODULE_URING_H
#define SIO_BDEV_MODULE_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/bdev_module.h"

/** Parameters of bdev_uring_create, named as in SPDK's RPC. */
struct bdev_uring_opts {
	const char *name;     /**< bdev name (required) */
	const char *filename; /**< file or block device (required) */
	uint32_t block_size;  /**< 0: detect */
	const char *uuid;     /**< text UUID, NULL: generated */
};

/** The module object (listed in meson as 'uring'). */
extern struct sio_bdev_module sio_bdev_module_uring;

/**
 * bdev_uring_create() - Open @opts->filename and register a bdev over it.
 * @bdev: receives the new bdev (may be NULL).
 * @err: receives a one-line reason on failure.
 * Context: the app thread.
 * Return: 0; -EINVAL (missing name or file, bad block size or UUID, empty
 * file); -ENOENT, -EACCES and other open errors; -ENOSYS or -EPERM when
 * io_uring is unavailable; -EEXIST for a taken name or UUID; -ENOMEM.
 */
int bdev_uring_create(const struct bdev_uring_opts *opts, struct sio_bdev **bdev, char *err,
		      size_t errlen);

/**
 * bdev_uring_delete() - Unregister the uring bdev @name; @cb(@cb_arg, rc) runs
 * once it is gone.
 * Context: a sio_thread (the app thread for the RPC).
 * Return: 0 (started); -ENODEV when no uring bdev has that name; -EBUSY when
 * already being deleted.
 */
int bdev_uring_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * bdev_uring_rescan() - Re-read the size of the file behind @name and resize
 * the bdev when it changed.
 * Context: the app thread.
 * Return: 0; -ENODEV for an unknown name; -EBUSY when shrinking with open
 * descriptors; the errno of reading the size.
 */
int bdev_uring_rescan(const char *name);

/**
 * bdev_uring_set_inline_memfs() - Whether bdevs created from now on over a
 * tmpfs/ramfs file copy reads and writes in the poller (true) instead of
 * through io_uring, which hands every I/O on such files to a kernel worker
 * thread. Default false: a uring bdev does its data I/O through io_uring,
 * as its name promises and as comparisons with fio's io_uring engine assume.
 * Context: the app thread.
 */
void bdev_uring_set_inline_memfs(bool enable);

#endif /* SIO_BDEV_MODULE_URING_H */
