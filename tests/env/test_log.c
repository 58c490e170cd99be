/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spdk_io/log.h"

struct captured {
	int lines;
	enum sio_log_level level;
	char component[64];
	char msg[256];
};

static void capture_sink(enum sio_log_level level, const char *component, const char *msg,
			 void *ctx)
{
	struct captured *c = ctx;

	c->lines++;
	c->level = level;
	snprintf(c->component, sizeof(c->component), "%s", component);
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void test_levels(void **state)
{
	struct captured c = {0};

	sio_log_set_sink(capture_sink, &c);
	sio_log_set_level(SIO_LOG_WARN);
	assert_int_equal(sio_log_get_level(), SIO_LOG_WARN);
	SIO_NOTICELOG("not printed %d", 1);
	assert_int_equal(c.lines, 0);
	SIO_ERRLOG("printed %d\n", 42);
	assert_int_equal(c.lines, 1);
	assert_int_equal(c.level, SIO_LOG_ERROR);
	/* trailing newline stripped: one line per call */
	assert_string_equal(c.msg, "printed 42");
	/* component derived from the source directory */
	assert_string_equal(c.component, "env");
	sio_log_set_level(SIO_LOG_DISABLED);
	SIO_ERRLOG("nothing");
	assert_int_equal(c.lines, 1);
	/* out-of-range levels clamp */
	sio_log_set_level((enum sio_log_level)99);
	assert_int_equal(sio_log_get_level(), SIO_LOG_DEBUG);
	sio_log_set_level(SIO_LOG_NOTICE);
	sio_log_set_sink(NULL, NULL);
}

static void count_flags(const char *name, bool enabled, void *ctx)
{
	char *out = ctx;

	strcat(out, name);
	strcat(out, enabled ? "+" : "-");
	strcat(out, " ");
}

static void test_flags(void **state)
{
	struct captured c = {0};
	char buf[256] = "";
	char longname[64];

	assert_int_equal(sio_log_flag_register("zeta"), 0);
	assert_int_equal(sio_log_flag_register("alpha"), 0);
	assert_int_equal(sio_log_flag_register("alpha"), 0); /* idempotent */
	assert_int_equal(sio_log_flag_register(""), -EINVAL);
	assert_int_equal(sio_log_flag_register(NULL), -EINVAL);
	assert_int_equal(sio_log_flag_register("all"), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sio_log_flag_register(longname), -EINVAL);

	assert_false(sio_log_get_flag("alpha"));
	assert_int_equal(sio_log_set_flag("alpha"), 0);
	assert_true(sio_log_get_flag("alpha"));
	assert_false(sio_log_get_flag("zeta"));
	assert_int_equal(sio_log_set_flag("nope"), -ENOENT);
	assert_int_equal(sio_log_clear_flag("nope"), -ENOENT);
	assert_int_equal(sio_log_set_flag(NULL), -EINVAL);
	assert_false(sio_log_get_flag("nope"));
	assert_false(sio_log_get_flag(NULL));

	sio_log_flag_foreach(count_flags, buf);
	assert_string_equal(buf, "alpha+ zeta- ");

	/* debug lines print when the flag is set, whatever the level */
	sio_log_set_sink(capture_sink, &c);
	SIO_DEBUGLOG("zeta", "hidden");
	assert_int_equal(c.lines, 0);
	SIO_DEBUGLOG("alpha", "shown %s", "yes");
	assert_int_equal(c.lines, 1);
	assert_int_equal(c.level, SIO_LOG_DEBUG);
	assert_string_equal(c.component, "alpha");
	assert_string_equal(c.msg, "shown yes");

	assert_int_equal(sio_log_set_flag("all"), 0);
	assert_true(sio_log_get_flag("zeta"));
	/* a flag registered after "all" starts enabled */
	assert_int_equal(sio_log_flag_register("late"), 0);
	assert_true(sio_log_get_flag("late"));
	assert_int_equal(sio_log_clear_flag("all"), 0);
	assert_false(sio_log_get_flag("alpha"));
	assert_false(sio_log_get_flag("late"));
	sio_log_set_sink(NULL, NULL);
}

static void vlog_helper(struct captured *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sio_vlog(SIO_LOG_WARN, "comp", "x.c", 1, "f", fmt, ap);
	va_end(ap);
}

static void test_vlog_and_bad_input(void **state)
{
	struct captured c = {0};

	sio_log_set_sink(capture_sink, &c);
	vlog_helper(&c, "v%d", 7);
	assert_int_equal(c.lines, 1);
	assert_string_equal(c.msg, "v7");
	assert_string_equal(c.component, "comp");
	/* bad level, NULL format, NULL file: nothing printed, no crash */
	sio_log((enum sio_log_level)17, NULL, NULL, 0, NULL, "x");
	sio_log(SIO_LOG_DISABLED, NULL, NULL, 0, NULL, "x");
	assert_int_equal(c.lines, 1);
	sio_log(SIO_LOG_ERROR, NULL, NULL, 0, NULL, "no file");
	assert_int_equal(c.lines, 2);
	assert_string_equal(c.component, "-");
	sio_log_flag_foreach(NULL, NULL);
	sio_log_set_sink(NULL, NULL);
	/* stderr path with NULL file and function */
	sio_log(SIO_LOG_ERROR, NULL, NULL, 0, NULL, "to stderr");
}

static void test_long_message(void **state)
{
	struct captured c = {0};
	char big[4000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sio_log_set_sink(capture_sink, &c);
	SIO_ERRLOG("%s", big);
	assert_int_equal(c.lines, 1);
	assert_int_equal(strlen(c.msg), 255); /* our capture buffer */
	sio_log_set_sink(NULL, NULL);
}

/* stderr path: each call is exactly one line, even from many threads. */
static void *log_thread(void *arg)
{
	for (int i = 0; i < 200; i++)
		SIO_ERRLOG("thread %ld line %d", (long)(intptr_t)arg, i);
	return NULL;
}

static void test_stderr_lines(void **state)
{
	int fds[2], saved;
	pthread_t th[4];
	char buf[1 << 16];
	size_t total = 0;
	ssize_t r;
	int lines = 0;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	for (intptr_t i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, log_thread, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	dup2(saved, STDERR_FILENO);
	close(saved);
	/* 800 lines fit the pipe buffer (~50 bytes each) */
	while ((r = read(fds[0], buf + total, sizeof(buf) - 1 - total)) > 0)
		total += (size_t)r;
	close(fds[0]);
	buf[total] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		assert_non_null(strstr(line, "ERROR env test_log.c:"));
		assert_non_null(strstr(line, "log_thread: thread "));
		lines++;
	}
	assert_int_equal(lines, 800);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_vlog_and_bad_input),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_stderr_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
