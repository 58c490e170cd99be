/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev core over the null and malloc modules, on one sio_thread:
 * registry (names, aliases, UUIDs, iteration), descriptors and claims,
 * validation errors, data round trips (single buffers, iovecs, misaligned
 * buffers bounced, I/O split on max transfer and boundaries), compare,
 * unmap/write_zeroes, bdev_io cache exhaustion and the wait queue, the
 * awaitable forms, statistics, and hot-remove with I/O in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "bdev/modules/null/null.h" /* sio_bdev_module_null, to claim with */
#include "bdev_test_util.h"
#include "spdk_io/env.h"

static struct sio_thread *g_thread;

static int group_setup(void **state)
{
	return ut_bdev_group_init("bdev_ut", &g_thread);
}

static int group_teardown(void **state)
{
	ut_bdev_group_fini();
	ut_thread_exit(g_thread);
	return 0;
}

static struct sio_bdev *make_malloc(const char *name, uint32_t bs, uint64_t n, uint32_t max_xfer,
				    uint32_t boundary, uint32_t align)
{
	struct sio_bdev_malloc_opts o;
	struct sio_bdev *b = NULL;

	sio_bdev_malloc_opts_init(&o, sizeof(o));
	o.name = name;
	o.block_size = bs;
	o.num_blocks = n;
	o.max_transfer_blocks = max_xfer;
	o.optimal_io_boundary = boundary;
	o.buf_align = align;
	assert_int_equal(sio_bdev_malloc_create(&o, &b), 0);
	assert_non_null(b);
	return b;
}

static void delete_bdev(const char *name)
{
	struct ut_cpl c = {0};
	struct sio_bdev *b = sio_bdev_get_by_name(name);

	assert_non_null(b);
	assert_int_equal(sio_bdev_unregister(b, ut_cpl_cb, &c), 0);
	assert_true(ut_poll_until(&c.calls));
	assert_int_equal(c.rc, 0);
	assert_null(sio_bdev_get_by_name(name));
}

#define WAIT(c) assert_true(ut_poll_until(&(c).calls))

/* ------------------------------------------------------------------------ */

static void test_registry(void **state)
{
	struct sio_bdev_null_opts o;
	struct sio_bdev *a, *b;
	const char *uuid = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";
	int n = 0;

	sio_bdev_null_opts_init(&o, sizeof(o));
	o.name = "Null0";
	o.block_size = 4096;
	o.num_blocks = 1024;
	o.uuid = uuid;
	assert_int_equal(sio_bdev_null_create(&o, &a), 0);
	assert_string_equal(sio_bdev_get_name(a), "Null0");
	assert_string_equal(sio_bdev_get_product_name(a), "Null disk");
	assert_string_equal(sio_bdev_get_module_name(a), "null");
	assert_int_equal(sio_bdev_get_block_size(a), 4096);
	assert_int_equal(sio_bdev_get_num_blocks(a), 1024);
	assert_int_equal(sio_bdev_get_size(a), 4096 * 1024);
	assert_int_equal(sio_bdev_get_buf_align(a), 1);
	assert_string_equal(sio_bdev_get_uuid(a), uuid);
	assert_true(sio_bdev_io_type_supported(a, SIO_BDEV_IO_TYPE_READ));
	assert_false(sio_bdev_io_type_supported(a, SIO_BDEV_IO_TYPE_COMPARE));

	/* Same name, same UUID, bad sizes. */
	assert_int_equal(sio_bdev_null_create(&o, NULL), -EEXIST);
	o.name = "Null1";
	assert_int_equal(sio_bdev_null_create(&o, NULL), -EEXIST);
	o.uuid = "not-a-uuid";
	assert_int_equal(sio_bdev_null_create(&o, NULL), -EINVAL);
	o.uuid = NULL;
	o.block_size = 1000;
	assert_int_equal(sio_bdev_null_create(&o, NULL), -EINVAL);
	o.block_size = 512;
	o.num_blocks = 0;
	assert_int_equal(sio_bdev_null_create(&o, NULL), -EINVAL);
	o.num_blocks = 8;
	assert_int_equal(sio_bdev_null_create(&o, &b), 0);
	assert_string_not_equal(sio_bdev_get_uuid(b), uuid);

	/* Aliases: found by lookup, unique across names. */
	assert_int_equal(sio_bdev_alias_add(a, "zero"), 0);
	assert_ptr_equal(sio_bdev_get_by_name("zero"), a);
	assert_int_equal(sio_bdev_alias_add(b, "zero"), -EEXIST);
	assert_int_equal(sio_bdev_alias_add(b, "Null0"), -EEXIST);
	assert_int_equal(sio_bdev_alias_add(b, ""), -EINVAL);
	assert_int_equal(sio_bdev_alias_del(b, "zero"), -ENOENT);

	for (struct sio_bdev *it = sio_bdev_first(); it != NULL; it = sio_bdev_next(it))
		n++;
	assert_int_equal(n, 2);
	assert_ptr_equal(sio_bdev_first(), a);
	assert_ptr_equal(sio_bdev_next(a), b);

	/* Delete through the module: only that module's bdevs. */
	assert_int_equal(sio_bdev_malloc_delete("Null1", NULL, NULL), -ENODEV);
	delete_bdev("Null1");
	delete_bdev("zero");
	assert_null(sio_bdev_first());
}

static void test_open_claim(void **state)
{
	struct sio_bdev_desc *d1, *d2, *d3;
	struct sio_bdev *b = make_malloc("M0", 512, 64, 0, 0, 0);

	assert_int_equal(sio_bdev_open("nope", false, ut_event_cb, NULL, &d1), -ENODEV);
	assert_int_equal(sio_bdev_open("M0", false, NULL, NULL, &d1), -EINVAL);
	assert_int_equal(sio_bdev_open("M0", false, ut_event_cb, NULL, &d1), 0);
	assert_false(sio_bdev_desc_is_writable(d1));
	assert_ptr_equal(sio_bdev_desc_get_bdev(d1), b);
	assert_int_equal(sio_bdev_module_claim_bdev(b, d1, &sio_bdev_module_null), 0);
	assert_true(sio_bdev_desc_is_writable(d1));
	assert_true(sio_bdev_is_claimed(b));
	assert_int_equal(sio_bdev_module_claim_bdev(b, d1, &sio_bdev_module_null), -EPERM);
	/* Claimed: no other writer, readers welcome. */
	assert_int_equal(sio_bdev_open("M0", true, ut_event_cb, NULL, &d2), -EPERM);
	assert_int_equal(sio_bdev_open("M0", false, ut_event_cb, NULL, &d2), 0);
	sio_bdev_module_release_bdev(b);
	assert_false(sio_bdev_is_claimed(b));
	assert_int_equal(sio_bdev_open("M0", true, ut_event_cb, NULL, &d3), 0);
	sio_bdev_close(d3);
	sio_bdev_close(d2);
	sio_bdev_close(d1);
	delete_bdev("M0");
}

static void test_validation(void **state)
{
	struct sio_bdev_desc *ro, *rw;
	struct sio_io_channel *ch;
	struct ut_cpl c = {0};
	uint8_t *buf = sio_dma_malloc(8192, 4096);
	struct iovec iov[2] = {{buf, 512}, {buf + 512, 512}};

	memset(buf, 0xab, 8192);
	make_malloc("V0", 512, 16, 0, 0, 0);
	assert_int_equal(sio_bdev_open("V0", false, ut_event_cb, NULL, &ro), 0);
	assert_int_equal(sio_bdev_open("V0", true, ut_event_cb, NULL, &rw), 0);
	ch = sio_bdev_desc_get_io_channel(ro);
	assert_non_null(ch);

	assert_int_equal(sio_bdev_read(NULL, ch, buf, 0, 512, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, NULL, buf, 0, 512, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, ch, NULL, 0, 512, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, ch, buf, 0, 512, NULL, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, ch, buf, 0, 0, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, ch, buf, 100, 512, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, ch, buf, 0, 500, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_read(ro, ch, buf, 16 * 512, 512, ut_cpl_cb, &c), -ERANGE);
	assert_int_equal(sio_bdev_read_blocks(ro, ch, buf, 15, 2, ut_cpl_cb, &c), -ERANGE);
	assert_int_equal(sio_bdev_read_blocks(ro, ch, buf, UINT64_MAX, 2, ut_cpl_cb, &c), -ERANGE);
	/* Writes on a read-only descriptor: refused, device untouched. */
	assert_int_equal(sio_bdev_write(ro, ch, buf, 0, 512, ut_cpl_cb, &c), -EBADF);
	assert_int_equal(sio_bdev_unmap(ro, ch, 0, 512, ut_cpl_cb, &c), -EBADF);
	assert_int_equal(sio_bdev_write_zeroes(ro, ch, 0, 512, ut_cpl_cb, &c), -EBADF);
	assert_int_equal(sio_bdev_flush(ro, ch, 0, 512, ut_cpl_cb, &c), -EBADF);
	assert_int_equal(sio_bdev_reset(ro, ch, ut_cpl_cb, &c), -EBADF);
	/* iovecs must add up to the length exactly. */
	assert_int_equal(sio_bdev_readv(ro, ch, iov, 2, 0, 512, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(sio_bdev_readv(ro, ch, iov, 0, 0, 1024, ut_cpl_cb, &c), -EINVAL);
	assert_int_equal(c.calls, 0);

	/* The device was not touched: it still reads zeroes. */
	assert_int_equal(sio_bdev_read(ro, ch, buf, 0, 8192, ut_cpl_cb, &c), 0);
	assert_int_equal(c.calls, 0); /* never inside the submit call */
	WAIT(c);
	assert_int_equal(c.rc, 0);
	for (int i = 0; i < 8192; i++)
		assert_int_equal(buf[i], 0);
	sio_io_channel_put(ch);

	/* Unsupported type: null has no compare. */
	{
		struct sio_bdev_null_opts o;
		struct sio_bdev_desc *nd;
		struct sio_io_channel *nch;

		sio_bdev_null_opts_init(&o, sizeof(o));
		o.name = "VN";
		o.num_blocks = 16;
		assert_int_equal(sio_bdev_null_create(&o, NULL), 0);
		assert_int_equal(sio_bdev_open("VN", true, ut_event_cb, NULL, &nd), 0);
		nch = sio_bdev_desc_get_io_channel(nd);
		assert_int_equal(sio_bdev_compare(nd, nch, buf, 0, 512, ut_cpl_cb, &c), -ENOTSUP);
		/* A channel of another bdev. */
		assert_int_equal(sio_bdev_read(rw, nch, buf, 0, 512, ut_cpl_cb, &c), -EINVAL);
		sio_io_channel_put(nch);
		sio_bdev_close(nd);
		delete_bdev("VN");
	}
	sio_bdev_close(ro);
	sio_bdev_close(rw);
	delete_bdev("V0");
	sio_dma_free(buf);
}

/*
 * SPDK's null semantics: writes are discarded and a read leaves the buffer
 * as it was. So a read into a freshly allocated zeroed DMA buffer returns
 * zeroes (what the seed promises), and a read into a buffer holding a pattern
 * returns that pattern, not what was written.
 */
static void test_null_rw(void **state)
{
	struct sio_bdev_null_opts o;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct ut_cpl c = {0};
	uint8_t *buf = sio_dma_malloc(4096, 4096);
	uint8_t *fresh = sio_dma_zmalloc(4096, 4096);

	assert_non_null(buf);
	assert_non_null(fresh);
	sio_bdev_null_opts_init(&o, sizeof(o));
	o.name = "N0";
	o.block_size = 4096;
	o.num_blocks = 100;
	assert_int_equal(sio_bdev_null_create(&o, NULL), 0);
	assert_int_equal(sio_bdev_open("N0", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	memset(buf, 0x5a, 4096);
	assert_int_equal(sio_bdev_write(d, ch, buf, 4096, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	c.calls = 0;
	assert_int_equal(sio_bdev_read(d, ch, fresh, 4096, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(fresh[i], 0);
	/* The pattern stays: the read neither zeroes nor returns the write. */
	for (size_t i = 0; i < 4096; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	c.calls = 0;
	assert_int_equal(sio_bdev_read(d, ch, buf, 4096, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(buf[i], (uint8_t)(i * 7 + 3));
	/* Every other operation succeeds and touches nothing either. */
	c.calls = 0;
	assert_int_equal(sio_bdev_write_zeroes(d, ch, 0, 8192, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	c.calls = 0;
	assert_int_equal(sio_bdev_unmap(d, ch, 0, 8192, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	c.calls = 0;
	assert_int_equal(sio_bdev_read(d, ch, buf, 0, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	assert_int_equal(buf[0], 3);
	assert_int_equal(buf[4095], (uint8_t)(4095 * 7 + 3));
	c.calls = 0;
	assert_int_equal(sio_bdev_reset(d, ch, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("N0");
	sio_dma_free(buf);
	sio_dma_free(fresh);
}

/*
 * The null/malloc channel poller (bdev_fifo.h) pauses on a poll that finds
 * its queue empty, not when a batch empties it: a task awaiting one I/O at a
 * time submits again only after the batch (queued rule), and pausing on the
 * emptied queue paused and resumed the poller on every I/O. An idle channel
 * still goes quiet, one poll later.
 */
static void null_poller_state(const struct sio_poller_stats *st, void *ctx)
{
	int *state = ctx;

	if (strcmp(st->name, "bdev_null") == 0)
		*state = st->paused ? 1 : 2;
}

static int null_poller_paused(void)
{
	int state = 0;

	sio_thread_foreach_poller(sio_thread_get_current(), null_poller_state, &state);
	assert_int_not_equal(state, 0);
	return state == 1;
}

struct fifo_task {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	void *buf;
	int paused_seen, done, rc;
};

static int fifo_task_fn(void *arg)
{
	struct fifo_task *f = arg;
	int rc = 0;

	for (int i = 0; i < 20 && rc == 0; i++) {
		rc = sio_bdev_read_blocks_await(f->desc, f->ch, f->buf, (uint64_t)i, 1);
		/* Resumed after the batch that completed the read: the poller
		 * found the queue emptied by that batch and must not have paused. */
		f->paused_seen += null_poller_paused();
	}
	f->rc = rc;
	__atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
	return rc;
}

static void test_fifo_poller_pause(void **state)
{
	struct sio_bdev_null_opts o;
	struct fifo_task f = {0};
	struct ut_cpl c = {0};

	f.buf = sio_dma_malloc(4096, 4096);
	assert_non_null(f.buf);
	sio_bdev_null_opts_init(&o, sizeof(o));
	o.name = "NF";
	o.block_size = 4096;
	o.num_blocks = 100;
	assert_int_equal(sio_bdev_null_create(&o, NULL), 0);
	assert_int_equal(sio_bdev_open("NF", false, ut_event_cb, NULL, &f.desc), 0);
	f.ch = sio_bdev_desc_get_io_channel(f.desc);
	ut_poll_n(2);
	assert_true(null_poller_paused());
	/* Callback form: active while there is I/O, paused one poll after. */
	assert_int_equal(sio_bdev_read_blocks(f.desc, f.ch, f.buf, 0, 1, ut_cpl_cb, &c), 0);
	assert_false(null_poller_paused());
	WAIT(c);
	assert_int_equal(c.rc, 0);
	assert_false(null_poller_paused());
	ut_poll_n(1);
	assert_true(null_poller_paused());
	/* A task at QD1: no pause between its I/O. */
	assert_int_equal(sio_task_spawn(NULL, fifo_task_fn, &f, NULL), 0);
	assert_true(ut_poll_until(&f.done));
	assert_int_equal(f.rc, 0);
	assert_int_equal(f.paused_seen, 0);
	ut_poll_n(2);
	assert_true(null_poller_paused());
	sio_io_channel_put(f.ch);
	sio_bdev_close(f.desc);
	delete_bdev("NF");
	sio_dma_free(f.buf);
}

/* Write a pattern, read it back, compare; over random ranges and buffer shapes. */
static void roundtrip(const char *name, uint32_t max_xfer, uint32_t boundary, uint32_t align)
{
	const uint32_t bs = 512;
	const uint64_t nblocks = 2048;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	uint8_t *shadow = calloc(nblocks, bs);
	uint8_t *wbuf = sio_dma_malloc(256 * bs + 64, 4096);
	uint8_t *rbuf = sio_dma_malloc(256 * bs + 64, 4096);
	unsigned int seed = 1234;

	make_malloc(name, bs, nblocks, max_xfer, boundary, align);
	assert_int_equal(sio_bdev_open(name, true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	assert_non_null(ch);
	for (int iter = 0; iter < 200; iter++) {
		uint64_t num = 1 + rand_r(&seed) % 200;
		uint64_t off = rand_r(&seed) % (nblocks - num);
		size_t len = num * bs;
		int shape = iter % 3; /* 0 single, 1 iovec, 2 misaligned single */
		size_t mis = shape == 2 ? 1 + rand_r(&seed) % 63 : 0;
		uint8_t *w = wbuf + mis, *r = rbuf + mis;
		struct ut_cpl c = {0};
		struct iovec wv[4], rv[4]; /* live until the I/O completes */

		ut_fill(w, len, (uint32_t)iter);
		memcpy(shadow + off * bs, w, len);
		if (shape == 1) {
			/* Uneven pieces that do not respect block boundaries. */
			size_t cut[3] = {len / 3 + 7, len / 3, len / 5};
			size_t acc = 0;
			int cnt = 0;

			for (int k = 0; k < 3 && acc + cut[k] < len; k++) {
				wv[cnt] = (struct iovec){w + acc, cut[k]};
				rv[cnt] = (struct iovec){r + acc, cut[k]};
				acc += cut[k];
				cnt++;
			}
			wv[cnt] = (struct iovec){w + acc, len - acc};
			rv[cnt] = (struct iovec){r + acc, len - acc};
			cnt++;
			assert_int_equal(sio_bdev_writev(d, ch, wv, cnt, off * bs, len, ut_cpl_cb, &c), 0);
			WAIT(c);
			assert_int_equal(c.rc, 0);
			memset(r, 0, len);
			c.calls = 0;
			assert_int_equal(sio_bdev_readv_blocks(d, ch, rv, cnt, off, num, ut_cpl_cb, &c), 0);
		} else {
			assert_int_equal(sio_bdev_write_blocks(d, ch, w, off, num, ut_cpl_cb, &c), 0);
			WAIT(c);
			assert_int_equal(c.rc, 0);
			memset(r, 0, len);
			c.calls = 0;
			assert_int_equal(sio_bdev_read(d, ch, r, off * bs, len, ut_cpl_cb, &c), 0);
		}
		WAIT(c);
		assert_int_equal(c.rc, 0);
		assert_memory_equal(r, shadow + off * bs, len);
	}
	/* The whole device against the shadow copy. */
	for (uint64_t off = 0; off < nblocks; off += 256) {
		struct ut_cpl c = {0};

		assert_int_equal(sio_bdev_read_blocks(d, ch, rbuf, off, 256, ut_cpl_cb, &c), 0);
		WAIT(c);
		assert_int_equal(c.rc, 0);
		assert_memory_equal(rbuf, shadow + off * bs, 256 * bs);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev(name);
	free(shadow);
	sio_dma_free(wbuf);
	sio_dma_free(rbuf);
}

static void test_malloc_roundtrip(void **state)
{
	roundtrip("RT_plain", 0, 0, 0);
}

static void test_malloc_split_max_transfer(void **state)
{
	roundtrip("RT_split", 8, 0, 0);
}

static void test_malloc_split_boundary(void **state)
{
	roundtrip("RT_boundary", 0, 16, 0);
}

static void test_malloc_bounce(void **state)
{
	roundtrip("RT_bounce", 0, 0, 4096);
}

static void test_malloc_split_and_bounce(void **state)
{
	roundtrip("RT_all", 3, 32, 512);
}

static void test_malloc_compare_unmap(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct ut_cpl c = {0};
	uint8_t w[4096], r[4096];

	make_malloc("CU", 512, 64, 0, 0, 0);
	assert_int_equal(sio_bdev_open("CU", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(w, sizeof(w), 7);
	assert_int_equal(sio_bdev_write(d, ch, w, 0, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	c.calls = 0;
	assert_int_equal(sio_bdev_compare(d, ch, w, 0, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	w[4000] ^= 1;
	c.calls = 0;
	assert_int_equal(sio_bdev_compare(d, ch, w, 0, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, -EILSEQ);
	/* Unmap blocks 1..2, write_zeroes block 5: they read back as zeroes, the rest stays. */
	c.calls = 0;
	assert_int_equal(sio_bdev_unmap_blocks(d, ch, 1, 2, ut_cpl_cb, &c), 0);
	WAIT(c);
	c.calls = 0;
	assert_int_equal(sio_bdev_write_zeroes_blocks(d, ch, 5, 1, ut_cpl_cb, &c), 0);
	WAIT(c);
	c.calls = 0;
	assert_int_equal(sio_bdev_flush_blocks(d, ch, 0, 64, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	c.calls = 0;
	assert_int_equal(sio_bdev_read(d, ch, r, 0, 4096, ut_cpl_cb, &c), 0);
	WAIT(c);
	w[4000] ^= 1;
	for (int i = 0; i < 4096; i++) {
		int blk = i / 512;
		uint8_t want = (blk == 1 || blk == 2 || blk == 5) ? 0 : w[i];

		assert_int_equal(r[i], want);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("CU");
}

/*
 * malloc copies at the poll: I/Os to the same blocks submitted in one turn
 * must still apply in submission order (read, write A, write B, read), and a
 * read must leave its buffer alone until it completes.
 */
static void test_malloc_submission_order(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct ut_cpl c[4] = {{0}};
	uint8_t a[4096], b[4096], r0[4096], r1[4096];

	make_malloc("ORD", 4096, 16, 0, 0, 0);
	assert_int_equal(sio_bdev_open("ORD", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(a, sizeof(a), 11);
	ut_fill(b, sizeof(b), 12);
	memset(r0, 0xee, sizeof(r0));
	memset(r1, 0xee, sizeof(r1));
	assert_int_equal(sio_bdev_read_blocks(d, ch, r0, 3, 1, ut_cpl_cb, &c[0]), 0);
	assert_int_equal(sio_bdev_write_blocks(d, ch, a, 3, 1, ut_cpl_cb, &c[1]), 0);
	assert_int_equal(sio_bdev_write_blocks(d, ch, b, 3, 1, ut_cpl_cb, &c[2]), 0);
	assert_int_equal(sio_bdev_read_blocks(d, ch, r1, 3, 1, ut_cpl_cb, &c[3]), 0);
	/* Nothing ran inside the submit calls. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(c[i].calls, 0);
	assert_int_equal(r1[0], 0xee);
	WAIT(c[3]);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c[i].calls, 1);
		assert_int_equal(c[i].rc, 0);
	}
	for (int i = 0; i < 4096; i++) {
		assert_int_equal(r0[i], 0);   /* a new malloc bdev reads as zeroes */
		assert_int_equal(r1[i], b[i]);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("ORD");
}

/* ------------------------------------------------------------------------ */
/* Exhaustion and the wait queue                                            */
/* ------------------------------------------------------------------------ */

struct waiter {
	struct sio_bdev_io_wait_entry entry;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	void *buf;
	uint64_t block;
	struct ut_cpl *cpl;
	int woken;
};

static void waiter_resubmit(void *arg)
{
	struct waiter *w = arg;

	w->woken++;
	assert_int_equal(sio_bdev_read_blocks(w->desc, w->ch, w->buf, w->block, 1, ut_cpl_cb, w->cpl), 0);
}

static void test_exhaustion_wait_queue(void **state)
{
	struct sio_bdev_opts opts, saved;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct ut_cpl cpl = {0}, late = {0};
	struct waiter w[4];
	uint8_t buf[512];
	int started = 0, rc;

	sio_bdev_get_opts(&saved, sizeof(saved));
	opts = saved;
	opts.bdev_io_cache_size = 8;
	assert_int_equal(sio_bdev_set_opts(&opts), -EINVAL);
	opts.bdev_io_cache_size = 16;
	assert_int_equal(sio_bdev_set_opts(&opts), 0);

	make_malloc("EX", 512, 64, 0, 0, 0);
	assert_int_equal(sio_bdev_open("EX", false, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	/* A free bdev_io exists: waiting makes no sense. */
	w[0].entry = (struct sio_bdev_io_wait_entry){.bdev = sio_bdev_desc_get_bdev(d),
						     .cb_fn = waiter_resubmit, .cb_arg = &w[0]};
	assert_int_equal(sio_bdev_queue_io_wait(sio_bdev_desc_get_bdev(d), ch, &w[0].entry), -EAGAIN);
	while ((rc = sio_bdev_read_blocks(d, ch, buf, 0, 1, ut_cpl_cb, &cpl)) == 0)
		started++;
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(started, 16);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct waiter){.desc = d, .ch = ch, .buf = buf, .block = (uint64_t)i,
				       .cpl = &late};
		w[i].entry = (struct sio_bdev_io_wait_entry){.bdev = sio_bdev_desc_get_bdev(d),
							     .cb_fn = waiter_resubmit, .cb_arg = &w[i]};
		assert_int_equal(sio_bdev_queue_io_wait(sio_bdev_desc_get_bdev(d), ch, &w[i].entry), 0);
	}
	/* Every queued I/O completes, every waiter gets exactly one call and resubmits. */
	while (cpl.calls < 16 || late.calls < 4) {
		sio_thread_poll(g_thread, 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(w[i].woken, 1);
	assert_int_equal(cpl.calls, 16);
	assert_int_equal(late.calls, 4);
	assert_int_equal(late.rc, 0);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("EX");
	assert_int_equal(sio_bdev_set_opts(&saved), 0);
}

/*
 * Splits on a tiny cache: parents hold a bdev_io while their pieces need
 * more. The parent cap keeps pieces flowing: everything completes, data intact.
 */
static void test_split_under_exhaustion(void **state)
{
	struct sio_bdev_opts opts, saved;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct ut_cpl c[12] = {{0}};
	uint8_t *w = malloc(12 * 40 * 512), *r = malloc(12 * 40 * 512);
	int started = 0, rc = 0;

	sio_bdev_get_opts(&saved, sizeof(saved));
	opts = saved;
	opts.bdev_io_cache_size = 16;
	assert_int_equal(sio_bdev_set_opts(&opts), 0);
	make_malloc("SPX", 512, 12 * 40, 1, 0, 0);
	assert_int_equal(sio_bdev_open("SPX", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(w, 12 * 40 * 512, 77);
	for (int i = 0; i < 12; i++) {
		rc = sio_bdev_write_blocks(d, ch, w + i * 40 * 512, (uint64_t)i * 40, 40, ut_cpl_cb, &c[i]);
		if (rc != 0)
			break;
		started++;
	}
	/* The pieces of the first parents took the cache: the rest must wait. */
	assert_int_equal(rc, -ENOMEM);
	assert_true(started >= 1 && started <= 8);
	for (int i = started; i < 12; i++) {
		while ((rc = sio_bdev_write_blocks(d, ch, w + i * 40 * 512, (uint64_t)i * 40, 40,
						   ut_cpl_cb, &c[i])) == -ENOMEM)
			sio_thread_poll(g_thread, 0);
		assert_int_equal(rc, 0);
	}
	for (int i = 0; i < 12; i++) {
		assert_true(ut_poll_until(&c[i].calls));
		assert_int_equal(c[i].rc, 0);
	}
	for (int i = 0; i < 12; i++) {
		struct ut_cpl rc2 = {0};

		assert_int_equal(sio_bdev_read_blocks(d, ch, r + i * 40 * 512, (uint64_t)i * 40, 40,
						      ut_cpl_cb, &rc2), 0);
		assert_true(ut_poll_until(&rc2.calls));
		assert_int_equal(rc2.rc, 0);
	}
	assert_memory_equal(w, r, 12 * 40 * 512);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("SPX");
	assert_int_equal(sio_bdev_set_opts(&saved), 0);
	free(w);
	free(r);
}

static void resize_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	int *resizes = ctx;

	if (type == SIO_BDEV_EVENT_RESIZE)
		(*resizes)++;
}

static void test_resize(void **state)
{
	struct sio_bdev_null_opts o;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct sio_bdev *b;
	struct ut_cpl c = {0};
	uint8_t buf[512];
	int resizes = 0;

	sio_bdev_null_opts_init(&o, sizeof(o));
	o.name = "RS";
	o.num_blocks = 16;
	assert_int_equal(sio_bdev_null_create(&o, &b), 0);
	assert_int_equal(sio_bdev_open("RS", false, resize_event, &resizes, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	assert_int_equal(sio_bdev_read_blocks(d, ch, buf, 20, 1, ut_cpl_cb, &c), -ERANGE);
	assert_int_equal(sio_bdev_notify_blockcnt_change(b, 8), -EBUSY); /* no shrinking under users */
	assert_int_equal(sio_bdev_notify_blockcnt_change(b, 0), -EINVAL);
	assert_int_equal(sio_bdev_notify_blockcnt_change(b, 32), 0);
	ut_poll_n(5);
	assert_int_equal(resizes, 1);
	assert_int_equal(sio_bdev_get_num_blocks(b), 32);
	assert_int_equal(sio_bdev_read_blocks(d, ch, buf, 20, 1, ut_cpl_cb, &c), 0);
	assert_true(ut_poll_until(&c.calls));
	assert_int_equal(c.rc, 0);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("RS");
}

/* Misuse the library can detect is reported and refused, not obeyed. */
static void misuse_close_thread(void *arg)
{
	struct sio_bdev_desc *d = arg;

	sio_bdev_close(d); /* not the opener: refused */
}

static int misuse_worker(void *arg)
{
	misuse_close_thread(arg);
	return 0;
}

static void test_misuse(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct sio_os_thread *t;
	uint8_t buf[512];
	int rc = -1;

	make_malloc("MU", 512, 16, 0, 0, 0);
	assert_int_equal(sio_bdev_open("MU", false, ut_event_cb, NULL, &d), 0);
	/* Close from another thread: refused, the descriptor still works. */
	assert_int_equal(sio_os_thread_spawn("mu", misuse_worker, d, &t), 0);
	assert_int_equal(sio_os_thread_join(t, &rc), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	assert_non_null(ch);
	{
		struct ut_cpl c = {0};

		assert_int_equal(sio_bdev_read(d, ch, buf, 0, 512, ut_cpl_cb, &c), 0);
		assert_true(ut_poll_until(&c.calls));
		assert_int_equal(c.rc, 0);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("MU");
	/* Unregistering twice, or what is not registered. */
	assert_int_equal(sio_bdev_unregister(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sio_bdev_unregister_by_name("none", NULL, NULL, NULL), -ENODEV);
	assert_int_equal(sio_bdev_get_io_stat(NULL, NULL, ut_cpl_cb, NULL), -EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Await forms                                                              */
/* ------------------------------------------------------------------------ */

struct await_ctx {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	int index;
	int done;
	int rc;
};

static int await_task(void *arg)
{
	struct await_ctx *a = arg;
	uint8_t w[1024], r[1024];
	int rc;

	ut_fill(w, sizeof(w), (uint32_t)a->index + 100);
	rc = sio_bdev_write_blocks_await(a->desc, a->ch, w, (uint64_t)a->index * 2, 2);
	if (rc == 0)
		rc = sio_bdev_read_await(a->desc, a->ch, r, (uint64_t)a->index * 1024, 1024);
	if (rc == 0 && memcmp(w, r, sizeof(w)) != 0)
		rc = -EIO;
	if (rc == 0)
		rc = sio_bdev_compare_blocks_await(a->desc, a->ch, w, (uint64_t)a->index * 2, 2);
	if (rc == 0)
		rc = sio_bdev_flush_await(a->desc, a->ch, 0, 512);
	a->rc = rc;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return rc;
}

struct split_task {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	int index, done, rc;
};

static int split_task_fn(void *arg)
{
	struct split_task *a = arg;
	uint8_t w[16 * 512], r[16 * 512];
	int rc;

	ut_fill(w, sizeof(w), (uint32_t)a->index);
	rc = sio_bdev_write_blocks_await(a->desc, a->ch, w, (uint64_t)a->index * 16, 16);
	if (rc == 0)
		rc = sio_bdev_read_blocks_await(a->desc, a->ch, r, (uint64_t)a->index * 16, 16);
	if (rc == 0 && memcmp(w, r, sizeof(w)) != 0)
		rc = -EIO;
	a->rc = rc;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return rc;
}

/* Many tasks awaiting split I/O on a 16-entry cache: they wait, none spins or fails. */
static void test_await_split_exhaustion(void **state)
{
	struct sio_bdev_opts opts, saved;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct split_task a[20];

	sio_bdev_get_opts(&saved, sizeof(saved));
	opts = saved;
	opts.bdev_io_cache_size = 16;
	assert_int_equal(sio_bdev_set_opts(&opts), 0);
	make_malloc("AWS", 512, 20 * 16, 2, 0, 0);
	assert_int_equal(sio_bdev_open("AWS", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	for (int i = 0; i < 20; i++) {
		a[i] = (struct split_task){.desc = d, .ch = ch, .index = i};
		assert_int_equal(sio_task_spawn(NULL, split_task_fn, &a[i], NULL), 0);
	}
	for (int i = 0; i < 20; i++) {
		assert_true(ut_poll_until(&a[i].done));
		assert_int_equal(a[i].rc, 0);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("AWS");
	assert_int_equal(sio_bdev_set_opts(&saved), 0);
}

/*
 * The buffer _blocks_await forms have a lean inline path for the common case
 * and hand everything else to the full path (io.c, bdev_submit_lean()): each
 * refusal must still come back with its own errno, and the statistics of the
 * lean completion must count as the full one does.
 */
struct await_err {
	struct sio_bdev_desc *ro, *rw;
	struct sio_io_channel *ch;
	int done;
	int rc[8];
};

static int await_err_task(void *arg)
{
	struct await_err *a = arg;
	uint8_t w[1024], r[1024];

	ut_fill(w, sizeof(w), 7);
	a->rc[0] = sio_bdev_read_blocks_await(a->ro, a->ch, NULL, 0, 1);
	a->rc[1] = sio_bdev_read_blocks_await(a->ro, a->ch, r, 0, 0);
	a->rc[2] = sio_bdev_read_blocks_await(a->ro, a->ch, r, 127, 2);
	a->rc[3] = sio_bdev_write_blocks_await(a->ro, a->ch, w, 0, 2);
	a->rc[4] = sio_bdev_read_blocks_await(NULL, a->ch, r, 0, 1);
	a->rc[5] = sio_bdev_write_blocks_await(a->rw, a->ch, w, 4, 2);
	a->rc[6] = sio_bdev_read_blocks_await(a->ro, a->ch, r, 4, 2);
	if (a->rc[6] == 0 && memcmp(w, r, sizeof(r)) != 0)
		a->rc[6] = -EIO;
	a->rc[7] = sio_bdev_compare_blocks_await(a->rw, a->ch, w, 4, 2);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void test_await_blocks_errors(void **state)
{
	struct sio_bdev_io_stat before, after;
	struct await_err a = {0};

	make_malloc("AWE", 512, 128, 0, 0, 0);
	assert_int_equal(sio_bdev_open("AWE", false, ut_event_cb, NULL, &a.ro), 0);
	assert_int_equal(sio_bdev_open("AWE", true, ut_event_cb, NULL, &a.rw), 0);
	a.ch = sio_bdev_desc_get_io_channel(a.rw);
	assert_non_null(a.ch);
	assert_int_equal(ut_io_stat("AWE", &before), 0);
	assert_int_equal(sio_task_spawn(NULL, await_err_task, &a, NULL), 0);
	assert_true(ut_poll_until(&a.done));
	assert_int_equal(a.rc[0], -EINVAL);
	assert_int_equal(a.rc[1], -EINVAL);
	assert_int_equal(a.rc[2], -ERANGE);
	assert_int_equal(a.rc[3], -EBADF);
	assert_int_equal(a.rc[4], -EINVAL);
	assert_int_equal(a.rc[5], 0);
	assert_int_equal(a.rc[6], 0);
	assert_int_equal(a.rc[7], 0);
	assert_int_equal(ut_io_stat("AWE", &after), 0);
	/* One write, one read and one compare of 1 KiB each; no error counted
	 * for the refusals, which never became I/O. Reads: at least ours (the
	 * examine of the new bdev may read it meanwhile). */
	assert_int_equal(after.num_write_ops - before.num_write_ops, 1);
	assert_int_equal(after.bytes_written - before.bytes_written, 1024);
	assert_true(after.num_read_ops - before.num_read_ops >= 1);
	assert_true(after.bytes_read - before.bytes_read >= 1024);
	assert_int_equal(after.num_compare_ops - before.num_compare_ops, 1);
	assert_int_equal(after.num_io_errors - before.num_io_errors, 0);
	sio_io_channel_put(a.ch);
	sio_bdev_close(a.ro);
	sio_bdev_close(a.rw);
	delete_bdev("AWE");
}

static void test_await_forms(void **state)
{
	struct sio_bdev_opts opts, saved;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct await_ctx a[40];
	uint8_t buf[512];

	/* 40 tasks on a 16-entry cache: some must wait in the queue, none may fail. */
	sio_bdev_get_opts(&saved, sizeof(saved));
	opts = saved;
	opts.bdev_io_cache_size = 16;
	assert_int_equal(sio_bdev_set_opts(&opts), 0);
	make_malloc("AW", 512, 128, 0, 0, 0);
	assert_int_equal(sio_bdev_open("AW", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	/* Outside a task: refused before anything starts. */
	assert_int_equal(sio_bdev_read_await(d, ch, buf, 0, 512), -EPERM);
	for (int i = 0; i < 40; i++) {
		a[i] = (struct await_ctx){.desc = d, .ch = ch, .index = i};
		assert_int_equal(sio_task_spawn(NULL, await_task, &a[i], NULL), 0);
	}
	for (int i = 0; i < 40; i++) {
		assert_true(ut_poll_until(&a[i].done));
		assert_int_equal(a[i].rc, 0);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("AW");
	assert_int_equal(sio_bdev_set_opts(&saved), 0);
}

/*
 * An awaited bdev I/O queues its task at completion; the tasks one batch of
 * completions readied then run back to back at the run-queue poll, each
 * parking straight into the next (docs/async.md, "Awaited bdev I/O"). Here:
 * the task has not run yet when the next completion of the same batch runs;
 * tasks resume in completion order; and long chains of tasks that write, read
 * back, yield, sleep and end at different points all finish with their data.
 */
struct chain_ctx {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	int index;
	int iters;
	int done;
	int rc;
};

static int g_chain_log[64];
static int g_chain_nlog;
static int g_first_resumed;
static int g_first_seen_by_cb = -1;

static int chain_first_task(void *arg)
{
	struct chain_ctx *a = arg;
	uint8_t r[512];

	a->rc = sio_bdev_read_blocks_await(a->desc, a->ch, r, 0, 1);
	g_first_resumed = 1;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Completes right after chain_first_task()'s read, in the same batch. */
static void chain_second_cb(void *arg, int rc)
{
	struct chain_ctx *a = arg;

	g_first_seen_by_cb = g_first_resumed;
	a->rc = rc;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
}

static int chain_second_task(void *arg)
{
	struct chain_ctx *a = arg;
	static uint8_t r[512];
	int rc;

	/* Queued behind the first task's read (same run-queue batch): one poll completes both. */
	rc = sio_bdev_read_blocks(a->desc, a->ch, r, 1, 1, chain_second_cb, a);
	if (rc != 0) {
		a->rc = rc;
		__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static int chain_order_task(void *arg)
{
	struct chain_ctx *a = arg;
	uint8_t r[512];

	a->rc = sio_bdev_read_blocks_await(a->desc, a->ch, r, (uint64_t)a->index, 1);
	g_chain_log[g_chain_nlog++] = a->index;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static int chain_task(void *arg)
{
	struct chain_ctx *a = arg;
	uint8_t w[2048], r[2048];
	int rc = 0;

	for (int it = 0; it < a->iters && rc == 0; it++) {
		ut_fill(w, sizeof(w), (uint32_t)(a->index * 1000 + it));
		rc = sio_bdev_write_blocks_await(a->desc, a->ch, w, (uint64_t)a->index * 4, 4);
		if (rc == 0)
			rc = sio_bdev_read_blocks_await(a->desc, a->ch, r, (uint64_t)a->index * 4, 4);
		if (rc == 0 && memcmp(w, r, sizeof(w)) != 0)
			rc = -EILSEQ;
		if (rc == 0 && it % 3 == 2)
			rc = sio_yield();
		if (rc == 0 && a->index % 16 == 5 && it == 1)
			rc = sio_sleep(200);
	}
	a->rc = rc;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return rc;
}

static void test_await_chain(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct chain_ctx a[64];

	make_malloc("CHN", 512, 64 * 4, 0, 0, 0);
	assert_int_equal(sio_bdev_open("CHN", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);

	/* Not resumed inside the completion: the next completion of the batch runs first. */
	for (int i = 0; i < 2; i++) {
		a[i] = (struct chain_ctx){.desc = d, .ch = ch, .index = i};
		assert_int_equal(sio_task_spawn(NULL, i == 0 ? chain_first_task : chain_second_task,
						&a[i], NULL),
				 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_true(ut_poll_until(&a[i].done));
		assert_int_equal(a[i].rc, 0);
	}
	assert_int_equal(g_first_seen_by_cb, 0);
	assert_int_equal(g_first_resumed, 1);

	/* Resumed in completion order (malloc completes in submission order). */
	g_chain_nlog = 0;
	for (int i = 0; i < 32; i++) {
		a[i] = (struct chain_ctx){.desc = d, .ch = ch, .index = i};
		assert_int_equal(sio_task_spawn(NULL, chain_order_task, &a[i], NULL), 0);
	}
	for (int i = 0; i < 32; i++) {
		assert_true(ut_poll_until(&a[i].done));
		assert_int_equal(a[i].rc, 0);
	}
	assert_int_equal(g_chain_nlog, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(g_chain_log[i], i);

	/* Chains broken by tasks that end, yield or sleep part-way: all finish, data intact. */
	for (int i = 0; i < 64; i++) {
		a[i] = (struct chain_ctx){.desc = d, .ch = ch, .index = i, .iters = 1 + i % 7};
		assert_int_equal(sio_task_spawn(NULL, chain_task, &a[i], NULL), 0);
	}
	for (int i = 0; i < 64; i++) {
		assert_true(ut_poll_until(&a[i].done));
		assert_int_equal(a[i].rc, 0);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("CHN");
}

/*
 * The completion tick (sio_bdev_get_completion_ticks()): inside a completion
 * callback, and in a task from the return of an _await form until it
 * switches out, it is the one tick the layer read for that completion (not a
 * fresh clock read, even when the clock has moved on); elsewhere a fresh
 * read. An awaited I/O's accounting, left for its task, still lands in the
 * channel's statistics, and its bdev_io goes back (a channel put with
 * nothing in flight).
 */
struct tick_ctx {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint64_t first, second, after_yield;
	int done;
	int rc;
};

/* Spin until the clock has moved past @t, so a fresh read could not equal it. */
static void ut_spin_past(uint64_t t)
{
	while (sio_get_ticks() <= t)
		;
}

static void tick_cb(void *arg, int rc)
{
	struct tick_ctx *t = arg;

	t->first = sio_bdev_get_completion_ticks();
	ut_spin_past(t->first);
	t->second = sio_bdev_get_completion_ticks();
	t->rc = rc;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
}

static int tick_task(void *arg)
{
	struct tick_ctx *t = arg;
	uint8_t r[512];
	int rc;

	for (int i = 0; i < 8; i++) {
		rc = sio_bdev_read_blocks_await(t->desc, t->ch, r, (uint64_t)i, 1);
		if (rc != 0)
			break;
		t->first = sio_bdev_get_completion_ticks();
		ut_spin_past(t->first);
		t->second = sio_bdev_get_completion_ticks();
		if (t->second != t->first) {
			rc = -EINVAL;
			break;
		}
	}
	if (rc == 0)
		rc = sio_yield();
	t->after_yield = sio_bdev_get_completion_ticks();
	t->rc = rc;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void test_completion_ticks(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct sio_bdev_io_stat s;
	struct tick_ctx t = {0};
	uint8_t r[512];
	uint64_t before, outside;

	make_malloc("TCK", 512, 64, 0, 0, 0);
	/* The lvol examine's probe read would share our channel: let it finish first. */
	assert_true(ut_wait_for_examine());
	assert_int_equal(sio_bdev_open("TCK", false, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);

	/* Callback form: one tick for the whole callback. */
	before = sio_get_ticks();
	assert_int_equal(sio_bdev_read_blocks(d, ch, r, 0, 1, tick_cb, &t), 0);
	assert_true(ut_poll_until(&t.done));
	assert_int_equal(t.rc, 0);
	assert_true(t.first >= before);
	assert_true(t.second == t.first);
	/* Outside any completion: a fresh read. */
	outside = sio_bdev_get_completion_ticks();
	assert_true(outside > t.first);

	/* Awaited: the same after the _await returned; fresh again after a yield. */
	t = (struct tick_ctx){.desc = d, .ch = ch};
	assert_int_equal(sio_task_spawn(NULL, tick_task, &t, NULL), 0);
	assert_true(ut_poll_until(&t.done));
	assert_int_equal(t.rc, 0);
	assert_true(t.after_yield > t.first);

	/* The 1 + 8 reads are counted, with latencies, by the channel. */
	assert_int_equal(sio_bdev_channel_get_io_stat(ch, &s), 0);
	assert_int_equal(s.num_read_ops, 9);
	assert_int_equal(s.bytes_read, 9 * 512);
	assert_true(s.max_read_latency_ticks > 0);
	assert_true(s.read_latency_ticks >= s.max_read_latency_ticks);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("TCK");
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

static void test_stats(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct sio_bdev_io_stat s, base;
	struct ut_cpl c = {0};
	uint8_t buf[2048];
	struct sio_bdev *b = make_malloc("ST", 512, 64, 0, 0, 0);

	/*
	 * The lvol module's examine reads the new bdev through a channel of its
	 * own; once it is done that channel is gone (its counts stay in the
	 * bdev-wide figure, the baseline) and ours starts from zero.
	 */
	assert_true(ut_wait_for_examine());
	memset(&base, 0, sizeof(base));
	assert_int_equal(sio_bdev_get_io_stat(b, &base, ut_cpl_cb, &c), 0);
	WAIT(c);
	c.calls = 0;
	assert_int_equal(sio_bdev_open("ST", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	for (int i = 0; i < 3; i++) {
		c.calls = 0;
		assert_int_equal(sio_bdev_read(d, ch, buf, 0, 2048, ut_cpl_cb, &c), 0);
		WAIT(c);
	}
	c.calls = 0;
	assert_int_equal(sio_bdev_write(d, ch, buf, 0, 1024, ut_cpl_cb, &c), 0);
	WAIT(c);
	c.calls = 0;
	assert_int_equal(sio_bdev_unmap(d, ch, 0, 512, ut_cpl_cb, &c), 0);
	WAIT(c);
	c.calls = 0;
	buf[0] ^= 0xff;
	assert_int_equal(sio_bdev_compare(d, ch, buf, 0, 512, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(sio_bdev_channel_get_io_stat(ch, &s), 0);
	assert_int_equal(s.num_read_ops, 3);
	assert_int_equal(s.bytes_read, 3 * 2048);
	assert_int_equal(s.num_write_ops, 1);
	assert_int_equal(s.bytes_written, 1024);
	assert_int_equal(s.num_unmap_ops, 1);
	assert_int_equal(s.bytes_unmapped, 512);
	assert_int_equal(s.num_io_errors, 1);
	assert_true(s.min_read_latency_ticks <= s.max_read_latency_ticks);
	assert_true(s.read_latency_ticks >= s.max_read_latency_ticks);
	assert_true(s.max_read_latency_ticks > 0);
	assert_int_equal(s.min_write_latency_ticks > 0, 1);

	/* The bdev-wide figure, gathered over channels. */
	memset(&s, 0, sizeof(s));
	c.calls = 0;
	assert_int_equal(sio_bdev_get_io_stat(b, &s, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(s.num_read_ops, base.num_read_ops + 3);
	assert_int_equal(s.num_write_ops, base.num_write_ops + 1);
	c.calls = 0;
	assert_int_equal(sio_bdev_reset_io_stat(b, SIO_BDEV_RESET_STAT_ALL, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(sio_bdev_channel_get_io_stat(ch, &s), 0);
	assert_int_equal(s.num_read_ops, 0);
	assert_int_equal(s.min_read_latency_ticks, 0);
	/* Destroyed channels keep counting toward the bdev. */
	c.calls = 0;
	assert_int_equal(sio_bdev_read(d, ch, buf, 0, 512, ut_cpl_cb, &c), 0);
	WAIT(c);
	sio_io_channel_put(ch);
	ut_poll_n(5);
	c.calls = 0;
	assert_int_equal(sio_bdev_get_io_stat(b, &s, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(s.num_read_ops, 1);
	sio_bdev_close(d);
	delete_bdev("ST");
}

/* ------------------------------------------------------------------------ */
/* Hot remove                                                               */
/* ------------------------------------------------------------------------ */

struct hr_ctx {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	int removes;
};

static void hr_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	struct hr_ctx *h = ctx;

	if (type == SIO_BDEV_EVENT_REMOVE)
		h->removes++;
}

static void test_hot_remove(void **state)
{
	struct hr_ctx h = {0};
	struct ut_cpl io[8] = {{0}}, unreg = {0}, late = {0};
	uint8_t *buf = malloc(8 * 4096);
	struct sio_bdev *b = make_malloc("HR", 4096, 64, 0, 0, 0);

	assert_int_equal(sio_bdev_open("HR", true, hr_event, &h, &h.desc), 0);
	h.ch = sio_bdev_desc_get_io_channel(h.desc);
	for (int i = 0; i < 8; i++)
		assert_int_equal(sio_bdev_write_blocks(h.desc, h.ch, buf + i * 4096, (uint64_t)i, 1,
						       ut_cpl_cb, &io[i]), 0);
	/* Remove with 8 writes in flight. */
	assert_int_equal(sio_bdev_unregister(b, ut_cpl_cb, &unreg), 0);
	assert_int_equal(sio_bdev_unregister(b, ut_cpl_cb, &unreg), -EBUSY);
	{
		struct sio_bdev_desc *d2;

		assert_int_equal(sio_bdev_open("HR", false, hr_event, &h, &d2), -ENODEV);
	}
	/* New submissions on the removed descriptor fail clearly. */
	assert_int_equal(sio_bdev_read_blocks(h.desc, h.ch, buf, 0, 1, ut_cpl_cb, &late), -ENODEV);
	ut_poll_n(20);
	assert_int_equal(h.removes, 1);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(io[i].calls, 1);
		assert_int_equal(io[i].rc, 0);
	}
	/* Not destructed while the descriptor is open. */
	assert_int_equal(unreg.calls, 0);
	assert_ptr_equal(sio_bdev_get_by_name("HR"), b);
	sio_io_channel_put(h.ch);
	sio_bdev_close(h.desc);
	WAIT(unreg);
	assert_int_equal(unreg.rc, 0);
	assert_null(sio_bdev_get_by_name("HR"));
	assert_int_equal(late.calls, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_open_claim),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_null_rw),
		cmocka_unit_test(test_malloc_roundtrip),
		cmocka_unit_test(test_malloc_split_max_transfer),
		cmocka_unit_test(test_malloc_split_boundary),
		cmocka_unit_test(test_malloc_bounce),
		cmocka_unit_test(test_malloc_split_and_bounce),
		cmocka_unit_test(test_malloc_compare_unmap),
		cmocka_unit_test(test_malloc_submission_order),
		cmocka_unit_test(test_exhaustion_wait_queue),
		cmocka_unit_test(test_split_under_exhaustion),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_await_forms),
		cmocka_unit_test(test_await_blocks_errors),
		cmocka_unit_test(test_await_split_exhaustion),
		cmocka_unit_test(test_await_chain),
		cmocka_unit_test(test_fifo_poller_pause),
		cmocka_unit_test(test_completion_ticks),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_hot_remove),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
