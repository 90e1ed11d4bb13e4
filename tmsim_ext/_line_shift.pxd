# The 1-D kernel's 'shift' proof: the configuration at a tape-edge record repeats,
# shifted, with blank tape beyond (translated cyclers).
from libc.stdint cimport uint32_t

from tmsim_ext._types cimport symbol_t, pos_t, step_t
from tmsim_ext._journal cimport journal_before
from tmsim_ext._line_types cimport Ctx


cdef inline bint shifted(Ctx* c, step_t t1, pos_t p1, step_t t, pos_t h, int side) noexcept nogil:
    """Proof 'shift': records at (t1, p1) and (t, h) on one side see the same tape, shifted.

    Between the records the head stays on the inner side of some cell `far`; if the tape
    from `far` to the record at t1 equals, shifted by h - p1, the tape at t, the run from
    t repeats the run from t1 shifted, forever (beyond a record the tape is blank).
    """
    cdef pos_t far = h, p, a, z, delta = h - p1
    cdef uint32_t now = journal_before(&c.marks, c.scratch, c.jpos, c.jold, t1, t, side, &far)
    cdef const uint32_t* stamp = c.marks.at
    cdef const symbol_t* before = c.scratch
    cdef const symbol_t* tape = c.tape
    cdef symbol_t was
    a = far if side > 0 else p1
    z = p1 if side > 0 else far
    for p in range(a, z + 1):
        was = before[p] if stamp[p] == now else tape[p]
        if was != tape[p + delta]:
            return False
    return True
