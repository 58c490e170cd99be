/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file null.h
 * The null bdev, SPDK's semantics: writes are discarded, reads complete
 * without touching the buffer. Completions are deferred to a per-thread
 * poller.
 *
 * The create/delete API is public (spdk_io/bdev_modules.h); this header adds
 * what only the module, its RPC glue and the module table see.
 */
#ifndef SIO_BDEV_NULL_H
#define SIO_BDEV_NULL_H

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

extern struct sio_bdev_module sio_bdev_module_null;

#endif
