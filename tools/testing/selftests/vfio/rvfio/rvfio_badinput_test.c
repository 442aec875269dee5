// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every vfio-pci device ioctl with bad input: argsz 0 / too small / huge,
 * unknown flags, bad indexes, offsets and sizes, unknown ioctl numbers.
 * The expected errno is the C vfio-pci's (vfio_pci_core.c, vfio_main.c,
 * vfio_pci_intrs.c, vfio_pci_rdwr.c).
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

FIXTURE(bad) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	struct vfio_device_info info;
};

FIXTURE_SETUP(bad)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	self->info = self->device->info;
}

FIXTURE_TEARDOWN(bad)
{
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

/* A buffer big enough for any header plus data, zeroed, argsz set. */
struct big {
	uint32_t argsz;
	uint32_t w[63];
};

#define IOC(_req, _arg) rvfio_ioctl(self->fd, (_req), (_arg))

TEST_F(bad, get_info)
{
	struct vfio_device_info info;
	uint32_t minsz = offsetofend(struct vfio_device_info, num_irqs);

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_INFO, &info));		/* argsz 0 */
	info.argsz = minsz - 1;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_INFO, &info));
	info.argsz = minsz;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &info));
	info.argsz = 0xffffffff;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(self->info.num_regions, info.num_regions);
	/* Garbage in the output fields is overwritten. */
	memset(&info, 0xff, sizeof(info));
	info.argsz = sizeof(info);
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(self->info.flags, info.flags);
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	/* NULL / unmapped argument: EFAULT. */
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_GET_INFO, NULL));
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_GET_INFO, (void *)8));
}

TEST_F(bad, get_region_info)
{
	struct vfio_region_info ri;
	uint32_t minsz = offsetofend(struct vfio_region_info, offset);

	memset(&ri, 0, sizeof(ri));
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.argsz = minsz - 1;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.argsz = minsz;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.argsz = 0xffffffff;
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	/* Only a VGA-class device has a VGA region (rvfio_vga_test checks it). */
	ASSERT_EQ(sysfs_is_vga(device_bdf) ? 0 : -EINVAL,
		  IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.index = self->info.num_regions;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.index = 0x80000000;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_GET_REGION_INFO, NULL));
}

TEST_F(bad, get_irq_info)
{
	struct vfio_irq_info ii;

	memset(&ii, 0, sizeof(ii));
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ii.argsz = sizeof(ii) - 1;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_NUM_IRQS;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ii.index = 0xffffffff;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	ii.flags = 0xffffffff;		/* input flags are ignored */
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_GET_IRQ_INFO, NULL));
}

static int set_irqs(int fd, uint32_t argsz, uint32_t flags, uint32_t index,
		    uint32_t start, uint32_t count, const int32_t *data, int ndata)
{
	struct {
		struct vfio_irq_set s;
		int32_t d[16];
	} a;

	memset(&a, 0, sizeof(a));
	a.s.argsz = argsz;
	a.s.flags = flags;
	a.s.index = index;
	a.s.start = start;
	a.s.count = count;
	if (ndata)
		memcpy(a.d, data, ndata * sizeof(int32_t));
	return rvfio_ioctl(fd, VFIO_DEVICE_SET_IRQS, &a);
}

#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER
#define HDR sizeof(struct vfio_irq_set)

TEST_F(bad, set_irqs_header)
{
	int req = VFIO_PCI_REQ_IRQ_INDEX;

	ASSERT_EQ(-EINVAL, set_irqs(self->fd, 0, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 0, 0, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR - 1, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 0, 0, NULL, 0));
	/* Index out of range. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, VFIO_PCI_NUM_IRQS, 0, 0, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, 0xffffffff, 0, 0, NULL, 0));
	/* Unknown flag bits. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE | (1u << 31), req, 0, 1, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE | (1u << 6), req, 0, 1, NULL, 0));
	/* Two data types, or none. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL, req, 0, 1, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 4, TRIG, req, 0, 1, NULL, 0));
	/* start + count overflow / beyond the index's count. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 1, 0xffffffff, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 1, 0, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 0, 2, NULL, 0));
	/* argsz too small for the data. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 3, TRIG | VFIO_IRQ_SET_DATA_EVENTFD, req, 0, 1, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_BOOL, req, 0, 1, NULL, 0));
	/* NULL argument. */
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_SET_IRQS, NULL));
}

TEST_F(bad, set_irqs_actions)
{
	int req = VFIO_PCI_REQ_IRQ_INDEX, err = VFIO_PCI_ERR_IRQ_INDEX;
	int32_t efd = eventfd(0, 0), neg = -1;

	ASSERT_GE(efd, 0);
	/* MASK/UNMASK exist only for INTx: ENOTTY elsewhere. */
	ASSERT_EQ(-ENOTTY, set_irqs(self->fd, HDR, VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, req, 0, 1, NULL, 0));
	ASSERT_EQ(-ENOTTY, set_irqs(self->fd, HDR, VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_NONE, err, 0, 1, NULL, 0));
	/* Two actions at once: no handler, ENOTTY. */
	ASSERT_EQ(-ENOTTY, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE, req, 0, 1, NULL, 0));
	/* Triggering REQ/ERR with no eventfd set: EINVAL. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 0, 1, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, err, 0, 0, NULL, 0));
	/* Set an eventfd, loop back a trigger, then clear it with fd -1. */
	ASSERT_EQ(0, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD, req, 0, 1, &efd, 1));
	ASSERT_EQ(0, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 0, 1, NULL, 0));
	do {
		uint64_t v = 0;

		ASSERT_EQ(8, read(efd, &v, 8));
		ASSERT_EQ(1, v);
	} while (0);
	/* DATA_BOOL with count 0: EINVAL. */
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_BOOL, req, 0, 0, NULL, 0));
	ASSERT_EQ(0, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD, req, 0, 1, &neg, 1));
	ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE, req, 0, 1, NULL, 0));
	/* Not an eventfd / not a file. */
	do {
		int32_t bad = self->fd, closed = 1000;

		ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD, req, 0, 1, &bad, 1));
		ASSERT_EQ(-EBADF, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD, req, 0, 1, &closed, 1));
	} while (0);
	/* MSI trigger without MSI enabled: EINVAL. */
	if (self->device->msi_info.count) {
		ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE,
					    VFIO_PCI_MSI_IRQ_INDEX, 0, 1, NULL, 0));
	}
	/* MSI-X on a device without it: the count is 0, EINVAL. */
	if (!self->device->msix_info.count) {
		ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD,
					    VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &efd, 1));
	}
	/* MSI while INTx is enabled: EINVAL (one type at a time). */
	do {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_INTX_IRQ_INDEX };
		int32_t ifd = eventfd(0, 0);

		ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_IRQ_INFO, &ii));
		if (ii.count && self->device->msi_info.count) {
			ASSERT_EQ(0, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD,
					      VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &ifd, 1));
			ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 4, TRIG | VFIO_IRQ_SET_DATA_EVENTFD,
						    VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd, 1));
			/* INTx: start/count other than 0/1: EINVAL. */
			ASSERT_EQ(-EINVAL, set_irqs(self->fd, HDR + 8, TRIG | VFIO_IRQ_SET_DATA_EVENTFD,
						    VFIO_PCI_INTX_IRQ_INDEX, 0, 2, &ifd, 1));
			ASSERT_EQ(0, set_irqs(self->fd, HDR, TRIG | VFIO_IRQ_SET_DATA_NONE,
					      VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 0));
		}
		close(ifd);
	} while (0);
	close(efd);
}

TEST_F(bad, reset)
{
	if (self->info.flags & VFIO_DEVICE_FLAGS_RESET) {
		/* The argument is ignored. */
		ASSERT_EQ(0, IOC(VFIO_DEVICE_RESET, (void *)1));
	} else {
		ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_RESET, NULL));
	}
}

TEST_F(bad, hot_reset_info_header)
{
	struct vfio_pci_hot_reset_info h;

	memset(&h, 0, sizeof(h));
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &h));
	h.argsz = sizeof(h) - 1;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &h));
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, NULL));
}

TEST_F(bad, hot_reset_header)
{
	struct { struct vfio_pci_hot_reset h; int32_t fds[4]; } a;

	memset(&a, 0, sizeof(a));
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_PCI_HOT_RESET, &a));
	a.h.argsz = sizeof(a.h) - 1;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_PCI_HOT_RESET, &a));
	a.h.argsz = sizeof(a.h);
	a.h.flags = 1;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_PCI_HOT_RESET, &a));
	a.h.flags = 0x80000000;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_PCI_HOT_RESET, &a));
	/* The wrong form for how the device was opened: EINVAL. */
	a.h.flags = 0;
	a.h.argsz = sizeof(a);
	a.h.count = self->device->group_fd > 0 ? 0 : 1;
	a.fds[0] = self->device->group_fd;
	ASSERT_EQ(-EINVAL, IOC(VFIO_DEVICE_PCI_HOT_RESET, &a));
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_PCI_HOT_RESET, NULL));
}

static int feature(int fd, uint32_t argsz, uint32_t flags)
{
	struct { struct vfio_device_feature f; uint8_t data[64]; } a;

	memset(&a, 0, sizeof(a));
	a.f.argsz = argsz;
	a.f.flags = flags;
	return rvfio_ioctl(fd, VFIO_DEVICE_FEATURE, &a);
}

#define FSZ sizeof(struct vfio_device_feature)

TEST_F(bad, device_feature)
{
	const uint32_t P = VFIO_DEVICE_FEATURE_PROBE, G = VFIO_DEVICE_FEATURE_GET,
		       S = VFIO_DEVICE_FEATURE_SET;
	bool has_sriov = sysfs_has(device_bdf, "sriov_totalvfs");

	ASSERT_EQ(-EINVAL, feature(self->fd, 0, P | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	ASSERT_EQ(-EINVAL, feature(self->fd, FSZ - 1, P | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	/* Unknown flag bits; GET|SET without PROBE. */
	ASSERT_EQ(-EINVAL, feature(self->fd, FSZ, P | (1u << 20) | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	ASSERT_EQ(-EINVAL, feature(self->fd, FSZ, G | S | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	/* Unknown feature numbers: ENOTTY. */
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ, P | G | 0xfff0));
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ, P | S | 0xffff));
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ, G | 12345));
	/* No migration, no dirty tracking: ENOTTY. */
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ + 64, P | G | S | VFIO_DEVICE_FEATURE_MIGRATION));
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ + 64, P | G | S | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE));
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ + 64, P | S | VFIO_DEVICE_FEATURE_DMA_LOGGING_START));
	ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ + 64, P | G | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE));
	/* Low power entry/exit: SET-only. */
	ASSERT_EQ(0, feature(self->fd, FSZ, P | S | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	ASSERT_EQ(-EINVAL, feature(self->fd, FSZ, P | G | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	ASSERT_EQ(-EINVAL, feature(self->fd, FSZ, G | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	ASSERT_EQ(0, feature(self->fd, FSZ, P | S | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	/* Neither GET nor SET without PROBE: EINVAL. */
	ASSERT_EQ(-EINVAL, feature(self->fd, FSZ, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	/* Exit without entry is accepted. */
	ASSERT_EQ(0, feature(self->fd, FSZ, S | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	/* VF token: only on SR-IOV PFs; SET only, 16 bytes. */
	if (has_sriov) {
		ASSERT_EQ(0, feature(self->fd, FSZ, P | S | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN));
		ASSERT_EQ(-EINVAL, feature(self->fd, FSZ + 16, G | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN));
		ASSERT_EQ(-EINVAL, feature(self->fd, FSZ + 15, S | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN));
	} else {
		ASSERT_EQ(-ENOTTY, feature(self->fd, FSZ, P | S | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN));
	}
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_FEATURE, NULL));
}

static int ioeventfd(int fd, uint32_t argsz, uint32_t flags, uint64_t offset,
		     uint64_t data, int32_t efd)
{
	struct vfio_device_ioeventfd a = {
		.argsz = argsz, .flags = flags, .offset = offset,
		.data = data, .fd = efd,
	};

	return rvfio_ioctl(fd, VFIO_DEVICE_IOEVENTFD, &a);
}

TEST_F(bad, ioeventfd)
{
	uint32_t sz = sizeof(struct vfio_device_ioeventfd);
	int efd = eventfd(0, 0), bar;
	uint64_t base;

	ASSERT_GE(efd, 0);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (self->device->bars[bar].info.size)
			break;
	ASSERT_LT(bar, PCI_STD_NUM_BARS);
	base = region_off(bar);

	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, 0, VFIO_DEVICE_IOEVENTFD_32, base, 0, efd));
	/* The minimum is offsetofend(fd) = 28, not sizeof (32, padded). */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, offsetofend(struct vfio_device_ioeventfd, fd) - 1,
				     VFIO_DEVICE_IOEVENTFD_32, base, 0, efd));
	ASSERT_EQ(0, ioeventfd(self->fd, offsetofend(struct vfio_device_ioeventfd, fd),
			       VFIO_DEVICE_IOEVENTFD_32, base, 0x77, efd));
	ASSERT_EQ(0, ioeventfd(self->fd, offsetofend(struct vfio_device_ioeventfd, fd),
			       VFIO_DEVICE_IOEVENTFD_32, base, 0x77, -1));
	/* Flags: unknown bits, no size, two sizes. */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, 0x10, base, 0, efd));
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, 0, base, 0, efd));
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32 | VFIO_DEVICE_IOEVENTFD_16, base, 0, efd));
	/* fd below -1. */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 0, -2));
	/* Only BARs: config, ROM, beyond: EINVAL. */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32,
				     region_off(VFIO_PCI_CONFIG_REGION_INDEX), 0, efd));
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32,
				     region_off(VFIO_PCI_ROM_REGION_INDEX), 0, efd));
	/* Past the BAR end. */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32,
				     base + self->device->bars[bar].info.size - 2, 0, efd));
	/* Removing one that does not exist: ENODEV. */
	ASSERT_EQ(-ENODEV, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 0x1234, -1));
	/* Add, duplicate (EEXIST), remove, remove again (ENODEV). */
	ASSERT_EQ(0, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 0x1234, efd));
	ASSERT_EQ(-EEXIST, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 0x1234, efd));
	ASSERT_EQ(0, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 0x1234, -1));
	ASSERT_EQ(-ENODEV, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 0x1234, -1));
	/* A non-eventfd fd: EINVAL; a closed fd: EBADF. */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 1, self->fd));
	ASSERT_EQ(-EBADF, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32, base, 1, 1000));
	/* The MSI-X table may not be targeted. */
	if (self->device->msix_info.count) {
		uint8_t cfg[RVFIO_PCI_CFG_MAX];
		int msix;
		uint32_t tbl;

		ASSERT_LT(0, sysfs_config_read(device_bdf, cfg, sizeof(cfg)));
		msix = find_cap(cfg, PCI_CAP_ID_MSIX);
		ASSERT_NE(0, msix);
		tbl = le_get(cfg + msix + PCI_MSIX_TABLE, 4);
		ASSERT_EQ(-EINVAL, ioeventfd(self->fd, sz, VFIO_DEVICE_IOEVENTFD_32,
					     region_off(tbl & PCI_MSIX_TABLE_BIR) +
					     (tbl & PCI_MSIX_TABLE_OFFSET) + 12, 0, efd));
	}
	ASSERT_EQ(-EFAULT, IOC(VFIO_DEVICE_IOEVENTFD, NULL));
	close(efd);
}

TEST_F(bad, unknown_ioctls)
{
	struct big b = { .argsz = sizeof(b) };

	/* VFIO numbers the device does not implement. */
	ASSERT_EQ(-ENOTTY, IOC(_IO(VFIO_TYPE, VFIO_BASE + 60), &b));
	ASSERT_EQ(-ENOTTY, IOC(_IO(VFIO_TYPE, VFIO_BASE + 99), &b));
	ASSERT_EQ(-ENOTTY, IOC(_IO(VFIO_TYPE, VFIO_BASE + 0), &b));	/* GET_API_VERSION */
	/* Another subsystem's number. */
	ASSERT_EQ(-ENOTTY, IOC(_IOR('T', 0x99, int), &b));
	/* Container/group ioctls on a device fd. */
	ASSERT_EQ(-ENOTTY, IOC(VFIO_GROUP_GET_STATUS, &b));
	/* (Container ioctls share numbers with device ones: not tested.) */
}

/* read()/write() at bad positions. */
TEST_F(bad, rw_offsets)
{
	uint8_t buf[8];

	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, region_off(self->info.num_regions)));
	ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, buf, 4, region_off(self->info.num_regions)));
	/* ROM writes: EINVAL. */
	ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, buf, 4, region_off(VFIO_PCI_ROM_REGION_INDEX)));
	/* Negative offset. */
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, (uint64_t)-8));
	/*
	 * Zero bytes: done at once, whatever the offset names (found by
	 * rvfio_fuzz_test: C answers 0 before it looks at the region).
	 */
	ASSERT_EQ(0, rvfio_pread(self->fd, buf, 0, region_off(self->info.num_regions)));
	ASSERT_EQ(0, rvfio_pwrite(self->fd, buf, 0, region_off(self->info.num_regions)));
	ASSERT_EQ(0, rvfio_pwrite(self->fd, buf, 0, region_off(VFIO_PCI_ROM_REGION_INDEX)));
	ASSERT_EQ(0, rvfio_pread(self->fd, buf, 0, region_off(VFIO_PCI_BAR0_REGION_INDEX) + (1ull << 39)));
	ASSERT_EQ(0, rvfio_pread(self->fd, buf, 0, region_off(VFIO_PCI_CONFIG_REGION_INDEX) + 4096));
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
