/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_file_engine: the raw io_uring and Linux AIO engines of the uring/aio
 * bdevs, without the bdev layer, on one thread: random reads or writes at a
 * fixed depth for a fixed time, the same loop the channel poller runs (reap a
 * batch, requeue, one submit). Prints IOPS and MiB/s. It is the ceiling for the
 * modules, to put next to fio on the same file:
 *
 *   bench_file_engine -e uring -f FILE -q 128 -o 4096 -t 10 [-w randwrite] [-b]
 *   fio --name=x --ioengine=io_uring --direct=1 --rw=randread --bs=4k \
 *       --iodepth=128 --filename=FILE --runtime=10 --time_based
 *
 * -b opens buffered (no O_DIRECT); -c CPU pins the thread to one CPU, as a
 * reactor is. The file must exist (its size is used).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_file_common.h"
#include "bdev/modules/aio/aio_engine.h"
#include "bdev/modules/file_common/bdev_file.h"
#include "bdev/modules/uring/uring_engine.h"

#define BATCH 128

struct slot {
	struct iocb iocb;
	struct iovec iov;
};

static void usage(void)
{
	fprintf(stderr, "usage: bench_file_engine -e uring|aio -f FILE [-q depth] [-o bytes] "
			"[-t seconds] [-w randread|randwrite] [-b] [-c cpu]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *engine = "uring", *path = NULL, *workload = "randread";
	uint32_t depth = 128, iosize = 4096, i;
	double secs = 5, t0, t1;
	bool buffered = false, write, use_uring;
	struct bdev_file f;
	struct bdev_uring_queue uq;
	struct bdev_aio_queue aq;
	struct bdev_uring_cpl ucpl[BATCH];
	struct bdev_aio_cpl acpl[BATCH];
	struct slot *slots;
	uint64_t seed = 0x1234567, nblocks, done = 0, syscalls = 0;
	char err[256];
	char *mem;
	int c, rc;

	while ((c = getopt(argc, argv, "e:f:q:o:t:w:bc:")) != -1) {
		switch (c) {
		case 'c': pin_cpu_arg(optarg); break;
		case 'e': engine = optarg; break;
		case 'f': path = optarg; break;
		case 'q': depth = (uint32_t)atoi(optarg); break;
		case 'o': iosize = (uint32_t)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'w': workload = optarg; break;
		case 'b': buffered = true; break;
		default: usage();
		}
	}
	if (path == NULL || depth == 0 || depth > 4096 || iosize == 0)
		usage();
	use_uring = strcmp(engine, "uring") == 0;
	if (!use_uring && strcmp(engine, "aio") != 0)
		usage();
	write = strcmp(workload, "randwrite") == 0;
	if (!write && strcmp(workload, "randread") != 0)
		usage();
	rc = bdev_file_open(&f, path, buffered ? BDEV_FILE_NO_DIRECT : 0, 0, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (iosize % f.block_size != 0) {
		fprintf(stderr, "I/O size %u is not a multiple of the block size %u\n", iosize,
			f.block_size);
		return 1;
	}
	nblocks = f.size / iosize;
	slots = calloc(depth, sizeof(*slots));
	if (slots == NULL || posix_memalign((void **)&mem, 4096, (size_t)depth * iosize) != 0)
		return 1;
	memset(mem, 0x5a, (size_t)depth * iosize);
	rc = use_uring ? bdev_uring_queue_init(&uq, f.fd, depth, f.nowait ? 0 : BDEV_URING_QUEUE_ASYNC) :
			bdev_aio_queue_init(&aq, depth);
	if (rc != 0) {
		fprintf(stderr, "%s queue: %s\n", engine, strerror(-rc));
		return 1;
	}
	for (i = 0; i < depth; i++) {
		slots[i].iov.iov_base = mem + (size_t)i * iosize;
		slots[i].iov.iov_len = iosize;
	}

#define QUEUE(s)                                                                              \
	do {                                                                                  \
		uint64_t off_ = (rnd(&seed) % nblocks) * iosize;                              \
		if (use_uring)                                                                \
			bdev_uring_queue_rw(&uq, write, &(s)->iov, 1, off_, (s));              \
		else                                                                          \
			bdev_aio_queue_rw(&aq, &(s)->iocb, f.fd, write, &(s)->iov, 1, off_, 0, \
					  (s));                                               \
	} while (0)

	for (i = 0; i < depth; i++)
		QUEUE(&slots[i]);
	t0 = now_s();
	t1 = t0;
	for (;;) {
		uint32_t n, k;

		if (use_uring && uq.queued > 0) {
			bdev_uring_queue_submit(&uq);
			syscalls++;
		} else if (!use_uring && aq.queued > 0) {
			bdev_aio_queue_submit(&aq);
			syscalls++;
		}
		n = use_uring ? bdev_uring_queue_reap(&uq, ucpl, BATCH) :
				bdev_aio_queue_reap(&aq, acpl, BATCH);
		for (k = 0; k < n; k++) {
			struct slot *s = use_uring ? ucpl[k].ctx : acpl[k].ctx;
			int64_t res = use_uring ? ucpl[k].res : acpl[k].res;

			if (res != (int64_t)iosize) {
				fprintf(stderr, "I/O failed: %lld\n", (long long)res);
				return 1;
			}
			QUEUE(s);
		}
		done += n;
		if ((done & 0x3ff) < n) {
			t1 = now_s();
			if (t1 - t0 >= secs)
				break;
		}
	}
	printf("%s %s %s bs=%u qd=%u %s: %.0f IOPS, %.1f MiB/s (%.2f I/O per submit call)\n",
	       engine, workload, path, iosize, depth, f.direct ? "O_DIRECT" : "buffered",
	       (double)done / (t1 - t0), (double)done * iosize / (t1 - t0) / 1048576.0,
	       (double)done / (double)syscalls);
	return 0;
}
