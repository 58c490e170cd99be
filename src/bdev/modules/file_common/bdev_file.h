/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev_file.h
 * A file or block device as the backing store of a bdev: the part the aio and
 * uring modules share. Opening (O_DIRECT when the file system allows it),
 * logical block size and buffer alignment detection, size, and the
 * fallocate-based unmap / write-zeroes support probe.
 *
 * Nothing here depends on the bdev core or the env layer, so the engines can be
 * unit-tested on their own.
 */
#ifndef SIO_BDEV_FILE_H
#define SIO_BDEV_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Flags for bdev_file_open(). */
enum bdev_file_flags {
	BDEV_FILE_READONLY = 1u << 0, /**< open O_RDONLY; writes are refused by the module */
	BDEV_FILE_NO_DIRECT = 1u << 1, /**< never try O_DIRECT (tests, or when the page cache is wanted) */
};

/** An open backing file. Plain data: copy freely, close once. */
struct bdev_file {
	int fd;                  /**< the open descriptor, -1 when closed */
	bool direct;             /**< opened O_DIRECT and direct I/O was accepted */
	bool readonly;           /**< opened O_RDONLY */
	bool is_blockdev;        /**< a block device rather than a regular file */
	bool can_unmap;          /**< fallocate(PUNCH_HOLE) works: unmap is supported */
	bool can_write_zeroes;   /**< zeroing a range works (ZERO_RANGE, or PUNCH_HOLE on files) */
	bool zero_by_punch;      /**< write_zeroes must use PUNCH_HOLE (ZERO_RANGE unsupported) */
	bool nowait;             /**< reads take RWF_NOWAIT (the file has a non-blocking path) */
	bool memfs;              /**< on tmpfs or ramfs: I/O is a page-cache copy, no device behind */
	uint32_t block_size;     /**< logical block size the bdev exposes */
	uint32_t min_block_size; /**< the smallest block size the file accepts (1 << 9 when buffered) */
	uint32_t buf_align;      /**< buffer address alignment the kernel requires (1 when buffered) */
	uint64_t size;           /**< usable size in bytes, a multiple of block_size */
	char notice[160];        /**< non-empty when something worth a log line happened (fallback) */
};

/**
 * bdev_file_open() - Open @path as the backing store of a bdev.
 * @f: filled on success; untouched (fd -1) on failure.
 * @path: a regular file or a block device.
 * @flags: enum bdev_file_flags.
 * @block_size: the block size to expose, 0 to detect it. A given size must be a
 *	power of two between 512 and 65536 and, with O_DIRECT, a multiple of the
 *	size the device requires.
 * @err: receives a one-line reason on failure (may be NULL).
 * @errlen: size of @err.
 *
 * O_DIRECT is tried first; when the file system refuses it (open fails with
 * EINVAL, or no block size up to 4 KiB is accepted by a probe read) the file is
 * reopened buffered and @f->notice says so.
 *
 * Context: any thread; blocking (open, stat, a probe read).
 * Return: 0; -EINVAL for a bad block size, an empty file or a path that is
 * neither a regular file nor a block device; -ENOENT, -EACCES, -EROFS and the
 * other open(2) errors as they come.
 */
int bdev_file_open(struct bdev_file *f, const char *path, unsigned int flags, uint32_t block_size,
		   char *err, size_t errlen);

/**
 * bdev_file_close() - Close @f (idempotent; fd becomes -1).
 * Context: any thread, once no I/O is in flight on the descriptor.
 */
void bdev_file_close(struct bdev_file *f);

/**
 * bdev_file_get_size() - Current usable size of @f in bytes (a multiple of its
 * block size), for rescan after the file or device has grown.
 * Context: any thread.
 * Return: 0 and *@size; the negative errno of fstat/ioctl.
 */
int bdev_file_get_size(const struct bdev_file *f, uint64_t *size);

/**
 * bdev_file_fallocate_mode() - The fallocate(2) mode implementing an unmap
 * (@zeroes false) or a write-zeroes (@zeroes true) on @f.
 * Return: the mode; -EOPNOTSUPP when @f supports neither.
 */
int bdev_file_fallocate_mode(const struct bdev_file *f, bool zeroes);

/**
 * bdev_file_deallocate() - Synchronous unmap or write-zeroes of [@offset, @offset + @len).
 * Context: any thread; blocking (one fallocate(2) call).
 * Return: 0; -EOPNOTSUPP when @f cannot do it; the errno of fallocate(2).
 */
int bdev_file_deallocate(const struct bdev_file *f, bool zeroes, uint64_t offset, uint64_t len);

struct iovec;

/**
 * bdev_file_rw_sync() - Read (@write false) or write exactly @len bytes at
 * @offset with @iovcnt vectors, synchronously (preadv2/pwritev2, finishing a
 * short transfer piece by piece).
 * Context: any thread; blocking.
 * Return: 0; -EIO when the file ends first; the errno of the call.
 */
int bdev_file_rw_sync(const struct bdev_file *f, bool write, const struct iovec *iov, int iovcnt,
		      uint64_t offset, uint64_t len);

#endif /* SIO_BDEV_FILE_H */
