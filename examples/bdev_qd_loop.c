/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_qd_loop: the benchmark hook of the bdev layer. Creates a null or
 * malloc bdev (no config file needed), opens it, and keeps QD random reads
 * in flight for T seconds, first with plain callbacks, then with one task per
 * queue slot awaiting each read; prints IOPS (and MiB/s) for each style.
 *
 *   bdev_qd_loop [-b null|malloc] [-q QD] [-o IO_SIZE] [-t SECONDS] [-s SIZE_MB]
 *                [-w randread|read] [-S callback|task|both]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/app.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/env.h"

struct cfg {
	const char *type;
	uint32_t qd;
	uint32_t io_size;
	uint32_t seconds;
	uint64_t size_mb;
	bool sequential;
	int styles;            /* bit 0 callback, bit 1 task */
	int rc;
};

struct loop {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint64_t num_ios;      /* I/O units of io_size in the bdev */
	uint64_t blocks_per_io;
	uint64_t deadline;     /* ticks */
	uint64_t completed;
	uint64_t errors;
	uint32_t inflight;
	uint64_t rng;
	bool sequential;
	uint64_t seq_next;     /* next unit for sequential reads */
	uint8_t *bufs;
	uint32_t io_size;
	struct sio_future done;
	bool stopping;
};

static inline uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* ------------------------------------------------------------------------ */
/* Callback style                                                           */
/* ------------------------------------------------------------------------ */

struct slot {
	struct loop *l;
	void *buf;
};

static void cb_submit(struct slot *s);

static inline uint64_t next_unit(struct loop *l, uint64_t *rng)
{
	if (l->sequential)
		return l->seq_next++ % l->num_ios;
	return next_rand(rng) % l->num_ios;
}

static void cb_done(void *arg, int rc)
{
	struct slot *s = arg;
	struct loop *l = s->l;

	l->inflight--;
	l->completed++;
	if (rc != 0)
		l->errors++;
	/* Read the clock once per 64 completions: it is a cost of its own. */
	if ((l->completed & 63) == 0 && sio_get_ticks() >= l->deadline)
		l->stopping = true;
	if (!l->stopping) {
		cb_submit(s);
		return;
	}
	if (l->inflight == 0)
		sio_future_complete(&l->done, 0, NULL);
}

static void cb_submit(struct slot *s)
{
	struct loop *l = s->l;
	uint64_t unit = next_unit(l, &l->rng);
	int rc = sio_bdev_read_blocks(l->desc, l->ch, s->buf, unit * l->blocks_per_io,
				      l->blocks_per_io, cb_done, s);

	if (rc != 0) {
		fprintf(stderr, "submit failed: %s\n", strerror(-rc));
		l->stopping = true;
		if (l->inflight == 0)
			sio_future_complete(&l->done, rc, NULL);
		return;
	}
	l->inflight++;
}

static int run_callbacks(struct loop *l, uint32_t qd, struct slot *slots)
{
	sio_future_init(&l->done);
	l->completed = l->errors = 0;
	l->stopping = false;
	for (uint32_t i = 0; i < qd; i++) {
		slots[i].l = l;
		slots[i].buf = l->bufs + (size_t)i * l->io_size;
		cb_submit(&slots[i]);
	}
	return sio_await(&l->done);
}

/* ------------------------------------------------------------------------ */
/* Task / await style                                                       */
/* ------------------------------------------------------------------------ */

struct task_arg {
	struct loop *l;
	void *buf;
	uint64_t rng;
	uint64_t completed;
};

static int reader_task(void *arg)
{
	struct task_arg *t = arg;
	struct loop *l = t->l;

	for (;;) {
		uint64_t unit = next_unit(l, &t->rng);
		int rc = sio_bdev_read_blocks_await(l->desc, l->ch, t->buf, unit * l->blocks_per_io,
						    l->blocks_per_io);

		if (rc != 0)
			return rc;
		if ((++t->completed & 63) == 0 && sio_get_ticks() >= l->deadline)
			return 0;
	}
}

static int run_tasks(struct loop *l, uint32_t qd, struct task_arg *args, struct sio_future *fs,
		     struct sio_future **fps)
{
	int rc;

	for (uint32_t i = 0; i < qd; i++) {
		args[i] = (struct task_arg){.l = l, .buf = l->bufs + (size_t)i * l->io_size,
					    .rng = 0x9e3779b97f4a7c15ull * (i + 1)};
		fps[i] = &fs[i];
		rc = sio_task_spawn(NULL, reader_task, &args[i], &fs[i]);
		if (rc != 0)
			return rc;
	}
	rc = sio_await_all(fps, qd);
	l->completed = 0;
	for (uint32_t i = 0; i < qd; i++)
		l->completed += args[i].completed;
	return rc;
}

/* ------------------------------------------------------------------------ */

static void on_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	(void)type;
	(void)bdev;
	(void)ctx;
}

static void report(const char *style, const struct cfg *c, uint64_t ios, uint64_t ticks)
{
	double secs = (double)ticks / (double)sio_get_ticks_hz();
	double iops = (double)ios / secs;

	printf("%-9s %-6s %-8s qd=%-4u io=%-7u %10.0f IOPS %9.1f MiB/s %7.1f ns/IO (%.2f s)\n", style,
	       c->type, c->sequential ? "read" : "randread", c->qd, c->io_size, iops, iops * c->io_size / (1024.0 * 1024.0),
	       1e9 / iops, secs);
}

static int bench_main(void *arg)
{
	struct cfg *c = arg;
	struct loop l = {.rng = 88172645463325252ull, .io_size = c->io_size,
			 .sequential = c->sequential};
	struct sio_bdev *bdev = NULL;
	struct slot *slots = calloc(c->qd, sizeof(*slots));
	struct task_arg *targs = calloc(c->qd, sizeof(*targs));
	struct sio_future *fs = calloc(c->qd, sizeof(*fs));
	struct sio_future **fps = calloc(c->qd, sizeof(*fps));
	uint64_t start;
	int rc;

	if (strcmp(c->type, "null") == 0) {
		struct sio_bdev_null_opts o;

		sio_bdev_null_opts_init(&o, sizeof(o));
		o.name = "Null0";
		o.block_size = 512;
		o.num_blocks = c->size_mb * 2048;
		rc = sio_bdev_null_create(&o, &bdev);
	} else {
		struct sio_bdev_malloc_opts o;

		sio_bdev_malloc_opts_init(&o, sizeof(o));
		o.name = "Malloc0";
		o.block_size = 512;
		o.num_blocks = c->size_mb * 2048;
		rc = sio_bdev_malloc_create(&o, &bdev);
	}
	if (rc != 0) {
		fprintf(stderr, "cannot create the %s bdev: %s\n", c->type, strerror(-rc));
		goto out;
	}
	rc = sio_bdev_open(sio_bdev_get_name(bdev), false, on_event, NULL, &l.desc);
	if (rc != 0)
		goto out;
	l.ch = sio_bdev_desc_get_io_channel(l.desc);
	l.bufs = sio_dma_zmalloc((size_t)c->qd * c->io_size, 4096);
	if (l.ch == NULL || l.bufs == NULL || !slots || !targs || !fs || !fps) {
		rc = -ENOMEM;
		goto out;
	}
	l.blocks_per_io = c->io_size / sio_bdev_get_block_size(bdev);
	l.num_ios = sio_bdev_get_num_blocks(bdev) / l.blocks_per_io;

	if (c->styles & 1) {
		start = sio_get_ticks();
		l.deadline = start + (uint64_t)c->seconds * sio_get_ticks_hz();
		rc = run_callbacks(&l, c->qd, slots);
		if (rc != 0)
			goto out;
		report("callback", c, l.completed, sio_get_ticks() - start);
	}
	if (c->styles & 2) {
		start = sio_get_ticks();
		l.deadline = start + (uint64_t)c->seconds * sio_get_ticks_hz();
		l.seq_next = 0;
		rc = run_tasks(&l, c->qd, targs, fs, fps);
		if (rc != 0)
			goto out;
		report("task", c, l.completed, sio_get_ticks() - start);
	}
out:
	if (l.ch)
		sio_io_channel_put(l.ch);
	if (l.desc)
		sio_bdev_close(l.desc);
	sio_dma_free(l.bufs);
	free(slots);
	free(targs);
	free(fs);
	free(fps);
	c->rc = rc;
	sio_app_stop(rc);
	return rc;
}

static void usage(const char *prog)
{
	printf("usage: %s [options]\n"
	       "  -b TYPE     bdev to create: null (default) or malloc\n"
	       "  -q QD       reads in flight (default 128)\n"
	       "  -o BYTES    I/O size, a multiple of 512 (default 4096)\n"
	       "  -t SECONDS  duration of each style (default 3)\n"
	       "  -s MB       bdev size in MiB (default 1024 null, 256 malloc)\n"
	       "  -w PATTERN  randread (default) or read (sequential)\n"
	       "  -S STYLE    callback, task or both (default)\n"
	       "  -h, --help  this text\n"
	       "Runs the random-read loop with callbacks, then with one task per slot\n"
	       "awaiting each read, and prints IOPS for each.\n",
	       prog);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct cfg c = {.type = "null", .qd = 128, .io_size = 4096, .seconds = 3, .styles = 3};
	struct sio_app_opts opts;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "b:q:o:t:s:w:S:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b': c.type = optarg; break;
		case 'q': c.qd = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'o': c.io_size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': c.seconds = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': c.size_mb = strtoull(optarg, NULL, 0); break;
		case 'S':
			c.styles = strcmp(optarg, "callback") == 0 ? 1 :
				   strcmp(optarg, "task") == 0	   ? 2 :
				   strcmp(optarg, "both") == 0	   ? 3 : 0;
			break;
		case 'w':
			if (strcmp(optarg, "read") == 0)
				c.sequential = true;
			else if (strcmp(optarg, "randread") != 0)
				c.qd = 0; /* reported as bad arguments below */
			break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if ((strcmp(c.type, "null") != 0 && strcmp(c.type, "malloc") != 0) || c.qd == 0 ||
	    c.qd > 4096 || c.io_size == 0 || c.io_size % 512 != 0 || c.seconds == 0 || c.styles == 0) {
		fprintf(stderr, "bad arguments\n");
		usage(argv[0]);
		return 2;
	}
	if (c.size_mb == 0)
		c.size_mb = strcmp(c.type, "null") == 0 ? 1024 : 256;
	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "bdev_qd_loop";
	opts.rpc_addr = NULL;
	opts.log_level = SIO_LOG_WARN;
	if (c.qd > 256) {
		/* Enough bdev_io per channel for the requested depth. */
		static char cfgtext[128];

		snprintf(cfgtext, sizeof(cfgtext),
			 "{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":"
			 "\"bdev_set_options\",\"params\":{\"bdev_io_cache_size\":%u}}]}]}",
			 c.qd * 2);
		opts.json_config_text = cfgtext;
	}
	rc = sio_app_run(&opts, bench_main, &c);
	return rc == 0 && c.rc == 0 ? 0 : 1;
}
