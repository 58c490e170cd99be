/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target's half of DH-HMAC-CHAP (NVMe Base 2.0 section 8.13): one
 * transaction per queue pair, driven by the host's Authentication Send
 * (AUTH_Negotiate, Reply, Success2, Failure2) and Authentication Receive
 * (Challenge, Success1, Failure1) commands. A queue whose Connect answered
 * "authentication required" takes nothing else until the transaction
 * succeeds; a host that fails gets Failure1 and its queue is closed.
 *
 * Threads: everything runs on the queue pair's poll group thread; the keys
 * are keyring references taken at Connect (under the subsystem's mutex), and
 * again when the host re-authenticates the queue (a new AUTH_Negotiate), so
 * nvmf_subsystem_set_keys applies to the next transaction of every queue
 * already connected; the allowed digests/groups are a pair of atomics that
 * nvmf_set_config writes.
 * The DH computation (ffdhe2048: ~1 ms, ffdhe8192: tens of ms) runs inline on
 * that thread: authentication happens once per queue connection, and once
 * per queue each time the host re-authenticates (a key rotation).
 */
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/auth/dhchap.h"
#include "nvmf/nvmf_auth.h"
#include "nvmf/nvmf_ctrlr.h"
#include "nvmf/nvmf_internal.h"
#include "spdk_io/env.h"
#include "spdk_io/keyring.h"
#include "spdk_io/log.h"
#include "spdk_io/thread.h"

/* States of a queue's transaction (the next message expected). */
enum nvmf_auth_state {
	AUTH_WAIT_NEGOTIATE = 0, /* Connect done: AUTH_Negotiate expected (Send) */
	AUTH_SEND_CHALLENGE,     /* negotiated: the Challenge goes out on the next Receive */
	AUTH_WAIT_REPLY,         /* Challenge sent: the Reply expected (Send) */
	AUTH_SEND_SUCCESS1,      /* host proven: Success1 goes out on the next Receive */
	AUTH_WAIT_SUCCESS2,      /* bidirectional: the host's Success2 (or Failure2) expected */
	AUTH_SEND_FAILURE1,      /* failed: Failure1 goes out on the next Receive, then close */
	AUTH_DONE,               /* succeeded */
};

struct nvmf_auth {
	enum nvmf_auth_state state;
	uint8_t fail_exp;         /* enum dhchap_failure of a failed transaction */
	uint16_t t_id;
	uint8_t hashid;
	uint8_t dhgid;
	uint8_t hl;
	bool bidirectional;       /* the host sent C2 */
	bool reauth;              /* this transaction re-authenticates a queue in use */
	uint32_t s1;
	uint8_t c1[DHCHAP_MAX_HASH_LEN];
	uint8_t r2[DHCHAP_MAX_HASH_LEN];
	struct dhchap_dh *dh;
	struct sio_key *host_key;   /* references, put at free */
	struct sio_key *ctrlr_key;
	struct sio_poller *close_poller; /* a failed queue closes when it fires */
	uint8_t msg[DHCHAP_MSG_MAX];
};

static uint32_t g_digests = DHCHAP_DIGESTS_ALL;
static uint32_t g_dhgroups = DHCHAP_DHGROUPS_ALL;

void nvmf_auth_set_allowed(uint32_t digests, uint32_t dhgroups)
{
	__atomic_store_n(&g_digests, digests, __ATOMIC_RELAXED);
	__atomic_store_n(&g_dhgroups, dhgroups, __ATOMIC_RELAXED);
}

void nvmf_auth_get_allowed(uint32_t *digests, uint32_t *dhgroups)
{
	*digests = __atomic_load_n(&g_digests, __ATOMIC_RELAXED);
	*dhgroups = __atomic_load_n(&g_dhgroups, __ATOMIC_RELAXED);
}

int nvmf_auth_qpair_require(struct nvmf_qpair *qp, struct sio_key *host_key,
			    struct sio_key *ctrlr_key)
{
	struct nvmf_auth *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return -ENOMEM;
	a->host_key = sio_key_ref(host_key);
	a->ctrlr_key = sio_key_ref(ctrlr_key);
	qp->auth = a;
	qp->auth_pending = true;
	return 0;
}

static void auth_reset(struct nvmf_auth *a)
{
	dhchap_dh_destroy(a->dh);
	a->dh = NULL;
	explicit_bzero(a->c1, sizeof(a->c1));
	explicit_bzero(a->r2, sizeof(a->r2));
	explicit_bzero(a->msg, sizeof(a->msg));
}

void nvmf_auth_qpair_free(struct nvmf_qpair *qp)
{
	struct nvmf_auth *a = qp->auth;

	if (a == NULL)
		return;
	auth_reset(a);
	sio_poller_unregister(&a->close_poller);
	sio_key_put(a->host_key);
	sio_key_put(a->ctrlr_key);
	free(a);
	qp->auth = NULL;
}

static const char *auth_host(struct nvmf_qpair *qp)
{
	return qp->ctrlr != NULL ? qp->ctrlr->hostnqn : "?";
}

static const char *auth_subnqn(struct nvmf_qpair *qp)
{
	return qp->ctrlr != NULL ? qp->ctrlr->ss->nqn : "?";
}

/*
 * A re-authentication checks the host against the keys it has now
 * (nvmf_subsystem_set_keys may have changed them since Connect): take them
 * again from the subsystem's host entry. False: the host has no key any more.
 * The controller keeps its subsystem alive (a subsystem is freed only once it
 * has no controllers), so ss is valid here.
 */
static bool auth_refresh_keys(struct nvmf_qpair *qp)
{
	struct nvmf_auth *a = qp->auth;
	struct sio_nvmf_subsystem *ss = qp->ctrlr->ss;
	struct sio_key *key, *ckey;

	pthread_mutex_lock(&ss->mutex);
	nvmf_subsystem_host_dhchap_keys_locked(ss, qp->ctrlr->hostnqn, &key, &ckey);
	pthread_mutex_unlock(&ss->mutex);
	sio_key_put(a->host_key);
	sio_key_put(a->ctrlr_key);
	a->host_key = key;
	a->ctrlr_key = ckey;
	return key != NULL;
}

static void auth_fail(struct nvmf_qpair *qp, uint8_t exp, const char *why)
{
	struct nvmf_auth *a = qp->auth;

	SIO_NOTICELOG("nvmf: DH-HMAC-CHAP of host %s to %s (qid %u) failed: %s", auth_host(qp),
		      auth_subnqn(qp), qp->qid, why);
	auth_reset(a);
	a->state = AUTH_SEND_FAILURE1;
	a->fail_exp = exp;
}

/* The strongest id present in both the host's list and @allowed. */
static int pick(const uint8_t *ids, unsigned n, uint32_t allowed, int max, int min)
{
	for (int id = max; id >= min; id--) {
		if (!(allowed & (1u << id)))
			continue;
		for (unsigned i = 0; i < n; i++)
			if (ids[i] == id)
				return id;
	}
	return -1;
}

static void handle_negotiate(struct nvmf_qpair *qp, const uint8_t *buf, size_t len)
{
	const struct dhchap_negotiate *n = (const void *)buf;
	const struct dhchap_protocol_desc *d = NULL;
	struct nvmf_auth *a = qp->auth;
	uint32_t digests, dhgroups;
	int h, g;

	if (len < sizeof(*n) || n->napd == 0 ||
	    len < sizeof(*n) + (size_t)n->napd * sizeof(struct dhchap_protocol_desc)) {
		auth_fail(qp, DHCHAP_FAIL_INCORRECT_PAYLOAD, "short AUTH_Negotiate");
		return;
	}
	a->t_id = n->t_id;
	if (n->sc_c != 0) {
		auth_fail(qp, DHCHAP_FAIL_CONCAT_MISMATCH,
			  "secure channel concatenation asked (not supported)");
		return;
	}
	for (unsigned i = 0; i < n->napd; i++)
		if (n->descs[i].authid == DHCHAP_PROTOCOL_ID)
			d = &n->descs[i];
	if (d == NULL || d->halen > 30 || d->dhlen > 30) {
		auth_fail(qp, DHCHAP_FAIL_NOT_USABLE, "no DH-HMAC-CHAP protocol descriptor");
		return;
	}
	nvmf_auth_get_allowed(&digests, &dhgroups);
	h = pick(d->idlist, d->halen, digests, DHCHAP_HASH_MAX, 1);
	if (h < 0) {
		auth_fail(qp, DHCHAP_FAIL_HASH_UNUSABLE, "no digest in common");
		return;
	}
	g = pick(d->idlist + 30, d->dhlen, dhgroups, DHCHAP_DHGROUP_MAX, 0);
	if (g < 0) {
		auth_fail(qp, DHCHAP_FAIL_DHGROUP_UNUSABLE, "no DH group in common");
		return;
	}
	a->hashid = (uint8_t)h;
	a->dhgid = (uint8_t)g;
	a->hl = (uint8_t)dhchap_hash_len(a->hashid);
	a->state = AUTH_SEND_CHALLENGE;
}

static size_t build_challenge(struct nvmf_qpair *qp)
{
	struct nvmf_auth *a = qp->auth;
	struct dhchap_challenge *c = (void *)a->msg;
	size_t dhlen = 0;

	memset(a->msg, 0, sizeof(a->msg));
	if (dhchap_random(a->c1, a->hl) != 0)
		return 0;
	a->s1 = dhchap_seqnum();
	if (a->dhgid != DHCHAP_DHGROUP_NULL) {
		a->dh = dhchap_dh_create(a->dhgid);
		if (a->dh == NULL)
			return 0;
		dhlen = dhchap_dh_len(a->dh);
		if (dhchap_dh_public(a->dh, c->data + a->hl) != 0)
			return 0;
	}
	c->auth_type = DHCHAP_AUTH_TYPE_DHCHAP;
	c->auth_id = DHCHAP_MSG_CHALLENGE;
	c->t_id = a->t_id;
	c->hl = a->hl;
	c->hashid = a->hashid;
	c->dhgid = a->dhgid;
	c->dhvlen = (uint16_t)dhlen;
	c->seqnum = a->s1;
	memcpy(c->data, a->c1, a->hl);
	a->state = AUTH_WAIT_REPLY;
	return sizeof(*c) + a->hl + dhlen;
}

static void handle_reply(struct nvmf_qpair *qp, const uint8_t *buf, size_t len)
{
	const struct dhchap_reply *r = (const void *)buf;
	struct nvmf_auth *a = qp->auth;
	uint8_t skey[DHCHAP_MAX_DH_LEN], ca[DHCHAP_MAX_HASH_LEN], expect[DHCHAP_MAX_HASH_LEN];
	const char *host = auth_host(qp), *sub = auth_subnqn(qp);
	size_t dhlen = a->dh != NULL ? dhchap_dh_len(a->dh) : 0;
	struct dhchap_key k;
	int rc;

	if (len < sizeof(*r) || r->hl != a->hl || r->dhvlen != dhlen ||
	    len < sizeof(*r) + 2u * a->hl + dhlen) {
		auth_fail(qp, DHCHAP_FAIL_INCORRECT_PAYLOAD, "malformed Reply");
		return;
	}
	if (a->dh != NULL) {
		rc = dhchap_dh_derive(a->dh, r->data + 2 * a->hl, dhlen, skey);
		if (rc != 0) {
			auth_fail(qp, DHCHAP_FAIL_INCORRECT_PAYLOAD, "bad DH value in Reply");
			goto out;
		}
	}
	rc = dhchap_key_load(a->host_key, host, &k);
	if (rc == 0)
		rc = dhchap_augment(a->hashid, a->dh != NULL ? skey : NULL, dhlen, a->c1, ca);
	if (rc == 0)
		rc = dhchap_response(a->hashid, &k, ca, a->s1, a->t_id, "HostHost", host, sub,
				     expect);
	if (rc != 0) {
		auth_fail(qp, DHCHAP_FAIL_FAILED, rc == -ENOKEY ? "the host's key was removed"
								: "cannot compute the response");
		goto out;
	}
	if (!dhchap_equal(expect, r->data, a->hl)) {
		auth_fail(qp, DHCHAP_FAIL_FAILED, "wrong response (the host's key differs)");
		goto out;
	}
	a->bidirectional = r->cvalid != 0;
	if (a->bidirectional) {
		if (a->ctrlr_key == NULL) {
			auth_fail(qp, DHCHAP_FAIL_FAILED,
				  "the host asks the controller to authenticate, no controller key set");
			goto out;
		}
		rc = dhchap_key_load(a->ctrlr_key, sub, &k);
		if (rc == 0)
			rc = dhchap_augment(a->hashid, a->dh != NULL ? skey : NULL, dhlen,
					    r->data + a->hl, ca);
		if (rc == 0)
			rc = dhchap_response(a->hashid, &k, ca, r->seqnum, a->t_id, "Controller",
					     sub, host, a->r2);
		if (rc != 0) {
			auth_fail(qp, DHCHAP_FAIL_FAILED, "cannot compute the controller's response");
			goto out;
		}
	}
	a->state = AUTH_SEND_SUCCESS1;
out:
	explicit_bzero(&k, sizeof(k));
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(ca, sizeof(ca));
	explicit_bzero(expect, sizeof(expect));
	dhchap_dh_destroy(a->dh);
	a->dh = NULL;
}

/* The transaction succeeded: the queue takes every command. */
static void auth_done(struct nvmf_qpair *qp)
{
	struct nvmf_auth *a = qp->auth;

	/* One line per controller, and one per queue re-authenticated: a key
	 * rotation is rare and an operator wants to see every queue follow it. */
	if (a->reauth)
		SIO_NOTICELOG("nvmf: host %s re-authenticated to %s on qid %u (%s, %s%s)",
			      auth_host(qp), auth_subnqn(qp), qp->qid, dhchap_hash_name(a->hashid),
			      dhchap_dhgroup_name(a->dhgid), a->bidirectional ? ", bidirectional" : "");
	else if (qp->qid == 0)
		SIO_NOTICELOG("nvmf: host %s authenticated to %s (%s, %s%s)", auth_host(qp),
			    auth_subnqn(qp), dhchap_hash_name(a->hashid),
			    dhchap_dhgroup_name(a->dhgid), a->bidirectional ? ", bidirectional" : "");
	a->state = AUTH_DONE;
	qp->auth_pending = false;
	auth_reset(a);
}

/* Zero the request's data buffers from byte @off on. */
static void req_zero_from(struct nvmf_req *req, size_t off)
{
	for (int i = 0; i < req->iovcnt; i++) {
		size_t il = req->iov[i].iov_len;

		if (off >= il) {
			off -= il;
			continue;
		}
		memset((uint8_t *)req->iov[i].iov_base + off, 0, il - off);
		off = 0;
	}
}

static int close_poll(void *ctx)
{
	struct nvmf_qpair *qp = ctx;

	sio_poller_unregister(&qp->auth->close_poller);
	if (qp->state == NVMF_QPAIR_ACTIVE)
		qp->ops->disconnect(qp);
	return SIO_POLLER_BUSY;
}

/*
 * The transaction failed: the queue takes nothing more and closes in a
 * second. Not at once: the host reads Failure1 (or has sent Failure2) and
 * disconnects itself; a close right behind the answer could reach it as a
 * reset before the answer is read.
 */
static void auth_close_later(struct nvmf_qpair *qp)
{
	qp->auth_pending = true;
	if (qp->auth->close_poller == NULL)
		qp->auth->close_poller = sio_poller_register(close_poll, qp, 1000000);
	if (qp->auth->close_poller == NULL)
		qp->ops->disconnect(qp);
}

/*
 * An authentication transaction is traffic on the admin queue: a host busy
 * with a slow DH group (ffdhe8192 takes seconds on a small or emulated CPU)
 * sends no Keep Alive meanwhile and must not be timed out for it.
 */
static void auth_keep_alive(struct nvmf_qpair *qp)
{
	if (qp->qid == 0 && qp->ctrlr != NULL && qp->ctrlr->admin_qpair == qp)
		qp->ctrlr->last_keep_alive = sio_get_ticks();
}

static bool check_secp(struct nvmf_req *req, uint8_t secp, uint8_t spsp0, uint8_t spsp1)
{
	if (secp != SIO_NVMF_AUTH_SECP_NVME || spsp0 != SIO_NVMF_AUTH_SPSP0_DHCHAP ||
	    spsp1 != SIO_NVMF_AUTH_SPSP1_DHCHAP) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return false;
	}
	return true;
}

void nvmf_auth_exec_send(struct nvmf_req *req)
{
	const struct sio_nvmf_auth_send_cmd *cmd = (const void *)&req->cmd;
	struct nvmf_qpair *qp = req->qpair;
	struct nvmf_auth *a = qp->auth;
	const struct dhchap_hdr *h;
	bool close = false;
	size_t len;

	auth_keep_alive(qp);

	if (!check_secp(req, cmd->secp, cmd->spsp0, cmd->spsp1))
		return;
	if (a == NULL) {
		/* The host's entry has no key: nothing to authenticate with. */
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	len = cmd->tl;
	if (len == 0 || len > req->length || len > sizeof(a->msg)) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	memset(a->msg, 0, sizeof(a->msg));
	nvmf_req_read_at(req, 0, a->msg, len);
	h = (const void *)a->msg;
	if (len >= sizeof(*h) && h->auth_type == DHCHAP_AUTH_TYPE_COMMON &&
	    h->auth_id == DHCHAP_MSG_NEGOTIATE && a->state != AUTH_SEND_FAILURE1) {
		/* First transaction, a re-authentication the host starts on a queue
		 * in use, or a transaction the host gave up and begins again. */
		if (a->state == AUTH_DONE)
			a->reauth = true;
		if (a->state != AUTH_WAIT_NEGOTIATE) {
			/* What a transaction left behind (not the message: it is this one). */
			dhchap_dh_destroy(a->dh);
			a->dh = NULL;
			explicit_bzero(a->c1, sizeof(a->c1));
			explicit_bzero(a->r2, sizeof(a->r2));
		}
		if (a->state != AUTH_WAIT_NEGOTIATE && !auth_refresh_keys(qp)) {
			auth_fail(qp, DHCHAP_FAIL_FAILED, "the host has no DH-HMAC-CHAP key any more");
		} else {
			handle_negotiate(qp, a->msg, len);
		}
	} else if (len >= sizeof(*h) && h->auth_id == DHCHAP_MSG_FAILURE2) {
		SIO_NOTICELOG("nvmf: host %s rejected controller %s's authentication (qid %u)",
			      auth_host(qp), auth_subnqn(qp), qp->qid);
		close = true;
	} else if (len < sizeof(*h) || h->auth_type != DHCHAP_AUTH_TYPE_DHCHAP ||
		   h->t_id != a->t_id) {
		auth_fail(qp, DHCHAP_FAIL_INCORRECT_PROTOCOL, "unexpected message");
	} else if (h->auth_id == DHCHAP_MSG_REPLY && a->state == AUTH_WAIT_REPLY) {
		handle_reply(qp, a->msg, len);
	} else if (h->auth_id == DHCHAP_MSG_SUCCESS2 && a->state == AUTH_WAIT_SUCCESS2) {
		auth_done(qp);
	} else {
		auth_fail(qp, DHCHAP_FAIL_INCORRECT_PROTOCOL, "message out of sequence");
	}
	/* Protocol failures are told by the next Receive (Failure1), not by this status. */
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
	if (close)
		auth_close_later(qp);
}

void nvmf_auth_exec_recv(struct nvmf_req *req)
{
	const struct sio_nvmf_auth_recv_cmd *cmd = (const void *)&req->cmd;
	struct nvmf_qpair *qp = req->qpair;
	struct nvmf_auth *a = qp->auth;
	size_t len = 0;
	bool close = false;

	auth_keep_alive(qp);
	if (!check_secp(req, cmd->secp, cmd->spsp0, cmd->spsp1))
		return;
	if (a == NULL || cmd->al == 0 || cmd->al > req->length) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC,
					 a == NULL ? SIO_NVME_SC_COMMAND_SEQUENCE_ERROR
						   : SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	switch (a->state) {
	case AUTH_SEND_CHALLENGE:
		len = build_challenge(qp);
		if (len == 0)
			auth_fail(qp, DHCHAP_FAIL_FAILED, "cannot build the challenge");
		break;
	case AUTH_SEND_SUCCESS1: {
		struct dhchap_success1 *s = (void *)a->msg;

		memset(a->msg, 0, sizeof(a->msg));
		s->auth_type = DHCHAP_AUTH_TYPE_DHCHAP;
		s->auth_id = DHCHAP_MSG_SUCCESS1;
		s->t_id = a->t_id;
		s->hl = a->hl;
		if (a->bidirectional) {
			s->rvalid = 1;
			memcpy(s->rval, a->r2, a->hl);
		}
		len = sizeof(*s) + (a->bidirectional ? a->hl : 0);
		if (a->bidirectional) {
			a->state = AUTH_WAIT_SUCCESS2;
		} else {
			/* copy out before auth_done() wipes the buffer */
			if (len > cmd->al)
				break;
			nvmf_req_copy_to(req, a->msg, len);
			auth_done(qp);
			goto complete;
		}
		break;
	}
	default:
		if (a->state != AUTH_SEND_FAILURE1)
			auth_fail(qp, DHCHAP_FAIL_INCORRECT_PROTOCOL, "Receive out of sequence");
		break;
	}
	if (a->state == AUTH_SEND_FAILURE1) {
		struct dhchap_failure_msg *f = (void *)a->msg;

		memset(a->msg, 0, sizeof(a->msg));
		f->auth_type = DHCHAP_AUTH_TYPE_COMMON;
		f->auth_id = DHCHAP_MSG_FAILURE1;
		f->t_id = a->t_id;
		f->rescode = DHCHAP_FAILURE_REASON;
		f->rescode_exp = a->fail_exp;
		len = sizeof(*f);
		close = true;
	}
	if (len > cmd->al) {
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		if (close)
			auth_close_later(qp);
		return;
	}
	nvmf_req_copy_to(req, a->msg, len);
complete:
	/* The host's buffer is al bytes: the rest reads as zeros. */
	req_zero_from(req, len);
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
	if (close)
		auth_close_later(qp);
}
