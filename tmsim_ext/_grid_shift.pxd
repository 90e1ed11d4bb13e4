# The 2-D kernel's 'shift' proof: translated cyclers on the grid, found at the edge
# records of a run (the 1-D kernel's argument, with the records' distance a vector).
from libc.stdint cimport int64_t, uint32_t

from tmsim_ext._types cimport symbol_t, pos_t, step_t
from tmsim_ext._journal cimport journal_before
from tmsim_ext._grid_types cimport Ctx


cdef inline void cell_xy(Ctx* c, pos_t p, pos_t* x, pos_t* y) noexcept nogil:
    """The coordinates of flat cell p."""
    cdef int64_t i = <int64_t>p + (<int64_t>c.S + 1) * c.W + c.S + 1
    x[0] = <pos_t>(i % c.W) - <pos_t>c.S - 1
    y[0] = <pos_t>(i // c.W) - <pos_t>c.S - 1


cdef inline pos_t along(pos_t x, pos_t y, int side) noexcept nogil:
    """A cell's coordinate along direction ``side`` (x for Right, -x for Left, ...)."""
    if side == 0:
        return x
    if side == 1:
        return -x
    if side == 2:
        return y
    return -y


cdef inline bint shifted(Ctx* c, step_t t1, pos_t p1, step_t t, pos_t h, int side) noexcept nogil:
    """Proof 'shift' (a translated cycler): edge records at (t1, p1) and (t, h), same state
    and direction, the head at a new extreme in that direction both times.

    Let V be the cells the run read from t1 to t and d = h - p1. If every cell p of V held
    at t1 what p + d holds now, and every p + d outside V lies beyond the extreme of t1
    (so it is blank, and p + 2d beyond the extreme of t), then the run from t is the run
    from t1 shifted by d, and so on forever (the 1-D proof's argument, on the grid).
    Cells p + d off the grid are beyond every extreme and blank."""
    cdef step_t j
    cdef pos_t p = 0, x1, y1, xh, yh, x, y, dx, dy, edge, lim = <pos_t>c.S + 1
    cdef uint32_t now = journal_before(&c.marks, c.before, c.jpos, c.jold, t1, t, 0, &p)
    cdef const uint32_t* at = c.marks.at
    cdef const symbol_t* before = c.before
    cdef const symbol_t* tape = c.tape
    cdef const pos_t* jpos = c.jpos
    cdef symbol_t there
    cdef bint inside
    cell_xy(c, p1, &x1, &y1)
    cell_xy(c, h, &xh, &yh)
    dx = xh - x1
    dy = yh - y1
    edge = along(x1, y1, side)
    for j in range(t1, t):
        p = jpos[j]
        cell_xy(c, p, &x, &y)
        x += dx
        y += dy
        inside = -lim <= x <= lim and -lim <= y <= lim
        there = tape[p + (h - p1)] if inside else 0
        if before[p] != there:
            return False
        if (not inside or at[p + (h - p1)] != now) and along(x, y, side) <= edge:
            return False
    return True
