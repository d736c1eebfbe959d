/* The platform as a whole: what ends the machine. */
#ifndef EXITVISOR_PLATFORM_H
#define EXITVISOR_PLATFORM_H
#include "../vcpu.h"

/* Print why and the exit table (the counts die with the reset), then reset
 * the platform: port 0xCF9, then the keyboard controller. Stops this CPU
 * if neither resets. */
void __attribute__((noreturn)) platform_reset(struct vcpu *v, const char *why);
#endif
