/*
 * Names of the basic VM-exit reasons, as the SDM spells them.
 *
 * Freestanding (no libc), so the same object links into the hypervisor,
 * into the guest probe and into host-side unit tests.
 */
#ifndef EXITVISOR_EXIT_NAMES_H
#define EXITVISOR_EXIT_NAMES_H

/* The SDM name of basic exit reason `reason`, or NULL (0) if the SDM does
 * not define that number (35, 38, 42, 71, and everything >= 80). */
const char *exit_reason_name(unsigned reason);

/* 1 if the SDM defines basic exit reason `reason`, else 0. */
int exit_reason_defined(unsigned reason);

#endif
