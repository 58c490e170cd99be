/* SPDX-License-Identifier: BSD-3-Clause */
/* The lvol module's private structures (lvol.c, lvol_rpc.c). */
#ifndef SIO_BDEV_LVOL_INTERNAL_H
#define SIO_BDEV_LVOL_INTERNAL_H

#include <jansson.h>
#include <sys/queue.h>

#include "spdk_io/bdev.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/blob.h"
#include "spdk_io/lvol.h"

struct lvs;

struct lvol {
	struct sio_bdev bdev;           /* ctxt points back here; name = uuid */
	struct lvs *lvs;
	struct sio_blob *blob;          /* open while the bdev lives */
	char name[SIO_LVOL_NAME_MAX + 1];
	char uuid[37];
	char alias[2 * SIO_LVOL_NAME_MAX + 2];
	TAILQ_ENTRY(lvol) link;
};

struct lvs {
	char name[SIO_LVOL_NAME_MAX + 1];
	char uuid[37];
	char *base_name;
	struct sio_bdev *base;          /* claimed; its descriptor belongs to the blob device */
	struct sio_bdev_desc *desc;     /* that descriptor: the lvols' direct I/O goes through it */
	struct sio_blob_store *bs;
	sio_blob_id super_id;           /* holds the "name" and "uuid" xattrs */
	struct sio_blob *super;
	TAILQ_HEAD(, lvol) lvols;
	TAILQ_ENTRY(lvs) link;
};

TAILQ_HEAD(lvs_list, lvs);
/* Every loaded lvstore; app thread only. */
extern struct lvs_list g_lvstores;
extern struct sio_bdev_module sio_bdev_module_lvol;

struct lvs *lvs_by_name(const char *name);
struct lvs *lvs_by_uuid(const char *uuid);
struct lvol *lvol_by_name(const char *name);
json_t *lvol_info_json(struct lvol *lv);
void lvol_examine(struct sio_bdev *bdev);

#endif /* SIO_BDEV_LVOL_INTERNAL_H */
