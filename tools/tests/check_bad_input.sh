#!/usr/bin/env bash
# check_bad_input.sh — bad input ends a run with one clear line (issue 11, part 5).
#
#   tools/tests/check_bad_input.sh
#
# Runs the commands a user types and checks their one-line messages, exit
# statuses and, for the one boot, the serial console:
#   make-missing-next     make run NEXT=missing.efi      one line, no build, exit != 0
#   disk-missing-next     make disk NEXT=missing.efi     the same for make disk
#   make-text-next        make run NEXT=<a text file named .efi>: "not an EFI application"
#   make-not-dot-efi      make run NEXT=README.md        the name must end in .efi
#   make-good-next        make -n run NEXT=$BUILD/crash.efi: a real EFI application passes
#   make-cpus-65          make run CPUS=65               names exitvisor's limit, 64
#   make-long-options     make run OPTIONS=<4,100 characters>: names the limit, 4095
#   run-cpus-0            tools/run.sh --cpus 0          exit 1, one line
#   run-cpus-word         tools/run.sh --cpus two        exit 1, one line
#   run-bochs-cpus-16     tools/run.sh --engine bochs --cpus 16: names Bochs' limit, 15
#   boot-*                one Bochs boot, 1 CPU, of a disk whose exitvisor.cfg has an
#                         over-long options= line, then virtualize=no, then a
#                         3,000-character options= line without --poweroff: the bad
#                         line is reported with its number, the good ones apply
#                         (no hypervisor, the long options reach the probe), the
#                         probe returns to the firmware and run.sh stops at once
#                         with exit status 3 and status "returned" (about 20-40 s)
# Prints "PASS <name>" or "FAIL <name>: why" per check and ends with
# "N passed, M failed"; exit status 0 only if M is 0.
#
# Environment: BUILD (default build-badinput; `make all` is run in it first),
# BOOT_TIMEOUT (default 300 s; the boot must end long before it).
set -uo pipefail
exec </dev/null

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

BUILD=${BUILD:-build-badinput}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
OUT=$BUILD/bad-input
rm -rf -- "$OUT"
mkdir -p -- "$OUT" || exit 2

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# check NAME CONDITION-STATUS WHY
check() { if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }

# expect_one_line NAME EXPECTED-RC-TEST MUST-CONTAIN... -- COMMAND...
# Runs COMMAND (stdout and stderr together), wants exactly one line of output
# holding every MUST-CONTAIN text, and an exit status for which
# "[ $rc EXPECTED-RC-TEST ]" holds (e.g. "-ne 0", "-eq 1").
expect_one_line() {
    local name=$1 rc_test=$2 out rc lines
    shift 2
    local -a want=()
    while [ "$1" != -- ]; do want+=("$1"); shift; done
    shift
    out=$("$@" 2>&1)
    rc=$?
    echo "$out" > "$OUT/$name.out"
    lines=$(printf '%s\n' "$out" | grep -c .)
    if ! test "$rc" "${rc_test% *}" "${rc_test#* }"; then
        fail "$name" "exit status $rc, wanted $rc_test; output: $(head -c 300 <<<"$out")"
        return
    fi
    if [ "$lines" -ne 1 ]; then
        fail "$name" "$lines lines of output, wanted one: $(head -c 400 <<<"$out")"
        return
    fi
    for w in "${want[@]}"; do
        if ! grep -q -F -- "$w" <<<"$out"; then
            fail "$name" "the line does not say '$w': $out"
            return
        fi
    done
    pass "$name"
    echo "    $out"
}

t_start=$(date +%s)

# The build first, so that the make checks below can show they build nothing.
if ! make --no-print-directory BUILD="$BUILD" all > "$OUT/build.log" 2>&1; then
    fail build "make BUILD=$BUILD all failed; see $OUT/build.log"
    echo "$passed passed, $failed failed"
    exit 1
fi

stamp() { stat -c %Y -- "$BUILD/disk.img" 2>/dev/null || echo none; }
disk_before=$(stamp)

m=(make --no-print-directory BUILD="$BUILD")
expect_one_line make-missing-next "-ne 0" "NEXT=missing.efi: no such file" -- "${m[@]}" run NEXT=missing.efi
expect_one_line disk-missing-next "-ne 0" "disk: error: NEXT=missing.efi: no such file" -- "${m[@]}" disk NEXT=missing.efi
printf 'this is not a program\n' > "$OUT/notes.efi"
expect_one_line make-text-next "-ne 0" "NEXT=$OUT/notes.efi" "not an EFI application" "text file" -- \
    "${m[@]}" run NEXT="$OUT/notes.efi"
expect_one_line make-not-dot-efi "-ne 0" "NEXT=README.md" "must end in .efi" -- "${m[@]}" run NEXT=README.md
expect_one_line make-cpus-65 "-ne 0" "CPUS=65 is too many" "at most 64" -- "${m[@]}" run CPUS=65
long=$(head -c 4100 /dev/zero | tr '\0' o)
expect_one_line make-long-options "-ne 0" "OPTIONS=" "4100 characters" "at most 4095" -- "${m[@]}" run OPTIONS="$long"
check no-disk-built "$([ "$(stamp)" = "$disk_before" ]; echo $?)" "$BUILD/disk.img changed: a refused make run built a disk"
# A real EFI application is not refused (make -n: nothing is run).
"${m[@]}" -n run NEXT="$BUILD/crash.efi" > "$OUT/make-good-next.out" 2>&1
check make-good-next $? "make -n run NEXT=$BUILD/crash.efi failed: $(head -n 3 "$OUT/make-good-next.out")"

printf 'x' > "$OUT/dummy.img"
expect_one_line run-cpus-0 "-eq 1" "run: error: --cpus" "'0'" -- bash tools/run.sh --cpus 0 --disk "$OUT/dummy.img"
expect_one_line run-cpus-word "-eq 1" "run: error: --cpus" "'two'" -- bash tools/run.sh --cpus two --disk "$OUT/dummy.img"
expect_one_line run-bochs-cpus-16 "-eq 1" "--cpus 16 is too many for the bochs engine" "at most 15" -- \
    bash tools/run.sh --engine bochs --cpus 16 --disk "$OUT/dummy.img"

# ---- the boot: one bad config line among good ones, and a next stage that returns ----
stage=$OUT/esp
opts3000="--long $(head -c 2993 /dev/zero | tr '\0' L)"
mkdir -p -- "$stage/EFI/BOOT" "$stage/EFI/exitvisor" &&
    cp -- "$BUILD/exitvisor.efi" "$stage/EFI/BOOT/BOOTX64.EFI" &&
    cp -- "$BUILD/probe.efi" "$stage/EFI/exitvisor/probe.efi" &&
    printf '%s\n' '# written by tools/tests/check_bad_input.sh' 'next=\EFI\exitvisor\probe.efi' \
        "options=--poweroff $(head -c 4200 /dev/zero | tr '\0' x)" 'virtualize=no' "options=$opts3000" \
        > "$stage/EFI/exitvisor/exitvisor.cfg" &&
    bash tools/mkdisk.sh "$OUT/boot.img" "$stage" > "$OUT/mkdisk.log" 2>&1
rc=$?
check boot-disk "$rc" "making the disk failed; see $OUT/mkdisk.log"
if [ "$rc" -eq 0 ]; then
    boot=$OUT/boot
    mkdir -p -- "$boot"
    t0=$(date +%s)
    bash tools/run.sh --engine bochs --cpus 1 --quiet --timeout "$BOOT_TIMEOUT" --disk "$OUT/boot.img" \
        --out "$boot" > "$boot/run.out" 2>&1
    rc=$?
    secs=$(( $(date +%s) - t0 ))
    rm -f -- "$OUT/boot.img" "$boot/boot-copy.img"      # 64 MiB each
    serial=$boot/serial.txt
    status=$(cat "$boot/status.txt" 2>/dev/null || echo "no status.txt")
    has() { grep -q -a -E -- "$1" "$2" 2>/dev/null; }
    check boot-exit-3 "$([ "$rc" -eq 3 ]; echo $?)" "run.sh exit status $rc, wanted 3 (status: $status)"
    check boot-status-returned "$(case $status in "returned "*"next stage returned, EFI status 0x"*) echo 0 ;; *) echo 1 ;; esac)" \
        "status.txt is '$status'"
    check boot-run-line "$(has '^run: the next stage returned to the firmware with EFI status 0x[0-9a-fA-F]+; stopped the emulator' "$boot/run.out"; echo $?)" \
        "no 'run: the next stage returned ...' line in $boot/run.out"
    check boot-ends-at-once "$([ "$secs" -lt $((BOOT_TIMEOUT / 2)) ]; echo $?)" \
        "took $secs s of a $BOOT_TIMEOUT s timeout"
    check boot-bad-line-reported "$(has '^exitvisor: \\EFI\\exitvisor\\exitvisor.cfg line 3: options= is longer than 4095 characters' "$serial"; echo $?)" \
        "no 'exitvisor.cfg line 3: options= is longer than 4095 characters' line"
    check boot-bad-line-count "$(has 'exitvisor.cfg: 1 bad line skipped; the other lines apply' "$serial"; echo $?)" \
        "no '1 bad line skipped' line"
    check boot-virtualize-no-applies "$(has 'virtualize=no in .*: the next stage runs without the hypervisor' "$serial" &&
        ! has '^exitvisor: (cpu [0-9]+ apic|[0-9]+ of [0-9]+ cpus launched)' "$serial"; echo $?)" "virtualize=no after the bad line did not apply"
    check boot-long-options-passed "$(has '^exitvisor: next stage \\EFI\\exitvisor\\probe.efi options "--long L+\.\.\." \(from config file; 3000 characters, the first 100 shown\)' "$serial"; echo $?)" \
        "no 'next stage ... options \"--long LLL...\" (from config file; 3000 characters ...)' line"
    check boot-probe-ran-unvirtualized "$(has '^probe: .*(no exitvisor signature|without the hypervisor|signature not found)' "$serial"; echo $?)" \
        "the probe did not report that it ran without exitvisor"
    check boot-probe-returned "$(has '^exitvisor: next stage returned, EFI status 0x' "$serial" &&
        ! has 'probe: --poweroff' "$serial"; echo $?)" "the probe did not return (or powered off)"
    echo "    boot: $secs s, run.sh exit $rc, status: $status; logs in $boot/"
fi

echo "check_bad_input: $(( $(date +%s) - t_start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
