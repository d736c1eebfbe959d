/*
 * Which program exitvisor starts after it has virtualized the machine.
 * Sources, first match wins:
 *   1. exitvisor's own UEFI load options (e.g. the UEFI shell command line
 *      "exitvisor.efi \EFI\tools\app.efi arg1 arg2"): the first token ending in
 *      ".efi" after exitvisor's own name is the next stage, the rest of the
 *      line becomes its load options;
 *   2. the config file \EFI\exitvisor\exitvisor.cfg on exitvisor's volume:
 *        # comment
 *        next=\EFI\exitvisor\probe.efi
 *        options=--poweroff
 *        virtualize=no
 *        init_sipi=intercept
 *        watch_reset_port=yes
 *   3. the default \EFI\exitvisor\probe.efi, no options.
 * virtualize=no (config file only; yes by default) makes exitvisor start the
 * next stage without entering VMX, after the same preparation (the MADT where
 * the firmware has none): the baseline for "what does the hypervisor cost".
 * init_sipi=native (default) or intercept and watch_reset_port=no (default)
 * or yes are the hypervisor's options (struct hv_options, hv/vcpu.h); they
 * too come only from the config file, and apply to the default program
 * when no next= is given.
 * Parsing is pure so the host unit tests cover it.
 */
#ifndef EXITVISOR_NEXT_STAGE_H
#define EXITVISOR_NEXT_STAGE_H
#include <stddef.h>

#define NEXT_STAGE_MAX 256
#define NEXT_STAGE_DEFAULT "\\EFI\\exitvisor\\probe.efi"
#define NEXT_STAGE_CONFIG "\\EFI\\exitvisor\\exitvisor.cfg"

struct next_stage {
    char path[NEXT_STAGE_MAX];
    char options[NEXT_STAGE_MAX];
    const char *source; /* "load options", "config file" or "default" */
    int virtualize;     /* 0: start the next stage without the hypervisor */
    int intercept_init_sipi; /* init_sipi=intercept */
    int watch_reset_port;    /* watch_reset_port=yes */
};

enum parse_result { PARSE_NONE, PARSE_OK, PARSE_ERROR };

/* Load options as ASCII (already narrowed from UCS-2). self_name is
 * exitvisor's own file name (any path prefix is ignored; NULL if unknown):
 * a first token naming it is skipped, so "exitvisor.efi --x" never makes
 * exitvisor start itself. PARSE_NONE when no .efi program is named. */
enum parse_result next_stage_from_command_line(const char *line, const char *self_name, struct next_stage *out);
/* Config file text. PARSE_ERROR with *error set for a line it cannot use. */
enum parse_result next_stage_from_config(const char *text, size_t len, struct next_stage *out, const char **error,
                                         unsigned *error_line);
void next_stage_default(struct next_stage *out);
#endif
