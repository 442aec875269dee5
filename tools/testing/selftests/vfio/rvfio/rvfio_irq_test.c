// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts through VFIO_DEVICE_SET_IRQS, raised by the device itself:
 *
 *  - INTx on edu (QEMU's hw/misc/edu.c: writing BAR0 0x60 raises, 0x24 is
 *    the status, 0x64 acknowledges): the interrupt reaches the trigger
 *    eventfd and is masked automatically until unmasked (ACTION_UNMASK with
 *    DATA_NONE, DATA_BOOL or an unmask eventfd), ACTION_MASK, the loopback
 *    triggers, teardown by DATA_NONE with count 0;
 *  - MSI on edu (the same register raises an MSI once MSI is enabled) and
 *    MSI-X on igb (a bit set in EICS fires the vector of the same number,
 *    GPIE in MSI-X mode): a vector reaches its own eventfd, eventfd swap on
 *    an enabled vector, growth while enabled, disable and enable again;
 *  - SET_IRQS bad input as a matrix of index x action x data type x
 *    start/count/argsz against a model of the C validation order, and the
 *    state-dependent errors (one interrupt type at a time, eventfds that
 *    are not, -1 to clear);
 *  - REQ: the request eventfd fires when the device is unbound from its
 *    driver while open; the unbind completes once the device is closed.
 *    The device is probed again afterwards (its driver_override stays).
 *
 * The expected answers are the C vfio-pci's (vfio_pci_intrs.c,
 * vfio_pci_core.c, vfio_main.c:vfio_set_irqs_validate_and_prepare).
 * Cases for another device skip.
 *
 *   rvfio_irq_test [harness options] BDF
 */
#include <poll.h>
#include <signal.h>
#include <time.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

static const char *device_bdf;

#define EDU_ID		0x123411e8
#define IGB_ID		0x808610c9

#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64

#define IGB_EICS	0x01520
#define IGB_EIMS	0x01524
#define IGB_EIMC	0x01528
#define IGB_EICR	0x01580
#define IGB_GPIE	0x01514
#define IGB_GPIE_MSIX_MODE 0x00000010

/* How long a wanted interrupt may take under TCG, and how long to wait
 * for one that must not come. */
#define FIRE_MS		5000
#define QUIET_MS	400

#define HDR		sizeof(struct vfio_irq_set)
#define TRIG		VFIO_IRQ_SET_ACTION_TRIGGER
#define MASK		VFIO_IRQ_SET_ACTION_MASK
#define UNMASK		VFIO_IRQ_SET_ACTION_UNMASK
#define D_NONE		VFIO_IRQ_SET_DATA_NONE
#define D_BOOL		VFIO_IRQ_SET_DATA_BOOL
#define D_EFD		VFIO_IRQ_SET_DATA_EVENTFD

/* vendor << 16 | device, from sysfs. */
static uint32_t dev_id(void)
{
	uint8_t cfg[4];

	if (sysfs_config_read(device_bdf, cfg, sizeof(cfg)) < 4)
		return 0;
	return le_get(cfg, 2) << 16 | le_get(cfg + 2, 2);
}

/* SET_IRQS with `len` bytes of data after the header; 0 or -errno. */
static int irq_set(int fd, uint32_t flags, uint32_t index, uint32_t start,
		   uint32_t count, const void *data, size_t len)
{
	struct {
		struct vfio_irq_set s;
		uint8_t d[256];
	} a;

	memset(&a, 0, sizeof(a));
	a.s.argsz = HDR + len;
	a.s.flags = flags;
	a.s.index = index;
	a.s.start = start;
	a.s.count = count;
	if (len)
		memcpy(a.d, data, len);
	return rvfio_ioctl(fd, VFIO_DEVICE_SET_IRQS, &a);
}

static int set_efds(int fd, uint32_t index, uint32_t start, uint32_t count,
		    const int32_t *fds)
{
	return irq_set(fd, TRIG | D_EFD, index, start, count, fds,
		       count * sizeof(int32_t));
}

static int set_efd(int fd, uint32_t action, uint32_t index, int32_t efd)
{
	return irq_set(fd, action | D_EFD, index, 0, 1, &efd, sizeof(efd));
}

static int set_none(int fd, uint32_t action, uint32_t index, uint32_t start,
		    uint32_t count)
{
	return irq_set(fd, action | D_NONE, index, start, count, NULL, 0);
}

static int set_bool(int fd, uint32_t action, uint32_t index, uint8_t v)
{
	return irq_set(fd, action | D_BOOL, index, 0, 1, &v, 1);
}

static int new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

FIXTURE(irq) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
	uint32_t id;
	uint32_t count[VFIO_PCI_NUM_IRQS];
	uint32_t flags[VFIO_PCI_NUM_IRQS];
};

static ssize_t bar0_wr(struct vfio_pci_device *d, uint64_t off, uint32_t v)
{
	return rvfio_pwrite(d->fd, &v, 4, d->bars[0].info.offset + off);
}

static uint32_t bar0_rd(struct vfio_pci_device *d, uint64_t off)
{
	uint32_t v = ~0u;

	if (rvfio_pread(d->fd, &v, 4, d->bars[0].info.offset + off) != 4)
		return ~0u;
	return v;
}

FIXTURE_SETUP(irq)
{
	uint16_t cmd;
	int i;

	self->id = dev_id();
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
		self->count[i] = ii.count;
		self->flags[i] = ii.flags;
	}
	/* Memory decode for the registers, bus master for MSI/MSI-X writes. */
	ASSERT_EQ(2, cfg_read(self->device, PCI_COMMAND, &cmd, 2));
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ASSERT_EQ(2, cfg_write(self->device, PCI_COMMAND, &cmd, 2));
	if (self->id == EDU_ID)
		ASSERT_EQ(4, bar0_wr(self->device, EDU_IRQ_ACK, ~0u));
}

FIXTURE_TEARDOWN(irq)
{
	int i;

	if (!self->device)
		goto out;
	if (self->id == EDU_ID)
		bar0_wr(self->device, EDU_IRQ_ACK, ~0u);
	if (self->id == IGB_ID)
		bar0_wr(self->device, IGB_EIMC, ~0u);
	for (i = VFIO_PCI_INTX_IRQ_INDEX; i <= VFIO_PCI_MSIX_IRQ_INDEX; i++)
		set_none(self->fd, TRIG, i, 0, 0);
	vfio_pci_device_cleanup(self->device);
out:
	if (self->iommu)
		iommu_cleanup(self->iommu);
}

#define EDU_WR(_off, _v) ASSERT_EQ(4, bar0_wr(self->device, (_off), (_v)))
#define EDU_RAISE() EDU_WR(EDU_IRQ_RAISE, 1)
#define EDU_ACK() EDU_WR(EDU_IRQ_ACK, 1)
#define FIRES(_efd) ASSERT_LE(1, efd_wait((_efd), FIRE_MS))
#define QUIET(_efd) ASSERT_EQ(0, efd_wait((_efd), QUIET_MS))

/* INTx on edu: delivery, automask, and the three ways to unmask. */
TEST_F(irq, intx_edu_unmask)
{
	int efd = new_efd(), ufd = new_efd(), notefd = self->fd;

	if (self->id != EDU_ID)
		SKIP(return, "edu only");
	ASSERT_EQ(1, self->count[VFIO_PCI_INTX_IRQ_INDEX]);
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd));
	QUIET(efd);

	/* Raised: the eventfd reads, the device's status shows it. */
	EDU_RAISE();
	FIRES(efd);
	ASSERT_EQ(1, bar0_rd(self->device, EDU_IRQ_STATUS));

	/* Automasked: acknowledged and raised again, nothing comes ... */
	EDU_ACK();
	EDU_RAISE();
	QUIET(efd);
	/* ... until unmasked (DATA_NONE): the pending line fires at once. */
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	FIRES(efd);

	/* DATA_BOOL false does not unmask, true does. */
	EDU_ACK();
	EDU_RAISE();
	ASSERT_EQ(0, set_bool(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0));
	QUIET(efd);
	ASSERT_EQ(0, set_bool(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 1));
	FIRES(efd);

	/* An unmask eventfd: signalling it unmasks. */
	ASSERT_EQ(-EINVAL, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, notefd));
	ASSERT_EQ(0, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	EDU_ACK();
	EDU_RAISE();
	QUIET(efd);
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	FIRES(efd);
	/* Once more through the same unmask eventfd. */
	EDU_ACK();
	EDU_RAISE();
	QUIET(efd);
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	FIRES(efd);
	/* -1 removes it: signalling it no longer unmasks. */
	ASSERT_EQ(0, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, -1));
	EDU_ACK();
	EDU_RAISE();
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	QUIET(efd);
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	FIRES(efd);

	/* Unmasked with the line low: a new raise fires straight away. */
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	QUIET(efd);
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();
	close(efd);
	close(ufd);
}

/*
 * A closed unmask eventfd goes away by itself (the VFIO core's virqfd sees
 * the hang-up): a new one is then accepted, while a second one next to a
 * live first one is refused (EBUSY).
 */
TEST_F(irq, intx_edu_unmask_efd_closed)
{
	int efd = new_efd(), ufd = new_efd(), ufd2 = new_efd();

	if (self->id != EDU_ID)
		SKIP(return, "edu only");
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd));
	ASSERT_EQ(0, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	ASSERT_EQ(-EBUSY, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, ufd2));
	close(ufd);
	ASSERT_EQ(0, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, ufd2));
	/* The new one unmasks. */
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();
	EDU_RAISE();
	QUIET(efd);
	ASSERT_EQ(0, eventfd_write(ufd2, 1));
	FIRES(efd);
	EDU_ACK();
	ASSERT_EQ(-EBUSY, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, efd));
	close(ufd2);
	ASSERT_EQ(0, set_efd(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, -1));
	close(efd);
}

/* INTx on edu: ACTION_MASK, the loopback triggers, eventfd swap, teardown. */
TEST_F(irq, intx_edu_mask_loopback_teardown)
{
	int efd = new_efd(), efd2 = new_efd();

	if (self->id != EDU_ID)
		SKIP(return, "edu only");
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd));

	/* Masked by the ioctl (DATA_NONE): a raise waits for the unmask. */
	ASSERT_EQ(0, set_none(self->fd, MASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	EDU_RAISE();
	QUIET(efd);
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	FIRES(efd);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));

	/* DATA_BOOL: false leaves it unmasked, true masks. */
	ASSERT_EQ(0, set_bool(self->fd, MASK, VFIO_PCI_INTX_IRQ_INDEX, 0));
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	ASSERT_EQ(0, set_bool(self->fd, MASK, VFIO_PCI_INTX_IRQ_INDEX, 1));
	EDU_RAISE();
	QUIET(efd);
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	FIRES(efd);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	/* A mask eventfd is not implemented by C: ENOTTY. */
	ASSERT_EQ(-ENOTTY, set_efd(self->fd, MASK, VFIO_PCI_INTX_IRQ_INDEX, efd2));
	/* MASK/UNMASK want start 0, count 1. */
	ASSERT_EQ(-EINVAL, set_none(self->fd, MASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));
	ASSERT_EQ(-EINVAL, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));

	/* Loopback: DATA_NONE and DATA_BOOL true signal, false does not. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	FIRES(efd);
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0));
	QUIET(efd);
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 1));
	FIRES(efd);

	/* Swap the trigger while enabled: the new one gets the interrupt. */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd2));
	EDU_RAISE();
	FIRES(efd2);
	QUIET(efd);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	/* Not an eventfd: refused, the old trigger stays. */
	ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, self->fd));
	ASSERT_EQ(-EBADF, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 1000));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	FIRES(efd2);
	/* -1: INTx stays enabled without a trigger (the loopback still succeeds). */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, -1));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	QUIET(efd2);
	ASSERT_EQ(0, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	/* MSI while INTx is on: EINVAL. */
	if (self->count[VFIO_PCI_MSI_IRQ_INDEX])
		ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd));
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();

	/* Teardown: DATA_NONE, count 0. Then nothing reaches the eventfd and
	 * the INTx actions answer EINVAL. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));
	EDU_RAISE();
	QUIET(efd);
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	ASSERT_EQ(-EINVAL, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	ASSERT_EQ(-EINVAL, set_none(self->fd, MASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
	/* Teardown of what is not enabled: EINVAL. */
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));
	EDU_ACK();
	/* And enabled again, it works again. */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd2));
	EDU_RAISE();
	FIRES(efd2);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));
	close(efd);
	close(efd2);
}

/* GET_IRQ_INFO does not change while interrupts are enabled. */
TEST_F(irq, info_while_enabled)
{
	int efd = new_efd(), i, index;

	for (index = VFIO_PCI_INTX_IRQ_INDEX; index <= VFIO_PCI_MSIX_IRQ_INDEX; index++) {
		if (!self->count[index])
			continue;
		ASSERT_EQ(0, set_efd(self->fd, TRIG, index, efd));
		for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
			struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

			ASSERT_EQ(0, rvfio_ioctl(self->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
			ASSERT_EQ(self->count[i], ii.count);
			ASSERT_EQ(self->flags[i], ii.flags);
		}
		ASSERT_EQ(0, set_none(self->fd, TRIG, index, 0, 0));
	}
	close(efd);
}

/* MSI on edu: delivery, swap, -1, disable and enable again, loopback. */
TEST_F(irq, msi_edu)
{
	int efd = new_efd(), efd2 = new_efd(), efd3 = new_efd();

	if (self->id != EDU_ID)
		SKIP(return, "edu only");
	ASSERT_EQ(1, self->count[VFIO_PCI_MSI_IRQ_INDEX]);
	/* More vectors than the device has: EINVAL. */
	ASSERT_EQ(-EINVAL, set_efds(self->fd, VFIO_PCI_MSI_IRQ_INDEX, 0, 2,
				    (int32_t[]){ efd, efd2 }));
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd));

	EDU_RAISE();
	FIRES(efd);
	/* Not masked: each raise is a message. */
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();
	/* MSI has no MASK/UNMASK: ENOTTY. INTx while MSI is on: EINVAL. */
	ASSERT_EQ(-ENOTTY, set_none(self->fd, MASK, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	ASSERT_EQ(-ENOTTY, set_none(self->fd, UNMASK, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd3));
	ASSERT_EQ(-EINVAL, set_none(self->fd, UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));

	/* Swap the eventfd of the enabled vector. */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd2));
	EDU_RAISE();
	FIRES(efd2);
	QUIET(efd);
	EDU_ACK();

	/* Loopback. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	FIRES(efd2);
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0));
	QUIET(efd2);
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 1));
	FIRES(efd2);

	/* -1 frees the vector's eventfd: the loopback reaches nobody, MSI
	 * stays on. (No raise here: edu's MSI cannot be masked, and a message
	 * to the freed vector would only be a remapping fault.) */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, -1));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	QUIET(efd2);
	ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd3));
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd));
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();

	/* Disable: the raise reaches nobody (INTx is not enabled either). */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0));
	EDU_RAISE();
	QUIET(efd);
	QUIET(efd2);
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0));
	EDU_ACK();

	/* Enabled again, with a new eventfd. */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd3));
	EDU_RAISE();
	FIRES(efd3);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0));
	/* INTx after MSI: fine. */
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, efd));
	EDU_RAISE();
	FIRES(efd);
	EDU_ACK();
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));
	close(efd);
	close(efd2);
	close(efd3);
}

#define IGB_WR(_off, _v) ASSERT_EQ(4, bar0_wr(self->device, (_off), (_v)))
/* Fire igb's MSI-X vectors in `mask`: clear their causes, then set them. */
#define IGB_FIRE(_mask) do {				\
	IGB_WR(IGB_EICR, (_mask));			\
	IGB_WR(IGB_EICS, (_mask));			\
} while (0)

#define NVEC 4

/* MSI-X on igb: vectors to their own eventfds, swap, growth, disable, again. */
TEST_F(irq, msix_igb)
{
	int32_t efd[NVEC], other = new_efd();
	uint8_t bools[NVEC] = { 0, 1, 0, 0 };
	int i, j;

	if (self->id != IGB_ID)
		SKIP(return, "igb only");
	ASSERT_LE(NVEC, self->count[VFIO_PCI_MSIX_IRQ_INDEX]);
	for (i = 0; i < NVEC; i++)
		efd[i] = new_efd();
	/* Beyond the table: EINVAL. */
	ASSERT_EQ(-EINVAL, irq_set(self->fd, TRIG | D_EFD, VFIO_PCI_MSIX_IRQ_INDEX,
				   self->count[VFIO_PCI_MSIX_IRQ_INDEX], 1, efd, 4));

	/* One vector. */
	ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, efd));
	IGB_WR(IGB_GPIE, IGB_GPIE_MSIX_MODE);
	IGB_WR(IGB_EIMS, (1u << NVEC) - 1);
	IGB_FIRE(1);
	FIRES(efd[0]);
	IGB_FIRE(1);
	FIRES(efd[0]);
	/* A vector without an eventfd: nothing anywhere. */
	IGB_FIRE(2);
	QUIET(efd[0]);
	QUIET(efd[1]);

	/* Swap vector 0's eventfd. */
	ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &other));
	IGB_FIRE(1);
	FIRES(other);
	QUIET(efd[0]);
	ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, efd));

	/* Grow to NVEC vectors while enabled, one at a time (no NORESIZE:
	 * dynamic MSI-X); each fires only its own eventfd. */
	ASSERT_EQ(0, self->flags[VFIO_PCI_MSIX_IRQ_INDEX] & VFIO_IRQ_INFO_NORESIZE);
	for (i = 1; i < NVEC; i++)
		ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, i, 1, &efd[i]));
	/* Vector 1 fired above while its entry was masked: the device kept
	 * it pending and sends it when the entry is unmasked. Drain. */
	usleep(QUIET_MS * 1000);
	for (i = 0; i < NVEC; i++)
		efd_wait(efd[i], 0);
	for (i = 0; i < NVEC; i++) {
		IGB_FIRE(1u << i);
		FIRES(efd[i]);
		for (j = 0; j < NVEC; j++)
			if (j != i)
				ASSERT_EQ(0, efd_wait(efd[j], 0));
	}
	/* Loopback of one vector, and by DATA_BOOL of the chosen ones. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1));
	FIRES(efd[2]);
	ASSERT_EQ(0, efd_wait(efd[1], 0));
	ASSERT_EQ(0, irq_set(self->fd, TRIG | D_BOOL, VFIO_PCI_MSIX_IRQ_INDEX, 0,
			     NVEC, bools, NVEC));
	FIRES(efd[1]);
	ASSERT_EQ(0, efd_wait(efd[0], 0));
	ASSERT_EQ(0, efd_wait(efd[2], 0));
	/* No MASK/UNMASK; nothing else while MSI-X is on. */
	ASSERT_EQ(-ENOTTY, set_none(self->fd, MASK, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1));
	ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, other));
	if (self->count[VFIO_PCI_MSI_IRQ_INDEX])
		ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_MSI_IRQ_INDEX, other));
	/* -1 on vector 1 releases it alone. */
	ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1, (int32_t[]){ -1 }));
	IGB_FIRE(3);
	FIRES(efd[0]);
	QUIET(efd[1]);

	/* Disable: no vector fires. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0));
	IGB_FIRE((1u << NVEC) - 1);
	for (i = 0; i < NVEC; i++)
		QUIET(efd[i]);
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1));

	/* Enabled again, all NVEC at once. */
	ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, NVEC, efd));
	IGB_WR(IGB_EIMS, (1u << NVEC) - 1);
	for (i = NVEC - 1; i >= 0; i--) {
		IGB_FIRE(1u << i);
		FIRES(efd[i]);
	}
	IGB_WR(IGB_EIMC, ~0u);
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0));
	for (i = 0; i < NVEC; i++)
		close(efd[i]);
	close(other);
}

/*
 * The errno C gives for SET_IRQS with nothing enabled and no ERR/REQ
 * eventfd set, for data that is either bools all true or eventfd number
 * `closed` (not open: EBADF once a handler looks it up).
 */
static int model(const uint32_t *counts, uint32_t argsz, uint32_t flags,
		 uint32_t index, uint32_t start, uint32_t count)
{
	const uint32_t minsz = offsetofend(struct vfio_irq_set, count);
	uint32_t action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	uint64_t size, max;

	/* vfio_set_irqs_validate_and_prepare() */
	if (argsz < minsz || index >= VFIO_PCI_NUM_IRQS ||
	    count >= UINT32_MAX - start ||
	    flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;
	max = counts[index];
	if (start >= max || (uint64_t)start + count > max)
		return -EINVAL;
	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case D_NONE: size = 0; break;
	case D_BOOL: size = 1; break;
	case D_EFD: size = 4; break;
	default: return -EINVAL;
	}
	if (size && argsz - minsz < count * size)
		return -EINVAL;

	/* The handler of index x action: one action exactly. */
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == MASK || action == UNMASK)
			return -EINVAL;			/* INTx not enabled */
		if (action != TRIG)
			return -ENOTTY;
		if (start != 0 || count != 1)
			return -EINVAL;
		return flags & D_EFD ? -EBADF : -EINVAL;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action != TRIG)
			return -ENOTTY;
		if (flags & D_EFD)
			return count ? -EBADF : 1;	/* 1: not modelled */
		return -EINVAL;				/* not enabled */
	default:					/* ERR, REQ */
		if (action != TRIG)
			return -ENOTTY;
		if (flags & D_NONE)
			return -EINVAL;			/* no eventfd */
		if (!count)
			return -EINVAL;
		return flags & D_BOOL ? 0 : -EBADF;
	}
}

/* index x action x data type x start/count x argsz against the model. */
TEST_F(irq, set_irqs_matrix)
{
	static const uint32_t actions[] = {
		TRIG, MASK, UNMASK, 0, TRIG | MASK, MASK | UNMASK, 1u << 6,
	};
	static const uint32_t types[] = {
		D_NONE, D_BOOL, D_EFD, 0, D_NONE | D_BOOL, D_BOOL | D_EFD,
	};
	uint32_t counts[VFIO_PCI_NUM_IRQS + 2];
	static const uint32_t indexes[] = { 0, 1, 2, 3, 4, 5, 0xffffffff };
	struct {
		struct vfio_irq_set s;
		int32_t d[64];
	} a;
	int ii, ai, ti, pi, zi, fails = 0, n = 0;

	memcpy(counts, self->count, sizeof(self->count));
	counts[5] = counts[6] = 0;
	for (ii = 0; ii < ARRAY_SIZE(indexes); ii++)
	for (ai = 0; ai < ARRAY_SIZE(actions); ai++)
	for (ti = 0; ti < ARRAY_SIZE(types); ti++) {
		uint32_t index = indexes[ii], max = index < 5 ? counts[index] : 1;
		uint32_t flags = actions[ai] | types[ti];
		uint32_t sc[][2] = {
			{ 0, 0 }, { 0, 1 }, { 0, 2 }, { 1, 0 }, { 1, 1 },
			{ 0, max }, { 0, max + 1 }, { max, 0 }, { max - 1, 1 },
			{ 1, 0xffffffff }, { 0xffffffff, 1 }, { 0xffffffff, 0 },
			{ 0x80000000, 0x80000000 }, { 0, 0xfffffffe },
		};

		for (pi = 0; pi < ARRAY_SIZE(sc); pi++) {
			uint32_t start = sc[pi][0], count = sc[pi][1];
			uint32_t sz = types[ti] == D_EFD ? 4 : 1;
			uint64_t need = HDR + (uint64_t)count * sz;
			uint32_t argszs[] = {
				0, HDR - 1, HDR, need > 1 ? need - 1 : 0,
				need > sizeof(a) ? sizeof(a) : need,
			};

			for (zi = 0; zi < ARRAY_SIZE(argszs); zi++) {
				int want = model(counts, argszs[zi], flags, index,
						 start, count), got, k;

				if (want == 1)
					continue;
				/* Eventfd number 1000 is not open; as bools, all true. */
				memset(&a, 0, sizeof(a));
				for (k = 0; k < ARRAY_SIZE(a.d); k++)
					a.d[k] = 1000;
				a.s.argsz = argszs[zi];
				a.s.flags = flags;
				a.s.index = index;
				a.s.start = start;
				a.s.count = count;
				got = rvfio_ioctl(self->fd, VFIO_DEVICE_SET_IRQS, &a);
				n++;
				if (got != want && fails++ < 40)
					TH_LOG("argsz %u flags %#x index %#x start %#x count %#x: got %d, want %d",
					       argszs[zi], flags, index, start, count, got, want);
			}
		}
	}
	TH_LOG("%d combinations", n);
	ASSERT_EQ(0, fails);
	/* The matrix left nothing enabled: INTx teardown is refused. */
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 0, 0));
}

/* Data beyond the readable memory: EFAULT, after validation. */
TEST_F(irq, set_irqs_fault)
{
	struct vfio_irq_set *s;
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + pg, pg));
	/* The header ends the page: its eventfd is unreadable. */
	s = (struct vfio_irq_set *)(p + pg - HDR);
	s->argsz = HDR + 4;
	s->flags = TRIG | D_EFD;
	s->index = VFIO_PCI_REQ_IRQ_INDEX;
	s->start = 0;
	s->count = 1;
	ASSERT_EQ(-EFAULT, rvfio_ioctl(self->fd, VFIO_DEVICE_SET_IRQS, s));
	/* Invalid before the copy: EINVAL wins. */
	s->argsz = HDR + 3;
	ASSERT_EQ(-EINVAL, rvfio_ioctl(self->fd, VFIO_DEVICE_SET_IRQS, s));
	/* No data needed: no fault. */
	s->argsz = HDR;
	s->flags = TRIG | D_NONE;
	ASSERT_EQ(-EINVAL, rvfio_ioctl(self->fd, VFIO_DEVICE_SET_IRQS, s));
	s->flags = TRIG | D_BOOL;
	s->argsz = HDR + 1;
	ASSERT_EQ(-EFAULT, rvfio_ioctl(self->fd, VFIO_DEVICE_SET_IRQS, s));
	munmap(p, pg);
}

/* ERR: eventfd set, loopback, -2 refused, -1 clears. */
TEST_F(irq, err_eventfd)
{
	int efd = new_efd();

	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, efd));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1));
	FIRES(efd);
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0));
	QUIET(efd);
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 1));
	FIRES(efd);
	/* Not an eventfd, or a negative fd other than -1: EINVAL, kept. */
	ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, self->fd));
	ASSERT_EQ(-EINVAL, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, -2));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1));
	FIRES(efd);
	/* DATA_NONE count 0 clears it. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 0));
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1));
	ASSERT_EQ(0, set_bool(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 1));
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, efd));
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, -1));
	ASSERT_EQ(-EINVAL, set_none(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1));
	QUIET(efd);
	close(efd);
}

/*
 * ERR through AER: QEMU (the host, asked through a line on the test output;
 * harness/vm.sh) injects a non-fatal uncorrectable error (Completer Abort)
 * into the PCIe root port above igb (qdev rp1). The port reports it to
 * itself as root port; the PCI core's AER service then calls the
 * error_detected of every driver below the port: the driver signals the
 * ERR eventfd and answers "can recover", the PCI core clears the port's
 * error status, and the device works on.
 *
 * Why the port and not igb itself (qdev igb0): QEMU's igb model has no
 * writable error reporting enables in its Device Control register (it
 * never calls pcie_cap_deverr_init, so NFERE and friends read as 0 whatever
 * the PCI core writes), and QEMU drops an error message of a function whose
 * Device Control does not enable it. The guest owns AER (ACPI _OSC grants
 * it on q35: "OS now controls [PME AER PCIeCapability]"), so the PCI core
 * did set the bits on the root port, which implements them.
 */
#define RVFIO_AER_PORT	"rp1"
#define RVFIO_AER_ERROR	"COMP_ABORT"
#define IGB_STATUS	0x00008

/* The BDF of the bridge above `bdf` into `buf` (empty if none). */
static void sysfs_parent_bdf(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX], *slash;
	ssize_t n;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = 0;
	slash = strrchr(link, '/');
	if (!slash)
		return;
	*slash = 0;
	slash = strrchr(link, '/');
	if (!slash || !strchr(slash + 1, ':'))
		return;
	snprintf(buf, len, "%s", slash + 1);
}

TEST_F_TIMEOUT(irq, err_aer_igb, 120)
{
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE], pcfg[PCI_CFG_SPACE_EXP_SIZE];
	uint16_t devctl, pdevctl;
	char port[64];
	int exp, pexp, paer, efd, i;

	if (self->id != IGB_ID)
		SKIP(return, "igb only (qdev igb0 behind root port rp1)");
	sysfs_parent_bdf(device_bdf, port, sizeof(port));
	ASSERT_NE(0, port[0]);
	ASSERT_EQ(PCI_CFG_SPACE_EXP_SIZE, sysfs_config_read(device_bdf, cfg, sizeof(cfg)));
	ASSERT_EQ(PCI_CFG_SPACE_EXP_SIZE, sysfs_config_read(port, pcfg, sizeof(pcfg)));
	exp = find_cap(cfg, PCI_CAP_ID_EXP);
	pexp = find_cap(pcfg, PCI_CAP_ID_EXP);
	paer = find_ecap(pcfg, sizeof(pcfg), PCI_EXT_CAP_ID_ERR);
	ASSERT_NE(0, exp);
	ASSERT_NE(0, pexp);
	ASSERT_NE(0, paer);
	devctl = le_get(cfg + exp + PCI_EXP_DEVCTL, 2);
	pdevctl = le_get(pcfg + pexp + PCI_EXP_DEVCTL, 2);
	TH_LOG("igb DEVCTL %#06x; port %s DEVCTL %#06x UNCOR_SEVER %#010x", devctl,
	       port, pdevctl, le_get(pcfg + paer + PCI_ERR_UNCOR_SEVER, 4));
	/* The PCI core enabled the port's reporting; the error is non-fatal. */
	ASSERT_NE(0, pdevctl & PCI_EXP_DEVCTL_NFERE);
	ASSERT_EQ(0, le_get(pcfg + paer + PCI_ERR_UNCOR_SEVER, 4) & PCI_ERR_UNC_COMP_ABORT);

	efd = new_efd();
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, efd));
	printf("RVFIO-HOST aer_inject " RVFIO_AER_PORT " " RVFIO_AER_ERROR "\n");
	fflush(stdout);
	ASSERT_LE(1, efd_wait(efd, 60000));

	/*
	 * Recovered: the PCI core clears the port's status once every driver
	 * below said it can recover (after the callbacks: give it a moment).
	 */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(PCI_CFG_SPACE_EXP_SIZE,
			  sysfs_config_read(port, pcfg, sizeof(pcfg)));
		if (!(le_get(pcfg + paer + PCI_ERR_UNCOR_STATUS, 4) & PCI_ERR_UNC_COMP_ABORT))
			break;
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, le_get(pcfg + paer + PCI_ERR_UNCOR_STATUS, 4) & PCI_ERR_UNC_COMP_ABORT);
	/* The device works on, its error eventfd too. */
	ASSERT_NE(~0u, bar0_rd(self->device, IGB_STATUS));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1));
	FIRES(efd);
	ASSERT_EQ(0, set_efd(self->fd, TRIG, VFIO_PCI_ERR_IRQ_INDEX, -1));
	QUIET(efd);
	close(efd);
}

/*
 * IRQ bypass producers (C: irq_bypass_register_producer per MSI/MSI-X
 * vector, keyed by the trigger eventfd). There is no consumer without KVM,
 * but the manager refuses a second producer with the same eventfd (EBUSY),
 * which the driver reports in the kernel log, and accepts it again once the
 * first is unregistered: observable without KVM.
 */

/* Opens the kernel log positioned at its end; -1 on failure. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* How many records logged since kmsg_open() contain both `a` and `b`. */
static int kmsg_count(int fd, const char *a, const char *b)
{
	char rec[2048];
	int n = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;
		if (r <= 0)
			break;
		rec[r] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			n++;
	}
	return n;
}

/* One MSI-X vector's eventfd (or -1). */
static int set_efd_at(int fd, uint32_t vector, int32_t efd)
{
	return set_efds(fd, VFIO_PCI_MSIX_IRQ_INDEX, vector, 1, &efd);
}

TEST_F(irq, msix_igb_bypass_producer)
{
	int32_t fds[2];
	int efd = new_efd(), kmsg;

	if (self->id != IGB_ID)
		SKIP(return, "igb only");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	fds[0] = fds[1] = efd;
	/* Two vectors, one eventfd: the second producer is refused. */
	ASSERT_EQ(0, set_efds(self->fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds));
	ASSERT_EQ(1, kmsg_count(kmsg, "irq bypass producer", "registration fails: -16"));
	/* Vector 1 cleared and set again: vector 0 still holds the eventfd. */
	ASSERT_EQ(0, set_efd_at(self->fd, 1, -1));
	ASSERT_EQ(0, set_efd_at(self->fd, 1, efd));
	ASSERT_EQ(1, kmsg_count(kmsg, "irq bypass producer", "registration fails: -16"));
	/* Both cleared, then vector 1 set: vector 0's producer is gone. */
	ASSERT_EQ(0, set_efd_at(self->fd, 0, -1));
	ASSERT_EQ(0, set_efd_at(self->fd, 1, -1));
	ASSERT_EQ(0, set_efd_at(self->fd, 1, efd));
	ASSERT_EQ(0, kmsg_count(kmsg, "irq bypass producer", "registration fails"));
	/* A vector's eventfd swapped for itself: unregistered before registered. */
	ASSERT_EQ(0, set_efd_at(self->fd, 1, efd));
	ASSERT_EQ(0, kmsg_count(kmsg, "irq bypass producer", "registration fails"));
	/* Disabled and enabled again: every producer went with the vectors. */
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0));
	ASSERT_EQ(0, set_efd_at(self->fd, 0, efd));
	ASSERT_EQ(0, kmsg_count(kmsg, "irq bypass producer", "registration fails"));
	ASSERT_EQ(0, set_none(self->fd, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0));
	close(kmsg);
	close(efd);
}

/* ---- REQ: unbind while open ------------------------------------------- */

FIXTURE(req) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	char driver[64];
	pid_t child;
};

FIXTURE_SETUP(req)
{
	self->child = 0;
	sysfs_driver_name(device_bdf, self->driver, sizeof(self->driver));
	ASSERT_NE(0, self->driver[0]);
	self->iommu = iommu_init(default_iommu_mode);
	self->device = rvfio_device_init(device_bdf, self->iommu);
}

FIXTURE_TEARDOWN(req)
{
	char now[64];
	int status;

	if (self->device)
		vfio_pci_device_cleanup(self->device);
	if (self->iommu)
		iommu_cleanup(self->iommu);
	if (self->child > 0 && !wait_child(self->child, 30000, &status)) {
		kill(self->child, SIGKILL);
		wait_child(self->child, 5000, &status);
	}
	/* Whatever happened, leave the device on its driver for what follows. */
	sysfs_driver_name(device_bdf, now, sizeof(now));
	if (!now[0])
		sysfs_write("/sys/bus/pci/drivers_probe", device_bdf);
}

TEST_F_TIMEOUT(req, unbind_while_open, 120)
{
	char path[PATH_MAX], now[64], override[64] = "";
	int efd = new_efd(), status, fd;
	ssize_t n;

	ASSERT_EQ(0, set_efd(self->device->fd, TRIG, VFIO_PCI_REQ_IRQ_INDEX, efd));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", self->driver);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		int i;

		/*
		 * Not a user of the device: drop the inherited descriptors,
		 * and the BAR mappings (which hold the device file too) by
		 * exec'ing the shell that writes the unbind file.
		 */
		for (i = 3; i < 1024; i++)
			close(i);
		execl("/bin/sh", "sh", "-c", "printf %s \"$0\" > \"$1\"",
		      device_bdf, path, (char *)NULL);
		_exit(127);
	}

	/* The driver asks the user for the device: the eventfd fires. */
	ASSERT_LE(1, efd_wait(efd, 20000));
	/* The unbind waits for the device to be closed. */
	ASSERT_FALSE(wait_child(self->child, 500, &status));
	/* (The driver core drops the driver link before it calls remove.) */
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ("", now);

	vfio_pci_device_cleanup(self->device);
	self->device = NULL;
	iommu_cleanup(self->iommu);
	self->iommu = NULL;
	ASSERT_TRUE(wait_child(self->child, 20000, &status));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ("", now);

	/* driver_override is kept: probing binds the same driver again. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", device_bdf);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, override, sizeof(override) - 1);
	close(fd);
	ASSERT_LT(0, n);
	override[n] = 0;
	if (override[n - 1] == '\n')
		override[n - 1] = 0;
	ASSERT_STREQ(self->driver, override);
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers_probe", device_bdf));
	sysfs_driver_name(device_bdf, now, sizeof(now));
	ASSERT_STREQ(self->driver, now);
	close(efd);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
