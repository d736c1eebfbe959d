#!/usr/bin/env bash
# run-linux.sh — boot Debian's Linux as exitvisor's guest and count the boot.
#
# Usage: tools/linux/run-linux.sh [--cpus N] [--engine E] [--timeout S] [--out DIR]
#                                 [--append "ARGS"] [--quiet] [--disk-only] [--without-hypervisor]
#                                 [--via-grub]
#   --cpus     vCPUs of the emulated machine (default 2)
#   --engine   auto (default), bochs, qemu-kvm or qemu-tcg: as tools/run.sh
#   --timeout  give up after S seconds (default 600)
#   --out      log directory (default build/linux/run): serial.log, serial.txt, ...
#   --append   extra kernel parameters after the standard ones (e.g. "maxcpus=1")
#   --quiet    do not stream the serial console while it boots
#   --disk-only  steps 1-5 only: leave the disk in $BUILD/linux/disk.img (make test)
#   --without-hypervisor  the same boot with "virtualize=no" in exitvisor.cfg:
#              exitvisor installs the MADT (where the firmware has none) and starts
#              the kernel without entering VMX. The baseline for boot-time overhead;
#              the probe then finds no signature, which is expected.
#   --via-grub the way most installed systems start Linux: exitvisor starts GRUB
#              (a standalone grub-mkstandalone image, \EFI\grub\grubx64.efi), and
#              GRUB, as exitvisor's guest, reads \EFI\grub\grub.cfg on the ESP,
#              echoes "grub: booting Linux under exitvisor" to the serial line and
#              starts the same kernel, command line and initramfs. Its ESP and disk
#              are $BUILD/linux/grub/ (disk.img), the default log directory
#              $BUILD/linux/grub/run, so the plain disk stays as it is.
# Environment: BUILD (default build), plus tools/run.sh's MEGS and BOCHS_IPS.
#
# Steps (everything under $BUILD/linux/):
#   1. tools/deps.sh (the project's Debian packages), plus libc6-dev for static
#      linking (as root: installed with apt-get; otherwise the command is printed);
#   2. gcc -static: exvprobe (guest/linux/exvprobe.c + hv/stats/exit_names.c) and
#      poweroff-vm (guest/linux/poweroff-vm.c);
#   3. tools/linux/fetch-kernel.sh kernel/: Debian's linux-image-*-cloud-amd64 and
#      busybox-static via apt-get download (cached there after the first run);
#   4. tools/linux/mkinitramfs.sh initrd.img: busybox, guest/linux/init, the two programs;
#   5. the ESP in esp/: EFI/BOOT/BOOTX64.EFI = $BUILD/exitvisor.efi (built with
#      "make all" if missing), EFI/BOOT/vmlinuz.efi, EFI/BOOT/initrd.img and
#      EFI/exitvisor/exitvisor.cfg, which makes exitvisor start the kernel with
#        console=ttyS0,115200 initrd=\EFI\BOOT\initrd.img cryptomgr.notests quiet
#        loglevel=7 earlyprintk=serial,ttyS0,115200 idle=halt, and for the Bochs
#        engine tsc_early_khz=<BOCHS_IPS / 1000> (why: see kopts below)
#      then disk.img with tools/mkdisk.sh; with --via-grub, grub/esp/ holds the
#      same files plus EFI/grub/grubx64.efi and EFI/grub/grub.cfg, exitvisor.cfg
#      names GRUB instead, and the disk is grub/disk.img;
#   6. tools/run.sh boots it: OVMF, exitvisor, the kernel, /init (guest/linux/init),
#      which prints the exit table, one second of live rates, and ends the machine;
#   7. the init lines and the probe's table are printed again at the end, with
#      the wall-clock seconds (from the emulator's start, timeline.txt) at which
#      the kernel started, /init started and the machine ended; tools/exitlog.py
#      must find the table in the serial log (not with --without-hypervisor).
#
# Exit status: tools/run.sh's when it fails (1 setup, 2 emulator failure, 124
# timeout); 1 when the boot ended but the serial log holds no complete exit
# table; 0 otherwise.
set -euo pipefail

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

die() { echo "run-linux: error: $*" >&2; exit 1; }
say() { echo "run-linux: $*"; }
usage() { sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

cpus=2
engine=auto
timeout_s=600
build=${BUILD:-build}
out=
quiet=()
append=
virtualize=yes
disk_only=0
via_grub=0
while [ "$#" -gt 0 ]; do
    opt=$1
    case $opt in
        --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
        --cpus|--engine|--timeout|--out|--append)
            [ "$#" -ge 2 ] || die "$opt needs a value"
            val=$2; shift 2 ;;
        *) val=; shift ;;
    esac
    case $opt in
        --cpus)    cpus=$val ;;
        --engine)  engine=$val ;;
        --timeout) timeout_s=$val ;;
        --out)     out=$val ;;
        --append)  append=$val ;;
        --quiet)   quiet=(--quiet) ;;
        --without-hypervisor) virtualize=no ;;
        --disk-only) disk_only=1 ;;
        --via-grub) via_grub=1 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$opt' (see --help)" ;;
    esac
done
case $cpus in ''|*[!0-9]*|0) die "--cpus must be a positive integer, not '$cpus'" ;; esac
case $timeout_s in ''|*[!0-9]*|0) die "--timeout must be a positive number of seconds, not '$timeout_s'" ;; esac
case $engine in auto|bochs|qemu-kvm|qemu-tcg) ;; *)
    die "--engine must be auto, bochs, qemu-kvm or qemu-tcg, not '$engine'" ;; esac

B=$build/linux
# The kernel, initramfs and programs are shared; the ESP and disk are not, so
# that a GRUB disk never replaces the plain one (make test boots both).
D=$B
[ "$via_grub" -eq 0 ] || D=$B/grub
out=${out:-$D/run}
mkdir -p "$B" "$D"

# --- 1. host packages ----------------------------------------------------------
bash tools/deps.sh || die "missing host packages (see above)"
# gcc -static needs libc.a, which libc6-dev provides (gcc only recommends it).
libc_a=$(gcc -print-file-name=libc.a)
if [ "$libc_a" = libc.a ] || [ ! -f "$libc_a" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        say "libc.a missing (needed for gcc -static): installing libc6-dev"
        DEBIAN_FRONTEND=noninteractive apt-get install -y libc6-dev >&2 ||
            { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y libc6-dev >&2; } ||
            die "apt-get install libc6-dev failed"
    else
        echo "run-linux: gcc -static needs libc.a; install it with:" >&2
        echo "sudo apt-get install -y libc6-dev"
        exit 1
    fi
fi
for t in apt-get dpkg-deb; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found: fetching the kernel needs Debian's apt and dpkg"
done
if [ "$via_grub" -eq 1 ]; then
    if ! command -v grub-mkstandalone >/dev/null 2>&1 || [ ! -d /usr/lib/grub/x86_64-efi ]; then
        die "--via-grub needs grub-mkstandalone and GRUB's x86_64-efi modules (Debian package grub-efi-amd64-bin)"
    fi
fi

# --- 2. the guest programs ---------------------------------------------------------
if [ ! -f "$build/exitvisor.efi" ]; then
    say "$build/exitvisor.efi missing: make all"
    make --no-print-directory BUILD="$build" all
fi
GUEST_CFLAGS=(-static -O2 -Wall -Wextra -Werror -std=gnu11)
say "gcc -static: exvprobe, poweroff-vm"
gcc "${GUEST_CFLAGS[@]}" -I"$root" guest/linux/exvprobe.c guest/linux/exvprobe_stat.c guest/linux/exvprobe_timeline.c guest/linux/exvprobe_log.c \
    hv/stats/exit_names.c -o "$B/exvprobe"
gcc "${GUEST_CFLAGS[@]}" guest/linux/poweroff-vm.c -o "$B/poweroff-vm"

# --- 3. kernel and busybox (Debian packages, cached) --------------------------------
bash tools/linux/fetch-kernel.sh "$B/kernel"
kver=$(cat "$B/kernel/kernel-version")

# --- 4. initramfs -----------------------------------------------------------------
bash tools/linux/mkinitramfs.sh "$B/initrd.img" "$B/kernel/busybox" "$B/exvprobe" \
    "$B/poweroff-vm" guest/linux/init

# --- 5. ESP and disk --------------------------------------------------------------
# write_grub ESP OPTIONS: GRUB for --via-grub, laid out as Debian installs it: a
# standalone image whose own (memdisk) config only finds the ESP
# and reads the grub.cfg kept there, so the menu can be read and changed on
# the ESP without rebuilding the image.
write_grub() {
    local esp=$1 opts=$2 embedded word args=
    local -a words
    mkdir -p "$esp/EFI/grub"
    # GRUB's script language treats backslashes and spaces itself: every word
    # goes in single quotes, which GRUB takes literally. Its linux command then
    # escapes each backslash again, so the kernel reads
    # initrd=\\EFI\\BOOT\\initrd.img; no harm, since GRUB's initrd command is
    # what hands the kernel the initramfs here (the kernel frees the same
    # 1716K of it as without GRUB).
    read -r -a words <<<"$opts"
    for word in "${words[@]}"; do
        case $word in *"'"*) die "--via-grub: kernel options may not contain a single quote ($word)" ;; esac
        args="$args '$word'"
    done
    # Only the serial terminal: the firmware's console is the same COM1, and
    # output to both would print every GRUB line twice. This machine has no
    # graphics output protocol (the kernel's own EFI stub finds none either),
    # so GRUB's linux says "error: no suitable video mode found" and "Booting
    # in blind mode" (no framebuffer for the kernel, as without GRUB); no
    # gfxpayload setting avoids that on EFI.
    printf '%s\n' \
        "# written by tools/linux/run-linux.sh --via-grub: GRUB, as exitvisor's guest, starts Debian's kernel" \
        'serial --unit=0 --speed=115200' \
        'terminal_input serial' \
        'terminal_output serial' \
        'set timeout=0' \
        'set default=0' \
        "menuentry 'Linux under exitvisor' {" \
        "    echo 'grub: booting Linux under exitvisor'" \
        "    linux /EFI/BOOT/vmlinuz.efi$args" \
        '    initrd /EFI/BOOT/initrd.img' \
        '    boot' \
        '}' > "$esp/EFI/grub/grub.cfg"
    embedded=$(mktemp)
    # The prefix stays (memdisk)/boot/grub, where the modules are; only the
    # menu comes from the ESP.
    # shellcheck disable=SC2016  # $root is GRUB's variable, not the shell's
    printf '%s\n' \
        'search --no-floppy --set=root --file /EFI/grub/grub.cfg' \
        'configfile ($root)/EFI/grub/grub.cfg' > "$embedded"
    # Only the modules this boot needs (and what they depend on), no fonts,
    # locales or themes: a smaller image for the emulated disk to read.
    if ! grub-mkstandalone -O x86_64-efi -o "$esp/EFI/grub/grubx64.efi" \
            --modules="part_msdos fat search search_fs_file configfile" \
            --install-modules="normal configfile search search_fs_file part_msdos fat echo serial terminal linux boot" \
            --locales= --fonts= --themes= "boot/grub/grub.cfg=$embedded"; then
        rm -f -- "$embedded"
        die "grub-mkstandalone failed"
    fi
    rm -f -- "$embedded"
}
rm -rf -- "$D/esp"
mkdir -p "$D/esp/EFI/BOOT" "$D/esp/EFI/exitvisor"
cp "$build/exitvisor.efi" "$D/esp/EFI/BOOT/BOOTX64.EFI"
cp "$B/kernel/vmlinuz" "$D/esp/EFI/BOOT/vmlinuz.efi"
cp "$B/initrd.img" "$D/esp/EFI/BOOT/initrd.img"
case $append in *[[:cntrl:]]*) die "--append must be one line" ;; esac
# idle=halt: Linux would idle in MWAIT and wake an idle CPU by a store to the
# line it monitors, with no IPI. Bochs 2.7's MONITOR flushes the other CPUs'
# TLB entries for the monitored *physical* address as if it were a linear one,
# so a store through a TLB entry the waker already holds never wakes the
# MWAIT: with 2 CPUs, 1 boot in several stalled for good in stop_machine
# (clocksource switch), one CPU spinning, the other asleep with no timer armed.
# With HLT idle every wake-up is an IPI, which always arrives.
kopts='console=ttyS0,115200 initrd=\EFI\BOOT\initrd.img cryptomgr.notests quiet loglevel=7 earlyprintk=serial,ttyS0,115200 idle=halt'
# tsc_early_khz: Bochs' TSC counts emulated instructions (BOCHS_IPS a second,
# 200 MHz by default), but CPUID leaves 0x15/0x16 of its corei7_skylake_x say
# 3.5 GHz, and Linux believes them. Every TSC-based delay and timer then lasts
# 17.5 times too long in emulated time. Without a hypervisor Linux happens to
# avoid the worst of it: it turns the TSC-deadline timer off ("TSC_DEADLINE
# disabled due to Errata"); under any hypervisor (CPUID.1:ECX[31]) it skips
# that microcode check and arms every timer through TSC deadline, and then an
# idle guest second took ~48 s of Bochs and SMP bring-up 12 s instead of 2.
# Telling Linux the TSC's real rate makes both runs measure the same kernel
# (measured: README "A full Linux boot, counted").
[ "$engine" != auto ] || engine=$(bash tools/run.sh --print-engine)
if [ "$engine" = bochs ]; then
    kopts="$kopts tsc_early_khz=$(( ${BOCHS_IPS:-200000000} / 1000 ))"
fi
opts="$kopts${append:+ $append}"
if [ "$via_grub" -eq 0 ]; then
    # boot/next_stage.h: NEXT_STAGE_MAX 256 bytes for the options, NUL included.
    [ "${#opts}" -le 255 ] || die "kernel options too long for exitvisor.cfg (${#opts} > 255 characters): shorten --append"
    printf '%s\n' "# written by tools/linux/run-linux.sh: exitvisor starts Debian's kernel with its initramfs" \
        'next=\EFI\BOOT\vmlinuz.efi' "options=$opts" "virtualize=$virtualize" > "$D/esp/EFI/exitvisor/exitvisor.cfg"
else
    write_grub "$D/esp" "$opts"
    printf '%s\n' "# written by tools/linux/run-linux.sh --via-grub: exitvisor starts GRUB, which starts Debian's kernel" \
        'next=\EFI\grub\grubx64.efi' "virtualize=$virtualize" > "$D/esp/EFI/exitvisor/exitvisor.cfg"
fi
bash tools/mkdisk.sh "$D/disk.img" "$D/esp"
if [ "$disk_only" -eq 1 ]; then
    say "disk ready: $D/disk.img (kernel $kver, virtualize=$virtualize$( [ "$via_grub" -eq 0 ] || echo ", via GRUB"))"
    exit 0
fi

# --- 6. boot ----------------------------------------------------------------------
via=
[ "$via_grub" -eq 0 ] || via=" via GRUB"
if [ "$virtualize" = yes ]; then
    say "booting Linux $kver$via under exitvisor: $cpus vCPUs, engine $engine, timeout ${timeout_s} s"
else
    say "booting Linux $kver$via WITHOUT the hypervisor (virtualize=no): $cpus CPUs, engine $engine, timeout ${timeout_s} s"
fi
st=0
bash tools/run.sh --engine "$engine" --cpus "$cpus" --timeout "$timeout_s" \
    --disk "$D/disk.img" --out "$out" "${quiet[@]}" || st=$?

# --- 7. summary -------------------------------------------------------------------
serial=$out/serial.txt
echo
say "---- summary ($out) ----"
if [ -f "$out/status.txt" ]; then
    say "status: $(cat "$out/status.txt")"
fi
if [ -s "$serial" ]; then
    # init's lines, every probe line, and the table rows between the header and
    # the end line (other console output interleaved there is skipped).
    awk '
        /probe: exit table \(/ { intab = 1 }
        /^init: / { print; next }
        /probe: / { print substr($0, index($0, "probe: ")); next }
        intab && /^ +(nr|total|[0-9]+) / { print }
        /probe: exit table end/ { intab = 0 }
    ' "$serial"
fi
# Wall-clock seconds from the emulator's start to a console line (timeline.txt).
seen_at() { awk -v re="$1" '{ t = $1; sub(/^[^ ]* /, "") } $0 ~ re { print t " s"; found = 1; exit }
                            END { if (!found) print "never" }' "$out/timeline.txt" 2>/dev/null || echo never; }
if [ -f "$out/timeline.txt" ]; then
    [ "$via_grub" -eq 0 ] || say "wall clock: GRUB said '$(grep -a -m1 '^grub: ' "$serial" 2>/dev/null | tr -d '\r')'" \
        "at $(seen_at '^grub: ')"
    say "wall clock: kernel started $(seen_at '^\\[ +0\\.000000\\] Linux version'), /init started" \
        "$(seen_at '^init: up'), /init done $(seen_at '^init: done'), emulator ended after" \
        "$(awk '{ print $2 " s" }' "$out/status.txt" 2>/dev/null)"
fi
if [ "$st" -ne 0 ]; then
    if [ -s "$serial" ]; then
        say "last lines of the console:"
        tail -n 8 "$serial" | sed 's/^/  | /'
    fi
    say "tools/run.sh failed with status $st; logs in $out"
    exit "$st"
fi
if [ "$virtualize" = no ]; then
    say "kernel $kver, $cpus CPUs, engine $(cat "$out/engine.txt" 2>/dev/null || echo "$engine"), without the" \
        "hypervisor; logs in $out"
    exit 0
fi
if ! python3 tools/exitlog.py "$out/serial.log" > /dev/null; then
    say "the boot ended but tools/exitlog.py found no complete exit table in $out/serial.log"
    exit 1
fi
say "kernel $kver, $cpus vCPUs, engine $(cat "$out/engine.txt" 2>/dev/null || echo "$engine"):" \
    "exit table parsed by tools/exitlog.py; logs in $out"
