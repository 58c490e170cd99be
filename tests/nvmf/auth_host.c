/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Our NVMe/TCP host with DH-HMAC-CHAP, for the auth tests (test_auth.py
 * against sio_tgt, tests/vm/nvme_auth.sh against the kernel's nvmet):
 * connect with the keys given, write a pattern through an I/O queue (which
 * authenticates too) and read it back, optionally re-authenticate the admin
 * queue with new keys (sio_nvme_ctrlr_set_dhchap_keys) and then the I/O queue
 * (sio_nvme_qpair_authenticate) while writes are in flight on it, as
 * bdev_nvme_set_keys does, check the queue counted both of its transactions
 * and read everything back, then detach.
 *
 * usage: auth_host TRID [--key=FILE] [--ctrlr-key=FILE] [--digests=MASK]
 *                  [--dhgroups=MASK] [--rekey=FILE] [--rekey-ctrlr=FILE] [--wait]
 *                  [--io-first]
 * --wait: before re-authenticating, print "# waiting" and read a line from
 * stdin (the test changes the target's keys meanwhile: a key rotation).
 * --io-first: re-authenticate the I/O queue first, with the old keys, writes
 * in flight: the target must refuse it and the host disconnect the queue (the
 * controller fails); then take the --rekey keys, reset the controller and read
 * back every write the target acknowledged. Prints "AUTH REFUSED: I/O queue
 * ..." and exits 3 when all of that held.
 * Prints "AUTH OK" / "AUTH REFUSED"; exits 0 when connected and verified,
 * 3 when refused (-EACCES), 1 on any other failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/nvme.h"
#include "spdk_io/spdk_io.h"

#define NVME_HOST_TEST_TIMEOUT_MS 30000
#include "../nvme/nvme_host_test.h"

/* sio_nvme_ctrlr_set_dhchap_keys()'s callback. */
static void done_cb(void *arg, int rc)
{
	struct io_rec *r = arg;

	r->calls++;
	r->rc = rc;
}

static struct sio_key *load(const char *name, const char *path)
{
	char err[320];

	if (sio_keyring_file_add_key(name, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return sio_keyring_get_key(name);
}

static uint8_t pattern(uint32_t i, uint32_t seed)
{
	return (uint8_t)((i * 2654435761u + seed) >> 13);
}

/*
 * Re-authenticate @qp while 32 writes of 4 KiB (from @lba on) are in flight
 * on it, 16 submitted before the transaction starts and 16 right after; every
 * write must succeed and read back equal, and the queue's counter must show
 * its second transaction. 0, -EACCES refused, or another error.
 */
static int reauth_io_queue(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qp, uint64_t lba)
{
	enum { NW = 32, LEN = 4096 };
	uint32_t ss = sio_nvme_ns_get_sector_size(ns), n = LEN / ss;
	uint8_t *w = sio_dma_zmalloc((size_t)NW * LEN, 4096), *rd = sio_dma_zmalloc(LEN, 4096);
	struct io_rec wr[NW], r = {0}, ar = {0};
	struct sio_nvme_qpair_stats st;
	int rc = -EIO, done = 0;

	memset(wr, 0, sizeof(wr));
	for (uint32_t i = 0; i < (uint32_t)NW * LEN; i++)
		w[i] = pattern(i, 77);
	for (int k = 0; k < NW; k++) {
		if (k == NW / 2) {
			rc = sio_nvme_qpair_authenticate(qp, done_cb, &ar);
			if (rc != 0) {
				printf("# sio_nvme_qpair_authenticate: %s\n", strerror(-rc));
				goto out;
			}
			/* One transaction per queue at a time; bad arguments refused. */
			if (sio_nvme_qpair_authenticate(qp, done_cb, &r) != -EALREADY ||
			    sio_nvme_qpair_authenticate(NULL, done_cb, &r) != -EINVAL ||
			    sio_nvme_qpair_authenticate(qp, NULL, NULL) != -EINVAL || ar.calls != 0) {
				printf("# sio_nvme_qpair_authenticate: a second call was not refused\n");
				rc = -EPROTO;
				goto out;
			}
		}
		if (sio_nvme_ns_write(ns, qp, w + (size_t)k * LEN, lba + (uint64_t)k * n, n, 0, io_cb,
				      &wr[k]) != 0)
			goto out;
	}
	if (!poll_until(&ar.calls, 1)) {
		rc = -ETIMEDOUT;
		goto out;
	}
	rc = ar.rc;
	if (rc != 0)
		goto out;
	for (int k = 0; k < NW; k++) {
		if (!poll_until(&wr[k].calls, 1) || wr[k].rc != 0) {
			printf("# write %d during re-authentication: %d\n", k, wr[k].rc);
			rc = -EIO;
			goto out;
		}
		done++;
	}
	for (int k = 0; k < NW; k++) {
		memset(&r, 0, sizeof(r));
		if (sio_nvme_ns_read(ns, qp, rd, lba + (uint64_t)k * n, n, 0, io_cb, &r) != 0 ||
		    !poll_until(&r.calls, 1) || r.rc != 0 ||
		    memcmp(rd, w + (size_t)k * LEN, LEN) != 0) {
			printf("# block %d written during re-authentication reads back wrong\n", k);
			rc = -EILSEQ;
			goto out;
		}
	}
	sio_nvme_qpair_get_stats(qp, &st);
	printf("# I/O queue %u re-authenticated with %d writes in flight, all read back equal "
	       "(authentications: %lu)\n", sio_nvme_qpair_get_id(qp), done,
	       (unsigned long)st.authentications);
	rc = st.authentications == 2 ? 0 : -EPROTO;
out:
	sio_dma_free(w);
	sio_dma_free(rd);
	return rc;
}

/*
 * --io-first: re-authenticate @qp with the controller's current (old) keys
 * while 32 writes of 4 KiB are in flight; the target has other keys for us by
 * then. Expect -EACCES, every write answered once (acknowledged, or a path
 * error: the host disconnected the queue), the controller failed, the queue no
 * longer taking a transaction; then the new keys @key/@ckey, a reset, and every
 * acknowledged write read back equal. -EACCES when all of that held.
 */
static int reauth_io_refused(struct sio_nvme_ctrlr *ctrlr, struct sio_nvme_ns *ns,
			     struct sio_nvme_qpair *qp, uint64_t lba, struct sio_key *key,
			     struct sio_key *ckey)
{
	enum { NW = 32, LEN = 4096 };
	uint32_t ss = sio_nvme_ns_get_sector_size(ns), n = LEN / ss;
	uint8_t *w = sio_dma_zmalloc((size_t)NW * LEN, 4096), *rd = sio_dma_zmalloc(LEN, 4096);
	struct io_rec wr[NW], r = {0}, ar = {0}, kr = {0}, rr = {0};
	int rc = -EIO, acked = 0, path_err = 0;
	uint64_t end;

	memset(wr, 0, sizeof(wr));
	for (uint32_t i = 0; i < (uint32_t)NW * LEN; i++)
		w[i] = pattern(i, 99);
	for (int k = 0; k < NW; k++) {
		if (k == NW / 2 && sio_nvme_qpair_authenticate(qp, done_cb, &ar) != 0)
			goto out;
		if (sio_nvme_ns_write(ns, qp, w + (size_t)k * LEN, lba + (uint64_t)k * n, n, 0, io_cb,
				      &wr[k]) != 0)
			goto out;
	}
	if (!poll_until(&ar.calls, 1) || ar.rc != -EACCES) {
		printf("# I/O queue re-authentication with the old key: %d, expected -EACCES\n", ar.rc);
		goto out;
	}
	for (int k = 0; k < NW; k++) {
		if (!poll_until(&wr[k].calls, 1) || wr[k].calls != 1 ||
		    (wr[k].rc != 0 && wr[k].rc != -ECONNRESET)) {
			printf("# write %d: %d calls, rc %d\n", k, wr[k].calls, wr[k].rc);
			goto out;
		}
		if (wr[k].rc == 0)
			acked++;
		else
			path_err++;
	}
	for (end = now_ms() + 10000; !sio_nvme_ctrlr_is_failed(ctrlr) && now_ms() < end;)
		sio_thread_poll(sio_thread_get_current(), 0);
	if (!sio_nvme_ctrlr_is_failed(ctrlr) ||
	    sio_nvme_qpair_authenticate(qp, done_cb, &r) != -ENOTCONN) {
		printf("# the refused queue was not disconnected\n");
		goto out;
	}
	printf("# I/O queue %u refused re-authentication: queue disconnected, controller failed; "
	       "writes meanwhile: %d acknowledged, %d path errors\n", sio_nvme_qpair_get_id(qp),
	       acked, path_err);
	/* The new keys (only set: the admin queue is down), then a reconnection with them. */
	if (sio_nvme_ctrlr_set_dhchap_keys(ctrlr, key, ckey, done_cb, &kr) != 0 ||
	    !poll_until(&kr.calls, 1) || kr.rc != 0 ||
	    sio_nvme_ctrlr_reset(ctrlr, done_cb, &rr) != 0 || !poll_until(&rr.calls, 1) ||
	    rr.rc != 0) {
		printf("# reset with the new keys failed: %d %d\n", kr.rc, rr.rc);
		goto out;
	}
	for (int k = 0; k < NW; k++) {
		if (wr[k].rc != 0)
			continue;
		memset(&r, 0, sizeof(r));
		if (sio_nvme_ns_read(ns, qp, rd, lba + (uint64_t)k * n, n, 0, io_cb, &r) != 0 ||
		    !poll_until(&r.calls, 1) || r.rc != 0 ||
		    memcmp(rd, w + (size_t)k * LEN, LEN) != 0) {
			printf("# acknowledged write %d reads back wrong after the reset\n", k);
			goto out;
		}
	}
	printf("# reset with the new keys: all %d acknowledged writes read back equal\n", acked);
	rc = -EACCES;
out:
	sio_dma_free(w);
	sio_dma_free(rd);
	return rc;
}

/* Write 64 KiB of a pattern at @lba and read it back through @qp. */
static int rw_verify(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qp, uint64_t lba,
		     uint32_t seed)
{
	uint32_t ss = sio_nvme_ns_get_sector_size(ns), len = 65536, n = len / ss;
	uint8_t *w = sio_dma_zmalloc(len, 4096), *rd = sio_dma_zmalloc(len, 4096);
	struct io_rec r;
	int rc = -EIO;

	for (uint32_t i = 0; i < len; i++)
		w[i] = pattern(i, seed);
	memset(&r, 0, sizeof(r));
	if (sio_nvme_ns_write(ns, qp, w, lba, n, 0, io_cb, &r) != 0 || !poll_until(&r.calls, 1) ||
	    r.rc != 0 || sio_nvme_cpl_is_error(&r.cpl))
		goto out;
	memset(&r, 0, sizeof(r));
	if (sio_nvme_ns_read(ns, qp, rd, lba, n, 0, io_cb, &r) != 0 || !poll_until(&r.calls, 1) ||
	    r.rc != 0 || sio_nvme_cpl_is_error(&r.cpl))
		goto out;
	rc = memcmp(w, rd, len) == 0 ? 0 : -EILSEQ;
	if (rc == 0)
		printf("# %u bytes written and read back at lba %lu: equal\n", len,
		       (unsigned long)lba);
out:
	sio_dma_free(w);
	sio_dma_free(rd);
	return rc;
}

int main(int argc, char **argv)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts opts;
	struct sio_nvme_ctrlr *ctrlr = NULL;
	struct sio_nvme_qpair *qp = NULL;
	struct sio_key *keys[4] = {NULL};
	const char *trid_s = NULL, *rekey = NULL, *rekey_ctrlr = NULL;
	bool wait_stdin = false, io_first = false;
	struct sio_nvme_ns *ns;
	struct sio_thread *t;
	char err[256];
	int rc, ret = 1;

	sio_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	opts.connect_timeout_ms = 20000;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--key=", 6) == 0)
			opts.dhchap_key = keys[0] = load("auth_host_key", argv[i] + 6);
		else if (strncmp(argv[i], "--ctrlr-key=", 12) == 0)
			opts.dhchap_ctrlr_key = keys[1] = load("auth_host_ctrlr_key", argv[i] + 12);
		else if (strncmp(argv[i], "--digests=", 10) == 0)
			opts.dhchap_digests = (uint32_t)strtoul(argv[i] + 10, NULL, 0);
		else if (strncmp(argv[i], "--dhgroups=", 11) == 0)
			opts.dhchap_dhgroups = (uint32_t)strtoul(argv[i] + 11, NULL, 0);
		else if (strncmp(argv[i], "--rekey=", 8) == 0)
			rekey = argv[i] + 8;
		else if (strncmp(argv[i], "--rekey-ctrlr=", 14) == 0)
			rekey_ctrlr = argv[i] + 14;
		else if (strcmp(argv[i], "--wait") == 0)
			wait_stdin = true;
		else if (strcmp(argv[i], "--io-first") == 0)
			io_first = true;
		else
			trid_s = argv[i];
	}
	if (trid_s == NULL || sio_nvme_transport_id_parse(&trid, trid_s, err, sizeof(err)) != 0) {
		fprintf(stderr, "usage: auth_host TRID [--key=FILE] ...\n");
		return 2;
	}
	if (trid.hostnqn[0] != '\0')
		snprintf(opts.hostnqn, sizeof(opts.hostnqn), "%s", trid.hostnqn);
	t = sio_thread_attach("auth_host");
	if (t == NULL)
		return 2;
	rc = sio_nvme_ctrlr_connect_blocking(&trid, &opts, &ctrlr);
	if (rc != 0) {
		printf("AUTH %s: connect: %s\n", rc == -EACCES ? "REFUSED" : "ERROR", strerror(-rc));
		ret = rc == -EACCES ? 3 : 1;
		goto out;
	}
	ns = sio_nvme_ctrlr_get_ns(ctrlr, sio_nvme_ctrlr_get_first_active_ns(ctrlr));
	rc = ns != NULL ? sio_nvme_ctrlr_alloc_io_qpair_blocking(ctrlr, NULL, &qp) : -ENODEV;
	if (rc != 0) {
		printf("AUTH %s: I/O queue: %s\n", rc == -EACCES ? "REFUSED" : "ERROR",
		       strerror(-rc));
		ret = rc == -EACCES ? 3 : 1;
		goto out;
	}
	if (rw_verify(ns, qp, 8, 1) != 0) {
		printf("AUTH ERROR: data\n");
		goto out;
	}
	if (rekey != NULL) {
		struct io_rec r = {0};

		if (wait_stdin) {
			char line[16];

			printf("# waiting\n");
			fflush(stdout);
			if (fgets(line, sizeof(line), stdin) == NULL)
				goto out;
		}
		keys[2] = load("auth_host_rekey", rekey);
		if (rekey_ctrlr != NULL)
			keys[3] = load("auth_host_rekey_ctrlr", rekey_ctrlr);
		if (io_first) {
			rc = reauth_io_refused(ctrlr, ns, qp, 600, keys[2], keys[3]);
			printf("AUTH %s: I/O queue re-authentication with the old key%s\n",
			       rc == -EACCES ? "REFUSED" : "ERROR",
			       rc == -EACCES ? ": disconnected, recovered with the new key" : "");
			ret = rc == -EACCES ? 3 : 1;
			goto out;
		}
		rc = sio_nvme_ctrlr_set_dhchap_keys(ctrlr, keys[2], keys[3], done_cb, &r);
		if (rc == 0 && !poll_until(&r.calls, 1))
			rc = -ETIMEDOUT;
		if (rc == 0)
			rc = r.rc;
		if (rc != 0) {
			printf("AUTH %s: re-authentication: %s\n",
			       rc == -EACCES ? "REFUSED" : "ERROR", strerror(-rc));
			ret = rc == -EACCES ? 3 : 1;
			goto out;
		}
		printf("# re-authenticated with the new keys\n");
		rc = reauth_io_queue(ns, qp, 400);
		if (rc != 0) {
			printf("AUTH %s: re-authentication of the I/O queue: %s\n",
			       rc == -EACCES ? "REFUSED" : "ERROR", strerror(-rc));
			ret = rc == -EACCES ? 3 : 1;
			goto out;
		}
		if (rw_verify(ns, qp, 200, 2) != 0) {
			printf("AUTH ERROR: data after re-authentication\n");
			goto out;
		}
	}
	printf("AUTH OK\n");
	ret = 0;
out:
	/* A thread that did not exit is reported there, not counted: the verdict is the auth's. */
	host_test_fini(t, ctrlr, qp);
	for (int i = 0; i < 4; i++)
		sio_key_put(keys[i]);
	sio_keyring_remove_all();
	return ret;
}
