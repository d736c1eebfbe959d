#!/usr/bin/env python3
"""check_input.py — refuse bad `make run` / `make disk` input with one line.

    tools/check_input.py [--who NAME] [--next FILE] [--options TEXT]

Checks, in this order, and stops at the first problem:
  --next FILE    FILE exists, is a regular readable file whose name ends in
                 ".efi" (exitvisor's next= takes nothing else), and is an EFI
                 application: a PE32+ image ("MZ" at 0, "PE\\0\\0" at the offset
                 in 0x3C), machine x86-64 (0x8664), subsystem 10 (EFI
                 application; 11 and 12 are drivers, which exitvisor cannot
                 start as its next stage). An empty FILE means the default
                 (the probe) and passes.
  --options TEXT at most NEXT_STAGE_OPTIONS_MAX - 1 characters (read from
                 boot/next_stage.h: 4095), printable ASCII only (they become
                 the next stage's UCS-2 load options and one exitvisor.cfg line).

On a problem it prints one line on stderr,
    "<who>: error: NEXT=<file>: <why>"   or   "<who>: error: OPTIONS=...: <why>"
and exits 1; otherwise it prints nothing and exits 0. WHO defaults to "run".
The Makefile calls it before building anything. Host-testable: efi_problem()
and options_problem() return the reason or None (tools/tests/test_check_input.py).
"""
import argparse
import os
import re
import struct
import sys
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
NEXT_STAGE_H = os.path.join(HERE, "..", "boot", "next_stage.h")

IMAGE_FILE_MACHINE_AMD64 = 0x8664
PE32_PLUS_MAGIC = 0x20B
EFI_APPLICATION = 10

MACHINES = {0x14C: "i386", 0x200: "IA-64", 0x1C2: "ARM Thumb", 0x1C4: "ARM", 0xAA64: "AArch64",
            0xEBC: "EFI byte code", 0x5032: "RISC-V 32", 0x5064: "RISC-V 64", 0x6264: "LoongArch 64"}
SUBSYSTEMS = {1: "native", 2: "Windows GUI", 3: "Windows console", 11: "EFI boot service driver",
              12: "EFI runtime driver", 13: "EFI ROM image"}


def _limit(name: str, default: int) -> int:
    """A #define of boot/next_stage.h, so the limits cannot drift apart."""
    try:
        with open(NEXT_STAGE_H) as f:
            m = re.search(r"^#define %s (\d+)" % name, f.read(), re.M)
        return int(m.group(1)) if m else default
    except OSError:
        return default


OPTIONS_MAX_CHARS = _limit("NEXT_STAGE_OPTIONS_MAX", 4096) - 1
PATH_MAX_CHARS = _limit("NEXT_STAGE_PATH_MAX", 256) - 1
ESP_DIR = "\\EFI\\exitvisor\\"   # where make puts NEXT on the disk


def _what_it_is(head: bytes) -> str:
    """A hint about a file that is not a PE image."""
    if head.startswith(b"\x7fELF"):
        return "an ELF file (an EFI application is the PE image objcopy --target efi-app-x86_64 makes)"
    if head.startswith(b"#!"):
        return "a script"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:   # a character cut at the end of head is still text
        text = head[:e.start].decode("utf-8") if e.start >= len(head) - 3 else None
    if head and text is not None and all(c in "\t\r\n" or c >= " " for c in text):
        return "a text file"
    return "it starts with bytes %s" % head[:4].hex(" ")


def efi_problem(path: str) -> Optional[str]:
    """Why PATH cannot be exitvisor's next stage, or None when it can."""
    if not os.path.lexists(path):
        return "no such file"
    if os.path.isdir(path):
        return "is a directory, not an EFI application"
    if not os.path.isfile(path):
        return "not a regular file" if os.path.exists(path) else "a broken symbolic link"
    name = os.path.basename(path)
    if any(c.isspace() for c in path):
        return "the path has spaces, which make cannot handle in a prerequisite"
    if not name.lower().endswith(".efi") or len(name) <= 4:
        return "the file name must end in .efi (exitvisor.cfg's next= starts only .efi files)"
    if len(ESP_DIR) + len(name) > PATH_MAX_CHARS:
        return "the file name is too long: %s%s has more than %d characters" % (ESP_DIR, name, PATH_MAX_CHARS)
    try:
        with open(path, "rb") as f:
            data = f.read(4096)
    except OSError as e:
        return "cannot read it: %s" % (e.strerror or e)
    if len(data) < 0x40 or data[:2] != b"MZ":
        if not data:
            return "not an EFI application: the file is empty"
        return "not an EFI application: no MZ signature at its start (%s)" % _what_it_is(data[:256])
    (pe_off,) = struct.unpack_from("<I", data, 0x3C)
    if pe_off + 24 + 70 > len(data) or data[pe_off:pe_off + 4] != b"PE\0\0":
        return "not an EFI application: MZ header but no PE signature at offset 0x%x" % pe_off
    machine, _sections, _time, _symtab, _nsyms, opt_size, _chars = struct.unpack_from("<HHIIIHH", data, pe_off + 4)
    if machine != IMAGE_FILE_MACHINE_AMD64:
        return "a PE image for machine 0x%x (%s), not x86-64 (0x8664)" % (machine, MACHINES.get(machine, "unknown"))
    opt = pe_off + 24
    if opt_size < 70:
        return "not an EFI application: its PE optional header is %d bytes, too short" % opt_size
    (magic,) = struct.unpack_from("<H", data, opt)
    if magic != PE32_PLUS_MAGIC:
        return "a PE image with optional-header magic 0x%x, not PE32+ (0x20b)" % magic
    (subsystem,) = struct.unpack_from("<H", data, opt + 68)
    if subsystem != EFI_APPLICATION:
        return "a PE32+ image of subsystem %d (%s), not an EFI application (10)" % (
            subsystem, SUBSYSTEMS.get(subsystem, "unknown"))
    return None


def options_problem(text: str) -> Optional[str]:
    """Why TEXT cannot be the next stage's load options, or None."""
    if len(text) > OPTIONS_MAX_CHARS:
        return "%d characters; exitvisor passes at most %d" % (len(text), OPTIONS_MAX_CHARS)
    bad = [c for c in text if not 32 <= ord(c) < 127]
    if bad:
        return "must be printable ASCII (they become UCS-2 load options), not %r" % bad[0]
    return None


def _shown(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--who", default="run", help="the prefix of the error line (run, disk, ...)")
    ap.add_argument("--next", help="the NEXT= file; empty: the default probe")
    ap.add_argument("--options", help="the OPTIONS= text")
    args = ap.parse_args(argv)
    problem = None
    if args.next:
        why = efi_problem(args.next)
        problem = why and "NEXT=%s: %s" % (args.next, why)
    if not problem and args.options is not None:
        why = options_problem(args.options)
        problem = why and "OPTIONS=%s: %s" % (_shown(args.options), why)
    if problem:
        print("%s: error: %s" % (args.who, problem), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
