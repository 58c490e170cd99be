/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello_blob: the blob layer and the lvol module in one page.
 *
 * Part 1, the blobstore directly over a RAM device: format a store, create a
 * thin blob, write it, snapshot it, overwrite it, and read both: the snapshot
 * keeps the old bytes. Part 2, logical volumes: the inline SPDK-format config
 * makes a malloc bdev, an lvstore on it and a thin lvol; the main task writes
 * and reads the lvol through the ordinary bdev API. Every step awaits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spdk_io/app.h"
#include "spdk_io/bdev.h"
#include "spdk_io/blob.h"
#include "spdk_io/env.h"

static const char k_config[] =
	"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":["
	"{\"method\":\"bdev_malloc_create\","
	"\"params\":{\"name\":\"Malloc0\",\"num_blocks\":16384,\"block_size\":4096}},"
	"{\"method\":\"bdev_lvol_create_lvstore\","
	"\"params\":{\"bdev_name\":\"Malloc0\",\"lvs_name\":\"lvs0\",\"cluster_sz\":1048576}},"
	"{\"method\":\"bdev_lvol_create\","
	"\"params\":{\"lvs_name\":\"lvs0\",\"lvol_name\":\"vol0\",\"size_in_mib\":16,"
	"\"thin_provision\":true}}]}]}";

#define CHECK(x)                                                                  \
	do {                                                                      \
		int _rc = (x);                                                    \
		if (_rc != 0) {                                                   \
			fprintf(stderr, "%s: %s\n", #x, strerror(-_rc));          \
			return _rc;                                               \
		}                                                                 \
	} while (0)

static int blob_part(void)
{
	struct sio_blob_dev *dev;
	struct sio_blob_store *bs;
	struct sio_blob_opts o;
	struct sio_blob *blob, *snap;
	sio_blob_id id, snap_id;
	struct sio_io_channel *ch;
	uint8_t *buf = sio_dma_malloc(4096, 4096), *rd = sio_dma_malloc(4096, 4096);

	CHECK(sio_blob_ram_dev_create(4096, 4096, NULL, &dev)); /* 16 MiB */
	CHECK(sio_bs_init_await(dev, NULL, &bs));               /* 1 MiB clusters */
	sio_blob_opts_init(&o, sizeof(o));
	o.num_clusters = 4;
	o.thin_provision = true;
	CHECK(sio_blob_create_await(bs, &o, &id));
	CHECK(sio_blob_open_await(bs, id, &blob));
	ch = sio_bs_alloc_io_channel(bs);
	memset(buf, 'A', 4096);
	CHECK(sio_blob_write_await(blob, ch, buf, 10, 1));
	CHECK(sio_blob_snapshot_await(bs, id, NULL, 0, &snap_id));
	memset(buf, 'B', 4096);
	CHECK(sio_blob_write_await(blob, ch, buf, 10, 1));
	CHECK(sio_blob_open_await(bs, snap_id, &snap));
	CHECK(sio_blob_read_await(snap, ch, rd, 10, 1));
	printf("blob: snapshot reads '%c', ", rd[0]);
	CHECK(sio_blob_read_await(blob, ch, rd, 10, 1));
	printf("blob reads '%c'; %" PRIu64 " of %" PRIu64 " clusters free\n", rd[0],
	       sio_bs_free_cluster_count(bs), sio_bs_total_data_clusters(bs));
	sio_bs_free_io_channel(ch);
	CHECK(sio_blob_close_await(snap));
	CHECK(sio_blob_close_await(blob));
	CHECK(sio_bs_unload_await(bs));
	sio_dma_free(buf);
	sio_dma_free(rd);
	return 0;
}

static void ev(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
}

static int lvol_part(void)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint8_t *buf = sio_dma_malloc(8192, 4096), *rd = sio_dma_malloc(8192, 4096);

	CHECK(sio_bdev_open("lvs0/vol0", true, ev, NULL, &desc));
	ch = sio_bdev_desc_get_io_channel(desc);
	for (int i = 0; i < 8192; i++)
		buf[i] = (uint8_t)i;
	CHECK(sio_bdev_write_blocks_await(desc, ch, buf, 100, 2));
	CHECK(sio_bdev_read_blocks_await(desc, ch, rd, 100, 2));
	printf("lvol %s (lvs0/vol0): %s\n", sio_bdev_get_name(sio_bdev_desc_get_bdev(desc)),
	       memcmp(buf, rd, 8192) == 0 ? "data verified" : "MISMATCH");
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	sio_dma_free(buf);
	sio_dma_free(rd);
	return 0;
}

static int hello_main(void *arg)
{
	int rc = blob_part();

	if (rc == 0)
		rc = lvol_part();
	sio_app_stop(rc);
	return rc;
}

int main(int argc, char **argv)
{
	struct sio_app_opts opts;

	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "hello_blob";
	opts.json_config_text = k_config;
	opts.rpc_addr = NULL;
	return sio_app_run(&opts, hello_main, NULL) == 0 ? 0 : 1;
}
