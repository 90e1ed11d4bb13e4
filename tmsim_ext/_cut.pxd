# Parts of a walk, for any geometry (the helpers that move through them are cut_* in
# _partial.pxd).
#
# A walk is cut into parts with nothing walked twice. Its branch points at depth
# ``depth`` (that many branch points above them on their path) are numbered in walk order,
# the same in every part and on across the blocks of one call; part p of P walks the
# ones numbered p mod P and skips the others, and part 0 alone counts what is decided
# above them. The other parts walk above the cut only to reach their branch points:
# there they count into ``spare``, a twin of the accumulators that is never read, and
# the 1-D walk rolls back what it tallied there (work figures and listed classes). So
# the parts of a walk add up to the whole walk.
from libc.stdint cimport uint64_t

from tmsim_ext._acc cimport Acc


cdef struct Cut:
    int depth           # the branch depth of the cut; -1: the walk is whole
    int parts           # P
    int part            # p, 0 <= p < P
    uint64_t seq        # branch points at ``depth`` met so far
    bint discarding     # above the cut in a part other than 0: counting into ``spare``
    Acc* kept           # the accumulators this part counts into
    Acc* spare          # their twins, as many (NULL when the walk is whole)
