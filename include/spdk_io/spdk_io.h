/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file spdk_io.h
 * Umbrella header: include this to get every public layer of spdk-io.
 */
#ifndef SPDK_IO_SPDK_IO_H
#define SPDK_IO_SPDK_IO_H

#include "spdk_io/log.h"
#include "spdk_io/env.h"
#include "spdk_io/trace.h"
#include "spdk_io/thread.h"
#include "spdk_io/async.h"
#include "spdk_io/rpc.h"
#include "spdk_io/app.h"
#include "spdk_io/sock.h"
#include "spdk_io/nvme_spec.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/keyring.h"
#include "spdk_io/nvmf.h"

/** sio_version_string() - "spdk-io vX.Y.Z". Context: any thread. */
const char *sio_version_string(void);

#endif /* SPDK_IO_SPDK_IO_H */
