# A counter-based random generator for sampling: the draws of one sampled machine are a
# pure function of (job seed, batch, draw index, k), so a batch gives the same counts on
# any worker, in any order, on any number of workers.
#
# Each value is SplitMix64's output function applied to key + k * golden gamma (Steele,
# Lea & Flood 2014, "Fast splittable pseudorandom number generators"), with the key
# itself mixed from the three identifiers.
from libc.stdint cimport uint32_t, uint64_t


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """SplitMix64's finaliser: a bijection of 64-bit words with good avalanche."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef struct Rng:
    uint64_t key
    uint64_t k


cdef inline void rng_start(Rng* r, uint64_t seed, uint64_t batch, uint64_t draw) noexcept nogil:
    """The stream of one draw."""
    cdef uint64_t g = <uint64_t>0x9E3779B97F4A7C15ULL
    r.key = mix64(mix64(mix64(seed + g) ^ (batch + 2 * g)) ^ (draw + 3 * g))
    r.k = 0


cdef inline uint64_t rng_next(Rng* r) noexcept nogil:
    r.k += 1
    return mix64(r.key + r.k * <uint64_t>0x9E3779B97F4A7C15ULL)


cdef inline uint32_t rng_below(Rng* r, uint32_t n) noexcept nogil:
    """Uniform on 0..n-1 (n >= 1), without bias (Lemire 2019, multiply and reject)."""
    cdef uint64_t x = rng_next(r) >> 32
    cdef uint64_t prod = x * n
    cdef uint32_t low = <uint32_t>prod, floor
    if low < n:
        floor = <uint32_t>(-n) % n
        while low < floor:
            x = rng_next(r) >> 32
            prod = x * n
            low = <uint32_t>prod
    return <uint32_t>(prod >> 32)
