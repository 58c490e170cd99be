/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/log.h"
#include "thread/thread_internal.h"
#include "ut_multithread.h"

/* Rounds before ut_mt_poll_until_idle() declares a livelock. */
#define UT_MT_MAX_ROUNDS 1000000

static struct sio_thread *g_ut_threads[UT_MT_MAX_THREADS];
static unsigned int g_ut_nthreads;
/* In microseconds, converted on each read: sums of rounded-down tick
 * conversions would drift below a period and make timed tests flaky. */
static uint64_t g_ut_clock_us;
static unsigned int g_ut_errors;
static char g_ut_last_error[256];

static uint64_t ut_mock_ticks(void)
{
	return sio_us_to_ticks(g_ut_clock_us);
}

static void ut_log_sink(enum sio_log_level level, const char *component, const char *msg,
			void *ctx)
{
	if (level == SIO_LOG_ERROR) {
		g_ut_errors++;
		snprintf(g_ut_last_error, sizeof(g_ut_last_error), "%s", msg);
	}
}

void ut_mt_init(unsigned int n)
{
	char name[16];

	assert_true(n > 0 && n <= UT_MT_MAX_THREADS);
	/* A failed test jumps out before ut_mt_fini(): forget its threads
	 * (leaked) so the next test starts clean. */
	g_ut_nthreads = 0;
	/* Far from 0 so "tick 0" bugs (0 used as "none") show up. */
	g_ut_clock_us = 1000000;
	thread_set_tick_fn(ut_mock_ticks);
	g_ut_errors = 0;
	g_ut_last_error[0] = '\0';
	sio_log_set_sink(ut_log_sink, NULL);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ut%u", i);
		g_ut_threads[i] = sio_thread_create(name, NULL);
		assert_non_null(g_ut_threads[i]);
	}
	g_ut_nthreads = n;
	sio_thread_set_current(g_ut_threads[0]);
}

void ut_mt_fini(void)
{
	unsigned int left, rounds = 0;

	for (unsigned int i = 0; i < g_ut_nthreads; i++) {
		sio_thread_set_current(g_ut_threads[i]);
		sio_thread_exit(g_ut_threads[i]);
	}
	sio_thread_set_current(NULL);
	do {
		left = 0;
		for (unsigned int i = 0; i < g_ut_nthreads; i++) {
			sio_thread_poll(g_ut_threads[i], 0);
			left += !sio_thread_is_exited(g_ut_threads[i]);
		}
		assert_true(++rounds < UT_MT_MAX_ROUNDS);
	} while (left != 0);
	for (unsigned int i = 0; i < g_ut_nthreads; i++) {
		assert_int_equal(sio_thread_destroy(g_ut_threads[i]), 0);
		g_ut_threads[i] = NULL;
	}
	g_ut_nthreads = 0;
	thread_set_tick_fn(NULL);
	sio_log_set_sink(NULL, NULL);
}

struct sio_thread *ut_mt_thread(unsigned int i)
{
	assert_true(i < g_ut_nthreads);
	return g_ut_threads[i];
}

void ut_mt_set_thread(unsigned int i)
{
	sio_thread_set_current(ut_mt_thread(i));
}

int ut_mt_poll_thread(unsigned int i)
{
	int rc = sio_thread_poll(ut_mt_thread(i), 0);

	assert_true(rc >= 0);
	return rc;
}

int ut_mt_poll_until_idle(void)
{
	int total = 0, round;
	unsigned int rounds = 0;

	do {
		round = 0;
		for (unsigned int i = 0; i < g_ut_nthreads; i++)
			round += ut_mt_poll_thread(i);
		total += round;
		assert_true(++rounds < UT_MT_MAX_ROUNDS);
	} while (round != 0);
	return total;
}

uint64_t ut_mt_clock_now(void)
{
	return ut_mock_ticks();
}

void ut_mt_clock_advance_us(uint64_t us)
{
	g_ut_clock_us += us;
}

unsigned int ut_mt_log_errors(void)
{
	return g_ut_errors;
}

const char *ut_mt_last_error(void)
{
	return g_ut_last_error;
}
