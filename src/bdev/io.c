/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The I/O path: validation, bdev_io from the channel cache, dispatch to the
 * module, completion with statistics, and the slow paths (splitting, bounce
 * buffers) kept out of line.
 *
 * Cost budget of the fast path (null bdev, ~80 ns per I/O all-in): one
 * function-pointer call into the module, two tick reads for latency, a
 * free-list pop and push. No lock, no atomic read-modify-write, no allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "async/await_inline.h"
#include "bdev/bdev_internal.h"
#include "spdk_io/trace.h"
#include "thread/thread_current.h"

/* ------------------------------------------------------------------------ */
/* Completion                                                               */
/* ------------------------------------------------------------------------ */

/* One kind's counters for a successful I/O of @bytes that took @lat ticks. */
#define BDEV_STAT_ADD(s, kind, ops, bytes, lat)                        \
	do {                                                           \
		(s)->bytes_##kind += (bytes);                          \
		(s)->num_##ops##_ops++;                                \
		(s)->ops##_latency_ticks += (lat);                     \
		if ((lat) > (s)->max_##ops##_latency_ticks)            \
			(s)->max_##ops##_latency_ticks = (lat);        \
		if ((lat) < (s)->min_##ops##_latency_ticks)            \
			(s)->min_##ops##_latency_ticks = (lat);        \
	} while (0)

/* Inlined into the completion: a call here costs a fifth of the accounting. */
static __attribute__((always_inline)) inline void
bdev_stat_account(struct bdev_channel *bch, struct sio_bdev_io *io, int status, uint64_t now)
{
	struct sio_bdev_io_stat *s = &bch->stat;
	uint64_t lat = now - io->internal.submit_tsc;
	uint64_t bytes = io->num_blocks * io->bdev->blocklen;

	if (bdev_unlikely(status != 0)) {
		s->num_io_errors++;
		return;
	}
	/* The latency histogram's whole cost while off: this test (histogram.c). */
	if (bdev_unlikely(bch->hist != NULL))
		bdev_hist_tally(bch->hist, io->type, lat);
	/* Reads first, by a plain test: the common case skips the jump table. */
	if (bdev_likely(io->type == SIO_BDEV_IO_TYPE_READ)) {
		BDEV_STAT_ADD(s, read, read, bytes, lat);
		return;
	}
	switch (io->type) {
	case SIO_BDEV_IO_TYPE_WRITE:
		BDEV_STAT_ADD(s, written, write, bytes, lat);
		break;
	case SIO_BDEV_IO_TYPE_UNMAP:
		BDEV_STAT_ADD(s, unmapped, unmap, bytes, lat);
		break;
	case SIO_BDEV_IO_TYPE_FLUSH:
		s->num_flush_ops++;
		break;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		s->num_write_zeroes_ops++;
		s->bytes_write_zeroes += bytes;
		break;
	case SIO_BDEV_IO_TYPE_COMPARE:
		s->num_compare_ops++;
		break;
	case SIO_BDEV_IO_TYPE_RESET:
		s->num_reset_ops++;
		break;
	default:
		break;
	}
}

/*
 * An awaited I/O (the _await forms) passes the waiting task itself as the
 * callback argument; what the completion leaves for it goes to the task's
 * queued-completion record (async_task_wait_complete(), await_inline.h), in
 * the task control block: the I/O to finish (accounting, free) when the task
 * runs, or NULL when the completion did it all (slow path), and the status.
 *
 * bdev_await_done() is the callback of every awaited I/O. Called only for
 * completions the slow path finished (bounce, split); a plain one is caught
 * in sio_bdev_io_complete() by this address and left for the task.
 */
static void bdev_await_done(void *arg, int status)
{
	async_task_wait_complete(arg, NULL, status);
}

static void bdev_bounce_finish(struct sio_bdev_io *io, int status)
{
	size_t len = io->num_blocks * io->bdev->blocklen;

	if (status == 0 && io->type == SIO_BDEV_IO_TYPE_READ)
		sio_iovs_from_buf(io->internal.orig_iovs, io->internal.orig_iovcnt,
				  io->internal.bounce_buf, len);
	sio_dma_free(io->internal.bounce_buf);
	io->internal.bounce_buf = NULL;
	io->iovs = io->internal.orig_iovs;
	io->iovcnt = io->internal.orig_iovcnt;
}


/*
 * A submission's tracepoint record, out of line: the inline call kept the
 * bdev, offset and count alive across the submit path (two more callee-saved
 * registers, ~9 instructions per I/O with tracing off).
 */
static __attribute__((noinline, cold)) void bdev_trace_start(struct sio_bdev_io *io)
{
	sio_trace_record(SIO_TP_BDEV_IO_START, (uintptr_t)io->bdev, (uintptr_t)io, io->type,
			 io->offset_blocks, io->num_blocks);
}

/*
 * A forwarded I/O came back from the base: count it there, make it the
 * module's again and ask the module for the status to finish it with.
 */
static __attribute__((always_inline)) inline int
bdev_forward_finish(struct bdev_channel *bch, struct sio_bdev_io *io, int status, uint64_t now)
{
	bdev_stat_account(io->internal.fwd.ch, io, status, now);
	io->bdev = bch->bdev;
	io->offset_blocks = io->internal.fwd.offset_blocks;
	io->internal.flags &= (uint8_t)~BDEV_IO_F_FWD;
	return io->internal.fwd.cb(bch->module_ch, io, status);
}

static void bdev_io_complete_cb(struct sio_bdev_io *io, int status);

/* sio_bdev_io_complete() of an awaited I/O with its tracepoint on. */
static __attribute__((noinline, cold)) void bdev_io_complete_awaited_traced(struct sio_bdev_io *io,
									  int status)
{
	sio_trace_record(SIO_TP_BDEV_IO_DONE, (uintptr_t)io->bdev, (uintptr_t)io,
			 (uint64_t)(int64_t)status, 0, 0);
	io->internal.flags = 0;
	async_task_wait_complete(io->internal.cb_arg, io, status);
}

void sio_bdev_io_complete(struct sio_bdev_io *io, int status)
{
	/*
	 * Awaited: the task does the rest when it runs (bdev_await_wait()),
	 * reading the clock then, so the tick it takes serves as this I/O's
	 * completion and its next I/O's submission, as a callback's does. Not
	 * in flight from here on (a second completion is caught). Tested first
	 * and alone, so that this case needs no stack frame (it is the whole of
	 * an awaited I/O's completion, 128 times per poll at QD128); everything
	 * else is bdev_io_complete_cb().
	 */
	if (bdev_likely(io->internal.cb == bdev_await_done &&
			io->internal.flags == BDEV_IO_F_INFLIGHT)) {
		if (bdev_unlikely(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_DONE))) {
			bdev_io_complete_awaited_traced(io, status);
			return;
		}
		io->internal.flags = 0;
		async_task_wait_complete(io->internal.cb_arg, io, status);
		return;
	}
	bdev_io_complete_cb(io, status);
}

static __attribute__((noinline)) void bdev_io_complete_cb(struct sio_bdev_io *io, int status)
{
	struct bdev_channel *bch = io->internal.ch;
	uint8_t flags = io->internal.flags;
	sio_done_cb cb = io->internal.cb;
	void *cb_arg = io->internal.cb_arg;
	uint64_t now, outer_tick;

	SIO_TRACE(SIO_TP_BDEV_IO_DONE, io->bdev, io, status, 0, 0);
	if (bdev_likely(flags == BDEV_IO_F_INFLIGHT)) {
		/* (Awaited ones never get here: see above.) */
		now = bdev_ticks(bch);
		bdev_stat_account(bch, io, status, now);
	} else if (flags == (BDEV_IO_F_INFLIGHT | BDEV_IO_F_FWD)) {
		/*
		 * Back from the base (sio_bdev_io_forward()), then finished as
		 * the module's: one clock read for both.
		 */
		now = bdev_ticks(bch);
		status = bdev_forward_finish(bch, io, status, now);
		if (status == SIO_BDEV_IO_FORWARD_KEEP)
			return;
		/* The record above was the base's; this one ends the module's
		 * (a kept I/O gets it from its own completion later). */
		SIO_TRACE(SIO_TP_BDEV_IO_DONE, io->bdev, io, status, 0, 0);
		bdev_stat_account(bch, io, status, now);
	} else {
		if (!(flags & BDEV_IO_F_INFLIGHT)) {
			SIO_ERRLOG("bdev %s: bdev_io completed twice (or never submitted): ignored",
				   io->bdev->name);
			return;
		}
		now = bdev_ticks(bch);
		if (flags & BDEV_IO_F_FWD) {
			/* As above, with a bounce or as a split's piece. */
			status = bdev_forward_finish(bch, io, status, now);
			if (status == SIO_BDEV_IO_FORWARD_KEEP)
				return;
			SIO_TRACE(SIO_TP_BDEV_IO_DONE, io->bdev, io, status, 0, 0);
			flags = io->internal.flags;
		}
		if (flags & BDEV_IO_F_BOUNCE)
			bdev_bounce_finish(io, status);
		if (!(flags & BDEV_IO_F_CHILD))
			bdev_stat_account(bch, io, status, now);
		if (flags & BDEV_IO_F_PARENT)
			bch->split_parents--;
	}
	/* Free first: the callback may submit again and reuse this very object. */
	bdev_io_put(bch, io);
	/*
	 * SIO_AWAIT_CALL() on a callback form queues its task rather than
	 * resuming it here: the tasks a batch of completions readied then run
	 * back to back at the run-queue poll, each parking straight into the
	 * next, one stack switch per I/O instead of two (docs/async.md,
	 * "Awaited bdev I/O"). The future is the waiting task's stack variable,
	 * seen by nobody else, so the later resume changes nothing for anyone.
	 */
	if (cb == sio_future_cb) {
		async_future_complete_queued(cb_arg, status, NULL);
	} else {
		/*
		 * The callback sees this completion's tick as the thread's event
		 * tick: what it submits takes it as its submission tick, and
		 * sio_bdev_get_completion_ticks() hands it to the caller, so a
		 * callback loop reads the clock once per I/O. Saved and restored:
		 * a nested completion keeps its own.
		 */
		outer_tick = g_thread_event_tick;
		g_thread_event_tick = now;
		cb(cb_arg, status);
		g_thread_event_tick = outer_tick;
	}
	if (bdev_unlikely(bch->wait_head != NULL || bch->retry_head != NULL))
		bdev_channel_kick(bch);
}

/* ------------------------------------------------------------------------ */
/* Dispatch: bounce if needed, then hand to the module                      */
/* ------------------------------------------------------------------------ */

static bool bdev_io_misaligned(const struct bdev_channel *bch, const struct sio_bdev_io *io)
{
	for (int i = 0; i < io->iovcnt; i++)
		if ((((uintptr_t)io->iovs[i].iov_base) | io->iovs[i].iov_len) & bch->align_mask)
			return true;
	return false;
}

/* Slow path: copy through an aligned DMA buffer. Costs an allocation and a copy. */
static int bdev_bounce_setup(struct bdev_channel *bch, struct sio_bdev_io *io)
{
	size_t len = io->num_blocks * io->bdev->blocklen;
	void *buf = sio_dma_malloc(len, bch->align_mask + 1);

	if (buf == NULL)
		return -ENOMEM;
	if (io->type != SIO_BDEV_IO_TYPE_READ)
		sio_iovs_to_buf(io->iovs, io->iovcnt, buf, len);
	io->internal.orig_iovs = io->iovs;
	io->internal.orig_iovcnt = io->iovcnt;
	io->internal.bounce_buf = buf;
	io->internal.bounce_iov.iov_base = buf;
	io->internal.bounce_iov.iov_len = len;
	io->iovs = &io->internal.bounce_iov;
	io->iovcnt = 1;
	io->internal.flags |= BDEV_IO_F_BOUNCE;
	return 0;
}

static inline int bdev_io_dispatch(struct bdev_channel *bch, struct sio_bdev_io *io)
{
	if (bdev_unlikely(bch->align_mask != 0) && io->iovcnt > 0 && bdev_io_misaligned(bch, io)) {
		int rc = bdev_bounce_setup(bch, io);

		if (rc != 0)
			return rc;
	}
	bch->submit(bch->module_ch, io);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Splitting                                                                */
/* ------------------------------------------------------------------------ */

static bool bdev_io_should_split(const struct bdev_channel *bch, enum sio_bdev_io_type type,
				 uint64_t offset, uint64_t num)
{
	if (type == SIO_BDEV_IO_TYPE_FLUSH || type == SIO_BDEV_IO_TYPE_RESET)
		return false;
	if (bch->max_transfer != 0 && num > bch->max_transfer)
		return true;
	if (bch->boundary != 0 && bdev_type_has_data(type)) {
		/* A power-of-two boundary (an lvol's cluster) spares two divisions per I/O. */
		if ((bch->boundary & (bch->boundary - 1)) == 0)
			return ((offset ^ (offset + num - 1)) & ~(uint64_t)(bch->boundary - 1)) != 0;
		return offset / bch->boundary != (offset + num - 1) / bch->boundary;
	}
	return false;
}

/* Move (@idx, @off) forward by @bytes within @iovs. */
static void iov_advance(const struct iovec *iovs, int iovcnt, int *idx, size_t *off, size_t bytes)
{
	while (bytes > 0 && *idx < iovcnt) {
		size_t avail = iovs[*idx].iov_len - *off;

		if (bytes < avail) {
			*off += bytes;
			return;
		}
		bytes -= avail;
		(*idx)++;
		*off = 0;
	}
}

/*
 * Describe the next piece of @parent in @child: up to @num blocks, fewer if
 * the slice needs more than SIO_BDEV_IO_CHILD_IOVS iovecs. Return the blocks
 * covered (0 if not even one block fits).
 */
static uint64_t bdev_split_fill_child(struct sio_bdev_io *parent, struct sio_bdev_io *child,
				      uint64_t num)
{
	uint32_t blocklen = parent->bdev->blocklen;
	size_t want = num * blocklen, got = 0;
	int idx = parent->internal.u.split.iov_idx, cnt = 0;
	size_t off = parent->internal.u.split.iov_off;

	if (!bdev_type_has_data(parent->type)) {
		child->iovs = NULL;
		child->iovcnt = 0;
		return num;
	}
	while (got < want && cnt < SIO_BDEV_IO_CHILD_IOVS && idx < parent->iovcnt) {
		size_t avail = parent->iovs[idx].iov_len - off;
		size_t take = avail < want - got ? avail : want - got;

		child->internal.u.child_iovs[cnt].iov_base = (uint8_t *)parent->iovs[idx].iov_base + off;
		child->internal.u.child_iovs[cnt].iov_len = take;
		cnt++;
		got += take;
		off += take;
		if (off == parent->iovs[idx].iov_len) {
			idx++;
			off = 0;
		}
	}
	if (got < want) {
		size_t trim = got % blocklen;

		got -= trim;
		while (trim > 0) {
			struct iovec *last = &child->internal.u.child_iovs[cnt - 1];

			if (last->iov_len <= trim) {
				trim -= last->iov_len;
				cnt--;
			} else {
				last->iov_len -= trim;
				trim = 0;
			}
		}
	}
	child->iovs = child->internal.u.child_iovs;
	child->iovcnt = cnt;
	iov_advance(parent->iovs, parent->iovcnt, &parent->internal.u.split.iov_idx,
		    &parent->internal.u.split.iov_off, got);
	return got / blocklen;
}

static void bdev_split_child_done(void *cb_arg, int rc);

static void bdev_split_parent_finish_msg(void *ctx)
{
	struct sio_bdev_io *parent = ctx;

	sio_bdev_io_complete(parent, parent->internal.u.split.status);
}

static void bdev_split_maybe_finish(struct sio_bdev_io *parent)
{
	struct bdev_channel *bch = parent->internal.ch;

	if (parent->internal.u.split.outstanding != 0)
		return;
	if (parent->internal.u.split.remaining != 0 && parent->internal.u.split.status == 0)
		return;
	if (parent->internal.flags & BDEV_IO_F_IN_SUBMIT) {
		/* Never run the caller's callback inside its own submit call. */
		if (sio_thread_send_msg(bch->thread, bdev_split_parent_finish_msg, parent) == 0)
			return;
	}
	sio_bdev_io_complete(parent, parent->internal.u.split.status);
}

void bdev_split_continue(struct bdev_channel *bch, struct sio_bdev_io *parent)
{
	parent->internal.flags |= BDEV_IO_F_SPLITTING;
	while (parent->internal.u.split.remaining > 0 && parent->internal.u.split.status == 0) {
		uint64_t off = parent->internal.u.split.next_block;
		uint64_t num = parent->internal.u.split.remaining;
		struct sio_bdev_io *child = bch->free_list;
		int rc;

		/* A reset froze the channel: the pieces not yet sent never will be. */
		if (bdev_unlikely(bch->frozen)) {
			parent->internal.u.split.status = -ECANCELED;
			break;
		}
		if (child == NULL) {
			if (parent->internal.u.split.outstanding == 0) {
				/* Nothing of ours in flight to wake us: wait for any free bdev_io. */
				parent->internal.next = NULL;
				if (bch->retry_tail != NULL)
					bch->retry_tail->internal.next = parent;
				else
					bch->retry_head = parent;
				bch->retry_tail = parent;
			}
			break;
		}
		if (bch->max_transfer != 0 && num > bch->max_transfer)
			num = bch->max_transfer;
		if (bch->boundary != 0 && bdev_type_has_data(parent->type)) {
			uint64_t to_boundary = bch->boundary - off % bch->boundary;

			if (num > to_boundary)
				num = to_boundary;
		}
		bdev_io_take(bch, child);
		child->type = parent->type;
		child->offset_blocks = off;
		num = bdev_split_fill_child(parent, child, num);
		if (num == 0) {
			bdev_io_put(bch, child);
			SIO_ERRLOG("bdev %s: iovec too fragmented to split (more than %d entries "
				   "per block)", bch->bdev->name, SIO_BDEV_IO_CHILD_IOVS);
			parent->internal.u.split.status = -EINVAL;
			break;
		}
		child->num_blocks = num;
		child->internal.cb = bdev_split_child_done;
		child->internal.cb_arg = parent;
		child->internal.flags = BDEV_IO_F_INFLIGHT | BDEV_IO_F_CHILD;
		child->internal.parent = parent;
		child->internal.submit_tsc = parent->internal.submit_tsc;
		parent->internal.u.split.next_block += num;
		parent->internal.u.split.remaining -= num;
		parent->internal.u.split.outstanding++;
		rc = bdev_io_dispatch(bch, child);
		if (rc != 0) {
			parent->internal.u.split.outstanding--;
			bdev_io_put(bch, child);
			parent->internal.u.split.status = rc;
		}
	}
	parent->internal.flags &= (uint8_t)~BDEV_IO_F_SPLITTING;
	bdev_split_maybe_finish(parent);
}

void bdev_split_abort(struct sio_bdev_io *parent, int status)
{
	if (parent->internal.u.split.status == 0)
		parent->internal.u.split.status = status;
	bdev_split_maybe_finish(parent);
}

static void bdev_split_child_done(void *cb_arg, int rc)
{
	struct sio_bdev_io *parent = cb_arg;

	parent->internal.u.split.outstanding--;
	if (rc != 0 && parent->internal.u.split.status == 0)
		parent->internal.u.split.status = rc;
	if (parent->internal.flags & BDEV_IO_F_SPLITTING)
		return; /* the submitting loop is still running and will finish up */
	if (parent->internal.u.split.remaining > 0 && parent->internal.u.split.status == 0)
		bdev_split_continue(parent->internal.ch, parent);
	else
		bdev_split_maybe_finish(parent);
}

/* ------------------------------------------------------------------------ */
/* Submission                                                               */
/* ------------------------------------------------------------------------ */

static int bdev_submit_split(struct bdev_channel *bch, struct sio_bdev_io *io)
{
	/*
	 * Parents hold a bdev_io while their pieces need more; capping them at
	 * half the cache guarantees pieces can always get one (no deadlock).
	 */
	if (bch->split_parents >= bch->cache_size / 2)
		return -ENOMEM;
	bdev_io_take(bch, io);
	bch->split_parents++;
	io->internal.flags = BDEV_IO_F_INFLIGHT | BDEV_IO_F_PARENT | BDEV_IO_F_IN_SUBMIT;
	io->internal.u.split.next_block = io->offset_blocks;
	io->internal.u.split.remaining = io->num_blocks;
	io->internal.u.split.outstanding = 0;
	io->internal.u.split.status = 0;
	io->internal.u.split.iov_idx = 0;
	io->internal.u.split.iov_off = 0;
	bdev_split_continue(bch, io);
	io->internal.flags &= (uint8_t)~BDEV_IO_F_IN_SUBMIT;
	return 0;
}

/*
 * Everything after the type check. @frozen is a constant at both call sites:
 * the fast path gets no trace of it, the frozen path no split or dispatch.
 */
static __attribute__((always_inline)) inline int
bdev_submit_tail(struct sio_bdev_desc *desc, struct bdev_channel *bch, bool frozen,
		 enum sio_bdev_io_type type, struct iovec *iovs, int iovcnt, void *buf,
		 uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg)
{
	struct sio_bdev *bdev = desc->bdev;
	struct sio_bdev_io *io;
	uint64_t blockcnt;
	int rc;

	if (bdev_unlikely(bdev_type_writes(type) && !desc->write))
		return -EBADF;
	if (bdev_unlikely(__atomic_load_n(&desc->removed, __ATOMIC_RELAXED)))
		return -ENODEV;
	blockcnt = __atomic_load_n(&bdev->blockcnt, __ATOMIC_RELAXED);
	if (bdev_unlikely(num_blocks == 0))
		return -EINVAL;
	if (bdev_unlikely(offset_blocks >= blockcnt || num_blocks > blockcnt - offset_blocks))
		return -ERANGE;
	if (bdev_unlikely(thread_current() != bch->thread))
		return -EPERM;
	io = bch->free_list;
	if (bdev_unlikely(io == NULL))
		return -ENOMEM;

	io->type = type;
	io->offset_blocks = offset_blocks;
	io->num_blocks = num_blocks;
	if (buf != NULL) {
		io->internal.iov.iov_base = buf;
		io->internal.iov.iov_len = num_blocks * bdev->blocklen;
		io->iovs = &io->internal.iov;
		io->iovcnt = 1;
	} else {
		io->iovs = iovs;
		io->iovcnt = iovcnt;
	}
	io->internal.cb = cb;
	io->internal.cb_arg = cb_arg;
	/* Inside a completion's handling, its tick (thread_current.h): no clock read. */
	io->internal.submit_tsc = g_thread_event_tick != 0 ? g_thread_event_tick : bdev_ticks(bch);
	if (bdev_unlikely(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_START)))
		bdev_trace_start(io);

	if (frozen)
		return bdev_cancel_later(bch, io);

	if (bdev_unlikely(bch->needs_split) &&
	    bdev_io_should_split(bch, type, offset_blocks, num_blocks))
		return bdev_submit_split(bch, io);

	bdev_io_take(bch, io);
	io->internal.flags = BDEV_IO_F_INFLIGHT;
	rc = bdev_io_dispatch(bch, io);
	if (bdev_unlikely(rc != 0))
		bdev_io_put(bch, io);
	return rc;
}

/*
 * The submission of an awaited buffer I/O (sio_bdev_<op>_blocks_await()),
 * inlined there: what bdev_submit() does for the common case and nothing
 * else. Any other case (an error to report, no free bdev_io, a split, a
 * bounce, a trace point on, no TSC and no event tick, a frozen channel)
 * returns BDEV_SUBMIT_SLOW before anything changed, and the caller starts
 * over with the full path, out of line. Why: the rare cases' calls made the
 * inlined form keep spill slots and every callee-saved register in its
 * frame, and that frame stays on each parked task's stack, part of the
 * working set of a task loop at high queue depth (docs/async.md, "Stack
 * lines of a parked task"). Here the only call is the module's submit.
 */
#define BDEV_SUBMIT_SLOW 1

static __attribute__((always_inline)) inline int
bdev_submit_lean(struct sio_bdev_desc *desc, struct sio_io_channel *ch, enum sio_bdev_io_type type,
		 void *buf, uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb,
		 void *cb_arg)
{
	struct bdev_channel *bch;
	struct sio_bdev *bdev;
	struct sio_bdev_io *io;
	uint64_t blockcnt, len, tick;

	if (bdev_unlikely(desc == NULL || ch == NULL || buf == NULL))
		return BDEV_SUBMIT_SLOW;
	bdev = desc->bdev;
	bch = thread_io_channel_ctx(ch);
	if (bdev_unlikely(bch->bdev != bdev || !((bch->supported_mask >> type) & 1u)))
		return BDEV_SUBMIT_SLOW;
	if (bdev_unlikely(bdev_type_writes(type) && !desc->write))
		return BDEV_SUBMIT_SLOW;
	if (bdev_unlikely(__atomic_load_n(&desc->removed, __ATOMIC_RELAXED)))
		return BDEV_SUBMIT_SLOW;
	blockcnt = __atomic_load_n(&bdev->blockcnt, __ATOMIC_RELAXED);
	if (bdev_unlikely(num_blocks == 0 || offset_blocks >= blockcnt ||
			  num_blocks > blockcnt - offset_blocks))
		return BDEV_SUBMIT_SLOW;
	if (bdev_unlikely(thread_current() != bch->thread))
		return BDEV_SUBMIT_SLOW;
	io = bch->free_list;
	if (bdev_unlikely(io == NULL))
		return BDEV_SUBMIT_SLOW;
	if (bdev_unlikely(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_START)))
		return BDEV_SUBMIT_SLOW;
	if (bdev_unlikely(bch->needs_split) &&
	    bdev_io_should_split(bch, type, offset_blocks, num_blocks))
		return BDEV_SUBMIT_SLOW;
	len = num_blocks * bdev->blocklen;
	if (bdev_unlikely((((uintptr_t)buf | len) & bch->align_mask) != 0))
		return BDEV_SUBMIT_SLOW;
	tick = g_thread_event_tick;
	if (bdev_unlikely(tick == 0)) {
#if BDEV_HAVE_TSC
		if (bdev_unlikely(!bch->tsc))
			return BDEV_SUBMIT_SLOW;
		tick = __rdtsc();
#else
		return BDEV_SUBMIT_SLOW;
#endif
	}

	io->type = type;
	io->offset_blocks = offset_blocks;
	io->num_blocks = num_blocks;
	io->internal.iov.iov_base = buf;
	io->internal.iov.iov_len = len;
	io->iovs = &io->internal.iov;
	io->iovcnt = 1;
	io->internal.cb = cb;
	io->internal.cb_arg = cb_arg;
	io->internal.submit_tsc = tick;
	bdev_io_take(bch, io);
	io->internal.flags = BDEV_IO_F_INFLIGHT;
	bch->submit(bch->module_ch, io);
	return 0;
}

/*
 * The type check failed: the type is unsupported, or a reset froze the
 * channel (supported_mask is 0 then). Out of line: the fast path pays
 * nothing for resets.
 */
static __attribute__((noinline, cold)) int
bdev_submit_refused(struct sio_bdev_desc *desc, struct bdev_channel *bch,
		    enum sio_bdev_io_type type, struct iovec *iovs, int iovcnt, void *buf,
		    uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg)
{
	struct bdev_internal *in = desc->bdev->internal;
	bool frozen;

	if (!bch->frozen || !((in->supported_mask >> type) & 1u))
		return -ENOTSUP;
	/*
	 * A channel the unfreeze walk missed (its last put was pending while
	 * the walk passed, then a get revived it) thaws here, on first use.
	 */
	pthread_mutex_lock(&g_bdev_mutex);
	frozen = in->reset_frozen;
	pthread_mutex_unlock(&g_bdev_mutex);
	if (!frozen) {
		if (thread_current() != bch->thread)
			return -EPERM;
		bdev_channel_unfreeze(bch);
		return bdev_submit_tail(desc, bch, false, type, iovs, iovcnt, buf, offset_blocks,
					num_blocks, cb, cb_arg);
	}
	return bdev_submit_tail(desc, bch, true, type, iovs, iovcnt, buf, offset_blocks,
				num_blocks, cb, cb_arg);
}

static __attribute__((always_inline)) inline int
bdev_submit(struct sio_bdev_desc *desc, struct sio_io_channel *ch, enum sio_bdev_io_type type,
	    struct iovec *iovs, int iovcnt, void *buf, uint64_t offset_blocks, uint64_t num_blocks,
	    sio_done_cb cb, void *cb_arg)
{
	struct bdev_channel *bch;

	if (bdev_unlikely(desc == NULL || ch == NULL || cb == NULL))
		return -EINVAL;
	bch = thread_io_channel_ctx(ch);
	if (bdev_unlikely(bch->bdev != desc->bdev))
		return -EINVAL;
	if (bdev_unlikely(!((bch->supported_mask >> type) & 1u)))
		return bdev_submit_refused(desc, bch, type, iovs, iovcnt, buf, offset_blocks,
					   num_blocks, cb, cb_arg);
	return bdev_submit_tail(desc, bch, false, type, iovs, iovcnt, buf, offset_blocks,
				num_blocks, cb, cb_arg);
}

/*
 * A virtual bdev's I/O forwarded to its base (docs/writing-a-bdev-module.md,
 * "Forwarding to a base bdev"). The I/O itself goes to the base module: no
 * second bdev_io, none of the checks it passed at its own submission again
 * (its iovecs cover its blocks, its thread is the current one), its
 * submission tick kept. sio_bdev_io_complete() sees BDEV_IO_F_FWD, counts it
 * in the base channel's stats, gives it back to the module's callback and
 * finishes it. What cannot travel that way goes as a child bdev_io through
 * bdev_submit(): the one general path.
 */
static void bdev_forward_child_done(void *arg, int status)
{
	struct sio_bdev_io *io = arg;
	int rc = io->internal.fwd.child_cb(io->internal.fwd.child_mod_ch, io, status);

	if (rc != SIO_BDEV_IO_FORWARD_KEEP)
		sio_bdev_io_complete(io, rc);
}

static __attribute__((noinline, cold)) int
bdev_forward_general(struct sio_bdev_io *io, struct sio_bdev_desc *desc, struct sio_io_channel *ch,
		     uint64_t offset_blocks, sio_bdev_io_forward_cb cb)
{
	bool data = bdev_type_has_data(io->type);
	int rc;

	if (io->type == SIO_BDEV_IO_TYPE_RESET || io->type == SIO_BDEV_IO_TYPE_INVALID ||
	    io->type >= SIO_BDEV_IO_TYPE_COUNT)
		return -EINVAL;
	/* The module that holds @io now: the base it was forwarded to, if it was. */
	io->internal.fwd.child_cb = cb;
	io->internal.fwd.child_mod_ch = (io->internal.flags & BDEV_IO_F_FWD)
						? io->internal.fwd.ch->module_ch
						: io->internal.ch->module_ch;
	rc = bdev_submit(desc, ch, io->type, data ? io->iovs : NULL, data ? io->iovcnt : 0, NULL,
			 offset_blocks, io->num_blocks, bdev_forward_child_done, io);
	return rc;
}

int sio_bdev_io_forward(struct sio_bdev_io *io, struct sio_bdev_desc *desc,
			struct sio_io_channel *ch, uint64_t offset_blocks,
			sio_bdev_io_forward_cb cb)
{
	struct bdev_channel *bch, *pch;
	struct sio_bdev *bdev;
	enum sio_bdev_io_type type;
	uint64_t num, blockcnt;

	if (bdev_unlikely(io == NULL || desc == NULL || ch == NULL || cb == NULL))
		return -EINVAL;
	bch = thread_io_channel_ctx(ch);
	pch = io->internal.ch;
	bdev = desc->bdev;
	type = io->type;
	num = io->num_blocks;
	if (bdev_unlikely(bch->bdev != bdev || bdev->blocklen != io->bdev->blocklen))
		return -EINVAL;
	/* The base's channel of the I/O's thread: it completes where it was submitted. */
	if (bdev_unlikely(bch->thread != pch->thread))
		return -EPERM;
	/* Resets (and INVALID, never in the mask) are refused by the general path. */
	if (bdev_unlikely(!(((bch->supported_mask & ~(1u << SIO_BDEV_IO_TYPE_RESET)) >> type) & 1u) ||
			  bch->io_size > pch->io_size ||
			  (io->internal.flags & BDEV_IO_F_FWD) ||
			  (bch->needs_split &&
			   bdev_io_should_split(bch, type, offset_blocks, num)) ||
			  (bch->align_mask != 0 && io->iovcnt > 0 && bdev_io_misaligned(bch, io))))
		return bdev_forward_general(io, desc, ch, offset_blocks, cb);
	if (bdev_unlikely(bdev_type_writes(type) && !desc->write))
		return -EBADF;
	if (bdev_unlikely(__atomic_load_n(&desc->removed, __ATOMIC_RELAXED)))
		return -ENODEV;
	blockcnt = __atomic_load_n(&bdev->blockcnt, __ATOMIC_RELAXED);
	if (bdev_unlikely(offset_blocks >= blockcnt || num > blockcnt - offset_blocks))
		return -ERANGE;
	io->internal.fwd.ch = bch;
	io->internal.fwd.offset_blocks = io->offset_blocks;
	io->internal.fwd.cb = cb;
	io->internal.flags |= BDEV_IO_F_FWD;
	io->bdev = bdev;
	io->offset_blocks = offset_blocks;
	if (bdev_unlikely(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_START)))
		bdev_trace_start(io);
	bch->submit(bch->module_ch, io);
	return 0;
}

/* Convert a byte range to blocks; -EINVAL unless both are block multiples. */
static __attribute__((always_inline)) inline int
bdev_bytes_to_blocks(struct sio_bdev_desc *desc, uint64_t offset, uint64_t nbytes,
		     uint64_t *offset_blocks, uint64_t *num_blocks)
{
	uint32_t bl;

	if (bdev_unlikely(desc == NULL))
		return -EINVAL;
	bl = desc->bdev->blocklen;
	if (bdev_likely((bl & (bl - 1)) == 0)) {
		unsigned int shift = (unsigned int)__builtin_ctz(bl);

		if (bdev_unlikely(((offset | nbytes) & (bl - 1)) != 0))
			return -EINVAL;
		*offset_blocks = offset >> shift;
		*num_blocks = nbytes >> shift;
		return 0;
	}
	if (offset % bl != 0 || nbytes % bl != 0)
		return -EINVAL;
	*offset_blocks = offset / bl;
	*num_blocks = nbytes / bl;
	return 0;
}

/* An iovec array must describe exactly the I/O's bytes, so modules can pass it on as is. */
static int bdev_check_iovs(struct sio_bdev_desc *desc, const struct iovec *iov, int iovcnt,
			   uint64_t num_blocks)
{
	uint64_t total = 0;

	if (desc == NULL || iov == NULL || iovcnt <= 0)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_base == NULL && iov[i].iov_len != 0)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	return total == num_blocks * desc->bdev->blocklen ? 0 : -EINVAL;
}

/*
 * bdev_<op>_blocks_inl() is sio_bdev_<op>_blocks() for this file's _await
 * forms' full path (bdev_<op>_blocks_await_slow(); the common case takes
 * bdev_submit_lean()): inlined there, no call between the _await form and
 * the module.
 */
#define DEFINE_BUF_OP(op, type)                                                            \
	static __attribute__((always_inline)) inline int bdev_##op##_blocks_inl(           \
		struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,          \
		uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg) \
	{                                                                                  \
		if (bdev_unlikely(buf == NULL))                                            \
			return -EINVAL;                                                    \
		return bdev_submit(desc, ch, type, NULL, 0, buf, offset_blocks, num_blocks, \
				   cb, cb_arg);                                            \
	}                                                                                  \
	int sio_bdev_##op##_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,  \
				   void *buf, uint64_t offset_blocks, uint64_t num_blocks, \
				   sio_done_cb cb, void *cb_arg)                           \
	{                                                                                  \
		return bdev_##op##_blocks_inl(desc, ch, buf, offset_blocks, num_blocks, cb, \
					      cb_arg);                                     \
	}                                                                                  \
	int sio_bdev_##op(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf, \
			  uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg)  \
	{                                                                                  \
		uint64_t ob, nb;                                                           \
		int rc = bdev_bytes_to_blocks(desc, offset, nbytes, &ob, &nb);             \
		if (bdev_unlikely(rc != 0))                                                \
			return rc;                                                         \
		if (bdev_unlikely(buf == NULL))                                            \
			return -EINVAL;                                                    \
		return bdev_submit(desc, ch, type, NULL, 0, buf, ob, nb, cb, cb_arg);      \
	}                                                                                  \
	int sio_bdev_##op##v_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch, \
				    struct iovec *iov, int iovcnt, uint64_t offset_blocks, \
				    uint64_t num_blocks, sio_done_cb cb, void *cb_arg)     \
	{                                                                                  \
		int rc = bdev_check_iovs(desc, iov, iovcnt, num_blocks);                   \
		if (rc != 0)                                                               \
			return rc;                                                         \
		return bdev_submit(desc, ch, type, iov, iovcnt, NULL, offset_blocks,       \
				   num_blocks, cb, cb_arg);                                \
	}                                                                                  \
	int sio_bdev_##op##v(struct sio_bdev_desc *desc, struct sio_io_channel *ch,        \
			     struct iovec *iov, int iovcnt, uint64_t offset, uint64_t nbytes, \
			     sio_done_cb cb, void *cb_arg)                                 \
	{                                                                                  \
		uint64_t ob, nb;                                                           \
		int rc = bdev_bytes_to_blocks(desc, offset, nbytes, &ob, &nb);             \
		if (rc != 0)                                                               \
			return rc;                                                         \
		return sio_bdev_##op##v_blocks(desc, ch, iov, iovcnt, ob, nb, cb, cb_arg); \
	}

DEFINE_BUF_OP(read, SIO_BDEV_IO_TYPE_READ)
DEFINE_BUF_OP(write, SIO_BDEV_IO_TYPE_WRITE)
DEFINE_BUF_OP(compare, SIO_BDEV_IO_TYPE_COMPARE)

#define DEFINE_RANGE_OP(op, type)                                                          \
	int sio_bdev_##op##_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,  \
				   uint64_t offset_blocks, uint64_t num_blocks,            \
				   sio_done_cb cb, void *cb_arg)                           \
	{                                                                                  \
		return bdev_submit(desc, ch, type, NULL, 0, NULL, offset_blocks, num_blocks, \
				   cb, cb_arg);                                            \
	}                                                                                  \
	int sio_bdev_##op(struct sio_bdev_desc *desc, struct sio_io_channel *ch,           \
			  uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg)  \
	{                                                                                  \
		uint64_t ob, nb;                                                           \
		int rc = bdev_bytes_to_blocks(desc, offset, nbytes, &ob, &nb);             \
		if (rc != 0)                                                               \
			return rc;                                                         \
		return bdev_submit(desc, ch, type, NULL, 0, NULL, ob, nb, cb, cb_arg);     \
	}

DEFINE_RANGE_OP(flush, SIO_BDEV_IO_TYPE_FLUSH)
DEFINE_RANGE_OP(unmap, SIO_BDEV_IO_TYPE_UNMAP)
DEFINE_RANGE_OP(write_zeroes, SIO_BDEV_IO_TYPE_WRITE_ZEROES)

/* sio_bdev_reset() is in reset.c: it does not take this path. */

uint64_t sio_bdev_get_completion_ticks(void)
{
	uint64_t t = g_thread_event_tick;

	return t != 0 ? t : sio_get_ticks();
}

/* ------------------------------------------------------------------------ */
/* Awaitable forms                                                          */
/* ------------------------------------------------------------------------ */

static void bdev_wait_wake(void *arg)
{
	sio_future_complete(arg, 0, NULL);
}

/* Park the task until @ch has a free bdev_io. Out of line: its future and
 * wait entry would otherwise sit in every _await form's frame, which is
 * part of every awaiting task's working set (docs/async.md). */
static __attribute__((noinline, cold)) int bdev_await_free_io(struct sio_bdev_desc *desc, struct sio_io_channel *ch)
{
	struct sio_bdev_io_wait_entry e;
	struct sio_future f;
	int rc;

	rc = sio_future_init(&f);
	if (rc != 0)
		return rc;
	e.bdev = desc->bdev;
	e.cb_fn = bdev_wait_wake;
	e.cb_arg = &f;
	rc = sio_bdev_queue_io_wait(desc->bdev, ch, &e);
	if (rc == -EAGAIN)
		return 0;
	if (rc != 0)
		return rc;
	return sio_await(&f);
}

/*
 * Park the running task @t until its awaited I/O completed (its
 * queued-completion record), then finish what the completion left: the
 * clock read, the statistics and the bdev_io's return happen here, on the
 * task's resumption, rather than in the poller that completed it (see
 * sio_bdev_io_complete()). Its tick becomes the thread's event tick, so the
 * task's next submission and sio_bdev_get_completion_ticks() take it without
 * reading the clock again, as in a completion callback; it lapses when the
 * task switches out. So an awaited I/O reads the clock once, like a callback
 * loop's, and its recorded latency runs to the moment its task resumed (the
 * callback form's runs to its callback, equally late in a batch).
 */
static __attribute__((always_inline)) inline int bdev_await_wait(struct sio_task *t)
{
	struct sio_bdev_io *io;
	struct bdev_channel *bch;
	uint64_t now;

	async_task_wait(t);
	io = t->wait_obj;
	if (bdev_unlikely(io == NULL))
		return t->wait_rc;
	bch = io->internal.ch;
	now = bdev_ticks(bch);
	bdev_stat_account(bch, io, t->wait_rc, now);
	bdev_io_put(bch, io);
	g_thread_event_tick = now;
	if (bdev_unlikely(bch->wait_head != NULL || bch->retry_head != NULL))
		bdev_channel_kick(bch);
	return t->wait_rc;
}

/* bdev_await_wait() for the lean _await forms, whose frame must not keep
 * values across a call: the common completion here, the rest (an error, no
 * TSC, a latency histogram) out of line in bdev_await_finish_slow(). */
static __attribute__((noinline, cold)) int bdev_await_finish_slow(struct sio_task *t)
{
	struct sio_bdev_io *io = t->wait_obj;
	struct bdev_channel *bch = io->internal.ch;
	uint64_t now = bdev_ticks(bch);

	bdev_stat_account(bch, io, t->wait_rc, now);
	bdev_io_put(bch, io);
	g_thread_event_tick = now;
	if (bdev_unlikely(bch->wait_head != NULL || bch->retry_head != NULL))
		bdev_channel_kick(bch);
	return t->wait_rc;
}

static __attribute__((always_inline)) inline int bdev_await_wait_lean(struct sio_task *t,
								   enum sio_bdev_io_type type)
{
	struct sio_bdev_io *io;
	struct bdev_channel *bch;
	struct sio_bdev_io_stat *s;
	uint64_t now, lat;

	async_task_wait(t);
	io = t->wait_obj;
	if (bdev_unlikely(io == NULL))
		return t->wait_rc;
	bch = io->internal.ch;
#if BDEV_HAVE_TSC
	if (bdev_unlikely(t->wait_rc != 0 || !bch->tsc || bch->hist != NULL ||
			  (type != SIO_BDEV_IO_TYPE_READ && type != SIO_BDEV_IO_TYPE_WRITE)))
		return bdev_await_finish_slow(t);
	now = __rdtsc();
#else
	(void)type;
	return bdev_await_finish_slow(t);
#endif
	/* bdev_stat_account() for a successful read or write (@type is a
	 * constant at each call site), with no call in it. */
	s = &bch->stat;
	lat = now - io->internal.submit_tsc;
	if (type == SIO_BDEV_IO_TYPE_READ)
		BDEV_STAT_ADD(s, read, read, io->num_blocks * io->bdev->blocklen, lat);
	else
		BDEV_STAT_ADD(s, written, write, io->num_blocks * io->bdev->blocklen, lat);
	bdev_io_put(bch, io);
	g_thread_event_tick = now;
	if (bdev_unlikely(bch->wait_head != NULL || bch->retry_head != NULL))
		bdev_channel_kick(bch);
	return t->wait_rc;
}

/*
 * One implementation: the callback form, started with bdev_await_done and the
 * task as its argument, then the task parks until it completes (no future:
 * the completion fills the task's queued-completion record and queues the
 * task; docs/async.md, "Awaited bdev I/O"). Retried after a wait on the
 * channel's queue when the bdev_io cache was empty. -EPERM outside a task,
 * before starting anything. The arguments are dead once the I/O is started,
 * so the frame that stays parked on each task's stack is small.
 */
#define BDEV_AWAIT(fn, desc, ch, ...)                                                      \
	({                                                                                 \
		struct sio_task *_t = tls_async_task;                                      \
		int _rc = -EPERM;                                                          \
		if (bdev_likely(_t != NULL)) {                                             \
			for (;;) {                                                         \
				async_task_wait_arm(_t);                                   \
				_rc = fn(desc, ch, __VA_ARGS__, bdev_await_done, _t);      \
				if (bdev_likely(_rc == 0)) {                               \
					_rc = bdev_await_wait(_t);                         \
					break;                                             \
				}                                                          \
				if (_rc != -ENOMEM || desc == NULL || ch == NULL)          \
					break;                                             \
				_rc = bdev_await_free_io(desc, ch);                        \
				if (_rc != 0)                                              \
					break;                                             \
			}                                                                  \
		}                                                                          \
		_rc;                                                                       \
	})

/*
 * The buffer forms: the common case inline and lean (bdev_submit_lean(),
 * bdev_await_wait_lean(): no call but the module's submit and the switch, so
 * the frame parked on the task's stack holds a few saved registers and no
 * spill slot), everything else out of line (_await_slow) with the full
 * path, from the start.
 */
#define DEFINE_BUF_AWAIT(op, type)                                                         \
	int sio_bdev_##op##_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,   \
				  void *buf, uint64_t offset, uint64_t nbytes)             \
	{                                                                                  \
		return BDEV_AWAIT(sio_bdev_##op, desc, ch, buf, offset, nbytes);           \
	}                                                                                  \
	static __attribute__((noinline, cold)) int bdev_##op##_blocks_await_slow(          \
		struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,          \
		uint64_t offset_blocks, uint64_t num_blocks)                               \
	{                                                                                  \
		return BDEV_AWAIT(bdev_##op##_blocks_inl, desc, ch, buf, offset_blocks,    \
				  num_blocks);                                             \
	}                                                                                  \
	int sio_bdev_##op##_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, \
					 void *buf, uint64_t offset_blocks,                \
					 uint64_t num_blocks)                              \
	{                                                                                  \
		struct sio_task *t = tls_async_task;                                       \
		if (bdev_likely(t != NULL)) {                                              \
			async_task_wait_arm(t);                                            \
			if (bdev_likely(bdev_submit_lean(desc, ch, type, buf, offset_blocks, \
							 num_blocks, bdev_await_done, t) == 0)) \
				return bdev_await_wait_lean(t, type);                      \
		}                                                                          \
		return bdev_##op##_blocks_await_slow(desc, ch, buf, offset_blocks, num_blocks); \
	}                                                                                  \
	int sio_bdev_##op##v_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,  \
				   struct iovec *iov, int iovcnt, uint64_t offset,         \
				   uint64_t nbytes)                                        \
	{                                                                                  \
		return BDEV_AWAIT(sio_bdev_##op##v, desc, ch, iov, iovcnt, offset, nbytes); \
	}                                                                                  \
	int sio_bdev_##op##v_blocks_await(struct sio_bdev_desc *desc,                      \
					  struct sio_io_channel *ch, struct iovec *iov,    \
					  int iovcnt, uint64_t offset_blocks,              \
					  uint64_t num_blocks)                             \
	{                                                                                  \
		return BDEV_AWAIT(sio_bdev_##op##v_blocks, desc, ch, iov, iovcnt,          \
				  offset_blocks, num_blocks);                              \
	}

DEFINE_BUF_AWAIT(read, SIO_BDEV_IO_TYPE_READ)
DEFINE_BUF_AWAIT(write, SIO_BDEV_IO_TYPE_WRITE)
DEFINE_BUF_AWAIT(compare, SIO_BDEV_IO_TYPE_COMPARE)

#define DEFINE_RANGE_AWAIT(op)                                                             \
	int sio_bdev_##op##_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,   \
				  uint64_t offset, uint64_t nbytes)                        \
	{                                                                                  \
		return BDEV_AWAIT(sio_bdev_##op, desc, ch, offset, nbytes);                \
	}                                                                                  \
	int sio_bdev_##op##_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, \
					 uint64_t offset_blocks, uint64_t num_blocks)      \
	{                                                                                  \
		return BDEV_AWAIT(sio_bdev_##op##_blocks, desc, ch, offset_blocks, num_blocks); \
	}

DEFINE_RANGE_AWAIT(flush)
DEFINE_RANGE_AWAIT(unmap)
DEFINE_RANGE_AWAIT(write_zeroes)

static int bdev_reset_cb_form(struct sio_bdev_desc *desc, struct sio_io_channel *ch, int unused,
			      sio_done_cb cb, void *cb_arg)
{
	(void)unused;
	return sio_bdev_reset(desc, ch, cb, cb_arg);
}

int sio_bdev_reset_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch)
{
	return BDEV_AWAIT(bdev_reset_cb_form, desc, ch, 0);
}
