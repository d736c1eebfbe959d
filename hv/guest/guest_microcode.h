/* The guest's microcode updates, loaded from VMX root operation (hv/guest/guest_microcode.c). */
#ifndef EXITVISOR_GUEST_MICROCODE_H
#define EXITVISOR_GUEST_MICROCODE_H
#include "../vcpu.h"
/* The guest wrote `linear` (the linear address of an update's data, its
 * 48-byte header just before) to IA32_BIOS_UPDT_TRIG. */
void guest_microcode_load(struct vcpu *v, u64 linear);
#endif
