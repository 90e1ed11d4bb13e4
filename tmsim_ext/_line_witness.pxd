# Late halts of the 1-D kernel: every class that halts after ``witness_after`` steps is
# listed with its entries, its halting step and its output, so a no-cutoff table can
# name a machine for each string that a step cutoff never produces. Such classes are
# rare (they are the long runs), so a growable list and byte arena do.
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport realloc
from libc.string cimport memcpy

from tmsim_ext._types cimport symbol_t, digit_t, pos_t, step_t
from tmsim_ext._line_types cimport Ctx


cdef inline int _grow(void** p, int64_t* cap, int64_t need, int64_t size) noexcept nogil:
    cdef int64_t n = cap[0]
    cdef void* q
    if need <= n:
        return 0
    while n < need:
        n = 2 * n if n > 0 else 64
    q = realloc(p[0], n * size)
    if q == NULL:
        return -1
    p[0] = q
    cap[0] = n
    return 0


cdef inline void witness_note(Ctx* c, int e, digit_t halt, step_t t, const symbol_t* tape, pos_t h,
                              symbol_t w, pos_t lo, pos_t hi) noexcept nogil:
    """List the class halting on step t+1 by entry e (digit ``halt``), writing w at h,
    with its output tape[lo..hi]; beyond ``max_witness`` classes only count them."""
    cdef int64_t k = c.nwitness, n = <int64_t>hi - lo + 1, cap, i
    if k >= c.max_witness:
        c.witness_lost += 1
        return
    cap = c.cap_witness
    if (_grow(<void**>&c.wit_digits, &cap, (k + 1) * c.E, sizeof(digit_t)) != 0):
        c.failed = 1
        return
    c.cap_witness = cap
    cap = c.cap_wit_rows
    if (_grow(<void**>&c.wit_steps, &cap, k + 1, sizeof(step_t)) != 0):
        c.failed = 1
        return
    cap = c.cap_wit_rows
    if (_grow(<void**>&c.wit_off, &cap, k + 1, sizeof(int64_t)) != 0):
        c.failed = 1
        return
    c.cap_wit_rows = cap
    cap = c.cap_arena
    if _grow(<void**>&c.wit_arena, &cap, c.arena_len + n, 1) != 0:
        c.failed = 1
        return
    c.cap_arena = cap
    for i in range(c.E):
        c.wit_digits[k * c.E + i] = c.act[i]
    c.wit_digits[k * c.E + e] = halt
    c.wit_steps[k] = t + 1
    c.wit_off[k] = c.arena_len
    memcpy(c.wit_arena + c.arena_len, tape + lo, n)
    c.wit_arena[c.arena_len + (h - lo)] = w
    c.arena_len += n
    c.nwitness = k + 1
