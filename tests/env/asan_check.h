/* SPDX-License-Identifier: BSD-3-Clause */
/* Under AddressSanitizer, IS_POISONED(p) asks whether @p is poisoned; tests
 * that use it skip themselves in other builds. */
#ifndef SIO_TEST_ASAN_CHECK_H
#define SIO_TEST_ASAN_CHECK_H

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#define IS_POISONED(p) (__asan_address_is_poisoned((const void *)(p)) != 0)
#endif

#endif
