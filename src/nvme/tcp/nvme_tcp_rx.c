/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP receive state machine (nvme_tcp.h).
 *
 * The stream is read state by state; every state owns one region of memory
 * the next bytes belong in:
 *
 *   CH    -> rx->ch[0..8)                      the common header
 *   PSH   -> rx->hdr[8..pdo or hlen+hdgst)    the rest of the header, its
 *                                              digest and the padding up to
 *                                              PDO, in one piece (a TermReq's
 *                                              quoted header too)
 *   DATA  -> the owner's iovecs                data, digest updated as it lands
 *   DDGST -> rx->ddgst[0..4)                   the data digest
 *
 * Bytes reach a region in one of two ways, and each state function sees
 * both the same way ("k bytes of my region are now in"): either the caller
 * read them straight into the region (nvme_tcp_rx_iov() named it; src is
 * NULL), or they sit in some buffer (the staging buffer, or the caller's
 * for nvme_tcp_rx_feed()) and the state copies them in first. Every check
 * of a header happens when its last byte is in: the common header's fields
 * when the CH completes (so no length taken from the wire is ever used
 * unchecked), the PDU-specific fields and the header digest when the PSH
 * completes. What each PDU type allows is in one table, g_rx_types.
 */
#include <errno.h>
#include <string.h>

#include "nvme/tcp/nvme_tcp.h"

/* How the bytes after the header are laid out for a PDU type. */
enum rx_kind {
	RX_KIND_IC,       /* ICReq/ICResp: fixed 128 bytes, no digests, PDO 0 */
	RX_KIND_TERM,     /* TermReq: 24 + up to 128 quoted bytes, no digests, PDO 0 */
	RX_KIND_NODATA,   /* CapsuleResp, R2T: header (+ digest) only */
	RX_KIND_DATA_OPT, /* CapsuleCmd: data optional (in-capsule) */
	RX_KIND_DATA_REQ, /* H2CData, C2HData: data required */
};

#define ROLE_BIT(r) (1u << (r))

struct rx_type {
	uint8_t hlen;       /* 0: not a PDU type */
	uint8_t receivers;  /* ROLE_BIT() of the roles that may receive it */
	uint8_t flags;      /* flag bits this type may carry */
	uint8_t kind;       /* enum rx_kind */
	/* Checks the PDU-specific header (rx->hdr) and fills rx->pdu's union. */
	int (*psh)(struct nvme_tcp_rx *rx);
};

static int psh_ic_req(struct nvme_tcp_rx *rx);
static int psh_ic_resp(struct nvme_tcp_rx *rx);
static int psh_term_req(struct nvme_tcp_rx *rx);
static int psh_capsule_cmd(struct nvme_tcp_rx *rx);
static int psh_capsule_resp(struct nvme_tcp_rx *rx);
static int psh_h2c_data(struct nvme_tcp_rx *rx);
static int psh_c2h_data(struct nvme_tcp_rx *rx);
static int psh_r2t(struct nvme_tcp_rx *rx);

#define F_DGST (NVME_TCP_F_HDGSTF | NVME_TCP_F_DDGSTF)

static const struct rx_type g_rx_types[NVME_TCP_PDU_TYPE_COUNT] = {
	[NVME_TCP_PDU_IC_REQ] = { 128, ROLE_BIT(NVME_TCP_ROLE_TARGET), 0, RX_KIND_IC, psh_ic_req },
	[NVME_TCP_PDU_IC_RESP] = { 128, ROLE_BIT(NVME_TCP_ROLE_HOST), 0, RX_KIND_IC, psh_ic_resp },
	[NVME_TCP_PDU_H2C_TERM_REQ] = { 24, ROLE_BIT(NVME_TCP_ROLE_TARGET), 0, RX_KIND_TERM,
					psh_term_req },
	[NVME_TCP_PDU_C2H_TERM_REQ] = { 24, ROLE_BIT(NVME_TCP_ROLE_HOST), 0, RX_KIND_TERM,
					psh_term_req },
	[NVME_TCP_PDU_CAPSULE_CMD] = { 72, ROLE_BIT(NVME_TCP_ROLE_TARGET), F_DGST, RX_KIND_DATA_OPT,
				       psh_capsule_cmd },
	[NVME_TCP_PDU_CAPSULE_RESP] = { 24, ROLE_BIT(NVME_TCP_ROLE_HOST), NVME_TCP_F_HDGSTF,
					RX_KIND_NODATA, psh_capsule_resp },
	[NVME_TCP_PDU_H2C_DATA] = { 24, ROLE_BIT(NVME_TCP_ROLE_TARGET), F_DGST | NVME_TCP_F_LAST_PDU,
				    RX_KIND_DATA_REQ, psh_h2c_data },
	[NVME_TCP_PDU_C2H_DATA] = { 24, ROLE_BIT(NVME_TCP_ROLE_HOST),
				    F_DGST | NVME_TCP_F_LAST_PDU | NVME_TCP_F_SUCCESS,
				    RX_KIND_DATA_REQ, psh_c2h_data },
	[NVME_TCP_PDU_R2T] = { 24, ROLE_BIT(NVME_TCP_ROLE_HOST), NVME_TCP_F_HDGSTF, RX_KIND_NODATA,
			       psh_r2t },
};

/* Byte offsets of header fields, the FEI of an Invalid PDU Header Field. */
#define FEI_TYPE 0u
#define FEI_FLAGS 1u
#define FEI_HLEN 2u
#define FEI_PDO 3u
#define FEI_PLEN 4u

/* ------------------------------------------------------------------------ */
/* Stopping                                                                 */
/* ------------------------------------------------------------------------ */

static uint16_t err_fes(enum nvme_tcp_err code)
{
	switch (code) {
	case NVME_TCP_ERR_TYPE:
	case NVME_TCP_ERR_FLAGS:
	case NVME_TCP_ERR_HLEN:
	case NVME_TCP_ERR_PDO:
	case NVME_TCP_ERR_PLEN:
	case NVME_TCP_ERR_FIELD:
		return NVME_TCP_FES_INVALID_HEADER_FIELD;
	case NVME_TCP_ERR_SEQUENCE:
		return NVME_TCP_FES_PDU_SEQUENCE_ERROR;
	case NVME_TCP_ERR_HDGST:
		return NVME_TCP_FES_HDGST_ERROR;
	case NVME_TCP_ERR_RANGE:
		return NVME_TCP_FES_DATA_OUT_OF_RANGE;
	case NVME_TCP_ERR_LIMIT:
		return NVME_TCP_FES_DATA_LIMIT_EXCEEDED;
	case NVME_TCP_ERR_PARAM:
		return NVME_TCP_FES_UNSUPPORTED_PARAM;
	default:
		return 0;
	}
}

/*
 * Stop the machine for good. @hdr_len: how much of rx->hdr holds the
 * offending header (what the TermReq quotes).
 */
static int rx_stop(struct nvme_tcp_rx *rx, int err, enum nvme_tcp_err code, uint16_t fes,
		   uint32_t fei)
{
	rx->state = NVME_TCP_RX_ERROR;
	rx->err = err;
	rx->err_code = code;
	rx->fes = fes;
	rx->fei = fei;
	rx->data_left = 0;
	rx->iov = NULL;
	rx->iovcnt = 0;
	return err;
}

/* A protocol violation by the peer, answered by a TermReq. */
static int rx_violation(struct nvme_tcp_rx *rx, enum nvme_tcp_err code, uint32_t fei)
{
	return rx_stop(rx, -EPROTO, code, err_fes(code), fei);
}

/* ------------------------------------------------------------------------ */
/* PDU-specific headers                                                     */
/* ------------------------------------------------------------------------ */

static int psh_ic(struct nvme_tcp_rx *rx, uint32_t *limit)
{
	const uint8_t *h = rx->hdr;
	uint16_t pfv = nvme_tcp_get_le16(h + 8);
	uint8_t pda = h[10], dgst = h[11];

	if (pfv != NVME_TCP_PFV_1_0)
		return rx_violation(rx, NVME_TCP_ERR_PARAM, 8);
	if (pda > NVME_TCP_PDA_MAX)
		return rx_violation(rx, NVME_TCP_ERR_FIELD, 10);
	if (dgst & ~(NVME_TCP_DGST_HDGST_ENABLE | NVME_TCP_DGST_DDGST_ENABLE))
		return rx_violation(rx, NVME_TCP_ERR_FIELD, 11);
	rx->pdu.ic.pfv = pfv;
	rx->pdu.ic.pda = pda;
	rx->pdu.ic.hdgst = dgst & NVME_TCP_DGST_HDGST_ENABLE;
	rx->pdu.ic.ddgst = dgst & NVME_TCP_DGST_DDGST_ENABLE;
	*limit = nvme_tcp_get_le32(h + 12);
	return 0;
}

static int psh_ic_req(struct nvme_tcp_rx *rx)
{
	return psh_ic(rx, &rx->pdu.ic.maxr2t);
}

static int psh_ic_resp(struct nvme_tcp_rx *rx)
{
	int rc = psh_ic(rx, &rx->pdu.ic.maxh2cdata);

	if (rc == 0 && (rx->pdu.ic.maxh2cdata < NVME_TCP_MAXH2CDATA_MIN ||
			rx->pdu.ic.maxh2cdata % 4 != 0))
		return rx_violation(rx, NVME_TCP_ERR_FIELD, 12);
	return rc;
}

static int psh_term_req(struct nvme_tcp_rx *rx)
{
	rx->pdu.term.fes = nvme_tcp_get_le16(rx->hdr + 8);
	rx->pdu.term.fei = nvme_tcp_get_le32(rx->hdr + 10);
	rx->pdu.term.data = rx->hdr + 24;
	rx->pdu.term.data_len = rx->pdu.plen - 24;
	return 0;
}

static int psh_capsule_cmd(struct nvme_tcp_rx *rx)
{
	if (rx->pdu.data_len > rx->params.max_icd)
		return rx_violation(rx, NVME_TCP_ERR_LIMIT, 0);
	rx->pdu.cmd.sqe = (const struct sio_nvme_cmd *)(rx->hdr + 8);
	return 0;
}

static int psh_capsule_resp(struct nvme_tcp_rx *rx)
{
	rx->pdu.resp.cqe = (const struct sio_nvme_cpl *)(rx->hdr + 8);
	return 0;
}

/* H2CData and C2HData share their layout but for TTAG (C2HData: reserved). */
static int psh_data(struct nvme_tcp_rx *rx)
{
	const uint8_t *h = rx->hdr;

	rx->pdu.data.cccid = nvme_tcp_get_le16(h + 8);
	rx->pdu.data.ttag = nvme_tcp_get_le16(h + 10);
	rx->pdu.data.datao = nvme_tcp_get_le32(h + 12);
	rx->pdu.data.datal = nvme_tcp_get_le32(h + 16);
	rx->pdu.data.last = rx->pdu.flags & NVME_TCP_F_LAST_PDU;
	rx->pdu.data.success = rx->pdu.flags & NVME_TCP_F_SUCCESS;
	/* DATAL must say what PLEN and PDO already said. */
	if (rx->pdu.data.datal != rx->pdu.data_len)
		return rx_violation(rx, NVME_TCP_ERR_FIELD, 16);
	if ((uint64_t)rx->pdu.data.datao + rx->pdu.data.datal > UINT32_MAX)
		return rx_violation(rx, NVME_TCP_ERR_RANGE, 0);
	return 0;
}

static int psh_h2c_data(struct nvme_tcp_rx *rx)
{
	int rc = psh_data(rx);

	if (rc == 0 && rx->params.max_h2c_data != 0 &&
	    rx->pdu.data.datal > rx->params.max_h2c_data)
		return rx_violation(rx, NVME_TCP_ERR_LIMIT, 0);
	return rc;
}

static int psh_c2h_data(struct nvme_tcp_rx *rx)
{
	/* SUCCESS stands in for the CapsuleResp, so only the last PDU may carry it. */
	int rc;

	if ((rx->pdu.flags & NVME_TCP_F_SUCCESS) && !(rx->pdu.flags & NVME_TCP_F_LAST_PDU))
		return rx_violation(rx, NVME_TCP_ERR_FLAGS, FEI_FLAGS);
	rc = psh_data(rx);
	/* bytes 10-11 are reserved in C2HData: no TTAG to report */
	rx->pdu.data.ttag = 0;
	return rc;
}

static int psh_r2t(struct nvme_tcp_rx *rx)
{
	const uint8_t *h = rx->hdr;

	rx->pdu.r2t.cccid = nvme_tcp_get_le16(h + 8);
	rx->pdu.r2t.ttag = nvme_tcp_get_le16(h + 10);
	rx->pdu.r2t.r2to = nvme_tcp_get_le32(h + 12);
	rx->pdu.r2t.r2tl = nvme_tcp_get_le32(h + 16);
	if (rx->pdu.r2t.r2tl == 0)
		return rx_violation(rx, NVME_TCP_ERR_FIELD, 16);
	if ((uint64_t)rx->pdu.r2t.r2to + rx->pdu.r2t.r2tl > UINT32_MAX)
		return rx_violation(rx, NVME_TCP_ERR_RANGE, 0);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Transitions                                                              */
/* ------------------------------------------------------------------------ */

static void rx_expect_ch(struct nvme_tcp_rx *rx)
{
	rx->state = NVME_TCP_RX_CH;
	rx->off = 0;
	rx->need = sizeof(rx->ch);
}

/* After an owner callback: its verdict (nvme_tcp_rx_fail() wins over @rc). */
static int rx_owner_verdict(struct nvme_tcp_rx *rx, int rc)
{
	if (rx->err_code == NVME_TCP_ERR_OWNER)
		return rx_stop(rx, -EPROTO, NVME_TCP_ERR_OWNER, rx->fes, rx->fei);
	if (rc < 0)
		return rx_stop(rx, rc, NVME_TCP_ERR_OWNER, 0, 0);
	return 0;
}

static int rx_pdu_done(struct nvme_tcp_rx *rx, int status)
{
	uint8_t type = rx->pdu.type;
	int rc;

	if (g_rx_types[type].kind == RX_KIND_IC)
		rx->ic_done = true;
	rc = rx->ops->pdu_done(rx->ctx, &rx->pdu, status);
	rc = rx_owner_verdict(rx, rc);
	if (rc < 0)
		return rc;
	if (g_rx_types[type].kind == RX_KIND_TERM)
		return rx_stop(rx, -ECONNABORTED, NVME_TCP_ERR_TERM, 0, 0);
	rx_expect_ch(rx);
	return 0;
}

/*
 * The common header is in rx->ch: check everything it says against the
 * type's rules and the negotiated parameters, then size the PSH region.
 */
static int rx_ch_done(struct nvme_tcp_rx *rx)
{
	const struct rx_type *t;
	uint8_t type = rx->ch[0], flags = rx->ch[1], hlen = rx->ch[2], pdo = rx->ch[3];
	uint32_t plen = nvme_tcp_get_le32(rx->ch + 4);
	uint32_t hd, dd = 0, data_len = 0, end;

	/* From here on the header buffer holds this PDU (the previous one is done). */
	memcpy(rx->hdr, rx->ch, sizeof(rx->ch));
	rx->err_hdr_len = sizeof(rx->ch);
	memset(&rx->pdu, 0, sizeof(rx->pdu));

	if (type >= NVME_TCP_PDU_TYPE_COUNT || g_rx_types[type].hlen == 0 ||
	    !(g_rx_types[type].receivers & ROLE_BIT(rx->role)))
		return rx_violation(rx, NVME_TCP_ERR_TYPE, FEI_TYPE);
	t = &g_rx_types[type];
	/* The IC exchange comes first and once; a TermReq may come at any time. */
	if ((t->kind == RX_KIND_IC) == rx->ic_done && t->kind != RX_KIND_TERM)
		return rx_violation(rx, NVME_TCP_ERR_SEQUENCE, 0);
	if (flags & ~t->flags)
		return rx_violation(rx, NVME_TCP_ERR_FLAGS, FEI_FLAGS);
	if (hlen != t->hlen)
		return rx_violation(rx, NVME_TCP_ERR_HLEN, FEI_HLEN);
	hd = (flags & NVME_TCP_F_HDGSTF) ? NVME_TCP_DIGEST_LEN : 0;

	switch (t->kind) {
	case RX_KIND_IC:
		if (pdo != 0)
			return rx_violation(rx, NVME_TCP_ERR_PDO, FEI_PDO);
		if (plen != hlen)
			return rx_violation(rx, NVME_TCP_ERR_PLEN, FEI_PLEN);
		end = plen;
		break;
	case RX_KIND_TERM:
		if (pdo != 0)
			return rx_violation(rx, NVME_TCP_ERR_PDO, FEI_PDO);
		if (plen < hlen || plen > NVME_TCP_TERM_REQ_PLEN_MAX)
			return rx_violation(rx, NVME_TCP_ERR_PLEN, FEI_PLEN);
		end = plen;
		break;
	default:
		/* Header digests on every one of these PDUs, or on none. */
		if (!hd != !rx->params.hdgst)
			return rx_violation(rx, NVME_TCP_ERR_FLAGS, FEI_FLAGS);
		dd = (flags & NVME_TCP_F_DDGSTF) ? NVME_TCP_DIGEST_LEN : 0;
		if (pdo == 0) {
			/* No data: nothing may follow the header, and no data digest. */
			if (t->kind == RX_KIND_DATA_REQ)
				return rx_violation(rx, NVME_TCP_ERR_PDO, FEI_PDO);
			if (dd)
				return rx_violation(rx, NVME_TCP_ERR_FLAGS, FEI_FLAGS);
			if (plen != hlen + hd)
				return rx_violation(rx, NVME_TCP_ERR_PLEN, FEI_PLEN);
			end = plen;
			break;
		}
		if (t->kind == RX_KIND_NODATA)
			return rx_violation(rx, NVME_TCP_ERR_PDO, FEI_PDO);
		/* Data starts after the header and its digest, at the alignment we asked for. */
		if (pdo < hlen + hd || pdo % ((rx->params.rx_pda + 1u) * 4u) != 0)
			return rx_violation(rx, NVME_TCP_ERR_PDO, FEI_PDO);
		if (!dd != !rx->params.ddgst)
			return rx_violation(rx, NVME_TCP_ERR_FLAGS, FEI_FLAGS);
		/* At least one byte of data between PDO and the data digest. */
		if (plen <= (uint32_t)pdo + dd)
			return rx_violation(rx, NVME_TCP_ERR_PLEN, FEI_PLEN);
		data_len = plen - pdo - dd;
		end = pdo;
		break;
	}

	rx->pdu.type = type;
	rx->pdu.flags = flags;
	rx->pdu.hlen = hlen;
	rx->pdu.pdo = pdo;
	rx->pdu.plen = plen;
	rx->pdu.data_len = data_len;
	rx->pdu.raw = rx->hdr;
	rx->hd_len = hd;
	rx->dd_len = dd;
	/* end <= 255 (PDO) or <= 152 (IC, TermReq, header + digest): fits rx->hdr. */
	rx->state = NVME_TCP_RX_PSH;
	rx->off = 0;
	rx->need = end - (uint32_t)sizeof(rx->ch);
	return 0;
}

/* Whole header in rx->hdr: verify its digest, check and parse its fields, hand it over. */
static int rx_psh_done(struct nvme_tcp_rx *rx)
{
	const struct rx_type *t = &g_rx_types[rx->pdu.type];
	uint32_t hlen = rx->pdu.hlen;
	const struct iovec *iov = NULL;
	int iovcnt = 0, rc;
	size_t room = 0;

	rx->err_hdr_len = hlen < NVME_TCP_TERM_REQ_DATA_MAX ? hlen : NVME_TCP_TERM_REQ_DATA_MAX;
	if (rx->hd_len != 0 &&
	    sio_crc32c(rx->hdr, hlen) != nvme_tcp_get_le32(rx->hdr + hlen))
		return rx_violation(rx, NVME_TCP_ERR_HDGST, 0);
	rc = t->psh(rx);
	if (rc < 0)
		return rc;
	if (rx->pdu.data_len == 0)
		return rx_pdu_done(rx, 0);

	rc = rx->ops->pdu_data(rx->ctx, &rx->pdu, &iov, &iovcnt);
	rc = rx_owner_verdict(rx, rc);
	if (rc < 0)
		return rc;
	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
		iovcnt = 0;
	for (int i = 0; i < iovcnt && room < rx->pdu.data_len; i++)
		room += iov[i].iov_len;
	if (room < rx->pdu.data_len)
		return rx_violation(rx, NVME_TCP_ERR_RANGE, 0);
	rx->iov = iov;
	rx->iovcnt = iovcnt;
	rx->iov_idx = 0;
	rx->iov_off = 0;
	rx->data_left = rx->pdu.data_len;
	rx->dcrc = SIO_CRC32C_INIT;
	rx->state = NVME_TCP_RX_DATA;
	/* Data PDUs at least as long as the staging buffer: a streaming
	 * transfer (128 KiB reads, writes); the next one is likely as long. */
	rx->streaming = rx->buf != NULL && rx->pdu.data_len >= rx->buf_size;
	return 0;
}

static int rx_data_done(struct nvme_tcp_rx *rx)
{
	if (rx->dd_len == 0)
		return rx_pdu_done(rx, 0);
	rx->state = NVME_TCP_RX_DDGST;
	rx->off = 0;
	rx->need = NVME_TCP_DIGEST_LEN;
	return 0;
}

static int rx_ddgst_done(struct nvme_tcp_rx *rx)
{
	uint32_t want = rx->dcrc ^ SIO_CRC32C_XOR;

	/* Not fatal (spec): the owner fails the command, the stream goes on. */
	return rx_pdu_done(rx, want == nvme_tcp_get_le32(rx->ddgst) ? 0 : -EBADMSG);
}

/* ------------------------------------------------------------------------ */
/* States: each takes up to @len bytes of its region and returns how many   */
/* ------------------------------------------------------------------------ */

typedef long rx_state_fn(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len);

/* The shared body of the states whose region is one contiguous buffer. */
static long rx_fill(struct nvme_tcp_rx *rx, uint8_t *region, const uint8_t *src, size_t len,
		    int (*done)(struct nvme_tcp_rx *rx))
{
	size_t k = rx->need - rx->off;
	int rc;

	if (k > len)
		k = len;
	if (src != NULL)
		memcpy(region + rx->off, src, k);
	rx->off += (uint32_t)k;
	if (rx->off == rx->need) {
		rc = done(rx);
		if (rc < 0)
			return rc;
	}
	return (long)k;
}

static long rx_state_ch(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len)
{
	return rx_fill(rx, rx->ch, src, len, rx_ch_done);
}

static long rx_state_psh(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len)
{
	return rx_fill(rx, rx->hdr + sizeof(rx->ch), src, len, rx_psh_done);
}

static long rx_state_data(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len)
{
	size_t taken = 0;

	while (taken < len && rx->data_left > 0) {
		const struct iovec *v = &rx->iov[rx->iov_idx];
		size_t k = v->iov_len - rx->iov_off;
		uint8_t *dst = (uint8_t *)v->iov_base + rx->iov_off;

		if (k > len - taken)
			k = len - taken;
		if (k > rx->data_left)
			k = rx->data_left;
		if (src != NULL)
			memcpy(dst, src + taken, k);
		/* Digest while the bytes are still in cache. */
		if (rx->dd_len != 0)
			rx->dcrc = sio_crc32c_update(rx->dcrc, dst, k);
		taken += k;
		rx->data_left -= (uint32_t)k;
		rx->iov_off += k;
		if (rx->iov_off == v->iov_len) {
			rx->iov_idx++;
			rx->iov_off = 0;
		}
	}
	if (rx->data_left == 0) {
		int rc = rx_data_done(rx);

		if (rc < 0)
			return rc;
	}
	return (long)taken;
}

static long rx_state_ddgst(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len)
{
	return rx_fill(rx, rx->ddgst, src, len, rx_ddgst_done);
}

static long rx_state_error(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len)
{
	return rx->err;
}

static rx_state_fn *const g_rx_states[NVME_TCP_RX_STATE_COUNT] = {
	[NVME_TCP_RX_CH] = rx_state_ch,
	[NVME_TCP_RX_PSH] = rx_state_psh,
	[NVME_TCP_RX_DATA] = rx_state_data,
	[NVME_TCP_RX_DDGST] = rx_state_ddgst,
	[NVME_TCP_RX_ERROR] = rx_state_error,
};

/* Run the states over @len bytes: at @src, or (src NULL) already in their regions. */
static int rx_run(struct nvme_tcp_rx *rx, const uint8_t *src, size_t len)
{
	while (len > 0) {
		long k = g_rx_states[rx->state](rx, src, len);

		if (k < 0)
			return (int)k;
		if (src != NULL)
			src += k;
		len -= (size_t)k;
	}
	return rx->state == NVME_TCP_RX_ERROR ? rx->err : 0;
}

/* ------------------------------------------------------------------------ */
/* API                                                                      */
/* ------------------------------------------------------------------------ */

void nvme_tcp_rx_init(struct nvme_tcp_rx *rx, enum nvme_tcp_role role,
		      const struct nvme_tcp_rx_ops *ops, void *ctx)
{
	memset(rx, 0, offsetof(struct nvme_tcp_rx, ch));
	rx->role = role;
	rx->ops = ops;
	rx->ctx = ctx;
	rx_expect_ch(rx);
}

int nvme_tcp_rx_set_params(struct nvme_tcp_rx *rx, const struct nvme_tcp_params *params)
{
	if (params->rx_pda > NVME_TCP_PDA_MAX || params->tx_pda > NVME_TCP_PDA_MAX)
		return -EINVAL;
	rx->params = *params;
	return 0;
}

int nvme_tcp_rx_set_buf(struct nvme_tcp_rx *rx, void *buf, size_t size, uint32_t direct_min)
{
	if (buf != NULL && size < NVME_TCP_RX_HDR_BUF)
		return -EINVAL;
	rx->buf = buf;
	rx->buf_size = buf != NULL ? size : 0;
	rx->direct_min = direct_min != 0 ? direct_min : 1024;
	rx->offer_direct = rx->offer_total = 0;
	rx->streaming = false;
	return 0;
}

static int offer(struct iovec *iov, int *n, int max, void *base, size_t len, size_t *total)
{
	if (*n == max)
		return -1;
	iov[*n].iov_base = base;
	iov[*n].iov_len = len;
	(*n)++;
	*total += len;
	return 0;
}

int nvme_tcp_rx_iov(struct nvme_tcp_rx *rx, struct iovec *iov, int max)
{
	size_t direct = 0, left;
	int n = 0;
	bool all = true;

	if (max < 1)
		return -EINVAL;
	rx->offer_direct = rx->offer_total = 0;
	switch (rx->state) {
	case NVME_TCP_RX_CH:
		if (rx->buf != NULL)
			break;
		offer(iov, &n, max, rx->ch + rx->off, rx->need - rx->off, &direct);
		break;
	case NVME_TCP_RX_PSH:
		if (rx->buf != NULL)
			break;
		offer(iov, &n, max, rx->hdr + sizeof(rx->ch) + rx->off, rx->need - rx->off, &direct);
		break;
	case NVME_TCP_RX_DATA:
		/* Short data is cheaper copied out of one big read than read on its own. */
		if (rx->buf != NULL && rx->data_left < rx->direct_min)
			break;
		left = rx->data_left;
		for (int i = rx->iov_idx; left > 0 && i < rx->iovcnt; i++) {
			size_t o = i == rx->iov_idx ? rx->iov_off : 0;
			size_t k = rx->iov[i].iov_len - o;

			if (k > left)
				k = left;
			if (k == 0)
				continue;
			if (offer(iov, &n, max, (uint8_t *)rx->iov[i].iov_base + o, k, &direct) < 0) {
				all = false;
				break;
			}
			left -= k;
		}
		/* Exact mode: the data digest and the next common header in the same read. */
		if (all && rx->buf == NULL) {
			if (rx->dd_len != 0 &&
			    offer(iov, &n, max, rx->ddgst, NVME_TCP_DIGEST_LEN, &direct) < 0)
				break;
			offer(iov, &n, max, rx->ch, sizeof(rx->ch), &direct);
		}
		break;
	case NVME_TCP_RX_DDGST:
		if (rx->buf != NULL)
			break;
		offer(iov, &n, max, rx->ddgst + rx->off, rx->need - rx->off, &direct);
		offer(iov, &n, max, rx->ch, sizeof(rx->ch), &direct);
		break;
	default:
		return 0;
	}
	rx->offer_direct = direct;
	rx->offer_total = direct;
	/* Staged mode: whatever follows the direct regions lands in the staging
	 * buffer. While streaming, only a few headers' worth: a full buffer
	 * would take the next PDU's header and ~16 KiB of its data, copied
	 * once more out of the buffer (measured: 12 % of every 128 KiB read's
	 * data copied twice); this way its data is read straight into place. */
	if (rx->buf != NULL && all && n < max) {
		size_t len = rx->streaming && rx->buf_size > NVME_TCP_RX_STREAM_TAIL
				     ? NVME_TCP_RX_STREAM_TAIL : rx->buf_size;

		iov[n].iov_base = rx->buf;
		iov[n].iov_len = len;
		n++;
		rx->offer_total += len;
	}
	return n;
}

int nvme_tcp_rx_advance(struct nvme_tcp_rx *rx, size_t n)
{
	size_t direct = rx->offer_direct < n ? rx->offer_direct : n;
	int rc;

	if (rx->state == NVME_TCP_RX_ERROR)
		return rx->err;
	if (n > rx->offer_total)
		return -EINVAL;
	rx->offer_direct = rx->offer_total = 0;
	rc = rx_run(rx, NULL, direct);
	if (rc < 0 || n == direct)
		return rc;
	return rx_run(rx, rx->buf, n - direct);
}

int nvme_tcp_rx_feed(struct nvme_tcp_rx *rx, const void *buf, size_t len)
{
	if (rx->state == NVME_TCP_RX_ERROR)
		return rx->err;
	rx->offer_direct = rx->offer_total = 0;
	return rx_run(rx, buf, len);
}

void nvme_tcp_rx_fail(struct nvme_tcp_rx *rx, uint16_t fes, uint32_t fei)
{
	rx->err_code = NVME_TCP_ERR_OWNER;
	rx->fes = fes;
	rx->fei = fei;
}

int nvme_tcp_rx_error(const struct nvme_tcp_rx *rx, struct nvme_tcp_rx_err *out)
{
	memset(out, 0, sizeof(*out));
	if (rx->state != NVME_TCP_RX_ERROR)
		return 0;
	out->err = rx->err;
	out->code = rx->err_code;
	out->fes = rx->fes;
	out->fei = rx->fei;
	out->hdr = rx->hdr;
	out->hdr_len = rx->err_hdr_len;
	return rx->err;
}

const char *nvme_tcp_rx_state_name(enum nvme_tcp_rx_state state)
{
	static const char *const names[NVME_TCP_RX_STATE_COUNT] = {
		[NVME_TCP_RX_CH] = "ch",
		[NVME_TCP_RX_PSH] = "psh",
		[NVME_TCP_RX_DATA] = "data",
		[NVME_TCP_RX_DDGST] = "ddgst",
		[NVME_TCP_RX_ERROR] = "error",
	};

	if ((unsigned)state >= NVME_TCP_RX_STATE_COUNT)
		return "?";
	return names[state];
}
