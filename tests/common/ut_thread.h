/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end of a test's own sio_thread, shared by the tests of every layer that
 * run on one (header-only; no cmocka needed).
 */
#ifndef SIO_UT_THREAD_H
#define SIO_UT_THREAD_H

#include "spdk_io/thread.h"

/*
 * ut_thread_exit() - Ask @thread to exit and poll it until it has, for at
 * most 1000 polls: the async layer may keep pollers there, which process exit
 * then takes care of.
 */
static inline void ut_thread_exit(struct sio_thread *thread)
{
	sio_thread_exit(thread);
	for (int i = 0; i < 1000 && !sio_thread_is_exited(thread); i++)
		sio_thread_poll(thread, 0);
}

#endif /* SIO_UT_THREAD_H */
