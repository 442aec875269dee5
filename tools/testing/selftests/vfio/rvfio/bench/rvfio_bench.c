// SPDX-License-Identifier: GPL-2.0-only
/*
 * rvfio_bench: the cost of vfio-pci's hot paths as a VMM sees them, against
 * whichever driver is bound as "vfio-pci" (the harness runs it once per
 * driver and round in one boot, see harness/guest/suites/bench).
 *
 *   rvfio_bench [-q] [-r REPS] [-k ROW-PREFIX[,PREFIX...]] [-T CALLS] [-S SECONDS] [-C CALLS] igb=BDF edu=BDF \
 *               ivshmem=BDF pair=BDF,BDF[,BDF...]
 *
 * -q: quick (batches a tenth as long); -k: only the rows whose id starts
 * with one of the (comma-separated) prefixes; -T: profiling, the rows built on the generic loop run
 * CALLS calls with ftrace's tracing_on set instead of being timed.
 *
 * Each row is measured REPS times; one repetition times a batch of calls
 * and reports the cost of one. Per row it prints, for the host to collect:
 *
 *   RVFIO-BENCH <row> <unit> ok <n> <v1> ... <vn>
 *   RVFIO-BENCH <row> <unit> ni <why>     (the driver does not offer it)
 *   RVFIO-BENCH <row> <unit> err <why>    (the workload failed)
 *
 * and one TAP case per row (a "not implemented" row is a skipped case, an
 * erroring one a failed case): timings never fail anything.
 *
 * "Not implemented" is decided from what the driver says, never assumed:
 * no VFIO_REGION_INFO_FLAG_MMAP on the region (or mmap failing with
 * EINVAL/ENODEV/ENOTTY), VFIO_DEVICE_FEATURE_DMA_BUF or SET_IRQS answering
 * ENOTTY.
 *
 * The devices (QEMU): igb (FLR, MSI-X), edu (BAR0 registers: 0x00 id,
 * 0x04 liveness = complement of the last value written, 0x60 raise an
 * interrupt, 0x64 acknowledge it; INTx and MSI), ivshmem-plain (BAR2: 1 GiB
 * of RAM) and the edu functions behind a PCIe-to-PCI bridge (one device set,
 * one bus reset).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../rvfio_util.h"

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64

#define IGB_GPIE	0x01514
#define IGB_EICS	0x01520
#define IGB_EIMS	0x01524
#define IGB_EIMC	0x01528
#define IGB_EIAC	0x0152c
#define IGB_EIAM	0x01530
#define IGB_EICR	0x01580
#define IGB_GPIE_MSIX_MODE	0x00000010
#define IGB_GPIE_EIAME		0x40000000

#define MAX_PAIR	4
#define IRQ_TIMEOUT_MS	2000

/* ---- options and output ------------------------------------------------ */

static int reps = 7;
static bool quick;
static const char *only;
static const char *bdf_igb, *bdf_edu, *bdf_ivshmem;
static char *pair[MAX_PAIR];
static int npair;
static int tap_n, tap_fail;
/* -T N: instead of timing a row, run N calls with ftrace's tracing_on set. */
static int trace_calls;
/*
 * -S SECONDS: instead of timing a row, call it for that long between two
 * marker lines, for a sampling profiler outside the guest (harness/sample.py).
 */
static int sample_secs;
/* -C N: the same with exactly N calls (for counting device accesses per call). */
static long sample_calls;

/*
 * Whether the row (or, given a prefix such as "reset_", any row of the group)
 * is wanted: -k takes comma-separated prefixes.
 */
static bool selected(const char *row)
{
	const char *p = only;
	size_t n, r = strlen(row);

	if (!only)
		return true;
	while (*p) {
		n = strcspn(p, ",");
		if (n && !strncmp(row, p, n < r ? n : r))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Scales a batch size down in quick mode (at least 1). */
static int iters(int n)
{
	if (quick)
		n /= 10;
	return n > 0 ? n : 1;
}

static void emit_ok(const char *row, const char *unit, const double *v, int n)
{
	int i;

	printf("RVFIO-BENCH %s %s ok %d", row, unit, n);
	for (i = 0; i < n; i++)
		printf(" %.4g", v[i]);
	printf("\n");
	printf("ok %d %s\n", ++tap_n, row);
	fflush(stdout);
}

static void emit_ni(const char *row, const char *unit, const char *why)
{
	printf("RVFIO-BENCH %s %s ni %s\n", row, unit, why);
	printf("ok %d %s # SKIP not implemented: %s\n", ++tap_n, row, why);
	fflush(stdout);
}

static void emit_err(const char *row, const char *unit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emit_err(const char *row, const char *unit, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("RVFIO-BENCH %s %s err %s\n", row, unit, why);
	printf("not ok %d %s\n# %s\n", ++tap_n, row, why);
	tap_fail++;
	fflush(stdout);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double unit_scale(const char *unit)
{
	if (!strcmp(unit, "us"))
		return 1e3;
	if (!strcmp(unit, "ms"))
		return 1e6;
	return 1;
}

/*
 * The generic row: `op` is called `n` times per repetition (after one
 * untimed warm-up call); returns 0 or -errno. `prep`, when given, runs
 * untimed before every call (re-touching mappings a reset has zapped).
 */
typedef int (*op_fn)(void *arg);

static void run_row(const char *row, const char *unit, int n, op_fn op,
		    op_fn prep, void *arg)
{
	double v[64], t0, sum;
	int r, i, ret;

	if (!selected(row))
		return;
	if (prep && (ret = prep(arg)) < 0)
		return emit_err(row, unit, "setup: %s", strerror(-ret));
	ret = op(arg);
	if (ret < 0)
		return emit_err(row, unit, "%s", strerror(-ret));
	if (trace_calls) {
		int on = open("/sys/kernel/tracing/tracing_on", O_WRONLY);

		if (on < 0)
			return emit_err(row, unit, "tracing_on: %s", strerror(errno));
		for (i = 0; i < 5; i++)
			op(arg);
		if (write(on, "1", 1) != 1)
			ret = -errno;
		for (i = 0; i < trace_calls && !ret; i++)
			ret = op(arg);
		if (write(on, "0", 1) != 1 && !ret)
			ret = -errno;
		close(on);
		printf("RVFIO-TRACED %s %d calls%s%s\n", row, trace_calls, ret ? ": " : "",
		       ret ? strerror(-ret) : "");
		return;
	}
	if (sample_secs || sample_calls) {
		long calls = 0;

		ret = 0;
		printf("RVFIO-SAMPLE-ON %s\n", row);
		fflush(stdout);
		/* Counting: give the host time to see the line and start its log. */
		if (sample_calls)
			sleep(2);
		t0 = now_ns();
		while (!ret && (sample_calls ? calls < sample_calls :
				now_ns() - t0 < sample_secs * 1e9)) {
			for (i = 0; i < n && !ret && (!sample_calls || calls < sample_calls);
			     i++, calls++) {
				if (prep)
					ret = prep(arg);
				if (!ret)
					ret = op(arg);
			}
		}
		printf("RVFIO-SAMPLE-OFF %s %ld %.0f%s%s\n", row, calls, now_ns() - t0,
		       ret < 0 ? " " : "", ret < 0 ? strerror(-ret) : "");
		fflush(stdout);
		return;
	}
	/* The calls the row makes (warm-up included), for profiles. */
	printf("RVFIO-BENCH-CALLS %s %d\n", row, 1 + reps * n);
	for (r = 0; r < reps && r < 64; r++) {
		sum = 0;
		for (i = 0; i < n; i++) {
			if (prep && (ret = prep(arg)) < 0)
				return emit_err(row, unit, "setup: %s", strerror(-ret));
			t0 = now_ns();
			ret = op(arg);
			sum += now_ns() - t0;
			if (ret < 0)
				return emit_err(row, unit, "%s (repetition %d, call %d)",
						strerror(-ret), r, i);
		}
		v[r] = sum / n / unit_scale(unit);
	}
	emit_ok(row, unit, v, r);
}

/* ---- devices ----------------------------------------------------------- */

/*
 * One open device: its fd, and what holds its IOMMU context (a container
 * and group, or an iommufd with an IOAS).
 */
struct dev {
	const char *bdf;
	int fd, group, container, iommufd;
	uint32_t ioas;
	struct vfio_region_info cfg, bar[PCI_STD_NUM_BARS];
};

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	p = strrchr(link, '/');
	return p ? atoi(p + 1) : -ENOENT;
}

/* /dev/vfio/devices/vfioN of a device, in path (0 or -errno). */
static int cdev_path(const char *bdf, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(path, len, "/dev/vfio/devices/%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

/* Container + group (type1v2) for bdf's group, device fd not taken yet. */
static int group_ctx(struct dev *d, const char *bdf)
{
	char path[64];
	int g = group_of(bdf);

	memset(d, 0, sizeof(*d));
	d->bdf = bdf;
	d->fd = d->group = d->container = d->iommufd = -1;
	if (g < 0)
		return g;
	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return -errno;
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	return 0;
}

static int group_get_fd(struct dev *d)
{
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	return d->fd < 0 ? -errno : 0;
}

/* iommufd + IOAS, device not opened yet. */
static int cdev_ctx(struct dev *d, const char *bdf)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	memset(d, 0, sizeof(*d));
	d->bdf = bdf;
	d->fd = d->group = d->container = d->iommufd = -1;
	d->iommufd = open("/dev/iommu", O_RDWR);
	if (d->iommufd < 0)
		return -errno;
	if (ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &a))
		return -errno;
	d->ioas = a.out_ioas_id;
	return 0;
}

static int cdev_get_fd(struct dev *d)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = d->iommufd };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = d->ioas };
	char path[PATH_MAX];
	int ret = cdev_path(d->bdf, path, sizeof(path));

	if (ret)
		return ret;
	d->fd = open(path, O_RDWR);
	if (d->fd < 0)
		return -errno;
	if (ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &b) ||
	    ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		ret = -errno;
		close(d->fd);
		d->fd = -1;
		return ret;
	}
	return 0;
}

static void put_fd(struct dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static void dev_close(struct dev *d)
{
	put_fd(d);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	if (d->iommufd >= 0)
		close(d->iommufd);
	d->group = d->container = d->iommufd = -1;
}

static int dev_regions(struct dev *d)
{
	int i;

	d->cfg.argsz = sizeof(d->cfg);
	d->cfg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->cfg))
		return -errno;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		d->bar[i].argsz = sizeof(d->bar[i]);
		d->bar[i].index = i;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->bar[i]))
			return -errno;
	}
	return 0;
}

/* A device opened in the cdev form with its regions known (0 or -errno). */
static int dev_open(struct dev *d, const char *bdf)
{
	int ret = cdev_ctx(d, bdf);

	if (!ret)
		ret = cdev_get_fd(d);
	if (!ret)
		ret = dev_regions(d);
	if (ret)
		dev_close(d);
	return ret;
}

static int cfg_rd(struct dev *d, uint32_t off, void *buf, size_t len)
{
	ssize_t r = pread(d->fd, buf, len, d->cfg.offset + off);

	return r == (ssize_t)len ? 0 : r < 0 ? -errno : -EIO;
}

static int cfg_wr(struct dev *d, uint32_t off, const void *buf, size_t len)
{
	ssize_t r = pwrite(d->fd, buf, len, d->cfg.offset + off);

	return r == (ssize_t)len ? 0 : r < 0 ? -errno : -EIO;
}

static int bar_rd32(struct dev *d, int bar, uint64_t off, uint32_t *v)
{
	ssize_t r = pread(d->fd, v, 4, d->bar[bar].offset + off);

	return r == 4 ? 0 : r < 0 ? -errno : -EIO;
}

static int bar_wr32(struct dev *d, int bar, uint64_t off, uint32_t v)
{
	ssize_t r = pwrite(d->fd, &v, 4, d->bar[bar].offset + off);

	return r == 4 ? 0 : r < 0 ? -errno : -EIO;
}

static int set_master(struct dev *d)
{
	uint16_t cmd;
	int ret = cfg_rd(d, PCI_COMMAND, &cmd, 2);

	if (ret)
		return ret;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	return cfg_wr(d, PCI_COMMAND, &cmd, 2);
}

/* Is the region mappable? 0 if so, else why not in `why`. */
static bool mappable(struct dev *d, int bar, char *why, size_t len)
{
	if (d->bar[bar].flags & VFIO_REGION_INFO_FLAG_MMAP)
		return true;
	snprintf(why, len, "BAR%d offers no VFIO_REGION_INFO_FLAG_MMAP", bar);
	return false;
}

/* An errno from mmap/feature/SET_IRQS that means "the driver lacks it". */
static bool lacks(int err)
{
	return err == ENOTTY || err == EOPNOTSUPP;
}

/* ---- config space ------------------------------------------------------- */

struct cfg_arg {
	struct dev *d;
	uint32_t off, val;
};

static int op_cfg_rd(void *a)
{
	struct cfg_arg *c = a;
	uint32_t v;

	return cfg_rd(c->d, c->off, &v, 4);
}

static int op_cfg_wr(void *a)
{
	struct cfg_arg *c = a;

	return cfg_wr(c->d, c->off, &c->val, 4);
}

static void bench_config(void)
{
	static const struct { const char *rd, *wr; uint32_t off; } regs[] = {
		/* virtualized: command (status half written as 0: RW1C bits untouched) */
		{ "cfg_rd4_command", "cfg_wr4_command", PCI_COMMAND },
		/* virtualized: BAR0 */
		{ "cfg_rd4_bar0", "cfg_wr4_bar0", PCI_BASE_ADDRESS_0 },
		/* passed through: cache line size, latency timer, header type, BIST */
		{ "cfg_rd4_passthru", "cfg_wr4_passthru", PCI_CACHE_LINE_SIZE },
	};
	struct cfg_arg c;
	struct dev d;
	unsigned int i;
	int ret;

	ret = dev_open(&d, bdf_edu);
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		if (ret) {
			emit_err(regs[i].rd, "us", "open edu: %s", strerror(-ret));
			emit_err(regs[i].wr, "us", "open edu: %s", strerror(-ret));
			continue;
		}
		c.d = &d;
		c.off = regs[i].off;
		c.val = 0;
		run_row(regs[i].rd, "us", iters(2000), op_cfg_rd, NULL, &c);
		cfg_rd(&d, c.off, &c.val, 4);
		if (c.off == PCI_COMMAND)
			c.val &= 0xffff;
		run_row(regs[i].wr, "us", iters(2000), op_cfg_wr, NULL, &c);
	}
	if (!ret)
		dev_close(&d);
}

/* ---- BAR read/write ----------------------------------------------------- */

struct bar_arg {
	struct dev *d;
	int bar;
	uint64_t off, span;
	size_t len;
	unsigned int i;
	char *buf;
};

static int op_bar_rd(void *a)
{
	struct bar_arg *b = a;
	uint64_t off = b->off + (b->span ? (b->i++ * b->len) % b->span : 0);
	ssize_t r = pread(b->d->fd, b->buf, b->len, b->d->bar[b->bar].offset + off);

	return r == (ssize_t)b->len ? 0 : r < 0 ? -errno : -EIO;
}

static int op_bar_wr(void *a)
{
	struct bar_arg *b = a;
	uint64_t off = b->off + (b->span ? (b->i++ * b->len) % b->span : 0);
	ssize_t r = pwrite(b->d->fd, b->buf, b->len, b->d->bar[b->bar].offset + off);

	return r == (ssize_t)b->len ? 0 : r < 0 ? -errno : -EIO;
}

static void bench_bar(void)
{
	struct bar_arg b = { 0 };
	struct dev d;
	int ret;

	b.buf = calloc(1, 65536);
	ret = dev_open(&d, bdf_edu);
	if (ret) {
		emit_err("bar_rd4_edu", "us", "open edu: %s", strerror(-ret));
		emit_err("bar_wr4_edu", "us", "open edu: %s", strerror(-ret));
	} else {
		b.d = &d;
		b.bar = 0;
		b.len = 4;
		b.off = EDU_ID;
		run_row("bar_rd4_edu", "us", iters(2000), op_bar_rd, NULL, &b);
		b.off = EDU_LIVENESS;
		memcpy(b.buf, "\x5a\xa5\x5a\xa5", 4);
		run_row("bar_wr4_edu", "us", iters(2000), op_bar_wr, NULL, &b);
		dev_close(&d);
	}

	ret = dev_open(&d, bdf_ivshmem);
	if (ret) {
		emit_err("bar_rd64k_ivshmem", "us", "open ivshmem: %s", strerror(-ret));
		emit_err("bar_wr64k_ivshmem", "us", "open ivshmem: %s", strerror(-ret));
	} else {
		b.d = &d;
		b.bar = 2;
		b.len = 65536;
		b.off = 0;
		b.span = 16 << 20;	/* walk the first 16 MiB */
		b.i = 0;
		memset(b.buf, 0x3c, 65536);
		run_row("bar_rd64k_ivshmem", "us", iters(100), op_bar_rd, NULL, &b);
		run_row("bar_wr64k_ivshmem", "us", iters(100), op_bar_wr, NULL, &b);
		dev_close(&d);
	}
	free(b.buf);
}

/* ---- open/close --------------------------------------------------------- */

struct open_arg {
	struct dev d;
	bool cdev;
};

static int op_open_close(void *a)
{
	struct open_arg *o = a;
	int ret = o->cdev ? cdev_get_fd(&o->d) : group_get_fd(&o->d);

	if (ret)
		return ret;
	put_fd(&o->d);
	return 0;
}

static void open_row(const char *row, const char *bdf, bool cdev, int n)
{
	struct open_arg o = { .cdev = cdev };
	int ret;

	if (!selected(row))
		return;
	if (!bdf)
		return emit_err(row, "ms", "no such device in this VM");
	ret = cdev ? cdev_ctx(&o.d, bdf) : group_ctx(&o.d, bdf);
	if (ret)
		emit_err(row, "ms", "%s context: %s", cdev ? "iommufd" : "group",
			 strerror(-ret));
	else
		run_row(row, "ms", n, op_open_close, NULL, &o);
	dev_close(&o.d);
}

static void bench_open(void)
{
	char row[64];

	open_row("open_group_igb", bdf_igb, false, iters(4));
	open_row("open_cdev_igb", bdf_igb, true, iters(4));
	open_row("open_group_edu", bdf_edu, false, iters(4));
	open_row("open_cdev_edu", bdf_edu, true, iters(4));
	open_row("open_group_ivshmem", bdf_ivshmem, false, iters(4));
	open_row("open_cdev_ivshmem", bdf_ivshmem, true, iters(4));
	/* One device of a device set of one (edu on bus 00) vs of npair. */
	open_row("open_devset1_edu", bdf_edu, true, iters(4));
	snprintf(row, sizeof(row), "open_devset%d_edu", npair);
	open_row(row, npair ? pair[0] : NULL, true, iters(4));
}

/* ---- resets ------------------------------------------------------------- */

static int op_reset(void *a)
{
	struct dev *d = a;

	return ioctl(d->fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

struct hot_arg {
	struct dev d[MAX_PAIR];
	struct vfio_pci_hot_reset *h;
};

static int op_hot_reset(void *a)
{
	struct hot_arg *h = a;

	return ioctl(h->d[0].fd, VFIO_DEVICE_PCI_HOT_RESET, h->h) ? -errno : 0;
}

static void bench_reset(void)
{
	struct hot_arg h;
	struct dev d;
	int ret, i;

	if (selected("reset_igb")) {
		ret = dev_open(&d, bdf_igb);
		if (ret) {
			emit_err("reset_igb", "ms", "open igb: %s", strerror(-ret));
		} else {
			run_row("reset_igb", "ms", iters(4), op_reset, NULL, &d);
			dev_close(&d);
		}
	}

	if (!selected("hot_reset_edu_pair"))
		return;
	if (npair < 2)
		return emit_err("hot_reset_edu_pair", "ms", "want two edu functions off bus 00, got %d", npair);
	/* Group form: both devices from one group fd, the group fd named in the reset. */
	memset(&h, 0, sizeof(h));
	ret = group_ctx(&h.d[0], pair[0]);
	if (!ret)
		ret = group_get_fd(&h.d[0]);
	h.d[1] = h.d[0];
	h.d[1].bdf = pair[1];
	h.d[1].fd = -1;
	if (!ret)
		ret = group_get_fd(&h.d[1]);
	if (ret) {
		emit_err("hot_reset_edu_pair", "ms", "open pair: %s", strerror(-ret));
	} else {
		h.h = calloc(1, sizeof(*h.h) + sizeof(int32_t));
		h.h->argsz = sizeof(*h.h) + sizeof(int32_t);
		h.h->count = 1;
		h.h->group_fds[0] = h.d[0].group;
		run_row("hot_reset_edu_pair", "ms", iters(4), op_hot_reset, NULL, &h);
		free(h.h);
	}
	if (h.d[1].fd >= 0)
		close(h.d[1].fd);
	for (i = 0; i < 1; i++)
		dev_close(&h.d[i]);
}

/* ---- IOEVENTFD ---------------------------------------------------------- */

struct ioev_arg {
	struct dev *d;
	int efd[2];
	uint32_t data[2];
	unsigned int i;
};

/* Kick one of the two eventfds, then read the register until its value lands. */
static int op_ioeventfd(void *a)
{
	struct ioev_arg *e = a;
	int k = e->i++ & 1, spins;
	uint64_t one = 1;
	uint32_t v;

	if (write(e->efd[k], &one, 8) != 8)
		return -errno;
	for (spins = 0; spins < 1000000; spins++) {
		int ret = bar_rd32(e->d, 0, EDU_LIVENESS, &v);

		if (ret)
			return ret;
		if (v == ~e->data[k])
			return 0;
	}
	return -ETIMEDOUT;
}

static void bench_ioeventfd(void)
{
	struct ioev_arg e = { .data = { 0x12345678, 0x9abcdef0 } };
	struct vfio_device_ioeventfd io = { .argsz = sizeof(io) };
	const char *row = "ioeventfd_edu";
	struct dev d;
	int ret, k;

	if (!selected(row))
		return;
	ret = dev_open(&d, bdf_edu);
	if (ret)
		return emit_err(row, "us", "open edu: %s", strerror(-ret));
	e.d = &d;
	for (k = 0; k < 2; k++) {
		e.efd[k] = eventfd(0, 0);
		io.flags = 4;
		io.offset = d.bar[0].offset + EDU_LIVENESS;
		io.data = e.data[k];
		io.fd = e.efd[k];
		if (ioctl(d.fd, VFIO_DEVICE_IOEVENTFD, &io)) {
			ret = errno;
			if (lacks(ret))
				emit_ni(row, "us", "VFIO_DEVICE_IOEVENTFD fails with ENOTTY");
			else
				emit_err(row, "us", "VFIO_DEVICE_IOEVENTFD: %s", strerror(ret));
			goto out;
		}
	}
	run_row(row, "us", iters(500), op_ioeventfd, NULL, &e);
out:
	/* Closing the device tears the ioeventfds down. */
	dev_close(&d);
	for (k = 0; k < 2; k++)
		close(e.efd[k]);
}

/* ---- BAR mmap ----------------------------------------------------------- */

static double faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/* mmap of a BAR slice: the mapping, or NULL with -errno in *err. */
static void *bar_map(struct dev *d, int bar, uint64_t off, size_t len, int *err)
{
	*err = 0;
	void *va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
			d->bar[bar].offset + off);

	if (va == MAP_FAILED) {
		*err = errno ? -errno : -EIO;
		return NULL;
	}
	return va;
}

/*
 * The whole BAR mapped at an address aligned to its size (or to 2 MiB if
 * that much address space cannot be reserved), as a VMM maps it, so that
 * the driver may fault it in with huge pages.
 */
static void *bar_map_aligned(struct dev *d, int bar, size_t len, int *err)
{
	size_t align = len;
	uint8_t *base, *va;

	base = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		align = 2 << 20;
		base = mmap(NULL, len + align, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (base == MAP_FAILED) {
			*err = -errno;
			return NULL;
		}
	}
	va = (uint8_t *)(((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1));
	if (va > base)
		munmap(base, va - base);
	munmap(va + len, base + align - va);
	va = mmap(va, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, d->fd,
		  d->bar[bar].offset);
	if (va == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	return va;
}

/*
 * Fault-in of the whole 1 GiB ivshmem BAR, one read per 4 KiB page: mapped
 * at an aligned address as a VMM maps it (`naive` false), or by a plain
 * mmap(NULL, ...) as a naive user maps it (`naive` true; where the kernel
 * places it decides whether huge entries fit). The fault count shows the
 * entry size used.
 */
static void bench_faultin(bool naive)
{
	double t[64], f[64];
	const char *row = naive ? "mmap_naive_1g_ivshmem" : "mmap_faultin_1g_ivshmem";
	const char *frow = naive ? "mmap_naive_1g_ivshmem_faults" : "mmap_faultin_1g_ivshmem_faults";
	/* 262144 faults a repetition where the mapping gets no huge entries. */
	int max_reps = naive ? 3 : 64;
	char why[128];
	struct dev d;
	int ret, r;

	if (!selected(row))
		return;
	ret = dev_open(&d, bdf_ivshmem);
	if (ret) {
		emit_err(row, "ms", "open ivshmem: %s", strerror(-ret));
		emit_err(frow, "faults", "open ivshmem: %s", strerror(-ret));
		return;
	}
	if (!mappable(&d, 2, why, sizeof(why))) {
		emit_ni(row, "ms", why);
		emit_ni(frow, "faults", why);
		goto out;
	}
	for (r = 0; r < reps && r < max_reps; r++) {
		size_t len = d.bar[2].size, o;
		volatile uint8_t *p = naive ? bar_map(&d, 2, 0, len, &ret) :
					      bar_map_aligned(&d, 2, len, &ret);
		double t0, f0;
		uint64_t sum = 0;

		if (!p) {
			emit_err(row, "ms", "mmap: %s", strerror(-ret));
			emit_err(frow, "faults", "mmap: %s", strerror(-ret));
			goto out;
		}
		f0 = faults();
		t0 = now_ns();
		for (o = 0; o < len; o += 4096)
			sum += p[o];
		t[r] = (now_ns() - t0) / 1e6;
		f[r] = faults() - f0;
		munmap((void *)p, len);
		(void)sum;
	}
	emit_ok(row, "ms", t, r);
	emit_ok(frow, "faults", f, r);
out:
	dev_close(&d);
}

struct map_arg {
	struct dev *d;
	int bar;
	void **maps;
	int n;
	int dmabufs[8];
	int ndmabuf;
	uint16_t cmd;
};

static double first_touch_ns;

static int op_first_touch_timed(void *a)
{
	struct map_arg *m = a;
	volatile uint32_t *p;
	double t0;
	int ret = 0;

	p = bar_map(m->d, m->bar, 0, 4096, &ret);
	if (!p)
		return ret;
	t0 = now_ns();
	(void)p[0];
	first_touch_ns += now_ns() - t0;
	munmap((void *)p, 4096);
	return 0;
}

static int op_map_cycle(void *a)
{
	struct map_arg *m = a;
	void *p;
	int ret = 0;

	p = bar_map(m->d, m->bar, 0, 4096, &ret);
	if (!p)
		return ret;
	return munmap(p, 4096) ? -errno : 0;
}

static void bench_mmap_edu(void)
{
	struct map_arg m = { .bar = 0 };
	double v[64];
	char why[128];
	struct dev d;
	int ret, r, i, n = iters(200);
	void *p;

	if (!selected("mmap_first_touch_edu") && !selected("mmap_cycle_edu"))
		return;
	ret = dev_open(&d, bdf_edu);
	if (ret) {
		emit_err("mmap_first_touch_edu", "us", "open edu: %s", strerror(-ret));
		emit_err("mmap_cycle_edu", "us", "open edu: %s", strerror(-ret));
		return;
	}
	m.d = &d;
	if (!mappable(&d, 0, why, sizeof(why))) {
		emit_ni("mmap_first_touch_edu", "us", why);
		emit_ni("mmap_cycle_edu", "us", why);
		goto out;
	}
	p = bar_map(&d, 0, 0, 4096, &ret);
	if (!p) {
		emit_err("mmap_first_touch_edu", "us", "mmap: %s", strerror(-ret));
		emit_err("mmap_cycle_edu", "us", "mmap: %s", strerror(-ret));
		goto out;
	}
	munmap(p, 4096);
	if (!selected("mmap_first_touch_edu"))
		goto cycle;
	if (sample_secs || sample_calls) {
		run_row("mmap_first_touch_edu", "us", n, op_first_touch_timed, NULL, &m);
		goto cycle;
	}
	/* First touch: time only the faulting access, per page. */
	for (r = 0; r < reps && r < 64; r++) {
		first_touch_ns = 0;
		for (i = 0; i < n; i++) {
			ret = op_first_touch_timed(&m);
			if (ret) {
				emit_err("mmap_first_touch_edu", "us", "%s", strerror(-ret));
				goto cycle;
			}
		}
		v[r] = first_touch_ns / n / 1e3;
	}
	emit_ok("mmap_first_touch_edu", "us", v, r);
cycle:
	run_row("mmap_cycle_edu", "us", iters(500), op_map_cycle, NULL, &m);
out:
	dev_close(&d);
}

/* Touches every live mapping (re-faulting what a reset or memory-disable zapped). */
static int prep_touch(void *a)
{
	struct map_arg *m = a;
	int i;

	for (i = 0; i < m->n; i++)
		(void)*(volatile uint32_t *)m->maps[i];
	return 0;
}

static int op_reset_maps(void *a)
{
	struct map_arg *m = a;

	return ioctl(m->d->fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

/* Memory decode off and on again through the command register. */
static int op_mem_toggle(void *a)
{
	struct map_arg *m = a;
	uint16_t off = m->cmd & ~PCI_COMMAND_MEMORY, on = m->cmd | PCI_COMMAND_MEMORY;
	int ret = cfg_wr(m->d, PCI_COMMAND, &off, 2);

	return ret ? ret : cfg_wr(m->d, PCI_COMMAND, &on, 2);
}

/* Exports `n` DMABUFs of the BAR's first page: 0, or -errno. */
static int export_dmabufs(struct map_arg *m, int n)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf db;
		struct vfio_region_dma_range r;
	} __attribute__((packed)) x;
	int i, fd;

	for (i = 0; i < n; i++) {
		memset(&x, 0, sizeof(x));
		x.f.argsz = sizeof(x);
		x.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
		x.db.region_index = m->bar;
		x.db.open_flags = O_RDWR | O_CLOEXEC;
		x.db.nr_ranges = 1;
		x.r.offset = 0;
		x.r.length = 4096;
		fd = ioctl(m->d->fd, VFIO_DEVICE_FEATURE, &x);
		if (fd < 0)
			return -errno;
		m->dmabufs[m->ndmabuf++] = fd;
	}
	return 0;
}

static void unmap_all(struct map_arg *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		munmap(m->maps[i], 4096);
	m->n = 0;
	for (i = 0; i < m->ndmabuf; i++)
		close(m->dmabufs[i]);
	m->ndmabuf = 0;
}

/*
 * One growth row on igb: `nmaps` live 4 KiB mappings of BAR0 (touched before
 * every call) and `nbufs` exported DMABUFs, then `op` (reset or memory
 * toggle) timed.
 */
static void growth_row(struct dev *d, const char *kind, int nmaps, int nbufs, op_fn op,
		       const char *unit, int n)
{
	struct map_arg m = { .d = d, .bar = 0 };
	char row[64], why[128];
	size_t pages = d->bar[0].size / 4096;
	int ret, i;

	if (nbufs)
		snprintf(row, sizeof(row), "%s_maps%d_dmabufs%d_igb", kind, nmaps, nbufs);
	else
		snprintf(row, sizeof(row), "%s_maps%d_igb", kind, nmaps);
	if (!selected(row))
		return;
	if ((nmaps || nbufs) && !mappable(d, 0, why, sizeof(why)))
		return emit_ni(row, unit, why);
	ret = cfg_rd(d, PCI_COMMAND, &m.cmd, 2);
	if (ret)
		return emit_err(row, unit, "read command: %s", strerror(-ret));
	m.maps = calloc(nmaps ? nmaps : 1, sizeof(void *));
	for (i = 0; i < nmaps; i++) {
		m.maps[i] = bar_map(d, 0, (i % pages) * 4096, 4096, &ret);
		if (!m.maps[i]) {
			emit_err(row, unit, "mmap %d: %s", i, strerror(-ret));
			goto out;
		}
		m.n++;
	}
	ret = export_dmabufs(&m, nbufs);
	if (ret) {
		if (lacks(-ret))
			emit_ni(row, unit, "VFIO_DEVICE_FEATURE_DMA_BUF not supported");
		else
			emit_err(row, unit, "DMABUF export: %s", strerror(-ret));
		goto out;
	}
	run_row(row, unit, n, op, prep_touch, &m);
out:
	unmap_all(&m);
	free(m.maps);
}

static void bench_growth(void)
{
	static const int counts[] = { 0, 1, 64, 1024 };
	struct dev d;
	unsigned int i;
	int ret;

	if (!selected("reset_") && !selected("memtoggle_"))
		return;
	ret = dev_open(&d, bdf_igb);
	if (ret) {
		emit_err("reset_maps0_igb", "ms", "open igb: %s", strerror(-ret));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(counts); i++)
		growth_row(&d, "memtoggle", counts[i], 0, op_mem_toggle, "us", iters(10));
	for (i = 0; i < ARRAY_SIZE(counts); i++)
		growth_row(&d, "reset", counts[i], 0, op_reset_maps, "ms", iters(3));
	growth_row(&d, "reset", 0, 1, op_reset_maps, "ms", iters(3));
	growth_row(&d, "reset", 0, 8, op_reset_maps, "ms", iters(3));
	growth_row(&d, "reset", 64, 8, op_reset_maps, "ms", iters(3));
	dev_close(&d);
}

/* ---- interrupts --------------------------------------------------------- */

static int set_irqs(struct dev *d, uint32_t index, uint32_t flags, int32_t fd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} x = { .s = { .argsz = sizeof(x), .flags = flags, .index = index,
		       .start = 0, .count = 1 }, .fd = fd };

	if ((flags & VFIO_IRQ_SET_DATA_TYPE_MASK) != VFIO_IRQ_SET_DATA_EVENTFD)
		x.s.argsz = sizeof(x.s);
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &x) ? -errno : 0;
}

static int irq_disable(struct dev *d, uint32_t index)
{
	struct vfio_irq_set s = { .argsz = sizeof(s), .index = index,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER };

	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

static int wait_efd(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;
	int r = poll(&p, 1, IRQ_TIMEOUT_MS);

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return read(efd, &v, 8) == 8 ? 0 : -errno;
}

struct irq_arg {
	struct dev *d;
	int efd;
	uint32_t index;
};

/* edu: raise, wait for the eventfd, acknowledge (and unmask INTx). */
static int op_edu_irq(void *a)
{
	struct irq_arg *q = a;
	int ret = bar_wr32(q->d, 0, EDU_IRQ_RAISE, 1);

	if (!ret)
		ret = wait_efd(q->efd);
	if (!ret)
		ret = bar_wr32(q->d, 0, EDU_IRQ_ACK, 1);
	if (!ret && q->index == VFIO_PCI_INTX_IRQ_INDEX)
		ret = set_irqs(q->d, q->index, VFIO_IRQ_SET_DATA_NONE |
			       VFIO_IRQ_SET_ACTION_UNMASK, -1);
	return ret;
}

/* igb: set the cause of vector 0, wait, re-enable it (auto-masked). */
static int op_igb_msix(void *a)
{
	struct irq_arg *q = a;
	int ret = bar_wr32(q->d, 0, IGB_EICS, 1);

	if (!ret)
		ret = wait_efd(q->efd);
	if (!ret)
		ret = bar_wr32(q->d, 0, IGB_EIMS, 1);
	return ret;
}

/*
 * Both the interrupt and this process on one CPU, the same for both drivers.
 * Left alone, the row measures where the scheduler and the vector allocator
 * happen to put them: with the handler on the other vCPU, the call sleeps in
 * poll() and is woken by an IPI, which under single-threaded TCG costs 2-6
 * times the same-CPU path, and which of the two a phase gets is decided once
 * per phase (seen: the same row at 15 and 41 us in two C phases, 59 and 95 us
 * in two Rust phases). The handler is found by its name in /proc/interrupts
 * (vfio-intx(BDF), vfio-msi[0](BDF), vfio-msix[0](BDF)), moved to CPU 0, and
 * the process follows it to whichever CPU the kernel then reports.
 */
static void irq_pin(const char *bdf, uint32_t index)
{
	char name[96], line[1024], path[64];
	int irq = -1, cpu = 0;
	cpu_set_t set;
	FILE *f;

	if (index == VFIO_PCI_INTX_IRQ_INDEX)
		snprintf(name, sizeof(name), "vfio-intx(%s)", bdf);
	else
		snprintf(name, sizeof(name), "vfio-msi%s[0](%s)",
			 index == VFIO_PCI_MSIX_IRQ_INDEX ? "x" : "", bdf);
	f = fopen("/proc/interrupts", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, name) && sscanf(line, " %d:", &irq) == 1)
			break;
	if (f)
		fclose(f);
	if (irq >= 0) {
		snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
		f = fopen(path, "w");
		if (f) {
			fputs("0\n", f);
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &cpu) != 1)
				cpu = 0;
			fclose(f);
		}
	}
	printf("# %s: irq %d on CPU %d, process pinned there\n", name, irq, cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void irq_unpin(void)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void irq_row(const char *row, const char *bdf, uint32_t index)
{
	struct irq_arg q = { .index = index };
	struct dev d;
	int ret;

	if (!selected(row))
		return;
	ret = dev_open(&d, bdf);
	if (ret)
		return emit_err(row, "us", "open: %s", strerror(-ret));
	q.d = &d;
	q.efd = eventfd(0, 0);
	ret = set_master(&d);
	if (ret) {
		emit_err(row, "us", "bus master: %s", strerror(-ret));
		goto out;
	}
	ret = set_irqs(&d, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       q.efd);
	if (ret) {
		if (lacks(-ret))
			emit_ni(row, "us", "VFIO_DEVICE_SET_IRQS enabling fails with ENOTTY");
		else
			emit_err(row, "us", "SET_IRQS: %s", strerror(-ret));
		goto out;
	}
	irq_pin(bdf, index);
	if (index == VFIO_PCI_MSIX_IRQ_INDEX) {
		ret = bar_wr32(&d, 0, IGB_GPIE, IGB_GPIE_MSIX_MODE | IGB_GPIE_EIAME);
		ret = ret ?: bar_wr32(&d, 0, IGB_EIAC, 1);
		ret = ret ?: bar_wr32(&d, 0, IGB_EIAM, 1);
		ret = ret ?: bar_wr32(&d, 0, IGB_EIMS, 1);
		if (ret) {
			emit_err(row, "us", "igb setup: %s", strerror(-ret));
			goto off;
		}
		run_row(row, "us", iters(500), op_igb_msix, NULL, &q);
		bar_wr32(&d, 0, IGB_EIMC, ~0u);
	} else {
		run_row(row, "us", iters(500), op_edu_irq, NULL, &q);
	}
off:
	irq_unpin();
	irq_disable(&d, index);
out:
	dev_close(&d);
	close(q.efd);
}

static void bench_irq(void)
{
	irq_row("irq_intx_edu", bdf_edu, VFIO_PCI_INTX_IRQ_INDEX);
	irq_row("irq_msi_edu", bdf_edu, VFIO_PCI_MSI_IRQ_INDEX);
	irq_row("irq_msix_igb", bdf_igb, VFIO_PCI_MSIX_IRQ_INDEX);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!strcmp(a, "-q"))
			quick = true;
		else if (!strcmp(a, "-r") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(a, "-T") && i + 1 < argc)
			trace_calls = atoi(argv[++i]);
		else if (!strcmp(a, "-S") && i + 1 < argc)
			sample_secs = atoi(argv[++i]);
		else if (!strcmp(a, "-C") && i + 1 < argc)
			sample_calls = atol(argv[++i]);
		else if (!strcmp(a, "-k") && i + 1 < argc)
			only = argv[++i];
		else if (!strncmp(a, "igb=", 4))
			bdf_igb = a + 4;
		else if (!strncmp(a, "edu=", 4))
			bdf_edu = a + 4;
		else if (!strncmp(a, "ivshmem=", 8))
			bdf_ivshmem = a + 8;
		else if (!strncmp(a, "pair=", 5)) {
			char *s = strdup(a + 5), *t;

			for (t = strtok(s, ","); t && npair < MAX_PAIR; t = strtok(NULL, ","))
				pair[npair++] = t;
		} else {
			fprintf(stderr, "usage: %s [-q] [-r REPS] [-k ROW-PREFIX[,PREFIX...]] [-T CALLS] [-S SECONDS] [-C CALLS] igb=BDF edu=BDF ivshmem=BDF pair=BDF,BDF\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1)
		reps = 1;
	if (reps > 64)
		reps = 64;
	if (!bdf_igb || !bdf_edu || !bdf_ivshmem) {
		fprintf(stderr, "%s: igb=, edu= and ivshmem= are required\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("# rvfio_bench: %d repetitions per row%s; igb %s edu %s ivshmem %s, %d edu off bus 00\n",
	       reps, quick ? " (quick)" : "", bdf_igb, bdf_edu, bdf_ivshmem, npair);

	bench_config();
	bench_bar();
	bench_ioeventfd();
	bench_open();
	bench_reset();
	bench_faultin(false);
	bench_faultin(true);
	bench_mmap_edu();
	bench_growth();
	bench_irq();

	printf("1..%d\n", tap_n);
	printf("# %d rows, %d errors\n", tap_n, tap_fail);
	return tap_fail ? 1 : 0;
}
