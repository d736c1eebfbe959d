/* boot/next_stage.c: which program exitvisor starts next, from its load
 * options, its config file, or the default. */
#include <string.h>
#include "check.h"
#include "boot/next_stage.h"

static struct next_stage ns;

static enum parse_result cmd(const char *line)
{
    memset(&ns, 0x55, sizeof(ns));
    ns.source = NULL;
    return next_stage_from_command_line(line, "\\EFI\\exitvisor\\exitvisor.efi", &ns);
}

static struct config_problems probs;

static enum parse_result cfg_len(const char *text, size_t len)
{
    memset(&ns, 0x55, sizeof(ns));
    ns.source = NULL;
    memset(&probs, 0x55, sizeof(probs));
    return next_stage_from_config(text, len, &ns, &probs);
}

static enum parse_result cfg(const char *text) { return cfg_len(text, strlen(text)); }

/* The first bad line's number and reason (0 and "" when none). */
static unsigned err_line_of(unsigned k) { return probs.count > k ? probs.first[k].line : 0; }
static const char *err_of(unsigned k) { return probs.count > k ? probs.first[k].why : ""; }
#define err_line err_line_of(0)
#define err err_of(0)

/* A line "key=" followed by n copies of c and then tail. */
static char *long_line(char *buf, const char *key, size_t n, char c, const char *tail)
{
    strcpy(buf, key);
    size_t k = strlen(buf);
    memset(buf + k, c, n);
    strcpy(buf + k + n, tail);
    return buf;
}

TEST(cmdline_self_then_next_with_options)
{
    CHECK_EQ(cmd("exitvisor.efi \\EFI\\x\\app.efi a b"), PARSE_OK, "self + next + options");
    CHECK_STREQ(ns.path, "\\EFI\\x\\app.efi", "path");
    CHECK_STREQ(ns.options, "a b", "options");
    CHECK_STREQ(ns.source, "load options", "source");

    CHECK_EQ(cmd("  \\EFI\\BOOT\\BOOTX64.EFI\t\\EFI\\x\\APP.EFI   --one  --two  \r\n"), PARSE_OK,
             "extra whitespace, upper-case .EFI");
    CHECK_STREQ(ns.path, "\\EFI\\x\\APP.EFI", "path (upper case)");
    CHECK_STREQ(ns.options, "--one  --two", "options trimmed at both ends, inner spaces kept");

    CHECK_EQ(cmd("exitvisor.efi app.efi"), PARSE_OK, "self + next, no options");
    CHECK_STREQ(ns.path, "app.efi", "path");
    CHECK_STREQ(ns.options, "", "no options");
}

TEST(cmdline_next_only)
{
    CHECK_EQ(cmd("app.efi --x"), PARSE_OK, "next + option");
    CHECK_STREQ(ns.path, "app.efi", "path");
    CHECK_STREQ(ns.options, "--x", "options");
    CHECK_STREQ(ns.source, "load options", "source");
}

TEST(cmdline_own_name_then_options)
{
    CHECK_EQ(cmd("exitvisor.efi --foo"), PARSE_NONE, "own name + options: never start ourselves");
    CHECK_EQ(cmd("fs0:\\EFI\\exitvisor\\EXITVISOR.EFI --foo bar"), PARSE_NONE, "own name with a path, any case");
    CHECK_EQ(next_stage_from_command_line("app.efi --foo", NULL, &ns), PARSE_OK, "self unknown: first .efi is next");
    CHECK_STREQ(ns.path, "app.efi", "path when self is unknown");
}

TEST(cmdline_none)
{
    CHECK_EQ(cmd("exitvisor.efi"), PARSE_NONE, "only our own name");
    CHECK_EQ(cmd(""), PARSE_NONE, "empty");
    CHECK_EQ(cmd("   \t "), PARSE_NONE, "blanks");
    CHECK_EQ(cmd("--verbose"), PARSE_NONE, "no .efi token");
    CHECK_EQ(cmd("foo bar.efi"), PARSE_NONE, "first token not .efi");
    CHECK_EQ(cmd("app.ef"), PARSE_NONE, "not .efi");
    CHECK_EQ(cmd(".efi"), PARSE_NONE, "a bare .efi is our own name at most");
}

TEST(cmdline_too_long)
{
    static char line[NEXT_STAGE_PATH_MAX + NEXT_STAGE_OPTIONS_MAX + 64];
    /* A path of exactly NEXT_STAGE_PATH_MAX - 1 characters fits. */
    strcpy(line, "exitvisor.efi \\");
    size_t n = strlen(line);
    while (n < strlen("exitvisor.efi ") + NEXT_STAGE_PATH_MAX - 1 - 4)
        line[n++] = 'a';
    strcpy(line + n, ".efi x");
    CHECK_EQ(cmd(line), PARSE_OK, "path of %d characters fits", NEXT_STAGE_PATH_MAX - 1);
    CHECK_EQ(strlen(ns.path), NEXT_STAGE_PATH_MAX - 1, "whole path kept");
    /* One more character does not. */
    strcpy(line, "exitvisor.efi \\");
    n = strlen(line);
    while (n < strlen("exitvisor.efi ") + NEXT_STAGE_PATH_MAX - 4)
        line[n++] = 'a';
    strcpy(line + n, ".efi x");
    CHECK_EQ(cmd(line), PARSE_ERROR, "path of %d characters is an error", NEXT_STAGE_PATH_MAX);
    /* Options of a Linux command line (2,048) and up to 4,095 characters fit. */
    CHECK(NEXT_STAGE_OPTIONS_MAX - 1 >= 2048, "options limit %d holds a 2,048-character Linux command line",
          NEXT_STAGE_OPTIONS_MAX - 1);
    CHECK_EQ(cmd(long_line(line, "exitvisor.efi app.efi ", NEXT_STAGE_OPTIONS_MAX - 1, 'o', "")), PARSE_OK,
             "options of %d characters fit", NEXT_STAGE_OPTIONS_MAX - 1);
    CHECK_EQ(strlen(ns.options), NEXT_STAGE_OPTIONS_MAX - 1, "all options kept");
    /* Over-long options: refused, never cut. */
    CHECK_EQ(cmd(long_line(line, "exitvisor.efi app.efi ", NEXT_STAGE_OPTIONS_MAX, 'o', "")), PARSE_ERROR,
             "options of %d characters is an error", NEXT_STAGE_OPTIONS_MAX);
}

TEST(config_full)
{
    const char *text = "# written by make\n"
                       "\n"
                       "   # indented comment\n"
                       "next=\\EFI\\exitvisor\\probe.efi\n"
                       "options=--poweroff\n";
    CHECK_EQ(cfg(text), PARSE_OK, "config with comments and a blank line");
    CHECK_STREQ(ns.path, "\\EFI\\exitvisor\\probe.efi", "path");
    CHECK_STREQ(ns.options, "--poweroff", "options");
    CHECK_STREQ(ns.source, "config file", "source");
    CHECK_EQ(ns.virtualize, 1, "virtualize by default");
}

TEST(config_virtualize)
{
    CHECK_EQ(cfg("next=\\a.efi\nvirtualize=no\n"), PARSE_OK, "virtualize=no");
    CHECK_EQ(ns.virtualize, 0, "no: the baseline without the hypervisor");
    CHECK_EQ(cfg("virtualize = NO\r\nnext=\\a.efi\r\n"), PARSE_OK, "any case, before next, CRLF");
    CHECK_EQ(ns.virtualize, 0, "NO is no");
    CHECK_EQ(cfg("next=\\a.efi\nvirtualize=no\nvirtualize=yes\n"), PARSE_OK, "the last line wins");
    CHECK_EQ(ns.virtualize, 1, "yes after no");
    CHECK_EQ(cfg("virtualize=no\n"), PARSE_OK, "virtualize only: applies to the default program");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "default path");
    CHECK_EQ(ns.virtualize, 0, "kept");
    CHECK_EQ(cfg("next=\\a.efi\nvirtualize=off\n"), PARSE_OK, "only yes or no: the line is reported, next= applies");
    CHECK_EQ(probs.count, 1, "one bad line");
    CHECK_EQ(err_line, 2, "reported on line 2");
    CHECK(strstr(err, "yes or no") != NULL, "message says what is allowed (%s)", err);
    CHECK_EQ(ns.virtualize, 0, "a bad virtualize= value does not virtualize");
    CHECK_STREQ(ns.path, "\\a.efi", "next= kept");
    CHECK_EQ(cfg("next=\\a.efi\nvirtualize=\n"), PARSE_OK, "empty value");
    CHECK_EQ(probs.count, 1, "reported");
    CHECK_EQ(ns.virtualize, 0, "empty value: not virtualized");
    CHECK_EQ(cfg("virtualize=maybe\n"), PARSE_OK, "a bad virtualize= alone still applies (to the default program)");
    CHECK_EQ(ns.virtualize, 0, "not virtualized");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "default program");
    CHECK_EQ(cfg("virtualize=maybe\nvirtualize=yes\n"), PARSE_OK, "a good line after a bad one");
    CHECK_EQ(ns.virtualize, 1, "the last (good) line wins");
    CHECK_EQ(cmd("app.efi --x"), PARSE_OK, "load options");
    CHECK_EQ(ns.virtualize, 1, "load options always virtualize");
}

TEST(config_hypervisor_settings)
{
    CHECK_EQ(cfg("next=\\a.efi\n"), PARSE_OK, "no settings");
    CHECK(ns.intercept_init_sipi == 0 && ns.watch_reset_port == 0, "defaults: init_sipi=native, no reset-port watch");
    CHECK_EQ(cfg("next=\\a.efi\ninit_sipi=intercept\nwatch_reset_port=yes\n"), PARSE_OK, "both set");
    CHECK(ns.intercept_init_sipi == 1 && ns.watch_reset_port == 1, "intercept, watched");
    CHECK_EQ(cfg("Init_SIPI = NATIVE\r\nwatch_reset_port=no\r\n"), PARSE_OK, "any case; alone: the default program");
    CHECK(ns.intercept_init_sipi == 0 && ns.watch_reset_port == 0, "native, not watched");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "settings without next= apply to the default program");
    CHECK_EQ(cfg("init_sipi=intercept\ninit_sipi=native\n"), PARSE_OK, "the last line wins");
    CHECK_EQ(ns.intercept_init_sipi, 0, "native after intercept");
    CHECK_EQ(cfg("next=\\a.efi\ninit_sipi=intercept\ninit_sipi=virtual\n"), PARSE_OK, "only native or intercept");
    CHECK_EQ(err_line, 3, "reported on line 3");
    CHECK(strstr(err, "native or intercept") != NULL, "message says what is allowed (%s)", err);
    CHECK_EQ(ns.intercept_init_sipi, 0, "a bad init_sipi= means native, the default (not the earlier line)");
    CHECK_EQ(cfg("watch_reset_port=yes\nwatch_reset_port=1\n"), PARSE_OK, "only yes or no");
    CHECK(strstr(err, "watch_reset_port") != NULL, "message names the key (%s)", err);
    CHECK_EQ(ns.watch_reset_port, 0, "a bad watch_reset_port= means no, the default");
    CHECK_EQ(cmd("app.efi --x"), PARSE_OK, "load options");
    CHECK(ns.intercept_init_sipi == 0 && ns.watch_reset_port == 0, "load options carry no settings");
}

TEST(config_spaces_and_crlf)
{
    CHECK_EQ(cfg("  next  =  \\EFI\\a\\b.efi  \r\n\toptions =  -x  -y \r\n\r\n# end\r\n"), PARSE_OK,
             "spaces around '=', CRLF line ends");
    CHECK_STREQ(ns.path, "\\EFI\\a\\b.efi", "path trimmed, no CR");
    CHECK_STREQ(ns.options, "-x  -y", "options trimmed, no CR");
    CHECK_EQ(cfg("NEXT=\\x.EFI"), PARSE_OK, "upper-case key, no final newline");
    CHECK_STREQ(ns.path, "\\x.EFI", "path without final newline");
    CHECK_STREQ(ns.options, "", "no options line: empty options");
}

TEST(config_options_only_uses_default_path)
{
    CHECK_EQ(cfg("options=--poweroff\n"), PARSE_OK, "options only");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "default path");
    CHECK_STREQ(ns.path, "\\EFI\\exitvisor\\probe.efi", "the default is the probe");
    CHECK_STREQ(ns.options, "--poweroff", "options kept");
    CHECK_STREQ(ns.source, "config file", "source");
}

TEST(config_none)
{
    CHECK_EQ(cfg(""), PARSE_NONE, "empty file");
    CHECK_EQ(cfg("# only a comment\n\n   \n"), PARSE_NONE, "comments and blanks");
    CHECK_EQ(probs.count, 0, "no bad lines");
    CHECK_EQ(cfg("colour=blue\n"), PARSE_NONE, "only a bad line: nothing chosen");
    CHECK_EQ(probs.count, 1, "but it is reported");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "path: the default");
}

TEST(config_errors)
{
    CHECK_EQ(cfg("# ok\nnext=\\a.efi\ncolour=blue\n"), PARSE_OK, "unknown key: skipped");
    CHECK_EQ(probs.count, 1, "one bad line");
    CHECK_EQ(err_line, 3, "unknown key reported on line 3");
    CHECK(strstr(err, "unknown key") != NULL, "message names the problem (%s)", err);
    CHECK_STREQ(ns.path, "\\a.efi", "the good next= applies");

    CHECK_EQ(cfg("\r\n\r\nnextt=\\a.efi\r\n"), PARSE_NONE, "misspelt key: nothing chosen");
    CHECK_EQ(err_line, 3, "line numbers count CRLF lines");

    CHECK_EQ(cfg("next=\\EFI\\app.exe\n"), PARSE_NONE, "next= not ending in .efi: no next stage from the file");
    CHECK_EQ(err_line, 1, "on line 1");
    CHECK(strstr(err, ".efi") != NULL && strstr(err, NEXT_STAGE_DEFAULT) != NULL,
          "message says what is allowed and what starts instead (%s)", err);
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "the default path");
    CHECK_EQ(cfg("next=\n"), PARSE_NONE, "empty next=");
    CHECK_EQ(probs.count, 1, "reported");
    CHECK_EQ(cfg("options=x\n\nnext = app\n"), PARSE_OK, "next= without .efi after options");
    CHECK_EQ(err_line, 3, "on line 3");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "options apply to the default program, as without next=");
    CHECK_STREQ(ns.options, "x", "options kept");
    CHECK_EQ(cfg("next=\\good.efi\nnext=\\bad.exe\n"), PARSE_NONE, "a bad next= after a good one: no program");
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "the last next= is the one meant: the earlier one is not started");
    CHECK_EQ(cfg("next=\\bad.exe\nnext=\\good.efi\n"), PARSE_OK, "a good next= after a bad one");
    CHECK_STREQ(ns.path, "\\good.efi", "the last next= wins");
    CHECK_EQ(probs.count, 1, "the bad one reported");
    CHECK_EQ(cfg("just some words\n"), PARSE_NONE, "line without '='");
    CHECK_EQ(err_line, 1, "on line 1");
    CHECK(strstr(err, "key=value") != NULL, "message (%s)", err);
}

TEST(config_long_values)
{
    static char text[2 * NEXT_STAGE_OPTIONS_MAX];
    CHECK_EQ(cfg(long_line(text, "next=\\", NEXT_STAGE_PATH_MAX - 6, 'p', ".efi\n")), PARSE_OK,
             "next= of %d characters fits", NEXT_STAGE_PATH_MAX - 1);
    CHECK_EQ(strlen(ns.path), NEXT_STAGE_PATH_MAX - 1, "whole path");
    CHECK_EQ(cfg(long_line(text, "next=\\", NEXT_STAGE_PATH_MAX, 'p', ".efi\n")), PARSE_NONE, "over-long next=");
    CHECK(strstr(err, "255 characters") != NULL, "message names the limit (%s)", err);
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "the default path, not a cut one");

    CHECK_EQ(cfg(long_line(text, "options=", NEXT_STAGE_OPTIONS_MAX - 1, 'o', "\n")), PARSE_OK,
             "options= of %d characters fits", NEXT_STAGE_OPTIONS_MAX - 1);
    CHECK_EQ(strlen(ns.options), NEXT_STAGE_OPTIONS_MAX - 1, "all options");
    CHECK_EQ(probs.count, 0, "no bad lines");
    CHECK_EQ(cfg(long_line(text, "options=", NEXT_STAGE_OPTIONS_MAX, 'o', "\n")), PARSE_NONE,
             "over-long options= alone: nothing chosen");
    CHECK_EQ(probs.count, 1, "reported");
    CHECK(strstr(err, "4095 characters") != NULL, "message names the limit (%s)", err);
    CHECK_STREQ(ns.options, "", "never cut short");
}

/* The case: an over-long options= line must not make exitvisor drop
 * the good lines around it (virtualize=no above all). */
TEST(config_bad_line_keeps_good_ones)
{
    static char text[2 * NEXT_STAGE_OPTIONS_MAX];
    strcpy(text, "# a baseline run\nnext=\\EFI\\x\\app.efi\noptions=--short\n");
    long_line(text + strlen(text), "options=", NEXT_STAGE_OPTIONS_MAX + 10, 'o', "\nvirtualize=no\ninit_sipi=intercept\n");
    CHECK_EQ(cfg(text), PARSE_OK, "the file still chooses");
    CHECK_EQ(probs.count, 1, "one bad line");
    CHECK_EQ(err_line, 4, "the long options= on line 4");
    CHECK_STREQ(ns.path, "\\EFI\\x\\app.efi", "next= from line 2 kept");
    CHECK_STREQ(ns.options, "", "the last options= line was bad: no options, not the earlier ones");
    CHECK_EQ(ns.virtualize, 0, "virtualize=no after the bad line applies");
    CHECK_EQ(ns.intercept_init_sipi, 1, "init_sipi=intercept applies");
    CHECK_STREQ(ns.source, "config file", "source");
}

TEST(config_many_bad_lines)
{
    static char text[1024];
    text[0] = '\0';
    for (int i = 0; i < NEXT_STAGE_PROBLEMS_KEPT + 3; i++)
        strcat(text, "bogus\n");
    strcat(text, "next=\\a.efi\n");
    CHECK_EQ(cfg(text), PARSE_OK, "good line after many bad ones");
    CHECK_EQ(probs.count, NEXT_STAGE_PROBLEMS_KEPT + 3, "all bad lines counted");
    CHECK_EQ(probs.first[NEXT_STAGE_PROBLEMS_KEPT - 1].line, NEXT_STAGE_PROBLEMS_KEPT, "the first few kept, in order");
    CHECK_STREQ(ns.path, "\\a.efi", "the good line applies");
    CHECK_EQ(cfg("a\nnext=\\a.efi\nvirtualize=x\ncolour=1\n"), PARSE_OK, "three different bad lines");
    CHECK(probs.count == 3 && err_line_of(0) == 1 && err_line_of(1) == 3 && err_line_of(2) == 4,
          "lines 1, 3, 4 (got %u: %u %u %u)", probs.count, err_line_of(0), err_line_of(1), err_line_of(2));
}

TEST(config_respects_len)
{
    /* Only the first len bytes are the file. */
    const char *text = "next=\\a.efi\ncolour=blue\n";
    CHECK_EQ(cfg_len(text, strlen("next=\\a.efi\n")), PARSE_OK, "text after len is not read");
    CHECK_EQ(probs.count, 0, "the bad line after len is not seen");
    CHECK_STREQ(ns.path, "\\a.efi", "path");
}

TEST(next_stage_default_values)
{
    memset(&ns, 0x55, sizeof(ns));
    next_stage_default(&ns);
    CHECK_STREQ(ns.path, "\\EFI\\exitvisor\\probe.efi", "default path");
    CHECK_STREQ(ns.options, "", "no options");
    CHECK_STREQ(ns.source, "default", "source");
    CHECK_EQ(ns.virtualize, 1, "virtualize");
    CHECK_STREQ(NEXT_STAGE_CONFIG, "\\EFI\\exitvisor\\exitvisor.cfg", "config file path");
}

TEST(config_nul_ends_the_text)
{
    static const char text[] = "next=\\EFI\\x\0.efi\n";
    cfg_len(text, sizeof(text) - 1);
    CHECK_STREQ(ns.path, NEXT_STAGE_DEFAULT, "a NUL inside next= must not let a non-.efi path through");
    CHECK_EQ(probs.count, 1, "the cut next= is reported");
}
