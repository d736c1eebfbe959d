#!/usr/bin/env python3
"""The hypervisor's boot timeline in a serial log, and the boot phases on it.

Formats (a contract with hv/stats/stats_report.c and guest/linux/exvprobe_timeline.c;
each line may carry any prefix, e.g. "exitvisor: cpu 1 " or "exvprobe: "):

  timeline v1 samples=<N> capacity=<C> interval=<I> compactions=<K> start_tsc=<T0> now=<Tnow> tsc_hz=<HZ>
  timeline <i> t=<t> [own=<o>] <r>:<c> <r>:<c> ...
  timeline end samples=<N>

t is TSC ticks since the first VMLAUNCH (T0); <r>:<c> the cumulative exits of
basic reason r, all vCPUs, from launch to the sample (zero counts omitted);
own= (optional) how many of all exits exitvisor's own watches caused. One
sample may be split over several lines with the same i and t: their pairs are
merged. A log may hold several blocks (exvprobe prints one, exitvisor one at
power-off); the last complete one (its end line seen, N samples 0..N-1) is
used. An incomplete block is ignored with a warning.

Clock marks:
  [  12.345678] exvprobe: mark <label> tsc=<T>   Linux guest, through /dev/kmsg:
                                                 printk seconds and TSC
  exvprobe: mark <label> tsc=<T> (...)           the same without /dev/kmsg
  probe: mark <label> tsc=<T>                    the UEFI probe
  exvprobe: tsc_hz=<HZ>                          the TSC rate Linux measured
Each mark is at t = T - T0. Kernel marks (two or more) also give the linear
map printk seconds -> t (least squares), which places the kernel's console
lines (Linux version, smp: ..., Run /init) on the timeline; one kernel mark and
a TSC frequency give it too.

Library:
    tl = analyse(log.lines, log_path=..., tsc_hz=None)   # None when no timeline
    tl.block.samples, tl.hz, tl.hz_source, tl.phases, tl.spans, tl.phase_stats(),
    tl.bursts(), tl.csv_text(names), timeline_png(tl, names, title)
"""
import io
import csv
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

def _exit_reason_names() -> Dict[int, str]:
    """The SDM's names, from the one place they are written: hv/arch/exit_reasons.h."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hv", "arch", "exit_reasons.h")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}
    return {int(n): name for n, name in re.findall(r'X\((\d+),\s*\w+,\s*"([^"]*)"\)', text)}


EXIT_REASON_NAMES = _exit_reason_names()

TOP_REASONS = 8             # the charts draw this many reasons, the rest summed as "other"
TOP_BURSTS = 5

_HEAD = re.compile(r"(?:^|(?<=\s))timeline v(\d+) samples=(\d+) capacity=(\d+) interval=(\d+)"
                   r" compactions=(\d+) start_tsc=(\d+) now=(\d+) tsc_hz=(\d+)\s*$")
_SAMPLE = re.compile(r"(?:^|(?<=\s))timeline (\d+) t=(\d+)((?: +\S+)*)\s*$")
_END = re.compile(r"(?:^|(?<=\s))timeline end samples=(\d+)\s*$")
_PAIR = re.compile(r"^(\d+):(\d+)$")
_KEYVAL = re.compile(r"^([a-z_]+)=(\d+)$")
_PRINTK = re.compile(r"^\s*\[\s*\d+\.\d+\]\s*")

# a number followed by the end of the line or a blank: never a cut-off one
_KMARK = re.compile(r"\[\s*(\d+\.\d+)\]\s*exvprobe: mark (\S+) tsc=(\d+)(?=\s|$)")
_XMARK = re.compile(r"exvprobe: mark (\S+) tsc=(\d+)(?=\s|$)")
_PMARK = re.compile(r"(?<![A-Za-z])probe: mark (\S+) tsc=(\d+)(?=\s|$)")
_EXV_HZ = re.compile(r"exvprobe: tsc_hz=(\d+)(?=\s|$)")
_BANNER = re.compile(r"exitvisor: exitvisor \S+ starting: ")
# the kernel's console lines that mark boot phases (first one of each, after launch)
CONSOLE_PHASES = (
    ("kernel start", re.compile(r"\[\s*(\d+\.\d+)\]\s*Linux version ")),
    ("SMP bring-up", re.compile(r"\[\s*(\d+\.\d+)\]\s*smp: Bringing up secondary CPUs")),
    ("SMP up", re.compile(r"\[\s*(\d+\.\d+)\]\s*smp: Brought up ")),
    ("/init", re.compile(r"\[\s*(\d+\.\d+)\]\s*Run /init as init process")),
)
_BOCHS_IPS = re.compile(r"^\s*cpu:.*\bips=(\d+)", re.M)


def reason_name(r: int, names: Optional[Dict[int, str]] = None) -> str:
    if names and r in names:
        return names[r]
    return EXIT_REASON_NAMES.get(r, f"reason {r}")


# --------------------------------------------------------------------------
# Parsing

@dataclass
class Sample:
    i: int
    t: int
    counts: Dict[int, int] = field(default_factory=dict)
    own: Optional[int] = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Block:
    line: int                       # 1-based line of the header
    prefix: str                     # text before "timeline v1", e.g. "exitvisor: cpu 0"
    version: int
    declared: int                   # samples=N of the header
    capacity: int
    interval: int
    compactions: int
    start_tsc: int
    now: int
    tsc_hz: int
    samples: Dict[int, Sample] = field(default_factory=dict)
    end_line: Optional[int] = None
    end_declared: Optional[int] = None
    problems: List[str] = field(default_factory=list)

    @property
    def who(self) -> str:
        if "exvprobe" in self.prefix:
            return "exvprobe"
        if "exitvisor" in self.prefix:
            return "exitvisor"
        return self.prefix or "unknown"

    @property
    def complete(self) -> bool:
        return (self.end_line is not None and self.end_declared == self.declared
                and sorted(self.samples) == list(range(self.declared)))

    def ordered(self) -> List[Sample]:
        return [self.samples[i] for i in sorted(self.samples)]

    def why_incomplete(self) -> str:
        if self.end_line is None:
            return f"{len(self.samples)} of {self.declared} samples, no end line: cut off?"
        if self.end_declared != self.declared:
            return f"its end line says {self.end_declared} samples, its header {self.declared}"
        missing = sorted(set(range(self.declared)) - set(self.samples))
        return (f"{len(self.samples)} of {self.declared} samples"
                + (f" (first missing: {missing[0]})" if missing else ""))

    def describe(self) -> str:
        return (f"the {self.who} timeline block at line {self.line} ({self.declared} samples, "
                f"interval {self.interval} ticks, {self.compactions} compaction"
                f"{'' if self.compactions == 1 else 's'})")


def _key(prefix: str) -> str:
    return _PRINTK.sub("", prefix).strip()


def parse_blocks(lines: Sequence[str]) -> List[Block]:
    """Every timeline block in the lines, complete or not, in order."""
    blocks: List[Block] = []
    open_blocks: Dict[str, Block] = {}

    def target(prefix: str) -> Optional[Block]:
        b = open_blocks.get(_key(prefix))
        if b is None and open_blocks:       # a spliced prefix: the block opened last
            b = max(open_blocks.values(), key=lambda x: x.line)
        return b

    for lineno, line in enumerate(lines, 1):
        line = line.rstrip()
        m = _HEAD.search(line)
        if m:
            prefix = line[:m.start()]
            b = Block(lineno, _key(prefix), *map(int, m.groups()))
            open_blocks[_key(prefix)] = b
            blocks.append(b)
            continue
        m = _END.search(line)
        if m:
            b = target(line[:m.start()])
            if b is not None:
                b.end_line, b.end_declared = lineno, int(m.group(1))
                open_blocks = {k: v for k, v in open_blocks.items() if v is not b}
            continue
        m = _SAMPLE.search(line)
        if not m:
            continue
        b = target(line[:m.start()])
        if b is None:
            continue
        i, t = int(m.group(1)), int(m.group(2))
        s = Sample(i, t)
        for tok in m.group(3).split():
            pm = _PAIR.match(tok)
            km = None if pm else _KEYVAL.match(tok)
            if pm:
                r, c = int(pm.group(1)), int(pm.group(2))
                if r in s.counts and s.counts[r] != c:
                    b.problems.append(f"line {lineno}: sample {i} gives reason {r} twice")
                s.counts[r] = c
            elif km and km.group(1) == "own":
                s.own = int(km.group(2))
            elif km:
                pass                        # a field a later version adds: ignored
            else:
                b.problems.append(f"line {lineno}: sample {i}: '{tok}' is not reason:count "
                                  f"(garbled line); the rest of the line is ignored")
                break
        old = b.samples.get(i)
        if old is None:
            b.samples[i] = s
        elif old.t != t:
            b.problems.append(f"line {lineno}: sample {i} at t={t} but earlier at t={old.t}: kept the first")
        else:                               # one sample split over several lines
            for r, c in s.counts.items():
                if r in old.counts and old.counts[r] != c:
                    b.problems.append(f"line {lineno}: sample {i} gives reason {r} twice")
                old.counts[r] = c
            if s.own is not None:
                old.own = s.own
    return blocks


def check_monotonic(samples: List[Sample]) -> List[str]:
    out = []
    for a, b in zip(samples, samples[1:]):
        if b.t < a.t:
            out.append(f"sample {b.i} (t={b.t}) is earlier than sample {a.i} (t={a.t})")
        for r, c in a.counts.items():
            if b.counts.get(r, 0) < c:
                out.append(f"reason {r} falls from {c} (sample {a.i}) to {b.counts.get(r, 0)} "
                           f"(sample {b.i})")
    return out[:5]


def check_block(block: "Block", table: Optional[Dict[int, int]] = None, table_before_last: bool = False,
                live: Optional[Dict[int, int]] = None) -> List[str]:
    """What is wrong with a timeline block against the counts around it
    (empty: nothing). Always: complete, times strictly increasing from
    launch, every reason's count and the own count never falling, own never
    above the total. live: counts read after the block was read (exvprobe's
    "timeline live" line): no sample may exceed them. table: an exit table
    of the same run; with table_before_last (exitvisor prints its table at
    power-off, then takes a last sample and prints the timeline) the last
    sample is at least the table in every reason. (Not: the samples before
    it at most the table. With several vCPUs another one goes on exiting,
    and sampling, while the table is printed, and the table reads its rows
    one after the other: make test's Linux boot showed a sample taken
    during the print above the table in reason 48.)"""
    if not block.complete:
        return ["incomplete: " + block.why_incomplete()]
    samples = block.ordered()
    if not samples:
        return ["no samples"]
    out = check_monotonic(samples)
    for a, b in zip(samples, samples[1:]):
        if b.t == a.t:
            out.append(f"samples {a.i} and {b.i} have the same t={b.t}")
        if a.own is not None and b.own is not None and b.own < a.own:
            out.append(f"own exits fall from {a.own} (sample {a.i}) to {b.own} (sample {b.i})")
    for x in samples:
        if x.own is not None and x.own > x.total:
            out.append(f"sample {x.i}: own {x.own} above its total {x.total}")
    if samples[-1].t > block.now:
        out.append(f"the last sample (t={samples[-1].t}) is after the block's now={block.now}")

    def above(x: "Sample", counts: Dict[int, int]) -> List[int]:
        return [r for r, c in x.counts.items() if c > counts.get(r, 0)]

    if live is not None:
        over = above(samples[-1], live)
        if over:
            out.append(f"the last sample exceeds the live counts read after it in reasons {over}")
    if table is not None and table_before_last:
        below = [r for r, c in table.items() if samples[-1].counts.get(r, 0) < c]
        if below:
            out.append(f"the last sample, taken after the table, is below it in reasons {below}")
    return out[:5]


_LIVE = re.compile(r"exvprobe: timeline live((?: \d+:\d+)*)")


def parse_live(lines: Sequence[str]) -> List[Tuple[int, Dict[int, int]]]:
    """exvprobe's "timeline live r:c ..." lines: (line number, counts)."""
    out = []
    for lineno, line in enumerate(lines, 1):
        m = _LIVE.search(line)
        if m:
            out.append((lineno, {int(r): int(c) for r, c in re.findall(r"(\d+):(\d+)", m.group(1))}))
    return out


@dataclass
class Mark:
    label: str
    tsc: int
    line: int
    kind: str                       # "kernel" (printk seconds known), "exvprobe", "probe"
    printk: Optional[float] = None
    t: Optional[int] = None         # ticks since launch (set once T0 is known)


def parse_marks(lines: Sequence[str], first: int = 1, last: Optional[int] = None) -> List[Mark]:
    out = []
    for lineno, line in enumerate(lines, 1):
        if lineno < first or (last is not None and lineno > last):
            continue
        kspans = []
        for m in _KMARK.finditer(line):
            out.append(Mark(m.group(2), int(m.group(3)), lineno, "kernel", float(m.group(1))))
            kspans.append(m.span())
        for m in _XMARK.finditer(line):
            if not any(a <= m.start() < b for a, b in kspans):
                out.append(Mark(m.group(1), int(m.group(2)), lineno, "exvprobe"))
        for m in _PMARK.finditer(line):
            out.append(Mark(m.group(1), int(m.group(2)), lineno, "probe"))
    return out


def bochs_ips_near(log_path: Optional[str]) -> Optional[Tuple[int, str]]:
    """ips= of the bochsrc beside the log (run directories hold one)."""
    if not log_path or log_path == "-":
        return None
    d = log_path if os.path.isdir(log_path) else os.path.dirname(os.path.abspath(log_path))
    rc = os.path.join(d, "bochsrc")
    try:
        with open(rc, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    m = _BOCHS_IPS.search(text)
    return (int(m.group(1)), rc) if m and int(m.group(1)) > 0 else None


def fit_line(points: List[Tuple[float, float]]) -> Tuple[float, float]:
    """Least squares y = a + b x."""
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in points)
    b = sxy / sxx
    return my - b * mx, b


# --------------------------------------------------------------------------
# The analysis

@dataclass
class Phase:
    t: int
    label: str
    kind: str                       # launch, console, mark, end
    line: Optional[int] = None


@dataclass
class Span:
    t0: int
    t1: int
    label: str


@dataclass
class Timeline:
    block: Block
    samples: List[Sample]
    blocks_seen: int
    warnings: List[str]
    hz: Optional[float]
    hz_source: str
    marks: List[Mark]
    printk_map: Optional[Tuple[float, float]]  # t = a + b * printk_seconds
    printk_map_source: Optional[str]
    phases: List[Phase]
    spans: List[Span]
    notes: List[str]

    # ---- values at any instant
    @property
    def reasons(self) -> List[int]:
        """Every reason seen, largest final count first."""
        last = self.samples[-1].counts if self.samples else {}
        seen = {r for s in self.samples for r in s.counts}
        return sorted(seen, key=lambda r: (-last.get(r, 0), r))

    @property
    def end_t(self) -> int:
        return max(self.block.now, self.samples[-1].t if self.samples else 0)

    @property
    def has_own(self) -> bool:
        return bool(self.samples) and all(s.own is not None for s in self.samples)

    def total_at(self, t: float, guest: bool = False) -> float:
        """Cumulative exits at t (ticks), linear between samples, 0 at launch."""
        def val(s: Sample) -> int:
            return s.total - (s.own or 0) if guest else s.total
        prev_t, prev_v = 0, 0
        for s in self.samples:
            if t <= s.t:
                if s.t == prev_t:
                    return val(s)
                return prev_v + (val(s) - prev_v) * (t - prev_t) / (s.t - prev_t)
            prev_t, prev_v = s.t, val(s)
        return prev_v

    def seconds(self, ticks: float) -> Optional[float]:
        return ticks / self.hz if self.hz else None

    def fmt_t(self, ticks: float) -> str:
        if not self.hz:
            return f"{ticks:,.0f} ticks"
        sec = ticks / self.hz
        return f"{sec:.3f} s" if sec >= 1 else f"{sec * 1e3:.3f} ms" if sec >= 1e-3 else f"{sec * 1e6:.1f} us"

    @property
    def unit(self) -> Tuple[str, float]:
        """The unit of times in text and charts, and ticks per unit: seconds,
        milliseconds for a run shorter than 2 s, or millions of ticks."""
        if not self.hz:
            return "Mticks", 1e6
        return ("s", self.hz) if self.end_t / self.hz >= 2 else ("ms", self.hz / 1e3)

    def fmt_unit(self) -> str:
        return self.unit[0]

    def fmt_num(self, ticks: float) -> str:
        name, per = self.unit
        return f"{ticks / per:,.1f}" if name == "Mticks" else f"{ticks / per:.3f}"

    def rate_unit(self) -> str:
        return "exits/s" if self.hz else "exits/Mtick"

    def rate(self, exits: float, ticks: float) -> float:
        if ticks <= 0:
            return 0.0
        return exits * self.hz / ticks if self.hz else exits * 1e6 / ticks

    def phase_at(self, t: float) -> str:
        """The label of the phase that t falls in (after the last phase line at or before t)."""
        label = self.phases[0].label if self.phases else "?"
        for p in self.phases:
            if p.t <= t and p.kind != "end":
                label = p.label
        return label

    # ---- the course's third question
    def phase_stats(self) -> List[dict]:
        """Exits and rate between consecutive phase lines."""
        pts = sorted({(p.t, p.label) for p in self.phases if 0 <= p.t <= self.end_t},
                     key=lambda x: x[0])
        out = []
        for (t0, l0), (t1, l1) in zip(pts, pts[1:]):
            if t1 <= t0:
                continue
            # rounded at each phase line, so the phases add up to the total
            ex = round(self.total_at(t1)) - round(self.total_at(t0))
            d = {"from": l0, "to": l1, "t0": t0, "t1": t1,
                 "t0_s": self.seconds(t0), "t1_s": self.seconds(t1),
                 "exits": round(ex), "rate": round(self.rate(ex, t1 - t0), 1)}
            if self.has_own:
                g = round(self.total_at(t1, True)) - round(self.total_at(t0, True))
                d["guest_exits"] = round(g)
                d["guest_rate"] = round(self.rate(g, t1 - t0), 1)
            out.append(d)
        return out

    def intervals(self) -> List[dict]:
        out = []
        prev = Sample(-1, 0)
        for s in self.samples:
            dt = s.t - prev.t
            if dt > 0:
                deltas = {r: c - prev.counts.get(r, 0) for r, c in s.counts.items()}
                out.append({"i": s.i, "t0": prev.t, "t1": s.t, "exits": s.total - prev.total,
                            "deltas": deltas})
            prev = s
        return out

    def bursts(self, n: int = TOP_BURSTS) -> List[dict]:
        """The sample intervals with the highest exit rate (intervals shorter
        than half the sampling interval are left out: a few exits in a short
        stretch, such as the last sample at power-off, are no burst)."""
        iv = [x for x in self.intervals() if x["t1"] - x["t0"] >= self.block.interval / 2
              and x["exits"] > 0]
        iv.sort(key=lambda x: -x["exits"] / (x["t1"] - x["t0"]))
        out = []
        for x in iv[:n]:
            top = max(x["deltas"].items(), key=lambda kv: kv[1])
            out.append({"t0": x["t0"], "t1": x["t1"], "t0_s": self.seconds(x["t0"]),
                        "t1_s": self.seconds(x["t1"]), "exits": x["exits"],
                        "rate": round(self.rate(x["exits"], x["t1"] - x["t0"]), 1),
                        "top_reason": top[0], "top_reason_exits": top[1],
                        "phase": self.phase_at((x["t0"] + x["t1"]) / 2)})
        return out

    def steadiness(self) -> Optional[dict]:
        """How much of the run's time holds half of its exits (the busiest
        sample intervals first): ~50 % means a steady rate, a few % bursts."""
        iv = self.intervals()
        total = sum(x["exits"] for x in iv)
        span = sum(x["t1"] - x["t0"] for x in iv)
        if total <= 0 or span <= 0:
            return None
        iv.sort(key=lambda x: -x["exits"] / (x["t1"] - x["t0"]))
        acc = dt = 0
        for x in iv:
            need = total / 2 - acc
            if x["exits"] >= need:
                dt += (x["t1"] - x["t0"]) * need / x["exits"]
                break
            acc += x["exits"]
            dt += x["t1"] - x["t0"]
        share = dt / span
        verdict = ("in bursts" if share < 0.15 else "unevenly" if share < 0.35
                   else "at a fairly steady rate")
        return {"half_of_exits_in_time_share": round(share, 4), "verdict": verdict,
                "intervals": len(iv)}

    # ---- outputs
    def csv_text(self, names: Optional[Dict[int, str]] = None) -> str:
        reasons = sorted({r for s in self.samples for r in s.counts})
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["t_ticks", "t_seconds"] + [f"{r} {reason_name(r, names)}" for r in reasons]
                   + ["total"] + (["own"] if self.has_own else []))
        for s in self.samples:
            sec = "" if not self.hz else f"{s.t / self.hz:.6f}"
            w.writerow([s.t, sec] + [s.counts.get(r, 0) for r in reasons] + [s.total]
                       + ([s.own] if self.has_own else []))
        return buf.getvalue()

    def to_dict(self) -> dict:
        b = self.block
        return {
            "block": {"who": b.who, "line": b.line, "end_line": b.end_line, "samples": b.declared,
                      "capacity": b.capacity, "interval_ticks": b.interval,
                      "compactions": b.compactions, "start_tsc": b.start_tsc, "now_ticks": b.now,
                      "tsc_hz_stated": b.tsc_hz},
            "blocks_in_log": self.blocks_seen,
            "tsc_hz": self.hz, "tsc_hz_source": self.hz_source,
            "printk_map": (None if self.printk_map is None else
                           {"ticks_at_printk_0": round(self.printk_map[0]),
                            "ticks_per_printk_second": round(self.printk_map[1], 1),
                            "source": self.printk_map_source}),
            "phases": [{"t_ticks": p.t, "t_seconds": self.seconds(p.t), "label": p.label,
                        "kind": p.kind, "line": p.line} for p in self.phases],
            "spans": [{"t0_ticks": s.t0, "t1_ticks": s.t1, "label": s.label} for s in self.spans],
            "final_counts": {str(r): c for r, c in sorted(self.samples[-1].counts.items())}
            if self.samples else {},
            "final_own": self.samples[-1].own if self.samples else None,
            "phase_stats": self.phase_stats(),
            "bursts": self.bursts(),
            "steadiness": self.steadiness(),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


def choose_block(blocks: List[Block]) -> Tuple[Optional[Block], List[str]]:
    warnings = []
    for b in blocks:
        if not b.complete:
            warnings.append(f"{b.describe()} is incomplete ({b.why_incomplete()}): ignored")
    done = [b for b in blocks if b.complete]
    return (done[-1] if done else None), warnings


def analyse(lines: Sequence[str], log_path: Optional[str] = None,
            tsc_hz: Optional[float] = None) -> Tuple[Optional[Timeline], List[str]]:
    """The last complete timeline and the phases on it: (Timeline, []) or
    (None, warnings) when the log has no complete timeline block."""
    blocks = parse_blocks(lines)
    block, warnings = choose_block(blocks)
    if block is None:
        return None, warnings
    samples = block.ordered()
    warnings += [f"{block.describe()}: {p}" for p in block.problems[:5]]
    warnings += [f"{block.describe()}: {p}" for p in check_monotonic(samples)]
    notes = []
    if len([b for b in blocks if b.complete]) > 1:
        notes.append(f"the log holds {len([b for b in blocks if b.complete])} complete timeline "
                     f"blocks; used the last, {block.describe()}")

    # This boot: from the last banner before the block, to the end of the log.
    first = 1
    for lineno, line in enumerate(lines, 1):
        if lineno >= block.line:
            break
        if _BANNER.search(line):
            first = lineno
    marks = parse_marks(lines, first)
    for m in marks:
        m.t = m.tsc - block.start_tsc
    bad = [m for m in marks if m.t < 0]
    marks = [m for m in marks if m.t >= 0]
    if bad:
        notes.append(f"{len(bad)} clock mark(s) before the timeline's launch ignored")
    kmarks = [m for m in marks if m.kind == "kernel"]

    # The TSC frequency: first found wins.
    hz, hz_source = None, "none: the time axis is in TSC ticks"
    exv = [int(m.group(1)) for i, line in enumerate(lines, 1) if i >= first
           for m in _EXV_HZ.finditer(line)]
    slope = None
    if len({m.printk for m in kmarks}) >= 2:
        _, slope = fit_line([(m.printk, m.t) for m in kmarks])
    ips = bochs_ips_near(log_path)
    if tsc_hz:
        hz, hz_source = float(tsc_hz), "--tsc-hz"
    elif exv and exv[-1] > 0:
        hz, hz_source = float(exv[-1]), "exvprobe: tsc_hz= (the guest measured it against CLOCK_MONOTONIC)"
    elif slope and slope > 0:
        hz, hz_source = slope, f"the slope of {len(kmarks)} kernel clock marks (TSC ticks per printk second)"
    elif ips:
        hz, hz_source = float(ips[0]), f"ips={ips[0]} in {ips[1]} (Bochs' TSC advances at ips per second)"
    elif block.tsc_hz:
        hz, hz_source = float(block.tsc_hz), "the timeline's tsc_hz (CPUID 0x15/0x16, as exitvisor read it)"

    # printk seconds -> ticks since launch
    pmap, pmap_source = None, None
    if slope and slope > 0:
        pmap = fit_line([(m.printk, m.t) for m in kmarks])
        resid = max(abs(m.t - (pmap[0] + pmap[1] * m.printk)) for m in kmarks)
        pmap_source = (f"least squares over {len(kmarks)} kernel marks (largest residual "
                       + (f"{resid / hz * 1e3:.2f} ms)" if hz else f"{resid:,.0f} ticks)"))
    elif kmarks and hz:
        m = kmarks[-1]
        pmap = (m.t - hz * m.printk, hz)
        pmap_source = f"one kernel mark ({m.label}) and the TSC frequency"

    phases = [Phase(0, "exitvisor launch", "launch", None)]
    seen_console = set()
    for lineno, line in enumerate(lines, 1):
        if lineno < first:
            continue
        for label, rx in CONSOLE_PHASES:
            if label in seen_console:
                continue
            m = rx.search(line)
            if m:
                seen_console.add(label)
                if pmap is None:
                    notes.append(f"console line '{label}' (line {lineno}) not placed: no kernel "
                                 f"clock mark ties printk time to the timeline")
                else:
                    t = round(pmap[0] + pmap[1] * float(m.group(1)))
                    if 0 <= t <= max(block.now, samples[-1].t if samples else 0):
                        phases.append(Phase(t, label, "console", lineno))
    spans, open_begin = [], {}
    mlabels = [m.label for m in marks]
    for k, m in enumerate(marks):
        label = f"mark {m.label}"
        if mlabels.count(m.label) > 1:
            label += f" #{mlabels[:k + 1].count(m.label)}"
        phases.append(Phase(m.t, label, "mark", m.line))
        if m.label.startswith("stat-begin:"):
            open_begin.setdefault(m.label[len("stat-begin:"):], []).append(m)
        elif m.label.startswith("stat-end:"):
            lst = open_begin.get(m.label[len("stat-end:"):])
            if lst:
                b = lst.pop(0)
                spans.append(Span(b.t, m.t, "stat " + m.label[len("stat-end:"):]))
    labels = [sp.label for sp in spans]
    for k, sp in enumerate(spans):
        if labels.count(sp.label) > 1:
            sp.label = f"{sp.label} #{labels[:k + 1].count(sp.label)}"
    end_t = max(block.now, samples[-1].t if samples else 0)
    end_label = "power-off" if block.who == "exitvisor" else f"timeline read ({block.who})"
    phases.append(Phase(end_t, end_label, "end", block.end_line))
    phases.sort(key=lambda p: (p.t, p.kind != "launch"))
    tl = Timeline(block, samples, len(blocks), warnings, hz, hz_source, marks, pmap, pmap_source,
                  phases, spans, notes)
    return tl, []


# --------------------------------------------------------------------------
# The chart

def _phase_lines(ax, tl: Timeline, scale: float, labels: bool) -> None:
    xmax = max(tl.end_t, 1) * 1.01
    for k, sp in enumerate(tl.spans):
        ax.axvspan(sp.t0 / scale, sp.t1 / scale, color=("#f2c14e", "#9ecae1")[k % 2], alpha=0.3, lw=0)
        if labels:
            ax.annotate(sp.label, ((sp.t0 + sp.t1) / 2 / scale, 0.02),
                        xycoords=("data", "axes fraction"), rotation=90, va="bottom",
                        ha="center", fontsize=7.5, color="#7a5a00")
    last_frac, nudge = None, 0.0
    for p in tl.phases:
        ax.axvline(p.t / scale, color="#555555", lw=0.8, ls="--" if p.kind == "mark" else "-",
                   alpha=0.7)
        if not labels:
            continue
        # labels of phases closer than ~1 % of the width are moved apart
        frac = p.t / xmax
        nudge = nudge + 9 if last_frac is not None and frac - last_frac < 0.012 else 0.0
        last_frac = frac
        ax.annotate(p.label, (p.t / scale, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2 + nudge, -3), textcoords="offset points", rotation=90, va="top",
                    ha="left", fontsize=7.5, color="#333333")


def timeline_png(tl: Timeline, mpl, names: Optional[Dict[int, str]] = None,
                 title: str = "") -> bytes:
    """Cumulative exits per reason (top) and the exit rate per reason (bottom)
    over guest time, with the boot phases. mpl = (Figure, FigureCanvasAgg, ticker)."""
    Figure, FigureCanvasAgg, ticker = mpl
    unit, scale = tl.unit
    xlabel = (f"guest time since exitvisor's launch ({unit})" if tl.hz
              else "TSC ticks since launch (millions; no TSC frequency known)")
    reasons = tl.reasons
    top, rest = reasons[:TOP_REASONS], reasons[TOP_REASONS:]
    xs = [0.0] + [s.t / scale for s in tl.samples]

    def series(rs):
        return [0] + [sum(s.counts.get(r, 0) for r in rs) for s in tl.samples]

    lines = [(f"{r} {reason_name(r, names)}", series([r])) for r in top]
    if rest:
        lines.append((f"other ({len(rest)} reasons)", series(rest)))
    fig = Figure(figsize=(15, 9), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    colors = ["#3b75af", "#e08a2c", "#519e3e", "#c53a32", "#8d69b8", "#84584e", "#d57dbf",
              "#7f7f7f", "#bcbd22"]
    for k, (label, ys) in enumerate(lines):
        ax1.step(xs, [max(y, 0) for y in ys], where="post", color=colors[k % len(colors)],
                 lw=1.6, label=f"{label}: {ys[-1]:,}")
    total = series(reasons)
    ax1.step(xs, total, where="post", color="black", lw=1.0, alpha=0.6,
             label=f"all reasons: {total[-1]:,}")
    if tl.has_own:
        own = [0] + [s.own for s in tl.samples]
        ax1.step(xs, own, where="post", color="black", lw=1.0, ls=":",
                 label=f"of all, exitvisor's own watches: {own[-1]:,}")
        # What the guest itself caused: the figure the course asks about.
        guest = [a - b for a, b in zip(total, own)]
        ax1.step(xs, [max(g, 0) for g in guest], where="post", color="#2ca02c", lw=2.2, alpha=0.5,
                 label=f"of all, the guest's own: {guest[-1]:,}")
    ax1.set_yscale("log")
    ax1.set_ylim(0.8, max(total[-1], 1) * 3)
    ax1.set_ylabel("cumulative exits (log scale)")
    ax1.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else ""))
    ax1.grid(alpha=0.3, which="major")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8.5, framealpha=0.9,
               title="reason: exits at the end", title_fontsize=8.5)
    _phase_lines(ax1, tl, scale, True)

    # rates per sample interval
    unit = tl.rate_unit()
    for k, r in enumerate(top):
        ys, xr = [], []
        prev_t, prev_c = 0, 0
        for s in tl.samples:
            c = s.counts.get(r, 0)
            if s.t > prev_t:
                xr.append(prev_t / scale)
                ys.append(tl.rate(c - prev_c, s.t - prev_t))
            prev_t, prev_c = s.t, c
        if xr:
            xr.append(tl.samples[-1].t / scale)
            ys.append(ys[-1])
            ax2.step(xr, [y if y > 0 else float("nan") for y in ys], where="post",
                     color=colors[k % len(colors)], lw=1.2, label=f"{r} {reason_name(r, names)}")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8.5, framealpha=0.9)
    ax2.set_yscale("log")
    ax2.set_ylabel(f"exit rate per sample interval ({unit}, log scale)")
    ax2.set_xlabel(xlabel)
    ax2.grid(alpha=0.3, which="major")
    ax2.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    _phase_lines(ax2, tl, scale, False)
    ax2.set_xlim(0, tl.end_t / scale * 1.01)
    ax1.set_title("cumulative exits per reason (top %d by final count%s); dashed lines: clock "
                  "marks, shaded: exvprobe stat" % (len(top), ", rest as other" if rest else ""),
                  fontsize=10)
    ax2.set_title("exit rate per reason over each sample interval (no line: no exit of that reason) "
                  f"(interval now {tl.fmt_t(tl.block.interval)})", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
