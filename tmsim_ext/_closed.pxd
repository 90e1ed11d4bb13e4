# The state graph of a partial machine, for the 'closed' proof (1-D and 2-D alike).
#
# open_: bit set of the states that have a halting or free entry; succ[q]: bit set of
# the states that q's fixed move entries go to. Both fit 64 bits: the kernels refuse
# more than 31 states.
from libc.stdint cimport int32_t, uint64_t

from tmsim_ext._types cimport digit_t

cdef extern from *:
    int __builtin_ctzll(unsigned long long) nogil


cdef inline bint graph_closed(uint64_t open_, const uint64_t* succ, int q) noexcept nogil:
    """Proof 'closed': no state reachable from q has a halting or free entry."""
    cdef uint64_t reach = (<uint64_t>1) << q, todo = reach, fresh
    cdef int st
    if reach & open_:
        return False
    while todo:
        st = __builtin_ctzll(todo)
        todo &= todo - 1
        fresh = succ[st] & ~reach
        if fresh & open_:
            return False
        reach |= fresh
        todo |= fresh
    return True


cdef inline uint64_t graph_live(uint64_t open_, const uint64_t* succ, int n) noexcept nogil:
    """The states from which some halting or free entry is reachable."""
    cdef uint64_t live = open_, grown, rest
    cdef uint64_t every = ((<uint64_t>1) << n) - 1
    cdef int st
    while True:
        grown = live
        rest = every & ~live
        while rest:
            st = __builtin_ctzll(rest)
            rest &= rest - 1
            if succ[st] & live:
                grown |= (<uint64_t>1) << st
        if grown == live:
            return live
        live = grown


cdef inline bint graph_row(const digit_t* act, const int32_t* nx, int m, int q, int skip,
                           uint64_t* succ) noexcept nogil:
    """State q's row of a partial machine: sets *succ to the states its fixed move entries
    go to and says whether one of its entries halts or is free (a digit below m, or -1);
    entry ``skip`` is left out (-1 leaves none out)."""
    cdef int e
    cdef bint open_ = False
    succ[0] = 0
    for e in range(q * m, q * m + m):
        if e != skip:
            if act[e] < m:
                open_ = True
            else:
                succ[0] |= (<uint64_t>1) << nx[e]
    return open_


cdef inline void graph_update(uint64_t* open_, uint64_t* succ, const digit_t* act, const int32_t* nx,
                              int m, int q) noexcept nogil:
    """Recompute state q's bit of ``open_`` and its successor set ``succ[q]``."""
    cdef uint64_t bit = (<uint64_t>1) << q
    if graph_row(act, nx, m, q, -1, &succ[q]):
        open_[0] |= bit
    else:
        open_[0] &= ~bit
