/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev layer's metrics collector (docs/metrics.md): per bdev, the I/O
 * statistics (sio_bdev_get_io_stat(): each channel read on its own thread by
 * message) and, where enabled, the latency histogram folded into one
 * Prometheus bucket per power-of-two range of SPDK's layout.
 *
 * Runs on the app thread. It works from a list of names taken at the start,
 * looked up again before each read, so a bdev removed meanwhile is skipped
 * rather than touched after it is gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"
#include "spdk_io/metrics.h"

struct bdev_collect {
	struct sio_metrics *m;
	sio_done_cb done;
	void *cb_arg;
	char **names;
	size_t n, i;
	struct sio_bdev_io_stat stat;
	struct sio_bdev_histogram *hist;
};

static void collect_bdev(struct bdev_collect *c);

static void emit_stat(struct bdev_collect *c, const char *name)
{
	const struct sio_bdev_io_stat *s = &c->stat;
	double hz = (double)sio_get_ticks_hz();
	const char *lab[] = {"bdev", name, "op", NULL, NULL};
	static const char ops_help[] = "Completed I/O of the bdev, by operation.";
	static const char bytes_help[] = "Bytes moved by completed I/O of the bdev, by operation.";
	static const char lat_help[] =
		"Sum of the latencies (submission to completion) of completed I/O, by operation.";
	const struct {
		const char *op;
		uint64_t ops, bytes, lat;
		bool has_bytes, has_lat;
	} rows[] = {
		{"read", s->num_read_ops, s->bytes_read, s->read_latency_ticks, true, true},
		{"write", s->num_write_ops, s->bytes_written, s->write_latency_ticks, true, true},
		{"unmap", s->num_unmap_ops, s->bytes_unmapped, s->unmap_latency_ticks, true, true},
		{"write_zeroes", s->num_write_zeroes_ops, s->bytes_write_zeroes, 0, true, false},
		{"flush", s->num_flush_ops, 0, 0, false, false},
		{"compare", s->num_compare_ops, 0, 0, false, false},
		{"reset", s->num_reset_ops, 0, 0, false, false},
	};
	const char *elab[] = {"bdev", name, NULL};

	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		lab[3] = rows[k].op;
		sio_metrics_sample(c->m, "sio_bdev_ops_total", SIO_METRIC_COUNTER, ops_help, "",
				   lab, NULL, (double)rows[k].ops);
		if (rows[k].has_bytes)
			sio_metrics_sample(c->m, "sio_bdev_bytes_total", SIO_METRIC_COUNTER,
					   bytes_help, "", lab, NULL, (double)rows[k].bytes);
		if (rows[k].has_lat)
			sio_metrics_sample(c->m, "sio_bdev_latency_seconds_total",
					   SIO_METRIC_COUNTER, lat_help, "", lab, NULL,
					   (double)rows[k].lat / hz);
	}
	sio_metrics_sample(c->m, "sio_bdev_io_errors_total", SIO_METRIC_COUNTER,
			   "Completions of the bdev with a non-zero status.", "", elab, NULL,
			   (double)s->num_io_errors);
}

/*
 * SPDK's buckets are far finer than a Prometheus scrape wants (128 per power
 * of two): one cumulative bucket per range, whose upper bound is the end of
 * the range's last bucket.
 */
static void emit_hist(struct bdev_collect *c, const char *name)
{
	const struct sio_bdev_histogram *h = c->hist;
	static const char help[] =
		"Latency of completed I/O of the bdev (bdev_enable_histogram; one bucket per "
		"power of two of ticks).";
	double hz = (double)h->tsc_rate;
	size_t per = (size_t)1 << h->granularity;
	uint64_t cum = 0;
	char le[48];
	const char *lab[] = {"bdev", name, NULL};

	for (size_t i = 0; i < h->num_buckets; i++) {
		uint64_t end;

		cum += h->buckets[i];
		if ((i + 1) % per != 0 || i + 1 == h->num_buckets)
			continue;
		end = sio_bdev_histogram_bucket_end(h, i);
		snprintf(le, sizeof(le), "%.9g", (double)end / hz);
		sio_metrics_sample(c->m, "sio_bdev_io_latency_seconds", SIO_METRIC_HISTOGRAM, help,
				   "_bucket", lab, le, (double)cum);
	}
	cum = h->count;
	sio_metrics_sample(c->m, "sio_bdev_io_latency_seconds", SIO_METRIC_HISTOGRAM, help,
			   "_bucket", lab, "+Inf", (double)cum);
	sio_metrics_sample(c->m, "sio_bdev_io_latency_seconds", SIO_METRIC_HISTOGRAM, help, "_sum",
			   lab, NULL, (double)h->sum_ticks / hz);
	sio_metrics_sample(c->m, "sio_bdev_io_latency_seconds", SIO_METRIC_HISTOGRAM, help,
			   "_count", lab, NULL, (double)h->count);
}

static void finish(struct bdev_collect *c)
{
	sio_done_cb done = c->done;
	void *cb_arg = c->cb_arg;

	for (size_t k = 0; k < c->n; k++)
		free(c->names[k]);
	free(c->names);
	free(c);
	done(cb_arg, 0);
}

static void next_bdev(struct bdev_collect *c)
{
	c->i++;
	collect_bdev(c);
}

static void hist_done(void *arg, int status)
{
	struct bdev_collect *c = arg;

	if (status == 0 && c->hist != NULL)
		emit_hist(c, c->names[c->i]);
	sio_bdev_histogram_free(c->hist);
	c->hist = NULL;
	next_bdev(c);
}

static void stat_done(void *arg, int status)
{
	struct bdev_collect *c = arg;
	struct sio_bdev *bdev;

	if (status != 0) {
		next_bdev(c);
		return;
	}
	emit_stat(c, c->names[c->i]);
	bdev = sio_bdev_get_by_name(c->names[c->i]);
	if (bdev != NULL && sio_bdev_histogram_enabled(bdev) &&
	    sio_bdev_histogram_get(bdev, &c->hist, hist_done, c) == 0)
		return;
	next_bdev(c);
}

static void collect_bdev(struct bdev_collect *c)
{
	/* A loop, not recursion, over bdevs that are gone or refuse at once. */
	for (; c->i < c->n; c->i++) {
		struct sio_bdev *bdev = sio_bdev_get_by_name(c->names[c->i]);

		if (bdev != NULL && sio_bdev_get_io_stat(bdev, &c->stat, stat_done, c) == 0)
			return;
	}
	finish(c);
}

static void bdev_metrics_collect(struct sio_metrics *m, sio_done_cb done, void *cb_arg)
{
	struct bdev_collect *c = calloc(1, sizeof(*c));
	size_t cap = 0;

	if (c == NULL) {
		done(cb_arg, -ENOMEM);
		return;
	}
	c->m = m;
	c->done = done;
	c->cb_arg = cb_arg;
	for (struct sio_bdev *b = sio_bdev_first(); b != NULL; b = sio_bdev_next(b)) {
		if (c->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **p = realloc(c->names, ncap * sizeof(*p));

			if (p == NULL)
				break;
			c->names = p;
			cap = ncap;
		}
		c->names[c->n] = strdup(sio_bdev_get_name(b));
		if (c->names[c->n] == NULL)
			break;
		c->n++;
	}
	sio_metrics_sample(m, "sio_bdevs", SIO_METRIC_GAUGE, "Registered bdevs.", "", NULL, NULL,
			   (double)c->n);
	collect_bdev(c);
}

const struct sio_metrics_collector sio_bdev_metrics_collector = {
	.name = "bdev",
	.collect = bdev_metrics_collect,
};
