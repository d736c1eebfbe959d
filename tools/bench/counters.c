/*
 * Counter-scheme benchmark (host, pthreads): what one exit's bookkeeping
 * costs when T CPUs count exits at the same time.
 *   sharded: hv/stats/exit_stats.c as the hypervisor uses it (one shard per
 *            vCPU, plain load+store, readers sum the shards);
 *   shared:  one array for all vCPUs, LOCK XADD per update (the
 *            alternative exitvisor did not choose).
 * Each thread counts one exit (count + cycles, as the dispatcher does) per
 * iteration on reason 10. Prints a table and, with --json FILE, writes it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../hv/stats/exit_stats.h"

struct shared_counters {
    u64 count[EXIT_REASON_COUNT];
    u64 cycles[EXIT_REASON_COUNT];
};

static struct exit_stats stats;
static struct shared_counters shared;
static u64 iterations = 20000000;
static pthread_barrier_t start_line;

struct job { int scheme; u32 vcpu; double seconds; };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    pthread_barrier_wait(&start_line);
    double t0 = now();
    if (j->scheme == 0) {
        for (u64 i = 0; i < iterations; i++) {
            exit_stats_count(&stats, j->vcpu, EXIT_REASON_CPUID);
            exit_stats_add_cycles(&stats, j->vcpu, EXIT_REASON_CPUID, 300);
        }
    } else {
        for (u64 i = 0; i < iterations; i++) {
            __atomic_fetch_add(&shared.count[EXIT_REASON_CPUID], 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&shared.cycles[EXIT_REASON_CPUID], 300, __ATOMIC_RELAXED);
        }
    }
    j->seconds = now() - t0;
    return NULL;
}

/* Returns nanoseconds per counted exit per thread (the slowest thread). */
static double run(int scheme, u32 threads, u64 *total_out)
{
    pthread_t t[EXV_MAX_VCPUS];
    struct job jobs[EXV_MAX_VCPUS];
    exit_stats_reset(&stats, threads);
    memset(&shared, 0, sizeof(shared));
    pthread_barrier_init(&start_line, NULL, threads);
    for (u32 i = 0; i < threads; i++) {
        jobs[i] = (struct job){ scheme, i, 0 };
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    double worst = 0;
    for (u32 i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (jobs[i].seconds > worst)
            worst = jobs[i].seconds;
    }
    pthread_barrier_destroy(&start_line);
    *total_out = scheme == 0 ? exit_stats_reason_count(&stats, EXIT_REASON_CPUID) : shared.count[EXIT_REASON_CPUID];
    return worst * 1e9 / (double)iterations;
}

int main(int argc, char **argv)
{
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = strtoull(argv[++i], NULL, 10);
    }
    static const char *names[2] = { "sharded", "shared-lock" };
    double ns[2][3];
    u32 thread_counts[3] = { 1, 2, 4 };
    printf("counter scheme   threads   ns/exit (median of 5)   exact\n");
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 3; k++) {
            double runs[5];
            u64 total = 0;
            int exact = 1;
            for (int r = 0; r < 5; r++) {
                runs[r] = run(s, thread_counts[k], &total);
                exact &= total == iterations * thread_counts[k];
            }
            for (int a = 0; a < 5; a++) /* sort for the median */
                for (int b = a + 1; b < 5; b++)
                    if (runs[b] < runs[a]) { double x = runs[a]; runs[a] = runs[b]; runs[b] = x; }
            ns[s][k] = runs[2];
            printf("%-14s   %7u   %21.2f   %s\n", names[s], thread_counts[k], ns[s][k], exact ? "yes" : "NO");
        }
    }
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) { perror(json); return 1; }
        fprintf(f, "{\"benchmark\": \"counters\", \"iterations\": %llu, \"results\": [", (unsigned long long)iterations);
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < 3; k++)
                fprintf(f, "%s{\"scheme\": \"%s\", \"threads\": %u, \"ns_per_exit\": %.3f}", (s || k) ? ", " : "",
                        names[s], thread_counts[k], ns[s][k]);
        fprintf(f, "]}\n");
        fclose(f);
    }
    return 0;
}
