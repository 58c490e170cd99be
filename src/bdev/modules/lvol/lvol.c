/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lvol bdev module: where the bdev layer meets the blob layer.
 *
 * - An lvstore is a blobstore on a claimed base bdev, through a sio_blob_dev
 *   that maps the blob layer's block interface onto the base's descriptor.
 *   Its name and UUID are xattrs of the store's super blob.
 * - An lvol is a blob, opened for as long as its bdev lives, registered as a
 *   bdev named by its UUID with the alias "lvs/lvol"; the bdev's optimal I/O
 *   boundary is the cluster, so each bdev_io is one blob request.
 * - Examine: every new bdev's first 8 KiB are read (read-only, so claims by
 *   other modules are not in the way); a valid lvstore super block leads to a
 *   claim, a load, and the lvols registered again.
 *
 * Management operations run as tasks on the app thread, awaiting the blob
 * and bdev calls top to bottom.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>

#include "bdev/modules/lvol/lvol_internal.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"

#define LVS_BSTYPE "LVOLSTORE"
#define LVS_DEFAULT_CLUSTER (4u * 1024u * 1024u)

struct lvs_list g_lvstores = TAILQ_HEAD_INITIALIZER(g_lvstores);

/*
 * Per-I/O context: completion of a blob request that finished inside submit.
 * (A direct I/O keeps nothing here: the base module's context takes its place
 * while the base holds the bdev_io.)
 */
struct lvol_io {
	bool in_submit;
	bool done_inline;
	int rc;
};

/* ------------------------------------------------------------------------ */
/* The blob layer's device over the base bdev                               */
/* ------------------------------------------------------------------------ */

struct lvs_dev {
	struct sio_blob_dev dev;
	struct sio_bdev_desc *desc;
	struct iovec zero_iov[64];  /* write zeroes emulated by writes */
};

static struct sio_bdev_desc *ddesc(struct sio_blob_dev *d)
{
	return ((struct lvs_dev *)d)->desc;
}

static struct sio_io_channel *bd_create_channel(struct sio_blob_dev *d)
{
	return sio_bdev_desc_get_io_channel(ddesc(d));
}

static void bd_destroy_channel(struct sio_blob_dev *d, struct sio_io_channel *ch)
{
	sio_io_channel_put(ch);
}

static void bd_destroy(struct sio_blob_dev *d)
{
	struct lvs_dev *ld = (struct lvs_dev *)d;
	struct sio_bdev *base = sio_bdev_desc_get_bdev(ld->desc);

	if (sio_bdev_get_claim_module(base) == &sio_bdev_module_lvol)
		sio_bdev_module_release_bdev(base);
	sio_bdev_close(ld->desc);
	free(ld);
}

static int bd_read(struct sio_blob_dev *d, struct sio_io_channel *ch, void *buf, uint64_t lba,
		   uint32_t n, sio_done_cb cb, void *arg)
{
	return sio_bdev_read_blocks(ddesc(d), ch, buf, lba, n, cb, arg);
}

static int bd_write(struct sio_blob_dev *d, struct sio_io_channel *ch, void *buf, uint64_t lba,
		    uint32_t n, sio_done_cb cb, void *arg)
{
	return sio_bdev_write_blocks(ddesc(d), ch, buf, lba, n, cb, arg);
}

static int bd_readv(struct sio_blob_dev *d, struct sio_io_channel *ch, struct iovec *iov,
		    int iovcnt, uint64_t lba, uint32_t n, sio_done_cb cb, void *arg)
{
	return sio_bdev_readv_blocks(ddesc(d), ch, iov, iovcnt, lba, n, cb, arg);
}

static int bd_writev(struct sio_blob_dev *d, struct sio_io_channel *ch, struct iovec *iov,
		     int iovcnt, uint64_t lba, uint32_t n, sio_done_cb cb, void *arg)
{
	return sio_bdev_writev_blocks(ddesc(d), ch, iov, iovcnt, lba, n, cb, arg);
}

static int bd_unmap(struct sio_blob_dev *d, struct sio_io_channel *ch, uint64_t lba, uint64_t n,
		    sio_done_cb cb, void *arg)
{
	if (!sio_bdev_io_type_supported(sio_bdev_desc_get_bdev(ddesc(d)), SIO_BDEV_IO_TYPE_UNMAP)) {
		cb(arg, 0); /* advisory: the blocks keep their content */
		return 0;
	}
	return sio_bdev_unmap_blocks(ddesc(d), ch, lba, n, cb, arg);
}

/* A shared zeroed buffer for bases without write zeroes (aio without fallocate). */
#define LVS_ZERO_BUF (256u * 1024u)
#define LVS_ZERO_IOVS 64
static void *g_zero_buf;

static int bd_write_zeroes(struct sio_blob_dev *d, struct sio_io_channel *ch, uint64_t lba,
			   uint64_t n, sio_done_cb cb, void *arg)
{
	struct lvs_dev *ld = (struct lvs_dev *)d;
	uint64_t bytes = n * d->blocklen;
	int cnt = 0;

	if (sio_bdev_io_type_supported(sio_bdev_desc_get_bdev(ld->desc),
				       SIO_BDEV_IO_TYPE_WRITE_ZEROES))
		return sio_bdev_write_zeroes_blocks(ld->desc, ch, lba, n, cb, arg);
	/*
	 * Written from a zero buffer, many iovecs over the same memory. Only the
	 * metadata thread's cluster fills come here, one at a time under the
	 * store's lock, so the iovec array in the device is not shared.
	 */
	if (g_zero_buf == NULL)
		g_zero_buf = sio_dma_zmalloc(LVS_ZERO_BUF, 4096);
	if (g_zero_buf == NULL)
		return -ENOMEM;
	if (bytes > (uint64_t)LVS_ZERO_BUF * LVS_ZERO_IOVS)
		return -EINVAL;
	while (bytes > 0) {
		size_t k = bytes < LVS_ZERO_BUF ? bytes : LVS_ZERO_BUF;

		ld->zero_iov[cnt].iov_base = g_zero_buf;
		ld->zero_iov[cnt].iov_len = k;
		cnt++;
		bytes -= k;
	}
	return sio_bdev_writev_blocks(ld->desc, ch, ld->zero_iov, cnt, lba, n, cb, arg);
}

static int bd_flush(struct sio_blob_dev *d, struct sio_io_channel *ch, sio_done_cb cb, void *arg)
{
	struct sio_bdev *b = sio_bdev_desc_get_bdev(ddesc(d));

	if (!sio_bdev_io_type_supported(b, SIO_BDEV_IO_TYPE_FLUSH)) {
		cb(arg, 0); /* nothing volatile to flush */
		return 0;
	}
	return sio_bdev_flush_blocks(ddesc(d), ch, 0, sio_bdev_get_num_blocks(b), cb, arg);
}

static struct sio_blob_dev *lvs_dev_create(struct sio_bdev_desc *desc)
{
	struct lvs_dev *ld = calloc(1, sizeof(*ld));
	struct sio_bdev *b = sio_bdev_desc_get_bdev(desc);

	if (ld == NULL)
		return NULL;
	ld->desc = desc;
	ld->dev.blocklen = sio_bdev_get_block_size(b);
	ld->dev.blockcnt = sio_bdev_get_num_blocks(b);
	ld->dev.create_channel = bd_create_channel;
	ld->dev.destroy_channel = bd_destroy_channel;
	ld->dev.destroy = bd_destroy;
	ld->dev.read = bd_read;
	ld->dev.write = bd_write;
	ld->dev.readv = bd_readv;
	ld->dev.writev = bd_writev;
	ld->dev.unmap = bd_unmap;
	ld->dev.write_zeroes = bd_write_zeroes;
	ld->dev.flush = bd_flush;
	return &ld->dev;
}

/* ------------------------------------------------------------------------ */
/* The lvol bdev                                                            */
/* ------------------------------------------------------------------------ */

static void lvol_complete_msg(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct lvol_io *lio = sio_bdev_io_driver_ctx(io);

	sio_bdev_io_complete(io, lio->rc);
}

static void lvol_io_done(void *arg, int rc)
{
	struct sio_bdev_io *io = arg;
	struct lvol_io *lio = sio_bdev_io_driver_ctx(io);

	if (lio->in_submit) {
		/* The blob layer finished inside our submit: complete later. */
		lio->rc = rc;
		lio->done_inline = true;
		return;
	}
	sio_bdev_io_complete(io, rc);
}

/* A direct I/O came back from the base: it no longer holds back a freeze of the blob. */
static int lvol_direct_done(struct sio_io_channel *ch, struct sio_bdev_io *io, int rc)
{
	sio_blob_direct_done(ch);
	return rc;
}

/*
 * The fast path of reads and writes (docs/blob.md, "Direct I/O"): a range in
 * one allocated cluster of a blob that is not frozen is mapped by the blob
 * layer (no blob request) and the bdev_io itself goes to the base bdev at the
 * mapped offset (no second bdev_io, no second pass through the bdev core's
 * submission; the base's statistics still count it). Returns false for
 * everything else (allocation, zero fill, a freeze, read-only, a base that
 * cannot take it now): the blob request path handles and reports it.
 */
static bool lvol_direct(struct lvol *lv, struct sio_io_channel *ch, struct sio_bdev_io *io,
			bool write)
{
	struct sio_io_channel *dev_ch;
	uint64_t lba;

	if (sio_blob_direct_start(lv->blob, ch, write, io->offset_blocks, io->num_blocks, &lba,
				  &dev_ch) != 0)
		return false;
	if (sio_bdev_io_forward(io, lv->lvs->desc, dev_ch, lba, lvol_direct_done) == 0)
		return true;
	sio_blob_direct_done(ch);
	return false;
}

/* Everything but direct I/O: one blob request per bdev_io. */
static __attribute__((noinline)) void lvol_submit_blob(struct sio_io_channel *ch,
						       struct sio_bdev_io *io)
{
	struct lvol *lv = io->bdev->ctxt;
	struct lvol_io *lio = sio_bdev_io_driver_ctx(io);
	int rc;

	lio->in_submit = true;
	lio->done_inline = false;
	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
		rc = sio_blob_readv(lv->blob, ch, io->iovs, io->iovcnt, io->offset_blocks,
				    io->num_blocks, lvol_io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_WRITE:
		rc = sio_blob_writev(lv->blob, ch, io->iovs, io->iovcnt, io->offset_blocks,
				     io->num_blocks, lvol_io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_UNMAP:
		rc = sio_blob_unmap(lv->blob, ch, io->offset_blocks, io->num_blocks, lvol_io_done,
				    io);
		break;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		rc = sio_blob_write_zeroes(lv->blob, ch, io->offset_blocks, io->num_blocks,
					   lvol_io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_FLUSH:
		rc = sio_blob_flush(lv->blob, ch, lvol_io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_RESET:
		rc = 0;
		lio->rc = 0;
		lio->done_inline = true;
		break;
	default:
		rc = -ENOTSUP;
		break;
	}
	lio->in_submit = false;
	if (rc != 0) {
		lio->rc = rc;
		lio->done_inline = true;
	}
	if (lio->done_inline &&
	    sio_thread_send_msg(sio_bdev_io_get_thread(io), lvol_complete_msg, io) != 0)
		sio_bdev_io_complete(io, lio->rc);
}

static void lvol_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	if ((io->type == SIO_BDEV_IO_TYPE_READ || io->type == SIO_BDEV_IO_TYPE_WRITE) &&
	    lvol_direct(io->bdev->ctxt, ch, io, io->type == SIO_BDEV_IO_TYPE_WRITE))
		return;
	lvol_submit_blob(ch, io);
}

static bool lvol_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return true;
	default:
		return false;
	}
}

static struct sio_io_channel *lvol_get_io_channel(void *ctx)
{
	struct lvol *lv = ctx;

	return sio_bs_alloc_io_channel(lv->lvs->bs);
}

static void lvol_closed(void *arg, int rc)
{
	struct lvol *lv = arg;
	struct sio_bdev *bdev = &lv->bdev;

	if (rc != 0)
		SIO_ERRLOG("lvol %s: closing its blob failed: %d", lv->name, rc);
	free(lv);
	sio_bdev_destruct_done(bdev, 0);
}

static int lvol_destruct(void *ctx)
{
	struct lvol *lv = ctx;

	TAILQ_REMOVE(&lv->lvs->lvols, lv, link);
	if (sio_blob_close(lv->blob, lvol_closed, lv) != 0) {
		free(lv);
		return 0;
	}
	return 1;
}

static void lvol_dump_info(void *ctx, json_t *ds)
{
	struct lvol *lv = ctx;

	json_object_set_new(ds, "lvol", lvol_info_json(lv));
}

static const struct sio_bdev_fn_table lvol_fn_table = {
	.destruct = lvol_destruct,
	.submit_request = lvol_submit,
	.io_type_supported = lvol_io_type_supported,
	.get_io_channel = lvol_get_io_channel,
	.dump_info_json = lvol_dump_info,
	/* No write_config_json: lvstores and lvols come back by examine. */
};

json_t *lvol_info_json(struct lvol *lv)
{
	sio_blob_id parent = sio_blob_get_parent(lv->blob);

	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:{s:s, s:s}}",
			 "alias", lv->alias, "uuid", lv->uuid, "name", lv->name,
			 "is_thin_provisioned", sio_blob_is_thin(lv->blob),
			 "is_snapshot", sio_blob_is_snapshot(lv->blob),
			 "is_clone", parent != 0, "is_esnap_clone", 0, "is_degraded", 0,
			 "num_allocated_clusters",
			 (json_int_t)sio_blob_get_num_allocated_clusters(lv->blob),
			 "lvs", "name", lv->lvs->name, "uuid", lv->lvs->uuid);
}

static void gen_uuid(char out[37])
{
	uint8_t u[16];

	if (getrandom(u, sizeof(u), 0) != sizeof(u)) {
		uint64_t t = sio_get_ticks();

		memcpy(u, &t, 8);
		memcpy(u + 8, &t, 8);
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	sio_bdev_uuid_format(u, out);
}

/* Read a string xattr into @out (size @n); false if absent or too long. */
static bool xattr_str(struct sio_blob *b, const char *key, char *out, size_t n)
{
	const void *v;
	size_t len;

	if (sio_blob_get_xattr(b, key, &v, &len) != 0 || len == 0 || len >= n)
		return false;
	memcpy(out, v, len);
	out[len] = 0;
	return true;
}

/* Open blob @id and register it as an lvol bdev (its name/uuid from xattrs). */
static int lvol_register(struct lvs *lvs, sio_blob_id id, struct lvol **out)
{
	struct lvol *lv = calloc(1, sizeof(*lv));
	int rc;

	if (lv == NULL)
		return -ENOMEM;
	lv->lvs = lvs;
	rc = sio_blob_open_await(lvs->bs, id, &lv->blob);
	if (rc != 0) {
		free(lv);
		return rc;
	}
	if (!xattr_str(lv->blob, "name", lv->name, sizeof(lv->name)) ||
	    !xattr_str(lv->blob, "uuid", lv->uuid, sizeof(lv->uuid)) ||
	    sio_blob_get_num_io_units(lv->blob) == 0) {
		rc = -EINVAL;
		goto fail;
	}
	snprintf(lv->alias, sizeof(lv->alias), "%s/%s", lvs->name, lv->name);
	lv->bdev.name = lv->uuid;
	lv->bdev.product_name = "Logical Volume";
	lv->bdev.blocklen = sio_bs_get_io_unit_size(lvs->bs);
	lv->bdev.blockcnt = sio_blob_get_num_io_units(lv->blob);
	lv->bdev.optimal_io_boundary = (uint32_t)(sio_bs_get_cluster_size(lvs->bs) /
						  lv->bdev.blocklen);
	lv->bdev.split_on_optimal_io_boundary = true;
	lv->bdev.buf_align = sio_bdev_get_buf_align(lvs->base);
	/* Room for the base module's context: direct I/O hands the bdev_io itself to the base. */
	lv->bdev.io_ctx_size = sio_bdev_get_io_ctx_size(lvs->base);
	lv->bdev.write_cache = sio_bdev_has_write_cache(lvs->base);
	sio_bdev_uuid_parse(lv->uuid, lv->bdev.uuid);
	lv->bdev.ctxt = lv;
	lv->bdev.fn_table = &lvol_fn_table;
	lv->bdev.module = &sio_bdev_module_lvol;
	TAILQ_INSERT_TAIL(&lvs->lvols, lv, link);
	rc = sio_bdev_register(&lv->bdev);
	if (rc != 0) {
		TAILQ_REMOVE(&lvs->lvols, lv, link);
		goto fail;
	}
	rc = sio_bdev_alias_add(&lv->bdev, lv->alias);
	if (rc != 0)
		SIO_ERRLOG("lvol %s: alias %s: %d", lv->uuid, lv->alias, rc);
	if (out)
		*out = lv;
	return 0;
fail:
	sio_blob_close_await(lv->blob);
	free(lv);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                  */
/* ------------------------------------------------------------------------ */

struct lvs *lvs_by_name(const char *name)
{
	struct lvs *l;

	TAILQ_FOREACH(l, &g_lvstores, link) {
		if (name && strcmp(l->name, name) == 0)
			return l;
	}
	return NULL;
}

struct lvs *lvs_by_uuid(const char *uuid)
{
	struct lvs *l;

	TAILQ_FOREACH(l, &g_lvstores, link) {
		if (uuid && strcmp(l->uuid, uuid) == 0)
			return l;
	}
	return NULL;
}

const char *sio_lvs_find(const char *uuid)
{
	struct lvs *l = lvs_by_uuid(uuid);

	return l ? l->name : NULL;
}

struct lvol *lvol_by_name(const char *name)
{
	struct sio_bdev *b = name ? sio_bdev_get_by_name(name) : NULL;

	if (b == NULL || b->module != &sio_bdev_module_lvol)
		return NULL;
	return b->ctxt;
}

static struct lvol *lvol_in(struct lvs *lvs, const char *name)
{
	struct lvol *lv;

	TAILQ_FOREACH(lv, &lvs->lvols, link) {
		if (strcmp(lv->name, name) == 0)
			return lv;
	}
	return NULL;
}

static bool name_ok(const char *n)
{
	return n != NULL && n[0] != 0 && strlen(n) <= SIO_LVOL_NAME_MAX && strchr(n, '/') == NULL;
}

/* ------------------------------------------------------------------------ */
/* Lvstore load (examine) and create                                        */
/* ------------------------------------------------------------------------ */

static void lvs_base_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx);

static void lvs_free(struct lvs *lvs)
{
	free(lvs->base_name);
	free(lvs);
}

/* Open @bdev_name for writing and claim it; the blob device owns the descriptor. */
static int lvs_open_base(struct lvs *lvs, const char *bdev_name, struct sio_blob_dev **devp)
{
	struct sio_bdev_desc *desc;
	int rc;

	rc = sio_bdev_open(bdev_name, true, lvs_base_event, lvs, &desc);
	if (rc != 0)
		return rc == -EPERM ? -EBUSY : rc; /* claimed by a module (maybe us) */
	lvs->base = sio_bdev_desc_get_bdev(desc);
	rc = sio_bdev_module_claim_bdev(lvs->base, desc, &sio_bdev_module_lvol);
	if (rc != 0) {
		sio_bdev_close(desc);
		return rc == -EPERM ? -EBUSY : rc;
	}
	*devp = lvs_dev_create(desc);
	if (*devp == NULL) {
		sio_bdev_module_release_bdev(lvs->base);
		sio_bdev_close(desc);
		return -ENOMEM;
	}
	lvs->desc = desc;
	lvs->base_name = strdup(bdev_name);
	return lvs->base_name ? 0 : -ENOMEM;
}

struct collect {
	sio_blob_id ids[4096];
	uint32_t n;
};

static int collect_id(void *arg, sio_blob_id id)
{
	struct collect *c = arg;

	if (c->n < sizeof(c->ids) / sizeof(c->ids[0]))
		c->ids[c->n++] = id;
	return 0;
}

/* Load the lvstore on @bdev_name and register its lvols. */
static int lvs_load(const char *bdev_name)
{
	struct lvs *lvs = calloc(1, sizeof(*lvs));
	struct sio_blob_dev *dev = NULL;
	struct collect *c = NULL;
	int rc;

	if (lvs == NULL)
		return -ENOMEM;
	TAILQ_INIT(&lvs->lvols);
	rc = lvs_open_base(lvs, bdev_name, &dev);
	if (rc != 0) {
		lvs_free(lvs);
		return rc;
	}
	rc = sio_bs_load_await(dev, LVS_BSTYPE, &lvs->bs); /* dev is the store's from here */
	if (rc != 0) {
		lvs_free(lvs);
		return rc;
	}
	lvs->super_id = sio_bs_get_super(lvs->bs);
	rc = lvs->super_id ? sio_blob_open_await(lvs->bs, lvs->super_id, &lvs->super) : -EUCLEAN;
	if (rc != 0 || !xattr_str(lvs->super, "name", lvs->name, sizeof(lvs->name)) ||
	    !xattr_str(lvs->super, "uuid", lvs->uuid, sizeof(lvs->uuid))) {
		SIO_ERRLOG("lvstore on %s: no valid super blob", bdev_name);
		rc = rc ? rc : -EUCLEAN;
		goto unload;
	}
	if (lvs_by_name(lvs->name) || lvs_by_uuid(lvs->uuid)) {
		SIO_ERRLOG("lvstore %s on %s: name or UUID already present", lvs->name, bdev_name);
		rc = -EEXIST;
		goto unload;
	}
	TAILQ_INSERT_TAIL(&g_lvstores, lvs, link);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	sio_bs_iter(lvs->bs, collect_id, c);
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->ids[i] == lvs->super_id)
			continue;
		rc = lvol_register(lvs, c->ids[i], NULL);
		if (rc != 0)
			SIO_ERRLOG("lvstore %s: blob 0x%llx not registered: %d", lvs->name,
				   (unsigned long long)c->ids[i], rc);
	}
	free(c);
	SIO_NOTICELOG("lvstore %s (%s) found on %s", lvs->name, lvs->uuid, bdev_name);
	return 0;
unload:
	if (lvs->super)
		sio_blob_close_await(lvs->super);
	sio_bs_unload_await(lvs->bs);
	lvs_free(lvs);
	return rc;
}

struct examine_ctx {
	char *name;
};

static int examine_task(void *arg)
{
	char *name = arg;
	struct sio_bdev_desc *desc = NULL;
	struct sio_io_channel *ch = NULL;
	uint8_t *buf = NULL;
	struct sio_bdev *b;
	uint32_t bl;

	if (sio_bdev_open(name, false, lvs_base_event, NULL, &desc) != 0)
		goto done;
	b = sio_bdev_desc_get_bdev(desc);
	bl = sio_bdev_get_block_size(b);
	if (bl == 0 || 8192 % bl || sio_bdev_get_num_blocks(b) < 8192 / bl)
		goto done;
	ch = sio_bdev_desc_get_io_channel(desc);
	buf = sio_dma_malloc(8192, 4096);
	if (ch == NULL || buf == NULL ||
	    sio_bdev_read_blocks_await(desc, ch, buf, 0, 8192 / bl) != 0 ||
	    !sio_bs_probe(buf, 8192, LVS_BSTYPE))
		goto done;
	sio_io_channel_put(ch);
	ch = NULL;
	sio_bdev_close(desc);
	desc = NULL;
	lvs_load(name);
done:
	sio_dma_free(buf);
	if (ch)
		sio_io_channel_put(ch);
	if (desc)
		sio_bdev_close(desc);
	free(name);
	sio_bdev_module_examine_done(&sio_bdev_module_lvol);
	return 0;
}

/*
 * On by default, as in SPDK: a program (sio_tgt with a JSON config) finds its
 * lvstores again just by creating their base bdevs. The probe is an ordinary
 * read through a descriptor, so it counts in the base bdev's I/O statistics
 * like any other (SPDK counts its examine reads too); sio_lvol_set_examine(false)
 * is the opt-out for a program that never keeps lvstores.
 */
static bool g_examine_enabled = true;

void sio_lvol_set_examine(bool enable)
{
	g_examine_enabled = enable;
}

void lvol_examine(struct sio_bdev *bdev)
{
	char *name = g_examine_enabled ? strdup(sio_bdev_get_name(bdev)) : NULL;

	if (bdev->module == &sio_bdev_module_lvol || name == NULL ||
	    sio_bdev_get_claim_module(bdev) != NULL ||
	    sio_task_spawn(NULL, examine_task, name, NULL) != 0) {
		free(name);
		sio_bdev_module_examine_done(&sio_bdev_module_lvol);
	}
}

/* ------------------------------------------------------------------------ */
/* Operations (tasks on the app thread)                                     */
/* ------------------------------------------------------------------------ */

struct lvol_op {
	int (*fn)(struct lvol_op *op);
	sio_done_cb cb;
	void *cb_arg;
	char *a, *b;      /* string arguments */
	uint64_t n;
	bool flag;
	char *uuid_out;
};

static int op_task(void *arg)
{
	struct lvol_op *op = arg;
	int rc = op->fn(op);

	op->cb(op->cb_arg, rc);
	free(op->a);
	free(op->b);
	free(op);
	return 0;
}

static int op_start(int (*fn)(struct lvol_op *), const char *a, const char *b, uint64_t n,
		    bool flag, char *uuid_out, sio_done_cb cb, void *cb_arg)
{
	struct lvol_op *op;
	int rc;

	if (cb == NULL || a == NULL)
		return -EINVAL;
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return -ENOMEM;
	op->fn = fn;
	op->cb = cb;
	op->cb_arg = cb_arg;
	op->a = strdup(a);
	op->b = b ? strdup(b) : NULL;
	op->n = n;
	op->flag = flag;
	op->uuid_out = uuid_out;
	if (op->a == NULL || (b && op->b == NULL)) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = sio_task_spawn(NULL, op_task, op, NULL);
	if (rc == 0)
		return 0;
fail:
	free(op->a);
	free(op->b);
	free(op);
	return rc;
}

static int lvs_create_fn(struct lvol_op *op)
{
	struct lvs *lvs;
	struct sio_blob_dev *dev = NULL;
	struct sio_bs_opts o;
	struct sio_blob_opts bo;
	struct sio_blob_xattr x[2];
	int rc;

	if (!name_ok(op->b))
		return -EINVAL;
	if (lvs_by_name(op->b))
		return -EEXIST;
	lvs = calloc(1, sizeof(*lvs));
	if (lvs == NULL)
		return -ENOMEM;
	TAILQ_INIT(&lvs->lvols);
	snprintf(lvs->name, sizeof(lvs->name), "%s", op->b);
	gen_uuid(lvs->uuid);
	rc = lvs_open_base(lvs, op->a, &dev);
	if (rc != 0) {
		lvs_free(lvs);
		return rc == -ENODEV ? -ENOENT : rc;
	}
	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = op->n ? (uint32_t)op->n : LVS_DEFAULT_CLUSTER;
	memcpy(o.bstype, LVS_BSTYPE, strlen(LVS_BSTYPE));
	rc = sio_bs_init_await(dev, &o, &lvs->bs);
	if (rc != 0) {
		lvs_free(lvs);
		return rc;
	}
	x[0] = (struct sio_blob_xattr){"name", lvs->name, (uint16_t)strlen(lvs->name)};
	x[1] = (struct sio_blob_xattr){"uuid", lvs->uuid, 36};
	sio_blob_opts_init(&bo, sizeof(bo));
	bo.thin_provision = true;
	bo.xattrs = x;
	bo.xattr_count = 2;
	rc = sio_blob_create_await(lvs->bs, &bo, &lvs->super_id);
	if (rc == 0)
		rc = sio_bs_set_super_await(lvs->bs, lvs->super_id);
	if (rc == 0)
		rc = sio_blob_open_await(lvs->bs, lvs->super_id, &lvs->super);
	if (rc != 0) {
		sio_bs_destroy_await(lvs->bs);
		lvs_free(lvs);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g_lvstores, lvs, link);
	if (op->uuid_out)
		memcpy(op->uuid_out, lvs->uuid, 37);
	return 0;
}

int sio_lvs_create(const char *bdev_name, const char *lvs_name, uint32_t cluster_sz,
		   char *uuid_out, sio_done_cb cb, void *cb_arg)
{
	if (lvs_name == NULL)
		return -EINVAL;
	return op_start(lvs_create_fn, bdev_name, lvs_name, cluster_sz, false, uuid_out, cb,
			cb_arg);
}

/* Unregister every lvol of @lvs, one at a time (each leaves the list in its destruct). */
static int lvs_unregister_all(struct lvs *lvs)
{
	while (!TAILQ_EMPTY(&lvs->lvols)) {
		struct lvol *lv = TAILQ_FIRST(&lvs->lvols);
		int rc = SIO_AWAIT_CALL(sio_bdev_unregister, &lv->bdev);

		if (rc != 0)
			return rc;
		for (int i = 0; i < 1000 && TAILQ_FIRST(&lvs->lvols) == lv; i++)
			sio_yield();
		if (TAILQ_FIRST(&lvs->lvols) == lv)
			return -EBUSY;
	}
	return 0;
}

static int lvs_teardown(struct lvs *lvs, bool destroy)
{
	int rc;

	TAILQ_REMOVE(&g_lvstores, lvs, link);
	rc = lvs_unregister_all(lvs);
	if (rc != 0) {
		TAILQ_INSERT_TAIL(&g_lvstores, lvs, link);
		return rc;
	}
	if (lvs->super)
		sio_blob_close_await(lvs->super);
	lvs->super = NULL;
	rc = destroy ? sio_bs_destroy_await(lvs->bs) : sio_bs_unload_await(lvs->bs);
	lvs_free(lvs);
	return rc;
}

static int lvs_destroy_fn(struct lvol_op *op)
{
	struct lvs *lvs = lvs_by_name(op->a);

	if (lvs == NULL)
		lvs = lvs_by_uuid(op->a);
	if (lvs == NULL)
		return -ENOENT;
	return lvs_teardown(lvs, true);
}

int sio_lvs_destroy(const char *lvs_name, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvs_destroy_fn, lvs_name, NULL, 0, false, NULL, cb, cb_arg);
}

static int lvs_hot_remove_task(void *arg)
{
	struct lvs *lvs = arg;

	SIO_NOTICELOG("lvstore %s: base bdev removed", lvs->name);
	lvs_teardown(lvs, false);
	return 0;
}

static void lvs_base_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	struct lvs *lvs = ctx;

	if (type != SIO_BDEV_EVENT_REMOVE || lvs == NULL)
		return;
	/* Only a store still listed tears down; one being created or torn down already goes. */
	for (struct lvs *l = TAILQ_FIRST(&g_lvstores); l; l = TAILQ_NEXT(l, link)) {
		if (l == lvs) {
			sio_task_spawn(NULL, lvs_hot_remove_task, lvs, NULL);
			return;
		}
	}
}

static int lvs_rename_fn(struct lvol_op *op)
{
	struct lvs *lvs = lvs_by_name(op->a);
	struct lvol *lv;
	char old[SIO_LVOL_NAME_MAX + 1];
	int rc;

	if (lvs == NULL)
		return -ENOENT;
	if (!name_ok(op->b))
		return -EINVAL;
	if (strcmp(op->a, op->b) == 0)
		return 0;
	if (lvs_by_name(op->b))
		return -EEXIST;
	rc = sio_blob_set_xattr(lvs->super, "name", op->b, (uint16_t)strlen(op->b));
	if (rc == 0)
		rc = sio_blob_sync_md_await(lvs->super);
	if (rc != 0)
		return rc;
	snprintf(old, sizeof(old), "%s", lvs->name);
	snprintf(lvs->name, sizeof(lvs->name), "%s", op->b);
	TAILQ_FOREACH(lv, &lvs->lvols, link) {
		sio_bdev_alias_del(&lv->bdev, lv->alias);
		snprintf(lv->alias, sizeof(lv->alias), "%s/%s", lvs->name, lv->name);
		sio_bdev_alias_add(&lv->bdev, lv->alias);
	}
	return 0;
}

int sio_lvs_rename(const char *old_name, const char *new_name, sio_done_cb cb, void *cb_arg)
{
	if (new_name == NULL)
		return -EINVAL;
	return op_start(lvs_rename_fn, old_name, new_name, 0, false, NULL, cb, cb_arg);
}

static int lvs_grow_fn(struct lvol_op *op)
{
	struct lvs *lvs = lvs_by_name(op->a);

	if (lvs == NULL)
		lvs = lvs_by_uuid(op->a);
	if (lvs == NULL)
		return -ENOENT;
	sio_bs_get_dev(lvs->bs)->blockcnt = sio_bdev_get_num_blocks(lvs->base);
	return sio_bs_grow_await(lvs->bs);
}

int sio_lvs_grow(const char *lvs_name, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvs_grow_fn, lvs_name, NULL, 0, false, NULL, cb, cb_arg);
}

static uint64_t clusters_for(struct lvs *lvs, uint64_t bytes)
{
	uint64_t cs = sio_bs_get_cluster_size(lvs->bs);

	return (bytes + cs - 1) / cs;
}

static int lvol_new(struct lvs *lvs, const char *name, sio_blob_id id_from, uint64_t size,
		    bool thin, int kind, char *uuid_out)
{
	char uuid[37];
	struct sio_blob_xattr x[2];
	sio_blob_id id;
	int rc;

	if (!name_ok(name))
		return -EINVAL;
	if (lvol_in(lvs, name))
		return -EEXIST;
	gen_uuid(uuid);
	x[0] = (struct sio_blob_xattr){"name", name, (uint16_t)strlen(name)};
	x[1] = (struct sio_blob_xattr){"uuid", uuid, 36};
	if (kind == 0) {
		struct sio_blob_opts bo;

		if (size == 0)
			return -EINVAL;
		sio_blob_opts_init(&bo, sizeof(bo));
		bo.num_clusters = clusters_for(lvs, size);
		bo.thin_provision = thin;
		bo.xattrs = x;
		bo.xattr_count = 2;
		rc = sio_blob_create_await(lvs->bs, &bo, &id);
	} else if (kind == 1) {
		rc = sio_blob_snapshot_await(lvs->bs, id_from, x, 2, &id);
	} else {
		rc = sio_blob_clone_await(lvs->bs, id_from, x, 2, &id);
	}
	if (rc != 0)
		return rc;
	rc = lvol_register(lvs, id, NULL);
	if (rc != 0) {
		sio_blob_delete_await(lvs->bs, id);
		return rc;
	}
	if (uuid_out)
		memcpy(uuid_out, uuid, 37);
	return 0;
}

static int lvol_create_fn(struct lvol_op *op)
{
	struct lvs *lvs = lvs_by_name(op->a);

	if (lvs == NULL)
		lvs = lvs_by_uuid(op->a);
	if (lvs == NULL)
		return -ENOENT;
	return lvol_new(lvs, op->b, 0, op->n, op->flag, 0, op->uuid_out);
}

int sio_lvol_create(const char *lvs_name, const char *lvol_name, uint64_t size_bytes,
		    bool thin, char *uuid_out, sio_done_cb cb, void *cb_arg)
{
	if (lvol_name == NULL)
		return -EINVAL;
	return op_start(lvol_create_fn, lvs_name, lvol_name, size_bytes, thin, uuid_out, cb,
			cb_arg);
}

static int lvol_snapshot_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);

	if (lv == NULL)
		return -ENOENT;
	return lvol_new(lv->lvs, op->b, sio_blob_get_id(lv->blob), 0, false, 1, op->uuid_out);
}

int sio_lvol_snapshot(const char *name, const char *snap_name, char *uuid_out, sio_done_cb cb,
		      void *cb_arg)
{
	if (snap_name == NULL)
		return -EINVAL;
	return op_start(lvol_snapshot_fn, name, snap_name, 0, false, uuid_out, cb, cb_arg);
}

static int lvol_clone_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);

	if (lv == NULL)
		return -ENOENT;
	if (!sio_blob_is_read_only(lv->blob))
		return -EINVAL;
	return lvol_new(lv->lvs, op->b, sio_blob_get_id(lv->blob), 0, true, 2, op->uuid_out);
}

int sio_lvol_clone(const char *snap, const char *clone_name, char *uuid_out, sio_done_cb cb,
		   void *cb_arg)
{
	if (clone_name == NULL)
		return -EINVAL;
	return op_start(lvol_clone_fn, snap, clone_name, 0, false, uuid_out, cb, cb_arg);
}

static int lvol_delete_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);
	struct sio_blob_store *bs;
	sio_blob_id id;
	int rc;

	if (lv == NULL)
		return -ENOENT;
	bs = lv->lvs->bs;
	id = sio_blob_get_id(lv->blob);
	/* One clone takes the snapshot's clusters over (sio_blob_delete()); more cannot. */
	if (sio_bs_blob_clone_count(bs, id) > 1) {
		SIO_ERRLOG("lvol %s: a snapshot with %u clones cannot be deleted", lv->name,
			   sio_bs_blob_clone_count(bs, id));
		return -EBUSY;
	}
	rc = SIO_AWAIT_CALL(sio_bdev_unregister, &lv->bdev);
	if (rc != 0)
		return rc;
	/* The blob closes in destruct, by a message of its own: wait for it. */
	for (int i = 0; i < 1000; i++) {
		rc = sio_blob_delete_await(bs, id);
		if (rc != -EBUSY)
			break;
		sio_yield();
	}
	return rc;
}

int sio_lvol_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvol_delete_fn, name, NULL, 0, false, NULL, cb, cb_arg);
}

static int lvol_resize_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);
	int rc;

	if (lv == NULL)
		return -ENOENT;
	if (op->n == 0)
		return -EINVAL;
	rc = sio_blob_resize_await(lv->blob, clusters_for(lv->lvs, op->n));
	if (rc == 0)
		rc = sio_bdev_notify_blockcnt_change(&lv->bdev, sio_blob_get_num_io_units(lv->blob));
	return rc;
}

int sio_lvol_resize(const char *name, uint64_t size_bytes, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvol_resize_fn, name, NULL, size_bytes, false, NULL, cb, cb_arg);
}

static int lvol_inflate_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);

	if (lv == NULL)
		return -ENOENT;
	if (op->flag)
		return sio_blob_inflate_await(lv->lvs->bs, sio_blob_get_id(lv->blob));
	return sio_blob_decouple_parent_await(lv->lvs->bs, sio_blob_get_id(lv->blob));
}

int sio_lvol_inflate(const char *name, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvol_inflate_fn, name, NULL, 0, true, NULL, cb, cb_arg);
}

int sio_lvol_decouple_parent(const char *name, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvol_inflate_fn, name, NULL, 0, false, NULL, cb, cb_arg);
}

static int lvol_rename_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);
	int rc;

	if (lv == NULL)
		return -ENOENT;
	if (!name_ok(op->b))
		return -EINVAL;
	if (lvol_in(lv->lvs, op->b))
		return strcmp(lv->name, op->b) == 0 ? 0 : -EEXIST;
	if (sio_blob_is_read_only(lv->blob))
		return -EPERM;
	rc = sio_blob_set_xattr(lv->blob, "name", op->b, (uint16_t)strlen(op->b));
	if (rc == 0)
		rc = sio_blob_sync_md_await(lv->blob);
	if (rc != 0)
		return rc;
	sio_bdev_alias_del(&lv->bdev, lv->alias);
	snprintf(lv->name, sizeof(lv->name), "%s", op->b);
	snprintf(lv->alias, sizeof(lv->alias), "%s/%s", lv->lvs->name, lv->name);
	return sio_bdev_alias_add(&lv->bdev, lv->alias);
}

int sio_lvol_rename(const char *name, const char *new_name, sio_done_cb cb, void *cb_arg)
{
	if (new_name == NULL)
		return -EINVAL;
	return op_start(lvol_rename_fn, name, new_name, 0, false, NULL, cb, cb_arg);
}

static int lvol_ro_fn(struct lvol_op *op)
{
	struct lvol *lv = lvol_by_name(op->a);
	int rc;

	if (lv == NULL)
		return -ENOENT;
	rc = sio_blob_set_read_only(lv->blob);
	return rc ? rc : sio_blob_sync_md_await(lv->blob);
}

int sio_lvol_set_read_only(const char *name, sio_done_cb cb, void *cb_arg)
{
	return op_start(lvol_ro_fn, name, NULL, 0, false, NULL, cb, cb_arg);
}

/* ---- module ---- */

static void lvol_module_fini(void)
{
	sio_dma_free(g_zero_buf);
	g_zero_buf = NULL;
}

struct sio_bdev_module sio_bdev_module_lvol = {
	.name = "lvol",
	.module_fini = lvol_module_fini,
	.io_ctx_size = sizeof(struct lvol_io),
	.examine = lvol_examine,
};

/* ---- awaitable forms ---- */

int sio_lvs_create_await(const char *bdev_name, const char *lvs_name, uint32_t cluster_sz,
			 char *uuid_out)
{
	return SIO_AWAIT_CALL(sio_lvs_create, bdev_name, lvs_name, cluster_sz, uuid_out);
}

int sio_lvs_destroy_await(const char *lvs_name)
{
	return SIO_AWAIT_CALL(sio_lvs_destroy, lvs_name);
}

int sio_lvs_rename_await(const char *old_name, const char *new_name)
{
	return SIO_AWAIT_CALL(sio_lvs_rename, old_name, new_name);
}

int sio_lvs_grow_await(const char *lvs_name)
{
	return SIO_AWAIT_CALL(sio_lvs_grow, lvs_name);
}

int sio_lvol_create_await(const char *lvs_name, const char *lvol_name, uint64_t size_bytes,
			  bool thin, char *uuid_out)
{
	return SIO_AWAIT_CALL(sio_lvol_create, lvs_name, lvol_name, size_bytes, thin, uuid_out);
}

int sio_lvol_delete_await(const char *name)
{
	return SIO_AWAIT_CALL(sio_lvol_delete, name);
}

int sio_lvol_resize_await(const char *name, uint64_t size_bytes)
{
	return SIO_AWAIT_CALL(sio_lvol_resize, name, size_bytes);
}

int sio_lvol_snapshot_await(const char *name, const char *snap_name, char *uuid_out)
{
	return SIO_AWAIT_CALL(sio_lvol_snapshot, name, snap_name, uuid_out);
}

int sio_lvol_clone_await(const char *snap, const char *clone_name, char *uuid_out)
{
	return SIO_AWAIT_CALL(sio_lvol_clone, snap, clone_name, uuid_out);
}

int sio_lvol_inflate_await(const char *name)
{
	return SIO_AWAIT_CALL(sio_lvol_inflate, name);
}

int sio_lvol_decouple_parent_await(const char *name)
{
	return SIO_AWAIT_CALL(sio_lvol_decouple_parent, name);
}

int sio_lvol_rename_await(const char *name, const char *new_name)
{
	return SIO_AWAIT_CALL(sio_lvol_rename, name, new_name);
}

int sio_lvol_set_read_only_await(const char *name)
{
	return SIO_AWAIT_CALL(sio_lvol_set_read_only, name);
}
