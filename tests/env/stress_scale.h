/* SPDX-License-Identifier: BSD-3-Clause */
/* How much to shrink stress-test item counts: ThreadSanitizer slows atomics
 * by two orders of magnitude, and the tsan suite must stay within CI time. */
#ifndef SIO_TEST_STRESS_SCALE_H
#define SIO_TEST_STRESS_SCALE_H

#if defined(__SANITIZE_THREAD__)
#define STRESS_DIVISOR 40
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_DIVISOR 40
#endif
#endif
#ifndef STRESS_DIVISOR
#define STRESS_DIVISOR 1
#endif

#endif
