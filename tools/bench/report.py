#!/usr/bin/env python3
"""Turn the guest bench's serial logs into tables and JSON (tools/bench/run.sh).

Usage:
  report.py --engine E --cpu-model M --commit C [--dirty 0|1] --timestamp T
            --json-dir DIR  NAME:VCPUS:RUNDIR ...

Each RUNDIR is a tools/run.sh --out directory (serial.txt, status.txt, maybe
bochsrc). Lines starting "bench: " are written by guest/bench.c; their
formats are documented at the top of that file. Writes DIR/<engine>-<NAME>.json
per run and DIR/<engine>-summary.json (boot overhead, repeatability, scaling),
and prints the tables. Exit status 1 if a run has no "bench: done" line.
"""
import argparse
import json
import os
import re
import sys

TESTS = ["cpuid-leaf", "vmcall-floor", "cpuid-passthrough", "no-exit"]
KV = re.compile(r"([A-Za-z0-9_/\-]+)=(\S+)")


def num(v):
    """'377.00' -> 377.0, '62000' -> 62000, 'yes'/'n/a'/... unchanged."""
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def kvs(text):
    return {k: num(v) for k, v in KV.findall(text)}


def parse_serial(text):
    """The bench's own lines -> a dict (see guest/bench.c for the formats)."""
    r = {"hypervisor": None, "tests": {}, "scaling": {"vcpus": []}, "done": False, "lines": []}
    for raw in text.splitlines():
        if not raw.startswith("bench: "):
            continue
        line = raw[len("bench: "):].strip()
        r["lines"].append(line)
        if line.startswith("marker tsc="):
            r["marker_tsc"] = int(line.split("=", 1)[1])
        elif line.startswith("exits-at-marker="):
            d = kvs(line)
            r["exits_at_marker"] = d["exits-at-marker"] if d["exits-at-marker"] != "n/a" else None
            if "hv_cycles" in d:
                r["hv_cycles_at_marker"] = d["hv_cycles"]
        elif line.startswith("exitvisor ABI"):
            r["hypervisor"] = True
            r["abi"] = int(line.split()[2])
            r.update({"hv_vcpus": kvs(line).get("vcpus")})
        elif line.startswith("no hypervisor"):
            r["hypervisor"] = False
        elif line.startswith("timer-overhead"):
            r["timer_overhead_ticks"] = kvs(line)
        elif line.startswith("vmcall ping"):
            r["vmcall_ping_ok"] = line.endswith(" ok")
        elif line.startswith("ratio "):
            d = kvs(line)
            r["ratio"] = {"cpuid-leaf/vmcall-floor": d.get("cpuid-leaf/vmcall-floor"), "hv": d.get("hv")}
        elif line.startswith("scaling vcpu="):
            d = kvs(line)
            r["scaling"]["vcpus"].append({"vcpu": d["vcpu"], "apic": d["apic"], "median": d["median"],
                                          "min": d["min"], "max": d["max"]})
        elif line.startswith("scaling vcpus="):
            d = kvs(line)
            d["n"] = d.pop("vcpus")
            r["scaling"].update(d)
        elif line.startswith("scaling:"):
            r["scaling"].setdefault("notes", []).append(line)
        elif line == "done":
            r["done"] = True
        else:
            name = line.split()[0]
            if name in TESTS:
                t = r["tests"].setdefault(name, {})
                if " ticks_per_op " in line:
                    d = kvs(line)
                    t["ticks_per_op"] = {k: d[k] for k in ("median", "min", "max", "p10", "p90")}
                    t["runs"], t["ops"] = d["runs"], d["ops"]
                elif " hv_cycles_per_exit=" in line:
                    d = kvs(line)
                    t["hv"] = {"cycles_per_exit": d["hv_cycles_per_exit"], "median_run": d["median"],
                               "reason": d["reason"], "exits": d["exits"], "expected": d["expected"],
                               "other_exits": d["other_exits"], "exact": d["exact"]}
    return r


def bochs_model(rundir):
    try:
        for line in open(os.path.join(rundir, "bochsrc")):
            m = re.match(r"cpu:\s*model=([A-Za-z0-9_]+)", line)
            if m:
                return "bochs " + m.group(1)
    except OSError:
        pass
    return None


def read(path, default=""):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return default


def fmt(v, width=10):
    if v is None:
        s = "-"
    elif isinstance(v, float):
        s = f"{v:.2f}"
    else:
        s = str(v)
    return s.rjust(width)


def table(title, header, rows, first=22, width=12):
    print(title)
    print("  " + header[0].ljust(first) + "".join(h.rjust(width) for h in header[1:]))
    for row in rows:
        print("  " + str(row[0]).ljust(first) + "".join(fmt(v, width) for v in row[1:]))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", required=True)
    ap.add_argument("--cpu-model", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--dirty", default="0")
    ap.add_argument("--timestamp", required=True)
    ap.add_argument("--json-dir", required=True)
    ap.add_argument("runs", nargs="+", help="NAME:VCPUS:RUNDIR")
    a = ap.parse_args()

    runs = {}
    order = []
    bad = []
    for spec in a.runs:
        name, vcpus, rundir = spec.split(":", 2)
        res = parse_serial(read(os.path.join(rundir, "serial.txt")))
        status = read(os.path.join(rundir, "status.txt")).strip()
        wall = None
        st = read(os.path.join(rundir, "exit.txt")).split()
        if len(st) == 2:
            wall = int(st[1])
        res.update({
            "benchmark": "exitvisor-guest-bench",
            "run": name,
            "engine": a.engine,
            "cpu_model": bochs_model(rundir) or a.cpu_model,
            "vcpus": int(vcpus),
            "commit": a.commit,
            "commit_dirty": a.dirty == "1",
            "timestamp": a.timestamp,
            "run_status": status,
            "wall_seconds": wall,
            "log_dir": rundir,
        })
        if not res["done"]:
            bad.append(f"{name}: no 'bench: done' line (status: {status or 'none'}); see {rundir}")
        runs[name] = res
        order.append(name)
        path = os.path.join(a.json_dir, f"{a.engine}-{name}.json")
        with open(path, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        res["json"] = path

    hv_runs = [n for n in order if runs[n].get("hypervisor")]
    if not any(runs[n]["done"] for n in order):
        for b in bad:
            print("bench: FAILED " + b)
        return 1
    cpu_model = runs[order[0]]["cpu_model"]
    print(f"engine {a.engine}, cpu model {cpu_model}, commit {a.commit}{' (dirty)' if a.dirty == '1' else ''},"
          f" {a.timestamp}; R=31 runs of K=2000 ops; ticks = guest TSC ticks")
    print()

    # Round trips, guest side.
    cols = order
    rows = []
    for t in TESTS:
        row = [t]
        for n in cols:
            tp = runs[n]["tests"].get(t, {}).get("ticks_per_op")
            row.append(tp["median"] if tp else None)
        rows.append(row)
    table("round trip, guest ticks per op (median of 31 runs)", ["test"] + cols, rows, width=16)

    rows = []
    for t in TESTS:
        for n in cols:
            tp = runs[n]["tests"].get(t, {}).get("ticks_per_op")
            if tp:
                rows.append([f"{t} [{n}]", tp["median"], tp["min"], tp["max"], tp["p10"], tp["p90"]])
    table("round trip distribution, guest ticks per op", ["test [run]", "median", "min", "max", "p10", "p90"],
          rows, first=36, width=10)

    rows = []
    for t in TESTS[:3]:
        row = [t]
        for n in hv_runs:
            hv = runs[n]["tests"].get(t, {}).get("hv")
            row.append(hv["cycles_per_exit"] if hv else None)
        rows.append(row)
    exact_row = ["counts exact (all tests)"]
    for n in hv_runs:
        ok = all(runs[n]["tests"].get(t, {}).get("hv", {}).get("exact") == "yes" for t in TESTS)
        exact_row.append("yes" if ok else "NO")
    rows.append(exact_row)
    table("hypervisor cycles per exit (reads' own cycles excluded; counts from 0x4FFFFFFC)",
          ["test"] + hv_runs, rows, width=16)

    rows = []
    for n in hv_runs:
        r = runs[n].get("ratio", {})
        leaf = runs[n]["tests"].get("cpuid-leaf", {})
        floor = runs[n]["tests"].get("vmcall-floor", {})
        rows.append([n, r.get("cpuid-leaf/vmcall-floor"), r.get("hv"),
                     leaf.get("ticks_per_op", {}).get("median", 0) - leaf.get("hv", {}).get("cycles_per_exit", 0),
                     floor.get("ticks_per_op", {}).get("median", 0) - floor.get("hv", {}).get("cycles_per_exit", 0)])
    table("cpuid-leaf / vmcall-floor (full statistics path vs the cheapest exit)",
          ["run", "guest ratio", "hv ratio", "leaf: outside", "floor: outside"], rows, width=15)
    print("  outside = guest ticks per op minus hv cycles per exit: VM exit + entry, the GPR save/restore\n"
          "  and everything the dispatcher's two RDTSCs do not cover\n")

    rows = []
    for n in hv_runs:
        s = runs[n]["scaling"]
        if "n" in s:
            per = " ".join(f"{v['median']:.2f}" for v in s["vcpus"])
            rows.append([n, s["n"], s.get("mode"), s.get("median"), s.get("max"), s.get("total_exits_moved"),
                         s.get("expected"), s.get("exact"), per])
    print("counter scaling: the cpuid-leaf loop on all vCPUs at once (ticks per exit)")
    print("  " + "run".ljust(16) + "vcpus".rjust(6) + "mode".rjust(14) + "median".rjust(9) + "max".rjust(9)
          + "exits moved".rjust(13) + "expected".rjust(10) + "exact".rjust(7) + "  per-vCPU medians")
    for r in rows:
        print("  " + r[0].ljust(16) + fmt(r[1], 6) + fmt(r[2], 14) + fmt(r[3], 9) + fmt(r[4], 9)
              + fmt(r[5], 13) + fmt(r[6], 10) + fmt(r[7], 7) + "  " + r[8])
    print()

    # Boot overhead: marker with vs without exitvisor, 1 vCPU, same engine, same run.
    summary = {"benchmark": "exitvisor-guest-bench-summary", "engine": a.engine, "cpu_model": cpu_model,
               "commit": a.commit, "commit_dirty": a.dirty == "1", "timestamp": a.timestamp,
               "runs": {n: runs[n]["json"] for n in order}}
    with_hv = runs.get("hv-1cpu", {}).get("marker_tsc")
    without = runs.get("native-1cpu", {}).get("marker_tsc")
    rows = []
    for n in order:
        rows.append([n, runs[n]["vcpus"], "yes" if runs[n].get("hypervisor") else "no", runs[n].get("marker_tsc"),
                     runs[n].get("exits_at_marker"), runs[n].get("wall_seconds")])
    table("boot: TSC at the bench's first instruction, and exits so far (leaf 0x4FFFFFFF, incl. that query)",
          ["run", "vcpus", "exitvisor", "marker tsc", "exits", "wall s"], rows, first=16, width=14)
    if with_hv and without:
        ratio = with_hv / without
        print(f"  boot overhead (1 vCPU): marker {with_hv} with exitvisor / {without} without = {ratio:.4f}"
              f" (+{with_hv - without} ticks, +{100 * (ratio - 1):.2f} %)")
        summary["boot_overhead_1cpu"] = {"marker_tsc_with": with_hv, "marker_tsc_without": without,
                                         "ratio": round(ratio, 6), "extra_ticks": with_hv - without,
                                         "exits_at_marker": runs["hv-1cpu"].get("exits_at_marker")}
    else:
        print("  boot overhead: not available (a run is missing its marker)")
    print()

    # Repeatability: the 1-vCPU bench twice.
    a1, a2 = runs.get("hv-1cpu"), runs.get("hv-1cpu-repeat")
    if a1 and a2 and not (a1["done"] and a2["done"]):
        print("repeatability (hv-1cpu twice): not available (a run did not finish)")
        print()
    elif a1 and a2:
        diffs = []
        for t in TESTS:
            for key in ("median", "min", "max", "p10", "p90"):
                v1 = a1["tests"].get(t, {}).get("ticks_per_op", {}).get(key)
                v2 = a2["tests"].get(t, {}).get("ticks_per_op", {}).get(key)
                if v1 != v2:
                    diffs.append(f"{t} ticks {key}: {v1} vs {v2}")
            h1 = a1["tests"].get(t, {}).get("hv", {}).get("cycles_per_exit")
            h2 = a2["tests"].get(t, {}).get("hv", {}).get("cycles_per_exit")
            if h1 != h2:
                diffs.append(f"{t} hv cycles/exit: {h1} vs {h2}")
        s1, s2 = a1["scaling"].get("median"), a2["scaling"].get("median")
        if s1 != s2:
            diffs.append(f"scaling median: {s1} vs {s2}")
        medians_same = not any("median" in d for d in diffs)
        marker_same = a1.get("marker_tsc") == a2.get("marker_tsc")
        print(f"repeatability (hv-1cpu twice): medians identical: {'yes' if medians_same else 'NO'};"
              f" every figure identical: {'yes' if not diffs else 'no'};"
              f" marker tsc identical: {'yes' if marker_same else 'no'}"
              f" ({a1.get('marker_tsc')} vs {a2.get('marker_tsc')})")
        for d in diffs:
            print("  differs: " + d)
        summary["repeatability_1cpu"] = {"medians_identical": medians_same, "all_identical": not diffs,
                                         "marker_identical": marker_same, "differences": diffs}
        print()

    summary["scaling"] = {n: {k: runs[n]["scaling"].get(k) for k in ("n", "median", "max", "max_vcpu_median",
                                                                     "mode", "exact")} for n in hv_runs}
    summary["ticks_per_op_median"] = {n: {t: runs[n]["tests"].get(t, {}).get("ticks_per_op", {}).get("median")
                                          for t in TESTS} for n in order}
    summary["hv_cycles_per_exit"] = {n: {t: runs[n]["tests"].get(t, {}).get("hv", {}).get("cycles_per_exit")
                                         for t in TESTS[:3]} for n in hv_runs}
    spath = os.path.join(a.json_dir, f"{a.engine}-summary.json")
    with open(spath, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print("wrote " + " ".join(runs[n]["json"] for n in order) + " " + spath)
    for b in bad:
        print("bench: FAILED " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
