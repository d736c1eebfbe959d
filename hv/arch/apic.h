/* Local APIC facts (SDM Vol. 3A chapter 11): xAPIC register offsets in the
 * 4-KiB APIC page and the interrupt-command register's fields, the same in
 * xAPIC (ICR low word) and x2APIC (MSR 0x830, low 32 bits). */
#ifndef EXITVISOR_ARCH_APIC_H
#define EXITVISOR_ARCH_APIC_H

#define XAPIC_TPR 0x080
#define XAPIC_ICR_LOW 0x300
#define XAPIC_ICR_HIGH 0x310

#define ICR_DELIVERY_MODE(lo) (((lo) >> 8) & 7)
#define ICR_MODE_NMI 4
#define ICR_MODE_INIT 5
#define ICR_MODE_SIPI 6
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND(lo) (((lo) >> 18) & 3)
#define ICR_SHORTHAND_NONE 0
#define ICR_SHORTHAND_SELF 1
#define ICR_SHORTHAND_ALL_INCLUDING_SELF 2
#define ICR_SHORTHAND_ALL_BUT_SELF 3
#endif
