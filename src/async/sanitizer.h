/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telling the sanitizers and Valgrind about stack switches. Without these,
 * AddressSanitizer reports false stack-buffer errors after a switch and
 * ThreadSanitizer loses track of which stack it is on; Valgrind warns about
 * "client switching stacks". Every hook compiles to nothing in plain builds.
 */
#ifndef SIO_ASYNC_SANITIZER_H
#define SIO_ASYNC_SANITIZER_H

#include <stddef.h>

#include "sio_config.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASYNC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASYNC_ASAN 1
#endif
#endif
#ifndef ASYNC_ASAN
#define ASYNC_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define ASYNC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ASYNC_TSAN 1
#endif
#endif
#ifndef ASYNC_TSAN
#define ASYNC_TSAN 0
#endif

#if ASYNC_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if ASYNC_TSAN
#include <sanitizer/tsan_interface.h>
#endif
#ifdef SIO_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#endif /* SIO_ASYNC_SANITIZER_H */
