# The lazy enumeration kernel: counts every machine of a block of the reference
# numbering by walking a tree whose branch points are the first reads of free entries.
#
# A block fixes some entries (its high digits) and leaves the rest free. One walk of the
# tree stands for every machine that agrees on the entries the run actually read: a
# leaf with k free entries never read counts b**k machines. Runs are undone through a
# journal of (position, old symbol) per step, so branching costs no tape copies.
# Counts are 128-bit; the Python wrapper (pipeline.kernel) refuses ranges that could
# overflow them and owns every message.
#
# A block may also restrict entries to a set of digits (closed under the renamings the
# kernel does), and leave one of them *split*: each of its digits stands for its own
# block. Leaves that never read the split entry count once for every digit (a shared
# accumulator); leaves that read it count for the digit read. So blocks that differ only
# in that entry are counted in one walk of their common tree, and a restricted entry
# that every run reads (the second one) cuts that walk into parts with nothing repeated.
#
# Sampling: below ``sample_depth`` branch points a branch draws one moving digit
# uniformly (counter-based generator, tmsim_ext/_rng.pxd) instead of trying all, and
# counts its halting digits exactly; every leaf adds its mass, the fraction of the block
# it stands for over the chance of its path (Knuth 1975's estimator, unbiased).
#
# Parts: a walk can be cut at its branch points of depth ``part_depth`` into parts with
# nothing walked twice (_cut.pxd), as the 2-D walk is; with a split entry, a restricted
# one, long runs or exact_upto alike.

from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc

from tmsim_ext._types cimport u128, symbol_t, digit_t, pos_t, step_t
from tmsim_ext._countmap cimport CountMap, cmap_add_mass, cmap_init, cmap_free
from tmsim_ext._acc cimport Acc, acc_init, acc_free, acc_results, acc_far_time, to_int
from tmsim_ext._journal cimport marks_alloc, journal_undo
from tmsim_ext._records cimport rec_pop_to
from tmsim_ext._patterns cimport line_key
from tmsim_ext._proofs cimport BY_CLOSED, BY_CPS, P_CPS, CPS_WALK_WAIT, proof_flags
from tmsim_ext._partial cimport (
    decode_digits, put_digit, set_entry, halt_time, decide, count_limit, fresh_state, close_row, take_target,
    drop_target, sample_start, draw, sample_end, block_start, block_names, alloc_partial, free_partial,
    raise_stopped, ctx_init, ctx_sampling, cut_set, cut_block, cut_enter, cut_leave, cut_block_end, cut_free,
)
from tmsim_ext._watch cimport Watch, watch_start, watch_due, at_edge, watch_decides
from tmsim_ext._line_types cimport Move, Ctx
from tmsim_ext._steps cimport Head, plain_steps
from tmsim_ext._line_long cimport long_start
from tmsim_ext._line_upto cimport upto_at_limit
from tmsim_ext._line_pigeon cimport pigeon_bound
from tmsim_ext._line_witness cimport witness_note
from tmsim_ext._line_read cimport read_entry, unread_entry
from tmsim_ext._line_cps cimport cps_closed, cps_radii
from tmsim_ext._line_cpsh cimport cps_history

KERNEL_VERSION = "2"
"""Bump whenever counts could change: partials written by another version are invalid."""

PROOF_FLAGS = proof_flags(True)
"""Proof name -> kernel flag; 'cps' acts on long runs only (classes passing the walk's limit)."""


cdef inline void halt_output(Ctx* c, pos_t h, symbol_t w, pos_t lo, pos_t hi, u128 k) noexcept nogil:
    """Add k machines to the output the tape shows once w is written at h."""
    cdef symbol_t old
    if c.keep_len >= 0 and hi - lo + 1 > c.keep_len:
        return
    old = c.tape[h]
    c.tape[h] = w
    if cmap_add_mass(&c.acc.outputs, c.tape + lo, hi - lo + 1, 1 if c.sampled else k, c.fw) != 0:
        c.failed = 1
    c.tape[h] = old


cdef inline void leaf_halt(Ctx* c, int e, pos_t h, symbol_t w, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """Count a class halting on step t+1 by entry e, after writing w at h."""
    if t >= c.witness_after:
        witness_note(c, e, <digit_t>w, t, c.tape, h, w, lo, hi)
    halt_output(c, h, w, lo, hi, c.w)
    halt_time(c, t, c.w, 1)


cdef inline void leaf_halts(Ctx* c, int e, pos_t h, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """Count the m classes halting on step t+1 by free entry e, after writing each symbol at h."""
    cdef int w
    if t >= c.witness_after:
        for w in range(c.m):
            witness_note(c, e, <digit_t>w, t, c.tape, h, <symbol_t>w, lo, hi)
    for w in range(c.m):
        halt_output(c, h, <symbol_t>w, lo, hi, c.w)
    halt_time(c, t, c.w * <u128>c.m, c.m)


cdef inline step_t cps_due(const Ctx* c, step_t t0) noexcept nogil:
    """The step at which a walk from step t0 tries the plain 'cps' windows (``cps_after``
    steps into the run, and CPS_WALK_WAIT after the walk's branch), or never (T + 1)."""
    if c.cps_after <= 0 or not (c.flags & P_CPS) or c.sampled:
        return c.T + 1
    return max(c.cps_after, t0 + CPS_WALK_WAIT)


cdef void walk(Ctx* c, pos_t h0, int q0, step_t t0, pos_t lo, pos_t hi) noexcept nogil:
    """Run the current class from (head, state, step, visited bounds) to a leaf or a branch.

    On return the tape, journal and records are as they were on entry. Plain steps run
    in ``plain_steps``; the proofs look only at tape-edge records, checkpoint matches and
    scheduled times (_watch.pxd).
    """
    cdef Head at
    cdef Watch w
    cdef step_t t, due = watch_start(c, &w, t0, h0, q0 * c.m)
    cdef step_t cps_at = cps_due(c, t0)
    cdef int cps_from = 1
    cdef pos_t h
    cdef int q, e, proof, got
    cdef int32_t nrec0 = c.nrec
    cdef digit_t a
    at.h = h0
    at.x = 0
    at.y = 0
    at.q = q0
    at.qm = q0 * c.m
    at.t = t0
    due = min(due, cps_at)
    while True:
        if plain_steps(c, &at, due, lo, hi, 0, 0, w.ck_qm, w.ck_h) == 0:
            # before step T (a step reaching T returns 1): a free or halting entry
            h = at.h
            t = at.t
            e = at.qm + c.tape[h]
            a = c.act[e]
            if a < 0:
                branch(c, e, h, at.q, t, lo, hi)
            else:
                leaf_halt(c, e, h, <symbol_t>a, t, lo, hi)
            break
        h = at.h
        q = at.q
        t = at.t
        proof = -1
        # the two edges are written out: folding them costs 2-3 % of the kernel's
        # instructions on this, its hottest branch
        if h > hi:
            hi = h
            proof = at_edge(c, &w, 2 * q, q, 1, t, h)
        elif h < lo:
            lo = h
            proof = at_edge(c, &w, 2 * q + 1, q, -1, t, h)
        if watch_decides(c, &w, proof, at.qm, h, q, t):
            break
        if t >= cps_at and t < c.T:
            # once per walk: the answer depends on the class's entries only, not on the
            # step, and a class that 'cps' proves never reads a free entry (no branch
            # below it, so the cut's parts stay as they were)
            cps_at = c.T + 1
            got = cps_radii(c, 1, c.cps_radius)
            if got < 0:
                c.failed = 1
                break
            if got > 0:
                decide(c, BY_CPS, 1)
                break
            cps_from = c.cps_radius + 1
        if t >= c.T:
            if c.cut.discarding:
                pass    # above the cut, for part 0 to count: not run on here
            elif c.upto > 0:
                upto_at_limit(c, c.tape, h, q, t, lo, hi, cps_from)
            elif c.T < c.S:
                long_start(c, c.tape, h, q, t, lo, hi)
            else:
                count_limit(c)
            break
        due = min(watch_due(c, &w), cps_at)
    c.steps += at.t - t0
    journal_undo(c.tape, c.jpos, c.jold, at.t, t0)
    rec_pop_to(c.rec, &c.nrec, c.rec_last, nrec0)


cdef inline bint first_read(Ctx* c, int e, pos_t h, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """When entry e's move lands on a free entry, branch there at once, without a walk.

    A walk would take the step and branch too: no proof can decide it first (a new edge
    cell reads a blank, so its state's blank entry is free: nothing escapes, and no
    earlier record of that state and side exists to repeat). Returns False otherwise.
    """
    cdef pos_t hn = h + c.mv[e]
    cdef int x = c.nx[e], en
    cdef symbol_t old
    if t + 1 >= c.T:
        return False
    en = x * c.m + c.tape[hn]   # hn != h: a move digit moves
    if c.act[en] >= 0:
        return False
    old = c.tape[h]
    c.jpos[t] = h
    c.jold[t] = old
    c.tape[h] = c.dig_wr[c.act[e]]
    c.steps += 1
    branch(c, en, hn, x, t + 1, min(lo, hn), max(hi, hn))
    c.tape[h] = old
    return True


cdef void branch(Ctx* c, int e, pos_t h, int q, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """Entry e is read for the first time: try every digit (one per renaming class).

    Digits are taken by target state: whether the graph is closed depends only on the
    target, so the closed proof decides all 2m digits of a target in one check. A
    restricted entry tries its digits only; the split entry's each add to their own
    accumulator.
    """
    cdef int r, x, fresh, nfresh = 0, m = c.m, lo_r, hi_r
    cdef uint64_t others = 0, live = 0
    cdef bint dead_end
    cdef u128 mult = c.mult, base = c.mult, w = c.w, wbase
    cdef double fw = c.fw, fwbase = c.fw / c.b
    cdef bint split = e == c.split_e
    cdef bint limited = c.restricted[e]
    # the first read of a block that mirroring maps onto itself: a left move's subtree is
    # the mirror image of the right move's, so only right moves are walked (into accs[1])
    cdef bint mirror = c.mirror_root and t == 0
    cdef const uint8_t* ok = c.allow + e * c.b
    cdef Acc* shared
    cdef bint discarding = c.cut.discarding
    if c.depth == c.cut.depth and not cut_enter(c):
        return
    shared = c.acc
    c.nodes += 1
    if c.sampled and c.depth >= c.sample_depth:
        descend(c, e, h, q, t, lo, hi)
        return
    base = read_entry(c, e)
    wbase = base * c.powb[c.nfree]
    c.w = wbase
    c.fw = fwbase
    if limited:
        for r in range(m):
            if ok[r]:
                if split:
                    c.acc = &c.accs[1 + r]
                leaf_halt(c, e, h, <symbol_t>r, t, lo, hi)
    else:
        leaf_halts(c, e, h, t, lo, hi)
    fresh = fresh_state(c, &nfresh)
    dead_end = close_row(c, e, &others, &live)
    c.depth += 1
    for x in range(c.n):
        # digits m + (2x + d) m + w, for d = 0 (Right), 1 (Left) and w < m, go to x
        lo_r = m + 2 * x * m
        hi_r = lo_r + 2 * m
        if limited and not c.allow_to[e * c.n + x]:
            continue
        if not take_target(c, e, x, others, fresh, nfresh, base, wbase, fwbase):
            continue
        put_digit(c, e, lo_r)
        if dead_end and not (live >> x) & 1:
            if limited:
                for r in range(lo_r, hi_r):
                    if ok[r]:
                        if split:
                            c.acc = &c.accs[1 + r]
                        decide(c, BY_CLOSED, 1)
            else:
                decide(c, BY_CLOSED, 2 * m)
        else:
            if mirror:
                hi_r = lo_r + m     # digits m + 2xm + w move right; the next m move left
                c.acc = &c.accs[1]
            for r in range(lo_r, hi_r):
                if limited:
                    if not ok[r]:
                        continue
                    if split:
                        c.acc = &c.accs[1 + r]
                put_digit(c, e, r)   # same target: the masks stand
                if not first_read(c, e, h, t, lo, hi):
                    walk(c, h, q, t, lo, hi)
            c.acc = shared
        if drop_target(c, x, base, wbase, fwbase):
            break
    c.depth -= 1
    c.acc = shared
    unread_entry(c, e, mult)
    c.w = w
    c.fw = fw
    set_entry(c, e, -1)
    cut_leave(c, discarding)


cdef void descend(Ctx* c, int e, pos_t h, int q, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """Sampled branch: the halting digits exactly, then ``draws`` (at the sampling depth)
    or one random moving digit, each standing for all of them (Knuth's estimator)."""
    cdef double fw = c.fw
    cdef int loops = sample_start(c), i
    leaf_halts(c, e, h, t, lo, hi)
    c.depth += 1
    for i in range(loops):  # no-cython-lint: a typed counter, i is not read
        draw(c, e, fw, loops)
        if not first_read(c, e, h, t, lo, hi):
            walk(c, h, q, t, lo, hi)
        if c.failed:
            break
    sample_end(c, e, fw)


cdef int start_block(Ctx* c, const digit_t* digits) noexcept nogil:
    """Load a block's fixed entries; -1 when a digit is out of range."""
    cdef int e
    if block_start(c, digits, 2 * c.n) != 0:
        return -1
    cut_block(c)
    c.acc = &c.accs[0]
    for e in range(c.E):
        set_entry(c, e, digits[e])
        if c.restricted[e]:
            # not free (no factor b); unread, any of its choices (the split entry's
            # leaves count per digit instead)
            if e != c.split_e:
                c.mult *= c.choices[e]
        elif digits[e] < 0:
            c.nfree += 1
        else:
            block_names(c, e)
    c.w = c.mult * c.powb[c.nfree]
    # mirroring maps the block onto itself when no fixed entry moves; entry (0, 0), read
    # first, must be free so the root branch can pair each left move with a right one
    c.mirror_root = c.symmetry and c.split_e < 0 and c.act[0] < 0
    for e in range(c.E):
        if c.restricted[e] or c.act[e] >= c.m:
            c.mirror_root = False
    return 0


cdef int count_block(Ctx* c, const digit_t* digits) noexcept nogil:
    """Count one block (a row of digits, -1 free) from the blank tape; -1 when a digit is
    out of range."""
    if start_block(c, digits) != 0:
        return -1
    walk(c, 0, 0, 0, 0, 0)
    cut_block_end(c)
    return 0


cdef void free_ctx(Ctx* c) noexcept nogil:
    cdef int i
    cut_free(c, c.nacc + c.long_acc)
    if c.cut.kept != NULL:
        c.accs = c.cut.kept
    if c.accs != NULL:
        for i in range(c.nacc + c.long_acc):
            acc_free(&c.accs[i])
        free(c.accs)
    free_partial(c)
    free(c.restricted)
    free(c.allow)
    free(c.allow_to)
    free(c.choices)
    if c.tape != NULL:
        free(c.tape - c.T - 1)
    if c.scratch != NULL:
        free(c.scratch - c.T - 1)
    free(c.collected_digits)
    free(c.collected_steps)
    free(c.undecided_digits)
    free(c.undecided_steps)
    free(c.undecided_weight)
    free(c.wit_digits)
    free(c.wit_steps)
    free(c.wit_off)
    free(c.wit_arena)


cdef int alloc_ctx(Ctx* c, int part_depth, int parts, int part) noexcept nogil:
    """Allocate the walk's arrays and accumulators, for part ``part`` of ``parts`` of
    each walk cut at branch ``part_depth`` (-1: whole); -1 when memory runs out."""
    cdef int64_t cells = 2 * c.T + 3
    cdef int k
    c.tape = <symbol_t*>calloc(cells, sizeof(symbol_t))
    c.scratch = <symbol_t*>calloc(cells, sizeof(symbol_t))
    if c.tape != NULL:
        c.tape += c.T + 1
    if c.scratch != NULL:
        c.scratch += c.T + 1
    c.collected_digits = <digit_t*>calloc(c.collect * c.E + 1, sizeof(digit_t))
    c.collected_steps = <step_t*>calloc(c.collect + 1, sizeof(step_t))
    c.undecided_digits = <digit_t*>calloc(c.max_undecided * c.E + 1, sizeof(digit_t))
    c.undecided_steps = <step_t*>calloc(c.max_undecided + 1, sizeof(step_t))
    c.undecided_weight = <u128*>calloc(c.max_undecided + 1, sizeof(u128))
    c.accs = <Acc*>calloc(c.nacc + c.long_acc, sizeof(Acc))
    c.restricted = <uint8_t*>calloc(c.E, sizeof(uint8_t))
    c.allow = <uint8_t*>calloc(c.E * c.b, sizeof(uint8_t))
    c.allow_to = <uint8_t*>calloc(c.E * c.n, sizeof(uint8_t))
    c.choices = <u128*>calloc(c.E, sizeof(u128))
    if not (alloc_partial(c, 2 * c.n) and c.tape and c.scratch and marks_alloc(&c.marks, cells, c.T + 1) == 0
            and c.collected_digits and c.collected_steps and c.undecided_digits and c.undecided_steps
            and c.undecided_weight and c.accs and c.restricted and c.allow and c.allow_to and c.choices):
        return -1
    if cut_set(c, part_depth, parts, part, c.nacc + c.long_acc) != 0:
        return -1
    for k in range(c.nacc + c.long_acc):
        if acc_init(&c.accs[k], c.T, c.sampled) != 0:
            return -1
        if part_depth >= 0 and acc_init(&c.cut.spare[k], c.T, c.sampled) != 0:
            return -1
    return 0


cdef _check_digits(str what, int e, int E, int b, const digit_t[:, ::1] blocks, const digit_t[::1] digits):
    if e >= E:
        raise ValueError(f"{what} entry {e} is outside 0..{E - 1}")
    if digits is None or digits.shape[0] == 0:
        raise ValueError(f"the {what} entry needs at least one digit")
    for i in range(digits.shape[0]):
        if not 0 <= digits[i] < b or (i > 0 and digits[i] <= digits[i - 1]):
            raise ValueError(f"{what} digits should be sorted, distinct and inside 0..{b - 1}")
    for i in range(blocks.shape[0]):
        if blocks[i, e] != -1:
            raise ValueError(f"the {what} entry {e} should be free in every block")


cdef void _restrict(Ctx* c, int e, const digit_t[::1] digits) noexcept nogil:
    cdef Py_ssize_t i
    c.restricted[e] = 1
    c.choices[e] = digits.shape[0]
    for i in range(digits.shape[0]):
        c.allow[e * c.b + digits[i]] = 1
        if digits[i] >= c.m:
            c.allow_to[e * c.n + c.dig_nx[digits[i]]] = 1


def count_blocks(int n, int m, step_t max_steps, const digit_t[:, ::1] blocks,
                 int flags, bint symmetry, int split_entry=-1, const digit_t[::1] split_digits=None,
                 int part_entry=-1, const digit_t[::1] part_digits=None, bint sampled=False,
                 int sample_depth=0, int draws=1, uint64_t seed=0, uint64_t batch=0, int64_t keep_len=-1,
                 bint pool=False, step_t long_from=0, int cps_radius=4, int cps_history=12, int64_t long_cells=0,  # no-cython-lint
                 int64_t collect=0, int64_t max_undecided=1000, step_t witness_after=-1,
                 int64_t max_witness=1000000, int64_t exact_upto=0, bint settle_wide=True, int part_depth=-1,
                 int parts=1, int part=0, const uint8_t[::1] target=None, step_t cps_after=0):
    """Count every machine of each block (row: digit per entry, -1 free) of space (n, m).

    Returns a dict: outputs (columns of texts and counts), halting, limit, proven,
    halting_times (steps -> count), classes, nodes, steps, proven_by (Python ints).

    Two entries, free in every row, may be restricted to sorted, distinct digits closed
    under renaming the block's free states. The *part* entry is simply restricted: only
    machines taking those digits are counted. The *split* entry stands for one block per
    digit: the counts are those every digit shares (machines never reading it, counted
    once per digit), and ``by_digit`` maps each digit to what the classes that read it
    as that digit add (a renaming representative stands for its whole orbit, which the
    caller shares out).

    ``sampled`` draws instead: branch points from ``sample_depth`` on draw one moving
    digit (``draws`` times at that depth), from the stream of (seed, batch, draw
    index); outputs then map to (hits, mass), totals and halting times are masses, and
    a block's masses add up to 1 (per block; blocks are added). In either mode outputs
    longer than ``keep_len`` (when >= 0) count in the totals only; ``pool`` keys sampled
    outputs by pattern (pipeline.patterns.keys).

    ``long_from`` (0 < long_from < max_steps, exact only): classes still running after that
    many steps leave the walk and run on to max_steps on a compact tape
    (tmsim_ext/_line_long.pxd), where the 'cps' proof (windows up to ``cps_radius`` + 1
    cells, then with up to ``cps_history`` updates remembered per cell) may decide them.
    ``long`` then reports their work, ``collected`` lists up to
    ``collect`` of them as (entries, steps) when they reached long_from, and ``undecided``
    lists (entries, steps, machines) of classes whose tape outgrew ``long_cells`` cells
    (0: no limit), which count in ``limit`` too. ``witness_after`` (>= 0): ``late`` lists
    up to ``max_witness`` classes halting after that many steps as (entries, steps,
    output), and ``late_lost`` how many more there were. ``target`` (symbols, blank 0;
    exact only): ``late`` lists instead the classes halting with exactly that output, at
    any step, in the walk or its long runs (a class counted again mirrored also when its
    output is the target reversed); no count changes.

    ``exact_upto`` = L (> 0, no long_from): classes still running at max_steps count in
    ``limit`` as ever, then those at most L cells wide run on (tmsim_ext/_line_upto.pxd)
    to a halt, past L cells or a proof (the pigeonhole bound n*w*m**w at width w among
    them); ``upto`` reports that continuation: its outputs (all of at most L symbols),
    halting, halting_times, proven (never halting) and limit (wider than L: undecided),
    which add up to ``limit``, and its classes by reason; ``settle_wide``: the closed
    graph and 'cps' may prove classes wider than L at max_steps never halt (H_high
    narrows; no count changes); ``undecided`` lists classes wider than L, ``late`` the
    late halts (from max_steps unless ``witness_after`` says otherwise). Callers
    validate inputs.

    ``cps_after`` > 0 (exact only, with 'cps' among the flags): a walk still running
    ``cps_after`` steps into the run (and 16 steps after its branch) tries the 'cps'
    proof's plain windows (2 to ``cps_radius`` + 1 cells) then, once: a class it proves
    never halts and never reads a free entry, so it stops there and counts in ``proven``
    instead of running on to ``limit``. No output, halting count or halting time
    changes, and no part of a cut; with ``exact_upto`` and ``settle_wide`` neither does
    the continuation (the same classes are proven at max_steps otherwise; a wide class
    the walk tried is not tried again with those windows).

    ``part_depth`` >= 0: count only part ``part`` of ``parts`` of each walk, cut at its
    branch points of that depth (_cut.pxd; exact counts only): the parts of a walk add
    up to the whole in every figure (outputs, halting times, halting machines, limit and
    proven, the work, proofs and classes listed, late halts; tests/test_cut.py).

    Outputs come as columns (``map_columns`` in _acc.pxd), in the counts and in each of
    ``by_digit``, ``upto`` and ``upto_by_digit``.
    """
    cdef Ctx c
    cdef Py_ssize_t i
    cdef int bad = 0
    if exact_upto > 0 and (long_from > 0 or sampled):
        raise ValueError("exact_upto takes no long_from and no sampling")
    ctx_init(&c, n, m, max_steps, long_from if 0 < long_from < max_steps else max_steps, flags, symmetry)
    ctx_sampling(&c, sampled, sample_depth, draws, seed, batch, keep_len)
    c.cps_radius = cps_radius
    c.cps_history = cps_history
    c.cps_after = cps_after
    c.long_cells = long_cells
    if exact_upto > 0:
        # long runs stop past L cells; a run's limit is its width's pigeonhole bound
        c.upto = exact_upto
        c.upto_settle = settle_wide
        c.long_cells = exact_upto
        c.S = max(<step_t>max_steps, pigeon_bound(&c, exact_upto))
    c.collect = collect
    c.max_undecided = max_undecided
    c.witness_after = witness_after if witness_after >= 0 else (max_steps if exact_upto > 0 else max_steps + 1)
    c.max_witness = max_witness
    if target is not None:
        if sampled or target.shape[0] == 0:
            raise ValueError("a target output should be non-empty, for an exact count")
        for i in range(target.shape[0]):
            if target[i] >= m:
                raise ValueError(f"target symbols should be inside 0..{m - 1}, got {target[i]}")
        c.target = &target[0]
        c.target_len = target.shape[0]
        c.witness_after = 0     # every halt is compared with the target (_line_witness.pxd)
    c.split_e = split_entry
    c.nacc = 1 + c.b if split_entry >= 0 else 2
    c.long_acc = c.nacc if exact_upto > 0 else 0
    c.pool = pool
    if sampled and c.T < c.S:
        raise ValueError("a sampled count takes no long_from: long runs are counted exactly")
    if collect < 0 or max_undecided < 0 or long_cells < 0 or exact_upto < 0 or cps_after < 0:
        raise ValueError("collect, max_undecided, long_cells, exact_upto and cps_after should be at least 0")
    if sampled and cps_after > 0:
        raise ValueError("a sampled count takes no cps_after: it is for exact counts")
    if not 0 <= cps_radius <= 8 or not 0 <= cps_history <= 12:
        raise ValueError(f"cps_radius should be 0..8 and cps_history 0..12, got {cps_radius} and {cps_history}")
    if sampled and (split_entry >= 0 or part_entry >= 0 or part_depth >= 0):
        raise ValueError("a sampled count takes no split or part entry and no parts")
    if part_depth >= 0 and not (parts >= 1 and 0 <= part < parts):
        raise ValueError(f"part should be in 0..{parts - 1}, got {part}")
    if blocks.shape[0] > 0 and blocks.shape[1] != c.E:
        raise ValueError(f"blocks should have {c.E} columns, got {blocks.shape[1]}")
    if n > 31:
        raise ValueError(f"the kernel handles at most 31 states, got {n}")
    if split_entry >= 0:
        _check_digits("split", split_entry, c.E, c.b, blocks, split_digits)
    if part_entry >= 0:
        _check_digits("part", part_entry, c.E, c.b, blocks, part_digits)
        if part_entry == split_entry:
            raise ValueError("the part entry should differ from the split entry")
    try:
        with nogil:
            if alloc_ctx(&c, part_depth, parts, part) != 0:
                c.failed = 1
            else:
                if split_entry >= 0:
                    _restrict(&c, split_entry, split_digits)
                if part_entry >= 0:
                    _restrict(&c, part_entry, part_digits)
                for i in range(blocks.shape[0]):
                    bad = count_block(&c, &blocks[i, 0]) != 0
                    if bad or c.failed:
                        break
        raise_stopped(bad, c.failed, c.b, "the kernel")
        return _results(&c)
    finally:
        free_ctx(&c)


cdef int pool_patterns(Ctx* c) noexcept nogil:
    """Sampled: key both accumulators' outputs by pattern (the mirrored one's twice: it
    stands for each output and its reversal, one pattern); -1 when memory runs out."""
    cdef CountMap pooled
    cdef int k
    cdef uint64_t j
    cdef int64_t n
    cdef uint8_t* key = <uint8_t*>calloc(2 * c.S + 8, 1)
    cdef uint8_t* scratch = <uint8_t*>calloc(4 * c.S + 16, 1)
    if key == NULL or scratch == NULL or cmap_init(&pooled, 1024, True) != 0:
        free(key)
        free(scratch)
        return -1
    for k in range(2 if c.split_e < 0 else 1):
        for j in range(c.accs[k].outputs.cap):
            if c.accs[k].outputs.hashes[j] == 0:
                continue
            n = c.accs[k].outputs.lengths[j]
            line_key(c.accs[k].outputs.arena + c.accs[k].outputs.offsets[j], n, key, scratch)
            if cmap_add_mass(&pooled, key, n, c.accs[k].outputs.counts[j] * (k + 1), c.accs[k].outputs.mass[j] * (k + 1)) != 0:
                free(key)
                free(scratch)
                cmap_free(&pooled)
                return -1
        cmap_free(&c.accs[k].outputs)
        if cmap_init(&c.accs[k].outputs, 16, True) != 0:
            return -1
    cmap_free(&c.accs[0].outputs)
    c.accs[0].outputs = pooled
    free(key)
    free(scratch)
    return 0


cdef dict _results(Ctx* c):
    cdef int i
    if c.sampled and c.pool:
        if pool_patterns(c) != 0:
            raise MemoryError("the kernel ran out of memory pooling patterns")
    out = _merged(c, 0)
    out.update(
        classes=c.classes,
        nodes=c.nodes,
        steps=c.steps,
        proven_by={name: c.by_proof[i] for i, name in enumerate(PROOF_FLAGS)},
    )
    if c.witness_after <= c.S:
        out["late"] = [
            (tuple(c.wit_digits[i * c.E + e] for e in range(c.E)), c.wit_steps[i],
             (c.wit_arena + c.wit_off[i])[:(c.wit_off[i + 1] if i + 1 < c.nwitness else c.arena_len) - c.wit_off[i]]
             .translate(_DIGITS).decode("ascii"))
            for i in range(c.nwitness)
        ]
        out["late_lost"] = c.witness_lost
    if c.upto > 0:
        out["upto"] = _merged(c, c.long_acc)
        out["upto"]["classes_by"] = {
            "continued": c.upto_classes, "wide_at_limit": c.upto_wide_at_s, "halted": c.long_halted,
            "widened": c.upto_widened, "steps": c.long_steps,
            "undecided": c.nundecided + c.undecided_lost, "undecided_lost": c.undecided_lost,
            **{name: c.long_by[i] for i, name in enumerate(("closed", "cps", "cycle", "shift", "pigeonhole"))},
        }
    if c.T < c.S or c.upto > 0:
        out["undecided"] = [
            (tuple(c.undecided_digits[i * c.E + e] for e in range(c.E)), c.undecided_steps[i],
             to_int(c.undecided_weight[i]))
            for i in range(c.nundecided)
        ]
    if c.T < c.S and c.upto == 0:
        out["long"] = {
            "from": c.T, "classes": c.long_classes, "bound": c.long_bound, "halted": c.long_halted,
            "steps": c.long_steps, "undecided_lost": c.undecided_lost,
            **{f"by_{name}": c.long_by[i] for i, name in enumerate(("closed", "cps", "cycle", "shift"))},
        }
        out["collected"] = [
            (tuple(c.collected_digits[i * c.E + e] for e in range(c.E)), c.collected_steps[i])
            for i in range(c.ncollected)
        ]
    if c.sampled:
        out["draws"] = c.ndraws
    if c.split_e >= 0:
        out["by_digit"] = {
            r: acc_results(&c.accs[1 + r], _DIGITS) for r in range(c.b) if c.allow[c.split_e * c.b + r]
        }
        if c.upto > 0:
            out["upto_by_digit"] = {
                r: acc_results(&c.accs[c.long_acc + 1 + r], _DIGITS) for r in range(c.b) if c.allow[c.split_e * c.b + r]
            }
    return out


cdef int fold_mirror(Ctx* c, int base) noexcept nogil:
    """Without a split entry: add accs[base + 1] (the root's right moves) into accs[base]
    twice, as it is and mirrored (outputs reversed) for the left moves; -1 when memory
    runs out. Outputs are added in the map's slot order, each as it is, then reversed."""
    cdef Acc* dst = &c.accs[base]
    cdef Acc* src = &c.accs[base + 1]
    cdef uint64_t j
    cdef int64_t n, i, longest = 1
    cdef step_t t
    cdef u128 halting = dst.halting
    cdef uint8_t* key
    cdef const uint8_t* out
    for j in range(src.outputs.cap):
        if src.outputs.hashes[j] != 0 and src.outputs.lengths[j] > longest:
            longest = src.outputs.lengths[j]
    key = <uint8_t*>malloc(longest)
    if key == NULL:
        return -1
    for j in range(src.outputs.cap):
        if src.outputs.hashes[j] == 0:
            continue
        n = src.outputs.lengths[j]
        out = src.outputs.arena + src.outputs.offsets[j]
        for i in range(n):
            key[i] = out[n - 1 - i]
        if (cmap_add_mass(&dst.outputs, out, n, src.outputs.counts[j], src.outputs.mass[j] if c.sampled else 0.0) != 0
                or cmap_add_mass(&dst.outputs, key, n, src.outputs.counts[j],
                                 src.outputs.mass[j] if c.sampled else 0.0) != 0):
            free(key)
            return -1
    free(key)
    for t in range(min(src.max_time + 1, src.dense)):
        if c.sampled:
            dst.ftimes[t] += 2 * src.ftimes[t]
        else:
            dst.times[t] += 2 * src.times[t]
    if src.max_time > dst.max_time:
        dst.max_time = src.max_time
    for i in range(src.nfar):
        if acc_far_time(dst, src.far_t[i], 2 * src.far_k[i]) != 0:
            return -1
    dst.halting = halting + 2 * src.halting
    dst.limit += 2 * src.limit
    dst.proven += 2 * src.proven
    dst.fhalting += 2 * src.fhalting
    dst.flimit += 2 * src.flimit
    dst.fproven += 2 * src.fproven
    acc_free(src)
    return 0


cdef dict _merged(Ctx* c, int base):
    """The results of accs[base] (and without a split entry, accs[base + 1] as it is and
    mirrored)."""
    if c.split_e < 0 and fold_mirror(c, base) != 0:
        raise MemoryError("the kernel ran out of memory adding the mirrored walk")
    return acc_results(&c.accs[base], _DIGITS)


_DIGITS = bytes((48 + i) if i < 10 else i for i in range(256))


def cps_proves(int n, int m, const digit_t[::1] digits, int radius, int history=0, int64_t max_configs=1 << 15):
    """Whether the 'cps' proof with windows of radius + 1 cells shows that the partial
    machine ``digits`` (one per entry, state * m + symbol; -1 free) never halts from the
    blank tape, for every way of filling its free entries (tmsim_ext/_line_cps.pxd);
    with ``history`` >= 1, each cell also remembers its last ``history`` updates
    (tmsim_ext/_line_cpsh.pxd), giving up past ``max_configs`` configurations.

    Raises ValueError for a digit outside -1..b-1 and MemoryError when memory runs out.
    For the decider's own tests and for inspecting single machines.
    """
    cdef Ctx c
    cdef int e, got
    ctx_init(&c, n, m, 0, 0, 0, False)
    if digits.shape[0] != c.E:
        raise ValueError(f"digits should have n*m = {c.E} entries, got {digits.shape[0]}")
    if not 0 <= radius <= 8 or not 0 <= history <= 12:
        raise ValueError(f"radius should be between 0 and 8 and history between 0 and 12, got {radius} and {history}")
    if not 1 <= max_configs <= 1 << 24:
        raise ValueError(f"max_configs should be between 1 and 2**24, got {max_configs}")
    for e in range(c.E):
        if not -1 <= digits[e] < c.b:
            raise ValueError(f"digit {digits[e]} of entry {e} is outside -1..{c.b - 1}")
    c.act = <digit_t*>calloc(c.E, sizeof(digit_t))
    c.dig_wr = <symbol_t*>calloc(c.b, sizeof(symbol_t))
    c.dig_mv = <int8_t*>calloc(c.b, sizeof(int8_t))
    c.dig_nx = <int32_t*>calloc(c.b, sizeof(int32_t))
    c.dig_step = <Move*>calloc(c.b, sizeof(Move))
    try:
        if not (c.act and c.dig_wr and c.dig_mv and c.dig_nx and c.dig_step):
            raise MemoryError("cps_proves ran out of memory")
        decode_digits(&c)
        for e in range(c.E):
            c.act[e] = digits[e]
        with nogil:
            if history > 0:
                got = cps_history(&c, radius, history, max_configs)
            else:
                got = cps_closed(&c, radius)
        if got < 0:
            raise MemoryError("cps_proves ran out of memory")
        return got == 1
    finally:
        free(c.act)
        free(c.dig_wr)
        free(c.dig_mv)
        free(c.dig_nx)
        free(c.dig_step)
