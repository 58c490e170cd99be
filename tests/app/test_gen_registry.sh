#!/bin/sh
# The registry generator: arrays in list order, and bad lists refused.
set -eu
gen="$1"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$gen" -o "$out/r.c" sub:bdev sub:nvmf rpc:app rpc:bdev_malloc
grep -q 'extern const struct sio_subsystem sio_subsystem_bdev;' "$out/r.c"
grep -q 'extern const struct sio_rpc_method_table sio_rpc_table_bdev_malloc;' "$out/r.c"
# order kept, NULL-terminated
test "$(grep -A3 'app_registry_subsystems\[\] =' "$out/r.c" | tr -d '\t\n ')" = \
	"conststructsio_subsystem*constapp_registry_subsystems[]={&sio_subsystem_bdev,&sio_subsystem_nvmf,NULL,"
"$gen" -o "$out/e.c"
grep -q 'app_registry_rpc_tables\[\] = {' "$out/e.c"
if "$gen" -o "$out/x.c" sub:bad-name 2>"$out/err"; then echo "bad name accepted"; exit 1; fi
grep -q "bad entry 'sub:bad-name'" "$out/err"
if "$gen" -o "$out/x.c" rpc:a rpc:a 2>"$out/err"; then echo "duplicate accepted"; exit 1; fi
grep -q "listed twice" "$out/err"
echo ok
