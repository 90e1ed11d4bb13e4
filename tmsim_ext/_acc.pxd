# What the machines of a block do: the results that a walk's leaves add to, exact or
# sampled, and their conversion to Python objects (the outputs as columns, with no object
# per output). Shared by the 1-D and 2-D kernels.
#
# Exact counts are 128-bit machine counts. A sampled accumulator counts *hits* (leaves
# of sampled classes) in the map's counts and their *mass* (the fraction of the block
# they stand for, a float: the spaces sampled hold far more than 2**127 machines).
#
# Halting times are a dense histogram up to the walk's step limit and a sparse list
# beyond it (a no-cutoff job's long runs halt at a few scattered times up to 47 million;
# a dense array would take 16 bytes per step).
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from libc.stdint cimport uint8_t, uint64_t, int64_t
from libc.stdlib cimport calloc, free, realloc

from tmsim_ext._types cimport u128, step_t
from tmsim_ext._countmap cimport CountMap, cmap_init, cmap_free


cdef struct Acc:
    CountMap outputs
    u128* times         # times[t]: machines halting after t steps (exact)
    double* ftimes      # ftimes[t]: mass halting after t steps (sampled)
    step_t max_time
    step_t dense        # times[t] exists for t < dense; later times go to the sparse list
    step_t* far_t       # sparse list: steps (at least dense) and machines halting then
    u128* far_k
    int64_t nfar, capfar
    u128 halting, limit, proven
    double fhalting, flimit, fproven
    bint ready


cdef inline int acc_init(Acc* acc, step_t S, bint sampled) noexcept nogil:
    """Allocate an accumulator for step limit S; -1 when memory runs out."""
    acc.ready = True
    acc.dense = S + 2
    if sampled:
        acc.ftimes = <double*>calloc(S + 2, sizeof(double))
        if acc.ftimes == NULL:
            return -1
    else:
        acc.times = <u128*>calloc(S + 2, sizeof(u128))
        if acc.times == NULL:
            return -1
    return cmap_init(&acc.outputs, 1024, sampled)


cdef inline void acc_free(Acc* acc) noexcept nogil:
    if acc.ready:
        cmap_free(&acc.outputs)
    free(acc.times)
    free(acc.ftimes)
    free(acc.far_t)
    free(acc.far_k)
    acc.far_t = NULL
    acc.far_k = NULL
    acc.nfar = acc.capfar = 0
    acc.times = NULL
    acc.ftimes = NULL
    acc.ready = False


cdef inline int acc_far_time(Acc* acc, step_t t, u128 k) noexcept nogil:
    """Exact: add k machines halting after t >= dense steps to the sparse list; -1 when
    memory runs out."""
    cdef int64_t cap
    cdef step_t* nt
    cdef u128* nk
    if acc.nfar == acc.capfar:
        cap = 64 if acc.capfar == 0 else 2 * acc.capfar
        nt = <step_t*>realloc(acc.far_t, cap * sizeof(step_t))
        if nt == NULL:
            return -1
        acc.far_t = nt
        nk = <u128*>realloc(acc.far_k, cap * sizeof(u128))
        if nk == NULL:
            return -1
        acc.far_k = nk
        acc.capfar = cap
    acc.far_t[acc.nfar] = t
    acc.far_k[acc.nfar] = k
    acc.nfar += 1
    acc.halting += k
    if t > acc.max_time:
        acc.max_time = t
    return 0


cdef inline void acc_halt_time(Acc* acc, bint sampled, double fw, step_t t, u128 k,
                               int classes) noexcept nogil:
    """Add k machines (exact) or ``classes`` sampled leaves of mass fw each, halting on
    step t+1 (before the dense limit), to the halting total and the halting-time histogram."""
    if sampled:
        acc.ftimes[t + 1] += fw * classes
        acc.fhalting += fw * classes
    else:
        acc.times[t + 1] += k
        acc.halting += k
    if t + 1 > acc.max_time:
        acc.max_time = t + 1


cdef inline object to_int(u128 x):
    return (int(<uint64_t>(x >> 64)) << 64) | int(<uint64_t>x)


cdef inline dict map_columns(const CountMap* m, bytes digits):
    """A map's outputs as columns, with no Python object per output: ``text``, every
    output's bytes back to back, translated by ``digits`` (tape bytes to text);
    ``offsets``, n + 1 int64 (output i is text[offsets[i]:offsets[i + 1]]); and ``lo`` and
    ``hi``, n uint64, each count's low and high 64 bits, or, for a map with masses,
    ``hits`` (n uint64) and ``mass`` (n float64). Each is a bytearray in native byte
    order, in the map's slot order (``pipeline.rows`` makes Arrow columns of them)."""
    cdef int64_t n = <int64_t>m.size, i = 0, at = 0, k, length
    cdef uint64_t j
    cdef bint sampled = m.mass != NULL
    cdef const uint8_t* tr = digits
    cdef const uint8_t* src
    text = PyByteArray_FromStringAndSize(NULL, m.arena_len)
    offsets = PyByteArray_FromStringAndSize(NULL, (n + 1) * sizeof(int64_t))
    low = PyByteArray_FromStringAndSize(NULL, n * sizeof(uint64_t))
    other = PyByteArray_FromStringAndSize(NULL, n * sizeof(uint64_t))
    cdef uint8_t* out = <uint8_t*>PyByteArray_AS_STRING(text)
    cdef int64_t* off = <int64_t*>PyByteArray_AS_STRING(offsets)
    cdef uint64_t* lo = <uint64_t*>PyByteArray_AS_STRING(low)
    cdef uint64_t* hi = <uint64_t*>PyByteArray_AS_STRING(other)
    cdef double* mass = <double*>PyByteArray_AS_STRING(other)
    with nogil:
        for j in range(m.cap):
            if m.hashes[j] == 0:
                continue
            off[i] = at
            src = m.arena + m.offsets[j]
            length = m.lengths[j]
            for k in range(length):
                out[at + k] = tr[src[k]]
            at += length
            lo[i] = <uint64_t>m.counts[j]
            if sampled:
                mass[i] = m.mass[j]
            else:
                hi[i] = <uint64_t>(m.counts[j] >> 64)
            i += 1
        off[n] = at
    if sampled:
        return {"text": text, "offsets": offsets, "hits": low, "mass": other}
    return {"text": text, "offsets": offsets, "lo": low, "hi": other}


cdef inline dict acc_results(Acc* acc, bytes digits):
    """A Python view: outputs as columns (``map_columns``), totals and halting times
    (steps -> count or mass); ``digits`` translates tape bytes to text."""
    cdef uint64_t j
    cdef step_t t
    cdef bint sampled = acc.outputs.mass != NULL
    outputs = map_columns(&acc.outputs, digits)
    times = {}
    for t in range(min(acc.max_time + 1, acc.dense)):
        if sampled:
            if acc.ftimes[t] != 0:
                times[t] = acc.ftimes[t]
        elif acc.times[t] != 0:
            times[t] = to_int(acc.times[t])
    for j in range(<uint64_t>acc.nfar):
        times[acc.far_t[j]] = times.get(acc.far_t[j], 0) + to_int(acc.far_k[j])
    times = dict(sorted(times.items()))
    if sampled:
        return {"outputs": outputs, "halting": acc.fhalting, "limit": acc.flimit, "proven": acc.fproven,
                "halting_times": times}
    return {
        "outputs": outputs,
        "halting": to_int(acc.halting),
        "limit": to_int(acc.limit),
        "proven": to_int(acc.proven),
        "halting_times": times,
    }
