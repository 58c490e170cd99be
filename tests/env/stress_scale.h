/* SPDX-License-Identifier: BSD-3-Clause */
/* How much to shrink stress-test item counts under sanitizers, so the
 * sanitizer runs stay within CI time on a 2-core machine: ThreadSanitizer
 * slows atomics by two orders of magnitude, AddressSanitizer everything by
 * about three times. */
#ifndef SIO_TEST_STRESS_SCALE_H
#define SIO_TEST_STRESS_SCALE_H

#if defined(__SANITIZE_THREAD__)
#define STRESS_DIVISOR 40
#elif defined(__SANITIZE_ADDRESS__)
#define STRESS_DIVISOR 4
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_DIVISOR 40
#elif __has_feature(address_sanitizer)
#define STRESS_DIVISOR 4
#endif
#endif
#ifndef STRESS_DIVISOR
#define STRESS_DIVISOR 1
#endif

#endif
