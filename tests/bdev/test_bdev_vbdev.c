/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtual bdev modules over malloc: passthru (data round trip, claim,
 * hot-remove of the base cascading up), error (each injection mode observed,
 * counts, clear), delay (latencies observed within bounds, update; data
 * through iovecs of several elements and every type malloc has, a base's
 * error status held for the latency then reported, delete and hot-remove of
 * the base with I/O in flight, the wait for a base bdev_io after -ENOMEM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "bdev_test_util.h"
#include "spdk_io/env.h"

static struct sio_thread *g_thread;

/* Allowed lateness of a delayed completion (lower bounds are exact). */
#define SLACK_US 50000

static int group_setup(void **state)
{
	return ut_bdev_group_init("vbdev_ut", &g_thread);
}

static int group_teardown(void **state)
{
	return ut_bdev_group_fini();
}

#define WAIT(c) assert_true(ut_poll_until(&(c).calls))

static void make_malloc(const char *name, uint32_t max_xfer)
{
	struct sio_bdev_malloc_opts o;

	sio_bdev_malloc_opts_init(&o, sizeof(o));
	o.name = name;
	o.block_size = 512;
	o.num_blocks = 1024;
	o.max_transfer_blocks = max_xfer;
	assert_int_equal(sio_bdev_malloc_create(&o, NULL), 0);
}

static void unregister_wait(const char *name)
{
	struct ut_cpl c = {0};

	assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name(name), ut_cpl_cb, &c), 0);
	WAIT(c);
	assert_int_equal(c.rc, 0);
}

static int io_sync_write(struct sio_bdev_desc *d, struct sio_io_channel *ch, void *buf,
			 uint64_t off, uint64_t len)
{
	struct ut_cpl c = {0};
	int rc = sio_bdev_write(d, ch, buf, off, len, ut_cpl_cb, &c);

	if (rc != 0)
		return rc;
	WAIT(c);
	return c.rc;
}

static int io_sync_read(struct sio_bdev_desc *d, struct sio_io_channel *ch, void *buf,
			uint64_t off, uint64_t len)
{
	struct ut_cpl c = {0};
	int rc = sio_bdev_read(d, ch, buf, off, len, ut_cpl_cb, &c);

	if (rc != 0)
		return rc;
	WAIT(c);
	return c.rc;
}

/* ------------------------------------------------------------------------ */

static void test_passthru(void **state)
{
	struct sio_bdev_desc *d, *bd;
	struct sio_io_channel *ch, *bch;
	struct sio_bdev *pt;
	struct sio_bdev_io_stat st0, pt0, st;
	uint8_t w[64 * 512], r[64 * 512];
	int removes = 0;

	make_malloc("PTbase", 16);
	assert_int_equal(ut_passthru_create("PT0", "nope", NULL), -ENODEV);
	assert_int_equal(ut_passthru_create("PT0", "PTbase", &pt), 0);
	assert_true(sio_bdev_is_claimed(sio_bdev_get_by_name("PTbase")));
	/* A second virtual bdev cannot claim the same base. */
	assert_int_equal(ut_passthru_create("PT1", "PTbase", NULL), -EPERM);
	assert_int_equal(sio_bdev_get_num_blocks(pt), 1024);
	assert_int_equal(sio_bdev_get_max_transfer_blocks(pt), 16);

	assert_int_equal(sio_bdev_open("PT0", true, ut_event_cb, &removes, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	/* Bigger than the base's max transfer: split by the core on the way down. */
	ut_fill(w, sizeof(w), 42);
	assert_true(ut_wait_for_examine()); /* its reads of PT0 go to the base too */
	assert_int_equal(ut_io_stat("PTbase", &st0), 0);
	assert_int_equal(ut_io_stat("PT0", &pt0), 0);
	assert_int_equal(io_sync_write(d, ch, w, 512 * 100, sizeof(w)), 0);
	memset(r, 0, sizeof(r));
	assert_int_equal(io_sync_read(d, ch, r, 512 * 100, sizeof(r)), 0);
	assert_memory_equal(w, r, sizeof(w));
	/* The base counts the pieces it was given, passthru the I/O it was given. */
	assert_int_equal(ut_io_stat("PTbase", &st), 0);
	assert_int_equal(st.num_write_ops - st0.num_write_ops, 4);
	assert_int_equal(st.num_read_ops - st0.num_read_ops, 4);
	assert_int_equal(st.bytes_written - st0.bytes_written, sizeof(w));
	assert_int_equal(st.bytes_read - st0.bytes_read, sizeof(r));
	assert_int_equal(ut_io_stat("PT0", &st), 0);
	assert_int_equal(st.bytes_written - pt0.bytes_written, sizeof(w));
	assert_int_equal(st.bytes_read - pt0.bytes_read, sizeof(r));
	/* The data really is in the base. */
	assert_int_equal(sio_bdev_open("PTbase", false, ut_event_cb, NULL, &bd), 0);
	bch = sio_bdev_desc_get_io_channel(bd);
	memset(r, 0, sizeof(r));
	assert_int_equal(io_sync_read(bd, bch, r, 512 * 100, sizeof(r)), 0);
	assert_memory_equal(w, r, sizeof(w));
	sio_io_channel_put(bch);
	sio_bdev_close(bd);

	/* Hot-remove the base with I/O in flight: passthru gets removed too. */
	{
		struct ut_cpl inflight = {0}, gone = {0};

		assert_int_equal(sio_bdev_read(d, ch, r, 0, 4096, ut_cpl_cb, &inflight), 0);
		assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name("PTbase"), ut_cpl_cb, &gone), 0);
		ut_poll_n(20);
		WAIT(inflight);
		assert_int_equal(inflight.rc, 0);
		assert_int_equal(removes, 1);
		assert_int_equal(gone.calls, 0);
		sio_io_channel_put(ch);
		sio_bdev_close(d);
		WAIT(gone);
		assert_int_equal(gone.rc, 0);
		ut_poll_n(20);
		assert_null(sio_bdev_get_by_name("PT0"));
		assert_null(sio_bdev_get_by_name("PTbase"));
	}

	/* Delete through the module releases the base's claim. */
	make_malloc("PTbase2", 0);
	assert_int_equal(ut_passthru_create("PT2", "PTbase2", NULL), 0);
	{
		struct ut_cpl c = {0};

		assert_int_equal(sio_bdev_passthru_delete("PT2", ut_cpl_cb, &c), 0);
		WAIT(c);
	}
	assert_false(sio_bdev_is_claimed(sio_bdev_get_by_name("PTbase2")));
	unregister_wait("PTbase2");
}

static void test_error_injection(void **state)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	struct sio_bdev_error_inject_opts inj;
	uint8_t w[4096], r[4096];
	struct ut_cpl c = {0};

	sio_bdev_error_inject_opts_init(&inj, sizeof(inj));
	make_malloc("ERbase", 0);
	assert_int_equal(ut_error_create("ERbase", NULL), 0);
	assert_non_null(sio_bdev_get_by_name("EE_ERbase"));
	assert_int_equal(sio_bdev_open("EE_ERbase", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(w, sizeof(w), 3);
	assert_int_equal(io_sync_write(d, ch, w, 0, sizeof(w)), 0);

	/* Two reads fail, the third goes through. */
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_READ;
	inj.error_type = SIO_BDEV_ERROR_FAILURE;
	inj.num = 2;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	assert_int_equal(sio_bdev_error_inject("nope", &inj), -ENODEV);
	assert_int_equal(io_sync_read(d, ch, r, 0, 512), -EIO);
	assert_int_equal(io_sync_write(d, ch, w, 0, 512), 0); /* writes untouched */
	assert_int_equal(io_sync_read(d, ch, r, 0, 512), -EIO);
	assert_int_equal(io_sync_read(d, ch, r, 0, 4096), 0);
	assert_memory_equal(r, w, 4096);

	/* Corrupt a read's data at byte 100. */
	inj.error_type = SIO_BDEV_ERROR_CORRUPT_DATA;
	inj.num = 1;
	inj.corrupt_offset = 100;
	inj.corrupt_value = 0x0f;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	assert_int_equal(io_sync_read(d, ch, r, 0, 4096), 0);
	assert_int_equal(r[100], w[100] ^ 0x0f);
	r[100] = w[100];
	assert_memory_equal(r, w, 4096);

	/* Corrupt a write: the device stores the corrupted byte. */
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_WRITE;
	inj.corrupt_offset = 5;
	inj.corrupt_value = 0xff;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	{
		uint8_t w2[512];

		memcpy(w2, w, 512);
		assert_int_equal(io_sync_write(d, ch, w2, 0, 512), 0);
		assert_int_equal(io_sync_read(d, ch, r, 0, 512), 0);
		assert_int_equal(r[5], (uint8_t)(w[5] ^ 0xff));
	}

	/* Pending: held until a reset, which aborts it. */
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_READ;
	inj.error_type = SIO_BDEV_ERROR_PENDING;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	assert_int_equal(sio_bdev_read(d, ch, r, 0, 512, ut_cpl_cb, &c), 0);
	ut_poll_n(50);
	assert_int_equal(c.calls, 0);
	{
		struct ut_cpl rc = {0};

		assert_int_equal(sio_bdev_reset(d, ch, ut_cpl_cb, &rc), 0);
		WAIT(rc);
		assert_int_equal(rc.rc, 0);
	}
	WAIT(c);
	assert_int_equal(c.rc, -ECANCELED);

	/* nomem on writes: the awaitable form would retry; the callback form sees it. */
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_WRITE;
	inj.error_type = SIO_BDEV_ERROR_NOMEM;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	assert_int_equal(io_sync_write(d, ch, w, 0, 512), -ENOMEM);

	/* Armed on all types, then cleared: nothing fails. */
	inj.io_type_mask = UINT32_MAX & ~1u;
	inj.error_type = SIO_BDEV_ERROR_FAILURE;
	inj.num = 100;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	assert_int_equal(io_sync_read(d, ch, r, 0, 512), -EIO);
	inj.io_type_mask = 0;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), 0);
	assert_int_equal(io_sync_read(d, ch, r, 0, 512), 0);
	inj.io_type_mask = 2;
	inj.error_type = 99;
	assert_int_equal(sio_bdev_error_inject("EE_ERbase", &inj), -EINVAL);

	sio_io_channel_put(ch);
	sio_bdev_close(d);
	{
		struct ut_cpl g = {0};

		assert_int_equal(sio_bdev_error_delete("EE_ERbase", ut_cpl_cb, &g), 0);
		WAIT(g);
	}
	unregister_wait("ERbase");
}

static void test_delay(void **state)
{
	uint64_t lat[4] = {2000, 2000, 5000, 5000};
	uint64_t bad[4] = {2000, 1000, 0, 0};
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	uint8_t buf[512];

	make_malloc("DLbase", 0);
	assert_int_equal(ut_delay_create("DL0", "DLbase", bad, NULL), -EINVAL);
	assert_int_equal(ut_delay_create("DL0", "DLbase", lat, NULL), 0);
	assert_int_equal(sio_bdev_open("DL0", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = ut_now_ns(), dt;

		assert_int_equal(io_sync_read(d, ch, buf, 0, 512), 0);
		dt = (ut_now_ns() - t0) / 1000;
		assert_true(dt >= 2000);
		/* Upper bounds leave room for the OS descheduling us on a loaded 2-core CI machine. */
		assert_true(dt < 2000 + SLACK_US);
		t0 = ut_now_ns();
		assert_int_equal(io_sync_write(d, ch, buf, 0, 512), 0);
		dt = (ut_now_ns() - t0) / 1000;
		assert_true(dt >= 5000);
		assert_true(dt < 5000 + SLACK_US);
	}
	/* Many reads at once still take the latency each, not a multiple of it. */
	{
		struct ut_cpl c[16] = {{0}};
		uint64_t t0 = ut_now_ns(), dt;

		for (int i = 0; i < 16; i++)
			assert_int_equal(sio_bdev_read(d, ch, buf, 0, 512, ut_cpl_cb, &c[i]), 0);
		for (int i = 0; i < 16; i++)
			WAIT(c[i]);
		dt = (ut_now_ns() - t0) / 1000;
		assert_true(dt >= 2000 && dt < 2000 + SLACK_US);
	}
	assert_int_equal(sio_bdev_delay_update_latency("DL0", SIO_BDEV_DELAY_P99_READ, 1000), -EINVAL);
	assert_int_equal(sio_bdev_delay_update_latency("nope", SIO_BDEV_DELAY_AVG_READ, 1), -ENODEV);
	assert_int_equal(sio_bdev_delay_update_latency("DL0", SIO_BDEV_DELAY_AVG_READ, 100), 0);
	assert_int_equal(sio_bdev_delay_update_latency("DL0", SIO_BDEV_DELAY_P99_READ, 100), 0);
	{
		uint64_t t0 = ut_now_ns(), dt;

		assert_int_equal(io_sync_read(d, ch, buf, 0, 512), 0);
		dt = (ut_now_ns() - t0) / 1000;
		assert_true(dt >= 100);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	{
		struct ut_cpl g = {0};

		assert_int_equal(sio_bdev_delay_delete("DL0", ut_cpl_cb, &g), 0);
		WAIT(g);
	}
	unregister_wait("DLbase");
}

/* One I/O started by @submit_rc, waited for; its time since @t0 in µs into *@us. */
static int timed_wait(int submit_rc, struct ut_cpl *c, uint64_t t0, uint64_t *us)
{
	if (submit_rc != 0)
		return submit_rc;
	WAIT(*c);
	*us = (ut_now_ns() - t0) / 1000;
	return c->rc;
}

#define DELAY_TIMED(us, call)                                                   \
	({                                                                     \
		struct ut_cpl _c = {0};                                        \
		uint64_t _t0 = ut_now_ns();                                    \
		timed_wait(call, &_c, _t0, &(us));                             \
	})

/*
 * Data through a delay bdev over malloc with iovecs of several elements (the
 * I/O itself goes to the base: its iovecs and offset must arrive as they
 * are), and each type malloc supports, each held for its pair's latency.
 */
static void test_delay_data_types(void **state)
{
	uint64_t lat[4] = {3000, 3000, 6000, 6000};
	struct sio_bdev_io_stat b0, d0, st;
	struct sio_bdev_desc *d, *bd;
	struct sio_io_channel *ch, *bch;
	static uint8_t w[4096], r[4096], z[4096];
	struct iovec wv[3] = {{w, 100}, {w + 100, 3000}, {w + 3100, 996}};
	struct iovec rv[5] = {{r, 512}, {r + 512, 1}, {r + 513, 2047}, {r + 2560, 1000},
			      {r + 3560, 536}};
	uint64_t us = 0, hz_per_ms = sio_get_ticks_hz() / 1000;

	make_malloc("DDbase", 0);
	assert_int_equal(ut_delay_create("DD0", "DDbase", lat, NULL), 0);
	assert_true(ut_wait_for_examine());
	assert_int_equal(sio_bdev_open("DD0", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	assert_int_equal(sio_bdev_open("DDbase", false, ut_event_cb, NULL, &bd), 0);
	bch = sio_bdev_desc_get_io_channel(bd);
	assert_int_equal(ut_io_stat("DDbase", &b0), 0);
	assert_int_equal(ut_io_stat("DD0", &d0), 0);

	ut_fill(w, sizeof(w), 7);
	assert_int_equal(DELAY_TIMED(us, sio_bdev_writev_blocks(d, ch, wv, 3, 100, 8, ut_cpl_cb,
								 &_c)), 0);
	assert_true(us >= 6000);
	memset(r, 0, sizeof(r));
	assert_int_equal(DELAY_TIMED(us, sio_bdev_readv_blocks(d, ch, rv, 5, 100, 8, ut_cpl_cb,
								&_c)), 0);
	assert_true(us >= 3000);
	assert_memory_equal(w, r, sizeof(w));
	/* At the same blocks of the base, and nowhere else. */
	memset(r, 0xaa, sizeof(r));
	assert_int_equal(io_sync_read(bd, bch, r, 512 * 100, sizeof(r)), 0);
	assert_memory_equal(w, r, sizeof(w));
	assert_int_equal(io_sync_read(bd, bch, r, 512 * 108, 512), 0);
	assert_memory_equal(z, r, 512);

	/* Compare takes the read pair; a mismatch's -EILSEQ is delayed too. */
	assert_int_equal(DELAY_TIMED(us, sio_bdev_compare_blocks(d, ch, w, 100, 8, ut_cpl_cb, &_c)),
			 0);
	assert_true(us >= 3000);
	w[4000] ^= 1;
	assert_int_equal(DELAY_TIMED(us, sio_bdev_compare_blocks(d, ch, w, 100, 8, ut_cpl_cb, &_c)),
			 -EILSEQ);
	assert_true(us >= 3000);
	w[4000] ^= 1;
	/* Write zeroes and unmap take the write pair. */
	assert_int_equal(DELAY_TIMED(us, sio_bdev_write_zeroes_blocks(d, ch, 100, 4, ut_cpl_cb,
								       &_c)), 0);
	assert_true(us >= 6000);
	assert_int_equal(DELAY_TIMED(us, sio_bdev_unmap_blocks(d, ch, 104, 4, ut_cpl_cb, &_c)), 0);
	assert_true(us >= 6000);
	assert_int_equal(io_sync_read(d, ch, r, 512 * 100, sizeof(r)), 0);
	assert_memory_equal(z, r, sizeof(r));
	/* Flush and reset are not delayed (no bound to check), and complete. */
	assert_int_equal(DELAY_TIMED(us, sio_bdev_flush_blocks(d, ch, 0, 1024, ut_cpl_cb, &_c)), 0);
	assert_int_equal(DELAY_TIMED(us, sio_bdev_reset(d, ch, ut_cpl_cb, &_c)), 0);
	assert_int_equal(io_sync_write(d, ch, w, 512 * 100, sizeof(w)), 0);
	assert_int_equal(io_sync_read(bd, bch, r, 512 * 100, sizeof(r)), 0);
	assert_memory_equal(w, r, sizeof(w));

	/*
	 * The delay bdev's statistics hold the latency it added; the base
	 * counts the I/O it served (forwarded ones as its own), with its own
	 * short latency. Reads: DD0 2 (the readv, one io_sync_read), the
	 * base those 2 and the 3 made on it directly.
	 */
	assert_int_equal(ut_io_stat("DD0", &st), 0);
	assert_int_equal(st.num_read_ops - d0.num_read_ops, 2);
	assert_int_equal(st.num_write_ops - d0.num_write_ops, 2);
	assert_int_equal(st.num_compare_ops - d0.num_compare_ops, 1); /* the mismatch: an error */
	assert_int_equal(st.num_write_zeroes_ops - d0.num_write_zeroes_ops, 1);
	assert_int_equal(st.num_unmap_ops - d0.num_unmap_ops, 1);
	assert_true(st.read_latency_ticks - d0.read_latency_ticks >= 2 * 3 * hz_per_ms);
	assert_true(st.write_latency_ticks - d0.write_latency_ticks >= 2 * 6 * hz_per_ms);
	assert_int_equal(ut_io_stat("DDbase", &st), 0);
	assert_int_equal(st.num_read_ops - b0.num_read_ops, 2 + 3);
	assert_int_equal(st.num_write_ops - b0.num_write_ops, 2);
	assert_int_equal(st.num_compare_ops - b0.num_compare_ops, 1);
	assert_int_equal(st.num_unmap_ops - b0.num_unmap_ops, 1);

	sio_io_channel_put(bch);
	sio_bdev_close(bd);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	unregister_wait("DD0");
	unregister_wait("DDbase");
}

/* An error from the base is held for the latency like a success, then reported as is. */
static void test_delay_error_status(void **state)
{
	uint64_t lat[4] = {4000, 4000, 4000, 4000};
	struct sio_bdev_error_inject_opts inj;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	uint8_t buf[512] = {0};
	uint64_t us = 0;

	make_malloc("DEbase", 0);
	assert_int_equal(ut_error_create("DEbase", NULL), 0);
	assert_int_equal(ut_delay_create("DE0", "EE_DEbase", lat, NULL), 0);
	assert_true(ut_wait_for_examine());
	assert_int_equal(sio_bdev_open("DE0", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	sio_bdev_error_inject_opts_init(&inj, sizeof(inj));
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_READ;
	inj.error_type = SIO_BDEV_ERROR_FAILURE;
	inj.num = 1;
	assert_int_equal(sio_bdev_error_inject("EE_DEbase", &inj), 0);
	assert_int_equal(DELAY_TIMED(us, sio_bdev_read(d, ch, buf, 0, 512, ut_cpl_cb, &_c)), -EIO);
	assert_true(us >= 4000);
	assert_int_equal(DELAY_TIMED(us, sio_bdev_read(d, ch, buf, 0, 512, ut_cpl_cb, &_c)), 0);
	inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_WRITE;
	assert_int_equal(sio_bdev_error_inject("EE_DEbase", &inj), 0);
	assert_int_equal(DELAY_TIMED(us, sio_bdev_write(d, ch, buf, 0, 512, ut_cpl_cb, &_c)), -EIO);
	assert_true(us >= 4000);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	unregister_wait("DE0");
	unregister_wait("EE_DEbase");
	unregister_wait("DEbase");
}

/*
 * The delay bdev deleted (@hot_remove false) or its base removed (true) while
 * I/O is in flight, some held in the FIFOs: every I/O still completes, with
 * its status and after its latency; new ones are refused; the delete (or the
 * base's unregister) finishes once we close, and releases the base.
 */
static void delay_gone_under_io(bool hot_remove)
{
	uint64_t lat[4] = {20000, 20000, 20000, 20000};
	static uint8_t buf[8][512];
	struct ut_cpl c[8] = {{0}}, gone = {0};
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	int removes = 0;
	uint64_t t0, us;

	make_malloc("DRbase", 0);
	assert_int_equal(ut_delay_create("DR0", "DRbase", lat, NULL), 0);
	assert_true(ut_wait_for_examine());
	assert_int_equal(sio_bdev_open("DR0", true, ut_event_cb, &removes, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	t0 = ut_now_ns();
	for (int i = 0; i < 8; i++) {
		if (i % 2 == 0)
			assert_int_equal(sio_bdev_write(d, ch, buf[i], 512 * i, 512, ut_cpl_cb, &c[i]), 0);
		else
			assert_int_equal(sio_bdev_read(d, ch, buf[i], 512 * i, 512, ut_cpl_cb, &c[i]), 0);
	}
	ut_poll_n(20); /* the base has served them: they wait in the FIFOs */
	if (hot_remove)
		assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name("DRbase"), ut_cpl_cb,
						     &gone), 0);
	else
		assert_int_equal(sio_bdev_delay_delete("DR0", ut_cpl_cb, &gone), 0);
	assert_true(ut_poll_until(&removes));
	assert_int_equal(sio_bdev_read(d, ch, buf[0], 0, 512, ut_cpl_cb, &c[0]), -ENODEV);
	for (int i = 0; i < 8; i++) {
		WAIT(c[i]);
		assert_int_equal(c[i].rc, 0);
	}
	us = (ut_now_ns() - t0) / 1000;
	assert_true(us >= 20000);
	assert_int_equal(gone.calls, 0); /* we still hold DR0 open */
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	WAIT(gone);
	assert_int_equal(gone.rc, 0);
	ut_poll_n(20);
	assert_null(sio_bdev_get_by_name("DR0"));
	if (hot_remove) {
		assert_null(sio_bdev_get_by_name("DRbase"));
	} else {
		assert_false(sio_bdev_is_claimed(sio_bdev_get_by_name("DRbase")));
		unregister_wait("DRbase");
	}
}

static void test_delay_delete_under_io(void **state)
{
	delay_gone_under_io(false);
}

static void test_delay_hot_remove_under_io(void **state)
{
	delay_gone_under_io(true);
}

/*
 * An I/O that cannot travel to the base itself (here: one a passthru above
 * already forwarded to the delay bdev) needs a bdev_io of the base's channel;
 * when none is free (-ENOMEM) the delay bdev waits for one on that channel's
 * queue and goes on, rather than failing the I/O.
 */
static void test_delay_nomem_wait(void **state)
{
	uint64_t lat[4] = {1000, 1000, 1000, 1000};
	struct sio_bdev_opts saved, o;
	struct sio_bdev_desc *d, *bd;
	struct sio_io_channel *ch, *bch;
	struct ut_cpl fill[16] = {{0}}, wc = {0};
	static uint8_t fb[16][512], w[2048], r[2048];
	int n = 0;

	sio_bdev_get_opts(&saved, sizeof(saved));
	o = saved;
	o.bdev_io_cache_size = 16; /* for the channels made below */
	assert_int_equal(sio_bdev_set_opts(&o), 0);
	make_malloc("DNbase", 0);
	assert_int_equal(ut_delay_create("DN0", "DNbase", lat, NULL), 0);
	assert_int_equal(ut_passthru_create("DNpt", "DN0", NULL), 0);
	assert_true(ut_wait_for_examine());
	assert_int_equal(sio_bdev_open("DNpt", true, ut_event_cb, NULL, &d), 0);
	ch = sio_bdev_desc_get_io_channel(d);
	/* The base's channel on this thread is the one the delay bdev uses: empty its cache. */
	assert_int_equal(sio_bdev_open("DNbase", false, ut_event_cb, NULL, &bd), 0);
	bch = sio_bdev_desc_get_io_channel(bd);
	while (n < 16 && sio_bdev_read(bd, bch, fb[n], 512 * n, 512, ut_cpl_cb, &fill[n]) == 0)
		n++;
	assert_int_equal(n, 16);
	assert_int_equal(sio_bdev_read(bd, bch, fb[0], 0, 512, ut_cpl_cb, &fill[0]), -ENOMEM);
	ut_fill(w, sizeof(w), 9);
	assert_int_equal(sio_bdev_write(d, ch, w, 512 * 40, sizeof(w), ut_cpl_cb, &wc), 0);
	for (int i = 0; i < 16; i++) {
		WAIT(fill[i]);
		assert_int_equal(fill[i].rc, 0);
	}
	WAIT(wc);
	assert_int_equal(wc.rc, 0);
	assert_int_equal(io_sync_read(bd, bch, r, 512 * 40, sizeof(r)), 0);
	assert_memory_equal(w, r, sizeof(w));
	memset(r, 0, sizeof(r));
	assert_int_equal(io_sync_read(d, ch, r, 512 * 40, sizeof(r)), 0);
	assert_memory_equal(w, r, sizeof(w));
	sio_io_channel_put(bch);
	sio_bdev_close(bd);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	assert_int_equal(sio_bdev_set_opts(&saved), 0);
	unregister_wait("DNpt");
	unregister_wait("DN0");
	unregister_wait("DNbase");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passthru),
		cmocka_unit_test(test_error_injection),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_delay_data_types),
		cmocka_unit_test(test_delay_error_status),
		cmocka_unit_test(test_delay_delete_under_io),
		cmocka_unit_test(test_delay_hot_remove_under_io),
		cmocka_unit_test(test_delay_nomem_wait),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
