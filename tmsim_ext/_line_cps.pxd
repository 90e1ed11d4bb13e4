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
from libc.stdlib cimport calloc, malloc, free

from tmsim_ext._line_types cimport Ctx
from tmsim_ext._line_cpsh cimport cps_history

cdef enum:
    CPS_MAX_CONFIGS = 1 << 22   # radii whose abstraction would be larger are not tried
    CPS_HISTORY_CONFIGS = 1 << 15   # with history: give up past this many configurations


cdef inline int cps_closed(const Ctx* c, int r) noexcept nogil:
    """Proof 'cps' with windows of r + 1 cells: 1 when the class never halts, 0 when the
    fixed point reads a halting or free entry, -1 when memory runs out.

    A side's r cells are the digits of a number base m, the cell next to the head
    least significant; a window is those r cells and one more, farther out.
    """
    cdef int m = c.m, q, s, q2, s2, x
    cdef int64_t M = 1, i, nlist = 0, cfg, L, R, near, far, near2, rest2, win, nc, rest, top
    cdef bint rightward
    cdef uint8_t* pushed
    cdef uint8_t* popped
    cdef int32_t a
    cdef bint changed = True
    cdef int ok = 1
    for i in range(r):  # no-cython-lint: a typed counter, i is not read
        M *= m
    top = M // m
    nc = <int64_t>c.n * m * M * M
    if nc > CPS_MAX_CONFIGS:
        return 0
    cdef uint8_t* seen = <uint8_t*>calloc(nc + 2 * M * m, 1)
    cdef int32_t* order = <int32_t*>malloc(nc * sizeof(int32_t))
    if seen == NULL or order == NULL:
        free(seen)
        free(order)
        return -1
    cdef uint8_t* left = seen + nc     # windows that may occur left of the head
    cdef uint8_t* right = left + M * m
    left[0] = 1
    right[0] = 1
    seen[0] = 1                        # state 0 on a blank cell, blank on both sides
    order[0] = 0
    nlist = 1
    while changed and ok == 1:
        changed = False
        i = 0
        while i < nlist:
            cfg = order[i]
            i += 1
            R = cfg % M
            L = (cfg // M) % M
            s = <int>((cfg // (M * M)) % m)
            q = <int>(cfg // (M * M * m))
            a = c.act[q * m + s]
            if a < m:                  # free (-1) or halting
                ok = 0
                break
            q2 = c.dig_nx[a]
            # moving right pushes the written symbol onto the left and pops the right's
            # nearest cell; moving left the other way round
            rightward = c.dig_mv[a] > 0
            near = L if rightward else R
            far = R if rightward else L
            pushed = left if rightward else right
            popped = right if rightward else left
            win = c.dig_wr[a] + near * m
            if not pushed[win]:
                pushed[win] = 1
                changed = True
            near2 = win % M
            s2 = <int>(far % m) if r > 0 else -1
            rest = far // m
            for x in range(m):
                if not popped[far + x * M]:
                    continue
                if r == 0:
                    s2 = x
                    rest2 = 0
                else:
                    rest2 = rest + x * top
                if rightward:
                    cfg = ((<int64_t>q2 * m + s2) * M + near2) * M + rest2
                else:
                    cfg = ((<int64_t>q2 * m + s2) * M + rest2) * M + near2
                if not seen[cfg]:
                    seen[cfg] = 1
                    order[nlist] = <int32_t>cfg
                    nlist += 1
    free(seen)
    free(order)
    return ok


cdef inline int cps_any(const Ctx* c) noexcept nogil:
    """Proof 'cps': windows of 2 to cps_radius + 1 cells, then the same with each cell's
    last k updates remembered (_line_cpsh.pxd) for k = 1, 2, 3, 4, 6, 8, 10, 12 up to
    cps_history, cheapest first. 1 when one of them closes, 0 when none does, -1 when
    memory runs out."""
    cdef int r, i, got
    cdef int depths[8]
    depths[:] = [1, 2, 3, 4, 6, 8, 10, 12]
    for r in range(1, c.cps_radius + 1):
        got = cps_closed(c, r)
        if got != 0:
            return got
    for i in range(8):
        if depths[i] > c.cps_history:
            break
        for r in range(1, c.cps_radius + 1):
            got = cps_history(c, r, depths[i], CPS_HISTORY_CONFIGS)
            if got != 0:
                return got
    return 0
