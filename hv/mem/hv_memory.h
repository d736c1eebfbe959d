/* The hypervisor's own memory (hv->memory: its image, its data, the
 * counters), which no guest may touch: EPT leaves it out (hv/mem/ept.c),
 * a guest access to it gets #GP (hv/exits/ept_violation.c), and no guest
 * microcode update may point into it (hv/guest/guest_microcode.c). */
#ifndef EXITVISOR_HV_MEMORY_H
#define EXITVISOR_HV_MEMORY_H
#include "../vcpu.h"

/* How [base, base + size) meets the hypervisor's own memory. */
enum hv_memory_overlap { HV_MEMORY_OUTSIDE, HV_MEMORY_INSIDE, HV_MEMORY_PARTLY };

static inline enum hv_memory_overlap hv_memory_overlap(const struct hv_state *h, u64 base, u64 size)
{
    enum hv_memory_overlap result = HV_MEMORY_OUTSIDE;
    for (u32 i = 0; i < h->nr_memory; i++) {
        u64 start = h->memory[i].base, end = start + h->memory[i].pages * PAGE_SIZE;
        if (end <= base || start >= base + size)
            continue;
        if (start <= base && end >= base + size)
            return HV_MEMORY_INSIDE;
        result = HV_MEMORY_PARTLY;
    }
    return result;
}
#endif
