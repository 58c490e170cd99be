/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resets, as SPDK does them: one at a time per bdev, in submission order.
 * Each runs on the thread that submitted it:
 *
 *   queued -> freeze walk -> module reset -> unfreeze walk -> callback -> next
 *
 * The freeze walk visits every channel of the bdev on its own thread
 * (sio_for_each_channel), marks it frozen and ends with -ECANCELED the I/O
 * the core itself holds there (split parents waiting for a bdev_io). While
 * frozen, a channel's submissions complete with -ECANCELED by message. The
 * module then gets the reset on the submitting channel and decides what it
 * means for I/O it holds; I/O in flight is not waited for (SPDK's default
 * reset_io_drain_timeout of 0). Nothing here is on the I/O fast path.
 */
#include <errno.h>
#include <stdlib.h>

#include "bdev/bdev_internal.h"
#include "thread/thread_current.h"
#include "thread/thread_internal.h"

/* One reset, from submission to its callback. */
struct bdev_reset {
	struct sio_bdev *bdev;
	struct sio_bdev_io *io;     /* taken from the submitting channel at submission */
	struct sio_thread *thread;  /* the submitter: every step but the visits runs here */
	sio_done_cb cb;
	void *cb_arg;
	int status;                 /* the module's, or why the reset never reached it */
	struct bdev_reset *next;    /* in bdev_internal's queue */
};

static void bdev_reset_start(struct bdev_reset *r);

/* ------------------------------------------------------------------------ */
/* Channel state (each on the channel's own thread)                         */
/* ------------------------------------------------------------------------ */

void bdev_channel_freeze(struct bdev_channel *bch)
{
	struct sio_bdev_io *parent, *list;

	bch->frozen = true;
	bch->supported_mask = 0;
	/*
	 * Detach first: ending a parent runs its callback, which may submit
	 * (and be cancelled) or kick the channel.
	 */
	list = bch->retry_head;
	bch->retry_head = bch->retry_tail = NULL;
	while ((parent = list) != NULL) {
		list = parent->internal.next;
		parent->internal.next = NULL;
		bdev_split_abort(parent, -ECANCELED);
	}
}

void bdev_channel_unfreeze(struct bdev_channel *bch)
{
	bch->frozen = false;
	bch->supported_mask = bch->bdev->internal->supported_mask;
}

static void bdev_cancel_drain_msg(void *ctx)
{
	struct bdev_channel *bch = ctx;
	struct sio_bdev_io *io, *list = bch->cancel_head;

	/* Callbacks below may submit again: those wait for the next message. */
	bch->cancel_head = bch->cancel_tail = NULL;
	bch->cancel_pending = false;
	while ((io = list) != NULL) {
		list = io->internal.next;
		io->internal.next = NULL;
		sio_bdev_io_complete(io, -ECANCELED);
	}
}

int bdev_cancel_later(struct bdev_channel *bch, struct sio_bdev_io *io)
{
	/*
	 * Callbacks never run inside a submit call: the I/O ends by message, one
	 * per batch. The critical send only fails when out of memory; then the
	 * caller hears -ECANCELED at once instead.
	 */
	if (!bch->cancel_pending) {
		if (thread_send_critical(bch->thread, bdev_cancel_drain_msg, bch) != 0)
			return -ECANCELED;
		bch->cancel_pending = true;
	}
	bdev_io_take(bch, io);
	io->internal.flags = BDEV_IO_F_INFLIGHT;
	io->internal.next = NULL;
	if (bch->cancel_tail != NULL)
		bch->cancel_tail->internal.next = io;
	else
		bch->cancel_head = io;
	bch->cancel_tail = io;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The reset's steps                                                        */
/* ------------------------------------------------------------------------ */

/* Pop the oldest waiting reset and make it the active one (NULL: none). g_bdev_mutex held. */
static struct bdev_reset *bdev_reset_next_locked(struct bdev_internal *in)
{
	struct bdev_reset *next = in->reset_head;

	if (next != NULL) {
		in->reset_head = next->next;
		if (in->reset_head == NULL)
			in->reset_tail = NULL;
	}
	in->reset_active = next;
	return next;
}

static void bdev_reset_start_msg(void *ctx)
{
	bdev_reset_start(ctx);
}

/* Start @next, now the active reset, on its submitter's thread. */
static void bdev_reset_hand_over(struct bdev_reset *next)
{
	while (next != NULL) {
		struct bdev_internal *in = next->bdev->internal;

		if (next->thread == thread_current()) {
			bdev_reset_start(next);
			return;
		}
		if (thread_send_critical(next->thread, bdev_reset_start_msg, next) == 0)
			return;
		/*
		 * The submitter's thread exited with its reset queued (its
		 * channel went with it): nobody is left to call back. Drop it and
		 * let the one after it run.
		 */
		SIO_ERRLOG("bdev %s: the thread of a queued reset exited; reset dropped",
			   next->bdev->name);
		pthread_mutex_lock(&g_bdev_mutex);
		free(next);
		next = bdev_reset_next_locked(in);
		pthread_mutex_unlock(&g_bdev_mutex);
	}
}

/* Last step, on the submitter's thread: call back, then let the next reset run. */
static void bdev_reset_finish(struct bdev_reset *r)
{
	struct bdev_internal *in = r->bdev->internal;
	struct bdev_reset *next;
	sio_done_cb cb = r->cb;
	void *cb_arg = r->cb_arg;
	int rc = r->status;

	/* The successor is picked first: a reset the callback submits queues behind it. */
	pthread_mutex_lock(&g_bdev_mutex);
	next = bdev_reset_next_locked(in);
	pthread_mutex_unlock(&g_bdev_mutex);
	free(r);
	cb(cb_arg, rc);
	bdev_reset_hand_over(next);
}

static void bdev_reset_unfreeze_done(struct sio_io_channel_iter *i, int status)
{
	(void)status;
	bdev_reset_finish(sio_io_channel_iter_get_ctx(i));
}

static void bdev_reset_unfreeze_ch(struct sio_io_channel_iter *i)
{
	bdev_channel_unfreeze(bdev_ch(sio_io_channel_iter_get_channel(i)));
	sio_for_each_channel_continue(i, 0);
}

/* The reset's bdev_io completed (the module is done, or it never got there): thaw, call back. */
static void bdev_reset_io_done(void *arg, int status)
{
	struct bdev_reset *r = arg;
	struct bdev_internal *in = r->bdev->internal;
	int rc;

	r->status = status;
	/* Cleared before the walk: a channel created from now on starts thawed. */
	pthread_mutex_lock(&g_bdev_mutex);
	in->reset_frozen = false;
	pthread_mutex_unlock(&g_bdev_mutex);
	rc = sio_for_each_channel(r->bdev, bdev_reset_unfreeze_ch, r, bdev_reset_unfreeze_done);
	if (rc != 0) {
		/*
		 * The bdev is being unregistered (-ENODEV) or memory ran out: no
		 * walk. A frozen channel still in use thaws on its next
		 * submission, which finds reset_frozen clear.
		 */
		SIO_DEBUGLOG(BDEV_LOG, "bdev %s: no unfreeze walk after a reset: %d",
			     r->bdev->name, rc);
		bdev_reset_finish(r);
	}
}

static void bdev_reset_fail_msg(void *ctx)
{
	struct bdev_reset *r = ctx;

	sio_bdev_io_complete(r->io, r->status);
}

/* The reset cannot reach the module: end its bdev_io with @rc, never inside a submit call. */
static void bdev_reset_fail_later(struct bdev_reset *r, int rc)
{
	r->status = rc;
	if (thread_send_critical(r->thread, bdev_reset_fail_msg, r) != 0)
		sio_bdev_io_complete(r->io, rc);
}

static void bdev_reset_freeze_ch(struct sio_io_channel_iter *i)
{
	bdev_channel_freeze(bdev_ch(sio_io_channel_iter_get_channel(i)));
	sio_for_each_channel_continue(i, 0);
}

/* Every channel is frozen: the module gets the reset on the submitting channel. */
static void bdev_reset_freeze_done(struct sio_io_channel_iter *i, int status)
{
	struct bdev_reset *r = sio_io_channel_iter_get_ctx(i);
	struct bdev_channel *bch = r->io->internal.ch;

	(void)status;
	bch->submit(bch->module_ch, r->io);
}

/* Run @r, the active reset, from its submitter's thread. Runs no callback inline. */
static void bdev_reset_start(struct bdev_reset *r)
{
	struct bdev_internal *in = r->bdev->internal;
	bool removing;
	int rc;

	pthread_mutex_lock(&g_bdev_mutex);
	removing = in->state != BDEV_STATE_REGISTERED;
	if (!removing)
		in->reset_frozen = true;
	pthread_mutex_unlock(&g_bdev_mutex);
	if (removing) {
		/* Queued behind a reset and the bdev went meanwhile: as a new submission would. */
		bdev_reset_fail_later(r, -ENODEV);
		return;
	}
	/* Visits come by message, never from inside this call. */
	rc = sio_for_each_channel(r->bdev, bdev_reset_freeze_ch, r, bdev_reset_freeze_done);
	if (rc != 0)
		bdev_reset_fail_later(r, rc);
}

int sio_bdev_reset(struct sio_bdev_desc *desc, struct sio_io_channel *ch, sio_done_cb cb,
		   void *cb_arg)
{
	struct bdev_channel *bch;
	struct bdev_internal *in;
	struct sio_bdev_io *io;
	struct bdev_reset *r;
	bool start;

	if (desc == NULL || ch == NULL || cb == NULL)
		return -EINVAL;
	bch = bdev_ch(ch);
	if (bch->bdev != desc->bdev)
		return -EINVAL;
	in = desc->bdev->internal;
	if (!((in->supported_mask >> SIO_BDEV_IO_TYPE_RESET) & 1u))
		return -ENOTSUP;
	if (!desc->write)
		return -EBADF;
	if (__atomic_load_n(&desc->removed, __ATOMIC_RELAXED))
		return -ENODEV;
	if (thread_current() != bch->thread)
		return -EPERM;
	io = bch->free_list;
	if (io == NULL)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	/* Taken now, so a queued reset can always reach the module when its turn comes. */
	bdev_io_take(bch, io);
	io->type = SIO_BDEV_IO_TYPE_RESET;
	io->offset_blocks = 0;
	io->num_blocks = 0;
	io->iovs = NULL;
	io->iovcnt = 0;
	io->internal.cb = bdev_reset_io_done;
	io->internal.cb_arg = r;
	io->internal.submit_tsc = sio_get_ticks();
	io->internal.flags = BDEV_IO_F_INFLIGHT;
	r->bdev = desc->bdev;
	r->io = io;
	r->thread = bch->thread;
	r->cb = cb;
	r->cb_arg = cb_arg;

	pthread_mutex_lock(&g_bdev_mutex);
	start = in->reset_active == NULL;
	if (start) {
		in->reset_active = r;
	} else {
		if (in->reset_tail != NULL)
			in->reset_tail->next = r;
		else
			in->reset_head = r;
		in->reset_tail = r;
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	if (start)
		bdev_reset_start(r);
	return 0;
}
