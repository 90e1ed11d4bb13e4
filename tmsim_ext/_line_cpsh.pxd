# The 1-D kernel's 'cps' proof with history: the n-gram closed position set of
# _line_cps.pxd, run on the machine whose cells also remember the last k updates they
# had (the state and the symbol read of each step that wrote them, most recent first).
#
# That machine simulates the original one step for step (a cell's history is a function
# of the run), and halts or reads a free entry exactly when the original does, since
# entries look at the symbol only. So a closed position set of its configurations proves
# the original never halts, and the extra memory lets windows tell apart cells that look
# alike but were written by different sweeps (bouncers, counters): the "n-gram CPS with
# history" that took the public BB(5) enumeration from about a million undecided
# machines to thousands (Coq-BB5's NGramCPS with LRU history is the same idea).
#
# An augmented cell is s + m * h, h the history base (n*m + 1) (0: an empty slot, else
# 1 + state * m + symbol read), most recent update least significant. The alphabet
# grows as (n*m + 1)**k, so nothing is indexed densely: runs of cells are interned as
# cons lists (a cell and the id of the run after it) and get small ids; configurations
# (state, cell under the head, r cells each side) are 128-bit keys of those ids, and
# each side's windows of r + 1 cells a map from their r nearest cells to the list of
# farther cells seen after them.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, malloc, realloc, free
from libc.string cimport memset
from libc.math cimport log2

from tmsim_ext._types cimport u128
from tmsim_ext._line_types cimport Ctx


cdef struct KeySet:
    # open addressing: keys stored + 1 (0 marks an empty slot); cap a power of two
    u128* keys
    int32_t* value      # maps only: per slot, the head of the key's list
    int64_t cap, n


cdef inline uint64_t _mix(u128 key) noexcept nogil:
    cdef uint64_t x = <uint64_t>key ^ (<uint64_t>(key >> 64) * <uint64_t>0x9E3779B97F4A7C15ULL)
    x ^= x >> 31
    x *= <uint64_t>0xBF58476D1CE4E5B9ULL
    x ^= x >> 29
    return x


cdef inline int keyset_init(KeySet* s, int64_t cap, bint map_) noexcept nogil:
    s.cap = cap
    s.n = 0
    s.keys = <u128*>calloc(cap, sizeof(u128))
    s.value = <int32_t*>calloc(cap, sizeof(int32_t)) if map_ else NULL
    return 0 if s.keys != NULL and (s.value != NULL or not map_) else -1


cdef inline void keyset_free(KeySet* s) noexcept nogil:
    free(s.keys)
    free(s.value)
    s.keys = NULL
    s.value = NULL


cdef inline int64_t keyset_slot(const KeySet* s, u128 key) noexcept nogil:
    """The slot holding key, or the empty slot where it would go."""
    cdef int64_t i = <int64_t>(_mix(key) & <uint64_t>(s.cap - 1))
    while s.keys[i] != 0 and s.keys[i] != key + 1:
        i = (i + 1) & (s.cap - 1)
    return i


cdef inline int keyset_grow(KeySet* s) noexcept nogil:
    cdef KeySet big
    cdef int64_t i, j
    if keyset_init(&big, 2 * s.cap, s.value != NULL) != 0:
        keyset_free(&big)
        return -1
    for i in range(s.cap):
        if s.keys[i] != 0:
            j = keyset_slot(&big, s.keys[i] - 1)
            big.keys[j] = s.keys[i]
            if s.value != NULL:
                big.value[j] = s.value[i]
    big.n = s.n
    keyset_free(s)
    s[0] = big
    return 0


cdef inline int64_t keyset_put(KeySet* s, u128 key) noexcept nogil:
    """The slot of key, added when absent (then s.n grows); -1 when memory runs out."""
    cdef int64_t i
    if 2 * (s.n + 1) > s.cap and keyset_grow(s) != 0:
        return -1
    i = keyset_slot(s, key)
    if s.keys[i] == 0:
        s.keys[i] = key + 1
        if s.value != NULL:
            s.value[i] = -1
        s.n += 1
    return i


cdef struct Links:
    # parallel growable arrays: a value and the index of another entry (a list's next,
    # a run's rest)
    uint64_t* value
    int32_t* link
    int64_t n, cap


cdef inline int links_init(Links* k, int64_t first) noexcept nogil:
    """Empty, or holding one entry (0, -1) when ``first``; -1 when memory runs out."""
    k.cap = 256
    k.n = 1 if first else 0
    k.value = <uint64_t*>malloc(k.cap * sizeof(uint64_t))
    k.link = <int32_t*>malloc(k.cap * sizeof(int32_t))
    if k.value == NULL or k.link == NULL:
        return -1
    k.value[0] = 0
    k.link[0] = -1
    return 0


cdef inline void links_free(Links* k) noexcept nogil:
    free(k.value)
    free(k.link)
    k.value = NULL
    k.link = NULL


cdef inline int64_t links_push(Links* k, uint64_t value, int64_t link) noexcept nogil:
    """Append an entry; its index, or -1 when memory runs out."""
    cdef uint64_t* nv
    cdef int32_t* nl
    if k.n == k.cap:
        nv = <uint64_t*>realloc(k.value, 2 * k.cap * sizeof(uint64_t))
        if nv == NULL:
            return -1
        k.value = nv
        nl = <int32_t*>realloc(k.link, 2 * k.cap * sizeof(int32_t))
        if nl == NULL:
            return -1
        k.link = nl
        k.cap *= 2
    k.value[k.n] = value
    k.link[k.n] = <int32_t>link
    k.n += 1
    return k.n - 1


cdef struct Side:
    # a side's windows: prefix (id of its r nearest cells) -> list of farther cells
    KeySet heads
    Links cells


cdef inline int side_init(Side* d) noexcept nogil:
    if links_init(&d.cells, False) != 0:
        return -1
    return keyset_init(&d.heads, 256, True)


cdef inline void side_free(Side* d) noexcept nogil:
    keyset_free(&d.heads)
    links_free(&d.cells)


cdef inline int side_add(Side* d, uint64_t prefix, uint64_t x) noexcept nogil:
    """Add the window (prefix, x): 1 when new, 0 when known, -1 when memory runs out."""
    cdef int64_t slot = keyset_put(&d.heads, prefix), node
    cdef int32_t j
    if slot < 0:
        return -1
    j = d.heads.value[slot]
    while j >= 0:
        if d.cells.value[j] == x:
            return 0
        j = d.cells.link[j]
    node = links_push(&d.cells, x, d.heads.value[slot])
    if node < 0:
        return -1
    d.heads.value[slot] = <int32_t>node
    return 1


cdef inline int32_t side_first(Side* d, uint64_t prefix) noexcept nogil:
    """The first node of prefix's list, or -1."""
    cdef int64_t i = keyset_slot(&d.heads, prefix)
    return d.heads.value[i] if d.heads.keys[i] != 0 else -1


cdef struct Grams:
    # interned runs of cells: id -> (first cell, id of the rest); id 0 is the empty run
    KeySet index        # (first << 32 | rest) -> id
    Links runs
    int64_t limit


cdef inline int grams_init(Grams* g, int64_t limit) noexcept nogil:
    g.limit = limit
    if links_init(&g.runs, True) != 0:
        return -1
    return keyset_init(&g.index, 1024, True)


cdef inline void grams_free(Grams* g) noexcept nogil:
    keyset_free(&g.index)
    links_free(&g.runs)


cdef inline int64_t gram_cons(Grams* g, uint64_t cell, int64_t rest) noexcept nogil:
    """The id of the run (cell, rest...): -1 when memory runs out, -2 past the limit."""
    cdef int64_t slot, id_
    if rest < 0:
        return rest
    slot = keyset_put(&g.index, ((<u128>cell) << 32) | <u128>rest)
    if slot < 0:
        return -1
    if g.index.value[slot] >= 0:
        return g.index.value[slot]
    if g.runs.n >= g.limit:
        return -2
    id_ = links_push(&g.runs, cell, rest)
    if id_ < 0:
        return -1
    g.index.value[slot] = <int32_t>id_
    return id_


cdef inline int64_t gram_droplast(Grams* g, int64_t run) noexcept nogil:
    """The run without its last cell (the run is not empty)."""
    if g.runs.link[run] == 0:
        return 0
    return gram_cons(g, g.runs.value[run], gram_droplast(g, g.runs.link[run]))


cdef inline int64_t gram_snoc(Grams* g, int64_t run, uint64_t cell) noexcept nogil:
    """The run with ``cell`` appended at its end."""
    if run == 0:
        return gram_cons(g, cell, 0)
    return gram_cons(g, g.runs.value[run], gram_snoc(g, g.runs.link[run], cell))


cdef inline uint64_t gram_last(const Grams* g, int64_t run) noexcept nogil:
    while g.runs.link[run] != 0:
        run = g.runs.link[run]
    return g.runs.value[run]


cdef inline int cps_history(const Ctx* c, int r, int k, int64_t max_configs) noexcept nogil:
    """Proof 'cps' with history: windows of r + 1 cells that each remember their last
    k updates. 1 when the class never halts, 0 when the fixed point reads a halting or
    free entry or outgrows ``max_configs``, -1 when memory runs out."""
    cdef int m = c.m, q, q2, side, s, i
    cdef uint64_t H = 1, hist_mod = 1, a, a2, x, pair, h, mask = 0xFFFFFFFFU
    cdef int64_t L, R, near, rest, near2, rest2, prefix, center, blank, got64
    cdef u128 cfg, key
    cdef int64_t slot, nlist = 0, caplist = 1024, idx
    cdef int32_t j, d
    cdef bint changed = True
    cdef int ok = 1, got
    cdef KeySet seen
    cdef Side sides[2]
    cdef Grams g
    cdef u128* order
    cdef u128* grown
    # a cell's value must fit 63 bits
    if log2(<double>m) + k * log2(<double>(c.n * m + 1)) >= 63 or c.n >= 32:
        return 0
    for i in range(k):
        H *= <uint64_t>(c.n * m + 1)
        if i < k - 1:
            hist_mod *= <uint64_t>(c.n * m + 1)
    memset(&seen, 0, sizeof(KeySet))
    memset(sides, 0, 2 * sizeof(Side))
    memset(&g, 0, sizeof(Grams))
    order = <u128*>malloc(caplist * sizeof(u128))
    if (order == NULL or keyset_init(&seen, 1024, False) != 0 or side_init(&sides[0]) != 0
            or side_init(&sides[1]) != 0 or grams_init(&g, 4 * max_configs + 64) != 0):
        free(order)
        keyset_free(&seen)
        side_free(&sides[0])
        side_free(&sides[1])
        grams_free(&g)
        return -1
    # blank cells (symbol 0, no history) on both sides, state 0 on a blank cell
    blank = 0
    for i in range(r):  # no-cython-lint: a typed counter, i is not read
        blank = gram_cons(&g, 0, blank)
    center = gram_cons(&g, 0, 0)
    if blank < 0 or center < 0:
        ok = -1 if blank == -1 or center == -1 else 0
    elif side_add(&sides[0], <uint64_t>blank, 0) < 0 or side_add(&sides[1], <uint64_t>blank, 0) < 0:
        ok = -1
    else:
        key = ((((<u128>0) << 32 | <u128>center) << 32) | <u128>blank) << 32 | <u128>blank
        if keyset_put(&seen, key) < 0:
            ok = -1
        order[0] = key
        nlist = 1
    while changed and ok == 1:
        changed = False
        idx = 0
        while idx < nlist and ok == 1:
            cfg = order[idx]
            idx += 1
            R = <int64_t>(cfg & mask)
            L = <int64_t>((cfg >> 32) & mask)
            a = g.runs.value[<int64_t>((cfg >> 64) & mask)]
            q = <int>(cfg >> 96)
            s = <int>(a % <uint64_t>m)
            d = c.act[q * m + s]
            if d < m:                   # free (-1) or halting
                ok = 0
                break
            q2 = c.dig_nx[d]
            pair = 1 + <uint64_t>(q * m + s)
            h = a // <uint64_t>m
            a2 = <uint64_t>c.dig_wr[d]
            if k > 0:
                a2 += <uint64_t>m * (pair + <uint64_t>(c.n * m + 1) * (h % hist_mod))
            # moving right pushes onto the left (side 0) and pops the right (side 1);
            # moving left the other way round: "near" is the pushed side's cells
            side = 0 if c.dig_mv[d] > 0 else 1
            near = L if side == 0 else R
            rest = R if side == 0 else L
            if r > 0:
                x = gram_last(&g, near)
                near2 = gram_cons(&g, a2, gram_droplast(&g, near))
                prefix = near2
            else:
                x = a2
                near2 = 0
                prefix = 0
            if near2 < 0:
                ok = -1 if near2 == -1 else 0
                break
            got = side_add(&sides[side], <uint64_t>prefix, x)
            if got < 0:
                ok = -1
                break
            if got > 0:
                changed = True
            j = side_first(&sides[1 - side], <uint64_t>rest)
            while j >= 0:
                x = sides[1 - side].cells.value[j]
                j = sides[1 - side].cells.link[j]
                if r > 0:
                    center = gram_cons(&g, g.runs.value[rest], 0)
                    rest2 = gram_snoc(&g, g.runs.link[rest], x)
                else:
                    center = gram_cons(&g, x, 0)
                    rest2 = 0
                if center < 0 or rest2 < 0:
                    got64 = center if center < 0 else rest2
                    ok = -1 if got64 == -1 else 0
                    break
                if side == 0:
                    key = ((((<u128>q2) << 32 | <u128>center) << 32 | <u128>near2) << 32) | <u128>rest2
                else:
                    key = ((((<u128>q2) << 32 | <u128>center) << 32 | <u128>rest2) << 32) | <u128>near2
                slot = keyset_put(&seen, key)
                if slot < 0:
                    ok = -1
                    break
                if seen.n > nlist:
                    if seen.n > max_configs:
                        ok = 0
                        break
                    if nlist == caplist:
                        grown = <u128*>realloc(order, 2 * caplist * sizeof(u128))
                        if grown == NULL:
                            ok = -1
                            break
                        order = grown
                        caplist *= 2
                    order[nlist] = key
                    nlist += 1
    free(order)
    keyset_free(&seen)
    side_free(&sides[0])
    side_free(&sides[1])
    grams_free(&g)
    return ok
