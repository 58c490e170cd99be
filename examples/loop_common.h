/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scenario shared by examples/epoll_loop.c and examples/uv_loop.c: two
 * sio_threads, "front" and "back", driven by someone else's event loop through
 * their interrupt fds. A task on front sleeps, spawns work on back and awaits
 * it (cross-thread messages both ways), several times; then it sleeps one
 * idle second while we measure the CPU time the loop burns doing nothing.
 *
 * The event loop only has to: watch each thread's interrupt fd, call
 * sio_thread_poll() on the thread whose fd fired, and stop when
 * loop_scenario_done() says so. Both examples exit non-zero if a result is
 * wrong or the idle second cost more than IDLE_CPU_MAX_MS of CPU.
 */
#ifndef SIO_EXAMPLES_LOOP_COMMON_H
#define SIO_EXAMPLES_LOOP_COMMON_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "spdk_io/async.h"
#include "spdk_io/thread.h"

#define ROUNDS 5
#define ROUND_SLEEP_US 20000
#define IDLE_US 1000000
/* Near zero: a busy-polling loop would burn the whole second. */
#define IDLE_CPU_MAX_MS 50

struct scenario {
	struct sio_thread *front;
	struct sio_thread *back;
	struct sio_future main_done;
	int results[ROUNDS];
	double idle_cpu_ms;
	double idle_wall_ms;
};

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs on back: proves where it ran and does a little awaiting there. */
static int back_work(void *arg)
{
	int round = (int)(intptr_t)arg;

	if (sio_sleep(1000) != 0)
		return -1;
	return round * 10 + (int)sio_thread_get_id(sio_thread_get_current());
}

/* The main task, on front. */
static int front_main(void *arg)
{
	struct scenario *s = arg;
	double c0, w0;

	for (int i = 0; i < ROUNDS; i++) {
		struct sio_future res;
		int rc;

		rc = sio_sleep(ROUND_SLEEP_US);
		if (rc != 0)
			return rc;
		rc = sio_task_spawn_on(s->back, NULL, back_work, (void *)(intptr_t)i, &res);
		if (rc != 0)
			return rc;
		s->results[i] = sio_await(&res);
		printf("  round %d: back answered %d\n", i, s->results[i]);
	}
	/* Idle: one timer pending on front, nothing on back. */
	c0 = cpu_ms();
	w0 = wall_ms();
	sio_sleep(IDLE_US);
	s->idle_cpu_ms = cpu_ms() - c0;
	s->idle_wall_ms = wall_ms() - w0;
	return 0;
}

/* Create both threads and spawn the main task. Return 0 or negative errno. */
static int loop_scenario_start(struct scenario *s)
{
	int rc;

	s->front = sio_thread_create("front", NULL);
	s->back = sio_thread_create("back", NULL);
	if (s->front == NULL || s->back == NULL)
		return -1;
	sio_thread_set_current(s->front);
	rc = sio_task_spawn(NULL, front_main, s, &s->main_done);
	sio_thread_set_current(NULL);
	return rc;
}

static bool loop_scenario_done(struct scenario *s)
{
	return sio_future_is_done(&s->main_done);
}

/* Exit and free both threads (polled here until they let go), check results. */
static int loop_scenario_finish(struct scenario *s)
{
	int bad = 0;

	if (sio_future_rc(&s->main_done) != 0) {
		fprintf(stderr, "main task failed: %d\n", sio_future_rc(&s->main_done));
		bad = 1;
	}
	for (int i = 0; i < ROUNDS; i++) {
		int want = i * 10 + (int)sio_thread_get_id(s->back);

		if (s->results[i] != want) {
			fprintf(stderr, "round %d: got %d, want %d\n", i, s->results[i], want);
			bad = 1;
		}
	}
	printf("  idle second: %.1f ms wall, %.2f ms CPU (limit %d ms)\n", s->idle_wall_ms,
	       s->idle_cpu_ms, IDLE_CPU_MAX_MS);
	if (s->idle_wall_ms < IDLE_US / 1000.0 || s->idle_cpu_ms > IDLE_CPU_MAX_MS) {
		fprintf(stderr, "idle check failed\n");
		bad = 1;
	}
	for (int i = 0; i < 2; i++) {
		struct sio_thread *t = i == 0 ? s->front : s->back;

		sio_thread_set_current(t);
		sio_thread_exit(t);
		while (!sio_thread_is_exited(t))
			sio_thread_poll(t, 0);
		sio_thread_set_current(NULL);
		if (sio_thread_destroy(t) != 0)
			bad = 1;
	}
	return bad;
}

#endif /* SIO_EXAMPLES_LOOP_COMMON_H */
