/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_bdev_io_forward(): a test module ("fwd") maps its blocks onto a base
 * at a fixed shift and hands each bdev_io to the base. Checked: data lands
 * at the shifted offset and reads back (single buffers and iovecs), the
 * base's statistics count the forwarded I/O as its own and the fwd bdev's
 * count them too, the module's callback sees its own bdev and offset again,
 * base errors and the callback's status reach the submitter, start errors
 * (-ERANGE, -EBADF, -EINVAL) come back from the call, a kept I/O completes
 * later, an awaited one completes its task, and a base that splits and
 * bounces takes the general path with the same results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "bdev_test_util.h"
#include "spdk_io/env.h"

static struct sio_thread *g_thread;

#define BL 512u
#define WAIT(c) assert_true(ut_poll_until(&(c).calls))

/* ------------------------------------------------------------------------ */
/* The fwd module                                                           */
/* ------------------------------------------------------------------------ */

struct fwd_bdev {
	struct sio_bdev bdev;
	char name[32];
	struct sio_bdev_desc *desc;     /* of the base */
	uint64_t shift;                 /* base block = ours + shift */
	bool keep;                      /* the callback keeps the I/O, completes it by message */
	int status_override;            /* non-zero: the status the callback returns */
	int io_device;                  /* address of the module's io_device */
	/* What the callback saw. */
	int cb_calls;
	int cb_bad;                     /* bdev or offset not restored, channel not ours */
	int last_status;
};

struct fwd_channel {
	struct sio_io_channel *base_ch;
};

/* Per-I/O context: only used when the forward did not start. */
struct fwd_io {
	int rc;
	uint64_t offset;
};

static struct sio_bdev_module g_fwd_module = {
	.name = "fwd_ut",
	.io_ctx_size = sizeof(struct fwd_io),
};

static void fwd_complete_msg(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct fwd_io *f = sio_bdev_io_driver_ctx(io);

	sio_bdev_io_complete(io, f->rc);
}

static int fwd_done(struct sio_io_channel *ch, struct sio_bdev_io *io, int status)
{
	struct fwd_bdev *fb = io->bdev->ctxt;
	struct fwd_io *f = sio_bdev_io_driver_ctx(io);

	fb->cb_calls++;
	fb->last_status = status;
	if (io->bdev != &fb->bdev || sio_io_channel_get_io_device(ch) != &fb->io_device)
		fb->cb_bad++;
	if (fb->status_override != 0)
		status = fb->status_override;
	if (fb->keep) {
		/* The base's context is gone: ours is the module's again. */
		f->rc = status;
		assert_int_equal(sio_thread_send_msg(g_thread, fwd_complete_msg, io), 0);
		return SIO_BDEV_IO_FORWARD_KEEP;
	}
	return status;
}

static void fwd_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct fwd_bdev *fb = io->bdev->ctxt;
	struct fwd_channel *fc = sio_io_channel_get_ctx(ch);
	struct fwd_io *f = sio_bdev_io_driver_ctx(io);
	uint64_t off = io->offset_blocks;
	int rc = sio_bdev_io_forward(io, fb->desc, fc->base_ch, off + fb->shift, fwd_done);

	if (rc != 0) {
		/* Unchanged by a failed call: still ours. */
		assert_ptr_equal(io->bdev, &fb->bdev);
		assert_int_equal(io->offset_blocks, off);
		f->rc = rc;
		assert_int_equal(sio_thread_send_msg(g_thread, fwd_complete_msg, io), 0);
	}
}

static bool fwd_supported(void *ctx, enum sio_bdev_io_type type)
{
	return type == SIO_BDEV_IO_TYPE_READ || type == SIO_BDEV_IO_TYPE_WRITE ||
	       type == SIO_BDEV_IO_TYPE_UNMAP || type == SIO_BDEV_IO_TYPE_FLUSH;
}

static int fwd_ch_create(void *dev, void *ctx)
{
	struct fwd_bdev *fb = (struct fwd_bdev *)((uint8_t *)dev - offsetof(struct fwd_bdev, io_device));
	struct fwd_channel *fc = ctx;

	fc->base_ch = sio_bdev_desc_get_io_channel(fb->desc);
	return fc->base_ch ? 0 : -ENOMEM;
}

static void fwd_ch_destroy(void *dev, void *ctx)
{
	struct fwd_channel *fc = ctx;

	sio_io_channel_put(fc->base_ch);
}

static struct sio_io_channel *fwd_get_io_channel(void *ctx)
{
	struct fwd_bdev *fb = ctx;

	return sio_io_channel_get(&fb->io_device);
}

static void fwd_unregistered(void *dev)
{
	free((uint8_t *)dev - offsetof(struct fwd_bdev, io_device));
}

static int fwd_destruct(void *ctx)
{
	struct fwd_bdev *fb = ctx;

	sio_bdev_close(fb->desc);
	sio_io_device_unregister(&fb->io_device, fwd_unregistered);
	return 0;
}

static const struct sio_bdev_fn_table g_fwd_fn = {
	.destruct = fwd_destruct,
	.submit_request = fwd_submit,
	.io_type_supported = fwd_supported,
	.get_io_channel = fwd_get_io_channel,
};

/* A fwd bdev of @blocks over @base at @shift; @sized: io_ctx_size from the base. */
static struct fwd_bdev *fwd_create(const char *name, const char *base, uint64_t blocks,
				   uint64_t shift, bool writable, bool sized)
{
	struct fwd_bdev *fb = calloc(1, sizeof(*fb));

	assert_non_null(fb);
	snprintf(fb->name, sizeof(fb->name), "%s", name);
	assert_int_equal(sio_bdev_open(base, writable, ut_event_cb, NULL, &fb->desc), 0);
	fb->shift = shift;
	fb->bdev.name = fb->name;
	fb->bdev.product_name = "fwd";
	fb->bdev.blocklen = BL;
	fb->bdev.blockcnt = blocks;
	fb->bdev.ctxt = fb;
	fb->bdev.fn_table = &g_fwd_fn;
	fb->bdev.module = &g_fwd_module;
	if (sized)
		fb->bdev.io_ctx_size = sio_bdev_get_io_ctx_size(sio_bdev_desc_get_bdev(fb->desc));
	assert_int_equal(sio_io_device_register(&fb->io_device, fwd_ch_create, fwd_ch_destroy,
						sizeof(struct fwd_channel), name), 0);
	assert_int_equal(sio_bdev_register(&fb->bdev), 0);
	/* The lvol module's examine reads the new bdev: count from here. */
	assert_true(ut_wait_for_examine());
	fb->cb_calls = 0;
	return fb;
}

static void delete_bdev(const char *name)
{
	struct ut_cpl c = {0};

	assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name(name), ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
}

static void make_malloc(const char *name, uint32_t max_xfer, uint32_t align)
{
	struct sio_bdev_malloc_opts o;

	sio_bdev_malloc_opts_init(&o, sizeof(o));
	o.name = name;
	o.block_size = BL;
	o.num_blocks = 1024;
	o.max_transfer_blocks = max_xfer;
	o.buf_align = align;
	assert_int_equal(sio_bdev_malloc_create(&o, NULL), 0);
	assert_true(ut_wait_for_examine());
}

static int io_rw(struct sio_bdev_desc *d, struct sio_io_channel *ch, bool write, void *buf,
		 uint64_t block, uint64_t n)
{
	struct ut_cpl c = {0};
	int rc = write ? sio_bdev_write_blocks(d, ch, buf, block, n, ut_cpl_cb, &c)
		       : sio_bdev_read_blocks(d, ch, buf, block, n, ut_cpl_cb, &c);

	if (rc != 0)
		return rc;
	WAIT(c);
	return c.rc;
}

static struct sio_bdev_io_stat stat_of(const char *name)
{
	struct sio_bdev_io_stat s;

	assert_int_equal(ut_io_stat(name, &s), 0);
	return s;
}

/* ------------------------------------------------------------------------ */

/* Data at the shifted offset, both bdevs' statistics, the callback's view. */
static void run_data_stats(const char *base, bool sized)
{
	struct fwd_bdev *fb = fwd_create("F0", base, 512, 100, true, sized);
	struct sio_bdev_desc *d, *bd;
	struct sio_io_channel *ch, *bch;
	struct sio_bdev_io_stat b0 = stat_of(base), f0 = stat_of("F0"), b1, f1;
	uint8_t *w = sio_dma_malloc(16 * BL, 4096), *r = sio_dma_malloc(16 * BL, 4096);
	struct iovec iov[3];
	struct ut_cpl c = {0};

	assert_int_equal(sio_bdev_open("F0", true, ut_event_cb, NULL, &d), 0);
	assert_int_equal(sio_bdev_open(base, false, ut_event_cb, NULL, &bd), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	bch = sio_bdev_desc_get_io_channel(bd);
	ut_fill(w, 16 * BL, 7);
	assert_int_equal(io_rw(d, ch, true, w, 3, 8), 0);
	/* On the base at 103, and through fwd at 3. */
	assert_int_equal(io_rw(bd, bch, false, r, 103, 8), 0);
	assert_memory_equal(r, w, 8 * BL);
	memset(r, 0, 16 * BL);
	assert_int_equal(io_rw(d, ch, false, r, 3, 8), 0);
	assert_memory_equal(r, w, 8 * BL);
	/* iovecs: 3 pieces over 4 blocks at the end of the fwd bdev. */
	iov[0].iov_base = w + 8 * BL;
	iov[0].iov_len = BL;
	iov[1].iov_base = w + 9 * BL;
	iov[1].iov_len = 2 * BL;
	iov[2].iov_base = w + 11 * BL;
	iov[2].iov_len = BL;
	assert_int_equal(sio_bdev_writev_blocks(d, ch, iov, 3, 508, 4, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
	assert_int_equal(io_rw(bd, bch, false, r, 608, 4), 0);
	assert_memory_equal(r, w + 8 * BL, 4 * BL);
	/* A flush travels too (no data). */
	c.calls = 0;
	assert_int_equal(sio_bdev_flush_blocks(d, ch, 0, 512, ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);

	assert_int_equal(fb->cb_calls, 4);
	assert_int_equal(fb->cb_bad, 0);
	b1 = stat_of(base);
	f1 = stat_of("F0");
	/* The base counts the forwarded I/O as its own, plus our direct reads. */
	assert_int_equal(b1.num_write_ops - b0.num_write_ops, 2);
	assert_int_equal(b1.bytes_written - b0.bytes_written, 12 * BL);
	assert_int_equal(b1.num_read_ops - b0.num_read_ops, 1 + 2);
	assert_int_equal(b1.bytes_read - b0.bytes_read, (8 + 8 + 4) * BL);
	assert_int_equal(b1.num_flush_ops - b0.num_flush_ops, 1);
	assert_true(b1.max_write_latency_ticks > 0);
	assert_int_equal(f1.num_write_ops - f0.num_write_ops, 2);
	assert_int_equal(f1.num_read_ops - f0.num_read_ops, 1);
	assert_int_equal(f1.bytes_read - f0.bytes_read, 8 * BL);
	assert_int_equal(f1.num_io_errors, f0.num_io_errors);

	sio_io_channel_put(ch);
	sio_io_channel_put(bch);
	sio_bdev_close(d);
	sio_bdev_close(bd);
	delete_bdev("F0");
	sio_dma_free(w);
	sio_dma_free(r);
}

static void test_data_and_stats(void **state)
{
	make_malloc("B0", 0, 0);
	run_data_stats("B0", true);  /* the I/O itself travels */
	run_data_stats("B0", false); /* sized by the module alone: also fits malloc, or a child */
	delete_bdev("B0");
}

/* A base that splits (max transfer 2 blocks) and bounces (4 KiB alignment): a child. */
static void test_general_path(void **state)
{
	make_malloc("B1", 2, 4096);
	run_data_stats("B1", true);
	delete_bdev("B1");
}

/* Base errors, the callback's own status, errors of the call itself. */
static void test_errors(void **state)
{
	struct fwd_bdev *fb;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct sio_bdev_error_inject_opts inj;
	struct sio_bdev_io_stat b0, b1;
	uint8_t buf[4 * BL];

	make_malloc("B2", 0, 0);
	assert_int_equal(ut_error_create("B2", NULL), 0);
	fb = fwd_create("F2", "EE_B2", 512, 600, true, true);
	assert_int_equal(sio_bdev_open("F2", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(buf, sizeof(buf), 9);
	assert_int_equal(io_rw(d, ch, true, buf, 0, 4), 0);

	/* The base fails a read: the submitter sees -EIO, both count an error. */
	b0 = stat_of("EE_B2");
	sio_bdev_error_inject_opts_init(&inj, sizeof(inj));
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_READ;
	inj.error_type = SIO_BDEV_ERROR_FAILURE;
	assert_int_equal(sio_bdev_error_inject("EE_B2", &inj), 0);
	assert_int_equal(io_rw(d, ch, false, buf, 0, 4), -EIO);
	assert_int_equal(fb->last_status, -EIO);
	b1 = stat_of("EE_B2");
	assert_int_equal(b1.num_io_errors - b0.num_io_errors, 1);
	assert_int_equal(stat_of("F2").num_io_errors, 1); /* examine's read succeeded */
	assert_int_equal(io_rw(d, ch, false, buf, 0, 4), 0);

	/* The callback decides the status. */
	fb->status_override = -EILSEQ;
	assert_int_equal(io_rw(d, ch, false, buf, 0, 4), -EILSEQ);
	assert_int_equal(fb->last_status, 0);
	fb->status_override = 0;

	/* Past the base's end (600 + 508 + 4 > 1024): the call refuses, nothing reaches the base. */
	b0 = stat_of("EE_B2");
	fb->cb_calls = 0;
	assert_int_equal(io_rw(d, ch, false, buf, 508, 4), -ERANGE);
	assert_int_equal(fb->cb_calls, 0);
	b1 = stat_of("EE_B2");
	assert_int_equal(b1.num_read_ops, b0.num_read_ops);
	assert_int_equal(sio_bdev_io_forward(NULL, fb->desc, ch, 0, fwd_done), -EINVAL);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("F2");

	/* A read-only descriptor of the base: writes refused with -EBADF, reads pass. */
	fb = fwd_create("F3", "B2", 512, 0, false, true);
	assert_int_equal(sio_bdev_open("F3", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	assert_int_equal(io_rw(d, ch, true, buf, 0, 1), -EBADF);
	assert_int_equal(io_rw(d, ch, false, buf, 0, 1), 0);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("F3");
	{
		struct ut_cpl c = {0};

		assert_int_equal(sio_bdev_error_delete("EE_B2", ut_cpl_cb, &c), 0);
		WAIT(c);
	}
	delete_bdev("B2");
}

struct await_arg {
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	uint8_t *buf;
};

static int await_task(void *arg)
{
	struct await_arg *a = arg;

	return sio_bdev_read_blocks_await(a->d, a->ch, a->buf, 1, 2);
}

/* A kept I/O completes later; an awaited one resumes its task. */
static void test_keep_and_await(void **state)
{
	struct fwd_bdev *fb;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	uint8_t w[4 * BL], r[4 * BL];
	struct await_arg a;
	struct sio_future f;
	uint64_t reads0;

	make_malloc("B4", 0, 0);
	fb = fwd_create("F4", "B4", 512, 7, true, true);
	reads0 = stat_of("F4").num_read_ops;
	assert_int_equal(sio_bdev_open("F4", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(w, sizeof(w), 11);
	fb->keep = true;
	assert_int_equal(io_rw(d, ch, true, w, 0, 4), 0);
	assert_int_equal(io_rw(d, ch, false, r, 0, 4), 0);
	assert_memory_equal(r, w, sizeof(w));
	assert_int_equal(stat_of("F4").num_read_ops, reads0 + 1);
	fb->keep = false;
	memset(r, 0, sizeof(r));
	a.d = d;
	a.ch = ch;
	a.buf = r;
	assert_int_equal(sio_task_spawn(NULL, await_task, &a, &f), 0);
	while (!sio_future_is_done(&f))
		sio_thread_poll(g_thread, 0);
	assert_int_equal(sio_future_rc(&f), 0);
	assert_memory_equal(r, w + BL, 2 * BL);
	assert_int_equal(stat_of("F4").num_read_ops, reads0 + 2);
	assert_int_equal(fb->cb_bad, 0);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	delete_bdev("F4");
	delete_bdev("B4");
}

static int group_setup(void **state)
{
	return ut_bdev_group_init("fwd_ut", &g_thread);
}

static int group_teardown(void **state)
{
	ut_bdev_group_fini();
	ut_thread_exit(g_thread);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_and_stats),
		cmocka_unit_test(test_general_path),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_keep_and_await),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
