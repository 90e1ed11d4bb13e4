# The 'shift' proof's schedule, for every geometry: at each edge record, compare the
# run with earlier records of the same key (state and side or direction). What
# "shifted" means is the geometry's (_line_shift.pxd, _grid_shift.pxd).
from libc.stdint cimport int32_t

from tmsim_ext._types cimport symbol_t, pos_t, step_t
from tmsim_ext._records cimport rec_push, rec_spaced
from tmsim_ext._proofs cimport SHIFT_LOOKBACK
from tmsim_ext._partial cimport AnyCtx, LineCtx
from tmsim_ext._line_shift cimport shifted as line_shifted
from tmsim_ext._grid_shift cimport shifted as grid_shifted


cdef inline bint record(AnyCtx* c, step_t t, pos_t h, int q, int side) noexcept nogil:
    """Push an edge record (the head at h reached a fresh edge on ``side`` at step t, in
    state q) and compare it with earlier ones of its state and side.

    Earlier records are this run's, its ancestors' included: the journal holds the whole
    run. A record j back is compared only when the record j before it lies at the same
    distance in time and space (or there is none): a repeat does that, while bouncers
    and counters, whose sweeps grow, never pay for a comparison. A repeat that ever
    steps back inside compares the cells behind both records (a cheap filter); one that
    never does is the escape proof's case.
    """
    cdef int32_t k, key
    cdef symbol_t behind
    cdef int looked = 0
    cdef bint same
    if AnyCtx is LineCtx:
        key = q * 2 + (side > 0)
        behind = c.tape[h - side]
    else:
        key = q * 4 + side
        behind = c.tape[h - c.dig_step[c.m + side * c.m].off]   # the cell the move came from
    k = rec_push(c.rec, &c.nrec, c.rec_last, key, t, h, behind)
    while k >= 0 and looked < SHIFT_LOOKBACK:
        looked += 1
        if rec_spaced(c.rec, k, looked, t, h) and c.rec[k].behind == behind:
            if AnyCtx is LineCtx:
                same = line_shifted(c, c.rec[k].t, c.rec[k].p, t, h, side)
            else:
                same = grid_shifted(c, c.rec[k].t, c.rec[k].p, t, h, side)
            if same:
                return True
        k = c.rec[k].prev
    return False
