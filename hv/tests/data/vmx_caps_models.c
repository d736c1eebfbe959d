/*
 * The VMX capability MSRs (0x480-0x491; VMCS_ENUM left out) of every Bochs 2.7
 * CPU model that has VMX, and of KVM's nested VMX.
 *
 * Bochs: read on each model by hv/tests/data/vmx_caps_dump.c (how to build
 * and boot it is at its top) under Debian's bochs 2.7 with
 * `tools/run.sh --engine bochs --cpus 1 --cpu-model MODEL`, and copied here
 * unchanged. An MSR the SDM says does not exist on that CPU is 0. Bochs
 * builds them in cpu/vmcs.cc (init_vmx_capabilities) from each model's
 * BX_VMX_* features in cpu/cpudb/intel/<model>.cc: Penryn lacks BX_VMX_EFER
 * (no IA32_EFER load/save, exit/entry bits 20/21 and 15 never allowed) and
 * BX_VMX_EPT/VPID; Lynnfield lacks BX_VMX_UNRESTRICTED_GUEST. Ice Lake and
 * Tiger Lake report VMCS revision 4, the others 0x2b.
 *
 * kvm_nested: not captured (no KVM host here) but written from the rules of
 * Linux's arch/x86/kvm/vmx/nested.c (nested_vmx_setup_ctls_msrs and the
 * nested_vmx_setup_*() helpers it became), 6.x kernels, default kvm_intel
 * parameters (nested=1, ept=1, unrestricted_guest=1, vpid=1, enable_apicv=1,
 * EPT A/D on, flexpriority on) and an L0 host that has every feature KVM
 * intersects with (4-level EPT only; QEMU -cpu host), before the CPUID-
 * dependent additions (perf-global-ctrl, BNDCFGS, CET). The facts that
 * matter to exitvisor:
 *   BASIC      revision VMCS12_REVISION 0x11e57ed0, 4 KiB, write-back,
 *              TRUE_* controls (bit 55), INS/OUTS info (bit 54)
 *   PIN        must-be-1 0x16; may-be-1 ext-intr, NMI exiting, virtual NMIs,
 *              preemption timer, posted interrupts
 *   PROC       true must-be-1 0x0401e172 without CR3 load/store exiting;
 *              may-be-1 everything exitvisor asks (MSR bitmaps always, I/O
 *              bitmaps, NMI-window, secondary controls)
 *   EXIT       true must-be-1 0x36dff without save-debug-controls; may-be-1
 *              host address-space size, save/load PAT, save/load EFER
 *              (always, emulated), ack-interrupt, save preemption timer
 *   ENTRY      true must-be-1 0x11ff without load-debug-controls; may-be-1
 *              IA-32e guest, load PAT, load EFER (always)
 *   PROC2      must-be-1 0; may-be-1 EPT, VPID, unrestricted guest, RDTSCP,
 *              INVPCID, XSAVES, VMCS shadowing, PML, VM functions, APIC
 *              virtualization bits
 *   EPT/VPID   4-level walk, WB, INVEPT single/all context, 2 MiB and 1 GiB
 *              pages, A/D, execute-only; INVVPID with individual-address,
 *              single-context, all-context and single-context-retaining-globals
 *   MISC       activity states HLT and wait-for-SIPI (bit 8, added in late
 *              2021, around Linux 5.16/5.17), preemption-timer rate 5,
 *              VMWRITE to read-only fields, EFER.LMA saved
 *   CR0/CR4    fixed0 PE|NE|PG and VMXE; fixed1 from the host (CR4 here a
 *              typical 0x3767ff)
 *   VMFUNC     EPTP switching
 */
#include "vmx_caps_models.h"
#include "hv/types.h"

const struct vmx_caps_model vmx_caps_models[] = {
    { "core2_penryn_t9600", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000003f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x0003ffff00036dff,
          .entry = 0x00003fff000011ff,
          .misc = 0x00000000000401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000000467ff,
          .procbased2 = 0x0000004100000000,
          .ept_vpid_cap = 0x0000000000000000,
          .true_pinbased = 0x0000003f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x0003ffff00036dfb,
          .true_entry = 0x00003fff000011fb,
          .vmfunc = 0x0000000000000000 } },
    { "corei5_lynnfield_750", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000000401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000000067ff,
          .procbased2 = 0x0000007f00000000,
          .ept_vpid_cap = 0x00000f0106114141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000000 } },
    { "corei5_arrandale_m520", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000000401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000000067ff,
          .procbased2 = 0x000000ff00000000,
          .ept_vpid_cap = 0x00000f0106114141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000000 } },
    { "corei7_sandy_bridge_2600k", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000000401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000000627ff,
          .procbased2 = 0x000000ff00000000,
          .ept_vpid_cap = 0x00000f0106114141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000000 } },
    { "corei7_ivy_bridge_3770k", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000000401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000001727ff,
          .procbased2 = 0x000008ff00000000,
          .ept_vpid_cap = 0x00000f0106114141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000000 } },
    { "corei7_haswell_4770", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000200401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000001727ff,
          .procbased2 = 0x00047fff00000000,
          .ept_vpid_cap = 0x00000f0106334141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000001 } },
    { "broadwell_ult", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000200401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000003727ff,
          .procbased2 = 0x00057fff00000000,
          .ept_vpid_cap = 0x00000f0106334141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000001 } },
    { "corei7_skylake_x", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000600401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000003727ff,
          .procbased2 = 0x02177fff00000000,
          .ept_vpid_cap = 0x00000f0106334141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000001 } },
    { "corei3_cnl", "Bochs 2.7",
      {
          .basic = 0x00d810000000002b,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xf7f9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000600401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x0000000000772fff,
          .procbased2 = 0x02157cff00000000,
          .ept_vpid_cap = 0x00000f0106334141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xf7f9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000001 } },
    { "corei7_icelake_u", "Bochs 2.7",
      {
          .basic = 0x00d8100000000004,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xfff9fffe0401e172,
          .exit = 0x007fffff00036dff,
          .entry = 0x0000ffff000011ff,
          .misc = 0x00000000600401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x0000000000772fff,
          .procbased2 = 0x02977fff00000000,
          .ept_vpid_cap = 0x00000f0106334141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xfff9fffe04006172,
          .true_exit = 0x007fffff00036dfb,
          .true_entry = 0x0000ffff000011fb,
          .vmfunc = 0x0000000000000001 } },
    { "tigerlake", "Bochs 2.7",
      {
          .basic = 0x01d8100000000004,
          .pinbased = 0x0000007f00000016,
          .procbased = 0xfff9fffe0401e172,
          .exit = 0x107fffff00036dff,
          .entry = 0x0010ffff000011ff,
          .misc = 0x00000000600401e0,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x0000000000f72fff,
          .procbased2 = 0x02977fff00000000,
          .ept_vpid_cap = 0x00000f0106b34141,
          .true_pinbased = 0x0000007f00000016,
          .true_procbased = 0xfff9fffe04006172,
          .true_exit = 0x107fffff00036dfb,
          .true_entry = 0x0010ffff000011fb,
          .vmfunc = 0x0000000000000001 } },
    { "kvm_nested", "Linux 6.x nested VMX, from its documented defaults (not captured)",
      {
          .basic = 0x00d8100011e57ed0,
          .pinbased = 0x000000ff00000016,
          .procbased = 0xfff9fffe0401e172,
          .exit = 0x007fefff00036dff,
          .entry = 0x0000d3ff000011ff,
          .misc = 0x0000000020000165,
          .cr0_fixed0 = 0x0000000080000021,
          .cr0_fixed1 = 0x00000000ffffffff,
          .cr4_fixed0 = 0x0000000000002000,
          .cr4_fixed1 = 0x00000000003767ff,
          .procbased2 = 0x02137bff00000000,
          .ept_vpid_cap = 0x00000f0106334041,
          .true_pinbased = 0x000000ff00000016,
          .true_procbased = 0xfff9fffe04006172,
          .true_exit = 0x007fefff00036dfb,
          .true_entry = 0x0000d3ff000011fb,
          .vmfunc = 0x0000000000000001 } },
};

const unsigned vmx_caps_model_count = ARRAY_LEN(vmx_caps_models);
