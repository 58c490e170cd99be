/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP transport, target side, on the sock layer and the shared PDU
 * codec (src/nvme/tcp/nvme_tcp.h).
 *
 * Accepting: each listen socket is polled by a timed poller of the app
 * thread every acceptor_poll_rate us; accepted connections go round robin
 * to the poll groups, by message, where they join the group's sock group.
 *
 * A connection (struct tcp_conn) is one qpair. Its receive side is the
 * codec's state machine: headers are parsed out of a staging buffer, data
 * (in-capsule and H2CData) lands straight in the request's data buffers.
 * Requests come from a per-connection array sized at Connect (SQSIZE + 1),
 * data buffers from the poll group's pools (8 KiB chunks, and buffers of
 * max_io_size for longer commands): nothing is allocated per command.
 * Reads send the buffers the bdev filled, writes receive into the buffers
 * the bdev writes from. A response is one writev: C2HData header,
 * data, digest and (unless the SUCCESS flag stands for it) CapsuleResp.
 *
 * Protocol errors stop the codec; the connection then sends a C2HTermReq
 * with the codec's FES/FEI and closes. A closing connection waits for its
 * requests still in the bdev: their completions are dropped, then the qpair
 * leaves its controller and the memory goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nvme/tcp/nvme_tcp.h"
#include "nvmf/nvmf_ctrlr.h"
#include "spdk_io/sock.h"
#include "spdk_io/trace.h"

/*
 * Data buffer chunk: commands of up to one chunk take one, longer ones one
 * large buffer (max_io_size) from a second pool, or ceil(length / chunk)
 * chunks when that pool is empty. A 128 KiB command walked 16 chunks when
 * it took them and again when it gave them back (~650 instructions of the
 * target's ~3 000 per 128 KiB read, callgrind); a large buffer is one pop
 * and one push (SPDK's iobuf has the same two pools).
 */
#define TCP_BUF_SIZE 8192u
/*
 * Staging buffer for headers and in-capsule data: one read takes in ~15
 * capsules of 4 KiB writes (their data is copied once, into the request's
 * buffer) where an 8 KiB buffer took two, so half a recvmsg() per write.
 */
#define TCP_RX_BUF 65536u
/*
 * How much of it a read offers while H2C data is expected (R2Ts out): the
 * bytes after an H2CData header would be the transfer's own data, copied
 * out of the staging buffer; with a small window they stay in the socket
 * and the next read puts them straight into the request's buffers.
 */
#define TCP_RX_WINDOW_H2C 2048u
/* In-capsule data a host may put in the admin queue's capsules (the Linux host uses 8 KiB). */
#define TCP_ADMIN_ICD 8192u
/* Receive rounds per readable callback before yielding to other connections. */
#define TCP_RX_ROUNDS 16

struct tcp_pg;
struct tcp_conn;

/* States of a request inside the transport (the controller's are in nvmf_ctrlr.h). */
enum tcp_req_state {
	TCP_REQ_FREE = 0,   /* in the connection's free list */
	TCP_REQ_ICD,        /* receiving in-capsule data */
	TCP_REQ_NEED_BUF,   /* waiting for data buffers (pool empty) */
	TCP_REQ_H2C,        /* R2T sent, receiving H2CData */
	TCP_REQ_EXEC,       /* with the controller / bdev */
	TCP_REQ_SEND,       /* response being sent */
};

struct tcp_req {
	struct nvmf_req req;            /* first: nvmf_req <-> tcp_req */
	struct tcp_conn *conn;
	enum tcp_req_state tstate;
	uint16_t ttag;                  /* index + 1 */
	uint32_t h2c_off;               /* H2C bytes received */
	bool failed;                    /* digest or transfer error: answer with rsp as set */
	uint32_t nbufs;
	uint32_t heap_mask;             /* chunks malloc'd because the pool was empty */
	uint8_t *large;                 /* the one large buffer it holds instead of chunks */
	void *bufs[NVMF_REQ_MAX_IOV];
	struct iovec rx_iov[NVMF_REQ_MAX_IOV + 1];
	struct nvme_tcp_pdu data_pdu;   /* C2HData, or R2T */
	struct nvme_tcp_pdu rsp_pdu;    /* CapsuleResp */
	struct sio_sock_request sreq;   /* the response */
	struct sio_sock_request r2t_sreq;
	struct iovec tx_iov[NVMF_REQ_MAX_IOV + 8];
	struct iovec r2t_iov[4];
	uint8_t sends;                  /* socket requests in flight */
	TAILQ_ENTRY(tcp_req) link;      /* free list, or buffer wait list */
};

enum tcp_conn_state {
	TCP_CONN_IC_WAIT = 0, /* waiting for ICReq */
	TCP_CONN_RUNNING,     /* commands flow */
	TCP_CONN_CLOSING,     /* socket closed, waiting for requests to come back */
};

struct tcp_conn {
	struct nvmf_qpair qp;           /* first */
	struct tcp_pg *tpg;
	struct sio_sock *sock;
	enum tcp_conn_state state;
	struct nvme_tcp_rx rx;
	struct nvme_tcp_params params;
	uint8_t *rxbuf;
	struct tcp_req *reqs;           /* pool, num_reqs entries (after Connect) */
	uint32_t num_reqs;
	struct tcp_req first_req;       /* the one request before Connect sized the pool */
	TAILQ_HEAD(, tcp_req) free_reqs;
	struct tcp_req *rx_req;         /* request whose data is arriving */
	struct nvme_tcp_pdu ctrl_pdu;   /* ICResp, C2HTermReq */
	struct sio_sock_request ctrl_sreq;
	struct iovec ctrl_iov[4];
	bool ctrl_busy;
	uint32_t sends;                 /* socket requests in flight (ctrl + reqs) */
	uint32_t busy_reqs;             /* requests not free */
	uint32_t h2c_reqs;              /* requests in TCP_REQ_H2C (R2T sent) */
	uint32_t rx_window;             /* staging bytes the last read offered */
	bool finish_queued;
	char local[64], peer[64];
	uint16_t lport, pport;
	struct sio_sock_tls_info *tls;  /* secure channel: its handshake's outcome */
	TAILQ_ENTRY(tcp_conn) link;
};

/*
 * A pool of equal buffers carved from one mapping, handed out from a stack
 * of free buffer addresses: taking one is a pop, giving it back a push (no
 * index arithmetic), and the last given back is the next taken, still warm.
 * A poll group has two: the chunks and the large buffers.
 */
struct tcp_buf_stack {
	uint8_t *base;  /* count buffers of size: reserved, not committed (MAP_NORESERVE) */
	size_t size;
	uint32_t count;
	uint32_t top;   /* free[0 .. top) are free */
	uint8_t **free;
};

/* A poll group's part: its sock group, connections and data buffer pools. */
struct tcp_pg {
	struct nvmf_poll_group *pg;
	struct sio_nvmf_transport *t;
	struct sio_sock_group *group;
	TAILQ_HEAD(, tcp_conn) conns;
	struct tcp_buf_stack chunks;    /* TCP_BUF_SIZE each */
	struct tcp_buf_stack large;     /* max_io_size (page-rounded) each; none if <= a chunk */
	TAILQ_HEAD(, tcp_req) buf_wait; /* requests waiting for chunks */
	uint64_t heap_bufs;             /* chunks malloc'd because the pool ran dry (stat) */
};

/*
 * A listen socket is polled for connections by a timed poller of the thread
 * that created it, every acceptor_poll_rate microseconds (SPDK's meaning of
 * the option): an accept4() per period. Waiting for readability instead
 * (sio_sock_wait()) cost an epoll_wait(0) on every turn of a polling
 * reactor, which shares its core with the poll group: ~1 us per turn on the
 * benchmark VM, where a 128 KiB read takes ~25 us of the target's core.
 */
struct tcp_listener {
	struct sio_nvmf_transport *t;
	struct sio_sock *sock;
	struct sio_poller *poller;
};

static const struct nvmf_qpair_ops g_tcp_qpair_ops;
static const struct nvme_tcp_rx_ops g_rx_ops;
static void conn_close(struct tcp_conn *conn, bool term);
static void req_start(struct tcp_req *tr);
static void req_release(struct tcp_req *tr);

/* ------------------------------------------------------------------------ */
/* Options, transport                                                       */
/* ------------------------------------------------------------------------ */

static void tcp_opts_init(struct sio_nvmf_transport_opts *o)
{
	o->opts_size = sizeof(*o);
	o->max_queue_depth = 128;
	o->max_qpairs_per_ctrlr = 128;
	o->in_capsule_data_size = 4096;
	o->max_io_size = 131072;
	o->io_unit_size = 131072;
	o->max_aq_depth = 128;
	o->num_shared_buffers = 511;
	o->buf_cache_size = 32;
	o->c2h_success = true;
	o->sock_priority = 0;
	o->acceptor_backlog = 100;
	o->abort_timeout_sec = 1;
	o->kas = 10;
	o->min_kato = 10000;
	o->zcopy = false;
	o->dif_insert_or_strip = false;
	o->control_msg_num = 32;
	o->acceptor_poll_rate = 10000;
}

static int tcp_create(struct sio_nvmf_transport *t)
{
	if (t->opts.max_io_size / TCP_BUF_SIZE + 1 > NVMF_REQ_MAX_IOV)
		return -EINVAL;
	return 0;
}

static void tcp_destroy(struct sio_nvmf_transport *t)
{
	(void)t;
}

/* ------------------------------------------------------------------------ */
/* Accepting                                                                */
/* ------------------------------------------------------------------------ */

struct tcp_new_conn {
	struct sio_nvmf_transport *t;
	struct nvmf_poll_group *pg;
	struct sio_sock *sock;
};

static void conn_readable(void *arg, struct sio_sock_group *group, struct sio_sock *sock);

/* On the poll group's thread: adopt an accepted socket. */
static void pg_add_conn(void *arg)
{
	struct tcp_new_conn *nc = arg;
	struct tcp_conn *conn = NULL;
	void *tpgp;
	struct tcp_pg *tpg;
	int rc;

	rc = nvmf_pg_get_tpg(nc->pg, nc->t, &tpgp);
	if (rc != 0)
		goto fail;
	tpg = tpgp;
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL)
		goto fail;
	conn->rxbuf = malloc(TCP_RX_BUF);
	if (conn->rxbuf == NULL)
		goto fail;
	conn->tpg = tpg;
	conn->sock = nc->sock;
	TAILQ_INIT(&conn->free_reqs);
	conn->first_req.conn = conn;
	conn->first_req.req.qpair = &conn->qp;
	conn->first_req.ttag = 0xffff;
	TAILQ_INSERT_TAIL(&conn->free_reqs, &conn->first_req, link);
	nvme_tcp_rx_init(&conn->rx, NVME_TCP_ROLE_TARGET, &g_rx_ops, conn);
	conn->rx_window = TCP_RX_BUF;
	rc = nvme_tcp_rx_set_buf(&conn->rx, conn->rxbuf, TCP_RX_BUF, 0);
	if (rc != 0)
		goto fail;
	sio_sock_getaddr(conn->sock, conn->local, sizeof(conn->local), &conn->lport, conn->peer,
			 sizeof(conn->peer), &conn->pport);
	rc = sio_sock_group_add_sock(tpg->group, conn->sock, conn_readable, conn);
	if (rc != 0)
		goto fail;
	nvmf_qpair_init(&conn->qp, nc->pg, nc->t, &g_tcp_qpair_ops);
	TAILQ_INSERT_TAIL(&tpg->conns, conn, link);
	SIO_DEBUGLOG(NVMF_LOG, "tcp: connection from %s:%u on %s", conn->peer, conn->pport,
		     nc->pg->name);
	free(nc);
	return;
fail:
	SIO_ERRLOG("nvmf tcp: cannot take a connection: %d", rc);
	if (conn != NULL) {
		free(conn->rxbuf);
		free(conn);
	}
	sio_sock_close(&nc->sock);
	free(nc);
}

/* Secure channel handshake (poll group thread): the key of a PSK identity. */
static int tcp_psk_lookup(void *ctx, const char *identity, uint8_t *psk, size_t psk_max)
{
	struct sio_nvmf_transport *t = ctx;

	return nvmf_tgt_tls_psk(t->tgt, identity, psk, psk_max);
}

static int listener_poll(void *arg)
{
	struct tcp_listener *tl = arg;
	struct sio_sock *sock;
	int rc = 0, n = 0;

	for (int i = 0; i < 64; i++) {
		struct tcp_new_conn *nc;

		rc = sio_sock_accept(tl->sock, &sock);
		if (rc != 0)
			break;
		n++;
		nc = calloc(1, sizeof(*nc));
		if (nc == NULL) {
			sio_sock_close(&sock);
			continue;
		}
		nc->t = tl->t;
		nc->pg = nvmf_tgt_next_pg(tl->t->tgt);
		nc->sock = sock;
		if (sio_thread_send_msg(nc->pg->thread, pg_add_conn, nc) != 0) {
			sio_sock_close(&nc->sock);
			free(nc);
		}
	}
	if (rc != 0 && rc != -EAGAIN)
		SIO_WARNLOG("nvmf tcp: accept: %s", strerror(-rc));
	return n > 0 ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

static int tcp_listen(struct sio_nvmf_transport *t, struct nvmf_transport_listener *l)
{
	struct sio_sock_opts so;
	struct tcp_listener *tl = calloc(1, sizeof(*tl));
	uint16_t port = 0;
	int rc;

	if (tl == NULL)
		return -ENOMEM;
	struct sio_sock_tls_opts tls = {
		.opts_size = sizeof(tls),
		.psk_lookup = tcp_psk_lookup,
		.psk_lookup_ctx = t,
	};

	sio_sock_opts_init(&so, sizeof(so));
	so.priority = (int)t->opts.sock_priority;
	if (l->secure) {
		so.impl_name = "ssl";
		so.tls = &tls;
	}
	rc = sio_sock_listen(l->trid.traddr, l->trid.port, &so, &tl->sock);
	if (rc != 0) {
		free(tl);
		return rc;
	}
	sio_sock_getaddr(tl->sock, NULL, 0, &port, NULL, 0, NULL);
	l->trid.port = port;
	tl->t = t;
	tl->poller = sio_poller_register_named("nvmf_tcp_accept", listener_poll, tl,
					       t->opts.acceptor_poll_rate);
	if (tl->poller == NULL) {
		rc = -errno;
		sio_sock_close(&tl->sock);
		free(tl);
		return rc;
	}
	l->priv = tl;
	SIO_NOTICELOG("NVMe/TCP target listening on %s port %u%s", l->trid.traddr, port,
		      l->secure ? " (secure channel: TLS 1.3 PSK)" : "");
	return 0;
}

static void tcp_stop_listen(struct sio_nvmf_transport *t, struct nvmf_transport_listener *l)
{
	struct tcp_listener *tl = l->priv;

	(void)t;
	l->priv = NULL;
	sio_poller_unregister(&tl->poller);
	sio_sock_close(&tl->sock);
	free(tl);
}

/* ------------------------------------------------------------------------ */
/* Poll group part and its buffer pool                                      */
/* ------------------------------------------------------------------------ */

/*
 * Reserve @count buffers of @size (pages become resident only as buffers are
 * used) and push them so that pops come out in ascending address order.
 */
static int buf_stack_init(struct tcp_buf_stack *s, uint32_t count, size_t size)
{
	void *base = mmap(NULL, (size_t)count * size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (base == MAP_FAILED)
		return -ENOMEM;
	s->free = malloc(count * sizeof(*s->free));
	if (s->free == NULL) {
		munmap(base, (size_t)count * size);
		return -ENOMEM;
	}
	s->base = base;
	s->size = size;
	s->count = count;
	for (uint32_t i = 0; i < count; i++)
		s->free[i] = s->base + (size_t)(count - 1 - i) * size;
	s->top = count;
	return 0;
}

/* Undo buf_stack_init(); a stack never initialised (zeroed) is fine. */
static void buf_stack_fini(struct tcp_buf_stack *s)
{
	if (s->base != NULL)
		munmap(s->base, (size_t)s->count * s->size);
	free(s->free);
	memset(s, 0, sizeof(*s));
}

/* Take a buffer: the caller has checked that @s->top > 0. */
static inline uint8_t *buf_stack_pop(struct tcp_buf_stack *s)
{
	return s->free[--s->top];
}

/* Give back a buffer that buf_stack_pop() gave. */
static inline void buf_stack_push(struct tcp_buf_stack *s, uint8_t *buf)
{
	s->free[s->top++] = buf;
}

static int tcp_pg_create(struct sio_nvmf_transport *t, struct nvmf_poll_group *pg, void **out)
{
	struct tcp_pg *tpg = calloc(1, sizeof(*tpg));
	uint64_t total = (uint64_t)t->opts.num_shared_buffers * t->opts.io_unit_size;
	uint32_t n = (uint32_t)(total / TCP_BUF_SIZE / pg->tgt->num_poll_groups);

	if (tpg == NULL)
		return -ENOMEM;
	/* At least enough for a few full-size commands. */
	if (n < 4 * (t->opts.max_io_size / TCP_BUF_SIZE + 1))
		n = 4 * (t->opts.max_io_size / TCP_BUF_SIZE + 1);
	tpg->pg = pg;
	tpg->t = t;
	TAILQ_INIT(&tpg->conns);
	TAILQ_INIT(&tpg->buf_wait);
	if (buf_stack_init(&tpg->chunks, n, TCP_BUF_SIZE) != 0)
		goto fail;
	if (t->opts.max_io_size > TCP_BUF_SIZE) {
		size_t size = ((size_t)t->opts.max_io_size + 4095) & ~(size_t)4095;
		uint32_t nl = (uint32_t)(total / size / pg->tgt->num_poll_groups);

		if (buf_stack_init(&tpg->large, nl < 4 ? 4 : nl, size) != 0)
			goto fail;
	}
	tpg->group = sio_sock_group_create(tpg);
	if (tpg->group == NULL)
		goto fail;
	*out = tpg;
	return 0;
fail:
	buf_stack_fini(&tpg->chunks);
	buf_stack_fini(&tpg->large);
	free(tpg);
	return -ENOMEM;
}

static void tcp_pg_disconnect_all(void *arg)
{
	struct tcp_pg *tpg = arg;
	struct tcp_conn *conn, *tmp;

	TAILQ_FOREACH_SAFE(conn, &tpg->conns, link, tmp)
		conn_close(conn, false);
}

static void tcp_pg_destroy(void *arg)
{
	struct tcp_pg *tpg = arg;

	sio_sock_group_close(&tpg->group);
	buf_stack_fini(&tpg->chunks);
	buf_stack_fini(&tpg->large);
	free(tpg);
}

/*
 * nvmf_get_stats: nothing beyond "trtype", as SPDK (its TCP transport has no
 * poll_group_dump_stat, so a TCP entry of a poll group is {"trtype": "TCP"}).
 * heap_bufs stays internal: SPDK has no field for it.
 */
static void tcp_pg_dump_stats(void *arg, void *json_obj)
{
	(void)arg;
	(void)json_obj;
}

/*
 * Give @tr buffers for its length (all or none): one large buffer when it
 * needs more than a chunk and the large pool has one, else chunks. Chunks
 * that follow each other in memory share one iovec: a 128 KiB command taken
 * from the chunk pool in order is one iovec for the bdev, the socket reads
 * and the C2HData send instead of 16 (req_put_bufs() pushes them back so
 * that the next pops come out ascending again).
 */
static int req_get_bufs(struct tcp_req *tr, bool may_heap)
{
	struct tcp_pg *tpg = tr->conn->tpg;
	uint32_t len = tr->req.length;
	uint32_t n = (len + TCP_BUF_SIZE - 1) / TCP_BUF_SIZE;
	struct iovec *iov = tr->req.iov;
	uint8_t *end = NULL;
	int iovcnt = 0;

	if (n > NVMF_REQ_MAX_IOV)
		return -EINVAL;
	tr->heap_mask = 0;
	if (n > 1 && tpg->large.top > 0 && len <= tpg->large.size) {
		tr->large = buf_stack_pop(&tpg->large);
		tr->nbufs = 0;
		iov[0].iov_base = tr->large;
		iov[0].iov_len = len;
		tr->req.iovcnt = 1;
		return 0;
	}
	if (n <= tpg->chunks.top) {
		/* The I/O path: every chunk from the pool, whole chunks, the
		 * last one trimmed to the length afterwards. */
		for (uint32_t i = 0; i < n; i++) {
			uint8_t *p = buf_stack_pop(&tpg->chunks);

			tr->bufs[i] = p;
			if (p == end) {
				iov[iovcnt - 1].iov_len += TCP_BUF_SIZE;
			} else {
				iov[iovcnt].iov_base = p;
				iov[iovcnt].iov_len = TCP_BUF_SIZE;
				iovcnt++;
			}
			end = p + TCP_BUF_SIZE;
		}
		iov[iovcnt - 1].iov_len -= (size_t)n * TCP_BUF_SIZE - len;
		tr->nbufs = n;
		tr->req.iovcnt = iovcnt;
		return 0;
	}
	if (!may_heap)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t chunk = TCP_BUF_SIZE < len ? TCP_BUF_SIZE : len;

		if (tpg->chunks.top > 0) {
			tr->bufs[i] = buf_stack_pop(&tpg->chunks);
		} else {
			/* Pool dry while in-capsule data is already on the wire: rare, counted. */
			tr->bufs[i] = aligned_alloc(4096, TCP_BUF_SIZE);
			if (tr->bufs[i] == NULL) {
				tr->nbufs = i;
				tr->req.iovcnt = iovcnt;
				return -ENOMEM;
			}
			tr->heap_mask |= 1u << i;
			tpg->heap_bufs++;
		}
		if ((uint8_t *)tr->bufs[i] == end) {
			iov[iovcnt - 1].iov_len += chunk;
		} else {
			iov[iovcnt].iov_base = tr->bufs[i];
			iov[iovcnt].iov_len = chunk;
			iovcnt++;
		}
		end = (uint8_t *)tr->bufs[i] + chunk;
		len -= chunk;
	}
	tr->nbufs = n;
	tr->req.iovcnt = iovcnt;
	return 0;
}

static void req_put_bufs(struct tcp_req *tr)
{
	struct tcp_pg *tpg = tr->conn->tpg;

	if (tr->large != NULL) {
		buf_stack_push(&tpg->large, tr->large);
		tr->large = NULL;
	}
	/* Last chunk first: the next command pops the first one first. */
	for (uint32_t i = tr->nbufs; i-- > 0;) {
		if (tr->heap_mask & (1u << i))
			free(tr->bufs[i]);
		else
			buf_stack_push(&tpg->chunks, tr->bufs[i]);
	}
	tr->nbufs = 0;
	tr->heap_mask = 0;
	tr->req.iovcnt = 0;
	/* Someone waiting for chunks may go on now. */
	while (!TAILQ_EMPTY(&tpg->buf_wait)) {
		struct tcp_req *w = TAILQ_FIRST(&tpg->buf_wait);

		if (req_get_bufs(w, false) != 0)
			break;
		TAILQ_REMOVE(&tpg->buf_wait, w, link);
		req_start(w);
	}
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

static void conn_maybe_finish(struct tcp_conn *conn);

static void ctrl_sent(void *arg, int rc)
{
	struct tcp_conn *conn = arg;

	conn->ctrl_busy = false;
	conn->sends--;
	conn_maybe_finish(conn);
}

static int conn_send_ctrl(struct tcp_conn *conn)
{
	int n = nvme_tcp_pdu_build(&conn->ctrl_pdu, &conn->params, NULL, 0, 0, conn->ctrl_iov, 4);

	if (n < 0)
		return n;
	conn->ctrl_sreq.iov = conn->ctrl_iov;
	conn->ctrl_sreq.iovcnt = n;
	conn->ctrl_sreq.cb = ctrl_sent;
	conn->ctrl_sreq.cb_arg = conn;
	conn->ctrl_busy = true;
	conn->sends++;
	n = sio_sock_writev_async(conn->sock, &conn->ctrl_sreq);
	if (n != 0) {
		conn->ctrl_busy = false;
		conn->sends--;
	}
	return n;
}

/*
 * A send of @tr is done (or cancelled by the close). The request goes back
 * when nothing of it is on the wire and nobody else will finish it: its
 * response went out, or the connection is closing and the request is not
 * with the controller (waiting for H2C data that will never come).
 */
static void req_sent(void *arg, int rc)
{
	struct tcp_req *tr = arg;
	struct tcp_conn *conn = tr->conn;

	tr->sends--;
	conn->sends--;
	if (tr->sends == 0 && (tr->tstate == TCP_REQ_SEND ||
			       (conn->state == TCP_CONN_CLOSING && tr->tstate != TCP_REQ_EXEC)))
		req_release(tr);
	conn_maybe_finish(conn);
}

/* The controller completed @req: send its data and/or response. */
static void tcp_complete(struct nvmf_req *req)
{
	struct tcp_req *tr = (struct tcp_req *)req;
	struct tcp_conn *conn = tr->conn;
	bool data = req->xfer == SIO_NVME_DATA_CTRLR_TO_HOST && req->length > 0 &&
		    !sio_nvme_cpl_is_error(&req->rsp);
	/* SUCCESS stands in for the response only where the host needs no SQHD. */
	bool success = data && conn->qp.transport->opts.c2h_success && conn->qp.sq_flow_off;
	int n = 0, k;

	tr->tstate = TCP_REQ_SEND;
	SIO_TRACE(SIO_TP_NVMF_TCP_REQ_EXECUTED, conn, tr, req->rsp.status.raw, 0, 0);
	if (conn->state == TCP_CONN_CLOSING) {
		if (tr->sends == 0)
			req_release(tr);
		conn_maybe_finish(conn);
		return;
	}
	if (data) {
		nvme_tcp_pdu_c2h_data_init(&tr->data_pdu, req->cmd.cid, 0, true, success);
		k = nvme_tcp_pdu_build(&tr->data_pdu, &conn->params, req->iov, req->iovcnt,
				       req->length, tr->tx_iov, NVMF_REQ_MAX_IOV + 4);
		if (k < 0)
			goto fail;
		n = k;
	}
	if (!success) {
		nvme_tcp_pdu_capsule_resp_init(&tr->rsp_pdu, &req->rsp);
		k = nvme_tcp_pdu_build(&tr->rsp_pdu, &conn->params, NULL, 0, 0, tr->tx_iov + n,
				       (int)(sizeof(tr->tx_iov) / sizeof(tr->tx_iov[0])) - n);
		if (k < 0)
			goto fail;
		n += k;
	}
	tr->sreq.iov = tr->tx_iov;
	tr->sreq.iovcnt = n;
	tr->sreq.cb = req_sent;
	tr->sreq.cb_arg = tr;
	tr->sends++;
	conn->sends++;
	if (sio_sock_writev_async(conn->sock, &tr->sreq) != 0) {
		tr->sends--;
		conn->sends--;
		goto fail;
	}
	return;
fail:
	SIO_ERRLOG("nvmf tcp: cannot send a response to %s:%u", conn->peer, conn->pport);
	if (tr->sends == 0)
		req_release(tr);
	conn_close(conn, false);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

static struct tcp_req *req_get(struct tcp_conn *conn)
{
	struct tcp_req *tr = TAILQ_FIRST(&conn->free_reqs);

	if (tr == NULL)
		return NULL;
	TAILQ_REMOVE(&conn->free_reqs, tr, link);
	tr->failed = false;
	tr->h2c_off = 0;
	tr->nbufs = 0;
	tr->heap_mask = 0;
	tr->sends = 0;
	tr->req.iovcnt = 0;
	tr->req.length = 0;
	tr->req.state = NVMF_REQ_RECEIVING;
	conn->busy_reqs++;
	return tr;
}

static void req_release(struct tcp_req *tr)
{
	struct tcp_conn *conn = tr->conn;

	if (tr->tstate == TCP_REQ_FREE)
		return;
	if (tr->tstate == TCP_REQ_NEED_BUF)
		TAILQ_REMOVE(&conn->tpg->buf_wait, tr, link);
	if (tr->tstate == TCP_REQ_H2C)
		conn->h2c_reqs--;
	tr->tstate = TCP_REQ_FREE;
	tr->req.state = NVMF_REQ_FREE;
	SIO_TRACE(SIO_TP_NVMF_TCP_REQ_DONE, conn, tr, 0, 0, 0);
	req_put_bufs(tr);
	conn->busy_reqs--;
	if (conn->rx_req == tr)
		conn->rx_req = NULL;
	TAILQ_INSERT_TAIL(&conn->free_reqs, tr, link);
}

/* Fail @tr before it reached the controller (SGL problems, digest errors). */
static void req_fail_early(struct tcp_req *tr, uint8_t sct, uint8_t sc)
{
	if (tr->tstate == TCP_REQ_H2C)
		tr->conn->h2c_reqs--;
	tr->tstate = TCP_REQ_EXEC;
	tr->req.state = NVMF_REQ_EXECUTING;
	memset(&tr->req.rsp, 0, sizeof(tr->req.rsp));
	tr->req.qpair->outstanding++;
	nvmf_req_complete_status(&tr->req, sct, sc);
}

static void req_exec(struct tcp_req *tr)
{
	if (tr->tstate == TCP_REQ_H2C)
		tr->conn->h2c_reqs--;
	tr->tstate = TCP_REQ_EXEC;
	SIO_TRACE(SIO_TP_NVMF_TCP_REQ_EXEC, tr->conn, tr, tr->req.cmd.opc, 0, 0);
	nvmf_req_exec(&tr->req);
}

/* Buffers are there: send R2T for a write, or run the command. */
static void req_start(struct tcp_req *tr)
{
	struct tcp_conn *conn = tr->conn;
	int n;

	if (tr->req.xfer != SIO_NVME_DATA_HOST_TO_CTRLR) {
		req_exec(tr);
		return;
	}
	tr->tstate = TCP_REQ_H2C;
	conn->h2c_reqs++;
	SIO_TRACE(SIO_TP_NVMF_TCP_REQ_H2C, conn, tr, tr->req.length, 0, 0);
	nvme_tcp_pdu_r2t_init(&tr->data_pdu, tr->req.cmd.cid, tr->ttag, 0, tr->req.length);
	n = nvme_tcp_pdu_build(&tr->data_pdu, &conn->params, NULL, 0, 0, tr->r2t_iov, 4);
	if (n < 0) {
		req_fail_early(tr, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
		return;
	}
	tr->r2t_sreq.iov = tr->r2t_iov;
	tr->r2t_sreq.iovcnt = n;
	tr->r2t_sreq.cb = req_sent;
	tr->r2t_sreq.cb_arg = tr;
	tr->sends++;
	conn->sends++;
	if (sio_sock_writev_async(conn->sock, &tr->r2t_sreq) != 0) {
		tr->sends--;
		conn->sends--;
		req_fail_early(tr, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
	}
}

/* A complete CapsuleCmd (and in-capsule data) arrived in @tr. */
static void req_capsule(struct tcp_req *tr, uint32_t icd_len)
{
	struct tcp_conn *conn = tr->conn;
	struct nvmf_req *req = &tr->req;
	const struct sio_nvme_sgl_desc *sgl = &req->cmd.dptr.sgl1;
	uint32_t max_io = conn->qp.transport->opts.max_io_size;

	req->xfer = nvmf_req_xfer(&req->cmd);
	if (tr->failed) {
		req_fail_early(tr, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR);
		return;
	}
	if (req->xfer == SIO_NVME_DATA_NONE || (icd_len == 0 && sgl->unkeyed.length == 0)) {
		/* No data (an opcode whose direction bits allow data may carry none). */
		req->length = 0;
		req_exec(tr);
		return;
	}
	if (req->xfer == SIO_NVME_DATA_BIDIRECTIONAL) {
		req_fail_early(tr, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	if (sgl->unkeyed.id == SIO_NVME_SGL_ID_TCP_INCAPSULE) {
		if (req->xfer != SIO_NVME_DATA_HOST_TO_CTRLR || sgl->address != 0 ||
		    sgl->unkeyed.length != icd_len) {
			req_fail_early(tr, SIO_NVME_SCT_GENERIC,
				       sgl->address != 0 ? SIO_NVME_SC_INVALID_SGL_OFFSET :
				       SIO_NVME_SC_DATA_SGL_LENGTH_INVALID);
			return;
		}
		req_exec(tr);
		return;
	}
	if (icd_len != 0 || sgl->unkeyed.id != SIO_NVME_SGL_ID_TCP_TRANSPORT) {
		req_fail_early(tr, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
		return;
	}
	req->length = sgl->unkeyed.length;
	if (req->length > max_io) {
		req_fail_early(tr, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (req->length == 0) {
		req_exec(tr);
		return;
	}
	if (req_get_bufs(tr, false) != 0) {
		tr->tstate = TCP_REQ_NEED_BUF;
		TAILQ_INSERT_TAIL(&conn->tpg->buf_wait, tr, link);
		return;
	}
	req_start(tr);
}

/* ------------------------------------------------------------------------ */
/* Receiving                                                                */
/* ------------------------------------------------------------------------ */

static int rx_pdu_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		       int *iovcnt)
{
	struct tcp_conn *conn = ctx;
	struct tcp_req *tr;
	int n;

	if (pdu->type == NVME_TCP_PDU_CAPSULE_CMD) {
		tr = req_get(conn);
		if (tr == NULL) {
			/* More commands than the queue has entries: the host broke flow control. */
			nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
			return -EPROTO;
		}
		memcpy(&tr->req.cmd, pdu->cmd.sqe, sizeof(tr->req.cmd));
		SIO_TRACE(SIO_TP_NVMF_TCP_REQ_NEW, conn, tr, tr->req.cmd.opc, tr->req.cmd.cid,
			  tr->req.cmd.nsid);
		tr->req.length = pdu->data_len;
		tr->tstate = TCP_REQ_ICD;
		if (req_get_bufs(tr, true) != 0) {
			req_release(tr);
			return -ENOMEM;
		}
		conn->rx_req = tr;
		*iov = tr->req.iov;
		*iovcnt = tr->req.iovcnt;
		return 0;
	}
	if (pdu->type == NVME_TCP_PDU_H2C_DATA) {
		uint16_t tag = pdu->data.ttag;

		if (tag == conn->first_req.ttag) {
			tr = &conn->first_req;
		} else if (tag == 0 || tag > conn->num_reqs) {
			nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvme_tcp_h2c_data, ttag));
			return -EPROTO;
		} else {
			tr = &conn->reqs[tag - 1];
		}
		if (tr->tstate != TCP_REQ_H2C || tr->req.cmd.cid != pdu->data.cccid) {
			nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvme_tcp_h2c_data, cccid));
			return -EPROTO;
		}
		if (pdu->data.datao != tr->h2c_off ||
		    (uint64_t)pdu->data.datao + pdu->data.datal > tr->req.length) {
			nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0);
			return -EPROTO;
		}
		n = nvme_tcp_iov_slice(tr->rx_iov, NVMF_REQ_MAX_IOV + 1, tr->req.iov,
				       tr->req.iovcnt, pdu->data.datao, pdu->data.datal);
		if (n < 0) {
			nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0);
			return -EPROTO;
		}
		conn->rx_req = tr;
		*iov = tr->rx_iov;
		*iovcnt = n;
		return 0;
	}
	nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
	return -EPROTO;
}

static int rx_ic_req(struct tcp_conn *conn, const struct nvme_tcp_rx_pdu *pdu)
{
	const struct sio_nvmf_transport_opts *o = &conn->qp.transport->opts;
	uint32_t maxh2c = o->max_io_size;
	struct nvme_tcp_params p = {0};

	if (conn->state != TCP_CONN_IC_WAIT) {
		nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
		return -EPROTO;
	}
	/* A PDU came through TLS: the handshake is over; Connect must then
	 * name the host and subsystem its PSK identity names. */
	if (conn->tls == NULL && strcmp(sio_sock_get_impl_name(conn->sock), "ssl") == 0) {
		conn->tls = malloc(sizeof(*conn->tls));
		if (conn->tls == NULL || sio_sock_get_tls_info(conn->sock, conn->tls) != 0)
			return -EIO;
		conn->qp.tls_identity = conn->tls->psk_identity;
		SIO_NOTICELOG("nvmf tcp: TLS from %s:%u: %s, identity \"%s\", handshake %lu us%s",
			    conn->peer, conn->pport, conn->tls->cipher, conn->tls->psk_identity,
			    (unsigned long)conn->tls->handshake_us,
			    conn->tls->ktls_send ? ", kTLS" : "");
	}
	p.hdgst = pdu->ic.hdgst;
	p.ddgst = pdu->ic.ddgst;
	p.rx_pda = 0;             /* CPDA 0: H2C data may start anywhere dword aligned */
	p.tx_pda = pdu->ic.pda;
	p.max_h2c_data = maxh2c;
	/* Before Connect we cannot tell the admin queue from an I/O queue. */
	p.max_icd = o->in_capsule_data_size > TCP_ADMIN_ICD ? o->in_capsule_data_size :
							      TCP_ADMIN_ICD;
	conn->params = p;
	nvme_tcp_pdu_ic_resp_init(&conn->ctrl_pdu, 0, p.hdgst, p.ddgst, maxh2c);
	if (conn_send_ctrl(conn) != 0)
		return -EIO;
	conn->state = TCP_CONN_RUNNING;
	SIO_DEBUGLOG(NVMF_LOG, "tcp: ICReq from %s:%u hpda %u hdgst %d ddgst %d", conn->peer,
		     conn->pport, pdu->ic.pda, p.hdgst, p.ddgst);
	return nvme_tcp_rx_set_params(&conn->rx, &p);
}

static int rx_pdu_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct tcp_conn *conn = ctx;
	struct tcp_req *tr;

	SIO_TRACE(SIO_TP_NVMF_TCP_PDU_RX, conn, 0, pdu->type, pdu->data_len, 0);
	switch (pdu->type) {
	case NVME_TCP_PDU_IC_REQ:
		return rx_ic_req(conn, pdu);
	case NVME_TCP_PDU_CAPSULE_CMD:
		if (pdu->data_len > 0) {
			tr = conn->rx_req;
			conn->rx_req = NULL;
		} else {
			tr = req_get(conn);
			if (tr == NULL) {
				nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
				return -EPROTO;
			}
			memcpy(&tr->req.cmd, pdu->cmd.sqe, sizeof(tr->req.cmd));
			SIO_TRACE(SIO_TP_NVMF_TCP_REQ_NEW, conn, tr, tr->req.cmd.opc,
				  tr->req.cmd.cid, tr->req.cmd.nsid);
		}
		if (status == -EBADMSG)
			tr->failed = true;
		req_capsule(tr, pdu->data_len);
		return 0;
	case NVME_TCP_PDU_H2C_DATA:
		tr = conn->rx_req;
		conn->rx_req = NULL;
		if (pdu->data_len == 0 || tr == NULL) {
			/* No data, so pdu_data never matched it to a command: DATAL is wrong. */
			nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_INVALID_HEADER_FIELD,
					 offsetof(struct nvme_tcp_h2c_data, datal));
			return -EPROTO;
		}
		if (status == -EBADMSG)
			tr->failed = true;
		tr->h2c_off += pdu->data.datal;
		if (tr->h2c_off < tr->req.length)
			return 0;
		if (tr->failed)
			req_fail_early(tr, SIO_NVME_SCT_GENERIC,
				       SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR);
		else
			req_exec(tr);
		return 0;
	case NVME_TCP_PDU_H2C_TERM_REQ:
		SIO_NOTICELOG("nvmf tcp: %s:%u sent H2CTermReq (FES %u: %s)", conn->peer,
			      conn->pport, pdu->term.fes, nvme_tcp_fes_name(pdu->term.fes));
		return 0;
	default:
		nvme_tcp_rx_fail(&conn->rx, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0);
		return -EPROTO;
	}
}

static const struct nvme_tcp_rx_ops g_rx_ops = {
	.pdu_data = rx_pdu_data,
	.pdu_done = rx_pdu_done,
};

static void conn_readable(void *arg, struct sio_sock_group *group, struct sio_sock *sock)
{
	struct tcp_conn *conn = arg;

	for (int round = 0; round < TCP_RX_ROUNDS && conn->state != TCP_CONN_CLOSING; round++) {
		/* A whole H2CData's buffers, its digest and the staging buffer: one read. */
		struct iovec iov[NVMF_REQ_MAX_IOV + 3];
		uint32_t window = conn->h2c_reqs != 0 ? TCP_RX_WINDOW_H2C : TCP_RX_BUF;
		size_t want = 0;
		ssize_t r;
		int n, rc;

		/* Between reads the staging buffer holds nothing (headers are
		 * copied out as they are parsed): its size may change. */
		if (window != conn->rx_window) {
			conn->rx_window = window;
			(void)nvme_tcp_rx_set_buf(&conn->rx, conn->rxbuf, window, 0);
		}
		n = nvme_tcp_rx_iov(&conn->rx, iov, NVMF_REQ_MAX_IOV + 3);
		if (n <= 0) {
			conn_close(conn, true);
			return;
		}
		for (int i = 0; i < n; i++)
			want += iov[i].iov_len;
		r = sio_sock_readv(conn->sock, iov, n);
		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			if (r != SIO_SOCK_EOF)
				SIO_DEBUGLOG(NVMF_LOG, "tcp: %s:%u: read: %s", conn->peer,
					     conn->pport, strerror((int)-r));
			conn_close(conn, false);
			return;
		}
		rc = nvme_tcp_rx_advance(&conn->rx, (size_t)r);
		if (rc != 0) {
			struct nvme_tcp_rx_err e;

			nvme_tcp_rx_error(&conn->rx, &e);
			if (rc != -ECONNABORTED)
				SIO_NOTICELOG("nvmf tcp: %s:%u: protocol error (%s, FES %u FEI %u): "
					      "closing", conn->peer, conn->pport,
					      nvme_tcp_err_name(e.code), e.fes, e.fei);
			conn_close(conn, rc == -EPROTO);
			return;
		}
		/* Short: the socket had no more. Another read would only
		 * return -EAGAIN (a system call per PDU at queue depth 1);
		 * bytes that arrive from now on make the group report the
		 * socket again. */
		if ((size_t)r < want)
			return;
	}
}

/* ------------------------------------------------------------------------ */
/* Closing                                                                  */
/* ------------------------------------------------------------------------ */

static void conn_finish_msg(void *arg)
{
	struct tcp_conn *conn = arg;

	conn->finish_queued = false;
	if (conn->busy_reqs != 0 || conn->sends != 0)
		return;
	TAILQ_REMOVE(&conn->tpg->conns, conn, link);
	nvmf_qpair_fini(&conn->qp);
	free(conn->reqs);
	free(conn->rxbuf);
	free(conn->tls);
	free(conn);
}

static void conn_maybe_finish(struct tcp_conn *conn)
{
	if (conn->state != TCP_CONN_CLOSING || conn->busy_reqs != 0 || conn->sends != 0 ||
	    conn->finish_queued)
		return;
	/* By message: the caller may still be inside a callback that reads @conn. */
	conn->finish_queued = true;
	if (sio_thread_send_msg(sio_thread_get_current(), conn_finish_msg, conn) != 0)
		conn->finish_queued = false;
}

static void conn_close(struct tcp_conn *conn, bool term)
{
	if (conn->state == TCP_CONN_CLOSING)
		return;
	if (term && !conn->ctrl_busy &&
	    nvme_tcp_pdu_term_req_init_rx(&conn->ctrl_pdu, &conn->rx) == 0) {
		struct iovec iov[4];
		int n = nvme_tcp_pdu_build(&conn->ctrl_pdu, &conn->params, NULL, 0, 0, iov, 4);

		/* Best effort, after what is queued: the connection ends either way. */
		sio_sock_flush(conn->sock);
		if (n > 0)
			(void)sio_sock_writev(conn->sock, iov, n);
	} else {
		sio_sock_flush(conn->sock);
	}
	conn->state = TCP_CONN_CLOSING;
	nvmf_qpair_disconnecting(&conn->qp);
	/* Requests that wait on the host or on buffers will get nothing more. */
	for (uint32_t i = 0; i <= conn->num_reqs; i++) {
		struct tcp_req *tr = i < conn->num_reqs ? &conn->reqs[i] : &conn->first_req;

		/* Those with a send in flight go back from req_sent(). */
		if ((tr->tstate == TCP_REQ_H2C || tr->tstate == TCP_REQ_NEED_BUF ||
		     tr->tstate == TCP_REQ_ICD) && tr->sends == 0)
			req_release(tr);
	}
	/* Queued sends complete with -ECANCELED inside the close. */
	sio_sock_close(&conn->sock);
	conn_maybe_finish(conn);
}

static void tcp_qpair_disconnect(struct nvmf_qpair *qp)
{
	conn_close((struct tcp_conn *)qp, false);
}

static void tcp_get_addrs(struct nvmf_qpair *qp, char *local, size_t llen, uint16_t *lport,
			  char *peer, size_t plen, uint16_t *pport)
{
	struct tcp_conn *conn = (struct tcp_conn *)qp;

	snprintf(local, llen, "%s", conn->local);
	snprintf(peer, plen, "%s", conn->peer);
	*lport = conn->lport;
	*pport = conn->pport;
}

/* Connect succeeded: the queue has qp->sq_entries slots; size the request pool to it. */
static int tcp_connected(struct nvmf_qpair *qp)
{
	struct tcp_conn *conn = (struct tcp_conn *)qp;
	uint32_t n = qp->sq_entries;

	conn->reqs = calloc(n, sizeof(*conn->reqs));
	if (conn->reqs == NULL)
		return -ENOMEM;
	conn->num_reqs = n;
	/*
	 * The Connect itself is still in first_req (busy); it goes back to the
	 * free list when released and serves as one more slot.
	 */
	for (uint32_t i = 0; i < n; i++) {
		struct tcp_req *tr = &conn->reqs[i];

		tr->conn = conn;
		tr->req.qpair = qp;
		tr->ttag = (uint16_t)(i + 1);
		TAILQ_INSERT_TAIL(&conn->free_reqs, tr, link);
	}
	return 0;
}

static const struct nvmf_qpair_ops g_tcp_qpair_ops = {
	.complete = tcp_complete,
	.disconnect = tcp_qpair_disconnect,
	.get_addrs = tcp_get_addrs,
	.connected = tcp_connected,
};

const struct nvmf_transport_ops nvmf_tcp_ops = {
	.name = "TCP",
	.opts_init = tcp_opts_init,
	.create = tcp_create,
	.destroy = tcp_destroy,
	.listen = tcp_listen,
	.stop_listen = tcp_stop_listen,
	.pg_create = tcp_pg_create,
	.pg_destroy = tcp_pg_destroy,
	.pg_disconnect_all = tcp_pg_disconnect_all,
	.pg_dump_stats = tcp_pg_dump_stats,
};
