/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waiting for one socket outside a group: sio_sock_wait() and the
 * awaitables built on it (connect, accept).
 *
 * A wait is a poller of the calling thread over a private epoll set holding
 * the socket with the events asked for: one epoll_wait(0) per thread turn,
 * and in interrupt mode the set's fd wakes the thread
 * (sio_poller_set_interrupt_fd()), so a task parked in accept does not keep
 * it spinning. Waits are for connection set-up, not the data path: each
 * costs an allocation and two system calls to start.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "async/await_inline.h"
#include "sock_internal.h"

struct sock_wait {
	struct sio_sock *sock;
	struct sio_poller *poller;
	int epfd;
	sio_done_cb cb;
	void *cb_arg;
};

/* Frees @w and detaches it; the caller then runs the callback. */
static void wait_end(struct sock_wait *w)
{
	w->sock->wait = NULL;
	sio_poller_unregister(&w->poller);
	close(w->epfd);
	free(w);
}

static int wait_poller_fn(void *ctx)
{
	struct sock_wait *w = ctx;
	struct epoll_event ev;
	sio_done_cb cb = w->cb;
	void *cb_arg = w->cb_arg;

	if (epoll_wait(w->epfd, &ev, 1, 0) != 1)
		return SIO_POLLER_IDLE;
	wait_end(w);
	cb(cb_arg, 0);
	return SIO_POLLER_BUSY;
}

void sock_wait_cancel(struct sio_sock *sock, int rc)
{
	struct sock_wait *w = sock->wait;
	sio_done_cb cb = w->cb;
	void *cb_arg = w->cb_arg;

	wait_end(w);
	cb(cb_arg, rc);
}

int sio_sock_wait(struct sio_sock *sock, unsigned int events, sio_done_cb cb, void *cb_arg)
{
	struct epoll_event ev = {0};
	struct sock_wait *w;
	int rc;

	if (sock == NULL || cb == NULL || events == 0 ||
	    (events & ~(unsigned int)(SIO_SOCK_WAIT_READABLE | SIO_SOCK_WAIT_WRITABLE)) != 0 ||
	    sock->closed)
		return -EINVAL;
	if (sock->group != NULL)
		return -EBUSY;
	if (sock->wait != NULL)
		return -EALREADY;
	if (sio_thread_get_current() == NULL)
		return -EPERM;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->sock = sock;
	w->cb = cb;
	w->cb_arg = cb_arg;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		rc = -errno;
		goto err;
	}
	/* Errors and hang-ups are always reported: they end the wait too. */
	if (events & SIO_SOCK_WAIT_READABLE)
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (events & SIO_SOCK_WAIT_WRITABLE)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, sock->fd, &ev) != 0) {
		rc = -errno;
		goto err_fd;
	}
	w->poller = sio_poller_register_named("sock_wait", wait_poller_fn, w, 0);
	if (w->poller == NULL) {
		rc = -errno;
		goto err_fd;
	}
	rc = sio_poller_set_interrupt_fd(w->poller, w->epfd);
	if (rc != 0)
		goto err_poller;
	sock->wait = w;
	return 0;
err_poller:
	sio_poller_unregister(&w->poller);
err_fd:
	close(w->epfd);
err:
	free(w);
	return rc;
}

int sio_sock_wait_await(struct sio_sock *sock, unsigned int events)
{
	return ASYNC_AWAIT_CALL(sio_sock_wait, sock, events);
}

int sio_sock_connect_await(const char *ip, int port, const struct sio_sock_opts *opts,
			   struct sio_sock **out)
{
	struct sio_sock *sock = NULL;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	/* Checked first: nothing may be started outside a task. */
	if (sio_task_current() == NULL)
		return -EPERM;
	rc = sio_sock_connect(ip, port, opts, &sock);
	if (rc != 0)
		return rc;
	while ((rc = sio_sock_connect_status(sock)) == -EINPROGRESS) {
		rc = sio_sock_wait_await(sock, SIO_SOCK_WAIT_WRITABLE);
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		sio_sock_close(&sock);
		return rc;
	}
	*out = sock;
	return 0;
}

int sio_sock_accept_await(struct sio_sock *listener, struct sio_sock **out)
{
	int rc;

	if (listener == NULL || out == NULL)
		return -EINVAL;
	if (sio_task_current() == NULL)
		return -EPERM;
	for (;;) {
		rc = sio_sock_accept(listener, out);
		if (rc != -EAGAIN)
			return rc;
		/* -ECANCELED: the listener is gone; touch nothing. */
		rc = sio_sock_wait_await(listener, SIO_SOCK_WAIT_READABLE);
		if (rc != 0)
			return rc;
	}
}
