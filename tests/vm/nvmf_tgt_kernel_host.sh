#!/usr/bin/env bash
# Our NVMe-oF target (sio_tgt) judged by the Linux kernel's NVMe/TCP host
# (nvme-tcp + nvme-cli) inside the QEMU guest: discovery, connect plain, with
# header and data digests and with several I/O queues; O_DIRECT random data
# written and read back at several block sizes; Identify fields; removing a
# namespace while connected makes the kernel drop it (asynchronous event);
# disconnect; the target stopped and started again (same JSON config) while
# connected: the kernel reconnects and the data is intact; last, a connect
# with --disable-sqflow, whose reads our target ends with C2HData SUCCESS
# (none before it). tshark on the host then decodes the captured sessions
# (digests on) with nothing malformed.
. "$(dirname "$0")/lib.sh"

TGT=$SIO_BUILD_ROOT/tools/sio_tgt/sio_tgt
[[ -x $TGT ]] || vm_skip "$TGT is not built"
vm_require nvme dumpcap tshark

vm_host_after() {
	# ICReq, ICResp, CapsuleCmd, CapsuleResp, H2CData, C2HData, R2T.
	vm_pcap_nvme_tcp "$VM_LOG_DIR/tcp.pcap" 0 1 4 5 6 7 9
	# The kernel host keeps SQ flow control on unless told: no SUCCESS there.
	vm_pcap_c2h_success "$VM_LOG_DIR/tcp.pcap" 0 0
	# nvme connect --disable-sqflow: every read ends with C2HData SUCCESS.
	vm_pcap_nvme_tcp "$VM_LOG_DIR/tcpsq.pcap" 0 1 4 5 6 7
	vm_pcap_c2h_success "$VM_LOG_DIR/tcpsq.pcap" 1 all
}

# VM_NVMF_KERNEL=backports runs the same steps against Debian's 6.12 host.
vm_main --timeout 420 ${VM_NVMF_KERNEL:+--kernel "$VM_NVMF_KERNEL"} -- "$@"

NQN=nqn.2016-06.io.spdk-io:cnode1
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:5d1b2c1a-3f0e-4c51-9a3e-2c3b4d5e6f70
PORT=4420
SOCK=$VM_TMP/tgt.sock
truncate -s 64M "$VM_TMP/aio0.img"

rpc() { vm_rpc "$SOCK" "$@"; }

start_target() {
	vm_daemon sio_tgt "$TGT" -m 0x1 -r "$SOCK" "$@"
	vm_wait_for "sio_tgt's RPC socket" 30 test -S "$SOCK"
	vm_wait_listen "$PORT" sio_tgt
}

# The whole setup as an SPDK-format JSON config (one process start; RPC from
# python costs seconds each under TCG). The same methods as the RPC calls of
# docs/nvmf.md.
cat >"$VM_TMP/start.json" <<JSON
{"subsystems": [
 {"subsystem": "bdev", "config": [
  {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 32768, "block_size": 512}},
  {"method": "bdev_malloc_create", "params": {"name": "Malloc1", "num_blocks": 4096, "block_size": 4096}},
  {"method": "bdev_aio_create", "params": {"name": "Aio0", "filename": "$VM_TMP/aio0.img", "block_size": 512}}]},
 {"subsystem": "nvmf", "config": [
  {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
  {"method": "nvmf_create_subsystem", "params": {"nqn": "$NQN", "allow_any_host": true,
   "serial_number": "SIO0001", "model_number": "spdk-io-vm-test"}},
  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$NQN", "namespace": {"bdev_name": "Malloc0"}}},
  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$NQN", "namespace": {"bdev_name": "Malloc1"}}},
  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$NQN", "namespace": {"bdev_name": "Aio0"}}},
  {"method": "nvmf_subsystem_add_listener", "params": {"nqn": "$NQN", "listen_address":
   {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "$PORT"}}}]}]}
JSON
vm_step "sio_tgt -c: malloc (512 B, 4 KiB blocks) and aio namespaces on 127.0.0.1:$PORT" \
	start_target -c "$VM_TMP/start.json"
vm_step "capture the loopback (port $PORT)" vm_capture_start tcp "tcp port $PORT"

discover() {
	knvme_discover "$PORT" >"$VM_TMP/discover"
	cat "$VM_TMP/discover" | grep -E 'subnqn|trsvcid|subtype'
	grep -q "subnqn: *$NQN" "$VM_TMP/discover"
}
vm_step "nvme discover lists our subsystem" discover

vm_step "nvme connect (plain)" knvme_connect "$NQN" "$PORT" 127.0.0.1 --hostnqn="$HOSTNQN"

id_ctrl() {
	nvme id-ctrl "/dev/$KNVME_CTRL" >"$VM_TMP/id-ctrl"
	grep -E '^(sn|mn|subnqn|mdts|cntrltype|ioccsz|iorcsz|sgls|oncs|nn) ' "$VM_TMP/id-ctrl"
	grep -q "^subnqn *: $NQN\$" "$VM_TMP/id-ctrl"
	grep -q "^sn *: SIO0001" "$VM_TMP/id-ctrl"
	grep -q "^mn *: spdk-io-vm-test" "$VM_TMP/id-ctrl"
	grep -q "^mdts *: 5\$" "$VM_TMP/id-ctrl"
}
vm_step "nvme id-ctrl: serial, model, NQN, MDTS as configured" id_ctrl

id_ns() {
	local d1 d2
	d1=$(knvme_ns_dev 1)
	d2=$(knvme_ns_dev 2)
	nvme id-ns "$d1" >"$VM_TMP/id-ns1"
	nvme id-ns "$d2" >"$VM_TMP/id-ns2"
	grep -E '^(nsze|ncap|nuse|nlbaf|flbas)|in use' "$VM_TMP/id-ns1" "$VM_TMP/id-ns2"
	grep -q '^nsze *: 0x8000$' "$VM_TMP/id-ns1"
	grep -q '^nsze *: 0x1000$' "$VM_TMP/id-ns2"
	grep -q 'lbads:12' "$VM_TMP/id-ns2"
	[[ $(blockdev --getss "$d1") == 512 && $(blockdev --getss "$d2") == 4096 ]]
	nvme ns-descs "$d1" | grep -i uuid
}
vm_step "nvme id-ns: sizes and LBA formats (512 B and 4 KiB namespaces), UUID descriptor" id_ns

# O_DIRECT random pattern at several block sizes on namespace $1, compared byte for byte.
pattern_io() {
	local dev bs
	dev=$(knvme_ns_dev "$1")
	for bs in ${2:-4k 8k 64k 128k 1M}; do
		dd if=/dev/urandom of="$VM_TMP/p" bs="$bs" count=16 status=none
		dd if="$VM_TMP/p" of="$dev" bs="$bs" count=16 oflag=direct status=none
		dd if="$dev" bs="$bs" count=16 iflag=direct status=none | cmp - "$VM_TMP/p"
		echo "   $dev: 16 x $bs written and read back identical"
	done
}
vm_step "O_DIRECT random data, 4k..1M, 512 B namespace" pattern_io 1
vm_step "O_DIRECT random data, 4k..1M, 4 KiB namespace" pattern_io 2
vm_step "O_DIRECT random data, 512 B blocks" pattern_io 1 512
vm_step "nvme disconnect" knvme_disconnect "$NQN"

vm_step "nvme connect -g -G (header and data digests)" \
	knvme_connect "$NQN" "$PORT" 127.0.0.1 --hostnqn="$HOSTNQN" -g -G
vm_step "O_DIRECT random data with digests" pattern_io 1 "4k 64k 1M"
vm_step "nvme disconnect" knvme_disconnect "$NQN"

queues() {
	# The kernel caps I/O queues at the guest's CPU count.
	local want=$(($(nproc) < 4 ? $(nproc) : 4))
	rpc nvmf_subsystem_get_qpairs nqn="$NQN" >"$VM_TMP/qpairs"
	echo "   $(grep -c '"qid"' "$VM_TMP/qpairs") qpairs at the target, $want I/O queues expected"
	grep -q "\"qid\": $want" "$VM_TMP/qpairs"
	[[ $(grep -c '"qid"' "$VM_TMP/qpairs") == $((want + 1)) ]]
}
vm_step "nvme connect -i 4 (four I/O queues)" \
	knvme_connect "$NQN" "$PORT" 127.0.0.1 --hostnqn="$HOSTNQN" -i 4
vm_step "the target sees the admin queue and the I/O queues" queues
parallel_io() {
	local dev i
	dev=$(knvme_ns_dev 1)
	dd if=/dev/urandom of="$VM_TMP/p4" bs=1M count=8 status=none
	local pids=()
	for i in 0 1 2 3; do
		dd if="$VM_TMP/p4" of="$dev" bs=256k skip=$((i * 8)) seek=$((i * 8)) count=8 oflag=direct status=none &
		pids+=($!)
	done
	# Only the writers: a bare `wait` would also wait for the daemons.
	wait "${pids[@]}"
	dd if="$dev" bs=1M count=8 iflag=direct status=none | cmp - "$VM_TMP/p4"
	echo "   4 writers in parallel, 8 MiB read back identical"
}
vm_step "four writers in parallel on the I/O queues" parallel_io

remove_ns() {
	local dev3
	dev3=$(knvme_ns_dev 3)
	echo "   $dev3 present; removing nsid 3 at the target"
	rpc nvmf_subsystem_remove_ns nqn="$NQN" nsid=3
	vm_wait_for "the kernel to drop $dev3" 15 eval "[[ ! -e $dev3 ]]"
	echo "   $dev3 gone (namespace attribute notice, changed namespace list)"
	rpc nvmf_subsystem_add_ns "{\"nqn\": \"$NQN\", \"namespace\": {\"bdev_name\": \"Aio0\", \"nsid\": 3}}"
	knvme_ns_dev 3 >/dev/null
	echo "   and back when the namespace is added again"
}
vm_step "remove a namespace while connected: the kernel drops it" remove_ns

restart() {
	local dev before after
	dev=$(knvme_ns_dev 3)
	dd if=/dev/urandom of="$VM_TMP/pr" bs=1M count=2 status=none
	dd if="$VM_TMP/pr" of="$dev" bs=1M count=2 oflag=direct status=none
	rpc save_config >"$VM_TMP/tgt.json"
	vm_daemon_stop sio_tgt TERM
	rm -f "$SOCK"
	sleep 1
	start_target -c "$VM_TMP/tgt.json"
	vm_wait_listen "$PORT" sio_tgt
	vm_wait_for "the kernel to reconnect" 30 eval \
		"[[ \$(cat /sys/class/nvme/$KNVME_CTRL/state) == live ]]"
	dd if="$dev" bs=1M count=2 iflag=direct status=none | cmp - "$VM_TMP/pr"
	echo "   reconnected; the aio namespace reads back what was written before the restart"
}
vm_step "nvme connect with fast reconnect" eval \
	"knvme_disconnect $NQN && knvme_connect $NQN $PORT 127.0.0.1 --hostnqn=$HOSTNQN --reconnect-delay=1 --ctrl-loss-tmo=60"
vm_step "target stopped and started again while connected: reconnect, data intact" restart
vm_step "nvme disconnect" knvme_disconnect "$NQN"
vm_step "stop the capture" vm_capture_stop tcp

vm_step "capture the loopback again (port $PORT)" vm_capture_start tcpsq "tcp port $PORT"
vm_step "nvme connect --disable-sqflow (reads end with C2HData SUCCESS, no CapsuleResp)" \
	knvme_connect "$NQN" "$PORT" 127.0.0.1 --hostnqn="$HOSTNQN" --disable-sqflow
vm_step "O_DIRECT random data, SQ flow control disabled" pattern_io 2 "4k 128k"
vm_step "nvme disconnect" knvme_disconnect "$NQN"
vm_step "stop the capture" vm_capture_stop tcpsq
vm_step "sio_tgt stops cleanly on SIGTERM" vm_daemon_stop sio_tgt TERM
