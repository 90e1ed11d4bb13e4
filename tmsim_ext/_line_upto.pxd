# Exact short outputs (``exact_upto`` = L, 1-D): a class still running at the walk's limit
# S counts there as the plain table counts it (in ``limit``), then, if its visited block
# is at most L cells, runs on as a long run (_line_long.pxd: compact tape, branching on
# free entries with the walk's weights, the long runs' proofs) into the continuation's
# own accumulators (accs[long_acc + i]) until it halts, widens past L cells (counted in
# that accumulator's ``limit`` and listed as undecided: it can no longer give a short
# output, and whether it halts is not known) or has stayed w cells wide for n*w*m**w
# steps (the pigeonhole proof, _line_pigeon.pxd: it never halts). Every output of at
# most L symbols is then counted exactly, with no cutoff. A class wider than L at S is
# not followed: the closed graph and 'cps' may prove it never halts (``upto_settle``),
# else it goes to the continuation's ``limit`` too, so the continuation's limit +
# halting + proven equal the plain limit.
from tmsim_ext._types cimport symbol_t, pos_t, step_t
from tmsim_ext._acc cimport Acc
from tmsim_ext._line_types cimport Ctx
from tmsim_ext._line_long cimport long_decided, long_note, long_start


cdef inline void upto_at_limit(Ctx* c, const symbol_t* tape, pos_t h, int q, step_t t, pos_t lo,
                               pos_t hi, int cps_from) noexcept nogil:
    """The walk's class reached S without halting or a proof: count it at the limit, then
    run it on (the walk's tape is read, not changed). A wide class tries 'cps' from windows
    of ``cps_from`` + 1 cells (the walk tried the smaller ones on this class)."""
    cdef Acc* plain = c.acc
    c.acc.limit += c.w
    c.acc = plain + c.long_acc
    if hi - lo + 1 > c.upto:
        c.upto_wide_at_s += 1
        if not (c.upto_settle and long_decided(c, q, cps_from)):
            c.acc.limit += c.w
            c.classes += 1
            long_note(c, t, True)
    else:
        c.upto_classes += 1
        long_start(c, tape, h, q, t, lo, hi)
    c.acc = plain
