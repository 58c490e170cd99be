/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file module_opts.h
 * The opts_size rule of the public module options (include/spdk_io/bdev_modules.h),
 * in one place: _opts_init() writes only the bytes the caller's struct has,
 * and create takes field by field only what fits in the caller's opts_size,
 * so a program built against an older, smaller struct gets defaults for the
 * fields it does not know, and never has bytes past its struct read.
 */
#ifndef SIO_BDEV_MODULE_OPTS_H
#define SIO_BDEV_MODULE_OPTS_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "spdk_io/log.h"

/**
 * bdev_module_opts_init() - Write the first @opts_size bytes of @defaults
 * (a struct of @size bytes whose first field is size_t opts_size) to @opts,
 * then set its opts_size to @opts_size. Nothing when @opts is NULL or
 * @opts_size cannot hold the opts_size field.
 */
static inline void bdev_module_opts_init(void *opts, size_t opts_size, const void *defaults,
					 size_t size)
{
	if (opts == NULL || opts_size < sizeof(size_t))
		return;
	memcpy(opts, defaults, opts_size < size ? opts_size : size);
	memcpy(opts, &opts_size, sizeof(opts_size));
}

/**
 * bdev_module_opts_check() - 0 when @opts_size is one a caller of this
 * library can have: it holds the opts_size field and is no larger than the
 * library's struct (@size). A larger one comes from a newer header whose
 * extra fields this library would silently ignore: -EINVAL, logged, naming
 * @what.
 */
static inline int bdev_module_opts_check(const char *what, size_t opts_size, size_t size)
{
	if (opts_size >= sizeof(size_t) && opts_size <= size)
		return 0;
	SIO_ERRLOG("%s: opts_size %zu is not one this library knows (fill the struct with "
		   "%s_init(&opts, sizeof(opts)))", what, opts_size, what);
	return -EINVAL;
}

/** Whether a caller's struct of @opts_size bytes holds @field of @type. */
#define BDEV_MODULE_OPTS_HAS(type, opts_size, field) \
	((opts_size) >= offsetof(type, field) + sizeof(((type *)0)->field))

/** (@dst)->@field = (@src)->@field when @src's opts_size holds it; @dst keeps its default otherwise. */
#define BDEV_MODULE_OPTS_COPY(dst, src, field)                                          \
	do {                                                                            \
		if (BDEV_MODULE_OPTS_HAS(__typeof__(*(dst)), (src)->opts_size, field)) \
			(dst)->field = (src)->field;                                    \
	} while (0)

#endif /* SIO_BDEV_MODULE_OPTS_H */
