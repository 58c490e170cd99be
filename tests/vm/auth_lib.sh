# shellcheck shell=bash
# What the DH-HMAC-CHAP guest tests (nvme_auth.sh, nvme_auth_rekey.sh) share,
# sourced after lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/auth_lib.sh"
#     auth_vm_main "$@"
#
# Both run sio_tgt and tests/nvmf/auth_host against the kernel of
# `--kernel backports` (6.12: Debian 12's own 6.1 has NVMe in-band
# authentication compiled out). A script sets NQN, KNQN and HNQN; the ports,
# the RPC socket and the key folder are the same in both.

PORT=4420
KPORT=4421
SOCK=$VM_TMP/tgt.sock
K=$VM_TMP/keys

# auth_vm_main "$@" - skip unless sio_tgt, auth_host and nvme-cli are there,
# then boot the backports kernel (vm_main); in the guest, go on with the steps.
auth_vm_main() {
	TGT=$SIO_BUILD_ROOT/tools/sio_tgt/sio_tgt
	HOST=$SIO_BUILD_ROOT/tests/nvmf/auth_host
	[[ -x $TGT ]] || vm_skip "$TGT is not built"
	[[ -x $HOST ]] || vm_skip "$HOST is not built"
	vm_require nvme
	# TCG with DH groups is slow: 250 s seen with the 2-core machine loaded by
	# other builds (ffdhe2048: a fraction of a second per queue and side).
	vm_main --kernel backports --timeout 420 -- "$@"
}

# auth_tgt_start SERIAL HOST_KEYS KEY... - sio_tgt from one JSON config (no RPC
# round trips in the slow guest): each KEY a keyring key of the file $K/KEY, a
# malloc namespace, host $HNQN with HOST_KEYS (the JSON members of its
# nvmf_subsystem_add_host params naming the keys), listening on $PORT.
# nvmf_set_config: the DH groups a TCG guest can afford (ffdhe8192 takes
# seconds per side).
auth_tgt_start() {
	local serial=$1 host_keys=$2 keys="" k
	shift 2
	for k in "$@"; do
		keys+="${keys:+,
}  {\"method\": \"keyring_file_add_key\", \"params\": {\"name\": \"$k\", \"path\": \"$K/$k\"}}"
	done
	cat >"$VM_TMP/tgt.json" <<-EOF
	{"subsystems": [
	 {"subsystem": "keyring", "config": [
	$keys]},
	 {"subsystem": "bdev", "config": [
	  {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 8192, "block_size": 512}}]},
	 {"subsystem": "nvmf", "config": [
	  {"method": "nvmf_set_config", "params": {"dhchap_dhgroups": ["null", "ffdhe2048"]}},
	  {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
	  {"method": "nvmf_create_subsystem", "params": {"nqn": "$NQN", "allow_any_host": false, "serial_number": "$serial"}},
	  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$NQN", "namespace": {"bdev_name": "Malloc0"}}},
	  {"method": "nvmf_subsystem_add_host", "params": {"nqn": "$NQN", "host": "$HNQN", $host_keys}},
	  {"method": "nvmf_subsystem_add_listener", "params": {"nqn": "$NQN", "listen_address":
	   {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "$PORT"}}}]}]}
	EOF
	vm_daemon sio_tgt "$TGT" -m 0x1 -r "$SOCK" -c "$VM_TMP/tgt.json"
	vm_wait_listen "$PORT" sio_tgt 60
}

# auth_knvmet_start KEY CTRL_KEY HASH - the kernel's nvmet exporting $KNQN (a
# 16 MiB file) on $KPORT to host $HNQN only, with the secrets of $K/KEY and
# $K/CTRL_KEY, dhchap_hash HASH and ffdhe2048, set through configfs.
auth_knvmet_start() {
	local cfg=$KNVMET_CFG
	truncate -s 16M "$VM_TMP/kns.img"
	knvmet_subsys "$KNQN"
	echo 0 >"$cfg/subsystems/$KNQN/attr_allow_any_host"
	knvmet_ns "$KNQN" 1 "$VM_TMP/kns.img"
	mkdir "$cfg/hosts/$HNQN"
	cat "$K/$1" >"$cfg/hosts/$HNQN/dhchap_key"
	cat "$K/$2" >"$cfg/hosts/$HNQN/dhchap_ctrl_key"
	echo "$3" >"$cfg/hosts/$HNQN/dhchap_hash"
	echo ffdhe2048 >"$cfg/hosts/$HNQN/dhchap_dhgroup"
	ln -s "$cfg/hosts/$HNQN" "$cfg/subsystems/$KNQN/allowed_hosts/$HNQN"
	knvmet_port 2 "$KPORT"
	knvmet_expose "$KNQN" 2
	vm_wait_listen "$KPORT" "" 10
}

# auth_knvmet_stop - undo auth_knvmet_start.
auth_knvmet_stop() {
	rm "$KNVMET_CFG/subsystems/$KNQN/allowed_hosts/$HNQN"
	knvmet_stop
	rmdir "$KNVMET_CFG/hosts/$HNQN"
}

# auth_host_refused ARG... - our host (auth_host ARG...) must exit 3: refused.
auth_host_refused() {
	local rc=0
	"$HOST" "$@" || rc=$?
	[[ $rc -eq 3 ]] || { echo "auth_host exited $rc, expected 3 (refused)" >&2; return 1; }
}
