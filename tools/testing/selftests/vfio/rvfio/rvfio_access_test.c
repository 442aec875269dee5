// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may get in: every way a process is kept away from a device bound to
 * vfio-pci, or from the parts of it the driver keeps to itself, in one
 * place.  The expected answers are the C vfio-pci's (and, where the VFIO
 * core answers before any driver is asked, the core's: the same for both).
 *
 *  - a process without access to the group node or the device's cdev
 *    cannot open them (access.non_owner_group, access.non_owner_cdev);
 *    a cdev opened but never bound to an iommufd answers nothing
 *    (access.unbound_cdev); the group has one opener at a time, and the
 *    group and the cdev exclude each other (access.group_exclusive,
 *    access.group_vs_cdev);
 *  - a VF cannot be opened without the right VF token: rvfio_sriov_test
 *    (numvfs_while_pf_open, pf_needs_token_while_vf_open, token_feature,
 *    reenable: EACCES without a token and with a wrong one), exactly the
 *    check this list asks for, and not repeated here (it needs the module
 *    loaded with enable_sriov=1 and VFs created);
 *  - a device in a group that is not viable (another function of the group
 *    held by a kernel driver, uio_pci_generic) is refused in the group and
 *    the cdev forms, and is accepted once that driver lets go
 *    (access.not_viable, access.viable_again; two BDFs, below); and while
 *    the device is open, such a driver cannot be bound to the other
 *    function (access.kernel_driver_refused);
 *  - BAR read/write past and across the end of a BAR (access.bar_bounds;
 *    rvfio_region_test's bar_bounds checks other offsets of the same
 *    rule); mmap() beyond a BAR (offset + length past its page-rounded
 *    size: EINVAL) is rvfio_mmap_test's mmap_rules, the same check, not
 *    repeated; writes to the MSI-X table through the BAR region are
 *    accepted and never reach the device's table, read back through the
 *    host's sysfs resource file (access.msix_table_write; what VFIO reads
 *    back there is rvfio_region_test's msix_table_hole);
 *  - config writes to read-only fields (IDs, class, header type, the
 *    capability pointers, read-only capability registers) and to
 *    virtualized ones (BARs, ROM BAR, interrupt line, MSI address and
 *    data) never reach the device: its config space, read through sysfs
 *    before and after, keeps those bytes (access.config_readonly,
 *    access.config_virtualized; what VFIO reads back is
 *    rvfio_config_test's).
 *
 *   rvfio_access_test [harness options] BDF           the single-device cases
 *   rvfio_access_test [harness options] BDF PARTNER   the not-viable cases
 *
 * With two BDFs, both in one IOMMU group, BDF bound to vfio-pci and PARTNER
 * to uio_pci_generic (the suite binds them): access.not_viable expects the
 * group not viable; access.viable_again unbinds PARTNER from its driver and
 * expects the same calls to succeed; access.kernel_driver_refused binds it
 * to uio_pci_generic again while the device is open (refused) and closed.
 */
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static char **bdfs;
static int nr_bdfs;
static const char *device_bdf;
static const char *partner_bdf;

/* The unprivileged identity the non-owner cases take. */
#define NOBODY 65534

/* /dev/vfio/<group> of `bdf`, in `buf`. */
static void group_path(const char *bdf, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/vfio/%d", sysfs_iommu_group_get(bdf));
}

/* open(): the fd, or -errno. */
static int open_err(const char *path, int flags)
{
	int fd = open(path, flags);

	return fd < 0 ? -errno : fd;
}

/* The effective capabilities of this process, from /proc/self/status. */
static unsigned long long cap_eff(void)
{
	unsigned long long v = ~0ULL;
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * open(path, flags) in a child that first drops to uid/gid NOBODY with no
 * supplementary groups (setuid from root clears every capability): 0 if the
 * open succeeded, the errno it failed with, or 250+ if the child could not
 * drop its privileges.
 */
static int open_as_nobody(const char *path, int flags)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(250);
		if (getuid() != NOBODY || geteuid() != NOBODY || cap_eff() != 0)
			_exit(251);
		fd = open(path, flags);
		if (fd >= 0) {
			close(fd);
			_exit(0);
		}
		_exit(errno & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

static int bind_iommufd(int fd, int iommufd)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = sizeof(b), .iommufd = iommufd,
	};

	return rvfio_ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b);
}

static int get_info(int fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	return rvfio_ioctl(fd, VFIO_DEVICE_GET_INFO, &info);
}

static int group_flags(int gfd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int r = rvfio_ioctl(gfd, VFIO_GROUP_GET_STATUS, &st);

	return r ? r : (int)st.flags;
}

/* VFIO_GROUP_GET_DEVICE_FD: the device fd, or -errno. */
static int group_device_fd(int gfd, const char *bdf)
{
	int fd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, bdf);

	return fd < 0 ? -errno : fd;
}

FIXTURE(access) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	char group[32];
	char cdev[PATH_MAX];
	uint8_t hcfg[RVFIO_PCI_CFG_MAX];
	int cfg_size;
};

FIXTURE_SETUP(access)
{
	const char *cdev = vfio_pci_get_cdev_path(device_bdf);

	group_path(device_bdf, self->group, sizeof(self->group));
	snprintf(self->cdev, sizeof(self->cdev), "%s", cdev);
	free((void *)cdev);
	self->cfg_size = sysfs_config_read(device_bdf, self->hcfg, sizeof(self->hcfg));
	ASSERT_LT(0, self->cfg_size);
}

FIXTURE_TEARDOWN(access)
{
	if (self->device)
		vfio_pci_device_cleanup(self->device);
	if (self->iommu)
		iommu_cleanup(self->iommu);
}

/* The device, opened the usual way (the cdev bound to an iommufd). */
static void open_device(struct __test_metadata *_metadata,
			FIXTURE_DATA(access) *self)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	ASSERT_LE(0, self->device->fd);
}

static void log_mode(struct __test_metadata *_metadata, const char *path)
{
	struct stat st;

	ASSERT_EQ(0, stat(path, &st));
	TH_LOG("%s: mode %o uid %u gid %u", path, st.st_mode & 07777,
	       st.st_uid, st.st_gid);
}

/* A device node of root's, mode 0600: nobody gets EACCES, root gets in. */
static void check_non_owner(struct __test_metadata *_metadata, const char *path)
{
	int fd;

	log_mode(_metadata, path);
	ASSERT_EQ(EACCES, open_as_nobody(path, O_RDWR));
	ASSERT_EQ(EACCES, open_as_nobody(path, O_RDONLY));
	fd = open_err(path, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
}

/* The group node. */
TEST_F(access, non_owner_group)
{
	check_non_owner(_metadata, self->group);
}

/* The device cdev (found under the device's vfio-dev/ in sysfs). */
TEST_F(access, non_owner_cdev)
{
	check_non_owner(_metadata, self->cdev);
}

/*
 * A cdev opened by root but not bound to an iommufd: every ioctl but
 * BIND_IOMMUFD, read, write and mmap say EINVAL.  A bind to something that
 * is not an iommufd fails (EINVAL for a negative fd, EBADFD for another
 * file); once bound the device answers; a second bind: EINVAL.
 */
TEST_F(access, unbound_cdev)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	long pg = sysconf(_SC_PAGESIZE);
	int fd, iommufd, null;
	uint32_t v = 0;
	void *p;

	fd = open_err(self->cdev, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EINVAL, get_info(fd));
	ASSERT_EQ(-EINVAL, rvfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ(-EINVAL, rvfio_ioctl(fd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(-EINVAL, rvfio_pread(fd, &v, 4, region_off(VFIO_PCI_CONFIG_REGION_INDEX)));
	ASSERT_EQ(-EINVAL, rvfio_pwrite(fd, &v, 4, region_off(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND));
	ASSERT_EQ(-EINVAL, rvfio_pread(fd, &v, 4, region_off(0)));
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, region_off(0));
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(-EINVAL, bind_iommufd(fd, -1));
	null = open_err("/dev/null", O_RDWR);
	ASSERT_LE(0, null);
	ASSERT_EQ(-EBADFD, bind_iommufd(fd, null));
	close(null);
	ASSERT_EQ(-EINVAL, get_info(fd));

	iommufd = open_err("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, bind_iommufd(fd, iommufd));
	ASSERT_EQ(0, get_info(fd));
	ASSERT_EQ(0, rvfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_EQ(4, rvfio_pread(fd, &v, 4, region_off(VFIO_PCI_CONFIG_REGION_INDEX)));
	ASSERT_EQ(le_get(self->hcfg, 4), v);
	ASSERT_EQ(-EINVAL, bind_iommufd(fd, iommufd));
	close(fd);
	close(iommufd);
}

/* One opener of the group at a time: a second open is EBUSY until the first closes. */
TEST_F(access, group_exclusive)
{
	int g1, g2;

	g1 = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g1);
	ASSERT_EQ(-EBUSY, open_err(self->group, O_RDWR));
	ASSERT_EQ(-EBUSY, open_err(self->group, O_RDONLY));
	close(g1);
	g2 = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g2);
	close(g2);
}

/*
 * The group form and the cdev form exclude each other: with the group open,
 * the cdev opens but its bind is EBUSY; with a bound cdev, the group's open
 * is EBUSY.
 */
TEST_F(access, group_vs_cdev)
{
	int g, c, iommufd;

	iommufd = open_err("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	g = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g);
	c = open_err(self->cdev, O_RDWR);
	ASSERT_LE(0, c);
	ASSERT_EQ(-EBUSY, bind_iommufd(c, iommufd));
	close(g);
	ASSERT_EQ(0, bind_iommufd(c, iommufd));
	ASSERT_EQ(-EBUSY, open_err(self->group, O_RDWR));
	close(c);
	g = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g);
	close(g);
	close(iommufd);
}

/*
 * Every implemented BAR: a read or write at size - 1 of 4 bytes is cut to
 * the one byte left (the byte written is the one read: no side effect);
 * at size and at size + 4096: EINVAL.
 */
TEST_F(access, bar_bounds)
{
	int i, fd, tested = 0;
	uint8_t buf[4];

	open_device(_metadata, self);
	fd = self->device->fd;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		uint64_t size = self->device->bars[i].info.size;
		uint64_t base = region_off(i);

		if (!size)
			continue;
		TH_LOG("BAR%d: %#llx bytes", i, (unsigned long long)size);
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(1, rvfio_pread(fd, buf, 4, base + size - 1));
		ASSERT_EQ(1, rvfio_pwrite(fd, buf, 4, base + size - 1));
		ASSERT_EQ(-EINVAL, rvfio_pread(fd, buf, 4, base + size));
		ASSERT_EQ(-EINVAL, rvfio_pwrite(fd, buf, 4, base + size));
		ASSERT_EQ(-EINVAL, rvfio_pread(fd, buf, 4, base + size + 4096));
		ASSERT_EQ(-EINVAL, rvfio_pwrite(fd, buf, 4, base + size + 4096));
		ASSERT_EQ(-EINVAL, rvfio_pread(fd, buf, 1, base + size));
		tested++;
	}
	ASSERT_LT(0, tested);
}

/* The device's MSI-X table, read dword by dword through a mapping of resourceN. */
static int host_msix_table(const char *bdf, int bir, uint32_t off, int nvec,
			   uint32_t *out)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint32_t start = off & ~(pg - 1);
	size_t len = ((off + nvec * 16 + pg - 1) & ~(pg - 1)) - start;
	volatile uint32_t *t;
	char path[PATH_MAX];
	void *p;
	int fd, i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, start);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	t = (volatile uint32_t *)((char *)p + (off - start));
	for (i = 0; i < nvec * 4; i++)
		out[i] = t[i];
	munmap(p, len);
	return 0;
}

/*
 * Writes to the MSI-X table through the BAR region: C accepts them (the
 * count written is returned) and drops them; the table the device holds,
 * seen by the host through sysfs, is the same before and after.
 */
TEST_F(access, msix_table_write)
{
	int msix = find_cap(self->hcfg, PCI_CAP_ID_MSIX);
	uint32_t *before, *after, *pat, tbl, off, w;
	int bir, nvec, i, fd;
	uint64_t base;

	if (!msix)
		SKIP(return, "no MSI-X capability");
	tbl = le_get(self->hcfg + msix + PCI_MSIX_TABLE, 4);
	bir = tbl & PCI_MSIX_TABLE_BIR;
	off = tbl & PCI_MSIX_TABLE_OFFSET;
	nvec = (le_get(self->hcfg + msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	TH_LOG("MSI-X table: BAR%d + %#x, %d vectors", bir, off, nvec);

	open_device(_metadata, self);
	fd = self->device->fd;
	base = region_off(bir) + off;
	before = calloc(nvec * 4, 4);
	after = calloc(nvec * 4, 4);
	pat = calloc(nvec * 4, 4);
	ASSERT_TRUE(before && after && pat);
	ASSERT_EQ(0, host_msix_table(device_bdf, bir, off, nvec, before));

	/* The whole table at once, a pattern unlike anything it holds. */
	for (i = 0; i < nvec * 4; i++)
		pat[i] = ~before[i] ^ (0x5a5a0000u | i);
	ASSERT_EQ(nvec * 16, rvfio_pwrite(fd, pat, nvec * 16, base));
	/* One entry's message address, data and vector control, one by one. */
	w = 0xfee01000;
	ASSERT_EQ(4, rvfio_pwrite(fd, &w, 4, base + PCI_MSIX_ENTRY_LOWER_ADDR));
	w = 0x4242;
	ASSERT_EQ(4, rvfio_pwrite(fd, &w, 4, base + PCI_MSIX_ENTRY_DATA));
	w = 0;
	ASSERT_EQ(4, rvfio_pwrite(fd, &w, 4, base + PCI_MSIX_ENTRY_VECTOR_CTRL));
	/* The last entry, as one 8-byte write. */
	do {
		uint64_t q = 0x00000000fee02000ULL;

		ASSERT_EQ(8, rvfio_pwrite(fd, &q, 8, base + (nvec - 1) * 16));
	} while (0);

	ASSERT_EQ(0, host_msix_table(device_bdf, bir, off, nvec, after));
	for (i = 0; i < nvec * 4; i++)
		ASSERT_EQ(before[i], after[i]) TH_LOG("entry %d dword %d", i / 4, i % 4);
	free(before);
	free(after);
	free(pat);
}

struct cfg_field {
	int off, size;
	const char *what;
};

/* Writes `val` to the field through VFIO: C accepts every such write. */
#define CFG_WRITE(_f, _val) do {					\
	uint32_t __v = (_val);						\
	ASSERT_EQ((_f)->size, cfg_write(self->device, (_f)->off, &__v, (_f)->size)) \
		TH_LOG("write %s (%#x, %d bytes)", (_f)->what, (_f)->off, (_f)->size); \
} while (0)

/* The device's own bytes of each field: the same as in `before`. */
static void check_unchanged(struct __test_metadata *_metadata,
			    const uint8_t *before, const struct cfg_field *f, int n)
{
	uint8_t after[RVFIO_PCI_CFG_MAX];
	int i;

	ASSERT_LT(0, sysfs_config_read(device_bdf, after, sizeof(after)));
	for (i = 0; i < n; i++)
		ASSERT_EQ(le_get(before + f[i].off, f[i].size),
			  le_get(after + f[i].off, f[i].size))
			TH_LOG("%s (%#x, %d bytes) changed in the device", f[i].what,
			       f[i].off, f[i].size);
}

/*
 * Read-only fields: IDs, revision and class, header type, subsystem IDs,
 * interrupt pin, the capability pointer, every capability's ID and next
 * bytes, the extended capabilities' headers, and the read-only registers of
 * PM (PMC), PCI Express (DEVCAP, LNKCAP) and MSI-X (table and PBA offsets).
 * Each written with its complement and with zeroes.
 */
TEST_F(access, config_readonly)
{
	struct cfg_field f[64];
	int n = 0, pos, i, loops = 48;

	f[n++] = (struct cfg_field){ PCI_VENDOR_ID, 4, "vendor/device ID" };
	f[n++] = (struct cfg_field){ PCI_CLASS_REVISION, 4, "revision/class" };
	f[n++] = (struct cfg_field){ PCI_HEADER_TYPE, 1, "header type" };
	f[n++] = (struct cfg_field){ PCI_SUBSYSTEM_VENDOR_ID, 4, "subsystem IDs" };
	f[n++] = (struct cfg_field){ PCI_CAPABILITY_LIST, 1, "capability pointer" };
	f[n++] = (struct cfg_field){ PCI_INTERRUPT_PIN, 1, "interrupt pin" };
	pos = (le_get(self->hcfg + PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) ?
	      self->hcfg[PCI_CAPABILITY_LIST] & ~3 : 0;
	while (pos >= PCI_STD_HEADER_SIZEOF && loops-- && n < 56) {
		uint8_t id = self->hcfg[pos];

		f[n++] = (struct cfg_field){ pos, 2, "capability ID/next" };
		if (id == PCI_CAP_ID_PM)
			f[n++] = (struct cfg_field){ pos + PCI_PM_PMC, 2, "PM PMC" };
		if (id == PCI_CAP_ID_EXP) {
			f[n++] = (struct cfg_field){ pos + PCI_EXP_DEVCAP, 4, "PCIe DEVCAP" };
			f[n++] = (struct cfg_field){ pos + PCI_EXP_LNKCAP, 4, "PCIe LNKCAP" };
		}
		if (id == PCI_CAP_ID_MSIX) {
			f[n++] = (struct cfg_field){ pos + PCI_MSIX_TABLE, 4, "MSI-X table offset" };
			f[n++] = (struct cfg_field){ pos + PCI_MSIX_PBA, 4, "MSI-X PBA offset" };
		}
		pos = self->hcfg[pos + PCI_CAP_LIST_NEXT] & ~3;
	}
	if (self->cfg_size > PCI_CFG_SPACE_SIZE) {
		pos = PCI_CFG_SPACE_SIZE;
		loops = 48;
		while (pos >= PCI_CFG_SPACE_SIZE && pos < self->cfg_size && loops-- &&
		       n < ARRAY_SIZE(f)) {
			uint32_t hdr = le_get(self->hcfg + pos, 4);

			if (!hdr)
				break;
			f[n++] = (struct cfg_field){ pos, 4, "extended capability header" };
			pos = PCI_EXT_CAP_NEXT(hdr);
		}
	}
	TH_LOG("%d read-only fields", n);

	open_device(_metadata, self);
	for (i = 0; i < n; i++) {
		CFG_WRITE(&f[i], ~le_get(self->hcfg + f[i].off, f[i].size));
		CFG_WRITE(&f[i], 0);
	}
	check_unchanged(_metadata, self->hcfg, f, n);
}

/*
 * Virtualized fields: the six BARs (sized with all-ones, then given another
 * address), the ROM BAR (the same, with its enable bit), the interrupt
 * line, and MSI's address and data.  The device keeps its own values: the
 * BARs stay where the host put them.
 */
TEST_F(access, config_virtualized)
{
	struct cfg_field f[16];
	uint32_t orig[16];
	int n = 0, i, msi;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		f[n++] = (struct cfg_field){ PCI_BASE_ADDRESS_0 + 4 * i, 4, "BAR" };
	f[n++] = (struct cfg_field){ PCI_ROM_ADDRESS, 4, "ROM BAR" };
	f[n++] = (struct cfg_field){ PCI_INTERRUPT_LINE, 1, "interrupt line" };
	msi = find_cap(self->hcfg, PCI_CAP_ID_MSI);
	if (msi) {
		bool is64 = le_get(self->hcfg + msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_64BIT;

		f[n++] = (struct cfg_field){ msi + PCI_MSI_ADDRESS_LO, 4, "MSI address" };
		if (is64) {
			f[n++] = (struct cfg_field){ msi + PCI_MSI_ADDRESS_HI, 4, "MSI upper address" };
			f[n++] = (struct cfg_field){ msi + PCI_MSI_DATA_64, 2, "MSI data" };
		} else {
			f[n++] = (struct cfg_field){ msi + PCI_MSI_DATA_32, 2, "MSI data" };
		}
	}

	open_device(_metadata, self);
	for (i = 0; i < n; i++) {
		orig[i] = 0;
		ASSERT_EQ(f[i].size, cfg_read(self->device, f[i].off, &orig[i], f[i].size));
	}
	for (i = 0; i < n; i++) {
		uint32_t other;

		if (f[i].off == PCI_INTERRUPT_LINE)
			other = self->hcfg[PCI_INTERRUPT_LINE] ^ 0x5a;
		else if (f[i].off == PCI_ROM_ADDRESS)
			other = 0x00ab0000 | PCI_ROM_ADDRESS_ENABLE;
		else if (f[i].off < PCI_ROM_ADDRESS)
			other = 0x12345000 | (orig[i] & 0xf);
		else
			other = 0xfee0a000 ^ i;
		CFG_WRITE(&f[i], ~0u);
		CFG_WRITE(&f[i], other);
	}
	check_unchanged(_metadata, self->hcfg, f, n);
	/* The device still answers at the address it had (BAR 0 or the first one with a size). */
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		uint32_t v;

		if (!self->device->bars[i].info.size)
			continue;
		ASSERT_EQ(4, rvfio_pread(self->device->fd, &v, 4, region_off(i)));
		break;
	}
	for (i = 0; i < n; i++)
		CFG_WRITE(&f[i], orig[i]);
}

/*
 * The partner (same group) is held by uio_pci_generic, which keeps the
 * kernel's DMA ownership: the group is not viable.  GET_STATUS lacks
 * VIABLE; SET_CONTAINER with a type1 container is EPERM (the group's DMA
 * ownership cannot be claimed), so GET_DEVICE_FD has no IOMMU: EINVAL.
 * With an iommufd as the container the group is accepted, and the device
 * is refused when it is opened: EPERM.  The cdev opens, its bind: EPERM.
 */
TEST_F(access, not_viable)
{
	char drv[64];
	int g, c, ctr, iommufd, flags;

	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	ASSERT_STREQ("uio_pci_generic", drv) TH_LOG("partner %s is on '%s'", partner_bdf, drv);

	g = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g);
	flags = group_flags(g);
	TH_LOG("group flags %#x", flags);
	ASSERT_LE(0, flags);
	ASSERT_FALSE(flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_FALSE(flags & VFIO_GROUP_FLAGS_CONTAINER_SET);

	ctr = open_err("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, ctr);
	ASSERT_EQ(-EPERM, rvfio_ioctl(g, VFIO_GROUP_SET_CONTAINER, &ctr));
	ASSERT_EQ(-EINVAL, group_device_fd(g, device_bdf));
	close(ctr);

	iommufd = open_err("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, rvfio_ioctl(g, VFIO_GROUP_SET_CONTAINER, &iommufd));
	ASSERT_EQ(-EPERM, group_device_fd(g, device_bdf));
	close(g);

	c = open_err(self->cdev, O_RDWR);
	ASSERT_LE(0, c);
	ASSERT_EQ(-EPERM, bind_iommufd(c, iommufd));
	ASSERT_EQ(-EINVAL, get_info(c));
	close(c);
	close(iommufd);
}

/* The partner let go by its driver: the same calls succeed. */
TEST_F(access, viable_again)
{
	char drv[64], path[PATH_MAX];
	int g, c, d, ctr, iommufd, flags;

	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", partner_bdf);
		ASSERT_EQ(0, sysfs_write(path, partner_bdf));
	}
	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	ASSERT_STREQ("", drv);

	/* Group form, type1 container. */
	g = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g);
	flags = group_flags(g);
	TH_LOG("group flags %#x", flags);
	ASSERT_LE(0, flags);
	ASSERT_TRUE(flags & VFIO_GROUP_FLAGS_VIABLE);
	ctr = open_err("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, ctr);
	ASSERT_EQ(0, rvfio_ioctl(g, VFIO_GROUP_SET_CONTAINER, &ctr));
	ASSERT_EQ(0, ioctl(ctr, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	d = group_device_fd(g, device_bdf);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, get_info(d));
	close(d);
	close(g);
	close(ctr);

	/* Group form, iommufd as the container. */
	iommufd = open_err("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	g = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g);
	ASSERT_EQ(0, rvfio_ioctl(g, VFIO_GROUP_SET_CONTAINER, &iommufd));
	d = group_device_fd(g, device_bdf);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, get_info(d));
	close(d);
	close(g);

	/* Cdev form. */
	c = open_err(self->cdev, O_RDWR);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind_iommufd(c, iommufd));
	ASSERT_EQ(0, get_info(c));
	close(c);
	close(iommufd);
}

/* Binds `bdf` to uio_pci_generic through its bind file: 0 or -errno. */
static int uio_bind(const char *bdf)
{
	return sysfs_write("/sys/bus/pci/drivers/uio_pci_generic/bind", bdf);
}

/*
 * The other way round: while the device is open (group form with a type1
 * container, then cdev form), the group's DMA belongs to its user, and a
 * kernel driver that wants the kernel's DMA ownership cannot be bound to
 * the partner: EBUSY, and the partner stays without a driver.  Closed, the
 * partner binds (and is left on uio_pci_generic, as the suite bound it).
 */
TEST_F(access, kernel_driver_refused)
{
	char drv[64], path[PATH_MAX];
	int g, c, d, ctr, iommufd;

	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", partner_bdf);
		ASSERT_EQ(0, sysfs_write(path, partner_bdf));
	}
	/* uio_pci_generic has no ID table: the partner's driver_override names it. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", partner_bdf);
	ASSERT_EQ(0, sysfs_write(path, "uio_pci_generic"));

	g = open_err(self->group, O_RDWR);
	ASSERT_LE(0, g);
	ctr = open_err("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, ctr);
	ASSERT_EQ(0, rvfio_ioctl(g, VFIO_GROUP_SET_CONTAINER, &ctr));
	ASSERT_EQ(0, ioctl(ctr, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	d = group_device_fd(g, device_bdf);
	ASSERT_LE(0, d);
	ASSERT_EQ(-EBUSY, uio_bind(partner_bdf));
	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	close(d);
	close(g);
	close(ctr);

	iommufd = open_err("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	c = open_err(self->cdev, O_RDWR);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind_iommufd(c, iommufd));
	ASSERT_EQ(-EBUSY, uio_bind(partner_bdf));
	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	close(c);
	close(iommufd);

	ASSERT_EQ(0, uio_bind(partner_bdf));
	sysfs_driver_name(partner_bdf, drv, sizeof(drv));
	ASSERT_STREQ("uio_pci_generic", drv);
}

int main(int argc, char *argv[])
{
	static const char *const pair_tests[] = {
		"not_viable", "viable_again", "kernel_driver_refused",
	};
	char **args;
	int i, n = 0;

	bdfs = vfio_selftests_get_bdfs(&argc, argv, &nr_bdfs);
	device_bdf = bdfs[0];
	if (nr_bdfs == 2) {
		partner_bdf = bdfs[1];
		if (sysfs_iommu_group_get(bdfs[0]) != sysfs_iommu_group_get(bdfs[1])) {
			printf("# %s and %s are not in one IOMMU group\n", bdfs[0], bdfs[1]);
			return KSFT_SKIP;
		}
		printf("# %s on vfio-pci, partner %s (group %d): the not-viable cases only\n",
		       bdfs[0], bdfs[1], sysfs_iommu_group_get(bdfs[0]));
	} else if (nr_bdfs != 1) {
		printf("# one BDF, or two for the not-viable cases; got %d\n", nr_bdfs);
		return KSFT_SKIP;
	}
	/* With a partner only the two pair cases; without, all the others. */
	args = calloc(argc + 2 * ARRAY_SIZE(pair_tests) + 1, sizeof(*args));
	args[n++] = argv[0];
	for (i = 0; i < ARRAY_SIZE(pair_tests); i++) {
		args[n++] = nr_bdfs == 2 ? "-t" : "-T";
		args[n++] = (char *)pair_tests[i];
	}
	for (i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return test_harness_run(n, args);
}
