#!/usr/bin/env bash
# setup-vfio.sh - hand NVMe controllers to vfio-pci for spdk-io's user-space
# PCIe driver (trtype:PCIe), and give them back to the kernel's nvme driver.
#
#   scripts/setup-vfio.sh [--dry-run] [--user NAME] [bind|reset|status] [BDF...]
#
#   bind     (default) each NVMe controller (PCI class 010802), or each BDF
#            given, is unbound from its driver and bound to vfio-pci through
#            driver_override. A controller with a mounted file system or an
#            active swap area on one of its namespaces is refused and left
#            alone (exit status 1 at the end). Other devices of its IOMMU
#            group that a kernel driver holds are named: VFIO refuses a
#            group until all of its devices are unbound or on vfio-pci.
#   reset    the controllers bound to vfio-pci (or the BDFs given) go back to
#            the kernel: driver_override cleared, the kernel's probe picks
#            their driver (nvme) again.
#   status   one line per NVMe controller: address, ids, driver, IOMMU group.
#
#   --dry-run   print what would be written where, change nothing.
#   --user NAME after bind, make /dev/vfio/<group> of each bound controller
#               owned by NAME: that user then runs the driver without root
#               (the process also needs RLIMIT_MEMLOCK for the DMA memory it
#               maps: `ulimit -l`, or limits.conf).
#
# Needs root for bind and reset, and an IOMMU (intel_iommu=on / amd_iommu=on;
# /sys/kernel/iommu_groups not empty). Hugepages are optional for spdk-io.
set -euo pipefail

DRY=0
USER_NAME=
CMD=bind
BDFS=()
SYS=${SETUP_VFIO_SYSFS:-/sys}

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "setup-vfio: $*" >&2; exit 1; }

while (($#)); do
	case $1 in
	--dry-run) DRY=1 ;;
	--user) [[ $# -ge 2 ]] || die "--user takes a name"; USER_NAME=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	bind|reset|status) CMD=$1 ;;
	[0-9a-fA-F]*:*) BDFS+=("$1") ;;
	*) die "unknown argument '$1' (--help)" ;;
	esac
	shift
done

PCI=$SYS/bus/pci

# Normalise "BB:DD.F" to "0000:BB:DD.F".
norm() { [[ $1 == *:*:* ]] && echo "${1,,}" || echo "0000:${1,,}"; }
driver_of() { local l; l=$(readlink "$PCI/devices/$1/driver" 2>/dev/null) && basename "$l" || echo none; }
group_of() { local l; l=$(readlink "$PCI/devices/$1/iommu_group" 2>/dev/null) && basename "$l" || echo none; }
# Bash built-ins where a loop runs over every PCI function: a program per
# device costs seconds on a slow machine (an emulated guest).
is_nvme() { local c; read -r c < "$PCI/devices/$1/class" 2>/dev/null && [[ $c == 0x010802 ]]; }

# Write VALUE to FILE, or say so with --dry-run.
put() {
	if ((DRY)); then
		echo "would write '$1' to $2"
	else
		echo "$1" > "$2"
	fi
}

# Block devices (namespaces and partitions) the kernel has for controller $1.
blockdevs_of() {
	local d
	for d in "$PCI/devices/$1"/nvme/nvme*/nvme*n* "$PCI/devices/$1"/nvme/nvme*/nvme*n*/nvme*n*p*; do
		[[ -e $d ]] && echo "/dev/$(basename "$d")"
	done
	return 0
}

# Why controller $1 must not be taken from the kernel, or nothing.
in_use() {
	local dev why=
	while read -r dev; do
		[[ -n $dev ]] || continue
		if grep -q "^$dev " /proc/mounts 2>/dev/null; then
			why+="$dev is mounted on $(awk -v d="$dev" '$1 == d { print $2; exit }' /proc/mounts); "
		fi
		if grep -q "^$dev " /proc/swaps 2>/dev/null; then
			why+="$dev is an active swap area; "
		fi
		if compgen -G "$SYS/class/block/$(basename "$dev")/holders/*" > /dev/null; then
			why+="$dev is held by $(ls "$SYS/class/block/$(basename "$dev")/holders" | tr '\n' ' ')(device mapper, md); "
		fi
	done < <(blockdevs_of "$1")
	echo "$why"
}

targets() {
	local b
	if ((${#BDFS[@]})); then
		for b in "${BDFS[@]}"; do norm "$b"; done
		return
	fi
	for b in "$PCI"/devices/*; do
		b=${b##*/}
		is_nvme "$b" || continue
		case $CMD in
		reset) [[ $(driver_of "$b") == vfio-pci ]] && echo "$b" ;;
		*) echo "$b" ;;
		esac
	done
	return 0
}

status() {
	local b
	for b in "$PCI"/devices/*; do
		b=${b##*/}
		is_nvme "$b" || continue
		local v d
		read -r v < "$PCI/devices/$b/vendor"
		read -r d < "$PCI/devices/$b/device"
		echo "$b [$v:$d] driver=$(driver_of "$b") iommu_group=$(group_of "$b")"
	done
}

bind_one() {
	local b=$1 drv why grp
	[[ -d $PCI/devices/$b ]] || { echo "setup-vfio: $b: no such PCI device" >&2; return 1; }
	is_nvme "$b" || { echo "setup-vfio: $b: not an NVMe controller" >&2; return 1; }
	drv=$(driver_of "$b")
	grp=$(group_of "$b")
	if [[ $grp == none ]]; then
		echo "setup-vfio: $b: no IOMMU group (IOMMU off? boot with intel_iommu=on or amd_iommu=on)" >&2
		return 1
	fi
	if [[ $drv == vfio-pci ]]; then
		echo "$b: already bound to vfio-pci (group $grp)"
	else
		why=$(in_use "$b")
		if [[ -n $why ]]; then
			echo "setup-vfio: $b: refused, in use: ${why%; }" >&2
			return 1
		fi
		((DRY)) || modprobe vfio-pci 2>/dev/null || true
		put vfio-pci "$PCI/devices/$b/driver_override"
		[[ $drv == none ]] || put "$b" "$PCI/devices/$b/driver/unbind"
		put "$b" "$PCI/drivers_probe"
		if ((!DRY)) && [[ $(driver_of "$b") != vfio-pci ]]; then
			echo "setup-vfio: $b: vfio-pci did not take it (see dmesg)" >&2
			return 1
		fi
		echo "$b: $drv -> vfio-pci (group $grp)"
	fi
	local o od
	for o in "$SYS/kernel/iommu_groups/$grp/devices"/*; do
		[[ -e $o ]] || continue
		o=$(basename "$o")
		od=$(driver_of "$o")
		[[ $o == "$b" || $od == vfio-pci || $od == none || $od == pcieport ]] ||
			echo "setup-vfio: warning: $o ($od) shares IOMMU group $grp: bind it to vfio-pci too" >&2
	done
	if [[ -n $USER_NAME ]]; then
		if ((DRY)); then
			echo "would chown $USER_NAME /dev/vfio/$grp"
		else
			chown "$USER_NAME" "/dev/vfio/$grp"
		fi
	fi
}

reset_one() {
	local b=$1 drv
	[[ -d $PCI/devices/$b ]] || { echo "setup-vfio: $b: no such PCI device" >&2; return 1; }
	drv=$(driver_of "$b")
	((DRY)) || modprobe nvme 2>/dev/null || true
	put "" "$PCI/devices/$b/driver_override"
	[[ $drv == none ]] || put "$b" "$PCI/devices/$b/driver/unbind"
	put "$b" "$PCI/drivers_probe"
	echo "$b: $drv -> $( ((DRY)) && echo "(kernel's choice)" || driver_of "$b")"
}

case $CMD in
status) status; exit 0 ;;
esac
[[ -d $PCI/devices ]] || die "no $PCI/devices"
((DRY)) || [[ $EUID -eq 0 ]] || die "$CMD needs root (or --dry-run)"
rc=0
while read -r b; do
	[[ -n $b ]] || continue
	if [[ $CMD == bind ]]; then bind_one "$b" || rc=1; else reset_one "$b" || rc=1; fi
done < <(targets)
exit $rc
