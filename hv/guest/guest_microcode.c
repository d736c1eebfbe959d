/*
 * Microcode updates the guest asks for. "Microcode updates must not be
 * performed during VMX non-root operation" (Intel SDM Vol. 3C 32.4), so
 * WRMSR to IA32_BIOS_UPDT_TRIG (0x79) exits (the MSR bitmap,
 * hv/exits/msr.c; exitvisor's own exit) and the update is loaded here, in
 * root operation on the same CPU, as SDM 32.4.2 describes for a VMM that
 * loads its guest's updates: the CPU reads the update through root mode's
 * identity map, so the guest's buffer must be one physically contiguous
 * run of present pages (Linux's loaders keep their patch in kmalloc'd or
 * initrd memory, which is). Otherwise nothing is loaded and a line says
 * why: the guest then reads an unchanged revision from IA32_BIOS_SIGN_ID,
 * as after an update the CPU rejected, and its loader reports that.
 *
 * (Linux does not load microcode at all where CPUID.1:ECX.hypervisor is
 * set, which exitvisor sets; other OSes, or a loader forced to, may.)
 */
#include "guest_microcode.h"
#include "guest.h"
#include "../mem/guest_mem.h"
#include "../mem/hv_memory.h"
#include "../platform/host_exception.h"
#include "microcode.h"
#include "../platform/log.h"
#include "../arch/msr.h"

/* The revision IA32_BIOS_SIGN_ID reports, read as SDM 9.11.7 says: write
 * 0, execute CPUID.1, read the high half. */
static u32 microcode_revision(void)
{
    struct cpuid_regs r;
    u64 sign;
    if (safe_wrmsr(MSR_IA32_BIOS_SIGN_ID, 0))
        return 0;
    cpuid_ex(1, 0, &r);
    if (safe_rdmsr(MSR_IA32_BIOS_SIGN_ID, &sign))
        return 0;
    return (u32)(sign >> 32);
}

void guest_microcode_load(struct vcpu *v, u64 linear)
{
    struct microcode_header h;
    u64 start = linear - MICROCODE_HEADER_SIZE, pa;
    u32 total;

    if (linear < MICROCODE_HEADER_SIZE || !guest_read_linear(start, (u8 *)&h, sizeof(h))) {
        hv_log("cpu %u microcode update at 0x%llx not loaded: its header is not in present memory", v->index,
               (unsigned long long)linear);
        guest_skip_instruction(v);
        return;
    }
    if (!(total = microcode_total_size(&h))) {
        hv_log("cpu %u microcode update at 0x%llx not loaded: its header is not an update header (version %u, data "
               "size %u, total size %u)", v->index, (unsigned long long)linear, h.header_version, h.data_size,
               h.total_size);
        guest_skip_instruction(v);
        return;
    }
    if (!guest_linear_run(start, total, &pa)) {
        hv_log("cpu %u microcode update at 0x%llx (revision 0x%x, %u bytes) not loaded: the buffer is not one "
               "physically contiguous run of present pages, which the CPU needs when exitvisor loads it from root "
               "operation", v->index, (unsigned long long)linear, h.update_revision, total);
        guest_skip_instruction(v);
        return;
    }
    if (hv_memory_overlap(hv, pa, total) != HV_MEMORY_OUTSIDE) {
        /* As for any guest access to the hypervisor's memory (hv/exits/ept_violation.c). */
        hv_log("cpu %u microcode update at 0x%llx lies in hypervisor memory (0x%llx): #GP", v->index,
               (unsigned long long)linear, (unsigned long long)pa);
        guest_inject_gp0();
        return;
    }
    u32 before = microcode_revision();
    if (safe_wrmsr(MSR_IA32_BIOS_UPDT_TRIG, pa + MICROCODE_HEADER_SIZE)) {
        hv_log("cpu %u microcode update (revision 0x%x) at 0x%llx: the CPU raised #GP on WRMSR 0x79; so does the guest",
               v->index, h.update_revision, (unsigned long long)pa);
        guest_inject_gp0();
        return;
    }
    u32 after = microcode_revision();
    hv_log("cpu %u the guest's microcode update (revision 0x%x, %u bytes at physical 0x%llx) was loaded from VMX "
           "root operation: the CPU's revision went from 0x%x to 0x%x%s",
           v->index, h.update_revision, total, (unsigned long long)pa, before, after,
           after == h.update_revision ? "" : " (the CPU did not take it)");
    guest_skip_instruction(v);
}
