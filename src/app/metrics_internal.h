/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the metrics server (metrics.c) and its writer and collector list (metrics_writer.c). */
#ifndef SIO_APP_METRICS_INTERNAL_H
#define SIO_APP_METRICS_INTERNAL_H

#include <stddef.h>

#include "spdk_io/metrics.h"

/* A new, empty snapshot (NULL: no memory); its text; freeing it. App thread. */
struct sio_metrics *app_metrics_alloc(void);
/* NULL on -ENOMEM or when a sample failed to be written (the snapshot is incomplete). */
char *app_metrics_render(struct sio_metrics *m, size_t *len);
void app_metrics_free(struct sio_metrics *m);

/* The @i-th registered collector, NULL past the last. Context: any thread. */
const struct sio_metrics_collector *app_metrics_collector(size_t i);

#endif
