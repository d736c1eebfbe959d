#!/usr/bin/env bash
# fetch-kernel.sh OUTDIR — get the Linux guest's kernel and busybox from Debian.
#
# Source: Debian's package archive through apt, and nothing else:
#   linux-image-cloud-amd64          the meta package (the flavour that boots fastest
#                                    in Bochs: LZ4-compressed, EFI stub, no modules needed)
#   linux-image-<ver>-cloud-amd64    the versioned package it depends on (the kernel)
#   busybox-static                   a static busybox for the initramfs
# "apt-get download" fetches the .deb files (no installation); if it fails for lack of
# package lists, "apt-get update" is run once (as root) and the download retried.
# The files are taken out with "dpkg-deb -x" (no root needed for that):
#   OUTDIR/vmlinuz        the kernel image (an EFI application: bzImage with EFI stub)
#   OUTDIR/busybox        bin/busybox from busybox-static
#   OUTDIR/kernel-version one line: the kernel release, e.g. 6.1.0-56-cloud-amd64
#   OUTDIR/debs/          the downloaded packages
# Cache: when OUTDIR already holds vmlinuz, busybox and kernel-version, nothing is
# downloaded (delete OUTDIR to fetch again, e.g. after a Debian kernel update).
#
# Output: "fetch-kernel: ..." lines; the last one is
#   fetch-kernel: kernel <release> (<package> <version>) in OUTDIR/vmlinuz
# Errors start with "fetch-kernel: error:" on stderr, exit status 1.
set -euo pipefail

die() { echo "fetch-kernel: error: $*" >&2; exit 1; }
say() { echo "fetch-kernel: $*"; }

[ "$#" -eq 1 ] || die "usage: $0 OUTDIR"
out=$1
mkdir -p -- "$out" || die "cannot create '$out'"
out=$(cd -- "$out" && pwd)

META=linux-image-cloud-amd64
BUSYBOX_PKG=busybox-static

if [ -s "$out/vmlinuz" ] && [ -s "$out/busybox" ] && [ -s "$out/kernel-version" ]; then
    say "using the cached kernel and busybox in $out (delete it to fetch again)"
    pkg=$(sed -n 's/^kernel-package=//p' "$out/sources.txt" 2>/dev/null || true)
    say "kernel $(cat "$out/kernel-version") (${pkg:-package unknown}) in $out/vmlinuz"
    exit 0
fi

for t in apt-get dpkg-deb python3; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found (this needs a Debian system with apt)"
done

debs=$out/debs
mkdir -p "$debs"

updated=0
# apt_download PKG: "apt-get download PKG" into $debs; on failure, one "apt-get update"
# (root only) and a retry. Prints the path of the .deb it got.
apt_download() {
    local pkg=$1 log
    # An older version left here would be as good a match as the new one.
    rm -f -- "$debs/${pkg}_"*.deb
    if ! log=$(cd "$debs" && apt-get download "$pkg" 2>&1); then
        if [ "$updated" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
            say "apt-get download $pkg failed; running apt-get update and retrying" >&2
            apt-get update >&2 || die "apt-get update failed"
            updated=1
            log=$(cd "$debs" && apt-get download "$pkg" 2>&1) ||
                die "apt-get download $pkg failed after apt-get update: $log"
        else
            die "apt-get download $pkg failed (as root, 'apt-get update' may fix it): $log"
        fi
    fi
    # apt-get download names the file NAME_VERSION_ARCH.deb, with ":" in the
    # version escaped as %3a; it is the only file of that package here now.
    local f
    # shellcheck disable=SC2012  # apt's own file names: no spaces or newlines
    f=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "apt-get download $pkg reported success but left no ${pkg}_*.deb in $debs"
    echo "$f"
}

say "downloading $META from the Debian archive (apt-get download)"
meta_deb=$(apt_download "$META")
# The meta package's Depends names the versioned kernel package, e.g.
# "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)".
kpkg=$(dpkg-deb -f "$meta_deb" Depends | tr ',' '\n' |
       sed -n 's/^ *\(linux-image-[0-9][^ ]*-cloud-amd64\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || die "cannot find the versioned linux-image-*-cloud-amd64 in the Depends of $meta_deb: $(dpkg-deb -f "$meta_deb" Depends)"
say "downloading $kpkg (the kernel $META depends on)"
kdeb=$(apt_download "$kpkg")
say "downloading $BUSYBOX_PKG"
bdeb=$(apt_download "$BUSYBOX_PKG")

tmp=$(mktemp -d "$out/.extract.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
dpkg-deb -x "$kdeb" "$tmp/k" || die "dpkg-deb -x $kdeb failed"
dpkg-deb -x "$bdeb" "$tmp/b" || die "dpkg-deb -x $bdeb failed"

kver=${kpkg#linux-image-}
vml=$tmp/k/boot/vmlinuz-$kver
if [ ! -f "$vml" ]; then
    # shellcheck disable=SC2012  # a Debian package's file names
    vml=$(ls "$tmp"/k/boot/vmlinuz-* 2>/dev/null | head -n 1)
    [ -n "$vml" ] || die "$kdeb holds no boot/vmlinuz-*"
    kver=${vml##*/vmlinuz-}
fi
[ -f "$tmp/b/bin/busybox" ] || die "$bdeb holds no bin/busybox"

# The bzImage header names the release too (setup header: "HdrS" at 0x202, the
# version string at 0x200 + kernel_version): check that it is the kernel we expect.
hdr=$(python3 - "$vml" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read(0x10000)
if d[0x202:0x206] != b"HdrS":
    print("no-bzImage-header"); sys.exit(0)
off = struct.unpack_from("<H", d, 0x20E)[0] + 0x200
print(d[off:off + 200].split(b"\0")[0].decode("ascii", "replace"))
EOF
)
case $hdr in
    "$kver "*) ;;
    *) die "$vml does not look like the $kver kernel (bzImage header says: '$hdr')" ;;
esac

cp -f "$vml" "$out/vmlinuz.tmp" && mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
cp -f "$tmp/b/bin/busybox" "$out/busybox.tmp" && mv -f "$out/busybox.tmp" "$out/busybox"
chmod 0755 "$out/busybox"
kpkgver=$(dpkg-deb -f "$kdeb" Version)
bver=$(dpkg-deb -f "$bdeb" Version)
echo "$kver" > "$out/kernel-version"
{
    echo "kernel-package=$kpkg $kpkgver"
    echo "kernel-header=$hdr"
    echo "busybox-package=$BUSYBOX_PKG $bver"
} > "$out/sources.txt"
say "busybox $bver in $out/busybox"
say "kernel $kver ($kpkg $kpkgver) in $out/vmlinuz"
