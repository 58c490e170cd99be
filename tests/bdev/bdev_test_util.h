/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the bdev core and module tests: a sio_thread on the test's
 * OS thread, polling until a condition holds, and completion records.
 */
#ifndef SIO_BDEV_TEST_UTIL_H
#define SIO_BDEV_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spdk_io/async.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/thread.h"
#include "../common/ut_thread.h"

int bdev_modules_init(void);
void bdev_modules_fini(void);

/* A completion record: how often the callback ran and with what. */
struct ut_cpl {
	int calls;
	int rc;
};

static inline void ut_cpl_cb(void *arg, int rc)
{
	struct ut_cpl *c = arg;

	c->calls++;
	c->rc = rc;
}

static inline uint64_t ut_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Poll the current thread until *@flag != 0 or 5 s pass; return whether it became true. */
static inline bool ut_poll_until(const int *flag)
{
	struct sio_thread *t = sio_thread_get_current();
	uint64_t end = ut_now_ns() + 5000000000ull;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		sio_thread_poll(t, 0);
		if (ut_now_ns() > end)
			return false;
	}
	return true;
}

/*
 * Poll until every examine in progress has finished (the lvol module reads
 * the first 8 KiB of each new bdev, as SPDK's examine does, and that read
 * counts in the bdev's I/O statistics); return whether it did within 5 s.
 * Tests that assert I/O counts call it after creating a bdev and count from
 * there.
 */
static inline bool ut_wait_for_examine(void)
{
	struct ut_cpl c = {0};

	return sio_bdev_wait_for_examine(ut_cpl_cb, &c) == 0 && ut_poll_until(&c.calls) &&
	       c.rc == 0;
}

/* Poll the current thread @n times. */
static inline void ut_poll_n(int n)
{
	struct sio_thread *t = sio_thread_get_current();

	for (int i = 0; i < n; i++)
		sio_thread_poll(t, 0);
}

/* The statistics of bdev @name (sio_bdev_get_io_stat(), waited for). Return: 0 or an errno. */
static inline int ut_io_stat(const char *name, struct sio_bdev_io_stat *s)
{
	struct ut_cpl c = {0};
	int rc;

	memset(s, 0, sizeof(*s));
	rc = sio_bdev_get_io_stat(sio_bdev_get_by_name(name), s, ut_cpl_cb, &c);
	if (rc == 0 && !ut_poll_until(&c.calls))
		rc = -ETIMEDOUT;
	return rc != 0 ? rc : c.rc;
}

/*
 * A bdev test group's setup: the test's OS thread becomes sio_thread @name
 * (in *@thread), which every module's init and later the tests poll.
 */
static inline int ut_bdev_group_init(const char *name, struct sio_thread **thread)
{
	*thread = sio_thread_attach(name);
	if (*thread == NULL)
		return -1;
	return bdev_modules_init();
}

/* A bdev test group's teardown; the polls run what the modules' fini left queued. */
static inline int ut_bdev_group_fini(void)
{
	bdev_modules_fini();
	ut_poll_n(10);
	return 0;
}

static inline void ut_event_cb(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	int *count = ctx;

	if (count != NULL && type == SIO_BDEV_EVENT_REMOVE)
		(*count)++;
}

/* The virtual bdevs' create calls with their few options given in place. */
static inline int ut_passthru_create(const char *name, const char *base, struct sio_bdev **out)
{
	struct sio_bdev_passthru_opts o;

	sio_bdev_passthru_opts_init(&o, sizeof(o));
	o.name = name;
	o.base_bdev_name = base;
	return sio_bdev_passthru_create(&o, out);
}

static inline int ut_error_create(const char *base, struct sio_bdev **out)
{
	struct sio_bdev_error_opts o;

	sio_bdev_error_opts_init(&o, sizeof(o));
	o.base_name = base;
	return sio_bdev_error_create(&o, out);
}

/* @lat_us: indexed by enum sio_bdev_delay_latency. */
static inline int ut_delay_create(const char *name, const char *base, const uint64_t lat_us[4],
				  struct sio_bdev **out)
{
	struct sio_bdev_delay_opts o;

	sio_bdev_delay_opts_init(&o, sizeof(o));
	o.name = name;
	o.base_bdev_name = base;
	o.avg_read_latency_us = lat_us[SIO_BDEV_DELAY_AVG_READ];
	o.p99_read_latency_us = lat_us[SIO_BDEV_DELAY_P99_READ];
	o.avg_write_latency_us = lat_us[SIO_BDEV_DELAY_AVG_WRITE];
	o.p99_write_latency_us = lat_us[SIO_BDEV_DELAY_P99_WRITE];
	return sio_bdev_delay_create(&o, out);
}

/* Deterministic fill: byte i of a pattern seeded by @seed. */
static inline void ut_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

#endif
