# The 1-D kernel's state (tmsim_ext/_kernel.pyx): the entries as the step loop reads
# them, the run (tape, journal, edge records), restricted and split entries, the
# accumulators and the work figures; shared with the proofs' files (_line_escape.pxd,
# _line_shift.pxd).
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

from tmsim_ext._types cimport u128, symbol_t, digit_t, pos_t, step_t
from tmsim_ext._acc cimport Acc
from tmsim_ext._cut cimport Cut
from tmsim_ext._journal cimport Marks
from tmsim_ext._records cimport Rec
from tmsim_ext._rng cimport Rng

# One entry as the step loop needs it, in one 8-byte load.
cdef struct Move:
    int32_t nxm         # next state * m: the next entry index is nxm + symbol read
    int8_t mv           # +1 Right, -1 Left
    symbol_t wr
    uint8_t go          # 1 for a fixed move; 0 for a free or halting entry (a stop)


# What a walk tallies beside its counts (work figures, lengths of the lists of classes):
# kept when a part's walk goes above the cut, and put back when it comes down to its own
# branch points (_cut.pxd), so that what it walked for other parts leaves no trace.
cdef struct LineTally:
    uint64_t classes, nodes, steps, ndraws
    uint64_t by_proof[5]
    uint64_t long_classes, long_bound, long_halted, long_steps
    uint64_t long_by[5]
    uint64_t upto_classes, upto_wide_at_s, upto_widened
    int64_t ncollected, nundecided, undecided_lost, nwitness, witness_lost, arena_len


cdef struct LineCtx:
    int n, m, b, E
    step_t S            # the step limit
    step_t T            # the walk's step limit (T <= S): classes passing it run on in _line_long
    int flags
    bint symmetry
    # the partial machine: digit per entry (-1 free) and its decoded parts
    digit_t* act
    int8_t* mv          # move and next state, for the proofs and the closed graph
    int32_t* nx
    Move* step          # write, move and next entry base, packed for the step loop
    symbol_t* dig_wr    # every digit decoded once: write, move, next state
    int8_t* dig_mv
    int32_t* dig_nx
    Move* dig_step
    uint64_t* succ      # per state: bit set of next states of its fixed move entries
    uint64_t open_states  # states with a halting or free entry
    int32_t* state_of   # entry index (state * m + symbol) -> state
    int32_t* used       # per state: > 0 when it cannot be renamed (named, fixed, or 0)
    int nfree           # free entries of the block not chosen on this path
    # restricted entries: which digits each may take (allow[e * b + r]) and which states
    # those go to (allow_to[e * n + x]); the split entry (-1: none) is one of them, and
    # accs[0] is what its digits share, accs[1 + r] what digit r adds
    uint8_t* restricted
    uint8_t* allow
    uint8_t* allow_to
    u128* choices       # per restricted entry: how many digits it may take
    int split_e
    u128* powb          # powb[k] = b**k
    u128 mult           # state-renaming multiplicity of this path
    u128 w              # mult * b**nfree: the machines a leaf stands for now
    bint mirror_root    # the block is its own mirror image: walk only right moves at the root
    # the run: tape indexed by position (pointer to cell 0), journal indexed by step
    symbol_t* tape
    pos_t* jpos
    symbol_t* jold
    # tape-edge records for the shift proof, a stack popped when a walk ends
    Rec* rec
    int32_t* rec_last   # per state * 2 + side: latest record of the run, or -1
    int32_t nrec
    # scratch for proofs, indexed like tape
    Marks marks         # per tape cell, indexed like tape
    symbol_t* scratch
    # results: the accumulator leaves add to now, one of accs (without a split entry,
    # accs[1] takes the root's right moves, counted again mirrored for its left moves)
    Acc* acc
    Acc* accs           # cut.kept, or cut.spare while a part walks above the cut
    int nacc
    Cut cut             # which part of the walk is counted (_cut.pxd)
    LineTally tally     # the tallies when the walk went above the cut
    # sampling (sampled: masses in c.fw instead of machine counts in c.w)
    bint sampled
    double fw
    int sample_depth, draws, depth
    int64_t keep_len    # outputs longer than this count in the totals only (-1: all)
    bint pool           # sampled: outputs keyed by pattern (line_key)
    Rng rng
    uint64_t seed, batch, draw_index, ndraws
    uint64_t classes, nodes, steps
    uint64_t by_proof[5]  # classes decided per proof (_proofs.pxd BY_*)
    # long runs (_line_long.pxd): settings, work, and the classes listed
    int cps_radius      # the 'cps' proof tries windows of 2 to cps_radius + 1 cells
    int cps_history     # ... then with each cell's last 1 to cps_history updates
    step_t cps_after    # the walk tries 'cps' on a class still running this many steps in (0: off)
    int64_t long_cells  # a long run's tape may hold this many cells (0: no limit)
    uint64_t long_classes, long_bound, long_halted, long_steps
    uint64_t long_by[5]   # long-run classes decided per proof (_proofs.pxd LONG_BY_*)
    int long_acc        # long runs count into accs[long_acc + i] (0; nacc with exact_upto)
    # exact short outputs (_line_upto.pxd): classes still running at S = T that are at
    # most ``upto`` cells wide run on to a halt, past upto cells, or a proof
    int64_t upto        # L (0: off)
    bint upto_settle    # try the closed graph and 'cps' on classes wider than L at S
    uint64_t upto_classes, upto_wide_at_s, upto_widened
    int64_t collect, ncollected       # list up to ``collect`` classes reaching T
    digit_t* collected_digits
    step_t* collected_steps
    int64_t max_undecided, nundecided, undecided_lost
    digit_t* undecided_digits
    step_t* undecided_steps
    u128* undecided_weight
    # late halts (_line_witness.pxd): classes halting after witness_after steps, or with
    # a target (target_len > 0), only the classes halting with that output (any step)
    step_t witness_after
    const uint8_t* target   # the target output's symbols (the caller's buffer); NULL: none
    int64_t target_len
    int64_t max_witness, nwitness, witness_lost, cap_witness, cap_wit_rows, arena_len, cap_arena
    digit_t* wit_digits
    step_t* wit_steps
    int64_t* wit_off     # output k is wit_arena[wit_off[k] : wit_off[k + 1]] (the last ends at arena_len)
    uint8_t* wit_arena
    int failed          # set when memory ran out


ctypedef LineCtx Ctx
