/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built against the async layer compiled with -DSIO_DEBUG_MISUSE: misuse
 * aborts with a message instead of returning an error. Each case runs in a
 * child process; the parent asserts it died of SIGABRT.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "spdk_io/async.h"

static void expect_abort(void (*misuse)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sio_thread *t;

		/* ASan's abort_on_error and cmocka's handlers must not interfere. */
		signal(SIGABRT, SIG_DFL);
		t = sio_thread_attach("async-debug");
		if (t == NULL)
			_exit(2);
		misuse();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void double_complete(void)
{
	struct sio_future f;

	sio_future_init(&f);
	sio_future_complete(&f, 0, NULL);
	sio_future_complete(&f, 0, NULL);
}

static void await_outside_task(void)
{
	struct sio_future f;

	sio_future_init(&f);
	sio_await(&f);
}

static void test_double_complete_aborts(void **state)
{
	expect_abort(double_complete);
}

static void test_await_outside_task_aborts(void **state)
{
	expect_abort(await_outside_task);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_double_complete_aborts),
		cmocka_unit_test(test_await_outside_task_aborts),
	};

	return cmocka_run_group_tests_name("async_debug", tests, NULL, NULL);
}
