# The state graph of a partial machine, for the 'closed' proof (1-D and 2-D alike).
#
# open_: bit set of the states that have a halting or free entry; succ[q]: bit set of
# the states that q's fixed move entries go to. Both fit 64 bits: the kernels refuse
# more than 31 states.
from libc.stdint cimport uint64_t

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
