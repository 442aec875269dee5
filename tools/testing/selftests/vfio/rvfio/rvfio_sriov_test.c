// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV through vfio-pci, beyond upstream's vfio_pci_sriov_uapi_test (the
 * module is loaded with enable_sriov=1; the PF is given as the device):
 *
 *  - sriov_numvfs written while the PF is open: the VF is created and bound
 *    to vfio-pci (its driver_override set by vfio-pci), and opening it takes
 *    the PF's token: EACCES without one or with another;
 *  - while a VF is open, opening the PF takes the token too (EACCES without
 *    it or with another), and does not change it;
 *  - the VF token feature: probe and SET on the PF, no GET (EINVAL), and
 *    ENOTTY on a VF; the token it sets is the one a VF needs;
 *  - VFs disabled and enabled again.
 *
 * Not tested: unbinding the PF with VFs enabled. Both drivers disable the
 * VFs from their remove callback, as they must, and 7.3's PCI core then
 * warns (pci_stop_and_remove_bus_device() asserts pci_rescan_remove_lock,
 * which a sysfs unbind does not take), for any PF driver: a kernel WARNING
 * that would fail the run whatever the driver did.
 *
 * Skipped for a device without SR-IOV.
 */
#include <sys/ioctl.h>
#include <uuid/uuid.h>

#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

#define UUID_1 "52ac9bff-3a88-4fbd-901a-0d767c3b6c97"
#define UUID_2 "88594674-90a0-47a9-aea8-9d9b352ac08a"

static const char *pf_bdf;

/* Opens `d` (its group set up) with `token`: 0, or -errno. */
static int dev_open(struct vfio_pci_device *d, const char *bdf, const char *token)
{
	__vfio_pci_group_get_device_fd(d, bdf, token);
	return d->fd < 0 ? -errno : 0;
}

static void dev_close(struct vfio_pci_device *d)
{
	if (d && d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

static struct vfio_pci_device *dev_alloc(const char *bdf, struct iommu *iommu)
{
	struct vfio_pci_device *d = vfio_pci_device_alloc(bdf, iommu);

	vfio_pci_group_setup(d, bdf);
	vfio_container_set_iommu(d);
	d->fd = -1;
	return d;
}

static void dev_free(struct vfio_pci_device *d)
{
	if (!d)
		return;
	dev_close(d);
	if (d->group_fd > 0)
		close(d->group_fd);
	vfio_pci_device_free(d);
}

static int numvfs_write(const char *bdf, int n)
{
	char path[PATH_MAX], val[16];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", bdf);
	snprintf(val, sizeof(val), "%d", n);
	return sysfs_write(path, val);
}

static int numvfs_read(const char *bdf)
{
	char path[PATH_MAX];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* The feature ioctl for the VF token: 0 or -errno. */
static int token_feature(int fd, uint32_t flags, const char *uuid)
{
	struct {
		struct vfio_device_feature f;
		uint8_t uuid[16];
	} arg = {
		.f.argsz = sizeof(arg),
		.f.flags = flags | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
	};

	if (uuid)
		VFIO_ASSERT_EQ(uuid_parse(uuid, arg.uuid), 0);
	return rvfio_ioctl(fd, VFIO_DEVICE_FEATURE, &arg.f);
}

FIXTURE(sriov) {
	struct iommu *iommu;
	struct vfio_pci_device *pf;
	struct vfio_pci_device *vf;
	char vf_bdf[32];
};

FIXTURE_SETUP(sriov)
{
	char *vf;

	if (!sysfs_has(pf_bdf, "sriov_totalvfs") || sysfs_sriov_totalvfs_get(pf_bdf) <= 0)
		SKIP(return, "%s has no SR-IOV", pf_bdf);
	ASSERT_EQ(0, numvfs_read(pf_bdf));
	self->iommu = iommu_init(MODE_VFIO_TYPE1V2_IOMMU);
	self->pf = dev_alloc(pf_bdf, self->iommu);
	ASSERT_EQ(0, numvfs_write(pf_bdf, 1));
	vf = sysfs_sriov_vf_bdf_get(pf_bdf, 0);
	snprintf(self->vf_bdf, sizeof(self->vf_bdf), "%s", vf);
	free(vf);
}

FIXTURE_TEARDOWN(sriov)
{
	char drv[64];

	if (!self->iommu)
		return;
	/* No user may hold a VF open: disabling the VFs would wait for it. */
	dev_free(self->vf);
	dev_free(self->pf);
	iommu_cleanup(self->iommu);
	sysfs_driver_name(pf_bdf, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci")) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", pf_bdf);
		sysfs_write(path, "vfio-pci");
		sysfs_write("/sys/bus/pci/drivers_probe", pf_bdf);
	}
	if (numvfs_read(pf_bdf) > 0)
		numvfs_write(pf_bdf, 0);
}

/* The VF is vfio-pci's, through the driver_override that vfio-pci gave it. */
static void check_vf_captured(struct __test_metadata *_metadata, const char *vf_bdf)
{
	char path[PATH_MAX], buf[64] = "";
	FILE *f;

	sysfs_driver_name(vf_bdf, buf, sizeof(buf));
	ASSERT_STREQ("vfio-pci", buf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", vf_bdf);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_EQ(0, strncmp(buf, "vfio-pci", 8));
}

/* VFs created while the PF is open need the token the PF was opened with. */
TEST_F(sriov, numvfs_while_pf_open)
{
	/* The fixture created one VF; start again with the PF open. */
	ASSERT_EQ(0, numvfs_write(pf_bdf, 0));
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, UUID_1));
	ASSERT_EQ(0, numvfs_write(pf_bdf, 1));
	ASSERT_EQ(1, numvfs_read(pf_bdf));
	check_vf_captured(_metadata, self->vf_bdf);

	self->vf = dev_alloc(self->vf_bdf, self->iommu);
	ASSERT_EQ(-EACCES, dev_open(self->vf, self->vf_bdf, NULL));
	ASSERT_EQ(-EACCES, dev_open(self->vf, self->vf_bdf, UUID_2));
	ASSERT_EQ(0, dev_open(self->vf, self->vf_bdf, UUID_1));
	dev_close(self->vf);
	dev_close(self->pf);
}

/* While a VF is open, the PF opens only with the token, which stays. */
TEST_F(sriov, pf_needs_token_while_vf_open)
{
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, UUID_1));
	dev_close(self->pf);

	self->vf = dev_alloc(self->vf_bdf, self->iommu);
	ASSERT_EQ(0, dev_open(self->vf, self->vf_bdf, UUID_1));
	ASSERT_EQ(-EACCES, dev_open(self->pf, pf_bdf, NULL));
	ASSERT_EQ(-EACCES, dev_open(self->pf, pf_bdf, UUID_2));
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, UUID_1));
	dev_close(self->pf);
	dev_close(self->vf);

	/* No VF open: any token, or none, opens the PF; a token given sets it. */
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, NULL));
	dev_close(self->pf);
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, UUID_2));
	dev_close(self->pf);
	ASSERT_EQ(-EACCES, dev_open(self->vf, self->vf_bdf, UUID_1));
	ASSERT_EQ(0, dev_open(self->vf, self->vf_bdf, UUID_2));
	dev_close(self->vf);
}

/* VFIO_DEVICE_FEATURE_PCI_VF_TOKEN: SET only, on a PF only. */
TEST_F(sriov, token_feature)
{
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, UUID_1));
	ASSERT_EQ(0, token_feature(self->pf->fd, VFIO_DEVICE_FEATURE_PROBE |
				   VFIO_DEVICE_FEATURE_SET, NULL));
	ASSERT_EQ(-EINVAL, token_feature(self->pf->fd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_GET, NULL));
	ASSERT_EQ(-EINVAL, token_feature(self->pf->fd, VFIO_DEVICE_FEATURE_GET, NULL));
	ASSERT_EQ(0, token_feature(self->pf->fd, VFIO_DEVICE_FEATURE_SET, UUID_2));

	self->vf = dev_alloc(self->vf_bdf, self->iommu);
	ASSERT_EQ(-EACCES, dev_open(self->vf, self->vf_bdf, UUID_1));
	ASSERT_EQ(0, dev_open(self->vf, self->vf_bdf, UUID_2));
	ASSERT_EQ(-ENOTTY, token_feature(self->vf->fd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_SET, NULL));
	ASSERT_EQ(-ENOTTY, token_feature(self->vf->fd, VFIO_DEVICE_FEATURE_SET, UUID_1));
	dev_close(self->vf);
	dev_close(self->pf);
}

/* Disabled and enabled again, the VF is captured again and takes the token. */
TEST_F(sriov, reenable)
{
	ASSERT_EQ(0, numvfs_write(pf_bdf, 0));
	ASSERT_EQ(0, numvfs_read(pf_bdf));
	ASSERT_FALSE(sysfs_has(self->vf_bdf, "vendor"));
	ASSERT_EQ(0, numvfs_write(pf_bdf, 1));
	ASSERT_EQ(1, numvfs_read(pf_bdf));
	check_vf_captured(_metadata, self->vf_bdf);
	ASSERT_EQ(0, dev_open(self->pf, pf_bdf, UUID_2));
	dev_close(self->pf);
	self->vf = dev_alloc(self->vf_bdf, self->iommu);
	ASSERT_EQ(-EACCES, dev_open(self->vf, self->vf_bdf, NULL));
	ASSERT_EQ(0, dev_open(self->vf, self->vf_bdf, UUID_2));
	dev_close(self->vf);
}

int main(int argc, char *argv[])
{
	pf_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
