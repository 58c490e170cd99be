/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The env's DMA registration of caller memory and the VFIO calls' argument
 * checks, on a machine without VFIO devices (tests/vm/nvme_pcie.sh covers
 * the IOMMU side through the NVMe PCIe driver in a guest).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "spdk_io/env.h"

static void test_register_lookup(void **state)
{
	uint8_t *p = malloc(3 * 4096 + 100);
	struct sio_dma_region r;

	assert_non_null(p);
	assert_int_equal(sio_dma_lookup(p + 10, &r), -ENOENT);
	assert_int_equal(sio_dma_register(p + 7, 3 * 4096), 0);
	/* Any address inside the registration finds it, with its IOVA. */
	assert_int_equal(sio_dma_lookup(p + 7, &r), 0);
	assert_ptr_equal(r.base, p + 7);
	assert_int_equal(r.len, 3 * 4096);
	assert_int_equal(r.iova, (uint64_t)(uintptr_t)(p + 7)); /* no container: IOVA = vaddr */
	assert_false(r.hugepage);
	assert_int_equal(sio_dma_lookup(p + 7 + 3 * 4096 - 1, &r), 0);
	assert_int_equal(sio_dma_lookup(p + 7 + 3 * 4096, &r), -ENOENT);
	assert_int_equal(sio_dma_lookup(p + 6, &r), -ENOENT);
	/* Overlaps and shared pages are refused. */
	assert_int_equal(sio_dma_register(p + 100, 10), -EEXIST);
	assert_int_equal(sio_dma_register(p, 8), -EEXIST);
	assert_int_equal(sio_dma_register(p + 7 + 3 * 4096, 1), -EEXIST); /* same last page */
	/* Not freed by sio_dma_free (logged, ignored). */
	sio_dma_free(p + 7);
	assert_int_equal(sio_dma_lookup(p + 8, &r), 0);
	assert_int_equal(sio_dma_unregister(p + 8), -ENOENT);
	assert_int_equal(sio_dma_unregister(p + 7), 0);
	assert_int_equal(sio_dma_unregister(p + 7), -ENOENT);
	assert_int_equal(sio_dma_lookup(p + 8, &r), -ENOENT);
	free(p);
}

static void test_register_vs_alloc(void **state)
{
	uint8_t *d = sio_dma_malloc(8192, 4096);
	uint8_t *q = malloc(64);

	assert_non_null(d);
	/* A DMA allocation is already DMA memory. */
	assert_int_equal(sio_dma_register(d + 100, 100), -EEXIST);
	assert_int_equal(sio_dma_unregister(d), -ENOENT);
	/* Registered memory is found beside allocations. */
	assert_int_equal(sio_dma_register(q, 64), 0);
	assert_int_equal(sio_dma_unregister(q), 0);
	sio_dma_free(d);
	free(q);
}

static void test_bad_args(void **state)
{
	struct sio_vfio_device *dev = (void *)1;
	char bdfs[4][SIO_PCI_BDF_LEN];
	void *addr;
	size_t len;
	int n;

	assert_int_equal(sio_dma_register(NULL, 10), -EINVAL);
	assert_int_equal(sio_dma_register(&n, 0), -EINVAL);
	assert_int_equal(sio_dma_register((void *)(UINTPTR_MAX - 10), 100), -EINVAL);
	assert_int_equal(sio_dma_unregister(NULL), -EINVAL);
	assert_int_equal(sio_vfio_device_open("0000:00:04.0", NULL), -EINVAL);
	assert_int_equal(sio_vfio_device_open("zz:00.0", &dev), -EINVAL);
	assert_null(dev);
	assert_int_equal(sio_vfio_device_open("0000:00:20.0", &dev), -EINVAL); /* device > 1f */
	/* A function that does not exist (or is not on vfio-pci) is -ENODEV. */
	assert_int_equal(sio_vfio_device_open("ffff:ff:1f.7", &dev), -ENODEV);
	assert_int_equal(sio_vfio_device_map_bar(NULL, 0, &addr, &len), -EINVAL);
	sio_vfio_device_close(NULL);
	assert_null(sio_vfio_device_get_bdf(NULL));
	assert_int_equal(sio_pci_vfio_list(0x010802, 0xffffff, NULL, 1), -EINVAL);
	n = sio_pci_vfio_list(0x010802, 0xffffff, bdfs, 4);
	assert_true(n >= 0 || n == -ENOENT);
	assert_int_equal(sio_pci_vfio_list(0x010802, 0xffffff, NULL, 0), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_lookup),
		cmocka_unit_test(test_register_vs_alloc),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
