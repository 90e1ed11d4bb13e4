# The 2-D kernel's 'escape' proof: from a fresh line, the entries for blank cells keep
# the head on fresh cells forever.
from libc.stdint cimport uint64_t

from tmsim_ext._grid_types cimport Ctx


cdef inline bint escapes(Ctx* c, int q, int d0) noexcept nogil:
    """Proof 'escape': the head just reached a fresh line in direction d0, in state q.

    Following the entries for blank cells from q: when they cycle through states with
    every move in d0 or in one direction across it, each cell the head reaches is fresh
    (a new line in d0, or further along the new line than it has been), hence blank, and
    the cycle repeats forever.
    """
    cdef uint64_t seen = 0
    cdef int e, d, d1 = -1
    while True:
        if seen & ((<uint64_t>1) << q):
            return True
        seen |= (<uint64_t>1) << q
        e = q * c.m
        if c.act[e] < c.m:
            return False
        d = c.dirn[e]
        if d != d0:
            if (d ^ d0) == 1:          # 0/1 and 2/3 are opposite directions
                return False
            if d1 < 0:
                d1 = d
            elif d != d1:
                return False
        q = c.nx[e]
