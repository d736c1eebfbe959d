"""tools/check_input.py: which NEXT= files and OPTIONS= texts make refuses, and the one line it prints."""
import contextlib
import io
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_input  # noqa: E402


def pe_image(machine=0x8664, magic=0x20B, subsystem=10, pe_sig=b"PE\0\0", opt_size=240):
    """A minimal PE header: DOS stub with e_lfanew, COFF header, optional header."""
    pe_off = 0x80
    data = bytearray(1024)
    data[0:2] = b"MZ"
    struct.pack_into("<I", data, 0x3C, pe_off)
    data[pe_off:pe_off + 4] = pe_sig
    struct.pack_into("<HHIIIHH", data, pe_off + 4, machine, 1, 0, 0, 0, opt_size, 0x22)
    struct.pack_into("<H", data, pe_off + 24, magic)
    struct.pack_into("<H", data, pe_off + 24 + 68, subsystem)
    return bytes(data)


class EfiProblem(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, data):
        path = os.path.join(self.dir.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_efi_application_passes(self):
        self.assertIsNone(check_input.efi_problem(self.write("app.efi", pe_image())))
        self.assertIsNone(check_input.efi_problem(self.write("APP.EFI", pe_image())), "any case")

    def test_missing_file(self):
        self.assertEqual(check_input.efi_problem(os.path.join(self.dir.name, "missing.efi")), "no such file")

    def test_directory(self):
        os.mkdir(os.path.join(self.dir.name, "d.efi"))
        self.assertIn("directory", check_input.efi_problem(os.path.join(self.dir.name, "d.efi")))

    def test_name_must_end_in_efi(self):
        self.assertIn("end in .efi", check_input.efi_problem(self.write("app.bin", pe_image())))
        self.assertIn("end in .efi", check_input.efi_problem(self.write(".efi", pe_image())))

    def test_text_file(self):
        why = check_input.efi_problem(self.write("notes.efi", "just some text, ünïcode too\n".encode()))
        self.assertIn("no MZ signature", why)
        self.assertIn("a text file", why)

    def test_elf_and_empty(self):
        self.assertIn("ELF", check_input.efi_problem(self.write("a.efi", b"\x7fELF" + bytes(100))))
        self.assertIn("empty", check_input.efi_problem(self.write("e.efi", b"")))

    def test_mz_without_pe(self):
        self.assertIn("no PE signature", check_input.efi_problem(self.write("dos.efi", pe_image(pe_sig=b"NE\0\0"))))
        # e_lfanew pointing past the end of the file
        data = bytearray(pe_image())
        struct.pack_into("<I", data, 0x3C, 0xFFFFFF)
        self.assertIn("no PE signature", check_input.efi_problem(self.write("far.efi", bytes(data))))

    def test_wrong_machine(self):
        why = check_input.efi_problem(self.write("arm.efi", pe_image(machine=0xAA64)))
        self.assertIn("0xaa64 (AArch64)", why)
        self.assertIn("x86-64 (0x8664)", why)
        self.assertIn("i386", check_input.efi_problem(self.write("ia32.efi", pe_image(machine=0x14C))))

    def test_pe32_not_plus(self):
        self.assertIn("not PE32+", check_input.efi_problem(self.write("pe32.efi", pe_image(magic=0x10B))))

    def test_driver_is_not_an_application(self):
        why = check_input.efi_problem(self.write("drv.efi", pe_image(subsystem=11)))
        self.assertIn("subsystem 11 (EFI boot service driver)", why)
        self.assertIn("not an EFI application (10)", why)
        self.assertIn("Windows console", check_input.efi_problem(self.write("w.efi", pe_image(subsystem=3))))

    def test_short_optional_header(self):
        self.assertIn("too short", check_input.efi_problem(self.write("s.efi", pe_image(opt_size=16))))

    def test_real_build_output_if_present(self):
        """The probe built by make (any BUILD directory) is an EFI application."""
        repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        for build in ("build", "build-badinput"):
            probe = os.path.join(repo, build, "probe.efi")
            if os.path.exists(probe):
                self.assertIsNone(check_input.efi_problem(probe), probe)


class OptionsProblem(unittest.TestCase):
    def test_limits_from_next_stage_h(self):
        self.assertEqual(check_input.OPTIONS_MAX_CHARS, 4095)
        self.assertEqual(check_input.PATH_MAX_CHARS, 255)

    def test_lengths(self):
        self.assertIsNone(check_input.options_problem(""))
        self.assertIsNone(check_input.options_problem("x" * 2048), "a Linux command line fits")
        self.assertIsNone(check_input.options_problem("x" * 4095))
        self.assertIn("at most 4095", check_input.options_problem("x" * 4096))

    def test_ascii_only(self):
        self.assertIn("printable ASCII", check_input.options_problem("a\nb"))
        self.assertIn("printable ASCII", check_input.options_problem("naïve"))


class CommandLine(unittest.TestCase):
    def run_main(self, *argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = check_input.main(list(argv))
        return rc, err.getvalue()

    def test_one_line_and_status(self):
        rc, err = self.run_main("--who", "run", "--next", "/nonexistent/missing.efi")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "run: error: NEXT=/nonexistent/missing.efi: no such file\n")

    def test_options_line_is_shortened(self):
        rc, err = self.run_main("--who", "disk", "--options=" + "o" * 5000)
        self.assertEqual(rc, 1)
        self.assertEqual(err.count("\n"), 1)
        self.assertTrue(err.startswith("disk: error: OPTIONS=" + "o" * 40 + "...: 5000 characters"), err)

    def test_empty_next_and_good_options_pass(self):
        self.assertEqual(self.run_main("--next=", "--options=--poweroff"), (0, ""))


if __name__ == "__main__":
    unittest.main()
