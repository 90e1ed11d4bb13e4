# The step loop of every walk: fixed move entries applied while nothing needs a look.
# Fused over the geometry (_partial.pxd's AnyCtx); what a move does to the head, and
# what leaving the visited region means, are the only lines that differ.
from libc.stdint cimport uint8_t, uint32_t

from tmsim_ext._types cimport symbol_t, pos_t, step_t
from tmsim_ext._partial cimport AnyCtx, LineCtx, LineMove, GridMove


cdef struct Head:
    pos_t h             # the head's cell: a tape index (1-D) or a flat grid index (2-D)
    pos_t x, y          # 2-D: its coordinates
    int q, qm           # state, and state * m
    step_t t            # steps taken


cdef inline int plain_steps(AnyCtx* c, Head* at, step_t due, pos_t xlo, pos_t xhi, pos_t ylo, pos_t yhi,
                            int ck_qm, pos_t ck_h) noexcept nogil:
    """Apply fixed move entries from ``at`` while nothing needs a look; few live values,
    so they stay in registers. Returns 0 before an entry that is free or halts; 1 after
    a step that leaves the visited region (xlo..xhi, and ylo..yhi in 2-D), reaches the
    checkpoint's state and cell, or reaches ``due`` (at most T). ``at`` is updated.
    """
    cdef pos_t h = at.h, x = at.x, y = at.y
    cdef int qm = at.qm, e, ret = 1
    cdef step_t t = at.t
    cdef symbol_t s
    cdef LineMove lx
    cdef GridMove gx
    cdef uint8_t go
    cdef bint out
    # h < lo wraps to a large unsigned value, so one compare covers both edges
    cdef uint32_t xw = <uint32_t>(xhi - xlo), yw = <uint32_t>(yhi - ylo)
    cdef symbol_t* tape = c.tape
    cdef pos_t* jpos = c.jpos
    cdef symbol_t* jold = c.jold
    cdef const LineMove* lstep = NULL
    cdef const GridMove* gstep = NULL
    if AnyCtx is LineCtx:
        lstep = c.step
    else:
        gstep = c.step
    while True:
        s = tape[h]
        e = qm + s
        # the entry in one load, taken even when it stops (free or halting: no move),
        # then taken back
        if AnyCtx is LineCtx:
            lx = lstep[e]
        else:
            gx = gstep[e]
        jpos[t] = h
        jold[t] = s
        if AnyCtx is LineCtx:
            tape[h] = lx.wr
            h += lx.mv
            qm = lx.nxm
            go = lx.go
            out = <uint32_t>(h - xlo) > xw
        else:
            tape[h] = gx.wr
            h += gx.off
            x += gx.dx
            y += gx.dy
            qm = gx.nxm
            go = gx.go
            out = (<uint32_t>(x - xlo) > xw) | (<uint32_t>(y - ylo) > yw)
        t += 1
        # one branch for every reason to stop: a mispredicted exit costs once, not per test
        if (go == 0) | out | (t >= due) | (((qm ^ ck_qm) | (h ^ ck_h)) == 0):
            break
    if go == 0:
        t -= 1
        tape[h] = s
        qm = e - s
        ret = 0
    at.h = h
    at.x = x
    at.y = y
    at.q = c.state_of[qm]
    at.qm = qm
    at.t = t
    return ret
