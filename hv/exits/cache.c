/* INVD and WBINVD. INVD would throw away dirty lines that belong to the
 * hypervisor and the other vCPUs too, so it is carried out as WBINVD, which
 * the SDM allows as a stronger substitute. */
#include "handlers.h"
#include "../guest/guest.h"

void handle_invd(struct vcpu *v)
{
    wbinvd();
    guest_skip_instruction(v);
}

void handle_wbinvd(struct vcpu *v)
{
    wbinvd();
    guest_skip_instruction(v);
}
