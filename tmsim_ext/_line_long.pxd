# Long runs of the 1-D kernel: a class that passes the walk's step limit T without
# halting or a proof leaves the branching walk (whose tape, journal and records grow
# with T) and runs on here to the true limit S on a compact tape that grows as the head
# moves, with no journal. Reading a free entry branches again: each child gets its own
# copy of the tape (a long run reads at most n*m free entries, so at most that many
# copies live at once). Memory is therefore the visited tape, not S.
#
# Before a long run starts, and in every child of a branch, the 'cps' proof
# (_line_cps.pxd) and the closed state graph may decide the class. A class that reaches
# S without halting counts in ``limit``: for S at the space's proven busy-beaver step
# count it never halts. A class whose tape would outgrow ``long_cells`` is *undecided*:
# it counts in ``limit`` too and is listed (its entries and the steps it reached), so a
# table never hides it.
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, malloc, realloc, free
from libc.string cimport memcpy, memset

from tmsim_ext._types cimport u128, symbol_t, digit_t, pos_t, step_t
from tmsim_ext._acc cimport Acc, acc_far_time
from tmsim_ext._countmap cimport cmap_add_mass
from tmsim_ext._closed cimport graph_closed, graph_update
from tmsim_ext._line_types cimport Ctx, Move
from tmsim_ext._proofs cimport (
    P_CPS, P_CLOSED, P_CYCLE, P_SHIFT, BY_CLOSED, BY_CPS, BY_CYCLE, BY_SHIFT, LONG_BY_CLOSED, LONG_BY_CPS,
    LONG_BY_CYCLE, LONG_BY_SHIFT, LONG_BY_PIGEONHOLE,
)
from tmsim_ext._long_proofs cimport (
    LongWatch, LONG_WINDOW, watch_start, watch_free, cycle_checkpoint, cycle_repeats, shift_record,
)
from tmsim_ext._line_cps cimport cps_any
from tmsim_ext._line_pigeon cimport pigeon_bound
from tmsim_ext._line_witness cimport witness_note
from tmsim_ext._line_read cimport read_entry, unread_entry
from tmsim_ext._partial cimport fresh_state


cdef struct LongTape:
    symbol_t* base
    int64_t cap         # cells allocated
    int64_t off         # index of cell 0 in base


cdef inline int long_tape_fit(LongTape* tp, pos_t lo, pos_t hi) noexcept nogil:
    """Make room for cells lo - 1 - LONG_WINDOW .. hi + 1 + LONG_WINDOW (and as much
    again), keeping their contents; -1 when memory runs out. Cells outside lo..hi are
    blank (never written), so the shift proof's windows may read them."""
    cdef int64_t need = <int64_t>hi - lo + 3 + 2 * LONG_WINDOW, cap, off
    cdef symbol_t* nb
    if tp.base != NULL and lo - 1 - LONG_WINDOW + tp.off >= 0 and hi + 1 + LONG_WINDOW + tp.off < tp.cap:
        return 0
    cap = max(2 * need, 2 * tp.cap, <int64_t>1024)
    nb = <symbol_t*>calloc(cap, sizeof(symbol_t))
    if nb == NULL:
        return -1
    off = (cap - need) // 2 - lo + 1 + LONG_WINDOW
    if tp.base != NULL:
        memcpy(nb + off + lo, tp.base + tp.off + lo, hi - lo + 1)
    free(tp.base)
    tp.base = nb
    tp.cap = cap
    tp.off = off
    return 0


cdef inline void long_note(Ctx* c, step_t t, bint undecided) noexcept nogil:
    """List the current class (its entries, the steps it reached) among the collected
    long runs, or among the undecided ones; -1 marks a free entry."""
    cdef int64_t k
    cdef digit_t* into
    if undecided:
        if c.nundecided >= c.max_undecided:
            c.undecided_lost += 1
            return
        k = c.nundecided
        c.nundecided += 1
        into = c.undecided_digits + k * c.E
        c.undecided_steps[k] = t
        # a class of the mirrored accumulator stands for its mirror image too
        c.undecided_weight[k] = c.w * <u128>(2 if c.split_e < 0 and c.acc == &c.accs[c.long_acc + 1] else 1)
    else:
        if c.ncollected >= c.collect:
            return
        k = c.ncollected
        c.ncollected += 1
        into = c.collected_digits + k * c.E
        c.collected_steps[k] = t
    memcpy(into, c.act, c.E * sizeof(digit_t))


cdef inline void long_halt(Ctx* c, LongTape* tp, int e, pos_t h, symbol_t w, step_t t, pos_t lo, pos_t hi,
                           u128 k) noexcept nogil:
    """Count k machines halting on step t+1 by entry e, after writing w at h."""
    cdef symbol_t* tape = tp.base + tp.off
    cdef symbol_t old = tape[h]
    if t >= c.witness_after:
        witness_note(c, e, <digit_t>w, t, tape, h, w, lo, hi)
    if c.keep_len < 0 or hi - lo + 1 <= c.keep_len:
        tape[h] = w
        if cmap_add_mass(&c.acc.outputs, tape + lo, hi - lo + 1, k, 0.0) != 0:
            c.failed = 1
        tape[h] = old
    if t + 1 < c.acc.dense:
        c.acc.times[t + 1] += k
        c.acc.halting += k
        if t + 1 > c.acc.max_time:
            c.acc.max_time = t + 1
    elif acc_far_time(c.acc, t + 1, k) != 0:
        c.failed = 1
    c.classes += 1
    c.long_halted += 1


cdef inline bint long_decided(Ctx* c, int q, int cps_from=1) noexcept nogil:
    """Whether the 'closed' or 'cps' proof decides the current class (in state q now);
    'cps' starts at windows of ``cps_from`` + 1 cells (the walk tried the smaller ones)."""
    cdef int got
    if (c.flags & P_CLOSED) and graph_closed(c.open_states, c.succ, q):
        long_proven(c, LONG_BY_CLOSED)
        return True
    if c.flags & P_CPS:
        got = cps_any(c, cps_from)
        if got < 0:
            c.failed = 1
        elif got > 0:
            long_proven(c, LONG_BY_CPS)
            return True
    return False


cdef inline void long_proven(Ctx* c, int which) noexcept nogil:
    """Count the current class as never halting, by long-run proof ``which`` (LONG_BY_*)."""
    c.acc.proven += c.w
    c.classes += 1
    c.long_by[which] += 1
    c.by_proof[BY_CLOSED if which == LONG_BY_CLOSED else BY_CPS if which == LONG_BY_CPS
               else BY_CYCLE if which == LONG_BY_CYCLE else BY_SHIFT] += 1


cdef inline void long_limit(Ctx* c) noexcept nogil:
    """The current class reached the run's limit: S (it counts in ``limit``) or, with
    exact_upto, the pigeonhole bound of its width (it never halts)."""
    c.classes += 1
    if c.upto > 0:
        c.acc.proven += c.w
        c.long_by[LONG_BY_PIGEONHOLE] += 1
    else:
        c.acc.limit += c.w
        c.long_bound += 1


cdef inline void long_run(Ctx* c, LongTape* tp, pos_t h, int q, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """Run the current class from step t to a halt, a free entry (then branch), a proof
    or S. ``tp`` holds the visited cells lo..hi and is the caller's to free.

    The proofs 'cycle' and 'shift' watch the run (_long_proofs.pxd) when switched on.
    """
    cdef step_t S = c.S, t0 = t, due, run, k, stop = c.S
    cdef int m = c.m, qm = q * m, e, ck_qm
    cdef symbol_t s
    cdef symbol_t* tape
    cdef Move x
    cdef const Move* step = c.step
    cdef digit_t a
    cdef uint32_t width
    cdef pos_t rmin, lmax, ck_h
    cdef bint cycles = (c.flags & P_CYCLE) != 0, shifts = (c.flags & P_SHIFT) != 0
    cdef LongWatch wt
    if watch_start(&wt) != 0 or long_tape_fit(tp, lo, hi) != 0:
        watch_free(&wt)
        c.failed = 1
        return
    wt.reach[0] = h
    wt.reach[1] = h
    if cycles and cycle_checkpoint(&wt, tp.base + tp.off, qm, h, t, lo, hi) != 0:
        c.failed = 1
    while not c.failed:
        if long_tape_fit(tp, lo, hi) != 0:
            c.failed = 1
            break
        if c.long_cells > 0 and t < S and hi - lo + 1 > c.long_cells:
            long_note(c, t, True)
            c.acc.limit += c.w
            c.classes += 1
            if c.upto > 0:
                c.upto_widened += 1
            break
        if c.upto > 0:
            stop = min(S, pigeon_bound(c, hi - lo + 1))
        tape = tp.base + tp.off
        width = <uint32_t>(hi - lo)
        due = min(stop, wt.ck_t + wt.ck_span) if cycles else stop
        ck_qm = wt.ck_qm if cycles else -1
        ck_h = wt.ck_h
        rmin = wt.reach[0]
        lmax = wt.reach[1]
        while t < due:
            s = tape[h]
            x = step[qm + s]
            if x.go == 0:
                break
            if x.nxm == qm:
                # a sweep: the entry keeps its state, so it runs over the whole run of s
                # cells ahead in one go (bouncers spend most of their steps so), stopping
                # at the visited edge, at ``due`` and at the cycle checkpoint's cell
                run = min(<step_t>((hi - h) if x.mv > 0 else (h - lo)) + 1, due - t)
                if qm == ck_qm and 0 < (ck_h - h) * x.mv < run:
                    run = (ck_h - h) * x.mv
                k = 0
                while k < run and tape[h] == s:
                    tape[h] = x.wr
                    h += x.mv
                    k += 1
                t += k
            else:
                tape[h] = x.wr
                h += x.mv
                qm = x.nxm
                t += 1
            rmin = min(rmin, h)
            lmax = max(lmax, h)
            if (<uint32_t>(h - lo) > width) | (((qm ^ ck_qm) | (h ^ ck_h)) == 0):
                break
        wt.reach[0] = rmin
        wt.reach[1] = lmax
        if h > hi:
            hi = h
            if shifts and shift_record(&wt, tape, 1, qm // m, t, h):
                long_proven(c, LONG_BY_SHIFT)
                break
            continue
        if h < lo:
            lo = h
            if shifts and shift_record(&wt, tape, -1, qm // m, t, h):
                long_proven(c, LONG_BY_SHIFT)
                break
            continue
        if cycles:
            if qm == ck_qm and h == ck_h and t > wt.ck_t and cycle_repeats(&wt, tape, lo, hi):
                long_proven(c, LONG_BY_CYCLE)
                break
            if t - wt.ck_t >= wt.ck_span:
                wt.ck_span *= 2
                if cycle_checkpoint(&wt, tape, qm, h, t, lo, hi) != 0:
                    c.failed = 1
                    break
        e = qm + tape[h]
        a = c.act[e]
        if a >= m:
            if t >= stop:
                long_limit(c)
                break
            continue
        # a halting or free entry; a halt on step S + 1 would be past the limit
        if t >= stop:
            long_limit(c)
        elif a >= 0:
            long_halt(c, tp, e, h, <symbol_t>a, t, lo, hi, c.w)
        else:
            long_branch(c, tp, e, h, qm // m, t, lo, hi)
        break
    watch_free(&wt)
    c.long_steps += t - t0


cdef inline void long_branch(Ctx* c, LongTape* tp, int e, pos_t h, int q, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """Entry e is read for the first time in a long run: try every digit, as the walk's
    branch does (the same renaming, restricted and split entries, and weights)."""
    cdef int r, x, fresh, nfresh = 0, m = c.m, lo_r, hi_r
    cdef u128 mult = c.mult, base = c.mult, w = c.w, wbase
    cdef bint split = e == c.split_e
    cdef bint limited = c.restricted[e]
    cdef const uint8_t* ok = c.allow + e * c.b
    cdef Acc* shared = c.acc
    cdef LongTape child
    c.nodes += 1
    base = read_entry(c, e)
    wbase = base * c.powb[c.nfree]
    c.w = wbase
    for r in range(m):
        if limited and not ok[r]:
            continue
        if split:
            c.acc = &c.accs[c.long_acc + 1 + r]
        long_halt(c, tp, e, h, <symbol_t>r, t, lo, hi, wbase)
    c.acc = shared
    fresh = fresh_state(c, &nfresh)
    memset(&child, 0, sizeof(LongTape))
    for x in range(c.n):
        if limited and not c.allow_to[e * c.n + x]:
            continue
        if c.used[x] == 0 and c.symmetry:
            if x != fresh:
                continue
            c.mult = base * <u128>nfresh
            c.w = wbase * <u128>nfresh
        c.used[x] += 1
        lo_r = m + 2 * x * m
        hi_r = lo_r + 2 * m
        for r in range(lo_r, hi_r):
            if limited and not ok[r]:
                continue
            if split:
                c.acc = &c.accs[c.long_acc + 1 + r]
            c.act[e] = r
            c.mv[e] = c.dig_mv[r]
            c.nx[e] = c.dig_nx[r]
            c.step[e] = c.dig_step[r]
            graph_update(&c.open_states, c.succ, c.act, c.nx, m, q)
            if not long_decided(c, q):
                if child.base == NULL or child.cap < tp.cap:
                    free(child.base)
                    child.base = <symbol_t*>malloc(tp.cap)
                    child.cap = tp.cap
                    if child.base == NULL:
                        c.failed = 1
                        break
                memcpy(child.base, tp.base, tp.cap)
                child.off = tp.off
                child.cap = tp.cap
                long_run(c, &child, h, q, t, lo, hi)
            c.acc = shared
        c.used[x] -= 1
        c.mult = base
        c.w = wbase
        if c.failed:
            break
    free(child.base)
    c.acc = shared
    unread_entry(c, e, mult)
    c.w = w
    c.act[e] = -1
    c.step[e] = c.dig_step[0]
    graph_update(&c.open_states, c.succ, c.act, c.nx, m, q)


cdef inline void long_start(Ctx* c, const symbol_t* tape, pos_t h, int q, step_t t, pos_t lo, pos_t hi) noexcept nogil:
    """The walk's class reached step T < S: decide it or run it on (the walk's tape is
    read, not changed)."""
    cdef LongTape tp
    c.long_classes += 1
    long_note(c, t, False)
    if long_decided(c, q):
        return
    memset(&tp, 0, sizeof(LongTape))
    if long_tape_fit(&tp, lo, hi) != 0:
        c.failed = 1
        return
    memcpy(tp.base + tp.off + lo, tape + lo, hi - lo + 1)
    long_run(c, &tp, h, q, t, lo, hi)
    free(tp.base)
