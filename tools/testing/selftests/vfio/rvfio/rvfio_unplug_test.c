// SPDX-License-Identifier: GPL-2.0-only
/*
 * A device taken away while a user holds it open, mapped, with interrupts
 * armed:
 *
 *  - inuse.unbind_waits_without_req: no REQ eventfd, so nobody can be
 *    asked for the device: an unbind through sysfs blocks until the user
 *    closes the device (and unmaps it), then completes; probing binds the
 *    same driver again (driver_override stays);
 *  - inuse.unload_while_open: delete_module() of the driver's module is
 *    refused while the device is open (the VFIO core holds a reference on
 *    the driver's module for each opened device), the device works on,
 *    and once it is closed the unload succeeds; the module is loaded again
 *    and the device binds back;
 *  - hotplug.unplug: with RVFIO_HOTPLUG=MODEL:BUS:QDEV-ID set (a device
 *    QEMU can unplug, behind a hotplug-capable PCIe root port), the test
 *    asks the host (vm.sh) to device_del it; the guest's pciehp presses the
 *    attention button, removes the device, and the driver signals the REQ
 *    eventfd; the device is used a moment more (every call returns, a BAR
 *    access may SIGBUS), closed, and must then leave sysfs and /dev/vfio;
 *    the host adds it back (device_add), and it binds and opens again.
 *    RVFIO_UNPLUG_ROUNDS rounds (default 2); figure unplug_rounds.
 *
 *   rvfio_unplug_test [harness options] BDF
 *   rvfio_unplug_test --open-close BDF    open the device, read BAR and
 *                                         config space, close (exit 0/1)
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

#define HDR	sizeof(struct vfio_irq_set)

static int new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* SET_IRQS, ACTION_TRIGGER with one eventfd at `start`; 0 or -errno. */
static int arm_efd(int fd, uint32_t index, uint32_t start, int32_t efd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} a = {
		.s = {
			.argsz = HDR + sizeof(int32_t),
			.flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD,
			.index = index, .start = start, .count = 1,
		},
		.fd = efd,
	};

	return rvfio_ioctl(fd, VFIO_DEVICE_SET_IRQS, &a);
}

static uint32_t irq_count(int fd, uint32_t index)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

	if (rvfio_ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return 0;
	return info.count;
}

/*
 * Arms the first device interrupt the device has (MSI-X vector 0, else MSI,
 * else INTx) on a new eventfd; returns it, or -1.
 */
static int arm_device_irq(int fd)
{
	static const uint32_t order[] = {
		VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_INTX_IRQ_INDEX,
	};
	unsigned int i;
	int efd;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (!irq_count(fd, order[i]))
			continue;
		efd = new_efd();
		if (efd < 0)
			return -1;
		if (!arm_efd(fd, order[i], 0, efd))
			return efd;
		close(efd);
	}
	return -1;
}

/* The first BAR mapped by rvfio_device_init(), or -1. */
static int mapped_bar(struct vfio_pci_device *d)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (d->bars[i].vaddr && d->bars[i].info.size >= 4)
			return i;
	return -1;
}

/* A BAR access that may raise SIGBUS (a device going away). */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* 0 and *val on success, 1 on SIGBUS. */
static int guarded_read(volatile uint32_t *p, uint32_t *val)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1)) {
		ret = 1;
	} else {
		bus_armed = 1;
		*val = *p;
	}
	bus_armed = 0;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Waits up to `ms` for `path` to exist (want) or not; true if it did. */
static bool wait_path(const char *path, bool want, int ms)
{
	int i;

	for (i = 0; i <= ms / 100; i++) {
		if (path_exists(path) == want)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* The device's IOMMU group number and vfio cdev name ("vfioN"), from sysfs. */
static void device_nodes(const char *bdf, char *group, size_t glen, char *cdev,
			 size_t clen)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *e;
	ssize_t n;
	DIR *dir;

	group[0] = cdev[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		snprintf(group, glen, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(cdev, clen, "%s", e->d_name);
			break;
		}
	closedir(dir);
}

/* The name of the module that provides `driver` (a PCI driver), or "". */
static void driver_module(const char *driver, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/module", driver);
	sysfs_link_name(path, buf, len);
}

/* Opens the device, reads a BAR and its config space through it, closes. */
static int open_close(const char *bdf)
{
	struct iommu *iommu = iommu_init(default_iommu_mode);
	struct vfio_pci_device *d = rvfio_device_init(bdf, iommu);
	uint8_t cfg[4];
	int bar = mapped_bar(d), ret = 0;
	uint32_t v;

	if (rvfio_pread(d->fd, cfg, 4, d->config_space.offset) != 4 ||
	    le_get(cfg, 2) == 0xffff)
		ret = 1;
	if (bar >= 0 && guarded_read(d->bars[bar].vaddr, &v))
		ret = 1;
	vfio_pci_device_cleanup(d);
	iommu_cleanup(iommu);
	return ret;
}

/* ---- in use: unbind without REQ, module unload ------------------------ */

FIXTURE(inuse) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	char driver[64];
	int irq_efd;
	pid_t child;
};

FIXTURE_SETUP(inuse)
{
	int bar;
	uint32_t v;

	self->child = 0;
	self->irq_efd = -1;
	sysfs_driver_name(device_bdf, self->driver, sizeof(self->driver));
	ASSERT_NE(0, self->driver[0]);
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	/* Mapped and touched, an interrupt armed; no REQ eventfd. */
	bar = mapped_bar(self->device);
	ASSERT_LE(0, bar);
	ASSERT_EQ(0, guarded_read(self->device->bars[bar].vaddr, &v));
	self->irq_efd = arm_device_irq(self->device->fd);
	ASSERT_LE(0, self->irq_efd);
}

static void inuse_close(FIXTURE_DATA(inuse) *self)
{
	rvfio_device_close(&self->device, &self->iommu);
	if (self->irq_efd >= 0)
		close(self->irq_efd);
	self->irq_efd = -1;
}

FIXTURE_TEARDOWN(inuse)
{
	char now[64];
	int status;

	inuse_close(self);
	if (self->child > 0 && !wait_child(self->child, 30000, &status)) {
		kill(self->child, SIGKILL);
		wait_child(self->child, 5000, &status);
	}
	/* Whatever happened, leave the device on its driver for what follows. */
	if (!path_exists("/sys/bus/pci/drivers/vfio-pci"))
		(void)!system("modprobe $(cat /tmp/rvfio_unplug.module) 2>/dev/null");
	sysfs_driver_name(device_bdf, now, sizeof(now));
	if (!now[0])
		sysfs_write("/sys/bus/pci/drivers_probe", device_bdf);
}

/* Forks a child that writes the device's unbind file (holding nothing). */
static pid_t unbind_child(const char *driver)
{
	char path[PATH_MAX];
	pid_t pid;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", driver);
	pid = fork();
	if (pid)
		return pid;
	/* Not a user of the device: no inherited descriptors or mappings. */
	for (i = 3; i < 1024; i++)
		close(i);
	execl("/bin/sh", "sh", "-c", "printf %s \"$0\" > \"$1\"", device_bdf, path,
	      (char *)NULL);
	_exit(127);
}

TEST_F_TIMEOUT(inuse, unbind_waits_without_req, 120)
{
	char now[64];
	struct timespec t0, t1;
	uint8_t cfg[4];
	int status;

	self->child = unbind_child(self->driver);
	ASSERT_LE(0, self->child);
	/* Nobody can be asked for the device: the unbind waits. */
	ASSERT_FALSE(wait_child(self->child, 2000, &status));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ("", now);
	/* The user still has a working device file meanwhile. */
	ASSERT_EQ(4, rvfio_pread(self->device->fd, cfg, 4,
				 self->device->config_space.offset));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	inuse_close(self);
	ASSERT_TRUE(wait_child(self->child, 20000, &status));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ksft_print_msg("unbind completed %ld ms after the close\n",
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			      (t1.tv_nsec - t0.tv_nsec) / 1000000));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ("", now);
	/* driver_override stays: probing binds the same driver again. */
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", device_bdf));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ(self->driver, now);
	ASSERT_EQ(0, open_close(device_bdf));
}

/*
 * delete_module() of `module` from a child (a driver that waited for the
 * device would block it): the errno (0 if it was unloaded), or -1 if it
 * did not return within `ms`, then *pid is the child still waiting.
 */
static int unload_errno(const char *module, int ms, pid_t *pid)
{
	int status;

	*pid = fork();
	if (*pid < 0)
		return -2;
	if (!*pid) {
		if (syscall(SYS_delete_module, module, O_NONBLOCK))
			_exit(errno);
		_exit(0);
	}
	if (!wait_child(*pid, ms, &status))
		return -1;
	*pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

TEST_F_TIMEOUT(inuse, unload_while_open, 120)
{
	char module[64], path[PATH_MAX], now[64], cmd[128];
	uint8_t cfg[4], cfg2[4];
	uint32_t v;
	int bar, e, i, f;

	driver_module(self->driver, module, sizeof(module));
	ASSERT_NE(0, module[0]);
	ksft_print_msg("driver %s from module %s\n", self->driver, module);
	/* For the teardown, should the module be gone. */
	f = open("/tmp/rvfio_unplug.module", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, f);
	ASSERT_EQ((ssize_t)strlen(module), write(f, module, strlen(module)));
	close(f);

	/* Refused while the device is open: C says EAGAIN (EWOULDBLOCK). */
	e = unload_errno(module, 10000, &self->child);
	if (e == -1)
		TH_LOG("delete_module() did not return in 10 s");
	ASSERT_EQ(EAGAIN, e);
	snprintf(path, sizeof(path), "/sys/module/%s", module);
	ASSERT_TRUE(path_exists(path));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ(self->driver, now);

	/* The device works on: config space, a BAR, its interrupt armed. */
	ASSERT_EQ(4, rvfio_pread(self->device->fd, cfg, 4, self->device->config_space.offset));
	ASSERT_EQ(4, sysfs_config_read(device_bdf, cfg2, 4));
	ASSERT_EQ(0, memcmp(cfg, cfg2, 4));
	bar = mapped_bar(self->device);
	ASSERT_EQ(0, guarded_read(self->device->bars[bar].vaddr, &v));
	ASSERT_EQ(0, arm_efd(self->device->fd, VFIO_PCI_REQ_IRQ_INDEX, 0, -1));

	/* Closed (and unmapped): now it unloads, and unbinds the device. */
	inuse_close(self);
	e = unload_errno(module, 20000, &self->child);
	ASSERT_EQ(0, e);
	ASSERT_FALSE(path_exists(path));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ("", now);

	/* Loaded again, it takes the device back (driver_override stays). */
	snprintf(cmd, sizeof(cmd), "modprobe %s", module);
	ASSERT_EQ(0, system(cmd));
	for (i = 0; i < 50; i++) {
		sysfs_driver_name(device_bdf, now, sizeof(now));
		if (now[0])
			break;
		usleep(100 * 1000);
	}
	if (!now[0])
		sysfs_write("/sys/bus/pci/drivers_probe", device_bdf);
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ(self->driver, now);
	ASSERT_EQ(0, open_close(device_bdf));
}

/* ---- hotplug: device_del while open, device_add back ------------------ */

FIXTURE(hotplug) {
	char model[64], bus[64], id[64];
	bool have;
	int done;	/* rounds gone through */
	bool told;
};

FIXTURE_SETUP(hotplug)
{
	const char *spec = getenv("RVFIO_HOTPLUG");

	self->done = 0;
	self->told = false;
	self->have = spec && sscanf(spec, "%63[^:]:%63[^:]:%63s", self->model,
				    self->bus, self->id) == 3;
}

/* Also reached from a failed ASSERT (before the test aborts). */
FIXTURE_TEARDOWN(hotplug)
{
	if (self->have && !self->told)
		ksft_print_msg("RVFIO-FIGURE unplug_rounds %d\n", self->done);
	self->told = true;
}

/* One round; a failed ASSERT ends the test. */
static void unplug_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(hotplug) *self, int round)
{
	char sysdev[PATH_MAX], node[PATH_MAX], group[32], cdev[32], now[64];
	struct vfio_device_info info;
	struct vfio_pci_device *d;
	struct iommu *iommu;
	int req, irq, bar, i, busfaults = 0, errs = 0, oks = 0;
	uint8_t cfg[4];
	uint32_t v;

	snprintf(sysdev, sizeof(sysdev), "/sys/bus/pci/devices/%s", device_bdf);
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ("vfio-pci", now);
	device_nodes(device_bdf, group, sizeof(group), cdev, sizeof(cdev));
	ASSERT_NE(0, group[0]);
	ksft_print_msg("round %d: %s group %s cdev %s\n", round, device_bdf, group,
		       cdev[0] ? cdev : "-");

	iommu = iommu_init(default_iommu_mode);
	d = rvfio_device_init(device_bdf, iommu);
	bar = mapped_bar(d);
	ASSERT_LE(0, bar);
	ASSERT_EQ(0, guarded_read(d->bars[bar].vaddr, &v));
	req = new_efd();
	ASSERT_LE(0, req);
	ASSERT_EQ(0, arm_efd(d->fd, VFIO_PCI_REQ_IRQ_INDEX, 0, req));
	irq = arm_device_irq(d->fd);
	ASSERT_LE(0, irq);

	printf("RVFIO-HOST device_del %s\n", self->id);
	fflush(stdout);
	/* pciehp waits 5 s after the attention button before it removes. */
	ASSERT_LE(1, efd_wait(req, 60000));

	/* The device is being removed: every call returns, whatever it says. */
	for (i = 0; i < 10; i++) {
		info.argsz = sizeof(info);
		if (rvfio_ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info))
			errs++;
		else
			oks++;
		if (rvfio_pread(d->fd, cfg, 4, d->config_space.offset) != 4)
			errs++;
		else
			oks++;
		if (guarded_read(d->bars[bar].vaddr, &v))
			busfaults++;
		else
			oks++;
		if (rvfio_ioctl(d->fd, VFIO_DEVICE_RESET, NULL))
			errs++;
		else
			oks++;
		usleep(50 * 1000);
	}
	ksft_print_msg("round %d: after REQ: %d calls done, %d errors, %d SIGBUS\n",
		       round, oks, errs, busfaults);
	/* Still asked for it, the device's interrupt can be switched off. */
	arm_efd(d->fd, VFIO_PCI_REQ_IRQ_INDEX, 0, -1);

	vfio_pci_device_cleanup(d);
	iommu_cleanup(iommu);
	close(req);
	close(irq);

	/* Released: the removal completes, the device and its nodes go. */
	ASSERT_TRUE(wait_path(sysdev, false, 30000));
	snprintf(node, sizeof(node), "/dev/vfio/%s", group);
	ASSERT_TRUE(wait_path(node, false, 10000));
	if (cdev[0]) {
		snprintf(node, sizeof(node), "/dev/vfio/devices/%s", cdev);
		ASSERT_TRUE(wait_path(node, false, 10000));
	}

	/*
	 * Back in its slot: it is enumerated again, binds and opens. QEMU
	 * lets go of the old device only once the guest powered the slot
	 * off, which may come after the device left sysfs: until then
	 * device_add fails (a duplicate ID), and is asked for again.
	 */
	for (i = 0; i < 6; i++) {
		printf("RVFIO-HOST device_add %s %s %s\n", self->model, self->bus,
		       self->id);
		fflush(stdout);
		if (wait_path(sysdev, true, 10000))
			break;
	}
	ASSERT_TRUE(path_exists(sysdev));
	for (i = 0; i < 50; i++) {
		snprintf(node, sizeof(node), "/sys/bus/pci/devices/%s/driver_override",
			 device_bdf);
		if (path_exists(node))
			break;
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, sysfs_write(node, "vfio-pci"));
	/*
	 * The device is in sysfs before the PCI core lets drivers match it
	 * (its resources are assigned first): probe until it binds.
	 */
	for (i = 0; i < 100; i++) {
		sysfs_write("/sys/bus/pci/drivers_probe", device_bdf);
		sysfs_driver_name(device_bdf, now, sizeof(now));
		if (now[0])
			break;
		usleep(100 * 1000);
	}
	ASSERT_STREQ("vfio-pci", now);
	/*
	 * The driver link is there from the start of a probe, which may still
	 * be running (from pciehp's thread, once the device may match), and a
	 * vfio device's nodes come before it may be opened (ENODEV until its
	 * registration ends): wait until the cdev, if the device had one,
	 * opens; else until the group node is there.
	 */
	for (i = 0; i < 100; i++) {
		char g[32], c[32];
		int fd;

		device_nodes(device_bdf, g, sizeof(g), c, sizeof(c));
		snprintf(node, sizeof(node), "/dev/vfio/%s", g);
		if (g[0] && path_exists(node) && !cdev[0])
			break;
		if (g[0] && c[0]) {
			snprintf(node, sizeof(node), "/dev/vfio/devices/%s", c);
			fd = open(node, O_RDWR);
			if (fd >= 0) {
				close(fd);
				break;
			}
		}
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, open_close(device_bdf));
}

TEST_F_TIMEOUT(hotplug, unplug, 600)
{
	const char *r = getenv("RVFIO_UNPLUG_ROUNDS");
	int rounds = r ? atoi(r) : 2, i;

	if (!self->have)
		SKIP(return, "RVFIO_HOTPLUG=MODEL:BUS:QDEV-ID not set (no hotplug slot)");
	for (i = 1; i <= rounds; i++) {
		unplug_round(_metadata, self, i);
		self->done++;
	}
}

int main(int argc, char *argv[])
{
	if (argc == 3 && !strcmp(argv[1], "--open-close"))
		return open_close(argv[2]) ? 1 : 0;
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
