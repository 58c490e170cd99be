/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the NVMe/TCP codec tests share (header-only, static functions):
 * a description of one PDU (struct tpdu) and its encoding through the real
 * send path, a receiving owner (struct towner) that places data into iovecs
 * of odd shapes and records every PDU it is handed, the drivers that feed a
 * byte stream into the receive machine in different segmentations, and the
 * check that what arrived is what was sent.
 */
#ifndef TEST_NVME_TCP_UTIL_H
#define TEST_NVME_TCP_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/tcp/nvme_tcp.h"

/* One PDU to send; which fields matter depends on @type. */
struct tpdu {
	uint8_t type;
	uint16_t cccid, ttag;
	uint32_t off, len;      /* DATAO / R2TO, R2TL */
	bool last, success;
	uint32_t data_len;      /* CapsuleCmd in-capsule data, H2CData/C2HData data */
	uint8_t seed;           /* data pattern */
	uint16_t fes;           /* TermReq */
	uint32_t fei;
	uint32_t quote_len;     /* TermReq quoted header bytes */
	uint8_t pda, dgst;      /* ICReq/ICResp */
	uint32_t limit;         /* ICReq MAXR2T / ICResp MAXH2CDATA */
};

static inline uint8_t tpdu_byte(const struct tpdu *p, size_t i)
{
	return (uint8_t)(p->seed * 31u + i * 7u + (i >> 8));
}

static inline void tpdu_sqe(const struct tpdu *p, struct sio_nvme_cmd *sqe)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opc = (uint8_t)(p->data_len ? 0x01 : 0x02);
	sqe->cid = p->cccid;
	sqe->nsid = 1;
	sqe->cdw10 = 0x11223344u ^ p->seed;
	sqe->cdw12 = p->data_len ? (p->data_len + 511) / 512 - 1 : 7;
}

static inline void tpdu_cqe(const struct tpdu *p, struct sio_nvme_cpl *cqe)
{
	memset(cqe, 0, sizeof(*cqe));
	cqe->cdw0 = 0xa5a5a5a5u ^ p->seed;
	cqe->sqhd = 3;
	cqe->sqid = 1;
	cqe->cid = p->cccid;
}

/* A PDU being sent: its header, data and the iovecs for one writev. */
struct tpdu_tx {
	struct nvme_tcp_pdu pdu;
	uint8_t *buf;           /* the data, behind data[] */
	struct iovec data[4];
	struct iovec iov[16];
	int n;                  /* entries of iov */
	size_t len;             /* bytes of iov (PLEN) */
};

static inline void tpdu_tx_free(struct tpdu_tx *x)
{
	free(x->buf);
	x->buf = NULL;
}

/*
 * Build @p through nvme_tcp_pdu_*_init() and nvme_tcp_pdu_build(), its data
 * split over iovecs of a few shapes (an empty one among them).
 * Return: 0, or a negative errno from build.
 */
static inline int tpdu_tx_build(struct tpdu_tx *x, const struct tpdu *p,
				const struct nvme_tcp_params *params)
{
	struct nvme_tcp_pdu *pdu = &x->pdu;
	struct sio_nvme_cmd sqe;
	struct sio_nvme_cpl cqe;
	uint8_t quote[NVME_TCP_TERM_REQ_DATA_MAX];
	int nd = 0;

	x->buf = NULL;
	if (p->data_len) {
		size_t a, b;

		x->buf = malloc(p->data_len);
		if (x->buf == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < p->data_len; i++)
			x->buf[i] = tpdu_byte(p, i);
		/* three pieces (and an empty one), cut at points the seed picks */
		a = p->data_len > 2 ? 1 + p->seed % (p->data_len - 1) : p->data_len;
		b = a < p->data_len ? a + (p->data_len - a) / 2 : a;
		x->data[nd].iov_base = x->buf;
		x->data[nd++].iov_len = a;
		x->data[nd].iov_base = x->buf + a;
		x->data[nd++].iov_len = 0;
		x->data[nd].iov_base = x->buf + a;
		x->data[nd++].iov_len = b - a;
		x->data[nd].iov_base = x->buf + b;
		x->data[nd++].iov_len = p->data_len - b;
	}
	switch (p->type) {
	case NVME_TCP_PDU_IC_REQ:
		nvme_tcp_pdu_ic_req_init(pdu, p->pda, p->dgst & 1, p->dgst & 2, p->limit);
		break;
	case NVME_TCP_PDU_IC_RESP:
		nvme_tcp_pdu_ic_resp_init(pdu, p->pda, p->dgst & 1, p->dgst & 2, p->limit);
		break;
	case NVME_TCP_PDU_H2C_TERM_REQ:
	case NVME_TCP_PDU_C2H_TERM_REQ:
		for (size_t i = 0; i < sizeof(quote); i++)
			quote[i] = tpdu_byte(p, i);
		nvme_tcp_pdu_term_req_init(pdu, p->type == NVME_TCP_PDU_H2C_TERM_REQ ?
					   NVME_TCP_ROLE_HOST : NVME_TCP_ROLE_TARGET,
					   p->fes, p->fei, quote, p->quote_len);
		break;
	case NVME_TCP_PDU_CAPSULE_CMD:
		tpdu_sqe(p, &sqe);
		nvme_tcp_pdu_capsule_cmd_init(pdu, &sqe);
		break;
	case NVME_TCP_PDU_CAPSULE_RESP:
		tpdu_cqe(p, &cqe);
		nvme_tcp_pdu_capsule_resp_init(pdu, &cqe);
		break;
	case NVME_TCP_PDU_H2C_DATA:
		nvme_tcp_pdu_h2c_data_init(pdu, p->cccid, p->ttag, p->off, p->last);
		break;
	case NVME_TCP_PDU_C2H_DATA:
		nvme_tcp_pdu_c2h_data_init(pdu, p->cccid, p->off, p->last, p->success);
		break;
	case NVME_TCP_PDU_R2T:
		nvme_tcp_pdu_r2t_init(pdu, p->cccid, p->ttag, p->off, p->len);
		break;
	default:
		tpdu_tx_free(x);
		return -EINVAL;
	}
	x->n = nvme_tcp_pdu_build(pdu, params, nd ? x->data : NULL, nd, p->data_len, x->iov, 16);
	if (x->n < 0) {
		int rc = x->n;

		tpdu_tx_free(x);
		return rc;
	}
	x->len = 0;
	for (int i = 0; i < x->n; i++)
		x->len += x->iov[i].iov_len;
	if (x->len != nvme_tcp_pdu_plen(pdu)) {
		tpdu_tx_free(x);
		return -EIO;
	}
	return 0;
}

/*
 * Encode @p and append its bytes to @out.
 * Return: bytes appended, or a negative errno from build.
 */
static inline long tpdu_encode(const struct tpdu *p, const struct nvme_tcp_params *params,
			       uint8_t *out, size_t room)
{
	struct tpdu_tx x;
	size_t len = 0;
	int rc = tpdu_tx_build(&x, p, params);

	if (rc < 0)
		return rc;
	if (x.len > room) {
		tpdu_tx_free(&x);
		return -ENOSPC;
	}
	for (int i = 0; i < x.n; i++) {
		memcpy(out + len, x.iov[i].iov_base, x.iov[i].iov_len);
		len += x.iov[i].iov_len;
	}
	tpdu_tx_free(&x);
	return (long)len;
}

/* ------------------------------------------------------------------------ */
/* The receiving owner                                                       */
/* ------------------------------------------------------------------------ */

#define TOWNER_MAX 256

struct tgot {
	struct nvme_tcp_rx_pdu pdu;       /* copy; its pointers are not to be used */
	uint8_t hdr[NVME_TCP_RX_HDR_BUF]; /* HLEN (+ digest) bytes as received */
	struct sio_nvme_cmd sqe;
	struct sio_nvme_cpl cqe;
	uint8_t term[NVME_TCP_TERM_REQ_DATA_MAX];
	uint8_t *data;                    /* data_len + slack bytes, behind iovecs */
	struct iovec iov[24];
	int iovcnt;
	int status;
	bool done;
};

struct towner {
	struct nvme_tcp_rx rx;
	struct tgot got[TOWNER_MAX];
	int n;
	unsigned shape_seed;              /* picks iovec shapes */
	/* after the IC PDU, apply these parameters */
	struct nvme_tcp_params params;
	/* test hooks */
	int refuse_at;                    /* PDU index to refuse (-1: none) */
	bool refuse_in_data;              /* ... in pdu_data rather than pdu_done */
	int refuse_errno;                 /* return this ... */
	uint16_t refuse_fes;              /* ... after nvme_tcp_rx_fail() if non-zero */
	uint32_t refuse_fei;
	bool short_iov;                   /* offer one byte fewer than the data */
};

static inline unsigned towner_rand(struct towner *o)
{
	o->shape_seed = o->shape_seed * 1103515245u + 12345u;
	return (o->shape_seed >> 16) & 0x7fff;
}

static inline int towner_refuse(struct towner *o)
{
	if (o->refuse_fes)
		nvme_tcp_rx_fail(&o->rx, o->refuse_fes, o->refuse_fei);
	return o->refuse_errno;
}

static inline int towner_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu,
			      const struct iovec **iov, int *iovcnt)
{
	struct towner *o = ctx;
	struct tgot *g;
	size_t left, slack, pos = 0;

	if (o->n >= TOWNER_MAX)
		return -ENOSPC;
	if (o->refuse_at == o->n && o->refuse_in_data)
		return towner_refuse(o);
	g = &o->got[o->n];
	slack = towner_rand(o) % 9;
	g->data = malloc(pdu->data_len + slack + 1);
	if (g->data == NULL)
		return -ENOMEM;
	memset(g->data, 0xee, pdu->data_len + slack + 1);
	left = pdu->data_len + slack - (o->short_iov ? slack + 1 : 0);
	/* odd shapes: empty entries, single bytes, random lengths, the rest at the end */
	g->iovcnt = 0;
	while (left > 0 && g->iovcnt < 23) {
		unsigned r = towner_rand(o);
		size_t k = r % 4 == 0 ? 0 : r % 4 == 1 ? 1 : 1 + r % 1500;

		if (k > left || g->iovcnt == 22)
			k = left;
		g->iov[g->iovcnt].iov_base = g->data + pos;
		g->iov[g->iovcnt++].iov_len = k;
		pos += k;
		left -= k;
	}
	*iov = g->iov;
	*iovcnt = g->iovcnt;
	return 0;
}

static inline int towner_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct towner *o = ctx;
	struct tgot *g;

	if (o->n >= TOWNER_MAX)
		return -ENOSPC;
	if (o->refuse_at == o->n && !o->refuse_in_data)
		return towner_refuse(o);
	g = &o->got[o->n++];
	g->pdu = *pdu;
	memcpy(g->hdr, pdu->raw, pdu->hlen + ((pdu->flags & NVME_TCP_F_HDGSTF) ? 4 : 0));
	if (pdu->type == NVME_TCP_PDU_CAPSULE_CMD)
		g->sqe = *pdu->cmd.sqe;
	if (pdu->type == NVME_TCP_PDU_CAPSULE_RESP)
		g->cqe = *pdu->resp.cqe;
	if (pdu->type == NVME_TCP_PDU_H2C_TERM_REQ || pdu->type == NVME_TCP_PDU_C2H_TERM_REQ)
		memcpy(g->term, pdu->term.data, pdu->term.data_len);
	g->status = status;
	g->done = true;
	if (pdu->type == NVME_TCP_PDU_IC_REQ || pdu->type == NVME_TCP_PDU_IC_RESP)
		return nvme_tcp_rx_set_params(&o->rx, &o->params);
	return 0;
}

static const struct nvme_tcp_rx_ops g_towner_ops = {
	.pdu_data = towner_data,
	.pdu_done = towner_done,
};

static inline void towner_init(struct towner *o, enum nvme_tcp_role role,
			       const struct nvme_tcp_params *params, unsigned seed)
{
	memset(o, 0, sizeof(*o));
	o->shape_seed = seed;
	o->refuse_at = -1;
	if (params)
		o->params = *params;
	nvme_tcp_rx_init(&o->rx, role, &g_towner_ops, o);
}

static inline void towner_fini(struct towner *o)
{
	for (int i = 0; i < TOWNER_MAX; i++) {
		free(o->got[i].data);
		o->got[i].data = NULL;
	}
}

/* Whether got[i] is what @p described; prints the first difference. */
static inline bool towner_check(const struct towner *o, int i, const struct tpdu *p)
{
	const struct tgot *g = &o->got[i];
	const struct nvme_tcp_rx_pdu *r = &g->pdu;

#define TCHECK(c)                                                                         \
	do {                                                                              \
		if (!(c)) {                                                               \
			fprintf(stderr, "PDU %d (%s): %s\n", i, nvme_tcp_pdu_type_name(p->type), #c); \
			return false;                                                     \
		}                                                                         \
	} while (0)
	TCHECK(g->done);
	TCHECK(r->type == p->type);
	TCHECK(g->status == 0);
	TCHECK(r->data_len == p->data_len);
	switch (p->type) {
	case NVME_TCP_PDU_IC_REQ:
	case NVME_TCP_PDU_IC_RESP:
		TCHECK(r->ic.pfv == 0 && r->ic.pda == p->pda);
		TCHECK(r->ic.hdgst == !!(p->dgst & 1) && r->ic.ddgst == !!(p->dgst & 2));
		TCHECK((p->type == NVME_TCP_PDU_IC_REQ ? r->ic.maxr2t : r->ic.maxh2cdata) == p->limit);
		break;
	case NVME_TCP_PDU_H2C_TERM_REQ:
	case NVME_TCP_PDU_C2H_TERM_REQ:
		TCHECK(r->term.fes == p->fes && r->term.fei == p->fei);
		TCHECK(r->term.data_len == (p->quote_len > 128 ? 128 : p->quote_len));
		for (uint32_t k = 0; k < r->term.data_len; k++)
			TCHECK(g->term[k] == tpdu_byte(p, k));
		break;
	case NVME_TCP_PDU_CAPSULE_CMD: {
		struct sio_nvme_cmd sqe;

		tpdu_sqe(p, &sqe);
		TCHECK(memcmp(&sqe, &g->sqe, sizeof(sqe)) == 0);
		break;
	}
	case NVME_TCP_PDU_CAPSULE_RESP: {
		struct sio_nvme_cpl cqe;

		tpdu_cqe(p, &cqe);
		TCHECK(memcmp(&cqe, &g->cqe, sizeof(cqe)) == 0);
		break;
	}
	case NVME_TCP_PDU_H2C_DATA:
	case NVME_TCP_PDU_C2H_DATA:
		TCHECK(r->data.cccid == p->cccid && r->data.datao == p->off);
		TCHECK(r->data.datal == p->data_len && r->data.last == p->last);
		TCHECK(r->data.success == (p->last && p->success));
		TCHECK(p->type == NVME_TCP_PDU_C2H_DATA || r->data.ttag == p->ttag);
		break;
	case NVME_TCP_PDU_R2T:
		TCHECK(r->r2t.cccid == p->cccid && r->r2t.ttag == p->ttag);
		TCHECK(r->r2t.r2to == p->off && r->r2t.r2tl == p->len);
		break;
	}
	if (p->data_len) {
		TCHECK(g->data != NULL);
		for (uint32_t k = 0; k < p->data_len; k++)
			TCHECK(g->data[k] == tpdu_byte(p, k));
		/* not one byte past the data */
		TCHECK(g->data[p->data_len] == 0xee);
	}
#undef TCHECK
	return true;
}

/* ------------------------------------------------------------------------ */
/* Drivers                                                                   */
/* ------------------------------------------------------------------------ */

static inline unsigned trand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/* Feed @len bytes in pieces of 1..@max_piece (1: byte by byte). */
static inline int tfeed_pieces(struct nvme_tcp_rx *rx, const uint8_t *s, size_t len,
			       size_t max_piece, unsigned *seed)
{
	size_t pos = 0;

	while (pos < len) {
		size_t k = max_piece <= 1 ? 1 : 1 + trand(seed) % max_piece;
		int rc;

		if (k > len - pos)
			k = len - pos;
		rc = nvme_tcp_rx_feed(rx, s + pos, k);
		if (rc < 0)
			return rc;
		pos += k;
	}
	return 0;
}

/*
 * Play a socket: ask nvme_tcp_rx_iov() where the bytes go, copy up to
 * 1..@max_read of the stream into those regions as readv() would, report
 * with nvme_tcp_rx_advance().
 */
static inline int tfeed_iov(struct nvme_tcp_rx *rx, const uint8_t *s, size_t len,
			    size_t max_read, int max_iov, unsigned *seed)
{
	size_t pos = 0;

	while (pos < len) {
		struct iovec iov[32];
		size_t want = max_read <= 1 ? 1 : 1 + trand(seed) % max_read, got = 0;
		int n = nvme_tcp_rx_iov(rx, iov, max_iov);

		if (n <= 0) {
			struct nvme_tcp_rx_err e;

			return nvme_tcp_rx_error(rx, &e) < 0 ? e.err : -EIO;
		}
		for (int i = 0; i < n && got < want && pos + got < len; i++) {
			size_t k = iov[i].iov_len;

			if (k > want - got)
				k = want - got;
			if (k > len - pos - got)
				k = len - pos - got;
			memcpy(iov[i].iov_base, s + pos + got, k);
			got += k;
		}
		pos += got;
		n = nvme_tcp_rx_advance(rx, got);
		if (n < 0)
			return n;
	}
	return 0;
}

#endif
