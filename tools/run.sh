#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2317,SC2001  # "test && test || die" is intended (die exits); trap handlers look unreachable; sed prefixes lines
# run.sh — boot a disk image (made by tools/mkdisk.sh) with OVMF in an emulator and
# stream its serial console (COM1) until the guest ends the emulator or a timeout.
#
# Usage: tools/run.sh --disk IMG [--engine auto|bochs|qemu-kvm|qemu-tcg] [--cpus N]
#                     [--out DIR] [--timeout SECONDS] [--quiet] [--cpu-model NAME]
#   --engine   auto (default): qemu-kvm when /dev/kvm is usable read-write AND the host
#              CPU has the vmx flag (AND kvm_intel's nested parameter, if present, is
#              Y/1); otherwise bochs, the only engine here that emulates VMX.
#   --cpus     number of virtual CPUs (default 2): 1 to the smaller of exitvisor's
#              limit (EXV_MAX_VCPUS in hv/stats/exit_stats.h, 64) and the engine's: Bochs
#              2.7 at most 15 here (64 timer slots; each CPU takes 3, for its local
#              APIC, VMX preemption and MWAITX timers, and this machine's devices
#              take 19: 16 CPUs end in a PANIC "too many registered timers"); QEMU's
#              pc machine 255. Anything else is refused with one line.
#   --cpu-model NAME  the CPU Bochs emulates (bochs engine only; default
#              corei7_skylake_x): one of the models `bochs-bin -help cpu` lists,
#              e.g. core2_penryn_t9600 (VMX, but no IA32_EFER switching: exitvisor
#              falls back), corei5_lynnfield_750 (no unrestricted guest: the BSP
#              only), tigerlake, or p4_prescott_celeron_336 (no VMX at all); any
#              other name is refused with one line listing them. The matrix of
#              models: tools/tests/check_cpu_models.sh.
#   --disk     raw disk image (required)
#   --out      log directory (default: a new /tmp/exitvisor-run.XXXXXX); files:
#                serial.log  raw COM1 output        serial.txt  same, ANSI-stripped
#                engine.txt  engine name (one word)  status.txt  one line, see below
#                cmdline     the emulator command line
#                timeline.txt  every console line with the wall-clock second it
#                            appeared at ("12.3 exitvisor: ..."), counted from the
#                            emulator's start: where a boot's time goes
#                bochs: bochsrc, dbg.rc, bochs.log (bochs' log), bochs.out (its terminal)
#                qemu:  qemu.log (qemu's stdout+stderr), qemu-debug.log (-d cpu_reset)
#   --timeout  kill the emulator after this many seconds (default 300)
#   --quiet    do not stream the serial console to stdout (tests use this)
#   --stop-on REGEX  stop the emulator (status 0) once the serial console matches
#              REGEX (grep -E): for guests that never end it themselves
#   --no-stop-on-return  keep running after exitvisor reports that the next stage
#              returned to the firmware (or could not be loaded); by default the
#              run stops there (status "returned", exit status 3): nothing more
#              would happen but the firmware's boot menu until --timeout
#   --check    check the options (the --cpus limits included) and the engine
#              choice, print nothing, exit 0 or 1 with the one error line: for
#              `make run`, before it builds anything (with RUN_NAMES=make in the
#              environment the line names make's CPUS=, ENGINE=, TIMEOUT=)
#   --print-engine  print the engine --engine (auto) would use, one word, and exit
#   --init-sipi native|intercept  exitvisor's INIT/SIPI mode (init_sipi= in
#              \EFI\exitvisor\exitvisor.cfg). Default: intercept for the bochs engine
#              unless the disk's exitvisor.cfg already says, nothing for QEMU. Bochs
#              2.7 keeps INIT pending after an INIT VM exit, so a vCPU restarted by
#              a real INIT-SIPI-SIPI could never run again there. When the setting
#              changes, a copy of the disk ($out/boot-copy.img) is booted and the
#              original is left as it was.
# Environment: MEGS (guest RAM in MiB, default 512), BOCHS_IPS (default 200000000).
#
# Exit status:
#   0    the guest ended the emulator (bochs: shutdown port 0x8900 or a clean exit;
#        qemu: isa-debug-exit at port 0xf4, or guest power-off)
#   1    usage or setup error (bad option, missing disk/tool, unusable forced engine)
#   2    the emulator failed (bochs panic, triple fault (bochs; qemu-tcg), qemu or KVM
#        error, emulator killed by someone else)
#   3    the next stage returned to the firmware ("exitvisor: next stage returned,
#        EFI status 0x..."), or exitvisor could not load it ("cannot load the next
#        stage"); the emulator is stopped a second after that line, and one line
#        "run: the next stage returned ..." says so with the EFI status
#   124  timeout: the guest did not end the emulator within --timeout seconds
#   130  run.sh itself was interrupted (SIGINT/SIGTERM/SIGHUP); the emulator is killed
# status.txt holds "<ended|stopped|returned|timeout|panic|error|interrupted> <seconds> <engine> <detail>"
# ("returned ... EFI status 0x...": the line exitvisor printed, after "exitvisor: ").
# --stop-on wins over "returned" when its line shows first (or in the same moment).
#
# Messages from this script start with "run: " on stdout (errors on stderr), so they
# can be told apart from the streamed guest console.
set -euo pipefail

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
OVMF=/usr/share/ovmf/OVMF.fd            # 2 MiB image: the only size Bochs 2.7 accepts
VGABIOS=/usr/share/vgabios/vgabios.bin
BOCHS_CYL_BYTES=$((16 * 63 * 512))      # Bochs flat disks: whole 16x63 cylinders

die() { echo "run: error: $*" >&2; exit 1; }
say() { echo "run: $*"; }

# An option as the user typed it: make's variable when make asks (--check).
name() { if [ "${RUN_NAMES:-}" = make ]; then echo "$2"; else echo "$1"; fi; }

usage() { sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

is_uint() { case $1 in ''|*[!0-9]*) return 1;; esac; }

# --- options -------------------------------------------------------------------
engine=auto
cpus=2
disk=
out=
timeout_s=300
stop_on=
quiet=0
print_engine=0
check_only=0
stop_on_return=1
init_sipi=
init_sipi_why=
cpu_model=
while [ "$#" -gt 0 ]; do
    opt=$1
    case $opt in
        --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
        --engine|--cpus|--disk|--out|--timeout|--stop-on|--init-sipi|--cpu-model)
            [ "$#" -ge 2 ] || die "$opt needs a value"
            val=$2; shift 2 ;;
        *) val=; shift ;;
    esac
    case $opt in
        --engine)  engine=$val ;;
        --cpus)    cpus=$val ;;
        --disk)    disk=$val ;;
        --out)     out=$val ;;
        --timeout) timeout_s=$val ;;
        --quiet)   quiet=1 ;;
        --print-engine) print_engine=1 ;;
        --check)   check_only=1 ;;
        --no-stop-on-return) stop_on_return=0 ;;
        --stop-on) stop_on=$val ;;
        --init-sipi) init_sipi=$val ;;
        --cpu-model) cpu_model=$val ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$opt' (see --help)" ;;
    esac
done

case $init_sipi in ''|native|intercept) ;; *)
    die "--init-sipi must be native or intercept, not '$init_sipi'" ;; esac
case $engine in auto|bochs|qemu-kvm|qemu-tcg) ;; *)
    die "$(name --engine ENGINE=) must be auto, bochs, qemu-kvm or qemu-tcg, not '$engine'" ;; esac
is_uint "$cpus" && [ "$cpus" -ge 1 ] || die "$(name --cpus CPUS=) must be a whole number from 1 up, not '$cpus'"
cpus=$((10#$cpus))
is_uint "$timeout_s" && [ "$timeout_s" -ge 1 ] ||
    die "$(name --timeout TIMEOUT=) must be a positive number of seconds, not '$timeout_s'"
megs=${MEGS:-512}
is_uint "$megs" && [ "$megs" -ge 64 ] || die "MEGS must be an integer >= 64, not '$megs'"
ips=${BOCHS_IPS:-200000000}
is_uint "$ips" || die "BOCHS_IPS must be an integer, not '$ips'"
if [ "$print_engine" -eq 0 ] && [ "$check_only" -eq 0 ]; then
    [ -n "$disk" ] || die "--disk IMG is required"
    [ -f "$disk" ] || die "disk image '$disk' does not exist"
    disk=$(readlink -f -- "$disk")
    # Both emulators open the image read-write (Bochs would only say "could not open
    # hard drive image file").
    [ -r "$disk" ] && [ -w "$disk" ] || die "disk image '$disk' must be readable and writable by $(id -un)"
fi

# --- engine choice -------------------------------------------------------------
# /dev/kvm must open read-write (bash's <> does exactly that, O_RDWR).
kvm_usable() { [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; }
host_vmx()   { grep -qw vmx /proc/cpuinfo; }
# Absent parameter file = not a kvm_intel host we can judge; only a present "N" vetoes.
nested_ok()  {
    local f=/sys/module/kvm_intel/parameters/nested
    [ ! -e "$f" ] || case $(cat "$f") in Y|y|1) true ;; *) false ;; esac
}

if [ "$engine" = auto ]; then
    if kvm_usable && host_vmx && nested_ok; then
        engine=qemu-kvm
        why="/dev/kvm usable, host CPU has VMX, nested virtualization on"
    else
        engine=bochs
        if ! [ -e /dev/kvm ]; then detail="no /dev/kvm"
        elif ! kvm_usable; then detail="/dev/kvm is not openable read-write"
        elif ! host_vmx; then detail="host CPU has no vmx flag"
        else detail="kvm_intel nested=$(cat /sys/module/kvm_intel/parameters/nested)"
        fi
        why="no /dev/kvm with Intel VMX and nested=Y on this host: $detail"
    fi
else
    why="forced by --engine"
fi
if [ "$print_engine" -eq 1 ]; then
    echo "$engine"
    exit 0
fi

# --- how many CPUs: exitvisor's limit and the engine's ---------------------------
# exitvisor's from its header, so the two cannot drift apart.
exv_max=$(sed -n 's/^#define EXV_MAX_VCPUS[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' "$here/../hv/stats/exit_stats.h" 2>/dev/null | head -n 1)
exv_max=${exv_max:-64}
case $engine in
    # Bochs 2.7 (pc_system.h) has BX_MAX_TIMERS = 64; every CPU registers 3
    # (cpu/apic.cc) and the devices of the bochsrc below 19, so 16 CPUs panic at
    # start-up with "register_timer: too many registered timers".
    bochs) engine_max=15; engine_why="Bochs 2.7 has 64 timers, 3 per CPU, and this machine's devices use 19" ;;
    # qemu: "The max CPUs supported by machine 'pc-i440fx-7.2' is 255".
    *)     engine_max=255; engine_why="QEMU's pc machine" ;;
esac
cpus_name="$(name "--cpus " CPUS=)$cpus"
if [ "$cpus" -gt "$exv_max" ] && [ "$cpus" -gt "$engine_max" ]; then
    die "$cpus_name is too many: exitvisor supports at most $exv_max vCPUs (EXV_MAX_VCPUS) and the $engine engine at most $engine_max ($engine_why)"
elif [ "$cpus" -gt "$exv_max" ]; then
    die "$cpus_name is too many: exitvisor supports at most $exv_max vCPUs (EXV_MAX_VCPUS in hv/stats/exit_stats.h)"
elif [ "$cpus" -gt "$engine_max" ]; then
    die "$cpus_name is too many for the $engine engine: at most $engine_max ($engine_why)"
fi
# --- the CPU model (Bochs) ---------------------------------------------------------
# Checked against the models this Bochs itself lists (it prints them on stderr),
# so a typo fails here with the list, not as a Bochs PANIC in bochs.log.
bochs_cpu_models() {
    bochs-bin -help cpu 2>&1 | awk '/^Supported CPU models:/ { on = 1; next }
        on && NF == 1 { print; seen = 1; next }  on && seen && NF == 0 { exit }'
}
if [ -n "$cpu_model" ]; then
    [ "$engine" = bochs ] || die "--cpu-model is for the bochs engine only, not $engine"
    command -v bochs-bin >/dev/null || die "bochs-bin not found (run tools/deps.sh)"
    models=$(bochs_cpu_models)
    printf '%s\n' "$models" | grep -qxF -- "$cpu_model" ||
        die "--cpu-model '$cpu_model' is not a CPU model of this Bochs; it has: $(printf '%s' "$models" | tr '\n' ' ')"
fi
cpu_model_why=${cpu_model:+--cpu-model}
cpu_model=${cpu_model:-corei7_skylake_x}
[ "$check_only" -eq 0 ] || exit 0

case $engine in
    bochs)
        command -v bochs-bin >/dev/null || die "bochs-bin not found (run tools/deps.sh)"
        [ -f "$OVMF" ] || die "$OVMF not found (run tools/deps.sh)"
        [ -f "$VGABIOS" ] || die "$VGABIOS not found (run tools/deps.sh)"
        size=$(stat -c %s -- "$disk")
        [ $((size % BOCHS_CYL_BYTES)) -eq 0 ] && [ "$size" -gt 0 ] ||
            die "disk '$disk' is $size bytes, not a multiple of 16*63*512 = $BOCHS_CYL_BYTES; Bochs would refuse it (make it with tools/mkdisk.sh)"
        # bochsrc values are unquoted: refuse paths it would split.
        case $disk in *[[:space:],\"]*) die "Bochs cannot use a disk path with spaces, commas or quotes: '$disk'" ;; esac
        ;;
    qemu-*)
        command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run tools/deps.sh)"
        [ -f "$OVMF" ] || die "$OVMF not found (run tools/deps.sh)"
        ;;
esac
if [ "$engine" = qemu-kvm ]; then
    kvm_usable || die "--engine qemu-kvm needs /dev/kvm openable read-write, and it is not on this host (use --engine bochs or qemu-tcg)"
    host_vmx || echo "run: warning: host CPU has no vmx flag: the guest will see no VMX under qemu-kvm" >&2
fi

# --- output directory ----------------------------------------------------------
if [ -z "$out" ]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/exitvisor-run.XXXXXX")
else
    mkdir -p -- "$out" || die "cannot create --out directory '$out'"
fi
out=$(cd -- "$out" && pwd)
case $out in *[[:space:],\"]*)
    [ "$engine" = bochs ] && die "Bochs cannot use an --out path with spaces, commas or quotes: '$out'" ;; esac
# Stale logs from an earlier run would be streamed or parsed as if they were new.
rm -f -- "$out"/serial.log "$out"/serial.txt "$out"/bochs.log "$out"/bochs.out "$out"/bochsrc \
         "$out"/dbg.rc "$out"/qemu.log "$out"/engine.txt "$out"/status.txt "$out"/cmdline \
         "$out"/qemu-debug.log "$out"/.kvm-error "$out"/.stopped-on "$out"/.returned "$out"/timeline.txt
echo "$engine" > "$out/engine.txt"
say "engine $engine ($why)"
[ -z "$cpu_model_why" ] || say "cpu model $cpu_model ($cpu_model_why)"

# --- exitvisor's INIT/SIPI mode --------------------------------------------------
# The ESP of a tools/mkdisk.sh disk starts at LBA 2048 (1 MiB).
esp_cfg=::/EFI/exitvisor/exitvisor.cfg
rm -f -- "$out/boot-copy.img" "$out/boot-copy.img.lock" "$out/exitvisor.cfg"
if [ -z "$init_sipi" ] && [ "$engine" = bochs ]; then
    # Only a valid line: exitvisor reads a bad one as native, which Bochs cannot run.
    if mtype -i "$disk@@1M" "$esp_cfg" 2>/dev/null | tr -d '\r' |
            grep -qiE '^[[:space:]]*init_sipi[[:space:]]*=[[:space:]]*(native|intercept)[[:space:]]*$'; then
        say "init_sipi: as the disk's exitvisor.cfg says"
    else
        init_sipi=intercept
        init_sipi_why="Bochs 2.7 keeps INIT pending after an INIT VM exit"
    fi
fi
if [ -n "$init_sipi" ]; then
    if minfo -i "$disk@@1M" >/dev/null 2>&1; then
        { mtype -i "$disk@@1M" "$esp_cfg" 2>/dev/null | tr -d '\r' | grep -viE '^[[:space:]]*init_sipi[[:space:]]*=' || true
          echo "# added by tools/run.sh (${init_sipi_why:-forced by --init-sipi})"
          echo "init_sipi=$init_sipi"; } > "$out/exitvisor.cfg"
        cp --sparse=always -- "$disk" "$out/boot-copy.img"
        disk=$out/boot-copy.img
        mmd -i "$disk@@1M" ::/EFI ::/EFI/exitvisor 2>/dev/null || true
        mcopy -o -i "$disk@@1M" "$out/exitvisor.cfg" "$esp_cfg" ||
            die "cannot write $esp_cfg into the copy of the disk ($disk)"
        say "init_sipi=$init_sipi (${init_sipi_why:-forced by --init-sipi}): booting a copy of the disk, $disk"
    else
        echo "run: warning: '$disk' has no FAT file system at 1 MiB (not made by tools/mkdisk.sh?): exitvisor.cfg not changed, init_sipi stays as the disk says" >&2
    fi
fi

# --- emulator command ----------------------------------------------------------
case $engine in
    bochs)
        # A killed run leaves "<disk>.lock"; the next Bochs run would then panic with
        # "could not open hard drive image file". (Two runs sharing one image at the
        # same time are therefore not supported.)
        rm -f -- "$disk.lock"
        cat > "$out/bochsrc" <<EOF
# written by tools/run.sh
megs: $megs
romimage: file=$OVMF, address=0xffe00000
vgaromimage: file=$VGABIOS
cpu: model=$cpu_model, count=$cpus, ips=$ips, reset_on_triple_fault=0, ignore_bad_msrs=1
display_library: term
com1: enabled=1, mode=file, dev=$out/serial.log
pci: enabled=1, chipset=i440fx
clock: sync=none, time0=local
log: $out/bochs.log
debug: action=ignore
info: action=ignore
error: action=report
panic: action=fatal
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path=$disk, mode=flat
boot: disk
EOF
        # bochs-bin is built with its debugger and stops at a prompt: the rc file
        # answers "c" (continue) once.
        echo c > "$out/dbg.rc"
        # The "term" display library needs a terminfo entry even though its output
        # goes to bochs.out; do not depend on the caller's TERM (unset under setsid/CI).
        cmd=(env TERM=xterm bochs-bin -q -f "$out/bochsrc" -rc "$out/dbg.rc")
        emu_log=$out/bochs.out
        ;;
    qemu-kvm|qemu-tcg)
        if [ "$engine" = qemu-kvm ]; then accel=(-enable-kvm -cpu host)
        else accel=(-accel tcg -cpu max); fi
        # -nodefaults: no default CD-ROM (OVMF would try it first) and no NIC (no
        # iPXE/DHCP wait before the disk); -vga std puts back the one default we keep
        # (a GOP for the firmware). Commas in -drive file= must be doubled.
        # shellcheck disable=SC2054  # the commas are qemu's, not array separators
        cmd=(qemu-system-x86_64 -nodefaults -machine pc "${accel[@]}" -smp "$cpus" -m "$megs"
             -vga std -bios "$OVMF"
             -drive "file=${disk//,/,,},format=raw,if=ide"
             -serial "file:$out/serial.log"
             -display none -no-reboot -monitor none
             -device isa-debug-exit,iobase=0xf4,iosize=4
             -d cpu_reset -D "$out/qemu-debug.log")
        # -d cpu_reset: with -no-reboot a triple fault ends qemu with status 0 just
        # like a guest power-off; under TCG qemu logs "Triple fault" there, which
        # lets us call it a failure (under KVM it only logs the resets).
        emu_log=$out/qemu.log
        ;;
esac
printf '%q ' "${cmd[@]}" > "$out/cmdline"; echo >> "$out/cmdline"

# --- run -----------------------------------------------------------------------
emu_pid=
follow_pid=
start_ns=$(date +%s%N)
# Kill what we started and nothing else. timeout(1) puts itself in a new process
# group, so killing that group reaches the emulator too; KILL because Bochs ignores
# SIGTERM.
kill_emulator() {
    if [ -n "$emu_pid" ]; then
        kill -KILL -- "-$emu_pid" 2>/dev/null || kill -KILL "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
        emu_pid=
    fi
}
# The follower prints what is still unread when it gets SIGTERM, then exits.
stop_follower() {
    if [ -n "$follow_pid" ]; then
        kill -TERM "$follow_pid" 2>/dev/null || true
        wait "$follow_pid" 2>/dev/null || true
        follow_pid=
    fi
}
write_serial_txt() {
    if [ -f "$out/serial.log" ]; then
        python3 "$here/strip_ansi.py" < "$out/serial.log" > "$out/serial.txt"
    else
        : > "$out/serial.txt"
    fi
}
on_signal() {
    trap - INT TERM HUP
    kill_emulator
    [ "$engine" != bochs ] || rm -f -- "$disk.lock"
    stop_follower
    write_serial_txt || true
    echo "interrupted $(( ($(date +%s%N) - start_ns) / 1000000000 )) $engine run.sh was interrupted" > "$out/status.txt"
    # stdout, not stderr: the signal usually lands during the "wait" below, whose
    # stderr is /dev/null, and a trap inherits that redirection.
    say "interrupted; emulator killed; logs in $out"
    exit 130
}
trap 'kill_emulator; stop_follower' EXIT
trap on_signal INT TERM HUP

# The follower always writes the timeline; it also streams the console unless --quiet.
follow_args=(--timeline "$out/timeline.txt")
[ "$quiet" -eq 0 ] || follow_args+=(--quiet)
python3 "$here/strip_ansi.py" --follow "$out/serial.log" "${follow_args[@]}" < /dev/null &
follow_pid=$!

start_ns=$(date +%s%N)   # again: the clock starts with the emulator
# The emulator never gets our stdin (Bochs' term display would read keys from it)
# and runs from $out so anything it drops in its working directory lands there.
( cd "$out" && exec timeout -s KILL "$timeout_s" "${cmd[@]}" < /dev/null > "$emu_log" 2>&1 ) &
emu_pid=$!
# qemu-kvm: on a "KVM internal error" (or a failed VM entry) qemu pauses the VM but
# keeps running, which would only end at --timeout. A small watchdog kills it as soon
# as qemu reports that, and leaves a marker for the verdict below.
# --stop-on: a guest that never ends the emulator by itself (one that makes
# the platform reset, for instance) is stopped as soon as the serial console
# shows the expected line; a second later, so that what follows it lands too.
# The next stage returning to the firmware (or not loading at all) is the end
# of the run too: after it the firmware only shows its boot menu until
# --timeout. exitvisor stays as it is (the firmware keeps running as its
# guest); run.sh stops the emulator a second later, like --stop-on.
returned_re='exitvisor: (next stage returned, EFI status 0x[0-9a-fA-F]+|cannot load the next stage .*: EFI status 0x[0-9a-fA-F]+)'
stop_pid=
if [ -n "$stop_on" ] || [ "$stop_on_return" -eq 1 ]; then
    (
        while kill -0 "$emu_pid" 2>/dev/null; do
            # --stop-on first: a test that waits for a line wants "stopped".
            if [ -n "$stop_on" ] && grep -q -a -E -- "$stop_on" "$out/serial.log" 2>/dev/null; then
                kind=stopped
            elif [ "$stop_on_return" -eq 1 ] &&
                    line=$(grep -a -o -E -m 1 -- "$returned_re" "$out/serial.log" 2>/dev/null); then
                kind=returned
            else
                sleep 0.5
                continue
            fi
            sleep 1                 # let what follows the line land too
            # A --stop-on line that showed during that second still wins.
            if [ -n "$stop_on" ] && grep -q -a -E -- "$stop_on" "$out/serial.log" 2>/dev/null; then
                kind=stopped
            fi
            if [ "$kind" = stopped ]; then
                : > "$out/.stopped-on"
            else
                echo "${line#exitvisor: }" > "$out/.returned"
            fi
            kill -KILL -- "-$emu_pid" 2>/dev/null || true
            exit 0
        done
    ) < /dev/null &
    stop_pid=$!
fi
watch_pid=
if [ "$engine" = qemu-kvm ]; then
    (
        while kill -0 "$emu_pid" 2>/dev/null; do
            if grep -q -a -E 'KVM internal error|KVM: entry failed' "$emu_log" 2>/dev/null; then
                sleep 1                     # let qemu finish its register dump
                : > "$out/.kvm-error"
                kill -KILL -- "-$emu_pid" 2>/dev/null || true
                exit 0
            fi
            sleep 0.5
        done
    ) < /dev/null &
    watch_pid=$!
fi
st=0
# The braces silence bash's "Killed" job notice when timeout(1) kills its group.
{ wait "$emu_pid" || st=$?; } 2>/dev/null
emu_pid=
for pid in $watch_pid $stop_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
# A Bochs that was killed leaves its lock file; do not leave it for the next user.
[ "$engine" != bochs ] || [ "$st" -ne 137 ] || rm -f -- "$disk.lock"
end_ns=$(date +%s%N)
elapsed=$(( (end_ns - start_ns + 500000000) / 1000000000 ))

stop_follower
write_serial_txt

status() { echo "$*" > "$out/status.txt"; }

# The streamed console may end mid-line; keep our own messages on lines of their own.
if [ "$quiet" -eq 0 ] && [ -s "$out/serial.txt" ] && [ -n "$(tail -c 1 "$out/serial.txt")" ]; then
    echo
fi

# Panics first: a Bochs panic (action=fatal) ends Bochs, it is not a timeout.
# Bochs 2.7 reports the shutdown port itself as a panic
# (">>PANIC<< Shutdown port: shutdown requested" and "Bochs is exiting with the
# following message: [UNMAP ] Shutdown port: ..."): those lines are the success
# signal, not a failure, so they are filtered out here.
if [ "$engine" = bochs ]; then
    panic=$(grep -h -a -E 'PANIC' "$out/bochs.log" "$out/bochs.out" 2>/dev/null |
            grep -a -v 'Shutdown port: shutdown requested' |
            python3 "$here/strip_ansi.py" | sort -u | head -n 20 || true)
    if [ -n "$panic" ]; then
        echo "$panic" | sed 's/^/run: bochs: /'
        say "bochs PANIC after $elapsed s; logs in $out"
        status "panic $elapsed $engine $(echo "$panic" | head -n 1)"
        exit 2
    fi
fi

if [ -e "$out/.stopped-on" ]; then
    rm -f -- "$out/.stopped-on"
    say "stopped after $elapsed s: the serial console showed /$stop_on/ ($engine)"
    status "stopped $elapsed $engine $stop_on"
    exit 0
fi

if [ -e "$out/.returned" ]; then
    what=$(cat -- "$out/.returned")
    rm -f -- "$out/.returned"
    efi_status=$(echo "$what" | grep -o -E 'EFI status 0x[0-9a-fA-F]+' | tail -n 1)
    case $what in
        cannot\ load*) say "the next stage could not be loaded ($efi_status); exitvisor returned to the firmware; stopped the emulator after $elapsed s ($engine); logs in $out" ;;
        *) say "the next stage returned to the firmware with $efi_status; stopped the emulator after $elapsed s ($engine); logs in $out" ;;
    esac
    status "returned $elapsed $engine $what"
    exit 3
fi

if [ -e "$out/.kvm-error" ]; then
    rm -f -- "$out/.kvm-error"
    say "qemu-kvm stopped with a KVM internal error after $elapsed s (this host's KVM cannot run the guest); first lines of $emu_log:"
    head -n 12 "$emu_log" | sed 's/^/run: qemu: /'
    status "error $elapsed $engine KVM internal error"
    exit 2
fi

# timeout -s KILL reports 137 (128+SIGKILL); 124 covers a plain timeout too.
if { [ "$st" -eq 137 ] || [ "$st" -eq 124 ]; } && [ "$elapsed" -ge "$timeout_s" ]; then
    say "TIMEOUT after $elapsed s: the guest did not end the emulator; logs in $out"
    status "timeout $elapsed $engine"
    exit 124
fi
if [ "$st" -eq 137 ]; then
    say "the emulator was killed (SIGKILL) after $elapsed s, before the timeout; logs in $out"
    status "error $elapsed $engine killed by SIGKILL"
    exit 2
fi

case $engine in
    bochs)
        # Bochs exits with status 1 after "Shutdown" on port 0x8900 (via its panic
        # path, see above); the log line is the proof. A clean exit 0 without it
        # (e.g. the debugger quit) is also an end.
        if grep -q -a 'Shutdown port: shutdown requested' "$out/bochs.log" 2>/dev/null; then
            detail="shutdown port 0x8900"
        elif [ "$st" -eq 0 ]; then
            detail="bochs exited cleanly (no shutdown port request logged)"
        else
            say "bochs exited with status $st after $elapsed s without a shutdown request; last lines of its output:"
            tail -n 15 "$out/bochs.out" 2>/dev/null | python3 "$here/strip_ansi.py" | sed 's/^/run: bochs: /' || true
            tail -n 15 "$out/bochs.log" 2>/dev/null | sed 's/^/run: bochs.log: /' || true
            status "error $elapsed $engine bochs exit status $st"
            exit 2
        fi
        ;;
    qemu-*)
        # isa-debug-exit makes qemu exit with (value << 1) | 1; a guest power-off
        # (or reset, with -no-reboot) gives 0; qemu's own errors give 1 and print
        # "qemu-system-x86_64: <message>" (warnings say "warning:", not errors).
        qerr=$(grep -a '^qemu-system-x86_64: ' "$emu_log" 2>/dev/null | grep -v -i 'warning' || true)
        if [ -n "$qerr" ] || { [ $((st % 2)) -eq 0 ] && [ "$st" -ne 0 ]; }; then
            say "qemu failed with status $st after $elapsed s:"
            sed 's/^/run: qemu: /' "$emu_log" | tail -n 15
            status "error $elapsed $engine qemu exit status $st"
            exit 2
        fi
        if [ "$st" -eq 0 ] && grep -q -a '^Triple fault' "$out/qemu-debug.log" 2>/dev/null; then
            say "qemu: the guest triple-faulted after $elapsed s (see $out/qemu-debug.log); logs in $out"
            status "panic $elapsed $engine triple fault"
            exit 2
        fi
        if [ "$st" -eq 0 ]; then
            detail="guest power-off or reset, qemu status 0"
        else
            detail=$(printf 'isa-debug-exit value 0x%x, qemu status %d' $(( (st - 1) / 2 )) "$st")
        fi
        say "$detail"
        ;;
esac
status "ended $elapsed $engine $detail"
say "guest ended the emulator after $elapsed s ($engine)"
exit 0
