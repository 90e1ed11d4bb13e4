# The 2-D kernel's state (tmsim_ext/_grid.pyx): the entries as the step loop reads
# them, the run (grid, journal, edge records), the accumulators and the work figures;
# shared with the proofs' files (_grid_escape.pxd, _grid_shift.pxd).
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

from tmsim_ext._types cimport u128, symbol_t, digit_t, pos_t, step_t
from tmsim_ext._acc cimport Acc
from tmsim_ext._cut cimport Cut
from tmsim_ext._journal cimport Marks
from tmsim_ext._records cimport Rec
from tmsim_ext._rng cimport Rng

cdef enum:
    NSYM = 8
    SEP = 45       # '-' between the rows of an output's key


cdef struct Move:
    int32_t nxm         # next state * m
    int32_t off         # flat offset of the move: +-1, +-W; 0 for a stop
    int8_t dx
    int8_t dy
    symbol_t wr
    uint8_t go          # 1 for a fixed move; 0 for a free or halting entry (a stop)


cdef struct Rect:
    pos_t xlo, xhi, ylo, yhi


cdef struct GridCtx:
    int n, m, b, E, W
    step_t S            # the step limit
    step_t T            # the walk's step limit: S (the 2-D walk has no long runs)
    int flags
    bint symmetry
    digit_t* act        # digit per entry, -1 free
    int8_t* dirn        # direction per entry, -1 for a halting or free entry
    int32_t* nx
    Move* step
    symbol_t* dig_wr
    int8_t* dig_dir
    int32_t* dig_nx
    Move* dig_step
    uint64_t* succ
    uint64_t open_states
    int32_t* state_of
    int32_t* used
    int nfree
    u128* powb
    u128 mult
    u128 w
    double fw           # sampled: the fraction of the block the current class stands for
    uint8_t group       # symmetries fixing every fixed or chosen entry
    uint8_t tmask       # the transforms the current accumulator stands for
    symbol_t* tape      # cell (0, 0)
    symbol_t* tape_base
    pos_t* jpos
    symbol_t* jold
    Marks marks
    symbol_t* before    # scratch for the shift proof, indexed like tape
    symbol_t* before_base
    Rec* rec            # edge records of the run (its ancestors' included), a stack
    int32_t* rec_last   # per key: the latest record of the run, or -1
    int32_t nrec
    uint8_t* key        # an output being written out, rows joined by SEP
    Acc* accs           # one per transform set, made when first used (cut.kept, or cut.spare)
    Acc* acc
    Cut cut             # which part of the walk is counted (_cut.pxd)
    bint sampled
    int sample_depth
    int draws
    int depth
    int64_t keep_len    # outputs with more rows or columns count in the totals only (-1: all)
    Rng rng
    uint64_t seed, batch, draw_index
    uint64_t classes, nodes, steps, ndraws
    uint64_t by_proof[4]
    int failed


ctypedef GridCtx Ctx
