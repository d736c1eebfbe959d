"""check_install.py on the serial logs of a real end-to-end installer run
(tools/tests/check_install.sh, QEMU TCG), and on broken copies of them."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_install  # noqa: E402


def sample(name):
    with open(os.path.join(HERE, "samples", name), errors="replace") as f:
        return f.read().splitlines()


SETUP = sample("install_e2e_setup.log")
CHAIN = sample("install_e2e_chain.log")


def failures(setup, chain):
    return [what for ok, what in check_install.check(setup, chain) if not ok]


def boot_lines(phase):
    """Indexes of the lines between phase (N-1)'s end and phase N's start."""
    start = next(i for i, l in enumerate(CHAIN) if f"exvtest: phase {phase} start" in l)
    prev = max((i for i, l in enumerate(CHAIN[:start]) if " end (" in l), default=-1)
    return range(prev + 1, start)


class CheckInstall(unittest.TestCase):
    def test_real_run_passes(self):
        results = check_install.check(SETUP, CHAIN)
        self.assertEqual(failures(SETUP, CHAIN), [])
        self.assertGreater(len(results), 30)

    def test_boot_without_exitvisor_fails(self):
        chain = [l for i, l in enumerate(CHAIN) if not (i in boot_lines(2) and "exitvisor:" in l)]
        f = failures(SETUP, chain)
        self.assertTrue(any("boot 2 went through exitvisor" in w for w in f), f)
        self.assertTrue(any("boot 2: exitvisor started the OS loader" in w for w in f), f)

    def test_exitvisor_in_a_plain_boot_fails(self):
        i = boot_lines(3)[-1]
        chain = CHAIN[:i] + ["exitvisor: exitvisor 0.1.0 starting on 1 CPUs"] + CHAIN[i:]
        self.assertEqual([w for w in failures(SETUP, chain) if "boot 3" in w][0].split(" (")[0],
                         "boot 3 started the OS without exitvisor")

    def test_guest_fail_line_counts(self):
        chain = [l.replace("PASS the firmware deleted BootNext", "FAIL the firmware deleted BootNext") for l in CHAIN]
        self.assertEqual(failures(SETUP, chain), ["guest, phase 2: the firmware deleted BootNext"])

    def test_missing_phase_fails(self):
        cut = next(i for i, l in enumerate(CHAIN) if "exvtest: phase 4 start" in l)
        f = failures(SETUP, CHAIN[:cut])
        self.assertTrue(any("ran phases 1 2 3 4 5 in order (saw 1 2 3)" in w for w in f), f)
        self.assertTrue(any("exvtest: done" in w for w in f), f)

    def test_installer_silent_fails(self):
        chain = [l for l in CHAIN if "install: set BootNext=" not in l]
        self.assertEqual(failures(SETUP, chain), ["phase 1: the installer printed 'install: set BootNext=...'"])


if __name__ == "__main__":
    unittest.main()
