/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport ID field rules that the nvme bdev module's RPC shares with the
 * transport ID parser (trid.c), so a field given as an RPC parameter and the
 * same field in an ID string are judged alike, with the same words. Internal
 * to the library: not installed, and without the sio_ prefix that
 * src/spdk_io.map exports.
 */
#ifndef SIO_NVME_HOST_TRID_H
#define SIO_NVME_HOST_TRID_H

#include <stddef.h>
#include <stdint.h>

/*
 * nvme_trid_parse_priority() - A transport ID's priority from text.
 * @s: a whole decimal number from 0 to INT32_MAX (SPDK's schema has the
 *     priority as a string; its atoi() took "abc" as 0, this refuses it).
 * @priority: set on success only.
 * @err: on failure "priority: '<s>' is not a number from 0 to 2147483647"
 *     (NULL: the message is logged instead); @errlen its size.
 * Context: any thread.
 * Return: 0; -EINVAL for anything else (NULL @s or @priority included).
 */
int nvme_trid_parse_priority(const char *s, int32_t *priority, char *err, size_t errlen);

/*
 * nvme_trid_port() - A port number from a transport ID's trsvcid or
 * hostsvcid text: the parser's rule, which the TCP connect applies again
 * because a transport ID may also be filled in by hand.
 * @s: a whole decimal number from 1 to 65535 ("" is not).
 * @port: set on success only.
 * Context: any thread.
 * Return: 0; -EINVAL for anything else (NULL @s or @port included).
 */
int nvme_trid_port(const char *s, int *port);

#endif /* SIO_NVME_HOST_TRID_H */
