/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_sock: the sock layer over loopback TCP, each implementation side by
 * side, and iperf3 in the same run as the reference.
 *
 *   rr      4 KiB request/response round trips per second, one connection,
 *           one request in flight (latency-bound: two wake-ups per trip)
 *   stream  128 KiB queued writes (4 in flight) one way, GB/s received
 *
 * The server and the client are each a sio_thread on an OS thread of its
 * own, polling its sock group in a loop as a reactor does; iperf3 also runs
 * as two processes (server, client), single stream, 128 KiB writes.
 *
 * usage: bench_sock [-t SECONDS] [-i IMPL[:nopipe]]... [-m poll|intr|both] [--no-iperf]
 *
 * uring runs twice by default: receiving through its buffer ring
 * (multishot receive, the default) and with poll + recv (uring:nopipe).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "spdk_io/sock.h"
#include "spdk_io/thread.h"

#define RR_SIZE 4096
#define STREAM_SIZE (128 * 1024)
#define STREAM_QD 4

enum mode { MODE_RR, MODE_STREAM };

struct run {
	const char *impl;
	enum mode mode;
	bool intr;               /* threads sleep on their interrupt fd when idle */
	double seconds;
	atomic_int port;         /* server's, published once listening */
	atomic_bool stop;        /* client done: server may go */
	uint64_t count;          /* rr: round trips; stream: bytes received (server) */
	double elapsed;
	int failed;
};

/* A reactor turn: in interrupt mode, sleep until the thread has work first. */
struct turn {
	struct sio_thread *t;
	int ep;
};

static void turn_init(struct turn *tu, bool intr)
{
	struct epoll_event ev = {.events = EPOLLIN};

	tu->t = sio_thread_get_current();
	tu->ep = -1;
	if (!intr)
		return;
	tu->ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = sio_thread_get_interrupt_fd(tu->t);
	epoll_ctl(tu->ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
}

static void turn_run(struct turn *tu)
{
	struct epoll_event ev;

	if (tu->ep >= 0)
		epoll_wait(tu->ep, &ev, 1, 10); /* 10 ms: the stop flag is checked between */
	sio_thread_poll(tu->t, 0);
}

static void turn_fini(struct turn *tu)
{
	if (tu->ep >= 0)
		close(tu->ep);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- server ---- */

struct srv {
	struct run *run;
	struct sio_sock *conn;
	uint8_t *buf;
	size_t have;
	struct iovec iov;
	struct sio_sock_request req;
	bool sending;
	uint64_t bytes;
	bool eof;
};

static void srv_sent(void *arg, int rc)
{
	struct srv *s = arg;

	s->sending = false;
	s->have = 0;
}

static void srv_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct srv *s = arg;
	ssize_t n = -EAGAIN;

	if (s->run->mode == MODE_STREAM) {
		while ((n = sio_sock_recv(sock, s->buf, STREAM_SIZE)) > 0)
			s->bytes += (uint64_t)n;
	} else {
		while (!s->sending) {
			n = sio_sock_recv(sock, s->buf + s->have, RR_SIZE - s->have);
			if (n <= 0)
				break;
			s->have += (size_t)n;
			if (s->have == RR_SIZE) {
				s->iov = (struct iovec){s->buf, RR_SIZE};
				s->req.iov = &s->iov;
				s->req.iovcnt = 1;
				s->req.cb = srv_sent;
				s->req.cb_arg = s;
				s->sending = true;
				sio_sock_writev_async(sock, &s->req);
			}
		}
	}
	if (n != -EAGAIN && n < 0) {
		s->eof = true;
		sio_sock_group_remove_sock(g, sock);
	}
}

static void srv_accept(void *arg, struct sio_sock_group *g, struct sio_sock *l)
{
	struct srv *s = arg;

	if (s->conn == NULL && sio_sock_accept(l, &s->conn) == 0)
		sio_sock_group_add_sock(g, s->conn, srv_cb, s);
}

static int server_main(void *arg)
{
	struct run *r = arg;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct sio_sock_opts o;
	struct sio_sock *l = NULL;
	struct srv s = {.run = r};
	struct turn tu;
	uint16_t port;

	turn_init(&tu, r->intr);
	s.buf = malloc(STREAM_SIZE);
	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = r->impl;
	if (g == NULL || sio_sock_listen("127.0.0.1", 0, &o, &l) != 0 ||
	    sio_sock_getaddr(l, NULL, 0, &port, NULL, 0, NULL) != 0 ||
	    sio_sock_group_add_sock(g, l, srv_accept, &s) != 0) {
		r->failed = 1;
		atomic_store(&r->port, -1);
		return 1;
	}
	atomic_store(&r->port, port);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed) && !s.eof)
		turn_run(&tu);
	if (r->mode == MODE_STREAM)
		r->count = s.bytes;
	if (s.conn != NULL) {
		if (!s.eof)
			sio_sock_group_remove_sock(g, s.conn);
		sio_sock_close(&s.conn);
	}
	sio_sock_group_remove_sock(g, l);
	sio_sock_close(&l);
	sio_sock_group_close(&g);
	turn_fini(&tu);
	free(s.buf);
	return 0;
}

/* ---- client ---- */

struct cli;

/* One queued write of the stream, remembering its place. */
struct slot {
	struct cli *c;
	int i;
};

struct cli {
	struct run *run;
	uint8_t *buf;
	uint8_t in[RR_SIZE];
	size_t got;
	struct iovec iov[STREAM_QD];
	struct sio_sock_request req[STREAM_QD];
	struct slot slot[STREAM_QD];
	struct sio_sock *sock;
	bool running;
	uint64_t trips;
	int inflight;
};

static void cli_sent(void *arg, int rc);

/* Queues request @i: a 128 KiB stream write, or (rr) the 4 KiB request. */
static void cli_queue(struct cli *c, int i)
{
	size_t len = c->run->mode == MODE_STREAM ? STREAM_SIZE : RR_SIZE;

	c->iov[i] = (struct iovec){c->buf + (size_t)i * STREAM_SIZE, len};
	c->slot[i] = (struct slot){c, i};
	c->req[i].iov = &c->iov[i];
	c->req[i].iovcnt = 1;
	c->req[i].cb = cli_sent;
	c->req[i].cb_arg = &c->slot[i];
	c->inflight++;
	sio_sock_writev_async(c->sock, &c->req[i]);
}

static void cli_sent(void *arg, int rc)
{
	struct slot *sl = arg;
	struct cli *c = sl->c;

	c->inflight--;
	/* Stream: keep STREAM_QD writes queued. rr: the echo triggers the next. */
	if (rc == 0 && c->running && c->run->mode == MODE_STREAM)
		cli_queue(c, sl->i);
}

static void cli_cb(void *arg, struct sio_sock_group *g, struct sio_sock *sock)
{
	struct cli *c = arg;
	ssize_t n;

	while ((n = sio_sock_recv(sock, c->in + c->got, RR_SIZE - c->got)) > 0) {
		c->got += (size_t)n;
		if (c->got < RR_SIZE)
			continue;
		c->got = 0;
		c->trips++;
		if (c->running)
			cli_queue(c, 0);
	}
}

static int client_main(void *arg)
{
	struct run *r = arg;
	struct sio_sock_group *g = sio_sock_group_create(NULL);
	struct sio_sock_opts o;
	struct cli c = {.run = r, .running = true};
	double start, end;
	struct turn tu;
	int port;

	turn_init(&tu, r->intr);
	c.buf = calloc(STREAM_QD, STREAM_SIZE);
	while ((port = atomic_load(&r->port)) == 0)
		;
	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = r->impl;
	if (port < 0 || g == NULL || sio_sock_connect("127.0.0.1", port, &o, &c.sock) != 0)
		goto fail;
	while (sio_sock_connect_status(c.sock) == -EINPROGRESS)
		;
	if (sio_sock_group_add_sock(g, c.sock, cli_cb, &c) != 0)
		goto fail;
	start = now_s();
	for (int i = 0; i < (r->mode == MODE_STREAM ? STREAM_QD : 1); i++)
		cli_queue(&c, i);
	/* Check the clock every 256 polls: a clock read per poll would show
	 * (each turn sleeps in interrupt mode: there, every turn). */
	for (uint64_t i = 0;; i++) {
		turn_run(&tu);
		if ((r->intr || (i & 255) == 0) && now_s() - start >= r->seconds)
			break;
	}
	c.running = false;
	end = now_s();
	if (r->mode == MODE_RR) {
		r->count = c.trips;
		r->elapsed = end - start;
	}
	/* Let queued requests finish, then close: the server sees EOF. */
	for (int i = 0; i < 100000 && c.inflight > 0 && now_s() - end < 2; i++)
		turn_run(&tu);
	sio_sock_group_remove_sock(g, c.sock);
	sio_sock_close(&c.sock);
	if (r->mode == MODE_STREAM)
		r->elapsed = end - start;
	sio_sock_group_close(&g);
	turn_fini(&tu);
	free(c.buf);
	return 0;
fail:
	r->failed = 1;
	atomic_store(&r->stop, true);
	sio_sock_close(&c.sock);
	sio_sock_group_close(&g);
	turn_fini(&tu);
	free(c.buf);
	return 1;
}

static int run_one(struct run *r)
{
	struct sio_os_thread *ts, *tc;

	atomic_store(&r->port, 0);
	atomic_store(&r->stop, false);
	if (sio_os_thread_spawn("bench-srv", server_main, r, &ts) != 0)
		return -1;
	if (sio_os_thread_spawn("bench-cli", client_main, r, &tc) != 0)
		return -1;
	sio_os_thread_join(tc, NULL);
	atomic_store(&r->stop, true);
	sio_os_thread_join(ts, NULL);
	return r->failed ? -1 : 0;
}

/* ---- iperf3 ---- */

/* Single-stream loopback throughput in GB/s (received), or a negative value. */
static double iperf3_gbs(double seconds)
{
	char cmd[256];
	char *out = NULL;
	size_t len = 0, cap = 0;
	int port = 20000 + (int)(getpid() % 20000);
	pid_t srv;
	FILE *f;
	json_t *root, *v;
	double bps = -1;

	srv = fork();
	if (srv == 0) {
		char p[16];

		snprintf(p, sizeof(p), "%d", port);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execlp("iperf3", "iperf3", "-s", "-1", "-p", p, "-B", "127.0.0.1", (char *)NULL);
		_exit(127);
	}
	if (srv < 0)
		return -1;
	usleep(300000); /* the server binds */
	snprintf(cmd, sizeof(cmd),
		 "iperf3 -c 127.0.0.1 -p %d -t %.0f -l 128K -J 2>/dev/null", port,
		 seconds < 1 ? 1 : seconds);
	f = popen(cmd, "r");
	if (f != NULL) {
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (len + n + 1 > cap) {
				cap = (len + n + 1) * 2;
				out = realloc(out, cap);
			}
			memcpy(out + len, buf, n);
			len += n;
		}
		pclose(f);
	}
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	if (out == NULL)
		return -1;
	out[len] = '\0';
	root = json_loads(out, 0, NULL);
	v = json_object_get(json_object_get(json_object_get(root, "end"), "sum_received"),
			    "bits_per_second");
	if (json_is_number(v))
		bps = json_number_value(v);
	json_decref(root);
	free(out);
	return bps < 0 ? -1 : bps / 8 / 1e9;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t SECONDS] [-i IMPL]... [-m poll|intr|both] [--no-iperf]\n"
		"  -t  seconds per run (default 3)\n"
		"  -i  implementation; IMPL:nopipe with enable_recv_pipe off\n"
		"      (default: posix, uring, uring:nopipe)\n"
		"  -m  poll: threads busy-poll (a reactor); intr: they sleep on their\n"
		"      interrupt fd when idle (as iperf3 sleeps in the kernel); default both\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"no-iperf", no_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'}, {0}};
	const char *impls[4] = {"posix", "uring", "uring:nopipe"};
	int nimpl = 0, c, nres = 0;
	double seconds = 3;
	bool iperf = true, modes[2] = {true, true};
	struct {
		char name[32];
		double gbs;
	} res[16];

	while ((c = getopt_long(argc, argv, "t:i:m:h", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			seconds = atof(optarg);
			break;
		case 'i':
			if (nimpl < 4)
				impls[nimpl++] = optarg;
			break;
		case 'm':
			modes[0] = strcmp(optarg, "intr") != 0;
			modes[1] = strcmp(optarg, "poll") != 0;
			break;
		case 'n':
			iperf = false;
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (nimpl == 0)
		nimpl = 3;
	signal(SIGPIPE, SIG_DFL); /* the layer must never raise it */
	printf("bench_sock: loopback, %.1f s per run, server and client on two OS threads\n",
	       seconds);
	printf("%-20s %16s %16s\n", "impl (mode)", "4K rr (trips/s)", "128K stream GB/s");
	for (int m = 0; m < 2; m++) {
		if (!modes[m])
			continue;
		for (int i = 0; i < nimpl; i++) {
			struct run rr = {.impl = impls[i], .mode = MODE_RR, .seconds = seconds,
					 .intr = m == 1};
			struct run st = {.impl = impls[i], .mode = MODE_STREAM, .seconds = seconds,
					 .intr = m == 1};
			char name[32];

			char impl[32];
			char *colon;
			struct sio_sock_impl_opts io = {.opts_size = sizeof(io)}, saved;

			/* IMPL:nopipe runs IMPL with enable_recv_pipe off (uring: poll + recv). */
			snprintf(impl, sizeof(impl), "%s", impls[i]);
			colon = strchr(impl, ':');
			if (colon != NULL)
				*colon = '\0';
			rr.impl = st.impl = impl;
			snprintf(name, sizeof(name), "%s (%s)", impls[i], m == 1 ? "intr" : "poll");
			if (!sio_sock_impl_is_available(impl)) {
				printf("%-20s unavailable here\n", name);
				continue;
			}
			sio_sock_impl_get_opts(impl, &io);
			saved = io;
			if (colon != NULL && strcmp(colon + 1, "nopipe") == 0) {
				io.enable_recv_pipe = false;
				sio_sock_impl_set_opts(impl, &io);
			}
			int rc = run_one(&rr) != 0 || run_one(&st) != 0;

			sio_sock_impl_set_opts(impl, &saved);
			if (rc) {
				printf("%-20s FAILED\n", name);
				continue;
			}
			snprintf(res[nres].name, sizeof(res[nres].name), "%s", name);
			res[nres].gbs = (double)st.count / st.elapsed / 1e9;
			printf("%-20s %16.0f %16.2f\n", name, (double)rr.count / rr.elapsed,
			       res[nres].gbs);
			nres++;
			fflush(stdout);
		}
	}
	if (iperf) {
		double ref = iperf3_gbs(seconds);

		if (ref <= 0) {
			printf("iperf3: not run (not installed? scripts/deps.sh installs it)\n");
			return 0;
		}
		printf("%-20s %16s %16.2f\n", "iperf3", "-", ref);
		for (int i = 0; i < nres; i++)
			printf("ratio %s / iperf3 (stream): %.2f\n", res[i].name, res[i].gbs / ref);
	}
	return 0;
}
