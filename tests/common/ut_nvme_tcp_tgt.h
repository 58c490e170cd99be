/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted NVMe/TCP target for the host driver's tests and fuzz harness:
 * a real loopback listener, the shared PDU codec in the target role, polled
 * on the caller's thread next to the host. It does the transport's part
 * (accept, receive, ICReq/ICResp, the data buffer, sending PDUs) and hands
 * every command capsule to the script, which answers with the helpers below
 * in whatever way (right or wrong) its test calls for. Written for
 * misbehaviours our own sio_tgt never shows; not a target to rely on.
 */
#ifndef SIO_TESTS_UT_NVME_TCP_TGT_H
#define SIO_TESTS_UT_NVME_TCP_TGT_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme/tcp/nvme_tcp.h"
#include "spdk_io/nvme_spec.h"
#include "spdk_io/sock.h"

/* Connections a target accepts in all (slots are not reused: each I/O channel
 * a host opens and closes again takes one). */
#define UT_NVME_TCP_TGT_MAX_CONNS 8
#define UT_NVME_TCP_TGT_DATA_SIZE 16384

struct ut_nvme_tcp_tgt;

/* One accepted connection (one queue pair of the host). */
struct ut_nvme_tcp_conn {
	struct ut_nvme_tcp_tgt *tgt;
	struct sio_sock *sock;      /* NULL once closed */
	struct nvme_tcp_rx rx;
	struct nvme_tcp_params params;
	/* In-capsule and H2C data land here; scripts build C2H data here. */
	uint8_t data[UT_NVME_TCP_TGT_DATA_SIZE] __attribute__((aligned(64)));
	struct iovec data_iov;
	int index;                  /* order of acceptance, from 0 */
	uint16_t qid;               /* set by the script's Connect handling */
	bool sq_flow_off;           /* responses carry SQHD 0xffff */
	bool mute;                  /* parse nothing, answer nothing: received bytes are dropped */
};

/* The script: what the target does beyond the transport's part. */
struct ut_nvme_tcp_tgt_ops {
	/* A CapsuleCmd; @icd_len bytes of in-capsule data are in @c->data. */
	void (*cmd)(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t icd_len);
	/* Optional: every other PDU the host sends (H2CData, H2CTermReq) but ICReq. */
	void (*pdu)(struct ut_nvme_tcp_conn *c, const struct nvme_tcp_rx_pdu *pdu);
	/* Optional: false keeps the ICResp back (the parameters are taken all the same). */
	bool (*may_answer)(struct ut_nvme_tcp_conn *c);
};

struct ut_nvme_tcp_tgt {
	struct sio_sock *listener;
	uint16_t port;
	const struct ut_nvme_tcp_tgt_ops *ops;
	uint64_t send_timeout_ms;   /* a send gives up after this (a host that stopped reading) */
	bool close_on_error;        /* a receive error closes the connection (else: mute) */
	bool closing;               /* accept nothing more */
	struct ut_nvme_tcp_conn conns[UT_NVME_TCP_TGT_MAX_CONNS];
	int nconns;
};

/*
 * ut_nvme_tcp_tgt_listen() - Listen on 127.0.0.1, an ephemeral port (@t->port).
 * @t: zeroed by this call; @ops kept; send timeout 1 s, errors mute.
 * Context: the thread that will poll it.
 * Return: 0, or sio_sock_listen()'s / sio_sock_getaddr()'s negative errno.
 */
int ut_nvme_tcp_tgt_listen(struct ut_nvme_tcp_tgt *t, const struct ut_nvme_tcp_tgt_ops *ops);

/* ut_nvme_tcp_tgt_close() - Close every connection and the listener. */
void ut_nvme_tcp_tgt_close(struct ut_nvme_tcp_tgt *t);

/* ut_nvme_tcp_tgt_close_conns() - Close every connection (the listener stays). */
void ut_nvme_tcp_tgt_close_conns(struct ut_nvme_tcp_tgt *t);

/* ut_nvme_tcp_tgt_reset() - Close and forget every connection; accept again. */
void ut_nvme_tcp_tgt_reset(struct ut_nvme_tcp_tgt *t);

/*
 * ut_nvme_tcp_tgt_poll() - Accept new connections (up to the maximum, unless
 * @t->closing) and read up to 16 chunks from each; the script's callbacks run
 * from here. A connection the host closed is closed.
 */
void ut_nvme_tcp_tgt_poll(struct ut_nvme_tcp_tgt *t);

/* ut_nvme_tcp_tgt_send() - Write @iov (raw bytes) until done, an error or the send timeout. */
void ut_nvme_tcp_tgt_send(struct ut_nvme_tcp_conn *c, struct iovec *iov, int iovcnt);

/* ut_nvme_tcp_tgt_send_pdu() - Build @pdu with @len bytes of @data (digests as agreed) and send it. */
void ut_nvme_tcp_tgt_send_pdu(struct ut_nvme_tcp_conn *c, struct nvme_tcp_pdu *pdu, void *data,
			      uint32_t len);

/*
 * ut_nvme_tcp_tgt_resp() - CapsuleResp for @cid with @cdw0/@dw1 and status
 * @sct/@sc (DNR set on an error), SQ ID the connection's qid, SQHD 0xffff
 * where flow control is off, else 0.
 */
void ut_nvme_tcp_tgt_resp(struct ut_nvme_tcp_conn *c, uint16_t cid, uint32_t cdw0, uint32_t dw1,
			  uint8_t sct, uint8_t sc);

/* ut_nvme_tcp_tgt_ok() - ut_nvme_tcp_tgt_resp() with a successful status. */
void ut_nvme_tcp_tgt_ok(struct ut_nvme_tcp_conn *c, uint16_t cid, uint32_t cdw0, uint32_t dw1);

/* ut_nvme_tcp_tgt_c2h() - One last C2HData for @cid: @len bytes of @c->data, SUCCESS flag @success. */
void ut_nvme_tcp_tgt_c2h(struct ut_nvme_tcp_conn *c, uint16_t cid, uint32_t len, bool success);

/*
 * ut_nvme_tcp_tgt_fabrics() - Answer a Fabrics command the plain way: Connect
 * takes its queue ID and gets controller ID 1; Property Get of CAP (MQES 127,
 * TO 1), CSTS (RDY) and VS (1.3), 0 for any other property; success for
 * every other command (Property Set, ...).
 */
void ut_nvme_tcp_tgt_fabrics(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd);

/*
 * ut_nvme_tcp_tgt_identify() - Zero @len bytes of @buf and, for an Identify
 * of at least 4 KiB, build what gets a host to ready: a controller with one
 * namespace, MDTS 3, 4 KiB of in-capsule data and @subnqn; the active list
 * {1}; namespace 1 of @nblocks 512-byte blocks. Anything else stays zero.
 * Return: the controller data when it built one (for the script to add to), else NULL.
 */
struct sio_nvme_ctrlr_data *ut_nvme_tcp_tgt_identify(const struct sio_nvme_cmd *cmd, uint8_t *buf,
						     uint32_t len, const char *subnqn,
						     uint64_t nblocks);

/*
 * ut_nvme_tcp_tgt_identify_ns() - ut_nvme_tcp_tgt_identify() with namespaces
 * 1..@nn (all active, each of @nblocks 512-byte blocks) and, when @csi is not
 * NULL, a Namespace Identification Descriptor list (CNS 03h) holding one CSI
 * descriptor (NIDT 04h) of value @csi[nsid - 1], or an empty list where that
 * is negative (no @csi: every list empty).
 * Return: as ut_nvme_tcp_tgt_identify().
 */
struct sio_nvme_ctrlr_data *ut_nvme_tcp_tgt_identify_ns(const struct sio_nvme_cmd *cmd,
							uint8_t *buf, uint32_t len,
							const char *subnqn, uint64_t nblocks,
							uint32_t nn, const int *csi);

#endif
