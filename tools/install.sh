#!/bin/sh
# install.sh — put exitvisor in front of the OS this Linux machine booted, safely.
#
# Usage (as root, on a machine that booted through UEFI):
#   tools/install.sh [--esp DIR] [--from DIR] [--loader PATH] [--options TEXT] [--permanent]
#   tools/install.sh [--esp DIR] --uninstall
#   make install ESP=/boot/efi [PERMANENT=1]      (builds exitvisor first)
#
#   --esp DIR      where the EFI system partition is mounted (default /boot/efi);
#                  it must be a mounted FAT (vfat) file system, read-write
#   --from DIR     the directory holding exitvisor.efi (default: build/ of this tree)
#   --loader PATH  the OS loader exitvisor starts, as a path on the ESP
#                  (\EFI\debian\shimx64.efi); default: the loader of the boot entry
#                  that started the running OS (the UEFI variable BootCurrent and its
#                  load option), with that entry's load options
#   --options TEXT the loader's load options (default: those of that boot entry)
#   --permanent    also put exitvisor first in BootOrder: every boot goes through it
#   --uninstall    remove what an install added: the boot entry (from BootOrder and
#                  BootNext too) and \EFI\exitvisor\exitvisor.{efi,cfg}
#
# What an install does, each step printed as it happens:
#   1. copies exitvisor.efi to <ESP>\EFI\exitvisor\exitvisor.efi;
#   2. writes <ESP>\EFI\exitvisor\exitvisor.cfg: next= the OS loader, options= its
#      load options (exitvisor starts it after virtualizing the machine);
#   3. adds the boot entry "exitvisor" (Boot####: the ESP's partition, then the file),
#      or rewrites the one an earlier install added;
#   4. sets BootNext to it: the NEXT boot only goes through exitvisor, the firmware
#      deletes BootNext as it boots it, and every later boot follows BootOrder as
#      before. A failed first try costs one reboot. --permanent puts the entry first
#      in BootOrder instead (BootNext is left alone).
# Nothing is changed until every check has passed: the ESP is a mounted, writable FAT
# file system; the UEFI variables exist and are writable; the OS loader is found on
# that ESP; exitvisor.efi is an EFI program. A bad one is one line
# "install: error: ..." and exit status 1. If a step fails half-way, the steps
# before it are undone (and said so).
#
# When the running OS was itself started through exitvisor (BootCurrent is
# exitvisor's entry), the loader and options are taken from the installed
# exitvisor.cfg, so installing again (or --permanent after a first try) keeps them.
#
# Written for POSIX sh with the usual tools (od, awk, sed, cat, cp), so that it also
# runs under busybox (the end-to-end test runs it in a Linux guest's initramfs).
# For tests, the system's places can be moved: EXV_FIRMWARE (default
# /sys/firmware/efi), EXV_EFIVARS ($EXV_FIRMWARE/efivars), EXV_MOUNTS (/proc/mounts), EXV_SYSBLOCK
# (/sys/class/block), EXV_DEV (/dev). Sourced with EXV_INSTALL_LIB=1, it only
# defines its functions (the end-to-end test's setup writes the OS's own boot
# entry with them, as an OS installer would).

FIRMWARE=${EXV_FIRMWARE:-/sys/firmware/efi}
EFIVARS=${EXV_EFIVARS:-$FIRMWARE/efivars}
MOUNTS=${EXV_MOUNTS:-/proc/mounts}
SYSBLOCK=${EXV_SYSBLOCK:-/sys/class/block}
DEVDIR=${EXV_DEV:-/dev}
GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c   # EFI_GLOBAL_VARIABLE
ATTRS=07                                       # non-volatile, boot service, runtime
EXV_DIR='\EFI\exitvisor'
EXV_EFI='\EFI\exitvisor\exitvisor.efi'
LABEL=exitvisor
export LC_ALL=C

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# ---- hex helpers: a byte string is kept as lowercase hex, two digits a byte ----

# The bytes of a file as one hex string.
file_hex() { od -An -v -tx1 -- "$1" | tr -d ' \n'; }

# Write a hex string as bytes (octal escapes: POSIX printf has no \x).
hex_write() {
    # shellcheck disable=SC2059  # the format is the data, made only of \ooo escapes
    printf "$(printf '%s\n' "$1" | awk '{ d = "0123456789abcdef"; s = ""
        for (i = 1; i < length($0); i += 2) {
            n = (index(d, substr($0, i, 1)) - 1) * 16 + index(d, substr($0, i + 1, 1)) - 1
            s = s sprintf("\\%03o", n) }
        print s }')"
}

# UCS-2 (little-endian) hex of an ASCII string, with its terminating NUL.
ucs2_hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d '\n' | awk '{ for (i = 1; i <= NF; i++) printf "%s00", $i } END { print "0000" }'; }

# Little-endian hex of a number, $2 bytes wide.
le_hex() { awk -v n="$1" -v w="$2" 'BEGIN { for (i = 0; i < w; i++) { printf "%02x", n % 256; n = int(n / 256) } print "" }'; }

# ---- UEFI variables (efivarfs: 4 bytes of attributes, then the data) ----

var_path() { printf '%s\n' "$EFIVARS/$1-$GLOBAL"; }

# The data of a variable as hex (without the attributes); fails if it does not exist.
var_read() { [ -f "$(var_path "$1")" ] || return 1; file_hex "$(var_path "$1")" | cut -c9-; }

# Write a variable: one write() of attributes + data (efivarfs wants it whole).
var_write() {
    tmp=$(mktemp) || return 1
    hex_write "${ATTRS}000000$2" > "$tmp" && cat -- "$tmp" > "$(var_path "$1")"
    st=$?
    rm -f -- "$tmp"
    return $st
}

var_delete() { rm -f -- "$(var_path "$1")"; }

# A UINT16 list (BootOrder) as "0001 0000 ..." and back.
u16_list() { printf '%s\n' "$1" | awk '{ for (i = 1; i + 3 <= length($0); i += 4) printf "%s%s%s", (i > 1 ? " " : ""), toupper(substr($0, i + 2, 2)), toupper(substr($0, i, 2)); print "" }'; }
u16_hex() { for n in "$@"; do printf '%s%s' "$(printf '%s\n' "$n" | cut -c3-4 | tr 'A-F' 'a-f')" "$(printf '%s\n' "$n" | cut -c1-2 | tr 'A-F' 'a-f')"; done; echo; }

# Parse an EFI_LOAD_OPTION (UEFI 2.x 3.1.3) given as hex. Prints key=value lines:
# attributes, desc, file (the last file-path node, backslashes kept),
# hd_part/hd_sig/hd_sigtype (the hard-drive node, if any), opt_hex (the optional
# data) and opt_text (the optional data as text when it is UCS-2 text), valid=1/0.
parse_load_option() {
    printf '%s\n' "$1" | awk '
    function byte(i) { return (index(D, substr(H, 2 * i + 1, 1)) - 1) * 16 + index(D, substr(H, 2 * i + 2, 1)) - 1 }
    function u16(i) { return byte(i) + 256 * byte(i + 1) }
    function ucs2(i, end,   s, c) {           # text from i up to NUL or end
        s = ""; P = end
        for (; i + 1 < end; i += 2) {
            c = u16(i); if (c == 0) { P = i + 2; return s }
            s = s ((c >= 32 && c < 127) ? sprintf("%c", c) : "?")
        }
        return s
    }
    BEGIN { D = "0123456789abcdef" }
    { H = $0; n = length(H) / 2
      if (n < 8) { print "valid=0"; exit }
      printf "attributes=%d\n", byte(0) + 256 * byte(1)
      fpl = u16(4)
      desc = ucs2(6, n); printf "desc=%s\n", desc
      i = P; end = i + fpl
      if (end > n) { print "valid=0"; exit }
      file = ""
      while (i + 4 <= end) {
          t = byte(i); st = byte(i + 1); len = u16(i + 2)
          if (len < 4 || i + len > end) { print "valid=0"; exit }
          if (t == 127 && st == 255) break
          if (t == 4 && st == 4) file = ucs2(i + 4, i + len)
          if (t == 4 && st == 1 && len == 42) {
              printf "hd_part=%d\n", byte(i + 4) + 256 * byte(i + 5)
              printf "hd_sig=%s\n", substr(H, 2 * (i + 24) + 1, 32)
              printf "hd_sigtype=%d\n", byte(i + 41)
          }
          i += len
      }
      printf "file=%s\n", file
      opt = substr(H, 2 * end + 1); printf "opt_hex=%s\n", opt
      # Text if every UCS-2 unit up to an optional final NUL is printable ASCII.
      m = length(opt) / 2; text = 1; s = ""
      for (k = end; k + 1 < n; k += 2) {
          c = u16(k)
          if (c == 0 && k + 2 >= n) break
          if (c < 32 || c >= 127) { text = 0; break }
          s = s sprintf("%c", c)
      }
      if (m % 2) text = 0
      if (text) printf "opt_text=%s\n", s
      print "valid=1" }'
}

# One field of parse_load_option's output.
field() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1; }

# ---- the ESP: mount, block device, partition ----

# "source fstype options" of the mount at $1 (the last one wins, as in the kernel).
mount_of() {
    awk -v m="$1" '$2 == m { src = $1; fs = $3; opts = $4 } END { if (src != "") print src, fs, opts }' "$MOUNTS"
}

# The hard-drive device-path node (type 4, subtype 1: 42 bytes) of partition
# device $1 (e.g. /dev/vda1): number, start and size in sectors from sysfs, and
# the signature from the partition table (GPT: the partition's unique GUID;
# MBR: the disk signature).
hd_node_hex() {
    name=$(basename -- "$1")
    sys=$SYSBLOCK/$name
    [ -f "$sys/partition" ] || { printf '%s\n' "$1 is not a partition (no $sys/partition)"; return 1; }
    part=$(cat "$sys/partition"); start=$(cat "$sys/start"); size=$(cat "$sys/size")
    disk=$(basename -- "$(readlink -f -- "$sys/..")")
    img=$DEVDIR/$disk
    [ -r "$img" ] || { echo "cannot read the disk $img (for the partition signature)"; return 1; }
    head=$(dd if="$img" bs=512 count=2 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
    if [ "$(printf '%s\n' "$head" | cut -c1025-1040)" = "4546492050415254" ]; then   # "EFI PART" at LBA 1
        lba=$(printf '%s\n' "$head" | cut -c1169-1184)     # PartitionEntryLBA (offset 72), 8 bytes LE
        esz=$(printf '%s\n' "$head" | cut -c1193-1200)     # SizeOfPartitionEntry (offset 84)
        lba=$(printf '%s\n' "$lba" | awk '{ v = 0; for (i = length($0) - 1; i >= 1; i -= 2) v = v * 256 + index("0123456789abcdef", substr($0, i, 1)) * 16 - 16 + index("0123456789abcdef", substr($0, i + 1, 1)) - 1; print v }')
        esz=$(printf '%s\n' "$esz" | awk '{ v = 0; for (i = length($0) - 1; i >= 1; i -= 2) v = v * 256 + index("0123456789abcdef", substr($0, i, 1)) * 16 - 16 + index("0123456789abcdef", substr($0, i + 1, 1)) - 1; print v }')
        off=$((lba * 512 + (part - 1) * esz + 16))
        sig=$(dd if="$img" bs=1 skip="$off" count=16 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
        mbrtype=02; sigtype=02
    elif [ "$(printf '%s\n' "$head" | cut -c1021-1024)" = "55aa" ]; then
        sig="$(printf '%s\n' "$head" | cut -c881-888)000000000000000000000000"      # offset 440
        mbrtype=01; sigtype=01
    else
        printf '%s\n' "$img has neither a GPT nor an MBR partition table"; return 1
    fi
    [ "${#sig}" -eq 32 ] || { echo "cannot read the partition signature from $img"; return 1; }
    echo "04012a00$(le_hex "$part" 4)$(le_hex "$start" 8)$(le_hex "$size" 8)$sig$mbrtype$sigtype"
}

# A load option (hex): active, description, HD node + file node + end, optional data.
make_load_option() {   # desc hd_node_hex file_path optional_hex
    fnode=$(ucs2_hex "$3")
    flen=$(( ${#fnode} / 2 + 4 ))
    path="$2""0404$(le_hex "$flen" 2)$fnode""7fff0400"
    echo "01000000$(le_hex $(( ${#path} / 2 )) 2)$(ucs2_hex "$1")$path$4"
}

# The ESP path (\EFI\x\y.efi) as a file under the mount point.
esp_file() { printf '%s\n' "$ESP$(printf '%s\n' "$1" | tr '\\' '/')"; }

lower() { printf '%s\n' "$1" | tr 'A-Z' 'a-z'; }

# The numbers (XXXX) of the boot entries whose file is exitvisor's.
exitvisor_entries() {
    for f in "$EFIVARS"/Boot[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]-$GLOBAL; do
        [ -f "$f" ] || continue
        n=$(basename -- "$f" | cut -c5-8)
        p=$(parse_load_option "$(var_read "Boot$n")")
        [ "$(lower "$(field "$p" file)")" = "$(lower "$EXV_EFI")" ] && printf '%s\n' "$n"
    done
}

# ---- checks (nothing changes on the disk or in the variables) ----

check_efivars() {
    if [ ! -d "$FIRMWARE" ]; then
        die "no UEFI variables: this machine did not boot through UEFI (no $FIRMWARE); exitvisor needs UEFI firmware. Nothing was changed."
    fi
    [ -d "$EFIVARS" ] || die "the UEFI variables are not mounted at $EFIVARS (mount -t efivarfs efivarfs $EFIVARS). Nothing was changed."
    m=$(mount_of "$EFIVARS")
    if [ -n "$m" ]; then
        case ",$(printf '%s\n' "$m" | awk '{print $3}')," in
            *,ro,*) die "the UEFI variable store $EFIVARS is mounted read-only: remount it (mount -o remount,rw $EFIVARS) and run again. Nothing was changed." ;;
        esac
    elif [ -z "${EXV_EFIVARS:-}" ]; then
        die "$EFIVARS is not a mounted efivarfs (mount -t efivarfs efivarfs $EFIVARS). Nothing was changed."
    fi
    [ -w "$EFIVARS" ] || die "the UEFI variable store $EFIVARS is not writable (run as root). Nothing was changed."
}

check_esp() {
    [ -d "$ESP" ] || die "ESP $ESP does not exist (give the EFI system partition's mount point with --esp). Nothing was changed."
    m=$(mount_of "$ESP")
    [ -n "$m" ] || die "ESP $ESP is not a mounted file system (not in $MOUNTS): mount the EFI system partition there, or give its mount point with --esp. Nothing was changed."
    set -- $m
    ESP_DEV=$1
    [ "$2" = vfat ] || die "ESP $ESP is $2, not FAT (vfat): the EFI system partition is FAT; give its mount point with --esp. Nothing was changed."
    case ",$3," in
        *,ro,*) die "ESP $ESP is mounted read-only: remount it read-write (mount -o remount,rw $ESP). Nothing was changed." ;;
    esac
}

# The OS loader and its options: --loader/--options, else BootCurrent's entry.
find_loader() {
    cur=$(var_read BootCurrent) || die "the UEFI variable BootCurrent is missing: the firmware does not say which entry booted this OS; give the loader with --loader \\EFI\\<os>\\<loader>.efi. Nothing was changed."
    CUR=$(u16_list "$cur")
    if [ -z "$LOADER" ]; then
        opt=$(var_read "Boot$CUR") || die "BootCurrent is $CUR but Boot$CUR does not exist; give the loader with --loader. Nothing was changed."
        p=$(parse_load_option "$opt")
        [ "$(field "$p" valid)" = 1 ] || die "Boot$CUR (BootCurrent) is not a well-formed load option; give the loader with --loader. Nothing was changed."
        file=$(field "$p" file)
        if [ "$(lower "$file")" = "$(lower "$EXV_EFI")" ]; then
            cfg=$(esp_file "$EXV_DIR\\exitvisor.cfg")
            LOADER=$(sed -n 's/^next=//p' "$cfg" 2>/dev/null | tail -n 1 | tr -d '\r')
            [ -n "$LOADER" ] || die "this OS was booted through exitvisor (Boot$CUR) but $cfg names no next=; give the loader with --loader. Nothing was changed."
            [ -n "$OPTS_SET" ] || OPTIONS=$(sed -n 's/^options=//p' "$cfg" | tail -n 1 | tr -d '\r')
            say "this OS was started through exitvisor (BootCurrent $CUR); keeping its next stage from $cfg: $LOADER"
        else
            [ -n "$file" ] || die "BootCurrent $CUR (\"$(field "$p" desc)\") names no file (a removable-media or firmware entry): give the loader with --loader \\EFI\\<os>\\<loader>.efi. Nothing was changed."
            LOADER=$file
            if [ -z "$OPTS_SET" ]; then
                OPTIONS=$(field "$p" opt_text)
                [ -n "$(field "$p" opt_hex)" ] && [ -z "$OPTIONS" ] &&
                    say "note: Boot$CUR carries binary load options, which exitvisor.cfg cannot hold; the loader gets none (give --options if it needs some)"
            fi
            CUR_SIG=$(field "$p" hd_sig)
            say "this OS was started by Boot$CUR \"$(field "$p" desc)\": $LOADER${OPTIONS:+ with options \"$OPTIONS\"}"
        fi
    fi
    case $LOADER in
        \\*) ;;
        *) die "the loader '$LOADER' is not a path on the ESP (\\EFI\\<os>\\<loader>.efi). Nothing was changed." ;;
    esac
    [ -f "$(esp_file "$LOADER")" ] || die "the OS loader $LOADER is not on the ESP $ESP ($(esp_file "$LOADER") not found): give the ESP it is on with --esp, or the loader with --loader. Nothing was changed."
    [ "$(lower "$LOADER")" != "$(lower "$EXV_EFI")" ] || die "the loader would be exitvisor itself. Nothing was changed."
    [ "${#OPTIONS}" -le 4095 ] || die "the loader's options are longer than exitvisor's 4095 characters. Nothing was changed."
}

# ---- the steps, with undo ----

UNDO=""
undo_push() { UNDO="$1
$UNDO"; }
fail() {
    printf 'install: error: %s\n' "$*" >&2
    if [ -n "$UNDO" ]; then
        printf '%s\n' "$UNDO" | while IFS= read -r cmd; do
            [ -n "$cmd" ] || continue
            eval "$cmd" && printf 'install: undone: %s\n' "$cmd" >&2
        done
    fi
    exit 1
}

# Before a file is replaced: how to put it back (or remove it) on undo.
keep_for_undo() {
    if [ -f "$1" ]; then
        cp -- "$1" "$1.undo" || fail "cannot keep a copy of $1"
        undo_push "mv -f -- '$1.undo' '$1'"
    else
        undo_push "rm -f -- '$1'"
    fi
}

install_files() {
    dir=$(esp_file "$EXV_DIR")
    if [ ! -d "$dir" ]; then
        mkdir -p -- "$dir" || fail "cannot create $dir"
        undo_push "rmdir -- '$dir'"
    fi
    dst=$dir/exitvisor.efi
    keep_for_undo "$dst"
    cp -- "$SRC" "$dst" && sync || fail "cannot copy $SRC to $dst"
    say "copied $SRC to $dst ($(wc -c < "$dst") bytes)"
    cfg=$dir/exitvisor.cfg
    keep_for_undo "$cfg"
    { echo "# written by exitvisor's tools/install.sh: what exitvisor starts after virtualizing the machine"
      printf 'next=%s\n' "$LOADER"
      [ -z "$OPTIONS" ] || printf 'options=%s\n' "$OPTIONS"
    } > "$cfg" && sync || fail "cannot write $cfg"
    say "wrote $cfg: next=$LOADER${OPTIONS:+, options=$OPTIONS}"
}

add_entry() {
    hd=$(hd_node_hex "$ESP_DEV") || fail "the ESP's partition: $hd"
    # The entry's partition must be the loader's (when BootCurrent names one).
    if [ -n "${CUR_SIG:-}" ] && [ "$CUR_SIG" != "$(printf '%s\n' "$hd" | cut -c49-80)" ]; then
        fail "Boot$CUR's loader is on another partition than $ESP ($ESP_DEV); give that partition's mount point with --esp"
    fi
    opt=$(make_load_option "$LABEL" "$hd" "$EXV_EFI" "")
    NUM=$(exitvisor_entries | head -n 1)
    if [ -n "$NUM" ]; then
        old=$(var_read "Boot$NUM")
        if [ "$old" = "$opt" ]; then
            say "boot entry Boot$NUM \"$LABEL\" is already there: $EXV_EFI on $ESP_DEV"
            return
        fi
        undo_push "var_write Boot$NUM $old"
    else
        n=0
        while [ -f "$(var_path "Boot$(printf '%04X' "$n")")" ]; do n=$((n + 1)); done
        [ "$n" -le 65535 ] || fail "no free Boot#### number"
        NUM=$(printf '%04X' "$n")
        undo_push "var_delete Boot$NUM"
    fi
    var_write "Boot$NUM" "$opt" || fail "cannot write the UEFI variable Boot$NUM (the firmware's variable store refused it)"
    say "added boot entry Boot$NUM \"$LABEL\": $EXV_EFI on $ESP_DEV (partition $(cat "$SYSBLOCK/$(basename -- "$ESP_DEV")/partition"))"
}

arm_next_boot() {
    old=$(var_read BootNext) && undo_push "var_write BootNext $old" || undo_push "var_delete BootNext"
    var_write BootNext "$(u16_hex "$NUM")" || fail "cannot write the UEFI variable BootNext"
    order=$(var_read BootOrder 2>/dev/null) && order=$(u16_list "$order") || order=
    say "set BootNext=$NUM: the next boot goes through exitvisor, once; the firmware then deletes BootNext and later boots follow BootOrder (${order:-empty}) as before"
}

make_permanent() {
    order=$(var_read BootOrder) && old=$order || { order=; old=; }
    rest=$(for n in $(u16_list "$order"); do [ "$n" = "$NUM" ] || printf '%s\n' "$n"; done)
    # shellcheck disable=SC2086  # the list is words
    new=$(u16_hex "$NUM" $rest)
    if [ "$new" = "$old" ]; then
        say "BootOrder already starts with Boot$NUM: $(u16_list "$new")"
        return
    fi
    if [ -n "$old" ]; then undo_push "var_write BootOrder $old"; else undo_push "var_delete BootOrder"; fi
    var_write BootOrder "$new" || fail "cannot write the UEFI variable BootOrder"
    was=empty
    [ -z "$old" ] || was=$(u16_list "$old")
    say "BootOrder is now $(u16_list "$new") (was $was): every boot goes through exitvisor; undo with --uninstall"
}

uninstall() {
    found=$(exitvisor_entries)
    [ -n "$found" ] || say "no boot entry of exitvisor ($EXV_EFI) in the UEFI variables"
    for n in $found; do
        if order=$(var_read BootOrder); then
            rest=$(for m in $(u16_list "$order"); do [ "$m" = "$n" ] || printf '%s\n' "$m"; done)
            # shellcheck disable=SC2086
            new=$(u16_hex $rest)
            if [ "$new" != "$order" ]; then
                var_write BootOrder "$new" || fail "cannot write the UEFI variable BootOrder"
                say "removed Boot$n from BootOrder: now $(u16_list "$new")"
            fi
        fi
        if next=$(var_read BootNext) && [ "$(u16_list "$next")" = "$n" ]; then
            var_delete BootNext || fail "cannot delete the UEFI variable BootNext"
            say "deleted BootNext (it pointed at Boot$n)"
        fi
        var_delete "Boot$n" || fail "cannot delete the UEFI variable Boot$n"
        say "deleted boot entry Boot$n \"$LABEL\""
    done
    dir=$(esp_file "$EXV_DIR")
    for f in exitvisor.efi exitvisor.cfg; do
        if [ -f "$dir/$f" ]; then
            rm -f -- "$dir/$f" || fail "cannot remove $dir/$f"
            say "removed $dir/$f"
        fi
    done
    rmdir -- "$dir" 2>/dev/null && say "removed $dir (it was empty)"
    sync
    say "exitvisor is uninstalled: the firmware boots as before"
}

# ---- main ----
[ "${EXV_INSTALL_LIB:-}" != 1 ] || return 0
set -u

ESP=/boot/efi
SRC_DIR=
LOADER=
OPTIONS=
OPTS_SET=
MODE=next
while [ "$#" -gt 0 ]; do
    case $1 in
        --esp|--from|--loader|--options)
            [ "$#" -ge 2 ] || die "$1 needs a value"
            case $1 in
                --esp) ESP=$2 ;;
                --from) SRC_DIR=$2 ;;
                --loader) LOADER=$2 ;;
                --options) OPTIONS=$2; OPTS_SET=1 ;;
            esac
            shift 2 ;;
        --permanent) MODE=permanent; shift ;;
        --uninstall) MODE=uninstall; shift ;;
        -h|--help) sed -n '2,/^FIRMWARE=/{/^FIRMWARE=/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
[ "$ESP" = / ] || ESP=${ESP%/}

if [ -z "${EXV_EFIVARS:-}" ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root: writing the ESP and the UEFI variables needs it. Nothing was changed."
fi
check_efivars
check_esp

if [ "$MODE" = uninstall ]; then
    uninstall
    exit 0
fi

if [ -z "$SRC_DIR" ]; then
    SRC_DIR=$(cd "$(dirname -- "$0")/.." && pwd)/build
fi
SRC=$SRC_DIR/exitvisor.efi
[ -f "$SRC" ] || die "$SRC not found (build it with make, or give its directory with --from). Nothing was changed."
[ "$(dd if="$SRC" bs=2 count=1 2>/dev/null)" = MZ ] || die "$SRC is not an EFI program (no MZ header). Nothing was changed."
find_loader

install_files
add_entry
if [ "$MODE" = permanent ]; then make_permanent; else arm_next_boot; fi
rm -f -- "$(esp_file "$EXV_DIR")/exitvisor.efi.undo" "$(esp_file "$EXV_DIR")/exitvisor.cfg.undo"
sync
if [ "$MODE" = permanent ]; then
    say "done: every boot now starts exitvisor, which starts $LOADER (remove with: $0 --esp $ESP --uninstall)"
else
    say "done: reboot to start this OS under exitvisor once; if that fails, the reboot after it is as before (make it permanent with --permanent, remove it with --uninstall)"
fi
