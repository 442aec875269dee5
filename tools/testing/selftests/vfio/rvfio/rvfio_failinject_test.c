// SPDX-License-Identifier: GPL-2.0-only
/*
 * Allocation failures injected into every vfio-pci path a user can drive:
 * failslab and fail_page_alloc, armed for the calling thread only through
 * /proc/thread-self/fail-nth, swept over each operation. For n = 1, 2, ...
 * the n-th allocation the operation makes in this thread fails; the sweep
 * ends when the operation makes fewer than n allocations (fail-nth reads
 * back non-zero).
 *
 *   rvfio_failinject_test BDF
 *
 * The operations (one case each, finj.<op>): the device opened in the
 * group form (VFIO_GROUP_GET_DEVICE_FD) and in the cdev form (open,
 * BIND_IOMMUFD, ATTACH_IOMMUFD_PT; on a device without an INTx pin
 * unless RVFIO_FINJ_OPEN=1, see finj.open); GET_INFO, GET_REGION_INFO of every
 * region and GET_IRQ_INFO of every index, with room for capabilities;
 * config writes (memory decode off and on, a BAR, the MSI and MSI-X
 * capabilities); RESET; GET_PCI_HOT_RESET_INFO and PCI_HOT_RESET in the
 * group form; SET_IRQS eventfd triggers for INTx, MSI and MSI-X; an
 * ioeventfd added and removed; a BAR page mapped and touched (the fault
 * path); a DMA buffer exported.
 *
 * Every call must give the answer it gives without injection, or ENOMEM;
 * a touch of a mapping may also raise SIGBUS. After a refused call the
 * device must still answer through its config space; after each case the
 * device is read through its config space and a BAR, closed and opened
 * again. What the kernel says (KASAN, kmemleak, warnings) is checked by
 * the harness. Each case prints RVFIO-FIGURE faults_injected N (the
 * failures injected over its sweeps) and its answers.
 *
 * The process sets failslab's and fail_page_alloc's debugfs knobs so that
 * sleeping allocations may fail, nothing is failed at random (probability
 * 0) and nothing is printed (verbose 0), and puts them back at the end.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include <libvfio.h>
#include "rvfio_util.h"

#include "kselftest_harness.h"

/* A sweep that is still going after this many calls fails its case. */
#define FINJ_CAP	400
/* The answer of a touch that raised SIGBUS. */
#define RC_SIGBUS	(-1000 - SIGBUS)
#define FINJ_ERRNO_MAX	256

static const char *device_bdf;
static pid_t main_pid;

/* ---- debugfs knobs ---------------------------------------------------- */

static const struct knob {
	const char *file, *value;
} knobs[] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "failslab/probability", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/probability", "0" },
};

#define DEBUGFS "/sys/kernel/debug/"

static char saved[ARRAY_SIZE(knobs)][32];
static bool knob_saved[ARRAY_SIZE(knobs)];
static bool have_fail_nth;
static char knob_error[160];

static int knob_read(const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DEBUGFS "%s", file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int knob_write(const char *file, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DEBUGFS "%s", file);
	return sysfs_write(path, value);
}

static void knobs_restore(void)
{
	unsigned int i;

	if (getpid() != main_pid)
		return;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (knob_saved[i])
			knob_write(knobs[i].file, saved[i]);
}

/* Sets the knobs (saving what they were); a failure is kept in knob_error. */
static void knobs_setup(void)
{
	unsigned int i;
	int r;

	have_fail_nth = access("/proc/thread-self/fail-nth", F_OK) == 0;
	if (!have_fail_nth)
		return;
	if (access(DEBUGFS "failslab", F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		r = knob_read(knobs[i].file, saved[i], sizeof(saved[i]));
		if (r) {
			snprintf(knob_error, sizeof(knob_error), "read %s: %s",
				 knobs[i].file, strerror(-r));
			return;
		}
		knob_saved[i] = true;
		r = knob_write(knobs[i].file, knobs[i].value);
		if (r) {
			snprintf(knob_error, sizeof(knob_error), "write %s to %s: %s",
				 knobs[i].value, knobs[i].file, strerror(-r));
			return;
		}
	}
}

/* ---- the fixture -------------------------------------------------------- */

struct tally {
	unsigned long calls, injected, ok, sigbus, dead, other;
	unsigned long err[FINJ_ERRNO_MAX];
	char first_bad[200];
};

FIXTURE(finj) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;			/* the device's */
	int nth;		/* /proc/thread-self/fail-nth */
	uint16_t vendor;	/* from sysfs */
	uint8_t pin;		/* its INTx pin, 0 for none (from sysfs) */
	int bar;		/* the first readable memory BAR, or -1 */
	int map_bar;		/* a mappable BAR of a page or more, no MSI-X, or -1 */
	int msi, msix;		/* capability offsets, 0 if absent */
	struct tally t;
};

/* Touches stack below us, so that a deep call under injection finds it there. */
static noinline void prefault_stack(void)
{
	volatile char buf[128 << 10];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 4096)
		buf[i] = 0;
}

static unsigned int msix_bars(struct vfio_pci_device *d, int msix)
{
	uint32_t table = 0, pba = 0;

	if (!msix)
		return 0;
	cfg_read(d, msix + PCI_MSIX_TABLE, &table, 4);
	cfg_read(d, msix + PCI_MSIX_PBA, &pba, 4);
	return 1u << (table & PCI_MSIX_TABLE_BIR) | 1u << (pba & PCI_MSIX_PBA_BIR);
}

static void device_open(FIXTURE_DATA(finj) *self)
{
	self->iommu = iommu_init(MODE_VFIO_TYPE1V2_IOMMU);
	self->device = rvfio_device_init(device_bdf, self->iommu);
	self->fd = self->device->fd;
}

static void device_close(FIXTURE_DATA(finj) *self)
{
	if (self->device)
		vfio_pci_device_cleanup(self->device);
	if (self->iommu)
		iommu_cleanup(self->iommu);
	self->device = NULL;
	self->iommu = NULL;
	self->fd = -1;
}

FIXTURE_SETUP(finj)
{
	uint8_t cfg[RVFIO_PCI_CFG_MAX];
	unsigned int msix_in;
	int i;

	self->nth = -1;
	self->fd = -1;
	if (!have_fail_nth)
		SKIP(return, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
	ASSERT_EQ(0, knob_error[0]) TH_LOG("debugfs: %s", knob_error);
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, self->nth) TH_LOG("fail-nth: %s", strerror(errno));
	ASSERT_LT(0, sysfs_config_read(device_bdf, cfg, sizeof(cfg)));
	self->vendor = le_get(cfg + PCI_VENDOR_ID, 2);
	self->pin = cfg[PCI_INTERRUPT_PIN];
	device_open(self);
	ASSERT_LT(0, vfio_config_image(self->device, cfg));
	self->msi = find_cap(cfg, PCI_CAP_ID_MSI);
	self->msix = find_cap(cfg, PCI_CAP_ID_MSIX);
	msix_in = msix_bars(self->device, self->msix);
	self->bar = self->map_bar = -1;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vfio_region_info *ri = &self->device->bars[i].info;
		uint64_t start, size, flags;

		if (!ri->size || !(ri->flags & VFIO_REGION_INFO_FLAG_READ) ||
		    sysfs_resource(device_bdf, i, &start, &size, &flags) ||
		    !(flags & RVFIO_IORESOURCE_MEM))
			continue;
		if (self->bar < 0)
			self->bar = i;
		if (self->map_bar < 0 && (ri->flags & VFIO_REGION_INFO_FLAG_MMAP) &&
		    !(msix_in & (1u << i)) && ri->size >= (uint64_t)getpagesize())
			self->map_bar = i;
	}
	/*
	 * Nothing of ours may fault under injection: a user page fault that
	 * is refused turns a copy to or from the user into EFAULT.
	 */
	prefault_stack();
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		TH_LOG("mlockall: %s (user faults may be injected too)", strerror(errno));
}

FIXTURE_TEARDOWN(finj)
{
	device_close(self);
	if (self->nth >= 0)
		close(self->nth);
	munlockall();
}

/* ---- the sweep ---------------------------------------------------------- */

struct op {
	const char *name;
	/* Unarmed, before each call (may be NULL). */
	void (*prep)(FIXTURE_DATA(finj) *self, struct op *op);
	/* The call: >= 0 done, -errno refused, RC_SIGBUS. */
	long (*call)(FIXTURE_DATA(finj) *self, struct op *op);
	/* Unarmed, after each call, whatever it answered (may be NULL). */
	void (*undo)(FIXTURE_DATA(finj) *self, struct op *op, long rc);
	bool sigbus_ok;
	/* Another answer the call may give without injection (0: none). */
	int also_ok;
	/* What the call needs and keeps. */
	uint32_t index, off, size, val, orig;
	int fd, efd;
	bool added;
	char path[PATH_MAX];
	struct iommu *iommu;
	void *va;
};

static int nth_set(FIXTURE_DATA(finj) *self, unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	return write(self->nth, b, len) == len ? 0 : -errno;
}

static long nth_get(FIXTURE_DATA(finj) *self)
{
	char b[16];
	ssize_t n = pread(self->nth, b, sizeof(b) - 1, 0);

	if (n <= 0)
		return -1;
	b[n] = 0;
	return strtol(b, NULL, 10);
}

/* Does the device still answer: its vendor ID through VFIO (or sysfs, closed)? */
static bool device_answers(FIXTURE_DATA(finj) *self)
{
	uint8_t cfg[PCI_STD_HEADER_SIZEOF];
	uint16_t v = 0;

	if (self->device)
		return cfg_read(self->device, PCI_VENDOR_ID, &v, 2) == 2 && v == self->vendor;
	return sysfs_config_read(device_bdf, cfg, sizeof(cfg)) > 0 &&
	       le_get(cfg + PCI_VENDOR_ID, 2) == self->vendor;
}

/* The errno's name for the few a sweep may meet; its number otherwise. */
static const char *errno_name(int e, char *buf, size_t len)
{
	static const struct { int e; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
		{ ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ETIMEDOUT, "ETIMEDOUT" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(buf, len, "errno %d", e);
	return buf;
}

static const char *rc_name(long rc, char *buf, size_t len)
{
	if (rc >= 0)
		snprintf(buf, len, "done");
	else if (rc == RC_SIGBUS)
		snprintf(buf, len, "SIGBUS");
	else
		return errno_name(-rc, buf, len);
	return buf;
}

static void bad(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->first_bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(t->first_bad, sizeof(t->first_bad), fmt, ap);
	va_end(ap);
}

/*
 * One sweep of `op`; its answers go to self->t. False (and t->first_bad)
 * when the sweep could not be done at all.
 */
static bool sweep(FIXTURE_DATA(finj) *self, struct op *op)
{
	struct tally *t = &self->t;
	unsigned int n;
	long base, rc, left;
	char a[64], b[64];

	/* The answer without injection. */
	if (op->prep)
		op->prep(self, op);
	base = op->call(self, op);
	if (op->undo)
		op->undo(self, op, base);
	printf("# %s: %s without injection\n", op->name, rc_name(base, a, sizeof(a)));
	fflush(stdout);

	for (n = 1; n <= FINJ_CAP; n++) {
		if (op->prep)
			op->prep(self, op);
		if (nth_set(self, n)) {
			bad(t, "%s: cannot arm fail-nth: %s", op->name, strerror(errno));
			return false;
		}
		rc = op->call(self, op);
		left = nth_get(self);
		nth_set(self, 0);
		if (op->undo)
			op->undo(self, op, rc);

		t->calls++;
		if (left == 0)
			t->injected++;
		if (rc >= 0)
			t->ok++;
		else if (rc == RC_SIGBUS)
			t->sigbus++;
		else if (-rc < FINJ_ERRNO_MAX)
			t->err[-rc]++;
		else
			t->other++;

		if (!(rc >= 0 || rc == base || rc == -ENOMEM || (rc == RC_SIGBUS && op->sigbus_ok) ||
		      (op->also_ok && rc == -op->also_ok)))
			bad(t, "%s: failure %u: %s (without injection: %s)", op->name, n,
			    rc_name(rc, a, sizeof(a)), rc_name(base, b, sizeof(b)));
		else if (rc >= 0 && base < 0 && !(op->also_ok && base == -op->also_ok))
			bad(t, "%s: failure %u: done (without injection: %s)", op->name, n,
			    rc_name(base, b, sizeof(b)));
		if (rc < 0 && !device_answers(self)) {
			t->dead++;
			bad(t, "%s: after failure %u (%s) the device does not answer",
			    op->name, n, rc_name(rc, a, sizeof(a)));
		}
		if (left < 0) {
			bad(t, "%s: cannot read fail-nth back", op->name);
			return false;
		}
		if (left > 0)
			return true;	/* fewer than n allocations: all of them tried */
	}
	bad(t, "%s: still allocating after %u failures", op->name, FINJ_CAP);
	return false;
}

/* The case's answers, its figure, and whether it passes. */
static void report(struct __test_metadata *_metadata, FIXTURE_DATA(finj) *self,
		   const char *name)
{
	struct tally *t = &self->t;
	char line[1024], e[32];
	int i, len;

	len = snprintf(line, sizeof(line), "# finj.%s: %lu calls, %lu injected, %lu done",
		       name, t->calls, t->injected, t->ok);
	for (i = 1; i < FINJ_ERRNO_MAX; i++)
		if (t->err[i])
			len += snprintf(line + len, sizeof(line) - len, ", %lu failed with %s",
					t->err[i], errno_name(i, e, sizeof(e)));
	if (t->sigbus)
		len += snprintf(line + len, sizeof(line) - len, ", %lu SIGBUS", t->sigbus);
	if (t->other)
		len += snprintf(line + len, sizeof(line) - len, ", %lu other", t->other);
	printf("%s\n", line);
	printf("# RVFIO-FIGURE faults_injected %lu\n", t->injected);
	fflush(stdout);
	ASSERT_EQ(0, t->first_bad[0]) TH_LOG("%s", t->first_bad);
}

/*
 * After a case: the device answers through config space and a BAR, and
 * closes and opens again.
 */
static void sanity(struct __test_metadata *_metadata, FIXTURE_DATA(finj) *self)
{
	uint32_t v;
	uint16_t cmd;

	if (!self->device)
		device_open(self);
	ASSERT_TRUE(device_answers(self));
	if (self->bar >= 0) {
		ASSERT_EQ(2, cfg_read(self->device, PCI_COMMAND, &cmd, 2));
		cmd |= PCI_COMMAND_MEMORY;
		ASSERT_EQ(2, cfg_write(self->device, PCI_COMMAND, &cmd, 2));
		ASSERT_EQ(4, rvfio_pread(self->fd, &v, 4,
					 self->device->bars[self->bar].info.offset));
	}
	device_close(self);
	device_open(self);
	ASSERT_TRUE(device_answers(self));
}

#define SWEEP(_op) do {							\
	if (!sweep(self, (_op)))					\
		report(_metadata, self, finj_case);			\
} while (0)

/* Memory decode on (a BAR answers, a mapping faults in). */
static void mem_on(FIXTURE_DATA(finj) *self)
{
	uint16_t cmd = 0;

	cfg_read(self->device, PCI_COMMAND, &cmd, 2);
	cmd |= PCI_COMMAND_MEMORY;
	cfg_write(self->device, PCI_COMMAND, &cmd, 2);
}

static long answer(long r)
{
	return r < 0 ? -errno : r;
}

/* ---- open --------------------------------------------------------------- */

static long call_get_device_fd(FIXTURE_DATA(finj) *self, struct op *op)
{
	op->fd = ioctl(op->efd, VFIO_GROUP_GET_DEVICE_FD, device_bdf);
	return op->fd < 0 ? -errno : 0;
}

static void undo_close(FIXTURE_DATA(finj) *self, struct op *op, long rc)
{
	if (op->fd >= 0)
		close(op->fd);
	op->fd = -1;
}

static long call_cdev_open(FIXTURE_DATA(finj) *self, struct op *op)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = op->iommu->iommufd,
	};
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = op->iommu->ioas_id,
	};

	op->fd = open(op->path, O_RDWR);
	if (op->fd < 0)
		return -errno;
	if (ioctl(op->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	return answer(ioctl(op->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
}

TEST_F_TIMEOUT(finj, open, 600)
{
	const char *finj_case = "open";
	struct vfio_pci_device *d;
	struct op op = { .name = "group GET_DEVICE_FD", .call = call_get_device_fd,
			 .undo = undo_close, .fd = -1 };
	const char *cdev, *want = getenv("RVFIO_FINJ_OPEN");

	/*
	 * A first open enables the device, and for a device with an INTx pin
	 * pci_enable_device() evaluates ACPI's _SB.PCI0._PRT for its routing.
	 * An allocation failed in that evaluation leaves ACPICA's namespace
	 * holding a freed object: later evaluations warn ("Large Reference
	 * Count", "not an ACPI Operand object") and, once the memory is
	 * reused (at once without KASAN's quarantine), one oopses in
	 * acpi_ns_repair_PRT(); seen at the close of the next case, with the
	 * C driver. An ACPICA bug, not vfio-pci's, and it takes the VM down:
	 * the sweep runs on a device without an INTx pin (the failinject
	 * suite gives it pci-testdev), or anywhere with RVFIO_FINJ_OPEN=1
	 * (e.g. on the KASAN kernel, where it passed on both drivers on igb).
	 */
	if (self->pin && (!want || strcmp(want, "1")))
		SKIP(return, "INTx pin %u: the first-open sweep breaks ACPICA's _PRT (use after free); run it on a device without a pin, or with RVFIO_FINJ_OPEN=1",
		     self->pin);

	/* Not open anywhere else: each successful call is the first open. */
	device_close(self);

	/* The group form: the group in its container, then the device. */
	op.iommu = iommu_init(MODE_VFIO_TYPE1V2_IOMMU);
	d = vfio_pci_device_alloc(device_bdf, op.iommu);
	vfio_pci_group_setup(d, device_bdf);
	vfio_container_set_iommu(d);
	op.efd = d->group_fd;
	SWEEP(&op);
	close(d->group_fd);
	vfio_pci_device_free(d);
	iommu_cleanup(op.iommu);

	/* The cdev form: open, bind to an iommufd, attach to its IOAS. */
	op = (struct op){ .name = "cdev open+BIND_IOMMUFD+ATTACH_IOMMUFD_PT",
			  .call = call_cdev_open, .undo = undo_close, .fd = -1 };
	op.iommu = iommu_init(MODE_IOMMUFD);
	cdev = vfio_pci_get_cdev_path(device_bdf);
	snprintf(op.path, sizeof(op.path), "%s", cdev);
	free((void *)cdev);
	SWEEP(&op);
	iommu_cleanup(op.iommu);

	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- GET_INFO, GET_REGION_INFO, GET_IRQ_INFO ---------------------------- */

static long call_info(FIXTURE_DATA(finj) *self, struct op *op)
{
	static uint64_t buf[512];
	struct vfio_device_info *di = (void *)buf;
	struct vfio_region_info *ri = (void *)buf;
	struct vfio_irq_info *ii = (void *)buf;

	memset(buf, 0, sizeof(buf));
	switch (op->val) {
	case 0:
		di->argsz = sizeof(buf);
		return answer(ioctl(self->fd, VFIO_DEVICE_GET_INFO, di));
	case 1:
		ri->argsz = sizeof(buf);
		ri->index = op->index;
		return answer(ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, ri));
	default:
		ii->argsz = sizeof(*ii);
		ii->index = op->index;
		return answer(ioctl(self->fd, VFIO_DEVICE_GET_IRQ_INFO, ii));
	}
}

TEST_F_TIMEOUT(finj, info, 600)
{
	const char *finj_case = "info";
	struct op op = { .name = "GET_INFO", .call = call_info };
	char name[64];
	uint32_t i;

	SWEEP(&op);
	for (i = 0; i < self->device->info.num_regions; i++) {
		snprintf(name, sizeof(name), "GET_REGION_INFO %u", i);
		op = (struct op){ .name = name, .call = call_info, .val = 1, .index = i };
		SWEEP(&op);
	}
	for (i = 0; i < self->device->info.num_irqs; i++) {
		snprintf(name, sizeof(name), "GET_IRQ_INFO %u", i);
		op = (struct op){ .name = name, .call = call_info, .val = 2, .index = i };
		SWEEP(&op);
	}
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- config writes ------------------------------------------------------ */

static void prep_cfg(FIXTURE_DATA(finj) *self, struct op *op)
{
	/* op->efd: a value to write first (memory decode off, to turn it on). */
	if (op->efd >= 0)
		cfg_write(self->device, op->off, &op->efd, op->size);
}

static long call_cfg_write(FIXTURE_DATA(finj) *self, struct op *op)
{
	ssize_t r = cfg_write(self->device, op->off, &op->val, op->size);

	return r == op->size ? 0 : r < 0 ? r : -EIO;
}

static void undo_cfg(FIXTURE_DATA(finj) *self, struct op *op, long rc)
{
	cfg_write(self->device, op->off, &op->orig, op->size);
}

static void cfg_op(struct op *op, FIXTURE_DATA(finj) *self, const char *name,
		   uint32_t off, uint32_t size, uint32_t val, int first)
{
	*op = (struct op){ .name = name, .prep = prep_cfg, .call = call_cfg_write,
			   .undo = undo_cfg, .off = off, .size = size, .val = val,
			   .efd = first };
	cfg_read(self->device, off, &op->orig, size);
}

TEST_F_TIMEOUT(finj, config_write, 600)
{
	const char *finj_case = "config_write";
	struct op op;
	uint16_t cmd = 0;

	mem_on(self);
	ASSERT_EQ(2, cfg_read(self->device, PCI_COMMAND, &cmd, 2));
	cfg_op(&op, self, "command: memory off", PCI_COMMAND, 2,
	       cmd & ~PCI_COMMAND_MEMORY, -1);
	SWEEP(&op);
	cfg_op(&op, self, "command: memory on", PCI_COMMAND, 2,
	       cmd | PCI_COMMAND_MEMORY, cmd & ~PCI_COMMAND_MEMORY);
	SWEEP(&op);
	cfg_op(&op, self, "BAR0 sizing", PCI_BASE_ADDRESS_0, 4, 0xffffffff, -1);
	SWEEP(&op);
	if (self->msi) {
		cfg_op(&op, self, "MSI address", self->msi + PCI_MSI_ADDRESS_LO, 4,
		       0xfee00000, -1);
		SWEEP(&op);
	}
	if (self->msix) {
		uint16_t flags = 0;

		cfg_read(self->device, self->msix + PCI_MSIX_FLAGS, &flags, 2);
		cfg_op(&op, self, "MSI-X mask all", self->msix + PCI_MSIX_FLAGS, 2,
		       flags | PCI_MSIX_FLAGS_MASKALL, -1);
		SWEEP(&op);
	}
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- RESET, hot reset --------------------------------------------------- */

static long call_reset(FIXTURE_DATA(finj) *self, struct op *op)
{
	return answer(ioctl(self->fd, VFIO_DEVICE_RESET));
}

TEST_F_TIMEOUT(finj, reset, 600)
{
	const char *finj_case = "reset";
	struct op op = { .name = "RESET", .call = call_reset };

	if (!(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "the device has no reset");
	SWEEP(&op);
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

static long call_hot_reset_info(FIXTURE_DATA(finj) *self, struct op *op)
{
	static uint64_t buf[(sizeof(struct vfio_pci_hot_reset_info) +
			     16 * sizeof(struct vfio_pci_dependent_device)) / 8];
	struct vfio_pci_hot_reset_info *h = (void *)buf;

	memset(buf, 0, sizeof(buf));
	h->argsz = sizeof(buf);
	return answer(ioctl(self->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h));
}

static long call_hot_reset(FIXTURE_DATA(finj) *self, struct op *op)
{
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fds[1];
	} a = { .h = { .argsz = sizeof(a), .count = 1 } };

	a.fds[0] = self->device->group_fd;
	return answer(ioctl(self->fd, VFIO_DEVICE_PCI_HOT_RESET, &a));
}

TEST_F_TIMEOUT(finj, hot_reset, 900)
{
	const char *finj_case = "hot_reset";
	struct op op = { .name = "GET_PCI_HOT_RESET_INFO", .call = call_hot_reset_info };

	SWEEP(&op);
	/*
	 * In the test VM the bus reset may end in ENOTTY (the link not back
	 * in time, see rvfio_hot_reset_test): that or done, either way.
	 */
	op = (struct op){ .name = "PCI_HOT_RESET (group)", .call = call_hot_reset,
			  .also_ok = ENOTTY };
	SWEEP(&op);
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- SET_IRQS ----------------------------------------------------------- */

/* Sets `count` vectors from 0 to the eventfds efd[0...], or none (count 0). */
static long set_irqs(int fd, uint32_t index, uint32_t count, const int *efd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fds[8];
	} a = { .s = { .argsz = sizeof(a.s) + count * sizeof(int32_t), .index = index,
		       .count = count,
		       .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };
	uint32_t i;

	if (!count)
		a.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	for (i = 0; i < count && i < 8; i++)
		a.fds[i] = efd[i];
	return answer(ioctl(fd, VFIO_DEVICE_SET_IRQS, &a));
}

static long call_irq_on(FIXTURE_DATA(finj) *self, struct op *op)
{
	return set_irqs(self->fd, op->index, op->size, op->va);
}

static void undo_irq_off(FIXTURE_DATA(finj) *self, struct op *op, long rc)
{
	set_irqs(self->fd, op->index, 0, NULL);
}

TEST_F_TIMEOUT(finj, set_irqs, 600)
{
	const char *finj_case = "set_irqs";
	static const char *const names[] = { "INTx", "MSI", "MSI-X" };
	struct vfio_irq_info ii;
	char name[64];
	/* One eventfd per vector: the IRQ bypass manager takes one producer each. */
	int efd[4];
	struct op op;
	uint32_t index, count;
	bool any = false;

	for (count = 0; count < ARRAY_SIZE(efd); count++) {
		efd[count] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, efd[count]);
	}
	for (index = VFIO_PCI_INTX_IRQ_INDEX; index <= VFIO_PCI_MSIX_IRQ_INDEX; index++) {
		ii = (struct vfio_irq_info){ .argsz = sizeof(ii), .index = index };
		if (ioctl(self->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) || !ii.count)
			continue;
		any = true;
		for (count = 1; count <= ii.count && count <= 4; count += 3) {
			snprintf(name, sizeof(name), "SET_IRQS %s trigger x%u", names[index], count);
			/*
			 * The MSI core answers ENOSPC for any failure to set
			 * up the vectors in its IRQ domains (msi_handle_pci_fail()).
			 */
			op = (struct op){ .name = name, .call = call_irq_on,
					  .undo = undo_irq_off, .index = index,
					  .size = count, .va = efd,
					  .also_ok = index == VFIO_PCI_INTX_IRQ_INDEX ? 0 : ENOSPC };
			SWEEP(&op);
			if (index == VFIO_PCI_INTX_IRQ_INDEX)
				break;
		}
	}
	for (count = 0; count < ARRAY_SIZE(efd); count++)
		close(efd[count]);
	if (!any)
		SKIP(return, "no interrupts");
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- IOEVENTFD ---------------------------------------------------------- */

static long ioeventfd(FIXTURE_DATA(finj) *self, struct op *op, int efd)
{
	struct vfio_device_ioeventfd e = {
		.argsz = sizeof(e), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = self->device->bars[op->index].info.offset + op->off,
		.data = 0x5a5a5a5a, .fd = efd,
	};

	return answer(ioctl(self->fd, VFIO_DEVICE_IOEVENTFD, &e));
}

static long call_ioeventfd(FIXTURE_DATA(finj) *self, struct op *op)
{
	long r = ioeventfd(self, op, op->efd);

	if (r)
		return r;
	op->added = true;
	r = ioeventfd(self, op, -1);
	if (!r)
		op->added = false;
	return r;
}

static void undo_ioeventfd(FIXTURE_DATA(finj) *self, struct op *op, long rc)
{
	if (op->added)
		ioeventfd(self, op, -1);
	op->added = false;
}

TEST_F_TIMEOUT(finj, ioeventfd, 600)
{
	const char *finj_case = "ioeventfd";
	struct op op = { .name = "IOEVENTFD add+remove", .call = call_ioeventfd,
			 .undo = undo_ioeventfd, .off = 4 };

	if (self->map_bar < 0 && self->bar < 0)
		SKIP(return, "no memory BAR");
	/* A BAR without the MSI-X table (ioeventfds there are refused). */
	op.index = self->map_bar >= 0 ? self->map_bar : self->bar;
	op.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, op.efd);
	SWEEP(&op);
	close(op.efd);
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- mmap and fault ----------------------------------------------------- */

static sigjmp_buf fault_env;
static volatile sig_atomic_t fault_armed;

static void on_sigbus(int sig)
{
	if (!fault_armed)
		_exit(128 + sig);
	siglongjmp(fault_env, sig);
}

static long call_map_touch(FIXTURE_DATA(finj) *self, struct op *op)
{
	volatile uint32_t *p;

	op->va = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		      self->device->bars[op->index].info.offset);
	if (op->va == MAP_FAILED) {
		op->va = NULL;
		return -errno;
	}
	p = op->va;
	fault_armed = 1;
	if (sigsetjmp(fault_env, 1)) {
		fault_armed = 0;
		return RC_SIGBUS;
	}
	(void)*p;
	fault_armed = 0;
	return 0;
}

static void undo_unmap(FIXTURE_DATA(finj) *self, struct op *op, long rc)
{
	if (op->va)
		munmap(op->va, getpagesize());
	op->va = NULL;
}

TEST_F_TIMEOUT(finj, mmap_fault, 600)
{
	const char *finj_case = "mmap_fault";
	struct sigaction sa = { .sa_handler = on_sigbus };
	struct op op = { .name = "BAR mmap + first touch", .call = call_map_touch,
			 .undo = undo_unmap, .sigbus_ok = true };

	if (self->map_bar < 0)
		SKIP(return, "no mappable memory BAR of a page or more");
	op.index = self->map_bar;
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	mem_on(self);
	SWEEP(&op);
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

/* ---- DMA buffer export -------------------------------------------------- */

static long call_dmabuf(FIXTURE_DATA(finj) *self, struct op *op)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf db;
		struct vfio_region_dma_range range;
	} a;

	memset(&a, 0, sizeof(a));
	a.f.argsz = sizeof(a);
	a.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	a.db.region_index = op->index;
	a.db.open_flags = O_RDWR | O_CLOEXEC;
	a.db.nr_ranges = 1;
	a.range.length = getpagesize();
	op->fd = ioctl(self->fd, VFIO_DEVICE_FEATURE, &a);
	return op->fd < 0 ? -errno : 0;
}

TEST_F_TIMEOUT(finj, dmabuf, 600)
{
	const char *finj_case = "dmabuf";
	struct op op = { .name = "DMA_BUF export", .call = call_dmabuf,
			 .undo = undo_close, .fd = -1 };

	if (self->map_bar < 0)
		SKIP(return, "no mappable memory BAR of a page or more");
	op.index = self->map_bar;
	if (call_dmabuf(self, &op) == -ENOTTY)
		SKIP(return, "no DMA buffer export (ENOTTY)");
	undo_close(self, &op, 0);
	SWEEP(&op);
	report(_metadata, self, finj_case);
	sanity(_metadata, self);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	main_pid = getpid();
	knobs_setup();
	atexit(knobs_restore);
	return test_harness_run(argc, argv);
}
