/*
 * Reference facts for the tests, written independently of hv/: the SDM's
 * basic exit reasons (test_sdm_table.c) and helpers built on them.
 */
#ifndef EXITVISOR_TESTS_SDM_H
#define EXITVISOR_TESTS_SDM_H
#include <stddef.h>

struct sdm_reason {
    unsigned number;
    const char *name;
};

/* Intel SDM Vol. 3C, Appendix C, Table C-1 "Basic Exit Reasons". */
extern const struct sdm_reason sdm_reasons[];
extern const size_t sdm_reason_count;

/* The SDM name of reason r, or NULL when the SDM defines no reason r. */
const char *sdm_reason_name(unsigned r);

#endif
