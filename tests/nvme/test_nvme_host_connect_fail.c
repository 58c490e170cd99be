/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connects that fail before the controller answers, over real loopback
 * sockets: a port nobody listens on, a peer that closes at once, a peer that
 * never answers the ICReq. Each must report its own error (the refusal as
 * -ECONNREFUSED, not as a reset) and leave nothing behind on the thread: a
 * failed connect once left its socket group's pollers registered, and the
 * thread could never exit. Also: the transport ID's priority set as the
 * socket's SO_PRIORITY, read back from the real socket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/sock.h"
#include "spdk_io/thread.h"
#include "nvme_host_test.h"

static struct sio_thread *g_thread;

struct result {
	int calls;
	int rc;
};

static void connect_done(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	struct result *r = arg;

	r->calls++;
	r->rc = rc;
	assert_null(ctrlr);
}

static void make_trid(struct sio_nvme_transport_id *trid, uint16_t port)
{
	char s[160], err[128];

	snprintf(s, sizeof(s),
		 "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%u subnqn:nqn.2016-06.io.spdk:x",
		 port);
	assert_int_equal(sio_nvme_transport_id_parse(trid, s, err, sizeof(err)), 0);
}

/*
 * Connects to @port and polls until the callback ran and the thread has no
 * poller left (at most 5 s); @peer, if set, is a listener whose connections
 * are accepted and kept (@close_peer: closed at once). Returns the rc.
 */
static int connect_and_drain(uint16_t port, uint32_t timeout_ms, struct sio_sock *peer,
			     bool close_peer)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts opts;
	struct result r = {0, 1};
	struct sio_sock *accepted[4] = {0};
	int n_acc = 0;
	uint64_t deadline = now_ms() + 5000;

	make_trid(&trid, port);
	sio_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	opts.connect_timeout_ms = timeout_ms;
	assert_int_equal(sio_nvme_ctrlr_connect(&trid, &opts, connect_done, &r), 0);
	while (r.calls == 0 || sio_thread_has_pollers(g_thread)) {
		struct sio_sock *s;

		sio_thread_poll(g_thread, 0);
		if (peer != NULL && n_acc < 4 && sio_sock_accept(peer, &s) == 0) {
			if (close_peer)
				sio_sock_close(&s);
			else
				accepted[n_acc++] = s;
		}
		if (now_ms() > deadline)
			break;
	}
	for (int i = 0; i < n_acc; i++)
		sio_sock_close(&accepted[i]);
	assert_int_equal(r.calls, 1);
	/* The controller, its admin queue and its socket group are gone. */
	assert_false(sio_thread_has_pollers(g_thread));
	return r.rc;
}

static struct sio_sock *listen_any(uint16_t *port)
{
	struct sio_sock_opts o;
	struct sio_sock *l = NULL;

	sio_sock_opts_init(&o, sizeof(o));
	assert_int_equal(sio_sock_listen("127.0.0.1", 0, &o, &l), 0);
	assert_int_equal(sio_sock_getaddr(l, NULL, 0, port, NULL, 0, NULL), 0);
	return l;
}

static void test_refused(void **state)
{
	uint16_t port;
	struct sio_sock *l = listen_any(&port);

	sio_sock_close(&l); /* nobody listens there now */
	assert_int_equal(connect_and_drain(port, 0, NULL, false), -ECONNREFUSED);
}

static void test_peer_closes(void **state)
{
	uint16_t port;
	struct sio_sock *l = listen_any(&port);
	int rc = connect_and_drain(port, 0, l, true);

	/* An orderly close or a reset, depending on when the ICReq landed. */
	assert_true(rc == -ECONNRESET || rc == SIO_SOCK_EOF || rc == -EPIPE);
	sio_sock_close(&l);
}

static void test_no_icresp(void **state)
{
	uint16_t port;
	struct sio_sock *l = listen_any(&port);

	assert_int_equal(connect_and_drain(port, 200, l, false), -ETIMEDOUT);
	sio_sock_close(&l);
}

/* SO_PRIORITY of this process's TCP socket connected to 127.0.0.1:@port, or -1 if none. */
static int client_priority(uint16_t port)
{
	for (int fd = 3; fd < 4096; fd++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int prio;
		socklen_t plen = sizeof(prio);

		if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0 || peer.sin_family != AF_INET ||
		    ntohs(peer.sin_port) != port)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, &plen) == 0)
			return prio;
	}
	return -1;
}

/*
 * The transport ID's priority (SPDK's: the socket priority of the TCP
 * connections) reaches the host's socket as SO_PRIORITY; it was parsed and
 * then dropped. Seen on the real socket while the connect waits for an ICResp.
 */
static void test_priority(void **state)
{
	uint16_t port;
	struct sio_sock *l = listen_any(&port), *acc = NULL;
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts opts;
	struct result r = {0, 1};
	uint64_t deadline = now_ms() + 5000;
	int prio = -2;

	make_trid(&trid, port);
	trid.priority = 5;
	sio_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	opts.connect_timeout_ms = 300;
	assert_int_equal(sio_nvme_ctrlr_connect(&trid, &opts, connect_done, &r), 0);
	while (r.calls == 0 || sio_thread_has_pollers(g_thread)) {
		sio_thread_poll(g_thread, 0);
		if (acc == NULL && sio_sock_accept(l, &acc) == 0)
			prio = client_priority(port);
		if (now_ms() > deadline)
			break;
	}
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.rc, -ETIMEDOUT);
	assert_int_equal(prio, 5);
	sio_sock_close(&acc);
	sio_sock_close(&l);
}

/*
 * A transport ID filled in by hand skips the parser, so the TCP connect
 * judges the port fields itself (the parser's rule, nvme_trid_port()):
 * each bad one fails the connect with -EINVAL, before any socket.
 */
static void test_hand_filled_ports(void **state)
{
	static const char *const bad[] = {"0", "65536", "12x", "-1", " 1", "99999999999999999999"};
	struct sio_nvme_ctrlr_opts opts;

	sio_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	for (size_t i = 0; i < 2 * sizeof(bad) / sizeof(bad[0]); i++) {
		struct sio_nvme_transport_id trid;
		struct result r = {0, 1};
		const char *v = bad[i / 2];
		int rc;

		make_trid(&trid, 4420);
		if (i % 2 == 0)
			snprintf(trid.trsvcid, sizeof(trid.trsvcid), "%s", v);
		else
			snprintf(trid.hostsvcid, sizeof(trid.hostsvcid), "%s", v);
		rc = sio_nvme_ctrlr_connect(&trid, &opts, connect_done, &r);
		while (rc == 0 && (r.calls == 0 || sio_thread_has_pollers(g_thread)))
			sio_thread_poll(g_thread, 0);
		if (rc == 0) {
			assert_int_equal(r.calls, 1);
			rc = r.rc;
		}
		if (rc != -EINVAL)
			print_error("%s '%s': %d\n", i % 2 == 0 ? "trsvcid" : "hostsvcid", v, rc);
		assert_int_equal(rc, -EINVAL);
	}
	assert_false(sio_thread_has_pollers(g_thread));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_peer_closes),
		cmocka_unit_test(test_no_icresp),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_hand_filled_ports),
	};
	int rc;

	sio_log_set_level(SIO_LOG_ERROR);
	g_thread = sio_thread_attach("nvme_connect_fail");
	assert_non_null(g_thread);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* Nothing of the failed connects may be left on the thread. */
	if (host_test_fini(g_thread, NULL, NULL) != 0)
		return 1;
	return rc;
}
