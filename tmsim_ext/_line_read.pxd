# What reading an entry for the first time does to a class, shared by the walk's branch
# (_kernel.pyx) and the long runs' (_line_long.pxd): the weight its digits share, and
# which unnamed state stands for all of them under renaming.
from tmsim_ext._types cimport u128
from tmsim_ext._line_types cimport Ctx


cdef inline u128 read_entry(Ctx* c, int e) noexcept nogil:
    """Entry e is read: it leaves the free entries (a restricted entry, that multiplied
    every leaf by its choices while unread, now takes one choice at a time; the split
    entry's digits each count on their own). Returns the renaming multiplicity its digits
    share (c.mult is set to it); undo with ``unread_entry``."""
    if not c.restricted[e]:
        c.nfree -= 1
    elif e != c.split_e:
        c.mult = c.mult / c.choices[e]
    return c.mult


cdef inline void unread_entry(Ctx* c, int e, u128 mult) noexcept nogil:
    """Undo ``read_entry`` (mult: c.mult before it)."""
    if not c.restricted[e]:
        c.nfree += 1
    c.mult = mult


cdef inline int fresh_state(const Ctx* c, int* nfresh) noexcept nogil:
    """The lowest state no entry names yet (with renaming on; -1 when none or off), which
    stands for all ``nfresh`` of them."""
    cdef int st, fresh = -1
    nfresh[0] = 0
    if c.symmetry:
        for st in range(c.n - 1, 0, -1):
            if c.used[st] == 0:
                fresh = st
                nfresh[0] += 1
    return fresh
