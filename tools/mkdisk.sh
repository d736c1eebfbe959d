#!/usr/bin/env bash
# mkdisk.sh OUT.img STAGING_DIR
#
# Build a raw, bootable UEFI disk image without root or loop devices:
#   - an MBR with ONE partition of type 0xEF (EFI System Partition) at LBA 2048,
#   - a FAT32 file system in it holding a recursive copy of STAGING_DIR
#     (e.g. STAGING_DIR/EFI/BOOT/BOOTX64.EFI -> \EFI\BOOT\BOOTX64.EFI).
# OVMF boots \EFI\BOOT\BOOTX64.EFI from such a disk, under Bochs and QEMU alike.
#
# The total size is an exact multiple of 16 heads x 63 sectors x 512 bytes because
# Bochs derives a CHS geometry from a flat image and refuses any other size.
# Default 130 cylinders = 67,092,480 bytes; override with CYLINDERS=N (>= 70, so that
# the partition holds the 65525 clusters FAT32 needs).
#
# Deterministic-ish: fixed disk signature, fixed volume id/label, mkfs.fat
# --invariant, and file times taken from SOURCE_DATE_EPOCH (default 0 -> mtools
# clamps to 1980) so the same staging tree gives the same bytes.
# Fast: the file system is written in place at its offset (mkfs.fat --offset,
# mtools "img@@offset"), the image is sparse, nothing is copied twice.
#
# Output: one line "mkdisk: wrote OUT (N bytes, ...)" on success; on any error a
# message starting "mkdisk: error:" on stderr and a non-zero exit; OUT is then
# left untouched (the image is built under a temporary name and renamed at the end).
set -euo pipefail

die() { echo "mkdisk: error: $*" >&2; exit 1; }

[ "$#" -eq 2 ] || die "usage: $0 OUT.img STAGING_DIR"
out=$1
staging=$2
[ -d "$staging" ] || die "staging directory '$staging' does not exist"
[ -n "$(ls -A "$staging")" ] || die "staging directory '$staging' is empty"
[ -f "$staging/EFI/BOOT/BOOTX64.EFI" ] ||
    echo "mkdisk: warning: '$staging' has no EFI/BOOT/BOOTX64.EFI; OVMF will not boot this disk" >&2

for t in mkfs.vfat mcopy mmd mtype python3; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found (run tools/deps.sh)"
done

# --- geometry --------------------------------------------------------------
heads=16
spt=63
cyls=${CYLINDERS:-130}
case $cyls in ''|*[!0-9]*) die "CYLINDERS must be a number, got '$cyls'";; esac
[ "$cyls" -ge 70 ] || die "CYLINDERS=$cyls is too small for FAT32 (need >= 70)"
[ "$cyls" -le 16383 ] || die "CYLINDERS=$cyls exceeds the CHS limit 16383"
total_sectors=$((cyls * heads * spt))
part_start=2048                                    # 1 MiB aligned, as the brief asks
part_sectors=$((total_sectors - part_start))
total_bytes=$((total_sectors * 512))
fs_kib=$((part_sectors / 2))                       # mkfs BLOCKS are 1 KiB units
[ $((part_sectors % 2)) -eq 0 ] || die "internal: odd partition sector count"

outdir=$(dirname -- "$out")
[ -d "$outdir" ] || die "output directory '$outdir' does not exist"
tmp=$(mktemp "$outdir/.mkdisk.XXXXXX") || die "cannot create a temporary file in '$outdir'"
# Remove the half-built image on any failure so a stale image is never mistaken
# for a good one.
trap 'rm -f -- "$tmp"' EXIT

# --- sparse image + MBR ------------------------------------------------------
truncate -s "$total_bytes" "$tmp"
# python3 writes the MBR: there is no sfdisk/parted without root-only packages on
# every host, and printf of binary bytes is fragile. CHS fields are filled from the
# same 16/63 geometry Bochs uses (LBA->CHS), which keeps picky firmware happy.
python3 - "$tmp" "$part_start" "$part_sectors" "$heads" "$spt" <<'EOF' || die "writing the MBR failed"
import struct, sys
path, start, count, heads, spt = sys.argv[1], *map(int, sys.argv[2:])

def chs(lba):
    c, rem = divmod(lba, heads * spt)
    h, s = divmod(rem, spt)
    if c > 1023:                      # beyond CHS range: use the conventional max
        c, h, s = 1023, heads - 1, spt - 1
    s += 1
    return bytes([h, ((c >> 2) & 0xC0) | s, c & 0xFF])

mbr = bytearray(512)
struct.pack_into("<I", mbr, 440, 0x45584954)   # disk signature 'EXIT' (fixed: deterministic)
entry = bytes([0x80]) + chs(start) + bytes([0xEF]) + chs(start + count - 1) \
        + struct.pack("<II", start, count)
mbr[446:462] = entry
mbr[510:512] = b"\x55\xaa"
with open(path, "r+b") as f:
    f.write(mbr)
EOF

# --- FAT32 written in place at the partition offset -------------------------
# -s 1 with 512-byte sectors keeps even the smallest allowed disk above the FAT32
# cluster minimum; -h records the partition start as hidden sectors (what a
# partitioned FAT32 must say); --invariant fixes the time-based fields.
if ! mkfs_log=$(mkfs.vfat -F 32 -S 512 -s 1 -h "$part_start" --offset="$part_start" \
        --invariant -i 45584954 -n EXITVISOR "$tmp" "$fs_kib" 2>&1); then
    die "mkfs.vfat failed: $mkfs_log"
fi

# --- copy the staging tree ---------------------------------------------------
# mtools addresses the partition as IMG@@BYTE_OFFSET. MTOOLS_SKIP_CHECK silences
# geometry sanity checks that do not apply to image files; MTOOLSRC=/dev/null keeps
# a user's ~/.mtoolsrc from changing behaviour. SOURCE_DATE_EPOCH makes the time
# stamps of created directories fixed (mcopy -m keeps files' own mtimes).
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800}   # 1980-01-01, FAT's epoch
img="$tmp@@$((part_start * 512))"

# Walk the tree ourselves (sorted, dotfiles included) instead of "mcopy -s dir/*":
# the glob would skip dotfiles and the order would depend on the locale; creating
# directories first and copying files one by one gives a clear message naming the
# file that failed (e.g. "Disk full").
(cd "$staging" && find -L . -mindepth 1 -print0 | LC_ALL=C sort -z) |
while IFS= read -r -d '' rel; do
    rel=${rel#./}
    src="$staging/$rel"
    if [ -d "$src" ]; then
        msg=$(mmd -i "$img" "::/$rel" 2>&1) || die "mmd ::/$rel failed: $msg"
    elif [ -f "$src" ]; then            # follows symlinks to files
        msg=$(mcopy -m -o -i "$img" "$src" "::/$rel" 2>&1) || die "mcopy $src -> ::/$rel failed: $msg"
    else
        die "'$src' is neither a regular file nor a directory (dangling symlink?)"
    fi
done || exit 1

# Sanity check: the boot file must be readable back through the partition.
if [ -f "$staging/EFI/BOOT/BOOTX64.EFI" ]; then
    want=$(stat -c %s "$staging/EFI/BOOT/BOOTX64.EFI")
    got=$(mtype -i "$img" ::/EFI/BOOT/BOOTX64.EFI 2>/dev/null | wc -c) ||
        die "cannot read back ::/EFI/BOOT/BOOTX64.EFI from the new image"
    [ "$want" = "$got" ] || die "read back ::/EFI/BOOT/BOOTX64.EFI as $got bytes, expected $want"
fi

# mktemp created the file 0600; give the image the mode a plain "> file" would get.
chmod "$(printf '%o' $((0666 & ~$(umask))))" "$tmp"
mv -f -- "$tmp" "$out"
trap - EXIT
echo "mkdisk: wrote $out ($total_bytes bytes, $cyls cylinders x $heads heads x $spt sectors, FAT32 ESP at LBA $part_start)"
