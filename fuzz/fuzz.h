/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every harness defines. Built twice: with libFuzzer's main
 * (-Dfuzz=true, clang) and with replay_main.c, which feeds it the files of
 * its corpus so the normal build checks every saved input on each test run.
 */
#ifndef SIO_FUZZ_H
#define SIO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A property violation: print and abort, so libFuzzer saves the input and the
 * replay test fails. Kept out of assert() so release builds check it too.
 */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

#endif
