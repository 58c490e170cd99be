/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI functions through VFIO: one container per process (type-1 IOMMU),
 * the groups of the opened devices attached to it, and the devices with
 * their BAR mappings. The container's IOMMU mappings of DMA memory are
 * dma.c's business (env_dma_vfio_attach()): this file opens and closes
 * things, in the order the kernel's VFIO interface requires (a group joins
 * the container before the IOMMU type is set; the container's mappings go
 * before the last group leaves), and enumerates vfio-pci functions.
 *
 * Locking: g_vfio_lock serialises open and close (container, group list,
 * reference counts). It is taken before the DMA lock, never inside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "env_internal.h"
#include "vfio_internal.h"

#define PCI_SYSFS "/sys/bus/pci/devices"
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define VFIO_NUM_BARS 6

struct vfio_group {
	int id;
	int fd;
	int refs;
	struct vfio_group *next;
};

struct sio_vfio_device {
	char bdf[SIO_PCI_BDF_LEN];
	int fd;
	struct vfio_group *group;
	void *bar_addr[VFIO_NUM_BARS];
	size_t bar_len[VFIO_NUM_BARS];
};

static pthread_mutex_t g_vfio_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_container = -1;
static struct vfio_group *g_groups;

/* ---- IOMMU mappings (called by dma.c under its lock) ---- */

int env_vfio_dma_map(int container_fd, void *vaddr, size_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};

	if (ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &m) != 0) {
		int err = errno;

		SIO_ERRLOG("vfio: mapping %zu bytes at %p to iova 0x%llx failed: %s", len, vaddr,
			   (unsigned long long)iova, strerror(err));
		return err == EINVAL || err == ENXIO ? -ENOSPC : -err;
	}
	SIO_DEBUGLOG(ENV_LOG_FLAG, "vfio: %p + %zu -> iova 0x%llx", vaddr, len,
		     (unsigned long long)iova);
	return 0;
}

void env_vfio_dma_unmap(int container_fd, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = len };

	if (ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &u) != 0)
		SIO_ERRLOG("vfio: unmapping iova 0x%llx (%zu bytes) failed: %s",
			   (unsigned long long)iova, len, strerror(errno));
}

/* ---- addresses ---- */

/* "DDDD:BB:DD.F" or "BB:DD.F" into the 12-character normal form. */
static int bdf_normalize(const char *in, char out[SIO_PCI_BDF_LEN])
{
	unsigned int d = 0, b, s, f;
	char tail;

	if (in == NULL)
		return -EINVAL;
	if (sscanf(in, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) != 4) {
		d = 0;
		if (sscanf(in, "%x:%x.%x%c", &b, &s, &f, &tail) != 3)
			return -EINVAL;
	}
	if (d > 0xffff || b > 0xff || s > 0x1f || f > 7)
		return -EINVAL;
	snprintf(out, SIO_PCI_BDF_LEN, "%04x:%02x:%02x.%x", d, b, s, f);
	return 0;
}

/* The basename of the symlink @dir/@name into @buf; -errno if absent. */
static int read_link_base(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

static bool bound_to_vfio(const char *devdir)
{
	char drv[64];

	return read_link_base(devdir, "driver", drv, sizeof(drv)) == 0 &&
	       strcmp(drv, "vfio-pci") == 0;
}

/* ---- container and groups (under g_vfio_lock) ---- */

static int container_open(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		close(fd);
		return -ENOTSUP;
	}
	if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1 &&
	    ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) != 1) {
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

static void group_put(struct vfio_group *g)
{
	struct vfio_group **pp;

	if (--g->refs > 0)
		return;
	for (pp = &g_groups; *pp != g; pp = &(*pp)->next)
		;
	*pp = g->next;
	if (g_groups == NULL) {
		/* The last group: the mappings go while the container still has
		 * an IOMMU (it loses it when its last group leaves). */
		env_dma_vfio_detach();
	}
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
	close(g->fd);
	free(g);
	if (g_groups == NULL) {
		close(g_container);
		g_container = -1;
	}
}

static int group_get(int id, struct vfio_group **out)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_group *g;
	bool first = g_groups == NULL;
	char path[64];
	int rc;

	for (g = g_groups; g != NULL; g = g->next) {
		if (g->id == id) {
			g->refs++;
			*out = g;
			return 0;
		}
	}
	if (g_container < 0) {
		rc = container_open();
		if (rc < 0)
			return rc;
		g_container = rc;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		rc = -ENOMEM;
		goto fail_container;
	}
	g->id = id;
	g->refs = 1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	g->fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->fd < 0) {
		rc = -errno;
		goto fail_free;
	}
	if (ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st) != 0) {
		rc = -errno;
		goto fail_close;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		SIO_ERRLOG("vfio: IOMMU group %d is not viable: bind all its devices to vfio-pci", id);
		rc = -EBUSY;
		goto fail_close;
	}
	if (ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &g_container) != 0) {
		rc = -errno;
		goto fail_close;
	}
	if (first) {
		/* The IOMMU type is chosen once, after the first group joined. */
		unsigned long type = ioctl(g_container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1
					     ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;

		if (ioctl(g_container, VFIO_SET_IOMMU, type) != 0) {
			rc = -errno;
			goto fail_unset;
		}
		rc = env_dma_vfio_attach(g_container);
		if (rc != 0)
			goto fail_unset;
	}
	g->next = g_groups;
	g_groups = g;
	*out = g;
	return 0;

fail_unset:
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
fail_close:
	close(g->fd);
fail_free:
	free(g);
fail_container:
	if (g_groups == NULL) {
		close(g_container);
		g_container = -1;
	}
	return rc;
}

/* Memory decoding and bus mastering on, through the config space region. */
static int enable_bus_master(struct sio_vfio_device *dev)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;

	if (ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) != 0)
		return -errno;
	if (pread(dev->fd, &cmd, sizeof(cmd), (off_t)(ri.offset + PCI_COMMAND)) != sizeof(cmd))
		return -EIO;
	if ((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
	    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		return 0;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(dev->fd, &cmd, sizeof(cmd), (off_t)(ri.offset + PCI_COMMAND)) != sizeof(cmd))
		return -EIO;
	return 0;
}

/* ---- devices ---- */

int sio_vfio_device_open(const char *bdf, struct sio_vfio_device **out)
{
	struct sio_vfio_device *dev;
	char devdir[PATH_MAX], grp[32], *end;
	long id;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	dev->fd = -1;
	rc = bdf_normalize(bdf, dev->bdf);
	if (rc != 0)
		goto fail_free;
	snprintf(devdir, sizeof(devdir), PCI_SYSFS "/%s", dev->bdf);
	if (access(devdir, F_OK) != 0 || !bound_to_vfio(devdir)) {
		SIO_ERRLOG("vfio: %s: no such PCI function bound to vfio-pci "
			   "(scripts/setup-vfio.sh binds it)", dev->bdf);
		rc = -ENODEV;
		goto fail_free;
	}
	rc = read_link_base(devdir, "iommu_group", grp, sizeof(grp));
	if (rc != 0) {
		rc = -ENODEV;
		goto fail_free;
	}
	id = strtol(grp, &end, 10);
	if (*end != '\0' || id < 0 || id > INT_MAX) {
		rc = -ENODEV;
		goto fail_free;
	}
	pthread_mutex_lock(&g_vfio_lock);
	rc = group_get((int)id, &dev->group);
	if (rc != 0)
		goto fail_unlock;
	dev->fd = ioctl(dev->group->fd, VFIO_GROUP_GET_DEVICE_FD, dev->bdf);
	if (dev->fd < 0) {
		rc = -errno;
		goto fail_group;
	}
	rc = enable_bus_master(dev);
	if (rc != 0)
		goto fail_dev;
	pthread_mutex_unlock(&g_vfio_lock);
	SIO_DEBUGLOG(ENV_LOG_FLAG, "vfio: opened %s (group %ld)", dev->bdf, id);
	*out = dev;
	return 0;

fail_dev:
	close(dev->fd);
fail_group:
	group_put(dev->group);
fail_unlock:
	pthread_mutex_unlock(&g_vfio_lock);
	SIO_ERRLOG("vfio: cannot open %s: %s", dev->bdf, strerror(-rc));
fail_free:
	free(dev);
	return rc;
}

void sio_vfio_device_close(struct sio_vfio_device *dev)
{
	if (dev == NULL)
		return;
	for (int i = 0; i < VFIO_NUM_BARS; i++)
		if (dev->bar_addr[i] != NULL)
			munmap(dev->bar_addr[i], dev->bar_len[i]);
	pthread_mutex_lock(&g_vfio_lock);
	close(dev->fd);
	group_put(dev->group);
	pthread_mutex_unlock(&g_vfio_lock);
	free(dev);
}

int sio_vfio_device_map_bar(struct sio_vfio_device *dev, unsigned int bar, void **addr,
			    size_t *len)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	void *p;

	if (dev == NULL || bar >= VFIO_NUM_BARS || addr == NULL || len == NULL)
		return -EINVAL;
	if (dev->bar_addr[bar] == NULL) {
		ri.index = VFIO_PCI_BAR0_REGION_INDEX + bar;
		if (ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) != 0)
			return -errno;
		if (ri.size == 0)
			return -ENODEV;
		if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
			return -ENOTSUP;
		p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
			 (off_t)ri.offset);
		if (p == MAP_FAILED)
			return -ENOMEM;
		dev->bar_addr[bar] = p;
		dev->bar_len[bar] = ri.size;
	}
	*addr = dev->bar_addr[bar];
	*len = dev->bar_len[bar];
	return 0;
}

const char *sio_vfio_device_get_bdf(const struct sio_vfio_device *dev)
{
	return dev ? dev->bdf : NULL;
}

/* ---- enumeration ---- */

static int bdf_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int sio_pci_vfio_list(uint32_t class_code, uint32_t class_mask, char (*bdfs)[SIO_PCI_BDF_LEN],
		      size_t max)
{
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	if (bdfs == NULL && max > 0)
		return -EINVAL;
	d = opendir(PCI_SYSFS);
	if (d == NULL)
		return -ENOENT;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX], norm[SIO_PCI_BDF_LEN], buf[32];
		unsigned long cls;
		FILE *f;

		if (e->d_name[0] == '.' || bdf_normalize(e->d_name, norm) != 0)
			continue;
		snprintf(path, sizeof(path), PCI_SYSFS "/%s/class", e->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		cls = fgets(buf, sizeof(buf), f) ? strtoul(buf, NULL, 16) : 0;
		fclose(f);
		if (((uint32_t)cls & class_mask) != (class_code & class_mask))
			continue;
		snprintf(path, sizeof(path), PCI_SYSFS "/%s", e->d_name);
		if (!bound_to_vfio(path))
			continue;
		if (n < max)
			memcpy(bdfs[n], norm, SIO_PCI_BDF_LEN);
		n++;
	}
	closedir(d);
	if (n > 0 && max > 0)
		qsort(bdfs, n < max ? n : max, SIO_PCI_BDF_LEN, bdf_cmp);
	return n > INT_MAX ? INT_MAX : (int)n;
}
