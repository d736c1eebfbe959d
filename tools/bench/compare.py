#!/usr/bin/env python3
"""Compare two benchmark JSON files written by make bench (tools/bench/run.sh).

Usage: tools/bench/compare.py A.json B.json [--all]

Prints what describes each run (engine, CPU model, vCPUs, commit, time), then
every figure that differs between A and B: A, B, B-A and the change in per
cent. With --all, unchanged figures are listed too. Works for any of the
files (bochs-hv-1cpu.json, bochs-summary.json, counters.json, ...): lists
are compared by position, or by a natural key where the entries have one
(scheme/threads for counters, vcpu for per-vCPU results).
Exit status: 0 if nothing differs, 1 if something does, 2 on a usage error.
"""
import json
import sys

META = ("benchmark", "run", "engine", "cpu_model", "vcpus", "host_cores", "commit", "commit_dirty", "timestamp",
        "wall_seconds", "run_status", "log_dir", "json", "runs")
SKIP = {"lines", "log_dir", "json", "runs", "timestamp", "wall_seconds", "run_status"}


def item_key(i, x):
    if isinstance(x, dict):
        if "scheme" in x and "threads" in x:
            return f"{x['scheme']}/{x['threads']}"
        if "vcpu" in x:
            return f"vcpu{x['vcpu']}"
    return str(i)


def flatten(obj, prefix="", out=None):
    if out is None:
        out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not prefix and k in SKIP:
                continue
            flatten(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            flatten(v, f"{prefix}[{item_key(i, v)}]", out)
    else:
        out[prefix] = obj
    return out


def show(v):
    if isinstance(v, float):
        return f"{v:.2f}" if v != int(v) or abs(v) < 1e6 else f"{v:.0f}"
    return str(v)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    show_all = "--all" in argv
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        a, b = (json.load(open(p)) for p in args)
    except (OSError, ValueError) as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2

    print(f"{'':14}  {'A: ' + args[0]:<40}  B: {args[1]}")
    for k in META:
        if k in SKIP - {"timestamp", "wall_seconds", "run_status"}:
            continue
        if k in a or k in b:
            va, vb = show(a.get(k, "-")), show(b.get(k, "-"))
            mark = "" if va == vb else "   <- differs"
            print(f"{k:14}  {va:<40}  {vb}{mark}")
    if a.get("engine") != b.get("engine") or a.get("cpu_model") != b.get("cpu_model"):
        print("note: different engine or CPU model: the figures are not directly comparable")
    print()

    fa, fb = flatten(a), flatten(b)
    for k in META:
        fa.pop(k, None)
        fb.pop(k, None)
    keys = list(fa) + [k for k in fb if k not in fa]
    changed = same = 0
    rows = []
    for k in keys:
        if k not in fa or k not in fb:
            rows.append((k, show(fa.get(k, "(absent)")), show(fb.get(k, "(absent)")), "", ""))
            changed += 1
            continue
        va, vb = fa[k], fb[k]
        if va == vb:
            same += 1
            if show_all:
                rows.append((k, show(va), show(vb), "=", ""))
            continue
        changed += 1
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and not isinstance(va, bool) \
                and not isinstance(vb, bool):
            d = vb - va
            pct = f"{100.0 * d / va:+.2f} %" if va else ""
            rows.append((k, show(va), show(vb), ("+" if d > 0 else "") + show(d), pct))
        else:
            rows.append((k, show(va), show(vb), "", ""))
    if rows:
        w = max(len(r[0]) for r in rows)
        print(f"{'figure':<{w}}  {'A':>14}  {'B':>14}  {'B-A':>12}  {'change':>10}")
        for r in rows:
            print(f"{r[0]:<{w}}  {r[1]:>14}  {r[2]:>14}  {r[3]:>12}  {r[4]:>10}")
        print()
    print(f"{changed} figure(s) differ, {same} identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
