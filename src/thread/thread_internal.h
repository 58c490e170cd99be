/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the files of the thread layer (thread.c, msg.c,
 * poller.c, io_channel.c, interrupt.c, os_thread.c). Not installed. Unit
 * tests may include it to reach the test hooks at the bottom.
 */
#ifndef SIO_THREAD_INTERNAL_H
#define SIO_THREAD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/thread.h"

/* Log component of this layer, for SIO_DEBUGLOG("thread", ...). */
#define THREAD_LOG_FLAG "thread"

#ifndef TAILQ_FOREACH_SAFE /* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                          \
	for ((var) = TAILQ_FIRST(head); (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1); \
	     (var) = (tvar))
#endif

#define THREAD_NAME_MAX 64
#define POLLER_NAME_MAX 64

/* Messages taken from the ring per dequeue: large enough to amortise the
 * ring's atomics, small enough that pollers are not starved. */
#define THREAD_MSG_BATCH 32
/* Slots of each thread's message ring. 512 KiB of pointers per thread. */
#define THREAD_RING_SIZE 65536
/* Message objects shared by all threads (64 bytes each: 8 MiB). */
#define THREAD_MSG_POOL_SIZE 131072

/* A message in flight: the object the ring carries. */
struct thread_msg {
	sio_msg_fn fn;
	void *ctx;
};

/* A message that could not be queued on the ring (full) but must not be
 * lost: internal deliveries (channel destroy, for-each hops, unregister
 * completions) go to a mutex-protected overflow list instead. */
struct thread_overflow_msg {
	sio_msg_fn fn;
	void *ctx;
	TAILQ_ENTRY(thread_overflow_msg) link;
};

/* Life of a thread. */
enum thread_state {
	THREAD_STATE_RUNNING, /* normal operation */
	THREAD_STATE_EXITING, /* exit asked; waits for its pollers and channels to go */
	THREAD_STATE_EXITED,  /* owns nothing any more; may be destroyed */
};

/* What the owner last asked of a poller. */
enum poller_state {
	POLLER_STATE_WAITING,      /* registered, runs when due */
	POLLER_STATE_PAUSED,       /* registered, does not run until resumed */
	POLLER_STATE_UNREGISTERED, /* unregistered while its list was in use; freed later */
};

/* Which list of its thread a poller sits on. */
enum poller_list {
	POLLER_LIST_NONE,   /* taken off while its timed callback runs */
	POLLER_LIST_ACTIVE, /* runs on every poll */
	POLLER_LIST_TIMED,  /* sorted by next_run */
	POLLER_LIST_PAUSED, /* not run */
};

struct sio_poller {
	TAILQ_ENTRY(sio_poller) link;
	struct sio_thread *thread;
	sio_poller_fn fn;
	void *ctx;
	uint64_t period_ticks; /* 0: active poller */
	uint64_t period_us;
	uint64_t next_run;     /* timed: tick at which it is due */
	uint64_t run_count;
	uint64_t busy_count;
	enum poller_state state;
	enum poller_list list;
	bool running;          /* its callback is on the stack right now */
	/* sio_poller_set_interrupt_fd(): in interrupt mode, @intr_fd (in the
	 * thread's epoll set) wakes the thread instead of the poller keeping
	 * it awake; counted in n_fd_active. */
	bool has_intr_fd;
	int intr_fd;
	char name[POLLER_NAME_MAX];
};

TAILQ_HEAD(poller_tailq, sio_poller);
TAILQ_HEAD(channel_tailq, sio_io_channel);
TAILQ_HEAD(overflow_tailq, thread_overflow_msg);

/* Interrupt-mode state. Allocated by sio_thread_get_interrupt_fd(). */
struct thread_intr {
	int epfd;   /* what the thread exposes: wraps efd and tfd */
	int efd;    /* eventfd: messages arrived / work pending */
	int tfd;    /* timerfd: next timed poller */
	/* Poller-side only (no atomics needed): */
	bool armed;         /* we set sleeping at the end of the last poll */
	bool kept;          /* we wrote efd ourselves to stay readable */
	/* Writes to efd not consumed yet (as far as we know): the initial one,
	 * ours (kept) and one per producer flip of `sleeping` seen at the next
	 * poll. efd is read only while it is non-zero. */
	uint32_t owed;
	uint64_t timer_at;  /* tick the timerfd is armed for, 0 if disarmed */
};

struct sio_thread {
	/*
	 * Read by every sender, written rarely (exit, sleep, overflow, mode
	 * switch), so the line stays shared in every core's cache.
	 */
	_Alignas(64) struct sio_ring *ring;
	_Atomic int state;            /* enum thread_state */
	/* True while the poller is about to block on the interrupt fd:
	 * a producer that flips it to false must write efd. */
	atomic_bool sleeping;
	atomic_uint overflow_count;
	struct thread_intr *_Atomic intr;

	/* Written by every sender (twice per message): alone on its line, so
	 * the poller's reads above do not bounce with it. */
	_Alignas(64) atomic_uint senders; /* senders between first and last access */

	/* Set while some OS thread polls it: catches re-entry and two pollers. */
	_Alignas(64) atomic_bool in_poll;

	/* Poller-side fields: touched only by the OS thread polling it. */
	struct poller_tailq active;
	struct poller_tailq timed;
	struct poller_tailq paused;
	uint32_t n_active;            /* live pollers per kind (not counting unregistered) */
	uint32_t n_timed;
	uint32_t n_paused;
	uint32_t n_fd_active;         /* of n_active, those woken by an fd (has_intr_fd) */
	bool iterating_active;        /* walking the active list: defer list edits */
	bool sweep_active;            /* an edit was deferred */
	bool last_active_busy;
	struct channel_tailq channels;
	uint32_t n_channels;
	/* io_device unregisters started on this thread whose done callback
	 * has not run yet: the thread cannot finish exiting before they do,
	 * as their last channel's release sends that callback here. */
	uint32_t n_unregistering;
	struct sio_thread_stats stats;
	uint64_t poll_now;            /* tick at the start of the current poll */

	pthread_mutex_t overflow_lock;
	struct overflow_tailq overflow;

	/* Fds of pollers with has_intr_fd, joined to intr->epfd whenever it
	 * exists. Under the registry lock: sio_thread_get_interrupt_fd() may
	 * create intr from any OS thread and adds them then. */
	int *wake_fds;
	uint32_t n_wake_fds;
	uint32_t cap_wake_fds;

	/* Identity and registry. */
	uint64_t id;
	struct sio_cpuset cpumask;
	char name[THREAD_NAME_MAX];
	TAILQ_ENTRY(sio_thread) link; /* g_threads, under g_threads_lock */
};

/* ---- thread.c ---- */
/* Registry of live threads. Recursive: sio_thread_foreach() visitors may query. */
extern pthread_mutex_t g_threads_lock;
TAILQ_HEAD(thread_tailq, sio_thread);
extern struct thread_tailq g_threads;

void thread_registry_lock(void);
void thread_registry_unlock(void);
struct sio_thread *thread_create(const char *name, const struct sio_cpuset *cpumask,
				 bool schedule);
/* Current tick through the (possibly mocked) tick source. */
uint64_t thread_now(void);
void thread_check_exited(struct sio_thread *t);
/* Logs once per call site what a thread still owns. */
void thread_log_owned(struct sio_thread *t, const char *why);

/* ---- msg.c ---- */
int thread_msg_pool_init(void);
/* The global message pool (tests check it for leaks). */
struct sio_mempool *thread_msg_pool(void);
/* Runs up to @max ring messages (and any overflow ones). Returns how many ran. */
uint32_t thread_run_msgs(struct sio_thread *t, uint32_t max);
/* Sends an internal message that must not be lost: falls back to the
 * overflow list when the ring is full. Returns 0 or -ESHUTDOWN / -EINVAL. */
int thread_send_critical(struct sio_thread *t, sio_msg_fn fn, void *ctx);
bool thread_has_msgs(struct sio_thread *t);
/* Whether the next thread_run_msgs() would run a message: one a producer is
 * still publishing does not count (it wakes the thread once published). The
 * check for going to sleep; thread_has_msgs() is the one for exiting. */
bool thread_has_ready_msgs(struct sio_thread *t);
/* Frees ring and overflow messages without running them (destroy path). */
void thread_msgs_fini(struct sio_thread *t);
/* Producer side of the sleep/wake handshake, after publishing a message. */
void thread_wake(struct sio_thread *t);

/* ---- poller.c ---- */
/* Runs active pollers then due timed pollers. Returns how many were busy. */
int thread_run_pollers(struct sio_thread *t, uint64_t now);
/* Tick of the earliest timed poller, or 0 if there is none. */
uint64_t thread_next_timed(struct sio_thread *t);
void thread_pollers_fini(struct sio_thread *t);

/* ---- io_channel.c ---- */
/* Logs each channel @t still owns (destroy refusals). */
void thread_log_channels(struct sio_thread *t);

/* ---- interrupt.c ---- */
void thread_intr_poll_begin(struct sio_thread *t, struct thread_intr *in);
/* @now: the tick at the end of the poll's work. */
void thread_intr_poll_end(struct sio_thread *t, struct thread_intr *in, uint64_t now);
void thread_intr_fini(struct sio_thread *t);
/* Joins @fd to the thread's wake set (and its epoll fd if it exists). */
int thread_intr_fd_add(struct sio_thread *t, int fd);
/* Takes @fd out again. */
void thread_intr_fd_del(struct sio_thread *t, int fd);
/* Pollers that keep the thread awake by being active (not fd-woken). */
static inline uint32_t thread_n_awake(const struct sio_thread *t)
{
	return t->n_active - t->n_fd_active;
}

/* ---- test hooks ---- */
/*
 * thread_set_tick_fn() - Replace the tick source of the thread layer (timed
 * pollers, busy/idle stats, next-timeout) with @fn; NULL restores
 * sio_get_ticks(). Tick rate stays sio_get_ticks_hz(), so periods are
 * converted with sio_us_to_ticks(). For unit tests with a mock clock.
 */
void thread_set_tick_fn(uint64_t (*fn)(void));

#endif /* SIO_THREAD_INTERNAL_H */
