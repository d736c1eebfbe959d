"""check_crash.py on a real log of the triple-faulting guest, and broken copies of it."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import check_crash  # noqa: E402
from strip_ansi import strip_ansi  # noqa: E402


def sample():
    with open(os.path.join(HERE, "samples", "crash_triple_fault.log"), "rb") as f:
        return strip_ansi(f.read().decode("utf-8", "replace"))


def failed(text, status="stopped 23 bochs resetting the platform\n"):
    return [name for name, ok, _ in check_crash.check(text, status) if not ok]


class CheckCrash(unittest.TestCase):
    def test_real_log_passes(self):
        self.assertEqual(failed(sample()), [])

    def test_missing_reset_fails(self):
        text = "\n".join(l for l in sample().splitlines() if "resetting the platform" not in l)
        self.assertEqual(failed(text), ["platform-reset"])

    def test_missing_state_dump_fails(self):
        text = "\n".join(l for l in sample().splitlines() if " guest: rip " not in l)
        self.assertEqual(failed(text), ["guest-state-dumped"])

    def test_missing_triple_fault_line_fails(self):
        text = "\n".join(l for l in sample().splitlines() if "triple fault in the guest" not in l)
        self.assertIn("triple-fault-logged", failed(text))

    def test_guest_continuing_fails(self):
        self.assertEqual(failed(sample() + "\ncrash: still running after the triple fault\n"),
                         ["guest-did-not-continue"])

    def test_timeout_status_fails(self):
        self.assertEqual(failed(sample(), "timeout 120 bochs\n"), ["run-stopped-on-reset"])


if __name__ == "__main__":
    unittest.main()
