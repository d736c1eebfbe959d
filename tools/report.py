#!/usr/bin/env python3
"""Report the exit table of an exitvisor boot: text, CSV, JSON and a bar chart.

Reads the serial console of a boot (build/run/serial.log, or the probe's
output captured any other way) with tools/exitlog.py, picks one exit table
and prints it with each reason's SDM name, exits, cycles, share of exits,
share of cycles and cycles per exit. Which table:

  final     "probe: final exit table (...)": every exit since launch, printed
            by the probe at its end, after the per-vCPU queries. Used
            whenever the log has a complete one (from the same run as the
            snapshot table, if the log holds several boots).
  snapshot  "probe: exit table (...)": the probe's first table, the counts at
            its snapshot, before its own checks. Used otherwise; the report
            says why (no final table, or it is cut off).

The output says which one it used. ANSI escapes, CRLF, lines of other
writers (firmware, hypervisor, several vCPUs) inside the table and a cut-off
last line are all handled by exitlog.py.

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

Exit status: 0 done; 2 no usable exit table in the log (the reason is on
stderr), or the log cannot be read; 1 an output could not be written (the
others are still written). Warnings (rows missing, rows not adding up to the
total row) go to stderr and do not change the status.

Examples:
  python3 tools/report.py build/run/serial.log
  python3 tools/report.py build/run --csv out/exits.csv --json out/exits.json --png out/exits.png
  some-capture | python3 tools/report.py -
"""
import argparse
import csv
import importlib.util
import io
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exitlog  # noqa: E402  (tools/exitlog.py)
from exitlog import ExitLogError, ExitTable, NoExitTableError, SerialLog  # noqa: E402

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


class OutputError(Exception):
    """An output file could not be produced."""


class MatplotlibMissing(OutputError):
    pass


# --------------------------------------------------------------------------
# Choosing the table

@dataclass
class Choice:
    kind: str                       # "final" or "snapshot"
    table: ExitTable
    note: str                       # why this one (empty when the final table is used)
    warnings: List[str] = field(default_factory=list)


def _unfinished(table: ExitTable) -> str:
    n = len(table.rows)
    return (f"{n} row{'' if n == 1 else 's'} read, no "
            + ("end line" if table.total_exits is not None else "total row or end line")
            + ": log cut off or output interleaved?")


def choose_table(log: SerialLog) -> Choice:
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
    out = [f"{PROG}: {source}: {choice.kind} exit table, line {t.line}: {DESCRIPTIONS[choice.kind]}"]
    if choice.note:
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
    for v in log.vcpus:
        if v.signature_ok:
            out.append(f"vcpu {v.index} (apic {v.apic}) read the global counters: "
                       f"{v.total} exits, {v.cpuid} CPUID")
        else:
            out.append(f"vcpu {v.index} (apic {v.apic}): no exitvisor signature")
    for e in log.vcpu_errors:
        out.append(e)
    return "\n".join(out)


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


def report_dict(log: SerialLog, choice: Choice, source: str, engine: Optional[str]) -> dict:
    t = choice.table

    def state(x: Optional[ExitTable]) -> str:
        return "absent" if x is None else ("complete" if x.complete else "incomplete")
    return {
        "source": source,
        "engine": engine,
        "table": {
            "kind": choice.kind,
            "description": DESCRIPTIONS[choice.kind],
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
        "warnings": list(choice.warnings),
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
    ap.add_argument("--engine", metavar="NAME",
                    help="engine name for the title and JSON (default: engine.txt beside the log, "
                         "as tools/run.sh writes it)")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print the table")
    return ap


def main(argv: Optional[List[str]] = None, reexec: bool = False) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if reexec and args.png:
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
    for w in choice.warnings:
        print(f"{PROG}: warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(format_report(log, choice, source, engine))
        sys.stdout.flush()

    status = 0
    outputs = (
        (args.csv, lambda: csv_text(choice).encode()),
        (args.json, lambda: (json.dumps(report_dict(log, choice, source, engine), indent=2)
                             + "\n").encode()),
        (args.png, lambda: png_bytes(log, choice, engine)),
    )
    for path, make in outputs:
        if not path:
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
    sys.exit(main(reexec=True))
