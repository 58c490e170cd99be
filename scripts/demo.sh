#!/usr/bin/env bash
# Fresh machine to running demo: install Debian packages, build, run the main
# example on its embedded default (no hardware, no config file, no servers).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec ./build/examples/hello_bdev "$@"
