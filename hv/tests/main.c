/* Runs every TEST registered by the files in hv/tests; see check.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

#define MAX_TESTS 512

static const struct unit_test *tests[MAX_TESTS];
static int nr_tests;
static const char *current = "(no test)";
static unsigned long passed, failed, test_failed;

void unit_register(const struct unit_test *t)
{
    if (nr_tests == MAX_TESTS) {
        fprintf(stderr, "unit: more than %d tests; raise MAX_TESTS in %s\n", MAX_TESTS, __FILE__);
        exit(2);
    }
    tests[nr_tests++] = t;
}

static void vreport(int ok, const char *file, int line, const char *expr, const char *fmt, va_list ap)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    test_failed++;
    printf("FAIL %s:%d: %s: ", file, line, current);
    vprintf(fmt, ap);
    printf("  [%s]\n", expr);
}

void check_record(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ok, file, line, expr, fmt, ap);
    va_end(ap);
}

void check_record_eq(uint64_t got, uint64_t want, const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(got == want, file, line, expr, fmt, ap);
    va_end(ap);
    if (got != want)
        printf("     got 0x%llx (%llu), want 0x%llx (%llu)\n", (unsigned long long)got, (unsigned long long)got,
               (unsigned long long)want, (unsigned long long)want);
}

void check_record_streq(const char *got, const char *want, const char *file, int line, const char *expr,
                        const char *fmt, ...)
{
    int ok = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
    va_list ap;
    va_start(ap, fmt);
    vreport(ok, file, line, expr, fmt, ap);
    va_end(ap);
    if (!ok)
        printf("     got %s%s%s, want %s%s%s\n", got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
               want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
}

static int by_file_then_line(const void *a, const void *b)
{
    const struct unit_test *x = *(const struct unit_test *const *)a, *y = *(const struct unit_test *const *)b;
    int c = strcmp(x->file, y->file);
    return c ? c : x->line - y->line;
}

static int selected(const struct unit_test *t, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(t->name, argv[i]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int ran = 0, tests_failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    qsort(tests, (size_t)nr_tests, sizeof(tests[0]), by_file_then_line);
    for (int i = 0; i < nr_tests; i++) {
        const struct unit_test *t = tests[i];
        if (!selected(t, argc, argv))
            continue;
        unsigned long before = passed + failed;
        current = t->name;
        test_failed = 0;
        t->fn();
        ran++;
        unsigned long checks = passed + failed - before;
        if (checks == 0) {
            /* A test that checks nothing is a broken test. */
            check_record(0, t->file, t->line, "checks > 0", "the test made no checks");
            checks = 1;
        }
        if (test_failed) {
            tests_failed++;
            printf("FAIL %s (%lu of %lu checks failed)\n", t->name, test_failed, checks);
        } else {
            printf("ok   %s (%lu checks)\n", t->name, checks);
        }
    }
    if (ran == 0)
        check_record(0, __FILE__, __LINE__, "ran > 0", "no test matched the command line");
    printf("unit: %d tests, %d failed tests\n", ran, tests_failed);
    printf("unit: %lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
