#!/usr/bin/env python3
"""The CPU-model matrix: boot the probe disk on every Bochs 2.7 CPU model that
has VMX, plus one without, and check what each must show.

Usage:
    check_cpu_models.py [--disk IMG] [--out DIR] [--jobs N] [--timeout S] [--models A,B,...] [--skip A,...]
    check_cpu_models.py --check-only --out DIR     check the logs of an earlier run, boot nothing

Each model boots with 2 CPUs (tools/run.sh --engine bochs --cpus 2 --cpu-model
MODEL --out DIR/MODEL), at most --jobs (default 2) Bochs at once, and must show
one of three outcomes:

  fallback  "exitvisor: VMX not available: <reason>" with the expected reason,
            no CPU launched, the probe finds no signature and finishes
  bsp-only  the banner, "APs stay unvirtualized: ...", only cpu 0 launched
            ("1 of 2 cpus launched"), the probe sees 1 vCPU, vCPU 1's
            signature missing, and finishes
  all       every check of tools/tests/check_boot.py --expect-cpus 2 (2 of 2
            launched, the probe's signature, tables, leaves, per-vCPU reads,
            "probe: done")

and, when it launches, the banner's capabilities (VMX revision, EPT,
unrestricted guest, ...). One line per model, "PASS model" or "FAIL model:
why"; the last line is "N passed, M failed" with the wall time. Exit status 1
if anything failed, 2 for usage errors.

core_duo_t2400_yonah has VMX but no long mode: the x86-64 OVMF triple-faults
before exitvisor runs, so it is not in the matrix. The models' VMX capability
MSRs are hv/tests/data/vmx_caps_models.c, where hv/tests/test_vmx_caps.c checks
the same outcomes on the host.
"""
import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
sys.path.insert(0, HERE)

import check_boot  # noqa: E402
import exitlog  # noqa: E402
from exitlog import SerialLog  # noqa: E402

CPUS = 2
EFER_REASON = "the CPU cannot switch IA32_EFER on VM entry and exit"
NO_VMX_REASON = "CPUID.1:ECX.VMX[bit 5] is 0 (this CPU or emulator offers no VMX)"
BSP_ONLY_LINE = "APs stay unvirtualized: "
FULL = {"EPT": "yes", "VPID": "yes", "unrestricted-guest": "yes", "wait-for-SIPI": "yes", "true-controls": "yes"}


@dataclass
class Model:
    name: str
    outcome: str                           # fallback, bsp-only or all
    reason: Optional[str] = None           # fallback: the "VMX not available" reason
    banner: Optional[Dict[str, str]] = None  # features the banner must state


def _vmx(revision: str, **changes: str) -> Dict[str, str]:
    return dict(FULL, **{"VMX revision": revision}, **{k.replace("_", "-"): v for k, v in changes.items()})


# In Bochs' own order (bochs-bin -help cpu). Observed on Bochs 2.7 (Debian) with
# the probe disk; hv/tests/test_vmx_caps.c derives the same from the MSRs.
MODELS: List[Model] = [
    Model("p4_prescott_celeron_336", "fallback", NO_VMX_REASON),
    Model("core2_penryn_t9600", "fallback", EFER_REASON),
    Model("corei5_lynnfield_750", "bsp-only", banner=_vmx("0x2b", unrestricted_guest="no")),
    Model("corei5_arrandale_m520", "all", banner=_vmx("0x2b")),
    Model("corei7_sandy_bridge_2600k", "all", banner=_vmx("0x2b")),
    Model("corei7_ivy_bridge_3770k", "all", banner=_vmx("0x2b")),
    Model("corei7_haswell_4770", "all", banner=_vmx("0x2b")),
    Model("broadwell_ult", "all", banner=_vmx("0x2b")),
    Model("corei7_skylake_x", "all", banner=_vmx("0x2b")),
    Model("corei3_cnl", "all", banner=_vmx("0x2b")),
    Model("corei7_icelake_u", "all", banner=_vmx("0x4")),
    Model("tigerlake", "all", banner=_vmx("0x4")),
]


# --------------------------------------------------------------------------
# Checks: each returns a list of problems (empty: passed).

def check_banner(log: SerialLog, want: Optional[Dict[str, str]]) -> List[str]:
    if want is None:
        return []
    if log.banner is None:
        return ["no 'exitvisor <version> starting: ...' banner"]
    got = log.banner.features
    return [f"banner says {k} {got.get(k, '(missing)')}, expected {v}" for k, v in want.items() if got.get(k) != v]


def check_fallback(log: SerialLog, model: Model) -> List[str]:
    problems = [f"{name}: {why}" for name, why in check_boot.run_checks(log, expect_novmx=True) if why]
    if log.novmx is not None and log.novmx != model.reason:
        problems.append(f"VMX not available because '{log.novmx}', expected '{model.reason}'")
    if log.banner is not None:
        problems.append("printed the launch banner although VMX is not available")
    return problems


def check_bsp_only(log: SerialLog, model: Model) -> List[str]:
    problems = check_banner(log, model.banner)
    if log.novmx is not None:
        problems.append(f"VMX not available: {log.novmx}")
    if log.fatal:
        problems.append("hypervisor reported: " + " | ".join(log.fatal[-3:]))
    if not any(line.startswith(BSP_ONLY_LINE) for line in log.hv_lines):
        problems.append(f"no '{BSP_ONLY_LINE}<reason>' line")
    if log.launched != [(0, 0)]:
        problems.append(f"launched {log.launched or 'no cpu'}, expected cpu 0 apic 0 only")
    if log.launched_summary != (1, CPUS):
        problems.append(f"expected '1 of {CPUS} cpus launched', got {log.launched_summary}")
    if log.signature is None or log.signature[1] != 1:
        problems.append(f"the probe's signature line says {log.signature} (ABI, vCPUs), expected 1 vCPU")
    reads = {v.index: v.signature_ok for v in log.vcpus}
    if reads != {0: True, 1: False}:
        problems.append(f"per-vCPU signatures {reads}, expected vCPU 0 ok and vCPU 1 missing")
    if not log.done:
        problems.append("no 'probe: done' line")
    return problems


def check_all(log: SerialLog, model: Model) -> List[str]:
    problems = check_banner(log, model.banner)
    problems += [f"{name}: {why}" for name, why in check_boot.run_checks(log, expect_cpus=CPUS) if why]
    return problems


CHECKERS = {"fallback": check_fallback, "bsp-only": check_bsp_only, "all": check_all}


def check_run(run_dir: str, model: Model) -> List[str]:
    """Everything wrong with one model's run directory (empty: it passed)."""
    problems = []
    status_path = os.path.join(run_dir, "status.txt")
    try:
        with open(status_path) as f:
            status = f.read().strip()
        if status.split(" ", 1)[0] != "ended":
            problems.append(f"run.sh status: {status}")
    except OSError:
        problems.append(f"no {status_path}")
    try:
        log = exitlog.parse_file(os.path.join(run_dir, "serial.log"))
    except OSError as e:
        return problems + [f"cannot read the serial log: {e}"]
    return problems + CHECKERS[model.outcome](log, model)


# --------------------------------------------------------------------------
# Boots

def boot_command(model: Model, disk: str, out: str, timeout: int) -> List[str]:
    return ["bash", os.path.join(TOOLS, "run.sh"), "--engine", "bochs", "--cpus", str(CPUS),
            "--cpu-model", model.name, "--disk", disk, "--out", os.path.join(out, model.name),
            "--timeout", str(timeout), "--quiet"]


def boot_all(models: List[Model], disk: str, out: str, jobs: int, timeout: int) -> None:
    """Boot every model, at most `jobs` at once. run.sh boots its own copy of
    the disk (it adds init_sipi=intercept) in each --out, so boots share
    nothing."""
    waiting, running = list(models), []
    while waiting or running:
        while waiting and len(running) < jobs:
            m = waiting.pop(0)
            os.makedirs(os.path.join(out, m.name), exist_ok=True)
            with open(os.path.join(out, m.name, "run.out"), "w") as log:
                running.append(subprocess.Popen(boot_command(m, disk, out, timeout), stdout=log,
                                                stderr=subprocess.STDOUT))
        time.sleep(0.5)
        running = [p for p in running if p.poll() is None]


def select(names: Optional[str]) -> List[Model]:
    if not names:
        return MODELS
    known = {m.name: m for m in MODELS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"not in the matrix: {', '.join(unknown)} (it has: {', '.join(known)})")
    return [known[n] for n in wanted]


def main(argv=None) -> int:
    build = os.environ.get("BUILD", "build")
    ap = argparse.ArgumentParser(description="Boot the probe on every Bochs CPU model and check each outcome.")
    ap.add_argument("--disk", default=os.path.join(build, "disk.img"), help="probe disk (default $BUILD/disk.img)")
    ap.add_argument("--out", default=os.path.join(build, "test", "cpu-models"),
                    help="one run directory per model under it (default $BUILD/test/cpu-models)")
    ap.add_argument("--jobs", type=int, default=2, help="Bochs at once (default 2)")
    ap.add_argument("--timeout", type=int, default=180, help="seconds per boot (default 180)")
    ap.add_argument("--models", help="comma-separated subset of the matrix")
    ap.add_argument("--skip", help="comma-separated models to leave out (e.g. one another test boots already)")
    ap.add_argument("--check-only", action="store_true", help="check the logs already in --out")
    args = ap.parse_args(argv)
    try:
        models = select(args.models)
        skip = [m.name for m in select(args.skip)] if args.skip else []
    except ValueError as e:
        ap.error(str(e))
    models = [m for m in models if m.name not in skip]
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    if not args.check_only and not os.path.isfile(args.disk):
        ap.error(f"no disk image {args.disk} (make BUILD=... disk)")

    start = time.monotonic()
    if not args.check_only:
        boot_all(models, args.disk, args.out, args.jobs, args.timeout)
    failed = 0
    for m in models:
        problems = check_run(os.path.join(args.out, m.name), m)
        if problems:
            failed += 1
            print(f"FAIL {m.name}: " + "; ".join(problems))
        else:
            print(f"PASS {m.name}")
    took = time.monotonic() - start
    print(f"{len(models)} CPU models, {took:.0f} s; logs in {args.out}")
    # Last, alone: the summary line run_all.sh reads.
    print(f"{len(models) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
