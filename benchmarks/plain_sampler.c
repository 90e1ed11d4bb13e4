/* A plain random sampler of n-state, m-symbol 1-D Turing machines, the baseline the
 * project's sampling kernel is measured against (benchmarks/bench_sampling.py).
 *
 * One machine at a time, as the 2014 tables were sampled: draw every entry of the
 * transition table uniformly from the m(2n+1) choices (docs/ctm.md numbering), run the
 * machine on a blank tape for at most S steps, and stop early on the two cheap checks of
 * the reference simulator's random sampler: an *escapee* (more than n consecutive steps
 * onto new cells at the tape's edge) and a *cycle of order two* (two entries that undo
 * each other's move and rewrite what they read). A halting machine's output (the
 * visited cells) is hashed into a table of counts, so that it pays for its output as
 * the kernel does. Prints: draws, halting, seconds, draws per second.
 *
 * Usage: plain_sampler n m S seconds seed
 * Benchmark-only: written for this project, built by bench_sampling.py with cc -O2.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t state_rng;

static uint64_t next64(void) {   /* SplitMix64 */
    uint64_t z = (state_rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) {   /* uniform on 0..n-1 (multiply and reject) */
    uint64_t x = next64() >> 32, prod = x * n;
    uint32_t low = (uint32_t)prod;
    if (low < n) {
        uint32_t floor = (uint32_t)(-n) % n;
        while (low < floor) {
            x = next64() >> 32;
            prod = x * n;
            low = (uint32_t)prod;
        }
    }
    return (uint32_t)(prod >> 32);
}

#define SLOTS (1u << 22)
static uint64_t keys[SLOTS];
static uint64_t counts[SLOTS];

static void count_output(const uint8_t *cells, int n) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)n;
    for (int i = 0; i < n; i++) h = (h ^ cells[i]) * 1099511628211ULL;
    h |= 1;
    uint32_t j = (uint32_t)h & (SLOTS - 1);
    for (int probes = 0; probes < 64; probes++) {
        if (keys[j] == h || keys[j] == 0) {
            keys[j] = h;
            counts[j]++;
            return;
        }
        j = (j + 1) & (SLOTS - 1);
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: plain_sampler n m S seconds seed\n");
        return 2;
    }
    int n = atoi(argv[1]), m = atoi(argv[2]), S = atoi(argv[3]);
    double seconds = atof(argv[4]);
    state_rng = strtoull(argv[5], NULL, 10);
    int b = m * (2 * n + 1), E = n * m;
    int *wr = malloc(E * sizeof(int)), *mv = malloc(E * sizeof(int)), *nx = malloc(E * sizeof(int));
    uint8_t *tape = calloc(2 * S + 3, 1);
    uint8_t *base = tape + S + 1;
    uint64_t draws = 0, halting = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double elapsed = 0;
    while (elapsed < seconds) {
        for (int batch = 0; batch < 4096; batch++) {
            for (int e = 0; e < E; e++) {
                int r = (int)below((uint32_t)b);
                if (r < m) {
                    wr[e] = r; mv[e] = 0; nx[e] = -1;
                } else {
                    int code = (r - m) / m;
                    wr[e] = (r - m) % m; mv[e] = code % 2 == 0 ? 1 : -1; nx[e] = (code / 2) % n;
                }
            }
            int q = 0, h = 0, lo = 0, hi = 0, fresh = 0, t;
            for (t = 0; t < S; t++) {
                int s = base[h], e = q * m + s;
                if (mv[e] == 0) {
                    base[h] = (uint8_t)wr[e];
                    count_output(base + lo, hi - lo + 1);
                    halting++;
                    break;
                }
                base[h] = (uint8_t)wr[e];
                h += mv[e];
                q = nx[e];
                if (h > hi || h < lo) {
                    if (h > hi) hi = h; else lo = h;
                    if (++fresh > n) break;            /* escapee */
                } else {
                    fresh = 0;
                    /* a cycle of order two: the next entry undoes this one's move, back
                       to this state, rewriting what it reads */
                    int f = q * m + base[h];
                    if (wr[e] == s && mv[f] == -mv[e] && nx[f] == e / m && wr[f] == base[h]) break;
                }
            }
            memset(base + lo, 0, hi - lo + 1);
            draws++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        elapsed = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    }
    printf("%llu %llu %.6f %.1f\n", (unsigned long long)draws, (unsigned long long)halting, elapsed, draws / elapsed);
    return 0;
}
