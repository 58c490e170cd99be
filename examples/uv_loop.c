/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driving sio_threads from a libuv loop: one uv_poll_t per thread, watching
 * its interrupt fd; the callback polls that thread. The libuv loop sleeps
 * whenever no sio_thread has work or a due timer. Scenario and checks:
 * loop_common.h.
 */
#include <stdio.h>
#include <uv.h>

#include "loop_common.h"

struct watch {
	uv_poll_t handle;
	struct sio_thread *thread;
	struct scenario *s;
};

static uint64_t g_wakeups;

static void on_readable(uv_poll_t *handle, int status, int events)
{
	struct watch *w = handle->data;

	g_wakeups++;
	sio_thread_poll(w->thread, 0);
	if (loop_scenario_done(w->s))
		uv_stop(handle->loop);
}

int main(void)
{
	struct scenario s = { 0 };
	struct watch w[2];
	uv_loop_t loop;
	int bad;

	printf("uv_loop: two sio_threads on a libuv loop (libuv %s)\n", uv_version_string());
	if (loop_scenario_start(&s) != 0)
		return 1;
	if (uv_loop_init(&loop) != 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		int fd;

		w[i].thread = i == 0 ? s.front : s.back;
		w[i].s = &s;
		fd = sio_thread_get_interrupt_fd(w[i].thread);
		if (fd < 0 || uv_poll_init(&loop, &w[i].handle, fd) != 0)
			return 1;
		w[i].handle.data = &w[i];
		if (uv_poll_start(&w[i].handle, UV_READABLE, on_readable) != 0)
			return 1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	printf("  %llu loop wake-ups in all\n", (unsigned long long)g_wakeups);
	/* Stop watching before the threads (and their fds) go away. */
	for (int i = 0; i < 2; i++) {
		uv_poll_stop(&w[i].handle);
		uv_close((uv_handle_t *)&w[i].handle, NULL);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	bad = uv_loop_close(&loop) != 0;
	return loop_scenario_finish(&s) || bad;
}
