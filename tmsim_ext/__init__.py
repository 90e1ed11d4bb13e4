"""The compiled lazy-enumeration kernels, 1-D and 2-D; ``pipeline.kernel`` is their Python face.

Laid out as scikit-learn's ``sklearn/tree``: a geometry-free core of ``.pxd`` files (types,
count maps, accumulators, journal, records, generator, patterns; the partial machine and the
step loop, fused over the geometry; the cut of a walk into parts; the proof flags and when a
walk asks each proof), and per geometry only what differs: ``_kernel.pyx`` with
``_line_*.pxd`` (a tape, long runs, 'cps'), ``_grid.pyx`` with ``_grid_*.pxd`` (a grid, its
symmetries). Outputs come back as columns (``_acc.pxd``'s ``map_columns``), not as one
Python object each.

A new proof of walks is a file, a flag in ``_proofs.pxd``, one call in ``_watch.pxd`` and
rows in ``tests/test_proofs.py``. A new geometry is its ``.pyx`` (a line in ``setup.py``)
and ``_<name>_*.pxd`` files, its context in ``AnyCtx`` (``_partial.pxd``) and its branch
where a core helper has one (``_partial``, ``_steps``, ``_shift``, ``_watch``).
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
