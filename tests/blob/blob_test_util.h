/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the blob and lvol tests that run on the test's own sio_thread. */
#ifndef SIO_BLOB_TEST_UTIL_H
#define SIO_BLOB_TEST_UTIL_H

#include "spdk_io/async.h"
#include "spdk_io/thread.h"
#include "../common/ut_thread.h"

/*
 * ut_run_task() - Run @fn(@arg) as a task (256 KiB stack) on the current
 * sio_thread, busy polling the thread until it is done (the tasks hand work to
 * each other through the thread's queues); the task's result. Include after
 * cmocka.h: a failed spawn fails the test.
 */
static inline int ut_run_task(sio_task_fn fn, void *arg)
{
	struct sio_future f;
	struct sio_task_opts o;

	sio_task_opts_init(&o, sizeof(o));
	o.stack_size = 256 * 1024;
	assert_int_equal(sio_task_spawn(&o, fn, arg, &f), 0);
	while (!sio_future_is_done(&f))
		sio_thread_poll(sio_thread_get_current(), 0);
	return sio_future_rc(&f);
}

#endif /* SIO_BLOB_TEST_UTIL_H */
