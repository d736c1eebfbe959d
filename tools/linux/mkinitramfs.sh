#!/usr/bin/env bash
# mkinitramfs.sh OUT.img BUSYBOX EXVPROBE POWEROFF INIT [DEST=SRC ...]
#
# Build the Linux guest's initramfs: a gzip-compressed cpio archive in the "newc"
# format the kernel unpacks, written by a small Python function (no cpio package,
# no root: the device nodes are just header fields). Contents:
#   /init                 INIT (mode 0755)
#   /bin/busybox          BUSYBOX (static), and symlinks to it:
#   /bin/{sh,mount,cat,grep,sleep,echo,ls,dmesg,uname,head}
#   /bin/exvprobe         EXVPROBE (static)
#   /bin/poweroff-vm      POWEROFF (static)
#   /dev/console          character device 5,1   (the kernel opens it for init)
#   /dev/ttyS0            character device 4,64
#   /proc /sys /dev /bin  directories
#   DEST                  SRC, for each extra DEST=SRC (mode 0755; its directories
#                         are made): e.g. lib/modules/vfat.ko=/path/vfat.ko
# Reproducible: every entry belongs to root:root with mtime SOURCE_DATE_EPOCH
# (default 0), entries are in a fixed order and the gzip header has no time stamp,
# so the same inputs give the same bytes.
#
# Output: "mkinitramfs: wrote OUT (N bytes, K entries)"; errors start with
# "mkinitramfs: error:" on stderr, exit 1, and OUT is left untouched.
set -euo pipefail

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[ "$#" -ge 5 ] || die "usage: $0 OUT.img BUSYBOX EXVPROBE POWEROFF INIT [DEST=SRC ...]"
out=$1
for f in "$2" "$3" "$4" "$5"; do
    [ -f "$f" ] || die "'$f' does not exist or is not a file"
done
for extra in "${@:6}"; do
    case $extra in
        /*|*..*|=*|*=) die "extra '$extra' is not DEST=SRC with a relative DEST" ;;
        *=*) [ -f "${extra#*=}" ] || die "'${extra#*=}' does not exist or is not a file" ;;
        *) die "extra '$extra' is not DEST=SRC" ;;
    esac
done
command -v python3 >/dev/null 2>&1 || die "python3 not found"
outdir=$(dirname -- "$out")
[ -d "$outdir" ] || die "output directory '$outdir' does not exist"

python3 - "$@" <<'EOF' || die "writing $out failed"
import gzip, os, stat, sys

out, busybox, exvprobe, poweroff, init = sys.argv[1:6]
mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
APPLETS = ["sh", "mount", "cat", "grep", "sleep", "echo", "ls", "dmesg", "uname", "head"]

def read(path):
    with open(path, "rb") as f:
        return f.read()

# (name, mode, data, rdev major, rdev minor)
entries = [
    ("bin", stat.S_IFDIR | 0o755, b"", 0, 0),
    ("dev", stat.S_IFDIR | 0o755, b"", 0, 0),
    ("proc", stat.S_IFDIR | 0o755, b"", 0, 0),
    ("sys", stat.S_IFDIR | 0o755, b"", 0, 0),
    ("dev/console", stat.S_IFCHR | 0o600, b"", 5, 1),
    ("dev/ttyS0", stat.S_IFCHR | 0o660, b"", 4, 64),
    ("init", stat.S_IFREG | 0o755, read(init), 0, 0),
    ("bin/busybox", stat.S_IFREG | 0o755, read(busybox), 0, 0),
    ("bin/exvprobe", stat.S_IFREG | 0o755, read(exvprobe), 0, 0),
    ("bin/poweroff-vm", stat.S_IFREG | 0o755, read(poweroff), 0, 0),
] + [("bin/" + a, stat.S_IFLNK | 0o777, b"busybox", 0, 0) for a in APPLETS]
made = {e[0] for e in entries}
for extra in sys.argv[6:]:
    dest, src = extra.split("=", 1)
    parts = dest.split("/")
    for i in range(1, len(parts)):
        d = "/".join(parts[:i])
        if d not in made:
            entries.append((d, stat.S_IFDIR | 0o755, b"", 0, 0))
            made.add(d)
    entries.append((dest, stat.S_IFREG | 0o755, read(src), 0, 0))

def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)

def newc(ino, name, mode, data, rmaj, rmin):
    """One entry of the "new" (SVR4, no checksum) cpio format: magic 070701,
    thirteen 8-digit hex fields, the NUL-terminated name, data; header+name
    and data each padded to a multiple of 4 bytes."""
    nameb = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 1 if not stat.S_ISDIR(mode) else 2, mtime, len(data),
              0, 0, rmaj, rmin, len(nameb), 0)
    hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
    return hdr + nameb + pad4(len(hdr) + len(nameb)) + data + pad4(len(data))

archive = b"".join(newc(i + 1, *e) for i, e in enumerate(entries))
archive += newc(0, "TRAILER!!!", 0, b"", 0, 0)
tmp = out + ".tmp"
with open(tmp, "wb") as f:
    f.write(gzip.compress(archive, compresslevel=9, mtime=0))
os.replace(tmp, out)
print(f"mkinitramfs: wrote {out} ({os.path.getsize(out)} bytes, {len(entries)} entries)")
EOF
