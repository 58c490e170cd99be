/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt mode: a plain epoll loop drives a sio_thread through its
 * interrupt fd, fed by messages from another OS thread and by a timed
 * poller; while idle it must sleep, not spin (process CPU time is checked).
 * Real time here, on purpose: this is what an outside event loop sees.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "env/env_internal.h"       /* env_ring_set_claim_hook() */
#include "spdk_io/thread.h"
#include "thread/thread_internal.h" /* the thread's message ring */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Is @fd readable right now? */
static bool readable(int fd)
{
	struct epoll_event ev;
	int ep = epoll_create1(0), n;

	ev.events = EPOLLIN;
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = epoll_wait(ep, &ev, 1, 0);
	close(ep);
	return n == 1;
}

static void count_msg(void *ctx)
{
	atomic_fetch_add((atomic_int *)ctx, 1);
}

static int busy_poller(void *ctx)
{
	return SIO_POLLER_BUSY;
}

static int count_poller(void *ctx)
{
	atomic_fetch_add((atomic_int *)ctx, 1);
	return SIO_POLLER_BUSY;
}

static void test_fd_readiness(void **state)
{
	struct sio_thread *t;
	struct sio_poller *p;
	atomic_int n = 0;
	int fd;

	sio_thread_set_current(NULL);
	t = sio_thread_attach("intr");
	assert_non_null(t);
	fd = sio_thread_get_interrupt_fd(t);
	assert_true(fd >= 0);
	/* Same fd every time. */
	assert_int_equal(sio_thread_get_interrupt_fd(t), fd);

	/* Fresh fd is readable once (so a loop polls at least once). */
	assert_true(readable(fd));
	sio_thread_poll(t, 0);
	assert_false(readable(fd));

	/* A message makes it readable; polling it away clears it. */
	assert_int_equal(sio_thread_send_msg(t, count_msg, &n), 0);
	assert_true(readable(fd));
	sio_thread_poll(t, 0);
	assert_int_equal(atomic_load(&n), 1);
	assert_false(readable(fd));

	/* Messages left over (max_msgs) keep it readable. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(sio_thread_send_msg(t, count_msg, &n), 0);
	sio_thread_poll(t, 2);
	assert_true(readable(fd));
	sio_thread_poll(t, 0);
	assert_false(readable(fd));
	assert_int_equal(atomic_load(&n), 6);

	/* An active poller keeps it readable; pausing it lets it sleep. */
	p = sio_poller_register(busy_poller, NULL, 0);
	sio_thread_poll(t, 0);
	assert_true(readable(fd));
	sio_thread_poll(t, 0);
	assert_true(readable(fd));
	sio_poller_pause(p);
	sio_thread_poll(t, 0);
	assert_false(readable(fd));
	sio_poller_unregister(&p);

	/* A timed poller: readable only once due. */
	p = sio_poller_register(count_poller, &n, 20000);
	sio_thread_poll(t, 0);
	assert_false(readable(fd));
	assert_true(sio_thread_next_timeout_us(t) <= 20000);
	assert_true(sio_thread_next_timeout_us(t) > 0);
	uint64_t start = now_us();
	struct epoll_event ev;
	int ep = epoll_create1(0);
	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	assert_int_equal(epoll_wait(ep, &ev, 1, 2000), 1);
	uint64_t waited = now_us() - start;
	assert_true(waited >= 15000);
	assert_true(waited < 1000000);
	assert_int_equal(atomic_load(&n), 6);
	sio_thread_poll(t, 0);
	assert_int_equal(atomic_load(&n), 7);
	assert_false(readable(fd));
	close(ep);
	sio_poller_unregister(&p);

	sio_thread_exit(t);
	assert_int_equal(sio_thread_destroy(t), 0);
}

/* ---- sio_poller_set_interrupt_fd(): an fd, not the poller, wakes the thread ---- */

struct fd_poller {
	int efd;
	int runs;
	int drained;
};

/* Drains its eventfd: the work the fd announced is done. */
static int fd_poller_fn(void *ctx)
{
	struct fd_poller *fp = ctx;
	uint64_t v;

	fp->runs++;
	if (read(fp->efd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
		fp->drained++;
		return SIO_POLLER_BUSY;
	}
	return SIO_POLLER_IDLE;
}

static void check_fd_poller(struct sio_thread *t, int fd, struct fd_poller *fp)
{
	/* Registered but its fd quiet: the thread sleeps. */
	sio_thread_poll(t, 0);
	assert_false(readable(fd));
	assert_int_equal(sio_thread_next_timeout_us(t), UINT64_MAX);
	/* Its fd fires: the thread's fd is readable; polling runs it. */
	assert_int_equal(eventfd_write(fp->efd, 1), 0);
	assert_true(readable(fd));
	int drained = fp->drained;
	sio_thread_poll(t, 0);
	assert_int_equal(fp->drained, drained + 1);
	assert_false(readable(fd));
}

static void test_poller_interrupt_fd(void **state)
{
	struct fd_poller fp = {0}, fp2 = {0};
	struct sio_poller *p, *p2;
	struct sio_thread *t;
	int fd;

	sio_thread_set_current(NULL);
	t = sio_thread_attach("intr-fd");
	assert_non_null(t);
	fp.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fp2.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fp.efd >= 0 && fp2.efd >= 0);

	/* Set before interrupt mode: joined when the interrupt fd is made. */
	p = sio_poller_register(fd_poller_fn, &fp, 0);
	assert_non_null(p);
	assert_int_equal(sio_poller_set_interrupt_fd(p, fp.efd), 0);
	assert_int_equal(sio_poller_set_interrupt_fd(p, fp.efd), -EBUSY);
	assert_int_equal(sio_poller_set_interrupt_fd(NULL, fp.efd), -EINVAL);
	assert_int_equal(sio_poller_set_interrupt_fd(p, -2), -EINVAL);
	/* Polling mode: it still runs on every poll. */
	sio_thread_poll(t, 0);
	sio_thread_poll(t, 0);
	assert_int_equal(fp.runs, 2);
	assert_true(sio_thread_has_active_pollers(t));

	fd = sio_thread_get_interrupt_fd(t);
	assert_true(fd >= 0);
	check_fd_poller(t, fd, &fp);

	/* Set after interrupt mode began. */
	p2 = sio_poller_register(fd_poller_fn, &fp2, 0);
	assert_non_null(p2);
	sio_thread_poll(t, 0);
	assert_true(readable(fd)); /* an ordinary active poller keeps it awake */
	assert_int_equal(sio_poller_set_interrupt_fd(p2, fp2.efd), 0);
	sio_thread_poll(t, 0);
	check_fd_poller(t, fd, &fp2);
	check_fd_poller(t, fd, &fp);

	/* Back to an ordinary poller: awake again. */
	assert_int_equal(sio_poller_set_interrupt_fd(p2, -1), 0);
	sio_thread_poll(t, 0);
	assert_true(readable(fd));
	assert_int_equal(sio_thread_next_timeout_us(t), 0);
	sio_poller_unregister(&p2);
	sio_thread_poll(t, 0);
	assert_false(readable(fd));

	/* Unregistered: its fd no longer wakes the thread. */
	sio_poller_unregister(&p);
	sio_thread_poll(t, 0);
	assert_int_equal(eventfd_write(fp.efd, 1), 0);
	assert_false(readable(fd));

	close(fp.efd);
	close(fp2.efd);
	sio_thread_exit(t);
	assert_int_equal(sio_thread_destroy(t), 0);
}

/* ---- epoll loop fed from another OS thread ---- */

#define LOOP_MSGS 2000

struct loop {
	struct sio_thread *t;
	atomic_int msgs;
	atomic_int ticks;
};

static void *sender_main(void *arg)
{
	struct loop *l = arg;

	for (int i = 0; i < LOOP_MSGS; i++) {
		while (sio_thread_send_msg(l->t, count_msg, &l->msgs) == -ENOMEM)
			sched_yield();
		/* Bursts with pauses, so the loop goes to sleep in between. */
		if (i % 50 == 0)
			usleep(1000);
	}
	return NULL;
}

/* One round of the event loop: sleep on the fd at most as long as the
 * thread allows, then poll. Returns the work done. */
static int loop_once(int ep, struct sio_thread *t)
{
	struct epoll_event ev;
	uint64_t us = sio_thread_next_timeout_us(t);
	int timeout_ms = us == UINT64_MAX ? 1000 : (int)((us + 999) / 1000);

	epoll_wait(ep, &ev, 1, timeout_ms);
	return sio_thread_poll(t, 0);
}

/* A thread @name in interrupt mode with a 10 ms timer poller counting into
 * l->ticks, and an epoll set holding its fd (returned). */
static int loop_start(struct loop *l, const char *name, struct sio_poller **timer)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int ep;

	sio_thread_set_current(NULL);
	l->t = sio_thread_attach(name);
	assert_non_null(l->t);
	*timer = sio_poller_register(count_poller, &l->ticks, 10000);
	assert_non_null(*timer);
	ep = epoll_create1(0);
	ev.data.fd = sio_thread_get_interrupt_fd(l->t);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev), 0);
	return ep;
}

static void loop_stop(struct loop *l, struct sio_poller **timer, int ep)
{
	sio_poller_unregister(timer);
	close(ep);
	sio_thread_exit(l->t);
	assert_int_equal(sio_thread_destroy(l->t), 0);
}

static void test_epoll_loop(void **state)
{
	struct loop l = {0};
	struct sio_poller *timer;
	pthread_t sender;
	uint64_t start, cpu0, cpu, wall, polls = 0, empty_polls = 0;
	int ep = loop_start(&l, "epoll-driven", &timer);

	assert_int_equal(pthread_create(&sender, NULL, sender_main, &l), 0);
	start = now_us();
	while (atomic_load(&l.msgs) < LOOP_MSGS) {
		assert_true(now_us() - start < 20000000);
		polls++;
		empty_polls += loop_once(ep, l.t) == 0;
	}
	pthread_join(sender, NULL);
	assert_int_equal(atomic_load(&l.msgs), LOOP_MSGS);
	/* The 10 ms timer kept ticking meanwhile (>= 40 ms passed). */
	assert_true(atomic_load(&l.ticks) >= 1);
	print_message("message phase: %llu polls, %llu empty\n", (unsigned long long)polls,
		      (unsigned long long)empty_polls);
	/*
	 * Woken by messages, not by spinning. A wake can find nothing to do when
	 * a sender's eventfd write lands after the poll that already took its
	 * message: at most one per message, plus the timer's. Runs under TSan
	 * on a loaded machine once saw 1335 of 1558 and 2683 of 3183 polls
	 * empty: a sender preempted between claiming its ring slot and
	 * publishing it, which counted as work and kept the loop spinning
	 * (test_stalled_sender); since the sleep decision ignores such a slot,
	 * 0-1 empty polls in four TSan runs at load 7. A loop spinning through
	 * the 40 one-millisecond pauses polls empty about 100 000 times.
	 */
	assert_true(empty_polls <= LOOP_MSGS + (uint64_t)atomic_load(&l.ticks) + 10);

	/* Idle ~0.5 s with only the timer: ~50 wake-ups, almost no CPU. */
	int ticks0 = atomic_load(&l.ticks);
	cpu0 = cpu_us();
	start = now_us();
	while ((wall = now_us() - start) < 500000)
		loop_once(ep, l.t);
	cpu = cpu_us() - cpu0;
	int ticks = atomic_load(&l.ticks) - ticks0;
	print_message("idle 0.5 s: %llu us CPU over %llu us, %d timer runs\n",
		      (unsigned long long)cpu, (unsigned long long)wall, ticks);
	assert_true(ticks >= 20 && ticks <= 60); /* wake-up latency on a loaded machine */
	/* A spinning loop would burn ~500000 us. */
	assert_true(cpu < 100000);

	loop_stop(&l, &timer, ep);
}

/* ---- lost wake-ups: many senders, a loop that sleeps without timeout ---- */

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define WAKE_MSGS 20000
#else
#define WAKE_MSGS 200000
#endif
#define WAKE_SENDERS 2

static void *burst_sender(void *arg)
{
	struct loop *l = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;

	for (int i = 0; i < WAKE_MSGS / WAKE_SENDERS; i++) {
		while (sio_thread_send_msg(l->t, count_msg, &l->msgs) == -ENOMEM)
			sched_yield();
		/* Irregular bursts: the receiver keeps falling asleep and
		 * waking up, racing every sender. */
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % 64 == 0)
			usleep((seed >> 8) % 50);
	}
	return NULL;
}

static void test_no_lost_wakeup(void **state)
{
	struct loop l = {0};
	struct epoll_event ev = {.events = EPOLLIN};
	pthread_t senders[WAKE_SENDERS];
	uint64_t sleeps = 0, lost = 0;
	int ep;

	sio_thread_set_current(NULL);
	l.t = sio_thread_attach("wake-race");
	assert_non_null(l.t);
	ep = epoll_create1(0);
	ev.data.fd = sio_thread_get_interrupt_fd(l.t);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev), 0);
	for (int i = 0; i < WAKE_SENDERS; i++)
		assert_int_equal(pthread_create(&senders[i], NULL, burst_sender, &l), 0);
	while (atomic_load(&l.msgs) < WAKE_MSGS) {
		/* Nothing else wakes this loop: a missed eventfd write would
		 * leave messages queued while the fd stays unreadable. */
		if (epoll_wait(ep, &ev, 1, 2000) == 0 && sio_thread_poll(l.t, 0) > 0)
			lost++;
		sleeps++;
		while (sio_thread_poll(l.t, 0) > 0)
			;
	}
	for (int i = 0; i < WAKE_SENDERS; i++)
		pthread_join(senders[i], NULL);
	print_message("%d messages, %llu sleeps, %llu lost wake-ups\n", WAKE_MSGS,
		      (unsigned long long)sleeps, (unsigned long long)lost);
	assert_int_equal(lost, 0);
	assert_int_equal(atomic_load(&l.msgs), WAKE_MSGS);
	close(ep);
	sio_thread_exit(l.t);
	assert_int_equal(sio_thread_destroy(l.t), 0);
}

/* ---- a sender stalled between claiming its ring slot and publishing it ---- */

#define STALL_US 200000

static atomic_bool g_stall;

/* The claim hook of the thread's ring: the sender flagged to stall sleeps
 * with its slot claimed and unpublished, as a sender preempted there does. */
static void stall_hook(void *arg)
{
	(void)arg;
	if (atomic_exchange(&g_stall, false))
		usleep(STALL_US);
}

static void *stalled_sender(void *arg)
{
	struct loop *l = arg;

	atomic_store(&g_stall, true);
	assert_int_equal(sio_thread_send_msg(l->t, count_msg, &l->msgs), 0);
	return NULL;
}

/*
 * Its message is counted in the ring (sio_ring_count()) but cannot be taken
 * yet; the sender wakes the thread once it published. Meanwhile the loop
 * must sleep: when the slot counted as work, sio_thread_next_timeout_us()
 * said 0 and the thread kept its fd readable, and the loop polled for
 * nothing for the whole stall (and a timer that woke it mid-stall started
 * the same). The 10 ms timer poller wakes the thread ~20 times meanwhile.
 */
static void test_stalled_sender(void **state)
{
	struct loop l = {0};
	struct sio_poller *timer;
	pthread_t sender;
	uint64_t start, polls = 0, empty = 0;
	int ep = loop_start(&l, "stalled-sender", &timer), ticks;
	env_ring_set_claim_hook(l.t->ring, stall_hook, NULL);
	while (sio_thread_poll(l.t, 0) > 0) /* settle: nothing owed from the setup */
		;
	assert_int_equal(pthread_create(&sender, NULL, stalled_sender, &l), 0);
	start = now_us();
	while (atomic_load(&l.msgs) < 1) {
		assert_true(now_us() - start < 20000000);
		polls++;
		empty += loop_once(ep, l.t) == 0;
	}
	pthread_join(sender, NULL);
	env_ring_set_claim_hook(l.t->ring, NULL, NULL);
	ticks = atomic_load(&l.ticks);
	print_message("stall of %d ms: %llu polls (%llu empty), %d timer ticks\n",
		      STALL_US / 1000, (unsigned long long)polls, (unsigned long long)empty, ticks);
	/* One poll per timer tick and the one that took the message, a few
	 * more for wake-ups that raced; spinning made thousands. */
	assert_true(polls <= (uint64_t)ticks + 10);
	loop_stop(&l, &timer, ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_readiness),
		cmocka_unit_test(test_poller_interrupt_fd),
		cmocka_unit_test(test_epoll_loop),
		cmocka_unit_test(test_no_lost_wakeup),
		cmocka_unit_test(test_stalled_sender),
	};

	return cmocka_run_group_tests_name("thread_interrupt", tests, NULL, NULL);
}
