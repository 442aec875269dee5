// SPDX-License-Identifier: GPL-2.0

#include <linux/msi.h>
#include <linux/pci.h>

__rust_helper struct pci_dev *rust_helper_pci_upstream_bridge(struct pci_dev *dev)
{
	return pci_upstream_bridge(dev);
}

__rust_helper int rust_helper_pci_domain_nr(struct pci_bus *bus)
{
	return pci_domain_nr(bus);
}

__rust_helper struct pci_dev *rust_helper_pci_physfn(struct pci_dev *dev)
{
	return pci_physfn(dev);
}

/*
 * Rewrites the message the interrupt core cached for MSI or MSI-X interrupt
 * `irq` to the device (what vfio-pci does before reusing a vector, as a
 * reset may have cleared the device's copy); no-ops without CONFIG_PCI_MSI.
 * One helper rather than bindings of <linux/msi.h> and its `struct msi_msg`.
 */
__rust_helper void rust_helper_vfio_pci_refresh_msi_msg(unsigned int irq)
{
	struct msi_msg msg = {};

	get_cached_msi_msg(irq, &msg);
	pci_write_msi_msg(irq, &msg);
}

#include "vfio_stubs.c"
