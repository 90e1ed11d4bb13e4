# Late halts of the 1-D kernel: every class that halts after ``witness_after`` steps is
# listed with its entries, its halting step and its output, so a no-cutoff table can
# name a machine for each string that a step cutoff never produces. Such classes are
# rare (they are the long runs), so a growable list and byte arena do.
#
# With a target output (``target_len`` > 0; the caller sets ``witness_after`` to 0, so
# every halt comes here) only the classes halting with exactly that output are listed,
# whatever their step: "which machine produces this string?" (pipeline.producer). Only
# an output of the target's width is compared. A class counted again mirrored (the
# root's right moves, _kernel.pyx ``fold_mirror``) is listed when it or its mirror
# image, the reversed output, is the target.
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


cdef inline bint _shows(const symbol_t* tape, pos_t h, symbol_t w, pos_t lo, const uint8_t* want, int64_t n,
                        bint reverse) noexcept nogil:
    """Whether tape[lo..lo+n-1], with w written at h, reads ``want`` (backwards: ``reverse``)."""
    cdef int64_t i
    cdef symbol_t s
    for i in range(n):
        s = w if lo + i == h else tape[lo + i]
        if s != want[n - 1 - i if reverse else i]:
            return False
    return True


cdef inline bint _mirrored(Ctx* c) noexcept nogil:
    """Whether the current accumulator's classes are counted again mirrored (no split
    entry: accs[1], or the continuation's accs[long_acc + 1])."""
    return c.split_e < 0 and (c.acc == &c.accs[1] or (c.long_acc > 0 and c.acc == &c.accs[c.long_acc + 1]))


cdef inline bint _on_target(Ctx* c, const symbol_t* tape, pos_t h, symbol_t w, pos_t lo, pos_t hi) noexcept nogil:
    """Whether the output tape[lo..hi] (w at h), or its mirror image when the class is
    counted mirrored too, is the target."""
    if <int64_t>hi - lo + 1 != c.target_len:
        return False
    return (_shows(tape, h, w, lo, c.target, c.target_len, False)
            or (_mirrored(c) and _shows(tape, h, w, lo, c.target, c.target_len, True)))


cdef inline void witness_note(Ctx* c, int e, digit_t halt, step_t t, const symbol_t* tape, pos_t h,
                              symbol_t w, pos_t lo, pos_t hi) noexcept nogil:
    """List the class halting on step t+1 by entry e (digit ``halt``), writing w at h,
    with its output tape[lo..hi]; beyond ``max_witness`` classes only count them. With a
    target, only a class showing it (``_on_target``) is listed."""
    cdef int64_t k = c.nwitness, n = <int64_t>hi - lo + 1, cap, i
    if c.target_len > 0 and not _on_target(c, tape, h, w, lo, hi):
        return
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
