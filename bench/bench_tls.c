/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_tls: cost of opening a connection with the "ssl" sock implementation
 * (TLS 1.3, external PSK, X25519 key exchange) against a plain "posix" one,
 * over loopback: connect, accept, and one byte each way, repeated.
 *
 * Client and server run on one sio_thread (two sock groups), one connection
 * at a time, so the CPU time of the process per connection is the work of
 * both ends (two TCP ends, and for TLS the whole handshake on both sides:
 * key shares, HKDF schedule, Finished MACs); wall time also shows it, but
 * on a shared machine only the CPU figure is steady.
 *
 * usage: bench_tls [-n CONNECTIONS] [-k 32|48]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "spdk_io/sock.h"
#include "spdk_io/thread.h"

static struct sio_thread *g_thread;
static uint8_t g_key[48];
static size_t g_key_len = 32;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int lookup(void *ctx, const char *identity, uint8_t *psk, size_t max)
{
	(void)ctx;
	(void)identity;
	if (max < g_key_len)
		return -ENOSPC;
	memcpy(psk, g_key, g_key_len);
	return (int)g_key_len;
}

struct end {
	int got;      /* bytes read */
	int err;
};

static void on_readable(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct end *e = arg;
	char b[16];
	ssize_t n = sio_sock_recv(sock, b, sizeof(b));

	(void)g;
	if (n > 0)
		e->got += (int)n;
	else if (n != -EAGAIN)
		e->err = (int)n;
}

static void sent(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

static int one_conn(const char *impl, struct sio_sock *listener, uint16_t port,
		    struct sio_sock_group *gs, struct sio_sock_group *gc, uint64_t *hs_us)
{
	struct sio_sock_tls_opts t = {.opts_size = sizeof(t), .psk = g_key, .psk_len = g_key_len,
				      .psk_identity = "NVMe0R01 bench-host bench-sub"};
	struct sio_sock_opts o;
	struct sio_sock *c = NULL, *s = NULL;
	struct end ce = {0}, se = {0};
	struct iovec ci = {.iov_base = "x", .iov_len = 1}, si = {.iov_base = "y", .iov_len = 1};
	struct sio_sock_request cr = {.iov = &ci, .iovcnt = 1, .cb = sent};
	struct sio_sock_request sr = {.iov = &si, .iovcnt = 1, .cb = sent};
	struct sio_sock_tls_info info;
	int rc;

	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = impl;
	o.tls = &t;
	rc = sio_sock_connect("127.0.0.1", port, &o, &c);
	if (rc != 0)
		return rc;
	sio_sock_group_add_sock(gc, c, on_readable, &ce);
	sio_sock_writev_async(c, &cr);
	while ((rc = sio_sock_accept(listener, &s)) == -EAGAIN)
		sio_thread_poll(g_thread, 0);
	if (rc != 0)
		goto out;
	sio_sock_group_add_sock(gs, s, on_readable, &se);
	while (se.got < 1 && se.err == 0 && ce.err == 0)
		sio_thread_poll(g_thread, 0);
	sio_sock_writev_async(s, &sr);
	while (ce.got < 1 && se.err == 0 && ce.err == 0)
		sio_thread_poll(g_thread, 0);
	rc = se.err != 0 ? se.err : ce.err;
	if (rc == 0 && sio_sock_get_tls_info(c, &info) == 0)
		*hs_us = info.handshake_us;
out:
	if (s != NULL) {
		sio_sock_group_remove_sock(gs, s);
		sio_sock_close(&s);
	}
	sio_sock_group_remove_sock(gc, c);
	sio_sock_close(&c);
	return rc;
}

static int run(const char *impl, int n)
{
	struct sio_sock_tls_opts t = {.opts_size = sizeof(t), .psk_lookup = lookup};
	struct sio_sock_group *gs = sio_sock_group_create(NULL), *gc = sio_sock_group_create(NULL);
	struct sio_sock *l = NULL;
	struct sio_sock_opts o;
	uint16_t port;
	uint64_t hs_sum = 0, hs;
	double w0, c0, w1, c1;
	int rc = 0;

	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = impl;
	o.tls = &t;
	if (gs == NULL || gc == NULL || sio_sock_listen("127.0.0.1", 0, &o, &l) != 0)
		return -1;
	sio_sock_getaddr(l, NULL, 0, &port, NULL, 0, NULL);
	/* Warm-up: OpenSSL loads its providers and ciphers on first use. */
	for (int i = 0; i < 5 && rc == 0; i++)
		rc = one_conn(impl, l, port, gs, gc, &hs);
	w0 = now_s();
	c0 = cpu_s();
	for (int i = 0; i < n && rc == 0; i++) {
		hs = 0;
		rc = one_conn(impl, l, port, gs, gc, &hs);
		hs_sum += hs;
	}
	w1 = now_s();
	c1 = cpu_s();
	if (rc != 0) {
		fprintf(stderr, "bench_tls: %s: %s\n", impl, strerror(-rc));
	} else {
		printf("%-6s %5d connections: %8.1f us CPU and %8.1f us wall per connection "
		       "(both ends)", impl, n, (c1 - c0) * 1e6 / n, (w1 - w0) * 1e6 / n);
		if (strcmp(impl, "ssl") == 0)
			printf(", client handshake %6.1f us (connect to Finished)",
			       (double)hs_sum / n);
		printf("\n");
	}
	sio_sock_close(&l);
	for (int i = 0; i < 10; i++)
		sio_thread_poll(g_thread, 0);
	sio_sock_group_close(&gs);
	sio_sock_group_close(&gc);
	return rc;
}

int main(int argc, char **argv)
{
	int n = 500, c, rc;

	while ((c = getopt(argc, argv, "n:k:")) != -1) {
		if (c == 'n')
			n = atoi(argv[optind - 1]);
		else if (c == 'k')
			g_key_len = strcmp(optarg, "48") == 0 ? 48 : 32;
		else
			return 1;
	}
	for (size_t i = 0; i < sizeof(g_key); i++)
		g_key[i] = (uint8_t)(i * 11 + 3);
	g_thread = sio_thread_attach("bench_tls");
	if (g_thread == NULL)
		return 1;
	/* Interleaved: plain, TLS, plain, TLS. */
	rc = run("posix", n) || run("ssl", n) || run("posix", n) || run("ssl", n);
	sio_thread_exit(g_thread);
	while (!sio_thread_is_exited(g_thread))
		sio_thread_poll(g_thread, 0);
	sio_thread_set_current(NULL);
	sio_thread_destroy(g_thread);
	return rc ? 1 : 0;
}
