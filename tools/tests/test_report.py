#!/usr/bin/env python3
"""Unit tests for tools/report.py and the final-table parsing it added to
tools/exitlog.py, on the sample logs in tools/tests/samples/.

Samples used besides those of test_exitlog.py:
  bochs_final.log       a real Bochs boot, 2 vCPUs (make run ENGINE=bochs CPUS=2),
                        raw COM1: ANSI escapes, CRLF; snapshot table of 1 row and a
                        final table of 4 rows
  vmx_final_messy.log   vmx_good.log plus a 10-row final table in the probe's exact
                        format, made messy: ANSI escapes before and inside lines,
                        hypervisor lines of two vCPUs (LF-only) inside the table and
                        between the per-vCPU lines, a firmware line inside the table,
                        a hypervisor line spliced onto the end of a row, and an
                        unterminated, cut-off last line
  vmx_final_cut.log     vmx_good.log with its final table cut off in the middle of
                        the second row (the snapshot table is complete)
  linux_2vcpu.log       a real 2-vCPU Linux boot (make run-linux) before the timeline:
                        exvprobe's snapshot table ("probe: exit table"), then
                        exitvisor's power-off table with its own line
  exitvisor_only_2cpu.log  exitvisor-only: a real 2-vCPU Bochs boot of the UEFI probe
                        (make run ENGINE=bochs CPUS=2, build/run/serial.log, raw
                        COM1) with every line holding "probe: " and the probe
                        tables' rows cut out, as a next stage that is not the
                        probe leaves it: exitvisor's VMCALL print-stats table,
                        its power-off table, its timeline (19 samples, no own=)
  exitvisor_only_linux.log linux_2vcpu.log cut the same way: only the kernel's, /init's
                        and exitvisor's lines (power-off table, own line)
  linux_2vcpu_timeline.log a real 2-vCPU Linux boot (make run-linux, raw COM1) with the
                        timeline: exvprobe's clock marks through /dev/kmsg (printk
                        timestamps, spliced into other lines), exvprobe stat of
                        three commands, `exvprobe timeline` (292 samples) and
                        exitvisor's power-off table and timeline (479 samples, own=)
The PNG test needs matplotlib (Debian: python3-matplotlib) in this interpreter or
in /usr/bin/python3; without it only that test is skipped, saying why.
Run: python3 -m unittest discover -s tools/tests
"""
import contextlib
import csv
import importlib.util
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

import exitlog  # noqa: E402
import report  # noqa: E402
import timeline  # noqa: E402

SAMPLES = os.path.join(HERE, "samples")
REPORT = os.path.join(TOOLS, "report.py")


def sample_path(name):
    return os.path.join(SAMPLES, name)


def sample_text(name):
    with open(sample_path(name), "rb") as f:
        return f.read().decode("utf-8")


def rows_of(table):
    return [(r.reason, r.name, r.exits, r.cycles, r.pct_exits, r.pct_cycles) for r in table.rows]


# The real boot's final table (bochs_final.log).
BOCHS_FINAL = [
    (10, "CPUID", 1793, 432440, 98.73, 17.36),
    (48, "EPT violation", 21, 49195, 1.16, 1.97),
    (0, "Exception or non-maskable interrupt (NMI)", 1, 2009520, 0.06, 80.66),
    (28, "Control-register accesses", 1, 315, 0.06, 0.01),
]
# vmx_final_messy.log's final table.
MESSY_FINAL = [
    (32, "WRMSR", 22741, 25015100, 78.96, 89.99),
    (10, "CPUID", 4690, 1224090, 16.29, 4.40),
    (31, "RDMSR", 812, 730800, 2.82, 2.63),
    (48, "EPT violation", 311, 684200, 1.08, 2.46),
    (28, "Control-register accesses", 96, 28800, 0.33, 0.10),
    (55, "XSETBV", 88, 30800, 0.31, 0.11),
    (0, "Exception or non-maskable interrupt (NMI)", 40, 60000, 0.14, 0.22),
    (18, "VMCALL", 17, 6800, 0.06, 0.02),
    (3, "INIT signal", 3, 15000, 0.01, 0.05),
    (4, "Start-up IPI (SIPI)", 1, 2500, 0.00, 0.01),
]
# vmx_good.log's snapshot table (also in vmx_final_messy.log and vmx_final_cut.log).
GOOD_SNAPSHOT_REASONS = [32, 10, 31, 48, 28, 55, 0, 18, 3]


def without_final_table(text):
    """The text cut just before the probe's final table."""
    i = text.index("probe: final exit table (")
    return text[:i]


def without_snapshot_table(text):
    """The text with the snapshot table's lines (header to end line) removed."""
    start = text.index("probe: exit table (")
    end = text.index("probe: exit table end rows=")
    end = text.index("\n", end) + 1
    return text[:start] + text[end:]


# --------------------------------------------------------------------------
# exitlog.py: the final table

class ExitlogFinalTable(unittest.TestCase):
    def test_real_boot(self):
        log = exitlog.parse_file(sample_path("bochs_final.log"))
        self.assertEqual((log.tables_seen, log.final_tables_seen), (1, 1))
        f = log.final_table
        self.assertTrue(f.complete and f.final)
        self.assertEqual(rows_of(f), BOCHS_FINAL)
        self.assertEqual((f.total_exits, f.total_cycles, f.declared_rows), (1816, 2491470, 4))
        self.assertEqual(f.line, 26)
        # the snapshot table is untouched by the final one
        t = log.require_table()
        self.assertFalse(t.final)
        self.assertEqual(rows_of(t), [(10, "CPUID", 46, 13270, 100.0, 100.0)])
        self.assertEqual((t.total_exits, t.total_cycles, t.declared_rows, t.line), (46, 13270, 1, 9))
        self.assertTrue(log.done)

    def test_no_final_table(self):
        log = exitlog.parse_file(sample_path("vmx_good.log"))
        self.assertIsNone(log.final_table)
        self.assertEqual(log.final_tables_seen, 0)
        self.assertEqual([r.reason for r in log.require_table().rows], GOOD_SNAPSHOT_REASONS)

    def test_messy(self):
        log = exitlog.parse_file(sample_path("vmx_final_messy.log"))
        f = log.final_table
        self.assertTrue(f.complete)
        self.assertEqual(rows_of(f), MESSY_FINAL)
        self.assertEqual((f.total_exits, f.total_cycles, f.declared_rows), (28799, 27798090, 10))
        # everything else reads as in the clean log
        good = exitlog.parse_file(sample_path("vmx_good.log"))
        self.assertEqual(log.require_table(), good.require_table())
        self.assertEqual(log.vcpus, good.vcpus)
        self.assertIn("cpu 0 note: spliced onto a table row", log.hv_lines)
        self.assertEqual(log.truncated_tail, "probe: --poweroff: ending the emul")

    def test_cut(self):
        log = exitlog.parse_file(sample_path("vmx_final_cut.log"))
        f = log.final_table
        self.assertFalse(f.complete)
        # the cut-off row is not read as a row with a short number
        self.assertEqual([r.reason for r in f.rows], [32])
        self.assertIsNone(f.total_exits)
        self.assertTrue(log.require_table().complete)

    def test_last_complete_final_table_wins(self):
        real = sample_text("bochs_final.log")
        second = real.replace("1793            432440", "1794            432440")
        self.assertNotEqual(second, real)
        log = exitlog.parse_text(real + second)
        self.assertEqual(log.final_tables_seen, 2)
        self.assertEqual(log.final_table.rows[0].exits, 1794)
        # a later cut-off final table does not replace a complete one
        cut = real[:real.index("  48  EPT violation", real.index("probe: final exit table ("))]
        log = exitlog.parse_text(real + cut)
        self.assertTrue(log.final_table.complete)
        self.assertEqual(rows_of(log.final_table), BOCHS_FINAL)

    def test_other_tables_end_line_does_not_complete(self):
        text = ("probe: final exit table (all exits since launch)\r\n"
                "  10  CPUID       5       50   100.00   100.00\r\n"
                "  total           5       50   100.00   100.00\r\n"
                "probe: exit table end rows=1\r\n")
        log = exitlog.parse_text(text)
        self.assertFalse(log.final_table.complete)
        self.assertEqual(len(log.final_table.rows), 1)
        self.assertIsNone(log.table)

    def test_unfinished_snapshot_then_final(self):
        real = sample_text("bochs_final.log")
        # the snapshot table loses its total row and end line
        start = real.index("  total", real.index("probe: exit table ("))
        end = real.index("probe: snapshot ")
        log = exitlog.parse_text(real[:start] + real[end:])
        self.assertTrue(log.final_table.complete)
        with self.assertRaisesRegex(exitlog.NoExitTableError, "starts but never finishes"):
            log.require_table()

    def test_json_has_both(self):
        d = json.loads(json.dumps(exitlog.parse_file(sample_path("bochs_final.log")).to_dict()))
        self.assertEqual(d["final_table"]["total_exits"], 1816)
        self.assertEqual(d["table"]["total_exits"], 46)


# --------------------------------------------------------------------------
# report.py: choosing the table

class ChooseTable(unittest.TestCase):
    def test_final_when_present(self):
        c = report.choose_table(exitlog.parse_file(sample_path("bochs_final.log")))
        self.assertEqual((c.kind, c.note, c.warnings), ("final", "", []))
        self.assertEqual(rows_of(c.table), BOCHS_FINAL)

    def test_snapshot_without_final(self):
        c = report.choose_table(exitlog.parse_file(sample_path("vmx_good.log")))
        self.assertEqual(c.kind, "snapshot")
        self.assertIn("no final table", c.note)
        self.assertEqual([r.reason for r in c.table.rows], GOOD_SNAPSHOT_REASONS)

    def test_snapshot_when_final_cut(self):
        c = report.choose_table(exitlog.parse_file(sample_path("vmx_final_cut.log")))
        self.assertEqual(c.kind, "snapshot")
        self.assertRegex(c.note, r"final table \(line \d+\) is incomplete \(1 row read")
        self.assertEqual(c.table.total_exits, 27182)

    def test_final_of_an_earlier_boot_not_used(self):
        # boot 1 has a final table, boot 2 (last) only a snapshot table
        log = exitlog.parse_text(sample_text("bochs_final.log") + sample_text("vmx_good.log"))
        c = report.choose_table(log)
        self.assertEqual(c.kind, "snapshot")
        self.assertEqual(c.table.total_exits, 27182)
        self.assertIn("earlier boot", c.note)
        self.assertTrue(any("2 runs" in w for w in c.warnings), c.warnings)

    def test_final_only(self):
        log = exitlog.parse_text(without_snapshot_table(sample_text("bochs_final.log")))
        self.assertIsNone(log.table)
        c = report.choose_table(log)
        self.assertEqual(c.kind, "final")
        self.assertEqual(rows_of(c.table), BOCHS_FINAL)

    def test_no_table(self):
        for name, why in (("novmx_qemu.log", "no exitvisor signature"),
                          ("no_table_fatal.log", "VMLAUNCH failed"),
                          ("vmx_truncated.log", "starts but never finishes")):
            with self.assertRaisesRegex(exitlog.NoExitTableError, why, msg=name):
                report.choose_table(exitlog.parse_file(sample_path(name)))

    def test_cut_final_and_no_snapshot(self):
        text = without_snapshot_table(sample_text("vmx_final_cut.log"))
        with self.assertRaisesRegex(exitlog.NoExitTableError,
                                    "final exit table .* starts but never finishes"):
            report.choose_table(exitlog.parse_text(text))

    def test_lost_row_warns(self):
        real = sample_text("bochs_final.log")
        i = real.index("  48  EPT violation", real.index("probe: final exit table ("))
        j = real.index("\n", i) + 1
        c = report.choose_table(exitlog.parse_text(real[:i] + real[j:]))
        self.assertEqual(c.kind, "final")
        self.assertEqual(len(c.warnings), 2, c.warnings)
        self.assertIn("says 4 rows but 3 were read", c.warnings[0])
        self.assertIn("add up to 1795 exits", c.warnings[1])

    def test_log_scale_choice(self):
        self.assertTrue(report.log_scale_wanted([1793, 21, 1, 1]))
        self.assertFalse(report.log_scale_wanted([46]))
        self.assertFalse(report.log_scale_wanted([99, 1, 0]))
        self.assertTrue(report.log_scale_wanted([100, 1, 0]))


# --------------------------------------------------------------------------
# report.py: command line, CSV, JSON

class Cli(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def run_main(self, *args, stdin=None):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if stdin is not None:
                fake = io.TextIOWrapper(io.BytesIO(stdin.encode()))
                with mock.patch.object(sys, "stdin", fake):
                    rc = report.main(list(args))
            else:
                rc = report.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def out(self, name):
        return os.path.join(self.tmp, name)

    def test_real_log_text(self):
        rc, out, err = self.run_main(sample_path("bochs_final.log"))
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertIn("final exit table, line 26", lines[0])
        self.assertIn("exitvisor 0.1.0, VMX revision 0x2b, EPT yes, VPID yes, "
                      "unrestricted guest yes; 2 of 2 CPUs launched", lines[1])
        self.assertEqual(lines[2].split(), ["nr", "reason", "exits", "cycles", "%exits", "%cycles",
                                            "cycles/exit"])
        self.assertRegex(lines[3], r"^\s+10\s+CPUID\s+1793\s+432440\s+98\.73\s+17\.36\s+241\.2$")
        self.assertRegex(lines[5], r"^\s+0\s+Exception or non-maskable interrupt \(NMI\)\s+1"
                                   r"\s+2009520\s+0\.06\s+80\.66\s+2009520\.0$")
        self.assertEqual(lines[7].split(), ["total", "1816", "2491470", "100.00", "100.00", "1372.0"])
        self.assertIn("vcpu 1 (apic 1) read the global counters: 1765 exits, 1744 CPUID", out)

    def test_real_log_csv_and_json(self):
        csv_path, json_path = self.out("sub/exits.csv"), self.out("sub/exits.json")
        rc, out, err = self.run_main(sample_path("bochs_final.log"), "--csv", csv_path,
                                     "--json", json_path)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn(f"wrote {csv_path}", out)
        with open(csv_path, newline="") as f:
            got = list(csv.reader(f))
        self.assertEqual(got, [
            ["reason", "name", "exits", "cycles", "pct_exits", "pct_cycles", "cycles_per_exit"],
            ["10", "CPUID", "1793", "432440", "98.73", "17.36", "241.18"],
            ["48", "EPT violation", "21", "49195", "1.16", "1.97", "2342.62"],
            ["0", "Exception or non-maskable interrupt (NMI)", "1", "2009520", "0.06", "80.66",
             "2009520.00"],
            ["28", "Control-register accesses", "1", "315", "0.06", "0.01", "315.00"],
            ["total", "", "1816", "2491470", "100.00", "100.00", "1371.95"],
        ])
        with open(json_path) as f:
            d = json.load(f)
        t = d["table"]
        self.assertEqual((t["kind"], t["line"], t["declared_rows"], t["why_not_final"]),
                         ("final", 26, 4, None))
        self.assertEqual([(r["reason"], r["name"], r["exits"], r["cycles"], r["pct_exits"],
                           r["pct_cycles"]) for r in t["rows"]], BOCHS_FINAL)
        self.assertEqual(t["rows"][0]["cycles_per_exit"], 241.18)
        self.assertEqual(t["total"], {"exits": 1816, "cycles": 2491470, "cycles_per_exit": 1371.95})
        self.assertEqual(d["tables_in_log"], {"snapshot": "complete", "final": "complete"})
        hv = d["hypervisor"]
        self.assertEqual((hv["version"], hv["vmx_revision"], hv["ept"], hv["vpid"],
                          hv["unrestricted_guest"], hv["cpus_launched"], hv["cpus_total"]),
                         ("0.1.0", "0x2b", True, True, True, 2, 2))
        self.assertEqual(d["vcpus"], 2)
        p = d["probe"]
        self.assertEqual((p["abi"], p["vcpus"], p["vcpus_read"], p["done"]), (1, 2, 2, True))
        self.assertEqual(p["mp"], {"processors": 2, "enabled": 2, "bsp": 0})
        self.assertEqual(p["vcpu_reads"], [
            {"index": 0, "apic": 0, "signature_ok": True, "total_exits": 1535, "cpuid_exits": 1534},
            {"index": 1, "apic": 1, "signature_ok": True, "total_exits": 1765, "cpuid_exits": 1744}])
        self.assertIsNone(d["engine"])      # no engine.txt beside the sample
        self.assertEqual(d["warnings"], [])

    def test_messy_log(self):
        json_path = self.out("messy.json")
        rc, out, err = self.run_main(sample_path("vmx_final_messy.log"), "--json", json_path)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("final exit table", out.splitlines()[0])
        self.assertNotIn("\x1b", out)
        totals = [line.split() for line in out.splitlines() if line.split()[:1] == ["total"]]
        self.assertEqual(totals, [["total", "28799", "27798090", "100.00", "100.00", "965.2"]])
        with open(json_path) as f:
            d = json.load(f)
        self.assertEqual([(r["reason"], r["name"], r["exits"], r["cycles"], r["pct_exits"],
                           r["pct_cycles"]) for r in d["table"]["rows"]], MESSY_FINAL)
        self.assertEqual(d["table"]["total"]["exits"], 28799)
        self.assertEqual(d["table"]["total"]["cycles"], 27798090)
        self.assertEqual([v["total_exits"] for v in d["probe"]["vcpu_reads"]], [28631, 28635])
        self.assertEqual(d["warnings"], [])

    def test_snapshot_fallback_says_so(self):
        csv_path = self.out("cut.csv")
        rc, out, err = self.run_main(sample_path("vmx_final_cut.log"), "--csv", csv_path)
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertIn("snapshot exit table", lines[0])
        self.assertIn("not the final table: the final table (line", lines[1])
        with open(csv_path, newline="") as f:
            got = list(csv.DictReader(f))
        self.assertEqual([int(r["reason"]) for r in got[:-1]], GOOD_SNAPSHOT_REASONS)
        self.assertEqual((got[-1]["reason"], got[-1]["exits"], got[-1]["cycles"]),
                         ("total", "27182", "27370740"))

    def test_no_table_is_exit_2(self):
        for name, why in (("novmx_qemu.log", "no exitvisor signature"),
                          ("no_table_fatal.log", "VMLAUNCH failed"),
                          ("vmx_truncated.log", "never finishes")):
            csv_path = self.out(name + ".csv")
            rc, out, err = self.run_main(sample_path(name), "--csv", csv_path,
                                         "--json", self.out(name + ".json"))
            self.assertEqual(rc, 2, name)
            self.assertEqual(out, "", name)
            self.assertRegex(err, r"^report: .*" + name.replace(".", r"\.") + ": ")
            self.assertIn(why, err)
            self.assertNotIn("Traceback", err)
            self.assertFalse(os.path.exists(csv_path), name)

    def test_no_table_subprocess_no_traceback(self):
        p = subprocess.run([sys.executable, REPORT, sample_path("novmx_qemu.log")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")
        self.assertNotIn("Traceback", p.stderr)
        self.assertRegex(p.stderr, r"^report: .*novmx_qemu\.log: no exit table in the serial log: ")

    def test_missing_file(self):
        rc, out, err = self.run_main(sample_path("does-not-exist.log"))
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("cannot read", err)

    def test_stdin(self):
        rc, out, err = self.run_main("-", stdin=sample_text("bochs_final.log"))
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("report: <stdin>: final exit table", out)

    def test_run_directory_and_engine(self):
        with open(self.out("serial.log"), "w", newline="") as f:
            f.write(sample_text("bochs_final.log"))
        with open(self.out("engine.txt"), "w") as f:
            f.write("bochs\n")
        json_path = self.out("r.json")
        rc, out, _ = self.run_main(self.tmp, "--json", json_path)
        self.assertEqual(rc, 0)
        self.assertIn("; engine bochs", out)
        with open(json_path) as f:
            self.assertEqual(json.load(f)["engine"], "bochs")
        # --engine wins over engine.txt
        rc, out, _ = self.run_main(self.out("serial.log"), "--engine", "qemu-kvm", "-q")
        self.assertEqual((rc, out), (0, ""))

    def test_unwritable_output_is_exit_1_others_written(self):
        blocker = self.out("file")
        open(blocker, "w").close()
        csv_path = self.out("ok.csv")
        rc, _, err = self.run_main(sample_path("bochs_final.log"), "--json",
                                   os.path.join(blocker, "x.json"), "--csv", csv_path)
        self.assertEqual(rc, 1)
        self.assertIn("cannot write", err)
        self.assertTrue(os.path.getsize(csv_path) > 0)

    def test_png_without_matplotlib(self):
        blocked = {m: None for m in ("matplotlib", "matplotlib.figure", "matplotlib.ticker",
                                     "matplotlib.backends", "matplotlib.backends.backend_agg")}
        png, csv_path = self.out("x.png"), self.out("x.csv")
        with mock.patch.dict(sys.modules, blocked):
            rc, out, err = self.run_main(sample_path("bochs_final.log"), "--png", png,
                                         "--csv", csv_path)
        self.assertEqual(rc, 1)
        self.assertIn("python3-matplotlib", err)
        self.assertNotIn("Traceback", err)
        self.assertFalse(os.path.exists(png))
        self.assertTrue(os.path.exists(csv_path))      # the rest is still written
        self.assertIn("CPUID", out)

    def test_help(self):
        p = subprocess.run([sys.executable, REPORT, "--help"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0)
        for word in ("--csv", "--json", "--png", "--engine", "final", "snapshot",
                     "python3-matplotlib", "Exit status"):
            self.assertIn(word, p.stdout)


# --------------------------------------------------------------------------
# report.py: the chart

def _python_with_matplotlib():
    """An interpreter that can import matplotlib, and why not if there is none."""
    if importlib.util.find_spec("matplotlib") is not None:
        return sys.executable, None
    if os.path.exists(report.DEBIAN_PYTHON):
        p = subprocess.run([report.DEBIAN_PYTHON, "-c", "import matplotlib"],
                           capture_output=True, text=True, timeout=120)
        if p.returncode == 0:
            return report.DEBIAN_PYTHON, None
    return None, (f"matplotlib is not importable by {sys.executable} nor by "
                  f"{report.DEBIAN_PYTHON}: install Debian's python3-matplotlib")


def png_info(data):
    """(width, height) of a PNG after checking its signature, every chunk's
    CRC, and that it starts with IHDR and ends with IEND."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("no PNG signature")
    pos, kinds, size = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise AssertionError(f"bad CRC in chunk {kind!r}")
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        pos += 12 + length
    if kinds[0] != b"IHDR" or kinds[-1] != b"IEND" or b"IDAT" not in kinds:
        raise AssertionError(f"bad chunk order {kinds}")
    return size


class Png(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python, cls.why = _python_with_matplotlib()

    def setUp(self):
        if self.python is None:
            print(f"\ntest_report: PNG test skipped: {self.why}", file=sys.stderr)
            self.skipTest(self.why)

    def test_png_written_and_valid(self):
        with tempfile.TemporaryDirectory() as tmp:
            one_row = os.path.join(tmp, "one_row.log")      # snapshot table, 1 row: linear axes
            with open(one_row, "w", newline="") as f:
                f.write(without_final_table(sample_text("bochs_final.log")))
            for src in (sample_path("bochs_final.log"), sample_path("vmx_final_messy.log"), one_row):
                png = os.path.join(tmp, "out", os.path.basename(src) + ".png")
                p = subprocess.run([self.python, REPORT, "-q", "--png", png, src],
                                   capture_output=True, text=True, timeout=300)
                self.assertEqual(p.returncode, 0, f"{src}: {p.stderr}")
                self.assertNotIn("Traceback", p.stderr)
                self.assertGreater(os.path.getsize(png), 1000, src)
                with open(png, "rb") as f:
                    width, height = png_info(f.read())
                self.assertGreaterEqual(width, 800, src)
                self.assertGreater(height, 100, src)
                self.assertFalse([n for n in os.listdir(os.path.dirname(png)) if ".tmp" in n])

    def test_timeline_png_and_exitvisor_table_png(self):
        with tempfile.TemporaryDirectory() as tmp:
            for src in (sample_path("linux_2vcpu_timeline.log"), sample_path("exitvisor_only_2cpu.log")):
                png = os.path.join(tmp, os.path.basename(src) + ".png")
                tpng = os.path.join(tmp, os.path.basename(src) + ".timeline.png")
                p = subprocess.run([self.python, REPORT, "--png", png, "--timeline-png", tpng, src],
                                   capture_output=True, text=True, timeout=300)
                self.assertEqual(p.returncode, 0, f"{src}: {p.stderr}")
                self.assertIn(f"report: wrote {tpng}", p.stdout)
                for path, min_w in ((png, 800), (tpng, 1200)):
                    self.assertGreater(os.path.getsize(path), 10000, path)
                    with open(path, "rb") as f:
                        width, height = png_info(f.read())
                    self.assertGreaterEqual(width, min_w, path)
                    self.assertGreater(height, 300, path)



# --------------------------------------------------------------------------
# report.py: any run (issue 11 part 3): probe, exitvisor-only and Linux logs

def run_report(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = report.main(list(args))
    return rc, out.getvalue(), err.getvalue()


class SourceChoice(unittest.TestCase):
    def test_probe_final_uefi(self):
        c = report.choose_table(exitlog.parse_file(sample_path("bochs_final.log")))
        self.assertEqual((c.source, c.own, c.hv), ("probe-final", None, None))

    def test_probe_snapshot_linux(self):
        log = exitlog.parse_file(sample_path("linux_2vcpu.log"))
        c = report.choose_table(log)
        self.assertEqual((c.source, c.table.line, c.table.total_exits), ("probe-snapshot", 365, 4792))
        later = report.later_hv_table(log, c)
        self.assertEqual((later.context, later.line, later.table.total_exits, later.own_exits),
                         ("power-off", 400, 5457, 2953))

    def test_exitvisor_power_off_when_no_probe(self):
        c = report.choose_table(exitlog.parse_file(sample_path("exitvisor_only_2cpu.log")))
        self.assertEqual((c.kind, c.source, c.table.line, c.own), ("exitvisor", "exitvisor-power-off", 19, 26))
        self.assertIn("the next stage exitvisor started, \\EFI\\exitvisor\\probe.efi, printed none", c.note)
        # rows most exits first, with the shares the probe would print
        self.assertEqual(rows_of(c.table), [
            (10, "CPUID", 1999, 266765, 98.57, 89.47),
            (48, "EPT violation", 23, 13270, 1.13, 4.45),
            (0, "Exception or non-maskable interrupt (NMI)", 3, 970, 0.15, 0.33),
            (18, "VMCALL", 1, 16960, 0.05, 5.69),
            (28, "Control-register accesses", 1, 210, 0.05, 0.07),
            (30, "I/O instruction", 1, 0, 0.05, 0.0)])
        self.assertEqual((c.table.total_exits, c.table.total_cycles, c.warnings), (2028, 298175, []))

    def test_last_exitvisor_table_wins(self):
        text = sample_text("exitvisor_only_2cpu.log")
        c = report.choose_table(exitlog.parse_text(text[:text.index("the guest resets or powers off")]))
        self.assertEqual((c.source, c.table.line, c.table.total_exits, c.own),
                         ("exitvisor-print-stats", 10, 2020, 25))

    def test_nothing_usable(self):
        with self.assertRaisesRegex(exitlog.NoExitTableError,
                                    r"^no exit table in the serial log: .*; looked for the probe's "
                                    r"final table .* and exitvisor's own tables"):
            report.choose_table(exitlog.parse_file(sample_path("crash_triple_fault.log")))

    def test_cut_exitvisor_table_is_named(self):
        text = sample_text("exitvisor_only_linux.log")
        cut = text[:text.index("exitvisor: cpu 1   total")]
        with self.assertRaisesRegex(exitlog.NoExitTableError,
                                    r"exitvisor's table at line 370 is cut off \(7 rows read"):
            report.choose_table(exitlog.parse_text(cut))

    def test_own_attribution(self):
        rows = report.choose_table(exitlog.parse_file(sample_path("exitvisor_only_linux.log"))).table.rows
        self.assertEqual(report.attribute_own(rows, 2953), [0, 48])      # 5 NMI + 2948 EPT
        self.assertEqual(report.attribute_own(rows, 0), [])
        self.assertIsNone(report.attribute_own(rows, 2950))              # no set of rows adds up
        self.assertIsNone(report.attribute_own(rows, None))
        f = report.frequency(rows, 2953)
        self.assertEqual(f["base_exits"], 2504)
        self.assertEqual([(x["name"], x["exits"], x["share"]) for x in f["most"]],
                         [("CPUID", 2497, 99.72), ("RDMSR", 3, 0.12), ("Control-register accesses", 2, 0.08)])
        self.assertEqual([(x["reason"], x["exits"]) for x in f["least"]], [(30, 1), (55, 1)])


class AnyRunCli(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def test_linux_probe_log(self):
        rc, out, err = run_report(sample_path("linux_2vcpu.log"))
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertIn("linux_2vcpu.log: snapshot exit table, line 365", lines[0])
        self.assertIn("report: timeline: none in the log", lines)
        self.assertIn("summary 1 (most/least frequent, snapshot exit table): of all 4,792 exits (the "
                      "table has no own line): most frequent EPT violation 2,678 (55.9 %), CPUID "
                      "2,103 (43.9 %), NMI 5 (0.1 %); least frequent XSETBV 1 (0.02 %)", lines)
        self.assertIn("  the whole run, exitvisor's own power-off table (line 400), of the guest's own "
                      "2,504 exits (total 5,457 - own 2,953; the own count equals the EPT violation + "
                      "NMI rows exactly, taken as exitvisor's): most frequent CPUID 2,497 (99.7 %), "
                      "RDMSR 3 (0.1 %), CR access 2 (0.08 %); least frequent I/O instruction 1 "
                      "(0.04 %), XSETBV 1 (0.04 %)", lines)
        self.assertIn("summary 2 (exits in the run): 4,792 exits from launch to the probe's snapshot "
                      "table (line 365); the whole run, to power-off (exitvisor's table, line 400): "
                      "5,457 exits, 2,953 exitvisor's own, 2,504 the guest's", lines)
        self.assertTrue(any(x.startswith("summary 3 (steady or bursts): not known: the log has no "
                                         "complete timeline") for x in lines), out)

    def test_exitvisor_only_text_and_json(self):
        js = os.path.join(self.tmp, "r.json")
        rc, out, err = run_report(sample_path("exitvisor_only_2cpu.log"), "--json", js)
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertIn("exitvisor_only_2cpu.log: exitvisor's own power-off exit table, line 19: printed "
                      "by exitvisor itself when the guest ended the machine", lines[0])
        self.assertEqual(lines[1], "report: announced by: cpu 0 the guest resets or powers off the "
                                   "machine (OUT 0x53 to port 0x8900); exit table:")
        self.assertEqual(lines[2], "report: not the probe's table: the log has no probe table: the next stage "
                                   "exitvisor started, \\EFI\\exitvisor\\probe.efi, printed none")
        total = lines.index([x for x in lines if x.split()[:1] == ["total"]][0])
        self.assertEqual(lines[total].split(), ["total", "2028", "298175", "100.00", "100.00", "147.0"])
        self.assertEqual(lines[total + 1].split()[-2:], ["26", "14240"])
        self.assertIn("own: of these, caused by exitvisor's own watches", lines[total + 1])
        self.assertEqual(lines[total + 2], "  guest's own exits (total - own): 2002, cycles 283935")
        self.assertIn("summary 2 (exits in the run): 2,028 exits from launch to the guest's power-off "
                      "(exitvisor's table, line 19): 26 exitvisor's own, 2,002 the guest's", lines)
        with open(js) as f:
            d = json.load(f)
        self.assertEqual(d["table_source"]["kind"], "exitvisor-power-off")
        self.assertEqual(d["table_source"]["line"], 19)
        self.assertEqual(d["table"]["kind"], "exitvisor")
        self.assertEqual(d["own"], {"exits": 26, "cycles": 14240, "guest_exits": 2002,
                                    "guest_cycles": 283935})
        self.assertEqual([(t["line"], t["context"], t["exits"], t["own_exits"]) for t in d["exitvisor_tables"]],
                         [(10, "print-stats", 2020, 25), (19, "power-off", 2028, 26)])
        tl = d["timeline"]
        self.assertEqual((tl["block"]["who"], tl["block"]["samples"], tl["block"]["line"],
                          tl["block"]["compactions"], tl["block"]["interval_ticks"]),
                         ("exitvisor", 19, 28, 0, 262144))
        self.assertEqual(tl["final_counts"], {"0": 3, "10": 1999, "18": 1, "28": 1, "30": 1, "48": 23})
        # no bochsrc beside the sample: the timeline's own (wrong for Bochs) 3.5 GHz
        self.assertEqual(tl["tsc_hz"], 3.5e9)
        self.assertTrue(tl["tsc_hz_source"].startswith("the timeline's tsc_hz"))
        self.assertEqual(d["summary"]["frequency"]["own_reasons"], [0, 48])
        self.assertEqual(d["warnings"], [])

    def test_exitvisor_only_linux(self):
        rc, out, err = run_report(sample_path("exitvisor_only_linux.log"))
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("exitvisor's own power-off exit table, line 370", out.splitlines()[0])
        self.assertIn("summary 1 (most/least frequent, exitvisor's own power-off exit table): of the "
                      "guest's own 2,504 exits", out)
        self.assertIn("guest's own exits (total - own): 2504, cycles 533170", out)

    def _run_dir(self, bochsrc=True):
        d = os.path.join(self.tmp, "run")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "serial.log"), "w", newline="") as f:
            f.write(sample_text("exitvisor_only_2cpu.log"))
        if bochsrc:
            with open(os.path.join(d, "bochsrc"), "w") as f:
                f.write("megs: 512\ncpu: model=corei7_skylake_x, count=2, ips=200000000, "
                        "reset_on_triple_fault=0\n")
        return d

    def test_log_is_directory_or_file(self):
        d = self._run_dir()
        for arg in (d, os.path.join(d, "serial.log")):
            rc, out, err = run_report(arg, "--timeline-csv", os.path.join(self.tmp, "t.csv"))
            self.assertEqual((rc, err), (0, ""), arg)
            self.assertIn(f"report: {arg}: exitvisor's own power-off exit table, line 19", out)
            self.assertIn("report: time axis: 200,000,000 TSC ticks per second, from ips=200000000 in "
                          + os.path.join(d, "bochsrc"), out)
            self.assertIn("  timeline: 2,028 exits from launch to power-off at 374.179 ms", out)
        with open(os.path.join(self.tmp, "t.csv"), newline="") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["t_ticks", "t_seconds", "0 Exception or non-maskable interrupt (NMI)",
                                   "10 CPUID", "18 VMCALL", "28 Control-register accesses",
                                   "30 I/O instruction", "48 EPT violation", "total"])
        self.assertEqual(len(rows), 20)
        self.assertEqual(rows[1], ["70", "0.000000", "0", "1", "0", "0", "0", "0", "1"])
        self.assertEqual(rows[9], ["20247985", "0.101240", "0", "1257", "0", "0", "0", "2", "1259"])
        self.assertEqual(rows[-1], ["74833775", "0.374169", "3", "1999", "1", "1", "1", "23", "2028"])

    def test_tsc_hz_option_wins(self):
        rc, out, _ = run_report(self._run_dir(), "--tsc-hz", "1e9")
        self.assertEqual(rc, 0)
        self.assertIn("report: time axis: 1,000,000,000 TSC ticks per second, from --tsc-hz", out)

    def test_no_timeline_outputs_not_written(self):
        png, tcsv = os.path.join(self.tmp, "t.png"), os.path.join(self.tmp, "t.csv")
        rc, out, err = run_report(sample_path("bochs_final.log"), "--timeline-csv", tcsv,
                                  "--timeline-png", png)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn(f"report: no timeline in the log: {tcsv} not written", out)
        self.assertFalse(os.path.exists(tcsv) or os.path.exists(png))

    def test_nothing_usable_is_one_line(self):
        p = subprocess.run([sys.executable, REPORT, sample_path("crash_triple_fault.log"),
                            "--csv", os.path.join(self.tmp, "x.csv")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (2, ""))
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertRegex(p.stderr, r"^report: .*crash_triple_fault\.log: no exit table in the serial "
                                   r"log: .*; looked for the probe's final table \('probe: final exit "
                                   r"table'\), its snapshot table .* and exitvisor's own tables "
                                   r"\('exitvisor: cpu N exit table: \.\.\.', printed at VMCALL "
                                   r"print-stats, power-off, reset\)\n$")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.csv")))


# --------------------------------------------------------------------------
# timeline.py: the contract's format, on synthetic logs

BANNER = "exitvisor: exitvisor 0.1.0 starting: VMX revision 0x2b\n"
BLOCKS = (
    # 1: exvprobe's, complete (line 2)
    "exvprobe: timeline v1 samples=2 capacity=8 interval=100 compactions=0 start_tsc=1000 now=400 tsc_hz=0\n"
    "exvprobe: timeline 0 t=100 10:5\n"
    "exvprobe: timeline 1 t=300 10:9 48:1\n"
    "exvprobe: timeline end samples=2\n"
    # 2: exitvisor's, complete, sample 1 split over two lines (line 6)
    "exitvisor: cpu 1 timeline v1 samples=3 capacity=4 interval=400 compactions=2 start_tsc=1000 now=2500 tsc_hz=3000000000\n"
    "exitvisor: cpu 1 timeline 0 t=50 own=0 10:2\n"
    "exitvisor: cpu 1 timeline 1 t=1000 own=3 10:40 48:3\n"
    "exitvisor: cpu 1 timeline 1 t=1000 own=3 0:1 31:2\n"
    "exitvisor: cpu 1 timeline 2 t=2400 own=4 0:1 10:100 31:2 48:4\n"
    "exitvisor: cpu 1 timeline end samples=3\n"
    # 3: a later one, cut off (line 12)
    "exitvisor: cpu 1 timeline v1 samples=3 capacity=4 interval=400 compactions=2 start_tsc=1000 now=2600 tsc_hz=3000000000\n"
    "exitvisor: cpu 1 timeline 0 t=50 own=0 10:2\n"
    "exitvisor: cpu 1 timeline 1 t=1000 own=3 10:40 48:3\n"
)


class TimelineParsing(unittest.TestCase):
    def test_blocks_merge_and_last_complete_wins(self):
        lines = (BANNER + BLOCKS).splitlines()
        blocks = timeline.parse_blocks(lines)
        self.assertEqual([(b.who, b.line, b.declared, b.complete) for b in blocks],
                         [("exvprobe", 2, 2, True), ("exitvisor", 6, 3, True), ("exitvisor", 12, 3, False)])
        tl, w = timeline.analyse(lines)
        self.assertEqual(w, [])
        b = tl.block
        self.assertEqual((b.line, b.end_line, b.capacity, b.interval, b.compactions, b.start_tsc, b.now,
                          b.tsc_hz), (6, 11, 4, 400, 2, 1000, 2500, 3000000000))
        self.assertEqual([(s.i, s.t, s.counts, s.own) for s in tl.samples],
                         [(0, 50, {10: 2}, 0), (1, 1000, {10: 40, 48: 3, 0: 1, 31: 2}, 3),
                          (2, 2400, {0: 1, 10: 100, 31: 2, 48: 4}, 4)])
        self.assertEqual(tl.warnings, ["the exitvisor timeline block at line 12 (3 samples, interval 400 "
                                       "ticks, 2 compactions) is incomplete (2 of 3 samples, no end "
                                       "line: cut off?): ignored"])
        self.assertIn("the log holds 2 complete timeline blocks; used the last", tl.notes[0])
        self.assertEqual(tl.reasons, [10, 48, 31, 0])
        self.assertTrue(tl.has_own)
        self.assertEqual(tl.hz, 3e9)
        # a block that ends with its end line but lacks samples, or whose end line disagrees
        lines2 = (BANNER + BLOCKS.replace("exitvisor: cpu 1 timeline 2 t=2400 own=4 0:1 10:100 31:2 48:4\n", "")
                  ).splitlines()
        tl2, _ = timeline.analyse(lines2)
        self.assertEqual(tl2.block.who, "exvprobe")
        self.assertIn("is incomplete (2 of 3 samples (first missing: 2)): ignored", tl2.warnings[0])
        lines3 = (BANNER + BLOCKS.replace("exitvisor: cpu 1 timeline end samples=3", "exitvisor: cpu 1 timeline end samples=4")
                  ).splitlines()
        self.assertIn("its end line says 4 samples, its header 3", timeline.analyse(lines3)[0].warnings[0])

    def test_only_incomplete_blocks(self):
        lines = (BANNER + BLOCKS.split("exitvisor: cpu 1 timeline end samples=3\n")[1]).splitlines()
        tl, w = timeline.analyse(lines)
        self.assertIsNone(tl)
        self.assertEqual(len(w), 1)
        self.assertIn("incomplete (2 of 3 samples, no end line: cut off?): ignored", w[0])

    def test_any_prefix_and_garbled_pair(self):
        text = ("[    7.100000] exvprobe: timeline v1 samples=1 capacity=2 interval=10 compactions=0 "
                "start_tsc=5 now=20 tsc_hz=0\n"
                "junk exvprobe: timeline 0 t=15 10:3 48:2[    7.2] spliced\n"
                "exvprobe: timeline end samples=1\n")
        tl, _ = timeline.analyse(text.splitlines())
        self.assertEqual(tl.samples[0].counts, {10: 3})
        self.assertIn("'48:2[' is not reason:count", tl.warnings[0])
        self.assertEqual((tl.hz, tl.hz_source), (None, "none: the time axis is in TSC ticks"))
        self.assertEqual((tl.fmt_unit(), tl.rate_unit()), ("Mticks", "exits/Mtick"))

    def test_sample_repeated_with_another_t(self):
        text = BLOCKS.replace("exitvisor: cpu 1 timeline 1 t=1000 own=3 0:1 31:2",
                              "exitvisor: cpu 1 timeline 1 t=999 own=3 0:1 31:2")
        tl, _ = timeline.analyse(text.splitlines())
        self.assertIn("sample 1 at t=999 but earlier at t=1000: kept the first", tl.warnings[1])
        self.assertEqual(tl.samples[1].counts, {10: 40, 48: 3})


HZ = 200_000_000
T0 = 5_000_000


def linux_text(marks=("init", 2.5), extra="", exv_hz=None):
    """A Linux boot: kernel start 1e9 ticks after launch, the TSC at 200 MHz."""
    def tsc(sec):
        return T0 + 1_000_000_000 + int(sec * HZ)
    out = [BANNER.rstrip(),
           "[    0.000000] Linux version 6.1.0-57-cloud-amd64 (gcc-12)",
           "[    1.000000] smp: Bringing up secondary CPUs ...",
           "[    1.500000] smp: Brought up 1 node, 2 CPUs",
           "[    2.000000] Run /init as init process"]
    for label, sec in zip(marks[::2], marks[1::2]):
        out.append(f"init: spliced text[{sec:12.6f}] exvprobe: mark {label} tsc={tsc(sec)}")
    if exv_hz:
        out.append(f"exvprobe: tsc_hz={exv_hz} (measured against CLOCK_MONOTONIC over 50 ms)")
    out.append(f"exitvisor: cpu 0 timeline v1 samples=5 capacity=512 interval=200000000 compactions=1 "
               f"start_tsc={T0} now=2000000000 tsc_hz=3500000000")
    for i, (t, pairs) in enumerate(((500_000_000, "10:100"), (1_000_000_000, "10:200"),
                                    (1_400_000_000, "10:300 48:50"), (1_700_000_000, "10:1300 48:60"),
                                    (2_000_000_000, "10:1400 48:60"))):
        out.append(f"exitvisor: cpu 0 timeline {i} t={t} {pairs}")
    out.append("exitvisor: cpu 0 timeline end samples=5")
    return "\n".join(out) + "\n" + extra


FOUR_MARKS = ("init", 2.5, "stat-begin:ls", 3.0, "stat-end:ls", 3.5, "timeline", 4.0)


class MarksAndPhases(unittest.TestCase):
    def test_kernel_marks_map_console_lines(self):
        tl, _ = timeline.analyse(linux_text(FOUR_MARKS).splitlines())
        self.assertAlmostEqual(tl.hz, HZ, places=3)
        self.assertEqual(tl.hz_source, "the slope of 4 kernel clock marks (TSC ticks per printk second)")
        self.assertAlmostEqual(tl.printk_map[0], 1e9, delta=1)
        self.assertEqual([(p.label, p.t, p.kind) for p in tl.phases], [
            ("exitvisor launch", 0, "launch"), ("kernel start", 1_000_000_000, "console"),
            ("SMP bring-up", 1_200_000_000, "console"), ("SMP up", 1_300_000_000, "console"),
            ("/init", 1_400_000_000, "console"), ("mark init", 1_500_000_000, "mark"),
            ("mark stat-begin:ls", 1_600_000_000, "mark"), ("mark stat-end:ls", 1_700_000_000, "mark"),
            ("mark timeline", 1_800_000_000, "mark"), ("power-off", 2_000_000_000, "end")])
        self.assertEqual([(s.t0, s.t1, s.label) for s in tl.spans],
                         [(1_600_000_000, 1_700_000_000, "stat ls")])
        self.assertEqual([(m.label, m.printk, m.kind) for m in tl.marks][0], ("init", 2.5, "kernel"))

    def test_phase_stats_bursts_steadiness(self):
        tl, _ = timeline.analyse(linux_text(FOUR_MARKS).splitlines())
        ps = {(p["from"], p["to"]): (p["exits"], p["rate"]) for p in tl.phase_stats()}
        self.assertEqual(ps[("exitvisor launch", "kernel start")], (200, 40.0))      # 200 in 5 s
        # 1010 exits from 1.4e9 to 1.7e9 ticks: 337 of them in each 0.5 s
        self.assertEqual(ps[("/init", "mark init")], (337, 674.0))
        self.assertEqual(ps[("mark stat-begin:ls", "mark stat-end:ls")], (337, 674.0))
        self.assertEqual(ps[("mark timeline", "power-off")], (67, 67.0))
        self.assertEqual(sum(p["exits"] for p in tl.phase_stats()), 1460)
        self.assertEqual(round(tl.total_at(1_600_000_000), 1), 1023.3)
        b = tl.bursts(1)[0]
        self.assertEqual((b["t0"], b["t1"], b["exits"], b["rate"], b["top_reason"], b["top_reason_exits"],
                          b["phase"]), (1_400_000_000, 1_700_000_000, 1010, 673.3, 10, 1000, "mark init"))
        st = tl.steadiness()
        self.assertEqual((st["half_of_exits_in_time_share"], st["verdict"]), (0.1084, "in bursts"))

    def test_one_mark_and_a_frequency(self):
        tl, _ = timeline.analyse(linux_text().splitlines(), tsc_hz=HZ)
        self.assertEqual((tl.hz, tl.hz_source), (HZ, "--tsc-hz"))
        self.assertEqual(tl.printk_map, (1e9, HZ))
        self.assertEqual(tl.printk_map_source, "one kernel mark (init) and the TSC frequency")
        self.assertEqual([p.t for p in tl.phases if p.kind == "console"],
                         [1_000_000_000, 1_200_000_000, 1_300_000_000, 1_400_000_000])

    def test_one_mark_without_frequency_places_no_console_line(self):
        text = linux_text().replace("tsc_hz=3500000000", "tsc_hz=0")
        tl, _ = timeline.analyse(text.splitlines())
        self.assertIsNone(tl.hz)
        self.assertEqual([p.label for p in tl.phases], ["exitvisor launch", "mark init", "power-off"])
        self.assertIn("console line 'kernel start' (line 2) not placed", tl.notes[0])

    def test_frequency_sources_in_order(self):
        d = os.path.join(tempfile.mkdtemp(), "run")
        os.makedirs(d)
        self.addCleanup(lambda: __import__("shutil").rmtree(os.path.dirname(d)))
        with open(os.path.join(d, "bochsrc"), "w") as f:
            f.write("cpu: model=corei7_skylake_x, count=2, ips=150000000\n")

        def source(text, hz=None):
            tl, _ = timeline.analyse(text.splitlines(), d, hz)
            return tl.hz, tl.hz_source.split(" (")[0].split(" in ")[0]
        self.assertEqual(source(linux_text(FOUR_MARKS, exv_hz=199999000), 1e9), (1e9, "--tsc-hz"))
        self.assertEqual(source(linux_text(FOUR_MARKS, exv_hz=199999000)), (199999000, "exvprobe: tsc_hz="))
        self.assertEqual(source(linux_text(FOUR_MARKS))[1], "the slope of 4 kernel clock marks")
        self.assertEqual(source(linux_text()), (150000000, "ips=150000000"))
        os.unlink(os.path.join(d, "bochsrc"))
        self.assertEqual(source(linux_text()), (3.5e9, "the timeline's tsc_hz"))

    def test_probe_marks(self):
        text = linux_text(()).replace("[    0.000000] Linux version", "no kernel") + \
            f"probe: mark loader tsc={T0 + 1000}\nexvprobe: mark nokmsg tsc={T0 + 5000} (no /dev/kmsg: ...)\n"
        tl, _ = timeline.analyse(text.splitlines())
        marks = [(m.label, m.t, m.kind) for m in tl.marks]
        self.assertEqual(marks, [("loader", 1000, "probe"), ("nokmsg", 5000, "exvprobe")])
        self.assertIn(("mark loader", 1000), [(p.label, p.t) for p in tl.phases])

    def test_earlier_boot_marks_ignored(self):
        old = "[    9.000000] exvprobe: mark old tsc=1\n" + BANNER
        tl, _ = timeline.analyse((old + linux_text()).splitlines())
        self.assertEqual([m.label for m in tl.marks], ["init"])


class RealLinuxTimeline(unittest.TestCase):
    """linux_2vcpu_timeline.log: a real 2-vCPU Linux boot with marks and two timeline blocks."""

    @classmethod
    def setUpClass(cls):
        path = sample_path("linux_2vcpu_timeline.log")
        cls.log = exitlog.parse_file(path)
        cls.tl, cls.w = timeline.analyse(cls.log.lines, path)

    def test_block_and_clock(self):
        tl = self.tl
        self.assertEqual(self.w, [])
        self.assertEqual(tl.warnings, [])
        self.assertEqual((tl.block.who, tl.block.line, tl.block.declared, tl.block.compactions,
                          tl.block.interval), ("exitvisor", 850, 479, 3, 2097152))
        self.assertEqual(tl.blocks_seen, 2)
        self.assertEqual((tl.hz, tl.hz_source.split(" (")[0]), (200000000.0, "exvprobe: tsc_hz="))
        self.assertEqual(tl.samples[-1].counts, {0: 6, 10: 11731, 28: 2, 30: 1, 31: 3, 48: 6846, 55: 1})
        self.assertEqual((tl.samples[-1].total, tl.samples[-1].own), (18590, 6852))
        # the timeline ends at the power-off table's totals
        c = report.choose_table(self.log)
        self.assertEqual(report.later_hv_table(self.log, c).table.total_exits, 18590)

    def test_phases(self):
        got = [(p.label, round(p.t / 2e6) / 100) for p in self.tl.phases]     # seconds, 2 digits
        self.assertEqual(got, [
            ("exitvisor launch", 0.0), ("kernel start", 3.87), ("SMP bring-up", 4.8), ("SMP up", 4.9),
            ("/init", 6.9), ("mark init", 6.92), ("mark stat-begin:sh #1", 9.05),
            ("mark stat-end:sh #1", 10.43), ("mark stat-begin:sh #2", 10.53),
            ("mark stat-end:sh #2", 11.01), ("mark stat-begin:/bin/true", 11.12),
            ("mark stat-end:/bin/true", 11.15), ("mark timeline", 11.24), ("power-off", 13.48)])
        self.assertEqual([s.label for s in self.tl.spans], ["stat sh #1", "stat sh #2", "stat /bin/true"])
        # the mark written at /init's start lies 5 ms after the console's "Run /init"
        self.assertEqual(self.tl.phases[5].t - self.tl.phases[4].t, 5082149)

    def test_growth(self):
        ps = {p["from"]: (p["exits"], p.get("guest_exits")) for p in self.tl.phase_stats()}
        self.assertEqual(ps["exitvisor launch"], (1413, 1328))
        self.assertEqual(ps["mark stat-begin:sh #2"], (7370, 6125))     # the I/O-heavy command
        self.assertEqual(ps["mark stat-begin:sh #1"], (514, 95))        # the CPU-bound one
        b = self.tl.bursts(1)[0]
        self.assertEqual((b["exits"], b["top_reason"], b["top_reason_exits"], b["phase"]),
                         (2614, 10, 2598, "mark timeline"))
        self.assertEqual(self.tl.steadiness()["verdict"], "in bursts")

    def test_report_text(self):
        rc, out, err = run_report(sample_path("linux_2vcpu_timeline.log"))
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("linux_2vcpu_timeline.log: snapshot exit table, line 366", out.splitlines()[0])
        self.assertIn("report: kernel console times placed by least squares over 8 kernel marks", out)
        self.assertIn("  timeline: 18,590 exits from launch to power-off at 13.479 s (6,852 exitvisor's "
                      "own, 11,738 the guest's); by then at kernel start 1,413, SMP bring-up 1,620, "
                      "SMP up 1,705, /init 4,033, mark init 4,322, mark timeline 14,286", out)
        self.assertIn("summary 3 (steady or bursts): in bursts: half of the exits came in 3.0 % of the "
                      "time from launch to power-off", out)
        self.assertRegex(out, r"\n    mark stat-begin:sh #2 -> mark stat-end:sh #2 +10\.532 +11\.012 "
                              r"+7,370 +15,354 +6,125 +12,761\n")


if __name__ == "__main__":
    unittest.main()
