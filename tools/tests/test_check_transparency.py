"""check_transparency.py and check_conform.py --baseline: a real
virtualize=no boot of the conformance guest (make test's
conform-baseline-1cpu) against the OBSERVE lines of runs under exitvisor."""
import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_conform  # noqa: E402
import check_transparency  # noqa: E402
from checker_case import CheckerCase  # noqa: E402

BASELINE = os.path.join(HERE, "samples", "conform_baseline_1cpu.log")
NMI = "conform: OBSERVE nmi self=1 nested-inside=1 nested-after-iret=2 max-depth=1 next=1\r\n"
FAULTS = "conform: OBSERVE faults ud=1 gp=1 rf-clear=0\r\n"
UCODE = "conform: OBSERVE microcode faults=0 revision-before=0x0 revision-after=0x0\r\n"


def baseline_text():
    with open(BASELINE, "rb") as f:
        return f.read().decode("utf-8", "replace")


class Transparency(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.mkdir(os.path.join(self.dir, "base"))
        shutil.copy(BASELINE, os.path.join(self.dir, "base", "serial.log"))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_dir(self, name, text):
        os.mkdir(os.path.join(self.dir, name))
        with open(os.path.join(self.dir, name, "serial.log"), "w", newline="") as f:
            f.write(text)
        return os.path.join(self.dir, name)

    def compare(self, *runs):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = check_transparency.main(["--baseline", os.path.join(self.dir, "base")] +
                                         [a for r in runs for a in ("--run", r)])
        return rc, out.getvalue()

    def test_the_baseline_observes_both(self):
        obs = check_conform.parse_text(baseline_text()).observed
        self.assertEqual(sorted(obs), ["faults", "microcode", "nmi"])

    def test_same_lines_pass(self):
        rc, out = self.compare(self.run_dir("hv", "exitvisor: x\r\n" + FAULTS + UCODE + NMI))
        self.assertEqual(rc, 0, out)
        self.assertIn("3 passed, 0 failed", out)

    def test_microcode_revision_seen_changed_fails(self):
        # A hypervisor that faked a successful load (the guest reading the
        # revision it asked for) differs from the CPU without it.
        faked = UCODE.replace("revision-after=0x0", "revision-after=0x45584954")
        rc, out = self.compare(self.run_dir("hv", FAULTS + faked + NMI))
        self.assertEqual(rc, 1)
        self.assertIn("FAIL hv/microcode", out)

    def test_lost_nested_nmi_fails(self):
        # What exitvisor did before NMI-window exiting: the NMI sent inside the
        # handler waited for the next VM exit, so it was missing after IRET.
        lost = NMI.replace("nested-after-iret=2", "nested-after-iret=1")
        rc, out = self.compare(self.run_dir("hv", FAULTS + UCODE + lost))
        self.assertEqual(rc, 1)
        self.assertIn("FAIL hv/nmi: under exitvisor 'self=1 nested-inside=1 nested-after-iret=1", out)

    def test_rf_clear_fails(self):
        rc, out = self.compare(self.run_dir("hv", FAULTS.replace("rf-clear=0", "rf-clear=2") + UCODE + NMI))
        self.assertEqual(rc, 1)
        self.assertIn("FAIL hv/faults", out)

    def test_missing_line_fails_per_run(self):
        rc, out = self.compare(self.run_dir("a", FAULTS + UCODE + NMI), self.run_dir("b", FAULTS + UCODE))
        self.assertEqual(rc, 1)
        self.assertIn("FAIL b/nmi: no 'conform: OBSERVE nmi' line", out)
        self.assertIn("5 passed, 1 failed", out)


class Baseline(CheckerCase):
    checker_main = staticmethod(check_conform.main)
    default_args = ("--baseline",)

    def test_real_baseline_passes(self):
        rc, results, out = self.run_checker(baseline_text(), status="ended 53 bochs shutdown port 0x8900")
        self.assertEqual(rc, 0, out)
        self.assertTrue(results and all(why is None for why in results.values()), results)

    def test_baseline_with_the_hypervisor_fails(self):
        text = baseline_text().replace("virtualize=no in", "virtualize=yes in")
        rc, results, _ = self.run_checker(text, status="ended 53 bochs shutdown port 0x8900")
        self.assertEqual(rc, 1)
        self.assertIsNotNone(results["baseline-without-hypervisor"])

    def test_baseline_without_nmi_check_fails(self):
        text = "".join(l for l in baseline_text().splitlines(True) if "nmi" not in l)
        rc, results, _ = self.run_checker(text, status="ended 53 bochs shutdown port 0x8900")
        self.assertIsNotNone(results["baseline-required"])


if __name__ == "__main__":
    unittest.main()
