/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host driver's tests against a real controller share
 * (test_nvme_host_tcp.c over NVMe/TCP, test_nvme_pcie.c over VFIO): polling
 * the current sio_thread until a completion arrives, recording it, and the
 * data-checked cases that do not depend on the transport.
 *
 * Header-only (static inline functions, so a program takes what it uses):
 * each test is one program. RUN_IO() and check_queue_depth() assert with
 * cmocka and are there when cmocka.h was included first; the rest serves a
 * plain program too (tests/nvmf/auth_host.c). An includer may define
 * NVME_HOST_TEST_TIMEOUT_MS first (default 20 s: TCG guests are slow).
 */
#ifndef SIO_TESTS_NVME_HOST_TEST_H
#define SIO_TESTS_NVME_HOST_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "spdk_io/nvme.h"
#include "spdk_io/thread.h"

#ifndef NVME_HOST_TEST_TIMEOUT_MS
#define NVME_HOST_TEST_TIMEOUT_MS 20000
#endif

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Poll until *@flag reaches @n or NVME_HOST_TEST_TIMEOUT_MS pass. */
static inline bool poll_until(const int *flag, int n)
{
	uint64_t end = now_ms() + NVME_HOST_TEST_TIMEOUT_MS;

	while (*flag < n) {
		sio_thread_poll(sio_thread_get_current(), 0);
		if (now_ms() > end)
			return false;
	}
	return true;
}

/* One command's completion, as io_cb() records it. */
struct io_rec {
	int calls;
	int rc;
	struct sio_nvme_cpl cpl;
};

static inline void io_cb(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct io_rec *r = arg;

	r->calls++;
	r->rc = rc;
	r->cpl = *cpl;
}

#ifdef CMOCKA_H_
/* Submit @call (with io_cb and &@rec), assert it completes exactly once. */
#define RUN_IO(rec, call)                                   \
	do {                                                \
		memset(&(rec), 0, sizeof(rec));             \
		assert_int_equal((call), 0);                \
		assert_true(poll_until(&(rec).calls, 1));   \
		assert_int_equal((rec).calls, 1);           \
	} while (0)
#endif

/* How many of @recs have completed (counting repeats, which the tests then catch). */
static inline int recs_done(const struct io_rec *recs, int n)
{
	int done = 0;

	for (int i = 0; i < n; i++)
		done += recs[i].calls;
	return done;
}

/*
 * Poll until all @n of @recs completed and, if @also is not NULL, *@also is
 * not 0 (a reset's outcome), or NVME_HOST_TEST_TIMEOUT_MS pass; the caller
 * then asserts what it expects.
 */
static inline void wait_recs(const struct io_rec *recs, int n, const int *also)
{
	for (uint64_t end = now_ms() + NVME_HOST_TEST_TIMEOUT_MS; now_ms() < end;) {
		sio_thread_poll(sio_thread_get_current(), 0);
		if (recs_done(recs, n) == n && (also == NULL || *also != 0))
			break;
	}
}

/* sio_nvme_ctrlr_reset()'s callback: *@arg = 1 on success, else the errno. */
static inline void reset_cb(void *arg, int rc)
{
	int *r = arg;

	*r = rc == 0 ? 1 : rc;
}

/*
 * From a task: write @w's 4 blocks at LBA 3500 with the awaitable form and
 * read them back into @rd through two iovecs (one block, then three).
 * Return: 0 if @rd then holds @w; -EILSEQ if not; else the failed call's errno.
 */
static inline int await_write_readv_check(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qp,
					  const uint8_t *w, uint8_t *rd)
{
	uint32_t ss = sio_nvme_ns_get_sector_size(ns);
	struct iovec iov[2] = { { rd, ss }, { rd + ss, 3 * ss } };
	struct sio_nvme_cpl cpl;
	int rc;

	rc = sio_nvme_ns_write_await(ns, qp, w, 3500, 4, 0, &cpl);
	if (rc == 0)
		rc = sio_nvme_ns_readv_await(ns, qp, iov, 2, 3500, 4, 0, NULL);
	if (rc == 0 && memcmp(w, rd, 4 * ss) != 0)
		rc = -EILSEQ;
	return rc;
}

#ifdef CMOCKA_H_
/*
 * Many more writes than the queue has entries (a queue pair of 8 entries and
 * @n requests) of @buf's @n blocks from @lba: all accepted (and with
 * @check_pool, one more refused with -ENOMEM, not queued), all complete
 * successfully; read back into @rd in the largest pieces the namespace takes
 * and compared.
 */
static inline void check_queue_depth(struct sio_nvme_ctrlr *ctrlr, struct sio_nvme_ns *ns,
				     int n, uint64_t lba, const uint8_t *buf, uint8_t *rd,
				     bool check_pool)
{
	struct sio_nvme_io_qpair_opts o;
	struct sio_nvme_qpair *qp;
	struct io_rec *recs = calloc((size_t)n, sizeof(*recs));
	uint32_t ss = sio_nvme_ns_get_sector_size(ns);
	uint32_t per = sio_nvme_ns_get_max_io_xfer_size(ns) / ss;

	assert_non_null(recs);
	sio_nvme_io_qpair_opts_init(&o, sizeof(o));
	o.io_queue_size = 8;
	o.io_queue_requests = (uint32_t)n;
	assert_int_equal(sio_nvme_ctrlr_alloc_io_qpair_blocking(ctrlr, &o, &qp), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(sio_nvme_ns_write(ns, qp, buf + (size_t)i * ss, lba + i, 1, 0,
						   io_cb, &recs[i]), 0);
	if (check_pool) {
		struct io_rec extra;

		assert_int_equal(sio_nvme_qpair_get_num_outstanding(qp), n);
		/* One more than the pool: refused, not queued. */
		assert_int_equal(sio_nvme_ns_write(ns, qp, buf, 0, 1, 0, io_cb, &extra), -ENOMEM);
	}
	wait_recs(recs, n, NULL);
	assert_int_equal(recs_done(recs, n), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(recs[i].rc, 0);
	for (uint32_t i = 0; i < (uint32_t)n; i += per) {
		uint32_t k = (uint32_t)n - i < per ? (uint32_t)n - i : per;
		struct io_rec r;

		RUN_IO(r, sio_nvme_ns_read(ns, qp, rd + (size_t)i * ss, lba + i, k, 0, io_cb, &r));
		assert_int_equal(r.rc, 0);
	}
	assert_memory_equal(buf, rd, (size_t)n * ss);
	assert_int_equal(sio_nvme_qpair_free(qp), 0);
	free(recs);
}
#endif

/*
 * The end of a test program: detach @ctrlr (freeing @qp first) if the tests
 * left one attached, then exit the test's thread @t and destroy it. Returns 0;
 * 1 if the thread did not exit (something was left registered on it).
 */
static inline int host_test_fini(struct sio_thread *t, struct sio_nvme_ctrlr *ctrlr,
				 struct sio_nvme_qpair *qp)
{
	if (ctrlr != NULL) {
		if (qp != NULL)
			sio_nvme_qpair_free(qp);
		sio_nvme_ctrlr_detach_blocking(ctrlr);
	}
	for (int i = 0; i < 100; i++)
		sio_thread_poll(t, 0);
	sio_thread_exit(t);
	for (uint64_t end = now_ms() + 5000; !sio_thread_is_exited(t) && now_ms() < end;)
		sio_thread_poll(t, 0);
	if (!sio_thread_is_exited(t)) {
		fprintf(stderr, "thread did not exit: something was left registered\n");
		return 1;
	}
	sio_thread_destroy(t);
	return 0;
}

#endif /* SIO_TESTS_NVME_HOST_TEST_H */
