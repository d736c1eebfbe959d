"""Host tests of tools/install.sh against a fake machine: an efivarfs directory
(files of 4 attribute bytes + data, as efivarfs shows them), a mounts file, a
sysfs block tree and a disk image with an MBR or a GPT. The load options it
writes are decoded here by an independent parser (UEFI 2.x 3.1.3, 10.3.5.1).
Bad input must give one "install: error:" line and change nothing."""
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTALL = os.path.join(ROOT, "tools", "install.sh")
GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
MBR_SIG = 0x1234ABCD
PART_GUID = uuid.UUID("0c3b1a2e-5f4d-4e6a-9b8c-7d6e5f4a3b2c")


def ucs2(text):
    return text.encode("utf-16-le") + b"\0\0"


def hd_node(part, start, size, sig16, mbr_type, sig_type):
    return struct.pack("<BBHIQQ", 4, 1, 42, part, start, size) + sig16 + bytes([mbr_type, sig_type])


def load_option(desc, nodes, optional=b""):
    path = b"".join(nodes) + b"\x7f\xff\x04\x00"
    return struct.pack("<IH", 1, len(path)) + ucs2(desc) + path + optional


def file_node(path):
    data = ucs2(path)
    return struct.pack("<BBH", 4, 4, 4 + len(data)) + data


def parse_load_option(data):
    """(desc, [nodes as (type, subtype, payload)], optional)"""
    attrs, fpl = struct.unpack_from("<IH", data, 0)
    i = 6
    while data[i:i + 2] != b"\0\0":
        i += 2
    desc = data[6:i].decode("utf-16-le")
    i += 2
    end = i + fpl
    nodes = []
    while i < end:
        t, st, ln = struct.unpack_from("<BBH", data, i)
        nodes.append((t, st, data[i + 4:i + ln]))
        i += ln
    return attrs, desc, nodes, data[end:]


class FakeMachine:
    def __init__(self, gpt=False):
        self.root = tempfile.mkdtemp(prefix="exv-install-")
        r = self.root
        self.firmware = os.path.join(r, "firmware")
        self.efivars = os.path.join(self.firmware, "efivars")
        self.esp = os.path.join(r, "esp")
        self.src = os.path.join(r, "src")
        self.mounts = os.path.join(r, "mounts")
        self.sysblock = os.path.join(r, "sys", "class", "block")
        self.dev = os.path.join(r, "dev")
        for d in (self.efivars, self.esp, self.src, self.sysblock, self.dev,
                  os.path.join(r, "sys", "devices", "vda", "vda1"), os.path.join(self.esp, "EFI", "debian")):
            os.makedirs(d, exist_ok=True)
        part = os.path.join(r, "sys", "devices", "vda", "vda1")
        for name, value in (("partition", 1), ("start", 2048), ("size", 129024)):
            with open(os.path.join(part, name), "w") as f:
                f.write(f"{value}\n")
        os.symlink(part, os.path.join(self.sysblock, "vda1"))
        disk = bytearray(64 * 1024)
        if gpt:
            disk[510:512] = b"\x55\xaa"
            disk[512:520] = b"EFI PART"
            struct.pack_into("<Q", disk, 512 + 72, 2)
            struct.pack_into("<I", disk, 512 + 84, 128)
            disk[1024 + 16:1024 + 32] = PART_GUID.bytes_le
            self.sig = (PART_GUID.bytes_le, 2, 2)
        else:
            struct.pack_into("<I", disk, 440, MBR_SIG)
            disk[510:512] = b"\x55\xaa"
            self.sig = (struct.pack("<I", MBR_SIG) + bytes(12), 1, 1)
        with open(os.path.join(self.dev, "vda"), "wb") as f:
            f.write(disk)
        with open(os.path.join(self.esp, "EFI", "debian", "shimx64.efi"), "wb") as f:
            f.write(b"MZ shim")
        with open(os.path.join(self.src, "exitvisor.efi"), "wb") as f:
            f.write(b"MZ exitvisor" + bytes(100))
        self.write_mounts()
        self.hd = hd_node(1, 2048, 129024, *self.sig)
        self.set_var("Boot0000", load_option("UEFI Shell", [file_node(r"\EFI\tools\shell.efi")]))
        self.set_var("Boot0001", load_option("debian", [self.hd, file_node(r"\EFI\debian\shimx64.efi")],
                                             ucs2(r"\EFI\debian\grubx64.efi quiet")[:-2]))
        self.set_var("BootOrder", struct.pack("<HH", 1, 0))
        self.set_var("BootCurrent", struct.pack("<H", 1))

    def write_mounts(self, esp_fs="vfat", esp_opts="rw,relatime", vars_opts="rw,nosuid"):
        with open(self.mounts, "w") as f:
            f.write(f"/dev/vda1 {self.esp} {esp_fs} {esp_opts} 0 0\n")
            f.write(f"efivarfs {self.efivars} efivarfs {vars_opts} 0 0\n")

    def var_file(self, name):
        return os.path.join(self.efivars, f"{name}-{GUID}")

    def set_var(self, name, data):
        with open(self.var_file(name), "wb") as f:
            f.write(b"\x07\0\0\0" + data)

    def var(self, name):
        try:
            with open(self.var_file(name), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        return data[4:]

    def run(self, *args, env_extra=None):
        env = dict(os.environ, EXV_FIRMWARE=self.firmware, EXV_EFIVARS=self.efivars, EXV_MOUNTS=self.mounts,
                   EXV_SYSBLOCK=self.sysblock, EXV_DEV=self.dev)
        env.update(env_extra or {})
        return subprocess.run(["sh", INSTALL, "--esp", self.esp, "--from", self.src, *args],
                              capture_output=True, text=True, env=env, timeout=60)

    def snapshot(self):
        """Every file under the fake machine with its bytes."""
        out = {}
        for d, _dirs, files in os.walk(self.root):
            for name in files:
                p = os.path.join(d, name)
                if not os.path.islink(p):
                    with open(p, "rb") as f:
                        out[os.path.relpath(p, self.root)] = f.read()
            out[os.path.relpath(d, self.root) + "/"] = b""
        return out

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.m = FakeMachine()

    def tearDown(self):
        self.m.close()

    def check_entry(self, m, num):
        attrs, desc, nodes, optional = parse_load_option(m.var(num))
        self.assertEqual(attrs, 1)                              # LOAD_OPTION_ACTIVE
        self.assertEqual(desc, "exitvisor")
        self.assertEqual([(t, st) for t, st, _ in nodes], [(4, 1), (4, 4), (0x7F, 0xFF)])
        self.assertEqual(struct.pack("<BBH", 4, 1, 42) + nodes[0][2], m.hd)
        self.assertEqual(nodes[1][2].decode("utf-16-le"), "\\EFI\\exitvisor\\exitvisor.efi\0")
        self.assertEqual(optional, b"")

    def test_default_arms_next_boot_only(self):
        r = self.m.run()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_entry(self.m, "Boot0002")
        self.assertEqual(self.m.var("BootNext"), struct.pack("<H", 2))
        self.assertEqual(self.m.var("BootOrder"), struct.pack("<HH", 1, 0))   # unchanged
        with open(os.path.join(self.m.esp, "EFI", "exitvisor", "exitvisor.cfg")) as f:
            cfg = f.read().splitlines()
        self.assertIn(r"next=\EFI\debian\shimx64.efi", cfg)
        self.assertIn(r"options=\EFI\debian\grubx64.efi quiet", cfg)
        with open(os.path.join(self.m.esp, "EFI", "exitvisor", "exitvisor.efi"), "rb") as f:
            self.assertTrue(f.read().startswith(b"MZ exitvisor"))
        for expect in ("this OS was started by Boot0001 \"debian\"", "copied ", "wrote ",
                       "added boot entry Boot0002 \"exitvisor\"", "set BootNext=0002", "done:"):
            self.assertIn(expect, r.stdout)
        self.assertFalse([p for p in os.listdir(os.path.join(self.m.esp, "EFI", "exitvisor")) if p.endswith(".undo")])

    def test_gpt_partition_guid(self):
        g = FakeMachine(gpt=True)
        try:
            g.set_var("Boot0001", load_option("debian", [g.hd, file_node(r"\EFI\debian\shimx64.efi")]))
            r = g.run()
            self.assertEqual(r.returncode, 0, r.stderr)
            self.check_entry(g, "Boot0002")
            self.assertEqual(parse_load_option(g.var("Boot0002"))[2][0][2][20:36], PART_GUID.bytes_le)
        finally:
            g.close()

    def test_again_reuses_the_entry(self):
        self.assertEqual(self.m.run().returncode, 0)
        r = self.m.run()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is already there", r.stdout)
        self.assertIsNone(self.m.var("Boot0003"))

    def test_permanent_puts_it_first(self):
        r = self.m.run("--permanent")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.m.var("BootOrder"), struct.pack("<HHH", 2, 1, 0))
        self.assertIsNone(self.m.var("BootNext"))
        self.assertIn("BootOrder is now 0002 0001 0000 (was 0001 0000)", r.stdout)

    def test_booted_through_exitvisor_keeps_next_stage(self):
        self.assertEqual(self.m.run().returncode, 0)
        self.m.set_var("BootCurrent", struct.pack("<H", 2))      # the firmware booted BootNext
        os.remove(self.m.var_file("BootNext"))             # and deleted BootNext
        r = self.m.run("--permanent")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("this OS was started through exitvisor (BootCurrent 0002)", r.stdout)
        with open(os.path.join(self.m.esp, "EFI", "exitvisor", "exitvisor.cfg")) as f:
            cfg = f.read()
        self.assertIn(r"next=\EFI\debian\shimx64.efi", cfg)
        self.assertIn(r"options=\EFI\debian\grubx64.efi quiet", cfg)

    def test_uninstall_restores(self):
        before = self.m.snapshot()
        self.assertEqual(self.m.run("--permanent").returncode, 0)
        self.m.set_var("BootNext", struct.pack("<H", 2))
        r = self.m.run("--uninstall")
        self.assertEqual(r.returncode, 0, r.stderr)
        for expect in ("removed Boot0002 from BootOrder: now 0001 0000", "deleted BootNext",
                       "deleted boot entry Boot0002", "exitvisor is uninstalled"):
            self.assertIn(expect, r.stdout)
        self.assertEqual(self.m.snapshot(), before)

    def test_uninstall_with_nothing_installed(self):
        r = self.m.run("--uninstall")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no boot entry of exitvisor", r.stdout)

    def test_loader_and_options_given(self):
        r = self.m.run("--loader", r"\EFI\debian\shimx64.efi", "--options", "x=1")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.m.esp, "EFI", "exitvisor", "exitvisor.cfg")) as f:
            self.assertIn("options=x=1", f.read())

    def test_failed_step_is_undone(self):
        os.mkdir(self.m.var_file("BootNext"))          # writing BootNext fails
        before = self.m.snapshot()
        r = self.m.run()
        self.assertEqual(r.returncode, 1)
        self.assertIn("install: error: cannot write the UEFI variable BootNext", r.stderr)
        self.assertIn("install: undone:", r.stderr)
        self.assertEqual(self.m.snapshot(), before)


class BadInputTest(unittest.TestCase):
    """Each: exit 1, one line "install: error: ...", nothing changed."""

    def setUp(self):
        self.m = FakeMachine()

    def tearDown(self):
        self.m.close()

    def refused(self, expect, *args, env_extra=None):
        before = self.m.snapshot()
        r = self.m.run(*args, env_extra=env_extra)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("install: error: "), lines[0])
        self.assertIn(expect, lines[0])
        self.assertIn("Nothing was changed", lines[0])
        self.assertEqual(self.m.snapshot(), before)

    def test_esp_not_mounted(self):
        with open(self.m.mounts, "w") as f:
            f.write(f"efivarfs {self.m.efivars} efivarfs rw 0 0\n")
        self.refused("is not a mounted file system")

    def test_esp_not_fat(self):
        self.m.write_mounts(esp_fs="ext4")
        self.refused("is ext4, not FAT (vfat)")

    def test_esp_read_only(self):
        self.m.write_mounts(esp_opts="ro,relatime")
        self.refused("is mounted read-only")

    def test_no_uefi(self):
        self.refused("no UEFI variables: this machine did not boot through UEFI",
                     env_extra={"EXV_FIRMWARE": os.path.join(self.m.root, "nonexistent"),
                                "EXV_EFIVARS": ""})

    def test_variable_store_read_only(self):
        self.m.write_mounts(vars_opts="ro,nosuid")
        self.refused("UEFI variable store")

    def test_loader_not_found(self):
        os.remove(os.path.join(self.m.esp, "EFI", "debian", "shimx64.efi"))
        self.refused(r"the OS loader \EFI\debian\shimx64.efi is not on the ESP")

    def test_given_loader_not_found(self):
        self.refused("is not on the ESP", "--loader", r"\EFI\nowhere\x.efi")

    def test_no_boot_current(self):
        os.remove(self.m.var_file("BootCurrent"))
        self.refused("BootCurrent is missing")

    def test_boot_current_without_file(self):
        self.m.set_var("BootCurrent", struct.pack("<H", 5))
        self.m.set_var("Boot0005", load_option("UEFI QEMU HARDDISK", [struct.pack("<BBH", 1, 1, 6) + b"\x01\x01"]))
        self.refused("names no file")

    def test_exitvisor_missing(self):
        os.remove(os.path.join(self.m.src, "exitvisor.efi"))
        self.refused("exitvisor.efi not found")

    def test_exitvisor_not_efi(self):
        with open(os.path.join(self.m.src, "exitvisor.efi"), "wb") as f:
            f.write(b"#!/bin/sh\n")
        self.refused("is not an EFI program")


if __name__ == "__main__":
    unittest.main()
