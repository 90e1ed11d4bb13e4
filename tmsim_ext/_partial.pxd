# The partial machine every walk holds, and what changes it, for any geometry: the digit
# of each entry (-1 free) and its decoded parts, the state masks of the 'closed' proof,
# the free entries and renaming multiplicity that weigh a leaf, the counts a leaf adds,
# and the arrays that hold them.
#
# One fused type covers the walks' contexts (_line_types.pxd, _grid_types.pxd), as
# scikit-learn's splitters are fused over their partitioners: each helper is compiled
# once per geometry with no indirect call, and the few lines where geometries differ
# are branches on the type, settled by the compiler. A new geometry adds its context to
# AnyCtx and its branch where a helper has one.
#
# A walk may be cut into parts (_cut.pxd): the cut_* helpers below number the branch
# points at the cut, skip other parts' and switch the accumulators a part counts into.
from libc.stdint cimport int8_t, int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memset

from tmsim_ext._types cimport u128, symbol_t, digit_t, pos_t, step_t
from tmsim_ext._acc cimport Acc, acc_free, acc_halt_time
from tmsim_ext._closed cimport graph_live, graph_row, graph_update
from tmsim_ext._journal cimport marks_free
from tmsim_ext._records cimport Rec
from tmsim_ext._rng cimport rng_start, rng_below
from tmsim_ext._proofs cimport P_CLOSED
from tmsim_ext._line_types cimport LineCtx, Move as LineMove
from tmsim_ext._grid_types cimport GridCtx, Move as GridMove
from tmsim_ext._line_tally cimport tally_keep, tally_put_back

ctypedef fused AnyCtx:
    LineCtx
    GridCtx


cdef inline void ctx_init(AnyCtx* c, int n, int m, step_t max_steps, step_t walk_steps, int flags,
                          bint symmetry) noexcept nogil:
    """Clear a context and set the space (n states, m symbols, the step limit), the walk's
    own limit, the proofs (flags) and state renaming (``symmetry``)."""
    if AnyCtx is LineCtx:
        memset(c, 0, sizeof(LineCtx))
        c.b = m * (2 * n + 1)
    else:
        memset(c, 0, sizeof(GridCtx))
        c.b = m * (4 * n + 1)
    c.n = n
    c.m = m
    c.E = n * m
    c.S = max_steps
    c.T = walk_steps
    c.flags = flags
    c.symmetry = symmetry


cdef inline void ctx_sampling(AnyCtx* c, bint sampled, int sample_depth, int draws, uint64_t seed, uint64_t batch,
                              int64_t keep_len) noexcept nogil:
    """Set whether and how the walk samples (draws below ``sample_depth`` from the stream
    (seed, batch, draw index)), and the longest output listed (-1: all)."""
    c.sampled = sampled
    c.sample_depth = sample_depth
    c.draws = draws
    c.seed = seed
    c.batch = batch
    c.keep_len = keep_len


cdef inline void decode_digits(AnyCtx* c) noexcept nogil:
    """Decode every digit once (docs/ctm.md numbering): digit r < m halts writing r (no
    move, next -1); a move digit writes (r - m) % m, moves in direction code % D and goes
    to state code // D % n, with code = (r - m) // m and D directions (2 on a line: Right,
    Left; 4 on the grid: Right, Left, Up, Down)."""
    cdef int r, code, d, m = c.m
    cdef int dirs = 2 if AnyCtx is LineCtx else 4
    for r in range(c.b):
        d = -1
        c.dig_wr[r] = <symbol_t>r
        c.dig_nx[r] = -1
        if r >= m:
            code = (r - m) // m
            d = code % dirs
            c.dig_wr[r] = <symbol_t>((r - m) % m)
            c.dig_nx[r] = (code // dirs) % c.n
            c.dig_step[r].nxm = c.dig_nx[r] * m
        c.dig_step[r].wr = c.dig_wr[r]
        c.dig_step[r].go = r >= m
        if AnyCtx is LineCtx:
            c.dig_mv[r] = 0 if d < 0 else (1 if d == 0 else -1)
            c.dig_step[r].mv = c.dig_mv[r]
        else:
            c.dig_dir[r] = <int8_t>d
            if d >= 0:
                c.dig_step[r].dx = 1 if d == 0 else (-1 if d == 1 else 0)
                c.dig_step[r].dy = 1 if d == 2 else (-1 if d == 3 else 0)
                c.dig_step[r].off = c.dig_step[r].dx + c.W * c.dig_step[r].dy


cdef inline void put_digit(AnyCtx* c, int e, digit_t r) noexcept nogil:
    """Fix entry e to digit r (>= 0), leaving the state masks as they are."""
    c.act[e] = r
    if AnyCtx is LineCtx:
        c.mv[e] = c.dig_mv[r]
    else:
        c.dirn[e] = c.dig_dir[r]
    c.nx[e] = c.dig_nx[r]
    # one store of the packed entry, so the step loop's load of it is forwarded, not stalled
    c.step[e] = c.dig_step[r]


cdef inline void set_entry(AnyCtx* c, int e, digit_t r) noexcept nogil:
    """Fix entry e to digit r (-1 frees it again) and update its state's masks."""
    if r >= 0:
        put_digit(c, e, r)
    else:
        c.act[e] = r
        if AnyCtx is GridCtx:
            c.dirn[e] = -1
        c.step[e] = c.dig_step[0]   # a halting digit: go = 0, a stop
    graph_update(&c.open_states, c.succ, c.act, c.nx, c.m, e // c.m)


cdef inline void halt_time(AnyCtx* c, step_t t, u128 k, int classes) noexcept nogil:
    """Add k machines (or ``classes`` sampled leaves of mass fw), from ``classes`` classes,
    halting on step t+1."""
    acc_halt_time(c.acc, c.sampled, c.fw, t, k, classes)
    c.classes += classes


cdef inline void decide(AnyCtx* c, int proof, int classes) noexcept nogil:
    """Count ``classes`` classes of the current weight as proven non-halting by ``proof``
    (an index into by_proof)."""
    if c.sampled:
        c.acc.fproven += c.fw * classes
    else:
        c.acc.proven += c.w * <u128>classes
    c.classes += classes
    c.by_proof[proof] += classes


cdef inline void count_limit(AnyCtx* c) noexcept nogil:
    """Count the current class as still running at the step limit."""
    if c.sampled:
        c.acc.flimit += c.fw
    else:
        c.acc.limit += c.w
    c.classes += 1


cdef inline int fresh_state(const AnyCtx* c, int* nfresh) noexcept nogil:
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


cdef inline bint close_row(AnyCtx* c, int e, uint64_t* others, uint64_t* live) noexcept nogil:
    """Entry e is read: set its state's masks from its other entries, so that each target
    only adds its bit (``others``: their targets). Returns whether the 'closed' proof
    decides every target outside ``live`` at once: neither the target nor the other
    targets reach a halting or free entry without e (one search for all targets)."""
    cdef int own = e // c.m
    cdef uint64_t own_bit = (<uint64_t>1) << own
    if graph_row(c.act, c.nx, c.m, own, e, others):
        c.open_states |= own_bit
        return False
    c.open_states &= ~own_bit
    if not (c.flags & P_CLOSED):
        return False
    c.succ[own] = others[0]
    live[0] = graph_live(c.open_states, c.succ, c.n)
    return (others[0] & live[0]) == 0


cdef inline bint take_target(AnyCtx* c, int e, int x, uint64_t others, int fresh, int nfresh,
                             u128 base, u128 wbase, double fwbase) noexcept nogil:
    """Whether entry e's digits that go to state x are tried (renaming: of the states no
    entry names, ``fresh`` stands for all ``nfresh``, and weighs that much more); if so,
    x is named and e's state goes to x. Undo with ``drop_target``."""
    if c.used[x] == 0:
        if c.symmetry and x != fresh:
            return False
        if c.symmetry:
            c.mult = base * <u128>nfresh
            c.w = wbase * <u128>nfresh
            c.fw = fwbase * nfresh
    c.used[x] += 1
    c.succ[e // c.m] = others | ((<uint64_t>1) << x)
    return True


cdef inline bint drop_target(AnyCtx* c, int x, u128 base, u128 wbase, double fwbase) noexcept nogil:
    """Undo ``take_target``; returns whether the walk must stop (memory ran out)."""
    c.used[x] -= 1
    c.mult = base
    c.w = wbase
    c.fw = fwbase
    return c.failed != 0


cdef inline int sample_start(AnyCtx* c) noexcept nogil:
    """A sampled branch begins: its entry leaves the free ones and the leaf mass is split
    b ways. Returns how many draws it makes (``draws`` at the sampling depth, else one)."""
    cdef int loops = c.draws if c.depth == c.sample_depth else 1
    c.nfree -= 1
    c.fw = c.fw / c.b
    return loops


cdef inline void draw(AnyCtx* c, int e, double fw, int loops) noexcept nogil:
    """Fix entry e to a random moving digit standing for all b - m of them (Knuth's
    estimator); each draw below the sampling depth starts its own stream (seed, batch,
    draw index). ``fw``: the branch's mass before ``sample_start``."""
    cdef int moving = c.b - c.m
    if c.depth == c.sample_depth + 1:
        rng_start(&c.rng, c.seed, c.batch, c.draw_index)
        c.draw_index += 1
        c.ndraws += 1
    set_entry(c, e, <digit_t>(c.m + rng_below(&c.rng, <uint32_t>moving)))
    c.fw = fw * moving / c.b / loops


cdef inline void sample_end(AnyCtx* c, int e, double fw) noexcept nogil:
    """Undo ``sample_start`` and the draws (``fw``: the mass before it)."""
    c.depth -= 1
    c.fw = fw
    set_entry(c, e, -1)
    c.nfree += 1


cdef inline int block_start(AnyCtx* c, const digit_t* digits, int keys) noexcept nogil:
    """Begin a block (row of digits, -1 free): every entry free, state 0 named, no
    records (``keys``: record keys of the geometry). Returns -1 when a digit is out of
    range; the caller then fixes the block's digits."""
    cdef int e, st
    c.nfree = 0
    c.mult = 1
    c.fw = 1.0
    c.depth = 0
    c.nrec = 0
    for e in range(keys):
        c.rec_last[e] = -1
    for st in range(c.n):
        c.used[st] = 1 if st == 0 else 0
    for e in range(c.E):
        if digits[e] >= c.b:
            return -1
        c.act[e] = -1
    return 0


cdef inline bint block_names(AnyCtx* c, int e) noexcept nogil:
    """A block's fixed entry e names its state and, for a move, its target (those can no
    longer be renamed). Returns whether it moves."""
    c.used[e // c.m] += 1
    if c.nx[e] < 0:
        return False
    c.used[c.nx[e]] += 1
    return True


cdef inline int raise_stopped(bint bad, bint failed, int b, str kernel) except -1:
    """Raise why a count stopped, if it did: a block digit outside 0..b-1 (``bad``) or
    memory running out (``failed``) in ``kernel``."""
    if bad:
        raise ValueError(f"a block digit is outside 0..{b - 1}")
    if failed:
        raise MemoryError(f"{kernel} ran out of memory")
    return 0


cdef inline bint alloc_partial(AnyCtx* c, int keys) noexcept nogil:
    """Allocate what every walk holds: the partial machine (decoded, with b**k for
    k <= E), a journal of T steps and T + 2 records of ``keys`` keys. Returns whether
    every allocation succeeded; either way ``free_partial`` frees them."""
    cdef int k
    # each entry's and digit's move: +-1 on a line (mv), a direction code on the grid (dirn)
    cdef int8_t* moves = <int8_t*>calloc(c.E, sizeof(int8_t))
    cdef int8_t* dig_moves = <int8_t*>calloc(c.b, sizeof(int8_t))
    c.act = <digit_t*>calloc(c.E, sizeof(digit_t))
    c.nx = <int32_t*>calloc(c.E, sizeof(int32_t))
    c.state_of = <int32_t*>calloc(c.E, sizeof(int32_t))
    c.dig_wr = <symbol_t*>calloc(c.b, sizeof(symbol_t))
    c.dig_nx = <int32_t*>calloc(c.b, sizeof(int32_t))
    if AnyCtx is LineCtx:
        c.mv, c.dig_mv = moves, dig_moves
        c.step = <LineMove*>calloc(c.E, sizeof(LineMove))
        c.dig_step = <LineMove*>calloc(c.b, sizeof(LineMove))
    else:
        c.dirn, c.dig_dir = moves, dig_moves
        c.step = <GridMove*>calloc(c.E, sizeof(GridMove))
        c.dig_step = <GridMove*>calloc(c.b, sizeof(GridMove))
    c.used = <int32_t*>calloc(c.n, sizeof(int32_t))
    c.succ = <uint64_t*>calloc(c.n, sizeof(uint64_t))
    c.powb = <u128*>calloc(c.E + 1, sizeof(u128))
    c.jpos = <pos_t*>calloc(c.T + 1, sizeof(pos_t))
    c.jold = <symbol_t*>calloc(c.T + 1, sizeof(symbol_t))
    c.rec = <Rec*>calloc(c.T + 2, sizeof(Rec))
    c.rec_last = <int32_t*>calloc(keys, sizeof(int32_t))
    if not (moves and dig_moves and c.act and c.nx and c.state_of and c.dig_wr and c.dig_nx and c.step and c.dig_step and c.used
            and c.succ and c.powb and c.jpos and c.jold and c.rec and c.rec_last):
        return False
    decode_digits(c)
    for k in range(c.E):
        c.state_of[k] = k // c.m
    c.powb[0] = 1
    for k in range(1, c.E + 1):
        c.powb[k] = c.powb[k - 1] * <u128>c.b
    return True


cdef inline void free_partial(AnyCtx* c) noexcept nogil:
    """Free what ``alloc_partial`` allocated, and the marks."""
    if AnyCtx is LineCtx:
        free(c.mv)
        free(c.dig_mv)
    else:
        free(c.dirn)
        free(c.dig_dir)
    free(c.act)
    free(c.nx)
    free(c.state_of)
    free(c.dig_wr)
    free(c.dig_nx)
    free(c.step)
    free(c.dig_step)
    free(c.used)
    free(c.succ)
    free(c.powb)
    free(c.jpos)
    free(c.jold)
    free(c.rec)
    free(c.rec_last)
    marks_free(&c.marks)


cdef inline int cut_set(AnyCtx* c, int depth, int parts, int part, int nacc) noexcept nogil:
    """Count part ``part`` of ``parts`` of each walk cut at branch ``depth`` (-1: the
    whole walk), into ``nacc`` accumulators at ``c.accs`` (allocated, and made ready by
    the caller unless made when first used); the spare twins are allocated here
    (zeroed: not ready). Returns -1 when memory runs out."""
    c.cut.depth = depth
    c.cut.parts = parts
    c.cut.part = part
    c.cut.seq = 0
    c.cut.discarding = False
    c.cut.kept = c.accs
    c.cut.spare = NULL
    if depth >= 0:
        c.cut.spare = <Acc*>calloc(nacc, sizeof(Acc))
        if c.cut.spare == NULL:
            return -1
    return 0


cdef inline void _cut_switch(AnyCtx* c, Acc* to) noexcept nogil:
    """Count into the accumulators ``to`` (kept or spare) from here: the current one is
    the same one of ``to``."""
    c.acc = to + (c.acc - c.accs)
    c.accs = to


cdef inline void cut_block(AnyCtx* c) noexcept nogil:
    """A block's walk begins (before its accumulator is chosen): part 0 or a whole walk
    counts from the root; any other part walks above the cut until its first branch point."""
    c.accs = c.cut.kept
    c.cut.discarding = c.cut.depth >= 0 and c.cut.part != 0
    if c.cut.discarding:
        if AnyCtx is LineCtx:
            tally_keep(c)
        c.accs = c.cut.spare


cdef inline bint cut_enter(AnyCtx* c) noexcept nogil:
    """A branch point at the cut's depth: number it. Returns False when another part walks
    it (skip it); else the walk counts from here on, into the part's own accumulators."""
    c.cut.seq += 1
    if (c.cut.seq - 1) % <uint64_t>c.cut.parts != <uint64_t>c.cut.part:
        return False
    if c.cut.discarding:
        c.cut.discarding = False
        if AnyCtx is LineCtx:
            tally_put_back(c)
        _cut_switch(c, c.cut.kept)
    return True


cdef inline void cut_leave(AnyCtx* c, bint discarding) noexcept nogil:
    """Leave a branch point (any depth) that the walk entered while ``discarding``: above
    the cut again, go back to the spare accumulators (``c.acc`` is the branch's own)."""
    if discarding and not c.cut.discarding:
        c.cut.discarding = True
        if AnyCtx is LineCtx:
            tally_keep(c)
        _cut_switch(c, c.cut.spare)


cdef inline void cut_block_end(AnyCtx* c) noexcept nogil:
    """A block's walk ended: drop what was tallied above the cut since the last branch point
    of the part, and count into the part's own accumulators again (to read them)."""
    if c.cut.discarding:
        c.cut.discarding = False
        if AnyCtx is LineCtx:
            tally_put_back(c)
    c.accs = c.cut.kept


cdef inline void cut_free(AnyCtx* c, int nacc) noexcept nogil:
    """Free the spare accumulators (``nacc`` of them) that ``cut_set`` allocated."""
    cdef int i
    if c.cut.spare != NULL:
        for i in range(nacc):
            acc_free(&c.cut.spare[i])
        free(c.cut.spare)
        c.cut.spare = NULL
