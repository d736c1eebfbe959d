/* VMX capability MSR values of real and emulated CPUs, for hv/tests/test_vmx_caps.c. */
#ifndef EXITVISOR_TESTS_VMX_CAPS_MODELS_H
#define EXITVISOR_TESTS_VMX_CAPS_MODELS_H
#include "hv/vmx/vmx_caps.h"

struct vmx_caps_model {
    const char *name;   /* Bochs' cpu model name, or "kvm_nested" */
    const char *source; /* where the values come from */
    struct vmx_cap_msrs msrs;
};

extern const struct vmx_caps_model vmx_caps_models[];
extern const unsigned vmx_caps_model_count;

#endif
