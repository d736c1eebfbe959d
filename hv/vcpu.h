/* Per-CPU and global hypervisor state. */
#ifndef EXITVISOR_VCPU_H
#define EXITVISOR_VCPU_H
#include "types.h"
#include "stats/exit_stats.h"
#include "stats/exit_possible.h"
#include "stats/leaves.h"
#include "arch/x86.h"
#include "mem/arena.h"
#include "mem/mtrr.h"

/* Guest general-purpose registers, saved by vmexit_entry (hv/vmx/vmx_entry.asm)
 * in the order of the x86 register numbers, so exit qualifications that name
 * a register index straight into it. rsp is a placeholder: the guest's RSP
 * lives in the VMCS. */
struct guest_regs {
    u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Host GDT layout (per CPU). */
#define HOST_CS_SEL 0x08
#define HOST_DS_SEL 0x10
#define HOST_TR_SEL 0x18
#define HOST_GDT_ENTRIES 5 /* null, code, data, TSS (two slots) */

struct __attribute__((packed)) host_tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};

#define HOST_STACK_SIZE (32 * 1024)
#define HOST_IST_SIZE (8 * 1024)
#define IST_NMI 1
#define IST_DF 2
#define IST_MC 3

#define ROOT_EVENT_NMI 1u /* an NMI: the guest's, or a kick (hv/guest/guest_events.c) */
#define ROOT_EVENT_MC 2u  /* a machine check the guest gets (hv/guest/machine_check.h) */

struct vcpu {
    /* What arrived while in root mode: ROOT_EVENT_NMI, ROOT_EVENT_MC. One
     * word, so the exit path looks once for both. First member:
     * hv/vmx/vmx_entry.asm tests its NMI bit (offset 0) in the last
     * instructions before VMRESUME. */
    volatile u32 root_events;
    u32 index;            /* EFI_MP_SERVICES processor number; counter shard */
    u32 apic_id;
    u64 apic_page;        /* its xAPIC MMIO page (init_sipi=intercept follows moves: hv/guest/guest_apic_base.c) */
    bool is_bsp;          /* IA32_APIC_BASE.BSP: an INIT here resets the platform */
    struct guest_regs *regs; /* valid while an exit is being handled */
    u32 exit_reason;         /* basic reason of the exit being handled */
    bool exit_own;           /* it exists only because exitvisor watches something */
    u64 exit_tsc;            /* RDTSC at the top of the dispatcher */
    u64 untimed_cycles;      /* of this exit: waiting on the serial port, not handling */
    struct exit_stats_shard *shard; /* this vCPU's counters (written only by it) */
    bool guest_nmi_pending;   /* a real NMI the guest must still receive */
    bool nmi_window_requested; /* NMI-window exiting is on for the pending NMI */
    u32 mailbox;              /* INIT/SIPI posted by other vCPUs (hv/guest/ipi.c) */
    u32 kick_pending;         /* an NMI kick is on its way to this CPU */
    u64 mc_status;            /* ROOT_EVENT_MC: its IA32_MCG_STATUS, for the log line */
    bool waiting_for_sipi;    /* init_sipi=intercept: INIT done, halted until a SIPI */
    bool launched;
    bool sipi_entry_pending; /* started by a SIPI at CS base sipi_cs_base */
    u64 sipi_cs_base;
    /* Pages owned by this CPU (identity-mapped physical addresses). */
    u8 *vmxon_region;
    u8 *vmcs;
    u8 *host_stack;       /* HOST_STACK_SIZE; the top slot holds this struct's address */
    u8 *ist_stacks;       /* 3 x HOST_IST_SIZE */
    u64 host_gdt[HOST_GDT_ENTRIES];
    struct host_tss tss;
};

/* What the boot code asks for (exitvisor.cfg, the firmware's FADT). */
struct hv_options {
    /* init_sipi=intercept: catch INIT/SIPI at the sender's ICR write and
     * deliver them virtually (the xAPIC page is write-protected, the x2APIC
     * ICR intercepted, vCPUs kicked with NMIs). Only for CPUs that keep INIT
     * pending after an INIT VM exit (Bochs 2.7); otherwise INIT and SIPI
     * reach vCPUs as the INIT and SIPI VM exits, and nothing is watched. */
    bool intercept_init_sipi;
    /* watch_reset_port=yes: port 0xCF9 exits, so the table is printed before
     * a reset through it; every 4-byte access to 0xCF8 then exits too. */
    bool watch_reset_port;
    u16 pm1_control_ports[2]; /* FADT PM1a/PM1b control blocks (0: none) */
    int s5_sleep_type;        /* SLP_TYPa of \_S5_ in the DSDT (-1: unknown) */
};

/* Everything the hypervisor keeps, allocated once before launch in
 * EfiRuntimeServicesData so it survives ExitBootServices. */
struct hv_state {
    u32 nr_vcpus;                 /* processors reported by the firmware */
    volatile u32 nr_launched;
    struct vcpu *vcpus;           /* nr_vcpus entries */
    struct exit_stats *stats;
    struct timeline *timeline;    /* the boot timeline (hv/stats/timeline.h) */
    struct log_ring *log_ring;    /* what exitvisor printed, for leaf 0x40000008 (hv/stats/log_ring.h) */
    volatile u32 boot_log_open;   /* the boot code may still hand over its lines (EXV_VMCALL_BOOT_LOG) */
    struct leaf_vcpu leaf_vcpus[EXV_MAX_VCPUS]; /* what leaf 0x40000007 says of each vCPU */
    bool possible[EXIT_REASON_COUNT];
    struct vmx_controls controls; /* read back from the first VMCS launched */
    volatile u32 controls_ready;
    /* VMX capabilities. */
    u32 vmcs_revision;
    bool true_controls, has_ept, has_vpid, has_unrestricted, has_wait_for_sipi, has_ept_1g;
    bool has_nmi_window;          /* NMI exiting + virtual NMIs + NMI-window exiting allowed */
    const char *bsp_only_why;     /* why only the boot CPU can be a vCPU (hv/vmx/vmx_caps.c), or NULL */
    u32 invept_type;              /* 2 all-context, 1 single-context, 0 no INVEPT (hv/vmx/vmx_caps.h) */
    u32 nr_cpus_present;          /* processors the firmware reports; nr_vcpus is at most EXV_MAX_VCPUS */
    struct hv_options opt;
    u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    u32 pin_ctls, proc_ctls, proc2_ctls, exit_ctls, entry_ctls; /* adjusted to the MSRs */
    u64 cr0_mask, cr4_mask;
    /* Shared host structures. */
    u64 host_cr0, host_cr3, host_cr4; /* hv/vmx/vmx_caps.h: built, not copied from the firmware */
    u64 ept_pointer;
    struct arena ept_reserve;  /* pages for splitting EPT large pages later (hv/mem/ept_edit.h) */
    struct mtrr_state ept_mtrr; /* the MTRRs the EPT's memory types follow (hv/guest/guest_mtrr.c) */
    volatile u32 ept_lock;     /* one editor of the EPT at a time */
    u32 phys_bits;             /* MAXPHYADDR, read once: both maps and the MTRR masks use it */
    u64 host_map_top, ept_top; /* first byte past the identity maps (hv/mem/identity_map.h) */
    u64 apic_page;                /* the xAPIC MMIO page at launch, which both identity maps give a 4-KiB page */
    struct hv_memory_range memory[3]; /* code, data, counters: hidden from guests by EPT */
    u32 nr_memory;
    struct leaf_env leaf_env;     /* what the CPUID leaves read; built once */
    u8 *msr_bitmap;
    u32 mtrr_variable_count;      /* IA32_MTRRCAP.VCNT: which MSRs are MTRRs */
    u8 *io_bitmap_a, *io_bitmap_b; /* ports 0-0x7FFF, 0x8000-0xFFFF */
    void *host_idt;               /* 256 x 16-byte gates */
};

/* Hidden: defined in this image, so code reaches it RIP-relative, not
 * through the GOT (-fpic): one load less on every exit. */
extern struct hv_state *hv __attribute__((visibility("hidden")));

_Static_assert(__builtin_offsetof(struct vcpu, root_events) == 0, "hv/vmx/vmx_entry.asm reads root_events at offset 0");

/* Host GS base holds the current vcpu, so root-mode code (including the NMI
 * handler) finds its CPU without a lookup. */
static inline struct vcpu *current_vcpu(void)
{
    return (struct vcpu *)(uintptr_t)rdmsr(0xC0000101u /* IA32_GS_BASE */);
}

#endif
