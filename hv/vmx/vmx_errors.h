/* VM-instruction error numbers (SDM Vol. 3C 31.4, Table 31-1) and their meaning. */
#ifndef EXITVISOR_VMX_ERRORS_H
#define EXITVISOR_VMX_ERRORS_H
#include "../types.h"
const char *vmx_instruction_error_text(u32 error);
#endif
