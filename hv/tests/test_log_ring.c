/*
 * hv/stats/log_ring.c and leaf 0x40000008 (hv/stats/leaves.c): appending, wrapping,
 * reading what is gone, concurrent writers, and the leaf's 16-byte chunks.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "hv/stats/abi.h"
#include "hv/stats/leaves.h"
#include "hv/stats/log_ring.h"

static struct log_ring ring;

static size_t read_all(u64 at, char *out, size_t n)
{
    return log_ring_read(&ring, at, (u8 *)out, n);
}

TEST(log_ring_appends_and_reads)
{
    char buf[64];
    log_ring_reset(&ring);
    CHECK_EQ(read_all(0, buf, sizeof(buf)), 0, "empty: nothing to read");
    log_ring_append(&ring, "exitvisor: one\n", 15);
    log_ring_append(&ring, "exitvisor: two\n", 15);
    CHECK_EQ(ring.committed, 30, "30 bytes written");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(read_all(0, buf, sizeof(buf)), 30, "all of it");
    CHECK_STREQ(buf, "exitvisor: one\nexitvisor: two\n", "in order");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(read_all(15, buf, 4), 4, "a piece from the middle");
    CHECK_STREQ(buf, "exit", "the second line's start");
    CHECK_EQ(read_all(30, buf, 4), 0, "at the end: nothing");
    CHECK_EQ(read_all(1000, buf, 4), 0, "past the end: nothing");
}

TEST(log_ring_wraps_and_says_what_is_gone)
{
    static char line[100];
    char buf[100];
    log_ring_reset(&ring);
    /* 1,000 numbered lines of 100 bytes: 100,000 bytes through a 64-KiB ring. */
    for (int i = 0; i < 1000; i++) {
        snprintf(line, sizeof(line), "%-98d\n", i);
        log_ring_append(&ring, line, 99);
    }
    u64 end = ring.committed;
    CHECK_EQ(end, 99000, "every byte counted");
    CHECK_EQ(read_all(0, buf, 99), LOG_RING_GONE, "the first line is gone");
    CHECK_EQ(read_all(end - LOG_RING_SIZE - 1, buf, 1), LOG_RING_GONE, "one byte too old: gone");
    CHECK_EQ(read_all(end - LOG_RING_SIZE, buf, 1), 1, "the oldest byte kept is readable");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(read_all(999 * 99, buf, 99), 99, "the last line whole");
    CHECK(!strncmp(buf, "999 ", 4), "the last line is line 999: '%.10s'", buf);
    /* A line longer than the ring: only its end stays, the ring is never overrun. */
    static char big[LOG_RING_SIZE + 500];
    memset(big, 'a', sizeof(big));
    memcpy(big + sizeof(big) - 5, "END\n", 4);
    log_ring_append(&ring, big, sizeof(big) - 1);
    CHECK_EQ(ring.committed, end + LOG_RING_SIZE, "a too long line counts as the ring's size");
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(read_all(ring.committed - 4, buf, 4), 4, "its end readable");
    CHECK_STREQ(buf, "END\n", "its end kept");
}

/* Two writers (the machines here have two cores): the ring publishes in
 * order, so a writer waits for a preempted earlier one, which a hypervisor
 * CPU never is, but a test thread is when threads outnumber cores. */
#define WRITERS 2
#define LINES_EACH 5000

static void *writer(void *arg)
{
    char line[32];
    int id = (int)(long)arg;
    for (int i = 0; i < LINES_EACH; i++) {
        int n = snprintf(line, sizeof(line), "w%d %06d\n", id, i);
        log_ring_append(&ring, line, (size_t)n);
    }
    return NULL;
}

TEST(log_ring_concurrent_writers_lose_nothing)
{
    log_ring_reset(&ring);
    pthread_t t[WRITERS];
    for (long i = 0; i < WRITERS; i++)
        pthread_create(&t[i], NULL, writer, (void *)i);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(ring.committed, (u64)WRITERS * LINES_EACH * 10, "every byte of every writer published");
    CHECK_EQ(ring.reserved, ring.committed, "nothing claimed and left unpublished");
    /* What is kept is whole lines of 10 bytes ("wN nnnnnn\n"), each from one writer. */
    static char kept[LOG_RING_SIZE];
    u64 start = ring.committed - LOG_RING_SIZE;
    start += (10 - start % 10) % 10;
    size_t n = read_all(start, kept, ring.committed - start);
    int whole = n != LOG_RING_GONE && n > 0;
    for (size_t i = 0; whole && i + 10 <= n; i += 10)
        whole = kept[i] == 'w' && kept[i + 2] == ' ' && kept[i + 9] == '\n';
    CHECK(whole, "lines are not torn by other writers");
}

/* Chunk k of the log leaf as text: EAX, EBX, ECX, EDX, the first byte in EAX[7:0]. */
static const char *chunk_text(const struct leaf_env *env, u32 k, char text[17])
{
    struct cpuid_regs r;
    exv_leaf_answer(EXV_LEAF_LOG, k, env, &r);
    const u32 w[4] = { r.eax, r.ebx, r.ecx, r.edx };
    memcpy(text, w, 16);
    text[16] = '\0';
    return text;
}

TEST(log_leaf_chunks)
{
    static bool possible[EXIT_REASON_COUNT];
    static struct exit_stats st;
    static const volatile u32 one = 1;
    struct leaf_env env = { .stats = &st, .possible = possible, .vcpus_launched = &one, .log = &ring };
    struct cpuid_regs r;

    log_ring_reset(&ring);
    log_ring_append(&ring, "exitvisor: 0123456789abcdef\n", 28);
    exv_leaf_answer(EXV_LEAF_LOG, EXV_LOG_HEADER, &env, &r);
    CHECK(r.eax == EXV_LOG_VERSION && r.ebx == 0 && r.ecx == 28 && r.edx == LOG_RING_SIZE,
          "header: version, 28 bytes written, ring size (got %#x %#x %#x %#x)", r.eax, r.ebx, r.ecx, r.edx);
    char text[17];
    CHECK_STREQ(chunk_text(&env, 0, text), "exitvisor: 01234", "chunk 0: the first 16 bytes, first byte in EAX[7:0]");
    CHECK_STREQ(chunk_text(&env, 1, text), "56789abcdef\n", "chunk 1: the rest, then zero bytes");
    exv_leaf_answer(EXV_LEAF_LOG, 2, &env, &r);
    CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0, "past the end: zeros");
    static char fill[LOG_RING_SIZE];
    memset(fill, 'x', sizeof(fill));
    log_ring_append(&ring, fill, sizeof(fill));
    exv_leaf_answer(EXV_LEAF_LOG, 0, &env, &r);
    CHECK(r.eax == EXV_LOG_GONE && r.ebx == EXV_LOG_GONE && r.ecx == EXV_LOG_GONE && r.edx == EXV_LOG_GONE,
          "overwritten: all 0xFFFFFFFF");
    env.log = NULL;
    exv_leaf_answer(EXV_LEAF_LOG, EXV_LOG_HEADER, &env, &r);
    CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0, "no log: zeros");
}
