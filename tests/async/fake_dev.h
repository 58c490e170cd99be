/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake device for async tests and benchmarks: operations complete, in
 * submission order, on the next run of the device's poller. The callback
 * form follows the library convention (cb, cb_arg last; 0 = started), so
 * SIO_AWAIT_CALL(fake_dev_op, dev, rc) is its awaitable form.
 */
#ifndef SIO_TEST_FAKE_DEV_H
#define SIO_TEST_FAKE_DEV_H

#include <errno.h>
#include <stdint.h>

#include "spdk_io/async.h"
#include "spdk_io/thread.h"

#define FAKE_DEV_DEPTH 32768

struct fake_op {
	sio_done_cb cb;
	void *cb_arg;
	int rc;
};

struct fake_dev {
	struct fake_op ops[FAKE_DEV_DEPTH];
	uint32_t head, tail;  /* ring indices, head == tail: empty */
	uint64_t completed;
	struct sio_poller *poller;
};

/* Callback form: complete with @rc on the next poll. -EAGAIN when full. */
static inline int fake_dev_op(struct fake_dev *dev, int rc, sio_done_cb cb, void *cb_arg)
{
	if (dev->tail - dev->head == FAKE_DEV_DEPTH)
		return -EAGAIN;
	dev->ops[dev->tail % FAKE_DEV_DEPTH] = (struct fake_op){ cb, cb_arg, rc };
	dev->tail++;
	return 0;
}

/* Awaitable form, from the one implementation above. */
static inline int fake_dev_op_await(struct fake_dev *dev, int rc)
{
	return SIO_AWAIT_CALL(fake_dev_op, dev, rc);
}

static inline int fake_dev_poll(void *ctx)
{
	struct fake_dev *dev = ctx;
	uint32_t end = dev->tail; /* only what was queued before this poll */

	if (dev->head == end)
		return SIO_POLLER_IDLE;
	while (dev->head != end) {
		struct fake_op op = dev->ops[dev->head % FAKE_DEV_DEPTH];

		dev->head++;
		dev->completed++;
		op.cb(op.cb_arg, op.rc);
	}
	return SIO_POLLER_BUSY;
}

/* Register the device's poller on the current thread. */
static inline int fake_dev_start(struct fake_dev *dev)
{
	dev->head = dev->tail = 0;
	dev->completed = 0;
	dev->poller = sio_poller_register(fake_dev_poll, dev, 0);
	return dev->poller ? 0 : -errno;
}

static inline void fake_dev_stop(struct fake_dev *dev)
{
	sio_poller_unregister(&dev->poller);
}

#endif /* SIO_TEST_FAKE_DEV_H */
