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
# grows as (n*m + 1)**k, so sets are hashed: configurations (state, cell under the head,
# r cells each side) as 128-bit keys, and each side's windows of r + 1 cells as a map
# from their r nearest cells to the list of farther cells seen after them.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, malloc, realloc, free
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


cdef struct Side:
    # a side's windows: prefix (r nearest cells) -> list of farther cells, in nodes
    KeySet heads
    uint64_t* far
    int32_t* next
    int64_t nnodes, capnodes


cdef inline int side_init(Side* d) noexcept nogil:
    d.nnodes = 0
    d.capnodes = 256
    d.far = <uint64_t*>malloc(d.capnodes * sizeof(uint64_t))
    d.next = <int32_t*>malloc(d.capnodes * sizeof(int32_t))
    if d.far == NULL or d.next == NULL:
        return -1
    return keyset_init(&d.heads, 256, True)


cdef inline void side_free(Side* d) noexcept nogil:
    keyset_free(&d.heads)
    free(d.far)
    free(d.next)
    d.far = NULL
    d.next = NULL


cdef inline int side_add(Side* d, uint64_t prefix, uint64_t x) noexcept nogil:
    """Add the window (prefix, x): 1 when new, 0 when known, -1 when memory runs out."""
    cdef int64_t slot = keyset_put(&d.heads, prefix)
    cdef int32_t j
    cdef uint64_t* nf
    cdef int32_t* nn
    if slot < 0:
        return -1
    j = d.heads.value[slot]
    while j >= 0:
        if d.far[j] == x:
            return 0
        j = d.next[j]
    if d.nnodes == d.capnodes:
        nf = <uint64_t*>realloc(d.far, 2 * d.capnodes * sizeof(uint64_t))
        if nf == NULL:
            return -1
        d.far = nf
        nn = <int32_t*>realloc(d.next, 2 * d.capnodes * sizeof(int32_t))
        if nn == NULL:
            return -1
        d.next = nn
        d.capnodes *= 2
    d.far[d.nnodes] = x
    d.next[d.nnodes] = d.heads.value[slot]
    d.heads.value[slot] = <int32_t>d.nnodes
    d.nnodes += 1
    return 1


cdef inline int32_t side_first(Side* d, uint64_t prefix) noexcept nogil:
    """The first node of prefix's list, or -1."""
    cdef int64_t i = keyset_slot(&d.heads, prefix)
    return d.heads.value[i] if d.heads.keys[i] != 0 else -1


cdef inline int cps_history(const Ctx* c, int r, int k, int64_t max_configs) noexcept nogil:
    """Proof 'cps' with history: windows of r + 1 cells that each remember their last
    k updates. 1 when the class never halts, 0 when the fixed point reads a halting or
    free entry or outgrows ``max_configs``, -1 when memory runs out."""
    cdef int m = c.m, q, q2, side, s
    cdef uint64_t H = 1, A, Ar = 1, hist_mod = 1, a, a2, L, R, near, rest, rest2, h, x, pair
    cdef u128 cfg, key
    cdef int64_t i, slot, nlist = 0, caplist = 1024
    cdef int32_t j, d
    cdef bint changed = True
    cdef int ok = 1, got
    cdef KeySet seen
    cdef Side sides[2]
    cdef u128* order
    cdef u128* grown
    for i in range(k):
        H *= <uint64_t>(c.n * m + 1)
        if i < k - 1:
            hist_mod *= <uint64_t>(c.n * m + 1)
    A = <uint64_t>m * H
    # every code must fit: a window (A**(r+1)) in 62 bits, a configuration
    # (n * A**(2r+1)) in 126; larger settings are not tried
    if (r + 1) * log2(<double>A) >= 62 or log2(<double>c.n) + (2 * r + 1) * log2(<double>A) >= 126:
        return 0
    for i in range(r):
        Ar *= A
    order = <u128*>malloc(caplist * sizeof(u128))
    if (order == NULL or keyset_init(&seen, 1024, False) != 0 or side_init(&sides[0]) != 0
            or side_init(&sides[1]) != 0):
        free(order)
        keyset_free(&seen)
        side_free(&sides[0])
        side_free(&sides[1])
        return -1
    # blank cells (symbol 0, no history) on both sides, state 0 on a blank cell
    side_add(&sides[0], 0, 0)
    side_add(&sides[1], 0, 0)
    keyset_put(&seen, 0)
    order[0] = 0
    nlist = 1
    while changed and ok == 1:
        changed = False
        i = 0
        while i < nlist and ok == 1:
            cfg = order[i]
            i += 1
            R = <uint64_t>(cfg % Ar)
            cfg //= Ar
            L = <uint64_t>(cfg % Ar)
            cfg //= Ar
            a = <uint64_t>(cfg % A)
            q = <int>(cfg // A)
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
            got = side_add(&sides[side], (a2 + near * A) % Ar if r > 0 else 0, near // (Ar // A) if r > 0 else a2)
            if got < 0:
                ok = -1
                break
            if got > 0:
                changed = True
            near = (a2 + near * A) % Ar if r > 0 else 0
            j = side_first(&sides[1 - side], rest)
            while j >= 0:
                x = sides[1 - side].far[j]
                j = sides[1 - side].next[j]
                if r > 0:
                    a = rest % A
                    rest2 = rest // A + x * (Ar // A)
                else:
                    a = x
                    rest2 = 0
                if side == 0:
                    key = ((<u128>q2 * A + a) * Ar + near) * Ar + rest2
                else:
                    key = ((<u128>q2 * A + a) * Ar + rest2) * Ar + near
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
    return ok
