# What reading an entry for the first time does to a class, shared by the walk's branch
# (_kernel.pyx) and the long runs' (_line_long.pxd): the weight its digits share, with
# restricted and split entries (the renaming is _partial.pxd's fresh_state).
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
