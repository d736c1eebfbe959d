#!/usr/bin/env python3
"""Checks a boot of guest/crash.c, the guest that triple-faults on purpose.

    check_crash.py --log DIR

exitvisor must report the triple fault with the vCPU and the guest state,
then reset the platform (the test run is stopped on that line, see
tools/run.sh --stop-on). Prints PASS/FAIL per check and "N passed, M failed".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text_checker  # noqa: E402


def check(text, status):
    """Returns [(name, ok, why)] for one crash boot's serial text and status line."""
    lines = text.splitlines()
    results = []

    def find(pattern):
        return text_checker.matches(lines, pattern)

    results.append(("guest-ran", bool(find(r"^crash: loading an empty IDT")), "the crash guest never started"))
    tf = find(r"^exitvisor: cpu (\d+) triple fault in the guest: exit reason 2 \(Triple fault\)")
    results.append(("triple-fault-logged", bool(tf), "no 'cpu N triple fault in the guest: exit reason 2' line"))
    cpu = tf[0].group(1) if tf else None
    dump = find(r"^exitvisor: cpu %s guest: rip 0x[0-9a-f]+ rsp" % (cpu or r"\d+"))
    regs = find(r"^exitvisor: cpu %s guest: rax 0x" % (cpu or r"\d+"))
    results.append(("guest-state-dumped", bool(dump and regs), "no guest state dump for the faulting vCPU"))
    reset = find(r"^exitvisor: cpu %s resetting the platform after the guest's triple fault" % (cpu or r"\d+"))
    results.append(("platform-reset", bool(reset), "no 'resetting the platform' line"))
    results.append(("guest-did-not-continue", not find(r"^crash: still running"),
                    "the guest kept running after its triple fault"))
    results.append(("run-stopped-on-reset", status.startswith("stopped "),
                    "run.sh status is %r, expected 'stopped ...'" % status.strip()))
    return results


def main(argv=None):
    return text_checker.main(__doc__, check, ("exitvisor:", "crash:"), argv)

if __name__ == "__main__":
    sys.exit(main())
