/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file log.h
 * One log module for the whole library: levels, and per-component debug flags
 * (the `-L/--logflag` and `log_set_flag` RPC names).
 */
#ifndef SPDK_IO_LOG_H
#define SPDK_IO_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Severity, most severe first. */
enum sio_log_level {
	SIO_LOG_DISABLED = -1, /**< print nothing */
	SIO_LOG_ERROR = 0,     /**< an operation failed */
	SIO_LOG_WARN = 1,      /**< something is wrong but work goes on */
	SIO_LOG_NOTICE = 2,    /**< worth knowing at startup/shutdown; the default print level */
	SIO_LOG_INFO = 3,      /**< verbose progress */
	SIO_LOG_DEBUG = 4,     /**< per-component debug output, gated by flags */
};

/** sio_log_set_level() - Most verbose level printed. Context: any thread. */
void sio_log_set_level(enum sio_log_level level);
/** sio_log_get_level() - The current print level. */
enum sio_log_level sio_log_get_level(void);

/**
 * sio_log_flag_register() - Make @name a known debug flag (idempotent).
 * Components call it from their init; "all" is reserved.
 * Return: 0; -EINVAL for an empty or over-long name; -ENOSPC when the table is full.
 */
int sio_log_flag_register(const char *name);

/**
 * sio_log_set_flag() - Enable debug output for component @name ("all" for every flag).
 * Return: 0; -ENOENT for a name that was never registered; -EINVAL for NULL.
 */
int sio_log_set_flag(const char *name);
/** sio_log_clear_flag() - Disable debug output for @name. Return as sio_log_set_flag(). */
int sio_log_clear_flag(const char *name);
/** sio_log_get_flag() - Whether @name is enabled (false for unknown names). */
bool sio_log_get_flag(const char *name);

/** Visitor for sio_log_flag_foreach(). */
typedef void (*sio_log_flag_fn)(const char *name, bool enabled, void *ctx);
/** sio_log_flag_foreach() - Visit every registered flag in name order. */
void sio_log_flag_foreach(sio_log_flag_fn fn, void *ctx);

/** Where log lines go; default writes to stderr. */
typedef void (*sio_log_sink_fn)(enum sio_log_level level, const char *component,
				const char *msg, void *ctx);
/** sio_log_set_sink() - Redirect log lines (NULL restores stderr). Not thread-safe with logging. */
void sio_log_set_sink(sio_log_sink_fn fn, void *ctx);

/** sio_log() - Log one line. Prefer the macros below. Context: any thread. */
void sio_log(enum sio_log_level level, const char *component, const char *file, int line,
	     const char *func, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/** sio_vlog() - va_list form of sio_log(). */
void sio_vlog(enum sio_log_level level, const char *component, const char *file, int line,
	      const char *func, const char *fmt, va_list ap);

#define SIO_ERRLOG(...) sio_log(SIO_LOG_ERROR, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SIO_WARNLOG(...) sio_log(SIO_LOG_WARN, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SIO_NOTICELOG(...) sio_log(SIO_LOG_NOTICE, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define SIO_INFOLOG(...) sio_log(SIO_LOG_INFO, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
/** Debug line for component @flag, printed only when that flag is set. */
#define SIO_DEBUGLOG(flag, ...)                                                              \
	do {                                                                                 \
		if (sio_log_get_flag(flag))                                                  \
			sio_log(SIO_LOG_DEBUG, flag, __FILE__, __LINE__, __func__, __VA_ARGS__); \
	} while (0)

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_LOG_H */
