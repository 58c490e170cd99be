/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ssl" sock implementation (TLS 1.3 with an external PSK) over real
 * loopback TCP, client and server both ours, each in a sock group of one
 * sio_thread: data through queued requests of every size (staged small
 * pieces, large pieces written in place) echoed and checked byte for byte,
 * both cipher suites (32- and 48-byte keys), the handshake's report, a
 * wrong key and an unknown identity refused on both sides (-EKEYREJECTED),
 * a TLS client against a plain server and a plain client against a TLS
 * server (-EPROTO), and a reader that takes a few bytes per callback
 * (records OpenSSL holds must keep the socket reported readable).
 *
 * "test_sock_ssl ktls" turns on kernel TLS; where the kernel has the "tls"
 * ULP (Debian's kernel in tests/vm, modprobe tls) the echo runs through
 * kTLS and reports it. A fresh guest's first handshake can wait tens of
 * seconds for the kernel's random pool (OpenSSL seeds from getrandom()),
 * hence the minute allowed for the echo.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include <cmocka.h>

#include "sock/sock_internal.h" /* sock->fd, for SO_LINGER */
#include "spdk_io/sock.h"
#include "spdk_io/thread.h"

static struct sio_thread *g_thread;
static uint8_t g_key32[32], g_key48[48];

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

#define PUMP_UNTIL(cond)                                                  \
	do {                                                              \
		uint64_t _start = now_us();                               \
		while (!(cond)) {                                         \
			sio_thread_poll(g_thread, 0);                     \
			assert_true(now_us() - _start < 20000000);        \
		}                                                         \
	} while (0)

/* Server's identities: "id32" -> 32-byte key, "id48" -> 48-byte key. */
static int lookup(void *ctx, const char *identity, uint8_t *psk, size_t max)
{
	int *calls = ctx;

	(*calls)++;
	if (strcmp(identity, "id32") == 0) {
		memcpy(psk, g_key32, 32);
		return 32;
	}
	if (strcmp(identity, "id48") == 0 && max >= 48) {
		memcpy(psk, g_key48, 48);
		return 48;
	}
	return -ENOENT;
}

/* ---- a server that echoes, in a group ---- */

#define ECHO_BUF (256 * 1024)

struct echo_srv {
	struct sio_sock *listener;
	struct sio_sock *conn;
	struct sio_sock_group *group;
	int lookups;
	uint8_t *buf;
	size_t have, sent_upto;
	struct sio_sock_request req;
	struct iovec iov;
	bool req_busy;
	int err;  /* first read error */
	bool garble; /* answer with a PDU-like first byte (0x03, C2HTermReq) */
	uint16_t port;
};

static void echo_sent(void *arg, int rc)
{
	struct echo_srv *s = arg;

	s->req_busy = false;
	if (rc != 0 && s->err == 0)
		s->err = rc;
}

static void echo_kick(struct echo_srv *s)
{
	if (s->req_busy || s->sent_upto == s->have || s->conn == NULL)
		return;
	s->iov.iov_base = s->buf + s->sent_upto;
	s->iov.iov_len = s->have - s->sent_upto;
	s->sent_upto = s->have;
	s->req.iov = &s->iov;
	s->req.iovcnt = 1;
	s->req.cb = echo_sent;
	s->req.cb_arg = s;
	s->req_busy = true;
	assert_int_equal(sio_sock_writev_async(s->conn, &s->req), 0);
}

static void echo_readable(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct echo_srv *s = arg;
	ssize_t n;

	if (s->req_busy)
		return; /* one echo at a time: reported again (level-triggered) */
	if (s->have == s->sent_upto)
		s->have = s->sent_upto = 0;
	n = sio_sock_recv(sock, s->buf + s->have, ECHO_BUF - s->have);
	if (n > 0) {
		if (s->garble && s->have == 0)
			s->buf[0] = 0x03;
		s->have += (size_t)n;
		echo_kick(s);
	} else if (n != -EAGAIN) {
		if (s->err == 0)
			s->err = (int)n;
		sio_sock_group_remove_sock(g, sock);
	}
}

static void srv_start(struct echo_srv *s, const char *impl)
{
	struct sio_sock_tls_opts t = {.opts_size = sizeof(t), .psk_lookup = lookup,
				      .psk_lookup_ctx = &s->lookups};
	struct sio_sock_opts o;

	memset(s, 0, sizeof(*s));
	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = impl;
	o.tls = &t;
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &s->listener), 0);
	assert_int_equal(sio_sock_getaddr(s->listener, NULL, 0, &s->port, NULL, 0, NULL), 0);
	s->group = sio_sock_group_create(s);
	assert_non_null(s->group);
	s->buf = malloc(ECHO_BUF);
	assert_non_null(s->buf);
}

static void srv_accept(struct echo_srv *s)
{
	PUMP_UNTIL(sio_sock_accept(s->listener, &s->conn) == 0);
	assert_int_equal(sio_sock_group_add_sock(s->group, s->conn, echo_readable, s), 0);
}

static void srv_stop(struct echo_srv *s)
{
	if (s->conn != NULL) {
		if (s->conn != NULL)
			sio_sock_group_remove_sock(s->group, s->conn);
		sio_sock_close(&s->conn);
	}
	sio_sock_close(&s->listener);
	assert_int_equal(sio_sock_group_close(&s->group), 0);
	free(s->buf);
}

/* ---- the client side ---- */

struct client {
	struct sio_sock *sock;
	struct sio_sock_group *group;
	uint8_t *rx;
	size_t got, want;
	size_t per_call;  /* bytes taken per callback (0: all) */
	int err;
	int done;         /* requests completed */
	int failed;
};

static void cli_readable(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct client *c = arg;
	size_t room = c->want - c->got;
	ssize_t n;

	if (room == 0)
		room = 1;
	if (c->per_call != 0 && room > c->per_call)
		room = c->per_call;
	n = sio_sock_recv(sock, c->rx + (c->got < c->want ? c->got : 0), room);
	if (n > 0) {
		c->got += (size_t)n;
	} else if (n != -EAGAIN) {
		c->err = (int)n;
		sio_sock_group_remove_sock(g, sock);
	}
}

static void cli_sent(void *arg, int rc)
{
	struct client *c = arg;

	if (rc == 0)
		c->done++;
	else
		c->failed++;
}

static int cli_connect(struct client *c, uint16_t port, const char *impl, const char *identity,
		       const uint8_t *key, size_t key_len)
{
	struct sio_sock_tls_opts t = {.opts_size = sizeof(t), .psk = key, .psk_len = key_len,
				      .psk_identity = identity};
	struct sio_sock_opts o;
	int rc;

	memset(c, 0, sizeof(*c));
	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = impl;
	o.tls = &t;
	rc = sio_sock_connect("127.0.0.1", port, &o, &c->sock);
	if (rc != 0)
		return rc;
	c->group = sio_sock_group_create(c);
	assert_non_null(c->group);
	assert_int_equal(sio_sock_group_add_sock(c->group, c->sock, cli_readable, c), 0);
	return 0;
}

static void cli_close(struct client *c)
{
	if (c->sock != NULL) {
		sio_sock_group_remove_sock(c->group, c->sock);
		sio_sock_close(&c->sock);
	}
	assert_int_equal(sio_sock_group_close(&c->group), 0);
	free(c->rx);
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 9) + 7);
}

/* Queued requests of uneven sizes (3 B .. 100 KiB), echoed back, checked. */
static void echo_run(const char *identity, const uint8_t *key, size_t key_len,
		     const char *cipher)
{
	static const size_t sizes[] = {24, 4096, 3, 8192, 100000, 72, 16384, 65536, 1, 4100};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	struct sio_sock_request reqs[N];
	struct iovec iovs[N];
	struct sio_sock_tls_info ci, si;
	struct echo_srv s;
	struct client c;
	uint8_t *tx;
	size_t total = 0, off = 0;

	for (int i = 0; i < N; i++)
		total += sizes[i];
	tx = malloc(total);
	assert_non_null(tx);
	for (size_t i = 0; i < total; i++)
		tx[i] = pat(i);
	srv_start(&s, "ssl");
	assert_int_equal(cli_connect(&c, s.port, "ssl", identity, key, key_len), 0);
	assert_int_equal(sio_sock_get_tls_info(c.sock, &ci), -EAGAIN);
	c.rx = malloc(total);
	c.want = total;
	/* Queued before the handshake even started: sent right after it. */
	for (int i = 0; i < N; i++) {
		iovs[i].iov_base = tx + off;
		iovs[i].iov_len = sizes[i];
		off += sizes[i];
		reqs[i] = (struct sio_sock_request){.iov = &iovs[i], .iovcnt = 1, .cb = cli_sent,
						    .cb_arg = &c};
		assert_int_equal(sio_sock_writev_async(c.sock, &reqs[i]), 0);
	}
	srv_accept(&s);
	for (uint64_t t0 = now_us(); !(c.got == total || c.err != 0 || s.err != 0);) {
		sio_thread_poll(g_thread, 0);
		if (now_us() - t0 > 60000000) {
			printf("  stalled: client sent %d of %d requests, got %zu of %zu; server "
			       "read %zu, echoed %zu\n", c.done, N, c.got, total, s.have, s.sent_upto);
			fail();
		}
	}
	assert_int_equal(c.err, 0);
	assert_int_equal(s.err, 0);
	assert_int_equal(c.done, N);
	assert_memory_equal(c.rx, tx, total);
	assert_int_equal(sio_sock_get_tls_info(c.sock, &ci), 0);
	assert_int_equal(sio_sock_get_tls_info(s.conn, &si), 0);
	assert_string_equal(ci.cipher, cipher);
	assert_string_equal(si.cipher, cipher);
	assert_string_equal(ci.psk_identity, identity);
	assert_string_equal(si.psk_identity, identity);
	assert_true(s.lookups >= 1);
	printf("  %s: handshake %lu us (client, from connect) / %lu us (server, from accept), "
	       "kTLS send %d/%d recv %d/%d (client/server)\n", cipher,
	       (unsigned long)ci.handshake_us, (unsigned long)si.handshake_us, ci.ktls_send,
	       si.ktls_send, ci.ktls_recv, si.ktls_recv);
	/* Orderly close: the server reads end of stream. */
	cli_close(&c);
	PUMP_UNTIL(s.err != 0);
	assert_int_equal(s.err, SIO_SOCK_EOF);
	srv_stop(&s);
	free(tx);
}

static void test_echo_sha256(void **state)
{
	(void)state;
	echo_run("id32", g_key32, 32, "TLS_AES_128_GCM_SHA256");
}

static void test_echo_sha384(void **state)
{
	(void)state;
	echo_run("id48", g_key48, 48, "TLS_AES_256_GCM_SHA384");
}

/* A wrong key, then an unknown identity: both sides see the refusal. */
static void refused_run(const char *identity, const uint8_t *key, size_t len)
{
	struct echo_srv s;
	struct client c;
	struct sio_sock_request req;
	struct iovec iov = {.iov_base = "hello", .iov_len = 5};

	srv_start(&s, "ssl");
	assert_int_equal(cli_connect(&c, s.port, "ssl", identity, key, len), 0);
	c.rx = malloc(16);
	c.want = 16;
	req = (struct sio_sock_request){.iov = &iov, .iovcnt = 1, .cb = cli_sent, .cb_arg = &c};
	assert_int_equal(sio_sock_writev_async(c.sock, &req), 0);
	srv_accept(&s);
	PUMP_UNTIL(c.err != 0 && s.err != 0);
	printf("  %s: client %d (%s), server %d (%s)\n", identity, c.err, strerror(-c.err), s.err,
	       strerror(-s.err));
	assert_int_equal(c.err, -EKEYREJECTED);
	assert_int_equal(s.err, -EKEYREJECTED);
	PUMP_UNTIL(c.failed == 1);
	assert_int_equal(c.got, 0);
	assert_int_equal(s.have, 0);
	cli_close(&c);
	srv_stop(&s);
}

static void test_wrong_key(void **state)
{
	uint8_t bad[32];

	(void)state;
	memcpy(bad, g_key32, 32);
	bad[7] ^= 0x40;
	refused_run("id32", bad, 32);
}

static void test_unknown_identity(void **state)
{
	(void)state;
	refused_run("nobody", g_key32, 32);
}

/* TLS client, plain server that answers with plain bytes: -EPROTO. */
static void test_tls_to_plain(void **state)
{
	struct echo_srv s;
	struct client c;

	(void)state;
	srv_start(&s, "posix");
	assert_int_equal(cli_connect(&c, s.port, "ssl", "id32", g_key32, 32), 0);
	c.rx = malloc(64);
	c.want = 64;
	/* The ClientHello goes out once something drives the handshake. */
	assert_int_equal(sio_sock_flush(c.sock), 0);
	s.garble = true;
	srv_accept(&s); /* answers like a plain NVMe/TCP target: not a TLS record */
	PUMP_UNTIL(c.err != 0);
	assert_int_equal(c.err, -EPROTO);
	cli_close(&c);
	srv_stop(&s);
}

/* Plain client sending an NVMe/TCP-like PDU to a TLS server: -EPROTO there. */
static void test_plain_to_tls(void **state)
{
	struct echo_srv s;
	struct client c;
	uint8_t icreq[128] = {0x00, 0x00, 128, 0, 128, 0, 0, 0};
	struct iovec iov = {.iov_base = icreq, .iov_len = sizeof(icreq)};
	struct sio_sock_request req;

	(void)state;
	srv_start(&s, "ssl");
	assert_int_equal(cli_connect(&c, s.port, "posix", NULL, NULL, 0), 0);
	c.rx = malloc(64);
	c.want = 64;
	req = (struct sio_sock_request){.iov = &iov, .iovcnt = 1, .cb = cli_sent, .cb_arg = &c};
	assert_int_equal(sio_sock_writev_async(c.sock, &req), 0);
	srv_accept(&s);
	PUMP_UNTIL(s.err != 0);
	assert_int_equal(s.err, -EPROTO);
	cli_close(&c);
	srv_stop(&s);
}

/* 200 KiB echoed while the client takes 100 bytes per callback: the bytes
 * OpenSSL already decrypted or buffered are not in the kernel's queue, so
 * only the implementation's pending list keeps the socket reported. */
static void test_small_reads(void **state)
{
	enum { TOTAL = 200 * 1024 };
	struct sio_sock_request req;
	struct iovec iov;
	struct echo_srv s;
	struct client c;
	uint8_t *tx = malloc(TOTAL);

	(void)state;
	assert_non_null(tx);
	for (size_t i = 0; i < TOTAL; i++)
		tx[i] = pat(i + 5);
	srv_start(&s, "ssl");
	assert_int_equal(cli_connect(&c, s.port, "ssl", "id32", g_key32, 32), 0);
	c.rx = malloc(TOTAL);
	c.want = TOTAL;
	c.per_call = 100;
	iov.iov_base = tx;
	iov.iov_len = TOTAL;
	req = (struct sio_sock_request){.iov = &iov, .iovcnt = 1, .cb = cli_sent, .cb_arg = &c};
	assert_int_equal(sio_sock_writev_async(c.sock, &req), 0);
	srv_accept(&s);
	PUMP_UNTIL(c.got == TOTAL || c.err != 0);
	assert_int_equal(c.err, 0);
	assert_memory_equal(c.rx, tx, TOTAL);
	cli_close(&c);
	srv_stop(&s);
	free(tx);
}

/* The peer resets the connection while we write records: the requests fail
 * with -EPIPE or -ECONNRESET and the process lives (no SIGPIPE from
 * OpenSSL's write(2)). */
static void test_peer_reset(void **state)
{
	enum { CHUNK = 64 * 1024, NREQ = 32 };
	static uint8_t buf[CHUNK];
	struct sio_sock_request reqs[NREQ];
	struct iovec iov = {.iov_base = buf, .iov_len = CHUNK};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct echo_srv s;
	struct client c;

	(void)state;
	srv_start(&s, "ssl");
	assert_int_equal(cli_connect(&c, s.port, "ssl", "id32", g_key32, 32), 0);
	c.rx = malloc(16);
	c.want = 5;
	reqs[0] = (struct sio_sock_request){.iov = &iov, .iovcnt = 1, .cb = cli_sent, .cb_arg = &c};
	iov.iov_len = 5;
	assert_int_equal(sio_sock_writev_async(c.sock, &reqs[0]), 0);
	srv_accept(&s);
	PUMP_UNTIL(c.got == 5 || c.err != 0);
	assert_int_equal(c.err, 0);
	/* RST from the server, then a stream of records from the client. */
	sio_sock_group_remove_sock(s.group, s.conn);
	assert_int_equal(setsockopt(s.conn->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	sio_sock_close(&s.conn);
	iov.iov_len = CHUNK;
	c.done = 0;
	for (int i = 0; i < NREQ; i++) {
		reqs[i] = (struct sio_sock_request){.iov = &iov, .iovcnt = 1, .cb = cli_sent,
						    .cb_arg = &c};
		assert_int_equal(sio_sock_writev_async(c.sock, &reqs[i]), 0);
	}
	PUMP_UNTIL(c.done + c.failed == NREQ || c.err != 0);
	printf("  after the reset: %d requests sent, %d failed, read error %d\n", c.done, c.failed,
	       c.err);
	assert_true(c.failed > 0 || c.err == -ECONNRESET || c.err == -EPIPE);
	cli_close(&c);
	srv_stop(&s);
}

static void test_opts(void **state)
{
	struct sio_sock_impl_opts io = {.opts_size = sizeof(io)};
	struct sio_sock_opts o;
	struct sio_sock *sock = NULL;

	(void)state;
	assert_int_equal(sio_sock_impl_get_opts("ssl", &io), 0);
	io.tls_version = 12;
	assert_int_equal(sio_sock_impl_set_opts("ssl", &io), -ENOTSUP);
	io.tls_version = 13;
	assert_int_equal(sio_sock_impl_set_opts("ssl", &io), 0);
	io.tls_version = 0;
	assert_int_equal(sio_sock_impl_set_opts("ssl", &io), 0);
	io.opts_size = sizeof(io);
	assert_int_equal(sio_sock_impl_get_opts("posix", &io), 0);
	io.enable_ktls = true;
	assert_int_equal(sio_sock_impl_set_opts("posix", &io), -ENOTSUP);
	/* "ssl" without credentials: refused at creation. */
	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = "ssl";
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &sock), -EINVAL);
	assert_int_equal(sio_sock_connect("127.0.0.1", 9, &o, &sock), -EINVAL);
	assert_null(sock);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_echo_sha256),
		cmocka_unit_test(test_echo_sha384),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_unknown_identity),
		cmocka_unit_test(test_tls_to_plain),
		cmocka_unit_test(test_plain_to_tls),
		cmocka_unit_test(test_small_reads),
		cmocka_unit_test(test_peer_reset),
	};
	int rc;

	if (argc > 1 && strcmp(argv[1], "ktls") == 0) {
		struct sio_sock_impl_opts io = {.opts_size = sizeof(io)};

		sio_sock_impl_get_opts("ssl", &io);
		io.enable_ktls = true;
		sio_sock_impl_set_opts("ssl", &io);
	}
	if (!sio_sock_impl_is_available("ssl")) {
		printf("OpenSSL contexts unavailable: skipped\n");
		return 77;
	}
	for (size_t i = 0; i < sizeof(g_key48); i++)
		g_key48[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(g_key32); i++)
		g_key32[i] = (uint8_t)(i * 13 + 5);
	g_thread = sio_thread_attach("sock-ssl-test");
	if (g_thread == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sio_thread_exit(g_thread);
	for (uint64_t start = now_us(); !sio_thread_is_exited(g_thread);) {
		sio_thread_poll(g_thread, 0);
		if (now_us() - start > 5000000)
			return rc != 0 ? rc : 1;
	}
	sio_thread_set_current(NULL);
	sio_thread_destroy(g_thread);
	return rc;
}
