/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target's DH-HMAC-CHAP (src/nvmf/auth.c): what Connect, the command
 * dispatch and nvmf_set_config call. Queue pair calls run on the queue
 * pair's poll group thread.
 */
#ifndef SIO_NVMF_AUTH_H
#define SIO_NVMF_AUTH_H

#include <stdint.h>

#include "nvme/auth/dhchap.h"

struct nvmf_qpair;
struct nvmf_req;
struct sio_key;

/*
 * Connect of a host with a DH-HMAC-CHAP key: @qp takes nothing but
 * Authentication Send/Receive until a transaction succeeds. References on
 * the keys are taken (@ctrlr_key may be NULL: no bidirectional auth).
 * Return 0 or -ENOMEM.
 */
int nvmf_auth_qpair_require(struct nvmf_qpair *qp, struct sio_key *host_key,
			    struct sio_key *ctrlr_key);
/* Drop @qp's authentication state (qpair end). */
void nvmf_auth_qpair_free(struct nvmf_qpair *qp);
/* Fabrics Authentication Send / Receive on @req's queue; complete @req. */
void nvmf_auth_exec_send(struct nvmf_req *req);
void nvmf_auth_exec_recv(struct nvmf_req *req);
/* Digests (bit 1 << hash id) and DH groups (bit 1 << group id) the target accepts; default all. Any thread. */
void nvmf_auth_set_allowed(uint32_t digests, uint32_t dhgroups);
void nvmf_auth_get_allowed(uint32_t *digests, uint32_t *dhgroups);

#endif
