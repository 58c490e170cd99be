/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histograms of bdevs, in SPDK's histogram_data layout so SPDK's
 * tools read ours: values (ticks) fall into power-of-two "ranges", each cut
 * into 1 << granularity buckets; range 0 holds [0, 2^g) one value per bucket,
 * range r > 0 holds [2^(r+g-1), 2^(r+g)) in buckets 2^(r-1) wide. Ranges
 * below min_range / above max_range are not stored: such values count in the
 * first / last bucket.
 *
 * Each channel records into its own array (its thread only: no lock, no
 * atomic, nothing allocated per I/O). The array is allocated when the
 * histogram is enabled, on the channel's thread, and freed when disabled;
 * while off the I/O path pays one test of bdev_channel.hist. A bdev's
 * histogram is the sum of its channels' arrays, read on their threads, plus
 * what destroyed channels handed back (under g_bdev_mutex). A generation
 * number ties each array to one enable call, so a channel created during a
 * re-enable never mixes two configurations.
 *
 * The RPC methods are in histogram_rpc.c (kept apart so a program using the
 * C API does not link the RPC server).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"

/* ------------------------------------------------------------------------ */
/* Bucket arithmetic                                                        */
/* ------------------------------------------------------------------------ */

static uint32_t hist_range(uint32_t g, uint64_t v)
{
	uint32_t lsb = 64 - g;
	uint32_t clz = v != 0 ? (uint32_t)__builtin_clzll(v) : 64;

	return clz <= lsb ? lsb - clz : 0;
}

static uint32_t hist_index(uint32_t g, uint64_t v, uint32_t range)
{
	uint32_t shift = range > 0 ? range - 1 : 0;

	return (uint32_t)((v >> shift) & ((1ull << g) - 1));
}

/* Exclusive upper bound of bucket @index of @range (saturating). */
static uint64_t hist_bucket_end(uint32_t g, uint32_t range, uint32_t index)
{
	unsigned __int128 end;

	if (range == 0)
		return (uint64_t)index + 1;
	end = ((unsigned __int128)1 << (range + g - 1)) +
	      ((unsigned __int128)(index + 1) << (range - 1));
	return end > UINT64_MAX ? UINT64_MAX : (uint64_t)end;
}

void bdev_hist_tally(struct bdev_hist *h, enum sio_bdev_io_type type, uint64_t lat)
{
	uint32_t range, index;

	if (h->io_type != SIO_BDEV_IO_TYPE_INVALID && h->io_type != type)
		return;
	range = hist_range(h->granularity, lat);
	if (range < h->min_range) {
		range = h->min_range;
		index = 0;
	} else if (range > h->max_range) {
		range = h->max_range;
		index = (1u << h->granularity) - 1;
	} else {
		index = hist_index(h->granularity, lat, range);
	}
	h->b[((size_t)(range - h->min_range) << h->granularity) + index]++;
	h->count++;
	h->sum += lat;
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

void sio_bdev_histogram_opts_init(struct sio_bdev_histogram_opts *opts, size_t size)
{
	struct sio_bdev_histogram_opts d = {
		.opts_size = sizeof(d),
		.granularity = SIO_BDEV_HISTOGRAM_GRANULARITY_DEFAULT,
		.min_nsec = 0,
		.max_nsec = UINT64_MAX,
		.io_type = SIO_BDEV_IO_TYPE_INVALID,
	};

	if (opts == NULL || size < sizeof(opts->opts_size))
		return;
	if (size > sizeof(d))
		size = sizeof(d);
	memcpy(opts, &d, size);
	opts->opts_size = size;
}

_Static_assert(sizeof(struct sio_bdev_histogram_opts) == 40,
	       "update sio_bdev_histogram_opts_init and the copy below when adding a field");

/* Copy the fields of @in that lie within its opts_size; defaults for the rest. */
static int hist_opts_copy(struct sio_bdev_histogram_opts *out,
			  const struct sio_bdev_histogram_opts *in)
{
	sio_bdev_histogram_opts_init(out, sizeof(*out));
	if (in == NULL)
		return 0;
	if (in->opts_size < sizeof(in->opts_size) || in->opts_size > sizeof(*in))
		return -EINVAL;
#define HIST_COPY(f) \
	do { \
		if (offsetof(struct sio_bdev_histogram_opts, f) + sizeof(in->f) <= in->opts_size) \
			out->f = in->f; \
	} while (0)
	HIST_COPY(granularity);
	HIST_COPY(min_nsec);
	HIST_COPY(max_nsec);
	HIST_COPY(io_type);
#undef HIST_COPY
	if (out->granularity < 1 || out->granularity > SIO_BDEV_HISTOGRAM_GRANULARITY_MAX ||
	    out->min_nsec >= out->max_nsec || (unsigned)out->io_type >= SIO_BDEV_IO_TYPE_COUNT)
		return -EINVAL;
	return 0;
}

static uint64_t ns_to_ticks_sat(uint64_t ns)
{
	uint64_t hz = sio_get_ticks_hz();
	unsigned __int128 t;

	if (ns == UINT64_MAX)
		return UINT64_MAX;
	t = (unsigned __int128)ns * hz / 1000000000u;
	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* A zeroed array shaped by @o, for generation @gen. */
static struct bdev_hist *hist_alloc(const struct sio_bdev_histogram_opts *o, uint64_t gen)
{
	uint32_t g = o->granularity;
	uint64_t min_val = ns_to_ticks_sat(o->min_nsec);
	uint64_t max_val = ns_to_ticks_sat(o->max_nsec);
	uint32_t min_range, max_range;
	struct bdev_hist *h;
	size_t n;

	if (max_val <= min_val)
		max_val = min_val + 1; /* a window narrower than a tick: one value */
	min_range = hist_range(g, min_val);
	max_range = hist_range(g, max_val - 1);
	n = (size_t)(max_range - min_range + 1) << g;
	h = calloc(1, sizeof(*h) + n * sizeof(h->b[0]));
	if (h == NULL)
		return NULL;
	h->granularity = g;
	h->min_range = min_range;
	h->max_range = max_range;
	h->io_type = o->io_type;
	h->gen = gen;
	h->n = n;
	return h;
}

static void hist_add(struct bdev_hist *to, const struct bdev_hist *from)
{
	for (size_t i = 0; i < to->n; i++)
		to->b[i] += from->b[i];
	to->count += from->count;
	to->sum += from->sum;
}

int bdev_channel_hist_init(struct sio_bdev *bdev, struct bdev_channel *bch)
{
	struct bdev_internal *in = bdev->internal;
	int rc = 0;

	bch->hist = NULL;
	pthread_mutex_lock(&g_bdev_mutex);
	if (in->hist_on) {
		bch->hist = hist_alloc(&in->hist_opts, in->hist_gen);
		if (bch->hist == NULL)
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	return rc;
}

void bdev_channel_hist_fini(struct sio_bdev *bdev, struct bdev_channel *bch)
{
	struct bdev_internal *in = bdev->internal;
	struct bdev_hist *h = bch->hist;

	if (h == NULL)
		return;
	bch->hist = NULL;
	pthread_mutex_lock(&g_bdev_mutex);
	if (in->hist_on && h->gen == in->hist_gen) {
		if (in->hist_retired == NULL) {
			/* Hand the array itself over: nothing to copy. */
			in->hist_retired = h;
			h = NULL;
		} else {
			hist_add(in->hist_retired, h);
		}
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	free(h);
}

void bdev_hist_free_retired(struct bdev_internal *in)
{
	free(in->hist_retired);
	in->hist_retired = NULL;
}

bool sio_bdev_histogram_enabled(struct sio_bdev *bdev)
{
	bool on;

	if (bdev == NULL || bdev->internal == NULL)
		return false;
	pthread_mutex_lock(&g_bdev_mutex);
	on = bdev->internal->hist_on;
	pthread_mutex_unlock(&g_bdev_mutex);
	return on;
}

/* ------------------------------------------------------------------------ */
/* Enable / disable: every channel switches on its own thread               */
/* ------------------------------------------------------------------------ */

struct hist_walk {
	struct sio_bdev *bdev;
	uint64_t gen;
	struct sio_bdev_histogram *out;
	struct sio_bdev_histogram **dest;
	sio_done_cb cb;
	void *cb_arg;
};

static void enable_visit(struct sio_io_channel_iter *i)
{
	struct hist_walk *w = sio_io_channel_iter_get_ctx(i);
	struct bdev_channel *bch = bdev_ch(sio_io_channel_iter_get_channel(i));
	struct bdev_internal *in = w->bdev->internal;
	struct bdev_hist *old = NULL;
	int rc = 0;

	/*
	 * Apply the bdev's configuration as it is now, not as this walk's call
	 * set it: a later enable/disable overtaking this walk wins either way.
	 */
	pthread_mutex_lock(&g_bdev_mutex);
	if (bch->hist == NULL || bch->hist->gen != in->hist_gen) {
		old = bch->hist;
		bch->hist = NULL;
		if (in->hist_on) {
			bch->hist = hist_alloc(&in->hist_opts, in->hist_gen);
			if (bch->hist == NULL)
				rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	free(old);
	sio_for_each_channel_continue(i, rc);
}

static void enable_done(struct sio_io_channel_iter *i, int status)
{
	struct hist_walk *w = sio_io_channel_iter_get_ctx(i);

	w->cb(w->cb_arg, status);
	free(w);
}

static int bdev_registered(struct sio_bdev *bdev)
{
	if (bdev == NULL || bdev->internal == NULL)
		return -EINVAL;
	return bdev->internal->state == BDEV_STATE_REGISTERED ? 0 : -ENODEV;
}

int sio_bdev_histogram_enable(struct sio_bdev *bdev, bool enable,
			      const struct sio_bdev_histogram_opts *opts, sio_done_cb cb,
			      void *cb_arg)
{
	struct sio_bdev_histogram_opts o;
	struct hist_walk *w;
	int rc;

	if (bdev == NULL || bdev->internal == NULL || cb == NULL)
		return -EINVAL;
	rc = hist_opts_copy(&o, opts);
	if (rc != 0)
		return rc;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->bdev = bdev;
	w->cb = cb;
	w->cb_arg = cb_arg;
	pthread_mutex_lock(&g_bdev_mutex);
	rc = bdev_registered(bdev);
	if (rc == 0) {
		struct bdev_internal *in = bdev->internal;

		in->hist_on = enable;
		in->hist_opts = o;
		in->hist_gen++;
		/* Enabling again starts from zero: the old data has another shape. */
		bdev_hist_free_retired(in);
		w->gen = in->hist_gen;
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	if (rc == 0)
		rc = sio_for_each_channel(bdev, enable_visit, w, enable_done);
	if (rc != 0)
		free(w);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Read: sum the channels on their threads                                  */
/* ------------------------------------------------------------------------ */

static void get_visit(struct sio_io_channel_iter *i)
{
	struct hist_walk *w = sio_io_channel_iter_get_ctx(i);
	struct bdev_channel *bch = bdev_ch(sio_io_channel_iter_get_channel(i));
	struct bdev_hist *h = bch->hist;

	/* Only arrays of the generation the output was shaped for. */
	if (h != NULL && h->gen == w->gen) {
		for (size_t k = 0; k < h->n; k++)
			w->out->buckets[k] += h->b[k];
		w->out->count += h->count;
		w->out->sum_ticks += h->sum;
	}
	sio_for_each_channel_continue(i, 0);
}

static void get_done(struct sio_io_channel_iter *i, int status)
{
	struct hist_walk *w = sio_io_channel_iter_get_ctx(i);
	struct bdev_internal *in = w->bdev->internal;

	pthread_mutex_lock(&g_bdev_mutex);
	if (in->hist_retired != NULL && in->hist_retired->gen == w->gen) {
		for (size_t k = 0; k < in->hist_retired->n; k++)
			w->out->buckets[k] += in->hist_retired->b[k];
		w->out->count += in->hist_retired->count;
		w->out->sum_ticks += in->hist_retired->sum;
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	if (status != 0) {
		sio_bdev_histogram_free(w->out);
		w->out = NULL;
	}
	*w->dest = w->out;
	w->cb(w->cb_arg, status);
	free(w);
}

int sio_bdev_histogram_get(struct sio_bdev *bdev, struct sio_bdev_histogram **out, sio_done_cb cb,
			   void *cb_arg)
{
	struct bdev_hist *shape = NULL;
	struct hist_walk *w;
	int rc;

	if (bdev == NULL || bdev->internal == NULL || out == NULL || cb == NULL)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&g_bdev_mutex);
	rc = bdev_registered(bdev);
	if (rc == 0 && !bdev->internal->hist_on)
		rc = -EFAULT; /* SPDK's answer when the histogram is off */
	if (rc == 0) {
		shape = hist_alloc(&bdev->internal->hist_opts, bdev->internal->hist_gen);
		if (shape == NULL)
			rc = -ENOMEM;
		else
			w->gen = bdev->internal->hist_gen;
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	if (rc == 0) {
		w->out = calloc(1, sizeof(*w->out) + shape->n * sizeof(w->out->buckets[0]));
		if (w->out == NULL) {
			rc = -ENOMEM;
		} else {
			w->out->granularity = shape->granularity;
			w->out->min_range = shape->min_range;
			w->out->max_range = shape->max_range;
			w->out->tsc_rate = sio_get_ticks_hz();
			w->out->num_buckets = shape->n;
		}
	}
	free(shape);
	if (rc == 0) {
		w->bdev = bdev;
		w->dest = out;
		w->cb = cb;
		w->cb_arg = cb_arg;
		rc = sio_for_each_channel(bdev, get_visit, w, get_done);
	}
	if (rc != 0) {
		free(w->out);
		free(w);
	}
	return rc;
}

void sio_bdev_histogram_free(struct sio_bdev_histogram *h)
{
	free(h);
}

uint64_t sio_bdev_histogram_bucket_end(const struct sio_bdev_histogram *h, size_t i)
{
	uint32_t per;

	if (h == NULL || i >= h->num_buckets)
		return UINT64_MAX;
	per = 1u << h->granularity;
	return hist_bucket_end(h->granularity, h->min_range + (uint32_t)(i / per),
			       (uint32_t)(i % per));
}
