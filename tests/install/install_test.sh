#!/usr/bin/env bash
# Install the built library into a temporary prefix and compile + run an example
# against it through pkg-config, so a broken install (missing header, bad .pc,
# unexported symbol) fails here.
set -euo pipefail
build=$1 src=$2
if grep -q "b_sanitize.*\(address\|thread\|undefined\)" "$build/meson-info/intro-buildoptions.json" 2>/dev/null &&
   python3 -c "import json,sys; o={x['name']:x['value'] for x in json.load(open('$build/meson-info/intro-buildoptions.json'))}; sys.exit(0 if o.get('b_sanitize','none')!='none' else 1)"; then
	echo "skip: sanitized build; the install test runs in the plain build"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --no-rebuild --destdir "$tmp" --quiet
prefix=$(python3 -c "import json; print([x['value'] for x in json.load(open('$build/meson-info/intro-buildoptions.json')) if x['name']=='prefix'][0])")
libdir=$(python3 -c "import json; print([x['value'] for x in json.load(open('$build/meson-info/intro-buildoptions.json')) if x['name']=='libdir'][0])")
root="$tmp$prefix"
pcdir=$(dirname "$(find "$root" -name spdk-io.pc | head -n1)")
[ -n "$pcdir" ] || { echo "spdk-io.pc not installed"; exit 1; }
export PKG_CONFIG_PATH="$pcdir"
export PKG_CONFIG_SYSROOT_DIR="$tmp"
for h in spdk_io.h env.h log.h thread.h async.h app.h rpc.h bdev.h bdev_module.h bdev_modules.h; do
	[ -f "$root/include/spdk_io/$h" ] || { echo "header $h not installed"; exit 1; }
done
cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/example" "$src/examples/install_check.c" \
	$(pkg-config --cflags --libs spdk-io)
libpath="$(dirname "$(find "$root" -name 'libspdk-io.so.0' | head -n1)")"
LD_LIBRARY_PATH="$libpath" "$tmp/example"
# The README demo too: app, JSON config, bdev and async headers all in use.
cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/hello_bdev" "$src/examples/hello_bdev.c" \
	$(pkg-config --cflags --libs spdk-io)
LD_LIBRARY_PATH="$libpath" "$tmp/hello_bdev" --tasks 4 --ios 8 | grep -q "hello_bdev: done"
echo "install test: ok"
