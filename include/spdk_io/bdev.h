/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev.h
 * The block-device layer, consumer side: find a bdev, open a descriptor, get
 * a per-thread I/O channel, and submit I/O.
 *
 * Every I/O operation comes in two forms built from one implementation:
 *
 * - the callback form `sio_bdev_<op>(..., sio_done_cb cb, void *cb_arg)`
 *   returns 0 when the I/O was started (@cb then runs exactly once, on the
 *   calling thread, never from inside the submitting call) or a negative errno
 *   when it was not (the device is untouched and @cb never runs);
 * - the awaitable form `sio_bdev_<op>_await(...)` runs inside a task, parks
 *   it until the I/O completes and returns the completion status. It waits on
 *   the channel's wait queue by itself when the channel's bdev_io cache is
 *   exhausted, so it never returns -ENOMEM for that reason. The completion
 *   queues the task rather than resuming it inside the completing call (the
 *   same holds for SIO_AWAIT_CALL() on a callback form): the tasks one batch
 *   of completions readied run at the thread's next run-queue poll, in
 *   completion order, each parking straight into the next. docs/async.md,
 *   "Awaited bdev I/O", says why and what it costs.
 *
 * Offsets and lengths come in bytes (`sio_bdev_read()`) or in blocks
 * (`sio_bdev_read_blocks()`); byte values must be multiples of the block
 * size. Single-buffer and iovec (`readv`) forms exist for data operations.
 * Buffers and iovec arrays must stay valid until the completion runs.
 *
 * Buffers that miss the bdev's required alignment are bounced through an
 * aligned copy; I/O larger than the module's maximum transfer, or crossing
 * its optimal I/O boundary, is split and reassembled. Both are transparent.
 *
 * Errors returned by submission (nothing started, device untouched):
 * -EINVAL (NULL argument, zero length, length or offset not a block
 * multiple, descriptor and channel of different bdevs), -ERANGE (beyond the
 * end of the bdev), -EBADF (write-type operation on a read-only descriptor),
 * -ENOTSUP (the bdev does not support that operation), -ENODEV (the bdev is
 * being removed), -EPERM (wrong thread for the channel), -ENOMEM (the
 * channel's bdev_io cache is exhausted: see sio_bdev_queue_io_wait()).
 * Completion statuses: 0, -EIO (device error), -EILSEQ (compare mismatch),
 * -ENODEV (removed while queued), or another negative errno from the module.
 */
#ifndef SPDK_IO_BDEV_H
#define SPDK_IO_BDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "spdk_io/async.h"
#include "spdk_io/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sio_bdev;
struct sio_bdev_desc;

/** Kinds of I/O a bdev may support. Values are stable (used in stats and RPC). */
enum sio_bdev_io_type {
	SIO_BDEV_IO_TYPE_INVALID = 0,      /**< never valid */
	SIO_BDEV_IO_TYPE_READ = 1,         /**< read blocks into buffers */
	SIO_BDEV_IO_TYPE_WRITE = 2,        /**< write blocks from buffers */
	SIO_BDEV_IO_TYPE_UNMAP = 3,        /**< deallocate blocks (trim) */
	SIO_BDEV_IO_TYPE_FLUSH = 4,        /**< make earlier writes durable */
	SIO_BDEV_IO_TYPE_RESET = 5,        /**< reset the device */
	SIO_BDEV_IO_TYPE_WRITE_ZEROES = 6, /**< write zeroes without a buffer */
	SIO_BDEV_IO_TYPE_COMPARE = 7,      /**< compare blocks with buffers (-EILSEQ on mismatch) */
	SIO_BDEV_IO_TYPE_COUNT             /**< number of values, not a type */
};

/** sio_bdev_io_type_name() - "read", "write", ... (SPDK's supported_io_types keys); "invalid" otherwise. */
const char *sio_bdev_io_type_name(enum sio_bdev_io_type type);

/** Events delivered to the holder of an open descriptor. */
enum sio_bdev_event_type {
	/**
	 * The bdev is being unregistered (deleted or hot-removed). Stop
	 * submitting, let in-flight I/O complete, put your channels and close
	 * the descriptor; the unregistration finishes once every descriptor is
	 * closed. New submissions on this descriptor fail with -ENODEV.
	 */
	SIO_BDEV_EVENT_REMOVE = 0,
	/** The bdev's block count changed (read sio_bdev_get_num_blocks() again). */
	SIO_BDEV_EVENT_RESIZE = 1,
};

/**
 * Event callback of sio_bdev_open(). Runs on the thread that opened the
 * descriptor, by message; it may close the descriptor.
 */
typedef void (*sio_bdev_event_cb)(enum sio_bdev_event_type type, struct sio_bdev *bdev,
				  void *event_ctx);

/* ------------------------------------------------------------------------ */
/* Layer options                                                            */
/* ------------------------------------------------------------------------ */

/** Options of the bdev layer (SPDK's bdev_set_options, where they apply). */
struct sio_bdev_opts {
	/** Size of this struct as the caller knows it; set by sio_bdev_get_opts(). */
	size_t opts_size;
	/**
	 * bdev_io objects preallocated in each channel (per bdev, per thread).
	 * Bounds the channel's queue depth, splits included. Default 512.
	 */
	uint32_t bdev_io_cache_size;
};

/**
 * sio_bdev_get_opts() - Copy the current layer options into @opts.
 * @opts: filled up to @opts_size.
 * @opts_size: sizeof(*opts) as the caller was compiled with.
 * Context: any thread.
 */
void sio_bdev_get_opts(struct sio_bdev_opts *opts, size_t opts_size);

/**
 * sio_bdev_set_opts() - Change layer options. Channels created later use them.
 * Context: any thread.
 * Return: 0; -EINVAL for NULL, a bad opts_size, or bdev_io_cache_size < 16.
 */
int sio_bdev_set_opts(const struct sio_bdev_opts *opts);

/* ------------------------------------------------------------------------ */
/* Lookup and properties                                                    */
/* ------------------------------------------------------------------------ */

/**
 * sio_bdev_get_by_name() - Find a registered bdev by name or alias.
 * The pointer stays valid only until the bdev is unregistered: open a
 * descriptor to hold on to it.
 * Context: any thread.
 * Return: the bdev, or NULL if none has that name.
 */
struct sio_bdev *sio_bdev_get_by_name(const char *name);

/**
 * sio_bdev_first() - First registered bdev in registration order, or NULL.
 * sio_bdev_next() - The one after @prev, or NULL.
 * Context: the app thread (registration happens there), or any thread that
 * knows no bdev is unregistered during the walk.
 */
struct sio_bdev *sio_bdev_first(void);
struct sio_bdev *sio_bdev_next(struct sio_bdev *prev);

/** sio_bdev_get_name() - The bdev's unique name. */
const char *sio_bdev_get_name(const struct sio_bdev *bdev);
/** sio_bdev_get_product_name() - The module's product name ("Null disk", "Malloc disk", ...). */
const char *sio_bdev_get_product_name(const struct sio_bdev *bdev);
/** sio_bdev_get_module_name() - Name of the module that registered the bdev ("null", ...). */
const char *sio_bdev_get_module_name(const struct sio_bdev *bdev);
/** sio_bdev_get_block_size() - Logical block size in bytes. */
uint32_t sio_bdev_get_block_size(const struct sio_bdev *bdev);
/** sio_bdev_get_num_blocks() - Number of logical blocks. */
uint64_t sio_bdev_get_num_blocks(const struct sio_bdev *bdev);
/** sio_bdev_get_size() - Size in bytes (block size * block count). */
uint64_t sio_bdev_get_size(const struct sio_bdev *bdev);
/** sio_bdev_get_buf_align() - Required buffer alignment in bytes (1 = none); others are bounced. */
uint32_t sio_bdev_get_buf_align(const struct sio_bdev *bdev);
/** sio_bdev_get_optimal_io_boundary() - Optimal I/O boundary in blocks (0 = none). */
uint32_t sio_bdev_get_optimal_io_boundary(const struct sio_bdev *bdev);
/** sio_bdev_get_max_transfer_blocks() - Largest I/O the module takes in one piece, in blocks (0 = unlimited). */
uint32_t sio_bdev_get_max_transfer_blocks(const struct sio_bdev *bdev);
/** sio_bdev_has_write_cache() - Whether writes may sit in a volatile cache until a flush. */
bool sio_bdev_has_write_cache(const struct sio_bdev *bdev);
/** sio_bdev_io_type_supported() - Whether @type can be submitted to @bdev. */
bool sio_bdev_io_type_supported(const struct sio_bdev *bdev, enum sio_bdev_io_type type);
/** sio_bdev_is_claimed() - Whether a virtual bdev owns @bdev. */
bool sio_bdev_is_claimed(const struct sio_bdev *bdev);

/**
 * sio_bdev_get_uuid() - The bdev's UUID in canonical text form
 * ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", valid while the bdev lives).
 */
const char *sio_bdev_get_uuid(const struct sio_bdev *bdev);

/** Visitor of sio_bdev_foreach_alias(). */
typedef void (*sio_bdev_alias_fn)(const char *alias, void *ctx);
/**
 * sio_bdev_foreach_alias() - Call @fn for each alias of @bdev, in the order added.
 * Context: any thread; @fn must not add or remove aliases.
 */
void sio_bdev_foreach_alias(const struct sio_bdev *bdev, sio_bdev_alias_fn fn, void *ctx);

/**
 * sio_bdev_alias_add() - Give @bdev another name that lookups find.
 * Context: any thread.
 * Return: 0; -EINVAL for NULL or an empty/over-long name; -EEXIST if any bdev
 * already has that name or alias; -ENOMEM.
 */
int sio_bdev_alias_add(struct sio_bdev *bdev, const char *alias);

/**
 * sio_bdev_alias_del() - Remove an alias of @bdev.
 * Return: 0; -EINVAL; -ENOENT if @bdev has no such alias.
 */
int sio_bdev_alias_del(struct sio_bdev *bdev, const char *alias);

/* ------------------------------------------------------------------------ */
/* Descriptors and channels                                                 */
/* ------------------------------------------------------------------------ */

/**
 * sio_bdev_open() - Open the bdev named @name (or one of its aliases).
 * @name: bdev name or alias.
 * @write: open for writing (needed for write, write_zeroes, unmap, flush, reset).
 * @event_cb: called on this thread for REMOVE/RESIZE events; required.
 * @event_ctx: passed to @event_cb.
 * @desc: set to the new descriptor on success.
 *
 * Context: a sio_thread; the descriptor belongs to it and must be closed there.
 * Return: 0; -EINVAL for NULL arguments; -ENODEV if no bdev has that name or
 * it is being removed; -EPERM when opening for write a bdev that a virtual
 * bdev has claimed, or with no current sio_thread; -ENOMEM.
 */
int sio_bdev_open(const char *name, bool write, sio_bdev_event_cb event_cb, void *event_ctx,
		  struct sio_bdev_desc **desc);

/**
 * sio_bdev_close() - Close @desc. I/O still in flight on it completes normally;
 * put its channels first or after, as you like (channels are per bdev, not per
 * descriptor). A close from a thread other than the opener is logged and refused.
 * Context: the thread that opened @desc.
 */
void sio_bdev_close(struct sio_bdev_desc *desc);

/** sio_bdev_desc_get_bdev() - The bdev @desc refers to. */
struct sio_bdev *sio_bdev_desc_get_bdev(struct sio_bdev_desc *desc);

/** sio_bdev_desc_is_writable() - Whether @desc was opened (or upgraded by a claim) for writing. */
bool sio_bdev_desc_is_writable(const struct sio_bdev_desc *desc);

/**
 * sio_bdev_desc_get_io_channel() - Get the current thread's I/O channel to the
 * bdev of @desc (ref-counted; creates the channel and its bdev_io cache on
 * first use on this thread). Release with sio_io_channel_put() on this thread.
 * Context: a sio_thread.
 * Return: the channel, or NULL with errno set (EINVAL NULL desc, ENODEV the bdev
 * is being removed, EPERM no current thread, ENOMEM).
 */
struct sio_io_channel *sio_bdev_desc_get_io_channel(struct sio_bdev_desc *desc);

/* ------------------------------------------------------------------------ */
/* I/O: callback forms                                                      */
/* ------------------------------------------------------------------------ */

/*
 * All operations below: Context: the thread owning @ch (a channel from
 * sio_bdev_desc_get_io_channel() on the bdev of @desc). Return: 0 (started,
 * @cb runs exactly once) or a negative errno as listed in the file comment.
 */

/** sio_bdev_read() - Read @nbytes at byte @offset into @buf. */
int sio_bdev_read(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
		  uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_read_blocks() - Read @num_blocks at block @offset_blocks into @buf. */
int sio_bdev_read_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			 uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg);
/** sio_bdev_readv() - Read @nbytes at byte @offset into @iovcnt buffers (their lengths add up to exactly @nbytes, else -EINVAL). */
int sio_bdev_readv(struct sio_bdev_desc *desc, struct sio_io_channel *ch, struct iovec *iov,
		   int iovcnt, uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_readv_blocks() - Block form of sio_bdev_readv(). */
int sio_bdev_readv_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			  struct iovec *iov, int iovcnt, uint64_t offset_blocks,
			  uint64_t num_blocks, sio_done_cb cb, void *cb_arg);

/** sio_bdev_write() - Write @nbytes from @buf at byte @offset. */
int sio_bdev_write(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
		   uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_write_blocks() - Block form of sio_bdev_write(). */
int sio_bdev_write_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			  uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg);
/** sio_bdev_writev() - Write @nbytes gathered from @iovcnt buffers at byte @offset. */
int sio_bdev_writev(struct sio_bdev_desc *desc, struct sio_io_channel *ch, struct iovec *iov,
		    int iovcnt, uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_writev_blocks() - Block form of sio_bdev_writev(). */
int sio_bdev_writev_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			   struct iovec *iov, int iovcnt, uint64_t offset_blocks,
			   uint64_t num_blocks, sio_done_cb cb, void *cb_arg);

/** sio_bdev_compare() - Compare @nbytes at @offset with @buf; completes with -EILSEQ on a mismatch. */
int sio_bdev_compare(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
		     uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_compare_blocks() - Block form of sio_bdev_compare(). */
int sio_bdev_compare_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			    uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb,
			    void *cb_arg);
/** sio_bdev_comparev() - iovec form of sio_bdev_compare(). */
int sio_bdev_comparev(struct sio_bdev_desc *desc, struct sio_io_channel *ch, struct iovec *iov,
		      int iovcnt, uint64_t offset, uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_comparev_blocks() - Block form of sio_bdev_comparev(). */
int sio_bdev_comparev_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			     struct iovec *iov, int iovcnt, uint64_t offset_blocks,
			     uint64_t num_blocks, sio_done_cb cb, void *cb_arg);

/** sio_bdev_flush() - Make writes to the range durable (needs a writable descriptor). */
int sio_bdev_flush(struct sio_bdev_desc *desc, struct sio_io_channel *ch, uint64_t offset,
		   uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_flush_blocks() - Block form of sio_bdev_flush(). */
int sio_bdev_flush_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg);
/** sio_bdev_unmap() - Deallocate the range (needs a writable descriptor). */
int sio_bdev_unmap(struct sio_bdev_desc *desc, struct sio_io_channel *ch, uint64_t offset,
		   uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_unmap_blocks() - Block form of sio_bdev_unmap(). */
int sio_bdev_unmap_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb, void *cb_arg);
/** sio_bdev_write_zeroes() - Write zeroes to the range (needs a writable descriptor). */
int sio_bdev_write_zeroes(struct sio_bdev_desc *desc, struct sio_io_channel *ch, uint64_t offset,
			  uint64_t nbytes, sio_done_cb cb, void *cb_arg);
/** sio_bdev_write_zeroes_blocks() - Block form of sio_bdev_write_zeroes(). */
int sio_bdev_write_zeroes_blocks(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				 uint64_t offset_blocks, uint64_t num_blocks, sio_done_cb cb,
				 void *cb_arg);
/**
 * sio_bdev_reset() - Reset the device, as SPDK's spdk_bdev_reset() does:
 * freeze every channel of the bdev, reset through this channel, thaw.
 * Resets of one bdev run one at a time, in submission order; a reset
 * submitted while another runs waits for it (holding one bdev_io of @ch).
 * When its turn comes, every channel of the bdev, on every thread, is frozen
 * (each on its own thread): I/O the core holds there (split I/O waiting for
 * a free bdev_io) completes with -ECANCELED, and until the reset ends every
 * submission on the bdev completes with -ECANCELED (by callback, never inside
 * the submit call). Channels got meanwhile start frozen. Callers waiting in
 * sio_bdev_queue_io_wait() are left alone. Then the module gets the reset on
 * @ch and decides what it means for the I/O it holds (the error bdev ends
 * what its pending injections hold on that channel with -ECANCELED); I/O in
 * flight in the module is not waited for. When the module is done, every
 * channel thaws, then @cb runs.
 * @cb: runs once, on the calling thread, with the module's status; with
 * -ENODEV if the bdev started unregistering while the reset waited for its
 * turn (a reset already at the module when that happens ends with the
 * module's status, as in-flight I/O does). Also -ENOMEM if the freeze could
 * not start.
 * Context: the thread owning @ch; needs a writable descriptor.
 * Return: 0 (queued or started); -EINVAL (NULL argument, @ch of another
 * bdev); -ENOTSUP (the module has no reset); -EBADF (read-only descriptor);
 * -ENODEV (the bdev is being removed); -EPERM (not @ch's thread); -ENOMEM
 * (no free bdev_io in @ch: wait with sio_bdev_queue_io_wait(); or no memory).
 */
int sio_bdev_reset(struct sio_bdev_desc *desc, struct sio_io_channel *ch, sio_done_cb cb,
		   void *cb_arg);

/* ------------------------------------------------------------------------ */
/* I/O: awaitable forms                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Same arguments as the callback forms without (cb, cb_arg).
 * Context: inside a task on the thread owning @ch; parks the task.
 * Return: the completion status, a submission errno (never -ENOMEM for an
 * exhausted bdev_io cache: the task waits for a free bdev_io instead), or
 * -EPERM outside a task.
 */
int sio_bdev_read_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			uint64_t offset, uint64_t nbytes);
int sio_bdev_read_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			       uint64_t offset_blocks, uint64_t num_blocks);
int sio_bdev_readv_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			 struct iovec *iov, int iovcnt, uint64_t offset, uint64_t nbytes);
int sio_bdev_readv_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				struct iovec *iov, int iovcnt, uint64_t offset_blocks,
				uint64_t num_blocks);
int sio_bdev_write_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			 uint64_t offset, uint64_t nbytes);
int sio_bdev_write_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				void *buf, uint64_t offset_blocks, uint64_t num_blocks);
int sio_bdev_writev_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			  struct iovec *iov, int iovcnt, uint64_t offset, uint64_t nbytes);
int sio_bdev_writev_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				 struct iovec *iov, int iovcnt, uint64_t offset_blocks,
				 uint64_t num_blocks);
int sio_bdev_compare_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, void *buf,
			   uint64_t offset, uint64_t nbytes);
int sio_bdev_compare_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				  void *buf, uint64_t offset_blocks, uint64_t num_blocks);
int sio_bdev_comparev_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
			    struct iovec *iov, int iovcnt, uint64_t offset, uint64_t nbytes);
int sio_bdev_comparev_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				   struct iovec *iov, int iovcnt, uint64_t offset_blocks,
				   uint64_t num_blocks);
int sio_bdev_flush_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, uint64_t offset,
			 uint64_t nbytes);
int sio_bdev_flush_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				uint64_t offset_blocks, uint64_t num_blocks);
int sio_bdev_unmap_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch, uint64_t offset,
			 uint64_t nbytes);
int sio_bdev_unmap_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				uint64_t offset_blocks, uint64_t num_blocks);
int sio_bdev_write_zeroes_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				uint64_t offset, uint64_t nbytes);
int sio_bdev_write_zeroes_blocks_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch,
				       uint64_t offset_blocks, uint64_t num_blocks);
int sio_bdev_reset_await(struct sio_bdev_desc *desc, struct sio_io_channel *ch);

/**
 * sio_bdev_get_completion_ticks() - The tick (sio_get_ticks() clock) at which
 * the bdev I/O being handled on the calling thread completed: inside its
 * completion callback, or in the task that awaited it from the return of the
 * sio_bdev_*_await() call until the task next parks, yields or ends. It is
 * the tick the layer's latency statistics used for that I/O, and what an I/O
 * submitted right then takes as its submission tick; asking for it instead
 * of reading the clock saves a clock read (rdtsc: about 11 ns on this
 * project's AMD EPYC machines, a third of a null-bdev I/O). Anywhere else it
 * is sio_get_ticks().
 * Context: any thread.
 * Return: a tick, never 0.
 */
uint64_t sio_bdev_get_completion_ticks(void);

/* ------------------------------------------------------------------------ */
/* Waiting for a free bdev_io                                               */
/* ------------------------------------------------------------------------ */

/** Called when the channel has a free bdev_io again; resubmit from here. */
typedef void (*sio_bdev_io_wait_cb)(void *cb_arg);

/**
 * An entry of a channel's wait queue. Caller-allocated (embed it in your
 * request); fill @bdev, @cb_fn and @cb_arg; it must stay valid until @cb_fn runs.
 */
struct sio_bdev_io_wait_entry {
	struct sio_bdev *bdev;               /**< the bdev of the channel */
	sio_bdev_io_wait_cb cb_fn;           /**< called once, on the channel's thread */
	void *cb_arg;                        /**< passed to @cb_fn */
	struct sio_bdev_io_wait_entry *next; /**< private to the bdev layer */
};

/**
 * sio_bdev_queue_io_wait() - After a submission on @ch returned -ENOMEM,
 * register @entry to be called back (FIFO, one entry per freed bdev_io) when
 * a bdev_io of @ch is free again. Never called from inside this function.
 * Context: the thread owning @ch.
 * Return: 0; -EINVAL for NULL arguments or @entry->bdev not the channel's bdev;
 * -EAGAIN if a submission can get a bdev_io right now (submit again instead).
 */
int sio_bdev_queue_io_wait(struct sio_bdev *bdev, struct sio_io_channel *ch,
			   struct sio_bdev_io_wait_entry *entry);

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

/**
 * I/O statistics (SPDK's bdev_get_iostat field names). Latencies are in ticks
 * of sio_get_ticks_hz(), measured from submission to completion of the
 * caller's I/O (splits count once). Minimums are 0 while no such I/O completed.
 */
struct sio_bdev_io_stat {
	uint64_t bytes_read;
	uint64_t num_read_ops;
	uint64_t bytes_written;
	uint64_t num_write_ops;
	uint64_t bytes_unmapped;
	uint64_t num_unmap_ops;
	uint64_t num_flush_ops;
	uint64_t num_write_zeroes_ops;
	uint64_t bytes_write_zeroes;
	uint64_t num_compare_ops;
	uint64_t num_reset_ops;
	uint64_t num_io_errors;           /**< completions with a non-zero status */
	uint64_t read_latency_ticks;      /**< sum */
	uint64_t max_read_latency_ticks;
	uint64_t min_read_latency_ticks;
	uint64_t write_latency_ticks;
	uint64_t max_write_latency_ticks;
	uint64_t min_write_latency_ticks;
	uint64_t unmap_latency_ticks;
	uint64_t max_unmap_latency_ticks;
	uint64_t min_unmap_latency_ticks;
};

/** What sio_bdev_reset_io_stat() clears (SPDK's bdev_reset_stat_mode). */
enum sio_bdev_reset_stat_mode {
	SIO_BDEV_RESET_STAT_ALL = 0,    /**< every counter */
	SIO_BDEV_RESET_STAT_MAXMIN = 1, /**< only min/max latencies */
	SIO_BDEV_RESET_STAT_NONE = 2,   /**< nothing */
};

/**
 * sio_bdev_channel_get_io_stat() - Copy the statistics of channel @ch.
 * Context: the thread owning @ch.
 * Return: 0; -EINVAL for NULL or a channel that is not a bdev channel.
 */
int sio_bdev_channel_get_io_stat(struct sio_io_channel *ch, struct sio_bdev_io_stat *stat);

/**
 * sio_bdev_get_io_stat() - Sum the statistics of every channel of @bdev (and
 * of channels already destroyed) into @stat, visiting each channel on its thread.
 * @stat: written before @cb runs; must stay valid until then.
 * Context: a sio_thread; @cb runs on it.
 * Return: 0 (started); -EINVAL; -ENOMEM; -ENODEV if @bdev is being removed.
 */
int sio_bdev_get_io_stat(struct sio_bdev *bdev, struct sio_bdev_io_stat *stat, sio_done_cb cb,
			 void *cb_arg);
/** sio_bdev_get_io_stat_await() - Awaitable form of sio_bdev_get_io_stat(). */
int sio_bdev_get_io_stat_await(struct sio_bdev *bdev, struct sio_bdev_io_stat *stat);

/**
 * sio_bdev_reset_io_stat() - Clear statistics of every channel of @bdev per @mode.
 * Context: a sio_thread; @cb runs on it.
 * Return: 0 (started); -EINVAL; -ENOMEM; -ENODEV.
 */
int sio_bdev_reset_io_stat(struct sio_bdev *bdev, enum sio_bdev_reset_stat_mode mode,
			   sio_done_cb cb, void *cb_arg);

/* ------------------------------------------------------------------------ */
/* Latency histograms (SPDK's histogram_data layout; docs/metrics.md)       */
/* ------------------------------------------------------------------------ */

/** Default and largest log2 of buckets per power-of-two range. */
#define SIO_BDEV_HISTOGRAM_GRANULARITY_DEFAULT 7
#define SIO_BDEV_HISTOGRAM_GRANULARITY_MAX 12

/** Options of sio_bdev_histogram_enable(). */
struct sio_bdev_histogram_opts {
	size_t opts_size;                /**< sizeof, set by sio_bdev_histogram_opts_init() */
	/** Each power-of-two range of ticks is split into 1 << granularity buckets (1..12; 7). */
	uint8_t granularity;
	/** Latencies below min_nsec go to the first bucket (0). */
	uint64_t min_nsec;
	/** Latencies from max_nsec up go to the last bucket (UINT64_MAX: none). */
	uint64_t max_nsec;
	/** Only this type is recorded; SIO_BDEV_IO_TYPE_INVALID (default) records all. */
	enum sio_bdev_io_type io_type;
};

/**
 * sio_bdev_histogram_opts_init() - Fill @opts with the defaults (granularity 7,
 * every latency, every type) up to @size bytes and set opts_size.
 * Context: any thread.
 */
void sio_bdev_histogram_opts_init(struct sio_bdev_histogram_opts *opts, size_t size);

/**
 * A merged latency histogram, SPDK's struct spdk_histogram_data: bucket i
 * counts latencies (ticks of @tsc_rate) of range min_range + i / 2^granularity.
 * Range r holds values [2^(r+g-1), 2^(r+g)) for r > 0 (each bucket 2^(r-1)
 * ticks wide), range 0 holds [0, 2^g) one value per bucket.
 */
struct sio_bdev_histogram {
	uint32_t granularity;
	uint32_t min_range;
	uint32_t max_range;
	uint64_t tsc_rate;      /**< sio_get_ticks_hz() */
	uint64_t count;         /**< latencies recorded (the sum of @buckets) */
	uint64_t sum_ticks;     /**< their sum */
	size_t num_buckets;     /**< (max_range - min_range + 1) << granularity */
	uint64_t buckets[];     /**< counts, in SPDK's bucket order */
};

/**
 * sio_bdev_histogram_enable() - Start (or, with @enable false, stop) recording
 * the latency of every completed I/O of @bdev into a histogram kept by each
 * channel (no lock, no allocation per I/O: one test of a pointer per I/O when
 * off). Enabling again restarts from zero with the new @opts. Channels are
 * visited on their threads; @cb runs once all have switched.
 * @opts: NULL for the defaults; copied.
 * Context: a sio_thread; @cb runs on it.
 * Return: 0 (started); -EINVAL (NULL @bdev or @cb, bad @opts: granularity out
 * of 1..12, min_nsec >= max_nsec, bad io_type, opts_size); -ENOMEM; -ENODEV
 * if @bdev is being removed.
 */
int sio_bdev_histogram_enable(struct sio_bdev *bdev, bool enable,
			      const struct sio_bdev_histogram_opts *opts, sio_done_cb cb,
			      void *cb_arg);

/**
 * sio_bdev_histogram_get() - Merge the histograms of every channel of @bdev
 * (and of channels already gone) into a new histogram stored in *@out before
 * @cb runs with status 0; free it with sio_bdev_histogram_free().
 * Context: a sio_thread; @cb runs on it.
 * Return: 0 (started); -EINVAL (NULL argument); -EFAULT when the histogram
 * is not enabled; -ENOMEM; -ENODEV if @bdev is being removed.
 */
int sio_bdev_histogram_get(struct sio_bdev *bdev, struct sio_bdev_histogram **out, sio_done_cb cb,
			   void *cb_arg);

/** sio_bdev_histogram_free() - Free a histogram from sio_bdev_histogram_get() (NULL is a no-op). */
void sio_bdev_histogram_free(struct sio_bdev_histogram *h);

/**
 * sio_bdev_histogram_bucket_end() - Exclusive upper bound, in ticks, of bucket
 * @i of @h (its lower bound is the end of bucket i - 1, or 0). Saturates at
 * UINT64_MAX for the very last range. Context: any thread.
 */
uint64_t sio_bdev_histogram_bucket_end(const struct sio_bdev_histogram *h, size_t i);

/**
 * sio_bdev_histogram_enabled() - Whether @bdev records a histogram now.
 * Context: any thread (a snapshot).
 */
bool sio_bdev_histogram_enabled(struct sio_bdev *bdev);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_BDEV_H */
