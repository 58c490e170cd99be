#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Startup time and idle memory of an spdk-io app (examples/app_hello), default
# config, no hugepages:
#   - time from spawning the process to the first spdk_get_version reply on
#     its RPC socket (the client polls connect() in a tight loop);
#   - RSS (VmRSS) after 1 s idle.
# usage: bench/app_startup.sh [BUILD_DIR] [RUNS]
set -eu
build=${1:-build}
runs=${2:-30}
app="$build/examples/app_hello"
[ -x "$app" ] || { echo "no $app: build first (ninja -C $build)" >&2; exit 1; }
exec python3 - "$app" "$runs" <<'PY'
import json, os, signal, socket, statistics, subprocess, sys, tempfile, time

app, runs = sys.argv[1], int(sys.argv[2])
req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "spdk_get_version"}).encode()
sock = os.path.join(tempfile.mkdtemp(), "bench.sock")

def first_answer(p):
    while True:
        if p.poll() is not None:
            sys.exit("app exited: %s" % p.stderr.read())
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
            s.sendall(req)
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            if buf:
                return json.loads(buf)
        except OSError:
            pass
        finally:
            s.close()

times, rss = [], []
for i in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([app, "-r", sock], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    reply = first_answer(p)
    times.append((time.perf_counter() - t0) * 1000)
    assert "result" in reply, reply
    if i < 3:
        time.sleep(1.0)
        with open("/proc/%d/status" % p.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss.append(int(line.split()[1]) / 1024)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    assert p.returncode == 0, p.returncode

times.sort()
print("app_startup: %d runs of %s (mask 0x1, no hugepages, default options)" % (runs, app))
print("  spawn -> first RPC reply: median %.2f ms, min %.2f ms, p90 %.2f ms, max %.2f ms"
      % (statistics.median(times), times[0], times[int(len(times) * 0.9) - 1], times[-1]))
print("  idle RSS after 1 s: %.1f MiB (max of %d runs)" % (max(rss), len(rss)))
PY
