/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the aio and uring engine tests: temp files, a byte pattern, a
 * shadow copy of the file, and a random-I/O workload driven through a small
 * table of engine operations, so both engines face the same checks. Every
 * result is also checked by reading the file independently with pread(2).
 */
#ifndef TEST_AIO_URING_UTIL_H
#define TEST_AIO_URING_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bdev/modules/file_common/bdev_file.h"

#define TU_MAX_IOV 8

/* What a test needs from an engine; q is the engine's queue. */
struct tu_engine {
	const char *name;
	int (*init)(void **q, int fd, uint32_t depth);
	void (*fini)(void *q);
	/* slot: 0..depth-1, a per-operation scratch index (the aio engine needs an iocb) */
	int (*rw)(void *q, uint32_t slot, int fd, bool write, const struct iovec *iov, int iovcnt,
		  uint64_t off, void *ctx);
	int (*submit)(void *q);
	/* returns how many contexts/results were written */
	uint32_t (*reap)(void *q, void **ctxs, int64_t *res, uint32_t max);
};

static inline uint64_t tu_rand(uint64_t *s)
{
	/* xorshift64*: cheap, deterministic per seed */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* Fill @buf as the bytes that generation @gen writes at file offset @off. */
static inline void tu_pattern(uint8_t *buf, size_t len, uint64_t off, uint32_t gen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t o = off + i;

		buf[i] = (uint8_t)((o >> 9) * 131 + (o & 511) * 7 + gen * 29 + 1);
	}
}

/*
 * Create a file of @size bytes under @dir, filled with generation 0 of the
 * pattern. Returns its path in @path (caller unlinks).
 */
static inline int tu_make_file(const char *dir, uint64_t size, char *path, size_t pathlen)
{
	uint8_t *chunk;
	uint64_t off;
	int fd;

	snprintf(path, pathlen, "%s/sio_test_bdev_XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	chunk = malloc(1 << 20);
	if (chunk == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (off = 0; off < size; off += 1 << 20) {
		size_t n = size - off < (1 << 20) ? (size_t)(size - off) : (1 << 20);

		tu_pattern(chunk, n, off, 0);
		if (pwrite(fd, chunk, n, (off_t)off) != (ssize_t)n) {
			free(chunk);
			close(fd);
			unlink(path);
			return -EIO;
		}
	}
	free(chunk);
	fsync(fd);
	close(fd);
	return 0;
}

/* The whole file read with pread through a separate descriptor equals @shadow. */
static inline bool tu_file_matches(const char *path, const uint8_t *shadow, uint64_t size)
{
	uint8_t *buf = malloc(1 << 20);
	uint64_t off;
	bool ok = true;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || buf == NULL) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return false;
	}
	for (off = 0; off < size && ok; off += 1 << 20) {
		size_t n = size - off < (1 << 20) ? (size_t)(size - off) : (1 << 20);

		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n || memcmp(buf, shadow + off, n) != 0) {
			fprintf(stderr, "file differs from the expected bytes in [%llu, +%zu)\n",
				(unsigned long long)off, n);
			ok = false;
		}
	}
	free(buf);
	close(fd);
	return ok;
}

/* O_DIRECT works in @dir (the file system accepts it for reads). */
static inline bool tu_direct_works(const char *dir)
{
	struct bdev_file f;
	char path[256], err[256];
	bool ok;

	if (tu_make_file(dir, 1 << 20, path, sizeof(path)) != 0)
		return false;
	ok = bdev_file_open(&f, path, 0, 0, err, sizeof(err)) == 0 && f.direct;
	if (ok)
		bdev_file_close(&f);
	unlink(path);
	return ok;
}

/*
 * The directory for --direct runs: the first of $SIO_TEST_DIRECT_DIR,
 * /var/tmp, /tmp and . that takes O_DIRECT (tmpfs does not). NULL, with the
 * SKIP line printed, when none does: the caller exits 77.
 */
static inline const char *tu_direct_dir(void)
{
	const char *cands[] = {getenv("SIO_TEST_DIRECT_DIR"), "/var/tmp", "/tmp", "."};
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (cands[i] != NULL && tu_direct_works(cands[i]))
			return cands[i];
	}
	printf("SKIP: no directory here (SIO_TEST_DIRECT_DIR, /var/tmp, /tmp, .) accepts O_DIRECT\n");
	return NULL;
}

/* One operation of the random workload. */
struct tu_op {
	bool write;
	bool busy;
	uint64_t off;
	size_t len;
	int iovcnt;
	struct iovec iov[TU_MAX_IOV];
	uint8_t *buf; /* len bytes, aligned */
};

/* A random-I/O job over [base, base + span) of an open file. */
struct tu_job {
	const struct tu_engine *eng;
	int fd;
	uint64_t base, span;
	uint32_t block, max_blocks, depth, ops_total;
	uint32_t align;  /* buffer alignment */
	uint64_t seed;
	uint8_t *shadow; /* whole-file shadow; the job only touches its span */
	/* results */
	uint32_t errors, mismatches, done;
};

/*
 * Run @job: keep depth operations in flight, random offsets and lengths in
 * whole blocks, random reads and writes, each buffer split over 1..8 iovecs.
 * Reads compare with the shadow; a write updates the shadow when it completes.
 * Overlapping operations are avoided (a range is busy while in flight), so the
 * shadow stays exact. Returns 0 when every operation succeeded and matched.
 */
static inline int tu_job_run(struct tu_job *job)
{
	const struct tu_engine *eng = job->eng;
	struct tu_op *ops = calloc(job->depth, sizeof(*ops));
	uint8_t *busymap = calloc(job->span / job->block, 1);
	void **ctxs = calloc(job->depth, sizeof(void *));
	int64_t *res = calloc(job->depth, sizeof(int64_t));
	uint32_t issued = 0, inflight = 0, i, gen = 1;
	void *q = NULL;
	int rc;

	if (ops == NULL || busymap == NULL || ctxs == NULL || res == NULL)
		return -ENOMEM;
	rc = eng->init(&q, job->fd, job->depth);
	if (rc != 0)
		goto out;
	for (i = 0; i < job->depth; i++) {
		if (posix_memalign((void **)&ops[i].buf, job->align,
				   (size_t)job->max_blocks * job->block) != 0) {
			rc = -ENOMEM;
			goto out_q;
		}
	}
	while (job->done < job->ops_total) {
		/* Fill every free slot, then submit once: the batching the module does. */
		for (i = 0; i < job->depth && issued < job->ops_total; i++) {
			struct tu_op *op = &ops[i];
			uint64_t nblocks = job->span / job->block, first, b;
			uint32_t cnt, tries;
			size_t left, pos;
			int v;

			if (op->busy)
				continue;
			for (tries = 0; tries < 16; tries++) {
				cnt = 1 + (uint32_t)(tu_rand(&job->seed) % job->max_blocks);
				if (cnt > nblocks)
					cnt = (uint32_t)nblocks;
				first = tu_rand(&job->seed) % (nblocks - cnt + 1);
				for (b = first; b < first + cnt && !busymap[b]; b++)
					;
				if (b == first + cnt)
					break;
			}
			if (tries == 16)
				break; /* crowded: wait for completions */
			for (b = first; b < first + cnt; b++)
				busymap[b] = 1;
			op->busy = true;
			op->write = tu_rand(&job->seed) & 1;
			op->off = job->base + first * job->block;
			op->len = (size_t)cnt * job->block;
			if (op->write)
				tu_pattern(op->buf, op->len, op->off, gen++);
			else
				memset(op->buf, 0xee, op->len);
			/* Split the buffer at block boundaries into up to 8 vectors. */
			op->iovcnt = 1 + (int)(tu_rand(&job->seed) % TU_MAX_IOV);
			if ((size_t)op->iovcnt > cnt)
				op->iovcnt = (int)cnt;
			for (v = 0, pos = 0, left = cnt; v < op->iovcnt; v++) {
				size_t take = v == op->iovcnt - 1 ? left :
					1 + tu_rand(&job->seed) % (left - (size_t)(op->iovcnt - v - 1));

				op->iov[v].iov_base = op->buf + pos * job->block;
				op->iov[v].iov_len = take * job->block;
				pos += take;
				left -= take;
			}
			rc = eng->rw(q, i, job->fd, op->write, op->iov, op->iovcnt, op->off, op);
			if (rc != 0)
				goto out_q;
			issued++;
			inflight++;
		}
		rc = eng->submit(q);
		if (rc < 0)
			goto out_q;
		for (;;) {
			uint32_t n = eng->reap(q, ctxs, res, job->depth), k;

			for (k = 0; k < n; k++) {
				struct tu_op *op = ctxs[k];
				uint64_t b;

				if (res[k] != (int64_t)op->len) {
					fprintf(stderr, "%s: %s of %zu at %llu returned %lld\n", eng->name,
						op->write ? "write" : "read", op->len,
						(unsigned long long)op->off, (long long)res[k]);
					job->errors++;
				} else if (op->write) {
					memcpy(job->shadow + op->off, op->buf, op->len);
				} else if (memcmp(job->shadow + op->off, op->buf, op->len) != 0) {
					fprintf(stderr, "%s: read of %zu at %llu: data mismatch\n",
						eng->name, op->len, (unsigned long long)op->off);
					job->mismatches++;
				}
				for (b = (op->off - job->base) / job->block;
				     b < (op->off - job->base + op->len) / job->block; b++)
					busymap[b] = 0;
				op->busy = false;
				inflight--;
				job->done++;
			}
			/* Block (spin) only when nothing more can be issued. */
			if (n > 0 || inflight == 0 || issued < job->ops_total)
				break;
		}
	}
	rc = job->errors || job->mismatches ? -EIO : 0;
out_q:
	while (inflight > 0) {
		uint32_t n = eng->reap(q, ctxs, res, job->depth);

		inflight -= n;
	}
	for (i = 0; i < job->depth; i++)
		free(ops[i].buf);
	eng->fini(q);
out:
	free(ops);
	free(busymap);
	free(ctxs);
	free(res);
	return rc;
}

static inline void *tu_job_thread(void *arg)
{
	struct tu_job *job = arg;

	return (void *)(intptr_t)tu_job_run(job);
}

#endif /* TEST_AIO_URING_UTIL_H */
