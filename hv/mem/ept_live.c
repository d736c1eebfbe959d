/* See hv/mem/ept_live.h. */
#include "ept_live.h"
#include "../arch/vmx.h"
#include "../arch/x86.h"
#include "../vmx/vmcs.h"
#include "../platform/log.h"

void ept_edit_begin(void)
{
    /* Edits are rare (an MTRR or xAPIC-base write) and short; nothing else
     * is ever waited for while the lock is held. */
    while (__atomic_exchange_n(&hv->ept_lock, 1, __ATOMIC_ACQUIRE))
        cpu_pause();
}

void ept_edit_end(void)
{
    __atomic_store_n(&hv->ept_lock, 0, __ATOMIC_RELEASE);
}

const char *ept_flush_this_cpu(void)
{
    if (!hv->invept_type)
        return "the CPU has no INVEPT";
    /* Single-context flushes this EPTP's translations; all-context all of
     * them: the type this CPU has (an unsupported one fails). */
    struct invept_descriptor d = { hv->ept_pointer, 0 };
    return invept(hv->invept_type, &d) == VMX_OK ? NULL : "INVEPT failed";
}

void ept_flush_this_cpu_after(const struct vcpu *v, const char *after)
{
    const char *why = ept_flush_this_cpu();
    if (why)
        hv_log("cpu %u cannot flush its EPT translations after %s (%s, VM-instruction error %u)", v->index, after,
               why, vmcs_instruction_error());
}
