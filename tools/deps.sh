#!/usr/bin/env bash
# shellcheck disable=SC2001  # sed indents multi-line lists
# deps.sh — make sure every host tool/file exitvisor's build and test runs need is here.
#
#   all present            -> exit 0, prints nothing (so "make" stays quiet)
#   missing, running as root -> apt-get update + apt-get install the Debian packages,
#                             re-check, exit 0 if now complete, else list what is
#                             still missing and exit 1
#   missing, not root      -> print what is missing and the one "sudo apt-get install"
#                             line to fix it, exit 1
#
# Every check names the Debian package that provides it, so a missing item always
# maps to something installable. The full package list is installed (not just the
# missing ones) because apt skips what is already there and the list is short.
set -euo pipefail

PACKAGES="bochs bochsbios vgabios bochs-term ovmf qemu-system-x86 gnu-efi nasm mtools dosfstools python3 python3-matplotlib clang libclang-rt-14-dev gcc libc6-dev make grub-efi-amd64-bin"

# "kind:name:package": cmd = executable on PATH, file = path that must exist.
# bochs-term provides the "term" display library our headless bochsrc uses; it is
# a plugin file, not a command, so it is checked as a file.
CHECKS="
cmd:bochs-bin:bochs
file:/usr/share/bochs/BIOS-bochs-latest:bochsbios
file:/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so.0.0.0:bochs-term
file:/usr/share/ovmf/OVMF.fd:ovmf
file:/usr/share/OVMF/OVMF_CODE_4M.fd:ovmf
file:/usr/share/OVMF/OVMF_VARS_4M.fd:ovmf
file:/usr/share/vgabios/vgabios.bin:vgabios
cmd:qemu-system-x86_64:qemu-system-x86
cmd:nasm:nasm
cmd:gcc:gcc
file:/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev
cmd:make:make
file:/usr/lib/crt0-efi-x86_64.o:gnu-efi
file:/usr/lib/elf_x86_64_efi.lds:gnu-efi
file:/usr/include/efi/efi.h:gnu-efi
cmd:mcopy:mtools
cmd:mmd:mtools
cmd:mkfs.vfat:dosfstools
cmd:python3:python3
file:/usr/lib/python3/dist-packages/matplotlib/__init__.py:python3-matplotlib
cmd:clang:clang
file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
cmd:timeout:coreutils
cmd:grub-mkstandalone:grub-common
file:/usr/lib/grub/x86_64-efi/linux.mod:grub-efi-amd64-bin
"

# Prints "item (package)" for each missing item; prints nothing if all are present.
missing() {
    local line kind name pkg
    for line in $CHECKS; do
        IFS=: read -r kind name pkg <<<"$line"
        case $kind in
            cmd)  command -v "$name" >/dev/null 2>&1 || echo "$name ($pkg)" ;;
            file) [ -e "$name" ] || echo "$name ($pkg)" ;;
        esac
    done
}

# mkfs.vfat lives in /usr/sbin, which a non-root PATH may lack; accept it there.
PATH=$PATH:/usr/sbin:/sbin

miss=$(missing)
[ -z "$miss" ] && exit 0

echo "deps: missing:" >&2
echo "$miss" | sed 's/^/  /' >&2

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: install them with:" >&2
    echo "sudo apt-get install -y $PACKAGES"
    exit 1
fi

echo "deps: installing: $PACKAGES" >&2
# apt output goes to stderr so a caller capturing stdout is not flooded.
apt-get update >&2
# shellcheck disable=SC2086  # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive apt-get install -y $PACKAGES >&2

miss=$(missing)
if [ -n "$miss" ]; then
    echo "deps: still missing after apt-get install:" >&2
    echo "$miss" | sed 's/^/  /' >&2
    exit 1
fi
echo "deps: all host dependencies installed" >&2
