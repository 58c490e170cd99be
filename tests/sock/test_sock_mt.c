/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several sio_threads on their own OS threads, each with its own sock group
 * and listener: every thread connects clients to the next thread's listener
 * and runs echo round trips with queued writes, so every group serves and
 * drives connections at once. Both implementations, one after the other.
 * Also in suite 'tsan'. Exit 0 on success; the first failure is printed.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spdk_io/sock.h"
#include "spdk_io/thread.h"

#define NTHREADS 4
#define NCLIENTS 8
#define ROUNDS 50
#define MSG 1024

static const char *g_impl;
static atomic_int g_ports[NTHREADS];
static atomic_int g_failed;

#define CHECK(c)                                                                     \
	do {                                                                         \
		if (!(c)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			atomic_store(&g_failed, 1);                                  \
		}                                                                    \
	} while (0)

struct conn {
	struct sio_sock *sock;
	uint8_t buf[MSG];
	size_t have;
	struct iovec iov;
	struct sio_sock_request req;
	bool sending;
	bool client;
	int rounds;
	uint8_t seed;
	bool eof;
};

struct worker {
	int id;
	struct sio_sock_group *group;
	struct sio_sock *listener;
	struct conn srv[NCLIENTS];
	struct conn cli[NCLIENTS];
	int accepted;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill(struct conn *c)
{
	for (int i = 0; i < MSG; i++)
		c->buf[i] = (uint8_t)(c->seed + c->rounds * 7 + i);
}

static void sent_cb(void *arg, int rc)
{
	struct conn *c = arg;

	CHECK(rc == 0);
	c->sending = false;
	c->have = 0;
}

static void send_buf(struct conn *c)
{
	c->iov.iov_base = c->buf;
	c->iov.iov_len = MSG;
	c->req.iov = &c->iov;
	c->req.iovcnt = 1;
	c->req.cb = sent_cb;
	c->req.cb_arg = c;
	c->sending = true;
	CHECK(sio_sock_writev_async(c->sock, &c->req) == 0);
}

/* Server: echo each full message. Client: check it, count, send the next. */
static void conn_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct conn *c = arg;
	ssize_t n;

	while (!c->sending) {
		n = sio_sock_recv(sock, c->buf + c->have, MSG - c->have);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			CHECK(n == SIO_SOCK_EOF);
			c->eof = true;
			sio_sock_group_remove_sock(g, sock);
			return;
		}
		c->have += (size_t)n;
		if (c->have < MSG)
			continue;
		if (!c->client) {
			send_buf(c);
			continue;
		}
		uint8_t want[MSG];
		for (int i = 0; i < MSG; i++)
			want[i] = (uint8_t)(c->seed + c->rounds * 7 + i);
		CHECK(memcmp(want, c->buf, MSG) == 0);
		c->have = 0;
		if (++c->rounds < ROUNDS) {
			fill(c);
			send_buf(c);
		}
	}
}

static void accept_cb(void *arg, struct sio_sock_group *g, struct sio_sock *l)
{
	struct worker *w = arg;
	struct sio_sock *s;

	while (sio_sock_accept(l, &s) == 0) {
		CHECK(w->accepted < NCLIENTS);
		if (w->accepted >= NCLIENTS) {
			sio_sock_close(&s);
			continue;
		}
		w->srv[w->accepted].sock = s;
		CHECK(sio_sock_group_add_sock(g, s, conn_cb, &w->srv[w->accepted]) == 0);
		w->accepted++;
	}
}

static bool clients_done(struct worker *w)
{
	for (int i = 0; i < NCLIENTS; i++)
		if (w->cli[i].rounds < ROUNDS)
			return false;
	return true;
}

static bool servers_done(struct worker *w)
{
	if (w->accepted < NCLIENTS)
		return false;
	for (int i = 0; i < NCLIENTS; i++)
		if (!w->srv[i].eof)
			return false;
	return true;
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct sio_thread *t = sio_thread_get_current();
	struct sio_sock_opts o;
	uint16_t port;
	uint64_t start = now_ms();
	int peer = (w->id + 1) % NTHREADS, p;

	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = g_impl;
	w->group = sio_sock_group_create(w);
	CHECK(w->group != NULL);
	CHECK(sio_sock_listen("127.0.0.1", 0, &o, &w->listener) == 0);
	CHECK(sio_sock_getaddr(w->listener, NULL, 0, &port, NULL, 0, NULL) == 0);
	CHECK(sio_sock_group_add_sock(w->group, w->listener, accept_cb, w) == 0);
	atomic_store(&g_ports[w->id], port);
	while ((p = atomic_load(&g_ports[peer])) == 0)
		sio_thread_poll(t, 0);
	for (int i = 0; i < NCLIENTS; i++) {
		struct conn *c = &w->cli[i];

		c->client = true;
		c->seed = (uint8_t)(w->id * 16 + i);
		CHECK(sio_sock_connect("127.0.0.1", p, &o, &c->sock) == 0);
		CHECK(sio_sock_group_add_sock(w->group, c->sock, conn_cb, c) == 0);
		fill(c);
		send_buf(c);
	}
	while (!clients_done(w) && now_ms() - start < 60000)
		sio_thread_poll(t, 0);
	CHECK(clients_done(w));
	for (int i = 0; i < NCLIENTS; i++)
		sio_sock_close(&w->cli[i].sock);
	while (!servers_done(w) && now_ms() - start < 60000)
		sio_thread_poll(t, 0);
	CHECK(servers_done(w));
	for (int i = 0; i < NCLIENTS; i++)
		sio_sock_close(&w->srv[i].sock);
	sio_sock_close(&w->listener);
	CHECK(sio_sock_group_close(&w->group) == 0);
	return 0;
}

static int run(const char *impl)
{
	struct worker *w = calloc(NTHREADS, sizeof(*w));
	struct sio_os_thread *th[NTHREADS];
	char name[32];

	g_impl = impl;
	for (int i = 0; i < NTHREADS; i++)
		atomic_store(&g_ports[i], 0);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		snprintf(name, sizeof(name), "sock-mt-%d", i);
		if (sio_os_thread_spawn(name, worker_main, &w[i], &th[i]) != 0) {
			fprintf(stderr, "spawn failed\n");
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++)
		sio_os_thread_join(th[i], NULL);
	printf("%s: %d threads x %d connections x %d round trips: %s\n", impl, NTHREADS,
	       NCLIENTS, ROUNDS, atomic_load(&g_failed) ? "FAILED" : "ok");
	free(w);
	return atomic_load(&g_failed) ? 1 : 0;
}

int main(void)
{
	int rc = run("posix");

	if (!sio_sock_impl_is_available("uring")) {
		printf("uring unavailable here: only posix ran\n");
		return rc;
	}
	return rc | run("uring");
}
