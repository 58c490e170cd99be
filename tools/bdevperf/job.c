/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A job: one bdev driven from one core at a fixed queue depth. Two engines
 * drive the same slots: plain callbacks (the completion callback picks the
 * next I/O and submits it) and tasks (one per slot, looping on the awaitable
 * form). Neither reads the clock per I/O: the bdev layer reads it once per
 * I/O, at the completion (awaited: when the task resumes), and hands that
 * tick over (sio_bdev_get_completion_ticks()). A slot's next I/O is submitted
 * at that instant, so the tick serves as the end of one latency and the start
 * of the next, in the tool and in the bdev layer's statistics alike.
 *
 * Hot path: no allocation, no lock, no syscall of our own; buffers are
 * DMA-allocated per slot at setup.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bdevperf.h"
#include "spdk_io/async.h"
#include "spdk_io/env.h"
#include "spdk_io/thread.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BP_HAVE_TSC 1
#else
#define BP_HAVE_TSC 0
#endif

#define bp_always_inline inline __attribute__((always_inline))
#define bp_likely(x) __builtin_expect(!!(x), 1)
#define bp_unlikely(x) __builtin_expect(!!(x), 0)

/* Reset workload: how often each job resets its bdev. */
#define BP_RESET_PERIOD_US 500000

int g_bp_abort;

static const char *const g_workload_names[BP_WORKLOAD_COUNT] = {
	[BP_READ] = "read",         [BP_WRITE] = "write",   [BP_RANDREAD] = "randread",
	[BP_RANDWRITE] = "randwrite", [BP_RW] = "rw",       [BP_RANDRW] = "randrw",
	[BP_VERIFY] = "verify",     [BP_FLUSH] = "flush",   [BP_UNMAP] = "unmap",
	[BP_WRITE_ZEROES] = "write_zeroes", [BP_RESET] = "reset",
};

const char *bp_workload_name(enum bp_workload w)
{
	return (unsigned int)w < BP_WORKLOAD_COUNT ? g_workload_names[w] : "invalid";
}

int bp_workload_parse(const char *s, enum bp_workload *out)
{
	for (unsigned int i = 0; i < BP_WORKLOAD_COUNT; i++) {
		if (strcmp(s, g_workload_names[i]) == 0) {
			*out = (enum bp_workload)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool bp_workload_writes(enum bp_workload w)
{
	return w != BP_READ && w != BP_RANDREAD;
}

static bool workload_is_verify(enum bp_workload w)
{
	return w == BP_VERIFY || w == BP_RESET;
}

static bool workload_is_random(enum bp_workload w)
{
	return w == BP_RANDREAD || w == BP_RANDWRITE || w == BP_RANDRW;
}

/* Buffers each slot needs: verify keeps what it wrote apart from what it reads. */
static unsigned int workload_buffers(enum bp_workload w)
{
	if (workload_is_verify(w))
		return 2;
	if (w == BP_FLUSH || w == BP_UNMAP || w == BP_WRITE_ZEROES)
		return 0;
	return 1;
}

static enum sio_bdev_io_type workload_io_type(enum bp_workload w)
{
	switch (w) {
	case BP_FLUSH: return SIO_BDEV_IO_TYPE_FLUSH;
	case BP_UNMAP: return SIO_BDEV_IO_TYPE_UNMAP;
	case BP_WRITE_ZEROES: return SIO_BDEV_IO_TYPE_WRITE_ZEROES;
	case BP_READ:
	case BP_RANDREAD: return SIO_BDEV_IO_TYPE_READ;
	default: return SIO_BDEV_IO_TYPE_WRITE;
	}
}

/*
 * The tick clock, read once per I/O: the TSC itself when the library's ticks
 * are the TSC (sio_ticks_are_tsc(), so the values are the same), which saves
 * a call into the library on every I/O.
 */
static inline uint64_t bp_ticks(const struct bp_job *j)
{
#if BP_HAVE_TSC
	if (bp_likely(j->tsc))
		return __rdtsc();
#endif
	return sio_get_ticks();
}

/* xorshift64*: a few cycles, good enough to spread offsets. */
static inline uint64_t bp_rand(struct bp_job *j)
{
	uint64_t x = j->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	j->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* splitmix64 finaliser: the pattern seed of one (unit, generation). */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static inline uint64_t pattern_base(const struct bp_job *j, uint64_t unit, uint64_t gen)
{
	return mix64(j->seed ^ (unit * 0x9e3779b97f4a7c15ull) ^ (gen << 40));
}

/* Word @i of the pattern: every word of every write differs from its neighbours. */
static inline uint64_t pattern_word(uint64_t base, uint64_t i)
{
	return base ^ (i * 0xd6e8feb86659fd93ull);
}

static void pattern_fill(const struct bp_job *j, void *buf, uint64_t unit, uint64_t gen)
{
	uint64_t base = pattern_base(j, unit, gen);
	uint64_t *w = buf;

	for (uint64_t i = 0; i < j->cfg.io_size / 8; i++)
		w[i] = pattern_word(base, i);
}

static void job_fail(struct bp_job *j, int rc, bool abort_all, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void job_fail(struct bp_job *j, int rc, bool abort_all, const char *fmt, ...)
{
	va_list ap;

	j->stopping = true;
	if (abort_all)
		__atomic_store_n(&g_bp_abort, 1, __ATOMIC_RELAXED);
	if (j->rc != 0)
		return; /* the first error is the one worth reading */
	j->rc = rc;
	va_start(ap, fmt);
	vsnprintf(j->err, sizeof(j->err), fmt, ap);
	va_end(ap);
	/* Loud at once: a long run should not hide a failure until its end. */
	fprintf(stderr, "sio_bdevperf: job %s on core %d: %s\n", j->bdev_name, j->core, j->err);
}

/*
 * The regenerated pattern, not the write buffer, is the reference: a module
 * that corrupts the caller's buffer on the way down would otherwise corrupt
 * the expectation along with the data and go unseen.
 */
static bool verify_slot(struct bp_job *j, const void *rbuf, uint64_t unit, uint64_t gen)
{
	uint64_t base = pattern_base(j, unit, gen);
	const uint64_t *w = rbuf;

	for (uint64_t i = 0; i < j->cfg.io_size / 8; i++) {
		uint64_t want = pattern_word(base, i);

		if (bp_likely(w[i] == want))
			continue;
		for (unsigned int b = 0; b < 8; b++) {
			uint8_t e = (uint8_t)(want >> (8 * b)), a = ((const uint8_t *)&w[i])[b];

			if (e != a) {
				uint64_t io_off = unit * j->cfg.io_size;
				uint64_t at = i * 8 + b;

				job_fail(j, -EILSEQ, true,
					 "verify failed: bdev %s, offset %" PRIu64 " (0x%" PRIx64
					 ", byte %" PRIu64 " of the %" PRIu64 "-byte I/O at offset %"
					 PRIu64 "): expected 0x%02x, actual 0x%02x",
					 j->bdev_name, io_off + at, io_off + at, at, j->cfg.io_size,
					 io_off, e, a);
				return false;
			}
		}
	}
	return true;
}

/*
 * Choose the next I/O of slot @s (its unit, and for rw whether it reads) in
 * @io, @s's state (s->io, or the task's copy of it).
 */
static bp_always_inline void slot_prepare(struct bp_job *j, const struct bp_slot *s,
					  struct bp_io *io)
{
	if (bp_unlikely(j->verify)) {
		if (io->reading)
			return; /* the read-back of the unit just written */
		io->offset = io->next_unit;
		io->next_unit += j->cfg.queue_depth;
		if (io->next_unit >= j->unit_start + j->unit_count)
			io->next_unit = (uint64_t)(s - j->slots) + j->unit_start;
		io->gen++;
		pattern_fill(j, s->buf, io->offset, io->gen);
		return;
	}
	if (j->random) {
		/* Multiply-shift instead of a 64-bit modulo: a few cycles cheaper. */
		io->offset = j->unit_start +
			     (uint64_t)(((unsigned __int128)bp_rand(j) * j->unit_count) >> 64);
	} else {
		io->offset = j->unit_start + j->seq_next;
		if (++j->seq_next == j->unit_count)
			j->seq_next = 0;
	}
	if (bp_unlikely(j->mixed))
		io->is_read = (int)(bp_rand(j) % 100) < j->cfg.rw_pct;
}

/* Submit the I/O slot_prepare() chose, in callback form. */
static bp_always_inline int slot_issue_cb(struct bp_job *j, struct bp_slot *s, sio_done_cb cb)
{
	uint64_t off = s->io.offset * j->blocks_per_io, n = j->blocks_per_io;

	/* Plain reads and writes skip the workload switch. */
	if (bp_likely(j->rw_cb != NULL))
		return j->rw_cb(j->desc, j->ch, s->buf, off, n, cb, s);
	switch (j->cfg.workload) {
	case BP_READ:
	case BP_RANDREAD:
		return sio_bdev_read_blocks(j->desc, j->ch, s->buf, off, n, cb, s);
	case BP_WRITE:
	case BP_RANDWRITE:
		return sio_bdev_write_blocks(j->desc, j->ch, s->buf, off, n, cb, s);
	case BP_RW:
	case BP_RANDRW:
		return s->io.is_read ? sio_bdev_read_blocks(j->desc, j->ch, s->buf, off, n, cb, s)
				  : sio_bdev_write_blocks(j->desc, j->ch, s->buf, off, n, cb, s);
	case BP_VERIFY:
	case BP_RESET:
		return s->io.reading ? sio_bdev_read_blocks(j->desc, j->ch, s->rbuf, off, n, cb, s)
				  : sio_bdev_write_blocks(j->desc, j->ch, s->buf, off, n, cb, s);
	case BP_FLUSH:
		return sio_bdev_flush_blocks(j->desc, j->ch, off, n, cb, s);
	case BP_UNMAP:
		return sio_bdev_unmap_blocks(j->desc, j->ch, off, n, cb, s);
	case BP_WRITE_ZEROES:
		return sio_bdev_write_zeroes_blocks(j->desc, j->ch, off, n, cb, s);
	default:
		return -EINVAL;
	}
}

/* The same I/O in awaitable form (parks the slot's task), from the task's
 * locals: @io and @buf, @s's data buffer. */
static bp_always_inline int slot_issue_await(struct bp_job *j, const struct bp_slot *s,
					     const struct bp_io *io, void *buf)
{
	uint64_t off = io->offset * j->blocks_per_io, n = j->blocks_per_io;

	if (bp_likely(j->rw_await != NULL))
		return j->rw_await(j->desc, j->ch, buf, off, n);
	switch (j->cfg.workload) {
	case BP_READ:
	case BP_RANDREAD:
		return sio_bdev_read_blocks_await(j->desc, j->ch, buf, off, n);
	case BP_WRITE:
	case BP_RANDWRITE:
		return sio_bdev_write_blocks_await(j->desc, j->ch, buf, off, n);
	case BP_RW:
	case BP_RANDRW:
		return io->is_read ? sio_bdev_read_blocks_await(j->desc, j->ch, buf, off, n)
				   : sio_bdev_write_blocks_await(j->desc, j->ch, buf, off, n);
	case BP_VERIFY:
	case BP_RESET:
		return io->reading ? sio_bdev_read_blocks_await(j->desc, j->ch, s->rbuf, off, n)
				   : sio_bdev_write_blocks_await(j->desc, j->ch, buf, off, n);
	case BP_FLUSH:
		return sio_bdev_flush_blocks_await(j->desc, j->ch, off, n);
	case BP_UNMAP:
		return sio_bdev_unmap_blocks_await(j->desc, j->ch, off, n);
	case BP_WRITE_ZEROES:
		return sio_bdev_write_zeroes_blocks_await(j->desc, j->ch, off, n);
	default:
		return -EINVAL;
	}
}

static const char *slot_op_name(const struct bp_job *j, bool is_read, bool reading)
{
	switch (j->cfg.workload) {
	case BP_RW:
	case BP_RANDRW: return is_read ? "read" : "write";
	case BP_VERIFY:
	case BP_RESET: return reading ? "read" : "write";
	default: return sio_bdev_io_type_name(workload_io_type(j->cfg.workload));
	}
}

/*
 * Account for the completion of slot @s's I/O, described by @io (s->io, or
 * the task's copy of it), at @now. Return whether the slot goes on with
 * another I/O.
 */
static bp_always_inline bool slot_complete(struct bp_job *j, const struct bp_slot *s,
					   struct bp_io *io, int rc, uint64_t now)
{
	hist_record(&j->lat, now - io->submit_tick);
	if (bp_unlikely(rc != 0)) {
		/*
		 * A reset cancels the I/O submitted while it runs, on every job of
		 * the bdev (SPDK's bdevperf ignores failures in reset mode). Not a
		 * failure and not a completion: a cancelled read is read again, a
		 * cancelled write never reached the data and the slot moves on, so
		 * verify stays exact.
		 */
		if (rc == -ECANCELED && j->cfg.workload == BP_RESET)
			goto next;
		__atomic_store_n(&j->failed, j->failed + 1, __ATOMIC_RELAXED);
		job_fail(j, rc, false, "%s of %" PRIu64 " bytes at offset %" PRIu64 " failed: %s",
			 slot_op_name(j, io->is_read, io->reading), j->cfg.io_size,
			 io->offset * j->cfg.io_size, strerror(-rc));
		return false;
	}
	__atomic_store_n(&j->completed, j->completed + 1, __ATOMIC_RELAXED);
	if (bp_unlikely(j->verify)) {
		if (io->reading && !verify_slot(j, s->rbuf, io->offset, io->gen))
			return false;
		io->reading = !io->reading;
	}
next:
	if (bp_unlikely(now >= j->deadline || j->completed == j->cfg.io_limit ||
			__atomic_load_n(&g_bp_abort, __ATOMIC_RELAXED)))
		j->stopping = true;
	if (j->stopping)
		return false;
	io->submit_tick = now;
	return true;
}

/* CPU time of the calling OS thread: what the job really got on a shared machine. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void job_maybe_finish(struct bp_job *j)
{
	if (j->starting || j->finished || j->inflight != 0 || j->tasks_left != 0 ||
	    j->reset_inflight)
		return;
	j->finished = true;
	if (j->reset_poller != NULL)
		sio_poller_unregister(&j->reset_poller);
	if (j->end_tick == 0)
		j->end_tick = sio_get_ticks();
	j->cpu_ns = thread_cpu_ns() - j->cpu_ns;
	bp_job_finished(j);
}

/* ------------------------------------------------------------------------ */
/* Callback engine                                                          */
/* ------------------------------------------------------------------------ */

static void cb_done(void *arg, int rc);

static void cb_retry(void *arg);

/* Submission failed with @rc: wait for a bdev_io, or the slot goes idle (and the job may finish). */
static void __attribute__((noinline)) cb_issue_failed(struct bp_job *j, struct bp_slot *s, int rc)
{
	for (;;) {
		if (rc != -ENOMEM)
			break;
		/* Out of bdev_io: wait for one (-EAGAIN: one came back meanwhile). */
		rc = sio_bdev_queue_io_wait(sio_bdev_desc_get_bdev(j->desc), j->ch, &s->wait);
		if (rc == 0)
			return;
		if (rc != -EAGAIN)
			break;
		rc = slot_issue_cb(j, s, cb_done);
		if (rc == 0)
			return;
	}
	job_fail(j, rc, false, "cannot submit %s at offset %" PRIu64 ": %s",
		 slot_op_name(j, s->io.is_read, s->io.reading), s->io.offset * j->cfg.io_size,
		 strerror(-rc));
	j->inflight--;
	if (j->end_tick == 0 && j->inflight == 0)
		j->end_tick = sio_get_ticks();
	job_maybe_finish(j);
}

/* Submit @s's prepared I/O. */
static bp_always_inline void cb_issue(struct bp_job *j, struct bp_slot *s)
{
	int rc = slot_issue_cb(j, s, cb_done);

	if (bp_unlikely(rc != 0))
		cb_issue_failed(j, s, rc);
}

static void cb_retry(void *arg)
{
	struct bp_slot *s = arg;

	cb_issue(s->job, s);
}

static void cb_done(void *arg, int rc)
{
	struct bp_slot *s = arg;
	struct bp_job *j = s->job;
	/* The bdev layer's tick of this completion: no clock read of our own. */
	uint64_t now = sio_bdev_get_completion_ticks();

	if (bp_likely(slot_complete(j, s, &s->io, rc, now))) {
		slot_prepare(j, s, &s->io);
		cb_issue(j, s);
		return;
	}
	if (--j->inflight == 0) {
		j->end_tick = now;
		job_maybe_finish(j);
	}
}

/* ------------------------------------------------------------------------ */
/* Task engine                                                              */
/* ------------------------------------------------------------------------ */

/*
 * One slot's task. Its state is in locals, as a user writes a task: the
 * slot's struct is read once, at the start. What is live across an await
 * (the job, the buffer, the I/O's unit and submission tick) then sits in
 * the callee-saved registers the _await call and the switch save on the
 * task's stack, on the lines a parked task keeps hot anyway, instead of in
 * one more line per slot, which at QD128 pushed the 128 tasks' working set
 * out of L1D (docs/async.md, "Sixth round"). The same work as cb_done():
 * the same slot_prepare() and slot_complete() on the task's copy.
 */
static int slot_task(void *arg)
{
	const struct bp_slot *s = arg;
	struct bp_job *j = s->job;
	void *buf = s->buf;
	struct bp_io io = s->io;
	int rc;

	io.submit_tick = bp_ticks(j);
	do {
		slot_prepare(j, s, &io);
		rc = slot_issue_await(j, s, &io, buf);
	} while (slot_complete(j, s, &io, rc, sio_bdev_get_completion_ticks()));
	if (--j->tasks_left == 0) {
		j->end_tick = sio_get_ticks();
		job_maybe_finish(j);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Reset workload                                                           */
/* ------------------------------------------------------------------------ */

static void reset_done(void *arg, int rc)
{
	struct bp_job *j = arg;

	j->reset_inflight = false;
	if (rc != 0)
		job_fail(j, rc, false, "reset failed: %s", strerror(-rc));
	else
		j->resets_done++;
	job_maybe_finish(j);
}

static int reset_poll(void *arg)
{
	struct bp_job *j = arg;
	int rc;

	if (j->stopping || j->reset_inflight)
		return SIO_POLLER_IDLE;
	rc = sio_bdev_reset(j->desc, j->ch, reset_done, j);
	if (rc == 0)
		j->reset_inflight = true;
	else if (rc != -ENOMEM)
		job_fail(j, rc, false, "cannot submit a reset: %s", strerror(-rc));
	return SIO_POLLER_BUSY;
}

/* ------------------------------------------------------------------------ */
/* Setup, start, teardown                                                   */
/* ------------------------------------------------------------------------ */

static void on_bdev_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	struct bp_job *j = ctx;

	if (type == SIO_BDEV_EVENT_REMOVE)
		job_fail(j, -ENODEV, false, "bdev removed during the run");
}

void bp_job_setup(void *arg)
{
	struct bp_job *j = arg;
	const struct bp_config *c = &j->cfg;
	struct sio_bdev *bdev;
	unsigned int nbuf = workload_buffers(c->workload);
	uint64_t units, align, stride;
	int rc;

	j->thread = sio_thread_get_current();
	rc = sio_bdev_open(j->bdev_name, bp_workload_writes(c->workload), on_bdev_event, j,
			   &j->desc);
	if (rc != 0) {
		job_fail(j, rc, false, "cannot open the bdev%s: %s",
			 bp_workload_writes(c->workload) ? " for writing" : "", strerror(-rc));
		return;
	}
	bdev = sio_bdev_desc_get_bdev(j->desc);
	j->block_size = sio_bdev_get_block_size(bdev);
	if (c->io_size % j->block_size != 0) {
		job_fail(j, -EINVAL, false, "I/O size %" PRIu64 " is not a multiple of the block size %u",
			 c->io_size, j->block_size);
		return;
	}
	/*
	 * A null bdev stores nothing (a read leaves the buffer as it was), so a
	 * read-back can never match: say so instead of reporting a mismatch that
	 * would read as corruption. SPDK's bdevperf runs it and fails with
	 * "Buffer mismatch".
	 */
	if (workload_is_verify(c->workload) && strcmp(sio_bdev_get_module_name(bdev), "null") == 0) {
		job_fail(j, -EINVAL, false,
			 "%s needs a bdev that stores data: %s is a null bdev (writes are discarded, "
			 "reads leave the buffer as it was)", bp_workload_name(c->workload),
			 j->bdev_name);
		return;
	}
	if (c->workload == BP_RESET && !sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_RESET)) {
		job_fail(j, -ENOTSUP, false, "the bdev does not support reset");
		return;
	}
	if (!sio_bdev_io_type_supported(bdev, workload_io_type(c->workload)) ||
	    ((c->workload == BP_RW || c->workload == BP_RANDRW || workload_is_verify(c->workload)) &&
	     !sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_READ))) {
		job_fail(j, -ENOTSUP, false, "the bdev does not support %s I/O",
			 sio_bdev_io_type_name(workload_io_type(c->workload)));
		return;
	}
	j->blocks_per_io = c->io_size / j->block_size;
	j->verify = workload_is_verify(c->workload);
	j->random = workload_is_random(c->workload);
	j->mixed = c->workload == BP_RW || c->workload == BP_RANDRW;
	j->tsc = sio_ticks_are_tsc();
	if (c->workload == BP_READ || c->workload == BP_RANDREAD) {
		j->rw_cb = sio_bdev_read_blocks;
		j->rw_await = sio_bdev_read_blocks_await;
	} else if (c->workload == BP_WRITE || c->workload == BP_RANDWRITE) {
		j->rw_cb = sio_bdev_write_blocks;
		j->rw_await = sio_bdev_write_blocks_await;
	}
	units = sio_bdev_get_num_blocks(bdev) / j->blocks_per_io;
	j->unit_start = 0;
	j->unit_count = units;
	if (workload_is_verify(c->workload) && j->share_count > 1) {
		/* Cores verifying one bdev each get a range of their own. */
		j->unit_count = units / j->share_count;
		j->unit_start = j->unit_count * j->share_index;
	}
	if (j->unit_count == 0 ||
	    (workload_is_verify(c->workload) && j->unit_count < c->queue_depth)) {
		job_fail(j, -ERANGE, false,
			 "the bdev (%" PRIu64 " I/O units of %" PRIu64 " bytes for this job) is too "
			 "small for %s at queue depth %u", j->unit_count, c->io_size,
			 bp_workload_name(c->workload), c->queue_depth);
		return;
	}
	j->ch = sio_bdev_desc_get_io_channel(j->desc);
	if (j->ch == NULL) {
		job_fail(j, -errno, false, "cannot get an I/O channel: %s", strerror(errno));
		return;
	}
	j->slots = calloc(c->queue_depth, sizeof(*j->slots));
	align = sio_bdev_get_buf_align(bdev);
	if (align < 64)
		align = 64;
	stride = (c->io_size + align - 1) / align * align;
	if (nbuf > 0)
		j->buf_mem = sio_dma_zmalloc(stride * nbuf * c->queue_depth, align);
	if (j->slots == NULL || (nbuf > 0 && j->buf_mem == NULL)) {
		job_fail(j, -ENOMEM, false, "cannot allocate %u slots of %" PRIu64 " bytes",
			 c->queue_depth, stride * nbuf);
		return;
	}
	for (uint32_t i = 0; i < c->queue_depth; i++) {
		struct bp_slot *s = &j->slots[i];

		s->job = j;
		if (nbuf > 0)
			s->buf = j->buf_mem + stride * nbuf * i;
		if (nbuf > 1)
			s->rbuf = (uint8_t *)s->buf + stride;
		s->wait.bdev = bdev;
		s->wait.cb_fn = cb_retry;
		s->wait.cb_arg = s;
	}
	if (nbuf == 1 && bp_workload_writes(c->workload))
		memset(j->buf_mem, 0xa5, stride * c->queue_depth);
	j->seed = mix64(sio_get_ticks() ^ ((uint64_t)j->core << 32) ^ j->share_index);
	j->rng = j->seed | 1;
}

void bp_job_start(void *arg)
{
	struct bp_job *j = arg;
	const struct bp_config *c = &j->cfg;
	uint64_t now;

	hist_init(&j->lat);
	/* Atomic like every write of these: the app thread reads them for progress lines. */
	__atomic_store_n(&j->completed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&j->failed, 0, __ATOMIC_RELAXED);
	j->stopping = false;
	j->end_tick = 0;
	j->seq_next = 0;
	j->inflight = j->tasks_left = 0;
	j->resets_done = 0;
	j->finished = false;
	j->starting = true; /* no finish before every slot has started */
	j->cpu_ns = thread_cpu_ns(); /* the start, until the job finishes */
	now = sio_get_ticks();
	j->start_tick = now;
	j->deadline = now + (uint64_t)(c->seconds * (double)sio_get_ticks_hz());
	if (c->workload == BP_RESET) {
		j->reset_poller = sio_poller_register_named("bdevperf_reset", reset_poll, j,
							    BP_RESET_PERIOD_US);
		if (j->reset_poller == NULL)
			job_fail(j, -ENOMEM, false, "cannot register the reset poller");
	}
	for (uint32_t i = 0; i < c->queue_depth && !j->stopping; i++) {
		struct bp_slot *s = &j->slots[i];

		s->io.reading = false;
		s->io.gen = 0;
		s->io.next_unit = j->unit_start + i;
		s->io.submit_tick = now;
		if (c->api == BP_API_TASK) {
			struct sio_task_opts o;
			int rc;

			sio_task_opts_init(&o, sizeof(o));
			o.name = "bdevperf_slot";
			rc = sio_task_spawn(&o, slot_task, s, NULL);
			if (rc != 0) {
				job_fail(j, rc, false, "cannot spawn a task: %s", strerror(-rc));
				break;
			}
			j->tasks_left++;
		} else {
			j->inflight++;
			slot_prepare(j, s, &s->io);
			cb_issue(j, s);
		}
	}
	j->starting = false;
	job_maybe_finish(j);
}

void bp_job_teardown(void *arg)
{
	struct bp_job *j = arg;

	if (j->reset_poller != NULL)
		sio_poller_unregister(&j->reset_poller);
	if (j->ch != NULL)
		sio_io_channel_put(j->ch);
	j->ch = NULL;
	if (j->desc != NULL)
		sio_bdev_close(j->desc);
	j->desc = NULL;
	sio_dma_free(j->buf_mem);
	j->buf_mem = NULL;
	free(j->slots);
	j->slots = NULL;
}
