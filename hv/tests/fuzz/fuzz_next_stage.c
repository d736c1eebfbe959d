/*
 * fuzz_next_stage: choosing the next stage (boot/next_stage.c) from random
 * load options and config files.
 *
 * fuzz-sources: boot/next_stage.c
 * fuzz-max-len: 9000
 *
 * Input: byte 0 = flags (bit 0: pass a self name, bit 1: use a realistic
 * self path), byte 1 = length of the self name, then the self name, then the
 * text. The text goes to next_stage_from_command_line (as a C string) and to
 * next_stage_from_config (as len bytes, NULs included). Checked:
 *   - path and options are NUL-terminated inside their arrays;
 *   - command line, PARSE_OK: the path is the first or second token, ends in
 *     ".efi" (any case), the options are the rest of the line trimmed; when
 *     the first token names exitvisor itself, the path is never that token;
 *     a line "<x>.efi <y>" whose first token is not exitvisor is never
 *     refused (unless too long); PARSE_ERROR only for lines of >= 256 chars
 *     (a path of 256 or options of 4096 characters);
 *   - config: the result, path, options and error line equal a reference
 *     parser written here from next_stage.h's description (key=value lines,
 *     '#' comments, keys next/options/virtualize/init_sipi/watch_reset_port
 *     in any case, the last next= wins, options or a setting alone apply to
 *     the default program; every bad line is counted and skipped, and sets
 *     what is safest for its key: a bad next= cancels the program, a bad
 *     options= means no options, a bad setting means 0); the bad lines'
 *     count and the first NEXT_STAGE_PROBLEMS_KEPT line numbers equal the
 *     reference's; a path from a text without NUL bytes ends in ".efi" as a
 *     C string.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "boot/next_stage.h"

#define CAP NEXT_STAGE_PATH_MAX        /* the shorter limit: a line under it always fits */
#define OPT_CAP NEXT_STAGE_OPTIONS_MAX

static bool sp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static char low(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

static bool efi_suffix(const char *s, size_t n)
{
    return n >= 4 && s[n - 4] == '.' && low(s[n - 3]) == 'e' && low(s[n - 2]) == 'f' && low(s[n - 1]) == 'i';
}

static bool terminated(const char *a, size_t cap) { return memchr(a, '\0', cap) != NULL; }

/* File name after the last '\' or '/'. */
static void base(const char *s, size_t n, const char **b, size_t *bn)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\\' || s[i] == '/')
            start = i + 1;
    *b = s + start;
    *bn = n - start;
}

static bool names_self(const char *tok, size_t n, const char *self)
{
    const char *a, *b;
    size_t an, bn;
    if (!self)
        return false;
    base(tok, n, &a, &an);
    base(self, strlen(self), &b, &bn);
    if (an != bn || an == 0)
        return false;
    for (size_t i = 0; i < an; i++)
        if (low(a[i]) != low(b[i]))
            return false;
    return true;
}

static void check_command_line(const char *line, const char *self)
{
    struct next_stage out;
    memset(&out, 0xAA, sizeof(out));
    enum parse_result r = next_stage_from_command_line(line, self, &out);
    FUZZ_CHECK(r == PARSE_NONE || r == PARSE_OK || r == PARSE_ERROR, "result %d", r);

    /* The first two tokens. */
    const char *tok[2] = { 0, 0 };
    size_t len[2] = { 0, 0 };
    int found = 0;
    const char *p = line;
    while (found < 2) {
        while (*p && sp(*p))
            p++;
        if (!*p)
            break;
        tok[found] = p;
        while (*p && !sp(*p))
            p++;
        len[found] = (size_t)(p - tok[found]);
        found++;
    }
    size_t line_len = strlen(line);

    if (r == PARSE_ERROR)
        FUZZ_CHECK(line_len >= CAP, "PARSE_ERROR for a line of %zu characters", line_len);
    if (r == PARSE_OK) {
        FUZZ_CHECK(terminated(out.path, sizeof(out.path)) && terminated(out.options, sizeof(out.options)),
                   "path or options not NUL-terminated");
        FUZZ_CHECK(out.source && strcmp(out.source, "load options") == 0, "source %s", out.source ? out.source : "NULL");
        size_t pl = strlen(out.path);
        FUZZ_CHECK(efi_suffix(out.path, pl), "path \"%s\" does not end in .efi", out.path);
        /* Which token: the last one with the path's text (when both tokens
         * are the same text, the parser can only have picked the second:
         * it picks the first only when the second is not an .efi name). */
        int pick = -1;
        for (int t = 0; t < found; t++)
            if (len[t] == pl && memcmp(tok[t], out.path, pl) == 0)
                pick = t;
        FUZZ_CHECK(pick >= 0, "path \"%s\" is neither of the first two tokens", out.path);
        FUZZ_CHECK(!(pick == 0 && names_self(tok[0], len[0], self)), "exitvisor would start itself: \"%s\" (self %s)",
                   out.path, self);
        /* Options: the rest of the line after the path, trimmed. */
        const char *rest = tok[pick] + len[pick];
        while (*rest && sp(*rest))
            rest++;
        size_t rn = strlen(rest);
        while (rn && sp(rest[rn - 1]))
            rn--;
        FUZZ_CHECK(strlen(out.options) == rn && memcmp(out.options, rest, rn) == 0, "options \"%s\", want \"%.*s\"",
                   out.options, (int)rn, rest);
    }
    /* Completeness: "<x>.efi <y...>" with x not exitvisor is a next stage,
     * and so is "<exitvisor> <x>.efi ...". */
    if (line_len < CAP && found == 2) {
        if (efi_suffix(tok[0], len[0]) && !names_self(tok[0], len[0], self))
            FUZZ_CHECK(r == PARSE_OK, "\"%s\" (self %s) not taken", line, self ? self : "NULL");
        if (names_self(tok[0], len[0], self) && efi_suffix(tok[1], len[1]))
            FUZZ_CHECK(r == PARSE_OK && strlen(out.path) == len[1] && memcmp(out.path, tok[1], len[1]) == 0,
                       "\"%s\" (self %s): want the second token", line, self);
    }
}

/* Reference config parser. */
struct config_ref {
    enum parse_result r;
    const char *path;      /* into the text, or the default */
    size_t path_len;
    const char *options;
    size_t options_len;
    unsigned problems;                          /* bad lines */
    unsigned problem_line[NEXT_STAGE_PROBLEMS_KEPT];
    unsigned lines;
    int virtualize;
    int intercept_init_sipi;
    int watch_reset_port;
};

/* The value is exactly one of two words, in any case: *out = 1 or 0. */
static bool two_words(const char *v, size_t n, const char *one, const char *zero, int *out)
{
    const char *w[2] = { zero, one };
    for (int k = 0; k < 2; k++) {
        size_t wn = strlen(w[k]);
        bool same = n == wn;
        for (size_t i = 0; same && i < n; i++)
            same = low(v[i]) == w[k][i];
        if (same) {
            *out = k;
            return true;
        }
    }
    return false;
}

static void ref_problem(struct config_ref *ref)
{
    if (ref->problems < NEXT_STAGE_PROBLEMS_KEPT)
        ref->problem_line[ref->problems] = ref->lines;
    ref->problems++;
}

static void config_reference(const char *text, size_t n, struct config_ref *ref)
{
    size_t i = 0;
    bool have_next = false, have_setting = false;
    const char *nul = memchr(text, '\0', n);
    if (nul)
        n = (size_t)(nul - text); /* the parser's rule: a NUL ends the text */
    memset(ref, 0, sizeof(*ref));
    ref->options = "";
    ref->r = PARSE_NONE;
    ref->virtualize = 1;
    while (i < n) {
        size_t s = i, e;
        while (i < n && text[i] != '\n')
            i++;
        e = i;
        if (i < n)
            i++; /* the '\n' */
        ref->lines++;
        while (s < e && sp(text[s]))
            s++;
        while (e > s && sp(text[e - 1]))
            e--;
        if (s == e || text[s] == '#')
            continue;
        const char *eq = memchr(text + s, '=', e - s);
        if (!eq) {
            ref_problem(ref);
            continue;
        }
        size_t ks = s, ke = (size_t)(eq - text);
        while (ke > ks && sp(text[ke - 1]))
            ke--;
        size_t vs = (size_t)(eq - text) + 1;
        while (vs < e && sp(text[vs]))
            vs++;
        char key[20] = { 0 };
        size_t kn = ke - ks;
        for (size_t k = 0; k < kn && k < sizeof(key) - 1; k++)
            key[k] = low(text[ks + k]);
        if (kn == 4 && memcmp(key, "next", 4) == 0) {
            have_next = efi_suffix(text + vs, e - vs) && e - vs < CAP;
            if (!have_next) {
                ref_problem(ref); /* no program from the file, not even an earlier one */
                continue;
            }
            ref->path = text + vs;
            ref->path_len = e - vs;
        } else if (kn == 7 && memcmp(key, "options", 7) == 0) {
            if (e - vs >= OPT_CAP) {
                ref_problem(ref); /* no options rather than cut ones */
                ref->options = "";
                ref->options_len = 0;
                continue;
            }
            ref->options = text + vs;
            ref->options_len = e - vs;
        } else {
            /* The two-word settings, or an unknown key. */
            static const struct { const char *key, *one, *zero; } words[] = {
                { "virtualize", "yes", "no" },
                { "init_sipi", "intercept", "native" },
                { "watch_reset_port", "yes", "no" },
            };
            int *dest[] = { &ref->virtualize, &ref->intercept_init_sipi, &ref->watch_reset_port };
            size_t w = 0;
            while (w < 3 && !(kn == strlen(words[w].key) && memcmp(key, words[w].key, kn) == 0))
                w++;
            if (w == 3) {
                ref_problem(ref);
                continue;
            }
            have_setting = true;
            if (!two_words(text + vs, e - vs, words[w].one, words[w].zero, dest[w])) {
                ref_problem(ref);
                *dest[w] = 0; /* the safe value: not virtualized, native, not watched */
            }
        }
    }
    if (!have_next) {
        ref->path = NEXT_STAGE_DEFAULT;
        ref->path_len = strlen(NEXT_STAGE_DEFAULT);
    }
    /* options or a setting alone apply to the default program. (An options
     * value starting with a NUL byte reads as empty, as a C string would.) */
    if (have_next || (ref->options_len && ref->options[0] != '\0') || have_setting)
        ref->r = PARSE_OK;
}

static void check_config(const char *text, size_t n)
{
    struct next_stage out;
    struct config_problems problems;
    struct config_ref ref;

    memset(&out, 0xAA, sizeof(out));
    memset(&problems, 0xAA, sizeof(problems));
    enum parse_result r = next_stage_from_config(text, n, &out, &problems);
    config_reference(text, n, &ref);
    FUZZ_CHECK(r == ref.r, "config: result %d, reference %d (%u bad lines)", r, ref.r, ref.problems);
    FUZZ_CHECK(problems.count == ref.problems, "config: %u bad lines, reference %u", problems.count, ref.problems);
    for (unsigned k = 0; k < problems.count && k < NEXT_STAGE_PROBLEMS_KEPT; k++) {
        FUZZ_CHECK(problems.first[k].why && problems.first[k].why[0], "config: bad line %u without a reason",
                   problems.first[k].line);
        FUZZ_CHECK(problems.first[k].line == ref.problem_line[k], "config: bad line #%u is %u, reference %u (%s)", k,
                   problems.first[k].line, ref.problem_line[k], problems.first[k].why);
    }
    FUZZ_CHECK(terminated(out.options, sizeof(out.options)), "config: options not NUL-terminated");
    FUZZ_CHECK(terminated(out.path, sizeof(out.path)), "config: path not NUL-terminated");
    FUZZ_CHECK(ref.path_len < CAP && memcmp(out.path, ref.path, ref.path_len) == 0 && out.path[ref.path_len] == '\0',
               "config: path \"%s\", reference \"%.*s\"", out.path, (int)ref.path_len, ref.path);
    if (r == PARSE_NONE)
        return;
    FUZZ_CHECK(out.source && strcmp(out.source, "config file") == 0, "config: source %s",
               out.source ? out.source : "NULL");
    FUZZ_CHECK(memcmp(out.options, ref.options, ref.options_len) == 0 && out.options[ref.options_len] == '\0',
               "config: options \"%s\", reference \"%.*s\"", out.options, (int)ref.options_len, ref.options);
    FUZZ_CHECK(out.virtualize == ref.virtualize, "config: virtualize %d, reference %d", out.virtualize,
               ref.virtualize);
    FUZZ_CHECK(out.intercept_init_sipi == ref.intercept_init_sipi && out.watch_reset_port == ref.watch_reset_port,
               "config: init_sipi %d watch_reset_port %d, reference %d %d", out.intercept_init_sipi,
               out.watch_reset_port, ref.intercept_init_sipi, ref.watch_reset_port);
    /* The path as the firmware will see it (a C string) names an .efi file,
     * as long as the file has no NUL bytes (see README.md in this folder). */
    if (!memchr(text, '\0', n))
        FUZZ_CHECK(efi_suffix(out.path, strlen(out.path)), "config: path \"%s\" does not end in .efi", out.path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = { data, size };
    uint8_t flags = fin_u8(&f);
    size_t self_len = fin_u8(&f) % 64;
    if (self_len > f.n)
        self_len = f.n;
    char self[80];
    memcpy(self, f.p, self_len);
    self[self_len] = '\0';
    f.p += self_len;
    f.n -= self_len;
    const char *self_name = NULL;
    if (flags & 1) {
        self_name = self;
        if (flags & 2) /* a device-path-like self name */
            self_name = (flags & 4) ? "\\EFI\\BOOT\\BOOTX64.EFI" : "\\EFI\\exitvisor\\exitvisor.efi";
    }

    /* Exactly-sized copies so ASan sees a read past the end. */
    char *line = malloc(f.n + 1);
    memcpy(line, f.p, f.n);
    line[f.n] = '\0';
    check_command_line(line, self_name);
    check_command_line(line, NULL);
    free(line);

    char *text = malloc(f.n ? f.n : 1);
    memcpy(text, f.p, f.n);
    check_config(text, f.n);
    free(text);
    return 0;
}
