/*
 * fuzz_exit_rules: which exit reasons can occur (hv/stats/exit_possible.c) and the
 * reason tables (hv/stats/exit_names.c), on random VMX controls and reason numbers.
 *
 * fuzz-sources: hv/stats/exit_possible.c hv/stats/exit_names.c
 * fuzz-max-len: 512
 *
 * For random struct vmx_controls, every reason 0..EXIT_REASON_COUNT+16 and
 * random 32-bit numbers (also raw exit-reason fields with bits 16-31 set):
 *   - name, condition and "defined" agree with each other and with the SDM
 *     list (fuzz.h); an undefined reason is never possible;
 *   - RULE_ALWAYS is possible and RULE_NEVER impossible under any controls;
 *     RULE_PIN/PROC/PROC2 follow exactly their one control bit;
 *   - a reason that needs a secondary control (PROC2, PROC_AND_PROC2,
 *     XSAVES) is impossible when "activate secondary controls" is off, and
 *     the secondary controls are then ignored;
 *   - monotonicity: setting more control bits (OR-ing any second set of
 *     controls into the first) never makes a possible reason impossible.
 *     Every rule in exit_possible.c is monotone today; a rule that exits only
 *     when a control is *clear* would have to be exempted here.
 *   - the dispatcher's lookup: for any 32-bit exit-reason field, the basic
 *     reason (bits 0-15) either has a name and a condition (so a handler, by
 *     exit_dispatch_self_check) or has neither; checked for all 65536 basic
 *     values once at start-up and for random raw fields per input.
 */
#include <string.h>
#include "fuzz.h"
#include "hv/stats/exit_possible.h"
#include "hv/stats/exit_names.h"
#include "hv/arch/vmcs_fields.h"

static bool needs_secondary(enum exit_rule rule)
{
    return rule == RULE_PROC2 || rule == RULE_PROC_AND_PROC2 || rule == RULE_XSAVES;
}

static bool one_bit(u32 b) { return b && !(b & (b - 1)); }

/* The table lookup the dispatcher does, for one raw exit-reason field. */
static void check_lookup(u32 raw)
{
    u32 basic = raw & EXIT_REASON_BASIC_MASK;
    const char *name = exit_reason_name(basic);
    const struct exit_condition *k = exit_reason_condition(basic);
    int defined = exit_reason_defined(basic);

    FUZZ_CHECK((defined != 0) == sdm_defined(basic), "reason %u: defined %d, SDM says %d", basic, defined,
               sdm_defined(basic));
    FUZZ_CHECK((name != NULL) == (defined != 0), "reason %u: name %p but defined %d", basic, (const void *)name,
               defined);
    FUZZ_CHECK((k != NULL) == (defined != 0), "reason %u: condition %p but defined %d", basic, (const void *)k,
               defined);
    if (name) {
        size_t n = strnlen(name, 128);
        FUZZ_CHECK(n > 0 && n < 128, "reason %u: name of length %zu", basic, n);
    }
    /* The full field (entry-failure bit, from-root bit...) must not reach
     * the tables unmasked: a raw value >= 0x10000 is never a reason. */
    if (raw > EXIT_REASON_BASIC_MASK) {
        FUZZ_CHECK(!exit_reason_defined(raw) && !exit_reason_name(raw) && !exit_reason_condition(raw),
                   "raw field 0x%08x taken as a reason", raw);
    }
}

static void read_controls(struct fin *f, struct vmx_controls *c)
{
    c->pin = fin_u32(f);
    c->proc = fin_u32(f);
    c->proc2 = fin_u32(f);
    c->exit = fin_u32(f);
    c->entry = fin_u32(f);
    /* Sparse values matter (zero vs nonzero decides several rules). */
    u8 zeros = fin_u8(f);
    c->exception_bitmap = (zeros & 1) ? 0 : fin_u32(f);
    c->cr0_guest_host_mask = (zeros & 2) ? 0 : fin_u64(f);
    c->cr4_guest_host_mask = (zeros & 4) ? 0 : fin_u64(f);
    c->entry_msr_load_count = (zeros & 8) ? 0 : fin_u32(f);
    c->xss_exiting_bitmap = (zeros & 16) ? 0 : fin_u64(f);
    u8 flags = fin_u8(f);
    c->wait_for_sipi_used = flags & 1;
    c->cpu_has_xsave = flags & 2;
    c->guest_can_set_smxe = flags & 4;
    /* Mostly realistic: secondary controls on, so PROC2 rules are reached. */
    if (flags & 8)
        c->proc |= PROC_SECONDARY_CONTROLS;
}

static void check_reason(u32 r, const struct vmx_controls *c, const struct vmx_controls *more)
{
    bool p = exit_reason_possible(r, c);
    const struct exit_condition *k = exit_reason_condition(r);

    FUZZ_CHECK(p == exit_reason_possible(r, c), "reason %u: two answers for the same controls", r);
    if (!sdm_defined(r)) {
        FUZZ_CHECK(!p, "undefined reason %u possible", r);
        FUZZ_CHECK(!k, "undefined reason %u has a condition", r);
        return;
    }
    FUZZ_CHECK(k != NULL, "defined reason %u has no condition", r);
    FUZZ_CHECK(k->rule > RULE_UNDEFINED && k->rule <= RULE_PAUSE, "reason %u: rule %d out of range", r, k->rule);

    bool secondary = (c->proc & PROC_SECONDARY_CONTROLS) != 0;
    u32 proc2 = secondary ? c->proc2 : 0;
    switch (k->rule) {
    case RULE_ALWAYS:
        FUZZ_CHECK(p, "RULE_ALWAYS reason %u impossible", r);
        break;
    case RULE_NEVER:
        FUZZ_CHECK(!p, "RULE_NEVER reason %u possible", r);
        break;
    case RULE_PIN:
        FUZZ_CHECK(one_bit(k->bit), "reason %u: PIN rule with bits 0x%x", r, k->bit);
        FUZZ_CHECK(p == ((c->pin & k->bit) != 0), "reason %u: PIN bit 0x%x, pin 0x%x, possible %d", r, k->bit,
                   c->pin, p);
        break;
    case RULE_PROC:
        FUZZ_CHECK(one_bit(k->bit), "reason %u: PROC rule with bits 0x%x", r, k->bit);
        FUZZ_CHECK(p == ((c->proc & k->bit) != 0), "reason %u: PROC bit 0x%x, proc 0x%x, possible %d", r, k->bit,
                   c->proc, p);
        break;
    case RULE_PROC2:
        FUZZ_CHECK(one_bit(k->bit), "reason %u: PROC2 rule with bits 0x%x", r, k->bit);
        FUZZ_CHECK(p == ((proc2 & k->bit) != 0), "reason %u: PROC2 bit 0x%x, proc 0x%x proc2 0x%x, possible %d", r,
                   k->bit, c->proc, c->proc2, p);
        break;
    case RULE_PROC_AND_PROC2:
        FUZZ_CHECK(one_bit(k->bit) && one_bit(k->bit2), "reason %u: bits 0x%x 0x%x", r, k->bit, k->bit2);
        FUZZ_CHECK(p == ((c->proc & k->bit) && (proc2 & k->bit2)), "reason %u: PROC&PROC2, possible %d", r, p);
        break;
    default:
        break;
    }
    if (needs_secondary(k->rule) && !secondary)
        FUZZ_CHECK(!p, "reason %u (rule %d) possible with secondary controls off (proc2 0x%x)", r, k->rule, c->proc2);
    if (!secondary) {
        struct vmx_controls z = *c;
        z.proc2 = 0;
        FUZZ_CHECK(p == exit_reason_possible(r, &z), "reason %u: proc2 0x%x counted with secondary controls off", r,
                   c->proc2);
    }
    /* Monotone: more bits set never removes a possible reason. */
    if (p) {
        struct vmx_controls m = *c;
        m.pin |= more->pin;
        m.proc |= more->proc;
        m.proc2 |= more->proc2;
        m.exit |= more->exit;
        m.entry |= more->entry;
        m.exception_bitmap |= more->exception_bitmap;
        m.cr0_guest_host_mask |= more->cr0_guest_host_mask;
        m.cr4_guest_host_mask |= more->cr4_guest_host_mask;
        m.entry_msr_load_count |= more->entry_msr_load_count;
        m.xss_exiting_bitmap |= more->xss_exiting_bitmap;
        m.wait_for_sipi_used |= more->wait_for_sipi_used;
        m.cpu_has_xsave |= more->cpu_has_xsave;
        m.guest_can_set_smxe |= more->guest_can_set_smxe;
        FUZZ_CHECK(exit_reason_possible(r, &m), "reason %u (rule %d) possible, impossible with more controls set",
                   r, k->rule);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Every basic reason the 16-bit field can hold, once. */
    for (u32 basic = 0; basic <= 0xFFFFu; basic++)
        check_lookup(basic);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    struct vmx_controls c, more;

    memset(&c, 0, sizeof(c));
    memset(&more, 0, sizeof(more));
    read_controls(&f, &c);
    read_controls(&f, &more);
    for (u32 r = 0; r < EXIT_REASON_COUNT + 16; r++)
        check_reason(r, &c, &more);
    /* Random reason numbers and raw exit-reason fields. */
    for (u32 i = 0; i < 64 && !fin_done(&f); i++) {
        u32 raw = fin_u32(&f);
        check_lookup(raw);
        check_reason(raw, &c, &more);
        check_reason(raw & EXIT_REASON_BASIC_MASK, &c, &more);
    }
    check_reason(0xFFFFFFFFu, &c, &more);
    check_reason(0x80000000u | EXIT_REASON_ENTRY_FAIL_GUEST_STATE, &c, &more);
    return 0;
}
