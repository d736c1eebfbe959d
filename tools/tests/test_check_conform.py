#!/usr/bin/env python3
"""Tests of tools/tests/check_conform.py on sample serial logs: a good boot of
the conformance guest passes every check, and each broken variant fails
exactly the checks it should.

GOOD is a real boot (Bochs, 2 vCPUs, guest/conform.c) kept verbatim (ANSI
escapes and CRLF line ends included). The exitvisor of that boot carried a
fix for a bug the suite found (root mode executed the guest's XSETBV with
the firmware's CR4, whose OSXSAVE is 0, so every valid XSETBV got #GP);
XSETBV_BUG is the same log with the two lines and the summary the same boot
printed without the fix. The four guest-visible lines (OBSERVE faults/nmi and
their PASS lines) are inserted from a later real boot (conform-2cpu of
make test), with the summary's count raised by their two PASS lines. The
microcode, MTRR and xAPIC-move lines (exitvisor's and the guest's, seven
PASS lines) are inserted from a real conform-2cpu boot of the commit that
added them, the summary raised to match. Every other broken variant is GOOD with one fact
changed, written next to its assertion.
Run: python3 -m unittest discover -s tools/tests
"""
import contextlib
import io
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import check_conform  # noqa: E402
from checker_case import CheckerCase  # noqa: E402

CHECK_NAMES = ["serial-log"] + [name for name, _ in check_conform.CHECKS]

# A verbatim serial log: its lines are kept whole, however long.
GOOD = (
    "\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01H\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001 \"UEFI Generic 1234 BXHD00011 \" from PciRoot(0x0)/Pci(0x1,0x1)/Ata(Primary,Master,0x0)\r\n"
    "BdsDxe: starting Boot0001 \"UEFI Generic 1234 BXHD00011 \" from PciRoot(0x0)/Pci(0x1,0x1)/Ata(Primary,Master,0x0)\r\n"
    "exitvisor: exitvisor 0.1.0 starting: VMX revision 0x2b, EPT yes, VPID yes, unrestricted-guest yes, wait-for-SIPI yes, true-controls yes\r\n"
    "exitvisor: cpu 1 apic 1 launched\r\n"
    "exitvisor: cpu 0 apic 0 launched\r\n"
    "exitvisor: 2 of 2 cpus launched\r\n"
    "exitvisor: next stage \\EFI\\exitvisor\\conform.efi options \"--poweroff\" (from config file)\r\n"
    "conform: exitvisor signature found, ABI 1, 2 vCPUs\r\n"
    "conform: PASS signature max-leaf=0x40000003 abi=1 vcpus=2\r\n"
    "conform: PASS cpuid-1-features ecx=0xF7FAF39F\r\n"
    "conform: PASS reason-map possible=27 impossible=49 undefined=4\r\n"
    "conform: possible-reasons 0 2 3 4 9 10 13 18 19 20 21 22 23 24 25 26 27 28 31 32 33 41 48 49 50 53 55\r\n"
    "conform: PASS exception-handlers idt=0x1F259018 limit=0xFFF #UD was 0x1F23208C #GP was 0x1F23210A\r\n"
    "conform: OBSERVE faults ud=1 gp=1 rf-clear=0\r\n"
    "conform: PASS guest-faults-rf ud=1 gp=1 rf-clear=0\r\n"
    "exitvisor: cpu 0 the guest's microcode update (revision 0x45584954, 2048 bytes at physical 0x1daa3000) was loaded from VMX root operation: the CPU's revision went from 0x0 to 0x0 (the CPU did not take it)\r\n"
    "conform: OBSERVE microcode faults=0 revision-before=0x0 revision-after=0x0\r\n"
    "conform: PASS microcode-load faults=0 revision=0x0\r\n"
    "conform: OBSERVE nmi self=1 nested-inside=1 nested-after-iret=2 max-depth=1 next=1\r\n"
    "conform: PASS guest-nmi self=1 nested-inside=1 nested-after-iret=2 max-depth=1 next=1\r\n"
    "conform: PASS exit-10-cpuid reason=10 n=100 count=+102 total=+105 cycles=+16945 faults=0\r\n"
    "conform: PASS exit-13-invd reason=13 n=100 count=+100 total=+105 cycles=+11500 faults=0\r\n"
    "conform: PASS exit-18-vmcall-ping reason=18 n=100 count=+100 total=+105 cycles=+14400 faults=0\r\n"
    "conform: PASS exit-18-vmcall-garbage reason=18 n=100 count=+100 total=+105 cycles=+14400 faults=0\r\n"
    "conform: PASS exit-19-vmclear reason=19 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-20-vmlaunch reason=20 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-21-vmptrld reason=21 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-22-vmptrst reason=22 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-23-vmread reason=23 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-24-vmresume reason=24 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-25-vmwrite reason=25 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-26-vmxoff reason=26 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-27-vmxon reason=27 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-50-invept reason=50 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS exit-53-invvpid reason=53 n=100 count=+100 total=+105 cycles=+9500 faults=100\r\n"
    "conform: PASS no-exit-11-getsec reason=11 n=100 count=+0 total=+5 cycles=+0 faults=100\r\n"
    "conform: PASS exit-28-cr4-vmxe reason=28 n=100 count=+100 total=+105 cycles=+15200 faults=100\r\n"
    "conform: PASS exit-28-cr4-smxe reason=28 n=100 count=+100 total=+105 cycles=+15200 faults=100\r\n"
    "conform: PASS exit-28-cr0-ne reason=28 n=50 count=+100 total=+105 cycles=+26000 faults=0\r\n"
    "conform: PASS exit-31-rdmsr-feature-control reason=31 n=100 count=+100 total=+105 cycles=+15295 faults=0\r\n"
    "conform: PASS exit-31-rdmsr-vmx-basic reason=31 n=100 count=+100 total=+105 cycles=+11500 faults=100\r\n"
    "conform: PASS exit-31-rdmsr-vmx-all reason=31 n=95 count=+95 total=+100 cycles=+11020 faults=95\r\n"
    "conform: PASS exit-32-wrmsr-feature-control reason=32 n=100 count=+100 total=+105 cycles=+12300 faults=100\r\n"
    "conform: PASS exit-32-wrmsr-vmx-basic reason=32 n=100 count=+100 total=+105 cycles=+12600 faults=100\r\n"
    "conform: PASS exit-32-wrmsr-vmx-all reason=32 n=95 count=+95 total=+100 cycles=+11970 faults=95\r\n"
    "conform: PASS no-exit-31-rdmsr-apic-base reason=31 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS wrmsr-efer-reserved-bit reason=32 n=100 count=+0 total=+5 cycles=+0 faults=100\r\n"
    "conform: PASS exit-32-wrmsr-mtrr-def-type reason=32 n=100 count=+100 total=+105 cycles=+204500 faults=0\r\n"
    "exitvisor: cpu 0 the guest's MTRRs changed (WRMSR 0x205, MTRRs on): the EPT follows them: 1 EPT entries retyped, 0 large pages split\r\n"
    "exitvisor: cpu 0 the guest's MTRRs changed (WRMSR 0x205, MTRRs on): the EPT follows them: 1 EPT entries retyped, 0 large pages split\r\n"
    "exitvisor: cpu 0 the guest's MTRRs changed (WRMSR 0x205, MTRRs on): the EPT follows them: 1 EPT entries retyped, 0 large pages split\r\n"
    "exitvisor: cpu 0 the guest's MTRRs changed (WRMSR 0x205, MTRRs on): the EPT follows them: 1 EPT entries retyped, 0 large pages split\r\n"
    "conform: PASS exit-32-wrmsr-mtrr-variable reason=32 n=2 count=+8 total=+13 cycles=+3496035 faults=0\r\n"
    "exitvisor: cpu 0 the guest's microcode update (revision 0x45584954, 2048 bytes at physical 0x1daa3000) was loaded from VMX root operation: the CPU's revision went from 0x0 to 0x0 (the CPU did not take it)\r\n"
    "exitvisor: cpu 0 the guest's microcode update (revision 0x45584954, 2048 bytes at physical 0x1daa3000) was loaded from VMX root operation: the CPU's revision went from 0x0 to 0x0 (the CPU did not take it)\r\n"
    "conform: PASS exit-32-wrmsr-microcode reason=32 n=2 count=+2 total=+7 cycles=+3810 faults=0\r\n"
    "conform: PASS cr4-osxsave-on cr4=0x40668\r\n"
    "conform: PASS exit-55-xsetbv-current reason=55 n=100 count=+100 total=+105 cycles=+19900 faults=0\r\n"
    "conform: PASS exit-55-xsetbv-change reason=55 n=50 count=+100 total=+105 cycles=+19900 faults=0\r\n"
    "conform: PASS exit-55-xsetbv-no-x87 reason=55 n=100 count=+100 total=+105 cycles=+15100 faults=100\r\n"
    "conform: PASS exit-55-xsetbv-avx-no-sse reason=55 n=100 count=+100 total=+105 cycles=+15500 faults=100\r\n"
    "conform: PASS exit-55-xsetbv-unsupported reason=55 n=100 count=+100 total=+105 cycles=+14900 faults=100\r\n"
    "conform: PASS exit-55-xsetbv-ecx1 reason=55 n=100 count=+100 total=+105 cycles=+13600 faults=100\r\n"
    "conform: xsetbv xcr0=0x1 supported=0xE7 unsupported-bit=0x8\r\n"
    "conform: PASS cr4-osxsave-restored cr4=0x668\r\n"
    "conform: PASS exit-48-apic-tpr-store reason=48 n=100 count=+100 total=+105 cycles=+200300 faults=0\r\n"
    "exitvisor: cpu 0 the guest moved its xAPIC from 0xfee00000 to 0xfea00000: EPT write-protects the new page (1 large pages split, 31 of 32 reserve pages left)\r\n"
    "conform: PASS exit-48-apic-tpr-store-moved reason=48 n=100 count=+100 total=+105 cycles=+61500 faults=0\r\n"
    "exitvisor: cpu 0 the guest moved its xAPIC from 0xfea00000 to 0xfee00000: EPT write-protects the new page (0 large pages split, 31 of 32 reserve pages left), the old one is writable again\r\n"
    "conform: PASS exit-48-apic-tpr-store-back reason=48 n=100 count=+100 total=+105 cycles=+61500 faults=0\r\n"
    "conform: PASS no-exit-48-former-apic-page reason=48 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-54-wbinvd reason=54 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-16-rdtsc reason=16 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-51-rdtscp reason=51 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-14-invlpg reason=14 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-40-pause reason=40 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-29-mov-dr reason=29 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-30-in reason=30 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-46-sgdt reason=46 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-47-sldt reason=47 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-57-rdrand reason=57 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-61-rdseed reason=61 n=100 count=+0 total=+5 cycles=+0 faults=0\r\n"
    "conform: PASS no-exit-59-vmfunc reason=59 n=100 count=+0 total=+5 cycles=+0 faults=100\r\n"
    "conform: SKIP 0 NMI: only as vCPU kicks (hv/guest/ipi.c; the exception bitmap is empty), and an NMI the guest sent would reach the firmware's NMI handler\r\n"
    "conform: SKIP 2 triple fault: it resets the platform, so it needs a boot of its own\r\n"
    "conform: SKIP 3 INIT: vCPU-to-vCPU INIT/SIPI are delivered virtually (hv/guest/ipi.c, no INIT exit); a real INIT only comes from outside the guest\r\n"
    "conform: SKIP 4 SIPI: follows a real INIT only; vCPU-to-vCPU INIT/SIPI are delivered virtually\r\n"
    "conform: SKIP 9 task switch: no hardware task switch in 64-bit mode (a far CALL/JMP to a TSS or IRET with NT = 1 raises #GP)\r\n"
    "conform: SKIP 33 VM-entry failure (invalid guest state): a hypervisor bug, no guest action causes it\r\n"
    "conform: SKIP 41 VM-entry failure (machine check): needs a hardware machine check\r\n"
    "conform: SKIP 49 EPT misconfiguration: a hypervisor bug (a malformed EPT entry)\r\n"
    "conform: PASS reason-coverage\r\n"
    "conform: PASS leaf-sweep selectors=321 answers=963 mismatches=0\r\n"
    "conform: PASS leaf-sweep-consistency total=+964 (3 x 321 selectors + 1) total-selector-at=256\r\n"
    "conform: PASS concurrency vcpus=2 m=2000 mode=non-blocking cpuid=+4027 (2 x 2000 + 27 reads) total=+4055 (+55 reads) other-exits=0\r\n"
    "conform: hv-memory range 0 base=0x1F839000 pages=33 kind=1\r\n"
    "conform: hv-memory range 1 base=0x1DC6D000 pages=1342 kind=2\r\n"
    "conform: hv-memory range 2 base=0x1DC6F000 pages=22 kind=3\r\n"
    "conform: PASS hv-memory-ranges ranges=3\r\n"
    "exitvisor: cpu 0 guest access to hypervisor memory at 0x1dc6f000 (rip 0x1dc37ec4): #GP\r\n"
    "exitvisor: cpu 0 guest access to hypervisor memory at 0x1f839000 (rip 0x1dc37f07): #GP\r\n"
    "conform: PASS hv-memory-write-counters address=0x1DC6F000 gp=1\r\n"
    "conform: PASS hv-memory-read-code address=0x1F839000 gp=1\r\n"
    "conform: hv-memory exits: reason 48 +2\r\n"
    "conform: PASS hv-memory-counts cpuid=+54 total=+111 other-exits=2\r\n"
    "conform: PASS final-signature vcpus=2\r\n"
    "conform: PASS final-exit-10-cpuid reason=10 n=1000 count=+1002 total=+1005 cycles=+164545 faults=0\r\n"
    "conform: 71 passed, 0 failed\r\n"
    "conform: --poweroff: ending the emulator\r\n"
)

# The two lines the same boot printed without the fix (exitvisor as in the tree), and its summary.
XSETBV_LINES = [
    ("conform: PASS exit-55-xsetbv-current reason=55 n=100 count=+100 total=+105 cycles=+19900 faults=0\r\n",
     "conform: FAIL exit-55-xsetbv-current: 0 #UD and 100 #GP, expected no exception [reason=55 n=100 count=+100 total=+105 cycles=+26500 faults=100]\r\n"),
    ("conform: PASS exit-55-xsetbv-change reason=55 n=50 count=+100 total=+105 cycles=+19900 faults=0\r\n",
     "conform: FAIL exit-55-xsetbv-change: 0 #UD and 100 #GP, expected no exception; 50 of 50 operations gave a wrong result [reason=55 n=50 count=+100 total=+105 cycles=+26400 faults=100]\r\n"),
]


def edit(text, old, new, count=1):
    """Replace exactly `count` occurrences (guards against a silent no-op)."""
    assert text.count(old) == count, (old, text.count(old))
    return text.replace(old, new)


XSETBV_BUG = GOOD
for _good_line, _bug_line in XSETBV_LINES:
    XSETBV_BUG = edit(XSETBV_BUG, _good_line, _bug_line)
XSETBV_BUG = edit(XSETBV_BUG, "conform: 71 passed, 0 failed", "conform: 69 passed, 2 failed")


class ConformCase(CheckerCase):
    checker_main = staticmethod(check_conform.main)
    default_args = ("--expect-cpus", "2")

    def check(self, serial, expect_failed, *args, why=None):
        rc, results, text = self.run_checker(serial, *args)
        self.assertEqual(rc, 1, text)
        self.assert_failed_exactly(results, expect_failed)
        self.assertRegex(text.splitlines()[-1], r"^\d+ passed, [1-9]\d* failed$")
        if why is not None:
            self.assertIn(why, results[expect_failed[0]])
        return text


class Good(ConformCase):
    def test_good_boot_passes_everything(self):
        rc, results, text = self.run_checker(GOOD)
        self.assertEqual(rc, 0, text)
        self.assertEqual(list(results), CHECK_NAMES)
        self.assert_failed_exactly(results, [])
        self.assertTrue(text.rstrip().endswith(f"{len(CHECK_NAMES)} passed, 0 failed"))
        self.assertNotIn("--- serial log", text)

    def test_skip_lines_are_repeated_as_info(self):
        rc, _, text = self.run_checker(GOOD)
        self.assertEqual(rc, 0)
        self.assertIn("info: guest SKIP 2 triple fault:", text)
        # SKIP lines are not checks: they count neither as passed nor as failed
        self.assertEqual(len(re.findall(r"^(PASS|FAIL) ", text, re.M)), len(CHECK_NAMES))

    def test_hv_memory_leaf_without_ranges_is_a_skip(self):
        # before the hypervisor publishes leaf 0x40000003 the guest skips those checks
        serial = re.sub(r"conform: (hv-memory|PASS hv-memory)[^\n]*\n", "", GOOD)
        serial = re.sub(r"exitvisor: cpu 0 guest access to hypervisor memory[^\n]*\n", "", serial)
        serial = edit(serial, "conform: PASS final-signature",
                      "conform: SKIP hv-memory leaf 0x40000003 reports no ranges\r\nconform: PASS final-signature")
        serial = edit(serial, "71 passed", "67 passed")
        rc, _, text = self.run_checker(serial)
        self.assertEqual(rc, 0, text)
        self.assertIn("info: guest SKIP hv-memory leaf 0x40000003 reports no ranges", text)

    def test_run_status_ended_passes(self):
        rc, results, _ = self.run_checker(GOOD, status="ended 33 bochs shutdown port 0x8900")
        self.assertEqual(rc, 0)
        self.assertIsNone(results["run-status"])

    def test_parse(self):
        log = check_conform.parse_text(GOOD)
        self.assertEqual(log.summary, (71, 0))
        self.assertEqual(log.pass_lines, 71)
        self.assertEqual(log.observed["nmi"], "self=1 nested-inside=1 nested-after-iret=2 max-depth=1 next=1")
        self.assertEqual(log.observed["faults"], "ud=1 gp=1 rf-clear=0")
        self.assertEqual(log.started, (1, 2))
        self.assertEqual(log.failed, [])
        self.assertIn("vcpus=2", log.passed["concurrency"])
        self.assertEqual(len(log.skips), 8)
        self.assertEqual(log.hv_bad, [])

    def test_required_names_are_printed_by_the_guest(self):
        # The checker's list and guest/conform.c must agree on the names.
        with open(os.path.join(REPO, "guest", "conform.c")) as f:
            source = f.read()
        for name in check_conform.REQUIRED:
            self.assertIn(f'"{name}"', source, name)

    def test_spliced_lines(self):
        # the hypervisor's UART writes can land in the middle of a guest line
        serial = edit(GOOD, "conform: PASS exit-13-invd ",
                      "exitvisor: cpu 1 apic 1 launchedconform: PASS exit-13-invd ")
        self.assertEqual(self.run_checker(serial)[0], 0)
        serial = edit(GOOD, "conform: PASS leaf-sweep ",
                      "conform: PASS leaf-sweep-pre xexitvisor: cpu 1 STOPPED: boomconform: PASS leaf-sweep ")
        serial = edit(serial, "71 passed", "72 passed")
        self.check(serial, ["no-fatal"], why="cpu 1 STOPPED: boom")

    def test_summary_without_final_newline(self):
        cut = GOOD[:GOOD.index("conform: 71 passed, 0 failed") + len("conform: 71 passed, 0 failed")]
        self.assertEqual(self.run_checker(cut)[0], 0)


class Broken(ConformCase):
    def test_boot_with_the_xsetbv_bug(self):
        text = self.check(XSETBV_BUG, ["conform-no-fail", "conform-summary"],
                          why="2 FAIL line(s): exit-55-xsetbv-current: 0 #UD and 100 #GP")
        self.assertIn("the guest reports 2 failed", text)
        self.assertIn("--- serial log", text)
        self.assertIn("conform: FAIL exit-55-xsetbv-current", text)

    def test_init_sipi_mode(self):
        # The mode line as exitvisor prints it (hv/launch.c), after the banner.
        line = ("exitvisor: INIT/SIPI: init_sipi=intercept (for CPUs that keep INIT pending after an INIT VM "
                "exit, e.g. Bochs 2.7): APIC-page stores and x2APIC ICR writes exit, NMIs kick vCPUs; these are "
                "its own exits\r\n")
        with_line = edit(GOOD, "exitvisor: cpu 1 apic 1 launched\r\n", line + "exitvisor: cpu 1 apic 1 launched\r\n")
        rc, results, _ = self.run_checker(with_line, "--expect-cpus", "2", "--expect-init-sipi", "intercept")
        self.assertIsNone(results["init-sipi-mode"])
        self.check(with_line, ["init-sipi-mode"], "--expect-cpus", "2", "--expect-init-sipi", "native",
                   why="the hypervisor ran with init_sipi=intercept, expected native")
        self.check(GOOD, ["init-sipi-mode"], "--expect-cpus", "2", "--expect-init-sipi", "native",
                   why="no 'exitvisor: INIT/SIPI: ...' line")

    def test_wrong_cpu_count(self):
        self.check(GOOD, ["cpus-launched", "conform-started", "conform-concurrency"], "--expect-cpus", "4")

    def test_guest_stopped_midway(self):
        # the log ends after the leaf sweep: no concurrency, no final checks, no summary
        cut = GOOD[:GOOD.index("conform: PASS concurrency")]
        self.check(cut, ["conform-summary", "conform-required", "conform-concurrency"],
                   why="no 'conform: N passed, M failed' line")

    def test_cut_summary_line(self):
        cut = GOOD[:GOOD.index("conform: 71 passed, 0 failed") + len("conform: 71 passed, 0 fai")]
        self.check(cut, ["conform-summary"])

    def test_summary_disagrees_with_pass_lines(self):
        self.check(edit(GOOD, "71 passed, 0 failed", "70 passed, 0 failed"), ["conform-summary"],
                   why="reports 70 passed but printed 71 PASS lines")

    def test_fail_line_with_zero_failed_summary(self):
        serial = edit(XSETBV_BUG, "69 passed, 2 failed", "69 passed, 0 failed")
        self.check(serial, ["conform-no-fail", "conform-summary"])

    def test_required_check_missing(self):
        # the leaf sweep lost (a suite that quietly stopped running it)
        serial = re.sub(r"conform: PASS leaf-sweep selectors=[^\n]*\n", "", GOOD)
        serial = edit(serial, "71 passed", "70 passed")
        self.check(serial, ["conform-required"], why="no PASS line for leaf-sweep")

    def test_microcode_load_not_done_in_root(self):
        # exitvisor printed one load line fewer than the three loads the guest made
        line = re.search(r"exitvisor: cpu 0 the guest's microcode update [^\n]*\n", GOOD).group(0)
        serial = GOOD.replace(line, "", 1)
        self.check(serial, ["microcode-from-root"], why="2 'exitvisor: ... microcode update")

    def test_mtrr_change_not_followed(self):
        line = re.search(r"exitvisor: cpu 0 the guest's MTRRs changed [^\n]*\n", GOOD).group(0)
        self.check(GOOD.replace(line, "", 1), ["mtrr-followed"], why="3 'exitvisor: ... the guest's MTRRs changed")

    def test_mtrr_change_put_down_to_the_wrong_msr(self):
        serial = edit(GOOD, "MTRRs changed (WRMSR 0x205,", "MTRRs changed (WRMSR 0x2ff,", count=4)
        self.check(serial, ["mtrr-followed"], why="0x2ff")

    def test_apic_move_not_followed(self):
        serial = edit(GOOD, "31 of 32 reserve pages left), the old one is writable again",
                      "31 of 32 reserve pages left)")
        self.check(serial, ["apic-move-followed"], why="did not make the page the xAPIC left writable")

    def test_apic_move_line_missing(self):
        line = re.search(r"exitvisor: cpu 0 the guest moved its xAPIC [^\n]*\n", GOOD).group(0)
        self.check(GOOD.replace(line, "", 1), ["apic-move-followed"], why="1 'exitvisor: ... moved its xAPIC")

    def test_concurrency_on_fewer_vcpus(self):
        self.check(edit(GOOD, "concurrency vcpus=2 ", "concurrency vcpus=1 "), ["conform-concurrency"],
                   why="ran on 1 vCPUs, expected 2")

    def test_hypervisor_stopped_a_cpu(self):
        serial = edit(GOOD, "exitvisor: 2 of 2 cpus launched\r\n",
                      "exitvisor: 2 of 2 cpus launched\r\nexitvisor: cpu 1 STOPPED: VMRESUME failed\r\n")
        self.check(serial, ["no-fatal"], why="cpu 1 STOPPED: VMRESUME failed")

    def test_fatal_line(self):
        serial = edit(GOOD, "exitvisor: 2 of 2 cpus launched\r\n",
                      "exitvisor: 2 of 2 cpus launched\r\nexitvisor: cpu 0 FATAL: exception #PF (vector 14) "
                      "in VMX root mode, error code 0x0\r\n")
        self.check(serial, ["no-fatal"], why="cpu 0 FATAL: exception #PF")

    def test_unexpected_exit_line(self):
        serial = edit(GOOD, "exitvisor: 2 of 2 cpus launched\r\n",
                      "exitvisor: 2 of 2 cpus launched\r\nexitvisor: cpu 0 unexpected exit (its control is off): "
                      "exit reason 12 (HLT), qualification 0x0, guest rip 0x1234\r\n")
        self.check(serial, ["no-fatal"], why="unexpected exit")

    def test_blocked_access_lines_are_not_fatal(self):
        # the hypervisor logs each blocked access to its memory: expected here
        self.assertIn("guest access to hypervisor memory", GOOD)
        self.assertEqual(self.run_checker(GOOD)[0], 0)

    def test_no_signature(self):
        serial = GOOD[:GOOD.index("conform: exitvisor signature found")]
        serial += ("conform: FAIL signature: no exitvisor signature at CPUID 0x40000000 (bare metal or "
                   "another hypervisor)\r\nconform: 0 passed, 1 failed\r\n")
        self.check(serial, ["conform-started", "conform-no-fail", "conform-summary", "conform-required",
                            "conform-concurrency"], why="the guest found no exitvisor signature")

    def test_guest_never_ran(self):
        serial = GOOD[:GOOD.index("conform: exitvisor signature found")]
        self.check(serial, ["conform-started", "conform-summary", "conform-required", "conform-concurrency"],
                   why="no 'conform: ' line at all")

    def test_vcpus_leaf_wrong(self):
        self.check(edit(GOOD, "ABI 1, 2 vCPUs", "ABI 1, 1 vCPUs"), ["conform-started"],
                   why="leaf 0x40000001 reports 1 vCPUs, expected 2")

    def test_cpu_not_launched(self):
        serial = edit(GOOD, "exitvisor: cpu 1 apic 1 launched\r\n", "")
        serial = edit(serial, "2 of 2 cpus launched", "1 of 2 cpus launched")
        self.check(serial, ["cpus-launched"], why="for cpu 1")

    def test_novmx(self):
        serial = edit(GOOD, "exitvisor: 2 of 2 cpus launched\r\n",
                      "exitvisor: 2 of 2 cpus launched\r\nexitvisor: VMX not available: CPUID.1:ECX.VMX[bit 5] "
                      "is 0; starting the next stage unvirtualized\r\n")
        self.check(serial, ["no-fatal"], why="VMX not available")

    def test_run_status_timeout(self):
        rc, results, _ = self.run_checker(GOOD, status="timeout 300 bochs")
        self.assertEqual(rc, 1)
        self.assert_failed_exactly(results, ["run-status"])

    def test_missing_serial_log(self):
        rc, results, _ = self.run_checker(None)
        self.assertEqual(rc, 1)
        self.assert_failed_exactly(results, ["serial-log"])
        self.assertIn("cannot read", results["serial-log"])

    def test_bochs_log_lines_shown_on_failure_only(self):
        bochs = ("00000000000i[CPU0  ] noise\n"
                 "00012345678e[CPU1  ] VMFAIL: VMLAUNCH/VMRESUME with invalid guest state\n")
        _, _, text = self.run_checker(XSETBV_BUG, bochs_log=bochs)
        self.assertIn("--- bochs.log", text)
        self.assertIn("VMFAIL: VMLAUNCH/VMRESUME with invalid guest state", text)
        self.assertNotIn("noise", text)
        _, _, text = self.run_checker(GOOD, bochs_log=bochs)
        self.assertNotIn("VMFAIL", text)

    def test_usage_errors(self):
        for args in ([], ["--log", "/tmp"], ["--log", "/tmp", "--expect-cpus", "0"]):
            with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as cm:
                check_conform.main(args)
            self.assertEqual(cm.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
