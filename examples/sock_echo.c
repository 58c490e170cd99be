/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sock_echo: a TCP echo server and its clients, written as tasks.
 *
 * The server accepts with sio_sock_accept_await() and gives each connection
 * a task. Connections sit in one sock group: the group's callback only
 * wakes the connection's task (it completes the future the task parked on),
 * and the task reads and echoes in plain sequential code. The clients use
 * sio_sock_connect_await() and sio_sock_wait_await() without a group.
 *
 * The thread sleeps on its interrupt fd whenever it is idle, so the process
 * uses no CPU between messages.
 *
 * usage: sock_echo [--impl posix|uring] [--clients N] [--messages N]
 *        sock_echo --serve PORT [--impl ...]     (serve until killed)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spdk_io/spdk_io.h>

struct conn {
	struct sio_sock *sock;
	struct sio_future ready;  /* completed by the group callback */
	bool waiting;             /* the task is parked on @ready */
};

static const char *g_impl = "posix";
static struct sio_sock_group *g_group;
static struct sio_sock *g_listener;
static int g_clients = 16, g_messages = 100, g_clients_done, g_errors;

/* Group callback: the socket is readable; wake its task if it waits. */
static void conn_readable(void *arg, struct sio_sock_group *group, struct sio_sock *sock)
{
	struct conn *c = arg;

	if (c->waiting) {
		c->waiting = false;
		sio_future_complete(&c->ready, 0, NULL);
	}
}

/* Parks the task until the group reports the socket readable. */
static void conn_wait(struct conn *c)
{
	sio_future_init(&c->ready);
	c->waiting = true;
	sio_await(&c->ready);
}

/* Writes all of @buf, parking while the send buffer is full. */
static int write_all(struct sio_sock *sock, const char *buf, size_t len)
{
	while (len > 0) {
		struct iovec iov = {(void *)buf, len};
		ssize_t n = sio_sock_writev(sock, &iov, 1);

		if (n == -EAGAIN) {
			/* Not in a group here? wait directly; in one, retry next turn. */
			if (sio_sock_wait_await(sock, SIO_SOCK_WAIT_WRITABLE) == -EBUSY)
				sio_yield();
			continue;
		}
		if (n < 0)
			return (int)n;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int echo_task(void *arg)
{
	struct conn *c = arg;
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = sio_sock_recv(c->sock, buf, sizeof(buf));
		if (n == -EAGAIN) {
			conn_wait(c);
			continue;
		}
		if (n < 0)
			break; /* SIO_SOCK_EOF: the client is done; or an error */
		if (write_all(c->sock, buf, (size_t)n) != 0)
			break;
	}
	sio_sock_close(&c->sock); /* also leaves the group */
	free(c);
	return 0;
}

static int accept_task(void *arg)
{
	for (;;) {
		struct sio_sock *sock;
		struct conn *c;
		int rc = sio_sock_accept_await(g_listener, &sock);

		if (rc == -ECANCELED)
			return 0; /* the listener was closed: we are done */
		if (rc != 0) {
			fprintf(stderr, "accept: %s\n", strerror(-rc));
			continue;
		}
		c = calloc(1, sizeof(*c));
		c->sock = sock;
		sio_sock_group_add_sock(g_group, sock, conn_readable, c);
		sio_task_spawn(NULL, echo_task, c, NULL);
	}
}

static int client_task(void *arg)
{
	uint16_t port = (uint16_t)(uintptr_t)arg;
	struct sio_sock_opts o;
	struct sio_sock *sock;
	char msg[64], echo[64];
	int rc;

	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = g_impl;
	rc = sio_sock_connect_await("127.0.0.1", port, &o, &sock);
	if (rc != 0) {
		fprintf(stderr, "connect: %s\n", strerror(-rc));
		g_errors++;
		g_clients_done++;
		return rc;
	}
	for (int i = 0; i < g_messages && rc == 0; i++) {
		size_t len = (size_t)snprintf(msg, sizeof(msg), "message %d from %p", i, (void *)sock);
		size_t got = 0;

		rc = write_all(sock, msg, len);
		while (rc == 0 && got < len) {
			ssize_t n = sio_sock_recv(sock, echo + got, len - got);

			if (n == -EAGAIN)
				rc = sio_sock_wait_await(sock, SIO_SOCK_WAIT_READABLE);
			else if (n < 0)
				rc = (int)n;
			else
				got += (size_t)n;
		}
		if (rc == 0 && memcmp(msg, echo, len) != 0)
			rc = -EIO;
	}
	if (rc != 0) {
		fprintf(stderr, "client: %s\n", strerror(-rc));
		g_errors++;
	}
	sio_sock_close(&sock);
	if (++g_clients_done == g_clients)
		sio_sock_close(&g_listener); /* releases accept_task */
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"impl", required_argument, NULL, 'i'}, {"clients", required_argument, NULL, 'c'},
		{"messages", required_argument, NULL, 'n'}, {"serve", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'}, {0}};
	struct sio_sock_opts o;
	struct sio_thread *t;
	struct sio_future accepted;
	struct pollfd pfd;
	int serve_port = -1, c;
	uint16_t port;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			g_impl = optarg;
			break;
		case 'c':
			g_clients = atoi(optarg);
			break;
		case 'n':
			g_messages = atoi(optarg);
			break;
		case 's':
			serve_port = atoi(optarg);
			break;
		default:
			printf("usage: %s [--impl posix|uring] [--clients N] [--messages N]\n"
			       "       %s --serve PORT [--impl posix|uring]\n", argv[0], argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!sio_sock_impl_is_available(g_impl)) {
		printf("sock implementation %s unavailable here\n", g_impl);
		return 77;
	}
	t = sio_thread_attach("echo");
	g_group = sio_sock_group_create(NULL);
	sio_sock_opts_init(&o, sizeof(o));
	o.impl_name = g_impl;
	if (t == NULL || g_group == NULL ||
	    sio_sock_listen("127.0.0.1", serve_port > 0 ? serve_port : 0, &o, &g_listener) != 0) {
		fprintf(stderr, "cannot listen\n");
		return 1;
	}
	sio_sock_getaddr(g_listener, NULL, 0, &port, NULL, 0, NULL);
	printf("echo server (%s) on 127.0.0.1:%u\n", g_impl, port);
	sio_task_spawn(NULL, accept_task, NULL, &accepted);
	if (serve_port < 0) {
		for (int i = 0; i < g_clients; i++)
			sio_task_spawn(NULL, client_task, (void *)(uintptr_t)port, NULL);
	}
	/* Run until the accept task ends; sleep whenever the thread is idle. */
	pfd.fd = sio_thread_get_interrupt_fd(t);
	pfd.events = POLLIN;
	while (!sio_future_is_done(&accepted)) {
		if (sio_thread_poll(t, 0) == 0)
			poll(&pfd, 1, 100);
	}
	/* Echo tasks see EOF and close their sockets. */
	while (sio_sock_group_close(&g_group) == -EBUSY)
		sio_thread_poll(t, 0);
	printf("%d clients x %d messages echoed, %d errors\n", g_clients, g_messages, g_errors);
	sio_thread_exit(t);
	while (!sio_thread_is_exited(t))
		sio_thread_poll(t, 0);
	sio_thread_set_current(NULL);
	sio_thread_destroy(t);
	return g_errors != 0;
}
