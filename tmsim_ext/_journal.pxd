# The run's write journal and per-cell marks, shared by the 1-D and 2-D kernels.
#
# A run records, per step t, the cell it wrote (jpos[t]) and the symbol that was there
# (jold[t]); undoing a walk replays that backwards, so branching copies no tape. Cells
# are flat indices into the tape (a line in 1-D, a grid in 2-D). Marks are per-cell
# stamps: a fresh stamp marks the cells one pass has seen without clearing anything.
from libc.stdint cimport int64_t, uint32_t
from libc.stdlib cimport calloc, free
from libc.string cimport memset

from tmsim_ext._types cimport symbol_t, pos_t, step_t


cdef struct Marks:
    uint32_t* at        # per cell, indexed like the tape (cell 0 at index 0)
    uint32_t* base      # the allocation: at - offset
    int64_t cells
    int64_t offset
    uint32_t now


cdef inline int marks_alloc(Marks* k, int64_t cells, int64_t offset) noexcept nogil:
    """Room for ``cells`` marks, cell 0 at ``offset``; -1 when memory runs out."""
    k.base = <uint32_t*>calloc(cells, sizeof(uint32_t))
    k.cells = cells
    k.offset = offset
    k.now = 0
    k.at = k.base + offset if k.base != NULL else NULL
    return 0 if k.base != NULL else -1


cdef inline void marks_free(Marks* k) noexcept nogil:
    free(k.base)
    k.base = NULL
    k.at = NULL


cdef inline uint32_t marks_next(Marks* k) noexcept nogil:
    """A fresh stamp (every mark is cleared when the counter wraps)."""
    if k.now == <uint32_t>4294967295U:
        memset(k.base, 0, k.cells * sizeof(uint32_t))
        k.now = 0
    k.now += 1
    return k.now


cdef inline uint32_t journal_before(Marks* k, symbol_t* before, const pos_t* jpos, const symbol_t* jold,
                                    step_t t1, step_t t, int inward, pos_t* far) noexcept nogil:
    """The tape at step t1 where it differs from now (step t): each cell written since t1
    gets a fresh mark (returned) and, in ``before``, what it held at t1 (its oldest
    journal entry's old symbol). With ``inward`` +1 (-1), ``far`` moves down (up) to the
    farthest of those cells; with 0 it is left alone."""
    cdef uint32_t now = marks_next(k)
    cdef uint32_t* stamp = k.at
    cdef step_t j = t - 1
    cdef pos_t p, f = far[0]
    while j >= t1:
        p = jpos[j]
        stamp[p] = now
        before[p] = jold[j]
        if inward > 0:
            f = min(f, p)
        elif inward < 0:
            f = max(f, p)
        j -= 1
    far[0] = f
    return now


cdef inline void journal_undo(symbol_t* tape, const pos_t* jpos, const symbol_t* jold,
                              step_t t, step_t t0) noexcept nogil:
    """Put the tape back as it was at step t0 (it is at step t >= t0 now)."""
    while t > t0:
        t -= 1
        tape[jpos[t]] = jold[t]
