"""check_native_init.py on a real log of a 2-vCPU init_sipi=native boot in
Bochs 2.7 (make test's native-init-2cpu), and broken copies of it."""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import check_native_init  # noqa: E402
from strip_ansi import strip_ansi  # noqa: E402


def sample():
    with open(os.path.join(HERE, "samples", "native_init_2cpu.log"), "rb") as f:
        return strip_ansi(f.read().decode("utf-8", "replace"))


def failed(text, status="stopped 73 bochs cannot be restarted as a guest\n"):
    return [name for name, ok, _ in check_native_init.check(text, status) if not ok]


def without(pattern):
    rx = re.compile(pattern)
    return "\n".join(l for l in sample().splitlines() if not rx.search(l))


class CheckNativeInit(unittest.TestCase):
    def test_real_log_passes(self):
        self.assertEqual(failed(sample()), [])

    def test_intercept_mode_fails(self):
        text = sample().replace("INIT/SIPI: init_sipi=native", "INIT/SIPI: init_sipi=intercept")
        self.assertEqual(failed(text), ["mode-native"])

    def test_no_sipi_row_fails(self):
        self.assertEqual(failed(without(r"^exitvisor: cpu \d+ +4  Start-up IPI")), ["sipi-exit-counted"])

    def test_no_init_row_fails(self):
        self.assertEqual(failed(without(r"^exitvisor: cpu \d+ +3  INIT signal")), ["init-exit-counted"])

    def test_no_stop_line_fails(self):
        self.assertEqual(failed(without(r"STOPPED: the same INIT")), ["redelivered-init-recognized"])

    def test_one_cpu_launched_fails(self):
        self.assertEqual(failed(sample().replace("2 of 2 cpus launched", "1 of 2 cpus launched")), ["cpus-launched"])

    def test_timeout_fails(self):
        self.assertEqual(failed(sample(), "timeout 900 bochs\n"), ["run-stopped-on-it"])


if __name__ == "__main__":
    unittest.main()
