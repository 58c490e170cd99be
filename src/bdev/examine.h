/* SPDX-License-Identifier: BSD-3-Clause */
/* Examine (examine.c): the core's side of sio_bdev_module.examine. */
#ifndef SIO_BDEV_EXAMINE_H
#define SIO_BDEV_EXAMINE_H

#include "spdk_io/bdev_module.h"

/* Schedule every module's examine() of @bdev, just registered (a message to this thread). */
void bdev_examine_new(struct sio_bdev *bdev);

#endif /* SIO_BDEV_EXAMINE_H */
