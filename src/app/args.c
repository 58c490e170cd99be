/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one command-line parser of every spdk-io tool: SPDK's flags where they
 * overlap, plus the caller's own options merged into one getopt_long() pass.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"

#define COMMON_SHORT "m:c:r:s:p:L:e:h"

enum {
	OPT_NO_HUGE = 0x1000,
	OPT_HUGE,
	OPT_WAIT_FOR_RPC,
	OPT_NO_PCI,
	OPT_LOG_LEVEL,
	OPT_INTERRUPT_MODE,
};

static const struct option g_common_long[] = {
	{"cpumask", required_argument, NULL, 'm'},
	{"json", required_argument, NULL, 'c'},
	{"rpc-socket", required_argument, NULL, 'r'},
	{"mem-size", required_argument, NULL, 's'},
	{"main-core", required_argument, NULL, 'p'},
	{"logflag", required_argument, NULL, 'L'},
	{"tpoint-group", required_argument, NULL, 'e'},
	{"help", no_argument, NULL, 'h'},
	{"no-huge", no_argument, NULL, OPT_NO_HUGE},
	{"huge", no_argument, NULL, OPT_HUGE},
	{"wait-for-rpc", no_argument, NULL, OPT_WAIT_FOR_RPC},
	{"no-pci", no_argument, NULL, OPT_NO_PCI},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"interrupt-mode", no_argument, NULL, OPT_INTERRUPT_MODE},
};

void sio_app_usage(void)
{
	fprintf(stderr,
		"common options:\n"
		" -m, --cpumask MASK     cores to run reactors on, hex (0x3) or list ([0-1]); default 0x1\n"
		" -c, --json FILE        SPDK-format JSON config to apply at start\n"
		" -r, --rpc-socket PATH  RPC listen socket; default " SIO_APP_DEFAULT_RPC_ADDR "\n"
		" -s, --mem-size SIZE    DMA memory to reserve up front, MiB or with K/M/G; default on demand\n"
		" -p, --main-core N      core of the app thread; default the first of the mask\n"
		" -L, --logflag FLAG     enable debug output of a component (repeatable)\n"
		"     --log-level LEVEL  error, warning, notice, info or debug; default notice\n"
		" -e, --tpoint-group G[:MASK][,...]  enable tracepoints: a group mask (0x8) or names\n"
		"                        (bdev, nvmf_tcp, thread, nvme_pcie, nvme_tcp, sock, blob, all)\n"
		"     --no-huge          do not use hugepages (the default)\n"
		"     --huge             back DMA memory with hugepages\n"
		"     --no-pci           leave PCI devices alone\n"
		"     --wait-for-rpc     initialise subsystems only on framework_start_init\n"
		"     --interrupt-mode   reactors sleep when idle instead of polling their cores\n"
		" -h, --help             this text\n");
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* SPDK's -s: a number of MiB, or a size with a K/M/G suffix (rounded up to MiB). */
static int parse_mem_size(const char *s, unsigned long long *mb)
{
	char num[32];
	size_t len = strlen(s);
	unsigned long long v, shift = 0;
	char suffix = len > 0 ? (char)toupper((unsigned char)s[len - 1]) : '\0';

	if (suffix == 'K' || suffix == 'M' || suffix == 'G') {
		if (len < 2 || len - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, len - 1);
		num[len - 1] = '\0';
		shift = suffix == 'K' ? 10 : suffix == 'M' ? 20 : 30;
		if (parse_u64(num, SIZE_MAX >> 30, &v) != 0)
			return -EINVAL;
		v <<= shift;
		*mb = (v + (1ull << 20) - 1) >> 20;
		return 0;
	}
	return parse_u64(s, SIZE_MAX >> 20, mb);
}

static int parse_level(const char *s, enum sio_log_level *out)
{
	static const struct {
		const char *name;
		enum sio_log_level level;
	} levels[] = {
		{"disabled", SIO_LOG_DISABLED}, {"error", SIO_LOG_ERROR}, {"warning", SIO_LOG_WARN},
		{"warn", SIO_LOG_WARN},         {"notice", SIO_LOG_NOTICE}, {"info", SIO_LOG_INFO},
		{"debug", SIO_LOG_DEBUG},
	};

	for (size_t i = 0; i < SIO_RPC_COUNT(levels); i++) {
		if (strcasecmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

static void print_usage(const char *prog, sio_app_usage_fn usage_fn, void *ctx)
{
	fprintf(stderr, "usage: %s [options]\n", prog);
	sio_app_usage();
	if (usage_fn != NULL) {
		fprintf(stderr, "%s options:\n", prog);
		usage_fn(ctx);
	}
}

static int common_option(int ch, const char *arg, struct sio_app_opts *opts)
{
	unsigned long long v;

	switch (ch) {
	case 'm':
		opts->reactor_mask = arg;
		return 0;
	case 'c':
		opts->json_config_file = arg;
		return 0;
	case 'r':
		opts->rpc_addr = arg;
		return 0;
	case 's':
		if (parse_mem_size(arg, &v) != 0) {
			fprintf(stderr, "-s/--mem-size: '%s' is not a size (MiB, or with a K/M/G suffix)\n",
				arg);
			return -EINVAL;
		}
		opts->mem_size_mb = (size_t)v;
		return 0;
	case 'p':
		if (parse_u64(arg, SIO_CPUSET_MAX - 1, &v) != 0) {
			fprintf(stderr, "-p/--main-core: '%s' is not a core number\n", arg);
			return -EINVAL;
		}
		opts->main_core = (int)v;
		return 0;
	case 'L':
		if (opts->log_flag_count == SIO_APP_MAX_LOG_FLAGS) {
			fprintf(stderr, "-L/--logflag: more than %d flags\n", SIO_APP_MAX_LOG_FLAGS);
			return -EINVAL;
		}
		opts->log_flags[opts->log_flag_count++] = arg;
		return 0;
	case 'e':
		opts->tpoint_group = arg;
		return 0;
	case OPT_LOG_LEVEL:
		if (parse_level(arg, &opts->log_level) != 0) {
			fprintf(stderr, "--log-level: '%s' is not a level\n", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_NO_HUGE:
		opts->hugepages = false;
		return 0;
	case OPT_HUGE:
		opts->hugepages = true;
		return 0;
	case OPT_WAIT_FOR_RPC:
		opts->wait_for_rpc = true;
		return 0;
	case OPT_NO_PCI:
		opts->no_pci = true;
		return 0;
	case OPT_INTERRUPT_MODE:
		opts->interrupt_mode = true;
		return 0;
	}
	return -ENOENT;
}

int sio_app_parse_args(int argc, char **argv, struct sio_app_opts *opts, const char *extra_short,
		       const struct option *extra_long, sio_app_parse_fn parse_fn,
		       sio_app_usage_fn usage_fn, void *ctx)
{
	const char *prog = argc > 0 && argv[0] != NULL ? argv[0] : "spdk-io";
	size_t n_extra = 0, n_common = SIO_RPC_COUNT(g_common_long);
	struct option *longopts;
	char *shortopts;
	int rc = 0;

	if (opts == NULL || argv == NULL)
		return -EINVAL;
	extra_short = extra_short ? extra_short : "";
	for (const char *p = extra_short; *p; p++) {
		if (*p != ':' && strchr(COMMON_SHORT, *p) != NULL) {
			fprintf(stderr, "%s: option -%c is taken by the common options\n", prog, *p);
			return -EINVAL;
		}
	}
	while (extra_long != NULL && extra_long[n_extra].name != NULL)
		n_extra++;
	longopts = calloc(n_common + n_extra + 1, sizeof(*longopts));
	/* ':' first: missing arguments come back as ':' rather than '?'. */
	shortopts = malloc(strlen(COMMON_SHORT) + strlen(extra_short) + 2);
	if (longopts == NULL || shortopts == NULL) {
		free(longopts);
		free(shortopts);
		return -ENOMEM;
	}
	memcpy(longopts, g_common_long, sizeof(g_common_long));
	if (n_extra > 0)
		memcpy(longopts + n_common, extra_long, n_extra * sizeof(*longopts));
	sprintf(shortopts, ":%s%s", COMMON_SHORT, extra_short);

	/*
	 * 0, not 1: glibc then also forgets where it was inside a cluster of
	 * short options ("-hm" left at 'm' by an earlier call that stopped at
	 * -h), which it would otherwise resume in the caller's freed argv.
	 */
	optind = 0;
	opterr = 0;
	for (;;) {
		int idx = -1;
		int ch = getopt_long(argc, argv, shortopts, longopts, &idx);

		if (ch == -1)
			break;
		if (ch == 'h') {
			print_usage(prog, usage_fn, ctx);
			rc = 1;
			break;
		}
		if (ch == '?' || ch == ':') {
			const char *what = argv[optind - 1];

			if (optopt != 0)
				fprintf(stderr, "%s: %s -%c\n", prog,
					ch == ':' ? "missing argument for" : "unknown option",
					optopt);
			else
				fprintf(stderr, "%s: %s '%s'\n", prog,
					ch == ':' ? "missing argument for" : "unknown option",
					what);
			print_usage(prog, usage_fn, ctx);
			rc = -EINVAL;
			break;
		}
		rc = common_option(ch, optarg, opts);
		if (rc == -ENOENT) {
			if (parse_fn == NULL) {
				rc = -EINVAL;
			} else {
				rc = parse_fn(ch, optarg, ctx);
			}
		}
		if (rc != 0) {
			if (rc == -EINVAL)
				print_usage(prog, usage_fn, ctx);
			break;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		print_usage(prog, usage_fn, ctx);
		rc = -EINVAL;
	}
	free(longopts);
	free(shortopts);
	return rc;
}
