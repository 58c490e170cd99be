/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What one stackful task per queue slot costs over a callback chain, with
 * nothing else in the way: a model of sio_bdevperf's null-bdev loop at QD128
 * without the bdev layer, the future or the async layer's bookkeeping.
 *
 * A "device" queues submissions in a ring; a poll drains the ring, and each
 * entry's completion runs through two frames (io_complete -> its callback),
 * as sio_bdev_io_complete() -> the user's callback do. Five shapes:
 *
 *   callback   the callback submits the next I/O (sio_bdevperf --api callback)
 *   task-deep  the callback resumes the slot's task, which was parked two
 *              frames deep (a library await wrapper, then the wait itself)
 *              and parks again the same way after submitting: the shape of
 *              sio_bdev_read_blocks_await() until 2026-12-06, with today's
 *              switch (async_ctx_swap_asm: called, leaves by an indirect jump)
 *   task       the completion switches into the task from io_complete's own
 *              frame, and the task parks straight from the await wrapper: one
 *              frame on each side, the shape of today's bdev _await forms
 *              (ASYNC_AWAIT_CALL, and sio_bdev_io_complete resuming inline)
 *   task-chain completions only mark the task ready; after the poll the
 *              first ready task is resumed and each one, having submitted,
 *              parks straight into the next ready one (the last into the
 *              scheduler): one switch per I/O instead of two, with ordinary
 *              frames. The library does this for awaited bdev I/O since
 *              2026-12-06 (docs/async.md, "Awaited bdev I/O")
 *   task-flat  the best case for any stackful design: the task parks with
 *              inline assembly in its own loop (no frame above it), and the
 *              switch keeps the return-stack predictor balanced (the resume
 *              is a call the park returns from)
 *
 * The gap between the task shapes and "task-flat" is what return mispredictions cost
 * (each switch leaves the predictor holding the other stack's returns); the
 * gap between "task-flat" and "callback" is the floor of two stack switches
 * per I/O. docs/async.md has the figures and what they mean for
 * sio_bdevperf's task/callback ratio.
 *
 *   bench_switch_shapes [MILLION_IOS]   (default 50)
 *
 * x86-64 only: elsewhere it says so and exits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__)

#define NOINLINE __attribute__((noinline))
#define QD 128
#define STACK_SIZE 65536

/*
 * bss_swap(save, sp): today's switch without the FP control words: push the
 * callee-saved registers, swap stacks, pop, leave by jmp.
 * flat_resume(save, sp): scheduler side of task-flat: called (the call's
 * return address is what the task's park returns to), saves, jumps in.
 * flat_sched_tail: where a flat park lands on the scheduler's stack.
 */
__asm__(".text\n"
	".p2align 4\n"
	"bss_swap:\n"
	"	pushq %rbp\n	pushq %rbx\n	pushq %r12\n	pushq %r13\n	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n	popq %r14\n	popq %r13\n	popq %r12\n	popq %rbx\n	popq %rbp\n"
	"	popq %rcx\n"
	"	jmpq *%rcx\n"
	".p2align 4\n"
	"flat_resume:\n"
	"	pushq %rbp\n	pushq %rbx\n	pushq %r12\n	pushq %r13\n	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %rcx\n"
	"	jmpq *%rcx\n"
	".p2align 4\n"
	"flat_sched_tail:\n"
	"	popq %r15\n	popq %r14\n	popq %r13\n	popq %r12\n	popq %rbx\n	popq %rbp\n"
	"	ret\n");
void bss_swap(void **save, void *sp);
void flat_resume(void **save, void *sp);

enum shape { SHAPE_CALLBACK, SHAPE_TASK_DEEP, SHAPE_TASK, SHAPE_TASK_CHAIN, SHAPE_TASK_FLAT,
	     SHAPE_COUNT };

struct slot {
	void *sp;       /* the task's stack pointer while parked */
	void *sched_sp; /* the scheduler's while the task runs */
	void *stack;
};

struct io {
	void (*cb)(struct slot *);
	struct slot *slot;
};

static enum shape g_shape;
static struct io g_ring[2 * QD];
static unsigned int g_head, g_tail;
static uint64_t g_done, g_target;
static struct slot g_slots[QD];
static struct slot *g_starting;
/* task-chain: slots whose I/O completed this poll, and the scheduler's stack. */
static struct slot *g_ready[QD];
static unsigned int g_nready, g_ready_at;
static void *g_sched_sp;

static NOINLINE void submit(void (*cb)(struct slot *), struct slot *s)
{
	g_ring[g_tail++ % (2 * QD)] = (struct io){cb, s};
}

/* ---- scheduler side ---- */

static NOINLINE void resume(struct slot *s)
{
	if (g_shape == SHAPE_TASK_CHAIN)
		bss_swap(&g_sched_sp, s->sp);
	else if (g_shape != SHAPE_TASK_FLAT)
		bss_swap(&s->sched_sp, s->sp);
	else
		flat_resume(&s->sched_sp, s->sp);
}

static NOINLINE void io_complete(const struct io *io)
{
	/* Today's bdev completion: an awaited I/O switches from this frame. */
	if (g_shape == SHAPE_TASK && io->cb == resume)
		bss_swap(&io->slot->sched_sp, io->slot->sp);
	else if (g_shape == SHAPE_TASK_CHAIN && io->cb == resume)
		g_ready[g_nready++] = io->slot;
	else
		io->cb(io->slot);
}

static NOINLINE int device_poll(void)
{
	unsigned int h = g_head, t = g_tail;

	g_head = t;
	for (; h != t; h++) {
		struct io io = g_ring[h % (2 * QD)];

		io_complete(&io);
	}
	if (g_nready != 0) {
		/* task-chain: into the first ready task; each one parks straight into
		 * the next, the last back here. */
		g_ready_at = 1;
		bss_swap(&g_sched_sp, g_ready[0]->sp);
		g_nready = 0;
	}
	return 0;
}

/* ---- callback shape ---- */

static NOINLINE void cb_done(struct slot *s)
{
	if (++g_done < g_target)
		submit(cb_done, s);
}

/* ---- task-deep shape: parked two frames deep ---- */

static NOINLINE void task_wait(struct slot *s)
{
	bss_swap(&s->sp, s->sched_sp);
}

static NOINLINE void task_read_await(struct slot *s)
{
	submit(resume, s);
	task_wait(s);
}

static void task_deep_main(void)
{
	struct slot *s = g_starting;

	while (++g_done < g_target)
		task_read_await(s);
	for (;;) /* done: stay parked */
		task_wait(s);
}

/* ---- task shape: parked one frame deep ---- */

static NOINLINE void task_read_await_inline(struct slot *s)
{
	submit(resume, s);
	bss_swap(&s->sp, s->sched_sp);
}

static void task_main(void)
{
	struct slot *s = g_starting;

	while (++g_done < g_target)
		task_read_await_inline(s);
	for (;;)
		task_read_await_inline(s);
}

/* ---- task-chain shape: parks into the next ready task ---- */

static NOINLINE void task_read_await_chain(struct slot *s)
{
	submit(resume, s);
	if (g_ready_at < g_nready)
		bss_swap(&s->sp, g_ready[g_ready_at++]->sp);
	else
		bss_swap(&s->sp, g_sched_sp);
}

static void task_chain_main(void)
{
	struct slot *s = g_starting;

	while (++g_done < g_target)
		task_read_await_chain(s);
	for (;;)
		task_read_await_chain(s);
}

/* ---- task-flat shape: parks in its own loop ---- */

/*
 * Park: save rbp and the resume address on this stack (below the red zone,
 * which the compiler may be using), switch to the scheduler's stack and
 * return through flat_sched_tail into resume()'s caller. Every other
 * register is declared clobbered, so the compiler keeps nothing in them.
 */
#define FLAT_PARK(s)                                                                   \
	do {                                                                           \
		struct slot *park_s_ = (s);                                            \
		__asm__ volatile("subq $128, %%rsp\n\t"                                \
				 "pushq %%rbp\n\t"                                     \
				 "leaq 1f(%%rip), %%rcx\n\t"                           \
				 "pushq %%rcx\n\t"                                     \
				 "movq %%rsp, (%%rax)\n\t"                             \
				 "movq 8(%%rax), %%rsp\n\t"                            \
				 "jmp flat_sched_tail\n"                               \
				 "1:\n\t"                                              \
				 "popq %%rbp\n\t"                                      \
				 "addq $128, %%rsp\n\t"                                \
				 : "+a"(park_s_)                                       \
				 :                                                     \
				 : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",      \
				   "r10", "r11", "r12", "r13", "r14", "r15", "memory", \
				   "cc");                                              \
	} while (0)

static void task_flat_main(void)
{
	struct slot *s = g_starting;

	while (++g_done < g_target) {
		submit(resume, s);
		FLAT_PARK(s);
	}
	for (;;)
		FLAT_PARK(s);
}

/* ---- driver ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A first entry: resume() pops the entry point as if it were a resume address. */
static int slot_start(struct slot *s, unsigned int i, void (*entry)(void))
{
	void **sp;

	s->stack = aligned_alloc(4096, STACK_SIZE);
	if (s->stack == NULL)
		return -1;
	/* 64-byte colours so the stack tops don't share L1 sets. */
	sp = (void **)((char *)s->stack + STACK_SIZE - 64 * (i % 64));
	*--sp = NULL;           /* entry sees rsp = 8 mod 16, as after a call */
	*--sp = (void *)entry;
	if (g_shape != SHAPE_TASK_FLAT)
		sp -= 6;        /* the six registers bss_swap pops */
	s->sp = sp;
	g_starting = s;
	resume(s);              /* runs to its first park */
	return 0;
}

static double run(enum shape shape, uint64_t ios)
{
	double t0;

	g_shape = shape;
	g_head = g_tail = 0;
	g_nready = g_ready_at = 0;
	g_done = 0;
	g_target = ios;
	t0 = now_s();
	for (unsigned int i = 0; i < QD; i++) {
		if (shape == SHAPE_CALLBACK)
			submit(cb_done, &g_slots[i]);
		else if (slot_start(&g_slots[i], i,
				    shape == SHAPE_TASK_DEEP    ? task_deep_main
				    : shape == SHAPE_TASK       ? task_main
				    : shape == SHAPE_TASK_CHAIN ? task_chain_main
								: task_flat_main) != 0)
			return -1;
	}
	while (g_done < g_target)
		device_poll();
	t0 = (now_s() - t0) * 1e9 / (double)g_done;
	for (unsigned int i = 0; i < QD && shape != SHAPE_CALLBACK; i++)
		free(g_slots[i].stack); /* every task is parked: its stack is idle */
	return t0;
}

int main(int argc, char **argv)
{
	uint64_t ios = (argc > 1 ? strtoull(argv[1], NULL, 0) : 50) * 1000000ull;
	static const char *const names[SHAPE_COUNT] = {"callback", "task-deep", "task",
						       "task-chain", "task-flat"};
	double ns[SHAPE_COUNT][5];

	if (argc > 1 && (argv[1][0] < '0' || argv[1][0] > '9')) {
		printf("usage: bench_switch_shapes [MILLION_IOS]   (default 50)\n");
		return argv[1][1] == 'h' || argv[1][1] == '-' ? 0 : 2;
	}
	if (ios == 0)
		ios = 1000000;
	/* Interleaved rounds, medians: the machine's noise hits all shapes alike. */
	for (int r = 0; r < 5; r++)
		for (int k = 0; k < SHAPE_COUNT; k++)
			if ((ns[k][r] = run((enum shape)k, ios / 5)) < 0) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
	printf("QD%d, one completion poll per round, median of 5 rounds of %llu I/Os:\n", QD,
	       (unsigned long long)(ios / 5));
	for (int k = 0; k < SHAPE_COUNT; k++) {
		double *v = ns[k];

		for (int i = 1; i < 5; i++) /* insertion sort of 5 */
			for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
				double x = v[j];

				v[j] = v[j - 1];
				v[j - 1] = x;
			}
		printf("  %-10s %6.2f ns per I/O (min %.2f, max %.2f)\n", names[k], v[2], v[0],
		       v[4]);
	}
	return 0;
}

#else

int main(void)
{
	printf("bench_switch_shapes: x86-64 only (it models the x86-64 switch)\n");
	return 0;
}

#endif
