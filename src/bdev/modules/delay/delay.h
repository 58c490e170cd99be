/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file delay.h
 * The delay bdev: wraps a base bdev (claiming it) and holds each completion
 * back until its latency has passed: reads get the read latencies, writes,
 * unmaps and write_zeroes the write latencies; one I/O in a hundred gets the
 * p99 figure, the rest the average. Done with a poller, never by sleeping.
 */
#ifndef SIO_BDEV_DELAY_H
#define SIO_BDEV_DELAY_H

#include <stdint.h>

#include "spdk_io/bdev_module.h"

/** Which latency bdev_delay_update_latency changes (SPDK's names). */
enum sio_bdev_delay_latency {
	SIO_BDEV_DELAY_AVG_READ = 0,
	SIO_BDEV_DELAY_P99_READ = 1,
	SIO_BDEV_DELAY_AVG_WRITE = 2,
	SIO_BDEV_DELAY_P99_WRITE = 3,
};

/**
 * sio_bdev_delay_create() - Create delay bdev @name over @base_name; latencies in µs.
 * Context: a sio_thread (the base descriptor belongs to it).
 * Return: 0; -EINVAL (p99 below avg, bad uuid); -ENODEV; -EPERM; -EEXIST; -ENOMEM.
 */
int sio_bdev_delay_create(const char *name, const char *base_name, const char *uuid,
			  const uint64_t latency_us[4], struct sio_bdev **out);

/** sio_bdev_delay_delete() - Unregister delay bdev @name. Return: 0 (started); -ENODEV; -EBUSY. */
int sio_bdev_delay_delete(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_delay_update_latency() - Change one latency of @name (applies to new I/O).
 * Context: any thread. Return: 0; -ENODEV; -EINVAL (bad type, or p99 below avg).
 */
int sio_bdev_delay_update_latency(const char *name, enum sio_bdev_delay_latency which,
				  uint64_t latency_us);

extern struct sio_bdev_module sio_bdev_module_delay;

#endif
