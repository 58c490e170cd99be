/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backing file of the aio and uring bdevs: open, probe, size, deallocate.
 */
#include "bdev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#define BDEV_FILE_MIN_BLOCK 512u
#define BDEV_FILE_MAX_BLOCK 65536u
/* Direct I/O that needs more than this alignment is not worth supporting. */
#define BDEV_FILE_MAX_PROBE 4096u

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int file_size(int fd, bool is_blockdev, uint64_t *size)
{
	struct stat st;

	if (is_blockdev) {
		uint64_t bytes;

		if (ioctl(fd, BLKGETSIZE64, &bytes) != 0)
			return -errno;
		*size = bytes;
		return 0;
	}
	if (fstat(fd, &st) != 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

/*
 * The kernel's own answer to "what alignment does direct I/O need here"
 * (statx STATX_DIOALIGN, Linux 6.1+). Returns false when the kernel does not
 * say, so the caller probes instead. *offset_align 0 means "no direct I/O".
 */
static bool dio_align_from_statx(int fd, uint32_t *offset_align, uint32_t *mem_align)
{
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) != 0)
		return false;
	if (!(stx.stx_mask & STATX_DIOALIGN))
		return false;
	*offset_align = stx.stx_dio_offset_align;
	*mem_align = stx.stx_dio_mem_align;
	return true;
#else
	(void)fd;
	(void)offset_align;
	(void)mem_align;
	return false;
#endif
}

/*
 * Smallest power-of-two length (512..4096) that an O_DIRECT read at offset 0
 * accepts; 0 when none is. Reading is harmless, and a file shorter than the
 * probe still answers because the alignment check comes first for data that
 * exists.
 */
static uint32_t dio_probe(int fd)
{
	void *buf;
	uint32_t len, found = 0;

	if (posix_memalign(&buf, BDEV_FILE_MAX_PROBE, BDEV_FILE_MAX_PROBE) != 0)
		return 0;
	for (len = BDEV_FILE_MIN_BLOCK; len <= BDEV_FILE_MAX_PROBE; len <<= 1) {
		if (pread(fd, buf, len, 0) >= 0) {
			found = len;
			break;
		}
		if (errno != EINVAL)
			break;
	}
	free(buf);
	return found;
}

static bool read_sysfs_u64_positive(const struct stat *st, const char *attr)
{
	char path[128], line[64];
	FILE *fp;
	bool positive = false;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s", major(st->st_rdev),
		 minor(st->st_rdev), attr);
	fp = fopen(path, "r");
	if (fp == NULL)
		return false;
	if (fgets(line, sizeof(line), fp) != NULL)
		positive = strtoull(line, NULL, 10) > 0;
	fclose(fp);
	return positive;
}

/*
 * Which fallocate modes work. Probed just past the end of the file, where a
 * punch is a no-op and a zero-range only allocates blocks we punch again, so
 * the file's data is never touched.
 */
static void probe_deallocate(struct bdev_file *f, const struct stat *st)
{
	off_t past_end;

	f->can_unmap = false;
	f->can_write_zeroes = false;
	f->zero_by_punch = false;
	if (f->readonly)
		return;
	if (f->is_blockdev) {
		/* ZERO_RANGE on a block device falls back to writing zeroes. */
		f->can_write_zeroes = true;
		f->can_unmap = read_sysfs_u64_positive(st, "discard_max_bytes");
		return;
	}
	past_end = (off_t)((f->size + BDEV_FILE_MAX_BLOCK) & ~(uint64_t)(BDEV_FILE_MAX_BLOCK - 1));
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, past_end,
		      f->block_size) == 0)
		f->can_unmap = true;
	if (fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, past_end,
		      f->block_size) == 0) {
		f->can_write_zeroes = true;
		if (f->can_unmap)
			(void)fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, past_end,
					f->block_size);
	} else if (f->can_unmap) {
		/* A punched hole in a regular file reads back as zeroes (tmpfs has no ZERO_RANGE). */
		f->can_write_zeroes = true;
		f->zero_by_punch = true;
	}
}

/*
 * open(2) plus the checks every path needs. An open(2) failure returns its
 * errno with @err unset, so the caller can tell "O_DIRECT refused" (EINVAL)
 * from a wrong file type, which sets @err and *@explained.
 */
/*
 * Whether the file has a non-blocking read path (RWF_NOWAIT). Without one,
 * io_uring hands every I/O to its kernel workers, and AIO's nowait cannot work.
 */
static bool nowait_probe(int fd, uint32_t block_size)
{
	struct iovec iov;
	void *buf;
	bool ok;

	if (posix_memalign(&buf, BDEV_FILE_MAX_PROBE, block_size) != 0)
		return false;
	iov.iov_base = buf;
	iov.iov_len = block_size;
	ok = preadv2(fd, &iov, 1, 0, RWF_NOWAIT) >= 0 || errno != EOPNOTSUPP;
	free(buf);
	return ok;
}

static int open_checked(const char *path, int oflags, struct stat *st, bool *explained,
			char *err, size_t errlen)
{
	int fd = open(path, oflags | O_CLOEXEC);
	int rc;

	*explained = false;
	if (fd < 0)
		return -errno;
	*explained = true;
	if (fstat(fd, st) != 0) {
		rc = -errno;
		close(fd);
		set_err(err, errlen, "%s: fstat failed: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode)) {
		close(fd);
		set_err(err, errlen, "%s is neither a regular file nor a block device", path);
		return -EINVAL;
	}
	return fd;
}

/* Direct-I/O geometry of an O_DIRECT descriptor; false when direct I/O does not work. */
static bool dio_geometry(int fd, bool is_blockdev, uint32_t *min_bs, uint32_t *mem_align)
{
	uint32_t off_align = 0, m_align = 0;
	int lbs;

	if (is_blockdev && ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > 0) {
		*min_bs = (uint32_t)lbs;
		*mem_align = (uint32_t)lbs;
		if (dio_align_from_statx(fd, &off_align, &m_align) && m_align != 0)
			*mem_align = m_align;
		return true;
	}
	if (dio_align_from_statx(fd, &off_align, &m_align)) {
		if (off_align == 0)
			return false;
		*min_bs = off_align < BDEV_FILE_MIN_BLOCK ? BDEV_FILE_MIN_BLOCK : off_align;
		*mem_align = m_align != 0 ? m_align : off_align;
		return is_pow2(*min_bs) && *min_bs <= BDEV_FILE_MAX_PROBE;
	}
	*min_bs = dio_probe(fd);
	/* Probed reads used a page-aligned buffer: ask for the block size to stay safe. */
	*mem_align = *min_bs;
	return *min_bs != 0;
}

int bdev_file_open(struct bdev_file *f, const char *path, unsigned int flags, uint32_t block_size,
		   char *err, size_t errlen)
{
	bool readonly = flags & BDEV_FILE_READONLY;
	int oflags = readonly ? O_RDONLY : O_RDWR;
	struct bdev_file nf = {.fd = -1, .readonly = readonly};
	struct stat st;
	uint32_t min_bs = BDEV_FILE_MIN_BLOCK, mem_align = 1;
	uint64_t size = 0; /* set by file_size(); the init quiets -O3 maybe-uninitialized */
	bool explained;
	int fd = -1, rc;

	if (f == NULL || path == NULL || path[0] == '\0') {
		set_err(err, errlen, "no file name given");
		return -EINVAL;
	}
	f->fd = -1;
	if (block_size != 0 && (!is_pow2(block_size) || block_size < BDEV_FILE_MIN_BLOCK ||
				block_size > BDEV_FILE_MAX_BLOCK)) {
		set_err(err, errlen, "block size %u is not a power of two between %u and %u",
			block_size, BDEV_FILE_MIN_BLOCK, BDEV_FILE_MAX_BLOCK);
		return -EINVAL;
	}

	if (!(flags & BDEV_FILE_NO_DIRECT)) {
		fd = open_checked(path, oflags | O_DIRECT, &st, &explained, err, errlen);
		if (fd >= 0) {
			nf.is_blockdev = S_ISBLK(st.st_mode);
			if (dio_geometry(fd, nf.is_blockdev, &min_bs, &mem_align)) {
				nf.direct = true;
			} else {
				close(fd);
				snprintf(nf.notice, sizeof(nf.notice),
					 "%s: direct I/O refused by the file system, using buffered I/O",
					 path);
			}
		} else if (fd == -EINVAL && !explained) {
			snprintf(nf.notice, sizeof(nf.notice),
				 "%s: O_DIRECT not supported here, using buffered I/O", path);
		} else {
			if (!explained)
				set_err(err, errlen, "cannot open %s: %s", path, strerror(-fd));
			return fd;
		}
	}
	if (!nf.direct) {
		min_bs = BDEV_FILE_MIN_BLOCK;
		mem_align = 1;
		fd = open_checked(path, oflags, &st, &explained, err, errlen);
		if (fd < 0) {
			if (!explained)
				set_err(err, errlen, "cannot open %s: %s", path, strerror(-fd));
			return fd;
		}
		nf.is_blockdev = S_ISBLK(st.st_mode);
		if (nf.is_blockdev) {
			int lbs;

			if (ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > 0)
				min_bs = (uint32_t)lbs;
		}
	}
	nf.fd = fd;

	if (block_size == 0) {
		block_size = min_bs;
	} else if (block_size % min_bs != 0) {
		set_err(err, errlen, "block size %u is smaller than or not a multiple of the %u bytes %s requires",
			block_size, min_bs, path);
		rc = -EINVAL;
		goto fail;
	}
	nf.block_size = block_size;
	nf.min_block_size = min_bs;
	nf.buf_align = mem_align;

	rc = file_size(fd, nf.is_blockdev, &size);
	if (rc != 0) {
		set_err(err, errlen, "%s: cannot read its size: %s", path, strerror(-rc));
		goto fail;
	}
	nf.size = size - size % block_size;
	if (nf.size == 0) {
		set_err(err, errlen, "%s is smaller than one %u-byte block (size %llu)", path,
			block_size, (unsigned long long)size);
		rc = -EINVAL;
		goto fail;
	}
	probe_deallocate(&nf, &st);
	nf.nowait = nowait_probe(fd, block_size);
	{
		struct statfs sfs;

		/* tmpfs 0x01021994, ramfs 0x858458f6 (linux/magic.h) */
		nf.memfs = !nf.is_blockdev && fstatfs(fd, &sfs) == 0 &&
			   ((unsigned long)sfs.f_type == 0x01021994ul ||
			    (unsigned long)sfs.f_type == 0x858458f6ul);
	}
	*f = nf;
	return 0;

fail:
	close(fd);
	return rc;
}

void bdev_file_close(struct bdev_file *f)
{
	if (f == NULL || f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
}

int bdev_file_get_size(const struct bdev_file *f, uint64_t *size)
{
	uint64_t bytes;
	int rc;

	if (f == NULL || f->fd < 0 || size == NULL)
		return -EINVAL;
	rc = file_size(f->fd, f->is_blockdev, &bytes);
	if (rc != 0)
		return rc;
	*size = bytes - bytes % f->block_size;
	return 0;
}

int bdev_file_fallocate_mode(const struct bdev_file *f, bool zeroes)
{
	if (zeroes) {
		if (!f->can_write_zeroes)
			return -EOPNOTSUPP;
		if (f->zero_by_punch)
			return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	}
	/* Discard on a block device is an ioctl, not a fallocate mode. */
	if (!f->can_unmap || f->is_blockdev)
		return -EOPNOTSUPP;
	return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
}

int bdev_file_deallocate(const struct bdev_file *f, bool zeroes, uint64_t offset, uint64_t len)
{
	int mode;

	if (!zeroes && f->is_blockdev && f->can_unmap) {
		uint64_t range[2] = {offset, len};

		return ioctl(f->fd, BLKDISCARD, range) == 0 ? 0 : -errno;
	}
	mode = bdev_file_fallocate_mode(f, zeroes);
	if (mode < 0)
		return mode;
	return fallocate(f->fd, mode, (off_t)offset, (off_t)len) == 0 ? 0 : -errno;
}

int bdev_file_rw_sync(const struct bdev_file *f, bool write, const struct iovec *iov, int iovcnt,
		      uint64_t offset, uint64_t len)
{
	uint64_t done;
	ssize_t n;
	int i;

	n = write ? pwritev2(f->fd, iov, iovcnt, (off_t)offset, 0) :
		    preadv2(f->fd, iov, iovcnt, (off_t)offset, 0);
	if (n < 0)
		return -errno;
	if ((uint64_t)n == len)
		return 0;
	/* Short transfer (rare): finish vector by vector from where it stopped. */
	done = (uint64_t)n;
	for (i = 0; i < iovcnt && done < len; i++) {
		uint64_t start = 0, pos;

		for (int j = 0; j < i; j++)
			start += iov[j].iov_len;
		if (done >= start + iov[i].iov_len)
			continue;
		pos = done - start;
		while (pos < iov[i].iov_len) {
			char *p = (char *)iov[i].iov_base + pos;
			size_t want = iov[i].iov_len - pos;

			n = write ? pwrite(f->fd, p, want, (off_t)(offset + done)) :
				    pread(f->fd, p, want, (off_t)(offset + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO;
			pos += (uint64_t)n;
			done += (uint64_t)n;
		}
	}
	return done == len ? 0 : -EIO;
}
