// SPDX-License-Identifier: GPL-2.0-only
/*
 * Many hands on one device at once, as in a multi-threaded VMM: threads
 * sharing one open device toggle memory decode through the command
 * register, read and write a BAR through the file, map, fault and unmap
 * BAR pages, hold a mapping and fault it while it is zapped and restored,
 * reset the device, switch interrupts (MSI or MSI-X, INTx) on and off,
 * add, fire and remove an ioeventfd, export and drop DMA buffers, and
 * open and close the device a second time (through its group), for a
 * bounded time.
 *
 *   rvfio_stress_test BDF    (RVFIO_STRESS_SECS from the environment,
 *                             default 10)
 *
 * Every call must return; each answer is counted. An answer a call may
 * give under the concurrency (EIO for a BAR access while memory decode is
 * off, SIGBUS for a touch of a zapped mapping, EAGAIN from a reset that
 * found the device busy) is expected; any other errno fails the run. After
 * the threads stop the device must work: memory decode on, the BAR read
 * through the file and through a new mapping, interrupts enabled once more.
 * The kernel's side (lockdep, splats, leaks) is checked by the harness.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest.h"

#define EDU_ID		0x1234u
#define EDU_DEV		0x11e8u
#define IVSHMEM_VID	0x1af4u

static const char *bdf;
static struct iommu *iommu;
static struct vfio_pci_device *dev;
static int fd;
static uint16_t vendor, device;
static uint32_t bar = ~0u;		/* the BAR the threads use */
static uint64_t bar_off, bar_size;
static bool bar_mmap, bar_write_ok;	/* may a thread write its first bytes? */
static uint32_t wr_off;			/* where, within the BAR */
static volatile bool stop;

enum role {
	R_TOGGLE, R_BAR_RW, R_MAPPER, R_FAULTER, R_RESET, R_IRQ, R_IOEVENTFD,
	R_DMABUF, R_REOPEN, NR_ROLES,
};

static const char *const role_name[NR_ROLES] = {
	"memory_toggle", "bar_rw", "map_unmap", "fault_held_map", "reset",
	"irq_switch", "ioeventfd", "dmabuf_export", "reopen",
};

static struct {
	unsigned long ops, expected, bad;
	int first_bad;		/* the first unexpected errno (or -1000 - signal) */
} count[NR_ROLES];

static void tally(enum role r, long ret, bool expected)
{
	count[r].ops++;
	if (ret >= 0)
		return;
	if (expected) {
		count[r].expected++;
	} else {
		if (!count[r].bad)
			count[r].first_bad = (int)ret;
		count[r].bad++;
	}
}

static __thread sigjmp_buf *fault_env;

static void on_fault(int sig)
{
	if (!fault_env)
		_exit(128 + sig);
	siglongjmp(*fault_env, sig);
}

/* Reads 4 bytes through a mapping: 0, or the signal that stopped it. */
static int touch(volatile uint32_t *p)
{
	sigjmp_buf env;
	int sig;

	fault_env = &env;
	sig = sigsetjmp(env, 1);
	if (!sig)
		(void)*p;
	fault_env = NULL;
	return sig;
}

static long ioc(unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static void *toggle(void *arg)
{
	uint64_t cfg = dev->config_space.offset + PCI_COMMAND;
	uint16_t cmd;
	ssize_t r;

	while (!stop) {
		r = rvfio_pread(fd, &cmd, 2, cfg);
		tally(R_TOGGLE, r < 0 ? r : 0, false);
		cmd &= ~PCI_COMMAND_MEMORY;
		r = rvfio_pwrite(fd, &cmd, 2, cfg);
		tally(R_TOGGLE, r < 0 ? r : 0, false);
		usleep(2000);
		cmd |= PCI_COMMAND_MEMORY;
		r = rvfio_pwrite(fd, &cmd, 2, cfg);
		tally(R_TOGGLE, r < 0 ? r : 0, false);
		usleep(5000);
	}
	return arg;
}

static void *bar_rw(void *arg)
{
	uint32_t v;
	ssize_t r;

	while (!stop) {
		r = rvfio_pread(fd, &v, 4, bar_off);
		tally(R_BAR_RW, r < 0 ? r : 0, r == -EIO);
		if (bar_write_ok) {
			v = 0x12345678;
			r = rvfio_pwrite(fd, &v, 4, bar_off + wr_off);
			tally(R_BAR_RW, r < 0 ? r : 0, r == -EIO);
		}
	}
	return arg;
}

static void *mapper(void *arg)
{
	void *va;
	int sig;

	while (!stop && bar_mmap) {
		va = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, bar_off);
		tally(R_MAPPER, va == MAP_FAILED ? -errno : 0, false);
		if (va == MAP_FAILED)
			continue;
		sig = touch(va);
		tally(R_MAPPER, sig ? -1000 - sig : 0, sig == SIGBUS);
		tally(R_MAPPER, munmap(va, 4096) ? -errno : 0, false);
	}
	return arg;
}

static void *faulter(void *arg)
{
	uint64_t len = bar_size < (64 << 10) ? bar_size : (64 << 10), i = 0;
	char *va = bar_mmap ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, bar_off) :
			      MAP_FAILED;
	int sig;

	if (!bar_mmap)
		return arg;
	tally(R_FAULTER, va == MAP_FAILED ? -errno : 0, false);
	if (va == MAP_FAILED)
		return arg;
	while (!stop) {
		sig = touch((volatile uint32_t *)(va + (i++ * 4096) % len));
		tally(R_FAULTER, sig ? -1000 - sig : 0, sig == SIGBUS);
		if (sig)
			usleep(1000);
	}
	munmap(va, len);
	return arg;
}

static void *resetter(void *arg)
{
	long r;

	while (!stop && (dev->info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		r = ioc(VFIO_DEVICE_RESET, NULL);
		tally(R_RESET, r, r == -EAGAIN);
		usleep(100000);
	}
	return arg;
}

static long set_irq(uint32_t index, uint32_t count, int efd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fds[1];
	} a = { .s = { .argsz = sizeof(a), .index = index, .start = 0, .count = count,
		       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };

	if (!count) {
		a.s.argsz = sizeof(a.s);
		a.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	}
	a.fds[0] = efd;
	return ioc(VFIO_DEVICE_SET_IRQS, &a);
}

static void *irq_switch(void *arg)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint32_t msi = dev->msix_info.count ? VFIO_PCI_MSIX_IRQ_INDEX :
		       dev->msi_info.count ? VFIO_PCI_MSI_IRQ_INDEX : ~0u;
	struct vfio_irq_info intx = { .argsz = sizeof(intx), .index = VFIO_PCI_INTX_IRQ_INDEX };
	long r;

	ioc(VFIO_DEVICE_GET_IRQ_INFO, &intx);
	while (!stop) {
		if (msi != ~0u) {
			r = set_irq(msi, 1, efd);
			tally(R_IRQ, r, false);
			r = set_irq(msi, 0, -1);
			tally(R_IRQ, r, false);
		}
		if (intx.count) {
			r = set_irq(VFIO_PCI_INTX_IRQ_INDEX, 1, efd);
			tally(R_IRQ, r, false);
			r = set_irq(VFIO_PCI_INTX_IRQ_INDEX, 0, -1);
			tally(R_IRQ, r, false);
		}
		if (msi == ~0u && !intx.count)
			break;
	}
	close(efd);
	return arg;
}

static void *ioeventfd(void *arg)
{
	struct vfio_device_ioeventfd e = {
		.argsz = sizeof(e), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = bar_off + wr_off, .data = 0x5a5a5a5a,
	};
	uint64_t one = 1;
	int efd = eventfd(0, EFD_NONBLOCK);
	long r;

	while (!stop && bar_write_ok) {
		e.fd = efd;
		r = ioc(VFIO_DEVICE_IOEVENTFD, &e);
		tally(R_IOEVENTFD, r, false);
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			tally(R_IOEVENTFD, -errno, false);
		e.fd = -1;
		r = ioc(VFIO_DEVICE_IOEVENTFD, &e);
		tally(R_IOEVENTFD, r, false);
	}
	close(efd);
	return arg;
}

static void *dmabuf(void *arg)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf db;
		struct vfio_region_dma_range range;
	} a;
	long r;

	while (!stop) {
		memset(&a, 0, sizeof(a));
		a.f.argsz = sizeof(a);
		a.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
		a.db.region_index = bar;
		a.db.open_flags = O_RDWR | O_CLOEXEC;
		a.db.nr_ranges = 1;
		a.range.length = 4096;
		r = ioctl(fd, VFIO_DEVICE_FEATURE, &a);
		r = r < 0 ? -errno : r;
		/* ENOTTY: no DMA buffers on this kernel's driver at all. */
		tally(R_DMABUF, r, r == -ENOTTY);
		if (r == -ENOTTY)
			break;
		if (r >= 0)
			close((int)r);
	}
	return arg;
}

/*
 * A second open of the device next to the first, through its group (the
 * cdev form allows one open at a time), closed again.
 */
static void *reopen(void *arg)
{
	int fd2;

	while (!stop) {
		fd2 = ioctl(dev->group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
		tally(R_REOPEN, fd2 < 0 ? -errno : 0, false);
		if (fd2 >= 0)
			close(fd2);
		usleep(20000);
	}
	return arg;
}

static void *(*const body[NR_ROLES])(void *) = {
	toggle, bar_rw, mapper, faulter, resetter, irq_switch, ioeventfd,
	dmabuf, reopen,
};

/* A skipped case with its name first, as the harness reads it. */
static void result_skip(const char *name, const char *why)
{
	ksft_cnt.ksft_xskip++;
	printf("ok %u stress.%s # SKIP %s\n", ksft_test_num(), name, why);
}

static bool sanity(char *why, size_t len)
{
	uint16_t cmd;
	uint32_t v;
	void *va;

	if (cfg_read(dev, PCI_COMMAND, &cmd, 2) != 2) {
		snprintf(why, len, "command register read");
		return false;
	}
	cmd |= PCI_COMMAND_MEMORY;
	if (cfg_write(dev, PCI_COMMAND, &cmd, 2) != 2) {
		snprintf(why, len, "command register write");
		return false;
	}
	if (rvfio_pread(fd, &v, 4, bar_off) != 4) {
		snprintf(why, len, "BAR%u read through the file", bar);
		return false;
	}
	if (vendor == EDU_ID && device == EDU_DEV && (v & 0xffff) != 0xed) {
		snprintf(why, len, "edu ID register reads %08x", v);
		return false;
	}
	if (bar_mmap) {
		va = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, bar_off);
		if (va == MAP_FAILED || touch(va)) {
			snprintf(why, len, "BAR%u through a new mapping", bar);
			return false;
		}
		munmap(va, 4096);
	}
	if (dev->msi_info.count || dev->msix_info.count) {
		int efd = eventfd(0, 0);
		uint32_t idx = dev->msix_info.count ? VFIO_PCI_MSIX_IRQ_INDEX :
			       VFIO_PCI_MSI_IRQ_INDEX;

		if (set_irq(idx, 1, efd) || set_irq(idx, 0, -1)) {
			snprintf(why, len, "interrupts enabled once more: %s", strerror(errno));
			close(efd);
			return false;
		}
		close(efd);
	}
	return true;
}

int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_fault };
	pthread_t t[NR_ROLES];
	unsigned int secs = 10, i;
	unsigned long total = 0;
	const char *s;
	uint16_t id[2];
	char why[160];

	bdf = vfio_selftests_get_bdf(&argc, argv);
	s = getenv("RVFIO_STRESS_SECS");
	if (s && *s)
		secs = strtoul(s, NULL, 0);
	ksft_print_header();
	ksft_set_plan(NR_ROLES + 1);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	/* The group form: the only one that lets a device be opened twice. */
	iommu = iommu_init(MODE_VFIO_TYPE1V2_IOMMU);
	dev = rvfio_device_init(bdf, iommu);
	fd = dev->fd;
	VFIO_ASSERT_EQ(4, cfg_read(dev, PCI_VENDOR_ID, id, 4));
	vendor = id[0];
	device = id[1];
	/* The first memory BAR; ivshmem's shared memory, where it has one. */
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_region_info *ri = &dev->bars[i].info;

		if (!ri->size || !(ri->flags & VFIO_REGION_INFO_FLAG_READ))
			continue;
		if (bar != ~0u && !(vendor == IVSHMEM_VID && i == 2))
			continue;
		bar = i;
		bar_off = ri->offset;
		bar_size = ri->size;
		bar_mmap = ri->flags & VFIO_REGION_INFO_FLAG_MMAP;
	}
	if (bar == ~0u)
		ksft_exit_skip("%s has no readable BAR\n", bdf);
	if (vendor == EDU_ID && device == EDU_DEV && bar == 0) {
		bar_write_ok = true;
		wr_off = 4;		/* the liveness register */
	} else if (vendor == IVSHMEM_VID && bar == 2) {
		bar_write_ok = true;
	}
	ksft_print_msg("%s: BAR%u (%llu bytes%s), %u s, %d threads\n", bdf, bar,
		       (unsigned long long)bar_size, bar_mmap ? ", mmap" : "", secs, NR_ROLES);

	for (i = 0; i < NR_ROLES; i++)
		VFIO_ASSERT_EQ(0, pthread_create(&t[i], NULL, body[i], NULL));
	for (i = 0; i < secs; i++) {
		sleep(1);
		if (!(i % 10))
			ksft_print_msg("stress: %u s\n", i + 1);
	}
	stop = true;
	for (i = 0; i < NR_ROLES; i++)
		pthread_join(t[i], NULL);

	for (i = 0; i < NR_ROLES; i++) {
		total += count[i].ops;
		ksft_print_msg("%s: %lu calls, %lu expected refusals, %lu unexpected\n",
			       role_name[i], count[i].ops, count[i].expected, count[i].bad);
		if (count[i].bad)
			ksft_test_result_fail("stress.%s: first unexpected answer %d (%s)\n",
					      role_name[i], count[i].first_bad,
					      count[i].first_bad > -1000 ?
					      strerror(-count[i].first_bad) :
					      strsignal(-count[i].first_bad - 1000));
		else if (!count[i].ops)
			result_skip(role_name[i], "not applicable to this device");
		else
			ksft_test_result_pass("stress.%s\n", role_name[i]);
	}
	ksft_print_msg("RVFIO-FIGURE stress_ops %lu\n", total);
	if (sanity(why, sizeof(why)))
		ksft_test_result_pass("stress.sanity_after\n");
	else
		ksft_test_result_fail("stress.sanity_after: %s\n", why);
	vfio_pci_device_cleanup(dev);
	iommu_cleanup(iommu);
	ksft_finished();
}
