/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP PDU codec: every PDU type built by the send path and read back
 * by the receive machine in every segmentation (whole, byte by byte, random
 * pieces, socket-style reads into the regions the machine names, staged
 * reads through a small buffer), with digests on and off and every data
 * alignment; data placed into iovecs of odd shapes; the wire layout of the
 * fixed PDUs byte for byte; every header check with its FES and FEI; the
 * TermReq answering an error; the iovec helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_nvme_tcp_util.h"

#define STREAM_MAX (1u << 20)

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

/* What a host sends (the target receives), ending with its TermReq. */
static const struct tpdu g_h2c[] = {
	{ .type = NVME_TCP_PDU_IC_REQ, .pda = 0, .dgst = 3, .limit = 3 },
	{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 1, .seed = 1 },
	{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 2, .data_len = 100, .seed = 2 },
	{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 3, .data_len = 1, .seed = 3 },
	{ .type = NVME_TCP_PDU_H2C_DATA, .cccid = 4, .ttag = 7, .off = 0, .data_len = 5000, .seed = 4 },
	{ .type = NVME_TCP_PDU_H2C_DATA, .cccid = 4, .ttag = 7, .off = 5000, .data_len = 1, .last = true, .seed = 5 },
	{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 5, .data_len = 8192, .seed = 6 },
	{ .type = NVME_TCP_PDU_H2C_DATA, .cccid = 6, .ttag = 0xffff, .off = 65536, .data_len = 65536, .last = true, .seed = 7 },
	{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 0xffff, .seed = 8 },
	{ .type = NVME_TCP_PDU_H2C_TERM_REQ, .fes = NVME_TCP_FES_INVALID_HEADER_FIELD, .fei = 4, .quote_len = 72, .seed = 9 },
};

/* What a controller sends (the host receives), ending with its TermReq. */
static const struct tpdu g_c2h[] = {
	{ .type = NVME_TCP_PDU_IC_RESP, .pda = 0, .dgst = 1, .limit = 131072 },
	{ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 1, .seed = 1 },
	{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 2, .off = 0, .data_len = 4096, .last = true, .success = true, .seed = 2 },
	{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 3, .off = 8, .data_len = 3, .seed = 3 },
	{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 3, .off = 11, .data_len = 70000, .last = true, .seed = 4 },
	{ .type = NVME_TCP_PDU_R2T, .cccid = 5, .ttag = 9, .off = 0, .len = 65536, .seed = 5 },
	{ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 3, .seed = 6 },
	{ .type = NVME_TCP_PDU_R2T, .cccid = 6, .ttag = 10, .off = 4096, .len = 1, .seed = 7 },
	{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 7, .data_len = 1, .last = true, .seed = 8 },
	{ .type = NVME_TCP_PDU_C2H_TERM_REQ, .fes = NVME_TCP_FES_PDU_SEQUENCE_ERROR, .quote_len = 200, .seed = 9 },
};

struct session {
	enum nvme_tcp_role rx_role;
	const struct tpdu *pdus;
	int count;
	struct nvme_tcp_params tx;   /* the sender's, after IC */
	struct nvme_tcp_params rx;   /* the receiver's, after IC */
	uint8_t *bytes;
	size_t len;
	size_t ends[16];             /* stream offset where each PDU ends */
};

static void session_make(struct session *s, enum nvme_tcp_role rx_role, bool hdgst, bool ddgst,
			 uint8_t pda)
{
	memset(s, 0, sizeof(*s));
	s->rx_role = rx_role;
	s->pdus = rx_role == NVME_TCP_ROLE_TARGET ? g_h2c : g_c2h;
	s->count = rx_role == NVME_TCP_ROLE_TARGET ? (int)(sizeof(g_h2c) / sizeof(g_h2c[0])) :
						     (int)(sizeof(g_c2h) / sizeof(g_c2h[0]));
	s->tx.hdgst = s->rx.hdgst = hdgst;
	s->tx.ddgst = s->rx.ddgst = ddgst;
	s->tx.tx_pda = s->rx.rx_pda = pda;
	s->rx.max_icd = 8192;
	s->rx.max_h2c_data = 65536;
	s->bytes = malloc(STREAM_MAX);
	assert_non_null(s->bytes);
	for (int i = 0; i < s->count; i++) {
		/* IC PDUs go before the parameters exist */
		long n = tpdu_encode(&s->pdus[i], i == 0 ? NULL : &s->tx, s->bytes + s->len,
				     STREAM_MAX - s->len);

		assert_true(n > 0);
		s->len += (size_t)n;
		s->ends[i] = s->len;
	}
}

static void session_free(struct session *s)
{
	free(s->bytes);
}

/* All PDUs arrived as sent, and the machine stopped on the final TermReq. */
static void session_check(const struct session *s, struct towner *o, int rc, const char *how)
{
	struct nvme_tcp_rx_err e;

	if (rc != -ECONNABORTED || o->n != s->count)
		fprintf(stderr, "%s: rc %d after %d of %d PDUs\n", how, rc, o->n, s->count);
	assert_int_equal(rc, -ECONNABORTED);
	assert_int_equal(o->n, s->count);
	for (int i = 0; i < s->count; i++)
		assert_true(towner_check(o, i, &s->pdus[i]));
	assert_int_equal(nvme_tcp_rx_error(&o->rx, &e), -ECONNABORTED);
	assert_int_equal(e.code, NVME_TCP_ERR_TERM);
	assert_int_equal(e.fes, 0);
}

enum drive {
	DRIVE_WHOLE,
	DRIVE_BYTES,
	DRIVE_PIECES,
	DRIVE_IOV_EXACT,
	DRIVE_IOV_EXACT_1,      /* one region per read */
	DRIVE_IOV_SMALL_READS,  /* 1..7 bytes per read into the named regions */
	DRIVE_STAGED_256,
	DRIVE_STAGED_4K,
	DRIVE_STAGED_4K_SMALL_READS,
	DRIVE_STAGED_NO_DIRECT, /* every byte through the buffer */
	DRIVE_COUNT,
};

static int drive(struct towner *o, const struct session *s, enum drive how, unsigned seed,
		 uint8_t *buf)
{
	switch (how) {
	case DRIVE_WHOLE:
		return nvme_tcp_rx_feed(&o->rx, s->bytes, s->len);
	case DRIVE_BYTES:
		return tfeed_pieces(&o->rx, s->bytes, s->len, 1, &seed);
	case DRIVE_PIECES:
		return tfeed_pieces(&o->rx, s->bytes, s->len, 3000, &seed);
	case DRIVE_IOV_EXACT:
		return tfeed_iov(&o->rx, s->bytes, s->len, 1 << 20, 8, &seed);
	case DRIVE_IOV_EXACT_1:
		return tfeed_iov(&o->rx, s->bytes, s->len, 1 << 20, 1, &seed);
	case DRIVE_IOV_SMALL_READS:
		return tfeed_iov(&o->rx, s->bytes, s->len, 7, 4, &seed);
	case DRIVE_STAGED_256:
		assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 256, 0), 0);
		return tfeed_iov(&o->rx, s->bytes, s->len, 1 << 20, 8, &seed);
	case DRIVE_STAGED_4K:
		assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 4096, 512), 0);
		return tfeed_iov(&o->rx, s->bytes, s->len, 1 << 20, 32, &seed);
	case DRIVE_STAGED_4K_SMALL_READS:
		assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 4096, 1), 0);
		return tfeed_iov(&o->rx, s->bytes, s->len, 100, 3, &seed);
	case DRIVE_STAGED_NO_DIRECT:
		assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 8192, UINT32_MAX), 0);
		return tfeed_iov(&o->rx, s->bytes, s->len, 1 << 20, 8, &seed);
	default:
		return -EINVAL;
	}
}

static void test_sessions(void **state)
{
	static const uint8_t pdas[] = { 0, 1, 7, 31 };
	uint8_t *buf = malloc(8192);

	assert_non_null(buf);
	for (int role = 0; role < 2; role++) {
		for (int dg = 0; dg < 4; dg++) {
			for (size_t p = 0; p < sizeof(pdas); p++) {
				struct session s;

				session_make(&s, role ? NVME_TCP_ROLE_TARGET : NVME_TCP_ROLE_HOST,
					     dg & 1, dg & 2, pdas[p]);
				for (int how = 0; how < DRIVE_COUNT; how++) {
					for (unsigned seed = 1; seed <= (how >= DRIVE_PIECES ? 3u : 1u); seed++) {
						struct towner *o = malloc(sizeof(*o));
						char name[96];
						int rc;

						assert_non_null(o);
						towner_init(o, s.rx_role, &s.rx, seed * 7919u + (unsigned)how);
						rc = drive(o, &s, how, seed, buf);
						snprintf(name, sizeof(name), "role %d dgst %d pda %u drive %d seed %u",
							 role, dg, pdas[p], how, seed);
						session_check(&s, o, rc, name);
						towner_fini(o);
						free(o);
					}
				}
				session_free(&s);
			}
		}
	}
	free(buf);
}

/* Many small PDUs out of one read: 200 CapsuleResp/R2T in a 4 KiB staging buffer. */
static void test_many_small_in_one_read(void **state)
{
	static struct tpdu pdus[201];
	struct nvme_tcp_params p = { .hdgst = true };
	uint8_t *stream = malloc(16384), buf[4096];
	struct towner *o = malloc(sizeof(*o));
	struct iovec iov[4];
	size_t len = 0, pos = 0;
	int reads = 0, n;

	assert_non_null(stream);
	assert_non_null(o);
	pdus[0] = (struct tpdu){ .type = NVME_TCP_PDU_IC_RESP, .dgst = 1, .limit = 8192 };
	for (int i = 1; i < 201; i++) {
		pdus[i] = (struct tpdu){ .type = i % 3 ? NVME_TCP_PDU_CAPSULE_RESP : NVME_TCP_PDU_R2T,
					 .cccid = (uint16_t)i, .ttag = (uint16_t)(i * 3), .off = (uint32_t)i,
					 .len = 512, .seed = (uint8_t)i };
	}
	for (int i = 0; i < 201; i++) {
		long k = tpdu_encode(&pdus[i], i ? &p : NULL, stream + len, 16384 - len);

		assert_true(k > 0);
		len += (size_t)k;
	}
	towner_init(o, NVME_TCP_ROLE_HOST, &p, 1);
	assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, sizeof(buf), 0), 0);
	while (pos < len) {
		size_t k;

		n = nvme_tcp_rx_iov(&o->rx, iov, 4);
		/* between PDUs the whole staging buffer is offered, nothing else */
		assert_int_equal(n, 1);
		assert_ptr_equal(iov[0].iov_base, buf);
		assert_int_equal(iov[0].iov_len, sizeof(buf));
		k = len - pos < sizeof(buf) ? len - pos : sizeof(buf);
		memcpy(buf, stream + pos, k);
		assert_int_equal(nvme_tcp_rx_advance(&o->rx, k), 0);
		pos += k;
		reads++;
	}
	assert_int_equal(o->n, 201);
	for (int i = 0; i < 201; i++)
		assert_true(towner_check(o, i, &pdus[i]));
	/* 200 PDUs of 28 bytes (ICResp 128): 5728 bytes, two reads */
	assert_int_equal(len, 128 + 200 * 28);
	assert_int_equal(reads, 2);
	towner_fini(o);
	free(o);
	free(stream);
}

/* Staged mode: large data goes straight to the owner's iovecs, the buffer behind them. */
static void test_staged_direct_data(void **state)
{
	struct tpdu pdus[3] = {
		{ .type = NVME_TCP_PDU_IC_RESP, .limit = 65536 },
		{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 1, .data_len = 100000, .last = true, .seed = 1 },
		{ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 1, .seed = 2 },
	};
	struct nvme_tcp_params p = { .ddgst = true };
	uint8_t *stream = malloc(200000), buf[1024];
	struct towner *o = malloc(sizeof(*o));
	struct iovec iov[32];
	size_t len = 0, pos, direct = 0, first;
	int n;

	assert_non_null(stream);
	assert_non_null(o);
	for (int i = 0; i < 3; i++) {
		long k = tpdu_encode(&pdus[i], i ? &p : NULL, stream + len, 200000 - len);

		assert_true(k > 0);
		len += (size_t)k;
	}
	towner_init(o, NVME_TCP_ROLE_HOST, &p, 3);
	assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, sizeof(buf), 0), 0);
	/* First read: ICResp and the C2HData header and its first data bytes, staged. */
	n = nvme_tcp_rx_iov(&o->rx, iov, 32);
	assert_int_equal(n, 1);
	memcpy(buf, stream, sizeof(buf));
	assert_int_equal(nvme_tcp_rx_advance(&o->rx, sizeof(buf)), 0);
	pos = sizeof(buf);
	first = pos - 128 - 24;
	/* Now the owner's iovecs are offered, then the staging buffer. */
	while (pos < len) {
		size_t got = 0, want = 7000;

		n = nvme_tcp_rx_iov(&o->rx, iov, 32);
		assert_true(n >= 1);
		for (int i = 0; i < n && got < want && pos + got < len; i++) {
			size_t k = iov[i].iov_len;

			if (k > want - got)
				k = want - got;
			if (k > len - pos - got)
				k = len - pos - got;
			if (iov[i].iov_base != buf)
				direct += k;
			memcpy(iov[i].iov_base, stream + pos + got, k);
			got += k;
		}
		assert_int_equal(nvme_tcp_rx_advance(&o->rx, got), 0);
		pos += got;
	}
	assert_int_equal(o->n, 3);
	for (int i = 0; i < 3; i++)
		assert_true(towner_check(o, i, &pdus[i]));
	/* Only what the first read brought along was copied. */
	assert_int_equal(direct, 100000 - first);
	towner_fini(o);
	free(o);
	free(stream);
}

/*
 * Staged mode, streaming: after a data PDU as long as the staging buffer,
 * only NVME_TCP_RX_STREAM_TAIL bytes of it are offered behind the data, so
 * the next long PDU's data is read in place, not copied out of the buffer;
 * a short data PDU brings the whole buffer back. Every read takes all that
 * is offered and available (a socket with the whole stream queued).
 */
static void test_staged_streaming(void **state)
{
	enum { BIG = 65536, NP = 7 };
	struct tpdu pdus[NP] = {
		{ .type = NVME_TCP_PDU_IC_RESP, .limit = 65536 },
		{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 1, .data_len = BIG, .last = true, .seed = 1 },
		{ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 1, .seed = 2 },
		{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 2, .data_len = BIG, .last = true,
		  .success = true, .seed = 3 },
		{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 3, .data_len = BIG, .last = true,
		  .success = true, .seed = 4 },
		{ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 4, .data_len = 4096, .last = true,
		  .success = true, .seed = 5 },
		{ .type = NVME_TCP_PDU_CAPSULE_RESP, .cccid = 5, .seed = 6 },
	};
	struct nvme_tcp_params p = { 0 };
	size_t cap = 4 * BIG, len = 0, pos = 0, staged = 0;
	uint8_t *stream = malloc(cap), *buf = malloc(16384);
	struct towner *o = malloc(sizeof(*o));
	struct iovec iov[32];
	int n;

	(void)state;
	assert_non_null(stream);
	assert_non_null(buf);
	assert_non_null(o);
	for (int i = 0; i < NP; i++) {
		long k = tpdu_encode(&pdus[i], i ? &p : NULL, stream + len, cap - len);

		assert_true(k > 0);
		len += (size_t)k;
	}
	towner_init(o, NVME_TCP_ROLE_HOST, &p, NP);
	assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 16384, 0), 0);
	while (pos < len) {
		size_t got = 0;

		n = nvme_tcp_rx_iov(&o->rx, iov, 32);
		assert_true(n >= 1);
		for (int i = 0; i < n && pos + got < len; i++) {
			size_t k = iov[i].iov_len;

			if (k > len - pos - got)
				k = len - pos - got;
			if (iov[i].iov_base == buf)
				staged += k;
			memcpy(iov[i].iov_base, stream + pos + got, k);
			got += k;
		}
		assert_int_equal(nvme_tcp_rx_advance(&o->rx, got), 0);
		pos += got;
	}
	assert_int_equal(o->n, NP);
	for (int i = 0; i < NP; i++)
		assert_true(towner_check(o, i, &pdus[i]));
	/* Staged: the first read (16 KiB: ICResp, header, data), then at most one
	 * tail per PDU; the 4 KiB PDU and the last CapsuleResp fit one tail. */
	assert_true(staged <= 16384 + 4 * NVME_TCP_RX_STREAM_TAIL);
	/* After the short data PDU the whole buffer is offered again. */
	n = nvme_tcp_rx_iov(&o->rx, iov, 32);
	assert_int_equal(n, 1);
	assert_ptr_equal(iov[0].iov_base, buf);
	assert_int_equal(iov[0].iov_len, 16384);
	towner_fini(o);
	free(o);
	free(buf);
	free(stream);
}

/* ------------------------------------------------------------------------ */
/* Wire layout                                                              */
/* ------------------------------------------------------------------------ */

static size_t flatten(const struct iovec *iov, int n, uint8_t *out)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

static void test_layout(void **state)
{
	struct nvme_tcp_pdu pdu;
	struct iovec iov[8];
	uint8_t b[512], data[10];
	struct iovec d = { data, sizeof(data) };
	struct nvme_tcp_params p = { .hdgst = true, .ddgst = true, .tx_pda = 3 };
	struct sio_nvme_cmd sqe;
	struct sio_nvme_cpl cqe;
	int n;

	/* ICReq: CH 00 00 80 00 80000000, PFV 0, HPDA, DGST, MAXR2T, zeros */
	nvme_tcp_pdu_ic_req_init(&pdu, 2, true, false, 0x01020304);
	n = nvme_tcp_pdu_build(&pdu, &p, NULL, 0, 0, iov, 8);
	assert_int_equal(n, 1);
	assert_int_equal(flatten(iov, n, b), 128);
	static const uint8_t icreq[16] = { 0x00, 0x00, 0x80, 0x00, 0x80, 0, 0, 0,
					   0x00, 0x00, 0x02, 0x01, 0x04, 0x03, 0x02, 0x01 };
	assert_memory_equal(b, icreq, 16);
	for (int i = 16; i < 128; i++)
		assert_int_equal(b[i], 0);

	/* ICResp */
	nvme_tcp_pdu_ic_resp_init(&pdu, 31, true, true, 131072);
	n = nvme_tcp_pdu_build(&pdu, NULL, NULL, 0, 0, iov, 8);
	assert_int_equal(flatten(iov, n, b), 128);
	static const uint8_t icresp[16] = { 0x01, 0x00, 0x80, 0x00, 0x80, 0, 0, 0,
					    0x00, 0x00, 0x1f, 0x03, 0x00, 0x00, 0x02, 0x00 };
	assert_memory_equal(b, icresp, 16);

	/* CapsuleCmd, digests, CPDA 3 (16-byte alignment): 72 + 4 -> PDO 80, 4 pad bytes */
	memset(&sqe, 0, sizeof(sqe));
	sqe.opc = 0x01;
	sqe.cid = 0x1234;
	nvme_tcp_pdu_capsule_cmd_init(&pdu, &sqe);
	memset(data, 0x5a, sizeof(data));
	n = nvme_tcp_pdu_build(&pdu, &p, &d, 1, 10, iov, 8);
	assert_int_equal(n, 4);
	assert_int_equal(iov[0].iov_len, 76);
	assert_int_equal(iov[1].iov_len, 4);
	assert_ptr_equal(iov[2].iov_base, data);
	assert_int_equal(iov[3].iov_len, 4);
	assert_int_equal(flatten(iov, n, b), 80 + 10 + 4);
	assert_int_equal(b[0], 0x04);
	assert_int_equal(b[1], NVME_TCP_F_HDGSTF | NVME_TCP_F_DDGSTF);
	assert_int_equal(b[2], 72);
	assert_int_equal(b[3], 80);
	assert_int_equal(nvme_tcp_get_le32(b + 4), 94);
	assert_int_equal(b[8], 0x01);
	assert_int_equal(nvme_tcp_get_le16(b + 10), 0x1234);
	assert_int_equal(nvme_tcp_get_le32(b + 72), sio_crc32c(b, 72));
	assert_memory_equal(b + 76, "\0\0\0\0", 4);
	assert_int_equal(nvme_tcp_get_le32(b + 90), sio_crc32c(data, 10));

	/* CapsuleCmd without data: PDO 0, no data digest even with ddgst on */
	nvme_tcp_pdu_capsule_cmd_init(&pdu, &sqe);
	n = nvme_tcp_pdu_build(&pdu, &p, NULL, 0, 0, iov, 8);
	assert_int_equal(n, 1);
	assert_int_equal(flatten(iov, n, b), 76);
	assert_int_equal(b[1], NVME_TCP_F_HDGSTF);
	assert_int_equal(b[3], 0);

	/* CapsuleResp, no digests */
	memset(&cqe, 0, sizeof(cqe));
	cqe.cid = 0x55aa;
	nvme_tcp_pdu_capsule_resp_init(&pdu, &cqe);
	n = nvme_tcp_pdu_build(&pdu, NULL, NULL, 0, 0, iov, 8);
	assert_int_equal(flatten(iov, n, b), 24);
	static const uint8_t resp[8] = { 0x05, 0x00, 0x18, 0x00, 0x18, 0, 0, 0 };
	assert_memory_equal(b, resp, 8);
	assert_int_equal(nvme_tcp_get_le16(b + 8 + 12), 0x55aa);

	/* C2HData: CCCID, reserved, DATAO, DATAL, LAST|SUCCESS */
	nvme_tcp_pdu_c2h_data_init(&pdu, 0x0102, 0x10000, true, true);
	p.tx_pda = 0;
	n = nvme_tcp_pdu_build(&pdu, &p, &d, 1, 10, iov, 8);
	assert_int_equal(n, 3);
	assert_int_equal(flatten(iov, n, b), 28 + 10 + 4);
	assert_int_equal(b[0], 0x07);
	assert_int_equal(b[1], 0x0f);
	assert_int_equal(b[3], 28);
	assert_int_equal(nvme_tcp_get_le16(b + 8), 0x0102);
	assert_int_equal(nvme_tcp_get_le16(b + 10), 0);
	assert_int_equal(nvme_tcp_get_le32(b + 12), 0x10000);
	assert_int_equal(nvme_tcp_get_le32(b + 16), 10);

	/* SUCCESS without LAST is dropped */
	nvme_tcp_pdu_c2h_data_init(&pdu, 1, 0, false, true);
	assert_int_equal(pdu.hdr.ch.flags, 0);

	/* R2T */
	nvme_tcp_pdu_r2t_init(&pdu, 7, 8, 4096, 8192);
	n = nvme_tcp_pdu_build(&pdu, NULL, NULL, 0, 0, iov, 8);
	assert_int_equal(flatten(iov, n, b), 24);
	static const uint8_t r2t[24] = { 0x09, 0, 0x18, 0, 0x18, 0, 0, 0, 7, 0, 8, 0,
					 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(b, r2t, 24);

	/* H2CTermReq quoting 200 bytes keeps 128: PLEN 152, FES at 8, FEI at 10 */
	memset(data, 1, sizeof(data));
	uint8_t q[200];

	memset(q, 0x77, sizeof(q));
	nvme_tcp_pdu_term_req_init(&pdu, NVME_TCP_ROLE_HOST, 1, 0x04030201, q, sizeof(q));
	n = nvme_tcp_pdu_build(&pdu, &p, NULL, 0, 0, iov, 8);
	assert_int_equal(n, 1);
	assert_int_equal(flatten(iov, n, b), 152);
	static const uint8_t term[16] = { 0x02, 0, 0x18, 0, 0x98, 0, 0, 0, 1, 0, 1, 2, 3, 4, 0, 0 };
	assert_memory_equal(b, term, 16);
	assert_int_equal(b[24], 0x77);
	assert_int_equal(b[151], 0x77);
	nvme_tcp_pdu_term_req_init(&pdu, NVME_TCP_ROLE_TARGET, 2, 0, NULL, 50);
	n = nvme_tcp_pdu_build(&pdu, &p, NULL, 0, 0, iov, 8);
	assert_int_equal(flatten(iov, n, b), 24);
	assert_int_equal(b[0], 0x03);
}

static void test_build_errors(void **state)
{
	struct nvme_tcp_pdu pdu;
	struct iovec iov[8], d[3];
	uint8_t data[64];
	struct nvme_tcp_params p = { .ddgst = true };

	d[0] = (struct iovec){ data, 10 };
	d[1] = (struct iovec){ data + 10, 10 };
	d[2] = (struct iovec){ data + 20, 10 };
	nvme_tcp_pdu_r2t_init(&pdu, 1, 1, 0, 1);
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 1, 10, iov, 8), -EINVAL);
	nvme_tcp_pdu_capsule_resp_init(&pdu, &(struct sio_nvme_cpl){ 0 });
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 1, 1, iov, 8), -EINVAL);
	nvme_tcp_pdu_c2h_data_init(&pdu, 1, 0, true, false);
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, NULL, 0, 0, iov, 8), -EINVAL);
	nvme_tcp_pdu_h2c_data_init(&pdu, 1, 1, 0, true);
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, NULL, 0, 0, iov, 8), -EINVAL);
	/* fewer bytes in the iovecs than data_len */
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 3, 31, iov, 8), -EINVAL);
	/* header + 3 data + digest = 5 entries */
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 3, 30, iov, 4), -ENOSPC);
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 3, 30, iov, 0), -ENOSPC);
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 3, 30, iov, 5), 5);
	/* padding needs an entry of its own: PDA 3 puts PDO at 32 */
	p.tx_pda = 3;
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 1, 10, iov, 1), -ENOSPC);
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 1, 10, iov, 4), 4);
	assert_int_equal(pdu.hdr.ch.pdo, 32);
	p.tx_pda = 0;
	/* data_len below the iovecs' total: only that much is sent */
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 3, 15, iov, 8), 4);
	assert_int_equal(iov[2].iov_len, 5);
	assert_int_equal(nvme_tcp_pdu_plen(&pdu), 24 + 15 + 4);
	/* PLEN above 4 GiB */
	nvme_tcp_pdu_c2h_data_init(&pdu, 1, 0, true, false);
	p.tx_pda = 31;
	struct iovec big = { data, UINT32_MAX };

	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, &big, 1, UINT32_MAX - 100, iov, 8), -EINVAL);
	p.tx_pda = 32;
	assert_int_equal(nvme_tcp_pdu_build(&pdu, &p, d, 1, 10, iov, 8), -EINVAL);
	pdu.hdr.ch.pdu_type = 0x08;
	assert_int_equal(nvme_tcp_pdu_build(&pdu, NULL, NULL, 0, 0, iov, 8), -EINVAL);
	pdu.hdr.ch.pdu_type = 0xff;
	assert_int_equal(nvme_tcp_pdu_build(&pdu, NULL, NULL, 0, 0, iov, 8), -EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Header checks                                                            */
/* ------------------------------------------------------------------------ */

/* Encode @p (after an IC PDU from @ic unless @ic is NULL) into @out; return length. */
static size_t encode2(const struct tpdu *ic, const struct tpdu *p,
		      const struct nvme_tcp_params *tx, uint8_t *out, size_t *ic_len)
{
	size_t len = 0;
	long n;

	if (ic != NULL) {
		n = tpdu_encode(ic, NULL, out, 4096);
		assert_true(n > 0);
		len = (size_t)n;
	}
	*ic_len = len;
	if (p != NULL) {
		n = tpdu_encode(p, tx, out + len, 65536);
		assert_true(n > 0);
		len += (size_t)n;
	}
	return len;
}

/* Owner behaviour for the next expect_error() calls (refuse_at -1: none). */
static struct towner g_hook = { .refuse_at = -1 };

/*
 * Feed @len bytes to a fresh machine of @role with @rxp applied after the IC
 * PDU, whole and byte by byte; both must stop with @err, @code, @fes, @fei
 * and the same number of PDUs delivered.
 */
static void expect_error(enum nvme_tcp_role role, const struct nvme_tcp_params *rxp,
			 const uint8_t *bytes, size_t len, int err, enum nvme_tcp_err code,
			 uint16_t fes, uint32_t fei, int delivered)
{
	for (int how = 0; how < 3; how++) {
		struct towner *o = malloc(sizeof(*o));
		struct nvme_tcp_rx_err e;
		unsigned seed = 5;
		int rc;

		assert_non_null(o);
		towner_init(o, role, rxp, 1);
		o->refuse_at = g_hook.refuse_at;
		o->refuse_in_data = g_hook.refuse_in_data;
		o->refuse_errno = g_hook.refuse_errno;
		o->refuse_fes = g_hook.refuse_fes;
		o->refuse_fei = g_hook.refuse_fei;
		o->short_iov = g_hook.short_iov;
		if (how == 0)
			rc = nvme_tcp_rx_feed(&o->rx, bytes, len);
		else if (how == 1)
			rc = tfeed_pieces(&o->rx, bytes, len, 1, &seed);
		else
			rc = tfeed_iov(&o->rx, bytes, len, 1 << 20, 8, &seed);
		if (rc != err || o->rx.err_code != code || o->rx.fei != fei)
			fprintf(stderr, "how %d: rc %d code %d (%s) fes %u fei %u\n", how, rc,
				o->rx.err_code, nvme_tcp_err_name(o->rx.err_code), o->rx.fes,
				o->rx.fei);
		assert_int_equal(rc, err);
		assert_int_equal(nvme_tcp_rx_error(&o->rx, &e), err);
		assert_int_equal(e.code, code);
		assert_int_equal(e.fes, fes);
		assert_int_equal(e.fei, fei);
		assert_int_equal(o->n, delivered);
		assert_true(e.hdr_len >= 8 && e.hdr_len <= NVME_TCP_TERM_REQ_DATA_MAX);
		/* stopped for good */
		assert_int_equal(nvme_tcp_rx_feed(&o->rx, bytes, len), err);
		assert_int_equal(nvme_tcp_rx_iov(&o->rx, (struct iovec[1]){ { 0 } }, 1), 0);
		assert_int_equal(nvme_tcp_rx_advance(&o->rx, 0), err);
		towner_fini(o);
		free(o);
	}
}

/* Like expect_error() for a header checked at the CH/PSH with a protocol error. */
#define EXPECT_PROTO(role, rxp, b, len, code, fes, fei, delivered) \
	expect_error(role, rxp, b, len, -EPROTO, code, fes, fei, delivered)

#define INV NVME_TCP_FES_INVALID_HEADER_FIELD
#define H NVME_TCP_ROLE_HOST
#define T NVME_TCP_ROLE_TARGET

static const struct tpdu g_icreq = { .type = NVME_TCP_PDU_IC_REQ, .limit = 1 };
static const struct tpdu g_icresp = { .type = NVME_TCP_PDU_IC_RESP, .limit = 8192 };

static void test_check_type_and_sequence(void **state)
{
	static const struct nvme_tcp_params none;
	uint8_t b[4096];
	size_t icl, len;

	/* unknown types, before and after IC */
	for (int t = 0x08; t <= 0xff; t++) {
		if (t == NVME_TCP_PDU_R2T)
			continue;
		len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD }, &none, b, &icl);
		b[icl] = (uint8_t)t;
		EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_TYPE, INV, 0, 1);
		EXPECT_PROTO(T, &none, b + icl, len - icl, NVME_TCP_ERR_TYPE, INV, 0, 0);
		if (t > 0x10)
			t += 16;
	}
	/* PDUs of the other direction */
	static const uint8_t to_host[] = { NVME_TCP_PDU_IC_RESP, NVME_TCP_PDU_C2H_TERM_REQ,
					   NVME_TCP_PDU_CAPSULE_RESP, NVME_TCP_PDU_C2H_DATA,
					   NVME_TCP_PDU_R2T };
	static const uint8_t to_target[] = { NVME_TCP_PDU_IC_REQ, NVME_TCP_PDU_H2C_TERM_REQ,
					     NVME_TCP_PDU_CAPSULE_CMD, NVME_TCP_PDU_H2C_DATA };
	for (size_t i = 0; i < sizeof(to_host); i++) {
		len = encode2(&g_icreq, &(struct tpdu){ .type = to_host[i], .limit = 4096, .len = 1,
							.data_len = to_host[i] == NVME_TCP_PDU_C2H_DATA ? 8 : 0 },
			      &none, b, &icl);
		EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_TYPE, INV, 0, 1);
	}
	for (size_t i = 0; i < sizeof(to_target); i++) {
		len = encode2(&g_icresp, &(struct tpdu){ .type = to_target[i],
							 .data_len = to_target[i] >= NVME_TCP_PDU_CAPSULE_CMD ? 8 : 0 },
			      &none, b, &icl);
		EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_TYPE, INV, 0, 1);
	}
	/* nothing before the IC PDU, and the IC PDU once */
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD }, &none, b, &icl);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_SEQUENCE, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 0);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .len = 1 }, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_SEQUENCE, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 0);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 1 }, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_SEQUENCE, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 0);
	len = encode2(&g_icreq, &g_icreq, &none, b, &icl);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_SEQUENCE, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 1);
	len = encode2(&g_icresp, &g_icresp, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_SEQUENCE, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 1);
	/* a TermReq may come first (a controller refusing the ICReq) */
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_TERM_REQ, .fes = 6, .fei = 8,
					    .quote_len = 128 }, &none, b, &icl);
	expect_error(H, &none, b, len, -ECONNABORTED, NVME_TCP_ERR_TERM, 0, 0, 1);
}

static void test_check_common_header(void **state)
{
	static const struct nvme_tcp_params none;
	const struct nvme_tcp_params hd = { .hdgst = true }, dd = { .ddgst = true };
	const struct nvme_tcp_params pda3 = { .rx_pda = 3, .max_icd = 4096 };
	const struct nvme_tcp_params icd = { .max_icd = 4096 };
	uint8_t b[8192];
	size_t icl, len;

	/* FLAGS: reserved bits, digest bits on IC/TermReq, against the negotiation */
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD }, &none, b, &icl);
	b[icl + 1] = 0x10;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	b[icl + 1] = NVME_TCP_F_LAST_PDU;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	b[1] = NVME_TCP_F_HDGSTF;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 0);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_H2C_TERM_REQ, .fes = 1 }, &none, b, &icl);
	b[1] = NVME_TCP_F_DDGSTF;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 0);
	/* header digest present but not negotiated, negotiated but absent */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP }, &hd, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP }, &none, b, &icl);
	EXPECT_PROTO(H, &hd, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	/* data digest present but not negotiated, negotiated but absent */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &dd, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &none, b, &icl);
	EXPECT_PROTO(H, &dd, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	/* DDGSTF on a CapsuleCmd without data; on R2T (never data) */
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD }, &none, b, &icl);
	b[icl + 1] = NVME_TCP_F_DDGSTF;
	EXPECT_PROTO(T, &dd, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .len = 1 }, &none, b, &icl);
	b[icl + 1] = NVME_TCP_F_DDGSTF;
	EXPECT_PROTO(H, &dd, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);
	/* C2HData SUCCESS without LAST_PDU (checked with the PDU-specific header) */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &none, b, &icl);
	b[icl + 1] = NVME_TCP_F_SUCCESS;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FLAGS, INV, 1, 1);

	/* HLEN */
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD }, &none, b, &icl);
	b[icl + 2] = 24;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_HLEN, INV, 2, 1);
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	b[2] = 127;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_HLEN, INV, 2, 0);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .len = 1 }, &none, b, &icl);
	b[icl + 2] = 255;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_HLEN, INV, 2, 1);

	/* PDO: set on PDUs without data, missing on data PDUs, inside the header, misaligned */
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	b[3] = 128;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_PDO, INV, 3, 0);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .len = 1 }, &none, b, &icl);
	b[icl + 3] = 24;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PDO, INV, 3, 1);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_TERM_REQ, .fes = 1, .quote_len = 8 },
		      &none, b, &icl);
	b[3] = 24;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PDO, INV, 3, 0);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &none, b, &icl);
	b[icl + 3] = 0;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PDO, INV, 3, 1);
	b[icl + 3] = 20;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PDO, INV, 3, 1);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &hd, b, &icl);
	b[icl + 3] = 24;   /* the header digest lies in 24..27 */
	EXPECT_PROTO(H, &hd, b, len, NVME_TCP_ERR_PDO, INV, 3, 1);
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD, .data_len = 9 }, &none, b, &icl);
	assert_int_equal(b[icl + 3], 72);
	EXPECT_PROTO(T, &pda3, b, len, NVME_TCP_ERR_PDO, INV, 3, 1);   /* 72 % 16 */
	/* PDO past PLEN (no data byte left) */
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD, .data_len = 4 }, &none, b, &icl);
	b[icl + 3] = 76;
	EXPECT_PROTO(T, &icd, b, len, NVME_TCP_ERR_PLEN, INV, 4, 1);

	/* PLEN */
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	nvme_tcp_put_le32(b + 4, 129);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_PLEN, INV, 4, 0);
	nvme_tcp_put_le32(b + 4, 0xffffffff);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_PLEN, INV, 4, 0);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_H2C_TERM_REQ, .fes = 1 }, &none, b, &icl);
	nvme_tcp_put_le32(b + 4, 23);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_PLEN, INV, 4, 0);
	nvme_tcp_put_le32(b + 4, 153);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_PLEN, INV, 4, 0);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP }, &none, b, &icl);
	nvme_tcp_put_le32(b + icl + 4, 25);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PLEN, INV, 4, 1);
	nvme_tcp_put_le32(b + icl + 4, 0);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PLEN, INV, 4, 1);
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD }, &none, b, &icl);
	nvme_tcp_put_le32(b + icl + 4, 80);   /* data behind PLEN but PDO 0 */
	EXPECT_PROTO(T, &icd, b, len, NVME_TCP_ERR_PLEN, INV, 4, 1);
	/* data digest flagged, PLEN leaves no data byte before it */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 4 }, &dd, b, &icl);
	nvme_tcp_put_le32(b + icl + 4, 28);
	EXPECT_PROTO(H, &dd, b, len, NVME_TCP_ERR_PLEN, INV, 4, 1);
}

static void test_check_psh(void **state)
{
	static const struct nvme_tcp_params none;
	const struct nvme_tcp_params hd = { .hdgst = true };
	const struct nvme_tcp_params lim = { .max_h2c_data = 4096, .max_icd = 100 };
	uint8_t b[16384];
	size_t icl, len;

	/* header digest */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_RESP }, &hd, b, &icl);
	b[icl + 24] ^= 1;
	EXPECT_PROTO(H, &hd, b, len, NVME_TCP_ERR_HDGST, NVME_TCP_FES_HDGST_ERROR, 0, 1);
	b[icl + 24] ^= 1;
	b[icl + 9] ^= 0x80;   /* a header byte instead */
	EXPECT_PROTO(H, &hd, b, len, NVME_TCP_ERR_HDGST, NVME_TCP_FES_HDGST_ERROR, 0, 1);

	/* ICReq / ICResp fields */
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	b[8] = 1;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_PARAM, NVME_TCP_FES_UNSUPPORTED_PARAM, 8, 0);
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	b[10] = 32;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_FIELD, INV, 10, 0);
	len = encode2(NULL, &g_icreq, &none, b, &icl);
	b[11] = 4;
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_FIELD, INV, 11, 0);
	len = encode2(NULL, &g_icresp, &none, b, &icl);
	b[9] = 1;
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_PARAM, NVME_TCP_FES_UNSUPPORTED_PARAM, 8, 0);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_IC_RESP, .limit = 4095 }, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FIELD, INV, 12, 0);
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_IC_RESP, .limit = 4098 }, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FIELD, INV, 12, 0);
	/* the extremes that are fine */
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_IC_RESP, .limit = 4096, .pda = 31,
					    .dgst = 3 }, &none, b, &icl);
	{
		struct towner *o = malloc(sizeof(*o));

		assert_non_null(o);
		towner_init(o, H, &none, 1);
		assert_int_equal(nvme_tcp_rx_feed(&o->rx, b, len), 0);
		assert_int_equal(o->n, 1);
		assert_true(towner_check(o, 0, &(struct tpdu){ .type = NVME_TCP_PDU_IC_RESP, .limit = 4096,
								.pda = 31, .dgst = 3 }));
		towner_fini(o);
		free(o);
	}

	/* C2HData's bytes 10-11 are reserved: whatever is there, no TTAG comes out */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &none, b, &icl);
	b[icl + 10] = 0x34;
	b[icl + 11] = 0x12;
	{
		struct towner *o = malloc(sizeof(*o));

		assert_non_null(o);
		towner_init(o, H, &none, 1);
		assert_int_equal(nvme_tcp_rx_feed(&o->rx, b, len), 0);
		assert_int_equal(o->n, 2);
		assert_int_equal(o->got[1].pdu.data.ttag, 0);
		towner_fini(o);
		free(o);
	}

	/* data PDUs: DATAL against PLEN, DATAO + DATAL past 4 GiB, limits */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9 }, &none, b, &icl);
	nvme_tcp_put_le32(b + icl + 16, 8);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FIELD, INV, 16, 1);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 9,
						 .off = UINT32_MAX - 8 }, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_RANGE, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0, 1);
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_H2C_DATA, .data_len = 4097 }, &none, b, &icl);
	EXPECT_PROTO(T, &lim, b, len, NVME_TCP_ERR_LIMIT, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, 0, 1);
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD, .data_len = 101 }, &none, b, &icl);
	EXPECT_PROTO(T, &lim, b, len, NVME_TCP_ERR_LIMIT, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, 0, 1);
	EXPECT_PROTO(T, &none, b, len, NVME_TCP_ERR_LIMIT, NVME_TCP_FES_DATA_LIMIT_EXCEEDED, 0, 1);
	/* R2T: zero length, past 4 GiB */
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .len = 0 }, &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_FIELD, INV, 16, 1);
	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .off = 1, .len = UINT32_MAX },
		      &none, b, &icl);
	EXPECT_PROTO(H, &none, b, len, NVME_TCP_ERR_RANGE, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0, 1);
}

/* ------------------------------------------------------------------------ */
/* The owner's part, data digests, TermReq answers                          */
/* ------------------------------------------------------------------------ */

static void test_owner_verdicts(void **state)
{
	static const struct nvme_tcp_params none;
	uint8_t b[8192];
	size_t icl, len;

	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_C2H_DATA, .cccid = 9, .data_len = 100 },
		      &none, b, &icl);
	/* iovecs one byte short of the data: Data Transfer Out of Range */
	g_hook.short_iov = true;
	expect_error(H, &none, b, len, -EPROTO, NVME_TCP_ERR_RANGE, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0, 1);
	g_hook.short_iov = false;
	/* refused in pdu_data with a FES (unknown CCCID), and without (an errno) */
	g_hook.refuse_at = 1;
	g_hook.refuse_in_data = true;
	g_hook.refuse_errno = -EPROTO;
	g_hook.refuse_fes = INV;
	g_hook.refuse_fei = 8;
	expect_error(H, &none, b, len, -EPROTO, NVME_TCP_ERR_OWNER, INV, 8, 1);
	g_hook.refuse_errno = 0;   /* nvme_tcp_rx_fail() wins even over a 0 return */
	expect_error(H, &none, b, len, -EPROTO, NVME_TCP_ERR_OWNER, INV, 8, 1);
	g_hook.refuse_errno = -ENOMEM;
	g_hook.refuse_fes = 0;
	g_hook.refuse_fei = 0;
	expect_error(H, &none, b, len, -ENOMEM, NVME_TCP_ERR_OWNER, 0, 0, 1);
	/* refused in pdu_done */
	g_hook.refuse_in_data = false;
	g_hook.refuse_errno = -EPROTO;
	g_hook.refuse_fes = NVME_TCP_FES_PDU_SEQUENCE_ERROR;
	expect_error(H, &none, b, len, -EPROTO, NVME_TCP_ERR_OWNER, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, 1);
	g_hook = (struct towner){ .refuse_at = -1 };
}

/* A data digest mismatch is reported on the PDU and the stream goes on. */
static void test_data_digest_error(void **state)
{
	const struct nvme_tcp_params dd = { .ddgst = true, .hdgst = true };
	struct tpdu pdus[4] = {
		{ .type = NVME_TCP_PDU_IC_REQ, .dgst = 3 },
		{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 1, .data_len = 50, .seed = 1 },
		{ .type = NVME_TCP_PDU_H2C_DATA, .cccid = 2, .data_len = 3000, .last = true, .seed = 2 },
		{ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 3, .seed = 3 },
	};
	uint8_t b[8192];
	size_t len = 0, ends[4];
	const struct nvme_tcp_params rxp = { .ddgst = true, .hdgst = true, .max_icd = 64 };

	for (int i = 0; i < 4; i++) {
		long n = tpdu_encode(&pdus[i], i ? &dd : NULL, b + len, sizeof(b) - len);

		assert_true(n > 0);
		len += (size_t)n;
		ends[i] = len;
	}
	for (int which = 1; which <= 2; which++) {
		for (int where = 0; where < 2; where++) {
			struct towner *o = malloc(sizeof(*o));
			uint8_t c[8192];
			unsigned seed = 3;

			assert_non_null(o);
			memcpy(c, b, len);
			/* a data byte, or the digest itself */
			c[where ? ends[which] - 1 : ends[which] - 10] ^= 0x40;
			towner_init(o, T, &rxp, 1);
			assert_int_equal(tfeed_iov(&o->rx, c, len, 1 << 20, 8, &seed), 0);
			assert_int_equal(o->n, 4);
			for (int i = 0; i < 4; i++) {
				assert_int_equal(o->got[i].status, i == which ? -EBADMSG : 0);
				assert_int_equal(o->got[i].pdu.type, pdus[i].type);
			}
			towner_fini(o);
			free(o);
		}
	}
}

/* The TermReq answering an error quotes the header and decodes at the peer. */
static void test_term_req_from_rx(void **state)
{
	static const struct nvme_tcp_params none;
	struct towner *t = malloc(sizeof(*t)), *h = malloc(sizeof(*h));
	struct nvme_tcp_pdu term;
	struct iovec iov[4];
	uint8_t b[4096], w[256];
	size_t icl, len, wl;
	int n;

	assert_non_null(t);
	assert_non_null(h);
	/* target side: a CapsuleCmd with a bad HLEN */
	len = encode2(&g_icreq, &(struct tpdu){ .type = NVME_TCP_PDU_CAPSULE_CMD, .cccid = 0x4242 }, &none,
		      b, &icl);
	b[icl + 2] = 71;
	towner_init(t, T, &none, 1);
	assert_int_equal(nvme_tcp_pdu_term_req_init_rx(&term, &t->rx), -EAGAIN);
	assert_int_equal(nvme_tcp_rx_feed(&t->rx, b, len), -EPROTO);
	assert_int_equal(nvme_tcp_pdu_term_req_init_rx(&term, &t->rx), 0);
	n = nvme_tcp_pdu_build(&term, NULL, NULL, 0, 0, iov, 4);
	assert_int_equal(n, 1);
	wl = flatten(iov, n, w);
	assert_int_equal(wl, 24 + 8);   /* only the CH was read: it is what is quoted */
	assert_int_equal(w[0], NVME_TCP_PDU_C2H_TERM_REQ);
	/* the host reads it */
	towner_init(h, H, &none, 1);
	assert_int_equal(nvme_tcp_rx_feed(&h->rx, w, wl), -ECONNABORTED);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->got[0].pdu.term.fes, INV);
	assert_int_equal(h->got[0].pdu.term.fei, 2);
	assert_int_equal(h->got[0].pdu.term.data_len, 8);
	assert_memory_equal(h->got[0].term, b + icl, 8);
	towner_fini(t);
	towner_fini(h);

	/* host side: a header digest error quotes the whole header (24 bytes) */
	const struct nvme_tcp_params hd = { .hdgst = true };

	len = encode2(&g_icresp, &(struct tpdu){ .type = NVME_TCP_PDU_R2T, .len = 5 }, &hd, b, &icl);
	b[icl + 25] ^= 1;
	towner_init(h, H, &hd, 1);
	assert_int_equal(nvme_tcp_rx_feed(&h->rx, b, len), -EPROTO);
	assert_int_equal(nvme_tcp_pdu_term_req_init_rx(&term, &h->rx), 0);
	n = nvme_tcp_pdu_build(&term, &hd, NULL, 0, 0, iov, 4);
	wl = flatten(iov, n, w);
	assert_int_equal(wl, 48);
	assert_int_equal(w[0], NVME_TCP_PDU_H2C_TERM_REQ);
	assert_int_equal(w[1], 0);   /* never a digest on a TermReq */
	towner_init(t, T, &none, 1);
	assert_int_equal(nvme_tcp_rx_feed(&t->rx, w, wl), -ECONNABORTED);
	assert_int_equal(t->got[0].pdu.term.fes, NVME_TCP_FES_HDGST_ERROR);
	assert_memory_equal(t->got[0].term, b + icl, 24);

	/* no TermReq for an owner errno or a received TermReq */
	len = encode2(NULL, &(struct tpdu){ .type = NVME_TCP_PDU_H2C_TERM_REQ, .fes = 1 }, &none, b, &icl);
	towner_init(t, T, &none, 1);
	assert_int_equal(nvme_tcp_rx_feed(&t->rx, b, len), -ECONNABORTED);
	assert_int_equal(nvme_tcp_pdu_term_req_init_rx(&term, &t->rx), -ENOENT);
	towner_fini(t);
	towner_fini(h);
	free(t);
	free(h);
}

/* ------------------------------------------------------------------------ */
/* Regions, arguments, helpers                                               */
/* ------------------------------------------------------------------------ */

/* Exact mode names the data, its digest and the next CH in one read. */
static void test_exact_regions(void **state)
{
	const struct nvme_tcp_params dd = { .ddgst = true };
	struct tpdu pdus[2] = {
		{ .type = NVME_TCP_PDU_IC_RESP, .limit = 4096 },
		{ .type = NVME_TCP_PDU_C2H_DATA, .data_len = 1000, .seed = 4 },
	};
	struct towner *o = malloc(sizeof(*o));
	struct iovec iov[32];
	uint8_t b[4096];
	size_t len = 0, total = 0;
	int n, nonempty = 0;

	assert_non_null(o);
	for (int i = 0; i < 2; i++) {
		long k = tpdu_encode(&pdus[i], i ? &dd : NULL, b + len, sizeof(b) - len);

		assert_true(k > 0);
		len += (size_t)k;
	}
	towner_init(o, H, &dd, 9);
	assert_int_equal(nvme_tcp_rx_iov(&o->rx, iov, 0), -EINVAL);
	n = nvme_tcp_rx_iov(&o->rx, iov, 32);
	assert_int_equal(n, 1);
	assert_int_equal(iov[0].iov_len, 8);
	/* advancing more than offered is refused */
	assert_int_equal(nvme_tcp_rx_advance(&o->rx, 9), -EINVAL);
	n = nvme_tcp_rx_iov(&o->rx, iov, 32);
	/* ICResp and the C2HData header up to PDO, by hand */
	assert_int_equal(nvme_tcp_rx_feed(&o->rx, b, 128 + 24), 0);
	n = nvme_tcp_rx_iov(&o->rx, iov, 32);
	for (int i = 0; i < o->got[1].iovcnt; i++)
		nonempty += o->got[1].iov[i].iov_len != 0;
	/* the non-empty data iovecs, the digest, the next CH */
	assert_int_equal(n, nonempty + 2);
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	assert_int_equal(total, 1000 + 4 + 8);
	assert_ptr_equal(iov[n - 2].iov_base, o->rx.ddgst);
	assert_ptr_equal(iov[n - 1].iov_base, o->rx.ch);
	assert_ptr_equal(iov[0].iov_base, o->got[1].data);
	towner_fini(o);
	free(o);
}

static void test_args(void **state)
{
	struct towner *o = malloc(sizeof(*o));
	uint8_t buf[256];

	assert_non_null(o);
	towner_init(o, H, NULL, 1);
	assert_int_equal(nvme_tcp_rx_set_params(&o->rx, &(struct nvme_tcp_params){ .rx_pda = 32 }), -EINVAL);
	assert_int_equal(nvme_tcp_rx_set_params(&o->rx, &(struct nvme_tcp_params){ .tx_pda = 32 }), -EINVAL);
	assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 255, 0), -EINVAL);
	assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, buf, 256, 0), 0);
	assert_int_equal(nvme_tcp_rx_set_buf(&o->rx, NULL, 0, 0), 0);
	assert_int_equal(nvme_tcp_rx_advance(&o->rx, 0), 0);
	assert_int_equal(nvme_tcp_rx_feed(&o->rx, NULL, 0), 0);
	assert_string_equal(nvme_tcp_rx_state_name(NVME_TCP_RX_CH), "ch");
	assert_string_equal(nvme_tcp_rx_state_name(NVME_TCP_RX_STATE_COUNT), "?");
	assert_string_equal(nvme_tcp_pdu_type_name(NVME_TCP_PDU_R2T), "R2T");
	assert_string_equal(nvme_tcp_pdu_type_name(8), "?");
	assert_string_equal(nvme_tcp_fes_name(NVME_TCP_FES_HDGST_ERROR), "Header Digest Error");
	assert_string_equal(nvme_tcp_fes_name(0), "?");
	for (int f = 1; f <= 6; f++)
		assert_string_not_equal(nvme_tcp_fes_name((uint16_t)f), "?");
	assert_string_equal(nvme_tcp_err_name(NVME_TCP_ERR_COUNT), "?");
	for (int i = 0; i < NVME_TCP_ERR_COUNT; i++)
		assert_string_not_equal(nvme_tcp_err_name((enum nvme_tcp_err)i), "?");
	towner_fini(o);
	free(o);
}

static void test_iov_helpers(void **state)
{
	uint8_t b[100];
	struct iovec in[4] = { { b, 10 }, { b + 10, 0 }, { b + 10, 30 }, { b + 40, 60 } };
	struct iovec out[4], w[4], *p = w;
	int cnt = 4;

	assert_int_equal(nvme_tcp_iov_slice(out, 4, in, 4, 0, 100), 3);
	assert_int_equal(nvme_tcp_iov_slice(out, 4, in, 4, 5, 10), 2);
	assert_ptr_equal(out[0].iov_base, b + 5);
	assert_int_equal(out[0].iov_len, 5);
	assert_ptr_equal(out[1].iov_base, b + 10);
	assert_int_equal(out[1].iov_len, 5);
	assert_int_equal(nvme_tcp_iov_slice(out, 4, in, 4, 40, 60), 1);
	assert_ptr_equal(out[0].iov_base, b + 40);
	assert_int_equal(nvme_tcp_iov_slice(out, 4, in, 4, 99, 2), -EINVAL);
	assert_int_equal(nvme_tcp_iov_slice(out, 1, in, 4, 0, 11), -ENOSPC);
	assert_int_equal(nvme_tcp_iov_slice(out, 4, in, 4, 50, 0), 0);

	memcpy(w, in, sizeof(in));
	assert_int_equal(nvme_tcp_iov_advance(&p, &cnt, 0), 100);
	assert_int_equal(nvme_tcp_iov_advance(&p, &cnt, 10), 90);
	assert_int_equal(cnt, 2);   /* the empty entry went with the first */
	assert_int_equal(nvme_tcp_iov_advance(&p, &cnt, 35), 55);
	assert_ptr_equal(p->iov_base, b + 45);
	assert_int_equal(cnt, 1);
	assert_int_equal(nvme_tcp_iov_advance(&p, &cnt, 55), 0);
	assert_int_equal(cnt, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_many_small_in_one_read),
		cmocka_unit_test(test_staged_direct_data),
		cmocka_unit_test(test_staged_streaming),
		cmocka_unit_test(test_check_type_and_sequence),
		cmocka_unit_test(test_check_common_header),
		cmocka_unit_test(test_check_psh),
		cmocka_unit_test(test_owner_verdicts),
		cmocka_unit_test(test_data_digest_error),
		cmocka_unit_test(test_term_req_from_rx),
		cmocka_unit_test(test_exact_regions),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_iov_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
