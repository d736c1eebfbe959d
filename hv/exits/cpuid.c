/*
 * CPUID: the real CPU's answer, except that the guest must not see VMX (it
 * cannot use it) or SMX (GETSEC is refused), must see the hypervisor-present
 * bit, and gets exitvisor's own leaves in 0x40000000-0x4FFFFFFF. Bits that
 * mirror control registers (OSXSAVE, OSPKE) must follow the guest's CR4,
 * not the host's, because CPUID executes here in root mode.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../stats/leaves.h"
#include "../vmx/vmcs.h"

/* The real CPU's answer, with the bits above adjusted. */
static void __attribute__((noinline)) passthrough(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
    cpuid_ex(leaf, subleaf, r);
    if (leaf == 1) {
        r->ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_OSXSAVE);
        r->ecx |= CPUID1_ECX_HYPERVISOR;
        if (vmcs_read(VMCS_GUEST_CR4) & CR4_OSXSAVE)
            r->ecx |= CPUID1_ECX_OSXSAVE;
    } else if (leaf == 7 && subleaf == 0) {
        r->ecx &= ~CPUID7_ECX_OSPKE;
        if (vmcs_read(VMCS_GUEST_CR4) & CR4_PKE)
            r->ecx |= CPUID7_ECX_OSPKE;
    }
}

/* The statistics leaves, which guests ask in loops, in a function of their
 * own: the compiler cannot merge its write-back with the path below, so the
 * answer stays in registers (make bench: README). */
static void __attribute__((noinline)) statistics_leaf(struct vcpu *v, struct guest_regs *g, u32 leaf, u32 subleaf)
{
    struct cpuid_regs r;

    exv_statistics_answer(leaf, subleaf, &hv->leaf_env, &r);
    g->rax = r.eax;
    g->rbx = r.ebx;
    g->rcx = r.ecx;
    g->rdx = r.edx;
    guest_skip_instruction(v);
}

/* Every other leaf: exitvisor's others, or the CPU's. */
static void __attribute__((noinline)) other_leaf(struct vcpu *v, struct guest_regs *g, u32 leaf, u32 subleaf)
{
    struct cpuid_regs r;

    if (exv_leaf_is_ours(leaf))
        exv_leaf_answer(leaf, subleaf, &hv->leaf_env, &r);
    else
        passthrough(leaf, subleaf, &r);
    /* CPUID writes the low 32 bits and clears the high 32 bits of each. */
    g->rax = r.eax;
    g->rbx = r.ebx;
    g->rcx = r.ecx;
    g->rdx = r.edx;
    guest_skip_instruction(v);
}

/* Only the choice between the two: no frame of its own, so the statistics
 * path starts at once (make bench). */
void handle_cpuid(struct vcpu *v)
{
    struct guest_regs *g = v->regs;
    u32 leaf = (u32)g->rax, subleaf = (u32)g->rcx;

    if (exv_leaf_is_statistics(leaf))
        statistics_leaf(v, g, leaf, subleaf);
    else
        other_leaf(v, g, leaf, subleaf);
}
