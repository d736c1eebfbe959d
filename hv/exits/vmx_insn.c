/*
 * VMX instructions and GETSEC exit unconditionally. exitvisor offers no
 * nested virtualization and hides VMX and SMX in CPUID, so each of them
 * behaves as on a CPU without those extensions: #UD.
 */
#include "handlers.h"
#include "../guest/guest.h"
#include "../platform/diag.h"

static void refuse(struct vcpu *v)
{
    (void)v;
    guest_inject_ud();
}

#define REFUSED_INSTRUCTION(name) \
    void handle_##name(struct vcpu *v) { refuse(v); }

REFUSED_INSTRUCTION(getsec)
REFUSED_INSTRUCTION(vmclear)
REFUSED_INSTRUCTION(vmlaunch)
REFUSED_INSTRUCTION(vmptrld)
REFUSED_INSTRUCTION(vmptrst)
REFUSED_INSTRUCTION(vmread)
REFUSED_INSTRUCTION(vmresume)
REFUSED_INSTRUCTION(vmwrite)
REFUSED_INSTRUCTION(vmxoff)
REFUSED_INSTRUCTION(vmxon)
REFUSED_INSTRUCTION(invept)
REFUSED_INSTRUCTION(invvpid)
REFUSED_INSTRUCTION(vmfunc)
