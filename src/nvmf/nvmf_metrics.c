/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvmf layer's metrics collector (docs/metrics.md): per subsystem, the
 * controllers and queue pairs connected (read under the subsystem's mutex,
 * which Connect takes too); per poll group, its counters (read on the poll
 * group's own thread by message, the way nvmf_get_stats does).
 *
 * Only the default target is walked (sio_tgt has one); runs on the app thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "nvmf/nvmf_ctrlr.h"
#include "nvmf/nvmf_internal.h"
#include "spdk_io/metrics.h"

struct nvmf_collect {
	struct sio_metrics *m;
	sio_done_cb done;
	void *cb_arg;
};

static void subsystem_sample(struct sio_metrics *m, struct sio_nvmf_subsystem *ss)
{
	const char *lab[] = {"nqn", ss->nqn, NULL};
	uint64_t ctrlrs = 0, io_qpairs = 0;
	struct nvmf_ctrlr *c;

	pthread_mutex_lock(&ss->mutex);
	TAILQ_FOREACH(c, &ss->ctrlrs, link) {
		ctrlrs++;
		io_qpairs += __atomic_load_n(&c->num_io_qpairs, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&ss->mutex);
	sio_metrics_sample(m, "sio_nvmf_subsystem_controllers", SIO_METRIC_GAUGE,
			   "Controllers connected to the NVMe-oF subsystem.", "", lab, NULL,
			   (double)ctrlrs);
	/* Each controller has one admin queue pair plus its I/O queue pairs. */
	sio_metrics_sample(m, "sio_nvmf_subsystem_qpairs", SIO_METRIC_GAUGE,
			   "Queue pairs (admin and I/O) connected to the NVMe-oF subsystem.", "",
			   lab, NULL, (double)(ctrlrs + io_qpairs));
}

static int pg_visit(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct nvmf_collect *c = ctx;
	const struct nvmf_pg_stats *s = &pg->stats;
	const char *lab[] = {"poll_group", pg->name, NULL};

	(void)it;
	sio_metrics_sample(c->m, "sio_nvmf_poll_group_completed_nvme_io_total",
			   SIO_METRIC_COUNTER, "NVMe I/O commands the poll group completed.", "",
			   lab, NULL, (double)s->completed_nvme_io);
	sio_metrics_sample(c->m, "sio_nvmf_poll_group_qpairs_connected_total", SIO_METRIC_COUNTER,
			   "Queue pairs (admin and I/O) the poll group accepted since start.", "",
			   lab, NULL, (double)(s->admin_qpairs + s->io_qpairs));
	sio_metrics_sample(c->m, "sio_nvmf_poll_group_current_qpairs", SIO_METRIC_GAUGE,
			   "Queue pairs (admin and I/O) on the poll group now.", "", lab, NULL,
			   (double)s->current_admin_qpairs + (double)s->current_io_qpairs);
	sio_metrics_sample(c->m, "sio_nvmf_poll_group_pending_bdev_io", SIO_METRIC_GAUGE,
			   "Commands of the poll group waiting for a free bdev_io.", "", lab, NULL,
			   (double)s->pending_bdev_io);
	return 0;
}

static void pg_done(void *arg, int rc)
{
	struct nvmf_collect *c = arg;
	sio_done_cb done = c->done;
	void *cb_arg = c->cb_arg;

	free(c);
	done(cb_arg, rc);
}

static void nvmf_metrics_collect(struct sio_metrics *m, sio_done_cb done, void *cb_arg)
{
	struct sio_nvmf_tgt *tgt = sio_nvmf_get_tgt(NULL);
	struct nvmf_collect *c;

	if (tgt == NULL) {
		done(cb_arg, 0);
		return;
	}
	for (struct sio_nvmf_subsystem *ss = sio_nvmf_subsystem_first(tgt); ss != NULL;
	     ss = sio_nvmf_subsystem_next(ss))
		subsystem_sample(m, ss);
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		done(cb_arg, -ENOMEM);
		return;
	}
	c->m = m;
	c->done = done;
	c->cb_arg = cb_arg;
	if (nvmf_pg_each(tgt, pg_visit, c, pg_done, c) != 0)
		pg_done(c, 0);
}

const struct sio_metrics_collector sio_nvmf_metrics_collector = {
	.name = "nvmf",
	.collect = nvmf_metrics_collect,
};
