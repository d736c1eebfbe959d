/*
 * The SDM's basic exit reasons, typed in for the tests from Intel SDM Vol. 3C
 * Appendix C, Table C-1 (numbers and names exactly as the table spells them,
 * without the trailing explanations), and checked against hv/stats/exit_names.c
 * and hv/stats/exit_possible.c. Deliberately not generated from
 * hv/arch/exit_reasons.h: the point is a second, independent copy.
 */
#include <string.h>
#include "check.h"
#include "sdm.h"
#include "hv/stats/exit_names.h"
#include "hv/stats/exit_possible.h"

const struct sdm_reason sdm_reasons[] = {
    { 0, "Exception or non-maskable interrupt (NMI)" },
    { 1, "External interrupt" },
    { 2, "Triple fault" },
    { 3, "INIT signal" },
    { 4, "Start-up IPI (SIPI)" },
    { 5, "I/O system-management interrupt (SMI)" },
    { 6, "Other SMI" },
    { 7, "Interrupt window" },
    { 8, "NMI window" },
    { 9, "Task switch" },
    { 10, "CPUID" },
    { 11, "GETSEC" },
    { 12, "HLT" },
    { 13, "INVD" },
    { 14, "INVLPG" },
    { 15, "RDPMC" },
    { 16, "RDTSC" },
    { 17, "RSM" },
    { 18, "VMCALL" },
    { 19, "VMCLEAR" },
    { 20, "VMLAUNCH" },
    { 21, "VMPTRLD" },
    { 22, "VMPTRST" },
    { 23, "VMREAD" },
    { 24, "VMRESUME" },
    { 25, "VMWRITE" },
    { 26, "VMXOFF" },
    { 27, "VMXON" },
    { 28, "Control-register accesses" },
    { 29, "MOV DR" },
    { 30, "I/O instruction" },
    { 31, "RDMSR" },
    { 32, "WRMSR" },
    { 33, "VM-entry failure due to invalid guest state" },
    { 34, "VM-entry failure due to MSR loading" },
    /* 35: not defined */
    { 36, "MWAIT" },
    { 37, "Monitor trap flag" },
    /* 38: not defined */
    { 39, "MONITOR" },
    { 40, "PAUSE" },
    { 41, "VM-entry failure due to machine-check event" },
    /* 42: not defined */
    { 43, "TPR below threshold" },
    { 44, "APIC access" },
    { 45, "Virtualized EOI" },
    { 46, "Access to GDTR or IDTR" },
    { 47, "Access to LDTR or TR" },
    { 48, "EPT violation" },
    { 49, "EPT misconfiguration" },
    { 50, "INVEPT" },
    { 51, "RDTSCP" },
    { 52, "VMX-preemption timer expired" },
    { 53, "INVVPID" },
    { 54, "WBINVD or WBNOINVD" },
    { 55, "XSETBV" },
    { 56, "APIC write" },
    { 57, "RDRAND" },
    { 58, "INVPCID" },
    { 59, "VMFUNC" },
    { 60, "ENCLS" },
    { 61, "RDSEED" },
    { 62, "Page-modification log full" },
    { 63, "XSAVES" },
    { 64, "XRSTORS" },
    { 65, "PCONFIG" },
    { 66, "SPP-related event" },
    { 67, "UMWAIT" },
    { 68, "TPAUSE" },
    { 69, "LOADIWKEY" },
    { 70, "ENCLV" },
    /* 71: not defined */
    { 72, "ENQCMD PASID translation failure" },
    { 73, "ENQCMDS PASID translation failure" },
    { 74, "Bus lock" },
    { 75, "Instruction timeout" },
    { 76, "SEAMCALL" },
    { 77, "TDCALL" },
    { 78, "RDMSRLIST" },
    { 79, "WRMSRLIST" },
};
const size_t sdm_reason_count = sizeof(sdm_reasons) / sizeof(sdm_reasons[0]);

const char *sdm_reason_name(unsigned r)
{
    for (size_t i = 0; i < sdm_reason_count; i++)
        if (sdm_reasons[i].number == r)
            return sdm_reasons[i].name;
    return NULL;
}

TEST(sdm_table_is_well_formed)
{
    /* Guards the reference itself: strictly increasing, 76 reasons, 80 = one
     * past the highest, exactly 35/38/42/71 missing below 80. */
    int increasing = 1;
    for (size_t i = 1; i < sdm_reason_count; i++)
        increasing &= sdm_reasons[i].number > sdm_reasons[i - 1].number;
    CHECK(increasing, "reference table is sorted and has no duplicate");
    CHECK_EQ(sdm_reason_count, 76, "SDM defines 76 basic reasons below 80");
    CHECK_EQ(sdm_reasons[sdm_reason_count - 1].number + 1, 80, "highest reason is 79");
    const unsigned gaps[] = { 35, 38, 42, 71 };
    for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++)
        CHECK(sdm_reason_name(gaps[i]) == NULL, "reason %u is not in the reference", gaps[i]);
}

TEST(exit_reason_count_matches_sdm)
{
    CHECK_EQ(EXIT_REASON_COUNT, sdm_reasons[sdm_reason_count - 1].number + 1,
             "EXIT_REASON_COUNT is one past the SDM's highest reason");
}

TEST(exit_reason_names_match_sdm)
{
    for (unsigned r = 0; r < EXIT_REASON_COUNT + 20; r++) {
        const char *want = sdm_reason_name(r);
        CHECK_STREQ(exit_reason_name(r), want, "exit_reason_name(%u)", r);
        CHECK_EQ(exit_reason_defined(r), want != NULL, "exit_reason_defined(%u)", r);
    }
    const unsigned far[] = { 100, 255, 256, 1000, 0xFFFF, 0x10000, 0x8000000Au, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
        CHECK(exit_reason_name(far[i]) == NULL, "exit_reason_name(%u) is NULL", far[i]);
        CHECK(!exit_reason_defined(far[i]), "exit_reason_defined(%u) is 0", far[i]);
    }
}

TEST(exit_reason_enum_values_match_sdm)
{
    /* A few identifiers the hypervisor's handlers switch on. */
    CHECK_EQ(EXIT_REASON_EXCEPTION_NMI, 0, "exception/NMI");
    CHECK_EQ(EXIT_REASON_TRIPLE_FAULT, 2, "triple fault");
    CHECK_EQ(EXIT_REASON_INIT_SIGNAL, 3, "INIT");
    CHECK_EQ(EXIT_REASON_SIPI, 4, "SIPI");
    CHECK_EQ(EXIT_REASON_CPUID, 10, "CPUID");
    CHECK_EQ(EXIT_REASON_VMCALL, 18, "VMCALL");
    CHECK_EQ(EXIT_REASON_CR_ACCESS, 28, "CR access");
    CHECK_EQ(EXIT_REASON_RDMSR, 31, "RDMSR");
    CHECK_EQ(EXIT_REASON_WRMSR, 32, "WRMSR");
    CHECK_EQ(EXIT_REASON_ENTRY_FAIL_GUEST_STATE, 33, "entry failure, guest state");
    CHECK_EQ(EXIT_REASON_ENTRY_FAIL_MSR_LOADING, 34, "entry failure, MSR loading");
    CHECK_EQ(EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK, 41, "entry failure, machine check");
    CHECK_EQ(EXIT_REASON_EPT_VIOLATION, 48, "EPT violation");
    CHECK_EQ(EXIT_REASON_EPT_MISCONFIG, 49, "EPT misconfiguration");
    CHECK_EQ(EXIT_REASON_XSETBV, 55, "XSETBV");
    CHECK_EQ(EXIT_REASON_WRMSRLIST, 79, "WRMSRLIST");
    CHECK_EQ(EXIT_REASON_ENTRY_FAILURE, 1u << 31, "entry-failure bit");
    CHECK_EQ(EXIT_REASON_BASIC_MASK, 0xFFFF, "basic reason = bits 15:0");
}

TEST(every_defined_reason_has_a_condition)
{
    for (unsigned r = 0; r < EXIT_REASON_COUNT + 20; r++) {
        const struct exit_condition *k = exit_reason_condition(r);
        if (sdm_reason_name(r)) {
            CHECK(k != NULL, "reason %u (%s) has an exit_reason_condition", r, sdm_reason_name(r));
            CHECK(k == NULL || k->rule != RULE_UNDEFINED, "reason %u's rule is not RULE_UNDEFINED", r);
        } else {
            CHECK(k == NULL, "undefined reason %u has no exit_reason_condition", r);
        }
    }
    CHECK(exit_reason_condition(0xFFFFFFFFu) == NULL, "reason 0xFFFFFFFF has no condition");
}
