"""A TestCase base for the checker tests: run a checker's main() on a
temporary run directory (serial.log, optionally bochs.log and status.txt)
and collect its PASS/FAIL lines."""
import contextlib
import io
import os
import tempfile
import unittest


class CheckerCase(unittest.TestCase):
    # Subclasses set: checker_main = staticmethod(module.main), and the
    # arguments used when a test gives none.
    checker_main = None
    default_args = ()

    def run_checker(self, serial, *args, bochs_log=None, status=None):
        """Returns (exit status, {check name: None if passed else why}, output)."""
        with tempfile.TemporaryDirectory() as d:
            for name, content, newline in (("serial.log", serial, ""), ("bochs.log", bochs_log, None),
                                           ("status.txt", None if status is None else status + "\n", None)):
                if content is not None:
                    with open(os.path.join(d, name), "w", newline=newline) as f:
                        f.write(content)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = type(self).checker_main(["--log", d] + list(args or self.default_args))
        text = out.getvalue()
        results = {}
        for line in text.splitlines():
            if line.startswith("PASS "):
                results[line[5:]] = None
            elif line.startswith("FAIL "):
                name, _, why = line[5:].partition(": ")
                results[name] = why
        return rc, results, text

    def assert_failed_exactly(self, results, names):
        failed = sorted(n for n, why in results.items() if why is not None)
        self.assertEqual(failed, sorted(names), results)
