/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-core memcpy bandwidth, the ceiling of the malloc bdev's large reads:
 * copies CHUNK-byte pieces walking sequentially through a SRC-byte source
 * into DEPTH destination buffers used in turn, the shape of a QD-DEPTH
 * sequential read of CHUNK-byte I/O from a malloc bdev of SRC bytes.
 * With --random the source offsets are random multiples of CHUNK: the shape
 * of a random read, the ceiling of the malloc bdev's 4 KiB random reads.
 * With --huge the source is backed by 2 MiB hugepages, as the malloc bdev's
 * memory is under sio_bdevperf --huge (a miss then costs no page walk).
 * Prints the median of REPS timed passes of about SECONDS/REPS each, per
 * wall-clock second and per second of CPU the thread really got (the two
 * differ on a shared machine), in GB/s and in copies per second.
 *
 *   bench_memcpy [--random] [--huge] [CHUNK_KIB [DEPTH [SRC_MIB [SECONDS [REPS]]]]]
 *   (defaults 128 32 128 2 5)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static unsigned long arg(int argc, char **argv, int i, unsigned long def)
{
	return argc > i ? strtoul(argv[i], NULL, 0) : def;
}

/* xorshift64: cheap enough not to show next to a copy. */
static inline uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The source buffer: hugepages if asked and available, else ordinary pages. */
static uint8_t *map_source(size_t len, int *huge)
{
	void *p;

	if (*huge) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
			 -1, 0);
		if (p != MAP_FAILED)
			return p;
		fprintf(stderr, "bench_memcpy: no %zu MiB of hugepages, using ordinary pages\n",
			len >> 20);
		*huge = 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
	int random = 0, huge = 0;

	while (argc > 1 && argv[1][0] == '-') {
		if (strcmp(argv[1], "--random") == 0) {
			random = 1;
		} else if (strcmp(argv[1], "--huge") == 0) {
			huge = 1;
		} else {
			fprintf(stderr, "usage: bench_memcpy [--random] [--huge] "
				"[CHUNK_KIB [DEPTH [SRC_MIB [SECONDS [REPS]]]]]\n");
			return strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ? 0 : 2;
		}
		argv++;
		argc--;
	}

	size_t chunk = arg(argc, argv, 1, 128) << 10, depth = arg(argc, argv, 2, 32);
	size_t src_len = arg(argc, argv, 3, 128) << 20;
	double seconds = (double)arg(argc, argv, 4, 2);
	size_t reps = arg(argc, argv, 5, 5);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t *src, *dst;
	double *gbps, *cpu_gbps;
	/* The compiler must not drop copies nobody reads. */
	volatile uint8_t sink = 0;

	if (chunk == 0 || depth == 0 || src_len < chunk || reps == 0 || seconds <= 0) {
		fprintf(stderr, "usage: %s [CHUNK_KIB [DEPTH [SRC_MIB [SECONDS [REPS]]]]]\n",
			argv[0]);
		return 2;
	}
	src = map_source(src_len, &huge);
	dst = aligned_alloc(4096, chunk * depth);
	gbps = calloc(reps, sizeof(*gbps));
	cpu_gbps = calloc(reps, sizeof(*cpu_gbps));
	if (src == NULL || dst == NULL || gbps == NULL || cpu_gbps == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	memset(src, 0x5a, src_len);
	memset(dst, 0, chunk * depth);
	for (size_t r = 0; r < reps; r++) {
		double t0 = now_s(), c0 = cpu_s(), t, end = t0 + seconds / (double)reps;
		size_t off = 0, slot = 0, bytes = 0;

		do {
			/* Check the clock every 64 copies: it costs more than it seems. */
			for (int k = 0; k < 64; k++) {
				memcpy(dst + slot * chunk, src + off, chunk);
				if (random) {
					off = (size_t)(next_rand(&seed) % (src_len / chunk)) * chunk;
				} else {
					off += chunk;
					if (off + chunk > src_len)
						off = 0;
				}
				if (++slot == depth)
					slot = 0;
				bytes += chunk;
			}
			sink ^= dst[slot * chunk];
			t = now_s();
		} while (t < end);
		gbps[r] = (double)bytes / (t - t0) / 1e9;
		cpu_gbps[r] = (double)bytes / (cpu_s() - c0) / 1e9;
	}
	qsort(gbps, reps, sizeof(*gbps), cmp_double);
	qsort(cpu_gbps, reps, sizeof(*cpu_gbps), cmp_double);
	printf("memcpy chunk=%zu depth=%zu src=%zu MiB %s%s: median %.2f GB/s (min %.2f, max %.2f, "
	       "%zu passes); per CPU-second %.2f GB/s; median %.3f M copies/s, per CPU-second "
	       "%.3f M\n",
	       chunk, depth, src_len >> 20, random ? "random" : "sequential",
	       huge ? " hugepages" : "", gbps[reps / 2], gbps[0], gbps[reps - 1], reps,
	       cpu_gbps[reps / 2], gbps[reps / 2] * 1e3 / (double)chunk,
	       cpu_gbps[reps / 2] * 1e3 / (double)chunk);
	munmap(src, src_len);
	free(dst);
	free(gbps);
	free(cpu_gbps);
	(void)sink;
	return 0;
}
