// SPDX-License-Identifier: GPL-2.0-only
/*
 * Corners of the vfio-pci uapi where a reimplementation easily differs from
 * the C vfio-pci, each pinned to what the C driver does (vfio_pci_core.c,
 * vfio_pci_rdwr.c, vfio_pci_config.c, vfio_pci_intrs.c, group.c):
 *
 *  - 8-byte BAR accesses are one 8-byte access on the device, not two
 *    4-byte ones (seen on QEMU's edu, which treats access sizes apart);
 *  - LOW_POWER_ENTRY_WITH_WAKEUP wants its whole 8-byte argument;
 *  - VFIO_GROUP_GET_DEVICE_FD's name parsing (spaces, vf_token=, junk);
 *  - VFIO_DEVICE_GET_INFO copies back min(argsz, sizeof(info)) bytes;
 *  - VFIO_DEVICE_IOEVENTFD takes offsets not aligned to the size;
 *  - the MSI Multiple Message Capable field cannot be overwritten through
 *    config space (a C bug: see Documentation/driver-api/vfio/vfio-pci-rust.rst);
 *  - the INTx disable bit reaches the device while INTx is not in use;
 *  - INTx on edu: delivered, automasked, unmasked by ioctl and by eventfd,
 *    re-signalled when unmasked while still asserted, masked by the INTx
 *    disable bit.
 */
#include <poll.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

#define EDU_ID		0x11e81234u	/* vendor 1234, device 11e8 */
#define IVSHMEM_ID	0x11101af4u	/* vendor 1af4, device 1110 */

FIXTURE(parity) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	int cfg_size;
	uint32_t id;		/* vendor | device << 16 */
	uint8_t vcfg[RVFIO_PCI_CFG_MAX];
	uint8_t hcfg[RVFIO_PCI_CFG_MAX];
};

FIXTURE_SETUP(parity)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	self->cfg_size = self->device->config_space.size;
	ASSERT_EQ(self->cfg_size, vfio_config_image(self->device, self->vcfg));
	ASSERT_EQ(self->cfg_size, sysfs_config_read(device_bdf, self->hcfg,
						    sizeof(self->hcfg)));
	self->id = le_get(self->hcfg, 4);
}

FIXTURE_TEARDOWN(parity)
{
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

#define IOC(_req, _arg) rvfio_ioctl(self->fd, (_req), (_arg))


/* BAR access of 1, 2, 4 or 8 bytes; asserts the whole size was done. */
#define BAR_RD(_bar, _off, _type) ({					\
	_type __v = 0;							\
	ASSERT_EQ(sizeof(_type), rvfio_pread(self->fd, &__v, sizeof(_type), \
					     region_off(_bar) + (_off))); \
	__v;								\
})

#define BAR_WR(_bar, _off, _type, _val) do {				\
	_type __v = (_val);						\
	ASSERT_EQ(sizeof(_type), rvfio_pwrite(self->fd, &__v, sizeof(_type), \
					      region_off(_bar) + (_off))); \
} while (0)

/*
 * edu's MMIO (QEMU hw/misc/edu.c) answers accesses below 0x80 only when
 * they are 4 bytes wide (others read all-ones and are dropped), and its
 * DMA registers from 0x80 on are 64-bit registers taking 4- or 8-byte
 * accesses.  An 8-byte pread/pwrite of the BAR must reach it as one
 * 8-byte access (C: ioread64/iowrite64), which tells it apart from two
 * 4-byte accesses.  Only the DMA source address is written, never the
 * DMA command register: no transfer is started.
 */
TEST_F(parity, bar_rw64_edu)
{
	const uint64_t val = 0x1122334455667788ull;
	uint64_t q, src;

	if (self->id != EDU_ID)
		SKIP(return, "not an edu device (the check needs edu's access-size rules)");

	/* The identification register, and the inverting register at 0x04. */
	ASSERT_EQ(0x010000edu, BAR_RD(0, 0x00, uint32_t));
	BAR_WR(0, 0x04, uint32_t, 0x12345678);
	ASSERT_EQ(0xedcba987u, BAR_RD(0, 0x04, uint32_t));

	/* One 8-byte read at 0: edu answers all-ones (two 4-byte reads
	 * would return 0xedcba987010000ed). */
	q = BAR_RD(0, 0x00, uint64_t);
	if (q != ~0ull)
		TH_LOG("8-byte read at BAR0+0: expected %#llx (one 8-byte access), got %#llx%s",
		       ~0ull, (unsigned long long)q,
		       q == 0xedcba987010000edull ? " (two 4-byte accesses)" : "");
	ASSERT_EQ(~0ull, q);

	/* One 8-byte write at 0 is dropped by edu; split, its upper half
	 * would have reached the register at 0x04. */
	BAR_WR(0, 0x00, uint64_t, 0x0badf00d00000000ull);
	ASSERT_EQ(0xedcba987u, BAR_RD(0, 0x04, uint32_t));

	/* The 64-bit DMA source address register at 0x80. */
	src = BAR_RD(0, 0x80, uint64_t);
	BAR_WR(0, 0x80, uint64_t, val);
	q = BAR_RD(0, 0x80, uint64_t);
	/* Its halves as 4-byte accesses: the low half, and nothing at 0x84. */
	ASSERT_EQ((uint32_t)val, BAR_RD(0, 0x80, uint32_t));
	ASSERT_EQ(0xffffffffu, BAR_RD(0, 0x84, uint32_t));
	BAR_WR(0, 0x80, uint64_t, src);
	if (q != val)
		TH_LOG("8-byte write+read at BAR0+0x80: expected %#llx, got %#llx",
		       (unsigned long long)val, (unsigned long long)q);
	ASSERT_EQ(val, q);
	ASSERT_EQ(src, BAR_RD(0, 0x80, uint64_t));
}

static int feature(int fd, uint32_t argsz, uint32_t flags, int32_t efd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup e;
		uint8_t pad[8];
	} a;

	memset(&a, 0, sizeof(a));
	a.f.argsz = argsz;
	a.f.flags = flags;
	a.e.wakeup_eventfd = efd;
	return rvfio_ioctl(fd, VFIO_DEVICE_FEATURE, &a);
}

/*
 * LOW_POWER_ENTRY_WITH_WAKEUP: the data is struct
 * vfio_device_low_power_entry_with_wakeup (8 bytes, the eventfd and a
 * reserved word).  An argsz that covers only the eventfd is EINVAL for a
 * SET; a PROBE does not look at the size.
 */
TEST_F(parity, low_power_wakeup_argsz)
{
	const uint32_t S = VFIO_DEVICE_FEATURE_SET, P = VFIO_DEVICE_FEATURE_PROBE,
		       G = VFIO_DEVICE_FEATURE_GET;
	const uint32_t W = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	const uint32_t hdr = sizeof(struct vfio_device_feature);
	const uint32_t full = sizeof(struct vfio_device_low_power_entry_with_wakeup);
	int efd = eventfd(0, 0);

	ASSERT_GE(efd, 0);
	ASSERT_EQ(8, full);
	/* Only the eventfd (4 bytes), or less: EINVAL without PROBE. */
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr + 4, S | W, efd));
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr + full - 1, S | W, efd));
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr, S | W, efd));
	/* PROBE: supported for SET whatever the size; never for GET. */
	ASSERT_EQ(0, feature(self->fd, hdr + 4, P | S | W, efd));
	ASSERT_EQ(0, feature(self->fd, hdr, P | S | W, efd));
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr + full, P | G | W, efd));
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr + full, G | W, efd));
	/* The full size, with a bad eventfd: -1 and non-eventfds EINVAL,
	 * a closed fd EBADF. */
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr + full, S | W, -1));
	ASSERT_EQ(-EINVAL, feature(self->fd, hdr + full, S | W, self->fd));
	ASSERT_EQ(-EBADF, feature(self->fd, hdr + full, S | W, 1000));
	/* The full size with an eventfd: entered; then left again. */
	ASSERT_EQ(0, feature(self->fd, hdr + full, S | W, efd));
	ASSERT_EQ(0, feature(self->fd, hdr, S | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1));
	/* The device answers as before. */
	ASSERT_EQ(le_get(self->vcfg, 4), RD(PCI_VENDOR_ID, 4));
	close(efd);
}

/*
 * VFIO_DEVICE_GET_INFO writes back min(argsz, sizeof(struct
 * vfio_device_info)) bytes of a zero-initialised reply: cap_offset and pad
 * are overwritten (with 0 when there is no capability chain) exactly as
 * far as argsz reaches, and argsz itself comes back as given unless a
 * capability chain does not fit.
 */
TEST_F(parity, get_info_copyback)
{
	const uint32_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	const uint32_t full = sizeof(struct vfio_device_info);
	struct {
		struct vfio_device_info i;
		uint8_t tail[64];
	} b;
	bool caps;
	int k;

	ASSERT_EQ(16, minsz);
	ASSERT_EQ(24, full);

	/* argsz = sizeof: the whole struct comes back. */
	memset(&b, 0xa5, sizeof(b));
	b.i.argsz = full;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	caps = b.i.flags & VFIO_DEVICE_FLAGS_CAPS;
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, b.i.num_irqs);
	ASSERT_TRUE(b.i.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(0, b.i.pad);
	if (!caps) {
		ASSERT_EQ(full, b.i.argsz);
		ASSERT_EQ(0, b.i.cap_offset);
	} else {
		/* A chain that does not fit: argsz says what would. */
		ASSERT_LT(full, b.i.argsz);
		ASSERT_EQ(0, b.i.cap_offset);
	}
	for (k = 0; k < sizeof(b.tail); k++)
		ASSERT_EQ(0xa5, b.tail[k]);

	/* argsz = minsz: cap_offset and pad are left alone. */
	memset(&b, 0xa5, sizeof(b));
	b.i.argsz = minsz;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	ASSERT_EQ(0xa5a5a5a5, b.i.cap_offset);
	ASSERT_EQ(0xa5a5a5a5, b.i.pad);
	if (!caps) {
		ASSERT_EQ(minsz, b.i.argsz);
	} else {
		ASSERT_LT(full, b.i.argsz);
	}

	/* argsz = 20: cap_offset written, pad not. */
	memset(&b, 0xa5, sizeof(b));
	b.i.argsz = minsz + 4;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	ASSERT_EQ(0, b.i.cap_offset);
	ASSERT_EQ(0xa5a5a5a5, b.i.pad);

	/* argsz = 18: the copy stops in the middle of cap_offset. */
	memset(&b, 0xa5, sizeof(b));
	b.i.argsz = minsz + 2;
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	if (b.i.cap_offset != 0xa5a50000)
		TH_LOG("argsz 18: expected cap_offset 0xa5a50000 (two bytes copied back), got %#x",
		       b.i.cap_offset);
	ASSERT_EQ(0xa5a50000, b.i.cap_offset);
	ASSERT_EQ(0xa5a5a5a5, b.i.pad);

	/* A large argsz without a chain: nothing past the struct is written,
	 * argsz comes back unchanged. */
	memset(&b, 0xa5, sizeof(b));
	b.i.argsz = sizeof(b);
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	ASSERT_EQ(0, b.i.pad);
	if (!caps) {
		ASSERT_EQ(sizeof(b), b.i.argsz);
		ASSERT_EQ(0, b.i.cap_offset);
		for (k = 0; k < sizeof(b.tail); k++)
			ASSERT_EQ(0xa5, b.tail[k]);
	}
}

/*
 * With a capability chain (only the AtomicOps completer capability for
 * vfio-pci, present when the device completes atomics and the path to the
 * root routes them): VFIO_DEVICE_FLAGS_CAPS, the chain right after the
 * struct, cap_offset = sizeof(struct vfio_device_info).  Without one, no
 * CAPS flag, which is all that can be checked.
 */
TEST_F(parity, get_info_caps)
{
	struct {
		struct vfio_device_info i;
		uint8_t tail[256];
	} b;
	struct vfio_device_info_cap_pci_atomic_comp *cap;
	uint32_t devcap2 = 0, comp = PCI_EXP_DEVCAP2_ATOMIC_COMP32 |
		PCI_EXP_DEVCAP2_ATOMIC_COMP64 | PCI_EXP_DEVCAP2_ATOMIC_COMP128;
	uint32_t need;
	int exp = find_cap(self->hcfg, PCI_CAP_ID_EXP);

	if (exp)
		devcap2 = le_get(self->hcfg + exp + PCI_EXP_DEVCAP2, 4);

	memset(&b, 0, sizeof(b));
	b.i.argsz = sizeof(b.i);
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	if (!(b.i.flags & VFIO_DEVICE_FLAGS_CAPS)) {
		ASSERT_EQ(sizeof(b.i), b.i.argsz);
		ASSERT_EQ(0, b.i.cap_offset);
		if (!(devcap2 & comp))
			SKIP(return, "no AtomicOps completer (DEVCAP2 %#x): no chain, as expected",
			     devcap2);
		SKIP(return, "AtomicOps completer (DEVCAP2 %#x) but not routed to the root: no chain",
		     devcap2);
	}
	/* A chain is only possible for an AtomicOps completer. */
	ASSERT_TRUE(devcap2 & comp);
	need = b.i.argsz;
	ASSERT_LT(sizeof(b.i), need);
	ASSERT_LE(need, sizeof(b));

	memset(&b, 0, sizeof(b));
	b.i.argsz = sizeof(b);
	ASSERT_EQ(0, IOC(VFIO_DEVICE_GET_INFO, &b));
	ASSERT_TRUE(b.i.flags & VFIO_DEVICE_FLAGS_CAPS);
	ASSERT_EQ(sizeof(b), b.i.argsz);
	ASSERT_EQ(sizeof(b.i), b.i.cap_offset);
	cap = (void *)((uint8_t *)&b + b.i.cap_offset);
	ASSERT_EQ(VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, cap->header.id);
	ASSERT_EQ(1, cap->header.version);
	ASSERT_EQ(0, cap->header.next);
	ASSERT_NE(0, cap->flags);
	ASSERT_EQ(0, cap->flags & ~(VFIO_PCI_ATOMIC_COMP32 | VFIO_PCI_ATOMIC_COMP64 |
				    VFIO_PCI_ATOMIC_COMP128));
	ASSERT_EQ(sizeof(b.i) + sizeof(*cap), need);
}

static int ioeventfd(int fd, uint32_t size, uint64_t offset, uint64_t data,
		     int32_t efd)
{
	struct vfio_device_ioeventfd a = {
		.argsz = sizeof(a), .flags = size, .offset = offset,
		.data = data, .fd = efd,
	};

	return rvfio_ioctl(fd, VFIO_DEVICE_IOEVENTFD, &a);
}

/*
 * VFIO_DEVICE_IOEVENTFD does not require the offset to be aligned to the
 * access size: an unaligned one is registered (then a duplicate is EEXIST,
 * removing it works once), as long as it stays inside the BAR.
 */
TEST_F(parity, ioeventfd_unaligned)
{
	static const struct { uint32_t flag, size; uint64_t off; } c[] = {
		{ VFIO_DEVICE_IOEVENTFD_16, 2, 0x21 },
		{ VFIO_DEVICE_IOEVENTFD_32, 4, 0x22 },
		{ VFIO_DEVICE_IOEVENTFD_32, 4, 0x23 },
		{ VFIO_DEVICE_IOEVENTFD_64, 8, 0x24 },
		{ VFIO_DEVICE_IOEVENTFD_64, 8, 0x2a },
	};
	int efd = eventfd(0, 0), bar, i;
	uint64_t base, size;

	ASSERT_GE(efd, 0);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		uint64_t s, sz, fl;

		ASSERT_EQ(0, sysfs_resource(device_bdf, bar, &s, &sz, &fl));
		if (sz >= 0x100 && (fl & RVFIO_IORESOURCE_MEM))
			break;
	}
	if (bar == PCI_STD_NUM_BARS)
		SKIP(return, "no memory BAR of 256 bytes or more");
	base = region_off(bar);
	size = self->device->bars[bar].info.size;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		uint64_t o = base + c[i].off, d = 0x5a5a0000u + i;
		int r = ioeventfd(self->fd, c[i].flag, o, d, efd);

		if (r)
			TH_LOG("%u-byte ioeventfd at BAR%d+%#llx: expected 0 (registered), got %d",
			       c[i].size, bar, (unsigned long long)c[i].off, r);
		ASSERT_EQ(0, r);
		ASSERT_EQ(-EEXIST, ioeventfd(self->fd, c[i].flag, o, d, efd));
		ASSERT_EQ(0, ioeventfd(self->fd, c[i].flag, o, d, -1));
		ASSERT_EQ(-ENODEV, ioeventfd(self->fd, c[i].flag, o, d, -1));
	}
	/* Unaligned and past the end of the BAR: EINVAL; just inside: fine. */
	ASSERT_EQ(-EINVAL, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_32, base + size - 3, 1, efd));
	ASSERT_EQ(0, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_16, base + size - 3, 1, efd));
	ASSERT_EQ(0, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_16, base + size - 3, 1, -1));
	close(efd);
}

/* Signals efd and waits up to 3 s for the BAR to read back @want. */
static bool fire_and_wait(int fd, int efd, int bar, uint64_t off, const void *want,
			  size_t len)
{
	uint8_t got[16];
	uint64_t one = 1;
	int i;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return false;
	for (i = 0; i < 300; i++) {
		if (pread(fd, got, len, region_off(bar) + off) == (ssize_t)len &&
		    !memcmp(got, want, len))
			return true;
		usleep(10000);
	}
	return false;
}

#define FIRE(_bar, _off, _want, _len) do {				\
	if (!fire_and_wait(self->fd, efd, (_bar), (_off), (_want), (_len))) { \
		uint8_t __g[16] = { 0 };				\
		uint64_t __e = 0, __h = 0;				\
									\
		if (pread(self->fd, __g, (_len), region_off(_bar) + (_off)) < 0) \
			memset(__g, 0xee, sizeof(__g));			\
		memcpy(&__e, (_want), (_len) > 8 ? 8 : (_len));		\
		memcpy(&__h, __g, (_len) > 8 ? 8 : (_len));		\
		TH_LOG("ioeventfd write to BAR%d+%#x never showed: expected %#llx there, read %#llx", \
		       (_bar), (unsigned int)(_off), (unsigned long long)__e, \
		       (unsigned long long)__h);			\
		ASSERT_TRUE(false);					\
	}								\
} while (0)

/*
 * An ioeventfd fires: signalling the eventfd writes the data to the BAR,
 * which a pread then sees.  On edu: the 4-byte inverting register at 0x04
 * and the 64-bit DMA source register at 0x80 (one 8-byte write; no DMA is
 * started).  On ivshmem: its shared memory (BAR2), where unaligned
 * writes land too.
 */
TEST_F(parity, ioeventfd_fires)
{
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_GE(efd, 0);
	if (self->id == EDU_ID) {
		const uint64_t a = 0x1122334455667788ull;
		uint32_t want4 = ~0x0a0b0c0du;
		uint64_t src = BAR_RD(0, 0x80, uint64_t);

		ASSERT_EQ(0, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_32, region_off(0) + 4,
				       0x0a0b0c0d, efd));
		FIRE(0, 4, &want4, 4);
		ASSERT_EQ(0, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_32, region_off(0) + 4,
				       0x0a0b0c0d, -1));

		ASSERT_EQ(0, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_64, region_off(0) + 0x80,
				       a, efd));
		FIRE(0, 0x80, &a, 8);
		ASSERT_EQ(0, ioeventfd(self->fd, VFIO_DEVICE_IOEVENTFD_64, region_off(0) + 0x80,
				       a, -1));
		BAR_WR(0, 0x80, uint64_t, src);
	} else if (self->id == IVSHMEM_ID) {
		static const struct { uint32_t flag, size, off; uint64_t data; } c[] = {
			{ VFIO_DEVICE_IOEVENTFD_32, 4, 0x100, 0xa1b2c3d4 },
			{ VFIO_DEVICE_IOEVENTFD_32, 4, 0x112, 0x01234567 },
			{ VFIO_DEVICE_IOEVENTFD_16, 2, 0x121, 0xbeef },
			{ VFIO_DEVICE_IOEVENTFD_64, 8, 0x130, 0x0102030405060708ull },
			{ VFIO_DEVICE_IOEVENTFD_64, 8, 0x144, 0x8877665544332211ull },
		};
		uint8_t zero[16] = { 0 }, want[16];
		int i;

		if (!self->device->bars[2].info.size)
			SKIP(goto out, "ivshmem without its shared memory BAR");
		for (i = 0; i < ARRAY_SIZE(c); i++) {
			uint32_t line = c[i].off & ~0xfu;
			uint64_t d = c[i].data;

			/* Clear the 16 bytes around the target; expect only
			 * the written bytes to change. */
			ASSERT_EQ(16, rvfio_pwrite(self->fd, zero, 16, region_off(2) + line));
			memset(want, 0, sizeof(want));
			memcpy(want + (c[i].off - line), &d, c[i].size);
			ASSERT_EQ(0, ioeventfd(self->fd, c[i].flag, region_off(2) + c[i].off,
					       c[i].data, efd));
			FIRE(2, line, want, 16);
			ASSERT_EQ(0, ioeventfd(self->fd, c[i].flag, region_off(2) + c[i].off,
					       c[i].data, -1));
		}
	} else {
		close(efd);
		SKIP(return, "no BAR register known to read back a write harmlessly on this device");
	}
out:
	close(efd);
}

/*
 * MSI flags: Multiple Message Capable (QMASK) is a read-only field.  The C
 * driver virtualizes the low byte of the flags as writable and its read
 * hook, meant to refresh QMASK, writes to the capability's first word
 * instead (vfio_msi_config_read), so a value written to QMASK reads back.
 * Correct: QMASK reads as the device's (for a single-vector device, 0,
 * which is also what the read hook meant to show).
 */
TEST_F(parity, msi_qmask_readonly)
{
	int msi = find_cap(self->vcfg, PCI_CAP_ID_MSI);
	uint16_t flags, hflags, got;

	if (!msi)
		SKIP(return, "no MSI capability");
	flags = RD(msi + PCI_MSI_FLAGS, 2);
	hflags = HW(msi + PCI_MSI_FLAGS, 2);
	if (hflags & PCI_MSI_FLAGS_QMASK)
		SKIP(return, "multi-message MSI (flags %#x): only single-vector devices are checked",
		     hflags);
	ASSERT_EQ(0, flags & PCI_MSI_FLAGS_QMASK);

	WR(msi + PCI_MSI_FLAGS, 2, (flags & ~PCI_MSI_FLAGS_ENABLE) | PCI_MSI_FLAGS_QMASK);
	got = RD(msi + PCI_MSI_FLAGS, 2);
	/* Whatever QMASK reads, the device's is untouched, MSI still off. */
	ASSERT_EQ(hflags, HW(msi + PCI_MSI_FLAGS, 2));
	WR(msi + PCI_MSI_FLAGS, 2, flags);
	if (got & PCI_MSI_FLAGS_QMASK)
		TH_LOG("MSI flags after writing QMASK %#x: expected QMASK 0 (read-only), got flags %#x",
		       PCI_MSI_FLAGS_QMASK, got);
	ASSERT_EQ(0, got & PCI_MSI_FLAGS_QMASK);
	/* The capability ID and next pointer are unchanged. */
	ASSERT_EQ(le_get(self->vcfg + msi, 2), RD(msi, 2));
}

/*
 * INTx disable while INTx is not set up (no SET_IRQS): the bit is
 * virtualized, and the device's own bit follows it (C: vfio_pci_intx_mask
 * and unmask "have the physical bit follow the virtual"), for devices that
 * support INTx masking (every QEMU device does).  At open the C driver
 * clears the device's bit.
 */
TEST_F(parity, intx_disable_passthrough)
{
	uint16_t cmd = RD(PCI_COMMAND, 2), h;
	int round;

	h = HW(PCI_COMMAND, 2);
	if (h & PCI_COMMAND_INTX_DISABLE)
		TH_LOG("at open: expected the device's INTx disable clear, command %#06x", h);
	ASSERT_FALSE(h & PCI_COMMAND_INTX_DISABLE);
	ASSERT_FALSE(cmd & PCI_COMMAND_INTX_DISABLE);

	for (round = 0; round < 2; round++) {
		WR(PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
		ASSERT_TRUE(RD(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
		h = HW(PCI_COMMAND, 2);
		if (!(h & PCI_COMMAND_INTX_DISABLE))
			TH_LOG("set: expected the device's command to have %#x, got %#06x",
			       PCI_COMMAND_INTX_DISABLE, h);
		ASSERT_TRUE(h & PCI_COMMAND_INTX_DISABLE);
		/* Only that bit changed on the device. */
		ASSERT_EQ(cmd & ~PCI_COMMAND_INTX_DISABLE, h & ~PCI_COMMAND_INTX_DISABLE);

		WR(PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
		ASSERT_FALSE(RD(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
		h = HW(PCI_COMMAND, 2);
		if (h & PCI_COMMAND_INTX_DISABLE)
			TH_LOG("clear: expected the device's command without %#x, got %#06x",
			       PCI_COMMAND_INTX_DISABLE, h);
		ASSERT_FALSE(h & PCI_COMMAND_INTX_DISABLE);
	}
	/* A byte write of the command's upper half does the same. */
	WR(PCI_COMMAND + 1, 1, (cmd >> 8) | (PCI_COMMAND_INTX_DISABLE >> 8));
	ASSERT_TRUE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	WR(PCI_COMMAND + 1, 1, (cmd >> 8) & ~(PCI_COMMAND_INTX_DISABLE >> 8));
	ASSERT_FALSE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
}

/* SET_IRQS on INTx with at most one eventfd (or none, count 0 or 1). */
static int intx_irqs(int fd, uint32_t action, uint32_t data, uint32_t count, int32_t efd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = {
		.s = {
			.argsz = sizeof(a),
			.flags = action | data,
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = count,
		},
		.fd = efd,
	};

	if (data != VFIO_IRQ_SET_DATA_EVENTFD)
		a.s.argsz = sizeof(a.s);
	return rvfio_ioctl(fd, VFIO_DEVICE_SET_IRQS, &a);
}

#define EDU_RAISE	0x60
#define EDU_ACK		0x64
#define UNMASK		VFIO_IRQ_SET_ACTION_UNMASK
#define MASK		VFIO_IRQ_SET_ACTION_MASK

/*
 * INTx on edu (QEMU raises its INTx on a write to 0x60 while MSI is off and
 * lowers it when the status is acked at 0x64).  The C driver's INTx is
 * automasked: the first interrupt masks it (through the device's INTx
 * disable bit, PCI 2.3) until the user unmasks; unmasking while the device
 * still asserts it signals the user again instead.
 */
TEST_F(parity, intx_delivery_edu)
{
	const uint32_t TRIG = VFIO_IRQ_SET_ACTION_TRIGGER;
	const uint32_t NONE = VFIO_IRQ_SET_DATA_NONE, EFD = VFIO_IRQ_SET_DATA_EVENTFD;
	int32_t efd = eventfd(0, EFD_NONBLOCK), ufd = eventfd(0, EFD_NONBLOCK);
	uint16_t cmd = RD(PCI_COMMAND, 2);
	uint64_t one = 1;

	if (self->id != EDU_ID)
		SKIP(return, "not an edu device (the check raises edu's interrupt)");
	ASSERT_GE(efd, 0);
	ASSERT_GE(ufd, 0);

	/* Not enabled: mask and unmask are EINVAL. */
	ASSERT_EQ(-EINVAL, intx_irqs(self->fd, MASK, NONE, 1, -1));
	ASSERT_EQ(0, intx_irqs(self->fd, TRIG, EFD, 1, efd));

	/* Delivered, and masked on the device. */
	BAR_WR(0, EDU_RAISE, uint32_t, 1);
	ASSERT_EQ(1, efd_wait(efd, 2000));
	ASSERT_TRUE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	/* Still asserted: unmasking signals again and stays masked. */
	ASSERT_EQ(0, intx_irqs(self->fd, UNMASK, NONE, 1, -1));
	ASSERT_EQ(1, efd_wait(efd, 2000));
	ASSERT_TRUE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	/* Acked: unmasking unmasks, and nothing comes. */
	BAR_WR(0, EDU_ACK, uint32_t, 1);
	ASSERT_EQ(0, intx_irqs(self->fd, UNMASK, NONE, 1, -1));
	ASSERT_EQ(0, efd_wait(efd, 100));
	ASSERT_FALSE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);

	/* The user masks: an interrupt waits until unmasked. */
	ASSERT_EQ(0, intx_irqs(self->fd, MASK, NONE, 1, -1));
	BAR_WR(0, EDU_RAISE, uint32_t, 1);
	ASSERT_EQ(0, efd_wait(efd, 100));
	ASSERT_EQ(0, intx_irqs(self->fd, UNMASK, NONE, 1, -1));
	ASSERT_EQ(1, efd_wait(efd, 2000));
	BAR_WR(0, EDU_ACK, uint32_t, 1);

	/* Unmask through an eventfd; a second one is EBUSY. */
	ASSERT_EQ(0, intx_irqs(self->fd, UNMASK, EFD, 1, ufd));
	ASSERT_EQ(-EBUSY, intx_irqs(self->fd, UNMASK, EFD, 1, ufd));
	ASSERT_EQ(sizeof(one), write(ufd, &one, sizeof(one)));
	ASSERT_FALSE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	BAR_WR(0, EDU_RAISE, uint32_t, 1);
	ASSERT_EQ(1, efd_wait(efd, 2000));
	BAR_WR(0, EDU_ACK, uint32_t, 1);
	ASSERT_EQ(sizeof(one), write(ufd, &one, sizeof(one)));
	ASSERT_FALSE(HW(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);

	/* The INTx disable bit masks; clearing it delivers what is pending. */
	WR(PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	BAR_WR(0, EDU_RAISE, uint32_t, 1);
	ASSERT_EQ(0, efd_wait(efd, 100));
	WR(PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
	ASSERT_EQ(1, efd_wait(efd, 2000));
	BAR_WR(0, EDU_ACK, uint32_t, 1);
	ASSERT_EQ(sizeof(one), write(ufd, &one, sizeof(one)));

	/* Loopback, then off: the unmask eventfd goes with it. */
	ASSERT_EQ(0, intx_irqs(self->fd, TRIG, NONE, 1, -1));
	ASSERT_EQ(1, efd_wait(efd, 100));
	ASSERT_EQ(0, intx_irqs(self->fd, UNMASK, EFD, 1, -1));
	ASSERT_EQ(0, intx_irqs(self->fd, TRIG, NONE, 0, -1));
	ASSERT_EQ(-EINVAL, intx_irqs(self->fd, UNMASK, NONE, 1, -1));
	close(ufd);
	close(efd);
}

/*
 * VFIO_GROUP_GET_DEVICE_FD names: the device name, then optionally spaces
 * and "vf_token=<uuid>" (vfio_pci_core_match).  Spaces alone are fine; a
 * VF token is taken by a PF (it sets the token while no VF uses it) and
 * refused (EINVAL) for a device that is neither PF nor VF; anything else
 * after the spaces is EINVAL; no space right after the name is no match
 * (ENODEV).
 */
FIXTURE(names) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
};

FIXTURE_SETUP(names)
{
	self->iommu = iommu_init(MODE_VFIO_TYPE1V2_IOMMU);
	self->device = rvfio_device_init(device_bdf, self->iommu);
}

FIXTURE_TEARDOWN(names)
{
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

#define UUID "bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3"

TEST_F(names, get_device_fd)
{
	bool pf = sysfs_has(device_bdf, "sriov_totalvfs");
	int tok = pf ? 0 : -EINVAL;	/* a well-formed vf_token */
	const struct { const char *fmt; int want; } c[] = {
		{ "%s", 0 },
		{ "%s ", 0 },
		{ "%s    ", 0 },
		{ "%s vf_token=" UUID, tok },
		{ "%s   vf_token=" UUID "  ", tok },
		{ "%s garbage", -EINVAL },
		{ "%s vf_token", -EINVAL },
		{ "%s vf_token=1234", -EINVAL },
		{ "%s vf_token=bd8d9d2b-5a5f-4f5a-a211-f591514ba1fz", -EINVAL },
		{ "%s vf_token=" UUID " garbage", -EINVAL },
		{ "%s vf_token=" UUID "garbage", -EINVAL },
		{ "%s vf_token=" UUID " vf_token=" UUID, -EINVAL },
		{ "%sx", -ENODEV },
		{ "%s\t", -ENODEV },
		{ "%s\tvf_token=" UUID, -ENODEV },
		{ " %s", -ENODEV },
		{ "", -ENODEV },
	};
	int group_fd = self->device->group_fd, i, fails = 0;

	if (sysfs_has(device_bdf, "physfn"))
		SKIP(return, "an SR-IOV VF: the token rules differ");
	TH_LOG("%s is %s", device_bdf, pf ? "an SR-IOV PF" : "neither PF nor VF");
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		char name[160];
		int fd, got;

		snprintf(name, sizeof(name), c[i].fmt, device_bdf);
		fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, name);
		got = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			struct vfio_device_info info = { .argsz = sizeof(info) };

			/* A working device fd. */
			ASSERT_EQ(0, rvfio_ioctl(fd, VFIO_DEVICE_GET_INFO, &info));
			ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
			close(fd);
		}
		if (got != c[i].want) {
			TH_LOG("GET_DEVICE_FD \"%s\": expected %d, got %d", name, c[i].want, got);
			fails++;
		}
	}
	ASSERT_EQ(0, fails);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
