/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev module (SPDK's bdev_nvme): NVMe controllers reached through
 * the host driver (spdk_io/nvme.h), each namespace a bdev "<name>n<nsid>",
 * one queue pair per thread and controller through the bdev channel, and
 * SPDK's reconnect policy: on a lost connection I/O waits while the
 * controller is reset every reconnect_delay_sec, fails once
 * fast_io_fail_timeout_sec have passed, and the controller (with its bdevs)
 * is deleted after ctrlr_loss_timeout_sec. Private to the module and its
 * RPC glue.
 */
#ifndef SIO_BDEV_NVME_H
#define SIO_BDEV_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "spdk_io/async.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/nvme.h"

extern struct sio_bdev_module sio_bdev_module_nvme;

/* What bdev_nvme_attach_controller asks for. */
struct bdev_nvme_attach_opts {
	const char *name;                      /* controller name: bdevs are <name>n<nsid> */
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts ctrlr_opts;
	int32_t ctrlr_loss_timeout_sec;        /* -1: retry for ever; 0: delete at the first failed reset */
	uint32_t reconnect_delay_sec;          /* between reset attempts (0: no retry) */
	uint32_t fast_io_fail_timeout_sec;     /* 0: I/O waits until the controller is deleted */
	uint32_t max_bdevs;                    /* names returned at most (0: no limit) */
};

/* Called once the controller is attached: the bdev names created (rc 0) or an error. */
typedef void (*bdev_nvme_attach_cb)(void *arg, int rc, const char *const *names, size_t count);

/* Context: the app thread. Return 0 (started: @cb runs once, later) or a negative errno. */
int bdev_nvme_attach(const struct bdev_nvme_attach_opts *opts, bdev_nvme_attach_cb cb, void *arg);

/* Detach controller @name (its bdevs are unregistered first). @trid: NULL, or only that path. */
int bdev_nvme_detach(const char *name, const struct sio_nvme_transport_id *trid, sio_done_cb cb,
		     void *arg);

/* Reset controller @name now. */
int bdev_nvme_reset(const char *name, sio_done_cb cb, void *arg);

/* bdev_nvme_get_controllers' array: every controller, or @name's (NULL if unknown). */
json_t *bdev_nvme_controllers_json(const char *name);

#endif /* SIO_BDEV_NVME_H */
