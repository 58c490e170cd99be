/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello_runtime: a short tour of the spdk-io runtime.
 *
 * Starts the environment, spawns three OS threads that each carry a
 * sio_thread, passes a token around them by message, runs a timed poller on
 * each, gives each a per-thread channel to one io_device, then counts what
 * happened with sio_for_each_channel() and shuts everything down in order.
 * Idle threads sleep on their interrupt fd instead of spinning.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <spdk_io/spdk_io.h>

#define WORKERS 3
#define TOKEN_HOPS 9
#define TICKS 5

struct worker {
	int index;
	struct sio_thread *_Atomic thread;
	atomic_bool stop;
	atomic_int ticks;
	struct sio_poller *timer;
	struct sio_io_channel *ch;
};

/* The io_device: any unique address. Each thread's channel counts its hits. */
static int g_device;
struct hits {
	int count;
};

static struct worker g_workers[WORKERS];
static struct sio_thread *g_main;
static atomic_bool g_token_home;

/* Poll @t until *@stop, sleeping on the interrupt fd whenever it is idle. */
static void run_until(struct sio_thread *t, atomic_bool *stop)
{
	struct pollfd pfd = {.fd = sio_thread_get_interrupt_fd(t), .events = POLLIN};

	while (!atomic_load(stop)) {
		if (sio_thread_poll(t, 0) > 0)
			continue;
		uint64_t us = sio_thread_next_timeout_us(t);
		poll(&pfd, 1, us == UINT64_MAX ? 100 : (int)(us / 1000) + 1);
	}
}

static int count_hits(void *io_device, void *ctx)
{
	((struct hits *)ctx)->count = 0;
	return 0;
}

static void drop_hits(void *io_device, void *ctx)
{
}

/* A timed poller: every 10 ms, use this thread's channel; stop after TICKS. */
static int tick(void *arg)
{
	struct worker *w = arg;
	struct hits *h = sio_io_channel_get_ctx(w->ch);

	h->count++;
	if (atomic_fetch_add(&w->ticks, 1) + 1 == TICKS)
		sio_poller_unregister(&w->timer); /* safe from inside itself */
	return SIO_POLLER_BUSY;
}

static void token_home(void *arg)
{
	printf("token back on %s after %d hops\n", sio_thread_get_name(sio_thread_get_current()),
	       (int)(intptr_t)arg);
	atomic_store(&g_token_home, true);
}

/* Runs on a worker: count a hit on its channel, pass the token on. */
static void token(void *arg)
{
	int hops = (int)(intptr_t)arg + 1;
	struct sio_thread *self = sio_thread_get_current();
	struct worker *w = &g_workers[(hops - 1) % WORKERS];
	struct sio_thread *next = atomic_load(&g_workers[hops % WORKERS].thread);

	((struct hits *)sio_io_channel_get_ctx(w->ch))->count++;
	printf("  hop %d: token on %s\n", hops, sio_thread_get_name(self));
	sio_thread_send_msg(hops < TOKEN_HOPS ? next : g_main, hops < TOKEN_HOPS ? token : token_home,
			    (void *)(intptr_t)hops);
}

/* Sent to each worker at the end: give back what it owns, then stop. */
static void stop_worker(void *arg)
{
	struct worker *w = arg;

	sio_poller_unregister(&w->timer);
	sio_io_channel_put(w->ch);
	atomic_store(&w->stop, true);
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct sio_thread *self = sio_thread_get_current();

	w->ch = sio_io_channel_get(&g_device);
	w->timer = sio_poller_register(tick, w, 10 * 1000);
	if (w->ch == NULL || w->timer == NULL)
		return -errno;
	atomic_store(&w->thread, self);
	run_until(self, &w->stop);
	return 0;
}

static void sum_channel(struct sio_io_channel_iter *i)
{
	struct hits *h = sio_io_channel_get_ctx(sio_io_channel_iter_get_channel(i));
	int *total = sio_io_channel_iter_get_ctx(i);

	printf("  %s: %d hits on its channel\n", sio_thread_get_name(sio_thread_get_current()),
	       h->count);
	*total += h->count;
	sio_for_each_channel_continue(i, 0);
}

static atomic_bool g_summed;

static void sum_done(struct sio_io_channel_iter *i, int status)
{
	printf("channels summed on %s: %d hits in all\n",
	       sio_thread_get_name(sio_thread_get_current()),
	       *(int *)sio_io_channel_iter_get_ctx(i));
	atomic_store(&g_summed, true);
}

static atomic_bool g_unregistered;

static void device_gone(void *io_device)
{
	atomic_store(&g_unregistered, true);
}

int main(int argc, char **argv)
{
	struct sio_os_thread *os[WORKERS];
	struct sio_env_opts opts;
	int total = 0, rc;

	if (argc > 1) {
		printf("usage: %s\n"
		       "Starts the spdk-io runtime with %d worker threads that pass a token by\n"
		       "message, run a timed poller and use per-thread io_channels; prints\n"
		       "what happened and exits 0.\n", argv[0], WORKERS);
		return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : 2;
	}
	sio_env_opts_init(&opts, sizeof(opts));
	opts.name = "hello_runtime";
	rc = sio_env_init(&opts);
	if (rc != 0) {
		fprintf(stderr, "sio_env_init: %s\n", strerror(-rc));
		return 1;
	}
	g_main = sio_thread_attach("main");
	sio_io_device_register(&g_device, count_hits, drop_hits, sizeof(struct hits), "hits");
	printf("runtime up: starting %d worker threads\n", WORKERS);

	for (int i = 0; i < WORKERS; i++) {
		char name[16];

		g_workers[i].index = i;
		snprintf(name, sizeof(name), "worker%d", i);
		rc = sio_os_thread_spawn(name, worker_main, &g_workers[i], &os[i]);
		if (rc != 0) {
			fprintf(stderr, "spawn: %s\n", strerror(-rc));
			return 1;
		}
	}
	for (int i = 0; i < WORKERS; i++)
		while (atomic_load(&g_workers[i].thread) == NULL)
			usleep(1000);

	/* 1. A token goes round the workers by message and comes home. */
	sio_thread_send_msg(atomic_load(&g_workers[0].thread), token, (void *)0);
	/* 2. Meanwhile each worker's timed poller fires every 10 ms. */
	run_until(g_main, &g_token_home);
	for (int i = 0; i < WORKERS; i++)
		while (atomic_load(&g_workers[i].ticks) < TICKS)
			usleep(1000);
	printf("timed pollers: each worker ticked %d times, then unregistered itself\n", TICKS);

	/* 3. Visit every channel of the device, each on its own thread. */
	sio_for_each_channel(&g_device, sum_channel, &total, sum_done);
	run_until(g_main, &g_summed);

	/* 4. Shut down in order: workers release, exit, and are joined. */
	for (int i = 0; i < WORKERS; i++)
		sio_thread_send_msg(atomic_load(&g_workers[i].thread), stop_worker, &g_workers[i]);
	for (int i = 0; i < WORKERS; i++) {
		int result;

		sio_os_thread_join(os[i], &result);
		if (result != 0)
			fprintf(stderr, "worker%d: %s\n", i, strerror(-result));
	}
	sio_io_device_unregister(&g_device, device_gone);
	run_until(g_main, &g_unregistered);
	printf("workers joined, device unregistered, %u thread left: bye\n", sio_thread_count());

	sio_thread_exit(g_main);
	while (!sio_thread_is_exited(g_main))
		sio_thread_poll(g_main, 0);
	sio_thread_destroy(g_main);
	sio_env_fini();
	return total == TOKEN_HOPS + WORKERS * TICKS ? 0 : 1;
}
