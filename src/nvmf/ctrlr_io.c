/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller emulation, part three: NVM I/O commands on bdevs. Each command
 * runs on its qpair's poll group against that group's view of the
 * subsystem (a bdev channel per namespace), so the path takes no lock and
 * allocates nothing: the data buffers are the transport's, passed straight
 * to readv/writev. A write is completed to the host only from the bdev's
 * completion.
 */
#include <errno.h>
#include <string.h>

#include "nvmf/nvmf_ctrlr.h"

static void io_finish(struct nvmf_req *req, int rc)
{
	struct nvmf_pg_subsystem *sg = req->sg;
	struct nvmf_poll_group *pg = req->qpair->pg;

	if (rc != 0) {
		union sio_nvme_status st = sio_nvme_status_from_errno(rc);

		req->rsp.status = st;
	}
	req->sg = NULL;
	sg->io_outstanding--;
	pg->stats.completed_nvme_io++;
	if (sg->io_outstanding == 0 && sg->state == NVMF_PG_SS_PAUSING && sg->pause_it != NULL) {
		struct nvmf_pg_each *it = sg->pause_it;

		/* The pause was waiting for this group's last command. */
		sg->pause_it = NULL;
		sg->state = NVMF_PG_SS_PAUSED;
		nvmf_pg_each_continue(it, 0);
	}
	nvmf_req_complete(req);
}

static void io_done(void *arg, int rc)
{
	io_finish(arg, rc);
}

static int io_submit(struct nvmf_req *req);

static void io_retry(void *arg)
{
	struct nvmf_req *req = arg;
	int rc = io_submit(req);

	if (rc != 0 && rc != -ENOMEM)
		io_finish(req, rc);
}

/* Dataset Management: one unmap per range; the command ends with the last. */
static void dsm_range_done(void *arg, int rc)
{
	struct nvmf_req *req = arg;

	if (rc != 0 && req->sub_rc == 0)
		req->sub_rc = rc;
	if (--req->sub_pending == 0)
		io_finish(req, req->sub_rc);
}

static int io_dsm(struct nvmf_req *req, struct sio_bdev_desc *desc, struct sio_io_channel *ch,
		  uint64_t num_blocks)
{
	struct sio_nvme_dsm_range r;
	uint32_t nr = (req->cmd.cdw10 & 0xff) + 1;
	int rc = 0;

	if (!(req->cmd.cdw11 & SIO_NVME_DSM_ATTR_DEALLOCATE)) {
		/* Integral read/write hints only: nothing to do. */
		io_finish(req, 0);
		return 0;
	}
	if (req->length < nr * sizeof(r))
		return -EINVAL;
	if (!sio_bdev_io_type_supported(sio_bdev_desc_get_bdev(desc), SIO_BDEV_IO_TYPE_UNMAP)) {
		io_finish(req, 0);
		return 0;
	}
	/* Ranges are checked whole before any is started. */
	for (uint32_t i = 0; i < nr; i++) {
		nvmf_req_read_at(req, i * sizeof(r), &r, sizeof(r));
		if (r.starting_lba + r.length > num_blocks || r.starting_lba + r.length < r.starting_lba)
			return -ERANGE;
	}
	req->sub_pending = 1; /* held until every range is submitted */
	req->sub_rc = 0;
	for (uint32_t i = 0; i < nr; i++) {
		nvmf_req_read_at(req, i * sizeof(r), &r, sizeof(r));
		if (r.length == 0)
			continue;
		req->sub_pending++;
		rc = sio_bdev_unmap_blocks(desc, ch, r.starting_lba, r.length, dsm_range_done, req);
		if (rc != 0) {
			req->sub_pending--;
			req->sub_rc = rc;
			break;
		}
	}
	dsm_range_done(req, 0);
	return 0;
}

static int io_submit(struct nvmf_req *req)
{
	struct sio_nvme_cmd *cmd = &req->cmd;
	struct nvmf_pg_subsystem *sg = req->sg;
	struct nvmf_pg_ns *pns = &sg->ns[cmd->nsid - 1];
	struct sio_bdev_desc *desc = pns->ns->desc;
	struct sio_bdev *bdev = pns->ns->bdev;
	struct sio_io_channel *ch = pns->ch;
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1ull;
	uint64_t num_blocks = sio_bdev_get_num_blocks(bdev);
	uint32_t bs = sio_bdev_get_block_size(bdev);
	int rc;

	switch (cmd->opc) {
	case SIO_NVME_OPC_READ:
	case SIO_NVME_OPC_WRITE:
	case SIO_NVME_OPC_COMPARE:
		if (slba + nlb > num_blocks || slba + nlb < slba)
			return -ERANGE;
		if (nlb * bs != req->length)
			return -EMSGSIZE;
		if (cmd->opc == SIO_NVME_OPC_READ)
			rc = sio_bdev_readv_blocks(desc, ch, req->iov, req->iovcnt, slba, nlb,
						   io_done, req);
		else if (cmd->opc == SIO_NVME_OPC_WRITE)
			rc = sio_bdev_writev_blocks(desc, ch, req->iov, req->iovcnt, slba, nlb,
						    io_done, req);
		else
			rc = sio_bdev_comparev_blocks(desc, ch, req->iov, req->iovcnt, slba, nlb,
						      io_done, req);
		break;
	case SIO_NVME_OPC_WRITE_ZEROES:
		if (slba + nlb > num_blocks || slba + nlb < slba)
			return -ERANGE;
		rc = sio_bdev_write_zeroes_blocks(desc, ch, slba, nlb, io_done, req);
		break;
	case SIO_NVME_OPC_FLUSH:
		if (!sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_FLUSH)) {
			io_finish(req, 0);
			return 0;
		}
		rc = sio_bdev_flush_blocks(desc, ch, 0, num_blocks, io_done, req);
		break;
	case SIO_NVME_OPC_DATASET_MANAGEMENT:
		return io_dsm(req, desc, ch, num_blocks);
	default:
		return -EOPNOTSUPP;
	}
	if (rc == -ENOMEM) {
		/* Out of bdev_io in this channel: the channel calls back when one is free. */
		req->bdev_wait.bdev = bdev;
		req->bdev_wait.cb_fn = io_retry;
		req->bdev_wait.cb_arg = req;
		req->qpair->pg->stats.pending_bdev_io++;
		if (sio_bdev_queue_io_wait(bdev, ch, &req->bdev_wait) == 0)
			return 0;
		req->qpair->pg->stats.pending_bdev_io--;
		return -EAGAIN;
	}
	return rc;
}

void nvmf_ctrlr_exec_io(struct nvmf_req *req)
{
	struct nvmf_qpair *qp = req->qpair;
	struct nvmf_ctrlr *ctrlr = qp->ctrlr;
	struct nvmf_pg_subsystem *sg = &qp->pg->sgroups[ctrlr->ss->id];
	struct sio_nvme_cmd *cmd = &req->cmd;
	int rc;

	if (!(__atomic_load_n(&ctrlr->csts, __ATOMIC_ACQUIRE) & 1u)) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC,
					 SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (sg->state == NVMF_PG_SS_PAUSING || sg->state == NVMF_PG_SS_PAUSED) {
		/* Runs at resume (nvmf_pg_ss_run_held()). */
		TAILQ_INSERT_TAIL(&sg->held, req, link);
		return;
	}
	if (sg->state != NVMF_PG_SS_ACTIVE) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC,
					 SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	switch (cmd->opc) {
	case SIO_NVME_OPC_READ:
	case SIO_NVME_OPC_WRITE:
	case SIO_NVME_OPC_COMPARE:
	case SIO_NVME_OPC_WRITE_ZEROES:
	case SIO_NVME_OPC_FLUSH:
	case SIO_NVME_OPC_DATASET_MANAGEMENT:
		break;
	default:
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_OPCODE);
		return;
	}
	if (cmd->opc == SIO_NVME_OPC_FLUSH && cmd->nsid == SIO_NVME_NSID_ALL) {
		/* Flush all (VWC.FLSHBEHAV): one success for every namespace's bdev. */
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
		return;
	}
	if (cmd->nsid == 0 || cmd->nsid > sg->num_ns || sg->ns[cmd->nsid - 1].ns == NULL) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC,
					 SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
		return;
	}
	req->sg = sg;
	sg->io_outstanding++;
	rc = io_submit(req);
	if (rc == 0)
		return;
	switch (rc) {
	case -ERANGE:
		req->rsp.status.raw = 0;
		sio_nvme_cpl_set_status(&req->rsp, SIO_NVME_SCT_GENERIC,
					SIO_NVME_SC_LBA_OUT_OF_RANGE, true);
		io_finish(req, 0);
		return;
	case -EMSGSIZE:
		sio_nvme_cpl_set_status(&req->rsp, SIO_NVME_SCT_GENERIC,
					SIO_NVME_SC_DATA_SGL_LENGTH_INVALID, true);
		io_finish(req, 0);
		return;
	case -EOPNOTSUPP: /* == -ENOTSUP on Linux */
		sio_nvme_cpl_set_status(&req->rsp, SIO_NVME_SCT_GENERIC,
					SIO_NVME_SC_INVALID_OPCODE, true);
		io_finish(req, 0);
		return;
	default:
		io_finish(req, rc);
		return;
	}
}
