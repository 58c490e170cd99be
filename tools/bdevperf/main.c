/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_bdevperf: drive bdevs at a fixed queue depth and report IOPS,
 * bandwidth and latency, with SPDK bdevperf's flags. See docs/bdevperf.md.
 *
 * The main task (app thread) picks the bdevs, makes one job per core per
 * bdev, sets each up on its core's reactor, starts them all, prints progress
 * until the last one reports back, tears them down and prints the results.
 * With -z it does that once per perform_tests RPC instead, until shut down.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdevperf.h"
#include "spdk_io/app.h"
#include "spdk_io/env.h"
#include "spdk_io/rpc.h"

/*
 * What runs when no -c/--json config is given (see docs/bdevperf.md): an
 * ordinary config, the same bdev a user's bdev_null_create or
 * bdev_malloc_create makes.
 */
static const char g_default_malloc[] =
	"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":\"bdev_malloc_create\","
	"\"params\":{\"name\":\"Malloc0\",\"num_blocks\":262144,\"block_size\":512}}]}]}";
/* Null0: 1 GiB of 512-byte blocks. */
static const char g_default_null[] =
	"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":\"bdev_null_create\","
	"\"params\":{\"name\":\"Null0\",\"num_blocks\":2097152,\"block_size\":512}}]}]}";

enum {
	OPT_API = 0x2000,
	OPT_RESULTS_JSON,
	OPT_DEFAULT_BDEV,
	OPT_QUIET,
	OPT_IOS,
};

static const struct option g_long[] = {
	{"api", required_argument, NULL, OPT_API},
	{"results-json", required_argument, NULL, OPT_RESULTS_JSON},
	{"default-bdev", required_argument, NULL, OPT_DEFAULT_BDEV},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"ios", required_argument, NULL, OPT_IOS},
	{0},
};

/* perform_tests parameters: SPDK bdevperf's names, all optional. */
struct perform_params {
	int32_t time_in_sec;
	const char *workload_type;
	uint32_t queue_depth;
	const char *io_size;
	int32_t rw_percentage;
};

static struct {
	struct bp_config cfg;          /* from the command line */
	struct sio_thread *app_thread;
	struct sio_future run_done;    /* completed when the last job has finished */
	size_t jobs_left;
	/* -z: the main task parks on `wake` until a request or shutdown comes. */
	struct sio_future wake;
	bool waiting;
	struct sio_rpc_request *req;
	struct perform_params req_params;
	int rc;
} g;

/* ------------------------------------------------------------------------ */
/* Argument parsing                                                         */
/* ------------------------------------------------------------------------ */

static void usage(void *ctx)
{
	fprintf(stderr,
		" -q DEPTH               I/O in flight per job (default 128)\n"
		" -o SIZE                I/O size in bytes, K/M suffixes allowed: 4096, 4k, 128K (default 4096)\n"
		" -w WORKLOAD            read, write, randread, randwrite, rw, randrw, verify, flush,\n"
		"                        unmap, write_zeroes or reset (default randread)\n"
		" -M PERCENT             reads in percent for rw and randrw (default 50)\n"
		" -t SECONDS             run time (default 5; fractions allowed)\n"
		" -T BDEV                run on this bdev only (default: every unclaimed bdev)\n"
		" -S SECONDS             seconds between progress lines (default 1)\n"
		" -z                     wait for the perform_tests RPC instead of running at once\n"
		" -l                     print a latency summary per job; -ll adds the histogram\n"
		"     --api STYLE        callback (default) or task: one task per slot awaiting each I/O\n"
		"     --results-json FILE  write the results as JSON to FILE\n"
		"     --default-bdev TYPE  malloc (default: Malloc0, 128 MiB) or null (Null0, 1 GiB),\n"
		"                        created when no -c/--json config is given\n"
		"     --quiet            no progress lines\n"
		"     --ios COUNT        end each job after COUNT I/O (or -t, whichever comes first;\n"
		"                        for instruction counts under valgrind)\n"
		"One job runs per core of -m per bdev.\n");
}

/* A size in bytes with an optional k/K, m/M or g/G (powers of 1024) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || v == 0 || v > (1ull << 30) >> shift)
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno != 0 || *end != '\0' || *out > max ? -EINVAL : 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	*out = strtod(s, &end);
	return errno != 0 || *end != '\0' || !(*out > 0) || *out > 1e6 ? -EINVAL : 0;
}

static int parse_opt(int ch, const char *arg, void *ctx)
{
	struct bp_config *c = ctx;
	unsigned long long v;

	switch (ch) {
	case 'q':
		if (parse_uint(arg, 65536, &v) != 0 || v == 0) {
			fprintf(stderr, "-q: '%s' is not a queue depth (1..65536)\n", arg);
			return -EINVAL;
		}
		c->queue_depth = (uint32_t)v;
		return 0;
	case 'o':
		if (parse_size(arg, &c->io_size) != 0 || c->io_size % 8 != 0) {
			fprintf(stderr, "-o: '%s' is not an I/O size (bytes, a multiple of 8, "
					"up to 1 GiB; 4096, 4k, 128K)\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'w':
		if (bp_workload_parse(arg, &c->workload) != 0) {
			fprintf(stderr, "-w: unknown workload '%s'\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'M':
		if (parse_uint(arg, 100, &v) != 0) {
			fprintf(stderr, "-M: '%s' is not a percentage (0..100)\n", arg);
			return -EINVAL;
		}
		c->rw_pct = (int)v;
		return 0;
	case 't':
		if (parse_seconds(arg, &c->seconds) != 0) {
			fprintf(stderr, "-t: '%s' is not a positive number of seconds\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'T':
		c->bdev_name = arg;
		return 0;
	case 'S':
		if (parse_seconds(arg, &c->period_s) != 0) {
			fprintf(stderr, "-S: '%s' is not a positive number of seconds\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'z':
		c->wait_rpc = true;
		return 0;
	case 'l':
		c->latency_level++;
		return 0;
	case OPT_API:
		if (strcmp(arg, "callback") == 0) {
			c->api = BP_API_CALLBACK;
		} else if (strcmp(arg, "task") == 0) {
			c->api = BP_API_TASK;
		} else {
			fprintf(stderr, "--api: '%s' is neither callback nor task\n", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_RESULTS_JSON:
		c->results_json = arg;
		return 0;
	case OPT_DEFAULT_BDEV:
		if (strcmp(arg, "malloc") != 0 && strcmp(arg, "null") != 0) {
			fprintf(stderr, "--default-bdev: '%s' is neither malloc nor null\n", arg);
			return -EINVAL;
		}
		c->default_bdev = arg;
		return 0;
	case OPT_QUIET:
		c->quiet = true;
		return 0;
	case OPT_IOS:
		if (parse_uint(arg, UINT64_MAX, &v) != 0 || v == 0) {
			fprintf(stderr, "--ios: '%s' is not a positive count\n", arg);
			return -EINVAL;
		}
		c->io_limit = v;
		return 0;
	}
	return -EINVAL;
}

/* Checks across options; 0 or -EINVAL with a message. */
static int check_config(const struct bp_config *c)
{
	bool mixed = c->workload == BP_RW || c->workload == BP_RANDRW;

	if (c->rw_pct >= 0 && !mixed) {
		fprintf(stderr, "-M applies to the rw and randrw workloads only\n");
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Running the jobs                                                         */
/* ------------------------------------------------------------------------ */

static void job_done_msg(void *arg)
{
	if (--g.jobs_left == 0)
		sio_future_complete(&g.run_done, 0, NULL);
}

void bp_job_finished(struct bp_job *job)
{
	int rc = sio_thread_send_msg(g.app_thread, job_done_msg, job);

	/* Without this message the run would never end: nothing sane is left to do. */
	if (rc != 0) {
		fprintf(stderr, "sio_bdevperf: cannot reach the app thread: %s\n", strerror(-rc));
		abort();
	}
}

static void free_jobs(struct bp_job **jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(jobs[i]);
	free(jobs);
}

/* Jobs for every (bdev, core) pair; NULL with *rc set on failure. */
static struct bp_job **make_jobs(const struct bp_config *c, size_t *n, int *rc)
{
	struct sio_bdev *b;
	struct bp_job **jobs = NULL;
	size_t nbdev = 0, ncore = 0, k = 0;
	const char **names = NULL;
	int core;

	SIO_FOREACH_CORE(core)
		ncore++;
	if (c->bdev_name != NULL) {
		if (sio_bdev_get_by_name(c->bdev_name) == NULL) {
			fprintf(stderr, "sio_bdevperf: no bdev named '%s'\n", c->bdev_name);
			*rc = -ENODEV;
			return NULL;
		}
		nbdev = 1;
	} else {
		for (b = sio_bdev_first(); b != NULL; b = sio_bdev_next(b))
			nbdev += !sio_bdev_is_claimed(b);
		if (nbdev == 0) {
			fprintf(stderr, "sio_bdevperf: no bdev to run on (give a config with -c)\n");
			*rc = -ENODEV;
			return NULL;
		}
	}
	names = calloc(nbdev, sizeof(*names));
	jobs = calloc(nbdev * ncore, sizeof(*jobs));
	if (names == NULL || jobs == NULL)
		goto nomem;
	if (c->bdev_name != NULL) {
		names[0] = c->bdev_name;
	} else {
		size_t i = 0;

		for (b = sio_bdev_first(); b != NULL; b = sio_bdev_next(b))
			if (!sio_bdev_is_claimed(b))
				names[i++] = sio_bdev_get_name(b);
	}
	for (size_t i = 0; i < nbdev; i++) {
		uint32_t share = 0;

		SIO_FOREACH_CORE(core) {
			struct bp_job *j = calloc(1, sizeof(*j));

			if (j == NULL)
				goto nomem;
			jobs[k++] = j;
			snprintf(j->bdev_name, sizeof(j->bdev_name), "%s", names[i]);
			j->core = core;
			j->share_index = share++;
			j->share_count = (uint32_t)ncore;
			j->cfg = *c;
		}
	}
	free(names);
	*n = k;
	return jobs;
nomem:
	free(names);
	free_jobs(jobs, k);
	*rc = -ENOMEM;
	return NULL;
}

/* Enough bdev_io per channel for the depth, splits and a reset included. */
static int size_bdev_io_cache(uint32_t qd)
{
	struct sio_bdev_opts o;

	sio_bdev_get_opts(&o, sizeof(o));
	if (o.bdev_io_cache_size >= 2 * qd + 16)
		return 0;
	o.bdev_io_cache_size = 2 * qd + 16;
	return sio_bdev_set_opts(&o);
}

/*
 * One run: set up, start, wait (printing progress), tear down, report.
 * *@out gets the results as JSON (the caller owns it) when the run happened.
 */
static int run_tests(const struct bp_config *c, json_t **out)
{
	size_t n = 0;
	int rc = 0;
	struct bp_job **jobs = make_jobs(c, &n, &rc);
	uint64_t *last = NULL, start, hz = sio_get_ticks_hz();

	*out = NULL;
	if (jobs == NULL)
		return rc;
	rc = size_bdev_io_cache(c->queue_depth);
	last = calloc(n, sizeof(*last));
	if (rc != 0 || last == NULL) {
		rc = rc ? rc : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int erc = sio_event_call_await(jobs[i]->core, bp_job_setup, jobs[i]);

		if (erc != 0 && jobs[i]->rc == 0) {
			jobs[i]->rc = erc;
			fprintf(stderr, "sio_bdevperf: cannot reach core %d: %s\n", jobs[i]->core,
				strerror(-erc));
		}
		if (jobs[i]->rc != 0 && rc == 0)
			rc = jobs[i]->rc;
	}
	if (rc != 0)
		goto teardown;

	if (!sio_app_is_shutting_down())
		__atomic_store_n(&g_bp_abort, 0, __ATOMIC_RELAXED);
	printf("Running %s I/O for %g seconds: %zu job(s), queue depth %u, I/O size %" PRIu64
	       ", %s API\n", bp_workload_name(c->workload), c->seconds, n, c->queue_depth,
	       c->io_size, c->api == BP_API_TASK ? "task" : "callback");
	fflush(stdout);
	sio_future_init(&g.run_done);
	g.jobs_left = n;
	start = sio_get_ticks();
	for (size_t i = 0; i < n; i++) {
		int erc = sio_event_call(jobs[i]->core, bp_job_start, jobs[i]);

		/* A job that cannot start never reports: count it out here. */
		if (erc != 0) {
			jobs[i]->rc = erc;
			snprintf(jobs[i]->err, sizeof(jobs[i]->err), "cannot start: %s",
				 strerror(-erc));
			fprintf(stderr, "sio_bdevperf: job %s on core %d: %s\n", jobs[i]->bdev_name,
				jobs[i]->core, jobs[i]->err);
			job_done_msg(NULL);
		}
	}
	if (c->quiet) {
		sio_await(&g.run_done);
	} else {
		uint64_t period = (uint64_t)(c->period_s * (double)hz), next = start + period;

		for (;;) {
			uint64_t now = sio_get_ticks();
			uint64_t wait_us = next > now ? sio_ticks_to_us(next - now) : 0;

			if (sio_await_timeout(&g.run_done, wait_us) != -ETIMEDOUT)
				break;
			bp_report_progress(jobs, n, last, (double)(sio_get_ticks() - start) / (double)hz,
					   c->period_s);
			next += period;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i]->rc != 0 && rc == 0)
			rc = jobs[i]->rc;
	}
	bp_report_table(jobs, n, c->latency_level);
	*out = bp_report_json(jobs, n);
teardown:
	/* Job errors were printed where they happened (job_fail()). */
	for (size_t i = 0; i < n; i++)
		sio_event_call_await(jobs[i]->core, bp_job_teardown, jobs[i]);
out:
	free(last);
	free_jobs(jobs, n);
	return rc;
}

static int write_results(const char *path, json_t *results)
{
	if (path == NULL || results == NULL)
		return 0;
	if (json_dump_file(results, path, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "sio_bdevperf: cannot write %s\n", path);
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* -z and the perform_tests RPC                                             */
/* ------------------------------------------------------------------------ */

static void rpc_perform_tests(struct sio_rpc_request *req, void *params)
{
	if (!g.cfg.wait_rpc) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_STATE,
				      "sio_bdevperf was not started with -z");
		return;
	}
	if (!g.waiting) {
		sio_rpc_request_error(req, -EBUSY, "tests are already running");
		return;
	}
	g.req = req;
	g.req_params = *(struct perform_params *)params;
	g.waiting = false;
	sio_future_complete(&g.wake, 0, NULL);
}

static const struct sio_rpc_param g_perform_params[] = {
	SIO_RPC_PARAM("time_in_sec", SIO_RPC_INT32, false, struct perform_params, time_in_sec),
	SIO_RPC_PARAM("workload_type", SIO_RPC_STRING, false, struct perform_params, workload_type),
	SIO_RPC_PARAM("queue_depth", SIO_RPC_UINT32, false, struct perform_params, queue_depth),
	SIO_RPC_PARAM("io_size", SIO_RPC_STRING, false, struct perform_params, io_size),
	SIO_RPC_PARAM("rw_percentage", SIO_RPC_INT32, false, struct perform_params, rw_percentage),
};

static void perform_params_init(void *p)
{
	((struct perform_params *)p)->rw_percentage = -1;
}

static const struct sio_rpc_method g_methods[] = {{
	.name = "perform_tests",
	.handler = rpc_perform_tests,
	.params = g_perform_params,
	.param_count = SIO_RPC_COUNT(g_perform_params),
	.params_size = sizeof(struct perform_params),
	.params_init = perform_params_init,
	.state_mask = SIO_RPC_RUNTIME,
}};
static const struct sio_rpc_method_table g_table = {g_methods, SIO_RPC_COUNT(g_methods)};

/* The command-line config with a request's overrides; -EINVAL with a message in @msg. */
static int apply_params(const struct perform_params *p, struct bp_config *c, char *msg,
			size_t len)
{
	if (p->time_in_sec < 0) {
		snprintf(msg, len, "time_in_sec must be positive");
		return -EINVAL;
	}
	if (p->time_in_sec > 0)
		c->seconds = p->time_in_sec;
	if (p->workload_type != NULL && bp_workload_parse(p->workload_type, &c->workload) != 0) {
		snprintf(msg, len, "unknown workload_type '%s'", p->workload_type);
		return -EINVAL;
	}
	if (p->queue_depth > 65536) {
		snprintf(msg, len, "queue_depth %u is over 65536", p->queue_depth);
		return -EINVAL;
	}
	if (p->queue_depth > 0)
		c->queue_depth = p->queue_depth;
	if (p->io_size != NULL && (parse_size(p->io_size, &c->io_size) != 0 || c->io_size % 8)) {
		snprintf(msg, len, "io_size '%s' is not a size", p->io_size);
		return -EINVAL;
	}
	if (p->rw_percentage > 100) {
		snprintf(msg, len, "rw_percentage %d is over 100", p->rw_percentage);
		return -EINVAL;
	}
	if (p->rw_percentage >= 0)
		c->rw_pct = p->rw_percentage;
	if (c->rw_pct < 0)
		c->rw_pct = 50;
	return 0;
}

static void serve_request(void)
{
	struct bp_config c = g.cfg;
	struct sio_rpc_request *req = g.req;
	json_t *results = NULL;
	char msg[160];
	int rc;

	g.req = NULL;
	if (apply_params(&g.req_params, &c, msg, sizeof(msg)) != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s", msg);
		return;
	}
	rc = run_tests(&c, &results);
	if (rc == 0)
		rc = write_results(c.results_json, results);
	if (rc != 0) {
		json_decref(results);
		sio_rpc_request_error(req, SIO_RPC_ERROR_INTERNAL_ERROR,
				      "bdevperf failed with error %s", strerror(-rc));
		return;
	}
	sio_rpc_request_complete(req, results);
}

/* Stops the jobs of a run cut short by a signal, and wakes the -z loop. */
static int watch_shutdown(void *arg)
{
	sio_app_wait_shutdown();
	__atomic_store_n(&g_bp_abort, 1, __ATOMIC_RELAXED);
	if (g.waiting) {
		g.waiting = false;
		sio_future_complete(&g.wake, -ECANCELED, NULL);
	}
	return 0;
}

static int bp_main(void *arg)
{
	json_t *results = NULL;
	int rc;

	g.app_thread = sio_thread_get_current();
	rc = sio_task_spawn(NULL, watch_shutdown, NULL, NULL);
	if (rc != 0)
		return rc;
	if (!g.cfg.wait_rpc) {
		rc = run_tests(&g.cfg, &results);
		if (rc == 0)
			rc = write_results(g.cfg.results_json, results);
		json_decref(results);
		g.rc = rc;
		sio_app_stop(rc);
		return rc;
	}
	printf("Waiting for the perform_tests RPC on %s\n", sio_app_get_rpc_addr());
	fflush(stdout);
	while (!sio_app_is_shutting_down()) {
		sio_future_init(&g.wake);
		g.waiting = true;
		if (sio_await(&g.wake) != 0 || g.req == NULL)
			break;
		serve_request();
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sio_app_opts opts;
	const char *default_rpc;
	int rc;

	g.cfg = (struct bp_config){
		.queue_depth = 128, .io_size = 4096, .workload = BP_RANDREAD, .rw_pct = -1,
		.seconds = 5, .period_s = 1, .api = BP_API_CALLBACK, .default_bdev = "malloc",
	};
	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "sio_bdevperf";
	default_rpc = opts.rpc_addr;
	rc = sio_app_parse_args(argc, argv, &opts, "q:o:w:M:t:T:S:zl", g_long, parse_opt, usage,
				&g.cfg);
	if (rc == 1)
		return 0;
	if (rc == 0 && check_config(&g.cfg) != 0) {
		fprintf(stderr, "usage: %s [options] (-h for the list)\n", argv[0]);
		rc = -EINVAL;
	}
	if (rc != 0)
		return 2;
	if ((g.cfg.workload == BP_RW || g.cfg.workload == BP_RANDRW) && g.cfg.rw_pct < 0)
		g.cfg.rw_pct = 50;
	/* The RPC server only when asked for (-z or -r): runs side by side must not collide. */
	if (!g.cfg.wait_rpc && opts.rpc_addr == default_rpc)
		opts.rpc_addr = NULL;
	if (opts.json_config_file == NULL)
		opts.json_config_text = strcmp(g.cfg.default_bdev, "null") == 0 ? g_default_null
										 : g_default_malloc;
	rc = sio_rpc_register_table(&g_table);
	if (rc != 0) {
		fprintf(stderr, "sio_bdevperf: cannot register perform_tests: %s\n", strerror(-rc));
		return 1;
	}
	rc = sio_app_run(&opts, bp_main, NULL);
	return rc == 0 && g.rc == 0 ? 0 : 1;
}
