/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O statistics: each channel counts its own (no sharing on the I/O path);
 * a bdev's figures are the sum over its live channels, gathered on their
 * threads, plus what destroyed channels left behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"

void bdev_stat_init(struct sio_bdev_io_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->min_read_latency_ticks = UINT64_MAX;
	s->min_write_latency_ticks = UINT64_MAX;
	s->min_unmap_latency_ticks = UINT64_MAX;
}

static inline uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void bdev_stat_add(struct sio_bdev_io_stat *to, const struct sio_bdev_io_stat *from)
{
	to->bytes_read += from->bytes_read;
	to->num_read_ops += from->num_read_ops;
	to->bytes_written += from->bytes_written;
	to->num_write_ops += from->num_write_ops;
	to->bytes_unmapped += from->bytes_unmapped;
	to->num_unmap_ops += from->num_unmap_ops;
	to->num_flush_ops += from->num_flush_ops;
	to->num_write_zeroes_ops += from->num_write_zeroes_ops;
	to->bytes_write_zeroes += from->bytes_write_zeroes;
	to->num_compare_ops += from->num_compare_ops;
	to->num_reset_ops += from->num_reset_ops;
	to->num_io_errors += from->num_io_errors;
	to->read_latency_ticks += from->read_latency_ticks;
	to->max_read_latency_ticks = max64(to->max_read_latency_ticks, from->max_read_latency_ticks);
	to->min_read_latency_ticks = min64(to->min_read_latency_ticks, from->min_read_latency_ticks);
	to->write_latency_ticks += from->write_latency_ticks;
	to->max_write_latency_ticks =
		max64(to->max_write_latency_ticks, from->max_write_latency_ticks);
	to->min_write_latency_ticks =
		min64(to->min_write_latency_ticks, from->min_write_latency_ticks);
	to->unmap_latency_ticks += from->unmap_latency_ticks;
	to->max_unmap_latency_ticks =
		max64(to->max_unmap_latency_ticks, from->max_unmap_latency_ticks);
	to->min_unmap_latency_ticks =
		min64(to->min_unmap_latency_ticks, from->min_unmap_latency_ticks);
}

void bdev_stat_reset(struct sio_bdev_io_stat *s, enum sio_bdev_reset_stat_mode mode)
{
	switch (mode) {
	case SIO_BDEV_RESET_STAT_ALL:
		bdev_stat_init(s);
		break;
	case SIO_BDEV_RESET_STAT_MAXMIN:
		s->max_read_latency_ticks = 0;
		s->max_write_latency_ticks = 0;
		s->max_unmap_latency_ticks = 0;
		s->min_read_latency_ticks = UINT64_MAX;
		s->min_write_latency_ticks = UINT64_MAX;
		s->min_unmap_latency_ticks = UINT64_MAX;
		break;
	case SIO_BDEV_RESET_STAT_NONE:
		break;
	}
}

void bdev_stat_export(struct sio_bdev_io_stat *s)
{
	if (s->min_read_latency_ticks == UINT64_MAX)
		s->min_read_latency_ticks = 0;
	if (s->min_write_latency_ticks == UINT64_MAX)
		s->min_write_latency_ticks = 0;
	if (s->min_unmap_latency_ticks == UINT64_MAX)
		s->min_unmap_latency_ticks = 0;
}

struct stat_walk {
	struct sio_bdev *bdev;
	struct sio_bdev_io_stat sum;
	struct sio_bdev_io_stat *out;
	enum sio_bdev_reset_stat_mode mode;
	sio_done_cb cb;
	void *cb_arg;
};

static void stat_visit(struct sio_io_channel_iter *i)
{
	struct stat_walk *w = sio_io_channel_iter_get_ctx(i);
	struct bdev_channel *bch = bdev_ch(sio_io_channel_iter_get_channel(i));

	bdev_stat_add(&w->sum, &bch->stat);
	sio_for_each_channel_continue(i, 0);
}

static void stat_done(struct sio_io_channel_iter *i, int status)
{
	struct stat_walk *w = sio_io_channel_iter_get_ctx(i);

	pthread_mutex_lock(&g_bdev_mutex);
	bdev_stat_add(&w->sum, &w->bdev->internal->retired_stat);
	pthread_mutex_unlock(&g_bdev_mutex);
	bdev_stat_export(&w->sum);
	*w->out = w->sum;
	w->cb(w->cb_arg, status);
	free(w);
}

static int bdev_stat_check(struct sio_bdev *bdev, sio_done_cb cb)
{
	int rc = 0;

	if (bdev == NULL || bdev->internal == NULL || cb == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_bdev_mutex);
	if (bdev->internal->state != BDEV_STATE_REGISTERED)
		rc = -ENODEV;
	pthread_mutex_unlock(&g_bdev_mutex);
	return rc;
}

/* Start a walk over @bdev's channels for a stats read or reset: one piece for
 * both, so the checks and the allocation/ownership rules cannot drift apart. */
static int stat_walk_start(struct sio_bdev *bdev, struct sio_bdev_io_stat *out,
			   enum sio_bdev_reset_stat_mode mode, sio_channel_msg visit,
			   sio_channel_for_each_cpl done, sio_done_cb cb, void *cb_arg)
{
	struct stat_walk *w;
	int rc;

	rc = bdev_stat_check(bdev, cb);
	if (rc != 0)
		return rc;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->bdev = bdev;
	bdev_stat_init(&w->sum);
	w->out = out;
	w->mode = mode;
	w->cb = cb;
	w->cb_arg = cb_arg;
	rc = sio_for_each_channel(bdev, visit, w, done);
	if (rc != 0)
		free(w);
	return rc;
}

int sio_bdev_get_io_stat(struct sio_bdev *bdev, struct sio_bdev_io_stat *stat, sio_done_cb cb,
			 void *cb_arg)
{
	if (stat == NULL)
		return -EINVAL;
	return stat_walk_start(bdev, stat, SIO_BDEV_RESET_STAT_NONE, stat_visit, stat_done, cb,
			       cb_arg);
}

int sio_bdev_get_io_stat_await(struct sio_bdev *bdev, struct sio_bdev_io_stat *stat)
{
	if (!sio_in_task())
		return -EPERM;
	return SIO_AWAIT_CALL(sio_bdev_get_io_stat, bdev, stat);
}

static void reset_visit(struct sio_io_channel_iter *i)
{
	struct stat_walk *w = sio_io_channel_iter_get_ctx(i);
	struct bdev_channel *bch = bdev_ch(sio_io_channel_iter_get_channel(i));

	bdev_stat_reset(&bch->stat, w->mode);
	sio_for_each_channel_continue(i, 0);
}

static void reset_done(struct sio_io_channel_iter *i, int status)
{
	struct stat_walk *w = sio_io_channel_iter_get_ctx(i);

	pthread_mutex_lock(&g_bdev_mutex);
	bdev_stat_reset(&w->bdev->internal->retired_stat, w->mode);
	pthread_mutex_unlock(&g_bdev_mutex);
	w->cb(w->cb_arg, status);
	free(w);
}

int sio_bdev_reset_io_stat(struct sio_bdev *bdev, enum sio_bdev_reset_stat_mode mode,
			   sio_done_cb cb, void *cb_arg)
{
	if ((unsigned)mode > SIO_BDEV_RESET_STAT_NONE)
		return -EINVAL;
	return stat_walk_start(bdev, NULL, mode, reset_visit, reset_done, cb, cb_arg);
}
