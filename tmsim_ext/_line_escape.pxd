# The 1-D kernel's 'escape' proof: beyond the tape's edge, the entries for blank cells
# keep moving outward in a cycle of states.
from libc.stdint cimport uint64_t

from tmsim_ext._line_types cimport Ctx


cdef inline bint escapes(Ctx* c, int q, int side) noexcept nogil:
    """Proof 'escape': reading blanks beyond the edge, the run moves outward forever."""
    cdef uint64_t seen = 0
    cdef int e
    while True:
        if seen & ((<uint64_t>1) << q):
            return True
        seen |= (<uint64_t>1) << q
        e = q * c.m
        if c.act[e] < c.m or c.mv[e] != side:
            return False
        q = c.nx[e]
