/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sio_blob_dev in memory, with a power-cut simulator: after N more write
 * operations it copies what "reached the media" into a crash image (the Nth+1
 * write torn into it), so a test can load a store from exactly the state a
 * power failure at that point would leave. Completions run inside the call
 * (the blobstore must cope with that, as with any device that completes
 * errors early).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blob_internal.h"

#define RAM_DEV_MAGIC 0x52414d44u

struct ram_dev {
	struct sio_blob_dev dev; /* first: the public part */
	uint32_t magic;
	uint8_t *data;           /* what reads see */
	uint8_t *image;          /* the crash image once the fault fired */
	bool fault_armed;
	uint64_t writes_left;
	uint32_t tear_blocks;
	uint64_t writes;         /* write operations seen (atomic) */
	pthread_mutex_t lock;    /* the fault fields */
};

static struct ram_dev *ram(struct sio_blob_dev *d)
{
	struct ram_dev *r = (struct ram_dev *)d;

	return r && r->magic == RAM_DEV_MAGIC ? r : NULL;
}

static struct sio_io_channel *ram_create_channel(struct sio_blob_dev *d)
{
	return sio_io_channel_get(d);
}

static void ram_destroy_channel(struct sio_blob_dev *d, struct sio_io_channel *ch)
{
	sio_io_channel_put(ch);
}

static void ram_unregistered(void *io_device)
{
	struct ram_dev *r = io_device;

	r->magic = 0;
	pthread_mutex_destroy(&r->lock);
	free(r->data);
	free(r->image);
	free(r);
}

static void ram_destroy(struct sio_blob_dev *d)
{
	if (sio_io_device_unregister(d, ram_unregistered) != 0)
		ram_unregistered(d);
}

static bool in_range(struct ram_dev *r, uint64_t lba, uint64_t count)
{
	return count <= r->dev.blockcnt && lba <= r->dev.blockcnt - count;
}

struct copy_ctx {
	const struct iovec *iov;
	int iovcnt;
	const uint8_t *buf;
};

static void apply_copy(uint8_t *base, uint64_t off, uint64_t len, void *arg)
{
	struct copy_ctx *c = arg;

	if (c->buf != NULL) {
		memcpy(base + off, c->buf, len);
		return;
	}
	for (int i = 0; i < c->iovcnt && len > 0; i++) {
		uint64_t n = c->iov[i].iov_len < len ? c->iov[i].iov_len : len;

		memcpy(base + off, c->iov[i].iov_base, n);
		off += n;
		len -= n;
	}
}

static void apply_zero(uint8_t *base, uint64_t off, uint64_t len, void *arg)
{
	memset(base + off, 0, len);
}

static void ram_fault_step(struct ram_dev *r, uint64_t lba, uint64_t count,
			   void (*apply)(uint8_t *base, uint64_t off, uint64_t len, void *ctx),
			   void *ctx);

/*
 * The write path: the image (when armed) must reflect the media *before*
 * the faulting write plus its torn prefix, so the image is taken first and
 * the write applied to it partially.
 */
static void ram_write_common(struct ram_dev *r, uint64_t lba, uint64_t count,
			     void (*apply)(uint8_t *base, uint64_t off, uint64_t len, void *ctx),
			     void *ctx)
{
	uint64_t bl = r->dev.blocklen;

	/*
	 * Several threads may write at once (each to its own blocks): the
	 * counter is atomic, and the power-cut bookkeeping, meant for
	 * single-threaded sweeps, runs under the mutex.
	 */
	__atomic_add_fetch(&r->writes, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&r->fault_armed, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&r->lock);
		ram_fault_step(r, lba, count, apply, ctx);
		pthread_mutex_unlock(&r->lock);
	}
	apply(r->data, lba * bl, count * bl, ctx);
}

static void ram_fault_step(struct ram_dev *r, uint64_t lba, uint64_t count,
			   void (*apply)(uint8_t *base, uint64_t off, uint64_t len, void *ctx),
			   void *ctx)
{
	uint64_t bl = r->dev.blocklen;

	if (r->image == NULL) {
		if (r->writes_left > 0) {
			r->writes_left--;
		} else {
			r->image = malloc(r->dev.blockcnt * bl);
			if (r->image == NULL)
				abort(); /* a test device: nowhere to report it */
			memcpy(r->image, r->data, r->dev.blockcnt * bl);
			if (r->tear_blocks > 0) {
				uint64_t t = r->tear_blocks < count ? r->tear_blocks : count;

				apply(r->image, lba * bl, t * bl, ctx);
			}
		}
	}
}

static int ram_readv(struct sio_blob_dev *d, struct sio_io_channel *ch, struct iovec *iov,
		     int iovcnt, uint64_t lba, uint32_t count, sio_done_cb cb, void *cb_arg)
{
	struct ram_dev *r = ram(d);
	uint64_t off, len;

	if (r == NULL || !in_range(r, lba, count))
		return -EINVAL;
	off = lba * d->blocklen;
	len = (uint64_t)count * d->blocklen;
	for (int i = 0; i < iovcnt && len > 0; i++) {
		uint64_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(iov[i].iov_base, r->data + off, n);
		off += n;
		len -= n;
	}
	cb(cb_arg, 0);
	return 0;
}

static int ram_read(struct sio_blob_dev *d, struct sio_io_channel *ch, void *buf, uint64_t lba,
		    uint32_t count, sio_done_cb cb, void *cb_arg)
{
	struct iovec iov = {buf, (size_t)count * d->blocklen};

	return ram_readv(d, ch, &iov, 1, lba, count, cb, cb_arg);
}

static int ram_writev(struct sio_blob_dev *d, struct sio_io_channel *ch, struct iovec *iov,
		      int iovcnt, uint64_t lba, uint32_t count, sio_done_cb cb, void *cb_arg)
{
	struct ram_dev *r = ram(d);
	struct copy_ctx c = {iov, iovcnt, NULL};

	if (r == NULL || !in_range(r, lba, count))
		return -EINVAL;
	ram_write_common(r, lba, count, apply_copy, &c);
	cb(cb_arg, 0);
	return 0;
}

static int ram_write(struct sio_blob_dev *d, struct sio_io_channel *ch, void *buf, uint64_t lba,
		     uint32_t count, sio_done_cb cb, void *cb_arg)
{
	struct ram_dev *r = ram(d);
	struct copy_ctx c = {NULL, 0, buf};

	if (r == NULL || !in_range(r, lba, count))
		return -EINVAL;
	ram_write_common(r, lba, count, apply_copy, &c);
	cb(cb_arg, 0);
	return 0;
}

static int ram_zero(struct sio_blob_dev *d, struct sio_io_channel *ch, uint64_t lba,
		    uint64_t count, sio_done_cb cb, void *cb_arg)
{
	struct ram_dev *r = ram(d);

	if (r == NULL || !in_range(r, lba, count))
		return -EINVAL;
	ram_write_common(r, lba, count, apply_zero, NULL);
	cb(cb_arg, 0);
	return 0;
}

static int ram_flush(struct sio_blob_dev *d, struct sio_io_channel *ch, sio_done_cb cb,
		     void *cb_arg)
{
	if (ram(d) == NULL)
		return -EINVAL;
	cb(cb_arg, 0);
	return 0;
}

int sio_blob_ram_dev_create(uint32_t blocklen, uint64_t blockcnt, const void *image,
			    struct sio_blob_dev **devp)
{
	struct ram_dev *r;
	int rc;

	if (devp == NULL || blockcnt == 0 || (blocklen != 512 && blocklen != 1024 &&
					      blocklen != 2048 && blocklen != 4096) ||
	    blockcnt > (1ull << 40) / blocklen)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->data = image ? malloc(blocklen * blockcnt) : calloc(blockcnt, blocklen);
	if (r->data == NULL) {
		free(r);
		return -ENOMEM;
	}
	if (image)
		memcpy(r->data, image, blocklen * blockcnt);
	r->magic = RAM_DEV_MAGIC;
	pthread_mutex_init(&r->lock, NULL);
	r->dev.blocklen = blocklen;
	r->dev.blockcnt = blockcnt;
	r->dev.create_channel = ram_create_channel;
	r->dev.destroy_channel = ram_destroy_channel;
	r->dev.destroy = ram_destroy;
	r->dev.read = ram_read;
	r->dev.write = ram_write;
	r->dev.readv = ram_readv;
	r->dev.writev = ram_writev;
	r->dev.unmap = ram_zero;
	r->dev.write_zeroes = ram_zero;
	r->dev.flush = ram_flush;
	rc = sio_io_device_register(r, NULL, NULL, 0, "blob_ram_dev");
	if (rc != 0) {
		free(r->data);
		free(r);
		return rc;
	}
	*devp = &r->dev;
	return 0;
}

int sio_blob_ram_dev_set_fault(struct sio_blob_dev *dev, uint64_t writes_left,
			       uint32_t tear_blocks)
{
	struct ram_dev *r = ram(dev);

	if (r == NULL)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	free(r->image);
	r->image = NULL;
	r->writes_left = writes_left;
	r->tear_blocks = tear_blocks;
	pthread_mutex_unlock(&r->lock);
	__atomic_store_n(&r->fault_armed, true, __ATOMIC_RELEASE);
	return 0;
}

const void *sio_blob_ram_dev_image(struct sio_blob_dev *dev)
{
	struct ram_dev *r = ram(dev);

	if (r == NULL)
		return NULL;
	return r->image ? r->image : r->data;
}

uint64_t sio_blob_ram_dev_writes(struct sio_blob_dev *dev)
{
	struct ram_dev *r = ram(dev);

	return r ? __atomic_load_n(&r->writes, __ATOMIC_RELAXED) : 0;
}
