#!/usr/bin/env python3
"""Check the serial log of one boot of exitvisor + probe.

Usage:
    check_boot.py --log DIR --expect-cpus N     a VMX boot (Bochs, or QEMU/KVM nested)
    check_boot.py --log DIR --expect-novmx      a boot without VMX (QEMU TCG)

DIR is a run directory as tools/run.sh --out writes it: serial.log (raw COM1),
optionally bochs.log and status.txt. Every check prints one line,
"PASS name" or "FAIL name: why"; the last line is "N passed, M failed" and the
exit status is 1 if anything failed (2 for usage errors). After a failure the
hypervisor/probe lines of the serial log (ANSI-stripped) and the interesting
lines of bochs.log are printed to explain it.

The exact arithmetic below follows from guest/probe.c's query order and the
ABI rule in hv/stats/abi.h that every query is a CPUID exit counted before it is
answered. It assumes that while the probe measures, the only exits are its own
CPUIDs (the probe disables interrupts in those windows; APs sit idle in the
firmware).
"""
import argparse
import os
import re
import sys
from typing import Callable, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)

import exitlog  # noqa: E402
import timeline  # noqa: E402  (tools/timeline.py)
from exitlog import SerialLog, strip_ansi  # noqa: E402

MASK32 = 0xFFFFFFFF
CPUID_REASON = 10           # EXIT_REASON_CPUID


def _read_header_facts():
    """ABI version, exit-reason names and the reason count, from the headers."""
    abi_version, names, count = 1, {}, 80
    try:
        with open(os.path.join(REPO, "hv", "stats", "abi.h")) as f:
            m = re.search(r"#define\s+EXV_ABI_VERSION\s+(\d+)", f.read())
            if m:
                abi_version = int(m.group(1))
    except OSError:
        pass
    try:
        with open(os.path.join(REPO, "hv", "arch", "exit_reasons.h")) as f:
            text = f.read()
        names = {int(n): s for n, s in re.findall(r'X\((\d+),\s*\w+,\s*"([^"]*)"\)', text)}
        m = re.search(r"#define\s+EXIT_REASON_COUNT\s+(\d+)", text)
        if m:
            count = int(m.group(1))
    except OSError:
        pass
    return abi_version, names, count


ABI_VERSION, SDM_NAMES, REASON_COUNT = _read_header_facts()
SDM_UNDEFINED = [r for r in range(REASON_COUNT) if SDM_NAMES and r not in SDM_NAMES]

# Queries the probe issues after T1 up to and including T2: a count and a
# cycles query per reason, then T2.
QUERIES_BETWEEN = 2 * REASON_COUNT + 1
# Queries after T1 up to and including the count read of reason 10 (CPUID):
# count(0), cycles(0), ..., count(9), cycles(9) is 2*10 = 20 queries, and
# count(10) is the 21st.
QUERIES_TO_CPUID_COUNT = 2 * CPUID_REASON + 1

Result = Tuple[str, Optional[str]]     # (name, None if passed else why)


class CheckError(Exception):
    pass


def _need(value, what):
    if value is None:
        raise CheckError(f"no {what} line in the serial log")
    return value


# --------------------------------------------------------------------------
# VMX boot checks. Each returns None on success or a reason for failure.

def check_banner(log: SerialLog, n: int) -> Optional[str]:
    if log.banner is None:
        return "no 'exitvisor: exitvisor <version> starting: ...' banner"
    return None


def check_cpus_launched(log: SerialLog, n: int) -> Optional[str]:
    problems = []
    cpus = [c for c, _ in log.launched]
    missing = [i for i in range(n) if i not in cpus]
    if missing:
        problems.append("no 'cpu N apic A launched' line for cpu " + ", ".join(map(str, missing)))
    extra = sorted({c for c in cpus if c >= n})
    if extra:
        problems.append("launch lines for unexpected cpu " + ", ".join(map(str, extra)))
    dups = sorted({c for c in cpus if cpus.count(c) > 1})
    if dups:
        problems.append("cpu launched more than once: " + ", ".join(map(str, dups)))
    if log.launched_summary != (n, n):
        got = ("none" if log.launched_summary is None
               else "'%d of %d cpus launched'" % log.launched_summary)
        problems.append(f"expected '{n} of {n} cpus launched', got {got}")
    return "; ".join(problems) or None


def check_no_fatal(log: SerialLog, n: int) -> Optional[str]:
    if log.fatal:
        return "hypervisor reported: " + " | ".join(log.fatal[-3:])
    if log.novmx is not None:
        return f"hypervisor reported 'VMX not available: {log.novmx}'"
    return None


def check_probe_signature(log: SerialLog, n: int) -> Optional[str]:
    if log.no_signature:
        return "the probe saw no exitvisor signature at CPUID 0x40000000"
    abi, vcpus = _need(log.signature, "'probe: exitvisor signature found'")
    problems = []
    if abi != ABI_VERSION:
        problems.append(f"ABI {abi}, hv/stats/abi.h says {ABI_VERSION}")
    if vcpus != n:
        problems.append(f"leaf 0x40000001 reports {vcpus} vCPUs, expected {n}")
    return "; ".join(problems) or None


def check_probe_table(log: SerialLog, n: int) -> Optional[str]:
    try:
        t = log.require_table()
    except exitlog.NoExitTableError as e:
        return str(e)
    problems = []
    if t.declared_rows != len(t.rows):
        problems.append(f"{len(t.rows)} rows parsed but the probe printed {t.declared_rows}")
    if sum(r.exits for r in t.rows) != t.total_exits:
        problems.append(f"rows sum to {sum(r.exits for r in t.rows)} exits, total row says {t.total_exits}")
    if sum(r.cycles for r in t.rows) != t.total_cycles:
        problems.append(f"rows sum to {sum(r.cycles for r in t.rows)} cycles, total row says {t.total_cycles}")
    if log.sum_exits is not None and log.sum_exits != t.total_exits:
        problems.append(f"sum-of-reasons line says {log.sum_exits}, total row {t.total_exits}")
    for r in t.rows:
        want = SDM_NAMES.get(r.reason)
        if SDM_NAMES and want != r.name:
            problems.append(f"row {r.reason} is named '{r.name}', the SDM name is '{want}'")
        if r.exits == 0:
            problems.append(f"row {r.reason} has zero exits (rows are for non-zero counts)")
    if CPUID_REASON not in t.by_reason():
        problems.append("no CPUID row, yet every query is a CPUID exit")
    return "; ".join(problems) or None


def check_sum_of_reasons(log: SerialLog, n: int) -> Optional[str]:
    # T1 counts itself. Between T1 and the count read of reason 10 only the
    # probe's own queries run (QUERIES_TO_CPUID_COUNT = 21 of them, the 21st
    # being that read, which counts itself), and they are all CPUID exits. So
    # count[10] = (CPUID count at T1) + 21, while every other count[r] equals
    # its value at T1. Summing: S = (sum of counts at T1) + 21 = T1 + 21.
    # Counts are 32-bit in these leaves, so compare modulo 2^32.
    s = _need(log.snapshot, "'probe: snapshot'")
    total = _need(log.sum_exits, "'probe: sum-of-reasons'")
    if (total - s.t1_exits) & MASK32 != QUERIES_TO_CPUID_COUNT:
        return (f"S={total}, T1={s.t1_exits}: S-T1={total - s.t1_exits}, expected "
                f"{QUERIES_TO_CPUID_COUNT} (queries after T1 up to the CPUID count read); "
                f"T2-T1={s.t2_exits - s.t1_exits} (expected {QUERIES_BETWEEN})")
    return None


def check_snapshot_window(log: SerialLog, n: int) -> Optional[str]:
    # After T1: 80 count + 80 cycles queries, then T2 counting itself.
    s = _need(log.snapshot, "'probe: snapshot'")
    problems = []
    if s.reasons != REASON_COUNT:
        problems.append(f"reasons={s.reasons}, expected {REASON_COUNT}")
    if s.queries_between != QUERIES_BETWEEN:
        problems.append(f"queries_between={s.queries_between}, expected {QUERIES_BETWEEN}")
    if (s.t2_exits - s.t1_exits) & MASK32 != s.queries_between:
        problems.append(f"T2-T1={s.t2_exits - s.t1_exits} exits, expected "
                        f"queries_between={s.queries_between}")
    if s.t2_cycles < s.t1_cycles:
        problems.append(f"total cycles went down: T1 {s.t1_cycles}, T2 {s.t2_cycles}")
    return "; ".join(problems) or None


def check_cpuid_delta(log: SerialLog, n: int) -> Optional[str]:
    # before is read, then `ran` CPUIDs, then after, which counts itself.
    ran, before, after = _need(log.cpuid_delta, "'probe: cpuid-delta'")
    if (after - before) & MASK32 != ran + 1:
        return f"after-before={after - before}, expected ran+1={ran + 1}"
    return None


def check_count64(log: SerialLog, n: int) -> Optional[str]:
    # The probe reads, in order and with nothing between: cpuid-delta's
    # `after`, count64(total), count64(CPUID). So count64 cpuid = after + 2.
    # After T2 at least before, the ran CPUIDs, after and the total query
    # itself were counted: total >= T2 + ran + 3.
    total, cpuid = _need(log.count64, "'probe: count64'")
    s = _need(log.snapshot, "'probe: snapshot'")
    ran, _before, after = _need(log.cpuid_delta, "'probe: cpuid-delta'")
    problems = []
    if total < s.t2_exits:
        problems.append(f"64-bit total {total} < T2 {s.t2_exits}")
    elif total < s.t2_exits + ran + 3:
        problems.append(f"64-bit total {total} < T2 + ran + 3 = {s.t2_exits + ran + 3}")
    if cpuid & MASK32 != (after + 2) & MASK32:
        problems.append(f"64-bit CPUID count {cpuid}, expected cpuid-delta after + 2 = {after + 2}")
    if cpuid > total:
        problems.append(f"64-bit CPUID count {cpuid} exceeds the 64-bit total {total}")
    return "; ".join(problems) or None


# The reason map (leaf 0x40000002) against what the hypervisor's controls
# imply, whatever the run did:
#  - undefined: exactly the numbers the SDM leaves unassigned, 35, 38, 42 and
#    71 (hv/arch/exit_reasons.h says the same; a unit test holds them equal).
#  - must be possible:
#      2 triple fault, 3 INIT signal, 10 CPUID, 18 VMCALL: unconditional exits
#        in VMX non-root operation, no control turns them off;
#      28 control-register accesses: the CR0 and CR4 guest/host masks are
#        non-zero (the fixed bits of CR0/CR4 and CR4.VMXE/SMXE are owned by the
#        hypervisor), so a MOV to CR0/CR4 that changes an owned bit exits;
#      31 RDMSR, 32 WRMSR: MSRs outside the MSR bitmap's ranges always exit;
#      48 EPT violation: EPT is on.
#  - must be impossible: 1 external interrupt, 12 HLT and 16 RDTSC, because
#    external-interrupt exiting (pin-based), HLT exiting and RDTSC exiting are
#    off. (30 I/O is possible: the I/O bitmaps watch the reset and power-off
#    ports, hv/exits/io.c.)
# Besides, a reason that did exit (a table row) must be possible.
EXPECTED_UNDEFINED = frozenset({35, 38, 42, 71})
MUST_BE_POSSIBLE = frozenset({2, 3, 10, 18, 28, 31, 32, 48})
MUST_BE_IMPOSSIBLE = frozenset({1, 12, 16})


def _fmt(reasons) -> str:
    return "{" + ", ".join(map(str, sorted(reasons))) + "}"


def check_reason_map(log: SerialLog, n: int) -> Optional[str]:
    counts = _need(log.reason_map, "'probe: reason-map'")
    possible = set(_need(log.possible_reasons, "'probe: possible-reasons'"))
    undefined = set(_need(log.undefined_reasons, "'probe: undefined-reasons'"))
    problems = []
    if sum(counts.values()) != REASON_COUNT:
        problems.append(f"reason-map counts add up to {sum(counts.values())}, not {REASON_COUNT}")
    if len(possible) != counts["possible"]:
        problems.append(f"{len(possible)} possible reasons listed, reason-map says {counts['possible']}")
    if len(undefined) != counts["undefined"]:
        problems.append(f"{len(undefined)} undefined reasons listed, reason-map says {counts['undefined']}")
    if undefined != EXPECTED_UNDEFINED:
        problems.append(f"undefined reasons {_fmt(undefined)}, the SDM leaves "
                        f"{_fmt(EXPECTED_UNDEFINED)} undefined")
    if possible & undefined:
        problems.append(f"reasons both possible and undefined: {_fmt(possible & undefined)}")
    if not MUST_BE_POSSIBLE <= possible:
        problems.append(f"reasons {_fmt(MUST_BE_POSSIBLE - possible)} not possible, yet the "
                        "controls make them possible")
    if MUST_BE_IMPOSSIBLE & possible:
        problems.append(f"reasons {_fmt(MUST_BE_IMPOSSIBLE & possible)} possible, yet the "
                        "controls that cause them are off")
    if log.table is not None and log.table.complete:
        exited = {r.reason for r in log.table.rows if r.exits}
        if not exited <= possible:
            problems.append(f"reasons {_fmt(exited - possible)} have exits in the table "
                            "but the map calls them not possible")
    return "; ".join(problems) or None


def check_leaf_rules(log: SerialLog, n: int) -> Optional[str]:
    # The probe checked, against the rules of hv/stats/abi.h and with the classes
    # from the map, the answers of leaves 0x4FFFFFFE/D/C for reasons 0..79 and
    # 19 selectors past them (80, 0x100, 0xFFFFFFFF, which is the total on
    # 0x4FFFFFFC, and 16 pseudo-random values), and the map words themselves.
    checked, mismatches = _need(log.leaf_rules, "'probe: leaf-rules'")
    problems = []
    if checked == 0:
        problems.append("the probe checked no answers")
    if mismatches:
        problems.append(f"{mismatches} of {checked} answers break the leaf rules")
    if len(log.leaf_mismatches) != mismatches:
        problems.append(f"{len(log.leaf_mismatches)} leaf-mismatch lines, leaf-rules says {mismatches}")
    if log.leaf_mismatches:
        shown = [m.text for m in log.leaf_mismatches[:5]]
        more = len(log.leaf_mismatches) - len(shown)
        problems.append("first: " + " | ".join(shown) + (f" (and {more} more)" if more else ""))
    return "; ".join(problems) or None


def check_per_vcpu(log: SerialLog, n: int) -> Optional[str]:
    problems = []
    idx = [v.index for v in log.vcpus]
    if sorted(idx) != list(range(n)):
        problems.append(f"vcpu lines for {idx}, expected 0..{n - 1}")
    if log.vcpu_errors:
        problems.append("; ".join(log.vcpu_errors))
    if log.mp_missing:
        problems.append(log.mp_missing)
    if log.vcpus_read != n:
        problems.append(f"vcpus-read {log.vcpus_read}, expected {n}")
    bad = [v.index for v in log.vcpus if not v.signature_ok]
    if bad:
        problems.append("signature missing on vcpu " + ", ".join(map(str, bad)))
    apics = [v.apic for v in log.vcpus]
    if len(set(apics)) != len(apics):
        problems.append(f"APIC ids repeat: {apics}")
    hv_apics = {a for _, a in log.launched}
    if log.launched and set(apics) != hv_apics:
        problems.append(f"APIC ids read {sorted(apics)}, hypervisor launched {sorted(hv_apics)}")
    # Processors are read one after another in the printed order, and every
    # read is counted before it is answered: the global counts cannot fall.
    for key in ("total", "cpuid"):
        seq = [getattr(v, key) for v in log.vcpus if v.signature_ok]
        if any(b is None or a is None or b < a for a, b in zip(seq, seq[1:])):
            problems.append(f"{key} counts not non-decreasing in read order: {seq}")
    return "; ".join(problems) or None


def check_probe_done(log: SerialLog, n: int) -> Optional[str]:
    return None if log.done else "no 'probe: done' line (the probe did not finish)"


def check_timeline_at_poweroff(log: SerialLog, n: int) -> Optional[str]:
    """exitvisor's own table at power-off, then its timeline: complete,
    monotonic, the last sample (taken after the table) at least it and at
    least the probe's final table."""
    hv = [t for t in log.hv_tables if t.table.complete]
    if not hv:
        return "no complete exit table of exitvisor's own (printed at power-off)"
    after = [b for b in timeline.parse_blocks(log.lines) if b.who == "exitvisor" and b.line > hv[-1].line]
    if not after:
        return "no timeline block after exitvisor's power-off table"
    table = {r.reason: r.exits for r in hv[-1].table.rows}
    problems = timeline.check_block(after[-1], table=table, table_before_last=True)
    probe = log.final_table if log.final_table is not None and log.final_table.complete else None
    if not problems and probe is not None:
        last = after[-1].ordered()[-1].counts
        low = [r.reason for r in probe.rows if last.get(r.reason, 0) < r.exits]
        if low:
            problems.append(f"the last sample is below the probe's final table in reasons {low}")
    if not problems and len(after[-1].samples) < 2:
        problems.append(f"only {len(after[-1].samples)} sample(s): the boot's exits were not sampled")
    return "; ".join(problems) or None


VMX_CHECKS: List[Tuple[str, Callable[[SerialLog, int], Optional[str]]]] = [
    ("banner", check_banner),
    ("cpus-launched", check_cpus_launched),
    ("no-fatal", check_no_fatal),
    ("probe-signature", check_probe_signature),
    ("probe-table", check_probe_table),
    ("sum-of-reasons", check_sum_of_reasons),
    ("snapshot-window", check_snapshot_window),
    ("cpuid-delta", check_cpuid_delta),
    ("count64", check_count64),
    ("reason-map", check_reason_map),
    ("leaf-rules", check_leaf_rules),
    ("per-vcpu", check_per_vcpu),
    ("probe-done", check_probe_done),
]

_HV_LOG = re.compile(r"^probe: hv-log: (.*)$")
_HV_LOG_END = re.compile(r"^probe: hv-log end: (\d+) lines, (\d+) bytes written since launch, ring (\d+) bytes, "
                         r"(\d+) bytes lost$")


def check_hv_log(log: SerialLog, n: int) -> Optional[str]:
    """The probe printed the hypervisor's log (leaf 0x40000008): whole, and
    holding what exitvisor said on COM1 before it: the banner, every CPU's
    launched line (the boot code's, handed over at the hand-off) and the
    N of N summary, and its VMCALL table."""
    got = [m.group(1) for m in (_HV_LOG.match(l.rstrip()) for l in log.lines) if m]
    end = [m for m in (_HV_LOG_END.match(l.rstrip()) for l in log.lines) if m]
    if not end:
        return "no 'probe: hv-log end' line (the probe did not read the log)"
    lines, written, ring, lost = (int(x) for x in end[-1].groups())
    problems = []
    if lines != len(got):
        problems.append(f"the probe says {lines} lines, printed {len(got)}")
    if lost:
        problems.append(f"{lost} bytes lost in a {ring}-byte ring after {written} bytes")
    upto = max(i for i, l in enumerate(log.lines) if _HV_LOG_END.match(l.rstrip()))
    serial = [l.rstrip()[len("exitvisor: "):] for l in log.lines[:upto] if l.startswith("exitvisor: ")]
    wanted = [s for s in serial if re.match(r"(cpu \d+ apic \d+ launched|\d+ of \d+ cpus launched|exitvisor \S+ "
                                             r"starting: |cpu \d+ exit table: )", s)]
    missing = [w for w in wanted if w not in got]
    if missing:
        problems.append(f"{len(missing)} of exitvisor's COM1 lines missing from its log, e.g. {missing[0]!r}")
    if f"{n} of {n} cpus launched" not in got:
        problems.append(f"no '{n} of {n} cpus launched' in the log")
    return "; ".join(problems) or None


# With --expect-timeline (exitvisor since issue 11 prints its timeline at
# power-off) and --expect-hv-log (the probe prints the hypervisor's log,
# leaf 0x40000008); the older sample logs have neither.
TIMELINE_CHECKS = [
    ("timeline-at-poweroff", check_timeline_at_poweroff),
]
HV_LOG_CHECKS = [
    ("hv-log", check_hv_log),
]


# --------------------------------------------------------------------------
# No-VMX boot checks

def check_vmx_not_available(log: SerialLog, n: int) -> Optional[str]:
    if log.novmx is None:
        return "no 'exitvisor: VMX not available: <reason>' line"
    if log.launched:
        return f"says VMX is not available, yet launched cpus {[c for c, _ in log.launched]}"
    return None


def check_probe_no_signature(log: SerialLog, n: int) -> Optional[str]:
    if log.signature is not None:
        return "the probe found an exitvisor signature although VMX is not available"
    if not log.no_signature:
        return "no 'probe: no exitvisor signature at CPUID 0x40000000' line"
    return None


NOVMX_CHECKS = [
    ("vmx-not-available", check_vmx_not_available),
    ("probe-no-signature", check_probe_no_signature),
    ("probe-done", check_probe_done),
]


# --------------------------------------------------------------------------

def run_checks(log: SerialLog, expect_cpus: Optional[int] = None,
               expect_novmx: bool = False, expect_timeline: bool = False,
               expect_hv_log: bool = False) -> List[Result]:
    checks = NOVMX_CHECKS if expect_novmx else (VMX_CHECKS + (TIMELINE_CHECKS if expect_timeline else [])
                                                 + (HV_LOG_CHECKS if expect_hv_log else []))
    n = 0 if expect_novmx else expect_cpus
    results = []
    for name, fn in checks:
        try:
            why = fn(log, n)
        except CheckError as e:
            why = str(e)
        results.append((name, why))
    return results


def relevant_serial_lines(log: SerialLog, limit: int = 150) -> List[str]:
    keep = [line for line in log.lines
            if "exitvisor: " in line or "probe: " in line
            or exitlog._ROW.match(line.rstrip()) or exitlog._TOTAL.match(line.rstrip())]
    if not keep:
        keep = log.lines[-40:]
    if log.truncated_tail is not None:
        keep.append(log.truncated_tail + "   <- unterminated last line")
    return keep[-limit:]


def bochs_lines(path: str, limit: int = 40) -> List[str]:
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    pat = re.compile(r"VMFAIL|VMENTER|PANIC|ERROR")
    return [strip_ansi(line) for line in text.splitlines() if pat.search(line)][-limit:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Check an exitvisor boot's serial log.")
    ap.add_argument("--log", required=True, metavar="DIR",
                    help="run directory holding serial.log (and bochs.log, status.txt)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--expect-cpus", type=int, metavar="N",
                      help="a VMX boot on N CPUs: all must be virtualized")
    mode.add_argument("--expect-novmx", action="store_true",
                      help="a boot without VMX (QEMU TCG): the hypervisor must step aside")
    ap.add_argument("--expect-timeline", action="store_true",
                    help="exitvisor's timeline after its power-off table, checked against it")
    ap.add_argument("--expect-hv-log", action="store_true",
                    help="the probe's copy of the hypervisor's log (leaf 0x40000008), against COM1")
    args = ap.parse_args(argv)
    if args.expect_cpus is not None and args.expect_cpus < 1:
        ap.error("--expect-cpus must be at least 1")

    return report_run(args.log, exitlog.parse_file,
                      lambda log: run_checks(log, args.expect_cpus, args.expect_novmx, args.expect_timeline,
                                             args.expect_hv_log),
                      relevant_serial_lines, "hypervisor and probe lines")


def report_run(run_dir, parse, checks, relevant_lines, what, info=None) -> int:
    """The common part of a boot checker: parse DIR/serial.log, check the
    run status, run `checks(log)`, print PASS/FAIL per check (and `info(log)`
    lines), on failure the relevant serial and bochs.log lines, and the
    summary "N passed, M failed". Returns the exit status."""
    results: List[Result] = []
    log = None
    serial = os.path.join(run_dir, "serial.log")
    try:
        log = parse(serial)
        results.append(("serial-log", None))
    except OSError as e:
        results.append(("serial-log", f"cannot read {serial}: {e}"))

    status_path = os.path.join(run_dir, "status.txt")
    if os.path.exists(status_path):
        with open(status_path) as f:
            status = f.read().strip()
        results.append(("run-status", None if status.split(" ", 1)[0] == "ended"
                        else f"run.sh status: {status}"))

    if log is not None:
        results += checks(log)

    failed = 0
    for name, why in results:
        if why is None:
            print(f"PASS {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {why}")
    if log is not None and info is not None:
        for line in info(log):
            print(line)

    if failed:
        if log is not None:
            print(f"--- serial log ({what}, ANSI stripped) ---")
            for line in relevant_lines(log):
                print(line)
        bl = bochs_lines(os.path.join(run_dir, "bochs.log"))
        if bl:
            print("--- bochs.log (VMFAIL/VMENTER/PANIC/ERROR, last 40) ---")
            for line in bl:
                print(line)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
