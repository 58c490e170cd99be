/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev_module.h
 * The block-device layer, module-author side: how a module describes a bdev,
 * registers it, receives I/O and completes it.
 *
 * A module is a `struct sio_bdev_module` named `sio_bdev_module_<name>` and
 * listed in meson (`sio_bdev_module_names += '<name>'`); the build generates
 * the table the core walks at init, so the core never names a module and no
 * constructor is needed. See docs/writing-a-bdev-module.md, which walks
 * through the passthru module as the template.
 *
 * Life of a bdev: the module allocates its own struct embedding a
 * `struct sio_bdev`, fills the public fields and calls sio_bdev_register().
 * Consumers open it and submit I/O; the core validates, splits and bounces
 * it, and calls fn_table->submit_request() on the submitting thread with the
 * module's channel for that thread. The module completes each bdev_io exactly
 * once with sio_bdev_io_complete(), on that same thread, never from inside
 * submit_request() itself (defer it: a per-channel list drained by a poller).
 * sio_bdev_unregister() sends REMOVE events to open descriptors, waits for
 * them to close and for channels to go, then calls fn_table->destruct().
 */
#ifndef SPDK_IO_BDEV_MODULE_H
#define SPDK_IO_BDEV_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <jansson.h>

#include "spdk_io/bdev.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sio_bdev_io;
struct bdev_channel;
struct bdev_internal;

/** A bdev module: one static instance per module, listed in meson. */
struct sio_bdev_module {
	/** Short name ("null", "malloc", ...), as used in logs and in sio_bdev_get_module_name(). */
	const char *name;
	/**
	 * Set up module-global state at bdev-subsystem init, in table order.
	 * Runs on the app thread. Return 0 or a negative errno (fails init). May be NULL.
	 */
	int (*module_init)(void);
	/** Tear down module-global state after every bdev is gone. App thread. May be NULL. */
	void (*module_fini)(void);
	/**
	 * Append module-level calls (options, not bdevs) to the save_config
	 * array @config with sio_rpc_config_append(). May be NULL.
	 */
	void (*config_json)(json_t *config);
	/** Bytes of per-I/O context the module wants in every bdev_io (sio_bdev_io_driver_ctx()). */
	size_t io_ctx_size;
	/**
	 * Look at @bdev, newly registered by any module, for something this
	 * module builds on it (an lvstore's super block, a partition table) and
	 * claim it if so. Called on the registering thread by message, after
	 * sio_bdev_register() returned, for every module that has it; the module
	 * must call sio_bdev_module_examine_done() exactly once, now or after
	 * asynchronous work. May be NULL. See docs/writing-a-bdev-module.md.
	 */
	void (*examine)(struct sio_bdev *bdev);
};

/** What a module implements for each of its bdevs. */
struct sio_bdev_fn_table {
	/**
	 * Free the bdev (called once, on the thread that called
	 * sio_bdev_unregister(), after every descriptor closed and every channel
	 * is gone). Return 0 when done, or 1 to finish later by calling
	 * sio_bdev_destruct_done(). Required.
	 */
	int (*destruct)(void *ctx);
	/**
	 * Start @io. @ch is the module's channel for this thread (from
	 * get_io_channel). Complete @io later with sio_bdev_io_complete() on this
	 * thread. Only types io_type_supported() accepted arrive here. Required.
	 */
	void (*submit_request)(struct sio_io_channel *ch, struct sio_bdev_io *io);
	/** Whether @type is supported. Asked once, at registration. Required. */
	bool (*io_type_supported)(void *ctx, enum sio_bdev_io_type type);
	/**
	 * The module's channel for the current thread (sio_io_channel_get() on
	 * an io_device of the module). The core puts it when the bdev channel of
	 * that thread is destroyed. Required. The struct sio_bdev's own address
	 * is the core's io_device for the bdev: register the module's io_device
	 * at a different address (a field of the module's struct, for example).
	 */
	struct sio_io_channel *(*get_io_channel)(void *ctx);
	/**
	 * Add keys describing the bdev to @driver_specific, the
	 * "driver_specific" object of bdev_get_bdevs (for example
	 * {"passthru": {"name": ..., "base_bdev_name": ...}}). May be NULL.
	 */
	void (*dump_info_json)(void *ctx, json_t *driver_specific);
	/**
	 * Append the call that recreates this bdev to @config (save_config),
	 * with sio_rpc_config_append(). May be NULL (the bdev is then not saved).
	 */
	void (*write_config_json)(struct sio_bdev *bdev, json_t *config);
};

/** Longest bdev name or alias, without the NUL. */
#define SIO_BDEV_NAME_MAX 255

/**
 * A block device, embedded in the module's own struct. The module fills the
 * public fields before sio_bdev_register() and leaves them alone afterwards
 * (except through the calls below).
 */
struct sio_bdev {
	/** Unique name; the string is the module's and must live until destruct. */
	const char *name;
	/** Product name ("Malloc disk"); a static string. */
	const char *product_name;
	/** Logical block size in bytes, > 0. */
	uint32_t blocklen;
	/** Number of logical blocks, > 0. */
	uint64_t blockcnt;
	/** Required buffer alignment in bytes, a power of two; 0 or 1 = none. Others are bounced. */
	uint32_t buf_align;
	/** Optimal I/O boundary in blocks (0 = none). */
	uint32_t optimal_io_boundary;
	/** Split I/O that crosses optimal_io_boundary. */
	bool split_on_optimal_io_boundary;
	/** Largest I/O the module accepts at once, in blocks (0 = unlimited); larger I/O is split. */
	uint32_t max_transfer_blocks;
	/** Writes may be volatile until a flush. */
	bool write_cache;
	/**
	 * Bytes of per-I/O driver context this bdev's bdev_io carry when more
	 * than its module's io_ctx_size (0: the module's). A bdev that forwards
	 * its I/O to a base with sio_bdev_io_forward() sets
	 * sio_bdev_get_io_ctx_size(base) here, so the base module's context fits
	 * in its bdev_io and the I/O itself goes to the base.
	 */
	size_t io_ctx_size;
	/** UUID; all zero means the core generates a random (version 4) one at register. */
	uint8_t uuid[16];
	/** The module's context, passed to every fn_table call. */
	void *ctxt;
	/** The module's operations; static storage. */
	const struct sio_bdev_fn_table *fn_table;
	/** The module that owns this bdev. */
	struct sio_bdev_module *module;
	/** Private to the core. */
	struct bdev_internal *internal;
};

/** Child iovecs a split piece can carry; a piece is shortened to fit. */
#define SIO_BDEV_IO_CHILD_IOVS 32

/**
 * One I/O as the module sees it. Allocated by the core from the submitting
 * channel's cache; the module owns it from submit_request() until it calls
 * sio_bdev_io_complete().
 */
/**
 * sio_bdev_io_forward_cb - What a module runs when an I/O it forwarded with
 * sio_bdev_io_forward() completed on the base: @ch is the module's channel
 * (as submit_request() got it), @io its own bdev_io (bdev and offset its own
 * again), @status the base's. Return the status to complete @io with (the
 * core completes it right away, with the base's completion tick), or
 * SIO_BDEV_IO_FORWARD_KEEP to keep @io and complete it later.
 */
typedef int (*sio_bdev_io_forward_cb)(struct sio_io_channel *ch, struct sio_bdev_io *io,
				      int status);

/** Returned by a sio_bdev_io_forward_cb: the module keeps the I/O (not an errno). */
#define SIO_BDEV_IO_FORWARD_KEEP 1

struct sio_bdev_io {
	/** The bdev the I/O is for. */
	struct sio_bdev *bdev;
	/** What to do. */
	enum sio_bdev_io_type type;
	/** Number of entries in @iovs (0 for types without data). */
	int iovcnt;
	/** Data buffers, aligned to bdev->buf_align, covering num_blocks * blocklen bytes. */
	struct iovec *iovs;
	/** First block. */
	uint64_t offset_blocks;
	/** Number of blocks (0 for reset). */
	uint64_t num_blocks;
	/** Free for the module's use while it owns the I/O (a list link, for example). */
	struct sio_bdev_io *module_link;
	/** Private to the core: do not touch. */
	struct {
		sio_done_cb cb;
		void *cb_arg;
		struct bdev_channel *ch;
		uint64_t submit_tsc;
		struct sio_bdev_io *next;
		struct sio_bdev_io *parent;
		struct iovec *orig_iovs;
		int orig_iovcnt;
		uint8_t flags;
		struct iovec iov;
		struct iovec bounce_iov;
		void *bounce_buf;
		/*
		 * sio_bdev_io_forward(): the base's channel, the offset to
		 * restore and the module's cb while the I/O is at the base; for
		 * a child through the general path, the module's cb and channel.
		 */
		struct {
			struct bdev_channel *ch;
			uint64_t offset_blocks;
			sio_bdev_io_forward_cb cb;
			sio_bdev_io_forward_cb child_cb;
			struct sio_io_channel *child_mod_ch;
		} fwd;
		union {
			struct {
				uint64_t next_block;
				uint64_t remaining;
				uint32_t outstanding;
				int status;
				int iov_idx;
				size_t iov_off;
			} split;
			struct iovec child_iovs[SIO_BDEV_IO_CHILD_IOVS];
		} u;
	} internal;
	/** The module's per-I/O context (sio_bdev_module.io_ctx_size bytes). */
	uint8_t driver_ctx[] __attribute__((aligned(16)));
};

/** sio_bdev_io_driver_ctx() - The module's context inside @io. */
static inline void *sio_bdev_io_driver_ctx(struct sio_bdev_io *io)
{
	return io->driver_ctx;
}

/** sio_bdev_io_from_driver_ctx() - The bdev_io whose driver context is @ctx. */
static inline struct sio_bdev_io *sio_bdev_io_from_driver_ctx(void *ctx)
{
	return (struct sio_bdev_io *)((uint8_t *)ctx - offsetof(struct sio_bdev_io, driver_ctx));
}

/**
 * sio_bdev_io_complete() - Finish @io with @status (0 or a negative errno:
 * -EIO device error, -EILSEQ compare mismatch, ...). Updates statistics,
 * returns the bdev_io to its channel and runs the submitter's callback.
 * Context: the thread @io was submitted on; not from inside submit_request().
 */
void sio_bdev_io_complete(struct sio_bdev_io *io, int status);

/**
 * sio_bdev_io_get_thread() - The thread @io was submitted on (where it must complete).
 */
struct sio_thread *sio_bdev_io_get_thread(struct sio_bdev_io *io);

/**
 * sio_bdev_io_forward() - Hand @io itself to a base bdev at another offset,
 * for a virtual bdev that maps its blocks onto a base (lvol, passthru-like
 * modules): the base module's submit_request() gets @io, with the base as its
 * bdev and @offset_blocks as its offset (type, iovecs and block count
 * unchanged), without a second bdev_io or a second pass through the
 * submission checks @io already passed. When the base completes it, the
 * base's statistics count it as the base's own I/O (sio_bdev_get_iostat() of
 * the base, with @io's submission tick as its start), @io becomes the
 * module's again (its bdev and offset restored) and @cb runs with the base's
 * status; what @cb returns completes @io in the same call, with the same
 * completion tick (no second clock read), unless it returns
 * SIO_BDEV_IO_FORWARD_KEEP (then the module completes @io later). While the base holds @io, its driver context is
 * the base module's: keep nothing there that @cb needs (size the bdev with
 * io_ctx_size = sio_bdev_get_io_ctx_size(base)). When @io cannot travel
 * itself (its bdev_io is too small for the base's context, it is already
 * forwarded, or the base's channel would treat it specially: frozen by a
 * reset, an unsupported type, a split, a bounce buffer), a child bdev_io of
 * @ch takes the general sio_bdev_<op>_blocks() path instead, with the same
 * outcome for @cb and the base's statistics.
 * @io: the module's own bdev_io, between submit_request() and its completion.
 * @desc: the module's descriptor of the base bdev (writable for writes,
 *        unmap, write zeroes and flush).
 * @ch: @desc's channel on @io's thread; it must stay until @cb ran.
 * @offset_blocks: first block on the base; the base's block size must be @io's.
 * @cb: see sio_bdev_io_forward_cb; never called inside this call.
 * Context: @io's thread (from submit_request() or later, not from inside @cb
 * of the same I/O without returning SIO_BDEV_IO_FORWARD_KEEP).
 * Return: 0 (started: @cb runs once); -EINVAL NULL argument, @ch not of
 * @desc's bdev, block sizes differ, or a reset (not forwardable); -EPERM @ch
 * is another thread's; -EBADF a write through a read-only @desc; -ENODEV the
 * base is being removed; -ERANGE outside the base; -ENOMEM no bdev_io left in
 * @ch's cache for a child; -ENOTSUP the base does not support the type. On an
 * error @io is unchanged and still the module's.
 */
int sio_bdev_io_forward(struct sio_bdev_io *io, struct sio_bdev_desc *desc,
			struct sio_io_channel *ch, uint64_t offset_blocks,
			sio_bdev_io_forward_cb cb);

/**
 * sio_bdev_get_io_ctx_size() - Bytes of driver context every bdev_io of
 * @bdev carries (at least its module's io_ctx_size and its own io_ctx_size):
 * what a bdev forwarding to @bdev sets as its io_ctx_size.
 * Context: any thread, once @bdev is registered.
 */
size_t sio_bdev_get_io_ctx_size(const struct sio_bdev *bdev);

/* ------------------------------------------------------------------------ */
/* Registration                                                             */
/* ------------------------------------------------------------------------ */

/**
 * sio_bdev_register() - Make @bdev visible: lookup, open, I/O.
 * Context: the app thread (a sio_thread).
 * Return: 0; -EINVAL for a missing name, fn_table entry or module, a zero or
 * non-power-of-two where one is required (blocklen 0, blockcnt 0, buf_align
 * not a power of two), an over-long name; -EEXIST if the name or UUID is taken
 * by another bdev or alias; -ENOMEM.
 */
int sio_bdev_register(struct sio_bdev *bdev);

/**
 * sio_bdev_unregister() - Start removing @bdev: new opens fail, every open
 * descriptor gets SIO_BDEV_EVENT_REMOVE on its thread; once all are closed
 * and all channels are put, fn_table->destruct() runs and then @cb(@cb_arg, rc).
 * Context: a sio_thread; destruct and @cb run on it.
 * Return: 0 (started); -EINVAL; -ENODEV if not registered; -EBUSY if already
 * being removed.
 */
int sio_bdev_unregister(struct sio_bdev *bdev, sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_unregister_by_name() - sio_bdev_unregister() of the bdev named
 * @name, only if @module owns it (the delete RPCs use this).
 * Return: 0 (started); -ENODEV no such bdev (or owned by another module); as
 * sio_bdev_unregister().
 */
int sio_bdev_unregister_by_name(const char *name, const struct sio_bdev_module *module,
				sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_destruct_done() - Finish a destruct that returned 1.
 * Context: the thread destruct ran on.
 */
void sio_bdev_destruct_done(struct sio_bdev *bdev, int rc);

/**
 * sio_bdev_notify_blockcnt_change() - The module grew or shrank @bdev to
 * @blockcnt blocks; open descriptors get SIO_BDEV_EVENT_RESIZE.
 * Return: 0; -EINVAL for 0; -EBUSY when shrinking while descriptors are open.
 */
int sio_bdev_notify_blockcnt_change(struct sio_bdev *bdev, uint64_t blockcnt);

/**
 * sio_bdev_module_claim_bdev() - Make @module the owner of @bdev, opened by
 * @desc, and upgrade @desc to writable. Afterwards others may still open it
 * read-only, but not for writing.
 * Context: the thread of @desc.
 * Return: 0; -EINVAL; -EPERM if another module (or this one) already claims
 * it, or if another writable descriptor is open.
 */
int sio_bdev_module_claim_bdev(struct sio_bdev *bdev, struct sio_bdev_desc *desc,
			       struct sio_bdev_module *module);

/** sio_bdev_module_release_bdev() - Drop a claim (no-op if not claimed). */
void sio_bdev_module_release_bdev(struct sio_bdev *bdev);

/** sio_bdev_get_claim_module() - The module claiming @bdev, or NULL. */
struct sio_bdev_module *sio_bdev_get_claim_module(const struct sio_bdev *bdev);

/**
 * sio_bdev_module_examine_done() - @module finished examining a bdev (one call
 * per examine() call it received).
 * Context: any sio_thread.
 */
void sio_bdev_module_examine_done(struct sio_bdev_module *module);

/**
 * sio_bdev_wait_for_examine() - Call @cb(@cb_arg, 0) once no examine is in
 * progress (by message, never inside this call): what a configuration that
 * names bdevs found by examine waits for.
 * Context: a sio_thread. Return: 0; -EINVAL for NULL @cb; -ENOMEM.
 */
int sio_bdev_wait_for_examine(sio_done_cb cb, void *cb_arg);

/**
 * sio_bdev_get_module() - A module of the generated table by name, or NULL.
 * Context: any thread.
 */
struct sio_bdev_module *sio_bdev_get_module(const char *name);

/* ------------------------------------------------------------------------ */
/* Helpers for modules                                                      */
/* ------------------------------------------------------------------------ */

/**
 * sio_bdev_uuid_parse() - Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @out.
 * Return: 0; -EINVAL for anything else.
 */
int sio_bdev_uuid_parse(const char *str, uint8_t out[16]);

/** sio_bdev_uuid_format() - Write @uuid in text form into @buf (at least 37 bytes). */
void sio_bdev_uuid_format(const uint8_t uuid[16], char buf[37]);

/** sio_iovs_from_buf() - Copy @len bytes of @buf into the iovecs. Return: bytes copied. */
size_t sio_iovs_from_buf(struct iovec *iovs, int iovcnt, const void *buf, size_t len);
/** sio_iovs_to_buf() - Copy @len bytes from the iovecs into @buf. Return: bytes copied. */
size_t sio_iovs_to_buf(const struct iovec *iovs, int iovcnt, void *buf, size_t len);
/** sio_iovs_memset() - Set @len bytes of the iovecs to @c. Return: bytes set. */
size_t sio_iovs_memset(struct iovec *iovs, int iovcnt, int c, size_t len);
/** sio_iovs_cmp_buf() - memcmp() of @len bytes of the iovecs against @buf (0 = equal). */
int sio_iovs_cmp_buf(const struct iovec *iovs, int iovcnt, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_BDEV_MODULE_H */
