/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built by the install test against the installed library via pkg-config:
 * if it compiles, links and prints, the headers, .pc file and exports are sound.
 *
 * It also runs the framework the way an application without a JSON config or
 * an RPC server does: sio_app_run() with an in-code main task that creates a
 * malloc bdev through the public module API (spdk_io/bdev_modules.h), writes
 * blocks, reads them back and compares, deletes the bdev and stops. Any
 * failure or mismatch makes the exit status non-zero.
 */
#include <spdk_io/spdk_io.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CHECK_BDEV "InstallCheck0"
#define CHECK_BLOCKS 4u

static void on_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	(void)type;
	(void)bdev;
	(void)ctx;
}

/* The main task, on the app thread: everything awaits, top to bottom. */
static int check_main(void *arg)
{
	struct sio_bdev_malloc_opts opts;
	struct sio_bdev_desc *desc = NULL;
	struct sio_io_channel *ch = NULL;
	struct sio_bdev *bdev = NULL;
	uint8_t *wbuf = NULL, *rbuf = NULL;
	size_t len;
	int rc;

	(void)arg;
	sio_bdev_malloc_opts_init(&opts, sizeof(opts));
	opts.name = CHECK_BDEV;
	opts.block_size = 4096;
	opts.num_blocks = 64;
	rc = sio_bdev_malloc_create(&opts, &bdev);
	if (rc != 0) {
		fprintf(stderr, "sio_bdev_malloc_create: %s\n", strerror(-rc));
		goto out;
	}
	rc = sio_bdev_open(CHECK_BDEV, true, on_event, NULL, &desc);
	if (rc != 0) {
		fprintf(stderr, "sio_bdev_open: %s\n", strerror(-rc));
		goto out;
	}
	ch = sio_bdev_desc_get_io_channel(desc);
	len = (size_t)CHECK_BLOCKS * sio_bdev_get_block_size(bdev);
	wbuf = sio_dma_malloc(len, 4096);
	rbuf = sio_dma_malloc(len, 4096);
	if (ch == NULL || wbuf == NULL || rbuf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < len; i++)
		wbuf[i] = (uint8_t)(i * 7 + i / 4096 + 1);
	memset(rbuf, 0, len);
	/* Past the first blocks, so a bdev that ignored the offset would show. */
	rc = sio_bdev_write_blocks_await(desc, ch, wbuf, 10, CHECK_BLOCKS);
	if (rc == 0)
		rc = sio_bdev_read_blocks_await(desc, ch, rbuf, 10, CHECK_BLOCKS);
	if (rc != 0) {
		fprintf(stderr, "write/read: %s\n", strerror(-rc));
		goto out;
	}
	if (memcmp(wbuf, rbuf, len) != 0) {
		fprintf(stderr, "read back differs from what was written\n");
		rc = -EILSEQ;
		goto out;
	}
	printf("spdk-io installed: malloc bdev %s, %u blocks written, read back, identical\n",
	       CHECK_BDEV, CHECK_BLOCKS);
out:
	sio_dma_free(wbuf);
	sio_dma_free(rbuf);
	if (ch != NULL)
		sio_io_channel_put(ch);
	if (desc != NULL)
		sio_bdev_close(desc);
	if (bdev != NULL) {
		/* Awaited: the bdev is gone once this returns 0. */
		int drc = SIO_AWAIT_CALL(sio_bdev_malloc_delete, CHECK_BDEV);

		if (drc != 0 || sio_bdev_get_by_name(CHECK_BDEV) != NULL) {
			fprintf(stderr, "sio_bdev_malloc_delete: %s\n", strerror(drc ? -drc : EEXIST));
			rc = rc ? rc : (drc ? drc : -EEXIST);
		}
	}
	sio_app_stop(rc);
	return rc;
}

int main(void)
{
	struct sio_app_opts opts;
	struct sio_cpuset set;
	int rc;

	if (sio_cpuset_parse(&set, "[0,2-3]") != 0 || sio_cpuset_count(&set) != 3) {
		fprintf(stderr, "cpuset parse failed\n");
		return 1;
	}
	printf("spdk-io installed: %u cores in [0,2-3]\n", sio_cpuset_count(&set));

	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "install_check";
	opts.rpc_addr = NULL; /* no RPC server, no JSON config: everything in code */
	opts.log_level = SIO_LOG_WARN;
	rc = sio_app_run(&opts, check_main, NULL);
	if (rc != 0) {
		fprintf(stderr, "install_check: %s\n", strerror(rc < 0 ? -rc : rc));
		return 1;
	}
	printf("install_check: ok\n");
	return 0;
}
