// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runtime power management of a vfio-pci device, as the host sees it
 * (power/runtime_status and the PM control register read through sysfs,
 * which does not wake a device in D3hot):
 *
 *  - a bound device that nobody has open is runtime suspended (D3hot if it
 *    has the PM capability), unless the module has disable_idle_d3=1: then
 *    it stays active (run with RVFIO_IDLE_D3=0 in the environment);
 *  - an open device is active and in D0;
 *  - VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY suspends an open device; its BAR
 *    mappings raise SIGBUS; a config access through the device file wakes
 *    it for the access only; LOW_POWER_EXIT brings it back for good, with
 *    the mappings;
 *  - LOW_POWER_ENTRY_WITH_WAKEUP: the first access that wakes the device
 *    signals the eventfd and ends low power by itself; its bad arguments
 *    get C's errnos;
 *  - closing the device in low power leaves it usable by the next user.
 *
 * The expected results are the C vfio-pci's (vfio_pci_core_pm_entry*,
 * vfio_pci_core_runtime_suspend/resume and vfio_pci_core_register_device
 * in vfio_pci_core.c):
 *
 *   rvfio_lowpower_test [harness options] BDF
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

/* How long the PM core may take to suspend a device after its last user (TCG). */
#define SETTLE_MS	10000

/* Whether idle devices are expected to be suspended (RVFIO_IDLE_D3 != "0"). */
static bool idle_d3(void)
{
	const char *v = getenv("RVFIO_IDLE_D3");

	return !v || strcmp(v, "0");
}

/* power/runtime_status of the device: 1 "suspended", 0 "active", -1 other. */
static int rpm_suspended(void)
{
	char path[128], buf[32] = "";
	int fd, n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status",
		 device_bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	if (!strncmp(buf, "suspended", 9))
		return 1;
	if (!strncmp(buf, "active", 6))
		return 0;
	return -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Waits up to SETTLE_MS for runtime_status to say `want` (1 suspended, 0 active). */
static int wait_rpm(int want)
{
	int waited;

	for (waited = 0; waited < SETTLE_MS; waited += 10) {
		if (rpm_suspended() == want)
			return want;
		sleep_ms(10);
	}
	return rpm_suspended();
}

/*
 * The power state field of the PM control register, read from the host's
 * config space (sysfs), or -1 if the device has no PM capability.
 */
static int host_power_state(void)
{
	uint8_t cfg[RVFIO_PCI_CFG_MAX];
	int pm;

	if (sysfs_config_read(device_bdf, cfg, sizeof(cfg)) < 64)
		return -2;
	pm = find_cap(cfg, PCI_CAP_ID_PM);
	if (!pm)
		return -1;
	return le_get(cfg + pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK;
}

/* D3hot for a device with the PM capability, -1 (none) otherwise. */
static int expected_low(void)
{
	return host_power_state() == -1 ? -1 : 3;
}

static int feature_set(int fd, uint32_t feature, const void *data, size_t len)
{
	uint8_t buf[sizeof(struct vfio_device_feature) + 16] = {};
	struct vfio_device_feature *f = (void *)buf;

	f->argsz = sizeof(*f) + len;
	f->flags = VFIO_DEVICE_FEATURE_SET | feature;
	if (len)
		memcpy(f->data, data, len);
	return rvfio_ioctl(fd, VFIO_DEVICE_FEATURE, f);
}

static int enter_with_wakeup(int fd, int32_t efd, size_t len)
{
	struct vfio_device_low_power_entry_with_wakeup w = { .wakeup_eventfd = efd };

	return feature_set(fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, &w, len);
}

/*
 * Reads 4 bytes at p in a child process: 1 if the read raised SIGBUS, 0 if
 * it read, -1 if the child ended otherwise.
 */
static int read_sigbus(const volatile uint32_t *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return -1;
}

static int get_info(int fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	return rvfio_ioctl(fd, VFIO_DEVICE_GET_INFO, &info);
}

/* The vendor ID through the device file's config region. */
static int vfio_vendor(struct vfio_pci_device *d)
{
	uint16_t v = 0;

	if (cfg_read(d, PCI_VENDOR_ID, &v, 2) != 2)
		return -1;
	return v;
}

static int host_vendor(void)
{
	uint8_t cfg[64];

	if (sysfs_config_read(device_bdf, cfg, sizeof(cfg)) < 2)
		return -1;
	return le_get(cfg, 2);
}

/* Nobody has the device open: idle D3, or active with disable_idle_d3=1. */
TEST(idle_device)
{
	if (idle_d3()) {
		ASSERT_EQ(1, wait_rpm(1));
		ASSERT_EQ(expected_low(), host_power_state());
	} else {
		sleep_ms(500);
		ASSERT_EQ(0, rpm_suspended());
		ASSERT_NE(3, host_power_state());
	}
}

/* Closing the device in low power: the next user gets a working device. */
TEST(close_in_low_power)
{
	struct iommu *iommu = iommu_init(default_iommu_mode);
	struct vfio_pci_device *d = rvfio_device_init(device_bdf, iommu);

	ASSERT_EQ(0, feature_set(d->fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0));
	ASSERT_EQ(1, wait_rpm(1));
	vfio_pci_device_cleanup(d);
	/* The close woke the device; with idle D3 it goes back to sleep. */
	ASSERT_EQ(idle_d3() ? 1 : 0, wait_rpm(idle_d3() ? 1 : 0));

	d = rvfio_device_init(device_bdf, iommu);
	ASSERT_EQ(0, rpm_suspended());
	ASSERT_NE(3, host_power_state());
	ASSERT_EQ(host_vendor(), vfio_vendor(d));
	ASSERT_EQ(0, get_info(d->fd));
	vfio_pci_device_cleanup(d);
	iommu_cleanup(iommu);
}

FIXTURE(lp) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	/* The first BAR mapped by rvfio_device_init(), or NULL. */
	volatile uint32_t *map;
};

FIXTURE_SETUP(lp)
{
	int i;

	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	self->map = NULL;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (self->device->bars[i].vaddr) {
			self->map = self->device->bars[i].vaddr;
			break;
		}
	}
}

FIXTURE_TEARDOWN(lp)
{
	feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0);
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

TEST_F(lp, open_is_active)
{
	ASSERT_EQ(0, rpm_suspended());
	ASSERT_NE(3, host_power_state());
	if (self->map)
		ASSERT_EQ(0, read_sigbus(self->map));
}

TEST_F(lp, entry_and_exit)
{
	ASSERT_EQ(0, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0));
	ASSERT_EQ(1, wait_rpm(1));
	ASSERT_EQ(expected_low(), host_power_state());
	if (self->map)
		ASSERT_EQ(1, read_sigbus(self->map));

	/* A config read wakes the device for the access, then it sleeps again. */
	ASSERT_EQ(host_vendor(), vfio_vendor(self->device));
	ASSERT_EQ(1, wait_rpm(1));
	ASSERT_EQ(expected_low(), host_power_state());

	/* Already in low power: EINVAL, and the device stays there. */
	ASSERT_EQ(-EINVAL, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0));
	ASSERT_EQ(1, wait_rpm(1));
	if (self->map)
		ASSERT_EQ(1, read_sigbus(self->map));

	ASSERT_EQ(0, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0));
	ASSERT_EQ(0, rpm_suspended());
	sleep_ms(200);
	ASSERT_EQ(0, rpm_suspended());
	ASSERT_NE(3, host_power_state());
	if (self->map)
		ASSERT_EQ(0, read_sigbus(self->map));
	/* Exit twice is fine. */
	ASSERT_EQ(0, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0));
}

TEST_F(lp, wakeup_eventfd)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t n = 0;

	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, enter_with_wakeup(self->fd, efd, 8));
	ASSERT_EQ(1, wait_rpm(1));
	ASSERT_EQ(expected_low(), host_power_state());
	ASSERT_EQ(-1, read(efd, &n, sizeof(n)));
	ASSERT_EQ(EAGAIN, errno);

	/* Any ioctl wakes the device: the eventfd says so, low power is over. */
	ASSERT_EQ(0, get_info(self->fd));
	ASSERT_EQ(sizeof(n), read(efd, &n, sizeof(n)));
	ASSERT_EQ(1, n);
	sleep_ms(200);
	ASSERT_EQ(0, rpm_suspended());
	ASSERT_NE(3, host_power_state());
	if (self->map)
		ASSERT_EQ(0, read_sigbus(self->map));
	/* Low power is over, so a new entry is accepted. */
	ASSERT_EQ(0, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0));
	ASSERT_EQ(1, wait_rpm(1));
	ASSERT_EQ(0, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0));
	ASSERT_EQ(-1, read(efd, &n, sizeof(n)));
	close(efd);
}

TEST_F(lp, wakeup_errnos)
{
	int efd = eventfd(0, EFD_NONBLOCK), nul = open("/dev/null", O_RDONLY);
	uint64_t n = 0;

	ASSERT_GE(efd, 0);
	ASSERT_GE(nul, 0);
	ASSERT_EQ(-EINVAL, enter_with_wakeup(self->fd, -1, 8));
	ASSERT_EQ(-EINVAL, enter_with_wakeup(self->fd, efd, 4));
	ASSERT_EQ(-EINVAL, enter_with_wakeup(self->fd, nul, 8));
	close(nul);
	ASSERT_EQ(-EBADF, enter_with_wakeup(self->fd, nul, 8));
	/* None of them entered low power. */
	sleep_ms(200);
	ASSERT_EQ(0, rpm_suspended());
	/* The exit ioctl wakes the device first, which signals the eventfd. */
	ASSERT_EQ(0, enter_with_wakeup(self->fd, efd, 8));
	ASSERT_EQ(1, wait_rpm(1));
	ASSERT_EQ(0, feature_set(self->fd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, NULL, 0));
	ASSERT_EQ(sizeof(n), read(efd, &n, sizeof(n)));
	ASSERT_EQ(1, n);
	close(efd);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
