#!/usr/bin/env python3
"""Check the installer's end-to-end run (tools/tests/check_install.sh) from
what crossed the serial line.

The guest (guest/linux/install-test-init) prints "exvtest: phase P start",
its checks as "exvtest: phase P PASS what" / "FAIL what", and "exvtest: phase P
end (...)" before it reboots. The firmware's and exitvisor's lines of a boot
come before that boot's "start" line, so the log splits into boots. This
checker counts the guest's checks and adds its own:
  - every phase ran, in order (setup in the setup log; 1..5 in the chain), and
    the chain ended with "exvtest: done";
  - boots 2 and 4 went through exitvisor: its "VMX not available" line (QEMU
    TCG has no VMX) and its start of the OS loader; boots 1, 3 and 5 show no
    exitvisor line at all (the firmware started the OS by its own entry);
  - the installer said what it changed (BootNext in phase 1, BootOrder in
    phase 3, the uninstall in phase 4).
Prints PASS/FAIL lines and "N passed, M failed"; exit status 1 on a failure.
"""
import argparse
import re
import sys

PHASES = ["1", "2", "3", "4", "5"]
THROUGH_EXITVISOR = {"2", "4"}
VMX_ABSENT = re.compile(r"exitvisor: VMX not available: .*starting the next stage unvirtualized")
LOADER = re.compile(r"exitvisor: .*\\EFI\\exvos\\vmlinuz\.efi", re.IGNORECASE)
INSTALLER_SAYS = {
    "1": "install: set BootNext=",
    "3": "install: BootOrder is now ",
    "4": "install: exitvisor is uninstalled",
}
START = re.compile(r"exvtest: phase (\S+) start")
CHECK = re.compile(r"exvtest: phase (\S+) (PASS|FAIL) (.*)")


def split_boots(lines):
    """{phase: (lines before its start line since the previous phase, lines of the phase)}"""
    boots, order = {}, []
    pre, cur = [], None
    for line in lines:
        m = START.search(line)
        if m:
            cur = m.group(1)
            order.append(cur)
            boots[cur] = (pre, [])
            pre = []
            continue
        if cur is not None and re.search(r"exvtest: phase \S+ end", line):
            boots[cur][1].append(line)
            cur = None
            continue
        if cur is None:
            pre.append(line)
        else:
            boots[cur][1].append(line)
    return boots, order


def check(setup_lines, lines):
    results = []

    def expect(ok, what):
        results.append((bool(ok), what))

    for name, source in (("setup", setup_lines), ("chain", lines)):
        for line in source:
            m = CHECK.search(line)
            if m:
                expect(m.group(2) == "PASS", f"guest, phase {m.group(1)}: {m.group(3)}")
    _, setup_order = split_boots(setup_lines)
    expect(setup_order == ["setup"], f"the setup run ran phase setup (saw {setup_order})")
    boots, order = split_boots(lines)
    expect(order == PHASES, f"the reboot chain ran phases {' '.join(PHASES)} in order (saw {' '.join(order) or 'none'})")
    expect(any("exvtest: done" in line for line in lines), "the chain ended with 'exvtest: done'")
    for phase in PHASES:
        if phase not in boots:
            continue
        firmware, body = boots[phase]
        exv = [line for line in firmware if "exitvisor:" in line]
        if phase in THROUGH_EXITVISOR:
            expect(any(VMX_ABSENT.search(line) for line in exv),
                   f"boot {phase} went through exitvisor: its 'VMX not available' line")
            expect(any(LOADER.search(line) for line in exv),
                   f"boot {phase}: exitvisor started the OS loader \\EFI\\exvos\\vmlinuz.efi")
        else:
            expect(not exv, f"boot {phase} started the OS without exitvisor"
                   + (f" (saw: {exv[0].strip()})" if exv else ""))
        if phase in INSTALLER_SAYS:
            expect(any(INSTALLER_SAYS[phase] in line for line in body),
                   f"phase {phase}: the installer printed '{INSTALLER_SAYS[phase]}...'")
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setup", required=True, help="serial log of the setup run (ANSI-stripped)")
    ap.add_argument("--log", required=True, help="serial log of the reboot chain (ANSI-stripped)")
    args = ap.parse_args(argv)
    try:
        with open(args.setup, errors="replace") as f:
            setup_lines = f.read().splitlines()
        with open(args.log, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        print(f"FAIL cannot read the logs: {e}")
        print("0 passed, 1 failed")
        return 1
    results = check(setup_lines, lines)
    for ok, what in results:
        print(f"{'PASS' if ok else 'FAIL'} {what}")
    passed = sum(ok for ok, _ in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
