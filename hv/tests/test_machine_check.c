/* hv/guest/machine_check.c: which machine checks taken in root mode reach the guest. */
#include "hv/tests/check.h"
#include "hv/guest/machine_check.h"
#include "hv/arch/x86_defs.h"

#define LINUX_CR4 (CR4_PAE | CR4_MCE | CR4_PGE | CR4_OSXSAVE) /* what a running OS has */

TEST(machine_check_in_root_reaches_a_guest_that_can_take_it)
{
    CHECK_EQ(mc_root_decide(true, MCG_STATUS_RIPV | MCG_STATUS_MCIP, LINUX_CR4), MC_REFLECT,
             "restartable, guest has CR4.MCE: injected");
    CHECK_EQ(mc_root_decide(true, MCG_STATUS_RIPV | MCG_STATUS_EIPV | MCG_STATUS_MCIP, LINUX_CR4), MC_REFLECT,
             "EIPV does not matter: the guest's handler reads it from MCG_STATUS itself");
}

TEST(machine_check_in_root_stops_when_it_cannot_be_handed_on)
{
    CHECK_EQ(mc_root_decide(true, MCG_STATUS_MCIP, LINUX_CR4), MC_STOP_NO_RIPV,
             "RIPV 0: root mode cannot go back to what it was doing");
    CHECK_EQ(mc_root_decide(true, MCG_STATUS_RIPV | MCG_STATUS_MCIP, LINUX_CR4 & ~CR4_MCE), MC_STOP_GUEST_MCE_OFF,
             "guest with CR4.MCE clear: shutdown on bare metal, not an injected #MC");
    CHECK_EQ(mc_root_decide(false, MCG_STATUS_RIPV | MCG_STATUS_MCIP, LINUX_CR4), MC_STOP_NO_VCPU,
             "before launch there is no guest");
    CHECK_EQ(mc_root_decide(false, 0, 0), MC_STOP_NO_VCPU, "no vCPU is checked first");
}

TEST(machine_check_texts_are_distinct)
{
    const enum mc_root_action all[] = { MC_REFLECT, MC_STOP_NO_RIPV, MC_STOP_GUEST_MCE_OFF, MC_STOP_NO_VCPU };
    for (unsigned i = 0; i < ARRAY_LEN(all); i++) {
        CHECK(mc_root_action_text(all[i])[0] != '?', "action %u has a text", i);
        for (unsigned j = 0; j < i; j++)
            CHECK(mc_root_action_text(all[i]) != mc_root_action_text(all[j]), "actions %u and %u differ", i, j);
    }
}
