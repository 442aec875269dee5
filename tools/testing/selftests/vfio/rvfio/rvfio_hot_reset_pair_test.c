// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO and VFIO_DEVICE_PCI_HOT_RESET on two
 * functions that share one IOMMU group and one bus reset (in the test VM:
 * two edu functions behind a PCIe-to-PCI bridge).  Takes both BDFs on the
 * command line:
 *
 *   rvfio_hot_reset_pair_test [harness options] BDF0 BDF1
 *
 * Group form: one type1 container, one group fd, both devices (or only one)
 * from VFIO_GROUP_GET_DEVICE_FD; the reset is given the group fd.
 * Cdev form: both devices' /dev/vfio/devices/vfioN bound to one iommufd and
 * attached to an IOAS (or only one of them); the reset is given no fd.
 *
 * The expected results are the C vfio-pci's (vfio_pci_core.c).  The devices
 * are edu (1234:11e8): BAR0+0 identifies it (0xed in the low byte), BAR0+4
 * reads back the complement of what was written to it.
 */
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static char **bdfs;
static int group_id;
static unsigned int seg[2], bus[2], devfn[2];
/* PCI functions on the pair's bus: everything the bus reset reaches. */
static unsigned int bus_devs;

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04

/* ---- helpers ---------------------------------------------------------- */

static unsigned int count_bus_devs(unsigned int s, unsigned int b)
{
	unsigned int a, c, d, f, n = 0;
	struct dirent *e;
	DIR *dir;

	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		if (sscanf(e->d_name, "%x:%x:%x.%x", &a, &c, &d, &f) == 4 &&
		    a == s && c == b)
			n++;
	}
	closedir(dir);
	return n;
}

static struct vfio_pci_hot_reset_info *get_info(int fd, uint32_t count, int *ret)
{
	size_t sz = sizeof(struct vfio_pci_hot_reset_info) +
		    count * sizeof(struct vfio_pci_dependent_device);
	struct vfio_pci_hot_reset_info *h = calloc(1, sz);

	h->argsz = sz;
	h->flags = 0xdead;	/* output only */
	h->count = 0xbeef;	/* output only */
	*ret = rvfio_ioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h);
	return h;
}

static int hot_reset(int fd, uint32_t count, const int32_t *fds)
{
	size_t sz = sizeof(struct vfio_pci_hot_reset) + count * sizeof(int32_t);
	struct vfio_pci_hot_reset *h = calloc(1, sz);
	int ret;

	h->argsz = sz;
	h->count = count;
	if (count)
		memcpy(h->group_fds, fds, count * sizeof(int32_t));
	ret = rvfio_ioctl(fd, VFIO_DEVICE_PCI_HOT_RESET, h);
	free(h);
	return ret;
}

/* Index (0, 1) of the pair's device at a dependent-device entry, or -1. */
static int which(const struct vfio_pci_dependent_device *d)
{
	int i;

	for (i = 0; i < 2; i++)
		if (d->segment == seg[i] && d->bus == bus[i] && d->devfn == devfn[i])
			return i;
	return -1;
}

/*
 * The ENOSPC/count protocol, then the full list: it must hold every
 * function on the bus, both of ours among them.  Returns the list
 * (count entries), for the caller to check the group ids or devids.
 */
static struct vfio_pci_hot_reset_info *
info_checked(struct __test_metadata *_metadata, int fd, uint32_t want_flags)
{
	struct vfio_pci_hot_reset_info *h;
	bool seen[2] = { false, false };
	uint32_t count, i;
	int ret;

	/* Header only: ENOSPC, the count, flags 0. */
	h = get_info(fd, 0, &ret);
	ASSERT_EQ(-ENOSPC, ret);
	ASSERT_EQ(0, h->flags);
	count = h->count;
	free(h);
	ASSERT_EQ(bus_devs, count);
	ASSERT_GE(count, 2);

	/* One entry short: ENOSPC and the count again. */
	h = get_info(fd, count - 1, &ret);
	ASSERT_EQ(-ENOSPC, ret);
	ASSERT_EQ(count, h->count);
	free(h);

	/* Exactly enough. */
	h = get_info(fd, count, &ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(count, h->count);
	ASSERT_EQ(want_flags, h->flags);
	for (i = 0; i < count; i++) {
		struct vfio_pci_dependent_device *d = &h->devices[i];
		int w = which(d);

		TH_LOG("dep %04x:%02x:%02x.%x %s %d", d->segment, d->bus,
		       d->devfn >> 3, d->devfn & 7,
		       want_flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID ? "devid" : "group",
		       (int)d->group_id);
		if (w >= 0) {
			ASSERT_FALSE(seen[w]);
			seen[w] = true;
		}
	}
	ASSERT_TRUE(seen[0]);
	ASSERT_TRUE(seen[1]);
	return h;
}

static uint64_t region_offset(struct __test_metadata *_metadata, int fd,
			      uint32_t index, uint64_t min_size)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = index };

	ASSERT_EQ(0, rvfio_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &r));
	ASSERT_GE(r.size, min_size);
	ASSERT_TRUE(r.flags & VFIO_REGION_INFO_FLAG_READ);
	ASSERT_TRUE(r.flags & VFIO_REGION_INFO_FLAG_WRITE);
	return r.offset;
}

/*
 * The edu answers through BAR0 (read/write on the region, which both
 * drivers offer): identification, and the liveness register.
 */
static void edu_alive(struct __test_metadata *_metadata, int fd, uint32_t salt)
{
	uint64_t cfg = region_offset(_metadata, fd, VFIO_PCI_CONFIG_REGION_INDEX, 64);
	uint64_t off = region_offset(_metadata, fd, VFIO_PCI_BAR0_REGION_INDEX, 8);
	uint32_t v, w = 0x5a00c300u ^ salt;
	uint16_t cmd;

	/* Memory decoding on (as the drivers leave it after open/reset). */
	ASSERT_EQ(2, rvfio_pread(fd, &cmd, 2, cfg + PCI_COMMAND));
	ASSERT_TRUE(cmd & PCI_COMMAND_MEMORY);
	ASSERT_EQ(4, rvfio_pread(fd, &v, 4, off + EDU_ID));
	ASSERT_EQ(0xed, v & 0xff);
	ASSERT_EQ(4, rvfio_pwrite(fd, &w, 4, off + EDU_LIVENESS));
	ASSERT_EQ(4, rvfio_pread(fd, &v, 4, off + EDU_LIVENESS));
	ASSERT_EQ(~w, v);
}

/* ---- group form -------------------------------------------------------- */

/* open_mask: bit i set = device i opened through the group. */
static void group_open(struct __test_metadata *_metadata, int *container,
		       int *group, int fds[2], unsigned int open_mask)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32];
	int i;

	*container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_GE(*container, 0);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(*container, VFIO_GET_API_VERSION));
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	*group = open(path, O_RDWR);
	ASSERT_GE(*group, 0) TH_LOG("open(%s): %s", path, strerror(errno));
	ASSERT_EQ(0, rvfio_ioctl(*group, VFIO_GROUP_GET_STATUS, &st));
	ASSERT_TRUE(st.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_EQ(0, rvfio_ioctl(*group, VFIO_GROUP_SET_CONTAINER, container));
	ASSERT_EQ(0, ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	for (i = 0; i < 2; i++) {
		fds[i] = -1;
		if (!(open_mask & (1u << i)))
			continue;
		fds[i] = ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, bdfs[i]);
		ASSERT_GE(fds[i], 0) TH_LOG("GET_DEVICE_FD %s: %s", bdfs[i], strerror(errno));
	}
}

static void close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

FIXTURE(grp) {
	int container, group;
	int fd[2];
};

FIXTURE_SETUP(grp)
{
	self->container = self->group = self->fd[0] = self->fd[1] = -1;
	group_open(_metadata, &self->container, &self->group, self->fd, 3);
}

FIXTURE_TEARDOWN(grp)
{
	close_all(self->fd, 2);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

/* Both devices list both functions, each with the shared group's id. */
TEST_F(grp, info)
{
	int i, j;

	for (i = 0; i < 2; i++) {
		struct vfio_pci_hot_reset_info *h =
			info_checked(_metadata, self->fd[i], 0);

		for (j = 0; j < h->count; j++)
			if (which(&h->devices[j]) >= 0) {
				ASSERT_EQ(group_id, h->devices[j].group_id);
			}
		free(h);
	}
}

/* The group fd resets the bus, from either device; both still answer. */
TEST_F(grp, reset)
{
	int32_t gfd = self->group;
	int i;

	edu_alive(_metadata, self->fd[0], 1);
	edu_alive(_metadata, self->fd[1], 2);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, hot_reset(self->fd[i], 1, &gfd));
		edu_alive(_metadata, self->fd[0], 3 + i);
		edu_alive(_metadata, self->fd[1], 5 + i);
	}
}

/* The same group fd twice (as many fds as devices) is still fine. */
TEST_F(grp, reset_group_fd_twice)
{
	int32_t gfds[2] = { self->group, self->group };

	ASSERT_EQ(2, bus_devs);
	ASSERT_EQ(0, hot_reset(self->fd[0], 2, gfds));
	edu_alive(_metadata, self->fd[0], 7);
	edu_alive(_metadata, self->fd[1], 8);
}

/* Zero-length array: only for cdev-opened devices. */
TEST_F(grp, reset_empty_array)
{
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], 0, NULL));
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[1], 0, NULL));
}

/* An fd number that is not open: EBADF. */
TEST_F(grp, reset_bad_fd)
{
	int32_t fds[2] = { self->group, 1000 };
	int32_t bad = 1000;

	ASSERT_EQ(-1, fcntl(bad, F_GETFD));
	ASSERT_EQ(-EBADF, hot_reset(self->fd[0], 1, &bad));
	/* Also when a good group fd comes first. */
	ASSERT_EQ(-EBADF, hot_reset(self->fd[1], 2, fds));
}

/* Open fds that are not a VFIO group: EINVAL. */
TEST_F(grp, reset_not_group_fd)
{
	int32_t fds[2];
	int efd = eventfd(0, 0);

	ASSERT_GE(efd, 0);
	fds[0] = efd;
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], 1, fds));
	fds[0] = self->container;
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], 1, fds));
	fds[0] = self->fd[1];		/* a device fd */
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], 1, fds));
	fds[0] = self->group;
	fds[1] = efd;
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[1], 2, fds));
	close(efd);
	edu_alive(_metadata, self->fd[0], 9);
	edu_alive(_metadata, self->fd[1], 10);
}

/* More fds than devices the reset affects: EINVAL. */
TEST_F(grp, reset_too_many_fds)
{
	int32_t gfds[8];
	int i;

	ASSERT_LT(bus_devs, ARRAY_SIZE(gfds));
	for (i = 0; i < ARRAY_SIZE(gfds); i++)
		gfds[i] = self->group;
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], bus_devs + 1, gfds));
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[1], bus_devs + 1, gfds));
}

/* Only one of the two opened: the group fd still owns both, reset works. */
FIXTURE(grp_one) {
	int container, group;
	int fd[2];
	int me, other;
};

FIXTURE_VARIANT(grp_one) {
	int me;
};

FIXTURE_VARIANT_ADD(grp_one, first) { .me = 0 };
FIXTURE_VARIANT_ADD(grp_one, second) { .me = 1 };

FIXTURE_SETUP(grp_one)
{
	self->container = self->group = self->fd[0] = self->fd[1] = -1;
	self->me = variant->me;
	self->other = !variant->me;
	group_open(_metadata, &self->container, &self->group, self->fd,
		   1u << self->me);
}

FIXTURE_TEARDOWN(grp_one)
{
	close_all(self->fd, 2);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

TEST_F(grp_one, info)
{
	struct vfio_pci_hot_reset_info *h =
		info_checked(_metadata, self->fd[self->me], 0);
	int j;

	for (j = 0; j < h->count; j++)
		if (which(&h->devices[j]) >= 0) {
			ASSERT_EQ(group_id, h->devices[j].group_id);
		}
	free(h);
}

TEST_F(grp_one, reset)
{
	int32_t gfd = self->group;
	int fd = self->fd[self->me];

	edu_alive(_metadata, fd, 11);
	ASSERT_EQ(0, hot_reset(fd, 1, &gfd));
	edu_alive(_metadata, fd, 12);
	/* The other one can be opened and used afterwards. */
	self->fd[self->other] = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD,
				      bdfs[self->other]);
	ASSERT_GE(self->fd[self->other], 0);
	edu_alive(_metadata, self->fd[self->other], 13);
	ASSERT_EQ(0, hot_reset(self->fd[self->other], 1, &gfd));
	edu_alive(_metadata, fd, 14);
	edu_alive(_metadata, self->fd[self->other], 15);
}

/* ---- cdev form --------------------------------------------------------- */

static int cdev_open(struct __test_metadata *_metadata, int i)
{
	const char *path = vfio_pci_get_cdev_path(bdfs[i]);
	int fd = open(path, O_RDWR);

	ASSERT_GE(fd, 0) TH_LOG("open(%s): %s", path, strerror(errno));
	free((void *)path);
	return fd;
}

static int cdev_bind(int fd, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = sizeof(b), .iommufd = iommufd,
	};
	int ret = rvfio_ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b);

	if (!ret && devid)
		*devid = b.out_devid;
	return ret;
}

static int cdev_attach(int fd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = pt_id,
	};

	return rvfio_ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

static void iommufd_open(struct __test_metadata *_metadata, int *iommufd,
			 uint32_t *ioas)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	*iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_GE(*iommufd, 0);
	ASSERT_EQ(0, rvfio_ioctl(*iommufd, IOMMU_IOAS_ALLOC, &a));
	*ioas = a.out_ioas_id;
}

FIXTURE(cdev) {
	int iommufd;
	uint32_t ioas;
	int fd[2];
	uint32_t devid[2];
};

FIXTURE_SETUP(cdev)
{
	int i;

	self->iommufd = self->fd[0] = self->fd[1] = -1;
	iommufd_open(_metadata, &self->iommufd, &self->ioas);
	for (i = 0; i < 2; i++) {
		self->fd[i] = cdev_open(_metadata, i);
		ASSERT_EQ(0, cdev_bind(self->fd[i], self->iommufd, &self->devid[i]));
		ASSERT_EQ(0, cdev_attach(self->fd[i], self->ioas));
	}
}

FIXTURE_TEARDOWN(cdev)
{
	close_all(self->fd, 2);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

/* DEV_ID|DEV_ID_OWNED, each function with the devid its bind returned. */
TEST_F(cdev, info)
{
	int i, j;

	ASSERT_NE(self->devid[0], self->devid[1]);
	for (i = 0; i < 2; i++) {
		struct vfio_pci_hot_reset_info *h =
			info_checked(_metadata, self->fd[i],
				     VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
				     VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);

		for (j = 0; j < h->count; j++) {
			int w = which(&h->devices[j]);

			if (w >= 0) {
				ASSERT_EQ(self->devid[w], h->devices[j].devid);
			}
		}
		free(h);
	}
}

/* Count 0 resets the bus, from either device; both still answer. */
TEST_F(cdev, reset)
{
	int i;

	edu_alive(_metadata, self->fd[0], 21);
	edu_alive(_metadata, self->fd[1], 22);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, hot_reset(self->fd[i], 0, NULL));
		edu_alive(_metadata, self->fd[0], 23 + i);
		edu_alive(_metadata, self->fd[1], 25 + i);
	}
}

/* A non-empty array is only for group-opened devices: EINVAL. */
TEST_F(cdev, reset_nonempty_array)
{
	int32_t fds[2] = { self->fd[1], self->iommufd };
	int efd = eventfd(0, 0);

	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], 1, fds));
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[1], 2, fds));
	ASSERT_EQ(-EINVAL, hot_reset(self->fd[0], 1, &efd));
	close(efd);
	edu_alive(_metadata, self->fd[0], 27);
	edu_alive(_metadata, self->fd[1], 28);
}

/*
 * Only one device bound to the iommufd (the other not opened at all): the
 * other one's group is owned through ours, so C reports it as
 * VFIO_PCI_DEVID_OWNED, keeps DEV_ID_OWNED, and resets with count 0.
 */
FIXTURE(cdev_one) {
	int iommufd, iommufd2;
	uint32_t ioas;
	int fd[2];
	uint32_t devid;
	int me, other;
};

FIXTURE_VARIANT(cdev_one) {
	int me;
};

FIXTURE_VARIANT_ADD(cdev_one, first) { .me = 0 };
FIXTURE_VARIANT_ADD(cdev_one, second) { .me = 1 };

FIXTURE_SETUP(cdev_one)
{
	self->iommufd = self->iommufd2 = self->fd[0] = self->fd[1] = -1;
	self->me = variant->me;
	self->other = !variant->me;
	iommufd_open(_metadata, &self->iommufd, &self->ioas);
	self->fd[self->me] = cdev_open(_metadata, self->me);
	ASSERT_EQ(0, cdev_bind(self->fd[self->me], self->iommufd, &self->devid));
	ASSERT_EQ(0, cdev_attach(self->fd[self->me], self->ioas));
}

FIXTURE_TEARDOWN(cdev_one)
{
	close_all(self->fd, 2);
	if (self->iommufd2 >= 0)
		close(self->iommufd2);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

TEST_F(cdev_one, info)
{
	struct vfio_pci_hot_reset_info *h =
		info_checked(_metadata, self->fd[self->me],
			     VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
			     VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	int j;

	for (j = 0; j < h->count; j++) {
		int w = which(&h->devices[j]);

		if (w == self->me) {
			ASSERT_EQ(self->devid, h->devices[j].devid);
		} else if (w == self->other) {
			ASSERT_EQ(VFIO_PCI_DEVID_OWNED, h->devices[j].devid);
		}
	}
	free(h);
}

TEST_F(cdev_one, reset)
{
	int fd = self->fd[self->me];

	edu_alive(_metadata, fd, 31);
	ASSERT_EQ(0, hot_reset(fd, 0, NULL));
	edu_alive(_metadata, fd, 32);
	ASSERT_EQ(-EINVAL, hot_reset(fd, 1, &self->iommufd));
}

/*
 * The other device opened but not bound: still owned through the group.
 * Binding it to a second iommufd fails with EPERM: the group's DMA owner is
 * the first iommufd (iommu_device_claim_dma_owner()).
 */
TEST_F(cdev_one, other_unbound_or_elsewhere)
{
	struct vfio_pci_hot_reset_info *h;
	uint32_t ioas2;
	int j;

	self->fd[self->other] = cdev_open(_metadata, self->other);
	h = info_checked(_metadata, self->fd[self->me],
			 VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
			 VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	for (j = 0; j < h->count; j++)
		if (which(&h->devices[j]) == self->other) {
			ASSERT_EQ(VFIO_PCI_DEVID_OWNED, h->devices[j].devid);
		}
	free(h);
	ASSERT_EQ(0, hot_reset(self->fd[self->me], 0, NULL));
	edu_alive(_metadata, self->fd[self->me], 33);

	iommufd_open(_metadata, &self->iommufd2, &ioas2);
	ASSERT_EQ(-EPERM, cdev_bind(self->fd[self->other], self->iommufd2, NULL));
	/* Nothing changed for the first. */
	ASSERT_EQ(0, hot_reset(self->fd[self->me], 0, NULL));
	edu_alive(_metadata, self->fd[self->me], 34);
}

int main(int argc, char *argv[])
{
	unsigned int d, f;
	int nr = 0, i;

	bdfs = vfio_selftests_get_bdfs(&argc, argv, &nr);
	if (nr != 2) {
		printf("# needs exactly two BDFs (functions sharing a group and a bus reset), got %d\n", nr);
		return KSFT_SKIP;
	}
	for (i = 0; i < 2; i++) {
		if (sscanf(bdfs[i], "%x:%x:%x.%x", &seg[i], &bus[i], &d, &f) != 4) {
			printf("# bad BDF %s\n", bdfs[i]);
			return KSFT_FAIL;
		}
		devfn[i] = (d << 3) | f;
	}
	group_id = sysfs_iommu_group_get(bdfs[0]);
	if (sysfs_iommu_group_get(bdfs[1]) != group_id || seg[0] != seg[1] ||
	    bus[0] != bus[1]) {
		printf("# %s and %s do not share an IOMMU group and a bus\n",
		       bdfs[0], bdfs[1]);
		return KSFT_SKIP;
	}
	bus_devs = count_bus_devs(seg[0], bus[0]);
	printf("# pair %s %s: group %d, %u function(s) on the bus\n",
	       bdfs[0], bdfs[1], group_id, bus_devs);
	return test_harness_run(argc, argv);
}
