/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file delay.h
 * The delay bdev: wraps a base bdev (claiming it) and holds each completion
 * back until its latency has passed: reads get the read latencies, writes,
 * unmaps and write_zeroes the write latencies; one I/O in a hundred gets the
 * p99 figure, the rest the average. Done with a poller, never by sleeping.
 *
 * The create/delete/update API is public (spdk_io/bdev_modules.h); this
 * header adds what only the module, its RPC glue and the module table see.
 */
#ifndef SIO_BDEV_DELAY_H
#define SIO_BDEV_DELAY_H

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

extern struct sio_bdev_module sio_bdev_module_delay;

#endif
