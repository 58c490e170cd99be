/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_app_parse_args() on an arbitrary command line: the input split at NUL
 * bytes into argv (at most 32 words), parsed with a tool's extra options the
 * way sio_bdevperf passes them. Every argv string is its own exact-size heap
 * block, freed after each call, so state that getopt keeps between calls and
 * any read past an argument are caught by ASan.
 * Properties: the return is 0, 1 (-h) or -EINVAL; accepted numbers are in
 * range; whatever the previous call did, a bare "prog" then parses to the
 * defaults (no getopt state survives a call).
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "spdk_io/app.h"

#include "fuzz.h"

#define MAX_ARGS 32

/* The usage text it prints on every refusal: scripts/fuzz.sh passes -close_fd_mask=2. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static const struct option g_extra_long[] = {
	{"queue-depth", required_argument, NULL, 'q'},
	{"quiet", no_argument, NULL, 0x2000},
	{NULL, 0, NULL, 0},
};

static int parse_extra(int ch, const char *arg, void *ctx)
{
	int *seen = ctx;

	if (ch == 'q' || ch == 0x2000) {
		FUZZ_CHECK(ch != 'q' || arg != NULL, "-q without its argument");
		(*seen)++;
		return 0;
	}
	return -EINVAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	struct sio_app_opts opts;
	int argc = 0, seen = 0, rc;
	size_t start = 0;

	argv[argc++] = strdup("fuzz");
	for (size_t i = 0; i <= size && argc < MAX_ARGS + 1; i++) {
		if (i == size || data[i] == '\0') {
			char *w = malloc(i - start + 1);

			if (w == NULL)
				abort();
			memcpy(w, data + start, i - start);
			w[i - start] = '\0';
			argv[argc++] = w;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	sio_app_opts_init(&opts, sizeof(opts));
	rc = sio_app_parse_args(argc, argv, &opts, "q:", g_extra_long, parse_extra, NULL, &seen);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -EINVAL, "parse returned %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(opts.main_core < SIO_CPUSET_MAX, "main core %d", opts.main_core);
		FUZZ_CHECK(opts.log_flag_count <= SIO_APP_MAX_LOG_FLAGS, "%d log flags",
			   (int)opts.log_flag_count);
	}
	for (int i = 0; i < argc; i++)
		free(argv[i]);

	char *bare[] = {strdup("prog"), NULL};
	struct sio_app_opts defaults;

	sio_app_opts_init(&opts, sizeof(opts));
	defaults = opts;
	rc = sio_app_parse_args(1, bare, &opts, "q:", g_extra_long, parse_extra, NULL, &seen);
	FUZZ_CHECK(rc == 0 && memcmp(&opts, &defaults, sizeof(opts)) == 0,
		   "a bare command line after this one gave %d or changed the options", rc);
	free(bare[0]);
	return 0;
}
