/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's half of DH-HMAC-CHAP (NVMe Base 2.0 section 8.13): after a
 * Connect whose response asks for authentication, the queue pair runs one
 * transaction of Authentication Send / Receive commands before it is usable:
 *
 *   Send AUTH_Negotiate -> Receive Challenge -> Send Reply -> Receive
 *   Success1 -> (bidirectional) Send Success2, or Failure2 if the controller's
 *   response is wrong.
 *
 * Each step is a callback of the previous command (the queue pair's thread).
 * The computations are src/nvme/auth/dhchap.c, shared with the target.
 * The same code re-authenticates a connected queue, admin
 * (sio_nvme_ctrlr_set_dhchap_keys()) or I/O (sio_nvme_qpair_authenticate()):
 * the commands are internal ones that go on the wire beside the queue's I/O,
 * which carries on meanwhile. A re-authentication the controller refuses
 * fails the queue: the controller has revoked it, so nothing more goes on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/auth/dhchap.h"
#include "nvme/host/nvme_internal.h"
#include "spdk_io/keyring.h"

/* Steps of a transaction: the command whose completion is awaited. */
enum nvme_auth_step {
	AUTH_NEGOTIATE_SENT = 0,
	AUTH_CHALLENGE_RECV,
	AUTH_REPLY_SENT,
	AUTH_SUCCESS1_RECV,
	AUTH_SUCCESS2_SENT,
	AUTH_FAILURE2_SENT,
};

struct nvme_auth {
	struct sio_nvme_qpair *qpair;
	nvme_rc_cb cb;
	void *cb_arg;
	enum nvme_auth_step step;
	int rc;                   /* outcome once Failure2 is sent */
	bool reauth;              /* the queue was connected (and in use) when this began */
	uint16_t t_id;
	uint8_t hashid;
	uint8_t dhgid;
	uint8_t hl;
	bool bidirectional;
	/*
	 * This exchange's own references: sio_nvme_ctrlr_set_dhchap_keys() may
	 * swap the controller's keys on its thread while an I/O queue
	 * authenticates on another.
	 */
	struct sio_key *key;
	struct sio_key *ctrlr_key;
	char hostnqn[SIO_NVMF_NQN_FIELD_LEN];
	char subnqn[SIO_NVMF_NQN_FIELD_LEN];
	uint8_t r2[DHCHAP_MAX_HASH_LEN]; /* the controller's response we expect */
	struct iovec iov;
	uint8_t msg[DHCHAP_MSG_MAX];
};

static void auth_free(struct nvme_auth *a)
{
	sio_key_put(a->key);
	sio_key_put(a->ctrlr_key);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

static void auth_finish(struct nvme_auth *a, int rc)
{
	struct sio_nvme_qpair *qpair = a->qpair;
	nvme_rc_cb cb = a->cb;
	void *cb_arg = a->cb_arg;
	bool reauth = a->reauth;

	auth_free(a);
	qpair->authenticating = false;
	if (rc == 0)
		qpair->stats.authentications++;
	if (reauth && rc == -EACCES && qpair->state == NVME_QPAIR_CONNECTED &&
	    !qpair->failed_pending) {
		/* Refused (Failure1), or the controller failed to prove itself
		 * (Failure2): the queue is no longer trusted by one side. Fail it at
		 * the next safe point, as a lost connection: what is on the wire
		 * completes with a path error, the controller is failed and reset
		 * by its owner. We are inside one of the queue's completions here. */
		SIO_ERRLOG("nvme: re-authentication of queue %u with %s refused: disconnecting it",
			   qpair->qid, qpair->ctrlr->trid.subnqn);
		qpair->failed_pending = true;
		qpair->fail_rc = -EACCES;
	}
	cb(cb_arg, rc);
}

static void auth_cmd_done(void *arg, int rc, const struct sio_nvme_cpl *cpl);

static int auth_submit(struct nvme_auth *a, bool send, uint32_t len)
{
	union {
		struct sio_nvmf_auth_send_cmd send;
		struct sio_nvmf_auth_recv_cmd recv;
		struct sio_nvme_cmd cmd;
	} c;

	memset(&c, 0, sizeof(c));
	c.send.opcode = SIO_NVME_OPC_FABRICS;
	c.send.fctype = send ? SIO_NVMF_FCTYPE_AUTH_SEND : SIO_NVMF_FCTYPE_AUTH_RECV;
	c.send.secp = SIO_NVMF_AUTH_SECP_NVME;
	c.send.spsp0 = SIO_NVMF_AUTH_SPSP0_DHCHAP;
	c.send.spsp1 = SIO_NVMF_AUTH_SPSP1_DHCHAP;
	c.send.tl = len; /* TL of Send, AL of Receive: the same dword */
	if (!send)
		memset(a->msg, 0, len);
	a->iov.iov_base = a->msg;
	a->iov.iov_len = len;
	return nvme_qpair_submit_cmd(a->qpair, &c.cmd, &a->iov, 1, len, true, auth_cmd_done, a);
}

static void auth_log(struct nvme_auth *a, const char *why)
{
	SIO_ERRLOG("nvme: DH-HMAC-CHAP of queue %u with %s failed: %s", a->qpair->qid, a->subnqn, why);
}

/* The controller failed us, or we cannot go on: tell it (Failure2), then end with @rc. */
static void auth_send_failure2(struct nvme_auth *a, uint8_t exp, int rc)
{
	struct dhchap_failure_msg *f = (void *)a->msg;

	memset(a->msg, 0, sizeof(a->msg));
	f->auth_type = DHCHAP_AUTH_TYPE_COMMON;
	f->auth_id = DHCHAP_MSG_FAILURE2;
	f->t_id = a->t_id;
	f->rescode = DHCHAP_FAILURE_REASON;
	f->rescode_exp = exp;
	a->rc = rc;
	a->step = AUTH_FAILURE2_SENT;
	if (auth_submit(a, true, sizeof(*f)) != 0)
		auth_finish(a, rc);
}

/* A Failure1 where another message was expected: the controller refused us. */
static bool is_failure1(struct nvme_auth *a)
{
	const struct dhchap_failure_msg *f = (const void *)a->msg;

	if (f->auth_id != DHCHAP_MSG_FAILURE1)
		return false;
	SIO_ERRLOG("nvme: %s refused DH-HMAC-CHAP of queue %u (host %s): reason %u/%u%s",
		   a->subnqn, a->qpair->qid, a->hostnqn, f->rescode, f->rescode_exp,
		   f->rescode_exp == DHCHAP_FAIL_FAILED ? " (wrong key?)" : "");
	return true;
}

static int build_negotiate(struct nvme_auth *a)
{
	const struct sio_nvme_ctrlr_opts *o = &a->qpair->ctrlr->opts;
	struct dhchap_negotiate *n = (void *)a->msg;
	struct dhchap_protocol_desc *d = &n->descs[0];
	uint32_t digests = o->dhchap_digests ? o->dhchap_digests : DHCHAP_DIGESTS_ALL;
	uint32_t groups = o->dhchap_dhgroups ? o->dhchap_dhgroups : DHCHAP_DHGROUPS_ALL;

	memset(a->msg, 0, sizeof(a->msg));
	n->auth_type = DHCHAP_AUTH_TYPE_COMMON;
	n->auth_id = DHCHAP_MSG_NEGOTIATE;
	n->t_id = a->t_id;
	n->sc_c = 0;
	n->napd = 1;
	d->authid = DHCHAP_PROTOCOL_ID;
	for (uint8_t id = 1; id <= DHCHAP_HASH_MAX; id++)
		if (digests & (1u << id))
			d->idlist[d->halen++] = id;
	for (uint8_t id = 0; id <= DHCHAP_DHGROUP_MAX; id++)
		if (groups & (1u << id))
			d->idlist[30 + d->dhlen++] = id;
	return (int)(sizeof(*n) + sizeof(*d));
}

/* Challenge in a->msg: compute R1 (and C2 / expected R2), build and send the Reply. */
static int handle_challenge(struct nvme_auth *a, uint8_t *exp)
{
	const struct sio_nvme_ctrlr_opts *o = &a->qpair->ctrlr->opts;
	struct dhchap_challenge ch;
	struct dhchap_reply *r;
	struct dhchap_dh *dh = NULL;
	uint8_t c1[DHCHAP_MAX_HASH_LEN], peer[DHCHAP_MAX_DH_LEN], skey[DHCHAP_MAX_DH_LEN];
	uint8_t ca[DHCHAP_MAX_HASH_LEN], r1[DHCHAP_MAX_HASH_LEN], c2[DHCHAP_MAX_HASH_LEN];
	uint32_t digests = o->dhchap_digests ? o->dhchap_digests : DHCHAP_DIGESTS_ALL;
	uint32_t groups = o->dhchap_dhgroups ? o->dhchap_dhgroups : DHCHAP_DHGROUPS_ALL;
	struct dhchap_key k;
	size_t dhlen = 0, len;
	uint32_t s2 = 0;
	int rc = -EPROTO;

	memset(&k, 0, sizeof(k));
	memcpy(&ch, a->msg, sizeof(ch));
	*exp = DHCHAP_FAIL_INCORRECT_PAYLOAD;
	if (ch.auth_type != DHCHAP_AUTH_TYPE_DHCHAP || ch.auth_id != DHCHAP_MSG_CHALLENGE ||
	    ch.t_id != a->t_id) {
		auth_log(a, "unexpected message instead of the Challenge");
		*exp = DHCHAP_FAIL_INCORRECT_PROTOCOL;
		goto out;
	}
	if (ch.hashid > DHCHAP_HASH_MAX || !(digests & (1u << ch.hashid)) ||
	    ch.hl != dhchap_hash_len(ch.hashid)) {
		auth_log(a, "the controller chose a digest we did not offer");
		*exp = DHCHAP_FAIL_HASH_UNUSABLE;
		goto out;
	}
	if (ch.dhgid > DHCHAP_DHGROUP_MAX || !(groups & (1u << ch.dhgid))) {
		auth_log(a, "the controller chose a DH group we did not offer");
		*exp = DHCHAP_FAIL_DHGROUP_UNUSABLE;
		goto out;
	}
	a->hashid = ch.hashid;
	a->dhgid = ch.dhgid;
	a->hl = ch.hl;
	if (sizeof(ch) + ch.hl + ch.dhvlen > sizeof(a->msg) || ch.dhvlen > DHCHAP_MAX_DH_LEN) {
		auth_log(a, "Challenge too long");
		goto out;
	}
	memcpy(c1, a->msg + sizeof(ch), a->hl);
	if (a->dhgid != DHCHAP_DHGROUP_NULL) {
		dh = dhchap_dh_create(a->dhgid);
		if (dh == NULL) {
			auth_log(a, "cannot generate a DH key");
			*exp = DHCHAP_FAIL_FAILED;
			goto out;
		}
		dhlen = dhchap_dh_len(dh);
		memcpy(peer, a->msg + sizeof(ch) + a->hl, ch.dhvlen);
		if (ch.dhvlen != dhlen || dhchap_dh_derive(dh, peer, dhlen, skey) != 0) {
			auth_log(a, "bad DH value in the Challenge");
			goto out;
		}
	} else if (ch.dhvlen != 0) {
		auth_log(a, "DH value with the null group");
		goto out;
	}
	*exp = DHCHAP_FAIL_FAILED;
	rc = dhchap_key_load(a->key, a->hostnqn, &k);
	if (rc == 0)
		rc = dhchap_augment(a->hashid, dh != NULL ? skey : NULL, dhlen, c1, ca);
	if (rc == 0)
		rc = dhchap_response(a->hashid, &k, ca, ch.seqnum, a->t_id, "HostHost", a->hostnqn,
				     a->subnqn, r1);
	if (rc != 0) {
		auth_log(a, rc == -ENOKEY ? "the host key was removed from the keyring"
					  : "cannot compute the response");
		goto out;
	}
	if (a->bidirectional) {
		s2 = dhchap_seqnum();
		rc = dhchap_random(c2, a->hl);
		if (rc == 0)
			rc = dhchap_key_load(a->ctrlr_key, a->subnqn, &k);
		if (rc == 0)
			rc = dhchap_augment(a->hashid, dh != NULL ? skey : NULL, dhlen, c2, ca);
		if (rc == 0)
			rc = dhchap_response(a->hashid, &k, ca, s2, a->t_id, "Controller",
					     a->subnqn, a->hostnqn, a->r2);
		if (rc != 0) {
			auth_log(a, "cannot compute the controller's expected response");
			goto out;
		}
	}
	memset(a->msg, 0, sizeof(a->msg));
	r = (void *)a->msg;
	r->auth_type = DHCHAP_AUTH_TYPE_DHCHAP;
	r->auth_id = DHCHAP_MSG_REPLY;
	r->t_id = a->t_id;
	r->hl = a->hl;
	r->cvalid = a->bidirectional ? 1 : 0;
	r->dhvlen = (uint16_t)dhlen;
	r->seqnum = s2;
	memcpy(r->data, r1, a->hl);
	if (a->bidirectional)
		memcpy(r->data + a->hl, c2, a->hl);
	if (dh != NULL && dhchap_dh_public(dh, r->data + 2 * a->hl) != 0) {
		rc = -EIO;
		goto out;
	}
	len = sizeof(*r) + 2u * a->hl + dhlen;
	a->step = AUTH_REPLY_SENT;
	rc = auth_submit(a, true, (uint32_t)len);
out:
	dhchap_dh_destroy(dh);
	explicit_bzero(&k, sizeof(k));
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(ca, sizeof(ca));
	explicit_bzero(r1, sizeof(r1));
	explicit_bzero(c2, sizeof(c2));
	return rc;
}

static void auth_cmd_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct nvme_auth *a = arg;
	const struct dhchap_success1 *s1 = (const void *)a->msg;
	uint8_t exp = DHCHAP_FAIL_FAILED;

	if (rc != 0 && a->step == AUTH_SUCCESS1_RECV && (rc == -ECONNRESET || rc == -ECANCELED)) {
		/* The controller closed the connection instead of answering our
		 * response: the kernel's target does so right behind its Failure1,
		 * which the reset can overtake. That is a refusal. */
		auth_log(a, "the controller closed the connection after our response (refused)");
		auth_finish(a, -EACCES);
		return;
	}
	if (rc != 0 && a->step != AUTH_FAILURE2_SENT) {
		if (rc != -ECANCELED && rc != -ECONNRESET)
			SIO_ERRLOG("nvme: DH-HMAC-CHAP command of queue %u refused by %s: %s",
				   a->qpair->qid, a->subnqn,
				   sio_nvme_status_string(cpl->status.sct, cpl->status.sc));
		auth_finish(a, rc == -ECANCELED || rc == -ECONNRESET ? rc : -EACCES);
		return;
	}
	switch (a->step) {
	case AUTH_NEGOTIATE_SENT:
		a->step = AUTH_CHALLENGE_RECV;
		rc = auth_submit(a, false, sizeof(a->msg));
		break;
	case AUTH_CHALLENGE_RECV:
		if (is_failure1(a)) {
			auth_finish(a, -EACCES);
			return;
		}
		rc = handle_challenge(a, &exp);
		if (rc != 0) {
			auth_send_failure2(a, exp, -EACCES);
			return;
		}
		break;
	case AUTH_REPLY_SENT:
		a->step = AUTH_SUCCESS1_RECV;
		rc = auth_submit(a, false, sizeof(a->msg));
		break;
	case AUTH_SUCCESS1_RECV:
		if (is_failure1(a)) {
			auth_finish(a, -EACCES);
			return;
		}
		if (s1->auth_type != DHCHAP_AUTH_TYPE_DHCHAP || s1->auth_id != DHCHAP_MSG_SUCCESS1 ||
		    s1->t_id != a->t_id || s1->hl != a->hl) {
			auth_log(a, "unexpected message instead of Success1");
			auth_send_failure2(a, DHCHAP_FAIL_INCORRECT_PROTOCOL, -EACCES);
			return;
		}
		if (!a->bidirectional) {
			auth_finish(a, 0);
			return;
		}
		if (!s1->rvalid || !dhchap_equal(s1->rval, a->r2, a->hl)) {
			SIO_ERRLOG("nvme: controller %s failed to authenticate itself on queue %u "
				   "(wrong controller key?)", a->subnqn, a->qpair->qid);
			auth_send_failure2(a, DHCHAP_FAIL_FAILED, -EACCES);
			return;
		}
		memset(a->msg, 0, sizeof(struct dhchap_success2));
		{
			struct dhchap_success2 *s2 = (void *)a->msg;

			s2->auth_type = DHCHAP_AUTH_TYPE_DHCHAP;
			s2->auth_id = DHCHAP_MSG_SUCCESS2;
			s2->t_id = a->t_id;
		}
		a->step = AUTH_SUCCESS2_SENT;
		rc = auth_submit(a, true, sizeof(struct dhchap_success2));
		break;
	case AUTH_SUCCESS2_SENT:
		auth_finish(a, 0);
		return;
	case AUTH_FAILURE2_SENT:
		auth_finish(a, a->rc);
		return;
	}
	if (rc != 0)
		auth_finish(a, rc);
}

void nvme_ctrlr_get_dhchap_keys(struct sio_nvme_ctrlr *ctrlr, struct sio_key **key,
				 struct sio_key **ctrlr_key)
{
	pthread_mutex_lock(&ctrlr->lock);
	*key = ctrlr->opts.dhchap_key;
	*ctrlr_key = ctrlr->opts.dhchap_ctrlr_key;
	sio_key_ref(*key);
	sio_key_ref(*ctrlr_key);
	pthread_mutex_unlock(&ctrlr->lock);
}

int nvme_auth_qpair(struct sio_nvme_qpair *qpair, nvme_rc_cb cb, void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = qpair->ctrlr;
	struct nvme_auth *a;
	int rc, len;

	if (qpair->authenticating)
		return -EALREADY;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	nvme_ctrlr_get_dhchap_keys(ctrlr, &a->key, &a->ctrlr_key);
	if (a->key == NULL) {
		SIO_ERRLOG("nvme: %s asks for in-band authentication: no dhchap_key given",
			   ctrlr->trid.subnqn);
		auth_free(a);
		return -EACCES;
	}
	a->qpair = qpair;
	a->cb = cb;
	a->cb_arg = arg;
	a->reauth = qpair->state == NVME_QPAIR_CONNECTED;
	a->bidirectional = a->ctrlr_key != NULL;
	/* The NQNs the Connect named: the ones the responses are bound to. */
	if (qpair->connect_data != NULL) {
		memcpy(a->hostnqn, qpair->connect_data->hostnqn, sizeof(a->hostnqn) - 1);
		memcpy(a->subnqn, qpair->connect_data->subnqn, sizeof(a->subnqn) - 1);
	}
	/*
	 * A fresh T_ID for each transaction, a re-authentication included, so
	 * the controller can tell one transaction's messages from an earlier
	 * one's on the same queue (as Linux's and SPDK's hosts do: a counter of
	 * the controller). It was qid + 1, the same again on a re-authentication.
	 */
	a->t_id = __atomic_fetch_add(&ctrlr->auth_t_id, 1, __ATOMIC_RELAXED);
	len = build_negotiate(a);
	a->step = AUTH_NEGOTIATE_SENT;
	rc = auth_submit(a, true, (uint32_t)len);
	if (rc != 0) {
		auth_free(a);
		return rc;
	}
	qpair->authenticating = true;
	return 0;
}

struct reauth {
	sio_done_cb cb;
	void *cb_arg;
};

static void reauth_done(void *arg, int rc)
{
	struct reauth r = *(struct reauth *)arg;

	free(arg);
	r.cb(r.cb_arg, rc);
}

int sio_nvme_ctrlr_set_dhchap_keys(struct sio_nvme_ctrlr *ctrlr, struct sio_key *key,
				   struct sio_key *ctrlr_key, sio_done_cb cb, void *cb_arg)
{
	struct sio_key *old_key, *old_ctrlr_key;
	struct reauth *r;
	int rc;

	if (ctrlr == NULL || cb == NULL || (ctrlr_key != NULL && key == NULL) || !ctrlr->ops->fabrics)
		return -EINVAL;
	if (sio_thread_get_current() != ctrlr->thread)
		return -EPERM;
	if (ctrlr->adminq != NULL && ctrlr->adminq->authenticating &&
	    ctrlr->adminq->state == NVME_QPAIR_CONNECTED)
		return -EALREADY; /* before the keys change: the caller's keys stay as they were */
	sio_key_ref(key);
	sio_key_ref(ctrlr_key);
	/* Under the lock: I/O queues take their references on their own threads. */
	pthread_mutex_lock(&ctrlr->lock);
	old_key = ctrlr->opts.dhchap_key;
	old_ctrlr_key = ctrlr->opts.dhchap_ctrlr_key;
	ctrlr->opts.dhchap_key = key;
	ctrlr->opts.dhchap_ctrlr_key = ctrlr_key;
	pthread_mutex_unlock(&ctrlr->lock);
	sio_key_put(old_key);
	sio_key_put(old_ctrlr_key);
	/* Without a key, or with the admin queue not connected (it will
	 * authenticate when it connects), there is nothing to do now. */
	if (key == NULL || ctrlr->adminq == NULL || ctrlr->adminq->state != NVME_QPAIR_CONNECTED ||
	    ctrlr->adminq->failed_pending) {
		cb(cb_arg, 0);
		return 0;
	}
	r = malloc(sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->cb = cb;
	r->cb_arg = cb_arg;
	rc = nvme_auth_qpair(ctrlr->adminq, reauth_done, r);
	if (rc != 0)
		free(r);
	return rc;
}

int sio_nvme_qpair_authenticate(struct sio_nvme_qpair *qpair, sio_done_cb cb, void *cb_arg)
{
	struct sio_key *key, *ctrlr_key;

	if (qpair == NULL || cb == NULL || qpair->qid == 0)
		return -EINVAL;
	if (!qpair->ops->fabrics)
		return -ENOTSUP;
	if (sio_thread_get_current() != qpair->thread)
		return -EPERM;
	if (qpair->state != NVME_QPAIR_CONNECTED || qpair->failed_pending)
		return -ENOTCONN;
	if (qpair->authenticating)
		return -EALREADY;
	/* A check only: the transaction takes its own references when it starts. */
	nvme_ctrlr_get_dhchap_keys(qpair->ctrlr, &key, &ctrlr_key);
	sio_key_put(key);
	sio_key_put(ctrlr_key);
	if (key == NULL)
		return -ENOKEY;
	return nvme_auth_qpair(qpair, cb, cb_arg);
}
