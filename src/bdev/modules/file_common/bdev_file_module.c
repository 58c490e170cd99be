/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lifecycle, channels, config output and RPC handlers of a bdev over a file,
 * shared by the aio and uring modules (see bdev_file_module.h).
 */
#include "bdev/modules/file_common/bdev_file_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/log.h"

static int channel_create(void *io_device, void *ctx_buf)
{
	struct bdev_file_disk *disk = io_device;
	struct bdev_file_channel *ch = ctx_buf;
	int rc;

	ch->disk = disk;
	rc = disk->ops->init(ch);
	if (rc != 0)
		return rc;
	ch->poller = sio_poller_register_named(disk->ops->poller_name, disk->ops->poll, ch, 0);
	if (ch->poller == NULL) {
		rc = -errno;
		disk->ops->fini(ch);
		return rc != 0 ? rc : -ENOMEM;
	}
	return 0;
}

static void channel_destroy(void *io_device, void *ctx_buf)
{
	struct bdev_file_channel *ch = ctx_buf;

	(void)io_device;
	/*
	 * The core puts a channel only when its I/O is done; should the kernel
	 * still hold some, wait for it so it never writes into freed buffers.
	 */
	ch->disk->ops->drain(ch);
	sio_poller_unregister(&ch->poller);
	ch->disk->ops->fini(ch);
}

void bdev_file_disk_free(struct bdev_file_disk *disk)
{
	bdev_file_close(&disk->file);
	free(disk->name);
	free(disk->filename);
	free(disk);
}

static void io_device_gone(void *io_device)
{
	struct bdev_file_disk *disk = io_device;

	sio_bdev_destruct_done(&disk->bdev, 0);
	bdev_file_disk_free(disk);
}

/* The io_device of a bdev that never registered is gone: free it. */
static void io_device_gone_unused(void *io_device)
{
	bdev_file_disk_free(io_device);
}

int bdev_file_disk_destruct(void *ctx)
{
	struct bdev_file_disk *disk = ctx;

	if (sio_io_device_unregister(disk, io_device_gone) != 0) {
		bdev_file_disk_free(disk);
		return 0;
	}
	return 1; /* finished in io_device_gone() */
}

bool bdev_file_io_type_supported(const struct bdev_file_disk *disk, enum sio_bdev_io_type type,
				 bool dealloc)
{
	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return true;
	case SIO_BDEV_IO_TYPE_WRITE:
		return !disk->file.readonly;
	case SIO_BDEV_IO_TYPE_UNMAP:
		return dealloc && disk->file.can_unmap;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return dealloc && disk->file.can_write_zeroes;
	default:
		return false;
	}
}

struct sio_io_channel *bdev_file_disk_get_io_channel(void *ctx)
{
	return sio_io_channel_get(ctx);
}

int bdev_file_disk_alloc(size_t size, const char *method, const char *name, const char *filename,
			 const char *uuid, unsigned int open_flags, uint32_t block_size,
			 const struct bdev_file_engine_ops *ops, struct bdev_file_disk **out,
			 char *err, size_t errlen)
{
	struct bdev_file_disk *disk;
	int rc;

	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "%s: a name is required", method);
		return -EINVAL;
	}
	if (filename == NULL || filename[0] == '\0') {
		snprintf(err, errlen, "%s: a filename is required", method);
		return -EINVAL;
	}
	disk = calloc(1, size);
	if (disk == NULL)
		return -ENOMEM;
	disk->file.fd = -1;
	disk->ops = ops;
	disk->name = strdup(name);
	disk->filename = strdup(filename);
	if (disk->name == NULL || disk->filename == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (uuid != NULL) {
		rc = sio_bdev_uuid_parse(uuid, disk->bdev.uuid);
		if (rc != 0) {
			snprintf(err, errlen, "bad uuid '%s'", uuid);
			goto fail;
		}
	}
	rc = bdev_file_open(&disk->file, filename, open_flags, block_size, err, errlen);
	if (rc != 0)
		goto fail;
	if (disk->file.notice[0] != '\0')
		SIO_NOTICELOG("%s", disk->file.notice);
	*out = disk;
	return 0;

fail:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s %s: %s", method, name, strerror(-rc));
	bdev_file_disk_free(disk);
	return rc;
}

int bdev_file_disk_register(struct bdev_file_disk *disk, const char *product_name,
			    const struct sio_bdev_fn_table *fn_table,
			    struct sio_bdev_module *module, struct sio_bdev **out, char *err,
			    size_t errlen)
{
	int rc;

	disk->bdev.name = disk->name;
	disk->bdev.product_name = product_name;
	disk->bdev.blocklen = disk->file.block_size;
	disk->bdev.blockcnt = disk->file.size / disk->file.block_size;
	disk->bdev.buf_align = disk->file.buf_align > 1 ? disk->file.buf_align : 0;
	disk->bdev.write_cache = !disk->file.direct;
	disk->bdev.ctxt = disk;
	disk->bdev.fn_table = fn_table;
	disk->bdev.module = module;

	rc = sio_io_device_register(disk, channel_create, channel_destroy, disk->ops->channel_size,
				    disk->name);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register io_device for %s: %s", disk->name,
			 strerror(-rc));
		bdev_file_disk_free(disk);
		return rc;
	}
	rc = sio_bdev_register(&disk->bdev);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register bdev %s: %s", disk->name,
			 rc == -EEXIST ? "name or uuid already in use" : strerror(-rc));
		/* No channel exists yet; the io_device goes shortly, then disk is freed. */
		sio_io_device_unregister(disk, io_device_gone_unused);
		return rc;
	}
	SIO_INFOLOG("%s bdev %s over %s: %u-byte blocks, %llu blocks, %s", module->name,
		    disk->name, disk->filename, disk->bdev.blocklen,
		    (unsigned long long)disk->bdev.blockcnt,
		    disk->file.direct ? "O_DIRECT" : "buffered");
	if (out != NULL)
		*out = &disk->bdev;
	return 0;
}

/* Add the members of @extra (consumed, may be NULL) to @obj; NULL when @obj is NULL. */
static json_t *json_merge(json_t *obj, json_t *extra)
{
	if (obj != NULL && extra != NULL)
		json_object_update(obj, extra);
	json_decref(extra);
	return obj;
}

void bdev_file_disk_dump_info(struct bdev_file_disk *disk, json_t *driver_specific,
			      const char *key, json_t *extra)
{
	json_t *info = json_merge(json_pack("{s:s}", "filename", disk->filename), extra);

	if (info == NULL)
		return;
	json_object_set_new(info, "o_direct", json_boolean(disk->file.direct));
	json_object_set_new(driver_specific, key, info);
}

void bdev_file_disk_write_config(struct bdev_file_disk *disk, json_t *config,
				 const char *method, json_t *extra)
{
	json_t *params = json_merge(json_pack("{s:s, s:s}", "name", disk->name, "filename",
					      disk->filename),
				    extra);
	char uuid[37];

	if (params == NULL)
		return;
	sio_bdev_uuid_format(disk->bdev.uuid, uuid);
	json_object_set_new(params, "uuid", json_string(uuid));
	sio_rpc_config_append(config, method, params);
}

int bdev_file_disk_delete(const char *name, struct sio_bdev_module *module, sio_done_cb cb,
			  void *cb_arg)
{
	if (name == NULL)
		return -EINVAL;
	return sio_bdev_unregister_by_name(name, module, cb, cb_arg);
}

int bdev_file_disk_rescan(const char *name, struct sio_bdev_module *module)
{
	struct sio_bdev *bdev = name != NULL ? sio_bdev_get_by_name(name) : NULL;
	struct bdev_file_disk *disk;
	uint64_t size;
	int rc;

	if (bdev == NULL || bdev->module != module)
		return -ENODEV;
	disk = bdev->ctxt;
	rc = bdev_file_get_size(&disk->file, &size);
	if (rc != 0)
		return rc;
	if (size / bdev->blocklen == bdev->blockcnt)
		return 0;
	return sio_bdev_notify_blockcnt_change(bdev, size / bdev->blocklen);
}
