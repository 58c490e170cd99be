/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file passthru.h
 * The passthru bdev: a virtual bdev that claims a base bdev and forwards
 * every I/O to it unchanged. It does nothing useful on purpose: it is the
 * template for writing a module (docs/writing-a-bdev-module.md walks through it).
 *
 * The create/delete API is public (spdk_io/bdev_modules.h); this header adds
 * what only the module, its RPC glue and the module table see.
 */
#ifndef SIO_BDEV_PASSTHRU_H
#define SIO_BDEV_PASSTHRU_H

#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"

extern struct sio_bdev_module sio_bdev_module_passthru;

#endif
