"""strip_ansi.py: escape stripping, split escapes in streams, the timeline."""
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import strip_ansi  # noqa: E402


class StripAnsi(unittest.TestCase):
    def test_strips_ovmf_decorations(self):
        raw = "\x1b[2J\x1b[01;01H\x1b[=3hBdsDxe: loading\r\n\x1b[0mexitvisor: hi\r\n"
        self.assertEqual(strip_ansi.strip_ansi(raw), "BdsDxe: loading\nexitvisor: hi\n")

    def test_escape_split_across_chunks(self):
        s = strip_ansi.AnsiStripper()
        self.assertEqual(s.feed("a\x1b[0"), "a")
        self.assertEqual(s.feed("1;01Hb"), "b")
        self.assertEqual(s.flush(), "")


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class TimelineTest(unittest.TestCase):
    def test_complete_lines_get_the_time_they_were_seen(self):
        out, clock = io.StringIO(), FakeClock()
        out.close = lambda: None
        t = strip_ansi.Timeline(out, clock)
        clock.t = 101.25
        t.feed("first line\nsecond ")
        clock.t = 163.0
        t.feed("half\n")
        clock.t = 170.0
        t.feed("no newline at the end")
        t.close()
        self.assertEqual(out.getvalue().splitlines(), [
            "1.2 first line", "63.0 second half", "70.0 no newline at the end"])

    def test_usage_errors(self):
        self.assertEqual(strip_ansi.main(["strip_ansi.py", "--follow"]), 2)
        self.assertEqual(strip_ansi.main(["strip_ansi.py", "--follow", "f", "--timeline"]), 2)
        self.assertEqual(strip_ansi.main(["strip_ansi.py", "--bogus"]), 2)


if __name__ == "__main__":
    unittest.main()
