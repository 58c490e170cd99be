/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deterministic multi-thread tests: several sio_threads simulated on the one
 * OS thread running the test, polled round-robin, with a mock clock driving
 * timed pollers. Message interleavings then depend only on the test's own
 * poll order, so a failure replays exactly.
 */
#ifndef SIO_UT_MULTITHREAD_H
#define SIO_UT_MULTITHREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "spdk_io/thread.h"

#define UT_MT_MAX_THREADS 16

/*
 * ut_mt_init() - Create @n threads named "ut0".."ut<n-1>" (the first becomes
 * the app thread if none exists), switch the thread layer to a mock clock
 * starting at a fixed tick, and make thread 0 current.
 */
void ut_mt_init(unsigned int n);

/*
 * ut_mt_fini() - Exit every thread, poll until all are exited, destroy them,
 * restore the real clock. Fails the test if a thread never exits (it still
 * owns pollers or channels: a leak in the code under test).
 */
void ut_mt_fini(void);

/* ut_mt_thread() - The @i-th simulated thread. */
struct sio_thread *ut_mt_thread(unsigned int i);

/* ut_mt_set_thread() - Make thread @i current (as if code ran on it). */
void ut_mt_set_thread(unsigned int i);

/* ut_mt_poll_thread() - Poll thread @i once; returns the work done. */
int ut_mt_poll_thread(unsigned int i);

/*
 * ut_mt_poll_until_idle() - Poll every thread round-robin until a whole round
 * does no work. Returns the total work done. Fails the test after a large
 * bound of rounds (a livelock in the code under test).
 */
int ut_mt_poll_until_idle(void);

/* ut_mt_clock_now() - The mock clock, in ticks. */
uint64_t ut_mt_clock_now(void);

/* ut_mt_clock_advance_us() - Move the mock clock on by @us microseconds. */
void ut_mt_clock_advance_us(uint64_t us);

/* ut_mt_log_errors() - Error-level log lines seen since ut_mt_init() (captured,
 * not printed), so tests can assert that misuse was reported. */
unsigned int ut_mt_log_errors(void);

/* ut_mt_last_error() - Text of the last error-level log line ("" if none). */
const char *ut_mt_last_error(void);

#endif /* SIO_UT_MULTITHREAD_H */
