/*
 * Exit-reason name table, generated from EXIT_REASON_LIST so the numbers and
 * names are written in exactly one place (hv/arch/exit_reasons.h).
 */
#include "exit_names.h"
#include "../arch/exit_reasons.h"

/* Designated initialisers index the table by reason number; the gaps the SDM
 * leaves undefined stay 0 (NULL), which is how "undefined" is represented.
 * A number >= EXIT_REASON_COUNT in the list is rejected by the compiler as
 * an initialiser outside the array. */
static const char *const exit_reason_names[EXIT_REASON_COUNT] = {
#define EXIT_REASON_NAME(num, id, name) [num] = name,
    EXIT_REASON_LIST(EXIT_REASON_NAME)
#undef EXIT_REASON_NAME
};

/* The other direction: EXIT_REASON_COUNT must be exactly one past the highest
 * listed reason, or the CPUID leaves and this table would disagree about
 * where the defined range ends. */
#define EXIT_REASON_IS_LAST(num, id, name) + ((num) == EXIT_REASON_COUNT - 1)
_Static_assert((0 EXIT_REASON_LIST(EXIT_REASON_IS_LAST)) == 1,
               "EXIT_REASON_COUNT must be one past the highest listed reason");
#undef EXIT_REASON_IS_LAST

const char *exit_reason_name(unsigned reason)
{
    if (reason >= EXIT_REASON_COUNT)
        return 0;
    return exit_reason_names[reason];
}

int exit_reason_defined(unsigned reason)
{
    return exit_reason_name(reason) != 0;
}
