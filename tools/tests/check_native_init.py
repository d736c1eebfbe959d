#!/usr/bin/env python3
"""Checks a 2-vCPU boot with init_sipi=native on Bochs 2.7: how far the
hardware INIT/SIPI path runs on an engine that has it.

    check_native_init.py --log DIR

With init_sipi=native exitvisor leaves INIT and SIPI to the CPU: the firmware's
INIT-SIPI-SIPI to an AP (when the probe asks MP services to run code there)
arrives as the INIT VM exit (reason 3), which puts the vCPU in the
wait-for-SIPI activity state, and the SIPI VM exit (reason 4), which starts it
at the vector. Bochs 2.7 then delivers the same INIT again (it never clears a
pending INIT after an INIT VM exit): exitvisor recognizes it at the SIPI entry
point, prints its exit table and stops that vCPU with a line saying to use
init_sipi=intercept; the run is stopped on that line (tools/run.sh --stop-on).
Checked: the mode line, both CPUs launched, the INIT exit logged, then the
stopping CPU's table with at least one INIT and one SIPI exit, the stop line.
Prints PASS/FAIL per check and "N passed, M failed".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text_checker  # noqa: E402


def check(text, status):
    """Returns [(name, ok, why)] for one native-init boot's serial text and status line."""
    lines = text.splitlines()
    results = []

    def find(pattern):
        return text_checker.matches(lines, pattern)

    results.append(("mode-native", bool(find(r"^exitvisor: INIT/SIPI: init_sipi=native\b")),
                    "no 'INIT/SIPI: init_sipi=native' line"))
    results.append(("cpus-launched", bool(find(r"^exitvisor: 2 of 2 cpus launched$")), "no '2 of 2 cpus launched'"))
    init = find(r"^exitvisor: cpu (\d+) INIT: exit reason 3 \(INIT signal\)")
    results.append(("init-exit-logged", bool(init), "no 'cpu N INIT: exit reason 3' line"))
    cpu = init[-1].group(1) if init else r"\d+"
    rows = {}
    for m in find(r"^exitvisor: cpu %s +(\d+)  .*? +(\d+) +(\d+)$" % cpu):
        rows[int(m.group(1))] = int(m.group(2))
    results.append(("init-exit-counted", rows.get(3, 0) >= 1,
                    "the exit table shows %d INIT exits (reason 3), expected at least 1" % rows.get(3, 0)))
    results.append(("sipi-exit-counted", rows.get(4, 0) >= 1,
                    "the exit table shows %d SIPI exits (reason 4), expected at least 1" % rows.get(4, 0)))
    stop = find(r"^exitvisor: cpu %s STOPPED: the same INIT arrived again at the SIPI entry point" % cpu)
    results.append(("redelivered-init-recognized", bool(stop), "no 'STOPPED: the same INIT arrived again' line"))
    results.append(("run-stopped-on-it", status.startswith("stopped "),
                    "run.sh status is %r, expected 'stopped ...'" % status.strip()))
    return results


def main(argv=None):
    return text_checker.main(__doc__, check, ("exitvisor:", "probe:"), argv)


if __name__ == "__main__":
    sys.exit(main())
