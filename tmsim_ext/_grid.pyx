# The 2-D lazy kernel: counts every machine of a block of the 2-D numbering (docs/ctm.md,
# "Two-dimensional machines") by walking the tree whose branch points are the first
# reads of free entries, as the 1-D kernel does, on a grid tape.
#
# The grid is flat: cell (x, y) is at y * W + x from cell (0, 0), W = 2S + 3, so a move
# adds +-1 or +-W and the journal of the 1-D kernel serves unchanged. The head's x and
# y are kept beside the flat index for the visited rectangle's edges.
#
# Grid symmetries: the 8 rotations and reflections map a machine onto the machine whose
# every move is turned the same way; its run is the same run, turned, and so is its
# output. At each branch the kernel keeps the group of symmetries that fix every entry
# chosen so far (and every fixed entry of the block); a move whose direction another
# element of that group maps to a smaller direction is skipped, and the subtree of the
# smallest one is counted into an accumulator that stands for the whole orbit (a set of
# transforms applied to its outputs when the results are read). States no entry names
# are renamed as in 1-D.
#
# Parts: a walk can be cut into parts with nothing walked twice, as the 1-D walk is: the
# branch points at depth ``part_depth`` are numbered in walk order (the same in every
# part); part p of P walks those numbered p mod P, and only part 0 counts what is decided
# above them (_cut.pxd). The 2-D work figures of a part (GRID_KERNEL_VERSION 1 and 2) count
# what it walked above the cut too; only the 1-D walk rolls them back.
#
# Sampling: below ``sample_depth`` branch points a branch draws one moving digit
# uniformly (counter-based generator) instead of trying all, and counts its halting
# digits exactly; every leaf then adds its mass, the fraction of the block it stands
# for, divided by the chance of its path (Knuth 1975's estimator, unbiased).

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy

from tmsim_ext._types cimport u128, symbol_t, digit_t, pos_t, step_t

from tmsim_ext._countmap cimport CountMap, cmap_add_mass, cmap_init, cmap_free
from tmsim_ext._acc cimport Acc, acc_init, acc_free, acc_results
from tmsim_ext._journal cimport marks_alloc, journal_undo
from tmsim_ext._records cimport rec_pop_to
from tmsim_ext._patterns cimport normalize_into
from tmsim_ext._proofs cimport BY_CLOSED, proof_flags
from tmsim_ext._partial cimport (
    put_digit, set_entry, halt_time, decide, count_limit, fresh_state, close_row, take_target, drop_target,
    sample_start, draw, sample_end, block_start, block_names, alloc_partial, free_partial, raise_stopped,
    ctx_init, ctx_sampling, cut_set, cut_block, cut_enter, cut_leave, cut_block_end, cut_free,
)
from tmsim_ext._watch cimport Watch, watch_start, watch_due, at_edge, watch_decides
from tmsim_ext._grid_types cimport Move, Rect, Ctx, NSYM, SEP
from tmsim_ext._steps cimport Head, plain_steps
from tmsim_ext._grid_turn cimport turn, text_order

GRID_KERNEL_VERSION = "2"
"""Bump whenever 2-D counts could change: partials written by another version are invalid."""

GRID_PROOF_FLAGS = proof_flags(False)
"""Proof name -> kernel flag (no 'cps': the 2-D walk has no long runs)."""

DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))
"""Direction codes 0..3 of the numbering: Right (x+1), Left, Up (y+1), Down (docs/ctm.md)."""

SYMMETRIES = (
    (1, 0, 0, 1),      # identity
    (0, -1, 1, 0),     # turn a quarter anticlockwise
    (-1, 0, 0, -1),    # turn a half
    (0, 1, -1, 0),     # turn a quarter clockwise
    (1, 0, 0, -1),     # mirror Up <-> Down
    (-1, 0, 0, 1),     # mirror Right <-> Left
    (0, 1, 1, 0),      # mirror in the diagonal y = x
    (0, -1, -1, 0),    # mirror in the diagonal y = -x
)
"""The 8 symmetries of the grid as matrices (a, b, c, d): (x, y) -> (ax + by, cx + dy)."""

# MAT[g]: symmetry g's matrix; PERM[g][d]: the direction d becomes under symmetry g;
# COMPOSE[g][h]: g after h.
cdef int MAT[8][4]
cdef int PERM[8][4]
cdef int COMPOSE[8][8]
# per group mask G (any 8-bit set) and direction d: whether d is the smallest of its
# orbit under G, the stabiliser of d in G, and one element of G per orbit member
cdef uint8_t CANON[256][4]
cdef uint8_t STAB[256][4]
cdef uint8_t REPS[256][4]
# SETPROD[T][R] = { t after r : t in T, r in R }
cdef uint8_t SETPROD[256][256]


def _tables():
    vectors = {v: i for i, v in enumerate(DIRECTIONS)}
    mats = {tuple(m): i for i, m in enumerate(SYMMETRIES)}
    for g, (a, b, c, d) in enumerate(SYMMETRIES):
        MAT[g][0], MAT[g][1], MAT[g][2], MAT[g][3] = a, b, c, d
        for k, (x, y) in enumerate(DIRECTIONS):
            PERM[g][k] = vectors[(a * x + b * y, c * x + d * y)]
        for h, (e, f, gg, hh) in enumerate(SYMMETRIES):
            COMPOSE[g][h] = mats[(a * e + b * gg, a * f + b * hh, c * e + d * gg, c * f + d * hh)]
    for mask in range(256):
        members = [g for g in range(NSYM) if mask >> g & 1]
        for k in range(4):
            orbit = {PERM[g][k] for g in members}
            CANON[mask][k] = not orbit or k == min(orbit)
            STAB[mask][k] = sum(1 << g for g in members if PERM[g][k] == k)
            reps = 0
            for target in sorted(orbit):
                reps |= 1 << min(g for g in members if PERM[g][k] == target)
            REPS[mask][k] = reps
        for other in range(256):
            prod = 0
            for t in members:
                for r in range(NSYM):
                    if other >> r & 1:
                        prod |= 1 << COMPOSE[t][r]
            SETPROD[mask][other] = prod


_tables()


cdef inline Acc* acc_of(Ctx* c, uint8_t tmask) noexcept nogil:
    """The accumulator of a transform set (the part's own, or its spare twin above the
    cut), made when first used."""
    cdef Acc* acc = &c.accs[tmask]
    if not acc.ready:
        if acc_init(acc, c.S, c.sampled) != 0:
            c.failed = 1
    return acc


cdef inline void halt_output(Ctx* c, pos_t h, symbol_t w, Rect r, u128 k) noexcept nogil:
    """Add k machines (one sampled hit) to the rectangle the grid shows once w is at h."""
    cdef symbol_t old = c.tape[h]
    cdef pos_t x, y, row
    cdef int64_t i = 0
    if c.keep_len >= 0 and (r.xhi - r.xlo >= c.keep_len or r.yhi - r.ylo >= c.keep_len):
        return
    c.tape[h] = w
    y = r.yhi
    while y >= r.ylo:
        row = y * c.W
        if y != r.yhi:
            c.key[i] = SEP
            i += 1
        for x in range(r.xlo, r.xhi + 1):
            c.key[i] = c.tape[row + x]
            i += 1
        y -= 1
    c.tape[h] = old
    if cmap_add_mass(&c.acc.outputs, c.key, i, 1 if c.sampled else k, c.fw) != 0:
        c.failed = 1


cdef inline void leaf_halt(Ctx* c, pos_t h, symbol_t w, step_t t, Rect r) noexcept nogil:
    """Count a class halting on step t+1 after writing w at h."""
    halt_output(c, h, w, r, c.w)
    halt_time(c, t, c.w, 1)


cdef inline void leaf_halts(Ctx* c, pos_t h, step_t t, Rect r) noexcept nogil:
    """Count the m classes halting on step t+1 after writing each symbol at h."""
    cdef int w
    for w in range(c.m):
        halt_output(c, h, <symbol_t>w, r, c.w)
    halt_time(c, t, c.w * <u128>c.m, c.m)


cdef void walk(Ctx* c, Head start, Rect r) noexcept nogil:
    """Run the current class from ``start`` in rectangle ``r`` to a leaf or a branch.

    On return the tape and journal are as they were on entry; the proofs look only at
    fresh edges, checkpoint matches and scheduled times (_watch.pxd).
    """
    cdef Head at = start
    cdef Watch w
    cdef step_t due = watch_start(c, &w, start.t, start.h, start.qm)
    cdef int e, side, proof
    cdef int32_t nrec0 = c.nrec
    cdef digit_t a
    while True:
        if plain_steps(c, &at, due, r.xlo, r.xhi, r.ylo, r.yhi, w.ck_qm, w.ck_h) == 0:
            e = at.qm + c.tape[at.h]
            a = c.act[e]
            if a < 0:
                branch(c, e, at, r)
            else:
                leaf_halt(c, at.h, <symbol_t>a, at.t, r)
            break
        side = -1
        if at.x > r.xhi:
            r.xhi = at.x
            side = 0
        elif at.x < r.xlo:
            r.xlo = at.x
            side = 1
        elif at.y > r.yhi:
            r.yhi = at.y
            side = 2
        elif at.y < r.ylo:
            r.ylo = at.y
            side = 3
        proof = -1 if side < 0 else at_edge(c, &w, 4 * at.q + side, at.q, side, at.t, at.h)
        if watch_decides(c, &w, proof, at.qm, at.h, at.q, at.t):
            break
        if at.t >= c.T:
            count_limit(c)
            break
        due = watch_due(c, &w)
    c.steps += at.t - start.t
    journal_undo(c.tape, c.jpos, c.jold, at.t, start.t)
    rec_pop_to(c.rec, &c.nrec, c.rec_last, nrec0)


cdef inline bint first_read(Ctx* c, int e, Head at, Rect r) noexcept nogil:
    """When entry e's move lands on a free entry, branch there at once, without a walk
    (no proof can decide that step: the entry read is free)."""
    cdef Head nxt
    cdef const Move* mv = &c.dig_step[c.act[e]]
    cdef int en
    if at.t + 1 >= c.S:
        return False
    nxt.h = at.h + mv.off
    nxt.x = at.x + mv.dx
    nxt.y = at.y + mv.dy
    nxt.q = c.nx[e]
    nxt.qm = nxt.q * c.m
    nxt.t = at.t + 1
    en = nxt.qm + c.tape[nxt.h]
    if c.act[en] >= 0:
        return False
    c.jpos[at.t] = at.h
    c.jold[at.t] = c.tape[at.h]
    c.tape[at.h] = mv.wr
    c.steps += 1
    r.xlo = min(r.xlo, nxt.x)
    r.xhi = max(r.xhi, nxt.x)
    r.ylo = min(r.ylo, nxt.y)
    r.yhi = max(r.yhi, nxt.y)
    branch(c, en, nxt, r)
    c.tape[at.h] = c.jold[at.t]
    return True


cdef inline void follow(Ctx* c, int e, Head at, Rect r) noexcept nogil:
    """Go on with entry e, just fixed to a move: a branch at once or a walk."""
    if not first_read(c, e, at, r):
        walk(c, at, r)


cdef void descend(Ctx* c, int e, Head at, Rect r) noexcept nogil:
    """Sampled branch: the halting digits exactly, then ``draws`` (at the sampling depth)
    or one random moving digit, each standing for all of them (Knuth's estimator)."""
    cdef double fw = c.fw
    cdef int loops = sample_start(c), i
    leaf_halts(c, at.h, at.t, r)
    c.depth += 1
    for i in range(loops):  # no-cython-lint: a typed counter, i is not read
        draw(c, e, fw, loops)
        follow(c, e, at, r)
        if c.failed:
            break
    sample_end(c, e, fw)


cdef void branch(Ctx* c, int e, Head at, Rect r) noexcept nogil:
    """Entry e is read for the first time: try every digit, one per renaming class of
    its target and one per orbit of its direction under the current symmetry group."""
    cdef int x, d, k, fresh, nfresh = 0, m = c.m
    cdef uint64_t others = 0, live = 0
    cdef bint dead_end
    cdef u128 mult = c.mult, w = c.w, wbase
    cdef double fw = c.fw, fwbase
    cdef uint8_t group = c.group, tmask = c.tmask, inner
    cdef Acc* shared
    cdef bint discarding = c.cut.discarding
    if c.depth == c.cut.depth:
        if not cut_enter(c):
            return
        c.acc = acc_of(c, tmask)
    shared = c.acc
    c.nodes += 1
    if c.sampled and c.depth >= c.sample_depth:
        descend(c, e, at, r)
        cut_leave(c, discarding)
        return
    c.nfree -= 1
    wbase = mult * c.powb[c.nfree]
    fwbase = fw / c.b
    c.w = wbase
    c.fw = fwbase
    leaf_halts(c, at.h, at.t, r)
    fresh = fresh_state(c, &nfresh)
    dead_end = close_row(c, e, &others, &live)
    c.depth += 1
    for x in range(c.n):
        if not take_target(c, e, x, others, fresh, nfresh, mult, wbase, fwbase):
            continue
        for d in range(4):
            if not CANON[group][d]:
                continue
            inner = SETPROD[tmask][REPS[group][d]]
            c.group = STAB[group][d]
            c.tmask = inner
            c.acc = acc_of(c, inner)
            if c.failed:
                break
            if dead_end and not (live >> x) & 1:
                put_digit(c, e, m + (4 * x + d) * m)
                decide(c, BY_CLOSED, m)
                continue
            for k in range(m):
                put_digit(c, e, m + (4 * x + d) * m + k)
                follow(c, e, at, r)
        c.group = group
        c.tmask = tmask
        c.acc = shared
        if drop_target(c, x, mult, wbase, fwbase):
            break
    c.depth -= 1
    c.acc = shared
    cut_leave(c, discarding)
    c.group = group
    c.tmask = tmask
    c.mult = mult
    c.w = w
    c.fw = fw
    set_entry(c, e, -1)
    c.nfree += 1


cdef int start_block(Ctx* c, const digit_t* digits) noexcept nogil:
    """Load a block's fixed entries; -1 when a digit is out of range."""
    cdef int e, g
    if block_start(c, digits, 4 * c.n) != 0:
        return -1
    c.group = 0xFF if c.symmetry else 1
    c.tmask = 1
    for e in range(c.E):
        set_entry(c, e, digits[e])
        if digits[e] < 0:
            c.nfree += 1
        elif block_names(c, e):
            # the symmetries that turn a fixed move leave the group
            for g in range(NSYM):
                if PERM[g][c.dirn[e]] != c.dirn[e]:
                    c.group &= ~(1 << g)
    c.w = c.mult * c.powb[c.nfree]
    cut_block(c)
    c.acc = acc_of(c, 1)
    return 0


cdef void free_ctx(Ctx* c) noexcept nogil:
    cdef int i
    cut_free(c, 256)
    if c.cut.kept != NULL:
        c.accs = c.cut.kept
    if c.accs != NULL:
        for i in range(256):
            acc_free(&c.accs[i])
        free(c.accs)
    free_partial(c)
    free(c.tape_base)
    free(c.key)
    free(c.before_base)


cdef int alloc_ctx(Ctx* c, int part_depth, int parts, int part) noexcept nogil:
    """Allocate the walk's arrays and accumulators, for part ``part`` of ``parts`` of
    each walk cut at branch ``part_depth`` (-1: whole); -1 when memory runs out."""
    cdef int64_t cells = <int64_t>c.W * c.W, centre = (<int64_t>c.S + 1) * c.W + c.S + 1
    c.tape_base = <symbol_t*>calloc(cells, sizeof(symbol_t))
    c.before_base = <symbol_t*>calloc(cells, sizeof(symbol_t))
    # a rectangle of w x h cells takes at least w + h - 2 steps to visit: at most
    # (S/2 + 1)**2 cells, plus a separator per row
    c.key = <uint8_t*>calloc((c.S // 2 + 2) * (c.S // 2 + 2) + c.S + 2, 1)
    c.accs = <Acc*>calloc(256, sizeof(Acc))
    if not (alloc_partial(c, 4 * c.n) and c.tape_base and c.before_base and c.key and c.accs
            and marks_alloc(&c.marks, cells, centre) == 0 and cut_set(c, part_depth, parts, part, 256) == 0):
        return -1
    c.tape = c.tape_base + centre
    c.before = c.before_base + centre
    return 0


cdef int fold(Ctx* c) noexcept nogil:
    """Add every accumulator into the identity's, each output once turned by every
    symmetry its transform set holds; -1 when memory runs out."""
    cdef int mask, g, k
    cdef uint64_t j
    cdef int64_t n
    cdef Acc* src
    cdef Acc* dst = acc_of(c, 1)
    cdef step_t t
    if c.failed:
        return -1
    for mask in range(2, 256):
        src = &c.accs[mask]
        if not src.ready:
            continue
        k = 0
        for g in range(NSYM):
            if mask >> g & 1:
                k += 1
        for j in range(src.outputs.cap):
            if src.outputs.hashes[j] == 0:
                continue
            for g in range(NSYM):
                if mask >> g & 1:
                    n = turn(src.outputs.arena + src.outputs.offsets[j], src.outputs.lengths[j], MAT[g], c.key)
                    if cmap_add_mass(&dst.outputs, c.key, n, src.outputs.counts[j],
                                     src.outputs.mass[j] if c.sampled else 0.0) != 0:
                        return -1
        for t in range(src.max_time + 1):
            if c.sampled:
                dst.ftimes[t] += k * src.ftimes[t]
            else:
                dst.times[t] += <u128>k * src.times[t]
        if src.max_time > dst.max_time:
            dst.max_time = src.max_time
        dst.halting += <u128>k * src.halting
        dst.limit += <u128>k * src.limit
        dst.proven += <u128>k * src.proven
        dst.fhalting += k * src.fhalting
        dst.flimit += k * src.flimit
        dst.fproven += k * src.fproven
        acc_free(src)
    return 0


cdef int pool_patterns(Ctx* c) noexcept nogil:
    """Sampled: key the (folded) outputs by pattern, the smallest normalised matrix of
    each orbit under the 8 symmetries; -1 when memory runs out."""
    cdef CountMap pooled
    cdef Acc* acc = &c.accs[1]
    cdef uint64_t j
    cdef int g
    cdef int64_t best_n, m
    cdef uint8_t* turned = <uint8_t*>calloc((c.S // 2 + 2) * (c.S // 2 + 2) + c.S + 2, 1)
    cdef uint8_t* norm = <uint8_t*>calloc((c.S // 2 + 2) * (c.S // 2 + 2) + c.S + 2, 1)
    cdef uint8_t* best = <uint8_t*>calloc((c.S // 2 + 2) * (c.S // 2 + 2) + c.S + 2, 1)
    if turned == NULL or norm == NULL or best == NULL or cmap_init(&pooled, 1024, True) != 0:
        free(turned)
        free(norm)
        free(best)
        return -1
    for j in range(acc.outputs.cap):
        if acc.outputs.hashes[j] == 0:
            continue
        best_n = -1
        for g in range(NSYM):
            m = turn(acc.outputs.arena + acc.outputs.offsets[j], acc.outputs.lengths[j], MAT[g], turned)
            normalize_into(turned, m, norm)
            if best_n < 0 or text_order(norm, m, best, best_n) < 0:
                memcpy(best, norm, m)
                best_n = m
        if cmap_add_mass(&pooled, best, best_n, acc.outputs.counts[j], acc.outputs.mass[j]) != 0:
            cmap_free(&pooled)
            best_n = -2
            break
    free(turned)
    free(norm)
    free(best)
    if best_n == -2:
        return -1
    cmap_free(&acc.outputs)
    acc.outputs = pooled
    return 0


def turn_matrices(texts, int g):
    """Each matrix text ("010-111") turned by symmetry g (an index into SYMMETRIES)."""
    cdef bytes raw
    cdef int64_t n
    cdef uint8_t* buf
    out = []
    if not 0 <= g < NSYM:
        raise ValueError(f"symmetry {g} is outside 0..{NSYM - 1}")
    for text in texts:
        raw = text.encode("ascii")
        n = len(raw)
        buf = <uint8_t*>calloc(2 * n + 2, 1)
        if buf == NULL:
            raise MemoryError()
        try:
            n = turn(<const uint8_t*>raw, n, MAT[g], buf)
            out.append(buf[:n].decode("ascii"))
        finally:
            free(buf)
    return out


def count_grid_blocks(int n, int m, step_t max_steps, const digit_t[:, ::1] blocks, int flags,
                      bint symmetry, bint sampled=False, int sample_depth=0, int draws=1,
                      uint64_t seed=0, uint64_t batch=0, int part_depth=-1, int parts=1, int part=0,
                      int64_t keep_len=-1, bint pool=False):
    """Count (or sample) every machine of each block (row: digit per entry, -1 free) of the
    2-D space (n, m).

    Returns a dict of outputs (columns of row texts "010-111" and counts, or hits and
    masses when sampled: ``map_columns`` in _acc.pxd), halting, limit, proven, halting_times, and the work figures classes,
    nodes, steps, draws and proven_by. Sampled masses are fractions of one block
    (blocks are added). With ``part_depth`` >= 0 only part ``part`` of ``parts`` is
    counted: the parts of a walk add up to the whole. Outputs with more than ``keep_len``
    rows or columns (when >= 0) count in the totals only; ``pool`` keys sampled outputs
    by pattern (pipeline.patterns.keys). Callers validate inputs.
    """
    cdef Ctx c
    cdef Py_ssize_t i
    cdef int bad = 0
    ctx_init(&c, n, m, max_steps, max_steps, flags, symmetry)
    ctx_sampling(&c, sampled, sample_depth, draws, seed, batch, keep_len)
    c.W = 2 * <int>max_steps + 3
    if part_depth >= 0 and not (parts >= 1 and 0 <= part < parts):
        raise ValueError(f"part should be in 0..{parts - 1}, got {part}")
    if blocks.shape[0] > 0 and blocks.shape[1] != c.E:
        raise ValueError(f"blocks should have {c.E} columns, got {blocks.shape[1]}")
    if n > 15:
        raise ValueError(f"the 2-D kernel handles at most 15 states, got {n}")
    try:
        with nogil:
            if alloc_ctx(&c, part_depth, parts, part) != 0:
                c.failed = 1
            else:
                for i in range(blocks.shape[0]):
                    bad = count_block(&c, &blocks[i, 0]) != 0
                    if bad or c.failed:
                        break
                if not c.failed and fold(&c) != 0:
                    c.failed = 1
                if not c.failed and sampled and pool and pool_patterns(&c) != 0:
                    c.failed = 1
        raise_stopped(bad, c.failed, c.b, "the 2-D kernel")
        return _results(&c)
    finally:
        free_ctx(&c)


cdef int count_block(Ctx* c, const digit_t* digits) noexcept nogil:
    """Count one block (a row of digits, -1 free) from the blank grid; -1 when a digit is
    out of range."""
    cdef Head at
    cdef Rect r
    if start_block(c, digits) != 0:
        return -1
    at.h = 0
    at.x = 0
    at.y = 0
    at.q = 0
    at.qm = 0
    at.t = 0
    r.xlo = 0
    r.xhi = 0
    r.ylo = 0
    r.yhi = 0
    walk(c, at, r)
    cut_block_end(c)
    return 0


cdef dict _results(Ctx* c):
    out = acc_results(&c.accs[1], _DIGITS)
    out.update({
        "classes": c.classes,
        "nodes": c.nodes,
        "steps": c.steps,
        "draws": c.ndraws,
        "proven_by": {name: c.by_proof[i] for i, name in enumerate(GRID_PROOF_FLAGS)},
    })
    return out


_DIGITS = bytes((48 + i) if i < 10 else i for i in range(256))
