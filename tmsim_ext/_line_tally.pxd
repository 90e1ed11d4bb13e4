# The 1-D walk's tallies (LineTally, _line_types.pxd): kept when a part's walk goes above
# the cut and put back when it comes down to its own branch points (_cut.pxd), so that a
# part's work figures, long-run figures and lists of classes (collected, undecided, late)
# are its own, and the parts' add up to the whole walk's.
from tmsim_ext._line_types cimport Ctx


cdef inline void tally_keep(Ctx* c) noexcept nogil:
    """Keep the tallies as they are now."""
    cdef int i
    c.tally.classes = c.classes
    c.tally.nodes = c.nodes
    c.tally.steps = c.steps
    c.tally.ndraws = c.ndraws
    for i in range(5):
        c.tally.by_proof[i] = c.by_proof[i]
        c.tally.long_by[i] = c.long_by[i]
    c.tally.long_classes = c.long_classes
    c.tally.long_bound = c.long_bound
    c.tally.long_halted = c.long_halted
    c.tally.long_steps = c.long_steps
    c.tally.upto_classes = c.upto_classes
    c.tally.upto_wide_at_s = c.upto_wide_at_s
    c.tally.upto_widened = c.upto_widened
    c.tally.ncollected = c.ncollected
    c.tally.nundecided = c.nundecided
    c.tally.undecided_lost = c.undecided_lost
    c.tally.nwitness = c.nwitness
    c.tally.witness_lost = c.witness_lost
    c.tally.arena_len = c.arena_len


cdef inline void tally_put_back(Ctx* c) noexcept nogil:
    """Put the kept tallies back: what was tallied since is dropped (the lists are stacks,
    cut back to their kept lengths)."""
    cdef int i
    c.classes = c.tally.classes
    c.nodes = c.tally.nodes
    c.steps = c.tally.steps
    c.ndraws = c.tally.ndraws
    for i in range(5):
        c.by_proof[i] = c.tally.by_proof[i]
        c.long_by[i] = c.tally.long_by[i]
    c.long_classes = c.tally.long_classes
    c.long_bound = c.tally.long_bound
    c.long_halted = c.tally.long_halted
    c.long_steps = c.tally.long_steps
    c.upto_classes = c.tally.upto_classes
    c.upto_wide_at_s = c.tally.upto_wide_at_s
    c.upto_widened = c.tally.upto_widened
    c.ncollected = c.tally.ncollected
    c.nundecided = c.tally.nundecided
    c.undecided_lost = c.tally.undecided_lost
    c.nwitness = c.tally.nwitness
    c.witness_lost = c.tally.witness_lost
    c.arena_len = c.tally.arena_len
