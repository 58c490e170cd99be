#!/usr/bin/env bash
# Our NVMe driver over PCIe through VFIO (src/nvme/pcie, src/env/vfio.c) on
# QEMU's NVMe controller with two namespaces, bound to vfio-pci behind the
# emulated Intel IOMMU: the driver's test program on plain memory and on
# hugepages, sio_nvme_identify and sio_nvme_perf with a PCIe transport ID,
# scripts/setup-vfio.sh, and no DMA fault in the guest's kernel log (QEMU
# completes a command whose DMA the IOMMU blocked with status 0: the test
# program checks data, this checks the log).
#   usage (meson passes it): nvme_pcie.sh
. "$(dirname "$0")/lib.sh"
T=$SIO_BUILD_ROOT/tests/nvme/test_nvme_pcie
ID=$SIO_BUILD_ROOT/tools/nvme_identify/sio_nvme_identify
PERF=$SIO_BUILD_ROOT/tools/nvme_perf/sio_nvme_perf
BPERF=$SIO_BUILD_ROOT/tools/bdevperf/sio_bdevperf
[[ -x $T ]] || vm_skip "$T is not built"
vm_main --vfio-nvme 64,32 --vfio-nvme 16 --timeout 240 -- "$@"

BDF=${RIV_VFIO_BDFS%% *}
BDF2=${RIV_VFIO_BDFS##* }
TRID="trtype:PCIe traddr:$BDF"
TRID2="trtype:PCIe traddr:$BDF2"

vm_step "driver test, plain memory ($BDF, 2 namespaces)" "$T" --min-ns=2 "$BDF"

huge() {
	echo 32 > /proc/sys/vm/nr_hugepages
	[[ $(cat /proc/sys/vm/nr_hugepages) -ge 8 ]]
	# The data paths again, on hugepage-backed DMA memory.
	"$T" --hugepages --min-ns=2 --only=test_random_io,test_vectored,test_queue_depth "$TRID"
}
vm_step "driver test, DMA memory on hugepages" huge

identify() {
	"$ID" -r "$TRID" > "$VM_LOG_DIR/identify.txt"
	grep -qi "QEMU" "$VM_LOG_DIR/identify.txt"
	"$ID" -r "$TRID" --json > "$VM_LOG_DIR/identify.json"
	grep -q '"nsid": *2' "$VM_LOG_DIR/identify.json"
}
[[ -x $ID ]] && vm_step "sio_nvme_identify -r '$TRID'" identify

# Two controllers in one process: their IOMMU groups share the env's container.
perf() {
	"$PERF" -r "$TRID" -r "$TRID2" -q 32 -o 4096 -w randread -t 2 \
		--results-json "$VM_LOG_DIR/perf.json" | tee "$VM_LOG_DIR/perf.txt" | tail -6
	grep -q '"iops"' "$VM_LOG_DIR/perf.json"
	grep -q "PCIe ($BDF" "$VM_LOG_DIR/perf.txt"
	grep -q "PCIe ($BDF2" "$VM_LOG_DIR/perf.txt"
}
[[ -x $PERF ]] && vm_step "sio_nvme_perf 4 KiB randread QD32 on two PCIe controllers at once" perf

# The nvme bdev over PCIe: verify on both namespaces, 4 KiB and 1 MiB (larger
# than the controller's 512 KiB MDTS: the bdev layer splits it).
bdevperf_verify() {
	local o=$1
	cat > "$VM_TMP/bdev.json" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
 {"method":"bdev_nvme_attach_controller","params":{"name":"Nvme0","trtype":"PCIe","traddr":"$BDF"}}]}]}
JSON
	"$BPERF" -c "$VM_TMP/bdev.json" -m 0x1 -q 8 -o "$o" -w verify -t 2 --quiet \
		--results-json "$VM_LOG_DIR/bdevperf_$o.json"
	vm_python - "$VM_LOG_DIR/bdevperf_$o.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = d.get("jobs", d.get("results", []))
names = sorted(j["job"] for j in jobs)
assert names[:2] == ["Nvme0n1", "Nvme0n2"], names
for j in jobs:
    assert j["io_failed"] == 0 and j["status"] == "finished", j
print("   verify passed on", names)
PY
}
if [[ -x $BPERF ]]; then
	vm_step "sio_bdevperf -w verify -o 4096 on bdev_nvme_attach_controller -t PCIe" bdevperf_verify 4096
	vm_step "sio_bdevperf -w verify -o 1048576 (split below MDTS)" bdevperf_verify 1048576
fi

SETUP=$SIO_SOURCE_ROOT/scripts/setup-vfio.sh
setup_vfio() {
	"$SETUP" status | tee "$VM_TMP/st"
	grep -q "^$BDF .*driver=vfio-pci" "$VM_TMP/st"
	# --dry-run says what it would do and changes nothing.
	"$SETUP" --dry-run reset "$BDF" | tee "$VM_TMP/dry"
	grep -q "would write '$BDF' to .*/drivers_probe" "$VM_TMP/dry"
	[[ $(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver")") == vfio-pci ]]
	# Back to the kernel: its namespaces appear as block devices.
	"$SETUP" reset "$BDF"
	vm_wait_for "nvme block device" 20 test -b /dev/nvme0n2
	# A mounted file system makes bind refuse and leave the controller alone.
	# No discard pass and no journal: seconds, not a minute, under TCG.
	mkfs.ext4 -q -F -E nodiscard -O ^has_journal /dev/nvme0n2
	mkdir -p "$VM_TMP/mnt"
	mount /dev/nvme0n2 "$VM_TMP/mnt"
	if "$SETUP" bind "$BDF" 2> "$VM_TMP/refusal"; then
		echo "bind took a controller with a mounted file system" >&2
		return 1
	fi
	cat "$VM_TMP/refusal"
	grep -q "refused, in use: /dev/nvme0n2 is mounted" "$VM_TMP/refusal"
	[[ $(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver")") == nvme ]]
	umount "$VM_TMP/mnt"
	"$SETUP" bind "$BDF"
	[[ $(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver")") == vfio-pci ]]
	# And our driver has it again.
	"$ID" -r "$TRID" > /dev/null
}
[[ -x $ID ]] && vm_step "scripts/setup-vfio.sh: status, --dry-run, reset, refusal when mounted, bind" setup_vfio

no_dmar() {
	if dmesg | grep -iE "DMAR:.*(fault|PTE)"; then
		echo "DMA faults in the kernel log" >&2
		return 1
	fi
}
vm_step "no DMAR fault in the guest's kernel log" no_dmar
