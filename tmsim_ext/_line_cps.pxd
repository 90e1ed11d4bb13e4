# The 1-D kernel's 'cps' proof: an n-gram closed position set (CPS).
#
# The abstraction keeps, of a configuration, the state, the symbol under the head and
# the r cells on each side of it, and of each side of the tape the set of windows of
# r + 1 cells that may occur there. Moving pushes the written symbol onto one side (its
# new window joins that side's set) and pops the nearest cell of the other side, whose
# next r cells may be any window of the set that starts with them. Starting from the
# blank tape (each set holds the blank window), every configuration a run reaches is
# covered by the least fixed point of these moves; if that fixed point never reads a
# halting or free entry, no machine of the class ever halts.
#
# The technique is the "n-gram CPS" decider of the bbchallenge and Coq-BB5 proofs of
# BB(5) (a closed set of local tape windows, Marxen's "closed position set" idea).
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from tmsim_ext._line_types cimport Ctx
from tmsim_ext._types cimport digit_t
from tmsim_ext._line_cpsh cimport cps_history

cdef enum:
    CPS_MAX_CONFIGS = 1 << 22   # radii whose abstraction would be larger are not tried
    CPS_HISTORY_CONFIGS = 1 << 15   # with history: give up past this many configurations


cdef inline int64_t _cps_put(uint8_t* seen, int32_t* order, int64_t nlist, int64_t cfg, const digit_t* act,
                             int m, int64_t MM, int sh2) noexcept nogil:
    """Add configuration cfg to the set (once): the new length of the list, or -1 when cfg
    reads a halting or free entry."""
    if seen[cfg]:
        return nlist
    seen[cfg] = 1
    order[nlist] = <int32_t>cfg
    if act[(cfg >> sh2) if sh2 >= 0 else cfg // MM] < m:
        return -1
    return nlist + 1


cdef inline int cps_closed(const Ctx* c, int r) noexcept nogil:
    """Proof 'cps' with windows of r + 1 cells: 1 when the class never halts, 0 when the
    fixed point reads a halting or free entry, -1 when memory runs out.

    A side's r cells are the digits of a number base m, the cell next to the head
    least significant; a window is those r cells and one more, farther out. A
    configuration is ((state * m + symbol) * M + left) * M + right, M = m**r.

    The least fixed point is found with a worklist: each configuration is expanded once,
    when it is taken off the list; a window that joins a side's set later reaches the
    configurations already expanded that pop that side through per-(side, r cells)
    lists of what they need to form a successor (the next state and the pushed side's
    new r cells, kept once each). Whatever the order, every configuration added follows
    from the blank one by the moves (so it is in the least fixed point), and when the
    list runs empty every move of every configuration in the set, with every window in
    the sets, lands in the set (so the set is the least fixed point). A configuration
    that reads a halting or free entry answers 0 as soon as it is added, since it is in
    the fixed point; the answer is therefore the same as that of any other order,
    including rescanning the whole set until nothing changes. When m is a power of two,
    digits are split with shifts and masks (sh = log2 m), else with // and %.
    """
    cdef int m = c.m, n = c.n, sh = -1, sh1 = -1, sh2 = -1, x, q2, push, pop
    cdef int64_t M = 1, MM, mask, i, nlist = 0, nc, nwin, nmark, nent = 0, cfg, L, R, near, far, win, near2, base, e
    cdef int64_t key, j
    cdef int32_t a
    for i in range(r):  # no-cython-lint: a typed counter, i is not read
        M *= m
    MM = M * M
    mask = M - 1
    nc = <int64_t>n * m * MM
    if nc > CPS_MAX_CONFIGS:
        return 0
    if m & (m - 1) == 0:
        sh = 0
        while (1 << sh) < m:
            sh += 1
        sh1 = sh * r           # cfg >> sh1 drops the right side
        sh2 = 2 * sh1          # cfg >> sh2 is the entry, state * m + symbol
    nwin = M * m               # windows of one side
    nmark = 2 * M * n * M      # (side popped, its r cells) x (next state, pushed side's r cells)
    # one block: int64 addends, int32 arrays, then the bytes that start at zero
    cdef char* block = <char*>malloc(2 * nwin * sizeof(int64_t) + (nc + 2 * M + 2 * nmark) * sizeof(int32_t)
                                     + nc + 2 * nwin + nmark)
    if block == NULL:
        return -1
    cdef int64_t* add = <int64_t*>block            # per side and window: the successor's addend
    cdef int32_t* order = <int32_t*>(add + 2 * nwin)
    cdef int32_t* head = order + nc                # per (side popped, r cells): first entry, -1 none
    cdef int32_t* ent_base = head + 2 * M          # per entry: the successor less the window's addend
    cdef int32_t* ent_next = ent_base + nmark      # per entry: the next entry of its list, -1 none
    cdef uint8_t* seen = <uint8_t*>(ent_next + nmark)
    cdef uint8_t* wins = seen + nc                 # wins[side * nwin + window]: left side 0, right 1
    cdef uint8_t* marked = wins + 2 * nwin         # the entries already listed
    memset(seen, 0, nc + 2 * nwin + nmark)
    for i in range(2 * M):
        head[i] = -1
    for i in range(nwin):
        # a window popped from the right becomes the symbol read and the right side's r
        # cells; from the left, the symbol read and the left side's r cells
        add[nwin + i] = (i % m) * MM + i // m
        add[i] = (i % m) * MM + (i // m) * M
    wins[0] = 1                    # blank windows on both sides
    wins[nwin] = 1
    nlist = _cps_put(seen, order, 0, 0, c.act, m, MM, sh2)   # state 0 on a blank cell
    i = 0
    while i < nlist:
        cfg = order[i]
        i += 1
        if sh >= 0:
            R = cfg & mask
            L = (cfg >> sh1) & mask
            e = cfg >> sh2
        else:
            R = cfg % M
            L = (cfg // M) % M
            e = cfg // MM
        a = c.act[e]               # a move: halting and free entries were answered when added
        q2 = c.dig_nx[a]
        # moving right pushes the written symbol onto the left and pops the right's
        # nearest cell; moving left the other way round
        if c.dig_mv[a] > 0:
            near = L
            far = R
            push = 0
            pop = 1
        else:
            near = R
            far = L
            push = 1
            pop = 0
        win = c.dig_wr[a] + near * m
        near2 = (win & mask) if sh >= 0 else win % M
        if not wins[push * nwin + win]:
            wins[push * nwin + win] = 1
            # a new window: the configurations listed under its r nearest cells move on with it
            j = head[push * M + near2]
            while j >= 0:
                nlist = _cps_put(seen, order, nlist, ent_base[j] + add[push * nwin + win], c.act, m, MM, sh2)
                if nlist < 0:
                    break
                j = ent_next[j]
            if nlist < 0:
                break
        base = <int64_t>q2 * m * MM + (near2 * M if pop == 1 else near2)
        key = pop * M + far
        if marked[key * n * M + q2 * M + near2]:
            continue               # an expanded configuration has the same successors
        marked[key * n * M + q2 * M + near2] = 1
        ent_base[nent] = <int32_t>base
        ent_next[nent] = head[key]
        head[key] = <int32_t>nent
        nent += 1
        for x in range(m):
            if wins[pop * nwin + far + x * M]:
                nlist = _cps_put(seen, order, nlist, base + add[pop * nwin + far + x * M], c.act, m, MM, sh2)
                if nlist < 0:
                    break
        if nlist < 0:
            break
    free(block)
    return 0 if nlist < 0 else 1


cdef inline int cps_radii(const Ctx* c, int r0, int r1) noexcept nogil:
    """Proof 'cps' with plain windows of r0 + 1 to r1 + 1 cells, cheapest first: 1 when one
    closes, 0 when none does, -1 when memory runs out."""
    cdef int r, got
    for r in range(r0, r1 + 1):
        got = cps_closed(c, r)
        if got != 0:
            return got
    return 0


cdef inline int cps_any(const Ctx* c, int r0=1) noexcept nogil:
    """Proof 'cps': windows of 2 to cps_radius + 1 cells, then the same with each cell's
    last k updates remembered (_line_cpsh.pxd) for k = 1, 2, 3, 4, 6, 8, 10, 12 up to
    cps_history, cheapest first. 1 when one of them closes, 0 when none does, -1 when
    memory runs out."""
    cdef int r, i
    cdef int depths[8]
    cdef int got = cps_radii(c, r0, c.cps_radius)
    if got != 0:
        return got
    depths[:] = [1, 2, 3, 4, 6, 8, 10, 12]
    for i in range(8):
        if depths[i] > c.cps_history:
            break
        for r in range(1, c.cps_radius + 1):
            got = cps_history(c, r, depths[i], CPS_HISTORY_CONFIGS)
            if got != 0:
                return got
    return 0
