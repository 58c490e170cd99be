#!/usr/bin/env bash
# vm smoke test 1: the Linux kernel's NVMe/TCP host (nvme-tcp + nvme-cli) against
# the kernel's own target (nvmet-tcp, configfs) on the guest's loopback, with
# data written through the host, read back, compared, and found in the target's
# backing file.  It proves the harness for the interop tests: replace
# knvmet_start with our target (sio_tgt) or knvme_connect with our host
# (sio_nvme_perf, sio_nvme_identify) and the other side stays the kernel's.
# A last step runs one of our binaries from the build directory inside the
# guest (app_hello serving RPC) the way those tests will start sio_tgt.
. "$(dirname "$0")/lib.sh"

# Runs on the host once the guest has passed: the host's tshark judges the
# capture (tshark takes ~9 s to start in the guest, 0.5 s here): a session's PDU
# types, nothing malformed.
vm_host_after() { vm_pcap_nvme_tcp "$VM_LOG_DIR/tcp.pcap" 0 1 4 5 6 7 9; }
vm_require tshark dumpcap nvme
vm_main --nvme 64 -- "$@"

NQN=nqn.2016-06.io.spdk-io:vm-smoke
PORT=4420
truncate -s 64M "$VM_TMP/ns1.img"

vm_step "kernel target: $NQN on 127.0.0.1:$PORT (ns 1: a file, ns 2: the emulated PCIe NVMe)" \
	knvmet_start "$NQN" "$PORT" "$VM_TMP/ns1.img" /dev/nvme0n1

discover() {
	knvme_discover "$PORT" >"$VM_TMP/discover"
	grep -q "subnqn: *$NQN" "$VM_TMP/discover"
}
vm_step "capture the guest's loopback (port $PORT) with dumpcap" vm_capture_start tcp "tcp port $PORT"
vm_step "kernel host: nvme discover lists the subsystem" discover

vm_step "kernel host: nvme connect" knvme_connect "$NQN" "$PORT"

check_ns1() {
	local dev
	dev=$(knvme_ns_dev 1)
	vm_data_check "$dev" 4
	cmp -n $((4 << 20)) "$VM_TMP/ns1.img" "$VM_TMP/pattern"
	echo "   and the target's backing file holds the same bytes"
}
vm_step "data over TCP: ns 1 write, read back, compare with the backing file" check_ns1

check_ns2() {
	local dev
	dev=$(knvme_ns_dev 2)
	vm_data_check "$dev" 2 8
	dd if=/dev/nvme0n1 bs=1M skip=8 count=2 iflag=direct status=none | cmp - "$VM_TMP/pattern"
	echo "   and the PCIe namespace /dev/nvme0n1 reads the same bytes"
}
vm_step "data over TCP: ns 2 (PCIe-backed) write, read back, compare on the PCIe side" check_ns2

id_ctrl() { nvme id-ctrl "/dev/$KNVME_CTRL" | grep -E '^(mn|subnqn|ioccsz|iorcsz|sgls) '; }
vm_step "kernel host: nvme id-ctrl over TCP" id_ctrl

vm_step "kernel host: disconnect" knvme_disconnect "$NQN"
vm_step "stop the capture" vm_capture_stop tcp
vm_step "kernel target: teardown" knvmet_stop

our_binary() {
	vm_daemon app_hello "$SIO_BUILD_ROOT/examples/app_hello" -r "$VM_TMP/hello.sock"
	vm_wait_for "app_hello's RPC socket" 30 test -S "$VM_TMP/hello.sock"
	vm_rpc "$VM_TMP/hello.sock" spdk_get_version | grep '"version"'
	vm_daemon_stop app_hello TERM
}
vm_step "our binary in the guest: app_hello serves RPC, stops on SIGTERM" our_binary
