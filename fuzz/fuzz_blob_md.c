/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blobstore's metadata parser: bytes written over the metadata region of
 * a small store (super block slots, root pairs, continuation pages) that has
 * thick, thin, snapshot and clone blobs. Input: a flags byte, a 24-bit
 * little-endian offset into the region, then the bytes. With flag 1 every page the bytes touch
 * gets the store's id and a correct CRC32C, so inputs reach the payload
 * parser, the chains and the cluster maps instead of stopping at the checksum.
 * Property: sio_bs_load() fails with -EILSEQ or -EUCLEAN, or gives a store
 * whose blobs all open and read and whose owned and free clusters add up to
 * its data clusters; never a crash, a leak or a sanitizer report.
 */
#include <errno.h>
#include <string.h>

#include "blob/blob_internal.h"
#include "spdk_io/blob.h"
#include "spdk_io/env.h"

#include "fuzz.h"

#define BL 512u
#define BLOCKS (512u * 1024u / BL) /* small: every input copies the whole image */
#define CL 16384u
#define MD_BYTES ((2u + 64u) * BS_PAGE)

static struct sio_thread *g_thread;
static uint8_t *g_img;
static uint8_t *g_work; /* reused: a large malloc/free per input is slow under ASan */
static uint64_t g_store_id;

static int run(sio_task_fn fn, void *arg)
{
	struct sio_future f;

	if (sio_task_spawn(NULL, fn, arg, &f) != 0)
		abort();
	while (!sio_future_is_done(&f))
		sio_thread_poll(g_thread, 0);
	return sio_future_rc(&f);
}

static int make_image(void *arg)
{
	struct sio_blob_dev *dev;
	struct sio_blob_store *bs;
	struct sio_bs_opts o;
	struct sio_blob_opts bo;
	struct sio_blob_xattr x = {"name", "volume-with-a-long-name", 23};
	sio_blob_id a, b, s, c;
	struct sio_blob *blob;
	struct sio_io_channel *ch;
	uint8_t *buf = sio_dma_zmalloc(CL, 4096);

	if (sio_blob_ram_dev_create(BL, BLOCKS, NULL, &dev) != 0)
		abort();
	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = CL;
	o.num_md_pages = 64;
	if (sio_bs_init_await(dev, &o, &bs) != 0)
		abort();
	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 2;
	bo.xattrs = &x;
	bo.xattr_count = 1;
	FUZZ_CHECK(sio_blob_create_await(bs, &bo, &a) == 0, "create");
	bo.num_clusters = 5;
	bo.thin_provision = true;
	FUZZ_CHECK(sio_blob_create_await(bs, &bo, &b) == 0, "create thin");
	FUZZ_CHECK(sio_blob_open_await(bs, b, &blob) == 0, "open");
	ch = sio_bs_alloc_io_channel(bs);
	memset(buf, 0x5a, CL);
	FUZZ_CHECK(sio_blob_write_await(blob, ch, buf, 2 * (CL / BL), CL / BL) == 0, "write");
	sio_bs_free_io_channel(ch);
	for (int i = 0; i < 40; i++) { /* enough xattrs for continuation pages */
		char k[16];

		snprintf(k, sizeof(k), "key%d", i);
		sio_blob_set_xattr(blob, k, buf, 200);
	}
	FUZZ_CHECK(sio_blob_close_await(blob) == 0, "close");
	FUZZ_CHECK(sio_blob_snapshot_await(bs, a, NULL, 0, &s) == 0, "snapshot");
	FUZZ_CHECK(sio_blob_clone_await(bs, s, NULL, 0, &c) == 0, "clone");
	FUZZ_CHECK(sio_bs_set_super_await(bs, b) == 0, "super");
	g_img = malloc((size_t)BLOCKS * BL);
	memcpy(g_img, sio_blob_ram_dev_image(dev), (size_t)BLOCKS * BL);
	memcpy(&g_store_id, g_img + offsetof(struct bs_super_disk, store_id), 8);
	FUZZ_CHECK(sio_bs_unload_await(bs) == 0, "unload");
	sio_dma_free(buf);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_thread = sio_thread_attach("fuzz_blob");
	g_work = malloc((size_t)BLOCKS * BL);
	if (g_thread == NULL || g_work == NULL)
		abort();
	return run(make_image, NULL);
}

static int count_blob(void *arg, sio_blob_id id)
{
	sio_blob_id *ids = arg;

	for (int i = 0; i < 64; i++) {
		if (ids[i] == 0) {
			ids[i] = id;
			return 0;
		}
	}
	return 0;
}

static int load_and_check(void *arg)
{
	uint8_t *work = arg;
	struct sio_blob_dev *dev;
	struct sio_blob_store *bs;
	sio_blob_id ids[64] = {0};
	uint64_t owned = 0;
	struct sio_io_channel *ch;
	uint8_t *rd = sio_dma_malloc(4 * CL, 4096);
	int rc;

	if (sio_blob_ram_dev_create(BL, BLOCKS, work, &dev) != 0)
		abort();
	rc = sio_bs_load_await(dev, NULL, &bs);
	if (rc != 0) {
		FUZZ_CHECK(rc == -EILSEQ || rc == -EUCLEAN, "load failed with %d", rc);
		sio_dma_free(rd);
		return 0;
	}
	sio_bs_iter(bs, count_blob, ids);
	ch = sio_bs_alloc_io_channel(bs);
	for (int i = 0; i < 64 && ids[i]; i++) {
		struct sio_blob *b;
		uint64_t n;

		FUZZ_CHECK(sio_blob_open_await(bs, ids[i], &b) == 0, "open 0x%llx",
			   (unsigned long long)ids[i]);
		owned += sio_blob_get_num_allocated_clusters(b);
		n = sio_blob_get_num_io_units(b);
		if (n > 4 * (CL / BL))
			n = 4 * (CL / BL);
		if (n > 0)
			FUZZ_CHECK(sio_blob_read_await(b, ch, rd, 0, n) == 0, "read");
		FUZZ_CHECK(sio_blob_close_await(b) == 0, "close");
	}
	FUZZ_CHECK(owned + sio_bs_free_cluster_count(bs) == sio_bs_total_data_clusters(bs),
		   "owned %llu + free %llu != %llu", (unsigned long long)owned,
		   (unsigned long long)sio_bs_free_cluster_count(bs),
		   (unsigned long long)sio_bs_total_data_clusters(bs));
	sio_bs_free_io_channel(ch);
	FUZZ_CHECK(sio_bs_unload_await(bs) == 0, "unload");
	sio_dma_free(rd);
	return 0;
}

/* Give a touched page the store's id and a valid CRC (super block or metadata page). */
static void fix_page(uint8_t *page, bool super)
{
	if (super) {
		struct bs_super_disk *s = (struct bs_super_disk *)page;

		s->store_id = g_store_id;
		s->crc = 0;
		s->crc = sio_crc32c(page, BS_PAGE);
	} else {
		struct bs_md_hdr *h = (struct bs_md_hdr *)page;

		h->store_id = g_store_id;
		h->crc = 0;
		h->crc = sio_crc32c(page, BS_PAGE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *work;
	size_t off, n;

	if (size < 4)
		return 0;
	off = ((size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16) % MD_BYTES;
	n = size - 4;
	if (n > MD_BYTES - off)
		n = MD_BYTES - off;
	work = g_work;
	memcpy(work, g_img, (size_t)BLOCKS * BL);
	memcpy(work + off, data + 4, n);
	if (data[0] & 1) {
		for (size_t p = off / BS_PAGE; n > 0 && p <= (off + n - 1) / BS_PAGE; p++)
			fix_page(work + p * BS_PAGE, p < 2);
	}
	run(load_and_check, work);
	return 0;
}
