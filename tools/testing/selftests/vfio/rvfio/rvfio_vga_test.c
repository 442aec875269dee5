// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VGA region (VFIO_PCI_VGA_REGION_INDEX) and the ROM's contents.
 *
 * A VGA-class device offers the legacy VGA ranges as region 8: memory
 * 0xa0000-0xbffff and I/O ports 0x3b0-0x3bb and 0x3c0-0x3df, at their own
 * addresses as offsets, everything else in the region invalid; other
 * devices have no such region, nor has any device when vfio-pci is loaded
 * with disable_vga=1 (RVFIO_VGA_DISABLED=1 in the environment).  The ROM region reads as the ROM the PCI
 * core shows in sysfs (for the boot VGA device, the BIOS's shadow copy),
 * all ones past the image.  Expected values: the C vfio-pci.
 */
#include <sys/ioctl.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

#define VGA_REGION_SIZE 0xc0000
#define VGA_SEQ_I	0x3c4
#define VGA_MIS_R	0x3cc
#define VGA_GFX_I	0x3ce
#define VGA_GFX_D	0x3cf
#define VGA_CRT_IC	0x3d4	/* colour; 0x3b4 on a monochrome set-up */
#define VGA_CRT_IM	0x3b4
#define VGA_GFX_MISC	0x06
#define VGA_CRTC_CURSOR_HI 0x0e

static const char *device_bdf;

FIXTURE(vga) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	bool is_vga;
	uint64_t vga;	/* the VGA region's offset */
};

FIXTURE_SETUP(vga)
{
	uint8_t cfg[RVFIO_PCI_CFG_MAX];

	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	ASSERT_LT(0, sysfs_config_read(device_bdf, cfg, sizeof(cfg)));
	self->is_vga = cfg[PCI_CLASS_DEVICE + 1] == 0x03 && cfg[PCI_CLASS_DEVICE] == 0x00;
	/* Loaded with disable_vga=1: no device has the region. */
	if (getenv("RVFIO_VGA_DISABLED"))
		self->is_vga = false;
	self->vga = region_off(VFIO_PCI_VGA_REGION_INDEX);
}

FIXTURE_TEARDOWN(vga)
{
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

static int region_info(int fd, uint32_t index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return rvfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

static int vga_rd8(FIXTURE_DATA(vga) *self, uint32_t addr, uint8_t *v)
{
	return rvfio_pread(self->fd, v, 1, self->vga + addr) == 1 ? 0 : -1;
}

static int vga_wr8(FIXTURE_DATA(vga) *self, uint32_t addr, uint8_t v)
{
	return rvfio_pwrite(self->fd, &v, 1, self->vga + addr) == 1 ? 0 : -1;
}

/* Region info: a VGA device has it, read/write, 0xc0000 bytes; others do not. */
TEST_F(vga, region_info)
{
	struct vfio_region_info info;
	uint8_t b;

	if (!self->is_vga) {
		ASSERT_EQ(-EINVAL, region_info(self->fd, VFIO_PCI_VGA_REGION_INDEX, &info));
		ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, &b, 1, self->vga + VGA_MIS_R));
		ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, &b, 1, self->vga + VGA_SEQ_I));
		ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, &b, 1, self->vga + 0xa0000));
		return;
	}
	ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_VGA_REGION_INDEX, &info));
	ASSERT_EQ(VFIO_PCI_VGA_REGION_INDEX, info.index);
	ASSERT_EQ(self->vga, info.offset);
	ASSERT_EQ(VGA_REGION_SIZE, info.size);
	ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, info.flags);
	ASSERT_EQ(0, info.cap_offset);
}

/* Only the legacy ranges are valid; an access stops at the end of its range. */
TEST_F(vga, bounds)
{
	static const uint32_t bad[] = {
		0, 0x3af, 0x3bc, 0x3bf, 0x3e0, 0x9ffff, 0xc0000, 0xc0001, 0x100000,
	};
	uint8_t buf[16];
	unsigned int i;

	if (!self->is_vga)
		SKIP(return, "not a VGA device");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 1, self->vga + bad[i])) {
			TH_LOG("read at %#x", bad[i]);
		}
		ASSERT_EQ(-EINVAL, rvfio_pwrite(self->fd, buf, 1, self->vga + bad[i])) {
			TH_LOG("write at %#x", bad[i]);
		}
	}
	/* Past the end of the region index's 40-bit offset space too. */
	ASSERT_EQ(-EINVAL, rvfio_pread(self->fd, buf, 1, self->vga + (1ull << 39)));

	ASSERT_EQ(4, rvfio_pread(self->fd, buf, 8, self->vga + 0x3b8));
	ASSERT_EQ(1, rvfio_pread(self->fd, buf, 16, self->vga + 0x3bb));
	ASSERT_EQ(4, rvfio_pread(self->fd, buf, 8, self->vga + 0x3dc));
	ASSERT_EQ(2, rvfio_pread(self->fd, buf, 3, self->vga + 0x3de));
	ASSERT_EQ(16, rvfio_pread(self->fd, buf, 16, self->vga + 0x3c0));
	ASSERT_EQ(8, rvfio_pread(self->fd, buf, 16, self->vga + 0xbfff8));
	ASSERT_EQ(3, rvfio_pread(self->fd, buf, 3, self->vga + 0xbfffd));
	ASSERT_EQ(16, rvfio_pread(self->fd, buf, 16, self->vga + 0xa0000));
}

/* Registers behind the legacy ports: index registers read back, CRTC data too. */
TEST_F(vga, io_ports)
{
	uint8_t misc, idx, v, save;
	uint32_t crt;
	uint16_t w;

	if (!self->is_vga)
		SKIP(return, "not a VGA device");
	ASSERT_EQ(0, vga_rd8(self, VGA_MIS_R, &misc));
	crt = (misc & 1) ? VGA_CRT_IC : VGA_CRT_IM;
	TH_LOG("misc output %#x: CRTC at %#x", misc, crt);

	/* The sequencer index reads back (3 bits). */
	ASSERT_EQ(0, vga_rd8(self, VGA_SEQ_I, &idx));
	ASSERT_EQ(0, vga_wr8(self, VGA_SEQ_I, 0x02));
	ASSERT_EQ(0, vga_rd8(self, VGA_SEQ_I, &v));
	ASSERT_EQ(0x02, v);
	ASSERT_EQ(0, vga_wr8(self, VGA_SEQ_I, idx));

	/* A CRTC register: byte accesses, then index and data in one 16-bit write. */
	ASSERT_EQ(0, vga_wr8(self, crt, VGA_CRTC_CURSOR_HI));
	ASSERT_EQ(0, vga_rd8(self, crt + 1, &save));
	ASSERT_EQ(0, vga_wr8(self, crt + 1, 0x5a));
	ASSERT_EQ(0, vga_rd8(self, crt + 1, &v));
	ASSERT_EQ(0x5a, v);
	w = 0xa500 | VGA_CRTC_CURSOR_HI;
	ASSERT_EQ(2, rvfio_pwrite(self->fd, &w, 2, self->vga + crt));
	ASSERT_EQ(0, vga_rd8(self, crt, &v));
	ASSERT_EQ(VGA_CRTC_CURSOR_HI, v & 0x3f);
	ASSERT_EQ(0, vga_rd8(self, crt + 1, &v));
	ASSERT_EQ(0xa5, v);
	w = 0;
	ASSERT_EQ(2, rvfio_pread(self->fd, &w, 2, self->vga + crt));
	ASSERT_EQ(0xa5, w >> 8);
	ASSERT_EQ(0, vga_wr8(self, crt + 1, save));
}

/* Legacy memory: a pattern written at the end of the mapped window reads back. */
TEST_F(vga, memory)
{
	static const uint32_t win_end[] = { 0xc0000, 0xb0000, 0xb8000, 0xc0000 };
	uint8_t gidx, misc, save[32], pat[32], back[32];
	uint32_t addr;
	int i;

	if (!self->is_vga)
		SKIP(return, "not a VGA device");
	/* Which part of 0xa0000-0xbffff the device decodes: GR06 bits 3:2. */
	ASSERT_EQ(0, vga_rd8(self, VGA_GFX_I, &gidx));
	ASSERT_EQ(0, vga_wr8(self, VGA_GFX_I, VGA_GFX_MISC));
	ASSERT_EQ(0, vga_rd8(self, VGA_GFX_D, &misc));
	ASSERT_EQ(0, vga_wr8(self, VGA_GFX_I, gidx));
	addr = win_end[(misc >> 2) & 3] - 0x100;
	TH_LOG("graphics misc %#x: testing at %#x", misc, addr);

	for (i = 0; i < (int)sizeof(pat); i++)
		pat[i] = 0x11 * (i & 0xf) ^ (i >> 4);
	ASSERT_EQ(32, rvfio_pread(self->fd, save, 32, self->vga + addr));
	ASSERT_EQ(32, rvfio_pwrite(self->fd, pat, 32, self->vga + addr));
	memset(back, 0, sizeof(back));
	ASSERT_EQ(32, rvfio_pread(self->fd, back, 32, self->vga + addr));
	ASSERT_EQ(0, memcmp(pat, back, sizeof(pat)));
	/* Unaligned, odd-sized: 1 + 2 + 4 + ... chunks. */
	memset(back, 0, sizeof(back));
	ASSERT_EQ(13, rvfio_pread(self->fd, back + 1, 13, self->vga + addr + 1));
	ASSERT_EQ(0, memcmp(pat + 1, back + 1, 13));
	ASSERT_EQ(32, rvfio_pwrite(self->fd, save, 32, self->vga + addr));
}

/* Reads the device's ROM through sysfs: bytes read, or -errno. */
static ssize_t sysfs_rom(const char *bdf, uint8_t *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t r, n = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/rom", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1) {
		close(fd);
		return -EIO;
	}
	while ((size_t)n < len && (r = pread(fd, buf + n, len - n, n)) > 0)
		n += r;
	if (write(fd, "0", 1) != 1)
		n = -EIO;
	close(fd);
	return n;
}

/* The ROM region: the BAR's (or the shadow's) size, the sysfs image, then all ones. */
TEST_F(vga, rom_contents)
{
	uint64_t start, size, flags;
	struct vfio_region_info info;
	uint8_t *host, *rom;
	ssize_t n;
	uint64_t i;

	ASSERT_EQ(0, region_info(self->fd, VFIO_PCI_ROM_REGION_INDEX, &info));
	if (!info.size)
		SKIP(return, "no ROM");
	ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ, info.flags);
	ASSERT_EQ(0, sysfs_resource(device_bdf, PCI_ROM_RESOURCE, &start, &size, &flags));
	TH_LOG("ROM at %#llx size %#llx flags %#llx; region size %#llx",
	       (unsigned long long)start, (unsigned long long)size,
	       (unsigned long long)flags, info.size);
	ASSERT_EQ(size, info.size);

	host = calloc(1, info.size);
	rom = calloc(1, info.size);
	ASSERT_NE(NULL, host);
	ASSERT_NE(NULL, rom);
	n = sysfs_rom(device_bdf, host, info.size);
	ASSERT_LT(0, n);
	TH_LOG("sysfs rom: %zd bytes", n);
	ASSERT_EQ((ssize_t)info.size, rvfio_pread(self->fd, rom, info.size, info.offset));
	ASSERT_EQ(0x55, rom[0]);
	ASSERT_EQ(0xaa, rom[1]);
	ASSERT_EQ(0, memcmp(host, rom, n));
	for (i = n; i < info.size; i++)
		ASSERT_EQ(0xff, rom[i]) {
			TH_LOG("byte %#llx past the image", (unsigned long long)i);
		}
	/* Odd offsets and sizes give the same bytes. */
	memset(host, 0, 7);
	ASSERT_EQ(7, rvfio_pread(self->fd, host, 7, info.offset + 3));
	ASSERT_EQ(0, memcmp(host, rom + 3, 7));
	free(host);
	free(rom);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
