/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "posix" implementation: plain system calls on the data path, an
 * epoll set per group part (one epoll_wait(0) per poll), optional
 * MSG_ZEROCOPY sends with their release notifications read from the
 * socket's error queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sock_internal.h"

struct posix_sock {
	struct sio_sock base;
	uint32_t events; /* epoll interest now registered */
};

struct posix_group {
	struct sock_group_impl base;
	int epfd;
};

/* Upper bound of one epoll_wait() (stack array). */
#define POSIX_EVENTS_MAX 512

static ssize_t posix_readv(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	return sock_readv_syscall(sock, iov, iovcnt);
}

static int posix_flush(struct sio_sock *sock)
{
	int rc = sock_flush_sendmsg(sock);

	if (!sock_req_list_empty(&sock->held))
		sock_zcopy_reap(sock);
	return rc;
}

static bool posix_busy(struct sio_sock *sock)
{
	if (sock_req_list_empty(&sock->held))
		return false;
	sock_zcopy_reap(sock);
	return !sock_req_list_empty(&sock->held);
}

/* Close: a request partly sent with MSG_ZEROCOPY has pages the kernel holds. */
static void posix_sock_fini(struct sio_sock *sock)
{
	struct sio_sock_request *req = sock->queue.head;

	if (req != NULL && req->internal.zcopy && req->internal.offset > 0) {
		sock_req_pop(&sock->queue);
		req->internal.state = SOCK_REQ_HELD;
		sock_req_append(&sock->held, req);
	}
}

static int posix_group_init(struct sock_group_impl *g)
{
	struct posix_group *pg = (struct posix_group *)g;

	pg->epfd = epoll_create1(EPOLL_CLOEXEC);
	return pg->epfd >= 0 ? 0 : -errno;
}

static int posix_group_fd(struct sock_group_impl *g)
{
	return ((struct posix_group *)g)->epfd;
}

static int posix_group_add(struct sock_group_impl *g, struct sio_sock *sock)
{
	struct posix_group *pg = (struct posix_group *)g;
	struct posix_sock *ps = (struct posix_sock *)sock;
	/* Level-triggered: a callback that leaves data unread is called again. */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = sock};

	if (epoll_ctl(pg->epfd, EPOLL_CTL_ADD, sock->fd, &ev) != 0)
		return -errno;
	ps->events = ev.events;
	return 0;
}

static int posix_group_remove(struct sock_group_impl *g, struct sio_sock *sock)
{
	struct posix_group *pg = (struct posix_group *)g;

	return epoll_ctl(pg->epfd, EPOLL_CTL_DEL, sock->fd, NULL) == 0 ? 0 : -errno;
}

static void posix_group_want_send(struct sock_group_impl *g, struct sio_sock *sock, bool want)
{
	struct posix_group *pg = (struct posix_group *)g;
	struct posix_sock *ps = (struct posix_sock *)sock;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0),
				 .data.ptr = sock};

	if (ev.events == ps->events)
		return;
	if (epoll_ctl(pg->epfd, EPOLL_CTL_MOD, sock->fd, &ev) == 0)
		ps->events = ev.events;
}

static int posix_group_poll(struct sock_group_impl *g, int max, struct sock_event *out)
{
	struct posix_group *pg = (struct posix_group *)g;
	struct epoll_event ev[POSIX_EVENTS_MAX];
	int n;

	if (max > POSIX_EVENTS_MAX)
		max = POSIX_EVENTS_MAX;
	n = epoll_wait(pg->epfd, ev, max, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct sio_sock *sock = ev[i].data.ptr;
		uint32_t e = ev[i].events, f = 0;

		/* EPOLLERR alone on a socket with zero-copy sends in flight is
		 * the release notification; a real error comes with HUP. */
		if (e & EPOLLERR) {
			if (!sock_req_list_empty(&sock->held))
				f |= SOCK_EV_ERRQUEUE;
			else
				f |= SOCK_EV_READ | SOCK_EV_WRITE;
		}
		if (e & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
			f |= SOCK_EV_READ;
		if (e & (EPOLLOUT | EPOLLHUP))
			f |= SOCK_EV_WRITE;
		out[i].sock = sock;
		out[i].flags = f;
		sock->dispatching = g->group;
	}
	return n;
}

static void posix_group_fini(struct sock_group_impl *g)
{
	close(((struct posix_group *)g)->epfd);
}

const struct sio_sock_impl_ops sio_sock_impl_posix = {
	.name = "posix",
	.sock_size = sizeof(struct posix_sock),
	.group_size = sizeof(struct posix_group),
	.available = NULL,
	.readv = posix_readv,
	.flush = posix_flush,
	.busy = posix_busy,
	.sock_fini = posix_sock_fini,
	.group_init = posix_group_init,
	.group_fd = posix_group_fd,
	.group_add = posix_group_add,
	.group_remove = posix_group_remove,
	.group_want_send = posix_group_want_send,
	.group_poll = posix_group_poll,
	.group_fini = posix_group_fini,
};
