#include "guest_mem.h"
#include "vmcs.h"
#include "arch/x86.h"
#include "arch/msr.h"

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

static bool translate(u64 linear, u64 *pa)
{
    u64 cr0 = vmcs_read(VMCS_GUEST_CR0);
    if (!(cr0 & CR0_PG)) {
        *pa = linear & 0xFFFFFFFFull;
        return true;
    }
    if (!(vmcs_read(VMCS_GUEST_EFER) & EFER_LMA))
        return false; /* 32-bit paging modes: not needed by any guest exitvisor runs */
    u64 table = vmcs_read(VMCS_GUEST_CR3) & PTE_ADDR;
    for (int level = 3; level >= 0; level--) {
        u64 e = ((const volatile u64 *)(uintptr_t)table)[(linear >> (12 + 9 * level)) & 511];
        if (!(e & PTE_P))
            return false;
        if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
            u64 page_mask = (1ull << (12 + 9 * level)) - 1;
            *pa = (e & PTE_ADDR & ~page_mask) | (linear & page_mask);
            return true;
        }
        table = e & PTE_ADDR;
    }
    return false;
}

bool guest_read_linear(u64 linear, u8 *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        u64 pa;
        if (!translate(linear + i, &pa))
            return false;
        buf[i] = *(const volatile u8 *)(uintptr_t)pa;
    }
    return true;
}
