/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_thread_get_current() inlined, for the layers of the library above the
 * thread layer whose hot paths check the calling thread on every I/O (the
 * bdev submission check, an awaited I/O's completion). Not installed.
 *
 * initial-exec: one %fs-relative load, also from the shared library (the
 * default model there calls __tls_get_addr); the variable is one pointer.
 * Not exported: the version script keeps everything outside sio_* local.
 */
#ifndef SIO_THREAD_CURRENT_H
#define SIO_THREAD_CURRENT_H

#include "spdk_io/thread.h"

/* The sio_thread running on this OS thread, NULL outside any. */
extern __thread __attribute__((tls_model("initial-exec"))) struct sio_thread *g_thread_current;

static inline struct sio_thread *thread_current(void)
{
	return g_thread_current;
}

#endif /* SIO_THREAD_CURRENT_H */
