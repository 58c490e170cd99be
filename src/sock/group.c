/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sock groups: the sockets of one sio_thread, polled together.
 *
 * A group holds one part per implementation in use (struct
 * sock_group_impl), each polled with one system call. Its poller is woken
 * by an fd in interrupt mode (sio_poller_set_interrupt_fd()): an epoll set
 * holding every part's fd, so a thread driven by an outside loop sleeps
 * until a socket is ready. Queued requests have a second poller, paused
 * while nothing waits, so a request queued after the group's poll in a
 * turn still goes out in the next one instead of waiting for a wake-up that
 * no fd would give.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sock_internal.h"

/* Events taken per sio_sock_group_poll(); the poller uses it too. */
#define GROUP_POLL_EVENTS 32
/* Upper bound of one poll's events (the stack array). */
#define GROUP_POLL_EVENTS_MAX 512

/* Hands queued requests to the kernel; returns how many sockets had some. */
static int group_flush(struct sio_sock_group *group)
{
	struct sio_sock *sock;
	int n = 0;

	while ((sock = TAILQ_FIRST(&group->flush_list)) != NULL) {
		TAILQ_REMOVE(&group->flush_list, sock, flush_link);
		sock->on_flush_list = false;
		sock->ops->flush(sock);
		n++;
		/* A callback inside flush may have closed or moved it. */
		if (sock->group != group || sock->closed)
			continue;
		if (!sock_req_list_empty(&sock->queue) && sock->err == 0 &&
		    sock->ops->group_want_send != NULL)
			sock->ops->group_want_send(sock->gimpl, sock, true);
	}
	return n;
}

static bool group_pending(struct sio_sock_group *group)
{
	struct sock_group_impl *gi;
	bool pending = false;

	/* Every part is asked: the question also ends its poll (submits). */
	TAILQ_FOREACH(gi, &group->impls, link)
		if (gi->ops->group_pending != NULL && gi->ops->group_pending(gi))
			pending = true;
	return pending;
}

static int group_poller_fn(void *ctx);

/*
 * Runs only while paused is not enough: requests were queued outside the
 * group's poll, or a poll left work no fd announces. It pauses itself
 * first; whatever it leaves pending resumes it again.
 *
 * Queued requests only need a flush (and the implementations' submit), not
 * a whole poll: the group's own poller runs on every turn of the thread
 * anyway, and its epoll_wait() here was a second one per turn for every
 * turn in which a response was queued from outside a poll (the target's
 * bdev completions: ~1 us each on the benchmark VM, a few % of a 128 KiB
 * read). A whole poll only when the last poll left work no fd announces.
 */
static int flush_poller_fn(void *ctx)
{
	struct sio_sock_group *group = ctx;

	sio_poller_pause(group->flush_poller);
	if (group->polling)
		return SIO_POLLER_IDLE;
	if (group->need_poll) {
		group->need_poll = false;
		return group_poller_fn(group);
	}
	if (TAILQ_EMPTY(&group->flush_list))
		return SIO_POLLER_IDLE;
	group->polling = true;
	group_flush(group);
	group->polling = false;
	if (group_pending(group)) {
		group->need_poll = true;
		sio_poller_resume(group->flush_poller);
	}
	return SIO_POLLER_BUSY;
}

void sock_group_kick(struct sio_sock *sock)
{
	struct sio_sock_group *group = sock->group;

	if (sock->on_flush_list)
		return;
	sock->on_flush_list = true;
	TAILQ_INSERT_TAIL(&group->flush_list, sock, flush_link);
	if (!group->polling)
		sio_poller_resume(group->flush_poller);
}

static void zombies_reap(struct sio_sock_group *group)
{
	struct sio_sock *sock, *next;

	for (sock = TAILQ_FIRST(&group->zombies); sock != NULL; sock = next) {
		next = TAILQ_NEXT(sock, link);
		if (sock->dispatching != NULL)
			continue;
		if (sock->ops->busy != NULL && sock->ops->busy(sock))
			continue;
		TAILQ_REMOVE(&group->zombies, sock, link);
		sock_free(sock);
	}
}

int sio_sock_group_poll_count(struct sio_sock_group *group, int max_events)
{
	struct sock_event ev[GROUP_POLL_EVENTS_MAX];
	struct sock_group_impl *gi;
	int n = 0, calls = 0, flushed, rc;

	if (group == NULL || max_events < 1)
		return -EINVAL;
	if (group->polling)
		return -EBUSY;
	if (max_events > GROUP_POLL_EVENTS_MAX)
		max_events = GROUP_POLL_EVENTS_MAX;
	group->polling = true;
	flushed = group_flush(group);
	TAILQ_FOREACH(gi, &group->impls, link) {
		if (n == max_events)
			break;
		rc = gi->ops->group_poll(gi, max_events - n, ev + n);
		if (rc > 0)
			n += rc;
	}
	for (int i = 0; i < n; i++) {
		struct sio_sock *sock = ev[i].sock;

		if (sock->closed)
			continue;
		if (ev[i].flags & SOCK_EV_ERRQUEUE)
			sock_zcopy_reap(sock);
		if ((ev[i].flags & SOCK_EV_WRITE) && !sock->closed) {
			sock->ops->flush(sock);
			if (!sock->closed && sock->group == group &&
			    (sock_req_list_empty(&sock->queue) || sock->err != 0) &&
			    sock->ops->group_want_send != NULL)
				sock->ops->group_want_send(sock->gimpl, sock, false);
		}
		/* Removed from the group by an earlier callback: not ours. */
		if ((ev[i].flags & SOCK_EV_READ) && !sock->closed && sock->group == group) {
			sock->cb(sock->cb_arg, group, sock);
			calls++;
		}
	}
	for (int i = 0; i < n; i++)
		ev[i].sock->dispatching = NULL;
	/* Requests queued by the callbacks go out in this same poll. */
	flushed += group_flush(group);
	group->flushed = flushed;
	if (!TAILQ_EMPTY(&group->zombies))
		zombies_reap(group);
	group->polling = false;
	/* Work no fd will announce: stay awake through the flush poller. */
	if (group_pending(group)) {
		group->need_poll = true;
		sio_poller_resume(group->flush_poller);
	}
	group->polls++;
	if (calls == 0)
		group->idle_polls++;
	return calls;
}

int sio_sock_group_get_poll_stats(const struct sio_sock_group *group, uint64_t *polls,
				  uint64_t *idle_polls)
{
	if (group == NULL || polls == NULL || idle_polls == NULL)
		return -EINVAL;
	*polls = group->polls;
	*idle_polls = group->idle_polls;
	return 0;
}

int sio_sock_group_poll(struct sio_sock_group *group)
{
	return sio_sock_group_poll_count(group, GROUP_POLL_EVENTS);
}

/*
 * Busy when a callback ran or queued requests went to the kernel: a poll
 * whose only work was a send (an NVMe/TCP target's responses, queued by its
 * bdev completions, are most of its CPU on reads) is work in the thread's
 * busy/idle statistics, not an idle poll.
 */
static int group_poller_fn(void *ctx)
{
	struct sio_sock_group *group = ctx;
	int rc = sio_sock_group_poll(group);

	return rc > 0 || (rc == 0 && group->flushed > 0) ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

struct sio_sock_group *sio_sock_group_create(void *ctx)
{
	struct sio_sock_group *group;
	struct sio_thread *t = sio_thread_get_current();
	int rc;

	if (t == NULL) {
		errno = EPERM;
		return NULL;
	}
	group = calloc(1, sizeof(*group));
	if (group == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	group->thread = t;
	group->ctx = ctx;
	TAILQ_INIT(&group->impls);
	TAILQ_INIT(&group->flush_list);
	TAILQ_INIT(&group->zombies);
	group->intr_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (group->intr_epfd < 0) {
		rc = errno;
		goto err;
	}
	group->poller = sio_poller_register_named("sock_group", group_poller_fn, group, 0);
	if (group->poller == NULL) {
		rc = errno;
		goto err_fd;
	}
	group->flush_poller = sio_poller_register_named("sock_group_flush", flush_poller_fn,
							group, 0);
	if (group->flush_poller == NULL) {
		rc = errno;
		goto err_poller;
	}
	sio_poller_pause(group->flush_poller);
	rc = -sio_poller_set_interrupt_fd(group->poller, group->intr_epfd);
	if (rc != 0)
		goto err_flush;
	return group;
err_flush:
	sio_poller_unregister(&group->flush_poller);
err_poller:
	sio_poller_unregister(&group->poller);
err_fd:
	close(group->intr_epfd);
err:
	free(group);
	errno = rc;
	return NULL;
}

void *sio_sock_group_get_ctx(struct sio_sock_group *group)
{
	return group != NULL ? group->ctx : NULL;
}

static struct sock_group_impl *gimpl_get(struct sio_sock_group *group,
					 const struct sio_sock_impl_ops *ops, int *rc)
{
	struct sock_group_impl *gi;
	struct epoll_event ev = {.events = EPOLLIN};

	TAILQ_FOREACH(gi, &group->impls, link)
		if (gi->ops == ops)
			return gi;
	gi = calloc(1, ops->group_size);
	if (gi == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	gi->ops = ops;
	gi->group = group;
	TAILQ_INIT(&gi->socks);
	*rc = ops->group_init(gi);
	if (*rc != 0) {
		free(gi);
		return NULL;
	}
	ev.data.ptr = gi;
	if (epoll_ctl(group->intr_epfd, EPOLL_CTL_ADD, ops->group_fd(gi), &ev) != 0) {
		*rc = -errno;
		ops->group_fini(gi);
		free(gi);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&group->impls, gi, link);
	return gi;
}

int sio_sock_group_add_sock(struct sio_sock_group *group, struct sio_sock *sock,
			    sio_sock_cb cb, void *cb_arg)
{
	struct sock_group_impl *gi;
	int rc = 0;

	if (group == NULL || sock == NULL || cb == NULL || sock->closed)
		return -EINVAL;
	if (sock->group != NULL || sock->wait != NULL)
		return -EBUSY;
	gi = gimpl_get(group, sock->ops, &rc);
	if (gi == NULL)
		return rc;
	sock->group = group;
	sock->gimpl = gi;
	sock->cb = cb;
	sock->cb_arg = cb_arg;
	rc = gi->ops->group_add(gi, sock);
	if (rc != 0) {
		sock->group = NULL;
		sock->gimpl = NULL;
		return rc;
	}
	TAILQ_INSERT_TAIL(&gi->socks, sock, link);
	gi->n_socks++;
	group->n_socks++;
	/* Requests queued while it was in no group. */
	if (!sock_req_list_empty(&sock->queue))
		sock_group_kick(sock);
	return 0;
}

void sock_group_detach(struct sio_sock *sock)
{
	struct sio_sock_group *group = sock->group;
	struct sock_group_impl *gi = sock->gimpl;

	if (sock->on_flush_list) {
		TAILQ_REMOVE(&group->flush_list, sock, flush_link);
		sock->on_flush_list = false;
	}
	gi->ops->group_remove(gi, sock);
	TAILQ_REMOVE(&gi->socks, sock, link);
	gi->n_socks--;
	group->n_socks--;
	sock->group = NULL;
	sock->gimpl = NULL;
	sock->cb = NULL;
	sock->cb_arg = NULL;
}

int sio_sock_group_remove_sock(struct sio_sock_group *group, struct sio_sock *sock)
{
	if (group == NULL || sock == NULL)
		return -EINVAL;
	if (sock->group != group)
		return -ENOENT;
	sock_group_detach(sock);
	return 0;
}

void sock_group_adopt_zombie(struct sio_sock_group *group, struct sio_sock *sock)
{
	TAILQ_INSERT_TAIL(&group->zombies, sock, link);
}

int sio_sock_group_close(struct sio_sock_group **pgroup)
{
	struct sio_sock_group *group;
	struct sock_group_impl *gi;
	struct sio_sock *sock;

	if (pgroup == NULL)
		return -EINVAL;
	group = *pgroup;
	if (group == NULL)
		return 0;
	if (group->polling || group->n_socks != 0)
		return -EBUSY;
	/*
	 * Closed sockets whose buffers the kernel still holds: poll a little
	 * for the releases (loopback frees them as soon as the peer reads,
	 * typically within a few ms), then give them up: the callbacks run
	 * with -ECANCELED and the data still queued in the kernel is dropped
	 * by the implementation's teardown.
	 */
	for (int i = 0; i < 200 && !TAILQ_EMPTY(&group->zombies); i++) {
		sio_sock_group_poll(group);
		if (!TAILQ_EMPTY(&group->zombies))
			usleep(500);
	}
	*pgroup = NULL;
	sio_poller_unregister(&group->poller);
	sio_poller_unregister(&group->flush_poller);
	/* Implementations first: their teardown stops what the kernel still
	 * does with the zombies' memory (io_uring requests in flight). */
	while ((gi = TAILQ_FIRST(&group->impls)) != NULL) {
		TAILQ_REMOVE(&group->impls, gi, link);
		epoll_ctl(group->intr_epfd, EPOLL_CTL_DEL, gi->ops->group_fd(gi), NULL);
		gi->ops->group_fini(gi);
		free(gi);
	}
	while ((sock = TAILQ_FIRST(&group->zombies)) != NULL) {
		TAILQ_REMOVE(&group->zombies, sock, link);
		SIO_WARNLOG("sock group: closed socket still held by the kernel, dropped");
		sock_req_fail_all(&sock->held, -ECANCELED);
		sock_free(sock);
	}
	close(group->intr_epfd);
	free(group);
	return 0;
}
