/*
 * The guest-visible ABI of exitvisor: CPUID leaves and VMCALL numbers.
 * Shared by the hypervisor and by every guest-side program; README.md
 * documents the same contract for people.
 */
#ifndef EXITVISOR_ABI_H
#define EXITVISOR_ABI_H

/* CPUID.0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = signature. */
#define EXV_LEAF_SIGNATURE      0x40000000u
/* CPUID.0x40000001: EAX = ABI version, EBX = vCPUs launched, ECX = EDX = 0. */
#define EXV_LEAF_INFO           0x40000001u
/* CPUID.0x40000002, ECX = n: which basic exit reasons 32n..32n+31 exist.
 * EAX bit i = reason 32n+i can occur with the controls in force,
 * EBX bit i = the SDM defines reason 32n+i, ECX = EDX = 0. It tells a zero
 * count of a possible reason apart from an impossible one. */
#define EXV_LEAF_REASON_MAP     0x40000002u
/* CPUID.0x40000003, ECX = n: the n-th memory range exitvisor keeps for
 * itself, which EPT makes unreachable from every guest. EAX:EBX = base
 * (low:high 32 bits), ECX = size in 4-KiB pages, EDX = kind (below);
 * all zero past the last range. A guest access to one of these ranges
 * gets #GP(0) and changes nothing. */
#define EXV_LEAF_HV_MEMORY      0x40000003u
#define EXV_MEMORY_NONE         0u
#define EXV_MEMORY_CODE         1u  /* the hypervisor's image (code and its globals) */
#define EXV_MEMORY_DATA         2u  /* VMCS, stacks, page tables, EPT, per-CPU state */
#define EXV_MEMORY_COUNTERS     3u  /* the exit counters (inside the data range) */
/* CPUID.0x40000004, ECX = 0: the exits exitvisor itself caused, counted
 * in their reasons too (so a reader can subtract them from the totals).
 * EAX = what exitvisor watches (EXV_WATCH_* bits), EBX:ECX = those exits
 * (hi:lo), EDX = 0. ECX = 1: EBX:ECX = their cycles (hi:lo), EAX = EDX = 0.
 * Any other ECX: all zero. */
#define EXV_LEAF_OWN_EXITS      0x40000004u
#define EXV_WATCH_INIT_SIPI     (1u << 0)   /* init_sipi=intercept: APIC-page stores, x2APIC ICR, NMI kicks */
#define EXV_WATCH_RESET_PORT    (1u << 1)   /* watch_reset_port=yes: port 0xCF9 (and 4-byte 0xCF8 accesses) */
#define EXV_WATCH_MTRR          (1u << 2)   /* with EPT: every MTRR write (the EPT follows the MTRRs' memory types) */
#define EXV_WATCH_MICROCODE     (1u << 3)   /* WRMSR 0x79: the update is loaded from VMX root operation */
/* CPUID.0x40000005: the boot timeline (hv/stats/timeline.h): cumulative exits per
 * reason, all vCPUs, sampled from the first VMLAUNCH on.
 *   ECX = 0: EAX = timeline format version (EXV_TIMELINE_VERSION),
 *            EBX = samples stored N, ECX = capacity, EDX = generation
 *            (changes whenever stored samples move: read it before and
 *            after reading samples, and read again if it changed).
 *   ECX = 1: EBX:ECX = sampling interval now, TSC ticks (hi:lo); EAX = EDX = 0.
 *            It doubles each time the full ring drops every other sample.
 *   ECX = 2: EBX:ECX = TSC at the first VMLAUNCH (hi:lo; t = 0). exitvisor
 *            does not offset the TSC: a guest's RDTSC minus this is "now".
 *   ECX = 3: EBX:ECX = TSC rate in Hz from CPUID 0x15/0x16 (0: not stated).
 *   other ECX: all zero. */
#define EXV_LEAF_TIMELINE       0x40000005u
#define EXV_TIMELINE_VERSION    1u
/* CPUID.0x40000006, ECX = (i << 8) | s: sample i of the timeline.
 *   s < 0x80 (a basic exit reason r): EBX:ECX = exits of reason r from
 *            launch to sample i (hi:lo); EAX = EDX = 0.
 *   s = 0xFD: EBX:ECX = of those exits, the ones exitvisor's own watches
 *            caused (leaf 0x40000004's count at sample i); EAX = EDX = 0.
 *   s = 0xFE: EAX, EBX, ECX = bit r of reasons 0-31, 32-63, 64-95 set when
 *            reason r's count at sample i is nonzero; EDX = 0.
 *   s = 0xFF: EBX:ECX = ticks from launch to sample i (hi:lo); EAX = 0,
 *            EDX = 1 (0: no sample i).
 *   i >= N, or any other s: all zero. */
#define EXV_LEAF_TIMELINE_SAMPLE 0x40000006u
#define EXV_SAMPLE_SELECT_OWN   0xFDu
#define EXV_SAMPLE_SELECT_NONZERO 0xFEu
#define EXV_SAMPLE_SELECT_TIME  0xFFu
/* CPUID.0x40000007, ECX = v: vCPU v (0 .. vCPUs-1, the firmware's processor
 * numbers). EAX = its APIC ID, EBX:ECX = exits it has taken (hi:lo),
 * EDX = 1 if it runs under exitvisor. v past the last vCPU: all zero. */
#define EXV_LEAF_VCPU_EXITS     0x40000007u
/* CPUID.0x40000008: the hypervisor's log (what it printed on COM1, kept in a
 * 64-KiB ring in its own memory: hv/stats/log_ring.h), read 16 bytes at a time.
 *   ECX = 0xFFFFFFFF: EAX = format version (EXV_LOG_VERSION), EBX:ECX =
 *            bytes written since launch (hi:lo), EDX = ring size in bytes.
 *            Bytes older than (written - size) have been overwritten.
 *   ECX = k: the 16 bytes at offset 16k of everything written, in EAX, EBX,
 *            ECX, EDX (the first byte in EAX bits 7:0); bytes past the end
 *            are 0; a chunk already overwritten: all four 0xFFFFFFFF (the
 *            text never holds a 0xFF byte). */
#define EXV_LEAF_LOG            0x40000008u
#define EXV_LOG_VERSION         1u
#define EXV_LOG_HEADER          0xFFFFFFFFu
#define EXV_LOG_GONE            0xFFFFFFFFu
#define EXV_LEAF_HV_MAX         EXV_LEAF_LOG
#define EXV_SIGNATURE           "exitvisor\0\0\0"   /* 12 bytes, EBX, ECX, EDX */
#define EXV_SIG_EBX             0x74697865u         /* "exit" */
#define EXV_SIG_ECX             0x6f736976u         /* "viso" */
#define EXV_SIG_EDX             0x00000072u         /* "r\0\0\0" */
#define EXV_ABI_VERSION         1u

/*
 * Exit-statistics leaves (the course ABI, kept bit-for-bit):
 *  0x4FFFFFFF           EAX = total exits, all reasons, all vCPUs (low 32)
 *                       EBX:ECX = total cycles spent handling exits (hi:lo)
 *                       EDX = 0
 *  0x4FFFFFFE ECX=r     EAX = exits of reason r (low 32), EBX = ECX = EDX = 0
 *  0x4FFFFFFD ECX=r     EBX:ECX = cycles spent on reason r (hi:lo), EAX = EDX = 0
 * exitvisor extension:
 *  0x4FFFFFFC ECX=r     EBX:ECX = exits of reason r, full 64 bits (hi:lo),
 *                       EAX = EDX = 0
 *             ECX=0xFFFFFFFF  EBX:ECX = total exits of all reasons, 64 bits.
 * For r the SDM does not define: EAX = EBX = ECX = 0, EDX = 0xFFFFFFFF.
 * For r defined but impossible with the controls in force: all four 0.
 * Every query is itself a CPUID exit and is counted before it is answered:
 * a query's count includes itself; its cycles are added after it returns.
 */
#define EXV_LEAF_TOTALS         0x4FFFFFFFu
#define EXV_LEAF_REASON_COUNT   0x4FFFFFFEu
#define EXV_LEAF_REASON_CYCLES  0x4FFFFFFDu
#define EXV_LEAF_REASON_COUNT64 0x4FFFFFFCu
#define EXV_LEAF_STATS_FIRST    EXV_LEAF_REASON_COUNT64
#define EXV_SELECT_TOTAL        0xFFFFFFFFu
#define EXV_UNDEFINED_EDX       0xFFFFFFFFu

/*
 * VMCALL: RAX = function, result in RAX (EXV_VMCALL_OK or an error).
 * Anything else in RAX returns EXV_VMCALL_UNKNOWN; no other register changes.
 */
#define EXV_VMCALL_PING         0x65787600u  /* returns EXV_VMCALL_OK */
#define EXV_VMCALL_PRINT_STATS  0x65787601u  /* hypervisor prints its exit table on COM1 */
/* exitvisor's own boot code, running as a guest once its CPU is launched,
 * hands the lines it printed to the log ring: RBX = their address, RCX =
 * their length (at most EXV_BOOT_LOG_MAX), RDX bit 0 = the last call (the
 * next stage starts: later calls are refused). Returns OK, or UNKNOWN when
 * refused. Like the boot code's signature checks (one CPUID per vCPU), this
 * one exit per boot counts with the guest's: telling it apart would cost
 * every VMCALL a compare (make bench). */
#define EXV_VMCALL_BOOT_LOG     0x65787602u
#define EXV_BOOT_LOG_MAX        (16u * 1024u)
#define EXV_VMCALL_OK           0u
#define EXV_VMCALL_UNKNOWN      0xFFFFFFFFFFFFFFFFull

#endif
