/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev module: each attached controller is an io_device whose
 * per-thread channel owns one I/O queue pair; every namespace is a bdev
 * "<name>n<nsid>" submitting through that channel. Controllers live on the
 * app thread (the host driver's owning thread for their admin queue).
 *
 * Lost connections: the host driver reports FAILED; the module resets the
 * controller, again every reconnect_delay_sec while it fails, and deletes
 * it once ctrlr_loss_timeout_sec have passed (SPDK's semantics; -1 never).
 * I/O cut off by the failure (completed by the driver with -ECONNRESET or
 * -ENXIO, never acknowledged) and I/O submitted meanwhile wait in the
 * channel and are submitted again after the reconnection; once
 * fast_io_fail_timeout_sec have passed they fail with -EIO instead. Nothing
 * the controller acknowledged is lost; nothing is retried that it completed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "bdev/modules/nvme/bdev_nvme.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                        \
	for ((var) = TAILQ_FIRST((head));                                  \
	     (var) && ((tvar) = TAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif

/* How often a channel looks at its waiting I/O and its queue pair. */
#define CHANNEL_POLL_US 1000

struct nvme_bdev;

/* One attached controller (one path; the name is what RPCs use). */
struct nvme_ctrlr_entry {
	char name[64];
	struct bdev_nvme_attach_opts opts;     /* name pointer unused; trid and ctrlr_opts copied */
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_thread *thread;             /* where it was attached: the app thread */
	int io_device;                         /* our io_device address */
	bool io_device_registered;
	/* Read by channels on other threads: plain flags, written here only. */
	volatile bool failed;                  /* connection down, reset pending or failing */
	volatile bool fast_io_fail;            /* waiting I/O fails instead of waiting */
	volatile bool deleting;
	bool resetting;
	uint64_t loss_start_tick;
	struct sio_poller *reconnect_poller;
	TAILQ_HEAD(, nvme_bdev) bdevs;
	uint32_t nbdevs;
	/* attach */
	bdev_nvme_attach_cb attach_cb;
	void *attach_arg;
	/* detach */
	sio_done_cb detach_cb;
	void *detach_arg;
	uint32_t unregistering;
	TAILQ_ENTRY(nvme_ctrlr_entry) link;
};

struct nvme_bdev {
	struct sio_bdev bdev;
	struct nvme_ctrlr_entry *ce;
	struct sio_nvme_ns *ns;
	uint32_t nsid;
	char name[80];
	TAILQ_ENTRY(nvme_bdev) link;
};

/* Per thread and controller. */
struct nvme_channel {
	struct nvme_ctrlr_entry *ce;
	struct sio_nvme_qpair *qp;
	bool qp_connecting;
	bool destroyed;
	struct sio_bdev_io *wait_head, *wait_tail; /* I/O waiting for the connection */
	struct sio_poller *poller;
	uint64_t waiting;
};

/* The module's part of every bdev_io. */
struct nvme_io_ctx {
	struct nvme_channel *nch;
	int rc;               /* an error to complete with from a message */
};

static inline struct nvme_io_ctx *io_ctx(struct sio_bdev_io *io)
{
	return sio_bdev_io_driver_ctx(io);
}

static TAILQ_HEAD(, nvme_ctrlr_entry) g_ctrlrs = TAILQ_HEAD_INITIALIZER(g_ctrlrs);

static struct nvme_ctrlr_entry *ce_find(const char *name)
{
	struct nvme_ctrlr_entry *ce;

	TAILQ_FOREACH(ce, &g_ctrlrs, link)
		if (strcmp(ce->name, name) == 0)
			return ce;
	return NULL;
}

static struct nvme_ctrlr_entry *ce_from_io_device(void *io_device)
{
	return (struct nvme_ctrlr_entry *)((char *)io_device - offsetof(struct nvme_ctrlr_entry, io_device));
}

/* ---- I/O ---- */

static int submit_io(struct nvme_channel *nch, struct sio_bdev_io *io);

static void wait_push(struct nvme_channel *nch, struct sio_bdev_io *io)
{
	io->module_link = NULL;
	if (nch->wait_tail != NULL)
		nch->wait_tail->module_link = io;
	else
		nch->wait_head = io;
	nch->wait_tail = io;
	nch->waiting++;
}

/* Path errors: the command did not reach a controller that answered it. */
static bool is_path_error(int rc, const struct sio_nvme_cpl *cpl)
{
	if (rc == -ECONNRESET || rc == -ENXIO || rc == -ENOTCONN)
		return true;
	return cpl != NULL && cpl->status.sct == SIO_NVME_SCT_PATH && !cpl->status.dnr;
}

static void io_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_bdev_io *io = arg;
	struct nvme_channel *nch = io_ctx(io)->nch;

	if (rc != 0 && is_path_error(rc, cpl) && !nch->destroyed) {
		struct nvme_ctrlr_entry *ce = nch->ce;

		if (ce->deleting) {
			rc = -ENODEV;
		} else if (ce->fast_io_fail) {
			rc = -EIO;
		} else {
			/* Not acknowledged: submit it again once the path is back. */
			wait_push(nch, io);
			return;
		}
	}
	sio_bdev_io_complete(io, rc);
}

static int submit_io(struct nvme_channel *nch, struct sio_bdev_io *io)
{
	struct nvme_bdev *nb = io->bdev->ctxt;
	struct sio_nvme_ns *ns = nb->ns;
	uint32_t n = (uint32_t)io->num_blocks;

	io_ctx(io)->nch = nch;
	if (nch->qp == NULL)
		return -ENXIO;
	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
		return sio_nvme_ns_readv(ns, nch->qp, io->iovs, io->iovcnt, io->offset_blocks, n, 0,
					 io_done, io);
	case SIO_BDEV_IO_TYPE_WRITE:
		return sio_nvme_ns_writev(ns, nch->qp, io->iovs, io->iovcnt, io->offset_blocks, n, 0,
					  io_done, io);
	case SIO_BDEV_IO_TYPE_COMPARE: {
		/* Compare takes one buffer in the driver; the bdev layer bounces to one. */
		if (io->iovcnt != 1)
			return -EINVAL;
		return sio_nvme_ns_compare(ns, nch->qp, io->iovs[0].iov_base, io->offset_blocks, n, 0,
					   io_done, io);
	}
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return sio_nvme_ns_write_zeroes(ns, nch->qp, io->offset_blocks, n, 0, io_done, io);
	case SIO_BDEV_IO_TYPE_UNMAP:
		return sio_nvme_ns_deallocate(ns, nch->qp, io->offset_blocks, n, io_done, io);
	case SIO_BDEV_IO_TYPE_FLUSH:
		return sio_nvme_ns_flush(ns, nch->qp, io_done, io);
	default:
		return -ENOTSUP;
	}
}

static void fail_msg(void *arg)
{
	struct sio_bdev_io *io = arg;

	sio_bdev_io_complete(io, io_ctx(io)->rc);
}

static void nvme_submit_request(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct nvme_channel *nch = *(struct nvme_channel **)sio_io_channel_get_ctx(ch);
	int rc;

	io_ctx(io)->nch = nch;
	if (io->type == SIO_BDEV_IO_TYPE_RESET) {
		/* The core froze the bdev; a controller reset is the module's part. */
		wait_push(nch, io);
		return;
	}
	/* Waiting I/O goes first: order is kept across a reconnection. */
	rc = nch->wait_head != NULL ? -EAGAIN : submit_io(nch, io);
	if (rc == 0)
		return;
	if (rc == -EAGAIN || rc == -ENXIO || rc == -ENOMEM) {
		/* A lost path or a full request pool: the channel poller resubmits. */
		wait_push(nch, io);
		return;
	}
	/* Refused for good: complete from a message, never inside this call. */
	io_ctx(io)->rc = rc;
	if (sio_thread_send_msg(sio_bdev_io_get_thread(io), fail_msg, io) != 0)
		wait_push(nch, io);
}

static void qp_ready(void *arg, int rc, struct sio_nvme_qpair *qp)
{
	struct nvme_channel *nch = arg;

	nch->qp_connecting = false;
	if (nch->destroyed) {
		if (rc == 0)
			sio_nvme_qpair_free(qp);
		free(nch);  /* the channel went while we connected: ours to free */
		return;
	}
	if (rc == 0)
		nch->qp = qp;
}

static void reset_io_done(void *arg, int rc)
{
	sio_bdev_io_complete(arg, rc);
}

/* Resubmits waiting I/O (in order) when the path is up; fails it when told to. */
static int channel_poll(void *arg)
{
	struct nvme_channel *nch = arg;
	struct nvme_ctrlr_entry *ce = nch->ce;
	struct sio_bdev_io *io;
	int busy = 0;

	if (nch->qp == NULL && !nch->qp_connecting && !ce->failed && !ce->deleting) {
		struct sio_nvme_io_qpair_opts o;

		sio_nvme_io_qpair_opts_init(&o, sizeof(o));
		nch->qp_connecting = sio_nvme_ctrlr_alloc_io_qpair(ce->ctrlr, &o, qp_ready, nch) == 0;
	}
	while ((io = nch->wait_head) != NULL) {
		int rc;

		if (io->type == SIO_BDEV_IO_TYPE_RESET) {
			nch->wait_head = io->module_link;
			if (nch->wait_head == NULL)
				nch->wait_tail = NULL;
			nch->waiting--;
			if (bdev_nvme_reset(ce->name, reset_io_done, io) != 0)
				sio_bdev_io_complete(io, -EBUSY);
			busy = 1;
			continue;
		}
		if (ce->deleting || ce->fast_io_fail) {
			rc = ce->deleting ? -ENODEV : -EIO;
		} else if (ce->failed || nch->qp == NULL) {
			break;
		} else {
			rc = submit_io(nch, io);
			if (rc == -ENOMEM || rc == -ENXIO)
				break; /* try again at the next poll */
		}
		nch->wait_head = io->module_link;
		if (nch->wait_head == NULL)
			nch->wait_tail = NULL;
		nch->waiting--;
		busy = 1;
		if (rc != 0)
			sio_bdev_io_complete(io, rc);
	}
	return busy;
}

static int channel_create(void *io_device, void *ctx_buf)
{
	struct nvme_channel *nch;
	struct sio_nvme_io_qpair_opts o;

	/* Heap, not the channel's buffer: a queue pair still connecting when the
	 * channel goes must find its channel alive (qp_ready frees it then). */
	nch = calloc(1, sizeof(*nch));
	if (nch == NULL)
		return -ENOMEM;
	nch->ce = ce_from_io_device(io_device);
	nch->poller = sio_poller_register_named("bdev_nvme_ch", channel_poll, nch, CHANNEL_POLL_US);
	if (nch->poller == NULL) {
		free(nch);
		return -ENOMEM;
	}
	sio_nvme_io_qpair_opts_init(&o, sizeof(o));
	/* The queue pair connects in the background; I/O waits in the channel meanwhile. */
	if (!nch->ce->failed)
		nch->qp_connecting = sio_nvme_ctrlr_alloc_io_qpair(nch->ce->ctrlr, &o, qp_ready,
								   nch) == 0;
	*(struct nvme_channel **)ctx_buf = nch;
	return 0;
}

static void channel_destroy(void *io_device, void *ctx_buf)
{
	struct nvme_channel *nch = *(struct nvme_channel **)ctx_buf;
	struct sio_bdev_io *io;

	sio_poller_unregister(&nch->poller);
	nch->destroyed = true;
	while ((io = nch->wait_head) != NULL) {
		nch->wait_head = io->module_link;
		sio_bdev_io_complete(io, -ENODEV);
	}
	nch->wait_tail = NULL;
	if (nch->qp != NULL) {
		sio_nvme_qpair_free(nch->qp); /* completes what it holds with -ECANCELED */
		nch->qp = NULL;
	}
	if (!nch->qp_connecting)
		free(nch);
}

/* ---- bdevs ---- */

static int nvme_bdev_destruct(void *ctx)
{
	struct nvme_bdev *nb = ctx;
	struct nvme_ctrlr_entry *ce = nb->ce;

	TAILQ_REMOVE(&ce->bdevs, nb, link);
	ce->nbdevs--;
	free(nb);
	return 0;
}

static bool nvme_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct nvme_bdev *nb = ctx;
	const struct sio_nvme_ctrlr_data *cd = sio_nvme_ctrlr_get_data(nb->ce->ctrlr);

	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return true;
	case SIO_BDEV_IO_TYPE_COMPARE:
		return cd->oncs & SIO_NVME_ONCS_COMPARE;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return cd->oncs & SIO_NVME_ONCS_WRITE_ZEROES;
	case SIO_BDEV_IO_TYPE_UNMAP:
		return cd->oncs & SIO_NVME_ONCS_DSM;
	default:
		return false;
	}
}

static struct sio_io_channel *nvme_get_io_channel(void *ctx)
{
	struct nvme_bdev *nb = ctx;

	return sio_io_channel_get(&nb->ce->io_device);
}

static void trid_json(json_t *o, const struct sio_nvme_transport_id *t)
{
	json_object_set_new(o, "trtype", json_string(sio_nvme_transport_type_str(t->trtype)));
	if (sio_nvme_adrfam_str(t->adrfam) != NULL)
		json_object_set_new(o, "adrfam", json_string(sio_nvme_adrfam_str(t->adrfam)));
	json_object_set_new(o, "traddr", json_string(t->traddr));
	if (t->trsvcid[0])
		json_object_set_new(o, "trsvcid", json_string(t->trsvcid));
	if (t->subnqn[0])
		json_object_set_new(o, "subnqn", json_string(t->subnqn));
}

static void nvme_dump_info(void *ctx, json_t *driver_specific)
{
	struct nvme_bdev *nb = ctx;
	const struct sio_nvme_ctrlr_data *cd = sio_nvme_ctrlr_get_data(nb->ce->ctrlr);
	json_t *arr = json_array(), *o = json_object(), *t = json_object(), *c = json_object();
	char s[64];

	trid_json(t, &nb->ce->opts.trid);
	json_object_set_new(o, "trid", t);
	snprintf(s, sizeof(s), "%.40s", cd->mn);
	json_object_set_new(c, "model_number", json_string(s));
	snprintf(s, sizeof(s), "%.20s", cd->sn);
	json_object_set_new(c, "serial_number", json_string(s));
	snprintf(s, sizeof(s), "%.8s", cd->fr);
	json_object_set_new(c, "firmware_revision", json_string(s));
	json_object_set_new(c, "subnqn", json_string(cd->subnqn));
	json_object_set_new(c, "cntlid", json_integer(sio_nvme_ctrlr_get_cntlid(nb->ce->ctrlr)));
	json_object_set_new(o, "ctrlr_data", c);
	json_object_set_new(o, "ns_data", json_pack("{s:i}", "id", nb->nsid));
	json_array_append_new(arr, o);
	json_object_set_new(driver_specific, "nvme", arr);
}

static const struct sio_bdev_fn_table g_nvme_fn_table = {
	.destruct = nvme_bdev_destruct,
	.submit_request = nvme_submit_request,
	.io_type_supported = nvme_io_type_supported,
	.get_io_channel = nvme_get_io_channel,
	.dump_info_json = nvme_dump_info,
	/* save_config replays the attach (module config_json), not each bdev. */
};

static int bdev_create(struct nvme_ctrlr_entry *ce, uint32_t nsid)
{
	struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(ce->ctrlr, nsid);
	struct nvme_bdev *nb;
	const uint8_t *uuid;
	int rc;

	nb = calloc(1, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	nb->ce = ce;
	nb->ns = ns;
	nb->nsid = nsid;
	snprintf(nb->name, sizeof(nb->name), "%sn%u", ce->name, nsid);
	nb->bdev.name = nb->name;
	nb->bdev.product_name = "NVMe disk";
	nb->bdev.blocklen = sio_nvme_ns_get_sector_size(ns);
	nb->bdev.blockcnt = sio_nvme_ns_get_num_sectors(ns);
	nb->bdev.max_transfer_blocks = sio_nvme_ns_get_max_io_xfer_size(ns) / nb->bdev.blocklen;
	nb->bdev.write_cache = sio_nvme_ctrlr_get_data(ce->ctrlr)->vwc & SIO_NVME_VWC_PRESENT;
	uuid = sio_nvme_ns_get_uuid(ns);
	if (uuid != NULL)
		memcpy(nb->bdev.uuid, uuid, 16);
	nb->bdev.ctxt = nb;
	nb->bdev.fn_table = &g_nvme_fn_table;
	nb->bdev.module = &sio_bdev_module_nvme;
	TAILQ_INSERT_TAIL(&ce->bdevs, nb, link);
	ce->nbdevs++;
	rc = sio_bdev_register(&nb->bdev);
	if (rc != 0) {
		TAILQ_REMOVE(&ce->bdevs, nb, link);
		ce->nbdevs--;
		free(nb);
	}
	return rc;
}

static struct nvme_bdev *bdev_find(struct nvme_ctrlr_entry *ce, uint32_t nsid)
{
	struct nvme_bdev *nb;

	TAILQ_FOREACH(nb, &ce->bdevs, link)
		if (nb->nsid == nsid)
			return nb;
	return NULL;
}

/* Namespaces came or went: bdevs follow. */
static void sync_namespaces(struct nvme_ctrlr_entry *ce)
{
	struct nvme_bdev *nb, *tmp;

	TAILQ_FOREACH_SAFE(nb, &ce->bdevs, link, tmp) {
		if (!sio_nvme_ns_is_active(nb->ns)) {
			SIO_NOTICELOG("bdev_nvme: %s: namespace %u is gone", ce->name, nb->nsid);
			sio_bdev_unregister(&nb->bdev, NULL, NULL);
		} else if (sio_nvme_ns_get_num_sectors(nb->ns) != nb->bdev.blockcnt) {
			sio_bdev_notify_blockcnt_change(&nb->bdev, sio_nvme_ns_get_num_sectors(nb->ns));
		}
	}
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(ce->ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(ce->ctrlr, id))
		if (bdev_find(ce, id) == NULL && bdev_create(ce, id) == 0)
			SIO_NOTICELOG("bdev_nvme: %s: namespace %u added", ce->name, id);
}

/* ---- controller life ---- */

static void ce_delete(struct nvme_ctrlr_entry *ce);

static uint64_t secs_since(uint64_t tick)
{
	return (sio_get_ticks() - tick) / sio_get_ticks_hz();
}

static void reset_done(void *arg, int rc);

static int reconnect_poll(void *arg)
{
	struct nvme_ctrlr_entry *ce = arg;

	sio_poller_unregister(&ce->reconnect_poller);
	if (ce->deleting || ce->resetting)
		return 1;
	ce->resetting = true;
	if (sio_nvme_ctrlr_reset(ce->ctrlr, reset_done, ce) != 0)
		reset_done(ce, -EBUSY);
	return 1;
}

static void reset_done(void *arg, int rc)
{
	struct nvme_ctrlr_entry *ce = arg;
	uint64_t lost;

	ce->resetting = false;
	if (ce->deleting)
		return;
	if (rc == 0) {
		SIO_NOTICELOG("bdev_nvme: %s reconnected", ce->name);
		ce->loss_start_tick = 0;
		ce->fast_io_fail = false;
		ce->failed = false;
		sync_namespaces(ce);
		return;
	}
	lost = secs_since(ce->loss_start_tick);
	if (ce->opts.fast_io_fail_timeout_sec != 0 && lost >= ce->opts.fast_io_fail_timeout_sec &&
	    !ce->fast_io_fail) {
		SIO_NOTICELOG("bdev_nvme: %s: fast_io_fail_timeout_sec passed: waiting I/O fails", ce->name);
		ce->fast_io_fail = true;
	}
	if (ce->opts.ctrlr_loss_timeout_sec != -1 &&
	    (ce->opts.ctrlr_loss_timeout_sec == 0 || ce->opts.reconnect_delay_sec == 0 ||
	     lost >= (uint64_t)ce->opts.ctrlr_loss_timeout_sec)) {
		SIO_ERRLOG("bdev_nvme: %s: controller lost (reset: %d): deleting it", ce->name, rc);
		ce_delete(ce);
		return;
	}
	ce->reconnect_poller = sio_poller_register_named("bdev_nvme_reconnect", reconnect_poll, ce,
							 (uint64_t)(ce->opts.reconnect_delay_sec ?
								    ce->opts.reconnect_delay_sec : 1) * 1000000);
}

static void ctrlr_event(void *arg, struct sio_nvme_ctrlr *ctrlr, enum sio_nvme_ctrlr_event ev,
			const struct sio_nvme_cpl *cpl)
{
	struct nvme_ctrlr_entry *ce = arg;

	switch (ev) {
	case SIO_NVME_CTRLR_EVENT_NS_CHANGED:
		if (!ce->deleting)
			sync_namespaces(ce);
		break;
	case SIO_NVME_CTRLR_EVENT_FAILED:
		if (ce->deleting || ce->resetting)
			break;
		SIO_WARNLOG("bdev_nvme: %s: connection lost, reconnecting", ce->name);
		ce->failed = true;
		if (ce->loss_start_tick == 0)
			ce->loss_start_tick = sio_get_ticks();
		ce->resetting = true;
		if (sio_nvme_ctrlr_reset(ce->ctrlr, reset_done, ce) != 0)
			reset_done(ce, -EBUSY);
		break;
	default:
		break;
	}
}

static void ce_free(struct nvme_ctrlr_entry *ce)
{
	sio_done_cb cb = ce->detach_cb;
	void *arg = ce->detach_arg;

	TAILQ_REMOVE(&g_ctrlrs, ce, link);
	free(ce);
	if (cb != NULL)
		cb(arg, 0);
}

static void ctrlr_detached(void *arg, int rc)
{
	ce_free(arg);
}

static void io_device_gone(void *io_device)
{
	struct nvme_ctrlr_entry *ce = ce_from_io_device(io_device);

	if (ce->ctrlr == NULL || sio_nvme_ctrlr_detach(ce->ctrlr, ctrlr_detached, ce) != 0)
		ce_free(ce);
}

static void bdev_unregistered(void *arg, int rc)
{
	struct nvme_ctrlr_entry *ce = arg;

	if (--ce->unregistering != 0)
		return;
	if (ce->io_device_registered)
		sio_io_device_unregister(&ce->io_device, io_device_gone);
	else
		io_device_gone(&ce->io_device);
}

/* Bdevs first (the core waits for their channels), then our io_device, then the controller. */
static void ce_delete(struct nvme_ctrlr_entry *ce)
{
	struct nvme_bdev *nb, *tmp;

	if (ce->deleting)
		return;
	ce->deleting = true;
	sio_poller_unregister(&ce->reconnect_poller);
	if (ce->ctrlr != NULL)
		sio_nvme_ctrlr_set_event_cb(ce->ctrlr, NULL, NULL);
	ce->unregistering = 1;
	TAILQ_FOREACH_SAFE(nb, &ce->bdevs, link, tmp) {
		ce->unregistering++;
		if (sio_bdev_unregister(&nb->bdev, bdev_unregistered, ce) != 0)
			ce->unregistering--;
	}
	bdev_unregistered(ce, 0);
}

static void attach_connected(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_entry *ce = arg;
	const char **names = NULL;
	struct nvme_bdev *nb;
	size_t n = 0;

	if (rc != 0) {
		ce->attach_cb(ce->attach_arg, rc, NULL, 0);
		TAILQ_REMOVE(&g_ctrlrs, ce, link);
		free(ce);
		return;
	}
	ce->ctrlr = ctrlr;
	sio_nvme_ctrlr_set_event_cb(ctrlr, ctrlr_event, ce);
	rc = sio_io_device_register(&ce->io_device, channel_create, channel_destroy,
				    sizeof(struct nvme_channel *), ce->name);
	if (rc != 0) {
		ce->attach_cb(ce->attach_arg, rc, NULL, 0);
		ce_delete(ce);
		return;
	}
	ce->io_device_registered = true;
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(ctrlr, id)) {
		rc = bdev_create(ce, id);
		if (rc != 0)
			SIO_ERRLOG("bdev_nvme: %s: namespace %u: bdev not created: %d", ce->name, id, rc);
	}
	names = calloc(ce->nbdevs + 1, sizeof(*names));
	TAILQ_FOREACH(nb, &ce->bdevs, link) {
		if (names == NULL || (ce->opts.max_bdevs != 0 && n >= ce->opts.max_bdevs))
			break;
		names[n++] = nb->name;
	}
	ce->attach_cb(ce->attach_arg, 0, names, n);
	free(names);
}

int bdev_nvme_attach(const struct bdev_nvme_attach_opts *opts, bdev_nvme_attach_cb cb, void *arg)
{
	struct nvme_ctrlr_entry *ce;
	int rc;

	if (opts == NULL || opts->name == NULL || opts->name[0] == '\0' || cb == NULL ||
	    strlen(opts->name) >= sizeof(ce->name))
		return -EINVAL;
	if (opts->ctrlr_loss_timeout_sec < -1)
		return -EINVAL;
	/* SPDK's rules tying the three timeouts together. */
	if (opts->ctrlr_loss_timeout_sec != 0 && opts->reconnect_delay_sec == 0)
		return -EINVAL;
	if (opts->ctrlr_loss_timeout_sec > 0 &&
	    (opts->reconnect_delay_sec > (uint32_t)opts->ctrlr_loss_timeout_sec ||
	     opts->fast_io_fail_timeout_sec > (uint32_t)opts->ctrlr_loss_timeout_sec))
		return -EINVAL;
	if (ce_find(opts->name) != NULL)
		return -EEXIST;
	ce = calloc(1, sizeof(*ce));
	if (ce == NULL)
		return -ENOMEM;
	snprintf(ce->name, sizeof(ce->name), "%s", opts->name);
	ce->opts = *opts;
	ce->opts.name = ce->name;
	ce->thread = sio_thread_get_current();
	ce->attach_cb = cb;
	ce->attach_arg = arg;
	TAILQ_INIT(&ce->bdevs);
	TAILQ_INSERT_TAIL(&g_ctrlrs, ce, link);
	rc = sio_nvme_ctrlr_connect(&ce->opts.trid, &ce->opts.ctrlr_opts, attach_connected, ce);
	if (rc != 0) {
		TAILQ_REMOVE(&g_ctrlrs, ce, link);
		free(ce);
	}
	return rc;
}

int bdev_nvme_detach(const char *name, const struct sio_nvme_transport_id *trid, sio_done_cb cb,
		     void *arg)
{
	struct nvme_ctrlr_entry *ce = name ? ce_find(name) : NULL;

	if (ce == NULL || ce->deleting || ce->ctrlr == NULL)
		return -ENODEV;
	if (trid != NULL && sio_nvme_transport_id_compare(trid, &ce->opts.trid) != 0)
		return -ENODEV;
	ce->detach_cb = cb;
	ce->detach_arg = arg;
	ce_delete(ce);
	return 0;
}

struct reset_ctx {
	struct nvme_ctrlr_entry *ce;
	sio_done_cb cb;
	void *arg;
};

static void user_reset_done(void *arg, int rc)
{
	struct reset_ctx r = *(struct reset_ctx *)arg;

	free(arg);
	r.ce->resetting = false;
	if (rc == 0) {
		r.ce->failed = false;
		r.ce->fast_io_fail = false;
		r.ce->loss_start_tick = 0;
	}
	r.cb(r.arg, rc);
}

int bdev_nvme_reset(const char *name, sio_done_cb cb, void *arg)
{
	struct nvme_ctrlr_entry *ce = name ? ce_find(name) : NULL;
	struct reset_ctx *r;
	int rc;

	if (ce == NULL || ce->deleting || ce->ctrlr == NULL)
		return -ENODEV;
	if (ce->resetting)
		return -EBUSY;
	r = malloc(sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->ce = ce;
	r->cb = cb;
	r->arg = arg;
	ce->resetting = true;
	rc = sio_nvme_ctrlr_reset(ce->ctrlr, user_reset_done, r);
	if (rc != 0) {
		ce->resetting = false;
		free(r);
	}
	return rc;
}

json_t *bdev_nvme_controllers_json(const char *name)
{
	json_t *arr = json_array();
	struct nvme_ctrlr_entry *ce;

	TAILQ_FOREACH(ce, &g_ctrlrs, link) {
		json_t *o, *c, *t, *h, *ctrlrs;

		if (ce->ctrlr == NULL || (name != NULL && strcmp(name, ce->name) != 0))
			continue;
		o = json_object();
		c = json_object();
		t = json_object();
		h = json_object();
		ctrlrs = json_array();
		json_object_set_new(o, "name", json_string(ce->name));
		json_object_set_new(c, "state",
				    json_string(ce->deleting ? "deleting" : ce->resetting ? "resetting" :
						ce->failed ? "failed" : "enabled"));
		trid_json(t, &ce->opts.trid);
		json_object_set_new(c, "trid", t);
		json_object_set_new(c, "cntlid", json_integer(sio_nvme_ctrlr_get_cntlid(ce->ctrlr)));
		json_object_set_new(h, "nqn", json_string(ce->opts.ctrlr_opts.hostnqn));
		json_object_set_new(h, "addr", json_string(ce->opts.trid.hostaddr));
		json_object_set_new(h, "svcid", json_string(ce->opts.trid.hostsvcid));
		json_object_set_new(c, "host", h);
		json_array_append_new(ctrlrs, c);
		json_object_set_new(o, "ctrlrs", ctrlrs);
		json_array_append_new(arr, o);
	}
	if (name != NULL && json_array_size(arr) == 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* save_config: one attach per controller, with what it was attached with. */
static void nvme_config_json(json_t *config)
{
	struct nvme_ctrlr_entry *ce;

	TAILQ_FOREACH(ce, &g_ctrlrs, link) {
		const struct sio_nvme_transport_id *t = &ce->opts.trid;
		json_t *p;

		if (ce->deleting || ce->ctrlr == NULL)
			continue;
		p = json_object();
		json_object_set_new(p, "name", json_string(ce->name));
		trid_json(p, t);
		if (ce->opts.ctrlr_opts.hostnqn[0])
			json_object_set_new(p, "hostnqn", json_string(ce->opts.ctrlr_opts.hostnqn));
		json_object_set_new(p, "hdgst", json_boolean(ce->opts.ctrlr_opts.header_digest));
		json_object_set_new(p, "ddgst", json_boolean(ce->opts.ctrlr_opts.data_digest));
		json_object_set_new(p, "ctrlr_loss_timeout_sec",
				    json_integer(ce->opts.ctrlr_loss_timeout_sec));
		json_object_set_new(p, "reconnect_delay_sec", json_integer(ce->opts.reconnect_delay_sec));
		json_object_set_new(p, "fast_io_fail_timeout_sec",
				    json_integer(ce->opts.fast_io_fail_timeout_sec));
		sio_rpc_config_append(config, "bdev_nvme_attach_controller", p);
	}
}

static void nvme_module_fini(void)
{
	/* Controllers still attached at shutdown: their bdevs are already gone
	 * (the bdev layer unregisters every bdev first). */
	struct nvme_ctrlr_entry *ce, *tmp;

	TAILQ_FOREACH_SAFE(ce, &g_ctrlrs, link, tmp) {
		if (ce->deleting)
			continue;
		ce->deleting = true;
		if (ce->io_device_registered)
			sio_io_device_unregister(&ce->io_device, NULL);
		if (ce->ctrlr != NULL)
			sio_nvme_ctrlr_detach(ce->ctrlr, NULL, NULL);
		TAILQ_REMOVE(&g_ctrlrs, ce, link);
		free(ce);
	}
}

struct sio_bdev_module sio_bdev_module_nvme = {
	.name = "nvme",
	.module_fini = nvme_module_fini,
	.config_json = nvme_config_json,
	.io_ctx_size = sizeof(struct nvme_io_ctx),
};
