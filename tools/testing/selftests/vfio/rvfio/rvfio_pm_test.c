// SPDX-License-Identifier: GPL-2.0-only
/*
 * Power states entered through the PM capability's control register, and
 * what a reset or the way back to D0 leaves behind.  The expected results
 * are the C vfio-pci's (vfio_pci_set_power_state() in vfio_pci_core.c,
 * vfio_pm_config_write() in vfio_pci_config.c):
 *
 *  - a function reset (VFIO_DEVICE_RESET) or a hot reset taken while the
 *    device is in D3hot first brings it back to D0, so the BARs answer
 *    again afterwards;
 *  - the config state the device had when it entered D3hot is what it has
 *    after coming back, whether back by a write of D0 to the control
 *    register or through a function reset.
 */
#include <sys/ioctl.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

FIXTURE(pm) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	int cfg_size;
	int pm;			/* PM capability offset, 0 if none */
	int bar;		/* first memory BAR, -1 if none */
	uint8_t vcfg[RVFIO_PCI_CFG_MAX];
	uint8_t hcfg[RVFIO_PCI_CFG_MAX];
};

FIXTURE_SETUP(pm)
{
	int i;

	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	self->cfg_size = self->device->config_space.size;
	ASSERT_EQ(self->cfg_size, vfio_config_image(self->device, self->vcfg));
	ASSERT_EQ(self->cfg_size, sysfs_config_read(device_bdf, self->hcfg,
						    sizeof(self->hcfg)));
	self->pm = find_cap(self->vcfg, PCI_CAP_ID_PM);
	self->bar = -1;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		uint64_t s, sz, fl;

		ASSERT_EQ(0, sysfs_resource(device_bdf, i, &s, &sz, &fl));
		if (sz && (fl & RVFIO_IORESOURCE_MEM)) {
			self->bar = i;
			break;
		}
	}
}

FIXTURE_TEARDOWN(pm)
{
	/* Leave the device in D0 whatever the test did. */
	if (self->pm) {
		uint16_t ctrl = 0;

		cfg_read(self->device, self->pm + PCI_PM_CTRL, &ctrl, 2);
		if (ctrl & PCI_PM_CTRL_STATE_MASK) {
			ctrl &= ~PCI_PM_CTRL_STATE_MASK;
			cfg_write(self->device, self->pm + PCI_PM_CTRL, &ctrl, 2);
		}
	}
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}


/* Writes power state _state (0..3) to the PM control register. */
#define SET_STATE(_state) do {						\
	uint32_t __c = RD(self->pm + PCI_PM_CTRL, 2);			\
									\
	WR(self->pm + PCI_PM_CTRL, 2,					\
	   (__c & ~PCI_PM_CTRL_STATE_MASK) | (_state));			\
	ASSERT_EQ((_state), RD(self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK); \
	ASSERT_EQ((_state), HW(self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK); \
} while (0)

static int hot_reset_cdev(int fd)
{
	struct vfio_pci_hot_reset h = { .argsz = sizeof(h) };

	return rvfio_ioctl(fd, VFIO_DEVICE_PCI_HOT_RESET, &h);
}

/*
 * D3hot through the control register, then VFIO_DEVICE_RESET: the reset
 * takes the device back to D0 first, so the BAR reads again afterwards.
 */
TEST_F(pm, d3hot_reset_bar_access)
{
	uint32_t data;
	ssize_t r;

	if (!self->pm)
		SKIP(return, "no PM capability");
	if (!(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "no function reset (VFIO_DEVICE_FLAGS_RESET clear)");
	ASSERT_LE(0, self->bar);

	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(self->bar)));
	SET_STATE(3);
	/* In D3hot the BAR is off limits. */
	ASSERT_EQ(-EIO, rvfio_pread(self->fd, &data, 4, region_off(self->bar)));

	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	/* Back in D0, in the virtual register and on the device. */
	ASSERT_EQ(0, RD(self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(0, HW(self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_TRUE(RD(PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	r = rvfio_pread(self->fd, &data, 4, region_off(self->bar));
	if (r != 4)
		TH_LOG("BAR%d read after D3hot + VFIO_DEVICE_RESET: expected 4 bytes, got %zd (%s)",
		       self->bar, r, r < 0 ? strerror((int)-r) : "short");
	ASSERT_EQ(4, r);
	/* A second reset, now from D0, changes nothing. */
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(self->bar)));
}

/*
 * D3hot, then a hot reset (cdev form, empty fd array): the C driver puts
 * every device of the set back in D0 before it resets the bus, so the BAR
 * reads again even when the bus reset itself fails (in the test VM the
 * root port's link does not come back: ENOTTY).
 */
TEST_F(pm, d3hot_hot_reset_bar_access)
{
	struct vfio_pci_hot_reset_info hi = { .argsz = sizeof(hi) };
	uint32_t data;
	ssize_t r;
	int ret;

	if (!self->pm)
		SKIP(return, "no PM capability");
	if (self->iommu->mode->container_path)
		SKIP(return, "device opened through a group (cdev form only)");
	ret = rvfio_ioctl(self->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hi);
	if (ret == -ENODEV)
		SKIP(return, "on a root bus: no slot or bus reset (ENODEV)");
	ASSERT_TRUE(ret == 0 || ret == -ENOSPC);
	ASSERT_LE(0, self->bar);

	SET_STATE(3);
	ASSERT_EQ(-EIO, rvfio_pread(self->fd, &data, 4, region_off(self->bar)));
	ret = hot_reset_cdev(self->fd);
	TH_LOG("hot reset from D3hot: %d", ret);
	ASSERT_TRUE(ret == 0 || ret == -ENOTTY);
	ASSERT_EQ(0, RD(self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(0, HW(self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	r = rvfio_pread(self->fd, &data, 4, region_off(self->bar));
	if (r != 4)
		TH_LOG("BAR%d read after D3hot + hot reset: expected 4 bytes, got %zd (%s)",
		       self->bar, r, r < 0 ? strerror((int)-r) : "short");
	ASSERT_EQ(4, r);
}

/* The state compared around a power or reset transition. */
struct snap {
	uint8_t v[RVFIO_PCI_CFG_MAX];	/* through VFIO */
	uint8_t h[RVFIO_PCI_CFG_MAX];	/* the device's (sysfs) */
};

static void snapshot(struct vfio_pci_device *d, struct snap *s)
{
	VFIO_ASSERT_EQ(d->config_space.size, vfio_config_image(d, s->v));
	VFIO_ASSERT_LT(0, sysfs_config_read(device_bdf, s->h, sizeof(s->h)));
}

/*
 * Compares the header (without the status register, which the device
 * changes by itself) and the PCI Express control registers of two
 * snapshots, in both views; logs and counts every difference.
 */
static int compare(struct __test_metadata *_metadata, const char *what,
		   const struct snap *a, const struct snap *b)
{
	static const struct { int off, size; const char *name; } exp_regs[] = {
		{ PCI_EXP_DEVCTL, 2, "DEVCTL" }, { PCI_EXP_LNKCTL, 2, "LNKCTL" },
		{ PCI_EXP_DEVCTL2, 2, "DEVCTL2" }, { PCI_EXP_LNKCTL2, 2, "LNKCTL2" },
	};
	int off, i, bad = 0, exp = find_cap(a->v, PCI_CAP_ID_EXP);

	for (off = 0; off < PCI_STD_HEADER_SIZEOF; off++) {
		if (off == PCI_STATUS || off == PCI_STATUS + 1)
			continue;
		if (a->v[off] != b->v[off]) {
			TH_LOG("%s: config byte %#04x through VFIO: expected %#04x (before), got %#04x",
			       what, off, a->v[off], b->v[off]);
			bad++;
		}
		if (a->h[off] != b->h[off]) {
			TH_LOG("%s: config byte %#04x on the device: expected %#04x (before), got %#04x",
			       what, off, a->h[off], b->h[off]);
			bad++;
		}
	}
	for (i = 0; exp && i < ARRAY_SIZE(exp_regs); i++) {
		int o = exp + exp_regs[i].off;

		if (le_get(a->v + o, 2) != le_get(b->v + o, 2)) {
			TH_LOG("%s: PCIe %s through VFIO: expected %#06x, got %#06x", what,
			       exp_regs[i].name, le_get(a->v + o, 2), le_get(b->v + o, 2));
			bad++;
		}
		if (le_get(a->h + o, 2) != le_get(b->h + o, 2)) {
			TH_LOG("%s: PCIe %s on the device: expected %#06x, got %#06x", what,
			       exp_regs[i].name, le_get(a->h + o, 2), le_get(b->h + o, 2));
			bad++;
		}
	}
	return bad;
}

/*
 * Makes the state worth saving differ from what the device had at open:
 * bus master on (vfio-pci turns it off at open), I/O decode and SERR# off
 * (on at open on igb), and another cache line size, all of which reach the
 * device.  A restore of any other saved state (the one taken at open, say)
 * then shows.
 */
#define DIRTY_STATE() do {						\
	uint16_t __cmd = RD(PCI_COMMAND, 2);				\
	uint8_t __cls = RD(PCI_CACHE_LINE_SIZE, 1);			\
									\
	__cmd = (__cmd | PCI_COMMAND_MASTER) &				\
		~(PCI_COMMAND_IO | PCI_COMMAND_SERR);			\
	WR(PCI_COMMAND, 2, __cmd);					\
	ASSERT_EQ(__cmd, HW(PCI_COMMAND, 2));				\
	WR(PCI_CACHE_LINE_SIZE, 1, __cls == 0x10 ? 0x08 : 0x10);	\
	ASSERT_EQ(__cls == 0x10 ? 0x08 : 0x10, HW(PCI_CACHE_LINE_SIZE, 1)); \
} while (0)

/* D3hot, then D0 through the control register: the state is as before. */
TEST_F(pm, d3hot_d0_restores_state)
{
	struct snap before, after;
	uint32_t data;

	if (!self->pm)
		SKIP(return, "no PM capability");
	ASSERT_LE(0, self->bar);

	DIRTY_STATE();
	snapshot(self->device, &before);
	TH_LOG("before D3hot: command %#06x (device %#06x), NoSoftRst%c",
	       le_get(before.v + PCI_COMMAND, 2), le_get(before.h + PCI_COMMAND, 2),
	       le_get(before.h + self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_NO_SOFT_RESET ?
	       '+' : '-');
	SET_STATE(3);
	SET_STATE(0);
	snapshot(self->device, &after);
	TH_LOG("after D0: command %#06x (device %#06x)",
	       le_get(after.v + PCI_COMMAND, 2), le_get(after.h + PCI_COMMAND, 2));
	ASSERT_EQ(0, compare(_metadata, "D3hot -> D0", &before, &after));
	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(self->bar)));
}

/*
 * D3hot, then VFIO_DEVICE_RESET: the reset goes through D0, which brings
 * back the state saved on entering D3hot, and the function reset keeps it.
 */
TEST_F(pm, d3hot_reset_restores_state)
{
	struct snap before, after;
	uint32_t data;

	if (!self->pm)
		SKIP(return, "no PM capability");
	if (!(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "no function reset (VFIO_DEVICE_FLAGS_RESET clear)");
	ASSERT_LE(0, self->bar);

	DIRTY_STATE();
	snapshot(self->device, &before);
	TH_LOG("before D3hot: command %#06x (device %#06x)",
	       le_get(before.v + PCI_COMMAND, 2), le_get(before.h + PCI_COMMAND, 2));
	SET_STATE(3);
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	snapshot(self->device, &after);
	TH_LOG("after the reset: command %#06x (device %#06x)",
	       le_get(after.v + PCI_COMMAND, 2), le_get(after.h + PCI_COMMAND, 2));
	ASSERT_EQ(0, le_get(after.h + self->pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ASSERT_EQ(le_get(before.v + PCI_COMMAND, 2), le_get(after.v + PCI_COMMAND, 2));
	ASSERT_EQ(0, compare(_metadata, "D3hot -> VFIO_DEVICE_RESET", &before, &after));
	ASSERT_EQ(4, rvfio_pread(self->fd, &data, 4, region_off(self->bar)));
}

/* The same without D3hot: a function reset keeps the state (baseline). */
TEST_F(pm, reset_keeps_state)
{
	struct snap before, after;

	if (!(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "no function reset (VFIO_DEVICE_FLAGS_RESET clear)");

	DIRTY_STATE();
	snapshot(self->device, &before);
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	snapshot(self->device, &after);
	ASSERT_EQ(0, compare(_metadata, "VFIO_DEVICE_RESET", &before, &after));
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
