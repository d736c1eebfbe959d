#!/usr/bin/env python3
"""Compare what the conformance guest saw of the CPU with and without exitvisor.

Usage:
    check_transparency.py --baseline DIR --run DIR [--run DIR ...]

guest/conform.c prints "conform: OBSERVE <name> <key=value ...>" for each
guest-visible behaviour it measures (faults and RFLAGS.RF, self-NMIs, NMIs
held while the guest blocks them). The --baseline DIR is a boot with
virtualize=no (the CPU itself, on the same engine); every --run DIR is a boot
under exitvisor. Apart from the documented CPUID bits and leaves, a guest must
not be able to tell exitvisor is there, so each run must print every OBSERVE
line the baseline printed, with the same values.

One check per run and observation: "PASS <run>/<name>" or
"FAIL <run>/<name>: ...". The last line is "N passed, M failed"; the exit status
is 1 if anything failed (2 for usage errors).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_conform  # noqa: E402
import text_checker  # noqa: E402


def observations(run_dir: str):
    path = os.path.join(run_dir, "serial.log")
    if not os.path.exists(path):
        return None
    return check_conform.parse_file(path).observed


def compare(baseline: dict, observed, run: str):
    results = []
    if observed is None:
        return [(f"{run}/serial-log", "no serial.log")]
    if not baseline:
        return [(f"{run}/baseline", "the baseline printed no OBSERVE line")]
    for name, want in sorted(baseline.items()):
        got = observed.get(name)
        if got is None:
            results.append((f"{run}/{name}", f"no 'conform: OBSERVE {name}' line; without exitvisor: {want}"))
        elif got != want:
            results.append((f"{run}/{name}", f"under exitvisor '{got}', without it '{want}'"))
        else:
            results.append((f"{run}/{name}", None))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Compare guest-visible behaviour with and without exitvisor.")
    ap.add_argument("--baseline", required=True, metavar="DIR", help="run directory of the virtualize=no boot")
    ap.add_argument("--run", required=True, action="append", metavar="DIR", help="run directory of a boot under exitvisor")
    args = ap.parse_args(argv)
    base = observations(args.baseline)
    if base is None:
        print(f"FAIL baseline: no serial.log in {args.baseline}")
        print("0 passed, 1 failed")
        return 1
    results = []
    for run in args.run:
        results += compare(base, observations(run), os.path.basename(os.path.normpath(run)))
    failed = text_checker.print_results([(name, why is None, why) for name, why in results])
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
