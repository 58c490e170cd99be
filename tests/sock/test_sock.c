/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sock layer over real loopback TCP, for the implementation named by
 * argv[1] ("posix" or "uring"; meson runs both): connect/listen/accept on
 * IPv4 and IPv6, getaddr, connection refused, echo over hundreds of sockets
 * in one group, a tiny send buffer forcing partial writes (sync and
 * queued), peer close and reset in mid-transfer (errors, never SIGPIPE),
 * zero-copy sends, the awaitable forms in tasks, and a thread in interrupt
 * mode woken by socket readiness while sleeping otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sock/sock_internal.h" /* sock->fd, for SO_LINGER and the raw peer */
#include "spdk_io/async.h"
#include "spdk_io/sock.h"
#include "spdk_io/thread.h"

static const char *g_impl = "posix";
static struct sio_thread *g_thread;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct sio_sock_opts opts(void)
{
	struct sio_sock_opts o;

	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = g_impl;
	return o;
}

/* Polls the thread until *@flag is true; fails after 10 s (a loaded machine). */
#define PUMP_UNTIL(cond)                                                  \
	do {                                                              \
		uint64_t _start = now_us();                               \
		while (!(cond)) {                                         \
			sio_thread_poll(g_thread, 0);                     \
			assert_true(now_us() - _start < 10000000);        \
		}                                                         \
	} while (0)

static void pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((offset + i) * 31 + seed + ((offset + i) >> 12));
}

static bool pattern_check(const uint8_t *buf, size_t len, uint64_t offset, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)((offset + i) * 31 + seed + ((offset + i) >> 12)))
			return false;
	return true;
}

/* A connected pair through a listener on @ip; both non-blocking sio_socks. */
static void make_pair(const char *ip, struct sio_sock **client, struct sio_sock **server)
{
	struct sio_sock_opts o = opts();
	struct sio_sock *l = NULL;
	uint16_t port = 0;
	uint64_t start;
	int rc;

	assert_int_equal(sio_sock_listen(ip, 0, &o, &l), 0);
	assert_int_equal(sio_sock_getaddr(l, NULL, 0, &port, NULL, 0, NULL), 0);
	assert_true(port != 0);
	assert_int_equal(sio_sock_connect(ip, port, &o, client), 0);
	start = now_us();
	while ((rc = sio_sock_accept(l, server)) == -EAGAIN)
		assert_true(now_us() - start < 10000000);
	assert_int_equal(rc, 0);
	start = now_us();
	while ((rc = sio_sock_connect_status(*client)) == -EINPROGRESS)
		assert_true(now_us() - start < 10000000);
	assert_int_equal(rc, 0);
	assert_int_equal(sio_sock_connect_status(*server), 0);
	assert_int_equal(sio_sock_close(&l), 0);
	assert_null(l);
}

/* ------------------------------------------------------------------------ */

static void check_addresses(const char *ip, bool v6)
{
	struct sio_sock *c, *s;
	char sa[SIO_SOCK_ADDR_MAX], ca[SIO_SOCK_ADDR_MAX];
	uint16_t sp, cp, sp2, cp2;
	char buf[8];

	make_pair(ip, &c, &s);
	assert_int_equal(sio_sock_is_ipv6(c), v6);
	assert_string_equal(sio_sock_get_impl_name(c), g_impl);
	assert_string_equal(sio_sock_get_impl_name(s), g_impl);
	assert_int_equal(sio_sock_getaddr(c, sa, sizeof(sa), &sp, ca, sizeof(ca), &cp), 0);
	assert_string_equal(sa, v6 ? "::1" : "127.0.0.1");
	assert_string_equal(ca, v6 ? "::1" : "127.0.0.1");
	assert_int_equal(sio_sock_getaddr(s, NULL, 0, &sp2, NULL, 0, &cp2), 0);
	/* The two ends see each other's ports crossed. */
	assert_int_equal(sp, cp2);
	assert_int_equal(cp, sp2);
	assert_int_equal(sio_sock_getaddr(c, sa, 3, NULL, NULL, 0, NULL), -ENOSPC);
	/* Nothing to read yet: -EAGAIN, never 0. */
	assert_int_equal(sio_sock_recv(s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(sio_sock_recv(s, buf, 0), 0);
	assert_int_equal(sio_sock_close(&c), 0);
	assert_int_equal(sio_sock_close(&s), 0);
}

static void test_ipv4(void **state)
{
	check_addresses("127.0.0.1", false);
}

static void test_ipv6(void **state)
{
	struct sio_sock *l = NULL;
	int rc = sio_sock_listen("::1", 0, NULL, &l);

	if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
		print_message("no IPv6 on lo (%d): skipped\n", rc);
		skip();
	}
	assert_int_equal(rc, 0);
	sio_sock_close(&l);
	check_addresses("::1", true);
	check_addresses("[::1]", true);
}

static void test_bad_args(void **state)
{
	struct sio_sock_opts o = opts();
	struct sio_sock *s = NULL;

	assert_int_equal(sio_sock_connect("localhost", 1, &o, &s), -EINVAL);
	assert_int_equal(sio_sock_connect("127.0.0.1", 0, &o, &s), -EINVAL);
	assert_int_equal(sio_sock_connect("127.0.0.1", 70000, &o, &s), -EINVAL);
	assert_int_equal(sio_sock_connect(NULL, 1, &o, &s), -EINVAL);
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, NULL), -EINVAL);
	o.impl_name = "nope";
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &s), -ENOENT);
	assert_int_equal(sio_sock_close(&s), 0); /* NULL: no-op */
	assert_int_equal(sio_sock_close(NULL), -EINVAL);
}

static void test_connect_refused(void **state)
{
	struct sio_sock_opts o = opts();
	struct sio_sock *l = NULL, *c = NULL;
	uint16_t port;
	uint8_t b[4];
	struct iovec iov = {b, sizeof(b)};
	uint64_t start = now_us();
	int rc;

	/* A port nobody listens on: bind one, then close it. */
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &l), 0);
	assert_int_equal(sio_sock_getaddr(l, NULL, 0, &port, NULL, 0, NULL), 0);
	sio_sock_close(&l);
	rc = sio_sock_connect("127.0.0.1", port, &o, &c);
	if (rc == 0) {
		while ((rc = sio_sock_connect_status(c)) == -EINPROGRESS)
			assert_true(now_us() - start < 10000000);
		/* Reported again by the data calls, not a signal. */
		assert_int_equal(sio_sock_recv(c, b, sizeof(b)), -ECONNREFUSED);
		assert_int_equal(sio_sock_writev(c, &iov, 1), -ECONNREFUSED);
		sio_sock_close(&c);
	}
	assert_int_equal(rc, -ECONNREFUSED);

	/* A send takes the refusal from the kernel first (a protocol's opening
	 * message queued right after the connect): the receive after it still
	 * reports the refusal, not an orderly close. */
	rc = sio_sock_connect("127.0.0.1", port, &o, &c);
	if (rc == 0) {
		while ((rc = (int)sio_sock_writev(c, &iov, 1)) == -EAGAIN)
			assert_true(now_us() - start < 10000000);
		assert_int_equal(rc, -ECONNREFUSED);
		assert_int_equal(sio_sock_recv(c, b, sizeof(b)), -ECONNREFUSED);
		sio_sock_close(&c);
	}
	assert_int_equal(rc, -ECONNREFUSED);
}

/* ---- echo: hundreds of connections on one group ---- */

#define ECHO_CONNS 200
#define ECHO_MSG 3000

struct echo_conn {
	struct sio_sock *sock;
	uint8_t buf[ECHO_MSG];
	struct iovec iov;
	struct sio_sock_request req;
	size_t have;     /* server: bytes buffered, echoed once complete */
	bool sending;
};

struct echo_client {
	struct sio_sock *sock;
	uint8_t out[ECHO_MSG];
	uint8_t in[ECHO_MSG];
	size_t sent, got;
	int rounds;
};

struct echo_state {
	struct sio_sock *listener;
	struct echo_conn srv[ECHO_CONNS];
	struct echo_client cli[ECHO_CONNS];
	int accepted;
	int done;
	int errors;
};

static void echo_sent(void *arg, int rc)
{
	struct echo_conn *c = arg;

	assert_int_equal(rc, 0);
	c->sending = false;
	c->have = 0;
}

static void echo_srv_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct echo_conn *c = arg;
	ssize_t n;

	/* One message at a time: the client waits for its echo. */
	while (!c->sending) {
		n = sio_sock_recv(sock, c->buf + c->have, ECHO_MSG - c->have);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			assert_int_equal(n, SIO_SOCK_EOF);
			sio_sock_close(&c->sock);
			return;
		}
		c->have += (size_t)n;
		if (c->have == ECHO_MSG) {
			c->iov.iov_base = c->buf;
			c->iov.iov_len = ECHO_MSG;
			c->req.iov = &c->iov;
			c->req.iovcnt = 1;
			c->req.cb = echo_sent;
			c->req.cb_arg = c;
			c->sending = true;
			assert_int_equal(sio_sock_writev_async(sock, &c->req), 0);
		}
	}
}

static void echo_accept_cb(void *arg, struct sio_sock_group *g, struct sio_sock *l)
{
	struct echo_state *st = arg;
	struct sio_sock *s;

	while (sio_sock_accept(l, &s) == 0) {
		struct echo_conn *c = &st->srv[st->accepted++];

		c->sock = s;
		assert_int_equal(sio_sock_group_add_sock(g, s, echo_srv_cb, c), 0);
	}
}

static void echo_cli_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct echo_client *c = arg;
	ssize_t n;

	for (;;) {
		n = sio_sock_recv(sock, c->in + c->got, ECHO_MSG - c->got);
		if (n == -EAGAIN)
			return;
		assert_true(n > 0);
		c->got += (size_t)n;
		if (c->got == ECHO_MSG) {
			assert_memory_equal(c->in, c->out, ECHO_MSG);
			c->rounds++;
			c->got = 0;
			return;
		}
	}
}

static void echo_cli_send(struct echo_client *c, int round)
{
	struct iovec iov;
	ssize_t n;

	pattern_fill(c->out, ECHO_MSG, (uint64_t)round * ECHO_MSG, (uint32_t)(uintptr_t)c);
	c->sent = 0;
	while (c->sent < ECHO_MSG) {
		iov.iov_base = c->out + c->sent;
		iov.iov_len = ECHO_MSG - c->sent;
		n = sio_sock_writev(c->sock, &iov, 1);
		if (n == -EAGAIN) {
			sio_thread_poll(g_thread, 0);
			continue;
		}
		assert_true(n > 0);
		c->sent += (size_t)n;
	}
}

static int echo_rounds_min(struct echo_state *st)
{
	int m = INT32_MAX;

	for (int i = 0; i < ECHO_CONNS; i++)
		if (st->cli[i].rounds < m)
			m = st->cli[i].rounds;
	return m;
}

static void test_echo_many(void **state)
{
	struct echo_state *st = calloc(1, sizeof(*st));
	struct sio_sock_opts o = opts();
	struct sio_sock_group *g = sio_sock_group_create(st);
	uint16_t port;

	assert_non_null(st);
	assert_non_null(g);
	assert_ptr_equal(sio_sock_group_get_ctx(g), st);
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &st->listener), 0);
	assert_int_equal(sio_sock_getaddr(st->listener, NULL, 0, &port, NULL, 0, NULL), 0);
	assert_int_equal(sio_sock_group_add_sock(g, st->listener, echo_accept_cb, st), 0);
	assert_int_equal(sio_sock_group_add_sock(g, st->listener, echo_accept_cb, st), -EBUSY);
	for (int i = 0; i < ECHO_CONNS; i++) {
		assert_int_equal(sio_sock_connect("127.0.0.1", port, &o, &st->cli[i].sock), 0);
		assert_int_equal(sio_sock_group_add_sock(g, st->cli[i].sock, echo_cli_cb,
							 &st->cli[i]), 0);
	}
	PUMP_UNTIL(st->accepted == ECHO_CONNS);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < ECHO_CONNS; i++)
			echo_cli_send(&st->cli[i], round);
		PUMP_UNTIL(echo_rounds_min(st) == round + 1);
	}
	/* Group close refuses while sockets remain. */
	assert_int_equal(sio_sock_group_close(&g), -EBUSY);
	for (int i = 0; i < ECHO_CONNS; i++)
		assert_int_equal(sio_sock_close(&st->cli[i].sock), 0);
	/* The servers see EOF and close themselves. */
	PUMP_UNTIL(({
		bool all = true;
		for (int i = 0; i < ECHO_CONNS; i++)
			all = all && st->srv[i].sock == NULL;
		all;
	}));
	assert_int_equal(sio_sock_group_remove_sock(g, st->listener), 0);
	assert_int_equal(sio_sock_group_remove_sock(g, st->listener), -ENOENT);
	sio_sock_close(&st->listener);
	assert_int_equal(sio_sock_group_close(&g), 0);
	assert_null(g);
	free(st);
}

/* ---- tiny send buffer: partial writes, every byte in order ---- */

#define STREAM_BYTES (4u << 20)

struct sink {
	uint64_t got;
	bool bad;
	bool eof;
	int err;
	uint32_t seed;
	uint8_t buf[7000]; /* odd size: reads straddle the writer's chunks */
};

static void sink_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct sink *k = arg;
	ssize_t n;

	for (int i = 0; i < 4; i++) {
		n = sio_sock_recv(sock, k->buf, sizeof(k->buf));
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			if (n == SIO_SOCK_EOF)
				k->eof = true;
			else
				k->err = (int)n;
			sio_sock_group_remove_sock(g, sock);
			return;
		}
		if (!pattern_check(k->buf, (size_t)n, k->got, k->seed))
			k->bad = true;
		k->got += (uint64_t)n;
	}
}

/* Reads and drops; stays in the group through EOF and errors (reported again each poll). */
static void drain_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	uint8_t buf[4096];

	while (sio_sock_recv(sock, buf, sizeof(buf)) > 0)
		;
}

static void test_partial_writes_sync(void **state)
{
	struct sio_sock *c, *s;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct sink k = {.seed = 7};
	uint8_t *data = malloc(STREAM_BYTES);
	uint64_t off = 0, partial = 0, eagain = 0;
	struct iovec iov[3];

	assert_non_null(data);
	pattern_fill(data, STREAM_BYTES, 0, k.seed);
	make_pair("127.0.0.1", &c, &s);
	assert_int_equal(sio_sock_set_sendbuf(c, 4096), 0);
	assert_int_equal(sio_sock_group_add_sock(g, s, sink_cb, &k), 0);
	while (off < STREAM_BYTES) {
		/* Three pieces of uneven size per call. */
		size_t left = STREAM_BYTES - off, a = left < 5000 ? left : 5000;
		size_t b = left - a < 20000 ? left - a : 20000, cc = left - a - b < 100000 ? left - a - b : 100000;
		ssize_t n;

		iov[0] = (struct iovec){data + off, a};
		iov[1] = (struct iovec){data + off + a, b};
		iov[2] = (struct iovec){data + off + a + b, cc};
		n = sio_sock_writev(c, iov, 3);
		if (n == -EAGAIN) {
			eagain++;
			sio_thread_poll(g_thread, 0);
			continue;
		}
		assert_true(n > 0);
		if ((size_t)n < a + b + cc)
			partial++;
		off += (uint64_t)n;
		sio_thread_poll(g_thread, 0);
	}
	PUMP_UNTIL(k.got == STREAM_BYTES);
	print_message("sync: %llu partial writes, %llu EAGAIN\n", (unsigned long long)partial,
		      (unsigned long long)eagain);
	assert_false(k.bad);
	assert_true(partial > 0);
	sio_sock_close(&c);
	PUMP_UNTIL(k.eof);
	sio_sock_close(&s);
	assert_int_equal(sio_sock_group_close(&g), 0);
	free(data);
}

/* Queued requests of many sizes through a tiny buffer. */
#define NREQ 300

struct req_ctx {
	struct sio_sock_request req;
	struct iovec iov[3];
	int done;
	int rc;
	int order;
};

static int g_req_order;

static void req_done(void *arg, int rc)
{
	struct req_ctx *r = arg;

	r->done++;
	r->rc = rc;
	r->order = g_req_order++;
}

static void queue_requests(struct sio_sock *c, struct req_ctx *reqs, uint8_t *data, size_t *total)
{
	size_t off = 0;

	for (int i = 0; i < NREQ; i++) {
		size_t a = 1 + (size_t)(i * 37) % 3000, b = (size_t)(i * 101) % 40000, d = 17;

		reqs[i].iov[0] = (struct iovec){data + off, a};
		reqs[i].iov[1] = (struct iovec){data + off + a, b};
		reqs[i].iov[2] = (struct iovec){data + off + a + b, d};
		reqs[i].req.iov = reqs[i].iov;
		reqs[i].req.iovcnt = 3;
		reqs[i].req.cb = req_done;
		reqs[i].req.cb_arg = &reqs[i];
		off += a + b + d;
		assert_int_equal(sio_sock_writev_async(c, &reqs[i].req), 0);
	}
	*total = off;
}

static void test_partial_writes_async(void **state)
{
	struct sio_sock *c, *s;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct sink k = {.seed = 9};
	struct req_ctx *reqs = calloc(NREQ, sizeof(*reqs));
	uint8_t *data = malloc(STREAM_BYTES * 4);
	size_t total;

	assert_non_null(data);
	pattern_fill(data, STREAM_BYTES * 4, 0, k.seed);
	make_pair("127.0.0.1", &c, &s);
	assert_int_equal(sio_sock_set_sendbuf(c, 4096), 0);
	assert_int_equal(sio_sock_group_add_sock(g, s, sink_cb, &k), 0);
	g_req_order = 0;
	/* Queued before joining a group: the group sends them once added. */
	queue_requests(c, reqs, data, &total);
	assert_true(total <= STREAM_BYTES * 4);
	/* Not sent inside writev_async: nothing completed yet. */
	assert_int_equal(reqs[0].done, 0);
	/* A request may not be queued twice. */
	assert_int_equal(sio_sock_writev_async(c, &reqs[0].req), -EINVAL);
	assert_int_equal(sio_sock_group_add_sock(g, c, sink_cb, &k), 0);
	{
		uint64_t _start = now_us();
		while (!(k.got == total && reqs[NREQ - 1].done)) {
			sio_thread_poll(g_thread, 0);
			if (now_us() - _start > 3000000) {
				int d = 0;
				for (int i = 0; i < NREQ; i++) d += reqs[i].done;
				int outq = -1, inq = -1;
				ioctl(c->fd, SIOCOUTQ, &outq);
				ioctl(s->fd, SIOCINQ, &inq);
				print_message("got %llu of %zu, %d done, queue head %p held %p err %d flush %d outq %d inq %d kerr %d eof %d group %p\n",
					      (unsigned long long)k.got, total, d, (void *)c->queue.head, (void *)c->held.head, c->err, c->on_flush_list, outq, inq, k.err, k.eof, (void *)s->group);
				fail();
			}
		}
	}
	assert_false(k.bad);
	for (int i = 0; i < NREQ; i++) {
		assert_int_equal(reqs[i].done, 1);
		assert_int_equal(reqs[i].rc, 0);
		assert_int_equal(reqs[i].order, i); /* completed in order */
	}
	/* The sync path is refused while requests wait, so order holds. */
	sio_sock_group_remove_sock(g, c);
	sio_sock_close(&c);
	PUMP_UNTIL(k.eof);
	sio_sock_close(&s);
	assert_int_equal(sio_sock_group_close(&g), 0);
	free(reqs);
	free(data);
}

/* ---- peer close and reset in mid-transfer ---- */

static void reset_close(struct sio_sock **s)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	/* SO_LINGER 0: close() sends RST instead of FIN. */
	assert_int_equal(setsockopt((*s)->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	sio_sock_close(s);
}

static void check_peer_gone(bool rst)
{
	struct sio_sock *c, *s;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct req_ctx *reqs = calloc(NREQ, sizeof(*reqs));
	uint8_t *data = malloc(STREAM_BYTES * 4);
	uint8_t buf[65536];
	size_t total;
	ssize_t n;
	uint64_t got = 0;

	assert_non_null(data);
	pattern_fill(data, STREAM_BYTES * 4, 0, 3);
	make_pair("127.0.0.1", &c, &s);
	assert_int_equal(sio_sock_set_sendbuf(c, 4096), 0);
	assert_int_equal(sio_sock_group_add_sock(g, c, drain_cb, NULL), 0);
	g_req_order = 0;
	queue_requests(c, reqs, data, &total);
	/* The server reads some of it, then goes away. */
	PUMP_UNTIL(({
		n = sio_sock_recv(s, buf, sizeof(buf));
		if (n > 0)
			got += (uint64_t)n;
		got > 200000;
	}));
	if (rst)
		reset_close(&s);
	else
		sio_sock_close(&s);
	/* Every request completes: the early ones with 0, the rest with the error. */
	PUMP_UNTIL(reqs[NREQ - 1].done);
	int ok = 0, failed = 0;

	for (int i = 0; i < NREQ; i++) {
		assert_int_equal(reqs[i].done, 1);
		if (reqs[i].rc == 0) {
			assert_int_equal(failed, 0); /* errors only after successes */
			ok++;
		} else {
			assert_true(reqs[i].rc == -EPIPE || reqs[i].rc == -ECONNRESET);
			failed++;
		}
	}
	print_message("%s: %d requests sent, %d failed\n", rst ? "reset" : "close", ok, failed);
	assert_true(failed > 0);
	/* The sync calls report it too, no signal. */
	struct iovec iov = {data, 1000};
	n = sio_sock_writev(c, &iov, 1);
	assert_true(n == -EPIPE || n == -ECONNRESET);
	sio_sock_group_remove_sock(g, c);
	n = sio_sock_recv(c, buf, sizeof(buf));
	if (rst)
		assert_true(n == -ECONNRESET || n == SIO_SOCK_EOF || n == -EPIPE);
	else
		assert_true(n == SIO_SOCK_EOF || n == -ECONNRESET);
	sio_sock_close(&c);
	assert_int_equal(sio_sock_group_close(&g), 0);
	free(reqs);
	free(data);
}

static void test_peer_close(void **state)
{
	check_peer_gone(false);
}

static void test_peer_reset(void **state)
{
	check_peer_gone(true);
}

/* RST while the reader waits: recv gives -ECONNRESET after the data. */
static void test_reset_reader(void **state)
{
	struct sio_sock *c, *s;
	uint8_t buf[100];
	ssize_t n;

	make_pair("127.0.0.1", &c, &s);
	reset_close(&s);
	uint64_t start = now_us();
	while ((n = sio_sock_recv(c, buf, sizeof(buf))) == -EAGAIN)
		assert_true(now_us() - start < 10000000);
	assert_int_equal(n, -ECONNRESET);
	sio_sock_close(&c);
}

/* Closing with requests queued: they complete with -ECANCELED, at once;
 * with zero copy, those whose pages the kernel holds complete once released. */
static void check_close_cancels(bool zcopy)
{
	struct sio_sock_impl_opts io = {.opts_size = sizeof(io)}, saved;
	struct sio_sock *c, *s;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct req_ctx *reqs = calloc(NREQ, sizeof(*reqs));
	uint8_t *data = malloc(STREAM_BYTES * 4);
	uint8_t buf[65536];
	size_t total;

	assert_int_equal(sio_sock_impl_get_opts(g_impl, &io), 0);
	saved = io;
	io.enable_zerocopy_send_client = zcopy;
	io.zerocopy_threshold = 16384;
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &io), 0);
	make_pair("127.0.0.1", &c, &s);
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &saved), 0);
	assert_int_equal(sio_sock_set_sendbuf(c, 4096), 0);
	assert_int_equal(sio_sock_group_add_sock(g, c, sink_cb, &(struct sink){0}), 0);
	g_req_order = 0;
	queue_requests(c, reqs, data, &total);
	for (int i = 0; i < 5; i++)
		sio_thread_poll(g_thread, 0);
	sio_sock_close(&c);
	/* Queued ones completed inside close; any the kernel held finish in
	 * the group, once the peer reads (loopback frees the pages then). */
	PUMP_UNTIL(({
		int d = 0;
		while (sio_sock_recv(s, buf, sizeof(buf)) > 0)
			;
		for (int i = 0; i < NREQ; i++)
			d += reqs[i].done;
		d == NREQ;
	}));
	assert_int_equal(reqs[NREQ - 1].rc, -ECANCELED);
	sio_sock_close(&s);
	assert_int_equal(sio_sock_group_close(&g), 0);
	for (int i = 0; i < NREQ; i++)
		assert_int_equal(reqs[i].done, 1);
	free(reqs);
	free(data);
}

static void test_close_cancels(void **state)
{
	check_close_cancels(false);
	check_close_cancels(true);
}

/* ---- congestion control on loopback ---- */

static void congestion_of(struct sio_sock *s, char cc[16])
{
	socklen_t len = 16;

	memset(cc, 0, 16);
	assert_int_equal(getsockopt(s->fd, IPPROTO_TCP, TCP_CONGESTION, cc, &len), 0);
}

/* Both ends of a pair over @ip run @want (NULL: the system's default). */
static void check_congestion(const char *ip, const char *want)
{
	struct sio_sock *c, *s;
	char cc[16], sys[16] = "";
	FILE *f;

	if (want == NULL) {
		f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");
		assert_non_null(f);
		assert_non_null(fgets(sys, sizeof(sys), f));
		fclose(f);
		sys[strcspn(sys, "\n")] = '\0';
		want = sys;
	}
	make_pair(ip, &c, &s);
	congestion_of(c, cc);
	assert_string_equal(cc, want);
	congestion_of(s, cc);
	assert_string_equal(cc, want);
	sio_sock_close(&c);
	sio_sock_close(&s);
}

/* The system's default congestion control. */
static void system_cc(char sys[16])
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");

	assert_non_null(f);
	memset(sys, 0, 16);
	assert_non_null(fgets(sys, 16, f));
	fclose(f);
	sys[strcspn(sys, "\n")] = '\0';
}

/* This machine's first IPv4 address that is not a loopback one, or false. */
static bool non_loopback_v4(char *buf, size_t len)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) != 0)
		return false;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)i->ifa_addr;

		if (in == NULL || in->sin_family != AF_INET || (ntohl(in->sin_addr.s_addr) >> 24) == 127)
			continue;
		found = inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)len) != NULL;
	}
	freeifaddrs(ifs);
	return found;
}

/*
 * A listener on the wildcard address: a connection from this machine runs
 * the loopback algorithm from its first segment (the listener has it, so
 * the accepted socket never ran the system's, whose init may turn pacing
 * on for good); one from elsewhere is switched back to the system's. The
 * second is shown with a connection to 127.0.0.1 from this machine's own
 * non-loopback address: its accepted end sees a peer that is neither a
 * loopback address nor its own, as a remote one is.
 */
static void test_wildcard_listener_congestion(void **state)
{
	struct sio_sock_opts o = opts();
	struct sio_sock *l = NULL, *c = NULL, *s = NULL;
	char cc[16], sys[16], me[INET_ADDRSTRLEN];
	uint16_t port = 0;
	uint64_t start;
	int rc;

	system_cc(sys);
	assert_int_equal(sio_sock_listen("0.0.0.0", 0, &o, &l), 0);
	congestion_of(l, cc);
	assert_string_equal(cc, "reno");
	assert_int_equal(sio_sock_getaddr(l, NULL, 0, &port, NULL, 0, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			if (!non_loopback_v4(me, sizeof(me))) {
				print_message("no non-loopback IPv4 address: remote case not run\n");
				break;
			}
			o.src_addr = me;
		}
		assert_int_equal(sio_sock_connect("127.0.0.1", port, &o, &c), 0);
		start = now_us();
		while ((rc = sio_sock_accept(l, &s)) == -EAGAIN)
			assert_true(now_us() - start < 10000000);
		assert_int_equal(rc, 0);
		congestion_of(s, cc);
		assert_string_equal(cc, pass == 0 ? "reno" : sys);
		sio_sock_close(&c);
		sio_sock_close(&s);
	}
	sio_sock_close(&l);
}

/* Connections to this machine run loopback_tcp_congestion ("reno" by
 * default) on both ends, whatever the system's default; "" keeps the
 * system's, a name the kernel refuses too, a name without its NUL is
 * refused. */
static void test_loopback_congestion(void **state)
{
	struct sio_sock_impl_opts io = {.opts_size = sizeof(io)}, saved;
	struct sio_sock *l = NULL;

	assert_int_equal(sio_sock_impl_get_opts(g_impl, &io), 0);
	assert_string_equal(io.loopback_tcp_congestion, "reno");
	saved = io;
	check_congestion("127.0.0.1", "reno");
	if (sio_sock_listen("::1", 0, NULL, &l) == 0) {
		sio_sock_close(&l);
		check_congestion("::1", "reno");
	}
	io.loopback_tcp_congestion[0] = '\0';
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &io), 0);
	check_congestion("127.0.0.1", NULL);
	strcpy(io.loopback_tcp_congestion, "no-such-cc");
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &io), 0);
	check_congestion("127.0.0.1", NULL);
	memset(io.loopback_tcp_congestion, 'x', sizeof(io.loopback_tcp_congestion));
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &io), -EINVAL);
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &saved), 0);
	check_congestion("127.0.0.1", "reno");
}

/* ---- zero copy (posix: MSG_ZEROCOPY; uring: accepted, copies) ---- */

static void test_zcopy(void **state)
{
	struct sio_sock_impl_opts io = {.opts_size = sizeof(io)}, saved;
	struct sio_sock *c, *s;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct sink k = {.seed = 11};
	struct req_ctx *reqs = calloc(NREQ, sizeof(*reqs));
	uint8_t *data = malloc(STREAM_BYTES * 4);
	size_t total;

	assert_int_equal(sio_sock_impl_get_opts(g_impl, &io), 0);
	saved = io;
	io.enable_zerocopy_send_client = true;
	io.zerocopy_threshold = 16384;
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &io), 0);
	pattern_fill(data, STREAM_BYTES * 4, 0, k.seed);
	make_pair("127.0.0.1", &c, &s);
	assert_int_equal(sio_sock_impl_set_opts(g_impl, &saved), 0);
	print_message("zero copy on the client: %s\n", c->zcopy ? "yes" : "no");
	assert_int_equal(sio_sock_group_add_sock(g, c, sink_cb, &(struct sink){0}), 0);
	assert_int_equal(sio_sock_group_add_sock(g, s, sink_cb, &k), 0);
	g_req_order = 0;
	queue_requests(c, reqs, data, &total);
	PUMP_UNTIL(k.got == total && reqs[NREQ - 1].done);
	assert_false(k.bad);
	for (int i = 0; i < NREQ; i++) {
		assert_int_equal(reqs[i].rc, 0);
		assert_int_equal(reqs[i].order, i);
	}
	sio_sock_close(&c);
	PUMP_UNTIL(k.eof);
	sio_sock_close(&s);
	assert_int_equal(sio_sock_group_close(&g), 0);
	free(reqs);
	free(data);
}

/* ---- uring: receive through the group's buffer ring, or poll + recv ---- */

static bool g_recv_pipe = true;

static void flag_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	*(bool *)arg = true;
}

static void test_recv_mode(void **state)
{
	struct sio_sock *c, *s;
	struct sio_sock_group *g;
	uint8_t out[1000], in[1000];
	struct iovec iov = {out, sizeof(out)};
	bool ready = false;
	int inq = -1;
	ssize_t n;
	size_t got = 0;

	if (strcmp(g_impl, "uring") != 0) {
		/* The receive modes (buffer ring, poll + recv) are the uring implementation's. */
		print_message("receive modes are uring's, this run is %s: skipped\n", g_impl);
		skip();
	}
	g = sio_sock_group_create(NULL);
	make_pair("127.0.0.1", &c, &s);
	assert_int_equal(sio_sock_group_add_sock(g, s, flag_cb, &ready), 0);
	pattern_fill(out, sizeof(out), 0, 5);
	assert_int_equal(sio_sock_writev(c, &iov, 1), (ssize_t)sizeof(out));
	PUMP_UNTIL(ready);
	/* Multishot receive moved the bytes into the group's buffers already;
	 * with the poll they wait in the kernel for our recv. */
	assert_int_equal(ioctl(s->fd, SIOCINQ, &inq), 0);
	print_message("recv pipe %s: %d bytes left in the kernel\n", g_recv_pipe ? "on" : "off",
		      inq);
	PUMP_UNTIL(({
		int q = 0;
		ioctl(s->fd, SIOCINQ, &q);
		g_recv_pipe ? q == 0 : q == (int)sizeof(out);
	}));
	/* Reads in 3 uneven pieces, in order; removal mid-way spills the rest. */
	n = sio_sock_recv(s, in, 300);
	assert_int_equal(n, 300);
	got = 300;
	assert_int_equal(sio_sock_group_remove_sock(g, s), 0);
	n = sio_sock_recv(s, in + got, 400);
	assert_int_equal(n, 400);
	got += 400;
	while (got < sizeof(in)) {
		n = sio_sock_recv(s, in + got, sizeof(in) - got);
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(sio_sock_recv(s, in, sizeof(in)), -EAGAIN);
	/* Back in a group, then EOF through the ring. */
	ready = false;
	assert_int_equal(sio_sock_group_add_sock(g, s, flag_cb, &ready), 0);
	sio_sock_close(&c);
	PUMP_UNTIL(ready && sio_sock_recv(s, in, sizeof(in)) == SIO_SOCK_EOF);
	sio_sock_close(&s);
	assert_int_equal(sio_sock_group_close(&g), 0);
}

/* ---- awaitables in tasks ---- */

struct await_ctx {
	uint16_t port;
	uint16_t dead_port;
	struct sio_sock *listener;
	int server_rc, client_rc, refused_rc;
	char msg[32];
};

static int server_task(void *arg)
{
	struct await_ctx *a = arg;
	struct sio_sock *s = NULL;
	ssize_t n;
	int rc;

	rc = sio_sock_accept_await(a->listener, &s);
	if (rc != 0)
		return a->server_rc = rc;
	while ((n = sio_sock_recv(s, a->msg, sizeof(a->msg))) == -EAGAIN) {
		rc = sio_sock_wait_await(s, SIO_SOCK_WAIT_READABLE);
		if (rc != 0)
			break;
	}
	sio_sock_close(&s);
	a->server_rc = n == 5 ? 0 : -EIO;
	return 0;
}

static int client_task(void *arg)
{
	struct await_ctx *a = arg;
	struct sio_sock_opts o = opts();
	struct sio_sock *c = NULL;
	struct iovec iov = {"hello", 5};
	int rc;

	a->refused_rc = sio_sock_connect_await("127.0.0.1", a->dead_port, &o, &c);
	assert_null(c);
	rc = sio_sock_connect_await("127.0.0.1", a->port, &o, &c);
	if (rc != 0)
		return a->client_rc = rc;
	assert_int_equal(sio_sock_writev(c, &iov, 1), 5);
	sio_sock_close(&c);
	a->client_rc = 0;
	return 0;
}

static int cancel_task(void *arg)
{
	struct await_ctx *a = arg;
	struct sio_sock *s;

	return sio_sock_accept_await(a->listener, &s);
}

static void test_awaits(void **state)
{
	struct await_ctx a = {.server_rc = 1, .client_rc = 1};
	struct sio_sock_opts o = opts();
	struct sio_sock *l;
	struct sio_future fs, fc, fx;
	struct sio_sock *c = NULL;

	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &l), 0);
	assert_int_equal(sio_sock_getaddr(l, NULL, 0, &a.dead_port, NULL, 0, NULL), 0);
	sio_sock_close(&l);
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &a.listener), 0);
	assert_int_equal(sio_sock_getaddr(a.listener, NULL, 0, &a.port, NULL, 0, NULL), 0);
	/* Outside a task: refused before starting anything. */
	assert_int_equal(sio_sock_connect_await("127.0.0.1", a.port, &o, &c), -EPERM);
	assert_int_equal(sio_task_spawn(NULL, server_task, &a, &fs), 0);
	assert_int_equal(sio_task_spawn(NULL, client_task, &a, &fc), 0);
	PUMP_UNTIL(a.server_rc != 1 && a.client_rc != 1);
	assert_int_equal(a.refused_rc, -ECONNREFUSED);
	assert_int_equal(a.client_rc, 0);
	assert_int_equal(a.server_rc, 0);
	assert_string_equal(a.msg, "hello");
	/* A parked accept is released by closing the listener. */
	assert_int_equal(sio_task_spawn(NULL, cancel_task, &a, &fx), 0);
	for (int i = 0; i < 10; i++)
		sio_thread_poll(g_thread, 0);
	assert_int_equal(sio_sock_wait(a.listener, SIO_SOCK_WAIT_READABLE, NULL, NULL), -EINVAL);
	sio_sock_close(&a.listener);
	PUMP_UNTIL(sio_future_is_done(&fx));
	assert_int_equal(sio_future_rc(&fx), -ECANCELED);
	PUMP_UNTIL(sio_future_is_done(&fs) && sio_future_is_done(&fc));
}

/* ---- interrupt mode: socket readiness wakes a sleeping thread ---- */

static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

struct intr_peer {
	uint16_t port;
	int delay_ms;
};

/* A plain OS thread: connects late, writes once, waits, closes. */
static void *intr_peer_main(void *arg)
{
	struct intr_peer *p = arg;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	usleep((useconds_t)p->delay_ms * 1000);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		usleep((useconds_t)p->delay_ms * 1000);
		(void)!write(fd, "ping", 4);
		usleep(300000);
	}
	close(fd);
	return NULL;
}

struct intr_state {
	struct sio_sock *conn;
	int accepted;
	int bytes;
};

static void intr_conn_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct intr_state *st = arg;
	char buf[16];
	ssize_t n;

	while ((n = sio_sock_recv(sock, buf, sizeof(buf))) > 0)
		st->bytes += (int)n;
	if (n != -EAGAIN) {
		sio_sock_group_remove_sock(g, sock);
	}
}

static void intr_accept_cb(void *arg, struct sio_sock_group *g, struct sio_sock *l)
{
	struct intr_state *st = arg;

	if (sio_sock_accept(l, &st->conn) == 0) {
		st->accepted++;
		assert_int_equal(sio_sock_group_add_sock(g, st->conn, intr_conn_cb, st), 0);
	}
}

static void test_interrupt_wakeup(void **state)
{
	struct intr_state st = {0};
	struct intr_peer peer = {.delay_ms = 150};
	struct sio_sock_opts o = opts();
	struct sio_sock_group *g;
	struct sio_sock *l;
	struct epoll_event ev = {.events = EPOLLIN};
	pthread_t th;
	uint64_t start, cpu0, polls = 0;
	int ep, fd;

	sio_thread_set_current(NULL);
	struct sio_thread *t = sio_thread_attach("sock-intr");
	assert_non_null(t);
	g = sio_sock_group_create(NULL);
	assert_non_null(g);
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &l), 0);
	assert_int_equal(sio_sock_getaddr(l, NULL, 0, &peer.port, NULL, 0, NULL), 0);
	assert_int_equal(sio_sock_group_add_sock(g, l, intr_accept_cb, &st), 0);
	fd = sio_thread_get_interrupt_fd(t);
	assert_true(fd >= 0);
	ep = epoll_create1(0);
	ev.data.fd = fd;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	sio_thread_poll(t, 0);

	assert_int_equal(pthread_create(&th, NULL, intr_peer_main, &peer), 0);
	/* Sleep on the thread's fd; only the peer's connect and write wake it. */
	cpu0 = cpu_us();
	start = now_us();
	while (st.bytes < 4) {
		assert_true(now_us() - start < 10000000);
		epoll_wait(ep, &ev, 1, 1000);
		sio_thread_poll(t, 0);
		polls++;
	}
	uint64_t wall = now_us() - start, cpu = cpu_us() - cpu0;

	print_message("woken %llu times over %llu us, %llu us CPU\n", (unsigned long long)polls,
		      (unsigned long long)wall, (unsigned long long)cpu);
	assert_int_equal(st.accepted, 1);
	/* ~300 ms of waiting: a spinning loop would burn about as much CPU. */
	assert_true(wall >= 200000);
	assert_true(cpu < wall / 3);
	assert_true(polls < 1000);
	pthread_join(th, NULL);
	sio_sock_close(&st.conn);
	sio_sock_group_remove_sock(g, l);
	sio_sock_close(&l);
	assert_int_equal(sio_sock_group_close(&g), 0);
	close(ep);
	sio_thread_exit(t);
	while (!sio_thread_is_exited(t))
		sio_thread_poll(t, 0);
	sio_thread_set_current(NULL);
	assert_int_equal(sio_thread_destroy(t), 0);
	sio_thread_set_current(g_thread);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_echo_many),
		cmocka_unit_test(test_partial_writes_sync),
		cmocka_unit_test(test_partial_writes_async),
		cmocka_unit_test(test_peer_close),
		cmocka_unit_test(test_peer_reset),
		cmocka_unit_test(test_reset_reader),
		cmocka_unit_test(test_close_cancels),
		cmocka_unit_test(test_zcopy),
		cmocka_unit_test(test_loopback_congestion),
		cmocka_unit_test(test_wildcard_listener_congestion),
		cmocka_unit_test(test_recv_mode),
		cmocka_unit_test(test_awaits),
		cmocka_unit_test(test_interrupt_wakeup),
	};
	int rc;

	if (argc > 1)
		g_impl = argv[1];
	if (argc > 2 && strcmp(argv[2], "nopipe") == 0) {
		/* uring: poll for readiness and read into the caller's buffers. */
		struct sio_sock_impl_opts io = {.opts_size = sizeof(io)};

		g_recv_pipe = false;
		if (sio_sock_impl_get_opts(g_impl, &io) != 0)
			return 1;
		io.enable_recv_pipe = false;
		sio_sock_impl_set_opts(g_impl, &io);
	}
	if (!sio_sock_impl_is_available(g_impl)) {
		printf("sock implementation %s unavailable here (io_uring refused?): skipped\n",
		       g_impl);
		return 77;
	}
	g_thread = sio_thread_attach("sock-test");
	if (g_thread == NULL)
		return 1;
	rc = cmocka_run_group_tests_name(g_impl, tests, NULL, NULL);
	sio_thread_exit(g_thread);
	/* Bounded: a failed test may leave a group (and its pollers) behind. */
	for (uint64_t start = now_us(); !sio_thread_is_exited(g_thread);) {
		sio_thread_poll(g_thread, 0);
		if (now_us() - start > 5000000) {
			printf("thread still owns pollers after the tests\n");
			return rc != 0 ? rc : 1;
		}
	}
	sio_thread_set_current(NULL);
	sio_thread_destroy(g_thread);
	return rc;
}
