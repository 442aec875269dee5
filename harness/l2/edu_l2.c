// SPDX-License-Identifier: GPL-2.0
/*
 * edu_l2: the nested guest's (L2's) checks of QEMU's edu device, which L1's
 * QEMU assigns to L2 through vfio-pci. edu has no Linux driver; this module
 * binds to it and, at probe time, exercises what a real guest driver uses:
 * its registers, the factorial unit, an interrupt raised by the device as
 * INTx and as MSI, and its DMA engine copying into and out of L2's RAM.
 * Each check prints one line "edu_l2: PASS <name>" or "edu_l2: FAIL <name>:
 * <why>", which L2's init turns into TAP; "edu_l2: removed" when the device
 * goes away (the unplug QEMU asks for when L1 unbinds the device).
 *
 * The register layout is QEMU's docs/specs/edu.rst.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_FACT	0x08
#define EDU_STATUS	0x20
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_BUF	0x40000

#define EDU_STATUS_BUSY	0x01
#define EDU_CMD_START	0x01
#define EDU_CMD_TO_RAM	0x02
#define EDU_CMD_IRQ	0x04
#define EDU_DMA_IRQ	0x100

#define XFER 4096

struct edu {
	void __iomem *bar;
	struct completion irq_done;
	u32 irq_value;
	unsigned int irqs;
};

static void result(bool ok, const char *name, const char *why)
{
	if (ok)
		pr_info("edu_l2: PASS %s\n", name);
	else
		pr_info("edu_l2: FAIL %s: %s\n", name, why);
}

static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu *edu = data;
	u32 st = ioread32(edu->bar + EDU_IRQ_STATUS);

	if (!st)
		return IRQ_NONE;
	iowrite32(st, edu->bar + EDU_IRQ_ACK);
	edu->irq_value = st;
	edu->irqs++;
	complete(&edu->irq_done);
	return IRQ_HANDLED;
}

/* Raise three interrupts through one kind of vector; each must arrive. */
static void check_irq(struct pci_dev *pdev, struct edu *edu, unsigned int type,
		      const char *name)
{
	char why[80] = "";
	int i, irq, ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, type);
	if (ret < 0) {
		snprintf(why, sizeof(why), "pci_alloc_irq_vectors: %d", ret);
		goto out;
	}
	irq = pci_irq_vector(pdev, 0);
	ret = request_irq(irq, edu_irq, type == PCI_IRQ_INTX ? IRQF_SHARED : 0,
			  "edu_l2", edu);
	if (ret) {
		snprintf(why, sizeof(why), "request_irq(%d): %d", irq, ret);
		goto free_vec;
	}
	edu->irqs = 0;
	for (i = 0; i < 3; i++) {
		reinit_completion(&edu->irq_done);
		iowrite32(0x10 + i, edu->bar + EDU_IRQ_RAISE);
		if (!wait_for_completion_timeout(&edu->irq_done, 10 * HZ)) {
			snprintf(why, sizeof(why), "interrupt %d of 3 (irq %d) did not arrive", i + 1, irq);
			break;
		}
		if (edu->irq_value != 0x10 + i) {
			snprintf(why, sizeof(why), "status 0x%x, raised 0x%x", edu->irq_value, 0x10 + i);
			break;
		}
	}
	pr_info("edu_l2: %s: irq %d, %u interrupt(s) handled\n", name, irq, edu->irqs);
	free_irq(irq, edu);
free_vec:
	pci_free_irq_vectors(pdev);
out:
	result(!why[0], name, why);
}

static bool dma_wait(struct edu *edu)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (!(readq(edu->bar + EDU_DMA_CMD) & EDU_CMD_START))
			return true;
		msleep(10);
	}
	return false;
}

/*
 * A pattern goes from a coherent buffer in L2's RAM into edu's own buffer,
 * then back out into the second half of the L2 buffer. edu reaches only 28
 * bits of address.
 */
static void check_dma(struct pci_dev *pdev, struct edu *edu)
{
	char why[80] = "";
	dma_addr_t dma;
	u8 *buf;
	int i;

	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(28))) {
		result(false, "dma", "no 28-bit DMA mask");
		return;
	}
	buf = dma_alloc_coherent(&pdev->dev, 2 * XFER, &dma, GFP_KERNEL);
	if (!buf) {
		result(false, "dma", "dma_alloc_coherent failed");
		return;
	}
	for (i = 0; i < XFER; i++)
		buf[i] = (u8)(i * 7 + 3);
	memset(buf + XFER, 0, XFER);

	writeq(dma, edu->bar + EDU_DMA_SRC);
	writeq(EDU_DMA_BUF, edu->bar + EDU_DMA_DST);
	writeq(XFER, edu->bar + EDU_DMA_CNT);
	writeq(EDU_CMD_START, edu->bar + EDU_DMA_CMD);
	if (!dma_wait(edu)) {
		snprintf(why, sizeof(why), "RAM to edu: still busy after 10 s");
		goto out;
	}
	writeq(EDU_DMA_BUF, edu->bar + EDU_DMA_SRC);
	writeq(dma + XFER, edu->bar + EDU_DMA_DST);
	writeq(XFER, edu->bar + EDU_DMA_CNT);
	writeq(EDU_CMD_START | EDU_CMD_TO_RAM, edu->bar + EDU_DMA_CMD);
	if (!dma_wait(edu)) {
		snprintf(why, sizeof(why), "edu to RAM: still busy after 10 s");
		goto out;
	}
	for (i = 0; i < XFER; i++) {
		if (buf[XFER + i] != buf[i]) {
			snprintf(why, sizeof(why), "byte %d: 0x%02x, wanted 0x%02x",
				 i, buf[XFER + i], buf[i]);
			break;
		}
	}
	pr_info("edu_l2: dma: %d bytes at bus address %pad and back\n", XFER, &dma);
out:
	dma_free_coherent(&pdev->dev, 2 * XFER, buf, dma);
	result(!why[0], "dma", why);
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *edu;
	char why[80];
	u32 v;
	int ret, i;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	init_completion(&edu->irq_done);
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	edu->bar = pcim_iomap_region(pdev, 0, "edu_l2");
	if (IS_ERR(edu->bar))
		return PTR_ERR(edu->bar);
	pci_set_master(pdev);
	pci_set_drvdata(pdev, edu);

	v = ioread32(edu->bar + EDU_ID);
	snprintf(why, sizeof(why), "ID register 0x%08x", v);
	result((v & 0xffff) == 0xed, "probe_id", why);

	/* Factorial of 10, polled. */
	iowrite32(0, edu->bar + EDU_STATUS);
	iowrite32(10, edu->bar + EDU_FACT);
	for (i = 0; i < 1000 && (ioread32(edu->bar + EDU_STATUS) & EDU_STATUS_BUSY); i++)
		msleep(1);
	v = ioread32(edu->bar + EDU_FACT);
	snprintf(why, sizeof(why), "10! read as %u", v);
	result(v == 3628800, "factorial", why);

	check_irq(pdev, edu, PCI_IRQ_INTX, "intx");
	check_irq(pdev, edu, PCI_IRQ_MSI, "msi");
	check_dma(pdev, edu);
	return 0;
}

static void edu_remove(struct pci_dev *pdev)
{
	pr_info("edu_l2: removed\n");
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "edu_l2",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("L2 checks of QEMU's edu device assigned through vfio-pci");
MODULE_LICENSE("GPL");
