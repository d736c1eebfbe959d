#!/usr/bin/env bash
# check_install.sh — tools/install.sh end to end, as a user runs it: a Linux
# machine (QEMU TCG, OVMF with writable UEFI variables, a virtio disk whose
# ESP holds "the installed OS": Debian's cloud kernel and an initramfs with
# guest/linux/install-test-init as /init) runs the installer against its own
# ESP and variables and reboots; the next boot must go through exitvisor
# (under QEMU TCG it says "VMX not available" and chain-loads the same OS), the
# one after it must be the OS's own again; then --permanent, --uninstall.
# The phases are in guest/linux/install-test-init.
#
# Usage: tools/tests/check_install.sh [--out DIR] [--timeout S]
#   --out      work and log directory (default $BUILD/test/install-e2e)
#   --timeout  seconds for the whole reboot chain (default 300)
# Needs $BUILD/exitvisor.efi and the Linux pieces tools/linux/run-linux.sh
# --disk-only builds ($BUILD/linux/{exvprobe,poweroff-vm}, $BUILD/linux/kernel/):
# it runs that first when they are missing.
# Two QEMU runs share the variable store: "setup" (QEMU -kernel: writes the
# OS's own boot entry, as an OS installer does), then the OS booted by the
# firmware, rebooting itself through phases 1-5 until it powers off.
# Output: the checker's lines (tools/tests/check_install.py), ending in
# "N passed, M failed"; exit status 0 only if nothing failed.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/../.."

BUILD=${BUILD:-build}
out=$BUILD/test/install-e2e
timeout_s=300
while [ "$#" -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        *) echo "check_install: unknown option '$1'" >&2; exit 1 ;;
    esac
done
die() { echo "check_install: error: $*"; echo "0 passed, 1 failed"; exit 1; }

L=$BUILD/linux
if [ ! -f "$L/exvprobe" ] || [ ! -f "$L/poweroff-vm" ] || [ ! -f "$L/kernel/vmlinuz" ]; then
    BUILD=$BUILD bash tools/linux/run-linux.sh --disk-only --quiet > /dev/null || die "run-linux.sh --disk-only failed"
fi
[ -f "$BUILD/exitvisor.efi" ] || die "$BUILD/exitvisor.efi missing (make all)"
CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -f "$CODE" ] && [ -f "$VARS" ] || die "$CODE or $VARS missing (Debian package ovmf)"

rm -rf -- "$out"
mkdir -p -- "$out/esp/EFI/exvos" "$out/kx"

# The kernel modules the test OS needs for its disk, the ESP and efivarfs
# (the cloud kernel has them as modules), from the same kernel package.
kver=$(cat "$L/kernel/kernel-version")
dpkg-deb -x "$L"/kernel/debs/linux-image-"$kver"_*.deb "$out/kx" || die "cannot unpack the kernel package"
extras=(exv/install.sh=tools/install.sh "exv/exitvisor.efi=$BUILD/exitvisor.efi")
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
         fat vfat nls_cp437 nls_ascii efivarfs; do
    f=$(find "$out/kx/lib/modules" -name "$m.ko" | head -n 1)
    [ -n "$f" ] || die "module $m.ko not in the kernel package"
    extras+=("lib/modules/$m.ko=$f")
done
bash tools/linux/mkinitramfs.sh "$out/initrd.img" "$L/kernel/busybox" "$L/exvprobe" "$L/poweroff-vm" \
    guest/linux/install-test-init "${extras[@]}" > /dev/null || die "mkinitramfs failed"
rm -rf -- "$out/kx"

# The installed OS: its loader and initramfs on the ESP, its command line
# for the boot entry the setup run writes.
cmdline='initrd=\EFI\exvos\initrd.img console=ttyS0,115200 quiet loglevel=4 panic=-1'
cp "$L/kernel/vmlinuz" "$out/esp/EFI/exvos/vmlinuz.efi"
cp "$out/initrd.img" "$out/esp/EFI/exvos/initrd.img"
printf 'cmdline=%s\n' "$cmdline" > "$out/esp/EFI/exvos/cmdline.txt"
bash tools/mkdisk.sh "$out/disk.img" "$out/esp" 2>&1 | grep -v 'has no EFI/BOOT/BOOTX64.EFI' > /dev/null || true
[ -f "$out/disk.img" ] || die "mkdisk failed"
cp "$VARS" "$out/vars.fd"

qemu() {   # qemu LOGNAME [extra args]
    local log=$1; shift
    timeout -s KILL "$timeout_s" qemu-system-x86_64 -nodefaults -machine pc,accel=tcg -m 512 -smp 1 \
        -drive "if=pflash,format=raw,unit=0,readonly=on,file=$CODE" \
        -drive "if=pflash,format=raw,unit=1,file=$out/vars.fd" \
        -drive "file=$out/disk.img,format=raw,if=virtio" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -display none -serial "file:$out/$log" "$@" > "$out/$log.qemu" 2>&1
}
st=0
qemu setup.log -kernel "$L/kernel/vmlinuz" -initrd "$out/initrd.img" \
    -append "console=ttyS0,115200 quiet loglevel=4 panic=-1 exvtest=setup" || st=$?
echo "setup run: qemu exit $st" > "$out/status.txt"
st=0
qemu serial.log || st=$?
echo "reboot chain: qemu exit $st" >> "$out/status.txt"
python3 tools/strip_ansi.py < "$out/setup.log" > "$out/setup.txt" 2>/dev/null || cp "$out/setup.log" "$out/setup.txt"
python3 tools/strip_ansi.py < "$out/serial.log" > "$out/serial.txt" 2>/dev/null || cp "$out/serial.log" "$out/serial.txt"
rm -f -- "$out/disk.img" "$out/esp/EFI/exvos/vmlinuz.efi"
python3 tools/tests/check_install.py --setup "$out/setup.txt" --log "$out/serial.txt"
