#!/usr/bin/env bash
# run_all.sh — everything `make test` checks, in one run with one verdict.
#
#   1. build        make all
#   2. disk         make disk
#      conform-disk, crash-disk  disks for the conformance guest and for the
#                   guest that triple-faults: staging trees build/test/<kind>-esp/
#                   (exitvisor as BOOTX64.EFI, the guest, exitvisor.cfg naming it)
#                   written by tools/mkdisk.sh to build/test/<kind>.img
#      linux-disk   (LINUX=1) tools/linux/run-linux.sh --disk-only: Debian's cloud
#                   kernel and busybox (apt-get download, cached in build/linux/kernel),
#                   the initramfs with guest/linux/exvprobe, copied to build/test/linux.img
#      linux-grub-disk  (LINUX=1) the same with --via-grub: exitvisor starts a standalone
#                   GRUB (grub-mkstandalone), which starts the same kernel; its disk
#                   (build/linux/grub/disk.img) copied to build/test/linux-grub.img
#   3. unit         make unit-test (host C tests in hv/tests, ASan+UBSan);
#                   counts from its "unit: N passed, M failed" line
#   4. python       python3 -m unittest discover -s tools/tests -p 'test_*.py' -v
#      fuzz         tools/tests/run_fuzz.sh: every libFuzzer target of hv/tests/fuzz
#                   for FUZZ_SECONDS (default 5) on a copy of its checked-in corpus
#      bad-input    tools/tests/check_bad_input.sh: NEXT= missing or not EFI, CPUS= too
#                   many, a bad exitvisor.cfg line, a next stage that returns: one
#                   clear line each (one 1-CPU Bochs boot; about 25 s)
#   5. integration, run concurrently, each booting its own copy of the disk:
#        bochs-1cpu     Bochs, 1 vCPU    check_boot.py --expect-cpus 1 --expect-timeline --expect-hv-log
#        bochs-2cpu     Bochs, 2 vCPUs   check_boot.py --expect-cpus 2 --expect-timeline --expect-hv-log
#        qemu-tcg-2cpu  QEMU TCG, 2 vCPUs (no VMX)  check_boot.py --expect-novmx
#        conform-1cpu   Bochs, 1 vCPU, conformance disk, init_sipi=native
#                       check_conform.py --expect-cpus 1 --expect-init-sipi native
#        conform-2cpu   Bochs, 2 vCPUs, conformance disk  check_conform.py --expect-cpus 2 (intercept)
#        conform-4cpu   Bochs, 4 vCPUs, conformance disk  check_conform.py --expect-cpus 4 (intercept)
#        conform-baseline-1cpu  Bochs, 1 CPU, the conformance guest with virtualize=no
#                       and --baseline: only its guest-visible checks; check_conform.py --baseline
#        native-init-2cpu  Bochs, 2 vCPUs, the probe with init_sipi=native: the INIT and
#                       SIPI exits Bochs delivers, then its re-delivered INIT; stopped
#                       on that line; check_native_init.py
#        triple-fault-2cpu  Bochs, 2 vCPUs, crash disk, stopped on the reset line
#                           check_crash.py
#        linux-2cpu     (LINUX=1) Bochs, 2 vCPUs: Linux boots under exitvisor,
#                       brings up both CPUs, runs the probe and powers off
#                       check_linux.py --expect-cpus 2 (about 3.5 minutes alone;
#                       it starts right after the disks, before the host tests)
#        linux-grub-2cpu  (LINUX=1) Bochs, 2 vCPUs: the same boot with GRUB between
#                       exitvisor and Linux (run-linux.sh --via-grub); check_linux.py
#                       --expect-cpus 2 --expect-grub (GRUB's line between exitvisor's
#                       launch and the kernel); started early beside linux-2cpu
#      counts from each checker's "N passed, M failed" line. Then
#        cpu-models     check_cpu_models.py: the probe disk on every other Bochs CPU model
#                       (11: VMX with and without unrestricted guest, no VMX at all),
#                       two at a time after the boots above (about 2 minutes)
#        install-e2e    (LINUX=1) check_install.sh: tools/install.sh run by a Linux in QEMU TCG
#                       (OVMF, writable variables) on its own ESP; five boots, the 2nd and
#                       4th through exitvisor, the others the OS's own (about 1 minute)
#        transparency   check_transparency.py: the OBSERVE lines of conform-{1,2,4}cpu
#                       must equal conform-baseline-1cpu's (the CPU without exitvisor) If the build or
#      the disk failed, these are skipped and each counts as one failure
#      (a guest's boots likewise when its disk failed).
#
# Every step prints "PASS <name>: ..." or "FAIL <name>: ..." with its wall-clock
# seconds; the output of a step is indented under it (in full on failure).
# The last line is "N passed, M failed" (the sum over all steps); the exit
# status is 0 only if M is 0.
#
# Logs: build/test/logs/<step>.log, and build/test/<boot>/ for each boot
# (serial.txt, serial.log, status.txt, bochs.log or qemu.log, run.out, check.out).
#
# Environment: BUILD (default build), BOCHS_TIMEOUT (default 900: eight emulators
# share two cores, and a timeout only has to catch a hang),
# QEMU_TIMEOUT (default 300) in seconds, LINUX (default 1; 0 leaves out the
# Linux disk and boot, for a quicker run while working on something else).
set -uo pipefail

# No step may read the caller's stdin (and a closed fd 0 must not be reused
# by the first file this script opens).
exec </dev/null

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

BUILD=${BUILD:-build}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-900}
LINUX=${LINUX:-1}
case $LINUX in 0|1) ;; *) echo "run_all: LINUX must be 0 or 1, not '$LINUX'" >&2; exit 2 ;; esac
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
OUT=$BUILD/test
LOGS=$OUT/logs
mkdir -p "$LOGS" || exit 2

total_pass=0
total_fail=0
table=()            # "name|PASS/FAIL|seconds|counts"
run_start=$(date +%s%N)

now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
indent() { sed 's/^/    /'; }

# record NAME PASSED FAILED SECONDS DETAIL
record() {
    local name=$1 p=$2 f=$3 secs=$4 detail=$5 verdict=PASS
    [ "$f" -eq 0 ] || verdict=FAIL
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    echo "$verdict $name: $detail ($p passed, $f failed; ${secs} s)"
    table+=("$name|$verdict|$secs|$p passed, $f failed")
}

# ---- 1, 2: build ---------------------------------------------------------------
build_ok=1
for step in build disk; do
    target=all
    [ "$step" = disk ] && target=disk
    t0=$(now_ns)
    log=$LOGS/$step.log
    if [ "$build_ok" -eq 0 ]; then
        record "$step" 0 1 0.0 "skipped: the build failed"
        continue
    fi
    if make --no-print-directory BUILD="$BUILD" "$target" > "$log" 2>&1; then
        record "$step" 1 0 "$(secs_since "$t0")" "make $target"
    else
        build_ok=0
        record "$step" 0 1 "$(secs_since "$t0")" "make $target failed; last lines of $log:"
        tail -n 40 "$log" | indent
    fi
done

# Disks for the other guests, each from its own staging tree, so build/esp (the
# probe's disk, which make run and make disk own) stays as it is.
#   guest_disk KIND EFI OPTIONS [CFG-LINE...]  ->  $OUT/KIND.img, sets disk_ok[KIND]
declare -A disk_ok=()
guest_disk() {
    local kind=$1 efi=$2 options=$3 t0 log stage
    shift 3
    t0=$(now_ns)
    log=$LOGS/$kind-disk.log
    disk_ok[$kind]=0
    if [ "$build_ok" -eq 0 ]; then
        record "$kind-disk" 0 1 0.0 "skipped: the build failed"
        return
    fi
    stage=$OUT/$kind-esp
    if {
        rm -rf -- "$stage" &&
        mkdir -p -- "$stage/EFI/BOOT" "$stage/EFI/exitvisor" &&
        cp -- "$BUILD/exitvisor.efi" "$stage/EFI/BOOT/BOOTX64.EFI" &&
        cp -- "$BUILD/$efi" "$stage/EFI/exitvisor/$efi" &&
        printf '%s\n' "# written by tools/tests/run_all.sh" \
            "next=\\EFI\\exitvisor\\$efi" "options=$options" "$@" \
            > "$stage/EFI/exitvisor/exitvisor.cfg" &&
        bash tools/mkdisk.sh "$OUT/$kind.img" "$stage"
    } > "$log" 2>&1; then
        disk_ok[$kind]=1
        record "$kind-disk" 1 0 "$(secs_since "$t0")" "tools/mkdisk.sh $OUT/$kind.img (next=$efi)"
    else
        record "$kind-disk" 0 1 "$(secs_since "$t0")" "making the $kind disk failed; last lines of $log:"
        tail -n 40 "$log" | indent
    fi
}
guest_disk conform conform.efi --poweroff   # the exit conformance suite
# The same guest without the hypervisor: what the CPU itself shows a guest.
guest_disk conform-baseline conform.efi "--poweroff --baseline" virtualize=no
guest_disk crash crash.efi ""               # the guest that triple-faults on purpose

# Linux: tools/linux/run-linux.sh prepares the same disk make run-linux boots,
# then, with --via-grub, the disk where GRUB starts that kernel (its own ESP
# and disk.img under build/linux/grub/, so the first stays as it is).
linux_disk() {
    local t0 log=$LOGS/linux-disk.log
    t0=$(now_ns)
    disk_ok[linux]=0
    disk_ok[linux-grub]=0
    if [ "$build_ok" -eq 0 ]; then
        record linux-disk 0 1 0.0 "skipped: the build failed"
        record linux-grub-disk 0 1 0.0 "skipped: the build failed"
        return
    fi
    if BUILD="$BUILD" bash tools/linux/run-linux.sh --disk-only --engine bochs > "$log" 2>&1 &&
        cp --sparse=always -- "$BUILD/linux/disk.img" "$OUT/linux.img" >> "$log" 2>&1; then
        disk_ok[linux]=1
        record linux-disk 1 0 "$(secs_since "$t0")" \
            "tools/linux/run-linux.sh --disk-only ($(cat "$BUILD/linux/kernel/kernel-version" 2>/dev/null))"
    else
        record linux-disk 0 1 "$(secs_since "$t0")" "preparing the Linux disk failed; last lines of $log:"
        tail -n 40 "$log" | indent
    fi
    t0=$(now_ns)
    log=$LOGS/linux-grub-disk.log
    if BUILD="$BUILD" bash tools/linux/run-linux.sh --disk-only --via-grub --engine bochs > "$log" 2>&1 &&
        cp --sparse=always -- "$BUILD/linux/grub/disk.img" "$OUT/linux-grub.img" >> "$log" 2>&1; then
        disk_ok[linux-grub]=1
        record linux-grub-disk 1 0 "$(secs_since "$t0")" \
            "tools/linux/run-linux.sh --disk-only --via-grub ($(grub-mkstandalone --version 2>/dev/null))"
    else
        record linux-grub-disk 0 1 "$(secs_since "$t0")" "preparing the GRUB Linux disk failed; last lines of $log:"
        tail -n 40 "$log" | indent
    fi
}
[ "$LINUX" -eq 0 ] || linux_disk

# ---- 5: integration boots, concurrently -----------------------------------------
# name engine cpus timeout kind checker-args
#   kind probe:   build/disk.img (the probe),      checked by check_boot.py
#   kind conform: build/test/conform.img,          checked by check_conform.py
#   kind crash:   build/test/crash.img,            checked by check_crash.py; it
#                 resets the platform, so run.sh stops on the reset line
#   kind linux:   build/test/linux.img,            checked by check_linux.py
#   kind linux-grub: build/test/linux-grub.img (GRUB starts the kernel),
#                 checked by check_linux.py --expect-grub
#   kind conform-baseline: build/test/conform-baseline.img (virtualize=no),
#                 checked by check_conform.py --baseline
#   kind native-init: build/disk.img with init_sipi=native: Bochs 2.7 delivers
#                 the first INIT and SIPI exits, then re-delivers the INIT
#                 forever; checked by check_native_init.py, stopped on that line
# Bochs boots get init_sipi=intercept from tools/run.sh unless a kind says
# otherwise; conform-1cpu runs native (one CPU: no INIT/SIPI at all).
BOOTS=(
    "bochs-1cpu bochs 1 $BOCHS_TIMEOUT probe --expect-cpus 1 --expect-timeline --expect-hv-log"
    "bochs-2cpu bochs 2 $BOCHS_TIMEOUT probe --expect-cpus 2 --expect-timeline --expect-hv-log"
    "qemu-tcg-2cpu qemu-tcg 2 $QEMU_TIMEOUT probe --expect-novmx"
    "conform-1cpu bochs 1 $BOCHS_TIMEOUT conform-native --expect-cpus 1 --expect-init-sipi native"
    "conform-2cpu bochs 2 $BOCHS_TIMEOUT conform --expect-cpus 2 --expect-init-sipi intercept"
    "conform-4cpu bochs 4 $BOCHS_TIMEOUT conform --expect-cpus 4 --expect-init-sipi intercept"
    "conform-baseline-1cpu bochs 1 $BOCHS_TIMEOUT conform-baseline --baseline"
    "native-init-2cpu bochs 2 $BOCHS_TIMEOUT native-init"
    "triple-fault-2cpu bochs 2 $BOCHS_TIMEOUT crash"
)
[ "$LINUX" -eq 0 ] || BOOTS+=("linux-2cpu bochs 2 $BOCHS_TIMEOUT linux --expect-cpus 2"
                             "linux-grub-2cpu bochs 2 $BOCHS_TIMEOUT linux-grub --expect-cpus 2 --expect-grub")

# One boot: copy the disk, run it, check it. Runs in a background subshell;
# SIGTERM is passed on to run.sh, which kills its emulator.
boot_job() {
    local name=$1 engine=$2 cpus=$3 timeout=$4 kind=$5
    shift 5
    local dir=$OUT/$name child rc t0 disk=$BUILD/disk.img checker=tools/tests/check_boot.py
    local -a stop=() mode=()
    case $kind in
        conform) disk=$OUT/conform.img; checker=tools/tests/check_conform.py ;;
        conform-native) disk=$OUT/conform.img; checker=tools/tests/check_conform.py; mode=(--init-sipi native) ;;
        conform-baseline) disk=$OUT/conform-baseline.img; checker=tools/tests/check_conform.py ;;
        native-init) checker=tools/tests/check_native_init.py; mode=(--init-sipi native)
                     stop=(--stop-on 'cannot be restarted as a guest') ;;
        crash) disk=$OUT/crash.img; checker=tools/tests/check_crash.py
               stop=(--stop-on 'resetting the platform') ;;
        linux) disk=$OUT/linux.img; checker=tools/tests/check_linux.py ;;
        linux-grub) disk=$OUT/linux-grub.img; checker=tools/tests/check_linux.py ;;
    esac
    t0=$(now_ns)
    rm -rf -- "$dir"
    mkdir -p -- "$dir"
    if ! cp --sparse=always -- "$disk" "$dir/disk.img" 2> "$dir/run.out"; then
        echo 1 > "$dir/.run-rc"
    else
        bash tools/run.sh --engine "$engine" --cpus "$cpus" --quiet --timeout "$timeout" "${stop[@]}" "${mode[@]}" \
            --disk "$dir/disk.img" --out "$dir" > "$dir/run.out" 2>&1 &
        child=$!
        trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; rm -f -- "$dir/disk.img" "$dir/disk.img.lock"; exit 130' TERM INT
        wait "$child"
        rc=$?
        trap - TERM INT
        echo "$rc" > "$dir/.run-rc"
    fi
    rm -f -- "$dir/disk.img" "$dir/disk.img.lock"      # 64 MiB each; the original stays
    python3 "$checker" --log "$dir" "$@" > "$dir/check.out" 2>&1
    echo $? > "$dir/.check-rc"
    secs_since "$t0" > "$dir/.secs"
}

# The disk a kind of boot uses (its disk_ok key), "probe" for build/disk.img.
disk_of() {
    case $1 in
        conform-native) echo conform ;;
        native-init) echo probe ;;
        *) echo "$1" ;;
    esac
}

job_pids=()
on_signal() {
    trap - INT TERM HUP
    echo "run_all: interrupted; stopping the emulators"
    for pid in "${job_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${job_pids[@]}"; do wait "$pid" 2>/dev/null; done
    echo "$total_pass passed, $((total_fail + 1)) failed"
    exit 130
}
trap on_signal INT TERM HUP

# The Linux boots take longest (minutes): they start now, before the host
# tests, and are collected with the other boots below.
early_linux=0       # how many started here
early_names=
if [ "$build_ok" -eq 1 ] && [ "$LINUX" -eq 1 ]; then
    for b in "${BOOTS[@]}"; do
        read -r early_name _engine _cpus _timeout early_kind _args <<<"$b"
        case $early_kind in linux|linux-grub) ;; *) continue ;; esac
        [ "${disk_ok[$early_kind]:-0}" -eq 1 ] || continue
        [ "$early_linux" -gt 0 ] || t_int=$(now_ns)
        echo "run_all: booting $early_name now (Bochs timeout ${BOCHS_TIMEOUT} s); logs in $OUT/$early_name/"
        # shellcheck disable=SC2086  # word splitting of the boot line is intended
        boot_job $b &
        job_pids+=($!)
        early_linux=$((early_linux + 1))
        early_names="$early_names${early_names:+ and }$early_name"
    done
fi

# ---- 3: host unit tests --------------------------------------------------------
t0=$(now_ns)
log=$LOGS/unit.log
make --no-print-directory BUILD="$BUILD" unit-test > "$log" 2>&1
rc=$?
line=$(grep -a -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed$/\1/')
    f=$(echo "$line" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed$/\2/')
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1     # non-zero exit with no failed check
    record unit "$p" "$f" "$(secs_since "$t0")" "make unit-test (checks in hv/tests)"
    # Failures and the summary; the "ok" lines are in the log.
    grep -a -v -E '^(ok |gcc |make(\[[0-9]+\])?: |'"$BUILD"'/host/unit_tests$)' "$log" | indent
else
    record unit 0 1 "$(secs_since "$t0")" "make unit-test gave no 'unit: N passed, M failed' line (exit $rc); last lines of $log:"
    tail -n 40 "$log" | indent
fi

# ---- 4: python tests ------------------------------------------------------------
t0=$(now_ns)
log=$LOGS/python.log
python3 -m unittest discover -s tools/tests -p 'test_*.py' -v > "$log" 2>&1
rc=$?
ran=$(grep -a -E '^Ran [0-9]+ tests? in ' "$log" | tail -n 1 | awk '{print $2}')
if [ -n "$ran" ]; then
    # Last line: "OK", "OK (skipped=2)" or "FAILED (failures=1, errors=2, ...)".
    verdict=$(grep -a -E '^(OK|FAILED)( \(.*\))?$' "$log" | tail -n 1)
    count() { echo "$verdict" | grep -o -E "(^|[ (])$1=[0-9]+" | grep -o -E '[0-9]+$' || echo 0; }
    failures=$(count failures); errors=$(count errors)
    unexpected=$(count 'unexpected successes'); skipped=$(count skipped)
    f=$((failures + errors + unexpected))
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
    p=$((ran - failures - errors - unexpected - skipped))
    [ "$p" -ge 0 ] || p=0
    record python "$p" "$f" "$(secs_since "$t0")" "unittest tools/tests/test_*.py: ran $ran, ${verdict:-no verdict line}"
    if [ "$f" -gt 0 ]; then
        grep -a -E ' \.\.\. (FAIL|ERROR|unexpected success)' "$log" | indent
        # The tracebacks (from the first ==== separator on).
        sed -n '/^======/,$p' "$log" | head -n 120 | indent
    fi
else
    record python 0 1 "$(secs_since "$t0")" "unittest gave no 'Ran N tests' line (exit $rc); last lines of $log:"
    tail -n 40 "$log" | indent
fi

# A step whose command ends with "N passed, M failed": its checks count one
# each; its PASS/FAIL lines are shown under it (and the log's tail on failure).
#   counted_step NAME DESCRIPTION COMMAND...
counted_step() {
    local name=$1 desc=$2 t0 log rc line p f
    shift 2
    t0=$(now_ns)
    log=$LOGS/$name.log
    "$@" > "$log" 2>&1
    rc=$?
    line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed}
        [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
        record "$name" "$p" "$f" "$(secs_since "$t0")" "$desc"
        grep -a -E '^(PASS|FAIL) ' "$log" | indent
        [ "$f" -eq 0 ] || tail -n 40 "$log" | indent
    else
        record "$name" 0 1 "$(secs_since "$t0")" "no 'N passed, M failed' line (exit $rc); last lines of $log:"
        tail -n 40 "$log" | indent
    fi
}

# ---- 4b: fuzzing, bounded ---------------------------------------------------------
# libFuzzer targets of hv/tests/fuzz/ for FUZZ_SECONDS each on a copy of their
# checked-in corpus; each target's PASS/FAIL counts as one check.
counted_step fuzz "tools/tests/run_fuzz.sh ${FUZZ_SECONDS:-5} s per target" \
    env BUILD="$BUILD" bash tools/tests/run_fuzz.sh "${FUZZ_SECONDS:-5}"

# ---- 4c: bad input -----------------------------------------------------------------
# What a user types wrong (NEXT= missing or not EFI, CPUS= too many, a bad
# exitvisor.cfg line, a next stage that returns): one clear line each, and
# one 1-CPU Bochs boot; in $BUILD/bad-input.
counted_step bad-input "tools/tests/check_bad_input.sh: make run/disk and run.sh refuse bad input" \
    env BUILD="$BUILD" bash tools/tests/check_bad_input.sh

if [ "$build_ok" -eq 1 ]; then
    [ "$early_linux" -gt 0 ] || t_int=$(now_ns)
    echo "run_all: booting $(( ${#BOOTS[@]} - early_linux )) machines concurrently$( [ "$early_linux" -eq 0 ] || echo " ($early_names already running)") (Bochs timeout ${BOCHS_TIMEOUT} s, QEMU ${QEMU_TIMEOUT} s); logs in $OUT/<name>/"
    for b in "${BOOTS[@]}"; do
        read -r _name _engine _cpus _timeout kind _args <<<"$b"
        [ "$(disk_of "$kind")" = probe ] || [ "${disk_ok[$(disk_of "$kind")]}" -eq 1 ] || continue
        case $kind in linux|linux-grub) continue ;; esac    # started early, above
        # shellcheck disable=SC2086  # word splitting of the boot line is intended
        boot_job $b &
        job_pids+=($!)
    done
    for pid in "${job_pids[@]}"; do wait "$pid"; done
    job_pids=()
    for b in "${BOOTS[@]}"; do
        read -r name engine cpus _timeout kind _args <<<"$b"
        if [ "$(disk_of "$kind")" != probe ] && [ "${disk_ok[$(disk_of "$kind")]}" -ne 1 ]; then
            record "$name" 0 1 0.0 "skipped: the $kind disk failed"
            continue
        fi
        dir=$OUT/$name
        run_rc=$(cat "$dir/.run-rc" 2>/dev/null || echo '?')
        status=$(cat "$dir/status.txt" 2>/dev/null || echo "no status.txt")
        secs=$(cat "$dir/.secs" 2>/dev/null || echo '?')
        line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/check.out" 2>/dev/null | tail -n 1)
        check_rc=$(cat "$dir/.check-rc" 2>/dev/null || echo 1)
        detail="$engine, $cpus vCPU(s): run.sh exit $run_rc ($status)"
        f=1
        if [ -n "$line" ]; then
            p=${line%% passed*}
            f=${line#*passed, }
            f=${f%% failed}
            [ "$check_rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
            record "$name" "$p" "$f" "$secs" "$detail"
            indent < "$dir/check.out"
        else
            record "$name" 0 1 "$secs" "$detail; the checker printed no summary"
            indent < "$dir/check.out" 2>/dev/null
        fi
        if [ "$f" -gt 0 ]; then
            echo "    --- run.sh output ($dir/run.out) ---"
            tail -n 30 "$dir/run.out" 2>/dev/null | indent
        fi
        echo "    logs: $dir/ (serial.txt, status.txt, $( [ "$engine" = bochs ] && echo bochs.log || echo qemu.log ), check.out)"
    done
    echo "run_all: the boots took $(secs_since "$t_int") s together"

    # What the conformance guest saw of the CPU, under exitvisor and without it.
    t0=$(now_ns)
    python3 tools/tests/check_transparency.py --baseline "$OUT/conform-baseline-1cpu" \
        --run "$OUT/conform-1cpu" --run "$OUT/conform-2cpu" --run "$OUT/conform-4cpu" > "$LOGS/transparency.log" 2>&1
    line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$LOGS/transparency.log" | tail -n 1)
    if [ -n "$line" ]; then
        p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed}
        record transparency "$p" "$f" "$(secs_since "$t0")" \
            "check_transparency.py: conform-{1,2,4}cpu against conform-baseline-1cpu (virtualize=no)"
    else
        record transparency 0 1 "$(secs_since "$t0")" "check_transparency.py printed no summary"
    fi
    indent < "$LOGS/transparency.log"

    # Every Bochs CPU model with VMX, and one without, two at a time after
    # the other boots (the machine has two cores): what each must show.
    # corei7_skylake_x is bochs-2cpu's model, booted above already.
    counted_step cpu-models "check_cpu_models.py: the probe on every Bochs CPU model (VMX or not)" \
        python3 tools/tests/check_cpu_models.py --disk "$BUILD/disk.img" --out "$OUT/cpu-models" \
            --skip corei7_skylake_x

    # The installer end to end (LINUX=1: it needs the Linux pieces): a QEMU
    # TCG Linux installs exitvisor into its own ESP and UEFI variables and
    # reboots through it once, then --permanent and --uninstall.
    if [ "$LINUX" -eq 1 ] && [ "${disk_ok[linux]:-0}" -eq 1 ]; then
        counted_step install-e2e "check_install.sh: tools/install.sh in a QEMU TCG Linux, five boots" \
            env BUILD="$BUILD" bash tools/tests/check_install.sh --timeout "$QEMU_TIMEOUT"
    elif [ "$LINUX" -eq 1 ]; then
        record install-e2e 0 1 0.0 "skipped: the linux disk failed"
    fi
else
    for b in "${BOOTS[@]}"; do
        read -r name _rest <<<"$b"
        record "$name" 0 1 0.0 "skipped: the build or the disk failed"
    done
fi
trap - INT TERM HUP

# ---- summary ----------------------------------------------------------------------
echo
echo "step            result  seconds  checks"
for row in "${table[@]}"; do
    IFS='|' read -r name verdict secs counts <<<"$row"
    printf '%-15s %-7s %7s  %s\n' "$name" "$verdict" "$secs" "$counts"
done
printf '%-15s %-7s %7s\n' "total" "" "$(secs_since "$run_start")"
echo "logs: $LOGS/ and $OUT/<boot>/"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
