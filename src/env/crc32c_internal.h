/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CRC32C implementations behind sio_crc32c_update(), each callable by
 * name: for tests/env/test_crc32c.c (every method against the table
 * reference) and bench/bench_nvme_tcp.c (the measurement that sets AUTO's
 * crossover). Not part of the public API: the library itself only calls
 * sio_crc32c*() (include/spdk_io/env.h).
 */
#ifndef SIO_ENV_CRC32C_INTERNAL_H
#define SIO_ENV_CRC32C_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The CRC32C implementations the library carries. */
enum env_crc32c_method {
	ENV_CRC32C_TABLE,  /**< byte-at-a-time table: the reference, any CPU */
	ENV_CRC32C_SLICE8, /**< slicing-by-8 tables: the portable fallback, any CPU */
	ENV_CRC32C_SSE42,  /**< the SSE4.2 crc32 instruction, 8 bytes a step (x86-64 with SSE4.2) */
	ENV_CRC32C_ISAL,   /**< isa-l's crc32_iscsi (when built with libisal) */
	ENV_CRC32C_AUTO,   /**< what sio_crc32c_update() uses: chosen by measurement, docs/env.md */
	ENV_CRC32C_METHOD_COUNT,
};

/**
 * env_crc32c_method_update() - sio_crc32c_update() with a chosen implementation.
 * @method: enum env_crc32c_method.
 * @crc: the raw register (SIO_CRC32C_INIT to start).
 * @buf: bytes; may be NULL when @len is 0.
 * @len: byte count.
 *
 * Context: any thread.
 * Return: the updated register; @crc unchanged (and nothing read) if
 * @method is not available here (see env_crc32c_method_available()).
 */
uint32_t env_crc32c_method_update(enum env_crc32c_method method, uint32_t crc,
				  const void *buf, size_t len);

/**
 * env_crc32c_method_available() - Whether @method runs on this build and CPU.
 * @method: enum env_crc32c_method.
 *
 * Context: any thread. Return: true if it does; false for an unknown value.
 */
bool env_crc32c_method_available(enum env_crc32c_method method);

/**
 * env_crc32c_method_name() - The method's name for reports.
 * @method: enum env_crc32c_method.
 *
 * Context: any thread.
 * Return: "table", "slice8", "sse4.2", "isa-l", "auto"; "?" otherwise (static strings).
 */
const char *env_crc32c_method_name(enum env_crc32c_method method);

#endif /* SIO_ENV_CRC32C_INTERNAL_H */
