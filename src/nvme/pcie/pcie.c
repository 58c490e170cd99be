/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over PCIe through VFIO, behind struct nvme_transport_ops.
 *
 * The core (src/nvme/host) runs the controller's init sequence through
 * ctrlr_get_reg/set_reg and queue pairs through qpair_*; this file supplies:
 *
 * - registers: BAR0 mapped by the env's VFIO layer, read and written with
 *   32-bit MMIO (a 64-bit register as two halves, low first);
 * - the admin queue: "connecting" it disables the controller (CC.EN = 0, then
 *   CSTS.RDY = 0 within CAP.TO) and programs AQA/ASQ/ACQ; the core then
 *   enables the controller and waits for CSTS.RDY itself;
 * - I/O queues: Create I/O CQ + Create I/O SQ on the admin queue, deletion
 *   when the queue pair is freed. The admin queue belongs to the controller's
 *   thread and an I/O queue pair to its own, so queue creation and deletion
 *   are jobs sent to the controller's thread and run one at a time there
 *   (struct pcie_job), with the answer sent back;
 * - commands: the SQE copied into the submission queue, data described by
 *   PRPs (any layout the spec allows) or, on I/O queues of a controller that
 *   supports them, SGLs; the tail doorbell written (through the shadow
 *   doorbell buffer when the controller offers Doorbell Buffer Config);
 * - completions: polled by phase tag by a poller of the owning thread.
 *
 * Lifetimes across threads: the hardware queue (struct pcie_hwq: SQ/CQ
 * memory) and the transport's controller state (struct pcie_ctrlr) are
 * reference-counted, because a job or its answer may still be in a thread's
 * message queue when the queue pair or the controller is gone. Memory the
 * controller may write (CQ, SQ) is freed only after the queue was deleted on
 * the controller or the controller was disabled.
 *
 * Data buffers must be DMA memory (sio_dma_malloc() or sio_dma_register()):
 * their IOVAs come from sio_dma_lookup().
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spdk_io/env.h"
#include "spdk_io/trace.h"
#include "nvme/host/nvme_internal.h"

#define PCIE_PAGE 4096u
/* Largest transfer: one 4 KiB PRP list page per request holds 512 entries,
 * enough for 2 MiB starting mid-page (PRP1 + 512). */
#define PCIE_MAX_XFER (2u << 20)
#define PCIE_SGL_MAX (PCIE_PAGE / sizeof(struct sio_nvme_sgl_desc))
/* Admin completions, the disable wait: how often the controller's poller looks. */
#define PCIE_ADMIN_POLL_US 100
/* A shutdown notification gets at least this long when RTD3E says less. */
#define PCIE_SHUTDOWN_MIN_US 1000000u
#define PCIE_SHUTDOWN_MAX_US 10000000u

struct pcie_ctrlr;

/*
 * One hardware queue pair's memory and identity. The queue pair owns it;
 * jobs and answers in flight and the controller's table of live queues hold
 * references. Fields marked (C) belong to the controller's thread, (Q) to
 * the queue pair's.
 */
struct pcie_hwq {
	atomic_int refs;
	struct pcie_ctrlr *pc;       /* a reference on it */
	struct pcie_qpair *pq;       /* (Q) NULL once the queue pair is destroyed */
	struct sio_thread *qthread;
	uint16_t qid;
	uint32_t entries;
	struct sio_nvme_cmd *sq;
	struct sio_nvme_cpl *cq;
	uint64_t sq_iova, cq_iova;
	uint8_t *lists;              /* the queue pair's PRP list / SGL pages (see pcie_qpair) */
	uint32_t conn_seq;           /* (Q) which connect an answer belongs to */
	bool shadow;                 /* (C) created with shadow doorbells */
};

/* What follows struct nvme_request (ops->req_ctx_size). */
struct pcie_req {
	struct nvme_request *next_bad; /* requests whose data could not be described */
	uint8_t bad_sc;
};

struct pcie_qpair {
	struct sio_nvme_qpair qp;   /* first: the core's view */
	struct pcie_hwq *hwq;
	bool live;                   /* queues exist on the controller: submit and poll */
	uint32_t sq_tail, cq_head;
	uint8_t phase;
	volatile uint32_t *sq_db, *cq_db;
	/* Shadow doorbells (NULL when not in use) and their event indexes. */
	volatile uint32_t *sq_shadow, *cq_shadow, *sq_ei, *cq_ei;
	uint8_t *lists;              /* one PRP list / SGL page per request, by CID */
	uint64_t lists_iova;
	bool sgl;                    /* I/O queue of a controller with SGL support */
	unsigned int gen;            /* the controller's generation the queue was created in */
	bool sgl_dword;              /* its SGLs need dword-aligned addresses and lengths */
	struct nvme_request *bad_head;
	struct sio_poller *poller;
	nvme_rc_cb conn_cb;
	void *conn_arg;
};

/* A queue creation or deletion, run on the controller's thread. */
enum pcie_job_kind {
	PCIE_JOB_CREATE, /* (Doorbell Buffer Config,) Create I/O CQ, Create I/O SQ */
	PCIE_JOB_DELETE, /* Delete I/O SQ, Delete I/O CQ (if the queues still exist) */
};

struct pcie_job {
	TAILQ_ENTRY(pcie_job) link;
	struct pcie_hwq *hwq;        /* a reference */
	enum pcie_job_kind kind;
	int step;
	int rc;       /* the last admin command's result */
	int err;      /* CREATE: the error to report after cleaning up */
	uint32_t seq;
};

struct pcie_ctrlr {
	atomic_int refs;
	struct sio_nvme_ctrlr *ctrlr; /* not to be touched once detached */
	struct sio_vfio_device *dev;
	volatile uint8_t *regs;
	size_t regs_len;
	uint32_t db_stride;           /* bytes between doorbells: 4 << CAP.DSTRD */
	uint64_t cap;
	bool enabled;                 /* CC.EN = 1 written since the last disable */
	/* Bumped at every disable (any thread reads it): an I/O queue created
	 * in an older generation no longer exists, and its doorbells must not
	 * be written (a write to a missing queue's doorbell is an error to a
	 * controller, and QEMU 7.2 was seen to crash under it). */
	atomic_uint gen;
	bool detached;
	struct sio_poller *poller;    /* admin completions and the admin connect */
	/* Admin connect in progress: waiting for CSTS.RDY = 0. */
	nvme_rc_cb aconn_cb;
	void *aconn_arg;
	uint64_t aconn_deadline;
	struct pcie_qpair *adminq;
	/* Shadow doorbells: 0 not configured, 1 configured, -1 not offered or refused. */
	int dbbuf_state;
	uint32_t *dbbuf, *eventidx;   /* one page each, doorbell layout */
	uint64_t dbbuf_iova, eventidx_iova;
	/* Jobs (controller's thread only) */
	TAILQ_HEAD(, pcie_job) jobs;
	struct pcie_job *running;
	struct pcie_hwq **live_q;     /* [qid]: queue existing on the controller (a reference) */
	uint32_t live_q_len;
};

/*
 * Barriers against the device (DMA and MMIO), not between threads: written
 * as instructions because C11 fences speak only of threads (and ThreadSanitizer
 * builds refuse atomic_thread_fence()).
 * - dma_wmb(): our stores to memory the device reads (an SQE, a shadow
 *   doorbell) are visible before a later store (the MMIO doorbell);
 * - dma_rmb(): a load from memory the device writes (the CQE's phase tag)
 *   comes before the later loads of the same entry;
 * - dma_mb(): a store is visible before a later load (shadow doorbell, then
 *   the event index).
 * x86 keeps stores in order and loads in order; only store-load needs MFENCE.
 */
#if defined(__x86_64__) || defined(__i386__)
#define dma_wmb() __asm__ volatile("" ::: "memory")
#define dma_rmb() __asm__ volatile("" ::: "memory")
#define dma_mb() __asm__ volatile("mfence" ::: "memory")
#elif defined(__aarch64__)
#define dma_wmb() __asm__ volatile("dmb oshst" ::: "memory")
#define dma_rmb() __asm__ volatile("dmb oshld" ::: "memory")
#define dma_mb() __asm__ volatile("dmb osh" ::: "memory")
#else
#error "nvme/pcie: define the DMA barriers for this architecture"
#endif

static inline struct pcie_qpair *pq_of(struct sio_nvme_qpair *qp)
{
	return (struct pcie_qpair *)qp;
}

static inline struct pcie_req *preq_of(struct nvme_request *req)
{
	return (struct pcie_req *)req->tctx;
}

/* ---- registers ---- */

static inline uint32_t reg_rd32(struct pcie_ctrlr *pc, uint32_t ofst)
{
	return *(volatile uint32_t *)(pc->regs + ofst);
}

static inline void reg_wr32(struct pcie_ctrlr *pc, uint32_t ofst, uint32_t v)
{
	*(volatile uint32_t *)(pc->regs + ofst) = v;
}

static int pcie_get_reg(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size,
			nvme_reg_cb cb, void *arg)
{
	struct pcie_ctrlr *pc = ctrlr->tctx;
	uint64_t v;

	if ((size != 4 && size != 8) || ofst % 4 != 0 || ofst + size > SIO_NVME_REG_DBS)
		return -EINVAL;
	v = reg_rd32(pc, ofst);
	if (size == 8)
		v |= (uint64_t)reg_rd32(pc, ofst + 4) << 32;
	cb(arg, 0, v);
	return 0;
}

static int pcie_set_reg(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size, uint64_t value,
			nvme_reg_cb cb, void *arg)
{
	struct pcie_ctrlr *pc = ctrlr->tctx;

	if ((size != 4 && size != 8) || ofst % 4 != 0 || ofst + size > SIO_NVME_REG_DBS)
		return -EINVAL;
	reg_wr32(pc, ofst, (uint32_t)value);
	if (size == 8)
		reg_wr32(pc, ofst + 4, (uint32_t)(value >> 32));
	if (ofst == SIO_NVME_REG_CC) {
		union sio_nvme_cc_register cc = { .raw = (uint32_t)value };

		pc->enabled = cc.bits.en;
	}
	cb(arg, 0, 0);
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void live_q_clear(struct pcie_ctrlr *pc);

/*
 * CC.EN = 0 and wait for CSTS.RDY = 0 (at most CAP.TO). Waits in place: the
 * core completes the outstanding requests right after a disconnect, and the
 * controller must have stopped writing their buffers by then. Only on
 * reset, failure and detach paths.
 */
static void ctrlr_disable_wait(struct pcie_ctrlr *pc)
{
	union sio_nvme_cap_register cap = { .raw = pc->cap };
	union sio_nvme_cc_register cc = { .raw = reg_rd32(pc, SIO_NVME_REG_CC) };
	union sio_nvme_csts_register csts;
	uint64_t end = now_us() + ((uint64_t)cap.bits.to + 1) * 500000u;

	cc.bits.en = 0;
	cc.bits.shn = 0;
	/* Before the write: a submitter that still sees the old generation
	 * rings a doorbell of a controller that has not begun disabling. */
	atomic_fetch_add_explicit(&pc->gen, 1, memory_order_seq_cst);
	reg_wr32(pc, SIO_NVME_REG_CC, cc.raw);
	pc->enabled = false;
	live_q_clear(pc);
	do {
		csts.raw = reg_rd32(pc, SIO_NVME_REG_CSTS);
		if (!csts.bits.rdy || csts.raw == UINT32_MAX)
			return;
		usleep(100);
	} while (now_us() < end);
	SIO_ERRLOG("nvme/pcie: %s: CSTS.RDY still 1 %u ms after CC.EN = 0",
		   sio_vfio_device_get_bdf(pc->dev), (unsigned int)(cap.bits.to + 1) * 500);
}

/* Shutdown notification (CC.SHN normal) and wait for CSTS.SHST complete. */
static void ctrlr_shutdown_wait(struct pcie_ctrlr *pc, uint32_t rtd3e_us)
{
	union sio_nvme_cc_register cc = { .raw = reg_rd32(pc, SIO_NVME_REG_CC) };
	union sio_nvme_csts_register csts;
	uint32_t budget = rtd3e_us < PCIE_SHUTDOWN_MIN_US ? PCIE_SHUTDOWN_MIN_US : rtd3e_us;
	uint64_t end;

	if (budget > PCIE_SHUTDOWN_MAX_US)
		budget = PCIE_SHUTDOWN_MAX_US;
	end = now_us() + budget;
	cc.bits.shn = SIO_NVME_SHN_NORMAL;
	reg_wr32(pc, SIO_NVME_REG_CC, cc.raw);
	do {
		csts.raw = reg_rd32(pc, SIO_NVME_REG_CSTS);
		if (csts.bits.shst == SIO_NVME_SHST_COMPLETE || csts.raw == UINT32_MAX) {
			SIO_DEBUGLOG(NVME_LOG, "pcie %s: shutdown complete",
				     sio_vfio_device_get_bdf(pc->dev));
			return;
		}
		usleep(100);
	} while (now_us() < end);
	SIO_WARNLOG("nvme/pcie: %s: shutdown not complete after %u ms; disabling",
		    sio_vfio_device_get_bdf(pc->dev), budget / 1000);
}

/* ---- references ---- */

static void pc_put(struct pcie_ctrlr *pc)
{
	if (atomic_fetch_sub_explicit(&pc->refs, 1, memory_order_acq_rel) != 1)
		return;
	sio_dma_free(pc->dbbuf);
	sio_dma_free(pc->eventidx);
	free(pc->live_q);
	free(pc);
}

static void hwq_get(struct pcie_hwq *h)
{
	atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
}

static void hwq_put(struct pcie_hwq *h)
{
	if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1)
		return;
	sio_dma_free(h->sq);
	sio_dma_free(h->cq);
	sio_dma_free(h->lists);
	pc_put(h->pc);
	free(h);
}

static struct pcie_hwq *hwq_create(struct pcie_ctrlr *pc, uint16_t qid)
{
	struct pcie_hwq *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	atomic_init(&h->refs, 1);
	h->qid = qid;
	h->qthread = sio_thread_get_current();
	atomic_fetch_add_explicit(&pc->refs, 1, memory_order_relaxed);
	h->pc = pc;
	return h;
}

/* Queue memory, once the core has sized the queue (after qpair_create). */
static int hwq_alloc_mem(struct pcie_hwq *h, uint32_t entries)
{
	struct sio_dma_region r;

	if (h->sq != NULL)
		return 0;
	h->entries = entries;
	/* Page-aligned, contiguous in IOVA (a DMA allocation never spans chunks). */
	h->sq = sio_dma_zmalloc((size_t)entries * sizeof(struct sio_nvme_cmd), PCIE_PAGE);
	h->cq = sio_dma_zmalloc((size_t)entries * sizeof(struct sio_nvme_cpl), PCIE_PAGE);
	if (h->sq == NULL || h->cq == NULL || sio_dma_lookup(h->sq, &r) != 0)
		goto fail;
	h->sq_iova = r.iova;
	if (sio_dma_lookup(h->cq, &r) != 0)
		goto fail;
	h->cq_iova = r.iova;
	return 0;
fail:
	sio_dma_free(h->sq);
	sio_dma_free(h->cq);
	h->sq = NULL;
	h->cq = NULL;
	return -ENOMEM;
}

/* The controller's queues vanished (disabled): forget the live table. */
static void live_q_clear(struct pcie_ctrlr *pc)
{
	for (uint32_t i = 0; i < pc->live_q_len; i++) {
		if (pc->live_q[i] != NULL) {
			hwq_put(pc->live_q[i]);
			pc->live_q[i] = NULL;
		}
	}
	/* A reset also forgets the Doorbell Buffer Config. */
	if (pc->dbbuf_state == 1)
		pc->dbbuf_state = 0;
}

/* ---- the queue: submission, doorbells, completions ---- */

/* Whether the controller wants an MMIO doorbell write after the shadow
 * moved from @old to @new, given its event index @ei (the usual
 * "did new pass the event index" test in 16-bit arithmetic). */
static inline bool shadow_need_mmio(uint16_t ei, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - ei - 1) < (uint16_t)(new - old);
}

static inline void ring(volatile uint32_t *db, volatile uint32_t *shadow, volatile uint32_t *ei,
			uint32_t value, uint32_t old)
{
	if (shadow != NULL) {
		*shadow = value;
		/* The shadow store must be visible before we read the event index
		 * (store-load order needs a full barrier); pairs with the
		 * controller's update of the event index after it reads the shadow. */
		dma_mb();
		if (!shadow_need_mmio((uint16_t)*ei, (uint16_t)value, (uint16_t)old))
			return;
	}
	*db = value;
}

/* Translate [p, p + len) to one IOVA range; the request's own DSM range is
 * bounced into its list page. */
static int iova_of(const void *p, size_t len, uint64_t *iova)
{
	struct sio_dma_region r;

	if (sio_dma_lookup(p, &r) != 0)
		return -EFAULT;
	if ((uintptr_t)p - (uintptr_t)r.base + len > r.len)
		return -EFAULT;
	*iova = r.iova + ((uintptr_t)p - (uintptr_t)r.base);
	return 0;
}

/*
 * PRPs: the first buffer may start anywhere dword-aligned; every further
 * one must start on a page, and every one but the last end on a page.
 * PRP1 is the first address, PRP2 the second page or a list of the rest.
 */
static int build_prp(struct pcie_qpair *pq, struct nvme_request *req, uint64_t *list,
		     uint64_t list_iova)
{
	uint64_t first = 0, second = 0;
	uint32_t n = 0;

	for (int i = 0; i < req->iovcnt; i++) {
		const struct iovec *v = &req->iov[i];
		uint64_t iova, end;
		int rc;

		if (v->iov_len == 0)
			continue;
		rc = iova_of(v->iov_base, v->iov_len, &iova);
		if (rc != 0)
			return rc;
		end = iova + v->iov_len;
		if ((n == 0 && (iova & 3)) || (n > 0 && (iova & (PCIE_PAGE - 1))))
			return -EINVAL;
		if (i + 1 < req->iovcnt && (end & (PCIE_PAGE - 1)))
			return -EINVAL;
		for (uint64_t a = iova; a < end; a = (a & ~(uint64_t)(PCIE_PAGE - 1)) + PCIE_PAGE) {
			if (n == 0)
				first = a;
			else if (n == 1)
				second = a;
			if (n >= 1) {
				if (n - 1 >= PCIE_PAGE / sizeof(uint64_t))
					return -E2BIG;
				list[n - 1] = a;
			}
			n++;
		}
	}
	req->cmd.psdt = SIO_NVME_PSDT_PRP;
	req->cmd.dptr.prp.prp1 = first;
	req->cmd.dptr.prp.prp2 = n <= 1 ? 0 : n == 2 ? second : list_iova;
	return 0;
}

/* SGLs: one Data Block descriptor, or a Last Segment of them in the list page. */
static int build_sgl(struct pcie_qpair *pq, struct nvme_request *req,
		     struct sio_nvme_sgl_desc *list, uint64_t list_iova)
{
	uint32_t n = 0;

	for (int i = 0; i < req->iovcnt; i++) {
		const struct iovec *v = &req->iov[i];
		uint64_t iova;
		int rc;

		if (v->iov_len == 0)
			continue;
		if (n >= PCIE_SGL_MAX || v->iov_len > UINT32_MAX)
			return -E2BIG;
		rc = iova_of(v->iov_base, v->iov_len, &iova);
		if (rc != 0)
			return rc;
		if (pq->sgl_dword && ((iova | v->iov_len) & 3))
			return -EINVAL;
		memset(&list[n], 0, sizeof(list[n]));
		list[n].address = iova;
		list[n].unkeyed.length = (uint32_t)v->iov_len;
		list[n].unkeyed.id = SIO_NVME_SGL_ID(SIO_NVME_SGL_TYPE_DATA_BLOCK,
						     SIO_NVME_SGL_SUBTYPE_ADDRESS);
		n++;
	}
	req->cmd.psdt = SIO_NVME_PSDT_SGL_MPTR_CONTIG;
	memset(&req->cmd.dptr, 0, sizeof(req->cmd.dptr));
	if (n == 1) {
		req->cmd.dptr.sgl1 = list[0];
	} else {
		req->cmd.dptr.sgl1.address = list_iova;
		req->cmd.dptr.sgl1.unkeyed.length = n * (uint32_t)sizeof(list[0]);
		req->cmd.dptr.sgl1.unkeyed.id = SIO_NVME_SGL_ID(SIO_NVME_SGL_TYPE_LAST_SEGMENT,
								SIO_NVME_SGL_SUBTYPE_ADDRESS);
	}
	return 0;
}

static int build_data(struct pcie_qpair *pq, struct nvme_request *req)
{
	uint8_t *page = pq->lists + (size_t)req->cmd.cid * PCIE_PAGE;
	uint64_t page_iova = pq->lists_iova + (uint64_t)req->cmd.cid * PCIE_PAGE;
	int rc;

	if (req->payload_size == 0) {
		/* No data, or a pointer the caller set itself (queue creation). */
		req->cmd.psdt = SIO_NVME_PSDT_PRP;
		return 0;
	}
	if (req->iovcnt == 1 && req->iov[0].iov_base == (void *)&req->dsm) {
		/* Deallocate's range lives in the request, which is not DMA memory. */
		memcpy(page, &req->dsm, sizeof(req->dsm));
		req->cmd.psdt = SIO_NVME_PSDT_PRP;
		req->cmd.dptr.prp.prp1 = page_iova;
		req->cmd.dptr.prp.prp2 = 0;
		return 0;
	}
	rc = build_prp(pq, req, (uint64_t *)page, page_iova);
	if (rc == -EINVAL && pq->sgl)
		rc = build_sgl(pq, req, (struct sio_nvme_sgl_desc *)page, page_iova);
	return rc;
}

static int pcie_qpair_submit(struct sio_nvme_qpair *qp, struct nvme_request *req)
{
	struct pcie_qpair *pq = pq_of(qp);
	struct pcie_hwq *h = pq->hwq;
	uint32_t old = pq->sq_tail;
	int rc;

	if (!pq->live)
		return -ENXIO;
	rc = build_data(pq, req);
	if (rc != 0) {
		struct pcie_req *pr = preq_of(req);

		/* The caller's data cannot be described: that request fails at the
		 * next poll (never inside the submitting call); the queue lives on. */
		SIO_DEBUGLOG(NVME_LOG, "pcie qid %u cid %u: data not describable: %d", qp->qid,
			     req->cmd.cid, rc);
		pr->bad_sc = SIO_NVME_SC_INVALID_FIELD;
		pr->next_bad = pq->bad_head;
		pq->bad_head = req;
		return 0;
	}
	h->sq[pq->sq_tail] = req->cmd;
	SIO_TRACE(SIO_TP_NVME_PCIE_SUBMIT, pq, req, req->cmd.cid, req->cmd.opc, req->payload_size);
	if (++pq->sq_tail == h->entries)
		pq->sq_tail = 0;
	/* The entry is in memory before the doorbell tells the controller to
	 * fetch it; pairs with the controller's fetch after the doorbell. */
	dma_wmb();
	/* A disabled controller's queue: the request stays outstanding until
	 * the core's disconnect (the reset's message) completes it. */
	if (atomic_load_explicit(&h->pc->gen, memory_order_relaxed) == pq->gen)
		ring(pq->sq_db, pq->sq_shadow, pq->sq_ei, pq->sq_tail, old);
	return 0;
}

static void complete_bad(struct pcie_qpair *pq)
{
	while (pq->bad_head != NULL) {
		struct nvme_request *req = pq->bad_head;
		struct pcie_req *pr = preq_of(req);
		struct sio_nvme_cpl cpl;

		pq->bad_head = pr->next_bad;
		nvme_cpl_make(&cpl, pq->qp.qid, req->cmd.cid, SIO_NVME_SCT_GENERIC, pr->bad_sc, true);
		nvme_qpair_complete(&pq->qp, req, &cpl);
	}
}

static int pcie_qpair_process(struct sio_nvme_qpair *qp, uint32_t max)
{
	struct pcie_qpair *pq = pq_of(qp);
	struct pcie_hwq *h = pq->hwq;
	uint32_t n = 0, old_head = pq->cq_head;

	if (pq->bad_head != NULL)
		complete_bad(pq);
	while (pq->live && (max == 0 || n < max)) {
		volatile struct sio_nvme_cpl *e = &h->cq[pq->cq_head];
		struct sio_nvme_cpl cpl;
		struct nvme_request *req;

		if ((e->status.raw & 1) != pq->phase)
			break;
		/* The rest of the entry is read after its phase tag (the
		 * controller writes the tag last); pairs with its posting. */
		dma_rmb();
		cpl = *(struct sio_nvme_cpl *)e;
		if (++pq->cq_head == h->entries) {
			pq->cq_head = 0;
			pq->phase ^= 1;
		}
		n++;
		req = nvme_qpair_req_by_cid(qp, cpl.cid);
		if (req == NULL) {
			SIO_ERRLOG("nvme/pcie: queue %u: completion for unknown cid %u", qp->qid,
				   cpl.cid);
			continue;
		}
		/* The callback may submit (room is counted by the core, never more
		 * than entries - 1 in flight, so the CQ cannot overflow before the
		 * head doorbell below) or disconnect (live turns false). */
		SIO_TRACE(SIO_TP_NVME_PCIE_COMPLETE, pq, req, cpl.cid, cpl.status.raw, 0);
		nvme_qpair_complete(qp, req, &cpl);
	}
	if (n > 0 && pq->live && atomic_load_explicit(&h->pc->gen, memory_order_relaxed) == pq->gen)
		ring(pq->cq_db, pq->cq_shadow, pq->cq_ei, pq->cq_head, old_head);
	return (int)n;
}

static int qpair_poller(void *arg)
{
	struct pcie_qpair *pq = arg;
	int rc;

	if (pq->qp.in_callback)
		return 0;
	rc = sio_nvme_qpair_process_completions(&pq->qp, 0);
	return rc > 0 ? 1 : 0;
}

/* Fresh queue memory and indexes, before (re)creation on the controller. */
static void queue_reset(struct pcie_qpair *pq)
{
	struct pcie_hwq *h = pq->hwq;

	memset(h->cq, 0, (size_t)h->entries * sizeof(struct sio_nvme_cpl));
	pq->sq_tail = 0;
	pq->cq_head = 0;
	pq->phase = 1;
}

static void set_doorbells(struct pcie_qpair *pq, bool shadow)
{
	struct pcie_ctrlr *pc = pq->hwq->pc;
	uint32_t sq_off = 2u * pq->qp.qid * pc->db_stride;
	uint32_t cq_off = sq_off + pc->db_stride;

	pq->sq_db = (volatile uint32_t *)(pc->regs + SIO_NVME_REG_DBS + sq_off);
	pq->cq_db = (volatile uint32_t *)(pc->regs + SIO_NVME_REG_DBS + cq_off);
	if (shadow) {
		pq->sq_shadow = (volatile uint32_t *)((uint8_t *)pc->dbbuf + sq_off);
		pq->cq_shadow = (volatile uint32_t *)((uint8_t *)pc->dbbuf + cq_off);
		pq->sq_ei = (volatile uint32_t *)((uint8_t *)pc->eventidx + sq_off);
		pq->cq_ei = (volatile uint32_t *)((uint8_t *)pc->eventidx + cq_off);
	} else {
		pq->sq_shadow = pq->cq_shadow = pq->sq_ei = pq->cq_ei = NULL;
	}
}

/* ---- jobs on the controller's thread ---- */

static void job_kick(struct pcie_ctrlr *pc);
static void job_step(struct pcie_job *j);

struct job_answer {
	struct pcie_hwq *hwq;
	uint32_t seq;
	int rc;
	bool shadow;
	unsigned int gen;
};

/* On the queue pair's thread: the answer to a connect. */
static void answer_msg(void *arg)
{
	struct job_answer *a = arg;
	struct pcie_hwq *h = a->hwq;
	struct pcie_qpair *pq = h->pq;

	if (pq != NULL && h->conn_seq == a->seq && pq->conn_cb != NULL) {
		nvme_rc_cb cb = pq->conn_cb;
		void *cb_arg = pq->conn_arg;

		pq->conn_cb = NULL;
		if (a->rc == 0) {
			set_doorbells(pq, a->shadow);
			pq->gen = a->gen;
			pq->live = true;
			nvme_qpair_set_state(&pq->qp, NVME_QPAIR_CONNECTED);
		} else {
			nvme_qpair_set_state(&pq->qp, NVME_QPAIR_DISCONNECTED);
		}
		cb(cb_arg, a->rc);
	}
	hwq_put(h);
	free(a);
}

static void job_finish(struct pcie_job *j, int rc)
{
	struct pcie_ctrlr *pc = j->hwq->pc;

	/* The job's reference on the queue may be the last one, and with it
	 * the queue's on the controller state: hold that until the end. */
	atomic_fetch_add_explicit(&pc->refs, 1, memory_order_relaxed);
	if (pc->running == j)
		pc->running = NULL;
	if (j->kind == PCIE_JOB_CREATE) {
		struct job_answer *a = malloc(sizeof(*a));

		if (a != NULL) {
			a->hwq = j->hwq; /* the job's reference moves to the answer */
			a->seq = j->seq;
			a->rc = rc;
			a->shadow = j->hwq->shadow;
			a->gen = atomic_load_explicit(&pc->gen, memory_order_relaxed);
			if (sio_thread_send_msg(j->hwq->qthread, answer_msg, a) == 0)
				goto done;
			free(a);
		}
		SIO_ERRLOG("nvme/pcie: queue %u: cannot answer its connect", j->hwq->qid);
	}
	hwq_put(j->hwq);
done:
	free(j);
	if (!pc->detached)
		job_kick(pc);
	pc_put(pc);
}

/* Admin commands of jobs may only go while the admin queue is up and the
 * core's own init sequence is not running. */
static bool jobs_may_run(struct pcie_ctrlr *pc)
{
	struct sio_nvme_ctrlr *c = pc->ctrlr;

	if (pc->detached)
		return false;
	return c->state == NVME_CTRLR_READY || (c->state == NVME_CTRLR_RESETTING && !c->init_active);
}

static bool jobs_failed(struct pcie_ctrlr *pc)
{
	return pc->detached || pc->ctrlr->state == NVME_CTRLR_FAILED ||
	       pc->ctrlr->state == NVME_CTRLR_DETACHING;
}

static void job_cmd_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct pcie_job *j = arg;

	j->rc = rc;
	if (rc != 0 && cpl != NULL)
		SIO_DEBUGLOG(NVME_LOG, "pcie job qid %u step %d: %s", j->hwq->qid, j->step,
			     sio_nvme_status_string(cpl->status.sct, cpl->status.sc));
	j->step++;
	job_step(j);
}

static int job_admin(struct pcie_job *j, struct sio_nvme_cmd *cmd)
{
	return nvme_qpair_submit_cmd(j->hwq->pc->ctrlr->adminq, cmd, NULL, 0, 0, false,
				     job_cmd_done, j);
}

static bool live_q_reserve(struct pcie_ctrlr *pc, uint16_t qid)
{
	if (qid < pc->live_q_len)
		return true;
	struct pcie_hwq **t = realloc(pc->live_q, ((size_t)qid + 1) * sizeof(*t));

	if (t == NULL)
		return false;
	memset(t + pc->live_q_len, 0, ((size_t)qid + 1 - pc->live_q_len) * sizeof(*t));
	pc->live_q = t;
	pc->live_q_len = (uint32_t)qid + 1;
	return true;
}

/*
 * CREATE: 0 Doorbell Buffer Config (once per enable, when offered),
 * 1 Create I/O CQ, 2 Create I/O SQ, 3 done (or 4: SQ refused, CQ deleted).
 * DELETE: 0 Delete I/O SQ, 1 Delete I/O CQ, 2 done.
 */
static void job_step(struct pcie_job *j)
{
	struct pcie_hwq *h = j->hwq;
	struct pcie_ctrlr *pc = h->pc;
	struct sio_nvme_cmd cmd;
	int rc;

	if (!jobs_may_run(pc)) {
		/* A reset or failure took the admin queue: what was created is
		 * gone with the disable. */
		job_finish(j, -ECONNRESET);
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	if (j->kind == PCIE_JOB_CREATE) {
		switch (j->step) {
		case 0:
			if (pc->dbbuf_state != 0) {
				j->step = 1;
				job_step(j);
				return;
			}
			if (!(pc->ctrlr->cdata->oacs & SIO_NVME_OACS_DOORBELL_BUFFER)) {
				pc->dbbuf_state = -1;
				j->step = 1;
				job_step(j);
				return;
			}
			/* Fresh pages: the controller starts from zeroed shadows. */
			memset(pc->dbbuf, 0, PCIE_PAGE);
			memset(pc->eventidx, 0, PCIE_PAGE);
			pc->dbbuf_state = 1;
			cmd.opc = SIO_NVME_OPC_DOORBELL_BUFFER_CONFIG;
			cmd.dptr.prp.prp1 = pc->dbbuf_iova;
			cmd.dptr.prp.prp2 = pc->eventidx_iova;
			break;
		case 1:
			if (j->rc != 0 && pc->dbbuf_state == 1) {
				SIO_NOTICELOG("nvme/pcie: %s: Doorbell Buffer Config refused; "
					      "plain doorbells", sio_vfio_device_get_bdf(pc->dev));
				pc->dbbuf_state = -1;
			}
			/* The shadow pages are one page each: queues whose slots lie
			 * beyond it use plain doorbells. */
			h->shadow = pc->dbbuf_state == 1 &&
				    (2u * h->qid + 2u) * pc->db_stride <= PCIE_PAGE;
			if (h->shadow) {
				/* A queue that had this ID before left its shadow tail and
				 * event index behind: from zeros, the first doorbell
				 * after creation always goes to MMIO. */
				uint32_t o = 2u * h->qid * pc->db_stride;

				*(volatile uint32_t *)((uint8_t *)pc->dbbuf + o) = 0;
				*(volatile uint32_t *)((uint8_t *)pc->dbbuf + o + pc->db_stride) = 0;
				*(volatile uint32_t *)((uint8_t *)pc->eventidx + o) = 0;
				*(volatile uint32_t *)((uint8_t *)pc->eventidx + o + pc->db_stride) = 0;
			}
			cmd.opc = SIO_NVME_OPC_CREATE_IO_CQ;
			cmd.dptr.prp.prp1 = h->cq_iova;
			cmd.cdw10 = ((h->entries - 1) << 16) | h->qid;
			cmd.cdw11 = 1; /* PC: physically contiguous; IEN 0: polled */
			break;
		case 2:
			if (j->rc != 0) {
				job_finish(j, j->rc);
				return;
			}
			cmd.opc = SIO_NVME_OPC_CREATE_IO_SQ;
			cmd.dptr.prp.prp1 = h->sq_iova;
			cmd.cdw10 = ((h->entries - 1) << 16) | h->qid;
			cmd.cdw11 = ((uint32_t)h->qid << 16) | 1; /* CQID, PC; priority 0 */
			break;
		case 3:
			if (j->rc != 0) {
				/* The CQ exists alone: take it back, report the SQ's error. */
				j->err = j->rc;
				cmd.opc = SIO_NVME_OPC_DELETE_IO_CQ;
				cmd.cdw10 = h->qid;
				break; /* step 4 reports */
			}
			if (!live_q_reserve(pc, h->qid)) {
				job_finish(j, -ENOMEM);
				return;
			}
			hwq_get(h);
			pc->live_q[h->qid] = h;
			job_finish(j, 0);
			return;
		default:
			job_finish(j, j->err != 0 ? j->err : -EIO);
			return;
		}
	} else {
		switch (j->step) {
		case 0:
			if (h->qid >= pc->live_q_len || pc->live_q[h->qid] != h) {
				job_finish(j, 0); /* never created, or gone with a disable */
				return;
			}
			cmd.opc = SIO_NVME_OPC_DELETE_IO_SQ;
			cmd.cdw10 = h->qid;
			break;
		case 1:
			cmd.opc = SIO_NVME_OPC_DELETE_IO_CQ;
			cmd.cdw10 = h->qid;
			break;
		default:
			if (h->qid < pc->live_q_len && pc->live_q[h->qid] == h) {
				pc->live_q[h->qid] = NULL;
				hwq_put(h);
			}
			job_finish(j, 0);
			return;
		}
	}
	rc = job_admin(j, &cmd);
	if (rc != 0)
		job_finish(j, rc);
}

/* Start the first job that may run: a creation waits while an older queue
 * with its ID still exists (its deletion is queued behind). */
static void job_kick(struct pcie_ctrlr *pc)
{
	struct pcie_job *j;

	if (pc->running != NULL)
		return;
	if (jobs_failed(pc)) {
		while ((j = TAILQ_FIRST(&pc->jobs)) != NULL) {
			TAILQ_REMOVE(&pc->jobs, j, link);
			job_finish(j, -ENXIO);
		}
		return;
	}
	if (!jobs_may_run(pc))
		return; /* the reset's end kicks again (a reconnect adds a job) */
	TAILQ_FOREACH(j, &pc->jobs, link) {
		uint16_t qid = j->hwq->qid;

		if (j->kind == PCIE_JOB_DELETE || qid >= pc->live_q_len ||
		    pc->live_q[qid] == NULL || pc->live_q[qid] == j->hwq)
			break;
	}
	if (j == NULL)
		return;
	TAILQ_REMOVE(&pc->jobs, j, link);
	pc->running = j;
	j->step = 0;
	j->rc = 0;
	job_step(j);
}

static void job_msg(void *arg)
{
	struct pcie_job *j = arg;
	struct pcie_ctrlr *pc = j->hwq->pc;

	if (pc->detached) {
		job_finish(j, -ENXIO);
		return;
	}
	TAILQ_INSERT_TAIL(&pc->jobs, j, link);
	job_kick(pc);
}

static int job_send(struct pcie_hwq *h, enum pcie_job_kind kind, uint32_t seq)
{
	struct pcie_job *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL)
		return -ENOMEM;
	hwq_get(h);
	j->hwq = h;
	j->kind = kind;
	j->seq = seq;
	rc = sio_thread_send_msg(h->pc->ctrlr->thread, job_msg, j);
	if (rc != 0) {
		hwq_put(h);
		free(j);
	}
	return rc;
}

/* ---- queue pairs ---- */

static struct sio_nvme_qpair *pcie_qpair_create(struct sio_nvme_ctrlr *ctrlr, uint16_t qid)
{
	struct pcie_ctrlr *pc = ctrlr->tctx;
	const struct sio_nvme_ctrlr_data *cd = ctrlr->cdata;
	struct pcie_qpair *pq = calloc(1, sizeof(*pq));

	if (pq == NULL)
		return NULL;
	pq->hwq = hwq_create(pc, qid);
	if (pq->hwq == NULL)
		goto fail;
	pq->hwq->pq = pq;
	if (qid != 0) {
		uint32_t sgls = cd->sgls & 3u;

		pq->sgl = sgls == SIO_NVME_SGLS_SUPPORTED || sgls == SIO_NVME_SGLS_SUPPORTED_DWORD_ALIGNED;
		pq->sgl_dword = sgls == SIO_NVME_SGLS_SUPPORTED_DWORD_ALIGNED;
	}
	return &pq->qp;
fail:
	free(pq);
	return NULL;
}

/* The list pages depend on the pool size the core chose after create. */
static int lists_alloc(struct pcie_qpair *pq)
{
	struct sio_dma_region r;
	size_t len = (size_t)pq->qp.num_requests * PCIE_PAGE;

	if (pq->lists != NULL)
		return 0;
	pq->lists = sio_dma_malloc(len, PCIE_PAGE);
	if (pq->lists == NULL)
		return -ENOMEM;
	if (sio_dma_lookup(pq->lists, &r) != 0) {
		sio_dma_free(pq->lists);
		pq->lists = NULL;
		return -EFAULT;
	}
	pq->lists_iova = r.iova;
	pq->hwq->lists = pq->lists;
	return 0;
}

static void pcie_qpair_destroy(struct sio_nvme_qpair *qp)
{
	struct pcie_qpair *pq = pq_of(qp);
	struct pcie_hwq *h = pq->hwq;

	sio_poller_unregister(&pq->poller);
	pq->live = false;
	h->pq = NULL;
	if (qp->qid == 0)
		h->pc->adminq = NULL;
	/* An I/O queue still existing on the controller is deleted there
	 * before its memory goes: the job holds the queues and the list pages,
	 * which commands the core already completed as aborted may still be
	 * using until the Delete I/O SQ completes. (Their data buffers are the
	 * caller's: free a queue pair with nothing in flight.) */
	if (qp->qid != 0)
		(void)job_send(h, PCIE_JOB_DELETE, 0);
	hwq_put(h);
	free(pq);
}

static void admin_connect_finish(struct pcie_ctrlr *pc, int rc)
{
	nvme_rc_cb cb = pc->aconn_cb;
	struct pcie_qpair *aq = pc->adminq;

	pc->aconn_cb = NULL;
	if (rc == 0) {
		union sio_nvme_aqa_register aqa = { .raw = 0 };
		struct pcie_hwq *h = aq->hwq;

		aqa.bits.asqs = h->entries - 1;
		aqa.bits.acqs = h->entries - 1;
		reg_wr32(pc, SIO_NVME_REG_AQA, aqa.raw);
		reg_wr32(pc, SIO_NVME_REG_ASQ, (uint32_t)h->sq_iova);
		reg_wr32(pc, SIO_NVME_REG_ASQ + 4, (uint32_t)(h->sq_iova >> 32));
		reg_wr32(pc, SIO_NVME_REG_ACQ, (uint32_t)h->cq_iova);
		reg_wr32(pc, SIO_NVME_REG_ACQ + 4, (uint32_t)(h->cq_iova >> 32));
		set_doorbells(aq, false); /* the admin queue never uses shadows */
		aq->gen = atomic_load_explicit(&pc->gen, memory_order_relaxed);
		aq->live = true;
		nvme_qpair_set_state(&aq->qp, NVME_QPAIR_CONNECTED);
	} else {
		nvme_qpair_set_state(&aq->qp, NVME_QPAIR_DISCONNECTED);
	}
	if (cb != NULL)
		cb(pc->aconn_arg, rc);
}

/* The controller's poller: the admin connect's wait, then admin completions. */
static int ctrlr_poller(void *arg)
{
	struct pcie_ctrlr *pc = arg;

	if (pc->aconn_cb != NULL) {
		union sio_nvme_csts_register csts = { .raw = reg_rd32(pc, SIO_NVME_REG_CSTS) };

		if (csts.raw == UINT32_MAX) {
			admin_connect_finish(pc, -ENODEV); /* the device is gone */
			return 1;
		}
		if (!csts.bits.rdy) {
			admin_connect_finish(pc, 0);
			return 1;
		}
		if (now_us() > pc->aconn_deadline)
			admin_connect_finish(pc, -ETIMEDOUT);
		return 0;
	}
	if (pc->adminq == NULL || !pc->adminq->live)
		return 0;
	return qpair_poller(pc->adminq);
}

static int pcie_qpair_connect(struct sio_nvme_qpair *qp, nvme_rc_cb cb, void *arg)
{
	struct pcie_qpair *pq = pq_of(qp);
	struct pcie_ctrlr *pc = pq->hwq->pc;
	int rc;

	if (pq->live || pq->conn_cb != NULL || (qp->qid == 0 && pc->aconn_cb != NULL))
		return -EBUSY;
	rc = hwq_alloc_mem(pq->hwq, qp->num_entries);
	if (rc == 0)
		rc = lists_alloc(pq);
	if (rc != 0)
		return rc;
	queue_reset(pq);
	if (qp->qid == 0) {
		union sio_nvme_cap_register cap = { .raw = pc->cap };
		union sio_nvme_cc_register cc = { .raw = reg_rd32(pc, SIO_NVME_REG_CC) };

		pc->adminq = pq;
		/* Start from a disabled controller: whatever ran before (the kernel,
		 * a crashed process) must not keep its queues. */
		atomic_fetch_add_explicit(&pc->gen, 1, memory_order_seq_cst);
		if (cc.bits.en) {
			cc.bits.en = 0;
			reg_wr32(pc, SIO_NVME_REG_CC, cc.raw);
		}
		pc->enabled = false;
		live_q_clear(pc);
		pc->aconn_cb = cb;
		pc->aconn_arg = arg;
		pc->aconn_deadline = now_us() + ((uint64_t)cap.bits.to + 1) * 500000u;
		nvme_qpair_set_state(qp, NVME_QPAIR_CONNECTING);
		return 0; /* the controller's poller finishes it */
	}
	if (pq->poller == NULL) {
		/* Completions are polled on the owner's thread as long as the
		 * queue pair lives: a busy poller, as SPDK's PCIe driver. */
		pq->poller = sio_poller_register_named("nvme_pcie_io", qpair_poller, pq, 0);
		if (pq->poller == NULL)
			return -ENOMEM;
	}
	pq->conn_cb = cb;
	pq->conn_arg = arg;
	pq->hwq->conn_seq++;
	nvme_qpair_set_state(qp, NVME_QPAIR_CONNECTING);
	rc = job_send(pq->hwq, PCIE_JOB_CREATE, pq->hwq->conn_seq);
	if (rc != 0) {
		pq->conn_cb = NULL;
		nvme_qpair_set_state(qp, NVME_QPAIR_DISCONNECTED);
	}
	return rc;
}

static void pcie_qpair_disconnect(struct sio_nvme_qpair *qp)
{
	struct pcie_qpair *pq = pq_of(qp);
	struct pcie_ctrlr *pc = pq->hwq->pc;

	pq->live = false;
	/* The core aborts every outstanding request next, these included. */
	pq->bad_head = NULL;
	if (qp->qid == 0) {
		struct sio_nvme_ctrlr *c = pc->ctrlr;

		if (pc->aconn_cb != NULL)
			admin_connect_finish(pc, -ECONNRESET);
		/* Stop the controller before the core completes what it had:
		 * a detach notifies a shutdown first. */
		if (pc->enabled) {
			if (c->state == NVME_CTRLR_DETACHING)
				ctrlr_shutdown_wait(pc, c->cdata->rtd3e);
			ctrlr_disable_wait(pc);
		}
		return;
	}
	if (pq->conn_cb != NULL) {
		/* A creation in flight: its answer is ignored (sequence moved). */
		nvme_rc_cb cb = pq->conn_cb;

		pq->conn_cb = NULL;
		pq->hwq->conn_seq++;
		cb(pq->conn_arg, -ECONNRESET);
	}
}

/* ---- controllers ---- */

static uint32_t pcie_ctrlr_max_xfer_size(struct sio_nvme_ctrlr *ctrlr)
{
	return PCIE_MAX_XFER;
}

static int pcie_ctrlr_construct(struct sio_nvme_ctrlr *ctrlr)
{
	struct pcie_ctrlr *pc = calloc(1, sizeof(*pc));
	union sio_nvme_cap_register cap;
	struct sio_dma_region r;
	void *bar;
	int rc;

	if (pc == NULL)
		return -ENOMEM;
	atomic_init(&pc->refs, 1);
	atomic_init(&pc->gen, 0);
	pc->ctrlr = ctrlr;
	TAILQ_INIT(&pc->jobs);
	rc = sio_vfio_device_open(ctrlr->trid.traddr, &pc->dev);
	if (rc != 0)
		goto fail;
	rc = sio_vfio_device_map_bar(pc->dev, 0, &bar, &pc->regs_len);
	if (rc != 0)
		goto fail_dev;
	pc->regs = bar;
	if (pc->regs_len < SIO_NVME_REG_DBS + 8) {
		rc = -ENODEV;
		goto fail_dev;
	}
	pc->cap = reg_rd32(pc, SIO_NVME_REG_CAP) |
		  (uint64_t)reg_rd32(pc, SIO_NVME_REG_CAP + 4) << 32;
	if (pc->cap == UINT64_MAX) {
		rc = -ENODEV;
		goto fail_dev;
	}
	cap.raw = pc->cap;
	if (cap.bits.mpsmin != 0) {
		/* Everything here is built on 4 KiB memory pages (CC.MPS 0). */
		SIO_ERRLOG("nvme/pcie: %s: minimum page size %u KiB not supported",
			   ctrlr->trid.traddr, 4u << cap.bits.mpsmin);
		rc = -ENOTSUP;
		goto fail_dev;
	}
	pc->db_stride = 4u << cap.bits.dstrd;
	pc->dbbuf = sio_dma_zmalloc(PCIE_PAGE, PCIE_PAGE);
	pc->eventidx = sio_dma_zmalloc(PCIE_PAGE, PCIE_PAGE);
	if (pc->dbbuf == NULL || pc->eventidx == NULL) {
		rc = -ENOMEM;
		goto fail_mem;
	}
	if (sio_dma_lookup(pc->dbbuf, &r) != 0) {
		rc = -EFAULT;
		goto fail_mem;
	}
	pc->dbbuf_iova = r.iova;
	if (sio_dma_lookup(pc->eventidx, &r) != 0) {
		rc = -EFAULT;
		goto fail_mem;
	}
	pc->eventidx_iova = r.iova;
	pc->poller = sio_poller_register_named("nvme_pcie_admin", ctrlr_poller, pc,
					       PCIE_ADMIN_POLL_US);
	if (pc->poller == NULL) {
		rc = -ENOMEM;
		goto fail_mem;
	}
	/* SIO_NVME_PCIE_NO_SHADOW=1: plain doorbells even where shadows are offered. */
	if (getenv("SIO_NVME_PCIE_NO_SHADOW") != NULL && atoi(getenv("SIO_NVME_PCIE_NO_SHADOW")) != 0)
		pc->dbbuf_state = -1;
	/* A PCIe controller is not a fabrics one: no keep-alive is needed. */
	ctrlr->opts.keep_alive_timeout_ms = 0;
	ctrlr->tctx = pc;
	return 0;

fail_mem:
	sio_dma_free(pc->dbbuf);
	sio_dma_free(pc->eventidx);
	pc->dbbuf = pc->eventidx = NULL;
fail_dev:
	sio_vfio_device_close(pc->dev);
fail:
	free(pc);
	return rc;
}

static void pcie_ctrlr_destruct(struct sio_nvme_ctrlr *ctrlr)
{
	struct pcie_ctrlr *pc = ctrlr->tctx;
	struct pcie_job *j;

	if (pc == NULL)
		return;
	sio_poller_unregister(&pc->poller);
	if (pc->enabled)
		ctrlr_disable_wait(pc);
	live_q_clear(pc);
	pc->detached = true;
	while ((j = TAILQ_FIRST(&pc->jobs)) != NULL) {
		TAILQ_REMOVE(&pc->jobs, j, link);
		job_finish(j, -ENXIO);
	}
	/* The controller is disabled: nothing DMAs any more; the IOMMU
	 * mappings go with the last device's container. */
	sio_vfio_device_close(pc->dev);
	pc->dev = NULL;
	pc->regs = NULL;
	pc->ctrlr = NULL;
	ctrlr->tctx = NULL;
	pc_put(pc);
}

const struct nvme_transport_ops nvme_pcie_transport_ops = {
	.type = SIO_NVME_TRANSPORT_PCIE,
	.name = "PCIe",
	.req_ctx_size = sizeof(struct pcie_req),
	.fabrics = false,
	.ctrlr_construct = pcie_ctrlr_construct,
	.ctrlr_destruct = pcie_ctrlr_destruct,
	.ctrlr_max_xfer_size = pcie_ctrlr_max_xfer_size,
	.ctrlr_get_reg = pcie_get_reg,
	.ctrlr_set_reg = pcie_set_reg,
	.qpair_create = pcie_qpair_create,
	.qpair_destroy = pcie_qpair_destroy,
	.qpair_connect = pcie_qpair_connect,
	.qpair_disconnect = pcie_qpair_disconnect,
	.qpair_submit = pcie_qpair_submit,
	.qpair_process = pcie_qpair_process,
};

/* ---- enumeration ---- */

int sio_nvme_pcie_enumerate(struct sio_nvme_transport_id *trids, size_t max)
{
	char (*bdfs)[SIO_PCI_BDF_LEN] = NULL;
	int n, rc;

	if (trids == NULL && max > 0)
		return -EINVAL;
	if (max > 0) {
		bdfs = calloc(max, sizeof(*bdfs));
		if (bdfs == NULL)
			return -ENOMEM;
	}
	/* Class 01h (mass storage), subclass 08h (NVM), programming interface 02h (NVMe). */
	n = sio_pci_vfio_list(0x010802, 0xffffff, bdfs, max);
	for (int i = 0; n > 0 && (size_t)i < max && i < n; i++) {
		rc = sio_nvme_transport_id_init_pcie(&trids[i], bdfs[i]);
		if (rc != 0) {
			n = rc;
			break;
		}
	}
	free(bdfs);
	return n;
}
