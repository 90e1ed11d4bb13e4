# The pigeonhole proof (exact_upto only, _line_upto.pxd): while a run is w cells wide,
# its head and every non-blank cell lie in those w cells, so it has at most n*w*m**w
# distinct configurations (state, head cell, the w cells). A run that has taken
# t >= n*w*m**w steps while never wider than w has shown t + 1 configurations, two of
# them equal: from the first of the two it repeats forever, reading only entries it has
# read already, so every machine of its class (they differ only in unread entries)
# never halts.
from libc.stdint cimport int64_t

from tmsim_ext._types cimport step_t
from tmsim_ext._line_types cimport Ctx


cdef inline step_t pigeon_bound(Ctx* c, int64_t w) noexcept nogil:
    """n * w * m**w: a run no wider than w cells after this many steps never halts."""
    cdef step_t k = <step_t>c.n * w
    cdef int64_t _i
    for _i in range(w):
        k *= c.m
    return k
