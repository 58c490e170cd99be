/* SPDX-License-Identifier: BSD-3-Clause */
#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *to, const struct hist *from)
{
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		to->bucket[i] += from->bucket[i];
	to->count += from->count;
	to->sum += from->sum;
	if (from->min < to->min)
		to->min = from->min;
	if (from->max > to->max)
		to->max = from->max;
}

uint64_t hist_bucket_low(unsigned int idx)
{
	unsigned int e;

	if (idx < HIST_SUB)
		return idx;
	e = idx / HIST_SUB + HIST_SUB_BITS - 1;
	return (uint64_t)(HIST_SUB + idx % HIST_SUB) << (e - HIST_SUB_BITS);
}

uint64_t hist_bucket_high(unsigned int idx)
{
	unsigned int e;

	if (idx < HIST_SUB)
		return idx + 1;
	e = idx / HIST_SUB + HIST_SUB_BITS - 1;
	/* The last bucket ends at 2^64, which does not fit: saturate. */
	if (idx == HIST_BUCKETS - 1)
		return UINT64_MAX;
	return hist_bucket_low(idx) + (1ull << (e - HIST_SUB_BITS));
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (pct <= 0)
		return h->min;
	/* Rank of the value at @pct, rounded up, in 1..count. */
	rank = (uint64_t)((double)h->count * pct / 100.0);
	if ((double)rank < (double)h->count * pct / 100.0)
		rank++;
	if (rank == 0)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_high(i) - 1;

			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}
