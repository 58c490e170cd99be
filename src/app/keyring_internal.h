/* SPDX-License-Identifier: BSD-3-Clause */
/* The keyring's listing for its RPCs and save_config (app layer internal). */
#ifndef SIO_APP_KEYRING_INTERNAL_H
#define SIO_APP_KEYRING_INTERNAL_H

#include <stddef.h>

#include "spdk_io/keyring.h"

/* Called with the keyring's lock held: must not call back into the keyring. */
typedef void (*keyring_visit_fn)(const char *name, const char *path, unsigned refcnt, void *ctx);

/* Visit every key (not removed) in the order added. Context: any thread. */
void keyring_foreach(keyring_visit_fn fn, void *ctx);

/*
 * Format an error text into @msg (@msg_len bytes, truncated, always
 * terminated) for the keyring's functions that take a message buffer; does
 * nothing when @msg is NULL or @msg_len is 0. Context: any thread.
 */
void keyring_set_msg(char *msg, size_t msg_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
