# Pattern keys in C, for sampled counts: a sampled table's rows are patterns (strings
# equal up to renaming symbols and reversal; matrices up to renaming and the grid's
# turns: pipeline/patterns.py), so each batch pools its outputs into patterns before
# Python sees them. Keys are the smallest normalised member, byte by byte.
from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memcmp, memcpy

cdef enum:
    PATTERN_SEP = 45   # '-' between the rows of a matrix; never renamed


cdef inline void normalize_into(const uint8_t* src, int64_t n, uint8_t* dst) noexcept nogil:
    """Symbols renamed 0, 1, 2, ... in order of first appearance (separators kept)."""
    cdef uint8_t names[256]
    cdef int next_name = 0
    cdef int64_t i
    cdef uint8_t s
    for i in range(256):
        names[i] = 255
    for i in range(n):
        s = src[i]
        if s == PATTERN_SEP:
            dst[i] = s
            continue
        if names[s] == 255:
            names[s] = <uint8_t>next_name
            next_name += 1
        dst[i] = names[s]


cdef inline void line_key(const uint8_t* src, int64_t n, uint8_t* key, uint8_t* scratch) noexcept nogil:
    """A string's pattern key: the smaller of it and its reversal, normalised."""
    cdef int64_t i
    normalize_into(src, n, key)
    for i in range(n):
        scratch[n + i] = src[n - 1 - i]
    normalize_into(scratch + n, n, scratch)
    if memcmp(scratch, key, n) < 0:
        memcpy(key, scratch, n)
