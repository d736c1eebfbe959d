/*
 * `exvprobe stat -- CMD [ARGS...]`: the exits that happened while CMD ran,
 * perf-stat style: per reason and per vCPU, with rates over CMD's wall time.
 *
 * exitvisor's counters are machine-wide: they include the kernel, interrupts
 * and every other process, on every vCPU. So the report says what else ran
 * meanwhile (context switches and interrupts from /proc/stat, processes
 * running from /proc/loadavg), and it takes out what it knows is its own:
 * every read is a CPUID exit, counted in reason 10, in the total and in the
 * vCPU it ran on. Each value is read before and after CMD; the queries
 * between its two reads (the second one included, it counts itself) are
 * exvprobe's and are subtracted from that value. Their split over the vCPUs
 * is not known (exvprobe may migrate), so the per-vCPU lines say how many
 * of exvprobe's queries their sum still holds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv/stats/abi.h"
#include "hv/arch/exit_reasons.h"
#include "hv/stats/exit_names.h"
#include "../exv_query.h"
#include "exvprobe.h"

#define MAX_VCPUS 64u

/* Every query goes through here, so exvprobe knows its own exits. */
static u64 queries;
static struct cpuid_regs ask(u32 leaf, u32 ecx)
{
    queries++;
    return cpuid(leaf, ecx);
}

struct reading {
    u64 value;
    u64 at; /* queries issued when it was read, itself included */
};

struct snapshot {
    struct reading reason[EXIT_REASON_COUNT];
    struct reading total;
    struct reading vcpu[MAX_VCPUS];
    u64 ctxt, intr;
};

static u32 nr_vcpus;
static unsigned char possible[EXIT_REASON_COUNT];

static void read_reason_map(void)
{
    for (u32 word = 0; word * 32 < EXIT_REASON_COUNT; word++) {
        struct cpuid_regs m = ask(EXV_LEAF_REASON_MAP, word);
        for (u32 b = 0; b < 32 && word * 32 + b < EXIT_REASON_COUNT; b++)
            possible[word * 32 + b] = (m.eax >> b) & 1;
    }
}

static struct reading read64(u32 leaf, u32 ecx)
{
    struct reading r;
    r.value = ebx_ecx(ask(leaf, ecx));
    r.at = queries;
    return r;
}

/* Two counters from /proc/stat: "ctxt N" and the first number of "intr". */
static void read_proc_stat(u64 *ctxt, u64 *intr)
{
    char line[4096];
    FILE *f = fopen("/proc/stat", "r");

    *ctxt = *intr = 0;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "ctxt ", 5))
            sscanf(line + 5, "%llu", ctxt);
        else if (!strncmp(line, "intr ", 5))
            sscanf(line + 5, "%llu", intr);
    }
    fclose(f);
}

/* Before CMD: the per-vCPU totals, the total, then every reason (CPUID
 * last); after it the other way round, so the reads closest to CMD are the
 * ones with the fewest queries of exvprobe's in between. */
static void take(struct snapshot *s, int after)
{
    if (!after) {
        read_proc_stat(&s->ctxt, &s->intr);
        for (u32 v = 0; v < nr_vcpus; v++)
            s->vcpu[v] = read64(EXV_LEAF_VCPU_EXITS, v);
        s->total = read64(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL);
        for (u32 r = 0; r < EXIT_REASON_COUNT; r++)
            if (possible[r] && r != EXIT_REASON_CPUID)
                s->reason[r] = read64(EXV_LEAF_REASON_COUNT64, r);
        s->reason[EXIT_REASON_CPUID] = read64(EXV_LEAF_REASON_COUNT64, EXIT_REASON_CPUID);
    } else {
        s->reason[EXIT_REASON_CPUID] = read64(EXV_LEAF_REASON_COUNT64, EXIT_REASON_CPUID);
        for (u32 r = EXIT_REASON_COUNT; r-- > 0;)
            if (possible[r] && r != EXIT_REASON_CPUID)
                s->reason[r] = read64(EXV_LEAF_REASON_COUNT64, r);
        s->total = read64(EXV_LEAF_REASON_COUNT64, EXV_SELECT_TOTAL);
        for (u32 v = nr_vcpus; v-- > 0;)
            s->vcpu[v] = read64(EXV_LEAF_VCPU_EXITS, v);
        read_proc_stat(&s->ctxt, &s->intr);
    }
}

/* Exits between two reads, less exvprobe's own queries when they count there. */
static u64 delta(struct reading a, struct reading b, int counts_queries)
{
    u64 d = b.value - a.value, own = counts_queries ? b.at - a.at : 0;
    return d > own ? d - own : 0;
}

static void print_command(char **argv)
{
    printf("exvprobe: stat: command \"");
    for (int i = 0; argv[i]; i++)
        printf("%s%s", i ? " " : "", argv[i]);
    printf("\"");
}

int exvprobe_stat(const char *label_text, char **argv)
{
    static struct snapshot before, after;
    char label[96];
    int status = 0;

    if (!signature_ok(cpuid(EXV_LEAF_SIGNATURE, 0))) {
        printf("exvprobe: stat: no exitvisor underneath (no signature at CPUID 0x40000000)\n");
        return 2;
    }
    nr_vcpus = cpuid(EXV_LEAF_INFO, 0).ebx;
    if (nr_vcpus > MAX_VCPUS)
        nr_vcpus = MAX_VCPUS;
    read_reason_map();
    if (!label_text)
        label_text = argv[0];
    snprintf(label, sizeof(label), "stat-begin:%s", label_text);
    exvprobe_mark(label);
    fflush(stdout);
    take(&before, 0);
    u64 t0 = exvprobe_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "exvprobe: stat: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        printf("exvprobe: stat: cannot run %s: %s\n", argv[0], strerror(errno));
        return 2;
    }
    u64 t1 = exvprobe_now_ns();
    take(&after, 1);
    snprintf(label, sizeof(label), "stat-end:%s", label_text);
    exvprobe_mark(label);

    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double secs = (double)(t1 - t0) / 1e9;
    print_command(argv);
    printf(" %s %d after %.3f s (CLOCK_MONOTONIC)\n", WIFEXITED(status) ? "exited with status" : "killed by signal",
           WIFEXITED(status) ? code : WTERMSIG(status), secs);
    printf("exvprobe: stat   nr  %-43s  %12s  %12s\n", "reason", "exits", "exits/s");
    u64 sum = 0;
    for (u32 r = 0; r < EXIT_REASON_COUNT; r++) {
        if (!possible[r])
            continue;
        u64 d = delta(before.reason[r], after.reason[r], r == EXIT_REASON_CPUID);
        sum += d;
        if (d)
            printf("exvprobe: stat   %2u  %-43s  %12llu  %12.0f\n", r, exit_reason_name(r), d, secs > 0 ? d / secs : 0.0);
    }
    u64 total = delta(before.total, after.total, 1);
    printf("exvprobe: stat   total %-43s  %10llu  %12.0f\n", "", total, secs > 0 ? total / secs : 0.0);
    if (total != sum)
        printf("exvprobe: stat   (the reasons add up to %llu: exits that landed between the reads of the total "
               "and of the reasons)\n", sum);
    u64 own_in_vcpus = 0, vcpu_sum = 0;
    for (u32 v = 0; v < nr_vcpus; v++) {
        struct cpuid_regs who = cpuid(EXV_LEAF_VCPU_EXITS, v);
        u64 d = after.vcpu[v].value - before.vcpu[v].value;
        vcpu_sum += d;
        printf("exvprobe: stat   vcpu %u apic %u: %llu exits, %.0f/s%s\n", v, who.eax, d, secs > 0 ? d / secs : 0.0,
               who.edx ? "" : " (not under exitvisor)");
    }
    if (nr_vcpus) {
        own_in_vcpus = after.vcpu[0].at - before.vcpu[0].at;
        printf("exvprobe: stat   the vCPU lines still hold exvprobe's own %llu queries (sum %llu): which vCPU ran "
               "them is not known\n", own_in_vcpus, vcpu_sum);
    }
    FILE *f = fopen("/proc/loadavg", "r");
    char load[128] = "unknown";
    if (f) {
        if (!fgets(load, sizeof(load), f))
            strcpy(load, "unknown");
        fclose(f);
        load[strcspn(load, "\n")] = '\0';
    }
    printf("exvprobe: stat   counters are machine-wide: also the kernel, interrupts and other processes on every "
           "vCPU; meanwhile %llu context switches, %llu interrupts (/proc/stat), loadavg %s\n",
           after.ctxt - before.ctxt, after.intr - before.intr, load);
    u64 own = after.reason[EXIT_REASON_CPUID].at - before.reason[EXIT_REASON_CPUID].at;
    printf("exvprobe: stat   exvprobe's own CPUID quer%s in reason 10 (%llu) and in the total (%llu) are taken out\n",
           own == 1 ? "y" : "ies", own, after.total.at - before.total.at);
    fflush(stdout);
    return code;
}
