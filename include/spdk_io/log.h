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

/**
 * sio_log_set_level() - Most verbose level printed (default SIO_LOG_NOTICE).
 * Values outside SIO_LOG_DISABLED..SIO_LOG_DEBUG are clamped.
 *
 * Context: any thread.
 */
void sio_log_set_level(enum sio_log_level level);
/** sio_log_get_level() - The current print level. Context: any thread. */
enum sio_log_level sio_log_get_level(void);

/**
 * sio_log_flag_register() - Make @name a known debug flag (idempotent).
 * Components call it from their init; "all" is reserved. If "all" was set
 * earlier, the new flag starts enabled.
 *
 * Context: any thread; takes a mutex (not for hot paths).
 * Return: 0; -EINVAL for an empty or over-long name; -ENOSPC when the table is full.
 */
int sio_log_flag_register(const char *name);

/**
 * sio_log_set_flag() - Enable debug output for component @name ("all" for every flag).
 *
 * Debug lines of an enabled component print whatever the print level, unless
 * the level is SIO_LOG_DISABLED.
 *
 * Context: any thread; takes a mutex.
 * Return: 0; -ENOENT for a name that was never registered; -EINVAL for NULL.
 */
int sio_log_set_flag(const char *name);
/**
 * sio_log_clear_flag() - Disable debug output for @name ("all" for every flag).
 *
 * Context: any thread; takes a mutex.
 * Return: as sio_log_set_flag().
 */
int sio_log_clear_flag(const char *name);
/**
 * sio_log_get_flag() - Whether @name is enabled (false for unknown names and NULL).
 *
 * Context: any thread; lock-free (a scan of the registered names).
 */
bool sio_log_get_flag(const char *name);

/** Visitor for sio_log_flag_foreach(). */
typedef void (*sio_log_flag_fn)(const char *name, bool enabled, void *ctx);
/**
 * sio_log_flag_foreach() - Visit every registered flag in name order.
 *
 * Context: any thread; @fn runs without a lock and may set or clear flags.
 */
void sio_log_flag_foreach(sio_log_flag_fn fn, void *ctx);

/** Where log lines go; default writes to stderr. */
typedef void (*sio_log_sink_fn)(enum sio_log_level level, const char *component,
				const char *msg, void *ctx);
/**
 * sio_log_set_sink() - Redirect log lines (NULL restores stderr).
 *
 * The default sink writes one line per call with a single write(2):
 * "[seconds.micros] LEVEL component file:line function: message". The sink
 * gets the message with trailing newlines removed; a NULL component passed
 * to sio_log() becomes the source file's directory name ("env", "bdev").
 *
 * Context: set it before other threads log: a logger racing with the change
 * may pair the new function with the old @ctx.
 */
void sio_log_set_sink(sio_log_sink_fn fn, void *ctx);

/**
 * sio_log() - Log one line (longer messages are cut at 1023 bytes, ending "...").
 * Prefer the macros below.
 *
 * Context: any thread; lines from concurrent threads never interleave.
 */
void sio_log(enum sio_log_level level, const char *component, const char *file, int line,
	     const char *func, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/** sio_vlog() - va_list form of sio_log(). Context: any thread. */
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
