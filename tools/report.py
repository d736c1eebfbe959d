#!/usr/bin/env python3
"""Report the exits of an exitvisor run: table, summary, timeline; text, CSV, JSON, charts.

Reads the serial console of any run (build/run/serial.log, a Linux run's
build/linux/run/serial.log, a run directory holding serial.log, or the output
captured any other way) with tools/exitlog.py, picks one exit table and
prints it with each reason's SDM name, exits, cycles, share of exits, share
of cycles and cycles per exit. Which table, first found wins:

  final     "probe: final exit table (...)": every exit since launch, printed
            by the UEFI probe at its end, after the per-vCPU queries (from
            the same run as the snapshot table, if the log holds several).
  snapshot  "probe: exit table (...)": the probe's first table (UEFI probe, or
            the Linux guest's exvprobe, which prints the same format): the
            counts at its snapshot. The report says why not the final one.
  exitvisor exitvisor's own table, the last complete one in the log: printed
            at power-off ("the guest resets or powers off the machine ...;
            exit table:"), before a platform reset (triple fault, INIT to the
            boot CPU), when a vCPU stops at a repeated INIT, or on the guest's
            VMCALL print-stats. Its "own" line (exits exitvisor's own watches
            caused) is reported too: the guest's own exits = total - own.
The first output line and the JSON field "table_source" say which one was
used. Only a log with none of them is an error, with one line saying what was
looked for. ANSI escapes, CRLF, lines of other writers inside a table and a
cut-off last line are all handled by exitlog.py.

After the table, a summary answers three questions from the log: which
reasons are most and least frequent (of the guest's own exits when the own
count can be attributed), how many exits the whole run made (up to which
phase), and whether they grow at a steady rate or in bursts. The last needs
the hypervisor's boot timeline ("timeline v1 ..." lines, printed by
exitvisor at power-off or by `exvprobe timeline`; tools/timeline.py): per
phase (between consecutive boot phases: launch, Linux's console lines
"Linux version", "smp: Bringing up secondary CPUs", "smp: Brought up",
"Run /init", the clock marks "exvprobe: mark" / "probe: mark", the end) the
exits and the rate, and the sample intervals with the highest rate. The time
axis is in seconds when a TSC frequency is known: --tsc-hz, else the guest's
"exvprobe: tsc_hz=", else the slope of the kernel clock marks, else ips= of
the bochsrc beside the log (Bochs' TSC runs at ips per second), else the
timeline's tsc_hz; otherwise in TSC ticks. The report says which.

Outputs (each optional, any combination; parent directories are created):
  --csv FILE   one row per reason: reason,name,exits,cycles,pct_exits,
               pct_cycles,cycles_per_exit (pct = percent, as the probe prints
               it; cycles_per_exit empty when exits is 0), then a last row
               whose reason column is "total"
  --json FILE  the table (which one, rows, totals), the hypervisor's banner
               (version, VMX revision, EPT/VPID/unrestricted guest, CPUs
               launched), the engine if known, the probe's per-vCPU reads and
               any warnings
  --png FILE   two bar charts, exits and cycles per reason (log scale when
               the largest value is 100 or more times the smallest). Needs
               matplotlib: Debian's python3-matplotlib. If the running python3
               cannot import it but /usr/bin/python3 can (python3 on PATH is a
               pyenv or venv interpreter), the tool re-runs itself with
               /usr/bin/python3.
  --timeline-png FILE  the boot timeline: top, cumulative exits per reason over
               guest time (top 8 reasons, the rest as "other", log scale);
               bottom, the exit rate per reason over each sample interval;
               both with the boot phases as vertical lines (dashed: clock
               marks; shaded: exvprobe stat spans). Needs matplotlib too.
  --timeline-csv FILE  one row per timeline sample: t_ticks, t_seconds (empty
               without a TSC frequency), one column per reason (cumulative
               exits), total, and own when the timeline has it
  Without a timeline in the log the two timeline outputs are not written (a
  line says so; not an error).

Exit status: 0 done; 2 no usable exit table in the log (the reason is on
stderr), or the log cannot be read; 1 an output could not be written (the
others are still written). Warnings (rows missing, rows not adding up to the
total row) go to stderr and do not change the status.

Examples:
  python3 tools/report.py build/run/serial.log
  python3 tools/report.py build/linux/run --timeline-png t.png --timeline-csv t.csv
  python3 tools/report.py build/run --csv out/exits.csv --json out/exits.json --png out/exits.png
  some-capture | python3 tools/report.py -
"""
import argparse
import csv
import importlib.util
import io
import itertools
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exitlog  # noqa: E402  (tools/exitlog.py)
import timeline as tlmod  # noqa: E402  (tools/timeline.py)
from exitlog import ExitLogError, ExitTable, HvTable, NoExitTableError, SerialLog, TableRow  # noqa: E402

PROG = "report"

# Debian's interpreter and where python3-matplotlib puts the module.
DEBIAN_PYTHON = "/usr/bin/python3"
DEBIAN_MATPLOTLIB = "/usr/lib/python3/dist-packages/matplotlib/__init__.py"
REEXEC_ENV = "EXITVISOR_REPORT_REEXEC"      # set on the re-run: never re-run twice

LOG_SCALE_RATIO = 100       # a panel is drawn on a log scale when max/min >= this
LABEL_ROOM = 0.3            # share of a panel's width kept right of the longest bar for its label

DESCRIPTIONS = {
    "final": "all exits since launch, all vCPUs, printed by the probe at its end "
             "(after the per-vCPU queries)",
    "snapshot": "the probe's first table: counts since launch at its snapshot, all vCPUs "
                "(before its own checks)",
}
# exitvisor's own tables, by why it printed them (exitlog.HvTable.context)
HV_DESCRIPTIONS = {
    "power-off": "printed by exitvisor itself when the guest ended the machine: all exits "
                 "since launch, all vCPUs, up to the power-off write",
    "reset": "printed by exitvisor itself before a platform reset: all exits since launch, "
             "all vCPUs",
    "init": "printed by exitvisor itself when a vCPU stopped at a repeated INIT: all exits "
            "since launch, all vCPUs, up to then",
    "print-stats": "printed by exitvisor itself on the guest's VMCALL print-stats: all exits "
                   "since launch, all vCPUs, up to then",
}
LOOKED_FOR = ("looked for the probe's final table ('probe: final exit table'), its snapshot "
              "table ('probe: exit table', UEFI probe or Linux exvprobe) and exitvisor's own "
              "tables ('exitvisor: cpu N exit table: ...', printed at VMCALL print-stats, "
              "power-off, reset)")
# Reasons exitvisor's own watches can cause (README "What exitvisor watches"):
# NMI kicks and APIC-page stores (init_sipi=intercept), I/O to watched ports.
OWN_CANDIDATES = (0, 48, 30)


class OutputError(Exception):
    """An output file could not be produced."""


class MatplotlibMissing(OutputError):
    pass


# --------------------------------------------------------------------------
# Choosing the table

@dataclass
class Choice:
    kind: str                       # "final", "snapshot" or "exitvisor"
    table: ExitTable
    note: str                       # why this one (empty when the final table is used)
    warnings: List[str] = field(default_factory=list)
    hv: Optional[HvTable] = None    # kind "exitvisor": the table with its own line and context

    @property
    def source(self) -> str:
        """probe-final, probe-snapshot or exitvisor-<context>."""
        return f"exitvisor-{self.hv.context}" if self.hv is not None else f"probe-{self.kind}"

    @property
    def description(self) -> str:
        if self.hv is not None:
            return HV_DESCRIPTIONS.get(self.hv.context, HV_DESCRIPTIONS["print-stats"])
        return DESCRIPTIONS[self.kind]

    @property
    def title(self) -> str:
        if self.hv is not None:
            return f"exitvisor's own {self.hv.context} exit table"
        return f"{self.kind} exit table"

    @property
    def own(self) -> Optional[int]:
        return self.hv.own_exits if self.hv is not None else None


def _unfinished(table: ExitTable) -> str:
    n = len(table.rows)
    return (f"{n} row{'' if n == 1 else 's'} read, no "
            + ("end line" if table.total_exits is not None else "total row or end line")
            + ": log cut off or output interleaved?")


def hv_table_as_exit_table(hv: HvTable) -> ExitTable:
    """exitvisor's own table with the shares the probe would print, most exits first."""
    t = hv.table
    te, tc = t.total_exits or 0, t.total_cycles or 0
    rows = [TableRow(r.reason, r.name, r.exits, r.cycles,
                     round(100.0 * r.exits / te, 2) if te else 0.0,
                     round(100.0 * r.cycles / tc, 2) if tc else 0.0) for r in t.rows]
    rows.sort(key=lambda r: (-r.exits, r.reason))
    return ExitTable(rows=rows, total_exits=t.total_exits, total_cycles=t.total_cycles,
                     declared_rows=None, complete=True, final=False, line=hv.line)


def last_hv_table(log: SerialLog) -> Optional[HvTable]:
    done = [h for h in log.hv_tables if h.table.complete]
    return done[-1] if done else None


_NEXT_STAGE = re.compile(r"exitvisor: next stage (\S+) options ")


def choose_table(log: SerialLog) -> Choice:
    """The probe's final table if the log has a complete one from the same run
    as the snapshot table, else the snapshot table, else exitvisor's own last
    complete table; NoExitTableError (one line, saying what it looked for) if
    none."""
    try:
        return choose_probe_table(log)
    except NoExitTableError as e:
        why_not_probe = str(e)
    hv = last_hv_table(log)
    if hv is None:
        cut = [h for h in log.hv_tables if not h.table.complete]
        extra = (f"; exitvisor's table at line {cut[-1].line} is cut off "
                 f"({len(cut[-1].table.rows)} rows read, no total row)") if cut else ""
        raise NoExitTableError(f"{why_not_probe}{extra}; {LOOKED_FOR}")
    note = why_not_probe
    prefix = "no exit table in the serial log: "
    if note.startswith(prefix):
        note = "the log has no probe table: " + note[len(prefix):]
    started = [m.group(1) for m in (_NEXT_STAGE.search(line) for line in log.lines) if m]
    if started:
        # The next stage did run: it just was not the probe (make run NEXT=...).
        note = f"the log has no probe table: the next stage exitvisor started, {started[-1]}, printed none"
    choice = Choice("exitvisor", hv_table_as_exit_table(hv), note, hv=hv)
    choice.warnings = table_warnings(hv.table)
    return choice


def choose_probe_table(log: SerialLog) -> Choice:
    """The final table if the log has a complete one from the same run as the
    snapshot table, else the snapshot table; NoExitTableError if neither."""
    final, snap = log.final_table, log.table
    snap_ok = snap is not None and snap.complete
    if final is not None and final.complete:
        later = not snap_ok or final.line is None or snap.line is None or final.line > snap.line
        if later:
            choice = Choice("final", final, "")
        else:
            choice = Choice("snapshot", snap,
                            f"the only complete final table (line {final.line}) comes before the "
                            f"last snapshot table (line {snap.line}): it belongs to an earlier boot")
    elif snap_ok:
        if final is None:
            note = "the log has no final table"
        else:
            note = f"the final table (line {final.line}) is incomplete ({_unfinished(final)})"
        choice = Choice("snapshot", snap, note)
    else:
        if final is not None and snap is None:
            raise NoExitTableError(
                f"no complete exit table in the serial log: the probe's final exit table "
                f"(line {final.line}) starts but never finishes ({_unfinished(final)}), "
                f"and there is no snapshot table")
        try:
            log.require_table()
        except NoExitTableError as e:
            if final is not None:
                raise NoExitTableError(
                    f"{e}; the final table is incomplete too ({_unfinished(final)})") from None
            raise
        raise AssertionError("require_table() accepted an incomplete table")  # pragma: no cover
    choice.warnings = table_warnings(choice.table)
    if (log.tables_seen > 1 or log.final_tables_seen > 1):
        choice.warnings.append(
            f"the log holds {max(log.tables_seen, log.final_tables_seen)} runs of the probe "
            f"(a reboot?); the table used is the one at line {choice.table.line}")
    return choice


def table_warnings(t: ExitTable) -> List[str]:
    out = []
    if t.declared_rows is not None and t.declared_rows != len(t.rows):
        out.append(f"the table's end line says {t.declared_rows} rows but {len(t.rows)} were read "
                   f"(a row garbled by interleaved output?)")
    reasons = [r.reason for r in t.rows]
    dup = sorted({r for r in reasons if reasons.count(r) > 1})
    if dup:
        out.append("reasons listed more than once: " + " ".join(map(str, dup)))
    se, sc = sum(r.exits for r in t.rows), sum(r.cycles for r in t.rows)
    if t.total_exits is not None and (se, sc) != (t.total_exits, t.total_cycles):
        out.append(f"the rows add up to {se} exits / {sc} cycles but the total row says "
                   f"{t.total_exits} / {t.total_cycles}")
    return out


def cycles_per_exit(cycles: int, exits: int) -> Optional[float]:
    return cycles / exits if exits else None


# --------------------------------------------------------------------------
# What the log says besides the table

def _yes_no(features: dict, key: str) -> Optional[bool]:
    v = features.get(key)
    return None if v is None else v == "yes"


def hypervisor_info(log: SerialLog) -> dict:
    b = log.banner
    feats = b.features if b is not None else {}
    launched = (log.launched_summary[0] if log.launched_summary is not None
                else (len(log.launched) if log.launched else None))
    return {
        "version": b.version if b is not None else None,
        "vmx_revision": feats.get("VMX revision"),
        "ept": _yes_no(feats, "EPT"),
        "vpid": _yes_no(feats, "VPID"),
        "unrestricted_guest": _yes_no(feats, "unrestricted-guest"),
        "cpus_launched": launched,
        "cpus_total": log.launched_summary[1] if log.launched_summary is not None else None,
        "features": dict(feats),
        "banner": b.text if b is not None else None,
    }


def vcpu_count(log: SerialLog) -> Optional[int]:
    if log.launched_summary is not None:
        return log.launched_summary[0]
    if log.signature is not None:
        return log.signature[1]
    return len(log.launched) or None


def probe_info(log: SerialLog) -> dict:
    return {
        "abi": log.signature[0] if log.signature is not None else None,
        "vcpus": log.signature[1] if log.signature is not None else None,
        "mp": (dict(zip(("processors", "enabled", "bsp"), log.mp)) if log.mp is not None else None),
        # Each vCPU reads the global counters (all vCPUs) in turn: these are
        # not per-vCPU counts.
        "vcpu_reads": [{"index": v.index, "apic": v.apic, "signature_ok": v.signature_ok,
                        "total_exits": v.total, "cpuid_exits": v.cpuid} for v in log.vcpus],
        "vcpu_errors": list(log.vcpu_errors),
        "vcpus_read": log.vcpus_read,
        "done": log.done,
    }


def engine_near(path: Optional[str]) -> Optional[str]:
    """The engine tools/run.sh wrote beside the log (engine.txt), if any."""
    if not path or path == "-":
        return None
    d = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    try:
        with open(os.path.join(d, "engine.txt"), encoding="utf-8", errors="replace") as f:
            words = f.read().split()
    except OSError:
        return None
    return words[0] if words else None


# --------------------------------------------------------------------------
# Outputs

def _fmt_cpe(v: Optional[float], digits: int) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def format_report(log: SerialLog, choice: Choice, source: str, engine: Optional[str]) -> str:
    t = choice.table
    out = [f"{PROG}: {source}: {choice.title}, line {t.line}: {choice.description}"]
    if choice.hv is not None:
        if choice.hv.event:
            out.append(f"{PROG}: announced by: cpu {choice.hv.cpu} {choice.hv.event}")
        out.append(f"{PROG}: not the probe's table: {choice.note}")
    elif choice.note:
        out.append(f"{PROG}: not the final table: {choice.note}")
    hv = hypervisor_info(log)
    facts = []
    if hv["version"] is not None:
        yn = lambda b: "?" if b is None else ("yes" if b else "no")  # noqa: E731
        facts.append(f"exitvisor {hv['version']}, VMX revision {hv['vmx_revision'] or '?'}, "
                     f"EPT {yn(hv['ept'])}, VPID {yn(hv['vpid'])}, "
                     f"unrestricted guest {yn(hv['unrestricted_guest'])}")
    if hv["cpus_launched"] is not None:
        facts.append(f"{hv['cpus_launched']}" + (f" of {hv['cpus_total']}" if hv["cpus_total"] else "")
                     + " CPUs launched")
    if engine:
        facts.append(f"engine {engine}")
    if facts:
        out.append("; ".join(facts))

    cells = [(str(r.reason), r.name, str(r.exits), str(r.cycles), f"{r.pct_exits:.2f}",
              f"{r.pct_cycles:.2f}", _fmt_cpe(cycles_per_exit(r.cycles, r.exits), 1)) for r in t.rows]
    total = ("total", "", str(t.total_exits), str(t.total_cycles), "100.00", "100.00",
             _fmt_cpe(cycles_per_exit(t.total_cycles, t.total_exits), 1))
    head = ("nr", "reason", "exits", "cycles", "%exits", "%cycles", "cycles/exit")
    w = [max(len(c[i]) for c in cells + [head]) for i in range(len(head))]
    w[0] = max(w[0], 2)

    def line(c):
        return (f"  {c[0]:>{w[0]}}  {c[1]:<{w[1]}}  {c[2]:>{w[2]}}  {c[3]:>{w[3]}}"
                f"  {c[4]:>{w[4]}}  {c[5]:>{w[5]}}  {c[6]:>{w[6]}}").rstrip()
    out.append(line(head))
    out.extend(line(c) for c in cells)
    # "total" spans the number and name columns, as in the probe's table
    tw = w[0] + 2 + w[1]
    out.append((f"  {total[0]:<{tw}}  {total[2]:>{w[2]}}  {total[3]:>{w[3]}}"
                f"  {total[4]:>{w[4]}}  {total[5]:>{w[5]}}  {total[6]:>{w[6]}}").rstrip())
    hvt = choice.hv
    if hvt is not None and hvt.own_exits is not None:
        own = "own: of these, caused by exitvisor's own watches"
        out.append(f"  {own:<{tw}}  {hvt.own_exits:>{w[2]}}  {hvt.own_cycles:>{w[3]}}")
        out.append(f"  guest's own exits (total - own): {t.total_exits - hvt.own_exits}, "
                   f"cycles {t.total_cycles - hvt.own_cycles}")
    elif hvt is not None:
        out.append("  (this exitvisor printed no own line: its own exits are not known)")
    for v in log.vcpus:
        if v.signature_ok:
            out.append(f"vcpu {v.index} (apic {v.apic}) read the global counters: "
                       f"{v.total} exits, {v.cpuid} CPUID")
        else:
            out.append(f"vcpu {v.index} (apic {v.apic}): no exitvisor signature")
    for e in log.vcpu_errors:
        out.append(e)
    return "\n".join(out)


# --------------------------------------------------------------------------
# The summary: the course's three questions

def attribute_own(rows: List[TableRow], own: Optional[int]) -> Optional[List[int]]:
    """The reasons whose rows add up to exactly the own count, among those
    exitvisor's watches can cause (OWN_CANDIDATES); None when no single set
    of rows does (then the own exits are known in total only)."""
    if own is None:
        return None
    if own == 0:
        return []
    cands = [r for r in rows if r.reason in OWN_CANDIDATES and r.exits > 0]
    found = [sorted(r.reason for r in combo)
             for k in range(1, len(cands) + 1) for combo in itertools.combinations(cands, k)
             if sum(r.exits for r in combo) == own]
    return found[0] if len(found) == 1 else None


def _short(name: str) -> str:
    return {"Exception or non-maskable interrupt (NMI)": "NMI",
            "Control-register accesses": "CR access"}.get(name, name)


def frequency(rows: List[TableRow], own: Optional[int]) -> dict:
    """Most and least frequent reasons, of the guest's own exits when the own
    count can be attributed to rows."""
    own_reasons = attribute_own(rows, own)
    total = sum(r.exits for r in rows)
    if own_reasons is not None:
        basis_rows = [r for r in rows if r.reason not in own_reasons and r.exits > 0]
        base = total - own
        if own_reasons:
            names = " + ".join(_short(r.name) for r in rows if r.reason in own_reasons)
            basis = (f"of the guest's own {base:,} exits (total {total:,} - own {own:,}; the own "
                     f"count equals the {names} row{'s' if len(own_reasons) > 1 else ''} exactly, "
                     f"taken as exitvisor's)")
        else:
            basis = f"of all {total:,} exits (exitvisor's own: 0)"
    else:
        basis_rows = [r for r in rows if r.exits > 0]
        base = total
        basis = (f"of all {total:,} exits (the table has no own line)" if own is None else
                 f"of all {total:,} exits ({own:,} are exitvisor's own, not attributable to rows)")
    ranked = sorted(basis_rows, key=lambda r: (-r.exits, r.reason))
    least_n = ranked[-1].exits if ranked else 0
    least = [r for r in ranked if r.exits == least_n]
    most = [r for r in ranked[:3] if r.exits > least_n] or ranked[:1]

    def item(r):
        return {"reason": r.reason, "name": r.name, "exits": r.exits,
                "share": round(100.0 * r.exits / base, 2) if base else None}
    return {"basis": basis, "base_exits": base, "own_reasons": own_reasons,
            "most": [item(r) for r in most], "least": [item(r) for r in least]}


def _freq_text(f: dict) -> str:
    def one(x):
        share = x["share"]
        pct = "" if share is None else f" ({share:.1f} %)" if share >= 0.1 else f" ({share:.2f} %)"
        return f"{_short(x['name'])} {x['exits']:,}{pct}"
    if not f["most"]:
        return f"{f['basis']}: no exits"
    return (f"{f['basis']}: most frequent " + ", ".join(one(x) for x in f["most"])
            + "; least frequent " + ", ".join(one(x) for x in f["least"]))


def later_hv_table(log: SerialLog, choice: Choice) -> Optional[HvTable]:
    """exitvisor's last table when it comes after the probe's table used: it
    covers more of the run."""
    hv = last_hv_table(log)
    if choice.hv is not None or hv is None:
        return None
    if choice.table.line is not None and hv.line is not None and hv.line < choice.table.line:
        return None
    return hv


def summary(log: SerialLog, choice: Choice, tl: Optional["tlmod.Timeline"]) -> Tuple[List[str], dict]:
    out, d = [], {}
    t = choice.table
    # 1. which reasons
    f = frequency(t.rows, choice.own)
    d["frequency"] = f
    out.append(f"summary 1 (most/least frequent, {choice.title}): {_freq_text(f)}")
    later = later_hv_table(log, choice)
    if later is not None:
        lt = hv_table_as_exit_table(later)
        lf = frequency(lt.rows, later.own_exits)
        d["frequency_whole_run"] = dict(lf, table_line=later.line, context=later.context)
        out.append(f"  the whole run, exitvisor's own {later.context} table (line {later.line}), "
                   f"{_freq_text(lf)}")
    # 2. how many
    whole = {"table_exits": t.total_exits, "table_source": choice.source}
    if choice.hv is not None:
        up_to = {"power-off": "the guest's power-off", "reset": "the platform reset",
                 "init": "the vCPU's stop at INIT",
                 "print-stats": "the VMCALL print-stats"}[choice.hv.context]
        line = f"{t.total_exits:,} exits from launch to {up_to} (exitvisor's table, line {t.line})"
        if choice.own is not None:
            line += f": {choice.own:,} exitvisor's own, {t.total_exits - choice.own:,} the guest's"
            whole["own"], whole["guest"] = choice.own, t.total_exits - choice.own
    else:
        line = f"{t.total_exits:,} exits from launch to the probe's {choice.kind} table (line {t.line})"
        if later is not None:
            line += (f"; the whole run, to {later.context} (exitvisor's table, line {later.line}): "
                     f"{later.table.total_exits:,} exits")
            whole["whole_run_exits"] = later.table.total_exits
            whole["whole_run_context"] = later.context
            if later.own_exits is not None:
                line += (f", {later.own_exits:,} exitvisor's own, "
                         f"{later.table.total_exits - later.own_exits:,} the guest's")
                whole["whole_run_own"] = later.own_exits
                whole["whole_run_guest"] = later.table.total_exits - later.own_exits
    out.append(f"summary 2 (exits in the run): {line}")
    if tl is not None and tl.samples:
        last = tl.samples[-1]
        end = tl.phases[-1]
        at = []
        for p in tl.phases[1:-1]:
            if p.kind == "console" or (p.kind == "mark" and not p.label.startswith("mark stat-")):
                at.append((p.label, round(tl.total_at(p.t))))
        txt = (f"  timeline: {last.total:,} exits from launch to {end.label} at {tl.fmt_t(end.t)}"
               + (f" ({last.own:,} exitvisor's own, {last.total - last.own:,} the guest's)"
                  if last.own is not None else ""))
        if at:
            txt += "; by then at " + ", ".join(f"{lab} {n:,}" for lab, n in at)
        out.append(txt)
        whole["timeline_exits"] = last.total
        whole["timeline_end"] = {"label": end.label, "t_ticks": end.t, "t_seconds": tl.seconds(end.t)}
        whole["at_phases"] = [{"label": lab, "exits": n} for lab, n in at]
    d["exits"] = whole
    # 3. steady or bursts
    if tl is None:
        out.append("summary 3 (steady or bursts): not known: the log has no complete timeline "
                   "(exitvisor prints one at power-off and before a reset; a Linux guest's "
                   "`exvprobe timeline` prints one too)")
        d["growth"] = None
        return out, d
    st = tl.steadiness()
    ps = tl.phase_stats()
    bursts = tl.bursts()
    unit = tl.rate_unit()
    if st is None:
        out.append("summary 3 (steady or bursts): the timeline holds no exits")
    else:
        out.append(f"summary 3 (steady or bursts): {st['verdict']}: half of the exits came in "
                   f"{100 * st['half_of_exits_in_time_share']:.1f} % of the time from launch to "
                   f"{tl.phases[-1].label} (the busiest of {st['intervals']} sample intervals; a "
                   f"steady rate would need 50 %)")
    if ps:
        guest = "guest_exits" in ps[0]
        out.append(f"  per phase (times in {tl.fmt_unit()} since launch; exits between two "
                   f"consecutive phase lines):")
        w = max(len(f"{p['from']} -> {p['to']}") for p in ps)
        head = f"    {'phase':<{w}}  {'from':>9}  {'to':>9}  {'exits':>7}  {unit:>11}"
        if guest:
            head += f"  {'guest':>7}  {'guest/' + unit.split('/')[1]:>9}"
        out.append(head)
        for p in ps:
            row = (f"    {p['from'] + ' -> ' + p['to']:<{w}}  {tl.fmt_num(p['t0']):>9}  "
                   f"{tl.fmt_num(p['t1']):>9}  {p['exits']:>7,}  {p['rate']:>11,.0f}")
            if guest:
                row += f"  {p['guest_exits']:>7,}  {p['guest_rate']:>9,.0f}"
            out.append(row)
    if bursts:
        out.append("  top bursts (sample intervals with the highest rate):")
        for b in bursts:
            out.append(f"    {tl.fmt_num(b['t0'])}..{tl.fmt_num(b['t1'])} {tl.fmt_unit()}: "
                       f"{b['exits']:,} exits, {b['rate']:,.0f} {unit}, mostly "
                       f"{_short(tlmod.reason_name(b['top_reason'], _names(choice)))} "
                       f"({b['top_reason_exits']:,}), in phase '{b['phase']}'")
    d["growth"] = {"steadiness": st, "phases": ps, "bursts": bursts, "rate_unit": unit}
    return out, d


def _names(choice: Choice) -> Dict[int, str]:
    return {r.reason: r.name for r in choice.table.rows}


def timeline_text(tl: "tlmod.Timeline") -> List[str]:
    b = tl.block
    out = [f"{PROG}: timeline: {b.describe()[4:]}, from launch to {tl.fmt_t(tl.end_t)}; "
           f"ring capacity {b.capacity}, interval now {b.interval:,} ticks"
           + (f" ({tl.fmt_t(b.interval)})" if tl.hz else "")]
    out.append(f"{PROG}: time axis: "
               + (f"{tl.hz:,.0f} TSC ticks per second, from {tl.hz_source}" if tl.hz
                  else tl.hz_source))
    if tl.printk_map is not None:
        out.append(f"{PROG}: kernel console times placed by {tl.printk_map_source}")
    for n in tl.notes:
        out.append(f"{PROG}: timeline note: {n}")
    ph = [f"{p.label} {tl.fmt_num(p.t)}" for p in tl.phases]
    out.append(f"{PROG}: phases ({tl.fmt_unit()}): " + ", ".join(ph))
    for sp in tl.spans:
        out.append(f"{PROG}: span {sp.label}: {tl.fmt_num(sp.t0)}..{tl.fmt_num(sp.t1)} {tl.fmt_unit()}, "
                   f"{round(tl.total_at(sp.t1)) - round(tl.total_at(sp.t0)):,} exits")
    return out


CSV_FIELDS = ("reason", "name", "exits", "cycles", "pct_exits", "pct_cycles", "cycles_per_exit")


def csv_text(choice: Choice) -> str:
    t = choice.table
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in t.rows:
        w.writerow((r.reason, r.name, r.exits, r.cycles, f"{r.pct_exits:.2f}", f"{r.pct_cycles:.2f}",
                    _fmt_cpe(cycles_per_exit(r.cycles, r.exits), 2)))
    w.writerow(("total", "", t.total_exits, t.total_cycles, "100.00", "100.00",
                _fmt_cpe(cycles_per_exit(t.total_cycles, t.total_exits), 2)))
    return buf.getvalue()


def _r2(v: Optional[float]) -> Optional[float]:
    return None if v is None else round(v, 2)


def report_dict(log: SerialLog, choice: Choice, source: str, engine: Optional[str],
                tl: Optional["tlmod.Timeline"] = None, tl_warnings: Optional[List[str]] = None) -> dict:
    t = choice.table
    _, summ = summary(log, choice, tl)
    hvt = choice.hv

    def state(x: Optional[ExitTable]) -> str:
        return "absent" if x is None else ("complete" if x.complete else "incomplete")
    return {
        "source": source,
        "engine": engine,
        # which table the report used: probe-final, probe-snapshot or
        # exitvisor-<power-off|reset|init|print-stats>
        "table_source": {"kind": choice.source, "title": choice.title,
                         "description": choice.description, "line": t.line,
                         "why": choice.note or None,
                         "announced_by": (f"cpu {hvt.cpu} {hvt.event}"
                                          if hvt is not None and hvt.event else None)},
        "own": (None if hvt is None or hvt.own_exits is None else
                {"exits": hvt.own_exits, "cycles": hvt.own_cycles,
                 "guest_exits": t.total_exits - hvt.own_exits,
                 "guest_cycles": t.total_cycles - hvt.own_cycles}),
        "table": {
            "kind": choice.kind,
            "description": choice.description,
            "why_not_final": choice.note or None,
            "line": t.line,
            "declared_rows": t.declared_rows,
            "rows": [{"reason": r.reason, "name": r.name, "exits": r.exits, "cycles": r.cycles,
                      "pct_exits": r.pct_exits, "pct_cycles": r.pct_cycles,
                      "cycles_per_exit": _r2(cycles_per_exit(r.cycles, r.exits))} for r in t.rows],
            "total": {"exits": t.total_exits, "cycles": t.total_cycles,
                      "cycles_per_exit": _r2(cycles_per_exit(t.total_cycles, t.total_exits))},
        },
        "tables_in_log": {"snapshot": state(log.table), "final": state(log.final_table)},
        "hypervisor": hypervisor_info(log),
        "vcpus": vcpu_count(log),
        "probe": probe_info(log),
        "exitvisor_tables": [{"line": h.line, "cpu": h.cpu, "context": h.context,
                              "complete": h.table.complete, "exits": h.table.total_exits,
                              "own_exits": h.own_exits} for h in log.hv_tables],
        "summary": summ,
        "timeline": tl.to_dict() if tl is not None else None,
        "warnings": list(choice.warnings) + list(tl_warnings or []),
    }


def _write_atomic(path: str, data: bytes) -> None:
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, f".{os.path.basename(path)}.tmp{os.getpid()}")
    try:
        os.makedirs(d, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def _matplotlib_hint() -> str:
    hint = "install Debian's python3-matplotlib (apt-get install python3-matplotlib)"
    exe = os.path.realpath(sys.executable or "")
    if os.path.exists(DEBIAN_MATPLOTLIB) and exe != os.path.realpath(DEBIAN_PYTHON):
        hint = (f"python3-matplotlib is installed for {DEBIAN_PYTHON} but this is {sys.executable}: "
                f"run the tool with {DEBIAN_PYTHON}")
    return hint


def load_matplotlib():
    """(Figure, FigureCanvasAgg, ticker) or MatplotlibMissing. Imported only
    here, so the rest of the tool works without matplotlib."""
    try:
        from matplotlib import ticker
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MatplotlibMissing(f"--png needs matplotlib ({e}): {_matplotlib_hint()}") from None
    return Figure, FigureCanvasAgg, ticker


def log_scale_wanted(values: List[int]) -> bool:
    """A panel uses a log scale when its positive values span LOG_SCALE_RATIO or more."""
    pos = [v for v in values if v > 0]
    return len(pos) >= 2 and max(pos) >= LOG_SCALE_RATIO * min(pos)


def chart_title(log: SerialLog, choice: Choice, engine: Optional[str]) -> str:
    hv = hypervisor_info(log)
    first = "exitvisor" + (f" {hv['version']}" if hv["version"] else "") + " exits per reason"
    ctx = []
    if engine:
        ctx.append(engine)
    n = vcpu_count(log)
    if n is not None:
        ctx.append(f"{n} vCPU{'s' if n != 1 else ''}")
    if ctx:
        first += " — " + ", ".join(ctx)
    t = choice.table
    if choice.hv is not None:
        kind = f"exitvisor's own {choice.hv.context} table: all exits since launch"
        if choice.own is not None:
            kind += f" (own {choice.own:,}, guest {t.total_exits - choice.own:,})"
    else:
        kind = ("final table: all exits since launch" if choice.kind == "final"
                else "snapshot table (no complete final table)")
    return f"{first}\n{kind}; total {t.total_exits:,} exits, {t.total_cycles:,} cycles"


def png_bytes(log: SerialLog, choice: Choice, engine: Optional[str]) -> bytes:
    Figure, FigureCanvasAgg, ticker = load_matplotlib()
    rows = choice.table.rows
    n = len(rows)
    labels = [f"{r.reason}  {r.name}" for r in rows]
    fig = Figure(figsize=(13, 1.9 + 0.42 * max(n, 1)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(w_pad=0.1, h_pad=0.1)      # inches around the panels
    axes = fig.subplots(1, 2, sharey=True)
    panels = (("exits", "exits", "pct_exits", "#3b75af"),
              ("cycles", "cycles in the handler", "pct_cycles", "#e08a2c"))
    for ax, (key, xlabel, pct, color) in zip(axes, panels):
        vals = [getattr(r, key) for r in rows]
        pos = [v for v in vals if v > 0]
        log_scale = log_scale_wanted(vals)
        if log_scale:
            ax.set_xscale("log")
        ax.barh(range(n), vals, color=color, height=0.65)
        top = max(pos) if pos else 1
        # keep LABEL_ROOM of the panel right of the longest bar for its value label
        if log_scale:
            lo = math.log10(min(pos) / 2)
            hi = (math.log10(top) - LABEL_ROOM * lo) / (1 - LABEL_ROOM)
            ax.set_xlim(10 ** lo, 10 ** hi)
        else:
            ax.set_xlim(0, top / (1 - LABEL_ROOM))
            ax.xaxis.set_major_formatter(ticker.EngFormatter(sep=""))
        for y, (v, r) in enumerate(zip(vals, rows)):
            ax.annotate(f"{v:,}  ({getattr(r, pct):.2f}%)", (max(v, min(pos) if pos else 0), y),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5)
        ax.set_title(f"{key} per reason" + (" (log scale)" if log_scale else ""), fontsize=11)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", which="major", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0].set_yticks(range(n), labels)
    axes[0].invert_yaxis()          # most exits at the top, as in the table
    axes[0].tick_params(axis="y", labelsize=9)
    fig.suptitle(chart_title(log, choice, engine), fontsize=12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def timeline_png_bytes(log: SerialLog, choice: Choice, engine: Optional[str],
                       tl: "tlmod.Timeline") -> bytes:
    mpl = load_matplotlib()
    hv = hypervisor_info(log)
    ctx = [x for x in (engine, (lambda n: f"{n} vCPU{'s' if n != 1 else ''}" if n else None)(
        vcpu_count(log))) if x]
    title = ("exitvisor" + (f" {hv['version']}" if hv["version"] else "") + " exits over guest time"
             + (" — " + ", ".join(ctx) if ctx else "")
             + f"\n{tl.block.describe()}; time axis: "
             + (f"{tl.hz / 1e6:,.1f} MHz TSC ({tl.hz_source.split(' (')[0]})" if tl.hz
                else "TSC ticks (no frequency known)"))
    return tlmod.timeline_png(tl, mpl, _names(choice), title)


# --------------------------------------------------------------------------
# CLI

def _reexec_with_debian_python(argv: List[str]) -> None:
    """Run again under /usr/bin/python3 when only it has matplotlib (python3 on
    PATH being a pyenv or venv interpreter). Returns if that does not apply."""
    if os.environ.get(REEXEC_ENV) or importlib.util.find_spec("matplotlib") is not None:
        return
    if not (os.path.exists(DEBIAN_MATPLOTLIB) and os.access(DEBIAN_PYTHON, os.X_OK)):
        return
    if os.path.realpath(sys.executable or "") == os.path.realpath(DEBIAN_PYTHON):
        return
    print(f"{PROG}: {sys.executable} cannot import matplotlib; running with {DEBIAN_PYTHON}, "
          f"which has Debian's python3-matplotlib", file=sys.stderr)
    sys.stderr.flush()
    env = dict(os.environ, **{REEXEC_ENV: "1"})
    os.execve(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + argv, env)


def build_parser() -> argparse.ArgumentParser:
    doc = __doc__.split("\n")
    ap = argparse.ArgumentParser(
        prog="report.py",
        description=doc[0] + "\n\n" + "\n".join(doc[2:]).split("\nExamples:")[0].strip(),
        epilog="Examples:" + __doc__.split("\nExamples:")[1].rstrip(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", help="serial log (raw COM1 output, e.g. build/run/serial.log), a run "
                                "directory holding serial.log, or - for standard input")
    ap.add_argument("--csv", metavar="FILE", help="write the table as CSV")
    ap.add_argument("--json", metavar="FILE", help="write the table and the boot's facts as JSON")
    ap.add_argument("--png", metavar="FILE",
                    help="draw exits and cycles per reason (needs python3-matplotlib)")
    ap.add_argument("--timeline-png", metavar="FILE",
                    help="draw the boot timeline: cumulative exits and exit rate per reason over "
                         "guest time, with the boot phases (needs python3-matplotlib)")
    ap.add_argument("--timeline-csv", metavar="FILE",
                    help="write the timeline's samples as CSV (t_ticks, t_seconds, one column "
                         "per reason)")
    ap.add_argument("--tsc-hz", metavar="HZ", type=float,
                    help="TSC ticks per second for the time axis (default: what the log says; "
                         "see above)")
    ap.add_argument("--engine", metavar="NAME",
                    help="engine name for the title and JSON (default: engine.txt beside the log, "
                         "as tools/run.sh writes it)")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print the table")
    return ap


def main(argv: Optional[List[str]] = None, reexec: bool = False) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if reexec and (args.png or args.timeline_png):
        _reexec_with_debian_python(argv)
    source = "<stdin>" if args.log == "-" else args.log
    try:
        if args.log == "-":
            text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        else:
            text = exitlog.read_log_text(args.log)
    except OSError as e:
        print(f"{PROG}: cannot read {args.log}: {e.strerror or e}", file=sys.stderr)
        return 2
    log = exitlog.parse_text(text)
    try:
        choice = choose_table(log)
    except ExitLogError as e:
        print(f"{PROG}: {source}: {e}", file=sys.stderr)
        return 2
    engine = args.engine or engine_near(args.log)
    tl, tl_none_warnings = tlmod.analyse(log.lines, None if args.log == "-" else args.log,
                                         args.tsc_hz)
    tl_warnings = tl.warnings if tl is not None else tl_none_warnings
    for w in choice.warnings + tl_warnings:
        print(f"{PROG}: warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(format_report(log, choice, source, engine))
        if tl is not None:
            print("\n".join(timeline_text(tl)))
        else:
            print(f"{PROG}: timeline: none in the log")
        print("\n".join(summary(log, choice, tl)[0]))
        sys.stdout.flush()

    status = 0
    outputs = (
        (args.csv, lambda: csv_text(choice).encode()),
        (args.json, lambda: (json.dumps(report_dict(log, choice, source, engine, tl, tl_warnings),
                                        indent=2) + "\n").encode()),
        (args.png, lambda: png_bytes(log, choice, engine)),
        (args.timeline_csv, lambda: tl.csv_text(_names(choice)).encode()),
        (args.timeline_png, lambda: timeline_png_bytes(log, choice, engine, tl)),
    )
    for path, make in outputs:
        if not path:
            continue
        if tl is None and path in (args.timeline_csv, args.timeline_png):
            if not args.quiet:
                print(f"{PROG}: no timeline in the log: {path} not written")
            continue
        try:
            _write_atomic(path, make())
        except OutputError as e:
            print(f"{PROG}: {e}", file=sys.stderr)
            status = 1
            continue
        if not args.quiet:
            print(f"{PROG}: wrote {path}")
    return status


if __name__ == "__main__":
    import signal
    # `report.py LOG | head` ends quietly, like any filter, not with a traceback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(reexec=True))
