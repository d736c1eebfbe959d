/* EPT paging-structure entry format (Intel SDM Vol. 3C 29.3.2), written once. */
#ifndef EXITVISOR_ARCH_EPT_H
#define EXITVISOR_ARCH_EPT_H

#define EPT_READ            0x1ull
#define EPT_WRITE           0x2ull
#define EPT_EXEC            0x4ull
#define EPT_RWX             0x7ull
#define EPT_MEMTYPE_SHIFT   3                 /* bits 5:3 of a leaf: the memory type */
#define EPT_MEMTYPE_MASK    (7ull << EPT_MEMTYPE_SHIFT)
#define EPT_LARGE           (1ull << 7)       /* a PDPTE maps 1 GiB, a PDE 2 MiB */
#define EPT_ADDR_MASK       0x000FFFFFFFFFF000ull /* bits 51:12 */

#endif
