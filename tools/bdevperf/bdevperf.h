/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_bdevperf: SPDK bdevperf's flags on spdk-io. Shared between the files of
 * the tool: the run configuration, jobs (one per core per bdev) and their
 * queue slots.
 *
 * Threads: main.c runs on the app thread (the main task); a job lives on the
 * reactor thread of its core from setup to teardown. The app thread reads a
 * job's live counters for progress lines with relaxed atomic loads; the job
 * thread is their only writer. Everything else of a job is handed over by the
 * messages that start and finish it.
 */
#ifndef BDEVPERF_H
#define BDEVPERF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "spdk_io/bdev.h"
#include "hist.h"

enum bp_workload {
	BP_READ,
	BP_WRITE,
	BP_RANDREAD,
	BP_RANDWRITE,
	BP_RW,
	BP_RANDRW,
	BP_VERIFY,       /* write a pattern, read it back, compare every byte */
	BP_FLUSH,
	BP_UNMAP,
	BP_WRITE_ZEROES,
	BP_RESET,        /* verify, plus a reset of the bdev twice a second */
	BP_WORKLOAD_COUNT
};

/** How I/O is driven: plain callbacks, or one task per queue slot awaiting each I/O. */
enum bp_api {
	BP_API_CALLBACK,
	BP_API_TASK,
};

struct bp_config {
	uint32_t queue_depth;
	uint64_t io_size;          /* bytes */
	enum bp_workload workload;
	int rw_pct;                /* -M: reads in percent for rw/randrw; -1 unset */
	double seconds;            /* -t */
	const char *bdev_name;     /* -T, NULL = every unclaimed bdev */
	double period_s;           /* -S */
	bool wait_rpc;             /* -z */
	int latency_level;         /* 1 = -l, 2 = -ll */
	enum bp_api api;
	const char *results_json;  /* --results-json FILE */
	const char *default_bdev;  /* "malloc" or "null": what to create without -c */
	bool quiet;                /* --quiet: no progress lines */
	uint64_t io_limit;         /* --ios: stop each job after this many I/O (0 = by time) */
};

struct bp_job;

/*
 * What a slot carries from one I/O to its next. The callback engine keeps it
 * in the slot (struct bp_slot.io); the task engine in locals of the slot's
 * task, as a user writes a task, so that its fields live in the registers
 * and stack lines a parked task keeps anyway instead of in one more line per
 * slot (docs/async.md, "Sixth round").
 */
struct bp_io {
	uint64_t offset;           /* in I/O units from the start of the bdev */
	uint64_t submit_tick;
	uint64_t gen;              /* verify: generation of the pattern written */
	uint64_t next_unit;        /* verify: this slot's next unit (slots never share one) */
	bool reading;              /* verify: the write is done, the read is in flight */
	bool is_read;              /* rw/randrw: this I/O is a read */
};

/* One queue slot: one I/O in flight at a time, with its own buffers. */
struct bp_slot {
	struct bp_job *job;
	void *buf;                 /* data buffer (verify: what is written) */
	void *rbuf;                /* verify: what is read back */
	struct bp_io io;           /* callback engine; the task engine starts from it */
	struct sio_bdev_io_wait_entry wait;
};

struct bp_job {
	/* Fixed by main.c before setup. */
	char bdev_name[128];
	int core;
	uint32_t share_index;      /* this job's part of the bdev when several cores share it */
	uint32_t share_count;
	struct bp_config cfg;

	/* Owned by the job thread from setup to teardown. */
	struct sio_thread *thread;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	/* Plain read or write workloads: the one call each I/O makes (NULL otherwise). */
	int (*rw_cb)(struct sio_bdev_desc *, struct sio_io_channel *, void *, uint64_t, uint64_t,
		     sio_done_cb, void *);
	int (*rw_await)(struct sio_bdev_desc *, struct sio_io_channel *, void *, uint64_t,
			uint64_t);
	/* The workload's properties, tested on every I/O: fields, not switches. */
	bool verify;               /* verify or reset: write, read back, compare */
	bool random;               /* random offsets */
	bool mixed;                /* rw/randrw: each I/O reads with probability -M */
	bool tsc;                  /* sio_ticks_are_tsc(): bp_ticks() reads the TSC itself */
	uint32_t block_size;
	uint64_t blocks_per_io;
	uint64_t unit_start;       /* first I/O unit of this job's range */
	uint64_t unit_count;       /* I/O units in the range */
	struct bp_slot *slots;
	uint8_t *buf_mem;          /* DMA memory of every slot's buffers */
	uint64_t seq_next;
	uint64_t rng;
	uint64_t seed;             /* verify patterns */
	uint64_t start_tick;
	uint64_t deadline;
	uint64_t end_tick;
	uint64_t cpu_ns;           /* CPU time of the job's OS thread from start to finish */
	uint32_t inflight;
	uint32_t tasks_left;
	bool stopping;
	bool starting;             /* inside bp_job_start() */
	bool finished;             /* bp_job_finished() was called for this run */
	struct sio_poller *reset_poller;
	bool reset_inflight;
	uint64_t resets_done;

	/* Written by the job thread only; main.c reads them with relaxed loads for progress lines. */
	uint64_t completed;
	uint64_t failed;

	struct hist lat;           /* ticks from submission to completion */
	int rc;                    /* first error of the job */
	char err[320];             /* what that error was */
};

/* Set when a job fails loudly (verify) or the app shuts down: every job stops early. */
extern int g_bp_abort;

/* job.c: each runs on the job's thread (through sio_event_call). */
void bp_job_setup(void *job);
void bp_job_start(void *job);
void bp_job_teardown(void *job);
/* main.c: called on the job's thread once its last I/O has completed. */
void bp_job_finished(struct bp_job *job);

/* Workload names and properties (job.c). */
const char *bp_workload_name(enum bp_workload w);
int bp_workload_parse(const char *s, enum bp_workload *out);
bool bp_workload_writes(enum bp_workload w);

/* report.c */
void bp_report_progress(struct bp_job **jobs, size_t n, uint64_t *last, double elapsed_s,
			double period_s);
void bp_report_table(struct bp_job **jobs, size_t n, int latency_level);
json_t *bp_report_json(struct bp_job **jobs, size_t n);

#endif /* BDEVPERF_H */
