# An open-addressing hash map from byte strings (outputs) to 128-bit counts, and, for
# sampled counts, a float mass beside each count (the map then counts hits).
# Header-style: every function is inline and nogil, for the kernel's hot loop.
from libc.stdint cimport uint8_t, uint64_t, int64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcmp, memcpy

from tmsim_ext._types cimport u128


cdef struct CountMap:
    uint64_t* hashes    # 0 marks an empty slot (stored hashes have their low bit set)
    int64_t* offsets    # key start in the arena
    int64_t* lengths
    u128* counts
    double* mass        # NULL unless the map was made with masses (sampling)
    uint64_t cap        # slots, a power of two
    uint64_t size
    uint8_t* arena      # every key's bytes, back to back
    int64_t arena_len
    int64_t arena_cap


cdef inline uint64_t cmap_hash(const uint8_t* key, int64_t n) noexcept nogil:
    cdef uint64_t h = 1469598103934665603ULL ^ <uint64_t>n
    cdef int64_t i
    for i in range(n):
        h = (h ^ key[i]) * 1099511628211ULL
    return (h ^ (h >> 29)) | 1


cdef inline int cmap_init(CountMap* m, uint64_t cap, bint with_mass=False) noexcept nogil:
    m.mass = <double*>calloc(cap, sizeof(double)) if with_mass else NULL
    if with_mass and m.mass == NULL:
        return -1
    m.cap = cap
    m.size = 0
    m.hashes = <uint64_t*>calloc(cap, sizeof(uint64_t))
    m.offsets = <int64_t*>calloc(cap, sizeof(int64_t))
    m.lengths = <int64_t*>calloc(cap, sizeof(int64_t))
    m.counts = <u128*>calloc(cap, sizeof(u128))
    m.arena_cap = 1 << 16
    m.arena_len = 0
    m.arena = <uint8_t*>calloc(m.arena_cap, 1)
    if not (m.hashes and m.offsets and m.lengths and m.counts and m.arena):
        return -1
    return 0


cdef inline void cmap_free(CountMap* m) noexcept nogil:
    free(m.hashes)
    free(m.offsets)
    free(m.lengths)
    free(m.counts)
    free(m.arena)
    free(m.mass)
    m.mass = NULL
    m.hashes = NULL
    m.offsets = NULL
    m.lengths = NULL
    m.counts = NULL
    m.arena = NULL


cdef inline int cmap_grow(CountMap* m) noexcept nogil:
    """Double the slots and re-insert every key; -1 when memory runs out."""
    cdef CountMap bigger = m[0]
    cdef uint64_t i, j, mask
    bigger.cap = m.cap * 2
    bigger.hashes = <uint64_t*>calloc(bigger.cap, sizeof(uint64_t))
    bigger.offsets = <int64_t*>calloc(bigger.cap, sizeof(int64_t))
    bigger.lengths = <int64_t*>calloc(bigger.cap, sizeof(int64_t))
    bigger.counts = <u128*>calloc(bigger.cap, sizeof(u128))
    bigger.mass = <double*>calloc(bigger.cap, sizeof(double)) if m.mass != NULL else NULL
    if not (bigger.hashes and bigger.offsets and bigger.lengths and bigger.counts) or (m.mass != NULL and bigger.mass == NULL):
        free(bigger.hashes)
        free(bigger.offsets)
        free(bigger.lengths)
        free(bigger.counts)
        free(bigger.mass)
        return -1
    mask = bigger.cap - 1
    for i in range(m.cap):
        if m.hashes[i] == 0:
            continue
        j = m.hashes[i] & mask
        while bigger.hashes[j] != 0:
            j = (j + 1) & mask
        bigger.hashes[j] = m.hashes[i]
        bigger.offsets[j] = m.offsets[i]
        bigger.lengths[j] = m.lengths[i]
        bigger.counts[j] = m.counts[i]
        if m.mass != NULL:
            bigger.mass[j] = m.mass[i]
    free(m.hashes)
    free(m.mass)
    free(m.offsets)
    free(m.lengths)
    free(m.counts)
    m[0] = bigger
    return 0


cdef inline int cmap_add(CountMap* m, const uint8_t* key, int64_t n, u128 count) noexcept nogil:
    """Add ``count`` to the key's total, inserting it when new; -1 when memory runs out."""
    return cmap_add_mass(m, key, n, count, 0.0)


cdef inline int cmap_add_mass(CountMap* m, const uint8_t* key, int64_t n, u128 count, double mass) noexcept nogil:
    """Add ``count`` (and ``mass``, in a map with masses) to the key's totals."""
    cdef uint64_t h = cmap_hash(key, n)
    cdef uint64_t mask = m.cap - 1
    cdef uint64_t j = h & mask
    cdef uint8_t* grown
    while m.hashes[j] != 0:
        if (m.hashes[j] == h and m.lengths[j] == n
                and memcmp(m.arena + m.offsets[j], key, n) == 0):
            m.counts[j] += count
            if m.mass != NULL:
                m.mass[j] += mass
            return 0
        j = (j + 1) & mask
    if m.arena_len + n > m.arena_cap:
        while m.arena_len + n > m.arena_cap:
            m.arena_cap *= 2
        grown = <uint8_t*>realloc(m.arena, m.arena_cap)
        if grown == NULL:
            return -1
        m.arena = grown
    memcpy(m.arena + m.arena_len, key, n)
    m.hashes[j] = h
    m.offsets[j] = m.arena_len
    m.lengths[j] = n
    m.counts[j] = count
    if m.mass != NULL:
        m.mass[j] = mass
    m.arena_len += n
    m.size += 1
    if 2 * m.size > m.cap:
        return cmap_grow(m)
    return 0
