/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller emulation: what a transport hands commands to and gets
 * completions back from. Transport-neutral: a transport turns its PDUs into
 * struct nvmf_req (SQE, data iovecs) and calls nvmf_req_exec(); the
 * controller answers through the qpair's ops (complete), exactly once per
 * request.
 *
 * Threads: a qpair lives on its poll group's thread and every call on it or
 * its requests is made there. A controller belongs to its admin qpair's
 * thread (features, registers, AER, logs); I/O qpairs on other poll groups
 * read only what is atomic (CSTS.RDY, the disconnect flag) and the
 * subsystem's per-poll-group view. Cross-thread signals (disconnect asked,
 * namespaces changed) are flags and generation counters that each poll
 * group's 100 ms timer looks at, or a kick message to look now.
 */
#ifndef SIO_NVMF_CTRLR_H
#define SIO_NVMF_CTRLR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "nvmf/nvmf_internal.h"
#include "spdk_io/bdev.h"
#include "spdk_io/nvme_spec.h"

/* Most data iovecs a request carries (buffers of NVMF_BUF_SIZE: max_io_size / NVMF_BUF_SIZE + 1). */
#define NVMF_REQ_MAX_IOV 33
/* Outstanding Asynchronous Event Requests a controller keeps (Identify AERL + 1). */
#define NVMF_MAX_AER 4

struct nvmf_qpair;
struct nvmf_req;

/* States of a request (completed exactly once). */
enum nvmf_req_state {
	NVMF_REQ_FREE = 0,     /* in the qpair's pool */
	NVMF_REQ_RECEIVING,    /* the transport is getting its SQE or data */
	NVMF_REQ_EXECUTING,    /* in the controller or the bdev */
	NVMF_REQ_COMPLETING,   /* the transport is sending its data/response */
};

struct nvmf_req {
	struct nvmf_qpair *qpair;
	enum nvmf_req_state state;
	struct sio_nvme_cmd cmd;       /* the SQE, as received (little-endian layout) */
	struct sio_nvme_cpl rsp;       /* the CQE being built */
	enum sio_nvme_data_xfer xfer;  /* direction of the data */
	uint32_t length;               /* bytes of data (from the SGL) */
	struct iovec iov[NVMF_REQ_MAX_IOV]; /* the data buffers, filled by the transport */
	int iovcnt;
	/* I/O commands */
	struct nvmf_pg_subsystem *sg;  /* counted in sg->io_outstanding while set */
	struct sio_bdev_io_wait_entry bdev_wait;
	uint32_t sub_pending;          /* Dataset Management: ranges still in flight */
	int sub_rc;
	TAILQ_ENTRY(nvmf_req) link;    /* held while paused; AER list */
};

/* What a transport provides for its qpairs. */
struct nvmf_qpair_ops {
	/* Send req->rsp (and, for a successful controller-to-host command, the data). */
	void (*complete)(struct nvmf_req *req);
	/* Close the connection (the transport calls nvmf_qpair_fini() when done). */
	void (*disconnect)(struct nvmf_qpair *qp);
	/* The connection's addresses, for nvmf_subsystem_get_qpairs/controllers. */
	void (*get_addrs)(struct nvmf_qpair *qp, char *local, size_t llen, uint16_t *lport,
			  char *peer, size_t plen, uint16_t *pport);
	/* A Connect succeeded: size the request pool to qp->sq_entries. */
	int (*connected)(struct nvmf_qpair *qp);
};

/* States of a qpair. */
enum nvmf_qpair_state {
	NVMF_QPAIR_CONNECTING = 0, /* only a Connect is accepted */
	NVMF_QPAIR_ACTIVE,         /* connected to a controller */
	NVMF_QPAIR_DISCONNECTING,  /* closing: completions are dropped, not sent */
};

struct nvmf_qpair {
	const struct nvmf_qpair_ops *ops;
	struct sio_nvmf_transport *transport;
	struct nvmf_poll_group *pg;
	struct nvmf_ctrlr *ctrlr;      /* NULL until Connect */
	enum nvmf_qpair_state state;
	uint16_t qid;
	uint16_t sq_entries;           /* SQSIZE + 1 */
	uint16_t sqhd;                 /* head pointer reported in completions */
	bool sq_flow_off;              /* the host disabled SQ flow control (SQHD 0xffff) */
	uint32_t outstanding;          /* requests between exec and complete */
	uint64_t connect_tick;
	/* DH-HMAC-CHAP (auth.c): the transaction's state, NULL if the host has no key;
	 * auth_pending: Connect asked for authentication, only Auth Send/Receive go. */
	struct nvmf_auth *auth;
	bool auth_pending;
	/* PSK identity of the TLS connection carrying it (NULL: no TLS):
	 * Connect must name the same host and subsystem. */
	const char *tls_identity;
	TAILQ_ENTRY(nvmf_qpair) link;  /* pg->qpairs */
};

/* Registers and features a controller keeps (admin thread, except where marked). */
struct nvmf_ctrlr_feat {
	uint32_t arbitration;
	uint32_t power_mgmt;
	uint32_t temp_threshold;
	uint32_t error_recovery;
	uint32_t volatile_wc;
	uint32_t num_queues;       /* NSQA/NCQA granted (0's based, both halves) */
	uint32_t async_event_cfg;
	uint32_t kato_ms;
};

struct nvmf_ctrlr {
	struct sio_nvmf_subsystem *ss;
	uint16_t cntlid;
	char hostnqn[SIO_NVMF_NQN_FIELD_LEN];
	uint8_t hostid[16];
	struct nvmf_qpair *admin_qpair;
	struct nvmf_poll_group *admin_pg;
	uint32_t refs;              /* qpairs attached (atomic) */
	uint32_t num_io_qpairs;     /* atomic */
	uint16_t max_qpairs;        /* transport's max_qpairs_per_ctrlr */
	uint32_t cc;                /* Controller Configuration (admin thread) */
	uint32_t csts;              /* Controller Status (atomic: I/O qpairs read RDY) */
	bool disconnect_requested;  /* atomic: set from any thread */
	uint64_t last_keep_alive;   /* ticks (admin thread) */
	struct nvmf_ctrlr_feat feat;
	/* AER: outstanding requests and events not yet reported */
	struct nvmf_req *aer[NVMF_MAX_AER];
	uint32_t num_aer;
	bool ns_notice_pending;     /* a namespace attribute notice waits for an AER */
	bool ns_notice_masked;      /* reported, Changed NS List not read yet */
	uint64_t ns_change_seen;    /* subsystem ns_change_gen this controller has taken */
	uint32_t changed_ns[NVMF_NS_CHANGE_RING];
	uint32_t num_changed_ns;    /* > 1024: overflow (report 0xffffffff) */
	uint64_t log_errors;        /* error log entries (count only) */
	TAILQ_ENTRY(nvmf_ctrlr) link; /* ss->ctrlrs, under ss->mutex */
};

/* ------------------------------------------------------------------------ */
/* Transport -> controller                                                  */
/* ------------------------------------------------------------------------ */

/* Set up @qp on @pg's thread (adds it to pg->qpairs). */
void nvmf_qpair_init(struct nvmf_qpair *qp, struct nvmf_poll_group *pg,
		     struct sio_nvmf_transport *t, const struct nvmf_qpair_ops *ops);

/*
 * The transport closed @qp and every request of it is back: detach it from
 * its controller (the last qpair ends the controller) and from the group.
 */
void nvmf_qpair_fini(struct nvmf_qpair *qp);

/*
 * The connection is closing: give back what the controller holds of @qp's
 * requests that will never complete by themselves (AERs), completing them
 * with "aborted, SQ deletion" (the transport drops those completions).
 */
void nvmf_qpair_disconnecting(struct nvmf_qpair *qp);

/*
 * Run a command whose SQE (and, host-to-controller, its data) is in @req.
 * The transport has set cmd, xfer, length, iov/iovcnt. The controller
 * calls qp->ops->complete(req) exactly once, maybe inside this call.
 */
void nvmf_req_exec(struct nvmf_req *req);

/*
 * Fill req->rsp for completion with the generic/command status and send it:
 * cid, sqid, sqhd are set here.
 */
void nvmf_req_complete(struct nvmf_req *req);
void nvmf_req_complete_status(struct nvmf_req *req, uint8_t sct, uint8_t sc);

/* Data direction and length the SGL/opcode imply; -EINVAL status in @req->rsp if malformed. */
enum sio_nvme_data_xfer nvmf_req_xfer(const struct sio_nvme_cmd *cmd);

/* ------------------------------------------------------------------------ */
/* Poll groups, subsystems -> controllers                                   */
/* ------------------------------------------------------------------------ */

/* Timer work of a poll group: keep-alive expiry, disconnect requests, namespace notices. */
bool nvmf_pg_check_keep_alive(struct nvmf_poll_group *pg);

/* Ask every poll group to run its timer work now (any thread that owns nothing). */
void nvmf_tgt_kick_pgs(struct sio_nvmf_tgt *tgt);

/* Ask @ctrlr's qpairs to close (any thread, under ss->mutex). */
void nvmf_ctrlr_request_disconnect(struct nvmf_ctrlr *ctrlr);

/* Run commands held while paused; fail them if the subsystem went away. */
void nvmf_pg_ss_run_held(struct nvmf_poll_group *pg, struct nvmf_pg_subsystem *sg);
void nvmf_pg_ss_fail_held(struct nvmf_poll_group *pg, struct nvmf_pg_subsystem *sg);
void nvmf_pg_sgroup_release(struct nvmf_pg_subsystem *sg);

/* The per-group part of transport @t on @pg (created on first use). */
int nvmf_pg_get_tpg(struct nvmf_poll_group *pg, struct sio_nvmf_transport *t, void **tpg);

/* Identify / discovery helpers (ctrlr_admin.c, discovery.c). */
void nvmf_ctrlr_exec_admin(struct nvmf_req *req);
void nvmf_ctrlr_exec_io(struct nvmf_req *req);
void nvmf_ctrlr_exec_fabrics(struct nvmf_req *req);
void nvmf_ctrlr_poll_events(struct nvmf_ctrlr *ctrlr);
void nvmf_ctrlr_aer_abort_all(struct nvmf_ctrlr *ctrlr);

/* Copy @len bytes of @src to the start of the request's data (log pages, identify). */
void nvmf_req_copy_to(struct nvmf_req *req, const void *src, size_t len);
/* Copy @len bytes at byte @offset of the request's data into @dst (DSM ranges). */
void nvmf_req_read_at(struct nvmf_req *req, size_t offset, void *dst, size_t len);

/* Asynchronous events and the Changed Namespace List (ctrlr.c). */
void nvmf_ctrlr_aer_submit(struct nvmf_req *req);
/* Take the subsystem's new namespace notices without reporting them. */
void nvmf_ctrlr_poll_events_quiet(struct nvmf_ctrlr *ctrlr);
/* The host read the Changed NS list; @rae: Retain Asynchronous Event (keep it masked). */
void nvmf_ctrlr_changed_ns_read(struct nvmf_ctrlr *ctrlr, bool rae);

#endif /* SIO_NVMF_CTRLR_H */
