/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespaces: the active list and each namespace's Identify data (refreshed
 * at connect, after a reset and on a namespace-attribute async event), the
 * getters, and the NVM I/O commands in callback and awaitable form.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/env.h"
#include "nvme/host/nvme_internal.h"

/* Data of one command may span at most this many iovecs (the TCP transport's limit). */
#define NVME_IOV_MAX 64

/* ---- refresh ---- */

struct ns_refresh {
	struct sio_nvme_ctrlr *ctrlr;
	nvme_rc_cb cb;
	void *arg;
	uint32_t *list;          /* the active list read (1024 entries, 4 KiB) */
	uint32_t idx;            /* next entry of @list to identify */
	int phase;               /* 0: id descriptors (the CSI), 1: identify ns (CNS 00h) */
	uint8_t *desc;           /* 4 KiB descriptor list */
};

static void refresh_step(void *arg, int rc, const struct sio_nvme_cpl *cpl);

/*
 * Whether a listed namespace counts as present. An NVM namespace needs its
 * geometry (NSZE 0 or an odd block size: treated as absent, as before the
 * command sets). A namespace of another command set is known by its CSI
 * alone: CNS 00h is the NVM command set's structure, which a controller may
 * refuse or leave zero for it (then it has no sector size or count here).
 */
static bool ns_present(const struct sio_nvme_ns *ns)
{
	return ns->num_sectors != 0 || ns->csi != SIO_NVME_CSI_NVM;
}

static void refresh_finish(struct ns_refresh *r, int rc)
{
	struct sio_nvme_ctrlr *ctrlr = r->ctrlr;

	if (rc == 0) {
		uint32_t n = 0, cap = ctrlr->num_ns < SIO_NVME_NS_LIST_MAX ? ctrlr->num_ns
									    : SIO_NVME_NS_LIST_MAX;

		/* Namespaces not in the new list are inactive from now on. */
		for (uint32_t i = 0; i < ctrlr->num_ns; i++)
			ctrlr->ns[i].active = false;
		for (uint32_t i = 0; i < SIO_NVME_NS_LIST_MAX && r->list[i] != 0 && n < cap; i++) {
			uint32_t id = r->list[i];

			if (id > ctrlr->num_ns || ctrlr->ns[id - 1].data == NULL ||
			    !ns_present(&ctrlr->ns[id - 1]) || ctrlr->ns[id - 1].active)
				continue;
			ctrlr->ns[id - 1].active = true;
			ctrlr->active_ids[n++] = id;
		}
		ctrlr->num_active = n;
	}
	sio_dma_free(r->list);
	sio_dma_free(r->desc);
	r->cb(r->arg, rc);
	free(r);
}

static int refresh_submit(struct ns_refresh *r, uint8_t cns, uint32_t nsid, void *buf)
{
	struct sio_nvme_cmd cmd;
	struct iovec iov = { .iov_base = buf, .iov_len = SIO_NVME_IDENTIFY_DATA_SIZE };

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = SIO_NVME_IDENTIFY_CDW10(cns, 0);
	return nvme_qpair_submit_cmd(r->ctrlr->adminq, &cmd, &iov, 1, SIO_NVME_IDENTIFY_DATA_SIZE,
				     true, refresh_step, r);
}

static void ns_fill(struct sio_nvme_ns *ns)
{
	const struct sio_nvme_ns_data *d = ns->data;
	unsigned int f = sio_nvme_ns_lbaf_index(d);
	uint8_t lbads = f < 64 ? d->lbaf[f].lbads : 0;

	/* A namespace the controller reports with NSZE 0 (or a block size
	 * outside 512 B..64 KiB) is treated as absent. */
	if (lbads < 9 || lbads > 16 || d->nsze == 0) {
		ns->sector_size = 0;
		ns->num_sectors = 0;
		return;
	}
	ns->sector_size = 1u << lbads;
	ns->num_sectors = d->nsze;
}

/* Set what @buf (a CNS 03h list) names on @ns: its UUID and CSI; the caller reset them. */
static void desc_parse(struct sio_nvme_ns *ns, const uint8_t *buf)
{
	size_t off = 0;

	/* Descriptors follow each other at any byte offset: read them as bytes
	 * (NIDT, NIDL, 2 reserved, then NIDL bytes), never through the struct. */
	while (off + 4 <= SIO_NVME_IDENTIFY_DATA_SIZE) {
		uint8_t nidt = buf[off], nidl = buf[off + 1];

		if (nidt == 0 || nidl == 0)
			break;
		if (off + 4 + nidl > SIO_NVME_IDENTIFY_DATA_SIZE)
			break;
		if (nidt == SIO_NVME_NIDT_UUID && nidl == SIO_NVME_NIDL_UUID) {
			memcpy(ns->uuid, buf + off + 4, 16);
			ns->has_uuid = true;
		} else if (nidt == SIO_NVME_NIDT_CSI && nidl == SIO_NVME_NIDL_CSI) {
			ns->csi = buf[off + 4];
		}
		off += 4u + nidl;
	}
}

/*
 * Whether a failed command was answered by the controller itself (a status
 * it chose), not cut off by the connection, a timeout or a transport error:
 * only such a refusal says something about the namespace.
 */
static bool refused_by_ctrlr(int rc, const struct sio_nvme_cpl *cpl)
{
	if (cpl == NULL || rc == -ETIMEDOUT || cpl->status.sct == SIO_NVME_SCT_PATH)
		return false;
	return !(cpl->status.sct == SIO_NVME_SCT_GENERIC &&
		 cpl->status.sc == SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR);
}

/*
 * Each listed namespace: its descriptor list first (CNS 03h, command set
 * independent: the CSI), then CNS 00h, one command at a time. The CSI comes
 * first so that a CNS 00h refused for a namespace of another command set
 * (the structure is the NVM command set's) is known to be harmless.
 */
static int refresh_next(struct ns_refresh *r)
{
	struct sio_nvme_ctrlr *ctrlr = r->ctrlr;

	while (r->idx < SIO_NVME_NS_LIST_MAX && r->list[r->idx] != 0) {
		uint32_t id = r->list[r->idx];
		struct sio_nvme_ns *ns;

		if (id > ctrlr->num_ns) {
			r->idx++;
			continue;
		}
		ns = &ctrlr->ns[id - 1];
		if (r->phase == 0) {
			memset(r->desc, 0, SIO_NVME_IDENTIFY_DATA_SIZE);
			return refresh_submit(r, SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST, id, r->desc);
		}
		if (ns->data == NULL) {
			ns->data = sio_dma_zmalloc(SIO_NVME_IDENTIFY_DATA_SIZE, 4096);
			if (ns->data == NULL)
				return -ENOMEM;
		}
		return refresh_submit(r, SIO_NVME_CNS_NS, id, ns->data);
	}
	refresh_finish(r, 0);
	return 0;
}

static void refresh_step(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct ns_refresh *r = arg;
	struct sio_nvme_ctrlr *ctrlr = r->ctrlr;

	if (r->idx == UINT32_MAX) {
		/* The active list came back. */
		if (rc != 0) {
			refresh_finish(r, rc);
			return;
		}
		r->idx = 0;
		r->phase = 0;
	} else {
		uint32_t id = r->list[r->idx];
		struct sio_nvme_ns *ns = &ctrlr->ns[id - 1];

		if (r->phase == 0) {
			/* Descriptors are optional before NVMe 1.3: an error, like a
			 * list without them, leaves no UUID and the NVM command set
			 * (the only one before 2.0). */
			ns->has_uuid = false;
			ns->csi = SIO_NVME_CSI_NVM;
			if (rc == 0)
				desc_parse(ns, r->desc);
			r->phase = 1;
		} else {
			if (rc == 0) {
				ns_fill(ns);
			} else if (ns->csi != SIO_NVME_CSI_NVM && refused_by_ctrlr(rc, cpl)) {
				/* The controller answered: no NVM data for this command
				 * set's namespace. It stays, known by its CSI, with no
				 * geometry (and no stale data of an earlier refresh). */
				memset(ns->data, 0, SIO_NVME_IDENTIFY_DATA_SIZE);
				ns->sector_size = 0;
				ns->num_sectors = 0;
			} else {
				refresh_finish(r, rc);
				return;
			}
			r->phase = 0;
			r->idx++;
		}
	}
	rc = refresh_next(r);
	if (rc != 0)
		refresh_finish(r, rc);
}

int nvme_ns_refresh_all(struct sio_nvme_ctrlr *ctrlr, nvme_rc_cb cb, void *arg)
{
	struct ns_refresh *r;
	uint32_t nn = ctrlr->cdata->nn;
	int rc;

	if (ctrlr->ns == NULL && nn != 0) {
		ctrlr->ns = calloc(nn, sizeof(*ctrlr->ns));
		ctrlr->active_ids = calloc(nn < SIO_NVME_NS_LIST_MAX ? nn : SIO_NVME_NS_LIST_MAX,
					   sizeof(uint32_t));
		if (ctrlr->ns == NULL || ctrlr->active_ids == NULL) {
			free(ctrlr->ns);
			free(ctrlr->active_ids);
			ctrlr->ns = NULL;
			ctrlr->active_ids = NULL;
			return -ENOMEM;
		}
		ctrlr->num_ns = nn;
		for (uint32_t i = 0; i < nn; i++) {
			ctrlr->ns[i].ctrlr = ctrlr;
			ctrlr->ns[i].id = i + 1;
		}
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->list = sio_dma_zmalloc(SIO_NVME_IDENTIFY_DATA_SIZE, 4096);
	r->desc = sio_dma_zmalloc(SIO_NVME_IDENTIFY_DATA_SIZE, 4096);
	if (r->list == NULL || r->desc == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	r->ctrlr = ctrlr;
	r->cb = cb;
	r->arg = arg;
	r->idx = UINT32_MAX;
	if (nn == 0) {
		/* Nothing to list: finish through the same path, from a message-free call. */
		r->idx = 0;
		rc = refresh_next(r);
		return rc;
	}
	/* Active IDs above 0; more than 1024 namespaces would need more pages. */
	rc = refresh_submit(r, SIO_NVME_CNS_ACTIVE_NS_LIST, 0, r->list);
	if (rc == 0)
		return 0;
fail:
	sio_dma_free(r->list);
	sio_dma_free(r->desc);
	free(r);
	return rc;
}

void nvme_ns_free_all(struct sio_nvme_ctrlr *ctrlr)
{
	for (uint32_t i = 0; i < ctrlr->num_ns; i++)
		sio_dma_free(ctrlr->ns[i].data);
	free(ctrlr->ns);
	free(ctrlr->active_ids);
	ctrlr->ns = NULL;
	ctrlr->active_ids = NULL;
	ctrlr->num_ns = 0;
	ctrlr->num_active = 0;
}

/* ---- controller's namespace list ---- */

uint32_t sio_nvme_ctrlr_get_num_ns(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr ? ctrlr->num_ns : 0;
}

uint32_t sio_nvme_ctrlr_get_first_active_ns(const struct sio_nvme_ctrlr *ctrlr)
{
	return ctrlr && ctrlr->num_active ? ctrlr->active_ids[0] : 0;
}

uint32_t sio_nvme_ctrlr_get_next_active_ns(const struct sio_nvme_ctrlr *ctrlr, uint32_t nsid)
{
	if (ctrlr == NULL)
		return 0;
	for (uint32_t i = 0; i < ctrlr->num_active; i++)
		if (ctrlr->active_ids[i] > nsid)
			return ctrlr->active_ids[i];
	return 0;
}

struct sio_nvme_ns *sio_nvme_ctrlr_get_ns(struct sio_nvme_ctrlr *ctrlr, uint32_t nsid)
{
	if (ctrlr == NULL || nsid == 0 || nsid > ctrlr->num_ns)
		return NULL;
	return &ctrlr->ns[nsid - 1];
}

/* ---- namespace getters ---- */

uint32_t sio_nvme_ns_get_id(const struct sio_nvme_ns *ns)
{
	return ns ? ns->id : 0;
}

struct sio_nvme_ctrlr *sio_nvme_ns_get_ctrlr(const struct sio_nvme_ns *ns)
{
	return ns ? ns->ctrlr : NULL;
}

bool sio_nvme_ns_is_active(const struct sio_nvme_ns *ns)
{
	return ns != NULL && ns->active;
}

uint32_t sio_nvme_ns_get_sector_size(const struct sio_nvme_ns *ns)
{
	return ns && ns->active ? ns->sector_size : 0;
}

uint64_t sio_nvme_ns_get_num_sectors(const struct sio_nvme_ns *ns)
{
	return ns && ns->active ? ns->num_sectors : 0;
}

uint64_t sio_nvme_ns_get_size(const struct sio_nvme_ns *ns)
{
	return sio_nvme_ns_get_num_sectors(ns) * sio_nvme_ns_get_sector_size(ns);
}

uint32_t sio_nvme_ns_get_max_io_xfer_size(const struct sio_nvme_ns *ns)
{
	uint32_t ss = sio_nvme_ns_get_sector_size(ns);

	if (ss == 0)
		return 0;
	return ns->ctrlr->max_xfer_size / ss * ss;
}

const uint8_t *sio_nvme_ns_get_uuid(const struct sio_nvme_ns *ns)
{
	return ns && ns->active && ns->has_uuid ? ns->uuid : NULL;
}

uint8_t sio_nvme_ns_get_csi(const struct sio_nvme_ns *ns)
{
	return ns && ns->active ? ns->csi : SIO_NVME_CSI_NVM;
}

/* NVMe Base 2.0's CSI values; the words are nvme-cli's. */
const char *sio_nvme_csi_name(uint8_t csi)
{
	switch (csi) {
	case SIO_NVME_CSI_NVM:
		return "NVM";
	case SIO_NVME_CSI_KV:
		return "Key Value";
	case SIO_NVME_CSI_ZNS:
		return "Zoned Namespace";
	default:
		return "unknown";
	}
}

static bool zero16(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

const uint8_t *sio_nvme_ns_get_nguid(const struct sio_nvme_ns *ns)
{
	if (ns == NULL || !ns->active || zero16(ns->data->nguid, 16))
		return NULL;
	return ns->data->nguid;
}

const uint8_t *sio_nvme_ns_get_eui64(const struct sio_nvme_ns *ns)
{
	if (ns == NULL || !ns->active || zero16(ns->data->eui64, 8))
		return NULL;
	return ns->data->eui64;
}

const struct sio_nvme_ns_data *sio_nvme_ns_get_data(const struct sio_nvme_ns *ns)
{
	return ns ? ns->data : NULL;
}

/* ---- I/O commands ---- */

static int io_check(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, sio_nvme_cmd_cb cb)
{
	if (ns == NULL || qpair == NULL || cb == NULL || qpair->qid == 0 ||
	    ns->ctrlr != qpair->ctrlr)
		return -EINVAL;
	if (sio_thread_get_current() != qpair->thread)
		return -EPERM;
	if (!ns->active)
		return -EINVAL;
	return 0;
}

static int io_rw(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, uint8_t opc,
		 const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		 uint32_t io_flags, sio_nvme_cmd_cb cb, void *cb_arg)
{
	struct sio_nvme_cmd cmd;
	struct nvme_request *req;
	uint64_t bytes, have = 0;
	int rc;

	rc = io_check(ns, qpair, cb);
	if (rc != 0)
		return rc;
	if (lba_count == 0 || lba_count > 65536 || lba + lba_count > ns->num_sectors ||
	    lba + lba_count < lba)
		return -EINVAL;
	bytes = (uint64_t)lba_count * ns->sector_size;
	if (opc != SIO_NVME_OPC_WRITE_ZEROES) {
		if (bytes > ns->ctrlr->max_xfer_size || iov == NULL || iovcnt < 1 ||
		    iovcnt > NVME_IOV_MAX)
			return -EINVAL;
		for (int i = 0; i < iovcnt && have < bytes; i++)
			have += iov[i].iov_len;
		if (have < bytes)
			return -EINVAL;
	} else if (io_flags & ~(SIO_NVME_IO_FLAGS_FORCE_UNIT_ACCESS |
				SIO_NVME_IO_FLAGS_LIMITED_RETRY | SIO_NVME_IO_FLAGS_DEALLOCATE)) {
		return -EINVAL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = opc;
	cmd.nsid = ns->id;
	cmd.cdw10 = (uint32_t)lba;
	cmd.cdw11 = (uint32_t)(lba >> 32);
	cmd.cdw12 = (lba_count - 1) | (io_flags & ~SIO_NVME_IO_NLB_MASK);
	rc = nvme_qpair_prepare(qpair, &cmd, false, cb, cb_arg, &req);
	if (rc != 0)
		return rc;
	if (opc != SIO_NVME_OPC_WRITE_ZEROES)
		nvme_req_set_payload(req, iov, iovcnt, (uint32_t)bytes);
	return nvme_qpair_submit(qpair, req);
}

/* io_rw() with one buffer of @lba_count blocks (read, write, compare). */
static int io_rw_buf(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, uint8_t opc,
		     const void *buf, uint64_t lba, uint32_t lba_count, uint32_t io_flags,
		     sio_nvme_cmd_cb cb, void *cb_arg)
{
	/* io_rw() only reads the iovec; a write's const buffer is never written. */
	struct iovec iov = { .iov_base = (void *)buf,
			     .iov_len = ns ? (size_t)lba_count * ns->sector_size : 0 };

	if (buf == NULL)
		return -EINVAL;
	return io_rw(ns, qpair, opc, &iov, 1, lba, lba_count, io_flags, cb, cb_arg);
}

int sio_nvme_ns_read(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, void *buf,
		     uint64_t lba, uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
		     void *cb_arg)
{
	return io_rw_buf(ns, qpair, SIO_NVME_OPC_READ, buf, lba, lba_count, io_flags, cb, cb_arg);
}

int sio_nvme_ns_write(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, const void *buf,
		      uint64_t lba, uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
		      void *cb_arg)
{
	return io_rw_buf(ns, qpair, SIO_NVME_OPC_WRITE, buf, lba, lba_count, io_flags, cb, cb_arg);
}

int sio_nvme_ns_readv(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
		      const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		      uint32_t io_flags, sio_nvme_cmd_cb cb, void *cb_arg)
{
	return io_rw(ns, qpair, SIO_NVME_OPC_READ, iov, iovcnt, lba, lba_count, io_flags, cb,
		     cb_arg);
}

int sio_nvme_ns_writev(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       uint32_t io_flags, sio_nvme_cmd_cb cb, void *cb_arg)
{
	return io_rw(ns, qpair, SIO_NVME_OPC_WRITE, iov, iovcnt, lba, lba_count, io_flags, cb,
		     cb_arg);
}

int sio_nvme_ns_compare(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, const void *buf,
			uint64_t lba, uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
			void *cb_arg)
{
	return io_rw_buf(ns, qpair, SIO_NVME_OPC_COMPARE, buf, lba, lba_count, io_flags, cb,
			 cb_arg);
}

int sio_nvme_ns_write_zeroes(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, uint64_t lba,
			     uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
			     void *cb_arg)
{
	return io_rw(ns, qpair, SIO_NVME_OPC_WRITE_ZEROES, NULL, 0, lba, lba_count, io_flags, cb,
		     cb_arg);
}

int sio_nvme_ns_deallocate(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, uint64_t lba,
			   uint32_t lba_count, sio_nvme_cmd_cb cb, void *cb_arg)
{
	struct sio_nvme_cmd cmd;
	struct nvme_request *req;
	struct iovec iov;
	int rc;

	rc = io_check(ns, qpair, cb);
	if (rc != 0)
		return rc;
	if (lba_count == 0 || lba + lba_count > ns->num_sectors || lba + lba_count < lba)
		return -EINVAL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_DATASET_MANAGEMENT;
	cmd.nsid = ns->id;
	cmd.cdw10 = 0; /* one range, 0's based */
	cmd.cdw11 = SIO_NVME_DSM_ATTR_DEALLOCATE;
	rc = nvme_qpair_prepare(qpair, &cmd, false, cb, cb_arg, &req);
	if (rc != 0)
		return rc;
	/* The range travels in the request itself: nothing to allocate. */
	req->dsm.attributes = 0;
	req->dsm.length = lba_count;
	req->dsm.starting_lba = lba;
	iov.iov_base = &req->dsm;
	iov.iov_len = sizeof(req->dsm);
	nvme_req_set_payload(req, &iov, 1, sizeof(req->dsm));
	return nvme_qpair_submit(qpair, req);
}

int sio_nvme_ns_flush(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, sio_nvme_cmd_cb cb,
		      void *cb_arg)
{
	struct sio_nvme_cmd cmd;
	int rc;

	rc = io_check(ns, qpair, cb);
	if (rc != 0)
		return rc;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_FLUSH;
	cmd.nsid = ns->id;
	return nvme_qpair_submit_cmd(qpair, &cmd, NULL, 0, 0, false, cb, cb_arg);
}

int sio_nvme_ctrlr_io_raw(struct sio_nvme_ctrlr *ctrlr, struct sio_nvme_qpair *qpair,
			  const struct sio_nvme_cmd *cmd, void *buf, uint32_t len,
			  sio_nvme_cmd_cb cb, void *cb_arg)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (ctrlr == NULL || qpair == NULL || cmd == NULL || cb == NULL || qpair->qid == 0 ||
	    qpair->ctrlr != ctrlr || (len != 0 && buf == NULL) || len > ctrlr->max_xfer_size)
		return -EINVAL;
	if (len != 0 && sio_nvme_opc_data_xfer(cmd->opc) == SIO_NVME_DATA_BIDIRECTIONAL)
		return -EINVAL;
	if (sio_thread_get_current() != qpair->thread)
		return -EPERM;
	return nvme_qpair_submit_cmd(qpair, cmd, &iov, 1, len, false, cb, cb_arg);
}

/* ---- awaitable forms: a stack future, the completion entry copied out ---- */

struct io_wait {
	struct sio_future f;
	struct sio_nvme_cpl *cpl;
};

static void io_wait_cb(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct io_wait *w = arg;

	if (w->cpl != NULL)
		*w->cpl = *cpl;
	sio_future_complete(&w->f, rc, NULL);
}

#define IO_AWAIT(cplp, fn, ...)                                              \
	({                                                                   \
		struct io_wait _w = { .cpl = (cplp) };                       \
		int _rc = sio_future_init_await(&_w.f);                      \
		if (_rc == 0) {                                              \
			_rc = fn(__VA_ARGS__, io_wait_cb, &_w);              \
			if (_rc == 0)                                        \
				_rc = sio_await(&_w.f);                      \
		}                                                            \
		_rc;                                                         \
	})

int sio_nvme_ns_read_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, void *buf,
			   uint64_t lba, uint32_t lba_count, uint32_t io_flags,
			   struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_read, ns, qpair, buf, lba, lba_count, io_flags);
}

int sio_nvme_ns_write_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			    const void *buf, uint64_t lba, uint32_t lba_count, uint32_t io_flags,
			    struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_write, ns, qpair, buf, lba, lba_count, io_flags);
}

int sio_nvme_ns_readv_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			    const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			    uint32_t io_flags, struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_readv, ns, qpair, iov, iovcnt, lba, lba_count, io_flags);
}

int sio_nvme_ns_writev_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			     const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			     uint32_t io_flags, struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_writev, ns, qpair, iov, iovcnt, lba, lba_count, io_flags);
}

int sio_nvme_ns_compare_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			      const void *buf, uint64_t lba, uint32_t lba_count, uint32_t io_flags,
			      struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_compare, ns, qpair, buf, lba, lba_count, io_flags);
}

int sio_nvme_ns_write_zeroes_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
				   uint64_t lba, uint32_t lba_count, uint32_t io_flags,
				   struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_write_zeroes, ns, qpair, lba, lba_count, io_flags);
}

int sio_nvme_ns_deallocate_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
				 uint64_t lba, uint32_t lba_count, struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_deallocate, ns, qpair, lba, lba_count);
}

int sio_nvme_ns_flush_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			    struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ns_flush, ns, qpair);
}

int sio_nvme_ctrlr_io_raw_await(struct sio_nvme_ctrlr *ctrlr, struct sio_nvme_qpair *qpair,
				const struct sio_nvme_cmd *cmd, void *buf, uint32_t len,
				struct sio_nvme_cpl *cpl)
{
	return IO_AWAIT(cpl, sio_nvme_ctrlr_io_raw, ctrlr, qpair, cmd, buf, len);
}
