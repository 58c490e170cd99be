#!/usr/bin/env bash
# Install the Debian 12 packages spdk-io needs to build, test and benchmark.
# Idempotent: re-running only installs what is missing. Needs root (or sudo).
set -euo pipefail

pkgs=(
	build-essential meson ninja-build pkg-config python3
	liburing-dev libaio-dev libjansson-dev libcmocka-dev libuv1-dev libisal-dev
	valgrind fio util-linux
	iperf3  # bench_sock's loopback reference
	tshark
	libssl-dev openssl	# sock "ssl" (TLS 1.3 PSK, NVMe/TCP secure channel); tests/tls: s_client/s_server
	prometheus tmux	# tests/metrics: promtool judges the metrics endpoint; sio_top runs in a tmux pane
	libnvme-dev	# tests/nvme: libnvme's header judges nvme_spec.h
	qemu-system-x86 busybox-static kmod nvme-cli xz-utils	# tests/vm: the QEMU guest (run-in-vm)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user	# tests/async: the aarch64 switch under qemu-aarch64
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
