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


if __name__ == "__main__":
    unittest.main()
