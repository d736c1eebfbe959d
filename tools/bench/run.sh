#!/usr/bin/env bash
# make bench: benchmarks, never part of pass/fail. Each prints a table and
# writes JSON under $BUILD/bench/ (default build/bench/) with the machine and commit, so two runs
# can be compared (tools/bench/compare.py A.json B.json).
#
#  1. counter schemes on the host (pthreads): tools/bench/counters.c
#  2. exitvisor in an emulator, measured from the guest by guest/bench.c:
#       hv-1cpu, hv-1cpu-repeat, hv-2cpu, hv-4cpu   exitvisor, next stage bench.efi
#       native-1cpu                                 bench.efi as BOOTX64.EFI, no hypervisor
#     Independent boots run concurrently (as many as there are cores), each on
#     its own copy of the disk image and its own log directory.
#
# Environment:
#   BENCH_ENGINE   emulator(s) for part 2, comma-separated: bochs (default; the
#                  only one here that emulates VMX, and its cycle figures repeat
#                  exactly) and/or qemu-kvm (real hardware timing; needs /dev/kvm,
#                  and nested VMX for exitvisor to virtualize anything)
#   BENCH_JOBS     concurrent emulator runs (default: number of cores)
#   BENCH_TIMEOUT  seconds per boot (default 900)
#   BENCH_SKIP_HOST=1   skip part 1 (the host counter benchmark)
#   BUILD          build directory, as for make (default build)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tools/bench
build=${BUILD:-build}
out=$build/bench
mkdir -p "$out"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    dirty=1; commit_note="$commit (working tree has uncommitted changes)"
else
    dirty=0; commit_note=$commit
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
timestamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
bench_start=$(date +%s)

# --- 1. counter schemes (host) ------------------------------------------------
if [ "${BENCH_SKIP_HOST:-0}" != 1 ]; then
    echo "== counter schemes (host, pthreads; $cpu, $(nproc) cores, commit $commit)"
    gcc -O2 -pthread -I. tools/bench/counters.c hv/stats/exit_stats.c -o "$out/counters"
    "$out/counters" --json "$out/counters.raw.json"
    python3 - "$out/counters.raw.json" "$out/counters.json" "$cpu" "$commit" "$(nproc)" "$timestamp" <<'PY'
import json, sys
raw = json.load(open(sys.argv[1]))
raw.update({"engine": "host", "cpu_model": sys.argv[3], "commit": sys.argv[4], "host_cores": int(sys.argv[5]),
            "timestamp": sys.argv[6]})
json.dump(raw, open(sys.argv[2], "w"), indent=2)
print("wrote", sys.argv[2])
PY
fi

# --- 2. exitvisor in an emulator, measured by the guest -------------------------
engines=${BENCH_ENGINE:-bochs}
jobs_max=${BENCH_JOBS:-$(nproc)}
timeout_s=${BENCH_TIMEOUT:-900}
case $jobs_max in ''|*[!0-9]*|0) echo "bench: BENCH_JOBS must be a positive integer" >&2; exit 1 ;; esac
case $timeout_s in ''|*[!0-9]*|0) echo "bench: BENCH_TIMEOUT must be a positive integer" >&2; exit 1 ;; esac

kvm_usable() { [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; }
host_vmx()   { grep -qw vmx /proc/cpuinfo; }

echo
echo "== building exitvisor and the guest bench"
make --no-print-directory BUILD="$build" all "$build/bench.efi"

# Staging trees (ours, under $out/) and one template image each.
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/hv/EFI/BOOT" "$stage/hv/EFI/exitvisor" "$stage/native/EFI/BOOT" "$out/disks"
cp "$build/exitvisor.efi" "$stage/hv/EFI/BOOT/BOOTX64.EFI"
cp "$build/bench.efi" "$stage/hv/EFI/exitvisor/bench.efi"
printf '%s\n' '# written by tools/bench/run.sh' 'next=\EFI\exitvisor\bench.efi' 'options=--poweroff' \
    > "$stage/hv/EFI/exitvisor/exitvisor.cfg"
# No hypervisor: the firmware starts BOOTX64.EFI with empty load options, so
# the bench takes --poweroff from \bench.options (read after its marker).
cp "$build/bench.efi" "$stage/native/EFI/BOOT/BOOTX64.EFI"
echo '--poweroff' > "$stage/native/bench.options"
bash tools/mkdisk.sh "$out/disks/hv.img" "$stage/hv"
bash tools/mkdisk.sh "$out/disks/native.img" "$stage/native"

# name:template:vcpus, longest first so the two cores stay busy.
RUNS="hv-4cpu:hv:4 hv-2cpu:hv:2 hv-1cpu:hv:1 hv-1cpu-repeat:hv:1 native-1cpu:native:1"

failed=0
IFS=, read -r -a engine_list <<<"$engines"
for engine in "${engine_list[@]}"; do
    engine=$(echo "$engine" | tr -d ' ')
    case $engine in
        # report.py takes the model from each run's own bochsrc; this is for the header.
        bochs) cpu_model="bochs $(sed -n 's/^cpu: model=\([A-Za-z0-9_]*\),.*/\1/p' tools/run.sh | head -n1)" ;;
        qemu-kvm)
            if ! kvm_usable; then
                echo "== $engine: skipped: /dev/kvm is not usable read-write on this host"
                continue
            fi
            host_vmx || echo "bench: warning: host CPU has no vmx flag: under qemu-kvm exitvisor will find no VMX and the bench will measure natively"
            cpu_model="host: $cpu" ;;
        *) echo "bench: BENCH_ENGINE: unknown engine '$engine' (bochs or qemu-kvm)" >&2; exit 1 ;;
    esac
    edir=$out/$engine
    mkdir -p "$edir"
    echo
    echo "== exitvisor guest bench on $engine ($cpu_model), commit $commit_note; up to $jobs_max boots at a time"
    start=$(date +%s)
    names=()
    for spec in $RUNS; do
        IFS=: read -r name tmpl vcpus <<<"$spec"
        rdir=$edir/$name
        rm -rf "$rdir"
        mkdir -p "$rdir"
        cp --sparse=always "$out/disks/$tmpl.img" "$rdir/disk.img"   # never shared
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
        echo "bench: start $engine $name ($vcpus vCPU)"
        (
            set +e
            t0=$(date +%s)
            bash tools/run.sh --engine "$engine" --cpus "$vcpus" --timeout "$timeout_s" --quiet \
                --disk "$rdir/disk.img" --out "$rdir" > "$rdir/run.out" 2>&1
            st=$?
            echo "$st $(( $(date +%s) - t0 ))" > "$rdir/exit.txt"
            echo "bench: end   $engine $name: status $st after $(( $(date +%s) - t0 )) s ($(cat "$rdir/status.txt" 2>/dev/null || echo 'no status'))"
            [ "$st" -ne 0 ] || rm -f "$rdir/disk.img" "$rdir/disk.img.lock"
            exit "$st"
        ) &
        names+=("$name")
    done
    wait || true
    for name in "${names[@]}"; do
        read -r st _ < "$edir/$name/exit.txt" 2>/dev/null || st=missing
        if [ "$st" != 0 ]; then
            failed=1
            echo "bench: $engine $name failed (status $st); logs in $edir/$name (run.out, serial.txt, $([ "$engine" = bochs ] && echo bochs.log || echo qemu.log))"
        fi
    done
    echo "bench: $engine boots took $(( $(date +%s) - start )) s wall clock"
    echo
    args=()
    for spec in $RUNS; do
        IFS=: read -r name tmpl vcpus <<<"$spec"
        args+=("$name:$vcpus:$edir/$name")
    done
    python3 "$here/report.py" --engine "$engine" --cpu-model "$cpu_model" --commit "$commit" --dirty "$dirty" \
        --timestamp "$timestamp" --json-dir "$out" "${args[@]}" || failed=1
done

if [ "${BENCH_ENGINE:-}" = "" ] && kvm_usable && host_vmx; then
    echo
    echo "bench: this host has a usable /dev/kvm and VMX: BENCH_ENGINE=qemu-kvm (or bochs,qemu-kvm) also measures under qemu-kvm"
fi
echo
echo "bench: make bench took $(( $(date +%s) - bench_start )) s wall clock; JSON in $out/ (compare two with tools/bench/compare.py A.json B.json)"
exit "$failed"
