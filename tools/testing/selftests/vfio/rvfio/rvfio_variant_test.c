// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-tree variant drivers of the Rust vfio-pci for QEMU's edu device
 * (drivers/vfio/pci/rust/edu.rs): vfio-pci-edu and vfio-pci-edu-nozap.
 * Both map only the first page of BAR0, through the device file with a
 * fault handler of their own, and say so with a sparse mmap capability;
 * vfio-pci-edu keeps the core's zap of such mappings when it revokes the
 * BARs (zap_bars_on_revoke, on by default for a variant that overrides
 * mmap), vfio-pci-edu-nozap opts out.
 *
 *  - the mapping reads edu's identification (0x010000ed) and is live;
 *  - REGION_INFO of BAR0 has the sparse mmap capability (one page), no
 *    other BAR offers mmap;
 *  - mmap() of anything else gets EINVAL;
 *  - memory decode off: the zapping variant's mapping raises SIGBUS (in a
 *    forked child), and works again with decode on; the opted-out one is
 *    left in place (no SIGBUS);
 *  - VFIO_DEVICE_RESET and a bus reset: the zapping variant's mapping faults
 *    in again afterwards, the opted-out one does not (minor fault count);
 *  - a mapping outlives close(); after munmap() the device unbinds and
 *    binds again.
 *
 *   rvfio_variant_test [harness options] BDF
 *
 * The device must be edu bound to one of the two variant drivers; bound to
 * any other driver (the C vfio-pci has no such variants), every case skips
 * and says why.
 */
#include <signal.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

#define EDU_ID_VALUE	0x010000edu
#define EDU_ID		0x00
#define EDU_LIVENESS	0x04

#define DRV_ZAP		"vfio-pci-edu"
#define DRV_NOZAP	"vfio-pci-edu-nozap"

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* The errno of an mmap() expected to fail (0 if it did not). */
static int map_errno(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return errno;
}

static int set_memory(struct vfio_pci_device *d, bool on)
{
	uint16_t cmd;

	if (cfg_read(d, PCI_COMMAND, &cmd, 2) != 2)
		return -EIO;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	return cfg_write(d, PCI_COMMAND, &cmd, 2) == 2 ? 0 : -EIO;
}

/*
 * Reads the identification register through the mapping in a forked
 * child: 0 if the read went through (the value in *val), SIGBUS if the
 * child died of it, -1 for anything else.
 */
static int child_read(const volatile void *map, uint32_t *val)
{
	int pipefd[2], status;
	uint32_t v = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct rlimit nocore = { 0, 0 };

		/* Die of SIGBUS, without leaving a core behind. */
		setrlimit(RLIMIT_CORE, &nocore);
		signal(SIGBUS, SIG_DFL);
		close(pipefd[0]);
		v = *(const volatile uint32_t *)((const volatile char *)map + EDU_ID);
		_exit(write(pipefd[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &v, sizeof(v)) != sizeof(v))
		v = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGBUS ? SIGBUS : -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	*val = v;
	return 0;
}

FIXTURE(variant) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	/* vfio-pci-edu (true) or vfio-pci-edu-nozap (false). */
	bool zap;
	char drv[64];
	/* The test's own mapping of BAR0's first page, if any. */
	volatile uint32_t *map;
};

static void open_device(struct __test_metadata *_metadata,
			FIXTURE_DATA(variant) *self)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
}

static void close_device(FIXTURE_DATA(variant) *self)
{
	rvfio_device_close(&self->device, &self->iommu);
	self->fd = -1;
}

FIXTURE_SETUP(variant)
{
	uint8_t cfg[PCI_STD_HEADER_SIZEOF];

	self->map = NULL;
	self->device = NULL;
	self->iommu = NULL;
	ASSERT_LT(0, sysfs_config_read(device_bdf, cfg, sizeof(cfg)));
	if (le_get(cfg + PCI_VENDOR_ID, 2) != 0x1234 ||
	    le_get(cfg + PCI_DEVICE_ID, 2) != 0x11e8)
		SKIP(return, "%s is not edu (1234:11e8)", device_bdf);
	sysfs_driver_name(device_bdf, self->drv, sizeof(self->drv));
	if (!strcmp(self->drv, DRV_ZAP))
		self->zap = true;
	else if (!strcmp(self->drv, DRV_NOZAP))
		self->zap = false;
	else
		SKIP(return, "%s is bound to \"%s\", not to a variant driver (" DRV_ZAP
		     " or " DRV_NOZAP ", which only the Rust vfio_pci_rust module has)",
		     device_bdf, self->drv);
	TH_LOG("%s bound to %s: mappings %s zapped on revocation", device_bdf,
	       self->drv, self->zap ? "are" : "are not");
	open_device(_metadata, self);
}

FIXTURE_TEARDOWN(variant)
{
	if (self->map)
		munmap((void *)self->map, page_size());
	close_device(self);
}

/* Maps BAR0's first page into self->map. */
#define MAP_PAGE() do {							\
	void *__p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,	\
			 MAP_SHARED, self->fd, region_off(VFIO_PCI_BAR0_REGION_INDEX)); \
	ASSERT_NE(MAP_FAILED, __p) TH_LOG("mmap of BAR0's first page: %s", \
					  strerror(errno));		\
	self->map = __p;						\
} while (0)

/* The mapping reads edu's ID and its liveness register inverts what is written. */
#define ALIVE(_w) do {							\
	uint32_t __w = (_w);						\
	ASSERT_EQ(EDU_ID_VALUE, self->map[EDU_ID / 4]);			\
	self->map[EDU_LIVENESS / 4] = __w;				\
	ASSERT_EQ(~__w, self->map[EDU_LIVENESS / 4]);			\
} while (0)

/* The first page of BAR0 maps, and reads what the region reads. */
TEST_F(variant, map_read_id)
{
	uint32_t v;

	MAP_PAGE();
	ASSERT_EQ(EDU_ID_VALUE, self->map[EDU_ID / 4]);
	ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4,
				 region_off(VFIO_PCI_BAR0_REGION_INDEX) + EDU_ID));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ALIVE(0x5a5a1234);
	/* Writes through the mapping reach the device: read back by pread. */
	self->map[EDU_LIVENESS / 4] = 0x0f0f0f0f;
	ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4,
				 region_off(VFIO_PCI_BAR0_REGION_INDEX) + EDU_LIVENESS));
	ASSERT_EQ(~0x0f0f0f0fu, v);
}

/* BAR0 offers mmap, restricted by a sparse mmap capability to its first page. */
TEST_F(variant, region_info_sparse)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_region_info ri, *full;
	char buf[512];
	size_t off;
	int i;

	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ASSERT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
	/* Too small for the chain: the size needed, no chain. */
	ASSERT_LT(sizeof(ri), ri.argsz);
	ASSERT_EQ(0, ri.cap_offset);

	off = region_find_cap(self->fd, VFIO_PCI_BAR0_REGION_INDEX,
			      VFIO_REGION_INFO_CAP_SPARSE_MMAP, buf, sizeof(buf));
	ASSERT_NE(0, off);
	full = (struct vfio_region_info *)buf;
	ASSERT_EQ(ri.size, full->size);
	sparse = (struct vfio_region_info_cap_sparse_mmap *)(buf + off);
	ASSERT_EQ(1, sparse->header.version);
	ASSERT_EQ(1, sparse->nr_areas);
	ASSERT_EQ(0, sparse->areas[0].offset);
	ASSERT_EQ(page_size(), sparse->areas[0].size);

	/* No other BAR offers mmap. */
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		memset(&ri, 0, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.index = i;
		ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
		ASSERT_FALSE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) TH_LOG("BAR%d", i);
	}
}

/* Anything but a shared mapping of BAR0's first page: EINVAL. */
TEST_F(variant, mmap_refused)
{
	uint64_t bar0 = region_off(VFIO_PCI_BAR0_REGION_INDEX);
	long pg = page_size();
	int i;

	/* Past the first page, or more than it. */
	ASSERT_EQ(EINVAL, map_errno(self->fd, bar0, 2 * pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, bar0 + pg, pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, bar0 + 16 * pg, pg,
				    PROT_READ | PROT_WRITE, MAP_SHARED));
	/* Private: no. */
	ASSERT_EQ(EINVAL, map_errno(self->fd, bar0, pg, PROT_READ, MAP_PRIVATE));
	/* Other BARs, the ROM, config space, VGA. */
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++)
		ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(i), pg, PROT_READ,
					    MAP_SHARED)) TH_LOG("BAR%d", i);
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(VFIO_PCI_ROM_REGION_INDEX),
				    pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(VFIO_PCI_CONFIG_REGION_INDEX),
				    pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(VFIO_PCI_VGA_REGION_INDEX),
				    pg, PROT_READ, MAP_SHARED));
	/* The one that works, read-only too. */
	ASSERT_EQ(0, map_errno(self->fd, bar0, pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(0, map_errno(self->fd, bar0, pg, PROT_READ | PROT_WRITE, MAP_SHARED));
}

/*
 * Memory decode off (PCI_COMMAND through the config region): with the zap,
 * the mapping is revoked and a read raises SIGBUS; without it, the mapping
 * is left alone and the read goes through (to a device that does not
 * decode it: its value is whatever the bus returns). Decode on again: the
 * mapping reads the device.
 */
TEST_F(variant, memory_disable)
{
	uint32_t v = 0;
	int r;

	MAP_PAGE();
	ALIVE(0x11223344);
	ASSERT_EQ(0, set_memory(self->device, false));
	r = child_read(self->map, &v);
	if (self->zap) {
		ASSERT_EQ(SIGBUS, r) TH_LOG("read %#x with memory decode off (r %d)", v, r);
		/* Still revoked on a second try. */
		ASSERT_EQ(SIGBUS, child_read(self->map, &v));
	} else {
		ASSERT_EQ(0, r) TH_LOG("the opted-out mapping was revoked (r %d)", r);
		TH_LOG("opted out: read %#x through the mapping with decode off", v);
		/* And in this process too: no fault. */
		v = self->map[EDU_ID / 4];
	}
	ASSERT_EQ(0, set_memory(self->device, true));
	ASSERT_EQ(0, child_read(self->map, &v));
	ASSERT_EQ(EDU_ID_VALUE, v);
	ALIVE(0x55667788);
}

/*
 * How many page faults reading the mapping once costs: 1 if the mapping
 * was zapped since the last access (it faults in again), 0 if not.
 */
static long faults_after(volatile uint32_t *map)
{
	long f0, f1;
	uint32_t v;

	f0 = minflt();
	v = map[EDU_ID / 4];
	f1 = minflt();
	(void)v;
	return f1 - f0;
}

/* Around VFIO_DEVICE_RESET: zapped with the flag, left alone without it. */
TEST_F(variant, reset)
{
	long n;

	if (!(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "edu has no function reset here (no FLR or PM reset, and "
		     "not alone on its bus): VFIO_DEVICE_RESET is not offered");
	MAP_PAGE();
	ALIVE(0x01020304);
	ASSERT_EQ(0, faults_after(self->map));
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	n = faults_after(self->map);
	TH_LOG("%ld fault(s) on the first read after the reset", n);
	ASSERT_EQ(self->zap ? 1 : 0, n);
	ALIVE(0x05060708);
}

/* Around a bus reset (VFIO_DEVICE_PCI_HOT_RESET): the same. */
TEST_F(variant, hot_reset)
{
	struct { struct vfio_pci_hot_reset h; int32_t fds[1]; } a;
	bool cdev = !self->iommu->mode->container_path;
	long n;
	int r;

	MAP_PAGE();
	ALIVE(0x0a0b0c0d);
	/* Warm up the measurement: the read itself must not fault now. */
	ASSERT_EQ(0, faults_after(self->map));
	memset(&a, 0, sizeof(a));
	a.h.count = cdev ? 0 : 1;
	a.h.argsz = sizeof(a.h) + a.h.count * sizeof(int32_t);
	a.fds[0] = self->device->group_fd;
	r = rvfio_ioctl(self->fd, VFIO_DEVICE_PCI_HOT_RESET, &a);
	if (r == -ENODEV)
		SKIP(return, "no slot or bus reset for %s (on a root bus?)", device_bdf);
	ASSERT_EQ(0, r) TH_LOG("hot reset: %s", strerror(-r));
	n = faults_after(self->map);
	TH_LOG("%ld fault(s) on the first read after the bus reset", n);
	ASSERT_EQ(self->zap ? 1 : 0, n);
	ALIVE(0x0e0f1011);
}

/*
 * The mapping keeps the device open after close(); once unmapped, nothing
 * is left: the device unbinds from the variant driver, binds again (its
 * driver_override still names it) and opens.
 */
TEST_F(variant, close_then_unbind)
{
	char again[64], path[PATH_MAX];

	MAP_PAGE();
	ALIVE(0x12345678);
	close_device(self);
	/* Live, not a copy. */
	ALIVE(0x9abcdef0);
	ASSERT_EQ(0, munmap((void *)self->map, page_size()));
	self->map = NULL;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", device_bdf);
	ASSERT_EQ(0, sysfs_write(path, device_bdf));
	sysfs_driver_name(device_bdf, again, sizeof(again));
	ASSERT_STREQ("", again);
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", device_bdf));
	sysfs_driver_name(device_bdf, again, sizeof(again));
	ASSERT_STREQ(self->drv, again);

	open_device(_metadata, self);
	MAP_PAGE();
	ALIVE(0x0badf00d);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
