/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_top: a live view of a running spdk-io (or SPDK) application over its
 * JSON-RPC socket, like SPDK's spdk_top: threads, pollers and cores with
 * their busy percentage, bdevs with IOPS, bandwidth and mean latency, each
 * figure the difference between two samples (one refresh period apart).
 *
 * Interactive (a terminal): plain ANSI escapes, no curses; keys 1-4 or Tab
 * pick the view, s changes the sort column, r reverses it, q quits.
 * --once: two samples, then every view printed once as plain text, for
 * scripts (docs/metrics.md gives the columns).
 *
 * RPC methods used: framework_get_reactors, thread_get_stats,
 * thread_get_pollers, bdev_get_iostat.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROWS 1024

/* ------------------------------------------------------------------------ */
/* JSON-RPC client                                                          */
/* ------------------------------------------------------------------------ */

static const char *g_sock = "/var/tmp/spdk.sock";
static int g_fd = -1;
static int g_id;

static int rpc_connect(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (strlen(g_sock) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", g_sock);
	g_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_fd < 0)
		return -errno;
	if (connect(g_fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int rc = -errno;

		close(g_fd);
		g_fd = -1;
		return rc;
	}
	return 0;
}

/* Call @method (no params); the result (a new reference) or NULL with a message in @err. */
static json_t *rpc_call(const char *method, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s, s:s, s:i}", "jsonrpc", "2.0", "method", method, "id", ++g_id);
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len = strlen(text), off = 0, cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	json_t *rsp = NULL, *res = NULL;

	json_decref(req);
	while (off < len) {
		ssize_t n = send(g_fd, text + off, len - off, MSG_NOSIGNAL);

		if (n <= 0) {
			snprintf(err, errlen, "%s: send: %s", method, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		json_error_t je;
		struct pollfd p = {.fd = g_fd, .events = POLLIN};
		ssize_t n;

		if (got == cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL)
				goto out;
			buf = nb;
			cap *= 2;
		}
		if (poll(&p, 1, 10000) <= 0) {
			snprintf(err, errlen, "%s: no reply within 10 s", method);
			goto out;
		}
		n = recv(g_fd, buf + got, cap - got, 0);
		if (n <= 0) {
			snprintf(err, errlen, "%s: connection closed", method);
			goto out;
		}
		got += (size_t)n;
		/* One reply per line; complete once it parses. */
		rsp = json_loadb(buf, got, JSON_DISABLE_EOF_CHECK, &je);
		if (rsp != NULL)
			break;
	}
	res = json_object_get(rsp, "result");
	if (res == NULL) {
		json_t *e = json_object_get(rsp, "error");

		snprintf(err, errlen, "%s: %s", method,
			 e ? json_string_value(json_object_get(e, "message")) : "no result");
	} else {
		json_incref(res);
	}
out:
	json_decref(rsp);
	free(text);
	free(buf);
	return res;
}

/* ------------------------------------------------------------------------ */
/* Samples and the rows computed from two of them                           */
/* ------------------------------------------------------------------------ */

struct sample {
	json_t *reactors, *threads, *pollers, *iostat;
	double t; /* seconds, CLOCK_MONOTONIC */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample_free(struct sample *s)
{
	json_decref(s->reactors);
	json_decref(s->threads);
	json_decref(s->pollers);
	json_decref(s->iostat);
	memset(s, 0, sizeof(*s));
}

static int sample_take(struct sample *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->t = now_s();
	s->reactors = rpc_call("framework_get_reactors", err, errlen);
	s->threads = rpc_call("thread_get_stats", err, errlen);
	s->pollers = rpc_call("thread_get_pollers", err, errlen);
	s->iostat = rpc_call("bdev_get_iostat", err, errlen);
	if (s->reactors == NULL || s->threads == NULL || s->pollers == NULL || s->iostat == NULL) {
		sample_free(s);
		return -EIO;
	}
	return 0;
}

static uint64_t u64(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* The element of array @arr whose @key equals @o's (matching across samples). */
static json_t *find_same(json_t *arr, json_t *o, const char *key)
{
	json_t *v;
	size_t i;
	json_t *want = json_object_get(o, key);

	json_array_foreach(arr, i, v) {
		if (json_equal(json_object_get(v, key), want))
			return v;
	}
	return NULL;
}

enum view { V_THREADS, V_POLLERS, V_CORES, V_BDEVS, V_COUNT };
static const char *const g_view_names[] = {"THREADS", "POLLERS", "CORES", "BDEVS"};

#define MAX_COLS 8
struct view_def {
	int ncols;
	const char *cols[MAX_COLS];
	int default_sort;
};

static const struct view_def g_views[V_COUNT] = {
	[V_THREADS] = {6, {"name", "id", "core", "active", "timed", "busy%"}, 5},
	[V_POLLERS] = {6, {"name", "thread", "type", "runs/s", "busy/s", "period_us"}, 3},
	[V_CORES] = {4, {"core", "threads", "busy%", "interrupt"}, 2},
	[V_BDEVS] = {7, {"name", "read_iops", "write_iops", "MiB/s", "read_lat_us",
			 "write_lat_us", "errors"}, 1},
};

/* A row: text cells, and a number per cell for sorting (NaN-free). */
struct row {
	char cell[MAX_COLS][64];
	double num[MAX_COLS];
	bool numeric[MAX_COLS];
};

struct table {
	struct row rows[MAX_ROWS];
	int n;
};

static struct row *row_add(struct table *t)
{
	if (t->n == MAX_ROWS)
		return NULL;
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	return &t->rows[t->n++];
}

static void set_text(struct row *r, int c, const char *s)
{
	snprintf(r->cell[c], sizeof(r->cell[c]), "%s", s);
}

static void set_num(struct row *r, int c, double v, const char *fmt)
{
	snprintf(r->cell[c], sizeof(r->cell[c]), fmt, v);
	r->num[c] = v;
	r->numeric[c] = true;
}

static double pct(uint64_t busy, uint64_t idle)
{
	return busy + idle > 0 ? 100.0 * (double)busy / (double)(busy + idle) : 0.0;
}

/* Core of each thread, from framework_get_reactors' lw_threads (-1: none). */
static int thread_core(json_t *reactors, uint64_t id)
{
	json_t *r, *t;
	size_t i, j;

	json_array_foreach(json_object_get(reactors, "reactors"), i, r) {
		json_array_foreach(json_object_get(r, "lw_threads"), j, t) {
			if (u64(t, "id") == id)
				return (int)u64(r, "lcore");
		}
	}
	return -1;
}

static void build_threads(struct table *t, struct sample *a, struct sample *b)
{
	json_t *th;
	size_t i;

	json_array_foreach(json_object_get(b->threads, "threads"), i, th) {
		json_t *old = find_same(json_object_get(a->threads, "threads"), th, "id");
		struct row *r = row_add(t);
		uint64_t busy = u64(th, "busy") - (old ? u64(old, "busy") : 0);
		uint64_t idle = u64(th, "idle") - (old ? u64(old, "idle") : 0);

		if (r == NULL)
			return;
		set_text(r, 0, json_string_value(json_object_get(th, "name")));
		set_num(r, 1, (double)u64(th, "id"), "%.0f");
		set_num(r, 2, thread_core(b->reactors, u64(th, "id")), "%.0f");
		set_num(r, 3, (double)u64(th, "active_pollers_count"), "%.0f");
		set_num(r, 4, (double)u64(th, "timed_pollers_count"), "%.0f");
		set_num(r, 5, pct(busy, idle), "%.1f");
	}
}

static void build_pollers(struct table *t, struct sample *a, struct sample *b, double dt)
{
	static const char *const kinds[] = {"active_pollers", "timed_pollers", "paused_pollers"};
	static const char *const names[] = {"active", "timed", "paused"};
	double hz = (double)u64(b->pollers, "tick_rate");
	json_t *th, *p;
	size_t i, j;

	json_array_foreach(json_object_get(b->pollers, "threads"), i, th) {
		json_t *oldth = find_same(json_object_get(a->pollers, "threads"), th, "id");

		for (int k = 0; k < 3; k++) {
			json_array_foreach(json_object_get(th, kinds[k]), j, p) {
				json_t *old = NULL;
				struct row *r = row_add(t);

				/* A poller keeps its name; look in every list (it may have moved). */
				for (int m = 0; oldth != NULL && old == NULL && m < 3; m++)
					old = find_same(json_object_get(oldth, kinds[m]), p, "name");
				if (r == NULL)
					return;
				set_text(r, 0, json_string_value(json_object_get(p, "name")));
				set_text(r, 1, json_string_value(json_object_get(th, "name")));
				set_text(r, 2, names[k]);
				set_num(r, 3, (double)(u64(p, "run_count") -
						       (old ? u64(old, "run_count") : 0)) / dt, "%.0f");
				set_num(r, 4, (double)(u64(p, "busy_count") -
						       (old ? u64(old, "busy_count") : 0)) / dt, "%.0f");
				set_num(r, 5, hz > 0 ? (double)u64(p, "period_ticks") * 1e6 / hz : 0,
					"%.0f");
			}
		}
	}
}

static void build_cores(struct table *t, struct sample *a, struct sample *b)
{
	json_t *re;
	size_t i;

	json_array_foreach(json_object_get(b->reactors, "reactors"), i, re) {
		json_t *old = find_same(json_object_get(a->reactors, "reactors"), re, "lcore");
		struct row *r = row_add(t);
		uint64_t busy = u64(re, "busy") - (old ? u64(old, "busy") : 0);
		uint64_t idle = u64(re, "idle") - (old ? u64(old, "idle") : 0);

		if (r == NULL)
			return;
		set_num(r, 0, (double)u64(re, "lcore"), "%.0f");
		set_num(r, 1, (double)json_array_size(json_object_get(re, "lw_threads")), "%.0f");
		set_num(r, 2, pct(busy, idle), "%.1f");
		set_text(r, 3, json_is_true(json_object_get(re, "in_interrupt")) ? "yes" : "no");
	}
}

static void build_bdevs(struct table *t, struct sample *a, struct sample *b, double dt)
{
	double hz = (double)u64(b->iostat, "tick_rate");
	json_t *bd;
	size_t i;

	json_array_foreach(json_object_get(b->iostat, "bdevs"), i, bd) {
		json_t *old = find_same(json_object_get(a->iostat, "bdevs"), bd, "name");
		struct row *r = row_add(t);
#define D(k) ((double)(u64(bd, k) - (old ? u64(old, k) : 0)))
		double rd = D("num_read_ops"), wr = D("num_write_ops");
		double bytes = D("bytes_read") + D("bytes_written");

		if (r == NULL)
			return;
		set_text(r, 0, json_string_value(json_object_get(bd, "name")));
		set_num(r, 1, rd / dt, "%.0f");
		set_num(r, 2, wr / dt, "%.0f");
		set_num(r, 3, bytes / dt / (1024.0 * 1024.0), "%.2f");
		set_num(r, 4, rd > 0 && hz > 0 ? D("read_latency_ticks") / rd / hz * 1e6 : 0, "%.1f");
		set_num(r, 5, wr > 0 && hz > 0 ? D("write_latency_ticks") / wr / hz * 1e6 : 0, "%.1f");
		set_num(r, 6, D("num_io_errors"), "%.0f");
#undef D
	}
}

static int g_sort_col = -1; /* -1: the view's default */
static bool g_sort_rev;
static int g_cur_col;

static int cmp_rows(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	int c = g_cur_col, r;

	if (a->numeric[c] && b->numeric[c])
		r = a->num[c] < b->num[c] ? 1 : a->num[c] > b->num[c] ? -1 : 0; /* big first */
	else
		r = strcmp(a->cell[c], b->cell[c]);
	return g_sort_rev ? -r : r;
}

static struct table g_table;

static void build(enum view v, struct sample *a, struct sample *b)
{
	double dt = b->t - a->t > 1e-3 ? b->t - a->t : 1e-3;

	g_table.n = 0;
	switch (v) {
	case V_THREADS: build_threads(&g_table, a, b); break;
	case V_POLLERS: build_pollers(&g_table, a, b, dt); break;
	case V_CORES: build_cores(&g_table, a, b); break;
	case V_BDEVS: build_bdevs(&g_table, a, b, dt); break;
	default: break;
	}
	g_cur_col = g_sort_col >= 0 && g_sort_col < g_views[v].ncols ? g_sort_col
								       : g_views[v].default_sort;
	qsort(g_table.rows, (size_t)g_table.n, sizeof(g_table.rows[0]), cmp_rows);
}

/* One view as aligned text; @max_rows < 0: all. */
static void print_view(FILE *f, enum view v, int max_rows, bool marks)
{
	const struct view_def *d = &g_views[v];
	int w[MAX_COLS];

	for (int c = 0; c < d->ncols; c++) {
		w[c] = (int)strlen(d->cols[c]) + 1;
		for (int i = 0; i < g_table.n; i++)
			if ((int)strlen(g_table.rows[i].cell[c]) > w[c])
				w[c] = (int)strlen(g_table.rows[i].cell[c]);
	}
	for (int c = 0; c < d->ncols; c++) {
		char h[72];

		snprintf(h, sizeof(h), "%s%s", d->cols[c],
			 marks && c == g_cur_col ? (g_sort_rev ? "^" : "v") : "");
		fprintf(f, "%s%-*s", c ? "  " : "", w[c], h);
	}
	fputc('\n', f);
	for (int i = 0; i < g_table.n && (max_rows < 0 || i < max_rows); i++) {
		for (int c = 0; c < d->ncols; c++)
			fprintf(f, "%s%-*s", c ? "  " : "", w[c], g_table.rows[i].cell[c]);
		fputc('\n', f);
	}
}

/* ------------------------------------------------------------------------ */
/* Terminal                                                                 */
/* ------------------------------------------------------------------------ */

static struct termios g_saved_tio;
static bool g_raw;
static volatile sig_atomic_t g_quit;

static void term_restore(void)
{
	if (g_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_tio);
		fputs("\033[?25h\033[0m\n", stdout); /* cursor back, attributes off */
		fflush(stdout);
		g_raw = false;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	g_quit = 1;
}

static int term_raw(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &g_saved_tio) != 0)
		return -errno;
	t = g_saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0)
		return -errno;
	g_raw = true;
	atexit(term_restore);
	fputs("\033[?25l", stdout); /* hide the cursor */
	return 0;
}

static int term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

static void draw(enum view v, const char *status)
{
	fputs("\033[H\033[2J", stdout);
	printf("sio_top - %s", g_sock);
	for (int i = 0; i < V_COUNT; i++)
		printf("  %s%d:%s%s", i == (int)v ? "\033[7m" : "", i + 1, g_view_names[i],
		       i == (int)v ? "\033[0m" : "");
	printf("\n[1-4/Tab] view  [s] sort column  [r] reverse  [q] quit   %s\n\n", status);
	print_view(stdout, v, term_rows() - 5, true);
	fflush(stdout);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-r RPC_SOCKET] [-d MS] [--once] [-h]\n"
		"  -r, --rpc-socket PATH  the application's RPC socket (default /var/tmp/spdk.sock)\n"
		"  -d, --delay MS         refresh period in ms (default 1000; 100..60000)\n"
		"      --once             two samples one period apart, every view printed once as\n"
		"                         plain text (sections THREADS, POLLERS, CORES, BDEVS), exit\n"
		"  -h, --help             this text\n"
		"Keys: 1 threads, 2 pollers, 3 cores, 4 bdevs (Tab: next), s: next sort column,\n"
		"r: reverse order, q: quit. Figures are per refresh period.\n",
		argv0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rpc-socket", required_argument, NULL, 'r'},
		{"delay", required_argument, NULL, 'd'},
		{"once", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sample a, b;
	enum view v = V_THREADS;
	long delay_ms = 1000;
	bool once = false;
	char err[256] = "";
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "r:d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': g_sock = optarg; break;
		case 'd':
			delay_ms = strtol(optarg, NULL, 10);
			if (delay_ms < 100 || delay_ms > 60000) {
				fprintf(stderr, "sio_top: -d must be 100..60000 ms\n");
				return 2;
			}
			break;
		case 'o': once = true; break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (optind != argc) {
		usage(argv[0]);
		return 2;
	}
	rc = rpc_connect();
	if (rc != 0) {
		fprintf(stderr, "sio_top: cannot connect to %s: %s\n", g_sock, strerror(-rc));
		return 1;
	}
	if (sample_take(&a, err, sizeof(err)) != 0) {
		fprintf(stderr, "sio_top: %s\n", err);
		return 1;
	}
	if (once) {
		usleep((useconds_t)delay_ms * 1000);
		if (sample_take(&b, err, sizeof(err)) != 0) {
			fprintf(stderr, "sio_top: %s\n", err);
			sample_free(&a);
			return 1;
		}
		for (int i = 0; i < V_COUNT; i++) {
			build((enum view)i, &a, &b);
			printf("%s%s\n", i ? "\n" : "", g_view_names[i]);
			print_view(stdout, (enum view)i, -1, false);
		}
		sample_free(&a);
		sample_free(&b);
		return 0;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "sio_top: not a terminal (use --once for plain text)\n");
		sample_free(&a);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (term_raw() != 0) {
		fprintf(stderr, "sio_top: cannot set up the terminal\n");
		sample_free(&a);
		return 1;
	}
	memset(&b, 0, sizeof(b));
	fputs("\033[H\033[2Jsio_top: first sample...\n", stdout);
	fflush(stdout);
	double next = now_s() + (double)delay_ms / 1000.0;
	bool have = false;

	while (!g_quit) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		double left = next - now_s();
		char key = 0;

		if (left <= 0) {
			if (have) {
				sample_free(&a);
				a = b;
			}
			if (sample_take(&b, err, sizeof(err)) != 0) {
				term_restore();
				fprintf(stderr, "sio_top: %s\n", err);
				sample_free(&a);
				return 1;
			}
			have = true;
			next = now_s() + (double)delay_ms / 1000.0;
			build(v, &a, &b);
			draw(v, "");
			continue;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0 && read(STDIN_FILENO, &key, 1) == 1) {
			switch (key) {
			case 'q': case 'Q': g_quit = 1; continue;
			case '1': case '2': case '3': case '4':
				v = (enum view)(key - '1');
				g_sort_col = -1;
				break;
			case '\t':
				v = (enum view)((v + 1) % V_COUNT);
				g_sort_col = -1;
				break;
			case 's': case 'S':
				g_sort_col = (g_cur_col + 1) % g_views[v].ncols;
				break;
			case 'r': case 'R':
				g_sort_rev = !g_sort_rev;
				break;
			default:
				continue;
			}
			if (have) {
				build(v, &a, &b);
				draw(v, "");
			}
		}
	}
	term_restore();
	sample_free(&a);
	if (have)
		sample_free(&b);
	return 0;
}
