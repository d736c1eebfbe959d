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
 * A config line exitvisor cannot use is reported (line number and reason)
 * and skipped; every other line still applies. What a bad line leaves
 * behind is chosen per key, for safety (see next_stage_from_config).
 * Parsing is pure so the host unit tests cover it.
 */
#ifndef EXITVISOR_NEXT_STAGE_H
#define EXITVISOR_NEXT_STAGE_H
#include <stddef.h>

/* Array sizes, the NUL included: a path of at most 255 characters, load
 * options of at most 4095 (a Linux command line may be 2,048 characters; an
 * EFI stub takes it from these options). */
#define NEXT_STAGE_PATH_MAX 256
#define NEXT_STAGE_OPTIONS_MAX 4096
/* Bad config lines remembered with their reason; more are only counted. */
#define NEXT_STAGE_PROBLEMS_KEPT 8
#define NEXT_STAGE_DEFAULT "\\EFI\\exitvisor\\probe.efi"
#define NEXT_STAGE_CONFIG "\\EFI\\exitvisor\\exitvisor.cfg"

struct next_stage {
    char path[NEXT_STAGE_PATH_MAX];
    char options[NEXT_STAGE_OPTIONS_MAX];
    const char *source; /* "load options", "config file" or "default" */
    int virtualize;     /* 0: start the next stage without the hypervisor */
    int intercept_init_sipi; /* init_sipi=intercept */
    int watch_reset_port;    /* watch_reset_port=yes */
};

enum parse_result { PARSE_NONE, PARSE_OK, PARSE_ERROR };

/* The config file's bad lines: all counted, the first few kept. */
struct config_problems {
    unsigned count;
    struct {
        unsigned line; /* 1-based */
        const char *why; /* what is wrong and what exitvisor does instead */
    } first[NEXT_STAGE_PROBLEMS_KEPT];
};

/* Load options as ASCII (already narrowed from UCS-2). self_name is
 * exitvisor's own file name (any path prefix is ignored; NULL if unknown):
 * a first token naming it is skipped, so "exitvisor.efi --x" never makes
 * exitvisor start itself. PARSE_NONE when no .efi program is named;
 * PARSE_ERROR when the path or the options do not fit (never cut short). */
enum parse_result next_stage_from_command_line(const char *line, const char *self_name, struct next_stage *out);
/* Config file text. Every bad line is recorded in *problems and skipped;
 * the good lines apply. PARSE_OK when the file chooses something (a next
 * stage, options or a setting), PARSE_NONE when it chooses nothing; never
 * PARSE_ERROR. */
enum parse_result next_stage_from_config(const char *text, size_t len, struct next_stage *out,
                                         struct config_problems *problems);
void next_stage_default(struct next_stage *out);
#endif
