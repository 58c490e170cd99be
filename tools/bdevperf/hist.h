/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A log-linear latency histogram: values below 2^HIST_SUB_BITS land in
 * buckets of their own; above, every power of two is cut into
 * 2^HIST_SUB_BITS equal buckets, so a bucket is never wider than 1/32 of
 * its value (about 3 %). Recording is a count-leading-zeros and an add:
 * cheap enough to run on every I/O. Fixed size, no allocation.
 */
#ifndef BDEVPERF_HIST_H
#define BDEVPERF_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Exponents HIST_SUB_BITS..63 each get HIST_SUB buckets, plus the linear start. */
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t bucket[HIST_BUCKETS];
};

static inline unsigned int hist_index(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	return (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) - HIST_SUB);
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/** hist_init() - Empty @h (min starts at UINT64_MAX). */
void hist_init(struct hist *h);

/** hist_merge() - Add every count of @from to @to. */
void hist_merge(struct hist *to, const struct hist *from);

/** hist_bucket_low() / hist_bucket_high() - Smallest value of bucket @idx, and one past its largest. */
uint64_t hist_bucket_low(unsigned int idx);
uint64_t hist_bucket_high(unsigned int idx);

/**
 * hist_percentile() - The value under which @pct percent of the recorded
 * values fall: the upper edge of the bucket holding that rank, clamped to
 * the exact min and max. 0 for an empty histogram.
 */
uint64_t hist_percentile(const struct hist *h, double pct);

#endif /* BDEVPERF_HIST_H */
