/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's one log module: a print level, per-component debug flags and
 * a replaceable sink.
 *
 * Flags live in a fixed table that only grows. Readers (SIO_DEBUGLOG on every
 * debug site) scan it without a lock: an entry is fully written before the
 * release store of g_nflags that makes it visible. Writers (register, set,
 * clear) serialise on g_flags_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spdk_io/log.h"

#define LOG_FLAG_NAME_MAX 32 /* including the NUL */
#define LOG_FLAGS_MAX 128
#define LOG_LINE_MAX 1024

struct log_flag {
	char name[LOG_FLAG_NAME_MAX];
	atomic_bool enabled;
};

static struct log_flag g_flags[LOG_FLAGS_MAX];
static atomic_uint g_nflags;
/* "all" was set: flags registered afterwards start enabled, so `-L all` given
 * before a component registers still covers it. */
static bool g_all_set;
static pthread_mutex_t g_flags_lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_int g_level = SIO_LOG_NOTICE;

static _Atomic(sio_log_sink_fn) g_sink;
static void *_Atomic g_sink_ctx;

static const char *const g_level_names[] = {
	[SIO_LOG_ERROR] = "ERROR",
	[SIO_LOG_WARN] = "WARN",
	[SIO_LOG_NOTICE] = "NOTICE",
	[SIO_LOG_INFO] = "INFO",
	[SIO_LOG_DEBUG] = "DEBUG",
};

void sio_log_set_level(enum sio_log_level level)
{
	if (level < SIO_LOG_DISABLED)
		level = SIO_LOG_DISABLED;
	if (level > SIO_LOG_DEBUG)
		level = SIO_LOG_DEBUG;
	atomic_store_explicit(&g_level, level, memory_order_relaxed);
}

enum sio_log_level sio_log_get_level(void)
{
	return (enum sio_log_level)atomic_load_explicit(&g_level, memory_order_relaxed);
}

/* Lock-free lookup; the acquire load of g_nflags pairs with the release store
 * in sio_log_flag_register(), so every entry below n is fully written. */
static struct log_flag *log_flag_find(const char *name)
{
	unsigned int n = atomic_load_explicit(&g_nflags, memory_order_acquire);

	for (unsigned int i = 0; i < n; i++) {
		if (strcmp(g_flags[i].name, name) == 0)
			return &g_flags[i];
	}
	return NULL;
}

int sio_log_flag_register(const char *name)
{
	size_t len;
	unsigned int n;
	int rc = 0;

	if (name == NULL)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len >= LOG_FLAG_NAME_MAX || strcmp(name, "all") == 0)
		return -EINVAL;

	pthread_mutex_lock(&g_flags_lock);
	if (log_flag_find(name) != NULL)
		goto out;
	n = atomic_load_explicit(&g_nflags, memory_order_relaxed);
	if (n == LOG_FLAGS_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	memcpy(g_flags[n].name, name, len + 1);
	atomic_store_explicit(&g_flags[n].enabled, g_all_set, memory_order_relaxed);
	/* Release pairs with the acquire in log_flag_find(): publish the entry. */
	atomic_store_explicit(&g_nflags, n + 1, memory_order_release);
out:
	pthread_mutex_unlock(&g_flags_lock);
	return rc;
}

static int log_flag_change(const char *name, bool enable)
{
	struct log_flag *flag;
	int rc = 0;

	if (name == NULL)
		return -EINVAL;

	pthread_mutex_lock(&g_flags_lock);
	if (strcmp(name, "all") == 0) {
		unsigned int n = atomic_load_explicit(&g_nflags, memory_order_relaxed);

		g_all_set = enable;
		for (unsigned int i = 0; i < n; i++)
			atomic_store_explicit(&g_flags[i].enabled, enable, memory_order_relaxed);
	} else {
		flag = log_flag_find(name);
		if (flag == NULL)
			rc = -ENOENT;
		else
			atomic_store_explicit(&flag->enabled, enable, memory_order_relaxed);
	}
	pthread_mutex_unlock(&g_flags_lock);
	return rc;
}

int sio_log_set_flag(const char *name)
{
	return log_flag_change(name, true);
}

int sio_log_clear_flag(const char *name)
{
	return log_flag_change(name, false);
}

bool sio_log_get_flag(const char *name)
{
	struct log_flag *flag;

	if (name == NULL)
		return false;
	flag = log_flag_find(name);
	return flag != NULL && atomic_load_explicit(&flag->enabled, memory_order_relaxed);
}

static int log_flag_cmp(const void *a, const void *b)
{
	const struct log_flag *const *fa = a, *const *fb = b;

	return strcmp((*fa)->name, (*fb)->name);
}

void sio_log_flag_foreach(sio_log_flag_fn fn, void *ctx)
{
	struct log_flag *sorted[LOG_FLAGS_MAX];
	unsigned int n;

	if (fn == NULL)
		return;
	/* Sort a snapshot of pointers; entries never move or disappear, so the
	 * callback runs without the lock and may itself set or clear flags. */
	n = atomic_load_explicit(&g_nflags, memory_order_acquire);
	for (unsigned int i = 0; i < n; i++)
		sorted[i] = &g_flags[i];
	qsort(sorted, n, sizeof(sorted[0]), log_flag_cmp);
	for (unsigned int i = 0; i < n; i++)
		fn(sorted[i]->name, atomic_load_explicit(&sorted[i]->enabled, memory_order_relaxed), ctx);
}

void sio_log_set_sink(sio_log_sink_fn fn, void *ctx)
{
	/* The two stores are not one atomic step; the header says so. The ctx
	 * goes first so a logger that sees the new fn is likely to see its ctx. */
	atomic_store_explicit(&g_sink_ctx, ctx, memory_order_relaxed);
	atomic_store_explicit(&g_sink, fn, memory_order_release);
}

/* The macros pass no component; derive one from the source path so a line
 * from src/env/dma.c reads "env". */
static const char *log_component_from_file(const char *file, char *buf, size_t len)
{
	const char *slash, *prev;
	size_t n;

	if (file == NULL)
		return "-";
	slash = strrchr(file, '/');
	if (slash == NULL)
		return "-";
	prev = slash;
	while (prev > file && prev[-1] != '/')
		prev--;
	n = (size_t)(slash - prev);
	if (n == 0)
		return "-";
	if (n >= len)
		n = len - 1;
	memcpy(buf, prev, n);
	buf[n] = '\0';
	return buf;
}

static const char *log_basename(const char *file)
{
	const char *slash;

	if (file == NULL)
		return "?";
	slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}

static void log_write_stderr(enum sio_log_level level, const char *component, const char *file,
			     int line, const char *func, const char *msg)
{
	char out[LOG_LINE_MAX + 160];
	struct timespec ts;
	int len;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	len = snprintf(out, sizeof(out), "[%5ld.%06ld] %s %s %s:%d %s: %s\n", (long)ts.tv_sec,
		       ts.tv_nsec / 1000, g_level_names[level], component, log_basename(file),
		       line, func ? func : "?", msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(out)) {
		len = sizeof(out) - 1;
		out[len - 1] = '\n';
	}
	/* One write() per line: lines from concurrent threads never interleave
	 * within a line (stderr is unbuffered, so fprintf could split it). */
	for (const char *p = out; len > 0;) {
		ssize_t w = write(STDERR_FILENO, p, (size_t)len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (int)w;
	}
}

void sio_vlog(enum sio_log_level level, const char *component, const char *file, int line,
	      const char *func, const char *fmt, va_list ap)
{
	enum sio_log_level print = sio_log_get_level();
	char msg[LOG_LINE_MAX];
	char comp_buf[LOG_FLAG_NAME_MAX];
	sio_log_sink_fn sink;
	int len;

	if (level < SIO_LOG_ERROR || level > SIO_LOG_DEBUG || fmt == NULL)
		return;
	if (print == SIO_LOG_DISABLED)
		return;
	/* A debug line got here through SIO_DEBUGLOG, which already checked its
	 * flag: setting a flag is enough to see that component's debug lines. */
	if (level > print && !(level == SIO_LOG_DEBUG && component != NULL))
		return;

	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg)) {
		len = sizeof(msg) - 1;
		memcpy(&msg[len - 3], "...", 3);
	}
	/* SPDK-style callers end messages with '\n'; the sink adds its own. */
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';

	if (component == NULL)
		component = log_component_from_file(file, comp_buf, sizeof(comp_buf));

	/* Acquire pairs with the release in sio_log_set_sink(). */
	sink = atomic_load_explicit(&g_sink, memory_order_acquire);
	if (sink != NULL)
		sink(level, component, msg, atomic_load_explicit(&g_sink_ctx, memory_order_relaxed));
	else
		log_write_stderr(level, component, file, line, func, msg);
}

void sio_log(enum sio_log_level level, const char *component, const char *file, int line,
	     const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sio_vlog(level, component, file, line, func, fmt, ap);
	va_end(ap);
}
