#!/usr/bin/env bash
# make bench: benchmarks, never part of pass/fail. Each prints a table and
# writes JSON under build/bench/ with the machine and commit, so two runs
# can be compared.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/bench
mkdir -p "$out"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')

echo "== counter schemes (host, pthreads; $cpu, $(nproc) cores, commit $commit)"
gcc -O2 -pthread -I. tools/bench/counters.c hv/exit_stats.c -o "$out/counters"
"$out/counters" --json "$out/counters.raw.json"
python3 - "$out/counters.raw.json" "$out/counters.json" "$cpu" "$commit" "$(nproc)" <<'PY'
import json, sys
raw = json.load(open(sys.argv[1]))
raw.update({"engine": "host", "cpu_model": sys.argv[3], "commit": sys.argv[4], "host_cores": int(sys.argv[5])})
json.dump(raw, open(sys.argv[2], "w"), indent=2)
print("wrote", sys.argv[2])
PY
