/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_bdev_file: the uring or aio bdev over a file, through the public bdev
 * API on one sio_thread polled by this OS thread (what a reactor does): keep
 * QD random reads (or writes) of one size in flight for T seconds with plain
 * callbacks, print IOPS and MiB/s. Run it next to fio on the same file:
 *
 *   bench_bdev_file -m uring -f FILE -q 128 -o 4096 -t 10
 *   fio --name=x --ioengine=io_uring --direct=1 --rw=randread --bs=4k \
 *       --iodepth=128 --filename=FILE --runtime=10 --time_based
 *
 * The module opens the file O_DIRECT when the file system allows it (as
 * fio's --direct=1). -r N repeats the run N times and prints each and the median;
 * -c CPU pins the thread to one CPU, as a reactor is; -n makes the uring
 * module copy tmpfs files inline instead of going through io_uring (opt-in).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_file_common.h"
#include "bdev/modules/aio/aio.h"
#include "bdev/modules/uring/uring.h"
#include "spdk_io/bdev.h"
#include "spdk_io/env.h"
#include "spdk_io/thread.h"

int bdev_modules_init(void);
void bdev_modules_fini(void);

struct slot {
	struct run *run;
	void *buf;
};

struct run {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint64_t nios, io_size, seed, done, errors;
	bool write, stop;
	uint32_t inflight;
};

static void io_done(void *arg, int rc);

static int start(struct slot *s)
{
	struct run *r = s->run;
	uint64_t off = (rnd(&r->seed) % r->nios) * r->io_size;
	int rc = r->write ? sio_bdev_write(r->desc, r->ch, s->buf, off, r->io_size, io_done, s) :
			    sio_bdev_read(r->desc, r->ch, s->buf, off, r->io_size, io_done, s);

	if (rc == 0)
		r->inflight++;
	return rc;
}

static void io_done(void *arg, int rc)
{
	struct slot *s = arg;
	struct run *r = s->run;

	r->inflight--;
	if (rc != 0)
		r->errors++;
	r->done++;
	if (!r->stop && start(s) != 0)
		r->errors++;
}

static void on_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	(void)type;
	(void)bdev;
	(void)ctx;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_bdev_file -m uring|aio -f FILE [-q depth] [-o bytes] "
			"[-t seconds] [-w randread|randwrite] [-r repeats] [-c cpu] [-n]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *module = "uring", *path = NULL, *workload = "randread";
	uint32_t depth = 128, io_size = 4096, repeats = 1, i, k;
	double secs = 5, results[64];
	struct sio_thread *t;
	struct sio_bdev *bdev;
	struct slot *slots;
	char err[256];
	int c, rc;

	while ((c = getopt(argc, argv, "m:f:q:o:t:w:r:c:n")) != -1) {
		switch (c) {
		case 'c':
			/* Pin like a reactor: the uring module then keeps io-wq off this CPU. */
			pin_cpu_arg(optarg);
			break;
		case 'm': module = optarg; break;
		case 'f': path = optarg; break;
		case 'q': depth = (uint32_t)atoi(optarg); break;
		case 'o': io_size = (uint32_t)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'w': workload = optarg; break;
		case 'r': repeats = (uint32_t)atoi(optarg); break;
		case 'n': bdev_uring_set_inline_memfs(true); break;
		default: usage();
		}
	}
	if (path == NULL || depth == 0 || io_size == 0 || repeats == 0 || repeats > 64)
		usage();
	t = sio_thread_attach("bench");
	if (t == NULL || bdev_modules_init() != 0) {
		fprintf(stderr, "cannot set up a thread and the bdev modules\n");
		return 1;
	}
	if (strcmp(module, "uring") == 0) {
		struct bdev_uring_opts o = {.name = "bench0", .filename = path};

		rc = bdev_uring_create(&o, &bdev, err, sizeof(err));
	} else if (strcmp(module, "aio") == 0) {
		struct bdev_aio_opts o = {.name = "bench0", .filename = path};

		rc = bdev_aio_create(&o, &bdev, err, sizeof(err));
	} else {
		usage();
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	slots = calloc(depth, sizeof(*slots));
	for (i = 0; i < depth; i++)
		slots[i].buf = sio_dma_malloc(io_size, 4096);

	for (k = 0; k < repeats; k++) {
		struct run r = {.io_size = io_size, .seed = 0x9e3779b97f4a7c15ull + k,
				.write = strcmp(workload, "randwrite") == 0};
		double t0, t1;

		if (sio_bdev_open("bench0", r.write, on_event, NULL, &r.desc) != 0) {
			fprintf(stderr, "cannot open the bdev\n");
			return 1;
		}
		r.ch = sio_bdev_desc_get_io_channel(r.desc);
		r.nios = sio_bdev_get_size(bdev) / io_size;
		for (i = 0; i < depth; i++) {
			slots[i].run = &r;
			if (start(&slots[i]) != 0) {
				fprintf(stderr, "submit failed\n");
				return 1;
			}
		}
		t0 = now_s();
		t1 = t0;
		while (t1 - t0 < secs) {
			for (int n = 0; n < 256; n++)
				sio_thread_poll(t, 0);
			t1 = now_s();
		}
		r.stop = true;
		results[k] = (double)r.done / (t1 - t0);
		while (r.inflight > 0)
			sio_thread_poll(t, 0);
		printf("%s bdev %s %s bs=%u qd=%u: %.0f IOPS, %.1f MiB/s%s\n", module, workload, path,
		       io_size, depth, results[k], results[k] * io_size / 1048576.0,
		       r.errors ? " (ERRORS)" : "");
		sio_io_channel_put(r.ch);
		sio_bdev_close(r.desc);
		for (i = 0; i < 10; i++)
			sio_thread_poll(t, 0);
	}
	if (repeats > 1) {
		qsort(results, repeats, sizeof(results[0]), cmp_double);
		printf("%s bdev median of %u: %.0f IOPS\n", module, repeats, results[repeats / 2]);
	}
	for (i = 0; i < depth; i++)
		sio_dma_free(slots[i].buf);
	free(slots);
	return 0;
}
