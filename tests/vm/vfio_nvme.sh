#!/usr/bin/env bash
# vm smoke test 2: a guest with QEMU's emulated NVMe controller bound to
# vfio-pci behind an emulated Intel IOMMU (run-in-vm --vfio-nvme): the setup a
# user-space PCIe NVMe driver is tested in.  Lists the controller with its
# driver and IOMMU group, checks its /dev/vfio node, then runs
# vfio_nvme_probe (VFIO container, BAR0, DMA through the IOMMU, MSI-X,
# Identify Controller) so a failure of the future driver's tests can be told
# apart from a harness that cannot do DMA.
#   usage (meson passes it): vfio_nvme.sh PATH/TO/vfio_nvme_probe
. "$(dirname "$0")/lib.sh"
vm_main --vfio-nvme 64 -- "$@"

PROBE=${1:?usage: vfio_nvme.sh PATH/TO/vfio_nvme_probe}
BDF=${RIV_VFIO_BDFS%% *}

list() {
	vm_pci_nvme_list | tee "$VM_TMP/pci" | sed 's/^/   /'
	# QEMU's NVMe model is 1b36:0010; it must be owned by vfio-pci, not nvme.
	grep -q "^$BDF \[0x1b36:0x0010\] class 0x010802 driver=vfio-pci iommu_group=[0-9]" "$VM_TMP/pci"
	local grp
	grp=$(basename "$(readlink "/sys/bus/pci/devices/$BDF/iommu_group")")
	[[ -c /dev/vfio/$grp && -c /dev/vfio/vfio ]]
	echo "   /dev/vfio/$grp and /dev/vfio/vfio are there"
	# The kernel's nvme driver must not have claimed it: no nvme block device.
	! compgen -G '/dev/nvme[0-9]*' >/dev/null
}
vm_step "the emulated NVMe controller $BDF is bound to vfio-pci in an IOMMU group" list

vm_step "user space drives it through VFIO: Identify Controller by DMA + MSI-X" "$PROBE" "$BDF"
