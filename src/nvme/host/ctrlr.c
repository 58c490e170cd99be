/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controllers: connect (the init sequence as one explicit step machine),
 * keep-alive, timeouts, async events, reset, detach, admin passthrough and
 * log pages, the discovery log. Transport-independent: registers go through
 * ops->ctrlr_get_reg/set_reg (Property Get/Set on fabrics), queues through
 * ops->qpair_*.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "spdk_io/env.h"
#include "nvme/host/nvme_internal.h"
#include "spdk_io/keyring.h"

#define AER_MAX 4
/* Delay between two reads of CSTS while waiting for RDY. */
#define CSTS_POLL_US 1000
/* How often the admin poller looks at keep-alive, timeouts and deadlines. */
#define ADMIN_TICK_US 10000

/* The init (and reset) sequence. Each step issues one operation; its
 * completion runs init_next() with the result. */
enum init_step {
	INIT_CONNECT_ADMIN = 0, /* transport connection + Fabrics Connect of queue 0 */
	INIT_READ_CAP,          /* CAP */
	INIT_READ_VS,           /* VS */
	INIT_WRITE_CC,          /* CC.EN = 1 with the entry sizes */
	INIT_WAIT_RDY,          /* CSTS.RDY = 1 (re-read every CSTS_POLL_US until CAP.TO) */
	INIT_IDENTIFY,          /* Identify Controller */
	INIT_SET_NUM_QUEUES,    /* Set Features Number of Queues (not on discovery) */
	INIT_NAMESPACES,        /* active namespace list and each namespace's data */
	INIT_AER_CONFIG,        /* Set Features Async Event Configuration */
	INIT_DONE,              /* AERs out, keep-alive running: ready */
};

static void init_next(struct sio_nvme_ctrlr *ctrlr, int rc);
static void start_aers(struct sio_nvme_ctrlr *ctrlr);
static void reset_start(struct sio_nvme_ctrlr *ctrlr);

/* ---- host identity ---- */

static pthread_once_t g_hostid_once = PTHREAD_ONCE_INIT;
static uint8_t g_hostid[16];

static void hostid_init(void)
{
	if (getrandom(g_hostid, sizeof(g_hostid), 0) != (ssize_t)sizeof(g_hostid)) {
		uint64_t t = sio_get_ticks();

		memcpy(g_hostid, &t, sizeof(t));
	}
	/* A version 4 UUID, so the default host NQN is a well-formed uuid NQN. */
	g_hostid[6] = (uint8_t)((g_hostid[6] & 0x0f) | 0x40);
	g_hostid[8] = (uint8_t)((g_hostid[8] & 0x3f) | 0x80);
}

const uint8_t *nvme_host_id(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr->opts.hostid;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* ---- options ---- */

void sio_nvme_ctrlr_opts_init(struct sio_nvme_ctrlr_opts *opts, size_t opts_size)
{
	struct sio_nvme_ctrlr_opts d;

	if (opts == NULL || opts_size < sizeof(size_t))
		return;
	memset(&d, 0, sizeof(d));
	d.opts_size = opts_size < sizeof(d) ? opts_size : sizeof(d);
	d.num_io_queues = 64;
	d.io_queue_size = 128;
	d.io_queue_requests = 512;
	d.admin_queue_size = 32;
	d.keep_alive_timeout_ms = 10000;
	d.command_timeout_ms = 30000;
	d.connect_timeout_ms = 10000;
	d.disable_sq_flow = true;
	memcpy(opts, &d, d.opts_size);
	opts->opts_size = opts_size;
}

_Static_assert(sizeof(struct sio_nvme_ctrlr_opts) == 336,
	       "update sio_nvme_ctrlr_opts_init() and opts_copy() when adding a field");

static int opts_copy(struct sio_nvme_ctrlr_opts *dst, const struct sio_nvme_ctrlr_opts *src)
{
	sio_nvme_ctrlr_opts_init(dst, sizeof(*dst));
	if (src != NULL) {
		if (src->opts_size < sizeof(size_t) || src->opts_size > sizeof(*dst))
			return -EINVAL;
		memcpy(dst, src, src->opts_size);
		dst->opts_size = sizeof(*dst);
	}
	if (dst->num_io_queues == 0 || dst->num_io_queues > 65535 || dst->io_queue_size < 2 ||
	    dst->io_queue_size > 65536 || dst->admin_queue_size < 2 ||
	    dst->admin_queue_size > 4096 || dst->io_queue_requests < 1 ||
	    dst->io_queue_requests > 65535)
		return -EINVAL;
	if (memchr(dst->hostnqn, '\0', sizeof(dst->hostnqn)) == NULL)
		return -EINVAL;
	/* Bidirectional DH-HMAC-CHAP starts with the host proving itself. */
	if (dst->dhchap_ctrlr_key != NULL && dst->dhchap_key == NULL)
		return -EINVAL;
	pthread_once(&g_hostid_once, hostid_init);
	if (all_zero(dst->hostid, sizeof(dst->hostid)))
		memcpy(dst->hostid, g_hostid, sizeof(dst->hostid));
	if (dst->hostnqn[0] == '\0') {
		const uint8_t *u = dst->hostid;

		snprintf(dst->hostnqn, sizeof(dst->hostnqn),
			 "%s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 SIO_NVMF_NQN_UUID_PREFIX, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
			 u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	}
	return 0;
}

/* ---- admin commands used by the driver ---- */

typedef void (*admin_done_fn)(struct sio_nvme_ctrlr *ctrlr, int rc, const struct sio_nvme_cpl *cpl);

static int admin_cmd(struct sio_nvme_ctrlr *ctrlr, const struct sio_nvme_cmd *cmd, void *buf,
		     uint32_t len, sio_nvme_cmd_cb cb, void *arg)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return nvme_qpair_submit_cmd(ctrlr->adminq, cmd, &iov, 1, len, true, cb, arg);
}

static void init_cmd_done(void *arg, int rc, const struct sio_nvme_cpl *cpl);

/* Init steps' admin commands: the completion drives the step machine. */
static void init_admin(struct sio_nvme_ctrlr *ctrlr, const struct sio_nvme_cmd *cmd, void *buf,
		       uint32_t len)
{
	int rc = admin_cmd(ctrlr, cmd, buf, len, init_cmd_done, ctrlr);

	if (rc != 0)
		init_next(ctrlr, rc);
}

/* ---- the step machine ---- */

static void init_reg_done(void *arg, int rc, uint64_t value)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	if (rc != 0) {
		init_next(ctrlr, rc);
		return;
	}
	switch (ctrlr->init_step) {
	case INIT_READ_CAP:
		ctrlr->cap = value;
		break;
	case INIT_READ_VS:
		ctrlr->vs = (uint32_t)value;
		break;
	case INIT_WAIT_RDY: {
		union sio_nvme_csts_register csts = { .raw = (uint32_t)value };

		if (csts.bits.cfs) {
			SIO_ERRLOG("nvme: %s: controller fatal status while enabling",
				   ctrlr->trid.traddr);
			init_next(ctrlr, -EIO);
			return;
		}
		if (!csts.bits.rdy) {
			if (sio_get_ticks() > ctrlr->init_deadline_tick) {
				init_next(ctrlr, -ETIMEDOUT);
				return;
			}
			/* Not yet: the admin poller reads CSTS again shortly. */
			ctrlr->csts_recheck = true;
			return;
		}
		break;
	}
	default:
		break;
	}
	init_next(ctrlr, 0);
}

static void init_cmd_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	if (rc == 0 && ctrlr->init_step == INIT_SET_NUM_QUEUES) {
		union sio_nvme_feat_number_of_queues nq = { .raw = cpl->cdw0 };
		uint32_t granted = nq.bits.nsqr + 1u;

		if (nq.bits.ncqr + 1u < granted)
			granted = nq.bits.ncqr + 1u;
		if (granted > ctrlr->opts.num_io_queues)
			granted = ctrlr->opts.num_io_queues;
		ctrlr->num_io_queues = granted;
	}
	if (ctrlr->init_step == INIT_AER_CONFIG && rc != 0) {
		/* Not every controller takes every event kind: run without AERs. */
		SIO_DEBUGLOG(NVME_LOG, "async event configuration refused: %d", rc);
		rc = 0;
	}
	init_next(ctrlr, rc);
}

static void init_ns_done(void *arg, int rc)
{
	init_next(arg, rc);
}

static void admin_qpair_connected(void *arg, int rc)
{
	init_next(arg, rc);
}

static void read_csts(struct sio_nvme_ctrlr *ctrlr)
{
	int rc = ctrlr->ops->ctrlr_get_reg(ctrlr, SIO_NVME_REG_CSTS, 4, init_reg_done, ctrlr);

	if (rc != 0)
		init_next(ctrlr, rc);
}

static void identify_done_setup(struct sio_nvme_ctrlr *ctrlr)
{
	const struct sio_nvme_ctrlr_data *cd = ctrlr->cdata;
	union sio_nvme_cap_register cap = { .raw = ctrlr->cap };
	uint32_t max = ctrlr->ops->ctrlr_max_xfer_size(ctrlr);

	if (cd->mdts != 0) {
		uint64_t m = (uint64_t)1 << (12 + cap.bits.mpsmin + cd->mdts);

		if (m < max)
			max = (uint32_t)m;
	}
	/* Keep transfers within what one request's 64 iovecs of pages hold. */
	if (max > 4u << 20)
		max = 4u << 20;
	ctrlr->max_xfer_size = max;
	ctrlr->ioccsz_bytes = cd->ioccsz >= 4 ? cd->ioccsz * 16u - 64u : 0;
	if (cd->cntrltype == SIO_NVME_CNTRLTYPE_DISCOVERY)
		ctrlr->discovery = true;
}

static void init_finish(struct sio_nvme_ctrlr *ctrlr, int rc);

static void init_next(struct sio_nvme_ctrlr *ctrlr, int rc)
{
	struct sio_nvme_cmd cmd;
	int r;

	if (ctrlr->state == NVME_CTRLR_DETACHING || !ctrlr->init_active)
		return;
	if (rc != 0) {
		init_finish(ctrlr, rc);
		return;
	}
	ctrlr->init_step++;
	memset(&cmd, 0, sizeof(cmd));
	switch (ctrlr->init_step) {
	case INIT_READ_CAP:
		r = ctrlr->ops->ctrlr_get_reg(ctrlr, SIO_NVME_REG_CAP, 8, init_reg_done, ctrlr);
		break;
	case INIT_READ_VS:
		r = ctrlr->ops->ctrlr_get_reg(ctrlr, SIO_NVME_REG_VS, 4, init_reg_done, ctrlr);
		break;
	case INIT_WRITE_CC: {
		union sio_nvme_cc_register cc = { .raw = 0 };
		union sio_nvme_cap_register cap = { .raw = ctrlr->cap };

		cc.bits.en = 1;
		cc.bits.css = SIO_NVME_CC_CSS_NVM;
		cc.bits.iosqes = 6;
		cc.bits.iocqes = 4;
		/* CAP.TO is in 500 ms units (plus a second of patience), but the
		 * whole connect stays within connect_timeout_ms. */
		uint64_t rdy = sio_get_ticks() + sio_us_to_ticks(((uint64_t)cap.bits.to + 2) * 500000);

		if (ctrlr->init_deadline_tick == 0 || rdy < ctrlr->init_deadline_tick)
			ctrlr->init_deadline_tick = rdy;
		r = ctrlr->ops->ctrlr_set_reg(ctrlr, SIO_NVME_REG_CC, 4, cc.raw, init_reg_done, ctrlr);
		break;
	}
	case INIT_WAIT_RDY:
		read_csts(ctrlr);
		return;
	case INIT_IDENTIFY:
		cmd.opc = SIO_NVME_OPC_IDENTIFY;
		cmd.cdw10 = SIO_NVME_IDENTIFY_CDW10(SIO_NVME_CNS_CTRLR, 0);
		init_admin(ctrlr, &cmd, ctrlr->cdata, SIO_NVME_IDENTIFY_DATA_SIZE);
		return;
	case INIT_SET_NUM_QUEUES: {
		uint32_t n = ctrlr->opts.num_io_queues - 1;

		identify_done_setup(ctrlr);
		if (ctrlr->discovery) {
			ctrlr->init_step = INIT_AER_CONFIG;
			init_next(ctrlr, 0);
			return;
		}
		cmd.opc = SIO_NVME_OPC_SET_FEATURES;
		cmd.cdw10 = SIO_NVME_SET_FEATURES_CDW10(SIO_NVME_FEAT_NUMBER_OF_QUEUES, false);
		cmd.cdw11 = n | (n << 16);
		init_admin(ctrlr, &cmd, NULL, 0);
		return;
	}
	case INIT_NAMESPACES:
		r = nvme_ns_refresh_all(ctrlr, init_ns_done, ctrlr);
		break;
	case INIT_AER_CONFIG: {
		union sio_nvme_feat_async_event_configuration cfg = { .raw = 0 };

		if (ctrlr->cdata->oaes & SIO_NVME_OAES_NS_ATTR)
			cfg.bits.ns_attr = 1;
		if (ctrlr->discovery && (ctrlr->cdata->oaes & SIO_NVME_OAES_DISCOVERY_LOG_CHANGE))
			cfg.bits.discovery_log_change = 1;
		if (cfg.raw == 0) {
			init_next(ctrlr, 0);
			return;
		}
		cmd.opc = SIO_NVME_OPC_SET_FEATURES;
		cmd.cdw10 = SIO_NVME_SET_FEATURES_CDW10(SIO_NVME_FEAT_ASYNC_EVENT_CONFIGURATION, false);
		cmd.cdw11 = cfg.raw;
		init_admin(ctrlr, &cmd, NULL, 0);
		return;
	}
	case INIT_DONE:
		init_finish(ctrlr, 0);
		return;
	default:
		r = -EINVAL;
		break;
	}
	if (r != 0)
		init_next(ctrlr, r);
}

static void ctrlr_free(struct sio_nvme_ctrlr *ctrlr);
static void reset_reconnect_qpairs(struct sio_nvme_ctrlr *ctrlr);

static void emit_event(struct sio_nvme_ctrlr *ctrlr, enum sio_nvme_ctrlr_event ev,
		       const struct sio_nvme_cpl *cpl)
{
	if (ctrlr->event_cb != NULL)
		ctrlr->event_cb(ctrlr->event_arg, ctrlr, ev, cpl);
}

static void init_finish(struct sio_nvme_ctrlr *ctrlr, int rc)
{
	bool resetting = ctrlr->state == NVME_CTRLR_RESETTING;

	/* Aborting the admin queue below completes the step in flight: its
	 * callback must find the sequence over. */
	ctrlr->init_active = false;
	ctrlr->csts_recheck = false;
	if (rc != 0) {
		SIO_DEBUGLOG(NVME_LOG, "%s %s failed at step %d: %d", ctrlr->trid.traddr,
			     resetting ? "reset" : "connect", ctrlr->init_step, rc);
		ctrlr->ops->qpair_disconnect(ctrlr->adminq);
		nvme_qpair_set_state(ctrlr->adminq, NVME_QPAIR_FAILED);
		nvme_qpair_abort_all(ctrlr->adminq, -ECONNRESET);
		if (resetting) {
			sio_done_cb cb = ctrlr->reset_cb;

			ctrlr->state = NVME_CTRLR_FAILED;
			ctrlr->reset_cb = NULL;
			/* I/O qpairs stay disconnected and fail what waits in them. */
			reset_reconnect_qpairs(ctrlr);
			if (cb != NULL)
				cb(ctrlr->reset_arg, rc);
		} else {
			sio_nvme_connect_cb cb = ctrlr->connect_cb;
			void *arg = ctrlr->connect_arg;

			ctrlr_free(ctrlr);
			cb(arg, rc, NULL);
		}
		return;
	}
	ctrlr->next_keep_alive_tick = sio_get_ticks() +
		sio_us_to_ticks((uint64_t)ctrlr->opts.keep_alive_timeout_ms * 500);
	start_aers(ctrlr);
	if (resetting) {
		/* READY once every I/O qpair has reconnected (or failed to). */
		reset_reconnect_qpairs(ctrlr);
		return;
	}
	ctrlr->state = NVME_CTRLR_READY;
	ctrlr->connect_cb(ctrlr->connect_arg, 0, ctrlr);
}

/* ---- keep-alive, timeouts, async events ---- */

static void keep_alive_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	ctrlr->keep_alive_inflight = false;
	if (rc != 0 && rc != -ECONNRESET && rc != -ECANCELED)
		SIO_WARNLOG("nvme: %s: keep alive failed: %d", ctrlr->trid.traddr, rc);
}

static int admin_poller(void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = arg;
	uint64_t now = sio_get_ticks();

	if (ctrlr->adminq->failed_pending) {
		/* The transport saw the connection fail where it could not act. */
		nvme_qpair_transport_failed(ctrlr->adminq, ctrlr->adminq->fail_rc);
		if (ctrlr->state == NVME_CTRLR_DETACHING)
			return 1;
	}
	if (ctrlr->state == NVME_CTRLR_INIT || ctrlr->state == NVME_CTRLR_RESETTING) {
		if (ctrlr->csts_recheck && ctrlr->init_step == INIT_WAIT_RDY) {
			ctrlr->csts_recheck = false;
			read_csts(ctrlr);
			return 1;
		}
		if (ctrlr->init_active && ctrlr->init_deadline_tick != 0 &&
		    now > ctrlr->init_deadline_tick) {
			SIO_ERRLOG("nvme: %s:%s: controller did not come up in time",
				   ctrlr->trid.traddr, ctrlr->trid.trsvcid);
			ctrlr->init_deadline_tick = 0;
			init_next(ctrlr, -ETIMEDOUT);
			return 1;
		}
		return 0;
	}
	if (ctrlr->state != NVME_CTRLR_READY)
		return 0;
	nvme_qpair_check_timeouts(ctrlr->adminq);
	if (ctrlr->opts.keep_alive_timeout_ms != 0 && !ctrlr->keep_alive_inflight &&
	    now >= ctrlr->next_keep_alive_tick && ctrlr->state == NVME_CTRLR_READY) {
		struct sio_nvme_cmd cmd;

		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = SIO_NVME_OPC_KEEP_ALIVE;
		if (admin_cmd(ctrlr, &cmd, NULL, 0, keep_alive_done, ctrlr) == 0)
			ctrlr->keep_alive_inflight = true;
		ctrlr->next_keep_alive_tick = now +
			sio_us_to_ticks((uint64_t)ctrlr->opts.keep_alive_timeout_ms * 500);
		return 1;
	}
	return 0;
}

static void aer_done(void *arg, int rc, const struct sio_nvme_cpl *cpl);

static void submit_aer(struct sio_nvme_ctrlr *ctrlr)
{
	struct sio_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_ASYNC_EVENT_REQUEST;
	if (admin_cmd(ctrlr, &cmd, NULL, 0, aer_done, ctrlr) == 0)
		ctrlr->aer_count++;
}

static void start_aers(struct sio_nvme_ctrlr *ctrlr)
{
	uint32_t n = ctrlr->cdata->aerl + 1u;

	if (n > AER_MAX)
		n = AER_MAX;
	/* Keep most of the admin queue for commands. */
	if (n > ctrlr->opts.admin_queue_size / 4)
		n = ctrlr->opts.admin_queue_size / 4;
	ctrlr->aer_count = 0;
	while (ctrlr->aer_count < n)
		submit_aer(ctrlr);
}

static void ns_changed_done(void *arg, int rc)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	ctrlr->ns_refresh_running = false;
	if (ctrlr->state == NVME_CTRLR_DETACHING)
		return;
	if (rc == 0)
		emit_event(ctrlr, SIO_NVME_CTRLR_EVENT_NS_CHANGED, NULL);
	if (ctrlr->ns_refresh_again) {
		ctrlr->ns_refresh_again = false;
		ctrlr->ns_refresh_running = true;
		if (nvme_ns_refresh_all(ctrlr, ns_changed_done, ctrlr) != 0)
			ctrlr->ns_refresh_running = false;
	}
}

static void changed_log_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	/* Reading the log cleared the event; what changed is re-read whole. */
	if (ctrlr->state != NVME_CTRLR_READY)
		return;
	if (ctrlr->ns_refresh_running) {
		ctrlr->ns_refresh_again = true;
		return;
	}
	ctrlr->ns_refresh_running = true;
	if (nvme_ns_refresh_all(ctrlr, ns_changed_done, ctrlr) != 0)
		ctrlr->ns_refresh_running = false;
}

static void aer_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_ctrlr *ctrlr = arg;
	union sio_nvme_async_event_completion ev = { .raw = cpl->cdw0 };

	ctrlr->aer_count--;
	if (rc != 0 || ctrlr->state != NVME_CTRLR_READY)
		return; /* aborted by a reset or detach; new ones go after the reset */
	SIO_DEBUGLOG(NVME_LOG, "async event type %u info %u log %u", ev.bits.async_event_type,
		     ev.bits.async_event_info, ev.bits.log_page_identifier);
	emit_event(ctrlr, SIO_NVME_CTRLR_EVENT_AER, cpl);
	if (ctrlr->state != NVME_CTRLR_READY)
		return;
	if (ev.bits.async_event_type == SIO_NVME_ASYNC_EVENT_TYPE_NOTICE &&
	    ev.bits.async_event_info == SIO_NVME_ASYNC_EVENT_NS_ATTR_CHANGED) {
		/* The log page read both tells and clears (RAE 0); 4 KiB scratch. */
		struct sio_nvme_cmd cmd;

		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = SIO_NVME_OPC_GET_LOG_PAGE;
		cmd.nsid = SIO_NVME_NSID_ALL;
		cmd.cdw10 = SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_CHANGED_NS_LIST, 0, 0, 4096 / 4 - 1);
		if (admin_cmd(ctrlr, &cmd, ctrlr->scratch, 4096, changed_log_done, ctrlr) != 0)
			changed_log_done(ctrlr, -ENOMEM, cpl);
	}
	submit_aer(ctrlr);
}

/* ---- connect / detach ---- */

static void ctrlr_release(void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	if (ctrlr->adminq != NULL) {
		nvme_qpair_fini(ctrlr->adminq);
		ctrlr->ops->qpair_destroy(ctrlr->adminq);
		ctrlr->adminq = NULL;
	}
	nvme_ns_free_all(ctrlr);
	ctrlr->ops->ctrlr_destruct(ctrlr);
	pthread_mutex_destroy(&ctrlr->lock);
	sio_dma_free(ctrlr->cdata);
	sio_dma_free(ctrlr->scratch);
	free(ctrlr->qid_used);
	sio_key_put(ctrlr->opts.dhchap_key);
	sio_key_put(ctrlr->opts.dhchap_ctrlr_key);
	free(ctrlr);
}

static bool ctrlr_release_if_idle(struct sio_nvme_ctrlr *ctrlr);

static void ctrlr_release_msg(void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	ctrlr->release_msg_queued = false;
	ctrlr_release_if_idle(ctrlr);
}

/* Messages still on their way here keep the memory until they arrive. */
static bool ctrlr_release_if_idle(struct sio_nvme_ctrlr *ctrlr)
{
	if (ctrlr->pending_qpair_ops != 0 || ctrlr->release_msg_queued ||
	    __atomic_load_n(&ctrlr->inflight_msgs, __ATOMIC_ACQUIRE) != 0)
		return false;
	ctrlr_release(ctrlr);
	return true;
}

static void ctrlr_free(struct sio_nvme_ctrlr *ctrlr)
{
	struct sio_nvme_qpair *aq = ctrlr->adminq;

	sio_poller_unregister(&ctrlr->admin_poller);
	if (aq != NULL) {
		ctrlr->ops->qpair_disconnect(aq);
		nvme_qpair_set_state(aq, NVME_QPAIR_DESTROYING);
		nvme_qpair_abort_all(aq, -ECANCELED);
		/* Called from inside an admin completion (an awaiting task resumes
		 * there), the caller still holds the admin queue: free at the
		 * thread's next turn. */
		ctrlr->release_pending = true;
		if (aq->in_callback &&
		    sio_thread_send_msg(ctrlr->thread, ctrlr_release_msg, ctrlr) == 0) {
			ctrlr->release_msg_queued = true;
			return;
		}
	}
	ctrlr->release_pending = true;
	ctrlr_release_if_idle(ctrlr);
}

int sio_nvme_ctrlr_connect(const struct sio_nvme_transport_id *trid,
			   const struct sio_nvme_ctrlr_opts *opts, sio_nvme_connect_cb cb, void *cb_arg)
{
	const struct nvme_transport_ops *ops;
	struct sio_nvme_ctrlr *ctrlr;
	int rc;

	if (trid == NULL || cb == NULL)
		return -EINVAL;
	if (sio_thread_get_current() == NULL)
		return -EPERM;
	ops = nvme_transport_get(trid->trtype);
	if (ops == NULL)
		return -EPROTONOSUPPORT;
	ctrlr = calloc(1, sizeof(*ctrlr));
	if (ctrlr == NULL)
		return -ENOMEM;
	rc = opts_copy(&ctrlr->opts, opts);
	if (rc != 0) {
		free(ctrlr);
		return rc;
	}
	/* The controller's own references: every reconnection authenticates again. */
	sio_key_ref(ctrlr->opts.dhchap_key);
	sio_key_ref(ctrlr->opts.dhchap_ctrlr_key);
	ctrlr->trid = *trid;
	ctrlr->ops = ops;
	ctrlr->thread = sio_thread_get_current();
	ctrlr->state = NVME_CTRLR_INIT;
	ctrlr->connect_cb = cb;
	ctrlr->connect_arg = cb_arg;
	/* Only fabrics have discovery NQNs; a PCIe ID has no subnqn at all. */
	ctrlr->discovery = ops->fabrics && (trid->subnqn[0] == '\0' ||
					    strcmp(trid->subnqn, SIO_NVMF_DISCOVERY_NQN) == 0);
	pthread_mutex_init(&ctrlr->lock, NULL);
	TAILQ_INIT(&ctrlr->io_qpairs);
	ctrlr->cdata = sio_dma_zmalloc(SIO_NVME_IDENTIFY_DATA_SIZE, 4096);
	ctrlr->scratch = sio_dma_zmalloc(4096, 4096);
	if (ctrlr->cdata == NULL || ctrlr->scratch == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ops->ctrlr_construct(ctrlr);
	if (rc != 0)
		goto fail_construct;
	ctrlr->adminq = ops->qpair_create(ctrlr, 0);
	if (ctrlr->adminq == NULL) {
		rc = -ENOMEM;
		goto fail_qpair;
	}
	rc = nvme_qpair_init(ctrlr->adminq, ctrlr, 0, ctrlr->opts.admin_queue_size,
			     ctrlr->opts.admin_queue_size, ops);
	if (rc != 0)
		goto fail_init;
	ctrlr->admin_poller = sio_poller_register_named("nvme_admin", admin_poller, ctrlr,
							ADMIN_TICK_US);
	if (ctrlr->admin_poller == NULL) {
		rc = -ENOMEM;
		goto fail_init;
	}
	ctrlr->init_step = INIT_CONNECT_ADMIN;
	ctrlr->init_active = true;
	if (ctrlr->opts.connect_timeout_ms != 0)
		ctrlr->init_deadline_tick = sio_get_ticks() +
			sio_us_to_ticks((uint64_t)ctrlr->opts.connect_timeout_ms * 1000);
	rc = ops->qpair_connect(ctrlr->adminq, admin_qpair_connected, ctrlr);
	if (rc != 0)
		goto fail_init;
	return 0;

fail_init:
	sio_poller_unregister(&ctrlr->admin_poller);
	nvme_qpair_fini(ctrlr->adminq);
	ops->qpair_destroy(ctrlr->adminq);
fail_qpair:
	ops->ctrlr_destruct(ctrlr);
fail_construct:
fail:
	pthread_mutex_destroy(&ctrlr->lock);
	sio_dma_free(ctrlr->cdata);
	sio_dma_free(ctrlr->scratch);
	sio_key_put(ctrlr->opts.dhchap_key);
	sio_key_put(ctrlr->opts.dhchap_ctrlr_key);
	free(ctrlr);
	return rc;
}

struct connect_wait {
	struct sio_future f;
	struct sio_nvme_ctrlr *ctrlr;
};

static void connect_wait_cb(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	struct connect_wait *w = arg;

	w->ctrlr = ctrlr;
	sio_future_complete(&w->f, rc, NULL);
}

/* The awaitable and the blocking connect differ only in how they wait. */
static int connect_wait(const struct sio_nvme_transport_id *trid,
			const struct sio_nvme_ctrlr_opts *opts, struct sio_nvme_ctrlr **out,
			bool blocking)
{
	struct connect_wait w = { .ctrlr = NULL };
	int rc;

	if (out == NULL)
		return -EINVAL;
	if (blocking && sio_in_task())
		return -EPERM;
	rc = blocking ? sio_future_init(&w.f) : sio_future_init_await(&w.f);
	if (rc == 0)
		rc = sio_nvme_ctrlr_connect(trid, opts, connect_wait_cb, &w);
	if (rc == 0)
		rc = blocking ? sio_block_on(&w.f) : sio_await(&w.f);
	*out = rc == 0 ? w.ctrlr : NULL;
	return rc;
}

int sio_nvme_ctrlr_connect_await(const struct sio_nvme_transport_id *trid,
				 const struct sio_nvme_ctrlr_opts *opts, struct sio_nvme_ctrlr **out)
{
	return connect_wait(trid, opts, out, false);
}

int sio_nvme_ctrlr_connect_blocking(const struct sio_nvme_transport_id *trid,
				    const struct sio_nvme_ctrlr_opts *opts,
				    struct sio_nvme_ctrlr **out)
{
	return connect_wait(trid, opts, out, true);
}

struct detach_ctx {
	sio_done_cb cb;
	void *arg;
};

static void detach_msg(void *arg)
{
	struct detach_ctx *d = arg;

	d->cb(d->arg, 0);
	free(d);
}

int sio_nvme_ctrlr_detach(struct sio_nvme_ctrlr *ctrlr, sio_done_cb cb, void *cb_arg)
{
	struct detach_ctx *d = NULL;
	sio_done_cb reset_cb;
	bool busy;

	if (ctrlr == NULL)
		return -EINVAL;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	if (ctrlr->state == NVME_CTRLR_DETACHING)
		return -EALREADY;
	if (ctrlr->state == NVME_CTRLR_INIT)
		return -EBUSY;
	pthread_mutex_lock(&ctrlr->lock);
	busy = !TAILQ_EMPTY(&ctrlr->io_qpairs);
	pthread_mutex_unlock(&ctrlr->lock);
	if (busy)
		return -EBUSY;
	if (cb != NULL) {
		d = malloc(sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		d->cb = cb;
		d->arg = cb_arg;
	}
	reset_cb = ctrlr->reset_cb;
	ctrlr->reset_cb = NULL;
	ctrlr->state = NVME_CTRLR_DETACHING;
	if (reset_cb != NULL)
		reset_cb(ctrlr->reset_arg, -ECANCELED);
	ctrlr_free(ctrlr);
	if (d != NULL && sio_thread_send_msg(sio_thread_get_current(), detach_msg, d) != 0)
		detach_msg(d);
	return 0;
}

int sio_nvme_ctrlr_detach_await(struct sio_nvme_ctrlr *ctrlr)
{
	return SIO_AWAIT_CALL(sio_nvme_ctrlr_detach, ctrlr);
}

int sio_nvme_ctrlr_detach_blocking(struct sio_nvme_ctrlr *ctrlr)
{
	struct sio_future f;
	int rc;

	if (sio_in_task())
		return -EPERM;
	rc = sio_future_init(&f);
	if (rc == 0)
		rc = sio_nvme_ctrlr_detach(ctrlr, sio_future_cb, &f);
	if (rc == 0)
		rc = sio_block_on(&f);
	return rc;
}

/* ---- failure and reset ---- */

void nvme_ctrlr_fail(struct sio_nvme_ctrlr *ctrlr, int rc)
{
	if (ctrlr->state == NVME_CTRLR_INIT) {
		/* The init step in flight gets the error from its own command. */
		return;
	}
	if (ctrlr->state != NVME_CTRLR_READY)
		return;
	SIO_ERRLOG("nvme: controller %s:%s (%s) failed: %d", ctrlr->trid.traddr,
		   ctrlr->trid.trsvcid, ctrlr->trid.subnqn, rc);
	ctrlr->state = NVME_CTRLR_FAILED;
	if (ctrlr->adminq->state != NVME_QPAIR_FAILED) {
		ctrlr->ops->qpair_disconnect(ctrlr->adminq);
		nvme_qpair_set_state(ctrlr->adminq, NVME_QPAIR_FAILED);
		nvme_qpair_abort_all(ctrlr->adminq, -ECONNRESET);
	}
	if (ctrlr->event_cb != NULL)
		emit_event(ctrlr, SIO_NVME_CTRLR_EVENT_FAILED, NULL);
	else
		reset_start(ctrlr); /* nobody decides for us: one attempt */
}

/* A message from a queue pair's thread arrived: drop its hold; true if @ctrlr is gone. */
static bool inflight_put(struct sio_nvme_ctrlr *ctrlr)
{
	if (__atomic_sub_fetch(&ctrlr->inflight_msgs, 1, __ATOMIC_ACQ_REL) == 0 &&
	    ctrlr->release_pending)
		return ctrlr_release_if_idle(ctrlr);
	return ctrlr->state == NVME_CTRLR_DETACHING;
}

static void fail_msg(void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	if (!inflight_put(ctrlr))
		nvme_ctrlr_fail(ctrlr, -ECONNRESET);
}

void nvme_ctrlr_request_fail_async(struct sio_nvme_ctrlr *ctrlr)
{
	__atomic_add_fetch(&ctrlr->inflight_msgs, 1, __ATOMIC_ACQ_REL);
	if (sio_thread_get_current() == ctrlr->thread)
		fail_msg(ctrlr);
	else if (sio_thread_send_msg(ctrlr->thread, fail_msg, ctrlr) != 0)
		__atomic_sub_fetch(&ctrlr->inflight_msgs, 1, __ATOMIC_ACQ_REL);
}

struct abort_ctx {
	struct sio_nvme_ctrlr *ctrlr;
	uint16_t sqid, cid;
};

static void abort_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	/* Whether the controller found the command does not matter: it either
	 * completes it (aborted) or the second timeout fails the queue. */
}

static void abort_msg(void *arg)
{
	struct abort_ctx *a = arg;
	struct sio_nvme_cmd cmd;

	if (inflight_put(a->ctrlr)) {
		free(a);
		return;
	}
	if (a->ctrlr->state == NVME_CTRLR_READY) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = SIO_NVME_OPC_ABORT;
		cmd.cdw10 = a->sqid | ((uint32_t)a->cid << 16);
		(void)admin_cmd(a->ctrlr, &cmd, NULL, 0, abort_done, NULL);
	}
	free(a);
}

void nvme_ctrlr_abort_cmd_async(struct sio_nvme_ctrlr *ctrlr, uint16_t sqid, uint16_t cid)
{
	struct abort_ctx *a = malloc(sizeof(*a));

	if (a == NULL)
		return;
	a->ctrlr = ctrlr;
	a->sqid = sqid;
	a->cid = cid;
	__atomic_add_fetch(&ctrlr->inflight_msgs, 1, __ATOMIC_ACQ_REL);
	if (sio_thread_get_current() == ctrlr->thread) {
		abort_msg(a);
	} else if (sio_thread_send_msg(ctrlr->thread, abort_msg, a) != 0) {
		__atomic_sub_fetch(&ctrlr->inflight_msgs, 1, __ATOMIC_ACQ_REL);
		free(a);
	}
}

/* Reset: a message to each I/O qpair's thread, counted back on ours. */
struct qp_msg {
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_nvme_qpair *qpair;
};

static void reset_step_done(struct sio_nvme_ctrlr *ctrlr);

static void qp_back_msg(void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = arg;

	reset_step_done(ctrlr);
}

static void qp_disconnect_msg(void *arg)
{
	struct qp_msg *m = arg;
	struct sio_nvme_qpair *qp = m->qpair;

	if (qp->state != NVME_QPAIR_DESTROYING) {
		qp->ops->qpair_disconnect(qp);
		nvme_qpair_set_state(qp, NVME_QPAIR_DISCONNECTED);
		/* What was on the wire is lost; what was queued goes after the reconnection. */
		nvme_qpair_abort_outstanding(qp, -ECONNRESET);
	}
	sio_thread_send_msg(m->ctrlr->thread, qp_back_msg, m->ctrlr);
	free(m);
	nvme_qpair_msg_put(qp);
}

static void qp_reconnected(void *arg, int rc)
{
	struct qp_msg *m = arg;
	struct sio_nvme_qpair *qp = m->qpair;

	if (qp->state != NVME_QPAIR_DESTROYING) {
		if (rc != 0) {
			nvme_qpair_set_state(qp, NVME_QPAIR_FAILED);
			nvme_qpair_abort_all(qp, -ENXIO);
		} else {
			nvme_qpair_resubmit_queued(qp);
		}
	}
	sio_thread_send_msg(m->ctrlr->thread, qp_back_msg, m->ctrlr);
	free(m);
	nvme_qpair_msg_put(qp);
}

static void qp_reconnect_msg(void *arg)
{
	struct qp_msg *m = arg;
	struct sio_nvme_qpair *qp = m->qpair;
	int rc = -ENXIO;

	if (qp->state != NVME_QPAIR_DESTROYING && m->ctrlr->state == NVME_CTRLR_RESETTING)
		rc = qp->ops->qpair_connect(qp, qp_reconnected, m);
	if (rc != 0)
		qp_reconnected(m, rc);
}

static int for_each_qpair(struct sio_nvme_ctrlr *ctrlr, sio_msg_fn fn)
{
	struct sio_nvme_qpair *qp;
	int n = 0;

	pthread_mutex_lock(&ctrlr->lock);
	TAILQ_FOREACH(qp, &ctrlr->io_qpairs, link) {
		struct qp_msg *m = malloc(sizeof(*m));

		if (m == NULL)
			continue;
		m->ctrlr = ctrlr;
		m->qpair = qp;
		/* Held under the lock that keeps @qp listed: a free waits for it. */
		__atomic_add_fetch(&qp->pending_msgs, 1, __ATOMIC_ACQ_REL);
		if (sio_thread_send_msg(qp->thread, fn, m) != 0) {
			__atomic_sub_fetch(&qp->pending_msgs, 1, __ATOMIC_ACQ_REL);
			free(m);
			continue;
		}
		n++;
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return n;
}

/* pending_qpair_ops counts the messages out; init_step tells which phase. */
static void reset_step_done(struct sio_nvme_ctrlr *ctrlr)
{
	if (--ctrlr->pending_qpair_ops != 0)
		return;
	if (ctrlr->state == NVME_CTRLR_DETACHING) {
		if (ctrlr->release_pending)
			ctrlr_release_if_idle(ctrlr);
		return;
	}
	if (ctrlr->init_step == INIT_CONNECT_ADMIN) {
		/* Every I/O qpair is down: bring the admin queue back. */
		int rc = ctrlr->ops->qpair_connect(ctrlr->adminq, admin_qpair_connected, ctrlr);

		if (rc != 0)
			init_next(ctrlr, rc);
		return;
	}
	/* Reconnections done. */
	if (ctrlr->state == NVME_CTRLR_RESETTING) {
		sio_done_cb cb = ctrlr->reset_cb;

		ctrlr->state = NVME_CTRLR_READY;
		ctrlr->reset_cb = NULL;
		SIO_NOTICELOG("nvme: controller %s:%s (%s) reset", ctrlr->trid.traddr,
			      ctrlr->trid.trsvcid, ctrlr->trid.subnqn);
		emit_event(ctrlr, SIO_NVME_CTRLR_EVENT_RESET_DONE, NULL);
		if (cb != NULL)
			cb(ctrlr->reset_arg, 0);
	} else if (ctrlr->reset_cb == NULL) {
		/* A failed reset already reported itself. */
	}
}

static void reset_reconnect_qpairs(struct sio_nvme_ctrlr *ctrlr)
{
	ctrlr->init_step = INIT_DONE;
	/* The extra count keeps the phase open until every message is out. */
	ctrlr->pending_qpair_ops = 1;
	ctrlr->pending_qpair_ops += (uint32_t)for_each_qpair(ctrlr, qp_reconnect_msg);
	reset_step_done(ctrlr);
}

static void reset_start(struct sio_nvme_ctrlr *ctrlr)
{
	ctrlr->state = NVME_CTRLR_RESETTING;
	ctrlr->keep_alive_inflight = false;
	if (ctrlr->adminq->state != NVME_QPAIR_FAILED) {
		ctrlr->ops->qpair_disconnect(ctrlr->adminq);
		nvme_qpair_set_state(ctrlr->adminq, NVME_QPAIR_FAILED);
		nvme_qpair_abort_all(ctrlr->adminq, -ECONNRESET);
	}
	nvme_qpair_set_state(ctrlr->adminq, NVME_QPAIR_DISCONNECTED);
	ctrlr->init_step = INIT_CONNECT_ADMIN;
	ctrlr->init_active = true;
	ctrlr->init_deadline_tick = ctrlr->opts.connect_timeout_ms == 0 ? 0 :
		sio_get_ticks() + sio_us_to_ticks((uint64_t)ctrlr->opts.connect_timeout_ms * 1000);
	ctrlr->pending_qpair_ops = 1;
	ctrlr->pending_qpair_ops += (uint32_t)for_each_qpair(ctrlr, qp_disconnect_msg);
	reset_step_done(ctrlr);
}

int sio_nvme_ctrlr_reset(struct sio_nvme_ctrlr *ctrlr, sio_done_cb cb, void *cb_arg)
{
	if (ctrlr == NULL)
		return -EINVAL;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	if (ctrlr->state == NVME_CTRLR_DETACHING)
		return -ENODEV;
	if (ctrlr->state == NVME_CTRLR_RESETTING || ctrlr->state == NVME_CTRLR_INIT)
		return -EBUSY;
	ctrlr->reset_cb = cb;
	ctrlr->reset_arg = cb_arg;
	reset_start(ctrlr);
	return 0;
}

int sio_nvme_ctrlr_reset_await(struct sio_nvme_ctrlr *ctrlr)
{
	return SIO_AWAIT_CALL(sio_nvme_ctrlr_reset, ctrlr);
}

bool sio_nvme_ctrlr_is_failed(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr != NULL && ctrlr->state == NVME_CTRLR_FAILED;
}

int sio_nvme_ctrlr_set_event_cb(struct sio_nvme_ctrlr *ctrlr, sio_nvme_ctrlr_event_cb cb,
				void *cb_arg)
{
	if (ctrlr == NULL)
		return -EINVAL;
	ctrlr->event_cb = cb;
	ctrlr->event_arg = cb_arg;
	return 0;
}

/* ---- getters ---- */

const struct sio_nvme_transport_id *sio_nvme_ctrlr_get_trid(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? &ctrlr->trid : NULL;
}

const struct sio_nvme_ctrlr_data *sio_nvme_ctrlr_get_data(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->cdata : NULL;
}

uint16_t sio_nvme_ctrlr_get_cntlid(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->cntlid : 0;
}

uint64_t sio_nvme_ctrlr_get_cap(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->cap : 0;
}

uint32_t sio_nvme_ctrlr_get_vs(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->vs : 0;
}

bool sio_nvme_ctrlr_is_discovery(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr != NULL && ctrlr->discovery;
}

uint32_t sio_nvme_ctrlr_get_max_xfer_size(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->max_xfer_size : 0;
}

uint32_t sio_nvme_ctrlr_get_num_io_queues(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->num_io_queues : 0;
}

/* ---- admin passthrough and log pages ---- */

int sio_nvme_ctrlr_admin_raw(struct sio_nvme_ctrlr *ctrlr, const struct sio_nvme_cmd *cmd,
			     void *buf, uint32_t len, sio_nvme_cmd_cb cb, void *cb_arg)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (ctrlr == NULL || cmd == NULL || cb == NULL || (len != 0 && buf == NULL))
		return -EINVAL;
	if (len != 0 && sio_nvme_opc_data_xfer(cmd->opc) == SIO_NVME_DATA_BIDIRECTIONAL)
		return -EINVAL;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	if (ctrlr->state == NVME_CTRLR_DETACHING)
		return -ENODEV;
	if (ctrlr->state == NVME_CTRLR_FAILED)
		return -ENXIO;
	return nvme_qpair_submit_cmd(ctrlr->adminq, cmd, &iov, 1, len, false, cb, cb_arg);
}

struct cmd_wait {
	struct sio_future f;
	struct sio_nvme_cpl *cpl;
};

static void cmd_wait_cb(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct cmd_wait *w = arg;

	if (w->cpl != NULL)
		*w->cpl = *cpl;
	sio_future_complete(&w->f, rc, NULL);
}

int sio_nvme_ctrlr_admin_raw_await(struct sio_nvme_ctrlr *ctrlr, const struct sio_nvme_cmd *cmd,
				   void *buf, uint32_t len, struct sio_nvme_cpl *cpl)
{
	struct cmd_wait w = { .cpl = cpl };
	int rc = sio_future_init_await(&w.f);

	if (rc == 0)
		rc = sio_nvme_ctrlr_admin_raw(ctrlr, cmd, buf, len, cmd_wait_cb, &w);
	if (rc == 0)
		rc = sio_await(&w.f);
	return rc;
}

struct log_ctx {
	struct sio_nvme_ctrlr *ctrlr;
	uint8_t lid;
	uint32_t nsid;
	uint8_t *buf;
	uint32_t len, done;
	uint64_t offset;
	sio_nvme_cmd_cb cb;
	void *cb_arg;
};

static int log_next(struct log_ctx *l);

static void log_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct log_ctx *l = arg;

	if (rc == 0) {
		uint32_t chunk = l->len - l->done;

		if (chunk > l->ctrlr->max_xfer_size)
			chunk = l->ctrlr->max_xfer_size;
		l->done += chunk;
		if (l->done < l->len) {
			rc = log_next(l);
			if (rc == 0)
				return;
		}
	}
	l->cb(l->cb_arg, rc, cpl);
	free(l);
}

static int log_next(struct log_ctx *l)
{
	struct sio_nvme_cmd cmd;
	struct iovec iov;
	uint32_t chunk = l->len - l->done;
	uint32_t numd;
	uint64_t off = l->offset + l->done;

	if (chunk > l->ctrlr->max_xfer_size)
		chunk = l->ctrlr->max_xfer_size & ~3u;
	numd = chunk / 4 - 1;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_GET_LOG_PAGE;
	cmd.nsid = l->nsid;
	cmd.cdw10 = SIO_NVME_GET_LOG_CDW10(l->lid, 0, 0, numd & 0xffff);
	cmd.cdw11 = SIO_NVME_GET_LOG_CDW11(numd >> 16, 0);
	cmd.cdw12 = (uint32_t)off;
	cmd.cdw13 = (uint32_t)(off >> 32);
	iov.iov_base = l->buf + l->done;
	iov.iov_len = chunk;
	return nvme_qpair_submit_cmd(l->ctrlr->adminq, &cmd, &iov, 1, chunk, false, log_done, l);
}

int sio_nvme_ctrlr_get_log_page(struct sio_nvme_ctrlr *ctrlr, uint8_t lid, uint32_t nsid,
				void *buf, uint32_t len, uint64_t offset, sio_nvme_cmd_cb cb,
				void *cb_arg)
{
	struct log_ctx *l;
	int rc;

	if (ctrlr == NULL || buf == NULL || cb == NULL || len == 0 || len % 4 != 0 ||
	    offset % 4 != 0)
		return -EINVAL;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	if (ctrlr->state == NVME_CTRLR_DETACHING)
		return -ENODEV;
	if (ctrlr->state == NVME_CTRLR_FAILED)
		return -ENXIO;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->ctrlr = ctrlr;
	l->lid = lid;
	l->nsid = nsid;
	l->buf = buf;
	l->len = len;
	l->offset = offset;
	l->cb = cb;
	l->cb_arg = cb_arg;
	rc = log_next(l);
	if (rc != 0)
		free(l);
	return rc;
}

int sio_nvme_ctrlr_process_admin_completions(struct sio_nvme_ctrlr *ctrlr)
{
	int rc;

	if (ctrlr == NULL)
		return -EINVAL;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	if (ctrlr->state == NVME_CTRLR_FAILED)
		return -ENXIO;
	rc = ctrlr->ops->qpair_process(ctrlr->adminq, 0);
	admin_poller(ctrlr);
	return rc;
}

/* ---- discovery log ---- */

#define DISC_HDR_SIZE 1024u
#define DISC_RETRIES 10

struct disc_ctx {
	struct sio_nvme_ctrlr *ctrlr;
	sio_nvme_discovery_cb cb;
	void *cb_arg;
	struct sio_nvmf_discovery_log_page *log;
	uint64_t genctr;
	uint32_t size;
	int tries;
	int phase; /* 0: header, 1: whole page, 2: header again */
};

static void disc_finish(struct disc_ctx *d, int rc)
{
	d->cb(d->cb_arg, rc, rc == 0 ? d->log : NULL);
	sio_dma_free(d->log);
	free(d);
}

static void disc_step(void *arg, int rc, const struct sio_nvme_cpl *cpl);

static int disc_read(struct disc_ctx *d, uint32_t len)
{
	return sio_nvme_ctrlr_get_log_page(d->ctrlr, SIO_NVME_LOG_DISCOVERY, 0, d->log, len, 0,
					   disc_step, d);
}

static void disc_step(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct disc_ctx *d = arg;
	uint64_t numrec;

	if (rc != 0) {
		disc_finish(d, rc);
		return;
	}
	switch (d->phase) {
	case 0:
		numrec = d->log->numrec;
		if (numrec > 4096) {
			disc_finish(d, -EPROTO);
			return;
		}
		d->genctr = d->log->genctr;
		d->size = DISC_HDR_SIZE + (uint32_t)numrec * sizeof(struct sio_nvmf_discovery_log_page_entry);
		if (numrec == 0) {
			disc_finish(d, 0);
			return;
		}
		sio_dma_free(d->log);
		d->log = sio_dma_zmalloc(d->size, 4096);
		if (d->log == NULL) {
			disc_finish(d, -ENOMEM);
			return;
		}
		d->phase = 1;
		rc = disc_read(d, d->size);
		break;
	case 1:
		/* The whole page came with its own header: a changed generation
		 * or record count means it moved under us. */
		if (d->log->genctr != d->genctr ||
		    DISC_HDR_SIZE + d->log->numrec * sizeof(struct sio_nvmf_discovery_log_page_entry) != d->size) {
			if (++d->tries >= DISC_RETRIES) {
				disc_finish(d, -EAGAIN);
				return;
			}
			d->phase = 0;
			rc = disc_read(d, DISC_HDR_SIZE);
			break;
		}
		disc_finish(d, 0);
		return;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc != 0)
		disc_finish(d, rc);
}

int sio_nvme_ctrlr_get_discovery_log(struct sio_nvme_ctrlr *ctrlr, sio_nvme_discovery_cb cb,
				     void *cb_arg)
{
	struct disc_ctx *d;
	int rc;

	if (ctrlr == NULL || cb == NULL)
		return -EINVAL;
	if (!ctrlr->discovery)
		return -ENOTSUP;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->log = sio_dma_zmalloc(DISC_HDR_SIZE, 4096);
	if (d->log == NULL) {
		free(d);
		return -ENOMEM;
	}
	d->ctrlr = ctrlr;
	d->cb = cb;
	d->cb_arg = cb_arg;
	rc = disc_read(d, DISC_HDR_SIZE);
	if (rc != 0) {
		sio_dma_free(d->log);
		free(d);
	}
	return rc;
}
