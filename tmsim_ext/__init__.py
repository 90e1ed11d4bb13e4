"""The compiled lazy-enumeration kernels, 1-D and 2-D; ``pipeline.kernel`` is their Python face."""

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
