# Shared C types of the kernel, with why each width was chosen.
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

cdef extern from *:
    """
    typedef unsigned __int128 ctm_u128;
    """
    # Exact counts: a range holds fewer than 2**127 machines (checked in Python), so
    # every count, and every b**k * multiplicity, fits in 128 bits.
    ctypedef unsigned long long u128 "ctm_u128"

ctypedef uint8_t symbol_t   # a tape cell: m <= 10 symbols
ctypedef int32_t digit_t    # an entry's digit, -1 when free: b = m(2n+1) passes 255 for n >= 13
ctypedef int32_t pos_t      # a tape position: |head| <= S <= 1e8
ctypedef int64_t step_t     # a step count (S <= 1e8, but sums over classes do not fit 32 bits)
