/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file error.h
 * The error bdev: "EE_<base>" wraps a base bdev (claiming it) and injects
 * failures into chosen I/O types: fail them, corrupt their data, hold them
 * pending until a reset, or report -ENOMEM.
 *
 * The create/delete/inject API is public (spdk_io/bdev_modules.h); this
 * header adds what only the module, its RPC glue and the module table see.
 */
#ifndef SIO_BDEV_ERROR_H
#define SIO_BDEV_ERROR_H

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

extern struct sio_bdev_module sio_bdev_module_error;

#endif
