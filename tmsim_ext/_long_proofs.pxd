# The proofs of long runs (_line_long.pxd) that watch the run itself, without a journal:
#
# 'cycle' (long): the whole configuration repeats. A checkpoint (state, head, visited
# bounds and a copy of the visited tape) is taken at steps t0, t0 + 64, t0 + 192, ...
# (the span doubles each time, as in Brent's cycle finding), and the run is compared
# with it whenever it is back in the checkpoint's state and cell.
#
# 'shift' (long): a translated cycler. At every tape-edge record (the head reaches a
# new cell at one end) the run keeps the LONG_WINDOW cells behind the head, and how far
# back the head has gone since the previous record on that side. Two records of the same
# state on one side, d cells apart, with the head never more than LONG_WINDOW cells
# behind the newer one in between, whose windows agree from that farthest cell on (the
# older one's shifted by d), start two equal stretches of the run: the second repeats
# the first shifted by d, and so on forever (beyond a record the tape is blank).
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memcmp

from tmsim_ext._types cimport symbol_t, pos_t, step_t

cdef enum:
    LONG_WINDOW = 512       # cells kept behind each record
    LONG_RECORDS = 64       # records kept per side (a ring)
    LONG_LOOKBACK = 3       # earlier records of the same state compared per record
    LONG_CYCLE_FIRST = 64   # steps before the first checkpoint is renewed


cdef struct LongRec:
    step_t t
    pos_t p
    pos_t reach         # the farthest the head went back in the epoch ending at this record
    int32_t q
    symbol_t window[LONG_WINDOW]   # window[i]: the cell i behind p (p - i on the right side, p + i on the left)


cdef struct LongWatch:
    # cycle checkpoint
    step_t ck_t, ck_span
    int32_t ck_qm
    pos_t ck_h, ck_lo, ck_hi
    symbol_t* ck_tape
    int64_t ck_cap
    # records, per side (0: right, 1: left), and each side's reach since its last record
    LongRec* rec
    int32_t nrec[2]
    pos_t reach[2]


cdef inline int watch_start(LongWatch* w) noexcept nogil:
    """An empty watch; -1 when memory runs out."""
    w.rec = <LongRec*>malloc(2 * LONG_RECORDS * sizeof(LongRec))
    w.ck_tape = NULL
    w.ck_cap = 0
    w.ck_qm = -1
    w.ck_t = 0
    w.ck_h = 0
    w.ck_lo = 0
    w.ck_hi = -1
    w.ck_span = LONG_CYCLE_FIRST
    w.nrec[0] = w.nrec[1] = 0
    return 0 if w.rec != NULL else -1


cdef inline void watch_free(LongWatch* w) noexcept nogil:
    free(w.rec)
    free(w.ck_tape)
    w.rec = NULL
    w.ck_tape = NULL


cdef inline int cycle_checkpoint(LongWatch* w, const symbol_t* tape, int32_t qm, pos_t h, step_t t,
                                 pos_t lo, pos_t hi) noexcept nogil:
    """Take a checkpoint of the configuration now; -1 when memory runs out."""
    cdef int64_t n = <int64_t>hi - lo + 1
    if n > w.ck_cap:
        free(w.ck_tape)
        w.ck_cap = 2 * n
        w.ck_tape = <symbol_t*>malloc(w.ck_cap)
        if w.ck_tape == NULL:
            return -1
    memcpy(w.ck_tape, tape + lo, n)
    w.ck_t = t
    w.ck_qm = qm
    w.ck_h = h
    w.ck_lo = lo
    w.ck_hi = hi
    return 0


cdef inline bint cycle_repeats(const LongWatch* w, const symbol_t* tape, pos_t lo, pos_t hi) noexcept nogil:
    """Proof 'cycle' (long; state and head already match the checkpoint): is the whole
    configuration the checkpoint's? Then the run repeats it forever."""
    return (lo == w.ck_lo and hi == w.ck_hi
            and memcmp(w.ck_tape, tape + lo, <size_t>(hi - lo + 1)) == 0)


cdef inline bint shift_record(LongWatch* w, const symbol_t* tape, int side, int32_t q, step_t t,
                              pos_t h) noexcept nogil:
    """Proof 'shift' (long): push a record of the head reaching new cell h on ``side``
    (+1 right, -1 left) in state q, and compare it with earlier ones of that state.

    ``w.reach[s]`` must hold the farthest back the head went since the side's last
    record (the caller tracks it); it is reset here. With d the distance between an
    older record and this one and ``back`` the farthest the head went behind this one
    since the older record, the older record's cells 0..back-d behind it must equal this
    one's: the run from the older record then reads, shifted by d, exactly what it read
    from there, and arrives shifted again, forever.
    """
    cdef int s = 0 if side > 0 else 1
    cdef LongRec* ring = w.rec + s * LONG_RECORDS
    cdef int32_t n = w.nrec[s], j, looked = 0
    cdef LongRec* now = &ring[n % LONG_RECORDS]
    cdef LongRec* old
    cdef int64_t back, d, i
    now.t = t
    now.p = h
    now.q = q
    now.reach = w.reach[s]
    for i in range(LONG_WINDOW):
        now.window[i] = tape[h - side * i]
    w.nrec[s] = n + 1
    w.reach[s] = h
    back = <int64_t>(h - now.reach) * side
    j = n - 1
    while j >= 0 and j > n - LONG_RECORDS and looked < LONG_LOOKBACK:
        old = &ring[j % LONG_RECORDS]
        d = <int64_t>(h - old.p) * side
        if d > back:
            back = d
        if old.q == q and d > 0:
            looked += 1
            if back - d + 1 > LONG_WINDOW:
                break           # older records lie farther back still
            if memcmp(old.window, now.window, <size_t>(back - d + 1)) == 0:
                return True
        # the epoch ending at the older record lies between it and the one before it
        if <int64_t>(h - old.reach) * side > back:
            back = <int64_t>(h - old.reach) * side
        j -= 1
    return False
