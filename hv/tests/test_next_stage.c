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

static const char *err;
static unsigned err_line;

static enum parse_result cfg(const char *text)
{
    memset(&ns, 0x55, sizeof(ns));
    ns.source = NULL;
    err = NULL;
    err_line = 0;
    return next_stage_from_config(text, strlen(text), &ns, &err, &err_line);
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
    char line[2 * NEXT_STAGE_MAX + 64];
    /* A path of exactly NEXT_STAGE_MAX - 1 characters fits. */
    strcpy(line, "exitvisor.efi \\");
    size_t n = strlen(line);
    while (n < strlen("exitvisor.efi ") + NEXT_STAGE_MAX - 1 - 4)
        line[n++] = 'a';
    strcpy(line + n, ".efi x");
    CHECK_EQ(cmd(line), PARSE_OK, "path of %d characters fits", NEXT_STAGE_MAX - 1);
    CHECK_EQ(strlen(ns.path), NEXT_STAGE_MAX - 1, "whole path kept");
    /* One more character does not. */
    strcpy(line, "exitvisor.efi \\");
    n = strlen(line);
    while (n < strlen("exitvisor.efi ") + NEXT_STAGE_MAX - 4)
        line[n++] = 'a';
    strcpy(line + n, ".efi x");
    CHECK_EQ(cmd(line), PARSE_ERROR, "path of %d characters is an error", NEXT_STAGE_MAX);
    /* Over-long options. */
    strcpy(line, "exitvisor.efi app.efi ");
    n = strlen(line);
    for (int i = 0; i < NEXT_STAGE_MAX; i++)
        line[n++] = 'o';
    line[n] = '\0';
    CHECK_EQ(cmd(line), PARSE_ERROR, "options of %d characters is an error", NEXT_STAGE_MAX);
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
    CHECK_EQ(cfg("next=\\a.efi\nvirtualize=off\n"), PARSE_ERROR, "only yes or no");
    CHECK_EQ(err_line, 2, "reported on line 2");
    CHECK(err != NULL && strstr(err, "yes or no") != NULL, "message says what is allowed (%s)", err ? err : "NULL");
    CHECK_EQ(cfg("next=\\a.efi\nvirtualize=\n"), PARSE_ERROR, "empty value");
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
    CHECK_EQ(cfg("next=\\a.efi\ninit_sipi=virtual\n"), PARSE_ERROR, "only native or intercept");
    CHECK_EQ(err_line, 2, "reported on line 2");
    CHECK(err != NULL && strstr(err, "native or intercept") != NULL, "message says what is allowed (%s)",
          err ? err : "NULL");
    CHECK_EQ(cfg("watch_reset_port=1\n"), PARSE_ERROR, "only yes or no");
    CHECK(err != NULL && strstr(err, "watch_reset_port") != NULL, "message names the key (%s)", err ? err : "NULL");
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
}

TEST(config_errors)
{
    CHECK_EQ(cfg("# ok\nnext=\\a.efi\ncolour=blue\n"), PARSE_ERROR, "unknown key");
    CHECK_EQ(err_line, 3, "unknown key reported on line 3");
    CHECK(err != NULL && strstr(err, "unknown key") != NULL, "message names the problem (%s)", err ? err : "NULL");

    CHECK_EQ(cfg("\r\n\r\nnextt=\\a.efi\r\n"), PARSE_ERROR, "misspelt key");
    CHECK_EQ(err_line, 3, "line numbers count CRLF lines");

    CHECK_EQ(cfg("next=\\EFI\\app.exe\n"), PARSE_ERROR, "next= not ending in .efi");
    CHECK_EQ(err_line, 1, "on line 1");
    CHECK(err != NULL, "an error message");
    CHECK_EQ(cfg("next=\n"), PARSE_ERROR, "empty next=");
    CHECK_EQ(cfg("options=x\n\nnext = app\n"), PARSE_ERROR, "next= without .efi after options");
    CHECK_EQ(err_line, 3, "on line 3");
    CHECK_EQ(cfg("just some words\n"), PARSE_ERROR, "line without '='");
    CHECK_EQ(err_line, 1, "on line 1");

    char text[NEXT_STAGE_MAX + 64];
    strcpy(text, "next=\\");
    size_t n = strlen(text);
    for (int i = 0; i < NEXT_STAGE_MAX; i++)
        text[n++] = 'p';
    strcpy(text + n, ".efi\n");
    CHECK_EQ(cfg(text), PARSE_ERROR, "over-long next=");
    strcpy(text, "options=");
    n = strlen(text);
    for (int i = 0; i < NEXT_STAGE_MAX; i++)
        text[n++] = 'o';
    strcpy(text + n, "\n");
    CHECK_EQ(cfg(text), PARSE_ERROR, "over-long options=");
}

TEST(config_respects_len)
{
    /* Only the first len bytes are the file. */
    const char *text = "next=\\a.efi\ncolour=blue\n";
    memset(&ns, 0, sizeof(ns));
    CHECK_EQ(next_stage_from_config(text, strlen("next=\\a.efi\n"), &ns, &err, &err_line), PARSE_OK,
             "text after len is not read");
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
    memset(&ns, 0x55, sizeof(ns));
    err = NULL;
    CHECK(next_stage_from_config(text, sizeof(text) - 1, &ns, &err, &err_line) == PARSE_ERROR,
          "a NUL inside next= must not let a non-.efi path through");
}
