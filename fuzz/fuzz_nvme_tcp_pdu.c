/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the NVMe/TCP receive machine (src/nvme/tcp/).
 *
 * Input: byte 0 picks the setup (bit 0 role: host or target; bits 1-2 the
 * header and data digests the owner applies after the IC PDU; bit 3 read
 * through a staging buffer; bits 4-5 the data alignment asked of the peer;
 * bit 6 the owner offers iovecs one byte short of the data; bit 7 the
 * round-trip mode below), byte 1 seeds the split points, byte 2 bounds the
 * piece size; the rest is the byte stream from the peer.
 *
 * Round-trip mode (bit 7): the rest is a list of 16-byte PDU descriptions
 * (type, flags, CCCID, TTAG, offset, length, data length) that the send
 * path builds with the same parameters; the stream of what it built is then
 * read as above, and every PDU must come back with the fields and data it was
 * built from, or be refused with the one reason its fields call for.
 *
 * The stream is read twice: in pieces through nvme_tcp_rx_iov()/advance()
 * (the way a socket fills the regions the machine names) and in one
 * nvme_tcp_rx_feed(). Properties:
 *  - the result is 0, -EPROTO or -ECONNABORTED, never anything else;
 *  - both reads end the same way: same result, same error code, FES and FEI,
 *    the same PDUs delivered with the same headers and data (segmentation
 *    does not matter);
 *  - every delivered PDU is of a type the role may receive, with data only
 *    where the type carries data and a PLEN that adds up;
 *  - on -EPROTO the FES is one the spec defines, and the TermReq built from
 *    it is read back by the peer's machine as that FES and FEI;
 *  - data lands only in the iovecs the owner gave (they are allocated at
 *    their exact size, so ASan catches a byte too far); nothing leaks.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "nvme/tcp/nvme_tcp.h"

/* The owner refuses data larger than this (as a real one refuses data past its command). */
#define DATA_MAX (1u << 20)
#define PDUS_MAX 64

struct rec {
	uint8_t type, flags;
	uint32_t plen, data_len;
	uint32_t hash;     /* of the header as received and the data */
	int status;
	uint32_t cid, off; /* CCCID/CID and DATAO/R2TO (CDW10/CDW0 for capsules) */
};

struct owner {
	struct nvme_tcp_rx rx;
	struct nvme_tcp_params params;
	bool short_iov;
	uint8_t *data;
	struct iovec iov[3];
	struct rec recs[PDUS_MAX];
	int n;
};

static uint32_t hash(uint32_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int on_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		   int *iovcnt)
{
	struct owner *o = ctx;
	size_t len = pdu->data_len - (o->short_iov ? 1 : 0), a;

	FUZZ_CHECK(pdu->data_len > 0, "pdu_data without data");
	FUZZ_CHECK(pdu->type == NVME_TCP_PDU_CAPSULE_CMD || pdu->type == NVME_TCP_PDU_H2C_DATA ||
		   pdu->type == NVME_TCP_PDU_C2H_DATA, "data for a %s", nvme_tcp_pdu_type_name(pdu->type));
	FUZZ_CHECK(o->data == NULL, "pdu_data twice");
	if (pdu->data_len > DATA_MAX) {
		nvme_tcp_rx_fail(&o->rx, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0);
		return -EPROTO;
	}
	/* exact size: a byte written past the iovecs is an ASan report */
	o->data = malloc(len ? len : 1);
	if (o->data == NULL)
		return -ENOMEM;
	a = len / 3;
	o->iov[0] = (struct iovec){ o->data, a };
	o->iov[1] = (struct iovec){ o->data + a, 0 };
	o->iov[2] = (struct iovec){ o->data + a, len - a };
	*iov = o->iov;
	*iovcnt = 3;
	return 0;
}

static int on_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct owner *o = ctx;
	struct rec *r;
	uint32_t hd = (pdu->flags & NVME_TCP_F_HDGSTF) ? 4 : 0;
	uint32_t dd = (pdu->flags & NVME_TCP_F_DDGSTF) ? 4 : 0;
	bool host = o->rx.role == NVME_TCP_ROLE_HOST;

	switch (pdu->type) {
	case NVME_TCP_PDU_IC_RESP:
	case NVME_TCP_PDU_C2H_TERM_REQ:
	case NVME_TCP_PDU_CAPSULE_RESP:
	case NVME_TCP_PDU_C2H_DATA:
	case NVME_TCP_PDU_R2T:
		FUZZ_CHECK(host, "target received %s", nvme_tcp_pdu_type_name(pdu->type));
		break;
	default:
		FUZZ_CHECK(!host, "host received %s", nvme_tcp_pdu_type_name(pdu->type));
		break;
	}
	FUZZ_CHECK(status == 0 || (status == -EBADMSG && dd), "status %d", status);
	if (pdu->data_len) {
		FUZZ_CHECK(o->data != NULL, "data without pdu_data");
		FUZZ_CHECK(pdu->plen == pdu->pdo + pdu->data_len + dd, "PLEN %u PDO %u data %u",
			   pdu->plen, pdu->pdo, pdu->data_len);
	} else if (pdu->type != NVME_TCP_PDU_H2C_TERM_REQ && pdu->type != NVME_TCP_PDU_C2H_TERM_REQ) {
		FUZZ_CHECK(pdu->plen == pdu->hlen + hd && dd == 0, "PLEN %u HLEN %u", pdu->plen, pdu->hlen);
	}
	if (o->n < PDUS_MAX) {
		r = &o->recs[o->n];
		r->type = pdu->type;
		r->flags = pdu->flags;
		r->plen = pdu->plen;
		r->data_len = pdu->data_len;
		r->status = status;
		r->hash = hash(2166136261u, pdu->raw, pdu->hlen + hd);
		if (o->data)
			r->hash = hash(r->hash, o->data, pdu->data_len);
		switch (pdu->type) {
		case NVME_TCP_PDU_CAPSULE_CMD:
			r->cid = pdu->cmd.sqe->cid;
			r->off = pdu->cmd.sqe->cdw10;
			break;
		case NVME_TCP_PDU_CAPSULE_RESP:
			r->cid = pdu->resp.cqe->cid;
			r->off = pdu->resp.cqe->cdw0;
			break;
		case NVME_TCP_PDU_H2C_DATA:
		case NVME_TCP_PDU_C2H_DATA:
			r->cid = pdu->data.cccid | (uint32_t)pdu->data.ttag << 16;
			r->off = pdu->data.datao;
			break;
		case NVME_TCP_PDU_R2T:
			r->cid = pdu->r2t.cccid | (uint32_t)pdu->r2t.ttag << 16;
			r->off = pdu->r2t.r2to ^ pdu->r2t.r2tl;
			break;
		default:
			break;
		}
	}
	o->n++;
	free(o->data);
	o->data = NULL;
	if (pdu->type == NVME_TCP_PDU_IC_REQ || pdu->type == NVME_TCP_PDU_IC_RESP)
		return nvme_tcp_rx_set_params(&o->rx, &o->params);
	return 0;
}

static const struct nvme_tcp_rx_ops g_ops = { .pdu_data = on_data, .pdu_done = on_done };

static void owner_init(struct owner *o, uint8_t setup)
{
	memset(o, 0, sizeof(*o));
	o->params.hdgst = setup & 2;
	o->params.ddgst = setup & 4;
	o->params.rx_pda = (uint8_t[]){ 0, 1, 7, 31 }[(setup >> 4) & 3];
	o->params.max_icd = 8192;
	o->params.max_h2c_data = 65536;
	o->short_iov = setup & 0x40;
	nvme_tcp_rx_init(&o->rx, (setup & 1) ? NVME_TCP_ROLE_TARGET : NVME_TCP_ROLE_HOST, &g_ops, o);
}

static int read_in_pieces(struct owner *o, const uint8_t *s, size_t len, uint32_t seed,
			  size_t max_piece, uint8_t *stage)
{
	size_t pos = 0;
	int rc = 0;

	while (pos < len && rc == 0) {
		struct iovec iov[8];
		size_t want, got = 0;
		int n = nvme_tcp_rx_iov(&o->rx, iov, 1 + (int)(seed % 8));

		FUZZ_CHECK(n > 0, "no region offered while running (%d)", n);
		seed = seed * 1103515245u + 12345u;
		want = 1 + (seed >> 8) % max_piece;
		for (int i = 0; i < n && got < want && pos + got < len; i++) {
			size_t k = iov[i].iov_len;

			FUZZ_CHECK(k > 0, "empty region");
			if (k > want - got)
				k = want - got;
			if (k > len - pos - got)
				k = len - pos - got;
			FUZZ_CHECK(stage == NULL || iov[i].iov_base != stage || i == n - 1,
				   "staging buffer not last");
			memcpy(iov[i].iov_base, s + pos + got, k);
			got += k;
		}
		pos += got;
		rc = nvme_tcp_rx_advance(&o->rx, got);
	}
	return rc;
}

static void check_result(struct owner *o, int rc)
{
	struct nvme_tcp_rx_err e;
	struct nvme_tcp_pdu term;
	struct iovec iov[2];
	struct owner *peer;
	uint8_t setup;
	int n, prc;

	FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -ECONNABORTED, "result %d", rc);
	FUZZ_CHECK(nvme_tcp_rx_error(&o->rx, &e) == rc, "error %d vs result %d", e.err, rc);
	if (rc != -EPROTO) {
		FUZZ_CHECK(nvme_tcp_pdu_term_req_init_rx(&term, &o->rx) ==
			   (rc == 0 ? -EAGAIN : -ENOENT), "TermReq for result %d", rc);
		return;
	}
	FUZZ_CHECK(e.fes >= NVME_TCP_FES_INVALID_HEADER_FIELD && e.fes <= NVME_TCP_FES_UNSUPPORTED_PARAM,
		   "FES %u", e.fes);
	FUZZ_CHECK(e.hdr_len >= 8 && e.hdr_len <= NVME_TCP_TERM_REQ_DATA_MAX, "quote %u", e.hdr_len);
	FUZZ_CHECK(nvme_tcp_pdu_term_req_init_rx(&term, &o->rx) == 0, "no TermReq");
	n = nvme_tcp_pdu_build(&term, &o->params, NULL, 0, 0, iov, 2);
	FUZZ_CHECK(n == 1, "TermReq build %d", n);
	/* the peer reads it back */
	peer = malloc(sizeof(*peer));
	if (peer == NULL)
		return;
	setup = o->rx.role == NVME_TCP_ROLE_HOST ? 1 : 0;
	owner_init(peer, setup);
	prc = nvme_tcp_rx_feed(&peer->rx, iov[0].iov_base, iov[0].iov_len);
	FUZZ_CHECK(prc == -ECONNABORTED && peer->n == 1, "peer read the TermReq as %d", prc);
	free(peer->data);
	free(peer);
}

/* ------------------------------------------------------------------------ */
/* Round trip: build from fields, read back, compare                        */
/* ------------------------------------------------------------------------ */

struct desc {
	uint8_t type;
	bool last, success;
	uint16_t cccid, ttag;
	uint32_t off, len, data_len;
};

/* Types a peer of @role's owner sends, in a fixed order the selector byte indexes. */
static uint8_t desc_type(bool target_rx, uint8_t sel)
{
	static const uint8_t to_target[] = { NVME_TCP_PDU_CAPSULE_CMD, NVME_TCP_PDU_H2C_DATA };
	static const uint8_t to_host[] = { NVME_TCP_PDU_CAPSULE_RESP, NVME_TCP_PDU_C2H_DATA,
					   NVME_TCP_PDU_R2T };

	return target_rx ? to_target[sel % 2] : to_host[sel % 3];
}

/* Append the PDU described by @d, built by the send path, to @out; return its length. */
static size_t build_one(const struct desc *d, const struct nvme_tcp_params *tx, uint8_t *out,
			const uint8_t *data)
{
	struct nvme_tcp_pdu pdu;
	struct sio_nvme_cmd sqe;
	struct sio_nvme_cpl cqe;
	struct iovec iov[8], div = { (void *)(uintptr_t)data, d->data_len };
	size_t len = 0;
	int n;

	switch (d->type) {
	case NVME_TCP_PDU_CAPSULE_CMD:
		memset(&sqe, 0, sizeof(sqe));
		sqe.cid = d->cccid;
		sqe.cdw10 = d->off;
		nvme_tcp_pdu_capsule_cmd_init(&pdu, &sqe);
		break;
	case NVME_TCP_PDU_CAPSULE_RESP:
		memset(&cqe, 0, sizeof(cqe));
		cqe.cid = d->cccid;
		cqe.cdw0 = d->off;
		nvme_tcp_pdu_capsule_resp_init(&pdu, &cqe);
		break;
	case NVME_TCP_PDU_H2C_DATA:
		nvme_tcp_pdu_h2c_data_init(&pdu, d->cccid, d->ttag, d->off, d->last);
		break;
	case NVME_TCP_PDU_C2H_DATA:
		nvme_tcp_pdu_c2h_data_init(&pdu, d->cccid, d->off, d->last, d->success);
		break;
	default:
		nvme_tcp_pdu_r2t_init(&pdu, d->cccid, d->ttag, d->off, d->len);
		break;
	}
	n = nvme_tcp_pdu_build(&pdu, tx, d->data_len ? &div : NULL, d->data_len ? 1 : 0, d->data_len,
			       iov, 8);
	FUZZ_CHECK(n > 0, "build of a %s with %u data bytes: %d", nvme_tcp_pdu_type_name(d->type),
		   d->data_len, n);
	for (int i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	FUZZ_CHECK(len == nvme_tcp_pdu_plen(&pdu), "PLEN %u, iovecs %zu", nvme_tcp_pdu_plen(&pdu), len);
	return len;
}

/* The reason the receiver must give for @d, or NONE when it must take it. */
static enum nvme_tcp_err desc_verdict(const struct desc *d, const struct nvme_tcp_params *rx)
{
	switch (d->type) {
	case NVME_TCP_PDU_CAPSULE_CMD:
		return d->data_len > rx->max_icd ? NVME_TCP_ERR_LIMIT : NVME_TCP_ERR_NONE;
	case NVME_TCP_PDU_H2C_DATA:
	case NVME_TCP_PDU_C2H_DATA:
		if ((uint64_t)d->off + d->data_len > UINT32_MAX)
			return NVME_TCP_ERR_RANGE;
		if (d->type == NVME_TCP_PDU_H2C_DATA && d->data_len > rx->max_h2c_data)
			return NVME_TCP_ERR_LIMIT;
		return NVME_TCP_ERR_NONE;
	case NVME_TCP_PDU_R2T:
		if (d->len == 0)
			return NVME_TCP_ERR_FIELD;
		return (uint64_t)d->off + d->len > UINT32_MAX ? NVME_TCP_ERR_RANGE : NVME_TCP_ERR_NONE;
	default:
		return NVME_TCP_ERR_NONE;
	}
}

static void round_trip(uint8_t setup, const uint8_t *in, size_t size, uint32_t seed,
		       size_t max_piece)
{
	enum { MAXD = 16, DATA = 3000 };
	static uint8_t pattern[DATA];
	struct desc d[MAXD];
	struct nvme_tcp_params tx;
	struct owner *o = calloc(1, sizeof(*o));
	struct nvme_tcp_pdu ic;
	struct iovec iov[2];
	uint8_t *stream;
	size_t len = 0, cap, start[MAXD + 1];
	int nd = 0, expect_n, rc;
	enum nvme_tcp_err verdict = NVME_TCP_ERR_NONE;
	bool target_rx = setup & 1;

	if (o == NULL)
		return;
	for (size_t i = 0; i < DATA; i++)
		pattern[i] = (uint8_t)(i * 31 + 7);
	owner_init(o, setup & 0x3f);   /* no short iovecs here */
	o->params.max_icd = 1024;      /* reachable by the descriptions' data */
	tx = o->params;
	tx.tx_pda = o->params.rx_pda;
	for (; size >= 16 && nd < MAXD; in += 16, size -= 16) {
		struct desc *x = &d[nd++];

		x->type = desc_type(target_rx, in[0]);
		x->last = in[1] & 1;
		x->success = (in[1] & 3) == 3;
		x->cccid = (uint16_t)(in[2] | in[3] << 8);
		x->ttag = (uint16_t)(in[4] | in[5] << 8);
		x->off = (uint32_t)in[6] | (uint32_t)in[7] << 8 | (uint32_t)in[8] << 16 | (uint32_t)in[9] << 24;
		x->len = (uint32_t)in[10] | (uint32_t)in[11] << 8 | (uint32_t)in[12] << 16 |
			 (uint32_t)in[15] << 24;
		x->data_len = (uint32_t)(in[13] | in[14] << 8) % DATA;
		if (x->type == NVME_TCP_PDU_CAPSULE_RESP || x->type == NVME_TCP_PDU_R2T)
			x->data_len = 0;
		else if (x->type != NVME_TCP_PDU_CAPSULE_CMD && x->data_len == 0)
			x->data_len = 1;
	}
	cap = 128 + (size_t)nd * (DATA + 256);
	stream = malloc(cap);
	if (stream == NULL) {
		free(o);
		return;
	}
	if (target_rx)
		nvme_tcp_pdu_ic_req_init(&ic, 0, tx.hdgst, tx.ddgst, 0);
	else
		nvme_tcp_pdu_ic_resp_init(&ic, 0, tx.hdgst, tx.ddgst, 65536);
	FUZZ_CHECK(nvme_tcp_pdu_build(&ic, NULL, NULL, 0, 0, iov, 2) == 1, "IC build");
	memcpy(stream, iov[0].iov_base, iov[0].iov_len);
	len = iov[0].iov_len;
	expect_n = 1;
	for (int i = 0; i < nd; i++) {
		start[i] = len;
		len += build_one(&d[i], &tx, stream + len, pattern);
		verdict = desc_verdict(&d[i], &o->params);
		if (verdict != NVME_TCP_ERR_NONE)
			break;
		expect_n++;
	}
	rc = read_in_pieces(o, stream, len, seed, max_piece, NULL);
	if (verdict == NVME_TCP_ERR_NONE) {
		FUZZ_CHECK(rc == 0, "round trip refused: %d (%s)", rc, nvme_tcp_err_name(o->rx.err_code));
	} else {
		FUZZ_CHECK(rc == -EPROTO && o->rx.err_code == verdict, "expected %s, got %d (%s)",
			   nvme_tcp_err_name(verdict), rc, nvme_tcp_err_name(o->rx.err_code));
	}
	FUZZ_CHECK(o->n == expect_n, "%d PDUs back, %d expected", o->n, expect_n);
	for (int i = 1; i < o->n && i < PDUS_MAX; i++) {
		const struct desc *x = &d[i - 1];
		const struct rec *r = &o->recs[i];
		uint32_t hd = tx.hdgst ? 4 : 0, h, cid = x->cccid;
		uint32_t hlen = x->type == NVME_TCP_PDU_CAPSULE_CMD ? 72 : 24;

		FUZZ_CHECK(r->type == x->type && r->data_len == x->data_len && r->status == 0,
			   "PDU %d: %s/%u back as %s/%u", i, nvme_tcp_pdu_type_name(x->type), x->data_len,
			   nvme_tcp_pdu_type_name(r->type), r->data_len);
		FUZZ_CHECK(!!(r->flags & NVME_TCP_F_LAST_PDU) ==
			   (x->last && (x->type == NVME_TCP_PDU_H2C_DATA || x->type == NVME_TCP_PDU_C2H_DATA)),
			   "PDU %d: LAST_PDU", i);
		FUZZ_CHECK(!!(r->flags & NVME_TCP_F_SUCCESS) ==
			   (x->last && x->success && x->type == NVME_TCP_PDU_C2H_DATA), "PDU %d: SUCCESS", i);
		/* the header bytes as built and the data, exactly */
		h = hash(hash(2166136261u, stream + start[i - 1], hlen + hd), pattern, x->data_len);
		FUZZ_CHECK(r->hash == h, "PDU %d: header or data differ", i);
		if (x->type == NVME_TCP_PDU_H2C_DATA || x->type == NVME_TCP_PDU_R2T)
			cid |= (uint32_t)x->ttag << 16;
		FUZZ_CHECK(r->cid == cid, "PDU %d: CID %x back as %x", i, cid, r->cid);
		FUZZ_CHECK(r->off == (x->type == NVME_TCP_PDU_R2T ? x->off ^ x->len : x->off),
			   "PDU %d: offset", i);
	}
	check_result(o, rc);
	free(o->data);
	free(o);
	free(stream);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct owner *a, *b;
	uint8_t setup, *stage = NULL;
	uint32_t seed;
	size_t max_piece;
	int ra, rb;

	if (size < 3)
		return 0;
	setup = data[0];
	seed = data[1] * 2654435761u;
	max_piece = data[2] ? data[2] : 4096;
	data += 3;
	size -= 3;
	if (setup & 0x80) {
		round_trip(setup, data, size, seed, max_piece);
		return 0;
	}

	/* zeroed: the exit path frees their data even when setup stops early */
	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	if (a == NULL || b == NULL)
		goto out;
	owner_init(a, setup);
	owner_init(b, setup);
	if (setup & 8) {
		stage = malloc(512);
		if (stage == NULL)
			goto out;
		nvme_tcp_rx_set_buf(&a->rx, stage, 512, 1 + data[-2] % 600);
	}
	ra = read_in_pieces(a, data, size, seed, max_piece, stage);
	rb = nvme_tcp_rx_feed(&b->rx, data, size);
	check_result(a, ra);
	check_result(b, rb);

	/* the segmentation does not change the outcome */
	FUZZ_CHECK(ra == rb, "pieces %d, whole %d", ra, rb);
	FUZZ_CHECK(a->n == b->n, "pieces delivered %d PDUs, whole %d", a->n, b->n);
	FUZZ_CHECK(a->rx.err_code == b->rx.err_code && a->rx.fes == b->rx.fes && a->rx.fei == b->rx.fei,
		   "pieces stopped with %d/%u/%u, whole with %d/%u/%u", a->rx.err_code, a->rx.fes,
		   a->rx.fei, b->rx.err_code, b->rx.fes, b->rx.fei);
	for (int i = 0; i < a->n && i < PDUS_MAX; i++)
		FUZZ_CHECK(memcmp(&a->recs[i], &b->recs[i], sizeof(a->recs[i])) == 0,
			   "PDU %d differs (%s)", i, nvme_tcp_pdu_type_name(a->recs[i].type));
	if (ra == 0)
		FUZZ_CHECK(a->rx.state == b->rx.state, "state %d vs %d", a->rx.state, b->rx.state);
out:
	if (a)
		free(a->data);
	if (b)
		free(b->data);
	free(a);
	free(b);
	free(stage);
	return 0;
}
