// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR mmap() on a vfio-pci device file, and the revocation of the mappings:
 *
 *  - what mmap() accepts and refuses (shared mappings of BARs that report
 *    VFIO_REGION_INFO_FLAG_MMAP, inside the page-rounded BAR; EINVAL for
 *    anything else);
 *  - a mapping reads what the region reads, and keeps the device open after
 *    every fd is closed;
 *  - clearing the memory enable bit of the command register revokes every
 *    mapping (a fault raises SIGBUS, in this process, its threads and its
 *    forked children), setting it again gives the live device back, with
 *    no stale values in between;
 *  - a function reset or a bus reset keeps the mappings usable;
 *  - a large BAR maps and faults in correctly whatever page size the
 *    driver uses, and a plain mmap(NULL, ...) of it uses huge entries;
 *  - VFIO_DEVICE_FEATURE_DMA_BUF: what the export refuses (C's errnos),
 *    and the exported fd mapped: revoked by memory disable and by closing
 *    the device (C 7.3 cannot mmap the fd).
 *
 * One BDF runs the single-device fixture (mmap); two BDFs (two functions
 * sharing an IOMMU group and a bus reset, the bridged edu pair) run the
 * pair fixture (mmap_pair) only:
 *
 *   rvfio_mmap_test [harness options] BDF [BDF1]
 *
 * The expected results are the C vfio-pci's (vfio_pci_core_mmap(), its
 * fault handler and the zap on memory disable and reset in vfio_pci_core.c).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

#define EDU_ID_VALUE	0x010000edu
#define EDU_ID		0x00
#define EDU_LIVENESS	0x04

/* Memory enable off and on this many times in the race cases. */
#define TOGGLES		200
/* The race cases give up toggling after this long (TCG is slow). */
#define RACE_SECS	60

/* ---- SIGBUS, caught per thread ------------------------------------------ */

/* The jump buffer of the read this thread has in flight, or NULL. */
static __thread sigjmp_buf *bus_jmp;

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = bus_jmp;

	if (jb) {
		bus_jmp = NULL;
		siglongjmp(*jb, 1);
	}
	/* Not one of ours: die of it. */
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static int bus_catch(void)
{
	struct sigaction sa = { .sa_sigaction = bus_handler, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL);
}

/*
 * Four bytes at p through a mapping: 0 and the value, or -1 if the access
 * raised SIGBUS.
 */
static __attribute__((__noinline__)) int map_read32(const volatile void *p,
						 uint32_t *val)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1))
		return -1;
	bus_jmp = &jb;
	*val = *(const volatile uint32_t *)p;
	bus_jmp = NULL;
	return 0;
}

static __attribute__((__noinline__)) int map_write32(volatile void *p, uint32_t val)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1))
		return -1;
	bus_jmp = &jb;
	*(volatile uint32_t *)p = val;
	bus_jmp = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static uint64_t page_align(uint64_t v)
{
	return (v + page_size() - 1) & ~(uint64_t)(page_size() - 1);
}

static int region_info(int fd, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return rvfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri);
}

/* mmap() of len bytes at off (a device file offset): the address, or NULL with errno. */
static void *map_at(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* The errno of an mmap() that is expected to fail (0 if it did not). */
static int map_errno(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return errno;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- single device ------------------------------------------------------ */

FIXTURE(mmap) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	uint16_t vendor, devid;
	bool edu;
	/*
	 * The BARs C lets map (see mappable()), chosen from sysfs, not from
	 * the driver's flags, so that a driver without mmap fails rather
	 * than skips: all of them (bit mask), the first without MSI-X
	 * structures and the largest (-1 if none).
	 */
	unsigned int mappable;
	int bar;
	int big;
	/* A BAR index C never maps (I/O port or not implemented), or -1. */
	int nommap;
	struct vfio_region_info ri[PCI_STD_NUM_BARS];
	/* The test's own mapping, unmapped by the teardown if still there. */
	void *map;
	size_t map_len;
	void *resv;
	size_t resv_len;
};

/* The BARs holding the MSI-X table and PBA (bit mask), from the config image. */
static unsigned int msix_bars(struct vfio_pci_device *d)
{
	uint8_t cfg[RVFIO_PCI_CFG_MAX];
	int pos;

	if (vfio_config_image(d, cfg) < PCI_CFG_SPACE_SIZE)
		return 0;
	pos = find_cap(cfg, PCI_CAP_ID_MSIX);
	if (!pos)
		return 0;
	return 1u << (le_get(cfg + pos + PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_BIR) |
	       1u << (le_get(cfg + pos + PCI_MSIX_PBA, 4) & PCI_MSIX_PBA_BIR);
}

/*
 * Does C's vfio-pci offer mmap for this BAR?  Memory BARs of a page or
 * more; smaller ones only when they start on a page boundary (the rest of
 * the page is then reserved for them).
 */
static bool mappable(uint64_t start, uint64_t size, uint64_t flags)
{
	if (!size || !(flags & RVFIO_IORESOURCE_MEM))
		return false;
	return size >= (uint64_t)page_size() || !(start & (page_size() - 1));
}

static void open_device(struct __test_metadata *_metadata,
			FIXTURE_DATA(mmap) *self)
{
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
}

static void close_device(FIXTURE_DATA(mmap) *self)
{
	rvfio_device_close(&self->device, &self->iommu);
	self->fd = -1;
}

FIXTURE_SETUP(mmap)
{
	uint8_t cfg[PCI_STD_HEADER_SIZEOF];
	unsigned int msix;
	int i;

	self->map = self->resv = NULL;
	ASSERT_EQ(0, bus_catch());
	ASSERT_LT(0, sysfs_config_read(device_bdf, cfg, sizeof(cfg)));
	self->vendor = le_get(cfg + PCI_VENDOR_ID, 2);
	self->devid = le_get(cfg + PCI_DEVICE_ID, 2);
	self->edu = self->vendor == 0x1234 && self->devid == 0x11e8;
	open_device(_metadata, self);

	msix = msix_bars(self->device);
	self->mappable = 0;
	self->bar = self->big = self->nommap = -1;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_region_info *ri = &self->ri[i];
		uint64_t start, size, flags;

		ASSERT_EQ(0, region_info(self->fd, i, ri));
		ASSERT_EQ(0, sysfs_resource(device_bdf, i, &start, &size, &flags));
		if (!mappable(start, size, flags)) {
			if (self->nommap < 0)
				self->nommap = i;
			continue;
		}
		self->mappable |= 1u << i;
		if (self->bar < 0 && !(msix & (1u << i)))
			self->bar = i;
		if (self->big < 0 || ri->size > self->ri[self->big].size)
			self->big = i;
	}
}

/* BAR i must offer mmap (it is one C maps). */
#define MUST_MMAP(_i) \
	ASSERT_TRUE(self->ri[(_i)].flags & VFIO_REGION_INFO_FLAG_MMAP) \
		TH_LOG("BAR%d (%#llx bytes, memory) has no VFIO_REGION_INFO_FLAG_MMAP " \
		       "(flags %#x)", (_i), self->ri[(_i)].size, self->ri[(_i)].flags)

FIXTURE_TEARDOWN(mmap)
{
	if (self->map)
		munmap(self->map, self->map_len);
	if (self->resv)
		munmap(self->resv, self->resv_len);
	close_device(self);
}

#define NEED_BAR() do {							\
	if (self->bar < 0)						\
		SKIP(return, "no memory BAR to map (outside MSI-X)");	\
	MUST_MMAP(self->bar);						\
} while (0)

/* Maps the whole of BAR self->bar into self->map. */
#define MAP_BAR() do {							\
	self->map_len = self->ri[self->bar].size;			\
	self->map = map_at(self->fd, self->ri[self->bar].offset,	\
			   self->map_len, PROT_READ | PROT_WRITE, MAP_SHARED); \
	ASSERT_NE(NULL, self->map) TH_LOG("mmap BAR%d (%#llx bytes): %s", \
		self->bar, self->ri[self->bar].size, strerror(errno));	\
} while (0)

/* The first four bytes of BAR self->bar through the region (pread). */
#define REGION_READ32() ({						\
	uint32_t __v = 0;						\
	ASSERT_EQ(4, rvfio_pread(self->fd, &__v, 4, self->ri[self->bar].offset)); \
	__v;								\
})

/* The first four bytes through the mapping; the access must not fault. */
#define MAP_READ32(_map) ({						\
	uint32_t __v = 0;						\
	ASSERT_EQ(0, map_read32((_map), &__v)) TH_LOG("SIGBUS reading the mapping"); \
	__v;								\
})

static int set_memory(struct vfio_pci_device *d, bool on)
{
	uint16_t cmd;

	if (cfg_read(d, PCI_COMMAND, &cmd, 2) != 2)
		return -EIO;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	return cfg_write(d, PCI_COMMAND, &cmd, 2) == 2 ? 0 : -EIO;
}

/* The mapping reads what the region reads (edu: its identification). */
TEST_F(mmap, map_read_id)
{
	unsigned int n = 0;
	int i;

	NEED_BAR();
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_region_info *ri = &self->ri[i];
		uint32_t viamap, viaread;
		void *p;

		if (!(self->mappable & (1u << i)))
			continue;
		MUST_MMAP(i);
		if (i != self->bar && msix_bars(self->device) & (1u << i)) {
			TH_LOG("BAR%d holds MSI-X structures: not compared", i);
			continue;
		}
		p = map_at(self->fd, ri->offset, ri->size, PROT_READ | PROT_WRITE,
			   MAP_SHARED);
		ASSERT_NE(NULL, p) TH_LOG("mmap BAR%d (%#llx bytes): %s", i,
					  ri->size, strerror(errno));
		ASSERT_EQ(0, map_read32(p, &viamap));
		ASSERT_EQ(4, rvfio_pread(self->fd, &viaread, 4, ri->offset));
		TH_LOG("BAR%d (%#llx bytes): %#x through the mapping, %#x by pread",
		       i, ri->size, viamap, viaread);
		ASSERT_EQ(viaread, viamap);
		if (self->edu && i == 0) {
			ASSERT_EQ(EDU_ID_VALUE, viamap);
		}
		ASSERT_EQ(0, munmap(p, ri->size));
		n++;
	}
	ASSERT_LT(0, n);
}

/*
 * The mapping holds the device open: with the device fd, the group or
 * cdev and the IOMMU fds closed, it still reads the device; after the
 * munmap() the device opens again.
 */
TEST_F(mmap, mapping_outlives_fd)
{
	uint32_t before, after, v, w = 0x1234abcd;

	NEED_BAR();
	MAP_BAR();
	before = MAP_READ32(self->map);
	ASSERT_EQ(before, REGION_READ32());

	close_device(self);
	after = MAP_READ32(self->map);
	ASSERT_EQ(before, after);
	if (self->edu && self->bar == 0) {
		ASSERT_EQ(EDU_ID_VALUE, after);
		/* Live, not a copy: the liveness register answers. */
		ASSERT_EQ(0, map_write32((char *)self->map + EDU_LIVENESS, w));
		ASSERT_EQ(0, map_read32((char *)self->map + EDU_LIVENESS, &v));
		ASSERT_EQ(~w, v);
	}
	ASSERT_EQ(0, munmap(self->map, self->map_len));
	self->map = NULL;

	open_device(_metadata, self);
	ASSERT_EQ(before, REGION_READ32());
	MAP_BAR();
	ASSERT_EQ(before, MAP_READ32(self->map));
}

/* What mmap() refuses, with C's errno (EINVAL for all of it). */
TEST_F(mmap, mmap_rules)
{
	struct vfio_region_info *ri;
	long pg = page_size();
	uint64_t len;
	void *p;

	NEED_BAR();
	ri = &self->ri[self->bar];
	len = page_align(ri->size);
	TH_LOG("BAR%d: %#llx bytes, %#llx page-aligned", self->bar, ri->size,
	       (unsigned long long)len);

	/* Private mappings: no. */
	ASSERT_EQ(EINVAL, map_errno(self->fd, ri->offset, len,
				    PROT_READ, MAP_PRIVATE));
	/* Past the page-rounded BAR: no; up to it: yes. */
	ASSERT_EQ(EINVAL, map_errno(self->fd, ri->offset, len + pg,
				    PROT_READ | PROT_WRITE, MAP_SHARED));
	ASSERT_EQ(0, map_errno(self->fd, ri->offset, len,
			       PROT_READ | PROT_WRITE, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, ri->offset + len, pg,
				    PROT_READ, MAP_SHARED));
	if (len >= 2 * pg) {
		/* A window inside the BAR maps; one running past the end not. */
		ASSERT_EQ(0, map_errno(self->fd, ri->offset + pg, len - pg,
				       PROT_READ | PROT_WRITE, MAP_SHARED));
		ASSERT_EQ(EINVAL, map_errno(self->fd, ri->offset + pg, len,
					    PROT_READ | PROT_WRITE, MAP_SHARED));
	}
	/* Read-only shared: fine. */
	p = map_at(self->fd, ri->offset, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(NULL, p) TH_LOG("read-only mmap: %s", strerror(errno));
	ASSERT_EQ(REGION_READ32(), MAP_READ32(p));
	ASSERT_EQ(0, munmap(p, len));

	/* ROM, config space and VGA regions: never. */
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(VFIO_PCI_ROM_REGION_INDEX),
				    pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(VFIO_PCI_CONFIG_REGION_INDEX),
				    pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(VFIO_PCI_VGA_REGION_INDEX),
				    pg, PROT_READ, MAP_SHARED));
	/* Past the last region the device reports. */
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(self->device->info.num_regions),
				    pg, PROT_READ, MAP_SHARED));
	ASSERT_EQ(EINVAL, map_errno(self->fd, region_off(0xffff), pg,
				    PROT_READ, MAP_SHARED));
	/* A BAR C never maps (I/O port BAR, or not implemented). */
	if (self->nommap >= 0) {
		TH_LOG("BAR%d (%#llx bytes, flags %#x): not mappable", self->nommap,
		       self->ri[self->nommap].size, self->ri[self->nommap].flags);
		ASSERT_FALSE(self->ri[self->nommap].flags & VFIO_REGION_INFO_FLAG_MMAP);
		ASSERT_EQ(EINVAL, map_errno(self->fd, self->ri[self->nommap].offset,
					    pg, PROT_READ, MAP_SHARED));
	}
}

/*
 * Memory decoding off revokes the mapping: a read faults with SIGBUS (and a
 * region read fails with EIO); back on, the mapping reads the device again.
 */
TEST_F(mmap, memory_disable_sigbus)
{
	uint32_t live, v;

	NEED_BAR();
	MAP_BAR();
	live = MAP_READ32(self->map);
	ASSERT_EQ(live, REGION_READ32());

	ASSERT_EQ(0, set_memory(self->device, false));
	ASSERT_EQ(-1, map_read32(self->map, &v)) TH_LOG("read %#x with memory off", v);
	ASSERT_EQ(-EIO, rvfio_pread(self->fd, &v, 4, self->ri[self->bar].offset));
	/* Still revoked on a second try, and for writes too. */
	ASSERT_EQ(-1, map_read32(self->map, &v));
	ASSERT_EQ(-1, map_write32(self->map, 0));

	ASSERT_EQ(0, set_memory(self->device, true));
	ASSERT_EQ(live, MAP_READ32(self->map));
	if (self->edu && self->bar == 0) {
		ASSERT_EQ(EDU_ID_VALUE, live);
	}
}

/*
 * VFIO_DEVICE_RESET with a live mapping: the reset restores the command
 * register (memory decoding on), so the mapping reads the device after it.
 */
TEST_F(mmap, reset_keeps_mapping)
{
	uint32_t live, v, w = 0x600dcafe;
	uint16_t cmd;
	long f0;

	if (!sysfs_has(device_bdf, "reset"))
		SKIP(return, "no function reset (no sysfs reset file)");
	ASSERT_TRUE(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET);
	NEED_BAR();
	MAP_BAR();
	live = MAP_READ32(self->map);
	ASSERT_EQ(live, REGION_READ32());

	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(2, cfg_read(self->device, PCI_COMMAND, &cmd, 2));
	ASSERT_TRUE(cmd & PCI_COMMAND_MEMORY);
	f0 = minflt();
	ASSERT_EQ(live, MAP_READ32(self->map));
	ASSERT_EQ(live, REGION_READ32());
	TH_LOG("minor faults for the first read after the reset: %ld", minflt() - f0);
	if (self->edu && self->bar == 0) {
		ASSERT_EQ(EDU_ID_VALUE, live);
		ASSERT_EQ(0, map_write32((char *)self->map + EDU_LIVENESS, w));
		ASSERT_EQ(0, map_read32((char *)self->map + EDU_LIVENESS, &v));
		ASSERT_EQ(~w, v);
	}

	/* Twice in a row, and with memory decoding off before the reset. */
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(live, MAP_READ32(self->map));
	ASSERT_EQ(0, set_memory(self->device, false));
	ASSERT_EQ(-1, map_read32(self->map, &v));
	ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_RESET, NULL));
	ASSERT_EQ(2, cfg_read(self->device, PCI_COMMAND, &cmd, 2));
	TH_LOG("command register after a reset taken with memory off: %#x", cmd);
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		ASSERT_EQ(-1, map_read32(self->map, &v));
		ASSERT_EQ(0, set_memory(self->device, true));
	}
	ASSERT_EQ(live, MAP_READ32(self->map));
}

/* What a reader (thread or child process) saw while memory was toggled. */
struct race_stats {
	volatile int stop;
	volatile int started;
	volatile unsigned long ok, bus, bad;
	volatile uint32_t bad_value;
	/* One read after the toggling stopped (memory on): 0 ok, -1 SIGBUS. */
	volatile int final_ret;
	volatile uint32_t final_value;
};

struct reader {
	const volatile void *map;
	uint32_t expect;
	struct race_stats *st;
};

static void reader_loop(struct reader *r)
{
	struct race_stats *st = r->st;
	double deadline = now_s() + RACE_SECS + 30;
	uint32_t v;

	while (!st->stop && now_s() < deadline) {
		if (map_read32(r->map, &v)) {
			st->bus++;
		} else {
			st->ok++;
			if (v != r->expect) {
				st->bad++;
				st->bad_value = v;
			}
		}
		st->started = 1;
	}
	st->final_ret = map_read32(r->map, &v);
	st->final_value = v;
}

static void *reader_thread(void *arg)
{
	reader_loop(arg);
	return NULL;
}

/* Toggles memory decoding TOGGLES times (or for RACE_SECS); returns how many. */
static int toggle_memory(struct vfio_pci_device *d, struct race_stats *st)
{
	double deadline = now_s() + RACE_SECS;
	int i;

	while (!st->started && now_s() < deadline)
		sched_yield();
	for (i = 0; i < TOGGLES && now_s() < deadline; i++) {
		if (set_memory(d, false) || set_memory(d, true))
			return -1;
	}
	return i;
}

#define CHECK_RACE(_st, _live, _n) do {					\
	TH_LOG("%d toggles: %lu good reads, %lu SIGBUS, %lu wrong (last %#x), " \
	       "final read %d (%#x)", (_n), (_st)->ok, (_st)->bus, (_st)->bad, \
	       (_st)->bad_value, (_st)->final_ret, (_st)->final_value);	\
	ASSERT_LT(0, (_n));						\
	ASSERT_EQ(0, (_st)->bad);					\
	ASSERT_LT(0, (_st)->ok);					\
	ASSERT_EQ(0, (_st)->final_ret);					\
	ASSERT_EQ((_live), (_st)->final_value);				\
} while (0)

/*
 * A thread faults on the mapping in a loop while memory decoding goes off
 * and on: every read either raises SIGBUS or returns the device's value.
 */
TEST_F_TIMEOUT(mmap, race_fault_vs_toggle, 300)
{
	struct race_stats st = { 0 };
	struct reader r;
	pthread_t t;
	uint32_t live;
	int n;

	NEED_BAR();
	MAP_BAR();
	live = MAP_READ32(self->map);
	ASSERT_EQ(live, REGION_READ32());
	if (self->edu && self->bar == 0) {
		ASSERT_EQ(EDU_ID_VALUE, live);
	}
	r = (struct reader){ .map = self->map, .expect = live, .st = &st };
	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &r));
	n = toggle_memory(self->device, &st);
	st.stop = 1;
	ASSERT_EQ(0, pthread_join(t, NULL));
	CHECK_RACE(&st, live, n);
	ASSERT_EQ(live, MAP_READ32(self->map));
}

/* The same with a forked child, which shares the mapping (MAP_SHARED). */
TEST_F_TIMEOUT(mmap, race_fault_vs_toggle_fork, 300)
{
	struct race_stats *st;
	struct reader r;
	uint32_t live;
	int n, status;
	pid_t pid;

	NEED_BAR();
	MAP_BAR();
	live = MAP_READ32(self->map);
	ASSERT_EQ(live, REGION_READ32());
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st);
	memset(st, 0, sizeof(*st));
	r = (struct reader){ .map = self->map, .expect = live, .st = st };
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		reader_loop(&r);
		_exit(0);
	}
	n = toggle_memory(self->device, st);
	st->stop = 1;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));
	CHECK_RACE(st, live, n);
	munmap(st, sizeof(*st));
	ASSERT_EQ(live, MAP_READ32(self->map));
}

/*
 * The largest BAR mapped whole, at an address aligned to its size (up to
 * 1 GiB), so that the driver may use huge pages: values written through
 * the mapping are what the region reads, and the other way round.  The
 * minor fault count is only reported.
 */
/* The Rust driver's debugfs view of the device's mappings. */
static const char *debugfs_view(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/debug/vfio-pci-rust-%s/mappings",
		 device_bdf);
	return path;
}

/* Faults served with 2 MiB or 1 GiB entries so far, or -1 without the view. */
static long huge_faults(void)
{
	char line[256];
	long n = 0, v;
	FILE *f = fopen(debugfs_view(), "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "faults_2m: %ld", &v) == 1 ||
		    sscanf(line, "faults_1g: %ld", &v) == 1)
			n += v;
	fclose(f);
	return n;
}

TEST_F_TIMEOUT(mmap, faultin_large_bar, 120)
{
	const uint64_t sz_2m = 2ull << 20, sz_512m = 512ull << 20, sz_1g = 1ull << 30;
	struct vfio_region_info *ri;
	uint64_t offs[4], align, size, saved[4], v;
	long f0, f1;
	char *base;
	int i;

	if (self->big < 0 || self->ri[self->big].size < sz_2m)
		SKIP(return, "no memory BAR of 2 MiB or more");
	MUST_MMAP(self->big);
	ri = &self->ri[self->big];
	size = ri->size;
	align = size < sz_1g ? size : sz_1g;
	offs[0] = 0;
	offs[1] = sz_2m;
	offs[2] = size > sz_512m ? sz_512m : size / 2 + 8;
	offs[3] = size - 8;

	/* Reserve size + align, map at the aligned address inside it. */
	self->resv_len = size + align;
	self->resv = mmap(NULL, self->resv_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (self->resv == MAP_FAILED) {
		self->resv = NULL;
		TH_LOG("cannot reserve %#llx bytes (%s): mapping unaligned",
		       (unsigned long long)self->resv_len, strerror(errno));
		base = map_at(self->fd, ri->offset, size, PROT_READ | PROT_WRITE,
			      MAP_SHARED);
		ASSERT_NE(NULL, base) TH_LOG("mmap: %s", strerror(errno));
		self->map = base;
	} else {
		base = (char *)(((uintptr_t)self->resv + align - 1) & ~(uintptr_t)(align - 1));
		ASSERT_EQ(base, mmap(base, size, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, self->fd, ri->offset))
			TH_LOG("mmap MAP_FIXED at %p: %s", base, strerror(errno));
		/* Inside self->resv: the teardown unmaps both with it. */
	}
	self->map_len = size;
	TH_LOG("BAR%d: %#llx bytes at %p (alignment %#llx)", self->big,
	       (unsigned long long)size, base, (unsigned long long)align);

	for (i = 0; i < 4; i++)
		ASSERT_EQ(8, rvfio_pread(self->fd, &saved[i], 8, ri->offset + offs[i]));

	f0 = minflt();
	for (i = 0; i < 4; i++)
		*(volatile uint64_t *)(base + offs[i]) = 0x5a5a000000000000ull | offs[i];
	f1 = minflt();
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(8, rvfio_pread(self->fd, &v, 8, ri->offset + offs[i]));
		ASSERT_EQ(0x5a5a000000000000ull | offs[i], v)
			TH_LOG("offset %#llx", (unsigned long long)offs[i]);
		ASSERT_EQ(v, *(volatile uint64_t *)(base + offs[i]));
	}
	/* The other direction: written by pwrite, read through the mapping. */
	for (i = 0; i < 4; i++) {
		v = 0xa5a5000000000000ull | offs[i];
		ASSERT_EQ(8, rvfio_pwrite(self->fd, &v, 8, ri->offset + offs[i]));
		ASSERT_EQ(v, *(volatile uint64_t *)(base + offs[i]));
	}
	ksft_print_msg("faultin_large_bar: BAR%d %#llx bytes: %ld minor fault(s) for 4 writes\n",
		       self->big, (unsigned long long)size, f1 - f0);
	/*
	 * The Rust driver counts its faults by entry size in debugfs: the
	 * aligned mapping must have been served with huge entries.
	 */
	if (huge_faults() >= 0) {
		ASSERT_LT(0, huge_faults()) TH_LOG("no 2 MiB or 1 GiB fault in %s", debugfs_view());
	} else {
		TH_LOG("no debugfs view of the driver's faults (%s)", debugfs_view());
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(8, rvfio_pwrite(self->fd, &saved[i], 8, ri->offset + offs[i]));
}

/*
 * The largest BAR (2 MiB or more) mapped the plain way, mmap(NULL, ...),
 * and read at every 4 KiB page: the driver places the mapping at an
 * address aligned for huge entries, so the whole BAR takes at most one
 * fault per 2 MiB (C 7.3 leaves the address to chance: one fault per page).
 */
TEST_F_TIMEOUT(mmap, naive_map_huge, 600)
{
	const uint64_t sz_2m = 2ull << 20, step = 4096;
	struct vfio_region_info *ri;
	uint64_t size, off, align;
	volatile uint32_t sink = 0;
	long f0, faults;
	char *base;

	if (self->big < 0 || self->ri[self->big].size < sz_2m)
		SKIP(return, "no memory BAR of 2 MiB or more");
	MUST_MMAP(self->big);
	ri = &self->ri[self->big];
	size = ri->size;
	base = map_at(self->fd, ri->offset, size, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, base) TH_LOG("mmap BAR%d (%#llx bytes): %s", self->big,
				     (unsigned long long)size, strerror(errno));
	self->map = base;
	self->map_len = size;
	align = (uintptr_t)base & -(uintptr_t)base;
	TH_LOG("BAR%d: %#llx bytes at %p (address aligned to %#llx)", self->big,
	       (unsigned long long)size, base, (unsigned long long)align);

	f0 = minflt();
	for (off = 0; off < size; off += step)
		sink += *(volatile uint32_t *)(base + off);
	faults = minflt() - f0;
	ksft_print_msg("naive_map_huge: BAR%d %#llx bytes at %p: %ld minor fault(s) "
		       "for %llu pages\n", self->big, (unsigned long long)size, base,
		       faults, (unsigned long long)(size / step));
	ASSERT_GE((long)(size / sz_2m), faults)
		TH_LOG("%ld faults for %#llx bytes: no huge entries (address %p)",
		       faults, (unsigned long long)size, base);
	(void)sink;
}

/* ---- VFIO_DEVICE_FEATURE_DMA_BUF --------------------------------------- */

/*
 * VFIO_DEVICE_FEATURE with the DMA_BUF feature: header, request and
 * nr_ranges ranges (all equal to off/len, at most 4).  The new fd, 0 for
 * a probe, or -errno.
 */
static int dmabuf_feature(int fd, uint32_t fflags, uint32_t region,
			  uint32_t open_flags, uint32_t flags, uint32_t nr_ranges,
			  uint64_t off, uint64_t len)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_feature_dma_buf) +
		      4 * sizeof(struct vfio_region_dma_range)) / 8 + 1] = { 0 };
	struct vfio_device_feature *hdr = (void *)buf;
	struct vfio_device_feature_dma_buf *db = (void *)hdr->data;
	struct vfio_region_dma_range *r = (void *)(db + 1);
	uint32_t i;
	int ret;

	hdr->argsz = sizeof(*hdr) + sizeof(*db) +
		     (nr_ranges > 4 ? 4 : nr_ranges) * sizeof(*r);
	hdr->flags = fflags | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = region;
	db->open_flags = open_flags;
	db->flags = flags;
	db->nr_ranges = nr_ranges;
	for (i = 0; i < nr_ranges && i < 4; i++) {
		r[i].offset = off;
		r[i].length = len;
	}
	ret = ioctl(fd, VFIO_DEVICE_FEATURE, hdr);
	return ret < 0 ? -errno : ret;
}

/* Export off/len of BAR region as a DMABUF (GET): fd or -errno. */
static int dmabuf_export(int fd, uint32_t region, uint64_t off, uint64_t len)
{
	return dmabuf_feature(fd, VFIO_DEVICE_FEATURE_GET, region,
			      O_RDWR | O_CLOEXEC, 0, 1, off, len);
}

/* The first mappable BAR of a page or more without MSI-X structures, or -1. */
static int export_bar(FIXTURE_DATA(mmap) *self)
{
	unsigned int msix = msix_bars(self->device);
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if ((self->mappable & (1u << i)) && !(msix & (1u << i)) &&
		    self->ri[i].size >= (uint64_t)page_size())
			return i;
	return -1;
}

/* A BAR index the device does not implement (size 0 in sysfs), or -1. */
static int empty_bar(void)
{
	uint64_t start, size, flags;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (!sysfs_resource(device_bdf, i, &start, &size, &flags) && !size)
			return i;
	return -1;
}

/* An I/O port BAR of the device (igb BAR2), or -1. */
static int io_bar(void)
{
	uint64_t start, size, flags;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (!sysfs_resource(device_bdf, i, &start, &size, &flags) && size &&
		    !(flags & RVFIO_IORESOURCE_MEM))
			return i;
	return -1;
}

#define EXPECT_EXPORT_ERR(_err, _call) do {				\
	int __r = (_call);						\
	if (__r >= 0)							\
		close(__r);						\
	ASSERT_EQ(-(_err), __r) TH_LOG("%s", #_call);			\
} while (0)

/* What the DMA_BUF feature refuses, with C's errno. */
TEST_F(mmap, dmabuf_export_errnos)
{
	long pg = page_size();
	uint64_t len;
	int bar, e, fd;

	bar = export_bar(self);
	if (bar < 0)
		SKIP(return, "no memory BAR of a page or more to export");
	len = self->ri[bar].size;
	TH_LOG("BAR%d: %#llx bytes", bar, (unsigned long long)len);

	/* The feature is there (probe), and GET works. */
	ASSERT_EQ(0, dmabuf_feature(self->fd, VFIO_DEVICE_FEATURE_PROBE |
				    VFIO_DEVICE_FEATURE_GET, bar, O_RDWR, 0, 1, 0, pg));
	fd = dmabuf_export(self->fd, bar, 0, pg);
	ASSERT_LE(0, fd) TH_LOG("export BAR%d: %s", bar, strerror(-fd));
	close(fd);
	/* The whole BAR. */
	fd = dmabuf_export(self->fd, bar, 0, len);
	ASSERT_LE(0, fd) TH_LOG("export all of BAR%d: %s", bar, strerror(-fd));
	close(fd);

	/* SET is not supported. */
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_feature(self->fd, VFIO_DEVICE_FEATURE_SET,
						 bar, O_RDWR, 0, 1, 0, pg));
	/* No ranges, flags set. */
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_feature(self->fd, VFIO_DEVICE_FEATURE_GET,
						 bar, O_RDWR, 0, 0, 0, pg));
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_feature(self->fd, VFIO_DEVICE_FEATURE_GET,
						 bar, O_RDWR, 1, 1, 0, pg));
	/* ROM, and past it: no BAR. */
	EXPECT_EXPORT_ERR(ENODEV, dmabuf_export(self->fd, VFIO_PCI_ROM_REGION_INDEX, 0, pg));
	EXPECT_EXPORT_ERR(ENODEV, dmabuf_export(self->fd, VFIO_PCI_CONFIG_REGION_INDEX, 0, pg));
	EXPECT_EXPORT_ERR(ENODEV, dmabuf_export(self->fd, 0xffff, 0, pg));
	e = empty_bar();
	if (e >= 0) {
		TH_LOG("BAR%d: not implemented", e);
		EXPECT_EXPORT_ERR(ENODEV, dmabuf_export(self->fd, e, 0, pg));
	}
	/* Unaligned offset or length, empty range. */
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_export(self->fd, bar, 8, pg));
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_export(self->fd, bar, 0, pg / 2));
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_export(self->fd, bar, 0, 0));
	/* Past the end of the BAR. */
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_export(self->fd, bar, 0, page_align(len) + pg));
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_export(self->fd, bar, page_align(len), pg));
	/* The BAR address plus the offset wraps. */
	EXPECT_EXPORT_ERR(EOVERFLOW, dmabuf_export(self->fd, bar,
						   0xfffffffffffff000ull, pg));
	/* Two empty ranges. */
	EXPECT_EXPORT_ERR(EINVAL, dmabuf_feature(self->fd, VFIO_DEVICE_FEATURE_GET,
						 bar, O_RDWR, 0, 2, 0, 0));
	/* An I/O port BAR: no P2P provider. */
	e = io_bar();
	if (e >= 0) {
		TH_LOG("BAR%d: I/O ports", e);
		EXPECT_EXPORT_ERR(EINVAL, dmabuf_export(self->fd, e, 0, pg));
	}
}

/*
 * Exports the first page of BAR @bar and maps the DMABUF fd at self->map:
 * returns the fd.
 */
static int map_exported(struct __test_metadata *_metadata,
			FIXTURE_DATA(mmap) *self, int bar)
{
	long pg = page_size();
	int fd;

	fd = dmabuf_export(self->fd, bar, 0, pg);
	ASSERT_LE(0, fd) TH_LOG("export BAR%d: %s", bar, strerror(-fd));
	self->map = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (self->map == MAP_FAILED)
		self->map = NULL;
	ASSERT_NE(NULL, self->map) TH_LOG("mmap of the DMABUF fd: %s", strerror(errno));
	self->map_len = pg;
	return fd;
}

/*
 * Export the first page of a BAR, map the DMABUF fd: it reads what the
 * region reads; memory decoding off revokes it (SIGBUS), on gives it back.
 */
TEST_F(mmap, dmabuf_export_mmap)
{
	uint32_t viaread, v;
	int bar, fd;

	bar = export_bar(self);
	if (bar < 0)
		SKIP(return, "no memory BAR of a page or more to export");
	fd = map_exported(_metadata, self, bar);
	close(fd);

	ASSERT_EQ(4, rvfio_pread(self->fd, &viaread, 4, self->ri[bar].offset));
	ASSERT_EQ(viaread, MAP_READ32(self->map));
	TH_LOG("BAR%d: %#x through the DMABUF mapping", bar, viaread);
	if (self->edu && bar == 0) {
		ASSERT_EQ(EDU_ID_VALUE, viaread);
	}

	ASSERT_EQ(0, set_memory(self->device, false));
	ASSERT_EQ(-1, map_read32(self->map, &v)) TH_LOG("read %#x with memory off", v);
	ASSERT_EQ(0, set_memory(self->device, true));
	ASSERT_EQ(viaread, MAP_READ32(self->map));
}

/* Closing the device revokes the exported buffer for good. */
TEST_F(mmap, dmabuf_export_revoked_on_close)
{
	uint32_t live, v;
	int bar, fd;

	bar = export_bar(self);
	if (bar < 0)
		SKIP(return, "no memory BAR of a page or more to export");
	fd = map_exported(_metadata, self, bar);
	live = MAP_READ32(self->map);

	close_device(self);
	ASSERT_EQ(-1, map_read32(self->map, &v)) TH_LOG("read %#x after the close", v);
	/* Still revoked, with the DMABUF fd closed too. */
	close(fd);
	ASSERT_EQ(-1, map_read32(self->map, &v)) TH_LOG("read %#x after the close", v);
	TH_LOG("BAR%d: %#x before the close, SIGBUS after", bar, live);
}

/*
 * An exported buffer of one range maps into an IOAS (IOMMU_IOAS_MAP_FILE),
 * as iommufd maps the C driver's buffers; memory decode off revokes it, and
 * the IOVA range can still be unmapped.
 */
TEST_F(mmap, dmabuf_export_iommufd)
{
	struct iommu_ioas_map_file map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iova_allocator *iovas;
	long pg = page_size();
	int bar, fd, ret;

	if (self->iommu->iommufd <= 0)
		SKIP(return, "the device is not bound to an iommufd");
	bar = export_bar(self);
	if (bar < 0)
		SKIP(return, "no memory BAR of a page or more to export");
	fd = dmabuf_export(self->fd, bar, 0, pg);
	ASSERT_LE(0, fd) TH_LOG("export BAR%d: %s", bar, strerror(-fd));
	iovas = iova_allocator_init(self->iommu);

	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = self->iommu->ioas_id;
	map.fd = fd;
	map.start = 0;
	map.length = pg;
	map.iova = iova_allocator_alloc(iovas, pg);
	ret = ioctl(self->iommu->iommufd, IOMMU_IOAS_MAP_FILE, &map);
	ASSERT_EQ(0, ret) TH_LOG("IOMMU_IOAS_MAP_FILE of BAR%d's buffer: %s", bar,
				 strerror(errno));

	ASSERT_EQ(0, set_memory(self->device, false));
	ASSERT_EQ(0, set_memory(self->device, true));

	unmap.ioas_id = self->iommu->ioas_id;
	unmap.iova = map.iova;
	unmap.length = pg;
	ASSERT_EQ(0, ioctl(self->iommu->iommufd, IOMMU_IOAS_UNMAP, &unmap))
		TH_LOG("IOMMU_IOAS_UNMAP: %s", strerror(errno));
	iova_allocator_cleanup(iovas);
	close(fd);
}

/*
 * Map, fault in and unmap every mappable BAR, close everything, then unbind
 * the device and bind it again (its driver_override still names the
 * driver): nothing of the mappings is left behind (the harness runs
 * kmemleak after the suites), and the device opens again.
 */
TEST_F(mmap, munmap_then_unbind)
{
	char drv[64], again[64], path[PATH_MAX];
	uint32_t v, live;
	int i, n = 0;

	NEED_BAR();
	live = REGION_READ32();
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_region_info *ri = &self->ri[i];
		void *p;

		if (!(self->mappable & (1u << i)))
			continue;
		MUST_MMAP(i);
		p = map_at(self->fd, ri->offset, ri->size, PROT_READ | PROT_WRITE,
			   MAP_SHARED);
		ASSERT_NE(NULL, p) TH_LOG("mmap BAR%d: %s", i, strerror(errno));
		ASSERT_EQ(0, map_read32(p, &v));
		ASSERT_EQ(0, munmap(p, ri->size));
		n++;
	}
	ASSERT_LT(0, n);
	close_device(self);

	sysfs_driver_name(device_bdf, drv, sizeof(drv));
	ASSERT_STREQ("vfio-pci", drv);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", device_bdf);
	ASSERT_EQ(0, sysfs_write(path, device_bdf));
	sysfs_driver_name(device_bdf, again, sizeof(again));
	ASSERT_STREQ("", again);
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", device_bdf));
	sysfs_driver_name(device_bdf, again, sizeof(again));
	ASSERT_STREQ(drv, again);

	open_device(_metadata, self);
	ASSERT_EQ(live, REGION_READ32());
}

/* ---- two functions behind one bus reset (the bridged edu pair) --------- */

static int group_id;

FIXTURE(mmap_pair) {
	int container, group, iommufd;
	int fd[2];
	void *map[2];
	size_t len[2];
};

FIXTURE_VARIANT(mmap_pair) {
	bool cdev;
};

FIXTURE_VARIANT_ADD(mmap_pair, group) { .cdev = false };
FIXTURE_VARIANT_ADD(mmap_pair, cdev) { .cdev = true };

static void pair_open_group(struct __test_metadata *_metadata,
			    FIXTURE_DATA(mmap_pair) *self)
{
	char path[32];
	int i;

	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, self->container);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	self->group = open(path, O_RDWR);
	ASSERT_LE(0, self->group) TH_LOG("open(%s): %s", path, strerror(errno));
	ASSERT_EQ(0, rvfio_ioctl(self->group, VFIO_GROUP_SET_CONTAINER, &self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	for (i = 0; i < 2; i++) {
		self->fd[i] = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, bdfs[i]);
		ASSERT_LE(0, self->fd[i]) TH_LOG("GET_DEVICE_FD %s: %s", bdfs[i],
						 strerror(errno));
	}
}

static void pair_open_cdev(struct __test_metadata *_metadata,
			   FIXTURE_DATA(mmap_pair) *self)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int i;

	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	ASSERT_EQ(0, rvfio_ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &a));
	for (i = 0; i < 2; i++) {
		const char *path = vfio_pci_get_cdev_path(bdfs[i]);
		struct vfio_device_bind_iommufd b = {
			.argsz = sizeof(b), .iommufd = self->iommufd,
		};
		struct vfio_device_attach_iommufd_pt at = {
			.argsz = sizeof(at), .pt_id = a.out_ioas_id,
		};

		self->fd[i] = open(path, O_RDWR);
		ASSERT_LE(0, self->fd[i]) TH_LOG("open(%s): %s", path, strerror(errno));
		free((void *)path);
		ASSERT_EQ(0, rvfio_ioctl(self->fd[i], VFIO_DEVICE_BIND_IOMMUFD, &b));
		ASSERT_EQ(0, rvfio_ioctl(self->fd[i], VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	}
}

FIXTURE_SETUP(mmap_pair)
{
	int i;

	self->container = self->group = self->iommufd = -1;
	self->fd[0] = self->fd[1] = -1;
	self->map[0] = self->map[1] = NULL;
	ASSERT_EQ(0, bus_catch());
	if (variant->cdev)
		pair_open_cdev(_metadata, self);
	else
		pair_open_group(_metadata, self);
	for (i = 0; i < 2; i++) {
		struct vfio_region_info ri;

		ASSERT_EQ(0, region_info(self->fd[i], VFIO_PCI_BAR0_REGION_INDEX, &ri));
		ASSERT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)
			TH_LOG("%s BAR0 flags %#x", bdfs[i], ri.flags);
		self->len[i] = ri.size;
		self->map[i] = map_at(self->fd[i], ri.offset, ri.size,
				      PROT_READ | PROT_WRITE, MAP_SHARED);
		ASSERT_NE(NULL, self->map[i]) TH_LOG("mmap %s BAR0: %s", bdfs[i],
						     strerror(errno));
	}
}

FIXTURE_TEARDOWN(mmap_pair)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (self->map[i])
			munmap(self->map[i], self->len[i]);
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	}
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

/* Both edu functions answer through their mappings: ID and liveness. */
static void pair_alive(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mmap_pair) *self, uint32_t salt)
{
	uint32_t v, w;
	int i;

	for (i = 0; i < 2; i++) {
		char *m = self->map[i];

		w = 0x3c3c0000u ^ (salt << 4) ^ i;
		ASSERT_EQ(0, map_read32(m + EDU_ID, &v))
			TH_LOG("%s: SIGBUS reading the mapping", bdfs[i]);
		ASSERT_EQ(EDU_ID_VALUE, v);
		ASSERT_EQ(0, map_write32(m + EDU_LIVENESS, w));
		ASSERT_EQ(0, map_read32(m + EDU_LIVENESS, &v));
		ASSERT_EQ(~w, v);
	}
}

/* A bus reset (from either function) with both BARs mapped. */
TEST_F(mmap_pair, hot_reset_pair)
{
	struct vfio_pci_hot_reset *h;
	int i;

	h = calloc(1, sizeof(*h) + sizeof(int32_t));
	ASSERT_NE(NULL, h);
	pair_alive(_metadata, self, 1);
	for (i = 0; i < 2; i++) {
		h->argsz = sizeof(*h) + sizeof(int32_t);
		h->flags = 0;
		h->count = variant->cdev ? 0 : 1;
		h->group_fds[0] = self->group;
		ASSERT_EQ(0, rvfio_ioctl(self->fd[i], VFIO_DEVICE_PCI_HOT_RESET, h));
		pair_alive(_metadata, self, 2 + i);
	}
	free(h);
}

int main(int argc, char *argv[])
{
	char **args;
	int i, n = 0;

	bdfs = vfio_selftests_get_bdfs(&argc, argv, &nr_bdfs);
	device_bdf = bdfs[0];
	if (nr_bdfs == 2) {
		group_id = sysfs_iommu_group_get(bdfs[0]);
		if (sysfs_iommu_group_get(bdfs[1]) != group_id) {
			printf("# %s and %s are not in one IOMMU group\n",
			       bdfs[0], bdfs[1]);
			return KSFT_SKIP;
		}
		printf("# pair %s %s (group %d): the mmap_pair fixture only\n",
		       bdfs[0], bdfs[1], group_id);
	} else if (nr_bdfs != 1) {
		printf("# one BDF, or two for the pair fixture; got %d\n", nr_bdfs);
		return KSFT_SKIP;
	}
	/* One fixture or the other, by the number of devices given. */
	args = calloc(argc + 3, sizeof(*args));
	args[n++] = argv[0];
	args[n++] = nr_bdfs == 2 ? "-f" : "-F";
	args[n++] = "mmap_pair";
	for (i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return test_harness_run(n, args);
}
