# When a walk asks each proof, for every geometry: 'escape' and 'shift' at each fresh
# edge, 'cycle' whenever the run is back at its checkpoint's state and cell (the
# checkpoint moves on at doubling spans, as in Brent's cycle finding), 'closed' 8, 24,
# 72, ... steps after the walk's start (each wait twice the time so far). Between those
# the step loop (_steps.pxd) runs alone. A new proof of walks is one call here.
from libc.stdint cimport uint64_t

from tmsim_ext._types cimport pos_t, step_t
from tmsim_ext._closed cimport graph_closed
from tmsim_ext._cycle cimport tape_repeats
from tmsim_ext._proofs cimport (
    P_CLOSED, P_ESCAPE, P_CYCLE, P_SHIFT, CLOSED_FIRST, CYCLE_FIRST, BY_ESCAPE, BY_CYCLE, BY_SHIFT, BY_CLOSED,
)
from tmsim_ext._partial cimport AnyCtx, LineCtx, decide
from tmsim_ext._shift cimport record
from tmsim_ext._line_escape cimport escapes as line_escapes
from tmsim_ext._grid_escape cimport escapes as grid_escapes


cdef struct Watch:
    step_t t0           # the walk's first step
    step_t ck_t         # the cycle checkpoint: step, span watched, state * m and cell
    step_t ck_span
    int ck_qm           # -1 when the cycle proof is off (no state matches)
    pos_t ck_h
    step_t closed_at    # the next closed-graph check
    uint64_t esc_known  # escape verdicts, one bit per edge key (state and side)
    uint64_t esc_yes


cdef inline step_t watch_due(const AnyCtx* c, const Watch* w) noexcept nogil:
    """The step at which the step loop must stop for a look: a checkpoint's span ends, a
    closed check or the walk's limit T."""
    return min(min(w.ck_t + w.ck_span, w.closed_at), c.T)


cdef inline step_t watch_start(const AnyCtx* c, Watch* w, step_t t0, pos_t h0, int qm0) noexcept nogil:
    """Start watching a walk from step t0 at cell h0 in state qm0 / m; returns the first due step."""
    cdef step_t never = c.T + 1
    w.t0 = t0
    w.ck_t = t0
    w.ck_span = CYCLE_FIRST
    w.ck_qm = qm0
    w.ck_h = h0
    w.closed_at = t0 + CLOSED_FIRST
    w.esc_known = 0
    w.esc_yes = 0
    if not (c.flags & P_CYCLE):
        w.ck_qm = -1
        w.ck_span = never
    if not (c.flags & P_CLOSED):
        w.closed_at = never
    return watch_due(c, w)


cdef inline int at_edge(AnyCtx* c, Watch* w, int key, int q, int side, step_t t, pos_t h) noexcept nogil:
    """The head reached a fresh edge (``side``; ``key``: the state and side, < 64) at cell
    h on step t in state q. Returns the proof that decides the class (BY_ESCAPE, the
    verdict kept per key, or BY_SHIFT), or -1."""
    cdef uint64_t bit = (<uint64_t>1) << key
    cdef bint out
    if (c.flags & P_ESCAPE) and not (w.esc_known & bit):
        w.esc_known |= bit
        if AnyCtx is LineCtx:
            out = line_escapes(c, q, side)
        else:
            out = grid_escapes(c, q, side)
        if out:
            w.esc_yes |= bit
    if w.esc_yes & bit:
        return BY_ESCAPE
    if (c.flags & P_SHIFT) and record(c, t, h, q, side):
        return BY_SHIFT
    return -1


cdef inline bint watch_decides(AnyCtx* c, Watch* w, int proof, int qm, pos_t h, int q, step_t t) noexcept nogil:
    """After a look at step t (cell h, state q, qm = q * m; ``proof``: what ``at_edge``
    found, or -1): the cycle proof at the checkpoint, then the closed proof when due.
    Counts the class and returns True when a proof decides it."""
    if proof < 0 and qm == w.ck_qm and h == w.ck_h and tape_repeats(&c.marks, c.tape, c.jpos, c.jold, w.ck_t, t):
        proof = BY_CYCLE
    if proof < 0 and t - w.ck_t >= w.ck_span:
        w.ck_t = t
        w.ck_h = h
        w.ck_qm = qm
        w.ck_span *= 2
    if proof < 0 and t == w.closed_at:
        w.closed_at = t + 2 * (t - w.t0)
        if graph_closed(c.open_states, c.succ, q):
            proof = BY_CLOSED
    if proof < 0:
        return False
    decide(c, proof, 1)
    return True
