/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the files of the async layer:
 *   sched.c       per-thread state, run queue, resume/park, timers
 *   task.c        spawn, spawn_on, the task entry and exit, yield
 *   future.c      futures, await, then, block_on
 *   combinators.c sleep, await_timeout, await_all, await_first
 * Not installed; tests may include it.
 */
#ifndef SIO_ASYNC_INTERNAL_H
#define SIO_ASYNC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "spdk_io/async.h"
#include "spdk_io/log.h"
#include "spdk_io/thread.h"

#include "async/sanitizer.h"
#include "async/stack.h"
#include "async/switch.h"
#include "thread/thread_current.h"

#define ASYNC_LOG_FLAG "async"

/*
 * Misuse (await outside a task, a second waiter, a double completion) returns
 * an error and logs it; built with -DSIO_DEBUG_MISUSE it aborts instead, so a
 * debug build stops at the first mistake with the message on stderr.
 */
#ifdef SIO_DEBUG_MISUSE
#define ASYNC_MISUSE(...)                \
	do {                             \
		SIO_ERRLOG(__VA_ARGS__); \
		async_misuse_abort();    \
	} while (0)
#else
#define ASYNC_MISUSE(...) SIO_ERRLOG(__VA_ARGS__)
#endif
void async_misuse_abort(void) __attribute__((noreturn));

/* Life of a task. */
enum task_state {
	TASK_READY = 1,   /* on its thread's run queue (a new task starts here) */
	TASK_RUNNING = 2, /* executing on its stack right now */
	TASK_PARKED = 3,  /* waiting for a wake (future, timer); on no queue */
	TASK_DONE = 4,    /* its function returned; the stack awaits recycling */
};

/* Why a parked task was woken. */
enum task_wake {
	TASK_WAKE_NONE = 0,    /* not woken yet */
	TASK_WAKE_FUTURE = 1,  /* a future it waited on completed */
	TASK_WAKE_TIMER = 2,   /* its timer expired */
	TASK_WAKE_YIELD = 3,   /* it yielded */
};

struct async_thread;

/*
 * Chained resumes (rq_poll(), async_task_switch_out()): a task that parks
 * while the run-queue poller still has tasks of its batch to run switches
 * straight into the next one, instead of back to the poller and from there
 * into the next: one switch per resume instead of two. Hand-written switch
 * only: a ucontext_t cannot be copied (it points into itself), and the
 * sanitizers' fiber hooks describe a switch out to the resumer's known stack
 * and back; those builds run the same batches with two switches each.
 */
#if ASYNC_SWITCH_UCONTEXT || ASYNC_ASAN || ASYNC_TSAN
#define ASYNC_CHAIN 0
#else
#define ASYNC_CHAIN 1
#endif

/*
 * A task control block. It lives at the top of the task's own stack mapping,
 * just below the stack descriptor, so spawning allocates nothing: the pooled
 * stack is the pooled control block.
 */
struct sio_task {
	/* What every park, resume and queued completion touches, in the first
	 * cache line (the block is line-aligned; x86-64 and aarch64): 128
	 * parked tasks' blocks are part of a QD128 task loop's working set, one
	 * line each, not two. The queued-completion record is in it too, so an
	 * awaited bdev I/O's completion writes this line and none of the task's
	 * stack. */
	struct async_ctx ctx;         /* the task's saved context while not running */
	struct async_ctx caller;      /* whoever resumed it (the run-queue poller) */
	struct sio_task *rq_next;     /* run queue or running batch (async_thread) */
	struct async_thread *at;
	struct sio_thread *thread;    /* at->thread, one load nearer for await */
	uint8_t state;                /* enum task_state */
	uint8_t wake;                 /* enum task_wake: why it was last woken */
	/* The queued-completion record (async_task_wait_*(), await_inline.h):
	 * a task waits for one such completion at a time. */
	uint8_t wait_done;
	uint8_t flags;                /* ASYNC_TASK_F_* */
	int32_t wait_rc;
	void *wait_obj;               /* what the completion handed over, or NULL */
	/* Colder: spawn and exit. */
	struct async_stack *stack;
	sio_task_fn fn;
	void *arg;
	struct sio_future *result;    /* completed with fn's return; may be NULL */
	const char *name;
#if ASYNC_FPCTL_BY_TASK
	/* ASYNC_TASK_F_FPCTL only: the task's own FP control state while it is
	 * switched out, and the thread's while it runs (async_task_fp_*()). */
	struct async_fpctl fp;
	struct async_fpctl fp_outer;
#endif
#if ASYNC_ASAN
	const void *caller_stack_lo;  /* the resumer's stack, learnt at each resume */
	size_t caller_stack_size;
#endif
#if ASYNC_TSAN
	void *tsan_fiber;
	void *tsan_caller_fiber;
#endif
};

#if !ASYNC_SWITCH_UCONTEXT && UINTPTR_MAX == UINT64_MAX
_Static_assert(offsetof(struct sio_task, wait_obj) + sizeof(void *) <= 64,
	       "struct sio_task: the hot fields must stay in the first cache line");
#endif

/*
 * Where a task's stack starts: this many bytes below its control block.
 * What a parked task keeps hot on its stack is the innermost frames. Until
 * issue 18's seventh round (x86-64): the switch routine's saved registers
 * and return address (56 bytes) and the awaiting function's saved
 * registers and return address (48 for the lean sio_bdev_<op>_blocks_await()
 * forms); since then the awaiting function's frame alone: the switch's
 * 24-byte record, one spill slot, its six saved registers and return
 * address. 104 bytes either way, which lie on two
 * cache lines or three depending on where they fall in a line, i.e. on the
 * depth of the frames above them modulo 64. The library cannot know the
 * depth of a task's own frames. Issue 18's fifth round set a gap of 32 for
 * the task loop of sio_bdevperf --api task as it was then; its sixth round
 * moved that loop's state into locals (a larger frame), where a gap of 0 or
 * 48 gave two lines and 32 three; with the seventh round's inline switch
 * (the record in the awaiting function's frame) 48 gives two and 0, 16 and
 * 32 three (cachegrind, docs/async.md "Seventh round"). A task whose loop
 * has other frame sizes gets two lines or three by their luck. Must keep
 * the stack 16-byte aligned.
 */
#define ASYNC_STACK_TOP_GAP 48u

/* sio_task.flags */
#define ASYNC_TASK_F_FPCTL 0x01 /* SIO_TASK_OWN_FP_CONTROL: keeps its own FP control state */


/*
 * FP control state (docs/async.md, "FP control state"): it belongs to the OS
 * thread, and a task runs with whatever the thread has, except a task
 * spawned with SIO_TASK_OWN_FP_CONTROL: it keeps its own, loaded when it
 * starts or resumes (the thread's saved) and given back when it parks or
 * ends (the thread's restored). Done on the task's side of every switch, so
 * that the scheduler and the chained switch need not know; for every other
 * task it costs a test of a flag on the control block's first line. Where
 * the switch itself keeps the state per context (aarch64, ucontext) this
 * compiles to nothing.
 */
#if ASYNC_FPCTL_BY_TASK
/* The flagged task's switch of the FP control state (sched.c), out of line:
 * inlined at every switch site, the addresses of the two saved states were
 * hoisted into spill slots of the awaiting function (the inline switch
 * clobbers every register), for a path almost no task takes. */
void async_task_fp_switch(struct sio_task *t, bool enter) __attribute__((cold, noinline));
#endif

static inline void async_task_fp_enter(struct sio_task *t)
{
#if ASYNC_FPCTL_BY_TASK
	if (__builtin_expect(t->flags & ASYNC_TASK_F_FPCTL, 0))
		async_task_fp_switch(t, true);
#else
	(void)t;
#endif
}

static inline void async_task_fp_leave(struct sio_task *t)
{
#if ASYNC_FPCTL_BY_TASK
	if (__builtin_expect(t->flags & ASYNC_TASK_F_FPCTL, 0))
		async_task_fp_switch(t, false);
#else
	(void)t;
#endif
}

/* A pending wake-up of a parked task at a tick; lives on that task's stack. */
struct async_timer {
	TAILQ_ENTRY(async_timer) link;
	uint64_t deadline;            /* sio_get_ticks() value */
	struct sio_task *task;
	bool armed;                   /* on the thread's timer list */
};
TAILQ_HEAD(timer_tailq, async_timer);

/*
 * What the async layer keeps per sio_thread. Created by the first spawn on a
 * thread; released once the thread has had no task for a linger period, or
 * as soon as its last task ends while the thread is exiting. While it exists
 * its pollers keep the thread from finishing sio_thread_exit(): that is how
 * thread exit waits for tasks.
 */
struct async_thread {
	struct sio_thread *thread;
	uint64_t thread_id;
	/*
	 * Ready tasks, singly linked through rq_next (head removal and tail
	 * insertion are all it needs): rq_poll() takes the whole queue as its
	 * batch, and what is readied meanwhile queues here for the next poll.
	 */
	struct sio_task *rq_head;
	struct sio_task **rq_tailp;   /* &rq_head, or the last task's rq_next */
	/* The rest of rq_poll()'s batch, in order: the tasks a parking task may
	 * chain into (NULL outside rq_poll()). */
	struct sio_task *chain;
	/* The task that last switched back to its resumer: after a chain, not
	 * the one the resumer switched into (async_task_resume()). */
	struct sio_task *back;
	uint32_t ntasks;              /* spawned and not yet reaped */
	uint64_t spawned;             /* lifetime count, also the linger activity mark */
	uint64_t linger_mark;         /* spawned at the previous linger check */
	struct sio_poller *rq_poller; /* runs ready tasks; paused while none is ready */
	bool rq_paused;
	struct sio_poller *linger_poller; /* paused while tasks exist */
	bool linger_paused;
	struct sio_poller *timer_poller;  /* one-shot-ish, period = time to first timer */
	uint64_t timer_armed_at;      /* tick the timer poller fires next */
	uint64_t timer_period_us;     /* its period */
	struct timer_tailq timers;    /* sorted by deadline */
	struct async_stack_pool stacks;
	bool released;
	TAILQ_ENTRY(async_thread) link; /* g_async_threads */
};

/*
 * The task running on this OS thread, NULL outside tasks. initial-exec: read
 * with one %fs-relative load even from the shared library (the default model
 * there goes through __tls_get_addr on every access); the variable is one
 * pointer, well within the static TLS surplus a dlopen()ed library may use.
 */
#define ASYNC_TLS __thread __attribute__((tls_model("initial-exec")))
extern ASYNC_TLS struct sio_task *tls_async_task;

#define async_likely(x) __builtin_expect(!!(x), 1)
#define async_unlikely(x) __builtin_expect(!!(x), 0)

/* ---- sched.c ---- */
/* The current thread's state, creating it if @create. NULL with *rc set on failure. */
struct async_thread *async_thread_get(bool create, int *rc);
/* Make @t ready (from PARKED) and queue it; no-op in any other state. */
void async_task_wake(struct sio_task *t, enum task_wake why);

/* Queue a ready task (new, yielding or woken) at the tail of the run queue;
 * inline: a queued I/O completion calls it once per I/O. */
static inline void async_task_enqueue(struct sio_task *t)
{
	struct async_thread *at = t->at;

	t->rq_next = NULL;
	*at->rq_tailp = t;
	at->rq_tailp = &t->rq_next;
	if (async_unlikely(at->rq_paused)) {
		sio_poller_resume(at->rq_poller);
		at->rq_paused = false;
	}
}
/* Switch from the running task back to its resumer for the last time. */
void async_task_exit(struct sio_task *t) __attribute__((noreturn));
/* Recycle a finished task's stack and account for it. */
void async_task_reap(struct sio_task *t);

/*
 * The two halves of a switch, inline because they are the whole cost of an
 * awaited operation beyond its callback form: sio_await() parks with
 * async_task_park() and a completion resumes with async_task_resume(), each a
 * handful of stores around the assembly routine. The sanitizer hooks compile
 * to nothing in plain builds.
 */

/* Scheduler side: run @t until it parks, yields or ends. */
static inline void async_task_resume(struct sio_task *t)
{
	struct sio_task *prev = tls_async_task;
#if ASYNC_ASAN
	void *fake_stack = NULL;
#endif

	t->state = TASK_RUNNING;
	tls_async_task = t;
#if ASYNC_ASAN
	__sanitizer_start_switch_fiber(&fake_stack, t->stack->lo,
				       (size_t)((char *)t - (char *)t->stack->lo));
#endif
#if ASYNC_TSAN
	t->tsan_caller_fiber = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(t->tsan_fiber, 0);
#endif
	async_ctx_switch(&t->caller, &t->ctx);
#if ASYNC_ASAN
	__sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
	tls_async_task = prev;
#if ASYNC_CHAIN
	t = t->at->back; /* the last of the chain @t started (@t itself without one) */
#endif
	if (async_unlikely(t->state == TASK_DONE))
		async_task_reap(t);
}

/* async_task_resume() where no task is running (checked by the caller):
 * nothing to restore but NULL, so less to keep live across the switch. */
static inline void async_task_resume_from_cb(struct sio_task *t)
{
#if ASYNC_ASAN || ASYNC_TSAN
	async_task_resume(t);
#else
	t->state = TASK_RUNNING;
	tls_async_task = t;
	async_ctx_switch(&t->caller, &t->ctx);
	tls_async_task = NULL;
	/* No chain here: chain is NULL outside rq_poll(), so @t came back itself. */
	if (async_unlikely(t->state == TASK_DONE))
		async_task_reap(t);
#endif
}

/*
 * Task side: go back to the resumer; returns when resumed again. Inside a
 * batch of rq_poll() (chain != NULL) it goes to the next task of the batch
 * instead, which inherits the resumer to go back to: the batch's last task
 * switches to rq_poll(), the others each to their successor.
 */
static inline void async_task_switch_out(struct sio_task *t)
{
#if ASYNC_CHAIN
	struct async_thread *at = t->at;
#endif

	/* The event this task was handling is over for whoever runs next. */
	g_thread_event_tick = 0;
	async_task_fp_leave(t);
#if ASYNC_CHAIN
	if (at->chain != NULL) {
		struct sio_task *n = at->chain;

		at->chain = n->rq_next;
		n->state = TASK_RUNNING;
		n->caller = t->caller; /* a saved record: rq_poll()'s frame */
		tls_async_task = n;
		/* Tasks of a batch mostly park where @n did (the same await). */
		async_ctx_switch_same_site(&t->ctx, &n->ctx);
		/* Resumed: the resumer set tls_async_task to @t. */
		async_task_fp_enter(t);
		return;
	}
	at->back = t;
#endif
#if ASYNC_ASAN
	void *fake_stack = NULL;

	__sanitizer_start_switch_fiber(&fake_stack, t->caller_stack_lo, t->caller_stack_size);
#endif
#if ASYNC_TSAN
	__tsan_switch_to_fiber(t->tsan_caller_fiber, 0);
#endif
	async_ctx_switch(&t->ctx, &t->caller);
#if ASYNC_ASAN
	__sanitizer_finish_switch_fiber(fake_stack, &t->caller_stack_lo, &t->caller_stack_size);
#endif
	async_task_fp_enter(t);
}

/* Park the running task until woken; returns why it was woken. */
static inline enum task_wake async_task_park(struct sio_task *t)
{
	t->state = TASK_PARKED;
	t->wake = TASK_WAKE_NONE;
	async_task_switch_out(t);
	return (enum task_wake)t->wake;
}
void async_timer_arm(struct async_thread *at, struct async_timer *tm, struct sio_task *t,
		     uint64_t us);
void async_timer_disarm(struct async_thread *at, struct async_timer *tm);

/* ---- future.c ---- */
/* Hook the running task @t as @f's waiter. 0, or -EBUSY / -EINVAL / -EPERM. */
int async_future_add_waiter(struct sio_future *f, struct sio_task *t);
void async_future_del_waiter(struct sio_future *f, struct sio_task *t);

#endif /* SIO_ASYNC_INTERNAL_H */
