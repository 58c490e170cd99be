#!/usr/bin/env bash
# TEMPLATE for an interop test in the QEMU guest (tests/vm/README.md): our
# NVMe-oF target (sio_tgt) judged by the Linux kernel's NVMe/TCP host.
# Copy it to tests/vm/<what>.sh, edit, and add one test() line to
# tests/vm/meson.build.  It is not registered itself: sio_tgt's flags and RPC
# surface are its authors' to settle (this assumes SPDK nvmf_tgt's: -r SOCKET,
# and the nvmf_* methods with SPDK's parameter names).
#
# Structure: code before vm_main runs on the host (and again in the guest:
# keep it to cheap checks); vm_main boots one guest that runs the rest of the
# script as root; vm_host_after runs on the host after a passing guest.
. "$(dirname "$0")/lib.sh"

TGT=$SIO_BUILD_ROOT/tools/sio_tgt/sio_tgt
# Checked on the host before booting: no guest is started for a skip.
[[ -x $TGT ]] || vm_skip "$TGT is not built"
vm_require nvme dumpcap tshark

vm_host_after() {
	# The kernel host's and our target's PDUs, judged by Wireshark's dissector.
	vm_pcap_nvme_tcp "$VM_LOG_DIR/tcp.pcap" 0 1 4 5 6 7 9
}

vm_main -- "$@"          # run-in-vm options go before "--": --nvme 64, --mem 2048, --timeout 120...

NQN=nqn.2016-06.io.spdk-io:cnode1
PORT=4420
SOCK=$VM_TMP/tgt.sock

start_target() {
	vm_daemon sio_tgt "$TGT" -m 0x1 -r "$SOCK"
	vm_wait_for "sio_tgt's RPC socket" 30 test -S "$SOCK"
	vm_rpc "$SOCK" nvmf_create_transport trtype=TCP
	vm_rpc "$SOCK" bdev_malloc_create name=Malloc0 num_blocks=16384 block_size=512
	vm_rpc "$SOCK" nvmf_create_subsystem nqn="$NQN" allow_any_host=true serial_number=SIO0001
	vm_rpc "$SOCK" nvmf_subsystem_add_ns "{\"nqn\": \"$NQN\", \"namespace\": {\"bdev_name\": \"Malloc0\"}}"
	vm_rpc "$SOCK" nvmf_subsystem_add_listener "{\"nqn\": \"$NQN\", \"listen_address\":
		{\"trtype\": \"TCP\", \"adrfam\": \"IPv4\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"$PORT\"}}"
	vm_wait_listen "$PORT" sio_tgt
}
vm_step "our target: sio_tgt with a malloc namespace on 127.0.0.1:$PORT" start_target
vm_step "capture the loopback (port $PORT)" vm_capture_start tcp "tcp port $PORT"

discover() {
	knvme_discover "$PORT" >"$VM_TMP/discover"
	grep -q "subnqn: *$NQN" "$VM_TMP/discover"
}
vm_step "kernel host: nvme discover lists our subsystem" discover
vm_step "kernel host: nvme connect" knvme_connect "$NQN" "$PORT"

id_ctrl() {
	nvme id-ctrl "/dev/$KNVME_CTRL" >"$VM_TMP/id-ctrl"
	grep -E '^(mn|sn|subnqn|ioccsz|iorcsz|sgls) ' "$VM_TMP/id-ctrl"
	grep -q "^subnqn *: $NQN\$" "$VM_TMP/id-ctrl"
}
vm_step "kernel host: Identify Controller over TCP" id_ctrl

data() { vm_data_check "$(knvme_ns_dev 1)" 4; }
vm_step "kernel host: 4 MiB written, read back, compared" data

vm_step "kernel host: disconnect" knvme_disconnect "$NQN"
vm_step "stop the capture" vm_capture_stop tcp
# Last: a clean exit status (sanitizer reports included) is part of the test.
vm_step "our target stops cleanly on SIGTERM" vm_daemon_stop sio_tgt TERM
