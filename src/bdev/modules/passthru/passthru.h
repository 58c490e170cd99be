/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file passthru.h
 * The passthru bdev: a virtual bdev that claims a base bdev and forwards
 * every I/O to it unchanged. It does nothing useful on purpose: it is the
 * template for writing a module (docs/writing-a-bdev-module.md walks through it).
 */
#ifndef SIO_BDEV_PASSTHRU_H
#define SIO_BDEV_PASSTHRU_H

#include "spdk_io/bdev_module.h"

/**
 * sio_bdev_passthru_create() - Create passthru bdev @name over @base_name.
 * @uuid: text UUID or NULL for a random one.
 * Context: a sio_thread (the app thread for RPC); the base descriptor belongs to it.
 * Return: 0 and *@out (may be NULL); -EINVAL bad name/uuid; -ENODEV no such
 * base; -EPERM base already claimed; -EEXIST name taken; -ENOMEM.
 */
int sio_bdev_passthru_create(const char *name, const char *base_name, const char *uuid,
			     struct sio_bdev **out);

/**
 * sio_bdev_passthru_delete() - Unregister passthru bdev @name (releasing its
 * base); @cb(@cb_arg, rc) once gone.
 * Context: the thread that created it. Return: 0 (started); -ENODEV; -EBUSY.
 */
int sio_bdev_passthru_delete(const char *name, sio_done_cb cb, void *cb_arg);

extern struct sio_bdev_module sio_bdev_module_passthru;

#endif
