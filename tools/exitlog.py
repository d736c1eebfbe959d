#!/usr/bin/env python3
"""Parse an exitvisor serial log (COM1) into structured data.

The log mixes three writers: OVMF's console (ANSI-decorated, CRLF), the
hypervisor (lines "exitvisor: ...", written straight to the UART) and the guest
probe (guest/probe.c, lines "probe: ..." plus an exit table, printed through
the UEFI console). This module knows the formats of the last two; they are a
contract with hv/ and guest/probe.c, so change them together.

Robustness rules:
  * ANSI escapes and carriage returns are removed first (tools/strip_ansi.py).
  * Lines are matched one by one, so other writers' lines interleaved between
    ours are ignored. A "exitvisor: " or "probe: " prefix is also found in the
    middle of a line, because two writers sharing one UART can splice text.
  * A last line without a newline may have been cut off by the emulator
    exiting. It is only used for patterns that end in fixed text (such as
    "probe: done"), never for lines ending in a number that might be short.
  * If the log holds several runs (a reboot), the last complete table and the
    last value of each single-valued line win.

The probe prints two tables: the snapshot table ("probe: exit table (...)" up
to "probe: exit table end rows=K", log.table, the one the boot checker's exact
arithmetic uses) and, after the per-vCPU step, the final table ("probe: final
exit table (...)" up to "probe: final exit table end rows=K",
log.final_table: all exits since launch). Both follow the rules above, each
in its own field.

Library:
    log = parse_file("serial.log")          # or parse_text(text)
    log.require_table()                     # raises NoExitTableError with a reason
    log.table.rows[0].name, log.snapshot.t1_exits, log.vcpus, ...
    log.final_table                         # None, or an ExitTable (check .complete)
    log.to_dict()                           # JSON-ready

CLI:
    exitlog.py serial.log          prints the exit table and the probe's checks
    exitlog.py --json serial.log   prints everything parsed as JSON
    (a directory is accepted too: DIR/serial.log is read). Exit status 1 with a
    message on stderr when the log has no complete exit table.
"""
import argparse
import dataclasses
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from strip_ansi import strip_ansi  # noqa: E402  (tools/strip_ansi.py)
except ImportError:  # pragma: no cover - only when used outside the tree
    _ESC_RE = re.compile(
        r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\].*?(?:\x07|\x1b\\)|\x1b[()*+\-./].|\x1b[ -/]*[0-Z\\^-~]",
        re.DOTALL)

    def strip_ansi(text: str) -> str:
        return _ESC_RE.sub("", text).replace("\r", "").replace("\x1b", "")


class ExitLogError(Exception):
    """A serial log lacks something the caller asked for."""


class NoExitTableError(ExitLogError):
    """The log has no complete exit table from the probe."""


# --------------------------------------------------------------------------
# Data

@dataclass
class Banner:
    version: str
    features: Dict[str, str]
    text: str


@dataclass
class TableRow:
    reason: int
    name: str
    exits: int
    cycles: int
    pct_exits: float
    pct_cycles: float


@dataclass
class ExitTable:
    rows: List[TableRow] = field(default_factory=list)
    total_exits: Optional[int] = None
    total_cycles: Optional[int] = None
    declared_rows: Optional[int] = None   # from "probe: exit table end rows=K"
    complete: bool = False                # header, total row and end line seen
    final: bool = False                   # the final table, not the snapshot one
    # 1-based index in SerialLog.lines of the header line (not compared: the
    # same table read from two captures is the same table)
    line: Optional[int] = field(default=None, compare=False)

    def by_reason(self) -> Dict[int, TableRow]:
        return {r.reason: r for r in self.rows}


@dataclass
class HvTable:
    """One table the hypervisor printed itself (hv/stats/stats_report.c): the
    header's totals, the rows (percentages 0: it prints none) and the total
    row; complete once the total row is read."""
    cpu: int
    header_exits: int
    header_cycles: int
    vcpus: int
    table: ExitTable = field(default_factory=ExitTable)
    # the line after the total: exits exitvisor's own watches caused (None: not printed)
    own_exits: Optional[int] = None
    own_cycles: Optional[int] = None
    # 1-based index in SerialLog.lines of the header line (also in table.line)
    line: Optional[int] = field(default=None, compare=False)
    # why it was printed (hv/exits/*.c): "power-off" (the guest wrote a port
    # that ends the machine), "reset" (before a platform reset: triple fault,
    # INIT to the boot CPU), "init" (a vCPU stopped at a repeated INIT) or
    # "print-stats" (VMCALL 0x65787601, or any table not announced otherwise)
    context: str = "print-stats"
    # the hypervisor's line announcing it (text after "cpu N "), if any
    event: Optional[str] = None


@dataclass
class Snapshot:
    t1_exits: int
    t1_cycles: int
    t2_exits: int
    t2_cycles: int
    reasons: int
    queries_between: int


@dataclass
class VcpuRead:
    index: int
    apic: int
    signature_ok: bool
    total: Optional[int]        # None when the signature is missing ("n/a")
    cpuid: Optional[int]


@dataclass
class LeafMismatch:
    """One "probe: leaf-mismatch" line: an answer that breaks hv/stats/abi.h's rules.
    The fields are None when the line is there but garbled; text is kept."""
    text: str
    leaf: Optional[int] = None
    selector: Optional[int] = None      # the ECX the probe passed
    eax: Optional[int] = None
    ebx: Optional[int] = None
    ecx: Optional[int] = None           # the ECX the hypervisor answered
    edx: Optional[int] = None
    expected: Optional[str] = None      # possible/impossible/undefined/total/map-word


@dataclass
class SerialLog:
    lines: List[str] = field(default_factory=list)      # clean, complete lines
    truncated_tail: Optional[str] = None                 # unterminated last line
    # hypervisor
    hv_lines: List[str] = field(default_factory=list)    # text after "exitvisor: "
    banner: Optional[Banner] = None
    launched: List[Tuple[int, int]] = field(default_factory=list)  # (cpu, apic)
    launched_summary: Optional[Tuple[int, int]] = None   # (N, M) of "N of M cpus launched"
    novmx: Optional[str] = None                          # the reason given
    fatal: List[str] = field(default_factory=list)       # FATAL and VMLAUNCH-failed lines
    next_stage: Optional[Tuple[str, str]] = None         # (path, options)
    # the hypervisor's own tables (VMCALL 0x65787601, reset, power-off), in order
    hv_tables: List["HvTable"] = field(default_factory=list)
    # probe
    probe_lines: List[str] = field(default_factory=list)  # text after "probe: "
    signature: Optional[Tuple[int, int]] = None          # (ABI version, vCPUs)
    no_signature: bool = False
    table: Optional[ExitTable] = None                    # the snapshot table
    tables_seen: int = 0
    final_table: Optional[ExitTable] = None              # "final exit table": all exits since launch
    final_tables_seen: int = 0
    snapshot: Optional[Snapshot] = None
    sum_exits: Optional[int] = None
    sum_cycles: Optional[int] = None
    reason_map: Optional[Dict[str, int]] = None          # possible/impossible/undefined counts
    possible_reasons: Optional[List[int]] = None         # from leaf 0x40000002
    undefined_reasons: Optional[List[int]] = None
    leaf_rules: Optional[Tuple[int, int]] = None         # (checked, mismatches)
    leaf_mismatches: List[LeafMismatch] = field(default_factory=list)
    cpuid_delta: Optional[Tuple[int, int, int]] = None   # (ran, before, after)
    count64: Optional[Tuple[int, int]] = None            # (total, cpuid)
    mp: Optional[Tuple[int, int, int]] = None            # (processors, enabled, bsp)
    mp_missing: Optional[str] = None
    vcpus: List[VcpuRead] = field(default_factory=list)
    vcpu_errors: List[str] = field(default_factory=list)
    vcpus_read: Optional[int] = None
    done: bool = False

    def require_table(self) -> ExitTable:
        """The complete exit table, or NoExitTableError saying why there is none."""
        if self.table is not None and self.table.complete:
            return self.table
        if self.table is not None:
            raise NoExitTableError(
                "the probe's exit table starts but never finishes "
                f"({len(self.table.rows)} rows read, no total row or end line): "
                "log truncated or output interleaved?")
        if self.no_signature:
            why = "the probe found no exitvisor signature at CPUID 0x40000000"
        elif self.novmx is not None:
            why = f"the hypervisor reported 'VMX not available: {self.novmx}'"
        elif self.fatal:
            why = f"the hypervisor reported: {self.fatal[-1]}"
        elif self.signature is not None:
            why = "the probe found the signature but printed no table (it stopped early?)"
        elif self.probe_lines:
            why = "the probe ran but printed no table"
        elif self.hv_lines:
            why = "the hypervisor ran but no probe output follows (next stage never ran?)"
        else:
            why = "neither hypervisor nor probe lines are in the log"
        raise NoExitTableError(f"no exit table in the serial log: {why}")

    def impossible_reasons(self) -> Optional[List[int]]:
        """Reasons the map calls defined but impossible: the rest of 0..N-1,
        N being the sum of the reason-map counts."""
        if self.reason_map is None or self.possible_reasons is None or self.undefined_reasons is None:
            return None
        known = set(self.possible_reasons) | set(self.undefined_reasons)
        return [r for r in range(sum(self.reason_map.values())) if r not in known]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------
# Formats

# hypervisor (text after "exitvisor: ")
_HV_BANNER = re.compile(r"^exitvisor (\S+) starting: (.*)$")
_HV_LAUNCHED = re.compile(r"^cpu (\d+) apic (\d+) launched$")
_HV_SUMMARY = re.compile(r"^(\d+) of (\d+) cpus launched$")
_HV_NOVMX = re.compile(r"^VMX not available: (.*?)(?:; starting the next stage unvirtualized)?$")
_HV_FATAL = re.compile(r"^(?:cpu \d+ )?(?:FATAL: |VMLAUNCH failed: )")
_HV_TABLE_BEGIN = re.compile(r"^cpu (\d+) exit table: (\d+) exits, (\d+) cycles, (\d+) vCPUs$")
_HV_TABLE_ROW = re.compile(r"^cpu (\d+) {2,}(\d+) {2}(\S.*?) +(\d+) +(\d+)$")
_HV_TABLE_TOTAL = re.compile(r"^cpu (\d+) {2,}total +(\d+) +(\d+)$")
_HV_TABLE_OWN = re.compile(r"^cpu (\d+) {2,}own +of these, caused by exitvisor's own watches +(\d+) +(\d+)$")
# an optional " (from config file)"-style note after the options says where they came from
# what a vCPU said last before a table (text after "cpu N "): which event printed it
_HV_CPU_LINE = re.compile(r"^cpu (\d+) (.*)$")
_HV_DUMP = re.compile(r"^(?:guest: |controls: |events: |host: | {2})")
_HV_EVENT_POWEROFF = re.compile(r"^the guest resets or powers off the machine\b")
_HV_EVENT_RESET = re.compile(r"^(?:triple fault in the guest|INIT on the boot CPU)\b")
_HV_EVENT_INIT = re.compile(r"^INIT: exit reason\b")
_HV_RESETTING = re.compile(r"^cpu (\d+) resetting the platform\b")
_HV_NEXT = re.compile(r'^next stage (\S+) options "(.*?)"(?: \([^()"]*\))?$')

# probe (text after "probe: ")
_P_NO_SIG = re.compile(r"^no exitvisor signature at CPUID 0x40000000\b")
_P_SIG = re.compile(r"^exitvisor signature found, ABI (\d+), (\d+) vCPUs$")
_P_TABLE_BEGIN = re.compile(r"^exit table \(")
_P_TABLE_END = re.compile(r"^exit table end rows=(\d+)$")
_P_FINAL_BEGIN = re.compile(r"^final exit table \(")
_P_FINAL_END = re.compile(r"^final exit table end rows=(\d+)$")
_P_SNAPSHOT = re.compile(
    r"^snapshot t1_exits=(\d+) t1_cycles=(\d+) t2_exits=(\d+) t2_cycles=(\d+)"
    r" reasons=(\d+) queries_between=(\d+)$")
_P_SUM = re.compile(r"^sum-of-reasons exits=(\d+)(?: cycles=(\d+))?$")
_P_REASON_MAP = re.compile(r"^reason-map possible=(\d+) impossible=(\d+) undefined=(\d+)$")
_P_POSSIBLE = re.compile(r"^possible-reasons((?: \d+)*)$")
_P_UNDEF = re.compile(r"^undefined-reasons((?: \d+)*)$")
_P_LEAF_RULES = re.compile(r"^leaf-rules checked=(\d+) mismatches=(\d+)$")
_P_MISMATCH = re.compile(r"^leaf-mismatch\b")
# "leaf=L ecx=IN eax=.. ebx=.. ecx=OUT edx=.. expected=CLASS": the first ecx is
# the selector passed, the second the register answered.
_P_MISMATCH_FIELDS = re.compile(
    r"^leaf-mismatch leaf=0x([0-9A-Fa-f]{1,8}) ecx=0x([0-9A-Fa-f]{1,8}) eax=0x([0-9A-Fa-f]{8})"
    r" ebx=0x([0-9A-Fa-f]{8}) ecx=0x([0-9A-Fa-f]{8}) edx=0x([0-9A-Fa-f]{8}) expected=(\S+)$")
_P_DELTA = re.compile(r"^cpuid-delta ran=(\d+) before=(\d+) after=(\d+)$")
_P_COUNT64 = re.compile(r"^count64 total=(\d+) cpuid=(\d+)$")
_P_MP = re.compile(r"^mp processors=(\d+) enabled=(\d+) bsp=(\d+)$")
_P_MP_MISSING = re.compile(r"^(MP services .*)$")
_P_VCPU = re.compile(
    r"^vcpu (\d+) apic (\d+) signature (ok|missing) total=(\d+|n/a) cpuid=(\d+|n/a)$")
_P_VCPU_ERR = re.compile(r"^vcpu (\d+) not read: (.*)$")
_P_VCPUS_READ = re.compile(r"^vcpus-read (\d+)$")
_P_DONE = re.compile(r"^done$")

# table rows: "  NN  name...  exits  cycles  %exits  %cycles" (names contain
# single spaces only; columns are separated by at least two)
_ROW = re.compile(
    r"^ {1,4}(\d{1,3}) {2,}(\S.*?) {2,}(\d+) +(\d+) +(\d+\.\d\d) +(\d+\.\d\d)$")
_TOTAL = re.compile(r"^ {1,4}total +(\d+) +(\d+) +(\d+\.\d\d) +(\d+\.\d\d)$")

# Patterns safe on an unterminated last line: they end in fixed text, so a
# cut-off line cannot match them with a wrong value.
_TAIL_SAFE_PROBE = (_P_DONE,)
_TAIL_SAFE_HV = (_HV_LAUNCHED, _HV_SUMMARY,
                 re.compile(r"^VMX not available: .*; starting the next stage unvirtualized$"))


_MARKERS = re.compile(r"(?=exitvisor: |probe: )")


def _segments(line: str) -> List[Tuple[Optional[str], str]]:
    """Split a line at each writer's prefix: [(who, text), ...].

    who is "hv", "probe" or None (text before any prefix, e.g. a table row or
    firmware output). Two writers splicing into one line yields two segments.
    """
    out = []
    for seg in _MARKERS.split(line):
        if seg.startswith("exitvisor: "):
            out.append(("hv", seg[len("exitvisor: "):].rstrip()))
        elif seg.startswith("probe: "):
            out.append(("probe", seg[len("probe: "):].rstrip()))
        elif seg:
            out.append((None, seg))
    return out


def _split_lines(text: str) -> Tuple[List[str], Optional[str]]:
    """Complete lines and the unterminated remainder (None if there is none)."""
    text = strip_ansi(text)
    parts = text.split("\n")
    tail = parts.pop()          # "" when the text ends with a newline
    return parts, (tail if tail.strip() else None)


def _features(text: str) -> Dict[str, str]:
    """'VMX revision 0x2b, EPT yes, ...' -> {'VMX revision': '0x2b', 'EPT': 'yes', ...}"""
    out = {}
    for item in text.split(", "):
        key, _, value = item.strip().rpartition(" ")
        if key:
            out[key] = value
    return out


def _parse_hv(log: SerialLog, text: str, lineno: Optional[int] = None,
              events: Optional[Dict[int, str]] = None) -> None:
    """One hypervisor line. events (cpu -> its last line that was not part of
    a table or a state dump) tells what announced a table."""
    log.hv_lines.append(text)
    m = _HV_BANNER.match(text)
    if m:
        log.banner = Banner(m.group(1), _features(m.group(2)), text)
        return
    m = _HV_LAUNCHED.match(text)
    if m:
        log.launched.append((int(m.group(1)), int(m.group(2))))
        return
    m = _HV_SUMMARY.match(text)
    if m:
        log.launched_summary = (int(m.group(1)), int(m.group(2)))
        return
    m = _HV_NOVMX.match(text)
    if m:
        log.novmx = m.group(1)
        return
    if _HV_FATAL.match(text):
        log.fatal.append(text)
        return
    m = _HV_NEXT.match(text)
    if m:
        log.next_stage = (m.group(1), m.group(2))
        return
    if _parse_hv_table_line(log, text, lineno, events):
        return
    m = _HV_RESETTING.match(text)
    if m:
        done = [t for t in log.hv_tables if t.cpu == int(m.group(1))]
        if done:
            done[-1].context = "reset"
    m = _HV_CPU_LINE.match(text)
    if m and events is not None and not _HV_DUMP.match(m.group(2)) \
            and not m.group(2).startswith("timeline "):
        events[int(m.group(1))] = m.group(2)


def _table_context(event: Optional[str]) -> str:
    if event is None:
        return "print-stats"
    if _HV_EVENT_POWEROFF.match(event):
        return "power-off"
    if _HV_EVENT_RESET.match(event):
        return "reset"
    if _HV_EVENT_INIT.match(event):
        return "init"
    return "print-stats"


def _parse_hv_table_line(log: SerialLog, text: str, lineno: Optional[int] = None,
                         events: Optional[Dict[int, str]] = None) -> bool:
    """A line of the hypervisor's own table: the header starts a table; rows
    and the total row go to the last unfinished table of the same cpu.
    True if the line was one of the table's."""
    m = _HV_TABLE_BEGIN.match(text)
    if m:
        cpu = int(m.group(1))
        event = events.pop(cpu, None) if events is not None else None
        # only an announcement names the event; any other last line is not one
        if _table_context(event) == "print-stats":
            event = None
        log.hv_tables.append(HvTable(cpu, int(m.group(2)), int(m.group(3)), int(m.group(4)),
                                     table=ExitTable(line=lineno), line=lineno,
                                     context=_table_context(event), event=event))
        return True
    m = _HV_TABLE_OWN.match(text)
    if m:
        # After the total row: the last complete table of this cpu without one.
        done = [t for t in log.hv_tables if t.cpu == int(m.group(1)) and t.table.complete and t.own_exits is None]
        if done:
            done[-1].own_exits, done[-1].own_cycles = int(m.group(2)), int(m.group(3))
        return True
    m = _HV_TABLE_TOTAL.match(text) or _HV_TABLE_ROW.match(text)
    if not m:
        return False
    cpu = int(m.group(1))
    open_tables = [t for t in log.hv_tables if t.cpu == cpu and not t.table.complete]
    if not open_tables:
        return False
    t = open_tables[-1].table
    if m.re is _HV_TABLE_TOTAL:
        t.total_exits, t.total_cycles = int(m.group(2)), int(m.group(3))
        t.complete = True
    else:
        t.rows.append(TableRow(int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5)), 0.0, 0.0))
    return True


def _store_table(log: SerialLog, table: ExitTable) -> None:
    """Keep a table in its field (log.table or log.final_table), unless it is
    unfinished and the field already holds a complete one."""
    attr = "final_table" if table.final else "table"
    held = getattr(log, attr)
    if table.complete or held is None or not held.complete:
        setattr(log, attr, table)


def _parse_probe(log: SerialLog, text: str, table: Optional[ExitTable],
                 lineno: Optional[int] = None) -> Optional[ExitTable]:
    """Handle one probe line; returns the table being read (or None)."""
    log.probe_lines.append(text)
    final_begin = _P_FINAL_BEGIN.match(text)
    if final_begin or _P_TABLE_BEGIN.match(text):
        if table is not None:           # a table that never ended: keep it for require_table()
            _store_table(log, table)
        if final_begin:
            log.final_tables_seen += 1
        else:
            log.tables_seen += 1
        return ExitTable(final=bool(final_begin), line=lineno)
    m = _P_TABLE_END.match(text)
    final_end = None if m else _P_FINAL_END.match(text)
    if m or final_end:
        if table is not None:
            if table.final == bool(final_end):
                table.declared_rows = int((m or final_end).group(1))
                table.complete = table.total_exits is not None
            # else: the other table's end line; this one stays unfinished
            _store_table(log, table)
        return None
    m = _P_NO_SIG.match(text)
    if m:
        log.no_signature = True
        return table
    m = _P_SIG.match(text)
    if m:
        log.signature = (int(m.group(1)), int(m.group(2)))
        return table
    m = _P_SNAPSHOT.match(text)
    if m:
        log.snapshot = Snapshot(*map(int, m.groups()))
        return table
    m = _P_SUM.match(text)
    if m:
        log.sum_exits = int(m.group(1))
        log.sum_cycles = int(m.group(2)) if m.group(2) is not None else None
        return table
    m = _P_REASON_MAP.match(text)
    if m:
        log.reason_map = dict(zip(("possible", "impossible", "undefined"), map(int, m.groups())))
        # a second run's map and rule checks replace the first one's
        log.possible_reasons = log.undefined_reasons = log.leaf_rules = None
        log.leaf_mismatches = []
        return table
    m = _P_POSSIBLE.match(text)
    if m:
        log.possible_reasons = [int(x) for x in m.group(1).split()]
        return table
    m = _P_UNDEF.match(text)
    if m:
        log.undefined_reasons = [int(x) for x in m.group(1).split()]
        return table
    m = _P_LEAF_RULES.match(text)
    if m:
        log.leaf_rules = (int(m.group(1)), int(m.group(2)))
        return table
    if _P_MISMATCH.match(text):
        m = _P_MISMATCH_FIELDS.match(text)
        if m:
            leaf, sel, eax, ebx, ecx, edx = (int(x, 16) for x in m.group(1, 2, 3, 4, 5, 6))
            log.leaf_mismatches.append(LeafMismatch(text, leaf, sel, eax, ebx, ecx, edx, m.group(7)))
        else:
            log.leaf_mismatches.append(LeafMismatch(text))
        return table
    m = _P_DELTA.match(text)
    if m:
        log.cpuid_delta = tuple(map(int, m.groups()))
        return table
    m = _P_COUNT64.match(text)
    if m:
        log.count64 = tuple(map(int, m.groups()))
        return table
    m = _P_MP.match(text)
    if m:
        log.mp = tuple(map(int, m.groups()))
        # a second run's per-vCPU block replaces the first one
        log.vcpus, log.vcpu_errors, log.vcpus_read = [], [], None
        return table
    m = _P_VCPU.match(text)
    if m:
        na = lambda s: None if s == "n/a" else int(s)  # noqa: E731
        log.vcpus.append(VcpuRead(int(m.group(1)), int(m.group(2)), m.group(3) == "ok",
                                  na(m.group(4)), na(m.group(5))))
        return table
    m = _P_VCPU_ERR.match(text)
    if m:
        log.vcpu_errors.append(text)
        return table
    m = _P_VCPUS_READ.match(text)
    if m:
        log.vcpus_read = int(m.group(1))
        return table
    if _P_DONE.match(text):
        log.done = True
        return table
    m = _P_MP_MISSING.match(text)
    if m:
        log.mp_missing = m.group(1)
    return table


def parse_text(text: str) -> SerialLog:
    log = SerialLog()
    lines, tail = _split_lines(text)
    log.lines, log.truncated_tail = lines, tail
    table: Optional[ExitTable] = None       # table currently being read
    events: Dict[int, str] = {}             # cpu -> its last announcing line
    for lineno, line in enumerate(lines, 1):
        for who, text in _segments(line):
            if who == "hv":
                _parse_hv(log, text, lineno, events)
            elif who == "probe":
                table = _parse_probe(log, text, table, lineno)
            elif table is not None:
                table_line(table, text.rstrip())
    if table is not None:
        _store_table(log, table)            # unfinished: require_table() explains
    if tail is not None:
        for who, text in _segments(tail):
            if who == "hv" and any(p.match(text) for p in _TAIL_SAFE_HV):
                _parse_hv(log, text)
            elif who == "probe" and any(p.match(text) for p in _TAIL_SAFE_PROBE):
                _parse_probe(log, text, None)
    return log


def table_line(table: ExitTable, s: str) -> None:
    m = _ROW.match(s)
    if m:
        table.rows.append(TableRow(int(m.group(1)), m.group(2), int(m.group(3)),
                                   int(m.group(4)), float(m.group(5)), float(m.group(6))))
        return
    m = _TOTAL.match(s)
    if m:
        table.total_exits, table.total_cycles = int(m.group(1)), int(m.group(2))


def read_log_text(path: str) -> str:
    """Text of a serial log; a directory means DIR/serial.log."""
    if os.path.isdir(path):
        path = os.path.join(path, "serial.log")
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def parse_file(path: str) -> SerialLog:
    return parse_text(read_log_text(path))


# --------------------------------------------------------------------------
# CLI

def format_table(log: SerialLog) -> str:
    t = log.require_table()
    w = max([len("reason")] + [len(r.name) for r in t.rows])
    out = [f"  {'nr':>3}  {'reason':<{w}}  {'exits':>12}  {'cycles':>16}  {'%exits':>7}  {'%cycles':>7}"]
    for r in t.rows:
        out.append(f"  {r.reason:>3}  {r.name:<{w}}  {r.exits:>12}  {r.cycles:>16}"
                   f"  {r.pct_exits:>7.2f}  {r.pct_cycles:>7.2f}")
    out.append(f"  {'total':<{w + 5}}  {t.total_exits:>12}  {t.total_cycles:>16}")
    s = log.snapshot
    if s is not None:
        out.append(f"snapshot: T1 {s.t1_exits} exits / {s.t1_cycles} cycles, "
                   f"T2 {s.t2_exits} exits / {s.t2_cycles} cycles, "
                   f"{s.queries_between} queries between")
    if log.cpuid_delta is not None:
        ran, before, after = log.cpuid_delta
        out.append(f"cpuid delta: {ran} CPUIDs moved the CPUID count by {after - before}")
    if log.count64 is not None:
        out.append(f"count64: total {log.count64[0]}, CPUID {log.count64[1]}")
    if log.reason_map is not None:
        rm = log.reason_map
        out.append(f"reason map: {rm['possible']} possible, {rm['impossible']} impossible, "
                   f"{rm['undefined']} undefined")
    if log.possible_reasons is not None:
        out.append("possible reasons: " + " ".join(map(str, log.possible_reasons)))
    if log.leaf_rules is not None:
        out.append(f"leaf rules: {log.leaf_rules[0]} answers checked, "
                   f"{log.leaf_rules[1]} mismatches")
    for mm in log.leaf_mismatches:
        out.append("leaf mismatch: " + mm.text)
    for v in log.vcpus:
        out.append(f"vcpu {v.index} (apic {v.apic}): signature "
                   f"{'ok' if v.signature_ok else 'missing'}, total {v.total}, CPUID {v.cpuid}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Parse an exitvisor serial log.")
    ap.add_argument("log", help="serial.log (raw COM1 output) or a run directory holding one")
    ap.add_argument("--json", action="store_true", help="print everything parsed as JSON")
    args = ap.parse_args(argv)
    try:
        log = parse_file(args.log)
        if args.json:
            log.require_table()
            d = log.to_dict()
            del d["lines"]          # the log itself; the caller has it
            print(json.dumps(d, indent=2))
        else:
            print(format_table(log))
    except OSError as e:
        print(f"exitlog: cannot read {args.log}: {e}", file=sys.stderr)
        return 1
    except ExitLogError as e:
        print(f"exitlog: {args.log}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
