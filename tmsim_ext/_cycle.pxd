# The 'cycle' proof, for every geometry: the whole configuration (state, head and tape)
# repeats. The walk (_watch.pxd) asks it when the run is back at its checkpoint's state
# and cell; the journal tells which cells can differ.
from libc.stdint cimport uint32_t

from tmsim_ext._types cimport symbol_t, pos_t, step_t
from tmsim_ext._journal cimport Marks, marks_next


cdef inline bint tape_repeats(Marks* k, const symbol_t* tape, const pos_t* jpos, const symbol_t* jold,
                              step_t ck_t, step_t t) noexcept nogil:
    """Proof 'cycle' (state and head already match): is the tape as it was at ck_t?

    Only cells written since ck_t can differ: each one's oldest journal entry holds
    what it was then.
    """
    cdef step_t j
    cdef pos_t p
    cdef uint32_t now = marks_next(k)
    cdef uint32_t* at = k.at
    for j in range(ck_t, t):
        p = jpos[j]
        if at[p] != now:
            at[p] = now
            if tape[p] != jold[j]:
                return False
    return True
