// SPDX-License-Identifier: GPL-2.0-only
/*
 * The config-space region of a vfio-pci device: which fields are read-only,
 * writable, virtualized; BAR sizing; the capability chains; odd-sized and
 * unaligned accesses.  The expected values are what the C vfio-pci does
 * (drivers/vfio/pci/vfio_pci_config.c); the host's own view of config space
 * (sysfs "config") is the reference for what the hardware holds.
 */
#include <sys/ioctl.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

FIXTURE(cfg) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	int cfg_size;
	uint8_t vcfg[RVFIO_PCI_CFG_MAX];	/* through VFIO */
	uint8_t hcfg[RVFIO_PCI_CFG_MAX];	/* through sysfs (host view) */
};

FIXTURE_SETUP(cfg)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	self->cfg_size = self->device->config_space.size;
	ASSERT_EQ(self->cfg_size, vfio_config_image(self->device, self->vcfg));
	ASSERT_EQ(self->cfg_size, sysfs_config_read(device_bdf, self->hcfg,
						    sizeof(self->hcfg)));
}

FIXTURE_TEARDOWN(cfg)
{
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}


/* Vendor, device, revision, class, subsystem: equal to the host's, RO. */
TEST_F(cfg, header_ids)
{
	static const struct { int off, size; } ro[] = {
		{ PCI_VENDOR_ID, 2 }, { PCI_DEVICE_ID, 2 },
		{ PCI_REVISION_ID, 1 }, { PCI_CLASS_PROG, 1 },
		{ PCI_CLASS_DEVICE, 2 }, { PCI_HEADER_TYPE, 1 },
		{ PCI_SUBSYSTEM_VENDOR_ID, 2 }, { PCI_SUBSYSTEM_ID, 2 },
		{ PCI_CAPABILITY_LIST, 1 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		uint32_t v = RD(ro[i].off, ro[i].size);

		ASSERT_EQ(le_get(self->hcfg + ro[i].off, ro[i].size), v);
		WR(ro[i].off, ro[i].size, ~v);
		ASSERT_EQ(v, RD(ro[i].off, ro[i].size));
		WR(ro[i].off, ro[i].size, 0);
		ASSERT_EQ(v, RD(ro[i].off, ro[i].size));
	}
	/* The whole first dword written at once is dropped too. */
	WR(PCI_VENDOR_ID, 4, 0);
	ASSERT_EQ(le_get(self->hcfg, 4), RD(PCI_VENDOR_ID, 4));
}

/*
 * COMMAND: bus master, memory, INTx disable stick; memory off makes BAR
 * access fail with EIO; INTx disable is virtualized.
 */
TEST_F(cfg, command_register)
{
	uint16_t orig = RD(PCI_COMMAND, 2), v;
	uint32_t data;
	int bar;

	/* pci_enable_device() turned on decoding for the BARs it has. */
	ASSERT_TRUE(orig & PCI_COMMAND_MEMORY);

	WR(PCI_COMMAND, 2, orig | PCI_COMMAND_MASTER);
	ASSERT_TRUE(RD(PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	ASSERT_TRUE(HW(PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	WR(PCI_COMMAND, 2, orig & ~PCI_COMMAND_MASTER);
	ASSERT_FALSE(RD(PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	ASSERT_FALSE(HW(PCI_COMMAND, 2) & PCI_COMMAND_MASTER);

	/* INTx disable: readback follows the write. */
	WR(PCI_COMMAND, 2, orig | PCI_COMMAND_INTX_DISABLE);
	ASSERT_TRUE(RD(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	WR(PCI_COMMAND, 2, orig & ~PCI_COMMAND_INTX_DISABLE);
	ASSERT_FALSE(RD(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);

	/* Memory decode off: reads of memory BARs fail with EIO. */
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		uint64_t s, sz, fl;

		ASSERT_EQ(0, sysfs_resource(device_bdf, bar, &s, &sz, &fl));
		if (sz && (fl & RVFIO_IORESOURCE_MEM))
			break;
	}
	ASSERT_LT(bar, PCI_STD_NUM_BARS);
	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(bar)));
	WR(PCI_COMMAND, 2, orig & ~PCI_COMMAND_MEMORY);
	v = RD(PCI_COMMAND, 2);
	ASSERT_FALSE(v & PCI_COMMAND_MEMORY);
	ASSERT_FALSE(HW(PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	ASSERT_EQ(-EIO, rvfio_pread(self->fd, &data, 4, region_off(bar)));
	ASSERT_EQ(-EIO, rvfio_pwrite(self->fd, &data, 4, region_off(bar)));
	WR(PCI_COMMAND, 2, orig);
	ASSERT_EQ(orig, RD(PCI_COMMAND, 2));
	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(bar)));
}

/* STATUS is read-only as a whole (no RW1C through VFIO either). */
TEST_F(cfg, status_readonly)
{
	uint16_t v = RD(PCI_STATUS, 2);

	ASSERT_EQ(le_get(self->hcfg + PCI_STATUS, 2), v);
	WR(PCI_STATUS, 2, 0xffff);
	ASSERT_EQ(v, RD(PCI_STATUS, 2));
	WR(PCI_STATUS, 2, 0);
	ASSERT_EQ(v, RD(PCI_STATUS, 2));
	/* Command+status as one dword: only the command half takes effect. */
	WR(PCI_COMMAND, 4, (0xffffu << 16) | RD(PCI_COMMAND, 2));
	ASSERT_EQ(v, RD(PCI_STATUS, 2));
}

/* BAR sizing: all-ones reads back the size mask with the type bits. */
TEST_F(cfg, bar_sizing)
{
	int i, sized = 0;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		int off = PCI_BASE_ADDRESS_0 + 4 * i;
		uint64_t start, size, flags;
		uint32_t orig, expect, lowbits;

		ASSERT_EQ(0, sysfs_resource(device_bdf, i, &start, &size, &flags));
		orig = RD(off, 4);
		/* The virtual BAR starts out equal to the hardware BAR. */
		ASSERT_EQ(le_get(self->hcfg + off, 4), orig);

		if (!size) {
			WR(off, 4, ~0u);
			ASSERT_EQ(0, RD(off, 4));
			WR(off, 4, orig);
			continue;
		}
		ASSERT_EQ(size, self->device->bars[i].info.size);

		if (flags & RVFIO_IORESOURCE_IO)
			lowbits = PCI_BASE_ADDRESS_SPACE_IO;
		else
			lowbits = orig & 0xf;
		ASSERT_EQ(!!(flags & RVFIO_IORESOURCE_IO), orig & 1);
		expect = ((uint32_t)~(size - 1) & ~0xfu) | lowbits;
		if (flags & RVFIO_IORESOURCE_IO)
			expect = (uint32_t)~(size - 1) | PCI_BASE_ADDRESS_SPACE_IO;
		WR(off, 4, ~0u);
		ASSERT_EQ(expect, RD(off, 4));
		/* The hardware BAR is not touched. */
		ASSERT_EQ(orig, HW(off, 4));
		WR(off, 4, orig);
		ASSERT_EQ(orig, RD(off, 4));
		sized++;

		if (flags & RVFIO_IORESOURCE_MEM_64) {
			uint32_t ohi, both[2] = { ~0u, ~0u }, got[2];

			ASSERT_EQ(PCI_BASE_ADDRESS_MEM_TYPE_64,
				  orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK);
			ASSERT_LT(i, PCI_STD_NUM_BARS - 1);
			i++;
			off += 4;
			ohi = RD(off, 4);
			ASSERT_EQ(le_get(self->hcfg + off, 4), ohi);
			WR(off, 4, ~0u);
			ASSERT_EQ((uint32_t)(~(size - 1) >> 32), RD(off, 4));
			/* Low dword untouched by the high write. */
			ASSERT_EQ(orig, RD(off - 4, 4));
			WR(off, 4, ohi);
			ASSERT_EQ(ohi, RD(off, 4));
			/* Sizing both halves at once (one 8-byte pwrite). */
			ASSERT_EQ(8, cfg_write(self->device, off - 4, both, 8));
			ASSERT_EQ(8, cfg_read(self->device, off - 4, got, 8));
			ASSERT_EQ(expect, got[0]);
			ASSERT_EQ((uint32_t)(~(size - 1) >> 32), got[1]);
			both[0] = orig;
			both[1] = ohi;
			ASSERT_EQ(8, cfg_write(self->device, off - 4, both, 8));
			ASSERT_EQ(orig, RD(off - 4, 4));
			ASSERT_EQ(ohi, RD(off, 4));
		}
	}
	TH_LOG("%d BARs sized", sized);
	ASSERT_GT(sized, 0);
}

/* ROM BAR: size mask plus the enable bit, or 0 without a ROM. */
TEST_F(cfg, rom_bar_sizing)
{
	uint64_t start, size, flags;
	uint32_t orig = RD(PCI_ROM_ADDRESS, 4);

	ASSERT_EQ(0, sysfs_resource(device_bdf, PCI_ROM_RESOURCE, &start, &size, &flags));
	WR(PCI_ROM_ADDRESS, 4, ~0u);
	if (start) {
		ASSERT_EQ((uint32_t)~(size - 1) | PCI_ROM_ADDRESS_ENABLE,
			  RD(PCI_ROM_ADDRESS, 4));
	} else {
		ASSERT_EQ(0, RD(PCI_ROM_ADDRESS, 4));
	}
	/* Enable bit alone: kept (virtual), address bits cleared. */
	WR(PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_ENABLE);
	ASSERT_EQ(start ? PCI_ROM_ADDRESS_ENABLE : 0, RD(PCI_ROM_ADDRESS, 4));
	WR(PCI_ROM_ADDRESS, 4, orig);
	if (!start)
		SKIP(return, "no ROM BAR (resource 6 unassigned)");
	ASSERT_EQ(orig, RD(PCI_ROM_ADDRESS, 4));
}

/* Cache line size writable (to hardware); interrupt line virtualized; pin RO. */
TEST_F(cfg, header_misc)
{
	uint8_t cls = RD(PCI_CACHE_LINE_SIZE, 1);
	uint8_t line = RD(PCI_INTERRUPT_LINE, 1);
	uint8_t hwline = self->hcfg[PCI_INTERRUPT_LINE];
	uint8_t pin = RD(PCI_INTERRUPT_PIN, 1);
	uint8_t lat = RD(PCI_LATENCY_TIMER, 1);
	uint8_t newline = hwline ^ 0x5a;

	WR(PCI_CACHE_LINE_SIZE, 1, 0x10);
	ASSERT_EQ(0x10, RD(PCI_CACHE_LINE_SIZE, 1));
	ASSERT_EQ(0x10, HW(PCI_CACHE_LINE_SIZE, 1));
	WR(PCI_CACHE_LINE_SIZE, 1, cls);
	ASSERT_EQ(cls, RD(PCI_CACHE_LINE_SIZE, 1));

	/* Latency timer: passed to hardware, so equal to the host's view. */
	WR(PCI_LATENCY_TIMER, 1, 0x40);
	ASSERT_EQ(HW(PCI_LATENCY_TIMER, 1), RD(PCI_LATENCY_TIMER, 1));
	WR(PCI_LATENCY_TIMER, 1, lat);

	WR(PCI_INTERRUPT_LINE, 1, newline);
	ASSERT_EQ(newline, RD(PCI_INTERRUPT_LINE, 1));
	ASSERT_EQ(hwline, HW(PCI_INTERRUPT_LINE, 1));
	WR(PCI_INTERRUPT_LINE, 1, line);
	ASSERT_EQ(line, RD(PCI_INTERRUPT_LINE, 1));

	/* The pin is what the host has (or 0 if INTx is hidden), read-only. */
	ASSERT_TRUE(pin == self->hcfg[PCI_INTERRUPT_PIN] || pin == 0);
	WR(PCI_INTERRUPT_PIN, 1, pin ^ 0xff);
	ASSERT_EQ(pin, RD(PCI_INTERRUPT_PIN, 1));
	/* INTx count follows the virtual pin. */
	do {
		struct vfio_irq_info ii = { .argsz = sizeof(ii),
					    .index = VFIO_PCI_INTX_IRQ_INDEX };

		ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
		ASSERT_EQ(!!pin, ii.count);
	} while (0);

	/* Min_Gnt/Max_Lat read-only. */
	do {
		uint16_t mg = RD(PCI_MIN_GNT, 2);

		WR(PCI_MIN_GNT, 2, 0xffff);
		ASSERT_EQ(mg, RD(PCI_MIN_GNT, 2));
	} while (0);
}

static bool std_cap_known(uint8_t id)
{
	return id == PCI_CAP_ID_PM || id == PCI_CAP_ID_MSI ||
	       id == PCI_CAP_ID_MSIX || id == PCI_CAP_ID_EXP ||
	       id == PCI_CAP_ID_VPD || id == PCI_CAP_ID_PCIX ||
	       id == PCI_CAP_ID_AF || id == PCI_CAP_ID_VNDR;
}

/*
 * The standard chain through VFIO: in bounds, aligned, no loops, a
 * subsequence of the host's chain at the same offsets, and every
 * capability vfio-pci knows is kept.
 */
TEST_F(cfg, cap_chain)
{
	int vpos, hpos, n = 0, loops = 48;
	int hseen[256] = { 0 };

	ASSERT_EQ(self->hcfg[PCI_STATUS] & PCI_STATUS_CAP_LIST,
		  self->vcfg[PCI_STATUS] & PCI_STATUS_CAP_LIST);
	if (!(self->vcfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		SKIP(return, "no capability list");

	hpos = self->hcfg[PCI_CAPABILITY_LIST];
	vpos = self->vcfg[PCI_CAPABILITY_LIST];
	while (vpos && loops--) {
		ASSERT_GE(vpos, PCI_STD_HEADER_SIZEOF);
		ASSERT_LE(vpos, PCI_CFG_SPACE_SIZE - 4);
		ASSERT_EQ(0, vpos & 3);
		/* Advance the host chain to this position. */
		while (hpos && hpos != vpos) {
			/* Skipped by VFIO: must be one it does not know. */
			ASSERT_FALSE(std_cap_known(self->hcfg[hpos]));
			hpos = self->hcfg[hpos + 1];
		}
		ASSERT_EQ(vpos, hpos);
		ASSERT_EQ(self->hcfg[hpos], self->vcfg[vpos]);
		TH_LOG("cap %#04x at %#04x", self->vcfg[vpos], vpos);
		hseen[vpos] = 1;
		n++;
		vpos = self->vcfg[vpos + 1];
		hpos = self->hcfg[hpos + 1];
	}
	ASSERT_GT(loops, 0);
	/* Whatever remains of the host chain is unknown to vfio-pci. */
	while (hpos && hpos < PCI_CFG_SPACE_SIZE && !hseen[hpos]) {
		ASSERT_FALSE(std_cap_known(self->hcfg[hpos]));
		hseen[hpos] = 1;
		hpos = self->hcfg[hpos + 1];
	}
	ASSERT_GT(n, 0);
	/* The capability ID pointer and next pointers are read-only. */
	WR(PCI_CAPABILITY_LIST, 1, 0);
	ASSERT_EQ(self->vcfg[PCI_CAPABILITY_LIST], RD(PCI_CAPABILITY_LIST, 1));
	vpos = self->vcfg[PCI_CAPABILITY_LIST];
	WR(vpos, 2, 0);
	ASSERT_EQ(le_get(self->vcfg + vpos, 2), RD(vpos, 2));
}

/* Extended chain: subset of the host's, headers read-only. */
TEST_F(cfg, ecap_chain)
{
	int vpos = PCI_CFG_SPACE_SIZE, loops = (4096 - 256) / 8, n = 0;
	int need[] = { PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_SRIOV,
		       PCI_EXT_CAP_ID_ARI, PCI_EXT_CAP_ID_DSN,
		       PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_LTR };
	int i;

	if (self->cfg_size <= PCI_CFG_SPACE_SIZE)
		SKIP(return, "no extended config space");

	while (vpos && loops--) {
		uint32_t vh = le_get(self->vcfg + vpos, 4);
		uint32_t hh = le_get(self->hcfg + vpos, 4);

		ASSERT_GE(vpos, PCI_CFG_SPACE_SIZE);
		ASSERT_LE(vpos, self->cfg_size - 4);
		ASSERT_EQ(0, vpos & 3);
		if (!vh)
			break;
		if (PCI_EXT_CAP_ID(vh)) {
			/* A real capability: same ID and version as the host. */
			ASSERT_EQ(PCI_EXT_CAP_ID(hh), PCI_EXT_CAP_ID(vh));
			ASSERT_EQ(PCI_EXT_CAP_VER(hh), PCI_EXT_CAP_VER(vh));
			n++;
		}
		TH_LOG("ecap %#06x v%d at %#05x (next %#05x)", PCI_EXT_CAP_ID(vh),
		       PCI_EXT_CAP_VER(vh), vpos, PCI_EXT_CAP_NEXT(vh));
		/* Header read-only. */
		WR(vpos, 4, 0);
		ASSERT_EQ(vh, RD(vpos, 4));
		WR(vpos, 4, ~0u);
		ASSERT_EQ(vh, RD(vpos, 4));
		vpos = PCI_EXT_CAP_NEXT(vh);
	}
	ASSERT_GT(loops, 0);
	/* Every host ecap vfio-pci knows is kept at the same place. */
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		int hp = find_ecap(self->hcfg, self->cfg_size, need[i]);

		if (hp) {
			ASSERT_EQ(hp, find_ecap(self->vcfg, self->cfg_size, need[i]));
		}
	}
	TH_LOG("%d extended capabilities", n);
}

/* Power management: PMC RO with PME support hidden; PMCSR state changes. */
TEST_F(cfg, cap_pm)
{
	int pm = find_cap(self->vcfg, PCI_CAP_ID_PM);
	uint32_t dw0, ctrl, data;

	if (!pm)
		SKIP(return, "no PM capability");

	dw0 = RD(pm, 4);
	/* PME support is virtualized to zero. */
	ASSERT_EQ(0, (dw0 >> 16) & PCI_PM_CAP_PME_MASK);
	ASSERT_EQ(le_get(self->hcfg + pm + 2, 2) & ~PCI_PM_CAP_PME_MASK,
		  (dw0 >> 16) & ~PCI_PM_CAP_PME_MASK);
	WR(pm, 4, ~0u);
	ASSERT_EQ(dw0, RD(pm, 4));
	WR(pm + PCI_PM_PMC, 2, 0);
	ASSERT_EQ(dw0, RD(pm, 4));

	ctrl = RD(pm + PCI_PM_CTRL, 2);
	ASSERT_EQ(PCI_D0, ctrl & PCI_PM_CTRL_STATE_MASK);
	/* PME enable/status are virtualized and stay clear. */
	ASSERT_EQ(0, ctrl & (PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS));
	WR(pm + PCI_PM_CTRL, 2, ctrl | PCI_PM_CTRL_PME_ENABLE);
	ASSERT_EQ(0, RD(pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_PME_ENABLE);

	/* D3hot through PMCSR: the state reads back, BARs stop working. */
	WR(pm + PCI_PM_CTRL, 2, (ctrl & ~PCI_PM_CTRL_STATE_MASK) | 3);
	ASSERT_EQ(3, RD(pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(3, HW(pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(-EIO, rvfio_pread(self->fd, &data, 4, region_off(0)));
	WR(pm + PCI_PM_CTRL, 2, ctrl & ~PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(PCI_D0, RD(pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(0)));
	/* Back in D0 with the BARs and command restored. */
	ASSERT_EQ(le_get(self->vcfg + PCI_BASE_ADDRESS_0, 4), RD(PCI_BASE_ADDRESS_0, 4));
	ASSERT_TRUE(RD(PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
}

/* MSI: flags virtualized (enable only via ioctl), address/data virtual. */
TEST_F(cfg, cap_msi)
{
	int msi = find_cap(self->vcfg, PCI_CAP_ID_MSI);
	uint16_t flags, hflags;
	uint32_t addr;
	int data_off;

	if (!msi)
		SKIP(return, "no MSI capability");

	/*
	 * Make msi_qmax deterministic: enable one vector, disable.  While
	 * enabled through the ioctl, the hardware has MSI enabled but the
	 * (virtual) flags read through VFIO still say disabled.
	 */
	vfio_pci_msi_enable(self->device, 0, 1);
	ASSERT_FALSE(RD(msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	ASSERT_TRUE(HW(msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	vfio_pci_msi_disable(self->device);
	ASSERT_FALSE(HW(msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);

	flags = RD(msi + PCI_MSI_FLAGS, 2);
	hflags = HW(msi + PCI_MSI_FLAGS, 2);
	ASSERT_FALSE(flags & PCI_MSI_FLAGS_ENABLE);
	/* QMASK reads as what the last ioctl enable allowed (1 vector). */
	ASSERT_EQ(0, flags & PCI_MSI_FLAGS_QMASK);
	ASSERT_EQ(hflags & (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT),
		  flags & (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT));

	/* Enable through config space is refused (stays 0); QSIZE clamped. */
	WR(msi + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	ASSERT_EQ(flags & ~PCI_MSI_FLAGS_QSIZE, RD(msi + PCI_MSI_FLAGS, 2) & ~PCI_MSI_FLAGS_QSIZE);
	ASSERT_EQ(0, RD(msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QSIZE);
	ASSERT_FALSE(HW(msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	/* The upper byte of flags is read-only. */
	WR(msi + PCI_MSI_FLAGS + 1, 1, 0xff);
	ASSERT_EQ(flags >> 8, RD(msi + PCI_MSI_FLAGS + 1, 1));
	WR(msi + PCI_MSI_FLAGS, 2, flags);

	/* Address and data: fully writable, virtual (hardware unchanged). */
	addr = HW(msi + PCI_MSI_ADDRESS_LO, 4);
	WR(msi + PCI_MSI_ADDRESS_LO, 4, 0xfee0123f);
	ASSERT_EQ(0xfee0123f, RD(msi + PCI_MSI_ADDRESS_LO, 4));
	ASSERT_EQ(addr, HW(msi + PCI_MSI_ADDRESS_LO, 4));
	data_off = (flags & PCI_MSI_FLAGS_64BIT) ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	if (flags & PCI_MSI_FLAGS_64BIT) {
		WR(msi + PCI_MSI_ADDRESS_HI, 4, 0x12345678);
		ASSERT_EQ(0x12345678, RD(msi + PCI_MSI_ADDRESS_HI, 4));
		WR(msi + PCI_MSI_ADDRESS_HI, 4, 0);
	}
	WR(msi + data_off, 2, 0xa5c3);
	ASSERT_EQ(0xa5c3, RD(msi + data_off, 2));
	WR(msi + data_off, 2, 0);
	WR(msi + PCI_MSI_ADDRESS_LO, 4, 0);
	/* The ID/next bytes are read-only. */
	WR(msi, 2, 0);
	ASSERT_EQ(le_get(self->vcfg + msi, 2), RD(msi, 2));
}

/* MSI-X: the whole capability is read-only through config space. */
TEST_F(cfg, cap_msix)
{
	int msix = find_cap(self->vcfg, PCI_CAP_ID_MSIX);
	uint32_t dw[3];
	int i;

	if (!msix)
		SKIP(return, "no MSI-X capability");

	for (i = 0; i < 3; i++) {
		dw[i] = RD(msix + 4 * i, 4);
		if (i) {
			ASSERT_EQ(le_get(self->hcfg + msix + 4 * i, 4), dw[i]);
		}
	}
	ASSERT_EQ(le_get(self->hcfg + msix + 2, 2), dw[0] >> 16);
	/* Enable and function mask are not writable (MSI-X goes via ioctl). */
	WR(msix + PCI_MSIX_FLAGS, 2,
	   (dw[0] >> 16) | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ASSERT_EQ(dw[0], RD(msix, 4));
	ASSERT_FALSE(HW(msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	for (i = 0; i < 3; i++) {
		WR(msix + 4 * i, 4, ~0u);
		ASSERT_EQ(dw[i], RD(msix + 4 * i, 4));
		WR(msix + 4 * i, 4, 0);
		ASSERT_EQ(dw[i], RD(msix + 4 * i, 4));
	}
	/* Table size agrees with GET_IRQ_INFO. */
	ASSERT_EQ(((dw[0] >> 16) & PCI_MSIX_FLAGS_QSIZE) + 1,
		  self->device->msix_info.count);
}

/* PCI Express: DEVCTL partly virtual; capability registers read-only. */
TEST_F(cfg, cap_exp)
{
	int exp = find_cap(self->vcfg, PCI_CAP_ID_EXP);
	static const int ro_dw[] = { 0, PCI_EXP_DEVCAP, PCI_EXP_LNKCAP,
				     PCI_EXP_LNKCTL, PCI_EXP_DEVCAP2 };
	uint16_t ctl, hctl, newctl;
	int i;

	if (!exp)
		SKIP(return, "no PCI Express capability");

	for (i = 0; i < ARRAY_SIZE(ro_dw); i++) {
		uint32_t v = RD(exp + ro_dw[i], 4);

		WR(exp + ro_dw[i], 4, ~0u);
		ASSERT_EQ(v, RD(exp + ro_dw[i], 4));
		WR(exp + ro_dw[i], 4, 0);
		ASSERT_EQ(v, RD(exp + ro_dw[i], 4));
	}
	/* DEVSTA (upper half of the DEVCTL dword) is read-only. */
	do {
		uint16_t sta = RD(exp + PCI_EXP_DEVSTA, 2);

		WR(exp + PCI_EXP_DEVSTA, 2, 0);
		ASSERT_EQ(sta, RD(exp + PCI_EXP_DEVSTA, 2));
	} while (0);

	ctl = RD(exp + PCI_EXP_DEVCTL, 2);
	hctl = HW(exp + PCI_EXP_DEVCTL, 2);
	/* MPS is virtual: a new value reads back, hardware keeps its own. */
	newctl = (ctl & ~PCI_EXP_DEVCTL_PAYLOAD) |
		 ((ctl & PCI_EXP_DEVCTL_PAYLOAD) ^ PCI_EXP_DEVCTL_PAYLOAD_256B);
	WR(exp + PCI_EXP_DEVCTL, 2, newctl);
	ASSERT_EQ(newctl & PCI_EXP_DEVCTL_PAYLOAD,
		  RD(exp + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_PAYLOAD);
	ASSERT_EQ(hctl & PCI_EXP_DEVCTL_PAYLOAD,
		  HW(exp + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_PAYLOAD);
	/* Phantom functions enable is not writable. */
	WR(exp + PCI_EXP_DEVCTL, 2, ctl ^ PCI_EXP_DEVCTL_PHANTOM);
	ASSERT_EQ(ctl & PCI_EXP_DEVCTL_PHANTOM,
		  RD(exp + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_PHANTOM);
	/* FLR bit reads back as zero. */
	ASSERT_FALSE(RD(exp + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_BCR_FLR);
	WR(exp + PCI_EXP_DEVCTL, 2, ctl);
	ASSERT_EQ(ctl, RD(exp + PCI_EXP_DEVCTL, 2));
}

/*
 * Every dword that the C driver treats as read-only: writes of all-ones
 * and zeros leave it as it was (ext cap headers, AER header log, SR-IOV,
 * ARI, DSN...).
 */
TEST_F(cfg, ecap_readonly_sweep)
{
	struct { int id, from, to; } ro[] = {
		{ PCI_EXT_CAP_ID_ERR, PCI_ERR_HEADER_LOG, PCI_ERR_ROOT_COMMAND },
		{ PCI_EXT_CAP_ID_SRIOV, 0, PCI_EXT_CAP_SRIOV_SIZEOF },
		{ PCI_EXT_CAP_ID_ARI, 0, PCI_EXT_CAP_ARI_SIZEOF },
		{ PCI_EXT_CAP_ID_DSN, 0, PCI_EXT_CAP_DSN_SIZEOF },
		{ PCI_EXT_CAP_ID_ATS, 0, PCI_EXT_CAP_ATS_SIZEOF },
		{ PCI_EXT_CAP_ID_LTR, 0, PCI_EXT_CAP_LTR_SIZEOF },
	};
	int i, off, n = 0;

	if (self->cfg_size <= PCI_CFG_SPACE_SIZE)
		SKIP(return, "no extended config space");

	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		int pos = find_ecap(self->vcfg, self->cfg_size, ro[i].id);

		if (!pos)
			continue;
		for (off = ro[i].from; off < ro[i].to; off += 4) {
			uint32_t v = RD(pos + off, 4);

			WR(pos + off, 4, ~0u);
			ASSERT_EQ(v, RD(pos + off, 4));
			WR(pos + off, 4, 0);
			ASSERT_EQ(v, RD(pos + off, 4));
			n++;
		}
	}
	if (!n)
		SKIP(return, "no read-only extended capability registers");
	TH_LOG("%d read-only dwords checked", n);
}

/* AER: the writable masks of the C driver and read-only ID dword. */
TEST_F(cfg, ecap_aer)
{
	int aer = find_ecap(self->vcfg, self->cfg_size, PCI_EXT_CAP_ID_ERR);
	uint32_t umask, cmask, cap;
	uint32_t uwr = PCI_ERR_UNC_UND | PCI_ERR_UNC_DLP | PCI_ERR_UNC_SURPDN |
		PCI_ERR_UNC_POISON_TLP | PCI_ERR_UNC_FCP | PCI_ERR_UNC_COMP_TIME |
		PCI_ERR_UNC_COMP_ABORT | PCI_ERR_UNC_UNX_COMP | PCI_ERR_UNC_RX_OVER |
		PCI_ERR_UNC_MALF_TLP | PCI_ERR_UNC_ECRC | PCI_ERR_UNC_UNSUP |
		PCI_ERR_UNC_ACSV | PCI_ERR_UNC_INTN | PCI_ERR_UNC_MCBTLP |
		PCI_ERR_UNC_ATOMEG | PCI_ERR_UNC_TLPPRE;
	uint32_t got;

	if (!aer)
		SKIP(return, "no AER capability");

	/* Uncorrectable mask: bits outside the writable set never change. */
	umask = RD(aer + PCI_ERR_UNCOR_MASK, 4);
	WR(aer + PCI_ERR_UNCOR_MASK, 4, ~0u);
	got = RD(aer + PCI_ERR_UNCOR_MASK, 4);
	ASSERT_EQ(umask & ~uwr, got & ~uwr);
	ASSERT_EQ(got, HW(aer + PCI_ERR_UNCOR_MASK, 4));
	WR(aer + PCI_ERR_UNCOR_MASK, 4, 0);
	ASSERT_EQ(umask & ~uwr, RD(aer + PCI_ERR_UNCOR_MASK, 4) & ~uwr);
	WR(aer + PCI_ERR_UNCOR_MASK, 4, umask);
	ASSERT_EQ(umask, RD(aer + PCI_ERR_UNCOR_MASK, 4));

	cmask = RD(aer + PCI_ERR_COR_MASK, 4);
	WR(aer + PCI_ERR_COR_MASK, 4, ~0u);
	got = RD(aer + PCI_ERR_COR_MASK, 4);
	ASSERT_EQ(0, (got ^ cmask) & ~(PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP |
		PCI_ERR_COR_BAD_DLLP | PCI_ERR_COR_REP_ROLL | PCI_ERR_COR_REP_TIMER |
		PCI_ERR_COR_ADV_NFAT | PCI_ERR_COR_INTERNAL | PCI_ERR_COR_LOG_OVER));
	WR(aer + PCI_ERR_COR_MASK, 4, cmask);
	ASSERT_EQ(cmask, RD(aer + PCI_ERR_COR_MASK, 4));

	/* Capabilities and control: only ECRC gen/check enable writable. */
	cap = RD(aer + PCI_ERR_CAP, 4);
	WR(aer + PCI_ERR_CAP, 4, ~0u);
	ASSERT_EQ(0, (RD(aer + PCI_ERR_CAP, 4) ^ cap) &
		  ~(PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE));
	WR(aer + PCI_ERR_CAP, 4, cap);
	ASSERT_EQ(cap, RD(aer + PCI_ERR_CAP, 4));
}

/* Sizes 1, 2, 3, 4, 8 at aligned and unaligned offsets agree with dwords. */
TEST_F(cfg, odd_sized_reads)
{
	static const int sizes[] = { 1, 2, 3, 4, 8, 5, 7 };
	uint8_t buf[16];
	int s, off;

	/* Offsets 0x00..0x0f: IDs, command/status, class and such; compare
	 * with the one-pread image taken at setup (status may only differ
	 * in bits the device changes by itself, so skip 0x06/0x07). */
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (off = 0; off + sizes[s] <= 0x10; off++) {
			int i;

			memset(buf, 0xcc, sizeof(buf));
			ASSERT_EQ(sizes[s], cfg_read(self->device, off, buf, sizes[s]));
			for (i = 0; i < sizes[s]; i++) {
				if (off + i == 6 || off + i == 7)
					continue;
				ASSERT_EQ(self->vcfg[off + i], buf[i]);
			}
			ASSERT_EQ(0xcc, buf[sizes[s]]);
		}
	}
	/* A whole 256-byte standard header in one read equals the image. */
	do {
		uint8_t all[256];

		ASSERT_EQ(256, cfg_read(self->device, 0, all, 256));
		ASSERT_EQ(0, memcmp(all, self->vcfg, 6));
		ASSERT_EQ(0, memcmp(all + 8, self->vcfg + 8, 0x38));
	} while (0);
	/* Zero-length read: 0. */
	ASSERT_EQ(0, cfg_read(self->device, 0, buf, 0));
}

/* Reads and writes that do not fit in config space fail with EFAULT. */
TEST_F(cfg, out_of_range)
{
	uint8_t buf[16];
	int sz = self->cfg_size;

	ASSERT_EQ(-EFAULT, cfg_read(self->device, sz, buf, 1));
	ASSERT_EQ(-EFAULT, cfg_read(self->device, sz - 2, buf, 4));
	ASSERT_EQ(-EFAULT, cfg_read(self->device, sz + 0x1000, buf, 4));
	ASSERT_EQ(-EFAULT, cfg_write(self->device, sz, buf, 1));
	ASSERT_EQ(-EFAULT, cfg_write(self->device, sz - 1, buf, 2));
	ASSERT_EQ(4, cfg_read(self->device, sz - 4, buf, 4));
	ASSERT_EQ(1, cfg_read(self->device, sz - 1, buf, 1));
	/* The whole space in one read. */
	do {
		static uint8_t all[RVFIO_PCI_CFG_MAX + 4];

		ASSERT_EQ(sz, cfg_read(self->device, 0, all, sz));
		ASSERT_EQ(-EFAULT, cfg_read(self->device, 0, all, sz + 4));
	} while (0);
}

/* Unaligned and multi-field writes are split per field and permission. */
TEST_F(cfg, odd_sized_writes)
{
	uint8_t line = RD(PCI_INTERRUPT_LINE, 1);
	uint8_t pin = RD(PCI_INTERRUPT_PIN, 1);
	uint16_t mg = RD(PCI_MIN_GNT, 2);
	uint8_t cls = RD(PCI_CACHE_LINE_SIZE, 1);
	uint8_t b[8];

	/* 3 bytes at 0x3c: line written, pin and min_gnt not. */
	b[0] = line ^ 0x33; b[1] = pin ^ 0xff; b[2] = 0xff;
	ASSERT_EQ(3, cfg_write(self->device, PCI_INTERRUPT_LINE, b, 3));
	ASSERT_EQ((uint8_t)(line ^ 0x33), RD(PCI_INTERRUPT_LINE, 1));
	ASSERT_EQ(pin, RD(PCI_INTERRUPT_PIN, 1));
	ASSERT_EQ(mg, RD(PCI_MIN_GNT, 2));

	/* 2 bytes at odd offset 0x3d: pin + min_gnt, both read-only. */
	b[0] = 0xff; b[1] = 0xff;
	ASSERT_EQ(2, cfg_write(self->device, PCI_INTERRUPT_PIN, b, 2));
	ASSERT_EQ(pin, RD(PCI_INTERRUPT_PIN, 1));
	ASSERT_EQ(mg, RD(PCI_MIN_GNT, 2));

	/* 8 bytes at 0x38: reserved dword (read-only) + line/pin/min_gnt. */
	do {
		uint32_t rsvd = RD(0x38, 4);
		uint32_t w[2] = { ~rsvd, (uint32_t)(line ^ 0x44) |
				  ((uint32_t)(pin ^ 0xff) << 8) | 0xffff0000u };

		ASSERT_EQ(8, cfg_write(self->device, 0x38, w, 8));
		ASSERT_EQ(rsvd, RD(0x38, 4));
		ASSERT_EQ((uint8_t)(line ^ 0x44), RD(PCI_INTERRUPT_LINE, 1));
		ASSERT_EQ(pin, RD(PCI_INTERRUPT_PIN, 1));
		ASSERT_EQ(mg, RD(PCI_MIN_GNT, 2));
	} while (0);
	WR(PCI_INTERRUPT_LINE, 1, line);

	/* Unaligned 2-byte write at 0x0b..0x0c: class (RO) + cache line. */
	b[0] = 0x00; b[1] = 0x08;
	ASSERT_EQ(2, cfg_write(self->device, PCI_CLASS_DEVICE + 1, b, 2));
	ASSERT_EQ(self->vcfg[PCI_CLASS_DEVICE + 1], RD(PCI_CLASS_DEVICE + 1, 1));
	ASSERT_EQ(0x08, RD(PCI_CACHE_LINE_SIZE, 1));
	WR(PCI_CACHE_LINE_SIZE, 1, cls);
	ASSERT_EQ(cls, RD(PCI_CACHE_LINE_SIZE, 1));
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
