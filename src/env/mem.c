/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backing memory for pools. Plain pools take anonymous pages straight from
 * mmap (page-aligned, returned to the kernel on destroy); DMA pools take
 * their region from the DMA allocator so sio_dma_lookup() finds objects.
 */
#include <errno.h>
#include <sys/mman.h>

#include "env_internal.h"

void *env_mem_alloc(size_t len, bool dma)
{
	void *p;

	if (len == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (dma)
		return sio_dma_malloc(len, 4096);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void env_mem_free(void *p, size_t len, bool dma)
{
	if (p == NULL)
		return;
	if (dma)
		sio_dma_free(p);
	else
		munmap(p, len);
}
