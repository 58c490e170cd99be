/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello_bdev: the README's demo. Starts the framework, creates a RAM-backed
 * bdev from an SPDK-format JSON config (inline, so nothing else is needed),
 * then from the main task writes data, reads it back and compares, and runs
 * a burst of concurrent tasks each doing its own write/read/verify. Every
 * step awaits: the code reads top to bottom, no callbacks.
 *
 *   hello_bdev                 embedded default: Malloc0, 64 MiB, 4 KiB blocks
 *   hello_bdev -c my.json -b Nvme0n1 --tasks 64
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/app.h"
#include "spdk_io/bdev.h"
#include "spdk_io/spdk_io.h"

/* What `-c` would load; SPDK's nvmf_tgt/bdevperf accept this file unchanged. */
static const char k_default_config[] =
	"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":["
	"{\"method\":\"bdev_malloc_create\","
	"\"params\":{\"name\":\"Malloc0\",\"num_blocks\":16384,\"block_size\":4096}}]}]}";

struct demo {
	const char *bdev_name;
	unsigned int tasks;
	unsigned int ios_per_task;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint32_t block_size;
	uint64_t num_blocks;
};

struct worker {
	struct demo *demo;
	unsigned int id;
};

/* Fill @buf with bytes derived from @seed, so every block's content is unique. */
static void fill_pattern(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((seed * 131 + i * 7) ^ (i >> 8));
}

/* One write, one read back, one compare; returns 0 or a negative errno / -EILSEQ. */
static int write_read_verify(struct demo *d, uint8_t *wbuf, uint8_t *rbuf, uint64_t block,
			     uint64_t seed)
{
	size_t len = d->block_size;
	int rc;

	fill_pattern(wbuf, len, seed);
	memset(rbuf, 0, len);
	rc = sio_bdev_write_blocks_await(d->desc, d->ch, wbuf, block, 1);
	if (rc != 0)
		return rc;
	rc = sio_bdev_read_blocks_await(d->desc, d->ch, rbuf, block, 1);
	if (rc != 0)
		return rc;
	return memcmp(wbuf, rbuf, len) == 0 ? 0 : -EILSEQ;
}

/* Each worker owns the blocks id, id + tasks, id + 2*tasks, ... so none overlap. */
static int worker_task(void *arg)
{
	struct worker *w = arg;
	struct demo *d = w->demo;
	uint8_t *wbuf = sio_dma_malloc(d->block_size, d->block_size);
	uint8_t *rbuf = sio_dma_malloc(d->block_size, d->block_size);
	int rc = wbuf && rbuf ? 0 : -ENOMEM;

	for (unsigned int i = 0; rc == 0 && i < d->ios_per_task; i++) {
		uint64_t block = (w->id + (uint64_t)i * d->tasks) % d->num_blocks;

		rc = write_read_verify(d, wbuf, rbuf, block, block + 1);
	}
	sio_dma_free(wbuf);
	sio_dma_free(rbuf);
	return rc;
}

static int run_workers(struct demo *d)
{
	struct worker *workers = calloc(d->tasks, sizeof(*workers));
	struct sio_future *futures = calloc(d->tasks, sizeof(*futures));
	struct sio_future **fps = calloc(d->tasks, sizeof(*fps));
	uint64_t start;
	int rc = 0;

	if (!workers || !futures || !fps) {
		rc = -ENOMEM;
		goto out;
	}
	start = sio_get_ticks();
	for (unsigned int i = 0; i < d->tasks; i++) {
		workers[i] = (struct worker){d, i};
		fps[i] = &futures[i];
		rc = sio_task_spawn(NULL, worker_task, &workers[i], &futures[i]);
		if (rc != 0) {
			/* await only what started */
			d->tasks = i;
			break;
		}
	}
	if (d->tasks > 0) {
		int wrc = sio_await_all(fps, d->tasks);

		rc = rc ? rc : wrc;
	}
	if (rc == 0) {
		uint64_t us = sio_ticks_to_us(sio_get_ticks() - start);
		uint64_t ios = (uint64_t)d->tasks * d->ios_per_task * 2;

		printf("%u tasks did %" PRIu64 " awaited I/Os (write + read-back), all verified, "
		       "in %" PRIu64 " us\n", d->tasks, ios, us);
	}
out:
	free(fps);
	free(futures);
	free(workers);
	return rc;
}

/* The bdev layer tells open descriptors about hot-remove; a real program would
 * stop submitting and close. The demo only says so. */
static void bdev_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	(void)ctx;
	if (type == SIO_BDEV_EVENT_REMOVE)
		fprintf(stderr, "%s is being removed\n", sio_bdev_get_name(bdev));
}

static int demo_main(void *arg)
{
	struct demo *d = arg;
	struct sio_bdev *bdev;
	struct sio_bdev_io_stat st;
	uint8_t *wbuf = NULL, *rbuf = NULL;
	int rc;

	rc = sio_bdev_open(d->bdev_name, true, bdev_event, d, &d->desc);
	if (rc != 0) {
		fprintf(stderr, "open %s: %s\n", d->bdev_name, strerror(-rc));
		goto out;
	}
	bdev = sio_bdev_desc_get_bdev(d->desc);
	d->block_size = sio_bdev_get_block_size(bdev);
	d->num_blocks = sio_bdev_get_num_blocks(bdev);
	printf("%s: opened %s (%s), %" PRIu64 " blocks of %u bytes\n", sio_version_string(),
	       d->bdev_name, sio_bdev_get_product_name(bdev), d->num_blocks, d->block_size);

	d->ch = sio_bdev_desc_get_io_channel(d->desc);
	wbuf = sio_dma_malloc(d->block_size, d->block_size);
	rbuf = sio_dma_malloc(d->block_size, d->block_size);
	if (!d->ch || !wbuf || !rbuf) {
		rc = -ENOMEM;
		goto out;
	}

	rc = write_read_verify(d, wbuf, rbuf, d->num_blocks - 1, 42);
	printf("wrote the last block, read it back: %s\n", rc == 0 ? "identical" : strerror(-rc));
	if (rc != 0)
		goto out;

	rc = run_workers(d);
	if (rc != 0) {
		fprintf(stderr, "workers: %s\n", strerror(-rc));
		goto out;
	}

	rc = sio_bdev_channel_get_io_stat(d->ch, &st);
	if (rc == 0)
		printf("this thread's channel: %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
		       " bytes read\n", st.num_read_ops, st.num_write_ops, st.bytes_read);
out:
	sio_dma_free(wbuf);
	sio_dma_free(rbuf);
	if (d->ch)
		sio_io_channel_put(d->ch);
	if (d->desc)
		sio_bdev_close(d->desc);
	printf("hello_bdev: %s\n", rc == 0 ? "done" : "FAILED");
	sio_app_stop(rc);
	return rc;
}

static int parse_opt(int ch, const char *arg, void *ctx)
{
	struct demo *d = ctx;
	char *end;
	unsigned long v;

	switch (ch) {
	case 'b':
		d->bdev_name = arg;
		return 0;
	case 'n':
	case 'i':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || !*arg || v == 0 || v > 100000) {
			fprintf(stderr, "'%s' is not a count from 1 to 100000\n", arg);
			return -EINVAL;
		}
		if (ch == 'n')
			d->tasks = (unsigned int)v;
		else
			d->ios_per_task = (unsigned int)v;
		return 0;
	default:
		return -EINVAL;
	}
}

static void usage(void *ctx)
{
	(void)ctx;
	fprintf(stderr,
		" -b, --bdev NAME        bdev to use (default Malloc0, created by the embedded config\n"
		"                        when no -c is given)\n"
		" -n, --tasks N          concurrent tasks (default 32)\n"
		" -i, --ios N            write/read/verify rounds per task (default 64)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"bdev", required_argument, NULL, 'b'},
		{"tasks", required_argument, NULL, 'n'},
		{"ios", required_argument, NULL, 'i'},
		{0},
	};
	struct demo d = {.bdev_name = "Malloc0", .tasks = 32, .ios_per_task = 64};
	struct sio_app_opts opts;
	int rc;

	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "hello_bdev";
	opts.rpc_addr = NULL; /* a demo needs no RPC server; -r turns it on */
	rc = sio_app_parse_args(argc, argv, &opts, "b:n:i:", longopts, parse_opt, usage, &d);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (!opts.json_config_file && !opts.json_config_text)
		opts.json_config_text = k_default_config;
	rc = sio_app_run(&opts, demo_main, &d);
	return rc == 0 ? 0 : 1;
}
