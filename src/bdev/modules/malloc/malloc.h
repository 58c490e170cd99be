/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file malloc.h
 * The malloc bdev: a RAM disk in DMA-able memory. Data round-trips; unmap and
 * write_zeroes zero the range; compare is supported. Copies run inline with
 * memcpy; completions are deferred to a per-thread poller.
 *
 * The create/delete API is public (spdk_io/bdev_modules.h); this header adds
 * what only the module, its RPC glue and the module table see.
 */
#ifndef SIO_BDEV_MALLOC_H
#define SIO_BDEV_MALLOC_H

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

extern struct sio_bdev_module sio_bdev_module_malloc;

#endif
