# Edge records for the 'shift' proof (translated cyclers), 1-D and 2-D alike: each time
# the head extends the written region, the run pushes a record (step, position, key =
# state and side or direction). Records of one key are linked newest first, and a record
# is compared with earlier ones only when their spacing in time and space repeats, so
# bouncers and counters, whose sweeps grow, never pay for a comparison. A walk pops its
# records when it ends (rec_pop_to), so a run sees exactly its own path's records.
from libc.stdint cimport int32_t

from tmsim_ext._types cimport symbol_t, pos_t, step_t


cdef struct Rec:
    step_t t
    pos_t p
    int32_t prev        # previous record of this run with the same key, or -1
    int32_t key         # the kernel's key: state and side (1-D) or direction (2-D)
    symbol_t behind     # the cell just inside the record, a cheap filter before comparing


cdef inline int32_t rec_push(Rec* rec, int32_t* nrec, int32_t* rec_last, int32_t key, step_t t, pos_t h,
                             symbol_t behind) noexcept nogil:
    """Push a record of ``key`` at step t and position h; returns the latest earlier record
    of this run with the same key, or -1.

    The stack holds this run's records only (its ancestors' and its own), and rec_last
    the latest of each key among them: a walk that ends pops its records with
    ``rec_pop_to``, so what sibling walks ran before never changes what a run finds.
    """
    cdef int32_t r = nrec[0], k = rec_last[key]
    rec[r].t = t
    rec[r].p = h
    rec[r].key = key
    rec[r].prev = k
    rec[r].behind = behind
    rec_last[key] = r
    nrec[0] = r + 1
    return k


cdef inline void rec_pop_to(const Rec* rec, int32_t* nrec, int32_t* rec_last, int32_t n) noexcept nogil:
    """Pop the records above the first n, newest first, each key's latest record going
    back to the one before it: the stack and rec_last are as they were when it held n."""
    cdef int32_t r = nrec[0]
    while r > n:
        r -= 1
        rec_last[rec[r].key] = rec[r].prev
    nrec[0] = r


cdef inline bint rec_spaced(const Rec* rec, int32_t k, int looked, step_t t, pos_t h) noexcept nogil:
    """Whether record k, ``looked`` records back from a new one at (t, h), is worth
    comparing: the record ``looked`` before k lies at the same distance in time and space
    as k from the new one, or there is none."""
    cdef int32_t k2 = k
    cdef int i = 0
    while i < looked and k2 >= 0:
        k2 = rec[k2].prev
        i += 1
    return k2 < 0 or (t - rec[k].t == rec[k].t - rec[k2].t and h - rec[k].p == rec[k].p - rec[k2].p)
