"""The compiled lazy-enumeration kernels, 1-D and 2-D; ``pipeline.kernel`` is their Python face.

Laid out as scikit-learn's ``sklearn/tree``: a geometry-free core of ``.pxd`` files (types,
count maps, accumulators, journal, records, generator, patterns; the partial machine and the
step loop, fused over the geometry; the proof flags and when a walk asks each proof), and per
geometry only what differs: ``_kernel.pyx`` with ``_line_*.pxd`` (a tape, long runs, 'cps'),
``_grid.pyx`` with ``_grid_*.pxd`` (a grid, its symmetries and parts).
"""

from tmsim_ext._grid import GRID_KERNEL_VERSION, GRID_PROOF_FLAGS, count_grid_blocks
from tmsim_ext._kernel import KERNEL_VERSION, PROOF_FLAGS, count_blocks, cps_proves

__all__ = [
    "GRID_KERNEL_VERSION",
    "GRID_PROOF_FLAGS",
    "KERNEL_VERSION",
    "PROOF_FLAGS",
    "count_blocks",
    "cps_proves",
    "count_grid_blocks",
]
