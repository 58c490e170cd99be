/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What bench_file_engine and bench_bdev_file share: the engine alone and the
 * bdev over it draw offsets with the same generator, keep time with the same
 * clock and pin the same way, so that their figures stand side by side.
 * Header-only because bench_file_engine links no spdk-io library.
 */
#ifndef BENCH_FILE_COMMON_H
#define BENCH_FILE_COMMON_H

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64: a few cycles per offset, so the generator does not show in the IOPS. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* -c CPU: pin this thread as a reactor is. Not fatal: a figure from an
 * unpinned run is still a figure. */
static inline void pin_cpu_arg(const char *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(atoi(arg), &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity");
}

#endif
