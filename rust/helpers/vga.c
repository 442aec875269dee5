// SPDX-License-Identifier: GPL-2.0

#include <linux/aperture.h>
#include <linux/pci.h>
#include <linux/vgaarb.h>

__rust_helper int rust_helper_vga_get_interruptible(struct pci_dev *pdev,
						    unsigned int rsrc)
{
	return vga_get_interruptible(pdev, rsrc);
}

__rust_helper void rust_helper_vga_client_unregister(struct pci_dev *pdev)
{
	vga_client_unregister(pdev);
}

__rust_helper bool rust_helper_pci_is_root_bus(struct pci_bus *pbus)
{
	return pci_is_root_bus(pbus);
}

#ifndef CONFIG_VGA_ARB
__rust_helper void rust_helper_vga_set_legacy_decoding(struct pci_dev *pdev,
							unsigned int decodes)
{
	vga_set_legacy_decoding(pdev, decodes);
}

__rust_helper void rust_helper_vga_put(struct pci_dev *pdev, unsigned int rsrc)
{
	vga_put(pdev, rsrc);
}

__rust_helper struct pci_dev *rust_helper_vga_default_device(void)
{
	return vga_default_device();
}

__rust_helper int
rust_helper_vga_client_register(struct pci_dev *pdev,
				unsigned int (*set_decode)(struct pci_dev *pdev,
							   bool state))
{
	return vga_client_register(pdev, set_decode);
}
#endif

#ifndef CONFIG_APERTURE_HELPERS
__rust_helper int
rust_helper_aperture_remove_conflicting_pci_devices(struct pci_dev *pdev,
						    const char *name)
{
	return aperture_remove_conflicting_pci_devices(pdev, name);
}
#endif
