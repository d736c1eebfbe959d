#!/usr/bin/env python3
"""Tests of tools/tests/check_boot.py on sample logs: the good boot passes
every check, and each broken variant fails exactly the checks it should.

Broken variants are the good sample with one fact changed (a one-line edit
each, written next to the assertion), so every failure has a known cause.
Run: python3 -m unittest discover -s tools/tests
"""
import contextlib
import io
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import check_boot  # noqa: E402
from checker_case import CheckerCase  # noqa: E402

SAMPLES = os.path.join(HERE, "samples")

VMX_CHECK_NAMES = ["serial-log"] + [name for name, _ in check_boot.VMX_CHECKS]


def sample_text(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read().decode("utf-8")


GOOD = sample_text("vmx_good.log")


def edit(text, old, new, count=1):
    """Replace exactly `count` occurrences (guards against a silent no-op)."""
    assert text.count(old) == count, (old, text.count(old))
    return text.replace(old, new)


class CheckBootCase(CheckerCase):
    checker_main = staticmethod(check_boot.main)
    default_args = ()


class Good(CheckBootCase):
    def test_good_boot_passes_everything(self):
        rc, results, text = self.run_checker(GOOD, "--expect-cpus", "2")
        self.assertEqual(rc, 0, text)
        self.assertEqual(list(results), VMX_CHECK_NAMES)
        self.assert_failed_exactly(results, [])
        self.assertTrue(text.rstrip().endswith(f"{len(VMX_CHECK_NAMES)} passed, 0 failed"))
        self.assertNotIn("--- serial log", text)

    def test_interleaved_boot_passes(self):
        rc, results, text = self.run_checker(sample_text("vmx_interleaved.log"),
                                             "--expect-cpus", "2")
        self.assertEqual(rc, 0, text)

    def test_run_status_ended_passes(self):
        rc, results, _ = self.run_checker(GOOD, "--expect-cpus", "2",
                                          status="ended 14 bochs shutdown port 0x8900")
        self.assertEqual(rc, 0)
        self.assertIsNone(results["run-status"])


class Broken(CheckBootCase):
    def check(self, serial, expect_failed, *args, why=None):
        rc, results, text = self.run_checker(serial, *(args or ("--expect-cpus", "2")))
        self.assertEqual(rc, 1, text)
        self.assert_failed_exactly(results, expect_failed)
        self.assertRegex(text.splitlines()[-1], r"^\d+ passed, [1-9]\d* failed$")
        if why is not None:
            self.assertIn(why, results[expect_failed[0]])
        return text

    def test_t1_off_by_one(self):
        # T1 one lower: S-T1 = 22 and T2-T1 = 162
        self.check(edit(GOOD, "t1_exits=27161", "t1_exits=27160"),
                   ["sum-of-reasons", "snapshot-window"], why="S-T1=22, expected 21")

    def test_extra_exit_in_window_shows_in_sum_only(self):
        # a sum one higher than T1 + 21 (e.g. an exit of another reason during
        # the snapshot): the sum line no longer matches the table total either
        self.check(edit(GOOD, "sum-of-reasons exits=27182", "sum-of-reasons exits=27183"),
                   ["sum-of-reasons", "probe-table"])

    def test_t2_wrong(self):
        self.check(edit(GOOD, "t2_exits=27322", "t2_exits=27321"), ["snapshot-window"],
                   why="T2-T1=160")

    def test_cpuid_delta_wrong(self):
        # after too small: the delta is 1000, and count64 cpuid no longer after+2
        self.check(edit(GOOD, "after=4218", "after=4217"), ["cpuid-delta", "count64"],
                   why="after-before=1000, expected ran+1=1001")

    def test_count64_total_too_small(self):
        self.check(edit(GOOD, "count64 total=28327", "count64 total=27000"), ["count64"],
                   why="< T2")

    def test_count64_cpuid_inconsistent(self):
        self.check(edit(GOOD, "cpuid=4220", "cpuid=4221"), ["count64"], why="after + 2")

    def test_cpu_not_launched(self):
        serial = edit(GOOD, "exitvisor: cpu 1 apic 1 launched\n", "")
        serial = edit(serial, "2 of 2 cpus launched", "1 of 2 cpus launched")
        self.check(serial, ["cpus-launched", "per-vcpu"], why="for cpu 1")

    def test_fatal_line(self):
        serial = edit(GOOD, "exitvisor: 2 of 2 cpus launched\n",
                      "exitvisor: 2 of 2 cpus launched\nexitvisor: cpu 1 FATAL: triple fault\n")
        self.check(serial, ["no-fatal"], why="cpu 1 FATAL: triple fault")

    def test_no_banner(self):
        serial = edit(GOOD, "exitvisor: exitvisor 0.1.0 starting:", "exitvisor: something else:")
        self.check(serial, ["banner"])

    def test_vcpu_totals_decrease(self):
        serial = edit(GOOD, "total=28635 cpuid=4528", "total=28630 cpuid=4528")
        self.check(serial, ["per-vcpu"], why="total counts not non-decreasing")

    def test_vcpu_signature_missing(self):
        serial = edit(GOOD, "vcpu 1 apic 1 signature ok total=28635 cpuid=4528",
                      "vcpu 1 apic 1 signature missing total=n/a cpuid=n/a")
        self.check(serial, ["per-vcpu"], why="signature missing on vcpu 1")

    def test_vcpu_line_missing(self):
        serial = edit(GOOD, "probe: vcpu 1 apic 1 signature ok total=28635 cpuid=4528\r\n", "")
        serial = edit(serial, "vcpus-read 2", "vcpus-read 1")
        self.check(serial, ["per-vcpu"], why="expected 0..1")

    # ---- reason map (leaf 0x40000002) ----

    def test_reason_map_missing(self):
        serial = edit(GOOD, "probe: reason-map possible=27 impossible=49 undefined=4\r\n", "")
        self.check(serial, ["reason-map"], why="no 'probe: reason-map' line")

    def test_wrong_undefined_set(self):
        # 71 defined and impossible instead: the counts still add up to 80
        serial = edit(GOOD, "undefined-reasons 35 38 42 71", "undefined-reasons 35 38 42")
        serial = edit(serial, "impossible=49 undefined=4", "impossible=50 undefined=3")
        self.check(serial, ["reason-map"],
                   why="undefined reasons {35, 38, 42}, the SDM leaves {35, 38, 42, 71} undefined")

    def test_counts_disagree_with_lists(self):
        serial = edit(GOOD, "reason-map possible=27 impossible=49", "reason-map possible=26 impossible=50")
        self.check(serial, ["reason-map"], why="27 possible reasons listed, reason-map says 26")

    def test_required_reason_not_possible(self):
        # EPT violation (48) missing although EPT is on
        serial = edit(GOOD, " 41 48 49 ", " 41 49 ")
        serial = edit(serial, "possible=27 impossible=49", "possible=26 impossible=50")
        text = self.check(serial, ["reason-map"], why="reasons {48} not possible")
        # the table has EPT-violation exits, so the map contradicts the table too
        self.assertIn("reasons {48} have exits in the table", text)

    def test_switched_off_reason_possible(self):
        # HLT (12) possible although HLT exiting is off
        serial = edit(GOOD, " 10 13 18 ", " 10 12 13 18 ")
        serial = edit(serial, "possible=27 impossible=49", "possible=28 impossible=48")
        self.check(serial, ["reason-map"], why="reasons {12} possible, yet the controls")

    def test_table_row_for_impossible_reason(self):
        # VMCALL's row renamed MOV DR (29): the map calls 29 impossible, so the
        # hypervisor counted an exit its own map says cannot happen
        serial = edit(GOOD, "  18  VMCALL                                     ",
                      "  29  MOV DR                                     ")
        self.check(serial, ["reason-map"],
                   why="reasons {29} have exits in the table but the map calls them not possible")

    # ---- leaf rules ----

    MISMATCH = ("probe: leaf-mismatch leaf=0x4FFFFFFD ecx=0x00000023 eax=0x00000000 "
                "ebx=0x00000000 ecx=0x00000000 edx=0x00000000 expected=undefined\r\n")

    def test_leaf_rule_mismatch(self):
        # reason 35 (undefined) answered as impossible by the cycles leaf
        serial = edit(GOOD, "probe: leaf-rules checked=301 mismatches=0\r\n",
                      self.MISMATCH + "probe: leaf-rules checked=301 mismatches=1\r\n")
        text = self.check(serial, ["leaf-rules"], why="1 of 301 answers break the leaf rules")
        self.assertIn("leaf=0x4FFFFFFD ecx=0x00000023", text)

    def test_mismatch_line_but_zero_count(self):
        serial = edit(GOOD, "probe: leaf-rules checked=301 mismatches=0\r\n",
                      self.MISMATCH + "probe: leaf-rules checked=301 mismatches=0\r\n")
        self.check(serial, ["leaf-rules"], why="1 leaf-mismatch lines, leaf-rules says 0")

    def test_mismatch_count_without_lines(self):
        serial = edit(GOOD, "leaf-rules checked=301 mismatches=0", "leaf-rules checked=301 mismatches=2")
        self.check(serial, ["leaf-rules"], why="2 of 301 answers break the leaf rules")

    def test_nothing_checked(self):
        serial = edit(GOOD, "leaf-rules checked=301", "leaf-rules checked=0")
        self.check(serial, ["leaf-rules"], why="the probe checked no answers")

    def test_leaf_rules_missing(self):
        serial = edit(GOOD, "probe: leaf-rules checked=301 mismatches=0\r\n", "")
        self.check(serial, ["leaf-rules"], why="no 'probe: leaf-rules' line")

    def test_expected_undefined_matches_header(self):
        # the checker's literal set and hv/arch/exit_reasons.h must agree
        self.assertTrue(check_boot.SDM_NAMES, "hv/arch/exit_reasons.h not read")
        self.assertEqual(check_boot.SDM_UNDEFINED, sorted(check_boot.EXPECTED_UNDEFINED))
        self.assertFalse(check_boot.MUST_BE_POSSIBLE & check_boot.MUST_BE_IMPOSSIBLE)

    def test_row_with_wrong_name(self):
        self.check(edit(GOOD, "  55  XSETBV ", "  55  XSETBX "), ["probe-table"],
                   why="the SDM name is 'XSETBV'")

    def test_no_done(self):
        serial = edit(GOOD, "probe: done\r\n", "")
        self.check(serial, ["probe-done"])

    def test_wrong_cpu_count_expected(self):
        self.check(GOOD, ["cpus-launched", "probe-signature", "per-vcpu"], "--expect-cpus", "4")

    def test_truncated_log(self):
        text = self.check(sample_text("vmx_truncated.log"),
                          ["probe-table", "sum-of-reasons", "snapshot-window", "cpuid-delta",
                           "count64", "reason-map", "leaf-rules", "per-vcpu", "probe-done"],
                          why="starts but never finishes")
        # the diagnostics show the serial lines, including the cut-off one
        self.assertIn("--- serial log", text)
        self.assertIn("exitvisor: 2 of 2 cpus launched", text)
        self.assertIn("<- unterminated last line", text)

    def test_hypervisor_failed(self):
        self.check(sample_text("no_table_fatal.log"),
                   [n for n in VMX_CHECK_NAMES if n not in ("serial-log", "banner")])

    def test_missing_serial_log(self):
        rc, results, text = self.run_checker(None, "--expect-cpus", "2")
        self.assertEqual(rc, 1)
        self.assert_failed_exactly(results, ["serial-log"])
        self.assertIn("cannot read", results["serial-log"])

    def test_run_status_timeout(self):
        rc, results, _ = self.run_checker(GOOD, "--expect-cpus", "2", status="timeout 300 bochs")
        self.assertEqual(rc, 1)
        self.assert_failed_exactly(results, ["run-status"])

    def test_bochs_log_lines_shown_on_failure_only(self):
        bochs = ("00000000000i[CPU0  ] noise\n"
                 "00012345678e[CPU1  ] VMFAIL: VMLAUNCH/VMRESUME with invalid guest state\n"
                 "00012345679e[CPU1  ] VMENTER FAIL: VMCS guest TR.base not canonical\n"
                 "00000000001i[      ] more noise\n")
        _, _, text = self.run_checker(edit(GOOD, "probe: done\r\n", ""), "--expect-cpus", "2",
                                      bochs_log=bochs)
        self.assertIn("--- bochs.log", text)
        self.assertIn("VMFAIL: VMLAUNCH/VMRESUME with invalid guest state", text)
        self.assertIn("VMENTER FAIL", text)
        self.assertNotIn("noise", text)
        _, _, text = self.run_checker(GOOD, "--expect-cpus", "2", bochs_log=bochs)
        self.assertNotIn("VMFAIL", text)


class OneCheckCase(CheckBootCase):
    """A real boot (LOG, checked with ARGS) that passes, and edits of it
    that must fail exactly CHECK."""
    LOG = ""
    ARGS = ()
    CHECK = ""

    def failed_with(self, text, why):
        rc, results, out = self.run_checker(text, *self.ARGS)
        self.assertEqual(rc, 1, out)
        self.assert_failed_exactly(results, [self.CHECK])
        self.assertIn(why, results[self.CHECK])

    def passes(self):
        rc, results, out = self.run_checker(self.LOG, *self.ARGS)
        self.assertEqual(rc, 0, out)
        self.assertIsNone(results[self.CHECK])


class Timeline(OneCheckCase):
    """--expect-timeline on a real 2-vCPU boot after issue 11
    (samples/vmx_timeline_2cpu.log: make run ENGINE=bochs CPUS=2, serial.log
    as it came): exitvisor's power-off table, then its timeline."""
    LOG = sample_text("vmx_timeline_2cpu.log")
    ARGS = ("--expect-cpus", "2", "--expect-timeline")
    CHECK = "timeline-at-poweroff"

    def test_real_boot_passes(self):
        self.passes()

    def test_only_with_the_flag(self):
        rc, results, _ = self.run_checker(GOOD, "--expect-cpus", "2")
        self.assertNotIn("timeline-at-poweroff", results)

    def test_no_timeline(self):
        text = "\n".join(l for l in self.LOG.splitlines() if " timeline " not in l) + "\n"
        self.failed_with(text, "no timeline block after exitvisor's power-off table")

    def test_cut_block(self):
        self.failed_with(edit(self.LOG, "exitvisor: cpu 0 timeline end samples=19", ""), "incomplete")

    def test_count_falls(self):
        self.failed_with(edit(self.LOG, "timeline 10 t=24492315 own=3 10:1564", "timeline 10 t=24492315 own=3 10:1664"),
                         "reason 10 falls from 1664 (sample 10)")

    def test_time_goes_back(self):
        self.failed_with(edit(self.LOG, "timeline 5 t=6664865", "timeline 5 t=5000000"), "is earlier than sample")

    def test_last_sample_below_the_table(self):
        self.failed_with(edit(self.LOG, "timeline 18 t=74823900 own=26 0:3 10:1999 18:1 28:1 30:1 48:23",
                              "timeline 18 t=74823900 own=26 0:3 10:1999 18:1 28:1 30:1 48:22"),
                         "falls from 23")

    def test_own_above_total(self):
        self.failed_with(edit(self.LOG, "timeline 0 t=70 own=0 10:1", "timeline 0 t=70 own=5 10:1"),
                         "own exits fall from 5")


class HvLog(OneCheckCase):
    """--expect-hv-log on a real 2-vCPU boot (samples/vmx_hv_log_2cpu.log:
    make run ENGINE=bochs CPUS=2 after the log ring landed): the probe's copy
    of the hypervisor's log against what exitvisor wrote on COM1."""
    LOG = sample_text("vmx_hv_log_2cpu.log")
    ARGS = ("--expect-cpus", "2", "--expect-timeline", "--expect-hv-log")
    CHECK = "hv-log"

    def test_real_boot_passes(self):
        self.passes()

    def test_not_read(self):
        self.failed_with("\n".join(l for l in self.LOG.splitlines() if "probe: hv-log" not in l) + "\n",
                         "no 'probe: hv-log end' line")

    def test_a_launched_line_missing(self):
        self.failed_with(edit(self.LOG, "probe: hv-log: cpu 1 apic 1 launched", "probe: hv-log: cpu 1 apic 1 lunched"),
                         "missing from its log, e.g. 'cpu 1 apic 1 launched'")

    def test_line_count_differs(self):
        self.failed_with(edit(self.LOG, "probe: hv-log: 2 of 2 cpus launched\r\n", ""), "the probe says 16 lines, printed 15")

    def test_bytes_lost(self):
        self.failed_with(re.sub(r"ring 65536 bytes, 0 bytes lost", "ring 65536 bytes, 32 bytes lost", self.LOG),
                         "32 bytes lost")


class NoVmx(CheckBootCase):
    def test_novmx_passes(self):
        rc, results, text = self.run_checker(sample_text("novmx_qemu.log"), "--expect-novmx")
        self.assertEqual(rc, 0, text)
        self.assertEqual(list(results), ["serial-log", "vmx-not-available",
                                         "probe-no-signature", "probe-done"])

    def test_vmx_log_is_not_a_novmx_boot(self):
        rc, results, _ = self.run_checker(GOOD, "--expect-novmx")
        self.assertEqual(rc, 1)
        self.assert_failed_exactly(results, ["vmx-not-available", "probe-no-signature"])

    def test_novmx_log_is_not_a_vmx_boot(self):
        rc, results, _ = self.run_checker(sample_text("novmx_qemu.log"), "--expect-cpus", "2")
        self.assertEqual(rc, 1)
        self.assertIn("VMX not available", results["no-fatal"])
        self.assertIn("no exitvisor signature", results["probe-signature"])

    def test_novmx_without_line(self):
        serial = edit(sample_text("novmx_qemu.log"), "exitvisor: VMX not available:",
                      "exitvisor: something else:")
        rc, results, _ = self.run_checker(serial, "--expect-novmx")
        self.assertEqual(rc, 1)
        self.assert_failed_exactly(results, ["vmx-not-available"])

    def test_usage_errors(self):
        for args in ([], ["--log", "/tmp"], ["--log", "/tmp", "--expect-cpus", "2", "--expect-novmx"],
                     ["--log", "/tmp", "--expect-cpus", "0"]):
            with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as cm:
                check_boot.main(args)
            self.assertEqual(cm.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
