/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_trace: read the tracepoint rings of a live or exited spdk-io process
 * (docs/trace.md), print the events in time order with each request's
 * latency from its start to its end, summarise per request type, and export
 * Chrome's trace-event JSON (Perfetto, chrome://tracing): a lane per thread,
 * a complete slice per request, an instant for every other event.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/trace.h"

struct ev {
	struct sio_trace_entry e;
	uint32_t ring;
	int64_t pair;    /* START: index of its END; END: of its START; -1 none */
};

struct req_stats {
	uint64_t started, completed, open_starts, orphan_ends;
	double sum_us, min_us, max_us;
};

static struct {
	const char *path;
	const char *json_out;
	const char *stats_out;
	bool quiet;
	struct sio_trace_reader *r;
	struct sio_trace_ring_info rings[1024];
	uint32_t nrings;
	struct ev *ev;
	size_t nev;
	uint64_t tsc0;
	double us_per_tick;
	struct req_stats stats[SIO_TRACE_MAX_TPOINTS]; /* by START tracepoint */
} g;

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s (-p PID [-s NAME] | -f FILE) [--json OUT] [--stats OUT] [-q]\n"
		"Reads the tracepoint rings of an spdk-io process (started with -e, or after a\n"
		"trace_enable_tpoint_group RPC) and prints its events in time order.\n"
		" -p, --pid PID       the process (its /dev/shm/NAME_trace.pidPID file)\n"
		" -s, --name NAME     its app name (sio_tgt, sio_bdevperf, ...); found from -p if omitted\n"
		" -f, --file FILE     a trace file, or a copy of one (also of an exited process)\n"
		"     --json OUT      write Chrome trace-event JSON (Perfetto UI, chrome://tracing):\n"
		"                     a lane per thread, a slice per request, instants for the rest\n"
		"     --stats OUT     write the per-request-type summary as JSON\n"
		" -q, --quiet         no event list, only the summary\n"
		" -h, --help          this text\n",
		prog);
}

/* /dev/shm/<anything>_trace.pid<PID>, when only -p is given. */
static int find_by_pid(const char *pid, char *out, size_t len)
{
	char suffix[64];
	struct dirent *d;
	DIR *dir = opendir("/dev/shm");
	int found = 0;

	if (dir == NULL)
		return -errno;
	snprintf(suffix, sizeof(suffix), "_trace.pid%s", pid);
	while ((d = readdir(dir)) != NULL) {
		size_t n = strlen(d->d_name), s = strlen(suffix);

		if (n > s && strcmp(d->d_name + n - s, suffix) == 0) {
			snprintf(out, len, "/dev/shm/%s", d->d_name);
			found++;
		}
	}
	closedir(dir);
	return found == 1 ? 0 : found == 0 ? -ENOENT : -EEXIST;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->e.tsc != y->e.tsc)
		return x->e.tsc < y->e.tsc ? -1 : 1;
	if (x->ring != y->ring)
		return x->ring < y->ring ? -1 : 1;
	return x->e.index < y->e.index ? -1 : x->e.index > y->e.index;
}

static int load(void)
{
	uint32_t per = sio_trace_reader_entries_per_ring(g.r);
	size_t cap;

	g.nrings = sio_trace_reader_ring_count(g.r);
	if (g.nrings > 1024)
		g.nrings = 1024;
	cap = (size_t)g.nrings * per;
	g.ev = calloc(cap ? cap : 1, sizeof(*g.ev));
	if (g.ev == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < g.nrings; i++) {
		struct sio_trace_entry *buf = calloc(per, sizeof(*buf));
		int64_t n;

		if (buf == NULL)
			return -ENOMEM;
		sio_trace_reader_ring(g.r, i, &g.rings[i]);
		n = sio_trace_reader_read(g.r, i, g.rings[i].first, buf, per, NULL);
		for (int64_t k = 0; k < n; k++) {
			g.ev[g.nev].e = buf[k];
			g.ev[g.nev].ring = i;
			g.ev[g.nev].pair = -1;
			g.nev++;
		}
		free(buf);
	}
	qsort(g.ev, g.nev, sizeof(*g.ev), cmp_ev);
	g.tsc0 = g.nev > 0 ? g.ev[0].e.tsc : 0;
	g.us_per_tick = 1e6 / (double)sio_trace_reader_tsc_rate(g.r);
	return 0;
}

static const struct sio_trace_tpoint_info *tp(uint16_t id)
{
	return sio_trace_reader_tpoint(g.r, id);
}

static int kind_of(uint16_t id)
{
	const struct sio_trace_tpoint_info *t = tp(id);

	return t != NULL ? t->kind : SIO_TRACE_INSTANT;
}

/*
 * Open starts, keyed by (group, owner id, object id): open addressing. The
 * owner is part of the key because one object can be in two requests of a
 * group at once: a bdev_io a virtual bdev forwards to its base
 * (sio_bdev_io_forward()) starts again with the base as owner and ends there
 * first, then ends as the virtual bdev's.
 */
struct slot {
	uint64_t key_obj;
	uint64_t key_owner;
	uint32_t key_group;
	int64_t ev; /* -1 empty, -2 deleted */
};

static uint64_t hash(uint32_t group, uint64_t owner, uint64_t obj)
{
	uint64_t h = (obj * 0x9e3779b97f4a7c15ull ^ owner) * 0xff51afd7ed558ccdull ^ group;

	return h ^ (h >> 29);
}

static int pair_requests(void)
{
	size_t cap = 1;
	struct slot *t;

	while (cap < g.nev * 2 + 16)
		cap <<= 1;
	t = malloc(cap * sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		t[i].ev = -1;
	for (size_t i = 0; i < g.nev; i++) {
		struct ev *v = &g.ev[i];
		uint32_t group = v->e.tpoint_id / SIO_TRACE_TPOINTS_PER_GROUP;
		int k = kind_of(v->e.tpoint_id);
		size_t h = hash(group, v->e.owner_id, v->e.object_id) & (cap - 1), tomb = SIZE_MAX;

		if (k == SIO_TRACE_INSTANT)
			continue;
		/* Find the open start of this object (or where to put one). */
		for (;; h = (h + 1) & (cap - 1)) {
			if (t[h].ev == -1)
				break;
			if (t[h].ev == -2) {
				if (tomb == SIZE_MAX)
					tomb = h;
				continue;
			}
			if (t[h].key_group == group && t[h].key_obj == v->e.object_id &&
			    t[h].key_owner == v->e.owner_id)
				break;
		}
		if (k == SIO_TRACE_START) {
			g.stats[v->e.tpoint_id].started++;
			if (t[h].ev >= 0) {
				/* The same object started again without an end seen. */
				t[h].ev = (int64_t)i;
				continue;
			}
			if (tomb != SIZE_MAX)
				h = tomb;
			t[h].key_group = group;
			t[h].key_obj = v->e.object_id;
			t[h].key_owner = v->e.owner_id;
			t[h].ev = (int64_t)i;
		} else if (t[h].ev >= 0) {
			struct ev *s = &g.ev[t[h].ev];
			struct req_stats *st = &g.stats[s->e.tpoint_id];
			double us = (double)(v->e.tsc - s->e.tsc) * g.us_per_tick;

			s->pair = (int64_t)i;
			v->pair = t[h].ev;
			t[h].ev = -2;
			if (st->completed == 0 || us < st->min_us)
				st->min_us = us;
			if (us > st->max_us)
				st->max_us = us;
			st->sum_us += us;
			st->completed++;
		} else {
			/* An end whose start is older than the rings keep. Booked
			 * to the group's first START tracepoint. */
			for (uint16_t id = (uint16_t)(group * SIO_TRACE_TPOINTS_PER_GROUP);
			     id < (group + 1) * SIO_TRACE_TPOINTS_PER_GROUP; id++) {
				if (kind_of(id) == SIO_TRACE_START) {
					g.stats[id].orphan_ends++;
					break;
				}
			}
		}
	}
	for (size_t i = 0; i < cap; i++) {
		if (t[i].ev >= 0)
			g.stats[g.ev[t[i].ev].e.tpoint_id].open_starts++;
	}
	free(t);
	return 0;
}

static double ts_us(uint64_t tsc)
{
	return (double)(tsc - g.tsc0) * g.us_per_tick;
}

static void print_events(void)
{
	for (size_t i = 0; i < g.nev; i++) {
		const struct ev *v = &g.ev[i];
		const struct sio_trace_tpoint_info *t = tp(v->e.tpoint_id);

		printf("%14.3f %7d %-22s", ts_us(v->e.tsc), g.rings[v->ring].tid,
		       t ? t->name : "?");
		printf(" %s=0x%" PRIx64, t && t->owner_type[0] ? t->owner_type : "owner",
		       v->e.owner_id);
		if (v->e.object_id != 0)
			printf(" %s=0x%" PRIx64, t && t->object_type[0] ? t->object_type : "object",
			       v->e.object_id);
		for (int a = 0; a < 3; a++) {
			if (t != NULL && t->arg_names[a][0] != '\0')
				printf(" %s=%" PRId64, t->arg_names[a], (int64_t)v->e.args[a]);
			else if (t == NULL && v->e.args[a] != 0)
				printf(" arg%d=%" PRIu64, a, v->e.args[a]);
		}
		if (t != NULL && t->kind == SIO_TRACE_END && v->pair >= 0)
			printf(" latency_us=%.3f",
			       (double)(v->e.tsc - g.ev[v->pair].e.tsc) * g.us_per_tick);
		putchar('\n');
	}
}

static void print_summary(FILE *out, bool json)
{
	bool first = true;

	if (json)
		fprintf(out, "{\"app\": \"%s\", \"pid\": %d, \"tsc_rate\": %" PRIu64
			     ", \"events\": %zu, \"threads\": %u, \"requests\": {",
			sio_trace_reader_app_name(g.r), (int)sio_trace_reader_pid(g.r),
			sio_trace_reader_tsc_rate(g.r), g.nev, g.nrings);
	for (uint32_t id = 0; id < SIO_TRACE_MAX_TPOINTS; id++) {
		const struct req_stats *s = &g.stats[id];
		const struct sio_trace_tpoint_info *t = tp((uint16_t)id);
		double avg = s->completed ? s->sum_us / (double)s->completed : 0;

		if (s->started == 0 && s->orphan_ends == 0)
			continue;
		if (json) {
			fprintf(out,
				"%s\"%s\": {\"started\": %" PRIu64 ", \"completed\": %" PRIu64
				", \"without_end\": %" PRIu64 ", \"end_without_start\": %" PRIu64
				", \"avg_us\": %.3f, \"min_us\": %.3f, \"max_us\": %.3f}",
				first ? "" : ", ", t ? t->name : "?", s->started, s->completed,
				s->open_starts, s->orphan_ends, avg, s->min_us, s->max_us);
		} else {
			fprintf(out,
				"%-20s started %" PRIu64 ", completed %" PRIu64 ", without end %" PRIu64
				", end without start %" PRIu64
				" | latency us: avg %.3f min %.3f max %.3f\n",
				t ? t->name : "?", s->started, s->completed, s->open_starts,
				s->orphan_ends, avg, s->min_us, s->max_us);
		}
		first = false;
	}
	if (json)
		fprintf(out, "}}\n");
}

static void json_args(FILE *f, const struct ev *v, const struct sio_trace_tpoint_info *t)
{
	fprintf(f, "\"args\":{\"owner\":\"0x%" PRIx64 "\"", v->e.owner_id);
	if (v->e.object_id != 0)
		fprintf(f, ",\"object\":\"0x%" PRIx64 "\"", v->e.object_id);
	for (int a = 0; a < 3; a++) {
		if (t != NULL && t->arg_names[a][0] != '\0')
			fprintf(f, ",\"%s\":%" PRId64, t->arg_names[a], (int64_t)v->e.args[a]);
	}
	fputc('}', f);
}

static int write_json(const char *path)
{
	int32_t pid = sio_trace_reader_pid(g.r);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"app\":\"%s\",\"tsc_rate\":%" PRIu64
		   "},\"traceEvents\":[\n",
		sio_trace_reader_app_name(g.r), sio_trace_reader_tsc_rate(g.r));
	fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":\"%s\"}}",
		(int)pid, sio_trace_reader_app_name(g.r));
	for (uint32_t i = 0; i < g.nrings; i++) {
		char name[40];

		/* Thread names come from the traced process: keep them JSON-safe. */
		snprintf(name, sizeof(name), "%s", g.rings[i].name);
		for (char *c = name; *c; c++) {
			if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
				*c = '_';
		}
		fprintf(f,
			",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
			"\"args\":{\"name\":\"%s\"}}",
			(int)pid, g.rings[i].tid, name);
	}
	for (size_t i = 0; i < g.nev; i++) {
		const struct ev *v = &g.ev[i];
		const struct sio_trace_tpoint_info *t = tp(v->e.tpoint_id);
		const char *cat = sio_trace_group_name(v->e.tpoint_id / SIO_TRACE_TPOINTS_PER_GROUP);
		int kind = t ? t->kind : SIO_TRACE_INSTANT;

		if (kind == SIO_TRACE_END && v->pair >= 0)
			continue; /* drawn as part of its start's slice */
		if (kind == SIO_TRACE_START && v->pair >= 0) {
			const struct ev *end = &g.ev[v->pair];

			fprintf(f,
				",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,"
				"\"dur\":%.3f,\"pid\":%d,\"tid\":%d,",
				t->object_type[0] ? t->object_type : t->name, cat ? cat : "?",
				ts_us(v->e.tsc), (double)(end->e.tsc - v->e.tsc) * g.us_per_tick,
				(int)pid, g.rings[v->ring].tid);
			json_args(f, v, t);
			fputc('}', f);
			continue;
		}
		fprintf(f,
			",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,"
			"\"pid\":%d,\"tid\":%d,",
			t ? t->name : "?", cat ? cat : "?", ts_us(v->e.tsc), (int)pid,
			g.rings[v->ring].tid);
		json_args(f, v, t);
		fputc('}', f);
	}
	fprintf(f, "\n]}\n");
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},  {"name", required_argument, NULL, 's'},
		{"file", required_argument, NULL, 'f'}, {"json", required_argument, NULL, 'J'},
		{"stats", required_argument, NULL, 'S'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *pid = NULL, *name = NULL;
	char path[512];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "p:s:f:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			pid = optarg;
			break;
		case 's':
			name = optarg;
			break;
		case 'f':
			g.path = optarg;
			break;
		case 'J':
			g.json_out = optarg;
			break;
		case 'S':
			g.stats_out = optarg;
			break;
		case 'q':
			g.quiet = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind < argc || (g.path == NULL) == (pid == NULL)) {
		usage(argv[0]);
		return 2;
	}
	if (g.path == NULL) {
		if (name != NULL) {
			snprintf(path, sizeof(path), "/dev/shm/%s_trace.pid%s", name, pid);
		} else if ((rc = find_by_pid(pid, path, sizeof(path))) != 0) {
			fprintf(stderr, "sio_trace: %s trace file for pid %s in /dev/shm%s\n",
				rc == -EEXIST ? "more than one" : "no", pid,
				rc == -EEXIST ? ": name it with -s" : "");
			return 1;
		}
		g.path = path;
	}
	rc = sio_trace_reader_open(g.path, &g.r);
	if (rc != 0) {
		fprintf(stderr, "sio_trace: %s: %s\n", g.path,
			rc == -EINVAL ? "not a spdk-io trace file" : strerror(-rc));
		return 1;
	}
	rc = load();
	if (rc == 0)
		rc = pair_requests();
	if (rc != 0) {
		fprintf(stderr, "sio_trace: %s\n", strerror(-rc));
		return 1;
	}
	printf("# %s pid %d, tsc rate %" PRIu64 " Hz, %u thread(s), %zu events\n",
	       sio_trace_reader_app_name(g.r), (int)sio_trace_reader_pid(g.r),
	       sio_trace_reader_tsc_rate(g.r), g.nrings, g.nev);
	for (uint32_t i = 0; i < g.nrings; i++)
		printf("# thread %d (%s): records %" PRIu64 "..%" PRIu64 ", %" PRIu64
		       " older ones overwritten\n",
		       g.rings[i].tid, g.rings[i].name, g.rings[i].first, g.rings[i].head,
		       g.rings[i].overwritten);
	if (!g.quiet) {
		printf("#   time_us     tid tracepoint\n");
		print_events();
	}
	print_summary(stdout, false);
	if (g.stats_out != NULL) {
		FILE *f = fopen(g.stats_out, "w");

		if (f == NULL) {
			fprintf(stderr, "sio_trace: %s: %s\n", g.stats_out, strerror(errno));
			return 1;
		}
		print_summary(f, true);
		fclose(f);
	}
	if (g.json_out != NULL) {
		rc = write_json(g.json_out);
		if (rc != 0) {
			fprintf(stderr, "sio_trace: %s: %s\n", g.json_out, strerror(-rc));
			return 1;
		}
	}
	sio_trace_reader_close(g.r);
	free(g.ev);
	return 0;
}
