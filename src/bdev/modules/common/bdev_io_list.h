/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev_io_list.h
 * A FIFO of bdev_io linked through module_link, for modules that hold I/O
 * until a poller finishes it (null and malloc channels, the waiting and done
 * lists of aio and uring). No allocation: the link lives in the bdev_io.
 */
#ifndef SIO_BDEV_IO_LIST_H
#define SIO_BDEV_IO_LIST_H

#include <stddef.h>

#include "spdk_io/bdev_module.h"

struct bdev_io_list {
	struct sio_bdev_io *head, *tail;
};

static inline void bdev_io_list_push(struct bdev_io_list *l, struct sio_bdev_io *io)
{
	io->module_link = NULL;
	if (l->tail != NULL)
		l->tail->module_link = io;
	else
		l->head = io;
	l->tail = io;
}

static inline struct sio_bdev_io *bdev_io_list_pop(struct bdev_io_list *l)
{
	struct sio_bdev_io *io = l->head;

	if (io != NULL) {
		l->head = io->module_link;
		if (l->head == NULL)
			l->tail = NULL;
	}
	return io;
}

/**
 * bdev_io_list_complete() - Complete what is on @l now, in order, each with
 * the status @status returns for it. The batch is detached first: a
 * completion callback that submits again appends to @l for the next call, so
 * a submit loop cannot keep this one going forever.
 * Return: how many were completed.
 */
static inline int bdev_io_list_complete(struct bdev_io_list *l,
					int (*status)(struct sio_bdev_io *io))
{
	struct bdev_io_list batch = *l;
	struct sio_bdev_io *io;
	int n = 0;

	if (batch.head == NULL)
		return 0;
	l->head = l->tail = NULL;
	while ((io = bdev_io_list_pop(&batch)) != NULL) {
		sio_bdev_io_complete(io, status(io));
		n++;
	}
	return n;
}

#endif /* SIO_BDEV_IO_LIST_H */
