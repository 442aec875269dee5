/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by rvfio's own vfio-pci selftests: raw region access with
 * errno, the device's config space as sysfs shows it (the host's view,
 * without VFIO's virtualization), capability lookup and sysfs resources.
 */
#ifndef RVFIO_SELFTESTS_UTIL_H
#define RVFIO_SELFTESTS_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/mman.h>

#include <linux/limits.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>

#define RVFIO_PCI_CFG_MAX 4096
#define PCI_ROM_RESOURCE 6
#define PCI_D0 0

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

#define region_off(_index) ((uint64_t)(_index) << 40)

/* pread/pwrite at a region offset: bytes done, or -errno. */
static inline ssize_t rvfio_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t r = pread(fd, buf, len, off);

	return r < 0 ? -errno : r;
}

static inline ssize_t rvfio_pwrite(int fd, const void *buf, size_t len,
				   uint64_t off)
{
	ssize_t r = pwrite(fd, buf, len, off);

	return r < 0 ? -errno : r;
}

/* ioctl returning 0 or -errno. */
/* Waits up to `ms` for the eventfd `efd`; returns (and clears) its count, 0 on timeout. */
static inline uint64_t efd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) != 1)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static inline int rvfio_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* The device's config space through sysfs: bytes read (256 or 4096). */
static inline int sysfs_config_read(const char *bdf, uint8_t *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	memset(buf, 0, len);
	r = pread(fd, buf, len, 0);
	close(fd);
	return r < 0 ? -errno : (int)r;
}

static inline uint32_t le_get(const uint8_t *p, int size)
{
	uint32_t v = 0;
	int i;

	for (i = size - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Resource i (0..5 BARs, 6 ROM) from sysfs "resource": start, size, flags. */
static inline int sysfs_resource(const char *bdf, int index, uint64_t *start,
				 uint64_t *size, uint64_t *flags)
{
	char path[PATH_MAX], line[128];
	unsigned long long s, e, f;
	int i = 0, ret = -ENOENT;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	fp = fopen(path, "r");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		if (i++ != index)
			continue;
		if (sscanf(line, "%llx %llx %llx", &s, &e, &f) != 3)
			break;
		*start = s;
		*size = s ? e - s + 1 : 0;
		*flags = f;
		ret = 0;
		break;
	}
	fclose(fp);
	return ret;
}

#define RVFIO_IORESOURCE_IO	0x00000100
#define RVFIO_IORESOURCE_MEM	0x00000200
#define RVFIO_IORESOURCE_MEM_64	0x00100000

/* Config space access through VFIO, returning bytes done or -errno. */
static inline ssize_t cfg_read(struct vfio_pci_device *d, uint32_t off,
			       void *buf, size_t len)
{
	return rvfio_pread(d->fd, buf, len, d->config_space.offset + off);
}

static inline ssize_t cfg_write(struct vfio_pci_device *d, uint32_t off,
				const void *buf, size_t len)
{
	return rvfio_pwrite(d->fd, buf, len, d->config_space.offset + off);
}

/* Find a standard capability in a config-space image (0 if absent). */
static inline int find_cap(const uint8_t *cfg, int id)
{
	int pos, loops = 48;

	if (!(le_get(cfg + PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = cfg[PCI_CAPABILITY_LIST] & ~3;
	while (pos >= PCI_STD_HEADER_SIZEOF && loops--) {
		if (cfg[pos] == id)
			return pos;
		pos = cfg[pos + 1] & ~3;
	}
	return 0;
}

/* Find an extended capability in a 4096-byte image (0 if absent). */
static inline int find_ecap(const uint8_t *cfg, int cfg_size, int id)
{
	int pos = PCI_CFG_SPACE_SIZE, loops = (4096 - 256) / 8;
	uint32_t hdr;

	if (cfg_size <= PCI_CFG_SPACE_SIZE)
		return 0;
	while (pos >= PCI_CFG_SPACE_SIZE && pos < cfg_size && loops--) {
		hdr = le_get(cfg + pos, 4);
		if (!hdr)
			return 0;
		if (PCI_EXT_CAP_ID(hdr) == id)
			return pos;
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
	return 0;
}

/* Reads the full config space through VFIO into buf (one pread). */
static inline ssize_t vfio_config_image(struct vfio_pci_device *d, uint8_t *buf)
{
	memset(buf, 0, RVFIO_PCI_CFG_MAX);
	return cfg_read(d, 0, buf, d->config_space.size);
}

/* Is the device a VGA-compatible display controller (class 03 00, any prog-if)? */
static inline bool sysfs_is_vga(const char *bdf)
{
	uint8_t cfg[PCI_STD_HEADER_SIZEOF];

	if (sysfs_config_read(bdf, cfg, sizeof(cfg)) < PCI_CLASS_DEVICE + 2)
		return false;
	return cfg[PCI_CLASS_DEVICE + 1] == 0x03 && cfg[PCI_CLASS_DEVICE] == 0x00;
}

/* Does the sysfs path /sys/bus/pci/devices/<bdf>/<file> exist? */
static inline bool sysfs_has(const char *bdf, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	return access(path, F_OK) == 0;
}

/* The last component of the symlink `path`'s target in `buf` ("" if none). */
static inline void sysfs_link_name(const char *path, char *buf, size_t len)
{
	char link[PATH_MAX];
	ssize_t n;
	char *s;

	n = readlink(path, link, sizeof(link) - 1);
	buf[0] = 0;
	if (n <= 0)
		return;
	link[n] = 0;
	s = strrchr(link, '/');
	snprintf(buf, len, "%s", s ? s + 1 : link);
}

/* The name of the driver bound to `bdf` in `buf` ("" if none). */
static inline void sysfs_driver_name(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	sysfs_link_name(path, buf, len);
}

/* Writes `s` to the sysfs file `path`: 0, or a negative errno. */
static inline int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

/*
 * Does region `index` carry capability `id` in its VFIO_DEVICE_GET_REGION_INFO
 * chain?  Returns its offset in `buf` (which receives the whole answer, up to
 * `len` bytes), or 0.
 */
static inline size_t region_find_cap(int fd, uint32_t index, uint16_t id,
				     void *buf, size_t len)
{
	struct vfio_region_info *ri = buf;
	struct vfio_info_cap_header *h;
	size_t off;
	int loops = 16;

	if (len < sizeof(*ri))
		return 0;
	memset(buf, 0, len);
	ri->argsz = len;
	ri->index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri) ||
	    !(ri->flags & VFIO_REGION_INFO_FLAG_CAPS) || ri->argsz > len)
		return 0;
	for (off = ri->cap_offset; off && loops--; off = h->next) {
		if (off < sizeof(*ri) || off + sizeof(*h) > len)
			return 0;
		h = (struct vfio_info_cap_header *)((char *)buf + off);
		if (h->id == id)
			return off;
	}
	return 0;
}

/*
 * Like libvfio's vfio_pci_device_init(), without its driver probe and with
 * plain mmap()s of the BARs: libvfio's aligned reservation (twice the BAR
 * size) fails for ivshmem's 1 GiB BAR in the test VM. A BAR with a sparse
 * mmap capability (a variant driver maps only parts of it) is not mapped:
 * the whole of it would be refused.
 */
static inline struct vfio_pci_device *rvfio_device_init(const char *bdf,
							 struct iommu *iommu)
{
	struct vfio_pci_device *d = vfio_pci_device_alloc(bdf, iommu);
	int i;

	if (iommu->mode->container_path) {
		vfio_pci_group_setup(d, bdf);
		vfio_container_set_iommu(d);
		__vfio_pci_group_get_device_fd(d, bdf, NULL);
		VFIO_ASSERT_GE(d->fd, 0);
	} else {
		struct vfio_device_attach_iommufd_pt at = {
			.argsz = sizeof(at), .pt_id = iommu->ioas_id,
		};

		vfio_pci_cdev_open(d, bdf);
		VFIO_ASSERT_EQ(__vfio_device_bind_iommufd(d->fd, iommu->iommufd, NULL), 0);
		ioctl_assert(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	}

	d->info.argsz = sizeof(d->info);
	ioctl_assert(d->fd, VFIO_DEVICE_GET_INFO, &d->info);
	d->config_space.argsz = sizeof(d->config_space);
	d->config_space.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ioctl_assert(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->config_space);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_pci_bar *bar = &d->bars[i];
		void *va;

		bar->info.argsz = sizeof(bar->info);
		bar->info.index = i;
		ioctl_assert(d->fd, VFIO_DEVICE_GET_REGION_INFO, &bar->info);
		if (!(bar->info.flags & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		if (bar->info.flags & VFIO_REGION_INFO_FLAG_CAPS) {
			char buf[512];

			if (region_find_cap(d->fd, i, VFIO_REGION_INFO_CAP_SPARSE_MMAP,
					    buf, sizeof(buf)))
				continue;
		}
		va = mmap(NULL, bar->info.size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, d->fd, bar->info.offset);
		VFIO_ASSERT_NE(va, MAP_FAILED);
		bar->vaddr = va;
	}
	d->msi_info.argsz = sizeof(d->msi_info);
	d->msi_info.index = VFIO_PCI_MSI_IRQ_INDEX;
	ioctl_assert(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &d->msi_info);
	d->msix_info.argsz = sizeof(d->msix_info);
	d->msix_info.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ioctl_assert(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &d->msix_info);
	for (i = 0; i < ARRAY_SIZE(d->msi_eventfds); i++)
		d->msi_eventfds[i] = -1;
	return d;
}

/*
 * Config space accessors for test fixtures that have `device` (the open
 * vfio_pci_device), `cfg_size` and a `hcfg` buffer of the device's config
 * space, and a global `device_bdf`: RD/WR go through the VFIO config region
 * (asserting the whole size was done), HW reads the hardware register back
 * through sysfs.
 */
#define RD(_off, _size) ({						\
	uint32_t __v = 0;						\
	ASSERT_EQ((_size), cfg_read(self->device, (_off), &__v, (_size))); \
	__v;								\
})

#define WR(_off, _size, _val) do {					\
	uint32_t __v = (_val);						\
	ASSERT_EQ((_size), cfg_write(self->device, (_off), &__v, (_size))); \
} while (0)

#define HW(_off, _size) ({						\
	ASSERT_EQ(self->cfg_size, sysfs_config_read(device_bdf, self->hcfg, \
						    sizeof(self->hcfg))); \
	le_get(self->hcfg + (_off), (_size));				\
})

/* Closes what rvfio_device_init() opened, and the IOMMU it used; NULLs both. */
static inline void rvfio_device_close(struct vfio_pci_device **d, struct iommu **iommu)
{
	if (*d)
		vfio_pci_device_cleanup(*d);
	*d = NULL;
	if (*iommu)
		iommu_cleanup(*iommu);
	*iommu = NULL;
}

/* Waits up to @ms for child @pid to exit; true (and its *status) if it did. */
static inline bool wait_child(pid_t pid, int ms, int *status)
{
	int i;

	for (i = 0; i < ms / 50; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

#endif /* RVFIO_SELFTESTS_UTIL_H */
