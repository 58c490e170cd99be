/* SPDX-License-Identifier: BSD-3-Clause */
/* iovec helpers for modules and for the bounce path. */
#include <string.h>

#include "bdev/bdev_internal.h"

size_t sio_iovs_from_buf(struct iovec *iovs, int iovcnt, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t n = iovs[i].iov_len < len - done ? iovs[i].iov_len : len - done;

		memcpy(iovs[i].iov_base, src + done, n);
		done += n;
	}
	return done;
}

size_t sio_iovs_to_buf(const struct iovec *iovs, int iovcnt, void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t n = iovs[i].iov_len < len - done ? iovs[i].iov_len : len - done;

		memcpy(dst + done, iovs[i].iov_base, n);
		done += n;
	}
	return done;
}

size_t sio_iovs_memset(struct iovec *iovs, int iovcnt, int c, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t n = iovs[i].iov_len < len - done ? iovs[i].iov_len : len - done;

		memset(iovs[i].iov_base, c, n);
		done += n;
	}
	return done;
}

int sio_iovs_cmp_buf(const struct iovec *iovs, int iovcnt, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t n = iovs[i].iov_len < len - done ? iovs[i].iov_len : len - done;
		int rc = memcmp(iovs[i].iov_base, p + done, n);

		if (rc != 0)
			return rc;
		done += n;
	}
	return done == len ? 0 : -1;
}
