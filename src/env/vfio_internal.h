/* SPDX-License-Identifier: BSD-3-Clause */
/* Hooks between vfio.c (container, groups, devices) and dma.c (IOMMU mappings). */
#ifndef SIO_VFIO_INTERNAL_H
#define SIO_VFIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* vfio.c: one VFIO_IOMMU_MAP_DMA / UNMAP_DMA of [vaddr, vaddr + len) at @iova. */
int env_vfio_dma_map(int container_fd, void *vaddr, size_t len, uint64_t iova);
void env_vfio_dma_unmap(int container_fd, uint64_t iova, size_t len);

/* dma.c: a container was opened: map every chunk and registration into it
 * (all or nothing), and map new ones as they come. */
int env_dma_vfio_attach(int container_fd);
/* The container is about to close: unmap everything, IOVAs back to vaddrs. */
void env_dma_vfio_detach(void);

#endif
