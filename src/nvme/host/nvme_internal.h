/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe host driver's insides: controller, queue pair and request
 * objects shared by the transport-independent core (ctrlr.c, qpair.c, ns.c,
 * fabric.c) and the transports behind struct nvme_transport_ops (tcp.c; PCIe
 * later). The core never names a transport: it looks one up in the table of
 * transport.c by the transport ID's trtype.
 */
#ifndef SIO_NVME_HOST_INTERNAL_H
#define SIO_NVME_HOST_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "spdk_io/async.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/nvme_spec.h"
#include "spdk_io/thread.h"

#define NVME_LOG "nvme"

struct nvme_transport_ops;

/* Where a request is in its life. Every request is in exactly one list but OUTSTANDING_TP. */
enum nvme_req_state {
	NVME_REQ_FREE = 0,     /* on the qpair's free list */
	NVME_REQ_QUEUED,       /* accepted, waiting for a slot on the wire (queued list) */
	NVME_REQ_OUTSTANDING,  /* handed to the transport (outstanding list, submission order) */
};

/* What a request carries through its life, from a per-qpair pool. */
struct nvme_request {
	struct sio_nvme_cmd cmd;         /* the SQE as it goes on the wire (cid = pool index) */
	sio_nvme_cmd_cb cb;
	void *cb_arg;
	struct sio_nvme_qpair *qpair;
	/* Payload: @iov[0..iovcnt) holding @payload_size bytes (single-buffer commands point at @one). */
	const struct iovec *iov;
	int iovcnt;
	uint32_t payload_size;
	struct iovec one;
	struct sio_nvme_dsm_range dsm;   /* Deallocate's range: the payload lives in the request */
	uint8_t xfer;                    /* enum sio_nvme_data_xfer of the opcode */
	uint8_t state;                   /* enum nvme_req_state */
	bool abort_sent;                 /* timed out once: an Abort went to the controller */
	bool internal;                   /* the driver's own command (Connect...): may go while connecting */
	uint64_t deadline_tick;          /* timeout: when to act (0 = none) */
	TAILQ_ENTRY(nvme_request) link;  /* free, queued or outstanding list */
	/* The transport's per-request context follows (ops->req_ctx_size bytes, 16-aligned). */
	uint8_t tctx[] __attribute__((aligned(16)));
};

TAILQ_HEAD(nvme_req_list, nvme_request);

/* Queue pair states. */
enum nvme_qpair_state {
	NVME_QPAIR_DISCONNECTED = 0, /* no connection; submissions wait (queued) */
	NVME_QPAIR_CONNECTING,       /* transport connecting; only internal commands go */
	NVME_QPAIR_CONNECTED,        /* usable */
	NVME_QPAIR_FAILED,           /* connection lost; outstanding completed; waits for reset */
	NVME_QPAIR_DESTROYING,       /* being freed */
};

typedef void (*nvme_rc_cb)(void *arg, int rc);

/*
 * A queue pair: admin (qid 0, owned by the controller's thread) or I/O
 * (owned by the thread that allocated it). The transport allocates the
 * object it embeds this in (ops->qpair_create), so transport state sits
 * beside it without a second allocation.
 */
struct sio_nvme_qpair {
	struct sio_nvme_ctrlr *ctrlr;
	const struct nvme_transport_ops *ops;
	struct sio_thread *thread;       /* owner */
	uint16_t qid;
	uint16_t state;                  /* enum nvme_qpair_state */
	uint32_t num_entries;            /* queue size: at most num_entries - 1 on the wire */
	uint32_t num_requests;           /* pool size */
	uint32_t on_wire;                /* requests handed to the transport */
	uint32_t outstanding;            /* accepted and not completed (queued + on the wire) */
	bool in_callback;                /* a completion callback of this qpair is running */
	/* Fabrics: the controller agreed to disable SQ flow control (Connect
	 * answered SQHD 0xffff): no SQHD to expect, SUCCESS may end a read. */
	bool sq_flow_off;
	bool sq_flow_refused;            /* this queue's Connect was refused for asking: ask no more */
	bool failed_pending;             /* the transport reported a failure; fail at the next safe point */
	bool authenticating;             /* a DH-HMAC-CHAP transaction runs (auth.c): one at a time */
	int fail_rc;                     /* the transport's error for failed_pending */
	struct nvme_req_list free_reqs;
	struct nvme_req_list queued_reqs;
	struct nvme_req_list outstanding_reqs; /* submission order: the head times out first */
	uint8_t *req_mem;                /* the pool: num_requests * req_stride bytes */
	size_t req_stride;
	struct sio_poller *timeout_poller;
	uint64_t timeout_ticks;          /* command timeout in ticks (0 = none) */
	/* Connect and reconnect: one at a time. */
	nvme_rc_cb connect_cb;
	void *connect_arg;
	struct sio_nvmf_connect_data *connect_data; /* the Connect command's data (fabrics) */
	/* Controller messages (reset) on their way to this queue pair: taken under
	 * ctrlr->lock while it is listed, dropped on its thread; a free waits for 0. */
	uint32_t pending_msgs;
	bool release_pending;
	TAILQ_ENTRY(sio_nvme_qpair) link;   /* ctrlr->io_qpairs, under ctrlr->lock */
	/* Plain counters of the owner thread (read there by message for the RPC). */
	struct sio_nvme_qpair_stats stats;
};

/* Controller states. */
enum nvme_ctrlr_state {
	NVME_CTRLR_INIT = 0,     /* connecting: the init sequence runs */
	NVME_CTRLR_READY,        /* usable */
	NVME_CTRLR_RESETTING,    /* reset under way */
	NVME_CTRLR_FAILED,       /* connection lost or reset failed */
	NVME_CTRLR_DETACHING,    /* being freed */
};

struct sio_nvme_ns {
	struct sio_nvme_ctrlr *ctrlr;
	uint32_t id;
	bool active;
	uint32_t sector_size;
	uint64_t num_sectors;
	uint8_t uuid[16];
	bool has_uuid;
	/* Command Set Identifier from the descriptor list (NIDT 04h); NVM when
	 * the controller gives none (before NVMe 1.3, or the list refused). */
	uint8_t csi;
	struct sio_nvme_ns_data *data;   /* 4096 bytes, allocated on first activation */
};

struct sio_nvme_ctrlr {
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts opts;
	const struct nvme_transport_ops *ops;
	void *tctx;                        /* the transport's per-controller state */
	struct sio_thread *thread;         /* owner */
	enum nvme_ctrlr_state state;
	bool discovery;
	/* The controller refused a Connect asking to disable SQ flow control:
	 * later Connects (I/O queues, reconnections) no longer ask. */
	bool sq_flow_refused;
	uint16_t cntlid;
	uint64_t cap;
	uint32_t vs;
	uint32_t max_xfer_size;
	uint32_t ioccsz_bytes;             /* in-capsule data allowed on I/O queues (IOCCSZ*16 - 64) */
	uint32_t num_io_queues;            /* granted */
	struct sio_nvme_ctrlr_data *cdata; /* Identify Controller, 4096 bytes */
	struct sio_nvme_qpair *adminq;
	struct sio_poller *admin_poller;   /* keep-alive, timeouts */
	uint64_t next_keep_alive_tick;
	bool keep_alive_inflight;
	/* Namespaces: ns[0..num_ns) for IDs 1..num_ns; active_list sorted. */
	uint32_t num_ns;
	struct sio_nvme_ns *ns;
	uint32_t *active_ids;              /* NN+1 entries worth: sorted active IDs */
	uint32_t num_active;
	uint32_t *ns_list_buf;             /* 4096-byte Identify active ns list buffer */
	/* Async events */
	uint32_t aer_count;
	sio_nvme_ctrlr_event_cb event_cb;
	void *event_arg;
	bool ns_refresh_running;
	bool ns_refresh_again;
	/* I/O queue pairs, from any thread */
	pthread_mutex_t lock;
	TAILQ_HEAD(, sio_nvme_qpair) io_qpairs;
	uint8_t *qid_used;                 /* [num_io_queues + 1], under lock */
	uint32_t next_qid;                 /* where the round-robin search starts (0-based), under lock */
	/*
	 * T_ID of the next DH-HMAC-CHAP transaction on any of its queues (auth.c),
	 * taken with an atomic increment: I/O queues authenticate on their own
	 * threads. Wraps at 16 bits; two transactions a wrap apart never overlap.
	 */
	uint16_t auth_t_id;
	/* Init / reset / detach sequencing */
	sio_nvme_connect_cb connect_cb;
	void *connect_arg;
	sio_done_cb reset_cb;
	void *reset_arg;
	sio_done_cb detach_cb;
	void *detach_arg;
	int init_step;
	uint64_t init_deadline_tick;
	bool init_active;                  /* the init/reset step machine runs */
	bool csts_recheck;                 /* WAIT_RDY: read CSTS again at the next admin tick */
	uint32_t pending_qpair_ops;        /* reset: qpair disconnects/reconnects in flight */
	uint32_t inflight_msgs;            /* fail/abort messages from qpair threads (atomic) */
	bool release_pending;              /* detached: freed when both counts reach 0 */
	bool release_msg_queued;           /* a release message is on its way: it frees */
	int reset_rc;
	void *scratch;                     /* 4096-byte DMA-able buffer for init-time reads */
};

/*
 * A transport: everything that differs between TCP, PCIe (and RDMA one day).
 * Registered in transport.c's table. Calls run on the thread that owns the
 * object they are given.
 */
struct nvme_transport_ops {
	enum sio_nvme_transport_type type;
	const char *name;
	size_t req_ctx_size;                 /* bytes of per-request context (request->tctx) */
	/* Fills what the transport counts itself into @s (polls made by its own
	 * poller, completions); NULL: the core's counts stand. Queue pair's thread. */
	void (*qpair_stats)(const struct sio_nvme_qpair *qp, struct sio_nvme_qpair_stats *s);
	bool fabrics;                        /* registers are properties (Property Get/Set) and queues need Connect */
	/* Controller */
	int (*ctrlr_construct)(struct sio_nvme_ctrlr *ctrlr);
	void (*ctrlr_destruct)(struct sio_nvme_ctrlr *ctrlr);
	uint32_t (*ctrlr_max_xfer_size)(struct sio_nvme_ctrlr *ctrlr);
	/* Registers: Property Get/Set for fabrics (fabric.c), MMIO for PCIe. @cb once, maybe inside. */
	int (*ctrlr_get_reg)(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size,
			     void (*cb)(void *arg, int rc, uint64_t value), void *arg);
	int (*ctrlr_set_reg)(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size, uint64_t value,
			     void (*cb)(void *arg, int rc, uint64_t value), void *arg);
	/* Queue pairs */
	struct sio_nvme_qpair *(*qpair_create)(struct sio_nvme_ctrlr *ctrlr, uint16_t qid);
	void (*qpair_destroy)(struct sio_nvme_qpair *qpair);
	/* Connect: transport connection then (fabrics) nvme_fabric_qpair_connect(); @cb once. */
	int (*qpair_connect)(struct sio_nvme_qpair *qpair, nvme_rc_cb cb, void *arg);
	/* Drop the connection (the core completes what was outstanding). Idempotent. */
	void (*qpair_disconnect)(struct sio_nvme_qpair *qpair);
	/* Put @req on the wire; 0 or a negative errno (the qpair is then failed). */
	int (*qpair_submit)(struct sio_nvme_qpair *qpair, struct nvme_request *req);
	/* Receive and complete (nvme_qpair_complete()); returns completions or a negative errno. */
	int (*qpair_process)(struct sio_nvme_qpair *qpair, uint32_t max);
};

/* transport.c */
const struct nvme_transport_ops *nvme_transport_get(enum sio_nvme_transport_type type);

/* qpair.c: the request pool and the submission/completion paths. */
int nvme_qpair_init(struct sio_nvme_qpair *qpair, struct sio_nvme_ctrlr *ctrlr, uint16_t qid,
		    uint32_t num_entries, uint32_t num_requests, const struct nvme_transport_ops *ops);
void nvme_qpair_fini(struct sio_nvme_qpair *qpair);
struct nvme_request *nvme_qpair_req_by_cid(struct sio_nvme_qpair *qpair, uint16_t cid);
struct nvme_request *nvme_qpair_alloc_req(struct sio_nvme_qpair *qpair);
void nvme_qpair_free_req(struct sio_nvme_qpair *qpair, struct nvme_request *req);
int nvme_qpair_submit(struct sio_nvme_qpair *qpair, struct nvme_request *req);
/* The transport's completion of an outstanding request: runs the callback exactly once. */
void nvme_qpair_complete(struct sio_nvme_qpair *qpair, struct nvme_request *req,
			 const struct sio_nvme_cpl *cpl);
/* Completes every queued and outstanding request with a made-up status. */
void nvme_qpair_abort_all(struct sio_nvme_qpair *qpair, int rc);
/* Completes what is on the wire, and the driver's own queued commands (they belong to the
 * connection); the caller's queued requests stay for a reconnection. */
void nvme_qpair_abort_outstanding(struct sio_nvme_qpair *qpair, int rc);
/* The transport lost the connection: mark failed, complete everything with -ECONNRESET. */
void nvme_qpair_transport_failed(struct sio_nvme_qpair *qpair, int rc);
void nvme_qpair_set_state(struct sio_nvme_qpair *qpair, enum nvme_qpair_state st);
/* Submit what waits in the queued list as far as the queue depth allows. */
void nvme_qpair_resubmit_queued(struct sio_nvme_qpair *qpair);
/* Takes a request and fills it from @cmd (CID, PSDT); the caller sets the payload, then submits. */
int nvme_qpair_prepare(struct sio_nvme_qpair *qpair, const struct sio_nvme_cmd *cmd, bool internal,
		       sio_nvme_cmd_cb cb, void *cb_arg, struct nvme_request **out);
void nvme_req_set_payload(struct nvme_request *req, const struct iovec *iov, int iovcnt,
			  uint32_t len);
int nvme_qpair_submit_cmd(struct sio_nvme_qpair *qpair, const struct sio_nvme_cmd *cmd,
			  const struct iovec *iov, int iovcnt, uint32_t len, bool internal,
			  sio_nvme_cmd_cb cb, void *cb_arg);
void nvme_qpair_check_timeouts(struct sio_nvme_qpair *qpair);
/* Drop a controller message's hold (qpair thread); frees a queue pair freed meanwhile. */
void nvme_qpair_msg_put(struct sio_nvme_qpair *qpair);

/* fabric.c: Connect and properties over the admin queue. */
int nvme_fabric_qpair_connect(struct sio_nvme_qpair *qpair, nvme_rc_cb cb, void *arg);
/*
 * auth.c: one DH-HMAC-CHAP transaction on @qpair (connected, or connecting
 * after a Connect that asked for it) with the controller's dhchap keys;
 * @cb(arg, 0) once authenticated, -EACCES refused (logged), or the
 * transport's error. A refused re-authentication of a connected queue fails
 * the queue (failed_pending). Return 0 (@cb will run), -EACCES (no key),
 * -EALREADY (one runs), -ENOMEM.
 */
int nvme_auth_qpair(struct sio_nvme_qpair *qpair, nvme_rc_cb cb, void *arg);
/*
 * auth.c: a reference on each of @ctrlr's DH-HMAC-CHAP keys (NULL where none),
 * taken under @ctrlr->lock so any thread may call it while the controller's
 * thread swaps the keys; the caller puts both.
 */
void nvme_ctrlr_get_dhchap_keys(struct sio_nvme_ctrlr *ctrlr, struct sio_key **key,
				struct sio_key **ctrlr_key);
typedef void (*nvme_reg_cb)(void *arg, int rc, uint64_t value);
int nvme_fabric_prop_get(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size,
			 nvme_reg_cb cb, void *arg);
int nvme_fabric_prop_set(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size,
			 uint64_t value, nvme_reg_cb cb, void *arg);

/* ctrlr.c */
void nvme_ctrlr_fail(struct sio_nvme_ctrlr *ctrlr, int rc);
/* An I/O qpair timed out twice: ask the controller's thread for a failure (any thread). */
void nvme_ctrlr_request_fail_async(struct sio_nvme_ctrlr *ctrlr);
void nvme_ctrlr_abort_cmd_async(struct sio_nvme_ctrlr *ctrlr, uint16_t sqid, uint16_t cid);
const uint8_t *nvme_host_id(const struct sio_nvme_ctrlr *ctrlr);

/* ns.c */
int nvme_ns_refresh_all(struct sio_nvme_ctrlr *ctrlr, nvme_rc_cb cb, void *arg);
void nvme_ns_free_all(struct sio_nvme_ctrlr *ctrlr);

/* Helpers */
void nvme_cpl_make(struct sio_nvme_cpl *cpl, uint16_t sqid, uint16_t cid, uint8_t sct, uint8_t sc,
		   bool dnr);

#endif /* SIO_NVME_HOST_INTERNAL_H */
