#!/usr/bin/env python3
"""Check the serial log of one boot of exitvisor + the conformance guest.

Usage:
    check_conform.py --log DIR --expect-cpus N [--expect-init-sipi native|intercept]
    check_conform.py --log DIR --baseline

--baseline checks a boot with virtualize=no and the guest's --baseline option:
only the guest-visible checks run there (their OBSERVE lines are what
tools/tests/check_transparency.py compares runs under exitvisor with).

DIR is a run directory as tools/run.sh --out writes it: serial.log (raw COM1),
optionally bochs.log and status.txt. guest/conform.c does the measuring and
judges every exit count itself; it prints
    conform: PASS <name> <details>
    conform: FAIL <name>: <why>
    conform: SKIP <what> <why>
and ends with "conform: N passed, M failed". This script checks, from the log,
that the suite ran to its end on a machine whose N CPUs were all virtualized
and that nothing failed:

    serial-log, run-status   the log is there; run.sh saw the guest end the emulator
    banner, cpus-launched    the hypervisor started and launched exactly N CPUs
    no-fatal                 no hypervisor FATAL / STOPPED / VM*-failed / unexpected-exit line
    conform-started          the guest found the signature; leaf 0x40000001 says N vCPUs
    conform-no-fail          no "conform: FAIL" line
    conform-summary          the summary line is there, says 0 failed, and its pass
                             count equals the PASS lines printed
    conform-required         the core checks each printed PASS (a suite that quietly
                             lost them would still end "0 failed")
    conform-concurrency      the concurrency check ran on all N vCPUs
    microcode-from-root      one hypervisor line per microcode load the guest made,
                             each saying it was loaded from VMX root operation
    mtrr-followed            one hypervisor line per MTRR change the guest made
                             (exit-32-wrmsr-mtrr-variable: 2 per operation), each
                             saying the EPT follows it; none when nothing changed
    apic-move-followed       (when the guest moved its xAPIC: exit-48-apic-tpr-store-moved)
                             the hypervisor said it write-protects the new page, and
                             after the move back that the old one is writable again
    init-sipi-mode           (--expect-init-sipi) the hypervisor ran in that INIT/SIPI mode

Each check prints "PASS name" or "FAIL name: why"; SKIP lines of the guest are
repeated as "info: ..." lines. The last line is "N passed, M failed"; the exit
status is 1 if anything failed (2 for usage errors). After a failure the
hypervisor/guest lines of the serial log and the interesting lines of bochs.log
are printed to explain it.
"""
import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, TOOLS)

import check_boot  # noqa: E402  (banner/launch checks and bochs.log filter shared with the probe's checker)
import exitlog  # noqa: E402

Result = Tuple[str, Optional[str]]

# Checks every complete run prints as PASS (guest/conform.c); the exit tests
# and hv-memory checks depend on the CPU and the hypervisor's features, so
# only these are required by name.
REQUIRED = (
    "signature", "cpuid-1-features", "reason-map", "exception-handlers",
    "exit-10-cpuid", "exit-18-vmcall-ping", "exit-18-vmcall-garbage", "exit-27-vmxon",
    "exit-28-cr4-vmxe", "exit-31-rdmsr-feature-control", "exit-32-wrmsr-feature-control",
    "reason-coverage", "leaf-sweep", "leaf-sweep-consistency", "concurrency",
    "final-signature", "final-exit-10-cpuid", "guest-faults-rf", "guest-nmi", "microcode-load",
)
# The guest-visible checks: all a --baseline run (virtualize=no) does.
BASELINE_REQUIRED = ("exception-handlers", "guest-faults-rf", "guest-nmi", "microcode-load")

_MARKERS = re.compile(r"(?=exitvisor: |conform: |probe: )")
_PASS = re.compile(r"^PASS (\S+)(?: (.*))?$")
_FAIL = re.compile(r"^FAIL (\S+?): (.*)$")
_SKIP = re.compile(r"^SKIP (.*)$")
_SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
_STARTED = re.compile(r"^exitvisor signature found, ABI (\d+), (\d+) vCPUs$")
_VCPUS = re.compile(r"\bvcpus=(\d+)\b")
_OBSERVE = re.compile(r"^OBSERVE (\S+) (.*)$")
_BASELINE = re.compile(r"^baseline: no exitvisor signature")
_NO_HV = re.compile(r"virtualize=no in .*: the next stage runs without the hypervisor")
_MODE = re.compile(r"^INIT/SIPI: init_sipi=(native|intercept)\b")
# Hypervisor lines that mean something went wrong (text after "exitvisor: ").
# exitvisor's lines for the guest's microcode loads and MTRR changes (hv/guest/guest_microcode.c,
# hv/guest/guest_mtrr.c); the suite's update has revision 0x45584954 and 2048 bytes.
_UCODE_LOADED = re.compile(r"^cpu \d+ the guest's microcode update \(revision 0x45584954, 2048 bytes at physical "
                           r"0x[0-9a-f]+\) was loaded from VMX root operation")
_MTRR_FOLLOWED = re.compile(r"^cpu \d+ the guest's MTRRs changed \(WRMSR 0x([0-9a-f]+), MTRRs on\): the EPT follows "
                            r"them: (\d+) EPT entries retyped")
_APIC_MOVED = re.compile(r"^cpu \d+ the guest moved its xAPIC from (0x[0-9a-f]+) to (0x[0-9a-f]+): EPT "
                         r"write-protects the new page(?: \(\d+ large pages split, \d+ of \d+ reserve pages left\))?"
                         r"(, the old one is writable again)?$")
_N_OPS = re.compile(r"\bn=(\d+)\b")
_HV_BAD = re.compile(r"\b(FATAL|STOPPED|VMLAUNCH failed|VMRESUME failed|unexpected exit|"
                     r"VM-entry failure|triple fault)\b")


@dataclass
class ConformLog:
    hv: exitlog.SerialLog
    lines: List[str] = field(default_factory=list)          # text after "conform: "
    passed: Dict[str, str] = field(default_factory=dict)    # name -> details
    pass_lines: int = 0
    failed: List[Tuple[str, str]] = field(default_factory=list)
    skips: List[str] = field(default_factory=list)
    summary: Optional[Tuple[int, int]] = None
    started: Optional[Tuple[int, int]] = None               # (ABI, vCPUs)
    hv_bad: List[str] = field(default_factory=list)
    ucode_loads: int = 0                                    # exitvisor: ... microcode update ... loaded from root
    mtrr_changes: List[int] = field(default_factory=list)   # exitvisor: ... MTRRs changed (WRMSR msr) ...
    apic_moves: List[Tuple[str, str, bool]] = field(default_factory=list)  # (from, to, old page released)
    observed: Dict[str, str] = field(default_factory=dict)  # OBSERVE name -> values
    baseline: bool = False                                  # the guest said it ran without exitvisor
    without_hv: bool = False                                # exitvisor said virtualize=no
    init_sipi: Optional[str] = None                         # "native" / "intercept", from exitvisor's line


def parse_text(text: str) -> ConformLog:
    hv = exitlog.parse_text(text)
    log = ConformLog(hv=hv)
    for line in hv.lines + ([hv.truncated_tail] if hv.truncated_tail else []):
        for seg in _MARKERS.split(line):
            if seg.startswith("exitvisor: "):
                body = seg[len("exitvisor: "):].rstrip()
                if _HV_BAD.search(body):
                    log.hv_bad.append(body)
                if _NO_HV.search(body):
                    log.without_hv = True
                m = _MODE.match(body)
                if m:
                    log.init_sipi = m.group(1)
                if _UCODE_LOADED.match(body):
                    log.ucode_loads += 1
                m = _MTRR_FOLLOWED.match(body)
                if m:
                    log.mtrr_changes.append(int(m.group(1), 16))
                m = _APIC_MOVED.match(body)
                if m:
                    log.apic_moves.append((m.group(1), m.group(2), m.group(3) is not None))
                continue
            if not seg.startswith("conform: "):
                continue
            body = seg[len("conform: "):].rstrip()
            log.lines.append(body)
            m = _PASS.match(body)
            if m:
                log.passed[m.group(1)] = m.group(2) or ""
                log.pass_lines += 1
                continue
            m = _FAIL.match(body)
            if m:
                log.failed.append((m.group(1), m.group(2)))
                continue
            m = _SKIP.match(body)
            if m:
                log.skips.append(m.group(1))
                continue
            m = _SUMMARY.match(body)
            if m:
                log.summary = (int(m.group(1)), int(m.group(2)))
                continue
            m = _STARTED.match(body)
            if m:
                log.started = (int(m.group(1)), int(m.group(2)))
                continue
            m = _OBSERVE.match(body)
            if m:
                log.observed[m.group(1)] = m.group(2).strip()
                continue
            if _BASELINE.match(body):
                log.baseline = True
    return log


def parse_file(path: str) -> ConformLog:
    with open(path, "rb") as f:
        return parse_text(f.read().decode("utf-8", errors="replace"))


# --------------------------------------------------------------------------
# Checks: each returns None on success or why it failed.

def check_banner(log: ConformLog, n: int) -> Optional[str]:
    return check_boot.check_banner(log.hv, n)


def check_cpus_launched(log: ConformLog, n: int) -> Optional[str]:
    return check_boot.check_cpus_launched(log.hv, n)


def check_no_fatal(log: ConformLog, n: int) -> Optional[str]:
    bad = list(dict.fromkeys(log.hv.fatal + log.hv_bad))
    if bad:
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        return "hypervisor reported: " + " | ".join(bad[:3]) + more
    if log.hv.novmx is not None:
        return f"hypervisor reported 'VMX not available: {log.hv.novmx}'"
    return None


def check_started(log: ConformLog, n: int) -> Optional[str]:
    if log.started is None:
        if any(name == "signature" for name, _ in log.failed):
            return "the guest found no exitvisor signature"
        if not log.lines:
            return "no 'conform: ' line at all (the conformance guest never ran?)"
        return "no 'conform: exitvisor signature found, ABI A, N vCPUs' line"
    abi, vcpus = log.started
    problems = []
    if abi != check_boot.ABI_VERSION:
        problems.append(f"ABI {abi}, hv/stats/abi.h says {check_boot.ABI_VERSION}")
    if vcpus != n:
        problems.append(f"leaf 0x40000001 reports {vcpus} vCPUs, expected {n}")
    return "; ".join(problems) or None


def check_no_fail(log: ConformLog, n: int) -> Optional[str]:
    if not log.failed:
        return None
    shown = [f"{name}: {why}" for name, why in log.failed[:3]]
    more = f" (and {len(log.failed) - 3} more)" if len(log.failed) > 3 else ""
    return f"{len(log.failed)} FAIL line(s): " + " | ".join(shown) + more


def check_summary(log: ConformLog, n: int) -> Optional[str]:
    if log.summary is None:
        return "no 'conform: N passed, M failed' line (the suite did not finish)"
    passed, failed = log.summary
    problems = []
    if failed:
        problems.append(f"the guest reports {failed} failed")
    if passed == 0:
        problems.append("the guest reports 0 passed")
    if passed != log.pass_lines:
        problems.append(f"the guest reports {passed} passed but printed {log.pass_lines} PASS lines")
    if failed != len(log.failed):
        problems.append(f"the guest reports {failed} failed but printed {len(log.failed)} FAIL lines")
    return "; ".join(problems) or None


def check_required(log: ConformLog, n: int) -> Optional[str]:
    missing = [name for name in REQUIRED if name not in log.passed]
    if missing:
        return "no PASS line for " + ", ".join(missing)
    return None


def check_concurrency(log: ConformLog, n: int) -> Optional[str]:
    details = log.passed.get("concurrency")
    if details is None:
        return "no 'conform: PASS concurrency' line"
    m = _VCPUS.search(details)
    if not m:
        return f"the concurrency line names no vcpus=N: '{details}'"
    if int(m.group(1)) != n:
        return f"the concurrency check ran on {m.group(1)} vCPUs, expected {n}"
    return None


def _ops(log: ConformLog, name: str) -> int:
    """n= of a PASS line (0 when the test did not pass)."""
    m = _N_OPS.search(log.passed.get(name, ""))
    return int(m.group(1)) if m else 0


def check_microcode_from_root(log: ConformLog, n: int) -> Optional[str]:
    # Without the guest's microcode-load check (conform-required says so) it made no load to look for.
    want = ("microcode-load" in log.passed) + _ops(log, "exit-32-wrmsr-microcode")
    if log.ucode_loads != want:
        return (f"{log.ucode_loads} 'exitvisor: ... microcode update ... was loaded from VMX root operation' lines "
                f"for {want} loads the guest made")
    return None


def check_mtrr_followed(log: ConformLog, n: int) -> Optional[str]:
    want = 2 * _ops(log, "exit-32-wrmsr-mtrr-variable")
    if len(log.mtrr_changes) != want:
        return (f"{len(log.mtrr_changes)} 'exitvisor: ... the guest's MTRRs changed ...' lines for {want} changes "
                f"the guest made (2 per exit-32-wrmsr-mtrr-variable operation)")
    not_mask = [hex(m) for m in log.mtrr_changes if not (0x200 <= m < 0x240 and m % 2 == 1)]
    if not_mask:
        return "a change was put down to " + ", ".join(not_mask) + ": only the PHYSMASK writes change what the MTRRs say"
    return None


def check_apic_move_followed(log: ConformLog, n: int) -> Optional[str]:
    if "exit-48-apic-tpr-store-moved" not in log.passed:
        if log.apic_moves:
            return f"{len(log.apic_moves)} xAPIC move lines, but the guest did not report moving its xAPIC"
        return None
    if len(log.apic_moves) != 2:
        return f"{len(log.apic_moves)} 'exitvisor: ... moved its xAPIC ...' lines for the 2 moves the guest made"
    (a_from, a_to, _), (b_from, b_to, released) = log.apic_moves
    if (b_from, b_to) != (a_to, a_from):
        return f"the second move ({b_from} -> {b_to}) is not the first ({a_from} -> {a_to}) undone"
    if not released:
        return "after the move back exitvisor did not make the page the xAPIC left writable again"
    return None


def check_init_sipi_mode(log: ConformLog, want: str) -> Optional[str]:
    if log.init_sipi is None:
        return "no 'exitvisor: INIT/SIPI: ...' line saying the mode"
    if log.init_sipi != want:
        return f"the hypervisor ran with init_sipi={log.init_sipi}, expected {want}"
    return None


def check_baseline_ran(log: ConformLog, n: int) -> Optional[str]:
    problems = []
    if not log.without_hv:
        problems.append("no 'exitvisor: ... virtualize=no ...' line: the baseline must run without the hypervisor")
    if not log.baseline:
        problems.append("no 'conform: baseline: no exitvisor signature' line")
    return "; ".join(problems) or None


def check_baseline_required(log: ConformLog, n: int) -> Optional[str]:
    missing = [name for name in BASELINE_REQUIRED if name not in log.passed]
    problems = ["no PASS line for " + ", ".join(missing)] if missing else []
    for name in ("faults", "nmi", "microcode"):
        if name not in log.observed:
            problems.append(f"no 'conform: OBSERVE {name} ...' line")
    return "; ".join(problems) or None


BASELINE_CHECKS: List[Tuple[str, Callable[[ConformLog, int], Optional[str]]]] = [
    ("baseline-without-hypervisor", check_baseline_ran),
    ("conform-no-fail", check_no_fail),
    ("conform-summary", check_summary),
    ("baseline-required", check_baseline_required),
]

CHECKS: List[Tuple[str, Callable[[ConformLog, int], Optional[str]]]] = [
    ("banner", check_banner),
    ("cpus-launched", check_cpus_launched),
    ("no-fatal", check_no_fatal),
    ("conform-started", check_started),
    ("conform-no-fail", check_no_fail),
    ("conform-summary", check_summary),
    ("conform-required", check_required),
    ("conform-concurrency", check_concurrency),
    ("microcode-from-root", check_microcode_from_root),
    ("mtrr-followed", check_mtrr_followed),
    ("apic-move-followed", check_apic_move_followed),
]


def run_checks(log: ConformLog, n: int, init_sipi: Optional[str] = None) -> List[Result]:
    results = [(name, fn(log, n)) for name, fn in CHECKS]
    if init_sipi:
        results.append(("init-sipi-mode", check_init_sipi_mode(log, init_sipi)))
    return results


def run_baseline_checks(log: ConformLog) -> List[Result]:
    return [(name, fn(log, 0)) for name, fn in BASELINE_CHECKS]


def relevant_serial_lines(log: ConformLog, limit: int = 150) -> List[str]:
    keep = [line for line in log.hv.lines if "exitvisor: " in line or "conform: " in line]
    if not keep:
        keep = log.hv.lines[-40:]
    if log.hv.truncated_tail is not None:
        keep.append(log.hv.truncated_tail + "   <- unterminated last line")
    return keep[-limit:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Check a boot of the exitvisor conformance guest.")
    ap.add_argument("--log", required=True, metavar="DIR",
                    help="run directory holding serial.log (and bochs.log, status.txt)")
    ap.add_argument("--expect-cpus", type=int, metavar="N",
                    help="the machine's CPU count: all must be virtualized and take part")
    ap.add_argument("--expect-init-sipi", choices=("native", "intercept"),
                    help="the INIT/SIPI mode the hypervisor must report")
    ap.add_argument("--baseline", action="store_true",
                    help="a virtualize=no boot of the guest with --baseline: only the guest-visible checks")
    args = ap.parse_args(argv)
    if args.baseline:
        return check_boot.report_run(args.log, parse_file, run_baseline_checks, relevant_serial_lines,
                                     "hypervisor and conform lines",
                                     info=lambda log: [f"info: guest SKIP {s}" for s in log.skips])
    if args.expect_cpus is None or args.expect_cpus < 1:
        ap.error("--expect-cpus N (at least 1) is required without --baseline")

    return check_boot.report_run(args.log, parse_file,
                                 lambda log: run_checks(log, args.expect_cpus, args.expect_init_sipi),
                                 relevant_serial_lines, "hypervisor and conform lines",
                                 info=lambda log: [f"info: guest SKIP {s}" for s in log.skips])


if __name__ == "__main__":
    sys.exit(main())
