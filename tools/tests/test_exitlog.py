#!/usr/bin/env python3
"""Unit tests for tools/exitlog.py on the sample logs in tools/tests/samples/.

Samples (tools/tests/samples/):
  vmx_good.log         OVMF + probe captured from Bochs (2 CPUs); the probe ran
                       against a software model of the hv/stats/abi.h leaves, so the
                       numbers obey the ABI's arithmetic; the hypervisor's lines
                       were spliced in where exitvisor prints them (LF-only, as
                       the hypervisor writes the UART directly). Since edited to
                       the probe's current output: reason-map and leaf-rules
                       lines (the map of a real Bochs run), rows only for
                       reasons that map calls possible, per-vCPU counts moved
                       by the 301 rule queries
  vmx_interleaved.log  the same with ANSI escapes inside lines, firmware and
                       hypervisor lines inside the table, text spliced before a
                       "probe: " prefix, and an unterminated final "probe: done"
  vmx_truncated.log    the same cut off in the middle of a table row
  novmx_qemu.log       a real QEMU TCG capture of the probe, plus the
                       hypervisor's "VMX not available" line
  no_table_fatal.log   the hypervisor failing VMLAUNCH on CPU 1; no probe output
  exitvisor_only_2cpu.log, linux_2vcpu.log, native_init_2cpu.log: see test_report.py
Run: python3 -m unittest discover -s tools/tests
"""
import contextlib
import io
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import exitlog  # noqa: E402

SAMPLES = os.path.join(HERE, "samples")


def sample_path(name):
    return os.path.join(SAMPLES, name)


def sample_text(name):
    with open(sample_path(name), "rb") as f:
        return f.read().decode("utf-8")


class GoodLog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = exitlog.parse_file(sample_path("vmx_good.log"))

    def test_lines_are_clean(self):
        for line in self.log.lines:
            self.assertNotIn("\x1b", line)
            self.assertNotIn("\r", line)
        self.assertIsNone(self.log.truncated_tail)

    def test_hypervisor_lines(self):
        log = self.log
        self.assertEqual(log.banner.version, "0.1.0")
        self.assertEqual(log.banner.features["VMX revision"], "0x2b")
        self.assertEqual(log.banner.features["EPT"], "yes")
        self.assertEqual(log.banner.features["unrestricted-guest"], "yes")
        self.assertEqual(log.launched, [(0, 0), (1, 1)])
        self.assertEqual(log.launched_summary, (2, 2))
        # the real line ends in ' (from config file)'; the note is not part of the options
        self.assertEqual(log.next_stage, ("\\EFI\\exitvisor\\probe.efi", "--poweroff"))
        self.assertIsNone(log.novmx)
        self.assertEqual(log.fatal, [])

    def test_table(self):
        t = self.log.require_table()
        self.assertTrue(t.complete)
        self.assertEqual(t.declared_rows, 9)
        self.assertEqual(len(t.rows), 9)
        first = t.rows[0]
        self.assertEqual((first.reason, first.name, first.exits, first.cycles),
                         (32, "WRMSR", 22741, 25015100))
        self.assertAlmostEqual(first.pct_exits, 83.66)
        self.assertAlmostEqual(first.pct_cycles, 91.39)
        # names with spaces and parentheses, a one-digit reason number
        nmi = t.by_reason()[0]
        self.assertEqual(nmi.name, "Exception or non-maskable interrupt (NMI)")
        self.assertEqual((nmi.exits, nmi.cycles), (40, 60000))
        self.assertEqual(t.by_reason()[10].exits, 3074)
        self.assertEqual(t.total_exits, 27182)
        self.assertEqual(t.total_cycles, 27370740)
        self.assertEqual(sum(r.exits for r in t.rows), t.total_exits)
        self.assertEqual([r.reason for r in t.rows], [32, 10, 31, 48, 28, 55, 0, 18, 3])

    def test_snapshot_and_checks(self):
        log = self.log
        s = log.snapshot
        self.assertEqual((s.t1_exits, s.t1_cycles, s.t2_exits, s.t2_cycles, s.reasons,
                          s.queries_between), (27161, 27365020, 27322, 27406880, 80, 161))
        self.assertEqual((log.sum_exits, log.sum_cycles), (27182, 27370740))
        self.assertEqual(log.cpuid_delta, (1000, 3217, 4218))
        self.assertEqual(log.count64, (28327, 4220))

    def test_reason_map_and_leaf_rules(self):
        log = self.log
        self.assertEqual(log.reason_map, {"possible": 27, "impossible": 49, "undefined": 4})
        self.assertEqual(log.possible_reasons, [0, 2, 3, 4, 9, 10, 13, 18, 19, 20, 21, 22, 23, 24,
                                                25, 26, 27, 28, 31, 32, 33, 41, 48, 49, 50, 53, 55])
        self.assertEqual(log.undefined_reasons, [35, 38, 42, 71])
        imp = log.impossible_reasons()
        self.assertEqual(len(imp), 49)
        self.assertEqual(sorted(imp + log.possible_reasons + log.undefined_reasons), list(range(80)))
        self.assertIn(30, imp)
        self.assertEqual(log.leaf_rules, (301, 0))
        self.assertEqual(log.leaf_mismatches, [])

    def test_leaf_mismatch_lines(self):
        log = exitlog.parse_text(
            "probe: reason-map possible=1 impossible=0 undefined=0\r\n"
            "probe: leaf-mismatch leaf=0x4FFFFFFD ecx=0x00000023 eax=0x00000000 ebx=0x00000000"
            " ecx=0x00000000 edx=0x00000000 expected=undefined\r\n"
            "probe: leaf-mismatch leaf=0x4FFFFFFC ecx=0xFFFFFFFF eax=0x00000001 ebx=0x00000000"
            " ecx=0x0000012C edx=0x00000000 expected=total\r\n"
            "probe: leaf-mismatch garbled\r\n"
            "probe: leaf-rules checked=301 mismatches=3\r\n")
        self.assertEqual(log.leaf_rules, (301, 3))
        a, b, c = log.leaf_mismatches
        self.assertEqual((a.leaf, a.selector, a.eax, a.ebx, a.ecx, a.edx, a.expected),
                         (0x4FFFFFFD, 35, 0, 0, 0, 0, "undefined"))
        # the selector passed and the ECX answered are told apart
        self.assertEqual((b.selector, b.eax, b.ecx, b.expected), (0xFFFFFFFF, 1, 300, "total"))
        self.assertEqual((c.text, c.leaf, c.expected), ("leaf-mismatch garbled", None, None))
        self.assertIsNone(log.impossible_reasons())     # no lists printed

    def test_second_run_replaces_mismatches(self):
        first = ("probe: reason-map possible=27 impossible=49 undefined=4\r\n"
                 "probe: leaf-mismatch leaf=0x4FFFFFFE ecx=0x00000050 eax=0x00000000"
                 " ebx=0x00000000 ecx=0x00000000 edx=0x00000000 expected=undefined\r\n"
                 "probe: leaf-rules checked=301 mismatches=1\r\n")
        second = ("probe: reason-map possible=27 impossible=49 undefined=4\r\n"
                  "probe: leaf-rules checked=301 mismatches=0\r\n")
        log = exitlog.parse_text(first + second)
        self.assertEqual((log.leaf_rules, log.leaf_mismatches), ((301, 0), []))

    def test_next_stage_with_and_without_note(self):
        for line in ('exitvisor: next stage \\EFI\\x.efi options "-a -b" (from config file)\n',
                     'exitvisor: next stage \\EFI\\x.efi options "-a -b"\n'):
            self.assertEqual(exitlog.parse_text(line).next_stage, ("\\EFI\\x.efi", "-a -b"), line)

    def test_vcpus(self):
        log = self.log
        self.assertEqual(log.signature, (1, 2))
        self.assertEqual(log.mp, (2, 2, 0))
        self.assertEqual([(v.index, v.apic, v.signature_ok, v.total, v.cpuid) for v in log.vcpus],
                         [(0, 0, True, 28631, 4524), (1, 1, True, 28635, 4528)])
        self.assertEqual(log.vcpus_read, 2)
        self.assertEqual(log.vcpu_errors, [])
        self.assertTrue(log.done)

    def test_to_dict_is_json(self):
        d = json.loads(json.dumps(self.log.to_dict()))
        self.assertEqual(d["table"]["rows"][0]["name"], "WRMSR")
        self.assertEqual(d["leaf_rules"], [301, 0])
        self.assertEqual(d["snapshot"]["queries_between"], 161)


class InterleavedLog(unittest.TestCase):
    """Escapes inside lines, foreign lines inside the table, writers spliced into
    one line, and an unterminated last line: the same data must come out."""

    @classmethod
    def setUpClass(cls):
        cls.good = exitlog.parse_file(sample_path("vmx_good.log"))
        cls.log = exitlog.parse_file(sample_path("vmx_interleaved.log"))

    def test_sample_really_is_messy(self):
        raw = sample_text("vmx_interleaved.log")
        self.assertIn("probe: snap\x1b[1mshot", raw)
        self.assertIn("BdsDxe: unrelated firmware line", raw)
        self.assertFalse(raw.endswith("\n"))

    def test_same_table(self):
        self.assertEqual(self.log.require_table(), self.good.require_table())

    def test_same_probe_data(self):
        for attr in ("snapshot", "sum_exits", "reason_map", "possible_reasons", "undefined_reasons",
                     "leaf_rules", "leaf_mismatches", "cpuid_delta", "count64", "mp", "vcpus",
                     "vcpus_read", "signature", "next_stage"):
            self.assertEqual(getattr(self.log, attr), getattr(self.good, attr), attr)

    def test_spliced_prefix_found_mid_line(self):
        # "firmware text without newline probe: mp processors=..." still counts
        self.assertEqual(self.log.mp, (2, 2, 0))

    def test_unknown_hypervisor_line_kept_not_misread(self):
        self.assertIn("cpu 1 note: an unknown hypervisor line", self.log.hv_lines)
        self.assertEqual(self.log.launched, [(0, 0), (1, 1)])
        self.assertEqual(self.log.fatal, [])

    def test_unterminated_done_accepted(self):
        self.assertEqual(self.log.truncated_tail, "probe: done")
        self.assertTrue(self.log.done)


class TruncatedLog(unittest.TestCase):
    def test_table_cut_off(self):
        log = exitlog.parse_file(sample_path("vmx_truncated.log"))
        self.assertTrue(log.truncated_tail.startswith("  28  Control-register"))
        # the cut-off row is not taken as a row with a short number
        self.assertEqual([r.reason for r in log.table.rows], [32, 10, 31, 48])
        self.assertFalse(log.table.complete)
        with self.assertRaisesRegex(exitlog.NoExitTableError, "starts but never finishes"):
            log.require_table()
        self.assertFalse(log.done)

    def test_numeric_tail_not_trusted(self):
        # "cpuid=42" may be "cpuid=4220" cut short: ignore it
        log = exitlog.parse_text("probe: count64 total=28327 cpuid=42")
        self.assertIsNone(log.count64)
        log = exitlog.parse_text("probe: count64 total=28327 cpuid=42\r\n")
        self.assertEqual(log.count64, (28327, 42))

    def test_partial_done_not_accepted(self):
        self.assertFalse(exitlog.parse_text("probe: do").done)
        self.assertTrue(exitlog.parse_text("probe: done").done)

    def test_launch_line_in_tail(self):
        log = exitlog.parse_text("exitvisor: cpu 0 apic 0 launched\nexitvisor: cpu 1 apic 1 launched")
        self.assertEqual(log.launched, [(0, 0), (1, 1)])


class NoTable(unittest.TestCase):
    def test_novmx(self):
        log = exitlog.parse_file(sample_path("novmx_qemu.log"))
        self.assertEqual(log.novmx, "CPUID.1:ECX.VMX[bit 5] = 0")
        self.assertTrue(log.no_signature)
        self.assertIsNone(log.signature)
        self.assertEqual([(v.index, v.signature_ok, v.total, v.cpuid) for v in log.vcpus],
                         [(0, False, None, None), (1, False, None, None)])
        self.assertTrue(log.done)
        self.assertEqual(log.next_stage, ("\\EFI\\exitvisor\\probe.efi", "--poweroff"))
        with self.assertRaisesRegex(exitlog.NoExitTableError, "no exitvisor signature"):
            log.require_table()

    def test_fatal(self):
        log = exitlog.parse_file(sample_path("no_table_fatal.log"))
        self.assertEqual(log.fatal, ["cpu 1 VMLAUNCH failed: VM-instruction error 7 "
                                     "(VM entry with invalid control field(s))"])
        self.assertEqual(log.launched_summary, (1, 2))
        self.assertEqual(log.probe_lines, [])
        with self.assertRaisesRegex(exitlog.NoExitTableError, "VMLAUNCH failed"):
            log.require_table()

    def test_empty(self):
        with self.assertRaisesRegex(exitlog.NoExitTableError, "neither hypervisor nor probe"):
            exitlog.parse_text("BdsDxe: loading Boot0001\r\n").require_table()

    def test_fatal_spliced_into_probe_line(self):
        log = exitlog.parse_text("probe: vcpus-read 2exitvisor: cpu 1 FATAL: boom\r\n")
        self.assertEqual(log.vcpus_read, 2)
        self.assertEqual(log.fatal, ["cpu 1 FATAL: boom"])


class MultipleRuns(unittest.TestCase):
    def test_last_run_wins(self):
        good = sample_text("vmx_good.log")
        second = good.replace("t1_exits=27161", "t1_exits=99")
        second = second.replace("22741          25015100", "22740          25015100")
        self.assertNotEqual(second, good)
        log = exitlog.parse_text(good + second)
        self.assertEqual(log.tables_seen, 2)
        self.assertEqual(log.snapshot.t1_exits, 99)
        self.assertEqual(log.require_table().rows[0].exits, 22740)
        self.assertEqual(len(log.vcpus), 2)     # not 4: a new per-vCPU block replaces

    def test_complete_table_beats_later_truncated_one(self):
        good = sample_text("vmx_good.log")
        cut = sample_text("vmx_truncated.log")
        log = exitlog.parse_text(good + cut)
        self.assertEqual(len(log.require_table().rows), 9)


HV_TABLE = (
    "exitvisor: cpu 0 the guest resets or powers off the machine (OUT 0x53 to port 0x8900); exit table:\r\n"
    "exitvisor: cpu 0 exit table: 27580 exits, 7716715 cycles, 2 vCPUs\r\n"
    "exitvisor: cpu 0    0  Exception or non-maskable interrupt (NMI)               2          2019180\r\n"
    "[    1.5] a kernel line in between\r\n"
    "exitvisor: cpu 0   10  CPUID                                                2469           453065\r\n"
    "exitvisor: cpu 0   30  I/O instruction                                     25109          5244470\r\n"
    "exitvisor: cpu 0   total                                                   27580          7716715\r\n"
)


class HypervisorTables(unittest.TestCase):
    def test_table_rows_and_total(self):
        log = exitlog.parse_text(HV_TABLE)
        self.assertEqual(len(log.hv_tables), 1)
        t = log.hv_tables[0]
        self.assertEqual((t.cpu, t.header_exits, t.header_cycles, t.vcpus), (0, 27580, 7716715, 2))
        self.assertTrue(t.table.complete)
        self.assertEqual([(r.reason, r.name, r.exits, r.cycles) for r in t.table.rows], [
            (0, "Exception or non-maskable interrupt (NMI)", 2, 2019180),
            (10, "CPUID", 2469, 453065),
            (30, "I/O instruction", 25109, 5244470)])
        self.assertEqual((t.table.total_exits, t.table.total_cycles), (27580, 7716715))

    def test_cut_before_the_total_row_stays_incomplete(self):
        cut = HV_TABLE[:HV_TABLE.index("exitvisor: cpu 0   total")]
        log = exitlog.parse_text(cut + "exitvisor: cpu 0   total    275")
        self.assertEqual(len(log.hv_tables), 1)
        self.assertFalse(log.hv_tables[0].table.complete)
        self.assertIsNone(log.hv_tables[0].table.total_exits)

    def test_rows_of_another_cpu_do_not_mix(self):
        text = HV_TABLE.replace("exitvisor: cpu 0   10", "exitvisor: cpu 1   10")
        t = exitlog.parse_text(text).hv_tables[0].table
        self.assertEqual([r.reason for r in t.rows], [0, 30])

    def test_probe_table_unaffected(self):
        self.assertIsNone(exitlog.parse_text(HV_TABLE).table)


class HypervisorTableContext(unittest.TestCase):
    """Why exitvisor printed each of its tables, and where (for tools/report.py)."""

    def test_power_off_with_own_line(self):
        log = exitlog.parse_file(sample_path("linux_2vcpu.log"))
        self.assertEqual(len(log.hv_tables), 1)
        t = log.hv_tables[0]
        self.assertEqual((t.context, t.line, t.table.line, t.cpu), ("power-off", 400, 400, 1))
        self.assertEqual(t.event, "the guest resets or powers off the machine "
                                  "(OUT 0x53 to port 0x8900); exit table:")
        self.assertEqual((t.table.total_exits, t.own_exits, t.own_cycles), (5457, 2953, 1965695))

    def test_print_stats_then_power_off(self):
        # exitvisor_only_2cpu.log: a VMCALL print-stats table, then the power-off one
        log = exitlog.parse_file(sample_path("exitvisor_only_2cpu.log"))
        self.assertEqual([(t.context, t.line, t.table.total_exits, t.own_exits, t.event is None)
                          for t in log.hv_tables],
                         [("print-stats", 10, 2020, 25, True), ("power-off", 19, 2028, 26, False)])

    def test_stopped_at_init(self):
        t = exitlog.parse_file(sample_path("native_init_2cpu.log")).hv_tables[0]
        self.assertEqual((t.context, t.table.total_exits, t.own_exits), ("init", 1676, 0))
        self.assertTrue(t.event.startswith("INIT: exit reason 3"))

    def test_reset_after_triple_fault(self):
        text = ("exitvisor: cpu 0 triple fault in the guest: exit reason 2 (Triple fault), "
                "qualification 0x0, guest rip 0x1000\n"
                "exitvisor: cpu 0 guest: rip 0x1000 rsp 0x0 rflags 0x2 activity 0 interruptibility 0x0\n"
                "exitvisor: cpu 0 host: rip 0x1 rsp 0x2 cr0 0x3 cr3 0x4 cr4 0x5\n"
                "exitvisor: cpu 0 exit table: 7 exits, 70 cycles, 1 vCPUs\n"
                "exitvisor: cpu 0    2  Triple fault                                            1               10\n"
                "exitvisor: cpu 0   10  CPUID                                                   6               60\n"
                "exitvisor: cpu 0   total                                                       7               70\n"
                "exitvisor: cpu 0   own   of these, caused by exitvisor's own watches           0                0\n"
                "exitvisor: cpu 0 resetting the platform after the guest's triple fault\n")
        t = exitlog.parse_text(text).hv_tables[0]
        self.assertEqual((t.context, t.line, t.own_exits), ("reset", 4, 0))
        self.assertTrue(t.event.startswith("triple fault in the guest"))
        # the same table without the announcement or the reset line: print-stats
        t = exitlog.parse_text(text.split("\n", 3)[3].replace(
            "exitvisor: cpu 0 resetting the platform after the guest's triple fault\n", "")).hv_tables[0]
        self.assertEqual((t.context, t.event, t.line), ("print-stats", None, 1))


class Cli(unittest.TestCase):
    def run_cli(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = exitlog.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_table_text(self):
        rc, out, _ = self.run_cli(sample_path("vmx_good.log"))
        self.assertEqual(rc, 0)
        lines = out.splitlines()
        self.assertIn("reason", lines[0])
        self.assertRegex(lines[1], r"^\s+32\s+WRMSR\s+22741\s+25015100\s+83\.66\s+91\.39$")
        self.assertTrue(any(line.split()[:2] == ["total", "27182"] for line in lines))

    def test_json(self):
        rc, out, _ = self.run_cli("--json", sample_path("vmx_good.log"))
        self.assertEqual(rc, 0)
        d = json.loads(out)
        self.assertEqual(len(d["table"]["rows"]), 9)
        self.assertEqual(d["count64"], [28327, 4220])
        self.assertNotIn("lines", d)

    def test_directory_argument(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "serial.log"), "w") as f:
                f.write(sample_text("vmx_good.log"))
            rc, out, _ = self.run_cli(tmp)
        self.assertEqual(rc, 0)
        self.assertIn("WRMSR", out)

    def test_no_table_is_an_error(self):
        for args in ((sample_path("novmx_qemu.log"),), ("--json", sample_path("novmx_qemu.log"))):
            rc, out, err = self.run_cli(*args)
            self.assertEqual(rc, 1)
            self.assertEqual(out, "")
            self.assertIn("no exit table", err)

    def test_missing_file(self):
        rc, _, err = self.run_cli(sample_path("does-not-exist.log"))
        self.assertEqual(rc, 1)
        self.assertIn("cannot read", err)


if __name__ == "__main__":
    unittest.main()
