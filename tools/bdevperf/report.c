/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What sio_bdevperf prints: progress lines while jobs run, the final table
 * (one row per job and a total), the -l/-ll latency detail, and the same
 * figures as JSON for --results-json and the perform_tests RPC.
 * Runs on the app thread, after the jobs have finished (progress: while
 * they run, reading only their relaxed-atomic counters).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdevperf.h"
#include "spdk_io/env.h"

static const double g_pcts[] = {50, 90, 99, 99.9, 99.99};
static const char *const g_pct_names[] = {"p50", "p90", "p99", "p99.9", "p99.99"};
#define NPCT (sizeof(g_pcts) / sizeof(g_pcts[0]))

static const double g_ladder[] = {1, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 99.99, 99.999};

static double ticks_us(uint64_t t)
{
	return (double)t * 1e6 / (double)sio_get_ticks_hz();
}

/* The figures of one row (a job or the total). */
struct row {
	double runtime_s;
	double iops;
	double mibps;
	double fail_s;
	double avg_us, min_us, max_us;
	double pct_us[NPCT];
};

static void row_fill(struct row *r, const struct hist *h, uint64_t completed, uint64_t failed,
		     uint64_t io_size, double runtime_s)
{
	memset(r, 0, sizeof(*r));
	r->runtime_s = runtime_s;
	if (runtime_s > 0) {
		r->iops = (double)completed / runtime_s;
		r->fail_s = (double)failed / runtime_s;
	}
	r->mibps = r->iops * (double)io_size / (1024.0 * 1024.0);
	if (h->count > 0) {
		r->avg_us = ticks_us(h->sum) / (double)h->count;
		r->min_us = ticks_us(h->min);
		r->max_us = ticks_us(h->max);
	}
	for (size_t i = 0; i < NPCT; i++)
		r->pct_us[i] = ticks_us(hist_percentile(h, g_pcts[i]));
}

static double job_runtime_s(const struct bp_job *j)
{
	if (j->end_tick <= j->start_tick)
		return 0;
	return (double)(j->end_tick - j->start_tick) / (double)sio_get_ticks_hz();
}

/* The total row: rates add up across jobs; latencies come from the merged histogram. */
struct total {
	struct hist *lat; /* on the heap: HIST_BUCKETS counters are too many for a stack */
	uint64_t completed, failed;
	double iops, mibps, fail_s, runtime_s;
};

static int total_init(struct total *t)
{
	memset(t, 0, sizeof(*t));
	t->lat = malloc(sizeof(*t->lat));
	if (t->lat == NULL)
		return -ENOMEM;
	hist_init(t->lat);
	return 0;
}

static void total_add(struct total *t, const struct bp_job *j, const struct row *r)
{
	t->iops += r->iops;
	t->mibps += r->mibps;
	t->fail_s += r->fail_s;
	if (r->runtime_s > t->runtime_s)
		t->runtime_s = r->runtime_s;
	t->completed += j->completed;
	t->failed += j->failed;
	hist_merge(t->lat, &j->lat);
}

static void total_row(const struct total *t, struct row *r)
{
	row_fill(r, t->lat, t->completed, t->failed, 0, t->runtime_s);
	r->iops = t->iops;
	r->mibps = t->mibps;
	r->fail_s = t->fail_s;
}

static void total_fini(struct total *t)
{
	free(t->lat);
}

void bp_report_progress(struct bp_job **jobs, size_t n, uint64_t *last, double elapsed_s,
			double period_s)
{
	uint64_t ios = 0;
	double mib = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t c = __atomic_load_n(&jobs[i]->completed, __ATOMIC_RELAXED);

		ios += c - last[i];
		mib += (double)(c - last[i]) * (double)jobs[i]->cfg.io_size / (1024.0 * 1024.0);
		last[i] = c;
	}
	printf("[%7.2f s] %14.2f IOPS %12.2f MiB/s\n", elapsed_s, (double)ios / period_s,
	       mib / period_s);
	fflush(stdout);
}

static void print_row(const char *name, const char *core, const char *wl, const char *qd,
		      const char *iosz, const struct row *r)
{
	printf("%-16s %5s %-12s %5s %8s %7.2f %14.2f %10.2f %7.2f %9.2f %9.2f %10.2f", name, core,
	       wl, qd, iosz, r->runtime_s, r->iops, r->mibps, r->fail_s, r->avg_us, r->min_us,
	       r->max_us);
	for (size_t i = 0; i < NPCT; i++)
		printf(" %9.2f", r->pct_us[i]);
	printf("\n");
}

static void print_ladder(const struct bp_job *j)
{
	printf("\nLatency summary of %s on core %d (us):\n", j->bdev_name, j->core);
	for (size_t i = 0; i < sizeof(g_ladder) / sizeof(g_ladder[0]); i++)
		printf("  %8.3f%% : %12.3f\n", g_ladder[i],
		       ticks_us(hist_percentile(&j->lat, g_ladder[i])));
}

static void print_histogram(const struct bp_job *j)
{
	uint64_t seen = 0;

	printf("\nLatency histogram of %s on core %d:\n", j->bdev_name, j->core);
	printf("  %27s %12s %12s\n", "range (us)", "cumulative", "count");
	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		if (j->lat.bucket[b] == 0)
			continue;
		seen += j->lat.bucket[b];
		printf("  %12.3f - %12.3f %11.4f%% %12" PRIu64 "\n", ticks_us(hist_bucket_low(b)),
		       ticks_us(hist_bucket_high(b)), 100.0 * (double)seen / (double)j->lat.count,
		       j->lat.bucket[b]);
	}
}

void bp_report_table(struct bp_job **jobs, size_t n, int latency_level)
{
	struct total total;
	struct row r;
	char core[16], qd[16], iosz[24];

	if (total_init(&total) != 0)
		return;
	printf("\n%-16s %5s %-12s %5s %8s %7s %14s %10s %7s %9s %9s %10s", "Job", "Core",
	       "Workload", "QD", "IO size", "Time(s)", "IOPS", "MiB/s", "Fail/s", "Avg(us)",
	       "Min(us)", "Max(us)");
	for (size_t i = 0; i < NPCT; i++) {
		char h[24];

		snprintf(h, sizeof(h), "%s(us)", g_pct_names[i]);
		printf(" %9s", h);
	}
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		const struct bp_job *j = jobs[i];

		row_fill(&r, &j->lat, j->completed, j->failed, j->cfg.io_size, job_runtime_s(j));
		snprintf(core, sizeof(core), "%d", j->core);
		snprintf(qd, sizeof(qd), "%u", j->cfg.queue_depth);
		snprintf(iosz, sizeof(iosz), "%" PRIu64, j->cfg.io_size);
		print_row(j->bdev_name, core, bp_workload_name(j->cfg.workload), qd, iosz, &r);
		total_add(&total, j, &r);
	}
	total_row(&total, &r);
	print_row("Total", "", "", "", "", &r);
	for (size_t i = 0; i < n && latency_level >= 1; i++) {
		print_ladder(jobs[i]);
		if (latency_level >= 2)
			print_histogram(jobs[i]);
	}
	fflush(stdout);
	total_fini(&total);
}

static json_t *row_json(const struct row *r)
{
	json_t *o = json_object(), *p = json_object();

	json_object_set_new(o, "runtime", json_real(r->runtime_s));
	json_object_set_new(o, "iops", json_real(r->iops));
	json_object_set_new(o, "mibps", json_real(r->mibps));
	json_object_set_new(o, "io_failed_per_s", json_real(r->fail_s));
	json_object_set_new(o, "avg_latency_us", json_real(r->avg_us));
	json_object_set_new(o, "min_latency_us", json_real(r->min_us));
	json_object_set_new(o, "max_latency_us", json_real(r->max_us));
	for (size_t i = 0; i < NPCT; i++)
		json_object_set_new(p, g_pct_names[i], json_real(r->pct_us[i]));
	json_object_set_new(o, "latency_percentiles_us", p);
	return o;
}

static json_t *hist_json(const struct hist *h)
{
	json_t *a = json_array();

	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		if (h->bucket[b] == 0)
			continue;
		json_array_append_new(a, json_pack("[f,f,I]", ticks_us(hist_bucket_low(b)),
						   ticks_us(hist_bucket_high(b)),
						   (json_int_t)h->bucket[b]));
	}
	return a;
}

json_t *bp_report_json(struct bp_job **jobs, size_t n)
{
	json_t *root = json_object(), *results = json_array(), *t;
	struct total total;
	struct row r;

	if (root == NULL || results == NULL || total_init(&total) != 0) {
		json_decref(root);
		json_decref(results);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bp_job *j = jobs[i];
		char mask[32];
		json_t *o;

		row_fill(&r, &j->lat, j->completed, j->failed, j->cfg.io_size, job_runtime_s(j));
		o = row_json(&r);
		snprintf(mask, sizeof(mask), "0x%llx", 1ull << (j->core & 63));
		json_object_set_new(o, "job", json_string(j->bdev_name));
		json_object_set_new(o, "core", json_integer(j->core));
		json_object_set_new(o, "core_mask", json_string(mask));
		json_object_set_new(o, "workload", json_string(bp_workload_name(j->cfg.workload)));
		if (j->cfg.workload == BP_RW || j->cfg.workload == BP_RANDRW)
			json_object_set_new(o, "rw_percentage", json_integer(j->cfg.rw_pct));
		json_object_set_new(o, "status", json_string(j->rc == 0 ? "finished" : "failed"));
		if (j->rc != 0)
			json_object_set_new(o, "error", json_string(j->err));
		json_object_set_new(o, "queue_depth", json_integer(j->cfg.queue_depth));
		json_object_set_new(o, "io_size", json_integer((json_int_t)j->cfg.io_size));
		json_object_set_new(o, "api", json_string(j->cfg.api == BP_API_TASK ? "task"
										   : "callback"));
		json_object_set_new(o, "io_completed", json_integer((json_int_t)j->completed));
		/* On a shared machine the thread may not get its core all the time: */
		json_object_set_new(o, "cpu_time", json_real((double)j->cpu_ns / 1e9));
		json_object_set_new(o, "iops_per_cpu_s",
				    json_real(j->cpu_ns ? (double)j->completed * 1e9 / (double)j->cpu_ns
							: 0.0));
		json_object_set_new(o, "io_failed", json_integer((json_int_t)j->failed));
		if (j->cfg.latency_level >= 2)
			json_object_set_new(o, "latency_histogram_us", hist_json(&j->lat));
		json_array_append_new(results, o);
		total_add(&total, j, &r);
	}
	total_row(&total, &r);
	t = row_json(&r);
	json_object_set_new(t, "io_completed", json_integer((json_int_t)total.completed));
	json_object_set_new(t, "io_failed", json_integer((json_int_t)total.failed));
	json_object_set_new(root, "results", results);
	json_object_set_new(root, "total", t);
	total_fini(&total);
	return root;
}
