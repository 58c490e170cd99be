/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file nvme_tcp.h
 * The NVMe/TCP PDU codec and digests, shared by the host (src/nvme) and the
 * target (src/nvmf). Internal to the library: include it as
 * "nvme/tcp/nvme_tcp.h".
 *
 * Three parts:
 *  - the wire: one plain struct per PDU of the NVMe/TCP Transport
 *    Specification 1.0, named after the spec's fields, little-endian on the
 *    wire, sizes and offsets pinned by static asserts;
 *  - receive: struct nvme_tcp_rx, one explicit state machine per connection
 *    that takes the byte stream in any segmentation, checks every header
 *    against the rules of its PDU type, verifies digests, and places PDU
 *    data straight into the owner's iovecs. It never reads a byte past what
 *    it was given and never crashes on bad input: a protocol violation stops
 *    it with -EPROTO and the FES/FEI the owner puts in a TermReq;
 *  - send: struct nvme_tcp_pdu, which the owner fills with one of the
 *    nvme_tcp_pdu_*_init() calls and turns into one iovec array (header,
 *    header digest, padding, data, data digest) for a single writev with
 *    nvme_tcp_pdu_build(). Nothing is allocated on either path.
 *
 * Byte order is converted at one boundary: the receive side hands the owner
 * a host-order view (struct nvme_tcp_rx_pdu) and the send side's _init()
 * calls take host-order values. The SQE and CQE travel as the NVMe
 * structures of spdk_io/nvme_spec.h, which are little-endian wire layouts.
 *
 * Thread rules for the whole file: an nvme_tcp_rx and an nvme_tcp_pdu
 * belong to one connection and are used by one thread at a time (the
 * sio_thread that polls the connection's socket); no call takes a lock.
 */
#ifndef SIO_NVME_TCP_H
#define SIO_NVME_TCP_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "spdk_io/env.h"
#include "spdk_io/nvme_spec.h"

/* ------------------------------------------------------------------------ */
/* Wire format (NVMe/TCP Transport Specification 1.0)                       */
/* ------------------------------------------------------------------------ */

/* The ports are SIO_NVMF_TCP_PORT (4420) and SIO_NVMF_TCP_DISCOVERY_PORT in nvme_spec.h. */

/** PDU-Type values of the common header. */
enum nvme_tcp_pdu_type {
	NVME_TCP_PDU_IC_REQ = 0x00,       /**< host → controller, first PDU of a connection */
	NVME_TCP_PDU_IC_RESP = 0x01,      /**< controller → host, answer to ICReq */
	NVME_TCP_PDU_H2C_TERM_REQ = 0x02, /**< host → controller, fatal error, connection ends */
	NVME_TCP_PDU_C2H_TERM_REQ = 0x03, /**< controller → host, fatal error, connection ends */
	NVME_TCP_PDU_CAPSULE_CMD = 0x04,  /**< host → controller: SQE + optional in-capsule data */
	NVME_TCP_PDU_CAPSULE_RESP = 0x05, /**< controller → host: CQE */
	NVME_TCP_PDU_H2C_DATA = 0x06,     /**< host → controller: write data answering an R2T */
	NVME_TCP_PDU_C2H_DATA = 0x07,     /**< controller → host: read data */
	NVME_TCP_PDU_R2T = 0x09,          /**< controller → host: ready to transfer (write data) */
};

/** Number of PDU-Type values the tables of the codec cover (0x00..0x09). */
#define NVME_TCP_PDU_TYPE_COUNT 10

/** FLAGS bits of the common header. */
#define NVME_TCP_F_HDGSTF 0x01u   /**< a header digest follows the header */
#define NVME_TCP_F_DDGSTF 0x02u   /**< a data digest follows the data */
#define NVME_TCP_F_LAST_PDU 0x04u /**< H2CData/C2HData: last data PDU of the transfer (or of the R2T) */
#define NVME_TCP_F_SUCCESS 0x08u  /**< C2HData: command succeeded, no CapsuleResp follows (needs LAST_PDU) */

/** Length of a header or data digest (CRC32C) on the wire. */
#define NVME_TCP_DIGEST_LEN 4u

/** PDU Format Version 1.0 (ICReq and ICResp PFV). */
#define NVME_TCP_PFV_1_0 0x0000u

/** ICReq/ICResp DGST bits. */
#define NVME_TCP_DGST_HDGST_ENABLE 0x01u
#define NVME_TCP_DGST_DDGST_ENABLE 0x02u

/** Largest HPDA/CPDA (0's based dwords: data aligned to (pda + 1) * 4 bytes, at most 128). */
#define NVME_TCP_PDA_MAX 31u
/** Smallest MAXH2CDATA a controller may announce; it must also be a multiple of 4. */
#define NVME_TCP_MAXH2CDATA_MIN 4096u
/** Largest TermReq PLEN: the 24-byte header plus up to 128 bytes of the offending header. */
#define NVME_TCP_TERM_REQ_PLEN_MAX 152u
#define NVME_TCP_TERM_REQ_DATA_MAX (NVME_TCP_TERM_REQ_PLEN_MAX - 24u)

/** Fatal Error Status of H2CTermReq/C2HTermReq. */
enum nvme_tcp_fes {
	NVME_TCP_FES_INVALID_HEADER_FIELD = 0x01, /**< FEI: byte offset of the bad field in the PDU header */
	NVME_TCP_FES_PDU_SEQUENCE_ERROR = 0x02,   /**< a PDU that is not legal at this point of the exchange */
	NVME_TCP_FES_HDGST_ERROR = 0x03,          /**< header digest mismatch */
	NVME_TCP_FES_DATA_OUT_OF_RANGE = 0x04,    /**< data offset/length outside the command's transfer */
	NVME_TCP_FES_R2T_LIMIT_EXCEEDED = 0x05,   /**< spec 1.0 name of 0x05 */
	NVME_TCP_FES_DATA_LIMIT_EXCEEDED = 0x05,  /**< later name of 0x05: data larger than the negotiated limit */
	NVME_TCP_FES_UNSUPPORTED_PARAM = 0x06,    /**< FEI: byte offset of the unsupported ICReq/ICResp field */
};

/** Common header: the first 8 bytes of every PDU. */
struct nvme_tcp_common_hdr {
	uint8_t pdu_type; /**< enum nvme_tcp_pdu_type */
	uint8_t flags;    /**< NVME_TCP_F_* */
	uint8_t hlen;     /**< header length, without the header digest */
	uint8_t pdo;      /**< PDU data offset from the PDU's first byte; 0 without data */
	uint32_t plen;    /**< PDU length: header, digests, padding and data (LE) */
};

/** ICReq (128 bytes, no digests). */
struct nvme_tcp_ic_req {
	struct nvme_tcp_common_hdr ch;
	uint16_t pfv;     /**< NVME_TCP_PFV_1_0 (LE) */
	uint8_t hpda;     /**< host PDU data alignment for C2H data, 0's based dwords */
	uint8_t dgst;     /**< NVME_TCP_DGST_* the host asks for */
	uint32_t maxr2t;  /**< outstanding R2Ts per command the host accepts, 0's based (LE) */
	uint8_t rsvd[112];
};

/** ICResp (128 bytes, no digests). */
struct nvme_tcp_ic_resp {
	struct nvme_tcp_common_hdr ch;
	uint16_t pfv;       /**< NVME_TCP_PFV_1_0 (LE) */
	uint8_t cpda;       /**< controller PDU data alignment for H2C data, 0's based dwords */
	uint8_t dgst;       /**< NVME_TCP_DGST_* enabled for the connection */
	uint32_t maxh2cdata; /**< largest H2CData DATAL the controller accepts (LE), >= 4096, dword multiple */
	uint8_t rsvd[112];
};

/** H2CTermReq / C2HTermReq header (24 bytes); up to 128 bytes of the offending PDU header follow. */
struct __attribute__((packed)) nvme_tcp_term_req {
	struct nvme_tcp_common_hdr ch;
	uint16_t fes;     /**< enum nvme_tcp_fes (LE) */
	uint32_t fei;     /**< fatal error information, e.g. a field's byte offset (LE, unaligned) */
	uint8_t rsvd[10];
};

/** CapsuleCmd header (72 bytes): the SQE; in-capsule data may follow at PDO. */
struct nvme_tcp_capsule_cmd {
	struct nvme_tcp_common_hdr ch;
	struct sio_nvme_cmd ccsqe;
};

/** CapsuleResp (24 bytes): the CQE. */
struct nvme_tcp_capsule_resp {
	struct nvme_tcp_common_hdr ch;
	struct sio_nvme_cpl rccqe;
};

/** H2CData header (24 bytes); DATAL bytes of data follow at PDO. */
struct nvme_tcp_h2c_data {
	struct nvme_tcp_common_hdr ch;
	uint16_t cccid;   /**< command capsule CID the data belongs to (LE) */
	uint16_t ttag;    /**< transfer tag from the R2T (LE) */
	uint32_t datao;   /**< offset of this data in the command's transfer (LE) */
	uint32_t datal;   /**< bytes of data in this PDU (LE) */
	uint8_t rsvd[4];
};

/** C2HData header (24 bytes); DATAL bytes of data follow at PDO. */
struct nvme_tcp_c2h_data {
	struct nvme_tcp_common_hdr ch;
	uint16_t cccid;   /**< (LE) */
	uint8_t rsvd1[2];
	uint32_t datao;   /**< (LE) */
	uint32_t datal;   /**< (LE) */
	uint8_t rsvd2[4];
};

/** R2T (24 bytes, no data). */
struct nvme_tcp_r2t {
	struct nvme_tcp_common_hdr ch;
	uint16_t cccid;   /**< (LE) */
	uint16_t ttag;    /**< tag the host echoes in its H2CData PDUs (LE) */
	uint32_t r2to;    /**< offset the controller asks for (LE) */
	uint32_t r2tl;    /**< length the controller asks for (LE) */
	uint8_t rsvd[4];
};

static_assert(sizeof(struct nvme_tcp_common_hdr) == 8, "NVMe/TCP CH is 8 bytes");
static_assert(offsetof(struct nvme_tcp_common_hdr, pdo) == 3, "CH PDO at byte 3");
static_assert(offsetof(struct nvme_tcp_common_hdr, plen) == 4, "CH PLEN at byte 4");
static_assert(sizeof(struct nvme_tcp_ic_req) == 128, "ICReq is 128 bytes");
static_assert(offsetof(struct nvme_tcp_ic_req, hpda) == 10, "ICReq HPDA at byte 10");
static_assert(offsetof(struct nvme_tcp_ic_req, maxr2t) == 12, "ICReq MAXR2T at byte 12");
static_assert(sizeof(struct nvme_tcp_ic_resp) == 128, "ICResp is 128 bytes");
static_assert(offsetof(struct nvme_tcp_ic_resp, maxh2cdata) == 12, "ICResp MAXH2CDATA at byte 12");
static_assert(sizeof(struct nvme_tcp_term_req) == 24, "TermReq header is 24 bytes");
static_assert(offsetof(struct nvme_tcp_term_req, fei) == 10, "TermReq FEI at byte 10");
static_assert(sizeof(struct nvme_tcp_capsule_cmd) == 72, "CapsuleCmd header is 72 bytes");
static_assert(sizeof(struct nvme_tcp_capsule_resp) == 24, "CapsuleResp is 24 bytes");
static_assert(sizeof(struct nvme_tcp_h2c_data) == 24, "H2CData header is 24 bytes");
static_assert(offsetof(struct nvme_tcp_h2c_data, datal) == 16, "H2CData DATAL at byte 16");
static_assert(sizeof(struct nvme_tcp_c2h_data) == 24, "C2HData header is 24 bytes");
static_assert(offsetof(struct nvme_tcp_c2h_data, datao) == 12, "C2HData DATAO at byte 12");
static_assert(sizeof(struct nvme_tcp_r2t) == 24, "R2T is 24 bytes");
static_assert(offsetof(struct nvme_tcp_r2t, r2tl) == 16, "R2T R2TL at byte 16");

/**
 * Room for any PDU header the codec sends or receives: the largest is a
 * TermReq with 128 bytes of offending header (152); CapsuleCmd with its
 * header digest is 76. The receive side also reads padding (PDO up to 255)
 * into its header buffer, so its buffer is NVME_TCP_RX_HDR_BUF.
 */
#define NVME_TCP_PDU_HDR_MAX NVME_TCP_TERM_REQ_PLEN_MAX
#define NVME_TCP_RX_HDR_BUF 256u

/* ------------------------------------------------------------------------ */
/* CRC32C (header and data digests)                                        */
/* ------------------------------------------------------------------------ */

/*
 * NVMe/TCP digests are CRC32C with the standard initial value and final XOR,
 * stored little-endian: the env layer's sio_crc32c(), sio_crc32c_update()
 * and sio_crc32c_iov() (include/spdk_io/env.h, src/env/crc32c.c), the one
 * implementation the library carries.
 */

/* ------------------------------------------------------------------------ */
/* Little-endian helpers (the one byte-order boundary)                      */
/* ------------------------------------------------------------------------ */

static inline uint16_t nvme_tcp_get_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t nvme_tcp_get_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline void nvme_tcp_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void nvme_tcp_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* ------------------------------------------------------------------------ */
/* Connection parameters                                                    */
/* ------------------------------------------------------------------------ */

/** Which end of the connection a codec serves; it decides which PDU types are legal to receive. */
enum nvme_tcp_role {
	NVME_TCP_ROLE_HOST,   /**< receives ICResp, C2HTermReq, CapsuleResp, C2HData, R2T */
	NVME_TCP_ROLE_TARGET, /**< receives ICReq, H2CTermReq, CapsuleCmd, H2CData */
};

/**
 * What the ICReq/ICResp exchange settled, as both directions of the codec
 * need it. Before the exchange every field is zero (no digests, 4-byte
 * alignment, no in-capsule data), which is what IC PDUs themselves use.
 */
struct nvme_tcp_params {
	/** Header digests on every PDU but ICReq/ICResp/TermReq. */
	bool hdgst;
	/** Data digests on every PDU that carries data. */
	bool ddgst;
	/**
	 * Alignment the receiver asked of incoming data, 0's based dwords
	 * (0..31): the CPDA a target announced, the HPDA a host sent. Received
	 * data PDUs need a PDO that is a multiple of (rx_pda + 1) * 4.
	 */
	uint8_t rx_pda;
	/** Alignment the peer asked of the data we send (HPDA at a target, CPDA at a host). */
	uint8_t tx_pda;
	/** Target: the MAXH2CDATA it announced; a larger H2CData DATAL is refused. 0: no check. */
	uint32_t max_h2c_data;
	/** Target: largest in-capsule data it accepts in a CapsuleCmd (0: none). */
	uint32_t max_icd;
};

/* ------------------------------------------------------------------------ */
/* Receive                                                                  */
/* ------------------------------------------------------------------------ */

/** Why the receive machine stopped (detail beside the FES for logs and tests). */
enum nvme_tcp_err {
	NVME_TCP_ERR_NONE = 0,
	NVME_TCP_ERR_TYPE,      /**< unknown PDU type, or one this role never receives (FES 1, FEI 0) */
	NVME_TCP_ERR_SEQUENCE,  /**< IC PDU missing, repeated, or out of order (FES 2) */
	NVME_TCP_ERR_FLAGS,     /**< a flag the type does not carry, a digest flag against the negotiation, SUCCESS without LAST_PDU (FES 1, FEI 1) */
	NVME_TCP_ERR_HLEN,      /**< HLEN not the type's fixed length (FES 1, FEI 2) */
	NVME_TCP_ERR_PDO,       /**< PDO below header + digest, misaligned, past the data, or set without data (FES 1, FEI 3) */
	NVME_TCP_ERR_PLEN,      /**< PLEN inconsistent with HLEN, PDO and the digests, or out of range (FES 1, FEI 4) */
	NVME_TCP_ERR_HDGST,     /**< header digest mismatch (FES 3) */
	NVME_TCP_ERR_FIELD,     /**< a type-specific header field is invalid (FES 1, FEI its offset) */
	NVME_TCP_ERR_PARAM,     /**< ICReq/ICResp parameter not supported, e.g. PFV (FES 6, FEI its offset) */
	NVME_TCP_ERR_LIMIT,     /**< data above MAXH2CDATA or the in-capsule limit (FES 5) */
	NVME_TCP_ERR_RANGE,     /**< DATAO + DATAL or R2TO + R2TL past 4 GiB, or the owner's iovecs hold less than the data (FES 4) */
	NVME_TCP_ERR_OWNER,     /**< the owner refused the PDU (nvme_tcp_rx_fail(): its FES/FEI) */
	NVME_TCP_ERR_TERM,      /**< the peer sent a TermReq: the connection is over, no TermReq back */
	NVME_TCP_ERR_COUNT,
};

/**
 * struct nvme_tcp_rx_pdu - Host-order view of a received PDU header.
 *
 * Filled by the codec, read by the owner in its callbacks; valid until the
 * PDU's pdu_done callback returns. Only the member of the union that
 * matches @type is meaningful.
 */
struct nvme_tcp_rx_pdu {
	uint8_t type;       /**< enum nvme_tcp_pdu_type */
	uint8_t flags;      /**< NVME_TCP_F_* as received */
	uint8_t hlen;
	uint8_t pdo;
	uint32_t plen;
	uint32_t data_len;  /**< bytes of PDU data (in-capsule, H2C/C2H data); 0 if none */
	const uint8_t *raw; /**< the header as received (HLEN bytes, then the digest if any) */
	union {
		struct {        /**< ICReq (maxr2t) and ICResp (maxh2cdata) */
			uint16_t pfv;
			uint8_t pda;          /**< HPDA of an ICReq, CPDA of an ICResp */
			bool hdgst;           /**< DGST asks for / enables header digests */
			bool ddgst;           /**< DGST asks for / enables data digests */
			uint32_t maxr2t;      /**< ICReq */
			uint32_t maxh2cdata;  /**< ICResp */
		} ic;
		struct {        /**< H2CTermReq, C2HTermReq */
			uint16_t fes;
			uint32_t fei;
			const uint8_t *data;  /**< the offending header the peer quoted */
			uint32_t data_len;
		} term;
		struct {        /**< CapsuleCmd: the SQE as received (points into the codec) */
			const struct sio_nvme_cmd *sqe;
		} cmd;
		struct {        /**< CapsuleResp: the CQE as received (points into the codec) */
			const struct sio_nvme_cpl *cqe;
		} resp;
		struct {        /**< H2CData (ttag meaningful), C2HData */
			uint16_t cccid;
			uint16_t ttag;
			uint32_t datao;
			uint32_t datal;
			bool last;            /**< LAST_PDU */
			bool success;         /**< C2HData SUCCESS */
		} data;
		struct {        /**< R2T */
			uint16_t cccid;
			uint16_t ttag;
			uint32_t r2to;
			uint32_t r2tl;
		} r2t;
	};
};

struct nvme_tcp_rx;

/**
 * struct nvme_tcp_rx_ops - What the receive machine calls back into its owner.
 *
 * Both run inside nvme_tcp_rx_advance()/nvme_tcp_rx_feed(), on the caller's
 * thread, one PDU at a time in stream order. A negative return stops the
 * machine: that value comes back from the advance/feed call and from every
 * later one. To have a TermReq sent, call nvme_tcp_rx_fail() with the FES/FEI
 * first and return -EPROTO.
 */
struct nvme_tcp_rx_ops {
	/**
	 * @pdu_data: a header that carries data is complete and valid
	 * (CapsuleCmd with in-capsule data, H2CData, C2HData): point *@iov /
	 * *@iovcnt at where its pdu->data_len bytes go. The array and the
	 * memory it names must stay valid until pdu_done for this PDU; the
	 * codec writes exactly data_len bytes into it, in order, and reads
	 * them back only to compute the data digest. Iovecs holding fewer than
	 * data_len bytes fail the PDU with NVME_TCP_ERR_RANGE (FES 4). The owner
	 * checks what only it knows here (CCCID, TTAG, DATAO + DATAL against the
	 * command, the order of data PDUs).
	 */
	int (*pdu_data)(void *ctx, const struct nvme_tcp_rx_pdu *pdu,
			const struct iovec **iov, int *iovcnt);
	/**
	 * @pdu_done: a PDU is complete (every PDU, with or without data).
	 * @status is 0, or -EBADMSG when its data digest did not match: per the
	 * spec not a fatal error, the owner fails the command (the data in the
	 * iovecs is not to be trusted) and the connection goes on. For a
	 * TermReq the machine stops after this call with -ECONNABORTED.
	 */
	int (*pdu_done)(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status);
};

/** States of the receive machine (one function each in nvme_tcp_rx.c). */
enum nvme_tcp_rx_state {
	NVME_TCP_RX_CH,    /**< reading the 8-byte common header */
	NVME_TCP_RX_PSH,   /**< reading the rest: PDU-specific header, header digest, padding up to PDO (or a TermReq's quoted header) */
	NVME_TCP_RX_DATA,  /**< placing data into the owner's iovecs, digest updated as it lands */
	NVME_TCP_RX_DDGST, /**< reading the 4-byte data digest */
	NVME_TCP_RX_ERROR, /**< stopped: a protocol violation, a TermReq, or the owner's error; final */
	NVME_TCP_RX_STATE_COUNT,
};

/**
 * struct nvme_tcp_rx - Receive state machine of one connection.
 *
 * Embedded in the owner's connection object; the fields are private to the
 * codec (read them only through the functions below).
 */
struct nvme_tcp_rx {
	enum nvme_tcp_rx_state state;
	enum nvme_tcp_role role;
	bool ic_done;                    /* the ICReq/ICResp has been received */
	struct nvme_tcp_params params;
	const struct nvme_tcp_rx_ops *ops;
	void *ctx;
	uint32_t off;                    /* bytes of the current state's region already in */
	uint32_t need;                   /* bytes the current state's region holds */
	uint32_t hd_len, dd_len;         /* digest lengths of the current PDU */
	/* DATA: the owner's iovecs and a cursor into them */
	const struct iovec *iov;
	int iovcnt;
	int iov_idx;
	size_t iov_off;
	uint32_t data_left;
	uint32_t dcrc;                   /* running data digest register */
	/* what the last nvme_tcp_rx_iov() offered, for nvme_tcp_rx_advance() */
	size_t offer_direct;             /* bytes offered at the states' own regions */
	size_t offer_total;              /* ... plus the staging buffer */
	/* staging buffer for small reads (nvme_tcp_rx_set_buf()) */
	uint8_t *buf;
	size_t buf_size;
	uint32_t direct_min;             /* data at least this long is read straight into the iovecs */
	bool streaming;                  /* the last data PDU filled the staging buffer: stage only headers */
	int err;                         /* the negative errno the machine stopped with */
	enum nvme_tcp_err err_code;
	uint16_t fes;
	uint32_t fei;
	uint32_t err_hdr_len;            /* bytes of the offending header in hdr */
	struct nvme_tcp_rx_pdu pdu;
	uint8_t ch[8];                   /* the next common header lands here */
	uint8_t ddgst[4];
	union {
		uint64_t align;
		uint8_t hdr[NVME_TCP_RX_HDR_BUF]; /* header, header digest, padding */
	};
};

/**
 * nvme_tcp_rx_init() - Start a connection's receive machine.
 * @rx: the machine (embedded in the owner's connection).
 * @role: which end this is (which PDU types are legal, which IC PDU comes first).
 * @ops: callbacks; both must be set; the table must outlive @rx.
 * @ctx: passed to the callbacks.
 *
 * The machine starts waiting for the peer's ICReq (target) or ICResp
 * (host), with the zero parameters IC PDUs use, in exact mode (no staging
 * buffer: see nvme_tcp_rx_set_buf()). Nothing to tear down: @rx holds no
 * resource.
 *
 * Context: the connection's thread.
 */
void nvme_tcp_rx_init(struct nvme_tcp_rx *rx, enum nvme_tcp_role role,
		      const struct nvme_tcp_rx_ops *ops, void *ctx);

/**
 * nvme_tcp_rx_set_params() - Apply the negotiated connection parameters.
 * @rx: the machine.
 * @params: copied.
 *
 * Call it from the pdu_done of the ICReq (target, after choosing its
 * ICResp) or of the ICResp (host): the next header is checked with them.
 *
 * Context: the connection's thread.
 * Return: 0; -EINVAL if @params->rx_pda or tx_pda is above NVME_TCP_PDA_MAX.
 */
int nvme_tcp_rx_set_params(struct nvme_tcp_rx *rx, const struct nvme_tcp_params *params);

/**
 * NVME_TCP_RX_STREAM_TAIL - Staging bytes offered behind a streaming PDU's
 * data: two CapsuleCmd headers with digests (2 x 76), or a CapsuleResp and
 * a C2HData header, with room to spare.
 */
#define NVME_TCP_RX_STREAM_TAIL 192u

/**
 * nvme_tcp_rx_set_buf() - Give the machine a staging buffer for small reads.
 * @rx: the machine.
 * @buf: @size bytes the owner keeps valid for @rx's life (NULL: exact mode).
 * @size: at least 256 (else -EINVAL); 4-16 KiB is the useful range.
 * @direct_min: data of at least this many bytes still to come is read
 *              straight into the owner's iovecs (0: a default of 1 KiB).
 *
 * Exact mode (no buffer): nvme_tcp_rx_iov() names exactly the bytes the
 * machine wants next, so nothing is copied, but a PDU costs two or three
 * reads. Staged mode: while headers are expected the socket is read into
 * @buf, and one read yields many small PDUs: each header (at most 132
 * bytes, and padding) is copied into the machine's header buffer and parsed
 * there, data found in @buf is copied once into the owner's iovecs. Large data goes straight
 * into the iovecs, with @buf appended behind them for what follows. After a
 * data PDU at least @size long, only NVME_TCP_RX_STREAM_TAIL bytes of @buf
 * are offered (until a shorter data PDU comes), so that the next large
 * PDU's data is not read into @buf and copied.
 *
 * Context: the connection's thread, before the first byte, or later
 * between calls (the machine holds no bytes in its buffer between calls).
 * Return: 0, or -EINVAL.
 */
int nvme_tcp_rx_set_buf(struct nvme_tcp_rx *rx, void *buf, size_t size, uint32_t direct_min);

/**
 * nvme_tcp_rx_iov() - Where the next bytes from the socket should go.
 * @rx: the machine.
 * @iov: filled with up to @max regions, to pass to readv()/recvmsg() as is.
 * @max: room in @iov (at least 1; 4 or more lets data, its digest and the
 *       next header arrive in one read).
 *
 * The regions are the machine's own header buffer, the owner's data
 * iovecs, the data-digest field or the staging buffer, in the order the
 * stream fills them; read into them, then report the count with
 * nvme_tcp_rx_advance(). They stay valid until that call.
 *
 * Context: the connection's thread.
 * Return: the number of regions filled (>= 1); 0 when the machine has
 * stopped (nvme_tcp_rx_advance() returns why); -EINVAL for @max < 1.
 */
int nvme_tcp_rx_iov(struct nvme_tcp_rx *rx, struct iovec *iov, int max);

/**
 * nvme_tcp_rx_advance() - @n bytes arrived in the regions nvme_tcp_rx_iov() named.
 * @rx: the machine.
 * @n: bytes the read returned (0 is allowed and does nothing).
 *
 * Runs the machine over them: checks headers, verifies digests, calls
 * pdu_data and pdu_done, as many PDUs as the bytes complete.
 *
 * Context: the connection's thread (the callbacks run inside).
 * Return: 0 when every byte was consumed; -EPROTO when the peer broke the
 * protocol: nvme_tcp_rx_error() has the FES and FEI for the TermReq to send
 * (nvme_tcp_pdu_term_req_init_rx()), after which the owner closes the
 * connection; -ECONNABORTED after a received TermReq; a callback's own
 * negative errno; -EINVAL if @n exceeds what was offered. Once stopped,
 * every call returns the same error.
 */
int nvme_tcp_rx_advance(struct nvme_tcp_rx *rx, size_t n);

/**
 * nvme_tcp_rx_feed() - Run the machine over bytes that are in a buffer of the caller's.
 * @rx: the machine.
 * @buf: @len bytes of the stream (copied where they belong).
 * @len: byte count, any segmentation.
 *
 * For callers that already hold the bytes (tests, a transport that hands
 * out its own buffers); the staging buffer is not used.
 *
 * Context, Return: as nvme_tcp_rx_advance() (never -EINVAL for the length).
 */
int nvme_tcp_rx_feed(struct nvme_tcp_rx *rx, const void *buf, size_t len);

/**
 * nvme_tcp_rx_fail() - Record the owner's verdict on the current PDU.
 * @rx: the machine.
 * @fes: enum nvme_tcp_fes for the TermReq.
 * @fei: the FEI (a byte offset for FES 1 and 6, else 0).
 *
 * Call from a callback, then return -EPROTO from it; the error code becomes
 * NVME_TCP_ERR_OWNER.
 *
 * Context: inside pdu_data or pdu_done.
 */
void nvme_tcp_rx_fail(struct nvme_tcp_rx *rx, uint16_t fes, uint32_t fei);

/**
 * struct nvme_tcp_rx_err - Why the machine stopped, for the TermReq and the log.
 */
struct nvme_tcp_rx_err {
	int err;                 /**< the negative errno advance/feed return (0: running) */
	enum nvme_tcp_err code;  /**< what was wrong */
	uint16_t fes;            /**< FES for the TermReq (0 when none is to be sent) */
	uint32_t fei;            /**< FEI for the TermReq */
	const uint8_t *hdr;      /**< the offending header as received, to quote in the TermReq */
	uint32_t hdr_len;        /**< its length (at most NVME_TCP_TERM_REQ_DATA_MAX) */
};

/**
 * nvme_tcp_rx_error() - Why the machine stopped.
 * @rx: the machine.
 * @out: filled; @out->hdr points into @rx and stays valid until @rx is
 *       reinitialised.
 *
 * Context: the connection's thread.
 * Return: @out->err (0 while the machine runs).
 */
int nvme_tcp_rx_error(const struct nvme_tcp_rx *rx, struct nvme_tcp_rx_err *out);

/** nvme_tcp_rx_state_name() - Name of a state ("ch", "psh", "data", "ddgst", "error"). */
const char *nvme_tcp_rx_state_name(enum nvme_tcp_rx_state state);

/* ------------------------------------------------------------------------ */
/* Send                                                                     */
/* ------------------------------------------------------------------------ */

/**
 * struct nvme_tcp_pdu - One PDU to send: header, header digest and data
 * digest live here; data stays in the owner's buffers.
 *
 * Owned by the caller (typically one per request, or per connection for
 * control PDUs) and kept alive, untouched, until the writev of the iovecs
 * nvme_tcp_pdu_build() produced has completed.
 */
struct nvme_tcp_pdu {
	union {
		uint64_t align;
		struct nvme_tcp_common_hdr ch;
		struct nvme_tcp_ic_req ic_req;
		struct nvme_tcp_ic_resp ic_resp;
		struct nvme_tcp_term_req term_req;
		struct nvme_tcp_capsule_cmd capsule_cmd;
		struct nvme_tcp_capsule_resp capsule_resp;
		struct nvme_tcp_h2c_data h2c_data;
		struct nvme_tcp_c2h_data c2h_data;
		struct nvme_tcp_r2t r2t;
		/* header, then its digest at byte hlen (TermReq: its quoted data) */
		uint8_t raw[NVME_TCP_PDU_HDR_MAX + NVME_TCP_DIGEST_LEN];
	} hdr;
	uint8_t ddgst[4];   /* data digest, little-endian */
	uint32_t term_data_len; /* TermReq: bytes of quoted header after the 24-byte header */
};

/**
 * Header fillers: each clears @pdu's header and sets the PDU type, HLEN and
 * the PDU-specific fields from host-order values. FLAGS (other than
 * LAST_PDU/SUCCESS), PDO, PLEN and digests are set by nvme_tcp_pdu_build().
 * Context: any thread that owns @pdu. They cannot fail.
 */
/** nvme_tcp_pdu_ic_req_init() - ICReq: PFV 1.0, @hpda (0..31), the digests asked for, @maxr2t (0's based). */
void nvme_tcp_pdu_ic_req_init(struct nvme_tcp_pdu *pdu, uint8_t hpda, bool hdgst, bool ddgst,
			      uint32_t maxr2t);
/** nvme_tcp_pdu_ic_resp_init() - ICResp: PFV 1.0, @cpda (0..31), the digests enabled, @maxh2cdata. */
void nvme_tcp_pdu_ic_resp_init(struct nvme_tcp_pdu *pdu, uint8_t cpda, bool hdgst, bool ddgst,
			       uint32_t maxh2cdata);
/** nvme_tcp_pdu_capsule_cmd_init() - CapsuleCmd carrying a copy of @sqe (in-capsule data passed to build). */
void nvme_tcp_pdu_capsule_cmd_init(struct nvme_tcp_pdu *pdu, const struct sio_nvme_cmd *sqe);
/** nvme_tcp_pdu_capsule_resp_init() - CapsuleResp carrying a copy of @cqe. */
void nvme_tcp_pdu_capsule_resp_init(struct nvme_tcp_pdu *pdu, const struct sio_nvme_cpl *cqe);
/** nvme_tcp_pdu_h2c_data_init() - H2CData header; DATAL is set by build from its data length. */
void nvme_tcp_pdu_h2c_data_init(struct nvme_tcp_pdu *pdu, uint16_t cccid, uint16_t ttag,
				uint32_t datao, bool last);
/** nvme_tcp_pdu_c2h_data_init() - C2HData header; @success needs @last (else it is dropped). */
void nvme_tcp_pdu_c2h_data_init(struct nvme_tcp_pdu *pdu, uint16_t cccid, uint32_t datao,
				bool last, bool success);
/** nvme_tcp_pdu_r2t_init() - R2T. */
void nvme_tcp_pdu_r2t_init(struct nvme_tcp_pdu *pdu, uint16_t cccid, uint16_t ttag,
			   uint32_t r2to, uint32_t r2tl);
/**
 * nvme_tcp_pdu_term_req_init() - H2CTermReq (@role host) or C2HTermReq (@role target).
 * @hdr, @hdr_len: the offending PDU header to quote, truncated to 128 bytes (may be NULL, 0).
 */
void nvme_tcp_pdu_term_req_init(struct nvme_tcp_pdu *pdu, enum nvme_tcp_role role, uint16_t fes,
				uint32_t fei, const void *hdr, size_t hdr_len);
/**
 * nvme_tcp_pdu_term_req_init_rx() - The TermReq answering why @rx stopped.
 * Return: 0 with @pdu filled (FES, FEI, quoted header); -EAGAIN if @rx is
 * still running; -ENOENT if it stopped for a reason that sends no TermReq
 * (the peer's TermReq, an owner error without nvme_tcp_rx_fail()).
 */
int nvme_tcp_pdu_term_req_init_rx(struct nvme_tcp_pdu *pdu, const struct nvme_tcp_rx *rx);

/**
 * nvme_tcp_pdu_build() - Complete @pdu and lay it out for one writev.
 * @pdu: filled by one of the _init() calls above.
 * @params: the connection's parameters (digests, the peer's data alignment);
 *          ignored for ICReq/ICResp/TermReq, which never carry digests;
 *          NULL means none of either (what IC PDUs use anyway).
 * @data: the PDU's data (CapsuleCmd in-capsule data, H2CData, C2HData), or NULL.
 * @data_iovcnt: entries in @data.
 * @data_len: bytes of @data to send (the first @data_len of the array).
 * @out: filled with the iovecs to write, in order: header (with its digest),
 *       zero padding up to PDO, the data, the data digest.
 * @out_max: room in @out; @data_iovcnt + 3 always suffices.
 *
 * Sets FLAGS (digest bits), PDO (aligned to (tx_pda + 1) * 4), PLEN, DATAL
 * for data PDUs, computes the header digest and, over @data, the data
 * digest. The padding comes from a static zero page, the data is not
 * copied. @pdu and @data must not change until the write completes.
 *
 * Context: the thread that owns @pdu; no allocation.
 * Return: the number of iovecs in @out (their bytes add up to PLEN);
 * -EINVAL for data on a PDU type that has none, no data on H2CData/C2HData,
 * @data holding fewer than @data_len bytes, a PLEN above 4 GiB, a tx_pda
 * above NVME_TCP_PDA_MAX, or an unknown type; -ENOSPC if @out_max is too
 * small. On failure @pdu's header is left as the _init() call made it.
 */
int nvme_tcp_pdu_build(struct nvme_tcp_pdu *pdu, const struct nvme_tcp_params *params,
		       const struct iovec *data, int data_iovcnt, uint32_t data_len,
		       struct iovec *out, int out_max);

/** nvme_tcp_pdu_plen() - PLEN of a built @pdu, host order (the bytes its iovecs hold). */
static inline uint32_t nvme_tcp_pdu_plen(const struct nvme_tcp_pdu *pdu)
{
	return nvme_tcp_get_le32(&pdu->hdr.ch.plen);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * nvme_tcp_iov_slice() - The iovecs covering bytes [@offset, @offset + @len) of @in.
 * @out: filled (no bytes copied).
 * @out_max: room in @out.
 *
 * For the data of one H2CData/C2HData PDU out of a command's buffer.
 * Context: any thread.
 * Return: the number of entries; -EINVAL if @in holds fewer than
 * @offset + @len bytes; -ENOSPC if @out_max is too small.
 */
int nvme_tcp_iov_slice(struct iovec *out, int out_max, const struct iovec *in, int incnt,
		       size_t offset, size_t len);

/**
 * nvme_tcp_iov_advance() - Drop the first @n bytes of an iovec array in place
 * (after a partial writev).
 * @iov: in/out: moves past fully written entries, trims the first partial one.
 * @iovcnt: in/out.
 * Context: any thread.
 * Return: the bytes still to write.
 */
size_t nvme_tcp_iov_advance(struct iovec **iov, int *iovcnt, size_t n);

/** nvme_tcp_pdu_type_name() - "ICReq", "CapsuleCmd", ...; "?" for an unknown type. */
const char *nvme_tcp_pdu_type_name(uint8_t type);
/** nvme_tcp_fes_name() - "Invalid PDU Header Field", ...; "?" for an unknown FES. */
const char *nvme_tcp_fes_name(uint16_t fes);
/** nvme_tcp_err_name() - A short text for an enum nvme_tcp_err. */
const char *nvme_tcp_err_name(enum nvme_tcp_err code);

#endif /* SIO_NVME_TCP_H */
