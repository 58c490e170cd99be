/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP send side (nvme_tcp.h): header fillers, and the layout of a PDU
 * as one iovec array (header + header digest, zero padding up to PDO, the
 * caller's data, data digest) for a single writev. Nothing is copied but
 * the header, nothing is allocated. Also the iovec helpers and the names.
 */
#include <errno.h>
#include <string.h>

#include "nvme/tcp/nvme_tcp.h"

/* How a PDU type is laid out when sent. */
enum tx_data {
	TX_DATA_NONE,  /* no data, no data digest */
	TX_DATA_OPT,   /* CapsuleCmd: in-capsule data optional */
	TX_DATA_REQ,   /* H2CData, C2HData */
};

struct tx_type {
	uint8_t hlen;     /* 0: not a PDU type */
	uint8_t data;     /* enum tx_data */
	bool digests;     /* carries the negotiated digests (all but IC and TermReq) */
};

static const struct tx_type g_tx_types[NVME_TCP_PDU_TYPE_COUNT] = {
	[NVME_TCP_PDU_IC_REQ] = { 128, TX_DATA_NONE, false },
	[NVME_TCP_PDU_IC_RESP] = { 128, TX_DATA_NONE, false },
	[NVME_TCP_PDU_H2C_TERM_REQ] = { 24, TX_DATA_NONE, false },
	[NVME_TCP_PDU_C2H_TERM_REQ] = { 24, TX_DATA_NONE, false },
	[NVME_TCP_PDU_CAPSULE_CMD] = { 72, TX_DATA_OPT, true },
	[NVME_TCP_PDU_CAPSULE_RESP] = { 24, TX_DATA_NONE, true },
	[NVME_TCP_PDU_H2C_DATA] = { 24, TX_DATA_REQ, true },
	[NVME_TCP_PDU_C2H_DATA] = { 24, TX_DATA_REQ, true },
	[NVME_TCP_PDU_R2T] = { 24, TX_DATA_NONE, true },
};

/* Padding source: PDO is at most 255, so the pad is shorter than this. */
static const uint8_t g_zero_pad[256];

static void pdu_start(struct nvme_tcp_pdu *pdu, uint8_t type)
{
	memset(pdu, 0, sizeof(*pdu));
	pdu->hdr.ch.pdu_type = type;
	pdu->hdr.ch.hlen = g_tx_types[type].hlen;
}

static void ic_init(struct nvme_tcp_pdu *pdu, uint8_t type, uint8_t pda, bool hdgst, bool ddgst,
		    uint32_t limit)
{
	pdu_start(pdu, type);
	nvme_tcp_put_le16(pdu->hdr.raw + 8, NVME_TCP_PFV_1_0);
	pdu->hdr.raw[10] = pda;
	pdu->hdr.raw[11] = (uint8_t)((hdgst ? NVME_TCP_DGST_HDGST_ENABLE : 0) |
				     (ddgst ? NVME_TCP_DGST_DDGST_ENABLE : 0));
	nvme_tcp_put_le32(pdu->hdr.raw + 12, limit);
}

void nvme_tcp_pdu_ic_req_init(struct nvme_tcp_pdu *pdu, uint8_t hpda, bool hdgst, bool ddgst,
			      uint32_t maxr2t)
{
	ic_init(pdu, NVME_TCP_PDU_IC_REQ, hpda, hdgst, ddgst, maxr2t);
}

void nvme_tcp_pdu_ic_resp_init(struct nvme_tcp_pdu *pdu, uint8_t cpda, bool hdgst, bool ddgst,
			       uint32_t maxh2cdata)
{
	ic_init(pdu, NVME_TCP_PDU_IC_RESP, cpda, hdgst, ddgst, maxh2cdata);
}

void nvme_tcp_pdu_capsule_cmd_init(struct nvme_tcp_pdu *pdu, const struct sio_nvme_cmd *sqe)
{
	pdu_start(pdu, NVME_TCP_PDU_CAPSULE_CMD);
	memcpy(&pdu->hdr.capsule_cmd.ccsqe, sqe, sizeof(*sqe));
}

void nvme_tcp_pdu_capsule_resp_init(struct nvme_tcp_pdu *pdu, const struct sio_nvme_cpl *cqe)
{
	pdu_start(pdu, NVME_TCP_PDU_CAPSULE_RESP);
	memcpy(&pdu->hdr.capsule_resp.rccqe, cqe, sizeof(*cqe));
}

/* H2CData, C2HData and R2T share the layout of bytes 8..19. */
static void xfer_init(struct nvme_tcp_pdu *pdu, uint8_t type, uint8_t flags, uint16_t cccid,
		      uint16_t ttag, uint32_t off, uint32_t len)
{
	pdu_start(pdu, type);
	pdu->hdr.ch.flags = flags;
	nvme_tcp_put_le16(pdu->hdr.raw + 8, cccid);
	nvme_tcp_put_le16(pdu->hdr.raw + 10, ttag);
	nvme_tcp_put_le32(pdu->hdr.raw + 12, off);
	nvme_tcp_put_le32(pdu->hdr.raw + 16, len);
}

void nvme_tcp_pdu_h2c_data_init(struct nvme_tcp_pdu *pdu, uint16_t cccid, uint16_t ttag,
				uint32_t datao, bool last)
{
	xfer_init(pdu, NVME_TCP_PDU_H2C_DATA, last ? NVME_TCP_F_LAST_PDU : 0, cccid, ttag, datao, 0);
}

void nvme_tcp_pdu_c2h_data_init(struct nvme_tcp_pdu *pdu, uint16_t cccid, uint32_t datao,
				bool last, bool success)
{
	uint8_t flags = last ? NVME_TCP_F_LAST_PDU : 0;

	if (last && success)
		flags |= NVME_TCP_F_SUCCESS;
	xfer_init(pdu, NVME_TCP_PDU_C2H_DATA, flags, cccid, 0, datao, 0);
}

void nvme_tcp_pdu_r2t_init(struct nvme_tcp_pdu *pdu, uint16_t cccid, uint16_t ttag,
			   uint32_t r2to, uint32_t r2tl)
{
	xfer_init(pdu, NVME_TCP_PDU_R2T, 0, cccid, ttag, r2to, r2tl);
}

void nvme_tcp_pdu_term_req_init(struct nvme_tcp_pdu *pdu, enum nvme_tcp_role role, uint16_t fes,
				uint32_t fei, const void *hdr, size_t hdr_len)
{
	pdu_start(pdu, role == NVME_TCP_ROLE_HOST ? NVME_TCP_PDU_H2C_TERM_REQ :
						    NVME_TCP_PDU_C2H_TERM_REQ);
	nvme_tcp_put_le16(pdu->hdr.raw + 8, fes);
	nvme_tcp_put_le32(pdu->hdr.raw + 10, fei);
	if (hdr == NULL)
		hdr_len = 0;
	if (hdr_len > NVME_TCP_TERM_REQ_DATA_MAX)
		hdr_len = NVME_TCP_TERM_REQ_DATA_MAX;
	if (hdr_len > 0)
		memcpy(pdu->hdr.raw + 24, hdr, hdr_len);
	pdu->term_data_len = (uint32_t)hdr_len;
}

int nvme_tcp_pdu_term_req_init_rx(struct nvme_tcp_pdu *pdu, const struct nvme_tcp_rx *rx)
{
	struct nvme_tcp_rx_err e;

	if (nvme_tcp_rx_error(rx, &e) == 0)
		return -EAGAIN;
	if (e.fes == 0)
		return -ENOENT;
	nvme_tcp_pdu_term_req_init(pdu, rx->role, e.fes, e.fei, e.hdr, e.hdr_len);
	return 0;
}

int nvme_tcp_pdu_build(struct nvme_tcp_pdu *pdu, const struct nvme_tcp_params *params,
		       const struct iovec *data, int data_iovcnt, uint32_t data_len,
		       struct iovec *out, int out_max)
{
	static const struct nvme_tcp_params none;
	uint8_t type = pdu->hdr.ch.pdu_type;
	const struct tx_type *t;
	uint32_t hlen, hd, dd, pdo, align;
	uint64_t plen;
	uint8_t flags;
	int n = 0, rc;

	if (type >= NVME_TCP_PDU_TYPE_COUNT || g_tx_types[type].hlen == 0)
		return -EINVAL;
	t = &g_tx_types[type];
	if (params == NULL || !t->digests)
		params = &none;
	if ((t->data == TX_DATA_NONE && data_len != 0) || (t->data == TX_DATA_REQ && data_len == 0))
		return -EINVAL;
	if (params->tx_pda > NVME_TCP_PDA_MAX || out_max < 1)
		return out_max < 1 ? -ENOSPC : -EINVAL;

	hlen = t->hlen;
	if (type == NVME_TCP_PDU_H2C_TERM_REQ || type == NVME_TCP_PDU_C2H_TERM_REQ) {
		pdu->hdr.ch.flags = 0;
		pdu->hdr.ch.hlen = (uint8_t)hlen;
		pdu->hdr.ch.pdo = 0;
		nvme_tcp_put_le32(&pdu->hdr.ch.plen, hlen + pdu->term_data_len);
		out[0].iov_base = pdu->hdr.raw;
		out[0].iov_len = hlen + pdu->term_data_len;
		return 1;
	}

	hd = params->hdgst ? NVME_TCP_DIGEST_LEN : 0;
	dd = params->ddgst && data_len != 0 ? NVME_TCP_DIGEST_LEN : 0;
	flags = pdu->hdr.ch.flags & (NVME_TCP_F_LAST_PDU | NVME_TCP_F_SUCCESS);
	flags |= (hd ? NVME_TCP_F_HDGSTF : 0) | (dd ? NVME_TCP_F_DDGSTF : 0);
	if (data_len != 0) {
		/* The smallest offset past header and digest at the peer's alignment (<= 128). */
		align = (params->tx_pda + 1u) * 4u;
		pdo = (hlen + hd + align - 1) / align * align;
	} else {
		pdo = 0;
	}
	plen = (data_len != 0 ? pdo : hlen + hd) + (uint64_t)data_len + dd;
	if (plen > UINT32_MAX)
		return -EINVAL;

	/* Lay out first: a failure leaves nothing half-built in @out's caller. */
	out[n].iov_base = pdu->hdr.raw;
	out[n++].iov_len = hlen + hd;
	if (data_len != 0) {
		if (pdo > hlen + hd) {
			if (n == out_max)
				return -ENOSPC;
			out[n].iov_base = (void *)(uintptr_t)g_zero_pad;
			out[n++].iov_len = pdo - hlen - hd;
		}
		rc = nvme_tcp_iov_slice(out + n, out_max - n, data, data_iovcnt, 0, data_len);
		if (rc < 0)
			return rc;
		n += rc;
		if (dd) {
			if (n == out_max)
				return -ENOSPC;
			out[n].iov_base = pdu->ddgst;
			out[n++].iov_len = NVME_TCP_DIGEST_LEN;
		}
	}

	pdu->hdr.ch.flags = flags;
	pdu->hdr.ch.hlen = (uint8_t)hlen;
	pdu->hdr.ch.pdo = (uint8_t)pdo;
	nvme_tcp_put_le32(&pdu->hdr.ch.plen, (uint32_t)plen);
	if (t->data == TX_DATA_REQ)
		nvme_tcp_put_le32(pdu->hdr.raw + 16, data_len);
	if (hd)
		nvme_tcp_put_le32(&pdu->hdr.raw[hlen], sio_crc32c(pdu->hdr.raw, hlen));
	if (dd)
		nvme_tcp_put_le32(pdu->ddgst,
				  sio_crc32c_iov(SIO_CRC32C_INIT, data, data_iovcnt,
						 data_len) ^ SIO_CRC32C_XOR);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

int nvme_tcp_iov_slice(struct iovec *out, int out_max, const struct iovec *in, int incnt,
		       size_t offset, size_t len)
{
	int n = 0;

	for (int i = 0; i < incnt && len > 0; i++) {
		size_t k = in[i].iov_len;

		if (offset >= k) {
			offset -= k;
			continue;
		}
		k -= offset;
		if (k > len)
			k = len;
		if (n == out_max)
			return -ENOSPC;
		out[n].iov_base = (uint8_t *)in[i].iov_base + offset;
		out[n++].iov_len = k;
		offset = 0;
		len -= k;
	}
	return len > 0 ? -EINVAL : n;
}

size_t nvme_tcp_iov_advance(struct iovec **iov, int *iovcnt, size_t n)
{
	size_t left = 0;

	while (*iovcnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0 && n > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
	for (int i = 0; i < *iovcnt; i++)
		left += (*iov)[i].iov_len;
	return left;
}

const char *nvme_tcp_pdu_type_name(uint8_t type)
{
	static const char *const names[NVME_TCP_PDU_TYPE_COUNT] = {
		[NVME_TCP_PDU_IC_REQ] = "ICReq",
		[NVME_TCP_PDU_IC_RESP] = "ICResp",
		[NVME_TCP_PDU_H2C_TERM_REQ] = "H2CTermReq",
		[NVME_TCP_PDU_C2H_TERM_REQ] = "C2HTermReq",
		[NVME_TCP_PDU_CAPSULE_CMD] = "CapsuleCmd",
		[NVME_TCP_PDU_CAPSULE_RESP] = "CapsuleResp",
		[NVME_TCP_PDU_H2C_DATA] = "H2CData",
		[NVME_TCP_PDU_C2H_DATA] = "C2HData",
		[NVME_TCP_PDU_R2T] = "R2T",
	};

	if (type >= NVME_TCP_PDU_TYPE_COUNT || names[type] == NULL)
		return "?";
	return names[type];
}

const char *nvme_tcp_fes_name(uint16_t fes)
{
	switch (fes) {
	case NVME_TCP_FES_INVALID_HEADER_FIELD:
		return "Invalid PDU Header Field";
	case NVME_TCP_FES_PDU_SEQUENCE_ERROR:
		return "PDU Sequence Error";
	case NVME_TCP_FES_HDGST_ERROR:
		return "Header Digest Error";
	case NVME_TCP_FES_DATA_OUT_OF_RANGE:
		return "Data Transfer Out of Range";
	case NVME_TCP_FES_DATA_LIMIT_EXCEEDED:
		return "Data Transfer Limit Exceeded";
	case NVME_TCP_FES_UNSUPPORTED_PARAM:
		return "Unsupported Parameter";
	default:
		return "?";
	}
}

const char *nvme_tcp_err_name(enum nvme_tcp_err code)
{
	static const char *const names[NVME_TCP_ERR_COUNT] = {
		[NVME_TCP_ERR_NONE] = "none",
		[NVME_TCP_ERR_TYPE] = "PDU type unknown or not for this role",
		[NVME_TCP_ERR_SEQUENCE] = "PDU out of sequence",
		[NVME_TCP_ERR_FLAGS] = "bad FLAGS",
		[NVME_TCP_ERR_HLEN] = "bad HLEN",
		[NVME_TCP_ERR_PDO] = "bad PDO",
		[NVME_TCP_ERR_PLEN] = "bad PLEN",
		[NVME_TCP_ERR_HDGST] = "header digest mismatch",
		[NVME_TCP_ERR_FIELD] = "bad PDU-specific header field",
		[NVME_TCP_ERR_PARAM] = "unsupported IC parameter",
		[NVME_TCP_ERR_LIMIT] = "data above the negotiated limit",
		[NVME_TCP_ERR_RANGE] = "data out of range",
		[NVME_TCP_ERR_OWNER] = "refused by the owner",
		[NVME_TCP_ERR_TERM] = "peer sent a TermReq",
	};

	if ((unsigned)code >= NVME_TCP_ERR_COUNT)
		return "?";
	return names[code];
}
