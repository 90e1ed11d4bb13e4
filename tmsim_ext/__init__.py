"""The compiled lazy-enumeration kernel; ``pipeline.kernel`` is its Python face."""

from tmsim_ext._kernel import KERNEL_VERSION, PROOF_FLAGS, count_blocks

__all__ = ["KERNEL_VERSION", "PROOF_FLAGS", "count_blocks"]
