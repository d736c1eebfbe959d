"""The common part of the checkers that judge a run from its console text
(check_crash.py, check_linux.py): read DIR/serial.log (ANSI stripped) and
DIR/status.txt, run check(text, status) -> [(name, ok, why)], print
"PASS name" / "FAIL name: why", on failure the console lines that explain
it, and the summary "N passed, M failed". Returns the exit status."""
import argparse
import os
import re
import sys
from typing import Callable, List, Sequence, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from strip_ansi import strip_ansi  # noqa: E402

CheckResult = Tuple[str, bool, str]


def matches(lines: Sequence[str], pattern: str) -> List[re.Match]:
    """Every match of pattern (re.search) in lines, in order."""
    rx = re.compile(pattern)
    return [m for m in (rx.search(line) for line in lines) if m]


def print_results(results: Sequence[CheckResult]) -> int:
    """Print "PASS name" / "FAIL name: why" per check; returns how many failed."""
    failed = 0
    for name, ok, why in results:
        print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why))
        failed += not ok
    return failed


def run(log_dir: str, check: Callable[[str, str], List[CheckResult]], explain_prefixes: Sequence[str],
        explain_last: int = 0) -> int:
    try:
        with open(os.path.join(log_dir, "serial.log"), "rb") as f:
            text = strip_ansi(f.read().decode("utf-8", "replace"))
    except OSError as e:
        print("FAIL serial-log: %s" % e)
        print("0 passed, 1 failed")
        return 1
    status = ""
    try:
        with open(os.path.join(log_dir, "status.txt")) as f:
            status = f.read()
    except OSError:
        pass
    results = check(text, status)
    failed = print_results(results)
    if failed:
        picked = [line for line in text.splitlines() if line.startswith(tuple(explain_prefixes))]
        if explain_last:
            picked = picked[-explain_last:]
        print("--- %s lines of the serial log%s:" % (
            ", ".join(p.rstrip(": ") for p in explain_prefixes), " (last %d)" % explain_last if explain_last else ""))
        for line in picked:
            print("  " + line)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


def main(doc: str, check: Callable[[str, str], List[CheckResult]], explain_prefixes: Sequence[str],
         argv=None) -> int:
    """The whole command line of a checker that takes only --log DIR."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", required=True, help="run directory written by tools/run.sh")
    args = ap.parse_args(argv)
    return run(args.log, check, explain_prefixes)
