# The non-halting proofs, one flag each, for every geometry: a walk tries those whose
# flag is set, and none may change a count. Each proof is one file: 'closed'
# (_closed.pxd), 'cycle' (_cycle.pxd), 'escape' (_line_escape.pxd,
# _grid_escape.pxd: what an edge means differs), 'shift' (the look-back schedule in
# _shift.pxd, what "shifted" means in _line_shift.pxd and _grid_shift.pxd) and 'cps'
# (_line_cps.pxd: long runs, and 1-D walks with ``cps_after``); _watch.pxd says when a
# walk asks each of the others.

cdef enum:
    P_CLOSED = 1   # no halting or free entry is reachable from the current state
    P_ESCAPE = 2   # at a fresh edge, the entries for blank cells keep the head on fresh cells
    P_CYCLE = 4    # the whole configuration repeats
    P_SHIFT = 8    # the configuration at an edge record repeats, shifted (translated cyclers)
    P_CPS = 16     # long runs only: an n-gram closed position set avoids every stop
    SHIFT_LOOKBACK = 2   # earlier records of the same key compared per record
    CLOSED_FIRST = 8     # steps after a branch before the first closed-graph check
    CYCLE_FIRST = 8      # steps the first cycle checkpoint (the branch point) is watched
    CPS_WALK_WAIT = 16   # cps_after: steps after a branch before its walk tries 'cps'
    # indices into by_proof, in the order of proof_flags()
    BY_CLOSED = 0
    BY_ESCAPE = 1
    BY_CYCLE = 2
    BY_SHIFT = 3
    BY_CPS = 4
    # indices into long_by: what decided the classes of long runs
    LONG_BY_CLOSED = 0
    LONG_BY_CPS = 1
    LONG_BY_CYCLE = 2
    LONG_BY_SHIFT = 3
    LONG_BY_PIGEONHOLE = 4  # exact_upto only: the run stayed w cells wide for n*w*m**w steps (_line_pigeon.pxd)


cdef inline dict proof_flags(bint long_runs):
    """Proof name -> flag, in the order of by_proof; 'cps' only for a kernel with long runs."""
    flags = {"closed": P_CLOSED, "escape": P_ESCAPE, "cycle": P_CYCLE, "shift": P_SHIFT}
    if long_runs:
        flags["cps"] = P_CPS
    return flags
