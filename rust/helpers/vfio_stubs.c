// SPDX-License-Identifier: GPL-2.0

/*
 * Functions that `kernel::vfio` and `kernel::pci` use which are exported when
 * an optional part of VFIO or PCI is configured in and become static inline
 * stubs when it is configured out: these helpers give the Rust code the same
 * binding in both configurations. (The iommufd callbacks of
 * `struct vfio_device_ops`, which become NULL macros, are a matter of `cfg`
 * in the Rust code instead.)
 */

#include <linux/pci.h>
#include <linux/vfio.h>

#if !IS_ENABLED(CONFIG_PCI_MSI)
__rust_helper bool rust_helper_pci_msix_can_alloc_dyn(struct pci_dev *dev)
{
	return pci_msix_can_alloc_dyn(dev);
}

__rust_helper struct msi_map rust_helper_pci_msix_alloc_irq_at(struct pci_dev *dev,
							       unsigned int index,
							       const struct irq_affinity_desc *affdesc)
{
	return pci_msix_alloc_irq_at(dev, index, affdesc);
}
#endif

#if !IS_ENABLED(CONFIG_PCI_IOV)
__rust_helper int rust_helper_pci_enable_sriov(struct pci_dev *dev, int nr_virtfn)
{
	return pci_enable_sriov(dev, nr_virtfn);
}

__rust_helper void rust_helper_pci_disable_sriov(struct pci_dev *dev)
{
	pci_disable_sriov(dev);
}

__rust_helper int rust_helper_pci_num_vf(struct pci_dev *dev)
{
	return pci_num_vf(dev);
}
#endif

#if !IS_ENABLED(CONFIG_IOMMUFD)
__rust_helper struct iommufd_ctx *rust_helper_vfio_iommufd_device_ictx(struct vfio_device *vdev)
{
	return vfio_iommufd_device_ictx(vdev);
}

__rust_helper int rust_helper_vfio_iommufd_get_dev_id(struct vfio_device *vdev,
						      struct iommufd_ctx *ictx)
{
	return vfio_iommufd_get_dev_id(vdev, ictx);
}
#endif

#if !IS_ENABLED(CONFIG_VFIO_GROUP)
__rust_helper bool rust_helper_vfio_file_is_group(struct file *file)
{
	return vfio_file_is_group(file);
}

__rust_helper bool rust_helper_vfio_file_has_dev(struct file *file, struct vfio_device *device)
{
	return vfio_file_has_dev(file, device);
}
#endif
