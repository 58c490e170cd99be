/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt mode: each thread can expose an epoll fd wrapping an eventfd
 * (messages, pending work) and a timerfd (next timed poller), so an outside
 * event loop sleeps until the thread has something to do.
 *
 * Cost model: nothing is set up until sio_thread_get_interrupt_fd() is
 * called. Afterwards a producer writes the eventfd only when it finds the
 * thread marked sleeping, i.e. once per sleep, not once per message; a
 * thread that keeps finding work makes no syscall at all.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "thread_internal.h"

static void drain_fd(int fd)
{
	uint64_t v;

	/* Non-blocking: EAGAIN just means nobody wrote. */
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/*
 * Reads efd only while a write we know of has not been consumed: a read()
 * per poll would be a syscall per reactor turn (per I/O at queue depth 1).
 * Every write to efd is counted in in->owed by the poller (see struct
 * thread_intr), so owed == 0 means efd is not readable and stays so until
 * the next counted write.
 */
static void efd_drain(struct thread_intr *in)
{
	uint64_t v;
	ssize_t n;

	if (in->owed == 0)
		return;
	do {
		n = read(in->efd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(v))
		return; /* not landed yet: the writer is between its flip and write() */
	/* One read takes every write that landed so far. */
	in->owed = v >= in->owed ? 0 : in->owed - (uint32_t)v;
}

/* Makes efd readable on the poller's own behalf. */
static void efd_keep(struct thread_intr *in)
{
	eventfd_write(in->efd, 1);
	in->owed++;
	in->kept = true;
}

static void intr_close(struct thread_intr *in)
{
	if (in->epfd >= 0)
		close(in->epfd);
	if (in->efd >= 0)
		close(in->efd);
	if (in->tfd >= 0)
		close(in->tfd);
	free(in);
}

/* Caller holds the registry lock (t->wake_fds). */
static int intr_open(struct sio_thread *t, struct thread_intr **out)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct thread_intr *in;
	int rc;

	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return -ENOMEM;
	in->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	in->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	in->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (in->efd < 0 || in->tfd < 0 || in->epfd < 0)
		goto err;
	ev.data.fd = in->efd;
	if (epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->efd, &ev) != 0)
		goto err;
	ev.data.fd = in->tfd;
	if (epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->tfd, &ev) != 0)
		goto err;
	/* Pollers that set their fd before interrupt mode began. */
	for (uint32_t i = 0; i < t->n_wake_fds; i++) {
		ev.data.fd = t->wake_fds[i];
		if (epoll_ctl(in->epfd, EPOLL_CTL_ADD, t->wake_fds[i], &ev) != 0)
			goto err;
	}
	/* sio_thread_get_interrupt_fd() writes efd once published; the first
	 * poll drains it. Not armed: `sleeping` is still false, and counting
	 * that as a producer's flip would leave owed stuck above zero. */
	in->owed = 1;
	*out = in;
	return 0;
err:
	rc = -errno;
	intr_close(in);
	return rc;
}

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

static void barrier_register(void)
{
	membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

/*
 * Senders skip the wake-up fence while a thread has no interrupt fd (see
 * thread_wake()). A sender that read intr == NULL may still hold its message
 * in its core's store buffer; membarrier() runs a full barrier on every
 * thread of the process, after which every such message is visible. Costs
 * one syscall per thread switched to interrupt mode.
 */
static void intr_barrier(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, barrier_register);
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 ||
	    membarrier(MEMBARRIER_CMD_GLOBAL) == 0)
		return;
	/* No membarrier (old or restricted kernel): store buffers drain in
	 * far less than a millisecond. */
	SIO_WARNLOG("membarrier() unavailable (%d); waiting 1 ms instead", errno);
	usleep(1000);
}

int sio_thread_get_interrupt_fd(struct sio_thread *thread)
{
	struct thread_intr *in;
	int rc;

	if (thread == NULL)
		return -EINVAL;
	in = atomic_load_explicit(&thread->intr, memory_order_acquire);
	if (in != NULL)
		return in->epfd;
	thread_registry_lock(); /* serialises two first callers */
	in = atomic_load_explicit(&thread->intr, memory_order_acquire);
	if (in == NULL) {
		rc = intr_open(thread, &in);
		if (rc != 0) {
			thread_registry_unlock();
			SIO_ERRLOG("thread %s: cannot set up its interrupt fd: %d", thread->name, rc);
			return rc;
		}
		/* Release pairs with the acquire loads in sio_thread_poll() and
		 * thread_wake(): they see the fds and the initial armed state. */
		atomic_store_explicit(&thread->intr, in, memory_order_release);
		intr_barrier();
		/* After the barrier: a poller that armed and slept before it
		 * (missing such a message) is woken now and finds it. */
		eventfd_write(in->efd, 1);
	}
	thread_registry_unlock();
	return in->epfd;
}

void thread_intr_poll_begin(struct sio_thread *t, struct thread_intr *in)
{
	/*
	 * Only a producer that flips `sleeping` from true to false writes efd
	 * (thread_wake()), exactly once per flip, and only we set it back to
	 * true (thread_intr_poll_end()). So while we are armed, sleeping ==
	 * false means one producer flipped it and has written or is about to
	 * write efd: we count that write in owed and disarm. A write that lands
	 * after efd_drain() stays counted and is drained by a later poll (it
	 * only makes efd readable: at worst one spurious wake-up, never a lost
	 * one, as the message it announces was published before the flip).
	 *
	 * Still true: nobody woke us and we stay armed through this poll, so
	 * an idle thread pays one load here instead of a locked exchange plus
	 * a store and a fence at the end. A producer that publishes from now
	 * on still flips it and writes efd; thread_intr_poll_end() notices.
	 *
	 * Acquire: the producer's flip follows its seq_cst fence, itself after
	 * its ring publish, so seeing the flip makes that message visible to
	 * the thread_run_msgs() that follows.
	 */
	if (in->armed && !atomic_load_explicit(&t->sleeping, memory_order_acquire)) {
		in->armed = false;
		in->owed++;
	}
	/* While kept, efd must stay readable: thread_intr_poll_end() drains
	 * it, with anything owed, once the work is done. */
	if (!in->kept)
		efd_drain(in);
	if (in->timer_at != 0 && t->poll_now >= in->timer_at) {
		drain_fd(in->tfd);
		in->timer_at = 0; /* one-shot: fired; re-armed at the end if needed */
	}
}

static void timer_arm(struct thread_intr *in, uint64_t at, uint64_t now)
{
	struct itimerspec its = {0};

	if (at != 0) {
		uint64_t us = at > now ? sio_ticks_to_us(at - now) + 1 : 1;

		its.it_value.tv_sec = (time_t)(us / 1000000);
		its.it_value.tv_nsec = (long)(us % 1000000) * 1000;
	}
	/* Also clears a pending expiry, so the fd stops being readable. */
	timerfd_settime(in->tfd, 0, &its, NULL);
	in->timer_at = at;
}

void thread_intr_poll_end(struct sio_thread *t, struct thread_intr *in, uint64_t now)
{
	uint64_t next = thread_next_timed(t);
	bool work;

	if (next != in->timer_at)
		timer_arm(in, next, now);
	/* Fd-woken pollers are not work: their fd wakes the epoll set itself. */
	/* A message still being published is not work: its producer wakes us
	 * after publishing it (thread_wake()), so waiting for it awake would
	 * only spin, for as long as that producer is off its CPU. */
	work = thread_n_awake(t) != 0 || thread_has_ready_msgs(t) || (next != 0 && next <= now);
	if (in->armed) {
		/*
		 * Armed through the whole poll (see thread_intr_poll_begin()):
		 * sleeping has stayed true since the fence of an earlier poll's
		 * end, so every message published since then either was seen
		 * above or comes with an efd write. Nothing to redo.
		 */
		if (!work && atomic_load_explicit(&t->sleeping, memory_order_relaxed))
			return;
		/* Work to stay awake for, or a producer flipped it meanwhile:
		 * take it back; a flip we did not make owes a write. */
		in->armed = false;
		if (!atomic_exchange_explicit(&t->sleeping, false, memory_order_acquire))
			in->owed++;
	}
	if (work) {
		/* Stay readable until the work is done; one write suffices. */
		if (!in->kept)
			efd_keep(in);
		return;
	}
	if (in->kept) {
		efd_drain(in);
		in->kept = false;
	}
	atomic_store_explicit(&t->sleeping, true, memory_order_relaxed);
	/* Pairs with the fence in thread_wake(): either a producer sees
	 * sleeping == true and writes efd, or we see its message here. */
	atomic_thread_fence(memory_order_seq_cst);
	if (thread_has_ready_msgs(t)) {
		if (atomic_exchange_explicit(&t->sleeping, false, memory_order_relaxed)) {
			/* No producer took the wake-up: make ourselves readable. */
			efd_keep(in);
			return;
		}
		/* A producer flipped it and writes efd (maybe already has);
		 * the next thread_intr_poll_begin() sees sleeping == false
		 * and counts that write. */
	}
	in->armed = true;
}

void thread_intr_fini(struct sio_thread *t)
{
	struct thread_intr *in = atomic_load(&t->intr);

	if (in != NULL) {
		atomic_store(&t->intr, NULL);
		intr_close(in);
	}
	free(t->wake_fds);
	t->wake_fds = NULL;
	t->n_wake_fds = 0;
}

int thread_intr_fd_add(struct sio_thread *t, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	struct thread_intr *in;
	int rc = 0;

	thread_registry_lock();
	if (t->n_wake_fds == t->cap_wake_fds) {
		uint32_t cap = t->cap_wake_fds != 0 ? t->cap_wake_fds * 2 : 4;
		int *fds = realloc(t->wake_fds, cap * sizeof(*fds));

		if (fds == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		t->wake_fds = fds;
		t->cap_wake_fds = cap;
	}
	/* Under the lock, intr cannot appear between this load and the add:
	 * sio_thread_get_interrupt_fd() creates it under the same lock and
	 * then joins every fd of the list. */
	in = atomic_load_explicit(&t->intr, memory_order_acquire);
	if (in != NULL && epoll_ctl(in->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		rc = -errno;
		goto out;
	}
	t->wake_fds[t->n_wake_fds++] = fd;
out:
	thread_registry_unlock();
	return rc;
}

void thread_intr_fd_del(struct sio_thread *t, int fd)
{
	struct thread_intr *in;

	thread_registry_lock();
	for (uint32_t i = 0; i < t->n_wake_fds; i++) {
		if (t->wake_fds[i] == fd) {
			t->wake_fds[i] = t->wake_fds[--t->n_wake_fds];
			break;
		}
	}
	in = atomic_load_explicit(&t->intr, memory_order_acquire);
	if (in != NULL)
		epoll_ctl(in->epfd, EPOLL_CTL_DEL, fd, NULL);
	thread_registry_unlock();
}

uint64_t sio_thread_next_timeout_us(struct sio_thread *thread)
{
	uint64_t next, now, d, us;

	if (thread == NULL)
		return UINT64_MAX;
	/* A message still being published comes with a wake-up of the
	 * interrupt fd, if there is one to wake. */
	if (thread_n_awake(thread) != 0 ||
	    (atomic_load_explicit(&thread->intr, memory_order_acquire) != NULL
		     ? thread_has_ready_msgs(thread)
		     : thread_has_msgs(thread)))
		return 0;
	next = thread_next_timed(thread);
	if (next == 0)
		return UINT64_MAX;
	now = thread_now();
	if (next <= now)
		return 0;
	d = next - now;
	us = sio_ticks_to_us(d);
	/* Round up: waking early would find nothing due and spin once more. */
	if (sio_us_to_ticks(us) < d)
		us++;
	return us;
}
