#!/usr/bin/env bash
# Our NVMe/TCP host (the driver's test program tests/nvme/test_nvme_host_tcp)
# judged by the Linux kernel's nvmet-tcp target, in the QEMU guest: connect,
# identify, two namespaces (a file and a memory-backed null_blk), verified I/O
# of every kind, errors, admin commands, discovery, reset; once without and
# once with header and data digests, and once more keeping SQ flow control on
# (--sq-flow). The host's tshark then decodes the captures of our traffic:
# every PDU type of the exchange, nothing malformed, reads ended by C2HData
# SUCCESS where our host disabled SQ flow control (the default) and never
# where it did not.
. "$(dirname "$0")/lib.sh"

HOST_TEST=$SIO_BUILD_ROOT/tests/nvme/test_nvme_host_tcp
[[ -x $HOST_TEST ]] || vm_skip "$HOST_TEST is not built"
vm_require dumpcap tshark

vm_host_after() {
	# ICReq, ICResp, CapsuleCmd, CapsuleResp, H2CData, C2HData, R2T from our host's sessions.
	vm_pcap_nvme_tcp "$VM_LOG_DIR/tcp.pcap" 0 1 4 5 6 7 9
	# Our host disables SQ flow control by default: nvmet ends reads with SUCCESS.
	vm_pcap_c2h_success "$VM_LOG_DIR/tcp.pcap" 1 ""
	# --sq-flow keeps it on: a SUCCESS there is nvmet breaking the spec (our host
	# would have failed the step first).
	vm_pcap_nvme_tcp "$VM_LOG_DIR/tcpsq.pcap" 0 1 4 5 7
	vm_pcap_c2h_success "$VM_LOG_DIR/tcpsq.pcap" 0 0
}

vm_main --timeout 240 -- "$@"

NQN=nqn.2016-06.io.spdk-io:host-test
PORT=4420
TRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"

start_target() {
	truncate -s 64M "$VM_TMP/ns1.img"
	modprobe null_blk nr_devices=1 gb=1 memory_backed=1
	knvmet_start "$NQN" "$PORT" "$VM_TMP/ns1.img" /dev/nullb0
}
vm_step "kernel target: $NQN on 127.0.0.1:$PORT (ns 1 a file, ns 2 null_blk)" start_target
vm_step "capture the loopback (port $PORT)" vm_capture_start tcp "tcp port $PORT"
vm_step "our host, no digests: connect, identify, I/O verified, errors, discovery, reset" \
	"$HOST_TEST" --min-ns=2 "$TRID"
vm_step "our host, header and data digests: the same" "$HOST_TEST" --digest --min-ns=2 "$TRID"
vm_step "stop the capture" vm_capture_stop tcp
vm_step "capture the loopback again (port $PORT)" vm_capture_start tcpsq "tcp port $PORT"
vm_step "our host with SQ flow control kept on (--sq-flow): the same, CapsuleResp after every read" \
	"$HOST_TEST" --sq-flow --min-ns=2 "$TRID"
vm_step "stop the capture" vm_capture_stop tcpsq

events() {
	local p=$VM_TMP/ev cfg=/sys/kernel/config/nvmet
	"$HOST_TEST" --events="$p" "$TRID" &
	local pid=$!
	vm_wait_for "host connected" 60 test -e "$p.ready"
	echo 0 >"$cfg/subsystems/$NQN/namespaces/2/enable"; touch "$p.nsgone"
	vm_wait_for "host saw the namespace go" 60 test -e "$p.nsok"
	rm "$cfg/ports/1/subsystems/$NQN"; touch "$p.portgone"
	vm_wait_for "host saw the controller fail" 60 test -e "$p.failok"
	ln -s "$cfg/subsystems/$NQN" "$cfg/ports/1/subsystems/$NQN"; touch "$p.portback"
	wait "$pid"
}
vm_step "our host: namespace disabled (async event), port removed (failure) and re-added (reset)" events
