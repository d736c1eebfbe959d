#!/usr/bin/env python3
"""Tests of tools/tests/check_cpu_models.py's checks: each outcome passes on a
log of that outcome (the fallback and BSP-only logs below are the lines of
real Bochs 2.7 boots, Penryn and Lynnfield) and fails, with the reason named,
on a log of another outcome or with one fact changed.
Run: python3 -m unittest discover -s tools/tests
"""
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import check_cpu_models as ccm  # noqa: E402

PENRYN = """\
exitvisor: exitvisor 0.1.0 starting on 2 CPUs
exitvisor: VMX not available: the CPU cannot switch IA32_EFER on VM entry and exit; starting the next stage unvirtualized
exitvisor: next stage \\EFI\\exitvisor\\probe.efi options "--poweroff" (from config file)
probe: no exitvisor signature at CPUID 0x40000000 (bare metal or another hypervisor); the 0x4FFFFFFx leaves would return the highest basic leaf's data, so nothing to read
probe: mp processors=2 enabled=2 bsp=0
probe: vcpu 0 apic 0 signature missing total=n/a cpuid=n/a
probe: vcpu 1 apic 1 signature missing total=n/a cpuid=n/a
probe: vcpus-read 2
probe: done
"""

LYNNFIELD = """\
exitvisor: exitvisor 0.1.0 starting: VMX revision 0x2b, EPT yes, VPID yes, unrestricted-guest no, wait-for-SIPI yes, true-controls yes
exitvisor: APs stay unvirtualized: this CPU lacks wait-for-SIPI or unrestricted guest, so a vCPU could not be restarted by INIT-SIPI-SIPI
exitvisor: cpu 0 apic 0 launched
exitvisor: 1 of 2 cpus launched
exitvisor: next stage \\EFI\\exitvisor\\probe.efi options "--poweroff" (from config file)
probe: exitvisor signature found, ABI 1, 1 vCPUs
probe: mp processors=2 enabled=2 bsp=0
probe: vcpu 0 apic 0 signature ok total=1572 cpuid=1572
probe: vcpu 1 apic 1 signature missing total=n/a cpuid=n/a
probe: vcpus-read 2
probe: done
"""

with open(os.path.join(HERE, "samples", "vmx_good.log"), encoding="utf-8") as f:
    FULL_BOOT = f.read()

MODELS = {m.name: m for m in ccm.MODELS}


class CpuModelChecks(unittest.TestCase):
    def run_dir(self, serial, status="ended 20 bochs shutdown port 0x8900"):
        d = tempfile.mkdtemp(prefix="cpu-model-test.")
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "serial.log"), "w") as f:
            f.write(serial)
        if status is not None:
            with open(os.path.join(d, "status.txt"), "w") as f:
                f.write(status + "\n")
        return d

    def problems(self, serial, model, **kw):
        return ccm.check_run(self.run_dir(serial, **kw), MODELS[model])

    def test_each_outcome_passes_on_its_log(self):
        self.assertEqual(self.problems(PENRYN, "core2_penryn_t9600"), [])
        self.assertEqual(self.problems(LYNNFIELD, "corei5_lynnfield_750"), [])
        self.assertEqual(self.problems(FULL_BOOT, "corei7_haswell_4770"), [])

    def test_fallback_for_another_reason_fails(self):
        p = self.problems(PENRYN, "p4_prescott_celeron_336")
        self.assertEqual(len(p), 1, p)
        self.assertIn("expected 'CPUID.1:ECX.VMX[bit 5] is 0", p[0])

    def test_a_launch_where_a_fallback_is_expected_fails(self):
        p = self.problems(FULL_BOOT, "core2_penryn_t9600")
        self.assertTrue(any("vmx-not-available" in x for x in p), p)
        self.assertTrue(any("launch banner" in x for x in p), p)

    def test_bsp_only_where_all_cpus_are_expected_fails(self):
        p = self.problems(LYNNFIELD, "corei7_skylake_x")
        self.assertTrue(any("unrestricted-guest no, expected yes" in x for x in p), p)
        self.assertTrue(any("expected '2 of 2 cpus launched'" in x for x in p), p)

    def test_all_cpus_where_bsp_only_is_expected_fails(self):
        p = self.problems(FULL_BOOT, "corei5_lynnfield_750")
        self.assertTrue(any("no 'APs stay unvirtualized: <reason>' line" in x for x in p), p)
        self.assertTrue(any("expected cpu 0 apic 0 only" in x for x in p), p)
        self.assertTrue(any("expected 1 vCPU" in x for x in p), p)

    def test_bsp_only_without_its_reason_fails(self):
        serial = "\n".join(l for l in LYNNFIELD.splitlines() if "APs stay" not in l) + "\n"
        self.assertEqual(self.problems(serial, "corei5_lynnfield_750"),
                         ["no 'APs stay unvirtualized: <reason>' line"])

    def test_unfinished_probe_fails(self):
        serial = LYNNFIELD.replace("probe: done\n", "")
        self.assertEqual(self.problems(serial, "corei5_lynnfield_750"), ["no 'probe: done' line"])

    def test_revision_is_checked(self):
        p = self.problems(FULL_BOOT, "tigerlake")
        self.assertEqual(p, ["banner says VMX revision 0x2b, expected 0x4"])

    def test_run_status_is_checked(self):
        p = self.problems(PENRYN, "core2_penryn_t9600", status="timeout 180 bochs")
        self.assertEqual(p, ["run.sh status: timeout 180 bochs"])
        p = self.problems(PENRYN, "core2_penryn_t9600", status=None)
        self.assertEqual(len(p), 1)
        self.assertIn("status.txt", p[0])

    def test_model_selection(self):
        self.assertEqual([m.name for m in ccm.select("tigerlake,core2_penryn_t9600")],
                         ["tigerlake", "core2_penryn_t9600"])
        self.assertEqual(ccm.select(None), ccm.MODELS)
        with self.assertRaises(ValueError):
            ccm.select("core_duo_t2400_yonah")

    def test_boot_command_names_the_model(self):
        cmd = ccm.boot_command(MODELS["tigerlake"], "d.img", "/tmp/o", 99)
        self.assertEqual(cmd[cmd.index("--cpu-model") + 1], "tigerlake")
        self.assertEqual(cmd[cmd.index("--out") + 1], "/tmp/o/tigerlake")
        self.assertEqual(cmd[cmd.index("--cpus") + 1], "2")


if __name__ == "__main__":
    unittest.main()
