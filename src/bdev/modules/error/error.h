/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file error.h
 * The error bdev: "EE_<base>" wraps a base bdev (claiming it) and injects
 * failures into chosen I/O types: fail them, corrupt their data, hold them
 * pending until a reset, or report -ENOMEM.
 */
#ifndef SIO_BDEV_ERROR_H
#define SIO_BDEV_ERROR_H

#include <stdint.h>

#include "spdk_io/bdev_module.h"

/** What an armed injection does (SPDK's bdev_error_inject_error_type). */
enum sio_bdev_error_type {
	SIO_BDEV_ERROR_FAILURE = 1,      /**< complete with -EIO without reaching the base */
	SIO_BDEV_ERROR_PENDING = 2,      /**< never complete until a reset (then -ECANCELED) */
	SIO_BDEV_ERROR_CORRUPT_DATA = 3, /**< writes: corrupt before; reads: corrupt after */
	SIO_BDEV_ERROR_NOMEM = 4,        /**< complete with -ENOMEM (the caller retries) */
	SIO_BDEV_ERROR_NVME_FAILURE = 5, /**< complete with -EIO (as an NVMe status error) */
};

/** One injection (bdev_error_inject_error parameters). */
struct sio_bdev_error_inject {
	/** 1u << sio_bdev_io_type for each type to hit; 0 clears every injection. */
	uint32_t io_type_mask;
	enum sio_bdev_error_type error_type;
	uint32_t num;            /**< how many I/O to hit (default 1) */
	uint64_t corrupt_offset; /**< byte of the I/O's data to corrupt */
	uint8_t corrupt_value;   /**< XORed into that byte (0 means 0xff) */
};

/**
 * sio_bdev_error_create() - Create "EE_<base_name>" over @base_name.
 * Context: a sio_thread (the base descriptor belongs to it).
 * Return: 0; -EINVAL; -ENODEV no base; -EPERM base claimed; -EEXIST; -ENOMEM.
 */
int sio_bdev_error_create(const char *base_name, const char *uuid, struct sio_bdev **out);

/** sio_bdev_error_delete() - Unregister error bdev @name. Return as sio_bdev_unregister(); -ENODEV. */
int sio_bdev_error_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_error_inject() - Arm (or, with io_type_mask 0, clear) injections on @name.
 * Context: any thread. Return: 0; -ENODEV not an error bdev; -EINVAL bad type.
 */
int sio_bdev_error_inject(const char *name, const struct sio_bdev_error_inject *inj);

extern struct sio_bdev_module sio_bdev_module_error;

#endif
