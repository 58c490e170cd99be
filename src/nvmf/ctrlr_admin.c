/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller emulation, part two: admin commands. Identify (controller,
 * namespace, active namespace list, namespace identification descriptors,
 * the NVM command set structures a current Linux host asks for), Get Log
 * Page (error, SMART/health, firmware slot, changed namespace list,
 * commands supported and effects, supported pages, discovery), Get/Set
 * Features, Asynchronous Event Request, Keep Alive, Abort.
 *
 * Namespace data comes from the admin qpair's poll-group view of the
 * subsystem, the same consistent copy its I/O sees; the discovery log reads
 * the target's subsystems and listeners under the target's mutex.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmf/nvmf_ctrlr.h"
#include "sio_config.h"
#include "spdk_io/env.h"

static void admin_status(struct nvmf_req *req, uint8_t sct, uint8_t sc)
{
	nvmf_req_complete_status(req, sct, sc);
}

static void admin_ok(struct nvmf_req *req)
{
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
}

/* Copy @len bytes of @page from byte @offset into the request's data (the rest left as is). */
static void admin_reply(struct nvmf_req *req, const void *page, size_t len, uint64_t offset)
{
	size_t n = req->length;

	if (offset >= len) {
		n = 0;
	} else if (n > len - offset) {
		n = len - offset;
	}
	/* Bytes past the page read as zero. */
	for (int i = 0; i < req->iovcnt; i++)
		memset(req->iov[i].iov_base, 0, req->iov[i].iov_len);
	if (n > 0)
		nvmf_req_copy_to(req, (const uint8_t *)page + offset, n);
	admin_ok(req);
}

static void pad_copy(char *dst, size_t dlen, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', dlen);
	memcpy(dst, src, n < dlen ? n : dlen);
}

static struct sio_nvmf_ns *admin_ns(struct nvmf_req *req, uint32_t nsid)
{
	struct nvmf_qpair *qp = req->qpair;
	struct nvmf_pg_subsystem *sg = &qp->pg->sgroups[qp->ctrlr->ss->id];

	if (nsid == 0 || nsid > sg->num_ns)
		return NULL;
	return sg->ns[nsid - 1].ns;
}

static uint8_t log2u(uint64_t v)
{
	uint8_t n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Identify                                                                 */
/* ------------------------------------------------------------------------ */

static void identify_ctrlr(struct nvmf_req *req, struct sio_nvme_ctrlr_data *cd)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	struct sio_nvmf_subsystem *ss = ctrlr->ss;
	const struct sio_nvmf_transport_opts *t = &req->qpair->transport->opts;
	bool disc = ss->subtype == NVMF_SUBTYPE_DISCOVERY;

	pad_copy(cd->sn, sizeof(cd->sn), disc ? "" : ss->sn);
	pad_copy(cd->mn, sizeof(cd->mn), disc ? "spdk-io Discovery Controller" : ss->mn);
	pad_copy(cd->fr, sizeof(cd->fr), SIO_VERSION_STRING);
	cd->rab = 6;
	/* Dynamic controllers of one subsystem share its namespaces. */
	cd->cmic = disc ? 0 : SIO_NVME_CMIC_MULTI_CTRLR;
	/* MDTS in units of CAP.MPSMIN (4 KiB). */
	cd->mdts = log2u(t->max_io_size / 4096);
	cd->cntlid = ctrlr->cntlid;
	cd->ver = SIO_NVME_VERSION(1, 3, 0);
	cd->oaes = disc ? 0 : SIO_NVME_OAES_NS_ATTR;
	cd->ctratt = SIO_NVME_CTRATT_HOSTID_128;
	cd->cntrltype = disc ? SIO_NVME_CNTRLTYPE_DISCOVERY : SIO_NVME_CNTRLTYPE_IO;
	cd->acl = 3;                    /* 4 Aborts at once (0's based) */
	cd->aerl = NVMF_MAX_AER - 1;    /* 0's based */
	cd->frmw = (1u << 1) | 1u;      /* one slot, read-only */
	cd->lpa = SIO_NVME_LPA_CMD_EFFECTS | SIO_NVME_LPA_EXTENDED_DATA;
	cd->elpe = 0;                   /* one error log entry (0's based) */
	cd->wctemp = 0x157;             /* 343 K */
	cd->cctemp = 0x175;             /* 373 K */
	cd->kas = t->kas;
	cd->sqes = (6u << 4) | 6u;      /* 64-byte SQ entries, min = max */
	cd->cqes = (4u << 4) | 4u;      /* 16-byte CQ entries */
	cd->maxcmd = t->max_queue_depth;
	cd->nn = disc ? 0 : ss->max_nsid;
	cd->mnan = 0;
	if (!disc) {
		cd->oncs = SIO_NVME_ONCS_COMPARE | SIO_NVME_ONCS_DSM | SIO_NVME_ONCS_WRITE_ZEROES;
		cd->vwc = SIO_NVME_VWC_PRESENT | SIO_NVME_VWC_NSID_ALL_FLUSH_SUPPORTED;
	}
	cd->sgls = SIO_NVME_SGLS_SUPPORTED | SIO_NVME_SGLS_OFFSET |
		   SIO_NVME_SGLS_TRANSPORT_DATA_BLOCK;
	snprintf(cd->subnqn, sizeof(cd->subnqn), "%s", ss->nqn);
	/* Command capsule: the SQE plus the in-capsule data, in 16-byte units. */
	cd->ioccsz = (uint32_t)((sizeof(struct sio_nvme_cmd) + t->in_capsule_data_size) / 16);
	cd->iorcsz = sizeof(struct sio_nvme_cpl) / 16;
	cd->icdoff = 0;
	cd->fcatt = 0;                  /* dynamic controller model */
	cd->msdbd = 1;
}

static void identify_ns(struct sio_nvmf_ns *ns, struct sio_nvme_ns_data *nd)
{
	uint64_t blocks = sio_bdev_get_num_blocks(ns->bdev);

	nd->nsze = blocks;
	nd->ncap = blocks;
	nd->nuse = blocks;
	nd->nsfeat = sio_bdev_io_type_supported(ns->bdev, SIO_BDEV_IO_TYPE_UNMAP) ?
		     SIO_NVME_NSFEAT_THIN : 0;
	nd->nlbaf = 0;                  /* one format (0's based) */
	nd->flbas = 0;
	nd->nmic = SIO_NVME_NMIC_SHARED;
	nd->noiob = (uint16_t)sio_bdev_get_optimal_io_boundary(ns->bdev);
	nd->lbaf[0].lbads = log2u(sio_bdev_get_block_size(ns->bdev));
	memcpy(nd->nguid, ns->nguid, sizeof(nd->nguid));
	if (ns->has_eui64)
		memcpy(nd->eui64, ns->eui64, sizeof(nd->eui64));
}

/* Namespace identification descriptor list: EUI-64, NGUID, UUID, CSI. */
static size_t identify_ns_descs(struct sio_nvmf_ns *ns, uint8_t *buf, size_t len)
{
	size_t off = 0;

#define ADD_DESC(type, dlen, src)                                              \
	do {                                                                   \
		struct sio_nvme_ns_id_desc *d = (void *)(buf + off);           \
		d->nidt = (type);                                              \
		d->nidl = (dlen);                                              \
		memcpy(d->nid, (src), (dlen));                                 \
		off += sizeof(*d) + (dlen);                                    \
	} while (0)
	if (ns->has_eui64)
		ADD_DESC(SIO_NVME_NIDT_EUI64, SIO_NVME_NIDL_EUI64, ns->eui64);
	ADD_DESC(SIO_NVME_NIDT_NGUID, SIO_NVME_NIDL_NGUID, ns->nguid);
	ADD_DESC(SIO_NVME_NIDT_UUID, SIO_NVME_NIDL_UUID, ns->uuid);
	{
		uint8_t csi = SIO_NVME_CSI_NVM;

		ADD_DESC(SIO_NVME_NIDT_CSI, SIO_NVME_NIDL_CSI, &csi);
	}
#undef ADD_DESC
	(void)len;
	return off;
}

static void exec_identify(struct nvmf_req *req)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	uint8_t cns = req->cmd.cdw10 & 0xff;
	uint8_t csi = (req->cmd.cdw11 >> 24) & 0xff;
	uint32_t nsid = req->cmd.nsid;
	bool disc = ctrlr->ss->subtype == NVMF_SUBTYPE_DISCOVERY;
	union {
		struct sio_nvme_ctrlr_data cd;
		struct sio_nvme_ns_data nd;
		struct sio_nvme_ns_list list;
		struct sio_nvme_nvm_ns_data nvm_ns;
		struct sio_nvme_nvm_ctrlr_data nvm_ctrlr;
		struct sio_nvme_ns_independent_data ind;
		struct sio_nvme_iocs_vector_data iocs;
		uint8_t raw[SIO_NVME_IDENTIFY_DATA_SIZE];
	} *page;
	struct sio_nvmf_ns *ns;

	if (req->xfer != SIO_NVME_DATA_CTRLR_TO_HOST || req->length < SIO_NVME_IDENTIFY_DATA_SIZE) {
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (disc && cns != SIO_NVME_CNS_CTRLR) {
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	/* 4 KiB on the heap: admin commands are rare, the stack may be a task's. */
	page = calloc(1, sizeof(*page));
	if (page == NULL) {
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
		return;
	}
	switch (cns) {
	case SIO_NVME_CNS_CTRLR:
		identify_ctrlr(req, &page->cd);
		break;
	case SIO_NVME_CNS_NS:
	case SIO_NVME_CNS_IOCS_INDEPENDENT_NS:
	case SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST:
	case SIO_NVME_CNS_IOCS_NS:
		if (nsid == 0 || nsid == SIO_NVME_NSID_ALL || nsid > ctrlr->ss->max_nsid) {
			free(page);
			admin_status(req, SIO_NVME_SCT_GENERIC,
				     SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
			return;
		}
		ns = admin_ns(req, nsid);
		if (ns == NULL) {
			/* An inactive NSID: zeroes, or an error where the spec wants one. */
			if (cns == SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST) {
				free(page);
				admin_status(req, SIO_NVME_SCT_GENERIC,
					     SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
				return;
			}
			break;
		}
		if (cns == SIO_NVME_CNS_NS) {
			identify_ns(ns, &page->nd);
		} else if (cns == SIO_NVME_CNS_IOCS_INDEPENDENT_NS) {
			page->ind.nsfeat = sio_bdev_io_type_supported(ns->bdev,
								      SIO_BDEV_IO_TYPE_UNMAP) ?
					   SIO_NVME_NSFEAT_THIN : 0;
			page->ind.nmic = SIO_NVME_NMIC_SHARED;
			page->ind.nstat = SIO_NVME_NSTAT_READY;
		} else if (cns == SIO_NVME_CNS_IOCS_NS) {
			if (csi != SIO_NVME_CSI_NVM) {
				free(page);
				admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
				return;
			}
			/* No protection information nor extended formats: all zero. */
		} else {
			identify_ns_descs(ns, page->raw, sizeof(page->raw));
		}
		break;
	case SIO_NVME_CNS_ACTIVE_NS_LIST:
	case SIO_NVME_CNS_IOCS_ACTIVE_NS_LIST: {
		struct nvmf_pg_subsystem *sg =
			&req->qpair->pg->sgroups[ctrlr->ss->id];
		uint32_t n = 0;

		if (nsid >= 0xfffffffe || (cns == SIO_NVME_CNS_IOCS_ACTIVE_NS_LIST &&
					   csi != SIO_NVME_CSI_NVM)) {
			free(page);
			admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
			return;
		}
		for (uint32_t i = nsid; i < sg->num_ns && n < SIO_NVME_NS_LIST_MAX; i++)
			if (sg->ns[i].ns != NULL)
				page->list.ns_list[n++] = i + 1;
		break;
	}
	case SIO_NVME_CNS_IOCS_CTRLR:
		if (csi != SIO_NVME_CSI_NVM) {
			free(page);
			admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
			return;
		}
		/* Zero limits: no Verify/Write Zeroes/DSM size limits beyond MDTS. */
		break;
	case SIO_NVME_CNS_IOCS:
		page->iocs.iocsc[0] = 1u << SIO_NVME_CSI_NVM;
		break;
	default:
		free(page);
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	admin_reply(req, page, sizeof(*page), 0);
	free(page);
}

/* ------------------------------------------------------------------------ */
/* Log pages                                                                */
/* ------------------------------------------------------------------------ */

static void *discovery_log(struct nvmf_ctrlr *ctrlr, size_t *len)
{
	struct sio_nvmf_tgt *tgt = ctrlr->ss->tgt;
	struct sio_nvmf_discovery_log_page *log;
	size_t cap = 16, n = 0;

	log = calloc(1, sizeof(*log) + cap * sizeof(log->entries[0]));
	if (log == NULL)
		return NULL;
	pthread_mutex_lock(&tgt->mutex);
	log->genctr = __atomic_load_n(&tgt->discovery_genctr, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < tgt->max_subsystems; i++) {
		struct sio_nvmf_subsystem *ss = tgt->subsystems[i];
		struct nvmf_ss_listener *l;

		if (ss == NULL || ss->subtype != NVMF_SUBTYPE_NVME ||
		    !sio_nvmf_subsystem_host_allowed(ss, ctrlr->hostnqn))
			continue;
		TAILQ_FOREACH(l, &ss->listeners, link) {
			struct sio_nvmf_discovery_log_page_entry *e;
			const struct nvmf_trid *trid = &l->tl->trid;

			if (n == cap) {
				void *bigger = realloc(log, sizeof(*log) +
							       2 * cap * sizeof(log->entries[0]));

				if (bigger == NULL)
					goto out;
				log = bigger;
				memset(&log->entries[cap], 0, cap * sizeof(log->entries[0]));
				cap *= 2;
			}
			e = &log->entries[n++];
			e->trtype = SIO_NVMF_TRTYPE_TCP;
			e->adrfam = strcmp(trid->adrfam, "IPv6") == 0 ? SIO_NVMF_ADRFAM_IPV6 :
									 SIO_NVMF_ADRFAM_IPV4;
			e->subtype = SIO_NVMF_SUBTYPE_NVME;
			e->treq = SIO_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED |
				  SIO_NVMF_TREQ_DISABLE_SQ_FLOW;
			e->portid = (uint16_t)trid->port;
			e->cntlid = SIO_NVMF_CNTLID_DYNAMIC;
			e->asqsz = (uint16_t)l->transport->opts.max_aq_depth;
			snprintf(e->trsvcid, sizeof(e->trsvcid), "%d", trid->port);
			snprintf(e->subnqn, sizeof(e->subnqn), "%s", ss->nqn);
			snprintf(e->traddr, sizeof(e->traddr), "%s", trid->traddr);
			e->tsas.tcp.sectype = SIO_NVMF_TCP_SECTYPE_NONE;
		}
	}
out:
	pthread_mutex_unlock(&tgt->mutex);
	log->numrec = n;
	log->recfmt = 0;
	*len = sizeof(*log) + n * sizeof(log->entries[0]);
	return log;
}

static void exec_get_log_page(struct nvmf_req *req)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	uint8_t lid = req->cmd.cdw10 & 0xff;
	bool rae = (req->cmd.cdw10 >> 15) & 1;
	uint64_t offset = (uint64_t)req->cmd.cdw13 << 32 | req->cmd.cdw12;
	bool disc = ctrlr->ss->subtype == NVMF_SUBTYPE_DISCOVERY;
	union {
		struct sio_nvme_error_info_entry err;
		struct sio_nvme_health_information_page health;
		struct sio_nvme_firmware_page fw;
		struct sio_nvme_ns_list_log changed;
		struct sio_nvme_cmds_and_effect_log_page effects;
		struct sio_nvme_supported_log_pages supported;
	} *page;
	size_t len;

	if (req->xfer != SIO_NVME_DATA_CTRLR_TO_HOST || req->length == 0 || (offset & 3) != 0) {
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	if (lid == SIO_NVME_LOG_DISCOVERY) {
		void *log;

		if (!disc) {
			admin_status(req, SIO_NVME_SCT_COMMAND_SPECIFIC,
				     SIO_NVME_SC_INVALID_LOG_PAGE);
			return;
		}
		log = discovery_log(ctrlr, &len);
		if (log == NULL) {
			admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
			return;
		}
		admin_reply(req, log, len, offset);
		free(log);
		return;
	}
	page = calloc(1, sizeof(*page));
	if (page == NULL) {
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
		return;
	}
	switch (disc ? 0xff : lid) {
	case SIO_NVME_LOG_SUPPORTED_LOG_PAGES:
		page->supported.lids[SIO_NVME_LOG_SUPPORTED_LOG_PAGES] = 1;
		page->supported.lids[SIO_NVME_LOG_ERROR] = 1;
		page->supported.lids[SIO_NVME_LOG_HEALTH_INFORMATION] = 1;
		page->supported.lids[SIO_NVME_LOG_FIRMWARE_SLOT] = 1;
		page->supported.lids[SIO_NVME_LOG_CHANGED_NS_LIST] = 1;
		page->supported.lids[SIO_NVME_LOG_COMMAND_EFFECTS] = 1;
		len = sizeof(page->supported);
		break;
	case SIO_NVME_LOG_ERROR:
		/* No error is recorded: one empty entry (ELPE 0). */
		len = sizeof(page->err);
		break;
	case SIO_NVME_LOG_HEALTH_INFORMATION:
		page->health.temperature = 0x0141; /* 321 K */
		page->health.available_spare = 100;
		page->health.available_spare_threshold = 10;
		len = sizeof(page->health);
		break;
	case SIO_NVME_LOG_FIRMWARE_SLOT:
		page->fw.afi = 1;
		pad_copy(page->fw.frs[0], sizeof(page->fw.frs[0]), SIO_VERSION_STRING);
		len = sizeof(page->fw);
		break;
	case SIO_NVME_LOG_CHANGED_NS_LIST:
		nvmf_ctrlr_poll_events_quiet(ctrlr);
		if (ctrlr->num_changed_ns > SIO_NVME_MAX_CHANGED_NAMESPACES) {
			page->changed.ns_list[0] = SIO_NVME_NSID_ALL;
		} else {
			memcpy(page->changed.ns_list, ctrlr->changed_ns,
			       ctrlr->num_changed_ns * sizeof(uint32_t));
		}
		len = sizeof(page->changed);
		admin_reply(req, page, len, offset);
		free(page);
		nvmf_ctrlr_changed_ns_read(ctrlr, rae);
		return;
	case SIO_NVME_LOG_COMMAND_EFFECTS: {
		static const uint8_t admin_ops[] = {
			SIO_NVME_OPC_GET_LOG_PAGE, SIO_NVME_OPC_IDENTIFY, SIO_NVME_OPC_ABORT,
			SIO_NVME_OPC_SET_FEATURES, SIO_NVME_OPC_GET_FEATURES,
			SIO_NVME_OPC_ASYNC_EVENT_REQUEST, SIO_NVME_OPC_KEEP_ALIVE,
		};

		for (size_t i = 0; i < sizeof(admin_ops); i++)
			page->effects.admin_cmds_supported[admin_ops[i]] = SIO_NVME_CMD_EFFECTS_CSUPP;
		page->effects.io_cmds_supported[SIO_NVME_OPC_READ] = SIO_NVME_CMD_EFFECTS_CSUPP;
		page->effects.io_cmds_supported[SIO_NVME_OPC_FLUSH] = SIO_NVME_CMD_EFFECTS_CSUPP;
		page->effects.io_cmds_supported[SIO_NVME_OPC_COMPARE] = SIO_NVME_CMD_EFFECTS_CSUPP;
		page->effects.io_cmds_supported[SIO_NVME_OPC_WRITE] =
			SIO_NVME_CMD_EFFECTS_CSUPP | SIO_NVME_CMD_EFFECTS_LBCC;
		page->effects.io_cmds_supported[SIO_NVME_OPC_WRITE_ZEROES] =
			SIO_NVME_CMD_EFFECTS_CSUPP | SIO_NVME_CMD_EFFECTS_LBCC;
		page->effects.io_cmds_supported[SIO_NVME_OPC_DATASET_MANAGEMENT] =
			SIO_NVME_CMD_EFFECTS_CSUPP | SIO_NVME_CMD_EFFECTS_LBCC;
		len = sizeof(page->effects);
		break;
	}
	default:
		free(page);
		admin_status(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVME_SC_INVALID_LOG_PAGE);
		return;
	}
	admin_reply(req, page, len, offset);
	free(page);
}

/* ------------------------------------------------------------------------ */
/* Features                                                                 */
/* ------------------------------------------------------------------------ */

static uint32_t *feature_slot(struct nvmf_ctrlr *ctrlr, uint8_t fid)
{
	switch (fid) {
	case SIO_NVME_FEAT_ARBITRATION:
		return &ctrlr->feat.arbitration;
	case SIO_NVME_FEAT_POWER_MANAGEMENT:
		return &ctrlr->feat.power_mgmt;
	case SIO_NVME_FEAT_TEMPERATURE_THRESHOLD:
		return &ctrlr->feat.temp_threshold;
	case SIO_NVME_FEAT_ERROR_RECOVERY:
		return &ctrlr->feat.error_recovery;
	case SIO_NVME_FEAT_VOLATILE_WRITE_CACHE:
		return &ctrlr->feat.volatile_wc;
	case SIO_NVME_FEAT_NUMBER_OF_QUEUES:
		return &ctrlr->feat.num_queues;
	case SIO_NVME_FEAT_ASYNC_EVENT_CONFIGURATION:
		return &ctrlr->feat.async_event_cfg;
	case SIO_NVME_FEAT_KEEP_ALIVE_TIMER:
		return &ctrlr->feat.kato_ms;
	default:
		return NULL;
	}
}

static void exec_get_features(struct nvmf_req *req)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	uint8_t fid = req->cmd.cdw10 & 0xff;
	uint8_t sel = (req->cmd.cdw10 >> 8) & 0x7;
	uint32_t *slot = feature_slot(ctrlr, fid);

	if (fid == SIO_NVME_FEAT_HOST_IDENTIFIER) {
		if (req->length < sizeof(ctrlr->hostid) ||
		    !(req->cmd.cdw11 & 1u)) {
			/* Only the 128-bit form (EXHID) exists on Fabrics. */
			admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
			return;
		}
		req->rsp.cdw0 = 1;
		admin_reply(req, ctrlr->hostid, sizeof(ctrlr->hostid), 0);
		return;
	}
	if (fid == SIO_NVME_FEAT_WRITE_ATOMICITY || fid == SIO_NVME_FEAT_INTERRUPT_COALESCING) {
		req->rsp.cdw0 = 0;
		admin_ok(req);
		return;
	}
	if (slot == NULL) {
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	if (sel == SIO_NVME_FEAT_SEL_SUPPORTED) {
		/* Changeable (bit 2), neither saveable nor namespace specific. */
		req->rsp.cdw0 = 1u << 2;
	} else if (fid == SIO_NVME_FEAT_NUMBER_OF_QUEUES && *slot == 0) {
		/* Before any Set Features: what the transport allows (0's based). */
		uint32_t n = ctrlr->max_qpairs - 2u;

		req->rsp.cdw0 = n | n << 16;
	} else {
		req->rsp.cdw0 = *slot;
	}
	admin_ok(req);
}

static void exec_set_features(struct nvmf_req *req)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	uint8_t fid = req->cmd.cdw10 & 0xff;
	bool save = (req->cmd.cdw10 >> 31) & 1;
	uint32_t v = req->cmd.cdw11;
	uint32_t *slot = feature_slot(ctrlr, fid);

	if (save) {
		admin_status(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVME_SC_FEATURE_ID_NOT_SAVEABLE);
		return;
	}
	switch (fid) {
	case SIO_NVME_FEAT_NUMBER_OF_QUEUES: {
		union sio_nvme_feat_number_of_queues q = {.raw = v};
		uint32_t max = ctrlr->max_qpairs - 2u; /* I/O queues, 0's based */

		if (q.bits.nsqr == 0xffff || q.bits.ncqr == 0xffff ||
		    __atomic_load_n(&ctrlr->num_io_qpairs, __ATOMIC_RELAXED) > 0) {
			admin_status(req, SIO_NVME_SCT_GENERIC,
				     q.bits.nsqr == 0xffff || q.bits.ncqr == 0xffff ?
				     SIO_NVME_SC_INVALID_FIELD : SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
			return;
		}
		q.bits.nsqr = q.bits.nsqr < max ? q.bits.nsqr : max;
		q.bits.ncqr = q.bits.ncqr < max ? q.bits.ncqr : max;
		__atomic_store_n(slot, q.raw, __ATOMIC_RELEASE);
		req->rsp.cdw0 = q.raw;
		admin_ok(req);
		return;
	}
	case SIO_NVME_FEAT_KEEP_ALIVE_TIMER: {
		const struct sio_nvmf_transport_opts *t = &req->qpair->transport->opts;

		/* Round up to the granularity the controller reports (KAS, 100 ms units). */
		if (v != 0) {
			uint32_t gran = t->kas ? t->kas * 100u : 100u;

			v = (v + gran - 1) / gran * gran;
		}
		ctrlr->feat.kato_ms = v;
		ctrlr->last_keep_alive = sio_get_ticks();
		req->rsp.cdw0 = v;
		admin_ok(req);
		return;
	}
	case SIO_NVME_FEAT_HOST_IDENTIFIER:
		/* Fabrics hosts give their identifier in Connect. */
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	default:
		break;
	}
	if (slot == NULL) {
		admin_status(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVME_SC_FEATURE_NOT_CHANGEABLE);
		return;
	}
	*slot = v;
	if (fid == SIO_NVME_FEAT_ASYNC_EVENT_CONFIGURATION)
		nvmf_ctrlr_poll_events(ctrlr);
	admin_ok(req);
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

void nvmf_ctrlr_exec_admin(struct nvmf_req *req)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	bool disc = ctrlr->ss->subtype == NVMF_SUBTYPE_DISCOVERY;

	if (!(__atomic_load_n(&ctrlr->csts, __ATOMIC_ACQUIRE) & 1u)) {
		/* CC.EN is 0: only Fabrics commands (handled before this) are legal. */
		admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	switch (req->cmd.opc) {
	case SIO_NVME_OPC_IDENTIFY:
		exec_identify(req);
		return;
	case SIO_NVME_OPC_GET_LOG_PAGE:
		exec_get_log_page(req);
		return;
	case SIO_NVME_OPC_GET_FEATURES:
		exec_get_features(req);
		return;
	case SIO_NVME_OPC_SET_FEATURES:
		exec_set_features(req);
		return;
	case SIO_NVME_OPC_ASYNC_EVENT_REQUEST:
		nvmf_ctrlr_aer_submit(req);
		return;
	case SIO_NVME_OPC_KEEP_ALIVE:
		ctrlr->last_keep_alive = sio_get_ticks();
		admin_ok(req);
		return;
	case SIO_NVME_OPC_ABORT:
		if (disc)
			break;
		/* Commands here run to completion quickly: report "not aborted" (bit 0). */
		req->rsp.cdw0 = 1;
		admin_ok(req);
		return;
	default:
		break;
	}
	admin_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_OPCODE);
}
