/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small NVMe/TCP host for tests and the benchmark, built on the shared PDU
 * codec: a plain blocking-send / non-blocking-receive socket, one command
 * slot per CID, R2T answered with H2CData from the command's buffer, C2HData
 * placed into the command's read buffer. While waiting it polls the given
 * sio_thread, so a target running on the same OS thread makes progress.
 * It is deliberately literal (no queueing, no retries): tests drive it one
 * step at a time, and may write raw bytes to break the protocol on purpose.
 */
#ifndef SIO_TESTS_NVMF_TCP_HOST_H
#define SIO_TESTS_NVMF_TCP_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme/tcp/nvme_tcp.h"
#include "spdk_io/thread.h"

#define TH_SLOTS 256

struct th_slot {
	bool busy;
	bool done;
	struct sio_nvme_cpl cpl;
	uint8_t *rbuf;      /* C2H data lands here */
	uint32_t rlen;
	const uint8_t *wbuf; /* H2C data comes from here (R2T) */
	uint32_t wlen;
	uint32_t r2t_count;
	bool c2h_success;   /* completed by C2HData SUCCESS */
};

struct th {
	int fd;
	struct sio_thread *pump;  /* polled while waiting (may be NULL) */
	struct nvme_tcp_rx rx;
	struct nvme_tcp_params params;
	bool ic_done;
	uint32_t icd;             /* in-capsule data this host may send (0: none) */
	uint32_t maxh2cdata;
	struct th_slot slots[TH_SLOTS];
	struct iovec data_iov;
	bool term;                /* a C2HTermReq arrived */
	uint16_t term_fes;
	uint32_t term_fei;
	bool closed;              /* EOF or error from the target */
	int rx_err;
	uint16_t next_cid;
	int h2c_pdus_left;        /* > 0: send only that many more H2CData PDUs (tests) */
	uint8_t rxbuf[16384];
};

/* Connect a TCP socket to 127.0.0.1:@port. Return 0 or a negative errno. */
int th_open(struct th *h, int port, struct sio_thread *pump);
void th_close(struct th *h);

/* Poll the pump thread and read what the target sent; @us: how long at most. */
void th_pump(struct th *h, uint64_t us);
/* Pump until *@flag or @us pass; return *@flag. */
bool th_wait(struct th *h, const bool *flag, uint64_t us);

/* Send raw bytes as they are. */
int th_send_raw(struct th *h, const void *buf, size_t len);

/* ICReq with the digests asked for; waits for ICResp. Return 0 or -errno. */
int th_icreq(struct th *h, bool hdgst, bool ddgst);

/*
 * Send @cmd (cid filled in) with @wlen bytes of @wbuf (in-capsule when it
 * fits @h->icd and @in_capsule, else R2T), expecting @rlen bytes into
 * @rbuf; wait for the completion into @cpl. Return 0 when it completed,
 * -ETIMEDOUT, or -ECONNRESET when the target closed or sent a TermReq.
 */
int th_cmd(struct th *h, struct sio_nvme_cmd *cmd, const void *wbuf, uint32_t wlen,
	   bool in_capsule, void *rbuf, uint32_t rlen, struct sio_nvme_cpl *cpl);

/* Send only (no wait); returns the CID or -errno. */
int th_submit(struct th *h, struct sio_nvme_cmd *cmd, const void *wbuf, uint32_t wlen,
	      bool in_capsule, void *rbuf, uint32_t rlen);
/* Wait for CID @cid. */
int th_wait_cpl(struct th *h, uint16_t cid, struct sio_nvme_cpl *cpl, uint64_t us);

/* Fabrics Connect; @cntlid 0xffff for the admin queue. Returns th_cmd()'s rc. */
int th_connect(struct th *h, const char *subnqn, const char *hostnqn, uint16_t qid,
	       uint16_t sqsize, uint16_t cntlid, uint32_t kato, bool disable_sqflow,
	       struct sio_nvme_cpl *cpl);
int th_prop_get(struct th *h, uint32_t ofst, bool eight, uint64_t *val, struct sio_nvme_cpl *cpl);
int th_prop_set(struct th *h, uint32_t ofst, uint32_t val, struct sio_nvme_cpl *cpl);

/* ICReq, admin Connect, CC.EN = 1, wait CSTS.RDY. Returns the CNTLID or -errno. */
int th_admin_up(struct th *h, int port, struct sio_thread *pump, const char *subnqn,
		const char *hostnqn, bool digests);

static inline uint16_t th_status(const struct sio_nvme_cpl *cpl)
{
	return (uint16_t)(cpl->status.sct << 8 | cpl->status.sc);
}

#endif
