// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions and interrupts of a vfio-pci device as the uapi reports them
 * (GET_INFO, GET_REGION_INFO, GET_IRQ_INFO) and BAR/ROM access through
 * the region offsets (index << 40): bounds, the MSI-X table hole, the I/O
 * port BAR.  Expected values: the C vfio-pci, checked against sysfs.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

FIXTURE(region) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	uint16_t vendor, devid;
	uint8_t hcfg[RVFIO_PCI_CFG_MAX];
};

FIXTURE_SETUP(region)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	ASSERT_LT(0, sysfs_config_read(device_bdf, self->hcfg, sizeof(self->hcfg)));
	self->vendor = le_get(self->hcfg, 2);
	self->devid = le_get(self->hcfg + 2, 2);
}

FIXTURE_TEARDOWN(region)
{
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

#define is_igb(s)	((s)->vendor == 0x8086 && (s)->devid == 0x10c9)
#define is_edu(s)	((s)->vendor == 0x1234 && (s)->devid == 0x11e8)
#define is_ivshmem(s)	((s)->vendor == 0x1af4 && (s)->devid == 0x1110)

static int region_info(int fd, uint32_t index, struct vfio_region_info *info,
		       uint32_t argsz)
{
	memset(info, 0, sizeof(*info));
	info->argsz = argsz;
	info->index = index;
	return rvfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

/* GET_INFO: PCI, reset iff the host can reset it, 9 regions, 5 irqs. */
TEST_F(region, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	bool can_reset = sysfs_has(device_bdf, "reset");
	struct { struct vfio_device_info i; uint32_t canary; } small;

	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_FALSE(info.flags & (VFIO_DEVICE_FLAGS_PLATFORM |
				   VFIO_DEVICE_FLAGS_AMBA | VFIO_DEVICE_FLAGS_CCW |
				   VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_FSL_MC));
	ASSERT_EQ(can_reset, !!(info.flags & VFIO_DEVICE_FLAGS_RESET));
	ASSERT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	ASSERT_EQ(sizeof(info), info.argsz);
	if (!(info.flags & VFIO_DEVICE_FLAGS_CAPS)) {
		ASSERT_EQ(0, info.cap_offset);
	}
	TH_LOG("flags %#x regions %u irqs %u", info.flags, info.num_regions,
	       info.num_irqs);

	/* The minimum argsz (up to num_irqs): bytes past it untouched. */
	memset(&small, 0xab, sizeof(small));
	small.i.argsz = offsetofend(struct vfio_device_info, num_irqs);
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_INFO, &small));
	ASSERT_EQ(info.flags, small.i.flags);
	ASSERT_EQ(info.num_regions, small.i.num_regions);
	ASSERT_EQ(0xabababab, small.i.cap_offset);
	ASSERT_EQ(0xabababab, small.canary);
}

/* Every region index: config, BARs, ROM, VGA, beyond. */
TEST_F(region, region_info_all)
{
	struct vfio_region_info info;
	uint8_t cfg[RVFIO_PCI_CFG_MAX];
	int i, cfg_size;

	cfg_size = sysfs_config_read(device_bdf, cfg, sizeof(cfg));
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		uint64_t start, size, flags;

		ASSERT_EQ(0, sysfs_resource(device_bdf, i, &start, &size, &flags));
		ASSERT_EQ(0, region_info(self->fd, i, &info, sizeof(info)));
		ASSERT_EQ(i, info.index);
		ASSERT_EQ(region_off(i), info.offset);
		ASSERT_EQ(size, info.size);
		TH_LOG("BAR%d size %#llx flags %#x", i, info.size, info.flags);
		if (!size) {
			ASSERT_EQ(0, info.flags);
			continue;
		}
		ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
			  info.flags & (VFIO_REGION_INFO_FLAG_READ |
					VFIO_REGION_INFO_FLAG_WRITE));
		/* I/O port BARs are never mmap-able; page-sized+ MEM ones are. */
		if (flags & RVFIO_IORESOURCE_IO) {
			ASSERT_FALSE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
		} else if (size >= (uint64_t)getpagesize()) {
			ASSERT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
		}
	}

	/* ROM: read-only if present, else size 0 and no flags. */
	ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_ROM_REGION_INDEX, &info, sizeof(info)));
	ASSERT_EQ(region_off(VFIO_PCI_ROM_REGION_INDEX), info.offset);
	if (info.size) {
		ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ, info.flags);
	} else {
		ASSERT_EQ(0, info.flags);
	}
	TH_LOG("ROM size %#llx flags %#x", info.size, info.flags);

	/* Config: the config size, read/write, no mmap. */
	ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_CONFIG_REGION_INDEX, &info, sizeof(info)));
	ASSERT_EQ(region_off(VFIO_PCI_CONFIG_REGION_INDEX), info.offset);
	ASSERT_EQ(cfg_size, info.size);
	ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, info.flags);

	/* VGA only on a VGA-class device (rvfio_vga_test checks it); past the last region: EINVAL. */
	if (cfg[PCI_CLASS_DEVICE + 1] == 0x03 && cfg[PCI_CLASS_DEVICE] == 0x00) {
		ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_VGA_REGION_INDEX, &info, sizeof(info)));
	} else {
		ASSERT_EQ(-EINVAL, region_info(self->fd, VFIO_PCI_VGA_REGION_INDEX, &info,
					       sizeof(info)));
	}
	ASSERT_EQ(-EINVAL, region_info(self->fd, VFIO_PCI_NUM_REGIONS, &info, sizeof(info)));
	ASSERT_EQ(-EINVAL, region_info(self->fd, 0x7fffffff, &info, sizeof(info)));
	ASSERT_EQ(-EINVAL, region_info(self->fd, 0xffffffff, &info, sizeof(info)));

	/* argsz: minimum is up to offset (24); 23 fails. */
	ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_CONFIG_REGION_INDEX, &info,
				 offsetofend(struct vfio_region_info, offset)));
	ASSERT_EQ(-EINVAL, region_info(self->fd, VFIO_PCI_CONFIG_REGION_INDEX, &info,
				       offsetofend(struct vfio_region_info, offset) - 1));
	ASSERT_EQ(-EINVAL, region_info(self->fd, 0, &info, 0));
}

/* The MSI-X BAR reports the MSIX_MAPPABLE capability through the chain. */
TEST_F(region, msix_mappable_cap)
{
	int msix = find_cap(self->hcfg, PCI_CAP_ID_MSIX);
	struct vfio_region_info info, *big;
	struct vfio_info_cap_header *hdr;
	int bir;

	if (!msix)
		SKIP(return, "no MSI-X capability");
	bir = le_get(self->hcfg + msix + PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_BIR;

	ASSERT_EQ(0, region_info(self->fd, bir, &info, sizeof(info)));
	ASSERT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_CAPS);
	ASSERT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	/* Too small for the chain: argsz says how much, cap_offset 0. */
	ASSERT_EQ(sizeof(info) + sizeof(struct vfio_info_cap_header), info.argsz);
	ASSERT_EQ(0, info.cap_offset);

	big = calloc(1, info.argsz);
	ASSERT_NE(NULL, big);
	big->argsz = info.argsz;
	big->index = bir;
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, big));
	ASSERT_EQ(sizeof(info), big->cap_offset);
	hdr = (void *)big + big->cap_offset;
	ASSERT_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, hdr->id);
	ASSERT_EQ(1, hdr->version);
	ASSERT_EQ(0, hdr->next);
	free(big);

	/* Other BARs have no capability chain. */
	do {
		int i;

		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			if (i == bir)
				continue;
			ASSERT_EQ(0, region_info(self->fd, i, &info, sizeof(info)));
			ASSERT_FALSE(info.flags & VFIO_REGION_INFO_FLAG_CAPS);
		}
	} while (0);
}

/* BAR access through read/write: bounds and short reads. */
TEST_F(region, bar_bounds)
{
	int i, tested = 0;
	uint8_t buf[16];

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_region_info *ri = &self->device->bars[i].info;
		uint64_t end = region_off(i) + ri->size;

		if (!ri->size) {
			/* Unimplemented BAR: EINVAL for any access. */
			ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, region_off(i)));
			ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, buf, 4, region_off(i)));
			continue;
		}
		ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, end));
		ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 1, end + 0x1000));
		ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, buf, 4, end));
		/* A read straddling the end is cut short. */
		ASSERT_EQ(2, rvfio_pread(self->fd, buf, 4, end - 2));
		tested++;
	}
	/* Region indexes past the last: EINVAL. */
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, region_off(VFIO_PCI_NUM_REGIONS)));
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, region_off(0xff)));
	ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, buf, 4, region_off(VFIO_PCI_NUM_REGIONS)));
	/* VGA region not present: EINVAL. */
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 4, region_off(VFIO_PCI_VGA_REGION_INDEX)));
	/* Zero-length: 0. */
	ASSERT_EQ(0, rvfio_pread(self->fd, buf, 0, region_off(0)));
	ASSERT_GT(tested, 0);
}

/* Device-specific register reads and writes through the region offsets. */
TEST_F(region, bar_data)
{
	uint32_t v, w;
	uint64_t q;

	if (is_edu(self)) {
		/* edu: 0x00 identification, 0x04 liveness (reads ~written). */
		ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(0)));
		ASSERT_EQ(0xed, v & 0xff);
		w = 0x12345678;
		ASSERT_EQ(4, rvfio_pwrite(self->fd, &w, 4, region_off(0) + 4));
		ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(0) + 4));
		ASSERT_EQ(~w, v);
		/* Same value through the mmap, where BARs are mmap-able. */
		if (self->device->bars[0].vaddr)
			ASSERT_EQ(~w, *(volatile uint32_t *)(self->device->bars[0].vaddr + 4));
	} else if (is_ivshmem(self)) {
		/* ivshmem: BAR2 is shared memory; all widths and alignments. */
		uint8_t pat[37], back[37];
		uint64_t base = region_off(2) + 0x1000;
		int i;

		for (i = 0; i < sizeof(pat); i++)
			pat[i] = 0x30 + i;
		ASSERT_EQ(sizeof(pat), rvfio_pwrite(self->fd, pat, sizeof(pat), base + 3));
		memset(back, 0, sizeof(back));
		ASSERT_EQ(sizeof(back), rvfio_pread(self->fd, back, sizeof(back), base + 3));
		ASSERT_EQ(0, memcmp(pat, back, sizeof(pat)));
		if (self->device->bars[2].vaddr)
			ASSERT_EQ(0, memcmp(pat, self->device->bars[2].vaddr + 0x1003, sizeof(pat)));
		q = 0x0123456789abcdefULL;
		ASSERT_EQ(8, rvfio_pwrite(self->fd, &q, 8, base + 0x100));
		if (self->device->bars[2].vaddr)
			ASSERT_EQ(q, *(volatile uint64_t *)(self->device->bars[2].vaddr + 0x1100));
		q = 0;
		ASSERT_EQ(8, rvfio_pread(self->fd, &q, 8, base + 0x100));
		ASSERT_EQ(0x0123456789abcdefULL, q);
		/* Last bytes of the 1 GiB BAR. */
		ASSERT_EQ(8, rvfio_pwrite(self->fd, &q, 8, region_off(2) + self->device->bars[2].info.size - 8));
		q = 0;
		ASSERT_EQ(8, rvfio_pread(self->fd, &q, 8, region_off(2) + self->device->bars[2].info.size - 8));
		ASSERT_EQ(0x0123456789abcdefULL, q);
	} else if (is_igb(self)) {
		/* igb: STATUS (0x8) equal through read() and the mmap. */
		ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(0) + 8));
		if (self->device->bars[0].vaddr)
			ASSERT_EQ(v, *(volatile uint32_t *)(self->device->bars[0].vaddr + 8));
		ASSERT_NE(0xffffffff, v);
		/* 8-byte read: two registers. */
		ASSERT_EQ(8, rvfio_pread(self->fd, &q, 8, region_off(0) + 8));
		ASSERT_EQ(v, (uint32_t)q);
	} else {
		SKIP(return, "unknown device %04x:%04x", self->vendor, self->devid);
	}
}

/* The MSI-X table is a hole: reads all-ones, writes dropped (not errors). */
TEST_F(region, msix_table_hole)
{
	int msix = find_cap(self->hcfg, PCI_CAP_ID_MSIX);
	uint32_t tbl, pba, nvec, off, v, w;
	uint8_t buf[32];
	int bir, i;

	if (!msix)
		SKIP(return, "no MSI-X capability");
	tbl = le_get(self->hcfg + msix + PCI_MSIX_TABLE, 4);
	pba = le_get(self->hcfg + msix + PCI_MSIX_PBA, 4);
	nvec = (le_get(self->hcfg + msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	bir = tbl & PCI_MSIX_TABLE_BIR;
	off = tbl & PCI_MSIX_TABLE_OFFSET;
	TH_LOG("MSI-X: %u vectors, table BAR%d+%#x, PBA BAR%d+%#x", nvec, bir,
	       off, pba & PCI_MSIX_PBA_BIR, pba & PCI_MSIX_PBA_OFFSET);

	ASSERT_EQ(sizeof(buf), rvfio_pread(self->fd, buf, sizeof(buf), region_off(bir) + off));
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(0xff, buf[i]);
	/* The last table byte, too. */
	ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(bir) + off + nvec * 16 - 4));
	ASSERT_EQ(0xffffffff, v);
	/* Writes are accepted and dropped. */
	w = 0;
	ASSERT_EQ(4, rvfio_pwrite(self->fd, &w, 4, region_off(bir) + off + 8));
	ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(bir) + off + 8));
	ASSERT_EQ(0xffffffff, v);
	/* A read straddling the table start: real bytes then 0xff. */
	if (off >= 4) {
		ASSERT_EQ(8, rvfio_pread(self->fd, buf, 8, region_off(bir) + off - 4));
		for (i = 4; i < 8; i++)
			ASSERT_EQ(0xff, buf[i]);
	}
	/* The PBA is not part of the hole (if it is outside the table). */
	if ((pba & PCI_MSIX_PBA_BIR) == bir &&
	    (pba & PCI_MSIX_PBA_OFFSET) >= off + nvec * 16) {
		ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(bir) +
					 (pba & PCI_MSIX_PBA_OFFSET)));
		ASSERT_NE(0xffffffff, v);
	}
}

/* I/O port BAR: region info, read/write through the region (igb IOADDR). */
TEST_F(region, ioport_bar)
{
	uint64_t start, size, flags;
	uint32_t v, ctrl_mmio, ctrl_io, addr;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		ASSERT_EQ(0, sysfs_resource(device_bdf, bar, &start, &size, &flags));
		if (size && (flags & RVFIO_IORESOURCE_IO))
			break;
	}
	if (bar == PCI_STD_NUM_BARS)
		SKIP(return, "no I/O port BAR");

	ASSERT_EQ(size, self->device->bars[bar].info.size);
	ASSERT_FALSE(self->device->bars[bar].info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(bar)));
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, &v, 4, region_off(bar) + size));
	ASSERT_EQ(2, rvfio_pread(self->fd, &v, 4, region_off(bar) + size - 2));

	if (!is_igb(self))
		return;
	/* igb: IOADDR (0) selects a register, IODATA (4) reads it. */
	addr = 0x8;		/* STATUS */
	ASSERT_EQ(4, rvfio_pwrite(self->fd, &addr, 4, region_off(bar)));
	ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4, region_off(bar)));
	ASSERT_EQ(addr, v);
	ASSERT_EQ(4, rvfio_pread(self->fd, &ctrl_io, 4, region_off(bar) + 4));
	ASSERT_EQ(4, rvfio_pread(self->fd, &ctrl_mmio, 4, region_off(0) + 8));
	ASSERT_EQ(ctrl_mmio, ctrl_io);
}

/* ROM: read-only; the image starts with 55 aa. */
TEST_F(region, rom)
{
	struct vfio_region_info info;
	uint8_t sig[2];
	uint32_t v = 0;

	ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_ROM_REGION_INDEX, &info, sizeof(info)));
	if (!info.size) {
		ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, sig, 2, info.offset));
		SKIP(return, "no ROM");
	}
	ASSERT_EQ(2, rvfio_pread(self->fd, sig, 2, info.offset));
	ASSERT_EQ(0x55, sig[0]);
	ASSERT_EQ(0xaa, sig[1]);
	ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, &v, 4, info.offset));
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, &v, 4, info.offset + info.size));
	/* 8 bytes (done as two dwords: no qword ROM access). */
	do {
		uint64_t q;

		ASSERT_EQ(8, rvfio_pread(self->fd, &q, 8, info.offset));
		ASSERT_EQ(0xaa55, q & 0xffff);
	} while (0);
}

static int irq_info(int fd, uint32_t index, struct vfio_irq_info *ii, uint32_t argsz)
{
	memset(ii, 0, sizeof(*ii));
	ii->argsz = argsz;
	ii->index = index;
	return rvfio_ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, ii);
}

/* GET_IRQ_INFO for the five indexes: counts from config space. */
TEST_F(region, irq_info)
{
	struct vfio_irq_info ii;
	int msi = find_cap(self->hcfg, PCI_CAP_ID_MSI);
	int msix = find_cap(self->hcfg, PCI_CAP_ID_MSIX);
	uint8_t vpin;

	ASSERT_EQ(1, cfg_read(self->device, PCI_INTERRUPT_PIN, &vpin, 1));

	ASSERT_EQ(0, irq_info(self->fd, VFIO_PCI_INTX_IRQ_INDEX, &ii, sizeof(ii)));
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		  VFIO_IRQ_INFO_AUTOMASKED, ii.flags);
	ASSERT_EQ(vpin ? 1 : 0, ii.count);

	ASSERT_EQ(0, irq_info(self->fd, VFIO_PCI_MSI_IRQ_INDEX, &ii, sizeof(ii)));
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, ii.flags);
	ASSERT_EQ(msi ? 1u << ((le_get(self->hcfg + msi + PCI_MSI_FLAGS, 2) &
				 PCI_MSI_FLAGS_QMASK) >> 1) : 0, ii.count);

	ASSERT_EQ(0, irq_info(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, &ii, sizeof(ii)));
	/* NORESIZE unless dynamic MSI-X allocation works (it does with IR). */
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD, ii.flags & ~VFIO_IRQ_INFO_NORESIZE);
	if (msix) {
		ASSERT_EQ(0, ii.flags & VFIO_IRQ_INFO_NORESIZE);
	} else {
		ASSERT_EQ(VFIO_IRQ_INFO_NORESIZE, ii.flags & VFIO_IRQ_INFO_NORESIZE);
	}
	ASSERT_EQ(msix ? (le_get(self->hcfg + msix + PCI_MSIX_FLAGS, 2) &
			  PCI_MSIX_FLAGS_QSIZE) + 1 : 0, ii.count);

	ASSERT_EQ(0, irq_info(self->fd, VFIO_PCI_ERR_IRQ_INDEX, &ii, sizeof(ii)));
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, ii.flags);
	ASSERT_EQ(1, ii.count);

	ASSERT_EQ(0, irq_info(self->fd, VFIO_PCI_REQ_IRQ_INDEX, &ii, sizeof(ii)));
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, ii.flags);
	ASSERT_EQ(1, ii.count);

	ASSERT_EQ(-EINVAL, irq_info(self->fd, VFIO_PCI_NUM_IRQS, &ii, sizeof(ii)));
	ASSERT_EQ(-EINVAL, irq_info(self->fd, 0xffffffff, &ii, sizeof(ii)));
	ASSERT_EQ(-EINVAL, irq_info(self->fd, 0, &ii, sizeof(ii) - 1));
	ASSERT_EQ(-EINVAL, irq_info(self->fd, 0, &ii, 0));
	/* Huge argsz is fine: only the header is copied back. */
	ASSERT_EQ(0, irq_info(self->fd, VFIO_PCI_REQ_IRQ_INDEX, &ii, 0xffffffff));
	ASSERT_EQ(1, ii.count);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
