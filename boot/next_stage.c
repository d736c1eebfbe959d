#include "next_stage.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static int ends_with_efi(const char *s, size_t n)
{
    return n >= 4 && s[n - 4] == '.' && lower(s[n - 3]) == 'e' && lower(s[n - 2]) == 'f' && lower(s[n - 1]) == 'i';
}

/* Copy n bytes and NUL-terminate; 0 when it does not fit. */
static int copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
    dst[n] = '\0';
    return 1;
}

static size_t trimmed_len(const char *s, size_t n)
{
    while (n && is_space(s[n - 1]))
        n--;
    return n;
}

/* The file-name part of a path, up to n characters. */
static const char *base_name(const char *s, size_t *n)
{
    size_t start = 0;
    for (size_t i = 0; i < *n; i++)
        if (s[i] == '\\' || s[i] == '/')
            start = i + 1;
    *n -= start;
    return s + start;
}

static int same_file_name(const char *a, size_t an, const char *b)
{
    size_t bn = 0;
    while (b[bn])
        bn++;
    a = base_name(a, &an);
    b = base_name(b, &bn);
    if (an != bn || an == 0)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

enum parse_result next_stage_from_command_line(const char *line, const char *self_name, struct next_stage *out)
{
    const char *tok[2] = { 0 };
    size_t tok_len[2] = { 0 };
    const char *p = line;
    int found = 0;

    /* Look at the first two tokens: "[self.efi] next.efi [options...]". */
    for (int t = 0; t < 2; t++) {
        while (*p && is_space(*p))
            p++;
        if (!*p)
            break;
        tok[t] = p;
        while (*p && !is_space(*p))
            p++;
        tok_len[t] = (size_t)(p - tok[t]);
        found++;
    }
    int pick = -1;
    if (found >= 1 && self_name && same_file_name(tok[0], tok_len[0], self_name)) {
        if (found < 2 || !ends_with_efi(tok[1], tok_len[1]))
            return PARSE_NONE; /* our own name, then options for us, not a program */
        pick = 1;
    } else if (found == 2 && ends_with_efi(tok[0], tok_len[0]) && ends_with_efi(tok[1], tok_len[1]))
        pick = 1; /* the shell passes exitvisor's own name first */
    else if (found == 2 && ends_with_efi(tok[0], tok_len[0]))
        pick = 0; /* "next.efi options" */
    else if (found == 1 && ends_with_efi(tok[0], tok_len[0]))
        return PARSE_NONE; /* only our own name */
    if (pick < 0)
        return PARSE_NONE;
    if (!copy_text(out->path, sizeof(out->path), tok[pick], tok_len[pick]))
        return PARSE_ERROR;
    const char *rest = tok[pick] + tok_len[pick];
    while (*rest && is_space(*rest))
        rest++;
    size_t n = 0;
    while (rest[n])
        n++;
    if (!copy_text(out->options, sizeof(out->options), rest, trimmed_len(rest, n)))
        return PARSE_ERROR;
    out->source = "load options";
    out->virtualize = 1;
    out->intercept_init_sipi = 0;
    out->watch_reset_port = 0;
    return PARSE_OK;
}

static int key_is(const char *s, size_t n, const char *key)
{
    size_t k = 0;
    while (key[k])
        k++;
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != key[i])
            return 0;
    return 1;
}

/* A value that must be one of two words (any case): *out = 1 for `one`, 0
 * for `zero`; false for anything else. */
static int choice(const char *s, size_t n, const char *one, const char *zero, int *out)
{
    if (key_is(s, n, one))
        *out = 1;
    else if (key_is(s, n, zero))
        *out = 0;
    else
        return 0;
    return 1;
}

/* The keys that take one of two words: the word that stores 1, the one
 * that stores 0, the int it sets, and what a line with any other value
 * sets instead, with the message that says so. */
struct two_word_setting {
    const char *key, *one, *zero, *error;
    size_t field; /* offset of an int in struct next_stage */
    int if_bad;
};

/*
 * A bad value must never make a run quietly measure something else:
 *  - virtualize: not virtualizing. A misspelt "no" read as yes would turn a
 *    baseline into a virtualized run that looks like a baseline; the other
 *    way round the guest finds no exitvisor signature and says so at once.
 *  - init_sipi: native, the default (what a file without the key gets);
 *    tools/run.sh replaces a bad line with intercept under Bochs.
 *  - watch_reset_port: no, the default: watching adds exits of its own.
 */
static const struct two_word_setting settings[] = {
    { "virtualize", "yes", "no", "virtualize= must be yes or no; not virtualizing (a bad line must not turn a "
      "baseline run into a virtualized one)", offsetof(struct next_stage, virtualize), 0 },
    { "init_sipi", "intercept", "native", "init_sipi= must be native or intercept; using native, the default",
      offsetof(struct next_stage, intercept_init_sipi), 0 },
    { "watch_reset_port", "yes", "no", "watch_reset_port= must be yes or no; not watching it, the default",
      offsetof(struct next_stage, watch_reset_port), 0 },
};

static const struct two_word_setting *find_setting(const char *key, size_t n)
{
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (key_is(key, n, settings[i].key))
            return &settings[i];
    return NULL;
}

#define STR_(x) #x
#define STR(x) STR_(x)
#define PATH_CHARS 255    /* NEXT_STAGE_PATH_MAX - 1, spelled out for the messages */
#define OPTIONS_CHARS 4095 /* NEXT_STAGE_OPTIONS_MAX - 1 */
_Static_assert(PATH_CHARS == NEXT_STAGE_PATH_MAX - 1, "the messages name the path limit");
_Static_assert(OPTIONS_CHARS == NEXT_STAGE_OPTIONS_MAX - 1, "the messages name the options limit");

static void note_problem(struct config_problems *p, unsigned line, const char *why)
{
    if (p->count < NEXT_STAGE_PROBLEMS_KEPT) {
        p->first[p->count].line = line;
        p->first[p->count].why = why;
    }
    p->count++;
}

/* What the lines seen so far chose. */
struct config_state {
    struct next_stage *out;
    int have_next, have_setting;
};

/* One key=value line; NULL when it applies, else why not (the line has then
 * set what is safest for its key). */
static const char *apply_line(struct config_state *st, const char *key, size_t key_len, const char *value,
                              size_t value_len)
{
    struct next_stage *out = st->out;
    const struct two_word_setting *setting = find_setting(key, key_len);

    if (key_is(key, key_len, "next")) {
        /* The last next= is the one the file means: when it is unusable, an
         * earlier good one is not started either; the file then names no
         * program, and its options and settings go to the default one, as
         * in a file without next=. */
        if (ends_with_efi(value, value_len) && copy_text(out->path, sizeof(out->path), value, value_len)) {
            st->have_next = 1;
            return NULL;
        }
        st->have_next = 0;
        return "next= must name an .efi file of at most " STR(PATH_CHARS) " characters; starting the default, "
               NEXT_STAGE_DEFAULT;
    }
    if (key_is(key, key_len, "options")) {
        /* Options are never cut short (a cut kernel command line boots
         * something else): the next stage gets none at all. */
        if (copy_text(out->options, sizeof(out->options), value, value_len))
            return NULL;
        out->options[0] = '\0';
        return "options= is longer than " STR(OPTIONS_CHARS) " characters; the next stage gets no options";
    }
    if (setting) {
        int *field = (int *)((char *)out + setting->field);
        st->have_setting = 1;
        if (choice(value, value_len, setting->one, setting->zero, field))
            return NULL;
        *field = setting->if_bad;
        return setting->error;
    }
    return "unknown key (known: next, options, virtualize, init_sipi, watch_reset_port); line ignored";
}

enum parse_result next_stage_from_config(const char *text, size_t len, struct next_stage *out,
                                         struct config_problems *problems)
{
    struct config_state st = { out, 0, 0 };
    unsigned line_no = 0;
    size_t i = 0;

    problems->count = 0;
    /* A NUL ends the text: past it, a value would be cut short where the
     * ".efi" check cannot see it (found by fuzz_next_stage). */
    for (size_t k = 0; k < len; k++)
        if (!text[k]) {
            len = k;
            break;
        }
    out->options[0] = '\0';
    out->virtualize = 1;
    out->intercept_init_sipi = 0;
    out->watch_reset_port = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\n')
            i++;
        size_t end = i++;
        line_no++;
        while (start < end && is_space(text[start]))
            start++;
        end = start + trimmed_len(text + start, end - start);
        if (start == end || text[start] == '#')
            continue;
        size_t eq = start;
        while (eq < end && text[eq] != '=')
            eq++;
        if (eq == end) {
            note_problem(problems, line_no, "expected key=value; line ignored");
            continue;
        }
        size_t key_end = trimmed_len(text + start, eq - start) + start;
        size_t val = eq + 1;
        while (val < end && is_space(text[val]))
            val++;
        const char *why = apply_line(&st, text + start, key_end - start, text + val, end - val);
        if (why)
            note_problem(problems, line_no, why);
    }
    if (!st.have_next) {
        /* Also over a good next= that a bad one after it cancelled. */
        copy_text(out->path, sizeof(out->path), NEXT_STAGE_DEFAULT, sizeof(NEXT_STAGE_DEFAULT) - 1);
        if (!out->options[0] && !st.have_setting)
            return PARSE_NONE;
        /* options or settings without (a usable) next: they apply to the default program. */
    }
    out->source = "config file";
    return PARSE_OK;
}

void next_stage_default(struct next_stage *out)
{
    copy_text(out->path, sizeof(out->path), NEXT_STAGE_DEFAULT, sizeof(NEXT_STAGE_DEFAULT) - 1);
    out->options[0] = '\0';
    out->source = "default";
    out->virtualize = 1;
    out->intercept_init_sipi = 0;
    out->watch_reset_port = 0;
}
