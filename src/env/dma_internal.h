/* SPDX-License-Identifier: BSD-3-Clause */
/* Hooks between env.c and dma.c. */
#ifndef SIO_DMA_INTERNAL_H
#define SIO_DMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Switch new chunks to hugepages when @hugepages; map @reserve_bytes of
 * hugepages now when non-zero. -ENOMEM if that reservation fails. */
int env_dma_init(bool hugepages, size_t reserve_bytes);
/* Back to plain memory; unmap every empty chunk. */
void env_dma_fini(void);
/* Whether new chunks come from hugepages, or a hugepage chunk is live. */
bool env_dma_uses_hugepages(void);

#endif
