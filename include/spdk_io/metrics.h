/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The metrics endpoint (docs/metrics.md): Prometheus text exposition format
 * over HTTP/1.1 (GET /metrics) from an OS thread of its own.
 *
 * A scrape asks the app thread for a fresh snapshot: the app thread runs the
 * registered collectors one after the other (each may gather on other
 * threads by message, as sio_bdev_get_io_stat() does) and hands the text to
 * the server thread. I/O threads never wait for the exporter and never take
 * a lock for it; the server never touches their data. A scrape the app thread
 * does not answer within 2 s gets the previous snapshot.
 *
 * Collectors are registered by the program (sio_tgt registers every
 * layer's); the app layer itself exports reactor and thread busy/idle time.
 */
#ifndef SPDK_IO_METRICS_H
#define SPDK_IO_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "spdk_io/async.h"
#include "spdk_io/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A snapshot being written by collectors. */
struct sio_metrics;

/** Prometheus metric types. */
enum sio_metric_type {
	SIO_METRIC_COUNTER = 0,   /**< only goes up; name ends in _total */
	SIO_METRIC_GAUGE = 1,     /**< goes up and down */
	SIO_METRIC_HISTOGRAM = 2, /**< _bucket{le=...}, _sum, _count samples */
};

/**
 * sio_metrics_sample() - Add one sample of metric family @family.
 * Families are created on first use with @type and @help and may be written
 * in any order: the output groups each family's samples under its HELP and
 * TYPE lines, as the format requires.
 * @suffix: "" for counters and gauges; "_bucket", "_sum" or "_count" for
 *          histograms.
 * @labels: NULL, or a NULL-terminated array of name, value, name, value...
 *          (values are escaped here).
 * @le: the bucket's upper bound for "_bucket" samples ("+Inf" for the last),
 *      else NULL.
 * Context: a collector's thread (the app thread), between its start and done.
 * Return: 0; -EINVAL (NULL or badly named @family, a family reused with
 * another type); -ENOMEM.
 */
int sio_metrics_sample(struct sio_metrics *m, const char *family, enum sio_metric_type type,
		       const char *help, const char *suffix, const char *const *labels,
		       const char *le, double value);

/**
 * A collector: @collect writes samples into @m, then calls @done(@cb_arg, 0)
 * (now or later, on the app thread; at most once). It runs on the app thread.
 */
struct sio_metrics_collector {
	const char *name;
	void (*collect)(struct sio_metrics *m, sio_done_cb done, void *cb_arg);
};

/**
 * sio_metrics_register() - Add @c to every later snapshot.
 * @c: static storage; the same collector twice is -EEXIST.
 * Context: any thread while no scrape runs (before sio_app_run()).
 * Return: 0; -EINVAL; -EEXIST; -ENOSPC (more than 16).
 */
int sio_metrics_register(const struct sio_metrics_collector *c);

/**
 * sio_metrics_server_start() - Serve GET /metrics on @addr ("127.0.0.1:9100",
 * "[::1]:9100"; port 0 picks a free one) from a new OS thread.
 * Context: the app thread of a running app.
 * Return: 0; -EINVAL (bad address); -EALREADY (already serving); -EPERM (no
 * running app); negative errno of socket/bind/listen or of the thread start.
 */
int sio_metrics_server_start(const char *addr);

/** sio_metrics_server_address() - "ADDR:PORT" being served (port resolved), or NULL. */
const char *sio_metrics_server_address(void);

/**
 * sio_metrics_server_stop() - Stop serving: the server thread is joined.
 * Context: the app thread (also called by the app at shutdown).
 * Return: 0; -ENOENT when not serving.
 */
int sio_metrics_server_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_METRICS_H */
